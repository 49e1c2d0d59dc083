//! Delivers the after-events of the store's outbox (ARCHITECTURE.md, Callbacks). One task per
//! node: it claims a batch of rows (leased, so that a node that dies mid-batch loses its claim
//! and another node, or its own restart, sends them again), delivers each ordering's events
//! one after the other and the orderings side by side, then deletes the batch. Delivery is at
//! least once: a node killed between sending and deleting sends again.

use super::Callbacks;
use crate::State;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use timber_core::callback::now_millis;
use timber_store::outbox::OutboxRow;
use tokio::task::JoinSet;

/// Rows claimed at once.
const BATCH: u64 = 256;
/// How long a claim is held: a batch that outlives it may be claimed again by another node
/// (sent twice, never lost).
const LEASE_MS: i64 = 120_000;
/// How often the outbox is looked at when nothing woke the dispatcher (events written by
/// other nodes, retries after a store failure).
const POLL: Duration = Duration::from_millis(250);
/// First pause before a retry; doubled for each further one, at most [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_secs(1);
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// The running dispatcher; dropping it does not stop it, [`Dispatcher::stop`] does.
pub struct Dispatcher {
    task: tokio::task::JoinHandle<()>,
}

impl Dispatcher {
    /// Starts delivering. `single_process`: the store is this process's alone (SQLite), so
    /// every lease left by an earlier run is freed first and its events go out at once.
    pub fn start(state: Arc<State>, single_process: bool) -> Dispatcher {
        let owner = format!("{:016x}", rand::random::<u64>());
        let task = tokio::spawn(async move {
            // The newest row a single process has handed out: it reads past it, claiming
            // nothing; after a restart it starts again from the oldest row left.
            let mut cursor = single_process.then_some(0);
            if single_process {
                if let Err(e) = state.store.release_events().await {
                    tracing::error!(error = %e, "could not free the callback outbox's leases");
                }
            }
            loop {
                match step(&state, &owner, &mut cursor).await {
                    Ok(true) => continue,
                    Ok(false) => {}
                    Err(e) => tracing::error!(error = %e, "callback outbox step failed"),
                }
                tokio::select! {
                    () = state.callbacks.recorded.notified() => {}
                    () = tokio::time::sleep(POLL) => {}
                }
            }
        });
        Dispatcher { task }
    }

    /// Stops after the current delivery; what is not deleted yet is sent again later.
    pub fn stop(self) {
        self.task.abort();
    }
}

/// Claims (or, with a `cursor`, reads past it) and delivers one batch; `true` when there was
/// one (look again at once).
async fn step(
    state: &Arc<State>,
    owner: &str,
    cursor: &mut Option<i64>,
) -> timber_store::Result<bool> {
    let rows = match cursor {
        Some(after) => state.store.events_after(*after, BATCH).await?,
        None => {
            let now = now_millis();
            if !state.store.events_pending(now).await? {
                return Ok(false);
            }
            state
                .store
                .claim_events(owner.to_owned(), now, now + LEASE_MS, BATCH)
                .await?
        }
    };
    let Some(last) = rows.last() else {
        return Ok(false);
    };
    if let Some(after) = cursor {
        *after = last.id;
    }
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut orderings: HashMap<(u64, String), Vec<OutboxRow>> = HashMap::new();
    for row in rows {
        orderings
            .entry((row.app, row.ordering.clone()))
            .or_default()
            .push(row);
    }
    let mut tasks = JoinSet::new();
    for (_, rows) in orderings {
        let state = state.clone();
        tasks.spawn(async move {
            for row in rows {
                deliver(&state, &row).await;
            }
        });
    }
    while tasks.join_next().await.is_some() {}
    state.store.finish_events(ids).await?;
    Ok(true)
}

/// Sends one event, retrying `callback_after_retries` times with a doubling pause. The app's
/// answer is not looked at beyond being a JSON object (callbacks.md §4). An event whose app
/// no longer has a URL is dropped.
async fn deliver(state: &State, row: &OutboxRow) {
    let Some(app) = state.apps.get(row.app) else {
        return;
    };
    let callbacks: &Callbacks = &state.callbacks;
    let mut pause = FIRST_BACKOFF;
    for attempt in 0..=app.callback_after_retries {
        if attempt > 0 {
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(MAX_BACKOFF);
        }
        match callbacks
            .post(app, &row.command, row.body.clone(), &row.client_ip)
            .await
        {
            Ok(_) => return,
            Err(why) => {
                tracing::warn!(command = %row.command, attempt, %why, "after-callback failed")
            }
        }
    }
}
