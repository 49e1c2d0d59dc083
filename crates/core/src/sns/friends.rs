//! The decisions of the friend, blocklist and friend-list writes (relationships.md §1–§5,
//! §10, §11, §14, §15). Each takes the [`Facts`] the store loaded for the requester and every
//! target, decides the items in request order — a later item sees what an earlier one did,
//! so the facts are updated as it goes — and returns the outcomes and the writes.

use super::*;
use std::collections::HashMap;

/// What the store knows about the requester (the owner of the tables).
#[derive(Debug, Clone, Default)]
pub struct OwnerFacts {
    pub user: String,
    pub friend_count: usize,
    /// The owner's friend lists, in creation order.
    pub lists: Vec<String>,
    /// The `ord` the next new list gets.
    pub next_list_ord: u64,
    pub block_count: usize,
    pub gates: AddGates,
    pub seqs: Seqs,
}

/// What the store knows about one target B, seen from the owner A.
#[derive(Debug, Clone, Default)]
pub struct PeerFacts {
    pub exists: bool,
    /// A's entry about B.
    pub mine: Option<FriendEntry>,
    /// Whether B → A exists.
    pub theirs: bool,
    /// B is in A's blocklist.
    pub i_block: bool,
    /// A is in B's blocklist.
    pub blocks_me: bool,
    pub friend_count: usize,
    pub gates: AddGates,
    /// Pending requests B holds (requests to B).
    pub pending_in: usize,
    /// A pending request A ⇒ B exists.
    pub pending_out: bool,
    /// A pending request B ⇒ A, with what B sent.
    pub pending_back: Option<FriendEntry>,
}

#[derive(Debug, Clone, Default)]
pub struct Facts {
    pub owner: OwnerFacts,
    pub peers: HashMap<String, PeerFacts>,
}

impl Facts {
    fn peer(&mut self, to: &str) -> &mut PeerFacts {
        self.peers.entry(to.to_owned()).or_default()
    }
}

/// One entry to add or import (friend_add's and friend_import's `AddFriendItem`).
#[derive(Debug, Clone, Default)]
pub struct AddItem {
    pub to: String,
    pub remark: Option<String>,
    /// friend_add names at most one list; friend_import several.
    pub groups: Vec<String>,
    pub add_source: Option<String>,
    pub add_wording: Option<String>,
    /// friend_import only.
    pub remark_time: Option<i64>,
    /// friend_import only; default now.
    pub add_time: Option<i64>,
    /// friend_import only.
    pub custom: Vec<(String, CustomValue)>,
}

#[derive(Debug, Clone)]
pub struct FriendAdd {
    /// The admin that asked: `Admin_Account` of Sns.CallbackFriendAdd.
    pub admin: String,
    pub from: String,
    pub add_type: AddType,
    /// `ForceAddFlags` 1: skip AllowType and AdminForbidType (never the blocklists).
    pub force: bool,
    pub items: Vec<AddItem>,
}

/// One change of friend_update's `SnsItem`; what the handler could not read is kept as
/// `Invalid` so that it fails its own item only.
#[derive(Debug, Clone)]
pub enum FieldUpdate {
    Remark(String),
    Groups(Vec<String>),
    Custom(String, CustomValue),
    Invalid(String),
}

#[derive(Debug, Clone)]
pub struct UpdateItem {
    pub to: String,
    pub fields: Vec<FieldUpdate>,
}

/// The `ResultInfo` of a pending request (ours; §1).
pub const PENDING_INFO: &str = "Err_SNS_FriendAdd_Pending";
/// The documented `ResultInfo` of blocking a user already blocked (§10).
pub const ALREADY_BLOCKED_INFO: &str = "Err_SNS_BlackListAdd_Already_Exist";
/// The documented `ResultInfo` of friend_get_list for a non-friend (§8).
pub const GET_LIST_NOT_FRIEND_INFO: &str = "SNS_FRD_GET_LIST_FRD_NO_EXIST";
/// The documented `ResultInfo` of group_add for a non-friend (§14).
pub const LIST_NOT_FRIEND_INFO: &str = "Err_SNS_GroupAdd_ToTinyId_Not_Friend";

