//! Which commands belong to a paid feature an app may lack, and the group service's call
//! rates. spec: groups-more.md §11.1, §3.1, §7.7.
//!
//! Our decisions: every feature is on unless the app lists it in `features_off` (then each
//! of its commands answers 10059 before its body is read); the documented rates (5 attribute
//! writes a second per group, 10049; 1 or 5 broadcasts a second per app, 10006) hold only
//! under the app's `group_rate_limits` (or `rate_limits = "cloud"`), and are counted per node
//! over the last second.

use crate::apps::{App, Feature};
use crate::envelope::Service;
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use timber_core::{AppId, Error, ErrorCode};

/// The feature `command` of `service` needs, if any.
pub(crate) fn feature_of(service: Service, command: &str) -> Option<Feature> {
    match (service, command) {
        (Service::Group, "get_group_counter" | "update_group_counter" | "delete_group_counter") => {
            Some(Feature::GroupCounters)
        }
        (Service::Group, "ban_group_member" | "unban_group_member" | "get_group_ban_member") => {
            Some(Feature::GroupBans)
        }
        (Service::Group, "send_broadcast_msg") => Some(Feature::Broadcast),
        (Service::AvChatRoom, _) => Some(Feature::AvchatroomMembers),
        (Service::MsgExt, _) => Some(Feature::MessageExtensions),
        _ => None,
    }
}

/// 10059 when the app lacks the feature of `command`.
pub(crate) fn check_feature(app: &App, service: Service, command: &str) -> Result<(), Error> {
    match feature_of(service, command) {
        Some(f) => app.require(f),
        None => Ok(()),
    }
}

/// Attribute writes a second to one group (groups-more.md §3.1).
pub const ATTR_WRITES_PER_SEC: usize = 5;

/// Calls in the last second, per (app, what is counted).
#[derive(Default)]
pub struct Rates {
    calls: Mutex<HashMap<(AppId, String), VecDeque<Instant>>>,
}

/// Counted keys kept before the idle ones are dropped.
const KEYS_KEPT: usize = 10_000;

impl Rates {
    /// Takes one call of `key` if fewer than `per_sec` were taken in the last second.
    fn take(&self, app: AppId, key: &str, per_sec: usize) -> bool {
        let now = Instant::now();
        let second = Duration::from_secs(1);
        let mut calls = self.calls.lock().unwrap_or_else(|e| e.into_inner());
        if calls.len() > KEYS_KEPT {
            calls.retain(|_, q| q.back().is_some_and(|t| now.duration_since(*t) < second));
        }
        let q = calls.entry((app, key.to_owned())).or_default();
        while q.front().is_some_and(|t| now.duration_since(*t) >= second) {
            q.pop_front();
        }
        if q.len() >= per_sec.max(1) {
            return false;
        }
        q.push_back(now);
        true
    }

    /// A write of the group's attributes: 10049 past 5 a second, under `group_rate_limits`.
    pub(crate) fn attr_write(&self, app: &App, group_id: &str) -> Result<(), Error> {
        if !app.group_rates_on()
            || self.take(
                app.sdkappid,
                &format!("attr:{group_id}"),
                ATTR_WRITES_PER_SEC,
            )
        {
            return Ok(());
        }
        Err(Error::new(
            ErrorCode::GroupAttrRateLimited,
            format!(
                "group {group_id:?} takes at most {ATTR_WRITES_PER_SEC} attribute writes a second"
            ),
        ))
    }

    /// A broadcast: 10006 past `broadcast_per_sec` a second, under `group_rate_limits`.
    pub(crate) fn broadcast(&self, app: &App) -> Result<(), Error> {
        let per_sec = app.broadcast_per_sec.max(1) as usize;
        if !app.group_rates_on() || self.take(app.sdkappid, "broadcast", per_sec) {
            return Ok(());
        }
        Err(Error::new(
            ErrorCode::GroupRateLimited,
            format!("send_broadcast_msg is limited to {per_sec} a second"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holds_the_limit_per_key() {
        let r = Rates::default();
        assert!((0..5).all(|_| r.take(1, "a", 5)));
        assert!(!r.take(1, "a", 5));
        assert!(r.take(1, "b", 5) && r.take(2, "a", 5));
    }

    #[test]
    fn rates_are_off_unless_the_app_asks() {
        let r = Rates::default();
        let mut app = App::new(1, "k");
        assert!((0..20).all(|_| r.broadcast(&app).is_ok() && r.attr_write(&app, "g").is_ok()));
        app.group_rate_limits = true;
        assert!(r.broadcast(&app).is_ok());
        assert_eq!(
            r.broadcast(&app).unwrap_err().code,
            ErrorCode::GroupRateLimited
        );
        assert!((0..5).all(|_| r.attr_write(&app, "h").is_ok()));
        assert_eq!(
            r.attr_write(&app, "h").unwrap_err().code,
            ErrorCode::GroupAttrRateLimited
        );
        app.features_off = vec![Feature::Broadcast];
        assert_eq!(
            check_feature(&app, Service::Group, "send_broadcast_msg")
                .unwrap_err()
                .code,
            ErrorCode::GroupFeatureNotInEdition
        );
        assert!(check_feature(&app, Service::Group, "get_group_info").is_ok());
    }

    #[test]
    fn the_cloud_rate_limits_include_the_group_rates() {
        let r = Rates::default();
        let mut app = App::new(1, "k");
        app.rate_limits = crate::apps::RateLimits::Cloud;
        assert!(r.broadcast(&app).is_ok());
        assert_eq!(
            r.broadcast(&app).unwrap_err().code,
            ErrorCode::GroupRateLimited
        );
    }
}
