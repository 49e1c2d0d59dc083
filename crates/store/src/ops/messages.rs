//! Group message operations, written once for every backend. spec: group-messages.md.
//!
//! Reads of history are one range query on the primary key `(app, gkey, seq)`. Message times
//! are non-decreasing with seq within a group (sends use the clock, imports must not be older
//! than the newest message), so expired rows are the low end of each group's key range and the
//! sweeper deletes them by primary key, without a time index.

use super::groups::{find_member, group_type, load_group, lock_group, not_found, require_accounts};
use crate::groups::GroupRecord;
use crate::messages::{
    HistoryQuery, ImportMsg, Imported, NewGroupMsg, RetentionPolicy, SendMsg, Sent, SweepStep,
};
use crate::sql::{params, Row, Tx};
use crate::Result;
use timber_core::group::{GroupOp, GroupType, Role};
use timber_core::message::{
    cleared_watermark, dedup_since, import_time_ok, msg_bytes, plan_page, read_seq_for_unread,
    supports_targeted, AdminPage, MemberPage, MemberView, PageSink, Retention, SlotState,
    StoredMsg, StoredRef, DEFAULT_PRIORITY, DELETE_BY_SENDER_SCAN,
};
use timber_core::{AppId, Error, ErrorCode};

/// What storing a message reads and advances of its group's row. Sends read only these
/// columns: reading the whole row, with its strings and JSON, cost the SQLite writer 15% of
/// its time per send (BENCHMARKS.md). Operations that hold the whole [`GroupRecord`] take
/// them from it.
pub(crate) struct MsgHead {
    pub key: i64,
    pub ty: GroupType,
    pub next_msg_seq: u64,
    pub last_msg_time: i64,
}

impl MsgHead {
    pub(crate) fn of(g: &GroupRecord) -> MsgHead {
        MsgHead {
            key: g.key,
            ty: g.ty,
            next_msg_seq: g.next_msg_seq,
            last_msg_time: g.last_msg_time,
        }
    }
}

