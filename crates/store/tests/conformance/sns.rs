//! Relationships: friend adds under every AllowType / AdminForbidType / force combination,
//! pending requests, imports, updates, deletes, blocklists, friend lists, follows, sequences,
//! account deletion and app isolation. spec: relationships.md.

use crate::on_every_backend;
use timber_core::sns::{
    AddGates, AddItem, AddType, AdminForbid, AllowType, CustomValue, FieldUpdate, FollowList,
    FriendAdd, UpdateItem,
};
use timber_core::{Error, ErrorCode};
use timber_store::{NewAccount, Store, StoreError};

const APP: u64 = 1400000001;
const OTHER_APP: u64 = 1400000002;
const T0: i64 = 1_700_000_000;

async fn setup(s: &dyn Store, users: &[&str]) {
    let accounts = users.iter().map(|u| NewAccount::bare(*u)).collect();
    s.import_accounts(APP, accounts, T0).await.unwrap();
}

fn item(to: &str) -> AddItem {
    AddItem {
        to: to.into(),
        add_source: Some("AddSource_Type_Web".into()),
        ..AddItem::default()
    }
}

fn add(from: &str, add_type: AddType, force: bool, to: &[&str]) -> FriendAdd {
    FriendAdd {
        admin: "admin".into(),
        from: from.into(),
        add_type,
        force,
        items: to.iter().map(|t| item(t)).collect(),
    }
}

fn codes(items: &[(String, Result<(), Error>)]) -> Vec<u32> {
    items
        .iter()
        .map(|(_, r)| r.as_ref().err().map_or(0, |e| e.code.code()))
        .collect()
}

fn domain<T: std::fmt::Debug>(r: Result<T, StoreError>) -> ErrorCode {
    match r {
        Err(StoreError::Domain(e)) => e.code,
        other => panic!("expected a domain error, got {other:?}"),
    }
}

async fn rel(s: &dyn Store, a: &str, b: &str) -> (bool, bool) {
    let r = s
        .check_pairs(APP, a.into(), vec![b.into()], false)
        .await
        .unwrap();
    (r[0].1, r[0].2)
}

async fn gates(s: &dyn Store, user: &str, allow: AllowType, forbid: AdminForbid) {
    s.set_add_gates(APP, user.into(), AddGates { allow, forbid })
        .await
        .unwrap();
}

#[tokio::test]
async fn allow_type_admin_forbid_and_force() {
    on_every_backend(|s| async move {
        let s = &*s;
        setup(s, &["a", "any", "confirm", "c2", "deny", "banned"]).await;
        gates(s, "any", AllowType::AllowAny, AdminForbid::None).await;
        gates(s, "deny", AllowType::DenyAny, AdminForbid::None).await;
        gates(s, "banned", AllowType::AllowAny, AdminForbid::SendOut).await;
        // Two-way: AllowAny adds at once, NeedConfirm pends, DenyAny refuses.
        let out = s
            .friend_add(
                APP,
                add("a", AddType::Both, false, &["any", "confirm", "deny"]),
                T0,
            )
            .await
            .unwrap();
        assert_eq!(codes(&out.items), [0, 30539, 30516]);
        assert_eq!(rel(s, "a", "any").await, (true, true));
        assert_eq!(rel(s, "a", "confirm").await, (false, false));
        assert_eq!(
            s.pending_requests(APP, "confirm".into()).await.unwrap(),
            [("a".to_owned(), "confirm".to_owned())]
        );
        // The target's reciprocal add completes the pending request.
        let out = s
            .friend_add(APP, add("confirm", AddType::Both, false, &["a"]), T0)
            .await
            .unwrap();
        assert_eq!(codes(&out.items), [0]);
        assert_eq!(rel(s, "a", "confirm").await, (true, true));
        assert!(s
            .pending_requests(APP, "a".into())
            .await
            .unwrap()
            .is_empty());
        // One-way skips confirmation but not DenyAny.
        let out = s
            .friend_add(APP, add("a", AddType::Single, false, &["c2", "deny"]), T0)
            .await
            .unwrap();
        assert_eq!(codes(&out.items), [0, 30516]);
        assert_eq!(rel(s, "a", "c2").await, (true, false));
        // AdminForbid_Type_SendOut: 30009 unless forced; force also passes DenyAny.
        let out = s
            .friend_add(APP, add("banned", AddType::Single, false, &["any"]), T0)
            .await
            .unwrap();
        assert_eq!(codes(&out.items), [30009]);
        let out = s
            .friend_add(
                APP,
                add("banned", AddType::Both, true, &["any", "deny"]),
                T0,
            )
            .await
            .unwrap();
        assert_eq!(codes(&out.items), [0, 0]);
        assert_eq!(rel(s, "banned", "deny").await, (true, true));
        // The profile tags are readable by the relationship reads.
        let named = s
            .named_friends(APP, "a".into(), vec!["any".into()], true)
            .await
            .unwrap();
        let (_, profile) = named[0].clone().unwrap();
        assert!(profile.contains(&(
            "Tag_Profile_IM_AllowType".to_owned(),
            serde_json::json!("AllowType_Type_AllowAny")
        )));
        assert_eq!(
            domain(
                s.set_add_gates(APP, "ghost".into(), AddGates::default())
                    .await
            ),
            ErrorCode::SnsAccountNotFound
        );
    })
    .await;
}

