//! Official accounts: the account, its subscribers and its messages.
//! spec: push-and-operations.md §5; the rules are `timber_core::official`'s.

use super::{ReadOp, WriteOp};
use crate::messages::{RetentionPolicy, SweepStep};
use crate::sql::{params, ReadTx, Row, WriteTx};
use crate::{DbError, StoreError};
use serde_json::json;
use timber_core::callback::{self as cb, Event};
use timber_core::member::{self as live, Change, ChangeSink};
use timber_core::message::Retention;
use timber_core::official::{
    decide_add_subscribers, decide_send, delivers, event, history_finished, info_fields, msg_key,
    not_found, BaseInfo, BaseInfoEdit, NewOfficialMsg, OfficialAccount, OfficialMsg, OfficialSent,
    Subscriber, RESULT_DONE, RESULT_FAILED, RESULT_UNCHANGED,
};
use timber_core::{AppId, Error, ErrorCode};

const ACCOUNT_COLUMNS: &str = "g.id, g.owner, g.name, g.introduction, g.face_url, g.organization,
    g.custom, g.max_subscribers, g.created, g.last_msg_time, g.seq,
    (SELECT COUNT(*) FROM official_subscribers s WHERE s.app = g.app AND s.official = g.id)";

fn account_of(mut row: Row) -> OfficialAccount {
    OfficialAccount {
        id: row.take_str(0),
        owner: row.take_str(1),
        info: BaseInfo {
            name: row.take_str(2),
            introduction: row.take_str(3),
            face_url: row.take_str(4),
            organization: row.take_str(5),
            custom: row.take_str(6),
        },
        max_subscribers: row.u64(7),
        created: row.i64(8),
        last_msg_time: row.i64(9),
        seq: row.u64(10),
        subscribers: row.u64(11),
    }
}

/// The account `id` (locked on PostgreSQL when `lock`), or 10010.
async fn load(
    r: &mut impl ReadTx,
    app: AppId,
    id: &str,
    lock: bool,
) -> Result<OfficialAccount, StoreError> {
    let lock = if lock { r.for_update() } else { "" };
    let sql = format!(
        "SELECT {ACCOUNT_COLUMNS} FROM official_accounts g WHERE g.app = $1 AND g.id = $2{lock}"
    );
    match r.query_opt(&sql, params![app, id]).await? {
        Some(row) => Ok(account_of(row)),
        None => Err(not_found(id).into()),
    }
}

async fn account_exists(r: &mut impl ReadTx, app: AppId, user: &str) -> Result<bool, DbError> {
    Ok(r.query_opt(
        "SELECT 1 FROM accounts WHERE app = $1 AND user_id = $2",
        params![app, user],
    )
    .await?
    .is_some())
}

async fn is_subscribed(
    r: &mut impl ReadTx,
    app: AppId,
    id: &str,
    user: &str,
) -> Result<bool, DbError> {
    Ok(r.query_opt(
        "SELECT 1 FROM official_subscribers WHERE app = $1 AND official = $2 AND user_id = $3",
        params![app, id, user],
    )
    .await?
    .is_some())
}

/// create_official_account.
pub(crate) struct Create {
    pub app: AppId,
    pub id: String,
    pub owner: String,
    pub info: BaseInfo,
    pub max_subscribers: u64,
    pub now: i64,
    pub operator: String,
}

impl WriteOp for Create {
    type Plan = ();
    type Out = ();

    async fn check<R: ReadTx>(&self, r: &mut R) -> Result<(), StoreError> {
        if !account_exists(r, self.app, &self.owner).await? {
            return Err(Error::new(
                ErrorCode::GroupInvalidParameter,
                format!("Owner_Account {:?} is not an imported account", self.owner),
            )
            .into());
        }
        let taken = r
            .query_opt(
                "SELECT 1 FROM official_accounts WHERE app = $1 AND id = $2",
                params![self.app, &self.id],
            )
            .await?
            .is_some();
        if taken {
            return Err(Error::new(
                ErrorCode::GroupIdInUse,
                format!("official account ID {:?} is already in use", self.id),
            )
            .into());
        }
        Ok(())
    }

