//! `group_open_avchatroom_http_svc` over real HTTP without members connected: the admins, the
//! empty online set, every documented refusal, the apps' feature switches (10059) and the
//! group service's rates (10049, 10006). spec: groups-more.md §7.2–§7.7, §11.1. The online
//! set with members present is tested in members.rs, which has the WebSocket client.

mod common;

use common::{import_accounts, text, Client, ServerOptions, TestApp, TestServer};
use serde_json::{json, Value};

const CREATE: &str = "group_open_http_svc/create_group";
const MEMBERS: &str = "group_open_avchatroom_http_svc/get_members";
const MARKS: &str = "group_open_avchatroom_http_svc/modify_user_info";
const MODIFY_ADMIN: &str = "group_open_avchatroom_http_svc/modify_admin";
const ADMINS: &str = "group_open_avchatroom_http_svc/get_admin_list";
const CHECK: &str = "group_open_avchatroom_http_svc/check_members";

async fn create(c: &Client, ty: &str, id: &str) {
    c.call_ok(
        CREATE,
        json!({"Type": ty, "GroupId": id, "Name": "g", "Owner_Account": "owner"}),
    )
    .await;
}

async fn code(c: &Client, path: &str, body: Value) -> u64 {
    c.call_err(path, body).await.0
}

async fn admins(c: &Client, id: &str) -> Vec<String> {
    c.call_ok(ADMINS, json!({"GroupId": id})).await["Admin_List"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["Admin_Account"].as_str().unwrap().to_owned())
        .collect()
}

fn many(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("u{i}")).collect()
}

