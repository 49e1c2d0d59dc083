//! Groups and members on every backend. spec: groups.md.

use crate::on_every_backend;
use std::sync::Arc;
use timber_core::group::{
    AddResult, GroupChanges, GroupRecord, GroupType, KeyValue, MemberChanges, MemberQuery,
    NewGroup, NewMember, Role, MUTE_FOREVER,
};
use timber_core::ErrorCode;
use timber_store::groups::JoinedQuery;
use timber_store::{NewAccount, Store, StoreError};

const APP: u64 = 1400000001;
const OTHER_APP: u64 = 1400000002;
const NOW: i64 = 1_700_000_000;
const ADMIN: &str = "administrator";

fn new_group(ty: GroupType, id: Option<&str>, owner: Option<&str>) -> NewGroup {
    NewGroup {
        group_id: id.map(str::to_owned),
        ty,
        name: "g".into(),
        introduction: String::new(),
        notification: String::new(),
        face_url: String::new(),
        owner: owner.map(str::to_owned),
        create_time: NOW,
        max_member_num: ty.default_max_members(),
        apply_join_option: "NeedPermission".into(),
        invite_join_option: None,
        mute_all: false,
        support_topic: false,
        app_defined_data: Vec::new(),
        members: Vec::new(),
    }
}

fn members(names: &[&str]) -> Vec<NewMember> {
    names.iter().map(|n| NewMember::member(*n, NOW)).collect()
}

fn strings(names: &[&str]) -> Vec<String> {
    names.iter().map(|n| (*n).to_owned()).collect()
}

async fn accounts(s: &Arc<dyn Store>, app: u64, names: &[&str]) {
    let list = names.iter().map(|n| NewAccount::bare(*n)).collect();
    s.import_accounts(app, list, NOW).await.unwrap();
}

async fn group(s: &Arc<dyn Store>, app: u64, id: &str) -> GroupRecord {
    let mut found = s.get_groups(app, vec![id.into()], false).await.unwrap();
    found.pop().flatten().expect("the group exists").group
}

fn code<T: std::fmt::Debug>(r: Result<T, StoreError>) -> ErrorCode {
    match r {
        Err(StoreError::Domain(e)) => e.code,
        other => panic!("expected a domain error, got {other:?}"),
    }
}

#[tokio::test]
async fn generated_ids_are_never_reused_and_custom_ids_may_be() {
    on_every_backend(|s| async move {
        accounts(&s, APP, &["o"]).await;
        let a = s
            .create_group(APP, new_group(GroupType::Public, None, None), NOW)
            .await
            .unwrap();
        assert!(a.starts_with("@TGS#"), "{a}");
        s.destroy_group(APP, a.clone()).await.unwrap();
        let b = s
            .create_group(APP, new_group(GroupType::Public, None, None), NOW)
            .await
            .unwrap();
        assert_ne!(a, b, "a generated ID is never handed out again");
        let c = s
            .create_group(APP, new_group(GroupType::Community, None, None), NOW)
            .await
            .unwrap();
        assert!(c.starts_with("@TGS#_@TGS#"), "{c}");

        // Custom IDs: in use → 10021, or 10025 for its own owner; free again after a destroy.
        let custom = new_group(GroupType::Public, Some("mine"), Some("o"));
        s.create_group(APP, custom.clone(), NOW).await.unwrap();
        let other_owner = new_group(GroupType::Public, Some("mine"), None);
        assert_eq!(
            code(s.create_group(APP, other_owner, NOW).await),
            ErrorCode::GroupIdInUse
        );
        assert_eq!(
            code(s.create_group(APP, custom.clone(), NOW).await),
            ErrorCode::GroupIdInUseByOwner
        );
        s.destroy_group(APP, "mine".into()).await.unwrap();
        s.create_group(APP, custom, NOW).await.unwrap();
        assert_eq!(group(&s, APP, "mine").await.member_num, 1);
    })
    .await;
}

