//! Group attributes, counters, bans, named members and broadcasts on every backend.
//! spec: groups-more.md §2–§5, §7.7.

use crate::on_every_backend;
use std::sync::Arc;
use timber_core::group::{
    AddResult, AttrWrite, CounterMode, GroupType, MemberQuery, NewGroup, NewMember, Role,
};
use timber_core::ErrorCode;
use timber_store::{NewAccount, Store, StoreError};

const APP: u64 = 1400000001;
const OTHER_APP: u64 = 1400000002;
const ADMIN: &str = "administrator";

fn now() -> i64 {
    timber_core::now_secs()
}

fn strings(names: &[&str]) -> Vec<String> {
    names.iter().map(|n| (*n).to_owned()).collect()
}

fn kv(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn counters(pairs: &[(&str, i64)]) -> Vec<(String, i64)> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect()
}

fn code<T: std::fmt::Debug>(r: Result<T, StoreError>) -> ErrorCode {
    match r {
        Err(StoreError::Domain(e)) => e.code,
        other => panic!("expected a domain error, got {other:?}"),
    }
}

/// Accounts `o`, `a`, `b`, `c` and a group `id` of `ty` owned by `o` with `a` and `b` (none
/// for AVChatRoom).
async fn group(s: &Arc<dyn Store>, app: u64, ty: GroupType, id: &str) {
    let list = ["o", "a", "b", "c"]
        .iter()
        .map(|n| NewAccount::bare(*n))
        .collect();
    s.import_accounts(app, list, now()).await.unwrap();
    let members = if ty == GroupType::AVChatRoom {
        Vec::new()
    } else {
        vec![NewMember::member("a", now()), NewMember::member("b", now())]
    };
    let g = NewGroup {
        group_id: Some(id.into()),
        ty,
        name: "g".into(),
        introduction: String::new(),
        notification: String::new(),
        face_url: String::new(),
        owner: Some("o".into()),
        create_time: now(),
        max_member_num: ty.default_max_members(),
        apply_join_option: "NeedPermission".into(),
        invite_join_option: None,
        mute_all: false,
        support_topic: false,
        app_defined_data: Vec::new(),
        members,
    };
    s.create_group(app, g, now()).await.unwrap();
}

#[tokio::test]
async fn attributes_are_written_all_or_nothing() {
    on_every_backend(|s| async move {
        group(&s, APP, GroupType::AVChatRoom, "live").await;
        let id = || "live".to_owned();
        let write = |w: AttrWrite| s.write_group_attrs(APP, id(), w, ADMIN.into());
        assert!(s.group_attrs(APP, id()).await.unwrap().is_empty());
        write(AttrWrite::Modify(kv(&[("b", "2"), ("a", "1")])))
            .await
            .unwrap();
        write(AttrWrite::Modify(kv(&[("b", "3")]))).await.unwrap();
        assert_eq!(
            s.group_attrs(APP, id()).await.unwrap(),
            kv(&[("a", "1"), ("b", "3")])
        );
        let missing = write(AttrWrite::Delete(strings(&["a", "zz"])));
        assert_eq!(code(missing.await), ErrorCode::GroupAttrKeyNotFound);
        assert_eq!(s.group_attrs(APP, id()).await.unwrap().len(), 2);
        write(AttrWrite::Delete(strings(&["a"]))).await.unwrap();
        assert_eq!(s.group_attrs(APP, id()).await.unwrap(), kv(&[("b", "3")]));
        let seventeen: Vec<(String, String)> =
            (0..17).map(|i| (format!("k{i}"), "v".into())).collect();
        assert_eq!(
            code(write(AttrWrite::Set(seventeen)).await),
            ErrorCode::GroupAttrTooManyKeys
        );
        assert_eq!(s.group_attrs(APP, id()).await.unwrap(), kv(&[("b", "3")]));
        write(AttrWrite::Set(kv(&[("x", "9")]))).await.unwrap();
        assert_eq!(s.group_attrs(APP, id()).await.unwrap(), kv(&[("x", "9")]));
        write(AttrWrite::Clear).await.unwrap();
        assert!(s.group_attrs(APP, id()).await.unwrap().is_empty());
        // Another app has no such group; a destroyed group none either.
        assert_eq!(
            code(s.group_attrs(OTHER_APP, id()).await),
            ErrorCode::GroupNotFound
        );
        write(AttrWrite::Set(kv(&[("x", "9")]))).await.unwrap();
        s.destroy_group(APP, id()).await.unwrap();
        assert_eq!(
            code(s.group_attrs(APP, id()).await),
            ErrorCode::GroupNotFound
        );
        group(&s, APP, GroupType::AVChatRoom, "live").await;
        assert!(s.group_attrs(APP, id()).await.unwrap().is_empty());
    })
    .await;
}

