//! Group lifecycle and profile: create, destroy, read. spec: groups.md §4.1–§4.5.

use super::{check_count, group_id, required};
use crate::envelope::{opt_account, Empty};
use crate::Ctx;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use timber_core::group::{
    check_len, validate_custom_fields, validate_custom_group_id, validate_enum, GroupType,
    KeyValue, Role, APPLY_JOIN_OPTIONS, DEFAULT_APPLY_JOIN_OPTION, INVITE_JOIN_OPTIONS,
    MAX_CREATE_MEMBERS, MAX_FACE_URL_BYTES, MAX_GROUP_CUSTOM_FIELDS, MAX_GROUP_CUSTOM_VALUE_BYTES,
    MAX_INFO_GROUPS, MAX_INTRODUCTION_BYTES, MAX_MEMBER_CUSTOM_FIELDS,
    MAX_MEMBER_CUSTOM_VALUE_BYTES, MAX_NAME_BYTES, MAX_NOTIFICATION_BYTES, ON_OFF,
};
use timber_core::{Error, ErrorCode};
use timber_store::groups::{GroupWithMembers, MemberRecord, NewGroup, NewMember};

/// The fields create_group and import_group share (groups.md §4.1, §4.15).
#[derive(Deserialize)]
pub(crate) struct GroupBaseReq {
    #[serde(rename = "Type")]
    ty: Option<String>,
    #[serde(rename = "Name")]
    name: Option<String>,
    #[serde(rename = "GroupId")]
    group_id: Option<String>,
    #[serde(rename = "Owner_Account", default, deserialize_with = "opt_account")]
    owner: Option<String>,
    #[serde(rename = "Introduction")]
    introduction: Option<String>,
    #[serde(rename = "Notification")]
    notification: Option<String>,
    #[serde(rename = "FaceUrl")]
    face_url: Option<String>,
    #[serde(rename = "MaxMemberCount")]
    max_member_count: Option<u64>,
    #[serde(rename = "ApplyJoinOption")]
    apply_join_option: Option<String>,
    #[serde(rename = "AppDefinedData", default)]
    app_defined_data: Vec<KeyValue>,
    #[serde(rename = "SupportTopic")]
    support_topic: Option<u8>,
}

#[derive(Deserialize)]
pub struct CreateGroupReq {
    #[serde(flatten)]
    base: GroupBaseReq,
    #[serde(rename = "InviteJoinOption")]
    invite_join_option: Option<String>,
    #[serde(rename = "MuteAllMember")]
    mute_all_member: Option<String>,
    #[serde(rename = "MemberList", default)]
    member_list: Vec<CreateMember>,
    /// Default member custom fields for every listed member.
    #[serde(rename = "AppMemberDefinedData", default)]
    app_member_defined_data: Vec<KeyValue>,
}

#[derive(Deserialize)]
struct CreateMember {
    #[serde(
        rename = "Member_Account",
        deserialize_with = "crate::envelope::account"
    )]
    account: String,
    #[serde(rename = "Role")]
    role: Option<String>,
    #[serde(rename = "AppMemberDefinedData")]
    app_member_defined_data: Option<Vec<KeyValue>>,
}

#[derive(Serialize)]
pub struct CreateGroupResp {
    #[serde(rename = "GroupId")]
    group_id: String,
}

/// The role a member may be given on creation or import: `Admin` (not in Work groups) or
/// `Member`; never `Owner` (groups.md §4.1).
pub(crate) fn initial_role(ty: GroupType, role: Option<&str>) -> Result<Role, Error> {
    match role {
        None | Some("Member") => Ok(Role::Member),
        Some("Admin") if ty.has_admins() => Ok(Role::Admin),
        Some("Admin") => Err(Error::new(
            ErrorCode::GroupPermissionDenied,
            format!("{} groups have no admins", ty.as_str()),
        )),
        Some(other) => Err(Error::new(
            ErrorCode::GroupInvalidParameter,
            format!("Role {other:?} is not allowed here; use Admin or Member"),
        )),
    }
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
        if name.is_empty() {
            return Err(Error::new(
                ErrorCode::GroupInvalidParameter,
                "Name must not be empty",
            ));
        }
        check_len("Name", &name, MAX_NAME_BYTES)?;
        let introduction = self.introduction.unwrap_or_default();
        check_len("Introduction", &introduction, MAX_INTRODUCTION_BYTES)?;
        let notification = self.notification.unwrap_or_default();
        check_len("Notification", &notification, MAX_NOTIFICATION_BYTES)?;
        let face_url = self.face_url.unwrap_or_default();
        check_len("FaceUrl", &face_url, MAX_FACE_URL_BYTES)?;
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
        let apply_join_option = self
            .apply_join_option
            .unwrap_or_else(|| DEFAULT_APPLY_JOIN_OPTION.to_owned());
        validate_enum("ApplyJoinOption", &apply_join_option, APPLY_JOIN_OPTIONS)?;
        validate_custom_fields(
            &self.app_defined_data,
            MAX_GROUP_CUSTOM_FIELDS,
            MAX_GROUP_CUSTOM_VALUE_BYTES,
        )?;
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
            mute_all: false,
            support_topic: ty == GroupType::Community && self.support_topic == Some(1),
            app_defined_data: self.app_defined_data,
            members: Vec::new(),
        })
    }
}

