//! Community topics (groups-more.md §8): create, import, read, modify, destroy, and the
//! message APIs with `TopicId`. The rules are `timber_core::topic`'s.
//!
//! A topic's messages are a message stream like a group's: rows of `group_messages` under the
//! key -tkey, written by the same code (`append::insert`, `decide_send`'s seq allocation, the
//! admin page, the recall), with the topic's head in its `topics` row. Every topic write first
//! locks the community's row (PostgreSQL), so a topic's seqs are taken one writer at a time,
//! as a group's are.

use super::members::set_mute;
use super::messages::{
    admin_page, after_send_event, duplicate_probe, find_duplicate, mark_recalled, original,
    recall_plan,
};
use super::rows::{accounts_exist, are_members, find_group, find_member, locked_group, read_one};
use super::{append, ReadOp, SinkOp, WriteOp};
use crate::messages::HistoryQuery;
use crate::sql::{params, ReadTx, Row, WriteTx};
use crate::{DbError, StoreError};
use serde_json::{json, Map, Value};
use timber_core::callback::{self as cb, Event};
use timber_core::group::{
    decide_mute, last_seq, require_group, Change, GroupRecord, MemberRecord, Role,
};
use timber_core::message::{
    decide_import, decide_modify, decide_send, dedup_since, delete_by_sender_from, ImportMsg,
    ImportPlan, Imported, Modified, MsgHead, PageSink, RecallPlan, Retention, SendFacts, SendMsg,
    SendPlan, Sent, SlotState,
};
use timber_core::topic::{
    decide_create_topic, generated_topic_id, require_topic, require_topic_community,
    topic_not_found, validate_topic_id, TopicProfile, TopicRecord,
};
use timber_core::{AppId, Error, ErrorCode};

const TOPIC_COLUMNS: &str = "t.tkey, t.topic_id, t.name, t.face_url, t.notification, \
    t.introduction, t.custom_string, t.creator, t.create_time, t.last_msg_time, t.next_msg_seq, \
    t.mute_all";

fn topic_from_row(r: &mut Row, group_id: &str) -> TopicRecord {
    TopicRecord {
        key: r.i64(0),
        topic_id: r.take_str(1),
        group_id: group_id.to_owned(),
        name: r.take_str(2),
        face_url: r.take_str(3),
        notification: r.take_str(4),
        introduction: r.take_str(5),
        custom_string: r.take_str(6),
        creator: r.take_str(7),
        create_time: r.i64(8),
        last_msg_time: r.i64(9),
        next_msg_seq: r.u64(10),
        mute_all: r.bool(11),
    }
}

/// The key a topic's messages are stored under: never a group's (those are positive).
fn stream_key(t: &TopicRecord) -> i64 {
    -t.key
}

/// The topic `topic_id` of the community `g`, if any (none for an ID that is not one of
/// `g`'s, e.g. an entry of a list that was not checked: nothing is looked up then).
async fn find_topic(
    r: &mut impl ReadTx,
    app: AppId,
    g: &GroupRecord,
    topic_id: &str,
) -> Result<Option<TopicRecord>, DbError> {
    if validate_topic_id(&g.group_id, topic_id).is_err() {
        return Ok(None);
    }
    let sql = format!(
        "SELECT {TOPIC_COLUMNS} FROM topics t WHERE t.app = $1 AND t.gkey = $2 AND t.topic_id = $3"
    );
    let row = r.query_opt(&sql, params![app, g.key, topic_id]).await?;
    Ok(row.map(|mut row| topic_from_row(&mut row, &g.group_id)))
}

/// Every topic of the community `g`, in creation order.
async fn all_topics(
    r: &mut impl ReadTx,
    app: AppId,
    g: &GroupRecord,
) -> Result<Vec<TopicRecord>, DbError> {
    let sql = format!(
        "SELECT {TOPIC_COLUMNS} FROM topics t WHERE t.app = $1 AND t.gkey = $2 ORDER BY t.tkey"
    );
    let rows = r.query(&sql, params![app, g.key]).await?;
    Ok(rows
        .into_iter()
        .map(|mut row| topic_from_row(&mut row, &g.group_id))
        .collect())
}