#[tokio::test]
async fn import_update_page_and_sequences() {
    on_every_backend(|s| async move {
        let s = &*s;
        setup(s, &["a", "b", "c", "d"]).await;
        let mut d = item("d");
        d.groups = vec!["work".into(), "chess".into()];
        d.add_time = Some(T0 - 100);
        d.custom = vec![(
            "Tag_SNS_Custom_Since".into(),
            CustomValue::Str("2019".into()),
        )];
        let req = FriendAdd {
            admin: "admin".into(),
            from: "a".into(),
            add_type: AddType::Both,
            force: false,
            items: vec![d, item("b"), item("b"), item("ghost")],
        };
        let out = s.friend_import(APP, req, T0).await.unwrap();
        assert_eq!(codes(&out.items), [0, 0, 30001, 30003]);
        assert_eq!(rel(s, "a", "b").await, (true, false));
        let page = s.friends(APP, "a".into(), 0, 100).await.unwrap();
        assert_eq!(page.total, 2);
        assert_eq!(page.friends[0].0, "d");
        assert_eq!(page.friends[0].1.groups, ["work", "chess"]);
        assert_eq!(
            page.friends[0].1.custom["Tag_SNS_Custom_Since"],
            CustomValue::Str("2019".into())
        );
        let before = page.seqs;
        assert!(before.standard > 0 && before.custom > 0 && before.lists > 0);
        let out = s
            .friend_update(
                APP,
                "a".into(),
                vec![
                    UpdateItem {
                        to: "b".into(),
                        fields: vec![
                            FieldUpdate::Remark("B".into()),
                            FieldUpdate::Groups(vec!["gym".into()]),
                            FieldUpdate::Custom("Tag_SNS_Custom_Lvl".into(), CustomValue::Int(3)),
                        ],
                    },
                    UpdateItem {
                        to: "c".into(),
                        fields: vec![FieldUpdate::Remark("C".into())],
                    },
                ],
                T0,
            )
            .await
            .unwrap();
        assert_eq!(codes(&out.items), [0, 30001]);
        let page = s.friends(APP, "a".into(), 1, 100).await.unwrap();
        assert_eq!(page.friends.len(), 1);
        assert_eq!(page.friends[0].1.remark, "B");
        assert!(page.seqs.standard > before.standard);
        assert!(page.seqs.custom > before.custom);
        assert!(page.seqs.lists > before.lists);
        let (lists, _) = s.lists(APP, "a".into()).await.unwrap();
        let names: Vec<&str> = lists.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["work", "chess", "gym"]);
        // Paging past the end.
        let page = s.friends(APP, "a".into(), 5, 100).await.unwrap();
        assert!(page.friends.is_empty());
        assert_eq!(
            domain(s.friends(APP, "ghost".into(), 0, 100).await),
            ErrorCode::SnsAccountNotFound
        );
    })
    .await;
}

