//! The load generator: N keep-alive connections, each sending its next request as soon as the
//! previous answer arrived (closed loop), for a fixed time after a short warm-up.

use crate::client::{is_ok, Conn};
use crate::server::ThreadUsage;
use bytes::Bytes;
use hdrhistogram::Histogram;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Builds request number `n` of connection `conn`: (URI, body).
pub type MakeRequest = Arc<dyn Fn(usize, u64) -> (String, Bytes) + Send + Sync>;

#[derive(Clone, Copy, Debug)]
pub struct Load {
    pub connections: usize,
    pub duration: Duration,
    pub warmup: Duration,
}

pub struct Outcome {
    pub requests: u64,
    /// Transport failures and answers that were not `ActionStatus: OK`.
    pub errors: u64,
    pub elapsed: Duration,
    /// Latency in microseconds.
    pub latency: Histogram<u64>,
    pub peak_rss_mib: f64,
    /// CPU time the server processes used per measured request, in microseconds: what a
    /// request costs the server, which moves less with a shared machine's speed than
    /// throughput does.
    pub server_cpu_us: f64,
    /// The server's threads over the measured seconds, per request: CPU µs by thread name
    /// (which stage of the server costs what) and context switches.
    pub server_threads: PerRequest,
    /// The same for the load generator itself, which shares the machine's cores.
    pub generator_threads: PerRequest,
    /// The first failed answer, to say what went wrong.
    pub first_error: Option<String>,
}

/// Thread usage divided by the requests answered meanwhile.
#[derive(Debug, Default)]
pub struct PerRequest {
    pub cpu_us_by_name: BTreeMap<String, f64>,
    /// µs spent waiting for a core, by thread name.
    pub wait_us_by_name: BTreeMap<String, f64>,
    pub switches: f64,
}

impl PerRequest {
    fn of(used: &ThreadUsage, requests: u64) -> PerRequest {
        let n = requests.max(1) as f64;
        let per_request = |seconds: &BTreeMap<String, f64>| {
            seconds
                .iter()
                .map(|(name, s)| (name.clone(), s * 1e6 / n))
                .collect()
        };
        PerRequest {
            cpu_us_by_name: per_request(&used.cpu_by_name),
            wait_us_by_name: per_request(&used.wait_by_name),
            switches: used.switches as f64 / n,
        }
    }

    pub fn cpu_us(&self) -> f64 {
        self.cpu_us_by_name.values().sum()
    }

    pub fn wait_us(&self) -> f64 {
        self.wait_us_by_name.values().sum()
    }
}

impl Outcome {
    pub fn throughput(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64()
    }
}

struct ConnResult {
    requests: u64,
    errors: u64,
    latency: Histogram<u64>,
    first_error: Option<String>,
}

/// Runs the load against `addrs` (connections are spread over them) while sampling the RSS of
/// `pids` (summed) every 100 ms.
pub async fn run(
    addrs: &[SocketAddr],
    load: Load,
    make: MakeRequest,
    pids: &[u32],
) -> anyhow::Result<Outcome> {
    let start = Instant::now();
    let measure_from = start + load.warmup;
    let end = measure_from + load.duration;
    let stop = Arc::new(AtomicBool::new(false));

    let sampler = {
        let pids = pids.to_vec();
        let stop = stop.clone();
        tokio::spawn(async move {
            let mut peak: f64 = 0.0;
            while !stop.load(Ordering::Relaxed) {
                peak = peak.max(pids.iter().map(|p| crate::server::rss_mib(*p)).sum());
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            peak
        })
    };

    let mut tasks = Vec::with_capacity(load.connections);
    for i in 0..load.connections {
        let addr = addrs[i % addrs.len()];
        let make = make.clone();
        tasks.push(tokio::spawn(async move {
            let mut r = ConnResult {
                requests: 0,
                errors: 0,
                latency: Histogram::new_with_bounds(1, 60_000_000, 3).expect("histogram bounds"),
                first_error: None,
            };
            let mut conn = Conn::connect(addr).await?;
            let mut n = 0u64;
            loop {
                let now = Instant::now();
                if now >= end {
                    break;
                }
                let (uri, body) = make(i, n);
                n += 1;
                let sent = Instant::now();
                let answer = conn.post(&uri, body).await;
                let micros = sent.elapsed().as_micros() as u64;
                let failed = match &answer {
                    Ok(b) if is_ok(b) => None,
                    Ok(b) => Some(String::from_utf8_lossy(b).into_owned()),
                    Err(e) => Some(e.to_string()),
                };
                if sent >= measure_from {
                    r.requests += 1;
                    let _ = r.latency.record(micros.max(1));
                    if let Some(why) = &failed {
                        r.errors += 1;
                        r.first_error.get_or_insert_with(|| why.clone());
                    }
                }
                if answer.is_err() {
                    conn = Conn::connect(addr).await?;
                }
            }
            anyhow::Ok(r)
        }));
    }

    let server_cpu = || {
        pids.iter()
            .map(|p| crate::server::cpu_seconds(*p))
            .sum::<f64>()
    };
    let me = [std::process::id()];
    tokio::time::sleep_until(measure_from.into()).await;
    let cpu_at_start = server_cpu();
    let (server_at_start, generator_at_start) = (ThreadUsage::read(pids), ThreadUsage::read(&me));
    let mut out = Outcome {
        requests: 0,
        errors: 0,
        elapsed: load.duration,
        latency: Histogram::new_with_bounds(1, 60_000_000, 3)?,
        peak_rss_mib: 0.0,
        server_cpu_us: 0.0,
        server_threads: PerRequest::default(),
        generator_threads: PerRequest::default(),
        first_error: None,
    };
    for t in tasks {
        let r = t.await??;
        out.requests += r.requests;
        out.errors += r.errors;
        out.latency.add(&r.latency)?;
        if out.first_error.is_none() {
            out.first_error = r.first_error;
        }
    }
    out.server_cpu_us = (server_cpu() - cpu_at_start) * 1e6 / out.requests.max(1) as f64;
    let server_used = ThreadUsage::read(pids).since(&server_at_start);
    let generator_used = ThreadUsage::read(&me).since(&generator_at_start);
    out.server_threads = PerRequest::of(&server_used, out.requests);
    out.generator_threads = PerRequest::of(&generator_used, out.requests);
    // Requests still in flight at the end finish a little late; count the real span.
    out.elapsed = Instant::now()
        .saturating_duration_since(measure_from)
        .max(Duration::from_millis(1));
    stop.store(true, Ordering::Relaxed);
    out.peak_rss_mib = sampler.await?;
    Ok(out)
}
