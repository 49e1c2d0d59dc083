//! End-to-end: every documented (and every inferred) error code of the one-to-one message
//! APIs and query_online_status, each after the state it depends on, and that a refused
//! request stores nothing. spec: c2c-messages.md §3–§11, accounts.md §6, limits.md.

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
const ONLINE: &str = "openim/query_online_status";

async fn start() -> (TestServer, Client) {
    let server = TestServer::start().await;
    let admin = server.client();
    import_accounts(&admin, &["a", "b"]).await;
    (server, admin)
}

/// `base` with `changes` applied: a `null` removes a field.
fn with(base: &Value, changes: Value) -> Value {
    let mut out = base.clone();
    for (k, v) in changes.as_object().unwrap() {
        if v.is_null() {
            out.as_object_mut().unwrap().remove(k);
        } else {
            out[k] = v.clone();
        }
    }
    out
}

/// Asserts that each (changes, code) applied to `base` fails with that code.
async fn refusals(admin: &Client, path: &str, base: &Value, cases: Vec<(Value, u64)>) {
    for (changes, want) in cases {
        let body = with(base, changes.clone());
        let (code, info) = admin.call_err(path, body).await;
        assert_eq!(code, want, "{path} with {changes}: {info}");
        assert!(
            !info.is_empty(),
            "{path} with {changes}: an ErrorInfo says why"
        );
    }
}

async fn count(admin: &Client, op: &str, peer: &str) -> u64 {
    let page = admin
        .call_ok(ROAM, json!({"Operator_Account": op, "Peer_Account": peer, "MaxCnt": 100, "MinTime": 0, "MaxTime": now() + 10}))
        .await;
    page["MsgCnt"].as_u64().unwrap()
}

#[tokio::test]
async fn sendmsg_refusals_store_nothing() {
    let (_server, admin) = start().await;
    let base =
        json!({"From_Account": "a", "To_Account": "b", "MsgRandom": 1, "MsgBody": text("x")});
    let long = "x".repeat(12_289);
    refusals(
        &admin,
        SEND,
        &base,
        vec![
            (json!({"MsgRandom": null}), 90005),
            (json!({"MsgRandom": "1"}), 90005),
            (json!({"MsgRandom": -1}), 90005),
            (json!({"MsgRandom": 4294967296u64}), 90005),
            (json!({"MsgSeq": "1"}), 90001),
            (json!({"MsgSeq": 4294967296u64}), 90001),
            (json!({"To_Account": null}), 90003),
            (json!({"To_Account": ""}), 90003),
            (json!({"To_Account": "nobody"}), 90012),
            (json!({"To_Account": "x".repeat(33)}), 90012),
            (json!({"To_Account": 5}), 60015),
            (json!({"From_Account": "nobody"}), 90008),
            (json!({"From_Account": "x".repeat(33)}), 90008),
            (json!({"From_Account": 5}), 60015),
            (json!({"MsgBody": null}), 90002),
            (json!({"MsgBody": {"MsgType": "TIMTextElem"}}), 90007),
            (json!({"MsgBody": []}), 90002),
            (
                json!({"MsgBody": [{"MsgType": "TIMNopeElem", "MsgContent": {}}]}),
                90010,
            ),
            (
                json!({"MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": 1}}]}),
                90002,
            ),
            (json!({"MsgBody": text(&long)}), 80002),
            (json!({"CloudCustomData": long}), 80002),
            (json!({"CloudCustomData": "a\u{0}b"}), 90001),
            (json!({"CloudCustomData": 5}), 90001),
            (json!({"MsgLifeTime": "60"}), 90044),
            (json!({"MsgLifeTime": -1}), 90026),
            (json!({"SyncOtherMachine": "1"}), 90031),
            (json!({"SyncOtherMachine": 3}), 90031),
            (json!({"SendMsgControl": ["NoUnread", "Bogus"]}), 90001),
            (
                json!({"ForbidCallbackControl": ["ForbidEverything"]}),
                90001,
            ),
            (json!({"OfflinePushInfo": "push"}), 90001),
            (json!({"IsNeedReadReceipt": 2}), 90001),
            (json!({"OnlineOnlyFlag": 2}), 90001),
            (json!({"SupportMessageExtension": "1"}), 90001),
        ],
    )
    .await;
    let r = admin
        .request(SEND)
        .body("{not json")
        .send()
        .await
        .envelope("not json");
    assert_eq!(r["ErrorCode"], 90001);
    assert_eq!(
        count(&admin, "a", "b").await,
        0,
        "no refused send stored anything"
    );
    assert_eq!(count(&admin, "b", "a").await, 0);
}
common::also_on_postgres!(sendmsg_refusals_store_nothing);

