//! The background sweeper: reclaims space, never inside a request (DESIGN.md invariant 4).
//!
//! Each pass first purges destroyed groups (their members, mutes and messages), then deletes
//! messages past their app's retention (group, one-to-one and official accounts' messages). Work is done in small steps — each one short write
//! transaction of at most `STEP_ROWS` rows — with a pause between steps, so requests never
//! queue behind a long delete. The retention cursor lives in the store, so a restart resumes
//! where the last step stopped. Until a row is swept it already reads as expired
//! (`IsPlaceMsg` 1), so sweeping late is never visible.

use crate::apps::Apps;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use timber_store::messages::RetentionPolicy;
use timber_store::Store;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Rows deleted per step at most.
const STEP_ROWS: u64 = 500;
/// Pause between two steps: at most 10,000 rows a second leave through the sweeper.
const STEP_PAUSE: Duration = Duration::from_millis(50);

/// A running sweeper; [`Sweeper::stop`] ends it after its current step, also mid-pass.
pub struct Sweeper {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Sweeper {
    /// Starts sweeping every `interval` (the pause between the end of one pass and the start of
    /// the next). The retention of each hosted app is read once: apps never change while the
    /// process runs.
    pub fn start(store: Arc<dyn Store>, apps: &Apps, interval: Duration) -> Sweeper {
        let policy: RetentionPolicy = Arc::new(
            apps.iter()
                .map(|a| (a.sdkappid, a.retention_days))
                .collect::<HashMap<_, _>>(),
        );
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(run(store, policy, interval, stopped));
        Sweeper { stop, task }
    }

    /// Asks the sweeper to stop and waits until it has (at most one step).
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        if let Err(e) = self.task.await {
            tracing::error!(error = %e, "the sweeper task failed");
        }
    }
}

async fn run(
    store: Arc<dyn Store>,
    policy: RetentionPolicy,
    interval: Duration,
    mut stopped: watch::Receiver<bool>,
) {
    loop {
        if let Err(e) = pass(&*store, &policy, &mut stopped).await {
            tracing::warn!(error = %e, "sweep pass interrupted; retrying at the next interval");
        }
        if stop_within(&mut stopped, interval).await {
            return;
        }
    }
}

/// The histories that expire with the app's retention.
#[derive(Clone, Copy)]
enum History {
    Group,
    C2c,
    Official,
}

/// One pass; returns early (Ok) when asked to stop.
async fn pass(
    store: &dyn Store,
    policy: &RetentionPolicy,
    stopped: &mut watch::Receiver<bool>,
) -> timber_store::Result<()> {
    let (mut purged, mut expired) = (0, 0);
    let stopping = |purged: u64, expired: u64| {
        tracing::info!(
            purged,
            expired,
            "sweep pass stopped for shutdown; the next start resumes it"
        );
        Ok(())
    };
    if *stopped.borrow() {
        return Ok(());
    }
    loop {
        let n = store.purge_step(STEP_ROWS).await?;
        if n == 0 {
            break;
        }
        purged += n;
        if stop_within(stopped, STEP_PAUSE).await {
            return stopping(purged, expired);
        }
    }
    // Group messages, then one-to-one messages (each its own walk with its own cursor), then
    // official accounts' messages (the oldest expired first, no cursor).
    for history in [History::Group, History::C2c, History::Official] {
        loop {
            let (policy, now) = (policy.clone(), timber_core::now_secs());
            let step = match history {
                History::Group => store.expire_step(policy, now, STEP_ROWS).await?,
                History::C2c => store.expire_c2c_step(policy, now, STEP_ROWS).await?,
                History::Official => store.expire_official_step(policy, now, STEP_ROWS).await?,
            };
            expired += step.deleted;
            if step.pass_done {
                break;
            }
            if stop_within(stopped, STEP_PAUSE).await {
                return stopping(purged, expired);
            }
        }
    }
    if purged + expired > 0 {
        tracing::info!(purged, expired, "sweep pass done");
    }
    Ok(())
}

