//! The member hub of this node (DESIGN.md, Changes, callbacks and members): the live
//! connections by app and account, the groups each connected account is in, the official
//! accounts it subscribes to, and delivery of committed changes to them.
//!
//! - **Cheap when nobody listens.** `ChangeSink::active` is one atomic load: while no member
//!   is connected to this node, a write builds no change at all (the REST send path is
//!   benchmarked). `wants(app)` is a read lock on a map of the apps with connections.
//! - **Never waits for a member.** Each connection has a bounded queue; a frame is offered
//!   with `try_send`, and a connection whose queue is full is closed with 4008 (it resyncs
//!   from history when it reconnects). A frame for many members is serialized once.
//! - **Ordered per conversation.** The store publishes in commit order (SQLite: tickets
//!   taken by its writer; PostgreSQL: the change log's order); each change is delivered
//!   before `publish` returns, and the queue of a connection keeps the order it was fed in.
//! - **Fed by every node.** On PostgreSQL, `publish_from` is called by the store's reader
//!   of the shared change log (members.md §6), for writes made through any node.

use super::events;
use axum::extract::ws::Utf8Bytes;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU16, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use timber_core::member::{close, Change, ChangeSink, Platform};
use timber_core::AppId;
use tokio::sync::{broadcast, mpsc, Notify};

/// What a connection's writer sends: a text frame, or the close it ends with. The text is
/// shared, not copied, by every connection a frame goes to (a clone counts a reference);
/// behind an `Arc`, a queue slot is 24 bytes rather than 40 (each connection's queue
/// allocates 32 slots at once).
#[derive(Debug, Clone)]
pub enum Outgoing {
    Text(Arc<Utf8Bytes>),
    Close(u16, &'static str),
}

/// One live connection as the hub sees it.
pub struct ConnHandle {
    pub id: u64,
    pub account: String,
    pub platform: Platform,
    tx: mpsc::Sender<Outgoing>,
    /// The close code decided from outside the queue (a full queue, a kick); 0: none.
    closing: AtomicU16,
    pub close_now: Notify,
}

impl ConnHandle {
    /// Offers a frame; a full queue closes the connection with 4008.
    pub fn offer(&self, frame: Outgoing) -> bool {
        match self.tx.try_send(frame) {
            Ok(()) => true,
            Err(mpsc::error::TrySendError::Full(_)) => {
                self.close(close::TOO_SLOW);
                false
            }
            Err(mpsc::error::TrySendError::Closed(_)) => false,
        }
    }

    /// Queues an answer to the member's own request, waiting for room.
    pub async fn reply(&self, frame: Outgoing) {
        let _ = self.tx.send(frame).await;
    }

    /// Closes the connection with `code` at once (the first code decided wins).
    pub fn close(&self, code: u16) {
        if self
            .closing
            .compare_exchange(0, code, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
        {
            self.close_now.notify_one();
        }
    }

    pub fn closing(&self) -> u16 {
        self.closing.load(Ordering::Acquire)
    }
}

#[derive(Default)]
struct AppConns {
    /// Connections by account.
    accounts: HashMap<String, Vec<Arc<ConnHandle>>>,
    /// Connected accounts by group they are in.
    groups: HashMap<String, HashSet<String>>,
    /// Groups by connected account.
    member_of: HashMap<String, HashSet<String>>,
    /// Connected subscribers by official account, each with whether broadcasts reach it
    /// (its `MsgFlag` is not `Discard`): loaded at connect, kept by the subscription changes.
    /// A broadcast walks one entry; the subscriber list is never read for a send.
    officials: HashMap<String, HashMap<String, bool>>,
    /// Official accounts by connected subscriber.
    subscribed: HashMap<String, HashSet<String>>,
}

impl AppConns {
    fn join(&mut self, group: &str, account: &str) {
        if !self.accounts.contains_key(account) {
            return;
        }
        self.groups
            .entry(group.to_owned())
            .or_default()
            .insert(account.to_owned());
        self.member_of
            .entry(account.to_owned())
            .or_default()
            .insert(group.to_owned());
    }

