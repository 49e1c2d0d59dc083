//! Slow and idle clients cannot exhaust the server (issue 23, item 2): the connection cap and
//! its eviction of the longest-idle connection, the header, body and idle timeouts, an
//! absurd chunked body, and the raised open-file limit. Everything over raw TCP, as such a
//! client would be.

mod common;

use common::{ServerOptions, TestServer};
use serde_json::Value;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const CHECK: &str = "im_open_login_svc/account_check";
const CHECK_BODY: &str = r#"{"CheckItem":[]}"#;

/// Where to send raw requests: the server's address and a signed account_check target.
#[derive(Clone)]
struct Target {
    host: String,
    path: String,
}

impl Target {
    fn of(server: &TestServer) -> Target {
        let url = server.client().request(CHECK).url();
        Target {
            host: server.base.strip_prefix("http://").unwrap().to_owned(),
            path: url.strip_prefix(&server.base).unwrap().to_owned(),
        }
    }

    /// A new connection; fails the test when even the kernel's backlog is full (10 s).
    async fn connect(&self) -> TcpStream {
        tokio::time::timeout(Duration::from_secs(10), TcpStream::connect(&self.host))
            .await
            .expect("connect within 10 s (is the backlog full?)")
            .expect("connect")
    }

    /// A request head announcing `framing` (e.g. `Content-Length: 10`).
    fn head(&self, framing: &str) -> String {
        format!(
            "POST {} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n{framing}\r\n\r\n",
            self.path, self.host
        )
    }

    /// A complete account_check request.
    fn request(&self) -> String {
        let head = self.head(&format!("Content-Length: {}", CHECK_BODY.len()));
        format!("{head}{CHECK_BODY}")
    }
}

/// Reads one HTTP response (its head, then Content-Length bytes); `None` if the connection
/// closes first.
async fn read_response(conn: &mut TcpStream) -> Option<(String, Value)> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).into_owned();
            let len: usize = head
                .lines()
                .find_map(|l| {
                    let (name, value) = l.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length")
                        .then(|| value.trim().parse().ok())?
                })
                .expect("a Content-Length");
            while buf.len() < end + 4 + len {
                match conn.read(&mut chunk).await {
                    Ok(0) | Err(_) => return None,
                    Ok(n) => buf.extend_from_slice(&chunk[..n]),
                }
            }
            let body = serde_json::from_slice(&buf[end + 4..end + 4 + len]).expect("JSON");
            return Some((head, body));
        }
        match conn.read(&mut chunk).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
}

/// How long until the server closes `conn` (reading and dropping whatever it sends), or
/// `None` if it is still open after `limit`.
async fn closed_within(conn: &mut TcpStream, limit: Duration) -> Option<Duration> {
    let started = Instant::now();
    let mut chunk = [0u8; 4096];
    let closing = async {
        loop {
            match conn.read(&mut chunk).await {
                Ok(0) | Err(_) => return started.elapsed(),
                Ok(_) => {}
            }
        }
    };
    tokio::time::timeout(limit, closing).await.ok()
}

/// A normal request on a new connection: answered OK; returns how long it took.
async fn normal_request(target: &Target) -> Duration {
    let started = Instant::now();
    let answer = async {
        let mut conn = target.connect().await;
        conn.write_all(target.request().as_bytes()).await.ok()?;
        read_response(&mut conn).await
    };
    let (head, body) = tokio::time::timeout(Duration::from_secs(10), answer)
        .await
        .expect("a normal request was not answered within 10 s")
        .expect("a normal request's connection was closed unanswered");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert_eq!(body["ErrorCode"], 0, "{body}");
    started.elapsed()
}

/// The server's /metrics, on a connection of its own.
async fn metrics(target: &Target) -> String {
    let mut conn = target.connect().await;
    let get = format!(
        "GET /metrics HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
        target.host
    );
    conn.write_all(get.as_bytes()).await.unwrap();
    let mut text = String::new();
    tokio::time::timeout(Duration::from_secs(10), conn.read_to_string(&mut text))
        .await
        .expect("/metrics answered")
        .unwrap();
    text
}

