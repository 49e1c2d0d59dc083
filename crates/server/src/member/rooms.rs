//! The online members of AVChatRooms on this node: who is present, since when, and their
//! marks. spec: groups-more.md §7.1–§7.3, §11.7.
//!
//! An AVChatRoom keeps no member list in the store; its members are the users who joined it
//! over a live member connection (`joinGroup`). A user stays present while one of the
//! connections that joined holds it: `quitGroup` or a ban takes the user out at once, the end
//! of a connection only when it was the last one holding the room. Marks are lost with the
//! presence, except the special mark 500 (inferred: settable on offline users and kept
//! across leaving and returning). One node's registry: with several nodes, the online count,
//! `check_members` and bans also read the others' presence rows (members.md §6, through
//! `member::room_members`); `get_members` and marks stay this node's (simplification).

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Mutex;
use timber_core::group::{
    MAX_MARK_MEMBERS, MAX_ROOM_MARKS, ROOM_MEMBERS_LISTED, ROOM_MEMBERS_PAGE, SPECIAL_MARK,
};
use timber_core::{AppId, Error, ErrorCode};

struct Present {
    join_time: i64,
    /// Join order in the room, from 1: the cursor of get_members.
    order: u64,
    /// The connections that joined the room for this user.
    conns: HashSet<u64>,
    /// Custom marks (≥ 1000); the special mark lives in `Room::special`.
    marks: BTreeSet<u64>,
}

#[derive(Default)]
struct Room {
    members: HashMap<String, Present>,
    /// Accounts carrying the special mark 500, present or not.
    special: HashSet<String>,
    next_order: u64,
}

impl Room {
    fn marks_of(&self, account: &str) -> Vec<u64> {
        let mut out: Vec<u64> = Vec::new();
        if self.special.contains(account) {
            out.push(SPECIAL_MARK);
        }
        if let Some(p) = self.members.get(account) {
            out.extend(p.marks.iter().copied());
        }
        out
    }

    /// 10004 past 10 distinct marks in the room or 1,000 members on one mark.
    fn check_limits(&self) -> Result<(), Error> {
        let mut counts: HashMap<u64, usize> = HashMap::new();
        for p in self.members.values() {
            for m in &p.marks {
                *counts.entry(*m).or_default() += 1;
            }
        }
        if !self.special.is_empty() {
            counts.insert(SPECIAL_MARK, self.special.len());
        }
        if counts.len() > MAX_ROOM_MARKS {
            return Err(invalid(format!(
                "a room may use at most {MAX_ROOM_MARKS} distinct marks"
            )));
        }
        if let Some((m, _)) = counts.iter().find(|(_, n)| **n > MAX_MARK_MEMBERS) {
            return Err(invalid(format!(
                "mark {m} would be on more than {MAX_MARK_MEMBERS} members"
            )));
        }
        Ok(())
    }

    fn is_empty(&self) -> bool {
        self.members.is_empty() && self.special.is_empty()
    }
}

fn invalid(info: String) -> Error {
    Error::new(ErrorCode::GroupInvalidParameter, info)
}

/// One member of a get_members page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomMember {
    pub account: String,
    pub join_time: i64,
    pub marks: Vec<u64>,
}

/// modify_user_info's `CommandType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarkCommand {
    Set,
    Remove,
}

#[derive(Default)]
pub struct Rooms {
    rooms: Mutex<HashMap<(AppId, String), Room>>,
}

impl Rooms {
    fn with<T>(&self, app: AppId, group: &str, f: impl FnOnce(&mut Room) -> T) -> T {
        let mut rooms = self.rooms.lock().unwrap_or_else(|e| e.into_inner());
        let key = (app, group.to_owned());
        let room = rooms.entry(key.clone()).or_default();
        let out = f(room);
        if room.is_empty() {
            rooms.remove(&key);
        }
        out
    }

    /// The app's rooms with someone present (a broadcast's audience).
    pub fn of_app(&self, app: AppId) -> Vec<String> {
        let rooms = self.rooms.lock().unwrap_or_else(|e| e.into_inner());
        rooms
            .iter()
            .filter(|((a, _), room)| *a == app && !room.members.is_empty())
            .map(|((_, g), _)| g.clone())
            .collect()
    }

