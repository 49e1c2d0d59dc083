//! End-to-end: every documented error code of every group-message API, as data.
//! spec: group-messages.md §3–§11, §14; c2c-messages.md §11 (modify_group_msg's openim codes).
//! Each refused request must leave the stored history exactly as it was.

mod common;

use common::{group_info, text, Client, ServerOptions, TestApp, TestServer};
use serde_json::{json, Value};

const SEND: &str = "group_open_http_svc/send_group_msg";
const NOTIFY: &str = "group_open_http_svc/send_group_system_notification";
const GET: &str = "group_open_http_svc/group_msg_get_simple";
const RECALL: &str = "group_open_http_svc/group_msg_recall";
const DELETE: &str = "group_open_http_svc/delete_group_msg_by_sender";
const CLEAR: &str = "group_open_http_svc/clear_group_msg";
const IMPORT: &str = "group_open_http_svc/import_group_msg";
const UNREAD: &str = "group_open_http_svc/set_unread_msg_num";
const MODIFY: &str = "openim/modify_group_msg";

/// Accounts `o`, `a`, `b`, `c`; groups `pub` (Public: o, a, b; three messages, the second
/// recalled), `live` (AVChatRoom), `@TGS#_com` (Community) and `quiet` (Public, everyone
/// muted).
async fn fixture(admin: &Client) {
    for user in ["o", "a", "b", "c"] {
        admin
            .call_ok("im_open_login_svc/account_import", json!({"UserID": user}))
            .await;
    }
    let members = json!([{"Member_Account": "a"}, {"Member_Account": "b"}]);
    for (ty, id, extra) in [
        ("Public", "pub", json!({"MemberList": members})),
        ("AVChatRoom", "live", json!({})),
        ("Community", "@TGS#_com", json!({"MemberList": members})),
        (
            "Public",
            "quiet",
            json!({"MemberList": members, "MuteAllMember": "On"}),
        ),
    ] {
        let mut body = json!({"Type": ty, "GroupId": id, "Name": "g", "Owner_Account": "o"});
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        admin
            .call_ok("group_open_http_svc/create_group", body)
            .await;
    }
    for i in 1..=3 {
        admin
            .call_ok(
                SEND,
                json!({"GroupId": "pub", "From_Account": "a", "Random": i, "MsgBody": text("x")}),
            )
            .await;
    }
    admin
        .call_ok(
            RECALL,
            json!({"GroupId": "pub", "MsgSeqList": [{"MsgSeq": 2}]}),
        )
        .await;
}

/// The admin's whole view of `pub`, to show refused requests changed nothing.
async fn snapshot(admin: &Client) -> (Value, Value) {
    let history = admin
        .call_ok(
            GET,
            json!({"GroupId": "pub", "ReqMsgNumber": 20, "WithRecalledMsg": 1}),
        )
        .await;
    (
        history["RspMsgList"].clone(),
        group_info(admin, "pub").await,
    )
}

/// Runs every case; reports all mismatches at once.
async fn check(admin: &Client, cases: Vec<(&str, Value, u64)>) {
    let before = snapshot(admin).await;
    let mut wrong = Vec::new();
    for (path, body, want) in cases {
        let (got, info) = admin.call_err(path, body.clone()).await;
        assert!(!info.is_empty(), "{path} {body}: empty ErrorInfo");
        if got != want {
            wrong.push(format!("{path} {body}: want {want}, got {got} ({info})"));
        }
    }
    assert!(wrong.is_empty(), "wrong codes:\n{}", wrong.join("\n"));
    assert_eq!(
        snapshot(admin).await,
        before,
        "a refused request changed the group"
    );
}

fn long_id() -> String {
    "x".repeat(49)
}

