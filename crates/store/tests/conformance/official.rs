//! Official accounts and chatbots: creation and its refusals, edits, subscribers with their
//! limit and paging, broadcasts with their Seq and de-duplication, recall, history, the
//! chatbot flag and its limit, streamed replies, and tenancy. spec: push-and-operations.md
//! §5, §6, §8.

use crate::on_every_backend;
use timber_core::c2c::NewC2cMsg;
use timber_core::c2c::RoamQuery;
use timber_core::message::Retention;
use timber_core::official::{BaseInfo, BaseInfoEdit, NewOfficialMsg};
use timber_core::profile::RawItem;
use timber_core::robot::{stream_body, MAX_ROBOTS};
use timber_core::ErrorCode;
use timber_store::official::{NewOfficial, NewRobot, OfficialRecall, StreamChunk};
use timber_store::{NewAccount, StoreError};

const APP: u64 = 1400000001;
const OTHER_APP: u64 = 1400000002;

fn code<T: std::fmt::Debug>(r: Result<T, StoreError>) -> ErrorCode {
    match r {
        Err(StoreError::Domain(e)) => e.code,
        other => panic!("expected a domain error, got {other:?}"),
    }
}

fn recall(keys: Vec<Option<(u64, i64)>>) -> OfficialRecall {
    OfficialRecall {
        keys,
        operator: "admin".into(),
        reason: None,
        retention: Retention::forever(6000),
    }
}

fn new(id: &str, owner: &str, max: u64) -> NewOfficial {
    NewOfficial {
        id: id.into(),
        owner: owner.into(),
        info: BaseInfo {
            name: "News".into(),
            ..Default::default()
        },
        max_subscribers: max,
        now: 1000,
        operator: "admin".into(),
    }
}

fn msg(random: u32, body: &str, now: i64) -> NewOfficialMsg {
    NewOfficialMsg {
        random,
        body: body.into(),
        cloud_custom_data: None,
        online_only: false,
        now,
        operator: "admin".into(),
        after_callback: true,
    }
}

fn users(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| s.to_string()).collect()
}

