//! Group messages: send, system notification, history, recall, delete by sender, import,
//! clear, unread counts. spec: group-messages.md (modify_group_msg lives under `openim`).
//!
//! Fields are checked here (10004 and friends); everything that depends on stored state —
//! the group, the sender, mutes, seqs — is checked by the store in the transaction that
//! writes.

use super::history_page::{GetSimpleResp, PageWriter};
use super::{check_count, group_id, invalid, required, topic_of};
use crate::callbacks;
use crate::envelope::{opt_account, opt_accounts, opt_objects, Empty};
use crate::failure::Failure;
use crate::msg_body::checked_raw;
use crate::msg_body::{check_size, checked_body};
use crate::Ctx;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use timber_core::callback::{BeforeKind, GroupMsgFields, Verdict};
use timber_core::group::{check_text, check_user_id, check_user_ids};
use timber_core::message::{
    parse_priority, BodyError, SlotState, DEFAULT_PRIORITY, MAX_AT_MENTIONS, MAX_HISTORY_PAGE,
    MAX_IMPORT_MSGS, MAX_NOTIFICATION_RECEIVERS, MAX_RECALL_SEQS, MAX_TARGETED_RECEIVERS,
    SEND_MSG_CONTROLS,
};
use timber_core::message::{
    ImportMsg, Imported, NewGroupMsg, SendMsg, SendOrigin, CALLBACK_CONTROLS,
};
use timber_core::text::check_no_nul;
use timber_core::{Error, ErrorCode};
use timber_store::messages::HistoryQuery;

/// The group service answers every malformed `MsgBody` with 10004, naming what is wrong.
fn body(raw: Option<Box<RawValue>>) -> Result<String, Error> {
    let raw = required(raw, "MsgBody")?;
    checked_body(&raw).map_err(|e: BodyError| invalid(format!("MsgBody: {e}")))
}