    async fn apply<W: WriteTx>(&self, _: (), w: &mut W) -> Result<(), DbError> {
        let i = &self.info;
        w.execute(
            "INSERT INTO official_accounts (app, id, owner, name, introduction, face_url,
                 organization, custom, max_subscribers, created)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            params![
                self.app,
                &self.id,
                &self.owner,
                &i.name,
                &i.introduction,
                &i.face_url,
                &i.organization,
                &i.custom,
                self.max_subscribers,
                self.now
            ],
        )
        .await?;
        Ok(())
    }

    fn callbacks(&self) -> Option<(AppId, &'static [&'static str])> {
        Some((self.app, &[cb::OFFICIAL_AFTER_CREATE]))
    }

    async fn events<W: WriteTx>(
        &self,
        (): &(),
        _: &[&'static str],
        _: &mut W,
    ) -> Result<Vec<Event>, DbError> {
        let mut fields = info_fields(&self.id, &self.owner, &self.info, self.max_subscribers);
        fields["Operator_Account"] = self.operator.as_str().into();
        fields["CreateTime"] = self.now.into();
        Ok(vec![event(cb::OFFICIAL_AFTER_CREATE, &self.id, fields)])
    }
}

/// destroy_official_account: the account with its subscribers and messages.
pub(crate) struct Destroy {
    pub app: AppId,
    pub id: String,
    pub operator: String,
}

impl WriteOp for Destroy {
    type Plan = OfficialAccount;
    /// The account as it was.
    type Out = OfficialAccount;

    async fn check<R: ReadTx>(&self, r: &mut R) -> Result<OfficialAccount, StoreError> {
        load(r, self.app, &self.id, true).await
    }

    async fn apply<W: WriteTx>(
        &self,
        account: OfficialAccount,
        w: &mut W,
    ) -> Result<OfficialAccount, DbError> {
        for table in ["official_subscribers", "official_messages"] {
            w.execute(
                &format!("DELETE FROM {table} WHERE app = $1 AND official = $2"),
                params![self.app, &self.id],
            )
            .await?;
        }
        w.execute(
            "DELETE FROM official_accounts WHERE app = $1 AND id = $2",
            params![self.app, &self.id],
        )
        .await?;
        Ok(account)
    }

    fn callbacks(&self) -> Option<(AppId, &'static [&'static str])> {
        Some((self.app, &[cb::OFFICIAL_AFTER_DESTROYED]))
    }

    /// Its connected subscribers hear it, and the hub forgets them.
    fn changes(&self, _: &OfficialAccount, sink: &dyn ChangeSink) -> Option<(AppId, Vec<Change>)> {
        super::one_change(self.app, sink, || Change::OfficialDestroyed {
            official_id: self.id.clone(),
        })
    }

    async fn events<W: WriteTx>(
        &self,
        account: &OfficialAccount,
        _: &[&'static str],
        _: &mut W,
    ) -> Result<Vec<Event>, DbError> {
        Ok(vec![event(
            cb::OFFICIAL_AFTER_DESTROYED,
            &self.id,
            json!({"Official_Account": self.id, "Owner_Account": account.owner,
                   "Operator_Account": self.operator, "Name": account.info.name}),
        )])
    }
}

/// modify_official_account_base_info.
pub(crate) struct Modify {
    pub app: AppId,
    pub id: String,
    pub edit: BaseInfoEdit,
    pub operator: String,
}

impl WriteOp for Modify {
    /// The new info, the new limit, the owner.
    type Plan = (BaseInfo, u64, String);
    type Out = (BaseInfo, u64, String);

    async fn check<R: ReadTx>(&self, r: &mut R) -> Result<Self::Plan, StoreError> {
        self.edit.check()?;
        let account = load(r, self.app, &self.id, true).await?;
        let max = self.edit.max_subscribers.unwrap_or(account.max_subscribers);
        Ok((self.edit.applied(account.info), max, account.owner))
    }

    async fn apply<W: WriteTx>(
        &self,
        (i, max, owner): Self::Plan,
        w: &mut W,
    ) -> Result<Self::Out, DbError> {
        w.execute(
            "UPDATE official_accounts SET name = $3, introduction = $4, face_url = $5,
                 organization = $6, custom = $7, max_subscribers = $8
             WHERE app = $1 AND id = $2",
            params![
                self.app,
                &self.id,
                &i.name,
                &i.introduction,
                &i.face_url,
                &i.organization,
                &i.custom,
                max
            ],
        )
        .await?;
        Ok((i, max, owner))
    }

    fn callbacks(&self) -> Option<(AppId, &'static [&'static str])> {
        Some((self.app, &[cb::OFFICIAL_AFTER_INFO_CHANGED]))
    }

    /// The account's fields after the change (inferred payload).
    async fn events<W: WriteTx>(
        &self,
        (info, max, owner): &Self::Out,
        _: &[&'static str],
        _: &mut W,
    ) -> Result<Vec<Event>, DbError> {
        let mut fields = info_fields(&self.id, owner, info, *max);
        fields["Operator_Account"] = self.operator.as_str().into();
        Ok(vec![event(
            cb::OFFICIAL_AFTER_INFO_CHANGED,
            &self.id,
            fields,
        )])
    }
}

