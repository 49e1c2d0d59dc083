//! Group messages: MsgSeq, sending rules, history (admin and member views), recall,
//! delete-by-sender, modify, import, clear, unread counts, and the background sweeper.
//! spec: group-messages.md.

use crate::{backends, on_every_backend};
use std::collections::HashMap;
use std::sync::Arc;
use timber_core::group::{GroupType, NewGroup, NewMember, Role};
use timber_core::message::{
    ImportMsg, Imported, MemberEntry, MemberPage, NewGroupMsg, Place, Retention, SendMsg, Sent,
    SlotState,
};
use timber_core::ErrorCode;
use timber_store::messages::{HistoryPage, HistoryQuery};
use timber_store::sqlite::SqliteStore;
use timber_store::{GroupStore, MessageStore, NewAccount, Store, StoreError};

const APP: u64 = 1400000001;
const OTHER_APP: u64 = 1400000002;
const T0: i64 = 1_700_000_000;
const TEXT: &str = r#"[{"MsgType":"TIMTextElem","MsgContent":{"Text":"hi"}}]"#;

fn code<T: std::fmt::Debug>(r: Result<T, StoreError>) -> ErrorCode {
    match r {
        Err(StoreError::Domain(e)) => e.code,
        other => panic!("expected a domain error, got {other:?}"),
    }
}

fn new_group(ty: GroupType, id: &str, owner: &str, members: &[&str], create_time: i64) -> NewGroup {
    NewGroup {
        group_id: Some(id.into()),
        ty,
        name: "g".into(),
        introduction: String::new(),
        notification: String::new(),
        face_url: String::new(),
        owner: (!owner.is_empty()).then(|| owner.into()),
        create_time,
        max_member_num: ty.default_max_members(),
        apply_join_option: "FreeAccess".into(),
        invite_join_option: None,
        mute_all: false,
        support_topic: false,
        app_defined_data: vec![],
        members: members
            .iter()
            .map(|m| NewMember::member(*m, create_time))
            .collect(),
    }
}

/// Accounts `o`, `a`, `b`, `c`, `admin` and a group `id` of type `ty` owned by `o` with
/// members `a` and `b` (AVChatRoom: no members besides the owner).
async fn setup(s: &dyn Store, ty: GroupType, id: &str) {
    let accounts = ["o", "a", "b", "c", "admin"]
        .into_iter()
        .map(NewAccount::bare)
        .collect();
    s.import_accounts(APP, accounts, T0).await.unwrap();
    let members: &[&str] = if ty == GroupType::AVChatRoom {
        &[]
    } else {
        &["a", "b"]
    };
    s.create_group(APP, new_group(ty, id, "o", members, T0), T0)
        .await
        .unwrap();
}

fn msg(from: &str, random: u32, time: i64) -> NewGroupMsg {
    NewGroupMsg {
        from: from.into(),
        random,
        time,
        priority: 2,
        state: SlotState::Normal,
        is_system: false,
        body: TEXT.into(),
        cloud_custom_data: None,
        to_accounts: vec![],
    }
}

async fn send(s: &dyn Store, id: &str, m: NewGroupMsg) -> Result<Sent, StoreError> {
    let sender_is_admin = m.from == "admin";
    s.send_message(
        APP,
        id.into(),
        SendMsg {
            msg: m,
            sender_is_admin,
            no_last_msg: false,
            callback: None,
            support_extension: false,
        },
    )
    .await
}

async fn admin_history(
    s: &dyn Store,
    id: &str,
    req_seq: Option<u64>,
    n: u64,
    with_recalled: bool,
    retention: Retention,
) -> HistoryPage {
    s.history(
        APP,
        id.into(),
        HistoryQuery {
            req_seq,
            req_number: n,
            with_recalled,
        },
        retention,
    )
    .await
    .unwrap()
}

fn places(p: &HistoryPage) -> Vec<(u64, Place)> {
    p.entries.iter().map(|e| (e.seq, e.place)).collect()
}

/// Every seq the member sees, newest first, paging through the whole member view.
async fn member_seqs(s: &dyn Store, id: &str, member: &str, retention: Retention) -> Vec<u64> {
    let mut out = Vec::new();
    let mut req = None;
    loop {
        let MemberPage { entries, next_seq } = s
            .member_history(APP, id.into(), member.into(), req, 20, retention)
            .await
            .unwrap();
        out.extend(entries.iter().map(MemberEntry::seq));
        match next_seq {
            Some(n) => req = Some(n),
            None => return out,
        }
    }
}

fn import(from: &str, send_time: i64, random: Option<u32>) -> ImportMsg {
    ImportMsg {
        from: from.into(),
        send_time,
        random,
        body: TEXT.into(),
        cloud_custom_data: None,
    }
}

fn forever() -> Retention {
    Retention::forever(T0 + 1_000)
}

