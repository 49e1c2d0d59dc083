//! The end-to-end test harness: starts the real `timber` binary on a free port with its own
//! data directory, and speaks HTTP to it.
//!
//! ```ignore
//! mod common;
//! use common::TestServer;
//! use serde_json::json;
//!
//! #[tokio::test]
//! async fn import_then_check() {
//!     let server = TestServer::start().await;
//!     let admin = server.client();
//!     admin.call_ok("im_open_login_svc/account_import", json!({"UserID": "alice"})).await;
//!     let (code, _info) = admin.call_err("im_open_login_svc/kick", json!({"UserID": "bob"})).await;
//!     assert_eq!(code, 70107);
//! }
//! ```
//!
//! Every test file uses a different part of this module, so unused items are expected.
#![allow(dead_code)]

mod corpus;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tempfile::TempDir;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::Notify;

/// The binary under test, built by Cargo for the integration tests.
pub const TIMBER: &str = env!("CARGO_BIN_EXE_timber");

/// How long the server may take to print its first line, and to exit after SIGTERM.
const START_TIMEOUT: Duration = Duration::from_secs(30);
const STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// An app the test server hosts, with what a test needs to sign as any of its users.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestApp {
    pub sdkappid: u64,
    /// The secret key, so a test can sign as anyone.
    pub key: String,
    /// The admin the default client calls as.
    pub admin: String,
}

impl TestApp {
    /// An app with a random SDKAppID and key, whose only admin is `administrator`.
    pub fn random() -> TestApp {
        let n = random_u64();
        TestApp {
            sdkappid: 1_400_000_000 + n % 100_000_000,
            key: format!("{:016x}{:016x}", n, random_u64()),
            admin: "administrator".into(),
        }
    }

    /// A fresh UserSig for `identifier`, valid for a day from now.
    pub fn sig(&self, identifier: &str) -> String {
        timber_usersig::generate(self.sdkappid, &self.key, identifier, 86_400, now())
    }

    /// This app as a `[[apps]]` table of the configuration file (`admins` as given).
    pub fn toml(&self, admins: &[&str]) -> String {
        let admins: Vec<String> = admins.iter().map(|a| format!("{a:?}")).collect();
        format!(
            "[[apps]]\nsdkappid = {}\nkey = {:?}\nadmins = [{}]\n",
            self.sdkappid,
            self.key,
            admins.join(", ")
        )
    }
}

/// A data directory that outlives one server, so a test can start another on the same data.
#[derive(Clone)]
pub struct DataDir(Arc<TempDir>);

impl DataDir {
    pub fn new() -> DataDir {
        DataDir(Arc::new(
            TempDir::new().expect("create a temporary data dir"),
        ))
    }
    pub fn path(&self) -> &Path {
        self.0.path()
    }
}

/// How to start a server; `Default` is one random app on SQLite in a fresh temporary dir.
#[derive(Clone, Default)]
pub struct ServerOptions {
    /// Apps to configure (each with `administrator` plus its `admin` as admins). Empty: one
    /// random app.
    pub apps: Vec<TestApp>,
    /// Configure no app at all, so the server creates (or reuses) its own default app; the
    /// harness then reads it back from the data dir to fill `TestServer::apps` (left empty
    /// with memory storage, which saves nothing: use `banner()` there).
    pub bootstrap: bool,
    /// `sqlite`, `memory`, `postgres` (a fresh schema on `$TIMBER_TEST_POSTGRES_URL`) or a
    /// `postgres://` URL. `None`: what [`prefer_postgres`] set for this test, else
    /// `$TIMBER_TEST_STORAGE`, else `sqlite`.
    pub storage: Option<String>,
    /// The PostgreSQL schema of `storage = "postgres"`, kept across restarts.
    pub pg: Option<Arc<PgSchema>>,
    /// Extra TOML at the top of the configuration file, before the harness's `[[apps]]`.
    pub config: String,
    /// Extra environment variables for the server; they win over the harness's own.
    pub env: Vec<(String, String)>,
    /// Environment variables to unset (e.g. `TIMBER_DATA_DIR` to test the default).
    pub env_remove: Vec<String>,
    /// Reuse a data directory (e.g. one of a stopped server). `None`: a fresh one.
    pub data_dir: Option<DataDir>,
    /// Working directory of the server process. `None`: a fresh temporary dir.
    pub cwd: Option<PathBuf>,
    /// Do not pass `--config` (environment only).
    pub no_config_file: bool,
    /// The server process's open-file limit (soft, hard), set before it starts.
    pub open_files: Option<(u64, u64)>,
    /// Extra arguments after `serve` (e.g. `--seed FILE`).
    pub args: Vec<String>,
}

