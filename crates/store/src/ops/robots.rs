//! Chatbots: the flag on an account, and the chunks of streamed replies.
//! spec: push-and-operations.md §6, §8; the rules are `timber_core::robot`'s.

use super::accounts::Import;
use super::c2c::{ModifyC2c, SendC2c};
use super::profiles::SetPortrait;
use super::{ReadOp, WriteOp};
use crate::sql::{params, ReadTx, WriteTx};
use crate::{DbError, StoreError};
use timber_core::c2c::C2cSent;
use timber_core::callback::Event;
use timber_core::member::{Change, ChangeSink};
use timber_core::profile::{ProfileChange, ProfileItem};
use timber_core::robot::{decide_append, decide_create, stream_body, Stream};
use timber_core::{AppId, Error, ErrorCode};

pub(super) async fn valid_robots(r: &mut impl ReadTx, app: AppId) -> Result<Vec<String>, DbError> {
    Ok(r.query(
        "SELECT user_id FROM robots WHERE app = $1 AND valid = TRUE ORDER BY user_id",
        params![app],
    )
    .await?
    .into_iter()
    .map(|mut row| row.take_str(0))
    .collect())
}

/// create_robot's flag (the account itself is imported by the caller afterwards).
pub(crate) struct Flag {
    pub app: AppId,
    pub user: String,
}

impl WriteOp for Flag {
    type Plan = ();
    type Out = ();

    async fn check<R: ReadTx>(&self, r: &mut R) -> Result<(), StoreError> {
        Ok(decide_create(
            &valid_robots(r, self.app).await?,
            &self.user,
        )?)
    }

    async fn apply<W: WriteTx>(&self, _: (), w: &mut W) -> Result<(), DbError> {
        w.execute(
            "INSERT INTO robots (app, user_id, valid) VALUES ($1, $2, TRUE)
             ON CONFLICT (app, user_id) DO UPDATE SET valid = TRUE",
            params![self.app, &self.user],
        )
        .await?;
        Ok(())
    }
}

/// delete_robot: 10004 for an account that is not a valid chatbot.
pub(crate) struct Unflag {
    pub app: AppId,
    pub user: String,
}

impl WriteOp for Unflag {
    type Plan = ();
    type Out = ();

    async fn check<R: ReadTx>(&self, r: &mut R) -> Result<(), StoreError> {
        if !valid_robots(r, self.app).await?.contains(&self.user) {
            return Err(Error::new(
                ErrorCode::GroupInvalidParameter,
                format!("{:?} is not a chatbot", self.user),
            )
            .into());
        }
        Ok(())
    }

    async fn apply<W: WriteTx>(&self, _: (), w: &mut W) -> Result<(), DbError> {
        w.execute(
            "UPDATE robots SET valid = FALSE WHERE app = $1 AND user_id = $2",
            params![self.app, &self.user],
        )
        .await?;
        Ok(())
    }
}

/// The app's valid chatbots, sorted.
pub(crate) struct List {
    pub app: AppId,
}

impl ReadOp for List {
    type Out = Vec<String>;

    async fn read<R: ReadTx>(&self, r: &mut R) -> Result<Vec<String>, StoreError> {
        Ok(valid_robots(r, self.app).await?)
    }
}

/// The first chunk of a streamed reply, after its message was stored under `key`.
pub(crate) struct StartStream {
    pub app: AppId,
    pub key: String,
    pub stream: Stream,
}

impl WriteOp for StartStream {
    type Plan = ();
    type Out = ();

    async fn check<R: ReadTx>(&self, _: &mut R) -> Result<(), StoreError> {
        Ok(())
    }

    async fn apply<W: WriteTx>(&self, _: (), w: &mut W) -> Result<(), DbError> {
        let chunks = serde_json::to_string(&self.stream.chunks).map_err(DbError::internal)?;
        w.execute(
            "INSERT INTO robot_streams (app, msg_key, from_id, to_id, chunks, finished)
             VALUES ($1, $2, $3, $4, $5, $6)",
            params![
                self.app,
                &self.key,
                &self.stream.from,
                &self.stream.to,
                &chunks,
                self.stream.finished
            ],
        )
        .await?;
        Ok(())
    }
}

