//! `v4/group_open_avchatroom_http_svc/*`: an AVChatRoom's online members, their marks, and
//! the room's admins. spec: groups-more.md §7.1–§7.6.
//!
//! The online members come from this node's member hub (`member::rooms`): the users present
//! over the member protocol, never from the REST API (an AVChatRoom stores no member list).
//! The admins are stored (`GroupMoreStore::room_admins`). The group family's codes; other
//! types 10007; an app without the feature 10059 (`editions`).

use crate::envelope::{opt_accounts, opt_objects, Empty};
use crate::failure::Failure;
use crate::group_open_http_svc::{account_list, group_id, invalid, required};
use crate::member::rooms::MarkCommand;
use crate::Ctx;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use timber_core::group::{
    check_mark, require_room_type, AdminCommand, GroupRecord, GroupType, MAX_CHECK_ACCOUNTS,
    MAX_MARK_ENTRIES, ROOM_ADMIN_TYPES, ROOM_MEMBER_TYPES,
};
use timber_core::profile::{TagValue, IMAGE, NICK};
use timber_core::{Error, ErrorCode};

/// The group (10010 when there is none), of one of `types` (10007).
async fn room(ctx: &Ctx, id: &str, types: &[GroupType]) -> Result<GroupRecord, Failure> {
    let found = ctx
        .store()
        .get_groups(ctx.caller.app.sdkappid, vec![id.to_owned()], false)
        .await?;
    let Some(Some(g)) = found.into_iter().next() else {
        return Err(Error::new(
            ErrorCode::GroupNotFound,
            format!("group {id:?} does not exist or was dissolved"),
        )
        .into());
    };
    require_room_type(&g.group, types)?;
    Ok(g.group)
}

