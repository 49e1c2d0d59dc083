//! Reading the fields of `sns` and `follow` requests (relationships.md §0.7): a bad field is
//! 30001 with a reason, an account given as a number 60015 (the envelope's), and per-item
//! outcomes are written as the documented `ResultItem` arrays.

use serde::Serialize;
use serde_json::Value;
use timber_core::account::validate_user_id;
use timber_core::sns::invalid;
use timber_core::Error;

/// `From_Account`: required (30001), a UserID any account can have (30001 otherwise).
pub(crate) fn from_account(v: Option<String>) -> Result<String, Error> {
    let id = v
        .filter(|s| !s.is_empty())
        .ok_or_else(|| invalid("From_Account is required"))?;
    validate_user_id(&id).map_err(|why| invalid(format!("From_Account: {why}")))?;
    Ok(id)
}

/// A required list of accounts of 1 to `max` entries.
pub(crate) fn targets(
    v: Option<Vec<String>>,
    field: &str,
    max: usize,
) -> Result<Vec<String>, Error> {
    let list = v.ok_or_else(|| invalid(format!("{field} is required")))?;
    if list.is_empty() {
        return Err(invalid(format!("{field} names no account")));
    }
    if list.len() > max {
        return Err(invalid(format!(
            "{field} names {} accounts; at most {max} per call",
            list.len()
        )));
    }
    Ok(list)
}

/// A required array of 1 to `max` items.
pub(crate) fn items<T>(v: Option<Vec<T>>, field: &str, max: usize) -> Result<Vec<T>, Error> {
    let list = v.ok_or_else(|| invalid(format!("{field} is required")))?;
    if list.is_empty() {
        return Err(invalid(format!("{field} is empty")));
    }
    if list.len() > max {
        return Err(invalid(format!(
            "{field} has {} items; at most {max} per call",
            list.len()
        )));
    }
    Ok(list)
}

/// An optional integer field (30001 when it is not one).
pub(crate) fn opt_int(v: Option<&Value>, field: &str) -> Result<Option<i64>, Error> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_i64()
            .map(Some)
            .ok_or_else(|| invalid(format!("{field} must be an integer, got {v}"))),
    }
}

/// A required integer field of at least 0.
pub(crate) fn index(v: Option<&Value>, field: &str) -> Result<usize, Error> {
    match opt_int(v, field)? {
        Some(n) if n >= 0 => Ok(n as usize),
        Some(n) => Err(invalid(format!("{field} must not be negative, got {n}"))),
        None => Err(invalid(format!("{field} is required"))),
    }
}

/// One `{To_Account, ResultCode, ResultInfo}`.
#[derive(Serialize)]
pub(crate) struct ResultItem {
    #[serde(rename = "To_Account")]
    pub to: String,
    #[serde(rename = "ResultCode")]
    pub code: u32,
    #[serde(rename = "ResultInfo")]
    pub info: String,
}

/// The `ResultCode` and `ResultInfo` of one item.
pub(crate) fn code_info(r: &Result<(), Error>) -> (u32, String) {
    match r {
        Ok(()) => (0, String::new()),
        Err(e) => (e.code.code(), e.info.clone()),
    }
}

/// Per-item outcomes as `ResultItem[]` and the `Fail_Account` of the items that did not
/// succeed (a pending request, 30539, included: relationships.md §1).
pub(crate) fn result_items(
    items: &[(String, Result<(), Error>)],
) -> (Vec<ResultItem>, Vec<String>) {
    let mut out = Vec::with_capacity(items.len());
    let mut failed = Vec::new();
    for (to, r) in items {
        let (code, info) = code_info(r);
        if code != 0 {
            failed.push(to.clone());
        }
        out.push(ResultItem {
            to: to.clone(),
            code,
            info,
        });
    }
    (out, failed)
}

/// A `{Tag, Value}` pair.
#[derive(Serialize)]
pub(crate) struct TagValue {
    #[serde(rename = "Tag")]
    pub tag: String,
    #[serde(rename = "Value")]
    pub value: Value,
}

pub(crate) fn tag_values(pairs: Vec<(String, Value)>) -> Vec<TagValue> {
    pairs
        .into_iter()
        .map(|(tag, value)| TagValue { tag, value })
        .collect()
}

/// An answer with per-item results and nothing else.
#[derive(Serialize)]
pub struct ItemsResp {
    #[serde(rename = "ResultItem")]
    pub(crate) items: Vec<ResultItem>,
    #[serde(rename = "Fail_Account", skip_serializing_if = "Vec::is_empty")]
    pub(crate) failed: Vec<String>,
}

impl ItemsResp {
    pub(crate) fn new(items: &[(String, Result<(), Error>)]) -> ItemsResp {
        let (items, failed) = result_items(items);
        ItemsResp { items, failed }
    }
}
