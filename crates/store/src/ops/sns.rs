//! Relationship operations: friend entries, friend lists, pending requests and blocklists.
//! spec: relationships.md; the rules are `timber_core::sns`'s.
//!
//! Every batch write is one [`SnsOp`]: `check` locks the accounts of everyone it names
//! (PostgreSQL, in one global order, so that two nodes never both count a user's friends
//! before either writes), loads the [`Facts`] and calls the core decision; `apply` makes the
//! decided [`SnsWrite`]s and moves the sequences. A page of friend_get is one range of
//! `sns_friends_by_time`; nothing here reads per friend.

use super::{ReadOp, WriteOp};
use crate::sql::{params, ReadTx, Row, RowRef, WriteTx};
use crate::{DbError, StoreError};
use serde_json::Value;
use std::collections::BTreeMap;
use timber_core::callback::{self as cb, Event};
use timber_core::profile::{ProfileItem, TagValue};
use timber_core::sns::{
    decide_block_add, decide_block_delete, decide_follow_add, decide_follow_delete,
    decide_friend_add, decide_friend_delete, decide_friend_delete_all, decide_friend_update,
    decide_list_add, decide_list_delete, AddGates, AddType, AdminForbid, AllowType, Decided, Facts,
    FollowFacts, FriendAdd, FriendEntry, OwnerFacts, PeerFacts, Seqs, SnsWrite, UpdateItem,
};
use timber_core::{AppId, Error, ErrorCode};

/// Columns read into a [`FriendEntry`] by [`entry_at`], after the friend's UserID.
pub(super) const ENTRY_COLUMNS: &str =
    "add_time, add_source, add_wording, remark, remark_time, groups, custom";

pub(super) fn entry_at(r: &mut Row, at: usize) -> FriendEntry {
    FriendEntry {
        add_time: r.i64(at),
        add_source: r.take_str(at + 1),
        add_wording: r.take_str(at + 2),
        remark: r.take_str(at + 3),
        remark_time: r.i64(at + 4),
        groups: FriendEntry::parse_groups(&r.take_str(at + 5)),
        custom: FriendEntry::parse_custom(&r.take_str(at + 6)),
    }
}

fn no_account(user: &str) -> StoreError {
    Error::new(
        ErrorCode::SnsAccountNotFound,
        format!("Err_Sns_Invalid_Account: {user} is not an imported account"),
    )
    .into()
}

/// THE one place the store reads the profile tags a friend request depends on
/// (`Tag_Profile_IM_AllowType`, `Tag_Profile_IM_AdminForbidType`; relationships.md §0.5),
/// from the profile table portrait_set writes. A tag never set reads as its default.
pub(crate) async fn add_gates(
    r: &mut impl ReadTx,
    app: AppId,
    user: &str,
) -> Result<AddGates, DbError> {
    let rows = r
        .query(
            "SELECT tag, str_value FROM profiles WHERE app = $1 AND user_id = $2
             AND tag IN ('Tag_Profile_IM_AllowType', 'Tag_Profile_IM_AdminForbidType')",
            params![app, user],
        )
        .await?;
    let mut g = AddGates::default();
    for mut row in rows {
        let tag = row.take_str(0);
        let value = row.take_opt_str(1).unwrap_or_default();
        if tag == ALLOW_TYPE {
            g.allow = AllowType::parse(&value).unwrap_or(g.allow);
        } else {
            g.forbid = AdminForbid::parse(&value).unwrap_or(g.forbid);
        }
    }
    Ok(g)
}

const ALLOW_TYPE: &str = "Tag_Profile_IM_AllowType";
const ADMIN_FORBID_TYPE: &str = "Tag_Profile_IM_AdminForbidType";

/// Stores the two profile tags [`add_gates`] reads, as portrait_set would.
pub(crate) async fn write_add_gates(
    w: &mut impl WriteTx,
    app: AppId,
    user: &str,
    gates: AddGates,
) -> Result<(), DbError> {
    let items = [
        ProfileItem::new(ALLOW_TYPE, TagValue::Str(gates.allow.as_str().to_owned())),
        ProfileItem::new(
            ADMIN_FORBID_TYPE,
            TagValue::Str(gates.forbid.as_str().to_owned()),
        ),
    ];
    super::profiles::write_items(w, app, user, &items).await
}

/// THE one place relationship commands read profile data (friend_get_list's `TagList`,
/// follow_get's `ProfileItem`): the tags of `user` that are set, `{Tag: Value}`, from the
/// profile table.
pub(crate) async fn profile_tags(
    r: &mut impl ReadTx,
    app: AppId,
    user: &str,
) -> Result<Vec<(String, Value)>, DbError> {
    let items = super::profiles::read_profile(r, app, user).await?;
    Ok(items
        .unwrap_or_default()
        .into_iter()
        .filter(|i| !matches!(&i.value, TagValue::Str(s) if s.is_empty()))
        .map(|i| {
            let value = match i.value {
                TagValue::U32(v) => Value::from(v),
                TagValue::Str(s) => Value::from(s),
            };
            (i.tag, value)
        })
        .collect())
}

