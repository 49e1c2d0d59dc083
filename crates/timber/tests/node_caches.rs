//! The per-node caches of several PostgreSQL nodes (`crates/store/src/postgres/cache.rs`):
//! whatever node A writes of the cached data (kick times, replacing keywords), node B's very
//! next request
//! answers from the new state, with no pause in between, and a node whose LISTEN connection
//! is cut drops what it cached. The data no node caches (a group's mute-all, its members) is
//! checked the same way, so that a cache added there later must keep the rule too. Skipped
//! (loudly) without `TIMBER_TEST_POSTGRES_URL`.

mod common;

use common::{text, Client, PgSchema, ServerOptions, TestApp, TestServer};
use serde_json::{json, Value};
use std::sync::Arc;

/// SigRevoked: a UserSig issued at or before the user's kick.
const REVOKED: u64 = 70052;
const CHECK: &str = "im_open_login_svc/account_check";
const SEND: &str = "group_open_http_svc/send_group_msg";

/// Two servers of the same app on one fresh schema, and the schema's URL.
async fn two_nodes() -> Option<(TestServer, TestServer, String)> {
    if std::env::var("TIMBER_TEST_POSTGRES_URL").is_err() {
        eprintln!("NOTE: TIMBER_TEST_POSTGRES_URL is not set: node cache tests SKIPPED");
        return None;
    }
    let pg: Arc<PgSchema> = PgSchema::create().await;
    let url = pg.url.clone();
    let options = ServerOptions {
        apps: vec![TestApp::random()],
        storage: Some(pg.url.clone()),
        pg: Some(pg),
        ..ServerOptions::default()
    };
    let a = TestServer::start_with(options.clone()).await;
    let b = TestServer::start_with(options).await;
    Some((a, b, url))
}

/// What `user`'s client gets from account_check: an account is no admin, so the admin rule
/// refuses it, unless the kick check (which comes first) already did.
async fn code_of(client: &Client) -> u64 {
    client.call_err(CHECK, json!({"CheckItem": []})).await.0
}

/// The code a non-admin's call gets when its UserSig holds (the admin rule's).
async fn not_admin(node: &TestServer, user: &str) -> u64 {
    let code = code_of(&node.client_for(0, user)).await;
    assert_ne!(code, REVOKED);
    code
}

async fn control(client: &Client, method: &str, path: &str, body: Option<&Value>) -> Value {
    let mut req = client.request("x").path(path).method(method);
    if let Some(body) = body {
        req = req.json(body);
    }
    req.send().await.envelope(path)
}