/// A later chunk: the stream with it appended (10004 for an unknown, foreign or finished
/// stream, and for a bot that is no longer valid).
pub(crate) struct AppendStream {
    pub app: AppId,
    pub key: String,
    pub from: String,
    pub chunk: String,
    pub finish: bool,
}

impl WriteOp for AppendStream {
    type Plan = Stream;
    type Out = Stream;

    async fn check<R: ReadTx>(&self, r: &mut R) -> Result<Stream, StoreError> {
        if !valid_robots(r, self.app).await?.contains(&self.from) {
            return Err(Error::new(
                ErrorCode::GroupInvalidParameter,
                format!("{:?} is not a chatbot", self.from),
            )
            .into());
        }
        let stream = r
            .query_opt(
                "SELECT from_id, to_id, chunks, finished FROM robot_streams
                 WHERE app = $1 AND msg_key = $2",
                params![self.app, &self.key],
            )
            .await?
            .map(|mut row| -> Result<Stream, DbError> {
                Ok(Stream {
                    from: row.take_str(0),
                    to: row.take_str(1),
                    chunks: serde_json::from_str(&row.take_str(2)).map_err(DbError::internal)?,
                    finished: row.bool(3),
                })
            })
            .transpose()?;
        Ok(decide_append(stream, &self.from, &self.chunk, self.finish)?)
    }

    async fn apply<W: WriteTx>(&self, stream: Stream, w: &mut W) -> Result<Stream, DbError> {
        let chunks = serde_json::to_string(&stream.chunks).map_err(DbError::internal)?;
        w.execute(
            "UPDATE robot_streams SET chunks = $3, finished = $4 WHERE app = $1 AND msg_key = $2",
            params![self.app, &self.key, &chunks, stream.finished],
        )
        .await?;
        Ok(stream)
    }
}

/// Whether `user` is a valid chatbot (send_stream_msg's first call).
pub(crate) struct IsRobot {
    pub app: AppId,
    pub user: String,
}

impl ReadOp for IsRobot {
    type Out = bool;

    async fn read<R: ReadTx>(&self, r: &mut R) -> Result<bool, StoreError> {
        Ok(valid_robots(r, self.app).await?.contains(&self.user))
    }
}

/// create_robot as one transaction: the flag ([`Flag`]), the account's import ([`Import`])
/// and its profile fields ([`SetPortrait`], when any is given). Every check comes first (the
/// portrait's against the account the import is about to make), so a refusal of any step
/// writes nothing of any.
pub(crate) struct CreateRobot {
    pub flag: Flag,
    pub import: Import,
    pub portrait: Option<SetPortrait>,
}

impl WriteOp for CreateRobot {
    type Plan = Option<Vec<ProfileItem>>;
    type Out = Option<ProfileChange>;

    async fn check<R: ReadTx>(&self, r: &mut R) -> Result<Self::Plan, StoreError> {
        self.flag.check(r).await?;
        self.import.check(r).await?;
        match &self.portrait {
            Some(p) => Ok(Some(p.decide(true)?)),
            None => Ok(None),
        }
    }

    async fn apply<W: WriteTx>(&self, items: Self::Plan, w: &mut W) -> Result<Self::Out, DbError> {
        self.flag.apply((), w).await?;
        self.import.apply((), w).await?;
        match (&self.portrait, items) {
            (Some(p), Some(items)) => Ok(Some(p.apply(items, w).await?)),
            _ => Ok(None),
        }
    }

    fn callbacks(&self) -> Option<(AppId, &'static [&'static str])> {
        self.portrait.as_ref()?.callbacks()
    }

    async fn events<W: WriteTx>(
        &self,
        out: &Self::Out,
        wanted: &[&'static str],
        w: &mut W,
    ) -> Result<Vec<Event>, DbError> {
        match (&self.portrait, out) {
            (Some(p), Some(change)) => p.events(change, wanted, w).await,
            _ => Ok(Vec::new()),
        }
    }
}

