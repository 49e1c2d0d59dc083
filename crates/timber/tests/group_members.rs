//! `group_open_http_svc` over real HTTP, part 2: members — add, import, remove, list and page,
//! change, roles, ownership, mutes, the groups a user joined, and the MsgSeq taken by stored
//! tips. spec: groups.md §4.6–§4.16, §6; group-messages.md §1.

mod common;

use common::{group_info, import_accounts, next_msg_seq, now, Client, TestServer};
use serde_json::{json, Value};

const CREATE: &str = "group_open_http_svc/create_group";
const DESTROY: &str = "group_open_http_svc/destroy_group";
const MODIFY: &str = "group_open_http_svc/modify_group_base_info";
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

fn names(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}{i:04}")).collect()
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

fn member_list<S: AsRef<str>>(users: &[S]) -> Value {
    users
        .iter()
        .map(|u| json!({"Member_Account": u.as_ref()}))
        .collect()
}

async fn create(c: &Client, ty: &str, owner: &str, members: &[&str]) -> String {
    let mut body = json!({"Type": ty, "Name": "group", "Owner_Account": owner});
    if !members.is_empty() {
        body["MemberList"] = member_list(members);
    }
    let resp = c.call_ok(CREATE, body).await;
    resp["GroupId"].as_str().expect("GroupId").to_owned()
}

