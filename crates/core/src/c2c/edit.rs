//! Changes to stored one-to-one messages: recall (admin_msgwithdraw), modify_c2c_msg and the
//! one-sided delete (delete_c2c_msg_ramble). None moves a message or frees its MsgKey.
//! spec: c2c-messages.md §7, §10; delete_c2c_msg_ramble from Tencent's page "单向删除单聊历史消息".

use super::{C2cMsg, MsgKey, Side};
use crate::message::{modified, Modified, Retention};
use crate::{Error, ErrorCode};

fn not_found(key: MsgKey) -> Error {
    Error::new(
        ErrorCode::MsgNotFound,
        format!("the conversation has no message {key} sent by From_Account"),
    )
}

/// The stored message `key` names, if it was sent by the side `from` and has not expired.
fn sent_by(
    found: Option<C2cMsg>,
    from: Side,
    key: MsgKey,
    retention: Retention,
) -> Result<C2cMsg, Error> {
    found
        .filter(|m| m.sender_side() == from && !retention.expired(m.key.time))
        .ok_or_else(|| not_found(key))
}

/// admin_msgwithdraw (c2c-messages.md §7): a retained message of `From_Account` to
/// `To_Account` (20022 otherwise), not recalled yet (20023). There is no time limit but
/// retention. The recall marks the row (`MsgFlagBits` 8) and erases its content, which the
/// documentation says is removed everywhere; both sides then see the bare marker.
pub fn decide_withdraw(
    found: Option<C2cMsg>,
    from: Side,
    key: MsgKey,
    retention: Retention,
) -> Result<(), Error> {
    let m = sent_by(found, from, key, retention)?;
    if m.recalled() {
        return Err(Error::new(
            ErrorCode::MsgAlreadyRecalled,
            format!("message {key} has already been recalled"),
        ));
    }
    Ok(())
}

/// modify_c2c_msg (c2c-messages.md §10): a retained, not recalled message of `From_Account`
/// (20022 otherwise, inferred); the parts given replace the stored ones, and the result must
/// fit in `max_bytes` (80002), the rule modify_group_msg follows too.
pub fn decide_c2c_modify(
    found: Option<C2cMsg>,
    from: Side,
    key: MsgKey,
    body: Option<&str>,
    cloud_custom_data: Option<&str>,
    max_bytes: usize,
    retention: Retention,
) -> Result<Modified, Error> {
    let m = sent_by(found, from, key, retention)?;
    if m.recalled() {
        return Err(Error::new(
            ErrorCode::MsgNotFound,
            format!("message {key} was recalled and cannot be modified"),
        ));
    }
    modified(
        m.body,
        m.cloud_custom_data,
        body,
        cloud_custom_data,
        max_bytes,
    )
}

/// delete_c2c_msg_ramble: the keys of the messages to hide from `side`, each once. Deleting
/// is one-sided (the peer still sees the message) and idempotent: a key of no stored message,
/// or of one the side no longer sees, is skipped rather than refused (inferred: the page
/// documents no per-key result).
pub fn decide_delete(side: Side, found: &[(MsgKey, Option<C2cMsg>)]) -> Vec<MsgKey> {
    let mut hide: Vec<MsgKey> = Vec::new();
    for (key, m) in found {
        if let Some(m) = m {
            if !m.hidden_from(side) && !hide.contains(key) {
                hide.push(*key);
            }
        }
    }
    hide
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::c2c::MSG_FLAG_RECALLED;

    fn msg(flags: u32, time: i64) -> C2cMsg {
        C2cMsg {
            key: MsgKey {
                time,
                seq: 1,
                random: 2,
            },
            from_lo: true,
            client_time: time,
            flags,
            hidden: 0,
            counts_unread: true,
            need_receipt: false,
            body: "[1]".into(),
            cloud_custom_data: Some("c".into()),
        }
    }

    #[test]
    fn withdrawals() {
        let r = Retention::forever(0);
        let k = msg(0, 5).key;
        assert_eq!(decide_withdraw(Some(msg(0, 5)), Side::Lo, k, r), Ok(()));
        let code = |m, side| decide_withdraw(m, side, k, r).unwrap_err().code;
        assert_eq!(
            code(Some(msg(MSG_FLAG_RECALLED, 5)), Side::Lo),
            ErrorCode::MsgAlreadyRecalled
        );
        assert_eq!(code(None, Side::Lo), ErrorCode::MsgNotFound);
        assert_eq!(
            code(Some(msg(0, 5)), Side::Hi),
            ErrorCode::MsgNotFound,
            "not its sender"
        );
        let expired = Retention {
            days: 1,
            now: 1_000_000,
        };
        assert_eq!(
            decide_withdraw(Some(msg(0, 5)), Side::Lo, k, expired)
                .unwrap_err()
                .code,
            ErrorCode::MsgNotFound
        );
    }

    #[test]
    fn modifications() {
        let r = Retention::forever(0);
        let k = msg(0, 5).key;
        let m = decide_c2c_modify(Some(msg(0, 5)), Side::Lo, k, None, Some("x"), 99, r).unwrap();
        assert_eq!(
            (m.body.as_str(), m.cloud_custom_data.as_deref()),
            ("[1]", Some("x"))
        );
        let code = |m, max| {
            decide_c2c_modify(m, Side::Lo, k, Some("[22]"), None, max, r)
                .unwrap_err()
                .code
        };
        assert_eq!(
            code(Some(msg(MSG_FLAG_RECALLED, 5)), 99),
            ErrorCode::MsgNotFound
        );
        assert_eq!(code(Some(msg(0, 5)), 3), ErrorCode::MsgTooLong);
    }

    #[test]
    fn deletes_skip_what_the_side_does_not_see() {
        let mut hidden = msg(0, 6);
        hidden.key.time = 6;
        hidden.hidden = Side::Hi.bit();
        let found = [
            (msg(0, 5).key, Some(msg(0, 5))),
            (msg(0, 5).key, Some(msg(0, 5))),
            (hidden.key, Some(hidden.clone())),
            (
                MsgKey {
                    time: 9,
                    seq: 9,
                    random: 9,
                },
                None,
            ),
        ];
        assert_eq!(decide_delete(Side::Hi, &found), vec![msg(0, 5).key]);
        assert_eq!(
            decide_delete(Side::Lo, &found),
            vec![msg(0, 5).key, hidden.key]
        );
    }
}
