//! `v4/group_open_http_svc/*`: groups, members and group messages. spec: groups.md,
//! group-messages.md. Field checks happen here with the rules of `timber_core::group`; state
//! checks happen in the store, in the transaction of the write they guard.

pub mod groups;
pub mod members;
pub mod messages;

use timber_core::group::validate_group_id;
use timber_core::{Error, ErrorCode};

/// A request's `GroupId`: absent → 10004, malformed → 10015 (an ID of no group is the store's
/// 10010).
pub(crate) fn group_id(id: Option<String>) -> Result<String, Error> {
    let id =
        id.ok_or_else(|| Error::new(ErrorCode::GroupInvalidParameter, "GroupId is required"))?;
    validate_group_id(&id)?;
    Ok(id)
}

/// 10004 for a missing required field.
pub(crate) fn required<T>(value: Option<T>, field: &str) -> Result<T, Error> {
    value.ok_or_else(|| {
        Error::new(
            ErrorCode::GroupInvalidParameter,
            format!("{field} is required"),
        )
    })
}

/// 10005 when a list names more accounts than the API allows.
pub(crate) fn check_count(len: usize, max: usize, field: &str) -> Result<(), Error> {
    if len > max {
        return Err(Error::new(
            ErrorCode::GroupTooManyAccounts,
            format!("{field} has {len} entries; at most {max} are allowed"),
        ));
    }
    Ok(())
}
