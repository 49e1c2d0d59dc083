//! Groups, members and group messages on PostgreSQL: the shared operations (`crate::ops`),
//! writes as retried transactions, reads on a pooled connection.

crate::ops::group_and_message_store!(super::PgStore);