/// On PostgreSQL, locks the account rows of `users` in UserID order (one order for every
/// relationship write, so they cannot deadlock): a user's relationship state changes only
/// under its account's lock. A no-op on SQLite, whose one writer already runs writes in turn.
pub(super) async fn lock_users(
    r: &mut impl ReadTx,
    app: AppId,
    users: &[&str],
) -> Result<(), DbError> {
    let for_update = r.for_update();
    if for_update.is_empty() {
        return Ok(());
    }
    let mut sorted: Vec<&str> = users.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let sql = format!("SELECT 1 FROM accounts g WHERE g.app = $1 AND g.user_id = $2{for_update}");
    for u in sorted {
        r.query_opt(&sql, params![app, u]).await?;
    }
    Ok(())
}

/// Whether any account could have the UserID `id`: one that cannot (a NUL, which PostgreSQL
/// cannot even take as a parameter) is not looked up at all.
pub(super) fn could_exist(id: &str) -> bool {
    timber_core::account::validate_user_id(id).is_ok()
}

/// The owner's facts; 30003 when it is not an account.
async fn load_owner(r: &mut impl ReadTx, app: AppId, user: &str) -> Result<OwnerFacts, StoreError> {
    let row = r
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM accounts WHERE app = $1 AND user_id = $2),
                    u.friend_count,
                    (SELECT count(*) FROM sns_blocks WHERE app = $1 AND owner = $2),
                    u.std_seq, u.custom_seq, u.list_seq, u.block_seq
             FROM (SELECT 1 AS one) o
             LEFT JOIN sns_users u ON u.app = $1 AND u.user_id = $2",
            params![app, user],
        )
        .await?;
    if !row.bool(0) {
        return Err(no_account(user));
    }
    let lists = r
        .query(
            "SELECT name, ord FROM sns_lists WHERE app = $1 AND owner = $2 ORDER BY ord, name",
            params![app, user],
        )
        .await?;
    let next_list_ord = lists.iter().map(|l| l.u64(1) + 1).max().unwrap_or(1);
    Ok(OwnerFacts {
        user: user.to_owned(),
        friend_count: row.u64(1) as usize,
        block_count: row.u64(2) as usize,
        seqs: seqs_at(&row, 3),
        lists: lists.into_iter().map(|mut l| l.take_str(0)).collect(),
        next_list_ord,
        gates: add_gates(r, app, user).await?,
    })
}

fn seqs_at(row: &Row, at: usize) -> Seqs {
    Seqs {
        standard: row.u64(at),
        custom: row.u64(at + 1),
        lists: row.u64(at + 2),
        blocks: row.u64(at + 3),
    }
}

/// A's entry about B, if any.
async fn entry(
    r: &mut impl ReadTx,
    app: AppId,
    owner: &str,
    friend: &str,
) -> Result<Option<FriendEntry>, DbError> {
    let sql = format!(
        "SELECT {ENTRY_COLUMNS} FROM sns_friends WHERE app = $1 AND owner = $2 AND friend = $3"
    );
    let row = r.query_opt(&sql, params![app, owner, friend]).await?;
    Ok(row.map(|mut row| entry_at(&mut row, 0)))
}

/// What one target B is to A.
async fn load_peer(
    r: &mut impl ReadTx,
    app: AppId,
    owner: &str,
    to: &str,
) -> Result<PeerFacts, DbError> {
    if !could_exist(to) {
        return Ok(PeerFacts::default());
    }
    let row = r
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM accounts WHERE app = $1 AND user_id = $3),
                    EXISTS (SELECT 1 FROM sns_friends WHERE app = $1 AND owner = $3 AND friend = $2),
                    EXISTS (SELECT 1 FROM sns_blocks WHERE app = $1 AND owner = $2 AND blocked = $3),
                    EXISTS (SELECT 1 FROM sns_blocks WHERE app = $1 AND owner = $3 AND blocked = $2),
                    (SELECT friend_count FROM sns_users WHERE app = $1 AND user_id = $3),
                    (SELECT count(*) FROM sns_pending WHERE app = $1 AND target = $3),
                    EXISTS (SELECT 1 FROM sns_pending WHERE app = $1 AND requester = $2 AND target = $3)",
            params![app, owner, to],
        )
        .await?;
    if !row.bool(0) {
        return Ok(PeerFacts::default());
    }
    let back = r
        .query_opt(
            "SELECT add_source, add_wording, remark FROM sns_pending
             WHERE app = $1 AND requester = $2 AND target = $3",
            params![app, to, owner],
        )
        .await?;
    Ok(PeerFacts {
        exists: true,
        mine: entry(r, app, owner, to).await?,
        theirs: row.bool(1),
        i_block: row.bool(2),
        blocks_me: row.bool(3),
        friend_count: row.u64(4) as usize,
        pending_in: row.u64(5) as usize,
        pending_out: row.bool(6),
        pending_back: back.map(|mut b| FriendEntry {
            add_source: b.take_str(0),
            add_wording: b.take_str(1),
            remark: b.take_str(2),
            ..FriendEntry::default()
        }),
        gates: add_gates(r, app, to).await?,
    })
}

