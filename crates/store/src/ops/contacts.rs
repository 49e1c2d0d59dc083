//! Recent-contact operations: the conversation list (get_list, delete, top) and the contact
//! book (conversation groups and marks). spec: recent-contacts.md; the rules are
//! `timber_core::contacts`'.
//!
//! The list is read, not kept: `ListContacts` reads the owner's C2C conversation rows (each
//! side's `last_time`), the groups the owner is a member of with their contact heads, and the
//! owner's own `contact_states` (pins, deletions), and `timber_core::contacts::assemble`
//! derives the list from them. So no send path writes anything for conversations but the
//! columns it already writes (`ops::append::move_head`, `ops::c2c::apply_write`). Leaving a
//! group (or its destruction) copies the leavers' contact heads into `departed_contacts`
//! ([`keep_departing`]), which the list reads beside the memberships.
//!
//! Every write first locks the owner's account row (PostgreSQL), so two writes of one
//! owner's contacts run one after the other and a cap checked by one cannot be crossed by
//! the other; the same read answers 50001.

use super::c2c::find_conv;
use super::{ReadOp, WriteOp};
use crate::sql::{params, ReadTx, Row, WriteTx};
use crate::{DbError, StoreError};
use std::collections::{BTreeMap, BTreeSet};
use timber_core::c2c::{Pair, Side};
use timber_core::contacts::{
    assemble, decide_top, deleted_c2c_marks, deleted_group_state, page, require_owner, BookChanges,
    ContactBook, ContactData, ContactGroup, ContactKey, GroupHead, Kind, ListFacts, ListPage,
    ListQuery, UserState,
};
use timber_core::message::Retention;
use timber_core::{AppId, Error};

/// 50001 unless `owner` exists; for a write (`lock`) on PostgreSQL also locks the account's
/// row.
async fn require_owner_row(
    r: &mut impl ReadTx,
    app: AppId,
    owner: &str,
    lock: bool,
) -> Result<(), StoreError> {
    let for_update = if lock { r.for_update() } else { "" };
    let sql = format!("SELECT 1 FROM accounts g WHERE g.app = $1 AND g.user_id = $2{for_update}");
    let exists = r.query_opt(&sql, params![app, owner]).await?.is_some();
    Ok(require_owner(exists, owner)?)
}

fn key_from(row: &mut Row, at: usize) -> Option<ContactKey> {
    Some(ContactKey {
        kind: Kind::from_code(row.i64(at))?,
        peer: row.take_str(at + 1),
    })
}

/// The owner's [`UserState`] rows.
async fn load_states(
    r: &mut impl ReadTx,
    app: AppId,
    owner: &str,
) -> Result<BTreeMap<ContactKey, UserState>, DbError> {
    let rows = r
        .query(
            "SELECT kind, peer, pinned_at, deleted_at, cleared_upto FROM contact_states
             WHERE app = $1 AND owner = $2",
            params![app, owner],
        )
        .await?;
    let mut out = BTreeMap::new();
    for mut row in rows {
        if let Some(key) = key_from(&mut row, 0) {
            let pinned = row.i64(2);
            out.insert(
                key,
                UserState {
                    pinned_at: (pinned > 0).then_some(pinned),
                    deleted_at: row.u64(3),
                    cleared_upto: row.u64(4),
                },
            );
        }
    }
    Ok(out)
}

/// Writes `key`'s state: the row is deleted when nothing is left to keep.
async fn write_state(
    w: &mut impl WriteTx,
    app: AppId,
    owner: &str,
    key: &ContactKey,
    s: &UserState,
) -> Result<(), DbError> {
    if s.is_default() {
        w.execute(
            "DELETE FROM contact_states WHERE app = $1 AND owner = $2 AND kind = $3 AND peer = $4",
            params![app, owner, key.kind.code(), &key.peer],
        )
        .await?;
    } else {
        w.execute(
            "INSERT INTO contact_states (app, owner, kind, peer, pinned_at, deleted_at, cleared_upto)
             VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (app, owner, kind, peer) DO UPDATE SET pinned_at = excluded.pinned_at,
                 deleted_at = excluded.deleted_at, cleared_upto = excluded.cleared_upto",
            params![
                app,
                owner,
                key.kind.code(),
                &key.peer,
                s.pinned_at.unwrap_or(0),
                s.deleted_at,
                s.cleared_upto
            ],
        )
        .await?;
    }
    Ok(())
}

