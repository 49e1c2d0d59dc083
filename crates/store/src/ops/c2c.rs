//! One-to-one message operations: send (one receiver or many), import, one side's history,
//! recall, modify, one-sided delete, read marks, unread counts and the retention sweep of
//! C2C messages. spec: c2c-messages.md; the rules are `timber_core::c2c`'s.
//!
//! A conversation's messages are the key range `(app, ckey, …)` of `c2c_messages`, ordered by
//! MsgKey as history is; the conversation row holds both sides' state. On PostgreSQL a write
//! first locks the conversation's row in a statement of its own (see
//! `messages::lock_group_row` for why it is its own statement); two first messages of a new
//! conversation both insert its row, and the second conflicts and is retried.

use super::rows::account_exists;
use super::sweep::{expire_step, ExpiringHistory};
use super::{ReadOp, WriteOp};
use crate::messages::RetentionPolicy;
use crate::messages::SweepStep;
use crate::sql::{params, ReadTx, Row, RowRef, WriteTx};
use crate::{DbError, StoreError};
use serde_json::json;
use timber_core::c2c::{
    capped_unread, decide_batch_send, decide_c2c_import, decide_c2c_modify, decide_c2c_send,
    decide_delete, decide_set_read, decide_withdraw, plan_roam, require_account, total_unread,
    unread_after, C2cImportFacts, C2cMsg, C2cPlan, C2cSendFacts, C2cSent, C2cWrite, Conversation,
    ImportC2cMsg, MsgKey, NewC2cMsg, Pair, Party, RoamPage, RoamQuery, SameKeyMsg, Side, SideState,
    MAX_UNREAD_PER_CONVERSATION, MSG_FLAG_RECALLED, SEND_DEDUP_WINDOW_SECS,
};
use timber_core::callback::{self as cb, C2cMsgFields, Event};
use timber_core::member::{C2cMsg as LiveC2cMsg, Change as MemberChange, ChangeSink};
use timber_core::message::{Modified, Retention, PLACEHOLDER_BODY};
use timber_core::{AppId, ErrorCode};

/// Columns read into a [`Conversation`], in [`conv_from_row`] order.
const CONV_COLUMNS: &str = "g.ckey, g.lo_read_time, g.lo_cleared_time, g.lo_last_time, \
    g.hi_read_time, g.hi_cleared_time, g.hi_last_time";

fn conv_from_row(r: &Row) -> Conversation {
    conv_at(r, 0)
}

/// A [`Conversation`] from the [`CONV_COLUMNS`] starting at column `at`.
fn conv_at(r: &Row, at: usize) -> Conversation {
    let side = |i| SideState {
        read_time: r.i64(at + i),
        cleared_time: r.i64(at + i + 1),
        last_time: r.i64(at + i + 2),
    };
    Conversation {
        key: r.i64(at),
        sides: [side(1), side(4)],
    }
}

/// Whether `from` and `to` exist, and the conversation of their `pair` (locked first on
/// PostgreSQL), in one statement: a send's reads before its duplicate probe.
async fn accounts_and_conv(
    r: &mut impl ReadTx,
    app: AppId,
    from: &str,
    to: &str,
    pair: &Pair,
) -> Result<(bool, bool, Option<Conversation>, bool), DbError> {
    lock_conv(r, app, pair).await?;
    let sql = format!(
        "SELECT EXISTS (SELECT 1 FROM accounts WHERE app = $1 AND user_id = $2),
                EXISTS (SELECT 1 FROM accounts WHERE app = $1 AND user_id = $3),
                EXISTS (SELECT 1 FROM dirty_words w WHERE w.app = $1)
                    OR EXISTS (SELECT 1 FROM audit_keywords k WHERE k.app = $1), {CONV_COLUMNS}
         FROM (SELECT 1 AS one) o
         LEFT JOIN c2c_conversations g ON g.app = $1 AND g.user_lo = $4 AND g.user_hi = $5"
    );
    let row = r
        .query_one(&sql, params![app, from, to, &pair.lo, &pair.hi])
        .await?;
    let conv = row.opt_i64(3).is_some().then(|| conv_at(&row, 3));
    // The third: whether the app has dirty words (the send then reads them).
    Ok((row.bool(0), row.bool(1), conv, row.bool(2)))
}

/// Locks the conversation's row (PostgreSQL) in a statement of its own, before a write
/// reads anything of it (see `messages::lock_group_row`); a no-op on SQLite.
pub(super) async fn lock_conv(r: &mut impl ReadTx, app: AppId, pair: &Pair) -> Result<(), DbError> {
    let for_update = r.for_update();
    if !for_update.is_empty() {
        let sql = format!(
            "SELECT 1 FROM c2c_conversations g WHERE g.app = $1 AND g.user_lo = $2 AND g.user_hi = $3{for_update}"
        );
        r.query_opt(&sql, params![app, &pair.lo, &pair.hi]).await?;
    }
    Ok(())
}

