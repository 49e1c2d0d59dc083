//! Read marks and unread counts of one-to-one conversations: admin_set_msg_read and
//! get_c2c_unread_msg_num. spec: c2c-messages.md §8, §9; limits.md §5.
//!
//! A side's unread count is not a stored counter but the number of messages it can see,
//! from its peer, that count as unread and were sent after its read mark (and after its clear
//! mark, and within retention). So a recall, a one-sided delete or expiry changes the count
//! with no write of its own, and no count can drift from the history it counts.

use super::{Conversation, Side, SideState, MAX_UNREAD_CONVERSATIONS, MAX_UNREAD_PER_CONVERSATION};
use crate::message::Retention;

/// admin_set_msg_read: the side's new read mark, if it moves. Messages sent at or before
/// `read_time` become read; the mark never moves back (our choice: the documentation gives
/// no way to make read messages unread) and never past `now`, so that messages sent later
/// stay unread. `None` when nothing is written (no conversation yet: nothing to read).
pub fn decide_set_read(
    conv: Option<&Conversation>,
    side: Side,
    read_time: i64,
    now: i64,
) -> Option<i64> {
    let conv = conv?;
    let mark = read_time.min(now);
    (mark > conv.side(side).read_time).then_some(mark)
}

/// Messages sent after this time may count in the side's unread count.
pub fn unread_after(state: &SideState, retention: Retention) -> i64 {
    let mut after = state.read_time.max(state.cleared_time);
    if let Some(cutoff) = retention.cutoff() {
        after = after.max(cutoff - 1);
    }
    after
}

/// A conversation's count as a side sees it, capped at 250 (limits.md §5).
pub fn capped_unread(count: u64) -> u64 {
    count.min(MAX_UNREAD_PER_CONVERSATION)
}

/// `AllC2CUnreadMsgNum`: the sum over the user's conversations, each given as (its newest
/// message time in the user's list, its capped count); only the 100 most recent
/// conversations with unread messages count (limits.md §5).
pub fn total_unread(mut convs: Vec<(i64, u64)>) -> u64 {
    convs.retain(|&(_, n)| n > 0);
    convs.sort_unstable_by_key(|&(last, _)| std::cmp::Reverse(last));
    convs
        .into_iter()
        .take(MAX_UNREAD_CONVERSATIONS)
        .map(|(_, n)| capped_unread(n))
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conv(read_time: i64) -> Conversation {
        Conversation {
            key: 1,
            sides: [
                SideState {
                    read_time,
                    ..Default::default()
                },
                SideState::default(),
            ],
        }
    }

    #[test]
    fn read_marks_move_forward_only() {
        assert_eq!(decide_set_read(None, Side::Lo, 5, 10), None);
        assert_eq!(decide_set_read(Some(&conv(3)), Side::Lo, 5, 10), Some(5));
        assert_eq!(decide_set_read(Some(&conv(6)), Side::Lo, 5, 10), None);
        assert_eq!(
            decide_set_read(Some(&conv(3)), Side::Lo, 50, 10),
            Some(10),
            "never past now"
        );
        assert_eq!(decide_set_read(Some(&conv(3)), Side::Hi, 5, 10), Some(5));
    }

    #[test]
    fn counts() {
        let s = SideState {
            read_time: 5,
            cleared_time: 7,
            last_time: 0,
        };
        assert_eq!(unread_after(&s, Retention::forever(0)), 7);
        assert_eq!(
            unread_after(
                &s,
                Retention {
                    days: 1,
                    now: 100_000
                }
            ),
            100_000 - 86_401
        );
        assert_eq!(capped_unread(300), 250);
        let many: Vec<(i64, u64)> = (0..150)
            .map(|i| (i, 1))
            .chain([(200, 0), (300, 999)])
            .collect();
        assert_eq!(total_unread(many), 250 + 99);
    }
}
