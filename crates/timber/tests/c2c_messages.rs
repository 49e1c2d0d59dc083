//! End-to-end: one-to-one messages and online status over HTTP against the real binary —
//! sendmsg, batchsendmsg, importmsg, admin_getroammsg, admin_msgwithdraw, modify_c2c_msg,
//! delete_c2c_msg_ramble, admin_set_msg_read, get_c2c_unread_msg_num, query_online_status.
//! spec: c2c-messages.md, accounts.md §6. Error codes of every API are in `c2c_errors.rs`.

mod common;

use common::{import_accounts, now, text, Client, TestServer};
use serde_json::{json, Value};

const SEND: &str = "openim/sendmsg";
const BATCH: &str = "openim/batchsendmsg";
const IMPORT: &str = "openim/importmsg";
const ROAM: &str = "openim/admin_getroammsg";
const WITHDRAW: &str = "openim/admin_msgwithdraw";
const MODIFY: &str = "openim/modify_c2c_msg";
const DELETE: &str = "openim/delete_c2c_msg_ramble";
const READ: &str = "openim/admin_set_msg_read";
const UNREAD: &str = "openim/get_c2c_unread_msg_num";

async fn start() -> (TestServer, Client) {
    let server = TestServer::start().await;
    let admin = server.client();
    import_accounts(&admin, &["a", "b", "c"]).await;
    (server, admin)
}

async fn send(admin: &Client, body: Value) -> Value {
    admin.call_ok(SEND, body).await
}

/// `op`'s whole view of its conversation with `peer`, newest first (one page of 100).
async fn roam(admin: &Client, op: &str, peer: &str) -> Value {
    admin
        .call_ok(
            ROAM,
            json!({"Operator_Account": op, "Peer_Account": peer, "MaxCnt": 100, "MinTime": 0, "MaxTime": now() + 10}),
        )
        .await
}

fn keys(page: &Value) -> Vec<String> {
    page["MsgList"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["MsgKey"].as_str().unwrap().to_owned())
        .collect()
}

async fn unread(admin: &Client, user: &str, peer: &str) -> u64 {
    let r = admin
        .call_ok(UNREAD, json!({"To_Account": user, "Peer_Account": [peer]}))
        .await;
    r["C2CUnreadMsgNumList"][0]["C2CUnreadMsgNum"]
        .as_u64()
        .unwrap()
}

#[tokio::test]
async fn send_and_read_back_every_field() {
    let (_server, admin) = start().await;
    let before = now();
    let r = send(
        &admin,
        json!({
            "SyncOtherMachine": 1, "From_Account": "a", "To_Account": "b", "MsgLifeTime": 60,
            "MsgSeq": 48374, "MsgRandom": 2837546, "ForbidCallbackControl": ["ForbidBeforeSendMsgCallback"],
            "SendMsgControl": ["WithMuteNotifications"], "MsgBody": text("hi"), "CloudCustomData": "cc",
            "OfflinePushInfo": {"PushFlag": 0, "Desc": "d", "ApnsInfo": {"Sound": "s"}},
            "IsNeedReadReceipt": 1, "SupportMessageExtension": 0
        }),
    )
    .await;
    let time = r["MsgTime"].as_i64().unwrap();
    assert!((before..=now()).contains(&time));
    assert_eq!(r["MsgKey"], format!("48374_2837546_{time}"));
    let id = r["MsgId"].as_str().unwrap();
    assert!(id.ends_with(&format!("-{time}-2837546")), "{id}");
    for (op, peer) in [("a", "b"), ("b", "a")] {
        let page = roam(&admin, op, peer).await;
        assert_eq!(
            (page["Complete"].clone(), page["MsgCnt"].clone()),
            (json!(1), json!(1))
        );
        assert_eq!(page["LastMsgTime"], time);
        assert_eq!(page["LastMsgKey"], r["MsgKey"]);
        let m = &page["MsgList"][0];
        assert_eq!(
            *m,
            json!({
                "From_Account": "a", "To_Account": "b", "MsgSeq": 48374, "MsgRandom": 2837546,
                "MsgTimeStamp": time, "MsgFlagBits": 0, "IsPeerRead": 0, "MsgKey": r["MsgKey"],
                "MsgBody": text("hi"), "CloudCustomData": "cc", "MsgClientTime": time
            })
        );
    }
    // The same send again within 120 s answers the same key; the old request shape reads it.
    let again = send(
        &admin,
        json!({"From_Account": "a", "To_Account": "b", "MsgSeq": 48374, "MsgRandom": 2837546, "MsgBody": text("hi"), "CloudCustomData": "cc"}),
    )
    .await;
    assert_eq!(again["MsgKey"], r["MsgKey"]);
    let old = admin
        .call_ok(ROAM, json!({"From_Account": "b", "To_Account": "a", "MaxCnt": 5, "MinTime": 0, "MaxTime": now()}))
        .await;
    assert_eq!(old["MsgCnt"], 1);
    assert_eq!(unread(&admin, "b", "a").await, 1);
    // From_Account absent: the admin sends.
    let r = send(
        &admin,
        json!({"To_Account": "c", "MsgRandom": 1, "MsgBody": text("from admin")}),
    )
    .await;
    let page = roam(&admin, "c", "administrator").await;
    assert_eq!(page["MsgList"][0]["From_Account"], "administrator");
    assert_eq!(page["MsgList"][0]["MsgKey"], r["MsgKey"]);
}
common::also_on_postgres!(send_and_read_back_every_field);

