//! End-to-end: user profiles (`v4/profile/portrait_set`, `portrait_get`): every standard tag
//! with its type and checks, custom tags with and without the app's registered list and
//! their permissions, account_import's Nick and FaceUrl as profile tags, account_delete,
//! every documented error code (and that a refused request stores nothing), ErrorDisplay in
//! every answer, and tenancy. spec: profiles.md, accounts.md §1–§3.

mod common;

use common::{import_accounts, Client, ServerOptions, TestApp, TestServer};
use serde_json::{json, Value};

const SET: &str = "profile/portrait_set";
const GET: &str = "profile/portrait_get";
const NICK: &str = "Tag_Profile_IM_Nick";
const IMAGE: &str = "Tag_Profile_IM_Image";

/// Every standard tag with a value it accepts that is not its default.
fn every_standard_tag() -> Value {
    json!([
        {"Tag": NICK, "Value": "Alice W."},
        {"Tag": "Tag_Profile_IM_Gender", "Value": "Gender_Type_Female"},
        {"Tag": "Tag_Profile_IM_BirthDay", "Value": 19900101},
        {"Tag": "Tag_Profile_IM_Location", "Value": "中国 深圳"},
        {"Tag": "Tag_Profile_IM_SelfSignature", "Value": "line one\nline two"},
        {"Tag": "Tag_Profile_IM_AllowType", "Value": "AllowType_Type_AllowAny"},
        {"Tag": "Tag_Profile_IM_Language", "Value": 2},
        {"Tag": IMAGE, "Value": "https://example.com/a.png"},
        {"Tag": "Tag_Profile_IM_MsgSettings", "Value": 1},
        {"Tag": "Tag_Profile_IM_AdminForbidType", "Value": "AdminForbid_Type_SendOut"},
        {"Tag": "Tag_Profile_IM_Level", "Value": 4294967295u64},
        {"Tag": "Tag_Profile_IM_Role", "Value": 0},
    ])
}

/// What a profile that was never written answers for every standard tag.
fn defaults() -> Value {
    json!([
        {"Tag": NICK, "Value": ""},
        {"Tag": "Tag_Profile_IM_Gender", "Value": "Gender_Type_Unknown"},
        {"Tag": "Tag_Profile_IM_BirthDay", "Value": 0},
        {"Tag": "Tag_Profile_IM_Location", "Value": ""},
        {"Tag": "Tag_Profile_IM_SelfSignature", "Value": ""},
        {"Tag": "Tag_Profile_IM_AllowType", "Value": "AllowType_Type_NeedConfirm"},
        {"Tag": "Tag_Profile_IM_Language", "Value": 0},
        {"Tag": IMAGE, "Value": ""},
        {"Tag": "Tag_Profile_IM_MsgSettings", "Value": 0},
        {"Tag": "Tag_Profile_IM_AdminForbidType", "Value": "AdminForbid_Type_None"},
        {"Tag": "Tag_Profile_IM_Level", "Value": 0},
        {"Tag": "Tag_Profile_IM_Role", "Value": 0},
    ])
}

fn tags_of(items: &Value) -> Value {
    items
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["Tag"].clone())
        .collect()
}

/// `user`'s values of `tags` (a successful portrait_get of one account).
async fn profile(c: &Client, user: &str, tags: Value) -> Value {
    let resp = c
        .call_ok(GET, json!({"To_Account": [user], "TagList": tags}))
        .await;
    let entry = &resp["UserProfileItem"][0];
    assert_eq!(entry["ResultCode"], 0, "{resp}");
    entry["ProfileItem"].clone()
}

async fn nick_and_image(c: &Client, user: &str) -> Value {
    profile(c, user, json!([NICK, IMAGE])).await
}

fn pair(nick: &str, image: &str) -> Value {
    json!([{"Tag": NICK, "Value": nick}, {"Tag": IMAGE, "Value": image}])
}

