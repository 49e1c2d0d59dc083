//! The entry points of the fuzz targets in `fuzz/` and of the test that replays their corpus
//! (`tests/fuzz_corpus.rs`). Not part of the server: nothing in timber calls this.
//!
//! Each target drives the real router in-process over a real store (a SQLite file in a
//! temporary directory, see `open_store`), with one app and a fixture seeded through the API
//! itself. So a fuzz input goes through exactly what a request goes through: route, method,
//! query, UserSig, body size, the typed request, the handler's checks, the store's decision.
//! Every answer is checked against what the API promises (`check_answer`); a broken promise
//! panics, which is what a fuzzer reports.

use crate::apps::{App, Apps};
use crate::{router, Settings, State, COMMANDS};
use axum::body::Body;
use axum::http::{Method, Request, Uri};
use axum::Router;
use http_body_util::BodyExt;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use timber_core::text::MAX_ERROR_INFO_BYTES;
use timber_core::ErrorCode;
use timber_store::sqlite::SqliteStore;
use timber_store::{NewAccount, Store};
use tower::ServiceExt;

/// The app every input calls. Fixed, so a corpus entry means the same on every run.
pub const SDKAPPID: u64 = 1_400_000_000;
const KEY: &str = "timber-fuzzing-key-0123456789abcdef";

/// In an `envelope` input, stands for [`SDKAPPID`].
pub const SDKAPPID_PLACEHOLDER: &str = "{sdkappid}";
/// In an `envelope` input, stands for a valid UserSig of the query's `identifier`.
pub const USERSIG_PLACEHOLDER: &str = "{usersig}";

/// After this many inputs the store starts over from the fixture: inputs destroy the groups
/// and fill the history the next ones would otherwise find, and a crash should need little
/// more than its own input to happen again.
const RESET_EVERY: u64 = 2_000;

/// Accounts of the fixture. The names are those the end-to-end tests use, so that the corpus
/// recorded from them meets accounts and groups that exist.
const ACCOUNTS: &[&str] = &["o", "a", "b", "c", "alice", "bob", "x"];

/// One server in-process and the fixture it holds.
pub struct Harness {
    rt: tokio::runtime::Runtime,
    /// Where the store's SQLite files go (`open_store`); `None`: in memory.
    dir: Option<PathBuf>,
    /// How many stores this harness opened.
    stores: u64,
    /// Whether `dir` is this harness's own, to remove when it is dropped.
    own_dir: bool,
    router: Router,
    store: Arc<dyn Store>,
    sigs: HashMap<String, String>,
    calls: u64,
}

/// What the server answered: the envelope's code and the whole JSON body.
#[derive(Debug)]
pub struct Answer {
    pub code: u64,
    pub json: Value,
    pub text: String,
}

impl Default for Harness {
    fn default() -> Self {
        Harness::new()
    }
}

