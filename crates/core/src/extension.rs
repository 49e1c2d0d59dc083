//! Message extensions (`openim_msg_ext_http_svc`): a small key → value map on one stored
//! message, with one version counter per message. spec: groups-more.md §9, §11.11.
//!
//! The model, ours where the pages are silent (each marked so in the spec):
//! - a message carries extensions only when it was sent with `SupportMessageExtension` 1 (the
//!   store keeps a head row for it, version 0); any other message is 20022;
//! - every successful set, delete or clear raises the version by exactly 1 and every KV it
//!   touched takes the new version as its `Seq`; a call whose every KV failed changes nothing;
//! - a delete leaves a tombstone (`Value` "") so that an incremental pull can report it; a
//!   clear drops every row, tombstones included, and records its version as `ClearSeq`;
//! - app-admin (REST) writes are not version-checked, so 23001 never comes from here.

use crate::group::GroupType;
use crate::message::{Retention, SlotState};
use crate::{Error, ErrorCode};

/// KVs one message may hold (live keys).
pub const MAX_KVS_PER_MSG: usize = 300;
/// KVs one set or delete call may name.
pub const MAX_KVS_PER_CALL: usize = 20;
/// Bytes of a key.
pub const MAX_KEY_BYTES: usize = 100;
/// Bytes of a value.
pub const MAX_VALUE_BYTES: usize = 1_000;
/// KVs one pull answers at most; more → `CompleteFlag` 0 and a pull from the next `Seq`.
pub const MAX_KVS_PER_PULL: usize = 200;

/// The group types whose messages may carry extensions: Private/Work, Public,
/// ChatRoom/Meeting, and Community after the 2025-11 page (§9.1, §11.2); AVChatRoom never
/// (10007). One constant, so that a stricter profile could restore the older table.
pub const EXTENSION_TYPES: &[GroupType] = &[
    GroupType::Private,
    GroupType::Public,
    GroupType::ChatRoom,
    GroupType::Community,
];

/// 10007 for a group type without extensions.
pub fn check_group_type(ty: GroupType) -> Result<(), Error> {
    if EXTENSION_TYPES.contains(&ty) {
        Ok(())
    } else {
        Err(Error::new(
            ErrorCode::GroupPermissionDenied,
            format!(
                "messages of a {} group cannot carry extensions",
                ty.as_str()
            ),
        ))
    }
}

/// 20022 unless the group message at `seq` can carry extensions: stored (not online-only),
/// not recalled, not expired, and sent with `SupportMessageExtension` 1 (`has_head`).
/// Clearing the history (clear_group_msg) does not matter (§11.11).
pub fn require_group_msg(
    group_id: &str,
    seq: u64,
    slot: Option<(SlotState, i64)>,
    has_head: bool,
    retention: Retention,
) -> Result<(), Error> {
    let not_found = |why: &str| {
        Error::new(
            ErrorCode::MsgNotFound,
            format!("group {group_id:?} has no message with MsgSeq {seq} {why}"),
        )
    };
    match slot {
        Some((SlotState::Normal, time)) if !retention.expired(time) => {}
        _ => return Err(not_found("(never stored, recalled or expired)")),
    }
    if !has_head {
        return Err(not_found("sent with SupportMessageExtension 1"));
    }
    Ok(())
}

/// The accounts of a one-to-one address must exist: `From_Account` 70107, `To_Account` 90012
/// (§9.2, inferred).
pub fn require_c2c_accounts(from: (&str, bool), to: (&str, bool)) -> Result<(), Error> {
    if !from.1 {
        return Err(Error::new(
            ErrorCode::AccountNotFound,
            format!("From_Account {:?} does not exist", from.0),
        ));
    }
    if !to.1 {
        return Err(Error::new(
            ErrorCode::ToAccountNotFound,
            format!("To_Account {:?} does not exist", to.0),
        ));
    }
    Ok(())
}

