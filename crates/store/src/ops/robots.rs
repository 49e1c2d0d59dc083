//! Chatbots: the flag on an account, and the chunks of streamed replies.
//! spec: push-and-operations.md §6, §8; the rules are `timber_core::robot`'s.

use super::{ReadOp, WriteOp};
use crate::sql::{params, ReadTx, WriteTx};
use crate::{DbError, StoreError};
use timber_core::robot::{decide_append, decide_create, Stream};
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
