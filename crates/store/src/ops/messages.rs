//! Group message operations: send, import, the admin's and a member's history, recall,
//! delete by sender, modify, clear, unread counts. spec: group-messages.md; the rules are
//! `timber_core::message`'s.
//!
//! Reads of history are one range query on the primary key `(app, gkey, seq)`. Message times
//! are non-decreasing with seq within a group (sends use the clock, imports must not be older
//! than the newest message), so expired rows are the low end of each group's key range and the
//! sweeper deletes them by primary key, without a time index.

use super::rows::{
    account_exists, are_members, find_group, find_member, group_from_row, group_type, locked_group,
    read_one, read_range, GROUP_COLUMNS_OF_G, GROUP_COLUMN_COUNT,
};
use super::{append, ReadOp, SinkOp, WriteOp};
use crate::messages::HistoryQuery;
use crate::sql::{params, Param, ReadTx, RowRef, Value, WriteTx};
use crate::{DbError, StoreError};
use serde_json::json;
use std::sync::LazyLock;
use timber_core::callback::{self as cb, Event, GroupMsgFields};
use timber_core::contacts::GroupHead;
use timber_core::group::{last_seq, not_found, require_group, GroupOp, GroupRecord, Role};
use timber_core::member::{Change as MemberChange, ChangeSink, GroupMsg as LiveGroupMsg};
use timber_core::message::{
    decide_clear, decide_import, decide_modify, decide_recall, decide_send, decide_set_unread,
    dedup_since, delete_by_sender_from, member_unread, member_view, plan_page, AdminPage,
    ImportMsg, ImportPlan, Imported, MemberPage, Modified, MsgHead, PageSink, ReadMark, RecallPlan,
    Retention, SendFacts, SendMsg, SendPlan, Sent, SlotFacts, SlotState, StoredRef,
    MAX_HISTORY_PAGE,
};
use timber_core::{AppId, ErrorCode};

/// SQL for the newest seq of the group with this `Random` sent at or after `since` (NULL if
/// none): the five-minute duplicate window (group-messages.md §1.1), probed in the covering
/// `(app, gkey, random, time)` index. `max(seq + 0)`, not `max(seq)`: a bare max(seq) makes
/// SQLite walk the primary key backwards through the group's whole history instead. The
/// arguments are the SQL that gives the group key, the `Random` and the window's start.
pub(super) fn duplicate_probe(gkey: &str, random: &str, since: &str) -> String {
    format!(
        "SELECT max(seq + 0) FROM group_messages d \
         WHERE d.app = $1 AND d.gkey = {gkey} AND d.random = {random} AND d.time >= {since}"
    )
}

/// The message stored at `seq` (found by a duplicate probe), as the answer to a repeat.
pub(super) async fn original(
    r: &mut impl ReadTx,
    app: AppId,
    gkey: i64,
    seq: u64,
) -> Result<Sent, DbError> {
    let time = r
        .query_one(
            "SELECT time FROM group_messages WHERE app = $1 AND gkey = $2 AND seq = $3",
            params![app, gkey, seq],
        )
        .await?
        .i64(0);
    Ok(Sent::original(seq, time))
}

/// The stored message that a new one with `random` at `time` repeats, if any.
pub(super) async fn find_duplicate(
    r: &mut impl ReadTx,
    app: AppId,
    gkey: i64,
    random: u32,
    time: i64,
) -> Result<Option<Sent>, DbError> {
    let seq = r
        .query_one(
            &duplicate_probe("$2", "$3", "$4"),
            params![app, gkey, random, dedup_since(time)],
        )
        .await?
        .opt_i64(0);
    match seq {
        Some(seq) => Ok(Some(original(r, app, gkey, seq as u64).await?)),
        None => Ok(None),
    }
}