/// The facts of `owner` and every distinct target, the accounts locked first.
async fn load_facts(
    r: &mut impl ReadTx,
    app: AppId,
    owner: &str,
    targets: &[&str],
) -> Result<Facts, StoreError> {
    let mut all = targets.to_vec();
    all.push(owner);
    lock_users(r, app, &all).await?;
    let mut facts = Facts {
        owner: load_owner(r, app, owner).await?,
        peers: Default::default(),
    };
    for to in targets {
        if to.is_empty() || *to == owner || facts.peers.contains_key(*to) {
            continue;
        }
        let peer = load_peer(r, app, owner, to).await?;
        facts.peers.insert((*to).to_owned(), peer);
    }
    Ok(facts)
}

/// Makes the decided writes and moves the sequences.
pub(super) async fn apply_decided(
    w: &mut impl WriteTx,
    app: AppId,
    d: &Decided,
) -> Result<(), DbError> {
    let mut counts: BTreeMap<&str, i64> = BTreeMap::new();
    for write in &d.writes {
        match write {
            SnsWrite::InsertFriend { owner, .. } => *counts.entry(owner).or_default() += 1,
            SnsWrite::DeleteFriend { owner, .. } => *counts.entry(owner).or_default() -= 1,
            _ => {}
        }
        apply_write(w, app, write).await?;
    }
    for (user, by) in counts {
        count_friends(w, app, user, by).await?;
    }
    for (user, by) in &d.bumps {
        bump(w, app, user, *by).await?;
    }
    Ok(())
}

/// Moves `user`'s kept friend count (`sns_users.friend_count`, read by every page and
/// every limit check instead of a count over the entries) by `by`.
async fn count_friends(
    w: &mut impl WriteTx,
    app: AppId,
    user: &str,
    by: i64,
) -> Result<(), DbError> {
    if by == 0 {
        return Ok(());
    }
    w.execute(
        "INSERT INTO sns_users (app, user_id, friend_count) VALUES ($1, $2, $3)
         ON CONFLICT (app, user_id) DO UPDATE SET
             friend_count = sns_users.friend_count + excluded.friend_count",
        params![app, user, by],
    )
    .await?;
    Ok(())
}

/// Lowers by one the kept friend count of every user with an entry about `user` that
/// `and_owner` (an SQL condition on `owner`, or empty) selects: their entries are about to go.
async fn uncount_holders(
    w: &mut impl WriteTx,
    app: AppId,
    user: &str,
    and_owner: &str,
) -> Result<(), DbError> {
    w.execute(
        &format!(
            "UPDATE sns_users SET friend_count = friend_count - 1
             WHERE app = $1 AND user_id IN (SELECT owner FROM sns_friends
                                            WHERE app = $1 AND friend = $2{and_owner})"
        ),
        params![app, user],
    )
    .await?;
    Ok(())
}

async fn bump(w: &mut impl WriteTx, app: AppId, user: &str, by: Seqs) -> Result<(), DbError> {
    if by == Seqs::default() {
        return Ok(());
    }
    w.execute(
        "INSERT INTO sns_users (app, user_id, std_seq, custom_seq, list_seq, block_seq)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (app, user_id) DO UPDATE SET
             std_seq = sns_users.std_seq + excluded.std_seq,
             custom_seq = sns_users.custom_seq + excluded.custom_seq,
             list_seq = sns_users.list_seq + excluded.list_seq,
             block_seq = sns_users.block_seq + excluded.block_seq",
        params![app, user, by.standard, by.custom, by.lists, by.blocks],
    )
    .await?;
    Ok(())
}

/// Raises the standard sequence of every user with an entry about `user` (their entries
/// are about to go).
async fn bump_holders(w: &mut impl WriteTx, app: AppId, user: &str) -> Result<(), DbError> {
    w.execute(
        "INSERT INTO sns_users (app, user_id, std_seq)
         SELECT app, owner, 1 FROM sns_friends WHERE app = $1 AND friend = $2
         ON CONFLICT (app, user_id) DO UPDATE SET std_seq = sns_users.std_seq + 1",
        params![app, user],
    )
    .await?;
    Ok(())
}

