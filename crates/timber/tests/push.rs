//! End-to-end: push to all users (`v4/all_member_push/*`): attribute slots and their names,
//! users' attributes and tags with their limits, im_push to everyone, by attributes and by
//! tags (delivered in the background, seen through the `/_timber/push_task` hook), the 7-day
//! `MsgRandom` de-duplication, `MsgLifeTime`, the cloud's rate limits, the feature switch,
//! every documented error code, and tenancy. spec: push-and-operations.md §1, §8.

mod common;

use common::{import_accounts, Client, ServerOptions, TestApp, TestServer};
use serde_json::{json, Value};
use std::time::Duration;

const SET_NAME: &str = "all_member_push/im_set_attr_name";
const GET_NAME: &str = "all_member_push/im_get_attr_name";
const GET_ATTR: &str = "all_member_push/im_get_attr";
const SET_ATTR: &str = "all_member_push/im_set_attr";
const REMOVE_ATTR: &str = "all_member_push/im_remove_attr";
const GET_TAG: &str = "all_member_push/im_get_tag";
const ADD_TAG: &str = "all_member_push/im_add_tag";
const REMOVE_TAG: &str = "all_member_push/im_remove_tag";
const REMOVE_ALL: &str = "all_member_push/im_remove_all_tags";
const PUSH: &str = "all_member_push/im_push";

fn text(t: &str) -> Value {
    json!([{"MsgType": "TIMTextElem", "MsgContent": {"Text": t}}])
}

async fn code(c: &Client, path: &str, body: Value) -> u64 {
    c.call_err(path, body).await.0
}

