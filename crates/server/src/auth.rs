//! Who is calling: the query parameters, the UserSig check (with a cache of verified
//! signatures), kicks, and the app-admin rule. spec: rest-protocol.md §2, §6, §7; usersig.md §3.

use crate::apps::App;
use crate::envelope::Service;
use crate::State;
use percent_encoding::percent_decode_str;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use timber_core::{AppId, Error, ErrorCode};
use timber_usersig::{Verified, VerifyError};

/// The query parameters the envelope reads; everything else (`random`, `contenttype`, unknown
/// names) is ignored (rest-protocol.md §2).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Query {
    pub sdkappid: Option<String>,
    pub identifier: Option<String>,
    pub usersig: Option<String>,
}

impl Query {
    /// Percent-decodes each value. `+` stays `+`: clients build this query by concatenation,
    /// and a UserID may contain `+` (the UserSig alphabet itself uses `*`, `-`, `_`).
    pub fn parse(raw: Option<&str>) -> Query {
        let mut q = Query::default();
        for pair in raw.unwrap_or("").split('&') {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let slot = match name {
                "sdkappid" => &mut q.sdkappid,
                "identifier" => &mut q.identifier,
                "usersig" => &mut q.usersig,
                _ => continue,
            };
            *slot = Some(percent_decode_str(value).decode_utf8_lossy().into_owned());
        }
        q
    }
}

/// An authenticated admin caller.
pub struct Caller {
    pub app: Arc<App>,
    pub identifier: String,
}

/// Runs envelope steps 3–5 (rest-protocol.md §6): the app, the UserSig of `identifier`, kicks,
/// then the admin rule, whose code depends on the `service` called.
pub async fn authenticate(
    state: &State,
    service: Service,
    query: Query,
    now: i64,
) -> Result<Caller, Error> {
    let (app, identifier, _) = verify_user(state, query, now).await?;
    if !app.is_admin(&identifier) {
        return Err(Error::new(
            service.admin_required(),
            format!("{identifier:?} is not an App admin of {}", app.sdkappid),
        ));
    }
    Ok(Caller { app, identifier })
}

/// Envelope steps 3–4 for any user (members connect with their own UserSig, members.md §1):
/// the app, the UserSig of `identifier`, kicks.
pub async fn verify_user(
    state: &State,
    query: Query,
    now: i64,
) -> Result<(Arc<App>, String, Verified), Error> {
    let sdkappid = match query.sdkappid.as_deref() {
        None | Some("") => return Err(ErrorCode::SdkAppIdMissing.into()),
        Some(s) => parse_sdkappid(s).ok_or_else(|| {
            Error::new(
                ErrorCode::HttpParse,
                format!("sdkappid {s:?} is not a plain decimal integer (no sign, no leading 0)"),
            )
        })?,
    };
    let app = state.apps.get(sdkappid).cloned().ok_or_else(|| {
        Error::new(
            ErrorCode::SdkAppIdNotFound,
            format!("SDKAppID {sdkappid} is not hosted here"),
        )
    })?;
    let identifier = match query.identifier {
        Some(id) if !id.is_empty() => id,
        _ => {
            return Err(Error::new(
                ErrorCode::HttpParse,
                "the identifier query parameter is missing",
            ))
        }
    };
    let usersig = query.usersig.unwrap_or_default();
    let verified = state.sigs.verify(&app, &identifier, &usersig, now)?;
    let revoked = state
        .store
        .revoked_before(sdkappid, &identifier)
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "reading kick state failed");
            Error::from(ErrorCode::AccountInternal)
        })?;
    if revoked.is_some_and(|kicked_at| revoked_by_kick(verified.time, kicked_at)) {
        return Err(Error::new(
            ErrorCode::SigRevoked,
            "this UserSig was issued at or before the user was kicked; generate a new one",
        ));
    }
    Ok((app, identifier, verified))
}

/// Whether a kick at `kicked_at` revokes a UserSig issued at `issued` (both whole Unix
/// seconds, as `TLS.time` is). A kick revokes every UserSig issued before it (accounts.md §5),
/// and one issued in the kick's own second may have been made before it: whole seconds cannot
/// tell, so the whole second is revoked (`<=`, not usersig.md §3's inferred `<`, which let a
/// UserSig made just before the kick keep working). The cost: a UserSig made in the kick's
/// second after it is refused too; a new one made once the clock has passed that second works.
fn revoked_by_kick(issued: i64, kicked_at: i64) -> bool {
    issued <= kicked_at
}