/// Gives `msg` the group's next MsgSeq and stores it (AVChatRoom: the seq is taken for
/// ordering, nothing is stored). The caller read `g` under the group's lock (`lock_group`,
/// `send_context`) in the same transaction, so its `next_msg_seq` is the row's own and a seq
/// is never skipped or taken twice (DESIGN.md invariant 2).
pub(crate) async fn append_message(
    t: &mut impl Tx,
    app: AppId,
    g: &mut MsgHead,
    msg: &NewGroupMsg,
) -> Result<u64> {
    let seq = g.next_msg_seq;
    let last_msg_time = g.last_msg_time.max(msg.time);
    t.execute(
        "UPDATE groups SET next_msg_seq = $2, last_msg_time = $3 WHERE gkey = $1",
        params![g.key, seq + 1, last_msg_time],
    )
    .await?;
    if g.ty.stores_history() {
        let to = (!msg.to_accounts.is_empty())
            .then(|| serde_json::to_string(&msg.to_accounts).unwrap_or_default());
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
    g.last_msg_time = last_msg_time;
    Ok(seq)
}

/// Columns read into a [`StoredMsg`], in [`msg_from_row`] order (the admin's page reads the
/// first nine in a statement of its own).
const MSG_COLUMNS: &str =
    "seq, sender, random, time, priority, state, is_system, body, cloud_custom_data, to_accounts";

fn msg_from_row(mut r: Row) -> StoredMsg {
    let to = r.take_opt_str(9);
    StoredMsg {
        seq: r.u64(0),
        from: r.take_str(1),
        random: r.i64(2) as u32,
        time: r.i64(3),
        priority: r.i64(4) as u8,
        state: SlotState::from_db(r.i64(5)),
        is_system: r.bool(6),
        body: r.take_str(7),
        cloud_custom_data: r.take_opt_str(8),
        to_accounts: to
            .map(|t| serde_json::from_str(&t).unwrap_or_default())
            .unwrap_or_default(),
    }
}

/// The stored rows of seqs `[lo, hi]`, newest first: one range scan of the primary key.
async fn read_range(
    t: &mut impl Tx,
    app: AppId,
    gkey: i64,
    lo: u64,
    hi: u64,
) -> Result<Vec<StoredMsg>> {
    let sql = format!(
        "SELECT {MSG_COLUMNS} FROM group_messages \
         WHERE app = $1 AND gkey = $2 AND seq BETWEEN $3 AND $4 ORDER BY seq DESC"
    );
    let rows = t.query(&sql, params![app, gkey, lo, hi]).await?;
    Ok(rows.into_iter().map(msg_from_row).collect())
}

async fn read_one(t: &mut impl Tx, app: AppId, gkey: i64, seq: u64) -> Result<Option<StoredMsg>> {
    let sql = format!(
        "SELECT {MSG_COLUMNS} FROM group_messages WHERE app = $1 AND gkey = $2 AND seq = $3"
    );
    Ok(t.query_opt(&sql, params![app, gkey, seq])
        .await?
        .map(msg_from_row))
}

/// SQL for the newest seq of the group with this `Random` sent at or after `since` (NULL if
/// none): the five-minute duplicate window (group-messages.md §1.1), probed in the covering
/// `(app, gkey, random, time)` index. `max(seq + 0)`, not `max(seq)`: a bare max(seq) makes
/// SQLite walk the primary key backwards through the group's whole history instead. The
/// arguments are the SQL that gives the group key, the `Random` and the window's start.
fn duplicate_probe(gkey: &str, random: &str, since: &str) -> String {
    format!(
        "SELECT max(seq + 0) FROM group_messages d \
         WHERE d.app = $1 AND d.gkey = {gkey} AND d.random = {random} AND d.time >= {since}"
    )
}

/// The answer to a repeated `Random`: the original message's seq and time.
async fn original(t: &mut impl Tx, app: AppId, gkey: i64, seq: u64) -> Result<Sent> {
    let time = t
        .query_one(
            "SELECT time FROM group_messages WHERE app = $1 AND gkey = $2 AND seq = $3",
            params![app, gkey, seq],
        )
        .await?
        .i64(0);
    Ok(Sent {
        seq,
        time,
        duplicate: true,
    })
}

/// The message an import repeats (same `Random` within the window), if any.
async fn find_duplicate(
    t: &mut impl Tx,
    app: AppId,
    gkey: i64,
    random: u32,
    since: i64,
) -> Result<Option<Sent>> {
    let seq = t
        .query_one(
            &duplicate_probe("$2", "$3", "$4"),
            params![app, gkey, random, since],
        )
        .await?
        .opt_i64(0);
    match seq {
        Some(seq) => Ok(Some(original(t, app, gkey, seq as u64).await?)),
        None => Ok(None),
    }
}

/// Everything send_group_msg checks before it writes, read in one statement once the group's
/// row is locked (see [`lock_group_row`]): the group's [`MsgHead`] and mute flag, the sender
/// (whether the account exists, its role and last send time if it is a member, when its mute
/// ends — mutes are kept apart from membership, so AVChatRoom senders, who are not tracked as
/// members, can be muted too) and the newest message with the same `Random` sent at or after
/// `since` (the five-minute duplicate window, group-messages.md §1.1).
struct SendContext {
    group: MsgHead,
    mute_all: bool,
    sender_exists: bool,
    role: Option<Role>,
    last_send_time: i64,
    mute_until: i64,
    duplicate_seq: Option<u64>,
}

/// Locks the group's row (PostgreSQL) in a statement of its own, before a send reads anything
/// else. Under READ COMMITTED a statement reads other tables as of its own start, even when it
/// waited for a row lock: had the lock been taken by the statement that also looks for a
/// repeated `Random`, sends of the same `Random` waiting on each other would each miss the
/// message the one before them stored, and store it again. A statement started after the
/// lock sees every send that held it before. SQLite's single writer already runs sends one at
/// a time, so there it is a no-op.
async fn lock_group_row(t: &mut impl Tx, app: AppId, group_id: &str) -> Result<()> {
    let lock = t.for_update();
    if !lock.is_empty() {
        let sql = format!("SELECT 1 FROM groups g WHERE g.app = $1 AND g.group_id = $2{lock}");
        t.query_opt(&sql, params![app, group_id]).await?;
    }
    Ok(())
}

async fn send_context(
    t: &mut impl Tx,
    app: AppId,
    group_id: &str,
    msg: &NewGroupMsg,
) -> Result<SendContext> {
    lock_group_row(t, app, group_id).await?;
    let sql = format!(
        "SELECT g.gkey, g.type, g.next_msg_seq, g.last_msg_time, g.mute_all,
             EXISTS (SELECT 1 FROM accounts WHERE app = $1 AND user_id = $3),
             m.role, m.last_send_time,
             (SELECT mute_until FROM group_mutes u
              WHERE u.app = $1 AND u.gkey = g.gkey AND u.user_id = $3),
             ({})
         FROM groups g
         LEFT JOIN group_members m ON m.app = $1 AND m.gkey = g.gkey AND m.user_id = $3
         WHERE g.app = $1 AND g.group_id = $2",
        duplicate_probe("g.gkey", "$4", "$5"),
    );
    let since = dedup_since(msg.time);
    let mut r = t
        .query_opt(&sql, params![app, group_id, &msg.from, msg.random, since])
        .await?
        .ok_or_else(|| not_found(group_id))?;
    let at = 5; // after the group's five columns
    Ok(SendContext {
        group: MsgHead {
            key: r.i64(0),
            ty: group_type(&r.take_str(1)),
            next_msg_seq: r.u64(2),
            last_msg_time: r.i64(3),
        },
        mute_all: r.bool(4),
        sender_exists: r.bool(at),
        role: r.opt_i64(at + 1).map(Role::from_db),
        last_send_time: r.opt_i64(at + 2).unwrap_or(0),
        mute_until: r.opt_i64(at + 3).unwrap_or(0),
        duplicate_seq: r.opt_i64(at + 4).map(|seq| seq as u64),
    })
}

fn not_member(account: &str, group_id: &str) -> Error {
    Error::new(
        ErrorCode::GroupPermissionDenied,
        format!("{account:?} is not a member of group {group_id:?}"),
    )
}

/// Every check comes before the first change: SQLite runs a send without a savepoint of its
/// own (`checked_write_op!`, `Undo::Batch` in sqlite/writer.rs), so a refusal after a write
/// would roll back the whole batch of sends it was committed with.
pub(crate) async fn send_message(
    t: &mut impl Tx,
    app: AppId,
    group_id: &str,
    send: &SendMsg,
) -> Result<Sent> {
    let msg = &send.msg;
    let now = msg.time;
    let SendContext {
        group: mut g,
        mute_all,
        sender_exists,
        role,
        last_send_time,
        mute_until,
        duplicate_seq,
    } = send_context(t, app, group_id, msg).await?;
    if role.is_none() {
        if !sender_exists {
            return Err(Error::new(
                ErrorCode::GroupAccountNotFound,
                format!("account {:?} does not exist", msg.from),
            )
            .into());
        }
        // AVChatRoom keeps no member list: anyone may send there.
        if g.ty != GroupType::AVChatRoom && !send.sender_is_admin {
            return Err(not_member(&msg.from, group_id).into());
        }
    }
    if mute_until > now {
        return Err(Error::new(
            ErrorCode::GroupSenderMuted,
            format!("{:?} is muted until {}", msg.from, mute_until),
        )
        .into());
    }
    let privileged = send.sender_is_admin || matches!(role, Some(Role::Owner | Role::Admin));
    if mute_all && !privileged {
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
            if find_member(t, app, g.key, to).await?.is_none() {
                return Err(Error::new(
                    ErrorCode::GroupInvalidParameter,
                    format!("To_Account {to:?} is not a member of group {group_id:?}"),
                )
                .into());
            }
        }
    }
    // A repeated `Random` answers the original message (AVChatRoom stores none to match).
    if let Some(seq) = duplicate_seq {
        return original(t, app, g.key, seq).await;
    }
    let seq = append_message(t, app, &mut g, msg).await?;
    // Times are in seconds: a member sending again within the same second changes nothing,
    // and skipping the write keeps its row's page out of the commit.
    if role.is_some() && last_send_time < now {
        t.execute(
            "UPDATE group_members SET last_send_time = $4 WHERE app = $1 AND gkey = $2 AND user_id = $3",
            params![app, g.key, &msg.from, now],
        )
        .await?;
    }
    Ok(Sent {
        seq,
        time: now,
        duplicate: false,
    })
}

