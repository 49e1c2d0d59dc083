//! The console's admin endpoints over HTTP (README, Console): the paged lists, acting as a
//! member, the live feed of events, and what `/metrics` says of them, with every documented
//! refusal.

mod common;

use axum::routing::post;
use axum::Router;
use common::{import_accounts, text, Client, ServerOptions, TestServer};
use serde_json::{json, Value};
use std::time::Duration;

async fn get(client: &Client, path: &str, params: &[(&str, &str)]) -> Value {
    let mut req = client.request("x").path(path).method("GET");
    for (k, v) in params {
        req = req.param(k, v);
    }
    req.send().await.envelope(path)
}

async fn act(client: &Client, who: &str, method: &str, params: Value) -> Value {
    client
        .request("x")
        .path("/_timber/act")
        .param("as", who)
        .json(&json!({"method": method, "params": params}))
        .send()
        .await
        .envelope("act")
}

async fn group(admin: &Client, id: &str, ty: &str, members: &[&str]) {
    let list: Vec<Value> = members
        .iter()
        .map(|m| json!({"Member_Account": m}))
        .collect();
    admin
        .call_ok(
            "group_open_http_svc/create_group",
            json!({"Type": ty, "GroupId": id, "Name": id, "Owner_Account": "alice",
                   "ApplyJoinOption": "FreeAccess", "MemberList": list}),
        )
        .await;
}