#[tokio::test]
async fn a_destroyed_group_answers_10010_everywhere_and_its_memberships_vanish() {
    on_every_backend(|s| async move {
        accounts(&s, APP, &["o", "a"]).await;
        let mut g = new_group(GroupType::Public, Some("gone"), Some("o"));
        g.members = members(&["a"]);
        s.create_group(APP, g, NOW).await.unwrap();
        s.mute(APP, "gone".into(), strings(&["a"]), 60, ADMIN.into(), NOW)
            .await
            .unwrap();
        s.destroy_group(APP, "gone".into()).await.unwrap();

        let id = || "gone".to_owned();
        let nf = ErrorCode::GroupNotFound;
        assert_eq!(code(s.destroy_group(APP, id()).await), nf);
        let add = s.add_members(APP, id(), members(&["a"]), false, ADMIN.into(), NOW);
        assert_eq!(code(add.await), nf);
        assert_eq!(code(s.import_members(APP, id(), members(&["a"])).await), nf);
        let del = s.delete_members(APP, id(), strings(&["a"]), false, ADMIN.into(), NOW);
        assert_eq!(code(del.await), nf);
        let modify = s.modify_group(APP, id(), GroupChanges::default(), ADMIN.into(), NOW);
        assert_eq!(code(modify.await), nf);
        let page = s.get_members(APP, id(), MemberQuery::default());
        assert_eq!(code(page.await), nf);
        let mm = s.modify_member(
            APP,
            id(),
            "a".into(),
            MemberChanges::default(),
            ADMIN.into(),
            NOW,
        );
        assert_eq!(code(mm.await), nf);
        assert_eq!(code(s.roles(APP, id(), strings(&["a"])).await), nf);
        let owner = s.change_owner(APP, id(), "a".into(), ADMIN.into(), NOW);
        assert_eq!(code(owner.await), nf);
        let mute = s.mute(APP, id(), strings(&["a"]), 60, ADMIN.into(), NOW);
        assert_eq!(code(mute.await), nf);
        assert_eq!(code(s.muted(APP, id(), NOW).await), nf);
        assert_eq!(
            s.get_groups(APP, vec![id()], true).await.unwrap(),
            vec![None]
        );

        let joined = s
            .joined_groups(APP, "a".into(), JoinedQuery::default())
            .await
            .unwrap();
        assert_eq!((joined.total, joined.groups.len()), (0, 0));
        let listed = s.list_groups(APP, None, 0, 100).await.unwrap();
        assert_eq!(listed.total, 0);

        // Re-creating the ID starts from nothing: no old members, no old mutes.
        s.create_group(APP, new_group(GroupType::Public, Some("gone"), None), NOW)
            .await
            .unwrap();
        assert_eq!(group(&s, APP, "gone").await.member_num, 0);
        assert!(s.muted(APP, id(), NOW).await.unwrap().is_empty());
    })
    .await;
}