/// With [`uncount_holders`] and the two-way delete_all: only the owners that are themselves
/// friends of `$2`.
const MY_FRIENDS: &str =
    " AND owner IN (SELECT friend FROM sns_friends WHERE app = $1 AND owner = $2)";

async fn apply_write(w: &mut impl WriteTx, app: AppId, write: &SnsWrite) -> Result<(), DbError> {
    match write {
        SnsWrite::InsertFriend {
            owner,
            friend,
            entry,
        } => {
            w.execute(
                "INSERT INTO sns_friends (app, owner, friend, add_time, add_source, add_wording,
                     remark, remark_time, groups, custom)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                params![
                    app,
                    owner,
                    friend,
                    entry.add_time,
                    &entry.add_source,
                    &entry.add_wording,
                    &entry.remark,
                    entry.remark_time,
                    &entry.groups_json(),
                    &entry.custom_json()
                ],
            )
            .await?;
        }
        SnsWrite::UpdateFriend {
            owner,
            friend,
            entry,
        } => {
            w.execute(
                "UPDATE sns_friends SET remark = $4, remark_time = $5, groups = $6, custom = $7
                 WHERE app = $1 AND owner = $2 AND friend = $3",
                params![
                    app,
                    owner,
                    friend,
                    &entry.remark,
                    entry.remark_time,
                    &entry.groups_json(),
                    &entry.custom_json()
                ],
            )
            .await?;
        }
        SnsWrite::DeleteFriend { owner, friend } => {
            w.execute(
                "DELETE FROM sns_friends WHERE app = $1 AND owner = $2 AND friend = $3",
                params![app, owner, friend],
            )
            .await?;
        }
        SnsWrite::DeleteAllFriends { owner, both } => {
            if *both {
                bump_holders(w, app, owner).await?;
                uncount_holders(w, app, owner, MY_FRIENDS).await?;
                w.execute(
                    &format!("DELETE FROM sns_friends WHERE app = $1 AND friend = $2{MY_FRIENDS}"),
                    params![app, owner],
                )
                .await?;
            }
            w.execute(
                "DELETE FROM sns_friends WHERE app = $1 AND owner = $2",
                params![app, owner],
            )
            .await?;
            w.execute(
                "UPDATE sns_users SET friend_count = 0 WHERE app = $1 AND user_id = $2",
                params![app, owner],
            )
            .await?;
        }
        SnsWrite::InsertPending {
            requester,
            target,
            time,
            entry,
        } => {
            w.execute(
                "INSERT INTO sns_pending (app, requester, target, time, add_source, add_wording, remark)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
                params![
                    app,
                    requester,
                    target,
                    *time,
                    &entry.add_source,
                    &entry.add_wording,
                    &entry.remark
                ],
            )
            .await?;
        }
        SnsWrite::DeletePending { requester, target } => {
            w.execute(
                "DELETE FROM sns_pending WHERE app = $1 AND requester = $2 AND target = $3",
                params![app, requester, target],
            )
            .await?;
        }
        SnsWrite::InsertBlock {
            owner,
            blocked,
            time,
        } => {
            w.execute(
                "INSERT INTO sns_blocks (app, owner, blocked, time) VALUES ($1, $2, $3, $4)",
                params![app, owner, blocked, *time],
            )
            .await?;
        }
        SnsWrite::DeleteBlock { owner, blocked } => {
            w.execute(
                "DELETE FROM sns_blocks WHERE app = $1 AND owner = $2 AND blocked = $3",
                params![app, owner, blocked],
            )
            .await?;
        }
        SnsWrite::InsertList { owner, name, ord } => {
            w.execute(
                "INSERT INTO sns_lists (app, owner, name, ord) VALUES ($1, $2, $3, $4)",
                params![app, owner, name, *ord],
            )
            .await?;
        }
        SnsWrite::DeleteList { owner, name } => {
            w.execute(
                "DELETE FROM sns_lists WHERE app = $1 AND owner = $2 AND name = $3",
                params![app, owner, name],
            )
            .await?;
        }
        SnsWrite::InsertFollow {
            follower,
            followee,
            time,
        } => {
            w.execute(
                "INSERT INTO follows (app, follower, followee, time) VALUES ($1, $2, $3, $4)",
                params![app, follower, followee, *time],
            )
            .await?;
        }
        SnsWrite::DeleteFollow { follower, followee } => {
            w.execute(
                "DELETE FROM follows WHERE app = $1 AND follower = $2 AND followee = $3",
                params![app, follower, followee],
            )
            .await?;
        }
    }
    Ok(())
}