impl ServerOptions {
    /// One random app whose callbacks go to `url`, with `extra` TOML keys of the app
    /// (`", callbacks = [...]"`, or empty).
    pub fn calling_back(url: &str, extra: &str) -> ServerOptions {
        let app = TestApp::random();
        let apps = format!(
            "[{{sdkappid = {}, key = {:?}, callback_url = {url:?}{extra}}}]",
            app.sdkappid, app.key
        );
        ServerOptions {
            apps: vec![app],
            env: vec![("TIMBER_APPS".into(), apps)],
            ..ServerOptions::default()
        }
    }
}

/// A PostgreSQL schema of its own for one test, on the server at `$TIMBER_TEST_POSTGRES_URL`;
/// dropped with the last server that uses it.
pub struct PgSchema {
    base: String,
    name: String,
    /// A URL whose connections use this schema.
    pub url: String,
}

impl PgSchema {
    pub async fn create() -> Arc<PgSchema> {
        let base = std::env::var("TIMBER_TEST_POSTGRES_URL")
            .expect("TIMBER_TEST_POSTGRES_URL must be set for a PostgreSQL test");
        let (url, name) = timber_store::postgres::testing::fresh_schema(&base)
            .await
            .expect("create a PostgreSQL test schema");
        Arc::new(PgSchema { base, name, url })
    }

    /// A URL of this schema on the same database reached through `base` (another address
    /// of the same server, such as its Unix socket).
    pub fn url_on(&self, base: &str) -> String {
        let sep = if base.contains('?') { '&' } else { '?' };
        format!("{base}{sep}options=-c%20search_path%3D{}", self.name)
    }
}

impl Drop for PgSchema {
    fn drop(&mut self) {
        let (base, name) = (self.base.clone(), self.name.clone());
        // Drop runs inside the test's runtime: use a thread with its own.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build();
            if let Ok(rt) = rt {
                let _ = rt.block_on(timber_store::postgres::testing::drop_schema(&base, &name));
            }
        })
        .join();
    }
}

