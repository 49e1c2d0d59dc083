//! `group_open_http_svc` over real HTTP, part 1: groups themselves — types, IDs, create,
//! import, destroy, list, read, modify, the type × API capability table, the admin rule and
//! tenancy. spec: groups.md §1–§4.5, §4.15, §4.17, §5.

mod common;

use common::{group_info, import_accounts, now, Client, ServerOptions, TestApp, TestServer};
use serde_json::{json, Value};

const CREATE: &str = "group_open_http_svc/create_group";
const DESTROY: &str = "group_open_http_svc/destroy_group";
const LIST: &str = "group_open_http_svc/get_appid_group_list";
const INFO: &str = "group_open_http_svc/get_group_info";
const MODIFY: &str = "group_open_http_svc/modify_group_base_info";
const IMPORT: &str = "group_open_http_svc/import_group";
const ONLINE: &str = "group_open_http_svc/get_online_member_num";
const ADD: &str = "group_open_http_svc/add_group_member";
const DELETE: &str = "group_open_http_svc/delete_group_member";
const MEMBERS: &str = "group_open_http_svc/get_group_member_info";
const MODIFY_MEMBER: &str = "group_open_http_svc/modify_group_member_info";
const JOINED: &str = "group_open_http_svc/get_joined_group_list";
const ROLES: &str = "group_open_http_svc/get_role_in_group";
const OWNER: &str = "group_open_http_svc/change_group_owner";
const FORBID: &str = "group_open_http_svc/forbid_send_msg";
const MUTED: &str = "group_open_http_svc/get_group_muted_account";
const SHUTTED: &str = "group_open_http_svc/get_group_shutted_uin";
const IMPORT_MEMBER: &str = "group_open_http_svc/import_group_member";

/// The REST type names, in the column order of the capability tables below.
const TYPES: [&str; 5] = ["Private", "Public", "ChatRoom", "AVChatRoom", "Community"];

fn member_list(users: &[&str]) -> Value {
    users.iter().map(|u| json!({"Member_Account": u})).collect()
}

/// Creates a group of type `ty` owned by `owner` with `members`; returns its ID.
async fn create(c: &Client, ty: &str, owner: &str, members: &[&str]) -> String {
    let mut body = json!({"Type": ty, "Name": "group", "Owner_Account": owner});
    if !members.is_empty() {
        body["MemberList"] = member_list(members);
    }
    let resp = c.call_ok(CREATE, body).await;
    resp["GroupId"].as_str().expect("GroupId").to_owned()
}

#[tokio::test]
async fn create_group_for_every_type_and_alias() {
    let server = TestServer::start().await;
    let c = server.client();
    import_accounts(&c, &["owner", "m1", "m2"]).await;
    // (requested Type, the name responses use, default MaxMemberNum, ApplyJoinOption shown)
    let table = [
        ("Private", "Private", 200, "DisableApply"),
        ("Work", "Private", 200, "DisableApply"),
        ("Public", "Public", 2000, "NeedPermission"),
        ("ChatRoom", "ChatRoom", 6000, "NeedPermission"),
        ("Meeting", "ChatRoom", 6000, "NeedPermission"),
        ("AVChatRoom", "AVChatRoom", 4294967295u64, "NeedPermission"),
        ("Community", "Community", 100000, "NeedPermission"),
    ];
    for (ty, shown, max, apply) in table {
        let members: &[&str] = if ty == "AVChatRoom" {
            &[]
        } else {
            &["m1", "m2"]
        };
        let id = create(&c, ty, "owner", members).await;
        let prefix = if shown == "Community" {
            "@TGS#_@TGS#"
        } else {
            "@TGS#"
        };
        assert!(
            id.starts_with(prefix) && id.len() > prefix.len() + 4,
            "{ty}: {id}"
        );
        let g = group_info(&c, &id).await;
        assert_eq!(g["ErrorCode"], 0, "{ty}");
        assert_eq!(g["Type"], shown, "{ty}");
        assert_eq!(g["Name"], "group");
        assert_eq!(g["Owner_Account"], "owner");
        assert_eq!(g["Appid"], server.apps[0].sdkappid);
        assert_eq!(g["MaxMemberNum"], max, "{ty}");
        assert_eq!(g["ApplyJoinOption"], apply, "{ty}");
        assert_eq!(g["NextMsgSeq"], 1, "{ty}: creating stores no tip");
        assert_eq!(g["InfoSeq"], 1);
        assert_eq!(g["MuteAllMember"], "Off");
        assert!((g["CreateTime"].as_i64().unwrap() - now()).abs() < 60);
        let expected_members = if ty == "AVChatRoom" { 1 } else { 3 };
        assert_eq!(g["MemberNum"], expected_members, "{ty}");
        if ty == "AVChatRoom" {
            assert_eq!(
                g["MemberList"],
                json!([]),
                "AVChatRoom keeps no member list"
            );
        } else {
            let roles: Vec<(&str, &str)> = g["MemberList"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| {
                    (
                        m["Member_Account"].as_str().unwrap(),
                        m["Role"].as_str().unwrap(),
                    )
                })
                .collect();
            assert_eq!(
                roles,
                [("m1", "Member"), ("m2", "Member"), ("owner", "Owner")]
            );
        }
    }

    // Every documented field, read back.
    let resp = c
        .call_ok(
            CREATE,
            json!({
                "Type": "Public", "Name": "full", "Owner_Account": "owner",
                "Introduction": "intro", "Notification": "notice", "FaceUrl": "http://f",
                "MaxMemberCount": 50, "ApplyJoinOption": "FreeAccess",
                "InviteJoinOption": "DisableInvite", "ShutUpAllMember": "On",
                "AppDefinedData": [{"Key": "k1", "Value": "v1"}],
                "MemberList": [{"Member_Account": "m1", "Role": "Admin",
                                "AppMemberDefinedData": [{"Key": "mk", "Value": "mv"}]}],
                "NotAField": true
            }),
        )
        .await;
    let g = group_info(&c, resp["GroupId"].as_str().unwrap()).await;
    for (field, value) in [
        ("Introduction", json!("intro")),
        ("Notification", json!("notice")),
        ("FaceUrl", json!("http://f")),
        ("MaxMemberNum", json!(50)),
        ("ApplyJoinOption", json!("FreeAccess")),
        ("InviteJoinOption", json!("DisableInvite")),
        ("MuteAllMember", json!("On")),
        ("AppDefinedData", json!([{"Key": "k1", "Value": "v1"}])),
    ] {
        assert_eq!(g[field], value, "{field}");
    }
    let m1 = &g["MemberList"][0];
    assert_eq!(m1["Member_Account"], "m1");
    assert_eq!(m1["Role"], "Admin");
    assert_eq!(
        m1["AppMemberDefinedData"],
        json!([{"Key": "mk", "Value": "mv"}])
    );
    assert_eq!(m1["MsgFlag"], "AcceptAndNotify");
    assert_eq!(m1["MuteUntil"], 0);

    // An ownerless group with no members.
    let resp = c
        .call_ok(CREATE, json!({"Type": "Public", "Name": "empty"}))
        .await;
    let g = group_info(&c, resp["GroupId"].as_str().unwrap()).await;
    assert_eq!(
        (g["Owner_Account"].clone(), g["MemberNum"].clone()),
        (json!(""), json!(0))
    );
}
common::also_on_postgres!(create_group_for_every_type_and_alias);

