//! The web console (`/console`) in a real browser: headless Chromium from the system's
//! packages, driven through chromedriver by WebDriver (fantoccini), against the real server
//! with a real callback receiver. Screenshots of the main pages are kept under
//! `target/console-screenshots/`.
//!
//! Without `/usr/bin/chromium` and `/usr/bin/chromedriver` (or `$TIMBER_CHROMIUM` and
//! `$TIMBER_CHROMEDRIVER`) the tests say so and pass on a developer's machine; under CI
//! (`TIMBER_REQUIRE_BROWSER` set by `.ci/run`) they fail instead, so that they cannot pass
//! there without having run.

mod common;

use axum::routing::post;
use axum::Router;
use common::{import_accounts, text, ServerOptions, TestServer};
use fantoccini::{Client as Browser, ClientBuilder, Locator};
use serde_json::{json, Value};
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::process::{Child, Command};

/// How long a page may take to show what a test waits for.
const WAIT: Duration = Duration::from_secs(20);

fn program(var: &str, default: &str) -> Option<PathBuf> {
    let path = std::env::var_os(var)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(default));
    path.exists().then_some(path)
}

/// chromedriver with headless Chromium behind it, and the profile directory they use.
struct Session {
    browser: Browser,
    driver: Child,
    _profile: tempfile::TempDir,
}

impl Session {
    /// `None` (after saying why) when Chromium is not installed and CI does not require it.
    async fn start() -> Option<Session> {
        let chromium = program("TIMBER_CHROMIUM", "/usr/bin/chromium");
        let driver = program("TIMBER_CHROMEDRIVER", "/usr/bin/chromedriver");
        let (Some(chromium), Some(driver)) = (chromium, driver) else {
            let why = "chromium and chromedriver are not installed \
                       (apt-get install chromium chromium-driver)";
            if std::env::var_os("TIMBER_REQUIRE_BROWSER").is_some() {
                panic!("{why}, and TIMBER_REQUIRE_BROWSER is set");
            }
            eprintln!("skipping the console's browser test: {why}");
            return None;
        };
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let driver = Command::new(driver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("start chromedriver");
        let profile = tempfile::tempdir().unwrap();
        let args = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--window-size=1360,1000",
            &format!("--user-data-dir={}", profile.path().display()),
        ];
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({"binary": chromium, "args": args}),
        );
        let url = format!("http://127.0.0.1:{port}");
        let mut last = None;
        for _ in 0..100 {
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            match ClientBuilder::new(connector)
                .capabilities(caps.clone())
                .connect(&url)
                .await
            {
                Ok(browser) => {
                    return Some(Session {
                        browser,
                        driver,
                        _profile: profile,
                    })
                }
                Err(e) => last = Some(e),
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("chromedriver never took a session: {last:?}");
    }

    async fn end(mut self) {
        let _ = self.browser.close().await;
        let _ = self.driver.kill().await;
    }
}

/// Saves a screenshot of the page as `target/console-screenshots/{name}.png`.
async fn screenshot(b: &Browser, name: &str) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/console-screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    let png = b.screenshot().await.expect("take a screenshot");
    std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
}

