//! Account rules. spec: accounts.md §0 and limits.md §1–§2.

use crate::{text, Error, ErrorCode};

/// A UserID is at most 32 bytes (documented on every account API).
pub const MAX_USER_ID_BYTES: usize = 32;
/// multiaccount_import, account_delete and account_check take at most 100 accounts.
pub const MAX_ACCOUNT_BATCH: usize = 100;
/// Profile values (`Nick`, `FaceUrl`) are at most 500 bytes (40601 beyond).
pub const MAX_PROFILE_VALUE_BYTES: usize = 500;
/// The admin every app has and that can never be removed (rest-protocol.md §7).
pub const DEFAULT_ADMIN: &str = "administrator";

/// Checks a UserID given to an import API, or to any API that keeps or passes on a UserID
/// without looking the account up (`timber_core::group::check_user_id`).
///
/// Our rule (accounts.md §0, inferred): non-empty, ≤ 32 bytes, printable ASCII 0x20–0x7E.
/// We deliberately allow `@`, `.`, `:` and the like because real apps use them. The reason
/// quotes the ID only once it is known to be short.
pub fn validate_user_id(id: &str) -> Result<(), String> {
    if id.is_empty() {
        return Err("UserID is empty".into());
    }
    if id.len() > MAX_USER_ID_BYTES {
        return Err(format!(
            "UserID is {} bytes long; at most {MAX_USER_ID_BYTES} are allowed",
            id.len()
        ));
    }
    if let Some(b) = id.bytes().find(|b| !(0x20..=0x7e).contains(b)) {
        return Err(format!(
            "UserID {id:?} contains byte 0x{b:02x} outside printable ASCII"
        ));
    }
    Ok(())
}

/// Profile fields stored by account_import.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Profile {
    pub nick: Option<String>,
    pub face_url: Option<String>,
}

impl Profile {
    /// 40601 when a value is longer than allowed; 70402 when it holds a NUL character, which
    /// timber stores nowhere (`text::check_no_nul`).
    pub fn validate(&self) -> Result<(), Error> {
        for (name, v) in [("Nick", &self.nick), ("FaceUrl", &self.face_url)] {
            if let Some(v) = v {
                if v.len() > MAX_PROFILE_VALUE_BYTES {
                    return Err(Error::new(
                        ErrorCode::ProfileValueTooLong,
                        format!("{name} is longer than {MAX_PROFILE_VALUE_BYTES} bytes"),
                    ));
                }
                text::check_no_nul(name, v)
                    .map_err(|why| Error::new(ErrorCode::AccountInvalidParameter, why))?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_id_rules() {
        for ok in ["a", "user_01-A", "a@b.c:d", "with space", &"x".repeat(32)] {
            assert!(validate_user_id(ok).is_ok(), "{ok}");
        }
        for bad in ["", &"x".repeat(33), "tab\there", "new\nline", "é", "nul\0"] {
            assert!(validate_user_id(bad).is_err(), "{bad:?}");
        }
        let long = "y".repeat(600_000);
        let why = validate_user_id(&long).unwrap_err();
        assert!(!why.contains("yyy"), "a long ID is not echoed: {why}");
    }

    #[test]
    fn profile_values() {
        let p = |nick: &str| Profile {
            nick: Some(nick.into()),
            face_url: None,
        };
        assert!(p("Zoë\nline two").validate().is_ok());
        let code = |nick: &str| p(nick).validate().unwrap_err().code;
        assert_eq!(code(&"n".repeat(501)), ErrorCode::ProfileValueTooLong);
        assert_eq!(code("a\0b"), ErrorCode::AccountInvalidParameter);
    }
}