#[tokio::test]
async fn every_standard_tag_is_written_and_read_back_typed() {
    let server = TestServer::start().await;
    let admin = server.client();
    import_accounts(&admin, &["alice", "bob"]).await;
    let all = every_standard_tag();
    let resp = admin
        .call_ok(SET, json!({"From_Account": "alice", "ProfileItem": all}))
        .await;
    assert_eq!(
        resp,
        json!({"ActionStatus": "OK", "ErrorCode": 0, "ErrorInfo": "", "ErrorDisplay": ""})
    );
    assert_eq!(profile(&admin, "alice", tags_of(&all)).await, all);
    // Never written: every standard tag has its default.
    assert_eq!(profile(&admin, "bob", tags_of(&all)).await, defaults());

    // The spec's example, answered field for field.
    admin
        .call_ok(
            SET,
            json!({"From_Account": "alice", "ProfileItem": [
                {"Tag": NICK, "Value": "Alice W."},
                {"Tag": "Tag_Profile_IM_Gender", "Value": "Gender_Type_Female"},
                {"Tag": "Tag_Profile_Custom_Hobby", "Value": "chess"}]}),
        )
        .await;
    let resp = admin
        .call_ok(
            GET,
            json!({"To_Account": ["alice", "bob"],
                "TagList": [NICK, "Tag_Profile_IM_AllowType", "Tag_Profile_Custom_Hobby"]}),
        )
        .await;
    assert_eq!(
        resp,
        json!({"UserProfileItem": [
            {"To_Account": "alice", "ProfileItem": [
                {"Tag": NICK, "Value": "Alice W."},
                {"Tag": "Tag_Profile_IM_AllowType", "Value": "AllowType_Type_AllowAny"},
                {"Tag": "Tag_Profile_Custom_Hobby", "Value": "chess"}],
             "ResultCode": 0, "ResultInfo": ""},
            // A custom tag never set is left out.
            {"To_Account": "bob", "ProfileItem": [
                {"Tag": NICK, "Value": ""},
                {"Tag": "Tag_Profile_IM_AllowType", "Value": "AllowType_Type_NeedConfirm"}],
             "ResultCode": 0, "ResultInfo": ""}],
         "ActionStatus": "OK", "ErrorCode": 0, "ErrorInfo": "", "ErrorDisplay": ""})
    );
}
common::also_on_postgres!(every_standard_tag_is_written_and_read_back_typed);

