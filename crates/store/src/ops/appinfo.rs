//! getappinfo's counts, read from what is stored (`timber_core::appinfo`). spec:
//! push-and-operations.md §3.1. One snapshot; each count is one grouped query over the app's
//! rows of the last 30 days (accounts and groups over all time, for the totals).

use super::ReadOp;
use crate::sql::{params, Param, ReadTx};
use crate::{DbError, StoreError};
use std::collections::{BTreeMap, HashSet};
use timber_core::appinfo::{day_start, AppCounts, DayCounts};
use timber_core::AppId;

pub(crate) struct AppStats {
    pub app: AppId,
    /// The window's first day.
    pub first_day: i64,
}

/// `(day, count)` rows of a grouped query.
async fn per_day(
    r: &mut impl ReadTx,
    sql: &str,
    ps: &[Param<'_>],
) -> Result<Vec<(i64, u64)>, DbError> {
    Ok(r.query(sql, ps)
        .await?
        .into_iter()
        .map(|row| (row.i64(0), row.u64(1)))
        .collect())
}

/// `(day, key)` pairs, distinct.
async fn distinct_pairs(
    r: &mut impl ReadTx,
    sql: &str,
    app: AppId,
    since: i64,
) -> Result<HashSet<(i64, String)>, DbError> {
    Ok(r.query(sql, params![app, since])
        .await?
        .into_iter()
        .map(|mut row| (row.i64(0), row.take_str(1)))
        .collect())
}

const DAY: &str = "(TIME + 28800) / 86400";

fn day(col: &str) -> String {
    DAY.replace("TIME", col)
}

impl ReadOp for AppStats {
    type Out = AppCounts;

    async fn read<R: ReadTx>(&self, r: &mut R) -> Result<AppCounts, StoreError> {
        let app = self.app;
        let since = day_start(self.first_day);
        let mut days: BTreeMap<i64, DayCounts> = BTreeMap::new();
        let mut registered_before = 0;
        let mut first_day = None;
        let sql = format!(
            "SELECT {d} AS d, count(*) FROM accounts WHERE app = $1 GROUP BY {d} ORDER BY d",
            d = day("created_at")
        );
        for (d, n) in per_day(r, &sql, params![app]).await? {
            first_day = first_day.or(Some(d));
            if d < self.first_day {
                registered_before += n;
            } else {
                days.entry(d).or_default().registered = n;
            }
        }
        let mut groups_before = 0;
        let sql = format!(
            "SELECT {d} AS d, count(*) FROM groups WHERE app = $1 GROUP BY {d}",
            d = day("create_time")
        );
        for (d, n) in per_day(r, &sql, params![app]).await? {
            if d < self.first_day {
                groups_before += n;
            } else {
                days.entry(d).or_default().groups_created = n;
            }
        }
        let sql = format!(
            "SELECT {d} AS d, count(*) FROM c2c_messages WHERE app = $1 AND time >= $2 GROUP BY {d}",
            d = day("time")
        );
        for (d, n) in per_day(r, &sql, params![app, since]).await? {
            days.entry(d).or_default().c2c_up = n;
        }
        let sql = format!(
            "SELECT DISTINCT {d}, CASE WHEN m.from_lo THEN c.user_lo ELSE c.user_hi END
             FROM c2c_messages m JOIN c2c_conversations c ON c.ckey = m.ckey
             WHERE m.app = $1 AND m.time >= $2",
            d = day("m.time")
        );
        let c2c_senders = distinct_pairs(r, &sql, app, since).await?;
        let sql = format!(
            "SELECT {d} AS d, count(*), count(DISTINCT m.gkey),
                 CAST(sum(CASE WHEN g.member_num > 1 THEN g.member_num - 1 ELSE 0 END) AS BIGINT)
             FROM group_messages m JOIN groups g ON g.gkey = m.gkey
             WHERE m.app = $1 AND m.time >= $2 AND m.is_system = FALSE GROUP BY {d}",
            d = day("m.time")
        );
        for row in r.query(&sql, params![app, since]).await? {
            let c = days.entry(row.i64(0)).or_default();
            c.group_up = row.u64(1);
            c.groups_sent_in = row.u64(2);
            c.group_down = row.u64(3);
        }
        let sql = format!(
            "SELECT DISTINCT {d}, sender FROM group_messages
             WHERE app = $1 AND time >= $2 AND is_system = FALSE",
            d = day("time")
        );
        let group_senders = distinct_pairs(r, &sql, app, since).await?;
        let sql = format!(
            "SELECT {d} AS d, count(*) FROM group_members WHERE app = $1 AND join_time >= $2 GROUP BY {d}",
            d = day("join_time")
        );
        for (d, n) in per_day(r, &sql, params![app, since]).await? {
            days.entry(d).or_default().joins = n;
        }
        let sql = format!(
            "SELECT {d} AS d, count(*) FROM sns_friends WHERE app = $1 AND add_time >= $2 GROUP BY {d}",
            d = day("add_time")
        );
        for (d, n) in per_day(r, &sql, params![app, since]).await? {
            days.entry(d).or_default().friends_added = n;
        }
        for (d, _) in &c2c_senders {
            days.entry(*d).or_default().c2c_senders += 1;
        }
        for (d, _) in &group_senders {
            days.entry(*d).or_default().group_senders += 1;
        }
        for (d, _) in c2c_senders.union(&group_senders) {
            days.entry(*d).or_default().senders += 1;
        }
        Ok(AppCounts {
            days,
            registered_before,
            groups_before,
            first_day,
        })
    }
}
