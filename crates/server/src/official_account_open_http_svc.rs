//! `v4/official_account_open_http_svc/*`: official accounts, their subscribers, broadcasts,
//! recall and history. spec: push-and-operations.md §5, §8. The rules are
//! `timber_core::official`'s; the codes are the group family's (10004 a bad field, 10010 an
//! unknown account, 10021 a custom ID in use) and 20001 for a body that is not JSON.
//!
//! The `OfficialAccount.*` callbacks: the before-callbacks of create, send and add subscriber
//! are asked here,
//! before the store is touched (`crate::callbacks::before`); the after-events are recorded by
//! the store operations in their transactions (`timber_store::ops::official`). Under the
//! app's `rate_limits = "cloud"` a send is held to the cloud's 1 message a second and 2
//! broadcasts an hour per account (10023, `crate::rate_limits`).

use crate::callbacks;
use crate::envelope::{self, account, Empty, Service};
use crate::failure::Failure;
use crate::msg_body::{check_size, checked_body, checked_raw};
use crate::Ctx;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{json, Map, Value};
use timber_core::callback::{BeforeKind, Verdict};
use timber_core::official::{
    self as oa, check_custom_id, generated_id, info_fields, parse_msg_key, BaseInfoEdit,
    NewOfficialMsg, OfficialAccount, Subscriber,
};
use timber_core::{Error, ErrorCode};
use timber_store::official::{NewOfficial, OfficialRecall};
use timber_store::StoreError;

fn invalid(info: impl Into<String>) -> Error {
    Service::Official.invalid(info)
}

/// Generated IDs collide with a taken one about never; a few tries settle it.
const ID_TRIES: usize = 5;

#[derive(Deserialize)]
pub struct CreateReq {
    #[serde(rename = "Owner_Account", deserialize_with = "account")]
    owner: String,
    #[serde(rename = "OfficialAccountUserID", default)]
    id: Option<String>,
    #[serde(rename = "Name")]
    name: String,
    #[serde(flatten)]
    rest: InfoFields,
}

/// The optional text fields and the subscriber limit, shared by create and modify.
#[derive(Deserialize, Default)]
struct InfoFields {
    #[serde(rename = "Introduction", default)]
    introduction: Option<String>,
    #[serde(rename = "FaceUrl", default)]
    face_url: Option<String>,
    #[serde(rename = "Organization", default)]
    organization: Option<String>,
    #[serde(rename = "CustomString", default)]
    custom: Option<String>,
    #[serde(rename = "MaxSubscriberNum", default)]
    max_subscribers: Option<u64>,
}

impl InfoFields {
    fn edit(self, name: Option<String>) -> BaseInfoEdit {
        BaseInfoEdit {
            name,
            introduction: self.introduction,
            face_url: self.face_url,
            organization: self.organization,
            custom: self.custom,
            max_subscribers: self.max_subscribers,
        }
    }
}

#[derive(Serialize)]
pub struct CreateResp {
    #[serde(rename = "OfficialAccountUserID")]
    id: String,
}

/// `create_official_account`: a custom ID must carry the `@TOA#_` prefix; without one an ID
/// is generated. `OfficialAccount.CallbackBeforeCreateOfficialAccount` is asked first (with
/// the ID the account is to have) and may refuse (10016, or the app's 10100–10200).
pub async fn create_official_account(ctx: &Ctx, req: CreateReq) -> Result<CreateResp, Failure> {
    let edit = req.rest.edit(Some(req.name));
    edit.check()?;
    let max = edit.max_subscribers.unwrap_or(oa::DEFAULT_MAX_SUBSCRIBERS);
    let info = edit.applied(Default::default());
    if let Some(id) = &req.id {
        check_custom_id(id)?;
    }
    let app = ctx.caller.app.sdkappid;
    let mut id = req.id.clone().unwrap_or_else(generated_id);
    if callbacks::wants_before(ctx, BeforeKind::CreateOfficial) {
        let mut fields = info_fields(&id, &req.owner, &info, max);
        fields["Operator_Account"] = ctx.caller.identifier.as_str().into();
        if let Verdict::Refuse(e) = callbacks::before(ctx, BeforeKind::CreateOfficial, fields).await
        {
            return Err(e.into());
        }
    }
    let mut tries = 0;
    loop {
        let new = NewOfficial {
            id: id.clone(),
            owner: req.owner.clone(),
            info: info.clone(),
            max_subscribers: max,
            now: ctx.now,
            operator: ctx.caller.identifier.clone(),
        };
        match ctx.store().create_official(app, new).await {
            Ok(()) => return Ok(CreateResp { id }),
            Err(StoreError::Domain(e))
                if e.code == ErrorCode::GroupIdInUse && req.id.is_none() && tries < ID_TRIES =>
            {
                tries += 1;
                id = generated_id();
            }
            Err(e) => return Err(e.into()),
        }
    }
}