/// The SDKAppID as the console shows it: decimal digits, no sign, no leading zero (`0` alone is
/// a number, of no app). `str::parse` also takes `+1400000000` and `01400000000`; those are
/// spellings no console prints, and accepting them would give one app many names (60002,
/// rest-protocol.md §2).
fn parse_sdkappid(s: &str) -> Option<AppId> {
    let canonical = s.bytes().all(|b| b.is_ascii_digit()) && (s == "0" || !s.starts_with('0'));
    canonical.then(|| s.parse().ok()).flatten()
}

/// Verified signatures by their text, so the hot path neither inflates nor HMACs. What a
/// signature says never changes, so the cache is correct on any number of nodes; expiry and
/// kicks are still checked on every request.
pub struct SigCache {
    entries: Mutex<HashMap<String, (AppId, String, Verified)>>,
    capacity: usize,
}

impl SigCache {
    pub fn new(capacity: usize) -> SigCache {
        SigCache {
            entries: Mutex::new(HashMap::new()),
            capacity,
        }
    }

    pub fn verify(
        &self,
        app: &App,
        identifier: &str,
        usersig: &str,
        now: i64,
    ) -> Result<Verified, Error> {
        let cached = self.entries.lock().ok().and_then(|m| {
            m.get(usersig)
                .filter(|(a, id, _)| *a == app.sdkappid && id == identifier)
                .map(|(_, _, v)| *v)
        });
        let verified = match cached {
            Some(v) if now > v.expires_at() => return Err(sig_error(VerifyError::Expired)),
            Some(v) => v,
            None => {
                let v = timber_usersig::verify(usersig, app.sdkappid, identifier, &app.key, now)
                    .map_err(sig_error)?;
                if let Ok(mut m) = self.entries.lock() {
                    // A full cache starts over: simple, and a miss only costs one verification.
                    if m.len() >= self.capacity {
                        m.clear();
                    }
                    m.insert(usersig.to_owned(), (app.sdkappid, identifier.to_owned(), v));
                }
                v
            }
        };
        Ok(verified)
    }
}

fn sig_error(e: VerifyError) -> Error {
    let code = match e {
        VerifyError::Empty => ErrorCode::SigEmpty,
        VerifyError::Malformed => ErrorCode::SigMalformed,
        VerifyError::SdkAppIdMismatch => ErrorCode::SigSdkAppIdMismatch,
        VerifyError::IdentifierMismatch => ErrorCode::SigIdentifierMismatch,
        VerifyError::Expired => ErrorCode::SigExpired,
        VerifyError::BadSignature => ErrorCode::SigBadSignature,
    };
    Error::new(code, e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_decoding() {
        let q = Query::parse(Some(
            "sdkappid=1400000000&identifier=a%2Bb+c&usersig=eJy%2A-_&random=1&x",
        ));
        assert_eq!(q.sdkappid.as_deref(), Some("1400000000"));
        assert_eq!(q.identifier.as_deref(), Some("a+b+c"));
        assert_eq!(q.usersig.as_deref(), Some("eJy*-_"));
        assert_eq!(Query::parse(None), Query::default());
    }

    #[test]
    fn a_kick_revokes_its_own_second() {
        assert!(revoked_by_kick(99, 100));
        assert!(revoked_by_kick(100, 100));
        assert!(!revoked_by_kick(101, 100));
    }

    #[test]
    fn sdkappid_is_plain_decimal() {
        assert_eq!(parse_sdkappid("1400000000"), Some(1_400_000_000));
        assert_eq!(parse_sdkappid("0"), Some(0));
        for bad in [
            "+1400000000",
            "01400000000",
            "00",
            "-1",
            " 1400000000",
            "1400000000 ",
            "14abc",
            "",
            "99999999999999999999",
        ] {
            assert_eq!(parse_sdkappid(bad), None, "{bad:?}");
        }
    }
}
