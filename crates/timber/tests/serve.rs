//! `timber serve` as an operator meets it: the first-start banner and its curl line, reuse of
//! the generated app, storage modes, configuration file and environment, health endpoints,
//! request logs, and SIGTERM. spec: DESIGN.md (Configuration), issue 2.

mod common;

use common::{read_generated_app, Client, DataDir, ServerOptions, TestApp, TestServer, TIMBER};
use serde_json::{json, Value};
use std::path::Path;
use std::time::{Duration, Instant};

const IMPORT: &str = "im_open_login_svc/account_import";
const MULTI: &str = "im_open_login_svc/multiaccount_import";
const CHECK: &str = "im_open_login_svc/account_check";

/// Runs the banner's curl line exactly as a user would paste it, and returns the JSON answer.
fn run_curl(line: &str) -> Value {
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(line)
        .output()
        .expect("run sh (is curl installed? .ci/run installs it)");
    assert!(
        out.status.success(),
        "the banner's curl line failed: {}\n{line}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "curl printed no JSON ({e}): {:?}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

fn assert_curl_ok(line: &str, admin: &str) {
    let resp = run_curl(line);
    assert_eq!(resp["ErrorCode"], 0, "{resp}");
    assert_eq!(
        resp["ResultItem"],
        json!([{"UserID": admin, "ResultCode": 0, "ResultInfo": "", "AccountStatus": "Imported"}])
    );
}

async fn exists(c: &Client, user: &str) -> bool {
    let resp = c
        .call_ok(CHECK, json!({"CheckItem": [{"UserID": user}]}))
        .await;
    resp["ResultItem"][0]["AccountStatus"] == "Imported"
}

/// SQLite writes 2 at offsets 18 and 19 of the header of a database in WAL mode.
fn is_wal(db: &Path) -> bool {
    let header = std::fs::read(db).expect("read the database file");
    header.len() >= 100 && header[18] == 2 && header[19] == 2
}

#[tokio::test]
async fn first_start_prints_a_working_curl_and_a_second_start_reuses_the_app() {
    let server = TestServer::start_with(ServerOptions {
        bootstrap: true,
        storage: Some("sqlite".into()),
        ..Default::default()
    })
    .await;
    let banner = server.banner().await;
    assert_eq!(banner.base, server.base);
    assert_eq!(banner.admin, "administrator");
    // The generated app is kept in the data dir, readable only by its owner.
    let dir = server.data_dir.clone();
    let app = read_generated_app(dir.path()).expect("app.toml in the data dir");
    assert_eq!(app.sdkappid, banner.sdkappid);
    assert_eq!(app.key.len(), 64);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("app.toml"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "app.toml holds the secret key");
    }
    assert!(is_wal(&dir.path().join("timber.db")), "SQLite in WAL mode");

    assert!(banner.curl.starts_with("curl "));
    assert_curl_ok(&banner.curl, "administrator");
    let admin = server.client();
    admin.call_ok(IMPORT, json!({"UserID": "kept"})).await;

    // Second start on the same data dir: same app, same key (the old UserSig still works),
    // same data.
    let server = server.restart().await;
    let again = server.banner().await;
    assert_eq!(again.sdkappid, banner.sdkappid);
    assert_eq!(server.apps, vec![app]);
    let old = server.client_with_sig(banner.sdkappid, "administrator", &banner.usersig);
    assert!(exists(&old, "kept").await);
    assert_curl_ok(&again.curl, "administrator");
}

#[tokio::test]
async fn default_data_dir_is_timber_data_under_the_working_directory() {
    let cwd = DataDir::new();
    let server = TestServer::start_with(ServerOptions {
        bootstrap: true,
        no_config_file: true,
        env_remove: vec!["TIMBER_DATA_DIR".into(), "TIMBER_STORAGE".into()],
        cwd: Some(cwd.path().to_owned()),
        ..Default::default()
    })
    .await;
    let banner = server.banner().await;
    let data = cwd.path().join("timber-data");
    assert_eq!(
        read_generated_app(&data).map(|a| a.sdkappid),
        Some(banner.sdkappid)
    );
    assert!(is_wal(&data.join("timber.db")));
    assert_curl_ok(&banner.curl, "administrator");
}

#[tokio::test]
async fn memory_storage_keeps_nothing_on_disk() {
    // No app configured: a throw-away app, not saved.
    let server = TestServer::start_with(ServerOptions {
        bootstrap: true,
        storage: Some("memory".into()),
        ..Default::default()
    })
    .await;
    let banner = server.banner().await;
    assert_curl_ok(&banner.curl, "administrator");
    let files: Vec<_> = std::fs::read_dir(server.data_dir.path()).unwrap().collect();
    assert!(files.is_empty(), "memory storage wrote {files:?}");

    // Configured app: works, and a restart forgets everything.
    let server = TestServer::start_with(ServerOptions {
        storage: Some("memory".into()),
        ..Default::default()
    })
    .await;
    server
        .client()
        .call_ok(IMPORT, json!({"UserID": "fleeting"}))
        .await;
    assert!(exists(&server.client(), "fleeting").await);
    let server = server.restart().await;
    assert!(!exists(&server.client(), "fleeting").await);
    assert_eq!(
        std::fs::read_dir(server.data_dir.path()).unwrap().count(),
        0
    );
}

/// A valid account_check body of exactly `len` bytes.
fn body_of(len: usize) -> String {
    let body = r#"{"CheckItem":[]}"#;
    format!("{body}{}", " ".repeat(len - body.len()))
}

async fn body_code(c: &Client, len: usize) -> u64 {
    c.request(CHECK).body(body_of(len)).send().await.code()
}

fn request_log_lines(log: &str) -> Vec<&str> {
    log.lines()
        .filter(|l| l.contains(" request ") && l.contains("request_id="))
        .collect()
}

#[tokio::test]
async fn configuration_file_keys() {
    // Every key in the file, no TIMBER_* variable at all.
    let data = DataDir::new();
    let app = TestApp::random();
    let config = format!(
        "listen = \"127.0.0.1:0\"\ndata_dir = {:?}\nstorage = \"sqlite\"\nlog = \"info\"\nmax_body_bytes = 150\n{}",
        data.path(),
        app.toml(&["ops"]),
    );
    let server = TestServer::start_with(ServerOptions {
        // The app is in `config`; the harness adds none.
        bootstrap: true,
        config,
        env_remove: ["TIMBER_LISTEN", "TIMBER_DATA_DIR", "TIMBER_STORAGE"]
            .map(String::from)
            .to_vec(),
        ..Default::default()
    })
    .await;
    let ops = server.client_with_sig(app.sdkappid, "ops", &app.sig("ops"));
    assert_eq!(body_code(&ops, 150).await, 0);
    assert_eq!(body_code(&ops, 151).await, 93000);
    // `administrator` is an admin even when the file does not list it.
    server
        .client_with_sig(app.sdkappid, "administrator", &app.sig("administrator"))
        .call_ok(CHECK, json!({"CheckItem": []}))
        .await;
    assert!(is_wal(&data.path().join("timber.db")));
    assert_eq!(request_log_lines(&server.log()).len(), 3);

    // storage = "memory" in the file.
    let server = TestServer::start_with(ServerOptions {
        config: "storage = \"memory\"".into(),
        env_remove: vec!["TIMBER_STORAGE".into()],
        ..Default::default()
    })
    .await;
    server
        .client()
        .call_ok(CHECK, json!({"CheckItem": []}))
        .await;
    assert_eq!(
        std::fs::read_dir(server.data_dir.path()).unwrap().count(),
        0
    );
}

#[tokio::test]
async fn environment_overrides_the_file() {
    // The file says warn and 100 bytes; the environment says info and 3000.
    let server = TestServer::start_with(ServerOptions {
        apps: vec![TestApp::random(), TestApp::random()],
        config: "max_body_bytes = 100\nlog = \"warn\"".into(),
        env: vec![
            ("TIMBER_MAX_BODY_BYTES".into(), "3000".into()),
            ("TIMBER_LOG".into(), "info".into()),
            // TIMBER_LOG wins over RUST_LOG too.
            ("RUST_LOG".into(), "warn".into()),
        ],
        ..Default::default()
    })
    .await;
    let c = server.client();
    assert_eq!(body_code(&c, 3000).await, 0);
    assert_eq!(body_code(&c, 3001).await, 93000);
    let other = server.client_for(1, "administrator");
    other.call_ok(CHECK, json!({"CheckItem": []})).await;
    assert_eq!(request_log_lines(&server.log()).len(), 3);

    // Apps from TIMBER_APPS alone (no file), a quieter log, memory storage.
    let (a, b) = (TestApp::random(), TestApp::random());
    let apps = format!(
        "[{{sdkappid = {}, key = {:?}, admins = [\"ops\"]}}, {{sdkappid = {}, key = {:?}}}]",
        a.sdkappid, a.key, b.sdkappid, b.key
    );
    let server = TestServer::start_with(ServerOptions {
        apps: vec![
            TestApp {
                admin: "ops".into(),
                ..a
            },
            b,
        ],
        no_config_file: true,
        env: vec![
            ("TIMBER_APPS".into(), apps),
            ("TIMBER_LOG".into(), "warn".into()),
            ("TIMBER_MAX_BODY_BYTES".into(), "100".into()),
            ("TIMBER_STORAGE".into(), "memory".into()),
        ],
        ..Default::default()
    })
    .await;
    let ops = server.client();
    assert_eq!(body_code(&ops, 100).await, 0);
    assert_eq!(body_code(&ops, 101).await, 93000);
    server
        .client_for(1, "administrator")
        .call_ok(CHECK, json!({"CheckItem": []}))
        .await;
    let (code, _) = server
        .client_for(1, "ops")
        .call_err(CHECK, json!({"CheckItem": []}))
        .await;
    assert_eq!(code, 60010, "ops is an admin of the first app only");
    assert!(request_log_lines(&server.log()).is_empty());
    assert_eq!(
        std::fs::read_dir(server.data_dir.path()).unwrap().count(),
        0
    );
}

/// Runs `timber ARGS` with these environment variables (and no inherited TIMBER_*); returns
/// (success, stdout, stderr). Fails the test if it does not exit within 20 s.
async fn run_timber(args: &[&str], env: &[(&str, &str)]) -> (bool, String, String) {
    let mut cmd = tokio::process::Command::new(TIMBER);
    cmd.args(args).kill_on_drop(true);
    for (name, _) in std::env::vars() {
        if name.starts_with("TIMBER_") {
            cmd.env_remove(name);
        }
    }
    cmd.envs(env.iter().copied());
    let out = tokio::time::timeout(Duration::from_secs(20), cmd.output())
        .await
        .unwrap_or_else(|_| panic!("timber {args:?} did not exit"))
        .expect("run timber");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Environment variables of one run.
type Env<'a> = Vec<(&'a str, &'a str)>;

#[tokio::test]
async fn bad_configuration_is_refused_at_start() {
    let dir = DataDir::new();
    let data = dir.path().to_str().unwrap();
    let bad_file = dir.path().join("bad.toml");
    std::fs::write(&bad_file, "lisen = \"127.0.0.1:0\"\n").unwrap();
    let bad_file = bad_file.to_str().unwrap();
    let base = [("TIMBER_LISTEN", "127.0.0.1:0"), ("TIMBER_DATA_DIR", data)];
    #[rustfmt::skip]
    let cases: Vec<(&str, Vec<&str>, Env, &str)> = vec![
        ("max_body_bytes not a number", vec!["serve"], vec![("TIMBER_MAX_BODY_BYTES", "lots")], "TIMBER_MAX_BODY_BYTES"),
        ("unknown storage", vec!["serve"], vec![("TIMBER_STORAGE", "floppy")], "floppy"),
        ("unknown key in the file", vec!["serve", "--config", bad_file], vec![], "lisen"),
        ("missing file", vec!["serve", "--config", "/nonexistent/timber.toml"], vec![], "/nonexistent/timber.toml"),
        ("apps with one SDKAppID twice", vec!["serve"], vec![("TIMBER_APPS", r#"[{sdkappid = 1, key = "a"}, {sdkappid = 1, key = "b"}]"#)], "twice"),
        ("listen address that is not one", vec!["serve"], vec![("TIMBER_LISTEN", "not-an-address")], "not-an-address"),
        ("a timeout of 0 (never)", vec!["serve"], vec![("TIMBER_IDLE_TIMEOUT_SECS", "0")], "idle_timeout_secs"),
        ("no connections at all", vec!["serve"], vec![("TIMBER_MAX_CONNECTIONS", "0")], "max_connections"),
    ];
    for (what, args, env, mention) in cases {
        let mut all = base.to_vec();
        all.extend(env);
        let (ok, _, stderr) = run_timber(&args, &all).await;
        assert!(!ok, "{what}: timber should refuse to start");
        assert!(
            stderr.contains(mention),
            "{what}: stderr should mention {mention:?}: {stderr}"
        );
    }

    // One data dir, one process: a second server on it refuses to start.
    let server = TestServer::start().await;
    let data = server.data_dir.path().to_str().unwrap().to_owned();
    let (ok, _, stderr) = run_timber(
        &["serve"],
        &[("TIMBER_LISTEN", "127.0.0.1:0"), ("TIMBER_DATA_DIR", &data)],
    )
    .await;
    assert!(!ok, "a second server on the same data dir must not start");
    assert!(stderr.contains("in use"), "{stderr}");
    server
        .client()
        .call_ok(CHECK, json!({"CheckItem": []}))
        .await;
}

#[tokio::test]
async fn migrate_creates_the_database() {
    let dir = DataDir::new();
    let data = dir.path().to_str().unwrap();
    let (ok, stdout, stderr) = run_timber(&["migrate"], &[("TIMBER_DATA_DIR", data)]).await;
    assert!(ok, "{stderr}");
    assert!(stdout.contains("migrations applied"), "{stdout}");
    assert!(is_wal(&dir.path().join("timber.db")));
    // Idempotent, and the server starts on the migrated database.
    let (ok, _, stderr) = run_timber(&["migrate"], &[("TIMBER_DATA_DIR", data)]).await;
    assert!(ok, "{stderr}");
    let server = TestServer::start_with(ServerOptions {
        data_dir: Some(dir),
        ..Default::default()
    })
    .await;
    server
        .client()
        .call_ok(CHECK, json!({"CheckItem": []}))
        .await;
}

#[tokio::test]
async fn health_readiness_and_metrics() {
    let server = TestServer::start().await;
    assert_eq!(server.get("/healthz").await, (200, "ok\n".to_owned()));
    assert_eq!(server.get("/readyz").await, (200, "ready\n".to_owned()));

    let metric = |text: &str, name: &str| -> f64 {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{name} ")))
            .unwrap_or_else(|| panic!("no {name} in {text}"))
            .parse()
            .unwrap()
    };
    let (status, before) = server.get("/metrics").await;
    assert_eq!(status, 200);
    let c = server.client();
    c.call_ok(CHECK, json!({"CheckItem": []})).await;
    c.call_err(CHECK, json!({})).await;
    let (_, after) = server.get("/metrics").await;
    for (name, delta) in [
        ("timber_requests_total", 2.0),
        ("timber_requests_failed_total", 1.0),
    ] {
        assert_eq!(
            metric(&after, name) - metric(&before, name),
            delta,
            "{name}"
        );
    }
    assert!(metric(&after, "timber_request_seconds_total") > 0.0);
}

#[tokio::test]
async fn one_log_line_per_request() {
    let server = TestServer::start().await;
    let admin = server.client();
    admin.call_ok(CHECK, json!({"CheckItem": []})).await;
    server
        .client_for(0, "bob")
        .call_err(CHECK, json!({"CheckItem": []}))
        .await;
    admin.call_err("im_open_login_svc/no_such", json!({})).await;
    let log = server.log();
    let lines = request_log_lines(&log);
    assert_eq!(lines.len(), 3, "{log}");
    for (line, command, code) in [
        (lines[0], "account_check", 0),
        (lines[1], "account_check", 60010),
        (lines[2], "no_such", 60009),
    ] {
        assert!(line.contains(&format!("command={command} ")), "{line}");
        assert!(line.contains(&format!("error_code={code} ")), "{line}");
    }
    let ids: std::collections::HashSet<u64> = lines.iter().map(|l| request_id(l)).collect();
    assert_eq!(ids.len(), 3, "request ids are distinct: {lines:#?}");
}

/// The request id a log line names (`request{request_id=7}: …`).
fn request_id(line: &str) -> u64 {
    let digits = line.split("request_id=").nth(1).unwrap_or_default();
    let end = digits
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(digits.len());
    digits[..end]
        .parse()
        .unwrap_or_else(|_| panic!("no request id in {line:?}"))
}

/// DESIGN.md invariant 5: the database failing under a request answers the service's
/// internal-error code with nothing of the cause, and the cause is logged in a line that
/// carries the request's id, the one its `x-request-id` header gives.
#[tokio::test]
async fn a_store_failure_answers_the_internal_code_and_logs_the_cause_with_the_request_id() {
    // At `warn` too: the request lines are gone, the cause and its request id are not.
    let server = TestServer::start_with(ServerOptions {
        storage: Some("sqlite".into()),
        env: vec![("TIMBER_LOG".into(), "warn".into())],
        ..Default::default()
    })
    .await;
    let admin = server.client();
    admin
        .call_ok(
            "group_open_http_svc/create_group",
            json!({"Type": "Public", "GroupId": "g", "Name": "g"}),
        )
        .await;
    // Another connection takes tables away under the server (timber's lock guards against
    // a second timber, not against this).
    rusqlite::Connection::open(server.data_dir.path().join("timber.db"))
        .unwrap()
        .execute_batch("DROP TABLE group_members; DROP TABLE accounts;")
        .unwrap();
    for (path, body, internal) in [
        (
            "group_open_http_svc/get_group_info",
            json!({"GroupIdList": ["g"]}),
            10002,
        ),
        (
            "im_open_login_svc/account_delete",
            json!({"DeleteItem": [{"UserID": "x"}]}),
            70500,
        ),
    ] {
        let reply = admin.request(path).json(&body).send().await;
        let v = reply.envelope(path);
        assert_eq!(v["ErrorCode"], internal, "{v}");
        assert!(
            !v["ErrorInfo"].as_str().unwrap().contains("group_members"),
            "{v}"
        );
        let id = reply.request_id.expect("an x-request-id header");
        let log = server.log();
        let cause = log
            .lines()
            .find(|l| l.contains("ERROR") && l.contains("no such table") && request_id(l) == id)
            .unwrap_or_else(|| panic!("no ERROR line of request {id} naming the cause:\n{log}"));
        assert!(cause.contains("internal failure"), "{cause}");
    }
}

/// SIGTERM while many writes are in flight: every request that was answered was answered OK
/// (the store closes only after the last one), the process exits 0 promptly, and after a
/// restart every acknowledged write is there (DESIGN.md invariant 3).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_drains_in_flight_requests_and_keeps_acknowledged_writes() {
    let server = TestServer::start().await;
    let apps = server.apps.clone();
    let dir = server.data_dir.clone();
    let mut writers = Vec::new();
    for w in 0..16 {
        let c = server.client();
        writers.push(tokio::spawn(async move {
            let (mut acked, mut failed) = (Vec::new(), Vec::new());
            let started = Instant::now();
            // Bounded: stops at the first request without an answer, or after 20 s.
            for round in 0..100_000 {
                if started.elapsed() > Duration::from_secs(20) {
                    break;
                }
                let users: Vec<String> = (0..10).map(|i| format!("w{w}-{round}-{i}")).collect();
                let reply = c
                    .request(MULTI)
                    .json(&json!({ "Accounts": users }))
                    .try_send()
                    .await;
                match reply {
                    Err(_) => break,
                    Ok(r) => match r.try_envelope() {
                        Ok(v) if v["ErrorCode"] == 0 && v["FailAccounts"] == json!([]) => {
                            acked.extend(users)
                        }
                        Ok(v) => failed.push(v.to_string()),
                        Err(why) => failed.push(why),
                    },
                }
            }
            (acked, failed)
        }));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let stopping = Instant::now();
    let status = server.stop().await;
    let took = stopping.elapsed();
    assert!(status.success(), "exit status {status}");
    assert!(took < Duration::from_secs(5), "exit took {took:?}");

    let (mut acked, mut failed) = (Vec::new(), Vec::new());
    for w in writers {
        let (a, f) = w.await.unwrap();
        acked.extend(a);
        failed.extend(f);
    }
    assert!(failed.is_empty(), "answers during shutdown: {failed:#?}");
    assert!(
        !acked.is_empty(),
        "no write was acknowledged before SIGTERM"
    );
    // A clean close checkpoints the WAL into the database file.
    let wal = dir.path().join("timber.db-wal");
    let wal_len = std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
    assert_eq!(wal_len, 0, "the WAL should be checkpointed on close");

    let server = TestServer::start_with(ServerOptions {
        apps,
        data_dir: Some(dir),
        ..Default::default()
    })
    .await;
    let c = server.client();
    for chunk in acked.chunks(100) {
        let items: Vec<Value> = chunk.iter().map(|u| json!({ "UserID": u })).collect();
        let resp = c.call_ok(CHECK, json!({ "CheckItem": items })).await;
        for item in resp["ResultItem"].as_array().unwrap() {
            assert_eq!(
                item["AccountStatus"], "Imported",
                "acknowledged but lost: {item}"
            );
        }
    }
}

/// `timber serve` on `dir` with the sweeper pausing `interval` seconds between passes.
fn sweeping(app: &TestApp, dir: &DataDir, interval: &str) -> ServerOptions {
    ServerOptions {
        apps: vec![app.clone()],
        data_dir: Some(dir.clone()),
        env: vec![("TIMBER_SWEEP_INTERVAL_SECS".into(), interval.into())],
        ..Default::default()
    }
}

/// SIGTERM stops the server within 2 s, exit code 0, whatever the sweeper is doing: in a pass
/// (a pass takes short steps with a pause after each), between passes, or before its first
/// (issue 23: a stop seen by the pause inside a pass used to wait out a whole interval).
#[tokio::test]
async fn sigterm_stops_within_two_seconds_whatever_the_sweeper_is_doing() {
    let (app, dir) = (TestApp::random(), DataDir::new());
    // Work for the sweeper: each destroyed group is one step of a pass, then a 50 ms pause,
    // so the first pass of the next start takes seconds.
    let setup = TestServer::start_with(sweeping(&app, &dir, "0")).await;
    let c = setup.client();
    for i in 0..80 {
        let body = json!({"Type": "Public", "Name": format!("g{i}")});
        let id = c.call_ok("group_open_http_svc/create_group", body).await["GroupId"].clone();
        c.call_ok("group_open_http_svc/destroy_group", json!({"GroupId": id}))
            .await;
    }
    assert!(setup.stop().await.success());

    let stop = |server: TestServer, what: String| async move {
        let (status, took, log) = server.stop_timed().await;
        assert!(status.success(), "{what}: exit status {status}\n{log}");
        assert!(
            took < Duration::from_secs(2),
            "{what}: exit took {took:?}\n{log}"
        );
        log
    };
    // During the first pass (it starts at once).
    let server = TestServer::start_with(sweeping(&app, &dir, "3600")).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let log = stop(server, "300 ms into a pass".into()).await;
    assert!(log.contains("sweep pass stopped for shutdown"), "{log}");
    // Other moments of a pass, each start resuming where the last one stopped.
    for ms in [0, 20, 100, 450] {
        let server = TestServer::start_with(sweeping(&app, &dir, "60")).await;
        tokio::time::sleep(Duration::from_millis(ms)).await;
        stop(server, format!("{ms} ms after start")).await;
    }
    // Between passes: the rest of the work done, the sweeper waits out its interval.
    let server = TestServer::start_with(sweeping(&app, &dir, "60")).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    while !server.log().contains("sweep pass done") {
        assert!(
            Instant::now() < deadline,
            "no pass finished:\n{}",
            server.log()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    stop(server, "between passes".into()).await;
    // Nothing left to sweep: between passes from the start.
    for ms in [10, 1_000] {
        let server = TestServer::start_with(sweeping(&app, &dir, "86400")).await;
        tokio::time::sleep(Duration::from_millis(ms)).await;
        let log = stop(server, format!("idle sweeper, {ms} ms after start")).await;
        assert!(!log.contains("sweep pass"), "{log}");
    }
}

/// A request that never ends (its body never comes) holds the shutdown only for
/// `shutdown_grace_secs`; the store still closes cleanly and timber exits 0.
#[tokio::test]
async fn shutdown_grace_bounds_a_request_that_never_ends() {
    use tokio::io::AsyncWriteExt;
    let server = TestServer::start_with(ServerOptions {
        env: vec![("TIMBER_SHUTDOWN_GRACE_SECS".into(), "1".into())],
        ..Default::default()
    })
    .await;
    let url = server.client().request(CHECK).url();
    let target = url.strip_prefix(&server.base).unwrap().to_owned();
    let host = server.base.strip_prefix("http://").unwrap().to_owned();
    let mut conn = tokio::net::TcpStream::connect(&host).await.unwrap();
    let head = format!("POST {target} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 100\r\n\r\n");
    conn.write_all(head.as_bytes()).await.unwrap();
    conn.write_all(br#"{"CheckItem": ["#).await.unwrap();
    // Answered requests on other connections are not held up meanwhile.
    server
        .client()
        .call_ok(CHECK, json!({"CheckItem": []}))
        .await;
    tokio::time::sleep(Duration::from_millis(200)).await;

    let (status, took, log) = server.stop_timed().await;
    assert!(status.success(), "exit status {status}\n{log}");
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_millis(2_500),
        "exit took {took:?} with a 1 s grace\n{log}"
    );
    assert!(log.contains("cut off"), "{log}");
    assert!(log.contains("closing the store"), "{log}");
    drop(conn);
}

#[tokio::test]
async fn banner_with_a_configured_admin_that_needs_quoting() {
    let app = TestApp {
        admin: "o'neil & co".into(),
        ..TestApp::random()
    };
    let server = TestServer::start_with(ServerOptions {
        config: app.toml(&["o'neil & co"]),
        apps: vec![TestApp::random()],
        ..Default::default()
    })
    .await;
    let banner = server.banner().await;
    assert_eq!(banner.admin, "o'neil & co");
    assert_curl_ok(&banner.curl, "o'neil & co");
}
