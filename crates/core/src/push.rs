//! Push to all users (`all_member_push`): the app's ten attribute slots and their names,
//! users' attribute values and tags, push conditions, and the decision of a push task.
//! spec: push-and-operations.md §1, §8.
//!
//! Users' attribute values are kept per slot number; the name a request uses is the slot's
//! current name, resolved here against the app's name table. Renaming a slot keeps the values.

use crate::{Error, ErrorCode, Result};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Attribute slots per app, `"0"`–`"9"`.
pub const SLOTS: u8 = 10;
pub const MAX_ATTR_NAME_BYTES: usize = 50;
pub const MAX_ATTR_VALUE_BYTES: usize = 50;
pub const MAX_TAG_BYTES: usize = 50;
/// Tags one user may carry.
pub const MAX_USER_TAGS: usize = 100;
/// Tags added per user in one request, and tags per condition key.
pub const MAX_TAGS_PER_REQUEST: usize = 10;
/// Accounts per attribute or tag request.
pub const MAX_ACCOUNTS: usize = 100;
/// The longest `MsgLifeTime`: 7 days.
pub const MAX_LIFE_TIME: i64 = 604_800;
/// How long a `MsgRandom` names its task: 7 days.
pub const DEDUP_SECS: i64 = 7 * 86_400;
/// Pushes per app per (Beijing) day under the cloud's limits.
pub const DAILY_QUOTA: u64 = 100;

/// The app's slot names: (slot, name) for the named slots, in slot order.
pub type AttrNames = Vec<(u8, String)>;

fn attr_err(info: impl Into<String>) -> Error {
    Error::new(ErrorCode::PushAttrInvalid, info)
}

/// 90018 past 100 accounts.
pub fn check_accounts(n: usize) -> Result<()> {
    if n > MAX_ACCOUNTS {
        return Err(Error::new(
            ErrorCode::PushTooManyAccounts,
            format!("{n} accounts in the request; at most {MAX_ACCOUNTS}"),
        ));
    }
    Ok(())
}

/// An account of a request: a valid UserID (90001, the family's invalid parameter).
pub fn check_account(id: &str) -> Result<()> {
    crate::account::validate_user_id(id).map_err(|e| Error::new(ErrorCode::OpenimJsonParse, e))
}

/// At most 100 accounts (90018), each a valid UserID (90001).
pub fn check_account_list<'a>(ids: impl ExactSizeIterator<Item = &'a str>) -> Result<()> {
    check_accounts(ids.len())?;
    ids.into_iter().try_for_each(check_account)
}

/// im_set_attr_name (§1.3): the table after naming the listed slots (an empty name clears
/// one). A key that is not `"0"`–`"9"`, a name over 50 bytes, or two slots of one name: 90033.
pub fn decide_attr_names(current: &[(u8, String)], set: &[(String, String)]) -> Result<AttrNames> {
    let mut table: Vec<Option<String>> = vec![None; SLOTS as usize];
    for (slot, name) in current {
        if let Some(t) = table.get_mut(*slot as usize) {
            *t = Some(name.clone());
        }
    }
    for (key, name) in set {
        let slot = parse_slot(key)
            .ok_or_else(|| attr_err(format!("attribute slot {key:?} is not one of \"0\"…\"9\"")))?;
        if name.len() > MAX_ATTR_NAME_BYTES {
            return Err(attr_err(format!(
                "attribute name of slot {key} is {} bytes; at most {MAX_ATTR_NAME_BYTES}",
                name.len()
            )));
        }
        if name.contains('\0') {
            return Err(attr_err("an attribute name holds a NUL"));
        }
        table[slot as usize] = (!name.is_empty()).then(|| name.clone());
    }
    let named: AttrNames = table
        .into_iter()
        .enumerate()
        .filter_map(|(i, n)| n.map(|n| (i as u8, n)))
        .collect();
    for (i, (_, a)) in named.iter().enumerate() {
        if named[..i].iter().any(|(_, b)| a == b) {
            return Err(attr_err(format!("two slots are named {a:?}")));
        }
    }
    Ok(named)
}

