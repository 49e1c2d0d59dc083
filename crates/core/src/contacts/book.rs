//! The contact book: conversation groups and marks (recent-contacts.md §4–§10). Per-user data
//! independent of the conversation list: it names conversations by (Type, peer) whether or not
//! they are in the list. The store loads a user's whole book (bounded by the caps: 20 groups,
//! 1 000 grouped and 1 000 marked conversations), a function here decides, and the store
//! writes the groups and the items that changed ([`BookChanges`]).

use super::{
    invalid, ContactKey, CONTACT_PAGE_SIZE, MAX_CONTACT_GROUPS, MAX_CONTACT_GROUP_NAME_BYTES,
    MAX_GROUPED_CONVERSATIONS, MAX_MARKED_CONVERSATIONS, MAX_MARK_BIT,
};
use crate::text::check_no_nul;
use crate::{Error, ErrorCode};
use std::collections::{BTreeMap, BTreeSet};

/// What one conversation carries in the book.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ContactData {
    /// Standard marks, bit `i` = mark `i` (0–63).
    pub standard: u64,
    /// The custom mark; `""`: none.
    pub custom: String,
    /// The ids of the conversation groups holding it, ascending.
    pub groups: Vec<u64>,
    /// When its marks or groups last changed (Unix s, `Timestamp`).
    pub updated: i64,
}

impl ContactData {
    /// It counts towards the marks cap.
    pub fn marked(&self) -> bool {
        self.standard != 0 || !self.custom.is_empty()
    }

    /// It counts towards the grouped-conversations cap.
    pub fn grouped(&self) -> bool {
        !self.groups.is_empty()
    }

    /// Nothing left: the item is deleted.
    pub fn is_empty(&self) -> bool {
        !self.marked() && !self.grouped()
    }

    /// `StandardMark` as the samples write it, a string of `0`/`1`; we write bit 0 rightmost,
    /// as in binary numerals, without leading zeros (§4, inferred: the docs do not say which
    /// end is bit 0). `None` when no mark is set.
    pub fn standard_mark(&self) -> Option<String> {
        (self.standard != 0).then(|| format!("{:b}", self.standard))
    }
}

/// A conversation group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactGroup {
    /// Chosen by the server: increasing from 1 per user, never reused (§4, inferred).
    pub id: u64,
    pub name: String,
}

/// A user's whole book.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ContactBook {
    /// By id.
    pub groups: Vec<ContactGroup>,
    /// The last group id handed out (0: none yet).
    pub last_id: u64,
    pub items: BTreeMap<ContactKey, ContactData>,
}

impl ContactBook {
    pub fn group_named(&self, name: &str) -> Option<&ContactGroup> {
        self.groups.iter().find(|g| g.name == name)
    }

    /// 50002 for a name no group has (§6, §7, inferred).
    fn require_group(&self, name: &str) -> Result<ContactGroup, Error> {
        self.group_named(name)
            .cloned()
            .ok_or_else(|| invalid(format!("no conversation group is named {name:?}")))
    }
}

/// What a decision writes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BookChanges {
    /// The whole group list after the change, when it changed.
    pub groups: Option<Vec<ContactGroup>>,
    /// The new last group id, when one was handed out.
    pub last_id: Option<u64>,
    /// Items whose data changed: the new data, or `None` to delete the item.
    pub items: Vec<(ContactKey, Option<ContactData>)>,
}

impl BookChanges {
    pub fn is_empty(&self) -> bool {
        self.groups.is_none() && self.last_id.is_none() && self.items.is_empty()
    }
}

/// A book being changed: the changes are collected as they are made.
struct Edit {
    book: ContactBook,
    before: ContactBook,
    now: i64,
}

impl Edit {
    fn new(book: &ContactBook, now: i64) -> Edit {
        Edit {
            book: book.clone(),
            before: book.clone(),
            now,
        }
    }

    fn count(&self, f: fn(&ContactData) -> bool) -> usize {
        self.book.items.values().filter(|d| f(d)).count()
    }