/// The group `group_id` (whose row the caller locked) and the stored message each of `msgs`
/// repeats (its `Random` in its window), read in one statement: one row per probed message,
/// the group's columns on each. A probe per message was a round trip each under the group's
/// lock on PostgreSQL, seven per import_group_msg, and the group's row one more
/// (BENCHMARKS.md, ledger: bulk seeding).
async fn group_and_duplicates(
    r: &mut impl ReadTx,
    app: AppId,
    group_id: &str,
    msgs: &[ImportMsg],
) -> Result<(Option<GroupRecord>, Vec<Option<Sent>>), DbError> {
    let mut found: Vec<Option<Sent>> = msgs.iter().map(|_| None).collect();
    let probes: Vec<(usize, u32, i64)> = msgs
        .iter()
        .enumerate()
        .filter_map(|(i, m)| m.random.map(|random| (i, random, dedup_since(m.send_time))))
        .collect();
    if probes.is_empty() {
        return Ok((find_group(r, app, group_id).await?, found));
    }
    // `column1…3` are what both databases name a VALUES list's columns.
    let values: Vec<String> = (0..probes.len())
        .map(|k| {
            let n = 3 + 3 * k;
            format!(
                "(CAST(${n} AS BIGINT), CAST(${} AS BIGINT), CAST(${} AS BIGINT))",
                n + 1,
                n + 2
            )
        })
        .collect();
    let sql = format!(
        "SELECT {}, v.column1, ({}) FROM groups g CROSS JOIN (VALUES {}) AS v
         WHERE g.app = $1 AND g.group_id = $2",
        *GROUP_COLUMNS_OF_G,
        duplicate_probe("g.gkey", "v.column2", "v.column3"),
        values.join(", ")
    );
    let mut params = vec![Param::from(app), Param::from(group_id)];
    for &(i, random, since) in &probes {
        params.extend([
            Param::from(i as u64),
            Param::from(random),
            Param::from(since),
        ]);
    }
    let mut rows = r.query(&sql, &params).await?;
    let Some(first) = rows.first_mut() else {
        return Ok((None, found));
    };
    let group = group_from_row(first, 0);
    for row in &rows {
        let (i, seq) = (
            row.i64(GROUP_COLUMN_COUNT),
            row.opt_i64(GROUP_COLUMN_COUNT + 1),
        );
        if let (Some(slot), Some(seq)) = (found.get_mut(i as usize), seq) {
            *slot = Some(original(r, app, group.key, seq as u64).await?);
        }
    }
    Ok((Some(group), found))
}

/// Locks the group's row (PostgreSQL) in a statement of its own, before a send reads anything
/// else. Under READ COMMITTED a statement reads other tables as of its own start, even when it
/// waited for a row lock: had the lock been taken by the statement that also looks for a
/// repeated `Random`, sends of the same `Random` waiting on each other would each miss the
/// message the one before them stored, and store it again. A statement started after the
/// lock sees every send that held it before. SQLite's single writer already runs sends one at
/// a time, so there it is a no-op.
async fn lock_group_row(r: &mut impl ReadTx, app: AppId, group_id: &str) -> Result<(), DbError> {
    let lock = r.for_update();
    if !lock.is_empty() {
        let sql = format!("SELECT 1 FROM groups g WHERE g.app = $1 AND g.group_id = $2{lock}");
        r.lock_row(&sql, params![app, group_id]).await?;
    }
    Ok(())
}

/// Everything a send decides on but its receivers, in one statement once the group's row is
/// locked: five columns of the group (BENCHMARKS.md, ledger: a send reads five columns), the
/// sender (whether the account exists, its role and last send time if it is a member, when
/// its mute ends, when its global group mute ends) and the newest message with the same `Random` in the window.
/// Every part is a lookup by key correlated on the group's `gkey`: as a LEFT JOIN, the
/// member row was planned by PostgreSQL (on fresh statistics) as a scan of all the sender's
/// memberships through `group_members_by_user`, the admin's thousand groups in
/// `send_spread`: 0.45 ms of PostgreSQL's time per send against 0.08 (BENCHMARKS.md,
/// ledger: *send facts by key*).
static SEND_FACTS: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT g.gkey, g.type, g.next_msg_seq, g.last_msg_time, g.mute_all,
             EXISTS (SELECT 1 FROM accounts WHERE app = $1 AND user_id = $3),
             (SELECT role FROM group_members m
              WHERE m.app = $1 AND m.gkey = g.gkey AND m.user_id = $3),
             (SELECT last_send_time FROM group_members m
              WHERE m.app = $1 AND m.gkey = g.gkey AND m.user_id = $3),
             (SELECT mute_until FROM group_mutes u
              WHERE u.app = $1 AND u.gkey = g.gkey AND u.user_id = $3),
             ({}),
             (SELECT group_until FROM global_mutes x WHERE x.app = $1 AND x.user_id = $3),
             EXISTS (SELECT 1 FROM dirty_words w WHERE w.app = $1)
                 OR EXISTS (SELECT 1 FROM audit_keywords k WHERE k.app = $1)
         FROM groups g
         WHERE g.app = $1 AND g.group_id = $2",
        duplicate_probe("g.gkey", "$4", "$5"),
    )
});