/// (account, role) of every member get_role_in_group reports for `users`.
async fn roles(c: &Client, id: &str, users: &[&str]) -> Vec<(String, String)> {
    let resp = c
        .call_ok(ROLES, json!({"GroupId": id, "User_Account": users}))
        .await;
    resp["UserIdList"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            (
                u["Member_Account"].as_str().unwrap().to_owned(),
                u["Role"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
    v.iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect()
}

#[tokio::test]
async fn add_group_member_results_limits_and_errors() {
    let server = TestServer::start().await;
    let c = server.client();
    import_accounts(&c, &strings(&["owner", "a", "b", "c"])).await;
    let id = create(&c, "Public", "owner", &["a"]).await;
    let resp = c
        .call_ok(
            ADD,
            json!({"GroupId": id, "MemberList": member_list(&["b", "a", "b", "owner"])}),
        )
        .await;
    assert_eq!(
        resp["MemberList"],
        json!([
            {"Member_Account": "b", "Result": 1},
            {"Member_Account": "a", "Result": 2},
            {"Member_Account": "b", "Result": 2},
            {"Member_Account": "owner", "Result": 2}
        ])
    );
    assert_eq!(group_info(&c, &id).await["MemberNum"], 3);

    // A full group takes nobody (10014); unknown accounts refuse the whole request (10019).
    c.call_ok(MODIFY, json!({"GroupId": id, "MaxMemberNum": 4}))
        .await;
    let (code, _) = c
        .call_err(
            ADD,
            json!({"GroupId": id, "MemberList": member_list(&["c", "ghost"])}),
        )
        .await;
    assert_eq!(code, 10019);
    c.call_ok(MODIFY, json!({"GroupId": id, "MaxMemberNum": 3}))
        .await;
    let (code, _) = c
        .call_err(
            ADD,
            json!({"GroupId": id, "MemberList": member_list(&["c"])}),
        )
        .await;
    assert_eq!(code, 10014);
    assert_eq!(group_info(&c, &id).await["MemberNum"], 3);

    let many = names("u", 301);
    for (body, expected) in [
        (json!({"GroupId": id}), 10004),
        (json!({"GroupId": id, "MemberList": []}), 10004),
        (
            json!({"GroupId": id, "MemberList": member_list(&many)}),
            10005,
        ),
        (
            json!({"GroupId": id, "MemberList": [{"Member_Account": 5}]}),
            60015,
        ),
        (json!({"GroupId": id, "MemberList": [{}]}), 10004),
    ] {
        assert_eq!(c.call_err(ADD, body.clone()).await.0, expected, "{body}");
    }
}
common::also_on_postgres!(add_group_member_results_limits_and_errors);

#[tokio::test]
async fn delete_group_member_ignores_strangers_and_keeps_the_owner() {
    let server = TestServer::start().await;
    let c = server.client();
    import_accounts(&c, &strings(&["owner", "a", "b"])).await;
    let id = create(&c, "Community", "owner", &["a", "b"]).await;
    c.call_ok(
        DELETE,
        json!({"GroupId": id, "MemberToDel_Account": ["a", "stranger"], "Reason": "bye"}),
    )
    .await;
    assert_eq!(
        roles(&c, &id, &["owner", "a", "b"]).await,
        pairs(&[("owner", "Owner"), ("a", "NotMember"), ("b", "Member")])
    );
    assert_eq!(group_info(&c, &id).await["MemberNum"], 2);
    let many = names("u", 101);
    for (body, expected) in [
        (
            json!({"GroupId": id, "MemberToDel_Account": ["b", "owner"]}),
            10007,
        ),
        (json!({"GroupId": id, "MemberToDel_Account": []}), 10004),
        (json!({"GroupId": id}), 10004),
        (json!({"GroupId": id, "MemberToDel_Account": many}), 10005),
        (json!({"GroupId": id, "MemberToDel_Account": [3]}), 60015),
    ] {
        assert_eq!(c.call_err(DELETE, body.clone()).await.0, expected, "{body}");
    }
    assert_eq!(
        group_info(&c, &id).await["MemberNum"],
        2,
        "nothing removed by a refused call"
    );
}
common::also_on_postgres!(delete_group_member_ignores_strangers_and_keeps_the_owner);

/// A Community member page's `Next` is a cursor the server gave for this group ("" to start):
/// garbage, a bare UserID, a changed cursor or another group's is 10004 (issue 23), not an
/// empty page. Other types take no cursor, so any non-empty `Next` there is refused too.
#[tokio::test]
async fn member_pages_refuse_a_next_they_did_not_give() {
    let server = TestServer::start().await;
    let c = server.client();
    let users = names("user", 5);
    import_accounts(&c, &users).await;
    let refs: Vec<&str> = users.iter().map(String::as_str).collect();
    let community = create(&c, "Community", refs[0], &refs[1..]).await;
    let other = create(&c, "Community", refs[0], &refs[1..]).await;
    let public = create(&c, "Public", refs[0], &refs[1..]).await;

    let page = |id: &str, next: Value| json!({"GroupId": id, "Limit": 2, "Next": next});
    let first = c.call_ok(MEMBERS, page(&community, json!(""))).await;
    let next = first["Next"].as_str().expect("a Next").to_owned();
    assert_ne!(next, "");
    let second = c.call_ok(MEMBERS, page(&community, json!(next))).await;
    assert_eq!(second["MemberList"][0]["Member_Account"], refs[2]);
    // No Next (or null) starts from the first member, as "" does.
    for start in [
        json!({"GroupId": community, "Limit": 2}),
        page(&community, Value::Null),
    ] {
        let resp = c.call_ok(MEMBERS, start).await;
        assert_eq!(resp["MemberList"], first["MemberList"]);
    }

    let theirs = c.call_ok(MEMBERS, page(&other, json!(""))).await["Next"].clone();
    let mut changed = next.clone().into_bytes();
    changed[3] = if changed[3] == b'0' { b'1' } else { b'0' };
    let refused = [
        json!("garbage"),
        json!("zzzzzzzz"),
        json!(refs[1]),
        json!(refs[4]),
        json!(String::from_utf8(changed).unwrap()),
        // Upper-case hex: the cursor's own letters may all be digits, so force one.
        json!(format!("A{}", &next[1..].to_uppercase())),
        json!(format!("{next}00")),
        json!(&next[..next.len() - 2]),
        json!("0".repeat(40)),
        json!("x".repeat(10_000)),
        theirs,
    ];
    for bad in &refused {
        let (code, info) = c.call_err(MEMBERS, page(&community, bad.clone())).await;
        assert_eq!(code, 10004, "Next {bad}: {info}");
        assert!(info.contains("Next"), "Next {bad}: {info}");
    }
    let (code, _) = c.call_err(MEMBERS, page(&public, json!("garbage"))).await;
    assert_eq!(code, 10004);
    let (code, _) = c.call_err(MEMBERS, page(&public, json!(next))).await;
    assert_eq!(code, 10004, "a cursor of another group");
}
common::also_on_postgres!(member_pages_refuse_a_next_they_did_not_give);

#[tokio::test]
async fn get_group_member_info_pages_filters_and_limits() {
    let server = TestServer::start().await;
    let c = server.client();
    let users = names("user", 45);
    import_accounts(&c, &users).await;
    let refs: Vec<&str> = users.iter().map(String::as_str).collect();
    let public = create(&c, "Public", refs[0], &refs[1..]).await;
    let community = create(&c, "Community", refs[0], &refs[1..]).await;
    c.call_ok(
        MODIFY_MEMBER,
        json!({"GroupId": public, "Member_Account": refs[1], "Role": "Admin"}),
    )
    .await;

    // Offset paging: MemberNum is the group's, the pages cover everyone once.
    let mut seen = Vec::new();
    for offset in (0..45).step_by(10) {
        let resp = c
            .call_ok(
                MEMBERS,
                json!({"GroupId": public, "Limit": 10, "Offset": offset}),
            )
            .await;
        assert_eq!(resp["MemberNum"], 45);
        assert!(resp.get("Next").is_none(), "Next is for Community only");
        seen.extend(
            resp["MemberList"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m["Member_Account"].as_str().unwrap().to_owned()),
        );
    }
    assert_eq!(seen, users);
    let all = c.call_ok(MEMBERS, json!({"GroupId": public})).await;
    assert_eq!(all["MemberList"].as_array().unwrap().len(), 45);
    let m = &all["MemberList"][1];
    for field in [
        "Member_Account",
        "Role",
        "JoinTime",
        "MsgSeq",
        "MsgFlag",
        "LastSendMsgTime",
        "MuteUntil",
        "NameCard",
        "AppMemberDefinedData",
    ] {
        assert!(m.get(field).is_some(), "{field} in {m}");
    }

    // Community: Next cursor, "" at the end; Offset is refused.
    let mut seen = Vec::new();
    let mut next = json!("");
    let mut pages = 0;
    loop {
        let resp = c
            .call_ok(
                MEMBERS,
                json!({"GroupId": community, "Limit": 20, "Next": next}),
            )
            .await;
        assert_eq!(resp["MemberNum"], 45);
        seen.extend(
            resp["MemberList"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m["Member_Account"].as_str().unwrap().to_owned()),
        );
        pages += 1;
        next = resp["Next"].clone();
        assert!(next.is_string());
        if next == "" {
            break;
        }
    }
    assert_eq!((pages, seen), (3, users.clone()));
    let (code, _) = c
        .call_err(MEMBERS, json!({"GroupId": community, "Offset": 5}))
        .await;
    assert_eq!(code, 10004);

    // Role and field filters.
    let resp = c
        .call_ok(
            MEMBERS,
            json!({"GroupId": public, "MemberRoleFilter": ["Owner", "Admin"], "MemberInfoFilter": ["Role"]}),
        )
        .await;
    assert_eq!(
        resp["MemberList"],
        json!([
            {"Member_Account": refs[0], "Role": "Owner"},
            {"Member_Account": refs[1], "Role": "Admin"}
        ])
    );
    assert_eq!(resp["MemberNum"], 45);
    for (body, expected) in [
        (
            json!({"GroupId": public, "MemberRoleFilter": ["Boss"]}),
            10004,
        ),
        (json!({"GroupId": public, "Limit": 6001}), 10004),
        (json!({"GroupId": public, "Offset": -1}), 10004),
    ] {
        assert_eq!(
            c.call_err(MEMBERS, body.clone()).await.0,
            expected,
            "{body}"
        );
    }
}
common::also_on_postgres!(get_group_member_info_pages_filters_and_limits);

#[tokio::test]
async fn a_member_list_over_one_megabyte_is_10018() {
    let server = TestServer::start().await;
    let c = server.client();
    // 32-byte UserIDs make each member entry about 200 bytes: 6,000 of them exceed 1 MB.
    let users: Vec<String> = (0..6000).map(|i| format!("{i:0>32}")).collect();
    import_accounts(&c, &users).await;
    let id = create(&c, "Community", &users[0], &[]).await;
    for chunk in users[1..].chunks(300) {
        c.call_ok(
            ADD,
            json!({"GroupId": id, "MemberList": member_list(chunk), "Silence": 1}),
        )
        .await;
    }
    let (code, _) = c
        .call_err(MEMBERS, json!({"GroupId": id, "Limit": 6000}))
        .await;
    assert_eq!(code, 10018);
    let page = c
        .call_ok(MEMBERS, json!({"GroupId": id, "Limit": 3000}))
        .await;
    assert_eq!(page["MemberList"].as_array().unwrap().len(), 3000);
    assert_eq!(page["MemberNum"], 6000);
}
common::also_on_postgres!(a_member_list_over_one_megabyte_is_10018);

#[tokio::test]
async fn modify_group_member_info_fields_roles_and_errors() {
    let server = TestServer::start().await;
    let c = server.client();
    import_accounts(&c, &strings(&["owner", "a", "outsider"])).await;
    let id = create(&c, "Public", "owner", &["a"]).await;
    c.call_ok(
        MODIFY_MEMBER,
        json!({"GroupId": id, "Member_Account": "a", "Role": "Admin", "MsgFlag": "AcceptNotNotify",
               "NameCard": "card", "ShutUpTime": 120,
               "AppMemberDefinedData": [{"Key": "k", "Value": "v"}]}),
    )
    .await;
    let resp = c
        .call_ok(
            MEMBERS,
            json!({"GroupId": id, "MemberRoleFilter": ["Admin"]}),
        )
        .await;
    let a = &resp["MemberList"][0];
    assert_eq!(a["Member_Account"], "a");
    assert_eq!(a["Role"], "Admin");
    assert_eq!(a["MsgFlag"], "AcceptNotNotify");
    assert_eq!(a["NameCard"], "card");
    assert_eq!(
        a["AppMemberDefinedData"],
        json!([{"Key": "k", "Value": "v"}])
    );
    assert!(
        (a["MuteUntil"].as_i64().unwrap() - now() - 120).abs() < 60,
        "{a}"
    );

    // Unmute, revoke admin, delete the custom key.
    c.call_ok(
        MODIFY_MEMBER,
        json!({"GroupId": id, "Member_Account": "a", "Role": "Member", "MuteTime": 0,
               "AppMemberDefinedData": [{"Key": "k", "Value": ""}]}),
    )
    .await;
    let resp = c
        .call_ok(
            MEMBERS,
            json!({"GroupId": id, "MemberRoleFilter": ["Member"]}),
        )
        .await;
    let a = &resp["MemberList"][0];
    assert_eq!(
        (a["Role"].clone(), a["MuteUntil"].clone()),
        (json!("Member"), json!(0))
    );
    assert_eq!(a["AppMemberDefinedData"], json!([]));
    assert_eq!(a["NameCard"], "card", "fields not named stay as they were");

    let six: Vec<Value> = (0..6)
        .map(|i| json!({"Key": format!("k{i}"), "Value": "v"}))
        .collect();
    for (body, expected) in [
        (json!({"Member_Account": "ghost", "NameCard": "x"}), 10019),
        (
            json!({"Member_Account": "outsider", "NameCard": "x"}),
            10007,
        ),
        (json!({"Member_Account": "a", "Role": "Owner"}), 10004),
        (json!({"Member_Account": "a", "Role": "King"}), 10004),
        (json!({"Member_Account": "owner", "Role": "Admin"}), 10007),
        (json!({"Member_Account": "a", "MsgFlag": "Loud"}), 10004),
        (
            json!({"Member_Account": "a", "NameCard": "x".repeat(51)}),
            10004,
        ),
        (
            json!({"Member_Account": "a", "MuteTime": 4294967296u64}),
            10004,
        ),
        (
            json!({"Member_Account": "a", "AppMemberDefinedData": six}),
            10004,
        ),
        (
            json!({"Member_Account": "a", "AppMemberDefinedData": [{"Key": "k", "Value": "v".repeat(65)}]}),
            10004,
        ),
        (json!({"NameCard": "x"}), 10004),
        (json!({"Member_Account": 1}), 60015),
    ] {
        let mut body = body;
        body["GroupId"] = json!(id);
        assert_eq!(
            c.call_err(MODIFY_MEMBER, body.clone()).await.0,
            expected,
            "{body}"
        );
    }

    // Work groups: no admins, no mutes, but their own fields change.
    let work = create(&c, "Work", "owner", &["a"]).await;
    c.call_ok(
        MODIFY_MEMBER,
        json!({"GroupId": work, "Member_Account": "a", "NameCard": "w"}),
    )
    .await;
    // AVChatRoom: the owner's record changes (nobody else has one).
    let av = create(&c, "AVChatRoom", "owner", &[]).await;
    c.call_ok(
        MODIFY_MEMBER,
        json!({"GroupId": av, "Member_Account": "owner", "NameCard": "host"}),
    )
    .await;
}
common::also_on_postgres!(modify_group_member_info_fields_roles_and_errors);

/// A member's NameCard and custom values may hold any character but NUL, which PostgreSQL
/// cannot store (it was an internal error there, and kept on SQLite): 10004, nothing changed.
#[tokio::test]
async fn member_text_fields_refuse_nul() {
    let server = TestServer::start().await;
    let c = server.client();
    import_accounts(&c, &strings(&["owner", "a"])).await;
    let id = create(&c, "Public", "owner", &["a"]).await;
    let before = group_info(&c, &id).await;
    let custom = json!([{"Key": "k", "Value": "v\0"}]);
    for body in [
        json!({"GroupId": id, "Member_Account": "a", "NameCard": "a\0b"}),
        json!({"GroupId": id, "Member_Account": "a", "AppMemberDefinedData": custom}),
    ] {
        assert_eq!(
            c.call_err(MODIFY_MEMBER, body.clone()).await.0,
            10004,
            "{body}"
        );
    }
    let (code, _) = c
        .call_err(
            CREATE,
            json!({"Type": "Public", "Name": "n", "Owner_Account": "owner",
                   "MemberList": [{"Member_Account": "a", "AppMemberDefinedData": custom}]}),
        )
        .await;
    assert_eq!(code, 10004);
    assert_eq!(
        group_info(&c, &id).await,
        before,
        "a refused change changed the group"
    );
    c.call_ok(
        MODIFY_MEMBER,
        json!({"GroupId": id, "Member_Account": "a", "NameCard": "two\nlines ✓"}),
    )
    .await;
}
common::also_on_postgres!(member_text_fields_refuse_nul);

#[tokio::test]
async fn change_group_owner_and_get_role_in_group() {
    let server = TestServer::start().await;
    let c = server.client();
    import_accounts(&c, &strings(&["owner", "a", "outsider"])).await;
    let id = create(&c, "Public", "owner", &["a"]).await;
    assert_eq!(
        roles(&c, &id, &["owner", "a", "outsider", "ghost"]).await,
        pairs(&[
            ("owner", "Owner"),
            ("a", "Member"),
            ("outsider", "NotMember"),
            ("ghost", "NotMember")
        ])
    );
    for (body, expected) in [
        (json!({"NewOwner_Account": "outsider"}), 10007),
        (json!({"NewOwner_Account": "ghost"}), 10019),
        (
            json!({"NewOwner_Account": "a", "From_Account": "ghost"}),
            10019,
        ),
        (json!({}), 10004),
    ] {
        let mut body = body;
        body["GroupId"] = json!(id);
        assert_eq!(c.call_err(OWNER, body.clone()).await.0, expected, "{body}");
    }
    c.call_ok(
        OWNER,
        json!({"GroupId": id, "NewOwner_Account": "a", "From_Account": "owner"}),
    )
    .await;
    assert_eq!(
        roles(&c, &id, &["owner", "a"]).await,
        pairs(&[("owner", "Member"), ("a", "Owner")])
    );
    let g = group_info(&c, &id).await;
    assert_eq!(
        (g["Owner_Account"].clone(), g["InfoSeq"].clone()),
        (json!("a"), json!(2))
    );
    // The new owner may not be removed; the old one may.
    assert_eq!(
        c.call_err(DELETE, json!({"GroupId": id, "MemberToDel_Account": ["a"]}))
            .await
            .0,
        10007
    );
    c.call_ok(
        DELETE,
        json!({"GroupId": id, "MemberToDel_Account": ["owner"]}),
    )
    .await;

    // An ownerless group gets its owner through this call.
    let resp = c
        .call_ok(
            CREATE,
            json!({"Type": "Public", "Name": "n", "MemberList": member_list(&["a"])}),
        )
        .await;
    let ownerless = resp["GroupId"].as_str().unwrap();
    c.call_ok(
        OWNER,
        json!({"GroupId": ownerless, "NewOwner_Account": "a"}),
    )
    .await;
    assert_eq!(group_info(&c, ownerless).await["Owner_Account"], "a");

    let many = names("u", 501);
    for (body, expected) in [
        (json!({"GroupId": id, "User_Account": many}), 10005),
        (json!({"GroupId": id, "User_Account": []}), 10004),
        (json!({"GroupId": id}), 10004),
    ] {
        assert_eq!(c.call_err(ROLES, body.clone()).await.0, expected, "{body}");
    }
}
common::also_on_postgres!(change_group_owner_and_get_role_in_group);

#[tokio::test]
async fn forbid_send_msg_and_the_muted_lists() {
    let server = TestServer::start().await;
    let c = server.client();
    import_accounts(&c, &strings(&["owner", "a", "b", "c"])).await;
    let id = create(&c, "Public", "owner", &["a", "b", "c"]).await;
    c.call_ok(
        FORBID,
        json!({"GroupId": id, "Members_Account": ["b", "a"], "MuteTime": 300}),
    )
    .await;
    c.call_ok(
        FORBID,
        json!({"GroupId": id, "Members_Account": ["c"], "ShutUpTime": 4294967295u64}),
    )
    .await;
    let resp = c.call_ok(MUTED, json!({"GroupId": id})).await;
    assert_eq!(resp["GroupId"], id);
    let list = resp["MutedAccountList"].as_array().unwrap();
    let accounts: Vec<&str> = list
        .iter()
        .map(|m| m["Member_Account"].as_str().unwrap())
        .collect();
    assert_eq!(accounts, ["a", "b", "c"]);
    let until = list[0]["MutedUntil"].as_i64().unwrap();
    assert!((until - now() - 300).abs() < 60, "{resp}");
    assert_eq!(list[2]["MutedUntil"], 4294967295u64, "muted for ever");

    // The older command word answers with the older field names.
    let old = c.call_ok(SHUTTED, json!({"GroupId": id})).await;
    assert_eq!(
        old["ShuttedUinList"][2],
        json!({"Member_Account": "c", "ShuttedUntil": 4294967295u64})
    );
    assert!(old.get("MutedAccountList").is_none());

    // Unmute; a mute survives leaving and joining again.
    c.call_ok(
        FORBID,
        json!({"GroupId": id, "Members_Account": ["a"], "MuteTime": 0}),
    )
    .await;
    c.call_ok(DELETE, json!({"GroupId": id, "MemberToDel_Account": ["b"]}))
        .await;
    c.call_ok(
        ADD,
        json!({"GroupId": id, "MemberList": member_list(&["b"])}),
    )
    .await;
    let resp = c.call_ok(MUTED, json!({"GroupId": id})).await;
    let accounts: Vec<&str> = resp["MutedAccountList"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["Member_Account"].as_str().unwrap())
        .collect();
    assert_eq!(accounts, ["b", "c"]);

    let many = names("u", 501);
    for (body, expected) in [
        (json!({"Members_Account": ["a"]}), 10004),
        (
            json!({"Members_Account": ["a"], "MuteTime": 4294967296u64}),
            10004,
        ),
        (json!({"Members_Account": ["a"], "MuteTime": -1}), 10004),
        (json!({"Members_Account": [], "MuteTime": 1}), 10004),
        (json!({"Members_Account": many, "MuteTime": 1}), 10005),
        (json!({"Members_Account": ["ghost"], "MuteTime": 1}), 10019),
        (
            json!({"Members_Account": ["a"], "MuteTime": 1, "TopicId": "t"}),
            10004,
        ),
    ] {
        let mut body = body;
        body["GroupId"] = json!(id);
        assert_eq!(c.call_err(FORBID, body.clone()).await.0, expected, "{body}");
    }
    let (code, _) = c
        .call_err(MUTED, json!({"GroupId": id, "TopicId": "t"}))
        .await;
    assert_eq!(code, 10004);
}
common::also_on_postgres!(forbid_send_msg_and_the_muted_lists);

#[tokio::test]
async fn import_group_member_roles_times_and_unread_counts() {
    let server = TestServer::start().await;
    let c = server.client();
    import_accounts(&c, &strings(&["owner", "a", "b", "c", "d"])).await;
    let id = create(&c, "Public", "owner", &[]).await;
    // Two stored tips give the group two messages.
    c.call_ok(
        ADD,
        json!({"GroupId": id, "MemberList": member_list(&["c"])}),
    )
    .await;
    c.call_ok(MODIFY, json!({"GroupId": id, "Name": "renamed"}))
        .await;
    assert_eq!(next_msg_seq(&c, &id).await, 3);

    let resp = c
        .call_ok(
            IMPORT_MEMBER,
            json!({"GroupId": id, "MemberList": [
                {"Member_Account": "a", "Role": "Admin", "JoinTime": 1_600_000_000, "UnreadMsgNum": 1},
                {"Member_Account": "b", "UnreadMsgNum": 99},
                {"Member_Account": "c"}
            ]}),
        )
        .await;
    assert_eq!(
        resp["MemberList"],
        json!([
            {"Member_Account": "a", "Result": 1},
            {"Member_Account": "b", "Result": 1},
            {"Member_Account": "c", "Result": 2}
        ])
    );
    assert_eq!(
        next_msg_seq(&c, &id).await,
        3,
        "importing members takes no MsgSeq"
    );
    let filter = json!({"SelfInfoFilter": ["Role", "JoinTime", "UnreadMsgNum", "MsgSeq"]});
    let self_info = |user: &'static str| {
        let c = c.clone();
        let filter = filter.clone();
        async move {
            let resp = c
                .call_ok(
                    JOINED,
                    json!({"Member_Account": user, "ResponseFilter": filter}),
                )
                .await;
            resp["GroupIdList"][0]["SelfInfo"].clone()
        }
    };
    assert_eq!(
        self_info("a").await,
        json!({"Role": "Admin", "JoinTime": 1_600_000_000, "UnreadMsgNum": 1, "MsgSeq": 1})
    );
    let b = self_info("b").await;
    assert_eq!(
        b["UnreadMsgNum"], 2,
        "clamped to the group's message count: {b}"
    );
    assert!((b["JoinTime"].as_i64().unwrap() - now()).abs() < 60);

    for (list, expected) in [
        (json!([{"Member_Account": "d", "Role": "Owner"}]), 10004),
        (
            json!([{"Member_Account": "d", "JoinTime": now() + 3600}]),
            10004,
        ),
        (json!([{"Member_Account": "ghost"}]), 10019),
        (json!([]), 10004),
        (member_list(&names("u", 301)), 10005),
    ] {
        let body = json!({"GroupId": id, "MemberList": list});
        assert_eq!(
            c.call_err(IMPORT_MEMBER, body.clone()).await.0,
            expected,
            "{body}"
        );
    }
    let work = create(&c, "Private", "owner", &[]).await;
    let (code, _) = c
        .call_err(
            IMPORT_MEMBER,
            json!({"GroupId": work, "MemberList": [{"Member_Account": "d", "Role": "Admin"}]}),
        )
        .await;
    assert_eq!(code, 10007, "Work groups have no admins");
}
common::also_on_postgres!(import_group_member_roles_times_and_unread_counts);

#[tokio::test]
async fn get_joined_group_list_filters_and_pages() {
    let server = TestServer::start().await;
    let c = server.client();
    import_accounts(&c, &strings(&["u", "o"])).await;
    let mut ids = Vec::new();
    for ty in [
        "Public",
        "Work",
        "AVChatRoom",
        "Community",
        "Meeting",
        "Public",
    ] {
        ids.push(create(&c, ty, "u", &[]).await);
    }
    let destroyed = create(&c, "Public", "o", &["u"]).await;
    c.call_ok(DESTROY, json!({"GroupId": destroyed})).await;
    let listed = |resp: &Value| -> Vec<String> {
        resp["GroupIdList"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["GroupId"].as_str().unwrap().to_owned())
            .collect()
    };

    // Default: no AVChatRoom, no inactive Work group, no destroyed group; IDs only.
    let resp = c.call_ok(JOINED, json!({"Member_Account": "u"})).await;
    assert_eq!(resp["TotalCount"], 4);
    assert_eq!(
        listed(&resp),
        [
            ids[0].clone(),
            ids[3].clone(),
            ids[4].clone(),
            ids[5].clone()
        ]
    );
    assert_eq!(resp["GroupIdList"][0], json!({"GroupId": ids[0]}));

    let all = json!({"Member_Account": "u", "WithHugeGroups": 1, "WithNoActiveGroups": 1});
    let resp = c.call_ok(JOINED, all.clone()).await;
    assert_eq!(listed(&resp), ids);
    let mut page = all.clone();
    page["Limit"] = json!(2);
    page["Offset"] = json!(2);
    let resp = c.call_ok(JOINED, page).await;
    assert_eq!(
        (resp["TotalCount"].clone(), listed(&resp)),
        (json!(6), ids[2..4].to_vec())
    );

    let resp = c
        .call_ok(
            JOINED,
            json!({"Member_Account": "u", "GroupType": "Public"}),
        )
        .await;
    assert_eq!(
        (resp["TotalCount"].clone(), listed(&resp)),
        (json!(2), vec![ids[0].clone(), ids[5].clone()])
    );
    let resp = c
        .call_ok(
            JOINED,
            json!({"Member_Account": "u", "GroupType": "Meeting"}),
        )
        .await;
    assert_eq!(listed(&resp), [ids[4].clone()]);

    // Filters: the named base fields (Type as its name) and SelfInfo.
    let resp = c
        .call_ok(
            JOINED,
            json!({"Member_Account": "u", "GroupType": "Community",
                   "ResponseFilter": {"GroupBaseInfoFilter": ["Type", "Name", "MemberNum"],
                                      "SelfInfoFilter": ["Role", "MsgFlag"]}}),
        )
        .await;
    assert_eq!(
        resp["GroupIdList"],
        json!([{"GroupId": ids[3], "Type": "Community", "Name": "group", "MemberNum": 1,
                "SelfInfo": {"Role": "Owner", "MsgFlag": "AcceptAndNotify"}}])
    );

    let none = c.call_ok(JOINED, json!({"Member_Account": "nobody"})).await;
    assert_eq!(
        (none["TotalCount"].clone(), none["GroupIdList"].clone()),
        (json!(0), json!([]))
    );
    for (body, expected) in [
        (json!({}), 10004),
        (json!({"Member_Account": "u", "GroupType": "Huge"}), 10004),
        (json!({"Member_Account": 9}), 60015),
    ] {
        assert_eq!(c.call_err(JOINED, body.clone()).await.0, expected, "{body}");
    }
}
common::also_on_postgres!(get_joined_group_list_filters_and_pages);

/// The MsgSeq model from the first message: stored tips take the next seq of the group, per
/// type (groups.md §6, group-messages.md §1.2).
#[tokio::test]
async fn stored_tips_take_the_next_msg_seq_per_type() {
    let server = TestServer::start().await;
    let c = server.client();
    import_accounts(&c, &strings(&["owner", "a", "b", "c"])).await;
    // Each step, then the NextMsgSeq expected after it for [Public, Community, ChatRoom, Work].
    // Work groups stay inactive (no message yet), so they store no tip at all.
    type Step = (&'static str, fn(&str) -> (&'static str, Value), [u64; 4]);
    let steps: [Step; 10] = [
        (
            "add a member",
            |id| {
                (
                    ADD,
                    json!({"GroupId": id, "MemberList": [{"Member_Account": "b"}]}),
                )
            },
            [2, 2, 1, 1],
        ),
        (
            "add silently",
            |id| {
                (
                    ADD,
                    json!({"GroupId": id, "MemberList": [{"Member_Account": "c"}], "Silence": 1}),
                )
            },
            [2, 2, 1, 1],
        ),
        (
            "remove a member",
            |id| (DELETE, json!({"GroupId": id, "MemberToDel_Account": ["c"]})),
            [3, 3, 1, 1],
        ),
        (
            "remove silently",
            |id| {
                (
                    DELETE,
                    json!({"GroupId": id, "MemberToDel_Account": ["b"], "Silence": 1}),
                )
            },
            [3, 3, 1, 1],
        ),
        (
            "rename",
            |id| {
                (
                    MODIFY,
                    json!({"GroupId": id, "Name": "new", "Notification": "n"}),
                )
            },
            [4, 4, 2, 1],
        ),
        (
            "mute all",
            |id| (MODIFY, json!({"GroupId": id, "MuteAllMember": "On"})),
            [4, 4, 2, 1],
        ),
        (
            "change owner",
            |id| (OWNER, json!({"GroupId": id, "NewOwner_Account": "a"})),
            [5, 5, 3, 1],
        ),
        (
            "name card",
            |id| {
                (
                    MODIFY_MEMBER,
                    json!({"GroupId": id, "Member_Account": "owner", "NameCard": "x"}),
                )
            },
            [5, 5, 3, 1],
        ),
        (
            "import a member",
            |id| {
                (
                    IMPORT_MEMBER,
                    json!({"GroupId": id, "MemberList": [{"Member_Account": "c"}]}),
                )
            },
            [5, 5, 3, 1],
        ),
        (
            "appoint an admin",
            |id| {
                (
                    MODIFY_MEMBER,
                    json!({"GroupId": id, "Member_Account": "owner", "Role": "Admin"}),
                )
            },
            [6, 6, 3, 1],
        ),
    ];
    let types = ["Public", "Community", "ChatRoom", "Work"];
    let mut ids = Vec::new();
    for ty in types {
        ids.push(create(&c, ty, "owner", &["a"]).await);
    }
    for (what, call, expected) in steps {
        for ((ty, id), want) in types.iter().zip(&ids).zip(expected) {
            let (api, body) = call(id);
            let resp = c.call(api, body).await;
            // Work groups have no admins: that single step is refused there.
            if *ty == "Work" && what == "appoint an admin" {
                assert_eq!(resp["ErrorCode"], 10007);
            } else {
                assert_eq!(resp["ErrorCode"], 0, "{what} on {ty}: {resp}");
            }
            assert_eq!(next_msg_seq(&c, id).await, want, "{what} on {ty}");
        }
    }
    // Mutes are member tips too.
    let id = &ids[0];
    c.call_ok(
        FORBID,
        json!({"GroupId": id, "Members_Account": ["b"], "MuteTime": 60}),
    )
    .await;
    assert_eq!(next_msg_seq(&c, id).await, 7);
    c.call_ok(
        FORBID,
        json!({"GroupId": ids[2], "Members_Account": ["b"], "MuteTime": 60}),
    )
    .await;
    assert_eq!(
        next_msg_seq(&c, &ids[2]).await,
        3,
        "Meeting stores no member tips"
    );
    // AVChatRoom stores nothing.
    let av = create(&c, "AVChatRoom", "owner", &[]).await;
    c.call_ok(MODIFY, json!({"GroupId": av, "Name": "live"}))
        .await;
    c.call_ok(
        FORBID,
        json!({"GroupId": av, "Members_Account": ["b"], "MuteTime": 60}),
    )
    .await;
    assert_eq!(next_msg_seq(&c, &av).await, 1);
}
common::also_on_postgres!(stored_tips_take_the_next_msg_seq_per_type);