#[tokio::test]
async fn adding_members_is_all_or_nothing_and_stores_tips_per_type() {
    on_every_backend(|s| async move {
        accounts(&s, APP, &["o", "a", "b", "c"]).await;
        // (type, does a members-joined tip take a MsgSeq?) — groups.md §6.
        for (ty, stored) in [
            (GroupType::Public, true),
            (GroupType::Community, true),
            (GroupType::ChatRoom, false),
        ] {
            let id = s
                .create_group(APP, new_group(ty, None, Some("o")), NOW)
                .await
                .unwrap();
            let missing = s.add_members(
                APP,
                id.clone(),
                members(&["a", "zz"]),
                false,
                ADMIN.into(),
                NOW,
            );
            assert_eq!(code(missing.await), ErrorCode::GroupAccountNotFound);
            assert_eq!(
                group(&s, APP, &id).await.member_num,
                1,
                "{ty:?}: nothing added"
            );

            let results = s
                .add_members(
                    APP,
                    id.clone(),
                    members(&["a", "a", "o"]),
                    false,
                    ADMIN.into(),
                    NOW,
                )
                .await
                .unwrap();
            assert_eq!(
                results,
                [
                    AddResult::Added,
                    AddResult::AlreadyMember,
                    AddResult::AlreadyMember
                ]
            );
            let g = group(&s, APP, &id).await;
            assert_eq!(g.member_num, 2);
            assert_eq!(g.next_msg_seq, if stored { 2 } else { 1 }, "{ty:?}");
            // Silence: no tip.
            s.add_members(APP, id.clone(), members(&["b"]), true, ADMIN.into(), NOW)
                .await
                .unwrap();
            assert_eq!(
                group(&s, APP, &id).await.next_msg_seq,
                if stored { 2 } else { 1 }
            );
        }

        // Full → 10014, nothing added.
        let mut small = new_group(GroupType::Public, Some("small"), Some("o"));
        small.max_member_num = 2;
        s.create_group(APP, small, NOW).await.unwrap();
        let full = s.add_members(
            APP,
            "small".into(),
            members(&["a", "b"]),
            false,
            ADMIN.into(),
            NOW,
        );
        assert_eq!(code(full.await), ErrorCode::GroupFull);
        assert_eq!(group(&s, APP, "small").await.member_num, 1);

        // AVChatRoom: 10007. Inactive Work group: members added, no tip (it stays inactive).
        let av = s
            .create_group(APP, new_group(GroupType::AVChatRoom, None, Some("o")), NOW)
            .await
            .unwrap();
        let refused = s.add_members(APP, av, members(&["a"]), false, ADMIN.into(), NOW);
        assert_eq!(code(refused.await), ErrorCode::GroupPermissionDenied);
        let work = s
            .create_group(APP, new_group(GroupType::Private, None, Some("o")), NOW)
            .await
            .unwrap();
        s.add_members(APP, work.clone(), members(&["a"]), false, ADMIN.into(), NOW)
            .await
            .unwrap();
        let w = group(&s, APP, &work).await;
        assert_eq!((w.member_num, w.next_msg_seq), (2, 1));
        assert!(!w.is_active());

        // Too many members at creation → 10038; Admin in a Work group → 10007.
        let mut over = new_group(GroupType::Public, None, Some("o"));
        over.max_member_num = 2;
        over.members = members(&["a", "b"]);
        assert_eq!(
            code(s.create_group(APP, over, NOW).await),
            ErrorCode::GroupMemberLimit
        );
        let mut admin = new_group(GroupType::Private, None, Some("o"));
        admin.members = vec![NewMember {
            role: Role::Admin,
            ..NewMember::member("a", NOW)
        }];
        assert_eq!(
            code(s.create_group(APP, admin, NOW).await),
            ErrorCode::GroupPermissionDenied
        );
    })
    .await;
}

#[tokio::test]
async fn deleting_members_keeps_the_owner_and_their_mutes() {
    on_every_backend(|s| async move {
        accounts(&s, APP, &["o", "a", "b"]).await;
        let mut g = new_group(GroupType::Public, Some("p"), Some("o"));
        g.members = members(&["a", "b"]);
        s.create_group(APP, g, NOW).await.unwrap();
        s.mute(APP, "p".into(), strings(&["a"]), 600, ADMIN.into(), NOW)
            .await
            .unwrap();
        let seq = group(&s, APP, "p").await.next_msg_seq;

        let owner = s.delete_members(
            APP,
            "p".into(),
            strings(&["a", "o"]),
            false,
            ADMIN.into(),
            NOW,
        );
        assert_eq!(code(owner.await), ErrorCode::GroupPermissionDenied);
        s.delete_members(
            APP,
            "p".into(),
            strings(&["a", "nobody"]),
            false,
            ADMIN.into(),
            NOW,
        )
        .await
        .unwrap();
        let g = group(&s, APP, "p").await;
        assert_eq!(g.member_num, 2);
        assert_eq!(
            g.next_msg_seq,
            seq + 1,
            "a members-removed tip took one seq"
        );
        // Not a member any more, still muted; and muted again after re-joining.
        assert_eq!(
            s.roles(APP, "p".into(), strings(&["a"])).await.unwrap(),
            vec![None]
        );
        assert_eq!(
            s.muted(APP, "p".into(), NOW).await.unwrap(),
            vec![("a".to_owned(), NOW + 600)]
        );
        s.add_members(APP, "p".into(), members(&["a"]), true, ADMIN.into(), NOW)
            .await
            .unwrap();
        let page = s
            .get_members(APP, "p".into(), MemberQuery::default())
            .await
            .unwrap();
        let a = page.members.iter().find(|m| m.account == "a").unwrap();
        assert_eq!(a.mute_until, NOW + 600);

        let av = s
            .create_group(APP, new_group(GroupType::AVChatRoom, None, Some("o")), NOW)
            .await
            .unwrap();
        let refused = s.delete_members(APP, av, strings(&["a"]), false, ADMIN.into(), NOW);
        assert_eq!(code(refused.await), ErrorCode::GroupInvalidParameter);
    })
    .await;
}