thread_local! {
    /// The storage of servers whose options name none, set by [`prefer_postgres`].
    static DEFAULT_STORAGE: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

/// Makes servers of this test (on this thread) use PostgreSQL until the guard drops. `None`,
/// with a loud note, when `TIMBER_TEST_POSTGRES_URL` is not set.
pub fn prefer_postgres() -> Option<impl Drop> {
    struct Reset;
    impl Drop for Reset {
        fn drop(&mut self) {
            DEFAULT_STORAGE.with(|d| d.borrow_mut().take());
        }
    }
    if std::env::var("TIMBER_TEST_POSTGRES_URL").is_err() {
        eprintln!("NOTE: TIMBER_TEST_POSTGRES_URL is not set: PostgreSQL variant SKIPPED");
        return None;
    }
    DEFAULT_STORAGE.with(|d| *d.borrow_mut() = Some("postgres".into()));
    Some(Reset)
}

/// `also_on_postgres!(test_name);` after a `#[tokio::test]` runs the same test again with
/// every server on PostgreSQL (a fresh schema each), as `test_name::on_postgres`.
#[allow(unused_macros)]
macro_rules! also_on_postgres {
    ($name:ident) => {
        mod $name {
            #[test]
            fn on_postgres() {
                if let Some(_pg) = crate::common::prefer_postgres() {
                    super::$name();
                }
            }
        }
    };
}
#[allow(unused_imports)]
pub(crate) use also_on_postgres;

/// A running `timber serve` child process. Dropping it kills the process.
pub struct TestServer {
    /// `http://127.0.0.1:PORT`, from the first line the server prints.
    pub base: String,
    pub apps: Vec<TestApp>,
    pub data_dir: DataDir,
    options: ServerOptions,
    child: Option<Child>,
    stdout: Arc<Lines>,
    log_path: PathBuf,
    /// Holds the configuration file, the log and the default working directory.
    _scratch: TempDir,
    http: reqwest::Client,
}

/// Lines a child printed so far, and a signal for each new one.
#[derive(Default)]
struct Lines {
    lines: Mutex<Vec<String>>,
    closed: Mutex<bool>,
    changed: Notify,
}

impl TestServer {
    /// One random app, SQLite in a temporary data dir.
    pub async fn start() -> TestServer {
        TestServer::start_with(ServerOptions::default()).await
    }

    pub async fn start_with(mut options: ServerOptions) -> TestServer {
        if options.apps.is_empty() && !options.bootstrap {
            options.apps.push(TestApp::random());
        }
        let data_dir = options.data_dir.clone().unwrap_or_else(DataDir::new);
        options.data_dir = Some(data_dir.clone());
        let storage = options
            .storage
            .clone()
            .or_else(|| DEFAULT_STORAGE.with(|d| d.borrow().clone()))
            .or_else(|| std::env::var("TIMBER_TEST_STORAGE").ok())
            .unwrap_or_else(|| "sqlite".into());
        let storage = if storage == "postgres" {
            if options.pg.is_none() {
                options.pg = Some(PgSchema::create().await);
            }
            options
                .pg
                .as_ref()
                .map(|pg| pg.url.clone())
                .unwrap_or_default()
        } else {
            storage
        };
        let scratch = TempDir::new().expect("create a scratch dir");

        let mut config = String::new();
        if !options.bootstrap {
            for app in &options.apps {
                let mut admins = vec!["administrator"];
                if app.admin != "administrator" {
                    admins.push(&app.admin);
                }
                config.push_str(&app.toml(&admins));
            }
        }
        // Top-level keys must come before the first table.
        let config = format!("{}\n{config}", options.config);
        let config_path = scratch.path().join("timber.toml");
        std::fs::write(&config_path, &config).expect("write the configuration file");
        let log_path = scratch.path().join("timber.log");
        let log = std::fs::File::create(&log_path).expect("create the log file");

        let mut cmd = match options.open_files {
            // util-linux's prlimit sets the limit and then executes timber in its own process,
            // so the server starts under it (and keeps the pid the harness signals).
            Some((soft, hard)) => {
                let mut cmd = Command::new("prlimit");
                cmd.arg(format!("--nofile={soft}:{hard}"))
                    .arg("--")
                    .arg(TIMBER);
                cmd
            }
            None => Command::new(TIMBER),
        };
        cmd.arg("serve");
        cmd.args(&options.args);
        if !options.no_config_file {
            cmd.arg("--config").arg(&config_path);
        }
        // The test's own environment must not leak into the server's configuration.
        for (name, _) in std::env::vars() {
            if name.starts_with("TIMBER_") || name == "RUST_LOG" {
                cmd.env_remove(name);
            }
        }
        cmd.env("TIMBER_LISTEN", "127.0.0.1:0")
            .env("TIMBER_DATA_DIR", data_dir.path())
            .env("TIMBER_STORAGE", &storage);
        for (k, v) in &options.env {
            cmd.env(k, v);
        }
        for k in &options.env_remove {
            cmd.env_remove(k);
        }
        cmd.current_dir(options.cwd.as_deref().unwrap_or(scratch.path()))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log)
            .kill_on_drop(true);
        let mut child = cmd.spawn().expect("start the timber binary");

        let stdout = Arc::new(Lines::default());
        let out = child.stdout.take().expect("piped stdout");
        let lines = stdout.clone();
        tokio::spawn(async move {
            let mut reader = BufReader::new(out).lines();
            while let Ok(Some(line)) = reader.next_line().await {
                lines.lines.lock().unwrap().push(line);
                lines.changed.notify_waiters();
            }
            *lines.closed.lock().unwrap() = true;
            lines.changed.notify_waiters();
        });

        let mut server = TestServer {
            base: String::new(),
            apps: options.apps.clone(),
            data_dir,
            options,
            child: Some(child),
            stdout,
            log_path,
            _scratch: scratch,
            http: http_client(),
        };
        let first = server
            .wait_for_line(|l| l.starts_with("timber listening on "))
            .await;
        server.base = first["timber listening on ".len()..].trim().to_owned();
        if server.options.bootstrap {
            server.apps = read_generated_app(server.data_dir.path())
                .into_iter()
                .collect();
        }
        server
    }

    /// Waits (up to the start timeout) until the server printed a line matching `pred`.
    pub async fn wait_for_line(&self, pred: impl Fn(&str) -> bool) -> String {
        let deadline = tokio::time::Instant::now() + START_TIMEOUT;
        loop {
            let notified = self.stdout.changed.notified();
            if let Some(l) = self.stdout.lines.lock().unwrap().iter().find(|l| pred(l)) {
                return l.clone();
            }
            if *self.stdout.closed.lock().unwrap() {
                panic!(
                    "timber exited before printing the expected line\nstdout:\n{}\nlog:\n{}",
                    self.stdout_lines().join("\n"),
                    self.log()
                );
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                panic!(
                    "timber did not print the expected line within {START_TIMEOUT:?}\nstdout:\n{}\nlog:\n{}",
                    self.stdout_lines().join("\n"),
                    self.log()
                );
            }
        }
    }

    /// The start-up banner, complete (waits for its `curl` line).
    pub async fn banner(&self) -> Banner {
        self.wait_for_line(|l| l.starts_with("curl ")).await;
        Banner::parse(&self.stdout_lines())
    }

    /// Everything the server printed on stdout so far.
    pub fn stdout_lines(&self) -> Vec<String> {
        self.stdout.lines.lock().unwrap().clone()
    }

    /// Everything the server logged (stderr) so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
    }

    /// Whether this server keeps its data in PostgreSQL.
    pub fn on_postgres(&self) -> bool {
        self.options.pg.is_some()
    }

    /// Every stored row, sorted, read beside the running server: from its SQLite file
    /// (read-only) or its PostgreSQL schema. What a test compares to see that requests
    /// changed nothing. Panics with memory storage, which has nothing to read from outside.
    /// Runs SQL on the server's database while it runs, `sqlite` on the SQLite file or
    /// `postgres` in its PostgreSQL schema (a test's own trigger, say).
    pub async fn execute_sql(&self, sqlite: &str, postgres: &str) {
        if let Some(pg) = &self.options.pg {
            timber_store::postgres::testing::execute(&pg.url, postgres)
                .await
                .expect("run SQL in the PostgreSQL schema");
            return;
        }
        let db = rusqlite::Connection::open(self.data_dir.path().join("timber.db"))
            .expect("open the SQLite file");
        db.execute_batch(sqlite)
            .expect("run SQL on the SQLite file");
    }

    pub async fn stored_rows(&self) -> Vec<String> {
        if let Some(pg) = &self.options.pg {
            return timber_store::postgres::testing::dump_schema(&pg.base, &pg.name)
                .await
                .expect("read the PostgreSQL schema");
        }
        let path = self.data_dir.path().join("timber.db");
        assert!(
            path.exists(),
            "no SQLite file to read at {}",
            path.display()
        );
        let db = rusqlite::Connection::open_with_flags(
            &path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .expect("open the SQLite file read-only");
        let mut tables = db
            .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
            .expect("list the tables");
        let tables: Vec<String> = tables
            .query_map([], |r| r.get(0))
            .expect("list the tables")
            .map(|t| t.expect("a table name"))
            .collect();
        let mut rows = Vec::new();
        for table in tables {
            let mut select = db
                .prepare(&format!("SELECT * FROM \"{table}\""))
                .expect("select a table");
            let columns = select.column_count();
            let mut found = select.query([]).expect("read a table");
            while let Some(row) = found.next().expect("read a row") {
                let values: Vec<String> = (0..columns)
                    .map(|i| format!("{:?}", row.get_ref(i).expect("a column")))
                    .collect();
                rows.push(format!("{table}: {}", values.join(", ")));
            }
        }
        rows.sort();
        rows
    }

    pub fn pid(&self) -> u32 {
        self.child
            .as_ref()
            .and_then(Child::id)
            .expect("the server is running")
    }

    /// Options that start another server on this server's data: its apps, its data dir and,
    /// on PostgreSQL, its schema.
    pub fn same_data(&self) -> ServerOptions {
        ServerOptions {
            apps: self.apps.clone(),
            data_dir: Some(self.data_dir.clone()),
            storage: self.options.storage.clone(),
            pg: self.options.pg.clone(),
            ..ServerOptions::default()
        }
    }

    /// The admin client of the first app.
    pub fn client(&self) -> Client {
        let admin = self.apps[0].admin.clone();
        self.client_for(0, &admin)
    }

    /// A client of app number `app` calling as `identifier`, with a fresh UserSig.
    pub fn client_for(&self, app: usize, identifier: &str) -> Client {
        let app = &self.apps[app];
        self.client_with_sig(app.sdkappid, identifier, &app.sig(identifier))
    }

    /// A client with exactly these query values.
    pub fn client_with_sig(&self, sdkappid: u64, identifier: &str, usersig: &str) -> Client {
        Client {
            http: self.http.clone(),
            base: self.base.clone(),
            sdkappid: sdkappid.to_string(),
            identifier: identifier.to_owned(),
            usersig: usersig.to_owned(),
            apps: self.apps.clone().into(),
        }
    }

    /// `GET {base}{path}` outside the REST API (health, metrics): status and body text.
    pub async fn get(&self, path: &str) -> (u16, String) {
        let resp = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET {path}: {e}"));
        let status = resp.status().as_u16();
        (status, resp.text().await.expect("read the body"))
    }

    /// Sends SIGTERM and waits for the process to exit.
    pub async fn stop(mut self) -> ExitStatus {
        self.terminate().await
    }

    /// Sends SIGTERM; returns the exit status, how long the exit took, and the whole log.
    pub async fn stop_timed(mut self) -> (ExitStatus, Duration, String) {
        let started = std::time::Instant::now();
        let status = self.terminate().await;
        (status, started.elapsed(), self.log())
    }

    /// Stops (asserting a clean exit) and starts again with the same options and data dir.
    pub async fn restart(mut self) -> TestServer {
        let status = self.terminate().await;
        assert!(status.success(), "timber exited with {status} on SIGTERM");
        TestServer::start_with(self.options.clone()).await
    }

    async fn terminate(&mut self) -> ExitStatus {
        let mut child = self.child.take().expect("the server is running");
        let pid = child.id().expect("the server is running") as libc::pid_t;
        // SAFETY: plain kill(2) of our own child, which has not been reaped yet.
        let rc = unsafe { libc::kill(pid, libc::SIGTERM) };
        assert_eq!(rc, 0, "kill(SIGTERM) failed");
        match tokio::time::timeout(STOP_TIMEOUT, child.wait()).await {
            Ok(status) => status.expect("wait for timber"),
            Err(_) => {
                let _ = child.kill().await;
                panic!(
                    "timber did not exit within {STOP_TIMEOUT:?} of SIGTERM\nlog:\n{}",
                    self.log()
                );
            }
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        // A failing test shows what the server said; a passing one stays quiet.
        if std::thread::panicking() {
            eprintln!(
                "---- timber stdout ----\n{}\n---- timber log ----\n{}",
                self.stdout_lines().join("\n"),
                self.log()
            );
        }
        if let Some(child) = self.child.as_mut() {
            let _ = child.start_kill();
        }
    }
}

/// The start-up banner, parsed.
#[derive(Debug, Clone)]
pub struct Banner {
    pub base: String,
    pub sdkappid: u64,
    pub admin: String,
    pub usersig: String,
    /// The `curl …` line, exactly as printed.
    pub curl: String,
    /// The console URL that signs in by itself (the UserSig in its fragment).
    pub console: String,
}

impl Banner {
    fn parse(lines: &[String]) -> Banner {
        let field = |prefix: &str| -> String {
            lines
                .iter()
                .find_map(|l| l.strip_prefix(prefix))
                .unwrap_or_else(|| panic!("no {prefix:?} line in the banner: {lines:#?}"))
                .trim()
                .to_owned()
        };
        Banner {
            base: field("timber listening on "),
            sdkappid: field("SDKAppID:").parse().expect("numeric SDKAppID"),
            admin: field("admin:"),
            usersig: field("UserSig:"),
            curl: format!("curl {}", field("curl ")),
            console: field("console:"),
        }
    }
}

/// Reads the app the server generated into `data_dir` (absent with memory storage).
pub fn read_generated_app(data_dir: &Path) -> Option<TestApp> {
    let text = std::fs::read_to_string(data_dir.join("app.toml")).ok()?;
    let table: toml::Table = toml::from_str(&text).expect("app.toml is TOML");
    Some(TestApp {
        sdkappid: table["sdkappid"].as_integer().expect("sdkappid") as u64,
        key: table["key"].as_str().expect("key").to_owned(),
        admin: table["admins"][0].as_str().expect("an admin").to_owned(),
    })
}

/// Calls the REST API as one (sdkappid, identifier, usersig).
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    pub base: String,
    pub sdkappid: String,
    pub identifier: String,
    pub usersig: String,
    /// The server's apps, for recording the fuzz corpus (`corpus.rs`).
    apps: Arc<[TestApp]>,
}

