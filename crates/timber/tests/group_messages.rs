//! End-to-end: group messages over HTTP against the real binary — send, history, recall,
//! delete by sender, modify, import, clear, unread counts, MsgSeq and durability.
//! spec: group-messages.md. Error codes of every API are in `group_messages_errors.rs`.

mod common;

use common::{
    group_info, history_seqs, next_msg_seq, now, text, Client, ServerOptions, TestServer,
};
use serde_json::{json, Value};

const SEND: &str = "group_open_http_svc/send_group_msg";
const GET: &str = "group_open_http_svc/group_msg_get_simple";
const CLEAR: &str = "group_open_http_svc/clear_group_msg";
const RECALL: &str = "group_open_http_svc/group_msg_recall";
const IMPORT: &str = "group_open_http_svc/import_group_msg";

/// Accounts `o`, `a`, `b`, `c`.
async fn accounts(admin: &Client) {
    for user in ["o", "a", "b", "c"] {
        admin
            .call_ok("im_open_login_svc/account_import", json!({"UserID": user}))
            .await;
    }
}

/// A group of type `ty` owned by `o` with members `a` and `b` (AVChatRoom: no member list).
async fn group(admin: &Client, ty: &str, id: &str) {
    let members = if ty == "AVChatRoom" {
        json!([])
    } else {
        json!([{"Member_Account": "a"}, {"Member_Account": "b"}])
    };
    admin
        .call_ok(
            "group_open_http_svc/create_group",
            json!({"Type": ty, "GroupId": id, "Name": "g", "Owner_Account": "o", "MemberList": members}),
        )
        .await;
}

async fn start() -> (TestServer, Client) {
    let server = TestServer::start().await;
    let admin = server.client();
    accounts(&admin).await;
    (server, admin)
}

/// Sends a text message; returns (MsgSeq, MsgTime).
async fn send(admin: &Client, gid: &str, from: &str, random: u32, t: &str) -> (u64, i64) {
    let r = admin
        .call_ok(
            SEND,
            json!({"GroupId": gid, "From_Account": from, "Random": random, "MsgBody": text(t)}),
        )
        .await;
    (
        r["MsgSeq"].as_u64().unwrap(),
        r["MsgTime"].as_i64().unwrap(),
    )
}

async fn history(admin: &Client, body: Value) -> Value {
    admin.call_ok(GET, body).await
}

/// `member`'s entry in the MemberList of get_group_info.
async fn member_info(admin: &Client, gid: &str, member: &str) -> Value {
    let g = group_info(admin, gid).await;
    g["MemberList"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["Member_Account"] == member)
        .unwrap_or_else(|| panic!("{member} is not in {gid}: {g}"))
        .clone()
}

/// `member`'s unread count in `gid`, as get_joined_group_list reports it.
async fn unread(admin: &Client, member: &str, gid: &str) -> u64 {
    let r = admin
        .call_ok(
            "group_open_http_svc/get_joined_group_list",
            json!({"Member_Account": member, "ResponseFilter": {"SelfInfoFilter": ["UnreadMsgNum"]}}),
        )
        .await;
    let entry = r["GroupIdList"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["GroupId"] == gid)
        .unwrap_or_else(|| panic!("{member} is not in {gid}: {r}"))
        .clone();
    entry["SelfInfo"]["UnreadMsgNum"].as_u64().unwrap()
}

/// The fields every `RspMsgList` entry carries, placeholders included.
const ENTRY_FIELDS: [&str; 9] = [
    "CloudCustomData",
    "From_Account",
    "IsPlaceMsg",
    "IsSystemMsg",
    "MsgBody",
    "MsgPriority",
    "MsgRandom",
    "MsgSeq",
    "MsgTimeStamp",
];

fn field_names(entry: &Value) -> Vec<String> {
    let mut names: Vec<String> = entry.as_object().unwrap().keys().cloned().collect();
    names.sort();
    names
}

