//! The emulator kit with several apps: an export of one app imported into another on the
//! same server (the internal keys of groups and conversations must not collide with the
//! first app's), a seed file holding several apps, and `/_timber/import` given several.

mod common;

use common::{ServerOptions, TestApp, TestServer};
use serde_json::{json, Value};

async fn export(client: &common::Client) -> Value {
    let reply = client
        .request("x")
        .path("/_timber/export")
        .method("GET")
        .send()
        .await;
    assert_eq!(reply.status, 200);
    serde_json::from_str(&reply.text).unwrap()
}

async fn import(client: &common::Client, doc: &Value) -> Value {
    client
        .request("x")
        .path("/_timber/import")
        .json(doc)
        .send()
        .await
        .envelope("import")
}

/// Accounts, a group with three messages and a C2C message; returns the group's id.
async fn populate(admin: &common::Client, tag: &str) -> String {
    admin
        .call_ok(
            "im_open_login_svc/multiaccount_import",
            json!({"Accounts": ["alice", "bob"]}),
        )
        .await;
    let g = admin
        .call_ok(
            "group_open_http_svc/create_group",
            json!({"Type": "Public", "Name": "g", "Owner_Account": "alice",
                   "MemberList": [{"Member_Account": "bob"}]}),
        )
        .await["GroupId"]
        .as_str()
        .unwrap()
        .to_owned();
    for i in 0..3 {
        send(admin, &g, &format!("{tag}{i}")).await;
    }
    admin
        .call_ok(
            "openim/sendmsg",
            json!({"From_Account": "alice", "To_Account": "bob", "MsgRandom": 7,
                   "MsgBody": common::text(&format!("{tag} hi"))}),
        )
        .await;
    g
}

async fn send(admin: &common::Client, g: &str, text: &str) {
    admin
        .call_ok(
            "group_open_http_svc/send_group_msg",
            json!({"GroupId": g, "From_Account": "alice", "Random": common::random_u32(),
                   "MsgBody": common::text(text)}),
        )
        .await;
}

async fn history(admin: &common::Client, g: &str) -> Vec<String> {
    let r = admin
        .call_ok(
            "group_open_http_svc/group_msg_get_simple",
            json!({"GroupId": g, "ReqMsgNumber": 20}),
        )
        .await;
    let mut texts: Vec<String> = r["RspMsgList"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| {
            m["MsgBody"][0]["MsgContent"]["Text"]
                .as_str()
                .map(String::from)
        })
        .collect();
    texts.sort();
    texts
}

async fn c2c(admin: &common::Client) -> Vec<String> {
    let r = admin
        .call_ok(
            "openim/admin_getroammsg",
            json!({"Operator_Account": "alice", "Peer_Account": "bob", "MaxCnt": 100,
                   "MinTime": 0, "MaxTime": common::now() + 60}),
        )
        .await;
    r["MsgList"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| {
            m["MsgBody"][0]["MsgContent"]["Text"]
                .as_str()
                .map(String::from)
        })
        .collect()
}

#[tokio::test]
async fn an_export_of_one_app_imports_into_another_beside_it() {
    let server = TestServer::start_with(ServerOptions {
        apps: vec![TestApp::random(), TestApp::random()],
        ..Default::default()
    })
    .await;
    let (a, b) = (
        server.client_for(0, "administrator"),
        server.client_for(1, "administrator"),
    );
    let ga = populate(&a, "a").await;
    let gb = populate(&b, "b").await;
    let doc = export(&a).await;
    let r = import(&b, &doc).await;
    assert!(r["Rows"].as_u64().unwrap() > 0, "{r}");
    // B holds A's state; A is as it was.
    assert_eq!(history(&b, &ga).await, ["a0", "a1", "a2"]);
    assert_eq!(history(&a, &ga).await, ["a0", "a1", "a2"]);
    assert_eq!(c2c(&b).await, ["a hi"]);
    // B's own group is gone: the import replaced B's state.
    let info = b
        .call_ok(
            "group_open_http_svc/get_group_info",
            json!({"GroupIdList": [gb]}),
        )
        .await;
    assert_eq!(info["GroupInfo"][0]["ErrorCode"], 10010, "{info}");
    // The two copies of the group are two groups: a message to one is not in the other.
    send(&b, &ga, "only in b").await;
    send(&a, &ga, "only in a").await;
    assert_eq!(history(&b, &ga).await, ["a0", "a1", "a2", "only in b"]);
    assert_eq!(history(&a, &ga).await, ["a0", "a1", "a2", "only in a"]);
    for (client, text) in [(&a, "a again"), (&b, "b again")] {
        client
            .call_ok(
                "openim/sendmsg",
                json!({"From_Account": "alice", "To_Account": "bob", "MsgRandom": 8,
                       "MsgBody": common::text(text)}),
            )
            .await;
    }
    assert_eq!(c2c(&a).await.len(), 2);
    assert_eq!(c2c(&b).await.len(), 2);
    // New groups of either app still get keys of their own.
    let g2 = b
        .call_ok(
            "group_open_http_svc/create_group",
            json!({"Type": "Public", "Name": "new", "Owner_Account": "alice"}),
        )
        .await["GroupId"]
        .as_str()
        .unwrap()
        .to_owned();
    send(&b, &g2, "fresh").await;
    assert_eq!(history(&b, &g2).await, ["fresh"]);
    // Exported again, B's document imports into A just as well (and round-trips).
    let back = export(&b).await;
    import(&a, &back).await;
    assert_eq!(history(&a, &ga).await, ["a0", "a1", "a2", "only in b"]);
    assert_eq!(history(&a, &g2).await, ["fresh"]);
}

