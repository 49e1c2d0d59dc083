//! Reading the fields of `openim` requests, each refused with the code its API documents
//! (c2c-messages.md §11): numbers arrive as JSON values so that a field of the wrong type
//! gets its own code (90005 for `MsgRandom`, 90044 for `MsgLifeTime`…) rather than the
//! generic 90001 of a body that does not fit the request type.

use crate::msg_body::{check_size, checked_body};
use crate::Ctx;
use serde_json::value::RawValue;
use serde_json::Value;
use timber_core::account::validate_user_id;
use timber_core::c2c::{MsgKey, MAX_MSG_LIFE_TIME};
use timber_core::message::BodyError;
use timber_core::text::check_no_nul;
use timber_core::{Error, ErrorCode};

/// 90001 with a reason: an invalid field of this service.
pub(crate) fn invalid(info: impl Into<String>) -> Error {
    Error::new(ErrorCode::OpenimJsonParse, info)
}

/// What a modification (modify_group_msg, modify_c2c_msg) changes: `MsgBody`, `CloudCustomData`
/// or both (neither: 90001), each checked as a send checks it; the body as it will be stored.
pub(crate) fn modified_content(
    body: Option<Box<RawValue>>,
    data: Option<String>,
) -> Result<(Option<String>, Option<String>), Error> {
    if body.is_none() && data.is_none() {
        return Err(invalid("give MsgBody, CloudCustomData or both to modify"));
    }
    if let Some(data) = &data {
        check_no_nul("CloudCustomData", data).map_err(invalid)?;
    }
    let body = body
        .map(|raw| checked_body(&raw).map_err(body_error))
        .transpose()?;
    Ok((body, data))
}

/// The openim codes for a bad `MsgBody`: 90007 not an array, 90010 an element type we do not
/// know, 90002 any other format error.
pub(crate) fn body_error(e: BodyError) -> Error {
    let code = match e {
        BodyError::NotArray => ErrorCode::MsgBodyNotArray,
        BodyError::UnknownType(_) => ErrorCode::MsgElemFormat,
        BodyError::Empty | BodyError::BadElement(_) => ErrorCode::MsgBodyFormat,
    };
    Error::new(code, format!("MsgBody: {e}"))
}

/// A required `MsgBody` (90002 when absent) and `CloudCustomData` (no NUL: 90001), which
/// together must fit the app's message size (80002). Returns the body's text as sent.
pub(crate) fn message(
    ctx: &Ctx,
    body: Option<Box<RawValue>>,
    cloud_custom_data: Option<&str>,
) -> Result<String, Error> {
    let raw = body.ok_or_else(|| Error::new(ErrorCode::MsgBodyFormat, "MsgBody is required"))?;
    let body = checked_body(&raw).map_err(body_error)?;
    if let Some(data) = cloud_custom_data {
        check_no_nul("CloudCustomData", data).map_err(invalid)?;
    }
    check_size(ctx, &body, cloud_custom_data)?;
    Ok(body)
}

/// A JSON integer, if `v` is one.
fn integer(v: &Value) -> Option<i64> {
    v.as_i64()
        .or_else(|| v.as_u64().map(|u| i64::try_from(u).unwrap_or(i64::MAX)))
}

/// An optional integer field: `Ok(None)` when absent, `code` when not an integer.
pub(crate) fn opt_int(
    v: Option<&Value>,
    field: &str,
    code: ErrorCode,
) -> Result<Option<i64>, Error> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(v) => integer(v)
            .map(Some)
            .ok_or_else(|| Error::new(code, format!("{field} must be an integer, got {v}"))),
    }
}

/// An optional 32-bit unsigned field (`MsgSeq`, `MsgRandom`): `code` when it is not one.
pub(crate) fn opt_u32(
    v: Option<&Value>,
    field: &str,
    code: ErrorCode,
) -> Result<Option<u32>, Error> {
    match opt_int(v, field, code)? {
        None => Ok(None),
        Some(n) => u32::try_from(n).map(Some).map_err(|_| {
            Error::new(
                code,
                format!("{field} {n} is not a 32-bit unsigned integer"),
            )
        }),
    }
}

/// An optional 0/1 flag (90001 otherwise).
pub(crate) fn flag(v: Option<&Value>, field: &str) -> Result<bool, Error> {
    match opt_int(v, field, ErrorCode::OpenimJsonParse)? {
        None | Some(0) => Ok(false),
        Some(1) => Ok(true),
        Some(n) => Err(invalid(format!("{field} must be 0 or 1, got {n}"))),
    }
}

/// `MsgLifeTime` in seconds: absent = 7 days; not an integer 90044; negative 90026; more
/// than 7 days is treated as 7 days (limits.md §5).
pub(crate) fn life_time(v: Option<&Value>) -> Result<i64, Error> {
    match opt_int(v, "MsgLifeTime", ErrorCode::MsgLifeTimeNotInteger)? {
        None => Ok(MAX_MSG_LIFE_TIME),
        Some(n) if n < 0 => Err(Error::new(
            ErrorCode::MsgLifeTimeInvalid,
            format!("MsgLifeTime {n} must be 0 to {MAX_MSG_LIFE_TIME} seconds"),
        )),
        Some(n) => Ok(n.min(MAX_MSG_LIFE_TIME)),
    }
}