/// The community `group_id` (locked for a write when `lock`), which must take topics, and
/// its topic `topic_id` (10010 when there is none).
async fn community_and_topic(
    r: &mut impl ReadTx,
    app: AppId,
    group_id: &str,
    topic_id: &str,
    lock: bool,
) -> Result<(GroupRecord, TopicRecord), StoreError> {
    let g = if lock {
        locked_group(r, app, group_id).await?
    } else {
        require_group(find_group(r, app, group_id).await?, group_id)?
    };
    require_topic_community(&g)?;
    let t = require_topic(find_topic(r, app, &g, topic_id).await?, topic_id)?;
    Ok((g, t))
}

/// The topic as the message machinery sees a group: the community's type, members and rules
/// with the topic's key, ID, head and mute-all flag. Topics have no clear (clear_group_msg
/// refuses Community) and no read floor.
fn as_stream(g: &GroupRecord, t: &TopicRecord) -> GroupRecord {
    GroupRecord {
        key: stream_key(t),
        group_id: t.topic_id.clone(),
        last_msg_time: t.last_msg_time,
        next_msg_seq: t.next_msg_seq,
        mute_all: g.mute_all || t.mute_all,
        // Imports into the topic may not be older than the topic (§8.7).
        create_time: t.create_time,
        cleared_upto: 0,
        read_floor: 0,
        ..g.clone()
    }
}

/// Queues a destroyed topic's messages for the background purge.
async fn drop_topic(
    w: &mut impl WriteTx,
    app: AppId,
    t: &TopicRecord,
    now: i64,
) -> Result<(), DbError> {
    w.execute("DELETE FROM topics WHERE tkey = $1", params![t.key])
        .await?;
    w.execute(
        "INSERT INTO purge_queue (gkey, app, queued_at) VALUES ($1, $2, $3)",
        params![stream_key(t), app, now],
    )
    .await?;
    Ok(())
}

/// destroy_group of a community takes its topics along (§8.6; only
/// Group.CallbackAfterGroupDestroyed fires).
pub(super) async fn drop_all(
    w: &mut impl WriteTx,
    app: AppId,
    g: &GroupRecord,
    now: i64,
) -> Result<(), DbError> {
    if !g.support_topic {
        return Ok(());
    }
    for t in all_topics(w, app, g).await? {
        drop_topic(w, app, &t, now).await?;
    }
    Ok(())
}

/// create_topic and import_topic.
pub(crate) struct CreateTopic {
    pub app: AppId,
    pub group_id: String,
    /// A custom ID (already checked against the community's ID); `None` = generated.
    pub topic_id: Option<String>,
    /// `name` is always given.
    pub profile: TopicProfile,
    /// `From_Account`, or the calling admin.
    pub creator: String,
    pub create_time: i64,
    /// import_topic: no callback.
    pub import: bool,
}

impl WriteOp for CreateTopic {
    type Plan = GroupRecord;
    type Out = (GroupRecord, String);

    async fn check<R: ReadTx>(&self, r: &mut R) -> Result<GroupRecord, StoreError> {
        let g = locked_group(r, self.app, &self.group_id).await?;
        let taken = match &self.topic_id {
            Some(id) => {
                r.query_opt(
                    "SELECT 1 FROM topics WHERE app = $1 AND topic_id = $2",
                    params![self.app, id],
                )
                .await?
                .is_some()
                    // A group whose ID is the topic's (a custom group ID may hold @TOPIC#_).
                    || find_group(r, self.app, id).await?.is_some()
            }
            None => false,
        };
        let count = r
            .query_one(
                "SELECT count(*) FROM topics WHERE app = $1 AND gkey = $2",
                params![self.app, g.key],
            )
            .await?
            .u64(0);
        decide_create_topic(&g, taken, count)?;
        Ok(g)
    }