#[tokio::test]
async fn msg_seq_starts_at_one_and_is_contiguous_per_group() {
    on_every_backend(|s| async move {
        setup(&*s, GroupType::Public, "g1").await;
        setup(&*s, GroupType::AVChatRoom, "live").await;
        for (i, expected) in [1u64, 2, 3].into_iter().enumerate() {
            let sent = send(&*s, "g1", msg("a", i as u32, T0)).await.unwrap();
            assert_eq!((sent.seq, sent.time, sent.duplicate), (expected, T0, false));
        }
        // AVChatRoom takes seqs for ordering too, from 1, independently.
        assert_eq!(send(&*s, "live", msg("c", 1, T0)).await.unwrap().seq, 1);
        assert_eq!(send(&*s, "live", msg("c", 1, T0)).await.unwrap().seq, 2);
        let groups = s
            .get_groups(APP, vec!["g1".into(), "live".into()], false)
            .await
            .unwrap();
        let next: Vec<u64> = groups
            .iter()
            .map(|g| g.as_ref().unwrap().group.next_msg_seq)
            .collect();
        assert_eq!(next, vec![4, 3]);
        assert_eq!(groups[0].as_ref().unwrap().group.last_msg_time, T0);
        // Another app does not see the group.
        let other = s
            .send_message(
                OTHER_APP,
                "g1".into(),
                SendMsg {
                    msg: msg("a", 9, T0),
                    sender_is_admin: true,
                    no_last_msg: false,
                    callback: None,
                    support_extension: false,
                },
            )
            .await;
        assert_eq!(code(other), ErrorCode::GroupNotFound);
    })
    .await;
}

#[tokio::test]
async fn a_repeated_random_within_five_minutes_is_the_same_message() {
    on_every_backend(|s| async move {
        setup(&*s, GroupType::Public, "g").await;
        let first = send(&*s, "g", msg("a", 77, T0)).await.unwrap();
        let again = send(&*s, "g", msg("b", 77, T0 + 300)).await.unwrap();
        assert_eq!(
            again,
            Sent {
                seq: first.seq,
                time: T0,
                duplicate: true
            }
        );
        let later = send(&*s, "g", msg("a", 77, T0 + 301)).await.unwrap();
        assert_eq!((later.seq, later.duplicate), (2, false));
        // Online-only messages keep their slot, so they are de-duplicated too.
        let mut online = msg("a", 5, T0 + 400);
        online.state = SlotState::Unstored;
        online.body = "[]".into();
        assert_eq!(send(&*s, "g", online.clone()).await.unwrap().seq, 3);
        assert!(send(&*s, "g", online).await.unwrap().duplicate);
        let page = admin_history(&*s, "g", None, 20, true, forever()).await;
        assert_eq!(
            places(&page),
            vec![(3, Place::Placeholder), (2, Place::Real), (1, Place::Real)]
        );
    })
    .await;
}

#[tokio::test]
async fn sender_rules() {
    on_every_backend(|s| async move {
        setup(&*s, GroupType::Public, "g").await;
        assert_eq!(
            code(send(&*s, "g", msg("c", 1, T0)).await),
            ErrorCode::GroupPermissionDenied,
            "an account that is not a member"
        );
        assert_eq!(
            code(send(&*s, "g", msg("nobody", 1, T0)).await),
            ErrorCode::GroupAccountNotFound
        );
        assert_eq!(
            code(send(&*s, "nope", msg("a", 1, T0)).await),
            ErrorCode::GroupNotFound
        );
        assert_eq!(send(&*s, "g", msg("admin", 1, T0)).await.unwrap().seq, 1);
        // Nothing refused took a seq.
        assert_eq!(send(&*s, "g", msg("a", 2, T0)).await.unwrap().seq, 2);

        // Mute-all blocks ordinary members only.
        let mut muted = new_group(GroupType::Public, "quiet", "o", &["a"], T0);
        muted.mute_all = true;
        s.create_group(APP, muted, T0).await.unwrap();
        assert_eq!(
            code(send(&*s, "quiet", msg("a", 1, T0)).await),
            ErrorCode::GroupSenderMuted
        );
        assert_eq!(send(&*s, "quiet", msg("o", 2, T0)).await.unwrap().seq, 1);
        assert_eq!(
            send(&*s, "quiet", msg("admin", 3, T0)).await.unwrap().seq,
            2
        );

        // AVChatRoom tracks no members: anyone with an account may send.
        setup(&*s, GroupType::AVChatRoom, "live").await;
        assert_eq!(send(&*s, "live", msg("c", 1, T0)).await.unwrap().seq, 1);
        assert_eq!(
            code(send(&*s, "live", msg("nobody", 1, T0)).await),
            ErrorCode::GroupAccountNotFound
        );

        // The sender's LastSendMsgTime moves.
        let g = s.get_groups(APP, vec!["g".into()], true).await.unwrap();
        let a = g[0]
            .as_ref()
            .unwrap()
            .members
            .iter()
            .find(|m| m.account == "a")
            .unwrap()
            .clone();
        assert_eq!(a.last_send_time, T0);
        assert_eq!(a.role, Role::Member);

        // A later send moves it; one stamped in the same second, or earlier (a clock step
        // back), leaves it where it is.
        let last_send = |s: Arc<dyn Store>| async move {
            let g = s.get_groups(APP, vec!["g".into()], true).await.unwrap();
            let g = g[0].as_ref().unwrap();
            g.members
                .iter()
                .find(|m| m.account == "a")
                .unwrap()
                .last_send_time
        };
        send(&*s, "g", msg("a", 10, T0 + 5)).await.unwrap();
        assert_eq!(last_send(s.clone()).await, T0 + 5);
        send(&*s, "g", msg("a", 11, T0 + 5)).await.unwrap();
        assert_eq!(last_send(s.clone()).await, T0 + 5);
        send(&*s, "g", msg("a", 12, T0 + 3)).await.unwrap();
        assert_eq!(last_send(s.clone()).await, T0 + 5);
    })
    .await;
}