#[tokio::test]
async fn create_group_errors() {
    let server = TestServer::start().await;
    let c = server.client();
    import_accounts(&c, &["owner", "m1"]).await;
    let many: Vec<String> = (0..101).map(|i| format!("u{i}")).collect();
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    let table: Vec<(Value, u64)> = vec![
        (json!({"Name": "n"}), 10004),
        (json!({"Type": "BChatRoom", "Name": "n"}), 10004),
        (json!({"Type": "public", "Name": "n"}), 10004),
        (json!({"Type": "Public"}), 10004),
        (json!({"Type": "Public", "Name": ""}), 10004),
        (json!({"Type": "Public", "Name": "x".repeat(31)}), 10004),
        (
            json!({"Type": "Public", "Name": "n", "Introduction": "x".repeat(241)}),
            10004,
        ),
        (
            json!({"Type": "Public", "Name": "n", "Notification": "x".repeat(301)}),
            10004,
        ),
        (
            json!({"Type": "Public", "Name": "n", "FaceUrl": "x".repeat(101)}),
            10004,
        ),
        (
            json!({"Type": "Public", "Name": "n", "MaxMemberCount": 6001}),
            10004,
        ),
        (
            json!({"Type": "Public", "Name": "n", "MaxMemberCount": 0}),
            10004,
        ),
        (
            json!({"Type": "Public", "Name": "n", "ApplyJoinOption": "Sometimes"}),
            10004,
        ),
        (
            json!({"Type": "Public", "Name": "n", "InviteJoinOption": "Sometimes"}),
            10004,
        ),
        (
            json!({"Type": "Public", "Name": "n", "MuteAllMember": "Yes"}),
            10004,
        ),
        (
            json!({"Type": "Public", "Name": "n", "AppDefinedData": [{"Key": "bad key", "Value": "v"}]}),
            10004,
        ),
        (
            json!({"Type": "Public", "Name": "n", "Owner_Account": 42}),
            60015,
        ),
        (
            json!({"Type": "Public", "Name": "n", "Owner_Account": "ghost"}),
            10019,
        ),
        (
            json!({"Type": "Public", "Name": "n", "MemberList": member_list(&["m1", "ghost"])}),
            10019,
        ),
        (
            json!({"Type": "Public", "Name": "n", "MemberList": member_list(&many)}),
            10005,
        ),
        (
            json!({"Type": "Public", "Name": "n", "Owner_Account": "owner",
                   "MaxMemberCount": 1, "MemberList": member_list(&["m1"])}),
            10038,
        ),
        (
            json!({"Type": "AVChatRoom", "Name": "n", "MemberList": member_list(&["m1"])}),
            10007,
        ),
        (
            json!({"Type": "Public", "Name": "n", "MemberList": [{"Member_Account": "m1", "Role": "Owner"}]}),
            10004,
        ),
        (
            json!({"Type": "Work", "Name": "n", "MemberList": [{"Member_Account": "m1", "Role": "Admin"}]}),
            10007,
        ),
        (
            json!({"Type": "Public", "Name": "n", "MemberList": "m1"}),
            10004,
        ),
    ];
    for (body, expected) in table {
        let (code, info) = c.call_err(CREATE, body.clone()).await;
        assert_eq!(code, expected, "{body} → {info}");
        assert!(!info.is_empty());
    }
    let (code, _) = c.call_err(CREATE, json!(null)).await;
    assert_eq!(code, 10004, "a body that is not an object");
    let listed = c.call_ok(LIST, json!({})).await;
    assert_eq!(
        listed["TotalCount"], 0,
        "no failed request created anything"
    );
}
common::also_on_postgres!(create_group_errors);