/// A deleted account's relationships go, and every entry, block, request, list membership
/// and follow edge of other users that points at it (relationships.md §25, Deleted
/// accounts). Those users' standard sequences move; no callback fires.
pub(crate) async fn forget_user(
    w: &mut impl WriteTx,
    app: AppId,
    user: &str,
) -> Result<(), DbError> {
    bump_holders(w, app, user).await?;
    uncount_holders(w, app, user, "").await?;
    for sql in [
        "DELETE FROM sns_friends WHERE app = $1 AND (owner = $2 OR friend = $2)",
        "DELETE FROM sns_lists WHERE app = $1 AND owner = $2",
        "DELETE FROM sns_pending WHERE app = $1 AND (requester = $2 OR target = $2)",
        "DELETE FROM sns_blocks WHERE app = $1 AND (owner = $2 OR blocked = $2)",
        "DELETE FROM follows WHERE app = $1 AND (follower = $2 OR followee = $2)",
        "DELETE FROM sns_users WHERE app = $1 AND user_id = $2",
    ] {
        w.execute(sql, params![app, user]).await?;
    }
    Ok(())
}

/// Which relationship write an [`SnsOp`] makes.
pub(crate) enum SnsCommand {
    FriendAdd(FriendAdd),
    FriendImport(FriendAdd),
    FriendUpdate(Vec<UpdateItem>),
    FriendDelete {
        targets: Vec<String>,
        both: bool,
    },
    FriendDeleteAll {
        both: bool,
    },
    BlockAdd(Vec<String>),
    BlockDelete(Vec<String>),
    ListAdd {
        names: Vec<String>,
        members: Vec<String>,
    },
    ListDelete(Vec<String>),
    FollowAdd(Vec<String>),
    FollowDelete(Vec<String>),
}

/// Every relationship write: load → decide → apply in one transaction.
pub(crate) struct SnsOp {
    pub app: AppId,
    pub from: String,
    pub command: SnsCommand,
    pub now: i64,
}

/// What a relationship write answers: per item its outcome, and the requester's sequences
/// after it.
#[derive(Debug, Clone)]
pub struct SnsOutcome {
    pub items: Vec<(String, Result<(), Error>)>,
    pub seqs: Seqs,
}

impl SnsOp {
    fn targets(&self) -> Vec<&str> {
        fn strs(v: &[String]) -> Vec<&str> {
            v.iter().map(String::as_str).collect()
        }
        match &self.command {
            SnsCommand::FriendAdd(r) | SnsCommand::FriendImport(r) => {
                r.items.iter().map(|i| i.to.as_str()).collect()
            }
            SnsCommand::FriendUpdate(items) => items.iter().map(|i| i.to.as_str()).collect(),
            SnsCommand::FriendDelete { targets, .. } => strs(targets),
            SnsCommand::BlockAdd(t) | SnsCommand::BlockDelete(t) => strs(t),
            SnsCommand::ListAdd { members, .. } => strs(members),
            SnsCommand::FriendDeleteAll { .. }
            | SnsCommand::ListDelete(_)
            | SnsCommand::FollowAdd(_)
            | SnsCommand::FollowDelete(_) => Vec::new(),
        }
    }
}

impl WriteOp for SnsOp {
    type Plan = (Decided, Seqs);
    type Out = SnsOutcome;

    async fn check<R: ReadTx>(&self, r: &mut R) -> Result<(Decided, Seqs), StoreError> {
        let (app, now) = (self.app, self.now);
        if let SnsCommand::FollowAdd(t) | SnsCommand::FollowDelete(t) = &self.command {
            let facts = load_follow_facts(r, app, &self.from, t).await?;
            let d = match &self.command {
                SnsCommand::FollowAdd(t) => decide_follow_add(&facts, t, now),
                _ => decide_follow_delete(&facts, t),
            };
            return Ok((d, Seqs::default()));
        }
        let facts = load_facts(r, app, &self.from, &self.targets()).await?;
        let d = match &self.command {
            SnsCommand::FriendAdd(req) => decide_friend_add(&facts, req, false, now),
            SnsCommand::FriendImport(req) => decide_friend_add(&facts, req, true, now),
            SnsCommand::FriendUpdate(items) => decide_friend_update(&facts, items, now),
            SnsCommand::FriendDelete { targets, both } => {
                decide_friend_delete(&facts, targets, *both)
            }
            SnsCommand::FriendDeleteAll { both } => decide_friend_delete_all(&facts, *both),
            SnsCommand::BlockAdd(t) => decide_block_add(&facts, t, now),
            SnsCommand::BlockDelete(t) => decide_block_delete(&facts, t),
            SnsCommand::ListAdd { names, members } => decide_list_add(&facts, names, members)?,
            SnsCommand::ListDelete(names) => {
                let members = listed_entries(r, app, &self.from).await?;
                decide_list_delete(&facts, names, &members)?
            }
            SnsCommand::FollowAdd(_) | SnsCommand::FollowDelete(_) => unreachable!(),
        };
        Ok((d, facts.owner.seqs))
    }

