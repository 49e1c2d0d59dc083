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

/// An official account under `rate_limits = "cloud"`: one message a second and two
/// broadcasts an hour, 10023 beyond; a refused send stores nothing; another account has its
/// own count; without the profile no limit applies.
#[tokio::test]
async fn official_accounts_send_one_a_second_and_two_an_hour() {
    let oa = "official_account_open_http_svc";
    let send = |id: &str, random: u32| {
        json!({"Official_Account": id, "Random": random,
               "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": format!("m{random}")}}]})
    };
    for cloud in [true, false] {
        let extra = if cloud {
            ", rate_limits = \"cloud\""
        } else {
            ""
        };
        let server = TestServer::start_with(options(extra)).await;
        let admin = server.client();
        admin
            .call_ok(
                "im_open_login_svc/account_import",
                json!({"UserID": "owner"}),
            )
            .await;
        for id in ["@TOA#_a", "@TOA#_b"] {
            admin
                .call_ok(
                    &format!("{oa}/create_official_account"),
                    json!({"Owner_Account": "owner", "OfficialAccountUserID": id, "Name": "n"}),
                )
                .await;
        }
        let path = format!("{oa}/send_official_account_msg");
        // The first send, then at once a second: refused in the same second (or, should the
        // second have turned, allowed as the hour's second broadcast).
        let mut codes = Vec::new();
        for random in 1..=4 {
            codes.push(admin.call(&path, send("@TOA#_a", random)).await["ErrorCode"].clone());
            tokio::time::sleep(std::time::Duration::from_millis(600)).await;
        }
        let history = admin
            .call_ok(
                &format!("{oa}/official_account_msg_get_simple"),
                json!({"Official_Account": "@TOA#_a"}),
            )
            .await;
        let stored = history["RspMsgList"].as_array().unwrap().len();
        if cloud {
            assert_eq!(codes[0], 0, "{codes:?}");
            assert_eq!(
                codes.iter().filter(|c| **c == 0).count(),
                2,
                "two an hour: {codes:?}"
            );
            assert!(codes.iter().all(|c| *c == 0 || *c == 10023), "{codes:?}");
            assert_eq!(stored, 2, "refused sends store nothing: {history}");
            // Another account counts apart; two sends early in one second: the second is
            // refused by the per-second limit.
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap();
            let to_next = 1_000 - now.subsec_millis() as u64 + 20;
            tokio::time::sleep(std::time::Duration::from_millis(to_next)).await;
            admin.call_ok(&path, send("@TOA#_b", 1)).await;
            let (code, info) = admin.call_err(&path, send("@TOA#_b", 2)).await;
            assert_eq!(code, 10023, "{info}");
            assert!(info.contains("a second"), "{info}");
        } else {
            assert_eq!(codes, vec![json!(0); 4]);
            assert_eq!(stored, 4);
        }
    }
}