/// Waits until `css` matches an element whose text contains `needle` (ignoring case: the
/// page's CSS upper-cases table heads); returns its text.
async fn wait_text(b: &Browser, css: &str, needle: &str) -> String {
    let deadline = tokio::time::Instant::now() + WAIT;
    let mut seen = Vec::new();
    while tokio::time::Instant::now() < deadline {
        seen.clear();
        if let Ok(found) = b.find_all(Locator::Css(css)).await {
            for el in found {
                let t = el.text().await.unwrap_or_default();
                if t.to_lowercase().contains(&needle.to_lowercase()) {
                    return t;
                }
                seen.push(t);
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let page = b.source().await.unwrap_or_default();
    panic!("no {css} containing {needle:?}; saw {seen:?}\n{page}");
}

/// Waits until exactly `n` elements match `css`.
async fn wait_rows(b: &Browser, css: &str, n: usize) {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let found = b.find_all(Locator::Css(css)).await.map_or(0, |f| f.len());
        if found == n {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{found} elements match {css}, not {n}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn click(b: &Browser, css: &str) {
    b.wait()
        .at_most(WAIT)
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no {css}: {e}"))
        .click()
        .await
        .unwrap_or_else(|e| panic!("click {css}: {e}"));
}

/// A callback receiver that answers every command OK; the commands it got.
async fn receiver() -> (String, Arc<Mutex<Vec<String>>>) {
    let got = Arc::new(Mutex::new(Vec::new()));
    let keep = got.clone();
    let app = Router::new().route(
        "/cb",
        post(move |body: String| {
            let keep = keep.clone();
            async move {
                let v: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
                let command = v["CallbackCommand"].as_str().unwrap_or("").to_owned();
                keep.lock().unwrap().push(command);
                json!({"ActionStatus": "OK", "ErrorCode": 0, "ErrorInfo": ""}).to_string()
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/cb", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, got)
}

/// The page's attribute `name` of the first element matching `css`.
async fn attr(b: &Browser, css: &str, name: &str) -> Option<String> {
    b.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no {css}: {e}"))
        .attr(name)
        .await
        .unwrap()
}

#[tokio::test]
async fn the_console_shows_an_app_and_acts_as_a_member() {
    let Some(session) = Session::start().await else {
        return;
    };
    let b = &session.browser;
    let (url, got) = receiver().await;
    let server = TestServer::start_with(ServerOptions::calling_back(&url, "")).await;
    let admin = server.client();
    let app = &server.apps[0];

    // 60 groups (two pages of 50), and one group with history: alice owns it, bob is in it.
    import_accounts(&admin, &["alice", "bob", "carol"]).await;
    for i in 0..60 {
        admin
            .call_ok(
                "group_open_http_svc/create_group",
                json!({"Type": "Public", "GroupId": format!("g-{i:04}"), "Name": format!("group {i}"), "Owner_Account": "alice"}),
            )
            .await;
    }
    admin
        .call_ok(
            "group_open_http_svc/create_group",
            json!({"Type": "Public", "GroupId": "room", "Name": "The room", "Owner_Account": "alice", "ApplyJoinOption": "FreeAccess",
                   "MemberList": [{"Member_Account": "bob"}]}),
        )
        .await;
    for i in 1..=6 {
        let from = if i % 2 == 0 { "bob" } else { "alice" };
        admin
            .call_ok(
                "group_open_http_svc/send_group_msg",
                json!({"GroupId": "room", "From_Account": from, "Random": i, "MsgBody": text(&format!("message {i}"))}),
            )
            .await;
    }
    admin
        .call_ok(
            "group_open_http_svc/group_msg_recall",
            json!({"GroupId": "room", "MsgSeqList": [{"MsgSeq": 4}]}),
        )
        .await;
    admin
        .call_ok(
            "group_open_http_svc/clear_group_msg",
            json!({"GroupId": "room", "MsgSeq": 2}),
        )
        .await;

    // Message 3 is made a month old (past the app's 7 days of retention) through an export
    // and an import: expired.
    let export = admin
        .request("x")
        .path("/_timber/export")
        .method("GET")
        .send()
        .await;
    let mut doc: Value = serde_json::from_str(&export.text).unwrap();
    for m in doc["tables"]["group_messages"].as_array_mut().unwrap() {
        if m["seq"] == 3 {
            m["time"] = json!(common::now() - 30 * 86_400);
        }
    }
    let imported = admin
        .request("x")
        .path("/_timber/import")
        .json(&doc)
        .send()
        .await
        .envelope("import");
    assert_eq!(imported["ErrorCode"], 0, "{imported}");

    // Signs in from the fragment, which then leaves the address bar.
    let console = format!(
        "{}/console/#sdkappid={}&identifier={}&usersig={}",
        server.base,
        app.sdkappid,
        app.admin,
        app.sig(&app.admin)
    );
    b.goto(&console).await.unwrap();
    wait_text(b, "#who", &format!("SDKAppID {}", app.sdkappid)).await;
    let now = b.current_url().await.unwrap();
    assert_eq!(now.fragment(), Some("groups"), "{now}");

    // Groups, paged on the server: 61 in all, 50 on the first page, the rest on the next.
    wait_text(b, ".count", "61 groups in the app").await;
    wait_text(b, "tbody tr[data-group]", "g-0000").await;
    assert_eq!(
        b.find_all(Locator::Css("tbody tr[data-group]"))
            .await
            .unwrap()
            .len(),
        50
    );
    screenshot(b, "groups").await;
    click(b, ".pager button:last-child").await;
    wait_text(b, "tbody tr[data-group]", "g-0050").await;
    wait_text(b, ".pager span", "page 2").await;
    assert_eq!(
        b.find_all(Locator::Css("tbody tr[data-group]"))
            .await
            .unwrap()
            .len(),
        11
    );
    // Searched on the server.
    let search = b.find(Locator::Css("input[type=search]")).await.unwrap();
    search.send_keys("roo").await.unwrap();
    wait_rows(b, "tbody tr[data-group]", 1).await;
    wait_text(b, ".pager span", "page 1").await;
    let rows = b
        .find_all(Locator::Css("tbody tr[data-group]"))
        .await
        .unwrap();
    let row = rows[0].text().await.unwrap();
    // Type, members, NextMsgSeq, the cleared watermark.
    assert!(
        row.contains("Public") && row.contains(" 2 ") && row.contains(" 7 "),
        "{row}"
    );

    // The group's history side by side: the admin's view and bob's, with cleared (1, 2),
    // expired (3) and recalled (4) slots marked.
    click(b, "tbody tr[data-group] a").await;
    wait_text(b, "th", "As bob sees it").await;
    wait_text(b, "#cleared-upto", "2").await;
    let slot = |seq: u64| format!("tr[data-seq='{seq}']");
    assert_eq!(
        attr(b, &slot(1), "data-slot").await.as_deref(),
        Some("cleared")
    );
    assert_eq!(
        attr(b, &slot(2), "data-slot").await.as_deref(),
        Some("cleared")
    );
    assert_eq!(
        attr(b, &slot(4), "data-slot").await.as_deref(),
        Some("recalled")
    );
    assert_eq!(
        attr(b, &slot(5), "data-slot").await.as_deref(),
        Some("message")
    );
    // Bob sees neither cleared message, the recall as a marker, and the others.
    assert_eq!(
        attr(b, &slot(1), "data-member").await.as_deref(),
        Some("absent")
    );
    assert_eq!(
        attr(b, &slot(4), "data-member").await.as_deref(),
        Some("shown")
    );
    assert_eq!(
        attr(b, &slot(5), "data-member").await.as_deref(),
        Some("shown")
    );
    wait_text(b, &format!("{} td:nth-child(3)", slot(4)), "recalled").await;
    wait_text(b, &format!("{} td:nth-child(3)", slot(1)), "cleared").await;
    wait_text(b, &format!("{} td:nth-child(3)", slot(3)), "expired").await;
    wait_text(b, &format!("{} td:nth-child(2)", slot(3)), "expired").await;
    wait_text(b, &format!("{} td:nth-child(2)", slot(5)), "message 5").await;
    screenshot(b, "history").await;

    // Acting as bob: a send that reaches the app's callbacks, then "clear for me".
    let input = b
        .find(Locator::Css(
            "#act-in-group input[aria-label='message text']",
        ))
        .await
        .unwrap();
    input.clear().await.unwrap();
    input
        .send_keys("sent by bob from the console")
        .await
        .unwrap();
    click(b, "#act-in-group .actions button").await;
    wait_text(
        b,
        &format!("{} td:nth-child(3)", slot(7)),
        "sent by bob from the console",
    )
    .await;
    let stored = admin
        .call_ok(
            "group_open_http_svc/group_msg_get_simple",
            json!({"GroupId": "room", "ReqMsgNumber": 1}),
        )
        .await;
    assert_eq!(stored["RspMsgList"][0]["From_Account"], "bob");
    assert_eq!(stored["RspMsgList"][0]["MsgSeq"], 7);
    let deadline = tokio::time::Instant::now() + WAIT;
    while !got
        .lock()
        .unwrap()
        .iter()
        .any(|c| c == "Group.CallbackAfterSendMsg")
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no after-send callback"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    click(b, "#act-in-group button.quiet").await; // "Clear for me"
    wait_text(b, &format!("{} td:nth-child(3)", slot(5)), "cleared for me").await;

    // The callbacks the app was sent, with bodies and answers.
    b.goto(&format!("{}/console/#callbacks", server.base))
        .await
        .unwrap();
    wait_text(b, "tr[data-command='Group.CallbackAfterSendMsg']", "ok").await;
    let body = wait_text(b, "tr[data-command='Group.CallbackAfterSendMsg']", "ms").await;
    assert!(body.contains("Group.CallbackAfterSendMsg"), "{body}");
    screenshot(b, "callbacks").await;

    // The live feed: a message sent through the REST API arrives while the page is open.
    b.goto(&format!("{}/console/#events", server.base))
        .await
        .unwrap();
    wait_text(b, ".status", "live").await;
    admin
        .call_ok(
            "group_open_http_svc/send_group_msg",
            json!({"GroupId": "room", "From_Account": "alice", "Random": 99, "MsgBody": text("live one")}),
        )
        .await;
    wait_text(b, "#feed li[data-method='onRecvNewMessage']", "live one").await;
    screenshot(b, "events").await;

    // The act page: carol joins the room by hand.
    b.goto(&format!("{}/console/#act/carol", server.base))
        .await
        .unwrap();
    let method = b.find(Locator::Css("#act-method")).await.unwrap();
    method.select_by_value("joinGroup").await.unwrap();
    let params = b.find(Locator::Css("#act-params")).await.unwrap();
    params.clear().await.unwrap();
    params.send_keys(r#"{"groupID": "room"}"#).await.unwrap();
    click(b, "#act-run").await;
    wait_text(b, "#act-result", "OK").await;
    let members = admin
        .call_ok(
            "group_open_http_svc/get_group_member_info",
            json!({"GroupId": "room"}),
        )
        .await;
    let names: Vec<&str> = members["MemberList"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["Member_Account"].as_str())
        .collect();
    assert!(names.contains(&"carol"), "{names:?}");
    // A refusal is shown with its code: bob cannot recall alice's message.
    method.select_by_value("revokeMessage").await.unwrap();
    let who = b.find(Locator::Css("#act-as")).await.unwrap();
    who.clear().await.unwrap();
    who.send_keys("bob").await.unwrap();
    params.clear().await.unwrap();
    params
        .send_keys(r#"{"groupID": "room", "msgSeq": 3}"#)
        .await
        .unwrap();
    click(b, "#act-run").await;
    wait_text(b, "#act-result .error", ":").await;
    screenshot(b, "act").await;

    // Accounts, searched by prefix, with a profile.
    b.goto(&format!("{}/console/#accounts", server.base))
        .await
        .unwrap();
    wait_text(b, "tbody", "carol").await;
    let search = b.find(Locator::Css("input[type=search]")).await.unwrap();
    search.send_keys("al").await.unwrap();
    wait_text(b, ".count", "accounts in the app").await;
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let rows = b.find_all(Locator::Css("tbody tr")).await.unwrap();
        let first = rows[0].text().await.unwrap_or_default();
        if rows.len() == 1 && first.contains("alice") {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the search never narrowed"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    click(b, "tbody tr a").await;
    wait_text(b, ".card h3", "Profile of alice").await;
    screenshot(b, "accounts").await;

    server.stop().await;
    session.end().await;
}

#[tokio::test]
async fn the_banner_console_url_signs_in_by_itself() {
    let Some(session) = Session::start().await else {
        return;
    };
    let b = &session.browser;
    let server = TestServer::start_with(ServerOptions {
        bootstrap: true,
        storage: Some("memory".into()),
        ..ServerOptions::default()
    })
    .await;
    let banner = server.banner().await;
    assert!(banner
        .console
        .starts_with(&format!("{}/console/#", banner.base)));
    b.goto(&banner.console).await.unwrap();
    wait_text(b, "#who", &format!("SDKAppID {}", banner.sdkappid)).await;
    let now = b.current_url().await.unwrap();
    assert!(!now.as_str().contains(&banner.usersig), "{now}");
    // The UserSig never reached the server: its log has no line with it.
    assert!(!server.log().contains(&banner.usersig));
    // A wrong UserSig is refused and the form says why.
    b.goto(&format!(
        "{}/console/#sdkappid={}&identifier=administrator&usersig=nonsense",
        banner.base, banner.sdkappid
    ))
    .await
    .unwrap();
    wait_text(b, "#signin-error", "Sign-in refused").await;
    screenshot(b, "signin").await;
    server.stop().await;
    session.end().await;
}
