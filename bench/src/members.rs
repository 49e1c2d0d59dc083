//! The member scenarios (issue 27, members.md): real WebSocket member connections to
//! `/v1/member`, fed by REST writes.
//!
//! - `fanout`: one group of `fanout_members` connected members; REST `send_group_msg` into
//!   it from a few keep-alive connections, as fast as they are answered. Member deliveries
//!   per second, and per message the time from the send's answer to the last member
//!   receiving it (p50, p99). Saturated, that time is mostly the queue the senders build.
//! - `fanout_paced`: the same at a fixed rate, the one at which deliveries are 2 × the
//!   ceiling's requests per second (issue 27's throughput target): the latency at the target
//!   throughput rather than past it.
//! - `connections`: `idle_connections` member connections that do nothing: the server's RSS
//!   with them (and per connection beyond the idle server) and its CPU at rest.
//! - `c2c_live`: `c2c_pairs` pairs, each side connected; REST `sendmsg` from one side to the
//!   other; time from the send's start to the receiver's frame (p50, p99).

use crate::client::{Conn, Target};
use anyhow::Context;
use futures_util::StreamExt;
use hdrhistogram::Histogram;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemberScenario {
    Fanout,
    FanoutPaced,
    Connections,
    C2cLive,
}

impl MemberScenario {
    /// In the order they run: `connections` first, so that its RSS per connection is
    /// measured on a server whose heap the other scenarios have not grown (memory they free
    /// would be reused by the connections and hide part of their cost).
    pub const ALL: [MemberScenario; 4] = [
        MemberScenario::Connections,
        MemberScenario::Fanout,
        MemberScenario::FanoutPaced,
        MemberScenario::C2cLive,
    ];

    pub fn name(self) -> &'static str {
        match self {
            MemberScenario::Fanout => "fanout",
            MemberScenario::FanoutPaced => "fanout_paced",
            MemberScenario::Connections => "connections",
            MemberScenario::C2cLive => "c2c_live",
        }
    }

    pub fn parse(s: &str) -> Option<MemberScenario> {
        MemberScenario::ALL.into_iter().find(|x| x.name() == s)
    }
}

/// How big the member scenarios are.
#[derive(Clone, Copy, Debug)]
pub struct Sizes {
    pub fanout_members: usize,
    pub idle_connections: usize,
    pub c2c_pairs: usize,
    /// Concurrent REST connections sending.
    pub senders: usize,
    pub duration: Duration,
    /// The ceiling's requests per second in this run (`fanout_paced` sends at 2 × this
    /// divided by the group's members).
    pub ceiling: f64,
}

