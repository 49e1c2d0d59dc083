//! The `Next` cursors of get_appid_group_list and of Community member pages. Each carries a
//! check of what it points at and of the app (and group) it was given for, so a cursor timber
//! did not hand out — garbage, a huge number, another app's or another group's — is told from
//! a real one and answers 10004 instead of an empty or arbitrary page (issue 23).
//!
//! The check is not a secret: it catches mistakes, not forgery. A made-up cursor that passes
//! only names a position in a list the calling app admin may read from the start anyway.
//! Cursors are valid across restarts and nodes (the check is a fixed function), but not
//! across the upgrade that introduced them: a client then pages again from the start.

use super::invalid;
use timber_core::{AppId, Error};

/// Low bits of a group-list cursor that hold the check; the group's key is above them. 20
/// bits leave a key below 2^33 a cursor below 2^53, exact even as a JavaScript number.
const CHECK_BITS: u32 = 20;

/// get_appid_group_list's `Next` after the group with store key `gkey`. `None` for a key too
/// large to carry a check (2^44 and above: never reached, keys count groups created).
pub(crate) fn group_list_next(app: AppId, gkey: u64) -> Option<u64> {
    (gkey >> (64 - CHECK_BITS) == 0).then(|| (gkey << CHECK_BITS) | group_list_check(app, gkey))
}

/// The store key a `Next` of get_appid_group_list points after; 0 is the first page.
pub(crate) fn group_list_after(app: AppId, next: u64) -> Result<u64, Error> {
    let gkey = next >> CHECK_BITS;
    if next == 0 || (next & ((1 << CHECK_BITS) - 1)) == group_list_check(app, gkey) {
        Ok(gkey)
    } else {
        Err(invalid(format!(
            "Next {next} is not a cursor this app was given; use 0 or the previous answer's Next"
        )))
    }
}

fn group_list_check(app: AppId, gkey: u64) -> u64 {
    check(&[b"groups", &app.to_le_bytes(), &gkey.to_le_bytes()]) & ((1 << CHECK_BITS) - 1)
}

/// A Community member page's `Next` after member `user` of `group_id`: 16 hex digits of
/// check, then the UserID's bytes in hex.
pub(crate) fn member_next(app: AppId, group_id: &str, user: &str) -> String {
    let mut next = format!("{:016x}", member_check(app, group_id, user));
    for b in user.bytes() {
        next.push_str(&format!("{b:02x}"));
    }
    next
}

/// The UserID a Community member page's `Next` points after; `None` for "" (the first page).
pub(crate) fn member_after(
    app: AppId,
    group_id: &str,
    next: &str,
) -> Result<Option<String>, Error> {
    if next.is_empty() {
        return Ok(None);
    }
    let refused = || {
        invalid(format!(
            "Next {:?} is not a cursor of this group; use \"\" or the previous answer's Next",
            next.chars().take(80).collect::<String>()
        ))
    };
    let (check_hex, user_hex) = next.split_at_checked(16).ok_or_else(refused)?;
    let digits = |s: &str| s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    if !digits(next) || user_hex.is_empty() || user_hex.len() % 2 != 0 {
        return Err(refused());
    }
    let bytes: Vec<u8> = (0..user_hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&user_hex[i..i + 2], 16).unwrap_or_default())
        .collect();
    let user = String::from_utf8(bytes).map_err(|_| refused())?;
    let check = u64::from_str_radix(check_hex, 16).map_err(|_| refused())?;
    if check != member_check(app, group_id, &user) {
        return Err(refused());
    }
    Ok(Some(user))
}

fn member_check(app: AppId, group_id: &str, user: &str) -> u64 {
    let (gid, user) = (group_id.as_bytes(), user.as_bytes());
    // Lengths first, so that no two (group, user) pairs hash the same bytes.
    let lens = [
        (gid.len() as u64).to_le_bytes(),
        (user.len() as u64).to_le_bytes(),
    ];
    check(&[
        b"members",
        &app.to_le_bytes(),
        &lens[0],
        &lens[1],
        gid,
        user,
    ])
}

/// FNV-1a over `parts`, then SplitMix64's finaliser so every input bit moves the low bits
/// too. Fixed forever: cursors must mean the same on every node and after a restart.
fn check(parts: &[&[u8]]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for &b in *part {
            h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    h = (h ^ (h >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h = (h ^ (h >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^ (h >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_list_cursors_round_trip_and_refuse_others() {
        for gkey in [1, 2, 77, 1 << 32, (1 << 44) - 1] {
            let next = group_list_next(7, gkey).unwrap();
            assert_eq!(group_list_after(7, next).unwrap(), gkey);
            assert!(group_list_after(8, next).is_err(), "another app's cursor");
            assert!(group_list_after(7, next ^ 1).is_err());
            assert!(group_list_after(7, next.wrapping_add(1 << CHECK_BITS)).is_err());
        }
        assert_eq!(group_list_next(7, 1 << 44), None);
        assert!(group_list_next(7, (1 << 33) - 1).unwrap() < 1 << 53);
        assert_eq!(group_list_after(7, 0).unwrap(), 0);
        let garbage = [1, 5, 1 << 20, u64::MAX, i64::MAX as u64, 1_234_567_890_123];
        for next in garbage {
            assert!(group_list_after(7, next).is_err(), "{next}");
        }
    }

    #[test]
    fn member_cursors_round_trip_and_refuse_others() {
        for user in ["a", "user-0042", "o'neil & co", "~"] {
            let next = member_next(7, "@TGS#_g", user);
            assert_eq!(
                member_after(7, "@TGS#_g", &next).unwrap().as_deref(),
                Some(user)
            );
            assert!(member_after(8, "@TGS#_g", &next).is_err(), "another app");
            assert!(member_after(7, "@TGS#_h", &next).is_err(), "another group");
            assert!(member_after(7, "@TGS#_g", &next.to_uppercase()).is_err());
            assert!(member_after(7, "@TGS#_g", &format!("{next}00")).is_err());
        }
        assert_eq!(member_after(7, "@TGS#_g", "").unwrap(), None);
        let garbage = [
            "garbage",
            "a",
            "0",
            "0000000000000000",
            "00000000000000006",
            "ünï",
            "🙂🙂🙂🙂🙂",
        ];
        for next in garbage {
            assert!(member_after(7, "@TGS#_g", next).is_err(), "{next:?}");
        }
        // The check of another pair with its UserID swapped in does not pass.
        let a = member_next(7, "@TGS#_g", "alice");
        let forged = format!("{}{}", &a[..16], &member_next(7, "@TGS#_g", "bob")[16..]);
        assert!(member_after(7, "@TGS#_g", &forged).is_err());
    }
}