#[tokio::test]
async fn batchsendmsg_refusals_and_the_minute_budget() {
    let (_server, admin) = start().await;
    let base =
        json!({"From_Account": "a", "To_Account": ["b"], "MsgRandom": 1, "MsgBody": text("x")});
    let many: Vec<String> = (0..501).map(|i| format!("u{i}")).collect();
    refusals(
        &admin,
        BATCH,
        &base,
        vec![
            (json!({"To_Account": null}), 90003),
            (json!({"To_Account": "b"}), 90003),
            (json!({"To_Account": []}), 90003),
            (json!({"To_Account": many}), 90011),
            (json!({"To_Account": [1]}), 60015),
            (json!({"From_Account": "nobody"}), 90008),
            (json!({"MsgRandom": null}), 90005),
            (json!({"MsgBody": "x"}), 90007),
            (json!({"MsgLifeTime": -5}), 90026),
        ],
    )
    .await;
    assert_eq!(count(&admin, "b", "a").await, 0);
    // 12,000 messages a minute, counted per receiver: the call that would pass it sends nothing.
    let five_hundred: Vec<String> = (0..500).map(|i| format!("u{i}")).collect();
    let body = with(&base, json!({"To_Account": five_hundred}));
    let mut refused = None;
    for calls in 0..49 {
        let r = admin.call(BATCH, body.clone()).await;
        if r["ErrorCode"] != 0 {
            refused = Some((calls, r));
            break;
        }
    }
    let (calls, r) = refused.expect("the budget ran out");
    assert!(
        calls >= 24,
        "24 calls of 500 fit in one minute, refused after {calls}"
    );
    assert_eq!(r["ErrorCode"], 60007, "{r}");
}

#[tokio::test]
async fn importmsg_refusals() {
    let (_server, admin) = start().await;
    let base = json!({"SyncFromOldSystem": 2, "From_Account": "a", "To_Account": "b", "MsgRandom": 1, "MsgTimeStamp": now() - 10, "MsgBody": text("x")});
    refusals(
        &admin,
        IMPORT,
        &base,
        vec![
            (json!({"SyncFromOldSystem": null}), 90001),
            (json!({"SyncFromOldSystem": 3}), 90001),
            (json!({"SyncFromOldSystem": "2"}), 90001),
            (json!({"MsgTimeStamp": null}), 90006),
            (json!({"MsgTimeStamp": "1"}), 90006),
            (json!({"MsgTimeStamp": now() + 3_600}), 90006),
            (json!({"MsgTimeStamp": -1}), 90006),
            (json!({"MsgRandom": null}), 90005),
            (json!({"From_Account": null}), 90008),
            (json!({"From_Account": "nobody"}), 90008),
            (json!({"To_Account": null}), 90003),
            (json!({"To_Account": "nobody"}), 90012),
            (json!({"MsgBody": 1}), 90007),
            (json!({"MsgBody": text(&"x".repeat(12_289))}), 80002),
        ],
    )
    .await;
    assert_eq!(count(&admin, "a", "b").await, 0);
}
common::also_on_postgres!(importmsg_refusals);

