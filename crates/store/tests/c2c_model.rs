//! A property test of one-to-one conversations: random interleavings of sends (with their
//! options), imports, recalls, modifications, one-sided deletes and read marks, run against
//! the real store (SQLite in memory), after each of which both sides' views and unread
//! counts must equal those of a small model written from the rules of c2c-messages.md.

use proptest::prelude::*;
use std::collections::BTreeMap;
use std::sync::Arc;
use timber_core::c2c::{ImportC2cMsg, MsgKey, NewC2cMsg, RoamQuery, MSG_FLAG_RECALLED};
use timber_core::message::Retention;
use timber_core::ErrorCode;
use timber_store::sqlite::SqliteStore;
use timber_store::{NewAccount, Store, StoreError};

const APP: u64 = 1400000001;
const T0: i64 = 1_700_000_000;
const USERS: [&str; 2] = ["a", "b"];

#[derive(Debug, Clone)]
enum Op {
    /// `from` 0 = a, 1 = b; the clock moves by `dt` first.
    Send {
        from: usize,
        seq: u32,
        random: u32,
        body: u8,
        dt: i64,
        sync2: bool,
        no_unread: bool,
    },
    Import {
        from: usize,
        seq: u32,
        random: u32,
        back: i64,
        unread: bool,
    },
    Withdraw {
        pick: usize,
    },
    Modify {
        pick: usize,
        body: u8,
    },
    Delete {
        side: usize,
        pick: usize,
    },
    Read {
        side: usize,
        back: i64,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..2usize, 0..3u32, 0..2u32, 0..2u8, 0..3i64, any::<bool>(), any::<bool>()).prop_map(
            |(from, seq, random, body, dt, sync2, no_unread)| Op::Send { from, seq, random, body, dt, sync2, no_unread }
        ),
        2 => (0..2usize, 0..3u32, 0..2u32, 0..200i64, any::<bool>())
            .prop_map(|(from, seq, random, back, unread)| Op::Import { from, seq, random, back, unread }),
        1 => any::<usize>().prop_map(|pick| Op::Withdraw { pick }),
        1 => (any::<usize>(), 0..3u8).prop_map(|(pick, body)| Op::Modify { pick, body }),
        1 => (0..2usize, any::<usize>()).prop_map(|(side, pick)| Op::Delete { side, pick }),
        1 => (0..2usize, 0..5i64).prop_map(|(side, back)| Op::Read { side, back }),
    ]
}