#[tokio::test]
async fn clear_group_msg_errors() {
    let server = TestServer::start().await;
    let admin = server.client();
    fixture(&admin).await;
    check(
        &admin,
        vec![
            (CLEAR, json!({}), 10004),
            (CLEAR, json!({"MsgSeq": 1}), 10004),
            (CLEAR, json!({"GroupId": 7}), 10004),
            (CLEAR, json!({"GroupId": "pub", "MsgSeq": -1}), 10004),
            (CLEAR, json!({"GroupId": "pub", "MsgSeq": "3"}), 10004),
            (CLEAR, json!({"GroupId": "pub", "MsgSeq": 1.5}), 10004),
            (CLEAR, json!({"GroupId": "pub", "MsgSeq": [1]}), 10004),
            (CLEAR, json!({"GroupId": "nope"}), 10010),
            (CLEAR, json!({"GroupId": long_id()}), 10015),
            (CLEAR, json!({"GroupId": ""}), 10015),
            (CLEAR, json!({"GroupId": "grüppe"}), 10015),
            (CLEAR, json!({"GroupId": "@TGS#_com"}), 10007),
            (
                "group_open_http_svc/clear_group_msgs",
                json!({"GroupId": "pub"}),
                10003,
            ),
        ],
    )
    .await;
    // A body that is not JSON at all.
    let reply = admin.request(CLEAR).body("{\"GroupId\": ").send().await;
    assert_eq!(reply.code(), 60003);
    // A dissolved group.
    admin
        .call_ok(
            "group_open_http_svc/destroy_group",
            json!({"GroupId": "quiet"}),
        )
        .await;
    let (code, _) = admin.call_err(CLEAR, json!({"GroupId": "quiet"})).await;
    assert_eq!(code, 10010);
}
common::also_on_postgres!(clear_group_msg_errors);

/// 10007 for a caller of group_open_http_svc that is not an app admin.
#[tokio::test]
async fn group_message_apis_require_the_app_admin() {
    let server = TestServer::start().await;
    let admin = server.client();
    fixture(&admin).await;
    let user = server.client_for(0, "a");
    for (path, body) in [
        (CLEAR, json!({"GroupId": "pub"})),
        (
            SEND,
            json!({"GroupId": "pub", "Random": 1, "MsgBody": text("x")}),
        ),
        (GET, json!({"GroupId": "pub", "ReqMsgNumber": 1})),
        (
            RECALL,
            json!({"GroupId": "pub", "MsgSeqList": [{"MsgSeq": 1}]}),
        ),
        (DELETE, json!({"GroupId": "pub", "Sender_Account": "a"})),
        (IMPORT, json!({"GroupId": "pub", "MsgList": []})),
        (
            UNREAD,
            json!({"GroupId": "pub", "Member_Account": "a", "UnreadMsgNum": 1}),
        ),
        (NOTIFY, json!({"GroupId": "pub", "Content": "x"})),
    ] {
        let (code, _) = user.call_err(path, body).await;
        assert_eq!(code, 10007, "{path}");
    }
    // openim keeps the gateway's 60010 (rest-protocol.md §7; its own 90009 is not used).
    let (code, _) = user
        .call_err(
            MODIFY,
            json!({"GroupId": "pub", "MsgSeq": 1, "CloudCustomData": "x"}),
        )
        .await;
    assert_eq!(code, 60010);
}
common::also_on_postgres!(group_message_apis_require_the_app_admin);

/// Tenancy: another app's admin sees no group of this app.
#[tokio::test]
async fn another_app_cannot_touch_the_group() {
    let server = TestServer::start_with(ServerOptions {
        apps: vec![TestApp::random(), TestApp::random()],
        ..ServerOptions::default()
    })
    .await;
    let admin = server.client();
    fixture(&admin).await;
    let other = server.client_for(1, "administrator");
    let before = snapshot(&admin).await;
    for (path, body) in [
        (CLEAR, json!({"GroupId": "pub"})),
        (GET, json!({"GroupId": "pub", "ReqMsgNumber": 1})),
        (
            RECALL,
            json!({"GroupId": "pub", "MsgSeqList": [{"MsgSeq": 1}]}),
        ),
        (
            SEND,
            json!({"GroupId": "pub", "Random": 9, "MsgBody": text("x")}),
        ),
    ] {
        let (code, _) = other.call_err(path, body).await;
        assert_eq!(code, 10010, "{path}");
    }
    let (code, _) = other
        .call_err(
            MODIFY,
            json!({"GroupId": "pub", "MsgSeq": 1, "CloudCustomData": "x"}),
        )
        .await;
    assert_eq!(code, 10010);
    assert_eq!(snapshot(&admin).await, before);
}
common::also_on_postgres!(another_app_cannot_touch_the_group);

