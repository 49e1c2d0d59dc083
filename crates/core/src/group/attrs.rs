//! Group custom attributes: a schemaless key → value store per group, apart from the
//! console-declared `AppDefinedData`. spec: groups-more.md §3.
//!
//! Our decisions (groups-more.md §11.3): every type has them (the newest pages' table,
//! [`ATTR_TYPES`]); every write is all or nothing and its limits are checked on the state it
//! leaves; the 16,000-byte total counts the values only; keys are listed in byte order; the
//! per-group write rate (10049) is the HTTP layer's (`editions::Rates`), only under the app's
//! `group_rate_limits`.

use super::{GroupRecord, GroupType};
use crate::{text, Error, ErrorCode};
use std::collections::BTreeMap;

/// The types that have attributes: all five (groups-more.md §3.1, newest edition). One
/// constant, so that an app profile can restore the older AVChatRoom-only table.
pub const ATTR_TYPES: [GroupType; 5] = GroupType::ALL;
pub const MAX_ATTR_KEYS: usize = 16;
pub const MAX_ATTR_KEY_BYTES: usize = 32;
pub const MAX_ATTR_VALUE_BYTES: usize = 4_000;
/// The sum of the values' lengths (the REST page's wording).
pub const MAX_ATTR_TOTAL_BYTES: usize = 16_000;

/// One attribute write of groups-more.md §3.3–§3.6.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttrWrite {
    /// modify_group_attr: add or overwrite these keys (a key twice: the last value wins).
    Modify(Vec<(String, String)>),
    /// set_group_attr: this is the whole new set (empty = clear).
    Set(Vec<(String, String)>),
    /// delete_group_attr: remove these keys; each must be set (10050).
    Delete(Vec<String>),
    /// clear_group_attr.
    Clear,
}

impl AttrWrite {
    /// `OptionType` of Group.CallbackAfterGroupAttrChanged.
    pub const fn option_type(&self) -> &'static str {
        match self {
            AttrWrite::Modify(_) => "modify",
            AttrWrite::Set(_) => "set",
            AttrWrite::Delete(_) => "delete",
            AttrWrite::Clear => "clear",
        }
    }

    /// What the request carried, for the callback's `GroupAttr` (a delete's keys with empty
    /// values; a clear's nothing: groups-more.md §3.7, inferred).
    pub fn carried(&self) -> Vec<(String, String)> {
        match self {
            AttrWrite::Modify(kv) | AttrWrite::Set(kv) => kv.clone(),
            AttrWrite::Delete(keys) => keys.iter().map(|k| (k.clone(), String::new())).collect(),
            AttrWrite::Clear => Vec::new(),
        }
    }
}

/// A key or value as a request gives it: a key is 1–32 bytes (10045 when longer, 10004
/// when empty), a value at most 4,000 bytes (10046); neither may hold a NUL (10004).
pub fn check_attr(key: &str, value: Option<&str>) -> Result<(), Error> {
    if key.is_empty() {
        return Err(Error::new(
            ErrorCode::GroupInvalidParameter,
            "an attribute key is empty",
        ));
    }
    if key.len() > MAX_ATTR_KEY_BYTES {
        return Err(Error::new(
            ErrorCode::GroupAttrKeyTooLong,
            format!("attribute key {key:?} is longer than {MAX_ATTR_KEY_BYTES} bytes"),
        ));
    }
    text::check_no_nul("key", key).map_err(|e| Error::new(ErrorCode::GroupInvalidParameter, e))?;
    if let Some(value) = value {
        if value.len() > MAX_ATTR_VALUE_BYTES {
            return Err(Error::new(
                ErrorCode::GroupAttrValueTooLong,
                format!(
                    "the value of attribute {key:?} is longer than {MAX_ATTR_VALUE_BYTES} bytes"
                ),
            ));
        }
        text::check_no_nul("value", value)
            .map_err(|e| Error::new(ErrorCode::GroupInvalidParameter, e))?;
    }
    Ok(())
}

/// 10007 when the group's type has no attributes ([`ATTR_TYPES`]).
pub fn require_attr_type(g: &GroupRecord) -> Result<(), Error> {
    if ATTR_TYPES.contains(&g.ty) {
        return Ok(());
    }
    Err(Error::new(
        ErrorCode::GroupPermissionDenied,
        format!("{} groups have no custom attributes", g.ty.as_str()),
    ))
}

