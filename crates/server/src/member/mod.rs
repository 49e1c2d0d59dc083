//! Members: timber's client-side protocol (members.md). `GET /v1/member` upgraded to a
//! WebSocket that speaks JSON-RPC 2.0: a member's requests (`methods.rs`), and the events of
//! committed changes pushed to every connection that may see them (`hub.rs`, `events.rs`).
//!
//! One task per connection reads requests and serves them one at a time; its writer half
//! sends answers and events from the connection's bounded queue, pings every 30 s, closes a
//! connection that has sent nothing for 90 s, and ends it when its UserSig expires (4002),
//! when it is kicked (4001), when its account is deleted (4003), when its queue overflows
//! (4008) and when the node stops (1001).

mod events;
pub mod hub;
mod methods;
pub mod rooms;
mod rpc;

use crate::apps::App;
use crate::auth::Query;
use crate::State;
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::{FromRequestParts, RawQuery, State as AxState};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use futures_util::{SinkExt, StreamExt};
use hub::{ConnHandle, Outgoing};
use serde_json::Value;
use std::future::Future;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::Poll;
use std::time::Duration;
use timber_core::member::{close, Platform};
use timber_core::{Error, ErrorCode};
use timber_store::groups::JoinedQuery;
use timber_store::NewAccount;

pub use hub::Hub;

/// The platforms each of `accounts` is connected from, on this node (its hub) and on the
/// others (their presence rows: members.md §6), in the order of `accounts`. A failure to
/// read the other nodes' is logged and answers with this node's alone.
pub async fn platforms(state: &State, app: u64, accounts: &[String]) -> Vec<Vec<Platform>> {
    let mut out: Vec<Vec<Platform>> = accounts
        .iter()
        .map(|a| state.members.platforms(app, a))
        .collect();
    match state.store.remote_platforms(app, accounts.to_vec()).await {
        Ok(remote) => {
            for (account, platform) in remote {
                let p = Platform::parse(&platform).unwrap_or(Platform::Unknown);
                for (i, _) in accounts.iter().enumerate().filter(|(_, a)| **a == account) {
                    out[i].push(p);
                }
            }
        }
        Err(e) => tracing::warn!(error = %e, "other nodes' member connections could not be read"),
    }
    out
}

/// (account, join time) of the members present in an AVChatRoom through any node: this
/// node's registry and the other nodes' presence rows (members.md §6), by account. A failure
/// to read the other nodes' is logged and answers with this node's alone.
pub async fn room_members(state: &State, app: u64, group: &str) -> Vec<(String, i64)> {
    let mut all = state.members.rooms.present(app, group);
    match state.store.remote_room_members(app, group.to_owned()).await {
        Ok(remote) => {
            for (account, at) in remote {
                match all.binary_search_by(|(a, _)| a.cmp(&account)) {
                    Ok(i) => all[i].1 = all[i].1.min(at),
                    Err(i) => all.insert(i, (account, at)),
                }
            }
        }
        Err(e) => tracing::warn!(error = %e, "other nodes' AVChatRoom members could not be read"),
    }
    all
}

/// A connection that sends nothing (a pong included) this long is closed (members.md §1);
/// the server pings at a third of it, every 30 s.
pub const IDLE_AFTER: Duration = Duration::from_secs(90);
/// How long a connection the server closed waits for the client's close frame.
const CLOSE_LINGER: Duration = Duration::from_secs(2);
/// At most this many waiting frames are written together after the one received.
const WRITE_BATCH: usize = 63;
/// A frame that cannot be written this long ends the connection.
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);

/// What a connection serves with: the member, and the state every request uses.
pub(crate) struct Session {
    pub state: Arc<State>,
    pub app: Arc<App>,
    pub me: String,
    /// The member's address: `ClientIP` of the callbacks its calls cause.
    pub client_ip: String,
    pub handle: Arc<ConnHandle>,
    /// AVChatRoom groups joined on this connection (present while connected).
    pub joined_rooms: Mutex<Vec<String>>,
}