/// A group's free text may hold any character but NUL, which PostgreSQL cannot store (it was
/// an internal error there, and kept on SQLite): create, import and modify refuse it with
/// 10004 in every text field and in custom values, and change nothing.
#[tokio::test]
async fn group_text_fields_refuse_nul() {
    let server = TestServer::start().await;
    let c = server.client();
    import_accounts(&c, &["owner"]).await;
    let id = create(&c, "Public", "owner", &[]).await;
    let before = group_info(&c, &id).await;
    let nul = json!("a\0b");
    for field in ["Name", "Introduction", "Notification", "FaceUrl"] {
        for path in [CREATE, IMPORT] {
            let mut body = json!({"Type": "Public", "Name": "n"});
            body[field] = nul.clone();
            assert_eq!(c.call_err(path, body).await.0, 10004, "{path} {field}");
        }
        let mut body = json!({"GroupId": id});
        body[field] = nul.clone();
        assert_eq!(c.call_err(MODIFY, body).await.0, 10004, "{MODIFY} {field}");
    }
    let custom = json!([{"Key": "k", "Value": nul}]);
    let (code, _) = c
        .call_err(
            CREATE,
            json!({"Type": "Public", "Name": "n", "AppDefinedData": custom}),
        )
        .await;
    assert_eq!(code, 10004);
    let (code, _) = c
        .call_err(MODIFY, json!({"GroupId": id, "AppDefinedData": custom}))
        .await;
    assert_eq!(code, 10004);
    assert_eq!(
        group_info(&c, &id).await,
        before,
        "a refused change changed the group"
    );
    assert_eq!(
        c.call_ok(LIST, json!({})).await["TotalCount"],
        1,
        "nothing created"
    );
    // Every other character is fine.
    c.call_ok(
        MODIFY,
        json!({"GroupId": id, "Introduction": "line one\nline two\ttab", "Name": "ünï 😀"}),
    )
    .await;
}
common::also_on_postgres!(group_text_fields_refuse_nul);

#[tokio::test]
async fn group_ids_generated_custom_and_never_reused() {
    let server = TestServer::start().await;
    let c = server.client();
    import_accounts(&c, &["owner", "other"]).await;

    // Custom IDs: (Type, GroupId, accepted?) — groups.md §2.
    let table = [
        ("Public", "my-group", true),
        ("Public", "with space ~!", true),
        ("Private", &*"x".repeat(48), true),
        ("Community", "@TGS#_mine", true),
        ("Public", &*"y".repeat(49), false),
        ("Public", "@TGS#abc", false),
        ("Private", "@TGS#_abc", false),
        ("Community", "mine", false),
        ("Community", "@TGS#_@TGS#x", false),
        ("Community", "@TGS#_", false),
        ("Public", "tab\there", false),
        ("Public", "ünï", false),
    ];
    for (ty, id, ok) in table {
        let body = json!({"Type": ty, "Name": "n", "GroupId": id});
        if ok {
            let resp = c.call_ok(CREATE, body).await;
            assert_eq!(resp["GroupId"], id);
            assert_eq!(group_info(&c, id).await["Type"], ty);
        } else {
            let (code, _) = c.call_err(CREATE, body).await;
            assert_eq!(code, 10015, "{ty} {id:?}");
        }
    }
    // An empty GroupId means "generate one".
    let resp = c
        .call_ok(
            CREATE,
            json!({"Type": "Public", "Name": "n", "GroupId": ""}),
        )
        .await;
    assert!(resp["GroupId"].as_str().unwrap().starts_with("@TGS#"));

    // In use: 10021, or 10025 when the requested owner already owns it.
    let body = |owner: &str| json!({"Type": "Public", "Name": "n", "GroupId": "taken", "Owner_Account": owner});
    c.call_ok(CREATE, body("owner")).await;
    assert_eq!(c.call_err(CREATE, body("other")).await.0, 10021);
    assert_eq!(c.call_err(CREATE, body("owner")).await.0, 10025);
    let no_owner = json!({"Type": "Public", "Name": "n", "GroupId": "taken"});
    assert_eq!(c.call_err(CREATE, no_owner).await.0, 10021);

    // Generated IDs are unique and never handed out again after a destroy; a custom ID may be
    // created again once its group is gone.
    let mut seen = std::collections::HashSet::new();
    for _ in 0..20 {
        let id = create(&c, "Public", "owner", &[]).await;
        assert!(seen.insert(id.clone()));
        c.call_ok(DESTROY, json!({"GroupId": id})).await;
    }
    for _ in 0..20 {
        let id = create(&c, "ChatRoom", "owner", &[]).await;
        assert!(seen.insert(id), "a generated ID came back");
    }
    c.call_ok(DESTROY, json!({"GroupId": "taken"})).await;
    c.call_ok(CREATE, body("other")).await;
    assert_eq!(group_info(&c, "taken").await["Owner_Account"], "other");
}
common::also_on_postgres!(group_ids_generated_custom_and_never_reused);

