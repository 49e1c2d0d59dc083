//! End-to-end: Community topics (groups-more.md §8) over HTTP — create, import, get, modify,
//! destroy, `TopicId` in send_group_msg, group_msg_get_simple and group_msg_recall (per-topic
//! MsgSeq), every documented error, tenancy and the topic callbacks.

mod common;

use axum::extract::State;
use axum::routing::post;
use axum::Router;
use common::{text, Client, ServerOptions, TestApp, TestServer};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const CREATE: &str = "million_group_open_http_svc/create_topic";
const GET: &str = "million_group_open_http_svc/get_topic";
const MODIFY: &str = "million_group_open_http_svc/modify_topic";
const DESTROY: &str = "million_group_open_http_svc/destroy_topic";
const IMPORT: &str = "group_open_http_svc/import_topic";
const SEND: &str = "group_open_http_svc/send_group_msg";
const HISTORY: &str = "group_open_http_svc/group_msg_get_simple";
const RECALL: &str = "group_open_http_svc/group_msg_recall";
const COM: &str = "@TGS#_com";

/// Accounts `o`, `a`, `b`, `x`; a topic-enabled Community `@TGS#_com` (owner `o`, member
/// `a`), a plain Community `@TGS#_plain` and a Public group `pub`.
async fn setup(admin: &Client) {
    admin
        .call_ok(
            "im_open_login_svc/multiaccount_import",
            json!({"Accounts": ["o", "a", "b", "x"]}),
        )
        .await;
    for (ty, id, topics) in [
        ("Community", COM, 1),
        ("Community", "@TGS#_plain", 0),
        ("Public", "pub", 0),
    ] {
        admin
            .call_ok(
                "group_open_http_svc/create_group",
                json!({"Type": ty, "GroupId": id, "Name": "g", "Owner_Account": "o",
                       "SupportTopic": topics, "MemberList": [{"Member_Account": "a"}]}),
            )
            .await;
    }
}