#[tokio::test]
async fn listing_groups_pages_by_cursor_per_type_and_per_app() {
    on_every_backend(|s| async move {
        let mut created = Vec::new();
        for i in 0..25 {
            let ty = if i % 5 == 0 {
                GroupType::ChatRoom
            } else {
                GroupType::Public
            };
            created.push(
                s.create_group(APP, new_group(ty, None, None), NOW)
                    .await
                    .unwrap(),
            );
        }
        s.create_group(OTHER_APP, new_group(GroupType::Public, None, None), NOW)
            .await
            .unwrap();
        s.destroy_group(APP, created.remove(3)).await.unwrap();

        let mut seen = Vec::new();
        let mut next = 0;
        loop {
            let page = s.list_groups(APP, None, next, 10).await.unwrap();
            assert_eq!(page.total, 24);
            assert!(page.group_ids.len() <= 10);
            seen.extend(page.group_ids);
            next = page.next;
            if next == 0 {
                break;
            }
        }
        assert_eq!(seen, created, "every live group once, in creation order");

        let rooms = s
            .list_groups(APP, Some(GroupType::ChatRoom), 0, 100)
            .await
            .unwrap();
        assert_eq!((rooms.total, rooms.group_ids.len(), rooms.next), (5, 5, 0));
        let exact = s.list_groups(APP, None, 0, 24).await.unwrap();
        assert_eq!(exact.next, 0, "a page that ends the list says so");
        let other = s.list_groups(OTHER_APP, None, 0, 100).await.unwrap();
        assert_eq!(other.total, 1);
    })
    .await;
}