#[tokio::test]
async fn kick_times_written_through_one_node_hold_on_the_others_next_request() {
    let Some((a, b, _)) = two_nodes().await else {
        return;
    };
    let admin_a = a.client();
    admin_a
        .call_ok(
            "im_open_login_svc/multiaccount_import",
            json!({"Accounts": ["u", "w", "v"]}),
        )
        .await;

    // A kick. B has read u's kick time (none) and may keep it; A kicks u; B's next request
    // with u's earlier UserSig is refused.
    let u_on_b = b.client_for(0, "u");
    let allowed = not_admin(&b, "u").await;
    assert_eq!(
        code_of(&u_on_b).await,
        allowed,
        "read again, from B's cache"
    );
    admin_a
        .call_ok("im_open_login_svc/kick", json!({"UserID": "u"}))
        .await;
    assert_eq!(code_of(&u_on_b).await, REVOKED, "B sees A's kick at once");
    assert_eq!(code_of(&u_on_b).await, REVOKED);

    // A deletion. w is kicked (B refuses w's UserSig), then deleted and imported again
    // through A: the new account has no kick, so B accepts the same UserSig again.
    let w_on_b = b.client_for(0, "w");
    assert_eq!(code_of(&w_on_b).await, allowed);
    admin_a
        .call_ok("im_open_login_svc/kick", json!({"UserID": "w"}))
        .await;
    assert_eq!(code_of(&w_on_b).await, REVOKED);
    admin_a
        .call_ok(
            "im_open_login_svc/account_delete",
            json!({"DeleteItem": [{"UserID": "w"}]}),
        )
        .await;
    admin_a
        .call_ok("im_open_login_svc/account_import", json!({"UserID": "w"}))
        .await;
    assert_eq!(
        code_of(&w_on_b).await,
        allowed,
        "B forgot the kick of the deleted account"
    );

    // A kit import: the document from before v's kick replaces the app's state through A,
    // so B accepts v's UserSig again.
    let doc: Value = {
        let reply = admin_a
            .request("x")
            .path("/_timber/export")
            .method("GET")
            .send()
            .await;
        assert_eq!(reply.status, 200);
        serde_json::from_str(&reply.text).unwrap()
    };
    let v_on_b = b.client_for(0, "v");
    admin_a
        .call_ok("im_open_login_svc/kick", json!({"UserID": "v"}))
        .await;
    assert_eq!(code_of(&v_on_b).await, REVOKED);
    let imported = control(&admin_a, "POST", "/_timber/import", Some(&doc)).await;
    assert_eq!(imported["ErrorCode"], 0, "{imported}");
    assert_eq!(code_of(&v_on_b).await, allowed, "B sees A's import at once");

    // A kit reset through A forgets every kick (and account): B accepts u's old UserSig.
    assert_eq!(code_of(&u_on_b).await, REVOKED);
    let reset = control(&admin_a, "POST", "/_timber/reset", None).await;
    assert_eq!(reset["ErrorCode"], 0, "{reset}");
    assert_eq!(code_of(&u_on_b).await, allowed, "B sees A's reset at once");

    // And the other way round: B kicks, A's next request refuses.
    let u_on_a = a.client_for(0, "u");
    b.client()
        .call_ok("im_open_login_svc/account_import", json!({"UserID": "u"}))
        .await;
    assert_eq!(code_of(&u_on_a).await, allowed);
    b.client()
        .call_ok("im_open_login_svc/kick", json!({"UserID": "u"}))
        .await;
    assert_eq!(code_of(&u_on_a).await, REVOKED, "A sees B's kick at once");
}