/// get_official_account_info: each account, `None` for an unknown one.
pub(crate) struct GetAccounts {
    pub app: AppId,
    pub ids: Vec<String>,
}

impl ReadOp for GetAccounts {
    type Out = Vec<Option<OfficialAccount>>;

    async fn read<R: ReadTx>(&self, r: &mut R) -> Result<Self::Out, StoreError> {
        let mut out = Vec::with_capacity(self.ids.len());
        for id in &self.ids {
            out.push(match load(r, self.app, id, false).await {
                Ok(a) => Some(a),
                Err(StoreError::Domain(_)) => None,
                Err(e) => return Err(e),
            });
        }
        Ok(out)
    }
}

fn subscriber_of(mut row: Row) -> Subscriber {
    Subscriber {
        user: row.take_str(0),
        subscribe_time: row.i64(1),
        custom: row.take_str(2),
        msg_flag: row.take_str(3),
        last_send: row.i64(4),
    }
}

/// get_subscriber_info: subscribers after `after` (subscribe time, user) in that order.
pub(crate) struct Subscribers {
    pub app: AppId,
    pub id: String,
    pub after: Option<(i64, String)>,
    pub limit: u64,
}

impl ReadOp for Subscribers {
    /// (total, the page, whether more follow).
    type Out = (u64, Vec<Subscriber>, bool);

    async fn read<R: ReadTx>(&self, r: &mut R) -> Result<Self::Out, StoreError> {
        let account = load(r, self.app, &self.id, false).await?;
        let (time, user) = self.after.clone().unwrap_or((i64::MIN, String::new()));
        let rows = r
            .query(
                "SELECT user_id, subscribe_time, custom, msg_flag, last_send
                 FROM official_subscribers
                 WHERE app = $1 AND official = $2
                   AND (subscribe_time > $3 OR (subscribe_time = $3 AND user_id > $4))
                 ORDER BY subscribe_time, user_id LIMIT $5",
                params![
                    self.app,
                    &self.id,
                    time,
                    &user,
                    self.limit.saturating_add(1)
                ],
            )
            .await?;
        let mut page: Vec<Subscriber> = rows.into_iter().map(subscriber_of).collect();
        let more = page.len() as u64 > self.limit;
        page.truncate(self.limit as usize);
        Ok((account.subscribers, page, more))
    }
}

/// add_subscriber: per user its `Result` (`timber_core::official::decide_add_subscribers`).
pub(crate) struct AddSubscribers {
    pub app: AppId,
    pub id: String,
    pub users: Vec<String>,
    pub now: i64,
    /// The REST caller (a member subscribing itself: that member): `Operator_Account`.
    pub operator: String,
}

/// Per user its `Result`, and `Some((subscribers, max))` when this add left the account full
/// (it added the last subscriber it had room for, or found no room for one).
pub(crate) type AddOutcome = (Vec<u8>, Option<(u64, u64)>);

impl WriteOp for AddSubscribers {
    type Plan = AddOutcome;
    type Out = AddOutcome;

    async fn check<R: ReadTx>(&self, r: &mut R) -> Result<AddOutcome, StoreError> {
        let account = load(r, self.app, &self.id, true).await?;
        let mut existing = Vec::with_capacity(self.users.len());
        let mut imported = Vec::with_capacity(self.users.len());
        for user in &self.users {
            existing.push(is_subscribed(r, self.app, &self.id, user).await?);
            imported.push(account_exists(r, self.app, user).await?);
        }
        let results = decide_add_subscribers(
            &self.users,
            &existing,
            &imported,
            account.subscribers,
            account.max_subscribers,
        );
        let added = results.iter().filter(|&&r| r == RESULT_DONE).count() as u64;
        let after = account.subscribers + added;
        // A refused newcomer that exists and is not a repeat met the limit.
        let refused = (0..self.users.len()).any(|i| {
            results[i] == RESULT_FAILED
                && imported[i]
                && !existing[i]
                && !self.users[..i].contains(&self.users[i])
        });
        let full = (after >= account.max_subscribers && (added > 0 || refused))
            .then_some((after, account.max_subscribers));
        Ok((results, full))
    }

