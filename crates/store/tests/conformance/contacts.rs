//! Recent contacts: the conversation list as C2C and group messages move it, delete (with
//! and without ClearRamble), pins, the contact book (conversation groups and marks),
//! account deletion and app isolation. spec: recent-contacts.md.

use crate::on_every_backend;
use timber_core::c2c::{NewC2cMsg, RoamQuery};
use timber_core::contacts::{
    AssistFlags, ContactKey, GroupUpdate, ListPage, ListQuery, MarkChange, MemberChange,
};
use timber_core::group::{GroupType, NewGroup, NewMember};
use timber_core::message::{ImportMsg, NewGroupMsg, Retention, SendMsg, SlotState};
use timber_core::ErrorCode;
use timber_store::{NewAccount, Store, StoreError};

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

fn forever() -> Retention {
    Retention::forever(T0 + 1000)
}

async fn setup(s: &dyn Store, app: u64) {
    let accounts = ["a", "b", "c"].into_iter().map(NewAccount::bare).collect();
    s.import_accounts(app, accounts, T0).await.unwrap();
}

fn group(ty: GroupType, id: &str, members: &[&str]) -> NewGroup {
    NewGroup {
        group_id: Some(id.into()),
        ty,
        name: "g".into(),
        introduction: String::new(),
        notification: String::new(),
        face_url: String::new(),
        owner: None,
        create_time: T0,
        max_member_num: ty.default_max_members(),
        apply_join_option: "FreeAccess".into(),
        invite_join_option: None,
        mute_all: false,
        support_topic: false,
        app_defined_data: vec![],
        members: members.iter().map(|m| NewMember::member(*m, T0)).collect(),
    }
}

fn c2c(from: &str, to: &str, seq: u32, time: i64) -> NewC2cMsg {
    NewC2cMsg {
        from: from.into(),
        to: to.into(),
        seq,
        random: 7,
        time,
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
    }
}

async fn group_send(s: &dyn Store, app: u64, id: &str, time: i64, no_last_msg: bool, online: bool) {
    let msg = NewGroupMsg {
        from: "a".into(),
        random: time as u32,
        time,
        priority: 2,
        state: if online {
            SlotState::Unstored
        } else {
            SlotState::Normal
        },
        is_system: false,
        body: TEXT.into(),
        cloud_custom_data: None,
        to_accounts: vec![],
    };
    let send = SendMsg {
        msg,
        sender_is_admin: false,
        no_last_msg,
        callback: None,
        support_extension: false,
    };
    s.send_message(app, id.into(), send).await.unwrap();
}

fn flags(bits: u64) -> ListQuery {
    ListQuery {
        flags: AssistFlags::from_bits(bits),
        ..ListQuery::default()
    }
}

async fn list(s: &dyn Store, app: u64, owner: &str, bits: u64) -> ListPage {
    s.list_contacts(app, owner.into(), flags(bits), forever())
        .await
        .unwrap()
}

/// (Type, peer, MsgTime, pinned) of every item, in order.
async fn items(s: &dyn Store, owner: &str, bits: u64) -> Vec<(i64, String, i64, bool)> {
    list(s, APP, owner, bits)
        .await
        .items
        .into_iter()
        .map(|c| {
            (
                c.key.kind.code(),
                c.key.peer,
                c.msg_time,
                c.pinned_at.is_some(),
            )
        })
        .collect()
}

fn item(ty: i64, peer: &str, time: i64, pinned: bool) -> (i64, String, i64, bool) {
    (ty, peer.into(), time, pinned)
}