#[tokio::test]
async fn admins_empty_online_sets_and_every_refusal() {
    let server = TestServer::start().await;
    let c = server.client();
    import_accounts(&c, &["owner", "a1", "a2", "a3", "a4", "a5", "a6"]).await;
    create(&c, "AVChatRoom", "live").await;
    create(&c, "Public", "pub").await;
    create(&c, "Community", "@TGS#_com").await;
    c.call_ok(
        "profile/portrait_set",
        json!({"From_Account": "a1", "ProfileItem": [
            {"Tag": "Tag_Profile_IM_Nick", "Value": "One"},
            {"Tag": "Tag_Profile_IM_Image", "Value": "https://x/1.png"}]}),
    )
    .await;

    // modify_admin / get_admin_list.
    assert_eq!(admins(&c, "live").await, Vec::<String>::new());
    c.call_ok(
        MODIFY_ADMIN,
        json!({"GroupId": "live", "CommandType": 1, "Admin_Account": ["a1", "a2", "a1"]}),
    )
    .await;
    let list = c.call_ok(ADMINS, json!({"GroupId": "live"})).await;
    assert_eq!(
        list["Admin_List"][0],
        json!({"Admin_Account": "a1", "NickName": "One", "Avatar": "https://x/1.png"})
    );
    assert_eq!(
        list["Admin_List"][1],
        json!({"Admin_Account": "a2", "NickName": "", "Avatar": ""})
    );
    c.call_ok(
        MODIFY_ADMIN,
        json!({"GroupId": "live", "CommandType": 1, "Admin_Account": ["a3", "a4", "a5", "a2"]}),
    )
    .await;
    assert_eq!(admins(&c, "live").await.len(), 5);
    // A sixth admin: 10004; nothing written.
    assert_eq!(
        code(
            &c,
            MODIFY_ADMIN,
            json!({"GroupId": "live", "CommandType": 1, "Admin_Account": ["a6"]})
        )
        .await,
        10004
    );
    c.call_ok(
        MODIFY_ADMIN,
        json!({"GroupId": "live", "CommandType": 2, "Admin_Account": ["a2", "never"]}),
    )
    .await;
    assert_eq!(admins(&c, "live").await, ["a1", "a3", "a4", "a5"]);
    // Room admins answer Admin in get_role_in_group, present or not; a revoked one does not.
    let roles = c
        .call_ok(
            "group_open_http_svc/get_role_in_group",
            json!({"GroupId": "live", "User_Account": ["a1", "a2"]}),
        )
        .await;
    assert_eq!(
        roles["UserIdList"],
        json!([{"Member_Account": "a1", "Role": "Admin"}, {"Member_Account": "a2", "Role": "NotMember"}])
    );
    // An account never imported: 10019.
    assert_eq!(
        code(
            &c,
            MODIFY_ADMIN,
            json!({"GroupId": "live", "CommandType": 1, "Admin_Account": ["ghost"]})
        )
        .await,
        10019
    );
    for bad in [
        json!({"GroupId": "live", "CommandType": 3, "Admin_Account": ["a6"]}),
        json!({"GroupId": "live", "Admin_Account": ["a6"]}),
        json!({"GroupId": "live", "CommandType": 1, "Admin_Account": []}),
        json!({"GroupId": "live", "CommandType": 1}),
        json!({"CommandType": 1, "Admin_Account": ["a6"]}),
    ] {
        assert_eq!(code(&c, MODIFY_ADMIN, bad).await, 10004);
    }
    assert_eq!(
        code(
            &c,
            MODIFY_ADMIN,
            json!({"GroupId": "pub", "CommandType": 1, "Admin_Account": ["a6"]})
        )
        .await,
        10007
    );
    assert_eq!(code(&c, ADMINS, json!({"GroupId": "pub"})).await, 10007);
    assert_eq!(code(&c, ADMINS, json!({"GroupId": "none"})).await, 10010);
    assert_eq!(
        code(&c, ADMINS, json!({"GroupId": "bad\u{1}id"})).await,
        10015
    );
    assert_eq!(code(&c, ADMINS, json!({})).await, 10004);

    // get_members: nobody is connected.
    let page = c
        .call_ok(MEMBERS, json!({"GroupId": "live", "Timestamp": 0}))
        .await;
    assert_eq!(
        (page["MemberList"].clone(), page["NextTimestamp"].clone()),
        (json!([]), json!(0))
    );
    // Community is in get_members' table (always empty in timber); other types are not.
    c.call_ok(MEMBERS, json!({"GroupId": "@TGS#_com", "Timestamp": 0}))
        .await;
    assert_eq!(
        code(&c, MEMBERS, json!({"GroupId": "pub", "Timestamp": 0})).await,
        10007
    );
    assert_eq!(code(&c, MEMBERS, json!({"GroupId": "live"})).await, 10004);
    assert_eq!(
        code(&c, MEMBERS, json!({"GroupId": "none", "Timestamp": 0})).await,
        10010
    );
    assert_eq!(
        code(
            &c,
            MEMBERS,
            json!({"GroupId": "bad\u{1}id", "Timestamp": 0})
        )
        .await,
        10015
    );

    // check_members.
    let v = c
        .call_ok(CHECK, json!({"GroupId": "live", "Member_Account": ["a1"]}))
        .await;
    assert_eq!(v["Member_Account"], json!([]));
    assert_eq!(
        code(&c, CHECK, json!({"GroupId": "live", "Member_Account": []})).await,
        10004
    );
    assert_eq!(code(&c, CHECK, json!({"GroupId": "live"})).await, 10004);
    assert_eq!(
        code(
            &c,
            CHECK,
            json!({"GroupId": "live", "Member_Account": many(501)})
        )
        .await,
        10005
    );
    assert_eq!(
        code(
            &c,
            CHECK,
            json!({"GroupId": "@TGS#_com", "Member_Account": ["a1"]})
        )
        .await,
        10007
    );
    assert_eq!(
        code(
            &c,
            CHECK,
            json!({"GroupId": "none", "Member_Account": ["a1"]})
        )
        .await,
        10010
    );

    // modify_user_info: only mark 500 may go to an absent user.
    let v = c
        .call_ok(
            MARKS,
            json!({"GroupId": "live", "CommandType": 1, "MemberList": [
                {"Member_Account": "a1", "Marks": [500, 1000]}]}),
        )
        .await;
    assert_eq!(v["CommandType"], 1);
    assert_eq!(
        v["MemberList"],
        json!([{"Member_Account": "a1", "Marks": [500]}])
    );
    let entry = |marks: Value| {
        json!({"GroupId": "live", "CommandType": 1, "MemberList": [
            {"Member_Account": "a1", "Marks": marks}]})
    };
    // Nobody present to take a custom mark; a mark below 1000 but 500; no marks.
    assert_eq!(code(&c, MARKS, entry(json!([1000]))).await, 10004);
    assert_eq!(code(&c, MARKS, entry(json!([999]))).await, 10004);
    assert_eq!(code(&c, MARKS, entry(json!([]))).await, 10004);
    let v = c
        .call_ok(
            MARKS,
            json!({"GroupId": "live", "CommandType": 2, "MemberList": [
                {"Member_Account": "a1", "Marks": [500]}]}),
        )
        .await;
    assert_eq!(v["CommandType"], 2);
    let big: Vec<Value> = many(501)
        .into_iter()
        .map(|a| json!({"Member_Account": a, "Marks": [500]}))
        .collect();
    assert_eq!(
        code(
            &c,
            MARKS,
            json!({"GroupId": "live", "CommandType": 1, "MemberList": big})
        )
        .await,
        10005
    );
    assert_eq!(
        code(
            &c,
            MARKS,
            json!({"GroupId": "live", "CommandType": 7, "MemberList": [
                {"Member_Account": "a1", "Marks": [500]}]})
        )
        .await,
        10004
    );
    assert_eq!(
        code(
            &c,
            MARKS,
            json!({"GroupId": "live", "CommandType": 1, "MemberList": []})
        )
        .await,
        10004
    );
    assert_eq!(
        code(
            &c,
            MARKS,
            json!({"GroupId": "pub", "CommandType": 1, "MemberList": [
                {"Member_Account": "a1", "Marks": [500]}]})
        )
        .await,
        10007
    );

    // The service is of the group family: 10003 for an unknown command, 10007 for a caller
    // who is not an app admin.
    assert_eq!(
        code(&c, "group_open_avchatroom_http_svc/nope", json!({})).await,
        10003
    );
    let user = server.client_for(0, "a1");
    assert_eq!(code(&user, ADMINS, json!({"GroupId": "live"})).await, 10007);
    // Admins are stored with the room: a room of the same ID made again has none.
    c.call_ok(
        "group_open_http_svc/destroy_group",
        json!({"GroupId": "live"}),
    )
    .await;
    create(&c, "AVChatRoom", "live").await;
    assert_eq!(admins(&c, "live").await, Vec::<String>::new());
}
common::also_on_postgres!(admins_empty_online_sets_and_every_refusal);

