//! Groups, members and group messages on SQLite: the shared operations (`crate::ops`) as
//! group-commit write jobs, short reads in place, and scans on the blocking pool.

crate::ops::group_and_message_store!(super::SqliteStore);