/// Individual mutes end at their time; AVChatRoom mutes apply to senders that are not members.
#[tokio::test]
async fn a_muted_member_cannot_send_until_the_mute_ends() {
    on_every_backend(|s| async move {
        setup(&*s, GroupType::Public, "g").await;
        setup(&*s, GroupType::AVChatRoom, "live").await;
        for (gid, who) in [("g", "a"), ("live", "c")] {
            s.mute(APP, gid.into(), vec![who.into()], 60, "admin".into(), T0)
                .await
                .unwrap();
        }
        assert_eq!(
            code(send(&*s, "g", msg("a", 1, T0)).await),
            ErrorCode::GroupSenderMuted
        );
        assert_eq!(
            code(send(&*s, "live", msg("c", 1, T0 + 59)).await),
            ErrorCode::GroupSenderMuted
        );
        // The mute tip took seq 1 in the Public group; AVChatRoom stores no tips.
        assert_eq!(send(&*s, "g", msg("b", 2, T0)).await.unwrap().seq, 2);
        assert_eq!(send(&*s, "g", msg("a", 3, T0 + 60)).await.unwrap().seq, 3);
        assert_eq!(
            send(&*s, "live", msg("c", 4, T0 + 60)).await.unwrap().seq,
            1
        );
    })
    .await;
}

#[tokio::test]
async fn targeted_messages_reach_only_their_receivers() {
    on_every_backend(|s| async move {
        setup(&*s, GroupType::Public, "g").await;
        let mut t = msg("a", 1, T0);
        t.to_accounts = vec!["b".into()];
        assert_eq!(send(&*s, "g", t.clone()).await.unwrap().seq, 1);
        let mut bad = t.clone();
        bad.to_accounts = vec!["c".into()];
        assert_eq!(
            code(send(&*s, "g", bad).await),
            ErrorCode::GroupInvalidParameter
        );
        assert_eq!(member_seqs(&*s, "g", "a", forever()).await, vec![1]);
        assert_eq!(member_seqs(&*s, "g", "b", forever()).await, vec![1]);
        assert_eq!(
            member_seqs(&*s, "g", "o", forever()).await,
            Vec::<u64>::new()
        );
        // The admin sees it.
        let page = admin_history(&*s, "g", None, 20, false, forever()).await;
        assert_eq!(places(&page), vec![(1, Place::Real)]);

        s.create_group(
            APP,
            new_group(GroupType::Community, "@TGS#_c", "o", &["a", "b"], T0),
            T0,
        )
        .await
        .unwrap();
        assert_eq!(
            code(send(&*s, "@TGS#_c", t).await),
            ErrorCode::GroupPermissionDenied
        );
    })
    .await;
}

#[tokio::test]
async fn admin_history_pages_newest_first_with_every_field() {
    on_every_backend(|s| async move {
        setup(&*s, GroupType::Public, "g").await;
        for i in 1..=45u32 {
            let mut m = msg(if i % 2 == 0 { "a" } else { "b" }, i, T0 + i64::from(i));
            m.priority = 1;
            m.cloud_custom_data = Some(format!("c{i}"));
            send(&*s, "g", m).await.unwrap();
        }
        let page = admin_history(&*s, "g", None, 20, false, forever()).await;
        assert_eq!(page.is_finished, 1);
        let seqs: Vec<u64> = page.entries.iter().map(|e| e.seq).collect();
        assert_eq!(seqs, (26..=45).rev().collect::<Vec<_>>());
        let e = &page.entries[0];
        assert_eq!(
            (e.from.as_str(), e.random, e.time, e.priority, e.is_system),
            ("b", 45, T0 + 45, 1, false)
        );
        assert_eq!(
            (e.body.as_str(), e.cloud_custom_data.as_str()),
            (TEXT, "c45")
        );

        // More than 20 asked: 20 returned, IsFinished 0; ReqMsgSeq beyond the newest is clipped.
        let page = admin_history(&*s, "g", Some(1_000), 30, false, forever()).await;
        assert_eq!((page.entries.len(), page.is_finished), (20, 0));
        assert_eq!(page.entries[0].seq, 45);
        let page = admin_history(&*s, "g", Some(5), 20, false, forever()).await;
        assert_eq!(page.entries.len(), 5);
        assert_eq!(page.is_finished, 1);
        let page = admin_history(&*s, "g", Some(0), 20, false, forever()).await;
        assert!(page.entries.is_empty());

        // Expired: placeholders with fixed values; IsFinished 2 when partial and all expired.
        let late = Retention {
            days: 1,
            now: T0 + 86_400 + 30,
        };
        let page = admin_history(&*s, "g", Some(40), 25, false, late).await;
        let expect: Vec<(u64, Place)> = (21..=40)
            .rev()
            .map(|s| {
                (
                    s,
                    if s >= 30 {
                        Place::Real
                    } else {
                        Place::Placeholder
                    },
                )
            })
            .collect();
        assert_eq!(places(&page), expect);
        assert_eq!(page.is_finished, 0);
        let placeholder = page.entries.iter().find(|e| e.seq == 21).unwrap();
        assert_eq!(
            placeholder,
            &timber_core::message::HistoryEntry::placeholder(21)
        );
        let page = admin_history(&*s, "g", Some(25), 25, false, late).await;
        assert_eq!(page.is_finished, 2);

        setup(&*s, GroupType::AVChatRoom, "live").await;
        let r = s
            .history(
                APP,
                "live".into(),
                HistoryQuery {
                    req_seq: None,
                    req_number: 5,
                    with_recalled: false,
                },
                forever(),
            )
            .await;
        assert_eq!(code(r), ErrorCode::GroupNoRoaming);
    })
    .await;
}