pub(crate) async fn import_messages(
    t: &mut impl Tx,
    app: AppId,
    group_id: &str,
    msgs: &[ImportMsg],
    now: i64,
) -> Result<Vec<Imported>> {
    let g = lock_group(t, app, group_id).await?;
    g.ty.check(GroupOp::ImportMsg)?;
    let mut head = MsgHead::of(&g);
    let mut out = Vec::with_capacity(msgs.len());
    let mut stored = false;
    for m in msgs {
        // A repeated Random first, so that retrying an import that did commit answers the
        // original seqs instead of failing the time rule.
        if let Some(r) = m.random {
            if let Some(original) =
                find_duplicate(t, app, g.key, r, dedup_since(m.send_time)).await?
            {
                out.push(Imported::Stored(original));
                continue;
            }
        }
        if !import_time_ok(m.send_time, g.create_time, head.last_msg_time, now) {
            out.push(Imported::Refused(ErrorCode::GroupInvalidParameter));
            continue;
        }
        let msg = NewGroupMsg {
            from: m.from.clone(),
            random: m.random.unwrap_or_else(crate::messages::rand_u32),
            time: m.send_time,
            priority: DEFAULT_PRIORITY,
            state: SlotState::Normal,
            is_system: false,
            body: m.body.clone(),
            cloud_custom_data: m.cloud_custom_data.clone(),
            to_accounts: Vec::new(),
        };
        let seq = append_message(t, app, &mut head, &msg).await?;
        stored = true;
        out.push(Imported::Stored(Sent {
            seq,
            time: m.send_time,
            duplicate: false,
        }));
    }
    if stored {
        // Every member's unread count becomes 0 (§10): one write, whatever the member count.
        t.execute(
            "UPDATE groups SET read_floor = $2 WHERE gkey = $1",
            params![g.key, crate::groups::last_seq(head.next_msg_seq)],
        )
        .await?;
    }
    Ok(out)
}

