//! The `timber` binary: `serve`, `usersig` and `migrate`.

/// mimalloc: request handling allocates many small short-lived buffers, which it serves
/// faster than the system allocator (BENCHMARKS.md, ledger: mimalloc).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod bootstrap;
mod config;

use anyhow::{bail, Context};
use clap::{Parser, Subcommand};
use config::Config;
use std::path::PathBuf;
use std::sync::Arc;
use timber_server::apps::{App, Apps};
use timber_store::postgres::PgStore;
use timber_store::sqlite::{SqliteOptions, SqliteStore};
use timber_store::{NewAccount, Store};

#[derive(Parser)]
#[command(
    name = "timber",
    version,
    about = "A self-hosted chat server that speaks Tencent Cloud Chat's REST API"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (SQLite under ./timber-data unless configured otherwise).
    Serve {
        /// TOML configuration file; TIMBER_* environment variables override it.
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Print a UserSig (v2) for an identifier, as the official generators make them.
    Usersig {
        #[arg(long)]
        sdkappid: u64,
        /// The app's secret key.
        #[arg(long)]
        key: String,
        #[arg(long)]
        identifier: String,
        /// Lifetime in seconds (default: 180 days).
        #[arg(long, default_value_t = bootstrap::BANNER_SIG_LIFETIME)]
        expire: i64,
    },
    /// Apply the store's schema migrations and exit.
    Migrate {
        #[arg(long)]
        config: Option<PathBuf>,
    },
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Usersig {
            sdkappid,
            key,
            identifier,
            expire,
        } => {
            println!(
                "{}",
                timber_usersig::generate(
                    sdkappid,
                    &key,
                    &identifier,
                    expire,
                    timber_core::now_secs()
                )
            );
            Ok(())
        }
        Command::Serve { config } => {
            let config = Config::load(config.as_deref())?;
            init_logging(&config.log);
            runtime()?.block_on(serve(config))
        }
        Command::Migrate { config } => {
            let config = Config::load(config.as_deref())?;
            init_logging(&config.log);
            runtime()?.block_on(async {
                let store = open_store(&config).await?;
                store.close().await;
                println!("migrations applied ({})", config.storage);
                Ok(())
            })
        }
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

/// `filter` is the configured one: TIMBER_LOG, else the file's `log`, else RUST_LOG, else info.
fn init_logging(filter: &str) {
    let filter = tracing_subscriber::EnvFilter::new(filter);
    use std::io::IsTerminal;
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .init();
}

/// Opens the configured store (migrating it to the current schema).
async fn open_store(config: &Config) -> anyhow::Result<Arc<dyn Store>> {
    let store: Arc<dyn Store> = match config.storage.as_str() {
        "sqlite" => {
            let path = config.data_dir.join("timber.db");
            let options = SqliteOptions {
                wal_vfs: config.sqlite_wal_vfs,
                page_cache: config.sqlite_page_cache,
            };
            let store =
                tokio::task::spawn_blocking(move || SqliteStore::open_with(&path, &options))
                    .await??;
            if !store.uses_wal_vfs() {
                tracing::info!("SQLite commits use the default VFS, not the WAL VFS");
            }
            if !timber_store::sqlite::page_cache_wrapped() {
                tracing::info!("SQLite's page cache is its own, not wrapped");
            }
            Arc::new(store)
        }
        "memory" => Arc::new(SqliteStore::open_memory()?),
        url if url.starts_with("postgres://") || url.starts_with("postgresql://") => Arc::new(
            PgStore::connect(url)
                .await
                .context("connecting to PostgreSQL")?,
        ),
        other => {
            bail!("unknown storage {other:?}: use \"sqlite\", \"memory\" or a postgres:// URL")
        }
    };
    Ok(store)
}

/// The hosted apps: the configured ones, or the generated default app.
fn resolve_apps(config: &Config) -> anyhow::Result<Vec<App>> {
    if !config.apps.is_empty() {
        return Ok(config.apps.clone());
    }
    if config.storage == "memory" {
        // Nothing is kept on disk in memory mode, so neither is the app.
        return Ok(vec![bootstrap::random_app()]);
    }
    Ok(vec![bootstrap::load_or_create_app(&config.data_dir)?])
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let apps = resolve_apps(&config)?;
    let store = open_store(&config).await?;
    let now = timber_core::now_secs();
    for app in &apps {
        // Admins are accounts too (rest-protocol.md §7); importing is idempotent.
        let admins = app.all_admins().into_iter().map(NewAccount::bare).collect();
        store
            .import_accounts(app.sdkappid, admins, now)
            .await
            .context("creating the admin accounts")?;
    }
    let listener = tokio::net::TcpListener::bind(&config.listen)
        .await
        .with_context(|| format!("listening on {}", config.listen))?;
    let addr = listener.local_addr()?;
    let settings = timber_server::Settings {
        max_body_bytes: config.max_body_bytes,
    };
    let state = timber_server::State::new(store.clone(), Apps::new(apps.clone()), settings);
    print!("{}", bootstrap::banner(&addr, &apps[0], now));
    for app in &apps[1..] {
        println!(
            "also hosting SDKAppID {} (admin {})",
            app.sdkappid,
            app.default_admin()
        );
    }
    use std::io::Write;
    std::io::stdout().flush()?;
    tracing::info!(%addr, storage = %config.storage, "timber started");

    let sweeper = (config.sweep_interval_secs > 0).then(|| {
        timber_server::sweeper::Sweeper::start(
            store.clone(),
            &state.apps,
            std::time::Duration::from_secs(config.sweep_interval_secs),
        )
    });

    let served = axum::serve(listener, timber_server::router(state))
        .with_graceful_shutdown(shutdown_signal())
        .await
        .context("serving HTTP");
    if let Some(sweeper) = sweeper {
        sweeper.stop().await;
    }
    served?;
    tracing::info!("draining done; closing the store");
    store.close().await;
    Ok(())
}

/// Resolves on SIGTERM or Ctrl-C; in-flight requests then finish before the store closes.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
