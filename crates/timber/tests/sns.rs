//! End-to-end: every `sns` command over HTTP against a real server — friends, friend lists,
//! blocklists, pending requests, paging and sequences, the limits and each documented
//! 30000-series code, account deletion and app isolation. spec: relationships.md §0–§16, §25.
//! AllowType / AdminForbidType are profile tags, set here through portrait_set; every
//! combination of them is covered by the store's conformance cases.

mod common;

use common::{import_accounts, Client, TestServer};
use serde_json::{json, Value};

const ADD: &str = "sns/friend_add";
const IMPORT: &str = "sns/friend_import";
const UPDATE: &str = "sns/friend_update";
const DELETE: &str = "sns/friend_delete";
const DELETE_ALL: &str = "sns/friend_delete_all";
const CHECK: &str = "sns/friend_check";
const GET: &str = "sns/friend_get";
const GET_LIST: &str = "sns/friend_get_list";
const GET_ALL: &str = "sns/friend_get_all";
const BLOCK: &str = "sns/black_list_add";
const UNBLOCK: &str = "sns/black_list_delete";
const BLOCK_GET: &str = "sns/black_list_get";
const BLOCK_CHECK: &str = "sns/black_list_check";
const LIST_ADD: &str = "sns/group_add";
const LIST_DELETE: &str = "sns/group_delete";
const LIST_GET: &str = "sns/group_get";

async fn start(users: &[&str]) -> (TestServer, Client) {
    let server = TestServer::start().await;
    let admin = server.client();
    import_accounts(&admin, users).await;
    (server, admin)
}

fn item(to: &str) -> Value {
    json!({"To_Account": to, "AddSource": "AddSource_Type_Web"})
}