    async fn apply<W: WriteTx>(
        &self,
        (results, full): AddOutcome,
        w: &mut W,
    ) -> Result<AddOutcome, DbError> {
        for (user, &result) in self.users.iter().zip(&results) {
            if result == RESULT_DONE {
                w.execute(
                    "INSERT INTO official_subscribers (app, official, user_id, subscribe_time)
                     VALUES ($1, $2, $3, $4)",
                    params![self.app, &self.id, user, self.now],
                )
                .await?;
            }
        }
        Ok((results, full))
    }

    fn callbacks(&self) -> Option<(AppId, &'static [&'static str])> {
        Some((
            self.app,
            &[cb::OFFICIAL_AFTER_ADD_SUBSCRIBER, cb::OFFICIAL_AFTER_FULL],
        ))
    }

    /// AfterAddSubscriber with those added (none added, none sent; inferred payload, the
    /// delete event's), then AfterOfficialAccountFull when the add left the account full.
    async fn events<W: WriteTx>(
        &self,
        (results, full): &AddOutcome,
        wanted: &[&'static str],
        _: &mut W,
    ) -> Result<Vec<Event>, DbError> {
        let mut out = Vec::new();
        let added: Vec<serde_json::Value> = self
            .users
            .iter()
            .zip(results)
            .filter(|(_, &r)| r == RESULT_DONE)
            .map(|(u, _)| json!({"Subscriber_Account": u}))
            .collect();
        if !added.is_empty() && wanted.contains(&cb::OFFICIAL_AFTER_ADD_SUBSCRIBER) {
            out.push(event(
                cb::OFFICIAL_AFTER_ADD_SUBSCRIBER,
                &self.id,
                json!({"Official_Account": self.id, "Operator_Account": self.operator,
                       "SubscribeAccountList": added}),
            ));
        }
        if wanted.contains(&cb::OFFICIAL_AFTER_FULL) {
            out.extend(full.iter().map(|(n, max)| {
                event(
                    cb::OFFICIAL_AFTER_FULL,
                    &self.id,
                    json!({"Official_Account": self.id, "SubscriberNum": n,
                           "MaxSubscriberNum": max}),
                )
            }));
        }
        Ok(out)
    }

    /// The new subscribers' connections hear it; the hub delivers to them from now on.
    fn changes(
        &self,
        (results, _): &AddOutcome,
        sink: &dyn ChangeSink,
    ) -> Option<(AppId, Vec<Change>)> {
        let accounts = done(&self.users, results);
        (!accounts.is_empty() && sink.wants(self.app)).then(|| {
            let change = Change::OfficialSubscribed {
                official_id: self.id.clone(),
                accounts,
            };
            (self.app, vec![change])
        })
    }
}

/// The users whose `Result` is 1 (added, removed).
fn done(users: &[String], results: &[u8]) -> Vec<String> {
    users
        .iter()
        .zip(results)
        .filter(|(_, &r)| r == RESULT_DONE)
        .map(|(u, _)| u.clone())
        .collect()
}

/// delete_subscriber: per user 1 removed, 2 was not subscribed.
pub(crate) struct DeleteSubscribers {
    pub app: AppId,
    pub id: String,
    pub users: Vec<String>,
    pub operator: String,
}

impl WriteOp for DeleteSubscribers {
    type Plan = Vec<u8>;
    type Out = Vec<u8>;

    async fn check<R: ReadTx>(&self, r: &mut R) -> Result<Vec<u8>, StoreError> {
        load(r, self.app, &self.id, true).await?;
        let mut out = Vec::with_capacity(self.users.len());
        let mut seen = std::collections::HashSet::new();
        for user in &self.users {
            let subscribed = is_subscribed(r, self.app, &self.id, user).await?;
            out.push(match (subscribed, seen.insert(user)) {
                (true, true) => RESULT_DONE,
                (true, false) => RESULT_FAILED,
                (false, _) => RESULT_UNCHANGED,
            });
        }
        Ok(out)
    }

    async fn apply<W: WriteTx>(&self, results: Vec<u8>, w: &mut W) -> Result<Vec<u8>, DbError> {
        for (user, &result) in self.users.iter().zip(&results) {
            if result == RESULT_DONE {
                w.execute(
                    "DELETE FROM official_subscribers WHERE app = $1 AND official = $2 AND user_id = $3",
                    params![self.app, &self.id, user],
                )
                .await?;
            }
        }
        Ok(results)
    }

