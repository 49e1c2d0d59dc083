//! End-to-end: members (members.md) — real WebSocket clients (tokio-tungstenite) against the
//! real binary: connecting and its refusals, several devices, kick, UserSig expiry, every
//! method of §3, the events of §4 caused by members and by REST calls (§5), the member's view
//! of history (clear, clear for me on two devices, recall, join time, targeted messages),
//! conversations and unread counts, online status, slow consumers.

mod common;

use common::{import_accounts, now, text, Client, ServerOptions, TestServer};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::collections::VecDeque;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

const WAIT: Duration = Duration::from_secs(10);

/// A connected member: answers by id, notifications kept in arrival order.
struct Member {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    next_id: u64,
    events: VecDeque<Value>,
    closed: Option<u16>,
}

fn member_url(server: &TestServer, user: &str, sig: &str, extra: &str) -> String {
    let app = &server.apps[0];
    format!(
        "{}/v1/member?sdkappid={}&identifier={}&usersig={}{extra}",
        server.base.replacen("http://", "ws://", 1),
        app.sdkappid,
        user,
        sig
    )
}

impl Member {
    async fn connect(server: &TestServer, user: &str) -> Member {
        let sig = server.apps[0].sig(user);
        Member::connect_url(&member_url(server, user, &sig, "")).await
    }

    async fn connect_url(url: &str) -> Member {
        let (ws, _) = tokio_tungstenite::connect_async(url)
            .await
            .unwrap_or_else(|e| panic!("connecting {url}: {e}"));
        Member {
            ws,
            next_id: 1,
            events: VecDeque::new(),
            closed: None,
        }
    }

    /// The next frame, or `None` once the connection closed (its code kept).
    async fn frame(&mut self, within: Duration) -> Option<Value> {
        loop {
            let msg = tokio::time::timeout(within, self.ws.next()).await.ok()??;
            match msg {
                Ok(Message::Text(t)) => return Some(serde_json::from_str(&t).unwrap()),
                Ok(Message::Close(frame)) => {
                    self.closed = Some(frame.map(|f| u16::from(f.code)).unwrap_or(1005));
                    return None;
                }
                Ok(_) => continue,
                Err(e) => {
                    eprintln!("read error: {e}");
                    self.closed.get_or_insert(1006);
                    return None;
                }
            }
        }
    }

    async fn send_raw(&mut self, text: &str) {
        self.ws.send(Message::Text(text.into())).await.unwrap();
    }

    /// The answer to a request with this id, keeping the notifications that came first.
    async fn answer(&mut self, id: &Value) -> Value {
        loop {
            let f = self.frame(WAIT).await.expect("an answer before the close");
            if f.get("method").is_some() {
                self.events.push_back(f);
            } else if &f["id"] == id {
                return f;
            } else {
                panic!("unexpected frame {f}");
            }
        }
    }

    async fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        let frame = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
        self.send_raw(&frame.to_string()).await;
        self.answer(&json!(id)).await
    }

    async fn ok(&mut self, method: &str, params: Value) -> Value {
        let f = self.request(method, params).await;
        assert!(f.get("error").is_none(), "{method}: {f}");
        f["result"].clone()
    }

    async fn err(&mut self, method: &str, params: Value) -> i64 {
        let f = self.request(method, params).await;
        f["error"]["code"]
            .as_i64()
            .unwrap_or_else(|| panic!("{method} should fail: {f}"))
    }

    /// The next notification named `method` (others before it are dropped).
    async fn event(&mut self, method: &str) -> Value {
        while let Some(e) = self.events.pop_front() {
            if e["method"] == method {
                return e["params"].clone();
            }
        }
        loop {
            let f = self
                .frame(WAIT)
                .await
                .unwrap_or_else(|| panic!("closed ({:?}) before {method}", self.closed));
            if f["method"] == method {
                return f["params"].clone();
            }
        }
    }

    /// No notification named `method` arrives within a short wait.
    async fn no_event(&mut self, method: &str) {
        assert!(
            !self.events.iter().any(|e| e["method"] == method),
            "unexpected {method}"
        );
        while let Some(f) = self.frame(Duration::from_millis(300)).await {
            assert_ne!(f["method"], method, "unexpected {f}");
        }
    }

    /// Reads until the server closes; the close code.
    async fn close_code(&mut self) -> u16 {
        while self.closed.is_none() {
            if self.frame(WAIT).await.is_none() && self.closed.is_none() {
                panic!("the connection did not close");
            }
        }
        self.closed.unwrap()
    }
}

async fn start() -> (TestServer, Client) {
    let server = TestServer::start().await;
    let admin = server.client();
    import_accounts(&admin, &["a", "b", "c"]).await;
    (server, admin)
}

/// A group of `ty` owned by a, with b as a member.
async fn group(admin: &Client, ty: &str) -> String {
    let v = admin
        .call_ok(
            "group_open_http_svc/create_group",
            json!({"Type": ty, "Name": "g", "Owner_Account": "a",
                   "MemberList": [{"Member_Account": "b"}]}),
        )
        .await;
    v["GroupId"].as_str().unwrap().to_owned()
}

async fn rest_send(admin: &Client, g: &str, from: &str, t: &str) -> u64 {
    let v = admin
        .call_ok(
            "group_open_http_svc/send_group_msg",
            json!({"GroupId": g, "From_Account": from, "Random": common::random_u32(), "MsgBody": text(t)}),
        )
        .await;
    v["MsgSeq"].as_u64().unwrap()
}

