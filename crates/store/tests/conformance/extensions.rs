//! Message extensions (groups-more.md §9): versions, tombstones, clears, the refusals, and
//! tenancy, on every backend.

use crate::on_every_backend;
use timber_core::c2c::NewC2cMsg;
use timber_core::extension::{ExtItem, ExtOp};
use timber_core::group::{GroupType, NewGroup, NewMember};
use timber_core::message::{NewGroupMsg, Retention, SendMsg, SlotState};
use timber_core::ErrorCode;
use timber_store::extensions::ExtTarget;
use timber_store::StoreError;
use timber_store::{NewAccount, Store};

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

fn group(ty: GroupType, id: &str) -> NewGroup {
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
        support_topic: false,
        app_defined_data: vec![],
        members: if ty == GroupType::AVChatRoom {
            vec![]
        } else {
            vec![NewMember::member("a", T0)]
        },
    }
}

async fn setup(s: &dyn Store, app: u64) {
    let accounts = ["o", "a", "b"].into_iter().map(NewAccount::bare).collect();
    s.import_accounts(app, accounts, T0).await.unwrap();
    for (ty, id) in [(GroupType::Public, "pub"), (GroupType::AVChatRoom, "live")] {
        s.create_group(app, group(ty, id), T0).await.unwrap();
    }
}

async fn send(s: &dyn Store, app: u64, id: &str, random: u32, ext: bool) -> u64 {
    let msg = NewGroupMsg {
        from: "a".into(),
        random,
        time: T0 + 1,
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
        support_extension: ext,
    };
    s.send_message(app, id.into(), send).await.unwrap().seq
}

fn at(id: &str, seq: u64) -> ExtTarget {
    ExtTarget::Group {
        group_id: id.into(),
        seq,
    }
}

fn items(kvs: &[(&str, &str)]) -> Vec<ExtItem> {
    kvs.iter()
        .map(|(k, v)| ExtItem {
            key: (*k).into(),
            value: (*v).into(),
        })
        .collect()
}

const KEEP: Retention = Retention::forever(T0);

#[tokio::test]
async fn group_extension_versions_and_tombstones() {
    on_every_backend(|s| async move {
        let s = &*s;
        setup(s, APP).await;
        let seq = send(s, APP, "pub", 1, true).await;
        let set =
            |op, kvs: &[(&str, &str)]| s.set_extensions(APP, at("pub", seq), op, items(kvs), KEEP);
        let p = set(ExtOp::Set, &[("a", "1"), ("b", "2")]).await.unwrap();
        assert_eq!(p.version, 1);
        let p = set(ExtOp::Delete, &[("a", ""), ("zz", "")]).await.unwrap();
        assert_eq!(p.version, 2);
        assert_eq!(p.results[1].code, Some(ErrorCode::ExtensionNotFound));
        let p = set(ExtOp::Delete, &[("zz", "")]).await.unwrap();
        assert!(!p.changed);
        let page = s
            .get_extensions(APP, at("pub", seq), 2, KEEP)
            .await
            .unwrap();
        let got: Vec<_> = page
            .kvs
            .iter()
            .map(|kv| (kv.key.as_str(), kv.value.as_str(), kv.seq, kv.deleted))
            .collect();
        assert_eq!(got, [("a", "", 2, true)]);
        assert_eq!(page.latest_seq, 2);
        let live = s
            .get_extensions(APP, at("pub", seq), 0, KEEP)
            .await
            .unwrap();
        assert_eq!(live.kvs.len(), 1);
        assert_eq!(live.kvs[0].key, "b");
        set(ExtOp::Clear, &[]).await.unwrap();
        let cleared = s
            .get_extensions(APP, at("pub", seq), 1, KEEP)
            .await
            .unwrap();
        assert!(cleared.kvs.is_empty());
        assert_eq!((cleared.latest_seq, cleared.clear_seq), (3, 3));
        let p = set(ExtOp::Set, &[("b", "again")]).await.unwrap();
        assert_eq!(p.results[0].seq, 4);
    })
    .await;
}

