//! `im_open_login_svc` over real HTTP: each API's success path, limits and error codes.
//! spec: accounts.md §0–§5, §7.

mod common;

use common::{now, Client, ServerOptions, TestApp, TestServer};
use serde_json::{json, Value};

const IMPORT: &str = "im_open_login_svc/account_import";
const MULTI: &str = "im_open_login_svc/multiaccount_import";
const DELETE: &str = "im_open_login_svc/account_delete";
const CHECK: &str = "im_open_login_svc/account_check";
const KICK: &str = "im_open_login_svc/kick";

/// `AccountStatus` of each user, in order.
async fn statuses(c: &Client, users: &[&str]) -> Vec<String> {
    let items: Vec<Value> = users.iter().map(|u| json!({"UserID": u})).collect();
    let resp = c.call_ok(CHECK, json!({"CheckItem": items})).await;
    resp["ResultItem"]
        .as_array()
        .expect("ResultItem")
        .iter()
        .map(|i| {
            i["AccountStatus"]
                .as_str()
                .expect("AccountStatus")
                .to_owned()
        })
        .collect()
}

async fn exists(c: &Client, user: &str) -> bool {
    statuses(c, &[user]).await[0] == "Imported"
}

fn ids(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}{i}")).collect()
}

#[tokio::test]
async fn account_import() {
    let server = TestServer::start().await;
    let c = server.client();
    assert!(!exists(&c, "alice").await);
    let resp = c.call_ok(IMPORT, json!({"UserID": "alice"})).await;
    assert_eq!(
        resp,
        json!({"ActionStatus": "OK", "ErrorInfo": "", "ErrorCode": 0})
    );
    assert!(exists(&c, "alice").await);

    // Idempotent, with profile fields; the old `Identifier` name still works.
    c.call_ok(
        IMPORT,
        json!({"UserID": "alice", "Nick": "Alice", "FaceUrl": "http://x/a.png"}),
    )
    .await;
    c.call_ok(IMPORT, json!({"Identifier": "old-client"})).await;
    assert!(exists(&c, "old-client").await);
    // `UserID` wins over `Identifier`.
    c.call_ok(IMPORT, json!({"UserID": "u-wins", "Identifier": "i-loses"}))
        .await;
    assert_eq!(
        statuses(&c, &["u-wins", "i-loses"]).await,
        ["Imported", "NotImported"]
    );
    // Printable ASCII beyond letters and digits is allowed (accounts.md §0).
    for id in ["a@b.c:d", "with space", "~!#$%^&*()", &"x".repeat(32)] {
        c.call_ok(IMPORT, json!({ "UserID": id })).await;
        assert!(exists(&c, id).await, "{id}");
    }
    // Profile values up to 500 bytes.
    c.call_ok(
        IMPORT,
        json!({"UserID": "p", "Nick": "n".repeat(500), "FaceUrl": "f".repeat(500)}),
    )
    .await;
}
common::also_on_postgres!(account_import);

#[tokio::test]
async fn account_import_errors() {
    let server = TestServer::start().await;
    let c = server.client();
    #[rustfmt::skip]
    let cases: Vec<(&str, Value, u64)> = vec![
        ("UserID of 33 bytes", json!({"UserID": "x".repeat(33)}), 70402),
        ("empty UserID", json!({"UserID": ""}), 70402),
        ("UserID with a tab", json!({"UserID": "a\tb"}), 70402),
        ("UserID with a newline", json!({"UserID": "a\nb"}), 70402),
        ("non-ASCII UserID", json!({"UserID": "张三"}), 70402),
        ("no UserID", json!({"Nick": "n"}), 70402),
        ("UserID as a number", json!({"UserID": 10086}), 60015),
        ("Identifier as a number", json!({"Identifier": 10086}), 60015),
        ("UserID as null", json!({"UserID": null}), 60015),
        ("Nick as a number", json!({"UserID": "a", "Nick": 1}), 70402),
        ("Nick of 501 bytes", json!({"UserID": "a", "Nick": "n".repeat(501)}), 40601),
        ("FaceUrl of 501 bytes", json!({"UserID": "a", "FaceUrl": "f".repeat(501)}), 40601),
        // Bytes, not characters: 251 × 2-byte "é" is 502 bytes.
        ("Nick of 251 two-byte chars", json!({"UserID": "a", "Nick": "é".repeat(251)}), 40601),
        // PostgreSQL cannot store a NUL (it was 70500 there, and kept on SQLite).
        ("Nick with a NUL", json!({"UserID": "a", "Nick": "n\0"}), 70402),
        ("FaceUrl with a NUL", json!({"UserID": "a", "FaceUrl": "f\0"}), 70402),
    ];
    for (what, body, expected) in cases {
        let (code, info) = c.call_err(IMPORT, body).await;
        assert_eq!(code, expected, "{what}: {info}");
        assert!(!info.is_empty(), "{what}: ErrorInfo should say why");
    }
    assert!(!exists(&c, "a").await, "a failed import must not create");
}
common::also_on_postgres!(account_import_errors);

