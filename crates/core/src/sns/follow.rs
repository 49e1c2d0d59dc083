//! The follow graph (relationships.md §17–§22): A follows B is one directed edge with its
//! `FollowTime`, independent of friends and blocklists. Writes that change nothing succeed
//! (§25, Idempotency).

use super::*;
use std::collections::HashMap;

/// Users per follow_add, follow_delete and follow_get_info call.
pub const MAX_FOLLOW_PER_CALL: usize = 20;
/// Users per follow_check call.
pub const MAX_FOLLOW_CHECK: usize = 100;
/// follow_get's `WantNum`: default and largest (larger is clamped, inferred).
pub const FOLLOW_PAGE_DEFAULT: usize = 100;
pub const FOLLOW_PAGE_MAX: usize = 1_000;

/// What the store knows about the follower and the users it names.
#[derive(Debug, Clone, Default)]
pub struct FollowFacts {
    pub user: String,
    pub following_count: usize,
    /// Per target: (imported, already followed).
    pub peers: HashMap<String, (bool, bool)>,
}

fn check_follow_target(f: &FollowFacts, to: &str) -> Result<(), Error> {
    if to.is_empty() {
        return Err(invalid("To_Account is required"));
    }
    if to == f.user {
        return Err(invalid("a user cannot follow itself"));
    }
    if !f.peers.get(to).is_some_and(|p| p.0) {
        return Err(Error::new(
            ErrorCode::SnsAccountNotFound,
            format!("{to} is not an imported account"),
        ));
    }
    Ok(())
}

/// follow_add (§18): already following is 0 and keeps the original `FollowTime`; the
/// 5 001st following is 30010.
pub fn decide_follow_add(facts: &FollowFacts, targets: &[String], now: i64) -> Decided {
    let mut f = facts.clone();
    let mut d = Decided::default();
    for to in targets {
        let r = (|| {
            check_follow_target(&f, to)?;
            if f.peers[to].1 {
                return Ok(());
            }
            if f.following_count >= MAX_FOLLOWING {
                return Err(Error::new(
                    ErrorCode::SnsFriendsFull,
                    format!("a user follows at most {MAX_FOLLOWING} users"),
                ));
            }
            f.following_count += 1;
            f.peers.insert(to.clone(), (true, true));
            d.writes.push(SnsWrite::InsertFollow {
                follower: f.user.clone(),
                followee: to.clone(),
                time: now,
            });
            Ok(())
        })();
        d.items.push((to.clone(), r));
    }
    d
}

/// follow_delete (§19): not following is 0.
pub fn decide_follow_delete(facts: &FollowFacts, targets: &[String]) -> Decided {
    let mut f = facts.clone();
    let mut d = Decided::default();
    for to in targets {
        let r = (|| {
            check_follow_target(&f, to)?;
            if f.peers[to].1 {
                f.peers.insert(to.clone(), (true, false));
                f.following_count -= 1;
                d.writes.push(SnsWrite::DeleteFollow {
                    follower: f.user.clone(),
                    followee: to.clone(),
                });
            }
            Ok(())
        })();
        d.items.push((to.clone(), r));
    }
    d
}

/// follow_check's `FollowType` (§20): 0 none, 1 B follows A, 2 A follows B, 3 mutual.
pub fn follow_type(a_follows_b: bool, b_follows_a: bool) -> u8 {
    u8::from(b_follows_a) | (u8::from(a_follows_b) << 1)
}

/// Which list follow_get pages (§21).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FollowList {
    Followers,
    Followings,
    Mutual,
}

impl FollowList {
    pub fn parse(n: i64) -> Result<FollowList, Error> {
        Ok(match n {
            1 => FollowList::Followers,
            2 => FollowList::Followings,
            3 => FollowList::Mutual,
            _ => {
                return Err(invalid(format!(
                    "FollowType {n} must be 1 (followers), 2 (followings) or 3 (mutual)"
                )))
            }
        })
    }
}

/// follow_get's cursor: `""` = the start, else the decimal offset we handed out (inferred).
pub fn parse_follow_cursor(s: &str) -> Result<usize, Error> {
    if s.is_empty() {
        return Ok(0);
    }
    s.parse().map_err(|_| {
        invalid(format!(
            "StartCursor {s:?} is not a cursor this server returned"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follow_types() {
        assert_eq!(follow_type(false, false), 0);
        assert_eq!(follow_type(false, true), 1);
        assert_eq!(follow_type(true, false), 2);
        assert_eq!(follow_type(true, true), 3);
    }

    #[test]
    fn adds_are_idempotent_and_limited() {
        let mut f = FollowFacts {
            user: "a".into(),
            following_count: MAX_FOLLOWING - 1,
            peers: HashMap::new(),
        };
        f.peers.insert("b".into(), (true, false));
        f.peers.insert("c".into(), (true, false));
        let d = decide_follow_add(&f, &["b".into(), "b".into(), "c".into(), "a".into()], 1);
        assert!(d.items[0].1.is_ok() && d.items[1].1.is_ok());
        assert_eq!(d.writes.len(), 1);
        assert_eq!(
            d.items[2].1.as_ref().unwrap_err().code,
            ErrorCode::SnsFriendsFull
        );
        assert_eq!(
            d.items[3].1.as_ref().unwrap_err().code,
            ErrorCode::SnsInvalidParameter
        );
        assert_eq!(parse_follow_cursor("12"), Ok(12));
        assert!(parse_follow_cursor("x").is_err());
    }
}
