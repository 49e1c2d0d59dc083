//! Read receipts of group messages: get_group_msg_receipt, get_group_msg_receipt_detail, and
//! the SDK-only group_msg_receipt. spec: groups-more.md §6. A message keeps receipt data when
//! sent with `NeedReadReceipt` 1 (`messages::send_group_msg`).

use super::{cursor, group_id, invalid, required};
use crate::envelope::{opt_account, opt_objects, Empty};
use crate::failure::Failure;
use crate::Ctx;
use serde::{Deserialize, Serialize};
use timber_core::group::{MAX_READ_SEQS, MAX_RECEIPT_PAGE, MAX_RECEIPT_SEQS};
use timber_core::Error;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SeqItem {
    msg_seq: u64,
}

/// A required, non-empty `MsgSeqList` of at most `max` entries (10004).
fn seq_list(list: Option<Vec<SeqItem>>, max: usize) -> Result<Vec<u64>, Error> {
    let list = required(list, "MsgSeqList")?;
    if list.is_empty() || list.len() > max {
        return Err(invalid(format!("MsgSeqList must have 1-{max} entries")));
    }
    Ok(list.into_iter().map(|s| s.msg_seq).collect())
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ReceiptReq {
    group_id: Option<String>,
    #[serde(default, deserialize_with = "opt_objects")]
    msg_seq_list: Option<Vec<SeqItem>>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ReceiptResp {
    group_msg_receipt_list: Vec<ReceiptItem>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ReceiptItem {
    msg_seq: u64,
    read_num: u64,
    unread_num: u64,
    code: u32,
}

/// spec: groups-more.md §6.2. One entry per requested seq, request order (inferred); a seq
/// without receipt data has `Code` 10062 and zero counters. At most 100 seqs (ours: 10004).
/// Community and AVChatRoom 10007.
pub async fn get_group_msg_receipt(ctx: &Ctx, req: ReceiptReq) -> Result<ReceiptResp, Failure> {
    let id = group_id(req.group_id)?;
    let seqs = seq_list(req.msg_seq_list, MAX_RECEIPT_SEQS)?;
    let counts = ctx
        .store()
        .receipts(ctx.caller.app.sdkappid, id, seqs.clone())
        .await?;
    Ok(ReceiptResp {
        group_msg_receipt_list: seqs
            .into_iter()
            .zip(counts)
            .map(|(msg_seq, c)| match c {
                Ok(c) => ReceiptItem {
                    msg_seq,
                    read_num: c.read,
                    unread_num: c.unread,
                    code: 0,
                },
                Err(e) => ReceiptItem {
                    msg_seq,
                    read_num: 0,
                    unread_num: 0,
                    code: e.code.code(),
                },
            })
            .collect(),
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DetailReq {
    group_id: Option<String>,
    msg_seq: Option<u64>,
    filter: Option<u8>,
    cursor: Option<String>,
    count: Option<u64>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DetailResp {
    is_finished: u8,
    msg_seq: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    read_list: Option<Vec<ReadAccount>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    unread_list: Option<Vec<UnreadAccount>>,
    cursor: String,
}

#[derive(Serialize)]
pub struct ReadAccount {
    #[serde(rename = "Read_Account")]
    account: String,
}

#[derive(Serialize)]
pub struct UnreadAccount {
    #[serde(rename = "Unread_Account")]
    account: String,
}

/// spec: groups-more.md §6.3. `Filter` 0 lists the readers (`ReadList` of `Read_Account`),
/// 1 the others (`UnreadList` of `Unread_Account`), by UserID; `Count` 1 or more, above 200
/// counts as 200; `Cursor` "" first, then the previous answer's (another is 10004), and ""
/// once `IsFinished` is 1. A seq without receipt data refuses the whole request (10062).
pub async fn get_group_msg_receipt_detail(
    ctx: &Ctx,
    req: DetailReq,
) -> Result<DetailResp, Failure> {
    let id = group_id(req.group_id)?;
    let seq = required(req.msg_seq, "MsgSeq")?;
    let read = match required(req.filter, "Filter")? {
        0 => true,
        1 => false,
        f => return Err(invalid(format!("Filter must be 0 or 1, got {f}")).into()),
    };
    let raw_cursor = required(req.cursor, "Cursor")?;
    let count = required(req.count, "Count")?;
    if count == 0 {
        return Err(invalid("Count must be at least 1").into());
    }
    let count = count.min(MAX_RECEIPT_PAGE);
    let app = ctx.caller.app.sdkappid;
    let scope = format!("{id}\u{1}receipt\u{1}{seq}\u{1}{}", u8::from(read));
    let after = cursor::member_after(app, &scope, &raw_cursor)?;
    let (users, finished) = ctx
        .store()
        .receipt_detail(app, id, seq, read, after, count)
        .await?;
    let next = match (finished, users.last()) {
        (false, Some(last)) => cursor::member_next(app, &scope, last),
        _ => String::new(),
    };
    let (read_list, unread_list) = if read {
        let list = users.into_iter().map(|account| ReadAccount { account });
        (Some(list.collect()), None)
    } else {
        let list = users.into_iter().map(|account| UnreadAccount { account });
        (None, Some(list.collect()))
    };
    Ok(DetailResp {
        is_finished: u8::from(finished),
        msg_seq: seq,
        read_list,
        unread_list,
        cursor: next,
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MarkReadReq {
    group_id: Option<String>,
    #[serde(rename = "From_Account", default, deserialize_with = "opt_account")]
    from: Option<String>,
    #[serde(default, deserialize_with = "opt_objects")]
    msg_seq_list: Option<Vec<SeqItem>>,
}

/// groups-more.md §6.4: not documented by Tencent (it appears only in an SDK's models). Marks
/// `From_Account` (an existing account: 10019) as having read each listed seq (at most 50)
/// that keeps a receipt for them; others are ignored. Fires Group.CallbackAfterReadReceipt
/// when something changed. The only REST way to produce receipt data; ours throughout.
pub async fn group_msg_receipt(ctx: &Ctx, req: MarkReadReq) -> Result<Empty, Failure> {
    let id = group_id(req.group_id)?;
    let from = required(req.from.filter(|f| !f.is_empty()), "From_Account")?;
    let seqs = seq_list(req.msg_seq_list, MAX_READ_SEQS)?;
    ctx.store()
        .mark_read(ctx.caller.app.sdkappid, id, from, seqs)
        .await?;
    Ok(Empty {})
}