#[derive(Deserialize)]
pub struct AccountReq {
    #[serde(rename = "Official_Account", deserialize_with = "account")]
    id: String,
}

/// `destroy_official_account`.
pub async fn destroy_official_account(ctx: &Ctx, req: AccountReq) -> Result<Empty, Failure> {
    ctx.store()
        .destroy_official(
            ctx.caller.app.sdkappid,
            req.id,
            ctx.caller.identifier.clone(),
        )
        .await?;
    Ok(Empty {})
}

#[derive(Deserialize)]
pub struct ModifyReq {
    /// The doocs SDK spells it `OfficialAccount` (accepted, inferred).
    #[serde(
        rename = "Official_Account",
        alias = "OfficialAccount",
        deserialize_with = "account"
    )]
    id: String,
    #[serde(rename = "Name", default)]
    name: Option<String>,
    #[serde(flatten)]
    rest: InfoFields,
}

/// `modify_official_account_base_info`: only the fields present change.
pub async fn modify_official_account_base_info(
    ctx: &Ctx,
    req: ModifyReq,
) -> Result<Empty, Failure> {
    let edit = req.rest.edit(req.name);
    ctx.store()
        .modify_official(
            ctx.caller.app.sdkappid,
            req.id,
            edit,
            ctx.caller.identifier.clone(),
        )
        .await?;
    Ok(Empty {})
}

/// The base-info fields a `ResponseFilter` may name (documented list).
const BASE_FIELDS: &[&str] = &[
    "CreateTime",
    "Name",
    "Owner_Account",
    "LastMsgTime",
    "SubscriberNum",
    "Introduction",
    "FaceUrl",
    "Organization",
    "CustomString",
];

fn base_value(a: &OfficialAccount, field: &str) -> Value {
    match field {
        "CreateTime" => json!(a.created),
        "Name" => json!(a.info.name),
        "Owner_Account" => json!(a.owner),
        "LastMsgTime" => json!(a.last_msg_time),
        "SubscriberNum" => json!(a.subscribers),
        "Introduction" => json!(a.info.introduction),
        "FaceUrl" => json!(a.info.face_url),
        "Organization" => json!(a.info.organization),
        "CustomString" => json!(a.info.custom),
        _ => Value::Null,
    }
}

/// The filter's fields (10004 for one not in `allowed`), or all of `allowed` when absent.
fn filter_fields(
    filter: Option<Vec<String>>,
    allowed: &'static [&'static str],
    name: &str,
) -> Result<Vec<&'static str>, Error> {
    match filter {
        None => Ok(allowed.to_vec()),
        Some(fields) => fields
            .iter()
            .map(|f| {
                allowed
                    .iter()
                    .copied()
                    .find(|a| a == f)
                    .ok_or_else(|| invalid(format!("{name}: {f:?} is not one of {allowed:?}")))
            })
            .collect(),
    }
}

fn base_info(a: &OfficialAccount, fields: &[&str]) -> Map<String, Value> {
    let mut out = Map::new();
    out.insert("Official_Account".into(), json!(a.id));
    for f in fields {
        out.insert((*f).into(), base_value(a, f));
    }
    out
}

#[derive(Deserialize)]
struct IdItem {
    #[serde(rename = "Official_Account", deserialize_with = "account")]
    id: String,
}