#[tokio::test]
async fn group_extension_refusals_and_tenancy() {
    on_every_backend(|s| async move {
        let s = &*s;
        setup(s, APP).await;
        setup(s, OTHER_APP).await;
        let seq = send(s, APP, "pub", 1, true).await;
        let plain = send(s, APP, "pub", 2, false).await;
        let get = |app, target| s.get_extensions(app, target, 0, KEEP);
        assert_eq!(
            code(get(APP, at("nope", 1)).await),
            ErrorCode::GroupNotFound
        );
        assert_eq!(
            code(get(APP, at("live", 1)).await),
            ErrorCode::GroupPermissionDenied
        );
        assert_eq!(
            code(get(APP, at("pub", plain)).await),
            ErrorCode::MsgNotFound
        );
        assert_eq!(code(get(APP, at("pub", 99)).await), ErrorCode::MsgNotFound);
        // Another app's group of the same ID has no such message.
        assert_eq!(
            code(get(OTHER_APP, at("pub", seq)).await),
            ErrorCode::MsgNotFound
        );
        s.set_extensions(APP, at("pub", seq), ExtOp::Set, items(&[("k", "v")]), KEEP)
            .await
            .unwrap();
        let oseq = send(s, OTHER_APP, "pub", 1, true).await;
        assert_eq!(oseq, seq);
        assert!(get(OTHER_APP, at("pub", oseq))
            .await
            .unwrap()
            .kvs
            .is_empty());
        // Expired messages carry none.
        let later = Retention {
            days: 1,
            now: T0 + 2 * 86_400,
        };
        assert_eq!(
            code(s.get_extensions(APP, at("pub", seq), 0, later).await),
            ErrorCode::MsgNotFound
        );
        // A recall hides them.
        s.recall_messages(APP, "pub".into(), vec![seq], KEEP, "admin".into())
            .await
            .unwrap();
        assert_eq!(code(get(APP, at("pub", seq)).await), ErrorCode::MsgNotFound);
    })
    .await;
}

fn c2c(random: u32, ext: bool) -> NewC2cMsg {
    NewC2cMsg {
        from: "a".into(),
        to: "b".into(),
        seq: 1,
        random,
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
        support_extension: ext,
    }
}

#[tokio::test]
async fn c2c_extensions() {
    on_every_backend(|s| async move {
        let s = &*s;
        setup(s, APP).await;
        let key = s.send_c2c(APP, c2c(1, true)).await.unwrap().key;
        let plain = s.send_c2c(APP, c2c(2, false)).await.unwrap().key;
        let target = |from: &str, to: &str, key| ExtTarget::C2c {
            from: from.into(),
            to: to.into(),
            key,
        };
        let p = s
            .set_extensions(
                APP,
                target("a", "b", key),
                ExtOp::Set,
                items(&[("x", "1")]),
                KEEP,
            )
            .await
            .unwrap();
        assert_eq!(p.version, 1);
        let page = s
            .get_extensions(APP, target("b", "a", key), 0, KEEP)
            .await
            .unwrap();
        assert_eq!(page.kvs.len(), 1);
        let get = |t| s.get_extensions(APP, t, 0, KEEP);
        assert_eq!(
            code(get(target("a", "b", plain)).await),
            ErrorCode::MsgNotFound
        );
        assert_eq!(
            code(get(target("a", "o", key)).await),
            ErrorCode::MsgNotFound
        );
        assert_eq!(
            code(get(target("zz", "b", key)).await),
            ErrorCode::AccountNotFound
        );
        assert_eq!(
            code(get(target("a", "zz", key)).await),
            ErrorCode::ToAccountNotFound
        );
        assert_eq!(
            code(
                s.get_extensions(OTHER_APP, target("a", "b", key), 0, KEEP)
                    .await
            ),
            ErrorCode::AccountNotFound
        );
    })
    .await;
}