impl Client {
    /// The same caller with another UserSig.
    pub fn with_sig(&self, usersig: &str) -> Client {
        Client {
            usersig: usersig.to_owned(),
            ..self.clone()
        }
    }

    /// POSTs `body` to `/v4/{path}` (e.g. `"im_open_login_svc/account_import"`); asserts HTTP
    /// 200 and a JSON answer with the envelope, and returns it.
    pub async fn call(&self, path: &str, body: Value) -> Value {
        let reply = self.request(path).json(&body).send().await;
        reply.envelope(&format!("{path} {}", short(&body.to_string())))
    }

    /// Like [`call`](Self::call), and asserts success (`ErrorCode` 0, `ActionStatus` OK).
    pub async fn call_ok(&self, path: &str, body: Value) -> Value {
        let req = short(&body.to_string());
        let resp = self.call(path, body).await;
        assert!(
            resp["ErrorCode"] == 0 && resp["ActionStatus"] == "OK" && resp["ErrorInfo"] == "",
            "{path} should succeed\n  request:  {req}\n  response: {resp}"
        );
        resp
    }

    /// Like [`call`](Self::call), and asserts failure; returns (`ErrorCode`, `ErrorInfo`).
    pub async fn call_err(&self, path: &str, body: Value) -> (u64, String) {
        let req = short(&body.to_string());
        let resp = self.call(path, body).await;
        assert!(
            resp["ActionStatus"] == "FAIL" && resp["ErrorCode"].as_u64().is_some_and(|c| c != 0),
            "{path} should fail\n  request:  {req}\n  response: {resp}"
        );
        (
            resp["ErrorCode"].as_u64().unwrap(),
            resp["ErrorInfo"].as_str().unwrap_or_default().to_owned(),
        )
    }

