//! The app's dirty words: get, add, delete, and the check a send makes against them.
//! spec: push-and-operations.md §4.1, §8; the rules are `timber_core::moderation`'s.

use super::{Invalidation, ReadOp, WriteOp};
use crate::sql::{params, ReadTx, WriteTx};
use crate::{DbError, StoreError};
use timber_core::moderation::{check_word, decide_add, Blocking, Keyword};
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
    let words = blocking_words(r, app).await?;
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

/// The words that block a message, each with its moderation label: the dirty words and the
/// local keywords that block (`FilterType` 2, words and regular expressions), `Illegal`, and
/// the cloud keywords (words, their own label), in that order.
pub(super) async fn blocking_words(
    r: &mut impl ReadTx,
    app: AppId,
) -> Result<Vec<Blocking>, DbError> {
    let mut words: Vec<Blocking> = read_words(r, app)
        .await?
        .into_iter()
        .map(Blocking::word)
        .collect();
    let rows = r
        .query(
            "SELECT keyword, word_type, lib, label FROM audit_keywords
             WHERE app = $1 AND (lib <> '' OR filter_type = 2) ORDER BY lib, id",
            params![app],
        )
        .await?;
    for mut row in rows {
        let keyword = row.take_str(0);
        let cloud = !row.take_str(2).is_empty();
        words.push(Blocking {
            keyword,
            // Cloud keywords are words whatever was stored.
            regex: !cloud && row.i64(1) == 2,
            label: if cloud {
                row.take_str(3)
            } else {
                "Illegal".to_owned()
            },
        });
    }
    Ok(words)
}

fn keyword_of(mut row: crate::sql::Row) -> Keyword {
    Keyword {
        id: row.i64(0),
        keyword: row.take_str(1),
        word_type: row.i64(2),
        filter_type: row.i64(3),
        replaced: row.take_str(4),
        label: row.take_str(5),
        created: row.i64(6),
    }
}

/// A page of a library's keywords, with the totals.
pub(crate) struct ListKeywords {
    pub app: AppId,
    pub lib: String,
    pub filter_type: Option<i64>,
    pub contains: Option<String>,
    pub offset: i64,
    pub limit: i64,
}

impl ReadOp for ListKeywords {
    /// (matching, matching regular expressions, the page).
    type Out = (u64, u64, Vec<Keyword>);

    async fn read<R: ReadTx>(&self, r: &mut R) -> Result<Self::Out, StoreError> {
        let rows = r
            .query(
                "SELECT id, keyword, word_type, filter_type, replaced, label, created
                 FROM audit_keywords WHERE app = $1 AND lib = $2 ORDER BY id",
                params![self.app, &self.lib],
            )
            .await?;
        let all: Vec<Keyword> = rows
            .into_iter()
            .map(keyword_of)
            .filter(|k| self.filter_type.is_none_or(|f| k.filter_type == f))
            .filter(|k| {
                self.contains
                    .as_deref()
                    .is_none_or(|c| k.keyword.contains(c))
            })
            .collect();
        let total = all.len() as u64;
        let regs = all.iter().filter(|k| k.word_type == 2).count() as u64;
        let page = all
            .into_iter()
            .skip(self.offset.max(0) as usize)
            .take(self.limit.max(0) as usize)
            .collect();
        Ok((total, regs, page))
    }
}

/// Cloud libraries: (ID, keywords, first created).
pub(crate) struct ListLibraries {
    pub app: AppId,
}

impl ReadOp for ListLibraries {
    type Out = Vec<(String, u64, i64)>;

    async fn read<R: ReadTx>(&self, r: &mut R) -> Result<Self::Out, StoreError> {
        Ok(r.query(
            "SELECT lib, count(*), min(created) FROM audit_keywords
                 WHERE app = $1 AND lib <> '' GROUP BY lib ORDER BY lib",
            params![self.app],
        )
        .await?
        .into_iter()
        .map(|mut row| (row.take_str(0), row.u64(1), row.i64(2)))
        .collect())
    }
}

/// Adds keywords to a library; one already there (same word and filter type) is no addition.
pub(crate) struct AddKeywords {
    pub app: AppId,
    pub lib: String,
    pub words: Vec<Keyword>,
    pub now: i64,
}

/// A change to the local library (`lib` empty) may change the replacing keywords that
/// PostgreSQL nodes cache (`postgres/cache.rs`): they drop everything of the app.
fn local_library(app: AppId, lib: &str) -> Option<Invalidation> {
    lib.is_empty().then_some(Invalidation { app, users: None })
}

impl WriteOp for AddKeywords {
    type Plan = Vec<Keyword>;
    type Out = ();

    fn invalidates(&self, (): &()) -> Option<Invalidation> {
        local_library(self.app, &self.lib)
    }