/// A refusal before the upgrade: HTTP 401 with the REST envelope (members.md §1).
fn refuse(e: &Error) -> Response {
    let mut resp = (
        StatusCode::UNAUTHORIZED,
        crate::envelope::fail_body(None, e),
    )
        .into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

fn platform_of(raw: Option<&str>) -> Result<Platform, Error> {
    let mut platform = Platform::Web;
    for pair in raw.unwrap_or("").split('&') {
        if let Some(("platform", v)) = pair.split_once('=') {
            platform = Platform::parse(v).ok_or_else(|| {
                Error::new(
                    ErrorCode::HttpParse,
                    format!(
                        "platform {v:?} is not Web, Android, iOS, Windows, Mac, iPad or Unknown"
                    ),
                )
            })?;
        }
    }
    Ok(platform)
}

/// Bytes a connection reads into at a time: its read buffer, allocated when it connects and
/// held while it waits (a larger frame grows it while it is read). Members' requests are
/// small; 1 KiB rather than 4 is a quarter of an idle connection's memory (BENCHMARKS.md).
const READ_BUFFER: usize = 1024;
/// Bytes of frames gathered before they are written (each frame is flushed anyway).
const WRITE_BUFFER: usize = 4 * 1024;

/// `GET /v1/member`: the UserSig and the account first, then the upgrade.
pub async fn connect(
    AxState(state): AxState<Arc<State>>,
    RawQuery(raw): RawQuery,
    request: axum::extract::Request,
) -> Response {
    let now = timber_core::now_secs();
    let platform = match platform_of(raw.as_deref()) {
        Ok(p) => p,
        Err(e) => return refuse(&e),
    };
    let (app, me, verified) =
        match crate::auth::verify_user(&state, Query::parse(raw.as_deref()), now).await {
            Ok(v) => v,
            Err(e) => return refuse(&e),
        };
    if let Err(why) = timber_core::account::validate_user_id(&me) {
        return refuse(&Error::new(ErrorCode::HttpParse, why.to_string()));
    }
    let (mut parts, _body) = request.into_parts();
    let client_ip = parts
        .extensions
        .get::<crate::ClientAddr>()
        .map(|a| a.0.to_string())
        .unwrap_or_default();
    let upgrade = match WebSocketUpgrade::from_request_parts(&mut parts, &state).await {
        Ok(u) => u,
        Err(rejection) => return rejection.into_response(),
    };
    // A valid UserSig of an unknown account imports it (the SDK's login does).
    let store = &state.store;
    let exists = store
        .accounts_exist(app.sdkappid, vec![me.clone()])
        .await
        .map(|e| e.first().copied().unwrap_or(false));
    let imported = match exists {
        Ok(true) => Ok(()),
        Ok(false) => {
            store
                .import_accounts(
                    app.sdkappid,
                    vec![NewAccount {
                        user_id: me.clone(),
                        nick: None,
                        face_url: None,
                    }],
                    now,
                )
                .await
        }
        Err(e) => Err(e),
    };
    if let Err(e) = imported {
        tracing::error!(error = %e, "member connect: the account could not be read or imported");
        return refuse(&Error::from(ErrorCode::AccountInternal));
    }
    let groups = match store
        .joined_groups(
            app.sdkappid,
            me.clone(),
            JoinedQuery {
                ty: None,
                with_huge_groups: true,
                with_inactive: true,
                support_topic: None,
                offset: 0,
                limit: None,
            },
        )
        .await
    {
        Ok(page) => page
            .groups
            .into_iter()
            .map(|(g, _)| g.group_id)
            .collect::<Vec<_>>(),
        Err(e) => {
            tracing::error!(error = %e, "member connect: the joined groups could not be read");
            return refuse(&Error::from(ErrorCode::AccountInternal));
        }
    };
    // The official accounts it subscribes to, as the groups: the hub delivers their
    // broadcasts from the connected subscribers it holds, never reading the subscriber list.
    let officials = match store.subscriptions(app.sdkappid, me.clone()).await {
        Ok(o) => o,
        Err(e) => {
            tracing::error!(error = %e, "member connect: the subscriptions could not be read");
            return refuse(&Error::from(ErrorCode::AccountInternal));
        }
    };
    let expires_at = verified.expires_at();
    // Registered before the answer: what commits once the client holds its 101 reaches it.
    let (handle, rx) = state
        .members
        .register(app.sdkappid, &me, platform, &groups, &officials);
    // Known to the other nodes before the 101 too (query_online_status, and their writes
    // logged for it: members.md §6).
    state
        .store
        .member_connected(app.sdkappid, handle.id, me.clone(), platform.name())
        .await;
    let registration = Registration {
        state: state.clone(),
        app: app.sdkappid,
        handle: handle.clone(),
        client_ip,
    };
    // Small buffers: tungstenite's defaults (128 KiB to read, 128 KiB to gather writes) would
    // cost an idle connection a quarter of a MiB; member frames are small, and a larger one
    // grows the read buffer while it is read.
    upgrade
        .read_buffer_size(READ_BUFFER)
        .write_buffer_size(WRITE_BUFFER)
        .on_upgrade(move |socket| serve(registration, socket, app, me, rx, expires_at))
        .into_response()
}

/// A connection's place in the hub; dropping it (the connection ended, or the upgrade never
/// happened) takes it out.
struct Registration {
    state: Arc<State>,
    app: u64,
    handle: Arc<ConnHandle>,
    client_ip: String,
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.state.members.unregister(self.app, &self.handle);
        let (store, conn) = (self.state.store.clone(), self.handle.id);
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(async move { store.member_disconnected(conn).await });
        }
    }
}