#[derive(Deserialize, Default)]
struct ResponseFilter {
    #[serde(rename = "OfficialAccountBaseInfoFilter", default)]
    base: Option<Vec<String>>,
    #[serde(rename = "SelfInfoFilter", default)]
    self_info: Option<Vec<String>>,
}

#[derive(Deserialize)]
pub struct InfoReq {
    #[serde(
        rename = "OfficialAccountIdList",
        deserialize_with = "envelope::objects"
    )]
    ids: Vec<IdItem>,
    #[serde(
        rename = "ResponseFilter",
        default,
        deserialize_with = "envelope::opt_object"
    )]
    filter: Option<ResponseFilter>,
}

#[derive(Serialize)]
pub struct InfoResp {
    #[serde(rename = "OfficialAccountInfoList")]
    list: Vec<Map<String, Value>>,
}

/// `get_official_account_info`: each entry carries its own result (10010 for an unknown
/// account, no fields then).
pub async fn get_official_account_info(ctx: &Ctx, req: InfoReq) -> Result<InfoResp, Failure> {
    if req.ids.is_empty() || req.ids.len() > oa::MAX_INFO_IDS {
        return Err(invalid(format!(
            "OfficialAccountIdList has {} entries; 1 to {} are allowed",
            req.ids.len(),
            oa::MAX_INFO_IDS
        ))
        .into());
    }
    let filter = req.filter.unwrap_or_default();
    let fields = filter_fields(filter.base, BASE_FIELDS, "OfficialAccountBaseInfoFilter")?;
    let ids: Vec<String> = req.ids.into_iter().map(|i| i.id).collect();
    let found = ctx
        .store()
        .officials(ctx.caller.app.sdkappid, ids.clone())
        .await?;
    let list = ids
        .iter()
        .zip(found)
        .map(|(id, a)| match a {
            Some(a) => {
                let mut entry = base_info(&a, &fields);
                entry.insert("ErrorCode".into(), json!(0));
                entry.insert("ErrorInfo".into(), json!(""));
                entry
            }
            None => {
                let e = oa::not_found(id);
                let mut entry = Map::new();
                entry.insert("Official_Account".into(), json!(id));
                entry.insert("ErrorCode".into(), json!(e.code.code()));
                entry.insert("ErrorInfo".into(), json!(e.info));
                entry
            }
        })
        .collect();
    Ok(InfoResp { list })
}

#[derive(Serialize)]
struct SubscriberOut {
    #[serde(rename = "Subscriber_Account")]
    user: String,
    #[serde(rename = "SubscribeTime")]
    time: i64,
    #[serde(rename = "CustomString")]
    custom: String,
    #[serde(rename = "MsgFlag")]
    flag: String,
    #[serde(rename = "LastSendMsgTime")]
    last_send: i64,
}

impl From<Subscriber> for SubscriberOut {
    fn from(s: Subscriber) -> Self {
        SubscriberOut {
            user: s.user,
            time: s.subscribe_time,
            custom: s.custom,
            flag: s.msg_flag,
            last_send: s.last_send,
        }
    }
}

