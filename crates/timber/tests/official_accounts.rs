//! End-to-end: official accounts (`v4/official_account_open_http_svc/*`, all twelve commands)
//! and chatbots (`v4/openim_robot_http_svc/*`): success, every documented error code, and
//! tenancy. spec: push-and-operations.md §5, §6, §8.

mod common;

use common::{import_accounts, ServerOptions, TestApp, TestServer};
use serde_json::{json, Value};

const SVC: &str = "official_account_open_http_svc";
const BOT: &str = "openim_robot_http_svc";

fn oa(cmd: &str) -> String {
    format!("{SVC}/{cmd}")
}

fn bot(cmd: &str) -> String {
    format!("{BOT}/{cmd}")
}

/// Creates the official account `id` named `name`, owned by the imported account `owner`.
async fn create_official(admin: &common::Client, id: &str, name: &str) {
    admin
        .call_ok(
            &oa("create_official_account"),
            json!({"Owner_Account": "owner", "OfficialAccountUserID": id, "Name": name}),
        )
        .await;
}

fn text(t: &str) -> Value {
    json!([{"MsgType": "TIMTextElem", "MsgContent": {"Text": t}}])
}

#[tokio::test]
async fn accounts_subscribers_and_info() {
    let server = TestServer::start().await;
    let admin = server.client();
    import_accounts(&admin, &["owner", "a", "b", "c"]).await;

    // Generated and custom IDs.
    let made = admin
        .call_ok(
            &oa("create_official_account"),
            json!({"Owner_Account": "owner", "Name": "Gen"}),
        )
        .await;
    let generated = made["OfficialAccountUserID"].as_str().unwrap();
    assert!(
        generated.starts_with("@TOA#_") && generated.len() == 15,
        "{generated}"
    );
    let made = admin
        .call_ok(
            &oa("create_official_account"),
            json!({"Owner_Account": "owner", "OfficialAccountUserID": "@TOA#_news", "Name": "News",
                "Introduction": "daily", "MaxSubscriberNum": 3}),
        )
        .await;
    assert_eq!(made["OfficialAccountUserID"], "@TOA#_news");

    // Creation refusals: 10021 the ID is taken, 10004 for an unknown owner, a bad ID, a long
    // name, a missing name; 20001 a body that is not JSON.
    let create = |body: Value| {
        let admin = admin.clone();
        async move { admin.call_err(&oa("create_official_account"), body).await.0 }
    };
    assert_eq!(
        create(
            json!({"Owner_Account": "owner", "OfficialAccountUserID": "@TOA#_news", "Name": "x"})
        )
        .await,
        10021
    );
    assert_eq!(
        create(json!({"Owner_Account": "ghost", "Name": "x"})).await,
        10004
    );
    assert_eq!(
        create(json!({"Owner_Account": "owner", "OfficialAccountUserID": "news", "Name": "x"}))
            .await,
        10004
    );
    assert_eq!(
        create(json!({"Owner_Account": "owner", "Name": "x".repeat(151)})).await,
        10004
    );
    assert_eq!(create(json!({"Owner_Account": "owner"})).await, 10004);
    assert_eq!(
        create(json!({"Owner_Account": "owner", "Name": "x", "CustomString": "x".repeat(3001)}))
            .await,
        10004
    );
    let resp = admin
        .request(&oa("create_official_account"))
        .body("nope")
        .send()
        .await;
    assert!(resp.text.contains("\"ErrorCode\":20001"), "{}", resp.text);

    // Modify (also with the doocs spelling of the ID), then info with and without a filter.
    admin
        .call_ok(
            &oa("modify_official_account_base_info"),
            json!({"Official_Account": "@TOA#_news", "FaceUrl": "https://x/f.png"}),
        )
        .await;
    admin
        .call_ok(
            &oa("modify_official_account_base_info"),
            json!({"OfficialAccount": "@TOA#_news", "Organization": "Org"}),
        )
        .await;
    assert_eq!(
        admin
            .call_err(
                &oa("modify_official_account_base_info"),
                json!({"Official_Account": "@TOA#_none", "Name": "x"})
            )
            .await
            .0,
        10010
    );
    assert_eq!(
        admin
            .call_err(
                &oa("modify_official_account_base_info"),
                json!({"Official_Account": "@TOA#_news", "Introduction": "x".repeat(401)})
            )
            .await
            .0,
        10004
    );
    let info = admin
        .call_ok(
            &oa("get_official_account_info"),
            json!({"OfficialAccountIdList": [{"Official_Account": "@TOA#_news"}, {"Official_Account": "@TOA#_none"}]}),
        )
        .await;
    let list = info["OfficialAccountInfoList"].as_array().unwrap();
    assert_eq!(list[0]["Name"], "News");
    assert_eq!(list[0]["Introduction"], "daily");
    assert_eq!(list[0]["FaceUrl"], "https://x/f.png");
    assert_eq!(list[0]["Organization"], "Org");
    assert_eq!(list[0]["Owner_Account"], "owner");
    assert_eq!(list[0]["SubscriberNum"], 0);
    assert_eq!(list[0]["ErrorCode"], 0);
    assert_eq!(list[1]["ErrorCode"], 10010);
    assert!(list[1].get("Name").is_none());
    let info = admin
        .call_ok(
            &oa("get_official_account_info"),
            json!({"OfficialAccountIdList": [{"Official_Account": "@TOA#_news"}],
                "ResponseFilter": {"OfficialAccountBaseInfoFilter": ["Name"]}}),
        )
        .await;
    let entry = &info["OfficialAccountInfoList"][0];
    assert_eq!(entry["Name"], "News");
    assert!(entry.get("Introduction").is_none());
    let ids: Vec<Value> = (0..51)
        .map(|i| json!({"Official_Account": format!("@TOA#_{i}")}))
        .collect();
    for body in [
        json!({"OfficialAccountIdList": ids}),
        json!({"OfficialAccountIdList": []}),
        json!({"OfficialAccountIdList": [{"Official_Account": "@TOA#_news"}],
            "ResponseFilter": {"OfficialAccountBaseInfoFilter": ["Bogus"]}}),
    ] {
        assert_eq!(
            admin
                .call_err(&oa("get_official_account_info"), body)
                .await
                .0,
            10004
        );
    }

    // Subscribers: MaxSubscriberNum 3, an unknown account fails (Result 0).
    let add = admin
        .call_ok(
            &oa("add_subscriber"),
            json!({"Official_Account": "@TOA#_news", "SubscriberList": [
                {"Subscriber_Account": "a"}, {"Subscriber_Account": "ghost"},
                {"Subscriber_Account": "b"}, {"Subscriber_Account": "c"}, {"Subscriber_Account": "owner"}]}),
        )
        .await;
    let results: Vec<(String, u64)> = add["SubscriberList"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["Subscriber_Account"].as_str().unwrap().to_owned(),
                e["Result"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        results,
        [("a", 1), ("ghost", 0), ("b", 1), ("c", 1), ("owner", 0)].map(|(u, r)| (u.to_owned(), r))
    );
    let again = admin
        .call_ok(
            &oa("add_subscriber"),
            json!({"Official_Account": "@TOA#_news", "SubscriberList": [{"Subscriber_Account": "a"}]}),
        )
        .await;
    assert_eq!(again["SubscriberList"][0]["Result"], 2);
    let many: Vec<Value> = (0..101)
        .map(|i| json!({"Subscriber_Account": format!("u{i}")}))
        .collect();
    assert_eq!(
        admin
            .call_err(
                &oa("add_subscriber"),
                json!({"Official_Account": "@TOA#_news", "SubscriberList": many})
            )
            .await
            .0,
        10004
    );
    assert_eq!(
        admin
            .call_err(
                &oa("add_subscriber"),
                json!({"Official_Account": "@TOA#_none", "SubscriberList": [{"Subscriber_Account": "a"}]})
            )
            .await
            .0,
        10010
    );

    // Paging subscribers: two, then the rest.
    let page = admin
        .call_ok(
            &oa("get_subscriber_info"),
            json!({"Official_Account": "@TOA#_news", "Limit": 2, "Next": ""}),
        )
        .await;
    assert_eq!(page["SubscriberNum"], 3);
    assert_eq!(page["SubscriberList"].as_array().unwrap().len(), 2);
    assert_eq!(page["SubscriberList"][0]["MsgFlag"], "AcceptAndNotify");
    let next = page["Next"].as_str().unwrap().to_owned();
    assert!(!next.is_empty());
    let rest = admin
        .call_ok(
            &oa("get_subscriber_info"),
            json!({"Official_Account": "@TOA#_news", "Limit": 2, "Next": next}),
        )
        .await;
    assert_eq!(rest["SubscriberList"].as_array().unwrap().len(), 1);
    assert_eq!(rest["Next"], "");
    let all = admin
        .call_ok(
            &oa("get_subscriber_info"),
            json!({"Official_Account": "@TOA#_news", "Next": ""}),
        )
        .await;
    assert_eq!(all["SubscriberList"].as_array().unwrap().len(), 3);
    for body in [
        json!({"Official_Account": "@TOA#_news", "Limit": 201, "Next": ""}),
        json!({"Official_Account": "@TOA#_news", "Next": "zz"}),
        json!({"Official_Account": "@TOA#_news"}),
    ] {
        assert_eq!(
            admin.call_err(&oa("get_subscriber_info"), body).await.0,
            10004
        );
    }
    assert_eq!(
        admin
            .call_err(
                &oa("get_subscriber_info"),
                json!({"Official_Account": "@TOA#_none", "Next": ""})
            )
            .await
            .0,
        10010
    );

    // A subscriber's CustomString, seen in the user's subscription list.
    admin
        .call_ok(
            &oa("modify_subscriber_info"),
            json!({"Official_Account": "@TOA#_news", "Subscriber_Account": "a", "CustomString": "vip"}),
        )
        .await;
    for (body, want) in [
        (
            json!({"Official_Account": "@TOA#_news", "Subscriber_Account": "owner"}),
            10004,
        ),
        (
            json!({"Official_Account": "@TOA#_news", "Subscriber_Account": "a", "CustomString": "x".repeat(3001)}),
            10004,
        ),
        (
            json!({"Official_Account": "@TOA#_none", "Subscriber_Account": "a"}),
            10010,
        ),
    ] {
        assert_eq!(
            admin.call_err(&oa("modify_subscriber_info"), body).await.0,
            want
        );
    }
    let subscribed = admin
        .call_ok(
            &oa("get_subscribed_official_account_list"),
            json!({"Subscriber_Account": "a", "ResponseFilter": {"OfficialAccountBaseInfoFilter": ["Name"]}}),
        )
        .await;
    assert_eq!(subscribed["TotalCount"], 1);
    assert_eq!(subscribed["CompleteFlag"], 1);
    assert_eq!(subscribed["Next"], 1);
    let entry = &subscribed["OfficialAccountInfoList"][0];
    assert_eq!(entry["Official_Account"], "@TOA#_news");
    assert_eq!(entry["Name"], "News");
    assert_eq!(entry["SelfInfo"]["CustomString"], "vip");
    assert!(entry["SelfInfo"]["SubscribeTime"].as_i64().unwrap() > 0);
    assert_eq!(
        admin
            .call_err(
                &oa("get_subscribed_official_account_list"),
                json!({"Subscriber_Account": "a", "Limit": 0})
            )
            .await
            .0,
        10004
    );

    // Deleting, in both documented shapes.
    let del = admin
        .call_ok(
            &oa("delete_subscriber"),
            json!({"Official_Account": "@TOA#_news", "SubscriberToDel_Account": ["a", "owner"]}),
        )
        .await;
    assert_eq!(del["SubscriberList"][0]["Result"], 1);
    assert_eq!(del["SubscriberList"][1]["Result"], 2);
    let del = admin
        .call_ok(
            &oa("delete_subscriber"),
            json!({"Official_Account": "@TOA#_news", "SubscriberList": [{"Subscriber_Account": "b"}]}),
        )
        .await;
    assert_eq!(del["SubscriberList"][0]["Result"], 1);
    assert_eq!(
        admin
            .call_err(
                &oa("delete_subscriber"),
                json!({"Official_Account": "@TOA#_news"})
            )
            .await
            .0,
        10004
    );
    assert_eq!(
        admin
            .call_err(
                &oa("delete_subscriber"),
                json!({"Official_Account": "@TOA#_none", "SubscriberToDel_Account": ["a"]})
            )
            .await
            .0,
        10010
    );

    // Destroy: gone, and 10010 afterwards.
    admin
        .call_ok(
            &oa("destroy_official_account"),
            json!({"Official_Account": generated}),
        )
        .await;
    assert_eq!(
        admin
            .call_err(
                &oa("destroy_official_account"),
                json!({"Official_Account": generated})
            )
            .await
            .0,
        10010
    );

    // 10003 an unknown command, 10007 not an admin.
    assert_eq!(
        admin
            .call_err(&oa("list_official_accounts"), json!({}))
            .await
            .0,
        10003
    );
    let user = server.client_for(0, "a");
    assert_eq!(
        user.call_err(
            &oa("destroy_official_account"),
            json!({"Official_Account": "@TOA#_news"})
        )
        .await
        .0,
        10007
    );
}

/// A deleted account's subscriptions go with it: the account's SubscriberNum and list no
/// longer hold it, and imported again it subscribes to nothing.
#[tokio::test]
async fn a_deleted_account_is_no_subscriber() {
    let server = TestServer::start().await;
    let admin = server.client();
    import_accounts(&admin, &["owner", "a", "b"]).await;
    create_official(&admin, "@TOA#_d", "D").await;
    admin
        .call_ok(
            &oa("add_subscriber"),
            json!({"Official_Account": "@TOA#_d", "SubscriberList": [
                {"Subscriber_Account": "a"}, {"Subscriber_Account": "b"}]}),
        )
        .await;
    admin
        .call_ok(
            "im_open_login_svc/account_delete",
            json!({"DeleteItem": [{"UserID": "a"}]}),
        )
        .await;
    let page = admin
        .call_ok(
            &oa("get_subscriber_info"),
            json!({"Official_Account": "@TOA#_d", "Next": ""}),
        )
        .await;
    assert_eq!(page["SubscriberNum"], 1, "{page}");
    let users: Vec<&str> = page["SubscriberList"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["Subscriber_Account"].as_str().unwrap())
        .collect();
    assert_eq!(users, ["b"]);
    import_accounts(&admin, &["a"]).await;
    let subscribed = admin
        .call_ok(
            &oa("get_subscribed_official_account_list"),
            json!({"Subscriber_Account": "a"}),
        )
        .await;
    assert_eq!(subscribed["TotalCount"], 0, "{subscribed}");
}

common::also_on_postgres!(a_deleted_account_is_no_subscriber);

/// An OnlineOnlyFlag message is stored nowhere but takes its seq: the next stored message's
/// MsgKey is a new one, and the history holds only the stored message.
#[tokio::test]
async fn an_online_only_message_takes_a_seq_of_its_own() {
    let server = TestServer::start().await;
    let admin = server.client();
    import_accounts(&admin, &["owner"]).await;
    create_official(&admin, "@TOA#_o", "O").await;
    let send = |random: u32, online: u8| {
        json!({"Official_Account": "@TOA#_o", "Random": random,
        "MsgBody": text(&format!("m{random}")), "OnlineOnlyFlag": online})
    };
    let flash = admin
        .call_ok(&oa("send_official_account_msg"), send(1, 1))
        .await;
    let stored = admin
        .call_ok(&oa("send_official_account_msg"), send(2, 0))
        .await;
    let key = |v: &Value| v["MsgKey"].as_str().unwrap().to_owned();
    assert!(key(&flash).starts_with("1_1_"), "{flash}");
    assert!(key(&stored).starts_with("2_1_"), "{stored}");
    let history = admin
        .call_ok(
            &oa("official_account_msg_get_simple"),
            json!({"Official_Account": "@TOA#_o"}),
        )
        .await;
    let keys: Vec<String> = history["RspMsgList"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["IsPlaceMsg"] == 0)
        .map(key)
        .collect();
    assert_eq!(keys, [key(&stored)], "{history}");
}

#[tokio::test]
async fn broadcasts_recall_and_history() {
    let server = TestServer::start().await;
    let admin = server.client();
    import_accounts(&admin, &["owner"]).await;
    create_official(&admin, "@TOA#_m", "M").await;
    let send = |random: u32, t: &str| json!({"Official_Account": "@TOA#_m", "Random": random, "MsgBody": text(t)});
    let first = admin
        .call_ok(&oa("send_official_account_msg"), send(1, "one"))
        .await;
    let key1 = first["MsgKey"].as_str().unwrap().to_owned();
    let time = first["MsgTime"].as_i64().unwrap();
    assert_eq!(key1, format!("1_1_{time}"));
    // The same body and Random again: the first message's key, nothing new.
    let dup = admin
        .call_ok(&oa("send_official_account_msg"), send(1, "one"))
        .await;
    assert_eq!(dup["MsgKey"], key1.as_str());
    let second = admin
        .call_ok(
            &oa("send_official_account_msg"),
            json!({"Official_Account": "@TOA#_m", "Random": 2, "MsgBody": text("two"), "CloudCustomData": "cd"}),
        )
        .await;
    let key2 = second["MsgKey"].as_str().unwrap().to_owned();
    assert!(key2.starts_with("2_1_"));
    for body in [
        json!({"Official_Account": "@TOA#_m", "MsgBody": text("x")}),
        json!({"Official_Account": "@TOA#_m", "Random": 3, "MsgBody": "x"}),
        json!({"Official_Account": "@TOA#_m", "Random": 3, "MsgBody": text("x"), "OnlineOnlyFlag": 1, "SendMsgControl": ["NoLastMsg"]}),
        json!({"Official_Account": "@TOA#_m", "Random": 3, "MsgBody": text("x"), "ForbidCallbackControl": ["Nope"]}),
    ] {
        assert_eq!(
            admin
                .call_err(&oa("send_official_account_msg"), body)
                .await
                .0,
            10004
        );
    }
    assert_eq!(
        admin
            .call_err(
                &oa("send_official_account_msg"),
                json!({"Official_Account": "@TOA#_none", "Random": 1, "MsgBody": text("x")})
            )
            .await
            .0,
        10010
    );
    let info = admin
        .call_ok(
            &oa("get_official_account_info"),
            json!({"OfficialAccountIdList": [{"Official_Account": "@TOA#_m"}]}),
        )
        .await;
    assert_eq!(info["OfficialAccountInfoList"][0]["LastMsgTime"], time);

    // History, newest first.
    let history = admin
        .call_ok(
            &oa("official_account_msg_get_simple"),
            json!({"Official_Account": "@TOA#_m"}),
        )
        .await;
    assert_eq!(history["IsFinished"], 1);
    let msgs = history["RspMsgList"].as_array().unwrap();
    assert_eq!(msgs.len(), 2);
    assert_eq!(msgs[0]["MsgSeq"], 2);
    assert_eq!(msgs[0]["MsgKey"], key2.as_str());
    assert_eq!(msgs[0]["From_Account"], "@TOA#_m");
    assert_eq!(msgs[0]["CloudCustomData"], "cd");
    assert_eq!(msgs[1]["MsgBody"], text("one"));
    assert_eq!(msgs[1]["IsPlaceMsg"], 0);
    assert_eq!(history["LastMsgKey"], key1.as_str());
    let older = admin
        .call_ok(
            &oa("official_account_msg_get_simple"),
            json!({"Official_Account": "@TOA#_m", "ReqMsgNumber": 1}),
        )
        .await;
    assert_eq!(older["IsFinished"], 0);
    let rest = admin
        .call_ok(
            &oa("official_account_msg_get_simple"),
            json!({"Official_Account": "@TOA#_m", "LastMsgKey": older["LastMsgKey"]}),
        )
        .await;
    assert_eq!(rest["RspMsgList"][0]["MsgSeq"], 1);

    // Recall: 0, then 10030 for it again and for a key it never gave.
    let recall = admin
        .call_ok(
            &oa("official_account_msg_recall"),
            json!({"Official_Account": "@TOA#_m", "MsgKeyList": [key1, "99_1_1", "garbage"], "Reason": "oops"}),
        )
        .await;
    let codes: Vec<u64> = recall["RecallRetList"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["RetCode"].as_u64().unwrap())
        .collect();
    assert_eq!(codes, [0, 10030, 10030]);
    let again = admin
        .call_ok(
            &oa("official_account_msg_recall"),
            json!({"Official_Account": "@TOA#_m", "MsgKeyList": [key1]}),
        )
        .await;
    assert_eq!(again["RecallRetList"][0]["RetCode"], 10030);
    let keys: Vec<String> = (0..11).map(|i| format!("{i}_1_1")).collect();
    for body in [
        json!({"Official_Account": "@TOA#_m", "MsgKeyList": keys}),
        json!({"Official_Account": "@TOA#_m", "MsgKeyList": []}),
        json!({"Official_Account": "@TOA#_m", "MsgKeyList": [key2], "Reason": "x".repeat(101)}),
    ] {
        assert_eq!(
            admin
                .call_err(&oa("official_account_msg_recall"), body)
                .await
                .0,
            10004
        );
    }
    assert_eq!(
        admin
            .call_err(
                &oa("official_account_msg_recall"),
                json!({"Official_Account": "@TOA#_none", "MsgKeyList": [key2]})
            )
            .await
            .0,
        10010
    );
    let history = admin
        .call_ok(
            &oa("official_account_msg_get_simple"),
            json!({"Official_Account": "@TOA#_m"}),
        )
        .await;
    assert_eq!(history["RspMsgList"].as_array().unwrap().len(), 1);
    let with = admin
        .call_ok(
            &oa("official_account_msg_get_simple"),
            json!({"Official_Account": "@TOA#_m", "WithRecalledMsg": 1}),
        )
        .await;
    assert_eq!(with["RspMsgList"][1]["IsPlaceMsg"], 2);
    for body in [
        json!({"Official_Account": "@TOA#_m", "LastMsgKey": "nope"}),
        json!({"Official_Account": "@TOA#_m", "WithRecalledMsg": 5}),
    ] {
        assert_eq!(
            admin
                .call_err(&oa("official_account_msg_get_simple"), body)
                .await
                .0,
            10004
        );
    }
    assert_eq!(
        admin
            .call_err(
                &oa("official_account_msg_get_simple"),
                json!({"Official_Account": "@TOA#_none"})
            )
            .await
            .0,
        10010
    );
}

#[tokio::test]
async fn chatbots_and_streamed_replies() {
    let server = TestServer::start().await;
    let admin = server.client();
    import_accounts(&admin, &["u"]).await;
    admin
        .call_ok(
            &bot("create_robot"),
            json!({"UserID": "@RBT#helper", "Nick": "Helper", "SelfSignature": "at your service"}),
        )
        .await;
    // Again: success, nothing new.
    admin
        .call_ok(&bot("create_robot"), json!({"UserID": "@RBT#helper"}))
        .await;
    let all = admin.call_ok(&bot("get_all_robots"), json!({})).await;
    assert_eq!(all["Robot_Account"], json!(["@RBT#helper"]));
    // The bot is an imported account with its profile.
    let check = admin
        .call_ok(
            "im_open_login_svc/account_check",
            json!({"CheckItem": [{"UserID": "@RBT#helper"}]}),
        )
        .await;
    assert_eq!(check["ResultItem"][0]["AccountStatus"], "Imported");
    let profile = admin
        .call_ok(
            "profile/portrait_get",
            json!({"To_Account": ["@RBT#helper"], "TagList": ["Tag_Profile_IM_Nick", "Tag_Profile_IM_SelfSignature"]}),
        )
        .await;
    let items = profile["UserProfileItem"][0]["ProfileItem"].to_string();
    assert!(
        items.contains("Helper") && items.contains("at your service"),
        "{items}"
    );

    for body in [
        json!({"UserID": "helper"}),
        json!({"UserID": format!("@RBT#{}", "x".repeat(28))}),
        json!({"UserID": "@RBT#x", "Nick": "x".repeat(501)}),
        json!({}),
    ] {
        assert_eq!(admin.call_err(&bot("create_robot"), body).await.0, 10004);
    }
    for i in 1..20 {
        admin
            .call_ok(&bot("create_robot"), json!({"UserID": format!("@RBT#{i}")}))
            .await;
    }
    assert_eq!(
        admin
            .call_err(&bot("create_robot"), json!({"UserID": "@RBT#21st"}))
            .await
            .0,
        10004
    );
    let resp = admin
        .request(&bot("create_robot"))
        .body("nope")
        .send()
        .await;
    assert!(resp.text.contains("\"ErrorCode\":10004"), "{}", resp.text);

    // A streamed reply: one C2C message, rewritten chunk by chunk.
    let first = admin
        .call_ok(
            &bot("send_stream_msg"),
            json!({"From_Account": "@RBT#helper", "To_Account": "u", "Chunk": "Hel"}),
        )
        .await;
    let key = first["MsgKey"].as_str().unwrap().to_owned();
    admin
        .call_ok(
            &bot("send_stream_msg"),
            json!({"From_Account": "@RBT#helper", "To_Account": "u", "Chunk": "lo", "MsgKey": key, "Finish": 1}),
        )
        .await;
    let roam = admin
        .call_ok(
            "openim/admin_getroammsg",
            json!({"Operator_Account": "u", "Peer_Account": "@RBT#helper", "MaxCnt": 10, "MinTime": 0, "MaxTime": 4_000_000_000u64}),
        )
        .await;
    let msgs = roam["MsgList"].as_array().unwrap();
    assert_eq!(msgs.len(), 1, "{roam}");
    assert_eq!(msgs[0]["MsgKey"], key.as_str());
    let data: Value = serde_json::from_str(
        msgs[0]["MsgBody"][0]["MsgContent"]["Data"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        data,
        json!({"chatbotPlugin": 2, "chunks": ["Hel", "lo"], "isFinished": 1})
    );
    for body in [
        // Finished already; an unknown key; a key it never gave; not a bot; an unknown user.
        json!({"From_Account": "@RBT#helper", "To_Account": "u", "Chunk": "!", "MsgKey": key}),
        json!({"From_Account": "@RBT#helper", "To_Account": "u", "Chunk": "!", "MsgKey": "1_2_3"}),
        json!({"From_Account": "@RBT#helper", "To_Account": "u", "Chunk": "!", "MsgKey": "nope"}),
        json!({"From_Account": "u", "To_Account": "u", "Chunk": "!"}),
        json!({"From_Account": "@RBT#helper", "To_Account": "ghost", "Chunk": "!"}),
        json!({"From_Account": "@RBT#helper", "To_Account": "u"}),
    ] {
        assert_eq!(
            admin
                .call_err(&bot("send_stream_msg"), body.clone())
                .await
                .0,
            10004,
            "{body}"
        );
    }

    // delete_robot: no longer a bot, the account stays.
    admin
        .call_ok(
            &bot("delete_robot"),
            json!({"Robot_Account": "@RBT#helper"}),
        )
        .await;
    assert_eq!(
        admin
            .call_err(
                &bot("delete_robot"),
                json!({"Robot_Account": "@RBT#helper"})
            )
            .await
            .0,
        10004
    );
    let all = admin.call_ok(&bot("get_all_robots"), json!({})).await;
    assert!(!all["Robot_Account"]
        .as_array()
        .unwrap()
        .contains(&json!("@RBT#helper")));
    let check = admin
        .call_ok(
            "im_open_login_svc/account_check",
            json!({"CheckItem": [{"UserID": "@RBT#helper"}]}),
        )
        .await;
    assert_eq!(check["ResultItem"][0]["AccountStatus"], "Imported");
    assert_eq!(
        admin
            .call_err(
                &bot("send_stream_msg"),
                json!({"From_Account": "@RBT#helper", "To_Account": "u", "Chunk": "x"})
            )
            .await
            .0,
        10004
    );

    // 60010 not an admin; 60009 an unknown command.
    let user = server.client_for(0, "u");
    assert_eq!(
        user.call_err(&bot("get_all_robots"), json!({})).await.0,
        60010
    );
    assert_eq!(admin.call_err(&bot("nope"), json!({})).await.0, 60009);
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
    import_accounts(&a, &["owner", "s"]).await;
    a.call_ok(
        &oa("create_official_account"),
        json!({"Owner_Account": "owner", "OfficialAccountUserID": "@TOA#_t", "Name": "T"}),
    )
    .await;
    a.call_ok(
        &oa("add_subscriber"),
        json!({"Official_Account": "@TOA#_t", "SubscriberList": [{"Subscriber_Account": "s"}]}),
    )
    .await;
    a.call_ok(
        &oa("send_official_account_msg"),
        json!({"Official_Account": "@TOA#_t", "Random": 1, "MsgBody": text("x")}),
    )
    .await;
    a.call_ok(&bot("create_robot"), json!({"UserID": "@RBT#a"}))
        .await;

    let info = b
        .call_ok(
            &oa("get_official_account_info"),
            json!({"OfficialAccountIdList": [{"Official_Account": "@TOA#_t"}]}),
        )
        .await;
    assert_eq!(info["OfficialAccountInfoList"][0]["ErrorCode"], 10010);
    for (cmd, body) in [
        (
            "official_account_msg_get_simple",
            json!({"Official_Account": "@TOA#_t"}),
        ),
        (
            "get_subscriber_info",
            json!({"Official_Account": "@TOA#_t", "Next": ""}),
        ),
        (
            "destroy_official_account",
            json!({"Official_Account": "@TOA#_t"}),
        ),
    ] {
        assert_eq!(b.call_err(&oa(cmd), body).await.0, 10010, "{cmd}");
    }
    let subscribed = b
        .call_ok(
            &oa("get_subscribed_official_account_list"),
            json!({"Subscriber_Account": "s"}),
        )
        .await;
    assert_eq!(subscribed["TotalCount"], 0);
    assert_eq!(
        b.call_ok(&bot("get_all_robots"), json!({})).await["Robot_Account"],
        json!([])
    );
    // B can take the same ID for its own account.
    import_accounts(&b, &["owner"]).await;
    b.call_ok(
        &oa("create_official_account"),
        json!({"Owner_Account": "owner", "OfficialAccountUserID": "@TOA#_t", "Name": "B's"}),
    )
    .await;
    let info = a
        .call_ok(
            &oa("get_official_account_info"),
            json!({"OfficialAccountIdList": [{"Official_Account": "@TOA#_t"}]}),
        )
        .await;
    assert_eq!(info["OfficialAccountInfoList"][0]["Name"], "T");
}

common::also_on_postgres!(tenancy);

/// create_robot and send_stream_msg are one transaction each: a chunk that would make the
/// message longer than the app's `max_msg_bytes` is refused with 80002 and appends nothing
/// (the stream goes on from its chunks before), a first chunk over it stores no message; a
/// bot field holding NUL is 10004 and leaves neither the bot nor its account.
#[tokio::test]
async fn a_refused_step_leaves_nothing_half_written() {
    let app = TestApp::random();
    let apps = format!(
        "[{{sdkappid = {}, key = {:?}, max_msg_bytes = 300}}]",
        app.sdkappid, app.key
    );
    let server = TestServer::start_with(ServerOptions {
        apps: vec![app],
        env: vec![("TIMBER_APPS".into(), apps)],
        ..ServerOptions::default()
    })
    .await;
    let admin = server.client();
    import_accounts(&admin, &["u"]).await;
    let (code, info) = admin
        .call_err(
            &bot("create_robot"),
            json!({"UserID": "@RBT#nul", "Nick": "a\u{0}b"}),
        )
        .await;
    assert_eq!(code, 10004, "{info}");
    let all = admin.call_ok(&bot("get_all_robots"), json!({})).await;
    assert_eq!(all["Robot_Account"], json!([]));
    let check = admin
        .call_ok(
            "im_open_login_svc/account_check",
            json!({"CheckItem": [{"UserID": "@RBT#nul"}]}),
        )
        .await;
    assert_eq!(check["ResultItem"][0]["AccountStatus"], "NotImported");

    admin
        .call_ok(&bot("create_robot"), json!({"UserID": "@RBT#b"}))
        .await;
    let send = |body: Value| {
        let admin = admin.clone();
        async move { admin.call(&bot("send_stream_msg"), body).await }
    };
    let roam = || async {
        admin
            .call_ok(
                "openim/admin_getroammsg",
                json!({"Operator_Account": "u", "Peer_Account": "@RBT#b", "MaxCnt": 10,
                    "MinTime": 0, "MaxTime": 4_000_000_000u64}),
            )
            .await
    };
    let big = "y".repeat(400);
    let first = send(json!({"From_Account": "@RBT#b", "To_Account": "u", "Chunk": big})).await;
    assert_eq!(first["ErrorCode"], 80002, "{first}");
    assert_eq!(
        roam().await["MsgCnt"],
        0,
        "no message for a refused first chunk"
    );
    let first = send(json!({"From_Account": "@RBT#b", "To_Account": "u", "Chunk": "Hel"})).await;
    let key = first["MsgKey"].as_str().unwrap().to_owned();
    let over =
        send(json!({"From_Account": "@RBT#b", "To_Account": "u", "Chunk": big, "MsgKey": key}))
            .await;
    assert_eq!(over["ErrorCode"], 80002, "{over}");
    let done = send(
        json!({"From_Account": "@RBT#b", "To_Account": "u", "Chunk": "lo",
        "MsgKey": key, "Finish": 1}),
    )
    .await;
    assert_eq!(done["ErrorCode"], 0, "{done}");
    let roam = roam().await;
    let data: Value = serde_json::from_str(
        roam["MsgList"][0]["MsgBody"][0]["MsgContent"]["Data"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        data,
        json!({"chatbotPlugin": 2, "chunks": ["Hel", "lo"], "isFinished": 1}),
        "the refused chunk was not appended"
    );
}
common::also_on_postgres!(a_refused_step_leaves_nothing_half_written);

// ---- Members: delivery to connected subscribers, MsgFlag, the member methods ----

mod members {
    use super::{oa, text};
    use crate::common::{self, import_accounts, Client, ServerOptions, TestServer};
    use futures_util::{SinkExt, StreamExt};
    use serde_json::{json, Value};
    use std::time::Duration;
    use tokio::net::TcpStream;
    use tokio_tungstenite::tungstenite::Message;
    use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

    const WAIT: Duration = Duration::from_secs(10);

    /// A connected member: notifications in arrival order, answers by id.
    pub struct Member {
        ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
        next_id: u64,
        /// Notifications that came before an answer, in order.
        events: std::collections::VecDeque<Value>,
    }

    impl Member {
        pub async fn connect(server: &TestServer, user: &str) -> Member {
            let app = &server.apps[0];
            let url = format!(
                "{}/v1/member?sdkappid={}&identifier={user}&usersig={}",
                server.base.replacen("http://", "ws://", 1),
                app.sdkappid,
                app.sig(user)
            );
            let (ws, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
            Member {
                ws,
                next_id: 1,
                events: Default::default(),
            }
        }

        async fn frame(&mut self) -> Value {
            loop {
                let msg = tokio::time::timeout(WAIT, self.ws.next())
                    .await
                    .expect("a frame within the wait")
                    .expect("the connection is open")
                    .expect("a readable frame");
                match msg {
                    Message::Text(t) => return serde_json::from_str(&t).unwrap(),
                    Message::Close(f) => panic!("closed: {f:?}"),
                    _ => continue,
                }
            }
        }

        /// The next notification, whatever it is.
        pub async fn next(&mut self) -> Value {
            if let Some(e) = self.events.pop_front() {
                return e;
            }
            loop {
                let f = self.frame().await;
                if f.get("method").is_some() {
                    return f;
                }
            }
        }

        /// The next notification, which must be `method`: its params.
        pub async fn expect(&mut self, method: &str) -> Value {
            let f = self.next().await;
            assert_eq!(f["method"], method, "{f}");
            f["params"].clone()
        }

        /// The next notification must be the one-to-one marker from `owner` (`marker`):
        /// nothing of the official account came before it.
        pub async fn expect_marker(&mut self) {
            let p = self.expect("onRecvNewMessage").await;
            assert_eq!(p["userID"], "owner", "not the marker: {p}");
        }

        pub async fn call(&mut self, method: &str, params: Value) -> Value {
            let id = self.next_id;
            self.next_id += 1;
            let req = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
            self.ws
                .send(Message::Text(req.to_string().into()))
                .await
                .unwrap();
            loop {
                let f = self.frame().await;
                if f["id"] == id {
                    return f;
                }
                assert!(f.get("method").is_some(), "unexpected frame {f}");
                self.events.push_back(f);
            }
        }

        pub async fn ok(&mut self, method: &str, params: Value) -> Value {
            let f = self.call(method, params).await;
            assert!(f.get("error").is_none(), "{method}: {f}");
            f["result"].clone()
        }

        pub async fn err(&mut self, method: &str, params: Value) -> i64 {
            let f = self.call(method, params).await;
            f["error"]["code"]
                .as_i64()
                .unwrap_or_else(|| panic!("{method} should fail: {f}"))
        }
    }

    /// A one-to-one message from `owner` to `to`: what a member hears after anything sent
    /// before it, so that it arriving first proves nothing else came.
    pub async fn marker(admin: &Client, to: &str) {
        admin
            .call_ok(
                "openim/sendmsg",
                json!({"From_Account": "owner", "To_Account": to, "MsgRandom": common::random_u32(),
                       "MsgBody": text("marker")}),
            )
            .await;
    }

    /// A broadcast of `id`; its answer (`MsgKey`, `MsgTime`).
    pub async fn broadcast(admin: &Client, id: &str, t: &str, extra: Value) -> Value {
        let mut body = json!({"Official_Account": id, "Random": common::random_u32(),
                              "MsgBody": text(t)});
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        admin.call_ok(&oa("send_official_account_msg"), body).await
    }

    fn body_text(message: &Value) -> &str {
        message["MsgBody"][0]["MsgContent"]["Text"]
            .as_str()
            .unwrap_or("")
    }

    async fn set_flag(admin: &Client, id: &str, user: &str, flag: &str) {
        admin
            .call_ok(
                &oa("modify_subscriber_info"),
                json!({"Official_Account": id, "Subscriber_Account": user, "MsgFlag": flag}),
            )
            .await;
    }

    /// Connected subscribers hear a broadcast on every connection (AcceptNotNotify as
    /// AcceptAndNotify: no offline push here) and its recall; a Discard subscriber and a
    /// non-subscriber hear nothing; OnlineOnlyFlag reaches them and stores nothing; MsgFlag
    /// set through REST changes delivery at once; every code of MsgFlag in
    /// modify_subscriber_info; destroying the account tells its subscribers.
    #[tokio::test]
    async fn connected_subscribers_hear_broadcasts_and_recalls() {
        let server = TestServer::start().await;
        let admin = server.client();
        import_accounts(&admin, &["owner", "a", "b", "c", "d"]).await;
        let id = "@TOA#_live";
        admin
            .call_ok(
                &oa("create_official_account"),
                json!({"Owner_Account": "owner", "OfficialAccountUserID": id, "Name": "Live"}),
            )
            .await;
        admin
            .call_ok(
                &oa("add_subscriber"),
                json!({"Official_Account": id, "SubscriberList": [
                    {"Subscriber_Account": "a"}, {"Subscriber_Account": "b"},
                    {"Subscriber_Account": "c"}]}),
            )
            .await;
        set_flag(&admin, id, "b", "AcceptNotNotify").await;
        set_flag(&admin, id, "c", "Discard").await;
        // MsgFlag's codes: another value, a non-subscriber, not a string: 10004; an unknown
        // account: 10010.
        let modify = |body: Value| {
            let admin = admin.clone();
            async move { admin.call_err(&oa("modify_subscriber_info"), body).await.0 }
        };
        for bad in [
            json!({"Official_Account": id, "Subscriber_Account": "a", "MsgFlag": "Loud"}),
            json!({"Official_Account": id, "Subscriber_Account": "a", "MsgFlag": ""}),
            json!({"Official_Account": id, "Subscriber_Account": "d", "MsgFlag": "Discard"}),
            json!({"Official_Account": id, "Subscriber_Account": "a", "MsgFlag": 2}),
        ] {
            assert_eq!(modify(bad.clone()).await, 10004, "{bad}");
        }
        assert_eq!(
            modify(
                json!({"Official_Account": "@TOA#_none", "Subscriber_Account": "a",
                          "MsgFlag": "Discard"})
            )
            .await,
            10010
        );
        let subs = admin
            .call_ok(
                &oa("get_subscriber_info"),
                json!({"Official_Account": id, "Next": ""}),
            )
            .await;
        let flags: Vec<(&str, &str)> = subs["SubscriberList"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                (
                    s["Subscriber_Account"].as_str().unwrap(),
                    s["MsgFlag"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            flags,
            [
                ("a", "AcceptAndNotify"),
                ("b", "AcceptNotNotify"),
                ("c", "Discard")
            ]
        );

        let mut a1 = Member::connect(&server, "a").await;
        let mut a2 = Member::connect(&server, "a").await;
        let mut b = Member::connect(&server, "b").await;
        let mut c = Member::connect(&server, "c").await;
        let mut d = Member::connect(&server, "d").await;

        let sent = broadcast(&admin, id, "hello", json!({"CloudCustomData": "cc"})).await;
        for m in [&mut a1, &mut a2, &mut b] {
            let p = m.expect("onRecvNewMessage").await;
            assert_eq!(p["officialAccountID"], id);
            let msg = &p["message"];
            assert_eq!(msg["MsgKey"], sent["MsgKey"]);
            assert_eq!(msg["MsgSeq"], 1);
            assert_eq!(msg["MsgTime"], sent["MsgTime"]);
            assert_eq!(msg["MsgTimeStamp"], sent["MsgTime"]);
            assert_eq!(msg["From_Account"], id);
            assert_eq!(body_text(msg), "hello");
            assert_eq!(msg["CloudCustomData"], "cc");
        }
        for (m, user) in [(&mut c, "c"), (&mut d, "d")] {
            marker(&admin, user).await;
            m.expect_marker().await;
        }

        // The recall reaches those the message reached.
        admin
            .call_ok(
                &oa("official_account_msg_recall"),
                json!({"Official_Account": id, "MsgKeyList": [sent["MsgKey"]]}),
            )
            .await;
        for m in [&mut a1, &mut a2, &mut b] {
            let p = m.expect("onRecvMessageRevoked").await;
            assert_eq!(p["officialAccountID"], id);
            assert_eq!(p["msgKey"], sent["MsgKey"]);
            assert_eq!(p["operator"], "administrator");
        }
        for (m, user) in [(&mut c, "c"), (&mut d, "d")] {
            marker(&admin, user).await;
            m.expect_marker().await;
        }

        // OnlineOnlyFlag: heard by the online subscribers, stored nowhere.
        broadcast(&admin, id, "flash", json!({"OnlineOnlyFlag": 1})).await;
        for m in [&mut a1, &mut b] {
            let p = m.expect("onRecvNewMessage").await;
            assert_eq!(body_text(&p["message"]), "flash");
        }
        a2.expect("onRecvNewMessage").await;
        let history = admin
            .call_ok(
                &oa("official_account_msg_get_simple"),
                json!({"Official_Account": id, "WithRecalledMsg": 1}),
            )
            .await;
        let stored: Vec<&str> = history["RspMsgList"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| {
                m["IsPlaceMsg"]
                    .as_u64()
                    .map_or("?", |p| if p == 2 { "recalled" } else { "message" })
            })
            .collect();
        assert_eq!(stored, ["recalled"], "{history}");

        // MsgFlag through REST: Discard stops a's delivery at once (both devices hear the
        // change), and setting it back starts it again.
        set_flag(&admin, id, "a", "Discard").await;
        for m in [&mut a1, &mut a2] {
            let p = m.expect("onOfficialAccountMsgFlagChanged").await;
            assert_eq!(
                (&p["officialAccountID"], &p["msgFlag"]),
                (&json!(id), &json!("Discard"))
            );
        }
        broadcast(&admin, id, "quiet", json!({})).await;
        let p = b.expect("onRecvNewMessage").await;
        assert_eq!(body_text(&p["message"]), "quiet");
        marker(&admin, "a").await;
        a1.expect_marker().await;
        a2.expect_marker().await;
        set_flag(&admin, id, "a", "AcceptAndNotify").await;
        set_flag(&admin, id, "c", "AcceptNotNotify").await;
        a1.expect("onOfficialAccountMsgFlagChanged").await;
        c.expect("onOfficialAccountMsgFlagChanged").await;
        broadcast(&admin, id, "loud", json!({})).await;
        for m in [&mut a1, &mut b, &mut c] {
            let p = m.expect("onRecvNewMessage").await;
            assert_eq!(body_text(&p["message"]), "loud");
        }

        // Destroyed: its subscribers (Discard or not) hear it; d does not.
        set_flag(&admin, id, "c", "Discard").await;
        c.expect("onOfficialAccountMsgFlagChanged").await;
        admin
            .call_ok(
                &oa("destroy_official_account"),
                json!({"Official_Account": id}),
            )
            .await;
        for m in [&mut b, &mut c] {
            let p = m.expect("onOfficialAccountDeleted").await;
            assert_eq!(p["officialAccountID"], id);
        }
        marker(&admin, "d").await;
        d.expect_marker().await;
    }
    common::also_on_postgres!(connected_subscribers_hear_broadcasts_and_recalls);

    /// The member methods: subscribeOfficialAccount, unsubscribeOfficialAccount,
    /// setOfficialAccountMsgFlag, getSubscribedOfficialAccountList change delivery at once,
    /// tell the member's other devices, and answer the REST commands' codes.
    #[tokio::test]
    async fn members_manage_their_own_subscriptions() {
        let server = TestServer::start_with(ServerOptions::default()).await;
        let admin = server.client();
        import_accounts(&admin, &["owner", "a", "b", "c"]).await;
        let id = "@TOA#_self";
        admin
            .call_ok(
                &oa("create_official_account"),
                json!({"Owner_Account": "owner", "OfficialAccountUserID": id, "Name": "Self",
                       "MaxSubscriberNum": 2}),
            )
            .await;
        let mut a1 = Member::connect(&server, "a").await;
        let mut a2 = Member::connect(&server, "a").await;
        let mut b = Member::connect(&server, "b").await;
        let mut c = Member::connect(&server, "c").await;
        let the = json!({"officialAccountID": id});

        // Before subscribing: nothing.
        broadcast(&admin, id, "before", json!({})).await;
        marker(&admin, "a").await;
        a1.expect_marker().await;
        a2.expect_marker().await;

        let r = a1.ok("subscribeOfficialAccount", the.clone()).await;
        assert_eq!(r["alreadySubscribed"], false);
        let p = a2.expect("onOfficialAccountSubscribed").await;
        assert_eq!(p["officialAccountID"], id);
        let r = a1.ok("subscribeOfficialAccount", the.clone()).await;
        assert_eq!(r["alreadySubscribed"], true);
        let sent = broadcast(&admin, id, "now", json!({})).await;
        for m in [&mut a1, &mut a2] {
            let p = m.expect("onRecvNewMessage").await;
            assert_eq!(p["message"]["MsgKey"], sent["MsgKey"]);
        }
        let subs = admin
            .call_ok(
                &oa("get_subscriber_info"),
                json!({"Official_Account": id, "Next": ""}),
            )
            .await;
        assert_eq!(subs["SubscriberNum"], 1);

        // Discard from a client: no delivery, the other device told.
        let flag = |f: &str| json!({"officialAccountID": id, "msgFlag": f});
        a1.ok("setOfficialAccountMsgFlag", flag("Discard")).await;
        let p = a2.expect("onOfficialAccountMsgFlagChanged").await;
        assert_eq!(p["msgFlag"], "Discard");
        let list = a1.ok("getSubscribedOfficialAccountList", json!({})).await;
        assert_eq!(list["totalCount"], 1);
        assert_eq!(list["isFinished"], true);
        let entry = &list["officialAccountList"][0];
        assert_eq!(entry["Official_Account"], id);
        assert_eq!(entry["Name"], "Self");
        assert_eq!(entry["SelfInfo"]["MsgFlag"], "Discard");
        broadcast(&admin, id, "dropped", json!({})).await;
        marker(&admin, "a").await;
        a1.expect_marker().await;
        a2.expect_marker().await;
        a1.ok("setOfficialAccountMsgFlag", flag("AcceptNotNotify"))
            .await;
        a2.expect("onOfficialAccountMsgFlagChanged").await;
        broadcast(&admin, id, "back", json!({})).await;
        for m in [&mut a1, &mut a2] {
            let p = m.expect("onRecvNewMessage").await;
            assert_eq!(body_text(&p["message"]), "back");
        }

        // The codes: params (-32602), an unknown account (10010), a MsgFlag of another value
        // or of a non-subscriber (10004), a page out of range (10004), a full account (10014).
        let none = json!({"officialAccountID": "@TOA#_none"});
        for method in [
            "subscribeOfficialAccount",
            "unsubscribeOfficialAccount",
            "setOfficialAccountMsgFlag",
        ] {
            assert_eq!(a1.err(method, json!({})).await, -32602, "{method}");
            assert_eq!(
                a1.err(method, json!({"officialAccountID": 7})).await,
                -32602,
                "{method}"
            );
            let mut p = none.clone();
            p["msgFlag"] = json!("Discard");
            assert_eq!(a1.err(method, p).await, 10010, "{method}");
        }
        assert_eq!(
            a1.err("setOfficialAccountMsgFlag", the.clone()).await,
            -32602
        );
        assert_eq!(
            a1.err("setOfficialAccountMsgFlag", flag("Loud")).await,
            10004
        );
        assert_eq!(
            b.err("setOfficialAccountMsgFlag", flag("Discard")).await,
            10004,
            "b does not subscribe"
        );
        assert_eq!(
            a1.err("getSubscribedOfficialAccountList", json!({"count": 0}))
                .await,
            10004
        );
        assert_eq!(
            a1.err("getSubscribedOfficialAccountList", json!({"count": "x"}))
                .await,
            -32602
        );
        b.ok("subscribeOfficialAccount", the.clone()).await;
        assert_eq!(c.err("subscribeOfficialAccount", the.clone()).await, 10014);
        let list = c.ok("getSubscribedOfficialAccountList", json!({})).await;
        assert_eq!(
            (&list["totalCount"], &list["officialAccountList"]),
            (&json!(0), &json!([]))
        );

        // Unsubscribing stops delivery at once; again changes nothing.
        let r = a1.ok("unsubscribeOfficialAccount", the.clone()).await;
        assert_eq!(r["wasSubscribed"], true);
        a2.expect("onOfficialAccountUnsubscribed").await;
        let r = a1.ok("unsubscribeOfficialAccount", the.clone()).await;
        assert_eq!(r["wasSubscribed"], false);
        broadcast(&admin, id, "gone", json!({})).await;
        let p = b.expect("onRecvNewMessage").await;
        assert_eq!(body_text(&p["message"]), "gone");
        marker(&admin, "a").await;
        a1.expect_marker().await;
        a2.expect_marker().await;
        // Room again: c subscribes now.
        c.ok("subscribeOfficialAccount", the.clone()).await;
        broadcast(&admin, id, "c too", json!({})).await;
        c.expect("onRecvNewMessage").await;
    }
    common::also_on_postgres!(members_manage_their_own_subscriptions);
}

/// Official messages follow the app's retention (7 days by default), as group messages do:
/// expired ones are never returned nor recalled, `IsFinished` 2 says that everything older
/// than the page expired, and the sweeper deletes them.
#[tokio::test]
async fn official_messages_expire_with_the_apps_retention() {
    let server = TestServer::start_with(ServerOptions {
        env: vec![("TIMBER_SWEEP_INTERVAL_SECS".into(), "1".into())],
        ..ServerOptions::default()
    })
    .await;
    let admin = server.client();
    import_accounts(&admin, &["owner"]).await;
    let id = "@TOA#_old";
    create_official(&admin, id, "Old").await;
    let mut times = Vec::new();
    for (random, t) in [(1, "one"), (2, "two"), (3, "three"), (4, "four")] {
        let sent = admin
            .call_ok(
                &oa("send_official_account_msg"),
                json!({"Official_Account": id, "Random": random, "MsgBody": text(t)}),
            )
            .await;
        times.push(sent["MsgTime"].as_i64().unwrap());
    }
    // Messages 1 and 2 are made a month old, beyond the retention.
    let age = "UPDATE official_messages SET time = time - 2592000 WHERE seq <= 2;";
    server.execute_sql(age, age).await;
    let history = |body: Value| {
        let admin = admin.clone();
        async move {
            let mut body = body;
            body["Official_Account"] = json!(id);
            admin
                .call_ok(&oa("official_account_msg_get_simple"), body)
                .await
        }
    };
    let seqs = common::history_seqs;
    let all = history(json!({"WithRecalledMsg": 1})).await;
    assert_eq!((seqs(&all), &all["IsFinished"]), (vec![4, 3], &json!(2)));
    let first = history(json!({"ReqMsgNumber": 1})).await;
    assert_eq!((seqs(&first), &first["IsFinished"]), (vec![4], &json!(0)));
    let rest = history(json!({"ReqMsgNumber": 1, "LastMsgKey": first["LastMsgKey"]})).await;
    assert_eq!((seqs(&rest), &rest["IsFinished"]), (vec![3], &json!(2)));
    let past = history(json!({"LastMsgKey": rest["LastMsgKey"]})).await;
    assert_eq!((seqs(&past), &past["IsFinished"]), (vec![], &json!(2)));

    // An expired message cannot be recalled (its key, with its time as it is now).
    let old_time = times[0] - 2_592_000;
    let r = admin
        .call_ok(
            &oa("official_account_msg_recall"),
            json!({"Official_Account": id, "MsgKeyList": [format!("1_1_{old_time}")]}),
        )
        .await;
    assert_eq!(r["RecallRetList"][0]["RetCode"], 10030);

    // The sweeper deletes the expired rows, and only them.
    let srv = &server;
    let official_rows = || async move {
        srv.stored_rows()
            .await
            .into_iter()
            .filter(|r| r.starts_with("official_messages: "))
            .count()
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while official_rows().await != 2 {
        assert!(
            std::time::Instant::now() < deadline,
            "the expired official messages were not swept:\n{}",
            server.log()
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let all = history(json!({"WithRecalledMsg": 1})).await;
    assert_eq!((seqs(&all), &all["IsFinished"]), (vec![4, 3], &json!(2)));
}
common::also_on_postgres!(official_messages_expire_with_the_apps_retention);
