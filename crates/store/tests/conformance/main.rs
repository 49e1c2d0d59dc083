//! The store conformance suite: every case runs against every implementation — SQLite on a
//! file, SQLite in memory, and PostgreSQL when `TIMBER_TEST_POSTGRES_URL` is set (otherwise
//! the run says loudly that PostgreSQL was skipped).

mod accounts;
mod c2c;
mod console;
mod contacts;
mod extensions;
mod group_more;
mod groups;
mod kit;
mod member;
mod messages;
mod official;
mod profiles;
mod push;
mod sns;
mod topics;

use std::future::Future;
use std::sync::Arc;
use timber_store::postgres::{testing, PgStore};
use timber_store::sqlite::SqliteStore;
use timber_store::Store;

/// A store under test, with whatever keeps it alive (its temp directory).
pub struct Backend {
    pub name: &'static str,
    pub store: Arc<dyn Store>,
    _dir: Option<tempfile::TempDir>,
    /// The PostgreSQL schema to drop afterwards.
    pg_schema: Option<(String, String)>,
}

/// Every available implementation, freshly created and empty.
pub async fn backends() -> Vec<Backend> {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = SqliteStore::open(&dir.path().join("timber.db")).expect("open SQLite");
    let memory = SqliteStore::open_memory().expect("open memory store");
    let mut all = vec![
        Backend {
            name: "sqlite",
            store: Arc::new(file),
            _dir: Some(dir),
            pg_schema: None,
        },
        Backend {
            name: "memory",
            store: Arc::new(memory),
            _dir: None,
            pg_schema: None,
        },
    ];
    match std::env::var("TIMBER_TEST_POSTGRES_URL") {
        Ok(base) => {
            let (url, schema) = testing::fresh_schema(&base)
                .await
                .expect("create a test schema");
            let store = PgStore::connect(&url).await.expect("connect to PostgreSQL");
            all.push(Backend {
                name: "postgres",
                store: Arc::new(store),
                _dir: None,
                pg_schema: Some((base, schema)),
            });
        }
        Err(_) => {
            eprintln!("NOTE: TIMBER_TEST_POSTGRES_URL is not set: PostgreSQL conformance SKIPPED")
        }
    }
    all
}

/// Runs `case` once per backend; a failure names the backend.
pub async fn on_every_backend<F, Fut>(case: F)
where
    F: Fn(Arc<dyn Store>) -> Fut,
    Fut: Future<Output = ()>,
{
    for b in backends().await {
        eprintln!("-- backend {}", b.name);
        case(b.store.clone()).await;
        b.store.close().await;
        if let Some((base, schema)) = &b.pg_schema {
            testing::drop_schema(base, schema)
                .await
                .expect("drop the test schema");
        }
    }
}