    fn callbacks(&self) -> Option<(AppId, &'static [&'static str])> {
        Some((self.app, &[cb::OFFICIAL_AFTER_DELETE_SUBSCRIBER]))
    }

    /// The removed subscribers' connections hear it; the hub stops delivering to them.
    fn changes(&self, results: &Vec<u8>, sink: &dyn ChangeSink) -> Option<(AppId, Vec<Change>)> {
        let accounts = done(&self.users, results);
        (!accounts.is_empty() && sink.wants(self.app)).then(|| {
            let change = Change::OfficialUnsubscribed {
                official_id: self.id.clone(),
                accounts,
            };
            (self.app, vec![change])
        })
    }

    /// The documented payload: the account, the operator and the accounts removed (none
    /// removed, no event).
    async fn events<W: WriteTx>(
        &self,
        results: &Vec<u8>,
        _: &[&'static str],
        _: &mut W,
    ) -> Result<Vec<Event>, DbError> {
        let removed: Vec<serde_json::Value> = self
            .users
            .iter()
            .zip(results)
            .filter(|(_, &r)| r == RESULT_DONE)
            .map(|(u, _)| json!({"Subscriber_Account": u}))
            .collect();
        if removed.is_empty() {
            return Ok(Vec::new());
        }
        Ok(vec![event(
            cb::OFFICIAL_AFTER_DELETE_SUBSCRIBER,
            &self.id,
            json!({"Official_Account": self.id, "Operator_Account": self.operator,
                   "SubscribeAccountList": removed}),
        )])
    }
}

/// modify_subscriber_info: 10004 when the user does not subscribe.
pub(crate) struct ModifySubscriber {
    pub app: AppId,
    pub id: String,
    pub user: String,
    pub custom: Option<String>,
    /// A `MsgFlag` the handler checked (`timber_core::official::check_msg_flag`).
    pub msg_flag: Option<String>,
}

impl WriteOp for ModifySubscriber {
    type Plan = ();
    type Out = ();

    async fn check<R: ReadTx>(&self, r: &mut R) -> Result<(), StoreError> {
        load(r, self.app, &self.id, true).await?;
        if !is_subscribed(r, self.app, &self.id, &self.user).await? {
            return Err(Error::new(
                ErrorCode::GroupInvalidParameter,
                format!("{:?} does not subscribe to {:?}", self.user, self.id),
            )
            .into());
        }
        Ok(())
    }

    async fn apply<W: WriteTx>(&self, _: (), w: &mut W) -> Result<(), DbError> {
        if let Some(custom) = &self.custom {
            w.execute(
                "UPDATE official_subscribers SET custom = $4
                 WHERE app = $1 AND official = $2 AND user_id = $3",
                params![self.app, &self.id, &self.user, custom],
            )
            .await?;
        }
        if let Some(flag) = &self.msg_flag {
            w.execute(
                "UPDATE official_subscribers SET msg_flag = $4
                 WHERE app = $1 AND official = $2 AND user_id = $3",
                params![self.app, &self.id, &self.user, flag],
            )
            .await?;
        }
        Ok(())
    }

    /// A new `MsgFlag` decides whether the hub delivers to the subscriber from now on.
    fn changes(&self, _: &(), sink: &dyn ChangeSink) -> Option<(AppId, Vec<Change>)> {
        let flag = self.msg_flag.as_ref()?;
        super::one_change(self.app, sink, || Change::OfficialMsgFlag {
            official_id: self.id.clone(),
            account: self.user.clone(),
            msg_flag: flag.clone(),
        })
    }
}

/// The official accounts `user` subscribes to, each with whether its `MsgFlag` delivers
/// broadcasts: what the hub holds for a member while connected.
pub(crate) struct Subscriptions {
    pub app: AppId,
    pub user: String,
}

impl ReadOp for Subscriptions {
    type Out = Vec<(String, bool)>;

    async fn read<R: ReadTx>(&self, r: &mut R) -> Result<Self::Out, StoreError> {
        let rows = r
            .query(
                "SELECT official, msg_flag FROM official_subscribers
                 WHERE app = $1 AND user_id = $2 ORDER BY official",
                params![self.app, &self.user],
            )
            .await?;
        Ok(rows
            .into_iter()
            .map(|mut row| {
                let id = row.take_str(0);
                let flag = row.take_str(1);
                (id, delivers(&flag))
            })
            .collect())
    }
}

/// get_subscribed_official_account_list: `user`'s subscriptions in subscription order.
pub(crate) struct Subscribed {
    pub app: AppId,
    pub user: String,
    pub offset: u64,
    pub limit: u64,
}

impl ReadOp for Subscribed {
    /// (total, the page).
    type Out = (u64, Vec<(OfficialAccount, Subscriber)>);