    /// `conn` of `account` joins; a user already present keeps the first join's time. True
    /// when the user was not present before.
    pub fn enter(&self, app: AppId, group: &str, account: &str, conn: u64, now: i64) -> bool {
        self.with(app, group, |room| {
            room.next_order += 1;
            let order = room.next_order;
            let new = !room.members.contains_key(account);
            room.members
                .entry(account.to_owned())
                .or_insert_with(|| Present {
                    join_time: now,
                    order,
                    conns: HashSet::new(),
                    marks: BTreeSet::new(),
                })
                .conns
                .insert(conn);
            new
        })
    }

    /// `conn` ended; true when it was the last holding `account` in the room.
    pub fn leave_conn(&self, app: AppId, group: &str, account: &str, conn: u64) -> bool {
        self.with(app, group, |room| {
            let Some(p) = room.members.get_mut(account) else {
                return false;
            };
            p.conns.remove(&conn);
            if p.conns.is_empty() {
                room.members.remove(account);
                return true;
            }
            false
        })
    }

    /// Takes `accounts` out of the room (quitGroup, a ban); returns those that were present.
    pub fn remove(&self, app: AppId, group: &str, accounts: &[String]) -> Vec<String> {
        self.with(app, group, |room| {
            accounts
                .iter()
                .filter(|a| room.members.remove(a.as_str()).is_some())
                .cloned()
                .collect()
        })
    }

    /// (account, join time) of everyone present, by account.
    pub fn present(&self, app: AppId, group: &str) -> Vec<(String, i64)> {
        self.with(app, group, |room| {
            let mut all: Vec<(String, i64)> = room
                .members
                .iter()
                .map(|(a, p)| (a.clone(), p.join_time))
                .collect();
            all.sort();
            all
        })
    }

    /// Whether each account is present, in order.
    pub fn contains(&self, app: AppId, group: &str, accounts: &[String]) -> Vec<bool> {
        self.with(app, group, |room| {
            accounts
                .iter()
                .map(|a| room.members.contains_key(a))
                .collect()
        })
    }

    /// get_members: the 1,000 most recent joins, newest first, those with `mark` only when
    /// given, 250 from `cursor` (0: the start; else the `NextTimestamp` of the page before);
    /// and the next cursor, 0 when this page is the last.
    pub fn page(
        &self,
        app: AppId,
        group: &str,
        cursor: u64,
        mark: Option<u64>,
    ) -> (Vec<RoomMember>, u64) {
        self.with(app, group, |room| {
            let mut all: Vec<(&String, &Present)> = room.members.iter().collect();
            all.sort_by_key(|(_, p)| std::cmp::Reverse(p.order));
            all.truncate(ROOM_MEMBERS_LISTED);
            let mut left: Vec<(&String, &Present, Vec<u64>)> = all
                .into_iter()
                .filter(|(_, p)| cursor == 0 || p.order < cursor)
                .map(|(a, p)| (a, p, room.marks_of(a)))
                .filter(|(_, _, marks)| mark.is_none_or(|m| marks.contains(&m)))
                .collect();
            let more = left.len() > ROOM_MEMBERS_PAGE;
            left.truncate(ROOM_MEMBERS_PAGE);
            let next = match left.last() {
                Some((_, p, _)) if more => p.order,
                _ => 0,
            };
            let page = left
                .into_iter()
                .map(|(a, p, marks)| RoomMember {
                    account: a.clone(),
                    join_time: p.join_time,
                    marks,
                })
                .collect();
            (page, next)
        })
    }