    /// Changes `key`'s data with `change`, unless that would make it the conversation past
    /// `cap` of its kind (`counts`): then 51008 and nothing changes.
    fn change(
        &mut self,
        key: &ContactKey,
        change: impl FnOnce(&mut ContactData),
    ) -> Result<(), Error> {
        let old = self.book.items.get(key).cloned().unwrap_or_default();
        let mut new = old.clone();
        change(&mut new);
        if new == old {
            return Ok(());
        }
        if new.grouped()
            && !old.grouped()
            && self.count(ContactData::grouped) >= MAX_GROUPED_CONVERSATIONS
        {
            return Err(Error::new(
                ErrorCode::ContactCapacity,
                format!("at most {MAX_GROUPED_CONVERSATIONS} conversations may be in conversation groups"),
            ));
        }
        if new.marked()
            && !old.marked()
            && self.count(ContactData::marked) >= MAX_MARKED_CONVERSATIONS
        {
            return Err(Error::new(
                ErrorCode::ContactCapacity,
                format!("at most {MAX_MARKED_CONVERSATIONS} conversations may carry marks"),
            ));
        }
        new.updated = self.now;
        if new.is_empty() {
            self.book.items.remove(key);
        } else {
            self.book.items.insert(key.clone(), new);
        }
        Ok(())
    }

    fn add(&mut self, key: &ContactKey, id: u64) -> Result<(), Error> {
        self.change(key, |d| {
            if let Err(at) = d.groups.binary_search(&id) {
                d.groups.insert(at, id);
            }
        })
    }

    fn remove(&mut self, key: &ContactKey, id: u64) -> Result<(), Error> {
        self.change(key, |d| d.groups.retain(|g| *g != id))
    }

    fn finish(self) -> BookChanges {
        let keys: BTreeSet<&ContactKey> = self
            .book
            .items
            .keys()
            .chain(self.before.items.keys())
            .collect();
        let items = keys
            .into_iter()
            .filter(|k| self.book.items.get(*k) != self.before.items.get(*k))
            .map(|k| (k.clone(), self.book.items.get(k).cloned()))
            .collect();
        BookChanges {
            groups: (self.book.groups != self.before.groups).then(|| self.book.groups.clone()),
            last_id: (self.book.last_id != self.before.last_id).then_some(self.book.last_id),
            items,
        }
    }
}

/// A group name: 1–32 bytes without a NUL (§4; empty or a NUL is our 50002), unique among the user's groups except
/// `except` (the group being renamed) — a name in use is 50002 (§5, §7, inferred).
fn check_name(book: &ContactBook, name: &str, except: Option<u64>) -> Result<(), Error> {
    check_no_nul("GroupName", name).map_err(invalid)?;
    if name.is_empty() || name.len() > MAX_CONTACT_GROUP_NAME_BYTES {
        return Err(invalid(format!(
            "GroupName must be 1 to {MAX_CONTACT_GROUP_NAME_BYTES} bytes, got {}",
            name.len()
        )));
    }
    match book.group_named(name) {
        Some(g) if Some(g.id) != except => Err(invalid(format!(
            "a conversation group is already named {name:?}"
        ))),
        _ => Ok(()),
    }
}

/// A conversation named in a request item, or the item's own refusal.
pub type ItemKey = Result<ContactKey, Error>;
/// An item's outcome: `Ok` (`ResultCode` 0) or its code and reason.
pub type ItemResult = Result<(), Error>;

/// create_contact_group (§5): the new group (name checked; the 21st group is 51008) and each
/// conversation's outcome (a malformed item 50002, one past the 1 000 cap 51008).
pub fn decide_create_group(
    book: &ContactBook,
    name: &str,
    items: &[ItemKey],
    now: i64,
) -> Result<(ContactGroup, Vec<ItemResult>, BookChanges), Error> {
    check_name(book, name, None)?;
    if book.groups.len() >= MAX_CONTACT_GROUPS {
        return Err(Error::new(
            ErrorCode::ContactCapacity,
            format!("at most {MAX_CONTACT_GROUPS} conversation groups per user"),
        ));
    }
    let mut edit = Edit::new(book, now);
    let group = ContactGroup {
        id: book.last_id + 1,
        name: name.to_owned(),
    };
    edit.book.last_id = group.id;
    edit.book.groups.push(group.clone());
    let results = items
        .iter()
        .map(|k| {
            let key = k.as_ref().map_err(Clone::clone)?;
            edit.add(key, group.id)
        })
        .collect();
    Ok((group, results, edit.finish()))
}