    async fn apply<W: WriteTx>(
        &self,
        g: GroupRecord,
        w: &mut W,
    ) -> Result<(GroupRecord, String), DbError> {
        let p = &self.profile;
        // A generated ID needs the key: the row is inserted under a placeholder no request
        // can name (it holds a control character), then given its ID.
        let provisional = match &self.topic_id {
            Some(id) => id.clone(),
            None => format!("\u{1}{}", self.group_id),
        };
        let row = w
            .query_opt(
                "INSERT INTO topics (app, gkey, topic_id, name, face_url, notification,
                     introduction, custom_string, creator, create_time)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
                 ON CONFLICT (app, topic_id) DO NOTHING RETURNING tkey",
                params![
                    self.app,
                    g.key,
                    &provisional,
                    p.name.as_deref().unwrap_or(""),
                    p.face_url.as_deref().unwrap_or(""),
                    p.notification.as_deref().unwrap_or(""),
                    p.introduction.as_deref().unwrap_or(""),
                    p.custom_string.as_deref().unwrap_or(""),
                    &self.creator,
                    self.create_time,
                ],
            )
            .await?;
        // Another node took the custom ID since the check: checked again, it is in use.
        let Some(row) = row else {
            return Err(DbError::Conflict(format!(
                "topic ID {provisional:?} was just taken"
            )));
        };
        let tkey = row.i64(0);
        let topic_id = match &self.topic_id {
            Some(id) => id.clone(),
            None => {
                let id = generated_topic_id(&self.group_id, tkey as u64);
                w.execute(
                    "UPDATE topics SET topic_id = $2 WHERE tkey = $1",
                    params![tkey, &id],
                )
                .await?;
                id
            }
        };
        Ok((g, topic_id))
    }

    fn callbacks(&self) -> Option<(AppId, &'static [&'static str])> {
        (!self.import).then_some((self.app, &[cb::GROUP_AFTER_CREATE_TOPIC][..]))
    }

    async fn events<W: WriteTx>(
        &self,
        (g, topic_id): &(GroupRecord, String),
        _: &[&'static str],
        _: &mut W,
    ) -> Result<Vec<Event>, DbError> {
        Ok(vec![Event::new(
            cb::GROUP_AFTER_CREATE_TOPIC,
            cb::group_ordering(&g.group_id),
            json!({
                "GroupId": g.group_id,
                "TopicId": topic_id,
                "Type": g.ty.as_str(),
                "Operator_Account": self.creator,
                "Owner_Account": g.owner,
                "Name": self.profile.name.as_deref().unwrap_or(""),
            }),
        )])
    }
}

/// What get_topic answers: per requested topic (all of them when none is named) the topic or
/// 10010, and the member's record in the community for `SelfInfo`.
#[derive(Debug)]
pub struct TopicsView {
    pub topics: Vec<(String, Result<TopicRecord, Error>)>,
    pub member: Option<MemberRecord>,
}

/// get_topic.
pub(crate) struct GetTopics {
    pub app: AppId,
    pub group_id: String,
    pub topic_ids: Option<Vec<String>>,
    pub member: Option<String>,
}

impl ReadOp for GetTopics {
    type Out = TopicsView;

    async fn read<R: ReadTx>(&self, r: &mut R) -> Result<TopicsView, StoreError> {
        let g = require_group(
            find_group(r, self.app, &self.group_id).await?,
            &self.group_id,
        )?;
        require_topic_community(&g)?;
        let topics = match &self.topic_ids {
            None => all_topics(r, self.app, &g)
                .await?
                .into_iter()
                .map(|t| (t.topic_id.clone(), Ok(t)))
                .collect(),
            Some(ids) => {
                let mut out = Vec::with_capacity(ids.len());
                for id in ids {
                    let t = find_topic(r, self.app, &g, id).await?;
                    out.push((id.clone(), require_topic(t, id)));
                }
                out
            }
        };
        let member = match &self.member {
            Some(m) => find_member(r, self.app, g.key, m).await?,
            None => None,
        };
        Ok(TopicsView { topics, member })
    }
}

/// modify_topic.
pub(crate) struct ModifyTopic {
    pub app: AppId,
    pub group_id: String,
    pub topic_id: String,
    pub profile: TopicProfile,
    pub mute_all: Option<bool>,
    pub operator: String,
}

impl WriteOp for ModifyTopic {
    type Plan = TopicRecord;
    type Out = GroupRecord;

