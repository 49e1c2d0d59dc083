//! Third-party callbacks end to end (callbacks.md): a real HTTP receiver in the test checks
//! each callback's query, Sign and body; before-callbacks decide (each ErrorCode, a rewrite, a
//! timeout, a refused connection, both failure policies); after-callbacks come from the
//! durable outbox, across a kill -9, and once each from two nodes on PostgreSQL.

mod common;

use axum::extract::{RawQuery, State};
use axum::routing::post;
use axum::Router;
use common::{PgSchema, ServerOptions, TestServer};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const SEND: &str = "group_open_http_svc/send_group_msg";
const SENDMSG: &str = "openim/sendmsg";
const TOKEN: &str = "xxxxyyyy";

/// One callback the receiver got.
#[derive(Debug, Clone)]
struct Hit {
    query: HashMap<String, String>,
    body: Value,
}

impl Hit {
    fn command(&self) -> &str {
        self.body["CallbackCommand"].as_str().unwrap_or_default()
    }
}

/// What the receiver answers a command with, and after how long.
#[derive(Default)]
struct Receiver {
    hits: Mutex<Vec<Hit>>,
    answers: Mutex<HashMap<String, (Value, Duration)>>,
}

impl Receiver {
    fn answer(&self, command: &str, answer: Value, delay: Duration) {
        self.answers
            .lock()
            .unwrap()
            .insert(command.to_owned(), (answer, delay));
    }

    fn hits_of(&self, command: &str) -> Vec<Hit> {
        self.hits
            .lock()
            .unwrap()
            .iter()
            .filter(|h| h.command() == command)
            .cloned()
            .collect()
    }

    /// Waits up to 10 s for `n` hits of `command`.
    async fn wait_for(&self, command: &str, n: usize) -> Vec<Hit> {
        for _ in 0..200 {
            let hits = self.hits_of(command);
            if hits.len() >= n {
                return hits;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "waited for {n} {command}; got {:?}",
            self.hits.lock().unwrap()
        );
    }
}

async fn receive(State(r): State<Arc<Receiver>>, RawQuery(q): RawQuery, body: String) -> String {
    let body: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    let query = q
        .unwrap_or_default()
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    let command = body["CallbackCommand"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    r.hits.lock().unwrap().push(Hit { query, body });
    let (answer, delay) = r.answers.lock().unwrap().get(&command).cloned().unwrap_or((
        json!({"ActionStatus": "OK", "ErrorCode": 0, "ErrorInfo": ""}),
        Duration::ZERO,
    ));
    tokio::time::sleep(delay).await;
    answer.to_string()
}

/// A receiver on a free port; its URL.
async fn receiver() -> (String, Arc<Receiver>) {
    let r = Arc::new(Receiver::default());
    let app = Router::new()
        .route("/im", post(receive))
        .with_state(r.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/im", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, r)
}

/// An https receiver on a free port of localhost: a CA made for this test signs its
/// certificate. Returns the URL, the receiver, and the directory holding `ca.pem`.
async fn tls_receiver() -> (String, Arc<Receiver>, tempfile::TempDir) {
    let mut ca = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca = rcgen::CertifiedIssuer::self_signed(ca, rcgen::KeyPair::generate().unwrap()).unwrap();
    let key = rcgen::KeyPair::generate().unwrap();
    let leaf = rcgen::CertificateParams::new(vec!["localhost".to_owned()])
        .unwrap()
        .signed_by(&key, &ca)
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ca.pem"), ca.pem()).unwrap();
    #[allow(deprecated)] // ring, as the server (callbacks/mod.rs)
    let provider = rustls::crypto::ring::default_provider();
    let _ = provider.install_default();
    let config = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(
            vec![leaf.der().clone()],
            rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
        )
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let r = Arc::new(Receiver::default());
    let app = Router::new()
        .route("/im", post(receive))
        .with_state(r.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "https://localhost:{}/im",
        listener.local_addr().unwrap().port()
    );
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let (acceptor, app) = (acceptor.clone(), app.clone());
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let service = hyper_util::service::TowerToHyperService::new(app);
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(tls), service)
                    .await;
            });
        }
    });
    (url, r, dir)
}

/// A server whose one app calls back `url` with `extra` TOML keys (e.g. a failure policy).
fn options(url: &str, extra: &str) -> ServerOptions {
    ServerOptions::calling_back(url, &format!(", callback_token = {TOKEN:?}{extra}"))
}

async fn setup(server: &TestServer) -> String {
    let admin = server.client();
    admin
        .call_ok(
            "im_open_login_svc/multiaccount_import",
            json!({"Accounts": ["alice", "bob"]}),
        )
        .await;
    let r = admin
        .call_ok(
            "group_open_http_svc/create_group",
            json!({"Type": "Public", "Name": "g", "Owner_Account": "alice",
                   "MemberList": [{"Member_Account": "bob"}]}),
        )
        .await;
    r["GroupId"].as_str().unwrap().to_owned()
}

fn text(t: &str) -> Value {
    json!([{"MsgType": "TIMTextElem", "MsgContent": {"Text": t}}])
}

