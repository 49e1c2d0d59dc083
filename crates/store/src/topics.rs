//! Community topics (groups-more.md §8): a topic-enabled Community's sub-channels, each with
//! its own profile and message stream. The rules are `timber_core::topic`'s; the messages
//! reuse the group message machinery (`ops::topics`).

use crate::backend::Backend;
use crate::messages::{HistoryPage, HistoryQuery};
use crate::ops::topics::{
    CreateTopic, DestroyTopics, GetTopics, ModifyTopic, SendTopicMessage, TopicDeleteBySender,
    TopicHistory, TopicImport, TopicModify, TopicMute, TopicMuted, TopicRecall,
};
use crate::Result;
use timber_core::message::{ImportMsg, Imported, PageSink, Retention, SendMsg, Sent};
use timber_core::topic::TopicProfile;
use timber_core::{AppId, ErrorCode};

pub use crate::ops::topics::TopicsView;

/// A new topic (create_topic, import_topic).
#[derive(Debug, Clone)]
pub struct NewTopic {
    /// A custom ID, already checked to be the community's; `None` = generated.
    pub topic_id: Option<String>,
    /// With `name`.
    pub profile: TopicProfile,
    pub creator: String,
    pub create_time: i64,
    /// import_topic: no callback.
    pub import: bool,
}

#[async_trait::async_trait]
pub trait TopicStore {
    /// create_topic / import_topic (§8.3, §8.7): the topic's ID. 10010 no group; 10007 not a
    /// topic-enabled Community; 10021 custom ID in use; 10004 at the topic limit.
    async fn create_topic(&self, app: AppId, group_id: String, topic: NewTopic) -> Result<String>;

    /// get_topic (§8.4): the named topics (every one when `None`), each or its 10010, and the
    /// community membership of `member`.
    async fn get_topics(
        &self,
        app: AppId,
        group_id: String,
        topic_ids: Option<Vec<String>>,
        member: Option<String>,
    ) -> Result<TopicsView>;

    /// modify_topic (§8.5): the given profile fields and the mute-all flag.
    async fn modify_topic(
        &self,
        app: AppId,
        group_id: String,
        topic_id: String,
        profile: TopicProfile,
        mute_all: Option<bool>,
        operator: String,
    ) -> Result<()>;

    /// destroy_topic (§8.6): per topic `None` (disbanded) or its code (10010).
    async fn destroy_topics(
        &self,
        app: AppId,
        group_id: String,
        topic_ids: Vec<String>,
        now: i64,
    ) -> Result<Vec<(String, Option<ErrorCode>)>>;

    /// send_group_msg with `TopicId` (§8.2): every rule of the group send, seqs the topic's.
    async fn send_topic_message(
        &self,
        app: AppId,
        group_id: String,
        topic_id: String,
        send: SendMsg,
    ) -> Result<Sent>;

    /// group_msg_get_simple with `TopicId`.
    #[allow(clippy::too_many_arguments)]
    async fn topic_history_into(
        &self,
        app: AppId,
        group_id: String,
        topic_id: String,
        query: HistoryQuery,
        retention: Retention,
        sink: &mut dyn PageSink,
    ) -> Result<u8>;

    /// [`TopicStore::topic_history_into`], collected.
    async fn topic_history(
        &self,
        app: AppId,
        group_id: String,
        topic_id: String,
        query: HistoryQuery,
        retention: Retention,
    ) -> Result<HistoryPage> {
        let mut entries = Vec::new();
        let is_finished = self
            .topic_history_into(app, group_id, topic_id, query, retention, &mut entries)
            .await?;
        Ok(HistoryPage {
            entries,
            is_finished,
        })
    }

    /// group_msg_recall with `TopicId`; `operator` as for `recall_messages`.
    async fn recall_topic_messages(
        &self,
        app: AppId,
        group_id: String,
        topic_id: String,
        seqs: Vec<u64>,
        retention: Retention,
        operator: String,
    ) -> Result<Vec<Result<(), ErrorCode>>>;

    /// import_group_msg with `TopicId`: per message its seq in the topic or its refusal.
    async fn import_topic_messages(
        &self,
        app: AppId,
        group_id: String,
        topic_id: String,
        msgs: Vec<ImportMsg>,
        now: i64,
    ) -> Result<Vec<Imported>>;

    /// modify_group_msg with `TopicId`.
    #[allow(clippy::too_many_arguments)]
    async fn modify_topic_message(
        &self,
        app: AppId,
        group_id: String,
        topic_id: String,
        seq: u64,
        body: Option<String>,
        cloud_custom_data: Option<String>,
        max_bytes: usize,
        retention: Retention,
    ) -> Result<()>;

    /// forbid_send_msg with `TopicId`: mutes in the topic only.
    #[allow(clippy::too_many_arguments)]
    async fn mute_in_topic(
        &self,
        app: AppId,
        group_id: String,
        topic_id: String,
        accounts: Vec<String>,
        mute_time: u64,
        operator: String,
        now: i64,
    ) -> Result<()>;