/// Each account's profile nickname and avatar ("" when unset).
async fn names(
    ctx: &Ctx,
    accounts: &[String],
) -> Result<HashMap<String, (String, String)>, Failure> {
    if accounts.is_empty() {
        return Ok(HashMap::new());
    }
    let found = ctx
        .store()
        .get_portraits(ctx.caller.app.sdkappid, accounts.to_vec())
        .await?;
    Ok(found
        .into_iter()
        .map(|(a, items)| {
            let mut nick = String::new();
            let mut face = String::new();
            for item in items.unwrap_or_default() {
                if let TagValue::Str(v) = item.value {
                    if item.tag == NICK {
                        nick = v;
                    } else if item.tag == IMAGE {
                        face = v;
                    }
                }
            }
            (a, (nick, face))
        })
        .collect())
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetMembersReq {
    group_id: Option<String>,
    timestamp: Option<u64>,
    mark: Option<u64>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetMembersResp {
    member_list: Vec<OnlineMember>,
    next_timestamp: u64,
}

#[derive(Serialize)]
pub struct OnlineMember {
    #[serde(rename = "Member_Account")]
    account: String,
    #[serde(rename = "JoinTime")]
    join_time: i64,
    #[serde(rename = "NickName")]
    nick: String,
    #[serde(rename = "Avatar")]
    avatar: String,
    /// The member's marks (§7.3): our addition, so that a `Mark` filter can be seen at work.
    #[serde(rename = "Marks")]
    marks: Vec<u64>,
}

/// spec: groups-more.md §7.2. The members present, newest join first, 250 a page from
/// `Timestamp` (required: 0, then `NextTimestamp`, an opaque cursor; 0 when the list is
/// complete), only those carrying `Mark` when given; the 1,000 newest joins at most.
/// AVChatRoom and Community (whose online set is always empty in timber).
pub async fn get_members(ctx: &Ctx, req: GetMembersReq) -> Result<GetMembersResp, Failure> {
    let id = group_id(req.group_id)?;
    let cursor = required(req.timestamp, "Timestamp")?;
    room(ctx, &id, &ROOM_MEMBER_TYPES).await?;
    let (page, next) = ctx
        .state
        .members
        .rooms
        .page(ctx.caller.app.sdkappid, &id, cursor, req.mark);
    let accounts: Vec<String> = page.iter().map(|m| m.account.clone()).collect();
    let mut names = names(ctx, &accounts).await?;
    Ok(GetMembersResp {
        member_list: page
            .into_iter()
            .map(|m| {
                let (nick, avatar) = names.remove(&m.account).unwrap_or_default();
                OnlineMember {
                    account: m.account,
                    join_time: m.join_time,
                    nick,
                    avatar,
                    marks: m.marks,
                }
            })
            .collect(),
        next_timestamp: next,
    })
}

#[derive(Deserialize)]
pub struct MarkEntry {
    #[serde(
        rename = "Member_Account",
        deserialize_with = "crate::envelope::account"
    )]
    account: String,
    #[serde(rename = "Marks", default)]
    marks: Vec<u64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ModifyUserInfoReq {
    group_id: Option<String>,
    command_type: Option<u64>,
    #[serde(default, deserialize_with = "opt_objects")]
    member_list: Option<Vec<MarkEntry>>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ModifyUserInfoResp {
    command_type: u64,
    member_list: Vec<MarkedMember>,
}

#[derive(Serialize)]
pub struct MarkedMember {
    #[serde(rename = "Member_Account")]
    account: String,
    #[serde(rename = "Marks")]
    marks: Vec<u64>,
}

/// spec: groups-more.md §7.3. `CommandType` 1 sets, 2 removes marks; `MemberList` of 1–500
/// entries (10004 / 10005), each mark 500 or ≥ 1000 with at least one given (10004). Present
/// members take every mark; absent accounts only 500 (inferred) and are otherwise left out
/// of the answer; nobody changed, or a room past 10 marks or 1,000 members on a mark, is
/// 10004 (inferred code), and nothing is changed.
pub async fn modify_user_info(
    ctx: &Ctx,
    req: ModifyUserInfoReq,
) -> Result<ModifyUserInfoResp, Failure> {
    let id = group_id(req.group_id)?;
    let command_type = required(req.command_type, "CommandType")?;
    let command = match command_type {
        1 => MarkCommand::Set,
        2 => MarkCommand::Remove,
        n => {
            return Err(
                invalid(format!("CommandType {n} is neither 1 (set) nor 2 (remove)")).into(),
            )
        }
    };
    let list = account_list(req.member_list, MAX_MARK_ENTRIES, "MemberList")?;
    let mut entries = Vec::with_capacity(list.len());
    for e in list {
        if e.marks.is_empty() {
            return Err(invalid(format!("Marks of {:?} is empty", e.account)).into());
        }
        for m in &e.marks {
            check_mark(*m)?;
        }
        entries.push((e.account, e.marks));
    }
    room(ctx, &id, &ROOM_ADMIN_TYPES).await?;
    let changed =
        ctx.state
            .members
            .rooms
            .modify_marks(ctx.caller.app.sdkappid, &id, command, &entries)?;
    Ok(ModifyUserInfoResp {
        command_type,
        member_list: changed
            .into_iter()
            .map(|(account, marks)| MarkedMember { account, marks })
            .collect(),
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ModifyAdminReq {
    group_id: Option<String>,
    command_type: Option<u64>,
    #[serde(rename = "Admin_Account", default, deserialize_with = "opt_accounts")]
    accounts: Option<Vec<String>>,
}

/// spec: groups-more.md §7.4. `CommandType` 1 makes admins, 2 revokes (10004 otherwise);
/// `Admin_Account` non-empty (10004); a room has at most 5 admins (10004, inferred code), a
/// granted account must be imported (10019). Admins need not be present and stay admins
/// across leaving.
pub async fn modify_admin(ctx: &Ctx, req: ModifyAdminReq) -> Result<Empty, Failure> {
    let id = group_id(req.group_id)?;
    let command = AdminCommand::parse(required(req.command_type, "CommandType")?)?;
    let accounts = required(req.accounts, "Admin_Account")?;
    if accounts.is_empty() {
        return Err(invalid("Admin_Account is empty").into());
    }
    ctx.store()
        .modify_room_admins(ctx.caller.app.sdkappid, id, command, accounts, ctx.now)
        .await?;
    Ok(Empty {})
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GroupIdReq {
    group_id: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AdminListResp {
    #[serde(rename = "Admin_List")]
    admins: Vec<Admin>,
}

#[derive(Serialize)]
pub struct Admin {
    #[serde(rename = "Admin_Account")]
    account: String,
    #[serde(rename = "NickName")]
    nick: String,
    #[serde(rename = "Avatar")]
    avatar: String,
}

/// spec: groups-more.md §7.5. The room's admins, longest-standing first (inferred), with
/// their profile nickname and avatar.
pub async fn get_admin_list(ctx: &Ctx, req: GroupIdReq) -> Result<AdminListResp, Failure> {
    let id = group_id(req.group_id)?;
    let admins = ctx.store().room_admins(ctx.caller.app.sdkappid, id).await?;
    let mut names = names(ctx, &admins).await?;
    Ok(AdminListResp {
        admins: admins
            .into_iter()
            .map(|account| {
                let (nick, avatar) = names.remove(&account).unwrap_or_default();
                Admin {
                    account,
                    nick,
                    avatar,
                }
            })
            .collect(),
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CheckMembersReq {
    group_id: Option<String>,
    #[serde(rename = "Member_Account", default, deserialize_with = "opt_accounts")]
    accounts: Option<Vec<String>>,
}

#[derive(Serialize)]
pub struct CheckMembersResp {
    #[serde(rename = "Member_Account")]
    present: Vec<String>,
}

/// spec: groups-more.md §7.6. The subset of `Member_Account` (1–500: 10004 / 10005, the
/// number ours) present in the room now, request order, each once.
pub async fn check_members(ctx: &Ctx, req: CheckMembersReq) -> Result<CheckMembersResp, Failure> {
    let id = group_id(req.group_id)?;
    let mut accounts = account_list(req.accounts, MAX_CHECK_ACCOUNTS, "Member_Account")?;
    let mut seen = std::collections::HashSet::new();
    accounts.retain(|a| seen.insert(a.clone()));
    room(ctx, &id, &ROOM_ADMIN_TYPES).await?;
    let inside = crate::member::room_members(&ctx.state, ctx.caller.app.sdkappid, &id).await;
    Ok(CheckMembersResp {
        present: accounts
            .into_iter()
            .filter(|a| inside.binary_search_by(|(p, _)| p.cmp(a)).is_ok())
            .collect(),
    })
}
