//! The member side (members.md): the member's own view with their clear mark, clear for me
//! in groups and one-to-one conversations, and the changes committed writes publish.

use crate::on_every_backend;
use std::sync::{Arc, Mutex};
use timber_core::c2c::NewC2cMsg;
use timber_core::group::{GroupType, NewGroup, NewMember};
use timber_core::member::{Change, ChangeSink};
use timber_core::message::{MemberEntry, NewGroupMsg, Retention, SendMsg, SlotState};
use timber_core::{AppId, ErrorCode};
use timber_store::{NewAccount, Store, StoreError};

const APP: u64 = 1400000011;
const OTHER_APP: u64 = 1400000012;
const T0: i64 = 1_700_000_000;
const TEXT: &str = r#"[{"MsgType":"TIMTextElem","MsgContent":{"Text":"hi"}}]"#;

fn code<T: std::fmt::Debug>(r: Result<T, StoreError>) -> ErrorCode {
    match r {
        Err(StoreError::Domain(e)) => e.code,
        other => panic!("expected a domain error, got {other:?}"),
    }
}

/// A Public group `id` owned by `o`, with `members`.
fn public_group(id: &str, apply_join_option: &str, members: Vec<NewMember>) -> NewGroup {
    NewGroup {
        group_id: Some(id.into()),
        ty: GroupType::Public,
        name: id.into(),
        introduction: String::new(),
        notification: String::new(),
        face_url: String::new(),
        owner: Some("o".into()),
        create_time: T0,
        max_member_num: GroupType::Public.default_max_members(),
        apply_join_option: apply_join_option.into(),
        invite_join_option: None,
        mute_all: false,
        support_topic: false,
        app_defined_data: vec![],
        members,
    }
}

async fn setup(s: &dyn Store, app: AppId) {
    let accounts = ["o", "a", "b", "c"]
        .into_iter()
        .map(NewAccount::bare)
        .collect();
    s.import_accounts(app, accounts, T0).await.unwrap();
    let members = ["a", "b"].map(|m| NewMember::member(m, T0)).to_vec();
    let group = public_group("g", "FreeAccess", members);
    s.create_group(app, group, T0).await.unwrap();
}

async fn send(s: &dyn Store, app: AppId, from: &str, random: u32) -> u64 {
    let msg = NewGroupMsg {
        from: from.into(),
        random,
        time: T0,
        priority: 2,
        state: SlotState::Normal,
        is_system: false,
        body: TEXT.into(),
        cloud_custom_data: None,
        to_accounts: vec![],
    };
    let send = SendMsg {
        msg,
        sender_is_admin: false,
        no_last_msg: false,
        callback: None,
        support_extension: false,
    };
    s.send_message(app, "g".into(), send).await.unwrap().seq
}

async fn seen(s: &dyn Store, member: &str) -> (Vec<u64>, u64) {
    let (page, mark) = s
        .own_history(
            APP,
            "g".into(),
            member.into(),
            None,
            20,
            Retention::forever(T0),
        )
        .await
        .unwrap();
    (page.entries.iter().map(MemberEntry::seq).collect(), mark)
}

#[tokio::test]
async fn clear_for_me_hides_only_from_the_member() {
    on_every_backend(|s| async move {
        setup(&*s, APP).await;
        setup(&*s, OTHER_APP).await;
        for r in 1..=3 {
            send(&*s, APP, "a", r).await;
        }
        send(&*s, OTHER_APP, "a", 9).await;
        assert_eq!(seen(&*s, "a").await, (vec![3, 2, 1], 0));
        let mark = s
            .clear_group_for_member(APP, "g".into(), "a".into())
            .await
            .unwrap();
        assert_eq!(mark, 3);
        assert_eq!(seen(&*s, "a").await, (vec![], 3));
        assert_eq!(seen(&*s, "b").await, (vec![3, 2, 1], 0));
        // Never moves back; a new message is seen.
        send(&*s, APP, "b", 4).await;
        assert_eq!(seen(&*s, "a").await, (vec![4], 3));
        let marks = s
            .own_clear_marks(APP, "a".into(), vec!["g".into(), "none".into()])
            .await
            .unwrap();
        assert_eq!(marks, [3, 0]);
        // Tenancy: the other app's member is untouched.
        let (page, mark) = s
            .own_history(
                OTHER_APP,
                "g".into(),
                "a".into(),
                None,
                20,
                Retention::forever(T0),
            )
            .await
            .unwrap();
        assert_eq!((page.entries.len(), mark), (1, 0));
        assert_eq!(
            code(s.clear_group_for_member(APP, "g".into(), "c".into()).await),
            ErrorCode::GroupPermissionDenied
        );
        assert_eq!(
            code(
                s.clear_group_for_member(APP, "none".into(), "a".into())
                    .await
            ),
            ErrorCode::GroupNotFound
        );
        assert_eq!(
            code(
                s.own_history(
                    APP,
                    "g".into(),
                    "c".into(),
                    None,
                    20,
                    Retention::forever(T0)
                )
                .await
            ),
            ErrorCode::GroupPermissionDenied
        );
    })
    .await;
}