#[tokio::test]
async fn c2c_messages_make_and_move_conversations() {
    on_every_backend(|s| async move {
        setup(&*s, APP).await;
        assert!(list(&*s, APP, "a", 7).await.items.is_empty());
        s.send_c2c(APP, c2c("a", "b", 1, T0 + 10)).await.unwrap();
        s.send_c2c(APP, c2c("c", "a", 2, T0 + 20)).await.unwrap();
        assert_eq!(
            items(&*s, "a", 7).await,
            [item(1, "c", T0 + 20, false), item(1, "b", T0 + 10, false)]
        );
        assert_eq!(items(&*s, "b", 7).await, [item(1, "a", T0 + 10, false)]);
        // NoLastMsg and online-only messages move nothing; SyncOtherMachine 2 not the sender's.
        let mut quiet = c2c("a", "b", 3, T0 + 30);
        quiet.updates_last = false;
        s.send_c2c(APP, quiet).await.unwrap();
        let mut online = c2c("a", "b", 4, T0 + 31);
        online.online_only = true;
        s.send_c2c(APP, online).await.unwrap();
        let mut unsynced = c2c("a", "c", 5, T0 + 32);
        unsynced.sync_sender = false;
        s.send_c2c(APP, unsynced).await.unwrap();
        assert_eq!(items(&*s, "b", 7).await, [item(1, "a", T0 + 10, false)]);
        assert_eq!(items(&*s, "c", 7).await, [item(1, "a", T0 + 32, false)]);
        assert_eq!(
            items(&*s, "a", 7).await,
            [item(1, "c", T0 + 20, false), item(1, "b", T0 + 10, false)]
        );
        // 50001 for an owner that does not exist.
        let r = s
            .list_contacts(APP, "nobody".into(), flags(7), forever())
            .await;
        assert_eq!(code(r), ErrorCode::ContactAccountNotFound);
    })
    .await;
}

#[tokio::test]
async fn group_messages_move_their_members_conversations() {
    on_every_backend(|s| async move {
        setup(&*s, APP).await;
        s.create_group(APP, group(GroupType::Public, "g", &["a", "b"]), T0)
            .await
            .unwrap();
        s.create_group(APP, group(GroupType::AVChatRoom, "live", &[]), T0)
            .await
            .unwrap();
        assert!(items(&*s, "a", 7).await.is_empty(), "no message yet");
        group_send(&*s, APP, "g", T0 + 5, false, false).await;
        assert_eq!(items(&*s, "b", 7).await, [item(2, "g", T0 + 5, false)]);
        // NoLastMsg and online-only messages leave the conversation where it was.
        group_send(&*s, APP, "g", T0 + 6, true, false).await;
        group_send(&*s, APP, "g", T0 + 7, false, true).await;
        assert_eq!(items(&*s, "b", 7).await, [item(2, "g", T0 + 5, false)]);
        // AVChatRoom messages make no conversation.
        group_send(&*s, APP, "live", T0 + 8, false, false).await;
        assert_eq!(items(&*s, "a", 7).await, [item(2, "g", T0 + 5, false)]);
        // A member who joined after the last message has no conversation until the next.
        s.add_members(
            APP,
            "g".into(),
            vec![NewMember::member("c", T0 + 9)],
            true,
            "admin".into(),
            T0 + 9,
        )
        .await
        .unwrap();
        assert!(items(&*s, "c", 7).await.is_empty());
        group_send(&*s, APP, "g", T0 + 10, false, false).await;
        assert_eq!(items(&*s, "c", 7).await, [item(2, "g", T0 + 10, false)]);
        // import_group_msg moves conversations only with RecentContactFlag 1.
        let import = |t| ImportMsg {
            from: "a".into(),
            send_time: t,
            random: None,
            body: TEXT.into(),
            cloud_custom_data: None,
        };
        s.import_messages(APP, "g".into(), vec![import(T0 + 20)], false, T0 + 100)
            .await
            .unwrap();
        assert_eq!(items(&*s, "b", 7).await, [item(2, "g", T0 + 10, false)]);
        s.import_messages(APP, "g".into(), vec![import(T0 + 30)], true, T0 + 100)
            .await
            .unwrap();
        assert_eq!(items(&*s, "b", 7).await, [item(2, "g", T0 + 30, false)]);
    })
    .await;
}