/// The conversation of `pair`, if it has one. `lock`: a write's read, which on PostgreSQL
/// first locks the row.
pub(super) async fn find_conv(
    r: &mut impl ReadTx,
    app: AppId,
    pair: &Pair,
    lock: bool,
) -> Result<Option<Conversation>, DbError> {
    if lock {
        lock_conv(r, app, pair).await?;
    }
    let sql = format!(
        "SELECT {CONV_COLUMNS} FROM c2c_conversations g \
         WHERE g.app = $1 AND g.user_lo = $2 AND g.user_hi = $3"
    );
    let row = r.query_opt(&sql, params![app, &pair.lo, &pair.hi]).await?;
    Ok(row.as_ref().map(conv_from_row))
}

/// Columns read into a [`C2cMsg`], in [`msg_from_row`] order.
const MSG_COLUMNS: &str = "time, seq, random, from_lo, client_time, flags, hidden, counts_unread, \
    need_receipt, body, cloud_custom_data";

fn msg_from_row(r: &mut Row) -> C2cMsg {
    C2cMsg {
        key: MsgKey {
            time: r.i64(0),
            seq: r.i64(1) as u32,
            random: r.i64(2) as u32,
        },
        from_lo: r.bool(3),
        client_time: r.i64(4),
        flags: r.i64(5) as u32,
        hidden: r.i64(6) as u8,
        counts_unread: r.bool(7),
        need_receipt: r.bool(8),
        body: r.take_str(9),
        cloud_custom_data: r.take_opt_str(10),
    }
}

/// The message `key` names in conversation `ckey`, if stored.
async fn find_msg(
    r: &mut impl ReadTx,
    app: AppId,
    ckey: i64,
    key: MsgKey,
) -> Result<Option<C2cMsg>, DbError> {
    let sql = format!(
        "SELECT {MSG_COLUMNS} FROM c2c_messages \
         WHERE app = $1 AND ckey = $2 AND time = $3 AND seq = $4 AND random = $5"
    );
    let row = r
        .query_opt(&sql, params![app, ckey, key.time, key.seq, key.random])
        .await?;
    Ok(row.map(|mut r| msg_from_row(&mut r)))
}

/// Both accounts of a command must exist: the acting one (`first_field`) and its peer.
async fn require_both(
    r: &mut impl ReadTx,
    app: AppId,
    (first_field, first): (&str, &str),
    (second_field, second): (&str, &str),
) -> Result<(), StoreError> {
    let exists = account_exists(r, app, first).await?;
    require_account(exists, Party::Acting, first_field, first)?;
    let exists = account_exists(r, app, second).await?;
    require_account(exists, Party::Peer, second_field, second)?;
    Ok(())
}

/// What a send decides on for one receiver.
/// `check_words`: a message of this send is refused (80001) when it holds a dirty word.
async fn send_facts(
    r: &mut impl ReadTx,
    app: AppId,
    msg: &NewC2cMsg,
    check_words: bool,
) -> Result<C2cSendFacts, StoreError> {
    let pair = Pair::new(&msg.from, &msg.to);
    let (sender_exists, receiver_exists, conv, dirty) =
        accounts_and_conv(r, app, &msg.from, &msg.to, &pair).await?;
    if dirty && check_words {
        super::moderation::check_message(r, app, &msg.body).await?;
    }
    let mut same_key = Vec::new();
    if let Some(c) = &conv {
        let rows = r
            .query(
                // The times come from the covering index `c2c_messages_by_seq`: asked for the
                // row's columns at once, SQLite's planner takes the primary key's range on
                // `time` instead and walks every message of the last 120 seconds (the
                // c2c_send benchmark's writer spent most of its time there).
                "SELECT time, from_lo, body, cloud_custom_data FROM c2c_messages
                 WHERE app = $1 AND ckey = $2 AND seq = $3 AND random = $4 AND time IN (
                     SELECT time FROM c2c_messages
                     WHERE app = $1 AND ckey = $2 AND seq = $3 AND random = $4 AND time >= $5)",
                params![
                    app,
                    c.key,
                    msg.seq,
                    msg.random,
                    msg.time - SEND_DEDUP_WINDOW_SECS
                ],
            )
            .await?;
        for mut row in rows {
            same_key.push(SameKeyMsg {
                key: MsgKey {
                    time: row.i64(0),
                    seq: msg.seq,
                    random: msg.random,
                },
                from_lo: row.bool(1),
                body: row.take_str(2),
                cloud_custom_data: row.take_opt_str(3),
            });
        }
    }
    Ok(C2cSendFacts {
        sender_exists,
        receiver_exists,
        conv,
        same_key,
    })
}

