//! timber's domain: the types and rules of accounts, groups and messages, and `ErrorCode`,
//! the single table of every Tencent code we return. Pure: no IO, no HTTP, no SQL.

pub mod account;
pub mod appinfo;
pub mod c2c;
pub mod callback;
pub mod contacts;
pub mod error;
pub mod extension;
pub mod group;
pub mod kit;
pub mod member;
pub mod message;
pub mod moderation;
pub mod msglog;
pub mod nospeaking;
pub mod official;
pub mod profile;
pub mod push;
pub mod robot;
pub mod sns;
pub mod text;
pub mod tips;
pub mod topic;

pub use error::{Error, ErrorCode, Result};

/// The SDKAppID: the tenant every stored key starts with.
pub type AppId = u64;

/// Unix time in seconds, the unit of every timestamp in the API.
pub fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}