    async fn check<R: ReadTx>(&self, r: &mut R) -> Result<TopicRecord, StoreError> {
        let (_, t) = community_and_topic(r, self.app, &self.group_id, &self.topic_id, true).await?;
        Ok(t)
    }

    async fn apply<W: WriteTx>(&self, t: TopicRecord, w: &mut W) -> Result<GroupRecord, DbError> {
        let p = &self.profile;
        w.execute(
            "UPDATE topics SET name = $2, face_url = $3, notification = $4, introduction = $5,
                 custom_string = $6, mute_all = $7 WHERE tkey = $1",
            params![
                t.key,
                p.name.as_deref().unwrap_or(&t.name),
                p.face_url.as_deref().unwrap_or(&t.face_url),
                p.notification.as_deref().unwrap_or(&t.notification),
                p.introduction.as_deref().unwrap_or(&t.introduction),
                p.custom_string.as_deref().unwrap_or(&t.custom_string),
                self.mute_all.unwrap_or(t.mute_all),
            ],
        )
        .await?;
        // The community, for the event's `Type` (read again: apply got only the topic).
        let g = find_group(w, self.app, &self.group_id).await?;
        g.ok_or_else(|| DbError::internal("the locked community is gone"))
    }

    fn callbacks(&self) -> Option<(AppId, &'static [&'static str])> {
        Some((self.app, &[cb::GROUP_AFTER_TOPIC_INFO_CHANGED]))
    }

    async fn events<W: WriteTx>(
        &self,
        g: &GroupRecord,
        _: &[&'static str],
        _: &mut W,
    ) -> Result<Vec<Event>, DbError> {
        let p = &self.profile;
        let mut fields = Map::new();
        fields.insert("GroupId".into(), g.group_id.clone().into());
        fields.insert("TopicId".into(), self.topic_id.clone().into());
        fields.insert("Type".into(), g.ty.as_str().into());
        fields.insert("Operator_Account".into(), self.operator.clone().into());
        for (name, value) in [
            ("Name", &p.name),
            ("Introduction", &p.introduction),
            ("Notification", &p.notification),
            ("FaceUrl", &p.face_url),
        ] {
            if let Some(v) = value {
                fields.insert(name.into(), v.clone().into());
            }
        }
        Ok(vec![Event::new(
            cb::GROUP_AFTER_TOPIC_INFO_CHANGED,
            cb::group_ordering(&g.group_id),
            Value::Object(fields),
        )])
    }
}

/// destroy_topic.
pub(crate) struct DestroyTopics {
    pub app: AppId,
    pub group_id: String,
    pub topic_ids: Vec<String>,
    pub now: i64,
}

impl WriteOp for DestroyTopics {
    type Plan = (GroupRecord, Vec<(String, Result<TopicRecord, Error>)>);
    type Out = (GroupRecord, Vec<(String, Option<ErrorCode>)>);

    async fn check<R: ReadTx>(&self, r: &mut R) -> Result<Self::Plan, StoreError> {
        let g = locked_group(r, self.app, &self.group_id).await?;
        require_topic_community(&g)?;
        let mut found = Vec::with_capacity(self.topic_ids.len());
        for id in &self.topic_ids {
            let seen = found
                .iter()
                .any(|(prev, t): &(String, Result<TopicRecord, Error>)| prev == id && t.is_ok());
            // A topic named twice is disbanded once; the second mention finds it gone.
            let t = match seen {
                true => Err(topic_not_found(id)),
                false => require_topic(find_topic(r, self.app, &g, id).await?, id),
            };
            found.push((id.clone(), t));
        }
        Ok((g, found))
    }

    async fn apply<W: WriteTx>(
        &self,
        (g, found): Self::Plan,
        w: &mut W,
    ) -> Result<Self::Out, DbError> {
        let mut results = Vec::with_capacity(found.len());
        for (id, t) in found {
            match t {
                Ok(t) => {
                    drop_topic(w, self.app, &t, self.now).await?;
                    results.push((id, None));
                }
                Err(e) => results.push((id, Some(e.code))),
            }
        }
        Ok((g, results))
    }

