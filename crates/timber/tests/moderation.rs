//! End-to-end: the app's dirty words (`v4/openim_dirty_words/get|add|delete`, GET and POST),
//! their limits, their effect on sendmsg, batchsendmsg and send_group_msg (80001 for a text
//! element holding one; custom elements are not checked), on-demand moderation
//! (`v4/im_msg_audit/content_moderation`, `batch_content_moderation`) against them, every
//! documented error code, tenancy, and the words in profile (40005), group (80001) and
//! relationship (30005) fields. spec: push-and-operations.md §4.1, §4.2, §8.

mod common;

use common::{import_accounts, ServerOptions, TestApp, TestServer};
use serde_json::{json, Value};

const GET: &str = "openim_dirty_words/get";
const ADD: &str = "openim_dirty_words/add";
const DELETE: &str = "openim_dirty_words/delete";
const AUDIT: &str = "im_msg_audit/content_moderation";
const BATCH: &str = "im_msg_audit/batch_content_moderation";

fn text(t: &str) -> Value {
    json!([{"MsgType": "TIMTextElem", "MsgContent": {"Text": t}}])
}

#[tokio::test]
async fn dirty_words_and_what_they_filter() {
    let server = TestServer::start().await;
    let admin = server.client();
    assert_eq!(
        admin.call_ok(GET, json!({})).await,
        json!({"ActionStatus": "OK", "ErrorCode": 0, "ErrorInfo": "", "DirtyWordsList": []})
    );
    admin
        .call_ok(ADD, json!({"DirtyWordsList": ["spam", "坏话", "spam"]}))
        .await;
    // Also as a GET without a body.
    let resp = admin.request(GET).method("GET").no_body().send().await;
    assert!(
        resp.text.contains(r#""DirtyWordsList":["spam","坏话"]"#),
        "{}",
        resp.text
    );

    import_accounts(&admin, &["a", "b", "o"]).await;
    admin
        .call_ok(
            "group_open_http_svc/create_group",
            json!({"Type": "Public", "GroupId": "g1", "Name": "g", "Owner_Account": "o",
                "MemberList": [{"Member_Account": "a"}]}),
        )
        .await;
    let c2c = |body: Value, random: u32| json!({"From_Account": "a", "To_Account": "b", "MsgRandom": random, "MsgBody": body});
    let (code, _) = admin
        .call_err("openim/sendmsg", c2c(text("buy spam now"), 1))
        .await;
    assert_eq!(code, 80001);
    let (code, _) = admin
        .call_err(
            "openim/batchsendmsg",
            json!({"From_Account": "a", "To_Account": ["b", "o"], "MsgRandom": 2,
                "MsgBody": text("说坏话")}),
        )
        .await;
    assert_eq!(code, 80001);
    let (code, _) = admin
        .call_err(
            "group_open_http_svc/send_group_msg",
            json!({"GroupId": "g1", "From_Account": "a", "Random": 3, "MsgBody": text("spam!")}),
        )
        .await;
    assert_eq!(code, 80001);
    // Custom elements and clean texts pass; nothing was stored by the refusals.
    admin
        .call_ok(
            "openim/sendmsg",
            c2c(
                json!([{"MsgType": "TIMCustomElem", "MsgContent": {"Data": "spam"}}]),
                4,
            ),
        )
        .await;
    admin
        .call_ok(
            "group_open_http_svc/send_group_msg",
            json!({"GroupId": "g1", "From_Account": "a", "Random": 5, "MsgBody": text("hello")}),
        )
        .await;
    let roam = admin
        .call_ok(
            "openim/admin_getroammsg",
            json!({"Operator_Account": "a", "Peer_Account": "b", "MaxCnt": 10,
                "MinTime": 0, "MaxTime": 4_000_000_000u64}),
        )
        .await;
    assert_eq!(roam["MsgCnt"], 1, "{roam}");

    // Deleted, the word filters no more.
    admin
        .call_ok(DELETE, json!({"DirtyWordsList": ["spam", "never-added"]}))
        .await;
    assert_eq!(
        admin.call_ok(GET, json!({})).await["DirtyWordsList"],
        json!(["坏话"])
    );
    admin
        .call_ok("openim/sendmsg", c2c(text("buy spam now"), 6))
        .await;
}
common::also_on_postgres!(dirty_words_and_what_they_filter);

#[tokio::test]
async fn dirty_word_errors() {
    let server = TestServer::start().await;
    let admin = server.client();
    let fifty: Vec<String> = (0..50).map(|i| format!("w{i}")).collect();
    admin.call_ok(ADD, json!({"DirtyWordsList": fifty})).await;
    // 10004: a 51st word, an empty or over-200-byte word, a missing list, not JSON.
    for body in [
        json!({"DirtyWordsList": ["more"]}),
        json!({"DirtyWordsList": [""]}),
        json!({"DirtyWordsList": ["x".repeat(201)]}),
        json!({}),
        json!({"DirtyWordsList": "w1"}),
    ] {
        assert_eq!(admin.call_err(ADD, body).await.0, 10004);
    }
    assert_eq!(
        admin
            .call_err(DELETE, json!({"DirtyWordsList": [""]}))
            .await
            .0,
        10004
    );
    let resp = admin.request(ADD).body("{").send().await;
    assert!(resp.text.contains("\"ErrorCode\":10004"), "{}", resp.text);
    // A word already there is no addition.
    admin.call_ok(ADD, json!({"DirtyWordsList": ["w1"]})).await;
    assert_eq!(
        admin.call_ok(GET, json!({})).await["DirtyWordsList"]
            .as_array()
            .unwrap()
            .len(),
        50
    );
    // 10003 an unknown command, 10007 not an admin.
    assert_eq!(
        admin.call_err("openim_dirty_words/list", json!({})).await.0,
        10003
    );
    let user = server.client_for(0, "a");
    for path in [GET, ADD, DELETE] {
        assert_eq!(
            user.call_err(path, json!({"DirtyWordsList": ["x"]}))
                .await
                .0,
            10007
        );
    }
}

#[tokio::test]
async fn on_demand_moderation() {
    let server = TestServer::start().await;
    let admin = server.client();
    admin
        .call_ok(ADD, json!({"DirtyWordsList": ["gamble", "scam"]}))
        .await;
    let resp = admin
        .call_ok(
            AUDIT,
            json!({"AuditName": "C2C", "ContentType": "Text", "Content": "a scam to gamble on"}),
        )
        .await;
    assert_eq!(resp["Result"], "Block");
    assert_eq!(resp["Score"], 100);
    assert_eq!(resp["Label"], "Illegal");
    assert_eq!(resp["Keywords"], json!(["gamble", "scam"]));
    assert_eq!(resp["RequestId"].as_str().unwrap().len(), 36);
    let resp = admin
        .call_ok(
            AUDIT,
            json!({"AuditName": "Group", "ContentType": "Text", "Content": "hello"}),
        )
        .await;
    assert_eq!(
        (&resp["Result"], &resp["Score"], &resp["Label"]),
        (&json!("Pass"), &json!(0), &json!("Normal"))
    );
    assert!(resp.get("Keywords").is_none());
    let resp = admin
        .call_ok(
            AUDIT,
            json!({"AuditName": "UserInfo", "ContentType": "Image", "Content": "https://x/scam.png"}),
        )
        .await;
    assert_eq!(resp["Result"], "Pass");

    let resp = admin
        .call_ok(
            BATCH,
            json!({"AuditName": "C2C", "Contents": [
                {"ContentId": 1, "ContentType": "Text", "Content": "scam"},
                {"ContentId": 2, "ContentType": "Text", "Content": "fine"},
                {"ContentId": 3, "ContentType": "Image", "Content": "https://x/y.png"}]}),
        )
        .await;
    let results = resp["AuditResults"].as_array().unwrap();
    assert_eq!(results.len(), 3);
    assert_eq!(results[0]["ContentId"], 1);
    assert_eq!(results[0]["Result"], "Block");
    assert_eq!(results[0]["Keywords"], json!(["scam"]));
    assert_eq!(results[0]["ErrorCode"], 0);
    assert_eq!(results[1]["Result"], "Pass");
    assert_eq!(results[2]["Result"], "Pass");

    // Refusals: an unknown policy or type, a missing field, 11 items, a repeated ContentId,
    // audio in a batch, content over 8 KB, not JSON; a caller who is not an admin.
    for (path, body) in [
        (
            AUDIT,
            json!({"AuditName": "Chat", "ContentType": "Text", "Content": "x"}),
        ),
        (
            AUDIT,
            json!({"AuditName": "C2C", "ContentType": "Smell", "Content": "x"}),
        ),
        (AUDIT, json!({"AuditName": "C2C", "ContentType": "Text"})),
        (
            BATCH,
            json!({"AuditName": "C2C", "Contents": (0..11)
            .map(|i| json!({"ContentId": i, "ContentType": "Text", "Content": "x"}))
            .collect::<Vec<_>>()}),
        ),
        (
            BATCH,
            json!({"AuditName": "C2C", "Contents": [
            {"ContentId": 1, "ContentType": "Text", "Content": "x"},
            {"ContentId": 1, "ContentType": "Text", "Content": "y"}]}),
        ),
        (
            BATCH,
            json!({"AuditName": "C2C", "Contents": [
            {"ContentId": 1, "ContentType": "Audio", "Content": "x"}]}),
        ),
        (
            BATCH,
            json!({"AuditName": "C2C", "Contents": [
            {"ContentId": 1, "ContentType": "Text", "Content": "x".repeat(8193)}]}),
        ),
    ] {
        assert_eq!(admin.call_err(path, body.clone()).await.0, 60003, "{body}");
    }
    let resp = admin.request(AUDIT).body("nope").send().await;
    assert!(resp.text.contains("\"ErrorCode\":60003"), "{}", resp.text);
    let user = server.client_for(0, "a");
    assert_eq!(
        user.call_err(
            AUDIT,
            json!({"AuditName": "C2C", "ContentType": "Text", "Content": "x"})
        )
        .await
        .0,
        60010
    );
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
    a.call_ok(ADD, json!({"DirtyWordsList": ["spam"]})).await;
    assert_eq!(b.call_ok(GET, json!({})).await["DirtyWordsList"], json!([]));
    import_accounts(&b, &["x", "y"]).await;
    b.call_ok(
        "openim/sendmsg",
        json!({"From_Account": "x", "To_Account": "y", "MsgRandom": 1, "MsgBody": text("spam")}),
    )
    .await;
    let resp = b
        .call_ok(
            AUDIT,
            json!({"AuditName": "C2C", "ContentType": "Text", "Content": "spam"}),
        )
        .await;
    assert_eq!(resp["Result"], "Pass");
}
common::also_on_postgres!(tenancy);

/// `im_cos_msg`: banned URLs and signed URLs.
#[tokio::test]
async fn chat_files_banned_and_signed() {
    let server = TestServer::start_with(ServerOptions {
        apps: vec![TestApp::random(), TestApp::random()],
        ..Default::default()
    })
    .await;
    let admin = server.client_for(0, "administrator");
    let url = "https://cos.example/chat/a.png";
    admin
        .call_ok("im_cos_msg/forbid_illegal_object", json!({"RawURL": url}))
        .await;
    let resp = admin
        .call_ok(
            "im_cos_msg/get_cos_sig",
            json!({"RawURLs": [{"ResourceID": 7, "RawURL": url},
                {"ResourceID": 8, "RawURL": "https://cos.example/b.png?x=1"}]}),
        )
        .await;
    let sigs = resp["PreSigURLs"].as_array().unwrap();
    assert_eq!(sigs[0]["ResourceID"], 7);
    assert_eq!(sigs[0]["Status"], 1);
    assert_eq!(sigs[0]["Code"], 0);
    let signed = sigs[0]["PreSigURL"].as_str().unwrap();
    assert!(signed.starts_with(&format!("{url}?sign=")), "{signed}");
    assert!(signed.contains("&expires="), "{signed}");
    assert_eq!(sigs[1]["Status"], 0);
    assert!(sigs[1]["PreSigURL"]
        .as_str()
        .unwrap()
        .starts_with("https://cos.example/b.png?x=1&sign="));
    admin
        .call_ok("im_cos_msg/allow_banned_object", json!({"RawURL": url}))
        .await;
    let resp = admin
        .call_ok(
            "im_cos_msg/get_cos_sig",
            json!({"RawURLs": [{"ResourceID": 7, "RawURL": url}]}),
        )
        .await;
    assert_eq!(resp["PreSigURLs"][0]["Status"], 0);
    // Refusals: no URL, an empty one, not JSON, not an admin.
    assert_eq!(
        admin
            .call_err("im_cos_msg/forbid_illegal_object", json!({}))
            .await
            .0,
        60003
    );
    assert_eq!(
        admin
            .call_err(
                "im_cos_msg/get_cos_sig",
                json!({"RawURLs": [{"ResourceID": 1, "RawURL": ""}]})
            )
            .await
            .0,
        60003
    );
    let (c, _) = server
        .client_for(0, "u")
        .call_err("im_cos_msg/forbid_illegal_object", json!({"RawURL": url}))
        .await;
    assert_eq!(c, 60010);
    // Another app's bans are its own.
    admin
        .call_ok("im_cos_msg/forbid_illegal_object", json!({"RawURL": url}))
        .await;
    let resp = server
        .client_for(1, "administrator")
        .call_ok(
            "im_cos_msg/get_cos_sig",
            json!({"RawURLs": [{"ResourceID": 7, "RawURL": url}]}),
        )
        .await;
    assert_eq!(resp["PreSigURLs"][0]["Status"], 0);
}

/// The words in profile (40005), group (80001) and relationship (30005) fields, refused
/// before anything is written; clean values pass (push-and-operations.md §4.1).
#[tokio::test]
async fn dirty_words_in_profile_group_and_relationship_fields() {
    let server = TestServer::start().await;
    let admin = server.client();
    import_accounts(&admin, &["a", "b", "o"]).await;
    // Before any word is stored, the same values pass.
    admin
        .call_ok(
            "profile/portrait_set",
            json!({"From_Account": "a", "ProfileItem": [{"Tag": "Tag_Profile_IM_Nick", "Value": "spammer"}]}),
        )
        .await;
    admin
        .call_ok(ADD, json!({"DirtyWordsList": ["spam"]}))
        .await;

    // Profile: 40005, and the stored nick stays what it was.
    let (code, info) = admin
        .call_err(
            "profile/portrait_set",
            json!({"From_Account": "a", "ProfileItem": [
                {"Tag": "Tag_Profile_IM_Gender", "Value": "Gender_Type_Male"},
                {"Tag": "Tag_Profile_IM_SelfSignature", "Value": "no spam here"}]}),
        )
        .await;
    assert_eq!(code, 40005, "{info}");
    let got = admin
        .call_ok(
            "profile/portrait_get",
            json!({"To_Account": ["a"], "TagList": ["Tag_Profile_IM_Gender"]}),
        )
        .await;
    assert!(!got.to_string().contains("Gender_Type_Male"), "{got}");
    admin
        .call_ok(
            "profile/portrait_set",
            json!({"From_Account": "a", "ProfileItem": [{"Tag": "Tag_Profile_IM_Nick", "Value": "clean"}]}),
        )
        .await;

    // Groups: 80001 for name, introduction and notification, at creation and modification.
    for field in ["Name", "Introduction", "Notification"] {
        let mut body = json!({"Type": "Public", "Name": "g", "Owner_Account": "o"});
        body[field] = json!("spam!");
        let (code, info) = admin
            .call_err("group_open_http_svc/create_group", body)
            .await;
        assert_eq!(code, 80001, "{field}: {info}");
    }
    admin
        .call_ok(
            "group_open_http_svc/create_group",
            json!({"Type": "Public", "GroupId": "g1", "Name": "g", "Owner_Account": "o"}),
        )
        .await;
    for field in ["Name", "Introduction", "Notification"] {
        let mut body = json!({"GroupId": "g1"});
        body[field] = json!("more spam");
        let (code, info) = admin
            .call_err("group_open_http_svc/modify_group_base_info", body)
            .await;
        assert_eq!(code, 80001, "{field}: {info}");
    }
    let info = admin
        .call_ok(
            "group_open_http_svc/get_group_info",
            json!({"GroupIdList": ["g1"]}),
        )
        .await;
    assert_eq!(info["GroupInfo"][0]["Name"], "g", "{info}");
    admin
        .call_ok(
            "group_open_http_svc/modify_group_base_info",
            json!({"GroupId": "g1", "Name": "fine", "Introduction": "hello"}),
        )
        .await;
    // A member's name card too; a clean one is kept.
    let card = |c: &str| json!({"GroupId": "g1", "Member_Account": "o", "NameCard": c});
    let (code, info) = admin
        .call_err(
            "group_open_http_svc/modify_group_member_info",
            card("spam!"),
        )
        .await;
    assert_eq!(code, 80001, "NameCard: {info}");
    admin
        .call_ok(
            "group_open_http_svc/modify_group_member_info",
            card("owner"),
        )
        .await;
    let members = admin
        .call_ok(
            "group_open_http_svc/get_group_member_info",
            json!({"GroupId": "g1"}),
        )
        .await;
    assert_eq!(members["MemberList"][0]["NameCard"], "owner", "{members}");

    // Relationships: 30005 for a remark or a list name when adding, importing, updating,
    // and for group_add's list names; nothing is written.
    let add = |remark: &str, group: &str| {
        json!({"From_Account": "a", "AddFriendItem": [{"To_Account": "b", "AddSource": "AddSource_Type_X",
            "Remark": remark, "GroupName": group}], "ForceAddFlags": 1})
    };
    let import = |remark: &str, group: &str| {
        json!({"From_Account": "a", "AddFriendItem": [{"To_Account": "b", "AddSource": "AddSource_Type_X",
            "Remark": remark, "GroupName": [group]}]})
    };
    for (path, body) in [
        ("sns/friend_add", &add as &dyn Fn(&str, &str) -> Value),
        ("sns/friend_import", &import),
    ] {
        let (code, info) = admin.call_err(path, body("my spam pal", "ok")).await;
        assert_eq!(code, 30005, "{path}: {info}");
        let (code, info) = admin.call_err(path, body("pal", "spamlist")).await;
        assert_eq!(code, 30005, "{path}: {info}");
    }
    let friends = admin
        .call_ok(
            "sns/friend_get",
            json!({"From_Account": "a", "StartIndex": 0}),
        )
        .await;
    assert_eq!(friends["FriendNum"], 0, "{friends}");
    admin.call_ok("sns/friend_add", add("pal", "")).await;
    for item in [
        json!({"Tag": "Tag_SNS_IM_Remark", "Value": "spam"}),
        json!({"Tag": "Tag_SNS_IM_Group", "Value": ["ok", "spam"]}),
    ] {
        let (code, info) = admin
            .call_err(
                "sns/friend_update",
                json!({"From_Account": "a", "UpdateItem": [{"To_Account": "b", "SnsItem": [item]}]}),
            )
            .await;
        assert_eq!(code, 30005, "{info}");
    }
    let (code, info) = admin
        .call_err(
            "sns/group_add",
            json!({"From_Account": "a", "GroupName": ["spam"]}),
        )
        .await;
    assert_eq!(code, 30005, "{info}");
    admin
        .call_ok(
            "sns/group_add",
            json!({"From_Account": "a", "GroupName": ["buddies"]}),
        )
        .await;
}