#[tokio::test]
async fn send_group_msg_errors() {
    let server = TestServer::start().await;
    let admin = server.client();
    fixture(&admin).await;
    let msg = |extra: Value| {
        let mut body =
            json!({"GroupId": "pub", "From_Account": "a", "Random": 1000, "MsgBody": text("x")});
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        body
    };
    let many = |n: usize| -> Vec<String> { (0..n).map(|i| format!("u{i}")).collect() };
    let at_all =
        |n: usize| -> Vec<Value> { (0..n).map(|_| json!({"GroupAtAllFlag": 1})).collect() };
    check(
        &admin,
        vec![
            (SEND, json!({"Random": 1, "MsgBody": text("x")}), 10004),
            (SEND, msg(json!({"GroupId": long_id()})), 10015),
            (SEND, msg(json!({"GroupId": "nope"})), 10010),
            (SEND, json!({"GroupId": "pub", "MsgBody": text("x")}), 10004),
            (SEND, msg(json!({"Random": -1})), 10004),
            (SEND, msg(json!({"Random": 4_294_967_296u64})), 10004),
            (SEND, msg(json!({"Random": "1"})), 10004),
            (SEND, json!({"GroupId": "pub", "Random": 1}), 10004),
            (SEND, msg(json!({"MsgBody": {}})), 10004),
            (SEND, msg(json!({"MsgBody": []})), 10004),
            (SEND, msg(json!({"MsgBody": "hello"})), 10004),
            (SEND, msg(json!({"MsgBody": [1]})), 10004),
            (SEND, msg(json!({"MsgBody": [{"MsgType": "TIMTextElem"}]})), 10004),
            (SEND, msg(json!({"MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": 5}}]})), 10004),
            (SEND, msg(json!({"MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {}}]})), 10004),
            (SEND, msg(json!({"MsgBody": [{"MsgType": "TIMRelayElem", "MsgContent": {}}]})), 10004),
            (SEND, msg(json!({"MsgBody": [{"MsgType": "TIMBogusElem", "MsgContent": {}}]})), 10004),
            (SEND, msg(json!({"MsgBody": [{"MsgType": "TIMFaceElem", "MsgContent": {"Index": "1"}}]})), 10004),
            (SEND, msg(json!({"MsgBody": [{"MsgType": "TIMLocationElem", "MsgContent": {"Latitude": 1}}]})), 10004),
            (SEND, msg(json!({"MsgBody": [{"MsgType": "TIMImageElem", "MsgContent": {"ImageInfoArray": {}}}]})), 10004),
            (SEND, msg(json!({"MsgBody": [
                {"MsgType": "TIMCustomElem", "MsgContent": {"Data": "1"}},
                {"MsgType": "TIMCustomElem", "MsgContent": {"Data": "2"}}]})), 10004),
            (SEND, msg(json!({"MsgBody": text(&"x".repeat(12_300))})), 80002),
            (SEND, msg(json!({"CloudCustomData": "c".repeat(12_250)})), 80002),
            (SEND, msg(json!({"CloudCustomData": 5})), 10004),
            (SEND, msg(json!({"MsgPriority": "high"})), 10004),
            (SEND, msg(json!({"MsgPriority": 1})), 10004),
            (SEND, msg(json!({"From_Account": "nobody"})), 10019),
            (SEND, msg(json!({"From_Account": "c"})), 10007),
            (SEND, msg(json!({"From_Account": 5})), 60015),
            (SEND, msg(json!({"GroupId": "quiet"})), 10017),
            (SEND, msg(json!({"OnlineOnlyFlag": 2})), 10004),
            (SEND, msg(json!({"OnlineOnlyFlag": 1, "SendMsgControl": ["NoUnread"]})), 10004),
            (SEND, msg(json!({"SendMsgControl": ["Bogus"]})), 10004),
            (SEND, msg(json!({"OfflinePushInfo": "x"})), 10004),
            (SEND, msg(json!({"To_Account": many(51)})), 10005),
            (SEND, msg(json!({"To_Account": ["c"]})), 10004),
            (SEND, msg(json!({"To_Account": [7]})), 60015),
            (SEND, msg(json!({"GroupId": "@TGS#_com", "To_Account": ["b"]})), 10007),
            (SEND, msg(json!({"To_Account": ["b"], "GroupAtInfo": [{"GroupAtAllFlag": 1}]})), 10004),
            (SEND, msg(json!({"GroupAtInfo": at_all(31)})), 10053),
            (SEND, msg(json!({"GroupAtInfo": [{"GroupAtAllFlag": 0}]})), 10004),
            (SEND, msg(json!({"GroupAtInfo": [{"GroupAtAllFlag": 3}]})), 10004),
            (SEND, msg(json!({"TopicId": "@TGS#_com@TOPIC#_t"})), 10004),
        ],
    )
    .await;
}
common::also_on_postgres!(send_group_msg_errors);

/// 10017 for a member muted with forbid_send_msg (groups branch), until the mute ends.
#[tokio::test]
async fn a_muted_member_gets_10017() {
    let server = TestServer::start().await;
    let admin = server.client();
    fixture(&admin).await;
    admin
        .call_ok(
            "group_open_http_svc/forbid_send_msg",
            json!({"GroupId": "pub", "Members_Account": ["a"], "MuteTime": 600}),
        )
        .await;
    let body = json!({"GroupId": "pub", "From_Account": "a", "Random": 77, "MsgBody": text("x")});
    let (code, _) = admin.call_err(SEND, body.clone()).await;
    assert_eq!(code, 10017);
    admin
        .call_ok(
            "group_open_http_svc/forbid_send_msg",
            json!({"GroupId": "pub", "Members_Account": ["a"], "MuteTime": 0}),
        )
        .await;
    let r = admin.call_ok(SEND, body).await;
    // Seqs 4 and 5 are the stored mute and unmute tips (groups.md §6).
    assert_eq!(r["MsgSeq"], 6);
}
common::also_on_postgres!(a_muted_member_gets_10017);

#[tokio::test]
async fn notification_history_recall_delete_errors() {
    let server = TestServer::start().await;
    let admin = server.client();
    fixture(&admin).await;
    let receivers: Vec<String> = (0..501).map(|i| format!("u{i}")).collect();
    let seq_list: Vec<Value> = (1..=11).map(|s| json!({"MsgSeq": s})).collect();
    check(
        &admin,
        vec![
            (NOTIFY, json!({"Content": "x"}), 10004),
            (NOTIFY, json!({"GroupId": long_id(), "Content": "x"}), 10015),
            (NOTIFY, json!({"GroupId": "nope", "Content": "x"}), 10010),
            (NOTIFY, json!({"GroupId": "pub"}), 10004),
            (NOTIFY, json!({"GroupId": "pub", "Content": ""}), 10004),
            (NOTIFY, json!({"GroupId": "pub", "Content": 5}), 10004),
            (
                NOTIFY,
                json!({"GroupId": "pub", "Content": "x", "ToMembers_Account": receivers}),
                10005,
            ),
            (
                NOTIFY,
                json!({"GroupId": "pub", "Content": "x", "ToMembers_Account": [1]}),
                60015,
            ),
            (
                NOTIFY,
                json!({"GroupId": "live", "Content": "x", "ToMembers_Account": ["a"]}),
                10004,
            ),
            (
                NOTIFY,
                json!({"GroupId": "pub", "Content": "x", "TopicId": "t"}),
                10004,
            ),
            (GET, json!({"ReqMsgNumber": 1}), 10004),
            (GET, json!({"GroupId": long_id(), "ReqMsgNumber": 1}), 10015),
            (GET, json!({"GroupId": "nope", "ReqMsgNumber": 1}), 10010),
            (GET, json!({"GroupId": "pub"}), 10004),
            (GET, json!({"GroupId": "pub", "ReqMsgNumber": 0}), 10004),
            (GET, json!({"GroupId": "pub", "ReqMsgNumber": -1}), 10004),
            (GET, json!({"GroupId": "pub", "ReqMsgNumber": "5"}), 10004),
            (
                GET,
                json!({"GroupId": "pub", "ReqMsgNumber": 1, "ReqMsgSeq": "x"}),
                10004,
            ),
            (
                GET,
                json!({"GroupId": "pub", "ReqMsgNumber": 1, "WithRecalledMsg": 2}),
                10004,
            ),
            (
                GET,
                json!({"GroupId": "pub", "ReqMsgNumber": 1, "TopicId": "t"}),
                10004,
            ),
            (GET, json!({"GroupId": "live", "ReqMsgNumber": 1}), 10044),
            (RECALL, json!({"MsgSeqList": [{"MsgSeq": 1}]}), 10004),
            (
                RECALL,
                json!({"GroupId": long_id(), "MsgSeqList": [{"MsgSeq": 1}]}),
                10015,
            ),
            (
                RECALL,
                json!({"GroupId": "nope", "MsgSeqList": [{"MsgSeq": 1}]}),
                10010,
            ),
            (RECALL, json!({"GroupId": "pub"}), 10004),
            (RECALL, json!({"GroupId": "pub", "MsgSeqList": []}), 10004),
            (
                RECALL,
                json!({"GroupId": "pub", "MsgSeqList": seq_list}),
                10004,
            ),
            (
                RECALL,
                json!({"GroupId": "pub", "MsgSeqList": [{"MsgSeq": "1"}]}),
                10004,
            ),
            (RECALL, json!({"GroupId": "pub", "MsgSeqList": [{}]}), 10004),
            (
                RECALL,
                json!({"GroupId": "pub", "MsgSeqList": [{"MsgSeq": 1}], "Reason": "r".repeat(101)}),
                10004,
            ),
            (DELETE, json!({"Sender_Account": "a"}), 10004),
            (
                DELETE,
                json!({"GroupId": long_id(), "Sender_Account": "a"}),
                10015,
            ),
            (
                DELETE,
                json!({"GroupId": "nope", "Sender_Account": "a"}),
                10010,
            ),
            (DELETE, json!({"GroupId": "pub"}), 10004),
            (
                DELETE,
                json!({"GroupId": "pub", "Sender_Account": ""}),
                10004,
            ),
            (
                DELETE,
                json!({"GroupId": "pub", "Sender_Account": 5}),
                60015,
            ),
        ],
    )
    .await;
    // Per-message recall codes do not fail the call.
    let r = admin
        .call_ok(
            RECALL,
            json!({"GroupId": "pub", "MsgSeqList": [{"MsgSeq": 99}]}),
        )
        .await;
    assert_eq!(
        r["RecallRetList"],
        json!([{"MsgSeq": 99, "RetCode": 10030}])
    );
}
common::also_on_postgres!(notification_history_recall_delete_errors);

#[tokio::test]
async fn import_and_unread_errors() {
    let server = TestServer::start().await;
    let admin = server.client();
    fixture(&admin).await;
    let t = common::now();
    let one = |m: Value| json!({"GroupId": "pub", "MsgList": [m]});
    let eight: Vec<Value> = (0..8)
        .map(|_| json!({"From_Account": "a", "SendTime": t, "MsgBody": text("x")}))
        .collect();
    check(
        &admin,
        vec![
            (IMPORT, json!({"MsgList": []}), 10004),
            (IMPORT, json!({"GroupId": long_id(), "MsgList": [{"From_Account": "a", "SendTime": t, "MsgBody": text("x")}]}), 10015),
            (IMPORT, json!({"GroupId": "nope", "MsgList": [{"From_Account": "a", "SendTime": t, "MsgBody": text("x")}]}), 10010),
            (IMPORT, json!({"GroupId": "live", "MsgList": [{"From_Account": "a", "SendTime": t, "MsgBody": text("x")}]}), 10007),
            (IMPORT, json!({"GroupId": "pub"}), 10004),
            (IMPORT, json!({"GroupId": "pub", "MsgList": []}), 10004),
            (IMPORT, json!({"GroupId": "pub", "MsgList": eight}), 10004),
            (IMPORT, one(json!({"SendTime": t, "MsgBody": text("x")})), 10004),
            (IMPORT, one(json!({"From_Account": 5, "SendTime": t, "MsgBody": text("x")})), 60015),
            (IMPORT, one(json!({"From_Account": "a", "MsgBody": text("x")})), 10004),
            (IMPORT, one(json!({"From_Account": "a", "SendTime": "now", "MsgBody": text("x")})), 10004),
            (IMPORT, one(json!({"From_Account": "a", "SendTime": t})), 10004),
            (IMPORT, one(json!({"From_Account": "a", "SendTime": t, "MsgBody": []})), 10004),
            (IMPORT, one(json!({"From_Account": "a", "SendTime": t, "MsgBody": text("x"), "Random": -5})), 10004),
            (IMPORT, json!({"GroupId": "pub", "MsgList": [{"From_Account": "a", "SendTime": t, "MsgBody": text("x")}], "TopicId": "t"}), 10004),
            (UNREAD, json!({"Member_Account": "a", "UnreadMsgNum": 1}), 10004),
            (UNREAD, json!({"GroupId": long_id(), "Member_Account": "a", "UnreadMsgNum": 1}), 10015),
            (UNREAD, json!({"GroupId": "nope", "Member_Account": "a", "UnreadMsgNum": 1}), 10010),
            (UNREAD, json!({"GroupId": "pub", "UnreadMsgNum": 1}), 10004),
            (UNREAD, json!({"GroupId": "pub", "Member_Account": "a"}), 10004),
            (UNREAD, json!({"GroupId": "pub", "Member_Account": "a", "UnreadMsgNum": -1}), 10004),
            (UNREAD, json!({"GroupId": "pub", "Member_Account": 5, "UnreadMsgNum": 1}), 60015),
            (UNREAD, json!({"GroupId": "pub", "Member_Account": "c", "UnreadMsgNum": 1}), 10007),
            (UNREAD, json!({"GroupId": "pub", "Member_Account": "nobody", "UnreadMsgNum": 1}), 10019),
        ],
    )
    .await;
}
common::also_on_postgres!(import_and_unread_errors);

#[tokio::test]
async fn modify_group_msg_errors_use_the_openim_codes() {
    let server = TestServer::start().await;
    let admin = server.client();
    fixture(&admin).await;
    check(
        &admin,
        vec![
            (MODIFY, json!({"MsgSeq": 1, "CloudCustomData": "x"}), 90001),
            (MODIFY, json!({"GroupId": "pub", "CloudCustomData": "x"}), 90001),
            (MODIFY, json!({"GroupId": "pub", "MsgSeq": 1}), 90001),
            (MODIFY, json!({"GroupId": "pub", "MsgSeq": "1", "CloudCustomData": "x"}), 90001),
            (MODIFY, json!({"GroupId": "pub", "MsgSeq": 1, "CloudCustomData": 5}), 90001),
            (MODIFY, json!({"GroupId": "pub", "MsgSeq": 1, "MsgBody": {}}), 90007),
            (MODIFY, json!({"GroupId": "pub", "MsgSeq": 1, "MsgBody": "x"}), 90007),
            (MODIFY, json!({"GroupId": "pub", "MsgSeq": 1, "MsgBody": []}), 90002),
            (MODIFY, json!({"GroupId": "pub", "MsgSeq": 1, "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": 1}}]}), 90002),
            (MODIFY, json!({"GroupId": "pub", "MsgSeq": 1, "MsgBody": [{"MsgType": "TIMBogusElem", "MsgContent": {}}]}), 90010),
            (MODIFY, json!({"GroupId": "pub", "MsgSeq": 1, "MsgBody": text(&"x".repeat(12_300))}), 80002),
            (MODIFY, json!({"GroupId": "pub", "MsgSeq": 99, "CloudCustomData": "x"}), 20022),
            (MODIFY, json!({"GroupId": "pub", "MsgSeq": 2, "CloudCustomData": "x"}), 20022),
            (MODIFY, json!({"GroupId": "pub", "MsgSeq": 0, "CloudCustomData": "x"}), 20022),
            (MODIFY, json!({"GroupId": "nope", "MsgSeq": 1, "CloudCustomData": "x"}), 10010),
            (MODIFY, json!({"GroupId": long_id(), "MsgSeq": 1, "CloudCustomData": "x"}), 10015),
            (MODIFY, json!({"GroupId": "live", "MsgSeq": 1, "CloudCustomData": "x"}), 10007),
            (MODIFY, json!({"GroupId": "pub", "MsgSeq": 1, "CloudCustomData": "x", "TopicId": "t"}), 90001),
        ],
    )
    .await;
    let reply = admin.request(MODIFY).body("not json").send().await;
    assert_eq!(reply.code(), 90001);
}
common::also_on_postgres!(modify_group_msg_errors_use_the_openim_codes);

