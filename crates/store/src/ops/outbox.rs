//! The outbox's own operations (`crate::outbox`), and the insert every recording write makes.

use super::{ReadOp, WriteOp};
use crate::outbox::OutboxRow;
use crate::sql::{params, ReadTx, WriteTx};
use crate::{DbError, StoreError};
use timber_core::callback::Event;
use timber_core::AppId;

/// Records `events` in the transaction that made their change.
pub(crate) async fn insert<W: WriteTx>(
    w: &mut W,
    app: AppId,
    events: &[Event],
    client_ip: &str,
) -> Result<(), DbError> {
    for e in events {
        w.execute(
            "INSERT INTO callback_outbox (app, command, ordering, body, client_ip)
             VALUES ($1, $2, $3, $4, $5)",
            params![app, e.command, &e.ordering, &e.body, client_ip],
        )
        .await?;
    }
    Ok(())
}

pub(crate) struct Claim {
    pub(crate) owner: String,
    pub(crate) now: i64,
    pub(crate) lease_until: i64,
    pub(crate) limit: u64,
}

impl WriteOp for Claim {
    type Plan = ();
    type Out = Vec<OutboxRow>;

    async fn check<R: ReadTx>(&self, _: &mut R) -> Result<(), StoreError> {
        Ok(())
    }

    async fn apply<W: WriteTx>(&self, (): (), w: &mut W) -> Result<Vec<OutboxRow>, DbError> {
        if let Some(lock) = w.claims_lock() {
            w.query(lock, &[]).await?;
        }
        // A row is claimable when its lease ran out and no earlier row of its ordering is
        // still held: so two nodes never deliver one group's events side by side.
        let sql = format!(
            "UPDATE callback_outbox SET lease_owner = $1, lease_until = $2
             WHERE id IN (SELECT o.id FROM callback_outbox o
                          WHERE o.lease_until < $3
                            AND NOT EXISTS (SELECT 1 FROM callback_outbox e
                                            WHERE e.app = o.app AND e.ordering = o.ordering
                                              AND e.id < o.id AND e.lease_until >= $3)
                          ORDER BY o.id LIMIT $4{})
             RETURNING id, app, command, ordering, body, client_ip",
            w.skip_locked()
        );
        let rows = w
            .query(
                &sql,
                params![&self.owner, self.lease_until, self.now, self.limit],
            )
            .await?;
        let mut out = outbox_rows(rows);
        out.sort_by_key(|r| r.id);
        Ok(out)
    }
}

/// Rows of `id, app, command, ordering, body, client_ip`.
fn outbox_rows(rows: Vec<crate::sql::Row>) -> Vec<OutboxRow> {
    rows.into_iter()
        .map(|mut r| OutboxRow {
            id: r.i64(0),
            app: r.u64(1),
            command: r.take_str(2),
            ordering: r.take_str(3),
            body: r.take_str(4),
            client_ip: r.take_str(5),
        })
        .collect()
}

/// `OutboxStore::events_after`: a read, for a store one process owns.
pub(crate) struct After {
    pub(crate) after: i64,
    pub(crate) limit: u64,
}

impl ReadOp for After {
    type Out = Vec<OutboxRow>;

    async fn read<R: ReadTx>(&self, r: &mut R) -> Result<Vec<OutboxRow>, StoreError> {
        let rows = r
            .query(
                "SELECT id, app, command, ordering, body, client_ip FROM callback_outbox
                 WHERE id > $1 ORDER BY id LIMIT $2",
                params![self.after, self.limit],
            )
            .await?;
        Ok(outbox_rows(rows))
    }
}

pub(crate) struct Finish {
    pub(crate) ids: Vec<i64>,
}

impl WriteOp for Finish {
    type Plan = ();
    type Out = ();

    async fn check<R: ReadTx>(&self, _: &mut R) -> Result<(), StoreError> {
        Ok(())
    }

    async fn apply<W: WriteTx>(&self, (): (), w: &mut W) -> Result<(), DbError> {
        // The ids are our own integers: listed inline, one statement however many.
        let list = self
            .ids
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(",");
        w.execute(
            &format!("DELETE FROM callback_outbox WHERE id IN ({list})"),
            &[],
        )
        .await?;
        Ok(())
    }
}

pub(crate) struct Release;

impl WriteOp for Release {
    type Plan = ();
    type Out = ();

    async fn check<R: ReadTx>(&self, _: &mut R) -> Result<(), StoreError> {
        Ok(())
    }

    async fn apply<W: WriteTx>(&self, (): (), w: &mut W) -> Result<(), DbError> {
        w.execute(
            "UPDATE callback_outbox SET lease_owner = NULL, lease_until = 0 WHERE lease_until <> 0",
            &[],
        )
        .await?;
        Ok(())
    }
}

pub(crate) struct Pending {
    pub(crate) now: i64,
}

impl ReadOp for Pending {
    type Out = bool;

    async fn read<R: ReadTx>(&self, r: &mut R) -> Result<bool, StoreError> {
        let row = r
            .query_opt(
                "SELECT 1 FROM callback_outbox WHERE lease_until < $1 LIMIT 1",
                params![self.now],
            )
            .await?;
        Ok(row.is_some())
    }
}
