//! `v4/openim/*`: the message service. Its failures use the openim codes (90001 invalid
//! parameter, 91000 internal; c2c-messages.md §11), not the group service's 10xxx.

pub mod budget;
pub mod edits;
pub(crate) mod fields;
pub mod group_messages;
pub mod online;
pub mod read;
pub mod roam;
pub mod send;