/// The owner's contact-book items.
async fn load_items(
    r: &mut impl ReadTx,
    app: AppId,
    owner: &str,
) -> Result<BTreeMap<ContactKey, ContactData>, DbError> {
    let rows = r
        .query(
            "SELECT kind, peer, standard, custom, group_ids, updated FROM contact_items
             WHERE app = $1 AND owner = $2",
            params![app, owner],
        )
        .await?;
    let mut out = BTreeMap::new();
    for mut row in rows {
        if let Some(key) = key_from(&mut row, 0) {
            let groups = row
                .take_str(4)
                .split(',')
                .filter_map(|g| g.parse().ok())
                .collect();
            out.insert(
                key,
                ContactData {
                    // Stored as the 64 bits of an i64.
                    standard: row.i64(2) as u64,
                    custom: row.take_str(3),
                    groups,
                    updated: row.i64(5),
                },
            );
        }
    }
    Ok(out)
}

/// The owner's whole contact book.
async fn load_book(r: &mut impl ReadTx, app: AppId, owner: &str) -> Result<ContactBook, DbError> {
    let last_id = r
        .query_opt(
            "SELECT last_id FROM contact_books WHERE app = $1 AND owner = $2",
            params![app, owner],
        )
        .await?
        .map_or(0, |row| row.u64(0));
    let groups = r
        .query(
            "SELECT id, name FROM contact_groups WHERE app = $1 AND owner = $2 ORDER BY id",
            params![app, owner],
        )
        .await?
        .into_iter()
        .map(|mut row| ContactGroup {
            id: row.u64(0),
            name: row.take_str(1),
        })
        .collect();
    Ok(ContactBook {
        groups,
        last_id,
        items: load_items(r, app, owner).await?,
    })
}

/// Writes what a contact-book decision changed.
async fn apply_book(
    w: &mut impl WriteTx,
    app: AppId,
    owner: &str,
    ch: &BookChanges,
) -> Result<(), DbError> {
    if let Some(last_id) = ch.last_id {
        w.execute(
            "INSERT INTO contact_books (app, owner, last_id) VALUES ($1, $2, $3)
             ON CONFLICT (app, owner) DO UPDATE SET last_id = excluded.last_id",
            params![app, owner, last_id],
        )
        .await?;
    }
    if let Some(groups) = &ch.groups {
        // At most 20 rows: the list is written whole.
        w.execute(
            "DELETE FROM contact_groups WHERE app = $1 AND owner = $2",
            params![app, owner],
        )
        .await?;
        for g in groups {
            w.execute(
                "INSERT INTO contact_groups (app, owner, id, name) VALUES ($1, $2, $3, $4)",
                params![app, owner, g.id, &g.name],
            )
            .await?;
        }
    }
    for (key, data) in &ch.items {
        w.execute(
            "DELETE FROM contact_items WHERE app = $1 AND owner = $2 AND kind = $3 AND peer = $4",
            params![app, owner, key.kind.code(), &key.peer],
        )
        .await?;
        if let Some(d) = data {
            let ids: Vec<String> = d.groups.iter().map(u64::to_string).collect();
            w.execute(
                "INSERT INTO contact_items (app, owner, kind, peer, standard, custom, group_ids, updated)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                params![
                    app,
                    owner,
                    key.kind.code(),
                    &key.peer,
                    d.standard as i64,
                    &d.custom,
                    &ids.join(","),
                    d.updated
                ],
            )
            .await?;
        }
    }
    Ok(())
}

/// get_list: one page of the owner's conversation list.
pub(crate) struct ListContacts {
    pub app: AppId,
    pub owner: String,
    pub query: ListQuery,
    pub retention: Retention,
}

impl ReadOp for ListContacts {
    type Out = ListPage;