    fn callbacks(&self) -> Option<(AppId, &'static [&'static str])> {
        Some((self.app, &[cb::GROUP_AFTER_TOPIC_DESTROYED]))
    }

    async fn events<W: WriteTx>(
        &self,
        (g, results): &Self::Out,
        _: &[&'static str],
        _: &mut W,
    ) -> Result<Vec<Event>, DbError> {
        let gone: Vec<&str> = results
            .iter()
            .filter(|(_, code)| code.is_none())
            .map(|(id, _)| id.as_str())
            .collect();
        if gone.is_empty() {
            return Ok(Vec::new());
        }
        Ok(vec![Event::new(
            cb::GROUP_AFTER_TOPIC_DESTROYED,
            cb::group_ordering(&g.group_id),
            json!({"GroupId": g.group_id, "Type": g.ty.as_str(), "TopicIdList": gone}),
        )])
    }
}

/// send_group_msg with `TopicId`: the group send's decision (`decide_send`) on the topic's
/// head, the community's sender, mutes (the community's or the topic's, whichever ends
/// later) and mute-all (or the topic's), and the duplicate window of the topic's stream;
/// stored by the group send's own insert.
pub(crate) struct SendTopicMessage {
    pub app: AppId,
    pub group_id: String,
    pub topic_id: String,
    pub send: SendMsg,
}

impl WriteOp for SendTopicMessage {
    type Plan = (GroupRecord, SendPlan);
    type Out = Sent;

    async fn check<R: ReadTx>(&self, r: &mut R) -> Result<Self::Plan, StoreError> {
        let msg = &self.send.msg;
        let (g, t) = community_and_topic(r, self.app, &self.group_id, &self.topic_id, true).await?;
        let stream = as_stream(&g, &t);
        let sql = format!(
            "SELECT EXISTS (SELECT 1 FROM accounts WHERE app = $1 AND user_id = $3),
                 m.role, m.last_send_time,
                 (SELECT max(mute_until) FROM group_mutes u
                  WHERE u.app = $1 AND u.gkey IN ($2, $6) AND u.user_id = $3),
                 ({})
             FROM (SELECT 1 AS one) o
             LEFT JOIN group_members m ON m.app = $1 AND m.gkey = $2 AND m.user_id = $3",
            duplicate_probe("$6", "$4", "$5"),
        );
        let row = r
            .query_one(
                &sql,
                params![
                    self.app,
                    g.key,
                    &msg.from,
                    msg.random,
                    dedup_since(msg.time),
                    stream.key
                ],
            )
            .await?;
        let duplicate = match row.opt_i64(4) {
            Some(seq) => Some(original(r, self.app, stream.key, seq as u64).await?),
            None => None,
        };
        let receivers: Vec<&str> = msg.to_accounts.iter().map(String::as_str).collect();
        let facts = SendFacts {
            ty: g.ty,
            head: MsgHead {
                next_msg_seq: stream.next_msg_seq,
                last_msg_time: stream.last_msg_time,
            },
            mute_all: stream.mute_all,
            sender_exists: row.bool(0),
            role: row.opt_i64(1).map(Role::from_db),
            last_send_time: row.opt_i64(2).unwrap_or(0),
            mute_until: row.opt_i64(3).unwrap_or(0),
            duplicate,
            receivers_are_members: are_members(r, self.app, g.key, &receivers).await?,
        };
        let plan = decide_send(&self.topic_id, &self.send, &facts)?;
        Ok((stream, plan))
    }

    async fn apply<W: WriteTx>(
        &self,
        (stream, plan): Self::Plan,
        w: &mut W,
    ) -> Result<Sent, DbError> {
        let msg = &self.send.msg;
        let (seq, head, keep_row, touch_sender) = match plan {
            SendPlan::Duplicate(original) => return Ok(original),
            SendPlan::Store {
                seq,
                head,
                keep_row,
                touch_sender,
                ..
            } => (seq, head, keep_row, touch_sender),
        };
        // The topic's head; topics are not in conversation lists (no contact head).
        w.execute(
            "UPDATE topics SET next_msg_seq = $2, last_msg_time = $3 WHERE tkey = $1",
            params![-stream.key, head.next_msg_seq, head.last_msg_time],
        )
        .await?;
        if keep_row {
            append::insert(w, self.app, stream.key, seq, msg).await?;
        }
        if touch_sender {
            w.execute(
                "UPDATE group_members SET last_send_time = $4
                 WHERE app = $1 AND gkey = (SELECT gkey FROM groups WHERE app = $1 AND group_id = $2)
                   AND user_id = $3",
                params![self.app, &self.group_id, &msg.from, msg.time],
            )
            .await?;
        }
        Ok(Sent {
            seq,
            time: msg.time,
            duplicate: false,
        })
    }

