//! Official accounts and chatbots. spec: push-and-operations.md §5, §6; the types and rules
//! are `timber_core::official`'s and `timber_core::robot`'s.

use crate::backend::Backend;
use crate::messages::{RetentionPolicy, SweepStep};
use crate::ops::accounts::Import;
use crate::ops::c2c::{ModifyC2c, SendC2c};
use crate::ops::official::{
    AddSubscribers, Create, DeleteSubscribers, Destroy, ExpireOfficialStep, GetAccounts, History,
    Modify, ModifySubscriber, Recall, SendMsg, Subscribed, Subscribers, Subscriptions,
};
use crate::ops::profiles::SetPortrait;
use crate::ops::robots::{
    AppendStream, AppendStreamMsg, CreateRobot, Flag, IsRobot, List, StartStreamMsg, Unflag,
};
use crate::Result;
use timber_core::c2c::{C2cSent, MsgKey, NewC2cMsg};
use timber_core::message::Retention;
use timber_core::official::{
    BaseInfo, BaseInfoEdit, NewOfficialMsg, OfficialAccount, OfficialMsg, OfficialSent, Subscriber,
};
use timber_core::profile::{CustomTags, RawItem};
use timber_core::robot::Stream;
use timber_core::AppId;

/// An official account to create, as the handler checked it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOfficial {
    pub id: String,
    pub owner: String,
    pub info: BaseInfo,
    pub max_subscribers: u64,
    pub now: i64,
    /// The REST caller (the callbacks' `Operator_Account`).
    pub operator: String,
}

/// An official_account_msg_recall, as the handler checked it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfficialRecall {
    /// Parsed keys (`None`: not a key this server gave).
    pub keys: Vec<Option<(u64, i64)>>,
    /// The REST caller: the callback's `Operator_Account` and the members' `operator`.
    pub operator: String,
    pub reason: Option<String>,
    pub retention: Retention,
}

/// A chatbot to create (create_robot), as the handler checked it.
#[derive(Debug, Clone)]
pub struct NewRobot {
    pub user: String,
    /// Who asked: `Operator_Account` of the portrait callback.
    pub operator: String,
    /// The profile items to write (`Nick`, `FaceUrl`, `SelfSignature`); may be empty.
    pub items: Vec<RawItem>,
    pub custom: CustomTags,
    pub now: i64,
}

/// A later chunk of a streamed reply (send_stream_msg with a `MsgKey`).
#[derive(Debug, Clone)]
pub struct StreamChunk {
    pub key: MsgKey,
    pub from: String,
    pub chunk: String,
    pub finish: bool,
    /// The message's size limit after the chunk (the app's `max_msg_bytes`: 80002 over it).
    pub max_bytes: usize,
    pub retention: Retention,
}

#[async_trait::async_trait]
pub trait OfficialStore {
    /// create_official_account: 10004 when the owner is not imported, 10021 when the ID is
    /// taken.
    async fn create_official(&self, app: AppId, new: NewOfficial) -> Result<()>;

    /// destroy_official_account, with its subscribers and messages (10010 unknown);
    /// `operator` is the callbacks' `Operator_Account`, as below.
    async fn destroy_official(&self, app: AppId, id: String, operator: String) -> Result<()>;

    /// modify_official_account_base_info: the present fields (10004 over a limit, 10010).
    async fn modify_official(
        &self,
        app: AppId,
        id: String,
        edit: BaseInfoEdit,
        operator: String,
    ) -> Result<()>;

    /// Each account in order, `None` for an unknown one.
    async fn officials(&self, app: AppId, ids: Vec<String>)
        -> Result<Vec<Option<OfficialAccount>>>;

    /// At most `limit` subscribers after `after` (subscribe time, UserID), in that order:
    /// (total, the page, whether more follow). 10010 unknown.
    async fn official_subscribers(
        &self,
        app: AppId,
        id: String,
        after: Option<(i64, String)>,
        limit: u64,
    ) -> Result<(u64, Vec<Subscriber>, bool)>;

    /// add_subscriber: per user its `Result` (0 failed, 1 added, 2 already). 10010 unknown.
    /// `operator` is the callbacks' `Operator_Account`.
    async fn add_subscribers(
        &self,
        app: AppId,
        id: String,
        users: Vec<String>,
        now: i64,
        operator: String,
    ) -> Result<Vec<u8>>;

    /// delete_subscriber: per user 1 removed, 2 was not subscribed. 10010 unknown.
    async fn delete_subscribers(
        &self,
        app: AppId,
        id: String,
        users: Vec<String>,
        operator: String,
    ) -> Result<Vec<u8>>;

