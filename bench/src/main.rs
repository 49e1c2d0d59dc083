//! `timber-bench`: starts timber (release build, default durable configuration), seeds the
//! data each scenario needs through the REST API, runs every scenario with keep-alive HTTP
//! connections, and prints a Markdown table (throughput, latency percentiles, errors, RSS,
//! and each row's throughput as a ratio to the ceiling measured in the same run).

mod client;
mod load;
mod machine;
mod members;
mod push;
mod receiver;
mod scenarios;
mod server;

use anyhow::Context;
use clap::Parser;
use client::Target;
use load::{Load, PerRequest};
use scenarios::Scenario;
use server::Timber;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::Duration;

#[derive(Parser)]
#[command(about = "Load generator and scenarios for timber")]
struct Args {
    /// The timber binary (build it with `cargo build --release`).
    #[arg(long, default_value = "target/release/timber")]
    timber: PathBuf,
    /// `sqlite` (the embedded default) or a `postgres://` URL.
    #[arg(long, default_value = "sqlite")]
    storage: String,
    /// timber processes to start on the same storage (PostgreSQL only for more than one).
    #[arg(long, default_value_t = 1)]
    nodes: usize,
    /// Concurrent keep-alive connections.
    #[arg(long, default_value_t = 64)]
    connections: usize,
    /// Measured seconds per scenario and round (after a one-second warm-up).
    #[arg(long, default_value_t = 5)]
    duration: u64,
    /// Rounds: every scenario (the ceiling included) runs once per round, and each row
    /// reports the median round, so a noisy moment on a shared machine moves one sample.
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// Messages in the big history.
    #[arg(long, default_value_t = 1_000_000)]
    big: u64,
    /// Comma-separated scenarios to run (default: all). `ceiling` always runs.
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// Members of the `fanout` scenario's group, each connected.
    #[arg(long, default_value_t = 1_000)]
    fanout_members: usize,
    /// Idle member connections of the `connections` scenario.
    #[arg(long, default_value_t = 10_000)]
    idle_connections: usize,
    /// Connected sender/receiver pairs of the `c2c_live` scenario.
    #[arg(long, default_value_t = 1_000)]
    c2c_pairs: usize,
    /// Concurrent REST connections sending in the member scenarios.
    #[arg(long, default_value_t = 4)]
    member_senders: usize,
    /// Also write the table to this file.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Also measure im_push: seed this many accounts, then push to all of them once per
    /// round (0: not measured).
    #[arg(long, default_value_t = 0)]
    im_push: u64,
}

/// One scenario's results over all rounds.
struct Row {
    scenario: Scenario,
    rounds: Vec<load::Outcome>,
}

impl Row {
    /// Throughput of the median round.
    fn median_throughput(&self) -> f64 {
        median(self.rounds.iter().map(load::Outcome::throughput).collect())
    }

