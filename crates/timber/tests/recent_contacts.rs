//! End-to-end: recent contacts over HTTP against the real binary — get_list, delete, top,
//! create_contact_group, del_contact_group, update_contact_group, search_contact_group,
//! get_contact_group, mark_contact — and the conversations C2C and group messages make and
//! move. spec: recent-contacts.md.

mod common;

use common::{import_accounts, now, text, Client, ServerOptions, TestApp, TestServer};
use serde_json::{json, Value};

const LIST: &str = "recentcontact/get_list";
const DELETE: &str = "recentcontact/delete";
const TOP: &str = "recentcontact/top";
const CREATE: &str = "recentcontact/create_contact_group";
const DEL_GROUP: &str = "recentcontact/del_contact_group";
const UPDATE: &str = "recentcontact/update_contact_group";
const SEARCH: &str = "recentcontact/search_contact_group";
const GET_GROUPS: &str = "recentcontact/get_contact_group";
const MARK: &str = "recentcontact/mark_contact";
const SEND: &str = "openim/sendmsg";
const GROUP_SEND: &str = "group_open_http_svc/send_group_msg";

async fn start() -> (TestServer, Client) {
    let server = TestServer::start().await;
    let admin = server.client();
    import_accounts(&admin, &["a", "b", "c"]).await;
    (server, admin)
}

async fn create_group(admin: &Client, ty: &str, id: &str, members: &[&str]) {
    let list: Vec<Value> = members
        .iter()
        .map(|m| json!({"Member_Account": m}))
        .collect();
    admin
        .call_ok(
            "group_open_http_svc/create_group",
            json!({"Type": ty, "GroupId": id, "Name": "g", "MemberList": list}),
        )
        .await;
}

async fn c2c(admin: &Client, from: &str, to: &str, extra: Value) {
    let mut body = json!({"From_Account": from, "To_Account": to, "MsgRandom": rand_u32(), "MsgBody": text("hi")});
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    admin.call_ok(SEND, body).await;
}

async fn group_send(admin: &Client, gid: &str, extra: Value) {
    let mut body =
        json!({"GroupId": gid, "From_Account": "a", "Random": rand_u32(), "MsgBody": text("hi")});
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    admin.call_ok(GROUP_SEND, body).await;
}

fn rand_u32() -> u32 {
    common::random_u32()
}

async fn list_page(admin: &Client, owner: &str, flags: u64) -> Value {
    admin
        .call_ok(
            LIST,
            json!({"From_Account": owner, "TimeStamp": 0, "StartIndex": 0, "TopTimeStamp": 0, "TopStartIndex": 0, "AssistFlags": flags}),
        )
        .await
}

/// "Type:peer:TopFlag" of every conversation of `owner`'s list (one page, AssistFlags 7).
async fn convs(admin: &Client, owner: &str) -> Vec<String> {
    convs_with(admin, owner, 7).await
}

async fn convs_with(admin: &Client, owner: &str, flags: u64) -> Vec<String> {
    let page = list_page(admin, owner, flags).await;
    assert_eq!(page["CompleteFlag"], 1, "{page}");
    page["SessionItem"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let peer = s["To_Account"].as_str().or(s["GroupId"].as_str()).unwrap();
            format!("{}:{peer}:{}", s["Type"], s["TopFlag"])
        })
        .collect()
}

