//! Global mutes, push to all users, the app's dirty words, keyword libraries and banned
//! chat files, and the operations reads. spec: push-and-operations.md.

use crate::backend::Backend;
use crate::ops::appinfo::AppStats;
use crate::ops::moderation::{
    AddDirtyWords, AddKeywords, AreBanned, BlockingWords, DeleteDirtyWords, DeleteKeywords,
    GetDirtyWords, ListKeywords, ListLibraries, SetBanned,
};
use crate::ops::msglog::HourMessages;
use crate::ops::push::{
    AddTags, CreatePush, DeliverBatch, GetAttrNames, GetAttrs, GetMute, GetTags, PushRecipients,
    ReadPushTask, RemoveAllTags, RemoveAttrs, RemoveTags, SetAttrNames, SetAttrs, SetMute,
    UnfinishedPushes,
};
use crate::Result;
use serde_json::Value;
use std::sync::Arc;
use timber_core::nospeaking::{self, MuteEnds};
use timber_core::push::{AttrNames, Condition};
use timber_core::AppId;

/// A push as the handler checked it.
#[derive(Debug, Clone)]
pub struct NewPush {
    pub sender: String,
    pub random: u32,
    pub life_time: i64,
    pub condition: Condition,
    /// The `MsgBody` as sent.
    pub body: String,
    /// The `OfflinePushInfo` as sent, if any.
    pub offline: Option<String>,
    pub now: i64,
    /// The cloud's limits (1 s apart, 100 a day).
    pub limits: bool,
}

/// What im_push made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushCreated {
    pub task_id: String,
    /// The task's number in the app (what [`PushStore::deliver_push_batch`] takes).
    pub counter: u64,
    /// False when the `MsgRandom` repeated a task of the last 7 days: nothing new to deliver.
    pub fresh: bool,
}

/// A stored push task (the test hooks show it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushTask {
    pub task_id: String,
    pub counter: u64,
    pub sender: String,
    pub random: u32,
    pub created: i64,
    pub life_time: i64,
    pub body: String,
    /// Every recipient has its entry.
    pub done: bool,
    pub recipients: u64,
}

#[async_trait::async_trait]
pub trait PushStore {
    /// setnospeaking: the mutes `set` names change, from `now`; the account need not exist.
    async fn set_no_speaking(
        &self,
        app: AppId,
        user: String,
        set: nospeaking::SetMute,
        now: i64,
    ) -> Result<()>;

    /// The stored ends of `user`'s two global mutes (0 when none).
    async fn get_no_speaking(&self, app: AppId, user: String) -> Result<MuteEnds>;

    /// im_set_attr_name: names (or, with `""`, clears) the listed slots (90033 refused).
    async fn set_attr_names(&self, app: AppId, names: Vec<(String, String)>) -> Result<()>;

    /// The named slots.
    async fn get_attr_names(&self, app: AppId) -> Result<AttrNames>;

    /// Each user's attributes by their slot's current name, in request order.
    async fn get_attrs(
        &self,
        app: AppId,
        users: Vec<String>,
    ) -> Result<Vec<(String, Vec<(String, String)>)>>;

    /// im_set_attr: every user's named values (90033 for an unknown name or a bad value;
    /// nothing is written then).
    async fn set_attrs(&self, app: AppId, attrs: Vec<(String, Vec<(String, Value)>)>)
        -> Result<()>;

    /// im_remove_attr: clears the named attributes (90033 for an unknown name).
    async fn remove_attrs(&self, app: AppId, attrs: Vec<(String, Vec<String>)>) -> Result<()>;

    /// Each user's tags in the order they were added, in request order.
    async fn get_tags(&self, app: AppId, users: Vec<String>) -> Result<Vec<(String, Vec<String>)>>;

    /// im_add_tag: adds the tags (checked by the handler); 90032 when a user would carry
    /// more than 100, and nothing is written then.
    async fn add_tags(&self, app: AppId, tags: Vec<(String, Vec<String>)>) -> Result<()>;

    /// im_remove_tag: removes the tags a user has.
    async fn remove_tags(&self, app: AppId, tags: Vec<(String, Vec<String>)>) -> Result<()>;

    /// im_remove_all_tags.
    async fn remove_all_tags(&self, app: AppId, users: Vec<String>) -> Result<()>;

    /// im_push: records the task (or finds the one its `MsgRandom` repeats); 90033 for an
    /// unknown attribute name, 90024 / 90047 under the limits.
    async fn create_push(&self, app: AppId, push: NewPush) -> Result<PushCreated>;

    /// Delivers the next at most `limit` recipients of task `counter` in one transaction;
    /// answers whether the task is done. Recipients are the imported accounts matching the
    /// task's condition, the sender excluded, taken in UserID order from where the last
    /// batch ended, so no batch holds more than `limit` accounts in memory.
    async fn deliver_push_batch(&self, app: AppId, counter: u64, limit: usize) -> Result<bool>;

