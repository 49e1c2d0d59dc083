//! The `im_push` measurement (issue 29): one push to every account of an app seeded with
//! many, timed from the request to the task's `Done` (every recipient has its entry), with
//! the server's peak RSS meanwhile: a push to a large app must stream its recipients, never
//! hold them all.

use crate::client::{Conn, Target};
use anyhow::Context;
use serde_json::json;
use std::time::{Duration, Instant};

/// One push's figures.
pub struct PushOutcome {
    pub recipients: u64,
    pub seconds: f64,
    pub peak_rss_mib: f64,
}

impl PushOutcome {
    pub fn per_second(&self) -> f64 {
        self.recipients as f64 / self.seconds
    }
}

/// Imports `count` accounts `push-0`… (a hundred per call, over eight connections).
pub async fn seed(target: &Target, count: u64) -> anyhow::Result<()> {
    eprintln!("seeding {count} accounts for im_push…");
    let per = count.div_ceil(8);
    let mut tasks = Vec::new();
    for part in 0..8u64 {
        let t = target.clone();
        tasks.push(tokio::spawn(async move {
            let mut c = Conn::connect(t.addr).await?;
            let (lo, hi) = (part * per, ((part + 1) * per).min(count));
            let mut i = lo;
            while i < hi {
                let end = (i + 100).min(hi);
                let list: Vec<_> = (i..end).map(|n| format!("push-{n}")).collect();
                c.call_ok(
                    &t,
                    "im_open_login_svc/multiaccount_import",
                    json!({ "Accounts": list }),
                )
                .await?;
                i = end;
            }
            anyhow::Ok(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    Ok(())
}

/// Pushes one message to every account (kept offline for an hour, so each gets an entry) and
/// waits for the task to be done, sampling the server's RSS every 20 ms.
pub async fn run(target: &Target, pid: u32, random: u32) -> anyhow::Result<PushOutcome> {
    let mut c = Conn::connect(target.addr).await?;
    let started = Instant::now();
    let mut peak = crate::server::rss_mib(pid);
    let resp = c
        .call_ok(
            target,
            "all_member_push/im_push",
            json!({"MsgRandom": random, "MsgLifeTime": 3600,
                   "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "to everyone"}}]}),
        )
        .await?;
    let task_id = resp["TaskId"]
        .as_str()
        .context("im_push answered no TaskId")?;
    let uri = format!(
        "/_timber/push_task?sdkappid={}&identifier={}&usersig={}&contenttype=json&task_id={task_id}&summary=1",
        target.sdkappid, target.identifier, target.usersig
    );
    loop {
        peak = peak.max(crate::server::rss_mib(pid));
        let body = c.get(&uri).await?;
        let v: serde_json::Value = serde_json::from_slice(&body)?;
        if v["Task"]["Done"] == true {
            return Ok(PushOutcome {
                recipients: v["Task"]["Recipients"].as_u64().unwrap_or(0),
                seconds: started.elapsed().as_secs_f64(),
                peak_rss_mib: peak,
            });
        }
        anyhow::ensure!(
            started.elapsed() < Duration::from_secs(600),
            "the push was not done in 10 minutes: {v}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