    async fn read<R: ReadTx>(&self, r: &mut R) -> Result<Self::Out, StoreError> {
        let total = r
            .query_one(
                "SELECT COUNT(*) FROM official_subscribers WHERE app = $1 AND user_id = $2",
                params![self.app, &self.user],
            )
            .await?
            .u64(0);
        let rows = r
            .query(
                "SELECT official, user_id, subscribe_time, custom, msg_flag, last_send
                 FROM official_subscribers WHERE app = $1 AND user_id = $2
                 ORDER BY subscribe_time, official LIMIT $3 OFFSET $4",
                params![self.app, &self.user, self.limit, self.offset],
            )
            .await?;
        let mut page = Vec::with_capacity(rows.len());
        for mut row in rows {
            let id = row.take_str(0);
            let sub = Subscriber {
                user: row.take_str(1),
                subscribe_time: row.i64(2),
                custom: row.take_str(3),
                msg_flag: row.take_str(4),
                last_send: row.i64(5),
            };
            page.push((load(r, self.app, &id, false).await?, sub));
        }
        Ok((total, page))
    }
}

/// A deleted account subscribes to nothing any more: its subscriptions go, and with them
/// its place in each account's `SubscriberNum` (a count of the rows).
pub(super) async fn forget_subscriber(
    w: &mut impl WriteTx,
    app: AppId,
    user: &str,
) -> Result<(), DbError> {
    w.write(
        "DELETE FROM official_subscribers WHERE app = $1 AND user_id = $2",
        params![app, user],
    )
    .await
}

fn msg_of(mut row: Row) -> OfficialMsg {
    OfficialMsg {
        seq: row.u64(0),
        random: row.i64(1) as u32,
        time: row.i64(2),
        body: row.take_str(3),
        cloud_custom_data: row.take_opt_str(4),
        recalled: row.bool(5),
    }
}

const MSG_COLUMNS: &str = "seq, random, time, body, cloud_custom_data, recalled";

/// send_official_account_msg.
pub(crate) struct SendMsg {
    pub app: AppId,
    pub id: String,
    pub msg: NewOfficialMsg,
}

impl WriteOp for SendMsg {
    type Plan = OfficialSent;
    type Out = OfficialSent;

    async fn check<R: ReadTx>(&self, r: &mut R) -> Result<OfficialSent, StoreError> {
        let account = load(r, self.app, &self.id, true).await?;
        let recent: Vec<OfficialMsg> = r
            .query(
                &format!(
                    "SELECT {MSG_COLUMNS} FROM official_messages
                     WHERE app = $1 AND official = $2 AND random = $3 AND time > $4"
                ),
                params![
                    self.app,
                    &self.id,
                    self.msg.random,
                    self.msg.now - timber_core::official::DUPLICATE_SECS
                ],
            )
            .await?
            .into_iter()
            .map(msg_of)
            .collect();
        Ok(match decide_send(account.seq, &recent, &self.msg) {
            Ok(seq) => OfficialSent {
                seq,
                time: self.msg.now,
                duplicate: false,
            },
            Err(dup) => OfficialSent {
                seq: dup.seq,
                time: dup.time,
                duplicate: true,
            },
        })
    }

    async fn apply<W: WriteTx>(
        &self,
        sent: OfficialSent,
        w: &mut W,
    ) -> Result<OfficialSent, DbError> {
        if sent.duplicate {
            return Ok(sent);
        }
        if self.msg.online_only {
            // Stored nowhere, but its seq is taken: its MsgKey is never given again to the
            // next stored message. History lists the stored ones, so the seq is a gap there.
            w.execute(
                "UPDATE official_accounts SET seq = $3 WHERE app = $1 AND id = $2",
                params![self.app, &self.id, sent.seq],
            )
            .await?;
            return Ok(sent);
        }
        w.execute(
            "UPDATE official_accounts SET seq = $3, last_msg_time = $4 WHERE app = $1 AND id = $2",
            params![self.app, &self.id, sent.seq, sent.time],
        )
        .await?;
        w.execute(
            "INSERT INTO official_messages (app, official, seq, random, time, body, cloud_custom_data)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            params![
                self.app,
                &self.id,
                sent.seq,
                self.msg.random,
                sent.time,
                &self.msg.body,
                &self.msg.cloud_custom_data
            ],
        )
        .await?;
        Ok(sent)
    }

    fn callbacks(&self) -> Option<(AppId, &'static [&'static str])> {
        self.msg
            .after_callback
            .then_some((self.app, &[cb::OFFICIAL_AFTER_SEND]))
    }

    /// The message as sent, with its Seq, time and key; a duplicate sends nothing.
    async fn events<W: WriteTx>(
        &self,
        sent: &OfficialSent,
        _: &[&'static str],
        _: &mut W,
    ) -> Result<Vec<Event>, DbError> {
        if sent.duplicate {
            return Ok(Vec::new());
        }
        let mut fields = self.msg.callback_fields(&self.id);
        fields["MsgSeq"] = sent.seq.into();
        fields["MsgTime"] = sent.time.into();
        fields["MsgKey"] = sent.key().into();
        Ok(vec![event(cb::OFFICIAL_AFTER_SEND, &self.id, fields)])
    }

    /// The broadcast (stored or online only) for the connected subscribers; a duplicate was
    /// heard the first time.
    fn changes(&self, sent: &OfficialSent, sink: &dyn ChangeSink) -> Option<(AppId, Vec<Change>)> {
        if sent.duplicate {
            return None;
        }
        super::one_change(self.app, sink, || Change::OfficialMessage {
            official_id: self.id.clone(),
            msg: live::OfficialMsg {
                seq: sent.seq,
                random: self.msg.random,
                time: sent.time,
                key: sent.key(),
                body: self.msg.body.clone(),
                cloud_custom_data: self.msg.cloud_custom_data.clone(),
            },
        })
    }
}