fn err(code: ErrorCode, info: impl Into<String>) -> Error {
    Error::new(code, info)
}

/// The checks every item's target passes first: given, not the requester, imported.
fn check_target(facts: &Facts, to: &str) -> Result<(), Error> {
    if to.is_empty() {
        return Err(invalid("To_Account is required"));
    }
    if to == facts.owner.user {
        return Err(invalid("To_Account must differ from From_Account"));
    }
    if !facts.peers.get(to).is_some_and(|p| p.exists) {
        return Err(err(
            ErrorCode::SnsAccountNotFound,
            format!("{to} is not an imported account"),
        ));
    }
    Ok(())
}

/// The fields of an add or import item, checked (30001) and made into A's new entry.
fn entry_of(item: &AddItem, now: i64) -> Result<FriendEntry, Error> {
    let source = item
        .add_source
        .as_deref()
        .ok_or_else(|| invalid("AddSource is required"))?;
    check_add_source(source).map_err(invalid)?;
    let remark = item.remark.clone().unwrap_or_default();
    check_remark(&remark).map_err(invalid)?;
    let wording = item.add_wording.clone().unwrap_or_default();
    check_wording(&wording).map_err(invalid)?;
    let mut groups: Vec<String> = Vec::new();
    for g in &item.groups {
        check_list_name(g).map_err(invalid)?;
        if !groups.contains(g) {
            groups.push(g.clone());
        }
    }
    let mut custom = BTreeMap::new();
    for (tag, v) in &item.custom {
        check_custom_tag(tag).map_err(invalid)?;
        check_custom_value(tag, v).map_err(invalid)?;
        if !v.is_empty() {
            custom.insert(tag.clone(), v.clone());
        }
    }
    Ok(FriendEntry {
        remark_time: if remark.is_empty() {
            0
        } else {
            item.remark_time.unwrap_or(now)
        },
        remark,
        groups,
        add_source: source.to_owned(),
        add_wording: wording,
        add_time: item.add_time.unwrap_or(now),
        custom,
    })
}

/// The lists of `groups` the owner does not have yet; 30011 when they would make too many.
fn new_lists(owner: &OwnerFacts, groups: &[String]) -> Result<Vec<String>, Error> {
    let new: Vec<String> = groups
        .iter()
        .filter(|g| !owner.lists.contains(g))
        .cloned()
        .collect();
    if owner.lists.len() + new.len() > MAX_LISTS {
        return Err(err(
            ErrorCode::SnsListsFull,
            format!("a user has at most {MAX_LISTS} friend lists"),
        ));
    }
    Ok(new)
}

/// Creates `names` as the owner's lists.
fn create_lists(facts: &mut Facts, d: &mut Decided, names: Vec<String>) {
    let owner = &mut facts.owner;
    for name in names {
        d.writes.push(SnsWrite::InsertList {
            owner: owner.user.clone(),
            name: name.clone(),
            ord: owner.next_list_ord,
        });
        owner.next_list_ord += 1;
        owner.lists.push(name);
        d.bump(&owner.user, LISTS);
    }
}

/// The sequences an entry's creation or removal moves.
fn entry_seqs(e: &FriendEntry) -> Seqs {
    Seqs {
        standard: 1,
        custom: u64::from(!e.custom.is_empty()),
        lists: u64::from(!e.groups.is_empty()),
        blocks: 0,
    }
}

/// friend_add (§1) and friend_import (§2, `import`: no verification, no pending requests,
/// one-way only, custom fields and times from the item).
pub fn decide_friend_add(facts: &Facts, req: &FriendAdd, import: bool, now: i64) -> Decided {
    let mut facts = facts.clone();
    let mut d = Decided::default();
    for item in &req.items {
        let r = add_one(&mut facts, &mut d, req, item, import, now);
        d.items.push((item.to.clone(), r));
    }
    d
}