/// Every group API with a body naming `GroupId` (import_group names it as a custom ID).
fn apis_on(id: &str) -> Vec<(&'static str, Value)> {
    vec![
        (DESTROY, json!({"GroupId": id})),
        (MODIFY, json!({"GroupId": id, "Name": "n"})),
        (
            ADD,
            json!({"GroupId": id, "MemberList": member_list(&["m1"])}),
        ),
        (
            DELETE,
            json!({"GroupId": id, "MemberToDel_Account": ["m1"]}),
        ),
        (MEMBERS, json!({"GroupId": id})),
        (
            MODIFY_MEMBER,
            json!({"GroupId": id, "Member_Account": "m1", "NameCard": "c"}),
        ),
        (ROLES, json!({"GroupId": id, "User_Account": ["m1"]})),
        (OWNER, json!({"GroupId": id, "NewOwner_Account": "m1"})),
        (
            FORBID,
            json!({"GroupId": id, "Members_Account": ["m1"], "MuteTime": 60}),
        ),
        (MUTED, json!({"GroupId": id})),
        (SHUTTED, json!({"GroupId": id})),
        (
            IMPORT_MEMBER,
            json!({"GroupId": id, "MemberList": member_list(&["m1"])}),
        ),
        (ONLINE, json!({"GroupId": id})),
    ]
}

#[tokio::test]
async fn unknown_destroyed_malformed_and_missing_ids() {
    let server = TestServer::start().await;
    let c = server.client();
    import_accounts(&c, &["owner", "m1"]).await;
    let destroyed = create(&c, "Public", "owner", &["m1"]).await;
    c.call_ok(DESTROY, json!({"GroupId": destroyed})).await;
    let too_long = "z".repeat(49);
    for (id, expected) in [
        (destroyed.as_str(), 10010),
        ("never-created", 10010),
        ("@TGS#2NOSUCH", 10010),
        (too_long.as_str(), 10015),
        ("bad\u{1}id", 10015),
        ("", 10015),
    ] {
        for (api, body) in apis_on(id) {
            let (code, _) = c.call_err(api, body).await;
            assert_eq!(code, expected, "{api} on {id:?}");
        }
        let entry = group_info(&c, id).await;
        assert_eq!(entry["GroupId"], id);
        assert_eq!(entry["ErrorCode"], expected, "get_group_info on {id:?}");
        assert!(entry.get("Name").is_none());
    }
    for (api, mut body) in apis_on("x") {
        body.as_object_mut().unwrap().remove("GroupId");
        assert_eq!(
            c.call_err(api, body).await.0,
            10004,
            "{api} without GroupId"
        );
    }
    // The destroyed group's member sees no trace of it.
    let joined = c.call_ok(JOINED, json!({"Member_Account": "m1"})).await;
    assert_eq!(joined["TotalCount"], 0);
}
common::also_on_postgres!(unknown_destroyed_malformed_and_missing_ids);

#[tokio::test]
async fn get_appid_group_list_pages_through_every_group() {
    let server = TestServer::start_with(ServerOptions {
        apps: vec![TestApp::random(), TestApp::random()],
        ..Default::default()
    })
    .await;
    let c = server.client();
    let other = server.client_for(1, "administrator");
    let mut created = Vec::new();
    for i in 0..23 {
        let ty = if i % 4 == 0 { "Community" } else { "Public" };
        let resp = c
            .call_ok(CREATE, json!({"Type": ty, "Name": format!("g{i}")}))
            .await;
        created.push(resp["GroupId"].as_str().unwrap().to_owned());
    }
    other
        .call_ok(CREATE, json!({"Type": "Public", "Name": "b"}))
        .await;
    c.call_ok(DESTROY, json!({"GroupId": created.remove(5)}))
        .await;

    let mut seen = Vec::new();
    let mut next = json!(0);
    let mut pages = 0;
    loop {
        let resp = c.call_ok(LIST, json!({"Limit": 5, "Next": next})).await;
        assert_eq!(resp["TotalCount"], 22, "TotalCount ignores Limit/Next");
        let page = resp["GroupIdList"].as_array().unwrap();
        assert!(page.len() <= 5);
        seen.extend(
            page.iter()
                .map(|g| g["GroupId"].as_str().unwrap().to_owned()),
        );
        pages += 1;
        next = resp["Next"].clone();
        assert!(next.is_u64());
        if next == 0 {
            break;
        }
    }
    assert_eq!(pages, 5);
    assert_eq!(seen, created, "each live group once, in a stable order");

    // Without Limit: everything at once.
    let all = c.call_ok(LIST, json!({})).await;
    assert_eq!(all["GroupIdList"].as_array().unwrap().len(), 22);
    assert_eq!(all["Next"], 0);
    // Type filter (newer names too), BChatRoom (never created), bad values.
    let communities = c.call_ok(LIST, json!({"GroupType": "Community"})).await;
    assert_eq!(communities["TotalCount"], 6);
    let work = c.call_ok(LIST, json!({"GroupType": "Work"})).await;
    assert_eq!(work["TotalCount"], 0);
    let b = c.call_ok(LIST, json!({"GroupType": "BChatRoom"})).await;
    assert_eq!(
        (b["TotalCount"].clone(), b["GroupIdList"].clone()),
        (json!(0), json!([]))
    );
    assert_eq!(
        c.call_err(LIST, json!({"GroupType": "Nope"})).await.0,
        10004
    );
    assert_eq!(c.call_err(LIST, json!({"Limit": 10001})).await.0, 10004);
    assert_eq!(c.call_err(LIST, json!({"Next": -1})).await.0, 10004);
    // The other app sees only its own group.
    let theirs = other.call_ok(LIST, json!({})).await;
    assert_eq!(theirs["TotalCount"], 1);
}
common::also_on_postgres!(get_appid_group_list_pages_through_every_group);