#[tokio::test]
async fn a_left_or_destroyed_group_keeps_its_conversation_until_it_expires() {
    on_every_backend(|s| async move {
        setup(&*s, APP).await;
        s.create_group(APP, group(GroupType::Public, "g", &["a", "b", "c"]), T0)
            .await
            .unwrap();
        s.create_group(APP, group(GroupType::Private, "p", &["a", "b"]), T0)
            .await
            .unwrap();
        s.create_group(APP, group(GroupType::Public, "quiet", &["b"]), T0)
            .await
            .unwrap();
        group_send(&*s, APP, "g", T0 + 5, false, false).await;
        group_send(&*s, APP, "p", T0 + 6, false, false).await;
        // Removed, banned, destroyed: each keeps the conversation where it was.
        s.delete_members(
            APP,
            "g".into(),
            vec!["b".into()],
            false,
            "admin".into(),
            T0 + 7,
        )
        .await
        .unwrap();
        s.ban_members(
            APP,
            "g".into(),
            vec!["c".into()],
            60,
            String::new(),
            "admin".into(),
            T0 + 7,
        )
        .await
        .unwrap();
        s.destroy_group(APP, "p".into()).await.unwrap();
        s.destroy_group(APP, "quiet".into()).await.unwrap();
        group_send(&*s, APP, "g", T0 + 9, false, false).await;
        let kept = [item(2, "p", T0 + 6, false), item(2, "g", T0 + 5, false)];
        assert_eq!(
            items(&*s, "b", 7).await,
            kept,
            "a group with no message makes none"
        );
        assert_eq!(items(&*s, "c", 7).await, [item(2, "g", T0 + 5, false)]);
        assert_eq!(
            items(&*s, "a", 7).await,
            [item(2, "g", T0 + 9, false), item(2, "p", T0 + 6, false)]
        );
        // It expires with its latest message.
        let day = 86_400;
        let late = Retention {
            days: 1,
            now: T0 + 5 + day + 1,
        };
        let page = s
            .list_contacts(APP, "b".into(), flags(7), late)
            .await
            .unwrap();
        let peers: Vec<String> = page.items.into_iter().map(|c| c.key.peer).collect();
        assert_eq!(peers, ["p"]);
        // Deleting it forgets it.
        s.delete_contact(APP, "b".into(), ContactKey::group("p"), false, T0 + 10)
            .await
            .unwrap();
        assert_eq!(items(&*s, "b", 7).await, [item(2, "g", T0 + 5, false)]);
        // Joining again: the live membership takes over (no conversation until a message
        // reaches the member again), and leaving once more keeps the newer head.
        s.add_members(
            APP,
            "g".into(),
            vec![NewMember::member("b", T0 + 11)],
            true,
            "admin".into(),
            T0 + 11,
        )
        .await
        .unwrap();
        assert!(items(&*s, "b", 7).await.is_empty());
        group_send(&*s, APP, "g", T0 + 12, false, false).await;
        s.delete_members(
            APP,
            "g".into(),
            vec!["b".into()],
            true,
            "admin".into(),
            T0 + 13,
        )
        .await
        .unwrap();
        assert_eq!(items(&*s, "b", 7).await, [item(2, "g", T0 + 12, false)]);
        // Deleting the account takes its kept conversations with it.
        s.delete_accounts(APP, vec!["c".into()]).await.unwrap();
        s.import_accounts(APP, vec![NewAccount::bare("c")], T0 + 15)
            .await
            .unwrap();
        assert!(items(&*s, "c", 7).await.is_empty());
    })
    .await;
}

