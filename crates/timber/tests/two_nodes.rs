//! Two timber processes on one PostgreSQL database, as behind a load balancer: every MsgSeq
//! is unique and gap-free when both take messages for one group at once, and whatever one
//! node writes, the other answers at once — no node caches anything that can go stale.
//! Skipped (loudly) without `TIMBER_TEST_POSTGRES_URL`; the Unix socket's test also needs
//! `TIMBER_TEST_POSTGRES_SOCKET_URL`.

mod common;

use common::{
    history_seqs, next_msg_seq, text, Client, PgSchema, ServerOptions, TestApp, TestServer,
};
use serde_json::json;
use std::sync::Arc;

const SEND: &str = "group_open_http_svc/send_group_msg";

/// Two servers hosting the same app on the same fresh schema.
async fn two_nodes() -> Option<(TestServer, TestServer)> {
    if std::env::var("TIMBER_TEST_POSTGRES_URL").is_err() {
        eprintln!("NOTE: TIMBER_TEST_POSTGRES_URL is not set: two-node tests SKIPPED");
        return None;
    }
    let pg: Arc<PgSchema> = PgSchema::create().await;
    let app = TestApp::random();
    let options = ServerOptions {
        apps: vec![app],
        storage: Some(pg.url.clone()),
        pg: Some(pg),
        ..ServerOptions::default()
    };
    let a = TestServer::start_with(options.clone()).await;
    let b = TestServer::start_with(options).await;
    Some((a, b))
}

/// A node on the same machine as PostgreSQL may connect through its Unix socket (README,
/// Sizing PostgreSQL): one node on TCP and one on the socket share the database, each
/// answering at once what the other wrote. Skipped (loudly) without
/// `TIMBER_TEST_POSTGRES_SOCKET_URL` (the socket's URL, `.ci/run` sets it).
#[tokio::test]
async fn a_node_on_the_unix_socket_shares_the_database_with_one_on_tcp() {
    let Ok(socket) = std::env::var("TIMBER_TEST_POSTGRES_SOCKET_URL") else {
        eprintln!("NOTE: TIMBER_TEST_POSTGRES_SOCKET_URL is not set: Unix socket test SKIPPED");
        return;
    };
    assert!(
        std::env::var("TIMBER_TEST_POSTGRES_URL").is_ok(),
        "TIMBER_TEST_POSTGRES_URL must be set beside TIMBER_TEST_POSTGRES_SOCKET_URL"
    );
    let pg: Arc<PgSchema> = PgSchema::create().await;
    let app = TestApp::random();
    let on = |url: String| ServerOptions {
        apps: vec![app.clone()],
        storage: Some(url),
        pg: Some(pg.clone()),
        ..ServerOptions::default()
    };
    let tcp = TestServer::start_with(on(pg.url.clone())).await;
    let unix = TestServer::start_with(on(pg.url_on(&socket))).await;
    let (on_tcp, on_unix) = (tcp.client(), unix.client());
    on_unix
        .call_ok(
            "group_open_http_svc/create_group",
            json!({"Type": "Public", "GroupId": "g", "Name": "g"}),
        )
        .await;
    for (i, client) in [&on_tcp, &on_unix, &on_tcp].into_iter().enumerate() {
        let sent = client
            .call_ok(
                SEND,
                json!({"GroupId": "g", "Random": i, "MsgBody": text("hi")}),
            )
            .await;
        assert_eq!(sent["MsgSeq"], i + 1);
    }
    for client in [&on_tcp, &on_unix] {
        let page = client
            .call_ok(
                "group_open_http_svc/group_msg_get_simple",
                json!({"GroupId": "g", "ReqMsgNumber": 20}),
            )
            .await;
        assert_eq!(history_seqs(&page), [3, 2, 1]);
    }
}

async fn unread(admin: &Client, member: &str) -> u64 {
    let r = admin
        .call_ok(
            "group_open_http_svc/get_joined_group_list",
            json!({"Member_Account": member, "ResponseFilter": {"SelfInfoFilter": ["UnreadMsgNum"]}}),
        )
        .await;
    r["GroupIdList"][0]["SelfInfo"]["UnreadMsgNum"]
        .as_u64()
        .unwrap()
}

