//! Global mutes and push to all users: the operations. spec: push-and-operations.md §1, §2,
//! §8; the rules are `timber_core::nospeaking`'s and `timber_core::push`'s.

use super::{ReadOp, WriteOp};
use crate::push::{NewPush, PushCreated, PushTask};
use crate::sql::{params, Param, ReadTx, WriteTx};
use crate::{DbError, StoreError};
use serde_json::Value;
use std::collections::HashMap;
use timber_core::member::{C2cMsg, Change as MemberChange, ChangeSink};
use timber_core::nospeaking::{decide_set, MuteEnds, SetMute as Set};
use timber_core::push::{
    beijing_day_start, decide_add_tags, decide_attr_names, decide_push, name_of, resolve_condition,
    resolve_remove, resolve_set, task_id, AttrNames, PushFacts, PushPlan, Selector, DEDUP_SECS,
};
use timber_core::AppId;

async fn read_mute(r: &mut impl ReadTx, app: AppId, user: &str) -> Result<MuteEnds, DbError> {
    let row = r
        .query_opt(
            "SELECT c2c_until, group_until FROM global_mutes WHERE app = $1 AND user_id = $2",
            params![app, user],
        )
        .await?;
    Ok(row.map_or(MuteEnds::default(), |row| MuteEnds {
        c2c: row.i64(0),
        group: row.i64(1),
    }))
}

/// setnospeaking.
pub(crate) struct SetMute {
    pub app: AppId,
    pub user: String,
    pub set: Set,
    pub now: i64,
}

impl WriteOp for SetMute {
    type Plan = MuteEnds;
    type Out = ();

    async fn check<R: ReadTx>(&self, r: &mut R) -> Result<MuteEnds, StoreError> {
        let current = read_mute(r, self.app, &self.user).await?;
        Ok(decide_set(current, self.set, self.now))
    }

    async fn apply<W: WriteTx>(&self, ends: MuteEnds, w: &mut W) -> Result<(), DbError> {
        if ends == MuteEnds::default() {
            w.execute(
                "DELETE FROM global_mutes WHERE app = $1 AND user_id = $2",
                params![self.app, &self.user],
            )
            .await?;
        } else {
            w.execute(
                "INSERT INTO global_mutes (app, user_id, c2c_until, group_until) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (app, user_id) DO UPDATE SET
                     c2c_until = excluded.c2c_until, group_until = excluded.group_until",
                params![self.app, &self.user, ends.c2c, ends.group],
            )
            .await?;
        }
        Ok(())
    }
}

/// getnospeaking.
pub(crate) struct GetMute {
    pub app: AppId,
    pub user: String,
}

impl ReadOp for GetMute {
    type Out = MuteEnds;

    async fn read<R: ReadTx>(&self, r: &mut R) -> Result<MuteEnds, StoreError> {
        Ok(read_mute(r, self.app, &self.user).await?)
    }
}

async fn read_names(r: &mut impl ReadTx, app: AppId) -> Result<AttrNames, DbError> {
    let rows = r
        .query(
            "SELECT slot, name FROM push_attr_names WHERE app = $1 ORDER BY slot",
            params![app],
        )
        .await?;
    Ok(rows
        .into_iter()
        .map(|mut row| (row.i64(0) as u8, row.take_str(1)))
        .collect())
}

/// im_set_attr_name.
pub(crate) struct SetAttrNames {
    pub app: AppId,
    pub names: Vec<(String, String)>,
}

impl WriteOp for SetAttrNames {
    type Plan = AttrNames;
    type Out = ();

    async fn check<R: ReadTx>(&self, r: &mut R) -> Result<AttrNames, StoreError> {
        let current = read_names(r, self.app).await?;
        Ok(decide_attr_names(&current, &self.names)?)
    }