/// `Next` is a cursor the server gave (0 to start): anything else — garbage, huge, a real one
/// changed by one, another app's — is 10004 (issue 23), not an empty or arbitrary page.
#[tokio::test]
async fn get_appid_group_list_refuses_a_next_it_did_not_give() {
    let server = TestServer::start_with(ServerOptions {
        apps: vec![TestApp::random(), TestApp::random()],
        ..Default::default()
    })
    .await;
    let c = server.client();
    let other = server.client_for(1, "administrator");
    for i in 0..3 {
        c.call_ok(CREATE, json!({"Type": "Public", "Name": format!("g{i}")}))
            .await;
        other
            .call_ok(CREATE, json!({"Type": "Public", "Name": format!("o{i}")}))
            .await;
    }
    let first = c.call_ok(LIST, json!({"Limit": 1})).await;
    let next = first["Next"].as_u64().expect("a Next after the first page");
    assert_ne!(next, 0);
    // The cursor it gave works, from any page size.
    let rest = c.call_ok(LIST, json!({"Limit": 5, "Next": next})).await;
    assert_eq!(rest["GroupIdList"].as_array().unwrap().len(), 2);
    assert_eq!(rest["Next"], 0);

    let mut refused = vec![
        json!(1),
        json!(2),
        json!(12345),
        json!(next + 1),
        json!(next - 1),
        json!(next ^ (1 << 20)),
        json!(next * 2),
        json!(1u64 << 53),
        json!(i64::MAX),
        json!(u64::MAX),
    ];
    refused.extend((1..=3).map(|k| json!(next.wrapping_mul(1_000_003).wrapping_add(k))));
    for bad in refused {
        let (code, info) = c.call_err(LIST, json!({"Limit": 1, "Next": bad})).await;
        assert_eq!(code, 10004, "Next {bad}: {info}");
        assert!(info.contains("Next"), "Next {bad}: {info}");
    }
    // Another app's cursor is not this app's.
    let theirs = other.call_ok(LIST, json!({"Limit": 1})).await["Next"].clone();
    assert_eq!(c.call_err(LIST, json!({"Next": theirs})).await.0, 10004);
    assert_eq!(other.call_err(LIST, json!({"Next": next})).await.0, 10004);
}
common::also_on_postgres!(get_appid_group_list_refuses_a_next_it_did_not_give);

#[tokio::test]
async fn get_group_info_filters_and_per_entry_errors() {
    let server = TestServer::start().await;
    let c = server.client();
    import_accounts(&c, &["owner", "m1"]).await;
    let resp = c
        .call_ok(
            CREATE,
            json!({"Type": "Public", "Name": "f", "Owner_Account": "owner",
                   "AppDefinedData": [{"Key": "k1", "Value": "1"}, {"Key": "k2", "Value": "2"}],
                   "MemberList": [{"Member_Account": "m1",
                                   "AppMemberDefinedData": [{"Key": "a", "Value": "x"}, {"Key": "b", "Value": "y"}]}]}),
        )
        .await;
    let id = resp["GroupId"].as_str().unwrap().to_owned();
    c.call_ok(
        FORBID,
        json!({"GroupId": id, "Members_Account": ["m1"], "MuteTime": 600}),
    )
    .await;

    // Entries come in request order, errors inside the entries.
    let resp = c
        .call_ok(INFO, json!({"GroupIdList": ["nope", id, "@TGS#bad\u{7f}"]}))
        .await;
    let entries = resp["GroupInfo"].as_array().unwrap();
    let codes: Vec<&Value> = entries.iter().map(|e| &e["ErrorCode"]).collect();
    assert_eq!(codes, [&json!(10010), &json!(0), &json!(10015)]);
    assert_eq!(entries[1]["GroupId"], id);

    let filtered = |filter: Value| {
        let c = c.clone();
        let id = id.clone();
        async move {
            let resp = c
                .call_ok(INFO, json!({"GroupIdList": [id], "ResponseFilter": filter}))
                .await;
            let mut entry = resp["GroupInfo"][0].clone();
            for always in ["GroupId", "ErrorCode", "ErrorInfo"] {
                assert!(entry.get(always).is_some(), "{always} is always there");
                entry.as_object_mut().unwrap().remove(always);
            }
            entry
        }
    };
    let e =
        filtered(json!({"GroupBaseInfoFilter": ["Name", "MemberNum", "ShutUpAllMember"]})).await;
    assert_eq!(
        e,
        json!({"Name": "f", "MemberNum": 2, "ShutUpAllMember": "Off"})
    );

    let e =
        filtered(json!({"GroupBaseInfoFilter": ["Type"], "AppDefinedDataFilter_Group": ["k2"]}))
            .await;
    assert_eq!(
        e,
        json!({"Type": "Public", "AppDefinedData": [{"Key": "k2", "Value": "2"}]})
    );

    let e = filtered(json!({
        "GroupBaseInfoFilter": ["Name"],
        "MemberInfoFilter": ["Role", "ShutUpUntil"],
        "AppDefinedDataFilter_GroupMember": ["b"]
    }))
    .await;
    let members = e["MemberList"].as_array().unwrap();
    assert_eq!(members.len(), 2);
    let m1 = members
        .iter()
        .find(|m| m["Member_Account"] == "m1")
        .unwrap();
    let until = m1["ShutUpUntil"].as_i64().unwrap();
    assert!((until - now() - 600).abs() < 60, "{m1}");
    assert_eq!(m1["Role"], "Member");
    assert_eq!(
        m1["AppMemberDefinedData"],
        json!([{"Key": "b", "Value": "y"}])
    );
    assert_eq!(m1.as_object().unwrap().len(), 4, "{m1}");

    // A filter without member filters leaves the members out; base fields come whole.
    let e = filtered(json!({"AppDefinedDataFilter_Group": ["k1"]})).await;
    assert!(e.get("MemberList").is_none());
    assert_eq!(e["Name"], "f");
    assert_eq!(e["AppDefinedData"], json!([{"Key": "k1", "Value": "1"}]));

    let many: Vec<String> = (0..51).map(|i| format!("g{i}")).collect();
    assert_eq!(
        c.call_err(INFO, json!({"GroupIdList": many})).await.0,
        10005
    );
    assert_eq!(c.call_err(INFO, json!({"GroupIdList": []})).await.0, 10004);
    assert_eq!(c.call_err(INFO, json!({})).await.0, 10004);
}
common::also_on_postgres!(get_group_info_filters_and_per_entry_errors);