/// A fuzz run ends without dropping its harness, and leaves the last store's files in the
/// temporary directory (`timber-fuzz-*`); a harness dropped (in a test) removes its own.
impl Drop for Harness {
    fn drop(&mut self) {
        if let (true, Some(dir)) = (self.own_dir, &self.dir) {
            self.rt.block_on(self.store.close());
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

impl Harness {
    /// A server over a fresh store (`open_store` says which), with the fixture.
    pub fn new() -> Harness {
        Harness::with_store(std::env::var_os("TIMBER_FUZZ_STORE").is_some_and(|v| v == "memory"))
    }

    /// Like [`Harness::new`], the store in memory whatever the environment says.
    pub fn in_memory() -> Harness {
        Harness::with_store(true)
    }

    fn with_store(memory: bool) -> Harness {
        static HARNESSES: AtomicU64 = AtomicU64::new(0);
        let (dir, own_dir) = match std::env::var_os("TIMBER_FUZZ_STORE") {
            _ if memory => (None, false),
            Some(dir) => (Some(PathBuf::from(dir)), false),
            None => {
                let n = HARNESSES.fetch_add(1, Ordering::Relaxed);
                let name = format!("timber-fuzz-{}-{n}", std::process::id());
                (Some(std::env::temp_dir().join(name)), true)
            }
        };
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a tokio runtime");
        let (router, store) = rt.block_on(fresh_server(dir.as_deref(), 0));
        let mut h = Harness {
            rt,
            dir,
            stores: 1,
            own_dir,
            router,
            store,
            sigs: HashMap::new(),
            calls: 0,
        };
        h.seed();
        h
    }

    /// Starts over on a fresh store with the fixture.
    pub fn reset(&mut self) {
        let (router, store) = self
            .rt
            .block_on(fresh_server(self.dir.as_deref(), self.stores));
        self.stores += 1;
        let old = std::mem::replace(&mut self.store, store);
        self.rt.block_on(old.close());
        self.router = router;
        self.seed();
    }

    fn tick(&mut self) {
        self.calls += 1;
        if self.calls.is_multiple_of(RESET_EVERY) {
            self.reset();
        }
    }

    /// Target `envelope`: `METHOD URI\nBODY` (no `METHOD ` means POST, no newline an empty
    /// body). `{sdkappid}` and `{usersig}` in the URI become this app and a valid UserSig of
    /// the query's `identifier`, so inputs get past authentication; without them they test it.
    pub fn envelope(&mut self, input: &[u8]) {
        self.tick();
        let (line, body) = match input.iter().position(|&b| b == b'\n') {
            Some(at) => (&input[..at], &input[at + 1..]),
            None => (input, &[][..]),
        };
        let Ok(line) = std::str::from_utf8(line) else {
            return;
        };
        let (method, uri) = match line.split_once(' ') {
            Some((m, u)) => (m, u),
            None => ("POST", line),
        };
        let Ok(method) = Method::from_bytes(method.as_bytes()) else {
            return;
        };
        let uri = self.fill_placeholders(uri);
        // What hyper would refuse before the router sees it is not ours to fuzz.
        let Ok(uri) = uri.parse::<Uri>() else {
            return;
        };
        let is_api = uri.path().starts_with("/v4/");
        let answer = self.send(method, uri, body.to_vec());
        if is_api {
            check_answer(&answer);
        }
    }

    /// Target `requests`: the first byte picks the command (its index in [`COMMANDS`], modulo
    /// their number), the rest is the body, sent by the app admin with a valid UserSig.
    pub fn command(&mut self, input: &[u8]) {
        self.tick();
        let Some((&pick, body)) = input.split_first() else {
            return;
        };
        let (service, command) = COMMANDS[usize::from(pick) % COMMANDS.len()];
        let answer = self.call(&format!("{service}/{command}"), body.to_vec());
        check_answer(&answer);
    }

    /// Target `msg_body`: the rest of the input is the `MsgBody` of, by the first byte: a
    /// modify of group `pub`'s first message (a multiple of 3), else a message sent (even) or
    /// imported (odd) into `pub`. Whenever the server accepts it, the history must give the
    /// body back byte for byte, as the README promises.
    pub fn msg_body(&mut self, input: &[u8]) {
        self.tick();
        let Some((&pick, body)) = input.split_first() else {
            return;
        };
        let random = self.calls as u32;
        let now = timber_core::now_secs();
        let text = String::from_utf8_lossy(body);
        let (path, request) = if pick % 3 == 0 {
            (
                "openim/modify_group_msg",
                format!(r#"{{"GroupId":"pub","MsgSeq":1,"MsgBody":{text}}}"#),
            )
        } else if pick % 2 == 0 {
            (
                "group_open_http_svc/send_group_msg",
                format!(r#"{{"GroupId":"pub","Random":{random},"MsgBody":{text}}}"#),
            )
        } else {
            (
                "group_open_http_svc/import_group_msg",
                format!(
                    r#"{{"GroupId":"pub","MsgList":[{{"From_Account":"a","SendTime":{now},"Random":{random},"MsgBody":{text}}}]}}"#
                ),
            )
        };
        let answer = self.call(path, request.into_bytes());
        check_answer(&answer);
        if answer.code != 0 {
            return;
        }
        let seq = match path {
            "openim/modify_group_msg" => Some(1),
            "group_open_http_svc/send_group_msg" => answer.json["MsgSeq"].as_u64(),
            _ => {
                let result = &answer.json["ImportMsgResult"][0];
                (result["Result"] == 0)
                    .then(|| result["MsgSeq"].as_u64())
                    .flatten()
            }
        };
        let Some(seq) = seq else {
            return;
        };
        // The input was one JSON value (else the request would not have parsed as one with
        // a MsgBody in it, unless the input ended the object early: then compare nothing).
        let Ok(sent) = serde_json::from_slice::<&RawValue>(body) else {
            return;
        };
        let stored = self.history_body(seq);
        assert_eq!(
            stored.as_deref(),
            Some(sent.get()),
            "the history does not give back the MsgBody that was accepted ({path})"
        );
    }

    /// The `MsgBody` text history returns for `seq` of group `pub`.
    fn history_body(&mut self, seq: u64) -> Option<String> {
        #[derive(Deserialize)]
        struct Page<'a> {
            #[serde(rename = "RspMsgList", borrow)]
            list: Vec<Entry<'a>>,
        }
        #[derive(Deserialize)]
        struct Entry<'a> {
            #[serde(rename = "MsgSeq")]
            seq: u64,
            #[serde(rename = "MsgBody", borrow)]
            body: &'a RawValue,
        }
        let answer = self.call(
            "group_open_http_svc/group_msg_get_simple",
            format!(r#"{{"GroupId":"pub","ReqMsgSeq":{seq},"ReqMsgNumber":1}}"#).into_bytes(),
        );
        assert_eq!(answer.code, 0, "reading history failed: {}", answer.text);
        let page: Page = serde_json::from_str(&answer.text).expect("a history page");
        page.list
            .iter()
            .find(|e| e.seq == seq)
            .map(|e| e.body.get().to_owned())
    }

    /// POSTs `body` to `/v4/{path}` as the app admin with a valid UserSig.
    pub fn call(&mut self, path: &str, body: Vec<u8>) -> Answer {
        let sig = self.sig("administrator");
        let uri = format!(
            "/v4/{path}?sdkappid={SDKAPPID}&identifier=administrator&usersig={sig}&random=1&contenttype=json"
        );
        let uri = uri.parse().expect("a valid URI");
        self.send(Method::POST, uri, body)
    }

    fn send(&mut self, method: Method, uri: Uri, body: Vec<u8>) -> Answer {
        let request = Request::builder()
            .method(method)
            .uri(uri)
            .body(Body::from(body))
            .expect("a request");
        let router = self.router.clone();
        self.rt.block_on(async move {
            let response = router.oneshot(request).await.expect("the router answers");
            let status = response.status();
            let content_type = response
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            let bytes = response
                .into_body()
                .collect()
                .await
                .expect("the answer's body")
                .to_bytes();
            let text = String::from_utf8(bytes.to_vec()).expect("the answer is UTF-8");
            assert_eq!(status, 200, "HTTP status {status}: {text}");
            assert_eq!(content_type, "application/json", "{text}");
            let json: Value = serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("the answer is not JSON ({e}): {text}"));
            let code = json["ErrorCode"].as_u64().unwrap_or(u64::MAX);
            Answer { code, json, text }
        })
    }

    /// Replaces the placeholders of an `envelope` input's URI.
    fn fill_placeholders(&mut self, uri: &str) -> String {
        if !uri.contains(USERSIG_PLACEHOLDER) {
            return uri.replace(SDKAPPID_PLACEHOLDER, &SDKAPPID.to_string());
        }
        // The identifier as the server reads it, so the UserSig is for that one.
        let query = uri.split_once('?').map(|(_, q)| q);
        let identifier = crate::auth::Query::parse(query)
            .identifier
            .unwrap_or_default();
        let sig = self.sig(&identifier);
        uri.replace(SDKAPPID_PLACEHOLDER, &SDKAPPID.to_string())
            .replace(USERSIG_PLACEHOLDER, &sig)
    }

    /// A UserSig of `identifier`, valid for a day; made once per identifier.
    fn sig(&mut self, identifier: &str) -> String {
        if self.sigs.len() > 1_000 {
            self.sigs.clear();
        }
        self.sigs
            .entry(identifier.to_owned())
            .or_insert_with(|| {
                timber_usersig::generate(SDKAPPID, KEY, identifier, 86_400, timber_core::now_secs())
            })
            .clone()
    }

    /// The fixture, made through the API: accounts; groups `pub` (Public: o owns, a and b
    /// members, three messages, the second recalled), `quiet` (Public, all muted), `g`
    /// (Private), `room` (ChatRoom), `live` (AVChatRoom) and `@TGS#_com` (Community).
    fn seed(&mut self) {
        let ok = |h: &mut Harness, path: &str, body: Value| {
            let answer = h.call(path, body.to_string().into_bytes());
            assert_eq!(answer.code, 0, "seeding {path}: {}", answer.text);
        };
        let list: Vec<Value> = ACCOUNTS
            .iter()
            .map(|u| serde_json::json!({"UserID": u}))
            .collect();
        ok(
            self,
            "im_open_login_svc/multiaccount_import",
            serde_json::json!({"AccountList": list}),
        );
        let members = serde_json::json!([{"Member_Account": "a"}, {"Member_Account": "b"}]);
        for (ty, id, mute_all) in [
            ("Public", "pub", "Off"),
            ("Public", "quiet", "On"),
            ("Private", "g", "Off"),
            ("ChatRoom", "room", "Off"),
            ("AVChatRoom", "live", "Off"),
            ("Community", "@TGS#_com", "Off"),
        ] {
            let mut body = serde_json::json!({
                "Type": ty, "GroupId": id, "Name": id, "Owner_Account": "o",
                "MuteAllMember": mute_all,
            });
            if ty != "AVChatRoom" {
                body["MemberList"] = members.clone();
            }
            ok(self, "group_open_http_svc/create_group", body);
        }
        for i in 1..=3 {
            ok(
                self,
                "group_open_http_svc/send_group_msg",
                serde_json::json!({
                    "GroupId": "pub", "From_Account": "a", "Random": i,
                    "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": format!("m{i}")}}],
                }),
            );
        }
        ok(
            self,
            "group_open_http_svc/group_msg_recall",
            serde_json::json!({"GroupId": "pub", "MsgSeqList": [{"MsgSeq": 2}]}),
        );
    }
}