fn metric(text: &str, name: &str) -> u64 {
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{name} ")))
        .unwrap_or_else(|| panic!("no {name} in {text}"))
        .parse()
        .unwrap()
}

/// Sends `head`, then `body` one byte every `every`, for as long as the server reads.
fn trickle(target: &Target, head: String, body: &'static [u8], every: Duration) {
    let target = target.clone();
    tokio::spawn(async move {
        let Ok(mut conn) = TcpStream::connect(&target.host).await else {
            return;
        };
        if conn.write_all(head.as_bytes()).await.is_err() {
            return;
        }
        for b in body.iter().cycle() {
            tokio::time::sleep(every).await;
            if conn.write_all(&[*b]).await.is_err() {
                return;
            }
        }
    });
}

/// Lets this test process open many sockets (its soft limit may be the usual 1,024).
fn raise_own_open_file_limit() {
    use rlimit::{getrlimit, setrlimit, Resource};
    if let Ok((_, hard)) = getrlimit(Resource::NOFILE) {
        let _ = setrlimit(Resource::NOFILE, hard, hard);
    }
}

/// The issue's scenario, scaled down: a server with 256 file descriptors (so 128 connections
/// by default) and 600 idle connections, 40 clients trickling a head and 20 trickling a body,
/// all with the default (long) timeouts. Every normal request is still answered, quickly.
/// Before the cap, the accepts failed with EMFILE and the normal request waited for ever.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_idle_and_slow_connections_leave_room_for_a_normal_request() {
    raise_own_open_file_limit();
    let server = TestServer::start_with(ServerOptions {
        open_files: Some((256, 256)),
        ..Default::default()
    })
    .await;
    let target = Target::of(&server);
    assert!(normal_request(&target).await < Duration::from_secs(2));

    let mut idle = Vec::new();
    for _ in 0..600 {
        idle.push(target.connect().await);
    }
    let head_start = "POST / HTTP/1.1\r\nHost: x\r\n".to_owned();
    for _ in 0..40 {
        trickle(
            &target,
            head_start.clone(),
            b"X-Slow: aaaaaaaa\r\n",
            Duration::from_millis(200),
        );
    }
    for _ in 0..20 {
        let head = target.head("Content-Length: 100000");
        trickle(&target, head, b"{\"a\": 1} ", Duration::from_millis(200));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;

    let mut slowest = Duration::ZERO;
    for _ in 0..10 {
        slowest = slowest.max(normal_request(&target).await);
    }
    eprintln!("10 normal requests beside 660 idle and slow connections: slowest {slowest:?}");
    assert!(
        slowest < Duration::from_secs(2),
        "slowest normal request took {slowest:?}\n{}",
        server.log()
    );
    let m = metrics(&target).await;
    // 128 open, give or take a socket being closed as the gauge is read; every connection
    // past the cap took the place of an idle one (but the 11 normal ones, which their clients
    // closed, and any that reached the 10 s header timeout on a slow machine), and none was
    // refused: there was always an idle one.
    let (accepted, evicted) = (
        metric(&m, "timber_connections_accepted_total"),
        metric(&m, "timber_connections_evicted_total"),
    );
    let timed_out = metric(&m, "timber_connection_timeouts_total{phase=\"header\"}");
    assert!(accepted >= 611, "{m}");
    assert!(evicted + timed_out + 128 + 12 >= accepted, "{m}");
    assert_eq!(metric(&m, "timber_connections_refused_total"), 0, "{m}");
    assert!(metric(&m, "timber_connections_open") <= 130, "{m}");
    // The log names the cap (once per 10 s, not once per connection).
    let log = server.log();
    let warnings = log.matches("idle connections are closed").count();
    assert!((1..=3).contains(&warnings), "{log}");
    drop(idle);
}

