//! `v4/openim_robot_http_svc/*`: chatbots and their streamed replies. spec:
//! push-and-operations.md §6, §8. A chatbot is an imported account flagged as a bot
//! (`timber_core::robot`); its `Nick`, `FaceUrl` and `SelfSignature` are its profile tags. A
//! streamed reply is one stored C2C message from the bot, rewritten with every chunk.
//!
//! Each command is one store transaction: create_robot's flag, import and profile
//! (`OfficialStore::create_robot`), a stream's first message and its record, a chunk and the
//! rewritten message; a refusal leaves nothing half-written.
//!
//! Not done yet: the `Bot.OnC2CMessage` / `Bot.OnGroupMessage` callbacks.

use crate::envelope::{account, Empty, Service};
use crate::failure::Failure;
use crate::msg_body::check_size;
use crate::Ctx;
use serde::{Deserialize, Serialize};
use serde_json::json;
use timber_core::c2c::{server_seq, MsgKey, NewC2cMsg};
use timber_core::profile::RawItem;
use timber_core::profile::{IMAGE, NICK};
use timber_core::robot::{check_robot_id, stream_body, MAX_FIELD_BYTES};
use timber_core::Error;
use timber_store::official::{NewRobot, StreamChunk};

const SELF_SIGNATURE: &str = "Tag_Profile_IM_SelfSignature";

fn invalid(info: impl Into<String>) -> Error {
    Service::Robot.invalid(info)
}

#[derive(Deserialize)]
pub struct CreateReq {
    #[serde(rename = "UserID", deserialize_with = "account")]
    user: String,
    #[serde(rename = "Nick", default)]
    nick: Option<String>,
    #[serde(rename = "FaceUrl", default)]
    face_url: Option<String>,
    #[serde(rename = "SelfSignature", default)]
    signature: Option<String>,
}

/// `create_robot`: flags the bot (10004 for a UserID without `@RBT#`, a 21st bot, or a field
/// over 500 bytes or holding NUL), imports its account and writes the given profile fields,
/// in one transaction. Creating one again succeeds.
pub async fn create_robot(ctx: &Ctx, req: CreateReq) -> Result<Empty, Failure> {
    check_robot_id(&req.user)?;
    let fields = [
        (NICK, "Nick", &req.nick),
        (IMAGE, "FaceUrl", &req.face_url),
        (SELF_SIGNATURE, "SelfSignature", &req.signature),
    ];
    for (_, name, value) in &fields {
        if value.as_ref().map_or(0, String::len) > MAX_FIELD_BYTES {
            return Err(invalid(format!("{name} is over {MAX_FIELD_BYTES} bytes")).into());
        }
        if value.as_ref().is_some_and(|v| v.contains('\0')) {
            return Err(invalid(format!("{name} holds a NUL character")).into());
        }
    }
    let app = &ctx.caller.app;
    let items: Vec<RawItem> = fields
        .iter()
        .filter_map(|(tag, _, v)| {
            Some(RawItem {
                tag: (*tag).to_owned(),
                value: json!(v.as_ref()?),
            })
        })
        .collect();
    let robot = NewRobot {
        user: req.user,
        operator: ctx.caller.identifier.clone(),
        items,
        custom: app.profile_custom_tags.clone(),
        now: ctx.now,
    };
    ctx.store().create_robot(app.sdkappid, robot).await?;
    Ok(Empty {})
}

#[derive(Deserialize)]
pub struct DeleteReq {
    #[serde(rename = "Robot_Account", deserialize_with = "account")]
    user: String,
}

/// `delete_robot`: the bot is no longer valid; its account stays.
pub async fn delete_robot(ctx: &Ctx, req: DeleteReq) -> Result<Empty, Failure> {
    ctx.store()
        .unflag_robot(ctx.caller.app.sdkappid, req.user)
        .await?;
    Ok(Empty {})
}

#[derive(Deserialize)]
pub struct ListReq {}

#[derive(Serialize)]
pub struct ListResp {
    #[serde(rename = "Robot_Account")]
    robots: Vec<String>,
}

/// `get_all_robots`: the valid bots, sorted.
pub async fn get_all_robots(ctx: &Ctx, _: ListReq) -> Result<ListResp, Failure> {
    let robots = ctx.store().robots(ctx.caller.app.sdkappid).await?;
    Ok(ListResp { robots })
}

#[derive(Deserialize)]
pub struct StreamReq {
    #[serde(rename = "From_Account", deserialize_with = "account")]
    from: String,
    #[serde(rename = "To_Account", deserialize_with = "account")]
    to: String,
    #[serde(rename = "Chunk")]
    chunk: String,
    #[serde(rename = "MsgKey", default)]
    key: Option<String>,
    #[serde(rename = "Finish", default)]
    finish: Option<u8>,
}

#[derive(Serialize)]
pub struct StreamResp {
    #[serde(rename = "MsgKey")]
    key: String,
}

/// `send_stream_msg`: the first call (no `MsgKey`) stores a C2C message from the bot to the
/// user and answers its key; later calls append their chunk to it, `Finish` 1 the last.
/// 10004 for a sender that is not a valid bot, an unknown receiver, an unknown or finished
/// key; 80002 when the message would grow past the app's `max_msg_bytes` (the chunk is not
/// appended). Later calls go to the first call's receiver (their `To_Account` is not
/// compared). Each call is one transaction.
pub async fn send_stream_msg(ctx: &Ctx, req: StreamReq) -> Result<StreamResp, Failure> {
    let finish = match req.finish {
        None | Some(0) => false,
        Some(1) => true,
        Some(v) => return Err(invalid(format!("Finish {v} must be 0 or 1")).into()),
    };
    let app = &ctx.caller.app;
    let store = ctx.store();
    let Some(key) = req.key.filter(|k| !k.is_empty()) else {
        let chunks = vec![req.chunk];
        let body = stream_body(&chunks, finish);
        check_size(ctx, &body, None)?;
        let msg = NewC2cMsg {
            from: req.from,
            to: req.to,
            seq: server_seq(),
            random: rand::random(),
            time: ctx.now,
            body,
            cloud_custom_data: None,
            offline_push: None,
            sync_sender: true,
            counts_unread: true,
            updates_last: true,
            need_receipt: false,
            online_only: false,
            after_callback: false,
            support_extension: false,
        };
        let sent = store
            .start_stream_msg(app.sdkappid, msg, chunks, finish)
            .await?;
        return Ok(StreamResp {
            key: sent.key.to_string(),
        });
    };
    let msg_key = MsgKey::parse(&key)
        .ok_or_else(|| invalid(format!("MsgKey {key:?} is not a key this server gave")))?;
    let chunk = StreamChunk {
        key: msg_key,
        from: req.from,
        chunk: req.chunk,
        finish,
        max_bytes: app.max_msg_bytes,
        retention: ctx.retention(),
    };
    store.append_stream_msg(app.sdkappid, chunk).await?;
    Ok(StreamResp { key })
}