    async fn apply<W: WriteTx>(
        &self,
        (d, before): (Decided, Seqs),
        w: &mut W,
    ) -> Result<SnsOutcome, DbError> {
        apply_decided(w, self.app, &d).await?;
        Ok(SnsOutcome {
            seqs: d.seqs_after(&self.from, before),
            items: d.items,
        })
    }

    /// friend_import, friend_update, friend_delete_all and the friend lists fire nothing
    /// (relationships.md §2, §5, §24).
    fn callbacks(&self) -> Option<(AppId, &'static [&'static str])> {
        let command = match &self.command {
            SnsCommand::FriendAdd(_) => &[cb::SNS_FRIEND_ADD],
            SnsCommand::FriendDelete { .. } => &[cb::SNS_FRIEND_DELETE],
            SnsCommand::BlockAdd(_) => &[cb::SNS_BLACKLIST_ADD],
            SnsCommand::BlockDelete(_) => &[cb::SNS_BLACKLIST_DELETE],
            SnsCommand::FollowAdd(_) => &[cb::FOLLOW_ADD],
            SnsCommand::FollowDelete(_) => &[cb::FOLLOW_DELETE],
            _ => return None,
        };
        Some((self.app, command))
    }

    /// One event for the items that succeeded; none when no item did (§24, inferred).
    async fn events<W: WriteTx>(
        &self,
        out: &SnsOutcome,
        _: &[&'static str],
        _: &mut W,
    ) -> Result<Vec<Event>, DbError> {
        let done: Vec<&str> = out
            .items
            .iter()
            .filter(|(_, r)| r.is_ok())
            .map(|(to, _)| to.as_str())
            .collect();
        if done.is_empty() {
            return Ok(Vec::new());
        }
        let from = self.from.as_str();
        let event = match &self.command {
            SnsCommand::FriendAdd(req) => {
                let both = req.add_type == AddType::Both;
                cb::friend_add_event(&req.admin, from, &done, both, req.force)
            }
            SnsCommand::FriendDelete { both, .. } => {
                cb::sns_pairs_event(cb::SNS_FRIEND_DELETE, &cb::pairs(from, &done, *both))
            }
            SnsCommand::BlockAdd(_) => {
                cb::sns_pairs_event(cb::SNS_BLACKLIST_ADD, &cb::pairs(from, &done, false))
            }
            SnsCommand::BlockDelete(_) => {
                cb::sns_pairs_event(cb::SNS_BLACKLIST_DELETE, &cb::pairs(from, &done, false))
            }
            SnsCommand::FollowAdd(_) => cb::follow_event(cb::FOLLOW_ADD, from, &done),
            SnsCommand::FollowDelete(_) => cb::follow_event(cb::FOLLOW_DELETE, from, &done),
            _ => return Ok(Vec::new()),
        };
        Ok(vec![event])
    }
}

/// The owner's entries that are in at least one list.
async fn listed_entries(
    r: &mut impl ReadTx,
    app: AppId,
    owner: &str,
) -> Result<Vec<(String, FriendEntry)>, DbError> {
    let sql = format!(
        "SELECT friend, {ENTRY_COLUMNS} FROM sns_friends
         WHERE app = $1 AND owner = $2 AND groups <> '[]'"
    );
    let rows = r.query(&sql, params![app, owner]).await?;
    Ok(rows
        .into_iter()
        .map(|mut row| (row.take_str(0), entry_at(&mut row, 1)))
        .collect())
}

/// The follower's facts (30003 when it is not an account) and each target's.
async fn load_follow_facts(
    r: &mut impl ReadTx,
    app: AppId,
    user: &str,
    targets: &[String],
) -> Result<FollowFacts, StoreError> {
    lock_users(r, app, &[user]).await?;
    let row = r
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM accounts WHERE app = $1 AND user_id = $2),
                    (SELECT count(*) FROM follows WHERE app = $1 AND follower = $2)",
            params![app, user],
        )
        .await?;
    if !row.bool(0) {
        return Err(no_account(user));
    }
    let mut facts = FollowFacts {
        user: user.to_owned(),
        following_count: row.u64(1) as usize,
        peers: Default::default(),
    };
    for to in targets {
        if facts.peers.contains_key(to) {
            continue;
        }
        if !could_exist(to) {
            facts.peers.insert(to.clone(), (false, false));
            continue;
        }
        let row = r
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM accounts WHERE app = $1 AND user_id = $3),
                        EXISTS (SELECT 1 FROM follows WHERE app = $1 AND follower = $2 AND followee = $3)",
                params![app, user, to],
            )
            .await?;
        facts.peers.insert(to.clone(), (row.bool(0), row.bool(1)));
    }
    Ok(facts)
}

/// Sets the two profile tags of a friend request (see [`add_gates`]).
pub(crate) struct SetAddGates {
    pub app: AppId,
    pub user: String,
    pub gates: AddGates,
}