#[tokio::test]
async fn official_accounts_and_their_subscribers() {
    on_every_backend(|s| async move {
        let accounts = ["o", "a", "b", "c"].map(NewAccount::bare).to_vec();
        s.import_accounts(APP, accounts, 1).await.unwrap();
        let id = "@TOA#_news".to_string();
        assert_eq!(
            code(s.create_official(APP, new(&id, "nobody", 2)).await),
            ErrorCode::GroupInvalidParameter
        );
        s.create_official(APP, new(&id, "o", 2)).await.unwrap();
        assert_eq!(
            code(s.create_official(APP, new(&id, "o", 2)).await),
            ErrorCode::GroupIdInUse
        );
        // Tenancy: the other app has neither the account nor the ID taken.
        assert_eq!(
            s.officials(OTHER_APP, vec![id.clone()]).await.unwrap(),
            [None]
        );
        s.import_accounts(OTHER_APP, vec![NewAccount::bare("o")], 1)
            .await
            .unwrap();
        s.create_official(OTHER_APP, new(&id, "o", 2))
            .await
            .unwrap();

        let edit = BaseInfoEdit {
            introduction: Some("daily".into()),
            max_subscribers: Some(3),
            ..Default::default()
        };
        s.modify_official(APP, id.clone(), edit.clone(), "admin".into())
            .await
            .unwrap();
        assert_eq!(
            code(
                s.modify_official(APP, "@TOA#_none".into(), edit, "admin".into())
                    .await
            ),
            ErrorCode::GroupNotFound
        );
        let got = s
            .officials(APP, vec![id.clone(), "@TOA#_none".into()])
            .await
            .unwrap();
        let account = got[0].clone().unwrap();
        assert_eq!(
            (
                account.info.name.as_str(),
                account.info.introduction.as_str()
            ),
            ("News", "daily")
        );
        assert_eq!(
            (
                account.max_subscribers,
                account.subscribers,
                account.created
            ),
            (3, 0, 1000)
        );
        assert!(got[1].is_none());

        // Unknown accounts and repeats fail; beyond MaxSubscriberNum (3) fails too.
        let added = s
            .add_subscribers(
                APP,
                id.clone(),
                users(&["a", "zz", "b", "a", "o", "c"]),
                2000,
                "admin".into(),
            )
            .await
            .unwrap();
        assert_eq!(added, [1, 0, 1, 0, 1, 0]);
        let again = s
            .add_subscribers(APP, id.clone(), users(&["a"]), 2001, "admin".into())
            .await
            .unwrap();
        assert_eq!(again, [2]);
        assert_eq!(
            code(
                s.add_subscribers(APP, "@TOA#_none".into(), users(&["a"]), 1, "admin".into())
                    .await
            ),
            ErrorCode::GroupNotFound
        );

        let (total, page, more) = s
            .official_subscribers(APP, id.clone(), None, 2)
            .await
            .unwrap();
        assert_eq!((total, more), (3, true));
        let names: Vec<&str> = page.iter().map(|p| p.user.as_str()).collect();
        assert_eq!(names, ["a", "b"]);
        assert_eq!(page[0].msg_flag, "AcceptAndNotify");
        let last = page.last().unwrap();
        let (_, rest, more) = s
            .official_subscribers(
                APP,
                id.clone(),
                Some((last.subscribe_time, last.user.clone())),
                2,
            )
            .await
            .unwrap();
        assert_eq!((rest.len(), rest[0].user.as_str(), more), (1, "o", false));

        s.modify_subscriber(APP, id.clone(), "a".into(), Some("vip".into()), None)
            .await
            .unwrap();
        assert_eq!(
            code(
                s.modify_subscriber(APP, id.clone(), "c".into(), None, None)
                    .await
            ),
            ErrorCode::GroupInvalidParameter
        );
        // The MsgFlag, and what the member hub loads: Discard is not delivered.
        s.modify_subscriber(APP, id.clone(), "b".into(), None, Some("Discard".into()))
            .await
            .unwrap();
        assert_eq!(
            s.subscriptions(APP, "b".into()).await.unwrap(),
            [(id.clone(), false)]
        );
        assert_eq!(
            s.subscriptions(APP, "a".into()).await.unwrap(),
            [(id.clone(), true)]
        );
        assert!(s
            .subscriptions(OTHER_APP, "a".into())
            .await
            .unwrap()
            .is_empty());
        let (_, page, _) = s
            .official_subscribers(APP, id.clone(), None, 10)
            .await
            .unwrap();
        let b = page.iter().find(|p| p.user == "b").unwrap();
        assert_eq!((b.msg_flag.as_str(), b.custom.as_str()), ("Discard", ""));
        let (total, list) = s
            .subscribed_officials(APP, "a".into(), 0, 10)
            .await
            .unwrap();
        assert_eq!((total, list.len()), (1, 1));
        assert_eq!(
            (list[0].0.id.as_str(), list[0].1.custom.as_str()),
            (id.as_str(), "vip")
        );
        assert_eq!(
            s.subscribed_officials(OTHER_APP, "a".into(), 0, 10)
                .await
                .unwrap()
                .0,
            0
        );

        let removed = s
            .delete_subscribers(APP, id.clone(), users(&["a", "c", "a"]), "admin".into())
            .await
            .unwrap();
        assert_eq!(removed, [1, 2, 0]);
        assert_eq!(
            s.officials(APP, vec![id.clone()]).await.unwrap()[0]
                .as_ref()
                .unwrap()
                .subscribers,
            2
        );

        s.destroy_official(APP, id.clone(), "admin".into())
            .await
            .unwrap();
        assert_eq!(
            code(s.destroy_official(APP, id.clone(), "admin".into()).await),
            ErrorCode::GroupNotFound
        );
        assert_eq!(
            s.subscribed_officials(APP, "b".into(), 0, 10)
                .await
                .unwrap()
                .0,
            0
        );
        // The ID can be taken again, and the other app's account is untouched.
        s.create_official(APP, new(&id, "o", 2)).await.unwrap();
        assert!(s.officials(OTHER_APP, vec![id]).await.unwrap()[0].is_some());
    })
    .await;
}