async fn create(admin: &Client, body: Value) -> String {
    admin.call_ok(CREATE, body).await["TopicId"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn topic(suffix: &str) -> String {
    format!("{COM}@TOPIC#_{suffix}")
}

async fn send(admin: &Client, topic: Option<&str>, from: &str, random: u32) -> u64 {
    let mut body = json!({"GroupId": COM, "From_Account": from, "Random": random,
                          "MsgBody": text("hi")});
    if let Some(t) = topic {
        body["TopicId"] = t.into();
    }
    admin.call_ok(SEND, body).await["MsgSeq"].as_u64().unwrap()
}

#[tokio::test]
async fn topics_are_created_read_modified_and_destroyed() {
    let server = TestServer::start().await;
    let admin = server.client();
    setup(&admin).await;
    let generated = create(&admin, json!({"GroupId": COM, "TopicName": "general"})).await;
    assert!(
        generated.starts_with(&format!("{COM}@TOPIC#_@TOPIC#c")),
        "{generated}"
    );
    assert_eq!(generated.len(), COM.len() + "@TOPIC#_@TOPIC#c".len() + 11);
    let custom = create(
        &admin,
        json!({"GroupId": COM, "TopicName": "news", "TopicId": topic("news"), "From_Account": "a",
               "CustomString": "c", "FaceUrl": "http://f", "Notification": "n",
               "Introduction": "i"}),
    )
    .await;
    assert_eq!(custom, topic("news"));
    let imported = admin
        .call_ok(
            IMPORT,
            json!({"GroupId": COM, "Type": "Community", "TopicId": topic("old"),
                   "TopicName": "old", "CreateTime": 1_600_000_000}),
        )
        .await;
    assert_eq!(imported["TopicId"], topic("old"));

    // Every topic, in creation order.
    let all = admin
        .call_ok(GET, json!({"GroupId": COM, "From_Account": "a"}))
        .await;
    let list = all["TopicAndSelfInfo"].as_array().unwrap();
    let ids: Vec<&str> = list
        .iter()
        .map(|e| e["TopicInfo"]["TopicId"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [generated.as_str(), custom.as_str(), &topic("old")]);
    let news = &list[1];
    assert_eq!(news["ErrorCode"], 0);
    let info = &news["TopicInfo"];
    assert_eq!(info["GroupID"], COM);
    assert_eq!(
        (&info["TopicName"], &info["CustomString"], &info["FaceUrl"]),
        (&json!("news"), &json!("c"), &json!("http://f"))
    );
    assert_eq!(
        (&info["Notification"], &info["Introduction"]),
        (&json!("n"), &json!("i"))
    );
    assert_eq!(
        (&info["NextMsgSeq"], &info["ShutUpAllFlag"]),
        (&json!(1), &json!(0))
    );
    assert_eq!(list[2]["TopicInfo"]["CreateTime"], 1_600_000_000);
    assert_eq!(news["SelfInfo"]["MsgFlag"], "AcceptAndNotify");

    // Named topics in request order, an unknown one with 10010; a filter.
    let some = admin
        .call_ok(
            GET,
            json!({"GroupId": COM, "TopicIdList": [topic("nope"), custom],
                   "ResponseFilter": ["TopicName"]}),
        )
        .await;
    let list = some["TopicAndSelfInfo"].as_array().unwrap();
    assert_eq!(list[0]["ErrorCode"], 10010);
    assert_eq!(
        list[1]["TopicInfo"],
        json!({"TopicId": custom, "TopicName": "news"})
    );

    admin
        .call_ok(
            MODIFY,
            json!({"GroupId": COM, "TopicId": custom, "TopicName": "headlines",
                   "MuteAllMember": "On", "Introduction": "new"}),
        )
        .await;
    let got = admin
        .call_ok(GET, json!({"GroupId": COM, "TopicIdList": [custom]}))
        .await;
    let info = &got["TopicAndSelfInfo"][0]["TopicInfo"];
    assert_eq!(
        (
            &info["TopicName"],
            &info["Introduction"],
            &info["Notification"]
        ),
        (&json!("headlines"), &json!("new"), &json!("n"))
    );
    assert_eq!(info["ShutUpAllFlag"], 1);

    let r = admin
        .call_ok(
            DESTROY,
            json!({"GroupId": COM, "TopicIdList": [custom, topic("nope"), custom]}),
        )
        .await;
    let codes: Vec<u64> = r["DestroyResultItem"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["ErrorCode"].as_u64().unwrap())
        .collect();
    assert_eq!(codes, [0, 10010, 10010]);
    // A custom ID may be taken again, with a fresh history.
    let again = create(
        &admin,
        json!({"GroupId": COM, "TopicName": "n", "TopicId": custom}),
    )
    .await;
    let got = admin
        .call_ok(GET, json!({"GroupId": COM, "TopicIdList": [again]}))
        .await;
    assert_eq!(got["TopicAndSelfInfo"][0]["TopicInfo"]["NextMsgSeq"], 1);

    // destroy_group takes the topics along.
    admin
        .call_ok("group_open_http_svc/destroy_group", json!({"GroupId": COM}))
        .await;
    assert_eq!(admin.call_err(GET, json!({"GroupId": COM})).await.0, 10010);
}

#[tokio::test]
async fn topic_messages_have_their_own_seqs() {
    let server = TestServer::start().await;
    let admin = server.client();
    setup(&admin).await;
    let t1 = create(&admin, json!({"GroupId": COM, "TopicName": "one"})).await;
    let t2 = create(
        &admin,
        json!({"GroupId": COM, "TopicName": "two", "TopicId": topic("two")}),
    )
    .await;
    assert_eq!(send(&admin, None, "a", 1).await, 1);
    assert_eq!(send(&admin, Some(&t1), "a", 2).await, 1);
    assert_eq!(send(&admin, Some(&t1), "o", 3).await, 2);
    assert_eq!(send(&admin, Some(&t2), "a", 4).await, 1);
    assert_eq!(send(&admin, None, "a", 5).await, 2);
    // A repeated Random within five minutes is the same message, in its own topic only.
    assert_eq!(send(&admin, Some(&t1), "a", 2).await, 1);
    assert_eq!(send(&admin, Some(&t2), "a", 2).await, 2);

    let page = admin
        .call_ok(
            HISTORY,
            json!({"GroupId": COM, "TopicId": t1, "ReqMsgNumber": 20}),
        )
        .await;
    assert_eq!(common::history_seqs(&page), [2, 1]);
    assert_eq!(page["RspMsgList"][0]["From_Account"], "o");
    assert_eq!(page["IsFinished"], 1);
    let got = admin
        .call_ok(GET, json!({"GroupId": COM, "TopicIdList": [t1]}))
        .await;
    let info = &got["TopicAndSelfInfo"][0]["TopicInfo"];
    assert_eq!(info["NextMsgSeq"], 3);
    assert!(info["LastMsgTime"].as_i64().unwrap() > 0);

    let r = admin
        .call_ok(
            RECALL,
            json!({"GroupId": COM, "TopicId": t1, "MsgSeqList": [{"MsgSeq": 1}, {"MsgSeq": 9}]}),
        )
        .await;
    assert_eq!(r["RecallRetList"][0]["RetCode"], 0);
    assert_eq!(r["RecallRetList"][1]["RetCode"], 10030);
    let page = admin
        .call_ok(
            HISTORY,
            json!({"GroupId": COM, "TopicId": t1, "ReqMsgNumber": 20}),
        )
        .await;
    assert_eq!(page["RspMsgList"].as_array().unwrap().len(), 1);
    // The community's own history is untouched.
    let page = admin
        .call_ok(HISTORY, json!({"GroupId": COM, "ReqMsgNumber": 20}))
        .await;
    assert_eq!(page["RspMsgList"].as_array().unwrap().len(), 2);

    // A muted-all topic takes only the owner, admins and app admins; members are the
    // community's.
    admin
        .call_ok(
            MODIFY,
            json!({"GroupId": COM, "TopicId": t2, "MuteAllMember": "On"}),
        )
        .await;
    let body = |from: &str, t: &str| {
        json!({"GroupId": COM, "TopicId": t, "From_Account": from, "Random": 77,
               "MsgBody": text("x")})
    };
    assert_eq!(admin.call_err(SEND, body("a", &t2)).await.0, 10017);
    assert_eq!(send(&admin, Some(&t2), "o", 78).await, 3);
    assert_eq!(admin.call_err(SEND, body("b", &t1)).await.0, 10007);

    // TopicId errors on every API that takes it.
    for api in [SEND, HISTORY, RECALL] {
        let body = |gid: &str, t: &str| {
            json!({"GroupId": gid, "TopicId": t, "From_Account": "a", "Random": 5,
                   "MsgBody": text("x"), "ReqMsgNumber": 1, "MsgSeqList": [{"MsgSeq": 1}]})
        };
        for (b, code) in [
            (body("pub", "pub@TOPIC#_x"), 10007),
            (body("@TGS#_plain", "@TGS#_plain@TOPIC#_x"), 10007),
            (body(COM, "@TGS#_other@TOPIC#_x"), 10004),
            (body(COM, &format!("{COM}@TOPIC#_")), 10004),
            (body(COM, &topic("nope")), 10010),
            (body("@TGS#_gone", "@TGS#_gone@TOPIC#_x"), 10010),
        ] {
            assert_eq!(admin.call_err(api, b.clone()).await.0, code, "{api} {b}");
        }
    }
}

#[tokio::test]
async fn topic_command_errors() {
    let server = TestServer::start().await;
    let admin = server.client();
    setup(&admin).await;
    let t = create(
        &admin,
        json!({"GroupId": COM, "TopicName": "t", "TopicId": topic("t")}),
    )
    .await;
    let long = |n: usize| "x".repeat(n);
    let create_cases = [
        (json!({"TopicName": "n"}), 10004),
        (json!({"GroupId": "grüppe", "TopicName": "n"}), 10015),
        (json!({"GroupId": "@TGS#_gone", "TopicName": "n"}), 10010),
        (json!({"GroupId": "pub", "TopicName": "n"}), 10007),
        (json!({"GroupId": "@TGS#_plain", "TopicName": "n"}), 10007),
        (json!({"GroupId": COM}), 10004),
        (json!({"GroupId": COM, "TopicName": ""}), 10004),
        (json!({"GroupId": COM, "TopicName": long(31)}), 10004),
        (
            json!({"GroupId": COM, "TopicName": "n", "FaceUrl": long(101)}),
            10004,
        ),
        (
            json!({"GroupId": COM, "TopicName": "n", "Notification": long(301)}),
            10004,
        ),
        (
            json!({"GroupId": COM, "TopicName": "n", "Introduction": long(241)}),
            10004,
        ),
        (
            json!({"GroupId": COM, "TopicName": "n", "CustomString": long(3001)}),
            10004,
        ),
        (
            json!({"GroupId": COM, "TopicName": "n", "TopicId": "other@TOPIC#_x"}),
            10004,
        ),
        (
            json!({"GroupId": COM, "TopicName": "n", "TopicId": topic("@TOPIC#x")}),
            10004,
        ),
        (
            json!({"GroupId": COM, "TopicName": "n", "TopicId": topic(&long(90))}),
            10004,
        ),
        (
            json!({"GroupId": COM, "TopicName": "n", "TopicId": t}),
            10021,
        ),
        (
            json!({"GroupId": COM, "TopicName": "n", "From_Account": "nobody"}),
            10019,
        ),
    ];
    for (body, code) in create_cases {
        assert_eq!(admin.call_err(CREATE, body.clone()).await.0, code, "{body}");
    }
    for (body, code) in [
        (json!({"TopicName": "n"}), 10004),
        (
            json!({"GroupId": COM, "TopicName": "n", "Type": "Public"}),
            10004,
        ),
        (
            json!({"GroupId": COM, "TopicName": "n", "CreateTime": 4_000_000_000i64}),
            10004,
        ),
        (json!({"GroupId": COM}), 10004),
        (json!({"GroupId": "pub", "TopicName": "n"}), 10007),
        (
            json!({"GroupId": COM, "TopicName": "n", "TopicId": t}),
            10021,
        ),
    ] {
        assert_eq!(admin.call_err(IMPORT, body.clone()).await.0, code, "{body}");
    }
    for (body, code) in [
        (json!({}), 10004),
        (json!({"GroupId": "grüppe"}), 10015),
        (json!({"GroupId": "@TGS#_gone"}), 10010),
        (json!({"GroupId": "pub"}), 10007),
        (json!({"GroupId": COM, "ResponseFilter": ["Nope"]}), 10004),
        (json!({"GroupId": COM, "TopicIdList": "x"}), 10004),
    ] {
        assert_eq!(admin.call_err(GET, body.clone()).await.0, code, "{body}");
    }
    for (body, code) in [
        (json!({"GroupId": COM}), 10004),
        (json!({"TopicId": t}), 10004),
        (
            json!({"GroupId": COM, "TopicId": "@TGS#_x@TOPIC#_t"}),
            10004,
        ),
        (json!({"GroupId": COM, "TopicId": topic("nope")}), 10010),
        (
            json!({"GroupId": "@TGS#_plain", "TopicId": "@TGS#_plain@TOPIC#_t"}),
            10007,
        ),
        (
            json!({"GroupId": COM, "TopicId": t, "MuteAllMember": "on"}),
            10004,
        ),
        (
            json!({"GroupId": COM, "TopicId": t, "TopicName": long(31)}),
            10004,
        ),
        (
            json!({"GroupId": COM, "TopicId": t, "From_Account": "nobody"}),
            10019,
        ),
    ] {
        assert_eq!(admin.call_err(MODIFY, body.clone()).await.0, code, "{body}");
    }
    let many: Vec<String> = (0..101).map(|i| topic(&i.to_string())).collect();
    for (body, code) in [
        (json!({"GroupId": COM}), 10004),
        (json!({"GroupId": COM, "TopicIdList": []}), 10004),
        (json!({"GroupId": COM, "TopicIdList": many}), 10004),
        (json!({"TopicIdList": [t]}), 10004),
        (
            json!({"GroupId": "pub", "TopicIdList": ["pub@TOPIC#_t"]}),
            10007,
        ),
        (json!({"GroupId": "@TGS#_gone", "TopicIdList": [t]}), 10010),
    ] {
        assert_eq!(
            admin.call_err(DESTROY, body.clone()).await.0,
            code,
            "{body}"
        );
    }
    // The group family's answers: unknown command 10003, a non-admin 10007, not JSON 60003.
    let (code, _) = admin
        .call_err("million_group_open_http_svc/nope", json!({}))
        .await;
    assert_eq!(code, 10003);
    let user = server.client_with_sig(server.apps[0].sdkappid, "a", &server.apps[0].sig("a"));
    assert_eq!(user.call_err(GET, json!({"GroupId": COM})).await.0, 10007);
    let r = admin
        .request(CREATE)
        .body("{nope")
        .send()
        .await
        .envelope("not json");
    assert_eq!(r["ErrorCode"], 60003);
}

#[tokio::test]
async fn one_app_sees_nothing_of_anothers_topics() {
    let server = TestServer::start_with(ServerOptions {
        apps: vec![TestApp::random(), TestApp::random()],
        ..ServerOptions::default()
    })
    .await;
    let admin = server.client();
    let other = server.client_for(1, "administrator");
    setup(&admin).await;
    setup(&other).await;
    let t = create(
        &admin,
        json!({"GroupId": COM, "TopicName": "t", "TopicId": topic("t")}),
    )
    .await;
    send(&admin, Some(&t), "a", 1).await;
    let got = other.call_ok(GET, json!({"GroupId": COM})).await;
    assert_eq!(got["TopicAndSelfInfo"], json!([]));
    let body = json!({"GroupId": COM, "TopicId": t, "ReqMsgNumber": 5});
    assert_eq!(other.call_err(HISTORY, body).await.0, 10010);
    // The same custom ID is free in the other app, with its own seqs.
    create(
        &other,
        json!({"GroupId": COM, "TopicName": "t", "TopicId": t}),
    )
    .await;
    assert_eq!(send(&other, Some(&t), "a", 1).await, 1);
}

#[derive(Default)]
struct Hits(Mutex<Vec<Value>>);

async fn receive(State(h): State<Arc<Hits>>, body: String) -> String {
    let body: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    let refuse =
        body["CallbackCommand"] == "Group.CallbackBeforeCreateTopic" && body["Name"] == "forbidden";
    h.0.lock().unwrap().push(body);
    json!({"ActionStatus": "OK", "ErrorCode": u8::from(refuse), "ErrorInfo": ""}).to_string()
}

async fn wait_for(h: &Hits, command: &str, n: usize) -> Vec<Value> {
    for _ in 0..200 {
        let got: Vec<Value> =
            h.0.lock()
                .unwrap()
                .iter()
                .filter(|b| b["CallbackCommand"] == command)
                .cloned()
                .collect();
        if got.len() >= n {
            return got;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("waited for {n} {command}");
}

#[tokio::test]
async fn topic_changes_are_called_back() {
    let hits = Arc::new(Hits::default());
    let router = Router::new()
        .route("/im", post(receive))
        .with_state(hits.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/im", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    let server = TestServer::start_with(ServerOptions::calling_back(&url, "")).await;
    let admin = server.client();
    setup(&admin).await;
    let (code, _) = admin
        .call_err(CREATE, json!({"GroupId": COM, "TopicName": "forbidden"}))
        .await;
    assert_eq!(code, 10016);
    let t = create(
        &admin,
        json!({"GroupId": COM, "TopicName": "t", "TopicId": topic("t"), "From_Account": "a"}),
    )
    .await;
    admin
        .call_ok(IMPORT, json!({"GroupId": COM, "TopicName": "quiet"}))
        .await;
    admin
        .call_ok(
            MODIFY,
            json!({"GroupId": COM, "TopicId": t, "TopicName": "t2", "FaceUrl": "u"}),
        )
        .await;
    send(&admin, Some(&t), "a", 9).await;
    admin
        .call_ok(
            DESTROY,
            json!({"GroupId": COM, "TopicIdList": [t, topic("nope")]}),
        )
        .await;
    let before = wait_for(&hits, "Group.CallbackBeforeCreateTopic", 2).await;
    assert_eq!(
        (
            &before[1]["GroupId"],
            &before[1]["Type"],
            &before[1]["Operator_Account"]
        ),
        (&json!(COM), &json!("Community"), &json!("a"))
    );
    let created = wait_for(&hits, "Group.CallbackAfterCreateTopic", 1).await;
    assert_eq!(created[0]["TopicId"], t);
    assert_eq!(
        (
            &created[0]["Owner_Account"],
            &created[0]["Operator_Account"],
            &created[0]["Name"]
        ),
        (&json!("o"), &json!("a"), &json!("t"))
    );
    let changed = wait_for(&hits, "Group.CallbackAfterTopicInfoChanged", 1).await;
    assert_eq!(
        (
            &changed[0]["TopicId"],
            &changed[0]["Name"],
            &changed[0]["FaceUrl"]
        ),
        (&json!(t), &json!("t2"), &json!("u"))
    );
    assert!(changed[0].get("Introduction").is_none());
    let sent = wait_for(&hits, "Group.CallbackAfterSendMsg", 1).await;
    assert_eq!(
        (&sent[0]["TopicId"], &sent[0]["MsgSeq"]),
        (&json!(t), &json!(1))
    );
    let gone = wait_for(&hits, "Group.CallbackAfterTopicDestroyed", 1).await;
    assert_eq!(gone[0]["TopicIdList"], json!([t]));
    tokio::time::sleep(Duration::from_millis(300)).await;
    // import_topic calls nothing back; the refused create recorded nothing.
    assert_eq!(
        wait_for(&hits, "Group.CallbackAfterCreateTopic", 1)
            .await
            .len(),
        1
    );
}

#[tokio::test]
async fn topic_messages_are_imported_modified_and_deleted_by_sender() {
    let server = TestServer::start().await;
    let admin = server.client();
    setup(&admin).await;
    let now = common::now();
    let t = topic("old");
    admin
        .call_ok(
            IMPORT,
            json!({"GroupId": COM, "TopicId": t, "TopicName": "old", "CreateTime": now - 100}),
        )
        .await;
    let r = admin
        .call_ok(
            "group_open_http_svc/import_group_msg",
            json!({"GroupId": COM, "TopicId": t, "MsgList": [
                {"From_Account": "a", "SendTime": now - 200, "MsgBody": text("too old")},
                {"From_Account": "a", "SendTime": now - 50, "Random": 1, "MsgBody": text("one")},
                {"From_Account": "x", "SendTime": now - 40, "MsgBody": text("two")}]}),
        )
        .await;
    let results: Vec<(u64, u64)> = r["ImportMsgResult"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["Result"].as_u64().unwrap(), m["MsgSeq"].as_u64().unwrap()))
        .collect();
    assert_eq!(results, [(10004, 0), (0, 1), (0, 2)]);
    // Sends go on after the imported seqs; the community's sequence never moved.
    assert_eq!(send(&admin, Some(&t), "a", 5).await, 3);
    assert_eq!(send(&admin, None, "a", 6).await, 1);

    admin
        .call_ok(
            "openim/modify_group_msg",
            json!({"GroupId": COM, "TopicId": t, "MsgSeq": 2, "MsgBody": text("edited")}),
        )
        .await;
    admin
        .call_ok(
            "group_open_http_svc/delete_group_msg_by_sender",
            json!({"GroupId": COM, "TopicId": t, "Sender_Account": "a"}),
        )
        .await;
    let page = admin
        .call_ok(
            HISTORY,
            json!({"GroupId": COM, "TopicId": t, "ReqMsgNumber": 20, "WithRecalledMsg": 1}),
        )
        .await;
    let list = page["RspMsgList"].as_array().unwrap();
    let places: Vec<(u64, u64)> = list
        .iter()
        .map(|m| {
            (
                m["MsgSeq"].as_u64().unwrap(),
                m["IsPlaceMsg"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(places, [(3, 2), (2, 0), (1, 2)]);
    assert_eq!(list[1]["MsgBody"], text("edited"));
    // The community's own message of `a` is untouched.
    let page = admin
        .call_ok(HISTORY, json!({"GroupId": COM, "ReqMsgNumber": 20}))
        .await;
    assert_eq!(page["RspMsgList"][0]["IsPlaceMsg"], 0);

    // A notice to a topic, and the TopicId errors of these APIs.
    admin
        .call_ok(
            "group_open_http_svc/send_group_system_notification",
            json!({"GroupId": COM, "TopicId": t, "Content": "hello"}),
        )
        .await;
    for (api, body, code) in [
        (
            "group_open_http_svc/send_group_system_notification",
            json!({"GroupId": COM, "TopicId": topic("nope"), "Content": "x"}),
            10010,
        ),
        (
            "group_open_http_svc/send_group_system_notification",
            json!({"GroupId": COM, "TopicId": "@TGS#_x@TOPIC#_t", "Content": "x"}),
            10004,
        ),
        (
            "openim/modify_group_msg",
            json!({"GroupId": COM, "TopicId": "@TGS#_x@TOPIC#_t", "MsgSeq": 1, "MsgBody": text("e")}),
            90001,
        ),
        (
            "openim/modify_group_msg",
            json!({"GroupId": COM, "TopicId": topic("nope"), "MsgSeq": 1, "MsgBody": text("e")}),
            10010,
        ),
        (
            "openim/modify_group_msg",
            json!({"GroupId": COM, "TopicId": t, "MsgSeq": 9, "MsgBody": text("e")}),
            20022,
        ),
        (
            "group_open_http_svc/delete_group_msg_by_sender",
            json!({"GroupId": "pub", "TopicId": "pub@TOPIC#_t", "Sender_Account": "a"}),
            10007,
        ),
        (
            "group_open_http_svc/import_group_msg",
            json!({"GroupId": COM, "TopicId": topic("nope"), "MsgList": [
                {"From_Account": "a", "SendTime": now, "MsgBody": text("x")}]}),
            10010,
        ),
    ] {
        assert_eq!(
            admin.call_err(api, body.clone()).await.0,
            code,
            "{api} {body}"
        );
    }
}

#[tokio::test]
async fn a_member_can_be_muted_in_one_topic_only() {
    let server = TestServer::start().await;
    let admin = server.client();
    setup(&admin).await;
    let t1 = create(
        &admin,
        json!({"GroupId": COM, "TopicName": "one", "TopicId": topic("one")}),
    )
    .await;
    let t2 = create(
        &admin,
        json!({"GroupId": COM, "TopicName": "two", "TopicId": topic("two")}),
    )
    .await;
    admin
        .call_ok(
            "group_open_http_svc/forbid_send_msg",
            json!({"GroupId": COM, "TopicId": t1, "Members_Account": ["a"], "MuteTime": 600}),
        )
        .await;
    let body = |t: Option<&str>| {
        let mut b = json!({"GroupId": COM, "From_Account": "a", "Random": 3, "MsgBody": text("x")});
        if let Some(t) = t {
            b["TopicId"] = t.into();
        }
        b
    };
    assert_eq!(admin.call_err(SEND, body(Some(&t1))).await.0, 10017);
    admin.call_ok(SEND, body(Some(&t2))).await;
    admin.call_ok(SEND, body(None)).await;
    let muted = admin
        .call_ok(
            "group_open_http_svc/get_group_muted_account",
            json!({"GroupId": COM, "TopicId": t1}),
        )
        .await;
    assert_eq!(muted["MutedAccountList"][0]["Member_Account"], "a");
    let community = admin
        .call_ok(
            "group_open_http_svc/get_group_muted_account",
            json!({"GroupId": COM}),
        )
        .await;
    assert_eq!(community["MutedAccountList"], json!([]));
    // A community mute reaches every topic.
    admin
        .call_ok(
            "group_open_http_svc/forbid_send_msg",
            json!({"GroupId": COM, "Members_Account": ["a"], "MuteTime": 600}),
        )
        .await;
    let mut b = body(Some(&t2));
    b["Random"] = 4.into();
    assert_eq!(admin.call_err(SEND, b).await.0, 10017);
    for (api, b, code) in [
        (
            "group_open_http_svc/forbid_send_msg",
            json!({"GroupId": COM, "TopicId": topic("nope"), "Members_Account": ["a"], "MuteTime": 1}),
            10010,
        ),
        (
            "group_open_http_svc/forbid_send_msg",
            json!({"GroupId": COM, "TopicId": "@TGS#_x@TOPIC#_t", "Members_Account": ["a"], "MuteTime": 1}),
            10004,
        ),
        (
            "group_open_http_svc/get_group_muted_account",
            json!({"GroupId": "pub", "TopicId": "pub@TOPIC#_t"}),
            10007,
        ),
    ] {
        assert_eq!(admin.call_err(api, b.clone()).await.0, code, "{api} {b}");
    }
}