/// A committed group (or topic) message as members hear it.
pub(crate) fn live_group_msg(send: &SendMsg, out: &Sent, topic_id: Option<&str>) -> LiveGroupMsg {
    let m = &send.msg;
    LiveGroupMsg {
        seq: out.seq,
        from: m.from.clone(),
        random: m.random,
        time: out.time,
        priority: m.priority,
        is_system: m.is_system,
        body: m.body.clone(),
        cloud_custom_data: m.cloud_custom_data.clone(),
        to_accounts: m.to_accounts.clone(),
        topic_id: topic_id.map(str::to_owned),
    }
}

/// send_group_msg. Its apply is the hot path of the whole store: it writes the group's head,
/// the message's row, and the sender's last send time when that moved.
pub(crate) struct SendMessage {
    pub app: AppId,
    pub group_id: String,
    pub send: SendMsg,
}

impl WriteOp for SendMessage {
    type Plan = (i64, SendPlan);
    type Out = Sent;

    fn batch_key(&self) -> Option<(AppId, &str)> {
        Some((self.app, &self.group_id))
    }

    fn changes(
        &self,
        out: &Self::Out,
        sink: &dyn ChangeSink,
    ) -> Option<(AppId, Vec<MemberChange>)> {
        if out.duplicate || !sink.wants(self.app) {
            return None;
        }
        let change = MemberChange::GroupMessage {
            group_id: self.group_id.clone(),
            msg: live_group_msg(&self.send, out, None),
        };
        Some((self.app, vec![change]))
    }

    async fn check<R: ReadTx>(&self, r: &mut R) -> Result<Self::Plan, StoreError> {
        let msg = &self.send.msg;
        lock_group_row(r, self.app, &self.group_id).await?;
        let row = r
            .query_opt(
                &SEND_FACTS,
                params![
                    self.app,
                    &self.group_id,
                    &msg.from,
                    msg.random,
                    dedup_since(msg.time)
                ],
            )
            .await?;
        let mut row = require_group(row, &self.group_id)?;
        if row.bool(11) {
            super::moderation::check_message(r, self.app, &msg.body).await?;
        }
        let gkey = row.i64(0);
        let duplicate = match row.opt_i64(9) {
            Some(seq) => Some(original(r, self.app, gkey, seq as u64).await?),
            None => None,
        };
        let receivers: Vec<&str> = msg.to_accounts.iter().map(String::as_str).collect();
        let facts = SendFacts {
            ty: group_type(&row.take_str(1)),
            head: MsgHead {
                next_msg_seq: row.u64(2),
                last_msg_time: row.i64(3),
            },
            mute_all: row.bool(4),
            sender_exists: row.bool(5),
            role: row.opt_i64(6).map(Role::from_db),
            last_send_time: row.opt_i64(7).unwrap_or(0),
            // A group mute and the sender's global group mute (setnospeaking) both block.
            mute_until: row
                .opt_i64(8)
                .unwrap_or(0)
                .max(row.opt_i64(10).unwrap_or(0)),
            duplicate,
            receivers_are_members: are_members(r, self.app, gkey, &receivers).await?,
        };
        Ok((gkey, decide_send(&self.group_id, &self.send, &facts)?))
    }

    async fn apply<W: WriteTx>(
        &self,
        (gkey, plan): Self::Plan,
        w: &mut W,
    ) -> Result<Sent, DbError> {
        let msg = &self.send.msg;
        let (seq, head, keep_row, touch_sender, listed) = match plan {
            SendPlan::Duplicate(original) => return Ok(original),
            SendPlan::Store {
                seq,
                head,
                keep_row,
                touch_sender,
                listed,
            } => (seq, head, keep_row, touch_sender, listed),
        };
        let contact = listed.then_some(GroupHead {
            seq,
            time: msg.time,
        });
        append::move_head(w, gkey, head, contact).await?;
        if keep_row {
            append::insert(w, self.app, gkey, seq, msg).await?;
            if self.send.support_extension && msg.state == SlotState::Normal {
                super::extensions::add_group_head(w, self.app, gkey, seq).await?;
            }
        }
        if touch_sender {
            w.write(
                "UPDATE group_members SET last_send_time = $4 WHERE app = $1 AND gkey = $2 AND user_id = $3",
                params![self.app, gkey, &msg.from, msg.time],
            )
            .await?;
        }
        Ok(Sent {
            seq,
            time: msg.time,
            duplicate: false,
        })
    }