#[tokio::test]
async fn clear_group_msg_hides_from_members_and_keeps_for_the_admin() {
    let (server, admin) = start().await;
    group(&admin, "Public", "g").await;
    for i in 1..=5 {
        assert_eq!(
            send(&admin, "g", "a", i, &format!("m{i}")).await.0,
            u64::from(i)
        );
    }
    // The founding call, byte for byte.
    let reply = admin
        .request(CLEAR)
        .json(&json!({"GroupId": "g", "MsgSeq": 3}))
        .send()
        .await;
    assert_eq!(
        reply.text,
        r#"{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}"#
    );
    // The admin still pulls every message, looking normal.
    let page = history(&admin, json!({"GroupId": "g", "ReqMsgNumber": 20})).await;
    assert_eq!(history_seqs(&page), vec![5, 4, 3, 2, 1]);
    for m in page["RspMsgList"].as_array().unwrap() {
        assert_eq!(m["IsPlaceMsg"], 0);
        assert_eq!(m["MsgBody"][0]["MsgType"], "TIMTextElem");
    }
    // Clearing never renumbers, and messages after the clear are unaffected even when MsgSeq
    // named a seq that did not exist yet.
    admin
        .call_ok(CLEAR, json!({"GroupId": "g", "MsgSeq": 1000}))
        .await;
    assert_eq!(send(&admin, "g", "a", 6, "after").await.0, 6);
    admin
        .call_ok(CLEAR, json!({"GroupId": "g", "MsgSeq": 0}))
        .await;
    admin.call_ok(CLEAR, json!({"GroupId": "g"})).await;
    assert_eq!(next_msg_seq(&admin, "g").await, 7);
    // AVChatRoom: accepted, nothing to clear.
    group(&admin, "AVChatRoom", "live").await;
    admin.call_ok(CLEAR, json!({"GroupId": "live"})).await;
    // Private and ChatRoom are supported too.
    for (ty, id) in [("Private", "work"), ("ChatRoom", "meet")] {
        group(&admin, ty, id).await;
        send(&admin, id, "a", 1, "x").await;
        admin.call_ok(CLEAR, json!({"GroupId": id})).await;
    }
    // Survives a restart: the watermark is stored (members are checked at store level).
    let server = server.restart().await;
    let admin = server.client();
    let page = history(&admin, json!({"GroupId": "g", "ReqMsgNumber": 20})).await;
    assert_eq!(history_seqs(&page), vec![6, 5, 4, 3, 2, 1]);
}
common::also_on_postgres!(clear_group_msg_hides_from_members_and_keeps_for_the_admin);

#[tokio::test]
async fn send_and_pull_every_element_type_with_every_field() {
    let (_server, admin) = start().await;
    group(&admin, "Public", "g").await;
    let body = json!([
        {"MsgType": "TIMTextElem", "MsgContent": {"Text": "hello"}},
        {"MsgType": "TIMLocationElem", "MsgContent": {"Desc": "d", "Latitude": 1.5, "Longitude": 2}},
        {"MsgType": "TIMFaceElem", "MsgContent": {"Index": 1, "Data": "x"}},
        {"MsgType": "TIMCustomElem", "MsgContent": {"Data": "x", "Desc": "", "Ext": "", "Sound": "", "Extra": {"kept": true}}},
        {"MsgType": "TIMImageElem", "MsgContent": {"UUID": "u", "ImageFormat": 1, "ImageInfoArray": [{"Type": 1, "Size": 1, "Width": 1, "Height": 1, "URL": "http://x"}]}},
        {"MsgType": "TIMSoundElem", "MsgContent": {"Url": "u", "UUID": "u", "Size": 1, "Second": 1, "Download_Flag": 2}},
        {"MsgType": "TIMFileElem", "MsgContent": {"Url": "u", "UUID": "u", "FileSize": 1, "FileName": "f", "Download_Flag": 2}},
        {"MsgType": "TIMVideoFileElem", "MsgContent": {"VideoUrl": "u", "VideoUUID": "u", "VideoSize": 1, "VideoSecond": 1, "VideoFormat": "mp4", "VideoDownloadFlag": 2, "ThumbUrl": "u", "ThumbUUID": "u", "ThumbSize": 1, "ThumbWidth": 1, "ThumbHeight": 1, "ThumbFormat": "JPG", "ThumbDownloadFlag": 2}}
    ]);
    let before = now();
    let r = admin
        .call_ok(
            SEND,
            json!({
                "GroupId": "g", "From_Account": "a", "Random": 4242, "MsgBody": body,
                "MsgPriority": "High", "CloudCustomData": "ccd",
                "OfflinePushInfo": {"PushFlag": 0, "Desc": "push"},
                "ForbidCallbackControl": ["ForbidBeforeSendMsgCallback"],
                "SendMsgControl": ["NoUnread"],
                "GroupAtInfo": [{"GroupAtAllFlag": 1}],
                "SomeNewField": 1
            }),
        )
        .await;
    assert_eq!(r["MsgSeq"], 1);
    let time = r["MsgTime"].as_i64().unwrap();
    assert!(time >= before && time <= now());
    assert_eq!(r["MsgDropReason"], "");
    // Sent by the admin by default, who need not be a member.
    let r = admin
        .call_ok(
            SEND,
            json!({"GroupId": "g", "Random": 1, "MsgBody": text("from admin")}),
        )
        .await;
    assert_eq!(r["MsgSeq"], 2);

    let page = history(&admin, json!({"GroupId": "g", "ReqMsgNumber": 2})).await;
    assert_eq!(page["GroupId"], "g");
    assert_eq!(page["IsFinished"], 1);
    let m = &page["RspMsgList"][1];
    assert_eq!(field_names(m), ENTRY_FIELDS);
    assert_eq!(m["From_Account"], "a");
    assert_eq!(m["MsgSeq"], 1);
    assert_eq!(m["MsgRandom"], 4242);
    assert_eq!(m["MsgTimeStamp"], time);
    assert_eq!(m["MsgPriority"], 1);
    assert_eq!(m["IsPlaceMsg"], 0);
    assert_eq!(m["IsSystemMsg"], 0);
    assert_eq!(m["CloudCustomData"], "ccd");
    assert_eq!(m["MsgBody"], body, "the body comes back exactly as sent");
    let admin_msg = &page["RspMsgList"][0];
    assert_eq!(admin_msg["From_Account"], "administrator");
    assert_eq!(admin_msg["MsgPriority"], 2);
    assert_eq!(admin_msg["CloudCustomData"], "");
    for (priority, n) in [("Normal", 2), ("Low", 3), ("Lowest", 4)] {
        let r = admin
            .call_ok(
                SEND,
                json!({"GroupId": "g", "From_Account": "b", "Random": 100 + n, "MsgBody": text("p"), "MsgPriority": priority}),
            )
            .await;
        let page = history(
            &admin,
            json!({"GroupId": "g", "ReqMsgNumber": 1, "ReqMsgSeq": r["MsgSeq"]}),
        )
        .await;
        assert_eq!(page["RspMsgList"][0]["MsgPriority"], n);
    }
    assert_eq!(next_msg_seq(&admin, "g").await, 6);
}
common::also_on_postgres!(send_and_pull_every_element_type_with_every_field);