    /// modify_user_info: sets or removes marks, all or nothing. A present member takes every
    /// mark given; an absent account only the special mark. Returns the accounts changed with
    /// the marks applied to each; none at all is 10004 (inferred code), as is a room past
    /// its mark limits.
    pub fn modify_marks(
        &self,
        app: AppId,
        group: &str,
        command: MarkCommand,
        entries: &[(String, Vec<u64>)],
    ) -> Result<Vec<(String, Vec<u64>)>, Error> {
        let mut rooms = self.rooms.lock().unwrap_or_else(|e| e.into_inner());
        let key = (app, group.to_owned());
        let room = rooms.entry(key.clone()).or_default();
        // Work on copies of what changes, so that a refusal leaves the room as it was.
        let mut special = room.special.clone();
        let mut marks: HashMap<String, BTreeSet<u64>> = HashMap::new();
        let mut changed = Vec::new();
        for (account, wanted) in entries {
            let present = room.members.get(account);
            let applied: Vec<u64> = wanted
                .iter()
                .copied()
                .filter(|m| *m == SPECIAL_MARK || present.is_some())
                .collect();
            if applied.is_empty() {
                continue;
            }
            let own = marks
                .entry(account.clone())
                .or_insert_with(|| present.map(|p| p.marks.clone()).unwrap_or_default());
            for m in &applied {
                match (command, *m == SPECIAL_MARK) {
                    (MarkCommand::Set, true) => {
                        special.insert(account.clone());
                    }
                    (MarkCommand::Remove, true) => {
                        special.remove(account);
                    }
                    (MarkCommand::Set, false) => {
                        own.insert(*m);
                    }
                    (MarkCommand::Remove, false) => {
                        own.remove(m);
                    }
                }
            }
            changed.push((account.clone(), applied));
        }
        if changed.is_empty() {
            if room.is_empty() {
                rooms.remove(&key);
            }
            return Err(invalid(
                "no account in MemberList is in the room (only mark 500 may be given to absent users)"
                    .into(),
            ));
        }
        let old_special = std::mem::replace(&mut room.special, special);
        let mut old_marks = Vec::new();
        for (a, m) in marks {
            if let Some(p) = room.members.get_mut(&a) {
                old_marks.push((a, std::mem::replace(&mut p.marks, m)));
            }
        }
        if let Err(e) = room.check_limits() {
            room.special = old_special;
            for (a, m) in old_marks {
                if let Some(p) = room.members.get_mut(&a) {
                    p.marks = m;
                }
            }
            if room.is_empty() {
                rooms.remove(&key);
            }
            return Err(e);
        }
        if room.is_empty() {
            rooms.remove(&key);
        }
        Ok(changed)
    }

    /// Forgets a room (dismissed).
    pub fn forget(&self, app: AppId, group: &str) {
        self.rooms
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&(app, group.to_owned()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(n: &[&str]) -> Vec<String> {
        n.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn presence_follows_the_connections_that_joined() {
        let r = Rooms::default();
        r.enter(1, "g", "a", 1, 10);
        r.enter(1, "g", "a", 2, 20);
        r.enter(1, "g", "b", 3, 30);
        assert!(!r.leave_conn(1, "g", "a", 1), "a second connection holds a");
        let (page, next) = r.page(1, "g", 0, None);
        assert_eq!(next, 0);
        assert_eq!(page[0].account, "b", "newest first");
        assert_eq!(page[1].join_time, 10, "the first join's time");
        assert!(r.leave_conn(1, "g", "a", 2));
        assert_eq!(r.contains(1, "g", &names(&["a", "b"])), [false, true]);
        assert_eq!(r.contains(2, "g", &names(&["b"])), [false], "per app");
        assert_eq!(r.remove(1, "g", &names(&["a", "b"])), ["b"]);
    }

    #[test]
    fn pages_of_250_from_the_newest() {
        let r = Rooms::default();
        for i in 0..600u64 {
            r.enter(1, "g", &format!("u{i}"), i, i as i64);
        }
        let (p1, n1) = r.page(1, "g", 0, None);
        let (p2, n2) = r.page(1, "g", n1, None);
        let (p3, n3) = r.page(1, "g", n2, None);
        assert_eq!((p1.len(), p2.len(), p3.len(), n3), (250, 250, 100, 0));
        assert_eq!(p1[0].account, "u599");
        assert_eq!(p3.last().unwrap().account, "u0");
    }

    #[test]
    fn marks_need_presence_but_500_and_stay_within_limits() {
        let r = Rooms::default();
        r.enter(1, "g", "a", 1, 1);
        let set = |e: &[(&str, &[u64])]| {
            let e: Vec<(String, Vec<u64>)> =
                e.iter().map(|(a, m)| (a.to_string(), m.to_vec())).collect();
            r.modify_marks(1, "g", MarkCommand::Set, &e)
        };
        let done = set(&[("a", &[1000, 500]), ("off", &[1001, 500])]).unwrap();
        assert_eq!(done[1], ("off".to_string(), vec![500]));
        assert_eq!(
            set(&[("off", &[1001])]).unwrap_err().code,
            ErrorCode::GroupInvalidParameter
        );
        let too_many: Vec<u64> = (2000..2010).collect();
        assert!(set(&[("a", &too_many)]).is_err(), "11 distinct marks");
        let (page, _) = r.page(1, "g", 0, Some(1000));
        assert_eq!(
            page[0].marks,
            [500, 1000],
            "the refused write changed nothing"
        );
        r.leave_conn(1, "g", "a", 1);
        r.enter(1, "g", "a", 2, 5);
        let (page, _) = r.page(1, "g", 0, None);
        assert_eq!(
            page[0].marks,
            [500],
            "custom marks go with the presence, 500 stays"
        );
    }
}