/// official_account_msg_recall: per key 0 recalled, 10030 not found (also an already
/// recalled message, inferred).
pub(crate) struct Recall {
    pub app: AppId,
    pub id: String,
    /// Parsed keys (`None`: not a key this server gave).
    pub keys: Vec<Option<(u64, i64)>>,
    /// The REST caller: `Operator_Account` and the members' `operator`.
    pub operator: String,
    pub reason: Option<String>,
    /// An expired message is not found (10030), as a group's is.
    pub retention: Retention,
}

impl Recall {
    /// The keys recalled (`RetCode` 0), as the server gave them, each once (a key repeated in
    /// the request is answered 0 each time).
    fn recalled(&self, codes: &[u32]) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for (key, &code) in self.keys.iter().zip(codes) {
            if let (Some((seq, time)), 0) = (key, code) {
                let key = msg_key(*seq, *time);
                if !out.contains(&key) {
                    out.push(key);
                }
            }
        }
        out
    }
}

impl WriteOp for Recall {
    type Plan = Vec<u32>;
    type Out = Vec<u32>;

    async fn check<R: ReadTx>(&self, r: &mut R) -> Result<Vec<u32>, StoreError> {
        load(r, self.app, &self.id, true).await?;
        let not_found = ErrorCode::RecallMsgNotFound.code();
        let mut out = Vec::with_capacity(self.keys.len());
        for key in &self.keys {
            let found = match key {
                Some((seq, time)) => {
                    !self.retention.expired(*time)
                        && r.query_opt(
                            "SELECT recalled FROM official_messages
                             WHERE app = $1 AND official = $2 AND seq = $3 AND time = $4",
                            params![self.app, &self.id, *seq, *time],
                        )
                        .await?
                        .is_some_and(|row| !row.bool(0))
                }
                None => false,
            };
            out.push(if found { 0 } else { not_found });
        }
        Ok(out)
    }

    async fn apply<W: WriteTx>(&self, codes: Vec<u32>, w: &mut W) -> Result<Vec<u32>, DbError> {
        for (key, &code) in self.keys.iter().zip(&codes) {
            if let (Some((seq, _)), 0) = (key, code) {
                w.execute(
                    "UPDATE official_messages SET recalled = TRUE
                     WHERE app = $1 AND official = $2 AND seq = $3",
                    params![self.app, &self.id, *seq],
                )
                .await?;
            }
        }
        Ok(codes)
    }

    fn callbacks(&self) -> Option<(AppId, &'static [&'static str])> {
        Some((self.app, &[cb::OFFICIAL_AFTER_WITHDRAW]))
    }

    /// The keys recalled, the operator and the reason (inferred payload); none recalled,
    /// none sent.
    async fn events<W: WriteTx>(
        &self,
        codes: &Vec<u32>,
        _: &[&'static str],
        _: &mut W,
    ) -> Result<Vec<Event>, DbError> {
        let keys = self.recalled(codes);
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let mut fields = json!({"Official_Account": self.id, "Operator_Account": self.operator,
                                "MsgKeyList": keys});
        if let Some(reason) = &self.reason {
            fields["Reason"] = reason.as_str().into();
        }
        Ok(vec![event(cb::OFFICIAL_AFTER_WITHDRAW, &self.id, fields)])
    }

    /// The connected subscribers the message reached hear the recall.
    fn changes(&self, codes: &Vec<u32>, sink: &dyn ChangeSink) -> Option<(AppId, Vec<Change>)> {
        let keys = self.recalled(codes);
        (!keys.is_empty() && sink.wants(self.app)).then(|| {
            let change = Change::OfficialRecalled {
                official_id: self.id.clone(),
                keys,
                operator: self.operator.clone(),
            };
            (self.app, vec![change])
        })
    }
}