impl WriteOp for SetAddGates {
    type Plan = ();
    type Out = ();

    async fn check<R: ReadTx>(&self, r: &mut R) -> Result<(), StoreError> {
        let exists = super::rows::account_exists(r, self.app, &self.user).await?;
        if !exists {
            return Err(no_account(&self.user));
        }
        Ok(())
    }

    async fn apply<W: WriteTx>(&self, (): (), w: &mut W) -> Result<(), DbError> {
        write_add_gates(w, self.app, &self.user, self.gates).await
    }
}

/// 30003 unless `user` is an account.
async fn require_owner(r: &mut impl ReadTx, app: AppId, user: &str) -> Result<(), StoreError> {
    if super::rows::account_exists(r, app, user).await? {
        Ok(())
    } else {
        Err(no_account(user))
    }
}

/// friend_check and black_list_check: per target whether it is an account and the two
/// directed facts (A's side first) of `table`.
pub(crate) struct CheckPairs {
    pub app: AppId,
    pub from: String,
    pub targets: Vec<String>,
    pub blocks: bool,
}

impl ReadOp for CheckPairs {
    type Out = Vec<(bool, bool, bool)>;

    async fn read<R: ReadTx>(&self, r: &mut R) -> Result<Self::Out, StoreError> {
        require_owner(r, self.app, &self.from).await?;
        let sql = if self.blocks {
            "SELECT EXISTS (SELECT 1 FROM accounts WHERE app = $1 AND user_id = $3),
                    EXISTS (SELECT 1 FROM sns_blocks WHERE app = $1 AND owner = $2 AND blocked = $3),
                    EXISTS (SELECT 1 FROM sns_blocks WHERE app = $1 AND owner = $3 AND blocked = $2)"
        } else {
            "SELECT EXISTS (SELECT 1 FROM accounts WHERE app = $1 AND user_id = $3),
                    EXISTS (SELECT 1 FROM sns_friends WHERE app = $1 AND owner = $2 AND friend = $3),
                    EXISTS (SELECT 1 FROM sns_friends WHERE app = $1 AND owner = $3 AND friend = $2)"
        };
        let mut out = Vec::with_capacity(self.targets.len());
        for to in &self.targets {
            if !could_exist(to) {
                out.push((false, false, false));
                continue;
            }
            let row = r.query_one(sql, params![self.app, &self.from, to]).await?;
            out.push((row.bool(0), row.bool(1), row.bool(2)));
        }
        Ok(out)
    }
}

/// One page of a user's friends (friend_get, friend_get_all), by `AddTime` then UserID.
#[derive(Debug, Clone, Default)]
pub struct FriendPage {
    pub friends: Vec<(String, FriendEntry)>,
    pub total: usize,
    pub seqs: Seqs,
}

pub(crate) struct Friends {
    pub app: AppId,
    pub from: String,
    pub start: usize,
    pub limit: usize,
}

impl ReadOp for Friends {
    type Out = FriendPage;

    async fn read<R: ReadTx>(&self, r: &mut R) -> Result<FriendPage, StoreError> {
        let head = r
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM accounts WHERE app = $1 AND user_id = $2),
                        u.friend_count, u.std_seq, u.custom_seq, u.list_seq, u.block_seq
                 FROM (SELECT 1 AS one) o
                 LEFT JOIN sns_users u ON u.app = $1 AND u.user_id = $2",
                params![self.app, &self.from],
            )
            .await?;
        if !head.bool(0) {
            return Err(no_account(&self.from));
        }
        let total = head.u64(1) as usize;
        let mut friends = Vec::new();
        if self.start < total && self.limit > 0 {
            let sql = format!(
                "SELECT friend, {ENTRY_COLUMNS} FROM sns_friends WHERE app = $1 AND owner = $2
                 ORDER BY add_time, friend LIMIT $3 OFFSET $4"
            );
            // Rows read in place: a page is up to 100 of them (BENCHMARKS.md, ledger:
            // *friend pages*).
            friends.reserve(self.limit.min(total - self.start));
            r.query_each(
                &sql,
                params![self.app, &self.from, self.limit as u64, self.start as u64],
                |row: &dyn RowRef| {
                    let entry = FriendEntry {
                        add_time: row.i64(1)?,
                        add_source: row.str(2)?.into_owned(),
                        add_wording: row.str(3)?.into_owned(),
                        remark: row.str(4)?.into_owned(),
                        remark_time: row.i64(5)?,
                        groups: FriendEntry::parse_groups(&row.str(6)?),
                        custom: FriendEntry::parse_custom(&row.str(7)?),
                    };
                    friends.push((row.str(0)?.into_owned(), entry));
                    Ok(())
                },
            )
            .await?;
        }
        Ok(FriendPage {
            friends,
            total,
            seqs: seqs_at(&head, 2),
        })
    }
}