    /// The median over rounds of this row's throughput divided by the ceiling's in the same
    /// round: the machine's speed changes from minute to minute, and a round's ceiling ran
    /// seconds before its other rows.
    fn median_ratio(&self, ceiling: &Row) -> f64 {
        median(
            self.rounds
                .iter()
                .zip(&ceiling.rounds)
                .map(|(r, c)| r.throughput() / c.throughput())
                .collect(),
        )
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let mut scenarios = vec![Scenario::Ceiling];
    let mut member_scenarios = Vec::new();
    if args.only.is_empty() {
        scenarios.extend(&Scenario::ALL[1..]);
        member_scenarios.extend(members::MemberScenario::ALL);
    } else {
        for name in &args.only {
            if let Some(m) = members::MemberScenario::parse(name) {
                if !member_scenarios.contains(&m) {
                    member_scenarios.push(m);
                }
                continue;
            }
            let s = Scenario::parse(name).with_context(|| format!("unknown scenario {name:?}"))?;
            if !scenarios.contains(&s) {
                scenarios.push(s);
            }
        }
    }
    members::raise_open_files();

    let callback_url = receiver::start().await?;
    let mut nodes = Vec::new();
    for _ in 0..args.nodes {
        nodes.push(Timber::start(&args.timber, &args.storage, &callback_url)?);
    }
    let start_to_ready = nodes[0].start_to_ready;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let idle_rss = nodes[0].rss_mib();
    let pids: Vec<u32> = nodes.iter().map(Timber::pid).collect();
    let addrs: Vec<_> = nodes.iter().map(|n| n.addr).collect();
    let target = Target {
        addr: addrs[0],
        sdkappid: server::SDKAPPID,
        identifier: server::ADMIN.into(),
        usersig: timber_usersig::generate(
            server::SDKAPPID,
            server::KEY,
            server::ADMIN,
            86_400,
            now(),
        ),
    };

    let seeded = std::time::Instant::now();
    scenarios::seed(&target, &scenarios, args.big).await?;
    if args.im_push > 0 {
        push::seed(&target, args.im_push).await?;
    }
    eprintln!("seeded in {:.1} s", seeded.elapsed().as_secs_f64());

    // Let the background checkpoint of the seeded data finish before measuring.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let load = Load {
        connections: args.connections,
        duration: Duration::from_secs(args.duration),
        warmup: Duration::from_secs(1),
    };
    let mut pushes: Vec<push::PushOutcome> = Vec::new();
    let mut rows: Vec<Row> = scenarios
        .iter()
        .map(|s| Row {
            scenario: *s,
            rounds: Vec::new(),
        })
        .collect();
    for round in 1..=args.rounds {
        for row in &mut rows {
            let s = row.scenario;
            eprintln!(
                "round {round}/{}: {} ({} connections, {} s)…",
                args.rounds,
                s.name(),
                load.connections,
                args.duration
            );
            let outcome = load::run(
                &addrs,
                load,
                scenarios::request(s, &target, args.big),
                &pids,
            )
            .await?;
            eprintln!("  {:.0} req/s", outcome.throughput());
            if let Some(e) = &outcome.first_error {
                eprintln!("  first error: {e}");
            }
            row.rounds.push(outcome);
        }
        if args.im_push > 0 {
            eprintln!("round {round}/{}: im_push…", args.rounds);
            // Pushes are at least a second apart (90024), and each its own task (MsgRandom).
            tokio::time::sleep(Duration::from_millis(1100)).await;
            let p = push::run(&target, pids[0], round as u32).await?;
            eprintln!("  {} recipients in {:.2} s", p.recipients, p.seconds);
            pushes.push(p);
        }
    }