#[tokio::test]
async fn modifying_a_group_bumps_info_seq_and_stores_profile_tips() {
    on_every_backend(|s| async move {
        accounts(&s, APP, &["o", "a"]).await;
        let mut g = new_group(GroupType::Public, Some("p"), Some("o"));
        g.members = members(&["a"]);
        g.app_defined_data = vec![KeyValue {
            key: "k1".into(),
            value: "v1".into(),
        }];
        s.create_group(APP, g, NOW).await.unwrap();

        let changes = GroupChanges {
            name: Some("new".into()),
            mute_all: Some(true),
            max_member_num: Some(10),
            app_defined_data: vec![
                KeyValue {
                    key: "k1".into(),
                    value: String::new(),
                },
                KeyValue {
                    key: "k2".into(),
                    value: "v2".into(),
                },
            ],
            ..Default::default()
        };
        s.modify_group(APP, "p".into(), changes, "o".into(), NOW + 5)
            .await
            .unwrap();
        let g = group(&s, APP, "p").await;
        assert_eq!(
            (g.name.as_str(), g.mute_all, g.max_member_num),
            ("new", true, 10)
        );
        assert_eq!((g.info_seq, g.last_info_time), (2, NOW + 5));
        assert_eq!(g.next_msg_seq, 2, "a name change stores a tip");
        assert_eq!(g.app_defined_data.len(), 1);
        assert_eq!(g.app_defined_data[0].key, "k2");

        // Mute-all alone: InfoSeq moves, no tip.
        let mute_all = GroupChanges {
            mute_all: Some(false),
            ..Default::default()
        };
        s.modify_group(APP, "p".into(), mute_all, ADMIN.into(), NOW)
            .await
            .unwrap();
        let g = group(&s, APP, "p").await;
        assert_eq!((g.info_seq, g.next_msg_seq), (3, 2));

        let below = GroupChanges {
            max_member_num: Some(1),
            ..Default::default()
        };
        let r = s.modify_group(APP, "p".into(), below, ADMIN.into(), NOW);
        assert_eq!(code(r.await), ErrorCode::GroupInvalidParameter);
        let too_many: Vec<KeyValue> = (0..11)
            .map(|i| KeyValue {
                key: format!("k{i}"),
                value: "v".into(),
            })
            .collect();
        let r = s.modify_group(
            APP,
            "p".into(),
            GroupChanges {
                app_defined_data: too_many,
                ..Default::default()
            },
            ADMIN.into(),
            NOW,
        );
        assert_eq!(code(r.await), ErrorCode::GroupInvalidParameter);

        // Work groups cannot be applied to; Community has no HistoryMsgBeforeJoin.
        let work = s
            .create_group(APP, new_group(GroupType::Private, None, None), NOW)
            .await
            .unwrap();
        let apply = GroupChanges {
            apply_join_option: Some("FreeAccess".into()),
            ..Default::default()
        };
        s.modify_group(APP, work.clone(), apply, ADMIN.into(), NOW)
            .await
            .unwrap();
        assert_eq!(
            group(&s, APP, &work).await.apply_join_option,
            "DisableApply"
        );
        let community = s
            .create_group(APP, new_group(GroupType::Community, None, None), NOW)
            .await
            .unwrap();
        let history = GroupChanges {
            history_before_join: Some(true),
            ..Default::default()
        };
        let r = s.modify_group(APP, community, history, ADMIN.into(), NOW);
        assert_eq!(code(r.await), ErrorCode::GroupPermissionDenied);
    })
    .await;
}

#[tokio::test]
async fn member_pages_filter_by_role_and_page_by_offset_or_cursor() {
    on_every_backend(|s| async move {
        let names: Vec<String> = (0..30).map(|i| format!("u{i:02}")).collect();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        accounts(&s, APP, &refs).await;
        for (ty, id) in [(GroupType::Public, "p"), (GroupType::Community, "@TGS#_c")] {
            let mut g = new_group(ty, Some(id), Some("u00"));
            g.members = members(&refs[1..]);
            g.members[0].role = Role::Admin;
            s.create_group(APP, g, NOW).await.unwrap();
        }

        // Offset paging.
        let mut seen = Vec::new();
        for offset in (0..30).step_by(7) {
            let q = MemberQuery {
                offset,
                limit: Some(7),
                ..Default::default()
            };
            let page = s.get_members(APP, "p".into(), q).await.unwrap();
            assert_eq!(page.group.member_num, 30);
            seen.extend(page.members.into_iter().map(|m| m.account));
        }
        assert_eq!(seen, names);

        // Cursor paging (Community).
        let mut seen = Vec::new();
        let mut after = None;
        loop {
            let q = MemberQuery {
                limit: Some(8),
                after: after.clone(),
                ..Default::default()
            };
            let page = s.get_members(APP, "@TGS#_c".into(), q).await.unwrap();
            seen.extend(page.members.into_iter().map(|m| m.account));
            after = page.next;
            if after.is_none() {
                break;
            }
        }
        assert_eq!(seen, names);
        let offset = MemberQuery {
            offset: 1,
            ..Default::default()
        };
        let r = s.get_members(APP, "@TGS#_c".into(), offset);
        assert_eq!(code(r.await), ErrorCode::GroupInvalidParameter);

        let admins = MemberQuery {
            roles: vec![Role::Owner, Role::Admin],
            ..Default::default()
        };
        let page = s.get_members(APP, "p".into(), admins).await.unwrap();
        let got: Vec<_> = page
            .members
            .iter()
            .map(|m| (m.account.as_str(), m.role))
            .collect();
        assert_eq!(got, [("u00", Role::Owner), ("u01", Role::Admin)]);
    })
    .await;
}