/// App B sees nothing of app A's room, its admins included.
#[tokio::test]
async fn another_app_sees_nothing() {
    let one = TestApp::random();
    let two = TestApp::random();
    let server = TestServer::start_with(ServerOptions {
        apps: vec![one.clone(), two.clone()],
        ..Default::default()
    })
    .await;
    let a = server.client();
    let b = server.client_for(1, &two.admin);
    import_accounts(&a, &["owner", "x"]).await;
    import_accounts(&b, &["owner", "y"]).await;
    create(&a, "AVChatRoom", "live").await;
    a.call_ok(
        MODIFY_ADMIN,
        json!({"GroupId": "live", "CommandType": 1, "Admin_Account": ["x"]}),
    )
    .await;
    assert_eq!(code(&b, ADMINS, json!({"GroupId": "live"})).await, 10010);
    assert_eq!(
        code(
            &b,
            CHECK,
            json!({"GroupId": "live", "Member_Account": ["x"]})
        )
        .await,
        10010
    );
    assert_eq!(
        code(
            &b,
            MODIFY_ADMIN,
            json!({"GroupId": "live", "CommandType": 2, "Admin_Account": ["x"]})
        )
        .await,
        10010
    );
    create(&b, "AVChatRoom", "live").await;
    assert_eq!(admins(&b, "live").await, Vec::<String>::new());
    assert_eq!(admins(&a, "live").await, ["x"]);
    // x of app one cannot be made an admin in app two, where x was never imported.
    assert_eq!(
        code(
            &b,
            MODIFY_ADMIN,
            json!({"GroupId": "live", "CommandType": 1, "Admin_Account": ["x"]})
        )
        .await,
        10019
    );
}
common::also_on_postgres!(another_app_sees_nothing);