#[tokio::test]
async fn a_repeated_random_answers_the_original_seq_and_time() {
    let (_server, admin) = start().await;
    group(&admin, "Public", "g").await;
    let first = send(&admin, "g", "a", 99, "once").await;
    let again = send(&admin, "g", "a", 99, "once").await;
    assert_eq!(again, first);
    assert_eq!(send(&admin, "g", "a", 100, "other").await.0, 2);
    assert_eq!(next_msg_seq(&admin, "g").await, 3);
    let page = history(&admin, json!({"GroupId": "g", "ReqMsgNumber": 20})).await;
    assert_eq!(history_seqs(&page), vec![2, 1]);
}
common::also_on_postgres!(a_repeated_random_answers_the_original_seq_and_time);

#[tokio::test]
async fn online_only_messages_take_a_seq_and_read_as_placeholders() {
    let (_server, admin) = start().await;
    group(&admin, "Public", "g").await;
    send(&admin, "g", "a", 1, "stored").await;
    let r = admin
        .call_ok(
            SEND,
            json!({"GroupId": "g", "From_Account": "a", "Random": 2, "MsgBody": text("typing…"), "OnlineOnlyFlag": 1}),
        )
        .await;
    assert_eq!(r["MsgSeq"], 2);
    send(&admin, "g", "a", 3, "stored").await;
    let page = history(&admin, json!({"GroupId": "g", "ReqMsgNumber": 20})).await;
    assert_eq!(history_seqs(&page), vec![3, 2, 1]);
    let placeholder = &page["RspMsgList"][1];
    assert_eq!(field_names(placeholder), ENTRY_FIELDS);
    assert_eq!(
        placeholder,
        &json!({"From_Account": "", "IsPlaceMsg": 1, "IsSystemMsg": 0, "MsgBody": [],
                "MsgPriority": 2, "MsgRandom": 0, "MsgSeq": 2, "MsgTimeStamp": 0,
                "CloudCustomData": ""})
    );
    // The slot exists, so a repeated Random is still recognised.
    let again = admin
        .call_ok(
            SEND,
            json!({"GroupId": "g", "From_Account": "a", "Random": 2, "MsgBody": text("typing…"), "OnlineOnlyFlag": 1}),
        )
        .await;
    assert_eq!(again["MsgSeq"], 2);
}
common::also_on_postgres!(online_only_messages_take_a_seq_and_read_as_placeholders);

