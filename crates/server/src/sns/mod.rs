//! `v4/sns/*` and `v4/follow/*`: relationships. spec: relationships.md. Their failures use the
//! 30000 series (30001 invalid parameter, 30006 internal; §23). Every answer carries
//! `ErrorDisplay` (`""`), as every documented sample does (`Service::shows_error_display`).

pub mod blocks;
mod fields;
pub mod follow;
pub mod friends;
pub mod lists;