    fn callbacks(&self) -> Option<(AppId, &'static [&'static str])> {
        self.send
            .callback
            .is_some()
            .then_some((self.app, &[cb::GROUP_AFTER_SEND][..]))
    }

    async fn events<W: WriteTx>(
        &self,
        sent: &Sent,
        _: &[&'static str],
        w: &mut W,
    ) -> Result<Vec<Event>, DbError> {
        let topic = Some(self.topic_id.as_str());
        after_send_event(w, self.app, &self.group_id, topic, &self.send, sent).await
    }

    /// Members of the community hear it as a group message naming the topic.
    fn changes(
        &self,
        out: &Sent,
        sink: &dyn timber_core::member::ChangeSink,
    ) -> Option<(AppId, Vec<timber_core::member::Change>)> {
        if out.duplicate || !sink.wants(self.app) {
            return None;
        }
        let msg = super::messages::live_group_msg(&self.send, out, Some(&self.topic_id));
        let change = timber_core::member::Change::GroupMessage {
            group_id: self.group_id.clone(),
            msg,
        };
        Some((self.app, vec![change]))
    }
}

/// group_msg_get_simple with `TopicId`: the admin's page of the topic's stream.
pub(crate) struct TopicHistory {
    pub app: AppId,
    pub group_id: String,
    pub topic_id: String,
    pub query: HistoryQuery,
    pub retention: Retention,
}

impl SinkOp for TopicHistory {
    type Out = u8;

    async fn read_into<R: ReadTx>(
        &self,
        r: &mut R,
        sink: &mut dyn PageSink,
    ) -> Result<u8, StoreError> {
        let (_, t) =
            community_and_topic(r, self.app, &self.group_id, &self.topic_id, false).await?;
        let last = last_seq(t.next_msg_seq);
        admin_page(
            r,
            self.app,
            stream_key(&t),
            last,
            &self.query,
            self.retention,
            sink,
        )
        .await
    }
}

/// group_msg_recall with `TopicId`: `MsgSeqList` are the topic's seqs.
pub(crate) struct TopicRecall {
    pub app: AppId,
    pub group_id: String,
    pub topic_id: String,
    pub seqs: Vec<u64>,
    pub retention: Retention,
    /// Who recalled, as in `Recall`.
    pub operator: String,
}

impl WriteOp for TopicRecall {
    type Plan = (GroupRecord, RecallPlan);
    type Out = Vec<Result<(), ErrorCode>>;

    async fn check<R: ReadTx>(&self, r: &mut R) -> Result<Self::Plan, StoreError> {
        let (g, t) = community_and_topic(r, self.app, &self.group_id, &self.topic_id, true).await?;
        let stream = as_stream(&g, &t);
        let plan = recall_plan(r, self.app, &stream, &self.seqs, self.retention).await?;
        Ok((g, plan))
    }

    async fn apply<W: WriteTx>(
        &self,
        (g, plan): Self::Plan,
        w: &mut W,
    ) -> Result<Self::Out, DbError> {
        let t = find_topic(w, self.app, &g, &self.topic_id)
            .await?
            .ok_or_else(|| DbError::internal("the checked topic is gone"))?;
        mark_recalled(w, self.app, stream_key(&t), &plan).await?;
        Ok(plan.results)
    }