#[tokio::test]
async fn modify_group_base_info_changes_fields_and_stores_profile_tips() {
    let server = TestServer::start().await;
    let c = server.client();
    import_accounts(&c, &["owner", "m1", "m2"]).await;
    let id = create(&c, "Public", "owner", &["m1", "m2"]).await;
    c.call_ok(
        MODIFY,
        json!({"GroupId": id, "Name": "renamed", "Introduction": "i", "Notification": "n",
               "FaceUrl": "http://x", "MaxMemberNum": 3, "ApplyJoinOption": "DisableApply",
               "InviteJoinOption": "FreeAccess", "MuteAllMember": "On",
               "HistoryMsgBeforeJoin": "On", "From_Account": "m1",
               "AppDefinedData": [{"Key": "k", "Value": "v"}]}),
    )
    .await;
    let g = group_info(&c, &id).await;
    for (field, value) in [
        ("Name", json!("renamed")),
        ("Introduction", json!("i")),
        ("Notification", json!("n")),
        ("FaceUrl", json!("http://x")),
        ("MaxMemberNum", json!(3)),
        ("ApplyJoinOption", json!("DisableApply")),
        ("InviteJoinOption", json!("FreeAccess")),
        ("MuteAllMember", json!("On")),
        ("AppDefinedData", json!([{"Key": "k", "Value": "v"}])),
        ("InfoSeq", json!(2)),
        ("NextMsgSeq", json!(2)),
    ] {
        assert_eq!(g[field], value, "{field}");
    }
    assert!((g["LastInfoTime"].as_i64().unwrap() - now()).abs() < 60);

    // Mute-all and the custom fields alone: InfoSeq moves, no stored tip; "" deletes a key.
    c.call_ok(
        MODIFY,
        json!({"GroupId": id, "ShutUpAllMember": "Off", "AppDefinedData": [{"Key": "k", "Value": ""}]}),
    )
    .await;
    let g = group_info(&c, &id).await;
    assert_eq!(
        (
            g["MuteAllMember"].clone(),
            g["InfoSeq"].clone(),
            g["NextMsgSeq"].clone()
        ),
        (json!("Off"), json!(3), json!(2))
    );
    assert_eq!(g["AppDefinedData"], json!([]));

    let errors: Vec<(Value, u64)> = vec![
        (json!({"Name": ""}), 10004),
        (json!({"Name": "x".repeat(31)}), 10004),
        (json!({"Introduction": "x".repeat(241)}), 10004),
        (json!({"Notification": "x".repeat(301)}), 10004),
        (json!({"FaceUrl": "x".repeat(101)}), 10004),
        (json!({"MaxMemberNum": 2}), 10004),
        (json!({"MaxMemberNum": 6001}), 10004),
        (json!({"ApplyJoinOption": "Maybe"}), 10004),
        (json!({"InviteJoinOption": "Maybe"}), 10004),
        (json!({"MuteAllMember": "on"}), 10004),
        (json!({"HistoryMsgBeforeJoin": "Yes"}), 10004),
        (
            json!({"AppDefinedData": [{"Key": "k-1", "Value": "v"}]}),
            10004,
        ),
        (
            json!({"AppDefinedData": [{"Key": "k", "Value": "v".repeat(513)}]}),
            10004,
        ),
        (json!({"From_Account": "ghost", "Name": "x"}), 10019),
        (json!({"From_Account": 7}), 60015),
    ];
    for (mut body, expected) in errors {
        body["GroupId"] = json!(id);
        let (code, _) = c.call_err(MODIFY, body.clone()).await;
        assert_eq!(code, expected, "{body}");
    }
    assert_eq!(
        group_info(&c, &id).await["InfoSeq"],
        3,
        "failed requests change nothing"
    );
}
common::also_on_postgres!(modify_group_base_info_changes_fields_and_stores_profile_tips);