/// spec: groups.md §4.1
pub async fn create_group(ctx: &Ctx, req: CreateGroupReq) -> Result<CreateGroupResp, Error> {
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
    if let Some(v) = req.mute_all_member {
        validate_enum("MuteAllMember", &v, ON_OFF)?;
        group.mute_all = v == "On";
    }
    validate_custom_fields(
        &req.app_member_defined_data,
        MAX_MEMBER_CUSTOM_FIELDS,
        MAX_MEMBER_CUSTOM_VALUE_BYTES,
    )?;
    for m in req.member_list {
        let role = initial_role(ty, m.role.as_deref())?;
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
    let group_id = ctx
        .store()
        .create_group(ctx.caller.app.sdkappid, group, ctx.now)
        .await
        .map_err(|e| ctx.store_err(e))?;
    Ok(CreateGroupResp { group_id })
}

#[derive(Deserialize)]
pub struct GroupIdReq {
    #[serde(rename = "GroupId")]
    group_id: Option<String>,
}

/// spec: groups.md §4.2
pub async fn destroy_group(ctx: &Ctx, req: GroupIdReq) -> Result<Empty, Error> {
    let id = group_id(req.group_id)?;
    ctx.store()
        .destroy_group(ctx.caller.app.sdkappid, id)
        .await
        .map_err(|e| ctx.store_err(e))?;
    Ok(Empty {})
}

#[derive(Deserialize)]
pub struct GetGroupInfoReq {
    #[serde(rename = "GroupIdList")]
    group_id_list: Option<Vec<String>>,
}

#[derive(Serialize)]
pub struct GetGroupInfoResp {
    #[serde(rename = "GroupInfo")]
    group_info: Vec<Map<String, Value>>,
}

/// spec: groups.md §4.4. Per-group failures (malformed or unknown ID) are reported inside each
/// entry while the call itself succeeds.
pub async fn get_group_info(ctx: &Ctx, req: GetGroupInfoReq) -> Result<GetGroupInfoResp, Error> {
    let ids = required(req.group_id_list, "GroupIdList")?;
    if ids.is_empty() {
        return Err(Error::new(
            ErrorCode::GroupInvalidParameter,
            "GroupIdList is empty",
        ));
    }
    check_count(ids.len(), MAX_INFO_GROUPS, "GroupIdList")?;
    let groups = ctx
        .store()
        .get_groups(ctx.caller.app.sdkappid, ids.clone(), true)
        .await
        .map_err(|e| ctx.store_err(e))?;
    let group_info = ids
        .iter()
        .zip(groups)
        .map(
            |(id, g)| match (timber_core::group::validate_group_id(id), g) {
                (Err(e), _) => entry_error(id, &e),
                (Ok(()), None) => entry_error(
                    id,
                    &Error::new(
                        ErrorCode::GroupNotFound,
                        "group does not exist or was dissolved",
                    ),
                ),
                (Ok(()), Some(g)) => group_info_entry(ctx.caller.app.sdkappid, &g),
            },
        )
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

/// Every base field of a group, under the names of groups.md §3.1.
pub(crate) fn group_info_entry(app: u64, g: &GroupWithMembers) -> Map<String, Value> {
    let r = &g.group;
    let mut m = Map::new();
    m.insert("GroupId".into(), json!(r.group_id));
    m.insert("ErrorCode".into(), json!(0));
    m.insert("ErrorInfo".into(), json!(""));
    m.insert("Type".into(), json!(r.ty.as_str()));
    m.insert("Name".into(), json!(r.name));
    m.insert("Appid".into(), json!(app));
    m.insert("Introduction".into(), json!(r.introduction));
    m.insert("Notification".into(), json!(r.notification));
    m.insert("FaceUrl".into(), json!(r.face_url));
    m.insert("Owner_Account".into(), json!(r.owner));
    m.insert("CreateTime".into(), json!(r.create_time));
    m.insert("InfoSeq".into(), json!(r.info_seq));
    m.insert("LastInfoTime".into(), json!(r.last_info_time));
    m.insert("LastMsgTime".into(), json!(r.last_msg_time));
    m.insert("NextMsgSeq".into(), json!(r.next_msg_seq));
    m.insert("MemberNum".into(), json!(r.member_num));
    m.insert("MaxMemberNum".into(), json!(r.max_member_num));
    m.insert("ApplyJoinOption".into(), json!(r.apply_join_option));
    if let Some(v) = &r.invite_join_option {
        m.insert("InviteJoinOption".into(), json!(v));
    }
    m.insert(
        "MuteAllMember".into(),
        json!(if r.mute_all { "On" } else { "Off" }),
    );
    m.insert("AppDefinedData".into(), json!(r.app_defined_data));
    m.insert(
        "MemberList".into(),
        Value::Array(
            g.members
                .iter()
                .map(member_entry)
                .map(Value::Object)
                .collect(),
        ),
    );
    m
}

/// Every field of a member, under the names of groups.md §3.2.
pub(crate) fn member_entry(mr: &MemberRecord) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("Member_Account".into(), json!(mr.account));
    m.insert("Role".into(), json!(mr.role.as_str()));
    m.insert("JoinTime".into(), json!(mr.join_time));
    m.insert("MsgSeq".into(), json!(mr.read_seq));
    m.insert("MsgFlag".into(), json!(mr.msg_flag));
    m.insert("LastSendMsgTime".into(), json!(mr.last_send_time));
    m.insert("MuteUntil".into(), json!(mr.mute_until));
    m.insert("NameCard".into(), json!(mr.name_card));
    m.insert(
        "AppMemberDefinedData".into(),
        json!(mr.app_member_defined_data),
    );
    m
}
