//! admin_set_msg_read and get_c2c_unread_msg_num. spec: c2c-messages.md §8, §9.

use super::fields::{account, invalid};
use crate::envelope::{opt_account, opt_accounts, Empty};
use crate::failure::Failure;
use crate::Ctx;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use timber_core::account::validate_user_id;
use timber_core::c2c::MAX_UNREAD_PEERS;
use timber_core::ErrorCode;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SetMsgReadReq {
    #[serde(rename = "Report_Account", default, deserialize_with = "opt_account")]
    report: Option<String>,
    #[serde(rename = "Peer_Account", default, deserialize_with = "opt_account")]
    peer: Option<String>,
    msg_read_time: Option<Value>,
}

/// spec: c2c-messages.md §8. `Report_Account` (90008) has read its messages from
/// `Peer_Account` (90003) sent at or before `MsgReadTime` (absent: now; a number or, as one
/// revision of the page shows, a numeric string; anything else 90001). The read mark never
/// moves back, nor past now.
pub async fn admin_set_msg_read(ctx: &Ctx, req: SetMsgReadReq) -> Result<Empty, Failure> {
    let report = account(req.report, "Report_Account", ErrorCode::FromAccountInvalid)?;
    let peer = account(req.peer, "Peer_Account", ErrorCode::ToAccountInvalid)?;
    let read_time = match &req.msg_read_time {
        None | Some(Value::Null) => Some(ctx.now),
        Some(Value::Number(n)) => n.as_i64().filter(|&t| t >= 0),
        Some(Value::String(s)) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => {
            s.parse().ok()
        }
        Some(_) => None,
    }
    .ok_or_else(|| invalid("MsgReadTime must be a Unix time in seconds"))?;
    ctx.store()
        .set_c2c_read(ctx.caller.app.sdkappid, report, peer, read_time, ctx.now)
        .await?;
    Ok(Empty {})
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UnreadReq {
    #[serde(rename = "To_Account", default, deserialize_with = "opt_account")]
    to: Option<String>,
    #[serde(rename = "Peer_Account", default, deserialize_with = "opt_accounts")]
    peers: Option<Vec<String>>,
}

#[derive(Serialize)]
pub struct PeerUnread {
    #[serde(rename = "Peer_Account")]
    peer: String,
    #[serde(rename = "C2CUnreadMsgNum")]
    count: u64,
}

#[derive(Serialize)]
pub struct PeerError {
    #[serde(rename = "Peer_Account")]
    peer: String,
    #[serde(rename = "ErrorCode")]
    code: u32,
}

#[derive(Serialize)]
pub struct UnreadResp {
    #[serde(rename = "AllC2CUnreadMsgNum", skip_serializing_if = "Option::is_none")]
    total: Option<u64>,
    #[serde(
        rename = "C2CUnreadMsgNumList",
        skip_serializing_if = "Option::is_none"
    )]
    list: Option<Vec<PeerUnread>>,
    #[serde(rename = "ErrorList", skip_serializing_if = "Option::is_none")]
    errors: Option<Vec<PeerError>>,
}

/// spec: c2c-messages.md §9. Without `Peer_Account`: `AllC2CUnreadMsgNum`, the user's total.
/// With it (1–10 peers, 90001 otherwise): `C2CUnreadMsgNumList` per known peer and
/// `ErrorList` (70107) for the others. `To_Account` absent or unknown: 90003. Counts are
/// capped at 250 per conversation and 100 conversations (limits.md §5).
pub async fn get_c2c_unread_msg_num(ctx: &Ctx, req: UnreadReq) -> Result<UnreadResp, Failure> {
    let user = account(req.to, "To_Account", ErrorCode::ToAccountInvalid)?;
    let mut errors = Vec::new();
    let peers = match req.peers {
        None => None,
        Some(list) => {
            if list.is_empty() || list.len() > MAX_UNREAD_PEERS {
                return Err(invalid(format!(
                    "Peer_Account has {} entries; give 1 to {MAX_UNREAD_PEERS}",
                    list.len()
                ))
                .into());
            }
            let mut known = Vec::new();
            for p in list {
                if validate_user_id(&p).is_err() {
                    errors.push(PeerError {
                        peer: p,
                        code: ErrorCode::AccountNotFound.code(),
                    });
                } else if !known.contains(&p) {
                    known.push(p);
                }
            }
            Some(known)
        }
    };
    let named = peers.is_some();
    let counts = ctx
        .store()
        .c2c_unread(ctx.caller.app.sdkappid, user, peers, ctx.retention())
        .await?;
    if !named {
        return Ok(UnreadResp {
            total: Some(counts.total.unwrap_or(0)),
            list: None,
            errors: None,
        });
    }
    let mut list = Vec::new();
    for (peer, r) in counts.peers {
        match r {
            Ok(count) => list.push(PeerUnread { peer, count }),
            Err(code) => errors.push(PeerError {
                peer,
                code: code.code(),
            }),
        }
    }
    Ok(UnreadResp {
        total: None,
        list: Some(list),
        errors: Some(errors),
    })
}