#[tokio::test]
async fn a_deleted_conversation_comes_back_with_a_newer_message() {
    on_every_backend(|s| async move {
        setup(&*s, APP).await;
        s.create_group(APP, group(GroupType::Public, "g", &["a", "b"]), T0)
            .await
            .unwrap();
        s.send_c2c(APP, c2c("b", "a", 1, T0 + 1)).await.unwrap();
        group_send(&*s, APP, "g", T0 + 2, false, false).await;
        s.top_contacts(APP, "a".into(), true, vec![ContactKey::group("g")], T0 + 3)
            .await
            .unwrap();
        s.delete_contact(APP, "a".into(), ContactKey::c2c("b"), false, T0 + 4)
            .await
            .unwrap();
        s.delete_contact(APP, "a".into(), ContactKey::group("g"), false, T0 + 4)
            .await
            .unwrap();
        assert!(
            items(&*s, "a", 7).await.is_empty(),
            "both gone, the pin too"
        );
        assert_eq!(
            items(&*s, "b", 7).await.len(),
            2,
            "the peer's list is untouched"
        );
        // Deleting what is not there succeeds; unknown peers are not looked up.
        s.delete_contact(APP, "a".into(), ContactKey::c2c("nobody"), true, T0 + 4)
            .await
            .unwrap();
        s.delete_contact(APP, "a".into(), ContactKey::group("none"), true, T0 + 4)
            .await
            .unwrap();
        let r = s.delete_contact(APP, "x".into(), ContactKey::c2c("b"), false, T0);
        assert_eq!(code(r.await), ErrorCode::ContactAccountNotFound);
        s.send_c2c(APP, c2c("b", "a", 2, T0 + 5)).await.unwrap();
        group_send(&*s, APP, "g", T0 + 6, false, false).await;
        assert_eq!(
            items(&*s, "a", 7).await,
            [item(2, "g", T0 + 6, false), item(1, "b", T0 + 5, false)]
        );
    })
    .await;
}

#[tokio::test]
async fn clear_ramble_clears_history_for_the_deleting_side_only() {
    on_every_backend(|s| async move {
        setup(&*s, APP).await;
        s.send_c2c(APP, c2c("b", "a", 1, T0 + 1)).await.unwrap();
        s.send_c2c(APP, c2c("a", "b", 2, T0 + 2)).await.unwrap();
        let all = RoamQuery {
            max_cnt: 100,
            min_time: 0,
            max_time: T0 + 1000,
            before: None,
        };
        let count = |op: &'static str, peer: &'static str| {
            let s = s.clone();
            async move {
                s.roam_c2c(APP, op.into(), peer.into(), all, forever())
                    .await
                    .unwrap()
                    .entries
                    .len()
            }
        };
        s.delete_contact(APP, "a".into(), ContactKey::c2c("b"), false, T0 + 3)
            .await
            .unwrap();
        assert_eq!(
            count("a", "b").await,
            2,
            "without ClearRamble history stays"
        );
        s.delete_contact(APP, "a".into(), ContactKey::c2c("b"), true, T0 + 3)
            .await
            .unwrap();
        assert_eq!(count("a", "b").await, 0);
        assert_eq!(count("b", "a").await, 2, "the peer still sees them");
        // The unread count went to 0 with the delete.
        let unread = s
            .c2c_unread(APP, "a".into(), Some(vec!["b".into()]), forever())
            .await
            .unwrap();
        assert_eq!(unread.peers[0].1, Ok(0));
    })
    .await;
}

#[tokio::test]
async fn pins_order_the_list_and_are_capped_at_50() {
    on_every_backend(|s| async move {
        setup(&*s, APP).await;
        s.send_c2c(APP, c2c("b", "a", 1, T0 + 1)).await.unwrap();
        s.send_c2c(APP, c2c("c", "a", 2, T0 + 2)).await.unwrap();
        s.top_contacts(APP, "a".into(), true, vec![ContactKey::c2c("b")], T0 + 10)
            .await
            .unwrap();
        // An empty pinned conversation (no traffic) is listed only with bit 1.
        s.top_contacts(
            APP,
            "a".into(),
            true,
            vec![ContactKey::group("quiet")],
            T0 + 11,
        )
        .await
        .unwrap();
        assert_eq!(
            items(&*s, "a", 7).await,
            [
                item(2, "quiet", 0, true),
                item(1, "b", T0 + 1, true),
                item(1, "c", T0 + 2, false)
            ]
        );
        assert_eq!(
            items(&*s, "a", 5).await,
            [item(1, "b", T0 + 1, true), item(1, "c", T0 + 2, false)]
        );
        // Without bit 0: one section by MsgTime, TopFlag still reported.
        assert_eq!(
            items(&*s, "a", 0).await,
            [item(1, "c", T0 + 2, false), item(1, "b", T0 + 1, true)]
        );
        let many: Vec<_> = (0..48).map(|i| ContactKey::c2c(&format!("u{i}"))).collect();
        s.top_contacts(APP, "a".into(), true, many.clone(), T0 + 12)
            .await
            .unwrap();
        let r = s.top_contacts(
            APP,
            "a".into(),
            true,
            vec![ContactKey::c2c("one more")],
            T0 + 13,
        );
        assert_eq!(code(r.await), ErrorCode::ContactInvalidParameter);
        s.top_contacts(APP, "a".into(), false, many, T0 + 14)
            .await
            .unwrap();
        s.top_contacts(
            APP,
            "a".into(),
            false,
            vec![ContactKey::c2c("b"), ContactKey::c2c("never")],
            T0 + 14,
        )
        .await
        .unwrap();
        assert_eq!(
            items(&*s, "a", 5).await,
            [item(1, "c", T0 + 2, false), item(1, "b", T0 + 1, false)]
        );
        let r = s.top_contacts(APP, "x".into(), true, vec![ContactKey::c2c("b")], T0);
        assert_eq!(code(r.await), ErrorCode::ContactAccountNotFound);
    })
    .await;
}