#[tokio::test]
async fn set_rules_repeats_empty_strings_and_limits() {
    let server = TestServer::start().await;
    let admin = server.client();
    import_accounts(&admin, &["a"]).await;
    // A tag given twice: the later value wins. An empty string is a value.
    admin
        .call_ok(
            SET,
            json!({"From_Account": "a", "ProfileItem": [
                {"Tag": NICK, "Value": "first"},
                {"Tag": "Tag_Profile_Custom_Note", "Value": ""},
                {"Tag": NICK, "Value": "second"}]}),
        )
        .await;
    assert_eq!(
        profile(&admin, "a", json!([NICK, "Tag_Profile_Custom_Note"])).await,
        json!([{"Tag": NICK, "Value": "second"}, {"Tag": "Tag_Profile_Custom_Note", "Value": ""}])
    );
    // 500 bytes is the limit, counted in bytes: 166 three-byte characters fit, 167 do not.
    for (value, code) in [
        ("x".repeat(500), 0),
        ("中".repeat(166), 0),
        ("x".repeat(501), 40601),
        ("中".repeat(167), 40601),
    ] {
        for tag in [NICK, "Tag_Profile_IM_Location", "Tag_Profile_Custom_Long"] {
            let body = json!({"From_Account": "a", "ProfileItem": [{"Tag": tag, "Value": value}]});
            let resp = admin.call(SET, body).await;
            assert_eq!(resp["ErrorCode"], code, "{tag}, {} bytes", value.len());
        }
    }
    // A TagList that names a tag twice answers it once; To_Account likewise.
    let resp = admin
        .call_ok(
            GET,
            json!({"To_Account": ["a", "a"], "TagList": [NICK, NICK]}),
        )
        .await;
    assert_eq!(resp["UserProfileItem"].as_array().unwrap().len(), 1);
    assert_eq!(
        resp["UserProfileItem"][0]["ProfileItem"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // 100 accounts per call.
    let many: Vec<String> = (0..100).map(|i| format!("u{i}")).collect();
    import_accounts(&admin, &many).await;
    let resp = admin
        .call_ok(GET, json!({"To_Account": many, "TagList": [NICK]}))
        .await;
    assert_eq!(resp["UserProfileItem"].as_array().unwrap().len(), 100);
    let mut over = many.clone();
    over.push("a".into());
    let (code, _) = admin
        .call_err(GET, json!({"To_Account": over, "TagList": [NICK]}))
        .await;
    assert_eq!(code, 40001);
}

#[tokio::test]
async fn account_import_nick_and_face_url_are_the_nick_and_image_tags() {
    let server = TestServer::start().await;
    let admin = server.client();
    admin
        .call_ok(
            "im_open_login_svc/account_import",
            json!({"UserID": "a", "Nick": "Ann", "FaceUrl": "http://f/a"}),
        )
        .await;
    assert_eq!(nick_and_image(&admin, "a").await, pair("Ann", "http://f/a"));
    // Importing again overwrites what is given and keeps what is not.
    admin
        .call_ok(
            "im_open_login_svc/account_import",
            json!({"UserID": "a", "Nick": "Anna"}),
        )
        .await;
    assert_eq!(
        nick_and_image(&admin, "a").await,
        pair("Anna", "http://f/a")
    );
    // portrait_set writes the same place; a bare import leaves it.
    admin
        .call_ok(
            SET,
            json!({"From_Account": "a", "ProfileItem": [{"Tag": IMAGE, "Value": "http://g"}]}),
        )
        .await;
    admin
        .call_ok("im_open_login_svc/account_import", json!({"UserID": "a"}))
        .await;
    assert_eq!(nick_and_image(&admin, "a").await, pair("Anna", "http://g"));
    // multiaccount_import: new and existing accounts alike.
    let resp = admin
        .call_ok(
            "im_open_login_svc/multiaccount_import",
            json!({"AccountList": [
                {"UserID": "a", "FaceUrl": "http://h"},
                {"UserID": "b", "Nick": "Bob"},
                {"UserID": "c", "Nick": "n".repeat(501)}]}),
        )
        .await;
    assert_eq!(resp["FailAccounts"], json!(["c"]));
    assert_eq!(nick_and_image(&admin, "a").await, pair("Anna", "http://h"));
    assert_eq!(nick_and_image(&admin, "b").await, pair("Bob", ""));
    let (code, _) = admin
        .call_err(
            "im_open_login_svc/account_import",
            json!({"UserID": "a", "Nick": "中".repeat(167)}),
        )
        .await;
    assert_eq!(code, 40601);
    assert_eq!(nick_and_image(&admin, "a").await, pair("Anna", "http://h"));
}
common::also_on_postgres!(account_import_nick_and_face_url_are_the_nick_and_image_tags);

#[tokio::test]
async fn account_delete_removes_the_profile() {
    let server = TestServer::start().await;
    let admin = server.client();
    admin
        .call_ok(
            "im_open_login_svc/account_import",
            json!({"UserID": "a", "Nick": "Ann"}),
        )
        .await;
    import_accounts(&admin, &["b"]).await;
    admin
        .call_ok(
            SET,
            json!({"From_Account": "a", "ProfileItem": [
                {"Tag": "Tag_Profile_IM_Level", "Value": 3},
                {"Tag": "Tag_Profile_Custom_Hobby", "Value": "go"}]}),
        )
        .await;
    admin
        .call_ok(
            "im_open_login_svc/account_delete",
            json!({"DeleteItem": [{"UserID": "a"}]}),
        )
        .await;
    let (code, _) = admin
        .call_err(GET, json!({"To_Account": ["a"], "TagList": [NICK]}))
        .await;
    assert_eq!(code, 40003);
    let (code, _) = admin
        .call_err(
            SET,
            json!({"From_Account": "a", "ProfileItem": [{"Tag": NICK, "Value": "x"}]}),
        )
        .await;
    assert_eq!(code, 40003);
    // A re-imported UserID starts with an empty profile.
    import_accounts(&admin, &["a"]).await;
    assert_eq!(
        profile(
            &admin,
            "a",
            json!([NICK, "Tag_Profile_IM_Level", "Tag_Profile_Custom_Hobby"])
        )
        .await,
        json!([{"Tag": NICK, "Value": ""}, {"Tag": "Tag_Profile_IM_Level", "Value": 0}])
    );
    // "b" never had a profile, and "a"'s old rows went with its account.
    let rows = server.stored_rows().await;
    assert!(
        !rows.iter().any(|r| r.starts_with("profiles:")),
        "no profile row is left: {rows:#?}"
    );
}
common::also_on_postgres!(account_delete_removes_the_profile);

/// Each refusal of portrait_set with its code; none stores anything, every answer carries
/// ErrorDisplay.
#[tokio::test]
async fn portrait_set_refusals_store_nothing() {
    let server = TestServer::start().await;
    let admin = server.client();
    import_accounts(&admin, &["a"]).await;
    admin
        .call_ok(
            SET,
            json!({"From_Account": "a", "ProfileItem": [{"Tag": NICK, "Value": "kept"}]}),
        )
        .await;
    let before = server.stored_rows().await;
    let item = |tag: &str, value: Value| json!({"From_Account": "a", "ProfileItem": [{"Tag": tag, "Value": value}]});
    let cases: Vec<(Value, u64)> = vec![
        // 40001: missing fields, the wrong shapes, an empty list, an item without Tag/Value.
        (json!({"ProfileItem": [{"Tag": NICK, "Value": "x"}]}), 40001),
        (json!({"From_Account": "a"}), 40001),
        (
            json!({"From_Account": "a", "ProfileItem": {"Tag": NICK, "Value": "x"}}),
            40001,
        ),
        (json!({"From_Account": "a", "ProfileItem": []}), 40001),
        (
            json!({"From_Account": "a", "ProfileItem": [{"Value": "x"}]}),
            40001,
        ),
        (
            json!({"From_Account": "a", "ProfileItem": [{"Tag": NICK}]}),
            40001,
        ),
        (
            json!({"From_Account": "a", "ProfileItem": [[NICK, "x"]]}),
            40001,
        ),
        (
            json!({"From_Account": "a", "ProfileItem": [{"Tag": 1, "Value": "x"}]}),
            40001,
        ),
        (json!([{"From_Account": "a"}]), 40001),
        (item(NICK, json!("a\u{0}b")), 40001),
        // 60015: an account that is not a string.
        (
            json!({"From_Account": 7, "ProfileItem": [{"Tag": NICK, "Value": "x"}]}),
            60015,
        ),
        // 40003: not imported; checked before the tags.
        (
            json!({"From_Account": "ghost", "ProfileItem": [{"Tag": "Tag_Profile_IM_X", "Value": "x"}]}),
            40003,
        ),
        // 40009: no such tag.
        (item("Tag_Profile_IM_Nickname", json!("x")), 40009),
        (item("Tag_Profile_Custom_", json!("x")), 40009),
        (item("Tag_Profile_Custom_TooLongKw", json!("x")), 40009),
        (item("Tag_Profile_Custom_888888_Test", json!("x")), 40009),
        (item("Nick", json!("x")), 40009),
        // 40610: the value's JSON type.
        (item(NICK, json!(1)), 40610),
        (item("Tag_Profile_Custom_Hobby", json!(1)), 40610),
        (item("Tag_Profile_IM_Gender", json!(0)), 40610),
        (item("Tag_Profile_IM_Level", json!("1")), 40610),
        (item("Tag_Profile_IM_Level", json!(-1)), 40610),
        (item("Tag_Profile_IM_Level", json!(4294967296u64)), 40610),
        (item("Tag_Profile_IM_BirthDay", json!(1.5)), 40610),
        (item("Tag_Profile_IM_Role", json!(null)), 40610),
        (item("Tag_Profile_IM_Role", json!([1])), 40610),
        // 40605: an enumerated value outside its list.
        (
            item("Tag_Profile_IM_Gender", json!("Gender_Type_Other")),
            40605,
        ),
        (item("Tag_Profile_IM_AllowType", json!("")), 40605),
        (
            item(
                "Tag_Profile_IM_AdminForbidType",
                json!("AdminForbid_Type_All"),
            ),
            40605,
        ),
        // 40601: over 500 bytes.
        (item(NICK, json!("x".repeat(501))), 40601),
        (
            item("Tag_Profile_IM_SelfSignature", json!("é".repeat(251))),
            40601,
        ),
        // The first check in the documented order decides, whatever the items' order.
        (
            json!({"From_Account": "a", "ProfileItem": [
                {"Tag": NICK, "Value": "x".repeat(501)},
                {"Tag": "Tag_Profile_IM_Gender", "Value": "Other"},
                {"Tag": "Tag_Profile_IM_Level", "Value": "1"}]}),
            40610,
        ),
        // One good item does not get written beside a bad one.
        (
            json!({"From_Account": "a", "ProfileItem": [
                {"Tag": NICK, "Value": "changed"},
                {"Tag": "Tag_Profile_IM_Nope", "Value": "x"}]}),
            40009,
        ),
    ];
    for (body, want) in cases {
        let resp = admin.call(SET, body.clone()).await;
        assert_eq!(resp["ErrorCode"], want, "{body}: {resp}");
        assert_eq!(resp["ActionStatus"], "FAIL", "{resp}");
        assert_eq!(resp["ErrorDisplay"], "", "{resp}");
    }
    // Not JSON at all: the gateway's 60003, also with ErrorDisplay.
    let reply = admin.request(SET).body("{nope").send().await;
    let v = reply.envelope("not JSON");
    assert_eq!(
        (v["ErrorCode"].clone(), v["ErrorDisplay"].clone()),
        (json!(60003), json!(""))
    );
    assert_eq!(server.stored_rows().await, before);
    assert_eq!(
        profile(&admin, "a", json!([NICK])).await[0]["Value"],
        "kept"
    );
}
common::also_on_postgres!(portrait_set_refusals_store_nothing);

#[tokio::test]
async fn portrait_get_refusals_and_missing_accounts() {
    let server = TestServer::start().await;
    let admin = server.client();
    import_accounts(&admin, &["a"]).await;
    let cases: Vec<(Value, u64)> = vec![
        (json!({"TagList": [NICK]}), 40002),
        (json!({"To_Account": [], "TagList": [NICK]}), 40002),
        (json!({"To_Account": ["a"]}), 40001),
        (json!({"To_Account": ["a"], "TagList": []}), 40001),
        (json!({"To_Account": ["a"], "TagList": NICK}), 40001),
        (json!({"To_Account": ["a"], "TagList": [1]}), 40001),
        (json!({"To_Account": "a", "TagList": [NICK]}), 40001),
        (json!({"To_Account": [7], "TagList": [NICK]}), 60015),
        (
            json!({"To_Account": ["a"], "TagList": [NICK, "Tag_Profile_IM_Nope"]}),
            40009,
        ),
        (
            json!({"To_Account": ["a"], "TagList": ["Tag_Profile_Custom_Bad_Name"]}),
            40009,
        ),
        // Tags are checked before accounts.
        (
            json!({"To_Account": ["ghost"], "TagList": ["Tag_Profile_IM_Nope"]}),
            40009,
        ),
        (
            json!({"To_Account": ["ghost", "gone"], "TagList": [NICK]}),
            40003,
        ),
    ];
    for (body, want) in cases {
        let resp = admin.call(GET, body.clone()).await;
        assert_eq!(resp["ErrorCode"], want, "{body}: {resp}");
        assert_eq!(resp["ErrorDisplay"], "", "{resp}");
        assert!(resp.get("UserProfileItem").is_none(), "{resp}");
    }
    // Some missing: each is its own entry, listed in Fail_Account, in request order. A
    // UserID no account can have is merely missing.
    let long = "x".repeat(40);
    let resp = admin
        .call_ok(
            GET,
            json!({"To_Account": ["ghost", "a", long], "TagList": [NICK]}),
        )
        .await;
    let missing = |user: &str| {
        json!({"To_Account": user, "ProfileItem": [], "ResultCode": 40003,
            "ResultInfo": "Err_Profile_Account_Not_Exist"})
    };
    assert_eq!(
        resp["UserProfileItem"],
        json!([
            missing("ghost"),
            {"To_Account": "a", "ProfileItem": [{"Tag": NICK, "Value": ""}],
             "ResultCode": 0, "ResultInfo": ""},
            missing(&long),
        ])
    );
    assert_eq!(resp["Fail_Account"], json!(["ghost", long]));
    assert!(resp.get("Invalid_Account").is_none());
}
common::also_on_postgres!(portrait_get_refusals_and_missing_accounts);

/// A server whose app registered two custom tags: `Hobby` open, `Score` readable but not
/// writable by the admin, `Secret` neither.
async fn with_registered_tags() -> (TestServer, Client) {
    let app = TestApp::random();
    let apps = format!(
        r#"[{{sdkappid = {}, key = "{}", profile_custom_tags = [
            {{tag = "Tag_Profile_Custom_Hobby"}},
            {{tag = "Tag_Profile_Custom_Score", admin_write = false}},
            {{tag = "Tag_Profile_Custom_Secret", admin_read = false, admin_write = false}}]}}]"#,
        app.sdkappid, app.key
    );
    let server = TestServer::start_with(ServerOptions {
        apps: vec![app],
        env: vec![("TIMBER_APPS".into(), apps)],
        ..Default::default()
    })
    .await;
    let admin = server.client();
    import_accounts(&admin, &["a"]).await;
    (server, admin)
}