    /// A request with full control over method, query, headers and body. It starts as a POST
    /// of nothing with this client's `sdkappid`, `identifier`, `usersig`, `random` and
    /// `contenttype` parameters, written into the URL as given (no encoding).
    pub fn request(&self, path: &str) -> Request {
        Request {
            http: self.http.clone(),
            apps: self.apps.clone(),
            url_path: format!("{}/v4/{path}", self.base),
            method: reqwest::Method::POST,
            params: vec![
                ("sdkappid".into(), self.sdkappid.clone()),
                ("identifier".into(), self.identifier.clone()),
                ("usersig".into(), self.usersig.clone()),
                ("random".into(), random_u32().to_string()),
                ("contenttype".into(), "json".into()),
            ],
            headers: Vec::new(),
            body: None,
        }
    }
}

/// A request being built; see [`Client::request`].
#[derive(Clone)]
pub struct Request {
    http: reqwest::Client,
    apps: Arc<[TestApp]>,
    url_path: String,
    pub method: reqwest::Method,
    pub params: Vec<(String, String)>,
    pub headers: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
}

impl Request {
    pub fn method(mut self, method: &str) -> Request {
        self.method = method.parse().expect("an HTTP method");
        self
    }

    /// Sets a query parameter (replacing it if present), written into the URL verbatim.
    pub fn param(mut self, name: &str, value: &str) -> Request {
        match self.params.iter_mut().find(|(n, _)| n == name) {
            Some(p) => p.1 = value.to_owned(),
            None => self.params.push((name.to_owned(), value.to_owned())),
        }
        self
    }