#[tokio::test]
async fn counters_update_atomically() {
    on_every_backend(|s| async move {
        group(&s, APP, GroupType::Public, "pub").await;
        group(&s, APP, GroupType::Community, "@TGS#_com").await;
        let id = || "pub".to_owned();
        let answer = s
            .update_group_counters(
                APP,
                id(),
                CounterMode::Increase,
                counters(&[("like", 2), ("gift", 1)]),
            )
            .await
            .unwrap();
        assert_eq!(answer, counters(&[("like", 2), ("gift", 1)]));
        let answer = s
            .update_group_counters(APP, id(), CounterMode::Decrease, counters(&[("like", 5)]))
            .await
            .unwrap();
        assert_eq!(answer, counters(&[("like", -3)]));
        s.update_group_counters(APP, id(), CounterMode::Set, counters(&[("max", i64::MAX)]))
            .await
            .unwrap();
        let overflow = s.update_group_counters(
            APP,
            id(),
            CounterMode::Increase,
            counters(&[("like", 1), ("max", 1)]),
        );
        assert_eq!(code(overflow.await), ErrorCode::GroupInvalidParameter);
        assert_eq!(
            s.group_counters(APP, id(), None).await.unwrap(),
            counters(&[("gift", 1), ("like", -3), ("max", i64::MAX)])
        );
        assert_eq!(
            s.group_counters(APP, id(), Some(strings(&["max", "none", "gift"])))
                .await
                .unwrap(),
            counters(&[("max", i64::MAX), ("gift", 1)])
        );
        s.delete_group_counters(APP, id(), Some(strings(&["max", "none"])))
            .await
            .unwrap();
        assert_eq!(s.group_counters(APP, id(), None).await.unwrap().len(), 2);
        s.delete_group_counters(APP, id(), None).await.unwrap();
        assert!(s.group_counters(APP, id(), None).await.unwrap().is_empty());
        let twenty: Vec<(String, i64)> = (0..20).map(|i| (format!("k{i}"), i)).collect();
        s.update_group_counters(APP, id(), CounterMode::Set, twenty)
            .await
            .unwrap();
        let more = s.update_group_counters(APP, id(), CounterMode::Set, counters(&[("new", 1)]));
        assert_eq!(code(more.await), ErrorCode::GroupCounterTooManyKeys);
        let com = s.group_counters(APP, "@TGS#_com".into(), None);
        assert_eq!(code(com.await), ErrorCode::GroupPermissionDenied);
        assert_eq!(
            code(s.group_counters(OTHER_APP, id(), None).await),
            ErrorCode::GroupNotFound
        );
    })
    .await;
}