/// official_account_msg_get_simple: up to `count` messages with Seq below `before`
/// (`None`: the newest), newest first.
pub(crate) struct History {
    pub app: AppId,
    pub id: String,
    pub before: Option<u64>,
    pub count: u64,
    pub with_recalled: bool,
    /// Expired messages are never returned, swept or not.
    pub retention: Retention,
}

impl ReadOp for History {
    /// (the page, `IsFinished`: `timber_core::official::history_finished`).
    type Out = (Vec<OfficialMsg>, u8);

    async fn read<R: ReadTx>(&self, r: &mut R) -> Result<Self::Out, StoreError> {
        let account = load(r, self.app, &self.id, false).await?;
        let recalled = if self.with_recalled {
            ""
        } else {
            " AND recalled = FALSE"
        };
        // Times never decrease with Seq, so the unexpired messages are the newest ones.
        let cutoff = self.retention.cutoff().unwrap_or(i64::MIN);
        let rows = r
            .query(
                &format!(
                    "SELECT {MSG_COLUMNS} FROM official_messages
                     WHERE app = $1 AND official = $2 AND seq < $3 AND time >= $4{recalled}
                     ORDER BY seq DESC LIMIT $5"
                ),
                params![
                    self.app,
                    &self.id,
                    self.before.unwrap_or(u64::MAX),
                    cutoff,
                    self.count.saturating_add(1)
                ],
            )
            .await?;
        let mut page: Vec<OfficialMsg> = rows.into_iter().map(msg_of).collect();
        let more = page.len() as u64 > self.count;
        page.truncate(self.count as usize);
        let floor = match page.last() {
            Some(m) => m.seq,
            None => self
                .before
                .unwrap_or(u64::MAX)
                .min(account.seq.saturating_add(1)),
        };
        let finished = if more || self.retention.cutoff().is_none() {
            u8::from(!more)
        } else {
            // The oldest message not expired, recalled ones included.
            let oldest_live = r
                .query_opt(
                    "SELECT seq FROM official_messages
                     WHERE app = $1 AND official = $2 AND time >= $3 ORDER BY seq LIMIT 1",
                    params![self.app, &self.id, cutoff],
                )
                .await?
                .map(|row| row.u64(0));
            history_finished(more, floor, oldest_live)
        };
        Ok((page, finished))
    }
}

/// One step of the retention sweep of official messages: deletes at most `max_rows` expired
/// messages, the oldest first, app by app. No cursor is kept: what is left expired is still
/// the oldest rows, so the next step starts there. The rows are found within the app's part
/// of the primary key, with no index on `time`: official messages are few (the cloud allows
/// an account two broadcasts an hour), and no migration is spent on them.
pub(crate) struct ExpireOfficialStep {
    pub policy: RetentionPolicy,
    pub now: i64,
    pub max_rows: u64,
}

impl WriteOp for ExpireOfficialStep {
    type Plan = ();
    type Out = SweepStep;

    async fn check<R: ReadTx>(&self, _: &mut R) -> Result<(), StoreError> {
        Ok(())
    }

    async fn apply<W: WriteTx>(&self, (): (), w: &mut W) -> Result<SweepStep, DbError> {
        let mut apps: Vec<(AppId, u32)> = self.policy.iter().map(|(a, d)| (*a, *d)).collect();
        apps.sort_unstable();
        let mut deleted = 0u64;
        for (app, days) in apps {
            let Some(cutoff) = (Retention {
                days,
                now: self.now,
            })
            .cutoff() else {
                continue;
            };
            let budget = self.max_rows - deleted;
            deleted += w
                .execute(
                    "DELETE FROM official_messages WHERE app = $1 AND (official, seq) IN
                         (SELECT official, seq FROM official_messages
                          WHERE app = $1 AND time < $2 ORDER BY time LIMIT $3)",
                    params![app, cutoff, budget],
                )
                .await?;
            if deleted >= self.max_rows {
                return Ok(SweepStep {
                    deleted,
                    pass_done: false,
                });
            }
        }
        Ok(SweepStep {
            deleted,
            pass_done: true,
        })
    }
}