/// get_subscriber_info's cursor: hex of `"{SubscribeTime}:{UserID}"` of the last one
/// returned (opaque to clients; inferred).
fn cursor_of(s: &SubscriberOut) -> String {
    format!("{}:{}", s.time, s.user)
        .bytes()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn parse_cursor(next: &str) -> Result<Option<(i64, String)>, Error> {
    if next.is_empty() {
        return Ok(None);
    }
    let bad = || invalid(format!("Next {next:?} is not a cursor this server gave"));
    if !next.len().is_multiple_of(2) {
        return Err(bad());
    }
    let bytes = (0..next.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(next.get(i..i + 2).ok_or_else(bad)?, 16).map_err(|_| bad()))
        .collect::<Result<Vec<u8>, Error>>()?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    let (time, user) = text.split_once(':').ok_or_else(bad)?;
    Ok(Some((time.parse().map_err(|_| bad())?, user.to_owned())))
}

fn page_limit(limit: Option<u64>, default: u64) -> Result<u64, Error> {
    match limit {
        None => Ok(default),
        Some(l) if (1..=oa::MAX_PAGE).contains(&l) => Ok(l),
        Some(l) => Err(invalid(format!(
            "Limit {l} is out of range; 1 to {} are allowed",
            oa::MAX_PAGE
        ))),
    }
}

#[derive(Deserialize)]
pub struct SubscribersReq {
    #[serde(rename = "Official_Account", deserialize_with = "account")]
    id: String,
    #[serde(rename = "Limit", default)]
    limit: Option<u64>,
    #[serde(rename = "Next")]
    next: String,
}

#[derive(Serialize)]
pub struct SubscribersResp {
    #[serde(rename = "Next")]
    next: String,
    #[serde(rename = "SubscriberNum")]
    total: u64,
    #[serde(rename = "SubscriberList")]
    list: Vec<SubscriberOut>,
}

/// `get_subscriber_info`: subscribers in subscription order, `Limit` (≤ 200) a page; without
/// `Limit`, all of them.
pub async fn get_subscriber_info(
    ctx: &Ctx,
    req: SubscribersReq,
) -> Result<SubscribersResp, Failure> {
    let limit = page_limit(req.limit, u64::MAX)?;
    let after = parse_cursor(&req.next)?;
    let (total, page, more) = ctx
        .store()
        .official_subscribers(ctx.caller.app.sdkappid, req.id, after, limit)
        .await?;
    let list: Vec<SubscriberOut> = page.into_iter().map(Into::into).collect();
    let next = match list.last() {
        Some(last) if more => cursor_of(last),
        _ => String::new(),
    };
    Ok(SubscribersResp { next, total, list })
}

#[derive(Deserialize)]
struct SubscriberItem {
    #[serde(rename = "Subscriber_Account", deserialize_with = "account")]
    user: String,
}

#[derive(Deserialize)]
pub struct AddReq {
    #[serde(rename = "Official_Account", deserialize_with = "account")]
    id: String,
    #[serde(rename = "SubscriberList", deserialize_with = "envelope::objects")]
    list: Vec<SubscriberItem>,
}

#[derive(Serialize)]
struct ResultItem {
    #[serde(rename = "Subscriber_Account")]
    user: String,
    #[serde(rename = "Result")]
    result: u8,
}

#[derive(Serialize)]
pub struct ResultsResp {
    #[serde(rename = "SubscriberList")]
    list: Vec<ResultItem>,
}

fn check_batch(users: &[String]) -> Result<(), Error> {
    if users.is_empty() || users.len() > oa::MAX_SUBSCRIBER_BATCH {
        return Err(invalid(format!(
            "{} subscribers given; 1 to {} are allowed",
            users.len(),
            oa::MAX_SUBSCRIBER_BATCH
        )));
    }
    Ok(())
}

fn results(users: Vec<String>, results: Vec<u8>) -> ResultsResp {
    ResultsResp {
        list: users
            .into_iter()
            .zip(results)
            .map(|(user, result)| ResultItem { user, result })
            .collect(),
    }
}

/// `add_subscriber`: per account 0 failed (not imported, or the account is full), 1 added,
/// 2 already subscribed. `OfficialAccount.CallbackBeforeAddSubscriber` (inferred) is asked
/// first with the request's list, for a known account only, and may refuse the whole call
/// (10016, or the app's 10100–10200).
pub async fn add_subscriber(ctx: &Ctx, req: AddReq) -> Result<ResultsResp, Failure> {
    let users: Vec<String> = req.list.into_iter().map(|i| i.user).collect();
    check_batch(&users)?;
    let app = ctx.caller.app.sdkappid;
    if callbacks::wants_before(ctx, BeforeKind::AddSubscriber) {
        require_account(ctx, &req.id).await?;
        let list: Vec<Value> = users
            .iter()
            .map(|u| json!({"Subscriber_Account": u}))
            .collect();
        let fields = json!({"Official_Account": req.id,
                            "Operator_Account": ctx.caller.identifier,
                            "SubscriberList": list});
        if let Verdict::Refuse(e) = callbacks::before(ctx, BeforeKind::AddSubscriber, fields).await
        {
            return Err(e.into());
        }
    }
    let got = ctx
        .store()
        .add_subscribers(
            app,
            req.id,
            users.clone(),
            ctx.now,
            ctx.caller.identifier.clone(),
        )
        .await?;
    Ok(results(users, got))
}

/// 10010 unless the app has the official account `id`: asked before a before-callback, so
/// that the app is never asked about an account that does not exist.
async fn require_account(ctx: &Ctx, id: &str) -> Result<(), Failure> {
    let found = ctx
        .store()
        .officials(ctx.caller.app.sdkappid, vec![id.to_owned()])
        .await?
        .pop()
        .flatten();
    match found {
        Some(_) => Ok(()),
        None => Err(oa::not_found(id).into()),
    }
}

#[derive(Deserialize)]
pub struct DeleteReq {
    #[serde(rename = "Official_Account", deserialize_with = "account")]
    id: String,
    /// The documented sample's shape.
    #[serde(
        rename = "SubscriberToDel_Account",
        default,
        deserialize_with = "envelope::opt_accounts"
    )]
    to_del: Option<Vec<String>>,
    /// The field table's shape (also accepted, inferred).
    #[serde(
        rename = "SubscriberList",
        default,
        deserialize_with = "envelope::opt_objects"
    )]
    list: Option<Vec<SubscriberItem>>,
}