/// The admin's page (group-messages.md §5), handed entry by entry to `sink`; returns
/// `IsFinished`. The rows are read in place, never copied into owned cells, messages and
/// entries first: that took 6% off a page's instructions (BENCHMARKS.md).
pub(crate) async fn history(
    t: &mut impl Tx,
    app: AppId,
    group_id: &str,
    q: HistoryQuery,
    retention: Retention,
    sink: &mut dyn PageSink,
) -> Result<u8> {
    // Only what the page needs: reading the whole group row (ten strings) took a tenth of
    // the request's server time (BENCHMARKS.md).
    let mut g = t
        .query_opt(
            "SELECT gkey, type, next_msg_seq FROM groups WHERE app = $1 AND group_id = $2",
            params![app, group_id],
        )
        .await?
        .ok_or_else(|| not_found(group_id))?;
    let (key, last_seq) = (g.i64(0), crate::groups::last_seq(g.u64(2)));
    group_type(&g.take_str(1)).check(GroupOp::PullHistory)?;
    let Some(range) = plan_page(q.req_seq, q.req_number, last_seq) else {
        return Ok(1);
    };
    let mut page = AdminPage::new(range, q.with_recalled, retention, sink);
    t.query_each(
        "SELECT seq, sender, random, time, priority, state, is_system, body, cloud_custom_data \
         FROM group_messages WHERE app = $1 AND gkey = $2 AND seq BETWEEN $3 AND $4 \
         ORDER BY seq DESC",
        params![app, key, range.lo, range.hi],
        |r| {
            let (from, body, custom) = (r.str(1)?, r.str(7)?, r.opt_str(8)?);
            page.row(StoredRef {
                seq: r.i64(0)?.max(0) as u64,
                from: &from,
                random: r.i64(2)? as u32,
                time: r.i64(3)?,
                priority: r.i64(4)? as u8,
                state: SlotState::from_db(r.i64(5)?),
                is_system: r.i64(6)? != 0,
                body: &body,
                cloud_custom_data: custom.as_deref(),
            });
            Ok(())
        },
    )
    .await?;
    Ok(page.finish())
}