#[tokio::test]
async fn lists_are_paged_and_searched_on_the_server() {
    let server = TestServer::start().await;
    let admin = server.client();
    let users: Vec<String> = (0..7).map(|i| format!("user{i}")).collect();
    import_accounts(&admin, &users).await;
    import_accounts(&admin, &["alice", "bob"]).await;
    for i in 0..5 {
        group(&admin, &format!("pub-{i}"), "Public", &[]).await;
    }
    group(&admin, "priv-0", "Private", &["bob"]).await;
    admin
        .call_ok(
            "group_open_http_svc/clear_group_msg",
            json!({"GroupId": "pub-1", "MsgSeq": 0}),
        )
        .await;

    // Accounts: by prefix, three at a time, in UserID order, with the app's total.
    let mut seen = Vec::new();
    let mut after = String::new();
    loop {
        let page = get(
            &admin,
            "/_timber/accounts",
            &[("prefix", "user"), ("limit", "3"), ("after", &after)],
        )
        .await;
        assert_eq!(page["Total"], 10, "{page}"); // 7 + alice, bob, administrator
        for a in page["Accounts"].as_array().unwrap() {
            seen.push(a["UserID"].as_str().unwrap().to_owned());
        }
        match page["Next"].as_str() {
            Some(next) => after = next.to_owned(),
            None => break,
        }
    }
    assert_eq!(seen, users);

    // Groups: a type, a prefix, and the head and watermark of each.
    let page = get(&admin, "/_timber/groups", &[("type", "Private")]).await;
    let ids: Vec<&str> = page["Groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["GroupId"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["priv-0"]);
    assert_eq!(page["Groups"][0]["MemberNum"], 2);
    assert_eq!(page["Total"], 6);
    let page = get(
        &admin,
        "/_timber/groups",
        &[("prefix", "pub-"), ("limit", "2")],
    )
    .await;
    assert_eq!(page["Groups"].as_array().unwrap().len(), 2);
    assert_eq!(page["Next"], "pub-1");
    let page = get(
        &admin,
        "/_timber/groups",
        &[("prefix", "pub-"), ("limit", "2"), ("after", "pub-1")],
    )
    .await;
    assert_eq!(page["Groups"][0]["GroupId"], "pub-2");
    let one = get(&admin, "/_timber/groups", &[("prefix", "pub-1")]).await;
    assert_eq!(one["Groups"][0]["NextMsgSeq"], 1, "{one}");

    // One-to-one conversations, of one account or all.
    for (from, to) in [("alice", "bob"), ("bob", "user0"), ("user1", "user2")] {
        admin
            .call_ok(
                "openim/sendmsg",
                json!({"From_Account": from, "To_Account": to, "MsgRandom": 1, "MsgBody": text("hi")}),
            )
            .await;
    }
    let page = get(&admin, "/_timber/c2c", &[("user", "bob")]).await;
    assert_eq!(page["Conversations"].as_array().unwrap().len(), 2, "{page}");
    assert_eq!(page["Total"], 3);
    let page = get(&admin, "/_timber/c2c", &[("limit", "2")]).await;
    let next = page["Next"].as_u64().expect("a next page");
    let rest = get(&admin, "/_timber/c2c", &[("after", &next.to_string())]).await;
    assert_eq!(rest["Conversations"][0]["UserA"], "user1");

    // Refusals: a limit out of 1..=200, a bad type or cursor (60002); a user who is not an
    // admin (60010); a bad UserSig (70003).
    for (path, params) in [
        ("/_timber/accounts", vec![("limit", "0")]),
        ("/_timber/accounts", vec![("limit", "201")]),
        ("/_timber/groups", vec![("limit", "many")]),
        ("/_timber/groups", vec![("type", "Secret")]),
        ("/_timber/c2c", vec![("after", "x")]),
    ] {
        let r = get(&admin, path, &params).await;
        assert_eq!(r["ErrorCode"], 60002, "{path} {params:?}: {r}");
    }
    let user = server.client_for(0, "bob");
    for path in [
        "/_timber/accounts",
        "/_timber/groups",
        "/_timber/c2c",
        "/_timber/events",
    ] {
        let r = get(&user, path, &[]).await;
        assert_eq!(r["ErrorCode"], 60010, "{path}: {r}");
        let r = get(&admin.with_sig("nope"), path, &[]).await;
        assert_eq!(r["ErrorCode"], 70003, "{path}: {r}");
    }
}

/// A callback receiver answering OK; its URL.
async fn receiver() -> String {
    let app = Router::new().route(
        "/cb",
        post(|| async {
            json!({"ActionStatus": "OK", "ErrorCode": 0, "ErrorInfo": ""}).to_string()
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/cb", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

#[tokio::test]
async fn acting_as_a_member_follows_the_member_rules() {
    let url = receiver().await;
    let server = TestServer::start_with(ServerOptions::calling_back(&url, "")).await;
    let admin = server.client();
    import_accounts(&admin, &["alice", "bob", "carol"]).await;
    group(&admin, "room", "Public", &["bob"]).await;

    let sent = act(
        &admin,
        "bob",
        "sendMessage",
        json!({"groupID": "room", "msgBody": text("from bob")}),
    )
    .await;
    assert_eq!(sent["ErrorCode"], 0, "{sent}");
    let seq = sent["Result"]["msgSeq"].as_u64().unwrap_or(1);
    let stored = admin
        .call_ok(
            "group_open_http_svc/group_msg_get_simple",
            json!({"GroupId": "room", "ReqMsgNumber": 1}),
        )
        .await;
    assert_eq!(stored["RspMsgList"][0]["From_Account"], "bob");
    assert_eq!(stored["RspMsgList"][0]["MsgSeq"], seq);
    // The member's view, and their own clear.
    let seen = act(
        &admin,
        "bob",
        "getGroupHistoryMessageList",
        json!({"groupID": "room"}),
    )
    .await;
    assert_eq!(
        seen["Result"]["messages"].as_array().unwrap().len(),
        1,
        "{seen}"
    );
    let cleared = act(
        &admin,
        "bob",
        "clearGroupHistoryMessage",
        json!({"groupID": "room"}),
    )
    .await;
    assert_eq!(cleared["Result"]["clearSeq"], seq);
    let seen = act(
        &admin,
        "bob",
        "getGroupHistoryMessageList",
        json!({"groupID": "room"}),
    )
    .await;
    assert_eq!(seen["Result"]["messages"], json!([]), "{seen}");
    // Join, then carol may not recall bob's message (the member rules' code).
    let joined = act(&admin, "carol", "joinGroup", json!({"groupID": "room"})).await;
    assert_eq!(joined["ErrorCode"], 0, "{joined}");
    let r = act(
        &admin,
        "carol",
        "revokeMessage",
        json!({"groupID": "room", "msgSeq": seq}),
    )
    .await;
    assert_eq!(r["ActionStatus"], "FAIL");
    assert_ne!(r["ErrorCode"], 0, "{r}");

    // A callback the member's send caused is recorded.
    let log = get(&admin, "/_timber/callbacks", &[]).await;
    assert!(
        log["Attempts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["Command"] == "Group.CallbackAfterSendMsg"),
        "{log}"
    );

    // Refusals: no such account (70107); no `as` (60002); a body that is not JSON (60003);
    // an unknown method and bad params (60002, with the member protocol's JSON-RPC code);
    // not an admin (60010).
    let r = act(&admin, "nobody", "getLoginUser", json!({})).await;
    assert_eq!(r["ErrorCode"], 70107, "{r}");
    let r = admin
        .request("x")
        .path("/_timber/act")
        .json(&json!({"method": "getLoginUser"}))
        .send()
        .await
        .envelope("act");
    assert_eq!(r["ErrorCode"], 60002, "{r}");
    let r = admin
        .request("x")
        .path("/_timber/act")
        .param("as", "bob")
        .body("{")
        .send()
        .await
        .envelope("act");
    assert_eq!(r["ErrorCode"], 60003, "{r}");
    let r = act(&admin, "bob", "noSuchMethod", json!({})).await;
    assert_eq!(
        (r["ErrorCode"].as_u64(), r["RpcCode"].as_i64()),
        (Some(60002), Some(-32601)),
        "{r}"
    );
    let r = act(&admin, "bob", "sendMessage", json!({"groupID": "room"})).await;
    assert_eq!(
        (r["ErrorCode"].as_u64(), r["RpcCode"].as_i64()),
        (Some(60002), Some(-32602)),
        "{r}"
    );
    let r = act(
        &server.client_for(0, "bob"),
        "bob",
        "getLoginUser",
        json!({}),
    )
    .await;
    assert_eq!(r["ErrorCode"], 60010, "{r}");
    let me = act(&admin, "bob", "getLoginUser", json!({})).await;
    assert_eq!(me["Result"]["userID"], "bob");
}

#[tokio::test]
async fn the_event_stream_carries_every_change_and_metrics_count_it() {
    let url = receiver().await;
    let server = TestServer::start_with(ServerOptions::calling_back(&url, "")).await;
    let admin = server.client();
    import_accounts(&admin, &["alice", "bob"]).await;
    group(&admin, "room", "Public", &["bob"]).await;

    let http = reqwest::Client::new();
    let mut resp = http
        .get(admin.request("x").path("/_timber/events").url())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/event-stream"));
    // The stream is open once its first comment arrived.
    let first = resp.chunk().await.unwrap().unwrap();
    assert!(
        String::from_utf8_lossy(&first).contains(": timber"),
        "{first:?}"
    );

    let (_, metrics) = server.get("/metrics").await;
    assert!(
        metrics.lines().any(|l| l == "timber_console_streams 1"),
        "{metrics}"
    );

    admin
        .call_ok(
            "group_open_http_svc/send_group_msg",
            json!({"GroupId": "room", "From_Account": "alice", "Random": 5, "MsgBody": text("live")}),
        )
        .await;
    act(
        &admin,
        "bob",
        "clearGroupHistoryMessage",
        json!({"groupID": "room"}),
    )
    .await;
    let mut got = String::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !(got.contains("onRecvNewMessage") && got.contains("onGroupHistoryCleared")) {
        let chunk = tokio::time::timeout_at(deadline, resp.chunk())
            .await
            .expect("events in time")
            .unwrap()
            .expect("the stream stays open");
        got.push_str(&String::from_utf8_lossy(&chunk));
    }
    let events: Vec<Value> = got
        .lines()
        .filter_map(|l| l.strip_prefix("data: "))
        .map(|d| serde_json::from_str(d).unwrap())
        .collect();
    let message = events
        .iter()
        .find(|e| e["frame"]["method"] == "onRecvNewMessage")
        .unwrap();
    assert_eq!(message["frame"]["params"]["groupID"], "room");
    assert_eq!(
        message["frame"]["params"]["message"]["MsgBody"][0]["MsgContent"]["Text"],
        "live"
    );
    let cleared = events
        .iter()
        .find(|e| e["frame"]["method"] == "onGroupHistoryCleared")
        .unwrap();
    assert_eq!(cleared["member"], "bob", "{cleared}");

    // Closed: the gauge goes back to 0.
    drop(resp);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let (_, metrics) = server.get("/metrics").await;
        if metrics.lines().any(|l| l == "timber_console_streams 0") {
            // The store's gauges and the callbacks' counts and latencies are there too.
            let store = if server.on_postgres() {
                [
                    "timber_store_pool_connections{state=\"in_use\"}",
                    "timber_store_pool_max_connections",
                ]
            } else {
                [
                    "timber_store_writer_queue",
                    "timber_store_writer_last_batch",
                ]
            };
            for name in store {
                assert!(
                    metrics.lines().any(|l| l.starts_with(name)),
                    "{name} missing:\n{metrics}"
                );
            }
            assert!(
                metrics.lines().any(|l| {
                    l
                == "timber_callbacks_total{command=\"Group.CallbackAfterSendMsg\",outcome=\"ok\"} 1"
                }),
                "{metrics}"
            );
            assert!(metrics.lines().any(|l| l
                .starts_with("timber_callback_duration_seconds_count{command=\"Group.CallbackBeforeSendMsg\"} 1")),
                "{metrics}");
            assert!(metrics.contains("# TYPE timber_callback_duration_seconds histogram"));
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the stream never closed:\n{metrics}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