/// `delete_subscriber`: per account 1 removed, 2 was not subscribed.
pub async fn delete_subscriber(ctx: &Ctx, req: DeleteReq) -> Result<ResultsResp, Failure> {
    let users: Vec<String> = match (req.to_del, req.list) {
        (Some(users), _) => users,
        (None, Some(list)) => list.into_iter().map(|i| i.user).collect(),
        (None, None) => {
            return Err(invalid("give SubscriberToDel_Account or SubscriberList").into())
        }
    };
    check_batch(&users)?;
    let got = ctx
        .store()
        .delete_subscribers(
            ctx.caller.app.sdkappid,
            req.id,
            users.clone(),
            ctx.caller.identifier.clone(),
        )
        .await?;
    Ok(results(users, got))
}

#[derive(Deserialize)]
pub struct ModifySubscriberReq {
    #[serde(rename = "Official_Account", deserialize_with = "account")]
    id: String,
    #[serde(rename = "Subscriber_Account", deserialize_with = "account")]
    user: String,
    #[serde(rename = "CustomString", default)]
    custom: Option<String>,
    /// `AcceptAndNotify`, `AcceptNotNotify` or `Discard` (inferred: the subscriber record's
    /// field, which §5.9's list from the SDK model leaves out).
    #[serde(rename = "MsgFlag", default)]
    msg_flag: Option<String>,
}

/// `modify_subscriber_info`: the subscriber's `CustomString` (≤ 3 000 bytes) and `MsgFlag`
/// (10004 for another value). `Discard` stops delivery to the subscriber's connections at
/// once; `AcceptNotNotify` only turns off offline push, which timber does not have.
pub async fn modify_subscriber_info(ctx: &Ctx, req: ModifySubscriberReq) -> Result<Empty, Failure> {
    if let Some(flag) = &req.msg_flag {
        oa::check_msg_flag(flag)?;
    }
    if let Some(c) = &req.custom {
        if c.len() > oa::MAX_CUSTOM_BYTES {
            return Err(invalid(format!(
                "CustomString is {} bytes; at most {} are allowed",
                c.len(),
                oa::MAX_CUSTOM_BYTES
            ))
            .into());
        }
    }
    ctx.store()
        .modify_subscriber(
            ctx.caller.app.sdkappid,
            req.id,
            req.user,
            req.custom,
            req.msg_flag,
        )
        .await?;
    Ok(Empty {})
}

/// `SelfInfoFilter`'s fields: the documented two, and the subscriber's `MsgFlag` (inferred:
/// how a member sees its own setting, `getSubscribedOfficialAccountList`).
const SELF_FIELDS: &[&str] = &["SubscribeTime", "CustomString", "MsgFlag"];