/// import_group_msg takes no sender an account could not have (accounts.md §0): empty, over
/// 32 bytes, a NUL, a newline, a tab, anything outside printable ASCII. One such sender refuses
/// the whole call with 10004 (the API's invalid-parameter code; the page names none for a bad
/// sender), the well-formed message beside it included, so nothing is stored.
#[tokio::test]
async fn import_group_msg_refuses_senders_that_are_not_user_ids() {
    let server = TestServer::start().await;
    let admin = server.client();
    fixture(&admin).await;
    let t = common::now();
    let from = |sender: &str| {
        json!({"GroupId": "pub", "MsgList": [
            {"From_Account": "a", "SendTime": t, "MsgBody": text("fine")},
            {"From_Account": sender, "SendTime": t, "MsgBody": text("x")},
        ]})
    };
    check(
        &admin,
        vec![
            (IMPORT, from(&"x".repeat(33)), 10004),
            (IMPORT, from(&"x".repeat(600_000)), 10004),
            (IMPORT, from("a\0b"), 10004),
            (IMPORT, from("a\nb"), 10004),
            (IMPORT, from("tab\t"), 10004),
            (IMPORT, from("zoë"), 10004),
        ],
    )
    .await;
    // A well-formed sender still need not be an account.
    let r = admin
        .call_ok(
            IMPORT,
            json!({"GroupId": "pub", "MsgList": [
                {"From_Account": "left@old-system", "SendTime": t, "MsgBody": text("x")}]}),
        )
        .await;
    assert_eq!(r["ImportMsgResult"][0]["Result"], 0);
}
common::also_on_postgres!(import_group_msg_refuses_senders_that_are_not_user_ids);

