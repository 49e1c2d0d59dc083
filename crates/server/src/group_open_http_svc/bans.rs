//! Member bans: ban, unban, list. spec: groups-more.md §5.

use super::{account_list, group_id, invalid, required};
use crate::envelope::{opt_accounts, Empty};
use crate::failure::Failure;
use crate::Ctx;
use serde::{Deserialize, Serialize};
use timber_core::group::{check_ban_description, MAX_BAN_ACCOUNTS, MAX_BAN_PAGE};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BanReq {
    group_id: Option<String>,
    #[serde(rename = "Members_Account", default, deserialize_with = "opt_accounts")]
    accounts: Option<Vec<String>>,
    duration: Option<u32>,
    description: Option<String>,
}

/// spec: groups-more.md §5.2. At most 20 existing accounts (10005, 10019); `Duration` ≥ 1
/// second (10004); `Description` ≤ 1,000 bytes. Members among them are removed as by
/// delete_group_member (tip, Group.CallbackAfterMemberExit `Kicked`); the owner cannot be
/// banned (10007). A ban again sets a new end. In an AVChatRoom, the banned who are present
/// through any node are dropped from the room and hear `onMemberKicked` (§5.1, §7.1).
pub async fn ban_group_member(ctx: &Ctx, req: BanReq) -> Result<Empty, Failure> {
    let id = group_id(req.group_id)?;
    let accounts = account_list(req.accounts, MAX_BAN_ACCOUNTS, "Members_Account")?;
    let duration = required(req.duration, "Duration")?;
    let description = req.description.unwrap_or_default();
    check_ban_description(&description)?;
    ctx.store()
        .ban_members(
            ctx.caller.app.sdkappid,
            id.clone(),
            accounts.clone(),
            u64::from(duration),
            description,
            ctx.caller.identifier.clone(),
            ctx.now,
        )
        .await?;
    // Only an AVChatRoom has an online set: for another group this finds nobody.
    let present =
        crate::member::room_members(ctx.state.as_ref(), ctx.caller.app.sdkappid, &id).await;
    let dropped: Vec<String> = accounts
        .into_iter()
        .filter(|a| present.iter().any(|(p, _)| p == a))
        .collect();
    if !dropped.is_empty() {
        let app = ctx.caller.app.sdkappid;
        let change = timber_core::member::Change::RoomBanned {
            group_id: id.clone(),
            accounts: dropped.clone(),
            operator: ctx.caller.identifier.clone(),
        };
        ctx.store().announce(app, change).await?;
        ctx.store()
            .room_left(app, id.clone(), dropped.clone(), true)
            .await?;
        crate::member::room_callback(&ctx.state, &ctx.caller.app, &id, false, dropped).await;
    }
    Ok(Empty {})
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UnbanReq {
    group_id: Option<String>,
    #[serde(rename = "Members_Account", default, deserialize_with = "opt_accounts")]
    accounts: Option<Vec<String>>,
}

/// spec: groups-more.md §5.3. At most 20 accounts (10005); one not banned is fine; nobody is
/// put back into the group.
pub async fn unban_group_member(ctx: &Ctx, req: UnbanReq) -> Result<Empty, Failure> {
    let id = group_id(req.group_id)?;
    let accounts = account_list(req.accounts, MAX_BAN_ACCOUNTS, "Members_Account")?;
    ctx.store()
        .unban_members(ctx.caller.app.sdkappid, id, accounts)
        .await?;
    Ok(Empty {})
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BannedReq {
    group_id: Option<String>,
    limit: Option<u64>,
    offset: Option<u64>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct BannedResp {
    banned_account_list: Vec<BannedAccount>,
    next_offset: u64,
}

#[derive(Serialize)]
pub struct BannedAccount {
    #[serde(rename = "Member_Account")]
    account: String,
    #[serde(rename = "BannedUntil")]
    until: i64,
}

/// spec: groups-more.md §5.4. Bans in force, oldest first (inferred); `Limit` ≤ 100
/// (absent: 100; 0 or more: 10004), `Offset` required; `NextOffset` 0 on the last page.
pub async fn get_group_ban_member(ctx: &Ctx, req: BannedReq) -> Result<BannedResp, Failure> {
    let id = group_id(req.group_id)?;
    let offset = required(req.offset, "Offset")?;
    let limit = req.limit.unwrap_or(MAX_BAN_PAGE);
    if limit == 0 || limit > MAX_BAN_PAGE {
        return Err(invalid(format!("Limit must be 1-{MAX_BAN_PAGE}")).into());
    }
    let page = ctx
        .store()
        .banned_members(ctx.caller.app.sdkappid, id, ctx.now, offset, limit)
        .await?;
    Ok(BannedResp {
        banned_account_list: page
            .bans
            .into_iter()
            .map(|(account, until)| BannedAccount { account, until })
            .collect(),
        next_offset: page.next,
    })
}