#[tokio::test]
async fn c2c_and_group_messages_make_and_move_conversations() {
    let (_server, admin) = start().await;
    let before = now();
    let empty = list_page(&admin, "a", 7).await;
    assert_eq!(empty["SessionItem"], json!([]));
    assert_eq!(empty["CompleteFlag"], 1);
    assert_eq!(empty["ErrorDisplay"], "");

    c2c(&admin, "b", "a", json!({})).await;
    let page = list_page(&admin, "a", 7).await;
    let item = &page["SessionItem"][0];
    assert_eq!(item["Type"], 1);
    assert_eq!(item["To_Account"], "b");
    assert_eq!(item["TopFlag"], 0);
    assert!(item.get("GroupId").is_none() && item.get("StandardMark").is_none());
    let t = item["MsgTime"].as_i64().unwrap();
    assert!(t >= before && t <= now());
    // The complete page's cursors are the request time and 0, as in the documented sample.
    assert!(page["TimeStamp"].as_i64().unwrap() >= t);
    assert_eq!(page["TopTimeStamp"], page["TimeStamp"]);
    assert_eq!(
        (page["StartIndex"].clone(), page["TopStartIndex"].clone()),
        (json!(0), json!(0))
    );
    assert_eq!(convs(&admin, "b").await, ["1:a:0"], "the sender's side too");

    // NoLastMsg, online-only and SyncOtherMachine 2 (for the sender) leave lists alone.
    c2c(&admin, "c", "a", json!({"SendMsgControl": ["NoLastMsg"]})).await;
    c2c(&admin, "c", "a", json!({"MsgLifeTime": 0})).await;
    c2c(&admin, "c", "b", json!({"SyncOtherMachine": 2})).await;
    assert_eq!(convs(&admin, "a").await, ["1:b:0"]);
    assert_eq!(convs(&admin, "c").await, Vec::<String>::new());
    assert_eq!(convs(&admin, "b").await.len(), 2);

    // Group messages move every member's conversation; the group row is all that is written.
    create_group(&admin, "Public", "g", &["a", "b"]).await;
    create_group(&admin, "AVChatRoom", "live", &[]).await;
    assert_eq!(
        convs(&admin, "a").await,
        ["1:b:0"],
        "a group without messages"
    );
    std::thread::sleep(std::time::Duration::from_millis(1100));
    group_send(&admin, "g", json!({})).await;
    let page = list_page(&admin, "a", 7).await;
    assert_eq!(page["SessionItem"][0]["GroupId"], "g", "the newest first");
    assert_eq!(page["SessionItem"][0]["Type"], 2);
    assert!(page["SessionItem"][0].get("To_Account").is_none());
    let g_time = page["SessionItem"][0]["MsgTime"].as_i64().unwrap();
    // NoLastMsg, online-only and system notifications do not move it; AVChatRoom has none.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    group_send(&admin, "g", json!({"SendMsgControl": ["NoLastMsg"]})).await;
    group_send(&admin, "g", json!({"OnlineOnlyFlag": 1})).await;
    admin
        .call_ok(
            "group_open_http_svc/send_group_system_notification",
            json!({"GroupId": "g", "Content": "notice"}),
        )
        .await;
    admin
        .call_ok(
            GROUP_SEND,
            json!({"GroupId": "live", "Random": 1, "MsgBody": text("x")}),
        )
        .await;
    let page = list_page(&admin, "b", 7).await;
    let g = page["SessionItem"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["GroupId"] == "g")
        .unwrap()
        .clone();
    assert_eq!(g["MsgTime"], g_time);
    assert!(!convs(&admin, "a").await.contains(&"2:live:0".to_owned()));
    // import_group_msg moves conversations only with RecentContactFlag 1.
    let import = |flag: u8, t: i64| {
        json!({"GroupId": "g", "RecentContactFlag": flag,
               "MsgList": [{"From_Account": "a", "SendTime": t, "MsgBody": text("old")}]})
    };
    let t_import = now();
    admin
        .call_ok("group_open_http_svc/import_group_msg", import(0, t_import))
        .await;
    let page = list_page(&admin, "b", 7).await;
    assert_eq!(page["SessionItem"][0]["MsgTime"], g_time, "{page}");
    admin
        .call_ok("group_open_http_svc/import_group_msg", import(1, t_import))
        .await;
    let page = list_page(&admin, "b", 7).await;
    assert_eq!(page["SessionItem"][0]["GroupId"], "g");
    assert_eq!(page["SessionItem"][0]["MsgTime"], t_import);
    // importmsg updates both sides at the imported time; an older one does not lower it.
    let import = |t: i64| {
        json!({"SyncFromOldSystem": 2, "From_Account": "c", "To_Account": "a", "MsgRandom": t as u32,
               "MsgTimeStamp": t, "MsgBody": text("old")})
    };
    let t_c = now() - 100;
    admin.call_ok("openim/importmsg", import(t_c)).await;
    admin.call_ok("openim/importmsg", import(t_c - 50)).await;
    let page = list_page(&admin, "c", 7).await;
    assert_eq!(page["SessionItem"][0]["To_Account"], "a");
    assert_eq!(page["SessionItem"][0]["MsgTime"], t_c);
}

#[tokio::test]
async fn left_and_destroyed_groups_stay_in_the_list_where_they_were() {
    let (_server, admin) = start().await;
    create_group(&admin, "Public", "stay", &["a", "b"]).await;
    create_group(&admin, "Private", "gone", &["a", "b"]).await;
    group_send(&admin, "gone", json!({})).await;
    group_send(&admin, "stay", json!({})).await;
    let time_of = |page: &Value, gid: &str| {
        page["SessionItem"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["GroupId"] == gid)
            .map(|s| s["MsgTime"].clone())
    };
    let before = list_page(&admin, "b", 7).await;
    admin
        .call_ok(
            "group_open_http_svc/delete_group_member",
            json!({"GroupId": "stay", "MemberToDel_Account": ["b"]}),
        )
        .await;
    admin
        .call_ok(
            "group_open_http_svc/destroy_group",
            json!({"GroupId": "gone"}),
        )
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    group_send(&admin, "stay", json!({})).await;
    // b keeps both, unmoved by what was sent after it left; a has the newer message.
    let after = list_page(&admin, "b", 7).await;
    let mut kept = convs(&admin, "b").await;
    kept.sort();
    assert_eq!(kept, ["2:gone:0", "2:stay:0"]);
    for gid in ["stay", "gone"] {
        assert_eq!(time_of(&after, gid), time_of(&before, gid), "{gid}");
    }
    let a = list_page(&admin, "a", 7).await;
    assert!(time_of(&a, "stay").unwrap().as_i64() > time_of(&before, "stay").unwrap().as_i64());
    assert!(
        time_of(&a, "gone").is_some(),
        "a destroyed group stays for its members"
    );
    // Deleted, it goes for good.
    admin
        .call_ok(
            DELETE,
            json!({"From_Account": "b", "Type": 2, "ToGroupid": "gone"}),
        )
        .await;
    assert_eq!(convs(&admin, "b").await, ["2:stay:0"]);
}