    /// Tasks not yet fully delivered, of every app (resumed at start).
    async fn unfinished_pushes(&self) -> Result<Vec<(AppId, u64)>>;

    /// The task `task_id`, if the app has it.
    async fn push_task(&self, app: AppId, task_id: String) -> Result<Option<PushTask>>;

    /// The recipients delivered so far of task `counter`, with their entries' expiry, in
    /// UserID order (test hooks).
    async fn push_recipients(&self, app: AppId, counter: u64) -> Result<Vec<(String, i64)>>;

    /// The app's dirty words, sorted.
    async fn get_dirty_words(&self, app: AppId) -> Result<Vec<String>>;

    /// Adds words (10004: an empty or long word, more than 50 in all; nothing written then).
    async fn add_dirty_words(&self, app: AppId, words: Vec<String>) -> Result<()>;

    /// Deletes words (10004 for an empty or long word).
    async fn delete_dirty_words(&self, app: AppId, words: Vec<String>) -> Result<()>;

    /// getappinfo's counts from `first_day` (a Beijing day number) on.
    async fn app_counts(
        &self,
        app: AppId,
        first_day: i64,
    ) -> Result<timber_core::appinfo::AppCounts>;

    /// get_history: the stored C2C (`c2c`) or group messages sent in `[from, until)`, in time
    /// order.
    async fn hour_messages(
        &self,
        app: AppId,
        c2c: bool,
        from: i64,
        until: i64,
    ) -> Result<Vec<timber_core::msglog::LogMsg>>;

    /// im_cos_msg: bans (or allows again) a chat file's URL.
    async fn set_file_banned(&self, app: AppId, url: String, banned: bool) -> Result<()>;

    /// Whether each URL is banned, in order.
    async fn files_banned(&self, app: AppId, urls: Vec<String>) -> Result<Vec<bool>>;

    /// im_msg_audit_mgr: a page of library `lib`'s keywords (`""`: the local library) of
    /// `filter_type` holding `contains`, with (matching, matching regular expressions).
    async fn list_keywords(
        &self,
        app: AppId,
        lib: String,
        filter_type: Option<i64>,
        contains: Option<String>,
        offset: i64,
        limit: i64,
    ) -> Result<(u64, u64, Vec<timber_core::moderation::Keyword>)>;

    /// The cloud libraries: (ID, keywords, created).
    async fn list_keyword_libraries(&self, app: AppId) -> Result<Vec<(String, u64, i64)>>;

    /// Adds keywords to library `lib` (their `id` and `created` are given here).
    async fn add_keywords(
        &self,
        app: AppId,
        lib: String,
        words: Vec<timber_core::moderation::Keyword>,
        now: i64,
    ) -> Result<()>;

    /// Deletes keywords by (id, or word when no id); per item the id deleted.
    async fn delete_keywords(
        &self,
        app: AppId,
        lib: String,
        items: Vec<(Option<i64>, String)>,
    ) -> Result<Vec<Option<i64>>>;

    /// The words that block (dirty words, local `FilterType` 2 words and regular expressions,
    /// cloud keywords) with their moderation labels.
    async fn moderation_words(&self, app: AppId) -> Result<Vec<timber_core::moderation::Blocking>>;

    /// The replacing local keywords (`FilterType` 1) a send masks.
    async fn replacing_keywords(
        &self,
        app: AppId,
    ) -> Result<Arc<Vec<timber_core::moderation::Replacing>>>;
}

#[async_trait::async_trait]
impl<B: Backend> PushStore for B {
    async fn set_no_speaking(
        &self,
        app: AppId,
        user: String,
        set: nospeaking::SetMute,
        now: i64,
    ) -> Result<()> {
        self.write(SetMute {
            app,
            user,
            set,
            now,
        })
        .await
    }

    async fn get_no_speaking(&self, app: AppId, user: String) -> Result<MuteEnds> {
        self.read(GetMute { app, user }).await
    }

    async fn set_attr_names(&self, app: AppId, names: Vec<(String, String)>) -> Result<()> {
        self.write(SetAttrNames { app, names }).await
    }

    async fn get_attr_names(&self, app: AppId) -> Result<AttrNames> {
        self.read(GetAttrNames { app }).await
    }

    async fn get_attrs(
        &self,
        app: AppId,
        users: Vec<String>,
    ) -> Result<Vec<(String, Vec<(String, String)>)>> {
        self.read(GetAttrs { app, users }).await
    }

    async fn set_attrs(
        &self,
        app: AppId,
        attrs: Vec<(String, Vec<(String, Value)>)>,
    ) -> Result<()> {
        self.write(SetAttrs { app, attrs }).await
    }

    async fn remove_attrs(&self, app: AppId, attrs: Vec<(String, Vec<String>)>) -> Result<()> {
        self.write(RemoveAttrs { app, attrs }).await
    }

