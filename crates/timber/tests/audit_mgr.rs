//! End-to-end: the keyword libraries (`v4/im_msg_audit_mgr/*`): local keywords (block and
//! replace, words and regular expressions, pages, fuzzy filter), cloud libraries and their
//! labelled keywords; blocking words refuse messages (80001) and make on-demand moderation
//! `Block` with their label; the `SdkAppId` check, the limits, errors, tenancy. spec:
//! push-and-operations.md §4.3, §8.

mod common;

use common::{import_accounts, Client, ServerOptions, TestApp, TestServer};
use serde_json::{json, Value};

fn text(t: &str) -> Value {
    json!([{"MsgType": "TIMTextElem", "MsgContent": {"Text": t}}])
}

async fn mgr(c: &Client, app: u64, command: &str, mut body: Value) -> Value {
    body["SdkAppId"] = app.into();
    let resp = c
        .call_ok(&format!("im_msg_audit_mgr/{command}"), body)
        .await;
    assert_eq!(resp["RequestId"].as_str().unwrap().len(), 32, "{resp}");
    resp
}

async fn mgr_err(c: &Client, app: u64, command: &str, mut body: Value) -> u64 {
    body["SdkAppId"] = app.into();
    c.call_err(&format!("im_msg_audit_mgr/{command}"), body)
        .await
        .0
}