    fn callbacks(&self) -> Option<(AppId, &'static [&'static str])> {
        Some((self.app, &[cb::GROUP_AFTER_RECALL]))
    }

    async fn events<W: WriteTx>(
        &self,
        results: &Self::Out,
        _: &[&'static str],
        w: &mut W,
    ) -> Result<Vec<Event>, DbError> {
        let recalled: Vec<_> = self
            .seqs
            .iter()
            .zip(results)
            .filter(|(_, r)| r.is_ok())
            .map(|(seq, _)| json!({ "MsgSeq": seq }))
            .collect();
        let Some(g) = find_group(w, self.app, &self.group_id).await? else {
            return Ok(Vec::new());
        };
        if recalled.is_empty() {
            return Ok(Vec::new());
        }
        Ok(vec![Event::new(
            cb::GROUP_AFTER_RECALL,
            cb::group_ordering(&g.group_id),
            json!({
                "Operator_Account": self.operator,
                "Type": g.ty.as_str(),
                "GroupId": g.group_id,
                "TopicId": self.topic_id,
                "MsgSeqList": recalled,
            }),
        )])
    }
}

/// import_group_msg with `TopicId`: the group import's decision on the topic's stream (seqs
/// from the topic's head, `SendTime` not before the topic's `CreateTime` nor its newest
/// message). Topics have no read floor or conversation head, so `RecentContactFlag` moves
/// nothing.
pub(crate) struct TopicImport {
    pub app: AppId,
    pub group_id: String,
    pub topic_id: String,
    pub msgs: Vec<ImportMsg>,
    pub now: i64,
}

impl WriteOp for TopicImport {
    type Plan = (i64, ImportPlan);
    type Out = Vec<Imported>;

    async fn check<R: ReadTx>(&self, r: &mut R) -> Result<Self::Plan, StoreError> {
        let (g, t) = community_and_topic(r, self.app, &self.group_id, &self.topic_id, true).await?;
        let stream = as_stream(&g, &t);
        let mut stored_duplicates = Vec::with_capacity(self.msgs.len());
        for m in &self.msgs {
            stored_duplicates.push(match m.random {
                Some(random) => {
                    find_duplicate(r, self.app, stream.key, random, m.send_time).await?
                }
                None => None,
            });
        }
        let plan = decide_import(&stream, &self.msgs, &stored_duplicates, false, self.now)?;
        Ok((stream.key, plan))
    }

    async fn apply<W: WriteTx>(
        &self,
        (key, plan): Self::Plan,
        w: &mut W,
    ) -> Result<Vec<Imported>, DbError> {
        for (seq, msg) in &plan.appends.rows {
            append::insert(w, self.app, key, *seq, msg).await?;
        }
        if let Some(head) = plan.appends.head {
            w.execute(
                "UPDATE topics SET next_msg_seq = $2, last_msg_time = $3 WHERE tkey = $1",
                params![-key, head.next_msg_seq, head.last_msg_time],
            )
            .await?;
        }
        Ok(plan.results)
    }
}

/// openim/modify_group_msg with `TopicId`: `MsgSeq` is the topic's.
pub(crate) struct TopicModify {
    pub app: AppId,
    pub group_id: String,
    pub topic_id: String,
    pub seq: u64,
    pub body: Option<String>,
    pub cloud_custom_data: Option<String>,
    pub max_bytes: usize,
    pub retention: Retention,
}

impl WriteOp for TopicModify {
    type Plan = (i64, Modified);
    type Out = ();

    async fn check<R: ReadTx>(&self, r: &mut R) -> Result<Self::Plan, StoreError> {
        let (g, t) = community_and_topic(r, self.app, &self.group_id, &self.topic_id, true).await?;
        let stream = as_stream(&g, &t);
        let stored = read_one(r, self.app, stream.key, self.seq).await?;
        let modified = decide_modify(
            &stream,
            self.seq,
            stored,
            self.body.as_deref(),
            self.cloud_custom_data.as_deref(),
            self.max_bytes,
            self.retention,
        )?;
        Ok((stream.key, modified))
    }

    async fn apply<W: WriteTx>(&self, (key, m): Self::Plan, w: &mut W) -> Result<(), DbError> {
        w.execute(
            "UPDATE group_messages SET body = $4, cloud_custom_data = $5
             WHERE app = $1 AND gkey = $2 AND seq = $3",
            params![self.app, key, self.seq, &m.body, &m.cloud_custom_data],
        )
        .await?;
        Ok(())
    }
}

