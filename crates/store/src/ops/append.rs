//! Writing messages at the seqs a decision gave them, and the group's head after them
//! (`timber_core::message::Appender` takes the seqs). The decision read the head under the
//! group's lock in the same transaction, so its seqs are the row's own: never skipped, never
//! taken twice (DESIGN.md invariant 2).

use crate::sql::{params, WriteTx};
use crate::DbError;
use timber_core::contacts::GroupHead;
use timber_core::message::{Appends, MsgHead, NewGroupMsg};
use timber_core::AppId;

/// Stores every row of `appends` and moves the group's head.
pub(super) async fn write(
    w: &mut impl WriteTx,
    app: AppId,
    gkey: i64,
    appends: &Appends,
) -> Result<(), DbError> {
    insert_rows(w, app, gkey, appends).await?;
    if let Some(head) = appends.head {
        move_head(w, gkey, head, None).await?;
    }
    Ok(())
}

/// Stores the rows of `appends`, without moving the group's head (the caller writes it).
pub(super) async fn insert_rows(
    w: &mut impl WriteTx,
    app: AppId,
    gkey: i64,
    appends: &Appends,
) -> Result<(), DbError> {
    // One statement for all the rows: import_group_msg stores seven at once, and the bulk
    // seeding of a history is made of those (BENCHMARKS.md, ledger: bulk seeding).
    for chunk in appends.rows.chunks(MAX_ROWS_PER_INSERT) {
        insert_all(w, app, gkey, chunk).await?;
    }
    Ok(())
}

/// Moves the group's next seq and newest message time to `head`, and with `contact` its
/// contact head too, in the same statement: a message that moves the members' conversations
/// costs the send no write of its own (`timber_core::contacts::list`).
pub(super) async fn move_head(
    w: &mut impl WriteTx,
    gkey: i64,
    head: MsgHead,
    contact: Option<GroupHead>,
) -> Result<(), DbError> {
    match contact {
        None => {
            w.write(
                "UPDATE groups SET next_msg_seq = $2, last_msg_time = $3 WHERE gkey = $1",
                params![gkey, head.next_msg_seq, head.last_msg_time],
            )
            .await?
        }
        Some(c) => {
            w.write(
                "UPDATE groups SET next_msg_seq = $2, last_msg_time = $3, contact_seq = $4,
                     contact_time = $5 WHERE gkey = $1",
                params![gkey, head.next_msg_seq, head.last_msg_time, c.seq, c.time],
            )
            .await?
        }
    };
    Ok(())
}

/// Rows per multi-row INSERT: 12 parameters each, well under SQLite's limit of 32,766.
const MAX_ROWS_PER_INSERT: usize = 64;

const INSERT_INTO: &str = "INSERT INTO group_messages (app, gkey, seq, sender, random, time, \
    priority, state, is_system, body, cloud_custom_data, to_accounts) VALUES ";

/// The receivers column of a message (NULL when it is for every member).
fn to_accounts(msg: &NewGroupMsg) -> Option<String> {
    (!msg.to_accounts.is_empty())
        .then(|| serde_json::to_string(&msg.to_accounts).unwrap_or_default())
}

/// The body column: an online-only message keeps its slot, never its body (the body is only
/// pushed to connected members, timber_core::member).
fn stored_body(msg: &NewGroupMsg) -> &str {
    if msg.state == timber_core::message::SlotState::Unstored {
        timber_core::message::PLACEHOLDER_BODY
    } else {
        msg.body.as_str()
    }
}

/// Stores `rows` (seq, message) in one statement.
async fn insert_all(
    w: &mut impl WriteTx,
    app: AppId,
    gkey: i64,
    rows: &[(u64, NewGroupMsg)],
) -> Result<(), DbError> {
    if let [(seq, msg)] = rows {
        return insert(w, app, gkey, *seq, msg).await;
    }
    let tos: Vec<Option<String>> = rows.iter().map(|(_, m)| to_accounts(m)).collect();
    let mut sql = String::from(INSERT_INTO);
    let mut params = Vec::with_capacity(rows.len() * 12);
    for (k, ((seq, msg), to)) in rows.iter().zip(&tos).enumerate() {
        if k > 0 {
            sql.push_str(", ");
        }
        let n = 12 * k;
        let marks: Vec<String> = (1..=12).map(|i| format!("${}", n + i)).collect();
        sql.push('(');
        sql.push_str(&marks.join(", "));
        sql.push(')');
        params.extend_from_slice(params![
            app,
            gkey,
            *seq,
            &msg.from,
            msg.random,
            msg.time,
            msg.priority,
            msg.state.to_db(),
            msg.is_system,
            stored_body(msg),
            &msg.cloud_custom_data,
            to.as_deref(),
        ]);
    }
    w.write(&sql, &params).await
}

/// Stores one message at `seq`.
pub(super) async fn insert(
    w: &mut impl WriteTx,
    app: AppId,
    gkey: i64,
    seq: u64,
    msg: &NewGroupMsg,
) -> Result<(), DbError> {
    let to = to_accounts(msg);
    let body = stored_body(msg);
    w.write(
        "INSERT INTO group_messages (app, gkey, seq, sender, random, time, priority, state,
             is_system, body, cloud_custom_data, to_accounts)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        params![
            app,
            gkey,
            seq,
            &msg.from,
            msg.random,
            msg.time,
            msg.priority,
            msg.state.to_db(),
            msg.is_system,
            body,
            &msg.cloud_custom_data,
            to.as_deref(),
        ],
    )
    .await?;
    Ok(())
}