#[tokio::test]
async fn official_messages_recall_and_history() {
    on_every_backend(|s| async move {
        s.import_accounts(APP, vec![NewAccount::bare("o")], 1)
            .await
            .unwrap();
        let id = "@TOA#_m".to_string();
        s.create_official(APP, new(&id, "o", 10)).await.unwrap();
        let first = s
            .send_official(APP, id.clone(), msg(1, "[1]", 5000))
            .await
            .unwrap();
        assert_eq!((first.seq, first.time, first.duplicate), (1, 5000, false));
        // Same body and Random within five minutes: the first message's key.
        let dup = s
            .send_official(APP, id.clone(), msg(1, "[1]", 5100))
            .await
            .unwrap();
        assert_eq!((dup.seq, dup.time, dup.duplicate), (1, 5000, true));
        let second = s
            .send_official(APP, id.clone(), msg(2, "[1]", 5100))
            .await
            .unwrap();
        assert_eq!(second.seq, 2);
        let third = s
            .send_official(APP, id.clone(), msg(1, "[1]", 5400))
            .await
            .unwrap();
        assert_eq!((third.seq, third.duplicate), (3, false));
        let account = s.officials(APP, vec![id.clone()]).await.unwrap()[0]
            .clone()
            .unwrap();
        assert_eq!((account.seq, account.last_msg_time), (3, 5400));
        assert_eq!(
            code(
                s.send_official(APP, "@TOA#_none".into(), msg(1, "[1]", 1))
                    .await
            ),
            ErrorCode::GroupNotFound
        );

        let recalled = s
            .recall_official(
                APP,
                id.clone(),
                recall(vec![Some((2, 5100)), Some((2, 5100)), Some((9, 1)), None]),
            )
            .await
            .unwrap();
        // Within one request the second recall of a message still sees it unrecalled.
        assert_eq!(recalled[2..], [10030, 10030]);
        assert_eq!(recalled[0], 0);
        let again = s
            .recall_official(APP, id.clone(), recall(vec![Some((2, 5100))]))
            .await
            .unwrap();
        assert_eq!(again, [10030]);

        let keep = Retention::forever(6000);
        let (page, finished) = s
            .official_history(APP, id.clone(), None, 20, false, keep)
            .await
            .unwrap();
        let seqs: Vec<u64> = page.iter().map(|m| m.seq).collect();
        assert_eq!((seqs, finished), (vec![3, 1], 1));
        let (page, finished) = s
            .official_history(APP, id.clone(), None, 2, true, keep)
            .await
            .unwrap();
        assert_eq!((page.len(), page[1].recalled, finished), (2, true, 0));
        let (page, _) = s
            .official_history(APP, id.clone(), Some(2), 20, true, keep)
            .await
            .unwrap();
        assert_eq!(page.iter().map(|m| m.seq).collect::<Vec<_>>(), [1]);
        assert_eq!(page[0].body, "[1]");
        assert_eq!(
            code(
                s.official_history(OTHER_APP, id.clone(), None, 20, true, keep)
                    .await
            ),
            ErrorCode::GroupNotFound
        );

        // Retention: one day after 5000 + 86,400, message 1 (time 5000) has expired; 2 and 3
        // (5100, 5400) have not. Expired messages are not returned, cannot be recalled, and
        // IsFinished says older ones expired; the sweep deletes them, and only them.
        let day = |now| Retention { days: 1, now };
        let later = 5050 + 86_400;
        let (page, finished) = s
            .official_history(APP, id.clone(), None, 20, true, day(later))
            .await
            .unwrap();
        assert_eq!(
            (page.iter().map(|m| m.seq).collect::<Vec<_>>(), finished),
            (vec![3, 2], 2)
        );
        let (page, finished) = s
            .official_history(APP, id.clone(), None, 1, true, day(later))
            .await
            .unwrap();
        assert_eq!((page[0].seq, finished), (3, 0));
        let mut expired = recall(vec![Some((1, 5000))]);
        expired.retention = day(later);
        assert_eq!(
            s.recall_official(APP, id.clone(), expired).await.unwrap(),
            [10030]
        );
        let policy = std::sync::Arc::new(std::collections::HashMap::from([(APP, 1u32)]));
        let step = s
            .expire_official_step(policy.clone(), later, 100)
            .await
            .unwrap();
        assert_eq!((step.deleted, step.pass_done), (1, true));
        let (page, finished) = s
            .official_history(APP, id.clone(), None, 20, true, keep)
            .await
            .unwrap();
        assert_eq!(
            (page.iter().map(|m| m.seq).collect::<Vec<_>>(), finished),
            (vec![3, 2], 1),
            "swept: message 1 is gone even for a reader that keeps everything"
        );
        let (_, finished) = s
            .official_history(APP, id.clone(), None, 20, true, day(later))
            .await
            .unwrap();
        assert_eq!(finished, 2, "what was swept had expired");
        // A budget smaller than the expired rows leaves the pass open.
        let step = s
            .expire_official_step(policy, 5400 + 86_401, 1)
            .await
            .unwrap();
        assert_eq!((step.deleted, step.pass_done), (1, false));
    })
    .await;
}

fn bot(user: &str, items: Vec<RawItem>) -> NewRobot {
    NewRobot {
        user: user.into(),
        operator: "admin".into(),
        items,
        custom: Default::default(),
        now: 1000,
    }
}

fn nick(v: &str) -> Vec<RawItem> {
    vec![RawItem {
        tag: "Tag_Profile_IM_Nick".into(),
        value: serde_json::json!(v),
    }]
}