#[tokio::test]
async fn registered_custom_tags_and_their_permissions() {
    let (server, admin) = with_registered_tags().await;
    let set = |tag: &str| json!({"From_Account": "a", "ProfileItem": [{"Tag": tag, "Value": "v"}]});
    admin.call_ok(SET, set("Tag_Profile_Custom_Hobby")).await;
    // Not on the list: does not exist, though well-formed.
    assert_eq!(
        admin.call_err(SET, set("Tag_Profile_Custom_Other")).await.0,
        40009
    );
    assert_eq!(
        admin.call_err(SET, set("Tag_Profile_Custom_Score")).await.0,
        40008
    );
    assert_eq!(
        admin
            .call_err(SET, set("Tag_Profile_Custom_Secret"))
            .await
            .0,
        40008
    );
    // Standard tags stay open to the admin.
    admin
        .call_ok(
            SET,
            json!({"From_Account": "a", "ProfileItem": [{"Tag": NICK, "Value": "n"}]}),
        )
        .await;
    let get = |tags: Value| json!({"To_Account": ["a"], "TagList": tags});
    let resp = admin
        .call_ok(
            GET,
            get(json!([
                "Tag_Profile_Custom_Hobby",
                "Tag_Profile_Custom_Score",
                NICK
            ])),
        )
        .await;
    assert_eq!(
        resp["UserProfileItem"][0]["ProfileItem"],
        json!([{"Tag": "Tag_Profile_Custom_Hobby", "Value": "v"}, {"Tag": NICK, "Value": "n"}])
    );
    let (code, _) = admin
        .call_err(GET, get(json!([NICK, "Tag_Profile_Custom_Secret"])))
        .await;
    assert_eq!(code, 40007);
    let (code, _) = admin
        .call_err(GET, get(json!(["Tag_Profile_Custom_Other"])))
        .await;
    assert_eq!(code, 40009);
    drop(server);
}

