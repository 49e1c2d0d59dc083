//! Membership: add, import, remove, list, change members, roles and ownership.
//! spec: groups.md §4.6–§4.12, §4.16.

use super::cursor;
use super::views::{group_fields, member_fields, self_info, Fields};
use super::{account_list, assignable_role, group_id, invalid, operator, past_time, required};
use crate::callbacks;
use crate::envelope::{account, object, objects, opt_account, opt_accounts, opt_objects, Empty};
use crate::failure::Failure;
use crate::Ctx;
use serde::{Deserialize, Serialize};
use serde_json::json;
use serde_json::{Map, Value};
use timber_core::callback::{member_list, BeforeKind, Verdict};
use timber_core::group::{
    check_text, validate_custom_fields, validate_enum, GroupType, KeyValue, Role, MAX_ADD_MEMBERS,
    MAX_DELETE_MEMBERS, MAX_MEMBER_CUSTOM_FIELDS, MAX_MEMBER_CUSTOM_VALUE_BYTES, MAX_MEMBER_PAGE,
    MAX_NAME_CARD_BYTES, MAX_ROLE_QUERY, MSG_FLAGS, MUTE_FOREVER,
};
use timber_core::group::{AddResult, MemberChanges, MemberQuery, NewMember};
use timber_core::Error;
use timber_store::groups::JoinedQuery;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AddMemberReq {
    group_id: Option<String>,
    #[serde(default, deserialize_with = "opt_objects")]
    member_list: Option<Vec<MemberAccount>>,
    /// 1 = tell only the added members (no tip to the group).
    #[serde(default)]
    silence: u8,
}

