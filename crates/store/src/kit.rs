//! The emulator kit (`/_timber/reset`, `/_timber/export`, `/_timber/import`, `--seed`): an
//! app's whole state removed, read out as rows, or replaced by rows. The tables come from the
//! database's own catalogue, so a table a later migration adds is covered without a list here
//! to keep up to date. spec: none (timber's own; README "Using timber in your tests").

use crate::backend::Backend;
use crate::ops::kit::{ExportApp, ImportApp, ResetApp};
use crate::Result;
use std::collections::BTreeMap;
use timber_core::AppId;

/// One row: column name → value (numbers, strings, booleans, null), without the `app` column.
pub type DumpRow = serde_json::Map<String, serde_json::Value>;

/// An app's rows, table by table (tables without rows are left out).
pub type AppDump = BTreeMap<String, Vec<DumpRow>>;

#[async_trait::async_trait]
pub trait KitStore {
    /// Deletes every row of `app` in every table: the app as if it had never been used.
    async fn reset_app(&self, app: AppId) -> Result<()>;

    /// Every row of `app` (but the callback outbox's), in key order.
    async fn export_app(&self, app: AppId) -> Result<AppDump>;

    /// Replaces `app`'s state by `dump`'s rows, in one transaction: what is not in the
    /// document is gone afterwards. A document naming an unknown table or column is refused
    /// (60002) before anything changes. Returns the number of rows written.
    async fn import_app(&self, app: AppId, dump: AppDump) -> Result<u64>;
}

#[async_trait::async_trait]
impl<B: Backend> KitStore for B {
    async fn reset_app(&self, app: AppId) -> Result<()> {
        self.write(ResetApp { app }).await?;
        if let Some(cache) = self.revoked_cache() {
            cache.forget_app(app);
        }
        Ok(())
    }

    async fn export_app(&self, app: AppId) -> Result<AppDump> {
        self.scan(ExportApp { app }).await
    }

    async fn import_app(&self, app: AppId, dump: AppDump) -> Result<u64> {
        let (written, revoked) = self.write(ImportApp { app, dump }).await?;
        if let Some(cache) = self.revoked_cache() {
            cache.forget_app(app);
            for (user, at) in revoked {
                cache.set(app, user, at);
            }
        }
        Ok(written)
    }
}