/// delete_group_msg_by_sender with `TopicId`: the sender's messages among the topic's newest
/// 1,000.
pub(crate) struct TopicDeleteBySender {
    pub app: AppId,
    pub group_id: String,
    pub topic_id: String,
    pub sender: String,
}

impl WriteOp for TopicDeleteBySender {
    type Plan = (i64, Option<u64>);
    type Out = u64;

    async fn check<R: ReadTx>(&self, r: &mut R) -> Result<Self::Plan, StoreError> {
        let (g, t) = community_and_topic(r, self.app, &self.group_id, &self.topic_id, true).await?;
        let stream = as_stream(&g, &t);
        Ok((stream.key, delete_by_sender_from(&stream)?))
    }

    async fn apply<W: WriteTx>(&self, (key, from): Self::Plan, w: &mut W) -> Result<u64, DbError> {
        let Some(from) = from else {
            return Ok(0);
        };
        w.execute(
            "UPDATE group_messages SET state = $5
             WHERE app = $1 AND gkey = $2 AND seq >= $3 AND sender = $4 AND state = $6",
            params![
                self.app,
                key,
                from,
                &self.sender,
                SlotState::Recalled.to_db(),
                SlotState::Normal.to_db()
            ],
        )
        .await
    }
}

/// forbid_send_msg with `TopicId`: a mute in the topic only (§8.1), kept as a group's mute
/// under the topic's stream key, with its tip in the topic's history.
pub(crate) struct TopicMute {
    pub app: AppId,
    pub group_id: String,
    pub topic_id: String,
    pub accounts: Vec<String>,
    pub mute_time: u64,
    pub operator: String,
    pub now: i64,
}

impl WriteOp for TopicMute {
    type Plan = (i64, timber_core::group::MutePlan);
    type Out = ();

    async fn check<R: ReadTx>(&self, r: &mut R) -> Result<Self::Plan, StoreError> {
        let (g, t) = community_and_topic(r, self.app, &self.group_id, &self.topic_id, true).await?;
        let stream = as_stream(&g, &t);
        let names: Vec<&str> = self.accounts.iter().map(String::as_str).collect();
        let exist = accounts_exist(r, self.app, &names).await?;
        let by = Change {
            operator: &self.operator,
            now: self.now,
        };
        let plan = decide_mute(&stream, &self.accounts, &exist, self.mute_time, by)?;
        Ok((stream.key, plan))
    }

    async fn apply<W: WriteTx>(&self, (key, plan): Self::Plan, w: &mut W) -> Result<(), DbError> {
        for a in &self.accounts {
            set_mute(w, self.app, key, a, plan.mute).await?;
        }
        for (seq, msg) in &plan.appends.rows {
            append::insert(w, self.app, key, *seq, msg).await?;
        }
        if let Some(head) = plan.appends.head {
            w.execute(
                "UPDATE topics SET next_msg_seq = $2, last_msg_time = $3 WHERE tkey = $1",
                params![-key, head.next_msg_seq, head.last_msg_time],
            )
            .await?;
        }
        Ok(())
    }
}

/// get_group_muted_account with `TopicId`: the topic's own mutes running at `now`.
pub(crate) struct TopicMuted {
    pub app: AppId,
    pub group_id: String,
    pub topic_id: String,
    pub now: i64,
}

impl ReadOp for TopicMuted {
    type Out = Vec<(String, i64)>;

    async fn read<R: ReadTx>(&self, r: &mut R) -> Result<Self::Out, StoreError> {
        let (_, t) =
            community_and_topic(r, self.app, &self.group_id, &self.topic_id, false).await?;
        let rows = r
            .query(
                "SELECT user_id, mute_until FROM group_mutes
                 WHERE app = $1 AND gkey = $2 AND mute_until > $3 ORDER BY user_id",
                params![self.app, stream_key(&t), self.now],
            )
            .await?;
        Ok(rows
            .into_iter()
            .map(|mut r| (r.take_str(0), r.i64(1)))
            .collect())
    }
}