/// The store: SQLite in a file, as `timber serve` keeps it (WAL, timber's WAL VFS and page
/// cache, an fsync before every accepted write is answered), in `$TIMBER_FUZZ_STORE` or else
/// a directory of the harness's own under the temporary directory; each fresh store is a new
/// file and the one before is removed. `TIMBER_FUZZ_STORE=memory` runs the same code without
/// the file, 1.3 to 2.5 times as fast (README, Fuzzing).
fn open_store(dir: Option<&Path>, n: u64) -> Arc<dyn Store> {
    let Some(dir) = dir else {
        return Arc::new(SqliteStore::open_memory().expect("a memory store"));
    };
    std::fs::create_dir_all(dir).expect("the fuzz store's directory");
    let name = |n: u64| format!("fuzz-{}-{n}.db", std::process::id());
    if n > 0 {
        for suffix in ["", "-wal", "-shm", ".lock"] {
            let _ = std::fs::remove_file(dir.join(format!("{}{suffix}", name(n - 1))));
        }
    }
    Arc::new(SqliteStore::open(&dir.join(name(n))).expect("a SQLite store"))
}

async fn fresh_server(dir: Option<&Path>, n: u64) -> (Router, Arc<dyn Store>) {
    let store = open_store(dir, n);
    let app = App::new(SDKAPPID, KEY);
    let admins = app.all_admins().into_iter().map(NewAccount::bare).collect();
    store
        .import_accounts(SDKAPPID, admins, timber_core::now_secs())
        .await
        .expect("the admin account");
    let state = State::new(store.clone(), Apps::new([app]), Settings::default());
    (router(state), store)
}