#[tokio::test]
async fn recall_marks_the_slot() {
    on_every_backend(|s| async move {
        setup(&*s, GroupType::Public, "g").await;
        for i in 1..=3u32 {
            send(&*s, "g", msg("a", i, T0)).await.unwrap();
        }
        let mut online = msg("a", 9, T0);
        online.state = SlotState::Unstored;
        send(&*s, "g", online).await.unwrap(); // seq 4
        let r = s
            .recall_messages(
                APP,
                "g".into(),
                vec![2, 2, 4, 5, 0],
                forever(),
                "admin".into(),
            )
            .await
            .unwrap();
        let nf = Err(ErrorCode::RecallMsgNotFound);
        assert_eq!(r, vec![Ok(()), Ok(()), nf, nf, nf]);
        let page = admin_history(&*s, "g", None, 20, false, forever()).await;
        assert_eq!(
            places(&page),
            vec![(4, Place::Placeholder), (3, Place::Real), (1, Place::Real)]
        );
        let page = admin_history(&*s, "g", None, 20, true, forever()).await;
        let recalled = page.entries.iter().find(|e| e.seq == 2).unwrap();
        assert_eq!(
            (recalled.place, recalled.body.as_str()),
            (Place::Recalled, TEXT)
        );
        // Expired messages cannot be recalled.
        let late = Retention {
            days: 1,
            now: T0 + 86_401,
        };
        let r = s
            .recall_messages(APP, "g".into(), vec![1], late, "admin".into())
            .await
            .unwrap();
        assert_eq!(r, vec![nf]);
        // Members see a recall marker in place of the message.
        let page = s
            .member_history(APP, "g".into(), "b".into(), None, 20, forever())
            .await
            .unwrap();
        assert!(matches!(
            page.entries[1],
            MemberEntry::Recalled { seq: 2, .. }
        ));
        assert_eq!(
            code(
                s.recall_messages(APP, "nope".into(), vec![1], forever(), "admin".into())
                    .await
            ),
            ErrorCode::GroupNotFound
        );
    })
    .await;
}

#[tokio::test]
async fn delete_by_sender_marks_only_the_newest_thousand() {
    on_every_backend(|s| async move {
        setup(&*s, GroupType::Public, "g").await;
        let msgs: Vec<ImportMsg> = (0..1_010)
            .map(|i| import(if i % 2 == 0 { "a" } else { "b" }, T0, None))
            .collect();
        s.import_messages(APP, "g".into(), msgs, false, T0)
            .await
            .unwrap();
        // Seqs 11..=1010 are scanned; "a" sent the odd seqs (import order 0, 2, … → 1, 3, …).
        let n = s
            .delete_by_sender(APP, "g".into(), "a".into())
            .await
            .unwrap();
        assert_eq!(n, 500);
        // Window 9..=14: a's 13 and 11 are inside the scanned 1,000 and recalled; 9 is older.
        let page = admin_history(&*s, "g", Some(14), 6, false, forever()).await;
        assert_eq!(
            places(&page),
            vec![
                (14, Place::Real),
                (12, Place::Real),
                (10, Place::Real),
                (9, Place::Real)
            ]
        );
        let again = s
            .delete_by_sender(APP, "g".into(), "a".into())
            .await
            .unwrap();
        assert_eq!(again, 0, "already marked");
        setup(&*s, GroupType::AVChatRoom, "live").await;
        assert_eq!(
            s.delete_by_sender(APP, "live".into(), "a".into())
                .await
                .unwrap(),
            0
        );
    })
    .await;
}

#[tokio::test]
async fn modify_replaces_body_and_custom_data_in_place() {
    on_every_backend(|s| async move {
        setup(&*s, GroupType::Public, "g").await;
        let mut m = msg("a", 1, T0);
        m.cloud_custom_data = Some("old".into());
        send(&*s, "g", m).await.unwrap();
        send(&*s, "g", msg("a", 2, T0)).await.unwrap();
        let new_body = r#"[{"MsgType":"TIMTextElem","MsgContent":{"Text":"edited"}}]"#;
        let modify = |seq, body: Option<&str>, ccd: Option<&str>, max, retention| {
            let s = s.clone();
            let (body, ccd) = (body.map(str::to_owned), ccd.map(str::to_owned));
            async move {
                s.modify_message(APP, "g".into(), seq, body, ccd, max, retention)
                    .await
            }
        };
        modify(1, Some(new_body), None, 12_288, forever())
            .await
            .unwrap();
        let page = admin_history(&*s, "g", Some(1), 1, false, forever()).await;
        let e = &page.entries[0];
        assert_eq!(
            (
                e.body.as_str(),
                e.cloud_custom_data.as_str(),
                e.from.as_str(),
                e.time
            ),
            (new_body, "old", "a", T0)
        );
        modify(1, None, Some("new"), 12_288, forever())
            .await
            .unwrap();
        let page = admin_history(&*s, "g", Some(1), 1, false, forever()).await;
        assert_eq!(
            (
                page.entries[0].body.as_str(),
                page.entries[0].cloud_custom_data.as_str()
            ),
            (new_body, "new")
        );
        // The limit counts the stored body with the new custom data.
        assert_eq!(
            code(modify(1, None, Some("x"), new_body.len(), forever()).await),
            ErrorCode::MsgTooLong
        );
        assert_eq!(
            code(modify(9, None, Some("x"), 12_288, forever()).await),
            ErrorCode::MsgNotFound
        );
        s.recall_messages(APP, "g".into(), vec![2], forever(), "admin".into())
            .await
            .unwrap();
        assert_eq!(
            code(modify(2, None, Some("x"), 12_288, forever()).await),
            ErrorCode::MsgNotFound,
            "recalled"
        );
        let late = Retention {
            days: 1,
            now: T0 + 86_401,
        };
        assert_eq!(
            code(modify(1, None, Some("x"), 12_288, late).await),
            ErrorCode::MsgNotFound,
            "expired"
        );
        setup(&*s, GroupType::AVChatRoom, "live").await;
        let r = s
            .modify_message(APP, "live".into(), 1, None, Some("x".into()), 99, forever())
            .await;
        assert_eq!(code(r), ErrorCode::GroupPermissionDenied);
    })
    .await;
}

