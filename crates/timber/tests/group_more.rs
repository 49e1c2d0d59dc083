//! `group_open_http_svc` over real HTTP, part 3: named members, custom attributes (with
//! get_group_attr under `group_open_attr_http_svc`), counters, member bans and AVChatRoom
//! broadcasts. spec: groups-more.md §2–§5, §7.7.

mod common;

use common::{import_accounts, next_msg_seq, text, Client, ServerOptions, TestApp, TestServer};
use serde_json::{json, Value};

const CREATE: &str = "group_open_http_svc/create_group";
const DESTROY: &str = "group_open_http_svc/destroy_group";
const ADD: &str = "group_open_http_svc/add_group_member";
const IMPORT_MEMBER: &str = "group_open_http_svc/import_group_member";
const ROLES: &str = "group_open_http_svc/get_role_in_group";
const HISTORY: &str = "group_open_http_svc/group_msg_get_simple";
const NAMED: &str = "group_open_http_svc/get_specified_group_member_info";
const GET_ATTR: &str = "group_open_attr_http_svc/get_group_attr";
const MODIFY_ATTR: &str = "group_open_http_svc/modify_group_attr";
const SET_ATTR: &str = "group_open_http_svc/set_group_attr";
const DELETE_ATTR: &str = "group_open_http_svc/delete_group_attr";
const CLEAR_ATTR: &str = "group_open_http_svc/clear_group_attr";
const GET_COUNTER: &str = "group_open_http_svc/get_group_counter";
const UPDATE_COUNTER: &str = "group_open_http_svc/update_group_counter";
const DELETE_COUNTER: &str = "group_open_http_svc/delete_group_counter";
const BAN: &str = "group_open_http_svc/ban_group_member";
const UNBAN: &str = "group_open_http_svc/unban_group_member";
const BANNED: &str = "group_open_http_svc/get_group_ban_member";
const BROADCAST: &str = "group_open_http_svc/send_broadcast_msg";