/// What every answer of the REST API must be (README, Error codes; rest-protocol.md §5): a
/// JSON object with `ActionStatus` `OK` and `ErrorCode` 0 and an empty `ErrorInfo`, or
/// `FAIL` with a code of the table and at most 1,024 bytes of `ErrorInfo`, and nothing else.
/// An internal-error code is a finding too: the store cannot fail here, so one
/// means a request reached something the checks before it should have refused.
pub fn check_answer(answer: &Answer) {
    let v = &answer.json;
    let text = &answer.text;
    let status = v["ActionStatus"].as_str();
    let info = v["ErrorInfo"]
        .as_str()
        .unwrap_or_else(|| panic!("no ErrorInfo string: {text}"));
    match status {
        Some("OK") => {
            assert_eq!(answer.code, 0, "OK with a non-zero ErrorCode: {text}");
            assert_eq!(info, "", "OK with an ErrorInfo: {text}");
        }
        Some("FAIL") => {
            let known = ErrorCode::ALL
                .iter()
                .find(|c| u64::from(c.code()) == answer.code)
                .unwrap_or_else(|| panic!("FAIL with a code not in the table: {text}"));
            let internal = [
                ErrorCode::GroupInternal,
                ErrorCode::AccountInternal,
                ErrorCode::OpenimInternal,
                ErrorCode::ContactInternal,
                ErrorCode::ProfileInternal,
                ErrorCode::SnsInternal,
                ErrorCode::ConfigInternal,
                ErrorCode::AppInfoQuery,
            ];
            assert!(!internal.contains(known), "an internal error: {text}");
            assert!(
                info.len() <= MAX_ERROR_INFO_BYTES,
                "ErrorInfo too long: {text}"
            );
            // `ErrorDisplay` is part of the envelope of the services that show it
            // (`Service::shows_error_display`; tests/envelope.rs checks which).
            let display = usize::from(v.get("ErrorDisplay").is_some_and(|d| d == ""));
            let fields = v.as_object().map_or(0, |o| o.len()) - display;
            assert_eq!(fields, 3, "a failure carries the envelope only: {text}");
        }
        _ => panic!("no ActionStatus OK or FAIL: {text}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fixture_is_there_and_each_target_runs() {
        let mut h = Harness::new();
        let a = h.call(
            "group_open_http_svc/get_group_info",
            br#"{"GroupIdList":["pub","quiet","g","room","live","@TGS#_com"]}"#.to_vec(),
        );
        check_answer(&a);
        for entry in a.json["GroupInfo"].as_array().unwrap() {
            assert_eq!(entry["ErrorCode"], 0, "{entry}");
        }
        h.envelope(
            b"POST /v4/im_open_login_svc/account_check?sdkappid={sdkappid}&identifier=administrator&usersig={usersig}\n{\"CheckItem\":[{\"UserID\":\"a\"}]}",
        );
        h.envelope(b"GET /v4/nope/nothing?x\n");
        h.command(b"\x00{\"UserID\":\"new\"}");
        let body = br#"[{"MsgType":"TIMTextElem","MsgContent":{"Text":"round trip"}}]"#;
        for pick in 0..3u8 {
            let mut input = vec![pick];
            input.extend_from_slice(body);
            h.msg_body(&input);
        }
        h.reset();
        let a = h.call(
            "im_open_login_svc/account_check",
            br#"{"CheckItem":[{"UserID":"new"}]}"#.to_vec(),
        );
        assert_eq!(a.json["ResultItem"][0]["AccountStatus"], "NotImported");
    }
}