    /// Removes a query parameter.
    pub fn without(mut self, name: &str) -> Request {
        self.params.retain(|(n, _)| n != name);
        self
    }

    /// Replaces the path after `/v4/` (or the whole path when it starts with `/`).
    pub fn path(mut self, path: &str) -> Request {
        let base = self.url_path.split("/v4/").next().unwrap_or_default();
        self.url_path = if path.starts_with('/') {
            format!("{base}{path}")
        } else {
            format!("{base}/v4/{path}")
        };
        self
    }

    /// Removes every header set so far (e.g. the JSON Content-Type).
    pub fn no_headers(mut self) -> Request {
        self.headers.clear();
        self
    }

    /// Sends no body at all.
    pub fn no_body(mut self) -> Request {
        self.body = None;
        self
    }

    pub fn header(mut self, name: &str, value: &str) -> Request {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// The body bytes, sent with no Content-Type header.
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Request {
        self.body = Some(body.into());
        self
    }

    /// A JSON body with `Content-Type: application/json`.
    pub fn json(self, body: &Value) -> Request {
        self.body(body.to_string())
            .header("content-type", "application/json")
    }

    /// The URL as sent.
    pub fn url(&self) -> String {
        let query: Vec<String> = self
            .params
            .iter()
            .map(|(n, v)| format!("{n}={v}"))
            .collect();
        format!("{}?{}", self.url_path, query.join("&"))
    }

    /// Sends the request; panics if there is no HTTP answer.
    pub async fn send(self) -> Reply {
        let what = format!("{} {}", self.method, self.url());
        self.try_send()
            .await
            .unwrap_or_else(|e| panic!("{what}: {e:?}"))
    }

    /// Sends the request; `Err` when no HTTP answer arrived (e.g. the server is gone).
    pub async fn try_send(self) -> Result<Reply, reqwest::Error> {
        corpus::record(&self);
        let url = self.url();
        let mut req = self.http.request(self.method.clone(), &url);
        for (n, v) in &self.headers {
            req = req.header(n, v);
        }
        if let Some(body) = self.body {
            req = req.body(body);
        }
        let resp = req.send().await?;
        let status = resp.status().as_u16();
        let content_type = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let request_id = resp
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok()?.parse().ok());
        let text = resp.text().await?;
        Ok(Reply {
            status,
            content_type,
            request_id,
            text,
        })
    }
}

