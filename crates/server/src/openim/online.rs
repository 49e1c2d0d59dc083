//! query_online_status (and its older name querystate). spec: accounts.md §6.

use super::fields::{flag, invalid};
use crate::envelope::opt_accounts;
use crate::failure::Failure;
use crate::Ctx;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use timber_core::account::validate_user_id;
use timber_core::c2c::MAX_ONLINE_STATUS_ACCOUNTS;
use timber_core::{Error, ErrorCode};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct OnlineStatusReq {
    #[serde(rename = "To_Account", default, deserialize_with = "opt_accounts")]
    to: Option<Vec<String>>,
    is_need_detail: Option<Value>,
    /// Accepted; there are no device instances to report yet.
    _is_return_instid: Option<Value>,
    /// Accepted; there is no custom status to report yet.
    _is_return_custom_status: Option<Value>,
}

#[derive(Serialize)]
pub struct Status {
    #[serde(rename = "To_Account")]
    to: String,
    #[serde(rename = "Status")]
    status: &'static str,
    /// Per-platform states, with `IsNeedDetail` 1: none while no client can connect.
    #[serde(rename = "Detail", skip_serializing_if = "Option::is_none")]
    detail: Option<Vec<Value>>,
}

#[derive(Serialize)]
pub struct StatusError {
    #[serde(rename = "To_Account")]
    to: String,
    #[serde(rename = "ErrorCode")]
    code: u32,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct OnlineStatusResp {
    query_result: Vec<Status>,
    error_list: Vec<StatusError>,
}

/// spec: accounts.md §6. An existing account is `Online` while a member connection of it is
/// open on this node (members.md §5), with one `Detail` entry per connection, else `Offline`; an account that does not exist, or that no account can be,
/// is in `ErrorList` with 70107. `To_Account` is required (90001), at most 500 (90011);
/// `IsNeedDetail` is 0 or 1 (90001, also for a string or any other type).
/// Answered for `querystate` too, the name older SDKs still call.
pub async fn query_online_status(
    ctx: &Ctx,
    req: OnlineStatusReq,
) -> Result<OnlineStatusResp, Failure> {
    let to = req.to.ok_or_else(|| invalid("To_Account is required"))?;
    if to.is_empty() {
        return Err(invalid("To_Account is empty").into());
    }
    if to.len() > MAX_ONLINE_STATUS_ACCOUNTS {
        return Err(Error::new(
            ErrorCode::TooManyTargets,
            format!(
                "To_Account has {} entries; at most {MAX_ONLINE_STATUS_ACCOUNTS} are allowed",
                to.len()
            ),
        )
        .into());
    }
    // 0 or 1 like every openim flag: another value, or one that is no integer, is 90001.
    let detail = flag(req.is_need_detail.as_ref(), "IsNeedDetail")?;
    let wellformed: Vec<String> = to
        .iter()
        .filter(|u| validate_user_id(u).is_ok())
        .cloned()
        .collect();
    let exist = ctx
        .store()
        .accounts_exist(ctx.caller.app.sdkappid, wellformed.clone())
        .await?;
    let mut query_result = Vec::new();
    let mut error_list = Vec::new();
    // Live member connections of this node and of the others (members.md §5, §6).
    let live: std::collections::HashMap<&String, Vec<timber_core::member::Platform>> = wellformed
        .iter()
        .zip(crate::member::platforms(&ctx.state, ctx.caller.app.sdkappid, &wellformed).await)
        .collect();
    let mut found = wellformed.iter().zip(exist);
    for u in to {
        let known = if validate_user_id(&u).is_ok() {
            found.next().is_some_and(|(_, e)| e)
        } else {
            false
        };
        if known {
            let platforms = live.get(&u).cloned().unwrap_or_default();
            let status = if platforms.is_empty() {
                "Offline"
            } else {
                "Online"
            };
            query_result.push(Status {
                to: u,
                status,
                detail: detail.then(|| {
                    platforms
                        .iter()
                        .map(|p| serde_json::json!({"Platform": p.name(), "Status": "Online"}))
                        .collect()
                }),
            });
        } else {
            error_list.push(StatusError {
                to: u,
                code: ErrorCode::AccountNotFound.code(),
            });
        }
    }
    Ok(OnlineStatusResp {
        query_result,
        error_list,
    })
}
