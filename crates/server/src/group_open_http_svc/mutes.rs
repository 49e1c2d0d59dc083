//! Muting members. spec: groups.md §4.13, §4.14.

use super::members::mute_time;
use super::{account_list, group_id, required, topic_of};
use crate::envelope::{opt_accounts, Empty};
use crate::failure::Failure;
use crate::Ctx;
use serde::{Deserialize, Serialize};
use timber_core::group::MAX_ROLE_QUERY;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ForbidReq {
    group_id: Option<String>,
    #[serde(rename = "Members_Account", default, deserialize_with = "opt_accounts")]
    accounts: Option<Vec<String>>,
    #[serde(alias = "ShutUpTime")]
    mute_time: Option<u64>,
    topic_id: Option<String>,
}

/// spec: groups.md §4.13. Mutes (or, with `MuteTime` 0, unmutes) up to 500 existing accounts
/// (10019 otherwise) for `MuteTime` seconds; 4294967295 is for ever. Decision: the accounts
/// need not be members — a mute belongs to the (group, account) pair, survives leaving and
/// joining again, and AVChatRoom keeps no member list to check against. Work groups 10007.
/// send_group_msg answers 10017 for a muted sender.
pub async fn forbid_send_msg(ctx: &Ctx, req: ForbidReq) -> Result<Empty, Failure> {
    let id = group_id(req.group_id)?;
    let accounts = account_list(req.accounts, MAX_ROLE_QUERY, "Members_Account")?;
    let seconds = mute_time(required(req.mute_time, "MuteTime")?)?;
    let topic = topic_of(&id, req.topic_id)?;
    let (app, operator) = (ctx.caller.app.sdkappid, ctx.caller.identifier.clone());
    match topic {
        None => {
            ctx.store()
                .mute(app, id, accounts, seconds, operator, ctx.now)
                .await?
        }
        // A mute in one topic only (groups-more.md §8.1).
        Some(topic) => {
            ctx.store()
                .mute_in_topic(app, id, topic, accounts, seconds, operator, ctx.now)
                .await?
        }
    }
    Ok(Empty {})
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MutedReq {
    group_id: Option<String>,
    topic_id: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct MutedResp {
    group_id: String,
    #[serde(rename = "MutedAccountList")]
    list: Vec<MutedAccount>,
}

#[derive(Serialize)]
pub struct MutedAccount {
    #[serde(rename = "Member_Account")]
    account: String,
    #[serde(rename = "MutedUntil")]
    until: i64,
}

/// The accounts muted now, with the Unix time each mute ends (4294967295 = for ever).
async fn muted(ctx: &Ctx, req: MutedReq) -> Result<(String, Vec<(String, i64)>), Failure> {
    let id = group_id(req.group_id)?;
    let topic = topic_of(&id, req.topic_id)?;
    let app = ctx.caller.app.sdkappid;
    let list = match topic {
        None => ctx.store().muted(app, id.clone(), ctx.now).await?,
        Some(topic) => {
            ctx.store()
                .muted_in_topic(app, id.clone(), topic, ctx.now)
                .await?
        }
    };
    Ok((id, list))
}

/// spec: groups.md §4.14. Only mutes still running are listed, in UserID order.
pub async fn get_group_muted_account(ctx: &Ctx, req: MutedReq) -> Result<MutedResp, Failure> {
    let (group_id, list) = muted(ctx, req).await?;
    Ok(MutedResp {
        group_id,
        list: list
            .into_iter()
            .map(|(account, until)| MutedAccount { account, until })
            .collect(),
    })
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ShuttedResp {
    group_id: String,
    #[serde(rename = "ShuttedUinList")]
    list: Vec<ShuttedAccount>,
}

#[derive(Serialize)]
pub struct ShuttedAccount {
    #[serde(rename = "Member_Account")]
    account: String,
    #[serde(rename = "ShuttedUntil")]
    until: i64,
}

/// spec: groups.md §4.14, the older command word that clients still call, with its older
/// field names.
pub async fn get_group_shutted_uin(ctx: &Ctx, req: MutedReq) -> Result<ShuttedResp, Failure> {
    let (group_id, list) = muted(ctx, req).await?;
    Ok(ShuttedResp {
        group_id,
        list: list
            .into_iter()
            .map(|(account, until)| ShuttedAccount { account, until })
            .collect(),
    })
}