    let mut table = render(&args, &rows, idle_rss, start_to_ready)?;
    if !pushes.is_empty() {
        table.push_str(&render_pushes(&pushes));
    }
    if !member_scenarios.is_empty() {
        let ceiling = rows
            .iter()
            .find(|r| r.scenario == Scenario::Ceiling)
            .map_or(f64::NAN, Row::median_throughput);
        let sizes = members::Sizes {
            fanout_members: args.fanout_members.max(1),
            idle_connections: args.idle_connections.max(1),
            c2c_pairs: args.c2c_pairs.max(1),
            senders: args.member_senders,
            duration: Duration::from_secs(args.duration),
            ceiling,
        };
        let mut outcomes = Vec::new();
        for m in member_scenarios {
            eprintln!("members: {}…", m.name());
            let o = members::run(m, addrs[0], &target, pids[0], sizes).await?;
            eprintln!("  {:.0} deliveries/s; {}", o.deliveries_per_s, o.note);
            outcomes.push(o);
        }
        table.push_str(&members::render(&outcomes, ceiling));
    }
    println!("{table}");
    if let Some(path) = &args.out {
        std::fs::write(path, &table)?;
    }
    Ok(())
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

fn render(
    args: &Args,
    rows: &[Row],
    idle_rss: f64,
    start_to_ready: Duration,
) -> anyhow::Result<String> {
    let ceiling = rows
        .iter()
        .find(|r| r.scenario == Scenario::Ceiling)
        .context("the ceiling always runs")?;
    let storage = if args.storage.starts_with("postgres") {
        "postgres"
    } else {
        args.storage.as_str()
    };
    let mut t = format!(
        "machine: {}; storage: {storage}, nodes: {}, {} connections, {} rounds of {} s per scenario (after 1 s warm-up each); \
         req/s is the median round; × ceiling is the median over rounds of req/s divided by the same \
         round's ceiling; latencies are over all rounds; server CPU µs/req is the median over rounds\n\n\
         | scenario | what | req/s | × ceiling | target | p50 ms | p99 ms | p999 ms | errors | server CPU µs/req | peak RSS MiB | rounds (req/s) |\n\
         |---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n",
        machine::processor(),
        args.nodes,
        args.connections,
        args.rounds,
        args.duration
    );
    for r in rows {
        let mut latency = hdrhistogram::Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
        for o in &r.rounds {
            latency.add(&o.latency)?;
        }
        let ms = |q: f64| latency.value_at_quantile(q) as f64 / 1000.0;
        let each: Vec<String> = r
            .rounds
            .iter()
            .map(|o| format!("{:.0}", o.throughput()))
            .collect();
        t.push_str(&format!(
            "| {} | {} | {:.0} | {:.2} | {} | {:.2} | {:.2} | {:.2} | {} | {:.1} | {:.1} | {} |\n",
            r.scenario.name(),
            r.scenario.describe(args.big),
            r.median_throughput(),
            r.median_ratio(ceiling),
            r.scenario
                .target()
                .map_or("".to_owned(), |t| format!("≥ {t:.2} ×")),
            ms(0.5),
            ms(0.99),
            ms(0.999),
            r.rounds.iter().map(|o| o.errors).sum::<u64>(),
            median(r.rounds.iter().map(|o| o.server_cpu_us).collect()),
            r.rounds.iter().map(|o| o.peak_rss_mib).fold(0.0, f64::max),
            each.join(" / "),
        ));
    }
    t.push_str(&format!(
        "\nidle RSS after start: {idle_rss:.1} MiB; process start to /readyz: {:.0} ms\n",
        start_to_ready.as_secs_f64() * 1000.0
    ));
    t.push_str(
        "\nWhere the CPU goes: CPU µs per request by thread name (threads of a pool share one), \
         µs per request that threads were runnable but waited for a core, and context switches \
         per request; each the median over rounds\n\n\
         | scenario | server threads, µs/req | server waits for a core, µs/req | server switches/req | load generator µs/req | load generator waits, µs/req | load generator switches/req |\n\
         |---|---|---|---:|---:|---:|---:|\n",
    );
    for r in rows {
        let server: Vec<&PerRequest> = r.rounds.iter().map(|o| &o.server_threads).collect();
        let generator: Vec<&PerRequest> = r.rounds.iter().map(|o| &o.generator_threads).collect();
        t.push_str(&format!(
            "| {} | {} | {} | {:.2} | {:.1} | {:.1} | {:.2} |\n",
            r.scenario.name(),
            by_thread(&server, |p| &p.cpu_us_by_name),
            by_thread(&server, |p| &p.wait_us_by_name),
            median(server.iter().map(|p| p.switches).collect()),
            median(generator.iter().map(|p| p.cpu_us()).collect()),
            median(generator.iter().map(|p| p.wait_us()).collect()),
            median(generator.iter().map(|p| p.switches).collect()),
        ));
    }
    Ok(t)
}

/// The im_push rows: each round's push, and the median.
fn render_pushes(pushes: &[push::PushOutcome]) -> String {
    let each = |f: &dyn Fn(&push::PushOutcome) -> String| {
        pushes.iter().map(f).collect::<Vec<_>>().join(" / ")
    };
    format!(
        "\nim_push to every account: recipients {}; seconds to done {} (median {:.2}); \
         recipients/s {} (median {:.0}); peak RSS during delivery {} MiB (max {:.1})\n",
        each(&|p| p.recipients.to_string()),
        each(&|p| format!("{:.2}", p.seconds)),
        median(pushes.iter().map(|p| p.seconds).collect()),
        each(&|p| format!("{:.0}", p.per_second())),
        median(pushes.iter().map(push::PushOutcome::per_second).collect()),
        each(&|p| format!("{:.1}", p.peak_rss_mib)),
        pushes.iter().map(|p| p.peak_rss_mib).fold(0.0, f64::max),
    )
}

/// "name µs, …" of the figure `of` picks, for every thread name with a median of at least
/// 0.05 µs per request over the rounds (0 in a round where no such thread ran), the largest
/// first.
fn by_thread(rounds: &[&PerRequest], of: impl Fn(&PerRequest) -> &BTreeMap<String, f64>) -> String {
    let names: BTreeSet<&String> = rounds.iter().flat_map(|p| of(p).keys()).collect();
    let mut medians: Vec<(&String, f64)> = names
        .into_iter()
        .map(|name| {
            let each = rounds
                .iter()
                .map(|p| of(p).get(name).copied().unwrap_or(0.0))
                .collect();
            (name, median(each))
        })
        .filter(|(_, us)| *us >= 0.05)
        .collect();
    medians.sort_by(|a, b| b.1.total_cmp(&a.1));
    medians
        .iter()
        .map(|(name, us)| format!("{name} {us:.1}"))
        .collect::<Vec<_>>()
        .join(", ")
}