#[tokio::test]
async fn clear_for_me_in_a_conversation_moves_the_side_mark() {
    on_every_backend(|s| async move {
        setup(&*s, APP).await;
        assert_eq!(
            s.clear_c2c_for_member(APP, "a".into(), "b".into(), T0)
                .await
                .unwrap(),
            0,
            "no conversation yet"
        );
        let msg = NewC2cMsg {
            from: "a".into(),
            to: "b".into(),
            seq: 1,
            random: 1,
            time: T0,
            body: TEXT.into(),
            cloud_custom_data: None,
            offline_push: None,
            sync_sender: true,
            counts_unread: true,
            updates_last: true,
            need_receipt: false,
            online_only: false,
            after_callback: false,
            support_extension: false,
        };
        s.send_c2c(APP, msg).await.unwrap();
        let at = s
            .clear_c2c_for_member(APP, "a".into(), "b".into(), T0 + 1)
            .await
            .unwrap();
        assert_eq!(at, T0 + 1);
        let q = timber_core::c2c::RoamQuery {
            max_cnt: 100,
            min_time: 0,
            max_time: T0 + 10,
            before: None,
        };
        let mine = s
            .roam_c2c(APP, "a".into(), "b".into(), q, Retention::forever(T0))
            .await
            .unwrap();
        assert!(mine.entries.is_empty());
        let theirs = s
            .roam_c2c(APP, "b".into(), "a".into(), q, Retention::forever(T0))
            .await
            .unwrap();
        assert_eq!(theirs.entries.len(), 1);
    })
    .await;
}

#[derive(Default)]
struct Collect {
    on: bool,
    got: Mutex<Vec<(AppId, Change)>>,
}

impl ChangeSink for Collect {
    fn active(&self) -> bool {
        self.on
    }
    fn wants(&self, app: AppId) -> bool {
        app == APP
    }
    fn publish(&self, app: AppId, changes: Vec<Change>) {
        let mut got = self.got.lock().unwrap();
        got.extend(changes.into_iter().map(|c| (app, c)));
    }
}