    async fn read<R: ReadTx>(&self, r: &mut R) -> Result<ListPage, StoreError> {
        let (app, owner) = (self.app, self.owner.as_str());
        require_owner_row(r, app, owner, false).await?;
        // A conversation with oneself is the pair's `lo` side only.
        let c2c = r
            .query(
                "SELECT user_hi, lo_last_time FROM c2c_conversations WHERE app = $1 AND user_lo = $2
                 UNION ALL
                 SELECT user_lo, hi_last_time FROM c2c_conversations
                 WHERE app = $1 AND user_hi = $2 AND user_lo <> $2",
                params![app, owner],
            )
            .await?
            .into_iter()
            .map(|mut row| (row.take_str(0), row.i64(1)))
            .collect();
        let mut groups: Vec<(String, GroupHead, u64)> = r
            .query(
                "SELECT g.group_id, g.contact_seq, g.contact_time, m.join_seq
                 FROM group_members m JOIN groups g ON g.gkey = m.gkey
                 WHERE m.app = $1 AND m.user_id = $2",
                params![app, owner],
            )
            .await?
            .into_iter()
            .map(|mut row| {
                let head = GroupHead {
                    seq: row.u64(1),
                    time: row.i64(2),
                };
                (row.take_str(0), head, row.u64(3))
            })
            .collect();
        // Groups the owner left (or that were destroyed), frozen where they were; a group
        // with the same GroupId the owner is in now is the live one.
        let member_of: BTreeSet<String> = groups.iter().map(|(g, _, _)| g.clone()).collect();
        for mut row in r
            .query(
                "SELECT group_id, seq, time FROM departed_contacts WHERE app = $1 AND owner = $2",
                params![app, owner],
            )
            .await?
        {
            let gid = row.take_str(0);
            if !member_of.contains(&gid) {
                let head = GroupHead {
                    seq: row.u64(1),
                    time: row.i64(2),
                };
                groups.push((gid, head, 0));
            }
        }
        let facts = ListFacts {
            c2c,
            groups,
            states: load_states(r, app, owner).await?,
            data: load_items(r, app, owner).await?,
        };
        let all = assemble(
            facts,
            self.retention,
            self.query.flags.with_empty,
            self.query.cap,
        );
        Ok(page(all, &self.query, self.retention.now))
    }
}

/// What `delete` writes.
pub(crate) enum DeleteWrite {
    C2c {
        /// The C2C row, its side of the owner, and that side's new read and cleared times.
        conv: Option<(i64, Side, i64, i64)>,
        state: UserState,
    },
    Group {
        state: UserState,
        /// The group's key, and the member's new read position and the floor it saw.
        member: Option<(i64, u64, u64)>,
    },
}

/// delete: one conversation leaves the owner's list.
pub(crate) struct DeleteContact {
    pub app: AppId,
    pub owner: String,
    pub key: ContactKey,
    pub clear_history: bool,
    pub now: i64,
}

impl WriteOp for DeleteContact {
    type Plan = DeleteWrite;
    type Out = ();

    async fn check<R: ReadTx>(&self, r: &mut R) -> Result<DeleteWrite, StoreError> {
        let (app, owner) = (self.app, self.owner.as_str());
        require_owner_row(r, app, owner, true).await?;
        let current = load_states(r, app, owner)
            .await?
            .remove(&self.key)
            .unwrap_or_default();
        Ok(match self.key.kind {
            Kind::C2c => {
                let pair = Pair::new(owner, &self.key.peer);
                let side = pair.side(owner);
                let conv = find_conv(r, app, &pair, true).await?.map(|c| {
                    let s = c.side(side);
                    let (read, cleared) = deleted_c2c_marks(
                        s.read_time,
                        s.cleared_time,
                        self.now,
                        self.clear_history,
                    );
                    (c.key, side, read, cleared)
                });
                // A C2C conversation leaves the list through its row's `last_time`; only the
                // pin is kept per user, and it is dropped.
                let state = UserState {
                    pinned_at: None,
                    ..current
                };
                DeleteWrite::C2c { conv, state }
            }
            Kind::Group => {
                let row = r
                    .query_opt(
                        // The membership by key, not a join the planner may run as a scan of
                        // the owner's memberships (see `SEND_FACTS` in ops/messages.rs).
                        "SELECT g.gkey, g.contact_seq, g.contact_time, g.next_msg_seq, g.read_floor,
                                EXISTS (SELECT 1 FROM group_members m
                                        WHERE m.app = g.app AND m.gkey = g.gkey AND m.user_id = $3)
                         FROM groups g
                         WHERE g.app = $1 AND g.group_id = $2",
                        params![app, &self.key.peer, owner],
                    )
                    .await?;
                match row {
                    None => DeleteWrite::Group {
                        state: UserState {
                            pinned_at: None,
                            ..current
                        },
                        member: None,
                    },
                    Some(row) => {
                        let head = GroupHead {
                            seq: row.u64(1),
                            time: row.i64(2),
                        };
                        let last_seq = row.u64(3).saturating_sub(1);
                        DeleteWrite::Group {
                            state: deleted_group_state(current, head, last_seq, self.clear_history),
                            member: row.bool(5).then(|| (row.i64(0), last_seq, row.u64(4))),
                        }
                    }
                }
            }
        })
    }