#[tokio::test]
async fn import_follows_the_time_rules_and_takes_consecutive_seqs() {
    on_every_backend(|s| async move {
        s.import_accounts(APP, vec![NewAccount::bare("o")], T0)
            .await
            .unwrap();
        let created = T0 - 1_000;
        s.create_group(
            APP,
            new_group(GroupType::Private, "old", "o", &[], created),
            created,
        )
        .await
        .unwrap();
        let now = T0;
        let msgs = vec![
            import("o", created - 1, None),     // before the group existed
            import("o", created + 10, Some(1)), // ok: seq 1
            import("o", created + 10, None),    // same second: ok, seq 2
            import("o", created + 5, None),     // older than the newest
            import("gone", created + 20, None), // a departed sender is fine
            import("o", now + 1, None),         // in the future
        ];
        let r = s
            .import_messages(APP, "old".into(), msgs, false, now)
            .await
            .unwrap();
        let stored = |seq, time| {
            Imported::Stored(Sent {
                seq,
                time,
                duplicate: false,
            })
        };
        let refused = Imported::Refused(ErrorCode::GroupInvalidParameter);
        assert_eq!(
            r,
            vec![
                refused,
                stored(1, created + 10),
                stored(2, created + 10),
                refused,
                stored(3, created + 20),
                refused
            ]
        );
        // Retrying a committed import answers the original seqs.
        let r = s
            .import_messages(
                APP,
                "old".into(),
                vec![import("o", created + 10, Some(1))],
                false,
                now,
            )
            .await
            .unwrap();
        assert_eq!(
            r,
            vec![Imported::Stored(Sent {
                seq: 1,
                time: created + 10,
                duplicate: true
            })]
        );
        // Sends continue the sequence.
        assert_eq!(send(&*s, "old", msg("o", 5, now)).await.unwrap().seq, 4);
        setup(&*s, GroupType::AVChatRoom, "live").await;
        let r = s
            .import_messages(APP, "live".into(), vec![import("o", T0, None)], false, now)
            .await;
        assert_eq!(code(r), ErrorCode::GroupPermissionDenied);
    })
    .await;
}

#[tokio::test]
async fn unread_counts_follow_import_set_unread_and_clear() {
    on_every_backend(|s| async move {
        setup(&*s, GroupType::Public, "g").await;
        let unread = |m: &'static str| {
            let s = s.clone();
            async move { s.unread_count(APP, "g".into(), m.into()).await.unwrap() }
        };
        for i in 0..5 {
            send(&*s, "g", msg("a", i, T0)).await.unwrap();
        }
        assert_eq!(unread("b").await, 5);
        s.import_messages(APP, "g".into(), vec![import("a", T0, None)], false, T0)
            .await
            .unwrap();
        assert_eq!(unread("b").await, 0, "an import reads everything");
        s.set_unread(APP, "g".into(), "b".into(), 4).await.unwrap();
        assert_eq!(unread("b").await, 4, "set after the import wins");
        assert_eq!(unread("a").await, 0);
        s.set_unread(APP, "g".into(), "a".into(), 1_000)
            .await
            .unwrap();
        assert_eq!(unread("a").await, 6, "clamped to the messages there are");
        // A member added after the import starts with nothing unread.
        s.add_members(
            APP,
            "g".into(),
            vec![NewMember::member("c", T0)],
            true,
            "admin".into(),
            T0,
        )
        .await
        .unwrap();
        assert_eq!(unread("c").await, 0);
        send(&*s, "g", msg("a", 100, T0)).await.unwrap();
        assert_eq!((unread("c").await, unread("b").await), (1, 5));
        s.clear_history(APP, "g".into(), Some(5)).await.unwrap();
        assert_eq!(unread("b").await, 2, "cleared messages count as read");
        s.clear_history(APP, "g".into(), None).await.unwrap();
        assert_eq!(unread("a").await, 0);

        let e = s.set_unread(APP, "g".into(), "admin".into(), 1).await;
        assert_eq!(code(e), ErrorCode::GroupPermissionDenied);
        let e = s.set_unread(APP, "g".into(), "nobody".into(), 1).await;
        assert_eq!(code(e), ErrorCode::GroupAccountNotFound);
        // ChatRoom keeps no unread counts: accepted, nothing changes.
        setup(&*s, GroupType::ChatRoom, "room").await;
        send(&*s, "room", msg("a", 1, T0)).await.unwrap();
        s.set_unread(APP, "room".into(), "b".into(), 1)
            .await
            .unwrap();
        assert_eq!(
            s.unread_count(APP, "room".into(), "b".into())
                .await
                .unwrap(),
            0
        );
    })
    .await;
}

