//! A property test of relationships: random interleavings of forced two-way friend adds,
//! two-way deletes, blocks, unblocks, follows and unfollows among four users, run against
//! the real store (SQLite in memory). After each, every item's code and every pair's friend,
//! block and follow relation must equal those of a small model written from the rules of
//! relationships.md (§0.4, §1, §4, §10, §11, §18, §19).

use proptest::prelude::*;
use std::collections::BTreeSet;
use timber_core::sns::{AddItem, AddType, FriendAdd};
use timber_core::Error;
use timber_store::sqlite::SqliteStore;
use timber_store::{NewAccount, Store};

const APP: u64 = 1400000001;
const T0: i64 = 1_700_000_000;
const USERS: [&str; 4] = ["a", "b", "c", "d"];

#[derive(Debug, Clone, Copy)]
enum Kind {
    Add,
    Delete,
    Block,
    Unblock,
    Follow,
    Unfollow,
    /// friend_delete_all with Delete_Type_Both (`b` unused).
    DeleteAll,
    /// account_delete of `a`, then account_import of it again (`b` unused).
    Recreate,
}

#[derive(Default)]
struct Model {
    friends: BTreeSet<(usize, usize)>,
    blocks: BTreeSet<(usize, usize)>,
    follows: BTreeSet<(usize, usize)>,
}

impl Model {
    /// The item's code, and the model changed as the rules say.
    fn apply(&mut self, kind: Kind, a: usize, b: usize) -> u32 {
        let mine = |set: &mut BTreeSet<(usize, usize)>, both: bool| {
            let gone: Vec<_> = set
                .iter()
                .filter(|e| e.0 == a || (both && e.1 == a))
                .copied()
                .collect();
            for e in gone {
                set.remove(&e);
            }
        };
        match kind {
            Kind::DeleteAll => {
                mine(&mut self.friends, true);
                return 0;
            }
            Kind::Recreate => {
                mine(&mut self.friends, true);
                mine(&mut self.blocks, true);
                mine(&mut self.follows, true);
                return 0;
            }
            _ => {}
        }
        if a == b {
            return 30001;
        }
        match kind {
            Kind::Add => {
                if self.blocks.contains(&(a, b)) {
                    30515
                } else if self.blocks.contains(&(b, a)) {
                    30525
                } else if self.friends.contains(&(a, b)) && self.friends.contains(&(b, a)) {
                    30001
                } else {
                    self.friends.insert((a, b));
                    self.friends.insert((b, a));
                    0
                }
            }
            Kind::Delete => {
                if self.friends.remove(&(a, b)) {
                    self.friends.remove(&(b, a));
                    0
                } else {
                    30001
                }
            }
            Kind::Block => {
                if self.blocks.insert((a, b)) {
                    self.friends.remove(&(a, b));
                    self.friends.remove(&(b, a));
                    0
                } else {
                    30001
                }
            }
            Kind::Unblock => {
                if self.blocks.remove(&(a, b)) {
                    0
                } else {
                    30001
                }
            }
            Kind::DeleteAll | Kind::Recreate => unreachable!("answered above"),
            Kind::Follow => {
                self.follows.insert((a, b));
                0
            }
            Kind::Unfollow => {
                self.follows.remove(&(a, b));
                0
            }
        }
    }
}

fn code(items: &[(String, Result<(), Error>)]) -> u32 {
    items[0].1.as_ref().err().map_or(0, |e| e.code.code())
}

async fn run(store: &dyn Store, kind: Kind, a: usize, b: usize) -> u32 {
    let (from, to) = (USERS[a].to_owned(), USERS[b].to_owned());
    match kind {
        Kind::Add => {
            let req = FriendAdd {
                admin: "admin".into(),
                from,
                add_type: AddType::Both,
                force: true,
                items: vec![AddItem {
                    to,
                    add_source: Some("AddSource_Type_Test".into()),
                    ..AddItem::default()
                }],
            };
            code(&store.friend_add(APP, req, T0).await.unwrap().items)
        }
        Kind::Delete => code(
            &store
                .friend_delete(APP, from, vec![to], true)
                .await
                .unwrap()
                .items,
        ),
        Kind::Block => code(
            &store
                .block_add(APP, from, vec![to], T0)
                .await
                .unwrap()
                .items,
        ),
        Kind::Unblock => code(&store.block_delete(APP, from, vec![to]).await.unwrap().items),
        Kind::Follow => code(&store.follow_add(APP, from, vec![to], T0).await.unwrap()),
        Kind::Unfollow => code(&store.follow_delete(APP, from, vec![to]).await.unwrap()),
        Kind::DeleteAll => {
            store.friend_delete_all(APP, from, true).await.unwrap();
            0
        }
        Kind::Recreate => {
            store
                .delete_accounts(APP, vec![from.clone()])
                .await
                .unwrap();
            store
                .import_accounts(APP, vec![NewAccount::bare(&from)], T0)
                .await
                .unwrap();
            0
        }
    }
}

fn op() -> impl Strategy<Value = (Kind, usize, usize)> {
    let kind = prop_oneof![
        3 => Just(Kind::Add),
        2 => Just(Kind::Delete),
        1 => Just(Kind::Block),
        1 => Just(Kind::Unblock),
        1 => Just(Kind::Follow),
        1 => Just(Kind::Unfollow),
        1 => Just(Kind::DeleteAll),
        1 => Just(Kind::Recreate),
    ];
    (kind, 0..USERS.len(), 0..USERS.len())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn relationships_follow_the_model(ops in prop::collection::vec(op(), 1..40)) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let store: std::sync::Arc<dyn Store> = std::sync::Arc::new(SqliteStore::open_memory().unwrap());
            let accounts = USERS.iter().map(|u| NewAccount::bare(*u)).collect();
            store.import_accounts(APP, accounts, T0).await.unwrap();
            let mut model = Model::default();
            for (kind, a, b) in ops {
                let want = model.apply(kind, a, b);
                let got = run(&*store, kind, a, b).await;
                assert_eq!(got, want, "{kind:?} {a} → {b}");
                for (i, u) in USERS.iter().enumerate() {
                    let others: Vec<String> = USERS.iter().map(|o| o.to_string()).collect();
                    let friends = store.check_pairs(APP, u.to_string(), others.clone(), false).await.unwrap();
                    let blocks = store.check_pairs(APP, u.to_string(), others.clone(), true).await.unwrap();
                    let follows = store.follow_check(APP, u.to_string(), others).await.unwrap();
                    // The page and its FriendNum (a kept count) hold exactly the model's friends.
                    let page = store.friends(APP, u.to_string(), 0, 100).await.unwrap();
                    let listed: BTreeSet<&str> = page.friends.iter().map(|(f, _)| f.as_str()).collect();
                    let want: BTreeSet<&str> =
                        model.friends.iter().filter(|e| e.0 == i).map(|e| USERS[e.1]).collect();
                    assert_eq!(listed, want, "friends of {i}");
                    assert_eq!(page.total, want.len(), "FriendNum of {i}");
                    for j in 0..USERS.len() {
                        assert_eq!(friends[j].1, model.friends.contains(&(i, j)), "friend {i} → {j}");
                        assert_eq!(blocks[j].1, model.blocks.contains(&(i, j)), "block {i} → {j}");
                        assert_eq!(
                            follows[j].map(|f| f.0),
                            Some(model.follows.contains(&(i, j))),
                            "follow {i} → {j}"
                        );
                    }
                }
            }
        });
    }
}