#[tokio::test]
async fn delete_hides_a_conversation_until_a_newer_message_and_clear_ramble_clears_one_side() {
    let (_server, admin) = start().await;
    create_group(&admin, "Public", "g", &["a", "b"]).await;
    c2c(&admin, "b", "a", json!({})).await;
    group_send(&admin, "g", json!({})).await;
    assert_eq!(convs(&admin, "a").await.len(), 2);

    let resp = admin
        .call_ok(
            DELETE,
            json!({"From_Account": "a", "Type": 1, "To_Account": "b"}),
        )
        .await;
    assert_eq!(resp["ErrorDisplay"], "");
    // The documented spelling `ToGroupid`.
    admin
        .call_ok(
            DELETE,
            json!({"From_Account": "a", "Type": 2, "ToGroupid": "g"}),
        )
        .await;
    assert!(convs(&admin, "a").await.is_empty());
    assert_eq!(
        convs(&admin, "b").await.len(),
        2,
        "the peer's list is untouched"
    );
    // History is kept without ClearRamble.
    let roam = |op: &'static str, peer: &'static str| {
        let admin = admin.clone();
        async move {
            let r = admin
                .call_ok(
                    "openim/admin_getroammsg",
                    json!({"Operator_Account": op, "Peer_Account": peer, "MaxCnt": 100, "MinTime": 0, "MaxTime": now() + 10}),
                )
                .await;
            r["MsgCnt"].as_u64().unwrap()
        }
    };
    assert_eq!(roam("a", "b").await, 1);
    // A newer message brings both back.
    c2c(&admin, "b", "a", json!({})).await;
    group_send(&admin, "g", json!({})).await;
    assert_eq!(convs(&admin, "a").await.len(), 2);
    // ClearRamble 1: a no longer sees the history, b does; other spellings of the GroupId.
    admin
        .call_ok(
            DELETE,
            json!({"From_Account": "a", "Type": 1, "To_Account": "b", "ClearRamble": 1}),
        )
        .await;
    assert_eq!(roam("a", "b").await, 0);
    assert_eq!(roam("b", "a").await, 2);
    admin
        .call_ok(
            DELETE,
            json!({"From_Account": "a", "Type": 2, "ToGroupId": "g", "ClearRamble": 1}),
        )
        .await;
    admin
        .call_ok(
            DELETE,
            json!({"From_Account": "a", "Type": 2, "GroupId": "g"}),
        )
        .await;
    assert!(convs(&admin, "a").await.is_empty());
    // Deleting what is not in the list, or an unknown peer, succeeds.
    admin
        .call_ok(
            DELETE,
            json!({"From_Account": "a", "Type": 1, "To_Account": "nobody"}),
        )
        .await;
    admin
        .call_ok(
            DELETE,
            json!({"From_Account": "a", "Type": 2, "ToGroupid": "@TGS#none"}),
        )
        .await;
}

#[tokio::test]
async fn pinned_conversations_come_first_and_at_most_50() {
    let (_server, admin) = start().await;
    create_group(&admin, "Public", "g", &["a"]).await;
    group_send(&admin, "g", json!({})).await;
    std::thread::sleep(std::time::Duration::from_millis(1100));
    c2c(&admin, "b", "a", json!({})).await;
    assert_eq!(convs(&admin, "a").await, ["1:b:0", "2:g:0"]);
    let resp = admin
        .call_ok(
            TOP,
            json!({"From_Account": "a", "OperationType": 1, "RecentContactItem": [{"Type": 2, "GroupId": "g"}]}),
        )
        .await;
    assert_eq!(resp["ErrorDisplay"], "");
    assert_eq!(convs(&admin, "a").await, ["2:g:1", "1:b:0"]);
    // Without bit 0, one section by MsgTime; TopFlag still reported.
    assert_eq!(convs_with(&admin, "a", 0).await, ["1:b:0", "2:g:1"]);
    // Pinning a conversation without traffic makes an empty one: listed with bit 1 only.
    admin
        .call_ok(
            TOP,
            json!({"From_Account": "a", "OperationType": 1, "RecentContactItem": [{"Type": 1, "To_Account": "c"}]}),
        )
        .await;
    assert_eq!(convs(&admin, "a").await, ["1:c:1", "2:g:1", "1:b:0"]);
    assert_eq!(convs_with(&admin, "a", 5).await, ["2:g:1", "1:b:0"]);
    // 50 pinned at most: the 51st refuses the call and changes nothing.
    let many: Vec<Value> = (0..48)
        .map(|i| json!({"Type": 1, "To_Account": format!("u{i}")}))
        .collect();
    admin
        .call_ok(
            TOP,
            json!({"From_Account": "a", "OperationType": 1, "RecentContactItem": many}),
        )
        .await;
    let (code, _) = admin
        .call_err(
            TOP,
            json!({"From_Account": "a", "OperationType": 1, "RecentContactItem": [{"Type": 1, "To_Account": "b"}]}),
        )
        .await;
    assert_eq!(code, 50002);
    assert_eq!(convs_with(&admin, "a", 7).await.len(), 51);
    // Unpinning (also of what is not pinned) succeeds.
    admin
        .call_ok(
            TOP,
            json!({"From_Account": "a", "OperationType": 2, "RecentContactItem": many}),
        )
        .await;
    admin
        .call_ok(
            TOP,
            json!({"From_Account": "a", "OperationType": 2, "RecentContactItem": [{"Type": 2, "GroupId": "g"}, {"Type": 1, "To_Account": "b"}]}),
        )
        .await;
    assert_eq!(convs(&admin, "a").await, ["1:c:1", "1:b:0", "2:g:0"]);
    // Deleting a pinned conversation drops its pin.
    admin
        .call_ok(
            DELETE,
            json!({"From_Account": "a", "Type": 1, "To_Account": "c"}),
        )
        .await;
    assert_eq!(convs(&admin, "a").await, ["1:b:0", "2:g:0"]);
}