    async fn apply<W: WriteTx>(&self, plan: DeleteWrite, w: &mut W) -> Result<(), DbError> {
        let (app, owner) = (self.app, self.owner.as_str());
        match plan {
            DeleteWrite::C2c { conv, state } => {
                if let Some((ckey, side, read, cleared)) = conv {
                    let sql = match side {
                        Side::Lo => "UPDATE c2c_conversations SET lo_last_time = 0, lo_read_time = $2, lo_cleared_time = $3 WHERE ckey = $1",
                        Side::Hi => "UPDATE c2c_conversations SET hi_last_time = 0, hi_read_time = $2, hi_cleared_time = $3 WHERE ckey = $1",
                    };
                    w.execute(sql, params![ckey, read, cleared]).await?;
                }
                write_state(w, app, owner, &self.key, &state).await
            }
            DeleteWrite::Group { state, member } => {
                forget_departed(w, app, owner, &self.key.peer).await?;
                if let Some((gkey, read_seq, floor)) = member {
                    w.execute(
                        "UPDATE group_members SET read_seq = $4, read_floor_seen = $5
                         WHERE app = $1 AND gkey = $2 AND user_id = $3",
                        params![app, gkey, owner, read_seq, floor],
                    )
                    .await?;
                }
                write_state(w, app, owner, &self.key, &state).await
            }
        }
    }
}

/// top: pins or unpins conversations.
pub(crate) struct TopContacts {
    pub app: AppId,
    pub owner: String,
    pub pin: bool,
    pub keys: Vec<ContactKey>,
    pub now: i64,
}

impl WriteOp for TopContacts {
    type Plan = Vec<(ContactKey, UserState)>;
    type Out = ();

    async fn check<R: ReadTx>(&self, r: &mut R) -> Result<Self::Plan, StoreError> {
        let (app, owner) = (self.app, self.owner.as_str());
        require_owner_row(r, app, owner, true).await?;
        let states = load_states(r, app, owner).await?;
        let pinned: BTreeSet<ContactKey> = states
            .iter()
            .filter(|(_, s)| s.pinned_at.is_some())
            .map(|(k, _)| k.clone())
            .collect();
        let changes = decide_top(&pinned, self.pin, &self.keys, self.now)?;
        Ok(changes
            .into_iter()
            .map(|(key, pinned_at)| {
                let state = UserState {
                    pinned_at,
                    ..states.get(&key).copied().unwrap_or_default()
                };
                (key, state)
            })
            .collect())
    }

    async fn apply<W: WriteTx>(&self, plan: Self::Plan, w: &mut W) -> Result<(), DbError> {
        for (key, state) in &plan {
            write_state(w, self.app, &self.owner, key, state).await?;
        }
        Ok(())
    }
}

/// The owner's contact book (get_contact_group, search_contact_group).
pub(crate) struct ReadBook {
    pub app: AppId,
    pub owner: String,
}

impl ReadOp for ReadBook {
    type Out = ContactBook;

    async fn read<R: ReadTx>(&self, r: &mut R) -> Result<ContactBook, StoreError> {
        require_owner_row(r, self.app, &self.owner, false).await?;
        Ok(load_book(r, self.app, &self.owner).await?)
    }
}

/// A contact-book decision: what it answers and what it writes, or a refusal.
pub(crate) type BookDecision<T> = Result<(T, BookChanges), Error>;