#[tokio::test]
async fn bans_remove_members_and_keep_them_out() {
    on_every_backend(|s| async move {
        group(&s, APP, GroupType::Public, "pub").await;
        let id = || "pub".to_owned();
        let next_before = s.get_groups(APP, vec![id()], false).await.unwrap()[0]
            .as_ref()
            .unwrap()
            .group
            .next_msg_seq;
        s.ban_members(
            APP,
            id(),
            strings(&["a", "c"]),
            600,
            "why".into(),
            ADMIN.into(),
            now(),
        )
        .await
        .unwrap();
        let page = s
            .get_members(APP, id(), MemberQuery::default())
            .await
            .unwrap();
        let names: Vec<&str> = page.members.iter().map(|m| m.account.as_str()).collect();
        assert_eq!(names, ["b", "o"]);
        assert_eq!(page.group.member_num, 2);
        // The members-removed tip took a seq.
        assert_eq!(page.group.next_msg_seq, next_before + 1);
        let added = s
            .add_members(
                APP,
                id(),
                vec![NewMember::member("a", now()), NewMember::member("c", now())],
                false,
                ADMIN.into(),
                now(),
            )
            .await
            .unwrap();
        assert_eq!(added, [AddResult::Failed, AddResult::Failed]);
        let imported = s
            .import_members(APP, id(), vec![NewMember::member("c", now())])
            .await
            .unwrap();
        assert_eq!(imported, [AddResult::Failed]);
        let page = s.banned_members(APP, id(), now(), 0, 1).await.unwrap();
        assert_eq!(page.bans.len(), 1);
        assert_eq!(page.next, 1);
        let rest = s.banned_members(APP, id(), now(), 1, 1).await.unwrap();
        assert_eq!(rest.bans.len(), 1);
        assert_eq!(rest.next, 0);
        assert!(page.bans[0].1 >= now() + 590);
        // Not in force later.
        assert!(s
            .banned_members(APP, id(), now() + 601, 0, 100)
            .await
            .unwrap()
            .bans
            .is_empty());
        // Errors, and nothing changed by them.
        let owner = s.ban_members(
            APP,
            id(),
            strings(&["o"]),
            60,
            String::new(),
            ADMIN.into(),
            now(),
        );
        assert_eq!(code(owner.await), ErrorCode::GroupPermissionDenied);
        let unknown = s.ban_members(
            APP,
            id(),
            strings(&["b", "zed"]),
            60,
            String::new(),
            ADMIN.into(),
            now(),
        );
        assert_eq!(code(unknown.await), ErrorCode::GroupAccountNotFound);
        let zero = s.ban_members(
            APP,
            id(),
            strings(&["b"]),
            0,
            String::new(),
            ADMIN.into(),
            now(),
        );
        assert_eq!(code(zero.await), ErrorCode::GroupInvalidParameter);
        assert_eq!(
            s.roles(APP, id(), strings(&["b"])).await.unwrap(),
            [Some(Role::Member)]
        );
        // Unban: idempotent, nobody put back, may join again.
        s.unban_members(APP, id(), strings(&["a", "b"]))
            .await
            .unwrap();
        assert_eq!(s.roles(APP, id(), strings(&["a"])).await.unwrap(), [None]);
        let added = s.add_members(
            APP,
            id(),
            vec![NewMember::member("a", now())],
            true,
            ADMIN.into(),
            now(),
        );
        assert_eq!(added.await.unwrap(), [AddResult::Added]);
        assert_eq!(
            s.banned_members(APP, id(), now(), 0, 100)
                .await
                .unwrap()
                .bans
                .len(),
            1
        );
        // AVChatRoom keeps bans; tenancy.
        group(&s, APP, GroupType::AVChatRoom, "live").await;
        s.ban_members(
            APP,
            "live".into(),
            strings(&["a"]),
            60,
            String::new(),
            ADMIN.into(),
            now(),
        )
        .await
        .unwrap();
        assert_eq!(
            code(s.banned_members(OTHER_APP, id(), now(), 0, 100).await),
            ErrorCode::GroupNotFound
        );
        group(&s, OTHER_APP, GroupType::Public, "pub").await;
        assert!(s
            .banned_members(OTHER_APP, id(), now(), 0, 100)
            .await
            .unwrap()
            .bans
            .is_empty());
    })
    .await;
}

#[tokio::test]
async fn named_members_and_broadcasts() {
    on_every_backend(|s| async move {
        group(&s, APP, GroupType::Public, "pub").await;
        group(&s, APP, GroupType::AVChatRoom, "live").await;
        let found = s
            .named_members(APP, "pub".into(), strings(&["b", "zed", "o"]), Vec::new())
            .await
            .unwrap();
        let names: Vec<&str> = found.iter().map(|m| m.account.as_str()).collect();
        assert_eq!(names, ["b", "o"]);
        let owners = s
            .named_members(APP, "pub".into(), strings(&["b", "o"]), vec![Role::Owner])
            .await
            .unwrap();
        assert_eq!(owners.len(), 1);
        let live = s.named_members(APP, "live".into(), strings(&["o"]), Vec::new());
        assert_eq!(code(live.await), ErrorCode::GroupPermissionDenied);
        assert_eq!(
            code(
                s.named_members(OTHER_APP, "pub".into(), strings(&["o"]), Vec::new())
                    .await
            ),
            ErrorCode::GroupNotFound
        );
        // Broadcast: app-wide seq from 1, a repeat within 5 minutes answers the first.
        let t = now();
        assert_eq!(s.broadcast(APP, 7, bmsg("m"), t).await.unwrap(), 1);
        assert_eq!(s.broadcast(APP, 7, bmsg("m"), t + 10).await.unwrap(), 1);
        assert_eq!(s.broadcast(APP, 8, bmsg("m"), t + 10).await.unwrap(), 2);
        assert_eq!(s.broadcast(APP, 7, bmsg("m"), t + 400).await.unwrap(), 3);
        // Old rows are dropped, the counter goes on.
        assert_eq!(s.broadcast(APP, 9, bmsg("n"), t + 1000).await.unwrap(), 4);
        assert_eq!(s.broadcast(OTHER_APP, 7, bmsg("m"), t).await.unwrap(), 1);
    })
    .await;
}