    /// modify_subscriber_info (10010 unknown account, 10004 not a subscriber): the present
    /// fields; `msg_flag` one of `timber_core::official::MSG_FLAGS`.
    async fn modify_subscriber(
        &self,
        app: AppId,
        id: String,
        user: String,
        custom: Option<String>,
        msg_flag: Option<String>,
    ) -> Result<()>;

    /// The official accounts `user` subscribes to, each with whether its `MsgFlag` lets
    /// broadcasts through: what the member hub holds while `user` is connected.
    async fn subscriptions(&self, app: AppId, user: String) -> Result<Vec<(String, bool)>>;

    /// The accounts `user` subscribes to, in subscription order: (total, the page).
    async fn subscribed_officials(
        &self,
        app: AppId,
        user: String,
        offset: u64,
        limit: u64,
    ) -> Result<(u64, Vec<(OfficialAccount, Subscriber)>)>;

    /// send_official_account_msg: the next Seq, or the key of the message it repeats.
    async fn send_official(
        &self,
        app: AppId,
        id: String,
        msg: NewOfficialMsg,
    ) -> Result<OfficialSent>;

    /// official_account_msg_recall: per key 0 or 10030 (also for an expired message).
    async fn recall_official(
        &self,
        app: AppId,
        id: String,
        recall: OfficialRecall,
    ) -> Result<Vec<u32>>;

    /// official_account_msg_get_simple: up to `count` unexpired messages below Seq `before`,
    /// newest first, and `IsFinished` (0 more remain, 2 older ones expired, 1 otherwise).
    async fn official_history(
        &self,
        app: AppId,
        id: String,
        before: Option<u64>,
        count: u64,
        with_recalled: bool,
        retention: Retention,
    ) -> Result<(Vec<OfficialMsg>, u8)>;

    /// One step of the retention sweep of official messages (as `MessageStore::expire_step`
    /// for groups): at most `max_rows` expired messages deleted, oldest first.
    async fn expire_official_step(
        &self,
        policy: RetentionPolicy,
        now: i64,
        max_rows: u64,
    ) -> Result<SweepStep>;

    /// create_robot in one transaction: the flag (10004 for a 21st valid chatbot; again for a
    /// valid one is a no-op), the account's import and its profile items; a refusal of any
    /// step writes nothing.
    async fn create_robot(&self, app: AppId, robot: NewRobot) -> Result<()>;

    /// delete_robot: 10004 when `user` is not a valid chatbot.
    async fn unflag_robot(&self, app: AppId, user: String) -> Result<()>;

    /// The app's valid chatbots, sorted.
    async fn robots(&self, app: AppId) -> Result<Vec<String>>;

    async fn is_robot(&self, app: AppId, user: String) -> Result<bool>;

    /// send_stream_msg's first call in one transaction: `msg` (from a valid chatbot to an
    /// existing account, 10004 otherwise; its body the stream's) stored as sendmsg stores it,
    /// and the stream of `chunks` recorded under its key.
    async fn start_stream_msg(
        &self,
        app: AppId,
        msg: NewC2cMsg,
        chunks: Vec<String>,
        finished: bool,
    ) -> Result<C2cSent>;

    /// A later chunk in one transaction: appended to the stream (10004 unknown, foreign or
    /// finished, or a bot no longer valid) and the message's body rebuilt from every chunk
    /// (`modify_c2c`'s refusals: nothing appended). The stream after it.
    async fn append_stream_msg(&self, app: AppId, chunk: StreamChunk) -> Result<Stream>;
}

#[async_trait::async_trait]
impl<B: Backend> OfficialStore for B {
    async fn create_official(&self, app: AppId, new: NewOfficial) -> Result<()> {
        self.write(Create {
            app,
            id: new.id,
            owner: new.owner,
            info: new.info,
            max_subscribers: new.max_subscribers,
            now: new.now,
            operator: new.operator,
        })
        .await
    }

    async fn destroy_official(&self, app: AppId, id: String, operator: String) -> Result<()> {
        self.write(Destroy { app, id, operator }).await.map(drop)
    }

    async fn modify_official(
        &self,
        app: AppId,
        id: String,
        edit: BaseInfoEdit,
        operator: String,
    ) -> Result<()> {
        self.write(Modify {
            app,
            id,
            edit,
            operator,
        })
        .await
        .map(drop)
    }

    async fn officials(
        &self,
        app: AppId,
        ids: Vec<String>,
    ) -> Result<Vec<Option<OfficialAccount>>> {
        self.read(GetAccounts { app, ids }).await
    }

    async fn official_subscribers(
        &self,
        app: AppId,
        id: String,
        after: Option<(i64, String)>,
        limit: u64,
    ) -> Result<(u64, Vec<Subscriber>, bool)> {
        self.read(Subscribers {
            app,
            id,
            after,
            limit,
        })
        .await
    }

