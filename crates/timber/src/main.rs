//! The `timber` binary: `serve`, `usersig` and `migrate`.

/// mimalloc: request handling allocates many small short-lived buffers, which it serves
/// faster than the system allocator (BENCHMARKS.md, ledger: mimalloc).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod bootstrap;
mod config;
mod listener;
mod open_files;

use anyhow::{bail, Context};
use clap::{Parser, Subcommand};
use config::Config;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use timber_server::apps::{App, Apps};
use timber_store::postgres::{PgOptions, PgStore};
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
        /// A state document (`GET /_timber/export`'s, or a JSON array of them) to start from;
        /// `POST /_timber/reset` returns to it.
        #[arg(long)]
        seed: Option<PathBuf>,
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
        Command::Serve { config, seed } => {
            let config = Config::load(config.as_deref())?;
            init_logging(&config.log);
            let runtime = runtime()?;
            let served = runtime.block_on(serve(config, seed));
            // What may be left after a bounded shutdown (connections cut after the grace, a
            // store that would not close in time) is not waited for: the process ends here.
            runtime.shutdown_background();
            served
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
            PgStore::connect_with(
                url,
                &PgOptions {
                    group_commit: config.postgres_group_commit,
                },
            )
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

async fn serve(config: Config, seed: Option<PathBuf>) -> anyhow::Result<()> {
    // First: every connection and every store file is a file descriptor.
    let open_files = open_files::raise_to_hard_limit();
    let limits = listener::Limits::new(&config, open_files);
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
    let seed = match seed {
        None => timber_server::kit::Seed::default(),
        Some(path) => {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("reading the seed {}", path.display()))?;
            let hosted: Vec<_> = apps.iter().map(|a| a.sdkappid).collect();
            let seed = timber_server::kit::Seed::parse(&text, &hosted)
                .map_err(|e| anyhow::anyhow!("the seed {}: {e}", path.display()))?;
            // The seed replaces what the apps held, as a reset to it would.
            for (app, _) in &seed.by_app {
                store
                    .reset_app(*app)
                    .await
                    .context("resetting a seeded app")?;
            }
            timber_server::kit::apply_seed(&store, &seed)
                .await
                .map_err(anyhow::Error::msg)?;
            for app in &apps {
                let admins = app.all_admins().into_iter().map(NewAccount::bare).collect();
                store.import_accounts(app.sdkappid, admins, now).await?;
            }
            seed
        }
    };
    let listener = tokio::net::TcpListener::bind(&config.listen)
        .await
        .with_context(|| format!("listening on {}", config.listen))?;
    let addr = listener.local_addr()?;
    // Installed before the banner: a signal sent once the banner is out is never the default
    // action (killed by the signal, not exit 0).
    let signal = shutdown_signal()?;
    let settings = timber_server::Settings {
        max_body_bytes: config.max_body_bytes,
        public_url: format!("http://{addr}"),
        member_queue_frames: config.member_queue_frames,
        member_idle_secs: config.member_idle_secs,
    };
    let state =
        timber_server::State::with_seed(store.clone(), Apps::new(apps.clone()), settings, seed);
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

    // A push whose delivery a stop interrupted goes on from where it was.
    timber_server::resume_pushes(store.clone()).await;

    let sweeper = (config.sweep_interval_secs > 0).then(|| {
        timber_server::sweeper::Sweeper::start(
            store.clone(),
            &state.apps,
            Duration::from_secs(config.sweep_interval_secs),
        )
    });

    // After-callbacks go out only when some app has a callback URL. On SQLite (and memory)
    // this process is the store's only user, so leases a killed run left are freed at start.
    let single_process = !config.storage.starts_with("postgres");
    let dispatcher = apps.iter().any(|a| a.callback_url.is_some()).then(|| {
        timber_server::callbacks::dispatcher::Dispatcher::start(state.clone(), single_process)
    });

    let (stop, stopped) = tokio::sync::watch::channel(false);
    let router = timber_server::router(state.clone());
    let serving = listener::serve(listener, router, state, limits, async move {
        let mut stopped = stopped;
        let _ = stopped.wait_for(|&stop| stop).await;
    });
    tokio::pin!(serving);
    // Serves until SIGTERM or Ctrl-C (serving does not end by itself, short of a bug).
    let ended = tokio::select! {
        _ = signal => None,
        served = &mut serving => Some(served),
    };
    tracing::info!(
        grace_secs = config.shutdown_grace_secs,
        "stopping: draining in-flight requests"
    );
    let _ = stop.send(true);
    let drained = async move {
        match ended {
            Some(served) => served,
            None => serving.await,
        }
    };
    let grace = Duration::from_secs(config.shutdown_grace_secs);
    // What it has not deleted yet is delivered again at the next start (at least once).
    if let Some(d) = dispatcher {
        d.stop();
    }
    shut_down(drained, sweeper, store, grace).await
}

/// How long the store gets to close (checkpointing the SQLite WAL) once requests are done.
const STORE_CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

/// The bounded shutdown, once the HTTP server stopped accepting connections: in-flight
/// requests get `grace` to finish (`drained`) while the sweeper stops (after its current step,
/// a short transaction); connections still open then are left to be closed as the process
/// exits, unanswered. Then the store closes, within [`STORE_CLOSE_TIMEOUT`]. So the process
/// ends at most `grace` + 5 s after the signal (within milliseconds when nothing is in flight).
/// A store that does not close in time is an error (exit 1); nothing acknowledged is lost even
/// then, as after a crash: every answered write is committed and on disk.
async fn shut_down(
    drained: impl std::future::Future<Output = std::io::Result<()>>,
    sweeper: Option<timber_server::sweeper::Sweeper>,
    store: Arc<dyn Store>,
    grace: Duration,
) -> anyhow::Result<()> {
    let sweeper_stopped = async {
        if let Some(sweeper) = sweeper {
            sweeper.stop().await;
        }
    };
    let drained = tokio::time::timeout(grace, async { tokio::join!(drained, sweeper_stopped).0 });
    let served = match drained.await {
        Ok(served) => served.context("serving HTTP"),
        Err(_) => {
            tracing::warn!(
                grace_secs = grace.as_secs(),
                "requests still in flight after the shutdown grace are cut off"
            );
            Ok(())
        }
    };
    tracing::info!("closing the store");
    // On a thread of its own: SQLite's close blocks until its writer has finished.
    let runtime = tokio::runtime::Handle::current();
    let closing = tokio::task::spawn_blocking(move || runtime.block_on(store.close()));
    match tokio::time::timeout(STORE_CLOSE_TIMEOUT, closing).await {
        Ok(closed) => closed.context("closing the store")?,
        Err(_) => bail!(
            "the store did not close within {STORE_CLOSE_TIMEOUT:?}; exiting without a clean \
             close (every acknowledged write is on disk; the next start recovers)"
        ),
    }
    served
}

/// Resolves on SIGTERM or Ctrl-C (SIGINT). The handlers are installed when this is called,
/// not when the future is first polled.
#[cfg(unix)]
fn shutdown_signal() -> anyhow::Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate()).context("installing the SIGTERM handler")?;
    let mut int = signal(SignalKind::interrupt()).context("installing the SIGINT handler")?;
    Ok(async move {
        tokio::select! {
            _ = term.recv() => {},
            _ = int.recv() => {},
        }
    })
}

#[cfg(not(unix))]
fn shutdown_signal() -> anyhow::Result<impl std::future::Future<Output = ()>> {
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
    })
}
