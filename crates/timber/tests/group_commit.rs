//! PostgreSQL's group commit (`crates/store/src/postgres/commit.rs`): sends into one group
//! waiting on a node share one transaction, a write refused or failing in it fails alone,
//! and MsgSeq stays unique and gap-free across nodes. Skipped (loudly) without
//! `TIMBER_TEST_POSTGRES_URL`.

mod common;

use common::{next_msg_seq, text, Client, PgSchema, ServerOptions, TestApp, TestServer};
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

const SEND: &str = "group_open_http_svc/send_group_msg";

async fn nodes(n: usize) -> Option<(Arc<PgSchema>, Vec<TestServer>)> {
    if std::env::var("TIMBER_TEST_POSTGRES_URL").is_err() {
        eprintln!("NOTE: TIMBER_TEST_POSTGRES_URL is not set: group commit tests SKIPPED");
        return None;
    }
    let pg: Arc<PgSchema> = PgSchema::create().await;
    let options = ServerOptions {
        apps: vec![TestApp::random()],
        storage: Some(pg.url.clone()),
        pg: Some(pg.clone()),
        ..ServerOptions::default()
    };
    let mut servers = Vec::new();
    for _ in 0..n {
        servers.push(TestServer::start_with(options.clone()).await);
    }
    Some((pg, servers))
}

/// Accounts `o` (owner) and `m` (member) and the Public group `g` of both.
async fn group_of_two(c: &Client) {
    c.call_ok(
        "im_open_login_svc/multiaccount_import",
        json!({"Accounts": ["o", "m", "outsider"]}),
    )
    .await;
    c.call_ok(
        "group_open_http_svc/create_group",
        json!({"Type": "Public", "GroupId": "g", "Name": "g", "Owner_Account": "o",
               "MemberList": [{"Member_Account": "m"}]}),
    )
    .await;
}

/// One node with the group of [`group_of_two`] (`None`: no PostgreSQL to test on).
async fn one_node_with_group() -> Option<(Arc<PgSchema>, TestServer)> {
    let (pg, mut servers) = nodes(1).await?;
    let server = servers.pop()?;
    group_of_two(&server.client()).await;
    Some((pg, server))
}

/// A store gauge from `/metrics` (absent: `None`).
async fn gauge(server: &TestServer, name: &str) -> Option<u64> {
    let (_, body) = server.get("/metrics").await;
    body.lines()
        .find(|l| l.starts_with(name) && l[name.len()..].starts_with(' '))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse::<f64>().ok())
        .map(|v| v as u64)
}

/// Every (MsgSeq, text) of the group's history, oldest first.
async fn history(c: &Client, gid: &str) -> Vec<(u64, String)> {
    let r = c
        .call_ok(
            "group_open_http_svc/group_msg_get_simple",
            json!({"GroupId": gid, "ReqMsgNumber": 20}),
        )
        .await;
    let mut out: Vec<(u64, String)> = r["RspMsgList"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["MsgSeq"].as_u64().unwrap(),
                m["MsgBody"][0]["MsgContent"]["Text"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
            )
        })
        .collect();
    out.sort();
    out
}

/// What one send of a queued batch was and what it was answered.
struct Sent {
    from: &'static str,
    body: String,
    answer: serde_json::Value,
}

