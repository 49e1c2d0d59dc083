//! Changes to slots that already exist: recall, delete by sender, modify, and clearing the
//! history. Each marks a slot or moves the group's watermark; none frees or renumbers a seq
//! (DESIGN.md invariant 2). spec: group-messages.md §6–§9.

use super::{msg_bytes, Retention, SlotState, StoredMsg, DELETE_BY_SENDER_SCAN};
use crate::group::{GroupOp, GroupRecord};
use crate::{Error, ErrorCode};

/// What a recall reads of a stored slot: its state and its message's time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlotFacts {
    pub state: SlotState,
    pub time: i64,
}

/// What group_msg_recall writes and answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecallPlan {
    /// Per requested seq: `Ok` when recalled now or before, else the per-message code.
    pub results: Vec<Result<(), ErrorCode>>,
    /// The seqs to mark as recalled, each once.
    pub mark: Vec<u64>,
}

/// group_msg_recall (group-messages.md §6); `slots[i]` is the stored row of `seqs[i]`, if any.
/// A stored, retained message is recalled (again: still `Ok`); anything else answers 10030.
/// AVChatRoom keeps no rows: a recall there only tells the online members, so any allocated
/// seq may be named.
pub fn decide_recall(
    g: &GroupRecord,
    seqs: &[u64],
    slots: &[Option<SlotFacts>],
    retention: Retention,
) -> RecallPlan {
    let mut mark = Vec::new();
    let results = seqs
        .iter()
        .zip(slots)
        .map(|(&seq, slot)| {
            if !g.ty.stores_history() {
                return if (1..=g.last_seq()).contains(&seq) {
                    Ok(())
                } else {
                    Err(ErrorCode::RecallMsgNotFound)
                };
            }
            match slot {
                Some(s) if retention.expired(s.time) => Err(ErrorCode::RecallMsgNotFound),
                Some(s) if s.state == SlotState::Recalled => Ok(()),
                Some(s) if s.state == SlotState::Normal => {
                    if !mark.contains(&seq) {
                        mark.push(seq);
                    }
                    Ok(())
                }
                // Never stored (online-only) or gone.
                _ => Err(ErrorCode::RecallMsgNotFound),
            }
        })
        .collect();
    RecallPlan { results, mark }
}

/// delete_group_msg_by_sender (group-messages.md §8): the lowest seq of the newest 1,000
/// slots, among which the sender's messages are marked recalled; `None` where the type
/// accepts the call and does nothing (AVChatRoom).
pub fn delete_by_sender_from(g: &GroupRecord) -> Result<Option<u64>, Error> {
    if !g.ty.check(GroupOp::DeleteMsgBySender)? {
        return Ok(None);
    }
    Ok(Some(g.last_seq().saturating_sub(DELETE_BY_SENDER_SCAN) + 1))
}

/// A message's content after modify_group_msg.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Modified {
    pub body: String,
    pub cloud_custom_data: Option<String>,
}

/// modify_group_msg (group-messages.md §9): replaces the body and/or custom data of a stored,
/// retained, not recalled message (20022 otherwise); the result must fit in `max_bytes`
/// (80002). `stored` is the row at `seq`, if any.
pub fn decide_modify(
    g: &GroupRecord,
    seq: u64,
    stored: Option<StoredMsg>,
    body: Option<&str>,
    cloud_custom_data: Option<&str>,
    max_bytes: usize,
    retention: Retention,
) -> Result<Modified, Error> {
    g.ty.check(GroupOp::ModifyMsg)?;
    let m = stored
        .filter(|m| m.state == SlotState::Normal && !retention.expired(m.time))
        .ok_or_else(|| {
            Error::new(
                ErrorCode::MsgNotFound,
                format!("group {:?} has no message with MsgSeq {seq}", g.group_id),
            )
        })?;
    modified(
        m.body,
        m.cloud_custom_data,
        body,
        cloud_custom_data,
        max_bytes,
    )
}

/// A stored message's content with the given parts replaced (group and one-to-one
/// messages alike); the result must fit in `max_bytes` (80002).
pub fn modified(
    stored_body: String,
    stored_cloud_custom_data: Option<String>,
    body: Option<&str>,
    cloud_custom_data: Option<&str>,
    max_bytes: usize,
) -> Result<Modified, Error> {
    let modified = Modified {
        body: body.map_or(stored_body, str::to_owned),
        cloud_custom_data: cloud_custom_data
            .map(str::to_owned)
            .or(stored_cloud_custom_data),
    };
    let size = msg_bytes(&modified.body, modified.cloud_custom_data.as_deref());
    if size > max_bytes {
        return Err(Error::new(
            ErrorCode::MsgTooLong,
            format!("the modified message is {size} bytes; at most {max_bytes} are allowed"),
        ));
    }
    Ok(modified)
}

/// The cleared watermark after clear_group_msg: never lower, never beyond the last allocated
/// seq, so messages sent later are unaffected (group-messages.md §7).
pub fn cleared_watermark(current: u64, requested: Option<u64>, last_seq: u64) -> u64 {
    current.max(requested.unwrap_or(last_seq).min(last_seq))
}