/// `features_off` answers 10059 for each command of a feature the app lacks, before reading
/// the body; `group_rate_limits` holds attribute writes to 5 a second per group (10049) and
/// broadcasts to `broadcast_per_sec` (10006). Neither is on by default.
#[tokio::test]
async fn feature_switches_and_rates() {
    let off = TestApp::random();
    let limited = TestApp::random();
    let plain = TestApp::random();
    let server = TestServer::start_with(ServerOptions {
        config: format!(
            "{}features_off = [\"avchatroom_members\", \"broadcast\", \"group_bans\", \"group_counters\", \"message_extensions\"]\n{}group_rate_limits = true\nbroadcast_per_sec = 2\n{}",
            off.toml(&["administrator"]),
            limited.toml(&["administrator"]),
            plain.toml(&["administrator"]),
        ),
        ..Default::default()
    })
    .await;
    let client = |app: &TestApp| {
        server.client_with_sig(app.sdkappid, "administrator", &app.sig("administrator"))
    };
    let (off_c, limited_c, plain_c) = (client(&off), client(&limited), client(&plain));
    for c in [&off_c, &limited_c, &plain_c] {
        import_accounts(c, &["owner"]).await;
        create(c, "AVChatRoom", "live").await;
        create(c, "Public", "pub").await;
    }
    for command in [
        "group_open_avchatroom_http_svc/get_members",
        "group_open_avchatroom_http_svc/modify_user_info",
        "group_open_avchatroom_http_svc/modify_admin",
        "group_open_avchatroom_http_svc/get_admin_list",
        "group_open_avchatroom_http_svc/check_members",
        "group_open_http_svc/send_broadcast_msg",
        "group_open_http_svc/ban_group_member",
        "group_open_http_svc/unban_group_member",
        "group_open_http_svc/get_group_ban_member",
        "group_open_http_svc/get_group_counter",
        "group_open_http_svc/update_group_counter",
        "group_open_http_svc/delete_group_counter",
    ] {
        assert_eq!(
            code(&off_c, command, json!({"GroupId": "live"})).await,
            10059,
            "{command}"
        );
    }
    let (ext, _) = off_c
        .call_err(
            "openim_msg_ext_http_svc/group_get_key_values",
            json!({"GroupId": "pub", "MsgSeq": 1}),
        )
        .await;
    assert_eq!(ext, 10059);
    // Other commands of those services are untouched.
    off_c
        .call_ok(
            "group_open_http_svc/get_group_info",
            json!({"GroupIdList": ["live"]}),
        )
        .await;
    assert_eq!(admins(&plain_c, "live").await, Vec::<String>::new());

    // Attribute writes: 5 a second per group, set + modify + delete + clear together.
    let modify =
        |i: usize| json!({"GroupId": "pub", "GroupAttr": [{"key": format!("k{i}"), "value": "v"}]});
    let mut refused = 0;
    for i in 0..6 {
        let v = limited_c
            .call("group_open_http_svc/modify_group_attr", modify(i))
            .await;
        if v["ErrorCode"] == 10049 {
            refused += 1;
        } else {
            assert_eq!(v["ErrorCode"], 0, "{v}");
        }
    }
    assert!(refused >= 1, "the sixth write within a second is refused");
    // Another group has its own count.
    limited_c
        .call_ok(
            "group_open_http_svc/clear_group_attr",
            json!({"GroupId": "live"}),
        )
        .await;
    std::thread::sleep(std::time::Duration::from_millis(1100));
    limited_c
        .call_ok("group_open_http_svc/modify_group_attr", modify(9))
        .await;
    // Broadcasts: 2 a second here.
    let broadcast = |r: u32| json!({"Random": r, "MsgBody": text("hi")});
    let mut codes = Vec::new();
    for r in 0..3 {
        let v = limited_c
            .call("group_open_http_svc/send_broadcast_msg", broadcast(r))
            .await;
        codes.push(v["ErrorCode"].as_u64().unwrap());
    }
    assert!(codes.contains(&10006), "{codes:?}");
    assert_eq!(codes[0], 0);
    // Without the switch nothing is limited.
    for i in 0..8 {
        plain_c
            .call_ok("group_open_http_svc/modify_group_attr", modify(i))
            .await;
        plain_c
            .call_ok(
                "group_open_http_svc/send_broadcast_msg",
                broadcast(i as u32),
            )
            .await;
    }
}