#[tokio::test]
async fn modifying_members_checks_membership_type_and_ownership() {
    on_every_backend(|s| async move {
        accounts(&s, APP, &["o", "a", "outsider"]).await;
        for (ty, id) in [(GroupType::Public, "p"), (GroupType::Private, "w")] {
            let mut g = new_group(ty, Some(id), Some("o"));
            g.members = members(&["a"]);
            s.create_group(APP, g, NOW).await.unwrap();
        }
        let modify = |id: &str, who: &str, ch: MemberChanges| {
            s.modify_member(APP, id.into(), who.into(), ch, ADMIN.into(), NOW)
        };
        let admin = || MemberChanges {
            role: Some(Role::Admin),
            ..Default::default()
        };
        assert_eq!(
            code(modify("p", "ghost", admin()).await),
            ErrorCode::GroupAccountNotFound
        );
        assert_eq!(
            code(modify("p", "outsider", admin()).await),
            ErrorCode::GroupPermissionDenied
        );
        assert_eq!(
            code(modify("w", "a", admin()).await),
            ErrorCode::GroupPermissionDenied
        );
        let mute = MemberChanges {
            mute_time: Some(60),
            ..Default::default()
        };
        assert_eq!(
            code(modify("w", "a", mute.clone()).await),
            ErrorCode::GroupPermissionDenied
        );
        let demote_owner = MemberChanges {
            role: Some(Role::Member),
            ..Default::default()
        };
        assert_eq!(
            code(modify("p", "o", demote_owner).await),
            ErrorCode::GroupPermissionDenied
        );

        let seq = group(&s, APP, "p").await.next_msg_seq;
        let all = MemberChanges {
            role: Some(Role::Admin),
            msg_flag: Some("Discard".into()),
            name_card: Some("card".into()),
            mute_time: Some(60),
            app_member_defined_data: vec![KeyValue {
                key: "mk".into(),
                value: "mv".into(),
            }],
        };
        modify("p", "a", all).await.unwrap();
        let page = s
            .get_members(APP, "p".into(), MemberQuery::default())
            .await
            .unwrap();
        let a = page.members.iter().find(|m| m.account == "a").unwrap();
        assert_eq!(a.role, Role::Admin);
        assert_eq!(
            (a.msg_flag.as_str(), a.name_card.as_str()),
            ("Discard", "card")
        );
        assert_eq!(a.mute_until, NOW + 60);
        assert_eq!(a.app_member_defined_data.len(), 1);
        assert_eq!(
            group(&s, APP, "p").await.next_msg_seq,
            seq + 2,
            "a role tip and a mute tip"
        );
        // The Work group's own fields still change.
        let card = MemberChanges {
            name_card: Some("w".into()),
            ..Default::default()
        };
        modify("w", "a", card).await.unwrap();
    })
    .await;
}

#[tokio::test]
async fn changing_the_owner_swaps_roles() {
    on_every_backend(|s| async move {
        accounts(&s, APP, &["o", "a", "outsider"]).await;
        let mut g = new_group(GroupType::Public, Some("p"), Some("o"));
        g.members = members(&["a"]);
        s.create_group(APP, g, NOW).await.unwrap();
        let r = s.change_owner(APP, "p".into(), "outsider".into(), ADMIN.into(), NOW);
        assert_eq!(code(r.await), ErrorCode::GroupPermissionDenied);
        let r = s.change_owner(APP, "p".into(), "ghost".into(), ADMIN.into(), NOW);
        assert_eq!(code(r.await), ErrorCode::GroupAccountNotFound);

        s.change_owner(APP, "p".into(), "a".into(), ADMIN.into(), NOW + 1)
            .await
            .unwrap();
        let g = group(&s, APP, "p").await;
        assert_eq!((g.owner.as_str(), g.info_seq, g.next_msg_seq), ("a", 2, 2));
        let roles = s
            .roles(APP, "p".into(), strings(&["o", "a", "x"]))
            .await
            .unwrap();
        assert_eq!(roles, [Some(Role::Member), Some(Role::Owner), None]);

        // An ownerless group gets an owner the same way.
        let mut ownerless = new_group(GroupType::Public, Some("none"), None);
        ownerless.members = members(&["a"]);
        s.create_group(APP, ownerless, NOW).await.unwrap();
        s.change_owner(APP, "none".into(), "a".into(), ADMIN.into(), NOW)
            .await
            .unwrap();
        assert_eq!(group(&s, APP, "none").await.owner, "a");
    })
    .await;
}

