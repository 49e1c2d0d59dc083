//! Community topics (groups-more.md §8): the topic lifecycle, per-topic MsgSeq through the
//! group message machinery, the refusals, destroy_group, and tenancy, on every backend.

use crate::on_every_backend;
use timber_core::group::{GroupType, NewGroup, NewMember};
use timber_core::message::{NewGroupMsg, Retention, SendMsg, SlotState};
use timber_core::topic::TopicProfile;
use timber_core::ErrorCode;
use timber_store::messages::HistoryQuery;
use timber_store::topics::NewTopic;
use timber_store::{NewAccount, Store, StoreError};

const APP: u64 = 1400000001;
const OTHER_APP: u64 = 1400000002;
const T0: i64 = 1_700_000_000;
const COM: &str = "@TGS#_com";
const TEXT: &str = r#"[{"MsgType":"TIMTextElem","MsgContent":{"Text":"hi"}}]"#;
const KEEP: Retention = Retention::forever(T0);

fn code<T: std::fmt::Debug>(r: Result<T, StoreError>) -> ErrorCode {
    match r {
        Err(StoreError::Domain(e)) => e.code,
        other => panic!("expected a domain error, got {other:?}"),
    }
}

fn group(ty: GroupType, id: &str, topics: bool) -> NewGroup {
    NewGroup {
        group_id: Some(id.into()),
        ty,
        name: "g".into(),
        introduction: String::new(),
        notification: String::new(),
        face_url: String::new(),
        owner: Some("o".into()),
        create_time: T0,
        max_member_num: ty.default_max_members(),
        apply_join_option: "FreeAccess".into(),
        invite_join_option: None,
        mute_all: false,
        support_topic: topics,
        app_defined_data: vec![],
        members: vec![NewMember::member("a", T0)],
    }
}

async fn setup(s: &dyn Store, app: u64) {
    let accounts = ["o", "a", "b"].into_iter().map(NewAccount::bare).collect();
    s.import_accounts(app, accounts, T0).await.unwrap();
    for (ty, id, topics) in [
        (GroupType::Community, COM, true),
        (GroupType::Community, "@TGS#_plain", false),
        (GroupType::Public, "pub", false),
    ] {
        s.create_group(app, group(ty, id, topics), T0)
            .await
            .unwrap();
    }
}

fn new_topic(id: Option<&str>, name: &str) -> NewTopic {
    NewTopic {
        topic_id: id.map(str::to_owned),
        profile: TopicProfile {
            name: Some(name.into()),
            ..TopicProfile::default()
        },
        creator: "a".into(),
        create_time: T0,
        import: false,
    }
}

fn send(from: &str, random: u32) -> SendMsg {
    SendMsg {
        msg: NewGroupMsg {
            from: from.into(),
            random,
            time: T0 + 1,
            priority: 2,
            state: SlotState::Normal,
            is_system: false,
            body: TEXT.into(),
            cloud_custom_data: None,
            to_accounts: vec![],
        },
        sender_is_admin: false,
        no_last_msg: false,
        callback: None,
        support_extension: false,
    }
}

fn query() -> HistoryQuery {
    HistoryQuery {
        req_seq: None,
        req_number: 20,
        with_recalled: false,
    }
}

