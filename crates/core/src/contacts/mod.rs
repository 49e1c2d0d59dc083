//! Recent contacts (`recentcontact`): a user's conversation list with pinning, and the
//! conversation groups and marks kept beside it. spec: recent-contacts.md.
//!
//! Two views of one key, (owner, [`ContactKey`]), kept apart as §13 asks:
//! - the **conversation list** ([`list`]): which conversations a user has, when their latest
//!   message was, which are pinned. It is *derived at read time* from the messages' own
//!   state and stores nothing on the send paths (see [`list`] for why and how);
//! - the **contact book** ([`book`]): conversation groups, standard and custom marks. It is
//!   per-user data written only by the contact-group commands, independent of the list.

pub mod book;
pub mod list;

pub use book::*;
pub use list::*;

use crate::text::check_no_nul;
use crate::{Error, ErrorCode};

/// Conversations kept per user unless the app says otherwise (its `max_conversations`;
/// recent-contacts.md §0.3: 100 by default, paid editions raise it to 500 or 3,000).
/// Applied when the list is read ([`list::capped`]).
pub const DEFAULT_MAX_CONVERSATIONS: usize = 100;
/// Pinned conversations per user (§0.3, the client limit applied to REST `top`, inferred).
pub const MAX_PINNED: usize = 50;
/// Conversations per `top` call (§3, inferred).
pub const MAX_TOP_ITEMS: usize = 50;
/// Items of one `get_list` page, pinned and normal together (§1, inferred).
pub const LIST_PAGE_SIZE: usize = 100;
/// Conversation groups per user (§4, documented).
pub const MAX_CONTACT_GROUPS: usize = 20;
/// Bytes of a conversation group's name (§4: 32 on create; we use 32 for renames too).
pub const MAX_CONTACT_GROUP_NAME_BYTES: usize = 32;
/// Conversations that may be in groups, and conversations that may carry marks (§4: 1 000
/// each, documented; beyond → 51008).
pub const MAX_GROUPED_CONVERSATIONS: usize = 1000;
pub const MAX_MARKED_CONVERSATIONS: usize = 1000;
/// `MarkItem` entries per mark_contact call (§8, documented).
pub const MAX_MARK_ITEMS: usize = 100;
/// `ContactItem` entries per search_contact_group call (§10, documented).
pub const MAX_SEARCH_ITEMS: usize = 300;
/// Conversations of one get_contact_group page (§9, inferred).
pub const CONTACT_PAGE_SIZE: usize = 100;
/// Standard mark bit indexes are 0–63 (§4).
pub const MAX_MARK_BIT: u64 = 63;

/// A conversation's type: `Type` 1 (C2C) or 2 (group).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    C2c,
    Group,
}

impl Kind {
    /// The wire (and stored) `Type`.
    pub const fn code(self) -> i64 {
        match self {
            Kind::C2c => 1,
            Kind::Group => 2,
        }
    }

    pub fn from_code(code: i64) -> Option<Kind> {
        match code {
            1 => Some(Kind::C2c),
            2 => Some(Kind::Group),
            _ => None,
        }
    }
}

/// What names a conversation in its owner's list: its type and its peer (the other UserID,
/// or the GroupId). `Ord` is the tie order of §13: type, then peer bytewise.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ContactKey {
    pub kind: Kind,
    pub peer: String,
}

impl ContactKey {
    pub fn c2c(peer: &str) -> ContactKey {
        ContactKey {
            kind: Kind::C2c,
            peer: peer.to_owned(),
        }
    }

    pub fn group(group_id: &str) -> ContactKey {
        ContactKey {
            kind: Kind::Group,
            peer: group_id.to_owned(),
        }
    }

    /// A conversation named in a request: `Type` must be 1 or 2 and the peer field of that
    /// type present and non-empty (50002 otherwise; §2, §3, §5). The peer is not looked up:
    /// unknown peers are never an error (§13). `what` names the item in the message.
    pub fn from_request(
        what: &str,
        ty: Option<i64>,
        account: Option<&str>,
        group_id: Option<&str>,
    ) -> Result<ContactKey, Error> {
        let kind = ty.and_then(Kind::from_code).ok_or_else(|| {
            invalid(format!(
                "{what}: Type must be 1 (C2C) or 2 (group), got {}",
                ty.map_or("nothing".to_owned(), |t| t.to_string())
            ))
        })?;
        let (field, peer) = match kind {
            Kind::C2c => ("To_Account", account),
            Kind::Group => ("the GroupId", group_id),
        };
        if let Some(p) = peer {
            check_no_nul(field, p).map_err(|e| invalid(format!("{what}: {e}")))?;
        }
        match peer {
            Some(p) if !p.is_empty() && p.len() <= MAX_PEER_BYTES => Ok(ContactKey {
                kind,
                peer: p.to_owned(),
            }),
            Some(p) if !p.is_empty() => Err(invalid(format!(
                "{what}: {field} is {} bytes long; at most {MAX_PEER_BYTES}",
                p.len()
            ))),
            _ => Err(invalid(format!(
                "{what}: {field} is required for Type {}",
                kind.code()
            ))),
        }
    }
}

/// The longest peer accepted in a request: a UserID is at most 32 bytes and a GroupId 48
/// (accounts.md §0, groups.md); anything longer can name no conversation (our choice, so a
/// stored key stays small).
pub const MAX_PEER_BYTES: usize = 64;

/// 50002 with a reason.
pub fn invalid(info: impl Into<String>) -> Error {
    Error::new(ErrorCode::ContactInvalidParameter, info)
}

/// 50001: `From_Account` is not an imported account (§1, §11).
pub fn require_owner(exists: bool, owner: &str) -> Result<(), Error> {
    if exists {
        Ok(())
    } else {
        Err(Error::new(
            ErrorCode::ContactAccountNotFound,
            format!("From_Account {owner:?} has not been imported"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_keys() {
        let k = ContactKey::from_request("x", Some(1), Some("bob"), None).unwrap();
        assert_eq!(k, ContactKey::c2c("bob"));
        let g = ContactKey::from_request("x", Some(2), Some("bob"), Some("@TGS#1")).unwrap();
        assert_eq!(g, ContactKey::group("@TGS#1"));
        for (ty, a, g) in [
            (None, Some("bob"), None),
            (Some(3), Some("bob"), None),
            (Some(1), None, Some("g")),
            (Some(2), Some("bob"), None),
            (Some(1), Some(""), None),
        ] {
            let e = ContactKey::from_request("x", ty, a, g).unwrap_err();
            assert_eq!(
                e.code,
                ErrorCode::ContactInvalidParameter,
                "{ty:?} {a:?} {g:?}"
            );
        }
        assert!(ContactKey::from_request("x", Some(1), Some("b\0"), None).is_err());
        let long = "x".repeat(MAX_PEER_BYTES + 1);
        assert!(ContactKey::from_request("x", Some(1), Some(&long), None).is_err());
        assert!(ContactKey::c2c("z") < ContactKey::group("a"), "type first");
    }
}