/// clear_group_msg (group-messages.md §7): the watermark to answer with, and whether it moved
/// (then it is the one write, whatever the history's size: DESIGN.md invariant 4). Community
/// refuses (10007); AVChatRoom accepts and stores nothing.
pub fn decide_clear(g: &GroupRecord, upto: Option<u64>) -> Result<(u64, bool), Error> {
    if !g.ty.check(GroupOp::ClearHistory)? {
        return Ok((g.cleared_upto, false));
    }
    let watermark = cleared_watermark(g.cleared_upto, upto, g.last_seq());
    Ok((watermark, watermark != g.cleared_upto))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::group::record::tests::group;
    use crate::group::GroupType;

    #[test]
    fn watermark_never_goes_down_or_past_last() {
        assert_eq!(cleared_watermark(0, None, 10), 10);
        assert_eq!(cleared_watermark(5, Some(3), 10), 5);
        assert_eq!(cleared_watermark(5, Some(7), 10), 7);
        assert_eq!(cleared_watermark(5, Some(99), 10), 10);
        assert_eq!(cleared_watermark(0, Some(0), 10), 0);
        assert_eq!(cleared_watermark(0, None, 0), 0);
    }

    #[test]
    fn clears_per_type() {
        let mut g = group(GroupType::Public); // last seq 10
        g.cleared_upto = 4;
        assert_eq!(decide_clear(&g, Some(3)), Ok((4, false)));
        assert_eq!(decide_clear(&g, None), Ok((10, true)));
        g.ty = GroupType::AVChatRoom;
        assert_eq!(decide_clear(&g, None), Ok((4, false)));
        g.ty = GroupType::Community;
        let e = decide_clear(&g, None).unwrap_err();
        assert_eq!(e.code, ErrorCode::GroupPermissionDenied);
    }

    #[test]
    fn recalls() {
        let g = group(GroupType::Public);
        let now = 1_000_000;
        let retention = Retention { days: 1, now };
        let slot = |state, time| Some(SlotFacts { state, time });
        let slots = [
            slot(SlotState::Normal, now),
            slot(SlotState::Recalled, now),
            slot(SlotState::Unstored, now),
            slot(SlotState::Normal, 0), // expired
            None,
        ];
        let plan = decide_recall(&g, &[1, 2, 3, 4, 5], &slots, retention);
        let gone = Err(ErrorCode::RecallMsgNotFound);
        assert_eq!(plan.results, vec![Ok(()), Ok(()), gone, gone, gone]);
        assert_eq!(plan.mark, vec![1]);
        let twice = decide_recall(&g, &[1, 1], &slots[..2], retention);
        assert_eq!(twice.mark, vec![1]);
        let mut av = group(GroupType::AVChatRoom);
        av.next_msg_seq = 3;
        let plan = decide_recall(&av, &[2, 3], &[None, None], retention);
        assert_eq!(plan.results, vec![Ok(()), gone]);
        assert!(plan.mark.is_empty());
    }

    fn stored(state: SlotState, time: i64) -> StoredMsg {
        StoredMsg {
            seq: 3,
            from: "a".into(),
            random: 1,
            time,
            priority: 2,
            state,
            is_system: false,
            body: "[1]".into(),
            cloud_custom_data: Some("cc".into()),
            to_accounts: Vec::new(),
        }
    }

    #[test]
    fn modifications() {
        let g = group(GroupType::Public);
        let r = Retention::forever(0);
        let m = decide_modify(
            &g,
            3,
            Some(stored(SlotState::Normal, 5)),
            None,
            Some("x"),
            99,
            r,
        );
        let want = Modified {
            body: "[1]".into(),
            cloud_custom_data: Some("x".into()),
        };
        assert_eq!(m, Ok(want));
        let code = |s: Option<StoredMsg>, max| {
            decide_modify(&g, 3, s, Some("[22]"), None, max, r).map_err(|e| e.code)
        };
        assert_eq!(code(None, 99), Err(ErrorCode::MsgNotFound));
        let recalled = Some(stored(SlotState::Recalled, 5));
        assert_eq!(code(recalled, 99), Err(ErrorCode::MsgNotFound));
        let normal = Some(stored(SlotState::Normal, 5));
        assert_eq!(
            code(normal, 5),
            Err(ErrorCode::MsgTooLong),
            "[22] + cc = 6 bytes"
        );
        let av = group(GroupType::AVChatRoom);
        let e = decide_modify(&av, 3, None, None, None, 99, r).unwrap_err();
        assert_eq!(e.code, ErrorCode::GroupPermissionDenied);
    }

    #[test]
    fn delete_by_sender_scans_the_newest_thousand() {
        let mut g = group(GroupType::Public);
        assert_eq!(delete_by_sender_from(&g), Ok(Some(1)));
        g.next_msg_seq = 5_001;
        assert_eq!(delete_by_sender_from(&g), Ok(Some(4_001)));
        g.ty = GroupType::AVChatRoom;
        assert_eq!(delete_by_sender_from(&g), Ok(None));
    }
}
