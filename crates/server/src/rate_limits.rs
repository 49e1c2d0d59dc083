//! The cloud's call frequencies, for apps with `rate_limits = "cloud"` (limits.md §3,
//! rest-protocol.md §8): per (app, command) a second's calls, 60007 beyond the command's limit
//! (200/s, 100/s for multiaccount_import, account_delete and account_check); per group 40
//! messages a second, 10023 beyond; per official account 1 message a second and 2 broadcasts
//! an hour, 10023 beyond (push-and-operations.md §0, §5.11; the code inferred there). At 80%
//! of a command's limit in a second the app is sent `Alert.RequestOverLimit` (callbacks.md
//! §6), once per second and command.
//!
//! Windows are whole seconds of the wall clock, counted on this node (the cloud's windows are
//! not documented; a fixed second is the simplest reading).

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use timber_core::{AppId, Error, ErrorCode};

/// Group messages a second, per group.
pub const GROUP_MESSAGES_PER_SECOND: u32 = 40;

/// An official account's sends: at most one a second and two an hour (§5.11).
pub const OFFICIAL_PER_SECOND: usize = 1;
pub const OFFICIAL_PER_HOUR: usize = 2;
const HOUR: i64 = 3600;

/// The share of a command's limit at which the alarm callback is sent.
const ALARM_PERCENT: u32 = 80;

/// The documented limit of a command, per second.
pub fn per_second(command: &str) -> u32 {
    match command {
        "multiaccount_import" | "account_delete" | "account_check" => 100,
        _ => 200,
    }
}

#[derive(Default, Clone, Copy)]
struct Window {
    second: i64,
    count: u32,
    alarmed: bool,
}

impl Window {
    /// Counts one call at `now`; returns the count in this second.
    fn count(&mut self, now: i64) -> u32 {
        if self.second != now {
            *self = Window {
                second: now,
                count: 0,
                alarmed: false,
            };
        }
        self.count += 1;
        self.count
    }
}

/// What a call's count says.
pub enum Verdict {
    Allowed,
    /// Allowed, and the alarm is due: (limit, count).
    Alarm(u32, u32),
}

#[derive(Default)]
pub struct RateLimits {
    commands: Mutex<HashMap<(AppId, &'static str, String), Window>>,
    groups: Mutex<HashMap<(AppId, String), Window>>,
    /// Per official account, the times of its sends of the last hour, oldest first.
    officials: Mutex<HashMap<(AppId, String), VecDeque<i64>>>,
}

impl RateLimits {
    /// Counts a call of `service`/`command`; 60007 over the limit.
    pub fn command(
        &self,
        app: AppId,
        service: &'static str,
        command: &str,
        now: i64,
    ) -> Result<Verdict, Error> {
        let limit = per_second(command);
        let mut map = self
            .commands
            .lock()
            .map_err(|_| ErrorCode::FrequencyLimit)?;
        let window = map.entry((app, service, command.to_owned())).or_default();
        let n = window.count(now);
        if n > limit {
            return Err(Error::new(
                ErrorCode::FrequencyLimit,
                format!("{service}/{command} is limited to {limit} calls a second"),
            ));
        }
        if !window.alarmed && n * 100 >= limit * ALARM_PERCENT {
            window.alarmed = true;
            return Ok(Verdict::Alarm(limit, n));
        }
        Ok(Verdict::Allowed)
    }

    /// Counts a message sent to `group`; 10023 over 40 a second.
    pub fn group_message(&self, app: AppId, group: &str, now: i64) -> Result<(), Error> {
        let mut map = self
            .groups
            .lock()
            .map_err(|_| ErrorCode::GroupMsgFrequency)?;
        // Windows of past seconds are garbage; dropped when the map grows.
        if map.len() > 100_000 {
            map.retain(|_, w| w.second == now);
        }
        let n = map.entry((app, group.to_owned())).or_default().count(now);
        if n > GROUP_MESSAGES_PER_SECOND {
            return Err(Error::new(
                ErrorCode::GroupMsgFrequency,
                format!(
                    "group {group} is limited to {GROUP_MESSAGES_PER_SECOND} messages a second"
                ),
            ));
        }
        Ok(())
    }