#[tokio::test]
async fn multiaccount_import() {
    let server = TestServer::start().await;
    let c = server.client();

    // Old shape; duplicates are not an error.
    let resp = c
        .call_ok(MULTI, json!({"Accounts": ["m1", "m2", "m2"]}))
        .await;
    assert_eq!(resp["FailAccounts"], json!([]));
    assert_eq!(statuses(&c, &["m1", "m2"]).await, ["Imported", "Imported"]);

    // New shape, with profiles.
    let resp = c
        .call_ok(
            MULTI,
            json!({"AccountList": [{"UserID": "n1", "Nick": "N"}, {"UserID": "n2", "FaceUrl": "u"}]}),
        )
        .await;
    assert_eq!(resp["FailAccounts"], json!([]));
    assert_eq!(statuses(&c, &["n1", "n2"]).await, ["Imported", "Imported"]);

    // Bad accounts are listed in FailAccounts; the good ones are imported.
    let long = "x".repeat(33);
    let resp = c
        .call_ok(
            MULTI,
            json!({"AccountList": [
                {"UserID": "ok1"},
                {"UserID": long},
                {"UserID": "tab\there"},
                {"UserID": "nick", "Nick": "n".repeat(501)},
                {"UserID": "ok2"},
            ]}),
        )
        .await;
    assert_eq!(resp["FailAccounts"], json!([long, "tab\there", "nick"]));
    assert_eq!(
        statuses(&c, &["ok1", "ok2", "nick"]).await,
        ["Imported", "Imported", "NotImported"]
    );
    let resp = c.call_ok(MULTI, json!({"Accounts": ["", "ok3"]})).await;
    assert_eq!(resp["FailAccounts"], json!([""]));

    // Both shapes: AccountList wins.
    c.call_ok(
        MULTI,
        json!({"Accounts": ["from-accounts"], "AccountList": [{"UserID": "from-list"}]}),
    )
    .await;
    assert_eq!(
        statuses(&c, &["from-list", "from-accounts"]).await,
        ["Imported", "NotImported"]
    );

    // Exactly 100 is allowed, in both shapes.
    let hundred = ids("h", 100);
    c.call_ok(MULTI, json!({ "Accounts": hundred })).await;
    let list: Vec<Value> = ids("l", 100)
        .iter()
        .map(|u| json!({ "UserID": u }))
        .collect();
    c.call_ok(MULTI, json!({ "AccountList": list })).await;
    let refs: Vec<&str> = hundred.iter().map(String::as_str).collect();
    assert!(statuses(&c, &refs).await.iter().all(|s| s == "Imported"));
}
common::also_on_postgres!(multiaccount_import);

