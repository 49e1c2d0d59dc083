//! Message extensions (groups-more.md §9): pull and write the KVs of one message. The rules
//! are `timber_core::extension`'s; a message's extensions live under its head row in
//! `msg_exts` (written when the message was sent with `SupportMessageExtension` 1), keyed by
//! the group's gkey and the MsgSeq, or by minus the conversation's ckey and the MsgKey.

use super::c2c::{find_conv, lock_conv};
use super::rows::{account_exists, find_group, locked_group, read_one};
use super::{ReadOp, WriteOp};
use crate::sql::{params, ReadTx, WriteTx};
use crate::{DbError, StoreError};
use serde_json::{json, Value};
use timber_core::c2c::{MsgKey, Pair, MSG_FLAG_RECALLED};
use timber_core::callback::{self as cb, Event};
use timber_core::extension::{
    check_group_type, decide_write, page, require_c2c_accounts, require_c2c_msg, require_group_msg,
    ExtItem, ExtKv, ExtOp, ExtPage, ExtPlan, ExtState,
};
use timber_core::group::require_group;
use timber_core::message::Retention;
use timber_core::AppId;

/// The message whose extensions a command reads or writes.
#[derive(Debug, Clone)]
pub enum ExtTarget {
    /// A group message: `GroupId` and `MsgSeq`.
    Group { group_id: String, seq: u64 },
    /// A one-to-one message: its conversation (`From_Account`, `To_Account`) and `MsgKey`.
    C2c {
        from: String,
        to: String,
        key: MsgKey,
    },
}

/// The head key (`conv`, `msg`) of a message in `msg_exts`.
type HeadKey = (i64, String);

/// Records that the group message at `seq` may carry extensions (send_group_msg with
/// `SupportMessageExtension` 1).
pub(super) async fn add_group_head(
    w: &mut impl WriteTx,
    app: AppId,
    gkey: i64,
    seq: u64,
) -> Result<(), DbError> {
    add_head(w, app, (gkey, seq.to_string())).await
}

/// Records that the one-to-one message `key` of `pair` may carry extensions.
pub(super) async fn add_c2c_head(
    w: &mut impl WriteTx,
    app: AppId,
    pair: &Pair,
    key: MsgKey,
) -> Result<(), DbError> {
    if let Some(conv) = find_conv(w, app, pair, false).await? {
        add_head(w, app, (-conv.key, key.to_string())).await?;
    }
    Ok(())
}

async fn add_head(w: &mut impl WriteTx, app: AppId, (conv, msg): HeadKey) -> Result<(), DbError> {
    w.execute(
        "INSERT INTO msg_exts (app, conv, msg) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        params![app, conv, &msg],
    )
    .await?;
    Ok(())
}

/// The head key of the message `target` names, after every check of §9.2 (the group or the
/// accounts, the type, the message): the message's extension state is then read under it.
async fn resolve(
    r: &mut impl ReadTx,
    app: AppId,
    target: &ExtTarget,
    retention: Retention,
    lock: bool,
) -> Result<HeadKey, StoreError> {
    match target {
        ExtTarget::Group { group_id, seq } => {
            let g = if lock {
                locked_group(r, app, group_id).await?
            } else {
                require_group(find_group(r, app, group_id).await?, group_id)?
            };
            check_group_type(g.ty)?;
            let slot = read_one(r, app, g.key, *seq)
                .await?
                .map(|m| (m.state, m.time));
            let head = (g.key, seq.to_string());
            let has_head = head_exists(r, app, &head).await?;
            require_group_msg(group_id, *seq, slot, has_head, retention)?;
            Ok(head)
        }
        ExtTarget::C2c { from, to, key } => {
            let from_exists = account_exists(r, app, from).await?;
            let to_exists = account_exists(r, app, to).await?;
            require_c2c_accounts((from, from_exists), (to, to_exists))?;
            let pair = Pair::new(from, to);
            if lock {
                lock_conv(r, app, &pair).await?;
            }
            let key_text = key.to_string();
            let Some(conv) = find_conv(r, app, &pair, false).await? else {
                require_c2c_msg(&key_text, None, false, retention)?;
                return Err(StoreError::internal("a message without a conversation"));
            };
            let found = r
                .query_opt(
                    "SELECT flags FROM c2c_messages
                     WHERE app = $1 AND ckey = $2 AND time = $3 AND seq = $4 AND random = $5",
                    params![app, conv.key, key.time, key.seq, key.random],
                )
                .await?
                .map(|row| ((row.i64(0) as u32) & MSG_FLAG_RECALLED != 0, key.time));
            let head = (-conv.key, key_text);
            let has_head = head_exists(r, app, &head).await?;
            require_c2c_msg(&head.1, found, has_head, retention)?;
            Ok(head)
        }
    }
}

async fn head_exists(
    r: &mut impl ReadTx,
    app: AppId,
    (conv, msg): &HeadKey,
) -> Result<bool, DbError> {
    Ok(r.query_opt(
        "SELECT 1 FROM msg_exts WHERE app = $1 AND conv = $2 AND msg = $3",
        params![app, *conv, msg],
    )
    .await?
    .is_some())
}

