//! batchsendmsg's budget of 12,000 messages a minute per app, counted per receiver
//! (limits.md §3). Counted in this process, per calendar minute: with several nodes each
//! node keeps its own count (our choice; the cloud's counter is its own business).

use std::collections::HashMap;
use std::sync::Mutex;
use timber_core::c2c::BATCH_MSGS_PER_MINUTE;
use timber_core::{AppId, Error, ErrorCode};

#[derive(Default)]
pub struct Budget {
    /// Per app: the minute counted (Unix seconds / 60) and the messages taken in it.
    used: Mutex<HashMap<AppId, (i64, u64)>>,
}

impl Budget {
    /// Takes `n` messages of `app`'s budget for the minute of `now`, or refuses them all
    /// (60007) when fewer are left.
    pub fn take(&self, app: AppId, now: i64, n: u64) -> Result<(), Error> {
        let minute = now.div_euclid(60);
        let mut used = self.used.lock().unwrap_or_else(|e| e.into_inner());
        let entry = used.entry(app).or_insert((minute, 0));
        if entry.0 != minute {
            *entry = (minute, 0);
        }
        if entry.1 + n > BATCH_MSGS_PER_MINUTE {
            return Err(Error::new(
                ErrorCode::FrequencyLimit,
                format!(
                    "batchsendmsg may send {BATCH_MSGS_PER_MINUTE} messages a minute; {} are left in this minute",
                    BATCH_MSGS_PER_MINUTE - entry.1
                ),
            ));
        }
        entry.1 += n;
        Ok(())
    }

    /// Returns `n` messages taken in the minute of `now` by a call that then sent nothing.
    pub fn give_back(&self, app: AppId, now: i64, n: u64) {
        let minute = now.div_euclid(60);
        let mut used = self.used.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(entry) = used.get_mut(&app).filter(|e| e.0 == minute) {
            entry.1 = entry.1.saturating_sub(n);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_minute_holds_twelve_thousand() {
        let b = Budget::default();
        assert!(b.take(1, 60, 11_500).is_ok());
        assert_eq!(
            b.take(1, 119, 501).unwrap_err().code,
            ErrorCode::FrequencyLimit
        );
        assert!(b.take(2, 119, 501).is_ok(), "per app");
        assert!(b.take(1, 119, 500).is_ok());
        b.give_back(1, 119, 100);
        assert!(b.take(1, 119, 100).is_ok());
        assert!(b.take(1, 119, 1).is_err());
        assert!(b.take(1, 120, 12_000).is_ok(), "a new minute");
    }
}