#[tokio::test]
async fn history_pages_newest_first_by_smallest_seq_minus_one() {
    let (_server, admin) = start().await;
    group(&admin, "Public", "g").await;
    for i in 1..=45 {
        send(&admin, "g", if i % 2 == 0 { "a" } else { "b" }, i, "x").await;
    }
    let mut all = Vec::new();
    let mut body = json!({"GroupId": "g", "ReqMsgNumber": 20});
    loop {
        let page = history(&admin, body.clone()).await;
        let got = history_seqs(&page);
        assert!(got.len() <= 20);
        assert_eq!(page["IsFinished"], 1);
        let Some(&smallest) = got.last() else { break };
        all.extend(got);
        if smallest == 1 {
            break;
        }
        body["ReqMsgSeq"] = json!(smallest - 1);
    }
    assert_eq!(all, (1..=45).rev().collect::<Vec<u64>>());
    // More than 20 asked: 20 returned, IsFinished 0. ReqMsgSeq beyond the newest: the newest.
    let page = history(
        &admin,
        json!({"GroupId": "g", "ReqMsgNumber": 50, "ReqMsgSeq": 4_000_000_000u64}),
    )
    .await;
    assert_eq!(history_seqs(&page), (26..=45).rev().collect::<Vec<u64>>());
    assert_eq!(page["IsFinished"], 0);
    let page = history(
        &admin,
        json!({"GroupId": "g", "ReqMsgNumber": 5, "ReqMsgSeq": 3}),
    )
    .await;
    assert_eq!(history_seqs(&page), vec![3, 2, 1]);
    assert_eq!(page["IsFinished"], 1);
    // An empty group.
    group(&admin, "Public", "empty").await;
    let page = history(&admin, json!({"GroupId": "empty", "ReqMsgNumber": 5})).await;
    assert_eq!(page["RspMsgList"], json!([]));
    assert_eq!(page["IsFinished"], 1);
}
common::also_on_postgres!(history_pages_newest_first_by_smallest_seq_minus_one);

#[tokio::test]
async fn recall_and_delete_by_sender_mark_slots() {
    let (_server, admin) = start().await;
    group(&admin, "Public", "g").await;
    for i in 1..=6 {
        send(&admin, "g", if i <= 3 { "a" } else { "b" }, i, "x").await;
    }
    let r = admin
        .call_ok(
            RECALL,
            json!({"GroupId": "g", "MsgSeqList": [{"MsgSeq": 5}, {"MsgSeq": 5}, {"MsgSeq": 7}, {"MsgSeq": 0}], "Reason": "oops"}),
        )
        .await;
    assert_eq!(
        r["RecallRetList"],
        json!([{"MsgSeq": 5, "RetCode": 0}, {"MsgSeq": 5, "RetCode": 0},
               {"MsgSeq": 7, "RetCode": 10030}, {"MsgSeq": 0, "RetCode": 10030}])
    );
    admin
        .call_ok(
            "group_open_http_svc/delete_group_msg_by_sender",
            json!({"GroupId": "g", "Sender_Account": "a"}),
        )
        .await;
    let page = history(&admin, json!({"GroupId": "g", "ReqMsgNumber": 20})).await;
    assert_eq!(history_seqs(&page), vec![6, 4]);
    let page = history(
        &admin,
        json!({"GroupId": "g", "ReqMsgNumber": 20, "WithRecalledMsg": 1}),
    )
    .await;
    assert_eq!(history_seqs(&page), vec![6, 5, 4, 3, 2, 1]);
    let places: Vec<u64> = page["RspMsgList"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["IsPlaceMsg"].as_u64().unwrap())
        .collect();
    assert_eq!(places, vec![0, 2, 0, 2, 2, 2]);
    // A recalled entry keeps its body and every field.
    assert_eq!(page["RspMsgList"][1]["MsgBody"], text("x"));
    assert_eq!(field_names(&page["RspMsgList"][1]), ENTRY_FIELDS);
    // Recall is idempotent; nothing was renumbered.
    admin
        .call_ok(
            RECALL,
            json!({"GroupId": "g", "MsgSeqList": [{"MsgSeq": 1}]}),
        )
        .await;
    assert_eq!(next_msg_seq(&admin, "g").await, 7);
    // AVChatRoom: delete-by-sender is accepted and does nothing; recall answers per seq.
    group(&admin, "AVChatRoom", "live").await;
    send(&admin, "live", "c", 1, "x").await;
    admin
        .call_ok(
            "group_open_http_svc/delete_group_msg_by_sender",
            json!({"GroupId": "live", "Sender_Account": "c"}),
        )
        .await;
    let r = admin
        .call_ok(
            RECALL,
            json!({"GroupId": "live", "MsgSeqList": [{"MsgSeq": 1}, {"MsgSeq": 2}]}),
        )
        .await;
    assert_eq!(
        r["RecallRetList"],
        json!([{"MsgSeq": 1, "RetCode": 0}, {"MsgSeq": 2, "RetCode": 10030}])
    );
}
common::also_on_postgres!(recall_and_delete_by_sender_mark_slots);