    async fn get_tags(&self, app: AppId, users: Vec<String>) -> Result<Vec<(String, Vec<String>)>> {
        self.read(GetTags { app, users }).await
    }

    async fn add_tags(&self, app: AppId, tags: Vec<(String, Vec<String>)>) -> Result<()> {
        self.write(AddTags { app, tags }).await
    }

    async fn remove_tags(&self, app: AppId, tags: Vec<(String, Vec<String>)>) -> Result<()> {
        self.write(RemoveTags { app, tags }).await
    }

    async fn remove_all_tags(&self, app: AppId, users: Vec<String>) -> Result<()> {
        self.write(RemoveAllTags { app, users }).await
    }

    async fn create_push(&self, app: AppId, push: NewPush) -> Result<PushCreated> {
        self.write(CreatePush { app, push }).await
    }

    async fn deliver_push_batch(&self, app: AppId, counter: u64, limit: usize) -> Result<bool> {
        let out = self
            .write(DeliverBatch {
                app,
                counter,
                limit,
            })
            .await?;
        Ok(out.done)
    }

    async fn unfinished_pushes(&self) -> Result<Vec<(AppId, u64)>> {
        self.read(UnfinishedPushes).await
    }

    async fn push_task(&self, app: AppId, task_id: String) -> Result<Option<PushTask>> {
        self.read(ReadPushTask { app, task_id }).await
    }

    async fn push_recipients(&self, app: AppId, counter: u64) -> Result<Vec<(String, i64)>> {
        self.scan(PushRecipients { app, counter }).await
    }

    async fn get_dirty_words(&self, app: AppId) -> Result<Vec<String>> {
        self.read(GetDirtyWords { app }).await
    }

    async fn add_dirty_words(&self, app: AppId, words: Vec<String>) -> Result<()> {
        self.write(AddDirtyWords { app, words }).await
    }

    async fn delete_dirty_words(&self, app: AppId, words: Vec<String>) -> Result<()> {
        self.write(DeleteDirtyWords { app, words }).await
    }

    async fn app_counts(
        &self,
        app: AppId,
        first_day: i64,
    ) -> Result<timber_core::appinfo::AppCounts> {
        self.scan(AppStats { app, first_day }).await
    }

    async fn hour_messages(
        &self,
        app: AppId,
        c2c: bool,
        from: i64,
        until: i64,
    ) -> Result<Vec<timber_core::msglog::LogMsg>> {
        self.scan(HourMessages {
            app,
            c2c,
            from,
            until,
        })
        .await
    }

    async fn set_file_banned(&self, app: AppId, url: String, banned: bool) -> Result<()> {
        self.write(SetBanned { app, url, banned }).await
    }

    async fn files_banned(&self, app: AppId, urls: Vec<String>) -> Result<Vec<bool>> {
        self.read(AreBanned { app, urls }).await
    }

    async fn list_keywords(
        &self,
        app: AppId,
        lib: String,
        filter_type: Option<i64>,
        contains: Option<String>,
        offset: i64,
        limit: i64,
    ) -> Result<(u64, u64, Vec<timber_core::moderation::Keyword>)> {
        self.read(ListKeywords {
            app,
            lib,
            filter_type,
            contains,
            offset,
            limit,
        })
        .await
    }

    async fn list_keyword_libraries(&self, app: AppId) -> Result<Vec<(String, u64, i64)>> {
        self.read(ListLibraries { app }).await
    }

    async fn add_keywords(
        &self,
        app: AppId,
        lib: String,
        words: Vec<timber_core::moderation::Keyword>,
        now: i64,
    ) -> Result<()> {
        self.write(AddKeywords {
            app,
            lib,
            words,
            now,
        })
        .await
    }

    async fn delete_keywords(
        &self,
        app: AppId,
        lib: String,
        items: Vec<(Option<i64>, String)>,
    ) -> Result<Vec<Option<i64>>> {
        self.write(DeleteKeywords { app, lib, items }).await
    }

    async fn moderation_words(&self, app: AppId) -> Result<Vec<timber_core::moderation::Blocking>> {
        self.read(BlockingWords { app }).await
    }

    /// From the node's leased cache on PostgreSQL (`postgres/cache.rs`), which every local
    /// keyword change waits on before it is answered; else from the database.
    async fn replacing_keywords(
        &self,
        app: AppId,
    ) -> Result<Arc<Vec<timber_core::moderation::Replacing>>> {
        let leased = self.node_cache();
        if let Some(hit) = leased.and_then(|c| c.replacing(app)) {
            return Ok(hit);
        }
        let generation = leased.map(|c| c.generation());
        let rules = Arc::new(
            self.read(crate::ops::moderation::ReplacingKeywords { app })
                .await?,
        );
        if let (Some(cache), Some(generation)) = (leased, generation) {
            cache.fill_replacing(generation, app, rules.clone());
        }
        Ok(rules)
    }
}
