//! `v4/million_group_open_http_svc/*` (create_topic, get_topic, modify_topic, destroy_topic)
//! and `group_open_http_svc/import_topic`: Community topics. spec: groups-more.md §8. The
//! group family's codes (10004, 10007, 10010, 10015, 10021…). Field checks happen here with
//! the rules of `timber_core::topic`; the community and the topics are the store's.

use crate::callbacks;
use crate::envelope::{opt_account, Empty};
use crate::failure::Failure;
use crate::group_open_http_svc::{group_id, invalid, operator, past_time, required};
use crate::Ctx;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use timber_core::callback::{BeforeKind, Verdict};
use timber_core::group::{check_user_id, GroupType};
use timber_core::topic::{
    parse_mute_all, validate_custom_topic_id, validate_topic_id, TopicProfile, TopicRecord,
    MAX_DESTROY_TOPICS,
};
use timber_core::{Error, ErrorCode};
use timber_store::topics::NewTopic;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateTopicReq {
    group_id: Option<String>,
    topic_name: Option<String>,
    topic_id: Option<String>,
    #[serde(rename = "From_Account", default, deserialize_with = "opt_account")]
    from: Option<String>,
    custom_string: Option<String>,
    face_url: Option<String>,
    notification: Option<String>,
    introduction: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct TopicIdResp {
    topic_id: String,
}

/// The profile of a new topic: `TopicName` required (10004), every limit of §8.1.
fn new_profile(
    name: Option<String>,
    face_url: Option<String>,
    notification: Option<String>,
    introduction: Option<String>,
    custom_string: Option<String>,
) -> Result<TopicProfile, Error> {
    let profile = TopicProfile {
        name: Some(required(name, "TopicName")?),
        face_url,
        notification,
        introduction,
        custom_string,
    };
    profile.check()?;
    Ok(profile)
}

/// A custom `TopicId`, if one is given (10004 when it is not the community's, §8.1).
fn custom_id(group_id: &str, topic_id: Option<String>) -> Result<Option<String>, Error> {
    match topic_id.filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(t) => {
            validate_custom_topic_id(group_id, &t)?;
            Ok(Some(t))
        }
    }
}