#[derive(Deserialize)]
pub(crate) struct MemberAccount {
    #[serde(rename = "Member_Account", deserialize_with = "account")]
    pub account: String,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct MemberResult {
    #[serde(rename = "Member_Account")]
    account: String,
    result: u8,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct MemberResultsResp {
    member_list: Vec<MemberResult>,
}

fn member_results(accounts: Vec<String>, results: Vec<AddResult>) -> MemberResultsResp {
    MemberResultsResp {
        member_list: accounts
            .into_iter()
            .zip(results)
            .map(|(account, r)| MemberResult {
                account,
                result: r as u8,
            })
            .collect(),
    }
}

/// spec: groups.md §4.6. Decisions: an account that does not exist refuses the whole request
/// (10019); a group that cannot take every new member adds none (10014). Unless `Silence` is 1,
/// a members-joined tip is stored for the types that store member tips.
pub async fn add_group_member(ctx: &Ctx, req: AddMemberReq) -> Result<MemberResultsResp, Failure> {
    let id = group_id(req.group_id)?;
    let list = account_list(req.member_list, MAX_ADD_MEMBERS, "MemberList")?;
    let names: Vec<String> = list.into_iter().map(|m| m.account).collect();
    let refused = invite_refusals(ctx, &id, &names).await?;
    let members = names
        .iter()
        .filter(|a| !refused.contains(a))
        .map(|a| NewMember::member(a.clone(), ctx.now))
        .collect();
    let results = ctx
        .store()
        .add_members(
            ctx.caller.app.sdkappid,
            id,
            members,
            req.silence == 1,
            ctx.caller.identifier.clone(),
            ctx.now,
        )
        .await?;
    // Accounts the app refused are reported as not added (Result 0; inferred).
    let mut results = results.into_iter();
    let results = names
        .iter()
        .map(|a| match refused.contains(a) {
            true => AddResult::Failed,
            false => results.next().unwrap_or(AddResult::Failed),
        })
        .collect();
    Ok(member_results(names, results))
}

/// Group.CallbackBeforeInviteJoinGroup (callbacks.md §5): asked before anything is locked;
/// returns the accounts the app left out, or its refusal of the whole request.
async fn invite_refusals(ctx: &Ctx, id: &str, names: &[String]) -> Result<Vec<String>, Failure> {
    if !callbacks::wants_before(ctx, BeforeKind::InviteJoin) {
        return Ok(Vec::new());
    }
    let app = ctx.caller.app.sdkappid;
    let Some(group) = ctx
        .store()
        .get_groups(app, vec![id.to_owned()], false)
        .await?
        .pop()
        .flatten()
    else {
        return Err(Error::new(
            timber_core::ErrorCode::GroupNotFound,
            format!("group {id:?} does not exist"),
        )
        .into());
    };
    let fields = json!({
        "GroupId": id,
        "Type": group.group.ty.as_str(),
        "Operator_Account": ctx.caller.identifier,
        "DestinationMembers": member_list(names.iter().map(String::as_str)),
    });
    match callbacks::before(ctx, BeforeKind::InviteJoin, fields).await {
        Verdict::Allow {
            refused_members, ..
        } => Ok(refused_members),
        Verdict::Refuse(e) => Err(e.into()),
        Verdict::Drop => Ok(names.to_vec()),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ImportMemberReq {
    group_id: Option<String>,
    #[serde(default, deserialize_with = "opt_objects")]
    member_list: Option<Vec<ImportMember>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ImportMember {
    #[serde(rename = "Member_Account", deserialize_with = "account")]
    account: String,
    role: Option<String>,
    join_time: Option<i64>,
    unread_msg_num: Option<u64>,
}

/// spec: groups.md §4.16. No tips, no MsgSeq. `JoinTime` defaults to now and may not lie in the
/// future (10004); `UnreadMsgNum` is clamped to the group's message count. Errors as in
/// add_group_member; AVChatRoom 10007; `Admin` in a Work group 10007.
pub async fn import_group_member(
    ctx: &Ctx,
    req: ImportMemberReq,
) -> Result<MemberResultsResp, Failure> {
    let id = group_id(req.group_id)?;
    let list = account_list(req.member_list, MAX_ADD_MEMBERS, "MemberList")?;
    let mut names = Vec::with_capacity(list.len());
    let mut members = Vec::with_capacity(list.len());
    for m in list {
        members.push(NewMember {
            role: assignable_role(m.role.as_deref())?,
            unread: m.unread_msg_num,
            ..NewMember::member(
                m.account.clone(),
                past_time("JoinTime", m.join_time, ctx.now)?,
            )
        });
        names.push(m.account);
    }
    let results = ctx
        .store()
        .import_members(ctx.caller.app.sdkappid, id, members)
        .await?;
    Ok(member_results(names, results))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteMemberReq {
    group_id: Option<String>,
    #[serde(
        rename = "MemberToDel_Account",
        default,
        deserialize_with = "opt_accounts"
    )]
    accounts: Option<Vec<String>>,
    #[serde(default)]
    silence: u8,
    /// Shown to the removed users by the client SDKs; nothing to store here.
    _reason: Option<String>,
}

/// spec: groups.md §4.7. Accounts that are not members are ignored. AVChatRoom 10004 (as
/// documented: mute instead); the owner cannot be removed (10007, inferred). Unless `Silence`
/// is 1, a members-removed tip is stored for the types that store member tips.
pub async fn delete_group_member(ctx: &Ctx, req: DeleteMemberReq) -> Result<Empty, Failure> {
    let id = group_id(req.group_id)?;
    let accounts = account_list(req.accounts, MAX_DELETE_MEMBERS, "MemberToDel_Account")?;
    ctx.store()
        .delete_members(
            ctx.caller.app.sdkappid,
            id,
            accounts,
            req.silence == 1,
            ctx.caller.identifier.clone(),
            ctx.now,
        )
        .await?;
    Ok(Empty {})
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MemberInfoReq {
    group_id: Option<String>,
    member_info_filter: Option<Vec<String>>,
    member_role_filter: Option<Vec<String>>,
    #[serde(rename = "AppDefinedDataFilter_GroupMember")]
    custom_filter: Option<Vec<String>>,
    limit: Option<u64>,
    #[serde(default)]
    offset: u64,
    /// Community paging cursor: "" first, then the previous answer's `Next`.
    next: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct MemberInfoResp {
    member_num: u64,
    member_list: Vec<Map<String, Value>>,
    /// Community only: "" when there is no further page.
    #[serde(skip_serializing_if = "Option::is_none")]
    next: Option<String>,
}

/// spec: groups.md §4.8. Members in UserID order; `MemberNum` counts the whole group. Other
/// types page with `Limit`/`Offset`, Community with `Limit`/`Next` (Offset there is 10004). A
/// `Next` that is neither "" nor a cursor of this group (`cursor.rs`) is 10004.
/// `Limit` above 6,000 is 10004; a response over 1 MB is 10018 (envelope). AVChatRoom shows at
/// most its first 300 members (inferred).
pub async fn get_group_member_info(
    ctx: &Ctx,
    req: MemberInfoReq,
) -> Result<MemberInfoResp, Failure> {
    let id = group_id(req.group_id)?;
    let app = ctx.caller.app.sdkappid;
    let after = cursor::member_after(app, &id, req.next.as_deref().unwrap_or_default())?;
    if req.limit.is_some_and(|l| l > MAX_MEMBER_PAGE) {
        return Err(invalid(format!("Limit must be at most {MAX_MEMBER_PAGE}")).into());
    }
    let roles = req
        .member_role_filter
        .unwrap_or_default()
        .iter()
        .map(|r| {
            Role::parse(r).ok_or_else(|| invalid(format!("MemberRoleFilter {r:?} is not a role")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let query = MemberQuery {
        roles,
        offset: req.offset,
        limit: req.limit,
        after,
    };
    let page = ctx.store().get_members(app, id.clone(), query).await?;
    let view = Fields::new(
        req.member_info_filter.as_deref(),
        req.custom_filter.as_deref(),
    );
    Ok(MemberInfoResp {
        member_num: page.group.member_num,
        member_list: page
            .members
            .iter()
            .map(|m| member_fields(m, ctx.now, view))
            .collect(),
        next: (page.group.ty == GroupType::Community).then(|| {
            page.next
                .map_or_else(String::new, |user| cursor::member_next(app, &id, &user))
        }),
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ModifyMemberReq {
    group_id: Option<String>,
    #[serde(rename = "Member_Account", default, deserialize_with = "opt_account")]
    account: Option<String>,
    role: Option<String>,
    msg_flag: Option<String>,
    name_card: Option<String>,
    #[serde(default, deserialize_with = "objects")]
    app_member_defined_data: Vec<KeyValue>,
    /// Seconds; 0 unmutes. Older docs name it `ShutUpTime`.
    #[serde(alias = "ShutUpTime")]
    mute_time: Option<u64>,
}

/// A mute duration: at most 4294967295 (= for ever), else 10004.
pub(crate) fn mute_time(t: u64) -> Result<u64, Error> {
    if t > MUTE_FOREVER {
        return Err(invalid(format!("MuteTime must be at most {MUTE_FOREVER}")));
    }
    Ok(t)
}

/// spec: groups.md §4.9. The account must exist (10019) and be a member (10007). `Role` is
/// `Admin` or `Member` (10004 otherwise; Work groups have no admins: 10007; the owner's role
/// changes only through change_group_owner: 10007). `MuteTime` (or `ShutUpTime`) is refused
/// in Work groups (10007). AVChatRoom allows changing only the owner's and admins' records.
pub async fn modify_group_member_info(ctx: &Ctx, req: ModifyMemberReq) -> Result<Empty, Failure> {
    let id = group_id(req.group_id)?;
    let account = required(req.account, "Member_Account")?;
    let role = req
        .role
        .as_deref()
        .map(|r| assignable_role(Some(r)))
        .transpose()?;
    if let Some(flag) = &req.msg_flag {
        validate_enum("MsgFlag", flag, MSG_FLAGS)?;
    }
    if let Some(card) = &req.name_card {
        check_text("NameCard", card, MAX_NAME_CARD_BYTES)?;
        // A name card is group text like the group's name (groups.md: 80001).
        let card = [("NameCard", card.as_str())];
        crate::moderation::check_fields(ctx, &card, timber_core::ErrorCode::MsgFiltered).await?;
    }
    validate_custom_fields(
        &req.app_member_defined_data,
        MAX_MEMBER_CUSTOM_FIELDS,
        MAX_MEMBER_CUSTOM_VALUE_BYTES,
    )?;
    let changes = MemberChanges {
        role,
        msg_flag: req.msg_flag,
        name_card: req.name_card,
        app_member_defined_data: req.app_member_defined_data,
        mute_time: req.mute_time.map(mute_time).transpose()?,
    };
    ctx.store()
        .modify_member(
            ctx.caller.app.sdkappid,
            id,
            account,
            changes,
            ctx.caller.identifier.clone(),
            ctx.now,
        )
        .await?;
    Ok(Empty {})
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct JoinedReq {
    #[serde(rename = "Member_Account", default, deserialize_with = "opt_account")]
    account: Option<String>,
    #[serde(default)]
    with_huge_groups: u8,
    #[serde(default)]
    with_no_active_groups: u8,
    limit: Option<u64>,
    #[serde(default)]
    offset: u64,
    group_type: Option<String>,
    support_topic: Option<u8>,
    #[serde(default, deserialize_with = "object")]
    response_filter: JoinedFilter,
}

#[derive(Deserialize, Default)]
struct JoinedFilter {
    #[serde(rename = "GroupBaseInfoFilter")]
    base: Option<Vec<String>>,
    #[serde(rename = "SelfInfoFilter")]
    self_info: Option<Vec<String>>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct JoinedResp {
    total_count: u64,
    group_id_list: Vec<Map<String, Value>>,
}

/// spec: groups.md §4.10. Groups in creation order. Hidden unless asked for: AVChatRoom
/// (`WithHugeGroups` 1, or `GroupType` AVChatRoom) and Work groups without a message yet
/// (`WithNoActiveGroups` 1). Each entry is `GroupId` plus the base fields `GroupBaseInfoFilter`
/// names and `SelfInfo` with the member fields `SelfInfoFilter` names (`Type` as its string
/// name). An account that does not exist simply has no groups.
pub async fn get_joined_group_list(ctx: &Ctx, req: JoinedReq) -> Result<JoinedResp, Failure> {
    let account = required(req.account, "Member_Account")?;
    let ty = match req.group_type.as_deref() {
        None | Some("") => None,
        Some(t) => Some(
            GroupType::parse(t)
                .ok_or_else(|| invalid(format!("GroupType {t:?} is not a group type")))?,
        ),
    };
    let query = JoinedQuery {
        ty,
        with_huge_groups: req.with_huge_groups == 1,
        with_inactive: req.with_no_active_groups == 1,
        support_topic: req
            .support_topic
            .filter(|_| ty == Some(GroupType::Community))
            .map(|t| t == 1),
        offset: req.offset,
        limit: req.limit,
    };
    let page = ctx
        .store()
        .joined_groups(ctx.caller.app.sdkappid, account, query)
        .await?;
    let app = ctx.caller.app.sdkappid;
    let filter = &req.response_filter;
    let base: &[String] = filter.base.as_deref().unwrap_or_default();
    let group_id_list = page
        .groups
        .iter()
        .map(|(g, m)| {
            let mut entry = group_fields(app, g, Fields::new(Some(base), None));
            if let Some(names) = &filter.self_info {
                let own = self_info(m, g.unread(m), ctx.now, Fields::new(Some(names), None));
                entry.insert("SelfInfo".into(), Value::Object(own));
            }
            entry
        })
        .collect();
    Ok(JoinedResp {
        total_count: page.total,
        group_id_list,
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RoleReq {
    group_id: Option<String>,
    #[serde(rename = "User_Account", default, deserialize_with = "opt_accounts")]
    accounts: Option<Vec<String>>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RoleResp {
    user_id_list: Vec<UserRole>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct UserRole {
    #[serde(rename = "Member_Account")]
    account: String,
    role: &'static str,
}

/// spec: groups.md §4.11. At most 500 accounts (10005); anyone not in the group, existing or
/// not, is `NotMember`.
pub async fn get_role_in_group(ctx: &Ctx, req: RoleReq) -> Result<RoleResp, Failure> {
    let id = group_id(req.group_id)?;
    let accounts = account_list(req.accounts, MAX_ROLE_QUERY, "User_Account")?;
    let roles = ctx
        .store()
        .roles(ctx.caller.app.sdkappid, id, accounts.clone())
        .await?;
    Ok(RoleResp {
        user_id_list: accounts
            .into_iter()
            .zip(roles)
            .map(|(account, role)| UserRole {
                account,
                role: role.map_or("NotMember", Role::as_str),
            })
            .collect(),
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ChangeOwnerReq {
    group_id: Option<String>,
    #[serde(rename = "NewOwner_Account", default, deserialize_with = "opt_account")]
    new_owner: Option<String>,
    #[serde(rename = "From_Account", default, deserialize_with = "opt_account")]
    from_account: Option<String>,
}

/// spec: groups.md §4.12. The new owner must exist (10019) and be a member (10007); the old
/// owner stays as a `Member`. Also gives an ownerless group an owner. `InfoSeq` + 1, and an
/// owner-changed tip is stored. AVChatRoom 10007. Naming the current owner changes nothing.
pub async fn change_group_owner(ctx: &Ctx, req: ChangeOwnerReq) -> Result<Empty, Failure> {
    let id = group_id(req.group_id)?;
    let new_owner = required(req.new_owner, "NewOwner_Account")?;
    let operator = operator(ctx, req.from_account).await?;
    ctx.store()
        .change_owner(ctx.caller.app.sdkappid, id, new_owner, operator, ctx.now)
        .await?;
    Ok(Empty {})
}