#[tokio::test]
async fn the_list_is_capped_at_100() {
    on_every_backend(|s| async move {
        let users: Vec<NewAccount> = (0..105)
            .map(|i| NewAccount::bare(format!("u{i:03}")))
            .chain([NewAccount::bare("me")])
            .collect();
        s.import_accounts(APP, users, T0).await.unwrap();
        for i in 0..105u32 {
            s.send_c2c(
                APP,
                c2c(&format!("u{i:03}"), "me", i, T0 + i64::from(i / 2)),
            )
            .await
            .unwrap();
        }
        let first = list(&*s, APP, "me", 7).await;
        assert_eq!(first.items.len(), 100);
        assert!(first.complete, "the cap leaves 100: one page");
        assert_eq!(first.items[0].key.peer, "u104");
        // The five oldest go; of the two at T0 + 2 the tie order (peer bytewise) keeps u004.
        assert_eq!(first.items[99].key.peer, "u004");
        assert!(!first.items.iter().any(|c| c.key.peer == "u005"));
    })
    .await;
}

#[tokio::test]
async fn contact_groups_and_marks() {
    on_every_backend(|s| async move {
        setup(&*s, APP).await;
        let bob = ContactKey::c2c("b");
        let g = ContactKey::group("g");
        let (work, results) = s
            .create_contact_group(
                APP,
                "a".into(),
                "work".into(),
                vec![Ok(bob.clone()), Ok(g.clone())],
                T0 + 1,
            )
            .await
            .unwrap();
        assert_eq!((work.id, work.name.as_str()), (1, "work"));
        assert!(results.iter().all(Result::is_ok));
        let r = s.create_contact_group(APP, "a".into(), "work".into(), vec![], T0 + 2);
        assert_eq!(code(r.await), ErrorCode::ContactInvalidParameter);
        let (home, _) = s
            .create_contact_group(
                APP,
                "a".into(),
                "home".into(),
                vec![Ok(bob.clone())],
                T0 + 2,
            )
            .await
            .unwrap();
        assert_eq!(home.id, 2);
        let marks = vec![Ok(MarkChange {
            opt_type: 3,
            key: bob.clone(),
            set: vec![0, 1],
            clear: vec![],
            custom: Some("vip".into()),
        })];
        let r = s
            .mark_contacts(APP, "a".into(), marks, T0 + 3)
            .await
            .unwrap();
        assert!(r[0].is_ok());
        let book = s.contact_book(APP, "a".into()).await.unwrap();
        assert_eq!(book.groups.len(), 2);
        let d = &book.items[&bob];
        assert_eq!(
            (
                d.standard,
                d.custom.as_str(),
                d.groups.as_slice(),
                d.updated
            ),
            (3, "vip", &[1, 2][..], T0 + 3)
        );
        assert_eq!(book.items[&g].groups, [1]);
        // Rename, then move g out of work; deleting home leaves b in work only.
        let (renamed, _) = s
            .update_contact_group(
                APP,
                "a".into(),
                "work".into(),
                GroupUpdate::Rename("job".into()),
                T0 + 4,
            )
            .await
            .unwrap();
        assert_eq!((renamed.id, renamed.name.as_str()), (1, "job"));
        let change = GroupUpdate::Members(vec![Ok(MemberChange {
            add: false,
            key: g.clone(),
        })]);
        s.update_contact_group(APP, "a".into(), "job".into(), change, T0 + 5)
            .await
            .unwrap();
        let deleted = s
            .delete_contact_group(APP, "a".into(), "home".into(), T0 + 6)
            .await
            .unwrap();
        assert_eq!(deleted.id, 2);
        let book = s.contact_book(APP, "a".into()).await.unwrap();
        assert_eq!(book.groups.len(), 1);
        assert_eq!(book.items[&bob].groups, [1]);
        assert!(
            !book.items.contains_key(&g),
            "no data left: the item is gone"
        );
        let r = s.delete_contact_group(APP, "a".into(), "home".into(), T0 + 7);
        assert_eq!(code(r.await), ErrorCode::ContactInvalidParameter);
        // Ids are never reused.
        let (again, _) = s
            .create_contact_group(APP, "a".into(), "home".into(), vec![], T0 + 8)
            .await
            .unwrap();
        assert_eq!(again.id, 3);
        // Marks show in the list with bit 3, and a marked conversation without traffic is an
        // empty conversation (bit 1).
        s.send_c2c(APP, c2c("b", "a", 1, T0 + 9)).await.unwrap();
        let page = list(&*s, APP, "a", 15).await;
        assert_eq!(page.items.len(), 1);
        assert_eq!(page.items[0].data.as_ref().unwrap().custom, "vip");
        let marks = vec![Ok(MarkChange {
            opt_type: 1,
            key: ContactKey::c2c("c"),
            set: vec![2],
            clear: vec![],
            custom: None,
        })];
        s.mark_contacts(APP, "a".into(), marks, T0 + 10)
            .await
            .unwrap();
        assert_eq!(list(&*s, APP, "a", 15).await.items.len(), 2);
        assert_eq!(list(&*s, APP, "a", 13).await.items.len(), 1);
        // The book is the owner's: 50001 for an unknown owner.
        assert_eq!(
            code(s.contact_book(APP, "x".into()).await),
            ErrorCode::ContactAccountNotFound
        );
        let r = s.mark_contacts(APP, "x".into(), vec![], T0);
        assert_eq!(code(r.await), ErrorCode::ContactAccountNotFound);
    })
    .await;
}