/// Two imported senders of 600 KB made every history page holding both over 1 MB: 10018 on
/// every pull, for ever. Now each is refused at import, with a short ErrorInfo, and the
/// history stays answerable.
#[tokio::test]
async fn two_huge_senders_cannot_make_history_unanswerable() {
    let server = TestServer::start().await;
    let admin = server.client();
    common::import_accounts(&admin, &["o"]).await;
    let t = common::now();
    admin
        .call_ok(
            "group_open_http_svc/import_group",
            json!({"Type": "Public", "GroupId": "old", "Name": "old", "Owner_Account": "o",
                   "CreateTime": t - 3600}),
        )
        .await;
    for (i, who) in ["p", "q"].into_iter().enumerate() {
        let body = json!({"GroupId": "old", "MsgList": [{"From_Account": who.repeat(600_000),
            "SendTime": t - 600 + i as i64, "Random": i, "MsgBody": text("hi")}]});
        let (code, info) = admin.call_err(IMPORT, body).await;
        assert_eq!(code, 10004, "{info}");
        assert!(
            info.len() < 200,
            "ErrorInfo echoes the sender: {} bytes",
            info.len()
        );
    }
    let r = admin
        .call_ok(
            IMPORT,
            json!({"GroupId": "old", "MsgList": [
                {"From_Account": "o", "SendTime": t - 60, "Random": 9, "MsgBody": text("hi")}]}),
        )
        .await;
    assert_eq!(
        r["ImportMsgResult"][0]["MsgSeq"], 1,
        "the refused imports took no seq"
    );
    let page = admin
        .call_ok(GET, json!({"GroupId": "old", "ReqMsgNumber": 20}))
        .await;
    let list = page["RspMsgList"].as_array().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(
        (&list[0]["From_Account"], &list[0]["MsgSeq"]),
        (&json!("o"), &json!(1))
    );
}
common::also_on_postgres!(two_huge_senders_cannot_make_history_unanswerable);

