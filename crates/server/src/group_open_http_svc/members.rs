//! Group membership. spec: groups.md §4.6–§4.16.

use super::{check_count, group_id, required};
use crate::Ctx;
use serde::{Deserialize, Serialize};
use timber_core::group::MAX_ADD_MEMBERS;
use timber_core::Error;
use timber_store::groups::NewMember;

#[derive(Deserialize)]
pub struct AddMemberReq {
    #[serde(rename = "GroupId")]
    group_id: Option<String>,
    #[serde(rename = "MemberList")]
    member_list: Option<Vec<MemberAccount>>,
    /// 1 = tell only the added members (no tip to the group).
    #[serde(rename = "Silence", default)]
    silence: u8,
}

#[derive(Deserialize)]
pub(crate) struct MemberAccount {
    #[serde(
        rename = "Member_Account",
        deserialize_with = "crate::envelope::account"
    )]
    pub account: String,
}

#[derive(Serialize)]
pub(crate) struct MemberResult {
    #[serde(rename = "Member_Account")]
    pub account: String,
    #[serde(rename = "Result")]
    pub result: u8,
}

#[derive(Serialize)]
pub struct AddMemberResp {
    #[serde(rename = "MemberList")]
    member_list: Vec<MemberResult>,
}

/// spec: groups.md §4.6
pub async fn add_group_member(ctx: &Ctx, req: AddMemberReq) -> Result<AddMemberResp, Error> {
    let id = group_id(req.group_id)?;
    let list = required(req.member_list, "MemberList")?;
    if list.is_empty() {
        return Err(ctx.service.invalid("MemberList is empty"));
    }
    check_count(list.len(), MAX_ADD_MEMBERS, "MemberList")?;
    let members: Vec<NewMember> = list
        .iter()
        .map(|m| NewMember::member(m.account.clone(), ctx.now))
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
        .await
        .map_err(|e| ctx.store_err(e))?;
    let member_list = list
        .into_iter()
        .zip(results)
        .map(|(m, r)| MemberResult {
            account: m.account,
            result: r as u8,
        })
        .collect();
    Ok(AddMemberResp { member_list })
}
