//! Group messages on PostgreSQL. spec: group-messages.md.

use super::PgStore;
use crate::groups::GroupRecord;
use crate::messages::{MessageStore, NewGroupMsg};
use crate::Result;
use deadpool_postgres::Transaction;
use timber_core::AppId;

/// Gives `msg` the group's next MsgSeq and stores it (AVChatRoom: seq only). The caller holds
/// the group's row lock, so no other node can take the same seq (DESIGN.md invariant 2).
pub(crate) async fn append_message(
    t: &Transaction<'_>,
    app: AppId,
    g: &mut GroupRecord,
    msg: &NewGroupMsg,
) -> Result<u64> {
    let stmt = t
        .prepare_cached(
            "UPDATE groups SET next_msg_seq = next_msg_seq + 1,
                 last_msg_time = CASE WHEN last_msg_time > $2 THEN last_msg_time ELSE $2 END
             WHERE gkey = $1 RETURNING next_msg_seq - 1",
        )
        .await?;
    let seq: i64 = t.query_one(&stmt, &[&g.key, &msg.time]).await?.get(0);
    if g.ty.stores_history() {
        let to = (!msg.to_accounts.is_empty())
            .then(|| serde_json::to_string(&msg.to_accounts).unwrap_or_default());
        let stmt = t
            .prepare_cached(
                "INSERT INTO group_messages (app, gkey, seq, sender, random, time, priority, state,
                     is_system, body, cloud_custom_data, to_accounts)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            )
            .await?;
        t.execute(
            &stmt,
            &[
                &(app as i64),
                &g.key,
                &seq,
                &msg.from,
                &i64::from(msg.random),
                &msg.time,
                &i64::from(msg.priority),
                &msg.state.to_db(),
                &msg.is_system,
                &msg.body,
                &msg.cloud_custom_data,
                &to,
            ],
        )
        .await?;
    }
    g.next_msg_seq = seq as u64 + 1;
    g.last_msg_time = g.last_msg_time.max(msg.time);
    Ok(seq as u64)
}

#[async_trait::async_trait]
impl MessageStore for PgStore {}
