//! sendmsg, batchsendmsg and importmsg: storing one-to-one messages. spec: c2c-messages.md
//! §3–§5. Fields are checked here; the accounts, repeats and the conversation are checked by
//! the store in the transaction that writes.

use super::fields::{
    account, controls, flag, invalid, life_time, message, opt_int, opt_u32, sync_sender,
};
use crate::callbacks;
use crate::envelope::{opt_account, Empty};
use crate::failure::Failure;
use crate::msg_body::checked_raw;
use crate::Ctx;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::Value;
use timber_core::account::validate_user_id;
use timber_core::c2c::{msg_id, server_seq, C2cSent, ImportC2cMsg, NewC2cMsg, MAX_BATCH_RECEIVERS};
use timber_core::callback::{BeforeKind, C2cMsgFields, Verdict};
use timber_core::message::{CALLBACK_CONTROLS, SEND_MSG_CONTROLS};
use timber_core::{Error, ErrorCode};

/// The fields sendmsg and batchsendmsg share; `To_Account` is a string for one and an array
/// for the other, so it is read by each.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SendReq {
    sync_other_machine: Option<Value>,
    #[serde(rename = "From_Account", default, deserialize_with = "opt_account")]
    from: Option<String>,
    #[serde(rename = "To_Account")]
    to: Option<Value>,
    msg_life_time: Option<Value>,
    msg_seq: Option<Value>,
    msg_random: Option<Value>,
    online_only_flag: Option<Value>,
    forbid_callback_control: Option<Vec<String>>,
    send_msg_control: Option<Vec<String>>,
    msg_body: Option<Box<RawValue>>,
    cloud_custom_data: Option<String>,
    support_message_extension: Option<Value>,
    offline_push_info: Option<Box<RawValue>>,
    is_need_read_receipt: Option<Value>,
}

/// The message a send request describes, for `to` (filled in per receiver), and whether the
/// request forbade the before-callback.
fn new_msg(ctx: &Ctx, req: SendReq) -> Result<(NewC2cMsg, bool), Error> {
    let sync_sender = sync_sender(req.sync_other_machine.as_ref())?;
    let from = match req.from.filter(|f| !f.is_empty()) {
        None => ctx.caller.identifier.clone(),
        some => account(some, "From_Account", ErrorCode::FromAccountInvalid)?,
    };
    let life = life_time(req.msg_life_time.as_ref())?;
    let random = opt_u32(
        req.msg_random.as_ref(),
        "MsgRandom",
        ErrorCode::MsgRandomInvalid,
    )?
    .ok_or_else(|| Error::new(ErrorCode::MsgRandomInvalid, "MsgRandom is required"))?;
    // Absent: the server picks one (inferred: a random value, c2c-messages.md §1).
    let seq = opt_u32(req.msg_seq.as_ref(), "MsgSeq", ErrorCode::OpenimJsonParse)?
        .unwrap_or_else(server_seq);
    let online_only_flag = flag(req.online_only_flag.as_ref(), "OnlineOnlyFlag")?;
    let forbid = controls(
        &req.forbid_callback_control,
        "ForbidCallbackControl",
        CALLBACK_CONTROLS,
    )?;
    let forbids = |c: &str| forbid.iter().any(|f| f == c);
    let after_callback = !forbids(CALLBACK_CONTROLS[1])
        && ctx
            .caller
            .app
            .wants_callback(timber_core::callback::C2C_AFTER_SEND);
    let no_before = forbids(CALLBACK_CONTROLS[0]);
    let send_controls = controls(&req.send_msg_control, "SendMsgControl", SEND_MSG_CONTROLS)?;
    let has = |c: &str| send_controls.iter().any(|s| s == c);
    let support_extension = flag(
        req.support_message_extension.as_ref(),
        "SupportMessageExtension",
    )?;
    let need_receipt = flag(req.is_need_read_receipt.as_ref(), "IsNeedReadReceipt")?;
    let offline_push = match req.offline_push_info {
        None => None,
        Some(raw) if raw.get().trim_start().starts_with('{') => Some(raw.get().to_owned()),
        Some(raw) if raw.get() == "null" => None,
        Some(_) => return Err(invalid("OfflinePushInfo must be an object")),
    };
    let body = message(ctx, req.msg_body, req.cloud_custom_data.as_deref())?;
    let msg = NewC2cMsg {
        from,
        to: String::new(),
        seq,
        random,
        time: ctx.now,
        body,
        cloud_custom_data: req.cloud_custom_data,
        offline_push,
        sync_sender,
        counts_unread: !has("NoUnread") && !online_only_flag,
        updates_last: !has("NoLastMsg"),
        need_receipt,
        online_only: life == 0 || online_only_flag,
        after_callback,
        support_extension,
    };
    Ok((msg, no_before))
}