/// What the server answered.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub content_type: String,
    /// The `x-request-id` header, which the server's log lines of this request carry.
    pub request_id: Option<u64>,
    pub text: String,
}

impl Reply {
    /// Asserts a REST answer (HTTP 200, JSON, with the three envelope fields) and returns it.
    pub fn envelope(&self, what: &str) -> Value {
        self.try_envelope()
            .unwrap_or_else(|why| panic!("{what}: {why}"))
    }

    /// The answer if it is a REST answer (HTTP 200, JSON, with the envelope); else why not.
    pub fn try_envelope(&self) -> Result<Value, String> {
        if self.status != 200 {
            return Err(format!(
                "HTTP status {} (must be 200): {}",
                self.status, self.text
            ));
        }
        if self.content_type != "application/json" {
            return Err(format!(
                "Content-Type {:?}: {}",
                self.content_type, self.text
            ));
        }
        let v: Value = serde_json::from_str(&self.text)
            .map_err(|e| format!("answer is not JSON ({e}): {}", self.text))?;
        let ok =
            v["ActionStatus"].is_string() && v["ErrorCode"].is_u64() && v["ErrorInfo"].is_string();
        if !ok {
            return Err(format!("answer lacks the envelope fields: {v}"));
        }
        Ok(v)
    }