    fn leave(&mut self, group: &str, account: &str) {
        if let Some(set) = self.groups.get_mut(group) {
            set.remove(account);
            if set.is_empty() {
                self.groups.remove(group);
            }
        }
        if let Some(set) = self.member_of.get_mut(account) {
            set.remove(group);
        }
    }

    /// `account` (if connected) subscribes to `official`, delivered or not.
    fn subscribe(&mut self, official: &str, account: &str, delivered: bool) {
        if !self.accounts.contains_key(account) {
            return;
        }
        self.officials
            .entry(official.to_owned())
            .or_default()
            .insert(account.to_owned(), delivered);
        self.subscribed
            .entry(account.to_owned())
            .or_default()
            .insert(official.to_owned());
    }

    fn unsubscribe(&mut self, official: &str, account: &str) {
        if let Some(subs) = self.officials.get_mut(official) {
            subs.remove(account);
            if subs.is_empty() {
                self.officials.remove(official);
            }
        }
        if let Some(set) = self.subscribed.get_mut(account) {
            set.remove(official);
            if set.is_empty() {
                self.subscribed.remove(account);
            }
        }
    }

    /// The connected subscribers of `official`, whatever their `MsgFlag`.
    fn subscribers(&self, official: &str) -> Vec<String> {
        self.officials
            .get(official)
            .map(|subs| subs.keys().cloned().collect())
            .unwrap_or_default()
    }