async fn serve(
    registration: Registration,
    socket: WebSocket,
    app: Arc<App>,
    me: String,
    rx: tokio::sync::mpsc::Receiver<Outgoing>,
    expires_at: i64,
) {
    let state = registration.state.clone();
    let handle = registration.handle.clone();
    tracing::debug!(conn = handle.id, account = %me, "member connected");
    let session = Arc::new(Session {
        state: state.clone(),
        app: app.clone(),
        me,
        client_ip: registration.client_ip.clone(),
        handle: handle.clone(),
        joined_rooms: Mutex::new(Vec::new()),
    });
    let last_seen = Arc::new(AtomicI64::new(timber_core::now_secs()));
    let (sink, mut stream) = socket.split();
    let stopping = state.members.stopping.subscribe();
    let platform = handle.platform;
    // The futures before and after the connection's life are boxed, as the requests are:
    // held inline, their space would be part of every idle connection's task.
    Box::pin(state_change(&session, "Login", "Register", platform)).await;
    let mut server_closed = false;
    let ended = tokio::select! {
        by_client = read_loop(session.clone(), &mut stream, last_seen.clone()) => by_client,
        code = write_loop(handle.clone(), sink, rx, last_seen, expires_at, stopping, state.members.idle) => {
            server_closed = code != 0;
            match code {
                close::KICKED => Ended::Kicked,
                close::IDLE => Ended::TimedOut,
                _ => Ended::Dropped,
            }
        }
    };
    Box::pin(wind_up(&session, &mut stream, server_closed, ended)).await;
    drop(registration);
    tracing::debug!(conn = handle.id, "member disconnected");
}

/// After a connection's life: the closing handshake when the server closed it, the state
/// callback of how it ended, and the AVChatRooms it held.
async fn wind_up(
    session: &Session,
    stream: &mut futures_util::stream::SplitStream<WebSocket>,
    server_closed: bool,
    ended: Ended,
) {
    let platform = session.handle.platform;
    if server_closed {
        // The closing handshake: the client's close frame, or a short wait. Dropping the
        // socket at once would reset it and could lose the close frame on its way.
        let _ = tokio::time::timeout(CLOSE_LINGER, async {
            while let Some(Ok(msg)) = stream.next().await {
                if matches!(msg, Message::Close(_)) {
                    break;
                }
            }
        })
        .await;
    }
    match ended {
        Ended::ClientClosed => state_change(session, "Logout", "Unregister", platform).await,
        Ended::Dropped => state_change(session, "Disconnect", "LinkClose", platform).await,
        Ended::TimedOut => state_change(session, "Disconnect", "TimeOut", platform).await,
        // The kick recorded its own logout.
        Ended::Kicked => {}
    }
    let rooms = std::mem::take(
        &mut *session
            .joined_rooms
            .lock()
            .unwrap_or_else(|e| e.into_inner()),
    );
    for room in rooms {
        if session.state.members.exit_conn(
            session.app.sdkappid,
            &room,
            &session.me,
            session.handle.id,
        ) {
            room_state(
                &session.state,
                &session.app,
                &room,
                false,
                vec![session.me.clone()],
            )
            .await;
        }
    }
}

/// How a connection ended, as State.StateChange reports it.
enum Ended {
    /// The member closed it (a close frame): a logout.
    ClientClosed,
    /// The socket went away, or the server closed it.
    Dropped,
    /// Nothing came for 90 seconds.
    TimedOut,
    Kicked,
}