    /// get_group_muted_account with `TopicId`: the topic's mutes running at `now`.
    async fn muted_in_topic(
        &self,
        app: AppId,
        group_id: String,
        topic_id: String,
        now: i64,
    ) -> Result<Vec<(String, i64)>>;

    /// delete_group_msg_by_sender with `TopicId`: how many messages were marked.
    async fn delete_topic_messages_by_sender(
        &self,
        app: AppId,
        group_id: String,
        topic_id: String,
        sender: String,
    ) -> Result<u64>;
}

#[async_trait::async_trait]
impl<B: Backend> TopicStore for B {
    async fn create_topic(&self, app: AppId, group_id: String, topic: NewTopic) -> Result<String> {
        let (_, id) = self
            .write(CreateTopic {
                app,
                group_id,
                topic_id: topic.topic_id,
                profile: topic.profile,
                creator: topic.creator,
                create_time: topic.create_time,
                import: topic.import,
            })
            .await?;
        Ok(id)
    }

    async fn get_topics(
        &self,
        app: AppId,
        group_id: String,
        topic_ids: Option<Vec<String>>,
        member: Option<String>,
    ) -> Result<TopicsView> {
        self.read(GetTopics {
            app,
            group_id,
            topic_ids,
            member,
        })
        .await
    }

    async fn modify_topic(
        &self,
        app: AppId,
        group_id: String,
        topic_id: String,
        profile: TopicProfile,
        mute_all: Option<bool>,
        operator: String,
    ) -> Result<()> {
        self.write(ModifyTopic {
            app,
            group_id,
            topic_id,
            profile,
            mute_all,
            operator,
        })
        .await?;
        Ok(())
    }

    async fn destroy_topics(
        &self,
        app: AppId,
        group_id: String,
        topic_ids: Vec<String>,
        now: i64,
    ) -> Result<Vec<(String, Option<ErrorCode>)>> {
        let (_, results) = self
            .write(DestroyTopics {
                app,
                group_id,
                topic_ids,
                now,
            })
            .await?;
        Ok(results)
    }

    async fn send_topic_message(
        &self,
        app: AppId,
        group_id: String,
        topic_id: String,
        send: SendMsg,
    ) -> Result<Sent> {
        self.write(SendTopicMessage {
            app,
            group_id,
            topic_id,
            send,
        })
        .await
    }

    async fn topic_history_into(
        &self,
        app: AppId,
        group_id: String,
        topic_id: String,
        query: HistoryQuery,
        retention: Retention,
        sink: &mut dyn PageSink,
    ) -> Result<u8> {
        let op = TopicHistory {
            app,
            group_id,
            topic_id,
            query,
            retention,
        };
        self.read_into(op, sink).await
    }

    async fn recall_topic_messages(
        &self,
        app: AppId,
        group_id: String,
        topic_id: String,
        seqs: Vec<u64>,
        retention: Retention,
        operator: String,
    ) -> Result<Vec<Result<(), ErrorCode>>> {
        self.write(TopicRecall {
            app,
            group_id,
            topic_id,
            seqs,
            retention,
            operator,
        })
        .await
    }

    async fn import_topic_messages(
        &self,
        app: AppId,
        group_id: String,
        topic_id: String,
        msgs: Vec<ImportMsg>,
        now: i64,
    ) -> Result<Vec<Imported>> {
        self.write(TopicImport {
            app,
            group_id,
            topic_id,
            msgs,
            now,
        })
        .await
    }

    async fn modify_topic_message(
        &self,
        app: AppId,
        group_id: String,
        topic_id: String,
        seq: u64,
        body: Option<String>,
        cloud_custom_data: Option<String>,
        max_bytes: usize,
        retention: Retention,
    ) -> Result<()> {
        self.write(TopicModify {
            app,
            group_id,
            topic_id,
            seq,
            body,
            cloud_custom_data,
            max_bytes,
            retention,
        })
        .await
    }

    async fn delete_topic_messages_by_sender(
        &self,
        app: AppId,
        group_id: String,
        topic_id: String,
        sender: String,
    ) -> Result<u64> {
        self.write(TopicDeleteBySender {
            app,
            group_id,
            topic_id,
            sender,
        })
        .await
    }

    async fn mute_in_topic(
        &self,
        app: AppId,
        group_id: String,
        topic_id: String,
        accounts: Vec<String>,
        mute_time: u64,
        operator: String,
        now: i64,
    ) -> Result<()> {
        self.write(TopicMute {
            app,
            group_id,
            topic_id,
            accounts,
            mute_time,
            operator,
            now,
        })
        .await
    }

    async fn muted_in_topic(
        &self,
        app: AppId,
        group_id: String,
        topic_id: String,
        now: i64,
    ) -> Result<Vec<(String, i64)>> {
        self.read(TopicMuted {
            app,
            group_id,
            topic_id,
            now,
        })
        .await
    }
}