/// Stores one decided message: creates the conversation when it has none, inserts the row,
/// moves the sides' `last_time`.
async fn apply_write(w: &mut impl WriteTx, app: AppId, write: &C2cWrite) -> Result<(), DbError> {
    let [lo_last, hi_last] = write.last_times;
    let ckey = match write.conv {
        Some(ckey) => {
            // One statement for whichever sides move; none within the same second.
            match (lo_last, hi_last) {
                (Some(lo), Some(hi)) => {
                    w.execute(
                        "UPDATE c2c_conversations SET lo_last_time = $2, hi_last_time = $3 WHERE ckey = $1",
                        params![ckey, lo, hi],
                    )
                    .await?;
                }
                (Some(lo), None) => {
                    w.execute(
                        "UPDATE c2c_conversations SET lo_last_time = $2 WHERE ckey = $1",
                        params![ckey, lo],
                    )
                    .await?;
                }
                (None, Some(hi)) => {
                    w.execute(
                        "UPDATE c2c_conversations SET hi_last_time = $2 WHERE ckey = $1",
                        params![ckey, hi],
                    )
                    .await?;
                }
                (None, None) => {}
            }
            ckey
        }
        None => {
            let row = w
                .query_opt(
                    "INSERT INTO c2c_conversations (app, user_lo, user_hi, lo_last_time, hi_last_time)
                     VALUES ($1, $2, $3, $4, $5)
                     ON CONFLICT (app, user_lo, user_hi) DO NOTHING RETURNING ckey",
                    params![
                        app,
                        &write.pair.lo,
                        &write.pair.hi,
                        lo_last.unwrap_or(0),
                        hi_last.unwrap_or(0)
                    ],
                )
                .await?;
            // Another node stored the conversation's first message since the check (on
            // PostgreSQL; SQLite's one writer cannot race): nothing was written, and the
            // operation is run again from its checks.
            match row {
                Some(row) => row.i64(0),
                None => {
                    return Err(DbError::Conflict(format!(
                        "the conversation of {:?} and {:?} was just created",
                        write.pair.lo, write.pair.hi
                    )))
                }
            }
        }
    };
    let m = &write.row;
    w.execute(
        "INSERT INTO c2c_messages (app, ckey, time, seq, random, from_lo, client_time, flags,
             hidden, counts_unread, need_receipt, body, cloud_custom_data, offline_push)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
        params![
            app,
            ckey,
            m.key.time,
            m.key.seq,
            m.key.random,
            m.from_lo,
            m.client_time,
            m.flags,
            m.hidden,
            m.counts_unread,
            m.need_receipt,
            &m.body,
            &m.cloud_custom_data,
            &write.offline_push,
        ],
    )
    .await?;
    Ok(())
}

async fn apply_plan(w: &mut impl WriteTx, app: AppId, plan: &C2cPlan) -> Result<C2cSent, DbError> {
    if let C2cPlan::Store(write) = plan {
        apply_write(w, app, write).await?;
    }
    Ok(plan.answer())
}

/// sendmsg.
pub(crate) struct SendC2c {
    pub app: AppId,
    pub msg: NewC2cMsg,
}

impl WriteOp for SendC2c {
    type Plan = C2cPlan;
    type Out = C2cSent;

    fn changes(
        &self,
        out: &Self::Out,
        sink: &dyn ChangeSink,
    ) -> Option<(AppId, Vec<MemberChange>)> {
        if out.duplicate || !sink.wants(self.app) {
            return None;
        }
        Some((self.app, vec![live_c2c(&self.msg, out)]))
    }

    async fn check<R: ReadTx>(&self, r: &mut R) -> Result<C2cPlan, StoreError> {
        let facts = send_facts(r, self.app, &self.msg, true).await?;
        Ok(decide_c2c_send(&self.msg, &facts)?)
    }

    async fn apply<W: WriteTx>(&self, plan: C2cPlan, w: &mut W) -> Result<C2cSent, DbError> {
        let sent = apply_plan(w, self.app, &plan).await?;
        if let (C2cPlan::Store(write), true) = (&plan, self.msg.support_extension) {
            super::extensions::add_c2c_head(w, self.app, &write.pair, sent.key).await?;
        }
        Ok(sent)
    }