    async fn apply<W: WriteTx>(&self, names: AttrNames, w: &mut W) -> Result<(), DbError> {
        w.execute(
            "DELETE FROM push_attr_names WHERE app = $1",
            params![self.app],
        )
        .await?;
        for (slot, name) in &names {
            w.execute(
                "INSERT INTO push_attr_names (app, slot, name) VALUES ($1, $2, $3)",
                params![self.app, *slot as i64, name],
            )
            .await?;
        }
        Ok(())
    }
}

/// im_get_attr_name.
pub(crate) struct GetAttrNames {
    pub app: AppId,
}

impl ReadOp for GetAttrNames {
    type Out = AttrNames;

    async fn read<R: ReadTx>(&self, r: &mut R) -> Result<AttrNames, StoreError> {
        Ok(read_names(r, self.app).await?)
    }
}

/// im_get_attr: values by their slot's current name (a slot without a name hides its value).
pub(crate) struct GetAttrs {
    pub app: AppId,
    pub users: Vec<String>,
}

impl ReadOp for GetAttrs {
    type Out = Vec<(String, Vec<(String, String)>)>;

    async fn read<R: ReadTx>(&self, r: &mut R) -> Result<Self::Out, StoreError> {
        let names = read_names(r, self.app).await?;
        let mut out = Vec::with_capacity(self.users.len());
        for user in &self.users {
            let rows = r
                .query(
                    "SELECT slot, value FROM push_attrs WHERE app = $1 AND user_id = $2 ORDER BY slot",
                    params![self.app, user],
                )
                .await?;
            let attrs = rows
                .into_iter()
                .filter_map(|mut row| {
                    let name = name_of(&names, row.i64(0) as u8)?.to_owned();
                    Some((name, row.take_str(1)))
                })
                .collect();
            out.push((user.clone(), attrs));
        }
        Ok(out)
    }
}

/// im_set_attr.
pub(crate) struct SetAttrs {
    pub app: AppId,
    pub attrs: Vec<(String, Vec<(String, Value)>)>,
}

impl WriteOp for SetAttrs {
    type Plan = Vec<(String, Vec<(u8, String)>)>;
    type Out = ();

    async fn check<R: ReadTx>(&self, r: &mut R) -> Result<Self::Plan, StoreError> {
        let names = read_names(r, self.app).await?;
        let mut plan = Vec::with_capacity(self.attrs.len());
        for (user, attrs) in &self.attrs {
            plan.push((user.clone(), resolve_set(&names, attrs)?));
        }
        Ok(plan)
    }

    async fn apply<W: WriteTx>(&self, plan: Self::Plan, w: &mut W) -> Result<(), DbError> {
        for (user, values) in &plan {
            for (slot, value) in values {
                w.execute(
                    "INSERT INTO push_attrs (app, user_id, slot, value) VALUES ($1, $2, $3, $4)
                     ON CONFLICT (app, user_id, slot) DO UPDATE SET value = excluded.value",
                    params![self.app, user, *slot as i64, value],
                )
                .await?;
            }
        }
        Ok(())
    }
}

/// im_remove_attr.
pub(crate) struct RemoveAttrs {
    pub app: AppId,
    pub attrs: Vec<(String, Vec<String>)>,
}

impl WriteOp for RemoveAttrs {
    type Plan = Vec<(String, Vec<u8>)>;
    type Out = ();

    async fn check<R: ReadTx>(&self, r: &mut R) -> Result<Self::Plan, StoreError> {
        let names = read_names(r, self.app).await?;
        let mut plan = Vec::with_capacity(self.attrs.len());
        for (user, attrs) in &self.attrs {
            plan.push((user.clone(), resolve_remove(&names, attrs)?));
        }
        Ok(plan)
    }

    async fn apply<W: WriteTx>(&self, plan: Self::Plan, w: &mut W) -> Result<(), DbError> {
        for (user, slots) in &plan {
            for slot in slots {
                w.execute(
                    "DELETE FROM push_attrs WHERE app = $1 AND user_id = $2 AND slot = $3",
                    params![self.app, user, *slot as i64],
                )
                .await?;
            }
        }
        Ok(())
    }
}