#[derive(Deserialize)]
pub struct SubscribedReq {
    #[serde(rename = "Subscriber_Account", deserialize_with = "account")]
    user: String,
    #[serde(rename = "Limit", default)]
    limit: Option<u64>,
    #[serde(rename = "Offset", default)]
    offset: Option<u64>,
    #[serde(
        rename = "ResponseFilter",
        default,
        deserialize_with = "envelope::opt_object"
    )]
    filter: Option<ResponseFilter>,
}

#[derive(Serialize)]
pub struct SubscribedResp {
    #[serde(rename = "OfficialAccountInfoList")]
    list: Vec<Map<String, Value>>,
    #[serde(rename = "TotalCount")]
    total: u64,
    #[serde(rename = "CompleteFlag")]
    complete: u8,
    #[serde(rename = "Next")]
    next: u64,
}

/// `get_subscribed_official_account_list`: the accounts a user subscribes to, `Offset`
/// paged (`Limit` ≤ 200, default 200), with the user's own record as `SelfInfo`.
pub async fn get_subscribed_official_account_list(
    ctx: &Ctx,
    req: SubscribedReq,
) -> Result<SubscribedResp, Failure> {
    let limit = page_limit(req.limit, oa::MAX_PAGE)?;
    let offset = req.offset.unwrap_or(0);
    let filter = req.filter.unwrap_or_default();
    let base = filter_fields(filter.base, BASE_FIELDS, "OfficialAccountBaseInfoFilter")?;
    let own = filter_fields(filter.self_info, SELF_FIELDS, "SelfInfoFilter")?;
    let (total, page) = ctx
        .store()
        .subscribed_officials(ctx.caller.app.sdkappid, req.user, offset, limit)
        .await?;
    let next = offset + page.len() as u64;
    let list = page
        .into_iter()
        .map(|(a, s)| {
            let mut entry = base_info(&a, &base);
            let mut info = Map::new();
            for f in &own {
                let v = match *f {
                    "SubscribeTime" => json!(s.subscribe_time),
                    "MsgFlag" => json!(s.msg_flag),
                    _ => json!(s.custom),
                };
                info.insert((*f).into(), v);
            }
            entry.insert("SelfInfo".into(), Value::Object(info));
            entry
        })
        .collect();
    Ok(SubscribedResp {
        list,
        total,
        complete: u8::from(next >= total),
        next,
    })
}

const CALLBACK_CONTROLS: &[&str] = &["ForbidBeforeSendMsgCallback", "ForbidAfterSendMsgCallback"];

#[derive(Deserialize)]
pub struct SendReq {
    #[serde(rename = "Official_Account", deserialize_with = "account")]
    id: String,
    #[serde(rename = "Random")]
    random: u32,
    #[serde(rename = "MsgBody")]
    body: Box<RawValue>,
    #[serde(rename = "CloudCustomData", default)]
    cloud_custom_data: Option<String>,
    #[serde(
        rename = "OfflinePushInfo",
        default,
        deserialize_with = "envelope::opt_object"
    )]
    _offline: Option<Map<String, Value>>,
    #[serde(rename = "ForbidCallbackControl", default)]
    forbid: Option<Vec<String>>,
    #[serde(rename = "OnlineOnlyFlag", default)]
    online_only: Option<u8>,
    #[serde(rename = "SendMsgControl", default)]
    controls: Option<Vec<String>>,
}

#[derive(Serialize)]
pub struct SendResp {
    #[serde(rename = "MsgTime")]
    time: i64,
    #[serde(rename = "MsgKey")]
    key: String,
}