    fn callbacks(&self) -> Option<(AppId, &'static [&'static str])> {
        self.msg
            .after_callback
            .then_some((self.app, &[cb::C2C_AFTER_SEND][..]))
    }

    async fn events<W: WriteTx>(
        &self,
        out: &C2cSent,
        _: &[&'static str],
        w: &mut W,
    ) -> Result<Vec<Event>, DbError> {
        if out.duplicate {
            return Ok(Vec::new());
        }
        let m = &self.msg;
        let key = out.key.to_string();
        let msg_id = timber_core::c2c::msg_id(&m.from, out.key.time, m.random);
        let mut fields = C2cMsgFields {
            from: &m.from,
            to: &m.to,
            seq: out.key.seq,
            random: m.random,
            time: out.key.time,
            key: &key,
            msg_id: &msg_id,
            online_only: m.online_only,
            body: &m.body,
            cloud_custom_data: m.cloud_custom_data.as_deref(),
        }
        .to_value();
        fields["SendMsgResult"] = 0.into();
        fields["ErrorInfo"] = "send msg succeed".into();
        fields["UnreadMsgNum"] = total_unread_of(w, self.app, &m.to).await?.into();
        Ok(vec![Event::new(
            cb::C2C_AFTER_SEND,
            cb::c2c_ordering(&m.from, &m.to),
            fields,
        )])
    }
}

/// `user`'s total one-to-one unread count (`UnreadMsgNum` of the C2C callbacks), read inside
/// the transaction that changed it; messages past retention are counted too (the callback
/// does not know the app's retention, inferred).
async fn total_unread_of<W: WriteTx>(w: &mut W, app: AppId, user: &str) -> Result<u64, DbError> {
    let read = Unread {
        app,
        user: user.to_owned(),
        peers: None,
        retention: Retention { days: 0, now: 0 },
    };
    match read.read(w).await {
        Ok(counts) => Ok(counts.total.unwrap_or(0)),
        Err(StoreError::Db(e)) => Err(e),
        Err(StoreError::Domain(_)) => Ok(0),
    }
}

/// batchsendmsg: one message from one sender to each receiver, each receiver's own decision;
/// an unknown receiver is that receiver's 70107, an unknown sender refuses the call (90008).
pub(crate) struct BatchSendC2c {
    pub app: AppId,
    pub msgs: Vec<NewC2cMsg>,
}

impl WriteOp for BatchSendC2c {
    type Plan = Vec<Result<C2cPlan, ErrorCode>>;
    type Out = Vec<Result<C2cSent, ErrorCode>>;

    fn changes(
        &self,
        out: &Self::Out,
        sink: &dyn ChangeSink,
    ) -> Option<(AppId, Vec<MemberChange>)> {
        if !sink.wants(self.app) {
            return None;
        }
        let changes = self
            .msgs
            .iter()
            .zip(out)
            .filter_map(|(m, r)| match r {
                Ok(sent) if !sent.duplicate => Some(live_c2c(m, sent)),
                _ => None,
            })
            .collect();
        Some((self.app, changes))
    }

    async fn check<R: ReadTx>(&self, r: &mut R) -> Result<Self::Plan, StoreError> {
        let Some(first) = self.msgs.first() else {
            return Ok(Vec::new());
        };
        let exists = account_exists(r, self.app, &first.from).await?;
        require_account(exists, Party::Acting, "From_Account", &first.from)?;
        // One body for every receiver: checked once against the dirty words.
        super::moderation::check_message(r, self.app, &first.body).await?;
        let mut plans = Vec::with_capacity(self.msgs.len());
        for msg in &self.msgs {
            let facts = send_facts(r, self.app, msg, false).await?;
            plans.push(decide_batch_send(msg, &facts));
        }
        Ok(plans)
    }

    async fn apply<W: WriteTx>(&self, plans: Self::Plan, w: &mut W) -> Result<Self::Out, DbError> {
        let mut out = Vec::with_capacity(plans.len());
        for plan in plans {
            out.push(match plan {
                Ok(plan) => Ok(apply_plan(w, self.app, &plan).await?),
                Err(code) => Err(code),
            });
        }
        Ok(out)
    }
}

/// importmsg.
pub(crate) struct ImportC2c {
    pub app: AppId,
    pub msg: ImportC2cMsg,
}

impl WriteOp for ImportC2c {
    type Plan = C2cPlan;
    type Out = C2cSent;

    async fn check<R: ReadTx>(&self, r: &mut R) -> Result<C2cPlan, StoreError> {
        let m = &self.msg;
        let pair = Pair::new(&m.from, &m.to);
        let (sender_exists, receiver_exists, conv, _) =
            accounts_and_conv(r, self.app, &m.from, &m.to, &pair).await?;
        let key = MsgKey {
            time: m.time,
            seq: m.seq,
            random: m.random,
        };
        let key_taken = match &conv {
            Some(c) => find_msg(r, self.app, c.key, key).await?.is_some(),
            None => false,
        };
        let facts = C2cImportFacts {
            sender_exists,
            receiver_exists,
            conv,
            key_taken,
        };
        Ok(decide_c2c_import(m, &facts)?)
    }