/// Waits `pause`, or less: true as soon as a stop is asked for, also when it was asked for
/// before this wait began (a stop seen by an earlier wait is not used up, so a stop that comes
/// during a pass never waits out a whole interval), or when the [`Sweeper`] is gone.
async fn stop_within(stopped: &mut watch::Receiver<bool>, pause: Duration) -> bool {
    tokio::select! {
        _ = tokio::time::sleep(pause) => false,
        _ = stopped.wait_for(|&stop| stop) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apps::App;
    use timber_store::sqlite::SqliteStore;

    #[tokio::test]
    async fn stops_promptly_even_with_a_long_interval() {
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open_memory().unwrap());
        let apps = Apps::new([App::new(1, "k")]);
        let sweeper = Sweeper::start(store.clone(), &apps, Duration::from_secs(3_600));
        tokio::time::sleep(Duration::from_millis(20)).await;
        tokio::time::timeout(Duration::from_secs(5), sweeper.stop())
            .await
            .expect("the sweeper stopped");
        store.close().await;
    }

    /// A pass deletes expired one-to-one messages too, and keeps the retained ones.
    #[tokio::test]
    async fn a_pass_sweeps_c2c_messages() {
        use timber_core::c2c::{NewC2cMsg, RoamQuery};
        use timber_core::message::Retention;
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open_memory().unwrap());
        let now = timber_core::now_secs();
        let users = ["a", "b"].map(timber_store::NewAccount::bare).to_vec();
        store.import_accounts(1, users, now).await.unwrap();
        for (seq, time) in [(1, now - 2 * 86_400), (2, now)] {
            let msg = NewC2cMsg {
                from: "a".into(),
                to: "b".into(),
                seq,
                random: 1,
                time,
                body: "[]".into(),
                cloud_custom_data: None,
                offline_push: None,
                sync_sender: true,
                counts_unread: true,
                updates_last: true,
                need_receipt: false,
                online_only: false,
                after_callback: false,
                support_extension: false,
            };
            store.send_c2c(1, msg).await.unwrap();
        }
        let policy: RetentionPolicy = Arc::new(HashMap::from([(1, 1)]));
        let (_stop, mut stopped) = watch::channel(false);
        pass(&*store, &policy, &mut stopped).await.unwrap();
        let q = RoamQuery {
            max_cnt: 10,
            min_time: 0,
            max_time: now + 10,
            before: None,
        };
        let forever = Retention::forever(now);
        let page = store
            .roam_c2c(1, "a".into(), "b".into(), q, forever)
            .await
            .unwrap();
        let seqs: Vec<u32> = page.entries.iter().map(|e| e.key.seq).collect();
        assert_eq!(
            seqs,
            vec![2],
            "the expired message is gone, even read with no retention"
        );
        store.close().await;
    }

    /// A pass deletes official accounts' expired messages, and keeps the retained ones.
    #[tokio::test]
    async fn a_pass_sweeps_official_messages() {
        use timber_core::message::Retention;
        use timber_core::official::NewOfficialMsg;
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open_memory().unwrap());
        let now = timber_core::now_secs();
        let owner = vec![timber_store::NewAccount::bare("o")];
        store.import_accounts(1, owner, now).await.unwrap();
        let id = "@TOA#_news".to_owned();
        let account = timber_store::official::NewOfficial {
            id: id.clone(),
            owner: "o".into(),
            info: Default::default(),
            max_subscribers: 10,
            now: now - 3 * 86_400,
            operator: "admin".into(),
        };
        store.create_official(1, account).await.unwrap();
        for (random, time) in [(1, now - 2 * 86_400), (2, now)] {
            let msg = NewOfficialMsg {
                random,
                body: "[]".into(),
                cloud_custom_data: None,
                online_only: false,
                now: time,
                operator: "admin".into(),
                after_callback: false,
            };
            store.send_official(1, id.clone(), msg).await.unwrap();
        }
        let policy: RetentionPolicy = Arc::new(HashMap::from([(1, 1)]));
        let (_stop, mut stopped) = watch::channel(false);
        pass(&*store, &policy, &mut stopped).await.unwrap();
        let forever = Retention::forever(now);
        let (page, _) = store
            .official_history(1, id, None, 20, true, forever)
            .await
            .unwrap();
        let seqs: Vec<u64> = page.iter().map(|m| m.seq).collect();
        assert_eq!(seqs, vec![2], "the expired message is gone");
        store.close().await;
    }

    /// The pause between passes after a stop was seen by a pause inside the pass (issue 23):
    /// the stop is not used up.
    #[tokio::test]
    async fn a_stop_seen_by_one_pause_ends_the_next_one_too() {
        let (stop, mut stopped) = watch::channel(false);
        let _ = stop.send(true);
        let hour = Duration::from_secs(3_600);
        assert!(stop_within(&mut stopped, hour).await);
        let again = tokio::time::timeout(Duration::from_secs(1), stop_within(&mut stopped, hour));
        assert!(again.await.expect("the second pause ended at once"));
        drop(stop);
        let gone = tokio::time::timeout(Duration::from_secs(1), stop_within(&mut stopped, hour));
        assert!(gone.await.expect("a dropped Sweeper stops it too"));
    }
}