#[tokio::test]
async fn multiaccount_import_errors() {
    let server = TestServer::start().await;
    let c = server.client();
    let list101: Vec<Value> = ids("l", 101)
        .iter()
        .map(|u| json!({ "UserID": u }))
        .collect();
    #[rustfmt::skip]
    let cases: Vec<(&str, Value, u64)> = vec![
        ("101 Accounts", json!({"Accounts": ids("a", 101)}), 70206),
        ("101 AccountList items", json!({"AccountList": list101}), 70206),
        ("neither shape", json!({}), 70402),
        ("Accounts not an array", json!({"Accounts": "a"}), 70402),
        ("AccountList item without UserID", json!({"AccountList": [{"Nick": "n"}]}), 70402),
        ("number in Accounts", json!({"Accounts": ["a", 7]}), 60015),
        ("number as AccountList UserID", json!({"AccountList": [{"UserID": 7}]}), 60015),
    ];
    for (what, body, expected) in cases {
        let (code, info) = c.call_err(MULTI, body).await;
        assert_eq!(code, expected, "{what}: {info}");
    }
    assert!(
        !exists(&c, "a0").await,
        "a refused batch must import nothing"
    );
    assert!(
        !exists(&c, "l0").await,
        "a refused batch must import nothing"
    );
}
common::also_on_postgres!(multiaccount_import_errors);

#[tokio::test]
async fn account_delete() {
    let server = TestServer::start().await;
    let c = server.client();
    c.call_ok(MULTI, json!({"Accounts": ["d1", "d2", "keep"]}))
        .await;
    let resp = c
        .call_ok(
            DELETE,
            json!({"DeleteItem": [{"UserID": "d1"}, {"UserID": "ghost"}, {"UserID": "administrator"}, {"UserID": "d2"}]}),
        )
        .await;
    assert_eq!(
        resp["ResultItem"],
        json!([
            {"ResultCode": 0, "ResultInfo": "", "UserID": "d1"},
            {"ResultCode": 70107, "ResultInfo": "Err_TLS_PT_Open_Login_Account_Not_Exist", "UserID": "ghost"},
            {"ResultCode": 70402, "ResultInfo": "an App admin account cannot be deleted", "UserID": "administrator"},
            {"ResultCode": 0, "ResultInfo": "", "UserID": "d2"},
        ])
    );
    assert_eq!(
        statuses(&c, &["d1", "d2", "keep", "administrator"]).await,
        ["NotImported", "NotImported", "Imported", "Imported"]
    );
    // A deleted account can be imported again (developer-edition behaviour, accounts.md §3).
    c.call_ok(IMPORT, json!({"UserID": "d1"})).await;
    assert!(exists(&c, "d1").await);

    // 100 at once is allowed.
    let hundred: Vec<Value> = ids("x", 100)
        .iter()
        .map(|u| json!({ "UserID": u }))
        .collect();
    let resp = c.call_ok(DELETE, json!({ "DeleteItem": hundred })).await;
    assert_eq!(resp["ResultItem"].as_array().unwrap().len(), 100);
}
common::also_on_postgres!(account_delete);

#[tokio::test]
async fn account_delete_errors() {
    let server = TestServer::start().await;
    let c = server.client();
    c.call_ok(IMPORT, json!({"UserID": "x0"})).await;
    let items101: Vec<Value> = ids("x", 101)
        .iter()
        .map(|u| json!({ "UserID": u }))
        .collect();
    #[rustfmt::skip]
    let cases: Vec<(&str, Value, u64)> = vec![
        ("101 items", json!({"DeleteItem": items101}), 70206),
        ("no DeleteItem", json!({}), 70402),
        ("DeleteItem not an array", json!({"DeleteItem": {"UserID": "x0"}}), 70402),
        ("item without UserID", json!({"DeleteItem": [{}]}), 70402),
        ("UserID as a number", json!({"DeleteItem": [{"UserID": 1}]}), 60015),
    ];
    for (what, body, expected) in cases {
        let (code, info) = c.call_err(DELETE, body).await;
        assert_eq!(code, expected, "{what}: {info}");
    }
    assert!(
        exists(&c, "x0").await,
        "a refused batch must delete nothing"
    );
}
common::also_on_postgres!(account_delete_errors);