fn stream_msg(from: &str, to: &str, body: String) -> NewC2cMsg {
    NewC2cMsg {
        from: from.into(),
        to: to.into(),
        seq: 7,
        random: 9,
        time: 5000,
        body,
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

const FOREVER: Retention = Retention { days: 0, now: 0 };

#[tokio::test]
async fn chatbots_and_streamed_replies() {
    on_every_backend(|s| async move {
        for i in 0..MAX_ROBOTS {
            s.create_robot(APP, bot(&format!("@RBT#{i:02}"), vec![]))
                .await
                .unwrap();
        }
        s.create_robot(APP, bot("@RBT#00", nick("again")))
            .await
            .unwrap();
        assert_eq!(
            code(s.create_robot(APP, bot("@RBT#new", vec![])).await),
            ErrorCode::GroupInvalidParameter
        );
        assert_eq!(s.robots(APP).await.unwrap().len(), MAX_ROBOTS);
        assert!(s.robots(OTHER_APP).await.unwrap().is_empty());
        // The bot's account was imported with its profile.
        let got = s.get_portraits(APP, vec!["@RBT#00".into()]).await.unwrap();
        assert!(format!("{got:?}").contains("again"), "{got:?}");
        s.unflag_robot(APP, "@RBT#00".into()).await.unwrap();
        assert_eq!(
            code(s.unflag_robot(APP, "@RBT#00".into()).await),
            ErrorCode::GroupInvalidParameter
        );
        assert!(!s.is_robot(APP, "@RBT#00".into()).await.unwrap());
        assert!(s.is_robot(APP, "@RBT#01".into()).await.unwrap());
        assert!(!s.is_robot(OTHER_APP, "@RBT#01".into()).await.unwrap());
        // One transaction: a profile item the portrait step refuses (a NUL) leaves neither
        // the flag nor the account.
        assert_eq!(
            code(s.create_robot(APP, bot("@RBT#new", nick("a\0b"))).await),
            ErrorCode::ProfileInvalidParameter
        );
        assert!(!s.is_robot(APP, "@RBT#new".into()).await.unwrap());
        assert_eq!(
            s.accounts_exist(APP, vec!["@RBT#new".into()])
                .await
                .unwrap(),
            [false]
        );
        s.create_robot(APP, bot("@RBT#new", vec![])).await.unwrap();

        // Streams: the first call's message and record in one transaction.
        s.import_accounts(APP, vec![NewAccount::bare("u")], 1)
            .await
            .unwrap();
        assert_eq!(
            code(
                s.start_stream_msg(APP, stream_msg("@RBT#00", "u", "[]".into()), vec![], false)
                    .await
            ),
            ErrorCode::GroupInvalidParameter,
            "no longer a valid bot"
        );
        assert_eq!(
            code(
                s.start_stream_msg(
                    APP,
                    stream_msg("@RBT#01", "nobody", "[]".into()),
                    vec![],
                    false
                )
                .await
            ),
            ErrorCode::GroupInvalidParameter,
            "an unknown receiver"
        );
        let first = vec!["Hel".to_string()];
        let sent = s
            .start_stream_msg(
                APP,
                stream_msg("@RBT#01", "u", stream_body(&first, false)),
                first,
                false,
            )
            .await
            .unwrap();
        let chunk = |from: &str, text: &str, finish: bool, max_bytes: usize| StreamChunk {
            key: sent.key,
            from: from.into(),
            chunk: text.into(),
            finish,
            max_bytes,
            retention: FOREVER,
        };
        assert_eq!(
            code(
                s.append_stream_msg(APP, chunk("@RBT#02", "x", false, 10_000))
                    .await
            ),
            ErrorCode::GroupInvalidParameter
        );
        assert_eq!(
            code(
                s.append_stream_msg(OTHER_APP, chunk("@RBT#01", "x", false, 10_000))
                    .await
            ),
            ErrorCode::GroupInvalidParameter
        );
        // One transaction: the message's rewrite refused (too long) appends nothing.
        assert_eq!(
            code(
                s.append_stream_msg(APP, chunk("@RBT#01", &"y".repeat(500), false, 300))
                    .await
            ),
            ErrorCode::MsgTooLong
        );
        let done = s
            .append_stream_msg(APP, chunk("@RBT#01", "lo", true, 10_000))
            .await
            .unwrap();
        assert_eq!(
            (done.chunks.clone(), done.finished, done.to.as_str()),
            (vec!["Hel".to_string(), "lo".into()], true, "u")
        );
        let roam = s
            .roam_c2c(
                APP,
                "u".into(),
                "@RBT#01".into(),
                RoamQuery {
                    max_cnt: 10,
                    min_time: 0,
                    max_time: i64::MAX,
                    before: None,
                },
                FOREVER,
            )
            .await
            .unwrap();
        assert_eq!(roam.entries.len(), 1);
        assert_eq!(
            roam.entries[0].body,
            stream_body(&done.chunks, true),
            "the stored message is the whole stream"
        );
        assert_eq!(
            code(
                s.append_stream_msg(APP, chunk("@RBT#01", "!", false, 10_000))
                    .await
            ),
            ErrorCode::GroupInvalidParameter
        );
    })
    .await;
}
