//! Profile operations: portrait_set, portrait_get, and the profile rows that account import
//! and delete write. spec: profiles.md; the rules are `timber_core::profile`'s.
//!
//! A profile is the key range `(app, user_id, …)` of `profiles`, one row per tag set. On
//! PostgreSQL a write first locks the account's row, so writes to one profile are
//! serialized and none lands beside an account_delete that removed the account.

use super::{ReadOp, WriteOp};
use crate::sql::{params, ReadTx, WriteTx};
use crate::{DbError, StoreError};
use timber_core::callback::{self as cb, Event};
use timber_core::profile::{
    decide_portrait_set, CustomTags, ProfileChange, ProfileItem, RawItem, TagValue,
};
use timber_core::AppId;

/// portrait_set: checks every item, then writes them all or nothing.
pub(crate) struct SetPortrait {
    pub app: AppId,
    /// Who asked (the admin of a REST call): `Operator_Account` of the callback.
    pub operator: String,
    pub user: String,
    pub items: Vec<RawItem>,
    pub custom: CustomTags,
}

impl SetPortrait {
    /// The items to write, `exists` saying whether the account does: for an op that imports
    /// the account earlier in the same transaction (`robots::CreateRobot`), `true`.
    pub(crate) fn decide(&self, exists: bool) -> Result<Vec<ProfileItem>, timber_core::Error> {
        decide_portrait_set(exists, &self.user, &self.items, &self.custom)
    }
}

impl WriteOp for SetPortrait {
    type Plan = Vec<ProfileItem>;
    type Out = ProfileChange;

    async fn check<R: ReadTx>(&self, r: &mut R) -> Result<Vec<ProfileItem>, StoreError> {
        let sql = format!(
            "SELECT 1 FROM accounts g WHERE g.app = $1 AND g.user_id = $2{}",
            r.for_update()
        );
        let exists = r
            .query_opt(&sql, params![self.app, &self.user])
            .await?
            .is_some();
        Ok(self.decide(exists)?)
    }

    async fn apply<W: WriteTx>(
        &self,
        items: Vec<ProfileItem>,
        w: &mut W,
    ) -> Result<ProfileChange, DbError> {
        write_items(w, self.app, &self.user, &items).await?;
        Ok(ProfileChange {
            user: self.user.clone(),
            items,
        })
    }

    fn callbacks(&self) -> Option<(AppId, &'static [&'static str])> {
        Some((self.app, &[cb::PROFILE_AFTER_SET]))
    }

    /// Every item written, de-duplicated, whether or not its value changed (profiles.md §4,
    /// inferred).
    async fn events<W: WriteTx>(
        &self,
        change: &ProfileChange,
        _: &[&'static str],
        _: &mut W,
    ) -> Result<Vec<Event>, DbError> {
        Ok(vec![Event::new(
            cb::PROFILE_AFTER_SET,
            cb::user_ordering(&self.user),
            serde_json::json!({
                "Operator_Account": self.operator,
                "From_Account": self.user,
                "ProfileItem": change.items,
            }),
        )])
    }
}

/// portrait_get: each user's stored items, or `None` where there is no such account.
pub(crate) struct GetPortraits {
    pub app: AppId,
    pub users: Vec<String>,
}

impl ReadOp for GetPortraits {
    type Out = Vec<(String, Option<Vec<ProfileItem>>)>;

    async fn read<R: ReadTx>(&self, r: &mut R) -> Result<Self::Out, StoreError> {
        let mut out = Vec::with_capacity(self.users.len());
        for user in &self.users {
            let items = read_profile(r, self.app, user).await?;
            out.push((user.clone(), items));
        }
        Ok(out)
    }
}

/// Every stored item of `user`'s profile; `None` when there is no such account. One
/// statement: the account's row, joined with its profile rows.
pub(super) async fn read_profile(
    r: &mut impl ReadTx,
    app: AppId,
    user: &str,
) -> Result<Option<Vec<ProfileItem>>, DbError> {
    let rows = r
        .query(
            "SELECT p.tag, p.int_value, p.str_value FROM accounts a
             LEFT JOIN profiles p ON p.app = a.app AND p.user_id = a.user_id
             WHERE a.app = $1 AND a.user_id = $2",
            params![app, user],
        )
        .await?;
    if rows.is_empty() {
        return Ok(None);
    }
    let items = rows
        .into_iter()
        .filter_map(|mut row| {
            let tag = row.take_opt_str(0)?;
            let value = match row.opt_i64(1) {
                // Only u32 values are ever written as integers.
                Some(v) => TagValue::U32(v as u32),
                None => TagValue::Str(row.take_str(2)),
            };
            Some(ProfileItem { tag, value })
        })
        .collect();
    Ok(Some(items))
}

/// Writes `items` into `user`'s profile, each replacing the tag's stored value.
pub(super) async fn write_items(
    w: &mut impl WriteTx,
    app: AppId,
    user: &str,
    items: &[ProfileItem],
) -> Result<(), DbError> {
    for item in items {
        match &item.value {
            TagValue::U32(v) => {
                w.execute(
                    "INSERT INTO profiles (app, user_id, tag, int_value, str_value)
                     VALUES ($1, $2, $3, $4, NULL)
                     ON CONFLICT (app, user_id, tag) DO UPDATE SET
                         int_value = excluded.int_value, str_value = NULL",
                    params![app, user, &item.tag, *v],
                )
                .await?
            }
            TagValue::Str(s) => {
                w.execute(
                    "INSERT INTO profiles (app, user_id, tag, int_value, str_value)
                     VALUES ($1, $2, $3, NULL, $4)
                     ON CONFLICT (app, user_id, tag) DO UPDATE SET
                         int_value = NULL, str_value = excluded.str_value",
                    params![app, user, &item.tag, s],
                )
                .await?
            }
        };
    }
    Ok(())
}

/// A deleted account's profile goes with it (accounts.md §3, profiles.md §0.3).
pub(super) async fn delete_profile(
    w: &mut impl WriteTx,
    app: AppId,
    user: &str,
) -> Result<(), DbError> {
    w.execute(
        "DELETE FROM profiles WHERE app = $1 AND user_id = $2",
        params![app, user],
    )
    .await?;
    Ok(())
}