/// A user's tags in the order they were added, and the next position.
async fn read_tags(
    r: &mut impl ReadTx,
    app: AppId,
    user: &str,
) -> Result<(Vec<String>, i64), DbError> {
    let rows = r
        .query(
            "SELECT tag, pos FROM push_tags WHERE app = $1 AND user_id = $2 ORDER BY pos",
            params![app, user],
        )
        .await?;
    let next = rows.last().map_or(0, |r| r.i64(1) + 1);
    Ok((rows.into_iter().map(|mut r| r.take_str(0)).collect(), next))
}

/// im_get_tag.
pub(crate) struct GetTags {
    pub app: AppId,
    pub users: Vec<String>,
}

impl ReadOp for GetTags {
    type Out = Vec<(String, Vec<String>)>;

    async fn read<R: ReadTx>(&self, r: &mut R) -> Result<Self::Out, StoreError> {
        let mut out = Vec::with_capacity(self.users.len());
        for user in &self.users {
            out.push((user.clone(), read_tags(r, self.app, user).await?.0));
        }
        Ok(out)
    }
}

/// im_add_tag: a user named twice in one request gets both lists, the limit counted over both.
pub(crate) struct AddTags {
    pub app: AppId,
    pub tags: Vec<(String, Vec<String>)>,
}

impl WriteOp for AddTags {
    /// (user, tag, position) to insert.
    type Plan = Vec<(String, String, i64)>;
    type Out = ();

    async fn check<R: ReadTx>(&self, r: &mut R) -> Result<Self::Plan, StoreError> {
        let mut users: HashMap<&str, (Vec<String>, i64)> = HashMap::new();
        let mut plan = Vec::new();
        for (user, add) in &self.tags {
            if !users.contains_key(user.as_str()) {
                users.insert(user, read_tags(r, self.app, user).await?);
            }
            let Some((have, next)) = users.get_mut(user.as_str()) else {
                continue;
            };
            for tag in decide_add_tags(user, have, add)? {
                plan.push((user.clone(), tag.clone(), *next));
                have.push(tag);
                *next += 1;
            }
        }
        Ok(plan)
    }

    async fn apply<W: WriteTx>(&self, plan: Self::Plan, w: &mut W) -> Result<(), DbError> {
        for (user, tag, pos) in &plan {
            w.execute(
                "INSERT INTO push_tags (app, user_id, tag, pos) VALUES ($1, $2, $3, $4)",
                params![self.app, user, tag, *pos],
            )
            .await?;
        }
        Ok(())
    }
}

/// im_remove_tag.
pub(crate) struct RemoveTags {
    pub app: AppId,
    pub tags: Vec<(String, Vec<String>)>,
}

impl WriteOp for RemoveTags {
    type Plan = ();
    type Out = ();

    async fn check<R: ReadTx>(&self, _: &mut R) -> Result<(), StoreError> {
        Ok(())
    }

    async fn apply<W: WriteTx>(&self, _: (), w: &mut W) -> Result<(), DbError> {
        for (user, tags) in &self.tags {
            for tag in tags {
                w.execute(
                    "DELETE FROM push_tags WHERE app = $1 AND user_id = $2 AND tag = $3",
                    params![self.app, user, tag],
                )
                .await?;
            }
        }
        Ok(())
    }
}

/// im_remove_all_tags.
pub(crate) struct RemoveAllTags {
    pub app: AppId,
    pub users: Vec<String>,
}

impl WriteOp for RemoveAllTags {
    type Plan = ();
    type Out = ();

    async fn check<R: ReadTx>(&self, _: &mut R) -> Result<(), StoreError> {
        Ok(())
    }

    async fn apply<W: WriteTx>(&self, _: (), w: &mut W) -> Result<(), DbError> {
        for user in &self.users {
            w.execute(
                "DELETE FROM push_tags WHERE app = $1 AND user_id = $2",
                params![self.app, user],
            )
            .await?;
        }
        Ok(())
    }
}