    /// The envelope's `ErrorCode` (asserting the envelope).
    pub fn code(&self) -> u64 {
        self.envelope("reply")["ErrorCode"].as_u64().unwrap()
    }
}

fn http_client() -> reqwest::Client {
    // reqwest is built with TLS but without a crypto provider of its own (the server's
    // choice, ring): the tests' clients need it installed too.
    #[allow(deprecated)] // ring, as the server (callbacks/mod.rs)
    let provider = rustls::crypto::ring::default_provider();
    let _ = provider.install_default();
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("build the HTTP client")
}

fn short(s: &str) -> String {
    if s.len() > 300 {
        let end = (0..=300)
            .rev()
            .find(|&i| s.is_char_boundary(i))
            .unwrap_or(0);
        format!("{}… ({} bytes)", &s[..end], s.len())
    } else {
        s.to_owned()
    }
}

/// Unix seconds now.
pub fn now() -> i64 {
    timber_core::now_secs()
}

/// A random number without a dependency: the std hasher is randomly keyed per instance.
pub fn random_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos(),
    );
    h.finish()
}

pub fn random_u32() -> u32 {
    random_u64() as u32
}

/// Percent-encodes every byte outside `A-Z a-z 0-9`, as a careful client would.
pub fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

// Helpers the group and message tests share.

/// A MsgBody of one text element.
pub fn text(t: &str) -> Value {
    serde_json::json!([{"MsgType": "TIMTextElem", "MsgContent": {"Text": t}}])
}

/// Imports `users` through multiaccount_import, 100 per call, and checks none failed.
pub async fn import_accounts<S: AsRef<str>>(c: &Client, users: &[S]) {
    for chunk in users.chunks(100) {
        let list: Vec<Value> = chunk
            .iter()
            .map(|u| serde_json::json!({"UserID": u.as_ref()}))
            .collect();
        let resp = c
            .call_ok(
                "im_open_login_svc/multiaccount_import",
                serde_json::json!({"AccountList": list}),
            )
            .await;
        assert_eq!(resp["FailAccounts"], serde_json::json!([]));
    }
}

/// The group's entry of get_group_info.
pub async fn group_info(c: &Client, gid: &str) -> Value {
    let resp = c
        .call_ok(
            "group_open_http_svc/get_group_info",
            serde_json::json!({"GroupIdList": [gid]}),
        )
        .await;
    resp["GroupInfo"][0].clone()
}

/// The `MsgSeq` of each entry of a history answer's `RspMsgList`, in its order.
pub fn history_seqs(page: &serde_json::Value) -> Vec<u64> {
    page["RspMsgList"]
        .as_array()
        .expect("RspMsgList")
        .iter()
        .map(|m| m["MsgSeq"].as_u64().expect("MsgSeq"))
        .collect()
}

/// The group's NextMsgSeq, as get_group_info reports it.
pub async fn next_msg_seq(c: &Client, gid: &str) -> u64 {
    group_info(c, gid).await["NextMsgSeq"]
        .as_u64()
        .expect("NextMsgSeq")
}
