//! The apps (SDKAppIDs) this server hosts, each with its secret key, admins and settings.
//! Apps come from configuration and never change while the process runs, so they are safe to
//! keep in memory on every node.

use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Arc;
use timber_core::account::DEFAULT_ADMIN;
use timber_core::profile::CustomTags;
use timber_core::AppId;

/// One app as written in the configuration file's `[[apps]]` table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct App {
    pub sdkappid: AppId,
    /// The console's secret key, used as raw UTF-8 bytes for HMAC (usersig.md §2).
    pub key: String,
    /// App admins; the first is the default admin. `administrator` is always one (rest-protocol.md §7).
    #[serde(default = "default_admins")]
    pub admins: Vec<String>,
    /// Days group and one-to-one messages are kept; 0 keeps them forever (group-messages.md §1.3).
    #[serde(default = "default_retention_days")]
    pub retention_days: u32,
    /// Largest message (MsgBody + CloudCustomData) in bytes (limits.md §4).
    #[serde(default = "default_max_msg_bytes")]
    pub max_msg_bytes: usize,
    /// The custom profile tags the app registered, with their admin permissions
    /// (profiles.md §0.2). Absent: every well-formed custom tag is accepted (development
    /// mode).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile_custom_tags: CustomTags,
    /// Where callbacks are POSTed (callbacks.md §1); absent: the app gets none.
    #[serde(default)]
    pub callback_url: Option<String>,
    /// When set, every callback carries `RequestTime` and `Sign` (callbacks.md §2).
    #[serde(default)]
    pub callback_token: Option<String>,
    /// The callback commands the app wants; absent: every one timber sends
    /// (`timber_core::callback::COMMANDS`).
    #[serde(default)]
    pub callbacks: Option<Vec<String>>,
    /// What a before-callback that failed (no answer in 2 s, no connection, not HTTP 200, not
    /// JSON) decides (callbacks.md §4).
    #[serde(default)]
    pub callback_before_failure: BeforeFailure,
    /// How many times a failed after-callback is retried, with a doubling pause from 1 s.
    /// 0, the cloud's default, never retries.
    #[serde(default)]
    pub callback_after_retries: u32,
    /// Conversations a user's recent-contact list keeps (recent-contacts.md §0.3): 100, the
    /// cloud's default; its paid editions give 500 or 3,000. At least 1.
    #[serde(default = "default_max_conversations")]
    pub max_conversations: usize,
    /// Push to all users (`all_member_push/im_push`), a paid switch in the cloud: on by
    /// default; off answers 90045 (push-and-operations.md §8).
    #[serde(default = "default_true")]
    pub push_to_all: bool,
    /// The cloud's im_push limits: 1 s between pushes (90024), 100 a day (90047). Off by
    /// default (push-and-operations.md §0).
    #[serde(default)]
    pub push_limits: bool,
    /// Features the app's edition or console switches lack; their commands answer 10059
    /// (groups-more.md §11.1). Empty by default: timber sells everything.
    #[serde(default)]
    pub features_off: Vec<Feature>,
    /// The group service's documented rates: 5 attribute writes a second per group (10049),
    /// `broadcast_per_sec` broadcasts a second per app (10006). Off by default, like the
    /// other rate limits (groups-more.md §11.3, §11.9).
    #[serde(default)]
    pub group_rate_limits: bool,
    /// send_broadcast_msg's rate under `group_rate_limits`: 1 a second (Pro, the default) or
    /// 5 (Pro Plus, Enterprise) (groups-more.md §7.7). At least 1.
    #[serde(default = "default_broadcast_per_sec")]
    pub broadcast_per_sec: u32,
    /// The cloud's per-command call frequencies (limits.md §3): `"off"` (default) or
    /// `"cloud"`, which answers 60007 over a command's limit and 10023 over a group's 40
    /// messages a second, and sends `Alert.RequestOverLimit` at 80% of a command's limit.
    #[serde(default)]
    pub rate_limits: RateLimits,
}

const fn default_broadcast_per_sec() -> u32 {
    1
}

/// A paid group feature a console switch or an edition turns on (groups-more.md §11.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Feature {
    /// get/update/delete_group_counter (§4).
    GroupCounters,
    /// ban/unban_group_member, get_group_ban_member (§5).
    GroupBans,
    /// `group_open_avchatroom_http_svc` (§7.2–§7.6).
    AvchatroomMembers,
    /// send_broadcast_msg (§7.7).
    Broadcast,
    /// `openim_msg_ext_http_svc` (§9).
    MessageExtensions,
}