    async fn add_subscribers(
        &self,
        app: AppId,
        id: String,
        users: Vec<String>,
        now: i64,
        operator: String,
    ) -> Result<Vec<u8>> {
        self.write(AddSubscribers {
            app,
            id,
            users,
            now,
            operator,
        })
        .await
        .map(|(results, _)| results)
    }

    async fn delete_subscribers(
        &self,
        app: AppId,
        id: String,
        users: Vec<String>,
        operator: String,
    ) -> Result<Vec<u8>> {
        self.write(DeleteSubscribers {
            app,
            id,
            users,
            operator,
        })
        .await
    }

    async fn modify_subscriber(
        &self,
        app: AppId,
        id: String,
        user: String,
        custom: Option<String>,
        msg_flag: Option<String>,
    ) -> Result<()> {
        self.write(ModifySubscriber {
            app,
            id,
            user,
            custom,
            msg_flag,
        })
        .await
    }

    async fn subscriptions(&self, app: AppId, user: String) -> Result<Vec<(String, bool)>> {
        self.read(Subscriptions { app, user }).await
    }

    async fn subscribed_officials(
        &self,
        app: AppId,
        user: String,
        offset: u64,
        limit: u64,
    ) -> Result<(u64, Vec<(OfficialAccount, Subscriber)>)> {
        self.read(Subscribed {
            app,
            user,
            offset,
            limit,
        })
        .await
    }

    async fn send_official(
        &self,
        app: AppId,
        id: String,
        msg: NewOfficialMsg,
    ) -> Result<OfficialSent> {
        self.write(SendMsg { app, id, msg }).await
    }

    async fn recall_official(
        &self,
        app: AppId,
        id: String,
        recall: OfficialRecall,
    ) -> Result<Vec<u32>> {
        self.write(Recall {
            app,
            id,
            keys: recall.keys,
            operator: recall.operator,
            reason: recall.reason,
            retention: recall.retention,
        })
        .await
    }

    async fn official_history(
        &self,
        app: AppId,
        id: String,
        before: Option<u64>,
        count: u64,
        with_recalled: bool,
        retention: Retention,
    ) -> Result<(Vec<OfficialMsg>, u8)> {
        self.read(History {
            app,
            id,
            before,
            count,
            with_recalled,
            retention,
        })
        .await
    }

    async fn expire_official_step(
        &self,
        policy: RetentionPolicy,
        now: i64,
        max_rows: u64,
    ) -> Result<SweepStep> {
        self.write(ExpireOfficialStep {
            policy,
            now,
            max_rows,
        })
        .await
    }

    async fn create_robot(&self, app: AppId, robot: NewRobot) -> Result<()> {
        let portrait = (!robot.items.is_empty()).then(|| SetPortrait {
            app,
            operator: robot.operator,
            user: robot.user.clone(),
            items: robot.items,
            custom: robot.custom,
        });
        self.write(CreateRobot {
            flag: Flag {
                app,
                user: robot.user.clone(),
            },
            import: Import {
                app,
                accounts: vec![crate::NewAccount::bare(&robot.user)],
                now: robot.now,
            },
            portrait,
        })
        .await
        .map(drop)
    }

    async fn unflag_robot(&self, app: AppId, user: String) -> Result<()> {
        self.write(Unflag { app, user }).await
    }

    async fn robots(&self, app: AppId) -> Result<Vec<String>> {
        self.read(List { app }).await
    }

    async fn is_robot(&self, app: AppId, user: String) -> Result<bool> {
        self.read(IsRobot { app, user }).await
    }

    async fn start_stream_msg(
        &self,
        app: AppId,
        msg: NewC2cMsg,
        chunks: Vec<String>,
        finished: bool,
    ) -> Result<C2cSent> {
        self.write(StartStreamMsg {
            send: SendC2c { app, msg },
            chunks,
            finished,
        })
        .await
    }

    async fn append_stream_msg(&self, app: AppId, c: StreamChunk) -> Result<Stream> {
        let append = AppendStream {
            app,
            key: c.key.to_string(),
            from: c.from,
            chunk: c.chunk,
            finish: c.finish,
        };
        // The parties and the body are the stream's, filled in by the check.
        let modify = ModifyC2c {
            app,
            from: String::new(),
            to: String::new(),
            key: c.key,
            body: None,
            cloud_custom_data: None,
            max_bytes: c.max_bytes,
            retention: c.retention,
        };
        self.write(AppendStreamMsg { append, modify })
            .await
            .map(|(stream, _)| stream)
    }
}
