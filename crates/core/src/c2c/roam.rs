//! admin_getroammsg: one side's view of a conversation's history, newest first, in pages.
//! spec: c2c-messages.md §6.

use super::{C2cMsg, MsgKey, Pair, Side, SideState};
use crate::message::{msg_bytes, Retention};
use std::sync::Arc;

/// A page stops before the message that would take its bodies past this many bytes (the
/// documentation's page limit, c2c-messages.md §6: about 13 KB); it always holds at least
/// one message.
pub const ROAM_PAGE_BYTES: usize = 13 * 1024;

/// An admin_getroammsg request, already validated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoamQuery {
    pub max_cnt: u32,
    pub min_time: i64,
    pub max_time: i64,
    /// `LastMsgKey` of the previous page: only messages before it in history's order.
    pub before: Option<MsgKey>,
}

/// The rows a page reads: the side's visible messages with `min_time <= time <= max_time`
/// and, with `before`, earlier than it in history's order; newest first, at most `limit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoamRange {
    pub min_time: i64,
    pub max_time: i64,
    pub before: Option<MsgKey>,
    /// The side whose view this is: rows hidden from it are not read.
    pub side: Side,
    /// One more than the page can hold, to know whether more follow.
    pub limit: u64,
}

/// Plans one page of `side`'s view: nothing cleared by the side's own clear mark, nothing
/// expired; `None` when the range is empty.
pub fn plan_roam(
    q: &RoamQuery,
    side: Side,
    state: &SideState,
    retention: Retention,
) -> Option<RoamRange> {
    let mut min_time = q.min_time.max(state.cleared_time.saturating_add(1));
    if let Some(cutoff) = retention.cutoff() {
        min_time = min_time.max(cutoff);
    }
    if min_time > q.max_time || q.max_cnt == 0 {
        return None;
    }
    Some(RoamRange {
        min_time,
        max_time: q.max_time,
        before: q.before,
        side,
        limit: u64::from(q.max_cnt) + 1,
    })
}

/// One entry of admin_getroammsg, every documented field filled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoamEntry {
    /// Shared by every entry of a page (a page has only two accounts to name).
    pub from: Arc<str>,
    pub to: Arc<str>,
    pub key: MsgKey,
    pub client_time: i64,
    /// `MsgFlagBits`: 0, or 8 when recalled (recalled messages are listed, their content
    /// gone).
    pub flags: u32,
    /// `IsPeerRead`: 1 only after a message read receipt from the receiver, which only
    /// clients send; always 0 until members can connect.
    pub is_peer_read: u8,
    pub body: String,
    /// "" when the message has none.
    pub cloud_custom_data: String,
}

/// A page as it is built from the rows of a [`RoamRange`], newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoamPage {
    pub entries: Vec<RoamEntry>,
    /// `Complete`: every message of the range is in this page or an earlier one.
    pub complete: bool,
    max_cnt: usize,
    bytes: usize,
    /// The pair's two accounts (`lo`, `hi`), made once for the page's entries.
    users: Option<[Arc<str>; 2]>,
}

impl RoamPage {
    pub fn new(max_cnt: u32) -> RoamPage {
        RoamPage {
            entries: Vec::new(),
            complete: true,
            max_cnt: max_cnt as usize,
            bytes: 0,
            users: None,
        }
    }

    /// Adds the next (older) row; `false` once the page is full, and then this row and every
    /// later one are left for the next page.
    pub fn push(&mut self, pair: &Pair, m: C2cMsg) -> bool {
        if !self.complete {
            return false;
        }
        let size = msg_bytes(&m.body, m.cloud_custom_data.as_deref());
        let over = !self.entries.is_empty() && self.bytes + size > ROAM_PAGE_BYTES;
        if self.entries.len() >= self.max_cnt || over {
            self.complete = false;
            return false;
        }
        self.bytes += size;
        let sender = m.sender_side();
        let receiver = if pair.is_self() {
            sender
        } else {
            sender.other()
        };
        let users = self
            .users
            .get_or_insert_with(|| [Arc::from(pair.lo.as_str()), Arc::from(pair.hi.as_str())]);
        self.entries.push(RoamEntry {
            from: users[sender.index()].clone(),
            to: users[receiver.index()].clone(),
            key: m.key,
            client_time: m.client_time,
            flags: m.flags,
            is_peer_read: 0,
            body: m.body,
            cloud_custom_data: m.cloud_custom_data.unwrap_or_default(),
        });
        true
    }

    /// `LastMsgTime` and `LastMsgKey`: the oldest message of the page (0 and "" when empty).
    pub fn last(&self) -> (i64, String) {
        self.entries
            .last()
            .map_or((0, String::new()), |e| (e.key.time, e.key.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(time: i64, size: usize) -> C2cMsg {
        C2cMsg {
            key: MsgKey {
                time,
                seq: 1,
                random: 1,
            },
            from_lo: true,
            client_time: time,
            flags: 0,
            hidden: 0,
            counts_unread: true,
            need_receipt: false,
            body: "x".repeat(size),
            cloud_custom_data: None,
        }
    }

    #[test]
    fn plans_clip_to_clear_marks_and_retention() {
        let q = RoamQuery {
            max_cnt: 5,
            min_time: 0,
            max_time: 1_000_000,
            before: None,
        };
        let state = SideState {
            cleared_time: 10,
            ..Default::default()
        };
        let r = plan_roam(&q, Side::Lo, &state, Retention::forever(0)).unwrap();
        assert_eq!((r.min_time, r.limit), (11, 6));
        let r = plan_roam(
            &q,
            Side::Lo,
            &state,
            Retention {
                days: 1,
                now: 1_000_000,
            },
        )
        .unwrap();
        assert_eq!(r.min_time, 1_000_000 - 86_400);
        let empty = RoamQuery { max_time: 10, ..q };
        assert_eq!(
            plan_roam(&empty, Side::Lo, &state, Retention::forever(0)),
            None
        );
        let none = RoamQuery { max_cnt: 0, ..q };
        assert_eq!(
            plan_roam(
                &none,
                Side::Lo,
                &SideState::default(),
                Retention::forever(0)
            ),
            None
        );
    }

    #[test]
    fn pages_stop_at_the_count_or_the_byte_budget() {
        let pair = Pair::new("a", "b");
        let mut p = RoamPage::new(2);
        assert!(p.push(&pair, msg(9, 10)));
        assert!(p.push(&pair, msg(8, 10)));
        assert!(!p.push(&pair, msg(7, 10)));
        assert!(!p.complete);
        assert_eq!(p.last(), (8, "1_1_8".into()));
        assert_eq!((&*p.entries[0].from, &*p.entries[0].to), ("a", "b"));
        let mut p = RoamPage::new(100);
        assert!(
            p.push(&pair, msg(9, ROAM_PAGE_BYTES + 5)),
            "one message always fits"
        );
        assert!(!p.push(&pair, msg(8, 1)));
        let p = RoamPage::new(3);
        assert!(p.complete && p.last() == (0, String::new()));
    }
}