#[tokio::test]
async fn send_options_shape_each_sides_view() {
    let (_server, admin) = start().await;
    // SyncOtherMachine 2: only the receiver has the message.
    send(&admin, json!({"SyncOtherMachine": 2, "From_Account": "a", "To_Account": "b", "MsgRandom": 1, "MsgBody": text("x")})).await;
    assert_eq!(roam(&admin, "b", "a").await["MsgCnt"], 1);
    assert_eq!(roam(&admin, "a", "b").await["MsgCnt"], 0);
    // MsgLifeTime 0 and OnlineOnlyFlag 1 store nothing but answer a key.
    for extra in [json!({"MsgLifeTime": 0}), json!({"OnlineOnlyFlag": 1})] {
        let mut body = json!({"From_Account": "a", "To_Account": "c", "MsgRandom": 2, "MsgBody": text("typing")});
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        let r = send(&admin, body).await;
        assert!(r["MsgKey"].as_str().unwrap().contains("_2_"));
    }
    assert_eq!(roam(&admin, "c", "a").await["MsgCnt"], 0);
    assert_eq!(unread(&admin, "c", "a").await, 0);
    // NoUnread: stored, not counted. A MsgLifeTime over 7 days is taken as 7 days.
    send(&admin, json!({"From_Account": "a", "To_Account": "c", "MsgRandom": 3, "MsgLifeTime": 99999999, "SendMsgControl": ["NoUnread", "NoLastMsg"], "MsgBody": text("q")})).await;
    assert_eq!(roam(&admin, "c", "a").await["MsgCnt"], 1);
    assert_eq!(unread(&admin, "c", "a").await, 0);
    // No MsgSeq: the server picks one.
    let r = send(
        &admin,
        json!({"From_Account": "a", "To_Account": "c", "MsgRandom": 4, "MsgBody": text("s")}),
    )
    .await;
    let seq: u64 = r["MsgKey"]
        .as_str()
        .unwrap()
        .split('_')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let page = roam(&admin, "c", "a").await;
    let m = page["MsgList"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["MsgKey"] == r["MsgKey"]);
    assert_eq!(m.expect("stored")["MsgSeq"], seq);
}
common::also_on_postgres!(send_options_shape_each_sides_view);

#[tokio::test]
async fn batches_report_each_receiver() {
    let (_server, admin) = start().await;
    let r = admin
        .call_ok(
            BATCH,
            json!({"From_Account": "a", "To_Account": ["b", "nobody", "c", "b", "bad\u{1}id"], "MsgSeq": 7, "MsgRandom": 8, "MsgBody": text("all")}),
        )
        .await;
    let key = r["MsgKey"].as_str().unwrap();
    assert!(key.starts_with("7_8_"), "{key}");
    assert!(r["MsgId"].as_str().unwrap().ends_with("-8"));
    let mut errors = r["ErrorList"].as_array().unwrap().clone();
    errors.sort_by_key(|e| e["To_Account"].as_str().unwrap().to_owned());
    assert_eq!(
        errors,
        vec![
            json!({"To_Account": "bad\u{1}id", "ErrorCode": 70107}),
            json!({"To_Account": "nobody", "ErrorCode": 70107}),
        ]
    );
    for peer in ["b", "c"] {
        let page = roam(&admin, peer, "a").await;
        assert_eq!(keys(&page), vec![key.to_owned()], "one message for {peer}");
    }
    let r = admin
        .call_ok(
            BATCH,
            json!({"To_Account": ["b"], "MsgRandom": 1, "MsgBody": text("x")}),
        )
        .await;
    assert_eq!(r["ErrorList"], json!([]));
}
common::also_on_postgres!(batches_report_each_receiver);

