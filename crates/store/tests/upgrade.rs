//! Databases made before SQLite and PostgreSQL shared one schema definition upgrade in place:
//! their schemas (copied under `fixtures/` from that version's migrations) with data in them
//! are opened by this version, which keeps the data and goes on numbering messages.

use std::sync::Arc;
use timber_core::message::{NewGroupMsg, SendMsg, SlotState, DEFAULT_PRIORITY};
use timber_core::profile::{ProfileItem, TagValue, NICK};
use timber_store::messages::HistoryQuery;
use timber_store::postgres::{testing, PgStore};
use timber_store::sqlite::SqliteStore;
use timber_store::Store;

const APP: u64 = 1400000001;

/// A group `g` owned by `a` (nicknamed `Ann`) with one message, as the old schema stored it.
const DATA: &str = "
    INSERT INTO accounts (app, user_id, nick, created_at) VALUES (1400000001, 'a', 'Ann', 1);
    INSERT INTO groups (gkey, app, group_id, type, name, create_time, last_info_time,
        max_member_num, apply_join_option, owner, next_msg_seq, member_num, last_msg_time)
        VALUES (7, 1400000001, 'g', 'Public', 'n', 1, 1, 100, 'FreeAccess', 'a', 2, 1, 5);
    INSERT INTO group_members (app, gkey, user_id, role, join_time, join_seq, msg_flag)
        VALUES (1400000001, 7, 'a', 1, 1, 1, 'AcceptAndNotify');
    INSERT INTO group_messages (app, gkey, seq, sender, random, time, priority, state,
        is_system, body) VALUES (1400000001, 7, 1, 'a', 9, 5, 2, 0, FALSE, '[]');
";

/// The data is all there and the next message takes seq 2.
async fn check_upgraded(store: Arc<dyn Store>) {
    let found = store.accounts_exist(APP, vec!["a".into()]).await.unwrap();
    assert_eq!(found, vec![true]);
    // The nickname moved from the accounts table into the profile.
    let profile = store.get_portraits(APP, vec!["a".into()]).await.unwrap();
    let nick = ProfileItem::new(NICK, TagValue::Str("Ann".into()));
    assert_eq!(profile[0].1, Some(vec![nick]));
    let groups = store.get_groups(APP, vec!["g".into()], true).await.unwrap();
    let g = groups[0].as_ref().expect("the group survives the upgrade");
    assert_eq!((g.group.next_msg_seq, g.members.len()), (2, 1));
    let msg = NewGroupMsg {
        from: "a".into(),
        random: 10,
        time: timber_core::now_secs(),
        priority: DEFAULT_PRIORITY,
        state: SlotState::Normal,
        is_system: false,
        body: r#"[{"MsgType":"TIMTextElem","MsgContent":{"Text":"hi"}}]"#.into(),
        cloud_custom_data: None,
        to_accounts: Vec::new(),
    };
    let send = SendMsg {
        msg,
        sender_is_admin: false,
        no_last_msg: false,
        callback: None,
        support_extension: false,
    };
    let sent = store.send_message(APP, "g".into(), send).await.unwrap();
    assert_eq!(sent.seq, 2);
    let query = HistoryQuery {
        req_seq: None,
        req_number: 20,
        with_recalled: false,
    };
    let retention = timber_core::message::Retention::forever(0);
    let page = store
        .history(APP, "g".into(), query, retention)
        .await
        .unwrap();
    assert_eq!(page.entries.len(), 2);
    // The one-to-one tables came with the upgrade.
    let c2c = timber_core::c2c::NewC2cMsg {
        from: "a".into(),
        to: "a".into(),
        seq: 1,
        random: 2,
        time: timber_core::now_secs(),
        body: "[]".into(),
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
    let sent = store.send_c2c(APP, c2c).await.unwrap();
    assert!(!sent.duplicate);
    // So did the official-account and chatbot tables (migration 16).
    store
        .create_robot(
            APP,
            timber_store::official::NewRobot {
                user: "@RBT#bot".into(),
                operator: "admin".into(),
                items: vec![],
                custom: Default::default(),
                now: 1,
            },
        )
        .await
        .unwrap();
    assert_eq!(store.robots(APP).await.unwrap(), ["@RBT#bot"]);
    assert_eq!(
        store.officials(APP, vec!["@TOA#_x".into()]).await.unwrap(),
        [None]
    );
    store.close().await;
}

#[tokio::test]
async fn a_sqlite_file_of_the_previous_schema_opens_with_its_data() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("timber.db");
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(include_str!("fixtures/sqlite_v3.sql"))
        .unwrap();
    conn.execute_batch("PRAGMA user_version = 3").unwrap();
    conn.execute_batch(DATA).unwrap();
    drop(conn);
    check_upgraded(Arc::new(SqliteStore::open(&path).unwrap())).await;
}

/// PostgreSQL counted its migrations apart and its first held two of today's: version 1 of
/// the old count is 2 now, 2 is 3.
#[tokio::test]
async fn a_postgres_schema_of_the_previous_count_upgrades_in_place() {
    let Ok(base) = std::env::var("TIMBER_TEST_POSTGRES_URL") else {
        eprintln!("NOTE: TIMBER_TEST_POSTGRES_URL is not set: PostgreSQL upgrade test SKIPPED");
        return;
    };
    for old_version in [1, 2] {
        let (url, schema) = testing::fresh_schema(&base).await.unwrap();
        let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
            .await
            .unwrap();
        let task = tokio::spawn(conn);
        let mut old = include_str!("fixtures/postgres_v1.sql").to_owned();
        if old_version == 2 {
            old.push_str(include_str!("fixtures/postgres_v2.sql"));
        }
        client.batch_execute(&old).await.unwrap();
        client
            .batch_execute(&format!(
                "CREATE TABLE timber_schema (version BIGINT NOT NULL);
                 INSERT INTO timber_schema (version) VALUES ({old_version});
                 SELECT setval('group_keys', 7);"
            ))
            .await
            .unwrap();
        client.batch_execute(DATA).await.unwrap();
        check_upgraded(Arc::new(PgStore::connect(&url).await.unwrap())).await;
        let version: i64 = client
            .query_one("SELECT version FROM schema_version", &[])
            .await
            .unwrap()
            .get(0);
        assert_eq!(version, 21, "from old version {old_version} to the newest");
        let index = client
            .query_one(
                "SELECT indexdef FROM pg_indexes
                 WHERE schemaname = current_schema() AND indexname = 'group_messages_by_random'",
                &[],
            )
            .await
            .unwrap();
        let index: String = index.get(0);
        assert!(
            index.contains("\"time\"") || index.contains("time)"),
            "{index}"
        );
        drop(client);
        let _ = task.await;
        testing::drop_schema(&base, &schema).await.unwrap();
    }
}