    fn conns_of<'a>(&'a self, account: &str) -> impl Iterator<Item = &'a Arc<ConnHandle>> + 'a {
        self.accounts.get(account).into_iter().flatten()
    }
}

/// The hub. One per node; shared by the HTTP layer and (as a `ChangeSink`) the store.
pub struct Hub {
    total: AtomicUsize,
    next_id: AtomicU64,
    apps: RwLock<HashMap<AppId, Arc<Mutex<AppConns>>>>,
    /// Frames a connection may have waiting before it is closed with 4008.
    pub queue_capacity: usize,
    /// A connection that sends nothing this long is closed (4000); pinged at a third of it.
    pub idle: std::time::Duration,
    /// Told when the node stops: every connection closes with 1001.
    pub stopping: tokio::sync::watch::Sender<bool>,
    /// The AVChatRooms' online members, join times and marks (groups-more.md §7).
    pub rooms: super::rooms::Rooms,
    /// The console's event streams (`/_timber/events`), by app: every change of the app, as
    /// its member frame, whoever it goes to.
    observers: RwLock<HashMap<AppId, broadcast::Sender<Arc<str>>>>,
    /// Streams open, all apps: while there is one, writes build their changes.
    observing: AtomicUsize,
}

/// Changes a console stream may fall behind by before it skips (and says how many).
pub const OBSERVER_BACKLOG: usize = 4096;

/// One console stream of an app's changes; dropping it ends the stream.
pub struct Observer {
    pub rx: broadcast::Receiver<Arc<str>>,
    hub: Arc<Hub>,
}

impl Drop for Observer {
    fn drop(&mut self) {
        self.hub.observing.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Default for Hub {
    fn default() -> Hub {
        Hub::new(DEFAULT_QUEUE)
    }
}

/// Frames waiting per connection by default.
pub const DEFAULT_QUEUE: usize = 1024;

// The task-local id of the connection whose request is being served: the sender's own
// connection does not get its own message back (members.md §4: "the sender's other
// connections").
tokio::task_local! {
    pub static ORIGIN: u64;
}

impl Hub {
    pub fn new(queue_capacity: usize) -> Hub {
        Hub {
            total: AtomicUsize::new(0),
            next_id: AtomicU64::new(1),
            apps: RwLock::new(HashMap::new()),
            queue_capacity: queue_capacity.max(1),
            idle: super::IDLE_AFTER,
            stopping: tokio::sync::watch::channel(false).0,
            rooms: super::rooms::Rooms::default(),
            observers: RwLock::new(HashMap::new()),
            observing: AtomicUsize::new(0),
        }
    }

    /// Opens a stream of every change of `app` (the console's live feed).
    pub fn observe(self: &Arc<Self>, app: AppId) -> Observer {
        let mut observers = self.observers.write().unwrap_or_else(|e| e.into_inner());
        let rx = observers
            .entry(app)
            .or_insert_with(|| broadcast::channel(OBSERVER_BACKLOG).0)
            .subscribe();
        self.observing.fetch_add(1, Ordering::AcqRel);
        Observer {
            rx,
            hub: self.clone(),
        }
    }

    /// Console streams open now, all apps.
    pub fn observers(&self) -> usize {
        self.observing.load(Ordering::Acquire)
    }

    fn observer_of(&self, app: AppId) -> Option<broadcast::Sender<Arc<str>>> {
        // One atomic load while no console watches: the delivery path takes no lock for it.
        if self.observing.load(Ordering::Acquire) == 0 {
            return None;
        }
        let observers = self.observers.read().ok()?;
        observers
            .get(&app)
            .filter(|tx| tx.receiver_count() > 0)
            .cloned()
    }

    /// A handle for requests made on a member's behalf without a connection (the console's
    /// "act as a member"): registered nowhere, so events never reach it.
    pub fn detached(&self, account: &str) -> Arc<ConnHandle> {
        let (tx, _) = mpsc::channel(1);
        Arc::new(ConnHandle {
            id: self.next_id.fetch_add(1, Ordering::Relaxed),
            account: account.to_owned(),
            platform: Platform::Web,
            tx,
            closing: AtomicU16::new(0),
            close_now: Notify::new(),
        })
    }

    fn app(&self, app: AppId) -> Option<Arc<Mutex<AppConns>>> {
        self.apps.read().ok()?.get(&app).cloned()
    }

    /// Registers a connection of `account` in the groups it is in and as a subscriber of the
    /// official accounts it subscribes to (each with whether its `MsgFlag` delivers); returns
    /// its handle and the receiving end of its queue.
    pub fn register(
        &self,
        app: AppId,
        account: &str,
        platform: Platform,
        groups: &[String],
        officials: &[(String, bool)],
    ) -> (Arc<ConnHandle>, mpsc::Receiver<Outgoing>) {
        let (tx, rx) = mpsc::channel(self.queue_capacity);
        let handle = Arc::new(ConnHandle {
            id: self.next_id.fetch_add(1, Ordering::Relaxed),
            account: account.to_owned(),
            platform,
            tx,
            closing: AtomicU16::new(0),
            close_now: Notify::new(),
        });
        let conns = {
            let mut apps = self.apps.write().unwrap_or_else(|e| e.into_inner());
            apps.entry(app).or_default().clone()
        };
        let mut c = conns.lock().unwrap_or_else(|e| e.into_inner());
        c.accounts
            .entry(account.to_owned())
            .or_default()
            .push(handle.clone());
        for g in groups {
            c.join(g, account);
        }
        for (official, delivered) in officials {
            c.subscribe(official, account, *delivered);
        }
        drop(c);
        self.total.fetch_add(1, Ordering::AcqRel);
        (handle, rx)
    }

    /// Removes a connection; the account leaves the hub's groups with its last one.
    pub fn unregister(&self, app: AppId, handle: &ConnHandle) {
        let Some(conns) = self.app(app) else { return };
        let mut c = conns.lock().unwrap_or_else(|e| e.into_inner());
        let mut last = false;
        if let Some(list) = c.accounts.get_mut(&handle.account) {
            list.retain(|h| h.id != handle.id);
            last = list.is_empty();
        }
        if last {
            c.accounts.remove(&handle.account);
            if let Some(groups) = c.member_of.remove(&handle.account) {
                for g in groups {
                    c.leave(&g, &handle.account);
                }
            }
            if let Some(officials) = c.subscribed.remove(&handle.account) {
                for o in officials {
                    c.unsubscribe(&o, &handle.account);
                }
            }
        }
        let empty = c.accounts.is_empty();
        drop(c);
        self.total.fetch_sub(1, Ordering::AcqRel);
        if empty {
            let mut apps = self.apps.write().unwrap_or_else(|e| e.into_inner());
            if let Some(conns) = apps.get(&app) {
                let still_empty = conns.lock().map(|c| c.accounts.is_empty()).unwrap_or(false);
                if still_empty {
                    apps.remove(&app);
                }
            }
        }
    }

    /// Puts a connected account in a group through its connection `conn` (joinGroup in an
    /// AVChatRoom, which keeps no member list: its members are those present).
    /// True when the account was not present before (it came online in the room).
    pub fn enter(&self, app: AppId, group: &str, account: &str, conn: u64, now: i64) -> bool {
        if let Some(conns) = self.app(app) {
            let mut c = conns.lock().unwrap_or_else(|e| e.into_inner());
            if c.accounts.contains_key(account) {
                let new = self.rooms.enter(app, group, account, conn, now);
                c.join(group, account);
                return new;
            }
        }
        false
    }

    /// The account quits the room (quitGroup): absent at once, whatever its connections.
    /// True when it was present.
    pub fn exit(&self, app: AppId, group: &str, account: &str) -> bool {
        let was = !self
            .rooms
            .remove(app, group, &[account.to_owned()])
            .is_empty();
        if let Some(conns) = self.app(app) {
            conns
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .leave(group, account);
        }
        was
    }

    /// The connection `conn`, which joined the room, ended: the account leaves it when no
    /// other connection of its holds it (then true).
    pub fn exit_conn(&self, app: AppId, group: &str, account: &str, conn: u64) -> bool {
        let left = self.rooms.leave_conn(app, group, account, conn);
        if left {
            if let Some(conns) = self.app(app) {
                conns
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .leave(group, account);
            }
        }
        left
    }

    /// The connected accounts in a group (for AVChatRoom, its online members).
    pub fn present(&self, app: AppId, group: &str) -> Vec<String> {
        let Some(conns) = self.app(app) else {
            return Vec::new();
        };
        let c = conns.lock().unwrap_or_else(|e| e.into_inner());
        let mut out: Vec<String> = c
            .groups
            .get(group)
            .map(|s| s.iter().cloned().collect())
            .unwrap_or_default();
        out.sort();
        out
    }

    /// Each platform `account` is connected from on this node (query_online_status).
    pub fn platforms(&self, app: AppId, account: &str) -> Vec<Platform> {
        let Some(conns) = self.app(app) else {
            return Vec::new();
        };
        let c = conns.lock().unwrap_or_else(|e| e.into_inner());
        c.conns_of(account).map(|h| h.platform).collect()
    }

    /// Waits until every member connection of this node has ended.
    pub async fn drained(&self) {
        while self.connections() > 0 {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    /// Connections on this node, all apps.
    pub fn connections(&self) -> usize {
        self.total.load(Ordering::Acquire)
    }

    /// Sends `frame` to every connection of `account` but `except`.
    pub fn to_account(&self, app: AppId, account: &str, frame: &Outgoing, except: u64) {
        let Some(conns) = self.app(app) else { return };
        let c = conns.lock().unwrap_or_else(|e| e.into_inner());
        for h in c.conns_of(account).filter(|h| h.id != except) {
            h.offer(frame.clone());
        }
    }

    fn deliver(&self, app: AppId, change: Change, origin: u64) {
        let Some(conns) = self.app(app) else { return };
        let mut c = conns.lock().unwrap_or_else(|e| e.into_inner());
        let send = |c: &AppConns, accounts: &mut dyn Iterator<Item = &str>, frame: &Outgoing| {
            for a in accounts {
                for h in c.conns_of(a).filter(|h| h.id != origin) {
                    h.offer(frame.clone());
                }
            }
        };
        let members = |c: &AppConns, g: &str| -> Vec<String> {
            c.groups
                .get(g)
                .map(|s| s.iter().cloned().collect())
                .unwrap_or_default()
        };
        match &change {
            Change::GroupMessage { group_id, msg } => {
                let frame = events::group_message(group_id, msg);
                let c = &*c;
                // The hot path (a group's every message): the group's connected accounts
                // are walked in place, not copied.
                let Some(inside) = c.groups.get(group_id.as_str()) else {
                    return;
                };
                if msg.to_accounts.is_empty() {
                    send(c, &mut inside.iter().map(String::as_str), &frame);
                } else {
                    let mut who: Vec<&str> = msg.to_accounts.iter().map(String::as_str).collect();
                    who.push(&msg.from);
                    who.sort_unstable();
                    who.dedup();
                    send(
                        c,
                        &mut who.into_iter().filter(|a| inside.contains(*a)),
                        &frame,
                    );
                }
            }
            Change::Broadcast { msg } => {
                for room in self.rooms.of_app(app) {
                    let frame = events::group_message(&room, msg);
                    let all = members(&c, &room);
                    send(&c, &mut all.iter().map(String::as_str), &frame);
                }
            }
            Change::MemberClearedGroup { member, .. } | Change::GroupReadChanged { member, .. } => {
                let frame = events::frame_of(&change);
                for h in c.conns_of(member) {
                    h.offer(frame.clone());
                }
            }
            Change::MemberClearedC2c { member, .. } | Change::C2cReadChanged { member, .. } => {
                let frame = events::frame_of(&change);
                for h in c.conns_of(member) {
                    h.offer(frame.clone());
                }
            }
            Change::MembersJoined {
                group_id, accounts, ..
            } => {
                for a in accounts {
                    c.join(group_id, a);
                }
                let frame = events::frame_of(&change);
                let all = members(&c, group_id);
                send(&c, &mut all.iter().map(String::as_str), &frame);
            }
            Change::MembersLeft {
                group_id, accounts, ..
            } => {
                let frame = events::frame_of(&change);
                let mut all = members(&c, group_id);
                all.extend(accounts.iter().cloned());
                all.sort();
                all.dedup();
                send(&c, &mut all.iter().map(String::as_str), &frame);
                for a in accounts {
                    c.leave(group_id, a);
                }
            }
            Change::GroupDismissed { group_id, .. } => {
                self.rooms.forget(app, group_id);
                let frame = events::frame_of(&change);
                let all = members(&c, group_id);
                send(&c, &mut all.iter().map(String::as_str), &frame);
                for a in &all {
                    c.leave(group_id, a);
                }
            }
            Change::GroupRecalled { group_id, .. }
            | Change::GroupModified { group_id, .. }
            | Change::GroupCleared { group_id, .. }
            | Change::MemberInfoChanged { group_id, .. }
            | Change::GroupInfoChanged { group_id, .. } => {
                let frame = events::frame_of(&change);
                let all = members(&c, group_id);
                send(&c, &mut all.iter().map(String::as_str), &frame);
            }
            Change::C2cMessage { msg } => {
                let to = events::c2c_message(&msg.from, msg);
                for h in c.conns_of(&msg.to).filter(|h| h.id != origin) {
                    h.offer(to.clone());
                }
                if msg.sync_sender && msg.from != msg.to {
                    let back = events::c2c_message(&msg.to, msg);
                    for h in c.conns_of(&msg.from).filter(|h| h.id != origin) {
                        h.offer(back.clone());
                    }
                }
            }
            Change::C2cWithdrawn { from, to, .. } | Change::C2cModified { from, to, .. } => {
                for (me, peer) in [(to, from), (from, to)] {
                    let frame = events::c2c_edit(&change, peer);
                    for h in c.conns_of(me).filter(|h| h.id != origin) {
                        h.offer(frame.clone());
                    }
                    if from == to {
                        break;
                    }
                }
            }
            Change::JoinApplication { reviewers, .. } => {
                let frame = events::frame_of(&change);
                send(&c, &mut reviewers.iter().map(String::as_str), &frame);
            }
            Change::SystemNotification { group_id, to, .. } => {
                let frame = events::frame_of(&change);
                let all = members(&c, group_id);
                let mut who = all.iter().filter(|a| to.is_empty() || to.contains(a));
                send(&c, &mut who.by_ref().map(String::as_str), &frame);
            }
            Change::RoomBanned {
                group_id, accounts, ..
            } => {
                // Those present here leave the room; the room and they hear it.
                self.rooms.remove(app, group_id, accounts);
                let frame = events::frame_of(&change);
                let mut all = members(&c, group_id);
                all.extend(
                    accounts
                        .iter()
                        .filter(|a| c.accounts.contains_key(*a))
                        .cloned(),
                );
                all.sort();
                all.dedup();
                send(&c, &mut all.iter().map(String::as_str), &frame);
                for a in accounts {
                    c.leave(group_id, a);
                }
            }
            Change::OfficialMessage { official_id, .. }
            | Change::OfficialRecalled { official_id, .. } => {
                let frame = events::frame_of(&change);
                // Walked in place, as a group's message is: only those delivered to.
                let c = &*c;
                if let Some(subs) = c.officials.get(official_id.as_str()) {
                    send(
                        c,
                        &mut subs.iter().filter(|(_, &d)| d).map(|(a, _)| a.as_str()),
                        &frame,
                    );
                }
            }
            Change::OfficialSubscribed {
                official_id,
                accounts,
            } => {
                for a in accounts {
                    c.subscribe(official_id, a, true);
                }
                let frame = events::frame_of(&change);
                send(&c, &mut accounts.iter().map(String::as_str), &frame);
            }
            Change::OfficialUnsubscribed {
                official_id,
                accounts,
            } => {
                let frame = events::frame_of(&change);
                send(&c, &mut accounts.iter().map(String::as_str), &frame);
                for a in accounts {
                    c.unsubscribe(official_id, a);
                }
            }
            Change::OfficialMsgFlag {
                official_id,
                account,
                msg_flag,
            } => {
                c.subscribe(
                    official_id,
                    account,
                    timber_core::official::delivers(msg_flag),
                );
                let frame = events::frame_of(&change);
                send(&c, &mut std::iter::once(account.as_str()), &frame);
            }
            Change::OfficialDestroyed { official_id } => {
                let frame = events::frame_of(&change);
                let all = c.subscribers(official_id);
                send(&c, &mut all.iter().map(String::as_str), &frame);
                for a in &all {
                    c.unsubscribe(official_id, a);
                }
            }
            Change::Kicked { account } => {
                let frame = events::notice("onKickedOffline");
                for h in c.conns_of(account) {
                    if !(h.offer(frame.clone())
                        && h.offer(Outgoing::Close(close::KICKED, "kicked")))
                    {
                        h.close(close::KICKED);
                    }
                }
            }
            Change::AccountDeleted { account } => {
                for h in c.conns_of(account) {
                    h.close(close::ACCOUNT_DELETED);
                }
                c.member_of.remove(account.as_str());
            }
        }
    }
}

impl ChangeSink for Hub {
    fn active(&self) -> bool {
        self.total.load(Ordering::Acquire) > 0 || self.observing.load(Ordering::Acquire) > 0
    }

    fn wants(&self, app: AppId) -> bool {
        self.apps.read().is_ok_and(|a| a.contains_key(&app)) || self.observer_of(app).is_some()
    }

    fn publish(&self, app: AppId, changes: Vec<Change>) {
        self.publish_from(app, changes, self.origin())
    }

    fn origin(&self) -> u64 {
        ORIGIN.try_with(|o| *o).unwrap_or(0)
    }

    fn publish_from(&self, app: AppId, changes: Vec<Change>, origin: u64) {
        let observer = self.observer_of(app);
        for change in changes {
            if let Some(tx) = &observer {
                let _ = tx.send(events::observed(&change));
            }
            self.deliver(app, change, origin);
        }
    }
}