fn check_transport(hit: &Hit, sdkappid: u64) {
    let q = &hit.query;
    assert_eq!(q["SdkAppid"], sdkappid.to_string());
    assert_eq!(q["CallbackCommand"], hit.command());
    assert_eq!(q["contenttype"], "json");
    assert_eq!(q["OptPlatform"], "RESTAPI");
    assert_eq!(q["ClientIP"], "127.0.0.1", "the REST caller's address");
    let time: i64 = q["RequestTime"].parse().unwrap();
    assert!((time - timber_core::now_secs()).abs() < 60);
    let sign: String = Sha256::digest(format!("{TOKEN}{time}").as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(q["Sign"], sign);
    assert!(hit.body["EventTime"].as_i64().unwrap() > 1_600_000_000_000);
}

#[tokio::test]
async fn group_send_asks_before_and_reports_after() {
    let (url, rx) = receiver().await;
    let server = TestServer::start_with(options(&url, "")).await;
    let sdkappid = server.apps[0].sdkappid;
    let gid = setup(&server).await;
    let created = rx.wait_for("Group.CallbackAfterCreateGroup", 1).await;
    check_transport(&created[0], sdkappid);
    assert_eq!(created[0].body["GroupId"], gid.as_str());
    assert_eq!(created[0].body["Owner_Account"], "alice");
    assert_eq!(
        created[0].body["MemberList"],
        json!([{"Member_Account": "bob"}])
    );

    let admin = server.client();
    let sent = admin
        .call_ok(
            SEND,
            json!({"GroupId": gid, "From_Account": "alice", "Random": 7, "MsgBody": text("hi"),
                   "CloudCustomData": "cd"}),
        )
        .await;
    let before = &rx.hits_of("Group.CallbackBeforeSendMsg")[0];
    check_transport(before, sdkappid);
    let b = &before.body;
    assert_eq!(b["GroupId"], gid.as_str());
    assert_eq!(b["Type"], "Public");
    assert_eq!(b["From_Account"], "alice");
    assert_eq!(b["Operator_Account"], "administrator");
    assert_eq!(b["Random"], 7);
    assert_eq!(b["OnlineOnlyFlag"], 0);
    assert_eq!(b["MsgBody"], text("hi"));
    assert_eq!(b["CloudCustomData"], "cd");

    let after = rx.wait_for("Group.CallbackAfterSendMsg", 1).await;
    check_transport(&after[0], sdkappid);
    let a = &after[0].body;
    assert_eq!(a["MsgSeq"], sent["MsgSeq"]);
    assert_eq!(a["MsgTime"], sent["MsgTime"]);
    assert_eq!(a["MsgBody"], text("hi"));
    assert_eq!(a["From_Account"], "alice");

    // The log endpoint shows the same attempts, for an app admin only.
    // (The receiver has its answer a moment before the server logs the attempt.)
    let sig = server.apps[0].sig("administrator");
    let mut log = Value::Null;
    for _ in 0..100 {
        let (status, body) = server
            .get(&format!(
                "/_timber/callbacks?sdkappid={sdkappid}&identifier=administrator&usersig={sig}&contenttype=json"
            ))
            .await;
        assert_eq!(status, 200);
        log = serde_json::from_str(&body).unwrap();
        if log["Attempts"].as_array().unwrap().len() >= 4 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let commands: Vec<&str> = log["Attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["Command"].as_str().unwrap())
        .collect();
    assert!(commands.contains(&"Group.CallbackBeforeSendMsg"), "{log}");
    assert!(commands.contains(&"Group.CallbackAfterSendMsg"), "{log}");
    assert_eq!(log["Attempts"][0]["Outcome"], "ok");
    let sig = server.apps[0].sig("alice");
    let (_, denied) = server
        .get(&format!(
            "/_timber/callbacks?sdkappid={sdkappid}&identifier=alice&usersig={sig}&contenttype=json"
        ))
        .await;
    assert!(denied.contains("\"ErrorCode\":60010"), "{denied}");
    let (_, metrics) = server.get("/metrics").await;
    assert!(
        metrics.contains(
            "timber_callbacks_total{command=\"Group.CallbackAfterSendMsg\",outcome=\"ok\"} 1"
        ),
        "{metrics}"
    );
}

#[tokio::test]
async fn before_send_answers_decide() {
    let (url, rx) = receiver().await;
    let server = TestServer::start_with(options(&url, "")).await;
    let gid = setup(&server).await;
    let admin = server.client();
    let send = |random: u32| json!({"GroupId": gid, "Random": random, "MsgBody": text("x")});
    let cmd = "Group.CallbackBeforeSendMsg";
    let dur = Duration::ZERO;

    rx.answer(cmd, json!({"ErrorCode": 1}), dur);
    assert_eq!(admin.call_err(SEND, send(1)).await.0, 10016);
    rx.answer(
        cmd,
        json!({"ErrorCode": 10150, "ErrorInfo": "not today"}),
        dur,
    );
    assert_eq!(
        admin.call_err(SEND, send(2)).await,
        (10150, "not today".into())
    );
    rx.answer(cmd, json!({"ErrorCode": 2}), dur);
    admin.call_ok(SEND, send(3)).await;
    // Refused and dropped messages were never stored.
    rx.answer(
        cmd,
        json!({"ErrorCode": 0, "MsgBody": text("rewritten"), "CloudCustomData": "new"}),
        dur,
    );
    let sent = admin.call_ok(SEND, send(4)).await;
    let after = rx.wait_for("Group.CallbackAfterSendMsg", 1).await;
    assert_eq!(after.len(), 1, "only the allowed message is reported");
    assert_eq!(after[0].body["MsgBody"], text("rewritten"));
    assert_eq!(after[0].body["CloudCustomData"], "new");
    let history = admin
        .call_ok(
            "group_open_http_svc/group_msg_get_simple",
            json!({"GroupId": gid, "ReqMsgNumber": 20}),
        )
        .await;
    let msgs = history["RspMsgList"].as_array().unwrap();
    let texts: Vec<&Value> = msgs.iter().map(|m| &m["MsgBody"]).collect();
    assert_eq!(texts, vec![&text("rewritten")], "{history}");
    assert_eq!(msgs[0]["MsgSeq"], sent["MsgSeq"]);

    // ForbidCallbackControl skips each callback.
    rx.answer(cmd, json!({"ErrorCode": 1}), dur);
    let mut body = send(5);
    body["ForbidCallbackControl"] =
        json!(["ForbidBeforeSendMsgCallback", "ForbidAfterSendMsgCallback"]);
    let before_count = rx.hits_of(cmd).len();
    admin.call_ok(SEND, body).await;
    assert_eq!(rx.hits_of(cmd).len(), before_count);
    let mut bad = send(6);
    bad["ForbidCallbackControl"] = json!(["Nope"]);
    assert_eq!(admin.call_err(SEND, bad).await.0, 10004);

    // C2C: refusal 20006, custom codes, drop.
    let c2c = "C2C.CallbackBeforeSendMsg";
    let msg = |r: u32| json!({"From_Account": "alice", "To_Account": "bob", "MsgRandom": r, "MsgBody": text("c")});
    rx.answer(c2c, json!({"ErrorCode": 1}), dur);
    assert_eq!(admin.call_err(SENDMSG, msg(1)).await.0, 20006);
    rx.answer(
        c2c,
        json!({"ErrorCode": 120005, "ErrorInfo": "custom"}),
        dur,
    );
    assert_eq!(
        admin.call_err(SENDMSG, msg(2)).await,
        (120005, "custom".into())
    );
    rx.answer(c2c, json!({"ErrorCode": 2}), dur);
    admin.call_ok(SENDMSG, msg(3)).await;
    rx.answer(c2c, json!({"ErrorCode": 0, "MsgBody": text("clean")}), dur);
    let sent = admin.call_ok(SENDMSG, msg(4)).await;
    let before = &rx.hits_of(c2c)[0].body;
    assert_eq!(before["From_Account"], "alice");
    assert_eq!(before["To_Account"], "bob");
    assert_eq!(before["MsgRandom"], 1);
    let after = rx.wait_for("C2C.CallbackAfterSendMsg", 1).await;
    assert_eq!(after.len(), 1);
    let a = &after[0].body;
    assert_eq!(a["MsgKey"], sent["MsgKey"]);
    assert_eq!(a["MsgBody"], text("clean"));
    assert_eq!(a["SendMsgResult"], 0);
    assert_eq!(a["UnreadMsgNum"], 1);
    let roam = admin
        .call_ok(
            "openim/admin_getroammsg",
            json!({"Operator_Account": "bob", "Peer_Account": "alice", "MaxCnt": 10,
                   "MinTime": 0, "MaxTime": 4_000_000_000u64}),
        )
        .await;
    assert_eq!(roam["MsgList"].as_array().unwrap().len(), 1, "{roam}");
    assert_eq!(roam["MsgList"][0]["MsgBody"], text("clean"));
}

#[tokio::test]
async fn a_failed_before_callback_follows_the_policy() {
    let (url, rx) = receiver().await;
    rx.answer(
        "Group.CallbackBeforeSendMsg",
        json!({"ErrorCode": 0}),
        Duration::from_secs(3),
    );
    // Timeout, allow (the default): the message goes through after 2 s.
    let server = TestServer::start_with(options(&url, "")).await;
    let gid = setup(&server).await;
    let admin = server.client();
    let started = std::time::Instant::now();
    admin
        .call_ok(
            SEND,
            json!({"GroupId": gid, "Random": 1, "MsgBody": text("x")}),
        )
        .await;
    let took = started.elapsed();
    assert!(
        took >= Duration::from_secs(2) && took < Duration::from_secs(3),
        "{took:?}"
    );
    drop(server);

    // Timeout, deny.
    let server =
        TestServer::start_with(options(&url, ", callback_before_failure = \"deny\"")).await;
    let gid = setup(&server).await;
    let admin = server.client();
    assert_eq!(
        admin
            .call_err(
                SEND,
                json!({"GroupId": gid, "Random": 1, "MsgBody": text("x")})
            )
            .await
            .0,
        10016
    );
    drop(server);

    // A refused connection: nothing listens on the port.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}/im", l.local_addr().unwrap())
    };
    let msg =
        json!({"From_Account": "alice", "To_Account": "bob", "MsgRandom": 1, "MsgBody": text("c")});
    let server = TestServer::start_with(options(&closed, "")).await;
    setup(&server).await;
    server.client().call_ok(SENDMSG, msg.clone()).await;
    drop(server);
    let server = TestServer::start_with(options(
        &closed,
        ", callback_before_failure = \"deny\", callbacks = [\"C2C.CallbackBeforeSendMsg\"]",
    ))
    .await;
    setup(&server).await;
    assert_eq!(server.client().call_err(SENDMSG, msg).await.0, 20006);
}

/// An https URL works like an http one when its certificate is trusted (here through
/// SSL_CERT_FILE); an untrusted certificate is a failed callback.
#[tokio::test]
async fn https_callback_urls_are_verified_and_called() {
    let (url, rx, ca) = tls_receiver().await;
    let mut opts = options(&url, "");
    let ca_file = ca.path().join("ca.pem").display().to_string();
    opts.env.push(("SSL_CERT_FILE".into(), ca_file));
    let server = TestServer::start_with(opts).await;
    let gid = setup(&server).await;
    server
        .client()
        .call_ok(
            SEND,
            json!({"GroupId": gid, "Random": 7, "MsgBody": text("tls")}),
        )
        .await;
    let before = rx.wait_for("Group.CallbackBeforeSendMsg", 1).await;
    check_transport(&before[0], server.apps[0].sdkappid);
    let after = rx.wait_for("Group.CallbackAfterSendMsg", 1).await;
    assert_eq!(after[0].body["Random"], 7);
    drop(server);

    // Not trusting the receiver's CA: the before-callback fails, and "deny" refuses.
    let deny =
        ", callback_before_failure = \"deny\", callbacks = [\"Group.CallbackBeforeSendMsg\"]";
    let server = TestServer::start_with(options(&url, deny)).await;
    let gid = setup(&server).await;
    let hits = rx.hits_of("Group.CallbackBeforeSendMsg").len();
    let (code, _) = server
        .client()
        .call_err(
            SEND,
            json!({"GroupId": gid, "Random": 8, "MsgBody": text("x")}),
        )
        .await;
    assert_eq!(code, 10016);
    assert_eq!(
        rx.hits_of("Group.CallbackBeforeSendMsg").len(),
        hits,
        "no TLS session was made"
    );
}

#[tokio::test]
async fn concurrent_sends_do_not_wait_for_each_other() {
    let (url, rx) = receiver().await;
    rx.answer(
        "Group.CallbackBeforeSendMsg",
        json!({"ErrorCode": 0}),
        Duration::from_millis(500),
    );
    let server = TestServer::start_with(options(&url, "")).await;
    let gid = setup(&server).await;
    let admin = server.client();
    let started = std::time::Instant::now();
    let mut sends = tokio::task::JoinSet::new();
    for i in 0..8 {
        let admin = admin.clone();
        let gid = gid.clone();
        sends.spawn(async move {
            admin
                .call_ok(
                    SEND,
                    json!({"GroupId": gid, "Random": i, "MsgBody": text("x")}),
                )
                .await
        });
    }
    while let Some(r) = sends.join_next().await {
        r.unwrap();
    }
    assert!(
        started.elapsed() < Duration::from_millis(1500),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn group_events_are_reported_in_order() {
    let (url, rx) = receiver().await;
    let admins = r#", admins = ["administrator", "ops"]"#;
    let server = TestServer::start_with(options(&url, admins)).await;
    let gid = setup(&server).await;
    let admin = server.client();
    admin
        .call_ok(
            "im_open_login_svc/multiaccount_import",
            json!({"Accounts": ["carol"]}),
        )
        .await;
    rx.answer(
        "Group.CallbackBeforeInviteJoinGroup",
        json!({"ErrorCode": 0}),
        Duration::ZERO,
    );
    admin
        .call_ok(
            "group_open_http_svc/add_group_member",
            json!({"GroupId": gid, "MemberList": [{"Member_Account": "carol"}]}),
        )
        .await;
    admin
        .call_ok(
            "group_open_http_svc/modify_group_base_info",
            json!({"GroupId": gid, "Name": "renamed"}),
        )
        .await;
    admin
        .call_ok(
            "group_open_http_svc/modify_group_member_info",
            json!({"GroupId": gid, "Member_Account": "bob", "Role": "Admin"}),
        )
        .await;
    admin
        .call_ok(
            "group_open_http_svc/change_group_owner",
            json!({"GroupId": gid, "NewOwner_Account": "bob"}),
        )
        .await;
    let sent = admin
        .call_ok(
            SEND,
            json!({"GroupId": gid, "Random": 1, "MsgBody": text("x")}),
        )
        .await;
    // Recalled by a second admin: the callback names that one, not `administrator`.
    server
        .client_for(0, "ops")
        .call_ok(
            "group_open_http_svc/group_msg_recall",
            json!({"GroupId": gid, "MsgSeqList": [{"MsgSeq": sent["MsgSeq"]}]}),
        )
        .await;
    admin
        .call_ok(
            "group_open_http_svc/delete_group_member",
            json!({"GroupId": gid, "MemberToDel_Account": ["carol"]}),
        )
        .await;
    admin
        .call_ok("group_open_http_svc/destroy_group", json!({"GroupId": gid}))
        .await;
    admin
        .call_ok("im_open_login_svc/kick", json!({"UserID": "carol"}))
        .await;
    let state = rx.wait_for("State.StateChange", 1).await;
    assert_eq!(
        state[0].body["Info"],
        json!({"Action": "Logout", "To_Account": "carol", "Reason": "Unregister"})
    );
    let last = rx.wait_for("Group.CallbackAfterGroupDestroyed", 1).await;
    assert_eq!(last[0].body["Owner_Account"], "bob");
    assert_eq!(last[0].body["Name"], "renamed");
    let after: Vec<String> = rx
        .hits
        .lock()
        .unwrap()
        .iter()
        .filter(|h| h.command().contains("After"))
        .map(|h| h.command().to_owned())
        .collect();
    assert_eq!(
        after,
        [
            "Group.CallbackAfterCreateGroup",
            "Group.CallbackAfterNewMemberJoin",
            "Group.CallbackAfterGroupInfoChanged",
            "Group.CallbackAfterMemberFieldChanged",
            "Group.CallbackAfterChangeGroupOwner",
            "Group.CallbackAfterSendMsg",
            "Group.CallbackAfterRecallMsg",
            "Group.CallbackAfterMemberExit",
            "Group.CallbackAfterGroupDestroyed",
        ]
    );
    // C2C: read report and recall.
    let c2c = admin
        .call_ok(
            SENDMSG,
            json!({"From_Account": "alice", "To_Account": "bob", "MsgRandom": 5, "MsgBody": text("c")}),
        )
        .await;
    admin
        .call_ok(
            "openim/admin_set_msg_read",
            json!({"Report_Account": "bob", "Peer_Account": "alice"}),
        )
        .await;
    admin
        .call_ok(
            "openim/admin_msgwithdraw",
            json!({"From_Account": "alice", "To_Account": "bob", "MsgKey": c2c["MsgKey"]}),
        )
        .await;
    let report = rx.wait_for("C2C.CallbackAfterMsgReport", 1).await;
    assert_eq!(report[0].body["Report_Account"], "bob");
    assert_eq!(report[0].body["Peer_Account"], "alice");
    assert_eq!(report[0].body["UnreadMsgNum"], 0);
    let withdraw = rx.wait_for("C2C.CallbackAfterMsgWithDraw", 1).await;
    assert_eq!(withdraw[0].body["MsgKey"], c2c["MsgKey"]);
    assert_eq!(withdraw[0].body["From_Account"], "alice");
    assert_eq!(withdraw[0].body["UnreadMsgNum"], 0);
    let body = |c: &str| rx.hits_of(c)[0].body.clone();
    assert_eq!(
        body("Group.CallbackAfterNewMemberJoin")["NewMemberList"],
        json!([{"Member_Account": "carol"}])
    );
    assert_eq!(
        body("Group.CallbackAfterNewMemberJoin")["JoinType"],
        "Invited"
    );
    assert_eq!(
        body("Group.CallbackAfterGroupInfoChanged")["Name"],
        "renamed"
    );
    assert!(body("Group.CallbackAfterGroupInfoChanged")
        .get("Introduction")
        .is_none());
    assert_eq!(
        body("Group.CallbackAfterMemberFieldChanged")["Role"],
        "Admin"
    );
    assert_eq!(
        body("Group.CallbackAfterChangeGroupOwner")["OldOwner_Account"],
        "alice"
    );
    assert_eq!(
        body("Group.CallbackAfterRecallMsg")["MsgSeqList"],
        json!([{"MsgSeq": sent["MsgSeq"]}])
    );
    assert_eq!(
        body("Group.CallbackAfterRecallMsg")["Operator_Account"],
        "ops"
    );
    assert_eq!(body("Group.CallbackAfterMemberExit")["ExitType"], "Kicked");
    let invite = body("Group.CallbackBeforeInviteJoinGroup");
    assert_eq!(
        invite["DestinationMembers"],
        json!([{"Member_Account": "carol"}])
    );
}

#[tokio::test]
async fn an_invite_refusal_leaves_members_out() {
    let (url, rx) = receiver().await;
    let server = TestServer::start_with(options(&url, "")).await;
    let gid = setup(&server).await;
    let admin = server.client();
    admin
        .call_ok(
            "im_open_login_svc/multiaccount_import",
            json!({"Accounts": ["carol", "dave"]}),
        )
        .await;
    let cmd = "Group.CallbackBeforeInviteJoinGroup";
    rx.answer(
        cmd,
        json!({"ErrorCode": 0, "RefusedMembers_Account": ["dave"]}),
        Duration::ZERO,
    );
    let add = json!({"GroupId": gid, "MemberList": [{"Member_Account": "carol"}, {"Member_Account": "dave"}]});
    let r = admin
        .call_ok("group_open_http_svc/add_group_member", add.clone())
        .await;
    assert_eq!(
        r["MemberList"],
        json!([{"Member_Account": "carol", "Result": 1}, {"Member_Account": "dave", "Result": 0}])
    );
    rx.answer(cmd, json!({"ErrorCode": 1}), Duration::ZERO);
    assert_eq!(
        admin
            .call_err("group_open_http_svc/add_group_member", add)
            .await
            .0,
        10016
    );
    rx.answer(
        "Group.CallbackBeforeCreateGroup",
        json!({"ErrorCode": 1}),
        Duration::ZERO,
    );
    assert_eq!(
        admin
            .call_err(
                "group_open_http_svc/create_group",
                json!({"Type": "Public", "Name": "no", "Owner_Account": "alice"})
            )
            .await
            .0,
        10016
    );
    let before = &rx.hits_of("Group.CallbackBeforeCreateGroup")[0].body;
    assert_eq!(before["Owner_Account"], "alice");
    assert_eq!(before["Type"], "Public");
}

#[tokio::test]
async fn a_committed_event_survives_kill_9() {
    let (url, rx) = receiver().await;
    let cmd = "Group.CallbackAfterSendMsg";
    // The first delivery hangs: the server is killed while it waits.
    rx.answer(cmd, json!({"ErrorCode": 0}), Duration::from_secs(30));
    let mut opts = options(&url, "");
    opts.env[0].1 = opts.env[0].1.replace(
        "callback_token",
        "callbacks = [\"Group.CallbackAfterSendMsg\"], callback_token",
    );
    let server = TestServer::start_with(opts).await;
    let gid = setup(&server).await;
    let sent = server
        .client()
        .call_ok(
            SEND,
            json!({"GroupId": gid, "Random": 9, "MsgBody": text("x")}),
        )
        .await;
    rx.wait_for(cmd, 1).await;
    let again = server.same_data();
    let again = ServerOptions {
        env: opts_env(&server, &url),
        ..again
    };
    drop(server); // SIGKILL
    rx.answer(cmd, json!({"ErrorCode": 0}), Duration::ZERO);
    let server = TestServer::start_with(again).await;
    let hits = rx.wait_for(cmd, 2).await;
    assert_eq!(hits[1].body["MsgSeq"], sent["MsgSeq"]);
    assert_eq!(hits[1].body["Random"], 9);
    drop(server);
}

/// A change that rolls back sends no after-callback: a trigger of the test's own makes the
/// outbox insert of one send fail, after the message row was written in the same
/// transaction. That send fails with the group service's internal code and leaves nothing;
/// the next send takes its MsgSeq and is the only one reported.
fn a_rolled_back_change_sends_nothing() {
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let (url, rx) = receiver().await;
        let cmd = "Group.CallbackAfterSendMsg";
        let server = TestServer::start_with(options(&url, "")).await;
        let gid = setup(&server).await;
        server
            .execute_sql(
                "CREATE TRIGGER refuse_outbox BEFORE INSERT ON callback_outbox
                 WHEN NEW.body LIKE '%roll-me-back%'
                 BEGIN SELECT RAISE(ABORT, 'refused by the test'); END;",
                "CREATE FUNCTION refuse_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
                 BEGIN
                     IF NEW.body LIKE '%roll-me-back%' THEN RAISE EXCEPTION 'refused by the test'; END IF;
                     RETURN NEW;
                 END $$;
                 CREATE TRIGGER refuse_outbox BEFORE INSERT ON callback_outbox
                 FOR EACH ROW EXECUTE FUNCTION refuse_outbox();",
            )
            .await;
        let admin = server.client();
        let body = |t: &str, r: u32| json!({"GroupId": gid, "Random": r, "MsgBody": text(t)});
        let (code, _) = admin.call_err(SEND, body("roll-me-back", 1)).await;
        assert_eq!(code, 10002, "the group service's internal error");
        let sent = admin.call_ok(SEND, body("kept", 2)).await;
        let hits = rx.wait_for(cmd, 1).await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        let hits_after = rx.hits_of(cmd);
        assert_eq!(hits_after.len(), 1, "only the committed send is reported: {hits:?}");
        assert_eq!(hits_after[0].body["MsgSeq"], sent["MsgSeq"]);
        assert_eq!(hits_after[0].body["Random"], 2);
        let history = admin
            .call_ok(
                "group_open_http_svc/group_msg_get_simple",
                json!({"GroupId": gid, "ReqMsgNumber": 20}),
            )
            .await;
        let texts: Vec<&Value> = history["RspMsgList"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| &m["MsgBody"][0]["MsgContent"]["Text"])
            .collect();
        assert_eq!(texts, [&json!("kept")], "the rolled-back message left nothing");
    });
}

#[test]
fn a_rolled_back_change_sends_nothing_on_sqlite() {
    a_rolled_back_change_sends_nothing();
}
common::also_on_postgres!(a_rolled_back_change_sends_nothing);

fn opts_env(server: &TestServer, url: &str) -> Vec<(String, String)> {
    let app = &server.apps[0];
    vec![(
        "TIMBER_APPS".into(),
        format!(
            "[{{sdkappid = {}, key = {:?}, callback_url = {url:?}, callbacks = [\"Group.CallbackAfterSendMsg\"]}}]",
            app.sdkappid, app.key
        ),
    )]
}

#[tokio::test]
async fn two_nodes_deliver_each_event_once() {
    if std::env::var("TIMBER_TEST_POSTGRES_URL").is_err() {
        eprintln!("NOTE: TIMBER_TEST_POSTGRES_URL is not set: two-node callback test SKIPPED");
        return;
    }
    let (url, rx) = receiver().await;
    let pg = PgSchema::create().await;
    let mut opts = options(&url, "");
    opts.storage = Some(pg.url.clone());
    opts.pg = Some(pg);
    let a = TestServer::start_with(opts.clone()).await;
    let b = TestServer::start_with(opts).await;
    let gid = setup(&a).await;
    let n = 40;
    for i in 0..n {
        let node = if i % 2 == 0 { &a } else { &b };
        node.client()
            .call_ok(
                SEND,
                json!({"GroupId": gid, "Random": i, "MsgBody": text("x")}),
            )
            .await;
    }
    let hits = rx.wait_for("Group.CallbackAfterSendMsg", n as usize).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let hits_after = rx.hits_of("Group.CallbackAfterSendMsg");
    assert_eq!(hits_after.len(), hits.len(), "no event was sent twice");
    let seqs: Vec<u64> = hits_after
        .iter()
        .map(|h| h.body["MsgSeq"].as_u64().unwrap())
        .collect();
    let mut sorted = seqs.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), n as usize);
    assert_eq!(seqs, sorted, "one group's events arrive in order");
}