#[tokio::test]
async fn contact_groups_and_marks() {
    let (_server, admin) = start().await;
    let bob = json!({"Type": 1, "To_Account": "b"});
    let grp = json!({"Type": 2, "ToGroupId": "g"});
    let resp = admin
        .call_ok(
            CREATE,
            json!({"From_Account": "a", "GroupContactItem": [{"GroupName": "work", "ContactItem": [bob, grp, {"Type": 3}]}]}),
        )
        .await;
    let r = &resp["GroupResultItem"][0];
    assert_eq!(r["GroupItem"], json!({"GroupName": "work", "GroupId": 1}));
    assert_eq!(
        r["ResultItem"][0],
        json!({"ContactItem": bob, "ResultCode": 0, "ResultInfo": ""})
    );
    assert_eq!(r["ResultItem"][1]["ContactItem"], grp);
    assert_eq!(r["ResultItem"][2]["ResultCode"], 50002);
    assert_eq!(r["ResultItem"][2]["ContactItem"], json!({"Type": 3}));
    assert_eq!(resp["ErrorDisplay"], "");
    admin
        .call_ok(
            CREATE,
            json!({"From_Account": "a", "GroupContactItem": [{"GroupName": "home", "ContactItem": []}]}),
        )
        .await;

    // Marks: clear before set; rightmost character is bit 0.
    let resp = admin
        .call_ok(
            MARK,
            json!({"From_Account": "a", "MarkItem": [
                {"OptType": 3, "ContactItem": bob, "SetMark": [0, 1, 5], "CustomMark": "vip"},
                {"OptType": 1, "ContactItem": bob, "SetMark": [1], "ClearMark": [1, 5]},
                {"OptType": 1, "ContactItem": bob, "SetMark": [64]},
                {"OptType": 9, "ContactItem": bob},
                {"OptType": 2, "ContactItem": {"Type": 1}, "CustomMark": "x"}]}),
        )
        .await;
    let codes: Vec<_> = resp["ResultItem"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["ResultCode"].as_u64().unwrap())
        .collect();
    assert_eq!(codes, [0, 0, 50002, 50002, 50002]);
    assert_eq!(resp["ResultItem"][0]["OptType"], 3);
    assert_eq!(resp["ResultItem"][0]["ContactItem"], bob);

    // update: add c to home, remove g from work, rename home.
    let resp = admin
        .call_ok(
            UPDATE,
            json!({"From_Account": "a", "UpdateType": 1, "UpdateGroup": {"UpdateGroupType": 2, "OldGroupName": "home",
                "ContactUpdateItem": [{"ContactOptType": 1, "ContactItem": {"Type": 1, "To_Account": "c"}},
                                      {"ContactOptType": 2, "ContactItem": bob},
                                      {"ContactOptType": 7, "ContactItem": bob}]}}),
        )
        .await;
    let u = &resp["UpdateGroupResult"];
    assert_eq!(resp["UpdateType"], 1);
    assert_eq!(
        (
            u["GroupName"].clone(),
            u["GroupId"].clone(),
            u["OldGroupName"].clone()
        ),
        (json!("home"), json!(2), json!("home"))
    );
    assert_eq!(u["ContactResultItem"][0]["ResultCode"], 0);
    assert_eq!(u["ContactResultItem"][0]["ContactOptType"], 1);
    assert_eq!(
        u["ContactResultItem"][1]["ResultCode"], 0,
        "removing a non-member is 0"
    );
    assert_eq!(u["ContactResultItem"][2]["ResultCode"], 50002);
    admin
        .call_ok(
            UPDATE,
            json!({"From_Account": "a", "UpdateType": 1, "UpdateGroup": {"UpdateGroupType": 2, "OldGroupName": "work",
                "ContactUpdateItem": [{"ContactOptType": 2, "ContactItem": grp}]}}),
        )
        .await;
    let resp = admin
        .call_ok(
            UPDATE,
            json!({"From_Account": "a", "UpdateType": 1, "UpdateGroup": {"UpdateGroupType": 1, "OldGroupName": "home", "NewGroupName": "family"}}),
        )
        .await;
    assert_eq!(resp["UpdateGroupResult"]["GroupName"], "family");
    assert_eq!(resp["UpdateGroupResult"]["OldGroupName"], "home");
    assert!(resp["UpdateGroupResult"].get("ContactResultItem").is_none());

    // search and get.
    let resp = admin
        .call_ok(
            SEARCH,
            json!({"From_Account": "a", "ContactItem": [bob, grp, {"Type": 1, "To_Account": "c"}]}),
        )
        .await;
    let found = resp["ContactResultItem"].as_array().unwrap();
    assert_eq!(found.len(), 2, "g has no data left: {resp}");
    assert_eq!(found[0]["To_Account"], "b");
    assert_eq!(found[0]["StandardMark"], "11");
    assert_eq!(found[0]["CustomMark"], "vip");
    assert_eq!(found[0]["ContactGroupId"], json!([1]));
    assert!(found[0]["Timestamp"].as_i64().unwrap() > 0);
    assert_eq!(found[1]["ContactGroupId"], json!([2]));
    assert!(found[1].get("CustomMark").is_none() && found[1].get("StandardMark").is_none());
    assert_eq!(
        resp["GroupItem"],
        json!([{"GroupName": "work", "GroupId": 1}, {"GroupName": "family", "GroupId": 2}])
    );
    let resp = admin
        .call_ok(GET_GROUPS, json!({"From_Account": "a", "StartIndex": 0}))
        .await;
    assert_eq!(resp["ContactItem"].as_array().unwrap().len(), 2);
    assert_eq!(resp["CompleteFlag"], 1);
    assert_eq!(resp["NextStartIndex"], 0);
    assert_eq!(resp["GroupItem"].as_array().unwrap().len(), 2);

    // get_list shows marks with bit 3; b has no traffic, so only as an empty conversation.
    assert!(convs_with(&admin, "a", 5).await.is_empty(), "bit 1 not set");
    c2c(&admin, "b", "a", json!({})).await;
    let page = list_page(&admin, "a", 15).await;
    let items = page["SessionItem"].as_array().unwrap();
    assert_eq!(items.len(), 2, "b, and c as an empty conversation: {page}");
    assert_eq!(items[0]["StandardMark"], "11");
    assert_eq!(items[0]["CustomMark"], "vip");
    assert_eq!(items[0]["ContactGroupId"], json!([1]));
    assert_eq!(items[1]["To_Account"], "c");
    assert_eq!(items[1]["MsgTime"], 0);
    let page = list_page(&admin, "a", 7).await;
    assert!(
        page["SessionItem"][0].get("StandardMark").is_none(),
        "not asked for"
    );

    // del_contact_group: the conversations leave it.
    let resp = admin
        .call_ok(
            DEL_GROUP,
            json!({"From_Account": "a", "GroupName": ["work"]}),
        )
        .await;
    assert_eq!(
        resp["GroupItem"],
        json!([{"GroupName": "work", "GroupId": 1}])
    );
    let resp = admin
        .call_ok(SEARCH, json!({"From_Account": "a", "ContactItem": [bob]}))
        .await;
    assert!(resp["ContactResultItem"][0].get("ContactGroupId").is_none());
    assert_eq!(
        resp["GroupItem"],
        json!([{"GroupName": "family", "GroupId": 2}])
    );
    // A new group never reuses an id.
    let resp = admin
        .call_ok(CREATE, json!({"From_Account": "a", "GroupContactItem": [{"GroupName": "work", "ContactItem": []}]}))
        .await;
    assert_eq!(resp["GroupResultItem"][0]["GroupItem"]["GroupId"], 3);
}