/// The three timeouts, each on its own connection at once: a connection that sends nothing,
/// a head trickled a byte at a time, a keep-alive connection idle after its answer, a body
/// trickled, and a chunked body announcing 2^64−1 bytes, trickled and sent fast. Before the
/// timeouts every one of these connections stayed open for ever.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_and_trickling_connections_are_closed_after_their_timeouts() {
    let server = TestServer::start_with(ServerOptions {
        env: [
            ("TIMBER_HEADER_READ_TIMEOUT_SECS", "1"),
            ("TIMBER_BODY_READ_TIMEOUT_SECS", "2"),
            ("TIMBER_IDLE_TIMEOUT_SECS", "3"),
            ("TIMBER_MAX_BODY_BYTES", "1000"),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .to_vec(),
        ..Default::default()
    })
    .await;
    let t = Target::of(&server);
    let limit = Duration::from_secs(8);

    let silent = async {
        let mut conn = t.connect().await;
        closed_within(&mut conn, limit).await
    };
    let trickled_head = async {
        let mut conn = t.connect().await;
        let head = t.head("Content-Length: 2");
        let started = Instant::now();
        // The head takes ~15 s at this pace: the server must cut it short.
        let writing = async {
            for b in head.as_bytes() {
                if conn.write_all(&[*b]).await.is_err() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        };
        let _ = tokio::time::timeout(limit, writing).await;
        let mut rest = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(1), conn.read_to_end(&mut rest));
        let closed = read.await.is_ok();
        assert!(rest.is_empty(), "an answer to a head that never completed");
        closed.then(|| started.elapsed())
    };
    let idle_after_answer = async {
        let mut conn = t.connect().await;
        conn.write_all(t.request().as_bytes()).await.unwrap();
        let (_, body) = read_response(&mut conn).await.expect("an answer");
        assert_eq!(body["ErrorCode"], 0, "{body}");
        closed_within(&mut conn, limit).await
    };
    let trickled_body = async {
        let mut conn = t.connect().await;
        conn.write_all(t.head("Content-Length: 500").as_bytes())
            .await
            .unwrap();
        trickled_answer(&mut conn, b"{\"CheckItem\":[").await
    };
    let trickled_chunked = async {
        let mut conn = t.connect().await;
        let head = t.head("Transfer-Encoding: chunked");
        conn.write_all(format!("{head}FFFFFFFFFFFFFFFF\r\n").as_bytes())
            .await
            .unwrap();
        trickled_answer(&mut conn, b"{").await
    };
    let fast_chunked = async {
        let conn = t.connect().await;
        let (mut read, mut write) = conn.into_split();
        let head = t.head("Transfer-Encoding: chunked");
        let started = Instant::now();
        // At most 64 MiB: the server must have stopped reading long before.
        let writer = tokio::spawn(async move {
            let _ = write
                .write_all(format!("{head}FFFFFFFFFFFFFFFF\r\n").as_bytes())
                .await;
            let block = [b' '; 4096];
            let mut sent = 0usize;
            for _ in 0..16_384 {
                if write.write_all(&block).await.is_err() {
                    return sent;
                }
                sent += block.len();
            }
            sent
        });
        let mut buf = Vec::new();
        let closed = tokio::time::timeout(limit, read.read_to_end(&mut buf))
            .await
            .is_ok();
        let took = started.elapsed();
        let sent = tokio::time::timeout(Duration::from_secs(5), writer)
            .await
            .ok()
            .and_then(Result::ok);
        (
            closed,
            took,
            sent,
            String::from_utf8_lossy(&buf).into_owned(),
        )
    };
    let (silent, trickled_head, idle, body, chunked, (fast_closed, fast_took, fast_sent, fast)) = tokio::join!(
        silent,
        trickled_head,
        idle_after_answer,
        trickled_body,
        trickled_chunked,
        fast_chunked
    );
    eprintln!(
        "closed after: silent {silent:?}, trickled head {trickled_head:?}, idle {idle:?}; \
         trickled bodies answered after {:?} and {:?}; a fast 2^64-1 chunked body after {fast_took:?}",
        body.0, chunked.0
    );
    let log = server.log();
    // Header timeout 1 s (from the accept), well short of the 3 s idle timeout.
    let silent = silent.expect("a silent connection is closed");
    assert!(silent >= Duration::from_millis(700) && silent < Duration::from_millis(2_800));
    let trickled_head = trickled_head.unwrap();
    assert!(
        trickled_head >= Duration::from_millis(700) && trickled_head < Duration::from_millis(2_800),
        "a trickled head was closed after {trickled_head:?}\n{log}"
    );
    // Idle timeout 3 s after the answer: longer than the header timeout.
    let idle = idle.expect("an idle keep-alive connection is closed");
    assert!(
        idle >= Duration::from_millis(2_300) && idle < Duration::from_secs(6),
        "idle connection closed after {idle:?}"
    );
    // Body timeout 2 s: answered 60002, naming the timeout, then closed.
    for (what, (took, answer)) in [("trickled body", body), ("trickled chunked body", chunked)] {
        assert!(
            took >= Duration::from_millis(1_500) && took < Duration::from_secs(5),
            "{what} answered after {took:?}"
        );
        assert_eq!(answer["ErrorCode"], 60002, "{what}: {answer}");
        let info = answer["ErrorInfo"].as_str().unwrap();
        assert!(info.contains("body_read_timeout_secs"), "{what}: {info}");
    }
    // A fast one is cut off by max_body_bytes: read on to 8× (8,000 bytes), answered 93000
    // and closed; the client could send at most what the sockets' buffers hold.
    assert!(
        fast_closed && fast_took < Duration::from_secs(3),
        "{fast_took:?}"
    );
    let sent = fast_sent.expect("the writer stopped: the server closed the connection");
    assert!(
        sent < 16 << 20,
        "the server read {sent} bytes of a 2^64-1 chunked body"
    );
    // The answer is there unless the client's reset raced it (the close with unread data).
    assert!(
        fast.is_empty() || fast.contains("\"ErrorCode\":93000"),
        "{fast}"
    );

    let m = metrics(&t).await;
    for (phase, at_least) in [("idle", 1), ("header", 2), ("body", 2)] {
        let line = format!("timber_connection_timeouts_total{{phase=\"{phase}\"}}");
        assert!(metric(&m, &line) >= at_least, "{m}");
    }
}