/// im_push: the task's row. Delivery is [`DeliverBatch`]'s, one batch per transaction.
pub(crate) struct CreatePush {
    pub app: AppId,
    pub push: NewPush,
}

pub(crate) enum CreatePlan {
    Repeat(String),
    New {
        counter: u64,
        task_id: String,
        selector: String,
    },
}

impl WriteOp for CreatePush {
    type Plan = CreatePlan;
    type Out = PushCreated;

    async fn check<R: ReadTx>(&self, r: &mut R) -> Result<CreatePlan, StoreError> {
        let p = &self.push;
        let names = read_names(r, self.app).await?;
        let selector = resolve_condition(&names, &p.condition)?;
        let repeat = r
            .query_opt(
                "SELECT task_id FROM push_tasks WHERE app = $1 AND random = $2 AND created >= $3
                 ORDER BY created DESC LIMIT 1",
                params![self.app, p.random, p.now - DEDUP_SECS],
            )
            .await?
            .map(|mut row| row.take_str(0));
        let newest = r
            .query_opt(
                "SELECT counter, created FROM push_tasks WHERE app = $1 ORDER BY counter DESC LIMIT 1",
                params![self.app],
            )
            .await?;
        let pushes_today = if p.limits {
            r.query_one(
                "SELECT count(*) FROM push_tasks WHERE app = $1 AND created >= $2",
                params![self.app, beijing_day_start(p.now)],
            )
            .await?
            .u64(0)
        } else {
            0
        };
        let facts = PushFacts {
            repeat,
            last_push: newest.as_ref().map(|r| r.i64(1)),
            pushes_today,
            last_counter: newest.as_ref().map_or(0, |r| r.u64(0)),
        };
        Ok(match decide_push(&facts, p.limits, p.now)? {
            PushPlan::Repeat(task) => CreatePlan::Repeat(task),
            PushPlan::New { counter } => CreatePlan::New {
                counter,
                task_id: task_id(self.app, &p.sender, p.random, counter),
                selector: serde_json::to_string(&selector).map_err(StoreError::internal)?,
            },
        })
    }

    async fn apply<W: WriteTx>(&self, plan: CreatePlan, w: &mut W) -> Result<PushCreated, DbError> {
        let (counter, task_id, selector) = match plan {
            CreatePlan::Repeat(task_id) => {
                let counter = w
                    .query_opt(
                        "SELECT counter FROM push_tasks WHERE app = $1 AND task_id = $2",
                        params![self.app, &task_id],
                    )
                    .await?
                    .map_or(0, |r| r.u64(0));
                return Ok(PushCreated {
                    task_id,
                    counter,
                    fresh: false,
                });
            }
            CreatePlan::New {
                counter,
                task_id,
                selector,
            } => (counter, task_id, selector),
        };
        let p = &self.push;
        w.execute(
            "INSERT INTO push_tasks (app, counter, task_id, random, sender, created, life_time,
                 selector, body, offline)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            params![
                self.app,
                counter,
                &task_id,
                p.random,
                &p.sender,
                p.now,
                p.life_time,
                &selector,
                &p.body,
                &p.offline
            ],
        )
        .await?;
        Ok(PushCreated {
            task_id,
            counter,
            fresh: true,
        })
    }
}