#[tokio::test]
async fn read_receipts_keep_the_recipients_at_send() {
    use timber_core::message::{NewGroupMsg, SendMsg, SlotState};
    on_every_backend(|s| async move {
        group(&s, APP, GroupType::Public, "pub").await;
        group(&s, APP, GroupType::Community, "@TGS#_com").await;
        let send = |from: &str, random: u32| SendMsg {
            msg: NewGroupMsg {
                from: from.into(),
                random,
                time: now(),
                priority: 1,
                state: SlotState::Normal,
                is_system: false,
                body: "[]".into(),
                cloud_custom_data: None,
                to_accounts: Vec::new(),
            },
            sender_is_admin: false,
            no_last_msg: false,
            callback: None,
            support_extension: false,
        };
        let sent = s
            .send_with_receipt(APP, "pub".into(), send("a", 1))
            .await
            .unwrap();
        // A member who joins later is no recipient.
        s.add_members(
            APP,
            "pub".into(),
            vec![NewMember::member("c", now())],
            true,
            ADMIN.into(),
            now(),
        )
        .await
        .unwrap();
        let counts = s
            .receipts(APP, "pub".into(), vec![sent.seq, 99])
            .await
            .unwrap();
        assert_eq!(counts[0].as_ref().unwrap().unread, 2);
        assert_eq!(
            counts[1].as_ref().unwrap_err().code,
            ErrorCode::GroupReceiptNotFound
        );
        s.mark_read(APP, "pub".into(), "b".into(), vec![sent.seq])
            .await
            .unwrap();
        s.mark_read(APP, "pub".into(), "c".into(), vec![sent.seq])
            .await
            .unwrap();
        let c = s.receipts(APP, "pub".into(), vec![sent.seq]).await.unwrap();
        let c = c[0].as_ref().unwrap();
        assert_eq!((c.read, c.unread), (1, 1));
        let (readers, done) = s
            .receipt_detail(APP, "pub".into(), sent.seq, true, None, 10)
            .await
            .unwrap();
        assert_eq!((readers, done), (strings(&["b"]), true));
        let (others, done) = s
            .receipt_detail(APP, "pub".into(), sent.seq, false, None, 10)
            .await
            .unwrap();
        assert_eq!((others, done), (strings(&["o"]), true));
        let none = s
            .receipt_detail(APP, "pub".into(), 99, true, None, 10)
            .await;
        assert_eq!(code(none), ErrorCode::GroupReceiptNotFound);
        // A repeat of the send records nothing more.
        let again = s
            .send_with_receipt(APP, "pub".into(), send("a", 1))
            .await
            .unwrap();
        assert!(again.duplicate);
        // Community keeps none and answers 10007; another app has no such group.
        s.send_with_receipt(APP, "@TGS#_com".into(), send("a", 2))
            .await
            .unwrap();
        let com = s.receipts(APP, "@TGS#_com".into(), vec![1]);
        assert_eq!(code(com.await), ErrorCode::GroupPermissionDenied);
        let other = s.receipts(OTHER_APP, "pub".into(), vec![sent.seq]);
        assert_eq!(code(other.await), ErrorCode::GroupNotFound);
        let unknown = s.mark_read(APP, "pub".into(), "zed".into(), vec![sent.seq]);
        assert_eq!(code(unknown.await), ErrorCode::GroupAccountNotFound);
        // Receipts expire with their message.
        let policy = Arc::new(std::collections::HashMap::from([(APP, 1u32)]));
        let step = s
            .expire_step(policy, now() + 2 * 86_400, 100)
            .await
            .unwrap();
        assert!(step.deleted >= 1);
        let gone = s.receipts(APP, "pub".into(), vec![sent.seq]).await.unwrap();
        assert_eq!(
            gone[0].as_ref().unwrap_err().code,
            ErrorCode::GroupReceiptNotFound
        );
    })
    .await;
}