/// spec: groups-more.md §8.3. Asks `Group.CallbackBeforeCreateTopic` (a refusal is 10016)
/// and records `Group.CallbackAfterCreateTopic`.
pub async fn create_topic(ctx: &Ctx, req: CreateTopicReq) -> Result<TopicIdResp, Failure> {
    let id = group_id(req.group_id)?;
    let profile = new_profile(
        req.topic_name,
        req.face_url,
        req.notification,
        req.introduction,
        req.custom_string,
    )?;
    let topic_id = custom_id(&id, req.topic_id)?;
    let creator = operator(ctx, req.from).await?;
    if callbacks::wants_before(ctx, BeforeKind::CreateTopic) {
        let fields = json!({
            "GroupId": id,
            "Type": GroupType::Community.as_str(),
            "Operator_Account": creator,
            "Name": profile.name,
        });
        if let Verdict::Refuse(e) = callbacks::before(ctx, BeforeKind::CreateTopic, fields).await {
            return Err(e.into());
        }
    }
    let topic = NewTopic {
        topic_id,
        profile,
        creator,
        create_time: ctx.now,
        import: false,
    };
    let topic_id = ctx
        .store()
        .create_topic(ctx.caller.app.sdkappid, id, topic)
        .await?;
    Ok(TopicIdResp { topic_id })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ImportTopicReq {
    group_id: Option<String>,
    #[serde(rename = "Type")]
    ty: Option<String>,
    topic_id: Option<String>,
    topic_name: Option<String>,
    #[serde(rename = "From_Account", default, deserialize_with = "opt_account")]
    from: Option<String>,
    face_url: Option<String>,
    notification: Option<String>,
    introduction: Option<String>,
    custom_string: Option<String>,
    create_time: Option<i64>,
}

/// spec: groups-more.md §8.7 (under `group_open_http_svc`). No callbacks; `CreateTime` (not
/// in the future, 10004) as given; `Type`, when given, must be `Community` (10004).
pub async fn import_topic(ctx: &Ctx, req: ImportTopicReq) -> Result<TopicIdResp, Failure> {
    let id = group_id(req.group_id)?;
    if let Some(ty) = req
        .ty
        .as_deref()
        .filter(|t| *t != GroupType::Community.as_str())
    {
        return Err(invalid(format!("Type {ty:?}: topics are imported into a Community")).into());
    }
    let profile = new_profile(
        req.topic_name,
        req.face_url,
        req.notification,
        req.introduction,
        req.custom_string,
    )?;
    let topic_id = custom_id(&id, req.topic_id)?;
    let create_time = past_time("CreateTime", req.create_time, ctx.now)?;
    let creator = operator(ctx, req.from).await?;
    let topic = NewTopic {
        topic_id,
        profile,
        creator,
        create_time,
        import: true,
    };
    let topic_id = ctx
        .store()
        .create_topic(ctx.caller.app.sdkappid, id, topic)
        .await?;
    Ok(TopicIdResp { topic_id })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetTopicReq {
    group_id: Option<String>,
    #[serde(rename = "From_Account", default, deserialize_with = "opt_account")]
    from: Option<String>,
    topic_id_list: Option<Vec<String>>,
    response_filter: Option<Vec<String>>,
}

/// `TopicInfo`'s fields, as named by the SDK model (`GroupID` with a capital D, §8.4).
const TOPIC_INFO_FIELDS: &[&str] = &[
    "TopicId",
    "GroupID",
    "TopicName",
    "FaceUrl",
    "Notification",
    "Introduction",
    "CustomString",
    "CreateTime",
    "LastMsgTime",
    "NextMsgSeq",
    "ShutUpAllFlag",
];

fn topic_info(t: &TopicRecord, filter: Option<&[String]>) -> Value {
    let all = json!({
        "TopicId": t.topic_id,
        "GroupID": t.group_id,
        "TopicName": t.name,
        "FaceUrl": t.face_url,
        "Notification": t.notification,
        "Introduction": t.introduction,
        "CustomString": t.custom_string,
        "CreateTime": t.create_time,
        "LastMsgTime": t.last_msg_time,
        "NextMsgSeq": t.next_msg_seq,
        "ShutUpAllFlag": u8::from(t.mute_all),
    });
    match filter {
        None => all,
        // The ID always comes along: an entry without it could not be told apart (inferred).
        Some(names) => {
            let mut out = Map::new();
            for (k, v) in all.as_object().into_iter().flatten() {
                if k == "TopicId" || names.iter().any(|n| n == k) {
                    out.insert(k.clone(), v.clone());
                }
            }
            Value::Object(out)
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetTopicResp {
    topic_and_self_info: Vec<Value>,
}

/// spec: groups-more.md §8.4. Per topic its `TopicInfo` and `From_Account`'s `SelfInfo` (its
/// community `MsgFlag` and mute end; `MsgSeq`, a read position per topic, is not kept: 0),
/// or `ErrorCode` 10010 with empty objects; request order, else creation order. An unknown
/// `ResponseFilter` name is 10004.
pub async fn get_topic(ctx: &Ctx, req: GetTopicReq) -> Result<GetTopicResp, Failure> {
    let id = group_id(req.group_id)?;
    if let Some(bad) = req
        .response_filter
        .iter()
        .flatten()
        .find(|n| !TOPIC_INFO_FIELDS.contains(&n.as_str()))
    {
        return Err(invalid(format!(
            "ResponseFilter {bad:?} is not one of {TOPIC_INFO_FIELDS:?}"
        ))
        .into());
    }
    let member = req.from.filter(|f| !f.is_empty());
    if let Some(m) = &member {
        check_user_id("From_Account", m)?;
    }
    let view = ctx
        .store()
        .get_topics(ctx.caller.app.sdkappid, id, req.topic_id_list, member)
        .await?;
    let self_info = match &view.member {
        Some(m) => json!({"MsgSeq": 0, "MsgFlag": m.msg_flag, "ShutUpTime": m.mute_until}),
        None => json!({}),
    };
    let filter = req.response_filter.as_deref();
    let topic_and_self_info = view
        .topics
        .iter()
        .map(|(id, t)| match t {
            Ok(t) => json!({
                "TopicInfo": topic_info(t, filter),
                "SelfInfo": self_info,
                "ErrorCode": 0,
                "ErrorInfo": "",
            }),
            Err(e) => json!({
                "TopicInfo": {"TopicId": id},
                "SelfInfo": {},
                "ErrorCode": e.code.code(),
                "ErrorInfo": e.info,
            }),
        })
        .collect();
    Ok(GetTopicResp {
        topic_and_self_info,
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ModifyTopicReq {
    group_id: Option<String>,
    topic_id: Option<String>,
    #[serde(rename = "From_Account", default, deserialize_with = "opt_account")]
    from: Option<String>,
    topic_name: Option<String>,
    face_url: Option<String>,
    notification: Option<String>,
    introduction: Option<String>,
    custom_string: Option<String>,
    mute_all_member: Option<String>,
}

/// spec: groups-more.md §8.5. Records `Group.CallbackAfterTopicInfoChanged`; stores no tip.
pub async fn modify_topic(ctx: &Ctx, req: ModifyTopicReq) -> Result<Empty, Failure> {
    let id = group_id(req.group_id)?;
    let topic = required(req.topic_id, "TopicId")?;
    validate_topic_id(&id, &topic)?;
    let profile = TopicProfile {
        name: req.topic_name,
        face_url: req.face_url,
        notification: req.notification,
        introduction: req.introduction,
        custom_string: req.custom_string,
    };
    profile.check()?;
    let mute_all = req
        .mute_all_member
        .as_deref()
        .map(parse_mute_all)
        .transpose()?;
    let operator = operator(ctx, req.from).await?;
    ctx.store()
        .modify_topic(
            ctx.caller.app.sdkappid,
            id,
            topic,
            profile,
            mute_all,
            operator,
        )
        .await?;
    Ok(Empty {})
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DestroyTopicReq {
    group_id: Option<String>,
    topic_id_list: Option<Vec<String>>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DestroyItem {
    topic_id: String,
    error_code: u32,
    error_info: String,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DestroyTopicResp {
    destroy_result_item: Vec<DestroyItem>,
}

/// spec: groups-more.md §8.6. 1–100 topics (10004); per topic 0 or 10010. Their messages go
/// with them (purged in the background); a custom ID may be created again.
pub async fn destroy_topic(ctx: &Ctx, req: DestroyTopicReq) -> Result<DestroyTopicResp, Failure> {
    let id = group_id(req.group_id)?;
    let list = required(req.topic_id_list, "TopicIdList")?;
    if list.is_empty() || list.len() > MAX_DESTROY_TOPICS {
        return Err(invalid(format!(
            "TopicIdList has {} entries; 1-{MAX_DESTROY_TOPICS} are allowed",
            list.len()
        ))
        .into());
    }
    let results = ctx
        .store()
        .destroy_topics(ctx.caller.app.sdkappid, id, list, ctx.now)
        .await?;
    let destroy_result_item = results
        .into_iter()
        .map(|(topic_id, code)| DestroyItem {
            topic_id,
            error_code: code.map_or(0, ErrorCode::code),
            error_info: code.map_or("", ErrorCode::meaning).to_owned(),
        })
        .collect();
    Ok(DestroyTopicResp {
        destroy_result_item,
    })
}