/// The SQL and parameters that pick the next `limit` recipients of a task: imported accounts
/// after `cursor` in UserID order, not the sender, matching the selector.
fn recipients_query<'a>(
    app: AppId,
    cursor: &'a str,
    sender: &'a str,
    s: &'a Selector,
    limit: usize,
) -> (String, Vec<Param<'a>>) {
    let mut sql = String::from(
        "SELECT a.user_id FROM accounts a WHERE a.app = $1 AND a.user_id > $2 AND a.user_id <> $3",
    );
    let mut ps: Vec<Param<'a>> = vec![Param::from(app), Param::from(cursor), Param::from(sender)];
    let attr = |ps: &mut Vec<Param<'a>>, slot: u8, value: &'a str| {
        ps.push(Param::from(slot as i64));
        ps.push(Param::from(value));
        format!(
            "EXISTS (SELECT 1 FROM push_attrs p WHERE p.app = a.app AND p.user_id = a.user_id \
             AND p.slot = ${} AND p.value = ${})",
            ps.len() - 1,
            ps.len()
        )
    };
    let tag = |ps: &mut Vec<Param<'a>>, tag: &'a str| {
        ps.push(Param::from(tag));
        format!(
            "EXISTS (SELECT 1 FROM push_tags t WHERE t.app = a.app AND t.user_id = a.user_id \
             AND t.tag = ${})",
            ps.len()
        )
    };
    for (slot, value) in &s.attrs_and {
        sql += &format!(" AND {}", attr(&mut ps, *slot, value));
    }
    if !s.attrs_or.is_empty() {
        let any: Vec<String> = s
            .attrs_or
            .iter()
            .map(|(slot, value)| attr(&mut ps, *slot, value))
            .collect();
        sql += &format!(" AND ({})", any.join(" OR "));
    }
    for t in &s.tags_and {
        sql += &format!(" AND {}", tag(&mut ps, t));
    }
    if !s.tags_or.is_empty() {
        let any: Vec<String> = s.tags_or.iter().map(|t| tag(&mut ps, t)).collect();
        sql += &format!(" AND ({})", any.join(" OR "));
    }
    sql += &format!(" ORDER BY a.user_id LIMIT {limit}");
    (sql, ps)
}

/// One batch of a task's delivery.
pub(crate) struct DeliverBatch {
    pub app: AppId,
    pub counter: u64,
    pub limit: usize,
}

pub(crate) struct BatchPlan {
    users: Vec<String>,
    expires: i64,
    done: bool,
    msg: Pushed,
}

/// What connected recipients are shown: the push as a one-to-one message from its sender.
pub(crate) struct Pushed {
    sender: String,
    random: u32,
    created: i64,
    body: String,
}

/// A delivered batch: whether the task is done, and to whom this batch went.
pub(crate) struct BatchOut {
    pub done: bool,
    users: Vec<String>,
    msg: Option<Pushed>,
}

impl WriteOp for DeliverBatch {
    type Plan = Option<BatchPlan>;
    type Out = BatchOut;

    /// Each recipient of the batch who is connected hears the push as `onRecvNewMessage`
    /// from its sender (push-and-operations.md §1.2: it arrives as a one-to-one message).
    /// It is no stored message: its key has seq 0.
    fn changes(&self, out: &BatchOut, sink: &dyn ChangeSink) -> Option<(AppId, Vec<MemberChange>)> {
        let msg = out.msg.as_ref()?;
        if out.users.is_empty() || !sink.wants(self.app) {
            return None;
        }
        let key = format!("0_{}_{}", msg.random, msg.created);
        let changes = out
            .users
            .iter()
            .map(|to| MemberChange::C2cMessage {
                msg: C2cMsg {
                    from: msg.sender.clone(),
                    to: to.clone(),
                    seq: 0,
                    random: msg.random,
                    time: msg.created,
                    key: key.clone(),
                    body: msg.body.clone(),
                    cloud_custom_data: None,
                    sync_sender: false,
                },
            })
            .collect();
        Some((self.app, changes))
    }