impl Feature {
    pub const fn name(self) -> &'static str {
        match self {
            Feature::GroupCounters => "group_counters",
            Feature::GroupBans => "group_bans",
            Feature::AvchatroomMembers => "avchatroom_members",
            Feature::Broadcast => "broadcast",
            Feature::MessageExtensions => "message_extensions",
        }
    }
}

impl App {
    /// Whether the group service's own rates apply (10049, 10006): asked for alone, or as
    /// part of all the cloud's frequencies.
    pub fn group_rates_on(&self) -> bool {
        self.group_rate_limits || self.rate_limits == RateLimits::Cloud
    }
}

/// `rate_limits`: whether the cloud's call frequencies are enforced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RateLimits {
    #[default]
    Off,
    Cloud,
}

const fn default_true() -> bool {
    true
}

/// `callback_before_failure`: let the request through (the cloud's default) or refuse it
/// with the refusal code (10016 / 20006; inferred, callbacks.md §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BeforeFailure {
    #[default]
    Allow,
    Deny,
}

fn default_admins() -> Vec<String> {
    vec![DEFAULT_ADMIN.to_owned()]
}
const fn default_retention_days() -> u32 {
    7
}
const fn default_max_conversations() -> usize {
    timber_core::contacts::DEFAULT_MAX_CONVERSATIONS
}
const fn default_max_msg_bytes() -> usize {
    timber_core::message::DEFAULT_MAX_MSG_BYTES
}

impl App {
    pub fn new(sdkappid: AppId, key: impl Into<String>) -> App {
        App {
            sdkappid,
            key: key.into(),
            admins: default_admins(),
            retention_days: default_retention_days(),
            max_msg_bytes: default_max_msg_bytes(),
            profile_custom_tags: None,
            callback_url: None,
            callback_token: None,
            callbacks: None,
            callback_before_failure: BeforeFailure::Allow,
            callback_after_retries: 0,
            max_conversations: default_max_conversations(),
            push_to_all: true,
            push_limits: false,
            features_off: Vec::new(),
            group_rate_limits: false,
            broadcast_per_sec: default_broadcast_per_sec(),
            rate_limits: RateLimits::Off,
        }
    }

    /// Whether the app is to be sent `command`: it has a URL, and lists the command or lists
    /// none.
    pub fn wants_callback(&self, command: &str) -> bool {
        self.callback_url.is_some()
            && self
                .callbacks
                .as_ref()
                .is_none_or(|list| list.iter().any(|c| c == command))
    }

    /// 10059 when the app's configuration turns `feature` off.
    pub fn require(&self, feature: Feature) -> Result<(), timber_core::Error> {
        if self.features_off.contains(&feature) {
            return Err(timber_core::Error::new(
                timber_core::ErrorCode::GroupFeatureNotInEdition,
                format!("{} is not enabled for this app", feature.name()),
            ));
        }
        Ok(())
    }

    /// `administrator` is an admin of every app, whatever the configuration lists.
    pub fn is_admin(&self, identifier: &str) -> bool {
        identifier == DEFAULT_ADMIN || self.admins.iter().any(|a| a == identifier)
    }

    /// The admin to print in examples and to use when none is named.
    pub fn default_admin(&self) -> &str {
        self.admins
            .first()
            .map(String::as_str)
            .unwrap_or(DEFAULT_ADMIN)
    }

    /// Every admin identifier, `administrator` included, without duplicates.
    pub fn all_admins(&self) -> Vec<String> {
        let mut all = self.admins.clone();
        if !all.iter().any(|a| a == DEFAULT_ADMIN) {
            all.push(DEFAULT_ADMIN.to_owned());
        }
        all
    }
}

/// The hosted apps by SDKAppID.
#[derive(Debug, Clone, Default)]
pub struct Apps(HashMap<AppId, Arc<App>>);

impl Apps {
    pub fn new(apps: impl IntoIterator<Item = App>) -> Apps {
        Apps(
            apps.into_iter()
                .map(|a| (a.sdkappid, Arc::new(a)))
                .collect(),
        )
    }
    pub fn get(&self, id: AppId) -> Option<&Arc<App>> {
        self.0.get(&id)
    }
    pub fn iter(&self) -> impl Iterator<Item = &Arc<App>> {
        self.0.values()
    }
}
