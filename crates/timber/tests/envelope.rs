//! The REST envelope over real HTTP: every documented failure code of the gateway, and the
//! things real clients do that must keep working. spec: rest-protocol.md §1–§6, usersig.md §3.

mod common;

use common::{now, percent_encode, Request, ServerOptions, TestApp, TestServer};
use serde_json::json;

/// Small enough that a too-large body is cheap to send; big enough for every case below.
const MAX_BODY: usize = 4096;

const CHECK: &str = "im_open_login_svc/account_check";

async fn server() -> TestServer {
    TestServer::start_with(ServerOptions {
        config: format!("max_body_bytes = {MAX_BODY}"),
        ..Default::default()
    })
    .await
}

/// A change to the standard request (a valid admin account_check).
type Mutation = Box<dyn Fn(Request) -> Request>;

fn same() -> Mutation {
    Box::new(|r| r)
}
fn set(name: &str, value: &str) -> Mutation {
    let (name, value) = (name.to_owned(), value.to_owned());
    Box::new(move |r| r.param(&name, &value))
}
fn unset(name: &str) -> Mutation {
    let name = name.to_owned();
    Box::new(move |r| r.without(&name))
}
fn path(p: &str) -> Mutation {
    let p = p.to_owned();
    Box::new(move |r| r.path(&p))
}
fn method(m: &str) -> Mutation {
    let m = m.to_owned();
    Box::new(move |r| r.method(&m))
}
fn body(b: impl Into<String>) -> Mutation {
    let b = b.into();
    Box::new(move |r| r.body(b.clone()))
}
fn no_body() -> Mutation {
    Box::new(|r| r.no_body())
}
fn no_headers() -> Mutation {
    Box::new(|r| r.no_headers())
}
fn header(name: &str, value: &str) -> Mutation {
    let (name, value) = (name.to_owned(), value.to_owned());
    Box::new(move |r| r.header(&name, &value))
}
/// Applies `a`, then `b`.
fn and(a: Mutation, b: Mutation) -> Mutation {
    Box::new(move |r| b(a(r)))
}

