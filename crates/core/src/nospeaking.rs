//! Global mutes (`openconfigsvr/setnospeaking`, `getnospeaking`): an account's one-to-one and
//! group mutes, each a duration from the moment it is set. spec: push-and-operations.md §2.
//!
//! A mute is stored as the Unix second it ends (`0`: not muted, [`FOREVER`]: permanent), so a
//! send compares it with its own time and nothing has to clear it when it runs out.

/// The wire value of a permanent mute (`0xFFFFFFFF` seconds).
pub const PERMANENT_SECS: u64 = u32::MAX as u64;

/// The stored end of a permanent mute.
pub const FOREVER: i64 = i64::MAX;

/// The stored end of a mute of `secs` seconds set at `now` (0 lifts it).
pub fn mute_end(now: i64, secs: u64) -> i64 {
    match secs {
        0 => 0,
        PERMANENT_SECS => FOREVER,
        s => now.saturating_add(s as i64),
    }
}

/// What `getnospeaking` reports for a stored end: the seconds left, rounded down (0 when it
/// has run out), or [`PERMANENT_SECS`].
pub fn remaining(now: i64, end: i64) -> u64 {
    if end == FOREVER {
        PERMANENT_SECS
    } else if end > now {
        ((end - now) as u64).min(PERMANENT_SECS - 1)
    } else {
        0
    }
}

/// A setnospeaking request after its field checks: the mutes it sets, in seconds; `None`
/// keeps that mute as it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SetMute {
    pub c2c: Option<u64>,
    pub group: Option<u64>,
}

/// An account's two stored mute ends (0: not muted).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MuteEnds {
    pub c2c: i64,
    pub group: i64,
}

/// The ends after `set` at `now`, from the `current` ones.
pub fn decide_set(current: MuteEnds, set: SetMute, now: i64) -> MuteEnds {
    MuteEnds {
        c2c: set.c2c.map_or(current.c2c, |s| mute_end(now, s)),
        group: set.group.map_or(current.group, |s| mute_end(now, s)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ends_and_remaining() {
        assert_eq!(mute_end(100, 0), 0);
        assert_eq!(mute_end(100, PERMANENT_SECS), FOREVER);
        assert_eq!(mute_end(100, 7200), 7300);
        assert_eq!(remaining(104, 7300), 7196);
        assert_eq!(remaining(7300, 7300), 0);
        assert_eq!(remaining(1, 0), 0);
        assert_eq!(remaining(1, FOREVER), PERMANENT_SECS);
    }

    #[test]
    fn a_missing_field_keeps_its_mute() {
        let current = MuteEnds { c2c: 50, group: 60 };
        let set = SetMute {
            c2c: Some(10),
            group: None,
        };
        assert_eq!(decide_set(current, set, 5), MuteEnds { c2c: 15, group: 60 });
    }
}