#[tokio::test]
async fn deletes_blocks_and_lists() {
    on_every_backend(|s| async move {
        let s = &*s;
        setup(s, &["a", "b", "c", "d"]).await;
        s.friend_add(APP, add("a", AddType::Both, true, &["b", "c", "d"]), T0)
            .await
            .unwrap();
        let out = s
            .friend_delete(APP, "a".into(), vec!["b".into(), "b".into()], false)
            .await
            .unwrap();
        assert_eq!(codes(&out.items), [0, 30001]);
        assert_eq!(rel(s, "a", "b").await, (false, true));
        s.friend_delete(APP, "a".into(), vec!["c".into()], true)
            .await
            .unwrap();
        assert_eq!(rel(s, "a", "c").await, (false, false));
        // Blocking removes the friendship both ways and pending requests.
        s.friend_add(APP, add("c", AddType::Both, false, &["a"]), T0)
            .await
            .unwrap();
        assert_eq!(s.pending_requests(APP, "a".into()).await.unwrap().len(), 1);
        let out = s
            .block_add(
                APP,
                "a".into(),
                vec!["d".into(), "c".into(), "d".into()],
                T0,
            )
            .await
            .unwrap();
        assert_eq!(codes(&out.items), [0, 0, 30001]);
        assert_eq!(out.seqs.blocks, 2);
        assert_eq!(rel(s, "a", "d").await, (false, false));
        assert!(s
            .pending_requests(APP, "a".into())
            .await
            .unwrap()
            .is_empty());
        let blocks = s
            .check_pairs(APP, "d".into(), vec!["a".into()], true)
            .await
            .unwrap();
        assert_eq!(blocks[0], (true, false, true));
        let out = s
            .friend_add(APP, add("d", AddType::Both, true, &["a"]), T0)
            .await
            .unwrap();
        assert_eq!(codes(&out.items), [30525]);
        let page = s.blocks(APP, "a".into(), 0, 1).await.unwrap();
        assert_eq!((page.blocked.len(), page.total, page.seq), (1, 2, 2));
        let out = s
            .block_delete(APP, "a".into(), vec!["c".into(), "b".into()])
            .await
            .unwrap();
        assert_eq!(codes(&out.items), [0, 30001]);
        // Lists: creation, members, a duplicate name, deletion.
        s.friend_add(APP, add("a", AddType::Single, true, &["b"]), T0)
            .await
            .unwrap();
        let out = s
            .list_add(
                APP,
                "a".into(),
                vec!["x".into()],
                vec!["b".into(), "c".into()],
            )
            .await
            .unwrap();
        assert_eq!(codes(&out.items), [0, 32216]);
        assert_eq!(
            domain(s.list_add(APP, "a".into(), vec!["x".into()], vec![]).await),
            ErrorCode::SnsInvalidParameter
        );
        let (lists, seq) = s.lists(APP, "a".into()).await.unwrap();
        assert_eq!(lists, [("x".to_owned(), vec!["b".to_owned()])]);
        assert_eq!(seq, out.seqs.lists);
        s.list_delete(APP, "a".into(), vec!["x".into()])
            .await
            .unwrap();
        let page = s.friends(APP, "a".into(), 0, 10).await.unwrap();
        assert!(page.friends[0].1.groups.is_empty());
        assert_eq!(
            domain(s.list_delete(APP, "a".into(), vec!["x".into()]).await),
            ErrorCode::SnsInvalidParameter
        );
        // delete_all both.
        s.friend_delete_all(APP, "a".into(), true).await.unwrap();
        assert_eq!(rel(s, "a", "b").await, (false, false));
        s.friend_delete_all(APP, "a".into(), false).await.unwrap();
        assert_eq!(
            domain(s.friend_delete_all(APP, "ghost".into(), false).await),
            ErrorCode::SnsAccountNotFound
        );
    })
    .await;
}