/// A change of the owner's contact book (create, delete or update a conversation group, mark
/// conversations): `decide`, a `timber_core::contacts` decision, sees the whole book.
pub(crate) struct EditBook<T, F> {
    pub app: AppId,
    pub owner: String,
    pub decide: F,
    pub _out: std::marker::PhantomData<fn() -> T>,
}

impl<T, F> WriteOp for EditBook<T, F>
where
    T: Send + 'static,
    F: Fn(&ContactBook) -> BookDecision<T> + Send + Sync + 'static,
{
    type Plan = (T, BookChanges);
    type Out = T;

    async fn check<R: ReadTx>(&self, r: &mut R) -> Result<Self::Plan, StoreError> {
        require_owner_row(r, self.app, &self.owner, true).await?;
        let book = load_book(r, self.app, &self.owner).await?;
        Ok((self.decide)(&book)?)
    }

    async fn apply<W: WriteTx>(&self, (out, ch): Self::Plan, w: &mut W) -> Result<T, DbError> {
        apply_book(w, self.app, &self.owner, &ch).await?;
        Ok(out)
    }
}

/// account_delete: the user's own conversation list and contact book go (§13); other users
/// keep their conversations with the user. The user's side of each C2C conversation leaves
/// its list (`last_time` 0), so an account imported again under the same UserID starts empty.
pub(crate) async fn delete_owner(
    w: &mut impl WriteTx,
    app: AppId,
    owner: &str,
) -> Result<(), DbError> {
    for table in [
        "contact_states",
        "contact_books",
        "contact_groups",
        "contact_items",
        "departed_contacts",
    ] {
        w.execute(
            &format!("DELETE FROM {table} WHERE app = $1 AND owner = $2"),
            params![app, owner],
        )
        .await?;
    }
    w.execute(
        "UPDATE c2c_conversations SET lo_last_time = 0 WHERE app = $1 AND user_lo = $2",
        params![app, owner],
    )
    .await?;
    w.execute(
        "UPDATE c2c_conversations SET hi_last_time = 0 WHERE app = $1 AND user_hi = $2",
        params![app, owner],
    )
    .await?;
    Ok(())
}

/// Keeps the group conversations of members about to leave group `gkey` (quit, removed,
/// banned: `Some(users)`; the group destroyed: `None`, every member) until their latest
/// message expires (recent-contacts.md §13). Runs before their membership rows go; only a
/// conversation the member has (the group's contact head reached it) is kept.
pub(crate) async fn keep_departing(
    w: &mut impl WriteTx,
    app: AppId,
    gkey: i64,
    users: Option<&[String]>,
) -> Result<(), DbError> {
    // SQLite reads `ON CONFLICT` after a join's `ON` only when a WHERE comes between.
    const KEEP: &str = "INSERT INTO departed_contacts (app, owner, group_id, seq, time)
         SELECT m.app, m.user_id, g.group_id, g.contact_seq, g.contact_time
         FROM group_members m JOIN groups g ON g.gkey = m.gkey
         WHERE m.app = $1 AND m.gkey = $2 AND g.contact_seq > 0 AND g.contact_seq >= m.join_seq";
    const UPSERT: &str =
        "ON CONFLICT (app, owner, group_id) DO UPDATE SET seq = excluded.seq, time = excluded.time";
    match users {
        None => {
            w.execute(&format!("{KEEP} {UPSERT}"), params![app, gkey])
                .await?;
        }
        Some(users) => {
            for u in users {
                w.execute(
                    &format!("{KEEP} AND m.user_id = $3 {UPSERT}"),
                    params![app, gkey, u],
                )
                .await?;
            }
        }
    }
    Ok(())
}

/// Drops `owner`'s kept conversation of a group they left: they joined it again, or deleted it.
pub(crate) async fn forget_departed(
    w: &mut impl WriteTx,
    app: AppId,
    owner: &str,
    group_id: &str,
) -> Result<(), DbError> {
    w.execute(
        "DELETE FROM departed_contacts WHERE app = $1 AND owner = $2 AND group_id = $3",
        params![app, owner, group_id],
    )
    .await?;
    Ok(())
}