#[tokio::test]
async fn get_list_and_get_contact_group_page_with_their_cursors() {
    let (_server, admin) = start().await;
    // 250 marked conversations without traffic: empty conversations, listed with bit 1.
    for chunk in 0..3 {
        let items: Vec<Value> = (0..100)
            .map(|i| json!({"OptType": 1, "ContactItem": {"Type": 1, "To_Account": format!("p{:03}", chunk * 100 + i)}, "SetMark": [0]}))
            .take(if chunk == 2 { 50 } else { 100 })
            .collect();
        admin
            .call_ok(MARK, json!({"From_Account": "a", "MarkItem": items}))
            .await;
    }
    let mut seen = Vec::new();
    let mut body = json!({"From_Account": "a", "TimeStamp": 0, "StartIndex": 0, "TopTimeStamp": 0, "TopStartIndex": 0, "AssistFlags": 7});
    let mut pages = 0;
    loop {
        let page = admin.call_ok(LIST, body.clone()).await;
        pages += 1;
        for s in page["SessionItem"].as_array().unwrap() {
            seen.push(s["To_Account"].as_str().unwrap().to_owned());
        }
        if page["CompleteFlag"] == 1 {
            break;
        }
        for f in ["TimeStamp", "StartIndex", "TopTimeStamp", "TopStartIndex"] {
            body[f] = page[f].clone();
        }
        assert!(pages < 10);
    }
    assert_eq!(pages, 3);
    let want: Vec<String> = (0..250).map(|i| format!("p{i:03}")).collect();
    assert_eq!(seen, want);

    let mut start = 0;
    let mut got = 0;
    loop {
        let resp = admin
            .call_ok(
                GET_GROUPS,
                json!({"From_Account": "a", "StartIndex": start}),
            )
            .await;
        got += resp["ContactItem"].as_array().unwrap().len();
        if resp["CompleteFlag"] == 1 {
            assert_eq!(resp["NextStartIndex"], 0);
            break;
        }
        start = resp["NextStartIndex"].as_u64().unwrap();
    }
    assert_eq!(got, 250);
}

