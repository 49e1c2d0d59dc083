//! Group messages on SQLite. spec: group-messages.md.

use super::SqliteStore;
use crate::groups::GroupRecord;
use crate::messages::{MessageStore, NewGroupMsg};
use crate::Result;
use rusqlite::{params, Connection};
use timber_core::AppId;

/// Gives `msg` the group's next MsgSeq and stores it (AVChatRoom: the seq is taken for
/// ordering, nothing is stored). Seq allocation and insert share the caller's transaction, so
/// a seq is never skipped or taken twice (DESIGN.md invariant 2).
pub(crate) fn append_message(
    c: &Connection,
    app: AppId,
    g: &mut GroupRecord,
    msg: &NewGroupMsg,
) -> Result<u64> {
    let seq: i64 = c
        .prepare_cached(
            "UPDATE groups SET next_msg_seq = next_msg_seq + 1, last_msg_time = max(last_msg_time, ?2)
             WHERE gkey = ?1 RETURNING next_msg_seq - 1",
        )?
        .query_row(params![g.key, msg.time], |r| r.get(0))?;
    if g.ty.stores_history() {
        let to = (!msg.to_accounts.is_empty())
            .then(|| serde_json::to_string(&msg.to_accounts).unwrap_or_default());
        c.prepare_cached(
            "INSERT INTO group_messages (app, gkey, seq, sender, random, time, priority, state,
                 is_system, body, cloud_custom_data, to_accounts)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        )?
        .execute(params![
            app as i64,
            g.key,
            seq,
            msg.from,
            msg.random,
            msg.time,
            msg.priority,
            msg.state.to_db(),
            msg.is_system,
            msg.body,
            msg.cloud_custom_data,
            to,
        ])?;
    }
    g.next_msg_seq = seq as u64 + 1;
    g.last_msg_time = g.last_msg_time.max(msg.time);
    Ok(seq as u64)
}

#[async_trait::async_trait]
impl MessageStore for SqliteStore {}
