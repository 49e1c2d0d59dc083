//! End-to-end: every `follow` command over HTTP — following, unfollowing, checks, the three
//! lists with their cursor, the counts, the limits and each error code; follow edges are
//! independent of friends and go with a deleted account. spec: relationships.md §17–§22.

mod common;

use common::{import_accounts, Client, TestServer};
use serde_json::{json, Value};

const ADD: &str = "follow/follow_add";
const DELETE: &str = "follow/follow_delete";
const CHECK: &str = "follow/follow_check";
const GET: &str = "follow/follow_get";
const INFO: &str = "follow/follow_get_info";

fn items(to: &[&str]) -> Value {
    Value::from(
        to.iter()
            .map(|t| json!({"To_Account": t}))
            .collect::<Vec<_>>(),
    )
}

fn codes(resp: &Value) -> Vec<(String, u64)> {
    resp["ResultItem"]
        .as_array()
        .unwrap_or_else(|| panic!("ResultItem in {resp}"))
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

async fn list(admin: &Client, user: &str, ty: u8) -> Vec<String> {
    let r = admin
        .call_ok(
            GET,
            json!({"From_Account": user, "FollowType": ty, "StartCursor": "", "WantNum": 100}),
        )
        .await;
    r["FollowItem"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["To_Account"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn follow_add_check_get_info_delete() {
    let server = TestServer::start().await;
    let admin = server.client();
    import_accounts(&admin, &["alice", "bob", "carol"]).await;
    admin
        .call_ok(
            "im_open_login_svc/account_import",
            json!({"UserID": "bob", "Nick": "Bob"}),
        )
        .await;
    let r = admin
        .call_ok(
            ADD,
            json!({"From_Account": "alice", "FollowItem": items(&["bob", "carol", "bob", "ghost", "alice"])}),
        )
        .await;
    assert_eq!(
        codes(&r),
        pairs(&[
            ("bob", 0),
            ("carol", 0),
            ("bob", 0),
            ("ghost", 30003),
            ("alice", 30001)
        ])
    );
    assert_eq!(r["ErrorDisplay"], "");
    admin
        .call_ok(
            ADD,
            json!({"From_Account": "bob", "FollowItem": items(&["alice"])}),
        )
        .await;
    let r = admin
        .call_ok(
            CHECK,
            json!({"From_Account": "alice", "To_Account": ["bob", "carol", "ghost"]}),
        )
        .await;
    let types: Vec<(u64, u64)> = r["ResultItem"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["FollowType"].as_u64().unwrap(),
                i["ResultCode"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(types, [(3, 0), (2, 0), (0, 30003)]);
    let r = admin
        .call_ok(
            CHECK,
            json!({"From_Account": "carol", "To_Account": ["alice"]}),
        )
        .await;
    assert_eq!(r["ResultItem"][0]["FollowType"], 1);
    assert_eq!(list(&admin, "alice", 2).await.len(), 2);
    assert_eq!(list(&admin, "alice", 1).await, ["bob"]);
    assert_eq!(list(&admin, "alice", 3).await, ["bob"]);
    assert_eq!(list(&admin, "carol", 1).await, ["alice"]);
    // Profile tags that are set come with each user.
    let r = admin
        .call_ok(
            GET,
            json!({"From_Account": "alice", "FollowType": 3, "StartCursor": ""}),
        )
        .await;
    assert_eq!(
        r["FollowItem"][0]["ProfileItem"],
        json!([{"Tag": "Tag_Profile_IM_Nick", "Value": "Bob"}])
    );
    assert!(r["FollowItem"][0]["FollowTime"].as_i64().unwrap() > 0);
    assert_eq!(r["NextCursor"], "");
    // Paging with the cursor.
    let r = admin
        .call_ok(
            GET,
            json!({"From_Account": "alice", "FollowType": 2, "StartCursor": "", "WantNum": 1}),
        )
        .await;
    assert_eq!(r["FollowItem"].as_array().unwrap().len(), 1);
    let cursor = r["NextCursor"].as_str().unwrap().to_owned();
    assert!(!cursor.is_empty());
    let r2 = admin
        .call_ok(
            GET,
            json!({"From_Account": "alice", "FollowType": 2, "StartCursor": cursor, "WantNum": 1}),
        )
        .await;
    assert_eq!(r2["NextCursor"], "");
    assert_ne!(
        r["FollowItem"][0]["To_Account"],
        r2["FollowItem"][0]["To_Account"]
    );
    let r = admin
        .call_ok(
            INFO,
            json!({"From_Account": "alice", "To_Account": ["alice", "ghost"]}),
        )
        .await;
    assert_eq!(
        r["FollowInfo"][0],
        json!({"To_Account": "alice", "FollowerCount": 1, "FollowingCount": 2,
               "MutualFollowingCount": 1, "ResultCode": 0, "ResultInfo": ""})
    );
    assert_eq!(r["FollowInfo"][1]["ResultCode"], 30003);
    assert_eq!(r["FollowInfo"][1]["FollowerCount"], 0);
    // Unfollowing: not following is 0 too.
    let r = admin
        .call_ok(
            DELETE,
            json!({"From_Account": "alice", "To_Account": ["bob", "bob", "ghost"]}),
        )
        .await;
    assert_eq!(
        codes(&r),
        pairs(&[("bob", 0), ("bob", 0), ("ghost", 30003)])
    );
    assert_eq!(list(&admin, "alice", 3).await, Vec::<String>::new());
    // Follows are not friendships.
    let r = admin
        .call_ok(
            "sns/friend_check",
            json!({"From_Account": "bob", "To_Account": ["alice"], "CheckType": "CheckResult_Type_Both"}),
        )
        .await;
    assert_eq!(r["InfoItem"][0]["Relation"], "CheckResult_Type_NoRelation");
    // A deleted account's edges go.
    admin
        .call_ok(
            "im_open_login_svc/account_delete",
            json!({"DeleteItem": [{"UserID": "carol"}]}),
        )
        .await;
    assert_eq!(list(&admin, "alice", 2).await, Vec::<String>::new());
}
common::also_on_postgres!(follow_add_check_get_info_delete);

#[tokio::test]
async fn follow_refusals() {
    let server = TestServer::start().await;
    let admin = server.client();
    import_accounts(&admin, &["alice", "bob"]).await;
    let many: Vec<String> = (0..21).map(|i| format!("u{i}")).collect();
    let cases: Vec<(&str, Value, u64)> = vec![
        (ADD, json!({"FollowItem": items(&["bob"])}), 30001),
        (
            ADD,
            json!({"From_Account": 1, "FollowItem": items(&["bob"])}),
            60015,
        ),
        (
            ADD,
            json!({"From_Account": "ghost", "FollowItem": items(&["bob"])}),
            30003,
        ),
        (
            ADD,
            json!({"From_Account": "alice", "FollowItem": []}),
            30001,
        ),
        (
            ADD,
            json!({"From_Account": "alice", "FollowItem": Value::from(many.iter().map(|u| json!({"To_Account": u})).collect::<Vec<_>>())}),
            30001,
        ),
        (DELETE, json!({"From_Account": "alice"}), 30001),
        (
            DELETE,
            json!({"From_Account": "alice", "To_Account": many}),
            30001,
        ),
        (
            CHECK,
            json!({"From_Account": "alice", "To_Account": vec!["bob"; 101]}),
            30001,
        ),
        (
            CHECK,
            json!({"From_Account": "ghost", "To_Account": ["bob"]}),
            30003,
        ),
        (
            GET,
            json!({"From_Account": "alice", "StartCursor": ""}),
            30001,
        ),
        (
            GET,
            json!({"From_Account": "alice", "FollowType": 4, "StartCursor": ""}),
            30001,
        ),
        (
            GET,
            json!({"From_Account": "alice", "FollowType": 1, "StartCursor": "x"}),
            30001,
        ),
        (
            GET,
            json!({"From_Account": "alice", "FollowType": 1, "StartCursor": "", "WantNum": 0}),
            30001,
        ),
        (
            GET,
            json!({"From_Account": "ghost", "FollowType": 1, "StartCursor": ""}),
            30003,
        ),
        (
            INFO,
            json!({"From_Account": "alice", "To_Account": vec!["bob"; 21]}),
            30001,
        ),
        (
            INFO,
            json!({"From_Account": "ghost", "To_Account": ["bob"]}),
            30003,
        ),
    ];
    for (path, body, want) in cases {
        let (code, info) = admin.call_err(path, body.clone()).await;
        assert_eq!(code, want, "{path} {body}: {info}");
    }
}

#[tokio::test]
async fn at_most_5000_followings() {
    let server = TestServer::start().await;
    let admin = server.client();
    let users: Vec<String> = (0..5001).map(|i| format!("u{i}")).collect();
    import_accounts(&admin, &users).await;
    import_accounts(&admin, &["fan"]).await;
    for chunk in users[..5000].chunks(20) {
        let to: Vec<&str> = chunk.iter().map(String::as_str).collect();
        let r = admin
            .call_ok(
                ADD,
                json!({"From_Account": "fan", "FollowItem": items(&to)}),
            )
            .await;
        assert!(codes(&r).iter().all(|(_, c)| *c == 0));
    }
    let r = admin
        .call_ok(
            ADD,
            json!({"From_Account": "fan", "FollowItem": items(&["u5000"])}),
        )
        .await;
    assert_eq!(codes(&r), pairs(&[("u5000", 30010)]));
    // Clamped to 1 000 a page.
    let r = admin
        .call_ok(
            GET,
            json!({"From_Account": "fan", "FollowType": 2, "StartCursor": "", "WantNum": 5000}),
        )
        .await;
    assert_eq!(r["FollowItem"].as_array().unwrap().len(), 1000);
    assert_eq!(r["NextCursor"], "1000");
}
