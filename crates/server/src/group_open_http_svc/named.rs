//! get_specified_group_member_info: named members' profiles. spec: groups-more.md §2.

use super::views::{member_fields, Fields};
use super::{account_list, group_id, invalid};
use crate::envelope::opt_accounts;
use crate::failure::Failure;
use crate::Ctx;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use timber_core::group::{distinct, Role, MAX_NAMED_MEMBERS};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct NamedReq {
    group_id: Option<String>,
    #[serde(
        rename = "Member_List_Account",
        default,
        deserialize_with = "opt_accounts"
    )]
    accounts: Option<Vec<String>>,
    member_info_filter: Option<Vec<String>>,
    member_role_filter: Option<Vec<String>>,
    #[serde(rename = "AppDefinedDataFilter_GroupMember")]
    custom_filter: Option<Vec<String>>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct NamedResp {
    member_list: Vec<Map<String, Value>>,
}

/// spec: groups-more.md §2. At most 50 accounts (10005); the members among them, each once,
/// in request order, with the fields and custom keys the filters name (get_group_member_info's
/// views); accounts that are not members are left out (inferred). AVChatRoom 10007. No
/// `GroupId` in the answer (inferred).
pub async fn get_specified_group_member_info(
    ctx: &Ctx,
    req: NamedReq,
) -> Result<NamedResp, Failure> {
    let id = group_id(req.group_id)?;
    let accounts = account_list(req.accounts, MAX_NAMED_MEMBERS, "Member_List_Account")?;
    let roles = req
        .member_role_filter
        .unwrap_or_default()
        .iter()
        .map(|r| {
            Role::parse(r).ok_or_else(|| invalid(format!("MemberRoleFilter {r:?} is not a role")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let members = ctx
        .store()
        .named_members(ctx.caller.app.sdkappid, id, distinct(&accounts), roles)
        .await?;
    let view = Fields::new(
        req.member_info_filter.as_deref(),
        req.custom_filter.as_deref(),
    );
    Ok(NamedResp {
        member_list: members
            .iter()
            .map(|m| member_fields(m, ctx.now, view))
            .collect(),
    })
}
