//! End-to-end: `v4/open_msg_svc/get_history`: a finished hour of the last 7 days gets one
//! gzip file of JSON lines, served by timber itself, with its sizes and MD5s; the current
//! hour, the future, an hour past 7 days and an hour without messages get `"File": []`;
//! 60002 for a bad `ChatType` or `MsgTime`, 60003 for a body that is not JSON; tenancy.
//! spec: push-and-operations.md §3.2, §8.

mod common;

use common::{import_accounts, now, Client, ServerOptions, TestApp, TestServer};
use serde_json::{json, Value};
use std::io::Read;

const GET: &str = "open_msg_svc/get_history";

fn text(t: &str) -> Value {
    json!([{"MsgType": "TIMTextElem", "MsgContent": {"Text": t}}])
}

/// The Beijing hour `YYYYMMDDHH` holding Unix time `t`.
fn hour_of(t: i64) -> String {
    let day = timber_core::appinfo::day_of(t);
    let hour = (t + 8 * 3600).rem_euclid(86_400) / 3600;
    format!("{}{hour:02}", timber_core::appinfo::date_of(day))
}

async fn files(c: &Client, chat: &str, hour: &str) -> Vec<Value> {
    let resp = c
        .call_ok(GET, json!({"ChatType": chat, "MsgTime": hour}))
        .await;
    resp["File"].as_array().unwrap().clone()
}