#[tokio::test]
async fn account_check() {
    let server = TestServer::start().await;
    let c = server.client();
    c.call_ok(IMPORT, json!({"UserID": "here"})).await;
    let resp = c
        .call_ok(
            CHECK,
            json!({"CheckItem": [{"UserID": "here"}, {"UserID": "gone"}, {"UserID": "administrator"}]}),
        )
        .await;
    assert_eq!(
        resp["ResultItem"],
        json!([
            {"UserID": "here", "ResultCode": 0, "ResultInfo": "", "AccountStatus": "Imported"},
            {"UserID": "gone", "ResultCode": 0, "ResultInfo": "", "AccountStatus": "NotImported"},
            {"UserID": "administrator", "ResultCode": 0, "ResultInfo": "", "AccountStatus": "Imported"},
        ])
    );
    let hundred: Vec<Value> = ids("c", 100)
        .iter()
        .map(|u| json!({ "UserID": u }))
        .collect();
    let resp = c.call_ok(CHECK, json!({ "CheckItem": hundred })).await;
    assert_eq!(resp["ResultItem"].as_array().unwrap().len(), 100);

    let items101: Vec<Value> = ids("c", 101)
        .iter()
        .map(|u| json!({ "UserID": u }))
        .collect();
    #[rustfmt::skip]
    let cases: Vec<(&str, Value, u64)> = vec![
        ("101 items", json!({"CheckItem": items101}), 70206),
        ("no CheckItem", json!({}), 70402),
        ("item without UserID", json!({"CheckItem": [{}]}), 70402),
        ("UserID as a number", json!({"CheckItem": [{"UserID": 1}]}), 60015),
    ];
    for (what, body, expected) in cases {
        let (code, info) = c.call_err(CHECK, body).await;
        assert_eq!(code, expected, "{what}: {info}");
    }
}
common::also_on_postgres!(account_check);

/// An app whose admins are `administrator` and `ops`, so a test can kick an admin and watch its
/// UserSigs over the REST API (only admins can call it).
fn ops_app() -> ServerOptions {
    ServerOptions {
        apps: vec![TestApp {
            admin: "ops".into(),
            ..TestApp::random()
        }],
        ..Default::default()
    }
}

#[tokio::test]
async fn kick_invalidates_earlier_usersigs() {
    let server = TestServer::start_with(ops_app()).await;
    let app = server.apps[0].clone();
    let admin = server.client_for(0, "administrator");
    // Issued before the kick (10 s ago), and used once so that it sits in the signature cache.
    let old = timber_usersig::generate(app.sdkappid, &app.key, "ops", 86_400, now() - 10);
    let ops_old = server.client_with_sig(app.sdkappid, "ops", &old);
    ops_old.call_ok(CHECK, json!({"CheckItem": []})).await;

    let resp = admin.call_ok(KICK, json!({"UserID": "ops"})).await;
    assert_eq!(
        resp,
        json!({"ActionStatus": "OK", "ErrorInfo": "", "ErrorCode": 0})
    );
    let kicked_at = now();
    let (code, _) = ops_old.call_err(CHECK, json!({"CheckItem": []})).await;
    assert_eq!(code, 70052);
    // A UserSig generated after the kick's second works.
    after_second(kicked_at).await;
    server
        .client_for(0, "ops")
        .call_ok(CHECK, json!({"CheckItem": []}))
        .await;
    // Other users' UserSigs are untouched.
    admin.call_ok(CHECK, json!({"CheckItem": []})).await;

    // Kicking an ordinary account succeeds too.
    admin.call_ok(IMPORT, json!({"UserID": "carol"})).await;
    admin.call_ok(KICK, json!({"UserID": "carol"})).await;

    #[rustfmt::skip]
    let cases: Vec<(&str, Value, u64)> = vec![
        ("unknown account", json!({"UserID": "nobody"}), 70107),
        ("no UserID", json!({}), 70402),
        ("UserID as a number", json!({"UserID": 5}), 60015),
    ];
    for (what, body, expected) in cases {
        let (code, info) = admin.call_err(KICK, body).await;
        assert_eq!(code, expected, "{what}: {info}");
    }

    // The kick is stored: after a restart the old UserSig is still refused.
    let server = server.restart().await;
    let ops_old = server.client_with_sig(app.sdkappid, "ops", &old);
    let (code, _) = ops_old.call_err(CHECK, json!({"CheckItem": []})).await;
    assert_eq!(code, 70052);
    server
        .client_for(0, "ops")
        .call_ok(CHECK, json!({"CheckItem": []}))
        .await;
}
common::also_on_postgres!(kick_invalidates_earlier_usersigs);