#[tokio::test]
async fn modify_group_msg_rewrites_in_place() {
    let (_server, admin) = start().await;
    group(&admin, "Public", "g").await;
    let (_, time) = send(&admin, "g", "a", 1, "before").await;
    let r = admin
        .call_ok(
            "openim/modify_group_msg",
            json!({"GroupId": "g", "MsgSeq": 1, "MsgBody": text("after"), "CloudCustomData": "c2"}),
        )
        .await;
    assert_eq!(r["ErrorCode"], 0);
    let page = history(&admin, json!({"GroupId": "g", "ReqMsgNumber": 1})).await;
    let m = &page["RspMsgList"][0];
    assert_eq!(m["MsgBody"], text("after"));
    assert_eq!(m["CloudCustomData"], "c2");
    assert_eq!(
        (m["MsgSeq"].as_u64(), m["MsgTimeStamp"].as_i64()),
        (Some(1), Some(time))
    );
    assert_eq!(m["From_Account"], "a");
    admin
        .call_ok(
            "openim/modify_group_msg",
            json!({"GroupId": "g", "MsgSeq": 1, "CloudCustomData": "c3"}),
        )
        .await;
    let page = history(&admin, json!({"GroupId": "g", "ReqMsgNumber": 1})).await;
    assert_eq!(page["RspMsgList"][0]["MsgBody"], text("after"));
    assert_eq!(page["RspMsgList"][0]["CloudCustomData"], "c3");
    assert_eq!(next_msg_seq(&admin, "g").await, 2);
}
common::also_on_postgres!(modify_group_msg_rewrites_in_place);

#[tokio::test]
async fn import_group_msg_takes_consecutive_seqs_under_the_time_rules() {
    let (_server, admin) = start().await;
    group(&admin, "Private", "work").await;
    let t = now();
    let r = admin
        .call_ok(
            IMPORT,
            json!({"GroupId": "work", "MsgList": [
                {"From_Account": "a", "SendTime": t, "Random": 11, "MsgBody": text("1")},
                {"From_Account": "b", "SendTime": t, "MsgBody": text("2")},
                {"From_Account": "a", "SendTime": t - 3_600, "MsgBody": text("before the group")},
                {"From_Account": "a", "SendTime": t + 3_600, "MsgBody": text("future")},
                {"From_Account": "departed", "SendTime": t, "MsgBody": text("3")},
                {"From_Account": "a", "SendTime": t, "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "x".repeat(13_000)}}]}
            ]}),
        )
        .await;
    assert_eq!(
        r["ImportMsgResult"],
        json!([
            {"MsgSeq": 1, "MsgTime": t, "Result": 0},
            {"MsgSeq": 2, "MsgTime": t, "Result": 0},
            {"MsgSeq": 0, "MsgTime": t - 3_600, "Result": 10004},
            {"MsgSeq": 0, "MsgTime": t + 3_600, "Result": 10004},
            {"MsgSeq": 3, "MsgTime": t, "Result": 0},
            {"MsgSeq": 0, "MsgTime": t, "Result": 80002}
        ])
    );
    let page = history(&admin, json!({"GroupId": "work", "ReqMsgNumber": 20})).await;
    assert_eq!(history_seqs(&page), vec![3, 2, 1]);
    assert_eq!(page["RspMsgList"][0]["From_Account"], "departed");
    assert_eq!(page["RspMsgList"][2]["MsgRandom"], 11);
    assert_eq!(
        unread(&admin, "b", "work").await,
        0,
        "an import leaves nothing unread"
    );
    // Sends continue the same sequence.
    assert_eq!(send(&admin, "work", "a", 1, "live").await.0, 4);
    assert_eq!(next_msg_seq(&admin, "work").await, 5);
    assert_eq!(unread(&admin, "b", "work").await, 1);
}
common::also_on_postgres!(import_group_msg_takes_consecutive_seqs_under_the_time_rules);

/// One import_group_msg of several messages stores them in one statement, their repeats
/// probed in one statement (the bulk path a history is seeded through): the rows and the
/// answers are those of the same messages imported one per call.
#[tokio::test]
async fn a_multi_message_import_stores_the_rows_of_one_per_call() {
    let (server, admin) = start().await;
    group(&admin, "Public", "bulk").await;
    group(&admin, "Public", "single").await;
    let t = now();
    let msgs = vec![
        json!({"From_Account": "a", "SendTime": t, "Random": 7, "MsgBody": text("1")}),
        json!({"From_Account": "b", "SendTime": t, "Random": 5, "MsgBody": text("another sender"), "CloudCustomData": "cc"}),
        json!({"From_Account": "a", "SendTime": t, "Random": 7, "MsgBody": text("repeat in the call")}),
        json!({"From_Account": "c", "SendTime": t, "Random": 8, "MsgBody": text("3")}),
        json!({"From_Account": "a", "SendTime": t, "Random": 9, "MsgBody": text("4")}),
    ];
    // A message already stored: its Random comes again in both imports.
    for gid in ["bulk", "single"] {
        admin
            .call_ok(IMPORT, json!({"GroupId": gid, "MsgList": [{"From_Account": "a", "SendTime": t, "Random": 8, "MsgBody": text("stored")}]}))
            .await;
    }
    let bulk = admin
        .call_ok(IMPORT, json!({"GroupId": "bulk", "MsgList": msgs}))
        .await["ImportMsgResult"]
        .clone();
    let mut single = Vec::new();
    for m in &msgs {
        let r = admin
            .call_ok(IMPORT, json!({"GroupId": "single", "MsgList": [m]}))
            .await;
        single.push(r["ImportMsgResult"][0].clone());
    }
    assert_eq!(bulk, Value::Array(single));
    // What the two groups hold reads the same, field by field.
    let page = |gid: &'static str| {
        let admin = admin.clone();
        async move {
            history(&admin, json!({"GroupId": gid, "ReqMsgNumber": 20})).await["RspMsgList"].clone()
        }
    };
    let stored = page("bulk").await;
    assert_eq!(stored.as_array().unwrap().len(), 4, "{stored}");
    assert_eq!(stored, page("single").await);
    let _ = server;
}
common::also_on_postgres!(a_multi_message_import_stores_the_rows_of_one_per_call);