fn add_one(
    facts: &mut Facts,
    d: &mut Decided,
    req: &FriendAdd,
    item: &AddItem,
    import: bool,
    now: i64,
) -> Result<(), Error> {
    check_target(facts, &item.to)?;
    let mut entry = entry_of(item, now)?;
    if !import {
        entry.add_time = now;
    }
    let owner_user = facts.owner.user.clone();
    let verify = !import && !req.force;
    if verify && facts.owner.gates.forbid == AdminForbid::SendOut {
        return Err(err(
            ErrorCode::SnsAddForbidden,
            format!("{owner_user} is forbidden to send friend requests"),
        ));
    }
    let peer = facts.peer(&item.to);
    if peer.i_block {
        return Err(err(
            ErrorCode::SnsPeerInBlocklist,
            format!("{} is in {owner_user}'s blocklist", item.to),
        ));
    }
    if peer.blocks_me {
        return Err(err(
            ErrorCode::SnsRequesterBlocked,
            format!("{owner_user} is in {}'s blocklist", item.to),
        ));
    }
    let both = !import && req.add_type == AddType::Both;
    let need_mine = peer.mine.is_none();
    let need_theirs = both && !peer.theirs;
    if !need_mine && !need_theirs {
        return Err(invalid(format!(
            "{} is already in {owner_user}'s friend table",
            item.to
        )));
    }
    let peer_count = peer.friend_count;
    let peer_gates = peer.gates;
    let answers_request = peer.pending_back.is_some();
    let pending_out = peer.pending_out;
    let pending_in = peer.pending_in;
    if need_mine && facts.owner.friend_count >= MAX_FRIENDS {
        return Err(err(
            ErrorCode::SnsFriendsFull,
            format!("{owner_user} already has {MAX_FRIENDS} friends"),
        ));
    }
    if need_theirs && peer_count >= MAX_FRIENDS {
        return Err(err(
            ErrorCode::SnsPeerFriendsFull,
            format!("{} already has {MAX_FRIENDS} friends", item.to),
        ));
    }
    let lists = if need_mine {
        new_lists(&facts.owner, &entry.groups)?
    } else {
        Vec::new()
    };
    // Verification (§0.5). A two-way add that answers B's own pending request to A needs
    // no confirmation from B (§25: a reciprocal add completes a pending request).
    if verify && !answers_request {
        match peer_gates.allow {
            AllowType::DenyAny => {
                return Err(err(
                    ErrorCode::SnsPeerDeniesAll,
                    format!("{} accepts no friend requests", item.to),
                ))
            }
            AllowType::NeedConfirm if both => {
                if !pending_out && pending_in >= MAX_PENDING {
                    return Err(err(
                        ErrorCode::SnsPendingFull,
                        format!("{} already holds {MAX_PENDING} pending requests", item.to),
                    ));
                }
                if pending_out {
                    d.writes.push(SnsWrite::DeletePending {
                        requester: owner_user.clone(),
                        target: item.to.clone(),
                    });
                }
                d.writes.push(SnsWrite::InsertPending {
                    requester: owner_user.clone(),
                    target: item.to.clone(),
                    time: now,
                    entry,
                });
                let peer = facts.peer(&item.to);
                if !pending_out {
                    peer.pending_in += 1;
                }
                peer.pending_out = true;
                return Err(err(ErrorCode::SnsPendingCreated, PENDING_INFO));
            }
            _ => {}
        }
    }
    if need_mine {
        create_lists(facts, d, lists);
        d.bump(&owner_user, entry_seqs(&entry));
        d.writes.push(SnsWrite::InsertFriend {
            owner: owner_user.clone(),
            friend: item.to.clone(),
            entry: entry.clone(),
        });
        facts.owner.friend_count += 1;
    }
    let peer = facts.peer(&item.to);
    if need_mine {
        peer.mine = Some(entry.clone());
    }
    if need_theirs {
        // B's entry about A: what B sent with its own pending request, else the source and
        // wording of this request, with no remark and no list (§1 step 7, inferred).
        let theirs = match peer.pending_back.clone() {
            Some(mut e) => {
                e.groups.clear();
                e.add_time = now;
                e
            }
            None => FriendEntry {
                add_source: entry.add_source.clone(),
                add_wording: entry.add_wording.clone(),
                add_time: now,
                ..FriendEntry::default()
            },
        };
        d.writes.push(SnsWrite::InsertFriend {
            owner: item.to.clone(),
            friend: owner_user.clone(),
            entry: theirs,
        });
        d.bump(&item.to, STANDARD);
        peer.theirs = true;
        peer.friend_count += 1;
    }
    let peer = facts.peer(&item.to);
    if peer.pending_out && peer.mine.is_some() && (peer.theirs || !both) {
        d.writes.push(SnsWrite::DeletePending {
            requester: owner_user.clone(),
            target: item.to.clone(),
        });
        peer.pending_out = false;
        peer.pending_in = peer.pending_in.saturating_sub(1);
    }
    if peer.pending_back.is_some() && peer.theirs && peer.mine.is_some() {
        d.writes.push(SnsWrite::DeletePending {
            requester: item.to.clone(),
            target: owner_user.clone(),
        });
        peer.pending_back = None;
    }
    Ok(())
}

