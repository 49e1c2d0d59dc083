//! The emulator kit under `/_timber/`: reset, export, import, `--seed`, and fault injection.

mod common;

use common::TestServer;
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
