//! One-to-one messages: sends and their repeats, imports, each side's view, recall, modify,
//! one-sided delete, read marks, unread counts and the retention sweep. spec: c2c-messages.md.

use crate::on_every_backend;
use std::collections::HashMap;
use std::sync::Arc;
use timber_core::c2c::{ImportC2cMsg, MsgKey, NewC2cMsg, RoamPage, RoamQuery, MSG_FLAG_RECALLED};
use timber_core::message::Retention;
use timber_core::ErrorCode;
use timber_store::{NewAccount, Store, StoreError};

const APP: u64 = 1400000001;
const OTHER_APP: u64 = 1400000002;
const T0: i64 = 1_700_000_000;

fn text(t: &str) -> String {
    format!(r#"[{{"MsgType":"TIMTextElem","MsgContent":{{"Text":"{t}"}}}}]"#)
}

fn code<T: std::fmt::Debug>(r: Result<T, StoreError>) -> ErrorCode {
    match r {
        Err(StoreError::Domain(e)) => e.code,
        other => panic!("expected a domain error, got {other:?}"),
    }
}

fn forever() -> Retention {
    Retention::forever(T0)
}

async fn setup(s: &dyn Store) {
    let accounts = ["a", "b", "c"].into_iter().map(NewAccount::bare).collect();
    s.import_accounts(APP, accounts, T0).await.unwrap();
}

fn msg(from: &str, to: &str, seq: u32, time: i64, body: &str) -> NewC2cMsg {
    NewC2cMsg {
        from: from.into(),
        to: to.into(),
        seq,
        random: 7,
        time,
        body: text(body),
        cloud_custom_data: None,
        offline_push: None,
        sync_sender: true,
        counts_unread: true,
        updates_last: true,
        need_receipt: false,
        online_only: false,
        after_callback: false,
        support_extension: false,
    }
}

fn all(max_cnt: u32) -> RoamQuery {
    RoamQuery {
        max_cnt,
        min_time: 0,
        max_time: i64::MAX / 2,
        before: None,
    }
}

async fn roam(s: &dyn Store, op: &str, peer: &str, q: RoamQuery, r: Retention) -> RoamPage {
    s.roam_c2c(APP, op.into(), peer.into(), q, r).await.unwrap()
}

fn keys(p: &RoamPage) -> Vec<String> {
    p.entries.iter().map(|e| e.key.to_string()).collect()
}

async fn unread(s: &dyn Store, user: &str, peer: &str) -> u64 {
    let counts = s
        .c2c_unread(APP, user.into(), Some(vec![peer.into()]), forever())
        .await
        .unwrap();
    counts.peers[0].1.unwrap()
}

#[tokio::test]
async fn sends_history_and_repeats() {
    on_every_backend(|s| async move {
        setup(&*s).await;
        let first = s.send_c2c(APP, msg("a", "b", 1, T0, "one")).await.unwrap();
        assert_eq!(first.key.to_string(), format!("1_7_{T0}"));
        assert!(!first.duplicate);
        // The same message again within 120 s answers the original; other content does not.
        let again = s
            .send_c2c(APP, msg("a", "b", 1, T0 + 100, "one"))
            .await
            .unwrap();
        assert_eq!((again.key, again.duplicate), (first.key, true));
        // Same MsgSeq and MsgRandom in the same second, other content: the next free second.
        let other = s.send_c2c(APP, msg("a", "b", 1, T0, "two")).await.unwrap();
        assert_eq!(other.key.time, T0 + 1);
        s.send_c2c(APP, msg("b", "a", 5, T0 + 2, "three"))
            .await
            .unwrap();
        // Both sides see the same history, newest first, with each message's direction.
        for (op, peer) in [("a", "b"), ("b", "a")] {
            let page = roam(&*s, op, peer, all(10), forever()).await;
            assert_eq!(
                keys(&page),
                vec![
                    format!("5_7_{}", T0 + 2),
                    format!("1_7_{}", T0 + 1),
                    format!("1_7_{T0}")
                ]
            );
            assert!(page.complete);
            let e = &page.entries[0];
            assert_eq!((&*e.from, &*e.to), ("b", "a"));
            assert_eq!((e.flags, e.is_peer_read, e.client_time), (0, 0, T0 + 2));
            assert_eq!(e.body, text("three"));
            assert_eq!(page.entries[2].cloud_custom_data, "");
        }
        // Unknown accounts; another app sees nothing.
        assert_eq!(
            code(s.send_c2c(APP, msg("x", "b", 1, T0, "n")).await),
            ErrorCode::FromAccountInvalid
        );
        assert_eq!(
            code(s.send_c2c(APP, msg("a", "x", 1, T0, "n")).await),
            ErrorCode::ToAccountNotFound
        );
        let r = s
            .roam_c2c(APP, "x".into(), "a".into(), all(5), forever())
            .await;
        assert_eq!(code(r), ErrorCode::FromAccountInvalid);
        let r = s
            .roam_c2c(APP, "a".into(), "x".into(), all(5), forever())
            .await;
        assert_eq!(code(r), ErrorCode::ToAccountInvalid);
        s.import_accounts(
            OTHER_APP,
            vec![NewAccount::bare("a"), NewAccount::bare("b")],
            T0,
        )
        .await
        .unwrap();
        let page = s
            .roam_c2c(OTHER_APP, "a".into(), "b".into(), all(5), forever())
            .await
            .unwrap();
        assert!(page.entries.is_empty() && page.complete);
        // Online-only messages store nothing but answer a key.
        let mut online = msg("a", "c", 9, T0, "typing");
        online.online_only = true;
        let sent = s.send_c2c(APP, online).await.unwrap();
        assert_eq!(sent.key.to_string(), format!("9_7_{T0}"));
        assert!(roam(&*s, "a", "c", all(5), forever())
            .await
            .entries
            .is_empty());
        assert_eq!(unread(&*s, "c", "a").await, 0);
    })
    .await;
}

#[tokio::test]
async fn pages_windows_and_sides() {
    on_every_backend(|s| async move {
        setup(&*s).await;
        for i in 0..10u32 {
            s.send_c2c(APP, msg("a", "b", i, T0 + i64::from(i / 2), "m"))
                .await
                .unwrap();
        }
        // Page by three: MaxTime = LastMsgTime and LastMsgKey of the page before.
        let mut q = all(3);
        let mut seen = Vec::new();
        loop {
            let page = roam(&*s, "a", "b", q, forever()).await;
            seen.extend(keys(&page));
            if page.complete {
                break;
            }
            let last = page.entries.last().unwrap().key;
            q.max_time = last.time;
            q.before = Some(last);
        }
        let want: Vec<String> = (0..10u32)
            .rev()
            .map(|i| format!("{i}_7_{}", T0 + i64::from(i / 2)))
            .collect();
        assert_eq!(seen, want);
        // A time window.
        let q = RoamQuery {
            min_time: T0 + 1,
            max_time: T0 + 2,
            ..all(100)
        };
        assert_eq!(roam(&*s, "b", "a", q, forever()).await.entries.len(), 4);
        // SyncOtherMachine 2: only the receiver has it.
        let mut m = msg("a", "b", 77, T0 + 9, "quiet");
        m.sync_sender = false;
        s.send_c2c(APP, m).await.unwrap();
        assert_eq!(
            roam(&*s, "b", "a", all(1), forever()).await.entries[0]
                .key
                .seq,
            77
        );
        assert_ne!(
            roam(&*s, "a", "b", all(1), forever()).await.entries[0]
                .key
                .seq,
            77
        );
        // Retention hides what is past it.
        let r = Retention {
            days: 1,
            now: T0 + 86_400 + 3,
        };
        assert_eq!(roam(&*s, "b", "a", all(100), r).await.entries.len(), 5);
    })
    .await;
}

#[tokio::test]
async fn imports_recalls_modifies_and_deletes() {
    on_every_backend(|s| async move {
        setup(&*s).await;
        let imp = |from: &str, to: &str, seq, time| ImportC2cMsg {
            from: from.into(),
            to: to.into(),
            seq,
            random: 3,
            time,
            body: text("old"),
            cloud_custom_data: Some("cc".into()),
            counts_unread: false,
        };
        let k = s.import_c2c(APP, imp("a", "b", 1, T0 - 50)).await.unwrap();
        assert!(!k.duplicate);
        // The same triple in the other direction is the same message; the first wins.
        let mut again = imp("b", "a", 1, T0 - 50);
        again.body = text("new");
        assert!(s.import_c2c(APP, again).await.unwrap().duplicate);
        let page = roam(&*s, "a", "b", all(5), forever()).await;
        assert_eq!(page.entries.len(), 1);
        assert_eq!(
            (&*page.entries[0].from, page.entries[0].body.clone()),
            ("a", text("old"))
        );
        assert_eq!(page.entries[0].cloud_custom_data, "cc");
        assert_eq!(
            unread(&*s, "b", "a").await,
            0,
            "a history import is not unread"
        );
        let mut live = imp("a", "b", 2, T0 - 40);
        live.counts_unread = true;
        s.import_c2c(APP, live).await.unwrap();
        assert_eq!(unread(&*s, "b", "a").await, 1);

        let sent = s
            .send_c2c(APP, msg("a", "b", 9, T0, "hello"))
            .await
            .unwrap();
        assert_eq!(unread(&*s, "b", "a").await, 2);
        // Modify: only the sender's message; the parts given replace the stored ones.
        let wrong = s
            .modify_c2c(
                APP,
                "b".into(),
                "a".into(),
                sent.key,
                Some(text("x")),
                None,
                12_288,
                forever(),
            )
            .await;
        assert_eq!(code(wrong), ErrorCode::MsgNotFound);
        let big = s
            .modify_c2c(
                APP,
                "a".into(),
                "b".into(),
                sent.key,
                Some("x".repeat(100)),
                None,
                50,
                forever(),
            )
            .await;
        assert_eq!(code(big), ErrorCode::MsgTooLong);
        s.modify_c2c(
            APP,
            "a".into(),
            "b".into(),
            sent.key,
            None,
            Some("edited".into()),
            12_288,
            forever(),
        )
        .await
        .unwrap();
        let e = roam(&*s, "b", "a", all(1), forever())
            .await
            .entries
            .remove(0);
        assert_eq!(
            (e.body, e.cloud_custom_data),
            (text("hello"), "edited".into())
        );
        // Recall: both sides keep a bare marker with MsgFlagBits 8; it no longer counts.
        let nokey = MsgKey {
            time: T0,
            seq: 1,
            random: 1,
        };
        let r = s
            .withdraw_c2c(APP, "a".into(), "b".into(), nokey, forever())
            .await;
        assert_eq!(code(r), ErrorCode::MsgNotFound);
        s.withdraw_c2c(APP, "a".into(), "b".into(), sent.key, forever())
            .await
            .unwrap();
        let r = s
            .withdraw_c2c(APP, "a".into(), "b".into(), sent.key, forever())
            .await;
        assert_eq!(code(r), ErrorCode::MsgAlreadyRecalled);
        for (op, peer) in [("a", "b"), ("b", "a")] {
            let e = roam(&*s, op, peer, all(1), forever())
                .await
                .entries
                .remove(0);
            assert_eq!(
                (e.flags, e.body.as_str(), e.cloud_custom_data.as_str()),
                (MSG_FLAG_RECALLED, "[]", "")
            );
        }
        assert_eq!(unread(&*s, "b", "a").await, 1);
        let r = s
            .modify_c2c(
                APP,
                "a".into(),
                "b".into(),
                sent.key,
                Some(text("x")),
                None,
                12_288,
                forever(),
            )
            .await;
        assert_eq!(
            code(r),
            ErrorCode::MsgNotFound,
            "a recalled message cannot be modified"
        );
        // One-sided delete: b no longer sees the live import, a still does.
        let live_key = MsgKey {
            time: T0 - 40,
            seq: 2,
            random: 3,
        };
        s.delete_c2c(APP, "b".into(), "a".into(), vec![live_key, nokey])
            .await
            .unwrap();
        assert_eq!(
            roam(&*s, "b", "a", all(10), forever()).await.entries.len(),
            2
        );
        assert_eq!(
            roam(&*s, "a", "b", all(10), forever()).await.entries.len(),
            3
        );
        assert_eq!(
            unread(&*s, "b", "a").await,
            0,
            "a deleted message is not unread"
        );
        let r = s
            .delete_c2c(APP, "x".into(), "a".into(), vec![live_key])
            .await;
        assert_eq!(code(r), ErrorCode::FromAccountInvalid);
    })
    .await;
}

#[tokio::test]
async fn read_marks_and_unread_counts() {
    on_every_backend(|s| async move {
        setup(&*s).await;
        for i in 0..3 {
            s.send_c2c(APP, msg("a", "c", i, T0 + i64::from(i), "m"))
                .await
                .unwrap();
        }
        let mut quiet = msg("b", "c", 50, T0, "m");
        quiet.counts_unread = false;
        s.send_c2c(APP, quiet).await.unwrap();
        s.send_c2c(APP, msg("b", "c", 51, T0 + 5, "m"))
            .await
            .unwrap();
        assert_eq!(unread(&*s, "c", "a").await, 3);
        assert_eq!(
            unread(&*s, "a", "c").await,
            0,
            "the sender has nothing unread"
        );
        let total = s
            .c2c_unread(APP, "c".into(), None, forever())
            .await
            .unwrap();
        assert_eq!(total.total, Some(4));
        s.set_c2c_read(APP, "c".into(), "a".into(), T0 + 1, T0 + 10)
            .await
            .unwrap();
        assert_eq!(unread(&*s, "c", "a").await, 1);
        // The mark never moves back.
        s.set_c2c_read(APP, "c".into(), "a".into(), T0, T0 + 10)
            .await
            .unwrap();
        assert_eq!(unread(&*s, "c", "a").await, 1);
        s.set_c2c_read(APP, "c".into(), "b".into(), T0 + 99, T0 + 10)
            .await
            .unwrap();
        let total = s
            .c2c_unread(APP, "c".into(), None, forever())
            .await
            .unwrap();
        assert_eq!(total.total, Some(1));
        let per = s
            .c2c_unread(
                APP,
                "c".into(),
                Some(vec!["a".into(), "zz".into(), "b".into()]),
                forever(),
            )
            .await
            .unwrap();
        assert_eq!(
            per.peers,
            vec![
                ("a".to_string(), Ok(1)),
                ("zz".to_string(), Err(ErrorCode::AccountNotFound)),
                ("b".to_string(), Ok(0))
            ]
        );
        assert_eq!(
            code(s.c2c_unread(APP, "zz".into(), None, forever()).await),
            ErrorCode::ToAccountInvalid
        );
        let r = s.set_c2c_read(APP, "c".into(), "zz".into(), T0, T0).await;
        assert_eq!(code(r), ErrorCode::ToAccountInvalid);
        // Batches: an unknown receiver is its own 70107; an unknown sender refuses all.
        let out = s
            .batch_send_c2c(
                APP,
                vec![msg("a", "b", 8, T0, "n"), msg("a", "zz", 8, T0, "n")],
            )
            .await
            .unwrap();
        assert!(out[0].is_ok());
        assert_eq!(out[1], Err(ErrorCode::AccountNotFound));
        let r = s
            .batch_send_c2c(APP, vec![msg("zz", "b", 8, T0, "n")])
            .await;
        assert_eq!(code(r), ErrorCode::FromAccountInvalid);
    })
    .await;
}

#[tokio::test]
async fn the_sweeper_deletes_expired_c2c_messages() {
    on_every_backend(|s| async move {
        setup(&*s).await;
        for i in 0..10u32 {
            s.send_c2c(APP, msg("a", "b", i, T0 + i64::from(i), "m"))
                .await
                .unwrap();
            s.send_c2c(APP, msg("a", "c", i, T0 + i64::from(i), "m"))
                .await
                .unwrap();
        }
        s.send_c2c(APP, msg("b", "c", 1, T0 + 90_000, "new"))
            .await
            .unwrap();
        let policy = Arc::new(HashMap::from([(APP, 1u32)]));
        let now = T0 + 86_400 + 5; // the first five of each conversation expired
        let mut deleted = 0;
        loop {
            let step = s.expire_c2c_step(policy.clone(), now, 3).await.unwrap();
            assert!(step.deleted <= 3);
            deleted += step.deleted;
            if step.pass_done {
                break;
            }
        }
        assert_eq!(deleted, 10);
        let page = roam(&*s, "a", "b", all(100), forever()).await;
        assert_eq!(page.entries.len(), 5, "only the retained rows are left");
        let step = s.expire_c2c_step(policy, now, 100).await.unwrap();
        assert_eq!(step.deleted, 0);
        let keep = Arc::new(HashMap::from([(APP, 0u32)]));
        assert_eq!(
            s.expire_c2c_step(keep, now * 2, 100).await.unwrap().deleted,
            0
        );
    })
    .await;
}

#[tokio::test]
async fn concurrent_first_sends_of_a_new_conversation_store_one_message() {
    on_every_backend(|s| async move {
        setup(&*s).await;
        let sends = (0..8).map(|_| {
            let s = s.clone();
            tokio::spawn(async move { s.send_c2c(APP, msg("a", "b", 3, T0, "race")).await })
        });
        let mut keys = Vec::new();
        for task in sends {
            keys.push(task.await.unwrap().unwrap().key);
        }
        assert!(
            keys.iter().all(|k| *k == keys[0]),
            "every send answers one key: {keys:?}"
        );
        let page = roam(&*s, "b", "a", all(10), forever()).await;
        assert_eq!(page.entries.len(), 1);
        assert_eq!(unread(&*s, "b", "a").await, 1);
    })
    .await;
}

#[tokio::test]
async fn unread_counts_stop_at_250_per_conversation() {
    on_every_backend(|s| async move {
        setup(&*s).await;
        let msgs: Vec<_> = (0..260u32)
            .map(|i| ImportC2cMsg {
                from: "a".into(),
                to: "b".into(),
                seq: i,
                random: 1,
                time: T0 + i64::from(i),
                body: text("m"),
                cloud_custom_data: None,
                counts_unread: true,
            })
            .collect();
        for m in msgs {
            s.import_c2c(APP, m).await.unwrap();
        }
        assert_eq!(unread(&*s, "b", "a").await, 250);
        let total = s
            .c2c_unread(APP, "b".into(), None, forever())
            .await
            .unwrap();
        assert_eq!(total.total, Some(250));
        s.set_c2c_read(APP, "b".into(), "a".into(), T0 + 249, T0 + 1_000)
            .await
            .unwrap();
        assert_eq!(unread(&*s, "b", "a").await, 10);
    })
    .await;
}
