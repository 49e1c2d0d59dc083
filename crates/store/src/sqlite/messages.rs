//! Group messages on SQLite. spec: group-messages.md.
//!
//! Reads of history are one range query on the primary key `(app, gkey, seq)`. Message times
//! are non-decreasing with seq within a group (sends use the clock, imports must not be older
//! than the newest message), so expired rows are the low end of each group's key range and the
//! sweeper deletes them by primary key, without a time index.

use super::groups::{find_member, load_group, require_accounts};
use super::SqliteStore;
use crate::groups::GroupRecord;
use crate::messages::{
    HistoryPage, HistoryQuery, ImportMsg, Imported, MessageStore, NewGroupMsg, RetentionPolicy,
    SendMsg, Sent, SweepStep,
};
use crate::Result;
use rusqlite::{params, Connection, OptionalExtension, Row};
use timber_core::group::{GroupOp, GroupType, Role};
use timber_core::message::{
    admin_page, cleared_watermark, dedup_since, import_time_ok, msg_bytes, plan_page,
    read_seq_for_unread, supports_targeted, MemberPage, MemberView, Retention, SlotState,
    StoredMsg, DEFAULT_PRIORITY, DELETE_BY_SENDER_SCAN,
};
use timber_core::{AppId, Error, ErrorCode};

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

/// Columns read into a [`StoredMsg`], in `msg_from_row` order.
const MSG_SELECT: &str = "SELECT seq, sender, random, time, priority, state, is_system, body, \
    cloud_custom_data, to_accounts FROM group_messages";

fn msg_from_row(r: &Row<'_>) -> rusqlite::Result<StoredMsg> {
    let to: Option<String> = r.get(9)?;
    Ok(StoredMsg {
        seq: r.get::<_, i64>(0)? as u64,
        from: r.get(1)?,
        random: r.get(2)?,
        time: r.get(3)?,
        priority: r.get(4)?,
        state: SlotState::from_db(r.get(5)?),
        is_system: r.get(6)?,
        body: r.get(7)?,
        cloud_custom_data: r.get(8)?,
        to_accounts: to
            .map(|t| serde_json::from_str(&t).unwrap_or_default())
            .unwrap_or_default(),
    })
}

