//! `rate_limits = "cloud"`: 60007 over a command's calls a second, 10023 over a group's 40
//! messages a second, and `Alert.RequestOverLimit` at 80%; off by default.

mod common;

use common::{ServerOptions, TestApp, TestServer};
use serde_json::{json, Value};

fn options(extra: &str) -> ServerOptions {
    let app = TestApp::random();
    // No one listens on port 9: the alarm's attempt is logged as failed, which is enough.
    let apps = format!(
        "[{{sdkappid = {}, key = {:?}, callback_url = \"http://127.0.0.1:9/cb\"{extra}}}]",
        app.sdkappid, app.key
    );
    ServerOptions {
        apps: vec![app],
        env: vec![("TIMBER_APPS".into(), apps)],
        ..ServerOptions::default()
    }
}

/// `n` calls at once; their ErrorCodes.
async fn burst(client: &common::Client, path: &str, bodies: Vec<Value>) -> Vec<u64> {
    let calls = bodies.into_iter().map(|b| {
        let c = client.clone();
        let path = path.to_owned();
        async move { c.call(&path, b).await["ErrorCode"].as_u64().unwrap() }
    });
    futures_util::future::join_all(calls).await
}

#[tokio::test]
async fn cloud_limits_refuse_over_the_limit_and_alarm_at_80_percent() {
    let server = TestServer::start_with(options(", rate_limits = \"cloud\"")).await;
    let admin = server.client();
    // account_check: 100 a second. 300 at once cannot all fit in the seconds they span.
    let check = json!({"CheckItem": [{"UserID": "administrator"}]});
    let codes = burst(&admin, "im_open_login_svc/account_check", vec![check; 300]).await;
    let over = codes.iter().filter(|&&c| c == 60007).count();
    assert!(over > 0, "{codes:?}");
    assert!(codes.iter().all(|&c| c == 0 || c == 60007), "{codes:?}");

    let log = admin
        .request("x")
        .path("/_timber/callbacks")
        .method("GET")
        .send()
        .await
        .envelope("callbacks");
    let alarms: Vec<&Value> = log["Attempts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["Command"] == "Alert.RequestOverLimit")
        .collect();
    assert!(!alarms.is_empty(), "{log}");
    let body: Value = serde_json::from_str(alarms[0]["Body"].as_str().unwrap()).unwrap();
    assert_eq!(body["Command"], "account_check");
    assert_eq!(body["LimitPerSecond"], 100);
    assert_eq!(body["CallsThisSecond"], 80);

    // One group: 40 messages a second, 10023 beyond.
    admin
        .call_ok(
            "im_open_login_svc/account_import",
            json!({"UserID": "alice"}),
        )
        .await;
    let g = admin
        .call_ok(
            "group_open_http_svc/create_group",
            json!({"Type": "Public", "Name": "g", "Owner_Account": "alice"}),
        )
        .await["GroupId"]
        .clone();
    let sends: Vec<Value> = (0..120)
        .map(|i| {
            json!({"GroupId": g, "From_Account": "alice", "Random": i,
                   "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "x"}}]})
        })
        .collect();
    let codes = burst(&admin, "group_open_http_svc/send_group_msg", sends).await;
    assert!(codes.contains(&10023), "{codes:?}");
    assert!(codes.iter().all(|&c| c == 0 || c == 10023), "{codes:?}");
}

#[tokio::test]
async fn limits_are_off_by_default() {
    let server = TestServer::start_with(options("")).await;
    let admin = server.client();
    let check = json!({"CheckItem": [{"UserID": "administrator"}]});
    let codes = burst(&admin, "im_open_login_svc/account_check", vec![check; 300]).await;
    assert!(codes.iter().all(|&c| c == 0), "{codes:?}");
}