#[tokio::test]
async fn account_delete_removes_the_users_own_conversations_and_apps_are_apart() {
    let server = TestServer::start_with(ServerOptions {
        apps: vec![TestApp::random(), TestApp::random()],
        ..Default::default()
    })
    .await;
    let a = server.client_for(0, "administrator");
    let b = server.client_for(1, "administrator");
    import_accounts(&a, &["a", "b"]).await;
    import_accounts(&b, &["a", "b"]).await;
    c2c(&a, "b", "a", json!({})).await;
    a.call_ok(CREATE, json!({"From_Account": "a", "GroupContactItem": [{"GroupName": "work", "ContactItem": [{"Type": 1, "To_Account": "b"}]}]}))
        .await;
    assert!(
        convs(&b, "a").await.is_empty(),
        "app B sees nothing of app A"
    );
    let resp = b
        .call_ok(GET_GROUPS, json!({"From_Account": "a", "StartIndex": 0}))
        .await;
    assert_eq!(resp["GroupItem"], json!([]));

    a.call_ok(
        "im_open_login_svc/account_delete",
        json!({"DeleteItem": [{"UserID": "a"}]}),
    )
    .await;
    let (code, _) = a.call_err(LIST, json!({"From_Account": "a", "TimeStamp": 0, "StartIndex": 0, "TopTimeStamp": 0, "TopStartIndex": 0, "AssistFlags": 7})).await;
    assert_eq!(code, 50001);
    import_accounts(&a, &["a"]).await;
    assert!(
        convs_with(&a, "a", 15).await.is_empty(),
        "imported again: nothing left"
    );
    let resp = a
        .call_ok(GET_GROUPS, json!({"From_Account": "a", "StartIndex": 0}))
        .await;
    assert_eq!(resp["GroupItem"], json!([]));
    assert_eq!(
        convs(&a, "b").await,
        ["1:a:0"],
        "the peer keeps its conversation"
    );
}

