//! Group messages on PostgreSQL: the shared operations, one transaction each.

use super::PgStore;
use crate::messages::MessageStore;

#[async_trait::async_trait]
impl MessageStore for PgStore {}