#[tokio::test]
async fn account_delete_removes_the_users_own_data_and_apps_are_apart() {
    on_every_backend(|s| async move {
        setup(&*s, APP).await;
        setup(&*s, OTHER_APP).await;
        s.send_c2c(APP, c2c("a", "b", 1, T0 + 1)).await.unwrap();
        s.top_contacts(APP, "a".into(), true, vec![ContactKey::c2c("b")], T0 + 2)
            .await
            .unwrap();
        s.create_contact_group(
            APP,
            "a".into(),
            "work".into(),
            vec![Ok(ContactKey::c2c("b"))],
            T0 + 2,
        )
        .await
        .unwrap();
        // App B sees nothing of app A.
        assert!(list(&*s, OTHER_APP, "a", 15).await.items.is_empty());
        assert!(list(&*s, OTHER_APP, "b", 15).await.items.is_empty());
        let other = s.contact_book(OTHER_APP, "a".into()).await.unwrap();
        assert!(other.groups.is_empty() && other.items.is_empty());

        s.delete_accounts(APP, vec!["a".into()]).await.unwrap();
        s.import_accounts(APP, vec![NewAccount::bare("a")], T0 + 3)
            .await
            .unwrap();
        assert!(
            list(&*s, APP, "a", 15).await.items.is_empty(),
            "re-imported: empty"
        );
        let book = s.contact_book(APP, "a".into()).await.unwrap();
        assert!(book.groups.is_empty() && book.items.is_empty() && book.last_id == 0);
        assert_eq!(
            items(&*s, "b", 7).await,
            [item(1, "a", T0 + 1, false)],
            "the peer keeps it"
        );
    })
    .await;
}