/// The message's version, clear version and every KV row.
async fn load_state(
    r: &mut impl ReadTx,
    app: AppId,
    (conv, msg): &HeadKey,
) -> Result<ExtState, DbError> {
    let head = r
        .query_one(
            "SELECT version, clear_seq FROM msg_exts WHERE app = $1 AND conv = $2 AND msg = $3",
            params![app, *conv, msg],
        )
        .await?;
    let rows = r
        .query(
            "SELECT ext_key, value, seq, deleted FROM msg_ext_kvs
             WHERE app = $1 AND conv = $2 AND msg = $3",
            params![app, *conv, msg],
        )
        .await?;
    Ok(ExtState {
        version: head.u64(0),
        clear_seq: head.u64(1),
        kvs: rows
            .into_iter()
            .map(|mut row| ExtKv {
                key: row.take_str(0),
                value: row.take_str(1),
                seq: row.u64(2),
                deleted: row.bool(3),
            })
            .collect(),
    })
}

/// group_get_key_values / get_key_values.
pub(crate) struct GetExtensions {
    pub app: AppId,
    pub target: ExtTarget,
    pub start_seq: u64,
    pub retention: Retention,
}

impl ReadOp for GetExtensions {
    type Out = ExtPage;

    async fn read<R: ReadTx>(&self, r: &mut R) -> Result<ExtPage, StoreError> {
        let head = resolve(r, self.app, &self.target, self.retention, false).await?;
        let state = load_state(r, self.app, &head).await?;
        Ok(page(&state, self.start_seq))
    }
}

/// group_set_key_values / set_key_values.
pub(crate) struct SetExtensions {
    pub app: AppId,
    pub target: ExtTarget,
    pub op: ExtOp,
    pub items: Vec<ExtItem>,
    pub retention: Retention,
}

impl WriteOp for SetExtensions {
    type Plan = (HeadKey, ExtPlan);
    type Out = ExtPlan;

    async fn check<R: ReadTx>(&self, r: &mut R) -> Result<Self::Plan, StoreError> {
        let head = resolve(r, self.app, &self.target, self.retention, true).await?;
        let state = load_state(r, self.app, &head).await?;
        Ok((head, decide_write(&state, self.op, &self.items)))
    }

    async fn apply<W: WriteTx>(
        &self,
        ((conv, msg), plan): Self::Plan,
        w: &mut W,
    ) -> Result<ExtPlan, DbError> {
        if !plan.changed {
            return Ok(plan);
        }
        if plan.clear {
            w.execute(
                "DELETE FROM msg_ext_kvs WHERE app = $1 AND conv = $2 AND msg = $3",
                params![self.app, conv, &msg],
            )
            .await?;
            w.execute(
                "UPDATE msg_exts SET version = $4, clear_seq = $4
                 WHERE app = $1 AND conv = $2 AND msg = $3",
                params![self.app, conv, &msg, plan.version],
            )
            .await?;
        } else {
            w.execute(
                "UPDATE msg_exts SET version = $4 WHERE app = $1 AND conv = $2 AND msg = $3",
                params![self.app, conv, &msg, plan.version],
            )
            .await?;
        }
        for kv in &plan.upserts {
            w.execute(
                "INSERT INTO msg_ext_kvs (app, conv, msg, ext_key, value, seq, deleted)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)
                 ON CONFLICT (app, conv, msg, ext_key) DO UPDATE SET value = excluded.value,
                     seq = excluded.seq, deleted = excluded.deleted",
                params![self.app, conv, &msg, &kv.key, &kv.value, kv.seq, kv.deleted],
            )
            .await?;
        }
        Ok(plan)
    }

    fn callbacks(&self) -> Option<(AppId, &'static [&'static str])> {
        let command = match self.target {
            ExtTarget::Group { .. } => &[cb::GROUP_AFTER_MSG_EXTENSION][..],
            ExtTarget::C2c { .. } => &[cb::C2C_AFTER_MSG_EXTENSION][..],
        };
        Some((self.app, command))
    }

    async fn events<W: WriteTx>(
        &self,
        plan: &ExtPlan,
        _: &[&'static str],
        _: &mut W,
    ) -> Result<Vec<Event>, DbError> {
        if !plan.changed {
            return Ok(Vec::new());
        }
        let list: Vec<Value> = plan
            .upserts
            .iter()
            .map(|kv| json!({"Key": kv.key, "Value": kv.value, "Seq": kv.seq}))
            .collect();
        let event = match &self.target {
            ExtTarget::Group { group_id, seq } => Event::new(
                cb::GROUP_AFTER_MSG_EXTENSION,
                cb::group_ordering(group_id),
                json!({
                    "GroupId": group_id,
                    "MsgSeq": seq,
                    "OperateType": self.op.code(),
                    "ExtensionList": list,
                    "Seq": plan.version,
                }),
            ),
            ExtTarget::C2c { from, to, key } => Event::new(
                cb::C2C_AFTER_MSG_EXTENSION,
                cb::c2c_ordering(from, to),
                json!({
                    "From_Account": from,
                    "To_Account": to,
                    "MsgKey": key.to_string(),
                    "OperateType": self.op.code(),
                    "ExtensionList": list,
                    "Seq": plan.version,
                }),
            ),
        };
        Ok(vec![event])
    }
}