    /// Whether official account `id` may send at `now`: 10023 when it sent in this second or
    /// twice in the last hour. Only sends that were stored count ([`Self::official_sent`]):
    /// a refused or duplicate one uses nothing up.
    pub fn official_check(&self, app: AppId, id: &str, now: i64) -> Result<(), Error> {
        let mut map = self
            .officials
            .lock()
            .map_err(|_| ErrorCode::GroupMsgFrequency)?;
        let Some(times) = map.get_mut(&(app, id.to_owned())) else {
            return Ok(());
        };
        while times.front().is_some_and(|&t| t <= now - HOUR) {
            times.pop_front();
        }
        let this_second = times.iter().filter(|&&t| t == now).count();
        if this_second >= OFFICIAL_PER_SECOND {
            return Err(Error::new(
                ErrorCode::GroupMsgFrequency,
                format!("official account {id} may send {OFFICIAL_PER_SECOND} message a second"),
            ));
        }
        if times.len() >= OFFICIAL_PER_HOUR {
            return Err(Error::new(
                ErrorCode::GroupMsgFrequency,
                format!("official account {id} may send {OFFICIAL_PER_HOUR} broadcasts an hour"),
            ));
        }
        Ok(())
    }

    /// Counts a send of official account `id` at `now`.
    pub fn official_sent(&self, app: AppId, id: &str, now: i64) {
        if let Ok(mut map) = self.officials.lock() {
            if map.len() > 100_000 {
                map.retain(|_, t| t.back().is_some_and(|&t| t > now - HOUR));
            }
            map.entry((app, id.to_owned())).or_default().push_back(now);
        }
    }

    /// Forgets the app's counts (`/_timber/reset`).
    pub fn forget(&self, app: AppId) {
        if let Ok(mut m) = self.commands.lock() {
            m.retain(|k, _| k.0 != app);
        }
        if let Ok(mut m) = self.groups.lock() {
            m.retain(|k, _| k.0 != app);
        }
        if let Ok(mut m) = self.officials.lock() {
            m.retain(|k, _| k.0 != app);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_per_second_and_the_alarm_once() {
        let l = RateLimits::default();
        let mut alarms = 0;
        for i in 1..=100 {
            match l.command(1, "im_open_login_svc", "account_check", 5) {
                Ok(Verdict::Alarm(100, n)) => {
                    assert_eq!(n, 80);
                    alarms += 1;
                }
                Ok(_) => {}
                Err(e) => panic!("call {i}: {e:?}"),
            }
        }
        assert_eq!(alarms, 1);
        let e = l
            .command(1, "im_open_login_svc", "account_check", 5)
            .err()
            .unwrap();
        assert_eq!(e.code, ErrorCode::FrequencyLimit);
        // Another app, another second: counted apart.
        assert!(l
            .command(2, "im_open_login_svc", "account_check", 5)
            .is_ok());
        assert!(l
            .command(1, "im_open_login_svc", "account_check", 6)
            .is_ok());
        for _ in 0..40 {
            l.group_message(1, "g", 5).unwrap();
        }
        assert_eq!(
            l.group_message(1, "g", 5).unwrap_err().code,
            ErrorCode::GroupMsgFrequency
        );
        assert!(l.group_message(1, "h", 5).is_ok());
        // Official accounts: one a second, two an hour; only what was sent counts.
        assert!(l.official_check(1, "o", 100).is_ok());
        l.official_sent(1, "o", 100);
        assert!(l.official_check(1, "o", 100).is_err());
        assert!(l.official_check(1, "p", 100).is_ok());
        assert!(l.official_check(1, "o", 101).is_ok());
        l.official_sent(1, "o", 101);
        assert!(l.official_check(1, "o", 102).is_err());
        assert!(l.official_check(1, "o", 100 + HOUR).is_ok());
        l.forget(1);
        assert!(l.group_message(1, "g", 5).is_ok());
        assert!(l.official_check(1, "o", 101).is_ok());
    }
}