/// Writes `body` a byte every 100 ms until the server answers; returns how long that took
/// and the answer, after checking that the connection is then closed.
async fn trickled_answer(conn: &mut TcpStream, body: &'static [u8]) -> (Duration, Value) {
    let started = Instant::now();
    let (mut read, mut write) = conn.split();
    let writing = async {
        for b in body.iter().cycle() {
            tokio::time::sleep(Duration::from_millis(100)).await;
            if write.write_all(&[*b]).await.is_err() {
                break;
            }
        }
    };
    let mut buf = Vec::new();
    let reading = async {
        let mut chunk = [0u8; 4096];
        loop {
            match read.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    buf.extend_from_slice(&chunk[..n]);
                    if answered_at(&buf).is_some() {
                        break;
                    }
                }
            }
        }
    };
    let took = tokio::time::timeout(Duration::from_secs(8), async {
        tokio::select! {
            _ = reading => {}
            // Writing fails once the server closes; the answer may still be unread.
            _ = async { writing.await; std::future::pending::<()>().await } => {}
        }
        started.elapsed()
    })
    .await
    .expect("a trickled body is answered");
    let body_at = answered_at(&buf).expect("an HTTP answer");
    let answer: Value = serde_json::from_slice(&buf[body_at..]).expect("JSON");
    assert!(
        closed_within(conn, Duration::from_secs(3)).await.is_some(),
        "the connection of a timed-out body is closed after the answer"
    );
    (took, answer)
}

/// Where the body of a complete response in `buf` starts.
fn answered_at(buf: &[u8]) -> Option<usize> {
    let end = buf.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&buf[..end]);
    let len: usize = head.lines().find_map(|l| {
        let (name, value) = l.split_once(':')?;
        name.eq_ignore_ascii_case("content-length")
            .then(|| value.trim().parse().ok())?
    })?;
    (buf.len() >= end + 4 + len).then_some(end + 4)
}