#[tokio::test]
async fn imports_page_and_deduplicate() {
    let (_server, admin) = start().await;
    let t0 = now() - 1_000;
    for i in 0..25 {
        admin
            .call_ok(
                IMPORT,
                json!({"SyncFromOldSystem": 2, "From_Account": if i % 2 == 0 { "a" } else { "b" }, "To_Account": if i % 2 == 0 { "b" } else { "a" },
                       "MsgSeq": i, "MsgRandom": 5, "MsgTimeStamp": t0 + i / 3, "MsgBody": text(&format!("m{i}")), "CloudCustomData": format!("c{i}")}),
            )
            .await;
    }
    // The same (MsgSeq, MsgRandom, MsgTimeStamp) from the other side is the same message.
    admin
        .call_ok(IMPORT, json!({"SyncFromOldSystem": 1, "From_Account": "b", "To_Account": "a", "MsgSeq": 0, "MsgRandom": 5, "MsgTimeStamp": t0, "MsgBody": text("dup")}))
        .await;
    assert_eq!(
        unread(&admin, "b", "a").await,
        0,
        "history imports are not unread"
    );
    // Page by 10 with LastMsgKey; every message once, newest first.
    let mut all = Vec::new();
    let mut body = json!({"Operator_Account": "a", "Peer_Account": "b", "MaxCnt": 10, "MinTime": t0, "MaxTime": t0 + 100});
    loop {
        let page = admin.call_ok(ROAM, body.clone()).await;
        all.extend(keys(&page));
        assert_eq!(
            page["MsgCnt"].as_u64().unwrap() as usize,
            page["MsgList"].as_array().unwrap().len()
        );
        if page["Complete"] == 1 {
            break;
        }
        body["MaxTime"] = page["LastMsgTime"].clone();
        body["LastMsgKey"] = page["LastMsgKey"].clone();
    }
    let want: Vec<String> = (0..25)
        .rev()
        .map(|i| format!("{i}_5_{}", t0 + i / 3))
        .collect();
    assert_eq!(all, want);
    let page = roam(&admin, "b", "a").await;
    let oldest = &page["MsgList"][24];
    assert_eq!(
        (oldest["MsgBody"].clone(), oldest["CloudCustomData"].clone()),
        (text("m0"), json!("c0"))
    );
    // A real-time import counts as unread.
    admin
        .call_ok(IMPORT, json!({"SyncFromOldSystem": 1, "From_Account": "a", "To_Account": "c", "MsgRandom": 1, "MsgTimeStamp": now(), "MsgBody": text("live")}))
        .await;
    assert_eq!(unread(&admin, "c", "a").await, 1);
}
common::also_on_postgres!(imports_page_and_deduplicate);

#[tokio::test]
async fn withdraw_modify_and_delete_one_side() {
    let (_server, admin) = start().await;
    let k1 = send(&admin, json!({"From_Account": "a", "To_Account": "b", "MsgRandom": 1, "MsgBody": text("one"), "CloudCustomData": "x"})).await["MsgKey"].clone();
    let k2 = send(
        &admin,
        json!({"From_Account": "b", "To_Account": "a", "MsgRandom": 2, "MsgBody": text("two")}),
    )
    .await["MsgKey"]
        .clone();
    admin
        .call_ok(MODIFY, json!({"From_Account": "b", "To_Account": "a", "MsgKey": k2, "MsgBody": text("two!"), "CloudCustomData": "new"}))
        .await;
    admin
        .call_ok(
            WITHDRAW,
            json!({"From_Account": "a", "To_Account": "b", "MsgKey": k1}),
        )
        .await;
    for (op, peer) in [("a", "b"), ("b", "a")] {
        let page = roam(&admin, op, peer).await;
        let by_key = |k: &Value| {
            page["MsgList"]
                .as_array()
                .unwrap()
                .iter()
                .find(|m| m["MsgKey"] == *k)
                .unwrap()
                .clone()
        };
        let recalled = by_key(&k1);
        assert_eq!(
            (
                recalled["MsgFlagBits"].clone(),
                recalled["MsgBody"].clone(),
                recalled["CloudCustomData"].clone()
            ),
            (json!(8), json!([]), json!(""))
        );
        let modified = by_key(&k2);
        assert_eq!(
            (
                modified["MsgBody"].clone(),
                modified["CloudCustomData"].clone()
            ),
            (text("two!"), json!("new"))
        );
    }
    assert_eq!(
        unread(&admin, "b", "a").await,
        0,
        "a recalled message is not unread"
    );
    admin
        .call_ok(
            DELETE,
            json!({"Operator_Account": "a", "Peer_Account": "b", "MsgKeyList": [k2, "1_1_1"]}),
        )
        .await;
    // Again: deleting is idempotent.
    admin
        .call_ok(
            DELETE,
            json!({"Operator_Account": "a", "Peer_Account": "b", "MsgKeyList": [k2]}),
        )
        .await;
    assert_eq!(
        keys(&roam(&admin, "a", "b").await),
        vec![k1.as_str().unwrap().to_owned()]
    );
    assert_eq!(
        roam(&admin, "b", "a").await["MsgCnt"],
        2,
        "the peer still sees it"
    );
}
common::also_on_postgres!(withdraw_modify_and_delete_one_side);

