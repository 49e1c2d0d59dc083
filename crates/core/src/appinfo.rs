//! `openconfigsvr/getappinfo`: one record of operations data per Beijing (UTC+8) day.
//! spec: push-and-operations.md §3.1, §8.
//!
//! The counts are derived, when asked, from what timber stores (accounts and their import
//! times, messages within retention, groups, memberships, friend entries), so no send path
//! writes a counter. What needs client connections, push vendors or the callback log (logins,
//! active and online users, APNs, callbacks, disbanded groups) is `"0"`.

use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// Days returned at most.
pub const MAX_DAYS: i64 = 30;
const OFFSET: i64 = 8 * 3600;

/// The Beijing day number (days since 1970-01-01 in UTC+8) of a Unix time.
pub fn day_of(t: i64) -> i64 {
    (t + OFFSET).div_euclid(86_400)
}

/// The first Unix second of Beijing day `day`.
pub fn day_start(day: i64) -> i64 {
    day * 86_400 - OFFSET
}

/// `YYYYMMDD` of a day number (the civil-from-days algorithm).
pub fn date_of(day: i64) -> String {
    let z = day + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}{m:02}{d:02}")
}

/// One day's counts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DayCounts {
    pub registered: u64,
    pub c2c_up: u64,
    pub c2c_senders: u64,
    pub group_up: u64,
    pub group_down: u64,
    pub group_senders: u64,
    pub groups_sent_in: u64,
    /// Users who sent C2C or group messages.
    pub senders: u64,
    pub joins: u64,
    pub groups_created: u64,
    pub friends_added: u64,
}

/// What the store read: counts by day, and what came before the window.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AppCounts {
    pub days: BTreeMap<i64, DayCounts>,
    /// Accounts registered before the window's first day.
    pub registered_before: u64,
    pub groups_before: u64,
    /// The app's first day (its first account).
    pub first_day: Option<i64>,
}

/// Every field name getappinfo knows, in the order of the documented record.
pub const FIELDS: &[&str] = &[
    "AppName",
    "AppId",
    "Company",
    "ActiveUserNum",
    "RegistUserNumOneDay",
    "RegistUserNumTotal",
    "LoginTimes",
    "LoginUserNum",
    "UpMsgNum",
    "SendMsgUserNum",
    "APNSMsgNum",
    "C2CUpMsgNum",
    "C2CSendMsgUserNum",
    "C2CAPNSMsgNum",
    "MaxOnlineNum",
    "DownMsgNum",
    "C2CDownMsgNum",
    "ChainIncrease",
    "ChainDecrease",
    "GroupUpMsgNum",
    "GroupDownMsgNum",
    "GroupSendMsgUserNum",
    "GroupAPNSMsgNum",
    "GroupSendMsgGroupNum",
    "GroupJoinGroupTimes",
    "GroupQuitGroupTimes",
    "GroupNewGroupNum",
    "GroupAllGroupNum",
    "GroupDestroyGroupNum",
    "CallBackReq",
    "CallBackRsp",
];

/// The records, newest day first, from today back to the app's first day (at most 30), each
/// with the `requested` fields (none: all; unknown names ignored) and always `Date`; every
/// value a string.
pub fn records(
    counts: &AppCounts,
    requested: &[String],
    app_id: crate::AppId,
    app_name: &str,
    company: &str,
    now: i64,
) -> Vec<Map<String, Value>> {
    let today = day_of(now);
    let first = counts
        .first_day
        .unwrap_or(today)
        .max(today - MAX_DAYS + 1)
        .min(today);
    let wanted = |f: &str| requested.is_empty() || requested.iter().any(|r| r == f);
    let mut registered_total = counts.registered_before;
    let mut groups_total = counts.groups_before;
    let mut out = Vec::new();
    let empty = DayCounts::default();
    for day in first..=today {
        let c = counts.days.get(&day).unwrap_or(&empty);
        registered_total += c.registered;
        groups_total += c.groups_created;
        let value = |f: &str| -> String {
            match f {
                "AppName" => app_name.to_owned(),
                "AppId" => app_id.to_string(),
                "Company" => company.to_owned(),
                "RegistUserNumOneDay" => c.registered.to_string(),
                "RegistUserNumTotal" => registered_total.to_string(),
                "UpMsgNum" => (c.c2c_up + c.group_up).to_string(),
                "SendMsgUserNum" => c.senders.to_string(),
                "C2CUpMsgNum" | "C2CDownMsgNum" => c.c2c_up.to_string(),
                "C2CSendMsgUserNum" => c.c2c_senders.to_string(),
                "DownMsgNum" => (c.c2c_up + c.group_down).to_string(),
                "ChainIncrease" => c.friends_added.to_string(),
                "GroupUpMsgNum" => c.group_up.to_string(),
                "GroupDownMsgNum" => c.group_down.to_string(),
                "GroupSendMsgUserNum" => c.group_senders.to_string(),
                "GroupSendMsgGroupNum" => c.groups_sent_in.to_string(),
                "GroupJoinGroupTimes" => c.joins.to_string(),
                "GroupNewGroupNum" => c.groups_created.to_string(),
                "GroupAllGroupNum" => groups_total.to_string(),
                _ => "0".to_owned(),
            }
        };
        let mut record = Map::new();
        for f in FIELDS.iter().filter(|f| wanted(f)) {
            record.insert((*f).to_owned(), Value::String(value(f)));
        }
        record.insert("Date".into(), Value::String(date_of(day)));
        out.push(record);
    }
    out.reverse();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_and_dates() {
        // 2026-12-07 01:00 UTC is 09:00 on 7 December in Beijing; 2026-12-06 17:00 UTC is
        // already 7 December there.
        assert_eq!(date_of(day_of(1_796_605_200)), "20261207");
        assert_eq!(date_of(day_of(1_796_576_400)), "20261207");
        assert_eq!(date_of(day_of(1_796_572_799)), "20261206");
        assert_eq!(date_of(0), "19700101");
        assert_eq!(date_of(day_of(951_782_400)), "20000229");
        assert_eq!(day_start(day_of(1_796_605_200)), 1_796_572_800);
    }

    #[test]
    fn records_newest_first_with_totals() {
        let now = 1_796_605_200;
        let today = day_of(now);
        let mut counts = AppCounts {
            registered_before: 3,
            first_day: Some(today - 1),
            ..Default::default()
        };
        counts.days.insert(
            today - 1,
            DayCounts {
                registered: 2,
                c2c_up: 5,
                ..Default::default()
            },
        );
        counts.days.insert(
            today,
            DayCounts {
                registered: 1,
                ..Default::default()
            },
        );
        let r = records(&counts, &[], 1400000001, "timber", "", now);
        assert_eq!(r.len(), 2);
        assert_eq!(r[0]["Date"], "20261207");
        assert_eq!(r[0]["RegistUserNumTotal"], "6");
        assert_eq!(r[1]["RegistUserNumTotal"], "5");
        assert_eq!(r[1]["C2CUpMsgNum"], "5");
        assert_eq!(r[0]["LoginTimes"], "0");
        let r = records(
            &counts,
            &["AppId".into(), "Nope".into()],
            1400000001,
            "timber",
            "",
            now,
        );
        assert_eq!(r[0].len(), 2);
        assert_eq!(r[0]["AppId"], "1400000001");
        // An app older than 30 days gets 30 records.
        counts.first_day = Some(today - 100);
        assert_eq!(records(&counts, &[], 1, "", "", now).len(), 30);
    }
}