/// The (To_Account, ResultCode) of each item of `key`.
fn codes(resp: &Value, key: &str) -> Vec<(String, u64)> {
    resp[key]
        .as_array()
        .unwrap_or_else(|| panic!("{key} in {resp}"))
        .iter()
        .map(|i| {
            (
                i["To_Account"].as_str().unwrap().to_owned(),
                i["ResultCode"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn pairs(list: &[(&str, u64)]) -> Vec<(String, u64)> {
    list.iter().map(|(a, c)| (a.to_string(), *c)).collect()
}

async fn relation(admin: &Client, from: &str, to: &str) -> String {
    let r = admin
        .call_ok(
            CHECK,
            json!({"From_Account": from, "To_Account": [to], "CheckType": "CheckResult_Type_Both"}),
        )
        .await;
    r["InfoItem"][0]["Relation"].as_str().unwrap().to_owned()
}

async fn friends_of(admin: &Client, user: &str) -> Vec<String> {
    let r = admin
        .call_ok(GET, json!({"From_Account": user, "StartIndex": 0}))
        .await;
    r["UserDataItem"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["To_Account"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn friend_add_verifies_blocks_and_forces() {
    let (_s, admin) = start(&["alice", "bob", "carol", "dave", "erin"]).await;
    // bob needs confirmation (the default): a two-way add is a pending request.
    let r = admin
        .call_ok(
            ADD,
            json!({"From_Account": "alice", "AddType": "Add_Type_Both",
                   "AddFriendItem": [item("bob"), item("nobody"), item("alice"),
                                     {"To_Account": "carol", "AddSource": "Web"}]}),
        )
        .await;
    assert_eq!(
        codes(&r, "ResultItem"),
        pairs(&[
            ("bob", 30539),
            ("nobody", 30003),
            ("alice", 30001),
            ("carol", 30001)
        ])
    );
    assert_eq!(
        r["Fail_Account"],
        json!(["bob", "nobody", "alice", "carol"])
    );
    assert_eq!(r["ErrorDisplay"], "");
    assert_eq!(
        relation(&admin, "alice", "bob").await,
        "CheckResult_Type_NoRelation"
    );
    // bob's reciprocal add completes alice's pending request: both entries exist.
    let r = admin
        .call_ok(
            ADD,
            json!({"From_Account": "bob", "AddFriendItem": [item("alice")]}),
        )
        .await;
    assert_eq!(codes(&r, "ResultItem"), pairs(&[("alice", 0)]));
    assert!(r.get("Fail_Account").is_none(), "{r}");
    assert_eq!(
        relation(&admin, "alice", "bob").await,
        "CheckResult_Type_BothWay"
    );
    // Adding again is 30001.
    let r = admin
        .call_ok(
            ADD,
            json!({"From_Account": "bob", "AddFriendItem": [item("alice")]}),
        )
        .await;
    assert_eq!(codes(&r, "ResultItem"), pairs(&[("alice", 30001)]));
    // One-way adds need no confirmation.
    let r = admin
        .call_ok(
            ADD,
            json!({"From_Account": "alice", "AddType": "Add_Type_Single",
                   "AddFriendItem": [{"To_Account": "carol", "AddSource": "AddSource_Type_Web",
                                      "Remark": "C", "GroupName": "school", "AddWording": "hi"}]}),
        )
        .await;
    assert_eq!(codes(&r, "ResultItem"), pairs(&[("carol", 0)]));
    assert_eq!(
        relation(&admin, "alice", "carol").await,
        "CheckResult_Type_AWithB"
    );
    assert_eq!(
        relation(&admin, "carol", "alice").await,
        "CheckResult_Type_BWithA"
    );
    // Forced two-way add: both entries at once.
    let r = admin
        .call_ok(
            ADD,
            json!({"From_Account": "alice", "ForceAddFlags": 1, "AddFriendItem": [item("dave")]}),
        )
        .await;
    assert_eq!(codes(&r, "ResultItem"), pairs(&[("dave", 0)]));
    assert_eq!(
        relation(&admin, "dave", "alice").await,
        "CheckResult_Type_BothWay"
    );
    // Blocklists refuse even a forced add: 30515 (target blocked by me), 30525 (I am blocked).
    admin
        .call_ok(
            BLOCK,
            json!({"From_Account": "erin", "To_Account": ["carol"]}),
        )
        .await;
    admin
        .call_ok(
            BLOCK,
            json!({"From_Account": "alice", "To_Account": ["erin"]}),
        )
        .await;
    let r = admin
        .call_ok(
            ADD,
            json!({"From_Account": "erin", "ForceAddFlags": 1,
                   "AddFriendItem": [item("carol"), item("alice")]}),
        )
        .await;
    assert_eq!(
        codes(&r, "ResultItem"),
        pairs(&[("carol", 30515), ("alice", 30525)])
    );
    // Field checks per item.
    let long = |n| "x".repeat(n);
    let r = admin
        .call_ok(
            ADD,
            json!({"From_Account": "carol", "AddType": "Add_Type_Single", "AddFriendItem": [
                {"To_Account": "bob", "AddSource": "AddSource_Type_Web", "Remark": long(97)},
                {"To_Account": "bob", "AddSource": "AddSource_Type_Web", "AddWording": long(257)},
                {"To_Account": "bob", "AddSource": "AddSource_Type_Web", "GroupName": long(31)},
                {"To_Account": "bob", "AddSource": "AddSource_Type_Web", "GroupName": ""},
                {"To_Account": "bob", "AddSource": "AddSource_Type_Abcdefghi"},
                {"To_Account": "bob"},
                {"To_Account": "bob", "AddSource": "AddSource_Type_Web", "Remark": long(96)}]}),
        )
        .await;
    assert_eq!(
        codes(&r, "ResultItem"),
        pairs(&[
            ("bob", 30001),
            ("bob", 30001),
            ("bob", 30001),
            ("bob", 30001),
            ("bob", 30001),
            ("bob", 30001),
            ("bob", 0)
        ])
    );
}

#[tokio::test]
async fn request_level_refusals() {
    let (_s, admin) = start(&["alice", "bob"]).await;
    let cases: Vec<(&str, Value, u64)> = vec![
        (ADD, json!({"AddFriendItem": [item("bob")]}), 30001),
        (
            ADD,
            json!({"From_Account": 5, "AddFriendItem": [item("bob")]}),
            60015,
        ),
        (
            ADD,
            json!({"From_Account": "ghost", "AddFriendItem": [item("bob")]}),
            30003,
        ),
        (ADD, json!({"From_Account": "alice"}), 30001),
        (
            ADD,
            json!({"From_Account": "alice", "AddFriendItem": []}),
            30001,
        ),
        (
            ADD,
            json!({"From_Account": "alice", "AddType": "Add_Type_Sideways", "AddFriendItem": [item("bob")]}),
            30001,
        ),
        (
            ADD,
            json!({"From_Account": "alice", "AddFriendItem": [{"To_Account": "bob", "AddSource": "AddSource_Type_Web", "GroupName": ["a"]}]}),
            30001,
        ),
        (
            ADD,
            json!({"From_Account": "alice", "AddFriendItem": vec![item("bob"); 1001]}),
            30001,
        ),
        (
            IMPORT,
            json!({"From_Account": "ghost", "AddFriendItem": [item("bob")]}),
            30003,
        ),
        (
            IMPORT,
            json!({"From_Account": "alice", "AddFriendItem": [{"To_Account": "bob", "AddSource": "AddSource_Type_Web", "GroupName": "a"}]}),
            30001,
        ),
        (UPDATE, json!({"From_Account": "alice"}), 30001),
        (DELETE, json!({"From_Account": "alice"}), 30001),
        (
            DELETE,
            json!({"From_Account": "alice", "To_Account": ["bob"], "DeleteType": "Delete_Type_None"}),
            30001,
        ),
        (
            DELETE,
            json!({"From_Account": "alice", "To_Account": vec!["bob"; 1001]}),
            30001,
        ),
        (DELETE_ALL, json!({"From_Account": "ghost"}), 30003),
        (DELETE_ALL, json!({}), 30001),
        (
            CHECK,
            json!({"From_Account": "alice", "To_Account": ["bob"]}),
            30001,
        ),
        (
            CHECK,
            json!({"From_Account": "alice", "To_Account": ["bob"], "CheckType": "CheckResult_Type_Maybe"}),
            30001,
        ),
        (
            CHECK,
            json!({"From_Account": "ghost", "To_Account": ["bob"], "CheckType": "CheckResult_Type_Both"}),
            30003,
        ),
        (GET, json!({"From_Account": "alice"}), 30001),
        (
            GET,
            json!({"From_Account": "alice", "StartIndex": -1}),
            30001,
        ),
        (
            GET,
            json!({"From_Account": "ghost", "StartIndex": 0}),
            30003,
        ),
        (
            GET_LIST,
            json!({"From_Account": "alice", "To_Account": vec!["bob"; 101]}),
            30001,
        ),
        (
            GET_LIST,
            json!({"From_Account": "alice", "To_Account": ["bob"], "TagList": ["Tag_Nope"]}),
            30001,
        ),
        (
            GET_ALL,
            json!({"From_Account": "ghost", "StartIndex": 0}),
            30003,
        ),
        (
            BLOCK,
            json!({"From_Account": "alice", "To_Account": []}),
            30001,
        ),
        (
            BLOCK,
            json!({"From_Account": "ghost", "To_Account": ["bob"]}),
            30003,
        ),
        (UNBLOCK, json!({"From_Account": "alice"}), 30001),
        (
            BLOCK_GET,
            json!({"From_Account": "alice", "StartIndex": 0, "MaxLimited": 0, "LastSequence": 0}),
            30001,
        ),
        (
            BLOCK_GET,
            json!({"From_Account": "alice", "StartIndex": 0}),
            30001,
        ),
        (
            BLOCK_CHECK,
            json!({"From_Account": "alice", "To_Account": ["bob"], "CheckType": "CheckResult_Type_Both"}),
            30001,
        ),
        (LIST_ADD, json!({"From_Account": "alice"}), 30001),
        (
            LIST_ADD,
            json!({"From_Account": "alice", "GroupName": [""]}),
            30001,
        ),
        (
            LIST_ADD,
            json!({"From_Account": "alice", "GroupName": ["x".repeat(31)]}),
            30001,
        ),
        (
            LIST_ADD,
            json!({"From_Account": "alice", "GroupName": vec!["g"; 33]}),
            30001,
        ),
        (
            LIST_DELETE,
            json!({"From_Account": "alice", "GroupName": ["never"]}),
            30001,
        ),
        (
            LIST_GET,
            json!({"From_Account": "alice", "GroupName": ["never"]}),
            30001,
        ),
        (
            LIST_GET,
            json!({"From_Account": "alice", "NeedFriend": "Yes"}),
            30001,
        ),
        (LIST_GET, json!({"From_Account": "ghost"}), 30003),
    ];
    for (path, body, want) in cases {
        let (code, info) = admin.call_err(path, body.clone()).await;
        assert_eq!(code, want, "{path} {body}: {info}");
        assert!(!info.is_empty());
    }
    // Nothing was stored by any of them.
    assert!(friends_of(&admin, "alice").await.is_empty());
}

#[tokio::test]
async fn import_update_get_and_sequences() {
    let (_s, admin) = start(&["alice", "bob", "carol", "dave"]).await;
    let r = admin
        .call_ok(
            IMPORT,
            json!({"From_Account": "alice", "AddFriendItem": [
                {"To_Account": "dave", "AddSource": "AddSource_Type_Import", "GroupName": ["work", "chess"],
                 "AddTime": 1690000000, "Remark": "D", "RemarkTime": 1690000001,
                 "CustomItem": [{"Tag": "Tag_SNS_Custom_Since", "Value": "2019"}, {"Tag": "Tag_SNS_Custom_Lvl", "Value": 7}]},
                {"To_Account": "bob", "AddSource": "AddSource_Type_Import", "AddTime": 1690000002},
                {"To_Account": "bob", "AddSource": "AddSource_Type_Import"},
                {"To_Account": "carol", "AddSource": "AddSource_Type_Import",
                 "CustomItem": [{"Tag": "Tag_SNS_1300000000_X", "Value": "v"}]}]}),
        )
        .await;
    assert_eq!(
        codes(&r, "ResultItem"),
        pairs(&[("dave", 0), ("bob", 0), ("bob", 30001), ("carol", 30001)])
    );
    // Import is one-way.
    assert_eq!(
        relation(&admin, "alice", "dave").await,
        "CheckResult_Type_AWithB"
    );
    let page = admin
        .call_ok(GET, json!({"From_Account": "alice", "StartIndex": 0}))
        .await;
    assert_eq!(page["FriendNum"], 2);
    assert_eq!(page["CompleteFlag"], 1);
    assert_eq!(page["NextStartIndex"], 0);
    assert_eq!(page["UserDataItem"][0]["To_Account"], "dave");
    assert_eq!(
        page["UserDataItem"][0]["ValueItem"],
        json!([
            {"Tag": "Tag_SNS_IM_AddSource", "Value": "AddSource_Type_Import"},
            {"Tag": "Tag_SNS_IM_Remark", "Value": "D"},
            {"Tag": "Tag_SNS_IM_Group", "Value": ["work", "chess"]},
            {"Tag": "Tag_SNS_IM_AddTime", "Value": 1690000000},
            {"Tag": "Tag_SNS_Custom_Lvl", "Value": 7},
            {"Tag": "Tag_SNS_Custom_Since", "Value": "2019"}
        ])
    );
    let (std_seq, custom_seq) = (
        page["StandardSequence"].as_u64().unwrap(),
        page["CustomSequence"].as_u64().unwrap(),
    );
    assert!(std_seq > 0 && custom_seq > 0);
    // The same sequences leave their fields out.
    let same = admin
        .call_ok(
            GET,
            json!({"From_Account": "alice", "StartIndex": 0, "StandardSequence": std_seq, "CustomSequence": custom_seq}),
        )
        .await;
    assert_eq!(same["UserDataItem"][0]["ValueItem"], json!([]));
    assert_eq!(same["FriendNum"], 2);
    // Update: remark, lists (replaced, new ones created), custom; per-item errors.
    let r = admin
        .call_ok(
            UPDATE,
            json!({"From_Account": "alice", "UpdateItem": [
                {"To_Account": "bob", "SnsItem": [
                    {"Tag": "Tag_SNS_IM_Remark", "Value": "Bob (gym)"},
                    {"Tag": "Tag_SNS_IM_Group", "Value": ["school", "gym"]},
                    {"Tag": "Tag_SNS_Custom_Lvl", "Value": 3}]},
                {"To_Account": "carol", "SnsItem": [{"Tag": "Tag_SNS_IM_Remark", "Value": "c"}]},
                {"To_Account": "ghost", "SnsItem": [{"Tag": "Tag_SNS_IM_Remark", "Value": "g"}]},
                {"To_Account": "dave", "SnsItem": [{"Tag": "Tag_SNS_IM_AddSource", "Value": "x"}]},
                {"To_Account": "dave", "SnsItem": [{"Tag": "Tag_SNS_IM_Remark", "Value": 5}]},
                {"To_Account": "dave", "SnsItem": [{"Tag": "Tag_SNS_IM_Remark", "Value": "x".repeat(97)}]},
                {"To_Account": "dave", "SnsItem": [{"Tag": "Tag_SNS_IM_Remark", "Value": ""},
                                                    {"Tag": "Tag_SNS_Custom_Since", "Value": ""}]}]}),
        )
        .await;
    assert_eq!(
        codes(&r, "ResultItem"),
        pairs(&[
            ("bob", 0),
            ("carol", 30001),
            ("ghost", 30003),
            ("dave", 30001),
            ("dave", 30001),
            ("dave", 30001),
            ("dave", 0)
        ])
    );
    let page = admin
        .call_ok(
            GET,
            json!({"From_Account": "alice", "StartIndex": 0, "StandardSequence": std_seq}),
        )
        .await;
    assert!(page["StandardSequence"].as_u64().unwrap() > std_seq);
    assert_eq!(
        page["UserDataItem"][1]["ValueItem"],
        json!([
            {"Tag": "Tag_SNS_IM_AddSource", "Value": "AddSource_Type_Import"},
            {"Tag": "Tag_SNS_IM_Remark", "Value": "Bob (gym)"},
            {"Tag": "Tag_SNS_IM_Group", "Value": ["school", "gym"]},
            {"Tag": "Tag_SNS_IM_AddTime", "Value": 1690000002},
            {"Tag": "Tag_SNS_Custom_Lvl", "Value": 3}
        ])
    );
    assert_eq!(
        page["UserDataItem"][0]["ValueItem"],
        json!([
            {"Tag": "Tag_SNS_IM_AddSource", "Value": "AddSource_Type_Import"},
            {"Tag": "Tag_SNS_IM_Group", "Value": ["work", "chess"]},
            {"Tag": "Tag_SNS_IM_AddTime", "Value": 1690000000},
            {"Tag": "Tag_SNS_Custom_Lvl", "Value": 7}
        ])
    );
    // friend_get_list: named tags in order, profile tags with defaults, 31211 for non-friends.
    let r = admin
        .call_ok(
            GET_LIST,
            json!({"From_Account": "alice", "To_Account": ["bob", "carol"],
                   "TagList": ["Tag_Profile_IM_Nick", "Tag_SNS_IM_Remark", "Tag_Profile_IM_AllowType", "Tag_SNS_Custom_Nope"]}),
        )
        .await;
    assert_eq!(
        r["InfoItem"][0],
        json!({"To_Account": "bob", "SnsProfileItem": [
            {"Tag": "Tag_Profile_IM_Nick", "Value": ""},
            {"Tag": "Tag_SNS_IM_Remark", "Value": "Bob (gym)"},
            {"Tag": "Tag_Profile_IM_AllowType", "Value": "AllowType_Type_NeedConfirm"}],
            "ResultCode": 0, "ResultInfo": ""})
    );
    assert_eq!(
        r["InfoItem"][1],
        json!({"To_Account": "carol", "ResultCode": 31211, "ResultInfo": "SNS_FRD_GET_LIST_FRD_NO_EXIST"})
    );
    assert_eq!(r["Fail_Account"], json!(["carol"]));
    // The legacy friend_get_all.
    let r = admin
        .call_ok(
            GET_ALL,
            json!({"From_Account": "alice", "StartIndex": 0, "GetCount": 1}),
        )
        .await;
    assert_eq!(r["NeedUpdateAll"], "GetAll_Type_YES");
    assert_eq!(r["StartIndex"], 1);
    assert_eq!(r["FriendNum"], 2);
    assert_eq!(r["InfoItem"][0]["Info_Account"], "dave");
    assert!(r["TimeStampNow"].as_i64().unwrap() > 0);
}

#[tokio::test]
async fn delete_check_and_delete_all() {
    let (_s, admin) = start(&["alice", "bob", "carol", "dave", "erin"]).await;
    for to in ["bob", "carol", "dave"] {
        admin
            .call_ok(
                ADD,
                json!({"From_Account": "alice", "ForceAddFlags": 1, "AddFriendItem": [item(to)]}),
            )
            .await;
    }
    let r = admin
        .call_ok(
            CHECK,
            json!({"From_Account": "alice", "To_Account": ["bob", "erin", "ghost", "alice"],
                   "CheckType": "CheckResult_Type_Single"}),
        )
        .await;
    let rel: Vec<&str> = r["InfoItem"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["Relation"].as_str().unwrap())
        .collect();
    assert_eq!(
        rel,
        [
            "CheckResult_Type_AWithB",
            "CheckResult_Type_NoRelation",
            "CheckResult_Type_NoRelation",
            "CheckResult_Type_NoRelation"
        ]
    );
    assert_eq!(
        codes(&r, "InfoItem"),
        pairs(&[("bob", 0), ("erin", 0), ("ghost", 0), ("alice", 30001)])
    );
    // Single delete (the default) leaves bob → alice.
    let r = admin
        .call_ok(
            DELETE,
            json!({"From_Account": "alice", "To_Account": ["bob", "erin", "ghost"]}),
        )
        .await;
    assert_eq!(
        codes(&r, "ResultItem"),
        pairs(&[("bob", 0), ("erin", 30001), ("ghost", 30003)])
    );
    assert_eq!(
        relation(&admin, "alice", "bob").await,
        "CheckResult_Type_BWithA"
    );
    let r = admin
        .call_ok(
            DELETE,
            json!({"From_Account": "alice", "To_Account": ["carol"], "DeleteType": "Delete_Type_Both"}),
        )
        .await;
    assert_eq!(codes(&r, "ResultItem"), pairs(&[("carol", 0)]));
    assert_eq!(
        relation(&admin, "alice", "carol").await,
        "CheckResult_Type_NoRelation"
    );
    // delete_all both: dave loses alice too; an empty table succeeds.
    let r = admin
        .call_ok(
            DELETE_ALL,
            json!({"From_Account": "alice", "DeleteType": "Delete_Type_Both"}),
        )
        .await;
    assert_eq!(r["ErrorDisplay"], "");
    assert!(friends_of(&admin, "alice").await.is_empty());
    assert!(friends_of(&admin, "dave").await.is_empty());
    assert_eq!(friends_of(&admin, "bob").await, ["alice"]);
    admin
        .call_ok(DELETE_ALL, json!({"From_Account": "alice"}))
        .await;
}

#[tokio::test]
async fn blocklist_add_get_check_delete() {
    let (_s, admin) = start(&["alice", "bob", "carol", "mallory"]).await;
    admin
        .call_ok(
            ADD,
            json!({"From_Account": "alice", "ForceAddFlags": 1, "AddFriendItem": [item("bob")]}),
        )
        .await;
    // A pending request alice ⇒ carol goes when alice blocks carol.
    admin
        .call_ok(
            ADD,
            json!({"From_Account": "alice", "AddFriendItem": [item("carol")]}),
        )
        .await;
    let r = admin
        .call_ok(
            BLOCK,
            json!({"From_Account": "alice", "To_Account": ["bob", "mallory", "ghost", "alice"]}),
        )
        .await;
    assert_eq!(
        codes(&r, "ResultItem"),
        pairs(&[
            ("bob", 0),
            ("mallory", 0),
            ("ghost", 30003),
            ("alice", 30001)
        ])
    );
    // Blocking removed the friendship both ways.
    assert_eq!(
        relation(&admin, "alice", "bob").await,
        "CheckResult_Type_NoRelation"
    );
    let r = admin
        .call_ok(
            BLOCK,
            json!({"From_Account": "alice", "To_Account": ["bob"]}),
        )
        .await;
    assert_eq!(r["ResultItem"][0]["ResultCode"], 30001);
    assert_eq!(
        r["ResultItem"][0]["ResultInfo"],
        "Err_SNS_BlackListAdd_Already_Exist"
    );
    admin
        .call_ok(
            BLOCK,
            json!({"From_Account": "bob", "To_Account": ["alice"]}),
        )
        .await;
    let page = admin
        .call_ok(
            BLOCK_GET,
            json!({"From_Account": "alice", "StartIndex": 0, "MaxLimited": 1, "LastSequence": 0}),
        )
        .await;
    assert_eq!(page["BlackListItem"].as_array().unwrap().len(), 1);
    assert_eq!(page["StartIndex"], 1);
    let seq = page["CurruentSequence"].as_u64().unwrap();
    assert_eq!(seq, 2);
    let page = admin
        .call_ok(BLOCK_GET, json!({"From_Account": "alice", "StartIndex": 1, "MaxLimited": 5000, "LastSequence": seq}))
        .await;
    assert_eq!(page["BlackListItem"].as_array().unwrap().len(), 1);
    assert_eq!(page["StartIndex"], 0);
    assert!(
        page["BlackListItem"][0]["AddBlackTimeStamp"]
            .as_i64()
            .unwrap()
            > 0
    );
    let r = admin
        .call_ok(
            BLOCK_CHECK,
            json!({"From_Account": "alice", "To_Account": ["bob", "mallory", "carol"],
                   "CheckType": "BlackCheckResult_Type_Both"}),
        )
        .await;
    let rel: Vec<&str> = r["BlackListCheckItem"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["Relation"].as_str().unwrap())
        .collect();
    assert_eq!(
        rel,
        [
            "BlackCheckResult_Type_BothWay",
            "BlackCheckResult_Type_AWithB",
            "BlackCheckResult_Type_NO"
        ]
    );
    let r = admin
        .call_ok(
            UNBLOCK,
            json!({"From_Account": "alice", "To_Account": ["mallory", "carol"]}),
        )
        .await;
    assert_eq!(
        codes(&r, "ResultItem"),
        pairs(&[("mallory", 0), ("carol", 30001)])
    );
    // Unblocking restores nothing; carol can be asked again (the old request went).
    let r = admin
        .call_ok(
            ADD,
            json!({"From_Account": "alice", "AddFriendItem": [item("carol")]}),
        )
        .await;
    assert_eq!(codes(&r, "ResultItem"), pairs(&[("carol", 30539)]));
}

#[tokio::test]
async fn friend_lists() {
    let (_s, admin) = start(&["alice", "bob", "zoe"]).await;
    admin
        .call_ok(ADD, json!({"From_Account": "alice", "ForceAddFlags": 1,
            "AddFriendItem": [{"To_Account": "bob", "AddSource": "AddSource_Type_Web", "GroupName": "school"}]}))
        .await;
    let r = admin
        .call_ok(LIST_ADD, json!({"From_Account": "alice", "GroupName": ["gym", "gym"], "To_Account": ["bob", "zoe"]}))
        .await;
    assert_eq!(
        codes(&r, "ResultItem"),
        pairs(&[("bob", 0), ("zoe", 32216)])
    );
    assert_eq!(
        r["ResultItem"][1]["ResultInfo"],
        "Err_SNS_GroupAdd_ToTinyId_Not_Friend"
    );
    assert_eq!(r["Fail_Account"], json!(["zoe"]));
    let seq = r["CurrentSequence"].as_u64().unwrap();
    assert!(seq >= 3, "{r}");
    let (code, _) = admin
        .call_err(
            LIST_ADD,
            json!({"From_Account": "alice", "GroupName": ["gym"]}),
        )
        .await;
    assert_eq!(code, 30001);
    let r = admin
        .call_ok(
            LIST_GET,
            json!({"From_Account": "alice", "NeedFriend": "Need_Friend_Type_Yes"}),
        )
        .await;
    assert_eq!(
        r["ResultItem"],
        json!([{"GroupName": "school", "FriendNumber": 1, "To_Account": ["bob"]},
               {"GroupName": "gym", "FriendNumber": 1, "To_Account": ["bob"]}])
    );
    assert_eq!(r["CurrentSequence"], seq);
    let r = admin
        .call_ok(LIST_GET, json!({"From_Account": "alice"}))
        .await;
    assert_eq!(
        r["ResultItem"],
        json!([{"GroupName": "school", "FriendNumber": 1}, {"GroupName": "gym", "FriendNumber": 1}])
    );
    let r = admin
        .call_ok(
            LIST_DELETE,
            json!({"From_Account": "alice", "GroupName": ["school"]}),
        )
        .await;
    assert!(r["CurrentSequence"].as_u64().unwrap() > seq);
    let r = admin
        .call_ok(
            LIST_GET,
            json!({"From_Account": "alice", "GroupName": ["gym"]}),
        )
        .await;
    assert_eq!(
        r["ResultItem"],
        json!([{"GroupName": "gym", "FriendNumber": 1, "To_Account": ["bob"]}])
    );
    // bob stays a friend, now only in gym.
    let page = admin
        .call_ok(GET, json!({"From_Account": "alice", "StartIndex": 0}))
        .await;
    assert_eq!(
        page["UserDataItem"][0]["ValueItem"][1],
        json!({"Tag": "Tag_SNS_IM_Group", "Value": ["gym"]})
    );
    // 32 lists at most (30011), for group_add and for implicit creation.
    let names: Vec<String> = (0..31).map(|i| format!("l{i}")).collect();
    admin
        .call_ok(
            LIST_ADD,
            json!({"From_Account": "alice", "GroupName": names}),
        )
        .await;
    let (code, _) = admin
        .call_err(
            LIST_ADD,
            json!({"From_Account": "alice", "GroupName": ["extra"]}),
        )
        .await;
    assert_eq!(code, 30011);
    let r = admin
        .call_ok(UPDATE, json!({"From_Account": "alice", "UpdateItem": [
            {"To_Account": "bob", "SnsItem": [{"Tag": "Tag_SNS_IM_Group", "Value": ["one-too-many"]}]}]}))
        .await;
    assert_eq!(codes(&r, "ResultItem"), pairs(&[("bob", 30011)]));
}

#[tokio::test]
async fn friend_and_pending_limits() {
    let users: Vec<String> = (0..3001).map(|i| format!("u{i}")).collect();
    let mut all: Vec<&str> = users.iter().map(String::as_str).collect();
    all.extend(["alice", "bob"]);
    let (_s, admin) = start(&all).await;
    // alice imports 3 000 friends in three batches; the 3 001st is 30010.
    for chunk in users[..3000].chunks(1000) {
        let items: Vec<Value> = chunk.iter().map(|u| item(u)).collect();
        let r = admin
            .call_ok(
                IMPORT,
                json!({"From_Account": "alice", "AddFriendItem": items}),
            )
            .await;
        assert!(r.get("Fail_Account").is_none());
    }
    let r = admin
        .call_ok(
            IMPORT,
            json!({"From_Account": "alice", "AddFriendItem": [item("u3000")]}),
        )
        .await;
    assert_eq!(codes(&r, "ResultItem"), pairs(&[("u3000", 30010)]));
    // bob's two-way forced add to alice: alice's table is full, 30014.
    let r = admin
        .call_ok(
            ADD,
            json!({"From_Account": "bob", "ForceAddFlags": 1, "AddFriendItem": [item("alice")]}),
        )
        .await;
    assert_eq!(codes(&r, "ResultItem"), pairs(&[("alice", 30014)]));
    // Paging: 100 a page, in AddTime then UserID order, to the end.
    let mut seen = 0;
    let mut start = 0;
    loop {
        let page = admin
            .call_ok(GET, json!({"From_Account": "alice", "StartIndex": start}))
            .await;
        assert_eq!(page["FriendNum"], 3000);
        seen += page["UserDataItem"].as_array().unwrap().len();
        start = page["NextStartIndex"].as_u64().unwrap();
        if page["CompleteFlag"] == 1 {
            assert_eq!(start, 0);
            break;
        }
    }
    assert_eq!(seen, 3000);
    // 100 pending requests to bob; the 101st is 30012.
    for u in &users[..100] {
        let r = admin
            .call_ok(
                ADD,
                json!({"From_Account": u, "AddFriendItem": [item("bob")]}),
            )
            .await;
        assert_eq!(codes(&r, "ResultItem"), pairs(&[("bob", 30539)]));
    }
    let r = admin
        .call_ok(
            ADD,
            json!({"From_Account": "u100", "AddFriendItem": [item("bob")]}),
        )
        .await;
    assert_eq!(codes(&r, "ResultItem"), pairs(&[("bob", 30012)]));
    // 1 000 blocked; the 1 001st is 30013.
    let items: Vec<&str> = users[..1000].iter().map(String::as_str).collect();
    let r = admin
        .call_ok(BLOCK, json!({"From_Account": "bob", "To_Account": items}))
        .await;
    assert!(r.get("Fail_Account").is_none());
    let r = admin
        .call_ok(
            BLOCK,
            json!({"From_Account": "bob", "To_Account": ["u1000"]}),
        )
        .await;
    assert_eq!(codes(&r, "ResultItem"), pairs(&[("u1000", 30013)]));
}

#[tokio::test]
async fn account_delete_removes_every_edge_and_apps_are_apart() {
    let server = TestServer::start_with(common::ServerOptions {
        apps: vec![common::TestApp::random(), common::TestApp::random()],
        ..Default::default()
    })
    .await;
    let admin = server.client();
    import_accounts(&admin, &["alice", "bob", "carol"]).await;
    for to in ["bob", "carol"] {
        admin
            .call_ok(ADD, json!({"From_Account": "alice", "ForceAddFlags": 1,
                "AddFriendItem": [{"To_Account": to, "AddSource": "AddSource_Type_Web", "GroupName": "g"}]}))
            .await;
    }
    admin
        .call_ok(
            BLOCK,
            json!({"From_Account": "carol", "To_Account": ["bob"]}),
        )
        .await;
    admin
        .call_ok(
            "im_open_login_svc/account_delete",
            json!({"DeleteItem": [{"UserID": "bob"}]}),
        )
        .await;
    assert_eq!(friends_of(&admin, "alice").await, ["carol"]);
    let r = admin
        .call_ok(
            BLOCK_GET,
            json!({"From_Account": "carol", "StartIndex": 0, "MaxLimited": 10, "LastSequence": 0}),
        )
        .await;
    assert_eq!(r["BlackListItem"], json!([]));
    let r = admin
        .call_ok(
            LIST_GET,
            json!({"From_Account": "alice", "NeedFriend": "Need_Friend_Type_Yes"}),
        )
        .await;
    assert_eq!(
        r["ResultItem"],
        json!([{"GroupName": "g", "FriendNumber": 1, "To_Account": ["carol"]}])
    );
    // Re-imported, bob starts with no relationships.
    import_accounts(&admin, &["bob"]).await;
    assert!(friends_of(&admin, "bob").await.is_empty());
    assert_eq!(
        relation(&admin, "alice", "bob").await,
        "CheckResult_Type_NoRelation"
    );
    // The second app sees nothing of the first.
    let other = server.client_for(1, &server.apps[1].admin);
    import_accounts(&other, &["alice"]).await;
    assert!(friends_of(&other, "alice").await.is_empty());
}
common::also_on_postgres!(account_delete_removes_every_edge_and_apps_are_apart);

/// friend_add reads AllowType and AdminForbidType where portrait_set wrote them.
#[tokio::test]
async fn friend_add_obeys_the_profile_tags_portrait_set_wrote() {
    let (_server, admin) = start(&["ann", "bob", "cat", "dan"]).await;
    let set = |user: &str, tag: &str, value: &str| json!({"From_Account": user, "ProfileItem": [{"Tag": tag, "Value": value}]});
    admin
        .call_ok(
            "profile/portrait_set",
            set("bob", "Tag_Profile_IM_AllowType", "AllowType_Type_DenyAny"),
        )
        .await;
    admin
        .call_ok(
            "profile/portrait_set",
            set(
                "cat",
                "Tag_Profile_IM_AllowType",
                "AllowType_Type_NeedConfirm",
            ),
        )
        .await;
    admin
        .call_ok(
            "profile/portrait_set",
            set(
                "dan",
                "Tag_Profile_IM_AdminForbidType",
                "AdminForbid_Type_SendOut",
            ),
        )
        .await;
    let r = admin
        .call(
            ADD,
            json!({"From_Account": "ann", "AddFriendItem": [item("bob"), item("cat")]}),
        )
        .await;
    assert_eq!(
        codes(&r, "ResultItem"),
        pairs(&[("bob", 30516), ("cat", 30539)]),
        "{r}"
    );
    let r = admin
        .call(
            ADD,
            json!({"From_Account": "dan", "AddFriendItem": [item("ann")]}),
        )
        .await;
    assert_eq!(codes(&r, "ResultItem"), pairs(&[("ann", 30009)]), "{r}");
    // The profile tags show through friend_get_list's TagList.
    admin
        .call_ok(
            IMPORT,
            json!({"From_Account": "ann", "AddFriendItem": [item("bob")]}),
        )
        .await;
    let r = admin
        .call_ok(
            GET_LIST,
            json!({"From_Account": "ann", "To_Account": ["bob"], "TagList": ["Tag_Profile_IM_AllowType"]}),
        )
        .await;
    let tags = r["InfoItem"][0]["SnsProfileItem"].to_string();
    assert!(tags.contains("AllowType_Type_DenyAny"), "{r}");
}