#[tokio::test]
async fn every_command_answers_its_documented_errors() {
    let (_server, admin) = start().await;
    let bob = json!({"Type": 1, "To_Account": "b"});
    let list = json!({"TimeStamp": 0, "StartIndex": 0, "TopTimeStamp": 0, "TopStartIndex": 0, "AssistFlags": 7});
    // (command, a valid body without From_Account)
    let commands: Vec<(&str, Value)> = vec![
        (LIST, list.clone()),
        (DELETE, json!({"Type": 1, "To_Account": "b"})),
        (
            TOP,
            json!({"OperationType": 1, "RecentContactItem": [{"Type": 1, "To_Account": "b"}]}),
        ),
        (
            CREATE,
            json!({"GroupContactItem": [{"GroupName": "x", "ContactItem": []}]}),
        ),
        (DEL_GROUP, json!({"GroupName": ["x"]})),
        (
            UPDATE,
            json!({"UpdateType": 1, "UpdateGroup": {"UpdateGroupType": 1, "OldGroupName": "x", "NewGroupName": "y"}}),
        ),
        (SEARCH, json!({"ContactItem": [bob]})),
        (GET_GROUPS, json!({"StartIndex": 0})),
        (
            MARK,
            json!({"MarkItem": [{"OptType": 1, "ContactItem": bob, "SetMark": [0]}]}),
        ),
    ];
    for (cmd, body) in &commands {
        let with = |from: Value| {
            let mut b = body.clone();
            b["From_Account"] = from;
            b
        };
        assert_eq!(
            admin.call_err(cmd, with(json!("nobody"))).await.0,
            50001,
            "{cmd}"
        );
        assert_eq!(
            admin.call_err(cmd, body.clone()).await.0,
            50002,
            "{cmd} without From_Account"
        );
        assert_eq!(
            admin.call_err(cmd, with(json!(""))).await.0,
            50002,
            "{cmd} empty From_Account"
        );
        assert_eq!(
            admin.call_err(cmd, with(json!(7))).await.0,
            60015,
            "{cmd} numeric account"
        );
        let reply = admin.request(cmd).body("{not json").send().await;
        assert_eq!(reply.code(), 60003, "{cmd} not JSON");
        assert_eq!(
            admin.call_err(cmd, json!([1])).await.0,
            50002,
            "{cmd} an array"
        );
    }
    // Non-admin callers: 60010 (50003 is the gateway's).
    let user = _server.client_for(0, "a");
    assert_eq!(user.call_err(LIST, json!({})).await.0, 60010);
    assert_eq!(
        admin.call_err("recentcontact/nope", json!({})).await.0,
        60009
    );

    let fails = |cmd: &'static str, body: Value| {
        let admin = admin.clone();
        async move {
            let mut body = body;
            body["From_Account"] = json!("a");
            let (code, info) = admin.call_err(cmd, body.clone()).await;
            assert_eq!(code, 50002, "{cmd} {body}: {info}");
        }
    };
    // get_list: every field required, cursors not negative, fields typed.
    for f in [
        "TimeStamp",
        "StartIndex",
        "TopTimeStamp",
        "TopStartIndex",
        "AssistFlags",
    ] {
        let mut b = list.clone();
        b.as_object_mut().unwrap().remove(f);
        fails(LIST, b).await;
    }
    let mut b = list.clone();
    b["TimeStamp"] = json!(-1);
    fails(LIST, b).await;
    let mut b = list.clone();
    b["AssistFlags"] = json!("7");
    fails(LIST, b).await;
    // delete: Type, its peer field, ClearRamble.
    fails(DELETE, json!({"To_Account": "b"})).await;
    fails(DELETE, json!({"Type": 3, "To_Account": "b"})).await;
    fails(DELETE, json!({"Type": 1})).await;
    fails(DELETE, json!({"Type": 2, "To_Account": "b"})).await;
    fails(DELETE, json!({"Type": 1, "To_Account": ""})).await;
    fails(
        DELETE,
        json!({"Type": 1, "To_Account": "b", "ClearRamble": 2}),
    )
    .await;
    // top: OperationType, 1-50 well-formed items.
    fails(TOP, json!({"OperationType": 3, "RecentContactItem": [bob]})).await;
    fails(TOP, json!({"RecentContactItem": [bob]})).await;
    fails(TOP, json!({"OperationType": 1})).await;
    fails(TOP, json!({"OperationType": 1, "RecentContactItem": []})).await;
    let many: Vec<Value> = (0..51)
        .map(|i| json!({"Type": 1, "To_Account": format!("u{i}")}))
        .collect();
    fails(TOP, json!({"OperationType": 1, "RecentContactItem": many})).await;
    fails(
        TOP,
        json!({"OperationType": 1, "RecentContactItem": [{"Type": 2}]}),
    )
    .await;
    // create: exactly one group, a name of 1-32 bytes not in use; the 21st group 51008.
    fails(CREATE, json!({"GroupContactItem": []})).await;
    fails(CREATE, json!({"GroupContactItem": [{"GroupName": "a", "ContactItem": []}, {"GroupName": "b", "ContactItem": []}]})).await;
    fails(CREATE, json!({"GroupContactItem": [{"ContactItem": []}]})).await;
    fails(
        CREATE,
        json!({"GroupContactItem": [{"GroupName": "", "ContactItem": []}]}),
    )
    .await;
    fails(
        CREATE,
        json!({"GroupContactItem": [{"GroupName": "x".repeat(33), "ContactItem": []}]}),
    )
    .await;
    fails(CREATE, json!({"GroupContactItem": [{"GroupName": "a"}]})).await;
    for i in 0..20 {
        admin
            .call_ok(CREATE, json!({"From_Account": "a", "GroupContactItem": [{"GroupName": format!("g{i}"), "ContactItem": []}]}))
            .await;
    }
    fails(
        CREATE,
        json!({"GroupContactItem": [{"GroupName": "g0", "ContactItem": []}]}),
    )
    .await;
    let (code, _) = admin
        .call_err(CREATE, json!({"From_Account": "a", "GroupContactItem": [{"GroupName": "g20", "ContactItem": []}]}))
        .await;
    assert_eq!(code, 51008);
    // del: exactly one known name.
    fails(DEL_GROUP, json!({"GroupName": []})).await;
    fails(DEL_GROUP, json!({"GroupName": ["g0", "g1"]})).await;
    fails(DEL_GROUP, json!({"GroupName": ["unknown"]})).await;
    fails(DEL_GROUP, json!({})).await;
    // update: UpdateType 1, UpdateGroupType 1/2, known OldGroupName, a free NewGroupName.
    let upd = |u: Value| json!({"UpdateType": 1, "UpdateGroup": u});
    fails(UPDATE, json!({"UpdateType": 2, "UpdateGroup": {"UpdateGroupType": 1, "OldGroupName": "g0", "NewGroupName": "n"}})).await;
    fails(UPDATE, json!({"UpdateType": 1})).await;
    fails(
        UPDATE,
        upd(json!({"UpdateGroupType": 3, "OldGroupName": "g0"})),
    )
    .await;
    fails(
        UPDATE,
        upd(json!({"UpdateGroupType": 1, "OldGroupName": "nope", "NewGroupName": "n"})),
    )
    .await;
    fails(
        UPDATE,
        upd(json!({"UpdateGroupType": 1, "OldGroupName": "g0", "NewGroupName": "g1"})),
    )
    .await;
    fails(
        UPDATE,
        upd(json!({"UpdateGroupType": 1, "OldGroupName": "g0"})),
    )
    .await;
    fails(
        UPDATE,
        upd(json!({"UpdateGroupType": 1, "OldGroupName": "g0", "NewGroupName": "x".repeat(33)})),
    )
    .await;
    fails(
        UPDATE,
        upd(json!({"UpdateGroupType": 2, "OldGroupName": "g0"})),
    )
    .await;
    fails(
        UPDATE,
        upd(json!({"UpdateGroupType": 1, "NewGroupName": "n"})),
    )
    .await;
    // search: 1-300 well-formed items.
    fails(SEARCH, json!({"ContactItem": []})).await;
    fails(SEARCH, json!({"ContactItem": [{"Type": 1}]})).await;
    let many: Vec<Value> = (0..301)
        .map(|i| json!({"Type": 1, "To_Account": format!("u{i}")}))
        .collect();
    fails(SEARCH, json!({"ContactItem": many})).await;
    // get: StartIndex required.
    fails(GET_GROUPS, json!({})).await;
    fails(GET_GROUPS, json!({"StartIndex": -1})).await;
    // mark: 1-100 items.
    fails(MARK, json!({"MarkItem": []})).await;
    fails(MARK, json!({})).await;
    let many: Vec<Value> = (0..101)
        .map(|i| json!({"OptType": 1, "ContactItem": {"Type": 1, "To_Account": format!("u{i}")}, "SetMark": [0]}))
        .collect();
    fails(MARK, json!({"MarkItem": many})).await;
}

