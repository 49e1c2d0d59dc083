//! End-to-end: message extensions (`openim_msg_ext_http_svc`, groups-more.md §9) over HTTP —
//! versions, tombstones, clears, paging, every documented error, tenancy and the
//! after-callbacks.

mod common;

use axum::extract::State;
use axum::routing::post;
use axum::Router;
use common::{text, Client, ServerOptions, TestApp, TestServer};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const SEND: &str = "group_open_http_svc/send_group_msg";
const GGET: &str = "openim_msg_ext_http_svc/group_get_key_values";
const GSET: &str = "openim_msg_ext_http_svc/group_set_key_values";
const CGET: &str = "openim_msg_ext_http_svc/get_key_values";
const CSET: &str = "openim_msg_ext_http_svc/set_key_values";

async fn setup(admin: &Client) {
    admin
        .call_ok(
            "im_open_login_svc/multiaccount_import",
            json!({"Accounts": ["o", "a", "b"]}),
        )
        .await;
    for (ty, id) in [
        ("Public", "pub"),
        ("AVChatRoom", "live"),
        ("Community", "@TGS#_com"),
    ] {
        let members = if ty == "AVChatRoom" {
            json!([])
        } else {
            json!([{"Member_Account": "a"}])
        };
        admin
            .call_ok(
                "group_open_http_svc/create_group",
                json!({"Type": ty, "GroupId": id, "Name": "g", "Owner_Account": "o",
                       "MemberList": members}),
            )
            .await;
    }
}

/// Sends a group message; `ext`: with `SupportMessageExtension` 1. Returns its MsgSeq.
async fn send(admin: &Client, gid: &str, random: u32, ext: bool) -> u64 {
    let r = admin
        .call_ok(
            SEND,
            json!({"GroupId": gid, "From_Account": "a", "Random": random, "MsgBody": text("poll"),
                   "SupportMessageExtension": u8::from(ext)}),
        )
        .await;
    r["MsgSeq"].as_u64().unwrap()
}