#[tokio::test]
async fn clear_moves_a_watermark_that_members_respect_and_the_admin_ignores() {
    on_every_backend(|s| async move {
        setup(&*s, GroupType::Public, "g").await;
        for i in 1..=10 {
            send(&*s, "g", msg("a", i, T0)).await.unwrap();
        }
        let clear = |upto: Option<u64>| {
            let s = s.clone();
            async move { s.clear_history(APP, "g".into(), upto).await.unwrap() }
        };
        assert_eq!(clear(Some(0)).await, 0, "MsgSeq 0 clears nothing");
        assert_eq!(clear(Some(4)).await, 4);
        assert_eq!(clear(Some(2)).await, 4, "never lower");
        assert_eq!(
            member_seqs(&*s, "g", "b", forever()).await,
            (5..=10).rev().collect::<Vec<_>>()
        );
        assert_eq!(clear(Some(1_000)).await, 10, "never past the newest");
        assert!(member_seqs(&*s, "g", "b", forever()).await.is_empty());
        // The admin still reads every cleared message as an ordinary one.
        let page = admin_history(&*s, "g", None, 20, false, forever()).await;
        assert_eq!(page.entries.len(), 10);
        assert!(page.entries.iter().all(|e| e.place == Place::Real));
        // Messages sent after the clear are unaffected, even though MsgSeq was 1,000.
        send(&*s, "g", msg("a", 11, T0)).await.unwrap();
        assert_eq!(member_seqs(&*s, "g", "b", forever()).await, vec![11]);
        assert_eq!(clear(None).await, 11);
        let g = s.get_groups(APP, vec!["g".into()], false).await.unwrap();
        let g = &g[0].as_ref().unwrap().group;
        assert_eq!((g.cleared_upto, g.next_msg_seq), (11, 12));

        setup(&*s, GroupType::Community, "@TGS#_c").await;
        assert_eq!(
            code(s.clear_history(APP, "@TGS#_c".into(), None).await),
            ErrorCode::GroupPermissionDenied
        );
        setup(&*s, GroupType::AVChatRoom, "live").await;
        send(&*s, "live", msg("c", 1, T0)).await.unwrap();
        assert_eq!(
            s.clear_history(APP, "live".into(), None).await.unwrap(),
            0,
            "AVChatRoom: accepted, nothing to clear"
        );
        assert_eq!(
            code(s.clear_history(APP, "nope".into(), None).await),
            ErrorCode::GroupNotFound
        );
    })
    .await;
}

#[tokio::test]
async fn member_view_hides_history_before_joining_unless_the_type_shows_it() {
    on_every_backend(|s| async move {
        setup(&*s, GroupType::Public, "pub").await;
        setup(&*s, GroupType::ChatRoom, "room").await;
        for gid in ["pub", "room"] {
            send(&*s, gid, msg("a", 1, T0)).await.unwrap();
            s.add_members(
                APP,
                gid.into(),
                vec![NewMember::member("c", T0)],
                true,
                "admin".into(),
                T0,
            )
            .await
            .unwrap();
            send(&*s, gid, msg("a", 2, T0)).await.unwrap();
        }
        assert_eq!(member_seqs(&*s, "pub", "c", forever()).await, vec![2]);
        assert_eq!(member_seqs(&*s, "room", "c", forever()).await, vec![2, 1]);
        assert_eq!(member_seqs(&*s, "pub", "a", forever()).await, vec![2, 1]);
        let r = s
            .member_history(APP, "pub".into(), "admin".into(), None, 20, forever())
            .await;
        assert_eq!(code(r), ErrorCode::GroupPermissionDenied);
        // Expired messages are gone from the member view.
        let late = Retention {
            days: 1,
            now: T0 + 86_401,
        };
        assert!(member_seqs(&*s, "pub", "a", late).await.is_empty());
        // Paging: 45 messages in pages of 20.
        for i in 10..55 {
            send(&*s, "pub", msg("a", i, T0)).await.unwrap();
        }
        let p1 = s
            .member_history(APP, "pub".into(), "a".into(), None, 20, forever())
            .await
            .unwrap();
        assert_eq!((p1.entries.len(), p1.next_seq), (20, Some(27)));
        assert_eq!(
            member_seqs(&*s, "pub", "a", forever()).await,
            (1..=47).rev().collect::<Vec<_>>()
        );
    })
    .await;
}

