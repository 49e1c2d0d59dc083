//! `v4/group_open_http_svc/*`: groups, members and group messages. spec: groups.md,
//! group-messages.md. Field checks happen here with the rules of `timber_core::group`; state
//! checks (the group's type, its members) happen in the store, in the transaction of the
//! write they guard.

// groups-more.md §2–§5, §7.7 (get_group_attr is served under group_open_attr_http_svc).
pub mod attrs;
pub mod bans;
pub mod broadcast;
pub mod counters;
mod cursor;
pub mod groups;
mod history_page;
pub mod members;
pub mod messages;
pub mod mutes;
pub mod named;
pub mod receipts;
mod views;

use crate::failure::Failure;
use crate::Ctx;
use timber_core::group::{validate_group_id, Role};
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
    value.ok_or_else(|| invalid(format!("{field} is required")))
}

/// 10004 with a reason.
pub(crate) fn invalid(info: impl Into<String>) -> Error {
    Error::new(ErrorCode::GroupInvalidParameter, info)
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

/// A required, non-empty list of at most `max` entries (10004 / 10005).
pub(crate) fn account_list<T>(
    list: Option<Vec<T>>,
    max: usize,
    field: &str,
) -> Result<Vec<T>, Error> {
    let list = required(list, field)?;
    if list.is_empty() {
        return Err(invalid(format!("{field} is empty")));
    }
    check_count(list.len(), max, field)?;
    Ok(list)
}

/// A role a request may give: `Admin` or `Member` (default). `Owner` moves only through
/// change_group_owner (groups.md §4.9, §4.16), so it is 10004 like any other value.
pub(crate) fn assignable_role(role: Option<&str>) -> Result<Role, Error> {
    match role.map(Role::parse) {
        None => Ok(Role::Member),
        Some(Some(r @ (Role::Admin | Role::Member))) => Ok(r),
        Some(_) => Err(invalid(format!(
            "Role {:?} is not allowed here; use Admin or Member",
            role.unwrap_or_default()
        ))),
    }
}

/// The account a change is shown as made by in its tip: `From_Account` when given (it must
/// exist: 10019, groups.md §4.5), else the calling admin.
pub(crate) async fn operator(ctx: &Ctx, from: Option<String>) -> Result<String, Failure> {
    let Some(from) = from.filter(|f| !f.is_empty()) else {
        return Ok(ctx.caller.identifier.clone());
    };
    let exists = ctx
        .store()
        .accounts_exist(ctx.caller.app.sdkappid, vec![from.clone()])
        .await?;
    if exists.first() != Some(&true) {
        return Err(Error::new(
            ErrorCode::GroupAccountNotFound,
            format!("From_Account {from:?} does not exist"),
        )
        .into());
    }
    Ok(from)
}

/// A time given in a request (Unix seconds) that must not lie in the future (10004).
pub(crate) fn past_time(field: &str, t: Option<i64>, now: i64) -> Result<i64, Error> {
    match t {
        None => Ok(now),
        Some(t) if (0..=now).contains(&t) => Ok(t),
        Some(t) => Err(invalid(format!(
            "{field} {t} must be a Unix time in seconds, not in the future"
        ))),
    }
}

/// A request's `TopicId` for the community `group_id` (groups-more.md §8.2): absent or empty =
/// the community itself; one that is not `group_id + "@TOPIC#_" + suffix` is 10004. Whether
/// the group takes topics (10007) and the topic exists (10010) is the store's to check.
pub(crate) fn topic_of(group_id: &str, topic: Option<String>) -> Result<Option<String>, Error> {
    match topic.filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(t) => {
            timber_core::topic::validate_topic_id(group_id, &t)?;
            Ok(Some(t))
        }
    }
}