/// The same import_group_msg sent many times at once (a migration retried on other
/// connections or nodes) stores its messages once: each import's repeat probe runs after the
/// group's lock, and sees what every import that held it before stored.
#[tokio::test]
async fn concurrent_repeats_of_an_import_store_its_messages_once() {
    let (_server, admin) = start().await;
    group(&admin, "Public", "g").await;
    let t = now();
    for round in 0..4i64 {
        let msgs = json!([
            {"From_Account": "a", "SendTime": t, "Random": 100 + round, "MsgBody": text("one")},
            {"From_Account": "b", "SendTime": t, "Random": 200 + round, "MsgBody": text("two")},
        ]);
        let imports: Vec<_> = (0..16)
            .map(|_| {
                let admin = admin.clone();
                let msgs = msgs.clone();
                tokio::spawn(async move {
                    admin
                        .call_ok(IMPORT, json!({"GroupId": "g", "MsgList": msgs}))
                        .await["ImportMsgResult"]
                        .clone()
                })
            })
            .collect();
        let mut answers = Vec::new();
        for i in imports {
            let r = i.await.unwrap();
            let seqs: Vec<u64> = r
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m["MsgSeq"].as_u64().unwrap())
                .collect();
            answers.push(seqs);
        }
        let want = vec![2 * round as u64 + 1, 2 * round as u64 + 2];
        assert!(
            answers.iter().all(|a| *a == want),
            "round {round}: {answers:?}"
        );
    }
    let page = history(&admin, json!({"GroupId": "g", "ReqMsgNumber": 20})).await;
    assert_eq!(history_seqs(&page), vec![8, 7, 6, 5, 4, 3, 2, 1]);
}
common::also_on_postgres!(concurrent_repeats_of_an_import_store_its_messages_once);

/// Migration: import_group with a past CreateTime, then history, then members with unread
/// counts (import_group and import_group_member are on the groups branch).
#[tokio::test]
async fn a_migrated_group_gets_its_history_with_original_times() {
    let (_server, admin) = start().await;
    let created = now() - 30 * 86_400;
    admin
        .call_ok(
            "group_open_http_svc/import_group",
            json!({"Type": "Public", "GroupId": "old", "Name": "old", "Owner_Account": "o", "CreateTime": created}),
        )
        .await;
    let msgs: Vec<Value> = (0..7)
        .map(|i| json!({"From_Account": "o", "SendTime": created + 60 * i, "MsgBody": text("old")}))
        .collect();
    let r = admin
        .call_ok(IMPORT, json!({"GroupId": "old", "MsgList": msgs}))
        .await;
    let results: Vec<u64> = r["ImportMsgResult"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["Result"].as_u64().unwrap())
        .collect();
    assert_eq!(results, vec![0; 7]);
    // With the default 7-day retention, 30-day-old messages read as expired placeholders.
    let page = history(&admin, json!({"GroupId": "old", "ReqMsgNumber": 7})).await;
    assert!(page["RspMsgList"]
        .as_array()
        .unwrap()
        .iter()
        .all(|m| m["IsPlaceMsg"] == 1 && m["MsgBody"] == json!([])));
    admin
        .call_ok(
            "group_open_http_svc/import_group_member",
            json!({"GroupId": "old", "MemberList": [{"Member_Account": "a", "UnreadMsgNum": 3}]}),
        )
        .await;
    assert_eq!(
        unread(&admin, "a", "old").await,
        3,
        "a member imported after the messages keeps its count"
    );
    assert_eq!(unread(&admin, "o", "old").await, 0);
    admin
        .call_ok(
            "group_open_http_svc/set_unread_msg_num",
            json!({"GroupId": "old", "Member_Account": "a", "UnreadMsgNum": 2}),
        )
        .await;
    let a = member_info(&admin, "old", "a").await;
    assert_eq!(a["MsgSeq"], 5, "7 messages, 2 unread");
    assert_eq!(unread(&admin, "a", "old").await, 2);
}
common::also_on_postgres!(a_migrated_group_gets_its_history_with_original_times);