/// Fetches a file's URL and gunzips it into its lines.
async fn lines(file: &Value) -> Vec<Value> {
    let url = file["URL"].as_str().unwrap();
    let resp = reqwest::get(url).await.unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let gz = resp.bytes().await.unwrap();
    assert_eq!(gz.len() as u64, file["GzipSize"].as_u64().unwrap());
    let mut plain = String::new();
    flate2::read::GzDecoder::new(&gz[..])
        .read_to_string(&mut plain)
        .unwrap();
    assert_eq!(plain.len() as u64, file["FileSize"].as_u64().unwrap());
    assert_eq!(file["FileMD5"].as_str().unwrap().len(), 32);
    assert_eq!(file["GzipMD5"].as_str().unwrap().len(), 32);
    plain
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[tokio::test]
async fn hourly_files_of_c2c_and_group_messages() {
    let server = TestServer::start().await;
    let admin = server.client();
    import_accounts(&admin, &["a", "b", "o"]).await;
    // Two hours ago, and an hour is always finished by now.
    let then = now() - 7200;
    let hour = hour_of(then);
    let start = then - (then + 8 * 3600).rem_euclid(3600);
    for (i, (from, to)) in [("a", "b"), ("b", "a")].into_iter().enumerate() {
        admin
            .call_ok(
                "openim/importmsg",
                json!({"SyncFromOldSystem": 1, "From_Account": from, "To_Account": to,
                    "MsgSeq": i + 1, "MsgRandom": 7, "MsgTimeStamp": start + i as i64,
                    "MsgBody": text(&format!("m{i}")), "CloudCustomData": "cd"}),
            )
            .await;
    }
    // One outside the hour.
    admin
        .call_ok(
            "openim/importmsg",
            json!({"SyncFromOldSystem": 1, "From_Account": "a", "To_Account": "b",
                "MsgSeq": 9, "MsgRandom": 9, "MsgTimeStamp": start - 1, "MsgBody": text("before")}),
        )
        .await;
    let got = files(&admin, "C2C", &hour).await;
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(got[0]["URL"]
        .as_str()
        .unwrap()
        .starts_with(&format!("{}/_timber/history/", server.base)));
    assert_eq!(got[0]["ExpireTime"].as_str().unwrap().len(), 19);
    let recs = lines(&got[0]).await;
    assert_eq!(recs.len(), 2);
    assert_eq!(
        recs[0],
        json!({"From_Account": "a", "To_Account": "b", "MsgSeq": 1, "MsgRandom": 7,
            "MsgTimeStamp": start, "MsgKey": format!("1_7_{start}"), "MsgBody": text("m0"),
            "CloudCustomData": "cd"})
    );
    assert_eq!(recs[1]["From_Account"], "b");

    // Group messages of that hour.
    admin
        .call_ok(
            "group_open_http_svc/import_group",
            json!({"Type": "Public", "GroupId": "old", "Name": "g", "Owner_Account": "o",
                "CreateTime": start - 86_400}),
        )
        .await;
    let r = admin
        .call_ok(
            "group_open_http_svc/import_group_msg",
            json!({"GroupId": "old", "MsgList": [
                {"From_Account": "o", "SendTime": start + 5, "Random": 3, "MsgBody": text("g1")}]}),
        )
        .await;
    assert_eq!(r["ImportMsgResult"][0]["Result"], 0, "{r}");
    let got = files(&admin, "Group", &hour).await;
    assert_eq!(got.len(), 1);
    let recs = lines(&got[0]).await;
    assert_eq!(recs.len(), 1);
    assert_eq!(recs[0]["GroupId"], "old");
    assert_eq!(recs[0]["From_Account"], "o");
    assert_eq!(recs[0]["MsgBody"], text("g1"));

    // Empty: an hour without messages, the current hour, the future, past 7 days.
    assert_eq!(
        lines(&files(&admin, "C2C", &hour_of(start - 1)).await[0])
            .await
            .len(),
        1
    );
    assert!(files(&admin, "C2C", &hour_of(start - 3601))
        .await
        .is_empty());
    assert!(files(&admin, "C2C", &hour_of(now())).await.is_empty());
    assert!(files(&admin, "C2C", &hour_of(now() + 86_400))
        .await
        .is_empty());
    assert!(files(&admin, "C2C", &hour_of(now() - 8 * 86_400))
        .await
        .is_empty());
    // An unknown file is 404.
    let (status, _) = server.get("/_timber/history/0000.gz").await;
    assert_eq!(status, 404);
}
common::also_on_postgres!(hourly_files_of_c2c_and_group_messages);

#[tokio::test]
async fn errors_and_tenancy() {
    let server = TestServer::start_with(ServerOptions {
        apps: vec![TestApp::random(), TestApp::random()],
        ..Default::default()
    })
    .await;
    let a = server.client_for(0, "administrator");
    let hour = hour_of(now() - 7200);
    for body in [
        json!({"ChatType": "Friends", "MsgTime": hour}),
        json!({"MsgTime": hour}),
        json!({"ChatType": "C2C", "MsgTime": "2025022900"}),
        json!({"ChatType": "C2C", "MsgTime": "20250301"}),
        json!({"ChatType": "C2C", "MsgTime": 2025030100}),
        json!({"ChatType": "C2C"}),
    ] {
        assert_eq!(a.call_err(GET, body.clone()).await.0, 60002, "{body}");
    }
    let resp = a.request(GET).body("{").send().await;
    assert!(resp.text.contains("\"ErrorCode\":60003"), "{}", resp.text);
    let (c, _) = server
        .client_for(0, "x")
        .call_err(GET, json!({"ChatType": "C2C", "MsgTime": hour}))
        .await;
    assert_eq!(c, 60010);
    // App B's messages are not in app A's file.
    let b = server.client_for(1, "administrator");
    import_accounts(&b, &["x", "y"]).await;
    let then = now() - 7200;
    b.call_ok(
        "openim/importmsg",
        json!({"SyncFromOldSystem": 1, "From_Account": "x", "To_Account": "y",
            "MsgSeq": 1, "MsgRandom": 1, "MsgTimeStamp": then, "MsgBody": text("b")}),
    )
    .await;
    assert_eq!(files(&b, "C2C", &hour_of(then)).await.len(), 1);
    assert!(files(&a, "C2C", &hour_of(then)).await.is_empty());
}