#[tokio::test]
async fn committed_writes_publish_their_changes_in_order() {
    on_every_backend(|s| async move {
        let sink = Arc::new(Collect {
            on: true,
            ..Collect::default()
        });
        s.set_change_sink(sink.clone());
        setup(&*s, APP).await;
        setup(&*s, OTHER_APP).await;
        send(&*s, APP, "a", 1).await;
        send(&*s, APP, "a", 1).await; // a duplicate: nothing new
        send(&*s, OTHER_APP, "a", 1).await; // no member of that app listens
        let e = s.recall_messages(
            APP,
            "g".into(),
            vec![1, 99],
            Retention::forever(T0),
            "admin".into(),
        );
        e.await.unwrap();
        s.clear_history(APP, "g".into(), None).await.unwrap();
        // A refused write publishes nothing.
        assert!(s
            .clear_group_for_member(APP, "g".into(), "c".into())
            .await
            .is_err());
        s.destroy_group(APP, "g".into()).await.unwrap();
        // PostgreSQL delivers through its change log, read by another task (members.md §6):
        // after the commit, not before the write returns.
        let until = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while sink.got.lock().unwrap().len() < 4 && std::time::Instant::now() < until {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        let got = sink.got.lock().unwrap().clone();
        let kinds: Vec<String> = got
            .iter()
            .map(|(app, c)| {
                assert_eq!(*app, APP);
                match c {
                    Change::GroupMessage { msg, .. } => format!("msg {}", msg.seq),
                    Change::GroupRecalled { seqs, .. } => format!("recall {seqs:?}"),
                    Change::GroupCleared { upto, .. } => format!("clear {upto}"),
                    Change::GroupDismissed { .. } => "dismissed".into(),
                    other => format!("{other:?}"),
                }
            })
            .collect();
        assert_eq!(kinds, ["msg 1", "recall [1]", "clear 1", "dismissed"]);
    })
    .await;
}

/// The group `np` of `setup`'s app, NeedPermission, owned by `o` with `a` its admin and `b` a
/// member.
async fn needs_permission(s: &dyn Store) {
    let admin = NewMember {
        role: timber_core::group::Role::Admin,
        ..NewMember::member("a", T0)
    };
    let members = vec![admin, NewMember::member("b", T0)];
    let group = public_group("np", "NeedPermission", members);
    s.create_group(APP, group, T0).await.unwrap();
}

fn listed(list: &[timber_core::member::Application]) -> Vec<(String, String, String)> {
    list.iter()
        .map(|a| (a.group_id.clone(), a.applicant.clone(), a.message.clone()))
        .collect()
}

#[tokio::test]
async fn join_applications_wait_for_an_owner_or_admin() {
    on_every_backend(|s| async move {
        setup(&*s, APP).await;
        needs_permission(&*s).await;
        // The reviewers are the owner and the admins; a member applying is told it is in.
        let told = s
            .apply_to_join(APP, "np".into(), "c".into(), "let me in".into(), T0)
            .await
            .unwrap();
        assert_eq!(told, Some(vec!["a".to_owned(), "o".to_owned()]));
        let member = s.apply_to_join(APP, "np".into(), "b".into(), "".into(), T0);
        assert_eq!(member.await.unwrap(), None);
        assert_eq!(
            code(
                s.apply_to_join(APP, "nope".into(), "c".into(), "".into(), T0)
                    .await
            ),
            ErrorCode::GroupNotFound
        );
        // Applying again replaces the message; the list is the reviewers' only.
        s.apply_to_join(APP, "np".into(), "c".into(), "please".into(), T0 + 1)
            .await
            .unwrap();
        let want = vec![("np".to_owned(), "c".to_owned(), "please".to_owned())];
        for reviewer in ["o", "a"] {
            let list = s.pending_applications(APP, reviewer.into()).await.unwrap();
            assert_eq!(listed(&list), want, "{reviewer}");
            assert_eq!(list[0].time, T0 + 1);
        }
        assert!(s
            .pending_applications(APP, "b".into())
            .await
            .unwrap()
            .is_empty());
        assert!(s
            .pending_applications(OTHER_APP, "o".into())
            .await
            .unwrap()
            .is_empty());

        // A refusal takes it away; answering again finds nothing (10004).
        let refused = s.answer_application(APP, "np".into(), "c".into(), false, "a".into(), T0);
        assert_eq!(refused.await.unwrap(), None);
        let again = s.answer_application(APP, "np".into(), "c".into(), true, "o".into(), T0);
        assert_eq!(code(again.await), ErrorCode::GroupInvalidParameter);
        assert!(s.roles(APP, "np".into(), vec!["c".into()]).await.unwrap()[0].is_none());

        // An acceptance makes the applicant a member, once.
        s.apply_to_join(APP, "np".into(), "c".into(), "".into(), T0)
            .await
            .unwrap();
        let accepted = s.answer_application(APP, "np".into(), "c".into(), true, "o".into(), T0);
        assert_eq!(
            accepted.await.unwrap(),
            Some(timber_core::group::AddResult::Added)
        );
        assert!(s.roles(APP, "np".into(), vec!["c".into()]).await.unwrap()[0].is_some());
        assert!(s
            .pending_applications(APP, "o".into())
            .await
            .unwrap()
            .is_empty());
        let twice = s.answer_application(APP, "np".into(), "c".into(), true, "a".into(), T0);
        assert_eq!(code(twice.await), ErrorCode::GroupInvalidParameter);

        // A deleted applicant's application goes with the account.
        s.import_accounts(APP, vec![NewAccount::bare("d")], T0)
            .await
            .unwrap();
        s.apply_to_join(APP, "np".into(), "d".into(), "".into(), T0)
            .await
            .unwrap();
        assert_eq!(
            s.pending_applications(APP, "o".into()).await.unwrap().len(),
            1
        );
        s.delete_accounts(APP, vec!["d".into()]).await.unwrap();
        assert!(s
            .pending_applications(APP, "o".into())
            .await
            .unwrap()
            .is_empty());
    })
    .await;
}

#[tokio::test]
async fn applications_and_announcements_reach_the_change_sink() {
    on_every_backend(|s| async move {
        let sink = Arc::new(Collect {
            on: true,
            ..Collect::default()
        });
        s.set_change_sink(sink.clone());
        setup(&*s, APP).await;
        needs_permission(&*s).await;
        s.apply_to_join(APP, "np".into(), "c".into(), "hi".into(), T0)
            .await
            .unwrap();
        let note = Change::SystemNotification {
            group_id: "np".into(),
            to: vec![],
            content: "maintenance".into(),
        };
        s.announce(APP, note.clone()).await.unwrap();
        s.answer_application(APP, "np".into(), "c".into(), true, "a".into(), T0)
            .await
            .unwrap();
        let until = std::time::Instant::now() + std::time::Duration::from_secs(10);
        let wanted = |got: &[(AppId, Change)]| {
            got.iter()
                .filter(|(_, c)| match c {
                    Change::JoinApplication { .. } | Change::SystemNotification { .. } => true,
                    Change::MembersJoined { group_id, .. } => group_id == "np",
                    _ => false,
                })
                .count()
        };
        while wanted(&sink.got.lock().unwrap()) < 3 && std::time::Instant::now() < until {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        let got: Vec<Change> = sink
            .got
            .lock()
            .unwrap()
            .iter()
            .map(|(_, c)| c.clone())
            .filter(|c| match c {
                Change::JoinApplication { .. } | Change::SystemNotification { .. } => true,
                Change::MembersJoined { group_id, .. } => group_id == "np",
                _ => false,
            })
            .collect();
        assert_eq!(
            got,
            vec![
                Change::JoinApplication {
                    group_id: "np".into(),
                    applicant: "c".into(),
                    message: "hi".into(),
                    reviewers: vec!["a".into(), "o".into()],
                },
                note,
                Change::MembersJoined {
                    group_id: "np".into(),
                    accounts: vec!["c".into()],
                    operator: "a".into(),
                },
            ]
        );
    })
    .await;
}