pub(crate) async fn member_history(
    t: &mut impl Tx,
    app: AppId,
    group_id: &str,
    member: &str,
    req_seq: Option<u64>,
    limit: u64,
    retention: Retention,
) -> Result<MemberPage> {
    let g = load_group(t, app, group_id).await?;
    g.ty.check(GroupOp::PullHistory)?;
    let m = find_member(t, app, g.key, member)
        .await?
        .ok_or_else(|| not_member(member, group_id))?;
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
    let rows = read_range(t, app, g.key, range.lo, range.hi).await?;
    Ok(view.page(range, rows))
}

pub(crate) async fn recall_messages(
    t: &mut impl Tx,
    app: AppId,
    group_id: &str,
    seqs: &[u64],
    retention: Retention,
) -> Result<Vec<Result<(), ErrorCode>>> {
    let g = lock_group(t, app, group_id).await?;
    let mut out = Vec::with_capacity(seqs.len());
    for &seq in seqs {
        let result = if !g.ty.stores_history() {
            // AVChatRoom: a recall only tells the online members; any allocated seq may be named.
            if (1..=g.last_seq()).contains(&seq) {
                Ok(())
            } else {
                Err(ErrorCode::RecallMsgNotFound)
            }
        } else {
            match read_one(t, app, g.key, seq).await? {
                Some(m) if retention.expired(m.time) => Err(ErrorCode::RecallMsgNotFound),
                Some(m) if m.state == SlotState::Recalled => Ok(()),
                Some(m) if m.state == SlotState::Normal => {
                    t.execute(
                        "UPDATE group_messages SET state = $4 WHERE app = $1 AND gkey = $2 AND seq = $3",
                        params![app, g.key, seq, SlotState::Recalled.to_db()],
                    )
                    .await?;
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

pub(crate) async fn delete_by_sender(
    t: &mut impl Tx,
    app: AppId,
    group_id: &str,
    sender: &str,
) -> Result<u64> {
    let g = lock_group(t, app, group_id).await?;
    if !g.ty.check(GroupOp::DeleteMsgBySender)? {
        return Ok(0);
    }
    let lo = g.last_seq().saturating_sub(DELETE_BY_SENDER_SCAN) + 1;
    t.execute(
        "UPDATE group_messages SET state = $5
         WHERE app = $1 AND gkey = $2 AND seq >= $3 AND sender = $4 AND state = $6",
        params![
            app,
            g.key,
            lo,
            sender,
            SlotState::Recalled.to_db(),
            SlotState::Normal.to_db()
        ],
    )
    .await
}

#[allow(clippy::too_many_arguments)]
pub(crate) async fn modify_message(
    t: &mut impl Tx,
    app: AppId,
    group_id: &str,
    seq: u64,
    body: Option<&str>,
    cloud_custom_data: Option<&str>,
    max_bytes: usize,
    retention: Retention,
) -> Result<()> {
    let g = lock_group(t, app, group_id).await?;
    g.ty.check(GroupOp::ModifyMsg)?;
    let m = read_one(t, app, g.key, seq)
        .await?
        .filter(|m| m.state == SlotState::Normal && !retention.expired(m.time))
        .ok_or_else(|| {
            Error::new(
                ErrorCode::MsgNotFound,
                format!("group {group_id:?} has no message with MsgSeq {seq}"),
            )
        })?;
    let body = body.unwrap_or(&m.body);
    let cloud_custom_data = cloud_custom_data.or(m.cloud_custom_data.as_deref());
    let size = msg_bytes(body, cloud_custom_data);
    if size > max_bytes {
        return Err(Error::new(
            ErrorCode::MsgTooLong,
            format!("the modified message is {size} bytes; at most {max_bytes} are allowed"),
        )
        .into());
    }
    t.execute(
        "UPDATE group_messages SET body = $4, cloud_custom_data = $5
         WHERE app = $1 AND gkey = $2 AND seq = $3",
        params![app, g.key, seq, body, cloud_custom_data],
    )
    .await?;
    Ok(())
}

/// Raises the cleared watermark: one write to the group's row, whatever the history's size
/// (DESIGN.md invariant 4).
pub(crate) async fn clear_history(
    t: &mut impl Tx,
    app: AppId,
    group_id: &str,
    upto: Option<u64>,
) -> Result<u64> {
    let g = lock_group(t, app, group_id).await?;
    if !g.ty.check(GroupOp::ClearHistory)? {
        return Ok(g.cleared_upto);
    }
    let watermark = cleared_watermark(g.cleared_upto, upto, g.last_seq());
    if watermark != g.cleared_upto {
        t.execute(
            "UPDATE groups SET cleared_upto = $2 WHERE gkey = $1",
            params![g.key, watermark],
        )
        .await?;
    }
    Ok(watermark)
}

/// 10019 for an account that does not exist, else 10007: not a member.
async fn missing_member(
    t: &mut impl Tx,
    app: AppId,
    group_id: &str,
    member: &str,
) -> crate::StoreError {
    match require_accounts(t, app, &[member]).await {
        Err(e) => e,
        Ok(()) => not_member(member, group_id).into(),
    }
}

pub(crate) async fn set_unread(
    t: &mut impl Tx,
    app: AppId,
    group_id: &str,
    member: &str,
    unread: u64,
) -> Result<()> {
    let g = lock_group(t, app, group_id).await?;
    if !g.ty.check(GroupOp::SetUnread)? {
        return Ok(());
    }
    let n = t
        .execute(
            "UPDATE group_members SET read_seq = $4, read_floor_seen = $5
             WHERE app = $1 AND gkey = $2 AND user_id = $3",
            params![
                app,
                g.key,
                member,
                read_seq_for_unread(g.last_seq(), unread),
                g.read_floor
            ],
        )
        .await?;
    if n == 0 {
        return Err(missing_member(t, app, group_id, member).await);
    }
    Ok(())
}

pub(crate) async fn unread_count(
    t: &mut impl Tx,
    app: AppId,
    group_id: &str,
    member: &str,
) -> Result<u64> {
    let g = load_group(t, app, group_id).await?;
    match find_member(t, app, g.key, member).await? {
        Some(m) => Ok(g.unread(&m)),
        None => Err(missing_member(t, app, group_id, member).await),
    }
}

/// Deletes at most `max_rows` rows of one destroyed group; dequeues it once nothing is left.
pub(crate) async fn purge_step(t: &mut impl Tx, max_rows: u64) -> Result<u64> {
    let Some(row) = t
        .query_opt(
            "SELECT gkey, app FROM purge_queue ORDER BY gkey LIMIT 1",
            params![],
        )
        .await?
    else {
        return Ok(0);
    };
    let (gkey, app) = (row.i64(0), row.i64(1));
    let mut deleted = 0u64;
    // Each statement deletes the first rows of the group's key range, up to the budget left.
    let statements = [
        "DELETE FROM group_messages WHERE app = $1 AND gkey = $2 AND seq IN
             (SELECT seq FROM group_messages WHERE app = $1 AND gkey = $2 ORDER BY seq LIMIT $3)",
        "DELETE FROM group_members WHERE app = $1 AND gkey = $2 AND user_id IN
             (SELECT user_id FROM group_members WHERE app = $1 AND gkey = $2 ORDER BY user_id LIMIT $3)",
        "DELETE FROM group_mutes WHERE app = $1 AND gkey = $2 AND user_id IN
             (SELECT user_id FROM group_mutes WHERE app = $1 AND gkey = $2 ORDER BY user_id LIMIT $3)",
    ];
    for sql in statements {
        let budget = max_rows - deleted;
        if budget == 0 {
            return Ok(deleted);
        }
        deleted += t.execute(sql, params![app, gkey, budget]).await?;
    }
    if deleted < max_rows {
        deleted += t
            .execute("DELETE FROM purge_queue WHERE gkey = $1", params![gkey])
            .await?;
    }
    Ok(deleted)
}

/// The sweeper's position: groups with a key above it are still to be swept in this pass.
const SWEEP_CURSOR: &str = "sweep_gkey";
/// Groups probed per step at most, so a step stays short even when nothing is expired.
const SWEEP_GROUPS_PER_STEP: u64 = 64;

pub(crate) async fn expire_step(
    t: &mut impl Tx,
    policy: &RetentionPolicy,
    now: i64,
    max_rows: u64,
) -> Result<SweepStep> {
    let cursor = t
        .query_opt(
            "SELECT value FROM meta WHERE key = $1",
            params![SWEEP_CURSOR],
        )
        .await?
        .map_or(0, |r| r.i64(0));
    let groups: Vec<(i64, AppId)> = t
        .query(
            "SELECT gkey, app FROM groups WHERE gkey > $1 ORDER BY gkey LIMIT $2",
            params![cursor, SWEEP_GROUPS_PER_STEP],
        )
        .await?
        .into_iter()
        .map(|r| (r.i64(0), r.u64(1)))
        .collect();
    let mut step = SweepStep {
        deleted: 0,
        pass_done: (groups.len() as u64) < SWEEP_GROUPS_PER_STEP,
    };
    let mut next_cursor = if step.pass_done {
        0
    } else {
        groups.last().map_or(0, |g| g.0)
    };
    for (gkey, app) in groups {
        let days = policy.get(&app).copied().unwrap_or(0);
        let Some(cutoff) = (Retention { days, now }).cutoff() else {
            continue;
        };
        // One primary-key probe decides most groups: nothing to do unless the oldest row expired.
        let oldest = t
            .query_opt(
                "SELECT time FROM group_messages WHERE app = $1 AND gkey = $2 ORDER BY seq LIMIT 1",
                params![app, gkey],
            )
            .await?
            .map(|r| r.i64(0));
        if oldest.is_none_or(|time| time >= cutoff) {
            continue;
        }
        let budget = max_rows - step.deleted;
        // The expired rows among the group's oldest `budget` rows; with times non-decreasing in
        // seq these are exactly its oldest expired rows.
        step.deleted += t
            .execute(
                "DELETE FROM group_messages WHERE app = $1 AND gkey = $2 AND time < $4 AND seq IN
                     (SELECT seq FROM group_messages WHERE app = $1 AND gkey = $2
                      ORDER BY seq LIMIT $3)",
                params![app, gkey, budget, cutoff],
            )
            .await?;
        if step.deleted >= max_rows {
            // This group may have more: resume with it.
            next_cursor = gkey - 1;
            step.pass_done = false;
            break;
        }
    }
    t.execute(
        "INSERT INTO meta (key, value) VALUES ($1, $2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        params![SWEEP_CURSOR, next_cursor],
    )
    .await?;
    Ok(step)
}