/// friend_update (§3): remark, lists (replaced) and custom fields of existing entries.
pub fn decide_friend_update(facts: &Facts, items: &[UpdateItem], now: i64) -> Decided {
    let mut facts = facts.clone();
    let mut d = Decided::default();
    for item in items {
        let r = update_one(&mut facts, &mut d, item, now);
        d.items.push((item.to.clone(), r));
    }
    d
}

fn update_one(
    facts: &mut Facts,
    d: &mut Decided,
    item: &UpdateItem,
    now: i64,
) -> Result<(), Error> {
    check_target(facts, &item.to)?;
    let owner = facts.owner.user.clone();
    let Some(old) = facts.peer(&item.to).mine.clone() else {
        return Err(invalid(format!(
            "{} is not in {owner}'s friend table",
            item.to
        )));
    };
    if item.fields.is_empty() {
        return Err(invalid("SnsItem names no field to update"));
    }
    let mut entry = old.clone();
    for f in &item.fields {
        match f {
            FieldUpdate::Invalid(why) => return Err(invalid(why.clone())),
            FieldUpdate::Remark(r) => {
                check_remark(r).map_err(invalid)?;
                entry.remark = r.clone();
            }
            FieldUpdate::Groups(gs) => {
                let mut groups = Vec::new();
                for g in gs {
                    check_list_name(g).map_err(invalid)?;
                    if !groups.contains(g) {
                        groups.push(g.clone());
                    }
                }
                entry.groups = groups;
            }
            FieldUpdate::Custom(tag, v) => {
                check_custom_tag(tag).map_err(invalid)?;
                check_custom_value(tag, v).map_err(invalid)?;
                if v.is_empty() {
                    entry.custom.remove(tag);
                } else {
                    entry.custom.insert(tag.clone(), v.clone());
                }
            }
        }
    }
    let lists = new_lists(&facts.owner, &entry.groups)?;
    if entry.remark != old.remark {
        entry.remark_time = if entry.remark.is_empty() { 0 } else { now };
    }
    create_lists(facts, d, lists);
    let std_changed = entry.remark != old.remark || entry.groups != old.groups;
    d.bump(
        &owner,
        Seqs {
            standard: u64::from(std_changed),
            custom: u64::from(entry.custom != old.custom),
            lists: u64::from(entry.groups != old.groups),
            blocks: 0,
        },
    );
    d.writes.push(SnsWrite::UpdateFriend {
        owner,
        friend: item.to.clone(),
        entry: entry.clone(),
    });
    facts.peer(&item.to).mine = Some(entry);
    Ok(())
}