#[tokio::test]
async fn a_bad_custom_tag_list_refuses_to_start() {
    let app = TestApp::random();
    let apps = format!(
        r#"[{{sdkappid = {}, key = "{}", profile_custom_tags = [{{tag = "Hobby"}}]}}]"#,
        app.sdkappid, app.key
    );
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_timber"))
        .args(["serve"])
        .env("TIMBER_APPS", apps)
        .env("TIMBER_LISTEN", "127.0.0.1:0")
        .env("TIMBER_DATA_DIR", dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("Tag_Profile_Custom_"), "{err}");
}

#[tokio::test]
async fn one_app_sees_nothing_of_another_apps_profiles() {
    let server = TestServer::start_with(ServerOptions {
        apps: vec![TestApp::random(), TestApp::random()],
        ..Default::default()
    })
    .await;
    let a = server.client();
    let b = server.client_for(1, "administrator");
    a.call_ok(
        "im_open_login_svc/account_import",
        json!({"UserID": "u", "Nick": "from A"}),
    )
    .await;
    import_accounts(&a, &["only_a"]).await;
    b.call_ok(
        "im_open_login_svc/account_import",
        json!({"UserID": "u", "Nick": "from B"}),
    )
    .await;
    a.call_ok(
        SET,
        json!({"From_Account": "u", "ProfileItem": [{"Tag": "Tag_Profile_IM_Level", "Value": 9}]}),
    )
    .await;
    let tags = json!([NICK, "Tag_Profile_IM_Level"]);
    assert_eq!(
        profile(&b, "u", tags.clone()).await,
        json!([{"Tag": NICK, "Value": "from B"}, {"Tag": "Tag_Profile_IM_Level", "Value": 0}])
    );
    assert_eq!(
        b.call_err(GET, json!({"To_Account": ["only_a"], "TagList": [NICK]}))
            .await
            .0,
        40003
    );
    assert_eq!(
        b.call_err(
            SET,
            json!({"From_Account": "only_a", "ProfileItem": [{"Tag": NICK, "Value": "x"}]})
        )
        .await
        .0,
        40003
    );
    // B deleting its `u` leaves A's.
    b.call_ok(
        "im_open_login_svc/account_delete",
        json!({"DeleteItem": [{"UserID": "u"}]}),
    )
    .await;
    assert_eq!(
        profile(&a, "u", tags).await,
        json!([{"Tag": NICK, "Value": "from A"}, {"Tag": "Tag_Profile_IM_Level", "Value": 9}])
    );
}
common::also_on_postgres!(one_app_sees_nothing_of_another_apps_profiles);

/// Only an app admin may call the profile service (60010), with ErrorDisplay.
#[tokio::test]
async fn a_non_admin_caller_is_refused() {
    let server = TestServer::start().await;
    let admin = server.client();
    import_accounts(&admin, &["a"]).await;
    let user = server.client_for(0, "a");
    let resp = user
        .call(GET, json!({"To_Account": ["a"], "TagList": [NICK]}))
        .await;
    assert_eq!(
        (resp["ErrorCode"].clone(), resp["ErrorDisplay"].clone()),
        (json!(60010), json!(""))
    );
    let resp = admin.call("profile/portrait_nope", json!({})).await;
    assert_eq!(resp["ErrorCode"], 60009);
}