fn kvs(list: &Value) -> Vec<(String, String, u64)> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|kv| {
            (
                kv["Key"].as_str().unwrap().to_owned(),
                kv["Value"].as_str().unwrap().to_owned(),
                kv["Seq"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn kv(k: &str, v: &str, s: u64) -> (String, String, u64) {
    (k.into(), v.into(), s)
}

#[tokio::test]
async fn group_extensions_have_versions_tombstones_and_clears() {
    let server = TestServer::start().await;
    let admin = server.client();
    setup(&admin).await;
    let seq = send(&admin, "pub", 1, true).await;
    let at = json!({"GroupId": "pub", "MsgSeq": seq});
    let fresh = admin.call_ok(GGET, at.clone()).await;
    assert_eq!(fresh["ExtensionList"], json!([]));
    assert_eq!(
        (
            &fresh["LatestSeq"],
            &fresh["ClearSeq"],
            &fresh["CompleteFlag"]
        ),
        (&json!(0), &json!(0), &json!(1))
    );

    // The example of §9.3: set a, delete a, set b.
    let r = admin
        .call_ok(
            GSET,
            json!({"GroupId": "pub", "MsgSeq": seq, "OperateType": 1,
                   "ExtensionList": [{"Key": "a", "Value": "1", "Seq": 99}]}),
        )
        .await;
    assert_eq!(
        r["ExtensionList"],
        json!([{"ErrorCode": 0, "Extension": {"Key": "a", "Value": "1", "Seq": 1}}])
    );
    let r = admin
        .call_ok(
            GSET,
            json!({"GroupId": "pub", "MsgSeq": seq, "OperateType": 2,
                   "ExtensionList": [{"Key": "a"}, {"Key": "nope"}]}),
        )
        .await;
    assert_eq!(r["ExtensionList"][0]["ErrorCode"], 0);
    assert_eq!(r["ExtensionList"][0]["Extension"]["Seq"], 2);
    assert_eq!(r["ExtensionList"][1]["ErrorCode"], 23004);
    admin
        .call_ok(
            GSET,
            json!({"GroupId": "pub", "MsgSeq": seq, "OperateType": 1,
                   "ExtensionList": [{"Key": "b", "Value": "2"}]}),
        )
        .await;
    let inc = admin
        .call_ok(
            GGET,
            json!({"GroupId": "pub", "MsgSeq": seq, "StartSeq": 2}),
        )
        .await;
    assert_eq!(
        kvs(&inc["ExtensionList"]),
        [kv("a", "", 2), kv("b", "2", 3)]
    );
    assert_eq!(
        (&inc["LatestSeq"], &inc["ClearSeq"]),
        (&json!(3), &json!(0))
    );
    let all = admin.call_ok(GGET, at.clone()).await;
    assert_eq!(kvs(&all["ExtensionList"]), [kv("b", "2", 3)]);

    // A delete whose every KV fails moves nothing.
    let r = admin
        .call_ok(
            GSET,
            json!({"GroupId": "pub", "MsgSeq": seq, "OperateType": 2,
                   "ExtensionList": [{"Key": "a"}]}),
        )
        .await;
    assert_eq!(r["ExtensionList"][0]["ErrorCode"], 23004);
    assert_eq!(admin.call_ok(GGET, at.clone()).await["LatestSeq"], 3);

    // Clear: one version, no list, everything gone, tombstones too.
    let r = admin
        .call_ok(
            GSET,
            json!({"GroupId": "pub", "MsgSeq": seq, "OperateType": 3}),
        )
        .await;
    assert_eq!(r["ExtensionList"], json!([]));
    let after = admin
        .call_ok(
            GGET,
            json!({"GroupId": "pub", "MsgSeq": seq, "StartSeq": 1}),
        )
        .await;
    assert_eq!(after["ExtensionList"], json!([]));
    assert_eq!(
        (&after["LatestSeq"], &after["ClearSeq"]),
        (&json!(4), &json!(4))
    );

    // Community messages carry them too (the newest page); clearing the history does not
    // touch them.
    let cseq = send(&admin, "@TGS#_com", 2, true).await;
    admin
        .call_ok(
            GSET,
            json!({"GroupId": "@TGS#_com", "MsgSeq": cseq, "OperateType": 1,
                   "ExtensionList": [{"Key": "k", "Value": "v"}]}),
        )
        .await;
    admin
        .call_ok(
            "group_open_http_svc/clear_group_msg",
            json!({"GroupId": "pub"}),
        )
        .await;
    admin
        .call_ok(
            GSET,
            json!({"GroupId": "pub", "MsgSeq": seq, "OperateType": 1,
                   "ExtensionList": [{"Key": "x", "Value": "y"}]}),
        )
        .await;
}

#[tokio::test]
async fn pulls_page_at_200_and_keys_stop_at_300() {
    let server = TestServer::start().await;
    let admin = server.client();
    setup(&admin).await;
    let seq = send(&admin, "pub", 1, true).await;
    for round in 0..15 {
        let list: Vec<Value> = (0..20)
            .map(|i| json!({"Key": format!("k{round:02}-{i:02}"), "Value": "v"}))
            .collect();
        admin
            .call_ok(
                GSET,
                json!({"GroupId": "pub", "MsgSeq": seq, "OperateType": 1, "ExtensionList": list}),
            )
            .await;
    }
    // The 301st key fails alone; replacing a key still works.
    let r = admin
        .call_ok(
            GSET,
            json!({"GroupId": "pub", "MsgSeq": seq, "OperateType": 1,
                   "ExtensionList": [{"Key": "extra", "Value": "x"}, {"Key": "k00-00", "Value": "w"}]}),
        )
        .await;
    assert_eq!(r["ExtensionList"][0]["ErrorCode"], 90001);
    assert_eq!(r["ExtensionList"][1]["ErrorCode"], 0);
    let first = admin
        .call_ok(GGET, json!({"GroupId": "pub", "MsgSeq": seq}))
        .await;
    let page = kvs(&first["ExtensionList"]);
    // Seq 1 lost k00-00 to the last call: 19 + 9 × 20 fit, the 20 of seq 11 do not.
    assert_eq!(page.len(), 199);
    assert_eq!(first["CompleteFlag"], 0);
    let next = page.last().unwrap().2 + 1;
    let rest = admin
        .call_ok(
            GGET,
            json!({"GroupId": "pub", "MsgSeq": seq, "StartSeq": next}),
        )
        .await;
    assert_eq!(rest["CompleteFlag"], 1);
    assert_eq!(kvs(&rest["ExtensionList"]).len(), 101);
}

#[tokio::test]
async fn group_extension_errors() {
    let server = TestServer::start().await;
    let admin = server.client();
    setup(&admin).await;
    let seq = send(&admin, "pub", 1, true).await;
    let plain = send(&admin, "pub", 2, false).await;
    let set = |extra: Value| {
        let mut body = json!({"GroupId": "pub", "MsgSeq": seq, "OperateType": 1,
                              "ExtensionList": [{"Key": "k", "Value": "v"}]});
        for (k, v) in extra.as_object().unwrap() {
            if v.is_null() {
                body.as_object_mut().unwrap().remove(k);
            } else {
                body[k] = v.clone();
            }
        }
        body
    };
    let cases = [
        (set(json!({"GroupId": null})), 90001),
        (set(json!({"GroupId": "grüppe"})), 10015),
        (set(json!({"GroupId": "nogroup"})), 10010),
        (set(json!({"MsgSeq": null})), 90001),
        (set(json!({"MsgSeq": "1"})), 90001),
        (set(json!({"OperateType": null})), 90001),
        (set(json!({"OperateType": 4})), 90001),
        (set(json!({"ExtensionList": null})), 90001),
        (set(json!({"ExtensionList": []})), 90001),
        (set(json!({"ExtensionList": [{"Value": "v"}]})), 90001),
        (
            set(json!({"ExtensionList": [{"Key": "k".repeat(101)}]})),
            90001,
        ),
        (
            set(json!({"ExtensionList": [{"Key": "k", "Value": "v".repeat(1001)}]})),
            90001,
        ),
        (
            set(
                json!({"ExtensionList": (0..21).map(|i| json!({"Key": i.to_string()})).collect::<Vec<_>>()}),
            ),
            90001,
        ),
        (set(json!({"MsgSeq": plain})), 20022),
        (set(json!({"MsgSeq": 999})), 20022),
        (set(json!({"GroupId": "live", "MsgSeq": 1})), 10007),
    ];
    for (body, code) in cases {
        assert_eq!(admin.call_err(GSET, body.clone()).await.0, code, "{body}");
    }
    for (body, code) in [
        (json!({"MsgSeq": seq}), 90001),
        (json!({"GroupId": "pub"}), 90001),
        (json!({"GroupId": "nogroup", "MsgSeq": 1}), 10010),
        (json!({"GroupId": "grüppe", "MsgSeq": 1}), 10015),
        (json!({"GroupId": "pub", "MsgSeq": plain}), 20022),
        (json!({"GroupId": "live", "MsgSeq": 1}), 10007),
        (
            json!({"GroupId": "pub", "MsgSeq": seq, "StartSeq": -1}),
            90001,
        ),
    ] {
        assert_eq!(admin.call_err(GGET, body.clone()).await.0, code, "{body}");
    }
    // A body that is not JSON is 90001 (openim family); a non-admin is refused.
    let r = admin
        .request(GGET)
        .body("{nope")
        .send()
        .await
        .envelope("not json");
    assert_eq!(r["ErrorCode"], 90001);
    let user = server.client_with_sig(server.apps[0].sdkappid, "a", &server.apps[0].sig("a"));
    let (code, _) = user
        .call_err(GGET, json!({"GroupId": "pub", "MsgSeq": seq}))
        .await;
    assert_eq!(code, 60010);
    // A recalled message loses its extensions.
    admin
        .call_ok(
            "group_open_http_svc/group_msg_recall",
            json!({"GroupId": "pub", "MsgSeqList": [{"MsgSeq": seq}]}),
        )
        .await;
    let (code, _) = admin
        .call_err(GGET, json!({"GroupId": "pub", "MsgSeq": seq}))
        .await;
    assert_eq!(code, 20022);
}

/// Sends a one-to-one message a → b; returns its MsgKey.
async fn sendmsg(admin: &Client, random: u32, ext: bool) -> String {
    let r = admin
        .call_ok(
            "openim/sendmsg",
            json!({"From_Account": "a", "To_Account": "b", "MsgRandom": random,
                   "MsgBody": text("vote"), "SupportMessageExtension": u8::from(ext)}),
        )
        .await;
    r["MsgKey"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn c2c_extensions_and_their_errors() {
    let server = TestServer::start().await;
    let admin = server.client();
    setup(&admin).await;
    let key = sendmsg(&admin, 1, true).await;
    let plain = sendmsg(&admin, 2, false).await;
    let r = admin
        .call_ok(
            CSET,
            json!({"From_Account": "a", "To_Account": "b", "MsgKey": key, "OperateType": 1,
                   "ExtensionList": [{"Key": "x", "Value": "1"}, {"Key": "y", "Value": "2"}]}),
        )
        .await;
    assert_eq!(r["ExtensionList"][1]["Extension"]["Seq"], 1);
    // Either order of the pair finds the conversation.
    let got = admin
        .call_ok(
            CGET,
            json!({"From_Account": "b", "To_Account": "a", "MsgKey": key}),
        )
        .await;
    assert_eq!(
        kvs(&got["ExtensionList"]),
        [kv("x", "1", 1), kv("y", "2", 1)]
    );
    assert_eq!(got["LatestSeq"], 1);
    admin
        .call_ok(
            CSET,
            json!({"From_Account": "a", "To_Account": "b", "MsgKey": key, "OperateType": 3}),
        )
        .await;
    let got = admin
        .call_ok(
            CGET,
            json!({"From_Account": "a", "To_Account": "b", "MsgKey": key}),
        )
        .await;
    assert_eq!(
        (&got["LatestSeq"], &got["ClearSeq"]),
        (&json!(2), &json!(2))
    );

    let get = |from: &str, to: &str, key: &str| json!({"From_Account": from, "To_Account": to, "MsgKey": key});
    for (body, code) in [
        (get("a", "b", &plain), 20022),
        (get("a", "b", "1_2_3"), 20022),
        (get("a", "o", &key), 20022),
        (get("nobody", "b", &key), 70107),
        (get("a", "nobody", &key), 90012),
        (json!({"From_Account": "a", "MsgKey": key}), 90012),
        (get("a", "b", "not-a-key"), 90054),
        (json!({"From_Account": "a", "To_Account": "b"}), 90054),
    ] {
        assert_eq!(admin.call_err(CGET, body.clone()).await.0, code, "{body}");
    }
    let mut bad = get("a", "b", &key);
    bad["OperateType"] = json!(2);
    bad["ExtensionList"] = json!([{"Key": "gone"}]);
    let r = admin.call_ok(CSET, bad.clone()).await;
    assert_eq!(r["ExtensionList"][0]["ErrorCode"], 23004);
    bad["OperateType"] = json!(0);
    assert_eq!(admin.call_err(CSET, bad.clone()).await.0, 90001);
    let mut plain_set = get("a", "b", &plain);
    plain_set["OperateType"] = json!(3);
    assert_eq!(admin.call_err(CSET, plain_set).await.0, 20022);
}

#[tokio::test]
async fn one_app_sees_nothing_of_another() {
    let server = TestServer::start_with(ServerOptions {
        apps: vec![TestApp::random(), TestApp::random()],
        ..ServerOptions::default()
    })
    .await;
    let admin = server.client();
    let other = server.client_for(1, "administrator");
    setup(&admin).await;
    setup(&other).await;
    let seq = send(&admin, "pub", 1, true).await;
    admin
        .call_ok(
            GSET,
            json!({"GroupId": "pub", "MsgSeq": seq, "OperateType": 1,
                   "ExtensionList": [{"Key": "mine", "Value": "1"}]}),
        )
        .await;
    // The other app's group of the same ID has no such message.
    let (code, _) = other
        .call_err(GGET, json!({"GroupId": "pub", "MsgSeq": seq}))
        .await;
    assert_eq!(code, 20022);
    let oseq = send(&other, "pub", 1, true).await;
    assert_eq!(oseq, seq);
    let got = other
        .call_ok(GGET, json!({"GroupId": "pub", "MsgSeq": oseq}))
        .await;
    assert_eq!(got["ExtensionList"], json!([]));
}

#[derive(Default)]
struct Hits(Mutex<Vec<Value>>);

async fn receive(State(h): State<Arc<Hits>>, body: String) -> String {
    h.0.lock()
        .unwrap()
        .push(serde_json::from_str(&body).unwrap_or(Value::Null));
    json!({"ActionStatus": "OK", "ErrorCode": 0, "ErrorInfo": ""}).to_string()
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
async fn writes_are_reported_after_they_happen() {
    let hits = Arc::new(Hits::default());
    let app = Router::new()
        .route("/im", post(receive))
        .with_state(hits.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/im", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let server = TestServer::start_with(ServerOptions::calling_back(&url, "")).await;
    let admin = server.client();
    setup(&admin).await;
    let seq = send(&admin, "pub", 1, true).await;
    admin
        .call_ok(
            GSET,
            json!({"GroupId": "pub", "MsgSeq": seq, "OperateType": 1,
                   "ExtensionList": [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}]}),
        )
        .await;
    // Nothing changed: no event.
    admin
        .call_ok(
            GSET,
            json!({"GroupId": "pub", "MsgSeq": seq, "OperateType": 2,
                   "ExtensionList": [{"Key": "zz"}]}),
        )
        .await;
    admin
        .call_ok(
            GSET,
            json!({"GroupId": "pub", "MsgSeq": seq, "OperateType": 3}),
        )
        .await;
    let got = wait_for(&hits, "Group.CallbackAfterGroupMsgExtension", 2).await;
    assert_eq!(got[0]["GroupId"], "pub");
    assert_eq!(got[0]["MsgSeq"], seq);
    assert_eq!(got[0]["OperateType"], 1);
    assert_eq!(
        got[0]["ExtensionList"],
        json!([{"Key": "a", "Value": "1", "Seq": 1}, {"Key": "b", "Value": "2", "Seq": 1}])
    );
    assert_eq!(got[0]["Seq"], 1);
    assert!(got[0]["EventTime"].as_i64().unwrap() > 0);
    assert_eq!(
        (&got[1]["OperateType"], &got[1]["Seq"]),
        (&json!(3), &json!(2))
    );
    assert_eq!(got[1]["ExtensionList"], json!([]));

    let key = sendmsg(&admin, 5, true).await;
    admin
        .call_ok(
            CSET,
            json!({"From_Account": "a", "To_Account": "b", "MsgKey": key, "OperateType": 1,
                   "ExtensionList": [{"Key": "x", "Value": "1"}]}),
        )
        .await;
    let got = wait_for(&hits, "C2C.CallbackAfterC2CMsgExtension", 1).await;
    assert_eq!(
        (
            &got[0]["From_Account"],
            &got[0]["To_Account"],
            &got[0]["MsgKey"]
        ),
        (&json!("a"), &json!("b"), &json!(key))
    );
    assert_eq!(
        got[0]["ExtensionList"],
        json!([{"Key": "x", "Value": "1", "Seq": 1}])
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        wait_for(&hits, "Group.CallbackAfterGroupMsgExtension", 2)
            .await
            .len(),
        2
    );
}