/// `send_official_account_msg`: a broadcast with the account's next Seq; a repeat of the last
/// five minutes (same body, same `Random`) answers the first one's key.
/// `OfficialAccount.CallbackBeforeSendMsg` may refuse (10016 or the app's code), drop (success,
/// nothing stored; `MsgKey` empty, inferred) or replace `MsgBody` / `CloudCustomData`; the
/// after-callback carries what was stored.
pub async fn send_official_account_msg(ctx: &Ctx, req: SendReq) -> Result<SendResp, Failure> {
    let body = checked_body(&req.body).map_err(|e| invalid(format!("MsgBody: {e}")))?;
    check_size(ctx, &body, req.cloud_custom_data.as_deref())?;
    let online_only = match req.online_only {
        None | Some(0) => false,
        Some(1) => true,
        Some(v) => return Err(invalid(format!("OnlineOnlyFlag {v} must be 0 or 1")).into()),
    };
    for c in req.forbid.iter().flatten() {
        if !CALLBACK_CONTROLS.contains(&c.as_str()) {
            return Err(invalid(format!("ForbidCallbackControl {c:?} is unknown")).into());
        }
    }
    for c in req.controls.iter().flatten() {
        if c != "NoLastMsg" {
            return Err(invalid(format!("SendMsgControl {c:?} is unknown")).into());
        }
        if online_only {
            return Err(invalid("SendMsgControl cannot be used with OnlineOnlyFlag 1").into());
        }
    }
    let forbids = |c: &str| req.forbid.iter().flatten().any(|f| f == c);
    let cloud_rates = ctx.caller.app.rate_limits == crate::apps::RateLimits::Cloud;
    let app = ctx.caller.app.sdkappid;
    if cloud_rates {
        ctx.state.limits.official_check(app, &req.id, ctx.now)?;
    }
    let mut msg = NewOfficialMsg {
        random: req.random,
        body,
        cloud_custom_data: req.cloud_custom_data,
        online_only,
        now: ctx.now,
        operator: ctx.caller.identifier.clone(),
        after_callback: !forbids(CALLBACK_CONTROLS[1]),
    };
    if !forbids(CALLBACK_CONTROLS[0]) && callbacks::wants_before(ctx, BeforeKind::OfficialSend) {
        // An unknown account is refused before the app is asked.
        if ctx
            .store()
            .officials(app, vec![req.id.clone()])
            .await?
            .pop()
            .flatten()
            .is_none()
        {
            return Err(oa::not_found(&req.id).into());
        }
        match callbacks::before(ctx, BeforeKind::OfficialSend, msg.callback_fields(&req.id)).await {
            Verdict::Refuse(e) => return Err(e.into()),
            Verdict::Drop => {
                return Ok(SendResp {
                    time: ctx.now,
                    key: String::new(),
                })
            }
            Verdict::Allow {
                msg_body,
                cloud_custom_data,
                ..
            } => {
                // A replacement that is not a valid MsgBody is ignored (as the group send's).
                if let Some(new) = msg_body.and_then(|b| checked_raw(&b)) {
                    msg.body = new;
                }
                if let Some(data) = cloud_custom_data {
                    msg.cloud_custom_data = Some(data);
                }
            }
        }
    }
    let sent = ctx.store().send_official(app, req.id.clone(), msg).await?;
    if cloud_rates && !sent.duplicate {
        ctx.state.limits.official_sent(app, &req.id, ctx.now);
    }
    Ok(SendResp {
        time: sent.time,
        key: sent.key(),
    })
}

#[derive(Deserialize)]
pub struct RecallReq {
    #[serde(rename = "Official_Account", deserialize_with = "account")]
    id: String,
    #[serde(rename = "MsgKeyList")]
    keys: Vec<String>,
    #[serde(rename = "Reason", default)]
    reason: Option<String>,
}

#[derive(Serialize)]
struct RecallRet {
    #[serde(rename = "MsgKey")]
    key: String,
    #[serde(rename = "RetCode")]
    code: u32,
}

#[derive(Serialize)]
pub struct RecallResp {
    #[serde(rename = "RecallRetList")]
    list: Vec<RecallRet>,
}