/// At `max_connections` a new connection closes the one idle the longest, not one just used;
/// with every connection busy it is itself closed at once; once room is back, requests are
/// answered again; and a SIGTERM with idle connections open still exits at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_the_cap_the_longest_idle_connection_makes_room() {
    let server = TestServer::start_with(ServerOptions {
        env: vec![("TIMBER_MAX_CONNECTIONS".into(), "8".into())],
        ..Default::default()
    })
    .await;
    let t = Target::of(&server);
    let pause = || tokio::time::sleep(Duration::from_millis(100));

    // 7 idle connections, the first the oldest, then one that is used.
    let mut oldest = t.connect().await;
    pause().await;
    let mut idle = Vec::new();
    for _ in 0..6 {
        idle.push(t.connect().await);
    }
    pause().await;
    let mut used = t.connect().await;
    used.write_all(t.request().as_bytes()).await.unwrap();
    read_response(&mut used).await.expect("answered");
    pause().await;

    // The 9th: answered, and the oldest idle one is closed for it.
    assert!(normal_request(&t).await < Duration::from_secs(2));
    assert!(
        closed_within(&mut oldest, Duration::from_secs(3))
            .await
            .is_some(),
        "the longest-idle connection is closed at the cap"
    );
    // The used one is still open: answered again on the same connection.
    used.write_all(t.request().as_bytes()).await.unwrap();
    let (_, body) = read_response(&mut used).await.expect("still open");
    assert_eq!(body["ErrorCode"], 0);
    let before = metrics(&t).await;
    assert!(
        metric(&before, "timber_connections_evicted_total") >= 1,
        "{before}"
    );

    // 8 requests whose bodies are on their way: nothing is idle.
    let mut busy = Vec::new();
    for _ in 0..8 {
        let mut conn = t.connect().await;
        conn.write_all(t.head("Content-Length: 100").as_bytes())
            .await
            .unwrap();
        conn.write_all(b"{").await.unwrap();
        busy.push(conn);
        pause().await;
    }
    // The 9th connection is accepted and closed at once, its request unanswered.
    let mut refused = t.connect().await;
    let _ = refused.write_all(t.request().as_bytes()).await;
    let closed = closed_within(&mut refused, Duration::from_secs(3)).await;
    assert!(closed.is_some(), "a connection beyond a busy cap is closed");
    assert!(read_response(&mut refused).await.is_none());

    // The busy ones finish (their clients give up): room again.
    drop(busy);
    pause().await;
    assert!(normal_request(&t).await < Duration::from_secs(2));
    let after = metrics(&t).await;
    assert!(
        metric(&after, "timber_connections_refused_total") >= 1,
        "{after}"
    );
    let log = log_with(&server, "new connections are refused").await;
    assert_eq!(
        log.matches("new connections are refused").count(),
        1,
        "{log}"
    );

    // SIGTERM with idle connections open: they close at once, and timber exits at once.
    let mut last = Vec::new();
    for _ in 0..4 {
        last.push(t.connect().await);
    }
    pause().await;
    let (status, took, log) = server.stop_timed().await;
    assert!(status.success(), "{status}\n{log}");
    assert!(took < Duration::from_secs(2), "exit took {took:?}\n{log}");
    drop((idle, used, last));
}

/// The server's log once it has a line containing `what` (waiting up to 10 s).
async fn log_with(server: &TestServer, what: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let log = server.log();
        if log.contains(what) || Instant::now() > deadline {
            return log;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// At start the soft open-file limit is raised to the hard one, and said so.
#[cfg(target_os = "linux")]
#[tokio::test]
async fn the_open_file_limit_is_raised_to_the_hard_limit() {
    let server = TestServer::start_with(ServerOptions {
        open_files: Some((256, 512)),
        ..Default::default()
    })
    .await;
    let limits = std::fs::read_to_string(format!("/proc/{}/limits", server.pid())).unwrap();
    let line = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .unwrap()
        .to_owned();
    let numbers: Vec<&str> = line.split_whitespace().skip(3).take(2).collect();
    assert_eq!(numbers, ["512", "512"], "{line}");
    // And the derived cap follows it: 512 − 256 (logged as serving starts, after the banner).
    let log = log_with(&server, "connection limits").await;
    assert!(log.contains("raised the open-file limit"), "{log}");
    assert!(log.contains("max_connections=256"), "{log}");
}