#[tokio::test]
async fn retention_zero_keeps_imported_history_forever() {
    let app = common::TestApp::random();
    let apps = format!(
        "[{{sdkappid = {}, key = {:?}, retention_days = 0}}]",
        app.sdkappid, app.key
    );
    let server = TestServer::start_with(ServerOptions {
        apps: vec![app],
        env: vec![("TIMBER_APPS".into(), apps)],
        ..ServerOptions::default()
    })
    .await;
    let admin = server.client();
    accounts(&admin).await;
    let created = now() - 400 * 86_400;
    admin
        .call_ok(
            "group_open_http_svc/import_group",
            json!({"Type": "Public", "GroupId": "old", "Name": "old", "Owner_Account": "o", "CreateTime": created}),
        )
        .await;
    admin
        .call_ok(
            IMPORT,
            json!({"GroupId": "old", "MsgList": [{"From_Account": "o", "SendTime": created, "MsgBody": text("ancient")}]}),
        )
        .await;
    let page = history(&admin, json!({"GroupId": "old", "ReqMsgNumber": 1})).await;
    assert_eq!(page["RspMsgList"][0]["IsPlaceMsg"], 0);
    assert_eq!(page["RspMsgList"][0]["MsgTimeStamp"], created);
}
common::also_on_postgres!(retention_zero_keeps_imported_history_forever);

#[tokio::test]
async fn set_unread_msg_num_sets_the_read_position() {
    let (_server, admin) = start().await;
    group(&admin, "Public", "g").await;
    for i in 1..=5 {
        send(&admin, "g", "a", i, "x").await;
    }
    admin
        .call_ok(
            "group_open_http_svc/set_unread_msg_num",
            json!({"GroupId": "g", "Member_Account": "b", "UnreadMsgNum": 2}),
        )
        .await;
    let b = member_info(&admin, "g", "b").await;
    assert_eq!(b["MsgSeq"], 3, "5 messages, 2 unread: read up to 3");
    assert_eq!(unread(&admin, "b", "g").await, 2);
    admin
        .call_ok(CLEAR, json!({"GroupId": "g", "MsgSeq": 4}))
        .await;
    assert_eq!(
        unread(&admin, "b", "g").await,
        1,
        "cleared messages count as read"
    );
    // ChatRoom keeps no unread counts: accepted, nothing changes.
    group(&admin, "ChatRoom", "room").await;
    admin
        .call_ok(
            "group_open_http_svc/set_unread_msg_num",
            json!({"GroupId": "room", "Member_Account": "b", "UnreadMsgNum": 2}),
        )
        .await;
}
common::also_on_postgres!(set_unread_msg_num_sets_the_read_position);

#[tokio::test]
async fn system_notifications_take_no_seq() {
    let (_server, admin) = start().await;
    group(&admin, "Public", "g").await;
    admin
        .call_ok(
            "group_open_http_svc/send_group_system_notification",
            json!({"GroupId": "g", "Content": "maintenance at noon", "ToMembers_Account": ["a"]}),
        )
        .await;
    admin
        .call_ok(
            "group_open_http_svc/send_group_system_notification",
            json!({"GroupId": "g", "Content": "to all"}),
        )
        .await;
    assert_eq!(next_msg_seq(&admin, "g").await, 1);
    group(&admin, "AVChatRoom", "live").await;
    admin
        .call_ok(
            "group_open_http_svc/send_group_system_notification",
            json!({"GroupId": "live", "Content": "to all"}),
        )
        .await;
}
common::also_on_postgres!(system_notifications_take_no_seq);

#[tokio::test]
async fn targeted_messages_are_stored_for_the_admin() {
    let (_server, admin) = start().await;
    group(&admin, "Public", "g").await;
    let r = admin
        .call_ok(
            SEND,
            json!({"GroupId": "g", "From_Account": "a", "Random": 1, "MsgBody": text("psst"), "To_Account": ["b", "b"]}),
        )
        .await;
    assert_eq!(r["MsgSeq"], 1);
    let page = history(&admin, json!({"GroupId": "g", "ReqMsgNumber": 1})).await;
    assert_eq!(page["RspMsgList"][0]["MsgBody"], text("psst"));
}
common::also_on_postgres!(targeted_messages_are_stored_for_the_admin);

