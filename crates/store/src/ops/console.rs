//! The console's paged lists (`crate::console`). Each reads one page plus one row in the order
//! of an index whose first column is `app`: the `accounts` primary key, `groups_by_id`, the
//! `c2c_conversations` key. A prefix is searched from its first match onwards (the index's
//! order) and checked with `substr`, the same on SQLite and PostgreSQL.

use super::ReadOp;
use crate::console::{AccountRow, C2cRow, GroupRow, Page};
use crate::sql::{params, ReadTx};
use crate::StoreError;
use timber_core::profile::NICK;
use timber_core::AppId;

/// The first `limit` of `rows` and the cursor of the next page, from one row more than asked.
fn split<T, C>(mut rows: Vec<T>, limit: u64, total: u64, cursor: impl Fn(&T) -> C) -> Page<T, C> {
    let next = if rows.len() as u64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(cursor)
    } else {
        None
    };
    Page { rows, next, total }
}

pub(crate) struct AccountsPage {
    pub app: AppId,
    pub prefix: String,
    pub after: String,
    pub limit: u64,
}

impl ReadOp for AccountsPage {
    type Out = Page<AccountRow, String>;

    async fn read<R: ReadTx>(&self, r: &mut R) -> Result<Self::Out, StoreError> {
        let total = r
            .query_one(
                "SELECT count(*) FROM accounts WHERE app = $1",
                params![self.app],
            )
            .await?
            .u64(0);
        // Past the cursor and from the prefix on, whichever is further.
        let from = std::cmp::max(&self.after, &self.prefix);
        let rows = r
            .query(
                "SELECT a.user_id, p.str_value, a.created_at FROM accounts a
                 LEFT JOIN profiles p ON p.app = a.app AND p.user_id = a.user_id AND p.tag = $5
                 WHERE a.app = $1 AND a.user_id >= $2 AND a.user_id <> $3
                   AND substr(a.user_id, 1, length(CAST($4 AS TEXT))) = $4
                 ORDER BY a.user_id LIMIT $6",
                params![
                    self.app,
                    from.as_str(),
                    self.after.as_str(),
                    self.prefix.as_str(),
                    NICK,
                    self.limit + 1
                ],
            )
            .await?;
        let rows = rows
            .into_iter()
            .map(|mut row| AccountRow {
                user_id: row.take_str(0),
                nick: row.take_opt_str(1),
                created_at: row.i64(2),
            })
            .collect();
        Ok(split(rows, self.limit, total, |a: &AccountRow| {
            a.user_id.clone()
        }))
    }
}

pub(crate) struct GroupsPage {
    pub app: AppId,
    pub prefix: String,
    pub ty: Option<String>,
    pub after: String,
    pub limit: u64,
}

impl ReadOp for GroupsPage {
    type Out = Page<GroupRow, String>;

    async fn read<R: ReadTx>(&self, r: &mut R) -> Result<Self::Out, StoreError> {
        let total = r
            .query_one(
                "SELECT count(*) FROM groups WHERE app = $1",
                params![self.app],
            )
            .await?
            .u64(0);
        let from = std::cmp::max(&self.after, &self.prefix);
        let rows = r
            .query(
                "SELECT group_id, type, name, owner, member_num, next_msg_seq, cleared_upto,
                        create_time
                 FROM groups
                 WHERE app = $1 AND group_id >= $2 AND group_id <> $3
                   AND substr(group_id, 1, length(CAST($4 AS TEXT))) = $4
                   AND (CAST($5 AS TEXT) IS NULL OR type = $5)
                 ORDER BY group_id LIMIT $6",
                params![
                    self.app,
                    from.as_str(),
                    self.after.as_str(),
                    self.prefix.as_str(),
                    self.ty.as_deref(),
                    self.limit + 1
                ],
            )
            .await?;
        let rows = rows
            .into_iter()
            .map(|mut row| GroupRow {
                group_id: row.take_str(0),
                ty: row.take_str(1),
                name: row.take_str(2),
                owner: row.take_str(3),
                member_num: row.u64(4),
                next_msg_seq: row.u64(5),
                cleared_upto: row.u64(6),
                create_time: row.i64(7),
            })
            .collect();
        Ok(split(rows, self.limit, total, |g: &GroupRow| {
            g.group_id.clone()
        }))
    }
}

pub(crate) struct C2cPage {
    pub app: AppId,
    pub user: Option<String>,
    pub after: u64,
    pub limit: u64,
}

impl ReadOp for C2cPage {
    type Out = Page<C2cRow, u64>;

    async fn read<R: ReadTx>(&self, r: &mut R) -> Result<Self::Out, StoreError> {
        let total = r
            .query_one(
                "SELECT count(*) FROM c2c_conversations WHERE app = $1",
                params![self.app],
            )
            .await?
            .u64(0);
        let rows = r
            .query(
                "SELECT ckey, user_lo, user_hi, lo_last_time, hi_last_time
                 FROM c2c_conversations
                 WHERE app = $1 AND ckey > $2
                   AND (CAST($3 AS TEXT) IS NULL OR user_lo = $3 OR user_hi = $3)
                 ORDER BY ckey LIMIT $4",
                params![self.app, self.after, self.user.as_deref(), self.limit + 1],
            )
            .await?;
        let rows = rows
            .into_iter()
            .map(|mut row| C2cRow {
                key: row.u64(0),
                user_a: row.take_str(1),
                user_b: row.take_str(2),
                last_time: row.i64(3).max(row.i64(4)),
            })
            .collect();
        Ok(split(rows, self.limit, total, |c: &C2cRow| c.key))
    }
}
