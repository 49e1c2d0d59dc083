//! Configuration: one TOML file (optional) with `TIMBER_*` environment overrides. Every key has
//! a default, so `timber serve` works with no file at all.

use anyhow::{bail, Context};
use serde::Deserialize;
use std::path::{Path, PathBuf};
use timber_server::apps::App;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Address to listen on; port 0 picks a free port (printed at start).
    #[serde(default = "default_listen")]
    pub listen: String,
    /// Where the SQLite database and the generated app live.
    #[serde(default = "default_data_dir")]
    pub data_dir: PathBuf,
    /// `sqlite` (default), `memory`, or a `postgres://…` URL.
    #[serde(default = "default_storage")]
    pub storage: String,
    /// Log filter in `tracing` syntax, e.g. `info` or `warn,timber_server=debug`. Default:
    /// `$RUST_LOG`, else `info`.
    #[serde(default = "default_log")]
    pub log: String,
    /// Largest request body in bytes (93000 beyond).
    #[serde(default = "default_max_body_bytes")]
    pub max_body_bytes: usize,
    /// Frames a member connection (members.md) may have waiting to be written; a connection
    /// whose queue overflows is closed with 4008.
    #[serde(default = "default_member_queue_frames")]
    pub member_queue_frames: usize,
    /// A member connection that sends nothing (not even a pong) this long is closed (4000);
    /// the server pings it at a third of this.
    #[serde(default = "default_member_idle_secs")]
    pub member_idle_secs: u64,
    /// Seconds between two passes of the background sweeper, which deletes messages past
    /// their app's `retention_days` and purges destroyed groups. 0 turns it off.
    #[serde(default = "default_sweep_interval_secs")]
    pub sweep_interval_secs: u64,
    /// Seconds in-flight requests get to finish after SIGTERM or Ctrl-C; connections still
    /// open then are closed. The store then gets at most `STORE_CLOSE_TIMEOUT` to close.
    #[serde(default = "default_shutdown_grace_secs")]
    pub shutdown_grace_secs: u64,
    /// Seconds a client has to send a whole request head: from the accept for the first
    /// request of a connection, from its first byte for a later one. Then it is closed.
    #[serde(default = "default_header_read_timeout_secs")]
    pub header_read_timeout_secs: u64,
    /// Seconds a request's body has to arrive, from the end of its head. A body still
    /// incomplete then is answered 60002 and its connection closed.
    #[serde(default = "default_body_read_timeout_secs")]
    pub body_read_timeout_secs: u64,
    /// Seconds a keep-alive connection may wait for its next request; then it is closed.
    #[serde(default = "default_idle_timeout_secs")]
    pub idle_timeout_secs: u64,
    /// Most connections open at once. At the cap a new connection closes the one idle the
    /// longest, or is closed itself when none is idle. Default: derived from the open-file
    /// limit ([`crate::listener::default_max_connections`]).
    #[serde(default)]
    pub max_connections: Option<u64>,
    /// Whether the SQLite writer commits through timber's WAL VFS (a few large writes per
    /// commit instead of two per page). `false` uses SQLite's default VFS; the files and
    /// their durability are the same either way.
    #[serde(default = "default_true")]
    pub sqlite_wal_vfs: bool,
    /// Whether SQLite's page cache is wrapped to skip a walk of the whole cache at many
    /// commits. `false` leaves SQLite's own cache as it is.
    #[serde(default = "default_true")]
    pub sqlite_page_cache: bool,
    /// Whether writes to one group waiting on a PostgreSQL node share one transaction and
    /// one commit (each in a savepoint of its own). `false`: every write commits alone.
    #[serde(default = "default_true")]
    pub postgres_group_commit: bool,
    /// The hosted apps. Empty: one app is generated on first start and kept in `data_dir`.
    #[serde(default)]
    pub apps: Vec<App>,
}

fn default_listen() -> String {
    "127.0.0.1:8080".into()
}
fn default_data_dir() -> PathBuf {
    "./timber-data".into()
}
fn default_storage() -> String {
    "sqlite".into()
}
/// With `log` set neither in the file nor by `TIMBER_LOG`, the usual `RUST_LOG` applies.
fn default_log() -> String {
    std::env::var("RUST_LOG").unwrap_or_else(|_| "info".into())
}
const fn default_max_body_bytes() -> usize {
    1 << 20
}
const fn default_member_queue_frames() -> usize {
    1024
}
const fn default_member_idle_secs() -> u64 {
    90
}
const fn default_sweep_interval_secs() -> u64 {
    60
}
const fn default_shutdown_grace_secs() -> u64 {
    5
}
const fn default_header_read_timeout_secs() -> u64 {
    10
}
const fn default_body_read_timeout_secs() -> u64 {
    30
}
const fn default_idle_timeout_secs() -> u64 {
    60
}
const fn default_true() -> bool {
    true
}

