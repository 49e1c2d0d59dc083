//! The app's dirty words: get, add, delete, and the check a send makes against them.
//! spec: push-and-operations.md §4.1, §8; the rules are `timber_core::moderation`'s.

use super::{ReadOp, WriteOp};
use crate::sql::{params, ReadTx, WriteTx};
use crate::{DbError, StoreError};
use timber_core::moderation::{check_word, decide_add};
use timber_core::AppId;

pub(super) async fn read_words(r: &mut impl ReadTx, app: AppId) -> Result<Vec<String>, DbError> {
    Ok(r.query(
        "SELECT word FROM dirty_words WHERE app = $1 ORDER BY word",
        params![app],
    )
    .await?
    .into_iter()
    .map(|mut row| row.take_str(0))
    .collect())
}

/// A send's check: 80001 when a text element of `body` holds one of the app's words.
pub(super) async fn check_message(
    r: &mut impl ReadTx,
    app: AppId,
    body: &str,
) -> Result<(), StoreError> {
    let words = read_words(r, app).await?;
    Ok(timber_core::moderation::check_message(&words, body)?)
}

/// openim_dirty_words/get, and on-demand moderation's word list.
pub(crate) struct GetDirtyWords {
    pub app: AppId,
}

impl ReadOp for GetDirtyWords {
    type Out = Vec<String>;

    async fn read<R: ReadTx>(&self, r: &mut R) -> Result<Vec<String>, StoreError> {
        Ok(read_words(r, self.app).await?)
    }
}

/// openim_dirty_words/add.
pub(crate) struct AddDirtyWords {
    pub app: AppId,
    pub words: Vec<String>,
}

impl WriteOp for AddDirtyWords {
    type Plan = Vec<String>;
    type Out = ();

    async fn check<R: ReadTx>(&self, r: &mut R) -> Result<Vec<String>, StoreError> {
        let existing = read_words(r, self.app).await?;
        Ok(decide_add(&existing, &self.words)?)
    }

    async fn apply<W: WriteTx>(&self, new: Vec<String>, w: &mut W) -> Result<(), DbError> {
        for word in &new {
            w.execute(
                "INSERT INTO dirty_words (app, word) VALUES ($1, $2) ON CONFLICT (app, word) DO NOTHING",
                params![self.app, word],
            )
            .await?;
        }
        Ok(())
    }
}

/// openim_dirty_words/delete: words the app does not have are ignored.
pub(crate) struct DeleteDirtyWords {
    pub app: AppId,
    pub words: Vec<String>,
}

impl WriteOp for DeleteDirtyWords {
    type Plan = ();
    type Out = ();

    async fn check<R: ReadTx>(&self, _: &mut R) -> Result<(), StoreError> {
        self.words.iter().try_for_each(|w| check_word(w))?;
        Ok(())
    }

    async fn apply<W: WriteTx>(&self, _: (), w: &mut W) -> Result<(), DbError> {
        for word in &self.words {
            w.execute(
                "DELETE FROM dirty_words WHERE app = $1 AND word = $2",
                params![self.app, word],
            )
            .await?;
        }
        Ok(())
    }
}

/// im_cos_msg: ban (`banned`) or allow a chat file's URL.
pub(crate) struct SetBanned {
    pub app: AppId,
    pub url: String,
    pub banned: bool,
}

impl WriteOp for SetBanned {
    type Plan = ();
    type Out = ();

    async fn check<R: ReadTx>(&self, _: &mut R) -> Result<(), StoreError> {
        Ok(())
    }

    async fn apply<W: WriteTx>(&self, _: (), w: &mut W) -> Result<(), DbError> {
        let sql = if self.banned {
            "INSERT INTO banned_files (app, url) VALUES ($1, $2) ON CONFLICT (app, url) DO NOTHING"
        } else {
            "DELETE FROM banned_files WHERE app = $1 AND url = $2"
        };
        w.execute(sql, params![self.app, &self.url]).await?;
        Ok(())
    }
}

/// Whether each URL is banned, in order.
pub(crate) struct AreBanned {
    pub app: AppId,
    pub urls: Vec<String>,
}

impl ReadOp for AreBanned {
    type Out = Vec<bool>;

    async fn read<R: ReadTx>(&self, r: &mut R) -> Result<Vec<bool>, StoreError> {
        let mut out = Vec::with_capacity(self.urls.len());
        for url in &self.urls {
            out.push(
                r.query_opt(
                    "SELECT 1 FROM banned_files WHERE app = $1 AND url = $2",
                    params![self.app, url],
                )
                .await?
                .is_some(),
            );
        }
        Ok(out)
    }
}
