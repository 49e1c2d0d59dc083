//! Read receipts of group messages. spec: groups-more.md §6.
//!
//! Our decisions (groups-more.md §11.6): a message sent with `NeedReadReceipt` 1 in a
//! Private/Work, Public or ChatRoom/Meeting group keeps its recipients — the members when it
//! was stored, minus the sender — each read or not; `UnreadNum` counts those not read. In
//! Community and AVChatRoom the flag is ignored at send (no receipt data is kept) and the
//! receipt reads answer 10007. A seq without receipt data (no such message, sent without the
//! flag, recalled, cleared, expired, or with nobody to read it) answers 10062. The
//! undocumented `group_msg_receipt` is the only REST way to mark a message read.

use super::{GroupRecord, GroupType};
use crate::message::SlotState;
use crate::{Error, ErrorCode};

/// The types that keep receipts.
pub const RECEIPT_TYPES: [GroupType; 3] =
    [GroupType::Private, GroupType::Public, GroupType::ChatRoom];
/// Groups with more members cannot ask for receipts (10060).
pub const MAX_RECEIPT_MEMBERS: u64 = 200;
/// Seqs per get_group_msg_receipt (no documented limit; ours, more → 10004).
pub const MAX_RECEIPT_SEQS: usize = 100;
/// Seqs per group_msg_receipt (the SDK model's limit).
pub const MAX_READ_SEQS: usize = 50;
/// get_group_msg_receipt_detail's page: larger `Count`s count as this.
pub const MAX_RECEIPT_PAGE: u64 = 200;

/// 10007 for a type without receipts ([`RECEIPT_TYPES`]).
pub fn require_receipt_type(g: &GroupRecord) -> Result<(), Error> {
    if RECEIPT_TYPES.contains(&g.ty) {
        return Ok(());
    }
    Err(Error::new(
        ErrorCode::GroupPermissionDenied,
        format!("{} groups have no read receipts", g.ty.as_str()),
    ))
}

/// send_group_msg with `NeedReadReceipt` 1 (its other checks passed): whether receipt data is
/// kept — not in a type without receipts — or 10060 in a group of more than 200 members.
pub fn decide_receipt_send(g: &GroupRecord) -> Result<bool, Error> {
    if !RECEIPT_TYPES.contains(&g.ty) {
        return Ok(false);
    }
    if g.member_num > MAX_RECEIPT_MEMBERS {
        return Err(Error::new(
            ErrorCode::GroupReceiptTooManyMembers,
            format!(
                "the group has {} members; read receipts need at most {MAX_RECEIPT_MEMBERS}",
                g.member_num
            ),
        ));
    }
    Ok(true)
}

/// A seq's receipt counters, or the per-seq 10062.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReceiptCount {
    pub read: u64,
    pub unread: u64,
}

/// Whether a seq has receipt data a reader may see: its message is still there, not recalled,
/// not cleared (`state`: the stored slot's, `None` when no row is left), and it has
/// recipients.
pub fn receipt_visible(
    g: &GroupRecord,
    seq: u64,
    state: Option<SlotState>,
    count: ReceiptCount,
) -> Result<ReceiptCount, Error> {
    let shown =
        state == Some(SlotState::Normal) && seq > g.cleared_upto && count.read + count.unread > 0;
    if shown {
        Ok(count)
    } else {
        Err(Error::new(
            ErrorCode::GroupReceiptNotFound,
            format!("message {seq} has no read receipt data"),
        ))
    }
}
