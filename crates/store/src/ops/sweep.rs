//! The background sweeper's steps: purging destroyed groups and deleting expired messages,
//! a bounded number of rows per step so that no step holds the writer for long. They refuse
//! nothing, so all their work is in `apply`.

use super::WriteOp;
use crate::messages::{RetentionPolicy, SweepStep};
use crate::sql::{params, ReadTx, WriteTx};
use crate::{DbError, StoreError};
use timber_core::message::Retention;
use timber_core::AppId;

/// Deletes at most `max_rows` rows of one destroyed group; dequeues it once nothing is left.
pub(crate) struct PurgeStep {
    pub max_rows: u64,
}

impl WriteOp for PurgeStep {
    type Plan = ();
    type Out = u64;

    async fn check<R: ReadTx>(&self, _: &mut R) -> Result<(), StoreError> {
        Ok(())
    }

    async fn apply<W: WriteTx>(&self, (): (), w: &mut W) -> Result<u64, DbError> {
        let Some(row) = w
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
            // grp-more: attributes, counters, bans and read receipts (groups-more.md §3–§6).
            "DELETE FROM group_attrs WHERE app = $1 AND gkey = $2 AND key IN
                 (SELECT key FROM group_attrs WHERE app = $1 AND gkey = $2 ORDER BY key LIMIT $3)",
            "DELETE FROM group_counters WHERE app = $1 AND gkey = $2 AND key IN
                 (SELECT key FROM group_counters WHERE app = $1 AND gkey = $2 ORDER BY key LIMIT $3)",
            "DELETE FROM group_bans WHERE app = $1 AND gkey = $2 AND user_id IN
                 (SELECT user_id FROM group_bans WHERE app = $1 AND gkey = $2 ORDER BY user_id LIMIT $3)",
            // av: an AVChatRoom's admins (groups-more.md §7.4).
            "DELETE FROM room_admins WHERE app = $1 AND gkey = $2 AND user_id IN
                 (SELECT user_id FROM room_admins WHERE app = $1 AND gkey = $2 ORDER BY user_id LIMIT $3)",
            // Pending join applications (members.md `joinGroup`).
            "DELETE FROM group_applications WHERE app = $1 AND gkey = $2 AND applicant IN
                 (SELECT applicant FROM group_applications WHERE app = $1 AND gkey = $2
                  ORDER BY applicant LIMIT $3)",
            "DELETE FROM group_receipts WHERE app = $1 AND gkey = $2 AND (seq, user_id) IN
                 (SELECT seq, user_id FROM group_receipts WHERE app = $1 AND gkey = $2
                  ORDER BY seq, user_id LIMIT $3)",
        ];
        for sql in statements {
            let budget = self.max_rows - deleted;
            if budget == 0 {
                return Ok(deleted);
            }
            deleted += w.execute(sql, params![app, gkey, budget]).await?;
        }
        if deleted < self.max_rows {
            deleted += w
                .execute("DELETE FROM purge_queue WHERE gkey = $1", params![gkey])
                .await?;
        }
        Ok(deleted)
    }
}

/// One kind of history the sweeper expires: its owners (groups, conversations) walked in key
/// order from a cursor kept in `meta` (so a restart resumes where it stopped), and how one
/// owner's expired rows are deleted. Group and C2C retention share [`expire_step`] through it.
pub(crate) trait ExpiringHistory {
    /// The `meta` key of the cursor: owners with a key above it are still to be swept.
    const CURSOR: &'static str;
    /// Owners with a key above `$1` in key order, at most `$2`: `(key, app)`.
    const OWNERS_SQL: &'static str;

    /// Deletes at most `budget` of the owner's rows older than `cutoff`, oldest first.
    async fn delete_expired<W: WriteTx>(
        w: &mut W,
        app: AppId,
        key: i64,
        cutoff: i64,
        budget: u64,
    ) -> Result<u64, DbError>;
}

/// Owners probed per step at most, so a step stays short even when nothing is expired.
const OWNERS_PER_STEP: u64 = 64;