/// `official_account_msg_recall`: per key 0 recalled or 10030 (no such message, expired, or
/// already recalled). The subscribers connected hear `onRecvMessageRevoked`;
/// `OfficialAccount.CallbackAfterMsgWithDraw` (inferred) names the keys recalled.
pub async fn official_account_msg_recall(ctx: &Ctx, req: RecallReq) -> Result<RecallResp, Failure> {
    if req.keys.is_empty() || req.keys.len() > oa::MAX_RECALL_KEYS {
        return Err(invalid(format!(
            "MsgKeyList has {} keys; 1 to {} are allowed",
            req.keys.len(),
            oa::MAX_RECALL_KEYS
        ))
        .into());
    }
    if req.reason.as_ref().map_or(0, String::len) > oa::MAX_RECALL_REASON_BYTES {
        return Err(invalid(format!(
            "Reason is over {} bytes",
            oa::MAX_RECALL_REASON_BYTES
        ))
        .into());
    }
    let recall = OfficialRecall {
        keys: req.keys.iter().map(|k| parse_msg_key(k)).collect(),
        operator: ctx.caller.identifier.clone(),
        reason: req.reason,
        retention: ctx.retention(),
    };
    let codes = ctx
        .store()
        .recall_official(ctx.caller.app.sdkappid, req.id, recall)
        .await?;
    let list = req
        .keys
        .into_iter()
        .zip(codes)
        .map(|(key, code)| RecallRet { key, code })
        .collect();
    Ok(RecallResp { list })
}

#[derive(Deserialize)]
pub struct HistoryReq {
    #[serde(rename = "Official_Account", deserialize_with = "account")]
    id: String,
    #[serde(rename = "ReqMsgNumber", default)]
    count: Option<u64>,
    #[serde(rename = "LastMsgKey", default)]
    last: Option<String>,
    #[serde(rename = "WithRecalledMsg", default)]
    with_recalled: Option<u8>,
}

#[derive(Serialize)]
pub struct HistoryResp {
    #[serde(rename = "Official_Account")]
    id: String,
    #[serde(rename = "IsFinished")]
    finished: u8,
    #[serde(rename = "LastMsgKey")]
    last: String,
    #[serde(rename = "RspMsgList")]
    list: Vec<Value>,
}

/// The `MsgPriority` of every broadcast: 2, Normal (inferred; the API takes no priority).
const MSG_PRIORITY: u8 = 2;
/// `IsPlaceMsg` of a recalled message.
const PLACE_RECALLED: u8 = 2;

/// `official_account_msg_get_simple`: at most 20 messages older than `LastMsgKey` (the
/// newest without it), newest first; recalled ones only with `WithRecalledMsg` 1, as
/// placeholders without a body. Messages past the app's retention are never returned (the
/// sweeper deletes them); `IsFinished` 2 says that everything older than the page expired.
pub async fn official_account_msg_get_simple(
    ctx: &Ctx,
    req: HistoryReq,
) -> Result<HistoryResp, Failure> {
    let count = req.count.unwrap_or(oa::MAX_HISTORY).min(oa::MAX_HISTORY);
    let before = match req.last.as_deref() {
        None | Some("") => None,
        Some(key) => Some(
            parse_msg_key(key)
                .ok_or_else(|| {
                    invalid(format!("LastMsgKey {key:?} is not a key this server gave"))
                })?
                .0,
        ),
    };
    let with_recalled = match req.with_recalled {
        None | Some(0) => false,
        Some(1) => true,
        Some(v) => return Err(invalid(format!("WithRecalledMsg {v} must be 0 or 1")).into()),
    };
    let (page, finished) = ctx
        .store()
        .official_history(
            ctx.caller.app.sdkappid,
            req.id.clone(),
            before,
            count,
            with_recalled,
            ctx.retention(),
        )
        .await?;
    let last = page.last().map(|m| m.key()).unwrap_or_default();
    let list = page
        .into_iter()
        .map(|m| {
            let body: Value = if m.recalled {
                json!([])
            } else {
                serde_json::from_str(&m.body).unwrap_or(Value::Array(Vec::new()))
            };
            let mut entry = json!({
                "From_Account": req.id,
                "IsPlaceMsg": if m.recalled { PLACE_RECALLED } else { 0 },
                "IsSystemMsg": 0,
                "MsgBody": body,
                "MsgPriority": MSG_PRIORITY,
                "MsgRandom": m.random,
                "MsgSeq": m.seq,
                "MsgTimeStamp": m.time,
                "MsgKey": m.key(),
            });
            if let (Some(c), false) = (&m.cloud_custom_data, m.recalled) {
                entry["CloudCustomData"] = json!(c);
            }
            entry
        })
        .collect();
    Ok(HistoryResp {
        id: req.id,
        finished,
        last,
        list,
    })
}