/// `members` came into (`online`) or left an AVChatRoom through this node: the other nodes
/// learn it from the store (members.md §6), and Group.CallbackOnMemberStateChange is
/// recorded when the app wants it. Failures are logged: presence on this node holds anyway.
pub(crate) async fn room_state(
    state: &State,
    app: &crate::apps::App,
    group: &str,
    online: bool,
    members: Vec<String>,
) {
    if members.is_empty() {
        return;
    }
    let (store, app_id) = (&state.store, app.sdkappid);
    let recorded = if online {
        let now = timber_core::now_secs();
        let entered = members
            .iter()
            .map(|m| store.room_entered(app_id, group.to_owned(), m.clone(), now));
        futures_util::future::try_join_all(entered).await.map(drop)
    } else {
        let left = members.clone();
        store.room_left(app_id, group.to_owned(), left, false).await
    };
    if let Err(e) = recorded {
        tracing::warn!(error = %e, "AVChatRoom presence could not be shared with other nodes");
    }
    room_callback(state, app, group, online, members).await
}

/// Group.CallbackOnMemberStateChange for `members` coming into (`online`) or leaving an
/// AVChatRoom, when the app wants it; a failure to record it is logged, not fatal.
pub(crate) async fn room_callback(
    state: &State,
    app: &crate::apps::App,
    group: &str,
    online: bool,
    members: Vec<String>,
) {
    if members.is_empty()
        || !app.wants_callback(timber_core::callback::GROUP_ON_MEMBER_STATE_CHANGE)
    {
        return;
    }
    let recorded = state
        .store
        .room_state_change(app.sdkappid, group.to_owned(), online, members)
        .await;
    if let Err(e) = recorded {
        tracing::warn!(error = %e, "Group.CallbackOnMemberStateChange could not be recorded");
    }
}

/// State.StateChange, when the app wants it; a failure to record it is logged, not fatal.
async fn state_change(s: &Session, action: &'static str, reason: &'static str, p: Platform) {
    if !s.app.wants_callback(timber_core::callback::STATE_CHANGE) {
        return;
    }
    let platform = match p {
        Platform::Ios => "IOS",
        p => p.name(),
    };
    let recorded = s
        .state
        .store
        .state_change(s.app.sdkappid, s.me.clone(), action, reason, platform)
        .await;
    if let Err(e) = recorded {
        tracing::warn!(error = %e, "State.StateChange could not be recorded");
    }
}

async fn read_loop(
    session: Arc<Session>,
    stream: &mut futures_util::stream::SplitStream<WebSocket>,
    last_seen: Arc<AtomicI64>,
) -> Ended {
    while let Some(Ok(msg)) = stream.next().await {
        last_seen.store(timber_core::now_secs(), Ordering::Relaxed);
        let text = match msg {
            Message::Text(t) => t,
            Message::Binary(_) => {
                let e = rpc::RpcError::new(
                    timber_core::member::rpc::INVALID_REQUEST,
                    "frames are JSON text",
                );
                session.reply(rpc::error(&Value::Null, &e)).await;
                continue;
            }
            Message::Close(_) => return Ended::ClientClosed,
            Message::Ping(_) | Message::Pong(_) => continue,
        };
        let answer = match rpc::parse(text.as_str()) {
            Err((id, e)) => Some(rpc::error(&id, &e)),
            Ok(req) => {
                let origin = session.handle.id;
                // Boxed: the methods' futures are kilobytes, which an idle connection's
                // task would otherwise carry for its whole life.
                let call = Box::pin(session.call(&req.method, &req.params));
                let outcome = hub::ORIGIN.scope(origin, call).await;
                req.id.map(|id| match outcome {
                    Ok(v) => rpc::result(&id, v),
                    Err(e) => rpc::error(&id, &e),
                })
            }
        };
        if let Some(answer) = answer {
            session.reply(answer).await;
        }
    }
    Ended::Dropped
}

impl Session {
    /// Queues an answer, waiting for room: a member's own requests may wait for its queue.
    async fn reply(&self, text: String) {
        self.handle
            .reply(Outgoing::Text(Arc::new(text.into())))
            .await;
    }
}