fn parse_slot(key: &str) -> Option<u8> {
    match key.as_bytes() {
        [d @ b'0'..=b'9'] => Some(d - b'0'),
        _ => None,
    }
}

/// The slot named `name`, or 90033.
pub fn slot_of(names: &[(u8, String)], name: &str) -> Result<u8> {
    names
        .iter()
        .find(|(_, n)| n == name)
        .map(|(s, _)| *s)
        .ok_or_else(|| attr_err(format!("no attribute slot is named {name:?}")))
}

/// The name of `slot`, if it has one.
pub fn name_of(names: &[(u8, String)], slot: u8) -> Option<&str> {
    names
        .iter()
        .find(|(s, _)| *s == slot)
        .map(|(_, n)| n.as_str())
}

/// An attribute value: a string of at most 50 bytes (90033 otherwise).
pub fn attr_value(name: &str, v: &Value) -> Result<String> {
    let Value::String(s) = v else {
        return Err(attr_err(format!(
            "attribute {name:?} must be a string, got {v}"
        )));
    };
    if s.len() > MAX_ATTR_VALUE_BYTES || s.contains('\0') {
        return Err(attr_err(format!(
            "attribute {name:?}'s value is {} bytes or holds a NUL; at most {MAX_ATTR_VALUE_BYTES} bytes",
            s.len()
        )));
    }
    Ok(s.clone())
}

/// im_set_attr's `Attrs` of one user resolved to (slot, value).
pub fn resolve_set(names: &[(u8, String)], attrs: &[(String, Value)]) -> Result<Vec<(u8, String)>> {
    attrs
        .iter()
        .map(|(name, v)| Ok((slot_of(names, name)?, attr_value(name, v)?)))
        .collect()
}

/// im_remove_attr's `Attrs` of one user resolved to slots.
pub fn resolve_remove(names: &[(u8, String)], attrs: &[String]) -> Result<Vec<u8>> {
    attrs.iter().map(|name| slot_of(names, name)).collect()
}

/// One tag: 1–50 bytes (90040 empty, 90020 longer).
pub fn check_tag(tag: &str) -> Result<()> {
    if tag.is_empty() {
        return Err(Error::new(ErrorCode::PushEmptyTag, "a tag is empty"));
    }
    if tag.len() > MAX_TAG_BYTES || tag.contains('\0') {
        return Err(Error::new(
            ErrorCode::PushTagTooLong,
            format!(
                "tag {tag:?} is {} bytes or holds a NUL; at most {MAX_TAG_BYTES} bytes",
                tag.len()
            ),
        ));
    }
    Ok(())
}

/// The tags of one user of im_add_tag (or a condition key): at most 10 (90032), each a tag.
pub fn check_tags(tags: &[String]) -> Result<()> {
    if tags.len() > MAX_TAGS_PER_REQUEST {
        return Err(Error::new(
            ErrorCode::PushTooManyTags,
            format!("{} tags given; at most {MAX_TAGS_PER_REQUEST}", tags.len()),
        ));
    }
    tags.iter().try_for_each(|t| check_tag(t))
}

/// im_add_tag for one user: the tags to insert (new ones, first occurrence, in request
/// order); a user that would carry more than 100 is 90032.
pub fn decide_add_tags(user: &str, existing: &[String], add: &[String]) -> Result<Vec<String>> {
    let mut new: Vec<String> = Vec::new();
    for t in add {
        if !existing.contains(t) && !new.contains(t) {
            new.push(t.clone());
        }
    }
    if existing.len() + new.len() > MAX_USER_TAGS {
        return Err(Error::new(
            ErrorCode::PushTooManyTags,
            format!(
                "{user:?} would carry {} tags; at most {MAX_USER_TAGS}: remove some first",
                existing.len() + new.len()
            ),
        ));
    }
    Ok(new)
}