/// What sendmsg answers.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SendMsgResp {
    msg_time: i64,
    msg_key: String,
    msg_id: String,
}

fn answer(from: &str, sent: C2cSent) -> SendMsgResp {
    SendMsgResp {
        msg_time: sent.key.time,
        msg_key: sent.key.to_string(),
        msg_id: msg_id(from, sent.key.time, sent.key.random),
    }
}

/// The single `To_Account` of sendmsg: a string (a number is the envelope's 60015), which
/// must name an account that can exist (90012 otherwise, like an unknown one; absent 90003).
fn one_receiver(to: Option<Value>) -> Result<String, Error> {
    match to {
        None | Some(Value::Null) => Err(Error::new(
            ErrorCode::ToAccountInvalid,
            "To_Account is required",
        )),
        Some(Value::String(s)) if s.is_empty() => Err(Error::new(
            ErrorCode::ToAccountInvalid,
            "To_Account is required",
        )),
        Some(Value::String(s)) => {
            validate_user_id(&s).map_err(|why| {
                Error::new(ErrorCode::ToAccountNotFound, format!("To_Account: {why}"))
            })?;
            Ok(s)
        }
        Some(other) => Err(Error::new(
            ErrorCode::AccountNotString,
            format!("To_Account must be a string, got {other}"),
        )),
    }
}

/// spec: c2c-messages.md §3. The sender defaults to the calling admin. `MsgLifeTime` 0 or
/// `OnlineOnlyFlag` 1 store nothing (the message would only reach online devices, and none
/// can connect yet) and still answer the key the message has.
pub async fn sendmsg(ctx: &Ctx, mut req: SendReq) -> Result<SendMsgResp, Failure> {
    let to = one_receiver(req.to.take())?;
    let (mut msg, no_before) = new_msg(ctx, req)?;
    msg.to = to;
    let from = msg.from.clone();
    if !no_before && callbacks::wants_before(ctx, BeforeKind::C2cSend) {
        let key = timber_core::c2c::MsgKey {
            time: msg.time,
            seq: msg.seq,
            random: msg.random,
        }
        .to_string();
        let id = msg_id(&msg.from, msg.time, msg.random);
        let fields = C2cMsgFields {
            from: &msg.from,
            to: &msg.to,
            seq: msg.seq,
            random: msg.random,
            time: msg.time,
            key: &key,
            msg_id: &id,
            online_only: msg.online_only,
            body: &msg.body,
            cloud_custom_data: msg.cloud_custom_data.as_deref(),
        };
        match callbacks::before(ctx, BeforeKind::C2cSend, fields.to_value()).await {
            Verdict::Refuse(e) => return Err(e.into()),
            // Dropped: success with the key the message would have had; nothing is stored.
            Verdict::Drop => {
                return Ok(SendMsgResp {
                    msg_time: msg.time,
                    msg_key: key,
                    msg_id: id,
                })
            }
            Verdict::Allow {
                msg_body,
                cloud_custom_data,
                ..
            } => {
                // A replacement that is not a valid MsgBody is ignored (inferred).
                if let Some(new) = msg_body.and_then(|b| checked_raw(&b)) {
                    msg.body = new;
                }
                if let Some(data) = cloud_custom_data {
                    msg.cloud_custom_data = Some(data);
                }
            }
        }
    }
    crate::moderation::replace_words(ctx, &mut msg.body).await?;
    let sent = ctx.store().send_c2c(ctx.caller.app.sdkappid, msg).await?;
    Ok(answer(&from, sent))
}

