//! Message extensions (groups-more.md §9): the KV map of one group or one-to-one message.
//! The rules are `timber_core::extension`'s.

use crate::backend::Backend;
use crate::ops::extensions::{GetExtensions, SetExtensions};
use crate::Result;
use timber_core::extension::{ExtItem, ExtOp, ExtPage, ExtPlan};
use timber_core::message::Retention;
use timber_core::AppId;

pub use crate::ops::extensions::ExtTarget;

#[async_trait::async_trait]
pub trait ExtensionStore {
    /// group_get_key_values / get_key_values (§9.3, §9.5): the KVs from `start_seq`. A group
    /// missing 10010, AVChatRoom 10007; a one-to-one address of unknown accounts 70107 /
    /// 90012; a message that is not stored, recalled, expired or not sent with
    /// `SupportMessageExtension` 1: 20022.
    async fn get_extensions(
        &self,
        app: AppId,
        target: ExtTarget,
        start_seq: u64,
        retention: Retention,
    ) -> Result<ExtPage>;

    /// group_set_key_values / set_key_values (§9.4, §9.6): one version step for the whole
    /// call, per-KV results (23004, 90001); the same refusals as the pull. Records
    /// `Group.CallbackAfterGroupMsgExtension` / `C2C.CallbackAfterC2CMsgExtension`.
    async fn set_extensions(
        &self,
        app: AppId,
        target: ExtTarget,
        op: ExtOp,
        items: Vec<ExtItem>,
        retention: Retention,
    ) -> Result<ExtPlan>;
}

#[async_trait::async_trait]
impl<B: Backend> ExtensionStore for B {
    async fn get_extensions(
        &self,
        app: AppId,
        target: ExtTarget,
        start_seq: u64,
        retention: Retention,
    ) -> Result<ExtPage> {
        self.read(GetExtensions {
            app,
            target,
            start_seq,
            retention,
        })
        .await
    }

    async fn set_extensions(
        &self,
        app: AppId,
        target: ExtTarget,
        op: ExtOp,
        items: Vec<ExtItem>,
        retention: Retention,
    ) -> Result<ExtPlan> {
        self.write(SetExtensions {
            app,
            target,
            op,
            items,
            retention,
        })
        .await
    }
}