#[tokio::test]
async fn concurrent_broadcasts_take_distinct_seqs() {
    on_every_backend(|s| async move {
        let t = now();
        let tasks: Vec<_> = (0..12u32)
            .map(|i| {
                let s = s.clone();
                tokio::spawn(async move { s.broadcast(APP, i, bmsg("m"), t).await.unwrap() })
            })
            .collect();
        let mut seqs = Vec::new();
        for task in tasks {
            seqs.push(task.await.unwrap());
        }
        seqs.sort_unstable();
        assert_eq!(seqs, (1..=12).collect::<Vec<u64>>());
    })
    .await;
}

/// An AVChatRoom's admins (groups-more.md §7.4, §7.5) and the ban check joinGroup asks
/// (§5.1): at most 5, granted accounts must exist, other types 10007, per app, gone with
/// the room.
#[tokio::test]
async fn room_admins_and_the_ban_check() {
    use timber_core::group::AdminCommand::{Grant, Revoke};
    on_every_backend(|s| async move {
        group(&s, APP, GroupType::AVChatRoom, "live").await;
        group(&s, APP, GroupType::Public, "pub").await;
        group(&s, OTHER_APP, GroupType::AVChatRoom, "live").await;
        let extra = ["d", "e", "f"]
            .iter()
            .map(|n| NewAccount::bare(*n))
            .collect();
        s.import_accounts(APP, extra, now()).await.unwrap();
        let id = || "live".to_owned();
        assert!(s.room_admins(APP, id()).await.unwrap().is_empty());
        s.modify_room_admins(APP, id(), Grant, strings(&["b", "a", "b"]), now())
            .await
            .unwrap();
        s.modify_room_admins(APP, id(), Grant, strings(&["c", "d", "e"]), now() + 1)
            .await
            .unwrap();
        assert_eq!(
            s.room_admins(APP, id()).await.unwrap(),
            strings(&["a", "b", "c", "d", "e"])
        );
        let sixth = s.modify_room_admins(APP, id(), Grant, strings(&["f"]), now());
        assert_eq!(code(sixth.await), ErrorCode::GroupInvalidParameter);
        let ghost = s.modify_room_admins(APP, id(), Revoke, strings(&["a"]), now());
        ghost.await.unwrap();
        let unknown = s.modify_room_admins(APP, id(), Grant, strings(&["zed"]), now());
        assert_eq!(code(unknown.await), ErrorCode::GroupAccountNotFound);
        assert_eq!(
            s.room_admins(APP, id()).await.unwrap(),
            strings(&["b", "c", "d", "e"])
        );
        let public = s.modify_room_admins(APP, "pub".into(), Grant, strings(&["a"]), now());
        assert_eq!(code(public.await), ErrorCode::GroupPermissionDenied);
        assert_eq!(
            code(s.room_admins(APP, "pub".into()).await),
            ErrorCode::GroupPermissionDenied
        );
        assert_eq!(
            code(s.room_admins(APP, "none".into()).await),
            ErrorCode::GroupNotFound
        );
        assert!(s.room_admins(OTHER_APP, id()).await.unwrap().is_empty());

        // The ban check.
        assert!(!s.banned_now(APP, id(), "a".into(), now()).await.unwrap());
        s.ban_members(
            APP,
            id(),
            strings(&["a"]),
            60,
            String::new(),
            ADMIN.into(),
            now(),
        )
        .await
        .unwrap();
        assert!(s.banned_now(APP, id(), "a".into(), now()).await.unwrap());
        assert!(!s
            .banned_now(APP, id(), "a".into(), now() + 61)
            .await
            .unwrap());
        assert!(!s
            .banned_now(OTHER_APP, id(), "a".into(), now())
            .await
            .unwrap());
        assert!(!s
            .banned_now(APP, "none".into(), "a".into(), now())
            .await
            .unwrap());

        // Gone with the room: a new room of the same ID has no admins.
        s.destroy_group(APP, id()).await.unwrap();
        group(&s, APP, GroupType::AVChatRoom, "live").await;
        assert!(s.room_admins(APP, id()).await.unwrap().is_empty());
    })
    .await;
}

fn bmsg(text: &str) -> timber_store::NewBroadcast {
    timber_store::NewBroadcast {
        from: "admin".into(),
        body: format!(r#"[{{"MsgType":"TIMTextElem","MsgContent":{{"Text":"{text}"}}}}]"#),
        cloud_custom_data: None,
    }
}