async fn write_loop(
    handle: Arc<ConnHandle>,
    mut sink: futures_util::stream::SplitSink<WebSocket, Message>,
    mut rx: tokio::sync::mpsc::Receiver<Outgoing>,
    last_seen: Arc<AtomicI64>,
    expires_at: i64,
    mut stopping: tokio::sync::watch::Receiver<bool>,
    idle_after: Duration,
) -> u16 {
    let every = (idle_after / 3).max(Duration::from_millis(100));
    let mut ping = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    let left = (expires_at - timber_core::now_secs()).max(0) as u64;
    let expiry = tokio::time::sleep(Duration::from_secs(left));
    tokio::pin!(expiry);
    let close_with = |code: u16, why: &'static str| {
        Message::Close(Some(CloseFrame {
            code,
            reason: why.into(),
        }))
    };
    // A stop that came before this connection subscribed is seen here.
    let stopped_already = *stopping.borrow();
    // The close and stop waits are made once and polled again each turn: made anew inside
    // the loop, each frame would register and unregister a waiter on both (two locks).
    let close_now = handle.close_now.notified();
    let stop = stopping.changed();
    tokio::pin!(close_now, stop);
    let end = loop {
        if stopped_already {
            break close_with(close::GOING_AWAY, "server stopping");
        }
        tokio::select! {
            biased;
            _ = &mut close_now => {
                break close_with(handle.closing(), reason(handle.closing()));
            }
            _ = &mut stop => break close_with(close::GOING_AWAY, "server stopping"),
            _ = &mut expiry => {
                let frame = events::notice("onUserSigExpired");
                if let Outgoing::Text(t) = frame {
                    let text = Message::Text(Utf8Bytes::clone(&t));
                    let _ = tokio::time::timeout(WRITE_TIMEOUT, sink.send(text)).await;
                }
                break close_with(close::SIG_EXPIRED, "UserSig expired");
            }
            item = rx.recv() => match item {
                None => return 0,
                Some(Outgoing::Close(code, why)) => break close_with(code, why),
                Some(Outgoing::Text(t)) => {
                    let write = write_batch(&mut sink, &mut rx, t);
                    tokio::pin!(write);
                    // Polled once first: a write the socket takes at once (nearly all) arms
                    // no timer. One that waits is bounded by WRITE_TIMEOUT, and a close
                    // decided meanwhile (a kick, the queue overflowing) cuts it.
                    let first = std::future::poll_fn(|cx| Poll::Ready(write.as_mut().poll(cx))).await;
                    let written = match first {
                        Poll::Ready(written) => written,
                        Poll::Pending => tokio::select! {
                            biased;
                            _ = &mut close_now => {
                                break close_with(handle.closing(), reason(handle.closing()));
                            }
                            written = tokio::time::timeout(WRITE_TIMEOUT, &mut write) => match written {
                                Ok(written) => written,
                                Err(_) => return 0,
                            },
                        },
                    };
                    match written {
                        Ok(None) => {}
                        Ok(Some((code, why))) => break close_with(code, why),
                        Err(_) => return 0,
                    }
                }
            },
            _ = ping.tick() => {
                let idle = timber_core::now_secs() - last_seen.load(Ordering::Relaxed);
                if idle >= idle_after.as_secs() as i64 {
                    break close_with(close::IDLE, "nothing received for too long");
                }
                if sink.send(Message::Ping(Default::default())).await.is_err() {
                    return 0;
                }
            }
        }
    };
    let code = match &end {
        Message::Close(Some(f)) => f.code,
        _ => 0,
    };
    let _ = tokio::time::timeout(Duration::from_secs(1), sink.send(end)).await;
    let _ = tokio::time::timeout(Duration::from_secs(1), sink.close()).await;
    code
}

/// Writes `first` and the frames already waiting behind it (up to `WRITE_BATCH`), then
/// flushes once: under a backlog (a busy group) a connection makes one system call for many
/// frames. A close met in the queue ends the batch and is returned, to be sent last.
async fn write_batch(
    sink: &mut futures_util::stream::SplitSink<WebSocket, Message>,
    rx: &mut tokio::sync::mpsc::Receiver<Outgoing>,
    first: Arc<Utf8Bytes>,
) -> Result<Option<(u16, &'static str)>, axum::Error> {
    sink.feed(Message::Text(Utf8Bytes::clone(&first))).await?;
    let mut close = None;
    for _ in 0..WRITE_BATCH {
        match rx.try_recv() {
            Ok(Outgoing::Text(t)) => sink.feed(Message::Text(Utf8Bytes::clone(&t))).await?,
            Ok(Outgoing::Close(code, why)) => {
                close = Some((code, why));
                break;
            }
            Err(_) => break,
        }
    }
    sink.flush().await?;
    Ok(close)
}

fn reason(code: u16) -> &'static str {
    match code {
        close::KICKED => "kicked",
        close::SIG_EXPIRED => "UserSig expired",
        close::ACCOUNT_DELETED => "account deleted",
        close::TOO_SLOW => "too slow: the send queue overflowed",
        _ => "closed",
    }
}
