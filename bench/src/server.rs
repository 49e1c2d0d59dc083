//! Starting timber for a run: the release binary, its default durable configuration (SQLite
//! in WAL mode with synchronous commits, or the given PostgreSQL URL), a temp data directory.

use anyhow::{bail, Context};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const SDKAPPID: u64 = 1_400_000_777;
pub const KEY: &str = "bench-secret-key-0123456789abcdef";
pub const ADMIN: &str = "administrator";
/// The app whose `send_group_msg` has an after-callback (`send_after_callback`).
pub const AFTER_CALLBACK_APP: u64 = SDKAPPID + 1;
/// The app whose `send_group_msg` has a before-callback (`send_before_callback`).
pub const BEFORE_CALLBACK_APP: u64 = SDKAPPID + 2;

pub struct Timber {
    child: Child,
    pub addr: SocketAddr,
    /// From spawning the process to the first `200` of `/readyz`.
    pub start_to_ready: Duration,
    _dir: Option<tempfile::TempDir>,
}

impl Timber {
    /// Starts `bin serve` on a free port. `storage` is `sqlite` (a fresh temp dir) or a URL.
    /// Besides the main app it hosts the two callback apps, which call `callback_url` back.
    pub fn start(bin: &Path, storage: &str, callback_url: &str) -> anyhow::Result<Timber> {
        let dir = tempfile::tempdir()?;
        let data_dir: PathBuf = dir.path().join("data");
        let started = Instant::now();
        let mut child = Command::new(bin)
            .arg("serve")
            .env("TIMBER_LISTEN", "127.0.0.1:0")
            .env("TIMBER_DATA_DIR", &data_dir)
            .env("TIMBER_STORAGE", storage)
            // One log line per request would measure the terminal, not timber.
            .env("TIMBER_LOG", "warn")
            .env(
                "TIMBER_APPS",
                format!(
                    r#"[{{sdkappid = {SDKAPPID}, key = "{KEY}"}},
                        {{sdkappid = {AFTER_CALLBACK_APP}, key = "{KEY}", callback_url = "{callback_url}", callbacks = ["Group.CallbackAfterSendMsg"]}},
                        {{sdkappid = {BEFORE_CALLBACK_APP}, key = "{KEY}", callback_url = "{callback_url}", callbacks = ["Group.CallbackBeforeSendMsg"]}}]"#
                ),
            )
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .with_context(|| format!("starting {}", bin.display()))?;
        let stdout = child.stdout.take().context("timber's stdout")?;
        let mut stdout = BufReader::new(stdout);
        let mut first = String::new();
        stdout.read_line(&mut first)?;
        // Keep reading: a closed pipe would fail timber's next line of its banner.
        std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
        let addr: SocketAddr = first
            .trim()
            .strip_prefix("timber listening on http://")
            .with_context(|| format!("unexpected first line from timber: {first:?}"))?
            .parse()?;
        wait_ready(addr)?;
        Ok(Timber {
            child,
            addr,
            start_to_ready: started.elapsed(),
            _dir: Some(dir),
        })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Resident set size of the server process, in MiB.
    pub fn rss_mib(&self) -> f64 {
        rss_mib(self.pid())
    }
}

impl Drop for Timber {
    fn drop(&mut self) {
        // SIGTERM, so the server closes its store as in production.
        unsafe {
            libc::kill(self.child.id() as i32, libc::SIGTERM);
        }
        let _ = self.child.wait();
    }
}