/// The same `Random` sent many times at once, as a client retrying on other connections
/// (or other nodes) while its first try is still under way, is stored once: every answer
/// carries the one message's seq.
#[tokio::test]
async fn concurrent_repeats_of_a_random_store_one_message() {
    let (_server, admin) = start().await;
    group(&admin, "Public", "g").await;
    for round in 0..5u32 {
        let random = 7000 + round;
        let sends: Vec<_> = (0..16)
            .map(|_| {
                let admin = admin.clone();
                tokio::spawn(async move { send(&admin, "g", "a", random, "once").await.0 })
            })
            .collect();
        let mut answered = Vec::new();
        for s in sends {
            answered.push(s.await.unwrap());
        }
        let first = answered[0];
        assert!(
            answered.iter().all(|&seq| seq == first),
            "round {round}: {answered:?}"
        );
        assert_eq!(first, u64::from(round) + 1, "round {round}");
    }
    let page = history(&admin, json!({"GroupId": "g", "ReqMsgNumber": 20})).await;
    assert_eq!(history_seqs(&page), vec![5, 4, 3, 2, 1]);
}
common::also_on_postgres!(concurrent_repeats_of_a_random_store_one_message);

/// DESIGN.md invariant 3: an acknowledged message survives `kill -9`.
#[tokio::test]
async fn acknowledged_messages_survive_kill_9() {
    survive_kill_9(ServerOptions::default()).await;
}
common::also_on_postgres!(acknowledged_messages_survive_kill_9);

/// The same through SQLite's default VFS and its own page cache (`sqlite_wal_vfs = false`,
/// `sqlite_page_cache = false`).
#[tokio::test]
async fn acknowledged_messages_survive_kill_9_without_timber_s_sqlite_machinery() {
    let server = survive_kill_9(ServerOptions {
        storage: Some("sqlite".into()),
        env: vec![
            ("TIMBER_SQLITE_WAL_VFS".into(), "false".into()),
            ("TIMBER_SQLITE_PAGE_CACHE".into(), "false".into()),
        ],
        ..ServerOptions::default()
    })
    .await;
    let log = server.log();
    assert!(log.contains("SQLite commits use the default VFS"), "{log}");
    assert!(log.contains("SQLite's page cache is its own"), "{log}");
}

/// Sends 40 messages concurrently, clears some, kills the server with SIGKILL, restarts it
/// with the same `options` and reads every acknowledged message back; returns the new server.
async fn survive_kill_9(options: ServerOptions) -> TestServer {
    let env = options.env.clone();
    let server = TestServer::start_with(options).await;
    let admin = server.client();
    accounts(&admin).await;
    group(&admin, "Public", "g").await;
    let sends: Vec<_> = (1..=40u32)
        .map(|i| {
            let admin = admin.clone();
            tokio::spawn(async move { send(&admin, "g", "a", i, "durable").await.0 })
        })
        .collect();
    let mut acked = Vec::new();
    for s in sends {
        acked.push(s.await.unwrap());
    }
    acked.sort_unstable();
    assert_eq!(
        acked,
        (1..=40).collect::<Vec<u64>>(),
        "40 distinct, gap-free seqs"
    );
    admin
        .call_ok(CLEAR, json!({"GroupId": "g", "MsgSeq": 10}))
        .await;
    let pid = server.pid() as i32;
    // SAFETY: sending a signal to our own child process.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGKILL) }, 0);
    let options = ServerOptions {
        env,
        ..server.same_data()
    };
    drop(server);
    // Let the kernel finish the process (and release its lock on the database).
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let server = TestServer::start_with(options).await;
    let admin = server.client();
    let mut all = Vec::new();
    for req in [40u64, 20] {
        let page = history(
            &admin,
            json!({"GroupId": "g", "ReqMsgNumber": 20, "ReqMsgSeq": req}),
        )
        .await;
        all.extend(history_seqs(&page));
    }
    assert_eq!(all, (1..=40).rev().collect::<Vec<u64>>());
    assert_eq!(next_msg_seq(&admin, "g").await, 41);
    server
}

/// The sweeper runs in the background and stops cleanly with the server.
#[tokio::test]
async fn the_sweeper_runs_and_stops_with_the_server() {
    let server = TestServer::start_with(ServerOptions {
        env: vec![("TIMBER_SWEEP_INTERVAL_SECS".into(), "1".into())],
        ..ServerOptions::default()
    })
    .await;
    let admin = server.client();
    accounts(&admin).await;
    group(&admin, "Public", "g").await;
    send(&admin, "g", "a", 1, "x").await;
    admin
        .call_ok("group_open_http_svc/destroy_group", json!({"GroupId": "g"}))
        .await;
    // A pass purges the destroyed group's rows and says so in the log.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !server.log().contains("sweep pass done") {
        assert!(
            std::time::Instant::now() < deadline,
            "no sweep pass was logged:\n{}",
            server.log()
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    group(&admin, "Public", "g").await;
    assert_eq!(
        send(&admin, "g", "a", 1, "x").await.0,
        1,
        "a new group, a new sequence"
    );
    let status = server.stop().await;
    assert!(status.success(), "timber exited with {status}");
}
common::also_on_postgres!(the_sweeper_runs_and_stops_with_the_server);
