//! Publishing committed changes to members in commit order (members.md §4: "in commit order
//! per conversation").
//!
//! Each write publishes from its own task once its commit is answered, and two tasks may be
//! scheduled in either order: the second of two sends to one group could reach members
//! first. So a write whose changes are to be published takes a ticket *where its commit is
//! ordered* (on SQLite's writer thread, which runs the jobs in the order it commits them),
//! and the changes go out in ticket order: whoever completes the lowest open ticket
//! publishes it and every later one already complete. Nobody waits; a write that failed, or
//! whose caller went away, completes its ticket empty so that the ones after it go out.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use timber_core::member::{Change, ChangeSink};
use timber_core::AppId;

type Item = (AppId, Vec<Change>, u64);

#[derive(Default)]
struct State {
    next_ticket: u64,
    next_out: u64,
    done: BTreeMap<u64, Option<Item>>,
}

/// The tickets of one store.
#[derive(Default)]
pub(crate) struct Sequencer {
    state: Mutex<State>,
}

impl Sequencer {
    /// A ticket for `changes`, to be published through `sink` once [`Ticket::committed`],
    /// skipping the member connection `origin` (`ChangeSink::origin`, read by the writing
    /// task: the ticket may be taken on another thread).
    pub(crate) fn ticket(
        self: &Arc<Self>,
        app: AppId,
        changes: Vec<Change>,
        origin: u64,
        sink: Arc<dyn ChangeSink>,
    ) -> Ticket {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let n = s.next_ticket;
        s.next_ticket += 1;
        drop(s);
        Ticket {
            seq: self.clone(),
            n,
            item: Some((app, changes, origin)),
            committed: false,
            sink,
        }
    }

    fn complete(&self, n: u64, item: Option<Item>, sink: &dyn ChangeSink) {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        s.done.insert(n, item);
        // Publishing under the lock keeps the order; the hub only offers frames to queues.
        while let Some(item) = {
            let next = s.next_out;
            s.done.remove(&next)
        } {
            s.next_out += 1;
            if let Some((app, changes, origin)) = item {
                sink.publish_from(app, changes, origin);
            }
        }
    }
}

/// A write's place in the publishing order; dropping it completes it (empty unless
/// committed).
pub(crate) struct Ticket {
    seq: Arc<Sequencer>,
    n: u64,
    item: Option<Item>,
    committed: bool,
    sink: Arc<dyn ChangeSink>,
}

impl Ticket {
    /// The write committed: its changes go out in their turn.
    pub(crate) fn committed(mut self) {
        self.committed = true;
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let item = if self.committed {
            self.item.take()
        } else {
            None
        };
        self.seq.complete(self.n, item, &*self.sink);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default)]
    struct Log(Mutex<Vec<u64>>);

    impl ChangeSink for Log {
        fn active(&self) -> bool {
            true
        }
        fn wants(&self, _: AppId) -> bool {
            true
        }
        fn publish(&self, app: AppId, _: Vec<Change>) {
            self.0.lock().unwrap().push(app);
        }
    }

    #[test]
    fn changes_go_out_in_ticket_order_and_failures_do_not_block() {
        let seq = Arc::new(Sequencer::default());
        let log = Arc::new(Log::default());
        let t = |app| seq.ticket(app, Vec::new(), 0, log.clone());
        let (a, b, c, d) = (t(1), t(2), t(3), t(4));
        d.committed();
        b.committed();
        assert!(log.0.lock().unwrap().is_empty(), "1 is still open");
        drop(a); // failed: nothing of it, but 2 may go now
        assert_eq!(*log.0.lock().unwrap(), [2]);
        c.committed();
        assert_eq!(*log.0.lock().unwrap(), [2, 3, 4]);
    }
}
