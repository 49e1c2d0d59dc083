//! What every message API does with a `MsgBody`: parse it once to validate it, and keep the
//! exact text that was sent, which is what the store keeps and history returns.
//! spec: c2c-messages.md §2, group-messages.md §13.

use crate::Ctx;
use serde_json::value::RawValue;
use serde_json::Value;
use timber_core::message::{msg_bytes, validate_msg_body, BodyError};
use timber_core::{Error, ErrorCode};

/// Validates a `MsgBody` and returns its text as sent.
pub(crate) fn checked_body(raw: &RawValue) -> Result<String, BodyError> {
    let value: Value = serde_json::from_str(raw.get()).map_err(|_| BodyError::NotArray)?;
    validate_msg_body(&value)?;
    Ok(raw.get().to_owned())
}

/// A before-callback's replacement `MsgBody` as text, when it is a valid one.
pub(crate) fn checked_raw(value: &Value) -> Option<String> {
    validate_msg_body(value).ok()?;
    Some(value.to_string())
}

/// 80002 when a message (body plus custom data) exceeds the app's limit (limits.md §4).
pub(crate) fn check_size(
    ctx: &Ctx,
    body: &str,
    cloud_custom_data: Option<&str>,
) -> Result<(), Error> {
    let size = msg_bytes(body, cloud_custom_data);
    let max = ctx.caller.app.max_msg_bytes;
    if size > max {
        return Err(Error::new(
            ErrorCode::MsgTooLong,
            format!("the message is {size} bytes (MsgBody and CloudCustomData); at most {max} are allowed"),
        ));
    }
    Ok(())
}