/// Sleeps until the clock is past second `t`.
async fn after_second(t: i64) {
    while now() <= t {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// A kick revokes the UserSigs of its own second too (issue 23): one made in that second may
/// have been made before the kick, and whole seconds cannot tell. A UserSig made once the
/// clock has passed the kick's second works.
#[tokio::test]
async fn kick_revokes_usersigs_issued_in_its_own_second() {
    let server = TestServer::start_with(ops_app()).await;
    let app = server.apps[0].clone();
    let admin = server.client_for(0, "administrator");
    let check = || json!({"CheckItem": []});
    // A UserSig made, used (and so cached) and then kicked all within one second: start just
    // after a second begins, and try again should the second end in between.
    let (same_second, kicked_at) = loop {
        let into_second = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_millis();
        tokio::time::sleep(std::time::Duration::from_millis(u64::from(
            1_020 - into_second,
        )))
        .await;
        let issued = now();
        let sig = timber_usersig::generate(app.sdkappid, &app.key, "ops", 86_400, issued);
        let ops = server.client_with_sig(app.sdkappid, "ops", &sig);
        ops.call_ok(CHECK, check()).await;
        admin.call_ok(KICK, json!({"UserID": "ops"})).await;
        if now() == issued {
            break (ops, issued);
        }
    };
    let (code, info) = same_second.call_err(CHECK, check()).await;
    assert_eq!(code, 70052, "a UserSig of the kick's own second: {info}");
    let earlier = timber_usersig::generate(app.sdkappid, &app.key, "ops", 86_400, kicked_at - 1);
    let (code, _) = same_second
        .with_sig(&earlier)
        .call_err(CHECK, check())
        .await;
    assert_eq!(code, 70052);

    // How a client logs in again: a UserSig made after the kick's second.
    after_second(kicked_at).await;
    let fresh = server.client_for(0, "ops");
    fresh.call_ok(CHECK, check()).await;
    let (code, _) = same_second.call_err(CHECK, check()).await;
    assert_eq!(code, 70052, "still refused");
    // A later kick revokes the fresh one in turn.
    admin.call_ok(KICK, json!({"UserID": "ops"})).await;
    assert_eq!(fresh.call_err(CHECK, check()).await.0, 70052);
}
common::also_on_postgres!(kick_revokes_usersigs_issued_in_its_own_second);

/// Accounts of one app are invisible to another (DESIGN.md invariant 1).
#[tokio::test]
async fn apps_do_not_see_each_other() {
    let server = TestServer::start_with(ServerOptions {
        apps: vec![TestApp::random(), TestApp::random()],
        ..Default::default()
    })
    .await;
    let a = server.client_for(0, "administrator");
    let b = server.client_for(1, "administrator");
    a.call_ok(IMPORT, json!({"UserID": "shared-name"})).await;
    assert!(exists(&a, "shared-name").await);
    assert!(!exists(&b, "shared-name").await);
    let resp = b
        .call_ok(DELETE, json!({"DeleteItem": [{"UserID": "shared-name"}]}))
        .await;
    assert_eq!(resp["ResultItem"][0]["ResultCode"], 70107);
    let (code, _) = b.call_err(KICK, json!({"UserID": "shared-name"})).await;
    assert_eq!(code, 70107);
    assert!(exists(&a, "shared-name").await);
    // A UserSig of app A is not one of app B.
    let cross = b.with_sig(&a.usersig);
    let (code, _) = cross.call_err(CHECK, json!({"CheckItem": []})).await;
    assert_eq!(code, 70014);
}
common::also_on_postgres!(apps_do_not_see_each_other);
