//! Read receipts of group messages: sending with `NeedReadReceipt`, the counters and lists,
//! and the SDK-only group_msg_receipt. spec: groups-more.md §6; the rules are
//! `timber_core::group::receipts`'s.
//!
//! A message that asks for receipts is sent by [`SendWithReceipt`], which runs the ordinary
//! send ([`SendMessage`], untouched: the hot path pays nothing for receipts) and, in the same
//! transaction, records one `group_receipts` row per recipient.

use super::messages::SendMessage;
use super::rows::{account_exists, find_group, locked_group, read_one};
use super::{ReadOp, WriteOp};
use crate::sql::{params, ReadTx, WriteTx};
use crate::{DbError, StoreError};
use serde_json::json;
use timber_core::callback::{self as cb, Event};
use timber_core::group::{
    account_not_found, decide_receipt_send, receipt_visible, require_group, require_receipt_type,
    GroupRecord, ReceiptCount,
};
use timber_core::message::Sent;
use timber_core::{AppId, Error};

pub(crate) struct SendWithReceipt {
    pub send: SendMessage,
}

impl WriteOp for SendWithReceipt {
    type Plan = (<SendMessage as WriteOp>::Plan, Option<i64>);
    type Out = Sent;

    async fn check<R: ReadTx>(&self, r: &mut R) -> Result<Self::Plan, StoreError> {
        let plan = self.send.check(r).await?;
        let g = find_group(r, self.send.app, &self.send.group_id).await?;
        let g = require_group(g, &self.send.group_id)?;
        let keep = decide_receipt_send(&g)?;
        Ok((plan, keep.then_some(g.key)))
    }

    async fn apply<W: WriteTx>(
        &self,
        (plan, gkey): Self::Plan,
        w: &mut W,
    ) -> Result<Sent, DbError> {
        let sent = self.send.apply(plan, w).await?;
        if let (Some(gkey), false) = (gkey, sent.duplicate) {
            w.execute(
                "INSERT INTO group_receipts (app, gkey, seq, user_id, is_read)
                 SELECT app, gkey, $3, user_id, FALSE FROM group_members
                 WHERE app = $1 AND gkey = $2 AND user_id <> $4",
                params![self.send.app, gkey, sent.seq, &self.send.send.msg.from],
            )
            .await?;
        }
        Ok(sent)
    }

    fn callbacks(&self) -> Option<(AppId, &'static [&'static str])> {
        self.send.callbacks()
    }

    async fn events<W: WriteTx>(
        &self,
        out: &Sent,
        wanted: &[&'static str],
        w: &mut W,
    ) -> Result<Vec<Event>, DbError> {
        self.send.events(out, wanted, w).await
    }

    /// Connected members hear it as any message.
    fn changes(
        &self,
        out: &Sent,
        sink: &dyn timber_core::member::ChangeSink,
    ) -> Option<(AppId, Vec<timber_core::member::Change>)> {
        self.send.changes(out, sink)
    }
}

async fn group(r: &mut impl ReadTx, app: AppId, id: &str) -> Result<GroupRecord, StoreError> {
    let g = require_group(find_group(r, app, id).await?, id)?;
    require_receipt_type(&g)?;
    Ok(g)
}

async fn count(
    r: &mut impl ReadTx,
    app: AppId,
    gkey: i64,
    seq: u64,
) -> Result<ReceiptCount, DbError> {
    let row = r
        .query_one(
            "SELECT coalesce(sum(CASE WHEN is_read THEN 1 ELSE 0 END), 0), count(*)
             FROM group_receipts WHERE app = $1 AND gkey = $2 AND seq = $3",
            params![app, gkey, seq],
        )
        .await?;
    let (read, all) = (row.u64(0), row.u64(1));
    Ok(ReceiptCount {
        read,
        unread: all - read,
    })
}

/// A seq's counters, or its 10062.
async fn visible(
    r: &mut impl ReadTx,
    app: AppId,
    g: &GroupRecord,
    seq: u64,
) -> Result<Result<ReceiptCount, Error>, DbError> {
    let c = count(r, app, g.key, seq).await?;
    let state = read_one(r, app, g.key, seq).await?.map(|m| m.state);
    Ok(receipt_visible(g, seq, state, c))
}

/// get_group_msg_receipt: per seq, in request order.
pub(crate) struct Receipts {
    pub app: AppId,
    pub group_id: String,
    pub seqs: Vec<u64>,
}