#[tokio::test]
async fn envelope_cases() {
    let server = server().await;
    let app = server.apps[0].clone();
    let (id, key, admin) = (app.sdkappid, app.key.as_str(), app.admin.as_str());
    let sig = timber_usersig::generate;
    let fresh = app.sig(admin);
    let bob = app.sig("bob");
    let check = |user: &str| json!({"CheckItem": [{"UserID": user}]}).to_string();
    let exact = padded(admin, MAX_BODY);
    let over = padded(admin, MAX_BODY + 1);
    let far_over = padded(admin, 64 * 1024);
    let with_unknown_fields =
        json!({"CheckItem": [{"UserID": admin, "Extra": 1}], "Future": {}}).to_string();

    #[rustfmt::skip]
    let cases: Vec<(&str, Mutation, u64)> = vec![
        // ---- things real clients do: all succeed ----
        ("standard request", same(), 0),
        ("no Content-Type header", no_headers(), 0),
        ("form Content-Type (curl -d)", and(no_headers(), header("content-type", "application/x-www-form-urlencoded")), 0),
        ("usersig percent-encoded", set("usersig", &percent_encode(&fresh)), 0),
        ("usersig raw with * - _", set("usersig", &fresh), 0),
        ("identifier percent-encoded", set("identifier", &percent_encode(admin)), 0),
        ("random reused", set("random", "12345"), 0),
        ("random missing", unset("random"), 0),
        ("random not a number", set("random", "abc"), 0),
        ("contenttype missing", unset("contenttype"), 0),
        ("unknown query parameter", set("foo", "bar"), 0),
        ("parameters in another order", Box::new(|mut r: Request| { r.params.reverse(); r }), 0),
        ("unknown JSON fields", body(with_unknown_fields), 0),
        ("GET with a JSON body", and(method("GET"), body(check(admin))), 0),
        ("body of exactly max_body_bytes", body(exact), 0),
        // GET with no body is `{}`: account_check then lacks CheckItem (70402), not 60003.
        ("GET with no body", and(method("GET"), no_body()), 70402),
        ("GET with a blank body", and(method("GET"), body(" \n")), 70402),

        // ---- query: app, identifier, UserSig ----
        ("missing sdkappid", unset("sdkappid"), 60012),
        ("empty sdkappid", set("sdkappid", ""), 60012),
        ("non-numeric sdkappid", set("sdkappid", "14abc"), 60002),
        ("negative sdkappid", set("sdkappid", "-1"), 60002),
        // `str::parse` takes these; they are not how an SDKAppID is written.
        ("sdkappid with a leading +", set("sdkappid", &format!("+{id}")), 60002),
        ("sdkappid with a percent-encoded +", set("sdkappid", &format!("%2B{id}")), 60002),
        ("sdkappid with a leading zero", set("sdkappid", &format!("0{id}")), 60002),
        ("sdkappid of zeros", set("sdkappid", "00"), 60002),
        ("sdkappid zero", set("sdkappid", "0"), 70020),
        ("unknown sdkappid", set("sdkappid", &(id + 1).to_string()), 70020),
        ("missing identifier", unset("identifier"), 60002),
        ("empty identifier", set("identifier", ""), 60002),
        ("missing usersig", unset("usersig"), 70002),
        ("empty usersig", set("usersig", ""), 70002),
        ("truncated usersig", set("usersig", &fresh[..40]), 70003),
        ("usersig that is not one", set("usersig", "hello-world"), 70003),
        ("usersig of another identifier", set("usersig", &bob), 70013),
        ("usersig of another SDKAppID", set("usersig", &sig(id + 1, key, admin, 86_400, now())), 70014),
        ("usersig signed with another key", set("usersig", &sig(id, "other key", admin, 86_400, now())), 70009),
        ("expired usersig", set("usersig", &sig(id, key, admin, 60, now() - 3600)), 70001),
        // Expiry is checked before the HMAC, as in the Go reference (usersig.md §3).
        ("expired usersig under another key", set("usersig", &sig(id, "other key", admin, 60, now() - 3600)), 70001),
        ("non-admin caller", and(set("identifier", "bob"), set("usersig", &bob)), 60010),

        // ---- route and method ----
        ("unknown service", path("no_such_svc/account_check"), 60009),
        ("unknown command", path("im_open_login_svc/no_such_command"), 60009),
        ("unknown openim command", path("openim/no_such_command"), 60009),
        ("unknown group command", path("group_open_http_svc/no_such_command"), 10003),
        ("other API version", path("/v3/im_open_login_svc/account_check"), 60009),
        ("too few path segments", path("/v4/im_open_login_svc"), 60009),
        ("too many path segments", path("/v4/im_open_login_svc/account_check/x"), 60009),
        ("path that is not UTF-8", path("/v4/%FF/account_check"), 60009),
        ("PUT", method("PUT"), 60002),
        ("DELETE", method("DELETE"), 60002),
        ("PATCH", method("PATCH"), 60002),

        // ---- body ----
        ("POST with no body", no_body(), 60003),
        ("empty body", body(""), 60003),
        ("truncated JSON", body(r#"{"CheckItem":[{"UserID":"a"}"#), 60003),
        ("not JSON", body("CheckItem=administrator"), 60003),
        ("JSON of the wrong type", body(r#"{"CheckItem":"administrator"}"#), 70402),
        ("JSON array instead of object", body("[1]"), 70402),
        ("missing required field", body("{}"), 70402),
        ("account given as a number", body(r#"{"CheckItem":[{"UserID":10086}]}"#), 60015),
        ("body one byte too large", body(over), 93000),
        ("body far too large", body(far_over), 93000),
    ];

    let client = server.client();
    let base = client
        .request(CHECK)
        .json(&json!({"CheckItem": [{"UserID": admin}]}));
    let mut failures = Vec::new();
    for (what, mutate, expected) in &cases {
        let req = mutate(base.clone());
        let url = req.url();
        let env = match req.send().await.try_envelope() {
            Ok(env) => env,
            Err(why) => {
                failures.push(format!("{what}: {why}\n    {url}"));
                continue;
            }
        };
        let code = env["ErrorCode"].as_u64().unwrap();
        let status_ok =
            (code == 0) == (env["ActionStatus"] == "OK") && (code == 0) == (env["ErrorInfo"] == "");
        if code != *expected || !status_ok {
            failures.push(format!("{what}: expected {expected}, got {env}\n    {url}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n  {}",
        failures.len(),
        cases.len(),
        failures.join("\n  ")
    );
}

/// A valid account_check body padded with spaces to exactly `len` bytes.
fn padded(admin: &str, len: usize) -> String {
    let body = json!({"CheckItem": [{"UserID": admin}]}).to_string();
    format!("{body}{}", " ".repeat(len - body.len()))
}

/// Per service: (body not JSON, JSON of the wrong shape). spec: rest-protocol.md §4.
fn body_codes(service: &str) -> (u64, u64) {
    match service {
        "im_open_login_svc" => (60003, 70402),
        "group_open_http_svc"
        | "group_open_attr_http_svc"
        | "group_open_avchatroom_http_svc"
        | "million_group_open_http_svc" => (60003, 10004),
        "openim" | "openim_msg_ext_http_svc" => (90001, 90001),
        "recentcontact" => (60003, 50002),
        "profile" => (60003, 40001),
        // relationships.md §23: 30001 for a bad parameter; not JSON is the gateway's 60003.
        "sns" | "follow" => (60003, 30001),
        // push-and-operations.md §0.
        "all_member_push" => (90001, 90001),
        "openconfigsvr" => (130001, 130001),
        "ConfigSvc" | "im_msg_audit" | "im_cos_msg" | "im_msg_audit_mgr" => (60003, 60003),
        "open_msg_svc" => (60003, 60002),
        "openim_dirty_words" => (10004, 10004),
        // push-and-operations.md §0, §5.14.
        "official_account_open_http_svc" => (20001, 10004),
        "openim_robot_http_svc" => (10004, 10004),
        other => panic!("no expected codes for service {other}: add them here"),
    }
}

/// Per service: the code for a caller that is not an app admin. The group service documents
/// its own 10007 for it (groups.md §4); the others answer the gateway's 60010.
fn non_admin_code(service: &str) -> u64 {
    match service {
        "group_open_http_svc"
        | "group_open_attr_http_svc"
        | "group_open_avchatroom_http_svc"
        | "million_group_open_http_svc"
        | "openim_dirty_words"
        | "official_account_open_http_svc" => 10007,
        "all_member_push" => 90009,
        _ => 60010,
    }
}

/// Every command in the dispatch table answers the envelope errors with its service's codes,
/// so commands added later are covered without touching this test.
#[tokio::test]
async fn every_command_answers_envelope_errors() {
    let server = server().await;
    let admin = server.client();
    let bob = server.client_for(0, "bob");
    let mut failures = Vec::new();
    assert!(!timber_server::COMMANDS.is_empty());
    for (service, command) in timber_server::COMMANDS {
        let path = format!("{service}/{command}");
        let (not_json, wrong_shape) = body_codes(service);
        let cases: Vec<(&str, Request, u64)> = vec![
            ("empty body", admin.request(&path).body(""), not_json),
            (
                "malformed JSON",
                admin.request(&path).body("{\"a\":"),
                not_json,
            ),
            (
                "a JSON string",
                admin.request(&path).body("\"x\""),
                wrong_shape,
            ),
            ("PUT", admin.request(&path).method("PUT").body("{}"), 60002),
            (
                "non-admin",
                bob.request(&path).body("{}"),
                non_admin_code(service),
            ),
            (
                "no sdkappid",
                admin.request(&path).without("sdkappid").body("{}"),
                60012,
            ),
        ];
        // Services whose documented samples show `ErrorDisplay` send it in every answer
        // (rest-protocol.md §5); the others never.
        let shows_display = matches!(*service, "profile" | "sns" | "follow" | "recentcontact");
        for (what, req, expected) in cases {
            let env = req.send().await.envelope(what);
            let code = env["ErrorCode"].as_u64().unwrap();
            if code != expected {
                failures.push(format!("{path} {what}: expected {expected}, got {code}"));
            }
            if (env.get("ErrorDisplay") == Some(&json!(""))) != shows_display {
                failures.push(format!("{path} {what}: ErrorDisplay wrong in {env}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// One `random` value for every request, on one keep-alive connection and on many.
#[tokio::test]
async fn one_random_for_every_request() {
    let server = server().await;
    let client = server.client();
    let body = json!({"CheckItem": [{"UserID": "administrator"}]});
    for _ in 0..20 {
        let reply = client
            .request(CHECK)
            .param("random", "99")
            .json(&body)
            .send()
            .await;
        assert_eq!(reply.code(), 0);
    }
}

/// The server's default body limit (1 MiB) with a body far beyond it: still an envelope.
#[tokio::test]
async fn default_body_limit() {
    let server = TestServer::start().await;
    let client = server.client();
    let app: &TestApp = &server.apps[0];
    let reply = client
        .request(CHECK)
        .body(padded(&app.admin, 1 << 20))
        .send()
        .await;
    assert_eq!(reply.code(), 0);
    let reply = client
        .request(CHECK)
        .body(padded(&app.admin, (1 << 20) + 1))
        .send()
        .await;
    assert_eq!(reply.code(), 93000);
    let reply = client
        .request(CHECK)
        .body(padded(&app.admin, 3 << 20))
        .send()
        .await;
    assert_eq!(reply.code(), 93000);
}

/// A refusal never echoes a large request: `ErrorInfo` is at most 1,024 bytes, whether the
/// reason quotes a field (a 600 KB GroupId) or serde's message quotes a value of the wrong
/// type (a 600 KB string where a number belongs).
#[tokio::test]
async fn error_info_is_short_whatever_the_request_echoes() {
    let server = TestServer::start().await;
    let client = server.client();
    let huge = "g".repeat(600_000);
    for (path, body, code) in [
        (
            "group_open_http_svc/clear_group_msg",
            json!({"GroupId": huge}),
            10015,
        ),
        (
            "group_open_http_svc/clear_group_msg",
            json!({"GroupId": "g", "MsgSeq": huge}),
            10004,
        ),
        (
            "im_open_login_svc/account_import",
            json!({"UserID": huge}),
            70402,
        ),
    ] {
        let reply = client.request(path).json(&body).send().await;
        let envelope = reply.envelope(path);
        assert_eq!(envelope["ErrorCode"], code, "{path}");
        let info = envelope["ErrorInfo"].as_str().unwrap();
        assert!(
            info.len() <= 1024,
            "{path}: ErrorInfo of {} bytes",
            info.len()
        );
    }
}