#[tokio::test]
async fn mutes_expire_last_for_ever_or_are_lifted() {
    on_every_backend(|s| async move {
        accounts(&s, APP, &["a", "b", "c"]).await;
        s.create_group(APP, new_group(GroupType::AVChatRoom, Some("av"), None), NOW)
            .await
            .unwrap();
        // AVChatRoom: no member list, so non-members can be muted; no tip is stored.
        s.mute(APP, "av".into(), strings(&["a"]), 10, ADMIN.into(), NOW)
            .await
            .unwrap();
        s.mute(
            APP,
            "av".into(),
            strings(&["b", "c"]),
            MUTE_FOREVER,
            ADMIN.into(),
            NOW,
        )
        .await
        .unwrap();
        s.mute(APP, "av".into(), strings(&["c"]), 0, ADMIN.into(), NOW)
            .await
            .unwrap();
        assert_eq!(
            s.muted(APP, "av".into(), NOW).await.unwrap(),
            vec![("a".into(), NOW + 10), ("b".into(), MUTE_FOREVER as i64)]
        );
        assert_eq!(
            s.muted(APP, "av".into(), NOW + 10).await.unwrap(),
            vec![("b".into(), MUTE_FOREVER as i64)],
            "an ended mute is not listed"
        );
        assert_eq!(group(&s, APP, "av").await.next_msg_seq, 1);

        let r = s.mute(APP, "av".into(), strings(&["ghost"]), 10, ADMIN.into(), NOW);
        assert_eq!(code(r.await), ErrorCode::GroupAccountNotFound);
        s.create_group(APP, new_group(GroupType::Private, Some("w"), None), NOW)
            .await
            .unwrap();
        let r = s.mute(APP, "w".into(), strings(&["a"]), 10, ADMIN.into(), NOW);
        assert_eq!(code(r.await), ErrorCode::GroupPermissionDenied);
    })
    .await;
}

#[tokio::test]
async fn joined_groups_hide_huge_and_inactive_groups_unless_asked() {
    on_every_backend(|s| async move {
        accounts(&s, APP, &["u", "o"]).await;
        let mut ids = Vec::new();
        for ty in [
            GroupType::Public,
            GroupType::Private,
            GroupType::AVChatRoom,
            GroupType::Community,
            GroupType::ChatRoom,
        ] {
            let id = s
                .create_group(APP, new_group(ty, None, Some("u")), NOW)
                .await
                .unwrap();
            ids.push(id);
        }
        let q = |f: fn(&mut JoinedQuery)| {
            let mut q = JoinedQuery::default();
            f(&mut q);
            s.joined_groups(APP, "u".into(), q)
        };
        let ids_of = |p: &timber_store::groups::JoinedPage| -> Vec<String> {
            p.groups.iter().map(|(g, _)| g.group_id.clone()).collect()
        };
        let default = q(|_| {}).await.unwrap();
        assert_eq!(default.total, 3);
        assert_eq!(
            ids_of(&default),
            [ids[0].clone(), ids[3].clone(), ids[4].clone()]
        );
        assert_eq!(default.groups[0].1.role, Role::Owner);

        let all = q(|q| {
            q.with_huge_groups = true;
            q.with_inactive = true;
        })
        .await
        .unwrap();
        assert_eq!(ids_of(&all), ids);
        let page = q(|q| {
            q.with_huge_groups = true;
            q.with_inactive = true;
            q.offset = 1;
            q.limit = Some(2);
        })
        .await
        .unwrap();
        assert_eq!((page.total, ids_of(&page)), (5, ids[1..3].to_vec()));
        let av = q(|q| q.ty = Some(GroupType::AVChatRoom)).await.unwrap();
        assert_eq!(ids_of(&av), [ids[2].clone()]);
        let other = s
            .joined_groups(OTHER_APP, "u".into(), JoinedQuery::default())
            .await
            .unwrap();
        assert_eq!(other.total, 0);
    })
    .await;
}

