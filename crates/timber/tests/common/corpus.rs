//! `TIMBER_TEST_RECORD_CORPUS=DIR cargo test -p timber` writes every REST request the
//! end-to-end tests send as inputs of the fuzz targets in `fuzz/` (README, Fuzzing):
//! `DIR/envelope/` (method, URI and body), `DIR/requests/` (command and body) and
//! `DIR/msg_body/` (each `MsgBody` the body carries). Files are named by a hash of their
//! content, so repeated requests are written once. Without the variable nothing is written.
//!
//! The fuzz harness hosts one app of its own, so the query is rewritten: the SDKAppID of
//! an app this server hosts becomes `{sdkappid}`, and a UserSig valid for the request's
//! identifier becomes `{usersig}` (the harness signs one for it). Anything else stays as
//! the test sent it, so the inputs that test a wrong app or a bad UserSig still do.

use super::{Request, TestApp};
use serde_json::Value;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::Path;
use timber_server::fuzzing::{SDKAPPID_PLACEHOLDER, USERSIG_PLACEHOLDER};
use timber_server::COMMANDS;

pub(super) fn record(req: &Request) {
    let Some(dir) = std::env::var_os("TIMBER_TEST_RECORD_CORPUS") else {
        return;
    };
    let dir = Path::new(&dir);
    // `http://host:port/v4/…`: the path from the third slash on.
    let path = req
        .url_path
        .splitn(4, '/')
        .nth(3)
        .map(|p| format!("/{p}"))
        .unwrap_or_default();
    let Some(command) = path.strip_prefix("/v4/") else {
        return;
    };
    let query = normalized_query(&req.params, &req.apps);
    let body = req.body.as_deref().unwrap_or_default();
    let mut envelope = format!("{} {path}?{query}\n", req.method).into_bytes();
    envelope.extend_from_slice(body);
    save(&dir.join("envelope"), &envelope);

    let Some(index) = COMMANDS
        .iter()
        .position(|(s, c)| format!("{s}/{c}") == command)
    else {
        return;
    };
    let mut input = vec![index as u8];
    input.extend_from_slice(body);
    save(&dir.join("requests"), &input);

    let Ok(json) = serde_json::from_slice::<Value>(body) else {
        return;
    };
    // The `msg_body` target's first byte: 0 modify, 2 send, 1 import.
    let (pick, bodies): (u8, Vec<&Value>) = match command {
        "openim/modify_group_msg" => (0, vec![&json["MsgBody"]]),
        "group_open_http_svc/send_group_msg" => (2, vec![&json["MsgBody"]]),
        "group_open_http_svc/import_group_msg" => (
            1,
            json["MsgList"]
                .as_array()
                .map(|list| list.iter().map(|m| &m["MsgBody"]).collect())
                .unwrap_or_default(),
        ),
        _ => return,
    };
    for b in bodies.into_iter().filter(|b| !b.is_null()) {
        let mut input = vec![pick];
        input.extend_from_slice(b.to_string().as_bytes());
        save(&dir.join("msg_body"), &input);
    }
}

/// The query as sent, with the hosted app's SDKAppID and a valid UserSig replaced by the
/// placeholders the fuzz harness fills in.
fn normalized_query(params: &[(String, String)], apps: &[TestApp]) -> String {
    let raw: Vec<String> = params.iter().map(|(n, v)| format!("{n}={v}")).collect();
    let parsed = timber_server::auth::Query::parse(Some(&raw.join("&")));
    let app = apps
        .iter()
        .find(|a| parsed.sdkappid.as_deref() == Some(&a.sdkappid.to_string()));
    let sig_valid = app.is_some_and(|a| {
        let (Some(id), Some(sig)) = (&parsed.identifier, &parsed.usersig) else {
            return false;
        };
        timber_usersig::verify(sig, a.sdkappid, id, &a.key, super::now()).is_ok()
    });
    params
        .iter()
        .map(|(name, value)| match name.as_str() {
            "sdkappid" if app.is_some() => format!("{name}={SDKAPPID_PLACEHOLDER}"),
            "usersig" if sig_valid => format!("{name}={USERSIG_PLACEHOLDER}"),
            _ => format!("{name}={value}"),
        })
        .collect::<Vec<_>>()
        .join("&")
}

fn save(dir: &Path, input: &[u8]) {
    let mut h = DefaultHasher::new();
    input.hash(&mut h);
    let file = dir.join(format!("{:016x}", h.finish()));
    if file.exists() {
        return;
    }
    std::fs::create_dir_all(dir).expect("create the corpus directory");
    std::fs::write(&file, input).expect("write a corpus input");
}