/// Decides an attribute write on the group's stored attributes: the complete set afterwards
/// (the store replaces the group's rows with it), or the refusal. Limits are checked on the
/// result: 16 keys (10047), 16,000 bytes of values (10048); a delete of a key that is not set
/// refuses the whole request (10050).
pub fn decide_attrs(
    g: &GroupRecord,
    stored: &[(String, String)],
    write: &AttrWrite,
) -> Result<BTreeMap<String, String>, Error> {
    require_attr_type(g)?;
    let mut set: BTreeMap<String, String> = stored.iter().cloned().collect();
    match write {
        AttrWrite::Modify(kv) => {
            for (k, v) in kv {
                check_attr(k, Some(v))?;
                set.insert(k.clone(), v.clone());
            }
        }
        AttrWrite::Set(kv) => {
            set.clear();
            for (k, v) in kv {
                check_attr(k, Some(v))?;
                set.insert(k.clone(), v.clone());
            }
        }
        AttrWrite::Delete(keys) => {
            for k in keys {
                check_attr(k, None)?;
                if set.remove(k).is_none() && !keys_before(keys, k) {
                    return Err(Error::new(
                        ErrorCode::GroupAttrKeyNotFound,
                        format!("attribute key {k:?} is not set"),
                    ));
                }
            }
        }
        AttrWrite::Clear => set.clear(),
    }
    if set.len() > MAX_ATTR_KEYS {
        return Err(Error::new(
            ErrorCode::GroupAttrTooManyKeys,
            format!(
                "the group would have {} attributes; at most {MAX_ATTR_KEYS} are allowed",
                set.len()
            ),
        ));
    }
    let total: usize = set.values().map(String::len).sum();
    if total > MAX_ATTR_TOTAL_BYTES {
        return Err(Error::new(
            ErrorCode::GroupAttrTotalTooLarge,
            format!(
                "the attributes' values would total {total} bytes; at most {MAX_ATTR_TOTAL_BYTES}"
            ),
        ));
    }
    Ok(set)
}

/// Whether `k` was named earlier in `keys` (a key deleted twice in one request is deleted once).
fn keys_before(keys: &[String], k: &String) -> bool {
    keys.iter()
        .take_while(|x| !std::ptr::eq(*x, k))
        .any(|x| x == k)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group() -> GroupRecord {
        super::super::record::tests::group(GroupType::AVChatRoom)
    }

    fn kv(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn code(r: Result<BTreeMap<String, String>, Error>) -> ErrorCode {
        r.unwrap_err().code
    }

    #[test]
    fn modify_upserts_set_replaces_delete_and_clear_remove() {
        let g = group();
        let stored = kv(&[("a", "1"), ("b", "2")]);
        let m = decide_attrs(
            &g,
            &stored,
            &AttrWrite::Modify(kv(&[("b", "3"), ("c", "4"), ("c", "5")])),
        )
        .unwrap();
        assert_eq!(
            m.into_iter().collect::<Vec<_>>(),
            kv(&[("a", "1"), ("b", "3"), ("c", "5")])
        );
        let s = decide_attrs(&g, &stored, &AttrWrite::Set(kv(&[("z", "9")]))).unwrap();
        assert_eq!(s.into_iter().collect::<Vec<_>>(), kv(&[("z", "9")]));
        let d = decide_attrs(
            &g,
            &stored,
            &AttrWrite::Delete(vec!["a".into(), "a".into()]),
        )
        .unwrap();
        assert_eq!(d.into_iter().collect::<Vec<_>>(), kv(&[("b", "2")]));
        assert!(decide_attrs(&g, &stored, &AttrWrite::Clear)
            .unwrap()
            .is_empty());
        assert!(decide_attrs(&g, &[], &AttrWrite::Clear).unwrap().is_empty());
    }

    #[test]
    fn limits_are_checked_on_the_result() {
        let g = group();
        let stored: Vec<(String, String)> =
            (0..15).map(|i| (format!("k{i}"), "v".into())).collect();
        assert!(decide_attrs(&g, &stored, &AttrWrite::Modify(kv(&[("n", "1")]))).is_ok());
        assert_eq!(
            code(decide_attrs(
                &g,
                &stored,
                &AttrWrite::Modify(kv(&[("n", "1"), ("m", "2")]))
            )),
            ErrorCode::GroupAttrTooManyKeys
        );
        // Overwriting keeps the count.
        assert!(decide_attrs(
            &g,
            &stored,
            &AttrWrite::Modify(kv(&[("k1", "x"), ("k2", "y")]))
        )
        .is_ok());
        let big = "v".repeat(4_000);
        let four: Vec<(String, String)> = (0..4).map(|i| (format!("b{i}"), big.clone())).collect();
        assert!(decide_attrs(&g, &[], &AttrWrite::Set(four.clone())).is_ok());
        let mut five = four;
        five.push(("x".into(), "1".into()));
        assert_eq!(
            code(decide_attrs(&g, &[], &AttrWrite::Set(five))),
            ErrorCode::GroupAttrTotalTooLarge
        );
        let long_key = "k".repeat(33);
        assert_eq!(
            code(decide_attrs(
                &g,
                &[],
                &AttrWrite::Modify(vec![(long_key, "v".into())])
            )),
            ErrorCode::GroupAttrKeyTooLong
        );
        assert_eq!(
            code(decide_attrs(
                &g,
                &[],
                &AttrWrite::Modify(vec![("k".into(), "v".repeat(4_001))])
            )),
            ErrorCode::GroupAttrValueTooLong
        );
        assert_eq!(
            code(decide_attrs(&g, &[], &AttrWrite::Modify(kv(&[("", "v")])))),
            ErrorCode::GroupInvalidParameter
        );
    }

    #[test]
    fn deleting_a_key_that_is_not_set_deletes_nothing() {
        let g = group();
        let stored = kv(&[("a", "1")]);
        assert_eq!(
            code(decide_attrs(
                &g,
                &stored,
                &AttrWrite::Delete(vec!["a".into(), "b".into()])
            )),
            ErrorCode::GroupAttrKeyNotFound
        );
    }
}