/// Removes A → B (and with `both` B → A) from the facts and the tables.
fn drop_friendship(facts: &mut Facts, d: &mut Decided, to: &str, both: bool) {
    let owner = facts.owner.user.clone();
    let peer = facts.peer(to);
    if let Some(e) = peer.mine.take() {
        d.writes.push(SnsWrite::DeleteFriend {
            owner: owner.clone(),
            friend: to.to_owned(),
        });
        d.bump(&owner, entry_seqs(&e));
        facts.owner.friend_count = facts.owner.friend_count.saturating_sub(1);
    }
    let peer = facts.peer(to);
    if both && peer.theirs {
        peer.theirs = false;
        peer.friend_count = peer.friend_count.saturating_sub(1);
        d.writes.push(SnsWrite::DeleteFriend {
            owner: to.to_owned(),
            friend: owner,
        });
        d.bump(to, STANDARD);
    }
}

/// friend_delete (§4).
pub fn decide_friend_delete(facts: &Facts, targets: &[String], both: bool) -> Decided {
    let mut facts = facts.clone();
    let mut d = Decided::default();
    for to in targets {
        let r = (|| {
            check_target(&facts, to)?;
            if facts.peers.get(to).is_none_or(|p| p.mine.is_none()) {
                return Err(invalid(format!(
                    "{to} is not in {}'s friend table",
                    facts.owner.user
                )));
            }
            drop_friendship(&mut facts, &mut d, to, both);
            Ok(())
        })();
        d.items.push((to.clone(), r));
    }
    d
}

/// friend_delete_all (§5): the owner's whole table (and with `both` every entry about the
/// owner); the lists stay, empty. Succeeds on an empty table. The other users' sequences
/// are moved by the store with the bulk delete.
pub fn decide_friend_delete_all(facts: &Facts, both: bool) -> Decided {
    let mut d = Decided::default();
    let owner = &facts.owner;
    d.writes.push(SnsWrite::DeleteAllFriends {
        owner: owner.user.clone(),
        both,
    });
    if owner.friend_count > 0 {
        d.bump(&owner.user, STANDARD);
        d.bump(&owner.user, CUSTOM);
        d.bump(&owner.user, LISTS);
    }
    d
}

/// black_list_add (§10): blocking removes any friendship both ways and the pending requests
/// between the two.
pub fn decide_block_add(facts: &Facts, targets: &[String], now: i64) -> Decided {
    let mut facts = facts.clone();
    let mut d = Decided::default();
    for to in targets {
        let r = (|| {
            check_target(&facts, to)?;
            let owner = facts.owner.user.clone();
            if facts.peer(to).i_block {
                return Err(invalid(ALREADY_BLOCKED_INFO));
            }
            if facts.owner.block_count >= MAX_BLOCKED {
                return Err(err(
                    ErrorCode::SnsBlocklistFull,
                    format!("a blocklist holds at most {MAX_BLOCKED} users"),
                ));
            }
            d.writes.push(SnsWrite::InsertBlock {
                owner: owner.clone(),
                blocked: to.clone(),
                time: now,
            });
            d.bump(&owner, BLOCKS);
            facts.owner.block_count += 1;
            drop_friendship(&mut facts, &mut d, to, true);
            let peer = facts.peer(to);
            peer.i_block = true;
            if peer.pending_out {
                peer.pending_out = false;
                d.writes.push(SnsWrite::DeletePending {
                    requester: owner.clone(),
                    target: to.clone(),
                });
            }
            if peer.pending_back.take().is_some() {
                d.writes.push(SnsWrite::DeletePending {
                    requester: to.clone(),
                    target: owner,
                });
            }
            Ok(())
        })();
        d.items.push((to.clone(), r));
    }
    d
}

/// black_list_delete (§11): unblocking restores nothing.
pub fn decide_block_delete(facts: &Facts, targets: &[String]) -> Decided {
    let mut facts = facts.clone();
    let mut d = Decided::default();
    for to in targets {
        let r = (|| {
            check_target(&facts, to)?;
            let owner = facts.owner.user.clone();
            let peer = facts.peer(to);
            if !peer.i_block {
                return Err(invalid(format!("{to} is not in {owner}'s blocklist")));
            }
            peer.i_block = false;
            facts.owner.block_count = facts.owner.block_count.saturating_sub(1);
            d.writes.push(SnsWrite::DeleteBlock {
                owner: owner.clone(),
                blocked: to.clone(),
            });
            d.bump(&owner, BLOCKS);
            Ok(())
        })();
        d.items.push((to.clone(), r));
    }
    d
}

