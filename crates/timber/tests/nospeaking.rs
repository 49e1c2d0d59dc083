//! End-to-end: global mutes (`v4/openconfigsvr/setnospeaking`, `getnospeaking`): setting,
//! reading the remaining seconds, permanent and lifted mutes, a field left out keeping its
//! mute, the effect on every send path (send_group_msg refused with 10017; REST sendmsg and
//! batchsendmsg ignore the C2C mute, as documented), every documented error code, tenancy;
//! and `v4/ConfigSvc/GetIPList`. spec: push-and-operations.md §2, §3.3.

mod common;

use common::{import_accounts, Client, ServerOptions, TestApp, TestServer};
use serde_json::{json, Value};

const SET: &str = "openconfigsvr/setnospeaking";
const GET: &str = "openconfigsvr/getnospeaking";

fn text(t: &str) -> Value {
    json!([{"MsgType": "TIMTextElem", "MsgContent": {"Text": t}}])
}

async fn mutes(c: &Client, user: &str) -> (u64, u64) {
    let r = c.call_ok(GET, json!({"Get_Account": user})).await;
    (
        r["C2CmsgNospeakingTime"].as_u64().unwrap(),
        r["GroupmsgNospeakingTime"].as_u64().unwrap(),
    )
}

#[tokio::test]
async fn set_and_get_global_mutes() {
    let server = TestServer::start().await;
    let admin = server.client();
    let resp = admin
        .call_ok(
            SET,
            json!({"Set_Account": "spammer_42", "C2CmsgNospeakingTime": 86400}),
        )
        .await;
    assert_eq!(
        resp,
        json!({"ActionStatus": "OK", "ErrorCode": 0, "ErrorInfo": ""})
    );
    let (c2c, group) = mutes(&admin, "spammer_42").await;
    assert!((86_398..=86_400).contains(&c2c), "{c2c}");
    assert_eq!(group, 0);
    // A field left out keeps its mute; 4294967295 is permanent.
    admin
        .call_ok(
            SET,
            json!({"Set_Account": "spammer_42", "GroupmsgNospeakingTime": 4294967295u64}),
        )
        .await;
    let (c2c, group) = mutes(&admin, "spammer_42").await;
    assert!(c2c > 86_000);
    assert_eq!(group, 4_294_967_295);
    // 0 lifts a mute; a never-muted account reads 0, 0.
    admin
        .call_ok(
            SET,
            json!({"Set_Account": "spammer_42", "C2CmsgNospeakingTime": 0, "GroupmsgNospeakingTime": 0}),
        )
        .await;
    assert_eq!(mutes(&admin, "spammer_42").await, (0, 0));
    assert_eq!(mutes(&admin, "nobody").await, (0, 0));
    // A short mute runs out by itself.
    admin
        .call_ok(
            SET,
            json!({"Set_Account": "brief", "GroupmsgNospeakingTime": 1}),
        )
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    assert_eq!(mutes(&admin, "brief").await, (0, 0));
}
common::also_on_postgres!(set_and_get_global_mutes);

#[tokio::test]
async fn the_mute_on_each_send_path() {
    let server = TestServer::start().await;
    let admin = server.client();
    import_accounts(&admin, &["o", "a", "b"]).await;
    admin
        .call_ok(
            "group_open_http_svc/create_group",
            json!({"Type": "Public", "GroupId": "g1", "Name": "g", "Owner_Account": "o",
                "MemberList": [{"Member_Account": "a"}, {"Member_Account": "b"}]}),
        )
        .await;
    admin
        .call_ok(
            SET,
            json!({"Set_Account": "a", "C2CmsgNospeakingTime": 3600, "GroupmsgNospeakingTime": 3600}),
        )
        .await;
    let group_send = |from: &str, random: u32| json!({"GroupId": "g1", "From_Account": from, "Random": random, "MsgBody": text("hi")});
    let (code, _) = admin
        .call_err("group_open_http_svc/send_group_msg", group_send("a", 1))
        .await;
    assert_eq!(code, 10017);
    admin
        .call_ok("group_open_http_svc/send_group_msg", group_send("b", 2))
        .await;
    // REST one-to-one sends ignore the sender's global mute (the sendmsg page).
    admin
        .call_ok(
            "openim/sendmsg",
            json!({"From_Account": "a", "To_Account": "b", "MsgRandom": 1, "MsgBody": text("hi")}),
        )
        .await;
    admin
        .call_ok(
            "openim/batchsendmsg",
            json!({"From_Account": "a", "To_Account": ["b", "o"], "MsgRandom": 2, "MsgBody": text("hi")}),
        )
        .await;
    // Lifted, the group send goes through.
    admin
        .call_ok(
            SET,
            json!({"Set_Account": "a", "GroupmsgNospeakingTime": 0}),
        )
        .await;
    admin
        .call_ok("group_open_http_svc/send_group_msg", group_send("a", 3))
        .await;
}
common::also_on_postgres!(the_mute_on_each_send_path);