/// del_contact_group (§6): the deleted group; its conversations leave it.
pub fn decide_delete_group(
    book: &ContactBook,
    name: &str,
    now: i64,
) -> Result<(ContactGroup, BookChanges), Error> {
    let group = book.require_group(name)?;
    let mut edit = Edit::new(book, now);
    edit.book.groups.retain(|g| g.id != group.id);
    let holding: Vec<ContactKey> = book
        .items
        .iter()
        .filter(|(_, d)| d.groups.contains(&group.id))
        .map(|(k, _)| k.clone())
        .collect();
    for key in &holding {
        // Removing never crosses a cap.
        edit.remove(key, group.id)?;
    }
    Ok((group, edit.finish()))
}

/// One change of update_contact_group's type 2: add (1) or remove (2) a conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberChange {
    pub add: bool,
    pub key: ContactKey,
}

/// update_contact_group (§7).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupUpdate {
    Rename(String),
    /// Per item: the change, or the item's refusal (a bad `ContactOptType` or `ContactItem`).
    Members(Vec<Result<MemberChange, Error>>),
}

/// update_contact_group (§7): the group as it is after the change, each member change's
/// outcome (adding a conversation already in the group or removing one that is not: 0;
/// past the cap: 51008).
pub fn decide_update_group(
    book: &ContactBook,
    old_name: &str,
    update: &GroupUpdate,
    now: i64,
) -> Result<(ContactGroup, Vec<ItemResult>, BookChanges), Error> {
    let mut group = book.require_group(old_name)?;
    let mut edit = Edit::new(book, now);
    let mut results = Vec::new();
    match update {
        GroupUpdate::Rename(new) => {
            check_name(book, new, Some(group.id))?;
            group.name = new.clone();
            for g in &mut edit.book.groups {
                if g.id == group.id {
                    g.name = new.clone();
                }
            }
        }
        GroupUpdate::Members(changes) => {
            for c in changes {
                results.push(match c {
                    Err(e) => Err(e.clone()),
                    Ok(c) if c.add => edit.add(&c.key, group.id),
                    Ok(c) => edit.remove(&c.key, group.id),
                });
            }
        }
    }
    Ok((group, results, edit.finish()))
}

/// One `MarkItem` of mark_contact (§8), its fields as sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarkChange {
    pub opt_type: i64,
    pub key: ContactKey,
    pub set: Vec<u64>,
    pub clear: Vec<u64>,
    pub custom: Option<String>,
}

/// The bits of mark indexes, or 50002 for one outside 0–63.
fn mark_bits(field: &str, indexes: &[u64]) -> Result<u64, Error> {
    indexes.iter().try_fold(0u64, |bits, &i| {
        if i > MAX_MARK_BIT {
            Err(invalid(format!(
                "{field} index {i} is outside 0-{MAX_MARK_BIT}"
            )))
        } else {
            Ok(bits | 1 << i)
        }
    })
}

/// mark_contact (§8): each item's outcome in order. `OptType` 1 changes standard marks, 2 the
/// custom mark (`CustomMark` required with it, inferred), 3 both; `ClearMark` is applied
/// before `SetMark`; the 1 001st marked conversation is 51008.
pub fn decide_marks(
    book: &ContactBook,
    items: &[Result<MarkChange, Error>],
    now: i64,
) -> (Vec<ItemResult>, BookChanges) {
    let mut edit = Edit::new(book, now);
    let results = items
        .iter()
        .map(|item| {
            let m = item.as_ref().map_err(Clone::clone)?;
            let (standard, custom) = match m.opt_type {
                1 => (true, false),
                2 => (false, true),
                3 => (true, true),
                t => return Err(invalid(format!("OptType {t} is not 1, 2 or 3"))),
            };
            let set = mark_bits("SetMark", &m.set)?;
            let clear = mark_bits("ClearMark", &m.clear)?;
            let new_custom = match (custom, &m.custom) {
                (false, _) => None,
                (true, Some(c)) => {
                    check_no_nul("CustomMark", c).map_err(invalid)?;
                    Some(c.clone())
                }
                (true, None) => return Err(invalid("CustomMark is required with OptType 2 or 3")),
            };
            edit.change(&m.key, |d| {
                if standard {
                    d.standard = (d.standard & !clear) | set;
                }
                if let Some(c) = new_custom {
                    d.custom = c;
                }
            })
        })
        .collect();
    (results, edit.finish())
}

