//! Group message operations, written once for every backend. spec: group-messages.md.

use crate::groups::GroupRecord;
use crate::messages::NewGroupMsg;
use crate::sql::{params, Tx};
use crate::Result;
use timber_core::AppId;

/// Gives `msg` the group's next MsgSeq and stores it (AVChatRoom: the seq is taken for
/// ordering, nothing is stored). The caller holds the group (`lock_group`) in the same
/// transaction, so a seq is never skipped or taken twice (DESIGN.md invariant 2).
pub(crate) async fn append_message(t: &mut impl Tx, app: AppId, g: &mut GroupRecord, msg: &NewGroupMsg) -> Result<u64> {
    let seq = t
        .query_one(
            "UPDATE groups SET next_msg_seq = next_msg_seq + 1,
                 last_msg_time = CASE WHEN last_msg_time > $2 THEN last_msg_time ELSE $2 END
             WHERE gkey = $1 RETURNING next_msg_seq - 1",
            params![g.key, msg.time],
        )
        .await?
        .u64(0);
    if g.ty.stores_history() {
        let to = (!msg.to_accounts.is_empty()).then(|| serde_json::to_string(&msg.to_accounts).unwrap_or_default());
        t.execute(
            "INSERT INTO group_messages (app, gkey, seq, sender, random, time, priority, state,
                 is_system, body, cloud_custom_data, to_accounts)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            params![
                app,
                g.key,
                seq,
                &msg.from,
                msg.random,
                msg.time,
                msg.priority,
                msg.state.to_db(),
                msg.is_system,
                &msg.body,
                &msg.cloud_custom_data,
                to.as_deref(),
            ],
        )
        .await?;
    }
    g.next_msg_seq = seq + 1;
    g.last_msg_time = g.last_msg_time.max(msg.time);
    Ok(seq)
}