#[tokio::test]
async fn the_1000_conversation_caps_answer_51008_per_item() {
    let (_server, admin) = start().await;
    for chunk in 0..10 {
        let items: Vec<Value> = (0..100)
            .map(|i| json!({"OptType": 2, "ContactItem": {"Type": 1, "To_Account": format!("m{}", chunk * 100 + i)}, "CustomMark": "x"}))
            .collect();
        admin
            .call_ok(MARK, json!({"From_Account": "a", "MarkItem": items}))
            .await;
    }
    let resp = admin
        .call_ok(
            MARK,
            json!({"From_Account": "a", "MarkItem": [
                {"OptType": 2, "ContactItem": {"Type": 2, "ToGroupId": "one-more"}, "CustomMark": "x"},
                {"OptType": 1, "ContactItem": {"Type": 1, "To_Account": "m0"}, "SetMark": [3]}]}),
        )
        .await;
    assert_eq!(resp["ResultItem"][0]["ResultCode"], 51008);
    assert_eq!(
        resp["ResultItem"][1]["ResultCode"], 0,
        "already marked: no new place taken"
    );
    // Unmarking one frees a place.
    admin
        .call_ok(
            MARK,
            json!({"From_Account": "a", "MarkItem": [{"OptType": 3, "ContactItem": {"Type": 1, "To_Account": "m1"}, "CustomMark": ""}]}),
        )
        .await;
    let resp = admin
        .call_ok(
            MARK,
            json!({"From_Account": "a", "MarkItem": [{"OptType": 2, "ContactItem": {"Type": 2, "ToGroupId": "one-more"}, "CustomMark": "x"}]}),
        )
        .await;
    assert_eq!(resp["ResultItem"][0]["ResultCode"], 0);

    // Grouped conversations: 1 000 at most, counted apart from marks.
    let items: Vec<Value> = (0..1001)
        .map(|i| json!({"Type": 1, "To_Account": format!("g{i}")}))
        .collect();
    let resp = admin
        .call_ok(CREATE, json!({"From_Account": "a", "GroupContactItem": [{"GroupName": "big", "ContactItem": items}]}))
        .await;
    let results = resp["GroupResultItem"][0]["ResultItem"].as_array().unwrap();
    assert!(results[..1000].iter().all(|r| r["ResultCode"] == 0));
    assert_eq!(results[1000]["ResultCode"], 51008);
    let resp = admin
        .call_ok(
            UPDATE,
            json!({"From_Account": "a", "UpdateType": 1, "UpdateGroup": {"UpdateGroupType": 2, "OldGroupName": "big",
                "ContactUpdateItem": [{"ContactOptType": 1, "ContactItem": {"Type": 1, "To_Account": "g1000"}}]}}),
        )
        .await;
    assert_eq!(
        resp["UpdateGroupResult"]["ContactResultItem"][0]["ResultCode"],
        51008
    );
}

/// An app's `max_conversations` caps every list: the newest conversations stay, pinned ones
/// are kept whatever their age (recent-contacts.md §0.3, §13).
#[tokio::test]
async fn the_conversation_cap_is_the_apps_max_conversations() {
    let app = TestApp::random();
    let apps = format!(
        "[{{sdkappid = {}, key = {:?}, max_conversations = 2}}]",
        app.sdkappid, app.key
    );
    let server = TestServer::start_with(ServerOptions {
        apps: vec![app],
        env: vec![("TIMBER_APPS".into(), apps)],
        ..ServerOptions::default()
    })
    .await;
    let admin = server.client();
    import_accounts(&admin, &["a", "b", "c", "d"]).await;
    let t = now() - 100;
    for (i, peer) in ["b", "c", "d"].into_iter().enumerate() {
        let at = t + 10 * i as i64;
        admin
            .call_ok(
                "openim/importmsg",
                json!({"SyncFromOldSystem": 2, "From_Account": peer, "To_Account": "a",
                       "MsgRandom": at as u32, "MsgTimeStamp": at, "MsgBody": text("hi")}),
            )
            .await;
    }
    assert_eq!(convs(&admin, "a").await, ["1:d:0", "1:c:0"]);
    // The oldest, pinned, comes back and pushes out the oldest of the others.
    admin
        .call_ok(
            TOP,
            json!({"From_Account": "a", "OperationType": 1, "RecentContactItem": [{"Type": 1, "To_Account": "b"}]}),
        )
        .await;
    assert_eq!(convs(&admin, "a").await, ["1:b:1", "1:d:0"]);
    // b's own list has one conversation: far under the cap.
    assert_eq!(convs(&admin, "b").await, ["1:a:0"]);
}