fn texts(history: &Value) -> Vec<String> {
    history["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["IsSystemMsg"] != 1)
        .map(|m| {
            if m["IsPlaceMsg"] == 2 {
                "<recalled>".to_owned()
            } else {
                m["MsgBody"][0]["MsgContent"]["Text"]
                    .as_str()
                    .unwrap_or("")
                    .to_owned()
            }
        })
        .collect()
}

#[tokio::test]
async fn connecting_imports_unknown_accounts_and_answers_basic_methods() {
    let (server, admin) = start().await;
    let mut m = Member::connect(&server, "newcomer").await;
    assert_eq!(
        m.ok("getLoginUser", json!({})).await,
        json!({"userID": "newcomer"})
    );
    let t = m.ok("getServerTime", json!({})).await["serverTime"]
        .as_i64()
        .unwrap();
    assert!((t - now()).abs() <= 2);
    let check = admin
        .call_ok(
            "im_open_login_svc/account_check",
            json!({"CheckItem": [{"UserID": "newcomer"}]}),
        )
        .await;
    assert_eq!(check["ResultItem"][0]["AccountStatus"], "Imported");
    // JSON-RPC's own codes.
    m.send_raw("not json").await;
    assert_eq!(m.answer(&Value::Null).await["error"]["code"], -32700);
    m.send_raw(r#"{"jsonrpc":"2.0","id":5}"#).await;
    assert_eq!(m.answer(&json!(5)).await["error"]["code"], -32600);
    m.send_raw(r#"[1]"#).await;
    assert_eq!(m.answer(&Value::Null).await["error"]["code"], -32600);
    assert_eq!(m.err("noSuchMethod", json!({})).await, -32601);
    assert_eq!(m.err("getGroupHistoryMessageList", json!({})).await, -32602);
    assert_eq!(
        m.err(
            "sendMessage",
            json!({"groupID": "g", "userID": "u", "msgBody": []})
        )
        .await,
        -32602
    );
    // A notification (no id) gets no answer.
    m.send_raw(r#"{"jsonrpc":"2.0","method":"getServerTime"}"#)
        .await;
    m.ok("getLoginUser", json!({})).await;
}

#[tokio::test]
async fn refusals_come_before_the_upgrade_with_http_401_and_the_envelope() {
    let (server, admin) = start().await;
    let app = &server.apps[0];
    let http = reqwest::Client::new();
    let expired = timber_usersig::generate(app.sdkappid, &app.key, "a", 1, now() - 100);
    let other = app.sig("b");
    let wrong_app = timber_usersig::generate(app.sdkappid + 1, &app.key, "a", 86_400, now());
    let wrong_key = timber_usersig::generate(app.sdkappid, "another key", "a", 86_400, now());
    let cases = [
        (
            format!("sdkappid={}&identifier=a&usersig=", app.sdkappid),
            70002,
        ),
        (
            format!("sdkappid={}&identifier=a&usersig=garbage", app.sdkappid),
            70003,
        ),
        (
            format!("sdkappid={}&identifier=a&usersig={expired}", app.sdkappid),
            70001,
        ),
        (
            format!("sdkappid={}&identifier=a&usersig={other}", app.sdkappid),
            70013,
        ),
        (format!("sdkappid=999&identifier=a&usersig={other}"), 70020),
        (
            format!("sdkappid={}&identifier=a&usersig={wrong_app}", app.sdkappid),
            70014,
        ),
        (
            format!("sdkappid={}&identifier=a&usersig={wrong_key}", app.sdkappid),
            70009,
        ),
    ];
    for (query, code) in cases {
        let url = format!("{}/v1/member?{query}", server.base);
        let resp = http.get(&url).send().await.unwrap();
        assert_eq!(resp.status(), 401, "{query}");
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["ActionStatus"], "FAIL", "{query}");
        assert_eq!(body["ErrorCode"], code, "{query}: {body}");
    }
    // A kicked user's old UserSig (70052), through a WebSocket client too.
    let old = app.sig("a");
    tokio::time::sleep(Duration::from_millis(1100)).await;
    admin
        .call_ok("im_open_login_svc/kick", json!({"UserID": "a"}))
        .await;
    let url = member_url(&server, "a", &old, "");
    match tokio_tungstenite::connect_async(&url).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => {
            assert_eq!(resp.status(), 401);
            let body: Value = serde_json::from_slice(resp.body().as_deref().unwrap()).unwrap();
            assert_eq!(body["ErrorCode"], 70052);
        }
        other => panic!("expected HTTP 401, got {other:?}"),
    }
    // A platform that is not one of members.md §1's.
    let resp = http
        .get(format!(
            "{}/v1/member?sdkappid={}&identifier=b&usersig={}&platform=Palm",
            server.base,
            app.sdkappid,
            app.sig("b")
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
}

#[tokio::test]
async fn kick_closes_every_device_with_on_kicked_offline() {
    let (server, admin) = start().await;
    let mut phone = Member::connect(&server, "a").await;
    let sig = server.apps[0].sig("a");
    let mut web = Member::connect_url(&member_url(&server, "a", &sig, "&platform=Android")).await;
    let mut other = Member::connect(&server, "b").await;
    let status = admin
        .call_ok(
            "openim/query_online_status",
            json!({"To_Account": ["a", "b", "c"], "IsNeedDetail": 1}),
        )
        .await;
    let list = status["QueryResult"].as_array().unwrap();
    assert_eq!(list[0]["Status"], "Online");
    assert_eq!(list[0]["Detail"].as_array().unwrap().len(), 2);
    assert_eq!(list[1]["Status"], "Online");
    assert_eq!(list[2]["Status"], "Offline");
    let st = phone
        .ok("getUserStatus", json!({"userIDList": ["a", "c"]}))
        .await;
    assert_eq!(st["statusList"][0]["status"], "Online");
    assert_eq!(st["statusList"][1]["status"], "Offline");
    admin
        .call_ok("im_open_login_svc/kick", json!({"UserID": "a"}))
        .await;
    for m in [&mut phone, &mut web] {
        m.event("onKickedOffline").await;
        assert_eq!(m.close_code().await, 4001);
    }
    other.ok("getLoginUser", json!({})).await;
    // Deleting the account closes its connections with 4003.
    admin
        .call_ok(
            "im_open_login_svc/account_delete",
            json!({"DeleteItem": [{"UserID": "b"}]}),
        )
        .await;
    assert_eq!(other.close_code().await, 4003);
}

#[tokio::test]
async fn an_expiring_user_sig_ends_the_connection() {
    let (server, _admin) = start().await;
    let app = &server.apps[0];
    let sig = timber_usersig::generate(app.sdkappid, &app.key, "a", 2, now());
    let mut m = Member::connect_url(&member_url(&server, "a", &sig, "")).await;
    m.event("onUserSigExpired").await;
    assert_eq!(m.close_code().await, 4002);
}

#[tokio::test]
async fn group_messages_reach_members_from_rest_and_from_members() {
    let (server, admin) = start().await;
    let g = group(&admin, "Public").await;
    let mut a1 = Member::connect(&server, "a").await;
    let mut a2 = Member::connect(&server, "a").await;
    let mut b = Member::connect(&server, "b").await;
    let mut c = Member::connect(&server, "c").await;
    let seq = rest_send(&admin, &g, "a", "from rest").await;
    for m in [&mut a1, &mut a2, &mut b] {
        let e = m.event("onRecvNewMessage").await;
        assert_eq!(e["groupID"], g.as_str());
        assert_eq!(e["message"]["MsgSeq"], seq);
        assert_eq!(e["message"]["From_Account"], "a");
        assert_eq!(e["message"]["MsgBody"], text("from rest"));
    }
    // A member's send: the others and the sender's other device, not the sending one.
    let sent = b
        .ok(
            "sendMessage",
            json!({"groupID": g, "msgBody": text("from b")}),
        )
        .await;
    assert_eq!(sent["msgSeq"], seq + 1);
    assert!(sent["msgTime"].as_i64().unwrap() > 0);
    for m in [&mut a1, &mut a2] {
        let e = m.event("onRecvNewMessage").await;
        assert_eq!(e["message"]["MsgSeq"], seq + 1);
    }
    b.no_event("onRecvNewMessage").await;
    // c is no member: nothing reaches it, and it may not send (10007).
    c.no_event("onRecvNewMessage").await;
    assert_eq!(
        c.err("sendMessage", json!({"groupID": g, "msgBody": text("x")}))
            .await,
        10007
    );
    // The REST rules and codes: a muted sender (10017), a bad body (the REST code).
    admin
        .call_ok(
            "group_open_http_svc/forbid_send_msg",
            json!({"GroupId": g, "Members_Account": ["b"], "MuteTime": 60}),
        )
        .await;
    assert_eq!(
        b.err("sendMessage", json!({"groupID": g, "msgBody": text("x")}))
            .await,
        10017
    );
    assert_eq!(
        a1.err(
            "sendMessage",
            json!({"groupID": "@nope", "msgBody": text("x")})
        )
        .await,
        10010
    );
    // A repeated random answers the original seq.
    let r = a1
        .ok(
            "sendMessage",
            json!({"groupID": g, "msgBody": text("once"), "random": 77}),
        )
        .await;
    let again = a1
        .ok(
            "sendMessage",
            json!({"groupID": g, "msgBody": text("once"), "random": 77}),
        )
        .await;
    assert_eq!(r["msgSeq"], again["msgSeq"]);
}

/// A Community topic's messages reach the community's connected members like group messages,
/// naming the topic; the community's own messages name none.
#[tokio::test]
async fn topic_messages_reach_the_communitys_members() {
    let (server, admin) = start().await;
    let com = "@TGS#_com";
    admin
        .call_ok(
            "group_open_http_svc/create_group",
            json!({"Type": "Community", "GroupId": com, "Name": "c", "Owner_Account": "a",
                   "SupportTopic": 1, "MemberList": [{"Member_Account": "b"}]}),
        )
        .await;
    let topic = admin
        .call_ok(
            "million_group_open_http_svc/create_topic",
            json!({"GroupId": com, "TopicName": "news", "From_Account": "a"}),
        )
        .await["TopicId"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut b = Member::connect(&server, "b").await;
    let mut c = Member::connect(&server, "c").await;
    let sent = admin
        .call_ok(
            "group_open_http_svc/send_group_msg",
            json!({"GroupId": com, "TopicId": topic, "From_Account": "a", "Random": 5,
                   "MsgBody": text("in the topic")}),
        )
        .await;
    let e = b.event("onRecvNewMessage").await;
    assert_eq!(e["groupID"], com);
    assert_eq!(e["topicID"], topic.as_str());
    assert_eq!(e["message"]["MsgSeq"], sent["MsgSeq"]);
    assert_eq!(e["message"]["MsgBody"], text("in the topic"));
    let seq = rest_send(&admin, com, "a", "in the community").await;
    let e = b.event("onRecvNewMessage").await;
    assert_eq!(e["message"]["MsgSeq"], seq);
    assert!(e.get("topicID").is_none(), "{e}");
    // c is no member of the community.
    c.no_event("onRecvNewMessage").await;
}

/// Many concurrent sends to one group: members hear each one once, in commit (MsgSeq) order,
/// whichever request task happens to be scheduled first after its commit (members.md §4).
#[tokio::test]
async fn concurrent_sends_reach_members_in_commit_order() {
    let (server, admin) = start().await;
    let g = group(&admin, "Public").await;
    let mut b = Member::connect(&server, "b").await;
    let mut sends = Vec::new();
    for k in 0..120u32 {
        let (admin, g) = (admin.clone(), g.clone());
        sends.push(tokio::spawn(async move {
            let v = admin
                .call_ok(
                    "group_open_http_svc/send_group_msg",
                    json!({"GroupId": g, "From_Account": "a", "Random": 1000 + k, "MsgBody": text("x")}),
                )
                .await;
            v["MsgSeq"].as_u64().unwrap()
        }));
    }
    let mut seqs = Vec::new();
    for s in sends {
        seqs.push(s.await.unwrap());
    }
    seqs.sort_unstable();
    let mut heard = Vec::new();
    while heard.len() < seqs.len() {
        let e = b.event("onRecvNewMessage").await;
        heard.push(e["message"]["MsgSeq"].as_u64().unwrap());
    }
    assert_eq!(heard, seqs);
}

#[tokio::test]
async fn history_hides_cleared_recalled_pre_join_and_others_targeted_messages() {
    let (server, admin) = start().await;
    let g = group(&admin, "Public").await;
    rest_send(&admin, &g, "a", "one").await;
    rest_send(&admin, &g, "a", "two").await;
    let mut a = Member::connect(&server, "a").await;
    let mut b = Member::connect(&server, "b").await;
    let h = b
        .ok("getGroupHistoryMessageList", json!({"groupID": g}))
        .await;
    assert_eq!(texts(&h), ["two", "one"]);
    assert_eq!(h["isFinished"], true);
    // clear_group_msg: everyone's view, with onGroupHistoryCleared.
    admin
        .call_ok("group_open_http_svc/clear_group_msg", json!({"GroupId": g}))
        .await;
    let e = b.event("onGroupHistoryCleared").await;
    assert_eq!(e, json!({"groupID": g, "msgSeq": 2, "byAdmin": true}));
    a.event("onGroupHistoryCleared").await;
    let h = b
        .ok("getGroupHistoryMessageList", json!({"groupID": g}))
        .await;
    assert!(texts(&h).is_empty());
    // A recall: shown as a placeholder, announced.
    let s3 = rest_send(&admin, &g, "a", "three").await;
    rest_send(&admin, &g, "b", "four").await;
    admin
        .call_ok(
            "group_open_http_svc/group_msg_recall",
            json!({"GroupId": g, "MsgSeqList": [{"MsgSeq": s3}]}),
        )
        .await;
    let e = b.event("onRecvMessageRevoked").await;
    assert_eq!(e["groupID"], g.as_str());
    assert_eq!(e["msgSeq"], s3);
    assert_eq!(e["operator"], "administrator");
    let h = b
        .ok("getGroupHistoryMessageList", json!({"groupID": g}))
        .await;
    assert_eq!(texts(&h), ["four", "<recalled>"]);
    // A targeted message: only its target and sender see it, live and in history.
    admin
        .call_ok(
            "group_open_http_svc/send_group_msg",
            json!({"GroupId": g, "From_Account": "a", "Random": 5, "MsgBody": text("for b"), "To_Account": ["b"]}),
        )
        .await;
    let e = b.event("onRecvNewMessage").await;
    assert_eq!(e["message"]["MsgBody"], text("for b"));
    // c joins late: a Public group shows nothing from before its join.
    admin
        .call_ok(
            "group_open_http_svc/add_group_member",
            json!({"GroupId": g, "MemberList": [{"Member_Account": "c"}]}),
        )
        .await;
    let mut c = Member::connect(&server, "c").await;
    let h = c
        .ok("getGroupHistoryMessageList", json!({"groupID": g}))
        .await;
    assert!(texts(&h).is_empty(), "{h}");
    rest_send(&admin, &g, "a", "after c").await;
    c.event("onRecvNewMessage").await;
    let h = c
        .ok("getGroupHistoryMessageList", json!({"groupID": g}))
        .await;
    assert_eq!(texts(&h), ["after c"]);
    let h = a
        .ok("getGroupHistoryMessageList", json!({"groupID": g}))
        .await;
    assert_eq!(texts(&h), ["after c", "for b", "four", "<recalled>"]);
    let mut d = Member::connect(&server, "c").await;
    d.no_event("onRecvNewMessage").await;
    // Paging: count and lastMsgSeq.
    let h = a
        .ok(
            "getGroupHistoryMessageList",
            json!({"groupID": g, "count": 3}),
        )
        .await;
    // The join's tip (a system message) is the third.
    assert_eq!(texts(&h), ["after c", "for b"]);
    assert_eq!(h["isFinished"], false);
    let oldest = h["messages"][2]["MsgSeq"].as_u64().unwrap();
    let h = a
        .ok(
            "getGroupHistoryMessageList",
            json!({"groupID": g, "count": 2, "lastMsgSeq": oldest}),
        )
        .await;
    assert_eq!(texts(&h), ["four", "<recalled>"]);
    assert_eq!(
        a.err(
            "getGroupHistoryMessageList",
            json!({"groupID": g, "count": 21})
        )
        .await,
        -32602
    );
    // Not a member (10007); no such group (10010).
    import_accounts(&admin, &["z"]).await;
    let mut z = Member::connect(&server, "z").await;
    assert_eq!(
        z.err("getGroupHistoryMessageList", json!({"groupID": g}))
            .await,
        10007
    );
    assert_eq!(
        z.err("getGroupHistoryMessageList", json!({"groupID": "@none"}))
            .await,
        10010
    );
}

#[tokio::test]
async fn clear_for_me_is_synced_to_my_devices_and_nobody_else() {
    let (server, admin) = start().await;
    let g = group(&admin, "Public").await;
    rest_send(&admin, &g, "a", "one").await;
    rest_send(&admin, &g, "b", "two").await;
    let mut a1 = Member::connect(&server, "a").await;
    let mut a2 = Member::connect(&server, "a").await;
    let mut b = Member::connect(&server, "b").await;
    let r = a1
        .ok("clearGroupHistoryMessage", json!({"groupID": g}))
        .await;
    assert_eq!(r["clearSeq"], 2);
    let e = a2.event("onGroupHistoryCleared").await;
    assert_eq!(e, json!({"groupID": g, "msgSeq": 2, "byAdmin": false}));
    b.no_event("onGroupHistoryCleared").await;
    for m in [&mut a1, &mut a2] {
        let h = m
            .ok("getGroupHistoryMessageList", json!({"groupID": g}))
            .await;
        assert!(texts(&h).is_empty(), "{h}");
        assert_eq!(h["clearSeq"], 2);
    }
    let h = b
        .ok("getGroupHistoryMessageList", json!({"groupID": g}))
        .await;
    assert_eq!(texts(&h), ["two", "one"]);
    rest_send(&admin, &g, "b", "three").await;
    let h = a2
        .ok("getGroupHistoryMessageList", json!({"groupID": g}))
        .await;
    assert_eq!(texts(&h), ["three"]);
    // The admin's pull still has everything.
    let admin_view = admin
        .call_ok(
            "group_open_http_svc/group_msg_get_simple",
            json!({"GroupId": g, "ReqMsgNumber": 20}),
        )
        .await;
    assert_eq!(admin_view["RspMsgList"].as_array().unwrap().len(), 3);
    // c is no member: 10007.
    let mut c = Member::connect(&server, "c").await;
    assert_eq!(
        c.err("clearGroupHistoryMessage", json!({"groupID": g}))
            .await,
        10007
    );
    // One-to-one: clear for me hides the conversation's messages from me only.
    a1.ok(
        "sendMessage",
        json!({"userID": "b", "msgBody": text("hi b")}),
    )
    .await;
    b.event("onRecvNewMessage").await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    a1.ok("clearC2CHistoryMessage", json!({"userID": "b"}))
        .await;
    let e = a2.event("onConversationChanged").await;
    assert_eq!(e["conversations"][0]["conversationID"], "c2c_b");
    let h = a2
        .ok("getC2CHistoryMessageList", json!({"userID": "b"}))
        .await;
    assert!(h["messages"].as_array().unwrap().is_empty(), "{h}");
    let h = b
        .ok("getC2CHistoryMessageList", json!({"userID": "a"}))
        .await;
    assert_eq!(h["messages"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn members_recall_and_modify_their_own_messages() {
    let (server, admin) = start().await;
    let g = group(&admin, "Public").await;
    let mut a = Member::connect(&server, "a").await;
    let mut b = Member::connect(&server, "b").await;
    let mine = b
        .ok("sendMessage", json!({"groupID": g, "msgBody": text("b's")}))
        .await["msgSeq"]
        .as_u64()
        .unwrap();
    a.event("onRecvNewMessage").await;
    let owners = a
        .ok("sendMessage", json!({"groupID": g, "msgBody": text("a's")}))
        .await["msgSeq"]
        .as_u64()
        .unwrap();
    b.event("onRecvNewMessage").await;
    // b may not recall or modify the owner's message.
    assert_eq!(
        b.err("revokeMessage", json!({"groupID": g, "msgSeq": owners}))
            .await,
        10007
    );
    assert_eq!(
        b.err(
            "modifyMessage",
            json!({"groupID": g, "msgSeq": owners, "msgBody": text("x")})
        )
        .await,
        10007
    );
    assert_eq!(
        b.err("revokeMessage", json!({"groupID": g, "msgSeq": 999}))
            .await,
        10030
    );
    b.ok(
        "modifyMessage",
        json!({"groupID": g, "msgSeq": mine, "msgBody": text("edited")}),
    )
    .await;
    let e = a.event("onRecvMessageModified").await;
    assert_eq!(e["message"]["MsgSeq"], mine);
    assert_eq!(e["message"]["MsgBody"], text("edited"));
    b.ok("revokeMessage", json!({"groupID": g, "msgSeq": mine}))
        .await;
    let e = a.event("onRecvMessageRevoked").await;
    assert_eq!(e["msgSeq"], mine);
    assert_eq!(e["operator"], "b");
    // The owner may recall others' messages.
    let other = rest_send(&admin, &g, "b", "b again").await;
    a.ok("revokeMessage", json!({"groupID": g, "msgSeq": other}))
        .await;
    b.event("onRecvMessageRevoked").await;
    let h = a
        .ok("getGroupHistoryMessageList", json!({"groupID": g}))
        .await;
    assert_eq!(texts(&h), ["<recalled>", "a's", "<recalled>"]);
    // One-to-one: recall, modify.
    let key = a
        .ok(
            "sendMessage",
            json!({"userID": "b", "msgBody": text("to b")}),
        )
        .await["msgKey"]
        .as_str()
        .unwrap()
        .to_owned();
    let e = b.event("onRecvNewMessage").await;
    assert_eq!(e["userID"], "a");
    assert_eq!(e["message"]["MsgKey"], key.as_str());
    a.ok(
        "modifyMessage",
        json!({"userID": "b", "msgKey": key, "msgBody": text("to b, edited")}),
    )
    .await;
    let e = b.event("onRecvMessageModified").await;
    assert_eq!(e["message"]["MsgBody"], text("to b, edited"));
    a.ok("revokeMessage", json!({"userID": "b", "msgKey": key}))
        .await;
    let e = b.event("onRecvMessageRevoked").await;
    assert_eq!(e["msgKey"], key.as_str());
    // Past the window: 20016 (a key of a message sent long ago).
    assert_eq!(
        a.err(
            "revokeMessage",
            json!({"userID": "b", "msgKey": format!("1_2_{}", now() - 1000)})
        )
        .await,
        20016
    );
    assert_eq!(
        a.err("revokeMessage", json!({"userID": "b", "msgKey": "bad"}))
            .await,
        90054
    );
}

#[tokio::test]
async fn one_to_one_messages_conversations_and_unread_counts() {
    let (server, admin) = start().await;
    let g = group(&admin, "Public").await;
    let mut a1 = Member::connect(&server, "a").await;
    let mut a2 = Member::connect(&server, "a").await;
    let mut b = Member::connect(&server, "b").await;
    let sent = a1
        .ok(
            "sendMessage",
            json!({"userID": "b", "msgBody": text("hello")}),
        )
        .await;
    let e = b.event("onRecvNewMessage").await;
    assert_eq!(e["userID"], "a");
    assert_eq!(e["message"]["From_Account"], "a");
    assert_eq!(e["message"]["MsgKey"], sent["msgKey"]);
    let e = a2.event("onRecvNewMessage").await;
    assert_eq!(e["userID"], "b");
    a1.no_event("onRecvNewMessage").await;
    // REST sendmsg reaches the receiver too.
    admin
        .call_ok(
            "openim/sendmsg",
            json!({"From_Account": "c", "To_Account": "b", "MsgRandom": 3, "MsgBody": text("from c")}),
        )
        .await;
    let e = b.event("onRecvNewMessage").await;
    assert_eq!(e["userID"], "c");
    // To an unknown account: the REST code.
    assert_eq!(
        a1.err(
            "sendMessage",
            json!({"userID": "nobody", "msgBody": text("x")})
        )
        .await,
        90012
    );
    rest_send(&admin, &g, "a", "in group").await;
    b.event("onRecvNewMessage").await;
    let list = b.ok("getConversationList", json!({})).await;
    let convs = list["conversations"].as_array().unwrap();
    assert_eq!(convs.len(), 3, "{list}");
    assert_eq!(list["isFinished"], true);
    let by_id = |id: &str| {
        convs
            .iter()
            .find(|c| c["conversationID"] == id)
            .unwrap_or_else(|| panic!("{id} in {list}"))
            .clone()
    };
    assert_eq!(by_id("c2c_a")["unreadCount"], 1);
    assert_eq!(by_id("c2c_a")["lastMessage"]["MsgBody"], text("hello"));
    assert_eq!(by_id("c2c_c")["unreadCount"], 1);
    let gc = by_id(&format!("group_{g}"));
    assert_eq!(gc["type"], 2);
    assert_eq!(gc["unreadCount"], 1);
    assert_eq!(gc["lastMessage"]["MsgBody"], text("in group"));
    let total = b.ok("getTotalUnreadMessageCount", json!({})).await;
    assert_eq!(total["count"], 3);
    let mut b2 = Member::connect(&server, "b").await;
    b.ok("markC2CMessageAsRead", json!({"userID": "a"})).await;
    b.event("onConversationChanged").await;
    let e = b2.event("onTotalUnreadMessageCountChanged").await;
    assert_eq!(e["count"], 2);
    assert_eq!(
        b.ok("getTotalUnreadMessageCount", json!({})).await["count"],
        2
    );
    b.ok("markGroupMessageAsRead", json!({"groupID": g})).await;
    assert_eq!(
        b.ok("getTotalUnreadMessageCount", json!({})).await["count"],
        1
    );
    b.ok("markAllMessageAsRead", json!({})).await;
    assert_eq!(
        b.ok("getTotalUnreadMessageCount", json!({})).await["count"],
        0
    );
    let page = b
        .ok("getConversationList", json!({"nextSeq": 0, "count": 2}))
        .await;
    assert_eq!(page["conversations"].as_array().unwrap().len(), 2);
    assert_eq!(page["isFinished"], false);
    let rest = b
        .ok(
            "getConversationList",
            json!({"nextSeq": page["nextSeq"], "count": 2}),
        )
        .await;
    assert_eq!(rest["conversations"].as_array().unwrap().len(), 1);
    let h = b
        .ok("getC2CHistoryMessageList", json!({"userID": "a"}))
        .await;
    assert_eq!(h["messages"].as_array().unwrap().len(), 1);
    assert_eq!(h["isFinished"], true);
}

#[tokio::test]
async fn group_changes_reach_members_as_events() {
    let (server, admin) = start().await;
    let g = group(&admin, "Public").await;
    let mut a = Member::connect(&server, "a").await;
    let mut b = Member::connect(&server, "b").await;
    let mut c = Member::connect(&server, "c").await;
    admin
        .call_ok(
            "group_open_http_svc/add_group_member",
            json!({"GroupId": g, "MemberList": [{"Member_Account": "c"}]}),
        )
        .await;
    for m in [&mut a, &mut b, &mut c] {
        let e = m.event("onMemberEnter").await;
        assert_eq!(e["memberList"], json!([{"userID": "c"}]));
    }
    // c is now in the group: it receives its messages.
    rest_send(&admin, &g, "a", "welcome").await;
    c.event("onRecvNewMessage").await;
    admin
        .call_ok(
            "group_open_http_svc/modify_group_base_info",
            json!({"GroupId": g, "Name": "renamed"}),
        )
        .await;
    b.event("onGroupInfoChanged").await;
    admin
        .call_ok(
            "group_open_http_svc/modify_group_member_info",
            json!({"GroupId": g, "Member_Account": "b", "NameCard": "bee"}),
        )
        .await;
    let e = a.event("onMemberInfoChanged").await;
    assert_eq!(e["changeInfoList"][0]["userID"], "b");
    admin
        .call_ok(
            "group_open_http_svc/delete_group_member",
            json!({"GroupId": g, "MemberToDel_Account": ["c"]}),
        )
        .await;
    let e = c.event("onMemberKicked").await;
    assert_eq!(e["memberList"], json!([{"userID": "c"}]));
    a.event("onMemberKicked").await;
    rest_send(&admin, &g, "a", "c is gone").await;
    a.event("onRecvNewMessage").await;
    c.no_event("onRecvNewMessage").await;
    // Members' own group methods.
    let joined = b.ok("getJoinedGroupList", json!({})).await;
    assert_eq!(joined["groupList"][0]["GroupId"], g.as_str());
    let info = b.ok("getGroupsInfo", json!({"groupIDList": [g]})).await;
    assert_eq!(info["groupList"][0]["Name"], "renamed");
    let members = b.ok("getGroupMemberList", json!({"groupID": g})).await;
    assert_eq!(members["memberList"].as_array().unwrap().len(), 2);
    b.ok("quitGroup", json!({"groupID": g})).await;
    let e = a.event("onMemberLeave").await;
    assert_eq!(e["memberList"], json!([{"userID": "b"}]));
    // The owner of a Public group cannot quit.
    assert_eq!(a.err("quitGroup", json!({"groupID": g})).await, 10007);
    // joinGroup: FreeAccess joins at once; DisableApply refuses; NeedPermission asks the owner.
    admin
        .call_ok(
            "group_open_http_svc/modify_group_base_info",
            json!({"GroupId": g, "ApplyJoinOption": "FreeAccess"}),
        )
        .await;
    let r = b.ok("joinGroup", json!({"groupID": g})).await;
    assert_eq!(r["joined"], true);
    a.event("onMemberEnter").await;
    admin
        .call_ok(
            "group_open_http_svc/modify_group_base_info",
            json!({"GroupId": g, "ApplyJoinOption": "DisableApply"}),
        )
        .await;
    assert_eq!(c.err("joinGroup", json!({"groupID": g})).await, 10007);
    admin
        .call_ok(
            "group_open_http_svc/modify_group_base_info",
            json!({"GroupId": g, "ApplyJoinOption": "NeedPermission"}),
        )
        .await;
    let r = c
        .ok("joinGroup", json!({"groupID": g, "message": "let me in"}))
        .await;
    assert_eq!(r["pending"], true);
    let e = a.event("onReceiveJoinApplication").await;
    assert_eq!(e["member"]["userID"], "c");
    assert_eq!(
        b.err(
            "acceptGroupApplication",
            json!({"groupID": g, "userID": "c"})
        )
        .await,
        10007
    );
    a.ok(
        "acceptGroupApplication",
        json!({"groupID": g, "userID": "c"}),
    )
    .await;
    c.event("onMemberEnter").await;
    assert_eq!(
        a.err(
            "refuseGroupApplication",
            json!({"groupID": g, "userID": "c"})
        )
        .await,
        10004
    );
    admin
        .call_ok("group_open_http_svc/destroy_group", json!({"GroupId": g}))
        .await;
    for m in [&mut a, &mut b, &mut c] {
        let e = m.event("onGroupDismissed").await;
        assert_eq!(e["groupID"], g.as_str());
    }
}

#[tokio::test]
async fn a_broadcast_reaches_the_members_present_in_every_room() {
    let (server, admin) = start().await;
    let room = |name: &'static str| {
        let admin = admin.clone();
        async move {
            admin
                .call_ok(
                    "group_open_http_svc/create_group",
                    json!({"Type": "AVChatRoom", "Name": name}),
                )
                .await["GroupId"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };
    let (r1, r2) = (room("one").await, room("two").await);
    let mut a = Member::connect(&server, "a").await;
    let mut b = Member::connect(&server, "b").await;
    let mut c = Member::connect(&server, "c").await;
    a.ok("joinGroup", json!({"groupID": r1})).await;
    b.ok("joinGroup", json!({"groupID": r1})).await;
    b.ok("joinGroup", json!({"groupID": r2})).await;
    let body = json!({"Random": 5, "MsgBody": text("to every room")});
    let v = admin
        .call_ok("group_open_http_svc/send_broadcast_msg", body.clone())
        .await;
    let e = a.event("onRecvNewMessage").await;
    assert_eq!(e["groupID"], r1.as_str());
    assert_eq!(e["message"]["MsgBody"], text("to every room"));
    assert_eq!(e["message"]["MsgSeq"], v["MsgSeq"]);
    assert_eq!(e["message"]["From_Account"], "administrator");
    // b is in both rooms: one frame for each.
    let mut rooms = vec![
        b.event("onRecvNewMessage").await["groupID"].clone(),
        b.event("onRecvNewMessage").await["groupID"].clone(),
    ];
    rooms.sort_by_key(|r| r.to_string());
    let mut want = vec![json!(r1), json!(r2)];
    want.sort_by_key(|r| r.to_string());
    assert_eq!(rooms, want);
    // c is in no room; a repeat within five minutes is the same broadcast, sent once.
    c.no_event("onRecvNewMessage").await;
    let again = admin
        .call_ok("group_open_http_svc/send_broadcast_msg", body)
        .await;
    assert_eq!(again["MsgSeq"], v["MsgSeq"]);
    a.no_event("onRecvNewMessage").await;
}

#[tokio::test]
async fn av_chat_rooms_deliver_to_present_members_and_count_them() {
    let (server, admin) = start().await;
    let v = admin
        .call_ok(
            "group_open_http_svc/create_group",
            json!({"Type": "AVChatRoom", "Name": "live", "Owner_Account": "a"}),
        )
        .await;
    let g = v["GroupId"].as_str().unwrap().to_owned();
    let mut b = Member::connect(&server, "b").await;
    let mut c = Member::connect(&server, "c").await;
    b.ok("joinGroup", json!({"groupID": g})).await;
    c.ok("joinGroup", json!({"groupID": g})).await;
    let n = admin
        .call_ok(
            "group_open_http_svc/get_online_member_num",
            json!({"GroupId": g}),
        )
        .await;
    assert_eq!(n["OnlineMemberNum"], 2);
    b.ok(
        "sendMessage",
        json!({"groupID": g, "msgBody": text("live!")}),
    )
    .await;
    let e = c.event("onRecvNewMessage").await;
    assert_eq!(e["message"]["MsgBody"], text("live!"));
    assert_eq!(
        c.err("getGroupHistoryMessageList", json!({"groupID": g}))
            .await,
        10044
    );
    c.ok("quitGroup", json!({"groupID": g})).await;
    drop(b);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let n = admin
        .call_ok(
            "group_open_http_svc/get_online_member_num",
            json!({"GroupId": g}),
        )
        .await;
    assert_eq!(n["OnlineMemberNum"], 0);
}

/// group_open_avchatroom_http_svc answers from the members present (groups-more.md §7):
/// get_members newest first with profiles and marks, check_members, marks that need presence
/// (but 500), a user held by either of two connections, and a ban that drops the present
/// from the room and keeps them out until unbanned.
#[tokio::test]
async fn av_chat_room_members_marks_and_bans() {
    let (server, admin) = start().await;
    admin
        .call_ok(
            "profile/portrait_set",
            json!({"From_Account": "b", "ProfileItem": [
                {"Tag": "Tag_Profile_IM_Nick", "Value": "Bee"}]}),
        )
        .await;
    let v = admin
        .call_ok(
            "group_open_http_svc/create_group",
            json!({"Type": "AVChatRoom", "Name": "live", "Owner_Account": "a"}),
        )
        .await;
    let g = v["GroupId"].as_str().unwrap().to_owned();
    let before = now();
    let mut b1 = Member::connect(&server, "b").await;
    let mut b2 = Member::connect(&server, "b").await;
    let mut c = Member::connect(&server, "c").await;
    b1.ok("joinGroup", json!({"groupID": g})).await;
    b2.ok("joinGroup", json!({"groupID": g})).await;
    c.ok("joinGroup", json!({"groupID": g})).await;
    let members = |admin: &Client, body: Value| {
        let admin = admin.clone();
        async move {
            admin
                .call_ok("group_open_avchatroom_http_svc/get_members", body)
                .await
        }
    };
    let page = members(&admin, json!({"GroupId": g, "Timestamp": 0})).await;
    assert_eq!(page["NextTimestamp"], 0);
    let list = page["MemberList"].as_array().unwrap();
    assert_eq!(list.len(), 2, "{page}");
    assert_eq!(list[0]["Member_Account"], "c", "newest join first");
    assert_eq!(list[1]["Member_Account"], "b");
    assert_eq!(list[1]["NickName"], "Bee");
    assert_eq!(list[1]["Avatar"], "");
    let joined = list[1]["JoinTime"].as_i64().unwrap();
    assert!(joined >= before - 1 && joined <= now() + 1);
    let check = |accounts: Value| {
        let admin = admin.clone();
        let g = g.clone();
        async move {
            admin
                .call_ok(
                    "group_open_avchatroom_http_svc/check_members",
                    json!({"GroupId": g, "Member_Account": accounts}),
                )
                .await["Member_Account"]
                .clone()
        }
    };
    assert_eq!(check(json!(["a", "c", "b", "c"])).await, json!(["c", "b"]));

    // Marks: b is present and takes 1000; a is not and takes only 500.
    let v = admin
        .call_ok(
            "group_open_avchatroom_http_svc/modify_user_info",
            json!({"GroupId": g, "CommandType": 1, "MemberList": [
                {"Member_Account": "b", "Marks": [1000]},
                {"Member_Account": "a", "Marks": [1000, 500]}]}),
        )
        .await;
    assert_eq!(
        v["MemberList"],
        json!([{"Member_Account": "b", "Marks": [1000]}, {"Member_Account": "a", "Marks": [500]}])
    );
    let marked = members(&admin, json!({"GroupId": g, "Timestamp": 0, "Mark": 1000})).await;
    assert_eq!(marked["MemberList"].as_array().unwrap().len(), 1);
    assert_eq!(marked["MemberList"][0]["Member_Account"], "b");
    assert_eq!(marked["MemberList"][0]["Marks"], json!([1000]));
    // 500 and 1000 are in use: nine more distinct marks would make 11 in the room (10004).
    let (code, _) = admin
        .call_err(
            "group_open_avchatroom_http_svc/modify_user_info",
            json!({"GroupId": g, "CommandType": 1, "MemberList": [
                {"Member_Account": "c", "Marks": (2000..2009).collect::<Vec<u64>>()}]}),
        )
        .await;
    assert_eq!(code, 10004);
    let c_marks = members(&admin, json!({"GroupId": g, "Timestamp": 0})).await;
    assert_eq!(
        c_marks["MemberList"][0]["Marks"],
        json!([]),
        "nothing was set"
    );
    let special = members(&admin, json!({"GroupId": g, "Timestamp": 0, "Mark": 500})).await;
    assert_eq!(special["MemberList"], json!([]), "a is not present");

    // b stays while one of its connections holds the room.
    drop(b1);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(check(json!(["b"])).await, json!(["b"]));

    // A ban drops b from the room: b and c hear it, b hears the room no more and cannot
    // come back until unbanned.
    admin
        .call_ok(
            "group_open_http_svc/ban_group_member",
            json!({"GroupId": g, "Members_Account": ["b"], "Duration": 600}),
        )
        .await;
    let e = b2.event("onMemberKicked").await;
    assert_eq!(e["groupID"], g.as_str());
    assert_eq!(e["memberList"][0]["userID"], "b");
    let e = c.event("onMemberKicked").await;
    assert_eq!(e["memberList"][0]["userID"], "b");
    assert_eq!(check(json!(["b", "c"])).await, json!(["c"]));
    let n = admin
        .call_ok(
            "group_open_http_svc/get_online_member_num",
            json!({"GroupId": g}),
        )
        .await;
    assert_eq!(n["OnlineMemberNum"], 1);
    rest_send(&admin, &g, "a", "after the ban").await;
    c.event("onRecvNewMessage").await;
    b2.no_event("onRecvNewMessage").await;
    assert_eq!(b2.err("joinGroup", json!({"groupID": g})).await, 10007);
    assert_eq!(check(json!(["b"])).await, json!([]));
    admin
        .call_ok(
            "group_open_http_svc/unban_group_member",
            json!({"GroupId": g, "Members_Account": ["b"]}),
        )
        .await;
    b2.ok("joinGroup", json!({"groupID": g})).await;
    let page = members(&admin, json!({"GroupId": g, "Timestamp": 0})).await;
    assert_eq!(
        page["MemberList"][0]["Member_Account"], "b",
        "back, as the newest"
    );
    assert_eq!(
        page["MemberList"][0]["Marks"],
        json!([]),
        "custom marks went with the presence"
    );

    // quitGroup and the end of the last connection empty the room.
    c.ok("quitGroup", json!({"groupID": g})).await;
    drop(b2);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let page = members(&admin, json!({"GroupId": g, "Timestamp": 0})).await;
    assert_eq!(page["MemberList"], json!([]));
}

/// Another app's room of the same ID has nobody in it.
#[tokio::test]
async fn av_chat_room_members_are_per_app() {
    let first = common::TestApp::random();
    let second = common::TestApp::random();
    let server = TestServer::start_with(ServerOptions {
        apps: vec![first.clone(), second.clone()],
        ..ServerOptions::default()
    })
    .await;
    let admin = server.client();
    let other = server.client_for(1, &second.admin);
    for c in [&admin, &other] {
        import_accounts(c, &["a", "b"]).await;
        c.call_ok(
            "group_open_http_svc/create_group",
            json!({"Type": "AVChatRoom", "GroupId": "live", "Name": "live", "Owner_Account": "a"}),
        )
        .await;
    }
    let mut b = Member::connect(&server, "b").await;
    b.ok("joinGroup", json!({"groupID": "live"})).await;
    let mine = admin
        .call_ok(
            "group_open_avchatroom_http_svc/check_members",
            json!({"GroupId": "live", "Member_Account": ["b"]}),
        )
        .await;
    assert_eq!(mine["Member_Account"], json!(["b"]));
    let theirs = other
        .call_ok(
            "group_open_avchatroom_http_svc/check_members",
            json!({"GroupId": "live", "Member_Account": ["b"]}),
        )
        .await;
    assert_eq!(theirs["Member_Account"], json!([]));
    let page = other
        .call_ok(
            "group_open_avchatroom_http_svc/get_members",
            json!({"GroupId": "live", "Timestamp": 0}),
        )
        .await;
    assert_eq!(page["MemberList"], json!([]));
    // A ban in the other app's room of the same ID leaves b where it is.
    other
        .call_ok(
            "group_open_http_svc/ban_group_member",
            json!({"GroupId": "live", "Members_Account": ["b"], "Duration": 60}),
        )
        .await;
    b.no_event("onMemberKicked").await;
    let mine = admin
        .call_ok(
            "group_open_avchatroom_http_svc/check_members",
            json!({"GroupId": "live", "Member_Account": ["b"]}),
        )
        .await;
    assert_eq!(mine["Member_Account"], json!(["b"]));
}

#[tokio::test]
async fn a_slow_consumer_is_closed_and_slows_nobody() {
    let server = TestServer::start_with(ServerOptions {
        config: "member_queue_frames = 8\n".into(),
        ..ServerOptions::default()
    })
    .await;
    let admin = server.client();
    import_accounts(&admin, &["a", "b", "c"]).await;
    let g = group(&admin, "Public").await;
    // b connects with a tiny receive buffer and never reads.
    let sig = server.apps[0].sig("b");
    let url = member_url(&server, "b", &sig, "");
    let addr = server.base.trim_start_matches("http://").to_owned();
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let stream = socket.connect(addr.parse().unwrap()).await.unwrap();
    let (slow, _) = tokio_tungstenite::client_async(url, MaybeTlsStream::Plain(stream))
        .await
        .unwrap();
    let mut a = Member::connect(&server, "a").await;
    let big = "x".repeat(11_000);
    for i in 0..600 {
        let started = std::time::Instant::now();
        rest_send(&admin, &g, "a", &format!("{i} {big}")).await;
        assert!(started.elapsed() < Duration::from_secs(2), "a send waited");
        let e = a.event("onRecvNewMessage").await;
        assert!(e["message"]["MsgBody"][0]["MsgContent"]["Text"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{i} ")));
    }
    // b was closed: it is no longer online.
    let mut slow = Member {
        ws: slow,
        next_id: 1,
        events: VecDeque::new(),
        closed: None,
    };
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let status = admin
            .call_ok("openim/query_online_status", json!({"To_Account": ["b"]}))
            .await;
        if status["QueryResult"][0]["Status"] == "Offline" {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "b is still online");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // What it reads ends in the close (4008 when the close frame still got through).
    let code = slow.close_code().await;
    assert!(code == 4008 || code == 1006, "{code}");
    let _ = CloseCode::from(4008);
}

#[tokio::test]
async fn apps_see_nothing_of_each_other() {
    let first = common::TestApp::random();
    let second = common::TestApp::random();
    let server = TestServer::start_with(ServerOptions {
        apps: vec![first.clone(), second.clone()],
        ..ServerOptions::default()
    })
    .await;
    let admin = server.client();
    import_accounts(&admin, &["a", "b", "c"]).await;
    let g = group(&admin, "Public").await;
    let other = server.client_for(1, &second.admin);
    import_accounts(&other, &["b"]).await;
    // b of the second app.
    let url = format!(
        "{}/v1/member?sdkappid={}&identifier=b&usersig={}",
        server.base.replacen("http://", "ws://", 1),
        second.sdkappid,
        second.sig("b")
    );
    let mut b2 = Member::connect_url(&url).await;
    let mut b1 = Member::connect(&server, "b").await;
    rest_send(&admin, &g, "a", "app one").await;
    b1.event("onRecvNewMessage").await;
    b2.no_event("onRecvNewMessage").await;
    assert_eq!(
        b2.err("getGroupHistoryMessageList", json!({"groupID": g}))
            .await,
        10010
    );
    let status = other
        .call_ok("openim/query_online_status", json!({"To_Account": ["b"]}))
        .await;
    assert_eq!(status["QueryResult"][0]["Status"], "Online");
    drop(b2);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let status = other
        .call_ok("openim/query_online_status", json!({"To_Account": ["b"]}))
        .await;
    assert_eq!(status["QueryResult"][0]["Status"], "Offline");
    let status = admin
        .call_ok("openim/query_online_status", json!({"To_Account": ["b"]}))
        .await;
    assert_eq!(status["QueryResult"][0]["Status"], "Online");
}

/// Callbacks posted by the server: (command, body), for the State.StateChange test.
type Hits = std::sync::Arc<std::sync::Mutex<Vec<Value>>>;

/// A receiver that answers ErrorCode 1 (refuse) to the callbacks `refuse` picks, 0 to the rest.
async fn callback_receiver(refuse: fn(&Value) -> bool) -> (String, Hits) {
    use axum::routing::post;
    let hits: Hits = Default::default();
    let h = hits.clone();
    let app = axum::Router::new().route(
        "/im",
        post(move |body: String| {
            let h = h.clone();
            async move {
                let body: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
                let code = if refuse(&body) { 1 } else { 0 };
                h.lock().unwrap().push(body);
                json!({"ActionStatus": "OK", "ErrorCode": code, "ErrorInfo": ""}).to_string()
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/im", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, hits)
}

async fn wait_hits(hits: &Hits, command: &str, n: usize) -> Vec<Value> {
    for _ in 0..200 {
        let got: Vec<Value> = hits
            .lock()
            .unwrap()
            .iter()
            .filter(|h| h["CallbackCommand"] == command)
            .cloned()
            .collect();
        if got.len() >= n {
            return got;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("waited for {n} {command}: {:?}", hits.lock().unwrap());
}

#[tokio::test]
async fn state_changes_and_member_sends_are_called_back() {
    let (url, hits) =
        callback_receiver(|b| b["CallbackCommand"] == "Group.CallbackBeforeSendMsg").await;
    let (server, admin) = start_calling_back(&url).await;
    let g = group(&admin, "Public").await;
    let sig = server.apps[0].sig("a");
    let mut a = Member::connect_url(&member_url(&server, "a", &sig, "&platform=iOS")).await;
    let login = wait_hits(&hits, "State.StateChange", 1).await;
    assert_eq!(
        login[0]["Info"],
        json!({"Action": "Login", "To_Account": "a", "Reason": "Register"})
    );
    // The member's send asks the same before-callback as the REST send: refused, 10016.
    assert_eq!(
        a.err("sendMessage", json!({"groupID": g, "msgBody": text("no")}))
            .await,
        10016
    );
    let before = wait_hits(&hits, "Group.CallbackBeforeSendMsg", 1).await;
    assert_eq!(before[0]["From_Account"], "a");
    // A one-to-one send reports the after-callback with the member as the sender.
    a.ok("sendMessage", json!({"userID": "b", "msgBody": text("hi")}))
        .await;
    let after = wait_hits(&hits, "C2C.CallbackAfterSendMsg", 1).await;
    assert_eq!(after[0]["From_Account"], "a");
    a.ws.close(None).await.unwrap();
    let logout = wait_hits(&hits, "State.StateChange", 2).await;
    assert_eq!(
        logout[1]["Info"],
        json!({"Action": "Logout", "To_Account": "a", "Reason": "Unregister"})
    );
    // A connection that just goes away is a disconnect.
    let b = Member::connect(&server, "b").await;
    wait_hits(&hits, "State.StateChange", 3).await;
    drop(b);
    let gone = wait_hits(&hits, "State.StateChange", 4).await;
    assert_eq!(
        gone[3]["Info"],
        json!({"Action": "Disconnect", "To_Account": "b", "Reason": "LinkClose"})
    );
}

#[tokio::test]
async fn pushes_reach_connected_recipients_as_one_to_one_messages() {
    let (server, admin) = start().await;
    let mut a = Member::connect(&server, "a").await;
    let mut b = Member::connect(&server, "b").await;
    let mut c = Member::connect(&server, "c").await;
    admin
        .call_ok(
            "all_member_push/im_add_tag",
            json!({"UserTags": [{"To_Account": "a", "Tags": ["vip"]}]}),
        )
        .await;
    // By tag: only a hears it, from the calling admin, online only (MsgLifeTime 0).
    admin
        .call_ok(
            "all_member_push/im_push",
            json!({"MsgRandom": 11, "MsgBody": text("for vips"), "Condition": {"TagsAnd": ["vip"]}}),
        )
        .await;
    let e = a.event("onRecvNewMessage").await;
    assert_eq!(e["userID"], "administrator");
    assert_eq!(e["message"]["From_Account"], "administrator");
    assert_eq!(e["message"]["To_Account"], "a");
    assert_eq!(e["message"]["MsgBody"], text("for vips"));
    assert_eq!(e["message"]["MsgRandom"], 11);
    b.no_event("onRecvNewMessage").await;
    // To everyone, from a named sender, who does not receive their own push.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    admin
        .call_ok(
            "all_member_push/im_push",
            json!({"From_Account": "c", "MsgRandom": 12, "MsgBody": text("all"), "MsgLifeTime": 60}),
        )
        .await;
    for m in [&mut a, &mut b] {
        let e = m.event("onRecvNewMessage").await;
        assert_eq!(e["userID"], "c");
        assert_eq!(e["message"]["MsgBody"], text("all"));
    }
    c.no_event("onRecvNewMessage").await;
}

#[tokio::test]
async fn a_globally_muted_member_cannot_send_and_no_callback_is_asked() {
    let (url, hits) = callback_receiver(|_| false).await;
    let (server, admin) = start_calling_back(&url).await;
    let g = group(&admin, "Public").await;
    admin
        .call_ok(
            "openconfigsvr/setnospeaking",
            json!({"Set_Account": "b", "C2CmsgNospeakingTime": 60, "GroupmsgNospeakingTime": 60}),
        )
        .await;
    let mut b = Member::connect(&server, "b").await;
    assert_eq!(
        b.err("sendMessage", json!({"userID": "a", "msgBody": text("x")}))
            .await,
        20012
    );
    assert_eq!(
        b.err("sendMessage", json!({"groupID": g, "msgBody": text("x")}))
            .await,
        10017
    );
    // The REST one-to-one send ignores the mute, as documented; it asks its callback.
    rest_send_c2c(&admin, "b", "a").await;
    wait_hits(&hits, "C2C.CallbackBeforeSendMsg", 1).await;
    let asked = |c: &str| {
        hits.lock()
            .unwrap()
            .iter()
            .filter(|h| h["CallbackCommand"] == c)
            .count()
    };
    assert_eq!(
        asked("C2C.CallbackBeforeSendMsg"),
        1,
        "only the REST send asked"
    );
    assert_eq!(asked("Group.CallbackBeforeSendMsg"), 0);
    // Lifted: the member sends again.
    admin
        .call_ok(
            "openconfigsvr/setnospeaking",
            json!({"Set_Account": "b", "C2CmsgNospeakingTime": 0, "GroupmsgNospeakingTime": 0}),
        )
        .await;
    b.ok("sendMessage", json!({"userID": "a", "msgBody": text("y")}))
        .await;
    b.ok("sendMessage", json!({"groupID": g, "msgBody": text("y")}))
        .await;
}

async fn rest_send_c2c(admin: &Client, from: &str, to: &str) {
    admin
        .call_ok(
            "openim/sendmsg",
            json!({"From_Account": from, "To_Account": to, "MsgRandom": common::random_u32(), "MsgBody": text("rest")}),
        )
        .await;
}

#[tokio::test]
async fn av_chat_room_presence_is_called_back() {
    let (url, hits) = callback_receiver(|_| false).await;
    let (server, admin) = start_calling_back(&url).await;
    let g = admin
        .call_ok(
            "group_open_http_svc/create_group",
            json!({"Type": "AVChatRoom", "Name": "live"}),
        )
        .await["GroupId"]
        .as_str()
        .unwrap()
        .to_owned();
    const CMD: &str = "Group.CallbackOnMemberStateChange";
    let seen = |n: usize| {
        let (hits, g) = (hits.clone(), g.clone());
        async move {
            wait_hits(&hits, CMD, n)
                .await
                .iter()
                .map(|h| {
                    assert_eq!(h["GroupId"], g.as_str());
                    assert_eq!(h["Type"], "AVChatRoom");
                    let who = h["MemberList"][0]["Member_Account"].as_str().unwrap();
                    format!("{} {who}", h["EventType"].as_str().unwrap())
                })
                .collect::<Vec<_>>()
        }
    };
    let mut a = Member::connect(&server, "a").await;
    let mut a2 = Member::connect(&server, "a").await;
    let mut b = Member::connect(&server, "b").await;
    let mut c = Member::connect(&server, "c").await;
    a.ok("joinGroup", json!({"groupID": g})).await;
    // a second device of a's: still one member online, no second callback.
    a2.ok("joinGroup", json!({"groupID": g})).await;
    b.ok("joinGroup", json!({"groupID": g})).await;
    c.ok("joinGroup", json!({"groupID": g})).await;
    assert_eq!(seen(3).await, ["Online a", "Online b", "Online c"]);
    // quitGroup, a ban, and the last connection closing: each goes offline once.
    b.ok("quitGroup", json!({"groupID": g})).await;
    admin
        .call_ok(
            "group_open_http_svc/ban_group_member",
            json!({"GroupId": g, "Members_Account": ["c"], "Duration": 60}),
        )
        .await;
    drop(a);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(seen(5).await.len(), 5, "a is still online through a2");
    a2.ws.close(None).await.unwrap();
    assert_eq!(
        seen(6).await,
        [
            "Online a",
            "Online b",
            "Online c",
            "Offline b",
            "Offline c",
            "Offline a"
        ]
    );
}

/// A server whose one app calls back `url`.
async fn start_calling_back(url: &str) -> (TestServer, Client) {
    let server = TestServer::start_with(ServerOptions::calling_back(url, "")).await;
    let admin = server.client();
    import_accounts(&admin, &["a", "b", "c"]).await;
    (server, admin)
}

#[tokio::test]
async fn joining_asks_the_apply_callback_and_reports_join_type_apply() {
    // The app refuses every request of c's to join.
    let (url, hits) = callback_receiver(|b| {
        b["CallbackCommand"] == "Group.CallbackBeforeApplyJoinGroup"
            && b["Requestor_Account"] == "c"
    })
    .await;
    let (server, admin) = start_calling_back(&url).await;
    let free = admin
        .call_ok(
            "group_open_http_svc/create_group",
            json!({"Type": "Public", "Name": "free", "Owner_Account": "a",
                   "ApplyJoinOption": "FreeAccess"}),
        )
        .await["GroupId"]
        .as_str()
        .unwrap()
        .to_owned();
    let asked = admin
        .call_ok(
            "group_open_http_svc/create_group",
            json!({"Type": "Public", "Name": "asked", "Owner_Account": "a",
                   "ApplyJoinOption": "NeedPermission"}),
        )
        .await["GroupId"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut a = Member::connect(&server, "a").await;
    let mut b = Member::connect(&server, "b").await;
    let mut c = Member::connect(&server, "c").await;
    let members = |g: &str| {
        let (admin, g) = (admin.clone(), g.to_owned());
        async move {
            let v = admin
                .call_ok(
                    "group_open_http_svc/get_group_member_info",
                    json!({"GroupId": g}),
                )
                .await;
            let mut names: Vec<String> = v["MemberList"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m["Member_Account"].as_str().unwrap().to_owned())
                .collect();
            names.sort();
            names
        }
    };
    // A free join: asked, then reported as b's own.
    assert_eq!(
        b.ok("joinGroup", json!({"groupID": free})).await,
        json!({"joined": true})
    );
    let ask = wait_hits(&hits, "Group.CallbackBeforeApplyJoinGroup", 1).await;
    assert_eq!(ask[0]["GroupId"], free.as_str());
    assert_eq!(ask[0]["Type"], "Public");
    assert_eq!(ask[0]["Requestor_Account"], "b");
    let joined = wait_hits(&hits, "Group.CallbackAfterNewMemberJoin", 1).await;
    assert_eq!(joined[0]["JoinType"], "Apply");
    assert_eq!(joined[0]["Operator_Account"], "b");
    assert_eq!(joined[0]["NewMemberList"], json!([{"Member_Account": "b"}]));
    // Refused by the app: 10016, and c stays out.
    assert_eq!(c.err("joinGroup", json!({"groupID": free})).await, 10016);
    assert_eq!(members(&free).await, ["a", "b"]);
    // An application: asked before it is recorded; accepted, it is reported as an apply by
    // the owner who accepted it.
    assert_eq!(
        b.ok("joinGroup", json!({"groupID": asked})).await,
        json!({"joined": false, "pending": true})
    );
    wait_hits(&hits, "Group.CallbackBeforeApplyJoinGroup", 3).await;
    a.event("onReceiveJoinApplication").await;
    assert_eq!(c.err("joinGroup", json!({"groupID": asked})).await, 10016);
    a.no_event("onReceiveJoinApplication").await;
    a.ok(
        "acceptGroupApplication",
        json!({"groupID": asked, "userID": "b"}),
    )
    .await;
    let joined = wait_hits(&hits, "Group.CallbackAfterNewMemberJoin", 2).await;
    assert_eq!(joined[1]["GroupId"], asked.as_str());
    assert_eq!(joined[1]["JoinType"], "Apply");
    assert_eq!(joined[1]["Operator_Account"], "a");
    assert_eq!(joined[1]["NewMemberList"], json!([{"Member_Account": "b"}]));
    // The refused request left no application to accept.
    assert_eq!(
        a.err(
            "acceptGroupApplication",
            json!({"groupID": asked, "userID": "c"})
        )
        .await,
        10004
    );
    assert_eq!(members(&asked).await, ["a", "b"]);
    // An admin's add is still an invite, asked through the invite callback.
    admin
        .call_ok(
            "group_open_http_svc/add_group_member",
            json!({"GroupId": free, "MemberList": [{"Member_Account": "c"}]}),
        )
        .await;
    let joined = wait_hits(&hits, "Group.CallbackAfterNewMemberJoin", 3).await;
    assert_eq!(joined[2]["JoinType"], "Invited");
    wait_hits(&hits, "Group.CallbackBeforeInviteJoinGroup", 1).await;
}

#[tokio::test]
async fn silent_connections_time_out_and_a_stop_closes_with_1001() {
    let server = TestServer::start_with(ServerOptions {
        config: "member_idle_secs = 2\n".into(),
        ..ServerOptions::default()
    })
    .await;
    // One that reads (and so answers the pings) stays; one that does not is closed with 4000.
    let mut silent = Member::connect(&server, "a").await;
    let mut alive = Member::connect(&server, "b").await;
    let (code, ()) = tokio::join!(
        async {
            // Reads nothing (so answers no ping) until the server has closed it.
            tokio::time::sleep(Duration::from_millis(3200)).await;
            silent.close_code().await
        },
        async {
            for _ in 0..14 {
                alive.no_event("x").await;
            }
        }
    );
    assert_eq!(code, 4000);
    assert_eq!(
        alive.ok("getLoginUser", json!({})).await,
        json!({"userID": "b"})
    );
    let mut last = Member::connect(&server, "c").await;
    let stopping = tokio::spawn(server.stop());
    assert_eq!(last.close_code().await, 1001);
    assert!(stopping.await.unwrap().success());
}

#[tokio::test]
async fn profiles_batch_sends_unread_resets_and_refused_applications() {
    let (server, admin) = start().await;
    let g = group(&admin, "Public").await;
    let mut a = Member::connect(&server, "a").await;
    let mut b = Member::connect(&server, "b").await;
    let mut c = Member::connect(&server, "c").await;
    a.ok("setSelfInfo", json!({"Tag_Profile_IM_Nick": "Ann"}))
        .await;
    let users = b.ok("getUsersInfo", json!({"userIDList": ["a"]})).await;
    assert_eq!(users["userList"][0]["To_Account"], "a");
    let nick = users["userList"][0]["ProfileItem"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["Tag"] == "Tag_Profile_IM_Nick")
        .cloned()
        .unwrap();
    assert_eq!(nick["Value"], "Ann");
    assert_eq!(
        a.err("setSelfInfo", json!({"Tag_Profile_IM_Gender": "nope"}))
            .await,
        40605
    );
    // A system notification reaches the connected members it names, and is stored nowhere.
    admin
        .call_ok(
            "group_open_http_svc/send_group_system_notification",
            json!({"GroupId": g, "Content": "maintenance", "ToMembers_Account": ["b"]}),
        )
        .await;
    let e = b.event("onRecvGroupSystemNotification").await;
    assert_eq!(e, json!({"groupID": g, "content": "maintenance"}));
    a.no_event("onRecvGroupSystemNotification").await;
    // batchsendmsg reaches every receiver.
    admin
        .call_ok(
            "openim/batchsendmsg",
            json!({"From_Account": "a", "To_Account": ["b", "c"], "MsgRandom": 9, "MsgBody": text("all")}),
        )
        .await;
    for m in [&mut b, &mut c] {
        let e = m.event("onRecvNewMessage").await;
        assert_eq!(e["userID"], "a");
        assert_eq!(e["message"]["MsgBody"], text("all"));
    }
    // set_unread_msg_num changes the member's conversation.
    rest_send(&admin, &g, "a", "x").await;
    b.event("onRecvNewMessage").await;
    admin
        .call_ok(
            "group_open_http_svc/set_unread_msg_num",
            json!({"GroupId": g, "Member_Account": "b", "UnreadMsgNum": 0}),
        )
        .await;
    let e = b.event("onConversationChanged").await;
    assert_eq!(
        e["conversations"][0]["conversationID"],
        format!("group_{g}")
    );
    // A refused application leaves the applicant out.
    admin
        .call_ok(
            "group_open_http_svc/modify_group_base_info",
            json!({"GroupId": g, "ApplyJoinOption": "NeedPermission"}),
        )
        .await;
    assert_eq!(
        c.ok("joinGroup", json!({"groupID": g})).await["pending"],
        true
    );
    a.event("onReceiveJoinApplication").await;
    a.ok(
        "refuseGroupApplication",
        json!({"groupID": g, "userID": "c"}),
    )
    .await;
    assert_eq!(
        c.err("getGroupHistoryMessageList", json!({"groupID": g}))
            .await,
        10007
    );
    assert_eq!(
        a.err(
            "acceptGroupApplication",
            json!({"groupID": g, "userID": "c"})
        )
        .await,
        10004
    );
    // Online-only messages reach connected members and stay out of history.
    a.ok(
        "sendMessage",
        json!({"groupID": g, "msgBody": text("now only"), "onlineUserOnly": true}),
    )
    .await;
    let e = b.event("onRecvNewMessage").await;
    assert_eq!(e["message"]["MsgBody"], text("now only"));
    let h = b
        .ok("getGroupHistoryMessageList", json!({"groupID": g}))
        .await;
    assert_eq!(texts(&h), ["x"]);
}

/// A join application is kept by the store: the owner, offline when it was made, finds it
/// with getGroupApplicationList after a restart, and accepts it.
#[tokio::test]
async fn a_pending_application_outlives_a_restart() {
    let (app, dir) = (common::TestApp::random(), common::DataDir::new());
    let options = ServerOptions {
        apps: vec![app],
        data_dir: Some(dir),
        ..Default::default()
    };
    let server = TestServer::start_with(options.clone()).await;
    let admin = server.client();
    import_accounts(&admin, &["a", "b", "c"]).await;
    let g = admin
        .call_ok(
            "group_open_http_svc/create_group",
            json!({"Type": "Public", "Name": "g", "Owner_Account": "a",
                   "ApplyJoinOption": "NeedPermission"}),
        )
        .await["GroupId"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut c = Member::connect(&server, "c").await;
    let pending = c
        .ok("joinGroup", json!({"groupID": g, "message": "hello"}))
        .await;
    assert_eq!(pending, json!({"joined": false, "pending": true}));
    // Only the owner and admins see it.
    let none = c.ok("getGroupApplicationList", json!({})).await;
    assert_eq!(none["applicationList"], json!([]));
    drop(c);
    server.stop().await;

    let server = TestServer::start_with(options).await;
    let mut a = Member::connect(&server, "a").await;
    let list = a.ok("getGroupApplicationList", json!({})).await;
    let list = list["applicationList"].as_array().unwrap().clone();
    assert_eq!(list.len(), 1, "{list:?}");
    assert_eq!(list[0]["groupID"], g.as_str());
    assert_eq!(list[0]["fromUser"], "c");
    assert_eq!(list[0]["requestMsg"], "hello");
    assert!(list[0]["addTime"].as_i64().unwrap() > 0);
    a.ok(
        "acceptGroupApplication",
        json!({"groupID": g, "userID": "c"}),
    )
    .await;
    let admin = server.client();
    let roles = admin
        .call_ok(
            "group_open_http_svc/get_role_in_group",
            json!({"GroupId": g, "User_Account": ["c"]}),
        )
        .await;
    assert_eq!(roles["UserIdList"][0]["Role"], "Member");
    // Accepted: a's list is empty, and refusing it now finds nothing (10004).
    let list = a.ok("getGroupApplicationList", json!({})).await;
    assert_eq!(list["applicationList"], json!([]));
    let gone = json!({"groupID": g, "userID": "c"});
    assert_eq!(a.err("refuseGroupApplication", gone).await, 10004);
}

/// A member's sends meet the app's blocking words and regular expressions as REST sends do:
/// 80001 for one-to-one and group messages, and the recipient receives nothing.
#[tokio::test]
async fn a_member_send_holding_a_blocking_word_or_pattern_is_refused() {
    let (server, admin) = start().await;
    let g = group(&admin, "Public").await;
    admin
        .call_ok(
            "im_msg_audit_mgr/add_local_audit_keywords",
            json!({"SdkAppId": server.apps[0].sdkappid, "LocalAuditWords": [
                {"Keyword": "[0-9]{3}-[0-9]{4}", "WordType": 2, "FilterType": 2},
                {"Keyword": "fraud", "WordType": 1, "FilterType": 2}]}),
        )
        .await;
    let mut a = Member::connect(&server, "a").await;
    let mut b = Member::connect(&server, "b").await;
    for t in ["call 555-1234", "fraud"] {
        assert_eq!(
            b.err("sendMessage", json!({"userID": "a", "msgBody": text(t)}))
                .await,
            80001,
            "{t}"
        );
        assert_eq!(
            b.err("sendMessage", json!({"groupID": g, "msgBody": text(t)}))
                .await,
            80001,
            "{t}"
        );
    }
    a.no_event("onRecvNewMessage").await;
    b.ok(
        "sendMessage",
        json!({"userID": "a", "msgBody": text("55-12")}),
    )
    .await;
    assert_eq!(
        a.event("onRecvNewMessage").await["message"]["MsgBody"],
        text("55-12")
    );
}
