//! Group counters: signed 64-bit integers per group (likes, viewers, gifts). spec:
//! groups-more.md §4.
//!
//! Our decisions (groups-more.md §11.4): Community, with or without topics, has none (the
//! REST tables, [`COUNTER_TYPES`]); arithmetic is checked (leaving the int64 range is 10004
//! and writes nothing); a request is atomic and a key listed twice is applied twice, in order;
//! the 20-key limit is checked on the state after the update (10063).

use super::{GroupRecord, GroupType};
use crate::{text, Error, ErrorCode};
use std::collections::BTreeMap;

/// The types that have counters: all but Community.
pub const COUNTER_TYPES: [GroupType; 4] = [
    GroupType::Private,
    GroupType::Public,
    GroupType::ChatRoom,
    GroupType::AVChatRoom,
];
pub const MAX_COUNTER_KEYS: usize = 20;
pub const MAX_COUNTER_KEY_BYTES: usize = 128;

/// update_group_counter's `Mode` (case-sensitive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CounterMode {
    Set,
    Increase,
    Decrease,
}

impl CounterMode {
    pub fn parse(s: &str) -> Option<CounterMode> {
        Some(match s {
            "Set" => CounterMode::Set,
            "Increase" => CounterMode::Increase,
            "Decrease" => CounterMode::Decrease,
            _ => return None,
        })
    }
}

/// A counter key: 1–128 bytes without a NUL (10004).
pub fn check_counter_key(key: &str) -> Result<(), Error> {
    if key.is_empty() || key.len() > MAX_COUNTER_KEY_BYTES {
        return Err(Error::new(
            ErrorCode::GroupInvalidParameter,
            format!("counter key {key:?} must be 1-{MAX_COUNTER_KEY_BYTES} bytes"),
        ));
    }
    text::check_no_nul("Key", key).map_err(|e| Error::new(ErrorCode::GroupInvalidParameter, e))
}

/// 10007 for a type without counters ([`COUNTER_TYPES`]).
pub fn require_counter_type(g: &GroupRecord) -> Result<(), Error> {
    if COUNTER_TYPES.contains(&g.ty) {
        return Ok(());
    }
    Err(Error::new(
        ErrorCode::GroupPermissionDenied,
        format!("{} groups have no counters", g.ty.as_str()),
    ))
}

/// What update_group_counter writes: the new value of every key it changed, and the answer
/// (each requested key with its value after the whole request, request order, once per key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CounterPlan {
    pub writes: BTreeMap<String, i64>,
    pub answer: Vec<(String, i64)>,
}

/// Decides update_group_counter on the group's stored counters.
pub fn decide_counters(
    g: &GroupRecord,
    stored: &[(String, i64)],
    mode: CounterMode,
    items: &[(String, i64)],
) -> Result<CounterPlan, Error> {
    require_counter_type(g)?;
    let mut all: BTreeMap<String, i64> = stored.iter().cloned().collect();
    let mut writes = BTreeMap::new();
    for (key, value) in items {
        check_counter_key(key)?;
        let old = all.get(key).copied().unwrap_or(0);
        let new = match mode {
            CounterMode::Set => Some(*value),
            CounterMode::Increase => old.checked_add(*value),
            CounterMode::Decrease => old.checked_sub(*value),
        }
        .ok_or_else(|| {
            Error::new(
                ErrorCode::GroupInvalidParameter,
                format!("counter {key:?} would leave the signed 64-bit range"),
            )
        })?;
        all.insert(key.clone(), new);
        writes.insert(key.clone(), new);
    }
    if all.len() > MAX_COUNTER_KEYS {
        return Err(Error::new(
            ErrorCode::GroupCounterTooManyKeys,
            format!(
                "the group would have {} counters; at most {MAX_COUNTER_KEYS} are allowed",
                all.len()
            ),
        ));
    }
    let mut answer: Vec<(String, i64)> = Vec::new();
    for (key, _) in items {
        if !answer.iter().any(|(k, _)| k == key) {
            answer.push((key.clone(), all[key]));
        }
    }
    Ok(CounterPlan { writes, answer })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(ty: GroupType) -> GroupRecord {
        super::super::record::tests::group(ty)
    }

    fn kv(p: &[(&str, i64)]) -> Vec<(String, i64)> {
        p.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect()
    }

    #[test]
    fn increase_creates_at_zero_and_answers_new_values() {
        let plan = decide_counters(
            &g(GroupType::AVChatRoom),
            &kv(&[("like", 8)]),
            CounterMode::Increase,
            &kv(&[("like", 2), ("gift", 1), ("like", 1)]),
        )
        .unwrap();
        assert_eq!(plan.answer, kv(&[("like", 11), ("gift", 1)]));
        let d = decide_counters(
            &g(GroupType::Public),
            &[],
            CounterMode::Decrease,
            &kv(&[("x", 3)]),
        )
        .unwrap();
        assert_eq!(d.answer, kv(&[("x", -3)]));
        let s = decide_counters(
            &g(GroupType::Public),
            &kv(&[("x", 3)]),
            CounterMode::Set,
            &kv(&[("x", 9)]),
        )
        .unwrap();
        assert_eq!(s.answer, kv(&[("x", 9)]));
    }

    #[test]
    fn overflow_type_and_key_limits_refuse() {
        let code = |r: Result<CounterPlan, Error>| r.unwrap_err().code;
        let pub_g = g(GroupType::Public);
        assert_eq!(
            code(decide_counters(
                &pub_g,
                &kv(&[("x", i64::MAX)]),
                CounterMode::Increase,
                &kv(&[("x", 1)])
            )),
            ErrorCode::GroupInvalidParameter
        );
        assert_eq!(
            code(decide_counters(
                &pub_g,
                &kv(&[("x", i64::MIN)]),
                CounterMode::Decrease,
                &kv(&[("x", 1)])
            )),
            ErrorCode::GroupInvalidParameter
        );
        assert_eq!(
            code(decide_counters(
                &g(GroupType::Community),
                &[],
                CounterMode::Set,
                &kv(&[("x", 1)])
            )),
            ErrorCode::GroupPermissionDenied
        );
        let twenty: Vec<(String, i64)> = (0..20).map(|i| (format!("k{i}"), 1)).collect();
        assert!(decide_counters(&pub_g, &twenty, CounterMode::Set, &kv(&[("k0", 5)])).is_ok());
        assert_eq!(
            code(decide_counters(
                &pub_g,
                &twenty,
                CounterMode::Set,
                &kv(&[("new", 5)])
            )),
            ErrorCode::GroupCounterTooManyKeys
        );
        let long = "k".repeat(129);
        assert_eq!(
            code(decide_counters(&pub_g, &[], CounterMode::Set, &[(long, 1)])),
            ErrorCode::GroupInvalidParameter
        );
    }
}