/// 20022 unless the one-to-one message can carry extensions: stored, not recalled, not
/// expired, sent with `SupportMessageExtension` 1.
pub fn require_c2c_msg(
    key: &str,
    found: Option<(bool, i64)>,
    has_head: bool,
    retention: Retention,
) -> Result<(), Error> {
    match found {
        Some((false, time)) if !retention.expired(time) && has_head => Ok(()),
        _ => Err(Error::new(
            ErrorCode::MsgNotFound,
            format!(
                "no message with MsgKey {key:?} that was sent with SupportMessageExtension 1 \
                 in this conversation"
            ),
        )),
    }
}

/// `OperateType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExtOp {
    /// 1: set (insert or replace) the listed keys.
    Set,
    /// 2: delete the listed keys.
    Delete,
    /// 3: clear every key.
    Clear,
}

impl ExtOp {
    pub fn parse(v: i64) -> Option<ExtOp> {
        Some(match v {
            1 => ExtOp::Set,
            2 => ExtOp::Delete,
            3 => ExtOp::Clear,
            _ => return None,
        })
    }

    pub const fn code(self) -> u8 {
        match self {
            ExtOp::Set => 1,
            ExtOp::Delete => 2,
            ExtOp::Clear => 3,
        }
    }
}

/// One stored KV: live, or a tombstone of a delete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtKv {
    pub key: String,
    /// "" for a tombstone.
    pub value: String,
    /// The version of the operation that last wrote it.
    pub seq: u64,
    pub deleted: bool,
}

/// A message's extension state as stored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExtState {
    pub version: u64,
    pub clear_seq: u64,
    /// Every row, tombstones included, in any order.
    pub kvs: Vec<ExtKv>,
}

/// A write request's KV (`Value` is ignored by a delete; the client's `Seq` by admin writes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtItem {
    pub key: String,
    pub value: String,
}

/// Checks a write request's list (90001 for every violation, §9.2): none for a clear;
/// 1–20 KVs for a set or delete, keys 1–100 bytes, values ≤ 1,000 bytes.
pub fn check_items(op: ExtOp, items: &[ExtItem]) -> Result<(), Error> {
    let bad = |info: String| Error::new(ErrorCode::OpenimJsonParse, info);
    if op == ExtOp::Clear {
        return Ok(());
    }
    if items.is_empty() {
        return Err(bad(format!(
            "ExtensionList is required for OperateType {}",
            op.code()
        )));
    }
    if items.len() > MAX_KVS_PER_CALL {
        return Err(bad(format!(
            "ExtensionList has {} entries; at most {MAX_KVS_PER_CALL} are allowed",
            items.len()
        )));
    }
    for (i, item) in items.iter().enumerate() {
        if item.key.is_empty() || item.key.len() > MAX_KEY_BYTES {
            return Err(bad(format!(
                "ExtensionList[{i}].Key must be 1 to {MAX_KEY_BYTES} bytes"
            )));
        }
        crate::text::check_no_nul(&format!("ExtensionList[{i}].Key"), &item.key).map_err(bad)?;
        if op == ExtOp::Set {
            crate::text::check_no_nul(&format!("ExtensionList[{i}].Value"), &item.value)
                .map_err(bad)?;
        }
        if op == ExtOp::Set && item.value.len() > MAX_VALUE_BYTES {
            return Err(bad(format!(
                "ExtensionList[{i}].Value is {} bytes; at most {MAX_VALUE_BYTES} are allowed",
                item.value.len()
            )));
        }
    }
    Ok(())
}

/// The answer of one requested KV.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtResult {
    pub code: Option<ErrorCode>,
    pub key: String,
    pub value: String,
    pub seq: u64,
}

/// What a write decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtPlan {
    /// The message's version after the call (unchanged when nothing succeeded).
    pub version: u64,
    /// Whether anything is written (the version moved).
    pub changed: bool,
    /// A clear: every row goes and `ClearSeq` becomes `version`.
    pub clear: bool,
    /// Rows to upsert (tombstones for a delete).
    pub upserts: Vec<ExtKv>,
    /// One per requested KV, request order; empty for a clear.
    pub results: Vec<ExtResult>,
}