#[tokio::test]
async fn local_and_cloud_keywords() {
    let server = TestServer::start_with(ServerOptions {
        apps: vec![TestApp::random(), TestApp::random()],
        ..Default::default()
    })
    .await;
    let admin = server.client_for(0, "administrator");
    let app = server.apps[0].sdkappid;
    mgr(
        &admin,
        app,
        "add_local_audit_keywords",
        json!({"LocalAuditWords": [
            {"Keyword": "fraud", "WordType": 1, "FilterType": 2},
            {"Keyword": "darn", "WordType": 1, "FilterType": 1, "ReplacedContent": "**"},
            {"Keyword": "^x+$", "WordType": 2, "FilterType": 2},
            {"Keyword": "fraud", "WordType": 1, "FilterType": 2}]}),
    )
    .await;
    let resp = mgr(
        &admin,
        app,
        "get_local_audit_keywords",
        json!({"FilterType": 2}),
    )
    .await;
    assert_eq!(resp["TotalCount"], 2);
    assert_eq!(resp["TotalRegCount"], 1);
    assert_eq!(resp["CurCount"], 2);
    assert_eq!(resp["CurRegCount"], 1);
    let words = resp["LocalAuditWords"].as_array().unwrap();
    assert_eq!(words[0]["Keyword"], "fraud");
    assert_eq!(words[0]["FilterType"], 2);
    let fraud_id = words[0]["Id"].as_i64().unwrap();
    let resp = mgr(
        &admin,
        app,
        "get_local_audit_keywords",
        json!({"Keyword": "ar", "Offset": 0, "Limit": 10}),
    )
    .await;
    assert_eq!(resp["TotalCount"], 1);
    assert_eq!(resp["LocalAuditWords"][0]["ReplacedContent"], "**");
    let resp = mgr(
        &admin,
        app,
        "get_local_audit_keywords",
        json!({"Offset": 1, "Limit": 1}),
    )
    .await;
    assert_eq!(
        (resp["TotalCount"].as_u64(), resp["CurCount"].as_u64()),
        (Some(3), Some(1))
    );

    // Cloud keywords in two libraries.
    mgr(
        &admin,
        app,
        "add_cloud_audit_keywords",
        json!({"LibID": "lib1", "UserKeywords": [
            {"Content": "casino", "Label": "Ad"}, {"Content": "rebel", "Label": "Polity"}]}),
    )
    .await;
    mgr(
        &admin,
        app,
        "add_cloud_audit_keywords",
        json!({"LibID": "lib2", "UserKeywords": [{"Content": "bomb", "Label": "Terror"}]}),
    )
    .await;
    let resp = mgr(&admin, app, "get_cloud_audit_keywords_ids", json!({})).await;
    assert_eq!(resp["TotalCount"], 2);
    assert_eq!(resp["Infos"][0]["ID"], "lib1");
    let resp = mgr(
        &admin,
        app,
        "get_cloud_audit_keywords",
        json!({"LibID": "lib1", "Content": "cas"}),
    )
    .await;
    assert_eq!(resp["TotalCount"], 1);
    assert_eq!(resp["Infos"][0]["Content"], "casino");
    assert_eq!(resp["Infos"][0]["Label"], "Ad");

    // Blocking words refuse messages and make moderation Block.
    import_accounts(&admin, &["a", "b"]).await;
    for (random, t) in [(1, "commit fraud"), (2, "visit the casino")] {
        let (code, _) = admin
            .call_err(
                "openim/sendmsg",
                json!({"From_Account": "a", "To_Account": "b", "MsgRandom": random, "MsgBody": text(t)}),
            )
            .await;
        assert_eq!(code, 80001, "{t}");
    }
    let resp = admin
        .call_ok(
            "im_msg_audit/content_moderation",
            json!({"AuditName": "C2C", "ContentType": "Text", "Content": "a casino"}),
        )
        .await;
    assert_eq!(
        (&resp["Result"], &resp["Label"]),
        (&json!("Block"), &json!("Ad"))
    );
    // A replace keyword does not block.
    admin
        .call_ok(
            "openim/sendmsg",
            json!({"From_Account": "a", "To_Account": "b", "MsgRandom": 3, "MsgBody": text("darn")}),
        )
        .await;

    // Deleting.
    mgr(
        &admin,
        app,
        "delete_local_audit_keywords",
        json!({"LocalAuditWords": [{"Id": fraud_id}, {"Keyword": "darn"}]}),
    )
    .await;
    let resp = mgr(&admin, app, "get_local_audit_keywords", json!({})).await;
    assert_eq!(resp["TotalCount"], 1);
    let resp = mgr(
        &admin,
        app,
        "delete_cloud_audit_keywords",
        json!({"LibID": "lib1", "Keywords": ["casino", "nothing"]}),
    )
    .await;
    assert_eq!(resp["Count"], 1);
    assert_eq!(resp["Details"][0]["Deleted"], true);
    assert_eq!(resp["Details"][1]["Deleted"], false);
    admin
        .call_ok(
            "openim/sendmsg",
            json!({"From_Account": "a", "To_Account": "b", "MsgRandom": 4, "MsgBody": text("casino")}),
        )
        .await;

    // Errors: another app's SdkAppId, FilterType 3, Limit 101, 11 keywords, an unknown
    // label, an empty LibID; not an admin.
    let other = server.apps[1].sdkappid;
    assert_eq!(
        mgr_err(&admin, other, "get_local_audit_keywords", json!({})).await,
        60003
    );
    assert_eq!(
        mgr_err(
            &admin,
            app,
            "get_local_audit_keywords",
            json!({"FilterType": 3})
        )
        .await,
        60003
    );
    assert_eq!(
        mgr_err(
            &admin,
            app,
            "get_cloud_audit_keywords_ids",
            json!({"Limit": 101})
        )
        .await,
        60003
    );
    let eleven: Vec<Value> = (0..11)
        .map(|i| json!({"Keyword": format!("k{i}")}))
        .collect();
    assert_eq!(
        mgr_err(
            &admin,
            app,
            "add_local_audit_keywords",
            json!({"LocalAuditWords": eleven})
        )
        .await,
        60003
    );
    assert_eq!(
        mgr_err(
            &admin,
            app,
            "add_cloud_audit_keywords",
            json!({"LibID": "l", "UserKeywords": [{"Content": "x", "Label": "Spicy"}]})
        )
        .await,
        60003
    );
    assert_eq!(
        mgr_err(
            &admin,
            app,
            "get_cloud_audit_keywords",
            json!({"LibID": ""})
        )
        .await,
        60003
    );
    let (c, _) = server
        .client_for(0, "a")
        .call_err(
            "im_msg_audit_mgr/get_local_audit_keywords",
            json!({"SdkAppId": app}),
        )
        .await;
    assert_eq!(c, 60010);

    // Tenancy: the other app has none of it.
    let b = server.client_for(1, "administrator");
    let resp = mgr(&b, other, "get_local_audit_keywords", json!({})).await;
    assert_eq!(resp["TotalCount"], 0);
    let resp = mgr(&b, other, "get_cloud_audit_keywords_ids", json!({})).await;
    assert_eq!(resp["TotalCount"], 0);
}
common::also_on_postgres!(local_and_cloud_keywords);

