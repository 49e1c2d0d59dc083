//! The store's operations, written once over [`crate::sql::Tx`] and run by both backends.
//! Each operation is one transaction: its checks (with `timber_core`'s rules) and its writes.

pub(crate) mod accounts;
pub(crate) mod groups;
pub(crate) mod messages;