/// The other UserIDs and free text the message APIs keep or pass on: @-mentions, targeted and
/// notification receivers and the sender to delete are well-formed UserIDs; CloudCustomData
/// holds no NUL (PostgreSQL cannot store one: it was 10002 there, stored on SQLite); a
/// notification's Content is at most a message long. All 10004 (90001 for openim), nothing
/// stored.
#[tokio::test]
async fn message_apis_refuse_malformed_user_ids_and_text() {
    let server = TestServer::start().await;
    let admin = server.client();
    fixture(&admin).await;
    let msg = |extra: Value| {
        let mut body =
            json!({"GroupId": "pub", "From_Account": "a", "Random": 2000, "MsgBody": text("x")});
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        body
    };
    let at = |who: &str| json!({"GroupAtInfo": [{"GroupAtAllFlag": 0, "GroupAt_Account": who}]});
    let notify = |extra: Value| {
        let mut body = json!({"GroupId": "pub", "Content": "hello"});
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        body
    };
    check(
        &admin,
        vec![
            (SEND, msg(at(&"x".repeat(33))), 10004),
            (SEND, msg(at("a\0b")), 10004),
            (SEND, msg(at("a\nb")), 10004),
            (SEND, msg(json!({"CloudCustomData": "a\0b"})), 10004),
            (
                SEND,
                msg(json!({"To_Account": ["b", "x".repeat(600_000)]})),
                10004,
            ),
            (
                NOTIFY,
                notify(json!({"Content": "c".repeat(12_289)})),
                10004,
            ),
            (NOTIFY, notify(json!({"Content": "a\0b"})), 10004),
            (
                NOTIFY,
                notify(json!({"ToMembers_Account": ["a", "b\nc"]})),
                10004,
            ),
            (
                NOTIFY,
                notify(json!({"ToMembers_Account": ["x".repeat(33)]})),
                10004,
            ),
            (
                DELETE,
                json!({"GroupId": "pub", "Sender_Account": "x".repeat(33)}),
                10004,
            ),
            (
                DELETE,
                json!({"GroupId": "pub", "Sender_Account": "a\0"}),
                10004,
            ),
            (
                MODIFY,
                json!({"GroupId": "pub", "MsgSeq": 1, "CloudCustomData": "a\0b"}),
                90001,
            ),
        ],
    )
    .await;
    // Free text may still span lines, and a notification may be a whole message long.
    admin
        .call_ok(SEND, msg(json!({"CloudCustomData": "line one\nline two"})))
        .await;
    admin
        .call_ok(NOTIFY, notify(json!({"Content": "c".repeat(12_288)})))
        .await;
}
common::also_on_postgres!(message_apis_refuse_malformed_user_ids_and_text);