async fn create(c: &Client, ty: &str, id: &str, members: &[&str]) -> String {
    let mut body = json!({"Type": ty, "GroupId": id, "Name": "g", "Owner_Account": "owner"});
    if !members.is_empty() {
        let list: Vec<Value> = members
            .iter()
            .map(|m| json!({"Member_Account": m}))
            .collect();
        body["MemberList"] = json!(list);
    }
    c.call_ok(CREATE, body).await["GroupId"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn setup(server: &TestServer) -> Client {
    let c = server.client();
    import_accounts(&c, &["owner", "alice", "bob", "carol", "dave"]).await;
    create(&c, "Public", "pub", &["alice", "bob", "carol"]).await;
    create(&c, "AVChatRoom", "live", &[]).await;
    create(&c, "Community", "@TGS#_com", &["alice"]).await;
    create(&c, "Private", "work", &["alice"]).await;
    c
}

async fn code(c: &Client, path: &str, body: Value) -> u64 {
    c.call_err(path, body).await.0
}

async fn attrs(c: &Client, id: &str) -> Value {
    c.call_ok(GET_ATTR, json!({"GroupId": id})).await["GroupAttrAry"].clone()
}

#[tokio::test]
async fn named_members_in_request_order_with_filters_and_errors() {
    let server = TestServer::start().await;
    let c = setup(&server).await;
    c.call_ok(
        "group_open_http_svc/modify_group_member_info",
        json!({"GroupId": "pub", "Member_Account": "bob", "Role": "Admin",
               "AppMemberDefinedData": []}),
    )
    .await;
    let resp = c
        .call_ok(
            NAMED,
            json!({"GroupId": "pub", "Member_List_Account": ["bob", "zed", "dave", "owner", "bob"],
                   "MemberInfoFilter": ["Role"]}),
        )
        .await;
    assert_eq!(
        resp["MemberList"],
        json!([{"Member_Account": "bob", "Role": "Admin"},
               {"Member_Account": "owner", "Role": "Owner"}])
    );
    assert!(resp.get("GroupId").is_none());
    // Role filter; no field filter = every field.
    let resp = c
        .call_ok(
            NAMED,
            json!({"GroupId": "pub", "Member_List_Account": ["alice", "bob", "owner"],
                   "MemberRoleFilter": ["Member"]}),
        )
        .await;
    let list = resp["MemberList"].as_array().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["Member_Account"], "alice");
    for field in [
        "Role",
        "JoinTime",
        "MsgSeq",
        "MsgFlag",
        "LastSendMsgTime",
        "MuteUntil",
        "NameCard",
    ] {
        assert!(list[0].get(field).is_some(), "{field} in {}", list[0]);
    }
    // Community and Work groups too.
    let resp = c
        .call_ok(
            NAMED,
            json!({"GroupId": "@TGS#_com", "Member_List_Account": ["alice"]}),
        )
        .await;
    assert_eq!(resp["MemberList"][0]["Member_Account"], "alice");
    // Errors.
    let many: Vec<String> = (0..51).map(|i| format!("u{i}")).collect();
    assert_eq!(
        code(
            &c,
            NAMED,
            json!({"GroupId": "pub", "Member_List_Account": many})
        )
        .await,
        10005
    );
    assert_eq!(
        code(
            &c,
            NAMED,
            json!({"GroupId": "live", "Member_List_Account": ["alice"]})
        )
        .await,
        10007
    );
    assert_eq!(
        code(
            &c,
            NAMED,
            json!({"GroupId": "nope", "Member_List_Account": ["alice"]})
        )
        .await,
        10010
    );
    assert_eq!(
        code(
            &c,
            NAMED,
            json!({"GroupId": "bad\u{1}id", "Member_List_Account": ["alice"]})
        )
        .await,
        10015
    );
    assert_eq!(code(&c, NAMED, json!({"GroupId": "pub"})).await, 10004);
    assert_eq!(
        code(
            &c,
            NAMED,
            json!({"GroupId": "pub", "Member_List_Account": []})
        )
        .await,
        10004
    );
    assert_eq!(
        code(
            &c,
            NAMED,
            json!({"GroupId": "pub", "Member_List_Account": ["a"], "MemberRoleFilter": ["Boss"]})
        )
        .await,
        10004
    );
}
common::also_on_postgres!(named_members_in_request_order_with_filters_and_errors);

#[tokio::test]
async fn attributes_modify_set_delete_clear_and_limits() {
    let server = TestServer::start().await;
    let c = setup(&server).await;
    assert_eq!(attrs(&c, "live").await, json!([]));
    c.call_ok(
        MODIFY_ATTR,
        json!({"GroupId": "live", "GroupAttr": [{"key": "seat2", "value": "bob"},
               {"key": "seat1", "value": "x"}, {"key": "seat1", "value": "alice"}]}),
    )
    .await;
    assert_eq!(
        attrs(&c, "live").await,
        json!([{"key": "seat1", "value": "alice"}, {"key": "seat2", "value": "bob"}])
    );
    c.call_ok(
        MODIFY_ATTR,
        json!({"GroupId": "live", "GroupAttr": [{"key": "seat3", "value": ""}]}),
    )
    .await;
    assert_eq!(attrs(&c, "live").await.as_array().unwrap().len(), 3);
    c.call_ok(
        DELETE_ATTR,
        json!({"GroupId": "live", "GroupAttr": [{"key": "seat2", "value": "ignored"}]}),
    )
    .await;
    assert_eq!(
        attrs(&c, "live").await,
        json!([{"key": "seat1", "value": "alice"}, {"key": "seat3", "value": ""}])
    );
    // A key that is not set: the whole delete fails.
    assert_eq!(
        code(
            &c,
            DELETE_ATTR,
            json!({"GroupId": "live", "GroupAttr": [{"key": "seat1"}, {"key": "nope"}]})
        )
        .await,
        10050
    );
    assert_eq!(attrs(&c, "live").await.as_array().unwrap().len(), 2);
    c.call_ok(
        SET_ATTR,
        json!({"GroupId": "live", "GroupAttr": [{"key": "only", "value": "1"}]}),
    )
    .await;
    assert_eq!(
        attrs(&c, "live").await,
        json!([{"key": "only", "value": "1"}])
    );
    c.call_ok(CLEAR_ATTR, json!({"GroupId": "live"})).await;
    assert_eq!(attrs(&c, "live").await, json!([]));
    c.call_ok(CLEAR_ATTR, json!({"GroupId": "live"})).await;
    c.call_ok(
        SET_ATTR,
        json!({"GroupId": "live", "GroupAttr": [{"key": "a", "value": "1"}]}),
    )
    .await;
    c.call_ok(SET_ATTR, json!({"GroupId": "live", "GroupAttr": []}))
        .await;
    assert_eq!(attrs(&c, "live").await, json!([]));

    // Limits: 16 keys (checked on the result), key 32 bytes, value 4,000, total 16,000.
    let sixteen: Vec<Value> = (0..16)
        .map(|i| json!({"key": format!("k{i:02}"), "value": "v"}))
        .collect();
    c.call_ok(SET_ATTR, json!({"GroupId": "pub", "GroupAttr": sixteen}))
        .await;
    assert_eq!(
        code(
            &c,
            MODIFY_ATTR,
            json!({"GroupId": "pub", "GroupAttr": [{"key": "new", "value": "v"}]})
        )
        .await,
        10047
    );
    c.call_ok(
        MODIFY_ATTR,
        json!({"GroupId": "pub", "GroupAttr": [{"key": "k00", "value": "w"}]}),
    )
    .await;
    let seventeen: Vec<Value> = (0..17)
        .map(|i| json!({"key": format!("k{i:02}"), "value": "v"}))
        .collect();
    assert_eq!(
        code(
            &c,
            SET_ATTR,
            json!({"GroupId": "pub", "GroupAttr": seventeen})
        )
        .await,
        10047
    );
    let key33 = "k".repeat(33);
    assert_eq!(
        code(
            &c,
            MODIFY_ATTR,
            json!({"GroupId": "work", "GroupAttr": [{"key": key33, "value": "v"}]})
        )
        .await,
        10045
    );
    assert_eq!(
        code(
            &c,
            MODIFY_ATTR,
            json!({"GroupId": "work", "GroupAttr": [{"key": "k", "value": "v".repeat(4001)}]})
        )
        .await,
        10046
    );
    let big: Vec<Value> = (0..5)
        .map(|i| json!({"key": format!("b{i}"), "value": "v".repeat(3500)}))
        .collect();
    assert_eq!(
        code(&c, SET_ATTR, json!({"GroupId": "work", "GroupAttr": big})).await,
        10048
    );
    let four: Vec<Value> = (0..4)
        .map(|i| json!({"key": format!("b{i}"), "value": "v".repeat(4000)}))
        .collect();
    c.call_ok(SET_ATTR, json!({"GroupId": "work", "GroupAttr": four}))
        .await;
    assert_eq!(
        code(
            &c,
            MODIFY_ATTR,
            json!({"GroupId": "work", "GroupAttr": [{"key": "x", "value": "1"}]})
        )
        .await,
        10048
    );
    // Every type, Community included.
    c.call_ok(
        MODIFY_ATTR,
        json!({"GroupId": "@TGS#_com", "GroupAttr": [{"key": "a", "value": "1"}]}),
    )
    .await;
    // Field errors.
    for path in [MODIFY_ATTR, SET_ATTR, DELETE_ATTR] {
        assert_eq!(
            code(&c, path, json!({"GroupId": "pub"})).await,
            10004,
            "{path}"
        );
        assert_eq!(
            code(
                &c,
                path,
                json!({"GroupId": "nope", "GroupAttr": [{"key": "k00", "value": "v"}]})
            )
            .await,
            10010
        );
        assert_eq!(
            code(&c, path, json!({"GroupAttr": [{"key": "k", "value": "v"}]})).await,
            10004
        );
        assert_eq!(
            code(&c, path, json!({"GroupId": "bad\u{1}id", "GroupAttr": []})).await,
            10015
        );
        assert_eq!(
            code(
                &c,
                path,
                json!({"GroupId": "pub", "GroupAttr": [{"key": "", "value": "v"}]})
            )
            .await,
            10004
        );
        assert_eq!(
            code(
                &c,
                path,
                json!({"GroupId": "pub", "GroupAttr": [{"value": "v"}]})
            )
            .await,
            10004
        );
    }
    assert_eq!(
        code(&c, MODIFY_ATTR, json!({"GroupId": "pub", "GroupAttr": []})).await,
        10004
    );
    assert_eq!(
        code(
            &c,
            MODIFY_ATTR,
            json!({"GroupId": "pub", "GroupAttr": [{"key": "k"}]})
        )
        .await,
        10004
    );
    assert_eq!(
        code(&c, CLEAR_ATTR, json!({"GroupId": "nope"})).await,
        10010
    );
    assert_eq!(code(&c, CLEAR_ATTR, json!({})).await, 10004);
    assert_eq!(code(&c, GET_ATTR, json!({"GroupId": "nope"})).await, 10010);
    assert_eq!(
        code(&c, GET_ATTR, json!({"GroupId": "bad\u{1}id"})).await,
        10015
    );
    assert_eq!(code(&c, GET_ATTR, json!({})).await, 10004);
    // The attribute service is of the group family: its unknown command is 10003, a
    // non-admin caller 10007.
    assert_eq!(
        code(&c, "group_open_attr_http_svc/nope", json!({})).await,
        10003
    );
    let user = server.client_for(0, "alice");
    assert_eq!(
        code(&user, GET_ATTR, json!({"GroupId": "pub"})).await,
        10007
    );
    // Attributes go with the group: a new group of the same ID has none.
    c.call_ok(DESTROY, json!({"GroupId": "work"})).await;
    create(&c, "Private", "work", &[]).await;
    assert_eq!(attrs(&c, "work").await, json!([]));
}
common::also_on_postgres!(attributes_modify_set_delete_clear_and_limits);

#[tokio::test]
async fn counters_get_update_delete_and_errors() {
    let server = TestServer::start().await;
    let c = setup(&server).await;
    let get = |keys: Option<Value>| {
        let mut body = json!({"GroupId": "live"});
        if let Some(k) = keys {
            body["GroupCounterKeys"] = k;
        }
        body
    };
    assert_eq!(
        c.call_ok(GET_COUNTER, get(None)).await["GroupCounter"],
        json!([])
    );
    let r = c
        .call_ok(UPDATE_COUNTER, json!({"GroupId": "live", "Mode": "Set", "GroupCounter": [{"Key": "like", "Value": 8}]}))
        .await;
    assert_eq!(r["GroupCounter"], json!([{"Key": "like", "Value": 8}]));
    let r = c
        .call_ok(
            UPDATE_COUNTER,
            json!({"GroupId": "live", "Mode": "Increase",
                   "GroupCounter": [{"Key": "like", "Value": 2}, {"Key": "gift", "Value": 1}]}),
        )
        .await;
    assert_eq!(
        r["GroupCounter"],
        json!([{"Key": "like", "Value": 10}, {"Key": "gift", "Value": 1}])
    );
    let r = c
        .call_ok(UPDATE_COUNTER, json!({"GroupId": "live", "Mode": "Decrease", "GroupCounter": [{"Key": "gift", "Value": 5}]}))
        .await;
    assert_eq!(r["GroupCounter"], json!([{"Key": "gift", "Value": -4}]));
    assert_eq!(
        c.call_ok(GET_COUNTER, get(None)).await["GroupCounter"],
        json!([{"Key": "gift", "Value": -4}, {"Key": "like", "Value": 10}])
    );
    assert_eq!(
        c.call_ok(GET_COUNTER, get(Some(json!(["like", "none", "gift"]))))
            .await["GroupCounter"],
        json!([{"Key": "like", "Value": 10}, {"Key": "gift", "Value": -4}])
    );
    // Overflow: 10004, nothing changed.
    c.call_ok(UPDATE_COUNTER, json!({"GroupId": "live", "Mode": "Set", "GroupCounter": [{"Key": "big", "Value": i64::MAX}]}))
        .await;
    assert_eq!(
        code(
            &c,
            UPDATE_COUNTER,
            json!({"GroupId": "live", "Mode": "Increase",
            "GroupCounter": [{"Key": "like", "Value": 1}, {"Key": "big", "Value": 1}]})
        )
        .await,
        10004
    );
    assert_eq!(
        c.call_ok(GET_COUNTER, get(Some(json!(["like"])))).await["GroupCounter"],
        json!([{"Key": "like", "Value": 10}])
    );
    c.call_ok(
        DELETE_COUNTER,
        json!({"GroupId": "live", "GroupCounterKeys": ["big", "absent"]}),
    )
    .await;
    assert_eq!(
        c.call_ok(GET_COUNTER, get(None)).await["GroupCounter"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    c.call_ok(DELETE_COUNTER, json!({"GroupId": "live"})).await;
    assert_eq!(
        c.call_ok(GET_COUNTER, get(None)).await["GroupCounter"],
        json!([])
    );
    // 20 keys at most, on the result.
    let twenty: Vec<Value> = (0..20)
        .map(|i| json!({"Key": format!("k{i}"), "Value": i}))
        .collect();
    c.call_ok(
        UPDATE_COUNTER,
        json!({"GroupId": "pub", "Mode": "Set", "GroupCounter": twenty}),
    )
    .await;
    assert_eq!(
        code(
            &c,
            UPDATE_COUNTER,
            json!({"GroupId": "pub", "Mode": "Set", "GroupCounter": [{"Key": "k20", "Value": 1}]})
        )
        .await,
        10063
    );
    let twenty_one: Vec<Value> = (0..21)
        .map(|i| json!({"Key": format!("n{i}"), "Value": i}))
        .collect();
    assert_eq!(
        code(
            &c,
            UPDATE_COUNTER,
            json!({"GroupId": "work", "Mode": "Set", "GroupCounter": twenty_one})
        )
        .await,
        10063
    );
    // Community has no counters.
    assert_eq!(
        code(&c, GET_COUNTER, json!({"GroupId": "@TGS#_com"})).await,
        10007
    );
    assert_eq!(
        code(&c, UPDATE_COUNTER, json!({"GroupId": "@TGS#_com", "Mode": "Set", "GroupCounter": [{"Key": "a", "Value": 1}]})).await,
        10007
    );
    assert_eq!(
        code(&c, DELETE_COUNTER, json!({"GroupId": "@TGS#_com"})).await,
        10007
    );
    // Field errors.
    for mode in [json!("set"), json!("Other"), Value::Null] {
        assert_eq!(
            code(
                &c,
                UPDATE_COUNTER,
                json!({"GroupId": "live", "Mode": mode, "GroupCounter": [{"Key": "a", "Value": 1}]})
            )
            .await,
            10004
        );
    }
    assert_eq!(
        code(
            &c,
            UPDATE_COUNTER,
            json!({"GroupId": "live", "Mode": "Set"})
        )
        .await,
        10004
    );
    assert_eq!(
        code(
            &c,
            UPDATE_COUNTER,
            json!({"GroupId": "live", "Mode": "Set", "GroupCounter": []})
        )
        .await,
        10004
    );
    assert_eq!(
        code(&c, UPDATE_COUNTER, json!({"GroupId": "live", "Mode": "Set", "GroupCounter": [{"Key": "k".repeat(129), "Value": 1}]})).await,
        10004
    );
    assert_eq!(
        code(
            &c,
            UPDATE_COUNTER,
            json!({"GroupId": "live", "Mode": "Set", "GroupCounter": [{"Key": "a", "Value": "1"}]})
        )
        .await,
        10004
    );
    for path in [GET_COUNTER, DELETE_COUNTER] {
        assert_eq!(code(&c, path, json!({"GroupId": "nope"})).await, 10010);
        assert_eq!(
            code(&c, path, json!({"GroupId": "bad\u{1}id"})).await,
            10015
        );
        assert_eq!(code(&c, path, json!({})).await, 10004);
        assert_eq!(
            code(
                &c,
                path,
                json!({"GroupId": "live", "GroupCounterKeys": [""]})
            )
            .await,
            10004
        );
    }
    assert_eq!(
        code(
            &c,
            UPDATE_COUNTER,
            json!({"GroupId": "nope", "Mode": "Set", "GroupCounter": [{"Key": "a", "Value": 1}]})
        )
        .await,
        10010
    );
}
common::also_on_postgres!(counters_get_update_delete_and_errors);

async fn banned(c: &Client, id: &str, offset: u64, limit: Option<u64>) -> Value {
    let mut body = json!({"GroupId": id, "Offset": offset});
    if let Some(l) = limit {
        body["Limit"] = json!(l);
    }
    c.call_ok(BANNED, body).await
}

#[tokio::test]
async fn bans_remove_members_refuse_reentry_and_page() {
    let server = TestServer::start().await;
    let c = setup(&server).await;
    let before = next_msg_seq(&c, "pub").await;
    let now = common::now();
    c.call_ok(
        BAN,
        json!({"GroupId": "pub", "Members_Account": ["alice", "dave"], "Duration": 3600,
                          "Description": "spam"}),
    )
    .await;
    // alice was a member: removed, with a members-removed tip; dave is banned in advance.
    let roles = c
        .call_ok(
            ROLES,
            json!({"GroupId": "pub", "User_Account": ["alice", "dave", "bob"]}),
        )
        .await;
    assert_eq!(roles["UserIdList"][0]["Role"], "NotMember");
    assert_eq!(roles["UserIdList"][2]["Role"], "Member");
    assert_eq!(next_msg_seq(&c, "pub").await, before + 1);
    let history = c
        .call_ok(HISTORY, json!({"GroupId": "pub", "ReqMsgNumber": 1}))
        .await;
    assert_eq!(history["RspMsgList"][0]["MsgSeq"], before);
    // Re-entry is refused per member.
    let r = c
        .call_ok(
            ADD,
            json!({"GroupId": "pub", "MemberList": [{"Member_Account": "alice"},
            {"Member_Account": "dave"}, {"Member_Account": "owner"}]}),
        )
        .await;
    let results: Vec<u64> = r["MemberList"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["Result"].as_u64().unwrap())
        .collect();
    assert_eq!(results, [0, 0, 2]);
    let r = c
        .call_ok(
            IMPORT_MEMBER,
            json!({"GroupId": "pub", "MemberList": [{"Member_Account": "alice"}]}),
        )
        .await;
    assert_eq!(r["MemberList"][0]["Result"], 0);
    // The list: bans in force, oldest first, paged.
    c.call_ok(
        BAN,
        json!({"GroupId": "pub", "Members_Account": ["carol"], "Duration": 60}),
    )
    .await;
    let page = banned(&c, "pub", 0, None).await;
    let list = page["BannedAccountList"].as_array().unwrap();
    assert_eq!(list.len(), 3);
    assert_eq!(page["NextOffset"], 0);
    let until = list[0]["BannedUntil"].as_i64().unwrap();
    assert!((until - (now + 3600)).abs() <= 5, "{until}");
    assert!(list[0].get("Description").is_none());
    // Oldest ban first (then by UserID within a second).
    assert!(list.iter().any(|b| b["Member_Account"] == "carol"));
    let last = &list[2];
    let first = banned(&c, "pub", 0, Some(2)).await;
    assert_eq!(first["BannedAccountList"].as_array().unwrap().len(), 2);
    assert_eq!(first["NextOffset"], 2);
    let second = banned(&c, "pub", 2, Some(2)).await;
    assert_eq!(second["BannedAccountList"], json!([last]));
    assert_eq!(second["NextOffset"], 0);
    // Unban: idempotent, nobody put back; the user may join again.
    c.call_ok(
        UNBAN,
        json!({"GroupId": "pub", "Members_Account": ["alice", "bob"]}),
    )
    .await;
    c.call_ok(
        UNBAN,
        json!({"GroupId": "pub", "Members_Account": ["alice"]}),
    )
    .await;
    let roles = c
        .call_ok(ROLES, json!({"GroupId": "pub", "User_Account": ["alice"]}))
        .await;
    assert_eq!(roles["UserIdList"][0]["Role"], "NotMember");
    assert_eq!(
        banned(&c, "pub", 0, None).await["BannedAccountList"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let r = c
        .call_ok(
            ADD,
            json!({"GroupId": "pub", "MemberList": [{"Member_Account": "alice"}]}),
        )
        .await;
    assert_eq!(r["MemberList"][0]["Result"], 1);
    // A ban again sets a new end.
    c.call_ok(
        BAN,
        json!({"GroupId": "pub", "Members_Account": ["dave"], "Duration": 10}),
    )
    .await;
    let page = banned(&c, "pub", 0, None).await;
    let dave = page["BannedAccountList"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["Member_Account"] == "dave")
        .unwrap()
        .clone();
    assert!(dave["BannedUntil"].as_i64().unwrap() <= common::now() + 11);
    // An expired ban is gone by itself.
    c.call_ok(
        BAN,
        json!({"GroupId": "work", "Members_Account": ["alice"], "Duration": 1}),
    )
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    assert_eq!(
        banned(&c, "work", 0, None).await["BannedAccountList"],
        json!([])
    );
    let r = c
        .call_ok(
            ADD,
            json!({"GroupId": "work", "MemberList": [{"Member_Account": "alice"}]}),
        )
        .await;
    assert_eq!(r["MemberList"][0]["Result"], 1);
    // AVChatRoom and Community have bans too.
    c.call_ok(
        BAN,
        json!({"GroupId": "live", "Members_Account": ["bob"], "Duration": 60}),
    )
    .await;
    assert_eq!(
        banned(&c, "live", 0, None).await["BannedAccountList"][0]["Member_Account"],
        "bob"
    );
    c.call_ok(
        BAN,
        json!({"GroupId": "@TGS#_com", "Members_Account": ["alice"], "Duration": 60}),
    )
    .await;

    // Errors.
    let many: Vec<String> = (0..21).map(|i| format!("u{i}")).collect();
    assert_eq!(
        code(
            &c,
            BAN,
            json!({"GroupId": "pub", "Members_Account": many.clone(), "Duration": 5})
        )
        .await,
        10005
    );
    assert_eq!(
        code(
            &c,
            UNBAN,
            json!({"GroupId": "pub", "Members_Account": many})
        )
        .await,
        10005
    );
    assert_eq!(
        code(
            &c,
            BAN,
            json!({"GroupId": "pub", "Members_Account": ["zed"], "Duration": 5})
        )
        .await,
        10019
    );
    assert_eq!(
        code(
            &c,
            BAN,
            json!({"GroupId": "pub", "Members_Account": ["owner"], "Duration": 5})
        )
        .await,
        10007
    );
    assert_eq!(
        code(
            &c,
            BAN,
            json!({"GroupId": "pub", "Members_Account": ["bob"], "Duration": 0})
        )
        .await,
        10004
    );
    assert_eq!(
        code(
            &c,
            BAN,
            json!({"GroupId": "pub", "Members_Account": ["bob"]})
        )
        .await,
        10004
    );
    assert_eq!(
        code(
            &c,
            BAN,
            json!({"GroupId": "pub", "Members_Account": ["bob"], "Duration": -1})
        )
        .await,
        10004
    );
    assert_eq!(
        code(&c, BAN, json!({"GroupId": "pub", "Members_Account": ["bob"], "Duration": 5, "Description": "d".repeat(1001)})).await,
        10004
    );
    assert_eq!(
        code(
            &c,
            BAN,
            json!({"GroupId": "pub", "Members_Account": [], "Duration": 5})
        )
        .await,
        10004
    );
    assert_eq!(
        code(
            &c,
            BAN,
            json!({"GroupId": "pub", "Members_Account": [1], "Duration": 5})
        )
        .await,
        60015
    );
    assert_eq!(
        code(
            &c,
            BAN,
            json!({"GroupId": "nope", "Members_Account": ["bob"], "Duration": 5})
        )
        .await,
        10010
    );
    assert_eq!(
        code(
            &c,
            UNBAN,
            json!({"GroupId": "nope", "Members_Account": ["bob"]})
        )
        .await,
        10010
    );
    assert_eq!(
        code(
            &c,
            UNBAN,
            json!({"GroupId": "bad\u{1}id", "Members_Account": ["bob"]})
        )
        .await,
        10015
    );
    assert_eq!(code(&c, UNBAN, json!({"GroupId": "pub"})).await, 10004);
    assert_eq!(
        code(&c, BANNED, json!({"GroupId": "nope", "Offset": 0})).await,
        10010
    );
    assert_eq!(
        code(&c, BANNED, json!({"GroupId": "bad\u{1}id", "Offset": 0})).await,
        10015
    );
    assert_eq!(code(&c, BANNED, json!({"GroupId": "pub"})).await, 10004);
    assert_eq!(
        code(
            &c,
            BANNED,
            json!({"GroupId": "pub", "Offset": 0, "Limit": 101})
        )
        .await,
        10004
    );
    assert_eq!(
        code(
            &c,
            BANNED,
            json!({"GroupId": "pub", "Offset": 0, "Limit": 0})
        )
        .await,
        10004
    );
    // Bans go with the group.
    c.call_ok(DESTROY, json!({"GroupId": "pub"})).await;
    create(&c, "Public", "pub", &[]).await;
    assert_eq!(
        banned(&c, "pub", 0, None).await["BannedAccountList"],
        json!([])
    );
}
common::also_on_postgres!(bans_remove_members_refuse_reentry_and_page);

#[tokio::test]
async fn broadcasts_count_app_wide_and_drop_repeats() {
    let server = TestServer::start().await;
    let c = setup(&server).await;
    let live_seq = next_msg_seq(&c, "live").await;
    let first = c
        .call_ok(
            BROADCAST,
            json!({"Random": 1, "MsgBody": text("hi"), "CloudCustomData": "cd"}),
        )
        .await;
    assert_eq!(first["MsgSeq"], 1);
    // Same content and Random: a repeat, the first one's seq.
    let again = c
        .call_ok(
            BROADCAST,
            json!({"Random": 1, "MsgBody": text("hi"), "CloudCustomData": "cd"}),
        )
        .await;
    assert_eq!(again["MsgSeq"], 1);
    let other = c
        .call_ok(
            BROADCAST,
            json!({"Random": 1, "MsgBody": text("hello"), "From_Account": "alice"}),
        )
        .await;
    assert_eq!(other["MsgSeq"], 2);
    let two = json!([{"MsgType": "TIMTextElem", "MsgContent": {"Text": "a"}},
                     {"MsgType": "TIMCustomElem", "MsgContent": {"Data": "d"}}]);
    let third = c
        .call_ok(BROADCAST, json!({"Random": 2, "MsgBody": two}))
        .await;
    assert_eq!(third["MsgSeq"], 3);
    // No room's seq is taken.
    assert_eq!(next_msg_seq(&c, "live").await, live_seq);
    // Errors.
    assert_eq!(
        code(&c, BROADCAST, json!({"MsgBody": text("x")})).await,
        10004
    );
    assert_eq!(code(&c, BROADCAST, json!({"Random": 3})).await, 10004);
    assert_eq!(
        code(&c, BROADCAST, json!({"Random": 3, "MsgBody": []})).await,
        10004
    );
    assert_eq!(
        code(&c, BROADCAST, json!({"Random": 3, "MsgBody": {"a": 1}})).await,
        10004
    );
    assert_eq!(
        code(&c, BROADCAST, json!({"Random": -1, "MsgBody": text("x")})).await,
        10004
    );
    assert_eq!(
        code(
            &c,
            BROADCAST,
            json!({"Random": 3, "MsgBody": text("x"), "From_Account": "zed"})
        )
        .await,
        10019
    );
    assert_eq!(
        code(
            &c,
            BROADCAST,
            json!({"Random": 3, "MsgBody": text(&"x".repeat(13 * 1024))})
        )
        .await,
        80002
    );
    let user = server.client_for(0, "alice");
    assert_eq!(
        code(&user, BROADCAST, json!({"Random": 3, "MsgBody": text("x")})).await,
        10007
    );
}
common::also_on_postgres!(broadcasts_count_app_wide_and_drop_repeats);

#[tokio::test]
async fn another_app_sees_nothing() {
    let server = TestServer::start_with(ServerOptions {
        apps: vec![TestApp::random(), TestApp::random()],
        ..ServerOptions::default()
    })
    .await;
    let c = setup(&server).await;
    c.call_ok(
        MODIFY_ATTR,
        json!({"GroupId": "live", "GroupAttr": [{"key": "a", "value": "1"}]}),
    )
    .await;
    c.call_ok(
        UPDATE_COUNTER,
        json!({"GroupId": "live", "Mode": "Set", "GroupCounter": [{"Key": "a", "Value": 1}]}),
    )
    .await;
    c.call_ok(
        BAN,
        json!({"GroupId": "pub", "Members_Account": ["dave"], "Duration": 60}),
    )
    .await;
    c.call_ok(BROADCAST, json!({"Random": 1, "MsgBody": text("hi")}))
        .await;
    let other = server.client_for(1, "administrator");
    import_accounts(&other, &["owner", "dave"]).await;
    for (path, body) in [
        (GET_ATTR, json!({"GroupId": "live"})),
        (GET_COUNTER, json!({"GroupId": "live"})),
        (BANNED, json!({"GroupId": "pub", "Offset": 0})),
        (
            NAMED,
            json!({"GroupId": "pub", "Member_List_Account": ["alice"]}),
        ),
        (CLEAR_ATTR, json!({"GroupId": "live"})),
        (
            UNBAN,
            json!({"GroupId": "pub", "Members_Account": ["dave"]}),
        ),
        (
            RECEIPT,
            json!({"GroupId": "pub", "MsgSeqList": [{"MsgSeq": 1}]}),
        ),
    ] {
        assert_eq!(code(&other, path, body).await, 10010, "{path}");
    }
    // The same IDs in the other app are its own groups.
    create(&other, "AVChatRoom", "live", &[]).await;
    create(&other, "Public", "pub", &[]).await;
    assert_eq!(attrs(&other, "live").await, json!([]));
    assert_eq!(
        other.call_ok(GET_COUNTER, json!({"GroupId": "live"})).await["GroupCounter"],
        json!([])
    );
    assert_eq!(
        banned(&other, "pub", 0, None).await["BannedAccountList"],
        json!([])
    );
    let r = other
        .call_ok(
            ADD,
            json!({"GroupId": "pub", "MemberList": [{"Member_Account": "dave"}]}),
        )
        .await;
    assert_eq!(r["MemberList"][0]["Result"], 1);
    // Its broadcast counter starts at 1.
    let b = other
        .call_ok(BROADCAST, json!({"Random": 9, "MsgBody": text("x")}))
        .await;
    assert_eq!(b["MsgSeq"], 1);
    // And the first app's state is untouched.
    assert_eq!(attrs(&c, "live").await, json!([{"key": "a", "value": "1"}]));
}
common::also_on_postgres!(another_app_sees_nothing);

/// The callbacks an app's receiver got, in arrival order.
type Hits = std::sync::Arc<std::sync::Mutex<Vec<Value>>>;

/// A callback receiver on a free port that answers OK to everything; its URL.
async fn receiver() -> (String, Hits) {
    use axum::routing::post;
    let hits: Hits = Default::default();
    let store = hits.clone();
    let app = axum::Router::new().route(
        "/cb",
        post(move |body: String| {
            let store = store.clone();
            async move {
                store
                    .lock()
                    .unwrap()
                    .push(serde_json::from_str(&body).unwrap_or(Value::Null));
                json!({"ActionStatus": "OK", "ErrorCode": 0, "ErrorInfo": ""}).to_string()
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/cb", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, hits)
}

/// Waits up to 10 s for `n` callbacks of `command`.
async fn wait_for(hits: &Hits, command: &str, n: usize) -> Vec<Value> {
    for _ in 0..200 {
        let got: Vec<Value> = hits
            .lock()
            .unwrap()
            .iter()
            .filter(|h| h["CallbackCommand"] == command)
            .cloned()
            .collect();
        if got.len() >= n {
            return got;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("waited for {n} {command}; got {:?}", hits.lock().unwrap());
}

#[tokio::test]
async fn attribute_writes_and_bans_call_back() {
    let (url, hits) = receiver().await;
    let server = TestServer::start_with(ServerOptions::calling_back(&url, "")).await;
    let c = setup(&server).await;
    c.call_ok(
        MODIFY_ATTR,
        json!({"GroupId": "pub", "GroupAttr": [{"key": "a", "value": "1"}]}),
    )
    .await;
    c.call_ok(
        SET_ATTR,
        json!({"GroupId": "pub", "GroupAttr": [{"key": "b", "value": "2"}]}),
    )
    .await;
    c.call_ok(
        DELETE_ATTR,
        json!({"GroupId": "pub", "GroupAttr": [{"key": "b"}]}),
    )
    .await;
    c.call_ok(CLEAR_ATTR, json!({"GroupId": "pub"})).await;
    // A refused write calls nothing back.
    c.call_err(
        DELETE_ATTR,
        json!({"GroupId": "pub", "GroupAttr": [{"key": "nope"}]}),
    )
    .await;
    let got = wait_for(&hits, "Group.CallbackAfterGroupAttrChanged", 4).await;
    assert_eq!(got.len(), 4);
    let kinds: Vec<&str> = got
        .iter()
        .map(|h| h["OptionType"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["modify", "set", "delete", "clear"]);
    let first = &got[0];
    assert_eq!(first["GroupId"], "pub");
    assert_eq!(first["Type"], "Public");
    assert_eq!(first["Operator_Account"], "administrator");
    assert_eq!(first["GroupAttr"], json!([{"key": "a", "value": "1"}]));
    assert!(first["EventTime"].as_i64().unwrap() > 1_600_000_000_000);
    assert_eq!(got[2]["GroupAttr"], json!([{"key": "b", "value": ""}]));
    assert_eq!(got[3]["GroupAttr"], json!([]));

    // A ban removes members as a kick does.
    c.call_ok(
        BAN,
        json!({"GroupId": "pub", "Members_Account": ["alice", "dave"], "Duration": 60}),
    )
    .await;
    let exit = wait_for(&hits, "Group.CallbackAfterMemberExit", 1).await;
    assert_eq!(exit[0]["GroupId"], "pub");
    assert_eq!(exit[0]["ExitType"], "Kicked");
    assert_eq!(exit[0]["Operator_Account"], "administrator");
    assert_eq!(
        exit[0]["ExitMemberList"],
        json!([{"Member_Account": "alice"}])
    );
    // Counters and broadcasts call nothing back.
    c.call_ok(
        UPDATE_COUNTER,
        json!({"GroupId": "live", "Mode": "Set", "GroupCounter": [{"Key": "a", "Value": 1}]}),
    )
    .await;
    c.call_ok(BROADCAST, json!({"Random": 1, "MsgBody": text("hi")}))
        .await;
    // A ban of no member calls nothing back either: one exit event in all.
    c.call_ok(
        BAN,
        json!({"GroupId": "pub", "Members_Account": ["dave"], "Duration": 60}),
    )
    .await;
    // (the same group's events are delivered in order: this one comes after any of the ban)
    c.call_ok(
        MODIFY_ATTR,
        json!({"GroupId": "pub", "GroupAttr": [{"key": "z", "value": "1"}]}),
    )
    .await;
    wait_for(&hits, "Group.CallbackAfterGroupAttrChanged", 5).await;
    assert_eq!(
        wait_for(&hits, "Group.CallbackAfterMemberExit", 1)
            .await
            .len(),
        1
    );
}
common::also_on_postgres!(attribute_writes_and_bans_call_back);

const SEND: &str = "group_open_http_svc/send_group_msg";
const RECEIPT: &str = "group_open_http_svc/get_group_msg_receipt";
const DETAIL: &str = "group_open_http_svc/get_group_msg_receipt_detail";
const MARK: &str = "group_open_http_svc/group_msg_receipt";

async fn send(c: &Client, id: &str, from: &str, receipt: u8) -> u64 {
    let r = c
        .call_ok(
            SEND,
            json!({"GroupId": id, "From_Account": from, "Random": common::random_u32(),
                   "MsgBody": text("m"), "NeedReadReceipt": receipt}),
        )
        .await;
    r["MsgSeq"].as_u64().unwrap()
}

async fn detail(c: &Client, seq: u64, filter: u8, cursor: &str, count: u64) -> Value {
    c.call_ok(
        DETAIL,
        json!({"GroupId": "pub", "MsgSeq": seq, "Filter": filter, "Cursor": cursor, "Count": count}),
    )
    .await
}

#[tokio::test]
async fn read_receipts_count_list_and_page() {
    let server = TestServer::start().await;
    let c = setup(&server).await;
    // pub: owner, alice, bob, carol; alice sends.
    let seq = send(&c, "pub", "alice", 1).await;
    let plain = send(&c, "pub", "alice", 0).await;
    let r = c
        .call_ok(RECEIPT, json!({"GroupId": "pub", "MsgSeqList": [{"MsgSeq": seq}, {"MsgSeq": plain}, {"MsgSeq": 999}]}))
        .await;
    assert_eq!(
        r["GroupMsgReceiptList"],
        json!([{"MsgSeq": seq, "ReadNum": 0, "UnreadNum": 3, "Code": 0},
               {"MsgSeq": plain, "ReadNum": 0, "UnreadNum": 0, "Code": 10062},
               {"MsgSeq": 999, "ReadNum": 0, "UnreadNum": 0, "Code": 10062}])
    );
    c.call_ok(MARK, json!({"GroupId": "pub", "From_Account": "bob", "MsgSeqList": [{"MsgSeq": seq}, {"MsgSeq": plain}]}))
        .await;
    // Marking again, or by the sender (no receipt for them), changes nothing.
    c.call_ok(
        MARK,
        json!({"GroupId": "pub", "From_Account": "bob", "MsgSeqList": [{"MsgSeq": seq}]}),
    )
    .await;
    c.call_ok(
        MARK,
        json!({"GroupId": "pub", "From_Account": "alice", "MsgSeqList": [{"MsgSeq": seq}]}),
    )
    .await;
    let r = c
        .call_ok(
            RECEIPT,
            json!({"GroupId": "pub", "MsgSeqList": [{"MsgSeq": seq}]}),
        )
        .await;
    assert_eq!(r["GroupMsgReceiptList"][0]["ReadNum"], 1);
    assert_eq!(r["GroupMsgReceiptList"][0]["UnreadNum"], 2);
    let read = detail(&c, seq, 0, "", 10).await;
    assert_eq!(read["ReadList"], json!([{"Read_Account": "bob"}]));
    assert_eq!(read["IsFinished"], 1);
    assert_eq!(read["Cursor"], "");
    assert_eq!(read["MsgSeq"], seq);
    assert!(read.get("UnreadList").is_none());
    // Non-readers by UserID, paged.
    let first = detail(&c, seq, 1, "", 1).await;
    assert_eq!(first["UnreadList"], json!([{"Unread_Account": "carol"}]));
    assert_eq!(first["IsFinished"], 0);
    let cursor = first["Cursor"].as_str().unwrap().to_owned();
    assert!(!cursor.is_empty());
    let second = detail(&c, seq, 1, &cursor, 1).await;
    assert_eq!(second["UnreadList"], json!([{"Unread_Account": "owner"}]));
    assert_eq!(second["IsFinished"], 1);
    // Count above 200 counts as 200.
    assert_eq!(
        detail(&c, seq, 1, "", 1000).await["UnreadList"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    // A recalled message has no receipt data any more.
    c.call_ok(
        "group_open_http_svc/group_msg_recall",
        json!({"GroupId": "pub", "MsgSeqList": [{"MsgSeq": seq}]}),
    )
    .await;
    let r = c
        .call_ok(
            RECEIPT,
            json!({"GroupId": "pub", "MsgSeqList": [{"MsgSeq": seq}]}),
        )
        .await;
    assert_eq!(r["GroupMsgReceiptList"][0]["Code"], 10062);
    assert_eq!(
        code(
            &c,
            DETAIL,
            json!({"GroupId": "pub", "MsgSeq": seq, "Filter": 0, "Cursor": "", "Count": 5})
        )
        .await,
        10062
    );
    assert_eq!(
        code(
            &c,
            DETAIL,
            json!({"GroupId": "pub", "MsgSeq": plain, "Filter": 0, "Cursor": "", "Count": 5})
        )
        .await,
        10062
    );

    // Sending: online-only 10061; more than 200 members 10060; Community/AVChatRoom ignore it.
    let online = json!({"GroupId": "pub", "From_Account": "alice", "Random": 5, "MsgBody": text("m"),
                        "NeedReadReceipt": 1, "OnlineOnlyFlag": 1});
    assert_eq!(code(&c, SEND, online).await, 10061);
    assert_eq!(
        code(
            &c,
            SEND,
            json!({"GroupId": "pub", "Random": 6, "MsgBody": text("m"), "NeedReadReceipt": 2})
        )
        .await,
        10004
    );
    let many: Vec<String> = (0..201).map(|i| format!("m{i:03}")).collect();
    import_accounts(&c, &many).await;
    create(&c, "Public", "big", &[]).await;
    for chunk in many.chunks(100) {
        let list: Vec<Value> = chunk.iter().map(|m| json!({"Member_Account": m})).collect();
        c.call_ok(
            ADD,
            json!({"GroupId": "big", "MemberList": list, "Silence": 1}),
        )
        .await;
    }
    assert_eq!(
        code(
            &c,
            SEND,
            json!({"GroupId": "big", "Random": 7, "MsgBody": text("m"), "NeedReadReceipt": 1})
        )
        .await,
        10060
    );
    send(&c, "big", "owner", 0).await;
    send(&c, "@TGS#_com", "alice", 1).await;
    send(&c, "live", "owner", 1).await;
    for id in ["@TGS#_com", "live"] {
        assert_eq!(
            code(
                &c,
                RECEIPT,
                json!({"GroupId": id, "MsgSeqList": [{"MsgSeq": 1}]})
            )
            .await,
            10007
        );
        assert_eq!(
            code(
                &c,
                DETAIL,
                json!({"GroupId": id, "MsgSeq": 1, "Filter": 0, "Cursor": "", "Count": 5})
            )
            .await,
            10007
        );
        assert_eq!(
            code(
                &c,
                MARK,
                json!({"GroupId": id, "From_Account": "alice", "MsgSeqList": [{"MsgSeq": 1}]})
            )
            .await,
            10007
        );
    }
    // Field errors.
    let seqs: Vec<Value> = (1..=101).map(|s| json!({"MsgSeq": s})).collect();
    assert_eq!(
        code(&c, RECEIPT, json!({"GroupId": "pub", "MsgSeqList": seqs})).await,
        10004
    );
    assert_eq!(
        code(&c, RECEIPT, json!({"GroupId": "pub", "MsgSeqList": []})).await,
        10004
    );
    assert_eq!(code(&c, RECEIPT, json!({"GroupId": "pub"})).await, 10004);
    assert_eq!(
        code(
            &c,
            RECEIPT,
            json!({"GroupId": "nope", "MsgSeqList": [{"MsgSeq": 1}]})
        )
        .await,
        10010
    );
    assert_eq!(
        code(
            &c,
            RECEIPT,
            json!({"GroupId": "bad\u{1}id", "MsgSeqList": [{"MsgSeq": 1}]})
        )
        .await,
        10015
    );
    let d = |f: Value| {
        let mut b =
            json!({"GroupId": "pub", "MsgSeq": plain, "Filter": 0, "Cursor": "", "Count": 5});
        if let Value::Object(m) = f {
            for (k, v) in m {
                if v.is_null() {
                    b.as_object_mut().unwrap().remove(&k);
                } else {
                    b[k] = v;
                }
            }
        }
        b
    };
    for bad in [
        json!({"Filter": 2}),
        json!({"Filter": null}),
        json!({"Count": 0}),
        json!({"Count": null}),
        json!({"Cursor": null}),
        json!({"Cursor": "garbage"}),
        json!({"MsgSeq": null}),
    ] {
        assert_eq!(code(&c, DETAIL, d(bad.clone())).await, 10004, "{bad}");
    }
    assert_eq!(code(&c, DETAIL, d(json!({"GroupId": "nope"}))).await, 10010);
    let seqs: Vec<Value> = (1..=51).map(|s| json!({"MsgSeq": s})).collect();
    assert_eq!(
        code(
            &c,
            MARK,
            json!({"GroupId": "pub", "From_Account": "bob", "MsgSeqList": seqs})
        )
        .await,
        10004
    );
    assert_eq!(
        code(
            &c,
            MARK,
            json!({"GroupId": "pub", "MsgSeqList": [{"MsgSeq": 1}]})
        )
        .await,
        10004
    );
    assert_eq!(
        code(
            &c,
            MARK,
            json!({"GroupId": "pub", "From_Account": "zed", "MsgSeqList": [{"MsgSeq": 1}]})
        )
        .await,
        10019
    );
    assert_eq!(
        code(
            &c,
            MARK,
            json!({"GroupId": "nope", "From_Account": "bob", "MsgSeqList": [{"MsgSeq": 1}]})
        )
        .await,
        10010
    );
}
common::also_on_postgres!(read_receipts_count_list_and_page);

#[tokio::test]
async fn marking_reads_calls_back() {
    let (url, hits) = receiver().await;
    let server = TestServer::start_with(ServerOptions::calling_back(&url, "")).await;
    let c = setup(&server).await;
    let seq = send(&c, "pub", "alice", 1).await;
    c.call_ok(
        MARK,
        json!({"GroupId": "pub", "From_Account": "bob", "MsgSeqList": [{"MsgSeq": seq}]}),
    )
    .await;
    let got = wait_for(&hits, "Group.CallbackAfterReadReceipt", 1).await;
    assert_eq!(got[0]["GroupId"], "pub");
    assert_eq!(got[0]["Type"], "Public");
    assert_eq!(got[0]["Operator_Account"], "bob");
    assert_eq!(
        got[0]["GroupMsgReceiptList"],
        json!([{"MsgSeq": seq, "ReadNum": 1, "UnreadNum": 2}])
    );
}
common::also_on_postgres!(marking_reads_calls_back);