#[tokio::test]
async fn follows() {
    on_every_backend(|s| async move {
        let s = &*s;
        setup(s, &["a", "b", "c"]).await;
        let out = s
            .follow_add(
                APP,
                "a".into(),
                vec!["b".into(), "c".into(), "b".into(), "a".into()],
                T0,
            )
            .await
            .unwrap();
        assert_eq!(codes(&out), [0, 0, 0, 30001]);
        s.follow_add(APP, "b".into(), vec!["a".into()], T0 + 1)
            .await
            .unwrap();
        let check = s
            .follow_check(
                APP,
                "a".into(),
                vec!["b".into(), "c".into(), "ghost".into()],
            )
            .await
            .unwrap();
        assert_eq!(check, [Some((true, true)), Some((true, false)), None]);
        let (page, more) = s
            .follow_page(APP, "a".into(), FollowList::Followings, 0, 1)
            .await
            .unwrap();
        assert_eq!(page.len(), 1);
        assert!(more);
        let (page, _) = s
            .follow_page(APP, "a".into(), FollowList::Mutual, 0, 10)
            .await
            .unwrap();
        assert_eq!(page[0].user, "b");
        let counts = s
            .follow_counts(APP, "a".into(), vec!["a".into(), "b".into()])
            .await
            .unwrap();
        assert_eq!(counts, [Some((1, 2, 1)), Some((1, 1, 1))]);
        s.follow_delete(APP, "a".into(), vec!["b".into()])
            .await
            .unwrap();
        let check = s
            .follow_check(APP, "a".into(), vec!["b".into()])
            .await
            .unwrap();
        assert_eq!(check, [Some((false, true))]);
    })
    .await;
}

#[tokio::test]
async fn account_deletion_and_app_isolation() {
    on_every_backend(|s| async move {
        let s = &*s;
        setup(s, &["a", "b", "c"]).await;
        s.import_accounts(
            OTHER_APP,
            vec![NewAccount::bare("a"), NewAccount::bare("b")],
            T0,
        )
        .await
        .unwrap();
        s.friend_add(APP, add("a", AddType::Both, true, &["b", "c"]), T0)
            .await
            .unwrap();
        s.block_add(APP, "c".into(), vec!["b".into()], T0)
            .await
            .unwrap();
        s.follow_add(APP, "c".into(), vec!["b".into()], T0)
            .await
            .unwrap();
        s.friend_add(APP, add("b", AddType::Both, false, &["c"]), T0)
            .await
            .unwrap();
        // The other app sees nothing.
        assert_eq!(
            s.friends(OTHER_APP, "a".into(), 0, 10).await.unwrap().total,
            0
        );
        let before = s.friends(APP, "a".into(), 0, 10).await.unwrap().seqs;
        s.delete_accounts(APP, vec!["b".into()]).await.unwrap();
        let page = s.friends(APP, "a".into(), 0, 10).await.unwrap();
        assert_eq!(page.friends.len(), 1);
        assert_eq!(page.friends[0].0, "c");
        assert!(page.seqs.standard > before.standard);
        assert_eq!(s.blocks(APP, "c".into(), 0, 10).await.unwrap().total, 0);
        assert!(s
            .pending_requests(APP, "c".into())
            .await
            .unwrap()
            .is_empty());
        assert_eq!(
            s.follow_counts(APP, "c".into(), vec!["c".into()])
                .await
                .unwrap(),
            [Some((0, 0, 0))]
        );
        s.import_accounts(APP, vec![NewAccount::bare("b")], T0)
            .await
            .unwrap();
        assert_eq!(s.friends(APP, "b".into(), 0, 10).await.unwrap().total, 0);
        assert_eq!(
            s.friends(APP, "b".into(), 0, 10)
                .await
                .unwrap()
                .seqs
                .standard,
            0
        );
    })
    .await;
}