    fn callbacks(&self) -> Option<(AppId, &'static [&'static str])> {
        self.send
            .callback
            .is_some()
            .then_some((self.app, &[cb::GROUP_AFTER_SEND][..]))
    }

    async fn events<W: WriteTx>(
        &self,
        sent: &Sent,
        _: &[&'static str],
        w: &mut W,
    ) -> Result<Vec<Event>, DbError> {
        after_send_event(w, self.app, &self.group_id, None, &self.send, sent).await
    }
}

/// `Group.CallbackAfterSendMsg` of a send into `group_id` (or one of its topics) that asked
/// for it and stored a new message; none for a duplicate or a group gone meanwhile.
pub(super) async fn after_send_event<W: WriteTx>(
    w: &mut W,
    app: AppId,
    group_id: &str,
    topic_id: Option<&str>,
    send: &SendMsg,
    sent: &Sent,
) -> Result<Vec<Event>, DbError> {
    let (Some(origin), false) = (&send.callback, sent.duplicate) else {
        return Ok(Vec::new());
    };
    let Some(group) = find_group(w, app, group_id).await? else {
        return Ok(Vec::new());
    };
    let msg = &send.msg;
    let mut fields = GroupMsgFields {
        group_id,
        ty: group.ty,
        from: &msg.from,
        operator: &origin.operator,
        random: msg.random,
        online_only: origin.online_only,
        body: &origin.body,
        cloud_custom_data: msg.cloud_custom_data.as_deref(),
    }
    .to_value();
    if let Some(topic) = topic_id {
        fields["TopicId"] = topic.into();
    }
    fields["MsgSeq"] = sent.seq.into();
    fields["MsgTime"] = sent.time.into();
    Ok(vec![Event::new(
        cb::GROUP_AFTER_SEND,
        cb::group_ordering(group_id),
        fields,
    )])
}

pub(crate) struct ImportMessages {
    pub app: AppId,
    pub group_id: String,
    pub msgs: Vec<ImportMsg>,
    /// `RecentContactFlag` 1: the imported messages move the members' conversations.
    pub recent_contact: bool,
    pub now: i64,
}

impl WriteOp for ImportMessages {
    type Plan = (i64, ImportPlan);
    type Out = Vec<Imported>;

    fn batch_key(&self) -> Option<(AppId, &str)> {
        Some((self.app, &self.group_id))
    }

    async fn check<R: ReadTx>(&self, r: &mut R) -> Result<Self::Plan, StoreError> {
        // The lock first, in a statement of its own, so that the probes see every import
        // that held it before (as for a send: `lock_group_row`).
        lock_group_row(r, self.app, &self.group_id).await?;
        let (g, stored_duplicates) =
            group_and_duplicates(r, self.app, &self.group_id, &self.msgs).await?;
        let g = require_group(g, &self.group_id)?;
        let plan = decide_import(
            &g,
            &self.msgs,
            &stored_duplicates,
            self.recent_contact,
            self.now,
        )?;
        Ok((g.key, plan))
    }

    async fn apply<W: WriteTx>(
        &self,
        (gkey, plan): Self::Plan,
        w: &mut W,
    ) -> Result<Vec<Imported>, DbError> {
        // The group's row is written once: its head, the read floor and (with
        // RecentContactFlag) the contact head in one statement; each UPDATE of the row is a
        // new row version on PostgreSQL (BENCHMARKS.md, ledger: bulk seeding).
        if let (Some(head), Some(floor)) = (plan.appends.head, plan.read_floor) {
            append::insert_rows(w, self.app, gkey, &plan.appends).await?;
            match plan.contact {
                Some(c) => {
                    w.write(
                        "UPDATE groups SET next_msg_seq = $2, last_msg_time = $3, read_floor = $4,
                             contact_seq = $5, contact_time = $6 WHERE gkey = $1",
                        params![
                            gkey,
                            head.next_msg_seq,
                            head.last_msg_time,
                            floor,
                            c.seq,
                            c.time
                        ],
                    )
                    .await?
                }
                None => {
                    w.write(
                        "UPDATE groups SET next_msg_seq = $2, last_msg_time = $3, read_floor = $4
                         WHERE gkey = $1",
                        params![gkey, head.next_msg_seq, head.last_msg_time, floor],
                    )
                    .await?
                }
            }
            return Ok(plan.results);
        }
        append::write(w, self.app, gkey, &plan.appends).await?;
        // The contact head moves in the statement that raises the read floor.
        match (plan.read_floor, plan.contact) {
            (Some(floor), Some(c)) => {
                w.execute(
                    "UPDATE groups SET read_floor = $2, contact_seq = $3, contact_time = $4
                     WHERE gkey = $1",
                    params![gkey, floor, c.seq, c.time],
                )
                .await?;
            }
            (Some(floor), None) => {
                w.execute(
                    "UPDATE groups SET read_floor = $2 WHERE gkey = $1",
                    params![gkey, floor],
                )
                .await?;
            }
            (None, _) => {}
        }
        Ok(plan.results)
    }
}