/// friend_get_list: per target A's entry (None: not a friend) and, when `profile`, the
/// friend's set profile tags.
pub(crate) struct NamedFriends {
    pub app: AppId,
    pub from: String,
    pub targets: Vec<String>,
    pub profile: bool,
}

pub type NamedFriend = Option<(FriendEntry, Vec<(String, Value)>)>;

impl ReadOp for NamedFriends {
    type Out = Vec<NamedFriend>;

    async fn read<R: ReadTx>(&self, r: &mut R) -> Result<Self::Out, StoreError> {
        require_owner(r, self.app, &self.from).await?;
        let mut out = Vec::with_capacity(self.targets.len());
        for to in &self.targets {
            if !could_exist(to) {
                out.push(None);
                continue;
            }
            let e = entry(r, self.app, &self.from, to).await?;
            out.push(match e {
                None => None,
                Some(e) => {
                    let tags = if self.profile {
                        profile_tags(r, self.app, to).await?
                    } else {
                        Vec::new()
                    };
                    Some((e, tags))
                }
            });
        }
        Ok(out)
    }
}

/// One page of a blocklist, by the time of blocking then UserID.
#[derive(Debug, Clone, Default)]
pub struct BlockPage {
    pub blocked: Vec<(String, i64)>,
    pub total: usize,
    pub seq: u64,
}

pub(crate) struct Blocks {
    pub app: AppId,
    pub from: String,
    pub start: usize,
    pub limit: usize,
}

impl ReadOp for Blocks {
    type Out = BlockPage;

    async fn read<R: ReadTx>(&self, r: &mut R) -> Result<BlockPage, StoreError> {
        let head = r
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM accounts WHERE app = $1 AND user_id = $2),
                        (SELECT count(*) FROM sns_blocks WHERE app = $1 AND owner = $2),
                        (SELECT block_seq FROM sns_users WHERE app = $1 AND user_id = $2)",
                params![self.app, &self.from],
            )
            .await?;
        if !head.bool(0) {
            return Err(no_account(&self.from));
        }
        let rows = r
            .query(
                "SELECT blocked, time FROM sns_blocks WHERE app = $1 AND owner = $2
                 ORDER BY time, blocked LIMIT $3 OFFSET $4",
                params![self.app, &self.from, self.limit as u64, self.start as u64],
            )
            .await?;
        Ok(BlockPage {
            blocked: rows
                .into_iter()
                .map(|mut row| (row.take_str(0), row.i64(1)))
                .collect(),
            total: head.u64(1) as usize,
            seq: head.u64(2),
        })
    }
}

/// group_get: every list of the owner in creation order with its members, and the list
/// sequence.
pub(crate) struct Lists {
    pub app: AppId,
    pub from: String,
}

impl ReadOp for Lists {
    type Out = (Vec<(String, Vec<String>)>, u64);

    async fn read<R: ReadTx>(&self, r: &mut R) -> Result<Self::Out, StoreError> {
        let head = r
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM accounts WHERE app = $1 AND user_id = $2),
                        (SELECT list_seq FROM sns_users WHERE app = $1 AND user_id = $2)",
                params![self.app, &self.from],
            )
            .await?;
        if !head.bool(0) {
            return Err(no_account(&self.from));
        }
        let names = r
            .query(
                "SELECT name FROM sns_lists WHERE app = $1 AND owner = $2 ORDER BY ord, name",
                params![self.app, &self.from],
            )
            .await?;
        let mut lists: Vec<(String, Vec<String>)> = names
            .into_iter()
            .map(|mut n| (n.take_str(0), Vec::new()))
            .collect();
        let mut members: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (friend, e) in listed_entries(r, self.app, &self.from).await? {
            for g in e.groups {
                members.entry(g).or_default().push(friend.clone());
            }
        }
        for (name, m) in &mut lists {
            let mut got = members.remove(name).unwrap_or_default();
            got.sort();
            *m = got;
        }
        Ok((lists, head.u64(1)))
    }
}

/// The pending requests `user` sent and received, (requester, target): the debug view of
/// relationships.md §25 (no REST command reads them).
pub(crate) struct Pending {
    pub app: AppId,
    pub user: String,
}

impl ReadOp for Pending {
    type Out = Vec<(String, String)>;

    async fn read<R: ReadTx>(&self, r: &mut R) -> Result<Self::Out, StoreError> {
        let rows = r
            .query(
                "SELECT requester, target FROM sns_pending
                 WHERE app = $1 AND (requester = $2 OR target = $2) ORDER BY requester, target",
                params![self.app, &self.user],
            )
            .await?;
        Ok(rows
            .into_iter()
            .map(|mut row| (row.take_str(0), row.take_str(1)))
            .collect())
    }
}