/// send_stream_msg's first call as one transaction: the sender must be a valid chatbot, then
/// the C2C message ([`SendC2c`], which refuses an unknown receiver) and the stream's row under
/// the key the message got.
pub(crate) struct StartStreamMsg {
    pub send: SendC2c,
    pub chunks: Vec<String>,
    pub finished: bool,
}

impl WriteOp for StartStreamMsg {
    type Plan = <SendC2c as WriteOp>::Plan;
    type Out = C2cSent;

    async fn check<R: ReadTx>(&self, r: &mut R) -> Result<Self::Plan, StoreError> {
        let app = self.send.app;
        let from = &self.send.msg.from;
        if !valid_robots(r, app).await?.contains(from) {
            return Err(Error::new(
                ErrorCode::GroupInvalidParameter,
                format!("{from:?} is not a chatbot"),
            )
            .into());
        }
        let to = &self.send.msg.to;
        if super::rows::accounts_exist(r, app, &[to]).await? != [true] {
            return Err(Error::new(
                ErrorCode::GroupInvalidParameter,
                format!("To_Account {to:?} does not exist"),
            )
            .into());
        }
        self.send.check(r).await
    }

    async fn apply<W: WriteTx>(&self, plan: Self::Plan, w: &mut W) -> Result<C2cSent, DbError> {
        let sent = self.send.apply(plan, w).await?;
        let start = StartStream {
            app: self.send.app,
            key: sent.key.to_string(),
            stream: Stream {
                from: self.send.msg.from.clone(),
                to: self.send.msg.to.clone(),
                chunks: self.chunks.clone(),
                finished: self.finished,
            },
        };
        start.apply((), w).await?;
        Ok(sent)
    }

    fn callbacks(&self) -> Option<(AppId, &'static [&'static str])> {
        self.send.callbacks()
    }

    async fn events<W: WriteTx>(
        &self,
        out: &C2cSent,
        wanted: &[&'static str],
        w: &mut W,
    ) -> Result<Vec<Event>, DbError> {
        self.send.events(out, wanted, w).await
    }

    fn changes(&self, out: &C2cSent, sink: &dyn ChangeSink) -> Option<(AppId, Vec<Change>)> {
        self.send.changes(out, sink)
    }
}

/// send_stream_msg's later calls as one transaction: the chunk appended ([`AppendStream`])
/// and the message's body rebuilt from every chunk ([`ModifyC2c`], built in the check from
/// the appended stream). `modify` carries everything but the body.
pub(crate) struct AppendStreamMsg {
    pub append: AppendStream,
    pub modify: ModifyC2c,
}

/// The appended stream, and the modify op with its body and plan.
pub(crate) type AppendPlan = (Stream, ModifyC2c, <ModifyC2c as WriteOp>::Plan);

impl WriteOp for AppendStreamMsg {
    type Plan = AppendPlan;
    /// The stream, and the modify that was applied (for the members' change).
    type Out = (Stream, ModifyC2c);

    async fn check<R: ReadTx>(&self, r: &mut R) -> Result<AppendPlan, StoreError> {
        let stream = self.append.check(r).await?;
        let modify = ModifyC2c {
            from: stream.from.clone(),
            to: stream.to.clone(),
            body: Some(stream_body(&stream.chunks, stream.finished)),
            ..self.modify.clone()
        };
        let plan = modify.check(r).await?;
        Ok((stream, modify, plan))
    }

    async fn apply<W: WriteTx>(
        &self,
        (stream, modify, plan): AppendPlan,
        w: &mut W,
    ) -> Result<Self::Out, DbError> {
        let stream = self.append.apply(stream, w).await?;
        modify.apply(plan, w).await?;
        Ok((stream, modify))
    }

    fn changes(
        &self,
        (_, modify): &Self::Out,
        sink: &dyn ChangeSink,
    ) -> Option<(AppId, Vec<Change>)> {
        modify.changes(&(), sink)
    }
}