/// The longest accepted timeout: a client slower than an hour is not one to wait for.
const MAX_TIMEOUT_SECS: u64 = 3600;
/// The most connections one process may be configured to hold (each is a file descriptor and
/// a few KiB of buffers).
const MAX_CONNECTIONS: u64 = 1 << 20;

/// Top-level keys that `TIMBER_<KEY>` may override. String keys are taken verbatim; the others
/// are parsed as TOML values (so `TIMBER_APPS='[{sdkappid = 1, key = "k"}]'` works too).
const STRING_KEYS: &[&str] = &["listen", "data_dir", "storage", "log"];
const VALUE_KEYS: &[&str] = &[
    "max_body_bytes",
    "member_queue_frames",
    "member_idle_secs",
    "sweep_interval_secs",
    "shutdown_grace_secs",
    "header_read_timeout_secs",
    "body_read_timeout_secs",
    "idle_timeout_secs",
    "max_connections",
    "sqlite_wal_vfs",
    "sqlite_page_cache",
    "postgres_group_commit",
    "apps",
];

impl Config {
    /// Reads `file` (if given), then applies the environment overrides, then validates.
    pub fn load(file: Option<&Path>) -> anyhow::Result<Config> {
        let mut table = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path).with_context(|| {
                    format!("reading the configuration file {}", path.display())
                })?;
                toml::from_str::<toml::Table>(&text)
                    .with_context(|| format!("parsing the configuration file {}", path.display()))?
            }
            None => toml::Table::new(),
        };
        apply_env(&mut table, |k| std::env::var(k).ok())?;
        let config: Config = toml::Value::Table(table)
            .try_into()
            .context("invalid configuration")?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> anyhow::Result<()> {
        for (key, secs) in [
            ("header_read_timeout_secs", self.header_read_timeout_secs),
            ("body_read_timeout_secs", self.body_read_timeout_secs),
            ("idle_timeout_secs", self.idle_timeout_secs),
        ] {
            // 0 would mean "wait forever", the very thing these keys exist to prevent.
            if !(1..=MAX_TIMEOUT_SECS).contains(&secs) {
                bail!("{key} must be between 1 and {MAX_TIMEOUT_SECS} seconds, not {secs}");
            }
        }
        if let Some(max) = self.max_connections {
            if !(1..=MAX_CONNECTIONS).contains(&max) {
                bail!("max_connections must be between 1 and {MAX_CONNECTIONS}, not {max}");
            }
        }
        let mut seen = std::collections::HashSet::new();
        for app in &self.apps {
            if !seen.insert(app.sdkappid) {
                bail!("SDKAppID {} is configured twice", app.sdkappid);
            }
            if app.key.is_empty() {
                bail!("SDKAppID {} has an empty key", app.sdkappid);
            }
            if let Some(tags) = &app.profile_custom_tags {
                timber_core::profile::check_custom_tags(tags)
                    .map_err(|why| anyhow::anyhow!("SDKAppID {}: {why}", app.sdkappid))?;
            }
            if let Some(url) = &app.callback_url {
                // The console's rule (callbacks.md §1).
                if !url.starts_with("http://") && !url.starts_with("https://") {
                    bail!(
                        "SDKAppID {}: callback_url must start with http:// or https://, not {url:?}",
                        app.sdkappid
                    );
                }
            }
            if app.max_conversations == 0 {
                bail!(
                    "SDKAppID {}: max_conversations must be at least 1",
                    app.sdkappid
                );
            }
            if let Some(token) = &app.callback_token {
                if !(1..=128).contains(&token.chars().count()) {
                    bail!(
                        "SDKAppID {}: callback_token must be 1 to 128 characters",
                        app.sdkappid
                    );
                }
            }
            if let Some(unknown) = app
                .callbacks
                .iter()
                .flatten()
                .find(|c| !timber_core::callback::COMMANDS.contains(&c.as_str()))
            {
                bail!(
                    "SDKAppID {}: callbacks lists {unknown:?}, which timber does not send; it sends {:?}",
                    app.sdkappid,
                    timber_core::callback::COMMANDS
                );
            }
            if app
                .admins
                .iter()
                .any(|a| timber_core::account::validate_user_id(a).is_err())
            {
                bail!(
                    "SDKAppID {} has an admin that is not a valid UserID",
                    app.sdkappid
                );
            }
        }
        Ok(())
    }
}

