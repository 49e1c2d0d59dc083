//! The emulator kit's rules for an app's state as one document (`/_timber/export`,
//! `/_timber/import`, `timber serve --seed`): which tables and columns a document may name.
//! A document is the app's rows, table by table; its names are spliced into SQL, so every one
//! must be a table and column of the schema the store has now.

use crate::{Error, ErrorCode};
use std::collections::BTreeMap;

/// Tables whose rows are never exported nor imported: the callback outbox holds deliveries in
/// flight, not state (a reset still empties it).
pub const NOT_EXPORTED: &[&str] = &["callback_outbox"];

/// Tables the kit never touches, not even on reset: the member change log and presence of
/// several nodes (members.md §6) say what the nodes are pushing and who is connected (and
/// present in which AVChatRoom) now;
/// deleting them would leave gaps in the log and connected members offline. Nor the
/// nodes' cache invalidations (`cache_changes`), which a reset or import adds to.
pub const LIVE_ONLY: &[&str] = &[
    "member_changes",
    "member_presence",
    "room_presence",
    "cache_changes",
];

/// The column every app-scoped table starts its key with; a document never carries it (rows
/// are imported into the app named by the request).
pub const APP_COLUMN: &str = "app";

/// Refuses a document that names a table the store does not export, a column its table does
/// not have, or the app column; or a row that is not a JSON object of scalars.
pub fn check_document(
    schema: &BTreeMap<String, Vec<String>>,
    tables: &BTreeMap<String, Vec<serde_json::Map<String, serde_json::Value>>>,
) -> Result<(), Error> {
    let bad = |info: String| Err(Error::new(ErrorCode::HttpParse, info));
    for (table, rows) in tables {
        let Some(columns) = schema
            .get(table)
            .filter(|_| !NOT_EXPORTED.contains(&table.as_str()))
        else {
            return bad(format!("{table:?} is not a table of the exported state"));
        };
        for row in rows {
            for (column, value) in row {
                if column == APP_COLUMN || !columns.iter().any(|c| c == column) {
                    return bad(format!("{table:?} has no column {column:?} to import"));
                }
                if value.is_array() || value.is_object() {
                    return bad(format!(
                        "{table}.{column} must be a number, string, boolean or null"
                    ));
                }
            }
        }
    }
    Ok(())
}

/// How a column's values are spelled in a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    Int,
    Bool,
    Text,
}

impl ColumnKind {
    /// From the type the database reports (`BIGINT`, `bigint`, `BOOLEAN`, `boolean`, `TEXT`).
    pub fn of(sql_type: &str) -> ColumnKind {
        let t = sql_type.to_ascii_lowercase();
        if t.contains("bool") {
            ColumnKind::Bool
        } else if t.contains("int") {
            ColumnKind::Int
        } else {
            ColumnKind::Text
        }
    }
}

/// One value to store, of its column's kind; `None` is SQL NULL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scalar {
    Int(Option<i64>),
    Bool(Option<bool>),
    Text(Option<String>),
}

/// A document's value for a column of `kind`. Booleans may be given as 0 and 1 too (the
/// databases hand them over as integers), integers as booleans likewise.
pub fn scalar(
    kind: ColumnKind,
    table: &str,
    column: &str,
    value: &serde_json::Value,
) -> Result<Scalar, Error> {
    use serde_json::Value as V;
    let out = match (kind, value) {
        (ColumnKind::Int, V::Null) => Some(Scalar::Int(None)),
        (ColumnKind::Int, V::Number(n)) => n.as_i64().map(|v| Scalar::Int(Some(v))),
        (ColumnKind::Int, V::Bool(b)) => Some(Scalar::Int(Some(i64::from(*b)))),
        (ColumnKind::Bool, V::Null) => Some(Scalar::Bool(None)),
        (ColumnKind::Bool, V::Bool(b)) => Some(Scalar::Bool(Some(*b))),
        (ColumnKind::Bool, V::Number(n)) => match n.as_i64() {
            Some(0) => Some(Scalar::Bool(Some(false))),
            Some(1) => Some(Scalar::Bool(Some(true))),
            _ => None,
        },
        (ColumnKind::Text, V::Null) => Some(Scalar::Text(None)),
        (ColumnKind::Text, V::String(s)) => Some(Scalar::Text(Some(s.clone()))),
        _ => None,
    };
    out.ok_or_else(|| {
        Error::new(
            ErrorCode::HttpParse,
            format!("{table}.{column} takes {kind:?} values, not {value}"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc(
        v: serde_json::Value,
    ) -> BTreeMap<String, Vec<serde_json::Map<String, serde_json::Value>>> {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn only_known_tables_and_columns() {
        let schema: BTreeMap<String, Vec<String>> = [
            (
                "accounts".to_owned(),
                vec!["app".to_owned(), "user_id".to_owned()],
            ),
            ("callback_outbox".to_owned(), vec!["app".to_owned()]),
        ]
        .into();
        assert!(check_document(&schema, &doc(json!({"accounts": [{"user_id": "a"}]}))).is_ok());
        assert_eq!(
            scalar(ColumnKind::Bool, "t", "c", &json!(1)).unwrap(),
            Scalar::Bool(Some(true))
        );
        assert_eq!(ColumnKind::of("BIGINT"), ColumnKind::Int);
        assert_eq!(ColumnKind::of("boolean"), ColumnKind::Bool);
        assert!(scalar(ColumnKind::Int, "t", "c", &json!("7")).is_err());
        assert!(scalar(ColumnKind::Int, "t", "c", &json!(1.5)).is_err());
        for bad in [
            json!({"nope": []}),
            json!({"callback_outbox": []}),
            json!({"accounts": [{"user_id\"; DROP TABLE x; --": "a"}]}),
            json!({"accounts": [{"app": 1, "user_id": "a"}]}),
            json!({"accounts": [{"user_id": ["a"]}]}),
        ] {
            let e = check_document(&schema, &doc(bad.clone())).unwrap_err();
            assert_eq!(e.code, ErrorCode::HttpParse, "{bad}");
        }
    }
}
