//! Groups themselves: create, import, destroy, list, read and modify. spec: groups.md §4.1–§4.5,
//! §4.15, §4.17.

use super::cursor;
use super::views::{group_fields, member_fields, Fields, GroupInfoFilter};
use super::{assignable_role, check_count, group_id, invalid, operator, past_time, required};
use crate::callbacks;
use crate::envelope::{objects, opt_account, opt_object, opt_objects, Empty};
use crate::failure::Failure;
use crate::Ctx;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use timber_core::callback::{member_list, BeforeKind, Verdict};
use timber_core::group::{
    check_text, validate_custom_fields, validate_custom_group_id, validate_enum, validate_group_id,
    GroupOp, GroupType, KeyValue, APPLY_JOIN_OPTIONS, DEFAULT_APPLY_JOIN_OPTION,
    INVITE_JOIN_OPTIONS, MAX_CREATE_MEMBERS, MAX_FACE_URL_BYTES, MAX_GROUP_CUSTOM_FIELDS,
    MAX_GROUP_CUSTOM_VALUE_BYTES, MAX_GROUP_LIST_LIMIT, MAX_INFO_GROUPS, MAX_INTRODUCTION_BYTES,
    MAX_MEMBER_CUSTOM_FIELDS, MAX_MEMBER_CUSTOM_VALUE_BYTES, MAX_NAME_BYTES,
    MAX_NOTIFICATION_BYTES, ON_OFF,
};
use timber_core::group::{GroupChanges, NewGroup, NewMember};
use timber_core::{Error, ErrorCode};