#[tokio::test]
async fn read_marks_and_unread_counts() {
    let (_server, admin) = start().await;
    for (from, n) in [("a", 3), ("b", 2)] {
        for i in 0..n {
            send(&admin, json!({"From_Account": from, "To_Account": "c", "MsgRandom": i, "MsgBody": text("m")})).await;
        }
    }
    let total = admin.call_ok(UNREAD, json!({"To_Account": "c"})).await;
    assert_eq!(total["AllC2CUnreadMsgNum"], 5);
    assert!(total.get("C2CUnreadMsgNumList").is_none());
    let per = admin
        .call_ok(
            UNREAD,
            json!({"To_Account": "c", "Peer_Account": ["a", "b", "ghost"]}),
        )
        .await;
    assert_eq!(
        per["C2CUnreadMsgNumList"],
        json!([{"Peer_Account": "a", "C2CUnreadMsgNum": 3}, {"Peer_Account": "b", "C2CUnreadMsgNum": 2}])
    );
    assert_eq!(
        per["ErrorList"],
        json!([{"Peer_Account": "ghost", "ErrorCode": 70107}])
    );
    assert!(per.get("AllC2CUnreadMsgNum").is_none());
    admin
        .call_ok(READ, json!({"Report_Account": "c", "Peer_Account": "a"}))
        .await;
    assert_eq!(unread(&admin, "c", "a").await, 0);
    // A time as a numeric string, before the messages: nothing changes (marks only move on).
    admin
        .call_ok(
            READ,
            json!({"Report_Account": "c", "Peer_Account": "b", "MsgReadTime": "1000"}),
        )
        .await;
    assert_eq!(unread(&admin, "c", "b").await, 2);
    admin
        .call_ok(
            READ,
            json!({"Report_Account": "c", "Peer_Account": "b", "MsgReadTime": now()}),
        )
        .await;
    let total = admin.call_ok(UNREAD, json!({"To_Account": "c"})).await;
    assert_eq!(total["AllC2CUnreadMsgNum"], 0);
    // Marking a conversation that has no messages is accepted.
    admin
        .call_ok(READ, json!({"Report_Account": "a", "Peer_Account": "b"}))
        .await;
}
common::also_on_postgres!(read_marks_and_unread_counts);

#[tokio::test]
async fn online_status_is_offline_for_every_account() {
    let (_server, admin) = start().await;
    for cmd in ["openim/query_online_status", "openim/querystate"] {
        let r = admin
            .call_ok(cmd, json!({"To_Account": ["a", "ghost", "b", ""]}))
            .await;
        assert_eq!(
            r["QueryResult"],
            json!([{"To_Account": "a", "Status": "Offline"}, {"To_Account": "b", "Status": "Offline"}])
        );
        assert_eq!(
            r["ErrorList"],
            json!([{"To_Account": "ghost", "ErrorCode": 70107}, {"To_Account": "", "ErrorCode": 70107}])
        );
        let r = admin
            .call_ok(cmd, json!({"To_Account": ["c"], "IsNeedDetail": 1, "IsReturnInstid": 1, "IsReturnCustomStatus": 1}))
            .await;
        assert_eq!(
            r["QueryResult"],
            json!([{"To_Account": "c", "Status": "Offline", "Detail": []}])
        );
    }
}

#[tokio::test]
async fn pages_stop_at_about_13_kb() {
    let (_server, admin) = start().await;
    let big = "x".repeat(5_000);
    for i in 0..4 {
        send(&admin, json!({"From_Account": "a", "To_Account": "b", "MsgSeq": i, "MsgRandom": 1, "MsgBody": text(&big)})).await;
    }
    let mut body = json!({"Operator_Account": "b", "Peer_Account": "a", "MaxCnt": 10, "MinTime": 0, "MaxTime": now() + 10});
    let mut counts = Vec::new();
    loop {
        let page = admin.call_ok(ROAM, body.clone()).await;
        counts.push(page["MsgCnt"].as_u64().unwrap());
        if page["Complete"] == 1 {
            break;
        }
        body["MaxTime"] = page["LastMsgTime"].clone();
        body["LastMsgKey"] = page["LastMsgKey"].clone();
    }
    assert_eq!(
        counts,
        vec![2, 2],
        "two 5 KB messages fit in a page, a third does not"
    );
}