/// `GroupName` of group_add / group_delete / group_get: 1 to 32 valid names, duplicates
/// counted once.
pub fn check_list_names(names: &[String]) -> Result<Vec<String>, Error> {
    if names.is_empty() {
        return Err(invalid("GroupName names no friend list"));
    }
    if names.len() > MAX_LISTS_PER_CALL {
        return Err(invalid(format!(
            "GroupName names {} lists; at most {MAX_LISTS_PER_CALL} per call",
            names.len()
        )));
    }
    let mut out: Vec<String> = Vec::new();
    for n in names {
        check_list_name(n).map_err(invalid)?;
        if !out.contains(n) {
            out.push(n.clone());
        }
    }
    Ok(out)
}

/// group_add (§14): the new lists (any existing name: 30001 for the whole request; too many:
/// 30011), then each named friend joins every new list (a non-friend: 32216).
pub fn decide_list_add(
    facts: &Facts,
    names: &[String],
    members: &[String],
) -> Result<Decided, Error> {
    let names = check_list_names(names)?;
    if let Some(n) = names.iter().find(|n| facts.owner.lists.contains(n)) {
        return Err(invalid(format!("the friend list {n:?} already exists")));
    }
    let new = new_lists(&facts.owner, &names)?;
    let mut facts = facts.clone();
    let mut d = Decided::default();
    create_lists(&mut facts, &mut d, new);
    let owner = facts.owner.user.clone();
    for to in members {
        let peer = facts.peer(to);
        let r = match &mut peer.mine {
            Some(entry) => {
                entry.groups.extend(names.iter().cloned());
                d.writes.push(SnsWrite::UpdateFriend {
                    owner: owner.clone(),
                    friend: to.clone(),
                    entry: entry.clone(),
                });
                d.bump(&owner, STANDARD);
                d.bump(&owner, LISTS);
                Ok(())
            }
            None => Err(err(ErrorCode::SnsListMemberNotFriend, LIST_NOT_FRIEND_INFO)),
        };
        d.items.push((to.clone(), r));
    }
    Ok(d)
}

/// group_delete (§15): the lists go, their names leave the entries of `members` (the owner's
/// entries that are in some list); an unknown name is 30001 for the whole request.
pub fn decide_list_delete(
    facts: &Facts,
    names: &[String],
    members: &[(String, FriendEntry)],
) -> Result<Decided, Error> {
    let names = check_list_names(names)?;
    if let Some(n) = names.iter().find(|n| !facts.owner.lists.contains(n)) {
        return Err(invalid(format!("the friend list {n:?} does not exist")));
    }
    let owner = facts.owner.user.clone();
    let mut d = Decided::default();
    for n in &names {
        d.writes.push(SnsWrite::DeleteList {
            owner: owner.clone(),
            name: n.clone(),
        });
        d.bump(&owner, LISTS);
    }
    for (friend, entry) in members {
        if entry.groups.iter().any(|g| names.contains(g)) {
            let mut entry = entry.clone();
            entry.groups.retain(|g| !names.contains(g));
            d.writes.push(SnsWrite::UpdateFriend {
                owner: owner.clone(),
                friend: friend.clone(),
                entry,
            });
            d.bump(&owner, STANDARD);
        }
    }
    Ok(d)
}