/// The stored rows of seqs `[lo, hi]`, newest first: one range scan of the primary key.
fn read_range(c: &Connection, app: AppId, gkey: i64, lo: u64, hi: u64) -> Result<Vec<StoredMsg>> {
    let sql = format!(
        "{MSG_SELECT} WHERE app = ?1 AND gkey = ?2 AND seq BETWEEN ?3 AND ?4 ORDER BY seq DESC"
    );
    let mut stmt = c.prepare_cached(&sql)?;
    let rows = stmt.query_map(
        params![app as i64, gkey, lo as i64, hi as i64],
        msg_from_row,
    )?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

fn read_one(c: &Connection, app: AppId, gkey: i64, seq: u64) -> Result<Option<StoredMsg>> {
    let sql = format!("{MSG_SELECT} WHERE app = ?1 AND gkey = ?2 AND seq = ?3");
    Ok(c.prepare_cached(&sql)?
        .query_row(params![app as i64, gkey, seq as i64], msg_from_row)
        .optional()?)
}

/// The newest message of the group with this `Random` sent at or after `since`, if any: the
/// five-minute duplicate window (group-messages.md §1.1), served by the `(app, gkey, random)`
/// index.
fn find_duplicate(
    c: &Connection,
    app: AppId,
    gkey: i64,
    random: u32,
    since: i64,
) -> Result<Option<Sent>> {
    Ok(c.prepare_cached(
        "SELECT seq, time FROM group_messages
         WHERE app = ?1 AND gkey = ?2 AND random = ?3 AND time >= ?4
         ORDER BY seq DESC LIMIT 1",
    )?
    .query_row(params![app as i64, gkey, random, since], |r| {
        Ok(Sent {
            seq: r.get::<_, i64>(0)? as u64,
            time: r.get(1)?,
            duplicate: true,
        })
    })
    .optional()?)
}

/// A mute recorded for an account that has no membership row (AVChatRoom members are not
/// tracked, but they can be muted).
fn mute_of(c: &Connection, app: AppId, gkey: i64, account: &str) -> Result<i64> {
    Ok(c.prepare_cached(
        "SELECT mute_until FROM group_mutes WHERE app = ?1 AND gkey = ?2 AND user_id = ?3",
    )?
    .query_row(params![app as i64, gkey, account], |r| r.get(0))
    .optional()?
    .unwrap_or(0))
}

fn not_member(account: &str, group_id: &str) -> Error {
    Error::new(
        ErrorCode::GroupPermissionDenied,
        format!("{account:?} is not a member of group {group_id:?}"),
    )
}

fn send_message(c: &Connection, app: AppId, group_id: &str, send: SendMsg) -> Result<Sent> {
    let mut g = load_group(c, app, group_id)?;
    let msg = send.msg;
    let now = msg.time;
    let member = find_member(c, app, g.key, &msg.from)?;
    let mute_until = match &member {
        Some(m) => m.mute_until,
        None => {
            require_accounts(c, app, [msg.from.as_str()])?;
            // AVChatRoom keeps no member list: anyone may send there.
            if g.ty != GroupType::AVChatRoom && !send.sender_is_admin {
                return Err(not_member(&msg.from, group_id).into());
            }
            mute_of(c, app, g.key, &msg.from)?
        }
    };
    if mute_until > now {
        return Err(Error::new(
            ErrorCode::GroupSenderMuted,
            format!("{:?} is muted until {mute_until}", msg.from),
        )
        .into());
    }
    let privileged = send.sender_is_admin
        || member
            .as_ref()
            .is_some_and(|m| matches!(m.role, Role::Owner | Role::Admin));
    if g.mute_all && !privileged {
        return Err(Error::new(
            ErrorCode::GroupSenderMuted,
            format!("all members of group {group_id:?} are muted"),
        )
        .into());
    }
    if !msg.to_accounts.is_empty() {
        if !supports_targeted(g.ty) {
            return Err(Error::new(
                ErrorCode::GroupPermissionDenied,
                format!("{} groups do not take targeted messages", g.ty.as_str()),
            )
            .into());
        }
        for to in &msg.to_accounts {
            if find_member(c, app, g.key, to)?.is_none() {
                return Err(Error::new(
                    ErrorCode::GroupInvalidParameter,
                    format!("To_Account {to:?} is not a member of group {group_id:?}"),
                )
                .into());
            }
        }
    }
    if g.ty.stores_history() {
        if let Some(original) = find_duplicate(c, app, g.key, msg.random, dedup_since(now))? {
            return Ok(original);
        }
    }
    let seq = append_message(c, app, &mut g, &msg)?;
    if member.is_some() {
        c.prepare_cached(
            "UPDATE group_members SET last_send_time = ?4 WHERE app = ?1 AND gkey = ?2 AND user_id = ?3",
        )?
        .execute(params![app as i64, g.key, msg.from, now])?;
    }
    Ok(Sent {
        seq,
        time: now,
        duplicate: false,
    })
}

fn import_messages(
    c: &Connection,
    app: AppId,
    group_id: &str,
    msgs: Vec<ImportMsg>,
    now: i64,
) -> Result<Vec<Imported>> {
    let mut g = load_group(c, app, group_id)?;
    g.ty.check(GroupOp::ImportMsg)?;
    let mut out = Vec::with_capacity(msgs.len());
    let mut stored = false;
    for m in msgs {
        // A repeated Random first, so that retrying an import that did commit answers the
        // original seqs instead of failing the time rule.
        if let Some(r) = m.random {
            if let Some(original) = find_duplicate(c, app, g.key, r, dedup_since(m.send_time))? {
                out.push(Imported::Stored(original));
                continue;
            }
        }
        if !import_time_ok(m.send_time, g.create_time, g.last_msg_time, now) {
            out.push(Imported::Refused(ErrorCode::GroupInvalidParameter));
            continue;
        }
        let msg = NewGroupMsg {
            from: m.from,
            random: m.random.unwrap_or_else(crate::messages::rand_u32),
            time: m.send_time,
            priority: DEFAULT_PRIORITY,
            state: SlotState::Normal,
            is_system: false,
            body: m.body,
            cloud_custom_data: m.cloud_custom_data,
            to_accounts: Vec::new(),
        };
        let seq = append_message(c, app, &mut g, &msg)?;
        stored = true;
        out.push(Imported::Stored(Sent {
            seq,
            time: m.send_time,
            duplicate: false,
        }));
    }
    if stored {
        // Every member's unread count becomes 0 (§10): one write, whatever the member count.
        c.prepare_cached("UPDATE groups SET read_floor = ?2 WHERE gkey = ?1")?
            .execute(params![g.key, g.last_seq() as i64])?;
    }
    Ok(out)
}

fn history(
    c: &Connection,
    app: AppId,
    group_id: &str,
    q: HistoryQuery,
    retention: Retention,
) -> Result<HistoryPage> {
    let g = load_group(c, app, group_id)?;
    g.ty.check(GroupOp::PullHistory)?;
    let Some(range) = plan_page(q.req_seq, q.req_number, g.last_seq()) else {
        return Ok(HistoryPage {
            entries: Vec::new(),
            is_finished: 1,
        });
    };
    let rows = read_range(c, app, g.key, range.lo, range.hi)?;
    let (entries, is_finished) = admin_page(range, rows, q.with_recalled, retention);
    Ok(HistoryPage {
        entries,
        is_finished,
    })
}

fn member_history(
    c: &Connection,
    app: AppId,
    group_id: &str,
    member: &str,
    req_seq: Option<u64>,
    limit: u64,
    retention: Retention,
) -> Result<MemberPage> {
    let g = load_group(c, app, group_id)?;
    g.ty.check(GroupOp::PullHistory)?;
    let m = find_member(c, app, g.key, member)?.ok_or_else(|| not_member(member, group_id))?;
    let view = MemberView {
        member,
        cleared_upto: g.cleared_upto,
        first_visible_seq: if g.history_before_join() {
            1
        } else {
            m.join_seq
        },
        retention,
    };
    let Some(range) = view.plan(req_seq, limit, g.last_seq()) else {
        return Ok(MemberPage {
            entries: Vec::new(),
            next_seq: None,
        });
    };
    let rows = read_range(c, app, g.key, range.lo, range.hi)?;
    Ok(view.page(range, rows))
}

fn recall_messages(
    c: &Connection,
    app: AppId,
    group_id: &str,
    seqs: Vec<u64>,
    retention: Retention,
) -> Result<Vec<Result<(), ErrorCode>>> {
    let g = load_group(c, app, group_id)?;
    let mut out = Vec::with_capacity(seqs.len());
    for seq in seqs {
        let result = if !g.ty.stores_history() {
            // AVChatRoom: a recall only tells the online members; any allocated seq may be named.
            if (1..=g.last_seq()).contains(&seq) {
                Ok(())
            } else {
                Err(ErrorCode::RecallMsgNotFound)
            }
        } else {
            match read_one(c, app, g.key, seq)? {
                Some(m) if retention.expired(m.time) => Err(ErrorCode::RecallMsgNotFound),
                Some(m) if m.state == SlotState::Recalled => Ok(()),
                Some(m) if m.state == SlotState::Normal => {
                    c.prepare_cached(
                        "UPDATE group_messages SET state = ?4 WHERE app = ?1 AND gkey = ?2 AND seq = ?3",
                    )?
                    .execute(params![
                        app as i64,
                        g.key,
                        seq as i64,
                        SlotState::Recalled.to_db()
                    ])?;
                    Ok(())
                }
                // Never stored (online-only) or gone.
                _ => Err(ErrorCode::RecallMsgNotFound),
            }
        };
        out.push(result);
    }
    Ok(out)
}

fn delete_by_sender(c: &Connection, app: AppId, group_id: &str, sender: &str) -> Result<u64> {
    let g = load_group(c, app, group_id)?;
    if !g.ty.check(GroupOp::DeleteMsgBySender)? {
        return Ok(0);
    }
    let lo = g.last_seq().saturating_sub(DELETE_BY_SENDER_SCAN) + 1;
    let n = c
        .prepare_cached(
            "UPDATE group_messages SET state = ?5
             WHERE app = ?1 AND gkey = ?2 AND seq >= ?3 AND sender = ?4 AND state = ?6",
        )?
        .execute(params![
            app as i64,
            g.key,
            lo as i64,
            sender,
            SlotState::Recalled.to_db(),
            SlotState::Normal.to_db()
        ])?;
    Ok(n as u64)
}

#[allow(clippy::too_many_arguments)]
fn modify_message(
    c: &Connection,
    app: AppId,
    group_id: &str,
    seq: u64,
    body: Option<String>,
    cloud_custom_data: Option<String>,
    max_bytes: usize,
    retention: Retention,
) -> Result<()> {
    let g = load_group(c, app, group_id)?;
    g.ty.check(GroupOp::ModifyMsg)?;
    let m = read_one(c, app, g.key, seq)?
        .filter(|m| m.state == SlotState::Normal && !retention.expired(m.time))
        .ok_or_else(|| {
            Error::new(
                ErrorCode::MsgNotFound,
                format!("group {group_id:?} has no message with MsgSeq {seq}"),
            )
        })?;
    let body = body.unwrap_or(m.body);
    let cloud_custom_data = cloud_custom_data.or(m.cloud_custom_data);
    let size = msg_bytes(&body, cloud_custom_data.as_deref());
    if size > max_bytes {
        return Err(Error::new(
            ErrorCode::MsgTooLong,
            format!("the modified message is {size} bytes; at most {max_bytes} are allowed"),
        )
        .into());
    }
    c.prepare_cached(
        "UPDATE group_messages SET body = ?4, cloud_custom_data = ?5
         WHERE app = ?1 AND gkey = ?2 AND seq = ?3",
    )?
    .execute(params![
        app as i64,
        g.key,
        seq as i64,
        body,
        cloud_custom_data
    ])?;
    Ok(())
}

fn clear_history(c: &Connection, app: AppId, group_id: &str, upto: Option<u64>) -> Result<u64> {
    let g = load_group(c, app, group_id)?;
    if !g.ty.check(GroupOp::ClearHistory)? {
        return Ok(g.cleared_upto);
    }
    let watermark = cleared_watermark(g.cleared_upto, upto, g.last_seq());
    if watermark != g.cleared_upto {
        c.prepare_cached("UPDATE groups SET cleared_upto = ?2 WHERE gkey = ?1")?
            .execute(params![g.key, watermark as i64])?;
    }
    Ok(watermark)
}

/// 10019 for an account that does not exist, else 10007: not a member.
fn missing_member(c: &Connection, app: AppId, group_id: &str, member: &str) -> crate::StoreError {
    match require_accounts(c, app, [member]) {
        Err(e) => e,
        Ok(()) => not_member(member, group_id).into(),
    }
}

fn set_unread(c: &Connection, app: AppId, group_id: &str, member: &str, unread: u64) -> Result<()> {
    let g = load_group(c, app, group_id)?;
    if !g.ty.check(GroupOp::SetUnread)? {
        return Ok(());
    }
    let n = c
        .prepare_cached(
            "UPDATE group_members SET read_seq = ?4, read_floor_seen = ?5
             WHERE app = ?1 AND gkey = ?2 AND user_id = ?3",
        )?
        .execute(params![
            app as i64,
            g.key,
            member,
            read_seq_for_unread(g.last_seq(), unread) as i64,
            g.read_floor as i64
        ])?;
    if n == 0 {
        return Err(missing_member(c, app, group_id, member));
    }
    Ok(())
}

fn unread_count(c: &Connection, app: AppId, group_id: &str, member: &str) -> Result<u64> {
    let g = load_group(c, app, group_id)?;
    let m = find_member(c, app, g.key, member)?
        .ok_or_else(|| missing_member(c, app, group_id, member))?;
    Ok(g.unread(&m))
}

/// Deletes at most `max_rows` rows of one destroyed group; dequeues it once nothing is left.
fn purge_step(c: &Connection, max_rows: u64) -> Result<u64> {
    let Some((gkey, app)) = c
        .prepare_cached("SELECT gkey, app FROM purge_queue ORDER BY gkey LIMIT 1")?
        .query_row([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))
        .optional()?
    else {
        return Ok(0);
    };
    let mut deleted = 0u64;
    // Each statement deletes the first rows of the group's key range, up to the budget left.
    let statements = [
        "DELETE FROM group_messages WHERE app = ?1 AND gkey = ?2 AND seq IN
             (SELECT seq FROM group_messages WHERE app = ?1 AND gkey = ?2 ORDER BY seq LIMIT ?3)",
        "DELETE FROM group_members WHERE app = ?1 AND gkey = ?2 AND user_id IN
             (SELECT user_id FROM group_members WHERE app = ?1 AND gkey = ?2 ORDER BY user_id LIMIT ?3)",
        "DELETE FROM group_mutes WHERE app = ?1 AND gkey = ?2 AND user_id IN
             (SELECT user_id FROM group_mutes WHERE app = ?1 AND gkey = ?2 ORDER BY user_id LIMIT ?3)",
    ];
    for sql in statements {
        let budget = max_rows - deleted;
        if budget == 0 {
            return Ok(deleted);
        }
        deleted += c
            .prepare_cached(sql)?
            .execute(params![app, gkey, budget as i64])? as u64;
    }
    if deleted < max_rows {
        deleted += c
            .prepare_cached("DELETE FROM purge_queue WHERE gkey = ?1")?
            .execute(params![gkey])? as u64;
    }
    Ok(deleted)
}

/// The sweeper's position: groups with a key above it are still to be swept in this pass.
const SWEEP_CURSOR: &str = "sweep_gkey";
/// Groups probed per step at most, so a step stays short even when nothing is expired.
const SWEEP_GROUPS_PER_STEP: i64 = 64;

fn expire_step(
    c: &Connection,
    policy: &RetentionPolicy,
    now: i64,
    max_rows: u64,
) -> Result<SweepStep> {
    let cursor: i64 = c
        .prepare_cached("SELECT value FROM meta WHERE key = ?1")?
        .query_row(params![SWEEP_CURSOR], |r| r.get(0))
        .optional()?
        .unwrap_or(0);
    let groups: Vec<(i64, i64)> = c
        .prepare_cached("SELECT gkey, app FROM groups WHERE gkey > ?1 ORDER BY gkey LIMIT ?2")?
        .query_map(params![cursor, SWEEP_GROUPS_PER_STEP], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut step = SweepStep {
        deleted: 0,
        pass_done: (groups.len() as i64) < SWEEP_GROUPS_PER_STEP,
    };
    let mut next_cursor = if step.pass_done {
        0
    } else {
        groups.last().map_or(0, |g| g.0)
    };
    for (gkey, app) in groups {
        let days = policy.get(&(app as AppId)).copied().unwrap_or(0);
        let Some(cutoff) = (Retention { days, now }).cutoff() else {
            continue;
        };
        // One primary-key probe decides most groups: nothing to do unless the oldest row expired.
        let oldest: Option<i64> = c
            .prepare_cached(
                "SELECT time FROM group_messages WHERE app = ?1 AND gkey = ?2 ORDER BY seq LIMIT 1",
            )?
            .query_row(params![app, gkey], |r| r.get(0))
            .optional()?;
        if oldest.is_none_or(|t| t >= cutoff) {
            continue;
        }
        let budget = max_rows - step.deleted;
        // The expired rows among the group's oldest `budget` rows; with times non-decreasing in
        // seq these are exactly its oldest expired rows.
        let n = c
            .prepare_cached(
                "DELETE FROM group_messages WHERE app = ?1 AND gkey = ?2 AND time < ?4 AND seq IN
                     (SELECT seq FROM group_messages WHERE app = ?1 AND gkey = ?2
                      ORDER BY seq LIMIT ?3)",
            )?
            .execute(params![app, gkey, budget as i64, cutoff])? as u64;
        step.deleted += n;
        if step.deleted >= max_rows {
            // This group may have more: resume with it.
            next_cursor = gkey - 1;
            step.pass_done = false;
            break;
        }
    }
    c.prepare_cached(
        "INSERT INTO meta (key, value) VALUES (?1, ?2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )?
    .execute(params![SWEEP_CURSOR, next_cursor])?;
    Ok(step)
}

#[async_trait::async_trait]
impl MessageStore for SqliteStore {
    async fn send_message(&self, app: AppId, group_id: String, msg: SendMsg) -> Result<Sent> {
        self.write(move |c| send_message(c, app, &group_id, msg))
            .await
    }

    async fn import_messages(
        &self,
        app: AppId,
        group_id: String,
        msgs: Vec<ImportMsg>,
        now: i64,
    ) -> Result<Vec<Imported>> {
        self.write(move |c| import_messages(c, app, &group_id, msgs, now))
            .await
    }

    async fn history(
        &self,
        app: AppId,
        group_id: String,
        query: HistoryQuery,
        retention: Retention,
    ) -> Result<HistoryPage> {
        self.read(move |c| history(c, app, &group_id, query, retention))
            .await
    }

    async fn member_history(
        &self,
        app: AppId,
        group_id: String,
        member: String,
        req_seq: Option<u64>,
        limit: u64,
        retention: Retention,
    ) -> Result<MemberPage> {
        self.read(move |c| member_history(c, app, &group_id, &member, req_seq, limit, retention))
            .await
    }

    async fn recall_messages(
        &self,
        app: AppId,
        group_id: String,
        seqs: Vec<u64>,
        retention: Retention,
    ) -> Result<Vec<Result<(), ErrorCode>>> {
        self.write(move |c| recall_messages(c, app, &group_id, seqs, retention))
            .await
    }

    async fn delete_by_sender(&self, app: AppId, group_id: String, sender: String) -> Result<u64> {
        self.write(move |c| delete_by_sender(c, app, &group_id, &sender))
            .await
    }

    async fn modify_message(
        &self,
        app: AppId,
        group_id: String,
        seq: u64,
        body: Option<String>,
        cloud_custom_data: Option<String>,
        max_bytes: usize,
        retention: Retention,
    ) -> Result<()> {
        self.write(move |c| {
            modify_message(
                c,
                app,
                &group_id,
                seq,
                body,
                cloud_custom_data,
                max_bytes,
                retention,
            )
        })
        .await
    }

    async fn clear_history(&self, app: AppId, group_id: String, upto: Option<u64>) -> Result<u64> {
        self.write(move |c| clear_history(c, app, &group_id, upto))
            .await
    }

    async fn set_unread(
        &self,
        app: AppId,
        group_id: String,
        member: String,
        unread: u64,
    ) -> Result<()> {
        self.write(move |c| set_unread(c, app, &group_id, &member, unread))
            .await
    }

    async fn unread_count(&self, app: AppId, group_id: String, member: String) -> Result<u64> {
        self.read(move |c| unread_count(c, app, &group_id, &member))
            .await
    }

    async fn purge_step(&self, max_rows: u64) -> Result<u64> {
        self.write(move |c| purge_step(c, max_rows)).await
    }

    async fn expire_step(
        &self,
        policy: RetentionPolicy,
        now: i64,
        max_rows: u64,
    ) -> Result<SweepStep> {
        self.write(move |c| expire_step(c, &policy, now, max_rows))
            .await
    }
}