/// `SyncOtherMachine`: whether the message is also in the sender's history. Absent (or 0,
/// which clients that always send the field use for "unset") and 1: yes; 2: no; anything
/// else 90031.
pub(crate) fn sync_sender(v: Option<&Value>) -> Result<bool, Error> {
    match opt_int(v, "SyncOtherMachine", ErrorCode::SyncOtherMachineInvalid)? {
        None | Some(0) | Some(1) => Ok(true),
        Some(2) => Ok(false),
        Some(n) => Err(Error::new(
            ErrorCode::SyncOtherMachineInvalid,
            format!("SyncOtherMachine must be 1 or 2, got {n}"),
        )),
    }
}

/// An account a command acts for or as: absent, empty or not a UserID any account can have
/// answers `code` (90008 for the sending / operating side, 90003 or 90012 for the other),
/// as an unknown account does.
pub(crate) fn account(v: Option<String>, field: &str, code: ErrorCode) -> Result<String, Error> {
    let id = v
        .filter(|s| !s.is_empty())
        .ok_or_else(|| Error::new(code, format!("{field} is required")))?;
    validate_user_id(&id).map_err(|why| Error::new(code, format!("{field}: {why}")))?;
    Ok(id)
}

/// A `MsgKey` field: absent or malformed 90054.
pub(crate) fn msg_key(v: Option<String>, field: &str) -> Result<MsgKey, Error> {
    let s =
        v.ok_or_else(|| Error::new(ErrorCode::MsgKeyInvalid, format!("{field} is required")))?;
    MsgKey::parse_field(field, &s)
}

/// An optional list of strings, each one of `allowed` (90001 otherwise).
pub(crate) fn controls<'a>(
    list: &'a Option<Vec<String>>,
    field: &str,
    allowed: &[&str],
) -> Result<&'a [String], Error> {
    let list = list.as_deref().unwrap_or_default();
    if let Some(bad) = list.iter().find(|c| !allowed.contains(&c.as_str())) {
        return Err(invalid(format!(
            "{field} {bad:?} is not one of {allowed:?}"
        )));
    }
    Ok(list)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numbers_get_their_codes() {
        let r = ErrorCode::MsgRandomInvalid;
        assert_eq!(opt_u32(Some(&json!(5)), "MsgRandom", r), Ok(Some(5)));
        assert_eq!(opt_u32(None, "MsgRandom", r), Ok(None));
        for bad in [
            json!("5"),
            json!(-1),
            json!(4294967296u64),
            json!(1.5),
            json!([]),
        ] {
            assert_eq!(
                opt_u32(Some(&bad), "MsgRandom", r).unwrap_err().code,
                r,
                "{bad}"
            );
        }
        assert_eq!(life_time(None), Ok(MAX_MSG_LIFE_TIME));
        assert_eq!(life_time(Some(&json!(10_000_000))), Ok(MAX_MSG_LIFE_TIME));
        assert_eq!(life_time(Some(&json!(0))), Ok(0));
        assert_eq!(
            life_time(Some(&json!(-1))).unwrap_err().code,
            ErrorCode::MsgLifeTimeInvalid
        );
        assert_eq!(
            life_time(Some(&json!("x"))).unwrap_err().code,
            ErrorCode::MsgLifeTimeNotInteger
        );
        assert_eq!(sync_sender(Some(&json!(2))), Ok(false));
        assert_eq!(
            sync_sender(Some(&json!(3))).unwrap_err().code,
            ErrorCode::SyncOtherMachineInvalid
        );
        assert_eq!(
            sync_sender(Some(&json!("1"))).unwrap_err().code,
            ErrorCode::SyncOtherMachineInvalid
        );
        assert_eq!(
            flag(Some(&json!(2)), "F").unwrap_err().code,
            ErrorCode::OpenimJsonParse
        );
    }

    #[test]
    fn accounts_and_keys() {
        let c = ErrorCode::FromAccountInvalid;
        assert_eq!(account(Some("a".into()), "From_Account", c), Ok("a".into()));
        assert_eq!(
            account(Some(String::new()), "From_Account", c)
                .unwrap_err()
                .code,
            c
        );
        assert_eq!(
            account(Some("x".repeat(33)), "From_Account", c)
                .unwrap_err()
                .code,
            c
        );
        assert_eq!(account(None, "From_Account", c).unwrap_err().code, c);
        assert_eq!(
            msg_key(Some("1_2_3".into()), "MsgKey").unwrap().to_string(),
            "1_2_3"
        );
        assert_eq!(
            msg_key(None, "MsgKey").unwrap_err().code,
            ErrorCode::MsgKeyInvalid
        );
    }
}