#[tokio::test]
async fn roam_withdraw_modify_delete_refusals() {
    let (_server, admin) = start().await;
    let sent = admin
        .call_ok(SEND, json!({"From_Account": "a", "To_Account": "b", "MsgRandom": 1, "MsgBody": text("keep")}))
        .await;
    let key = sent["MsgKey"].clone();
    let roam = json!({"Operator_Account": "a", "Peer_Account": "b", "MaxCnt": 5, "MinTime": 0, "MaxTime": now()});
    refusals(
        &admin,
        ROAM,
        &roam,
        vec![
            (json!({"Operator_Account": null}), 90008),
            (json!({"Operator_Account": "nobody"}), 90008),
            (json!({"Peer_Account": null}), 90003),
            (json!({"Peer_Account": "nobody"}), 90003),
            (json!({"MaxCnt": null}), 90001),
            (json!({"MaxCnt": 0}), 90001),
            (json!({"MaxCnt": "5"}), 90001),
            (json!({"MinTime": null}), 90001),
            (json!({"MaxTime": "now"}), 90001),
            (json!({"LastMsgKey": "last"}), 90001),
        ],
    )
    .await;
    let withdraw = json!({"From_Account": "a", "To_Account": "b", "MsgKey": key});
    refusals(
        &admin,
        WITHDRAW,
        &withdraw,
        vec![
            (json!({"From_Account": null}), 90008),
            (json!({"From_Account": "nobody"}), 90008),
            (json!({"To_Account": "nobody"}), 90003),
            (json!({"MsgKey": null}), 90054),
            (json!({"MsgKey": "1-2-3"}), 90054),
            (json!({"MsgKey": "1_2_3"}), 20022),
            // Only its sender's message: b did not send it.
            (json!({"From_Account": "b", "To_Account": "a"}), 20022),
        ],
    )
    .await;
    let modify =
        json!({"From_Account": "a", "To_Account": "b", "MsgKey": key, "MsgBody": text("new")});
    refusals(
        &admin,
        MODIFY,
        &modify,
        vec![
            (json!({"MsgBody": null}), 90001),
            (json!({"From_Account": "nobody"}), 90008),
            (json!({"To_Account": null}), 90003),
            (json!({"MsgKey": "x"}), 90054),
            (json!({"MsgKey": "1_2_3"}), 20022),
            (json!({"MsgBody": {}}), 90007),
            (
                json!({"MsgBody": [{"MsgType": "TIMNopeElem", "MsgContent": {}}]}),
                90010,
            ),
            (json!({"CloudCustomData": "\u{0}"}), 90001),
            (json!({"MsgBody": text(&"x".repeat(12_289))}), 80002),
        ],
    )
    .await;
    let delete = json!({"Operator_Account": "b", "Peer_Account": "a", "MsgKeyList": [key]});
    let many: Vec<String> = (0..101).map(|i| format!("{i}_1_1")).collect();
    refusals(
        &admin,
        DELETE,
        &delete,
        vec![
            (json!({"Operator_Account": "nobody"}), 90008),
            (json!({"Peer_Account": null}), 90003),
            (json!({"MsgKeyList": null}), 90001),
            (json!({"MsgKeyList": []}), 90001),
            (json!({"MsgKeyList": many}), 90001),
            (json!({"MsgKeyList": [key, "bad"]}), 90054),
        ],
    )
    .await;
    // Nothing refused changed the message; now recall it twice.
    let page = admin.call_ok(ROAM, roam.clone()).await;
    assert_eq!(page["MsgList"][0]["MsgBody"], text("keep"));
    assert_eq!(count(&admin, "b", "a").await, 1);
    admin.call_ok(WITHDRAW, withdraw.clone()).await;
    let (code, _) = admin.call_err(WITHDRAW, withdraw).await;
    assert_eq!(code, 20023);
    let (code, _) = admin.call_err(MODIFY, modify).await;
    assert_eq!(code, 20022, "a recalled message cannot be modified");
}
common::also_on_postgres!(roam_withdraw_modify_delete_refusals);

#[tokio::test]
async fn read_unread_and_online_refusals() {
    let (server, admin) = start().await;
    let read = json!({"Report_Account": "a", "Peer_Account": "b"});
    refusals(
        &admin,
        READ,
        &read,
        vec![
            (json!({"Report_Account": null}), 90008),
            (json!({"Report_Account": "nobody"}), 90008),
            (json!({"Peer_Account": "nobody"}), 90003),
            (json!({"MsgReadTime": "soon"}), 90001),
            (json!({"MsgReadTime": -5}), 90001),
        ],
    )
    .await;
    let eleven: Vec<String> = (0..11).map(|i| format!("p{i}")).collect();
    refusals(
        &admin,
        UNREAD,
        &json!({"To_Account": "a"}),
        vec![
            (json!({"To_Account": null}), 90003),
            (json!({"To_Account": "nobody"}), 90003),
            (json!({"Peer_Account": eleven}), 90001),
            (json!({"Peer_Account": []}), 90001),
            (json!({"Peer_Account": [7]}), 60015),
        ],
    )
    .await;
    let many: Vec<String> = (0..501).map(|i| format!("u{i}")).collect();
    refusals(
        &admin,
        ONLINE,
        &json!({"To_Account": ["a"]}),
        vec![
            (json!({"To_Account": null}), 90001),
            (json!({"To_Account": []}), 90001),
            (json!({"To_Account": many}), 90011),
            (json!({"To_Account": [1]}), 60015),
            (json!({"IsNeedDetail": 2}), 90001),
        ],
    )
    .await;
    // A caller that is not an app admin: 60010 on every one of these commands.
    let user = server.client_for(0, "a");
    for path in [
        SEND,
        BATCH,
        IMPORT,
        ROAM,
        WITHDRAW,
        MODIFY,
        DELETE,
        READ,
        UNREAD,
        ONLINE,
        "openim/querystate",
    ] {
        let (code, _) = user.call_err(path, json!({})).await;
        assert_eq!(code, 60010, "{path}");
    }
}