#[tokio::test]
async fn topics_have_their_own_gap_free_seqs() {
    on_every_backend(|s| async move {
        let s = &*s;
        setup(s, APP).await;
        let t1 = s
            .create_topic(APP, COM.into(), new_topic(None, "one"))
            .await
            .unwrap();
        let t2 = format!("{COM}@TOPIC#_two");
        s.create_topic(APP, COM.into(), new_topic(Some(&t2), "two"))
            .await
            .unwrap();
        assert_ne!(t1, t2);
        let topic_send = |t: &str, from: &str, random| {
            s.send_topic_message(APP, COM.into(), t.into(), send(from, random))
        };
        assert_eq!(topic_send(&t1, "a", 1).await.unwrap().seq, 1);
        assert_eq!(topic_send(&t1, "a", 2).await.unwrap().seq, 2);
        // A repeat, and a refused send (no member), take no seq.
        assert_eq!(topic_send(&t1, "a", 2).await.unwrap().seq, 2);
        assert_eq!(
            code(topic_send(&t1, "b", 3).await),
            ErrorCode::GroupPermissionDenied
        );
        assert_eq!(topic_send(&t1, "a", 4).await.unwrap().seq, 3);
        assert_eq!(topic_send(&t2, "a", 1).await.unwrap().seq, 1);
        assert_eq!(
            s.send_message(APP, COM.into(), send("a", 9))
                .await
                .unwrap()
                .seq,
            1
        );
        let page = s
            .topic_history(APP, COM.into(), t1.clone(), query(), KEEP)
            .await
            .unwrap();
        let seqs: Vec<u64> = page.entries.iter().map(|e| e.seq).collect();
        assert_eq!(seqs, [3, 2, 1]);
        let r = s
            .recall_topic_messages(
                APP,
                COM.into(),
                t1.clone(),
                vec![2, 7],
                KEEP,
                "admin".into(),
            )
            .await
            .unwrap();
        assert_eq!(r, [Ok(()), Err(ErrorCode::RecallMsgNotFound)]);
        let view = s
            .get_topics(APP, COM.into(), None, Some("a".into()))
            .await
            .unwrap();
        let next: Vec<u64> = view
            .topics
            .iter()
            .map(|(_, t)| t.as_ref().unwrap().next_msg_seq)
            .collect();
        assert_eq!(next, [4, 2]);
        assert!(view.member.is_some());
    })
    .await;
}

#[tokio::test]
async fn topic_refusals_destroy_and_tenancy() {
    on_every_backend(|s| async move {
        let s = &*s;
        setup(s, APP).await;
        setup(s, OTHER_APP).await;
        let create =
            |app, gid: &str, id: Option<&str>| s.create_topic(app, gid.into(), new_topic(id, "t"));
        assert_eq!(
            code(create(APP, "pub", None).await),
            ErrorCode::GroupPermissionDenied
        );
        assert_eq!(
            code(create(APP, "@TGS#_plain", None).await),
            ErrorCode::GroupPermissionDenied
        );
        assert_eq!(
            code(create(APP, "@TGS#_gone", None).await),
            ErrorCode::GroupNotFound
        );
        let t = format!("{COM}@TOPIC#_t");
        create(APP, COM, Some(&t)).await.unwrap();
        assert_eq!(
            code(create(APP, COM, Some(&t)).await),
            ErrorCode::GroupIdInUse
        );
        // The other app has no such topic, and may create its own.
        let send_other = s
            .send_topic_message(OTHER_APP, COM.into(), t.clone(), send("a", 1))
            .await;
        assert_eq!(code(send_other), ErrorCode::GroupNotFound);
        create(OTHER_APP, COM, Some(&t)).await.unwrap();

        s.modify_topic(
            APP,
            COM.into(),
            t.clone(),
            TopicProfile {
                introduction: Some("intro".into()),
                ..TopicProfile::default()
            },
            Some(true),
            "a".into(),
        )
        .await
        .unwrap();
        let view = s
            .get_topics(APP, COM.into(), Some(vec![t.clone(), "bad".into()]), None)
            .await
            .unwrap();
        let got = view.topics[0].1.as_ref().unwrap();
        assert_eq!(
            (got.name.as_str(), got.introduction.as_str()),
            ("t", "intro")
        );
        assert!(got.mute_all);
        assert_eq!(
            view.topics[1].1.as_ref().unwrap_err().code,
            ErrorCode::GroupNotFound
        );
        // Mute-all: a member may not speak, the owner may.
        let muted = s
            .send_topic_message(APP, COM.into(), t.clone(), send("a", 1))
            .await;
        assert_eq!(code(muted), ErrorCode::GroupSenderMuted);
        s.send_topic_message(APP, COM.into(), t.clone(), send("o", 2))
            .await
            .unwrap();

        let r = s
            .destroy_topics(APP, COM.into(), vec![t.clone(), t.clone()], T0)
            .await
            .unwrap();
        assert_eq!(r[0].1, None);
        assert_eq!(r[1].1, Some(ErrorCode::GroupNotFound));
        // Gone, and its ID free again with a fresh stream.
        create(APP, COM, Some(&t)).await.unwrap();
        let page = s
            .topic_history(APP, COM.into(), t.clone(), query(), KEEP)
            .await
            .unwrap();
        assert!(page.entries.is_empty());
        // The other app's topic is untouched.
        assert_eq!(
            s.get_topics(OTHER_APP, COM.into(), None, None)
                .await
                .unwrap()
                .topics
                .len(),
            1
        );
        s.destroy_group(APP, COM.into()).await.unwrap();
        assert_eq!(
            code(s.get_topics(APP, COM.into(), None, None).await),
            ErrorCode::GroupNotFound
        );
    })
    .await;
}