/// One member scenario's result, as a row of the members table.
pub struct MemberOutcome {
    pub scenario: MemberScenario,
    pub what: String,
    /// Deliveries (frames received by members) per second; REST requests per second too.
    pub deliveries_per_s: f64,
    pub sends_per_s: f64,
    pub latency: Option<Histogram<u64>>,
    pub rss_mib: f64,
    pub note: String,
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

fn member_url(addr: SocketAddr, t: &Target, user: &str) -> String {
    let sig = timber_usersig::generate(t.sdkappid, crate::server::KEY, user, 86_400, now());
    format!(
        "ws://{addr}/v1/member?sdkappid={}&identifier={user}&usersig={sig}",
        t.sdkappid
    )
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Connects `users`, 200 at a time.
async fn connect_all(addr: SocketAddr, t: &Target, users: &[String]) -> anyhow::Result<Vec<Ws>> {
    let mut out = Vec::with_capacity(users.len());
    for chunk in users.chunks(200) {
        let mut tasks = Vec::new();
        for u in chunk {
            let url = member_url(addr, t, u);
            tasks.push(tokio::spawn(async move {
                tokio_tungstenite::connect_async_with_config(&url, Some(client_config()), true)
                    .await
                    .map(|(ws, _)| ws)
            }));
        }
        for task in tasks {
            out.push(task.await?.context("a member connection")?);
        }
    }
    Ok(out)
}

/// The member clients' WebSocket settings. tungstenite zero-fills its read buffer before
/// every read, up to `read_buffer_size` (128 KiB by default): with the default, that
/// memset was 37 % of this client's CPU in `fanout` (perf), frames being ~400 bytes. The
/// server's member connections read into 1 KiB for the same reason.
fn client_config() -> tokio_tungstenite::tungstenite::protocol::WebSocketConfig {
    tokio_tungstenite::tungstenite::protocol::WebSocketConfig::default().read_buffer_size(4096)
}

async fn import(conn: &mut Conn, t: &Target, users: &[String]) -> anyhow::Result<()> {
    for chunk in users.chunks(100) {
        conn.call_ok(
            t,
            "im_open_login_svc/multiaccount_import",
            json!({ "Accounts": chunk }),
        )
        .await?;
    }
    Ok(())
}

fn text(s: &str) -> Value {
    json!([{"MsgType": "TIMTextElem", "MsgContent": {"Text": s}}])
}

/// Raises this process's open-file limit to the hard one (thousands of client sockets), as
/// timber does for itself (`crates/timber/src/open_files.rs`, the same `rlimit` crate).
pub fn raise_open_files() {
    if let Ok((soft, hard)) = rlimit::getrlimit(rlimit::Resource::NOFILE) {
        if soft < hard {
            let _ = rlimit::setrlimit(rlimit::Resource::NOFILE, hard, hard);
        }
    }
}

pub async fn run(
    s: MemberScenario,
    addr: SocketAddr,
    t: &Target,
    pid: u32,
    sizes: Sizes,
) -> anyhow::Result<MemberOutcome> {
    match s {
        MemberScenario::Fanout => fanout(addr, t, pid, sizes, None).await,
        MemberScenario::FanoutPaced => {
            let rate = 2.0 * sizes.ceiling / sizes.fanout_members as f64;
            fanout(addr, t, pid, sizes, Some(rate)).await
        }
        MemberScenario::Connections => connections(addr, t, pid, sizes).await,
        MemberScenario::C2cLive => c2c_live(addr, t, pid, sizes).await,
    }
}

/// What one member connection heard: (MsgSeq, when). Each reader has its own, so that the
/// readers share no lock: at 100,000 frames/s on the machine the server runs on, the
/// client's cost per frame is part of what is measured.
type Heard = Arc<Mutex<Vec<(u64, Instant)>>>;

/// The fields of a member frame the scenarios read; the rest is skipped, not built into a
/// `serde_json::Value` (an allocation per field: most of the client's cost per frame).
#[derive(serde::Deserialize)]
struct Frame<'a> {
    #[serde(borrow)]
    method: &'a str,
    params: Option<Params>,
}

#[derive(serde::Deserialize)]
struct Params {
    message: Option<Heading>,
}

#[derive(serde::Deserialize)]
struct Heading {
    #[serde(rename = "MsgSeq")]
    seq: Option<u64>,
    #[serde(rename = "MsgRandom")]
    random: Option<u64>,
}

/// The message of an `onRecvNewMessage` frame.
fn new_message(txt: &str) -> Option<Heading> {
    let f: Frame = serde_json::from_str(txt).ok()?;
    if f.method != "onRecvNewMessage" {
        return None;
    }
    f.params?.message
}

/// `pace`: sends per second in all (spread over the senders); `None`: as fast as answered.
async fn fanout(
    addr: SocketAddr,
    t: &Target,
    pid: u32,
    sizes: Sizes,
    pace: Option<f64>,
) -> anyhow::Result<MemberOutcome> {
    let n = sizes.fanout_members;
    let mut admin = Conn::connect(addr).await?;
    let tag = now();
    let users: Vec<String> = (0..n).map(|i| format!("fan{tag}_{i}")).collect();
    import(&mut admin, t, &users).await?;
    let g = admin
        .call_ok(
            t,
            "group_open_http_svc/create_group",
            json!({"Type": "Community", "Name": "fanout", "Owner_Account": users[0]}),
        )
        .await?["GroupId"]
        .as_str()
        .context("GroupId")?
        .to_owned();
    for chunk in users[1..].chunks(100) {
        let list: Vec<Value> = chunk.iter().map(|u| json!({"Member_Account": u})).collect();
        admin
            .call_ok(
                t,
                "group_open_http_svc/add_group_member",
                json!({"GroupId": g, "MemberList": list, "Silence": 1}),
            )
            .await?;
    }
    let sockets = connect_all(addr, t, &users).await?;
    let deliveries = Arc::new(AtomicU64::new(0));
    let mut heard: Vec<Heard> = Vec::new();
    let mut readers = Vec::new();
    for mut ws in sockets {
        let mine: Heard = Arc::default();
        heard.push(mine.clone());
        let deliveries = deliveries.clone();
        readers.push(tokio::spawn(async move {
            while let Some(Ok(m)) = ws.next().await {
                let Message::Text(txt) = m else { continue };
                let at = Instant::now();
                let Some(message) = new_message(&txt) else {
                    continue;
                };
                let Some(seq) = message.seq else { continue };
                deliveries.fetch_add(1, Ordering::Relaxed);
                mine.lock().unwrap().push((seq, at));
            }
        }));
    }
    let answered: Arc<Mutex<HashMap<u64, Instant>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let random = Arc::new(AtomicU32::new(1));
    // CPU per delivery, of the server and of this client: a cost that the machine's load
    // moves far less than it moves throughput and latency.
    let cpu0 = (
        crate::server::cpu_seconds(pid),
        crate::server::cpu_seconds(std::process::id()),
    );
    let started = Instant::now();
    let mut senders = Vec::new();
    let n_senders = sizes.senders.max(1);
    // Each sender's period, so that all of them together send at `pace`.
    let period = pace
        .filter(|r| r.is_finite() && *r > 0.0)
        .map(|r| Duration::from_secs_f64(n_senders as f64 / r));
    for _ in 0..n_senders {
        let (t, g, from) = (t.clone(), g.clone(), users[0].clone());
        let (answered, stop, random) = (answered.clone(), stop.clone(), random.clone());
        senders.push(tokio::spawn(async move {
            let mut c = Conn::connect(addr).await?;
            let mut tick = period.map(|p| {
                let mut i = tokio::time::interval(p);
                i.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                i
            });
            while !stop.load(Ordering::Relaxed) {
                if let Some(tick) = tick.as_mut() {
                    tick.tick().await;
                }
                let r = random.fetch_add(1, Ordering::Relaxed);
                let v = c
                    .call_ok(
                        &t,
                        "group_open_http_svc/send_group_msg",
                        json!({"GroupId": g, "From_Account": from, "Random": r, "MsgBody": text("fan")}),
                    )
                    .await?;
                let at = Instant::now();
                if let Some(seq) = v["MsgSeq"].as_u64() {
                    answered.lock().unwrap().insert(seq, at);
                }
            }
            anyhow::Ok(())
        }));
    }
    tokio::time::sleep(sizes.duration).await;
    stop.store(true, Ordering::Relaxed);
    for s in senders {
        s.await??;
    }
    let sending = started.elapsed();
    // Deliveries still in flight.
    // Every member hears it, the sending account too (a REST send comes from no connection).
    let expected = n;
    let deadline = Instant::now() + Duration::from_secs(5);
    let wanted = (answered.lock().unwrap().len() * expected) as u64;
    loop {
        if deliveries.load(Ordering::Relaxed) >= wanted || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let elapsed = started.elapsed();
    let rss = crate::server::rss_mib(pid);
    let total = deliveries.load(Ordering::Relaxed);
    let per_delivery = |cpu: f64, before: f64| (cpu - before) * 1e6 / total.max(1) as f64;
    let server_us = per_delivery(crate::server::cpu_seconds(pid), cpu0.0);
    let client_us = per_delivery(crate::server::cpu_seconds(std::process::id()), cpu0.1);
    for r in readers {
        r.abort();
    }
    let mut latency = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
    // Per message seq: (members that received it, the last receive).
    let mut r: HashMap<u64, (usize, Instant)> = HashMap::new();
    for mine in &heard {
        for &(seq, at) in mine.lock().unwrap().iter() {
            let e = r.entry(seq).or_insert((0, at));
            e.0 += 1;
            e.1 = e.1.max(at);
        }
    }
    let a = answered.lock().unwrap();
    let mut incomplete = 0;
    for (seq, at) in a.iter() {
        match r.get(seq) {
            Some((count, last)) if *count >= expected => {
                let us = last.saturating_duration_since(*at).as_micros() as u64;
                latency.record(us.max(1))?;
            }
            _ => incomplete += 1,
        }
    }
    let (scenario, what) = match pace {
        None => (
            MemberScenario::Fanout,
            format!("send_group_msg into a group of {n} connected members"),
        ),
        Some(r) => (
            MemberScenario::FanoutPaced,
            format!("the same at {r:.1} sends/s (2 × ceiling deliveries/s)"),
        ),
    };
    Ok(MemberOutcome {
        scenario,
        what,
        deliveries_per_s: total as f64 / elapsed.as_secs_f64(),
        sends_per_s: a.len() as f64 / sending.as_secs_f64(),
        latency: Some(latency),
        rss_mib: rss,
        note: format!(
            "{} sends; latency: send's answer to the last member's frame; {incomplete} sends not heard by every member; CPU per delivery: server {server_us:.2} µs, client {client_us:.2} µs",
            a.len()
        ),
    })
}

async fn connections(
    addr: SocketAddr,
    t: &Target,
    pid: u32,
    sizes: Sizes,
) -> anyhow::Result<MemberOutcome> {
    let n = sizes.idle_connections;
    let before = crate::server::rss_mib(pid);
    let tag = now();
    let users: Vec<String> = (0..n).map(|i| format!("idle{tag}_{i}")).collect();
    let mut admin = Conn::connect(addr).await?;
    import(&mut admin, t, &users).await?;
    let started = Instant::now();
    let sockets = connect_all(addr, t, &users).await?;
    let connect_s = started.elapsed().as_secs_f64();
    // Keep the client side reading (pings are answered by tungstenite when read).
    let mut readers = Vec::new();
    for mut ws in sockets {
        readers.push(tokio::spawn(async move {
            while let Some(Ok(_)) = ws.next().await {}
        }));
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let cpu0 = crate::server::cpu_seconds(pid);
    tokio::time::sleep(sizes.duration).await;
    let cpu = (crate::server::cpu_seconds(pid) - cpu0) / sizes.duration.as_secs_f64();
    let rss = crate::server::rss_mib(pid);
    for r in readers {
        r.abort();
    }
    Ok(MemberOutcome {
        scenario: MemberScenario::Connections,
        what: format!("{n} idle member connections"),
        deliveries_per_s: 0.0,
        sends_per_s: 0.0,
        latency: None,
        rss_mib: rss,
        note: format!(
            "RSS {before:.1} → {rss:.1} MiB ({:.1} KiB per connection); server CPU at rest {:.2} % of a core; connected in {connect_s:.1} s",
            (rss - before) * 1024.0 / n as f64,
            cpu * 100.0
        ),
    })
}

async fn c2c_live(
    addr: SocketAddr,
    t: &Target,
    pid: u32,
    sizes: Sizes,
) -> anyhow::Result<MemberOutcome> {
    let pairs = sizes.c2c_pairs;
    let tag = now();
    let senders: Vec<String> = (0..pairs).map(|i| format!("live{tag}_s{i}")).collect();
    let receivers: Vec<String> = (0..pairs).map(|i| format!("live{tag}_r{i}")).collect();
    let mut admin = Conn::connect(addr).await?;
    import(&mut admin, t, &senders).await?;
    import(&mut admin, t, &receivers).await?;
    let mut all = senders.clone();
    all.extend(receivers.iter().cloned());
    let sockets = connect_all(addr, t, &all).await?;
    // MsgRandom → when its send started.
    let sent_at: Arc<Mutex<HashMap<u32, Instant>>> = Arc::default();
    let latency = Arc::new(Mutex::new(Histogram::<u64>::new_with_bounds(
        1, 60_000_000, 3,
    )?));
    let deliveries = Arc::new(AtomicU64::new(0));
    let mut readers = Vec::new();
    for mut ws in sockets {
        let (sent_at, latency, deliveries) = (sent_at.clone(), latency.clone(), deliveries.clone());
        readers.push(tokio::spawn(async move {
            while let Some(Ok(m)) = ws.next().await {
                let Message::Text(txt) = m else { continue };
                let at = Instant::now();
                let Some(message) = new_message(&txt) else {
                    continue;
                };
                let Some(r) = message.random else { continue };
                let start = sent_at.lock().unwrap().remove(&(r as u32));
                if let Some(start) = start {
                    deliveries.fetch_add(1, Ordering::Relaxed);
                    let us = at.saturating_duration_since(start).as_micros() as u64;
                    let _ = latency.lock().unwrap().record(us.max(1));
                }
            }
        }));
    }
    let stop = Arc::new(AtomicBool::new(false));
    let next = Arc::new(AtomicU32::new(1));
    let sends = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..sizes.senders.max(1) {
        let (t, stop, next, sends, sent_at) = (
            t.clone(),
            stop.clone(),
            next.clone(),
            sends.clone(),
            sent_at.clone(),
        );
        let (senders, receivers) = (senders.clone(), receivers.clone());
        tasks.push(tokio::spawn(async move {
            let mut c = Conn::connect(addr).await?;
            while !stop.load(Ordering::Relaxed) {
                let r = next.fetch_add(1, Ordering::Relaxed);
                let i = r as usize % senders.len();
                sent_at.lock().unwrap().insert(r, Instant::now());
                c.call_ok(
                    &t,
                    "openim/sendmsg",
                    json!({"From_Account": senders[i], "To_Account": receivers[i],
                           "MsgRandom": r, "MsgBody": text("live"), "SyncOtherMachine": 2}),
                )
                .await?;
                sends.fetch_add(1, Ordering::Relaxed);
            }
            anyhow::Ok(())
        }));
    }
    tokio::time::sleep(sizes.duration).await;
    stop.store(true, Ordering::Relaxed);
    for task in tasks {
        task.await??;
    }
    let sending = started.elapsed();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss = crate::server::rss_mib(pid);
    for r in readers {
        r.abort();
    }
    let missing = sent_at.lock().unwrap().len();
    let latency = latency.lock().unwrap().clone();
    let sends = sends.load(Ordering::Relaxed);
    Ok(MemberOutcome {
        scenario: MemberScenario::C2cLive,
        what: format!("sendmsg between {pairs} connected pairs"),
        deliveries_per_s: deliveries.load(Ordering::Relaxed) as f64 / sending.as_secs_f64(),
        sends_per_s: sends as f64 / sending.as_secs_f64(),
        latency: Some(latency),
        rss_mib: rss,
        note: format!(
            "{sends} sends; latency: send's start to the receiver's frame; {missing} not received"
        ),
    })
}

/// The members table.
pub fn render(rows: &[MemberOutcome], ceiling: f64) -> String {
    let mut t = String::from(
        "\nMember scenarios (WebSocket members of /v1/member; × ceiling: deliveries/s divided by this run's median ceiling req/s)\n\n\
         | scenario | what | REST req/s | deliveries/s | × ceiling | p50 ms | p99 ms | RSS MiB | notes |\n\
         |---|---|---:|---:|---:|---:|---:|---:|---|\n",
    );
    for r in rows {
        let (p50, p99) = r
            .latency
            .as_ref()
            .map_or((String::new(), String::new()), |h| {
                let ms = |q: f64| format!("{:.2}", h.value_at_quantile(q) as f64 / 1000.0);
                (ms(0.5), ms(0.99))
            });
        t.push_str(&format!(
            "| {} | {} | {:.0} | {:.0} | {:.2} | {p50} | {p99} | {:.1} | {} |\n",
            r.scenario.name(),
            r.what,
            r.sends_per_s,
            r.deliveries_per_s,
            r.deliveries_per_s / ceiling,
            r.rss_mib,
            r.note
        ));
    }
    t
}