    async fn apply<W: WriteTx>(&self, plan: C2cPlan, w: &mut W) -> Result<C2cSent, DbError> {
        apply_plan(w, self.app, &plan).await
    }
}

/// admin_getroammsg: one page of `operator`'s view of its conversation with `peer`.
pub(crate) struct Roam {
    pub app: AppId,
    pub operator: String,
    pub peer: String,
    pub query: RoamQuery,
    pub retention: Retention,
}

impl ReadOp for Roam {
    type Out = RoamPage;

    async fn read<R: ReadTx>(&self, r: &mut R) -> Result<RoamPage, StoreError> {
        let (op, peer) = (self.operator.as_str(), self.peer.as_str());
        let pair = Pair::new(op, peer);
        let side = pair.side(op);
        // Both accounts and the side's clear mark in one statement: a page is a short read,
        // and each statement is a good part of its cost.
        let row = r
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM accounts WHERE app = $1 AND user_id = $2),
                        EXISTS (SELECT 1 FROM accounts WHERE app = $1 AND user_id = $3),
                        g.ckey, g.lo_cleared_time, g.hi_cleared_time
                 FROM (SELECT 1 AS one) o
                 LEFT JOIN c2c_conversations g ON g.app = $1 AND g.user_lo = $4 AND g.user_hi = $5",
                params![self.app, op, peer, &pair.lo, &pair.hi],
            )
            .await?;
        require_account(row.bool(0), Party::Acting, "Operator_Account", op)?;
        require_account(row.bool(1), Party::Peer, "Peer_Account", peer)?;
        let mut page = RoamPage::new(self.query.max_cnt);
        let Some(ckey) = row.opt_i64(2) else {
            return Ok(page);
        };
        let state = SideState {
            cleared_time: row.i64(if side == Side::Lo { 3 } else { 4 }),
            ..SideState::default()
        };
        let Some(range) = plan_roam(&self.query, side, &state, self.retention) else {
            return Ok(page);
        };
        // Without a LastMsgKey the bound is past every key of `max_time`.
        let before = range.before.unwrap_or(MsgKey {
            time: range.max_time,
            seq: u32::MAX,
            random: u32::MAX,
        });
        let inclusive = if range.before.is_some() { "<" } else { "<=" };
        // The LIMIT is written into the statement: SQLite 3.50 prepares a statement again on
        // every run when its LIMIT is a bound parameter (half of a page's server time went to
        // the parser). Exact for the page sizes clients use; larger ones rounded up to a power
        // of two, so that a client varying MaxCnt caches few statements.
        let limit = if range.limit <= 101 {
            range.limit
        } else {
            range.limit.next_power_of_two()
        };
        let sql = format!(
            "SELECT {MSG_COLUMNS} FROM c2c_messages
             WHERE app = $1 AND ckey = $2 AND time >= $3 AND time <= $4
               AND (time, seq, random) {inclusive} ($5, $6, $7) AND (hidden & $8) = 0
             ORDER BY time DESC, seq DESC, random DESC LIMIT {limit}"
        );
        let mut full = false;
        r.query_each(
            &sql,
            params![
                self.app,
                ckey,
                range.min_time,
                range.max_time,
                before.time,
                before.seq,
                before.random,
                side.bit()
            ],
            |row: &dyn RowRef| {
                if full {
                    return Ok(());
                }
                let m = C2cMsg {
                    key: MsgKey {
                        time: row.i64(0)?,
                        seq: row.i64(1)? as u32,
                        random: row.i64(2)? as u32,
                    },
                    from_lo: row.i64(3)? != 0,
                    client_time: row.i64(4)?,
                    flags: row.i64(5)? as u32,
                    hidden: row.i64(6)? as u8,
                    counts_unread: row.i64(7)? != 0,
                    need_receipt: row.i64(8)? != 0,
                    body: row.str(9)?.into_owned(),
                    cloud_custom_data: row.opt_str(10)?.map(|s| s.into_owned()),
                };
                full = !page.push(&pair, m);
                Ok(())
            },
        )
        .await?;
        Ok(page)
    }
}

/// The conversation and the message of a recall or modification, with both accounts checked
/// (`From_Account` 90008, `To_Account` 90003).
async fn load_target(
    r: &mut impl ReadTx,
    app: AppId,
    from: &str,
    to: &str,
    key: MsgKey,
) -> Result<(Pair, Option<(i64, Option<C2cMsg>)>), StoreError> {
    require_both(r, app, ("From_Account", from), ("To_Account", to)).await?;
    let pair = Pair::new(from, to);
    let Some(conv) = find_conv(r, app, &pair, true).await? else {
        return Ok((pair, None));
    };
    let found = find_msg(r, app, conv.key, key).await?;
    Ok((pair, Some((conv.key, found))))
}