/// The admin's page (group-messages.md §5), handed entry by entry to the sink; answers
/// `IsFinished`. The rows are read in place, never copied into owned cells, messages and
/// entries first (BENCHMARKS.md, ledger: history rows read in place).
pub(crate) struct History {
    pub app: AppId,
    pub group_id: String,
    pub query: HistoryQuery,
    pub retention: Retention,
}

impl SinkOp for History {
    type Out = u8;

    async fn read_into<R: ReadTx>(
        &self,
        r: &mut R,
        sink: &mut dyn PageSink,
    ) -> Result<u8, StoreError> {
        if r.round_trips() {
            return self.read_in_one_statement(r, sink).await;
        }
        // Only what the page needs: reading the whole group row (ten strings) took a tenth of
        // the request's server time (BENCHMARKS.md, ledger: history reads three group columns).
        let g = r
            .query_opt(
                "SELECT gkey, type, next_msg_seq FROM groups WHERE app = $1 AND group_id = $2",
                params![self.app, &self.group_id],
            )
            .await?;
        let mut g = require_group(g, &self.group_id)?;
        let (key, last) = (g.i64(0), last_seq(g.u64(2)));
        group_type(&g.take_str(1)).check(GroupOp::PullHistory)?;
        admin_page(r, self.app, key, last, &self.query, self.retention, sink).await
    }
}

/// The page's message columns, after the group's three in [`History::read_in_one_statement`].
const PAGE_COLUMNS: &str =
    "seq, sender, random, time, priority, state, is_system, body, cloud_custom_data";

impl History {
    /// The group's three columns and the page in one statement, where a statement is a round
    /// trip (PostgreSQL): the page's range is bounded by the group's row through `LATERAL`,
    /// so the planner reads only the page's rows of the primary key (with the page a
    /// `UNION ALL` beside the group's row, it read far past them: BENCHMARKS.md, tried and
    /// not kept). The arithmetic is
    /// `plan_page`'s, which then decides the page from the group's row as on SQLite; a row
    /// outside its range is ignored.
    async fn read_in_one_statement<R: ReadTx>(
        &self,
        r: &mut R,
        sink: &mut dyn PageSink,
    ) -> Result<u8, StoreError> {
        static SQL: LazyLock<String> = LazyLock::new(|| {
            format!(
                "SELECT g.gkey, g.type, g.next_msg_seq, m.* FROM groups g LEFT JOIN LATERAL \
                 (SELECT {PAGE_COLUMNS} FROM group_messages m \
                  WHERE m.app = g.app AND m.gkey = g.gkey AND m.seq BETWEEN \
                  least($3, g.next_msg_seq - 1) - $4 + 1 AND least($3, g.next_msg_seq - 1) \
                  ORDER BY m.seq DESC) m ON true \
                 WHERE g.app = $1 AND g.group_id = $2"
            )
        });
        let q = &self.query;
        let newest = q
            .req_seq
            .map_or(i64::MAX, |s| s.min(i64::MAX as u64) as i64);
        let wanted = q.req_number.min(MAX_HISTORY_PAGE) as i64;
        // Set by the first row, the group's: whether its type lets the admin pull history.
        let mut allowed: Option<Result<(), StoreError>> = None;
        let mut sink = Some(sink);
        let mut page = None;
        r.query_each(
            &SQL,
            params![self.app, &self.group_id, newest, wanted],
            |row: &dyn RowRef| {
                if allowed.is_none() {
                    let checked = group_type(&row.str(1)?)
                        .check(GroupOp::PullHistory)
                        .map(drop);
                    if checked.is_ok() {
                        let last = last_seq(row.i64(2)?.max(0) as u64);
                        page = plan_page(q.req_seq, q.req_number, last)
                            .zip(sink.take())
                            .map(|(range, sink)| {
                                AdminPage::new(range, q.with_recalled, self.retention, sink)
                            });
                    }
                    allowed = Some(checked.map_err(StoreError::from));
                }
                match &mut page {
                    Some(page) if !matches!(row.get(3)?, Value::Null) => {
                        stored_row(row, 3, |m| page.row(m))
                    }
                    _ => Ok(()),
                }
            },
        )
        .await?;
        match allowed {
            None => Err(not_found(&self.group_id).into()),
            Some(Err(refused)) => Err(refused),
            Some(Ok(())) => Ok(page.map_or(1, AdminPage::finish)),
        }
    }
}