/// A push's `Condition` as given: attribute names and values, tags.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Condition {
    pub attrs_and: Vec<(String, String)>,
    pub attrs_or: Vec<(String, String)>,
    pub tags_and: Vec<String>,
    pub tags_or: Vec<String>,
}

/// Who a push reaches, resolved against the slot names when it was made. Empty: everyone.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Selector {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attrs_and: Vec<(u8, String)>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attrs_or: Vec<(u8, String)>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags_and: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags_or: Vec<String>,
}

/// Reads `Condition` (§1.2, §8): absent or `null` = everyone; an object, or an array of
/// objects whose keys are merged (the OpenAPI-generated clients); `null` keys are absent.
/// Attributes with tags 90039; a key of more than 10 tags 90032; an empty tag 90040, a long
/// one 90020; a tag in both keys 90022; an attribute value that is not a string 90033; any
/// other shape 90001.
pub fn parse_condition(v: Option<&Value>) -> Result<Condition> {
    let bad = |info: String| Error::new(ErrorCode::OpenimJsonParse, info);
    let objects: Vec<&serde_json::Map<String, Value>> = match v {
        None | Some(Value::Null) => return Ok(Condition::default()),
        Some(Value::Object(m)) => vec![m],
        Some(Value::Array(items)) => items
            .iter()
            .filter(|i| !i.is_null())
            .map(|i| {
                i.as_object()
                    .ok_or_else(|| bad(format!("Condition items must be objects, got {i}")))
            })
            .collect::<Result<_>>()?,
        Some(other) => return Err(bad(format!("Condition must be an object, got {other}"))),
    };
    let mut c = Condition::default();
    for m in objects {
        for (key, value) in m {
            if value.is_null() {
                continue;
            }
            match key.as_str() {
                "AttrsAnd" => c.attrs_and.extend(attrs(key, value)?),
                "AttrsOr" => c.attrs_or.extend(attrs(key, value)?),
                "TagsAnd" => c.tags_and.extend(tags(key, value)?),
                "TagsOr" => c.tags_or.extend(tags(key, value)?),
                _ => {}
            }
        }
    }
    let has_attrs = !c.attrs_and.is_empty() || !c.attrs_or.is_empty();
    let has_tags = !c.tags_and.is_empty() || !c.tags_or.is_empty();
    if has_attrs && has_tags {
        return Err(Error::new(
            ErrorCode::PushAttrAndTag,
            "a condition takes attributes or tags, not both",
        ));
    }
    check_tags(&c.tags_and)?;
    check_tags(&c.tags_or)?;
    if let Some(t) = c.tags_and.iter().find(|t| c.tags_or.contains(t)) {
        return Err(Error::new(
            ErrorCode::PushTagInBoth,
            format!("tag {t:?} is in both TagsAnd and TagsOr"),
        ));
    }
    Ok(c)
}

fn attrs(key: &str, v: &Value) -> Result<Vec<(String, String)>> {
    let m = v.as_object().ok_or_else(|| {
        Error::new(
            ErrorCode::OpenimJsonParse,
            format!("{key} must be an object, got {v}"),
        )
    })?;
    m.iter()
        .map(|(name, v)| Ok((name.clone(), attr_value(name, v)?)))
        .collect()
}

fn tags(key: &str, v: &Value) -> Result<Vec<String>> {
    let items = v.as_array().ok_or_else(|| {
        Error::new(
            ErrorCode::OpenimJsonParse,
            format!("{key} must be an array of tags, got {v}"),
        )
    })?;
    items
        .iter()
        .map(|t| {
            t.as_str().map(str::to_owned).ok_or_else(|| {
                Error::new(
                    ErrorCode::OpenimJsonParse,
                    format!("{key} must hold strings, got {t}"),
                )
            })
        })
        .collect()
}