/// group_set_key_values / set_key_values (§9.4): the writes of `op` on `state`. A set past
/// 300 live keys fails for the keys beyond the limit (90001); a delete of a key that is not
/// live fails with 23004; the rest succeed, all at one new version.
pub fn decide_write(state: &ExtState, op: ExtOp, items: &[ExtItem]) -> ExtPlan {
    let next = state.version + 1;
    if op == ExtOp::Clear {
        return ExtPlan {
            version: next,
            changed: true,
            clear: true,
            upserts: Vec::new(),
            results: Vec::new(),
        };
    }
    let mut live: std::collections::HashSet<&str> = state
        .kvs
        .iter()
        .filter(|kv| !kv.deleted)
        .map(|kv| kv.key.as_str())
        .collect();
    let mut upserts: Vec<ExtKv> = Vec::new();
    let mut results = Vec::with_capacity(items.len());
    for item in items {
        let code = match op {
            ExtOp::Set if live.contains(item.key.as_str()) => None,
            ExtOp::Set if live.len() >= MAX_KVS_PER_MSG => Some(ErrorCode::OpenimJsonParse),
            ExtOp::Set => {
                live.insert(item.key.as_str());
                None
            }
            ExtOp::Delete if live.remove(item.key.as_str()) => None,
            ExtOp::Delete => Some(ErrorCode::ExtensionNotFound),
            ExtOp::Clear => unreachable!("handled above"),
        };
        let value = match op {
            ExtOp::Set => item.value.clone(),
            _ => String::new(),
        };
        if code.is_none() {
            upserts.retain(|kv| kv.key != item.key);
            upserts.push(ExtKv {
                key: item.key.clone(),
                value: value.clone(),
                seq: next,
                deleted: op == ExtOp::Delete,
            });
        }
        results.push(ExtResult {
            code,
            key: item.key.clone(),
            value,
            seq: next,
        });
    }
    let changed = !upserts.is_empty();
    let version = if changed { next } else { state.version };
    for r in &mut results {
        if r.code.is_some() {
            r.seq = state
                .kvs
                .iter()
                .find(|kv| kv.key == r.key)
                .map_or(0, |kv| kv.seq);
        }
    }
    ExtPlan {
        version,
        changed,
        clear: false,
        upserts,
        results,
    }
}

/// One pull's answer (§9.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtPage {
    pub kvs: Vec<ExtKv>,
    pub complete: bool,
    pub latest_seq: u64,
    pub clear_seq: u64,
}