/// admin_msgwithdraw.
pub(crate) struct Withdraw {
    pub app: AppId,
    pub from: String,
    pub to: String,
    pub key: MsgKey,
    pub retention: Retention,
}

impl WriteOp for Withdraw {
    type Plan = i64;
    type Out = ();

    fn changes(&self, _: &Self::Out, sink: &dyn ChangeSink) -> Option<(AppId, Vec<MemberChange>)> {
        super::one_change(self.app, sink, || MemberChange::C2cWithdrawn {
            from: self.from.clone(),
            to: self.to.clone(),
            key: self.key.to_string(),
        })
    }

    async fn check<R: ReadTx>(&self, r: &mut R) -> Result<i64, StoreError> {
        let (pair, target) = load_target(r, self.app, &self.from, &self.to, self.key).await?;
        let (ckey, found) = target.unwrap_or((0, None));
        decide_withdraw(found, pair.side(&self.from), self.key, self.retention)?;
        Ok(ckey)
    }

    async fn apply<W: WriteTx>(&self, ckey: i64, w: &mut W) -> Result<(), DbError> {
        let k = self.key;
        w.execute(
            "UPDATE c2c_messages SET flags = $6, body = $7, cloud_custom_data = NULL, offline_push = NULL
             WHERE app = $1 AND ckey = $2 AND time = $3 AND seq = $4 AND random = $5",
            params![self.app, ckey, k.time, k.seq, k.random, MSG_FLAG_RECALLED, PLACEHOLDER_BODY],
        )
        .await?;
        Ok(())
    }

    fn callbacks(&self) -> Option<(AppId, &'static [&'static str])> {
        Some((self.app, &[cb::C2C_AFTER_WITHDRAW]))
    }

    async fn events<W: WriteTx>(
        &self,
        (): &(),
        _: &[&'static str],
        w: &mut W,
    ) -> Result<Vec<Event>, DbError> {
        let unread = total_unread_of(w, self.app, &self.to).await?;
        Ok(vec![Event::new(
            cb::C2C_AFTER_WITHDRAW,
            cb::c2c_ordering(&self.from, &self.to),
            json!({
                "From_Account": self.from,
                "To_Account": self.to,
                "MsgKey": self.key.to_string(),
                "UnreadMsgNum": unread,
            }),
        )])
    }
}

/// modify_c2c_msg.
#[derive(Clone)]
pub(crate) struct ModifyC2c {
    pub app: AppId,
    pub from: String,
    pub to: String,
    pub key: MsgKey,
    pub body: Option<String>,
    pub cloud_custom_data: Option<String>,
    pub max_bytes: usize,
    pub retention: Retention,
}

impl WriteOp for ModifyC2c {
    type Plan = (i64, Modified);
    type Out = ();

    fn changes(&self, _: &Self::Out, sink: &dyn ChangeSink) -> Option<(AppId, Vec<MemberChange>)> {
        super::one_change(self.app, sink, || MemberChange::C2cModified {
            from: self.from.clone(),
            to: self.to.clone(),
            key: self.key.to_string(),
            body: self.body.clone(),
            cloud_custom_data: self.cloud_custom_data.clone(),
        })
    }

    async fn check<R: ReadTx>(&self, r: &mut R) -> Result<Self::Plan, StoreError> {
        let (pair, target) = load_target(r, self.app, &self.from, &self.to, self.key).await?;
        let (ckey, found) = target.unwrap_or((0, None));
        let m = decide_c2c_modify(
            found,
            pair.side(&self.from),
            self.key,
            self.body.as_deref(),
            self.cloud_custom_data.as_deref(),
            self.max_bytes,
            self.retention,
        )?;
        Ok((ckey, m))
    }

    async fn apply<W: WriteTx>(&self, (ckey, m): Self::Plan, w: &mut W) -> Result<(), DbError> {
        let k = self.key;
        w.execute(
            "UPDATE c2c_messages SET body = $6, cloud_custom_data = $7
             WHERE app = $1 AND ckey = $2 AND time = $3 AND seq = $4 AND random = $5",
            params![
                self.app,
                ckey,
                k.time,
                k.seq,
                k.random,
                &m.body,
                &m.cloud_custom_data
            ],
        )
        .await?;
        Ok(())
    }
}

/// delete_c2c_msg_ramble: hides messages from the operator's side only.
pub(crate) struct DeleteC2c {
    pub app: AppId,
    pub operator: String,
    pub peer: String,
    pub keys: Vec<MsgKey>,
}

impl WriteOp for DeleteC2c {
    type Plan = (i64, Side, Vec<MsgKey>);
    type Out = ();