/// The condition resolved against the app's slot names (an unknown name: 90033).
pub fn resolve_condition(names: &[(u8, String)], c: &Condition) -> Result<Selector> {
    let resolve = |list: &[(String, String)]| -> Result<Vec<(u8, String)>> {
        list.iter()
            .map(|(n, v)| Ok((slot_of(names, n)?, v.clone())))
            .collect()
    };
    Ok(Selector {
        attrs_and: resolve(&c.attrs_and)?,
        attrs_or: resolve(&c.attrs_or)?,
        tags_and: c.tags_and.clone(),
        tags_or: c.tags_or.clone(),
    })
}

/// `MsgLifeTime`: absent 0 (online users only); not an integer, negative or over 7 days 90026.
pub fn life_time(v: Option<&Value>) -> Result<i64> {
    match v {
        None | Some(Value::Null) => Ok(0),
        Some(v) => match v.as_i64() {
            Some(n) if (0..=MAX_LIFE_TIME).contains(&n) => Ok(n),
            _ => Err(Error::new(
                ErrorCode::MsgLifeTimeInvalid,
                format!("MsgLifeTime must be 0 to {MAX_LIFE_TIME} seconds, got {v}"),
            )),
        },
    }
}

/// A stable number for a sender, standing for the cloud's internal account number in the
/// TaskId (FNV-1a, 32 bits).
pub fn sender_number(sender: &str) -> u32 {
    sender.bytes().fold(0x811c_9dc5u32, |h, b| {
        (h ^ b as u32).wrapping_mul(0x0100_0193)
    })
}

/// `"{SDKAppID}_{sender number}_{MsgRandom}_{per-app task counter}"` (§8; opaque to clients).
pub fn task_id(app: crate::AppId, sender: &str, random: u32, counter: u64) -> String {
    format!("{app}_{}_{random}_{counter}", sender_number(sender))
}

/// The first second of the Beijing (UTC+8) day holding `now`.
pub fn beijing_day_start(now: i64) -> i64 {
    const OFFSET: i64 = 8 * 3600;
    (now + OFFSET).div_euclid(86_400) * 86_400 - OFFSET
}

/// What a push decides on, read in its transaction.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PushFacts {
    /// The task of the last 7 days with the same `MsgRandom`.
    pub repeat: Option<String>,
    /// When the app's newest task was made.
    pub last_push: Option<i64>,
    /// Tasks made since the start of the Beijing day.
    pub pushes_today: u64,
    /// The newest task counter of the app (0: none yet).
    pub last_counter: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushPlan {
    /// The same `MsgRandom` within 7 days: that task's id, and nothing is pushed.
    Repeat(String),
    /// A new task with this counter.
    New { counter: u64 },
}