/// One row of the capability table: an API call on a prepared group of each type, and the
/// answer per type in `TYPES` order (0 = success). spec: groups.md §1.2–§1.4.
struct Capability {
    what: &'static str,
    api: &'static str,
    body: fn(&str, &str) -> Value,
    expect: [u64; 5],
}

#[tokio::test]
async fn capability_table_type_by_api() {
    let server = TestServer::start().await;
    let c = server.client();
    import_accounts(&c, &["owner", "m1", "m2"]).await;
    let table = [
        Capability {
            what: "create with MemberList",
            api: CREATE,
            body: |_, ty| json!({"Type": ty, "Name": "n", "MemberList": member_list(&["m2"])}),
            expect: [0, 0, 0, 10007, 0],
        },
        Capability {
            what: "add a member",
            api: ADD,
            body: |id, _| json!({"GroupId": id, "MemberList": member_list(&["m2"])}),
            expect: [0, 0, 0, 10007, 0],
        },
        Capability {
            what: "remove a member",
            api: DELETE,
            body: |id, _| json!({"GroupId": id, "MemberToDel_Account": ["m1"]}),
            expect: [0, 0, 0, 10004, 0],
        },
        Capability {
            what: "change owner",
            api: OWNER,
            body: |id, _| json!({"GroupId": id, "NewOwner_Account": "m1"}),
            expect: [0, 0, 0, 10007, 0],
        },
        Capability {
            what: "mute",
            api: FORBID,
            body: |id, _| json!({"GroupId": id, "Members_Account": ["m1"], "MuteTime": 60}),
            expect: [10007, 0, 0, 0, 0],
        },
        Capability {
            what: "mute through member info",
            api: MODIFY_MEMBER,
            body: |id, _| json!({"GroupId": id, "Member_Account": "owner", "MuteTime": 60}),
            expect: [10007, 0, 0, 0, 0],
        },
        Capability {
            what: "appoint an admin",
            api: MODIFY_MEMBER,
            body: |id, _| json!({"GroupId": id, "Member_Account": "m1", "Role": "Admin"}),
            // AVChatRoom: m1 cannot be a member there (and ordinary members' records are refused).
            expect: [10007, 0, 0, 10007, 0],
        },
        Capability {
            what: "import a group",
            api: IMPORT,
            body: |_, ty| json!({"Type": ty, "Name": "n"}),
            expect: [0, 0, 0, 10007, 0],
        },
        Capability {
            what: "import a member",
            api: IMPORT_MEMBER,
            body: |id, _| json!({"GroupId": id, "MemberList": member_list(&["m2"])}),
            expect: [0, 0, 0, 10007, 0],
        },
        Capability {
            what: "online member count",
            api: ONLINE,
            body: |id, _| json!({"GroupId": id}),
            expect: [10007, 10007, 10007, 0, 10007],
        },
        Capability {
            what: "HistoryMsgBeforeJoin",
            api: MODIFY,
            body: |id, _| json!({"GroupId": id, "HistoryMsgBeforeJoin": "On"}),
            expect: [0, 0, 0, 10007, 10007],
        },
        Capability {
            what: "MaxMemberNum (ignored by AVChatRoom)",
            api: MODIFY,
            body: |id, _| json!({"GroupId": id, "MaxMemberNum": 100}),
            expect: [0, 0, 0, 0, 0],
        },
        Capability {
            what: "member list",
            api: MEMBERS,
            body: |id, _| json!({"GroupId": id}),
            expect: [0, 0, 0, 0, 0],
        },
        Capability {
            what: "roles",
            api: ROLES,
            body: |id, _| json!({"GroupId": id, "User_Account": ["owner", "m1"]}),
            expect: [0, 0, 0, 0, 0],
        },
        Capability {
            what: "muted list",
            api: MUTED,
            body: |id, _| json!({"GroupId": id}),
            expect: [0, 0, 0, 0, 0],
        },
        Capability {
            what: "destroy",
            api: DESTROY,
            body: |id, _| json!({"GroupId": id}),
            expect: [0, 0, 0, 0, 0],
        },
    ];
    for row in &table {
        for (ty, expected) in TYPES.iter().zip(row.expect) {
            // A fresh group per cell: owner, plus member m1 where the type allows members.
            let members: &[&str] = if *ty == "AVChatRoom" { &[] } else { &["m1"] };
            let id = create(&c, ty, "owner", members).await;
            let resp = c.call(row.api, (row.body)(&id, ty)).await;
            assert_eq!(resp["ErrorCode"], expected, "{} on {ty}: {resp}", row.what);
        }
    }
    // The extra answers of the supported cells.
    let av = create(&c, "AVChatRoom", "owner", &[]).await;
    let online = c.call_ok(ONLINE, json!({"GroupId": av})).await;
    assert_eq!(online["OnlineMemberNum"], 0);
    c.call_ok(MODIFY, json!({"GroupId": av, "MaxMemberNum": 10}))
        .await;
    assert_eq!(group_info(&c, &av).await["MaxMemberNum"], 4294967295u64);
}
common::also_on_postgres!(capability_table_type_by_api);