    async fn check<R: ReadTx>(&self, r: &mut R) -> Result<Option<BatchPlan>, StoreError> {
        // On PostgreSQL the task's row is locked first: two nodes resuming one task at
        // start take its batches one after the other, each from the other's cursor.
        let sql = format!(
            "SELECT g.sender, g.created, g.life_time, g.selector, g.cursor, g.done, g.random, g.body
             FROM push_tasks g
             WHERE g.app = $1 AND g.counter = $2{}",
            r.for_update()
        );
        let Some(mut task) = r.query_opt(&sql, params![self.app, self.counter]).await? else {
            return Ok(None);
        };
        if task.bool(5) {
            return Ok(None);
        }
        let sender = task.take_str(0);
        let life_time = task.i64(2);
        let expires = if life_time == 0 {
            0
        } else {
            task.i64(1) + life_time
        };
        let selector: Selector =
            serde_json::from_str(&task.take_str(3)).map_err(StoreError::internal)?;
        let cursor = task.take_str(4);
        let (sql, ps) = recipients_query(self.app, &cursor, &sender, &selector, self.limit);
        let users: Vec<String> = r
            .query(&sql, &ps)
            .await?
            .into_iter()
            .map(|mut row| row.take_str(0))
            .collect();
        let done = users.len() < self.limit;
        let msg = Pushed {
            random: task.u64(6) as u32,
            created: task.i64(1),
            body: task.take_str(7),
            sender,
        };
        Ok(Some(BatchPlan {
            users,
            expires,
            done,
            msg,
        }))
    }

    async fn apply<W: WriteTx>(
        &self,
        plan: Option<BatchPlan>,
        w: &mut W,
    ) -> Result<BatchOut, DbError> {
        let Some(plan) = plan else {
            return Ok(BatchOut {
                done: true,
                users: Vec::new(),
                msg: None,
            });
        };
        for user in &plan.users {
            w.execute(
                "INSERT INTO push_deliveries (app, counter, user_id, expires) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (app, counter, user_id) DO NOTHING",
                params![self.app, self.counter, user, plan.expires],
            )
            .await?;
        }
        let cursor = plan.users.last().map(String::as_str);
        w.execute(
            "UPDATE push_tasks SET cursor = COALESCE($3, cursor), done = $4,
                 recipients = recipients + $5
             WHERE app = $1 AND counter = $2",
            params![
                self.app,
                self.counter,
                cursor,
                plan.done,
                plan.users.len() as i64
            ],
        )
        .await?;
        Ok(BatchOut {
            done: plan.done,
            users: plan.users,
            msg: Some(plan.msg),
        })
    }
}

/// Tasks not yet delivered to the end.
pub(crate) struct UnfinishedPushes;

impl ReadOp for UnfinishedPushes {
    type Out = Vec<(AppId, u64)>;

    async fn read<R: ReadTx>(&self, r: &mut R) -> Result<Self::Out, StoreError> {
        Ok(r.query(
            "SELECT app, counter FROM push_tasks WHERE done = FALSE ORDER BY app, counter",
            params![],
        )
        .await?
        .into_iter()
        .map(|row| (row.u64(0), row.u64(1)))
        .collect())
    }
}

/// One task by its TaskId.
pub(crate) struct ReadPushTask {
    pub app: AppId,
    pub task_id: String,
}

impl ReadOp for ReadPushTask {
    type Out = Option<PushTask>;

    async fn read<R: ReadTx>(&self, r: &mut R) -> Result<Self::Out, StoreError> {
        let row = r
            .query_opt(
                "SELECT counter, sender, random, created, life_time, body, done, recipients
                 FROM push_tasks WHERE app = $1 AND task_id = $2",
                params![self.app, &self.task_id],
            )
            .await?;
        Ok(row.map(|mut row| PushTask {
            task_id: self.task_id.clone(),
            counter: row.u64(0),
            sender: row.take_str(1),
            random: row.u64(2) as u32,
            created: row.i64(3),
            life_time: row.i64(4),
            body: row.take_str(5),
            done: row.bool(6),
            recipients: row.u64(7),
        }))
    }
}

/// A task's delivered recipients.
pub(crate) struct PushRecipients {
    pub app: AppId,
    pub counter: u64,
}

impl ReadOp for PushRecipients {
    type Out = Vec<(String, i64)>;

    async fn read<R: ReadTx>(&self, r: &mut R) -> Result<Self::Out, StoreError> {
        Ok(r.query(
            "SELECT user_id, expires FROM push_deliveries WHERE app = $1 AND counter = $2
                 ORDER BY user_id",
            params![self.app, self.counter],
        )
        .await?
        .into_iter()
        .map(|mut row| (row.take_str(0), row.i64(1)))
        .collect())
    }
}