#[tokio::test]
async fn portrait_set_reports_the_items_it_wrote() {
    let (url, rx) = receiver().await;
    let server = TestServer::start_with(options(&url, "")).await;
    let sdkappid = server.apps[0].sdkappid;
    setup(&server).await;
    let admin = server.client();
    admin
        .call_ok(
            "profile/portrait_set",
            json!({"From_Account": "alice", "ProfileItem": [
                {"Tag": "Tag_Profile_IM_Nick", "Value": "Al"},
                {"Tag": "Tag_Profile_IM_Gender", "Value": "Gender_Type_Female"},
                {"Tag": "Tag_Profile_IM_Level", "Value": 3}]}),
        )
        .await;
    // A refused portrait_set (unknown account) changes nothing and reports nothing.
    admin
        .call(
            "profile/portrait_set",
            json!({"From_Account": "nobody", "ProfileItem": [{"Tag": "Tag_Profile_IM_Nick", "Value": "x"}]}),
        )
        .await;
    let hits = rx.wait_for("Profile.CallbackPortraitSet", 1).await;
    check_transport(&hits[0], sdkappid);
    let b = &hits[0].body;
    assert_eq!(b["Operator_Account"], "administrator");
    assert_eq!(b["From_Account"], "alice");
    assert_eq!(
        b["ProfileItem"],
        json!([{"Tag": "Tag_Profile_IM_Nick", "Value": "Al"},
               {"Tag": "Tag_Profile_IM_Gender", "Value": "Gender_Type_Female"},
               {"Tag": "Tag_Profile_IM_Level", "Value": 3}])
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(rx.hits_of("Profile.CallbackPortraitSet").len(), 1);
}

/// The relationship after-callbacks (relationships.md §24): one per request with a pair per
/// directed entry that changed; friend_import and a request where nothing changed send none.
#[tokio::test]
async fn relationship_changes_are_reported() {
    let (url, rx) = receiver().await;
    let server = TestServer::start_with(options(&url, "")).await;
    let sdkappid = server.apps[0].sdkappid;
    setup(&server).await;
    let admin = server.client();
    admin
        .call_ok(
            "im_open_login_svc/account_import",
            json!({"UserID": "carol"}),
        )
        .await;
    let pair = |f: &str, t: &str| json!({"From_Account": f, "To_Account": t});
    let item = |t: &str| json!({"To_Account": t, "AddSource": "AddSource_Type_Web"});

    admin
        .call_ok(
            "sns/friend_add",
            json!({"From_Account": "alice", "AddFriendItem": [item("bob"), item("nobody")],
                   "AddType": "Add_Type_Both", "ForceAddFlags": 1}),
        )
        .await;
    admin
        .call_ok(
            "sns/friend_import",
            json!({"From_Account": "alice", "AddFriendItem": [item("carol")]}),
        )
        .await;
    let add = rx.wait_for("Sns.CallbackFriendAdd", 1).await;
    check_transport(&add[0], sdkappid);
    let b = &add[0].body;
    assert_eq!(
        b["PairList"],
        json!([{"From_Account": "alice", "To_Account": "bob", "Initiator_Account": "alice"},
               {"From_Account": "bob", "To_Account": "alice", "Initiator_Account": "alice"}])
    );
    assert_eq!(
        (&b["ClientCmd"], &b["Admin_Account"], &b["ForceFlag"]),
        (&json!("friend_add"), &json!("administrator"), &json!(1))
    );

    admin
        .call_ok(
            "sns/friend_delete",
            json!({"From_Account": "alice", "To_Account": ["bob"], "DeleteType": "Delete_Type_Both"}),
        )
        .await;
    let del = rx.wait_for("Sns.CallbackFriendDelete", 1).await;
    assert_eq!(
        del[0].body["PairList"],
        json!([pair("alice", "bob"), pair("bob", "alice")])
    );

    let block = json!({"From_Account": "alice", "To_Account": ["carol"]});
    admin.call_ok("sns/black_list_add", block.clone()).await;
    admin.call_ok("sns/black_list_delete", block).await;
    let b = rx.wait_for("Sns.CallbackBlackListAdd", 1).await;
    assert_eq!(b[0].body["PairList"], json!([pair("alice", "carol")]));
    let b = rx.wait_for("Sns.CallbackBlackListDelete", 1).await;
    assert_eq!(b[0].body["PairList"], json!([pair("alice", "carol")]));

    admin
        .call_ok(
            "follow/follow_add",
            json!({"From_Account": "bob", "FollowItem": [{"To_Account": "carol"}]}),
        )
        .await;
    admin
        .call_ok(
            "follow/follow_delete",
            json!({"From_Account": "bob", "To_Account": ["carol"]}),
        )
        .await;
    for command in [
        "Follow.CallbackAfterFollowAdd",
        "Follow.CallbackAfterFollowDelete",
    ] {
        let f = rx.wait_for(command, 1).await;
        check_transport(&f[0], sdkappid);
        assert_eq!(f[0].body["From_Account"], "bob");
        assert_eq!(f[0].body["FollowList"], json!([{"To_Account": "carol"}]));
    }

    // Deleting a friendship that no longer exists changes nothing and reports nothing.
    admin
        .call_ok(
            "sns/friend_delete",
            json!({"From_Account": "alice", "To_Account": ["bob"]}),
        )
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(rx.hits_of("Sns.CallbackFriendDelete").len(), 1);
    assert_eq!(rx.hits_of("Sns.CallbackFriendAdd").len(), 1);
}

const OA: &str = "official_account_open_http_svc";

/// The `OfficialAccount.*` callbacks (push-and-operations.md §5): before create and before
/// send decide (refuse with 10016 or the app's code, drop, rewrite), and the after-events of
/// create, info change, full, delete subscriber, send and destroy reach a real receiver with
/// their fields; nothing refused is stored and a forbidden callback is not sent.
#[tokio::test]
async fn official_account_callbacks() {
    let (url, rx) = receiver().await;
    let server = TestServer::start_with(options(&url, "")).await;
    setup(&server).await;
    let admin = server.client();
    let sdkappid = server.apps[0].sdkappid;
    let dur = Duration::ZERO;
    let create = |id: &str| {
        json!({"Owner_Account": "alice", "OfficialAccountUserID": id, "Name": "News",
               "MaxSubscriberNum": 2})
    };

    // Before create: a refusal stores nothing; an app code passes through.
    let before_create = "OfficialAccount.CallbackBeforeCreateOfficialAccount";
    rx.answer(before_create, json!({"ErrorCode": 1}), dur);
    let (code, _) = admin
        .call_err(&format!("{OA}/create_official_account"), create("@TOA#_no"))
        .await;
    assert_eq!(code, 10016);
    rx.answer(
        before_create,
        json!({"ErrorCode": 10110, "ErrorInfo": "not that one"}),
        dur,
    );
    assert_eq!(
        admin
            .call_err(&format!("{OA}/create_official_account"), create("@TOA#_no"))
            .await,
        (10110, "not that one".into())
    );
    let info = admin
        .call_ok(
            &format!("{OA}/get_official_account_info"),
            json!({"OfficialAccountIdList": [{"Official_Account": "@TOA#_no"}]}),
        )
        .await;
    assert_eq!(info["OfficialAccountInfoList"][0]["ErrorCode"], 10010);
    let asked = rx.wait_for(before_create, 2).await;
    assert_eq!(asked[0].body["Official_Account"], "@TOA#_no");
    assert_eq!(asked[0].body["Owner_Account"], "alice");
    assert_eq!(asked[0].body["Name"], "News");
    check_transport(&asked[0], sdkappid);

    rx.answer(before_create, json!({"ErrorCode": 0}), dur);
    let id = "@TOA#_news";
    admin
        .call_ok(&format!("{OA}/create_official_account"), create(id))
        .await;
    let after = rx
        .wait_for("OfficialAccount.CallbackAfterCreateOfficialAccount", 1)
        .await;
    assert_eq!(after.len(), 1, "refused creations are not reported");
    let b = &after[0].body;
    assert_eq!(
        (
            &b["Official_Account"],
            &b["Owner_Account"],
            &b["Name"],
            &b["MaxSubscriberNum"]
        ),
        (&json!(id), &json!("alice"), &json!("News"), &json!(2))
    );
    assert_eq!(b["Operator_Account"], "administrator");
    check_transport(&after[0], sdkappid);

    admin
        .call_ok(
            &format!("{OA}/modify_official_account_base_info"),
            json!({"Official_Account": id, "Introduction": "daily"}),
        )
        .await;
    let changed = rx
        .wait_for("OfficialAccount.CallbackAfterOfficialAccountInfoChanged", 1)
        .await;
    assert_eq!(changed[0].body["Introduction"], "daily");
    assert_eq!(changed[0].body["Name"], "News");

    // Two of three fit: the account is full, reported once with its counts.
    admin
        .call_ok(
            &format!("{OA}/add_subscriber"),
            json!({"Official_Account": id, "SubscriberList": [
                {"Subscriber_Account": "alice"}, {"Subscriber_Account": "bob"}]}),
        )
        .await;
    let full = rx
        .wait_for("OfficialAccount.CallbackAfterOfficialAccountFull", 1)
        .await;
    assert_eq!(full[0].body["SubscriberNum"], 2);
    assert_eq!(full[0].body["MaxSubscriberNum"], 2);

    // Before send: refused, app code, dropped (nothing stored), rewritten.
    let send = |random: u32, forbid: Value| {
        json!({"Official_Account": id, "Random": random, "MsgBody": text("hello"),
               "ForbidCallbackControl": forbid})
    };
    let path = format!("{OA}/send_official_account_msg");
    let before_send = "OfficialAccount.CallbackBeforeSendMsg";
    rx.answer(before_send, json!({"ErrorCode": 1}), dur);
    assert_eq!(admin.call_err(&path, send(1, json!([]))).await.0, 10016);
    rx.answer(before_send, json!({"ErrorCode": 10150}), dur);
    assert_eq!(admin.call_err(&path, send(2, json!([]))).await.0, 10150);
    rx.answer(before_send, json!({"ErrorCode": 2}), dur);
    let dropped = admin.call_ok(&path, send(3, json!([]))).await;
    assert_eq!(dropped["MsgKey"], "", "{dropped}");
    // An unknown account is refused without asking.
    let asked_before = rx.hits_of(before_send).len();
    let (code, _) = admin
        .call_err(
            &path,
            json!({"Official_Account": "@TOA#_none", "Random": 1, "MsgBody": text("x")}),
        )
        .await;
    assert_eq!(code, 10010);
    assert_eq!(rx.hits_of(before_send).len(), asked_before);
    rx.answer(
        before_send,
        json!({"ErrorCode": 0, "MsgBody": text("rewritten"), "CloudCustomData": "cc"}),
        dur,
    );
    let sent = admin.call_ok(&path, send(4, json!([]))).await;
    let asked = rx.wait_for(before_send, 4).await;
    assert_eq!(asked[3].body["Official_Account"], id);
    assert_eq!(asked[3].body["MsgBody"], text("hello"));
    assert_eq!(asked[3].body["Random"], 4);
    let after_send = rx.wait_for("OfficialAccount.CallbackAfterSendMsg", 1).await;
    assert_eq!(after_send.len(), 1, "only the allowed message is reported");
    let b = &after_send[0].body;
    assert_eq!(b["MsgBody"], text("rewritten"));
    assert_eq!(b["CloudCustomData"], "cc");
    assert_eq!(b["MsgKey"], sent["MsgKey"]);
    assert_eq!(b["MsgSeq"], 1);
    let history = admin
        .call_ok(
            &format!("{OA}/official_account_msg_get_simple"),
            json!({"Official_Account": id}),
        )
        .await;
    let list = history["RspMsgList"].as_array().unwrap();
    assert_eq!(list.len(), 1, "{history}");
    assert_eq!(list[0]["MsgBody"], text("rewritten"));
    // Both callbacks forbidden: neither asked nor reported.
    let before_n = rx.hits_of(before_send).len();
    admin
        .call_ok(
            &path,
            send(
                5,
                json!(["ForbidBeforeSendMsgCallback", "ForbidAfterSendMsgCallback"]),
            ),
        )
        .await;

    admin
        .call_ok(
            &format!("{OA}/delete_subscriber"),
            json!({"Official_Account": id, "SubscriberToDel_Account": ["bob", "nobody"]}),
        )
        .await;
    let deleted = rx
        .wait_for("OfficialAccount.CallbackAfterDeleteSubscriber", 1)
        .await;
    let b = &deleted[0].body;
    assert_eq!(b["Official_Account"], id);
    assert_eq!(b["Operator_Account"], "administrator");
    assert_eq!(
        b["SubscribeAccountList"],
        json!([{"Subscriber_Account": "bob"}])
    );
    admin
        .call_ok(
            &format!("{OA}/destroy_official_account"),
            json!({"Official_Account": id}),
        )
        .await;
    let destroyed = rx
        .wait_for("OfficialAccount.CallbackAfterOfficialAccountDestroyed", 1)
        .await;
    assert_eq!(destroyed[0].body["Owner_Account"], "alice");
    // The events of one account arrive in order, and the forbidden send sent nothing.
    assert_eq!(rx.hits_of(before_send).len(), before_n);
    assert_eq!(rx.hits_of("OfficialAccount.CallbackAfterSendMsg").len(), 1);
    let order: Vec<String> = rx
        .hits
        .lock()
        .unwrap()
        .iter()
        .map(|h| h.command().to_owned())
        .filter(|c| c.starts_with("OfficialAccount.CallbackAfter"))
        .collect();
    assert_eq!(
        order,
        [
            "OfficialAccount.CallbackAfterCreateOfficialAccount",
            "OfficialAccount.CallbackAfterOfficialAccountInfoChanged",
            "OfficialAccount.CallbackAfterAddSubscriber",
            "OfficialAccount.CallbackAfterOfficialAccountFull",
            "OfficialAccount.CallbackAfterSendMsg",
            "OfficialAccount.CallbackAfterDeleteSubscriber",
            "OfficialAccount.CallbackAfterOfficialAccountDestroyed",
        ]
    );
}
common::also_on_postgres!(official_account_callbacks);

/// The inferred subscriber and recall callbacks of official accounts (push-and-operations.md
/// §5.7, §5.8, §5.12): BeforeAddSubscriber refuses the whole add (10016, the app's code;
/// nothing stored, an unknown account refused without asking), AfterAddSubscriber names those
/// added, AfterOfficialAccountFull comes when an add reaches MaxSubscriberNum,
/// AfterDeleteSubscriber carries the documented fields, AfterMsgWithDraw the keys recalled;
/// an add or a recall that changed nothing reports nothing.
#[tokio::test]
async fn official_account_subscriber_and_recall_callbacks() {
    let (url, rx) = receiver().await;
    let server = TestServer::start_with(options(&url, "")).await;
    setup(&server).await;
    let admin = server.client();
    admin
        .call_ok(
            "im_open_login_svc/multiaccount_import",
            json!({"Accounts": ["carol"]}),
        )
        .await;
    let sdkappid = server.apps[0].sdkappid;
    let dur = Duration::ZERO;
    let id = "@TOA#_subs";
    admin
        .call_ok(
            &format!("{OA}/create_official_account"),
            json!({"Owner_Account": "alice", "OfficialAccountUserID": id, "Name": "Subs",
                   "MaxSubscriberNum": 2}),
        )
        .await;
    let add = format!("{OA}/add_subscriber");
    let subs = |users: &[&str]| {
        let list: Vec<Value> = users
            .iter()
            .map(|u| json!({"Subscriber_Account": u}))
            .collect();
        json!({"Official_Account": id, "SubscriberList": list})
    };
    let count = |admin: common::Client| async move {
        admin
            .call_ok(
                &format!("{OA}/get_subscriber_info"),
                json!({"Official_Account": id, "Next": ""}),
            )
            .await["SubscriberNum"]
            .as_u64()
            .unwrap()
    };

    let before = "OfficialAccount.CallbackBeforeAddSubscriber";
    rx.answer(before, json!({"ErrorCode": 1}), dur);
    assert_eq!(admin.call_err(&add, subs(&["bob"])).await.0, 10016);
    rx.answer(
        before,
        json!({"ErrorCode": 10120, "ErrorInfo": "members only"}),
        dur,
    );
    assert_eq!(
        admin.call_err(&add, subs(&["bob"])).await,
        (10120, "members only".into())
    );
    assert_eq!(
        count(admin.clone()).await,
        0,
        "a refused add stores nothing"
    );
    let asked = rx.wait_for(before, 2).await;
    assert_eq!(asked[0].body["Official_Account"], id);
    assert_eq!(asked[0].body["Operator_Account"], "administrator");
    assert_eq!(
        asked[0].body["SubscriberList"],
        json!([{"Subscriber_Account": "bob"}])
    );
    check_transport(&asked[0], sdkappid);
    let (code, _) = admin
        .call_err(
            &add,
            json!({"Official_Account": "@TOA#_none", "SubscriberList": [{"Subscriber_Account": "bob"}]}),
        )
        .await;
    assert_eq!(code, 10010);
    assert_eq!(
        rx.hits_of(before).len(),
        2,
        "an unknown account is not asked about"
    );

    rx.answer(before, json!({"ErrorCode": 0}), dur);
    let after_add = "OfficialAccount.CallbackAfterAddSubscriber";
    let full = "OfficialAccount.CallbackAfterOfficialAccountFull";
    admin.call_ok(&add, subs(&["bob", "nobody"])).await;
    let added = rx.wait_for(after_add, 1).await;
    let b = &added[0].body;
    assert_eq!(b["Official_Account"], id);
    assert_eq!(b["Operator_Account"], "administrator");
    assert_eq!(
        b["SubscribeAccountList"],
        json!([{"Subscriber_Account": "bob"}]),
        "only those added"
    );
    check_transport(&added[0], sdkappid);
    // bob again (already) and alice: the second of two fills the account.
    admin.call_ok(&add, subs(&["bob", "alice"])).await;
    let added = rx.wait_for(after_add, 2).await;
    assert_eq!(
        added[1].body["SubscribeAccountList"],
        json!([{"Subscriber_Account": "alice"}])
    );
    let f = rx.wait_for(full, 1).await;
    assert_eq!(
        (&f[0].body["SubscriberNum"], &f[0].body["MaxSubscriberNum"]),
        (&json!(2), &json!(2))
    );

    // Recall: the keys recalled, the operator and the reason; a key not found reports
    // nothing (seen by the next event arriving alone).
    let sent = admin
        .call_ok(
            &format!("{OA}/send_official_account_msg"),
            json!({"Official_Account": id, "Random": 7, "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "x"}}]}),
        )
        .await;
    let key = sent["MsgKey"].as_str().unwrap().to_owned();
    let recall = format!("{OA}/official_account_msg_recall");
    let r = admin
        .call_ok(
            &recall,
            json!({"Official_Account": id, "MsgKeyList": ["9_1_1"]}),
        )
        .await;
    assert_eq!(r["RecallRetList"][0]["RetCode"], 10030);
    admin
        .call_ok(
            &recall,
            json!({"Official_Account": id, "MsgKeyList": [key, key], "Reason": "typo"}),
        )
        .await;
    let withdraw = "OfficialAccount.CallbackAfterMsgWithDraw";
    let w = rx.wait_for(withdraw, 1).await;
    let b = &w[0].body;
    assert_eq!(b["Official_Account"], id);
    assert_eq!(b["Operator_Account"], "administrator");
    assert_eq!(b["MsgKeyList"], json!([key]), "each key once");
    assert_eq!(b["Reason"], "typo");
    check_transport(&w[0], sdkappid);

    // Delete: the documented fields, EventTime among them.
    admin
        .call_ok(
            &format!("{OA}/delete_subscriber"),
            json!({"Official_Account": id, "SubscriberToDel_Account": ["alice"]}),
        )
        .await;
    let d = rx
        .wait_for("OfficialAccount.CallbackAfterDeleteSubscriber", 1)
        .await;
    assert_eq!(
        d[0].body["SubscribeAccountList"],
        json!([{"Subscriber_Account": "alice"}])
    );
    check_transport(&d[0], sdkappid);
    // Adding someone already subscribed reports nothing: the carol add after it is the only
    // new AfterAddSubscriber.
    admin.call_ok(&add, subs(&["bob"])).await;
    admin.call_ok(&add, subs(&["carol"])).await;
    let added = rx.wait_for(after_add, 3).await;
    assert_eq!(
        added[2].body["SubscribeAccountList"],
        json!([{"Subscriber_Account": "carol"}])
    );
    assert_eq!(rx.hits_of(withdraw).len(), 1);
    assert_eq!(rx.wait_for(full, 2).await.len(), 2, "carol filled it again");
}
common::also_on_postgres!(official_account_subscriber_and_recall_callbacks);