/// group_get_key_values / get_key_values (§9.3): the KVs with `Seq ≥ start_seq` in `Seq`
/// order (then key), at most 200, never splitting the KVs of one `Seq`. `StartSeq` 0 or at
/// most `ClearSeq`: live KVs only; higher: tombstones too, with `Value` "".
pub fn page(state: &ExtState, start_seq: u64) -> ExtPage {
    let with_tombstones = start_seq > 0 && start_seq > state.clear_seq;
    let mut kvs: Vec<&ExtKv> = state
        .kvs
        .iter()
        .filter(|kv| kv.seq >= start_seq && (with_tombstones || !kv.deleted))
        .collect();
    kvs.sort_by(|a, b| (a.seq, &a.key).cmp(&(b.seq, &b.key)));
    let mut end = kvs.len();
    if end > MAX_KVS_PER_PULL {
        end = MAX_KVS_PER_PULL;
        let cut = kvs[end].seq;
        while end > 0 && kvs[end - 1].seq == cut {
            end -= 1;
        }
        // One seq's KVs never exceed a page (≤ 20 per operation); be safe anyway.
        if end == 0 {
            end = MAX_KVS_PER_PULL;
        }
    }
    ExtPage {
        complete: end == kvs.len(),
        kvs: kvs[..end].iter().map(|kv| (*kv).clone()).collect(),
        latest_seq: state.version,
        clear_seq: state.clear_seq,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(op: ExtOp, keys: &[(&str, &str)], state: &mut ExtState) -> ExtPlan {
        let items: Vec<ExtItem> = keys
            .iter()
            .map(|(k, v)| ExtItem {
                key: (*k).into(),
                value: (*v).into(),
            })
            .collect();
        let plan = decide_write(state, op, &items);
        if plan.changed {
            state.version = plan.version;
            if plan.clear {
                state.kvs.clear();
                state.clear_seq = plan.version;
            }
            for kv in &plan.upserts {
                state.kvs.retain(|k| k.key != kv.key);
                state.kvs.push(kv.clone());
            }
        }
        plan
    }

    #[test]
    fn the_spec_example_pulls_tombstones_only_incrementally() {
        let mut s = ExtState::default();
        assert_eq!(items(ExtOp::Set, &[("a", "1")], &mut s).version, 1);
        assert_eq!(items(ExtOp::Delete, &[("a", "")], &mut s).version, 2);
        assert_eq!(items(ExtOp::Set, &[("b", "2")], &mut s).version, 3);
        let p = page(&s, 2);
        let got: Vec<_> = p
            .kvs
            .iter()
            .map(|kv| (kv.key.as_str(), kv.value.as_str(), kv.seq))
            .collect();
        assert_eq!(got, [("a", "", 2), ("b", "2", 3)]);
        assert_eq!((p.latest_seq, p.clear_seq, p.complete), (3, 0, true));
        let p = page(&s, 0);
        assert_eq!(p.kvs.len(), 1);
        assert_eq!(p.kvs[0].key, "b");
    }

    #[test]
    fn one_call_is_one_version_and_failures_change_nothing() {
        let mut s = ExtState::default();
        let p = items(ExtOp::Set, &[("a", "1"), ("b", "2")], &mut s);
        assert!(p.results.iter().all(|r| r.code.is_none() && r.seq == 1));
        let p = items(ExtOp::Delete, &[("zz", "")], &mut s);
        assert_eq!(p.results[0].code, Some(ErrorCode::ExtensionNotFound));
        assert!(!p.changed);
        assert_eq!(s.version, 1);
        let p = items(ExtOp::Delete, &[("a", ""), ("zz", "")], &mut s);
        assert_eq!(p.version, 2);
        assert_eq!(p.results[1].code, Some(ErrorCode::ExtensionNotFound));
        let p = items(ExtOp::Clear, &[], &mut s);
        assert_eq!((p.version, s.clear_seq, s.kvs.len()), (3, 3, 0));
    }

    #[test]
    fn the_300th_key_is_the_last() {
        let mut s = ExtState::default();
        for chunk in 0..15 {
            let keys: Vec<(String, String)> = (0..20)
                .map(|i| (format!("k{chunk}-{i}"), "v".into()))
                .collect();
            let refs: Vec<(&str, &str)> =
                keys.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            items(ExtOp::Set, &refs, &mut s);
        }
        let p = items(ExtOp::Set, &[("k0-0", "new"), ("extra", "x")], &mut s);
        assert_eq!(p.results[0].code, None);
        assert_eq!(p.results[1].code, Some(ErrorCode::OpenimJsonParse));
        let first = page(&s, 0);
        // Seq 1 lost k0-0 to the last call: 19 + 9 × 20 fit, seq 11's 20 would split.
        assert_eq!(first.kvs.len(), 199);
        assert!(!first.complete);
        let rest = page(&s, first.kvs.last().unwrap().seq + 1);
        assert!(rest.complete);
        assert_eq!(first.kvs.len() + rest.kvs.len(), 300);
    }

    #[test]
    fn limits_are_90001() {
        let item = |k: &str, v: &str| ExtItem {
            key: k.into(),
            value: v.into(),
        };
        assert!(check_items(ExtOp::Clear, &[]).is_ok());
        assert!(check_items(ExtOp::Set, &[]).is_err());
        let many: Vec<_> = (0..21).map(|i| item(&i.to_string(), "")).collect();
        assert!(check_items(ExtOp::Set, &many).is_err());
        assert!(check_items(ExtOp::Set, &[item(&"k".repeat(101), "")]).is_err());
        assert!(check_items(ExtOp::Set, &[item("k", &"v".repeat(1001))]).is_err());
        assert!(check_items(ExtOp::Delete, &[item("k", &"v".repeat(1001))]).is_ok());
        assert!(check_items(ExtOp::Set, &[item("", "")]).is_err());
    }
}