    async fn check<R: ReadTx>(&self, r: &mut R) -> Result<Self::Plan, StoreError> {
        require_both(
            r,
            self.app,
            ("Operator_Account", &self.operator),
            ("Peer_Account", &self.peer),
        )
        .await?;
        let pair = Pair::new(&self.operator, &self.peer);
        let side = pair.side(&self.operator);
        let Some(conv) = find_conv(r, self.app, &pair, true).await? else {
            return Ok((0, side, Vec::new()));
        };
        let mut found = Vec::with_capacity(self.keys.len());
        for &key in &self.keys {
            found.push((key, find_msg(r, self.app, conv.key, key).await?));
        }
        Ok((conv.key, side, decide_delete(side, &found)))
    }

    async fn apply<W: WriteTx>(
        &self,
        (ckey, side, keys): Self::Plan,
        w: &mut W,
    ) -> Result<(), DbError> {
        for k in keys {
            w.execute(
                "UPDATE c2c_messages SET hidden = hidden | $6
                 WHERE app = $1 AND ckey = $2 AND time = $3 AND seq = $4 AND random = $5",
                params![self.app, ckey, k.time, k.seq, k.random, side.bit()],
            )
            .await?;
        }
        Ok(())
    }
}

/// admin_set_msg_read.
pub(crate) struct SetRead {
    pub app: AppId,
    pub report: String,
    pub peer: String,
    pub read_time: i64,
    pub now: i64,
}

impl WriteOp for SetRead {
    type Plan = Option<(i64, Side, i64)>;
    type Out = ();

    fn changes(&self, _: &Self::Out, sink: &dyn ChangeSink) -> Option<(AppId, Vec<MemberChange>)> {
        super::one_change(self.app, sink, || MemberChange::C2cReadChanged {
            member: self.report.clone(),
            peer: self.peer.clone(),
        })
    }

    async fn check<R: ReadTx>(&self, r: &mut R) -> Result<Self::Plan, StoreError> {
        require_both(
            r,
            self.app,
            ("Report_Account", &self.report),
            ("Peer_Account", &self.peer),
        )
        .await?;
        let pair = Pair::new(&self.report, &self.peer);
        let side = pair.side(&self.report);
        let conv = find_conv(r, self.app, &pair, true).await?;
        let mark = decide_set_read(conv.as_ref(), side, self.read_time, self.now);
        Ok(mark.zip(conv).map(|(mark, c)| (c.key, side, mark)))
    }

    async fn apply<W: WriteTx>(&self, plan: Self::Plan, w: &mut W) -> Result<(), DbError> {
        let Some((ckey, side, mark)) = plan else {
            return Ok(());
        };
        let sql = match side {
            Side::Lo => "UPDATE c2c_conversations SET lo_read_time = $2 WHERE ckey = $1",
            Side::Hi => "UPDATE c2c_conversations SET hi_read_time = $2 WHERE ckey = $1",
        };
        w.execute(sql, params![ckey, mark]).await?;
        Ok(())
    }

    fn callbacks(&self) -> Option<(AppId, &'static [&'static str])> {
        Some((self.app, &[cb::C2C_AFTER_REPORT]))
    }

    async fn events<W: WriteTx>(
        &self,
        (): &(),
        _: &[&'static str],
        w: &mut W,
    ) -> Result<Vec<Event>, DbError> {
        let unread = total_unread_of(w, self.app, &self.report).await?;
        Ok(vec![Event::new(
            cb::C2C_AFTER_REPORT,
            cb::c2c_ordering(&self.report, &self.peer),
            json!({
                "Report_Account": self.report,
                "Peer_Account": self.peer,
                "LastReadTime": self.read_time.min(self.now),
                "UnreadMsgNum": unread,
            }),
        )])
    }
}

/// How many messages `side` of conversation `ckey` has unread, capped.
async fn count_unread(
    r: &mut impl ReadTx,
    app: AppId,
    ckey: i64,
    side: Side,
    state: &SideState,
    retention: Retention,
) -> Result<u64, DbError> {
    // Messages of the peer: `from_lo` is the peer being `lo`, i.e. this side being `hi`. The
    // cap is written into the statement (a bound LIMIT makes SQLite prepare it every time).
    let row = r
        .query_one(
            &format!(
                "SELECT count(*) FROM (SELECT 1 FROM c2c_messages
                 WHERE app = $1 AND ckey = $2 AND time > $3 AND from_lo = $4 AND counts_unread
                   AND flags = 0 AND (hidden & $5) = 0 LIMIT {MAX_UNREAD_PER_CONVERSATION}) u"
            ),
            params![
                app,
                ckey,
                unread_after(state, retention),
                side == Side::Hi,
                side.bit()
            ],
        )
        .await?;
    Ok(capped_unread(row.u64(0)))
}