#[tokio::test]
async fn every_documented_error() {
    let server = TestServer::start().await;
    let admin = server.client();
    let code = |body: Value, path: &'static str| {
        let admin = admin.clone();
        async move { admin.call_err(path, body).await.0 }
    };
    assert_eq!(code(json!({"C2CmsgNospeakingTime": 1}), SET).await, 130004);
    assert_eq!(
        code(json!({"Set_Account": null, "C2CmsgNospeakingTime": 1}), SET).await,
        130004
    );
    assert_eq!(
        code(json!({"Set_Account": 7, "C2CmsgNospeakingTime": 1}), SET).await,
        130005
    );
    assert_eq!(
        code(json!({"Set_Account": "", "C2CmsgNospeakingTime": 1}), SET).await,
        130005
    );
    assert_eq!(code(json!({"Set_Account": "a"}), SET).await, 130008);
    for bad in [json!(-1), json!("60"), json!(4294967296u64), json!(1.5)] {
        assert_eq!(
            code(
                json!({"Set_Account": "a", "C2CmsgNospeakingTime": bad}),
                SET
            )
            .await,
            130006
        );
        assert_eq!(
            code(
                json!({"Set_Account": "a", "GroupmsgNospeakingTime": bad}),
                SET
            )
            .await,
            130007
        );
    }
    assert_eq!(code(json!({}), GET).await, 130002);
    assert_eq!(code(json!({"Get_Account": ["a"]}), GET).await, 130003);
    for path in [SET, GET] {
        let resp = admin.request(path).body("{").send().await;
        assert!(resp.text.contains("\"ErrorCode\":130001"), "{}", resp.text);
        let resp = admin.request(path).body("[1]").send().await;
        assert!(resp.text.contains("\"ErrorCode\":130001"), "{}", resp.text);
        let user = server.client_for(0, "a");
        let (c, _) = user
            .call_err(
                path,
                json!({"Set_Account": "a", "Get_Account": "a", "C2CmsgNospeakingTime": 1}),
            )
            .await;
        assert_eq!(c, 60010);
    }
    // Nothing was written by the refusals.
    assert_eq!(mutes(&admin, "a").await, (0, 0));
}

#[tokio::test]
async fn tenancy_and_ip_list() {
    let server = TestServer::start_with(ServerOptions {
        apps: vec![TestApp::random(), TestApp::random()],
        ..Default::default()
    })
    .await;
    let a = server.client_for(0, "administrator");
    let b = server.client_for(1, "administrator");
    a.call_ok(
        SET,
        json!({"Set_Account": "x", "C2CmsgNospeakingTime": 100}),
    )
    .await;
    assert_eq!(mutes(&b, "x").await, (0, 0));
    assert!(mutes(&a, "x").await.0 > 90);

    let resp = a.call_ok("ConfigSvc/GetIPList", json!({})).await;
    assert_eq!(
        resp,
        json!({"ActionStatus": "OK", "ErrorCode": 0, "ErrorInfo": "", "IPList": ["127.0.0.1"]})
    );
    let resp = a
        .request("ConfigSvc/GetIPList")
        .param("nettype", "5")
        .json(&json!({}))
        .send()
        .await;
    assert!(
        resp.text.contains("\"IPList\":[\"127.0.0.1\"]"),
        "{}",
        resp.text
    );
    let resp = a.request("ConfigSvc/GetIPList").body("{").send().await;
    assert!(resp.text.contains("\"ErrorCode\":60003"), "{}", resp.text);
    let (c, _) = server
        .client_for(0, "x")
        .call_err("ConfigSvc/GetIPList", json!({}))
        .await;
    assert_eq!(c, 60010);
}

