//! End-to-end: members on several nodes (members.md §6) — two timber processes on one
//! PostgreSQL database, real WebSocket clients. A member connected to node A hears what was
//! written through node B (group and one-to-one messages, in commit order, join applications,
//! system notifications), online status, kicks, AVChatRoom presence and bans work across the
//! nodes, and the connections of a node that died expire.
//! Skipped (loudly) without `TIMBER_TEST_POSTGRES_URL`.

mod common;

use common::{import_accounts, text, Client, PgSchema, ServerOptions, TestApp, TestServer};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

const WAIT: Duration = Duration::from_secs(10);
/// The dead-node TTL the servers run with (`TIMBER_MEMBER_NODE_TTL_SECS`).
const TTL_SECS: u64 = 2;

/// A connected member: notifications in arrival order, answers by id.
struct Member {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    next_id: u64,
    closed: Option<u16>,
}

impl Member {
    async fn connect(server: &TestServer, user: &str) -> Member {
        let app = &server.apps[0];
        let url = format!(
            "{}/v1/member?sdkappid={}&identifier={user}&usersig={}",
            server.base.replacen("http://", "ws://", 1),
            app.sdkappid,
            app.sig(user)
        );
        let (ws, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
        Member {
            ws,
            next_id: 1,
            closed: None,
        }
    }

    async fn frame(&mut self, within: Duration) -> Option<Value> {
        loop {
            match tokio::time::timeout(within, self.ws.next()).await.ok()?? {
                Ok(Message::Text(t)) => return Some(serde_json::from_str(&t).unwrap()),
                Ok(Message::Close(f)) => {
                    self.closed = Some(f.map(|f| u16::from(f.code)).unwrap_or(1005));
                    return None;
                }
                Ok(_) => continue,
                Err(_) => {
                    self.closed.get_or_insert(1006);
                    return None;
                }
            }
        }
    }

    /// The next notification named `method` (others before it are dropped).
    async fn event(&mut self, method: &str) -> Value {
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

    /// No notification named `method` within a short wait.
    async fn no_event(&mut self, method: &str) {
        while let Some(f) = self.frame(Duration::from_millis(500)).await {
            assert_ne!(f["method"], method, "unexpected {f}");
        }
    }

    async fn ok(&mut self, method: &str, params: Value) -> Value {
        let f = self.call(method, params).await;
        assert!(f.get("error").is_none(), "{method}: {f}");
        f["result"].clone()
    }

    /// The error code of a call that must fail.
    async fn err(&mut self, method: &str, params: Value) -> i64 {
        let f = self.call(method, params).await;
        f["error"]["code"]
            .as_i64()
            .unwrap_or_else(|| panic!("{method} should fail: {f}"))
    }

    /// The answer frame of one request.
    async fn call(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        let req = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
        self.ws
            .send(Message::Text(req.to_string().into()))
            .await
            .unwrap();
        loop {
            let f = self.frame(WAIT).await.expect("an answer");
            if f["id"] == id {
                return f;
            }
        }
    }

    async fn close_code(&mut self) -> u16 {
        while self.closed.is_none() {
            if self.frame(WAIT).await.is_none() && self.closed.is_none() {
                panic!("the connection did not close");
            }
        }
        self.closed.unwrap()
    }
}

/// Two servers hosting the same app on one fresh schema, with a short dead-node TTL.
async fn two_nodes() -> Option<(TestServer, TestServer)> {
    let mut nodes = nodes(2).await?;
    let b = nodes.pop()?;
    Some((nodes.pop()?, b))
}

/// `n` servers hosting the same app on one fresh schema, with a short dead-node TTL.
async fn nodes(n: usize) -> Option<Vec<TestServer>> {
    if std::env::var("TIMBER_TEST_POSTGRES_URL").is_err() {
        eprintln!("NOTE: TIMBER_TEST_POSTGRES_URL is not set: member multi-node tests SKIPPED");
        return None;
    }
    let pg: Arc<PgSchema> = PgSchema::create().await;
    let options = ServerOptions {
        apps: vec![TestApp::random()],
        storage: Some(pg.url.clone()),
        pg: Some(pg),
        env: vec![("TIMBER_MEMBER_NODE_TTL_SECS".into(), TTL_SECS.to_string())],
        ..ServerOptions::default()
    };
    let mut nodes = Vec::new();
    for _ in 0..n {
        nodes.push(TestServer::start_with(options.clone()).await);
    }
    Some(nodes)
}

async fn status(admin: &Client, user: &str) -> Value {
    let r = admin
        .call_ok(
            "openim/query_online_status",
            json!({"To_Account": [user], "IsNeedDetail": 1}),
        )
        .await;
    r["QueryResult"][0].clone()
}

/// Waits until `admin`'s node reports `user` as `want`; how long it took.
async fn until_status(admin: &Client, user: &str, want: &str, within: Duration) -> Duration {
    let start = Instant::now();
    loop {
        let s = status(admin, user).await;
        if s["Status"] == want {
            return start.elapsed();
        }
        assert!(
            start.elapsed() < within,
            "{user} still {s} after {within:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// `per_node` sends into `g` through each of `admins` at once; their MsgSeqs, sorted.
async fn concurrent_sends(admins: &[Client], g: &str, per_node: u32) -> Vec<u64> {
    let mut sends = Vec::new();
    for (i, admin) in admins.iter().enumerate() {
        for k in 0..per_node {
            let (admin, g) = (admin.clone(), g.to_owned());
            sends.push(tokio::spawn(async move {
                admin
                    .call_ok(
                        "group_open_http_svc/send_group_msg",
                        json!({"GroupId": g, "From_Account": "o",
                               "Random": 100 + i as u32 * 1000 + k, "MsgBody": text("x")}),
                    )
                    .await["MsgSeq"]
                    .as_u64()
                    .unwrap()
            }));
        }
    }
    let mut seqs = Vec::new();
    for s in sends {
        seqs.push(s.await.unwrap());
    }
    seqs.sort_unstable();
    seqs
}

fn seq_of(event: &Value) -> u64 {
    event["message"]["MsgSeq"].as_u64().unwrap()
}

#[tokio::test]
async fn members_on_one_node_hear_writes_through_the_other_in_commit_order() {
    let Some((a, b)) = two_nodes().await else {
        return;
    };
    let (on_a, on_b) = (a.client(), b.client());
    import_accounts(&on_a, &["o", "m", "n"]).await;
    let g = on_b
        .call_ok(
            "group_open_http_svc/create_group",
            json!({"Type": "Public", "Name": "g", "Owner_Account": "o",
                   "MemberList": [{"Member_Account": "m"}, {"Member_Account": "n"}]}),
        )
        .await["GroupId"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut m = Member::connect(&a, "m").await;
    // B knows of A's member: online status across nodes, with the platform.
    until_status(&on_b, "m", "Online", WAIT).await;
    assert_eq!(status(&on_b, "m").await["Detail"][0]["Platform"], "Web");
    assert_eq!(status(&on_b, "n").await["Status"], "Offline");

    // A group message through B reaches the member on A.
    let sent = on_b
        .call_ok(
            "group_open_http_svc/send_group_msg",
            json!({"GroupId": g, "From_Account": "o", "Random": 1, "MsgBody": text("from b")}),
        )
        .await;
    let got = m.event("onRecvNewMessage").await;
    assert_eq!(got["groupID"], g);
    assert_eq!(got["message"]["MsgBody"][0]["MsgContent"]["Text"], "from b");
    assert_eq!(seq_of(&got), sent["MsgSeq"].as_u64().unwrap());

    // A member on B sends: the member on A hears it, the sender's own connection does not.
    let mut n = Member::connect(&b, "n").await;
    until_status(&on_a, "n", "Online", WAIT).await;
    n.ok(
        "sendMessage",
        json!({"groupID": g, "msgBody": text("from n")}),
    )
    .await;
    let got = m.event("onRecvNewMessage").await;
    assert_eq!(got["message"]["From_Account"], "n");
    n.no_event("onRecvNewMessage").await;

    // Concurrent sends through both nodes: every member hears each one once, in MsgSeq order
    // (one group's writes commit in MsgSeq order).
    let per_node = 25u32;
    let seqs = concurrent_sends(&[on_a.clone(), on_b.clone()], &g, per_node).await;
    for member in [&mut m, &mut n] {
        let mut heard = Vec::new();
        while heard.len() < seqs.len() {
            heard.push(seq_of(&member.event("onRecvNewMessage").await));
        }
        assert_eq!(heard, seqs, "in commit order, each once");
    }

    // A one-to-one message through A reaches the member on B.
    on_a.call_ok(
        "openim/sendmsg",
        json!({"From_Account": "m", "To_Account": "n", "MsgRandom": 7, "MsgBody": text("hi n")}),
    )
    .await;
    let got = n.event("onRecvNewMessage").await;
    assert_eq!(got["message"]["MsgBody"][0]["MsgContent"]["Text"], "hi n");

    // A kick through B closes the member's connection on A.
    on_b.call_ok("im_open_login_svc/kick", json!({"UserID": "m"}))
        .await;
    m.event("onKickedOffline").await;
    assert_eq!(m.close_code().await, 4001);
    until_status(&on_b, "m", "Offline", WAIT).await;
    n.ok("getLoginUser", json!({})).await;
}

/// Three nodes, a member on each: sends through every node at once take gap-free MsgSeqs and
/// reach every member in that order; a recall, a clear and kicks through any node reach the
/// members on every node.
#[tokio::test]
async fn three_nodes_reach_the_members_on_every_node() {
    let Some(nodes) = nodes(3).await else {
        return;
    };
    let admins: Vec<Client> = nodes.iter().map(TestServer::client).collect();
    let users = ["m0", "m1", "m2"];
    import_accounts(&admins[0], &["o", "m0", "m1", "m2"]).await;
    let g = admins[2]
        .call_ok(
            "group_open_http_svc/create_group",
            json!({"Type": "Public", "Name": "g", "Owner_Account": "o",
                   "MemberList": users.map(|u| json!({"Member_Account": u}))}),
        )
        .await["GroupId"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut members = Vec::new();
    for (i, node) in nodes.iter().enumerate() {
        members.push(Member::connect(node, users[i]).await);
        // The next node knows of it: its connection is registered.
        until_status(&admins[(i + 1) % 3], users[i], "Online", WAIT).await;
    }

    let per_node = 15u32;
    let seqs = concurrent_sends(&admins, &g, per_node).await;
    let first = seqs[0];
    let expected: Vec<u64> = (first..first + u64::from(per_node) * 3).collect();
    assert_eq!(seqs, expected, "gap-free and unique across the nodes");
    for member in &mut members {
        let mut heard = Vec::new();
        while heard.len() < seqs.len() {
            heard.push(seq_of(&member.event("onRecvNewMessage").await));
        }
        assert_eq!(heard, seqs, "in commit order, each once");
    }

    // A recall through node 1, a clear through node 2.
    admins[1]
        .call_ok(
            "group_open_http_svc/group_msg_recall",
            json!({"GroupId": g, "MsgSeqList": [{"MsgSeq": first}]}),
        )
        .await;
    for member in &mut members {
        assert_eq!(member.event("onRecvMessageRevoked").await["msgSeq"], first);
    }
    admins[2]
        .call_ok("group_open_http_svc/clear_group_msg", json!({"GroupId": g}))
        .await;
    let last = *seqs.last().unwrap();
    for member in &mut members {
        let e = member.event("onGroupHistoryCleared").await;
        assert_eq!(e, json!({"groupID": g, "msgSeq": last, "byAdmin": true}));
    }

    // Each member kicked through the next node.
    for (i, member) in members.iter_mut().enumerate() {
        admins[(i + 1) % 3]
            .call_ok("im_open_login_svc/kick", json!({"UserID": users[i]}))
            .await;
        member.event("onKickedOffline").await;
        assert_eq!(member.close_code().await, 4001);
    }
    for (i, user) in users.iter().enumerate() {
        until_status(&admins[(i + 2) % 3], user, "Offline", WAIT).await;
    }
}

#[tokio::test]
async fn the_connections_of_a_dead_node_expire() {
    let Some((a, b)) = two_nodes().await else {
        return;
    };
    let on_b = b.client();
    import_accounts(&on_b, &["d"]).await;
    let _d = Member::connect(&a, "d").await;
    until_status(&on_b, "d", "Online", WAIT).await;
    // Killed without a chance to say goodbye: its rows stay until its heartbeat is stale.
    let killed = std::process::Command::new("kill")
        .args(["-9", &a.pid().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let took = until_status(&on_b, "d", "Offline", Duration::from_secs(TTL_SECS * 3 + 5)).await;
    eprintln!("a dead node's member went offline after {took:?}");
}

#[tokio::test]
async fn a_node_that_stops_takes_its_connections_along_at_once() {
    let Some((a, b)) = two_nodes().await else {
        return;
    };
    let on_b = b.client();
    import_accounts(&on_b, &["s"]).await;
    let mut s = Member::connect(&a, "s").await;
    until_status(&on_b, "s", "Online", WAIT).await;
    let stopping = tokio::spawn(a.stop());
    assert_eq!(s.close_code().await, 1001);
    stopping.await.unwrap();
    // Well before the TTL would have expired it.
    until_status(
        &on_b,
        "s",
        "Offline",
        Duration::from_millis(TTL_SECS * 1000 / 2),
    )
    .await;
}

/// The count and the check of an AVChatRoom's present members through `admin`'s node.
async fn room_view(admin: &Client, room: &str, who: &[&str]) -> (u64, Value) {
    let num = admin
        .call_ok(
            "group_open_http_svc/get_online_member_num",
            json!({"GroupId": room}),
        )
        .await["OnlineMemberNum"]
        .as_u64()
        .unwrap();
    let checked = admin
        .call_ok(
            "group_open_avchatroom_http_svc/check_members",
            json!({"GroupId": room, "Member_Account": who}),
        )
        .await;
    (num, checked["Member_Account"].clone())
}

#[tokio::test]
async fn applications_notifications_and_room_presence_cross_nodes() {
    let Some((a, b)) = two_nodes().await else {
        return;
    };
    let (on_a, on_b) = (a.client(), b.client());
    import_accounts(&on_a, &["o", "p", "r1", "r2"]).await;
    let g = on_b
        .call_ok(
            "group_open_http_svc/create_group",
            json!({"Type": "Public", "Name": "np", "Owner_Account": "o",
                   "ApplyJoinOption": "NeedPermission"}),
        )
        .await["GroupId"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut o = Member::connect(&a, "o").await;
    let mut p = Member::connect(&b, "p").await;
    until_status(&on_b, "o", "Online", WAIT).await;
    until_status(&on_a, "p", "Online", WAIT).await;

    // An application made on B reaches the owner on A, who finds it listed and accepts it.
    let joined = p
        .ok("joinGroup", json!({"groupID": g, "message": "me too"}))
        .await;
    assert_eq!(joined, json!({"joined": false, "pending": true}));
    let heard = o.event("onReceiveJoinApplication").await;
    assert_eq!(heard["member"]["userID"], "p");
    assert_eq!(heard["opReason"], "me too");
    let list = o.ok("getGroupApplicationList", json!({})).await;
    assert_eq!(list["applicationList"][0]["fromUser"], "p");
    assert_eq!(list["applicationList"][0]["requestMsg"], "me too");
    o.ok(
        "acceptGroupApplication",
        json!({"groupID": g, "userID": "p"}),
    )
    .await;
    assert_eq!(
        p.event("onMemberEnter").await["memberList"][0]["userID"],
        "p"
    );
    let roles = on_b
        .call_ok(
            "group_open_http_svc/get_role_in_group",
            json!({"GroupId": g, "User_Account": ["p"]}),
        )
        .await;
    assert_eq!(roles["UserIdList"][0]["Role"], "Member");
    // Answered once: a second answer finds none (10004), and the list is empty.
    let again = json!({"groupID": g, "userID": "p"});
    assert_eq!(o.err("refuseGroupApplication", again).await, 10004);
    let list = o.ok("getGroupApplicationList", json!({})).await;
    assert_eq!(list["applicationList"], json!([]));

    // A system notification sent through A reaches the member on B.
    on_a.call_ok(
        "group_open_http_svc/send_group_system_notification",
        json!({"GroupId": g, "Content": "maintenance at noon"}),
    )
    .await;
    let note = p.event("onRecvGroupSystemNotification").await;
    assert_eq!(note["content"], "maintenance at noon");

    // AVChatRoom presence is counted by every node; a ban through A drops a member on B.
    let room = on_a
        .call_ok(
            "group_open_http_svc/create_group",
            json!({"Type": "AVChatRoom", "Name": "live", "Owner_Account": "o"}),
        )
        .await["GroupId"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut r1 = Member::connect(&a, "r1").await;
    let mut r2 = Member::connect(&b, "r2").await;
    r1.ok("joinGroup", json!({"groupID": room})).await;
    r2.ok("joinGroup", json!({"groupID": room})).await;
    for admin in [&on_a, &on_b] {
        let (num, present) = room_view(admin, &room, &["r1", "r2", "p"]).await;
        assert_eq!((num, present), (2, json!(["r1", "r2"])));
    }
    on_a.call_ok(
        "group_open_http_svc/ban_group_member",
        json!({"GroupId": room, "Members_Account": ["r2"], "Duration": 60}),
    )
    .await;
    for m in [&mut r1, &mut r2] {
        let kicked = m.event("onMemberKicked").await;
        assert_eq!(kicked["memberList"][0]["userID"], "r2");
    }
    for admin in [&on_a, &on_b] {
        let (num, present) = room_view(admin, &room, &["r1", "r2"]).await;
        assert_eq!((num, present), (1, json!(["r1"])));
    }
    // The banned member is out on its own node too: a room message does not reach it.
    on_a.call_ok(
        "group_open_http_svc/send_group_msg",
        json!({"GroupId": room, "From_Account": "o", "Random": 5, "MsgBody": text("live")}),
    )
    .await;
    assert_eq!(r1.event("onRecvNewMessage").await["groupID"], room);
    r2.no_event("onRecvNewMessage").await;
    // Leaving on A is seen through B.
    r1.ok("quitGroup", json!({"groupID": room})).await;
    let (num, _) = room_view(&on_b, &room, &["r1"]).await;
    assert_eq!(num, 0);
}

/// Official accounts across nodes: a subscriber connected to node B hears the broadcasts and
/// recalls sent through node A, and the subscription changes made through A (add, MsgFlag)
/// change B's delivery at once; a member subscribing on B hears what A sends.
#[tokio::test]
async fn official_broadcasts_reach_subscribers_on_another_node() {
    let Some((a, b)) = two_nodes().await else {
        return;
    };
    let (on_a, on_b) = (a.client(), b.client());
    import_accounts(&on_a, &["owner", "s", "t"]).await;
    let oa = |cmd: &str| format!("official_account_open_http_svc/{cmd}");
    let id = "@TOA#_nodes";
    on_a.call_ok(
        &oa("create_official_account"),
        json!({"Owner_Account": "owner", "OfficialAccountUserID": id, "Name": "Nodes"}),
    )
    .await;
    let mut s = Member::connect(&b, "s").await;
    let mut t = Member::connect(&b, "t").await;
    until_status(&on_a, "s", "Online", WAIT).await;
    until_status(&on_a, "t", "Online", WAIT).await;

    on_a.call_ok(
        &oa("add_subscriber"),
        json!({"Official_Account": id, "SubscriberList": [{"Subscriber_Account": "s"}]}),
    )
    .await;
    assert_eq!(
        s.event("onOfficialAccountSubscribed").await["officialAccountID"],
        id
    );
    let broadcast = |random: u32, body: &str| {
        let on_a = on_a.clone();
        let body = text(body);
        async move {
            on_a.call_ok(
                "official_account_open_http_svc/send_official_account_msg",
                json!({"Official_Account": id, "Random": random, "MsgBody": body}),
            )
            .await
        }
    };
    let sent = broadcast(1, "from a").await;
    let got = s.event("onRecvNewMessage").await;
    assert_eq!(got["officialAccountID"], id);
    assert_eq!(got["message"]["MsgKey"], sent["MsgKey"]);
    assert_eq!(got["message"]["MsgBody"][0]["MsgContent"]["Text"], "from a");
    on_a.call_ok(
        &oa("official_account_msg_recall"),
        json!({"Official_Account": id, "MsgKeyList": [sent["MsgKey"]]}),
    )
    .await;
    let got = s.event("onRecvMessageRevoked").await;
    assert_eq!(
        (&got["officialAccountID"], &got["msgKey"]),
        (&json!(id), &sent["MsgKey"])
    );

    // Discard through A: B stops delivering at once (the one-to-one message sent after the
    // broadcast is the next message s hears).
    on_a.call_ok(
        &oa("modify_subscriber_info"),
        json!({"Official_Account": id, "Subscriber_Account": "s", "MsgFlag": "Discard"}),
    )
    .await;
    s.event("onOfficialAccountMsgFlagChanged").await;
    // t subscribes through its own node.
    t.ok("subscribeOfficialAccount", json!({"officialAccountID": id}))
        .await;
    broadcast(2, "discarded").await;
    on_a.call_ok(
        "openim/sendmsg",
        json!({"From_Account": "owner", "To_Account": "s", "MsgRandom": 9, "MsgBody": text("marker")}),
    )
    .await;
    let got = s.event("onRecvNewMessage").await;
    assert_eq!(got["userID"], "owner", "a Discard subscriber heard {got}");
    let got = t.event("onRecvNewMessage").await;
    assert_eq!(got["officialAccountID"], id);
    assert_eq!(
        got["message"]["MsgBody"][0]["MsgContent"]["Text"],
        "discarded"
    );
    // Node B reads what both nodes wrote.
    let subs = on_b
        .call_ok(
            &oa("get_subscriber_info"),
            json!({"Official_Account": id, "Next": ""}),
        )
        .await;
    let flags: Vec<(&str, &str)> = subs["SubscriberList"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["Subscriber_Account"].as_str().unwrap(),
                s["MsgFlag"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(flags, [("s", "Discard"), ("t", "AcceptAndNotify")]);
}