#[derive(Serialize)]
pub struct BatchError {
    #[serde(rename = "To_Account")]
    to: String,
    #[serde(rename = "ErrorCode")]
    code: u32,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct BatchSendResp {
    msg_key: String,
    msg_id: String,
    error_list: Vec<BatchError>,
}

/// The receivers of batchsendmsg: an array of 1–500 strings (90011 beyond, 90003 for none),
/// each given once (a repeat is dropped). One that no account can have is reported in
/// `ErrorList` with 70107, like an unknown one.
fn receivers(to: Option<Value>) -> Result<Vec<String>, Error> {
    let list = match to {
        Some(Value::Array(list)) => list,
        None | Some(Value::Null) => {
            return Err(Error::new(
                ErrorCode::ToAccountInvalid,
                "To_Account is required",
            ))
        }
        Some(other) => {
            return Err(Error::new(
                ErrorCode::ToAccountInvalid,
                format!("To_Account must be an array of UserIDs, got {other}"),
            ))
        }
    };
    if list.is_empty() {
        return Err(Error::new(
            ErrorCode::ToAccountInvalid,
            "To_Account is empty",
        ));
    }
    if list.len() > MAX_BATCH_RECEIVERS {
        return Err(Error::new(
            ErrorCode::TooManyTargets,
            format!(
                "To_Account has {} entries; at most {MAX_BATCH_RECEIVERS} are allowed",
                list.len()
            ),
        ));
    }
    let mut out: Vec<String> = Vec::with_capacity(list.len());
    for v in list {
        let Value::String(s) = v else {
            return Err(Error::new(
                ErrorCode::AccountNotString,
                format!("To_Account entries must be strings, got {v}"),
            ));
        };
        if !out.contains(&s) {
            out.push(s);
        }
    }
    Ok(out)
}

/// spec: c2c-messages.md §4. One message to each receiver, all in one transaction; the top
/// `ErrorCode` stays 0 when some receivers fail, each listed in `ErrorList` (70107: no such
/// account). The batch counts one message per receiver against the app's 12,000 a minute
/// (60007 beyond, nothing sent; a call refused as a whole counts nothing).
pub async fn batchsendmsg(ctx: &Ctx, mut req: SendReq) -> Result<BatchSendResp, Failure> {
    let to = receivers(req.to.take())?;
    // batchsendmsg sends no callbacks (c2c-messages.md §4).
    let (mut template, _) = new_msg(ctx, req)?;
    template.after_callback = false;
    crate::moderation::replace_words(ctx, &mut template.body).await?;
    let mut errors = Vec::new();
    let mut msgs = Vec::with_capacity(to.len());
    for t in to {
        if validate_user_id(&t).is_err() {
            errors.push(BatchError {
                to: t,
                code: ErrorCode::AccountNotFound.code(),
            });
            continue;
        }
        let mut m = template.clone();
        m.to = t;
        msgs.push(m);
    }
    ctx.state
        .batch_budget
        .take(ctx.caller.app.sdkappid, ctx.now, msgs.len() as u64)?;
    let receivers: Vec<String> = msgs.iter().map(|m| m.to.clone()).collect();
    let taken = msgs.len() as u64;
    let results = match ctx
        .store()
        .batch_send_c2c(ctx.caller.app.sdkappid, msgs)
        .await
    {
        Ok(results) => results,
        Err(e) => {
            // Refused as a whole (or failed): nothing was sent, so nothing is counted.
            ctx.state
                .batch_budget
                .give_back(ctx.caller.app.sdkappid, ctx.now, taken);
            return Err(e.into());
        }
    };
    // The batch's key is the one its message has; a receiver whose conversation already held
    // another message with that key got the next free second (see decide_c2c_send).
    let mut key = None;
    for (to, r) in receivers.into_iter().zip(results) {
        match r {
            Ok(sent) => {
                key.get_or_insert(sent.key);
            }
            Err(code) => errors.push(BatchError {
                to,
                code: code.code(),
            }),
        }
    }
    let key = key.unwrap_or(timber_core::c2c::MsgKey {
        time: template.time,
        seq: template.seq,
        random: template.random,
    });
    Ok(BatchSendResp {
        msg_key: key.to_string(),
        msg_id: msg_id(&template.from, key.time, key.random),
        error_list: errors,
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ImportMsgReq {
    sync_from_old_system: Option<Value>,
    #[serde(rename = "From_Account", default, deserialize_with = "opt_account")]
    from: Option<String>,
    #[serde(rename = "To_Account", default, deserialize_with = "opt_account")]
    to: Option<String>,
    msg_seq: Option<Value>,
    msg_random: Option<Value>,
    msg_time_stamp: Option<Value>,
    msg_body: Option<Box<RawValue>>,
    cloud_custom_data: Option<String>,
}

/// spec: c2c-messages.md §5. `SyncFromOldSystem` 1 (real-time import, counted as unread; the
/// documentation's revisions also name this 5, accepted alike) or 2 (history, not unread);
/// anything else 90001. `MsgTimeStamp` is required and may not lie in the future (90006);
/// `MsgSeq` defaults to a random value. A message the conversation already has, by
/// (MsgSeq, MsgRandom, MsgTimeStamp), is accepted and stored once.
pub async fn importmsg(ctx: &Ctx, req: ImportMsgReq) -> Result<Empty, Failure> {
    let counts_unread = match opt_int(
        req.sync_from_old_system.as_ref(),
        "SyncFromOldSystem",
        ErrorCode::OpenimJsonParse,
    )? {
        Some(1 | 5) => true,
        Some(2) => false,
        None => return Err(invalid("SyncFromOldSystem is required: 1 or 2").into()),
        Some(n) => {
            return Err(invalid(format!("SyncFromOldSystem must be 1 or 2, got {n}")).into())
        }
    };
    let from = account(req.from, "From_Account", ErrorCode::FromAccountInvalid)?;
    let to = match req.to.filter(|t| !t.is_empty()) {
        None => {
            return Err(Error::new(ErrorCode::ToAccountInvalid, "To_Account is required").into())
        }
        some => account(some, "To_Account", ErrorCode::ToAccountNotFound)?,
    };
    let random = opt_u32(
        req.msg_random.as_ref(),
        "MsgRandom",
        ErrorCode::MsgRandomInvalid,
    )?
    .ok_or_else(|| Error::new(ErrorCode::MsgRandomInvalid, "MsgRandom is required"))?;
    let seq = opt_u32(req.msg_seq.as_ref(), "MsgSeq", ErrorCode::OpenimJsonParse)?
        .unwrap_or_else(server_seq);
    let time = opt_int(
        req.msg_time_stamp.as_ref(),
        "MsgTimeStamp",
        ErrorCode::MsgTimeStampInvalid,
    )?
    .ok_or_else(|| Error::new(ErrorCode::MsgTimeStampInvalid, "MsgTimeStamp is required"))?;
    if !(0..=ctx.now).contains(&time) {
        return Err(Error::new(
            ErrorCode::MsgTimeStampInvalid,
            format!("MsgTimeStamp {time} must be a Unix time in seconds, not in the future"),
        )
        .into());
    }
    let body = message(ctx, req.msg_body, req.cloud_custom_data.as_deref())?;
    let msg = ImportC2cMsg {
        from,
        to,
        seq,
        random,
        time,
        body,
        cloud_custom_data: req.cloud_custom_data,
        counts_unread,
    };
    ctx.store().import_c2c(ctx.caller.app.sdkappid, msg).await?;
    Ok(Empty {})
}