/// get_c2c_unread_msg_num's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnreadCounts {
    /// `AllC2CUnreadMsgNum`, when no peers were named.
    pub total: Option<u64>,
    /// Per named peer: its count, or 70107 for an account that does not exist.
    pub peers: Vec<(String, Result<u64, ErrorCode>)>,
}

pub(crate) struct Unread {
    pub app: AppId,
    pub user: String,
    pub peers: Option<Vec<String>>,
    pub retention: Retention,
}

impl ReadOp for Unread {
    type Out = UnreadCounts;

    async fn read<R: ReadTx>(&self, r: &mut R) -> Result<UnreadCounts, StoreError> {
        let exists = account_exists(r, self.app, &self.user).await?;
        require_account(exists, Party::Peer, "To_Account", &self.user)?;
        let Some(peers) = &self.peers else {
            let rows = r
                .query(
                    &format!(
                        "SELECT {CONV_COLUMNS}, CAST(0 AS BIGINT) FROM c2c_conversations g WHERE g.app = $1 AND g.user_lo = $2
                         UNION ALL
                         SELECT {CONV_COLUMNS}, CAST(1 AS BIGINT) FROM c2c_conversations g WHERE g.app = $1 AND g.user_hi = $2 AND g.user_lo <> $2"
                    ),
                    params![self.app, &self.user],
                )
                .await?;
            let mut convs = Vec::with_capacity(rows.len());
            for row in rows {
                let conv = conv_from_row(&row);
                let side = if row.i64(7) == 0 { Side::Lo } else { Side::Hi };
                let state = *conv.side(side);
                let n = count_unread(r, self.app, conv.key, side, &state, self.retention).await?;
                convs.push((state.last_time, n));
            }
            return Ok(UnreadCounts {
                total: Some(total_unread(convs)),
                peers: Vec::new(),
            });
        };
        let mut out = Vec::with_capacity(peers.len());
        for peer in peers {
            let exists = account_exists(r, self.app, peer).await?;
            if let Err(e) = require_account(exists, Party::Listed, "Peer_Account", peer) {
                out.push((peer.clone(), Err(e.code)));
                continue;
            }
            let pair = Pair::new(&self.user, peer);
            let side = pair.side(&self.user);
            let n = match find_conv(r, self.app, &pair, false).await? {
                Some(c) => {
                    count_unread(r, self.app, c.key, side, c.side(side), self.retention).await?
                }
                None => 0,
            };
            out.push((peer.clone(), Ok(n)));
        }
        Ok(UnreadCounts {
            total: None,
            peers: out,
        })
    }
}

/// C2C messages, conversation by conversation. Expired rows are the low end of each
/// conversation's key range, since the key starts with the time.
struct C2cHistory;

impl ExpiringHistory for C2cHistory {
    const CURSOR: &'static str = "sweep_c2c_ckey";
    const OWNERS_SQL: &'static str =
        "SELECT ckey, app FROM c2c_conversations WHERE ckey > $1 ORDER BY ckey LIMIT $2";

    async fn delete_expired<W: WriteTx>(
        w: &mut W,
        app: AppId,
        ckey: i64,
        cutoff: i64,
        budget: u64,
    ) -> Result<u64, DbError> {
        w.execute(
            "DELETE FROM c2c_messages WHERE app = $1 AND ckey = $2 AND (time, seq, random) IN
                 (SELECT time, seq, random FROM c2c_messages
                  WHERE app = $1 AND ckey = $2 AND time < $4 ORDER BY time, seq, random LIMIT $3)",
            params![app, ckey, budget, cutoff],
        )
        .await
    }
}

/// Deletes at most `max_rows` expired C2C messages (see [`expire_step`]).
pub(crate) struct C2cExpireStep {
    pub policy: RetentionPolicy,
    pub now: i64,
    pub max_rows: u64,
}

impl WriteOp for C2cExpireStep {
    type Plan = ();
    type Out = SweepStep;

    async fn check<R: ReadTx>(&self, _: &mut R) -> Result<(), StoreError> {
        Ok(())
    }

    async fn apply<W: WriteTx>(&self, (): (), w: &mut W) -> Result<SweepStep, DbError> {
        expire_step::<C2cHistory, W>(w, &self.policy, self.now, self.max_rows).await
    }
}

/// The live message members receive for a stored (or online-only) one-to-one message.
fn live_c2c(m: &NewC2cMsg, sent: &C2cSent) -> MemberChange {
    MemberChange::C2cMessage {
        msg: LiveC2cMsg {
            from: m.from.clone(),
            to: m.to.clone(),
            seq: sent.key.seq,
            random: sent.key.random,
            time: sent.key.time,
            key: sent.key.to_string(),
            body: m.body.clone(),
            cloud_custom_data: m.cloud_custom_data.clone(),
            sync_sender: m.sync_sender,
        },
    }
}