/// B's LISTEN connection is cut: B empties its cache and takes no lease before it is back,
/// so a kick through A meanwhile is seen by B's next request (and A's kick waits for B's
/// acknowledgement or the end of its lease, never longer).
#[tokio::test]
async fn a_node_whose_listener_is_cut_drops_its_cache() {
    let Some((a, b, url)) = two_nodes().await else {
        return;
    };
    a.client()
        .call_ok(
            "im_open_login_svc/multiaccount_import",
            json!({"Accounts": ["u", "x"]}),
        )
        .await;
    let u_on_b = b.client_for(0, "u");
    let allowed = not_admin(&b, "u").await;
    assert_eq!(code_of(&u_on_b).await, allowed);

    // Both nodes hold a lease: two rows of cache_nodes.
    let nodes = nodes(&url).await;
    assert_eq!(nodes.len(), 2, "{nodes:?}");
    // Cut every listener of this schema's nodes (A's too), then kick at once through A.
    let cut = format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
         WHERE application_name IN ({})",
        nodes
            .iter()
            .map(|n| format!("'timber-cache {n}'"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    timber_store::postgres::testing::execute(&url, &cut)
        .await
        .unwrap();
    let started = std::time::Instant::now();
    a.client()
        .call_ok("im_open_login_svc/kick", json!({"UserID": "u"}))
        .await;
    assert!(
        started.elapsed() < std::time::Duration::from_secs(6),
        "a kick waits at most for a lease to end: {:?}",
        started.elapsed()
    );
    assert_eq!(code_of(&u_on_b).await, REVOKED, "B sees the kick at once");

    // The listeners came back: B caches again, and again sees A's next kick.
    let x_on_b = b.client_for(0, "x");
    assert_eq!(code_of(&x_on_b).await, allowed);
    assert_eq!(code_of(&x_on_b).await, allowed);
    a.client()
        .call_ok("im_open_login_svc/kick", json!({"UserID": "x"}))
        .await;
    assert_eq!(code_of(&x_on_b).await, REVOKED);
}

/// The nodes holding a lease, by name.
async fn nodes(url: &str) -> Vec<String> {
    timber_store::postgres::testing::query_texts(
        url,
        "SELECT node FROM cache_nodes
         WHERE until_ms > (extract(epoch FROM clock_timestamp()) * 1000)::bigint",
    )
    .await
    .unwrap()
}

/// Group metadata is not cached (a send reads it under the group's row lock anyway); a
/// change through A still holds on B's next request.
#[tokio::test]
async fn group_changes_through_one_node_hold_on_the_others_next_send() {
    let Some((a, b, _)) = two_nodes().await else {
        return;
    };
    let (on_a, on_b) = (a.client(), b.client());
    on_a.call_ok(
        "im_open_login_svc/multiaccount_import",
        json!({"Accounts": ["o", "m", "n"]}),
    )
    .await;
    on_a.call_ok(
        "group_open_http_svc/create_group",
        json!({"Type": "Public", "GroupId": "g", "Name": "g", "Owner_Account": "o",
               "MemberList": [{"Member_Account": "m"}, {"Member_Account": "n"}]}),
    )
    .await;
    let send = |from: &str, random: u32| json!({"GroupId": "g", "From_Account": from, "Random": random, "MsgBody": text("hi")});
    on_b.call_ok(SEND, send("m", 1)).await;

    // Mute-all through A: B refuses the member's next send.
    on_a.call_ok(
        "group_open_http_svc/modify_group_base_info",
        json!({"GroupId": "g", "ShutUpAllMember": "On"}),
    )
    .await;
    let (code, _) = on_b.call_err(SEND, send("m", 2)).await;
    assert_eq!(code, 10017, "muted on B at once");
    on_a.call_ok(
        "group_open_http_svc/modify_group_base_info",
        json!({"GroupId": "g", "ShutUpAllMember": "Off"}),
    )
    .await;
    on_b.call_ok(SEND, send("m", 3)).await;

    // A member removed through A cannot send through B.
    on_b.call_ok(SEND, send("n", 4)).await;
    on_a.call_ok(
        "group_open_http_svc/delete_group_member",
        json!({"GroupId": "g", "MemberToDel_Account": ["n"], "Silence": 1}),
    )
    .await;
    let (code, _) = on_b.call_err(SEND, send("n", 5)).await;
    assert_eq!(code, 10007, "removed on B at once");
}

/// The newest stored text of group `g`, read through `node`.
async fn newest_text(node: &TestServer) -> String {
    let r = node
        .client()
        .call_ok(
            "group_open_http_svc/group_msg_get_simple",
            json!({"GroupId": "g", "ReqMsgNumber": 1}),
        )
        .await;
    r["RspMsgList"][0]["MsgBody"][0]["MsgContent"]["Text"]
        .as_str()
        .unwrap_or_else(|| panic!("{r}"))
        .to_owned()
}

/// The replacing keywords a send masks are cached per node: a keyword added through A is
/// masked in B's very next send, and one deleted through B no longer in A's.
#[tokio::test]
async fn replacing_keywords_changed_through_one_node_hold_on_the_others_next_send() {
    let Some((a, b, _)) = two_nodes().await else {
        return;
    };
    let app = a.apps[0].sdkappid;
    let (on_a, on_b) = (a.client(), b.client());
    on_a.call_ok(
        "group_open_http_svc/create_group",
        json!({"Type": "Public", "GroupId": "g", "Name": "g"}),
    )
    .await;
    let send = |random: u32| json!({"GroupId": "g", "Random": random, "MsgBody": text("oh darn")});
    // Both nodes have read (and may keep) the app's replacing keywords: none.
    on_a.call_ok(SEND, send(1)).await;
    on_b.call_ok(SEND, send(2)).await;
    on_b.call_ok(SEND, send(3)).await;
    assert_eq!(newest_text(&a).await, "oh darn");

    on_a.call_ok(
        "im_msg_audit_mgr/add_local_audit_keywords",
        json!({"SdkAppId": app, "LocalAuditWords": [
            {"Keyword": "darn", "WordType": 1, "FilterType": 1}]}),
    )
    .await;
    on_b.call_ok(SEND, send(4)).await;
    assert_eq!(newest_text(&a).await, "oh ****", "masked on B at once");
    on_a.call_ok(SEND, send(5)).await;
    assert_eq!(newest_text(&b).await, "oh ****");

    on_b.call_ok(
        "im_msg_audit_mgr/delete_local_audit_keywords",
        json!({"SdkAppId": app, "LocalAuditWords": [{"Keyword": "darn"}]}),
    )
    .await;
    on_a.call_ok(SEND, send(6)).await;
    assert_eq!(newest_text(&b).await, "oh darn", "unmasked on A at once");
}