/// Replacing local keywords (`FilterType` 1): words and regular expressions are masked in the
/// stored text (by `ReplacedContent`, else one asterisk a character) in sendmsg,
/// batchsendmsg and send_group_msg; custom elements are kept; the send succeeds.
#[tokio::test]
async fn replacing_keywords_mask_sent_text() {
    let server = TestServer::start().await;
    let admin = server.client();
    let app = server.apps[0].sdkappid;
    import_accounts(&admin, &["a", "b", "o"]).await;
    mgr(
        &admin,
        app,
        "add_local_audit_keywords",
        json!({"LocalAuditWords": [
            {"Keyword": "darn", "WordType": 1, "FilterType": 1},
            {"Keyword": "heck", "WordType": 1, "FilterType": 1, "ReplacedContent": "[x]"},
            {"Keyword": "[0-9]{3}-[0-9]{4}", "WordType": 2, "FilterType": 1},
            {"Keyword": "(a+)+{999}{999}", "WordType": 2, "FilterType": 1}]}),
    )
    .await;
    let body = json!([
        {"MsgType": "TIMTextElem", "MsgContent": {"Text": "darn, call 555-1234, heck"}},
        {"MsgType": "TIMCustomElem", "MsgContent": {"Data": "darn"}}]);
    let masked = "****, call ********, [x]";
    admin
        .call_ok(
            "openim/sendmsg",
            json!({"From_Account": "a", "To_Account": "b", "MsgRandom": 1, "MsgBody": body}),
        )
        .await;
    admin
        .call_ok(
            "openim/batchsendmsg",
            json!({"From_Account": "a", "To_Account": ["o"], "MsgRandom": 2, "MsgBody": body}),
        )
        .await;
    for peer in ["b", "o"] {
        let roam = admin
            .call_ok(
                "openim/admin_getroammsg",
                json!({"Operator_Account": "a", "Peer_Account": peer, "MaxCnt": 10,
                    "MinTime": 0, "MaxTime": 4_000_000_000u64}),
            )
            .await;
        let msg = &roam["MsgList"][0]["MsgBody"];
        assert_eq!(msg[0]["MsgContent"]["Text"], masked, "{roam}");
        assert_eq!(msg[1]["MsgContent"]["Data"], "darn", "{roam}");
    }
    admin
        .call_ok(
            "group_open_http_svc/create_group",
            json!({"Type": "Public", "GroupId": "g1", "Name": "g", "Owner_Account": "o",
                "MemberList": [{"Member_Account": "a"}]}),
        )
        .await;
    admin
        .call_ok(
            "group_open_http_svc/send_group_msg",
            json!({"GroupId": "g1", "From_Account": "a", "Random": 3, "MsgBody": body}),
        )
        .await;
    let hist = admin
        .call_ok(
            "group_open_http_svc/group_msg_get_simple",
            json!({"GroupId": "g1", "ReqMsgNumber": 1}),
        )
        .await;
    assert_eq!(
        hist["RspMsgList"][0]["MsgBody"][0]["MsgContent"]["Text"], masked,
        "{hist}"
    );
    // A text without a keyword is stored as sent.
    admin
        .call_ok(
            "openim/sendmsg",
            json!({"From_Account": "b", "To_Account": "a", "MsgRandom": 4, "MsgBody": text("clean 55-12")}),
        )
        .await;
}

