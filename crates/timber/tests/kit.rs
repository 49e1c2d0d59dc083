//! The emulator kit under `/_timber/`: reset, export, import, `--seed`, and fault injection.

mod common;

use common::{ServerOptions, TestServer};
use serde_json::{json, Value};

/// Calls a control endpoint as `client`'s caller.
async fn control(client: &common::Client, method: &str, path: &str, body: Option<&Value>) -> Value {
    let mut req = client.request("x").path(path).method(method);
    if let Some(body) = body {
        req = req.json(body);
    }
    req.send().await.envelope(path)
}

/// `GET /_timber/export`: the document itself (no envelope), or the envelope of a failure.
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

async fn accounts_exist(client: &common::Client, users: &[&str]) -> Vec<String> {
    let items: Vec<Value> = users.iter().map(|u| json!({"UserID": u})).collect();
    let r = client
        .call_ok(
            "im_open_login_svc/account_check",
            json!({"CheckItem": items}),
        )
        .await;
    r["ResultItem"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["AccountStatus"].as_str().unwrap().to_owned())
        .collect()
}

/// A little of everything: accounts, a group with members and messages, a C2C message, a
/// profile and a friend.
async fn populate(admin: &common::Client) -> String {
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
        admin
            .call_ok(
                "group_open_http_svc/send_group_msg",
                json!({"GroupId": g, "From_Account": "alice", "Random": i,
                       "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": format!("m{i}")}}]}),
            )
            .await;
    }
    admin
        .call_ok(
            "openim/sendmsg",
            json!({"From_Account": "alice", "To_Account": "bob", "MsgRandom": 7, "SyncOtherMachine": 1,
                   "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "hi"}}]}),
        )
        .await;
    admin
        .call_ok(
            "profile/portrait_set",
            json!({"From_Account": "alice", "ProfileItem": [{"Tag": "Tag_Profile_IM_Nick", "Value": "Al"}]}),
        )
        .await;
    admin
        .call_ok(
            "sns/friend_import",
            json!({"From_Account": "alice", "AddFriendItem": [{"To_Account": "bob", "AddSource": "AddSource_Type_x"}]}),
        )
        .await;
    g
}

async fn history_texts(admin: &common::Client, g: &str) -> Vec<String> {
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

#[tokio::test]
async fn reset_returns_to_the_configured_state_and_export_import_round_trip() {
    let server = TestServer::start().await;
    let admin = server.client();
    let g = populate(&admin).await;
    assert_eq!(history_texts(&admin, &g).await, ["m0", "m1", "m2"]);

    let doc = export(&admin).await;
    assert_eq!(doc["format"], "timber-app-state/1");
    for table in [
        "accounts",
        "groups",
        "group_members",
        "group_messages",
        "c2c_messages",
        "profiles",
        "sns_friends",
    ] {
        assert!(
            doc["tables"][table]
                .as_array()
                .is_some_and(|r| !r.is_empty()),
            "{table} missing from the export: {doc}"
        );
    }
    assert!(doc["tables"]["accounts"][0].get("app").is_none());

    let reset = control(&admin, "POST", "/_timber/reset", None).await;
    assert_eq!(reset["ErrorCode"], 0, "{reset}");
    assert_eq!(
        accounts_exist(&admin, &["alice", "administrator"]).await,
        ["NotImported", "Imported"]
    );
    let info = admin
        .call_ok(
            "group_open_http_svc/get_group_info",
            json!({"GroupIdList": [g]}),
        )
        .await;
    assert_eq!(info["GroupInfo"][0]["ErrorCode"], 10010, "{info}");

    let imported = control(&admin, "POST", "/_timber/import", Some(&doc)).await;
    assert_eq!(imported["ErrorCode"], 0, "{imported}");
    assert!(imported["Rows"].as_u64().unwrap() > 10);
    assert_eq!(
        accounts_exist(&admin, &["alice", "bob"]).await,
        ["Imported", "Imported"]
    );
    assert_eq!(history_texts(&admin, &g).await, ["m0", "m1", "m2"]);
    // The group goes on from where it was: the next message is MsgSeq 4.
    let sent = admin
        .call_ok(
            "group_open_http_svc/send_group_msg",
            json!({"GroupId": g, "From_Account": "bob", "Random": 99,
                   "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "m3"}}]}),
        )
        .await;
    assert_eq!(sent["MsgSeq"], 4);
    // Another new group does not collide with the imported one's key.
    admin
        .call_ok(
            "group_open_http_svc/create_group",
            json!({"Type": "Public", "Name": "h", "Owner_Account": "bob"}),
        )
        .await;
    let profile = admin
        .call_ok(
            "profile/portrait_get",
            json!({"To_Account": ["alice"], "TagList": ["Tag_Profile_IM_Nick"]}),
        )
        .await;
    assert_eq!(
        profile["UserProfileItem"][0]["ProfileItem"][0]["Value"],
        "Al"
    );
    let friends = admin
        .call_ok("sns/friend_check", json!({"From_Account": "alice", "To_Account": ["bob"], "CheckType": "CheckResult_Type_Single"}))
        .await;
    assert_eq!(
        friends["InfoItem"][0]["Relation"], "CheckResult_Type_AWithB",
        "{friends}"
    );
    let roam = admin
        .call_ok(
            "openim/admin_getroammsg",
            json!({"Operator_Account": "alice", "Peer_Account": "bob", "MaxCnt": 10, "MinTime": 0, "MaxTime": 4_000_000_000u64}),
        )
        .await;
    assert_eq!(roam["MsgCnt"], 1, "{roam}");
}

#[tokio::test]
async fn seed_is_the_start_and_the_reset_state() {
    // A document exported elsewhere seeds the one app of this server.
    let seeded = TestServer::start().await;
    let admin = seeded.client();
    let g = populate(&admin).await;
    let doc = export(&admin).await;
    seeded.stop().await;

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("seed.json");
    std::fs::write(&file, doc.to_string()).unwrap();
    let server = TestServer::start_with(ServerOptions {
        storage: Some("memory".into()),
        args: vec!["--seed".into(), file.display().to_string()],
        ..Default::default()
    })
    .await;
    let admin = server.client();
    assert_eq!(history_texts(&admin, &g).await, ["m0", "m1", "m2"]);
    admin
        .call_ok(
            "im_open_login_svc/account_import",
            json!({"UserID": "carol"}),
        )
        .await;
    admin
        .call_ok("group_open_http_svc/destroy_group", json!({"GroupId": g}))
        .await;
    let reset = control(&admin, "POST", "/_timber/reset", None).await;
    assert_eq!(reset["ErrorCode"], 0);
    assert_eq!(
        accounts_exist(&admin, &["alice", "bob", "carol", "administrator"]).await,
        ["Imported", "Imported", "NotImported", "Imported"]
    );
    assert_eq!(history_texts(&admin, &g).await, ["m0", "m1", "m2"]);
}

#[tokio::test]
async fn reset_all_resets_every_app_and_control_needs_an_admin() {
    let (a, b) = (common::TestApp::random(), common::TestApp::random());
    let server = TestServer::start_with(ServerOptions {
        apps: vec![a, b],
        ..Default::default()
    })
    .await;
    let (first, second) = (
        server.client_for(0, "administrator"),
        server.client_for(1, "administrator"),
    );
    for c in [&first, &second] {
        c.call_ok("im_open_login_svc/account_import", json!({"UserID": "u"}))
            .await;
    }
    // One app: the other keeps its accounts.
    control(&first, "POST", "/_timber/reset", None).await;
    assert_eq!(accounts_exist(&first, &["u"]).await, ["NotImported"]);
    assert_eq!(accounts_exist(&second, &["u"]).await, ["Imported"]);
    first
        .call_ok("im_open_login_svc/account_import", json!({"UserID": "u"}))
        .await;
    let r = first
        .request("x")
        .path("/_timber/reset")
        .param("all", "1")
        .send()
        .await
        .envelope("reset all");
    assert_eq!(r["Apps"].as_array().unwrap().len(), 2, "{r}");
    assert_eq!(accounts_exist(&first, &["u"]).await, ["NotImported"]);
    assert_eq!(accounts_exist(&second, &["u"]).await, ["NotImported"]);

    // A user who is not an admin is refused (60010), as is a bad UserSig (70003).
    first
        .call_ok("im_open_login_svc/account_import", json!({"UserID": "u"}))
        .await;
    let user = server.client_for(0, "u");
    for (method, path) in [
        ("POST", "/_timber/reset"),
        ("GET", "/_timber/export"),
        ("POST", "/_timber/import"),
        ("POST", "/_timber/faults"),
    ] {
        let r = control(&user, method, path, Some(&json!({}))).await;
        assert_eq!(r["ErrorCode"], 60010, "{path}: {r}");
        let r = control(&first.with_sig("nope"), method, path, Some(&json!({}))).await;
        assert_eq!(r["ErrorCode"], 70003, "{path}: {r}");
    }
    assert_eq!(accounts_exist(&first, &["u"]).await, ["Imported"]);
}

#[tokio::test]
async fn import_refuses_documents_it_cannot_take_before_changing_anything() {
    let server = TestServer::start().await;
    let admin = server.client();
    admin
        .call_ok(
            "im_open_login_svc/account_import",
            json!({"UserID": "kept"}),
        )
        .await;
    let not_json = admin
        .request("x")
        .path("/_timber/import")
        .body("{nope")
        .send()
        .await
        .envelope("import");
    assert_eq!(not_json["ErrorCode"], 60003);
    let f = "timber-app-state/1";
    for bad in [
        json!({"format": "other/9", "tables": {}}),
        json!({"format": f, "tables": {"no_such_table": [{"x": 1}]}}),
        json!({"format": f, "tables": {"accounts": [{"user_id": "a", "evil; DROP TABLE accounts": 1}]}}),
        json!({"format": f, "tables": {"accounts": [{"user_id": "a", "app": 5}]}}),
        json!({"format": f, "tables": {"accounts": [{"user_id": 5, "created_at": 1}]}}),
        json!({"format": f, "tables": {"callback_outbox": []}}),
    ] {
        let r = control(&admin, "POST", "/_timber/import", Some(&bad)).await;
        assert_eq!(r["ErrorCode"], 60002, "{bad}: {r}");
    }
    assert_eq!(accounts_exist(&admin, &["kept"]).await, ["Imported"]);
}

#[tokio::test]
async fn faults_fail_or_slow_the_chosen_commands_then_clear() {
    let server = TestServer::start().await;
    let admin = server.client();
    let set = |body: Value| {
        let admin = admin.clone();
        async move { control(&admin, "POST", "/_timber/faults", Some(&body)).await }
    };
    let r = set(
        json!({"Faults": [{"Service": "im_open_login_svc", "Command": "account_import",
                                   "ErrorCode": 70169, "Count": 2}]}),
    )
    .await;
    assert_eq!(r["Added"], 1, "{r}");
    for _ in 0..2 {
        let (code, info) = admin
            .call_err("im_open_login_svc/account_import", json!({"UserID": "x"}))
            .await;
        assert_eq!(code, 70169, "{info}");
    }
    // Failed calls did nothing; the third call runs.
    assert_eq!(accounts_exist(&admin, &["x"]).await, ["NotImported"]);
    admin
        .call_ok("im_open_login_svc/account_import", json!({"UserID": "x"}))
        .await;

    // A delay, for every command until cleared.
    set(json!({"Faults": [{"Command": "*", "DelayMs": 300}]})).await;
    let started = std::time::Instant::now();
    admin
        .call_ok(
            "im_open_login_svc/account_check",
            json!({"CheckItem": [{"UserID": "x"}]}),
        )
        .await;
    assert!(started.elapsed() >= std::time::Duration::from_millis(300));
    let cleared = control(&admin, "DELETE", "/_timber/faults", None).await;
    assert_eq!(cleared["ErrorCode"], 0);
    let started = std::time::Instant::now();
    admin
        .call_ok(
            "im_open_login_svc/account_check",
            json!({"CheckItem": [{"UserID": "x"}]}),
        )
        .await;
    assert!(started.elapsed() < std::time::Duration::from_millis(300));

    // A fraction: about half of 200 calls fail.
    set(json!({"Faults": [{"Command": "account_check", "ErrorCode": 70398, "Fraction": 0.5}]}))
        .await;
    let mut failed = 0;
    for _ in 0..200 {
        let r = admin
            .call(
                "im_open_login_svc/account_check",
                json!({"CheckItem": [{"UserID": "x"}]}),
            )
            .await;
        if r["ErrorCode"] == 70398 {
            failed += 1;
        }
    }
    assert!((50..150).contains(&failed), "{failed} of 200 failed");
    control(&admin, "DELETE", "/_timber/faults", None).await;

    // Malformed faults: 60003 not JSON, 60002 a fault that does nothing or cannot be.
    let r = admin
        .request("x")
        .path("/_timber/faults")
        .body("[")
        .send()
        .await
        .envelope("faults");
    assert_eq!(r["ErrorCode"], 60003);
    for bad in [
        json!({"Faults": [{"Command": "sendmsg"}]}),
        json!({"Faults": [{"ErrorCode": 0}]}),
        json!({"Faults": [{"ErrorCode": 1, "Count": 0}]}),
        json!({"Faults": [{"ErrorCode": 1, "Fraction": 1.5}]}),
        json!({"Faults": [{"DelayMs": 100000000}]}),
    ] {
        let r = set(bad.clone()).await;
        assert_eq!(r["ErrorCode"], 60002, "{bad}: {r}");
    }
    let r = set(json!({"Faults": [{"Bogus": 1}]})).await;
    assert_eq!(r["ErrorCode"], 60003, "{r}");
}

/// On-demand measurement (`cargo test -p timber --test kit -- --ignored --nocapture`): the
/// reset of a `storage = "memory"` app holding 10,000 group messages, as the server timed it.
#[tokio::test]
#[ignore]
async fn measure_reset_of_10000_messages_on_memory() {
    let server = TestServer::start_with(ServerOptions {
        storage: Some("memory".into()),
        ..Default::default()
    })
    .await;
    let admin = server.client();
    let g = populate(&admin).await;
    let mut doc = export(&admin).await;
    let template = doc["tables"]["group_messages"][0].clone();
    let messages: Vec<Value> = (1..=10_000)
        .map(|seq| {
            let mut m = template.clone();
            m["seq"] = seq.into();
            m["random"] = seq.into();
            m
        })
        .collect();
    doc["tables"]["group_messages"] = messages.into();
    doc["tables"]["groups"][0]["next_msg_seq"] = 10_001.into();
    let r = control(&admin, "POST", "/_timber/import", Some(&doc)).await;
    assert_eq!(r["ErrorCode"], 0, "{r}");
    let r = admin
        .call_ok(
            "group_open_http_svc/get_group_info",
            json!({"GroupIdList": [g]}),
        )
        .await;
    assert_eq!(r["GroupInfo"][0]["NextMsgSeq"], 10_001);
    let mut runs = Vec::new();
    for _ in 0..5 {
        control(&admin, "POST", "/_timber/import", Some(&doc)).await;
        let r = control(&admin, "POST", "/_timber/reset", None).await;
        runs.push(r["Micros"].as_u64().unwrap());
    }
    println!("reset of an app with 10,000 messages (memory), µs: {runs:?}");
}

#[tokio::test]
async fn metrics_count_calls_by_command_and_code() {
    let server = TestServer::start().await;
    let admin = server.client();
    admin
        .call_ok("im_open_login_svc/account_import", json!({"UserID": "m"}))
        .await;
    admin
        .call_err("im_open_login_svc/kick", json!({"UserID": "nobody"}))
        .await;
    admin
        .call("im_open_login_svc/no_such_command", json!({}))
        .await;
    let (status, text) = server.get("/metrics").await;
    assert_eq!(status, 200);
    for line in [
        r#"timber_api_requests_total{command="account_import",error_code="0",service="im_open_login_svc"} 1"#,
        r#"timber_api_requests_total{command="kick",error_code="70107",service="im_open_login_svc"} 1"#,
        r#"timber_api_requests_total{command="unknown",error_code="60009",service="unknown"} 1"#,
        r#"timber_api_request_duration_seconds_count{command="account_import",service="im_open_login_svc"} 1"#,
        "timber_member_connections 0",
        "timber_requests_total 3",
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "{line} missing from\n{text}"
        );
    }
}