/// The task `task_id` once its delivery is done (the test hook).
async fn delivered(server: &TestServer, app: usize, task_id: &str) -> Value {
    let a = &server.apps[app];
    let sig = a.sig("administrator");
    let task = |extra: &'static str| {
        let uri = format!(
            "/_timber/push_task?sdkappid={}&identifier=administrator&usersig={sig}&contenttype=json&task_id={task_id}{extra}",
            a.sdkappid
        );
        async move {
            let (status, body) = server.get(&uri).await;
            assert_eq!(status, 200);
            let v: Value = serde_json::from_str(&body).unwrap();
            assert_eq!(v["ErrorCode"], 0, "{v}");
            v["Task"].clone()
        }
    };
    // Polled as a summary (no deliveries), then read whole once done.
    for _ in 0..200 {
        let summary = task("&summary=1").await;
        if summary["Done"] == true {
            assert!(summary.get("Deliveries").is_none(), "{summary}");
            let whole = task("").await;
            assert_eq!(whole["Recipients"], summary["Recipients"]);
            return whole;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("task {task_id} was not delivered in time");
}

fn recipients(task: &Value) -> Vec<String> {
    task["Deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["To_Account"].as_str().unwrap().to_owned())
        .collect()
}

async fn push(c: &Client, body: Value) -> String {
    let resp = c.call_ok(PUSH, body).await;
    resp["TaskId"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn attribute_slots_and_user_attributes() {
    let server = TestServer::start().await;
    let admin = server.client();
    assert_eq!(
        admin.call_ok(GET_NAME, json!({})).await["AttrNames"],
        json!({})
    );
    admin
        .call_ok(
            SET_NAME,
            json!({"AttrNames": {"0": "sex", "1": "city", "9": "tier"}}),
        )
        .await;
    let resp = admin.call_ok(GET_NAME, json!({})).await;
    assert_eq!(
        resp,
        json!({"ActionStatus": "OK", "ErrorCode": 0, "ErrorInfo": "",
            "AttrNames": {"0": "sex", "1": "city", "9": "tier"}})
    );
    admin
        .call_ok(
            SET_ATTR,
            json!({"UserAttrs": [
                {"To_Account": "u1", "Attrs": {"sex": "attr1", "city": "attr2"}},
                {"To_Account": "u2", "Attrs": {"city": "attr3"}}]}),
        )
        .await;
    let resp = admin
        .call_ok(GET_ATTR, json!({"To_Account": ["u2", "u1", "nobody"]}))
        .await;
    assert_eq!(
        resp["UserAttrs"],
        json!([
            {"To_Account": "u2", "Attrs": {"city": "attr3"}},
            {"To_Account": "u1", "Attrs": {"sex": "attr1", "city": "attr2"}},
            {"To_Account": "nobody", "Attrs": {}}])
    );
    // Renaming a slot keeps the values under the new name; names not set stay.
    admin
        .call_ok(SET_NAME, json!({"AttrNames": {"1": "town"}}))
        .await;
    let resp = admin.call_ok(GET_ATTR, json!({"To_Account": ["u1"]})).await;
    assert_eq!(
        resp["UserAttrs"][0]["Attrs"],
        json!({"sex": "attr1", "town": "attr2"})
    );
    // Setting replaces one slot's value; `Attrs` is accepted for `UserAttrs`.
    admin
        .call_ok(
            SET_ATTR,
            json!({"Attrs": [{"To_Account": "u1", "Attrs": {"town": "sz"}}]}),
        )
        .await;
    admin
        .call_ok(
            REMOVE_ATTR,
            json!({"UserAttrs": [{"To_Account": "u1", "Attrs": ["sex", "tier"]}]}),
        )
        .await;
    let resp = admin.call_ok(GET_ATTR, json!({"To_Account": ["u1"]})).await;
    assert_eq!(resp["UserAttrs"][0]["Attrs"], json!({"town": "sz"}));
    // Clearing a slot's name hides its values.
    admin
        .call_ok(SET_NAME, json!({"AttrNames": {"1": ""}}))
        .await;
    let resp = admin.call_ok(GET_ATTR, json!({"To_Account": ["u1"]})).await;
    assert_eq!(resp["UserAttrs"][0]["Attrs"], json!({}));

    // 90033: a slot outside 0–9, a long name, a duplicate name, an unknown attribute, a
    // long or non-string value; nothing is written.
    for names in [
        json!({"10": "x"}),
        json!({"a": "x"}),
        json!({"2": "x".repeat(51)}),
        json!({"2": "sex"}),
        json!({"2": 5}),
    ] {
        assert_eq!(
            code(&admin, SET_NAME, json!({"AttrNames": names})).await,
            90033
        );
    }
    for attrs in [
        json!({"nope": "v"}),
        json!({"sex": "x".repeat(51)}),
        json!({"sex": 1}),
    ] {
        assert_eq!(
            code(
                &admin,
                SET_ATTR,
                json!({"UserAttrs": [{"To_Account": "u3", "Attrs": {"tier": "a"}},
                    {"To_Account": "u4", "Attrs": attrs}]})
            )
            .await,
            90033
        );
    }
    let resp = admin.call_ok(GET_ATTR, json!({"To_Account": ["u3"]})).await;
    assert_eq!(resp["UserAttrs"][0]["Attrs"], json!({}));
    assert_eq!(
        code(
            &admin,
            REMOVE_ATTR,
            json!({"UserAttrs": [{"To_Account": "u1", "Attrs": ["nope"]}]})
        )
        .await,
        90033
    );
    // 90018: more than 100 accounts.
    let many: Vec<String> = (0..101).map(|i| format!("u{i}")).collect();
    assert_eq!(
        code(&admin, GET_ATTR, json!({"To_Account": many})).await,
        90018
    );
    let entries: Vec<Value> = many
        .iter()
        .map(|u| json!({"To_Account": u, "Attrs": {"sex": "a"}}))
        .collect();
    assert_eq!(
        code(&admin, SET_ATTR, json!({"UserAttrs": entries})).await,
        90018
    );
    let entries: Vec<Value> = many
        .iter()
        .map(|u| json!({"To_Account": u, "Attrs": ["sex"]}))
        .collect();
    assert_eq!(
        code(&admin, REMOVE_ATTR, json!({"UserAttrs": entries})).await,
        90018
    );
    // 90001: not JSON, or a field of the wrong shape.
    let resp = admin.request(SET_NAME).body("{").send().await;
    assert!(resp.text.contains("\"ErrorCode\":90001"), "{}", resp.text);
    assert_eq!(
        code(&admin, SET_NAME, json!({"AttrNames": ["x"]})).await,
        90001
    );
    assert_eq!(code(&admin, GET_ATTR, json!({})).await, 90001);
    // 90009: not an admin.
    let user = server.client_for(0, "u1");
    for (path, body) in [
        (SET_NAME, json!({"AttrNames": {"0": "x"}})),
        (GET_NAME, json!({})),
        (GET_ATTR, json!({"To_Account": ["u1"]})),
        (SET_ATTR, json!({"UserAttrs": []})),
        (REMOVE_ATTR, json!({"UserAttrs": []})),
        (GET_TAG, json!({"To_Account": ["u1"]})),
        (ADD_TAG, json!({"UserTags": []})),
        (REMOVE_TAG, json!({"UserTags": []})),
        (REMOVE_ALL, json!({"To_Account": ["u1"]})),
        (PUSH, json!({"MsgRandom": 1, "MsgBody": text("x")})),
    ] {
        assert_eq!(code(&user, path, body).await, 90009, "{path}");
    }
}
common::also_on_postgres!(attribute_slots_and_user_attributes);

#[tokio::test]
async fn user_tags_and_their_limits() {
    let server = TestServer::start().await;
    let admin = server.client();
    admin
        .call_ok(
            ADD_TAG,
            json!({"UserTags": [
                {"To_Account": "u1", "Tags": ["a", "b", "a"]},
                {"To_Account": "u2", "Tags": ["b"]},
                {"To_Account": "u1", "Tags": ["c", "b"]}]}),
        )
        .await;
    let resp = admin
        .call_ok(GET_TAG, json!({"To_Account": ["u1", "u2", "u3"]}))
        .await;
    assert_eq!(
        resp,
        json!({"ActionStatus": "OK", "ErrorCode": 0, "ErrorInfo": "", "UserTags": [
            {"To_Account": "u1", "Tags": ["a", "b", "c"]},
            {"To_Account": "u2", "Tags": ["b"]},
            {"To_Account": "u3", "Tags": []}]})
    );
    admin
        .call_ok(
            REMOVE_TAG,
            json!({"UserTags": [{"To_Account": "u1", "Tags": ["b", "zz"]}]}),
        )
        .await;
    let resp = admin.call_ok(GET_TAG, json!({"To_Account": ["u1"]})).await;
    assert_eq!(resp["UserTags"][0]["Tags"], json!(["a", "c"]));
    // A single account as a string is a one-element list.
    admin.call_ok(REMOVE_ALL, json!({"To_Account": "u1"})).await;
    admin
        .call_ok(REMOVE_ALL, json!({"To_Account": ["u2"]}))
        .await;
    let resp = admin
        .call_ok(GET_TAG, json!({"To_Account": ["u1", "u2"]}))
        .await;
    assert_eq!(
        resp["UserTags"],
        json!([{"To_Account": "u1", "Tags": []}, {"To_Account": "u2", "Tags": []}])
    );

    // 90032: 11 tags in one request, or a user past 100 tags (nothing written).
    let eleven: Vec<String> = (0..11).map(|i| format!("t{i}")).collect();
    assert_eq!(
        code(
            &admin,
            ADD_TAG,
            json!({"UserTags": [{"To_Account": "u1", "Tags": eleven}]})
        )
        .await,
        90032
    );
    for round in 0..10 {
        let ten: Vec<String> = (0..10).map(|i| format!("t{round}_{i}")).collect();
        admin
            .call_ok(
                ADD_TAG,
                json!({"UserTags": [{"To_Account": "u1", "Tags": ten}]}),
            )
            .await;
    }
    assert_eq!(
        code(
            &admin,
            ADD_TAG,
            json!({"UserTags": [{"To_Account": "u1", "Tags": ["more"]}]})
        )
        .await,
        90032
    );
    // A tag the user already has is no addition.
    admin
        .call_ok(
            ADD_TAG,
            json!({"UserTags": [{"To_Account": "u1", "Tags": ["t0_0"]}]}),
        )
        .await;
    let resp = admin.call_ok(GET_TAG, json!({"To_Account": ["u1"]})).await;
    assert_eq!(resp["UserTags"][0]["Tags"].as_array().unwrap().len(), 100);
    // 90040 empty tag, 90020 a tag over 50 bytes.
    assert_eq!(
        code(
            &admin,
            ADD_TAG,
            json!({"UserTags": [{"To_Account": "u2", "Tags": [""]}]})
        )
        .await,
        90040
    );
    assert_eq!(
        code(
            &admin,
            ADD_TAG,
            json!({"UserTags": [{"To_Account": "u2", "Tags": ["x".repeat(51)]}]})
        )
        .await,
        90020
    );
    // 90018 past 100 accounts, for each command.
    let many: Vec<String> = (0..101).map(|i| format!("u{i}")).collect();
    let entries: Vec<Value> = many
        .iter()
        .map(|u| json!({"To_Account": u, "Tags": ["a"]}))
        .collect();
    assert_eq!(
        code(&admin, GET_TAG, json!({"To_Account": many})).await,
        90018
    );
    assert_eq!(
        code(&admin, ADD_TAG, json!({"UserTags": entries})).await,
        90018
    );
    assert_eq!(
        code(&admin, REMOVE_TAG, json!({"UserTags": entries})).await,
        90018
    );
    assert_eq!(
        code(&admin, REMOVE_ALL, json!({"To_Account": many})).await,
        90018
    );
    // 90001: wrong shapes; 60015: an account that is not a string.
    assert_eq!(
        code(&admin, ADD_TAG, json!({"UserTags": {"x": 1}})).await,
        90001
    );
    assert_eq!(
        code(&admin, REMOVE_ALL, json!({"To_Account": [1]})).await,
        60015
    );
    let resp = admin.request(GET_TAG).body("nope").send().await;
    assert!(resp.text.contains("\"ErrorCode\":90001"), "{}", resp.text);
}
common::also_on_postgres!(user_tags_and_their_limits);

#[tokio::test]
async fn push_reaches_everyone_or_the_selected_accounts() {
    let server = TestServer::start().await;
    let admin = server.client();
    let users: Vec<String> = (0..1200).map(|i| format!("user{i:04}")).collect();
    import_accounts(&admin, &users).await;
    import_accounts(&admin, &["announcer"]).await;

    // Everyone but the sender, the admin account included, in batches (three of them).
    let all = push(
        &admin,
        json!({"From_Account": "announcer", "MsgRandom": 77810231, "MsgLifeTime": 3600,
            "MsgBody": text("Release notes are out")}),
    )
    .await;
    let parts: Vec<&str> = all.split('_').collect();
    assert_eq!(parts.len(), 4, "{all}");
    assert_eq!(parts[0], server.apps[0].sdkappid.to_string());
    assert_eq!(parts[2], "77810231");
    let task = delivered(&server, 0, &all).await;
    assert_eq!(task["Recipients"], 1201);
    assert_eq!(task["From_Account"], "announcer");
    assert_eq!(task["MsgBody"], text("Release notes are out"));
    let mut everyone = vec!["administrator".to_owned()];
    everyone.extend(users.iter().cloned());
    assert_eq!(recipients(&task), everyone);
    let expires = task["Deliveries"][0]["Expires"].as_i64().unwrap();
    assert_eq!(expires, task["Created"].as_i64().unwrap() + 3600);

    // The same MsgRandom within 7 days is the same task: nothing pushed again.
    let again = push(
        &admin,
        json!({"MsgRandom": 77810231, "MsgBody": text("other")}),
    )
    .await;
    assert_eq!(again, all);

    // By tags (both kinds together); the admin is the sender by default; MsgLifeTime 0
    // (the default) is an online-only entry.
    admin
        .call_ok(
            ADD_TAG,
            json!({"UserTags": [
                {"To_Account": "user0001", "Tags": ["vip", "beta"]},
                {"To_Account": "user0002", "Tags": ["vip"]},
                {"To_Account": "user0003", "Tags": ["beta", "old"]},
                {"To_Account": "user0004", "Tags": ["vip", "beta", "old"]}]}),
        )
        .await;
    let t = push(
        &admin,
        json!({"MsgRandom": 1, "Condition": {"TagsAnd": ["vip", "beta"]}, "MsgBody": text("x")}),
    )
    .await;
    let task = delivered(&server, 0, &t).await;
    assert_eq!(recipients(&task), vec!["user0001", "user0004"]);
    assert_eq!(task["From_Account"], "administrator");
    assert_eq!(task["Deliveries"][0]["Expires"], 0);
    let t = push(
        &admin,
        json!({"MsgRandom": 2, "Condition": {"TagsOr": ["old", "vip"]}, "MsgBody": text("x")}),
    )
    .await;
    assert_eq!(
        recipients(&delivered(&server, 0, &t).await),
        vec!["user0001", "user0002", "user0003", "user0004"]
    );
    // The array form of the OpenAPI clients, `null` keys as absent.
    let t = push(
        &admin,
        json!({"MsgRandom": 3, "MsgBody": text("x"),
            "Condition": [{"TagsAnd": ["vip"], "AttrsAnd": null}, {"TagsOr": ["old"]}]}),
    )
    .await;
    assert_eq!(
        recipients(&delivered(&server, 0, &t).await),
        vec!["user0004"]
    );

    // By attributes.
    admin
        .call_ok(SET_NAME, json!({"AttrNames": {"0": "city", "1": "tier"}}))
        .await;
    admin
        .call_ok(
            SET_ATTR,
            json!({"UserAttrs": [
                {"To_Account": "user0010", "Attrs": {"city": "sz", "tier": "gold"}},
                {"To_Account": "user0011", "Attrs": {"city": "sz"}},
                {"To_Account": "user0012", "Attrs": {"city": "bj", "tier": "gold"}}]}),
        )
        .await;
    let t = push(
        &admin,
        json!({"MsgRandom": 4, "MsgBody": text("x"),
            "Condition": {"AttrsAnd": {"city": "sz", "tier": "gold"}}}),
    )
    .await;
    assert_eq!(
        recipients(&delivered(&server, 0, &t).await),
        vec!["user0010"]
    );
    let t = push(
        &admin,
        json!({"MsgRandom": 5, "MsgBody": text("x"),
            "Condition": {"AttrsOr": {"city": "bj", "tier": "gold"}}}),
    )
    .await;
    assert_eq!(
        recipients(&delivered(&server, 0, &t).await),
        vec!["user0010", "user0012"]
    );
    let t = push(
        &admin,
        json!({"MsgRandom": 6, "MsgBody": text("x"),
            "Condition": {"AttrsAnd": {"city": "sz"}, "AttrsOr": {"tier": "gold"}}}),
    )
    .await;
    assert_eq!(
        recipients(&delivered(&server, 0, &t).await),
        vec!["user0010"]
    );
    // Nothing goes to roaming history.
    let resp = admin
        .call_ok(
            "openim/admin_getroammsg",
            json!({"Operator_Account": "user0010", "Peer_Account": "administrator",
                "MaxCnt": 10, "MinTime": 0, "MaxTime": 4_000_000_000u64}),
        )
        .await;
    assert_eq!(resp["MsgCnt"], 0, "{resp}");
}
common::also_on_postgres!(push_reaches_everyone_or_the_selected_accounts);

#[tokio::test]
async fn push_errors() {
    let server = TestServer::start().await;
    let admin = server.client();
    let ok = |extra: Value| {
        let mut b = json!({"MsgRandom": 9, "MsgBody": text("x")});
        for (k, v) in extra.as_object().unwrap() {
            b[k] = v.clone();
        }
        b
    };
    // 90005 MsgRandom missing, not an integer, beyond u32.
    assert_eq!(
        code(&admin, PUSH, json!({"MsgBody": text("x")})).await,
        90005
    );
    assert_eq!(
        code(&admin, PUSH, ok(json!({"MsgRandom": "1"}))).await,
        90005
    );
    assert_eq!(
        code(&admin, PUSH, ok(json!({"MsgRandom": 4294967296u64}))).await,
        90005
    );
    // 90002 / 90007 / 90010: MsgBody.
    assert_eq!(code(&admin, PUSH, json!({"MsgRandom": 1})).await, 90002);
    assert_eq!(
        code(&admin, PUSH, ok(json!({"MsgBody": {"a": 1}}))).await,
        90007
    );
    assert_eq!(code(&admin, PUSH, ok(json!({"MsgBody": []}))).await, 90002);
    assert_eq!(
        code(
            &admin,
            PUSH,
            ok(json!({"MsgBody": [{"MsgType": "TIMNopeElem", "MsgContent": {}}]}))
        )
        .await,
        90010
    );
    // 90026 MsgLifeTime.
    assert_eq!(
        code(&admin, PUSH, ok(json!({"MsgLifeTime": 604801}))).await,
        90026
    );
    assert_eq!(
        code(&admin, PUSH, ok(json!({"MsgLifeTime": -1}))).await,
        90026
    );
    admin
        .call_ok(PUSH, ok(json!({"MsgLifeTime": 604800, "MsgRandom": 10})))
        .await;
    // The condition's codes.
    let cond = |c: Value| ok(json!({"Condition": c}));
    let eleven: Vec<String> = (0..11).map(|i| i.to_string()).collect();
    for (c, want) in [
        (json!({"TagsAnd": ["a"], "AttrsAnd": {"x": "1"}}), 90039),
        (json!({"TagsAnd": eleven}), 90032),
        (json!({"TagsOr": [""]}), 90040),
        (json!({"TagsOr": ["x".repeat(51)]}), 90020),
        (json!({"TagsAnd": ["a"], "TagsOr": ["a"]}), 90022),
        (json!({"AttrsAnd": {"unknown": "1"}}), 90033),
        (json!({"AttrsOr": {"unknown": 1}}), 90033),
        (json!("all"), 90001),
    ] {
        assert_eq!(code(&admin, PUSH, cond(c.clone())).await, want, "{c}");
    }
    // 90001 not JSON.
    let resp = admin.request(PUSH).body("{\"MsgRandom\":").send().await;
    assert!(resp.text.contains("\"ErrorCode\":90001"), "{}", resp.text);
}
common::also_on_postgres!(push_errors);

/// An app with the cloud's limits (`push_limits`) and one with push turned off.
#[tokio::test]
async fn limits_and_the_feature_switch() {
    let limited = TestApp::random();
    let off = TestApp::random();
    let server = TestServer::start_with(ServerOptions {
        config: format!(
            "{}push_limits = true\n{}push_to_all = false\n",
            limited.toml(&["administrator"]),
            off.toml(&["administrator"])
        ),
        ..Default::default()
    })
    .await;
    let limited_admin = server.client_with_sig(
        limited.sdkappid,
        "administrator",
        &limited.sig("administrator"),
    );
    let off_admin =
        server.client_with_sig(off.sdkappid, "administrator", &off.sig("administrator"));
    assert_eq!(
        code(
            &off_admin,
            PUSH,
            json!({"MsgRandom": 1, "MsgBody": text("x")})
        )
        .await,
        90045
    );
    // Two pushes within a second: 90024 (a repeat of a MsgRandom is no new push).
    let first = push(
        &limited_admin,
        json!({"MsgRandom": 1, "MsgBody": text("x")}),
    )
    .await;
    let (c, _) = limited_admin
        .call_err(PUSH, json!({"MsgRandom": 2, "MsgBody": text("x")}))
        .await;
    // The second may fall into the next second on a slow machine; then it is pushed.
    assert!(c == 90024, "{c}");
    assert_eq!(
        push(
            &limited_admin,
            json!({"MsgRandom": 1, "MsgBody": text("y")})
        )
        .await,
        first
    );
    tokio::time::sleep(Duration::from_millis(1100)).await;
    push(
        &limited_admin,
        json!({"MsgRandom": 2, "MsgBody": text("x")}),
    )
    .await;
    // The default app has no limits.
    let admin = server.client();
    push(&admin, json!({"MsgRandom": 1, "MsgBody": text("x")})).await;
    push(&admin, json!({"MsgRandom": 2, "MsgBody": text("x")})).await;
}

#[tokio::test]
async fn tenancy() {
    let server = TestServer::start_with(ServerOptions {
        apps: vec![TestApp::random(), TestApp::random()],
        ..Default::default()
    })
    .await;
    let a = server.client_for(0, "administrator");
    let b = server.client_for(1, "administrator");
    import_accounts(&a, &["x", "y"]).await;
    import_accounts(&b, &["x", "z"]).await;
    a.call_ok(SET_NAME, json!({"AttrNames": {"0": "city"}}))
        .await;
    a.call_ok(
        SET_ATTR,
        json!({"UserAttrs": [{"To_Account": "x", "Attrs": {"city": "sz"}}]}),
    )
    .await;
    a.call_ok(
        ADD_TAG,
        json!({"UserTags": [{"To_Account": "x", "Tags": ["vip"]}]}),
    )
    .await;
    assert_eq!(b.call_ok(GET_NAME, json!({})).await["AttrNames"], json!({}));
    assert_eq!(
        b.call_ok(GET_ATTR, json!({"To_Account": ["x"]})).await["UserAttrs"][0]["Attrs"],
        json!({})
    );
    assert_eq!(
        b.call_ok(GET_TAG, json!({"To_Account": ["x"]})).await["UserTags"][0]["Tags"],
        json!([])
    );
    assert_eq!(
        code(
            &b,
            PUSH,
            json!({"MsgRandom": 1, "MsgBody": text("x"),
            "Condition": {"AttrsAnd": {"city": "sz"}}})
        )
        .await,
        90033
    );
    let ta = push(&a, json!({"MsgRandom": 1, "MsgBody": text("x")})).await;
    let tb = push(&b, json!({"MsgRandom": 1, "MsgBody": text("x")})).await;
    assert_ne!(ta, tb);
    assert_eq!(
        recipients(&delivered(&server, 0, &ta).await),
        vec!["x", "y"]
    );
    assert_eq!(
        recipients(&delivered(&server, 1, &tb).await),
        vec!["x", "z"]
    );
    // B's hook does not show A's task.
    let sig = server.apps[1].sig("administrator");
    let (_, body) = server
        .get(&format!(
            "/_timber/push_task?sdkappid={}&identifier=administrator&usersig={sig}&contenttype=json&task_id={ta}",
            server.apps[1].sdkappid
        ))
        .await;
    assert!(body.contains("\"Task\":null"), "{body}");
}
common::also_on_postgres!(tenancy);