/// `openconfigsvr/getappinfo`: today's record counts what was done today.
#[tokio::test]
async fn app_info_counts_what_was_done() {
    let server = TestServer::start().await;
    let admin = server.client();
    let resp = admin.call_ok("openconfigsvr/getappinfo", json!({})).await;
    let before = resp["Result"][0].clone();
    let n = |v: &Value, f: &str| v[f].as_str().unwrap().parse::<u64>().unwrap();
    import_accounts(&admin, &["a", "b", "o"]).await;
    admin
        .call_ok(
            "group_open_http_svc/create_group",
            json!({"Type": "Public", "GroupId": "g1", "Name": "g", "Owner_Account": "o",
                "MemberList": [{"Member_Account": "a"}, {"Member_Account": "b"}]}),
        )
        .await;
    for (from, random) in [("a", 1), ("a", 2), ("b", 3)] {
        admin
            .call_ok(
                "openim/sendmsg",
                json!({"From_Account": from, "To_Account": "o", "MsgRandom": random,
                    "MsgBody": text("hi")}),
            )
            .await;
    }
    admin
        .call_ok(
            "group_open_http_svc/send_group_msg",
            json!({"GroupId": "g1", "From_Account": "a", "Random": 1, "MsgBody": text("hi")}),
        )
        .await;
    let resp = admin.call_ok("openconfigsvr/getappinfo", json!({})).await;
    let result = resp["Result"].as_array().unwrap();
    assert_eq!(result.len(), 1, "one day old: {resp}");
    let today = &result[0];
    assert_eq!(today["Date"].as_str().unwrap().len(), 8);
    assert_eq!(today["AppId"], server.apps[0].sdkappid.to_string());
    assert_eq!(
        n(today, "RegistUserNumOneDay"),
        n(&before, "RegistUserNumOneDay") + 3
    );
    assert_eq!(
        n(today, "RegistUserNumTotal"),
        n(&before, "RegistUserNumTotal") + 3
    );
    assert_eq!(n(today, "C2CUpMsgNum"), 3);
    assert_eq!(n(today, "C2CSendMsgUserNum"), 2);
    assert_eq!(n(today, "GroupUpMsgNum"), 1);
    assert_eq!(n(today, "GroupDownMsgNum"), 2);
    assert_eq!(n(today, "GroupSendMsgGroupNum"), 1);
    assert_eq!(n(today, "SendMsgUserNum"), 2);
    assert_eq!(n(today, "UpMsgNum"), 4);
    assert_eq!(n(today, "GroupNewGroupNum"), 1);
    assert_eq!(n(today, "GroupAllGroupNum"), 1);
    assert_eq!(n(today, "GroupJoinGroupTimes"), 3);
    assert_eq!(n(today, "LoginTimes"), 0);
    // RequestField picks fields; Date is always there; unknown names are ignored.
    let resp = admin
        .call_ok(
            "openconfigsvr/getappinfo",
            json!({"RequestField": ["C2CUpMsgNum", "Nope"]}),
        )
        .await;
    let keys: Vec<&String> = resp["Result"][0].as_object().unwrap().keys().collect();
    assert_eq!(keys.len(), 2, "{resp}");
    assert_eq!(resp["Result"][0]["C2CUpMsgNum"], "3");
    let resp = admin
        .request("openconfigsvr/getappinfo")
        .body("{")
        .send()
        .await;
    assert!(resp.text.contains("\"ErrorCode\":130001"), "{}", resp.text);
    let (c, _) = server
        .client_for(0, "a")
        .call_err("openconfigsvr/getappinfo", json!({}))
        .await;
    assert_eq!(c, 60010);
    // Another app counts its own.
    let other = TestServer::start_with(ServerOptions {
        apps: vec![TestApp::random()],
        ..Default::default()
    })
    .await;
    let resp = other
        .client()
        .call_ok("openconfigsvr/getappinfo", json!({}))
        .await;
    assert_eq!(resp["Result"][0]["C2CUpMsgNum"], "0");
}
common::also_on_postgres!(app_info_counts_what_was_done);