#[tokio::test]
async fn the_sweeper_deletes_expired_rows_in_steps_and_purges_destroyed_groups() {
    on_every_backend(|s| async move {
        setup(&*s, GroupType::Public, "g").await;
        setup(&*s, GroupType::Public, "keep").await;
        // 10 old messages, then 2 recent ones.
        let old: Vec<ImportMsg> = (0..10).map(|_| import("a", T0, None)).collect();
        s.import_messages(APP, "g".into(), old.clone(), false, T0)
            .await
            .unwrap();
        s.import_messages(APP, "keep".into(), old, false, T0)
            .await
            .unwrap();
        let later = T0 + 2 * 86_400;
        send(&*s, "g", msg("a", 1, later)).await.unwrap();
        send(&*s, "g", msg("a", 2, later)).await.unwrap();
        let retention = Retention {
            days: 1,
            now: later,
        };
        let before = admin_history(&*s, "g", None, 20, true, retention).await;
        let policy = Arc::new(HashMap::from([(APP, 1u32), (OTHER_APP, 0)]));
        let mut deleted = 0;
        let mut steps = 0;
        loop {
            let step = s.expire_step(policy.clone(), later, 4).await.unwrap();
            assert!(step.deleted <= 4);
            deleted += step.deleted;
            steps += 1;
            if step.pass_done {
                break;
            }
        }
        assert_eq!(deleted, 20, "both groups' old rows ({steps} steps)");
        let after = admin_history(&*s, "g", None, 20, true, retention).await;
        assert_eq!(
            before, after,
            "expired slots read the same before and after the sweep"
        );
        assert_eq!(after.entries.len(), 12);
        assert!(after.entries[2..]
            .iter()
            .all(|e| e.place == Place::Placeholder));
        // A second pass finds nothing.
        let step = s.expire_step(policy.clone(), later, 100).await.unwrap();
        assert_eq!(step.deleted, 0);
        // Forever keeps everything.
        let forever_policy = Arc::new(HashMap::from([(APP, 0u32)]));
        send(&*s, "keep", msg("a", 3, later)).await.unwrap();
        let step = s.expire_step(forever_policy, later * 2, 100).await.unwrap();
        assert_eq!((step.deleted, step.pass_done), (0, true));

        // Destroyed groups are purged in steps; a new group may reuse the ID meanwhile.
        s.destroy_group(APP, "keep".into()).await.unwrap();
        setup(&*s, GroupType::Public, "keep").await;
        send(&*s, "keep", msg("a", 1, later)).await.unwrap();
        let mut purged = 0;
        loop {
            let n = s.purge_step(3).await.unwrap();
            if n == 0 {
                break;
            }
            assert!(n <= 3);
            purged += n;
        }
        // The message sent after the sweep, 3 members and the queue entry.
        assert_eq!(purged, 5);
        let page = admin_history(&*s, "keep", None, 20, false, forever()).await;
        assert_eq!(places(&page), vec![(1, Place::Real)]);
    })
    .await;
}

/// The sweeper's cursor is stored: a restarted store continues where the last step stopped.
#[tokio::test]
async fn the_sweep_resumes_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("timber.db");
    let s = SqliteStore::open(&path).unwrap();
    for g in ["g1", "g2", "g3"] {
        setup(&s, GroupType::Public, g).await;
        let old: Vec<ImportMsg> = (0..5).map(|_| import("a", T0, None)).collect();
        s.import_messages(APP, g.into(), old, false, T0)
            .await
            .unwrap();
    }
    let policy = Arc::new(HashMap::from([(APP, 1u32)]));
    let now = T0 + 2 * 86_400;
    let first = s.expire_step(policy.clone(), now, 7).await.unwrap();
    assert_eq!((first.deleted, first.pass_done), (7, false));
    s.close().await;
    drop(s);
    let s = SqliteStore::open(&path).unwrap();
    let mut deleted = first.deleted;
    loop {
        let step = s.expire_step(policy.clone(), now, 7).await.unwrap();
        deleted += step.deleted;
        if step.pass_done {
            break;
        }
    }
    assert_eq!(deleted, 15);
    s.close().await;
}

/// DESIGN.md invariant 4: clearing writes the same rows whatever the group's size.
#[tokio::test]
async fn clear_costs_the_same_on_ten_and_on_a_hundred_thousand_messages() {
    let s = SqliteStore::open_memory().unwrap();
    setup(&s, GroupType::Public, "small").await;
    setup(&s, GroupType::Public, "big").await;
    let batch = |n: usize| (0..n).map(|_| import("a", T0, None)).collect::<Vec<_>>();
    s.import_messages(APP, "small".into(), batch(10), false, T0)
        .await
        .unwrap();
    for _ in 0..10 {
        s.import_messages(APP, "big".into(), batch(10_000), false, T0)
            .await
            .unwrap();
    }
    let mut cost = Vec::new();
    for g in ["small", "big"] {
        let before = s.rows_written();
        s.clear_history(APP, g.into(), None).await.unwrap();
        cost.push(s.rows_written() - before);
    }
    assert_eq!(cost, vec![1, 1], "one row (the group's watermark) each");
    let g = s.get_groups(APP, vec!["big".into()], false).await.unwrap();
    assert_eq!(g[0].as_ref().unwrap().group.cleared_upto, 100_000);
    assert!(member_seqs(&s, "big", "a", forever()).await.is_empty());
    let page = admin_history(&s, "big", None, 20, false, forever()).await;
    assert_eq!(page.entries.len(), 20);
    assert!(page.entries.iter().all(|e| e.place == Place::Real));
    s.close().await;
}

mod property {
    //! Random interleavings of send / import / recall / delete-by-sender / clear against a
    //! model: seqs are 1, 2, 3… with no gap, the watermark never goes down, and paging the
    //! whole history (admin and member views) returns every slot exactly once, as the model
    //! says it should look.

    use super::*;
    use proptest::prelude::*;

    #[derive(Debug, Clone)]
    enum Op {
        Send { from: usize, online_only: bool },
        Import { count: usize },
        Recall { pick: u64 },
        DeleteBySender { from: usize },
        Clear { upto: Option<u64> },
    }