fn flag(value: Option<u8>, field: &str) -> Result<bool, Error> {
    match value.unwrap_or(0) {
        0 => Ok(false),
        1 => Ok(true),
        v => Err(invalid(format!("{field} must be 0 or 1, got {v}"))),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SendGroupMsgReq {
    group_id: Option<String>,
    random: Option<u32>,
    msg_body: Option<Box<RawValue>>,
    #[serde(rename = "From_Account", default, deserialize_with = "opt_account")]
    from: Option<String>,
    msg_priority: Option<String>,
    /// Type-checked, not kept: timber sends no offline pushes yet.
    _offline_push_info: Option<Map<String, Value>>,
    forbid_callback_control: Option<Vec<String>>,
    online_only_flag: Option<u8>,
    send_msg_control: Option<Vec<String>>,
    cloud_custom_data: Option<String>,
    #[serde(rename = "To_Account", default, deserialize_with = "opt_accounts")]
    to_account: Option<Vec<String>>,
    #[serde(default, deserialize_with = "opt_objects")]
    group_at_info: Option<Vec<GroupAt>>,
    topic_id: Option<String>,
    /// 1 = keep read receipts (groups-more.md §6).
    need_read_receipt: Option<u8>,
    support_message_extension: Option<u8>,
}

#[derive(Deserialize)]
struct GroupAt {
    #[serde(rename = "GroupAtAllFlag")]
    all: Option<u8>,
    #[serde(rename = "GroupAt_Account", default, deserialize_with = "opt_account")]
    account: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SendGroupMsgResp {
    msg_time: i64,
    msg_seq: u64,
    /// Empty: timber never drops a message for frequency control.
    msg_drop_reason: &'static str,
}

/// Checks `GroupAtInfo`: at most 30 mentions (10053); each either @all (`GroupAtAllFlag` 1)
/// or one account (`GroupAtAllFlag` 0 with `GroupAt_Account`, a well-formed UserID: 10004).
fn check_mentions(at: &[GroupAt]) -> Result<(), Error> {
    if at.len() > MAX_AT_MENTIONS {
        return Err(Error::new(
            ErrorCode::GroupTooManyAt,
            format!(
                "GroupAtInfo has {} entries; at most {MAX_AT_MENTIONS} are allowed",
                at.len()
            ),
        ));
    }
    for (i, a) in at.iter().enumerate() {
        let all = flag(a.all, &format!("GroupAtInfo[{i}].GroupAtAllFlag"))?;
        match a.account.as_deref().filter(|id| !id.is_empty()) {
            Some(id) => check_user_id(&format!("GroupAtInfo[{i}].GroupAt_Account"), id)?,
            None if !all => {
                return Err(invalid(format!(
                    "GroupAtInfo[{i}] names no GroupAt_Account and is not @all"
                )))
            }
            None => {}
        }
    }
    Ok(())
}

/// spec: group-messages.md §3. The sender defaults to the calling admin. An online-only
/// message (`OnlineOnlyFlag` 1) takes a seq and keeps the slot (so a repeated `Random` is
/// still recognised) but never its body: history shows it as a placeholder.
/// `NeedReadReceipt` 1 keeps read receipts (groups-more.md §6: 10061 with `OnlineOnlyFlag`
/// 1, 10060 in a group of more than 200 members; ignored in Community and AVChatRoom).
pub async fn send_group_msg(ctx: &Ctx, req: SendGroupMsgReq) -> Result<SendGroupMsgResp, Failure> {
    let id = group_id(req.group_id)?;
    let topic = topic_of(&id, req.topic_id)?;
    let random = required(req.random, "Random")?;
    let body = body(req.msg_body)?;
    check_size(ctx, &body, req.cloud_custom_data.as_deref())?;
    if let Some(data) = &req.cloud_custom_data {
        check_no_nul("CloudCustomData", data).map_err(invalid)?;
    }
    let priority = match req.msg_priority.as_deref() {
        None => DEFAULT_PRIORITY,
        Some(p) => parse_priority(p).ok_or_else(|| {
            invalid(format!(
                "MsgPriority {p:?} is not High, Normal, Low or Lowest"
            ))
        })?,
    };
    let online_only = flag(req.online_only_flag, "OnlineOnlyFlag")?;
    let need_receipt = flag(req.need_read_receipt, "NeedReadReceipt")?;
    if need_receipt && online_only {
        return Err(Error::new(
            ErrorCode::GroupReceiptOnlineOnly,
            "an online-only message (OnlineOnlyFlag 1) cannot ask for read receipts",
        )
        .into());
    }
    let support_extension = flag(req.support_message_extension, "SupportMessageExtension")?;
    let controls = req.send_msg_control.unwrap_or_default();
    if let Some(bad) = controls
        .iter()
        .find(|c| !SEND_MSG_CONTROLS.contains(&c.as_str()))
    {
        return Err(invalid(format!(
            "SendMsgControl {bad:?} is not one of {SEND_MSG_CONTROLS:?}"
        ))
        .into());
    }
    if online_only && !controls.is_empty() {
        return Err(invalid("SendMsgControl cannot be combined with OnlineOnlyFlag 1").into());
    }
    let mut to_accounts = req.to_account.unwrap_or_default();
    check_count(to_accounts.len(), MAX_TARGETED_RECEIVERS, "To_Account")?;
    check_user_ids("To_Account", &to_accounts)?;
    let mut seen = std::collections::HashSet::new();
    to_accounts.retain(|a| seen.insert(a.clone()));
    let mentions = req.group_at_info.unwrap_or_default();
    check_mentions(&mentions)?;
    if !to_accounts.is_empty() && !mentions.is_empty() {
        return Err(
            invalid("a targeted message (To_Account) cannot @-mention (GroupAtInfo)").into(),
        );
    }
    let forbid = req.forbid_callback_control.unwrap_or_default();
    if let Some(bad) = forbid
        .iter()
        .find(|c| !CALLBACK_CONTROLS.contains(&c.as_str()))
    {
        return Err(invalid(format!(
            "ForbidCallbackControl {bad:?} is not one of {CALLBACK_CONTROLS:?}"
        ))
        .into());
    }
    let forbids = |c: &str| forbid.iter().any(|f| f == c);
    let from = req
        .from
        .filter(|f| !f.is_empty())
        .unwrap_or_else(|| ctx.caller.identifier.clone());
    let sender_is_admin = ctx.caller.app.is_admin(&from);
    let no_last_msg = controls.iter().any(|c| c == "NoLastMsg");
    let mut body = body;
    let mut cloud_custom_data = req.cloud_custom_data;
    if !forbids(CALLBACK_CONTROLS[0]) && callbacks::wants_before(ctx, BeforeKind::GroupSend) {
        let app = ctx.caller.app.sdkappid;
        let Some(group) = ctx
            .store()
            .get_groups(app, vec![id.clone()], false)
            .await?
            .pop()
            .flatten()
        else {
            return Err(Error::new(
                ErrorCode::GroupNotFound,
                format!("group {id:?} does not exist"),
            )
            .into());
        };
        let fields = GroupMsgFields {
            group_id: &id,
            ty: group.group.ty,
            from: &from,
            operator: &ctx.caller.identifier,
            random,
            online_only,
            body: &body,
            cloud_custom_data: cloud_custom_data.as_deref(),
        };
        match callbacks::before(ctx, BeforeKind::GroupSend, fields.to_value()).await {
            Verdict::Refuse(e) => return Err(e.into()),
            // Dropped: success, and nothing stored (the seq is not taken; inferred).
            Verdict::Drop => {
                return Ok(SendGroupMsgResp {
                    msg_time: ctx.now,
                    msg_seq: 0,
                    msg_drop_reason: "",
                })
            }
            Verdict::Allow {
                msg_body,
                cloud_custom_data: data,
                ..
            } => {
                // A replacement that is not a valid MsgBody is ignored (inferred).
                if let Some(new) = msg_body.and_then(|b| checked_raw(&b)) {
                    body = new;
                }
                if let Some(data) = data {
                    cloud_custom_data = Some(data);
                }
            }
        }
    }
    let callback = (!forbids(CALLBACK_CONTROLS[1])
        && ctx
            .caller
            .app
            .wants_callback(timber_core::callback::GROUP_AFTER_SEND))
    .then(|| SendOrigin {
        operator: ctx.caller.identifier.clone(),
        online_only,
        body: body.clone(),
    });
    // An online-only message takes its slot and keeps no body (the store writes the
    // placeholder); its body is what connected members receive.
    let state = if online_only {
        SlotState::Unstored
    } else {
        SlotState::Normal
    };
    let msg = NewGroupMsg {
        from,
        random,
        time: ctx.now,
        priority,
        state,
        is_system: false,
        body,
        cloud_custom_data,
        to_accounts,
    };
    let mut msg = msg;
    crate::moderation::replace_words(ctx, &mut msg.body).await?;
    let send = SendMsg {
        msg,
        sender_is_admin,
        no_last_msg,
        callback,
        support_extension,
    };
    let app = ctx.caller.app.sdkappid;
    let sent = match topic {
        None if need_receipt => ctx.store().send_with_receipt(app, id, send).await?,
        None => ctx.store().send_message(app, id, send).await?,
        // A topic's own stream and MsgSeq (groups-more.md §8.2). Extensions are not for topic
        // messages (§9.1: no TopicId field), so the flag is dropped there; neither are read
        // receipts, which a Community ignores (§6).
        Some(topic) => {
            let send = SendMsg {
                support_extension: false,
                ..send
            };
            ctx.store().send_topic_message(app, id, topic, send).await?
        }
    };
    Ok(SendGroupMsgResp {
        msg_time: sent.time,
        msg_seq: sent.seq,
        msg_drop_reason: "",
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SystemNotificationReq {
    group_id: Option<String>,
    content: Option<String>,
    #[serde(
        rename = "ToMembers_Account",
        default,
        deserialize_with = "opt_accounts"
    )]
    to_members: Option<Vec<String>>,
    topic_id: Option<String>,
}

/// spec: group-messages.md §4. A notification is pushed to online members only: it takes no
/// MsgSeq and is not stored (inferred), so all that is left to do is check the request.
/// `Content` is free text without a documented limit: it may be as long as a message
/// (`max_msg_bytes`, 12 KB by default; inferred), and the receivers must be well-formed
/// UserIDs, 10004 otherwise.
pub async fn send_group_system_notification(
    ctx: &Ctx,
    req: SystemNotificationReq,
) -> Result<Empty, Failure> {
    let id = group_id(req.group_id)?;
    let topic = topic_of(&id, req.topic_id)?;
    let content = required(req.content, "Content")?;
    if content.is_empty() {
        return Err(invalid("Content must not be empty").into());
    }
    check_text("Content", &content, ctx.caller.app.max_msg_bytes)?;
    let to = req.to_members.unwrap_or_default();
    check_count(to.len(), MAX_NOTIFICATION_RECEIVERS, "ToMembers_Account")?;
    check_user_ids("ToMembers_Account", &to)?;
    let groups = ctx
        .store()
        .get_groups(ctx.caller.app.sdkappid, vec![id.clone()], false)
        .await?;
    let Some(Some(g)) = groups.into_iter().next() else {
        return Err(Error::new(
            ErrorCode::GroupNotFound,
            format!("group {id:?} does not exist or was dissolved"),
        )
        .into());
    };
    if g.group.ty == timber_core::group::GroupType::AVChatRoom && !to.is_empty() {
        return Err(invalid(
            "AVChatRoom notifications go to the whole group: ToMembers_Account must be empty",
        )
        .into());
    }
    // A notice to a topic (groups-more.md §8.2): the topic must exist (10007 / 10010).
    if let Some(topic) = topic {
        let view = ctx
            .store()
            .get_topics(ctx.caller.app.sdkappid, id.clone(), Some(vec![topic]), None)
            .await?;
        if let Some((_, Err(e))) = view.topics.into_iter().next() {
            return Err(e.into());
        }
    }
    // Online members only: the connected members of the group (or those named), on every
    // node, hear it.
    let change = timber_core::member::Change::SystemNotification {
        group_id: id,
        to,
        content,
    };
    ctx.store()
        .announce(ctx.caller.app.sdkappid, change)
        .await?;
    Ok(Empty {})
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetSimpleReq {
    group_id: Option<String>,
    req_msg_number: Option<u64>,
    req_msg_seq: Option<u64>,
    with_recalled_msg: Option<u8>,
    topic_id: Option<String>,
}

/// spec: group-messages.md §5. The app admin's view: cleared messages included, recalled
/// ones only with `WithRecalledMsg` 1 (`IsPlaceMsg` 2, body kept), expired or never-stored
/// slots as placeholders (`IsPlaceMsg` 1). AVChatRoom keeps no history: 10044.
pub async fn group_msg_get_simple(ctx: &Ctx, req: GetSimpleReq) -> Result<GetSimpleResp, Failure> {
    let id = group_id(req.group_id)?;
    let topic = topic_of(&id, req.topic_id)?;
    let req_number = required(req.req_msg_number, "ReqMsgNumber")?;
    if req_number == 0 {
        return Err(invalid("ReqMsgNumber must be at least 1").into());
    }
    let query = HistoryQuery {
        req_seq: req.req_msg_seq,
        req_number,
        with_recalled: flag(req.with_recalled_msg, "WithRecalledMsg")?,
    };
    let mut entries = PageWriter::with_capacity(req_number.min(MAX_HISTORY_PAGE) as usize);
    let app = ctx.caller.app.sdkappid;
    let is_finished = match topic {
        None => {
            ctx.store()
                .history_into(app, id.clone(), query, ctx.retention(), &mut entries)
                .await?
        }
        Some(topic) => {
            ctx.store()
                .topic_history_into(app, id.clone(), topic, query, ctx.retention(), &mut entries)
                .await?
        }
    };
    Ok(GetSimpleResp {
        group_id: id,
        is_finished,
        entries,
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RecallReq {
    group_id: Option<String>,
    #[serde(default, deserialize_with = "opt_objects")]
    msg_seq_list: Option<Vec<SeqItem>>,
    reason: Option<String>,
    topic_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SeqItem {
    msg_seq: u64,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RecallRet {
    msg_seq: u64,
    ret_code: u32,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RecallResp {
    recall_ret_list: Vec<RecallRet>,
}

/// The longest `Reason` (bytes).
const MAX_RECALL_REASON_BYTES: usize = 100;

/// spec: group-messages.md §6. Each seq gets its own `RetCode`: 0 when recalled (now or
/// before: recalling is idempotent), 10030 when there is no stored, retained message there.
/// Cleared messages are still the admin's to recall.
pub async fn group_msg_recall(ctx: &Ctx, req: RecallReq) -> Result<RecallResp, Failure> {
    let id = group_id(req.group_id)?;
    let topic = topic_of(&id, req.topic_id)?;
    let list = required(req.msg_seq_list, "MsgSeqList")?;
    if list.is_empty() || list.len() > MAX_RECALL_SEQS {
        return Err(invalid(format!(
            "MsgSeqList has {} entries; 1-{MAX_RECALL_SEQS} are allowed",
            list.len()
        ))
        .into());
    }
    if req
        .reason
        .as_ref()
        .is_some_and(|r| r.len() > MAX_RECALL_REASON_BYTES)
    {
        return Err(invalid(format!(
            "Reason is longer than {MAX_RECALL_REASON_BYTES} bytes"
        ))
        .into());
    }
    let seqs: Vec<u64> = list.iter().map(|s| s.msg_seq).collect();
    let app = ctx.caller.app.sdkappid;
    let operator = ctx.caller.identifier.clone();
    let results = match topic {
        None => {
            ctx.store()
                .recall_messages(app, id, seqs.clone(), ctx.retention(), operator)
                .await?
        }
        Some(topic) => {
            ctx.store()
                .recall_topic_messages(app, id, topic, seqs.clone(), ctx.retention(), operator)
                .await?
        }
    };
    let recall_ret_list = seqs
        .into_iter()
        .zip(results)
        .map(|(msg_seq, r)| RecallRet {
            msg_seq,
            ret_code: r.err().map_or(0, |c| c.code()),
        })
        .collect();
    Ok(RecallResp { recall_ret_list })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteBySenderReq {
    group_id: Option<String>,
    #[serde(rename = "Sender_Account", default, deserialize_with = "opt_account")]
    sender: Option<String>,
    topic_id: Option<String>,
}

/// spec: group-messages.md §8. Silently marks as recalled the sender's messages among the
/// newest 1,000; the sender need not exist any more (cleaning up after a deleted spammer is
/// the point), but must be a well-formed UserID (10004), as every stored sender is.
/// AVChatRoom: accepted, nothing stored to mark.
pub async fn delete_group_msg_by_sender(
    ctx: &Ctx,
    req: DeleteBySenderReq,
) -> Result<Empty, Failure> {
    let id = group_id(req.group_id)?;
    let topic = topic_of(&id, req.topic_id)?;
    let sender = required(req.sender.filter(|s| !s.is_empty()), "Sender_Account")?;
    check_user_id("Sender_Account", &sender)?;
    let app = ctx.caller.app.sdkappid;
    match topic {
        None => ctx.store().delete_by_sender(app, id, sender).await?,
        Some(topic) => {
            ctx.store()
                .delete_topic_messages_by_sender(app, id, topic, sender)
                .await?
        }
    };
    Ok(Empty {})
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ClearReq {
    group_id: Option<String>,
    msg_seq: Option<u64>,
}

/// spec: group-messages.md §7 (the founding API). Hides every message with seq ≤ `MsgSeq`
/// (absent: all) from members by raising the group's cleared watermark — never lowering it,
/// never past the newest seq, so later messages are unaffected; `MsgSeq` 0 clears nothing.
/// No message row is rewritten (DESIGN.md invariant 4), and the admin's history pull still
/// returns the cleared messages. Community: 10007; AVChatRoom: accepted, nothing to clear.
pub async fn clear_group_msg(ctx: &Ctx, req: ClearReq) -> Result<Empty, Failure> {
    let id = group_id(req.group_id)?;
    ctx.store()
        .clear_history(ctx.caller.app.sdkappid, id, req.msg_seq)
        .await?;
    Ok(Empty {})
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ImportReq {
    group_id: Option<String>,
    #[serde(default, deserialize_with = "opt_objects")]
    msg_list: Option<Vec<ImportItem>>,
    /// 1 = the imported messages move the members' conversations (recent-contacts.md §0.2).
    recent_contact_flag: Option<u8>,
    topic_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ImportItem {
    #[serde(rename = "From_Account", default, deserialize_with = "opt_account")]
    from: Option<String>,
    send_time: Option<i64>,
    random: Option<u32>,
    msg_body: Option<Box<RawValue>>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ImportResult {
    msg_seq: u64,
    msg_time: i64,
    result: u32,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ImportResp {
    import_msg_result: Vec<ImportResult>,
}

/// spec: group-messages.md §10. At most 7 messages, each checked on its own: a message too
/// long gets `Result` 80002, one breaking the time rules (not after now, not before the
/// group's CreateTime or the newest message) 10004; refused messages take no seq (`MsgSeq`
/// 0, `MsgTime` their SendTime). A malformed request (field types, MsgBody format) refuses
/// the whole call with 10004, and so does a sender that is not a well-formed UserID
/// (accounts.md §0; `check_user_id` says why 10004). Senders need not exist: imported
/// history may name departed users. AVChatRoom: 10007.
pub async fn import_group_msg(ctx: &Ctx, req: ImportReq) -> Result<ImportResp, Failure> {
    let id = group_id(req.group_id)?;
    let topic = topic_of(&id, req.topic_id)?;
    let list = required(req.msg_list, "MsgList")?;
    let recent_contact = flag(req.recent_contact_flag, "RecentContactFlag")?;
    if list.is_empty() || list.len() > MAX_IMPORT_MSGS {
        return Err(invalid(format!(
            "MsgList has {} messages; 1-{MAX_IMPORT_MSGS} are allowed",
            list.len()
        ))
        .into());
    }
    // Per message: Ok(message to import) or the Result code it already failed with.
    let mut checked: Vec<Result<ImportMsg, (i64, ErrorCode)>> = Vec::with_capacity(list.len());
    for (i, m) in list.into_iter().enumerate() {
        let field = format!("MsgList[{i}].From_Account");
        let from = required(m.from.filter(|f| !f.is_empty()), &field)?;
        check_user_id(&field, &from)?;
        let send_time = required(m.send_time, &format!("MsgList[{i}].SendTime"))?;
        let body =
            body(m.msg_body).map_err(|e| Error::new(e.code, format!("MsgList[{i}].{}", e.info)))?;
        checked.push(match check_size(ctx, &body, None) {
            Err(e) => Err((send_time, e.code)),
            Ok(()) => Ok(ImportMsg {
                from,
                send_time,
                random: m.random,
                body,
                cloud_custom_data: None,
            }),
        });
    }
    let to_import: Vec<ImportMsg> = checked.iter().filter_map(|c| c.clone().ok()).collect();
    let mut imported = if to_import.is_empty() {
        Vec::new()
    } else if let Some(topic) = topic {
        // Into the topic's own sequence (groups-more.md §8.7).
        ctx.store()
            .import_topic_messages(ctx.caller.app.sdkappid, id, topic, to_import, ctx.now)
            .await?
    } else {
        ctx.store()
            .import_messages(
                ctx.caller.app.sdkappid,
                id,
                to_import,
                recent_contact,
                ctx.now,
            )
            .await?
    }
    .into_iter();
    let mut import_msg_result = Vec::with_capacity(checked.len());
    for c in checked {
        let (msg_seq, msg_time, result) = match c {
            Err((send_time, code)) => (0, send_time, code.code()),
            Ok(m) => match imported.next() {
                Some(Imported::Stored(sent)) => (sent.seq, sent.time, 0),
                Some(Imported::Refused(code)) => (0, m.send_time, code.code()),
                None => {
                    return Err(Failure::internal(
                        "the store answered fewer import results than messages",
                    ))
                }
            },
        };
        import_msg_result.push(ImportResult {
            msg_seq,
            msg_time,
            result,
        });
    }
    Ok(ImportResp { import_msg_result })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SetUnreadReq {
    group_id: Option<String>,
    #[serde(rename = "Member_Account", default, deserialize_with = "opt_account")]
    member: Option<String>,
    unread_msg_num: Option<u64>,
}

/// spec: group-messages.md §11. Sets the member's read position so that `UnreadMsgNum`
/// messages are unread (clamped to the messages there are). Not a member: 10007 (10019 for
/// an account that does not exist). ChatRoom and AVChatRoom keep no unread counts: accepted,
/// nothing changes.
pub async fn set_unread_msg_num(ctx: &Ctx, req: SetUnreadReq) -> Result<Empty, Failure> {
    let id = group_id(req.group_id)?;
    let member = required(req.member.filter(|m| !m.is_empty()), "Member_Account")?;
    let unread = required(req.unread_msg_num, "UnreadMsgNum")?;
    ctx.store()
        .set_unread(ctx.caller.app.sdkappid, id, member, unread)
        .await?;
    Ok(Empty {})
}