#[tokio::test]
async fn a_seed_file_may_hold_several_apps_and_import_takes_the_callers() {
    let (first, second) = (TestApp::random(), TestApp::random());
    // Two documents made on two servers: their internal keys are the same numbers.
    let mut docs = Vec::new();
    let mut groups = Vec::new();
    for (app, tag) in [(&first, "a"), (&second, "b")] {
        let source = TestServer::start_with(ServerOptions {
            apps: vec![app.clone()],
            ..Default::default()
        })
        .await;
        let admin = source.client();
        groups.push(populate(&admin, tag).await);
        docs.push(export(&admin).await);
        source.stop().await;
    }
    let (ga, gb) = (groups[0].clone(), groups[1].clone());
    let docs = Value::Array(docs);

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("seed.json");
    std::fs::write(&file, docs.to_string()).unwrap();
    let server = TestServer::start_with(ServerOptions {
        apps: vec![first, second],
        storage: Some("memory".into()),
        args: vec!["--seed".into(), file.display().to_string()],
        ..Default::default()
    })
    .await;
    let (a, b) = (
        server.client_for(0, "administrator"),
        server.client_for(1, "administrator"),
    );
    assert_eq!(history(&a, &ga).await, ["a0", "a1", "a2"]);
    assert_eq!(history(&b, &gb).await, ["b0", "b1", "b2"]);
    assert_eq!(c2c(&a).await, ["a hi"]);
    assert_eq!(c2c(&b).await, ["b hi"]);
    send(&a, &ga, "more").await;
    assert_eq!(history(&b, &gb).await, ["b0", "b1", "b2"]);
    // A reset puts each app back to its own document.
    a.request("x")
        .path("/_timber/reset")
        .param("all", "1")
        .send()
        .await
        .envelope("reset");
    assert_eq!(history(&a, &ga).await, ["a0", "a1", "a2"]);
    assert_eq!(history(&b, &gb).await, ["b0", "b1", "b2"]);

    // The same array given to /_timber/import: each caller's app takes its own document.
    b.call_ok("group_open_http_svc/destroy_group", json!({"GroupId": gb}))
        .await;
    let r = import(&b, &docs).await;
    assert_eq!(r["ErrorCode"], 0, "{r}");
    assert_eq!(history(&b, &gb).await, ["b0", "b1", "b2"]);
    assert_eq!(history(&a, &ga).await, ["a0", "a1", "a2"]);
    // An array without the caller's app is refused (60002), and changes nothing.
    let other = json!([docs[0]]);
    let refused = b
        .request("x")
        .path("/_timber/import")
        .json(&json!([docs[0], docs[0]]))
        .send()
        .await
        .envelope("import");
    assert_eq!(refused["ErrorCode"], 60002, "{refused}");
    assert_eq!(history(&b, &gb).await, ["b0", "b1", "b2"]);
    // One document in an array goes to the caller's app, whatever it names (as --seed).
    let r = import(&b, &other).await;
    assert_eq!(r["ErrorCode"], 0, "{r}");
    assert_eq!(history(&b, &ga).await, ["a0", "a1", "a2"]);
}