/// Sends `first` alone while another transaction holds the group's row, then the eight
/// `queued` (sender, text) behind it in the group's lane, and releases the row: the eight
/// run in one batch. The answers of all nine, `first`'s first.
async fn one_batch_after_another(
    pg: &PgSchema,
    server: &TestServer,
    queued: Vec<(&'static str, String)>,
) -> Vec<Sent> {
    assert_eq!(queued.len(), 8);
    let c = server.client();
    let lock = timber_store::postgres::testing::lock_rows(
        &pg.url,
        "SELECT 1 FROM groups WHERE group_id = 'g' FOR UPDATE",
    )
    .await
    .unwrap();
    let send = |from: &'static str, random: u32, body: String| {
        let c = c.clone();
        tokio::spawn(async move {
            c.call(
                SEND,
                json!({"GroupId": "g", "From_Account": from, "Random": random, "MsgBody": text(&body)}),
            )
            .await
        })
    };
    let first = send("m", 100, "first".into());
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut sends = Vec::new();
    for (i, (from, body)) in queued.into_iter().enumerate() {
        sends.push((from, body.clone(), send(from, i as u32, body)));
    }
    let mut waiting = 0;
    for _ in 0..100 {
        waiting = gauge(server, "timber_store_writer_queue").await.unwrap();
        if waiting == 8 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Released before any assertion: a test failing with the lock held would leave its
    // schema undroppable.
    lock.release().await.unwrap();
    assert_eq!(waiting, 8, "the eight sends wait in the group's lane");
    let mut out = vec![Sent {
        from: "m",
        body: "first".into(),
        answer: first.await.unwrap(),
    }];
    for (from, body, answer) in sends {
        out.push(Sent {
            from,
            body,
            answer: answer.await.unwrap(),
        });
    }
    assert_eq!(
        gauge(server, "timber_store_writer_last_batch").await,
        Some(8),
        "the eight shared one transaction"
    );
    out
}

/// The eight sends after the first: `m`'s, the sixth from a non-member and, with `poison`,
/// the fourth a body the database refuses.
fn queued(poison: bool) -> Vec<(&'static str, String)> {
    (0..8)
        .map(|i| match i {
            3 if poison => ("m", "poison".to_owned()),
            5 => ("outsider", "not a member".to_owned()),
            _ => ("m", format!("ok {i}")),
        })
        .collect()
}

/// Checks every answer against what was sent (a `poison` body fails with 10002, the
/// outsider with 10007) and that the stored history is exactly the accepted sends, with
/// seqs 1..=n; answers the seqs stored.
async fn check_answers(c: &Client, sent: &[Sent]) -> Vec<u64> {
    let mut stored = Vec::new();
    for s in sent {
        if s.body == "poison" {
            assert_eq!(s.answer["ActionStatus"], "FAIL", "{}", s.answer);
            assert_eq!(s.answer["ErrorCode"], 10002, "internal error: {}", s.answer);
        } else if s.from == "outsider" {
            assert_eq!(s.answer["ErrorCode"], 10007, "not a member: {}", s.answer);
        } else {
            assert_eq!(s.answer["ActionStatus"], "OK", "{}", s.answer);
            stored.push((s.answer["MsgSeq"].as_u64().unwrap(), s.body.clone()));
        }
    }
    stored.sort();
    let seqs: Vec<u64> = stored.iter().map(|(s, _)| *s).collect();
    let n = seqs.len() as u64;
    assert_eq!(
        seqs,
        (1..=n).collect::<Vec<_>>(),
        "none skipped, none taken twice"
    );
    assert_eq!(history(c, "g").await, stored);
    assert_eq!(next_msg_seq(c, "g").await, n + 1);
    seqs
}

/// How many transactions committed the group's messages of `seqs` (their rows' `xmin`).
async fn transactions(pg: &PgSchema, seqs: &[u64]) -> usize {
    let list: Vec<String> = seqs.iter().map(u64::to_string).collect();
    let xmins = timber_store::postgres::testing::query_texts(
        &pg.url,
        &format!(
            "SELECT DISTINCT m.xmin::text FROM group_messages m JOIN groups g ON g.gkey = m.gkey
             WHERE g.group_id = 'g' AND m.seq IN ({})",
            list.join(", ")
        ),
    )
    .await
    .unwrap();
    xmins.len()
}

#[tokio::test]
async fn a_refused_write_in_a_batch_is_refused_alone_and_the_others_commit_together() {
    let Some((pg, server)) = one_node_with_group().await else {
        return;
    };
    let c = server.client();
    let sent = one_batch_after_another(&pg, &server, queued(false)).await;
    let seqs = check_answers(&c, &sent).await;
    assert_eq!(seqs.len(), 8);
    // The seven accepted of the batch (after the first, alone) in one transaction.
    assert_eq!(
        transactions(&pg, &seqs[1..]).await,
        1,
        "the batch went on past its refusal"
    );
}

#[tokio::test]
async fn a_failing_write_in_a_batch_fails_alone_and_the_others_commit() {
    let Some((pg, server)) = one_node_with_group().await else {
        return;
    };
    let c = server.client();
    // The database refuses one message (a test's own constraint): its INSERT fails in the
    // middle of the batch, after the writes before it and before those after it.
    server
        .execute_sql(
            "",
            "ALTER TABLE group_messages ADD CONSTRAINT test_poison CHECK (body NOT LIKE '%poison%')",
        )
        .await;
    let sent = one_batch_after_another(&pg, &server, queued(true)).await;
    let seqs = check_answers(&c, &sent).await;
    assert_eq!(seqs.len(), 7);
}

#[tokio::test]
async fn many_sends_into_one_group_through_two_nodes_take_every_seq_once() {
    let Some((_pg, servers)) = nodes(2).await else {
        return;
    };
    let clients: Vec<Client> = servers.iter().map(|s| s.client()).collect();
    group_of_two(&clients[0]).await;
    let per_node = 150u32;
    let mut sends = Vec::new();
    for (node, client) in clients.iter().enumerate() {
        for n in 0..per_node {
            let client = client.clone();
            let body = format!("{node}-{n}");
            let random = node as u32 * 1_000 + n;
            sends.push(tokio::spawn(async move {
                let r = client
                    .call_ok(
                        SEND,
                        json!({"GroupId": "g", "From_Account": "m", "Random": random, "MsgBody": text(&body)}),
                    )
                    .await;
                (r["MsgSeq"].as_u64().unwrap(), body)
            }));
        }
    }
    let mut sent = Vec::new();
    for s in sends {
        sent.push(s.await.unwrap());
    }
    sent.sort();
    let total = 2 * u64::from(per_node);
    let seqs: Vec<u64> = sent.iter().map(|(s, _)| *s).collect();
    assert_eq!(
        seqs,
        (1..=total).collect::<Vec<_>>(),
        "unique and gap-free across nodes"
    );
    for c in &clients {
        assert_eq!(next_msg_seq(c, "g").await, total + 1);
    }
    // Each answer's seq holds that send's message (the newest page, read on the other node).
    let newest = history(&clients[1], "g").await;
    assert_eq!(newest, sent[sent.len() - 20..].to_vec());
    // The sends did share transactions: fewer batches than sends on some node.
    let mut batches = 0;
    for s in &servers {
        batches += gauge(s, "timber_store_writer_batches").await.unwrap_or(0);
    }
    assert!(
        batches < total,
        "{batches} batches for {total} sends: no batch held two"
    );
}