#[tokio::test]
async fn import_group_keeps_its_create_time_and_adds_no_tip() {
    let server = TestServer::start().await;
    let c = server.client();
    import_accounts(&c, &["owner"]).await;
    let resp = c
        .call_ok(
            IMPORT,
            json!({"Type": "Community", "GroupId": "@TGS#_old", "Name": "old", "Owner_Account": "owner",
                   "CreateTime": 1_500_000_000, "Introduction": "i", "MaxMemberCount": 3000}),
        )
        .await;
    assert_eq!(resp["GroupId"], "@TGS#_old");
    let g = group_info(&c, "@TGS#_old").await;
    assert_eq!(g["CreateTime"], 1_500_000_000);
    assert_eq!(g["MemberList"][0]["JoinTime"], 1_500_000_000);
    assert_eq!(
        (g["NextMsgSeq"].clone(), g["MaxMemberNum"].clone()),
        (json!(1), json!(3000))
    );
    let generated = c
        .call_ok(IMPORT, json!({"Type": "Meeting", "Name": "m"}))
        .await;
    let id = generated["GroupId"].as_str().unwrap();
    assert_eq!(group_info(&c, id).await["Type"], "ChatRoom");
    assert!((group_info(&c, id).await["CreateTime"].as_i64().unwrap() - now()).abs() < 60);

    for (body, expected) in [
        (
            json!({"Type": "Public", "Name": "n", "CreateTime": now() + 3600}),
            10004,
        ),
        (
            json!({"Type": "Public", "Name": "n", "CreateTime": -1}),
            10004,
        ),
        (
            json!({"Type": "Community", "Name": "n", "GroupId": "plain"}),
            10015,
        ),
        (
            json!({"Type": "Community", "Name": "n", "GroupId": "@TGS#_old"}),
            10021,
        ),
        (
            json!({"Type": "Community", "Name": "n", "GroupId": "@TGS#_old", "Owner_Account": "owner"}),
            10025,
        ),
        (
            json!({"Type": "Public", "Name": "n", "Owner_Account": "ghost"}),
            10019,
        ),
        (json!({"Type": "AVChatRoom", "Name": "n"}), 10007),
        (json!({"Name": "n"}), 10004),
    ] {
        assert_eq!(c.call_err(IMPORT, body.clone()).await.0, expected, "{body}");
    }
}
common::also_on_postgres!(import_group_keeps_its_create_time_and_adds_no_tip);

#[tokio::test]
async fn only_app_admins_may_call_and_the_group_service_says_10007() {
    let server = TestServer::start().await;
    let admin = server.client();
    import_accounts(&admin, &["alice"]).await;
    let id = create(&admin, "Public", "alice", &[]).await;
    let alice = server.client_for(0, "alice");
    for (api, body) in apis_on(&id).into_iter().chain([
        (CREATE, json!({"Type": "Public", "Name": "n"})),
        (LIST, json!({})),
    ]) {
        let (code, _) = alice.call_err(api, body).await;
        assert_eq!(code, 10007, "{api} as a non-admin");
    }
    // Other services keep the gateway's 60010.
    let (code, _) = alice
        .call_err(
            "im_open_login_svc/account_check",
            json!({"CheckItem": [{"UserID": "alice"}]}),
        )
        .await;
    assert_eq!(code, 60010);
    // Nothing changed.
    assert_eq!(group_info(&admin, &id).await["ErrorCode"], 0);
}
common::also_on_postgres!(only_app_admins_may_call_and_the_group_service_says_10007);

#[tokio::test]
async fn one_app_can_neither_see_nor_change_another_apps_groups() {
    let server = TestServer::start_with(ServerOptions {
        apps: vec![TestApp::random(), TestApp::random()],
        ..Default::default()
    })
    .await;
    let a = server.client();
    let b = server.client_for(1, "administrator");
    import_accounts(&a, &["owner", "m1"]).await;
    import_accounts(&b, &["owner", "m1"]).await;
    let generated = create(&a, "Public", "owner", &["m1"]).await;
    a.call_ok(
        CREATE,
        json!({"Type": "Public", "Name": "A", "GroupId": "shared", "Owner_Account": "owner"}),
    )
    .await;

    for id in [generated.as_str(), "shared"] {
        assert_eq!(
            group_info(&b, id).await["ErrorCode"],
            10010,
            "{id} is invisible to app B"
        );
        for (api, body) in apis_on(id) {
            assert_eq!(b.call_err(api, body).await.0, 10010, "app B: {api} on {id}");
        }
    }
    // B may use the same custom ID for its own, separate group.
    b.call_ok(
        CREATE,
        json!({"Type": "Private", "Name": "B", "GroupId": "shared"}),
    )
    .await;
    assert_eq!(group_info(&b, "shared").await["Type"], "Private");
    let g = group_info(&a, "shared").await;
    assert_eq!(
        (g["Type"].clone(), g["Name"].clone(), g["MemberNum"].clone()),
        (json!("Public"), json!("A"), json!(1))
    );
    let g = group_info(&a, &generated).await;
    assert_eq!(
        (g["MemberNum"].clone(), g["InfoSeq"].clone()),
        (json!(2), json!(1))
    );
    let joined = b.call_ok(JOINED, json!({"Member_Account": "m1"})).await;
    assert_eq!(joined["TotalCount"], 0);
    assert_eq!(b.call_ok(LIST, json!({})).await["TotalCount"], 1);
    assert_eq!(a.call_ok(LIST, json!({})).await["TotalCount"], 2);
}
common::also_on_postgres!(one_app_can_neither_see_nor_change_another_apps_groups);