    async fn check<R: ReadTx>(&self, r: &mut R) -> Result<Vec<Keyword>, StoreError> {
        let rows = r
            .query(
                "SELECT id, keyword, word_type, filter_type, replaced, label, created
                 FROM audit_keywords WHERE app = $1 AND lib = $2",
                params![self.app, &self.lib],
            )
            .await?;
        let existing: Vec<Keyword> = rows.into_iter().map(keyword_of).collect();
        let mut next = existing.iter().map(|k| k.id).max().unwrap_or(0) + 1;
        let mut plan: Vec<Keyword> = Vec::new();
        for w in &self.words {
            let same = |k: &Keyword| k.keyword == w.keyword && k.filter_type == w.filter_type;
            if existing.iter().any(same) || plan.iter().any(same) {
                continue;
            }
            plan.push(Keyword {
                id: next,
                created: self.now,
                ..w.clone()
            });
            next += 1;
        }
        Ok(plan)
    }

    async fn apply<W: WriteTx>(&self, plan: Vec<Keyword>, w: &mut W) -> Result<(), DbError> {
        for k in &plan {
            w.execute(
                "INSERT INTO audit_keywords (app, lib, id, keyword, word_type, filter_type,
                     replaced, label, created)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                params![
                    self.app,
                    &self.lib,
                    k.id,
                    &k.keyword,
                    k.word_type,
                    k.filter_type,
                    &k.replaced,
                    &k.label,
                    k.created
                ],
            )
            .await?;
        }
        Ok(())
    }
}

/// Deletes keywords of a library by id, or by word where no id is given; answers, per item,
/// the id deleted (`None`: there was none).
pub(crate) struct DeleteKeywords {
    pub app: AppId,
    pub lib: String,
    /// (id, word) per item.
    pub items: Vec<(Option<i64>, String)>,
}

impl WriteOp for DeleteKeywords {
    type Plan = Vec<Option<i64>>;
    type Out = Vec<Option<i64>>;

    fn invalidates(&self, deleted: &Self::Out) -> Option<Invalidation> {
        local_library(self.app, &self.lib).filter(|_| deleted.iter().any(Option::is_some))
    }

    async fn check<R: ReadTx>(&self, r: &mut R) -> Result<Self::Plan, StoreError> {
        let mut out = Vec::with_capacity(self.items.len());
        for (id, word) in &self.items {
            let row = match id {
                Some(id) => {
                    r.query_opt(
                        "SELECT id FROM audit_keywords WHERE app = $1 AND lib = $2 AND id = $3",
                        params![self.app, &self.lib, *id],
                    )
                    .await?
                }
                None => {
                    r.query_opt(
                        "SELECT min(id) FROM audit_keywords WHERE app = $1 AND lib = $2 AND keyword = $3
                         HAVING count(*) > 0",
                        params![self.app, &self.lib, word],
                    )
                    .await?
                }
            };
            out.push(row.map(|r| r.i64(0)));
        }
        Ok(out)
    }

    async fn apply<W: WriteTx>(&self, ids: Self::Plan, w: &mut W) -> Result<Self::Out, DbError> {
        for id in ids.iter().flatten() {
            w.execute(
                "DELETE FROM audit_keywords WHERE app = $1 AND lib = $2 AND id = $3",
                params![self.app, &self.lib, *id],
            )
            .await?;
        }
        Ok(ids)
    }
}

/// The words that block, for on-demand moderation and the profile, group and relationship
/// fields ([`blocking_words`]).
pub(crate) struct BlockingWords {
    pub app: AppId,
}

impl ReadOp for BlockingWords {
    type Out = Vec<Blocking>;

    async fn read<R: ReadTx>(&self, r: &mut R) -> Result<Self::Out, StoreError> {
        Ok(blocking_words(r, self.app).await?)
    }
}

/// The app's replacing local keywords (`FilterType` 1), words and regular expressions: a
/// send masks them (push-and-operations.md §8).
pub(crate) struct ReplacingKeywords {
    pub app: AppId,
}

impl ReadOp for ReplacingKeywords {
    type Out = Vec<timber_core::moderation::Replacing>;

    async fn read<R: ReadTx>(&self, r: &mut R) -> Result<Self::Out, StoreError> {
        let rows = r
            .query(
                "SELECT keyword, word_type, replaced FROM audit_keywords
                 WHERE app = $1 AND lib = '' AND filter_type = 1 ORDER BY id",
                params![self.app],
            )
            .await?;
        Ok(rows
            .into_iter()
            .map(|mut row| timber_core::moderation::Replacing {
                keyword: row.take_str(0),
                regex: row.i64(1) == 2,
                with: row.take_str(2),
            })
            .collect())
    }
}