/// Hands the stored message whose [`PAGE_COLUMNS`] start at column `at` of `r` to `f`.
fn stored_row(r: &dyn RowRef, at: usize, f: impl FnOnce(StoredRef<'_>)) -> Result<(), DbError> {
    let (from, body, custom) = (r.str(at + 1)?, r.str(at + 7)?, r.opt_str(at + 8)?);
    f(StoredRef {
        seq: r.i64(at)?.max(0) as u64,
        from: &from,
        random: r.i64(at + 2)? as u32,
        time: r.i64(at + 3)?,
        priority: r.i64(at + 4)? as u8,
        state: SlotState::from_db(r.i64(at + 5)?),
        is_system: r.i64(at + 6)? != 0,
        body: &body,
        cloud_custom_data: custom.as_deref(),
    });
    Ok(())
}

/// The admin's page of the message stream `key` whose last seq is `last` (a group's, or a
/// Community topic's: `ops::topics`), entry by entry into `sink`; returns `IsFinished`.
pub(super) async fn admin_page<R: ReadTx>(
    r: &mut R,
    app: AppId,
    key: i64,
    last: u64,
    q: &HistoryQuery,
    retention: Retention,
    sink: &mut dyn PageSink,
) -> Result<u8, StoreError> {
    let Some(range) = plan_page(q.req_seq, q.req_number, last) else {
        return Ok(1);
    };
    let mut page = AdminPage::new(range, q.with_recalled, retention, sink);
    static SQL: LazyLock<String> = LazyLock::new(|| {
        format!(
            "SELECT {PAGE_COLUMNS} FROM group_messages \
             WHERE app = $1 AND gkey = $2 AND seq BETWEEN $3 AND $4 ORDER BY seq DESC"
        )
    });
    r.query_each(
        &SQL,
        params![app, key, range.lo, range.hi],
        |r: &dyn RowRef| stored_row(r, 0, |m| page.row(m)),
    )
    .await?;
    Ok(page.finish())
}

pub(crate) struct MemberHistory {
    pub app: AppId,
    pub group_id: String,
    pub member: String,
    pub req_seq: Option<u64>,
    pub limit: u64,
    pub retention: Retention,
}

impl ReadOp for MemberHistory {
    type Out = MemberPage;

    async fn read<R: ReadTx>(&self, r: &mut R) -> Result<MemberPage, StoreError> {
        let g = find_group(r, self.app, &self.group_id).await?;
        let g = require_group(g, &self.group_id)?;
        let m = find_member(r, self.app, g.key, &self.member).await?;
        let view = member_view(&g, &self.member, m.as_ref(), self.retention)?;
        let Some(range) = view.plan(self.req_seq, self.limit, g.last_seq()) else {
            return Ok(MemberPage {
                entries: Vec::new(),
                next_seq: None,
            });
        };
        let rows = read_range(r, self.app, g.key, range.lo, range.hi).await?;
        Ok(view.page(range, rows))
    }
}

/// group_msg_recall's decision for the stream of `g` (a group, or a Community topic read as
/// one: `ops::topics`).
pub(super) async fn recall_plan<R: ReadTx>(
    r: &mut R,
    app: AppId,
    g: &GroupRecord,
    seqs: &[u64],
    retention: Retention,
) -> Result<RecallPlan, DbError> {
    let mut slots = Vec::with_capacity(seqs.len());
    for &seq in seqs {
        let row = r
            .query_opt(
                "SELECT state, time FROM group_messages WHERE app = $1 AND gkey = $2 AND seq = $3",
                params![app, g.key, seq],
            )
            .await?;
        slots.push(row.map(|row| SlotFacts {
            state: SlotState::from_db(row.i64(0)),
            time: row.i64(1),
        }));
    }
    Ok(decide_recall(g, seqs, &slots, retention))
}

/// Marks the planned slots of the stream `key` recalled.
pub(super) async fn mark_recalled<W: WriteTx>(
    w: &mut W,
    app: AppId,
    key: i64,
    plan: &RecallPlan,
) -> Result<(), DbError> {
    for seq in &plan.mark {
        w.execute(
            "UPDATE group_messages SET state = $4 WHERE app = $1 AND gkey = $2 AND seq = $3",
            params![app, key, *seq, SlotState::Recalled.to_db()],
        )
        .await?;
    }
    Ok(())
}

pub(crate) struct Recall {
    pub app: AppId,
    pub group_id: String,
    pub seqs: Vec<u64>,
    pub retention: Retention,
    /// Who recalled: `Operator_Account` of the callback and the members' event.
    pub operator: String,
}

impl WriteOp for Recall {
    type Plan = (i64, RecallPlan);
    type Out = Vec<Result<(), ErrorCode>>;

    fn changes(
        &self,
        out: &Self::Out,
        sink: &dyn ChangeSink,
    ) -> Option<(AppId, Vec<MemberChange>)> {
        let seqs: Vec<u64> = self
            .seqs
            .iter()
            .zip(out)
            .filter(|(_, r)| r.is_ok())
            .map(|(s, _)| *s)
            .collect();
        (!seqs.is_empty() && sink.wants(self.app)).then(|| {
            let change = MemberChange::GroupRecalled {
                group_id: self.group_id.clone(),
                seqs,
                operator: self.operator.clone(),
            };
            (self.app, vec![change])
        })
    }

    async fn check<R: ReadTx>(&self, r: &mut R) -> Result<Self::Plan, StoreError> {
        let g = locked_group(r, self.app, &self.group_id).await?;
        let plan = recall_plan(r, self.app, &g, &self.seqs, self.retention).await?;
        Ok((g.key, plan))
    }

    async fn apply<W: WriteTx>(
        &self,
        (gkey, plan): Self::Plan,
        w: &mut W,
    ) -> Result<Self::Out, DbError> {
        mark_recalled(w, self.app, gkey, &plan).await?;
        Ok(plan.results)
    }

    fn callbacks(&self) -> Option<(AppId, &'static [&'static str])> {
        Some((self.app, &[cb::GROUP_AFTER_RECALL]))
    }

    async fn events<W: WriteTx>(
        &self,
        results: &Self::Out,
        _: &[&'static str],
        w: &mut W,
    ) -> Result<Vec<Event>, DbError> {
        let recalled: Vec<_> = self
            .seqs
            .iter()
            .zip(results)
            .filter(|(_, r)| r.is_ok())
            .map(|(seq, _)| json!({ "MsgSeq": seq }))
            .collect();
        let Some(g) = find_group(w, self.app, &self.group_id).await? else {
            return Ok(Vec::new());
        };
        if recalled.is_empty() {
            return Ok(Vec::new());
        }
        Ok(vec![Event::new(
            cb::GROUP_AFTER_RECALL,
            cb::group_ordering(&g.group_id),
            json!({
                "Operator_Account": self.operator,
                "Type": g.ty.as_str(),
                "GroupId": g.group_id,
                "MsgSeqList": recalled,
            }),
        )])
    }
}

pub(crate) struct DeleteBySender {
    pub app: AppId,
    pub group_id: String,
    pub sender: String,
}

impl WriteOp for DeleteBySender {
    type Plan = (i64, Option<u64>);
    type Out = u64;

    async fn check<R: ReadTx>(&self, r: &mut R) -> Result<Self::Plan, StoreError> {
        let g = locked_group(r, self.app, &self.group_id).await?;
        Ok((g.key, delete_by_sender_from(&g)?))
    }

    async fn apply<W: WriteTx>(&self, (gkey, from): Self::Plan, w: &mut W) -> Result<u64, DbError> {
        let Some(from) = from else {
            return Ok(0);
        };
        w.execute(
            "UPDATE group_messages SET state = $5
             WHERE app = $1 AND gkey = $2 AND seq >= $3 AND sender = $4 AND state = $6",
            params![
                self.app,
                gkey,
                from,
                &self.sender,
                SlotState::Recalled.to_db(),
                SlotState::Normal.to_db()
            ],
        )
        .await
    }
}

pub(crate) struct ModifyMessage {
    pub app: AppId,
    pub group_id: String,
    pub seq: u64,
    pub body: Option<String>,
    pub cloud_custom_data: Option<String>,
    pub max_bytes: usize,
    pub retention: Retention,
}

impl WriteOp for ModifyMessage {
    type Plan = (i64, Modified);
    type Out = ();

    fn changes(&self, _: &Self::Out, sink: &dyn ChangeSink) -> Option<(AppId, Vec<MemberChange>)> {
        super::one_change(self.app, sink, || MemberChange::GroupModified {
            group_id: self.group_id.clone(),
            seq: self.seq,
            body: self.body.clone(),
            cloud_custom_data: self.cloud_custom_data.clone(),
        })
    }

    async fn check<R: ReadTx>(&self, r: &mut R) -> Result<Self::Plan, StoreError> {
        let g = locked_group(r, self.app, &self.group_id).await?;
        let stored = read_one(r, self.app, g.key, self.seq).await?;
        let modified = decide_modify(
            &g,
            self.seq,
            stored,
            self.body.as_deref(),
            self.cloud_custom_data.as_deref(),
            self.max_bytes,
            self.retention,
        )?;
        Ok((g.key, modified))
    }

    async fn apply<W: WriteTx>(&self, (gkey, m): Self::Plan, w: &mut W) -> Result<(), DbError> {
        w.execute(
            "UPDATE group_messages SET body = $4, cloud_custom_data = $5
             WHERE app = $1 AND gkey = $2 AND seq = $3",
            params![self.app, gkey, self.seq, &m.body, &m.cloud_custom_data],
        )
        .await?;
        Ok(())
    }
}

/// Raises the cleared watermark: one write to the group's row, whatever the history's size
/// (DESIGN.md invariant 4).
pub(crate) struct ClearHistory {
    pub app: AppId,
    pub group_id: String,
    pub upto: Option<u64>,
}

impl WriteOp for ClearHistory {
    type Plan = (i64, u64, bool);
    type Out = u64;

    fn batch_key(&self) -> Option<(AppId, &str)> {
        Some((self.app, &self.group_id))
    }

    fn changes(
        &self,
        out: &Self::Out,
        sink: &dyn ChangeSink,
    ) -> Option<(AppId, Vec<MemberChange>)> {
        super::one_change(self.app, sink, || MemberChange::GroupCleared {
            group_id: self.group_id.clone(),
            upto: *out,
        })
    }

    async fn check<R: ReadTx>(&self, r: &mut R) -> Result<Self::Plan, StoreError> {
        let g = locked_group(r, self.app, &self.group_id).await?;
        let (watermark, moved) = decide_clear(&g, self.upto)?;
        Ok((g.key, watermark, moved))
    }

    async fn apply<W: WriteTx>(
        &self,
        (gkey, watermark, moved): Self::Plan,
        w: &mut W,
    ) -> Result<u64, DbError> {
        if moved {
            w.write(
                "UPDATE groups SET cleared_upto = $2 WHERE gkey = $1",
                params![gkey, watermark],
            )
            .await?;
        }
        Ok(watermark)
    }
}

pub(crate) struct SetUnread {
    pub app: AppId,
    pub group_id: String,
    pub member: String,
    pub unread: u64,
}

impl WriteOp for SetUnread {
    type Plan = (i64, Option<ReadMark>);
    type Out = ();

    fn changes(&self, _: &Self::Out, sink: &dyn ChangeSink) -> Option<(AppId, Vec<MemberChange>)> {
        super::one_change(self.app, sink, || MemberChange::GroupReadChanged {
            group_id: self.group_id.clone(),
            member: self.member.clone(),
        })
    }

    async fn check<R: ReadTx>(&self, r: &mut R) -> Result<Self::Plan, StoreError> {
        let g = locked_group(r, self.app, &self.group_id).await?;
        let exists = account_exists(r, self.app, &self.member).await?;
        let found = find_member(r, self.app, g.key, &self.member).await?;
        let mark = decide_set_unread(&g, &self.member, exists, found, self.unread)?;
        Ok((g.key, mark))
    }

    async fn apply<W: WriteTx>(&self, (gkey, mark): Self::Plan, w: &mut W) -> Result<(), DbError> {
        let Some(mark) = mark else {
            return Ok(());
        };
        w.execute(
            "UPDATE group_members SET read_seq = $4, read_floor_seen = $5
             WHERE app = $1 AND gkey = $2 AND user_id = $3",
            params![
                self.app,
                gkey,
                &self.member,
                mark.read_seq,
                mark.read_floor_seen
            ],
        )
        .await?;
        Ok(())
    }
}

pub(crate) struct UnreadCount {
    pub app: AppId,
    pub group_id: String,
    pub member: String,
}

impl ReadOp for UnreadCount {
    type Out = u64;

    async fn read<R: ReadTx>(&self, r: &mut R) -> Result<u64, StoreError> {
        let g = find_group(r, self.app, &self.group_id).await?;
        let g = require_group(g, &self.group_id)?;
        let exists = account_exists(r, self.app, &self.member).await?;
        let found = find_member(r, self.app, g.key, &self.member).await?;
        Ok(member_unread(&g, &self.member, exists, found)?)
    }
}