impl ReadOp for Receipts {
    type Out = Vec<Result<ReceiptCount, Error>>;

    async fn read<R: ReadTx>(&self, r: &mut R) -> Result<Self::Out, StoreError> {
        let g = group(r, self.app, &self.group_id).await?;
        let mut out = Vec::with_capacity(self.seqs.len());
        for &seq in &self.seqs {
            out.push(visible(r, self.app, &g, seq).await?);
        }
        Ok(out)
    }
}

/// get_group_msg_receipt_detail: readers (or non-readers) of one seq after `after`, by
/// UserID, at most `count`.
pub(crate) struct ReceiptDetail {
    pub app: AppId,
    pub group_id: String,
    pub seq: u64,
    pub read: bool,
    pub after: Option<String>,
    pub count: u64,
}

impl ReadOp for ReceiptDetail {
    /// The accounts, and whether the list is complete.
    type Out = (Vec<String>, bool);

    async fn read<R: ReadTx>(&self, r: &mut R) -> Result<Self::Out, StoreError> {
        let g = group(r, self.app, &self.group_id).await?;
        visible(r, self.app, &g, self.seq).await??;
        let rows = r
            .query(
                "SELECT user_id FROM group_receipts
                 WHERE app = $1 AND gkey = $2 AND seq = $3 AND is_read = $4
                   AND (CAST($5 AS TEXT) IS NULL OR user_id > $5)
                 ORDER BY user_id LIMIT $6",
                params![
                    self.app,
                    g.key,
                    self.seq,
                    self.read,
                    &self.after,
                    self.count + 1
                ],
            )
            .await?;
        let mut users: Vec<String> = rows.into_iter().map(|mut r| r.take_str(0)).collect();
        let finished = users.len() as u64 <= self.count;
        users.truncate(self.count as usize);
        Ok((users, finished))
    }
}

/// group_msg_receipt (SDK-only): `reader` has read each listed seq that keeps receipts for
/// them; the others are ignored.
pub(crate) struct MarkRead {
    pub app: AppId,
    pub group_id: String,
    pub reader: String,
    pub seqs: Vec<u64>,
}

impl WriteOp for MarkRead {
    type Plan = i64;
    /// The seqs that changed.
    type Out = Vec<u64>;

    async fn check<R: ReadTx>(&self, r: &mut R) -> Result<i64, StoreError> {
        let g = locked_group(r, self.app, &self.group_id).await?;
        require_receipt_type(&g)?;
        if !account_exists(r, self.app, &self.reader).await? {
            return Err(account_not_found(&self.reader).into());
        }
        Ok(g.key)
    }

    async fn apply<W: WriteTx>(&self, gkey: i64, w: &mut W) -> Result<Vec<u64>, DbError> {
        let mut changed = Vec::new();
        for &seq in &self.seqs {
            let n = w
                .execute(
                    "UPDATE group_receipts SET is_read = TRUE
                     WHERE app = $1 AND gkey = $2 AND seq = $3 AND user_id = $4 AND NOT is_read",
                    params![self.app, gkey, seq, &self.reader],
                )
                .await?;
            if n > 0 && !changed.contains(&seq) {
                changed.push(seq);
            }
        }
        Ok(changed)
    }

    fn callbacks(&self) -> Option<(AppId, &'static [&'static str])> {
        Some((self.app, &[cb::GROUP_AFTER_READ_RECEIPT]))
    }

    async fn events<W: WriteTx>(
        &self,
        changed: &Vec<u64>,
        _: &[&'static str],
        w: &mut W,
    ) -> Result<Vec<Event>, DbError> {
        if changed.is_empty() {
            return Ok(Vec::new());
        }
        let Some(g) = find_group(w, self.app, &self.group_id).await? else {
            return Ok(Vec::new());
        };
        let mut list = Vec::with_capacity(changed.len());
        for &seq in changed {
            let c = count(w, self.app, g.key, seq).await?;
            list.push(json!({"MsgSeq": seq, "ReadNum": c.read, "UnreadNum": c.unread}));
        }
        Ok(vec![Event::new(
            cb::GROUP_AFTER_READ_RECEIPT,
            cb::group_ordering(&g.group_id),
            json!({
                "GroupId": g.group_id,
                "Type": g.ty.as_str(),
                // Who read them (inferred: the payload names no reader otherwise).
                "Operator_Account": self.reader,
                "GroupMsgReceiptList": list,
            }),
        )])
    }
}