#[tokio::test]
async fn sends_through_both_nodes_get_unique_gap_free_seqs() {
    let Some((a, b)) = two_nodes().await else {
        return;
    };
    let (on_a, on_b) = (a.client(), b.client());
    // Written on A, used on B at once.
    on_a.call_ok(
        "im_open_login_svc/multiaccount_import",
        json!({"Accounts": ["o", "m"]}),
    )
    .await;
    on_b.call_ok(
        "group_open_http_svc/create_group",
        json!({"Type": "Public", "GroupId": "g", "Name": "g", "Owner_Account": "o"}),
    )
    .await;
    let added = on_a
        .call_ok(
            "group_open_http_svc/add_group_member",
            json!({"GroupId": "g", "MemberList": [{"Member_Account": "m"}], "Silence": 1}),
        )
        .await;
    assert_eq!(added["MemberList"][0]["Result"], 1);

    let per_node = 60u32;
    let mut sends = Vec::new();
    for (i, client) in [on_a.clone(), on_b.clone()].into_iter().enumerate() {
        for n in 0..per_node {
            let client = client.clone();
            let random = i as u32 * 1_000 + n;
            sends.push(tokio::spawn(async move {
                let r = client
                    .call_ok(SEND, json!({"GroupId": "g", "From_Account": "m", "Random": random, "MsgBody": text("hi")}))
                    .await;
                r["MsgSeq"].as_u64().unwrap()
            }));
        }
    }
    let mut seqs = Vec::new();
    for s in sends {
        seqs.push(s.await.unwrap());
    }
    seqs.sort_unstable();
    let total = 2 * u64::from(per_node);
    assert_eq!(
        seqs,
        (1..=total).collect::<Vec<_>>(),
        "unique and gap-free across nodes"
    );
    assert_eq!(next_msg_seq(&on_a, "g").await, total + 1);
    assert_eq!(next_msg_seq(&on_b, "g").await, total + 1);

    // A clear through A is honoured by B's next read: the member's unread count drops to 0.
    assert_eq!(unread(&on_b, "m").await, total);
    on_a.call_ok(
        "group_open_http_svc/clear_group_msg",
        json!({"GroupId": "g"}),
    )
    .await;
    assert_eq!(unread(&on_b, "m").await, 0);
}

#[tokio::test]
async fn kicks_deletes_and_destroys_on_one_node_hold_on_the_other() {
    let Some((a, b)) = two_nodes().await else {
        return;
    };
    let (on_a, on_b) = (a.client(), b.client());
    on_a.call_ok("im_open_login_svc/account_import", json!({"UserID": "x"}))
        .await;
    let seen = on_b
        .call_ok(
            "im_open_login_svc/account_check",
            json!({"CheckItem": [{"UserID": "x"}]}),
        )
        .await;
    assert_eq!(seen["ResultItem"][0]["AccountStatus"], "Imported");

    // B verifies (and caches) the admin's signature, A kicks the admin: B must refuse it.
    on_b.call_ok("im_open_login_svc/account_check", json!({"CheckItem": []}))
        .await;
    on_a.call_ok("im_open_login_svc/kick", json!({"UserID": "administrator"}))
        .await;
    let (code, _) = on_b
        .call_err("im_open_login_svc/account_check", json!({"CheckItem": []}))
        .await;
    assert_eq!(
        code, 70052,
        "a kick on one node invalidates earlier UserSigs on the other"
    );

    // Fresh signatures (issued after the kick's second) work on both.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let (on_a, on_b) = (a.client(), b.client());
    on_a.call_ok(
        "group_open_http_svc/create_group",
        json!({"Type": "Public", "GroupId": "d", "Name": "d"}),
    )
    .await;
    on_b.call_ok("group_open_http_svc/destroy_group", json!({"GroupId": "d"}))
        .await;
    let (code, _) = on_a
        .call_err("group_open_http_svc/destroy_group", json!({"GroupId": "d"}))
        .await;
    assert_eq!(code, 10010);

    on_b.call_ok(
        "im_open_login_svc/account_delete",
        json!({"DeleteItem": [{"UserID": "x"}]}),
    )
    .await;
    let seen = on_a
        .call_ok(
            "im_open_login_svc/account_check",
            json!({"CheckItem": [{"UserID": "x"}]}),
        )
        .await;
    assert_eq!(seen["ResultItem"][0]["AccountStatus"], "NotImported");
}