fn wait_ready(addr: SocketAddr) -> anyhow::Result<()> {
    use std::io::{Read, Write};
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Ok(mut s) = std::net::TcpStream::connect(addr) {
            let _ = s.write_all(b"GET /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            let mut buf = String::new();
            let _ = s.read_to_string(&mut buf);
            if buf.starts_with("HTTP/1.1 200") {
                return Ok(());
            }
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    bail!("timber at {addr} did not become ready")
}

/// CPU time a process has used so far (user and system, all its threads), in seconds (0 if
/// it cannot be read).
pub fn cpu_seconds(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|stat| stat_cpu_seconds(&stat))
        .unwrap_or(0.0)
}

/// utime + stime of a `/proc/…/stat` line, in seconds. The fields after the command name,
/// which is in parentheses and may hold spaces: utime and stime are the 12th and 13th, in
/// clock ticks.
fn stat_cpu_seconds(stat: &str) -> f64 {
    let ticks: f64 = stat
        .rsplit_once(')')
        .map(|(_, rest)| {
            rest.split_whitespace()
                .skip(11)
                .take(2)
                .filter_map(|t| t.parse::<f64>().ok())
                .sum()
        })
        .unwrap_or(0.0);
    // SAFETY: sysconf only reads a system constant.
    let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    ticks / per_second
}

/// What the threads of some processes have used so far: CPU seconds by thread name (the
/// threads of a pool share one, e.g. `tokio-rt-worker`; the kernel keeps 15 bytes of it),
/// seconds spent waiting for a core, and context switches. A thread that has exited is no
/// longer counted, so a difference of two readings covers the threads that lived through both.
#[derive(Debug, Default)]
pub struct ThreadUsage {
    pub cpu_by_name: BTreeMap<String, f64>,
    /// Time runnable but not running, by thread name: the second field of
    /// `/proc/<pid>/task/<tid>/schedstat`. On two shared cores a stage can be slow because it
    /// waits for a core, not because it is busy.
    pub wait_by_name: BTreeMap<String, f64>,
    /// Voluntary (the thread waited) and involuntary (it was preempted) switches, summed.
    pub switches: u64,
}

impl ThreadUsage {
    /// Reads `/proc/<pid>/task/*` of each process; threads that cannot be read are skipped.
    pub fn read(pids: &[u32]) -> ThreadUsage {
        let mut usage = ThreadUsage::default();
        for pid in pids {
            let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
                continue;
            };
            for task in tasks.flatten() {
                let dir = task.path();
                let Ok(stat) = std::fs::read_to_string(dir.join("stat")) else {
                    continue;
                };
                let name = match (stat.find('('), stat.rfind(')')) {
                    (Some(open), Some(close)) if open < close => &stat[open + 1..close],
                    _ => "?",
                };
                *usage.cpu_by_name.entry(name.to_owned()).or_default() += stat_cpu_seconds(&stat);
                let schedstat = std::fs::read_to_string(dir.join("schedstat")).unwrap_or_default();
                *usage.wait_by_name.entry(name.to_owned()).or_default() +=
                    schedstat_wait_seconds(&schedstat);
                let status = std::fs::read_to_string(dir.join("status")).unwrap_or_default();
                usage.switches += status
                    .lines()
                    .filter(|l| l.contains("ctxt_switches:"))
                    .filter_map(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
                    .sum::<u64>();
            }
        }
        usage
    }

    /// What was used from `before` to this reading.
    pub fn since(&self, before: &ThreadUsage) -> ThreadUsage {
        ThreadUsage {
            cpu_by_name: difference(&self.cpu_by_name, &before.cpu_by_name),
            wait_by_name: difference(&self.wait_by_name, &before.wait_by_name),
            switches: self.switches.saturating_sub(before.switches),
        }
    }
}

/// `now - then` for each name of `now` (a name missing from `then` counts from 0).
fn difference(now: &BTreeMap<String, f64>, then: &BTreeMap<String, f64>) -> BTreeMap<String, f64> {
    now.iter()
        .map(|(name, n)| {
            let t = then.get(name).copied().unwrap_or(0.0);
            (name.clone(), (n - t).max(0.0))
        })
        .collect()
}

/// The run-queue wait of a `/proc/…/schedstat` line ("on-CPU ns, waiting ns, timeslices"),
/// in seconds; 0 if the kernel keeps no such statistics.
fn schedstat_wait_seconds(schedstat: &str) -> f64 {
    schedstat
        .split_whitespace()
        .nth(1)
        .and_then(|ns| ns.parse::<f64>().ok())
        .map_or(0.0, |ns| ns / 1e9)
}

/// VmRSS of a process, in MiB (0 if it cannot be read).
pub fn rss_mib(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

#[cfg(test)]
mod tests {
    use super::ThreadUsage;
    use std::time::{Duration, Instant};

    const NAME: &str = "bench-test-spin";

    fn spin_cpu(usage: &ThreadUsage) -> f64 {
        usage.cpu_by_name.get(NAME).copied().unwrap_or(0.0)
    }

    /// Keeps the calling thread on the first CPU it may use.
    fn pin_to_one_cpu() {
        // SAFETY: plain libc calls on a zeroed cpu_set_t, for the calling thread (pid 0).
        unsafe {
            let mut set: libc::cpu_set_t = std::mem::zeroed();
            assert_eq!(
                libc::sched_getaffinity(0, std::mem::size_of_val(&set), &mut set),
                0
            );
            let first = (0..libc::CPU_SETSIZE as usize)
                .find(|&cpu| libc::CPU_ISSET(cpu, &set))
                .unwrap();
            libc::CPU_ZERO(&mut set);
            libc::CPU_SET(first, &mut set);
            assert_eq!(
                libc::sched_setaffinity(0, std::mem::size_of_val(&set), &set),
                0
            );
        }
    }

    #[test]
    fn thread_usage_counts_a_named_threads_cpu_and_its_waits() {
        let me = [std::process::id()];
        let before = ThreadUsage::read(&me);
        // A second thread spins on the same CPU as the measured one, which must then wait for
        // it: its wait for a core shows in schedstat.
        let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let rival = {
            let done = done.clone();
            std::thread::spawn(move || {
                pin_to_one_cpu();
                while !done.load(std::sync::atomic::Ordering::Relaxed) {
                    std::hint::spin_loop();
                }
            })
        };
        let after = std::thread::Builder::new()
            .name(NAME.into())
            .spawn(move || {
                pin_to_one_cpu();
                // Spin until the thread itself shows 0.3 s of CPU (wall time would depend on
                // what else the machine runs), reading it every 10 ms.
                let deadline = Instant::now() + Duration::from_secs(20);
                let mut check = Instant::now();
                let mut x = 0u64;
                while Instant::now() < deadline {
                    x = std::hint::black_box(x.wrapping_add(1));
                    if check.elapsed() >= Duration::from_millis(10) {
                        check = Instant::now();
                        if spin_cpu(&ThreadUsage::read(&me)) >= 0.3 {
                            break;
                        }
                    }
                }
                // Each sleep is a voluntary context switch.
                for _ in 0..20 {
                    std::thread::sleep(Duration::from_millis(1));
                }
                // Read before the thread exits: an exited thread is no longer counted.
                ThreadUsage::read(&me)
            })
            .unwrap()
            .join()
            .unwrap();
        done.store(true, std::sync::atomic::Ordering::Relaxed);
        rival.join().unwrap();
        let used = after.since(&before);
        assert!(spin_cpu(&before) == 0.0, "{before:?}");
        assert!(spin_cpu(&used) >= 0.3, "{used:?}");
        let waited = used.wait_by_name.get(NAME).copied().unwrap_or(0.0);
        assert!(waited >= 0.1, "waited {waited} s for a core: {used:?}");
        assert!(used.switches >= 20, "{} context switches", used.switches);
    }
}