#[tokio::test]
async fn importing_members_takes_no_seq_and_clamps_unread_counts() {
    on_every_backend(|s| async move {
        accounts(&s, APP, &["o", "a", "b"]).await;
        s.create_group(APP, new_group(GroupType::Public, Some("p"), Some("o")), NOW)
            .await
            .unwrap();
        // One stored tip, so the group has one message.
        s.add_members(APP, "p".into(), members(&["b"]), false, ADMIN.into(), NOW)
            .await
            .unwrap();
        let imported = vec![NewMember {
            role: Role::Admin,
            unread: Some(5),
            ..NewMember::member("a", NOW - 100)
        }];
        let r = s.import_members(APP, "p".into(), imported).await.unwrap();
        assert_eq!(r, [AddResult::Added]);
        let g = group(&s, APP, "p").await;
        assert_eq!((g.member_num, g.next_msg_seq), (3, 2));
        let page = s
            .get_members(APP, "p".into(), MemberQuery::default())
            .await
            .unwrap();
        let a = page.members.iter().find(|m| m.account == "a").unwrap();
        assert_eq!((a.role, a.join_time), (Role::Admin, NOW - 100));
        assert_eq!(
            g.unread(a),
            1,
            "UnreadMsgNum is clamped to the message count"
        );

        let again = s
            .import_members(APP, "p".into(), members(&["a"]))
            .await
            .unwrap();
        assert_eq!(again, [AddResult::AlreadyMember]);
        s.create_group(APP, new_group(GroupType::Private, Some("w"), None), NOW)
            .await
            .unwrap();
        let admin = vec![NewMember {
            role: Role::Admin,
            ..NewMember::member("a", NOW)
        }];
        let r = s.import_members(APP, "w".into(), admin);
        assert_eq!(code(r.await), ErrorCode::GroupPermissionDenied);
    })
    .await;
}

#[tokio::test]
async fn the_same_group_id_in_two_apps_are_two_groups() {
    on_every_backend(|s| async move {
        accounts(&s, APP, &["a"]).await;
        accounts(&s, OTHER_APP, &["b"]).await;
        s.create_group(
            APP,
            new_group(GroupType::Public, Some("same"), Some("a")),
            NOW,
        )
        .await
        .unwrap();
        let r = s.add_members(
            OTHER_APP,
            "same".into(),
            members(&["b"]),
            false,
            ADMIN.into(),
            NOW,
        );
        assert_eq!(code(r.await), ErrorCode::GroupNotFound);
        // App A's account does not exist in app B.
        let r = s.create_group(
            OTHER_APP,
            new_group(GroupType::Public, Some("same"), Some("a")),
            NOW,
        );
        assert_eq!(code(r.await), ErrorCode::GroupAccountNotFound);
        s.create_group(
            OTHER_APP,
            new_group(GroupType::Public, Some("same"), Some("b")),
            NOW,
        )
        .await
        .unwrap();
        s.destroy_group(OTHER_APP, "same".into()).await.unwrap();
        assert_eq!(group(&s, APP, "same").await.owner, "a");
        let roles = s
            .roles(APP, "same".into(), strings(&["a", "b"]))
            .await
            .unwrap();
        assert_eq!(roles, [Some(Role::Owner), None]);
    })
    .await;
}