fn body(n: u8) -> String {
    format!(r#"[{{"MsgType":"TIMTextElem","MsgContent":{{"Text":"t{n}"}}}}]"#)
}

/// What the model keeps of one message.
#[derive(Debug, Clone, PartialEq)]
struct Msg {
    from: usize,
    body: String,
    recalled: bool,
    hidden: [bool; 2],
    counts_unread: bool,
}

#[derive(Default)]
struct Model {
    msgs: BTreeMap<MsgKey, Msg>,
    read: [i64; 2],
}

impl Model {
    fn pick(&self, n: usize) -> Option<MsgKey> {
        (!self.msgs.is_empty()).then(|| *self.msgs.keys().nth(n % self.msgs.len()).unwrap())
    }

    /// What `side` sees: (key, sender, recalled, body), newest first.
    fn view(&self, side: usize) -> Vec<(String, String, bool, String)> {
        self.msgs
            .iter()
            .rev()
            .filter(|(_, m)| !m.hidden[side])
            .map(|(k, m)| {
                (
                    k.to_string(),
                    USERS[m.from].to_owned(),
                    m.recalled,
                    m.body.clone(),
                )
            })
            .collect()
    }

    fn unread(&self, side: usize) -> u64 {
        let n = self
            .msgs
            .iter()
            .filter(|(k, m)| {
                m.from != side
                    && m.counts_unread
                    && !m.recalled
                    && !m.hidden[side]
                    && k.time > self.read[side]
            })
            .count() as u64;
        n.min(250)
    }
}

fn domain<T>(r: Result<T, StoreError>) -> Result<T, ErrorCode> {
    r.map_err(|e| match e {
        StoreError::Domain(e) => e.code,
        other => panic!("the database failed: {other}"),
    })
}

async fn run(ops: Vec<Op>) {
    let s: Arc<dyn Store> = Arc::new(SqliteStore::open_memory().unwrap());
    s.import_accounts(
        APP,
        USERS.iter().map(|u| NewAccount::bare(*u)).collect(),
        T0,
    )
    .await
    .unwrap();
    let mut model = Model::default();
    let mut now = T0;
    for op in ops {
        match op {
            Op::Send {
                from,
                seq,
                random,
                body: b,
                dt,
                sync2,
                no_unread,
            } => {
                now += dt;
                let msg = NewC2cMsg {
                    from: USERS[from].into(),
                    to: USERS[1 - from].into(),
                    seq,
                    random,
                    time: now,
                    body: body(b),
                    cloud_custom_data: None,
                    offline_push: None,
                    sync_sender: !sync2,
                    counts_unread: !no_unread,
                    updates_last: true,
                    need_receipt: false,
                    online_only: false,
                    after_callback: false,
                    support_extension: false,
                };
                let sent = domain(s.send_c2c(APP, msg).await).unwrap();
                // The model: a repeat within 120 s answers the original; otherwise the first
                // free second from now.
                let repeat = model.msgs.iter().find(|(k, m)| {
                    k.seq == seq
                        && k.random == random
                        && k.time >= now - 120
                        && m.from == from
                        && m.body == body(b)
                });
                if let Some((k, _)) = repeat {
                    assert_eq!((sent.key, sent.duplicate), (*k, true));
                    continue;
                }
                let mut key = MsgKey {
                    time: now,
                    seq,
                    random,
                };
                while model.msgs.contains_key(&key) {
                    key.time += 1;
                }
                assert_eq!((sent.key, sent.duplicate), (key, false));
                let mut hidden = [false; 2];
                hidden[from] = sync2;
                model.msgs.insert(
                    key,
                    Msg {
                        from,
                        body: body(b),
                        recalled: false,
                        hidden,
                        counts_unread: !no_unread,
                    },
                );
            }
            Op::Import {
                from,
                seq,
                random,
                back,
                unread,
            } => {
                let time = now - back;
                let msg = ImportC2cMsg {
                    from: USERS[from].into(),
                    to: USERS[1 - from].into(),
                    seq,
                    random,
                    time,
                    body: body(9),
                    cloud_custom_data: None,
                    counts_unread: unread,
                };
                let sent = domain(s.import_c2c(APP, msg).await).unwrap();
                let key = MsgKey { time, seq, random };
                assert_eq!(sent.duplicate, model.msgs.contains_key(&key));
                model.msgs.entry(key).or_insert(Msg {
                    from,
                    body: body(9),
                    recalled: false,
                    hidden: [false; 2],
                    counts_unread: unread,
                });
            }
            Op::Withdraw { pick } => {
                let Some(key) = model.pick(pick) else {
                    continue;
                };
                let from = model.msgs[&key].from;
                let r = domain(
                    s.withdraw_c2c(
                        APP,
                        USERS[from].into(),
                        USERS[1 - from].into(),
                        key,
                        Retention::forever(now),
                    )
                    .await,
                );
                let m = model.msgs.get_mut(&key).unwrap();
                if m.recalled {
                    assert_eq!(r, Err(ErrorCode::MsgAlreadyRecalled));
                } else {
                    assert_eq!(r, Ok(()));
                    m.recalled = true;
                    m.body = "[]".into();
                }
                // The peer is never the sender.
                let r = s
                    .withdraw_c2c(
                        APP,
                        USERS[1 - from].into(),
                        USERS[from].into(),
                        key,
                        Retention::forever(now),
                    )
                    .await;
                assert_eq!(domain(r), Err(ErrorCode::MsgNotFound));
            }
            Op::Modify { pick, body: b } => {
                let Some(key) = model.pick(pick) else {
                    continue;
                };
                let from = model.msgs[&key].from;
                let r = s
                    .modify_c2c(
                        APP,
                        USERS[from].into(),
                        USERS[1 - from].into(),
                        key,
                        Some(body(b)),
                        None,
                        12_288,
                        Retention::forever(now),
                    )
                    .await;
                let m = model.msgs.get_mut(&key).unwrap();
                if m.recalled {
                    assert_eq!(domain(r), Err(ErrorCode::MsgNotFound));
                } else {
                    assert_eq!(domain(r), Ok(()));
                    m.body = body(b);
                }
            }
            Op::Delete { side, pick } => {
                let Some(key) = model.pick(pick) else {
                    continue;
                };
                domain(
                    s.delete_c2c(APP, USERS[side].into(), USERS[1 - side].into(), vec![key])
                        .await,
                )
                .unwrap();
                model.msgs.get_mut(&key).unwrap().hidden[side] = true;
            }
            Op::Read { side, back } => {
                let t = now - back;
                domain(
                    s.set_c2c_read(APP, USERS[side].into(), USERS[1 - side].into(), t, now)
                        .await,
                )
                .unwrap();
                // Only a conversation that exists keeps a mark.
                if !model.msgs.is_empty() || model.read[side] > 0 {
                    model.read[side] = model.read[side].max(t.min(now));
                }
            }
        }
        for side in 0..2 {
            let q = RoamQuery {
                max_cnt: 1_000,
                min_time: 0,
                max_time: now + 1_000,
                before: None,
            };
            let page = s
                .roam_c2c(
                    APP,
                    USERS[side].into(),
                    USERS[1 - side].into(),
                    q,
                    Retention::forever(now),
                )
                .await
                .unwrap();
            assert!(page.complete);
            let seen: Vec<_> = page
                .entries
                .iter()
                .map(|e| {
                    (
                        e.key.to_string(),
                        e.from.to_string(),
                        e.flags == MSG_FLAG_RECALLED,
                        e.body.clone(),
                    )
                })
                .collect();
            assert_eq!(seen, model.view(side), "side {}", USERS[side]);
            let counts = s
                .c2c_unread(
                    APP,
                    USERS[side].into(),
                    Some(vec![USERS[1 - side].into()]),
                    Retention::forever(now),
                )
                .await
                .unwrap();
            assert_eq!(
                counts.peers[0].1,
                Ok(model.unread(side)),
                "unread of {}",
                USERS[side]
            );
            let total = s
                .c2c_unread(APP, USERS[side].into(), None, Retention::forever(now))
                .await
                .unwrap();
            assert_eq!(total.total, Some(model.unread(side)));
        }
    }
    s.close().await;
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn both_sides_views_and_unread_counts_follow_the_model(ops in prop::collection::vec(op(), 1..40)) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(run(ops));
    }
}