/// Deletes at most `max_rows` expired rows of `H`, owner by owner from its cursor.
pub(crate) async fn expire_step<H: ExpiringHistory, W: WriteTx>(
    w: &mut W,
    policy: &RetentionPolicy,
    now: i64,
    max_rows: u64,
) -> Result<SweepStep, DbError> {
    let cursor = w
        .query_opt("SELECT value FROM meta WHERE key = $1", params![H::CURSOR])
        .await?
        .map_or(0, |r| r.i64(0));
    let owners: Vec<(i64, AppId)> = w
        .query(H::OWNERS_SQL, params![cursor, OWNERS_PER_STEP])
        .await?
        .into_iter()
        .map(|r| (r.i64(0), r.u64(1)))
        .collect();
    let mut step = SweepStep {
        deleted: 0,
        pass_done: (owners.len() as u64) < OWNERS_PER_STEP,
    };
    let mut next_cursor = if step.pass_done {
        0
    } else {
        owners.last().map_or(0, |o| o.0)
    };
    for (key, app) in owners {
        let days = policy.get(&app).copied().unwrap_or(0);
        let Some(cutoff) = (Retention { days, now }).cutoff() else {
            continue;
        };
        step.deleted += H::delete_expired(w, app, key, cutoff, max_rows - step.deleted).await?;
        if step.deleted >= max_rows {
            // This owner may have more: resume with it.
            next_cursor = key - 1;
            step.pass_done = false;
            break;
        }
    }
    w.execute(
        "INSERT INTO meta (key, value) VALUES ($1, $2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        params![H::CURSOR, next_cursor],
    )
    .await?;
    Ok(step)
}

/// Group messages, group by group.
struct GroupHistory;

impl ExpiringHistory for GroupHistory {
    const CURSOR: &'static str = "sweep_gkey";
    const OWNERS_SQL: &'static str =
        "SELECT gkey, app FROM groups WHERE gkey > $1 ORDER BY gkey LIMIT $2";

    async fn delete_expired<W: WriteTx>(
        w: &mut W,
        app: AppId,
        gkey: i64,
        cutoff: i64,
        budget: u64,
    ) -> Result<u64, DbError> {
        // One primary-key probe decides most groups: nothing to do unless the oldest row
        // expired.
        let oldest = w
            .query_opt(
                "SELECT time FROM group_messages WHERE app = $1 AND gkey = $2 ORDER BY seq LIMIT 1",
                params![app, gkey],
            )
            .await?
            .map(|r| r.i64(0));
        if oldest.is_none_or(|time| time >= cutoff) {
            return Ok(0);
        }
        // The expired rows among the group's oldest `budget` rows; with times non-decreasing
        // in seq these are exactly its oldest expired rows.
        let deleted = w
            .execute(
                "DELETE FROM group_messages WHERE app = $1 AND gkey = $2 AND time < $4 AND seq IN
                 (SELECT seq FROM group_messages WHERE app = $1 AND gkey = $2
                  ORDER BY seq LIMIT $3)",
                params![app, gkey, budget, cutoff],
            )
            .await?;
        if deleted > 0 {
            // grp-more: the read receipts of the expired messages (at most 200 rows each,
            // groups-more.md §6) go with them; they are not counted against the budget.
            w.execute(
                "DELETE FROM group_receipts WHERE app = $1 AND gkey = $2 AND seq <
                     coalesce((SELECT min(seq) FROM group_messages WHERE app = $1 AND gkey = $2),
                              (SELECT next_msg_seq FROM groups WHERE gkey = $2))",
                params![app, gkey],
            )
            .await?;
        }
        Ok(deleted)
    }
}

/// Deletes at most `max_rows` expired group messages (see [`expire_step`]).
pub(crate) struct ExpireStep {
    pub policy: RetentionPolicy,
    pub now: i64,
    pub max_rows: u64,
}

impl WriteOp for ExpireStep {
    type Plan = ();
    type Out = SweepStep;

    async fn check<R: ReadTx>(&self, _: &mut R) -> Result<(), StoreError> {
        Ok(())
    }

    async fn apply<W: WriteTx>(&self, (): (), w: &mut W) -> Result<SweepStep, DbError> {
        expire_step::<GroupHistory, W>(w, &self.policy, self.now, self.max_rows).await
    }
}
