//! Group messages on SQLite: the shared operations, as write jobs or snapshot reads.

use super::SqliteStore;
use crate::messages::MessageStore;

#[async_trait::async_trait]
impl MessageStore for SqliteStore {}