    const SENDERS: [&str; 3] = ["o", "a", "b"];

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            4 => (0..3usize, prop::bool::weighted(0.2))
                .prop_map(|(from, online_only)| Op::Send { from, online_only }),
            2 => (1..4usize).prop_map(|count| Op::Import { count }),
            2 => (0..40u64).prop_map(|pick| Op::Recall { pick }),
            1 => (0..3usize).prop_map(|from| Op::DeleteBySender { from }),
            1 => prop::option::of(0..40u64).prop_map(|upto| Op::Clear { upto }),
        ]
    }

    /// The model of one slot: who sent it and its state.
    #[derive(Debug, Clone)]
    struct Slot {
        from: &'static str,
        state: SlotState,
    }

    async fn run(s: Arc<dyn Store>, ops: Vec<Op>) {
        setup(&*s, GroupType::Private, "p").await;
        let mut slots: Vec<Slot> = Vec::new();
        let mut watermark = 0u64;
        let mut clock = T0;
        let mut random = 0u32;
        for op in ops {
            clock += 1;
            match op {
                Op::Send { from, online_only } => {
                    random += 1;
                    let mut m = msg(SENDERS[from], random, clock);
                    if online_only {
                        m.state = SlotState::Unstored;
                        m.body = "[]".into();
                    }
                    let sent = send(&*s, "p", m.clone()).await.unwrap();
                    assert_eq!(sent.seq, slots.len() as u64 + 1, "send takes the next seq");
                    slots.push(Slot {
                        from: SENDERS[from],
                        state: m.state,
                    });
                }
                Op::Import { count } => {
                    let msgs = (0..count).map(|_| import("a", clock, None)).collect();
                    let r = s
                        .import_messages(APP, "p".into(), msgs, false, clock)
                        .await
                        .unwrap();
                    for imported in r {
                        let Imported::Stored(sent) = imported else {
                            panic!("import refused: {imported:?}");
                        };
                        assert_eq!(
                            sent.seq,
                            slots.len() as u64 + 1,
                            "import takes the next seq"
                        );
                        slots.push(Slot {
                            from: "a",
                            state: SlotState::Normal,
                        });
                    }
                }
                Op::Recall { pick } => {
                    let r = s
                        .recall_messages(APP, "p".into(), vec![pick], forever(), "admin".into())
                        .await
                        .unwrap();
                    let expected = match (pick as usize)
                        .checked_sub(1)
                        .and_then(|i| slots.get_mut(i))
                    {
                        Some(slot) if slot.state != SlotState::Unstored => {
                            slot.state = SlotState::Recalled;
                            Ok(())
                        }
                        _ => Err(ErrorCode::RecallMsgNotFound),
                    };
                    assert_eq!(r, vec![expected]);
                }
                Op::DeleteBySender { from } => {
                    let n = s
                        .delete_by_sender(APP, "p".into(), SENDERS[from].into())
                        .await
                        .unwrap();
                    let mut expected = 0;
                    for slot in slots.iter_mut() {
                        if slot.from == SENDERS[from] && slot.state == SlotState::Normal {
                            slot.state = SlotState::Recalled;
                            expected += 1;
                        }
                    }
                    assert_eq!(n, expected);
                }
                Op::Clear { upto } => {
                    let w = s.clear_history(APP, "p".into(), upto).await.unwrap();
                    assert!(w >= watermark, "the watermark went down: {watermark} → {w}");
                    assert_eq!(
                        w,
                        timber_core::message::cleared_watermark(
                            watermark,
                            upto,
                            slots.len() as u64
                        )
                    );
                    watermark = w;
                }
            }
        }
        let last = slots.len() as u64;
        let g = s.get_groups(APP, vec!["p".into()], false).await.unwrap();
        let g = &g[0].as_ref().unwrap().group;
        assert_eq!((g.next_msg_seq, g.cleared_upto), (last + 1, watermark));

        // Admin view, paged by "smallest seq − 1": every slot once, as the model says.
        let mut seen = Vec::new();
        let mut req = None;
        loop {
            let page = admin_history(&*s, "p", req, 20, true, forever()).await;
            let Some(smallest) = page.entries.last().map(|e| e.seq) else {
                break;
            };
            for e in &page.entries {
                let expected = match slots[e.seq as usize - 1].state {
                    SlotState::Normal => Place::Real,
                    SlotState::Recalled => Place::Recalled,
                    SlotState::Unstored => Place::Placeholder,
                };
                assert_eq!(e.place, expected, "seq {}", e.seq);
            }
            seen.extend(page.entries.iter().map(|e| e.seq));
            if smallest == 1 {
                break;
            }
            req = Some(smallest - 1);
        }
        assert_eq!(seen, (1..=last).rev().collect::<Vec<_>>());

        // Member view: nothing cleared, nothing unstored; recalled ones as markers.
        let expected: Vec<u64> = (watermark + 1..=last)
            .rev()
            .filter(|seq| slots[*seq as usize - 1].state != SlotState::Unstored)
            .collect();
        assert_eq!(member_seqs(&*s, "p", "b", forever()).await, expected);
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

        #[test]
        fn interleavings_keep_the_seq_and_watermark_invariants(ops in prop::collection::vec(op(), 1..40)) {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(async {
                for b in backends().await {
                    run(b.store.clone(), ops.clone()).await;
                    b.store.close().await;
                }
            });
        }
    }
}