/// im_push (§1.2, §8): a repeated `MsgRandom` answers its task; with the cloud's limits
/// (`limits`) a push within a second of the last is 90024 and the 101st of a day 90047.
pub fn decide_push(facts: &PushFacts, limits: bool, now: i64) -> Result<PushPlan> {
    if let Some(task) = &facts.repeat {
        return Ok(PushPlan::Repeat(task.clone()));
    }
    if limits {
        if facts.last_push.is_some_and(|t| now - t < 1) {
            return Err(Error::new(
                ErrorCode::PushTooSoon,
                "pushes must be at least 1 second apart",
            ));
        }
        if facts.pushes_today >= DAILY_QUOTA {
            return Err(Error::new(
                ErrorCode::PushDailyQuota,
                format!("{DAILY_QUOTA} pushes a day are used up"),
            ));
        }
    }
    Ok(PushPlan::New {
        counter: facts.last_counter + 1,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn code<T: std::fmt::Debug>(r: Result<T>) -> u32 {
        r.unwrap_err().code.code()
    }

    #[test]
    fn slot_names() {
        let t = decide_attr_names(
            &[],
            &[("0".into(), "sex".into()), ("1".into(), "city".into())],
        )
        .unwrap();
        assert_eq!(t, vec![(0, "sex".into()), (1, "city".into())]);
        let t = decide_attr_names(&t, &[("0".into(), "".into())]).unwrap();
        assert_eq!(t, vec![(1, "city".into())]);
        assert_eq!(
            code(decide_attr_names(&t, &[("10".into(), "x".into())])),
            90033
        );
        assert_eq!(
            code(decide_attr_names(&t, &[("2".into(), "city".into())])),
            90033
        );
        assert_eq!(
            code(decide_attr_names(&t, &[("2".into(), "x".repeat(51))])),
            90033
        );
        // Swapping two names in one request is fine.
        let t = decide_attr_names(
            &[(0, "a".into()), (1, "b".into())],
            &[("0".into(), "b".into()), ("1".into(), "a".into())],
        )
        .unwrap();
        assert_eq!(t, vec![(0, "b".into()), (1, "a".into())]);
    }

    #[test]
    fn conditions() {
        let c = parse_condition(Some(
            &json!([{"TagsAnd": ["a"]}, {"TagsOr": ["b"], "AttrsAnd": null}]),
        ))
        .unwrap();
        assert_eq!(c.tags_and, vec!["a"]);
        assert_eq!(c.tags_or, vec!["b"]);
        assert_eq!(
            code(parse_condition(Some(
                &json!({"TagsAnd": ["a"], "AttrsOr": {"x": "1"}})
            ))),
            90039
        );
        assert_eq!(
            code(parse_condition(Some(
                &json!({"TagsAnd": ["a"], "TagsOr": ["a"]})
            ))),
            90022
        );
        assert_eq!(
            code(parse_condition(Some(&json!({"TagsAnd": [""]})))),
            90040
        );
        assert_eq!(
            code(parse_condition(Some(&json!({"TagsOr": ["x".repeat(51)]})))),
            90020
        );
        let eleven: Vec<String> = (0..11).map(|i| i.to_string()).collect();
        assert_eq!(
            code(parse_condition(Some(&json!({"TagsOr": eleven})))),
            90032
        );
        assert_eq!(
            code(parse_condition(Some(&json!({"AttrsAnd": {"x": 1}})))),
            90033
        );
        let names = vec![(3, "city".to_owned())];
        let c = parse_condition(Some(&json!({"AttrsAnd": {"city": "sz"}}))).unwrap();
        assert_eq!(
            resolve_condition(&names, &c).unwrap().attrs_and,
            vec![(3, "sz".into())]
        );
        let c = parse_condition(Some(&json!({"AttrsOr": {"tier": "1"}}))).unwrap();
        assert_eq!(code(resolve_condition(&names, &c)), 90033);
    }

    #[test]
    fn tags_per_user() {
        let existing: Vec<String> = (0..95).map(|i| i.to_string()).collect();
        let add: Vec<String> = ["1", "x", "x", "y"].iter().map(|s| s.to_string()).collect();
        assert_eq!(
            decide_add_tags("u", &existing, &add).unwrap(),
            vec!["x", "y"]
        );
        let add: Vec<String> = (100..106).map(|i| i.to_string()).collect();
        assert_eq!(code(decide_add_tags("u", &existing, &add)), 90032);
    }

    #[test]
    fn push_decisions() {
        let mut f = PushFacts {
            last_counter: 4,
            ..Default::default()
        };
        assert_eq!(
            decide_push(&f, true, 10).unwrap(),
            PushPlan::New { counter: 5 }
        );
        f.last_push = Some(10);
        assert_eq!(code(decide_push(&f, true, 10)), 90024);
        assert!(decide_push(&f, false, 10).is_ok());
        f.last_push = Some(9);
        f.pushes_today = 100;
        assert_eq!(code(decide_push(&f, true, 10)), 90047);
        f.repeat = Some("t".into());
        assert_eq!(
            decide_push(&f, true, 10).unwrap(),
            PushPlan::Repeat("t".into())
        );
        assert_eq!(life_time(None).unwrap(), 0);
        assert_eq!(code(life_time(Some(&json!(604_801)))), 90026);
        assert_eq!(code(life_time(Some(&json!(-1)))), 90026);
        // 2026-12-07 01:00 UTC is 09:00 in Beijing; that day began at 16:00 UTC the day before.
        assert_eq!(beijing_day_start(1_796_605_200), 1_796_572_800);
    }
}