/// One page of a list of `total` rows read at `start`: the next start, 0 when this page is
/// the last (friend_get's `NextStartIndex`, black_list_get's `StartIndex`).
pub fn next_start(start: usize, got: usize, total: usize) -> usize {
    if start + got < total {
        start + got
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(peers: &[(&str, PeerFacts)]) -> Facts {
        Facts {
            owner: OwnerFacts {
                user: "a".into(),
                ..OwnerFacts::default()
            },
            peers: peers
                .iter()
                .map(|(n, p)| (n.to_string(), p.clone()))
                .collect(),
        }
    }

    fn exists() -> PeerFacts {
        PeerFacts {
            exists: true,
            ..PeerFacts::default()
        }
    }

    fn add(to: &str) -> AddItem {
        AddItem {
            to: to.into(),
            add_source: Some("AddSource_Type_Web".into()),
            ..AddItem::default()
        }
    }

    fn code(d: &Decided, i: usize) -> Option<ErrorCode> {
        d.items[i].1.as_ref().err().map(|e| e.code)
    }

    #[test]
    fn need_confirm_makes_a_pending_request_and_a_reciprocal_add_completes_it() {
        let f = facts(&[("b", exists())]);
        let req = FriendAdd {
            admin: "admin".into(),
            from: "a".into(),
            add_type: AddType::Both,
            force: false,
            items: vec![add("b")],
        };
        let d = decide_friend_add(&f, &req, false, 10);
        assert_eq!(code(&d, 0), Some(ErrorCode::SnsPendingCreated));
        assert!(matches!(d.writes[0], SnsWrite::InsertPending { .. }));

        let mut f = facts(&[("b", exists())]);
        f.peers.get_mut("b").unwrap().pending_back = Some(FriendEntry {
            remark: "hi".into(),
            ..FriendEntry::default()
        });
        let d = decide_friend_add(&f, &req, false, 10);
        assert_eq!(code(&d, 0), None);
        assert_eq!(
            d.writes
                .iter()
                .filter(|w| matches!(w, SnsWrite::InsertFriend { .. }))
                .count(),
            2
        );
    }

    #[test]
    fn force_skips_verification_but_not_blocklists() {
        let mut b = exists();
        b.gates.allow = AllowType::DenyAny;
        let mut c = exists();
        c.blocks_me = true;
        let mut f = facts(&[("b", b), ("c", c)]);
        f.owner.gates.forbid = AdminForbid::SendOut;
        let mut req = FriendAdd {
            admin: "admin".into(),
            from: "a".into(),
            add_type: AddType::Both,
            force: false,
            items: vec![add("b"), add("c")],
        };
        let d = decide_friend_add(&f, &req, false, 10);
        assert_eq!(code(&d, 0), Some(ErrorCode::SnsAddForbidden));
        req.force = true;
        let d = decide_friend_add(&f, &req, false, 10);
        assert_eq!(code(&d, 0), None);
        assert_eq!(code(&d, 1), Some(ErrorCode::SnsRequesterBlocked));
    }

    #[test]
    fn a_repeated_item_sees_the_first() {
        let mut b = exists();
        b.gates.allow = AllowType::AllowAny;
        let f = facts(&[("b", b)]);
        let req = FriendAdd {
            admin: "admin".into(),
            from: "a".into(),
            add_type: AddType::Both,
            force: false,
            items: vec![add("b"), add("b")],
        };
        let d = decide_friend_add(&f, &req, false, 10);
        assert_eq!(code(&d, 0), None);
        assert_eq!(code(&d, 1), Some(ErrorCode::SnsInvalidParameter));
    }

    #[test]
    fn lists_are_limited() {
        let mut f = facts(&[("b", exists())]);
        f.owner.lists = (0..32).map(|i| format!("l{i}")).collect();
        let mut item = add("b");
        item.groups = vec!["new".into()];
        let req = FriendAdd {
            admin: "admin".into(),
            from: "a".into(),
            add_type: AddType::Single,
            force: false,
            items: vec![item],
        };
        let d = decide_friend_add(&f, &req, false, 10);
        assert_eq!(code(&d, 0), Some(ErrorCode::SnsListsFull));
        assert!(decide_list_add(&f, &["x".into()], &[]).is_err());
    }

    #[test]
    fn paging() {
        assert_eq!(next_start(0, 100, 250), 100);
        assert_eq!(next_start(200, 50, 250), 0);
        assert_eq!(next_start(0, 0, 0), 0);
    }
}