/// The fields create_group and import_group share (groups.md §4.1, §4.15).
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct GroupBaseReq {
    #[serde(rename = "Type")]
    ty: Option<String>,
    name: Option<String>,
    group_id: Option<String>,
    #[serde(rename = "Owner_Account", default, deserialize_with = "opt_account")]
    owner: Option<String>,
    introduction: Option<String>,
    notification: Option<String>,
    face_url: Option<String>,
    max_member_count: Option<u64>,
    apply_join_option: Option<String>,
    /// Older docs name it `ShutUpAllMember`.
    #[serde(alias = "ShutUpAllMember")]
    mute_all_member: Option<String>,
    #[serde(default, deserialize_with = "objects")]
    app_defined_data: Vec<KeyValue>,
    support_topic: Option<u8>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateGroupReq {
    #[serde(flatten)]
    base: GroupBaseReq,
    invite_join_option: Option<String>,
    #[serde(default, deserialize_with = "objects")]
    member_list: Vec<CreateMember>,
    /// Default member custom fields for every listed member.
    #[serde(default, deserialize_with = "objects")]
    app_member_defined_data: Vec<KeyValue>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CreateMember {
    #[serde(
        rename = "Member_Account",
        deserialize_with = "crate::envelope::account"
    )]
    account: String,
    role: Option<String>,
    #[serde(default, deserialize_with = "opt_objects")]
    app_member_defined_data: Option<Vec<KeyValue>>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateGroupResp {
    group_id: String,
}

impl GroupBaseReq {
    /// Checks every field against the documented limits and fills the defaults; the result
    /// is a group without members, created at `create_time`.
    pub(crate) fn into_new_group(self, create_time: i64) -> Result<NewGroup, Error> {
        let ty_name = required(self.ty, "Type")?;
        let ty = GroupType::parse(&ty_name).ok_or_else(|| {
            Error::new(
                ErrorCode::GroupInvalidParameter,
                format!("Type {ty_name:?} is not a group type"),
            )
        })?;
        let group_id = self.group_id.filter(|id| !id.is_empty());
        if let Some(id) = &group_id {
            validate_custom_group_id(id, ty)?;
        }
        let name = required(self.name, "Name")?;
        check_name(&name)?;
        let introduction = self.introduction.unwrap_or_default();
        check_text("Introduction", &introduction, MAX_INTRODUCTION_BYTES)?;
        let notification = self.notification.unwrap_or_default();
        check_text("Notification", &notification, MAX_NOTIFICATION_BYTES)?;
        let face_url = self.face_url.unwrap_or_default();
        check_text("FaceUrl", &face_url, MAX_FACE_URL_BYTES)?;
        let max_member_num = match self.max_member_count {
            // AVChatRoom has no member limit; the field is ignored (groups.md §1.4).
            _ if ty == GroupType::AVChatRoom => ty.default_max_members(),
            None => ty.default_max_members(),
            Some(n) if n == 0 || n > ty.member_ceiling() => {
                return Err(Error::new(
                    ErrorCode::GroupInvalidParameter,
                    format!(
                        "MaxMemberCount must be 1-{} for {} groups",
                        ty.member_ceiling(),
                        ty.as_str()
                    ),
                ))
            }
            Some(n) => n,
        };
        let mut apply_join_option = self
            .apply_join_option
            .unwrap_or_else(|| DEFAULT_APPLY_JOIN_OPTION.to_owned());
        validate_enum("ApplyJoinOption", &apply_join_option, APPLY_JOIN_OPTIONS)?;
        if let Some(fixed) = ty.fixed_apply_join_option() {
            fixed.clone_into(&mut apply_join_option);
        }
        validate_custom_fields(
            &self.app_defined_data,
            MAX_GROUP_CUSTOM_FIELDS,
            MAX_GROUP_CUSTOM_VALUE_BYTES,
        )?;
        let mute_all = match self.mute_all_member {
            Some(v) => on_off("MuteAllMember", &v)?,
            None => false,
        };
        Ok(NewGroup {
            group_id,
            ty,
            name,
            introduction,
            notification,
            face_url,
            owner: self.owner.filter(|o| !o.is_empty()),
            create_time,
            max_member_num,
            apply_join_option,
            invite_join_option: None,
            mute_all,
            support_topic: ty == GroupType::Community && self.support_topic == Some(1),
            app_defined_data: self.app_defined_data,
            members: Vec::new(),
        })
    }
}

/// `Name` is required at creation and may never become empty (≤ 30 bytes).
fn check_name(name: &str) -> Result<(), Error> {
    if name.is_empty() {
        return Err(invalid("Name must not be empty"));
    }
    check_text("Name", name, MAX_NAME_BYTES)
}

/// `On` / `Off` as a flag (10004 otherwise).
fn on_off(field: &str, v: &str) -> Result<bool, Error> {
    validate_enum(field, v, ON_OFF)?;
    Ok(v == "On")
}

/// spec: groups.md §4.1. Decisions: accounts that do not exist refuse the whole request
/// (10019); more members than `MaxMemberCount` is 10038; no member-joined tips are stored for
/// the initial members (the group starts at `NextMsgSeq` 1).
pub async fn create_group(ctx: &Ctx, req: CreateGroupReq) -> Result<CreateGroupResp, Failure> {
    let mut group = req.base.into_new_group(ctx.now)?;
    let ty = group.ty;
    check_count(req.member_list.len(), MAX_CREATE_MEMBERS, "MemberList")?;
    group.invite_join_option = match req.invite_join_option {
        // Not a field of AVChatRoom groups (groups.md §3.1): ignored there.
        Some(_) if ty == GroupType::AVChatRoom => None,
        Some(v) => {
            validate_enum("InviteJoinOption", &v, INVITE_JOIN_OPTIONS)?;
            Some(v)
        }
        None => None,
    };
    validate_custom_fields(
        &req.app_member_defined_data,
        MAX_MEMBER_CUSTOM_FIELDS,
        MAX_MEMBER_CUSTOM_VALUE_BYTES,
    )?;
    for m in req.member_list {
        let role = assignable_role(m.role.as_deref())?;
        let custom = m
            .app_member_defined_data
            .unwrap_or_else(|| req.app_member_defined_data.clone());
        validate_custom_fields(
            &custom,
            MAX_MEMBER_CUSTOM_FIELDS,
            MAX_MEMBER_CUSTOM_VALUE_BYTES,
        )?;
        group.members.push(NewMember {
            role,
            app_member_defined_data: custom,
            ..NewMember::member(m.account, ctx.now)
        });
    }
    crate::moderation::check_fields(
        ctx,
        &[
            ("Name", group.name.as_str()),
            ("Introduction", group.introduction.as_str()),
            ("Notification", group.notification.as_str()),
        ],
        ErrorCode::MsgFiltered,
    )
    .await?;
    if callbacks::wants_before(ctx, BeforeKind::CreateGroup) {
        let owner = group.owner.as_deref().unwrap_or("");
        let fields = json!({
            "Operator_Account": ctx.caller.identifier,
            "Owner_Account": owner,
            "Type": group.ty.as_str(),
            "Name": group.name,
            // Not counted: timber keeps no per-creator totals (simplification).
            "CreateGroupNum": 0,
            "MemberList": member_list(group.members.iter().map(|m| m.account.as_str())),
        });
        if let Verdict::Refuse(e) = callbacks::before(ctx, BeforeKind::CreateGroup, fields).await {
            return Err(e.into());
        }
    }
    let group_id = ctx
        .store()
        .create_group(ctx.caller.app.sdkappid, group, ctx.now)
        .await?;
    Ok(CreateGroupResp { group_id })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GroupIdReq {
    group_id: Option<String>,
}

/// spec: groups.md §4.2. O(1): the group row goes and its ID answers 10010 from now on; its
/// members and messages are left for the background purge, and every read joins live groups.
pub async fn destroy_group(ctx: &Ctx, req: GroupIdReq) -> Result<Empty, Failure> {
    let id = group_id(req.group_id)?;
    ctx.store()
        .destroy_group(ctx.caller.app.sdkappid, id)
        .await?;
    Ok(Empty {})
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ImportGroupReq {
    #[serde(flatten)]
    base: GroupBaseReq,
    /// Unix seconds; default now.
    create_time: Option<i64>,
}

/// spec: groups.md §4.15. Like create_group without members: no tips, no callbacks. The owner
/// joins at `CreateTime`. AVChatRoom cannot be imported (10007).
pub async fn import_group(ctx: &Ctx, req: ImportGroupReq) -> Result<CreateGroupResp, Failure> {
    let create_time = past_time("CreateTime", req.create_time, ctx.now)?;
    let group = req.base.into_new_group(create_time)?;
    group.ty.check(GroupOp::ImportGroup)?;
    let group_id = ctx
        .store()
        .create_group(ctx.caller.app.sdkappid, group, ctx.now)
        .await?;
    Ok(CreateGroupResp { group_id })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GroupListReq {
    limit: Option<u64>,
    #[serde(default)]
    next: u64,
    group_type: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GroupListResp {
    total_count: u64,
    group_id_list: Vec<GroupIdItem>,
    next: u64,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GroupIdItem {
    group_id: String,
}

/// The legacy type get_appid_group_list still filters by; timber never creates one.
const BCHATROOM: &str = "BChatRoom";

/// spec: groups.md §4.3. Groups come in creation order; `Next` points after the page's last
/// group (0 when finished) and is checked (`cursor.rs`): one this app was not given is 10004.
/// `Limit` 0 or absent means 10,000.
pub async fn get_appid_group_list(ctx: &Ctx, req: GroupListReq) -> Result<GroupListResp, Failure> {
    let app = ctx.caller.app.sdkappid;
    let after = cursor::group_list_after(app, req.next)?;
    let limit = match req.limit {
        None | Some(0) => MAX_GROUP_LIST_LIMIT,
        Some(n) if n > MAX_GROUP_LIST_LIMIT => {
            return Err(invalid(format!("Limit must be at most {MAX_GROUP_LIST_LIMIT}")).into())
        }
        Some(n) => n,
    };
    let ty = match req.group_type.as_deref() {
        None | Some("") => None,
        Some(BCHATROOM) => {
            return Ok(GroupListResp {
                total_count: 0,
                group_id_list: Vec::new(),
                next: 0,
            })
        }
        Some(t) => Some(
            GroupType::parse(t)
                .ok_or_else(|| invalid(format!("GroupType {t:?} is not a group type")))?,
        ),
    };
    let page = ctx.store().list_groups(app, ty, after, limit).await?;
    let next = match page.next {
        0 => 0,
        gkey => cursor::group_list_next(app, gkey).ok_or_else(|| {
            Failure::internal(format!("group key {gkey} is too large for a cursor"))
        })?,
    };
    Ok(GroupListResp {
        total_count: page.total,
        group_id_list: page
            .group_ids
            .into_iter()
            .map(|group_id| GroupIdItem { group_id })
            .collect(),
        next,
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetGroupInfoReq {
    group_id_list: Option<Vec<String>>,
    #[serde(default, deserialize_with = "opt_object")]
    response_filter: Option<GroupInfoFilter>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetGroupInfoResp {
    group_info: Vec<Map<String, Value>>,
}

/// spec: groups.md §4.4. One entry per requested ID, in request order; a malformed (10015) or
/// unknown/destroyed (10010) ID is reported in its entry while the call succeeds. Without
/// `ResponseFilter` everything is returned; see `views` for the filter rules. AVChatRoom
/// member lists are empty (the type keeps no member list).
pub async fn get_group_info(ctx: &Ctx, req: GetGroupInfoReq) -> Result<GetGroupInfoResp, Failure> {
    let ids = required(req.group_id_list, "GroupIdList")?;
    if ids.is_empty() {
        return Err(invalid("GroupIdList is empty").into());
    }
    check_count(ids.len(), MAX_INFO_GROUPS, "GroupIdList")?;
    let filter = req.response_filter;
    let (group_view, member_view) = match &filter {
        None => (Fields::ALL, Some(Fields::ALL)),
        Some(f) => (f.group(), f.members()),
    };
    let groups = ctx
        .store()
        .get_groups(ctx.caller.app.sdkappid, ids.clone(), member_view.is_some())
        .await?;
    let app = ctx.caller.app.sdkappid;
    let group_info = ids
        .iter()
        .zip(groups)
        .map(|(id, g)| {
            let g = match (validate_group_id(id), g) {
                (Err(e), _) => return entry_error(id, &e),
                (Ok(()), None) => {
                    return entry_error(id, &Error::from(ErrorCode::GroupNotFound));
                }
                (Ok(()), Some(g)) => g,
            };
            let mut entry = Map::new();
            entry.insert("GroupId".into(), json!(g.group.group_id));
            entry.insert("ErrorCode".into(), json!(0));
            entry.insert("ErrorInfo".into(), json!(""));
            entry.extend(group_fields(app, &g.group, group_view));
            if let Some(view) = member_view {
                let members: Vec<Value> = if g.group.ty == GroupType::AVChatRoom {
                    Vec::new()
                } else {
                    g.members
                        .iter()
                        .map(|m| Value::Object(member_fields(m, ctx.now, view)))
                        .collect()
                };
                entry.insert("MemberList".into(), Value::Array(members));
            }
            entry
        })
        .collect();
    Ok(GetGroupInfoResp { group_info })
}

fn entry_error(id: &str, e: &Error) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("GroupId".into(), json!(id));
    m.insert("ErrorCode".into(), json!(e.code.code()));
    m.insert("ErrorInfo".into(), json!(e.info));
    m
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ModifyGroupReq {
    group_id: Option<String>,
    name: Option<String>,
    introduction: Option<String>,
    notification: Option<String>,
    face_url: Option<String>,
    max_member_num: Option<u64>,
    apply_join_option: Option<String>,
    invite_join_option: Option<String>,
    /// Older docs name it `ShutUpAllMember`.
    #[serde(alias = "ShutUpAllMember")]
    mute_all_member: Option<String>,
    history_msg_before_join: Option<String>,
    #[serde(default, deserialize_with = "objects")]
    app_defined_data: Vec<KeyValue>,
    #[serde(rename = "From_Account", default, deserialize_with = "opt_account")]
    from_account: Option<String>,
}

/// spec: groups.md §4.5. `InfoSeq` + 1 and `LastInfoTime` = now; a change of name,
/// introduction, notification or avatar stores a profile tip (taking a MsgSeq) in the types
/// that store them. `MaxMemberNum` below the member count is 10004; AVChatRoom ignores it, and
/// Work groups keep `ApplyJoinOption` `DisableApply`. An empty custom-field value deletes the key.
pub async fn modify_group_base_info(ctx: &Ctx, req: ModifyGroupReq) -> Result<Empty, Failure> {
    let id = group_id(req.group_id)?;
    if let Some(name) = &req.name {
        check_name(name)?;
    }
    for (field, value, max) in [
        ("Introduction", &req.introduction, MAX_INTRODUCTION_BYTES),
        ("Notification", &req.notification, MAX_NOTIFICATION_BYTES),
        ("FaceUrl", &req.face_url, MAX_FACE_URL_BYTES),
    ] {
        if let Some(v) = value {
            check_text(field, v, max)?;
        }
    }
    if let Some(v) = &req.apply_join_option {
        validate_enum("ApplyJoinOption", v, APPLY_JOIN_OPTIONS)?;
    }
    if let Some(v) = &req.invite_join_option {
        validate_enum("InviteJoinOption", v, INVITE_JOIN_OPTIONS)?;
    }
    let mute_all = req
        .mute_all_member
        .map(|v| on_off("MuteAllMember", &v))
        .transpose()?;
    let history_before_join = req
        .history_msg_before_join
        .map(|v| on_off("HistoryMsgBeforeJoin", &v))
        .transpose()?;
    // Values are checked here; the count after merging is checked by the store.
    validate_custom_fields(
        &req.app_defined_data,
        MAX_GROUP_CUSTOM_FIELDS,
        MAX_GROUP_CUSTOM_VALUE_BYTES,
    )?;
    let texts: Vec<(&str, &str)> = [
        ("Name", &req.name),
        ("Introduction", &req.introduction),
        ("Notification", &req.notification),
    ]
    .into_iter()
    .filter_map(|(f, v)| v.as_deref().map(|v| (f, v)))
    .collect();
    crate::moderation::check_fields(ctx, &texts, ErrorCode::MsgFiltered).await?;
    let operator = operator(ctx, req.from_account).await?;
    let changes = GroupChanges {
        name: req.name,
        introduction: req.introduction,
        notification: req.notification,
        face_url: req.face_url,
        max_member_num: req.max_member_num,
        apply_join_option: req.apply_join_option,
        invite_join_option: req.invite_join_option,
        mute_all,
        history_before_join,
        app_defined_data: req.app_defined_data,
    };
    ctx.store()
        .modify_group(ctx.caller.app.sdkappid, id, changes, operator, ctx.now)
        .await?;
    Ok(Empty {})
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct OnlineMemberNumResp {
    online_member_num: u64,
}

/// spec: groups.md §4.17. AVChatRoom only (others 10007, our choice among conflicting pages):
/// the members present in the room over the member protocol, through any node.
pub async fn get_online_member_num(
    ctx: &Ctx,
    req: GroupIdReq,
) -> Result<OnlineMemberNumResp, Failure> {
    let id = group_id(req.group_id)?;
    let found = ctx
        .store()
        .get_groups(ctx.caller.app.sdkappid, vec![id.clone()], false)
        .await?;
    let Some(Some(g)) = found.into_iter().next() else {
        return Err(Error::new(
            ErrorCode::GroupNotFound,
            format!("group {id:?} does not exist or was dissolved"),
        )
        .into());
    };
    g.group.ty.check(GroupOp::OnlineMemberNum)?;
    // The members present through any node (members.md §6).
    let online = crate::member::room_members(&ctx.state, ctx.caller.app.sdkappid, &id)
        .await
        .len();
    Ok(OnlineMemberNumResp {
        online_member_num: online as u64,
    })
}
