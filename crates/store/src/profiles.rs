//! Profile operations. spec: profiles.md.

use crate::backend::Backend;
use crate::ops::profiles::{GetPortraits, SetPortrait};
use crate::Result;
use timber_core::profile::{CustomTags, ProfileChange, ProfileItem, RawItem};
use timber_core::AppId;

#[async_trait::async_trait]
pub trait ProfileStore {
    /// portrait_set (profiles.md §1) asked by `operator`: 40003 when `user` does not exist, else the first
    /// refusal of `timber_core::profile::decide_portrait_set` against the app's `custom`
    /// tags; on success every item is written and the change is returned.
    async fn set_portrait(
        &self,
        app: AppId,
        operator: String,
        user: String,
        items: Vec<RawItem>,
        custom: CustomTags,
    ) -> Result<ProfileChange>;

    /// Each user's stored profile items in one snapshot, in request order; `None` for a user
    /// that does not exist (portrait_get, profiles.md §2, builds its answer from this).
    async fn get_portraits(
        &self,
        app: AppId,
        users: Vec<String>,
    ) -> Result<Vec<(String, Option<Vec<ProfileItem>>)>>;
}

#[async_trait::async_trait]
impl<B: Backend> ProfileStore for B {
    async fn set_portrait(
        &self,
        app: AppId,
        operator: String,
        user: String,
        items: Vec<RawItem>,
        custom: CustomTags,
    ) -> Result<ProfileChange> {
        self.write(SetPortrait {
            app,
            operator,
            user,
            items,
            custom,
        })
        .await
    }

    async fn get_portraits(
        &self,
        app: AppId,
        users: Vec<String>,
    ) -> Result<Vec<(String, Option<Vec<ProfileItem>>)>> {
        self.read(GetPortraits { app, users }).await
    }
}