/// One page of get_contact_group (§9): the conversations with data, newest `Timestamp` first
/// (ties by type then peer), from `start`; whether it is the last page, and the next start
/// (0 when complete, as in the sample).
pub fn contact_page(book: &ContactBook, start: u64) -> (Vec<(ContactKey, ContactData)>, bool, u64) {
    let mut all: Vec<(&ContactKey, &ContactData)> = book.items.iter().collect();
    all.sort_by(|a, b| b.1.updated.cmp(&a.1.updated).then_with(|| a.0.cmp(b.0)));
    let start = usize::try_from(start).unwrap_or(usize::MAX).min(all.len());
    let end = (start + CONTACT_PAGE_SIZE).min(all.len());
    let page = all[start..end]
        .iter()
        .map(|(k, d)| ((*k).clone(), (*d).clone()))
        .collect();
    let complete = end == all.len();
    (page, complete, if complete { 0 } else { end as u64 })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apply(book: &mut ContactBook, ch: BookChanges) {
        if let Some(g) = ch.groups {
            book.groups = g;
        }
        if let Some(id) = ch.last_id {
            book.last_id = id;
        }
        for (k, d) in ch.items {
            match d {
                Some(d) => book.items.insert(k, d),
                None => book.items.remove(&k),
            };
        }
    }

    fn bob() -> ContactKey {
        ContactKey::c2c("bob")
    }

    #[test]
    fn groups_are_created_renamed_and_deleted() {
        let mut book = ContactBook::default();
        let (g, r, ch) =
            decide_create_group(&book, "work", &[Ok(bob()), Err(invalid("x"))], 5).unwrap();
        assert_eq!((g.id, r[0].is_ok(), r[1].is_err()), (1, true, true));
        apply(&mut book, ch);
        assert_eq!(book.items[&bob()].groups, [1]);
        assert_eq!(book.items[&bob()].updated, 5);
        let e = decide_create_group(&book, "work", &[], 6).unwrap_err();
        assert_eq!(e.code, ErrorCode::ContactInvalidParameter);
        assert!(decide_create_group(&book, "", &[], 6).is_err());
        assert!(decide_create_group(&book, &"x".repeat(33), &[], 6).is_err());
        let (g2, _, ch) = decide_create_group(&book, "home", &[Ok(bob())], 6).unwrap();
        apply(&mut book, ch);
        assert_eq!(g2.id, 2);
        assert_eq!(book.items[&bob()].groups, [1, 2]);
        let (g, _, ch) =
            decide_update_group(&book, "home", &GroupUpdate::Rename("family".into()), 7).unwrap();
        assert_eq!((g.id, g.name.as_str()), (2, "family"));
        apply(&mut book, ch);
        assert!(
            decide_update_group(&book, "family", &GroupUpdate::Rename("work".into()), 7).is_err()
        );
        assert!(
            decide_update_group(&book, "family", &GroupUpdate::Rename("family".into()), 7).is_ok()
        );
        let (g, ch) = decide_delete_group(&book, "work", 8).unwrap();
        assert_eq!(g.id, 1);
        apply(&mut book, ch);
        assert_eq!(book.items[&bob()].groups, [2]);
        let (_, ch) = decide_delete_group(&book, "family", 9).unwrap();
        apply(&mut book, ch);
        assert!(book.items.is_empty(), "an item without data is deleted");
        // Ids are never reused.
        let (g, _, _) = decide_create_group(&book, "again", &[], 9).unwrap();
        assert_eq!(g.id, 3);
        assert!(decide_delete_group(&book, "nope", 9).is_err());
    }

    #[test]
    fn caps() {
        let mut book = ContactBook::default();
        for i in 0..MAX_CONTACT_GROUPS {
            let (_, _, ch) = decide_create_group(&book, &format!("g{i}"), &[], 1).unwrap();
            apply(&mut book, ch);
        }
        let e = decide_create_group(&book, "one more", &[], 1).unwrap_err();
        assert_eq!(e.code, ErrorCode::ContactCapacity);
        let keys: Vec<ItemKey> = (0..=MAX_GROUPED_CONVERSATIONS)
            .map(|i| Ok(ContactKey::c2c(&format!("u{i}"))))
            .collect();
        let (_, ch) = decide_delete_group(&book, "g0", 1).unwrap();
        apply(&mut book, ch);
        let (_, r, _) = decide_create_group(&book, "big", &keys, 1).unwrap();
        assert!(r[..MAX_GROUPED_CONVERSATIONS].iter().all(Result::is_ok));
        assert_eq!(
            r[MAX_GROUPED_CONVERSATIONS].as_ref().unwrap_err().code,
            ErrorCode::ContactCapacity
        );
        let marks: Vec<_> = (0..=MAX_MARKED_CONVERSATIONS)
            .map(|i| {
                Ok(MarkChange {
                    opt_type: 1,
                    key: ContactKey::c2c(&format!("u{i}")),
                    set: vec![0],
                    clear: vec![],
                    custom: None,
                })
            })
            .collect();
        let (r, _) = decide_marks(&book, &marks, 1);
        assert_eq!(
            r[MAX_MARKED_CONVERSATIONS].as_ref().unwrap_err().code,
            ErrorCode::ContactCapacity
        );
    }

    #[test]
    fn marks() {
        let mut book = ContactBook::default();
        let m = |opt_type, set: &[u64], clear: &[u64], custom: Option<&str>| {
            Ok(MarkChange {
                opt_type,
                key: bob(),
                set: set.to_vec(),
                clear: clear.to_vec(),
                custom: custom.map(Into::into),
            })
        };
        let (r, ch) = decide_marks(&book, &[m(3, &[0, 1, 5], &[], Some("vip"))], 4);
        assert!(r[0].is_ok());
        apply(&mut book, ch);
        assert_eq!(
            book.items[&bob()].standard_mark().as_deref(),
            Some("100011")
        );
        assert_eq!(book.items[&bob()].custom, "vip");
        // Clear before set: a bit in both ends up set.
        let (_, ch) = decide_marks(&book, &[m(1, &[1], &[1, 5], None)], 5);
        apply(&mut book, ch);
        assert_eq!(book.items[&bob()].standard, 0b11);
        let (r, _) = decide_marks(
            &book,
            &[
                m(1, &[64], &[], None),
                m(4, &[], &[], None),
                m(2, &[], &[], None),
            ],
            5,
        );
        assert!(r
            .iter()
            .all(|r| r.as_ref().unwrap_err().code == ErrorCode::ContactInvalidParameter));
        let (_, ch) = decide_marks(&book, &[m(3, &[], &[0, 1], Some(""))], 6);
        apply(&mut book, ch);
        assert!(book.items.is_empty());
        let (_, ch) = decide_marks(&book, &[m(1, &[63], &[], None)], 6);
        apply(&mut book, ch);
        assert_eq!(book.items[&bob()].standard_mark().unwrap().len(), 64);
    }

    #[test]
    fn pages() {
        let mut book = ContactBook::default();
        for i in 0..150 {
            book.items.insert(
                ContactKey::c2c(&format!("u{i:03}")),
                ContactData {
                    standard: 1,
                    updated: i / 2,
                    ..ContactData::default()
                },
            );
        }
        let (p, complete, next) = contact_page(&book, 0);
        assert_eq!((p.len(), complete, next), (100, false, 100));
        assert_eq!(p[0].0.peer, "u148");
        assert_eq!(p[1].0.peer, "u149");
        let (p, complete, next) = contact_page(&book, next);
        assert_eq!((p.len(), complete, next), (50, true, 0));
        assert_eq!(contact_page(&book, 999).0.len(), 0);
    }
}