#[tokio::test]
async fn topic_imports_modify_and_delete_by_sender() {
    on_every_backend(|s| async move {
        let s = &*s;
        setup(s, APP).await;
        let t = format!("{COM}@TOPIC#_t");
        s.create_topic(APP, COM.into(), new_topic(Some(&t), "t"))
            .await
            .unwrap();
        let msg = |time| timber_core::message::ImportMsg {
            from: "a".into(),
            send_time: time,
            random: None,
            body: TEXT.into(),
            cloud_custom_data: None,
        };
        let r = s
            .import_topic_messages(
                APP,
                COM.into(),
                t.clone(),
                vec![msg(T0 - 5), msg(T0 + 1)],
                T0 + 10,
            )
            .await
            .unwrap();
        assert!(matches!(r[0], timber_core::message::Imported::Refused(_)));
        assert!(matches!(&r[1], timber_core::message::Imported::Stored(sent) if sent.seq == 1));
        s.modify_topic_message(
            APP,
            COM.into(),
            t.clone(),
            1,
            None,
            Some("data".into()),
            12 * 1024,
            KEEP,
        )
        .await
        .unwrap();
        let n = s
            .delete_topic_messages_by_sender(APP, COM.into(), t.clone(), "a".into())
            .await
            .unwrap();
        assert_eq!(n, 1);
        assert_eq!(
            code(
                s.modify_topic_message(APP, COM.into(), t, 1, None, Some("x".into()), 100, KEEP)
                    .await
            ),
            ErrorCode::MsgNotFound
        );
    })
    .await;
}

#[tokio::test]
async fn topic_mutes_are_the_topics_own() {
    on_every_backend(|s| async move {
        let s = &*s;
        setup(s, APP).await;
        let t = format!("{COM}@TOPIC#_t");
        s.create_topic(APP, COM.into(), new_topic(Some(&t), "t"))
            .await
            .unwrap();
        s.mute_in_topic(
            APP,
            COM.into(),
            t.clone(),
            vec!["a".into()],
            60,
            "o".into(),
            T0,
        )
        .await
        .unwrap();
        let muted = s
            .muted_in_topic(APP, COM.into(), t.clone(), T0)
            .await
            .unwrap();
        assert_eq!(muted, [("a".to_owned(), T0 + 60)]);
        assert!(s.muted(APP, COM.into(), T0).await.unwrap().is_empty());
        let mut m = send("a", 1);
        m.msg.time = T0 + 1;
        let refused = s.send_topic_message(APP, COM.into(), t.clone(), m).await;
        assert_eq!(code(refused), ErrorCode::GroupSenderMuted);
        s.send_message(APP, COM.into(), send("a", 2)).await.unwrap();
        assert_eq!(
            code(
                s.muted_in_topic(APP, COM.into(), format!("{COM}@TOPIC#_x"), T0)
                    .await
            ),
            ErrorCode::GroupNotFound
        );
    })
    .await;
}