fn apply_env(table: &mut toml::Table, get: impl Fn(&str) -> Option<String>) -> anyhow::Result<()> {
    let var = |key: &str| get(&format!("TIMBER_{}", key.to_ascii_uppercase()));
    for key in STRING_KEYS {
        if let Some(v) = var(key) {
            table.insert((*key).into(), toml::Value::String(v));
        }
    }
    for key in VALUE_KEYS {
        if let Some(v) = var(key) {
            let parsed: toml::Table = toml::from_str(&format!("v = {v}")).with_context(|| {
                format!("TIMBER_{} is not a TOML value", key.to_ascii_uppercase())
            })?;
            if let Some(value) = parsed.get("v") {
                table.insert((*key).into(), value.clone());
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(toml_text: &str, env: &[(&str, &str)]) -> anyhow::Result<Config> {
        let mut table: toml::Table = toml::from_str(toml_text)?;
        apply_env(&mut table, |k| {
            env.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        })?;
        let c: Config = toml::Value::Table(table).try_into()?;
        c.validate()?;
        Ok(c)
    }

    #[test]
    fn defaults_with_no_file() {
        let c = parse("", &[]).unwrap();
        assert_eq!(c.listen, "127.0.0.1:8080");
        assert_eq!(c.data_dir, PathBuf::from("./timber-data"));
        assert_eq!(c.storage, "sqlite");
        assert_eq!(c.sweep_interval_secs, 60);
        assert_eq!(c.shutdown_grace_secs, 5);
        assert_eq!(c.header_read_timeout_secs, 10);
        assert_eq!(c.body_read_timeout_secs, 30);
        assert_eq!(c.idle_timeout_secs, 60);
        assert_eq!(c.max_connections, None);
        assert!(c.sqlite_wal_vfs);
        assert!(c.sqlite_page_cache);
        assert!(c.postgres_group_commit);
        assert!(c.apps.is_empty());
    }

    #[test]
    fn file_and_env_overrides() {
        let file = r#"
            listen = "127.0.0.1:9000"
            data_dir = "/tmp/x"
            storage = "sqlite"
            [[apps]]
            sdkappid = 1400000001
            key = "k1"
            admins = ["administrator", "ops"]
            [[apps]]
            sdkappid = 1400000002
            key = "k2"
            retention_days = 0
        "#;
        let c = parse(
            file,
            &[
                ("TIMBER_LISTEN", "0.0.0.0:1"),
                ("TIMBER_STORAGE", "memory"),
                ("TIMBER_MAX_BODY_BYTES", "42"),
                ("TIMBER_SWEEP_INTERVAL_SECS", "0"),
                ("TIMBER_SHUTDOWN_GRACE_SECS", "1"),
                ("TIMBER_HEADER_READ_TIMEOUT_SECS", "2"),
                ("TIMBER_BODY_READ_TIMEOUT_SECS", "3"),
                ("TIMBER_IDLE_TIMEOUT_SECS", "4"),
                ("TIMBER_MAX_CONNECTIONS", "64"),
                ("TIMBER_SQLITE_WAL_VFS", "false"),
                ("TIMBER_SQLITE_PAGE_CACHE", "false"),
                ("TIMBER_POSTGRES_GROUP_COMMIT", "false"),
            ],
        )
        .unwrap();
        assert!(!c.postgres_group_commit);
        assert!(!c.sqlite_wal_vfs);
        assert!(!c.sqlite_page_cache);
        assert_eq!(c.listen, "0.0.0.0:1");
        assert_eq!(c.storage, "memory");
        assert_eq!(c.data_dir, PathBuf::from("/tmp/x"));
        assert_eq!(c.max_body_bytes, 42);
        assert_eq!(c.sweep_interval_secs, 0);
        assert_eq!(c.shutdown_grace_secs, 1);
        assert_eq!(c.header_read_timeout_secs, 2);
        assert_eq!(c.body_read_timeout_secs, 3);
        assert_eq!(c.idle_timeout_secs, 4);
        assert_eq!(c.max_connections, Some(64));
        assert_eq!(c.apps.len(), 2);
        assert_eq!(c.apps[0].admins, vec!["administrator", "ops"]);
        assert_eq!(c.apps[1].admins, vec!["administrator"]);
        assert_eq!(c.apps[1].retention_days, 0);
        assert_eq!(c.apps[0].retention_days, 7);

        let c = parse(
            "",
            &[
                ("TIMBER_APPS", r#"[{sdkappid = 7, key = "k"}]"#),
                ("TIMBER_DATA_DIR", "123"),
            ],
        )
        .unwrap();
        assert_eq!(c.apps[0].sdkappid, 7);
        assert_eq!(c.data_dir, PathBuf::from("123"));
    }

    #[test]
    fn profile_custom_tags_are_per_app() {
        let c = parse(
            r#"
            [[apps]]
            sdkappid = 1
            key = "a"
            profile_custom_tags = [
                { tag = "Tag_Profile_Custom_Hobby" },
                { tag = "Tag_Profile_Custom_Score", admin_write = false },
            ]
            [[apps]]
            sdkappid = 2
            key = "b"
            "#,
            &[],
        )
        .unwrap();
        let tags = c.apps[0].profile_custom_tags.as_ref().unwrap();
        assert_eq!(tags.len(), 2);
        assert!(tags[0].admin_read && tags[0].admin_write);
        assert!(tags[1].admin_read && !tags[1].admin_write);
        assert_eq!(c.apps[1].profile_custom_tags, None);
        for bad in [
            r#"[{ tag = "Hobby" }]"#,
            r#"[{ tag = "Tag_Profile_Custom_TooLongName" }]"#,
            r#"[{ tag = "Tag_Profile_Custom_A" }, { tag = "Tag_Profile_Custom_A" }]"#,
            r#"[{ tag = "Tag_Profile_Custom_A", admin_wirte = false }]"#,
        ] {
            let toml = format!("[[apps]]\nsdkappid = 1\nkey = \"a\"\nprofile_custom_tags = {bad}");
            assert!(parse(&toml, &[]).is_err(), "{bad}");
        }
    }

    #[test]
    fn bad_configs_are_refused() {
        assert!(parse("lisen = \"x\"", &[]).is_err());
        assert!(parse("[[apps]]\nsdkappid = 1\nkey = \"\"", &[]).is_err());
        assert!(parse(
            "[[apps]]\nsdkappid = 1\nkey = \"a\"\n[[apps]]\nsdkappid = 1\nkey = \"b\"",
            &[]
        )
        .is_err());
        assert!(parse("", &[("TIMBER_MAX_BODY_BYTES", "lots")]).is_err());
        assert!(parse("", &[("TIMBER_SQLITE_WAL_VFS", "no")]).is_err());
        assert!(parse("sqlite_wal_vfs = 0", &[]).is_err());
        for key in [
            "header_read_timeout_secs",
            "body_read_timeout_secs",
            "idle_timeout_secs",
        ] {
            // 0 ("never") and past an hour: refused with the key named.
            for bad in ["0", "3601"] {
                let err = parse(&format!("{key} = {bad}"), &[]).unwrap_err();
                assert!(format!("{err:#}").contains(key), "{err:#}");
            }
            for bad in ["-1", "1.5", "\"10\""] {
                assert!(
                    parse(&format!("{key} = {bad}"), &[]).is_err(),
                    "{key} = {bad}"
                );
            }
            assert!(parse(&format!("{key} = 1"), &[]).is_ok());
            assert!(parse(&format!("{key} = 3600"), &[]).is_ok());
        }
        for bad in ["0", "1048577"] {
            let err = parse("", &[("TIMBER_MAX_CONNECTIONS", bad)]).unwrap_err();
            assert!(format!("{err:#}").contains("max_connections"), "{err:#}");
        }
        assert!(parse("max_connections = 1", &[]).is_ok());
        let app = "[[apps]]\nsdkappid = 1\nkey = \"a\"\n";
        let err = parse(&format!("{app}max_conversations = 0"), &[]).unwrap_err();
        assert!(format!("{err:#}").contains("max_conversations"), "{err:#}");
        let c = parse(&format!("{app}max_conversations = 3000"), &[]).unwrap();
        assert_eq!(c.apps[0].max_conversations, 3000);
    }
}