/// Blocking regular expressions (`FilterType` 2, `WordType` 2) act wherever blocking words
/// do: sendmsg, batchsendmsg and send_group_msg are refused with 80001 and store nothing;
/// on-demand moderation answers `Block` with the matched text; profile (40005), group
/// (80001) and relationship (30005) fields are refused and nothing is written. A pattern that
/// does not compile or is over the size limit blocks nothing; replacing regexes do not block.
#[tokio::test]
async fn blocking_regular_expressions() {
    let server = TestServer::start().await;
    let admin = server.client();
    let app = server.apps[0].sdkappid;
    import_accounts(&admin, &["a", "b", "o"]).await;
    admin
        .call_ok(
            "group_open_http_svc/create_group",
            json!({"Type": "Public", "GroupId": "g1", "Name": "g", "Owner_Account": "o",
                "MemberList": [{"Member_Account": "a"}]}),
        )
        .await;
    mgr(
        &admin,
        app,
        "add_local_audit_keywords",
        json!({"LocalAuditWords": [
            {"Keyword": "[0-9]{3}-[0-9]{4}", "WordType": 2, "FilterType": 2},
            {"Keyword": "(unclosed", "WordType": 2, "FilterType": 2},
            {"Keyword": "\\w{1000}{1000}", "WordType": 2, "FilterType": 2},
            {"Keyword": "^z+$", "WordType": 2, "FilterType": 1}]}),
    )
    .await;

    // Messages: 80001, nothing stored.
    let (code, info) = admin
        .call_err(
            "openim/sendmsg",
            json!({"From_Account": "a", "To_Account": "b", "MsgRandom": 1,
                "MsgBody": text("call 555-1234")}),
        )
        .await;
    assert_eq!(code, 80001, "{info}");
    let (code, _) = admin
        .call_err(
            "openim/batchsendmsg",
            json!({"From_Account": "a", "To_Account": ["b", "o"], "MsgRandom": 2,
                "MsgBody": text("or 555-9999")}),
        )
        .await;
    assert_eq!(code, 80001);
    let (code, _) = admin
        .call_err(
            "group_open_http_svc/send_group_msg",
            json!({"GroupId": "g1", "From_Account": "a", "Random": 3,
                "MsgBody": text("group 123-4567")}),
        )
        .await;
    assert_eq!(code, 80001);
    for peer in ["b", "o"] {
        let roam = admin
            .call_ok(
                "openim/admin_getroammsg",
                json!({"Operator_Account": "a", "Peer_Account": peer, "MaxCnt": 10,
                    "MinTime": 0, "MaxTime": 4_000_000_000u64}),
            )
            .await;
        assert_eq!(roam["MsgCnt"], 0, "{roam}");
    }
    let hist = admin
        .call_ok(
            "group_open_http_svc/group_msg_get_simple",
            json!({"GroupId": "g1", "ReqMsgNumber": 10}),
        )
        .await;
    assert!(!hist.to_string().contains("123-4567"), "{hist}");
    // Texts the patterns do not match pass, the broken patterns and the replacing one too.
    for (random, t) in [(4, "(unclosed 55-12"), (5, "zzz")] {
        admin
            .call_ok(
                "openim/sendmsg",
                json!({"From_Account": "a", "To_Account": "b", "MsgRandom": random,
                    "MsgBody": text(t)}),
            )
            .await;
    }

    // On-demand moderation: Block with the text matched.
    let resp = admin
        .call_ok(
            "im_msg_audit/content_moderation",
            json!({"AuditName": "C2C", "ContentType": "Text", "Content": "ring 555-1234 now"}),
        )
        .await;
    assert_eq!(
        (&resp["Result"], &resp["Label"], &resp["Keywords"]),
        (&json!("Block"), &json!("Illegal"), &json!(["555-1234"])),
        "{resp}"
    );
    let resp = admin
        .call_ok(
            "im_msg_audit/batch_content_moderation",
            json!({"AuditName": "C2C", "Contents": [
                {"ContentId": 1, "ContentType": "Text", "Content": "fine"},
                {"ContentId": 2, "ContentType": "Text", "Content": "000-0000"}]}),
        )
        .await;
    assert_eq!(resp["AuditResults"][0]["Result"], "Pass", "{resp}");
    assert_eq!(resp["AuditResults"][1]["Result"], "Block", "{resp}");
    assert_eq!(resp["AuditResults"][1]["Keywords"], json!(["000-0000"]));

    // Profile 40005, group 80001, relationship 30005; nothing written.
    let (code, _) = admin
        .call_err(
            "profile/portrait_set",
            json!({"From_Account": "a", "ProfileItem": [
                {"Tag": "Tag_Profile_IM_Nick", "Value": "dial 555-1234"}]}),
        )
        .await;
    assert_eq!(code, 40005);
    let got = admin
        .call_ok(
            "profile/portrait_get",
            json!({"To_Account": ["a"], "TagList": ["Tag_Profile_IM_Nick"]}),
        )
        .await;
    assert!(!got.to_string().contains("555-1234"), "{got}");
    let (code, _) = admin
        .call_err(
            "group_open_http_svc/create_group",
            json!({"Type": "Public", "Name": "555-1234", "Owner_Account": "o"}),
        )
        .await;
    assert_eq!(code, 80001);
    let (code, _) = admin
        .call_err(
            "group_open_http_svc/modify_group_base_info",
            json!({"GroupId": "g1", "Notification": "call 555-1234"}),
        )
        .await;
    assert_eq!(code, 80001);
    let (code, _) = admin
        .call_err(
            "group_open_http_svc/modify_group_member_info",
            json!({"GroupId": "g1", "Member_Account": "a", "NameCard": "555-1234"}),
        )
        .await;
    assert_eq!(code, 80001);
    let (code, _) = admin
        .call_err(
            "sns/friend_add",
            json!({"From_Account": "a", "AddFriendItem": [{"To_Account": "b",
                "AddSource": "AddSource_Type_X", "Remark": "555-1234"}], "ForceAddFlags": 1}),
        )
        .await;
    assert_eq!(code, 30005);
    let (code, _) = admin
        .call_err(
            "sns/group_add",
            json!({"From_Account": "a", "GroupName": ["555-1234"]}),
        )
        .await;
    assert_eq!(code, 30005);
    let friends = admin
        .call_ok(
            "sns/friend_get",
            json!({"From_Account": "a", "StartIndex": 0}),
        )
        .await;
    assert_eq!(friends["FriendNum"], 0, "{friends}");
    let info = admin
        .call_ok(
            "group_open_http_svc/get_group_info",
            json!({"GroupIdList": ["g1"]}),
        )
        .await;
    assert!(!info.to_string().contains("555-1234"), "{info}");

    // Deleted, the pattern blocks no more.
    mgr(
        &admin,
        app,
        "delete_local_audit_keywords",
        json!({"LocalAuditWords": [{"Keyword": "[0-9]{3}-[0-9]{4}"}]}),
    )
    .await;
    admin
        .call_ok(
            "openim/sendmsg",
            json!({"From_Account": "a", "To_Account": "b", "MsgRandom": 6,
                "MsgBody": text("call 555-1234")}),
        )
        .await;
}
common::also_on_postgres!(blocking_regular_expressions);
