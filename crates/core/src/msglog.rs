//! `open_msg_svc/get_history`: the hourly message-record files, which timber generates
//! itself. spec: push-and-operations.md §3.2, §8. The hour is Beijing time; the file is one
//! JSON line per stored message of the chat type sent in that hour (our format; the real one
//! is undocumented).

use serde_json::{json, Value};

/// How far back an hour may be: 7 days.
pub const KEEP_SECS: i64 = 7 * 86_400;
const OFFSET: i64 = 8 * 3600;

/// Days since 1970-01-01 of a civil date (the days-from-civil algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

/// The first Unix second of the Beijing hour `YYYYMMDDHH`; `None` unless it is ten digits
/// naming a real hour.
pub fn hour_start(msg_time: &str) -> Option<i64> {
    if msg_time.len() != 10 || !msg_time.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n = |r: std::ops::Range<usize>| msg_time[r].parse::<i64>().ok();
    let (y, m, d, h) = (n(0..4)?, n(4..6)?, n(6..8)?, n(8..10)?);
    if !(1..=12).contains(&m) || d < 1 || d > days_in_month(y, m) || h > 23 {
        return None;
    }
    Some(days_from_civil(y, m, d) * 86_400 + h * 3600 - OFFSET)
}

/// Whether the hour starting at `start` has a file at `now`: finished, and within 7 days.
pub fn servable(start: i64, now: i64) -> bool {
    start + 3600 <= now && start >= now - KEEP_SECS
}

/// `"YYYY-MM-DD HH:MM:SS"` of a Unix time, Beijing time (the answer's `ExpireTime`).
pub fn beijing_time(t: i64) -> String {
    let local = t + OFFSET;
    let day = local.div_euclid(86_400);
    let secs = local.rem_euclid(86_400);
    let date = crate::appinfo::date_of(day);
    format!(
        "{}-{}-{} {:02}:{:02}:{:02}",
        &date[0..4],
        &date[4..6],
        &date[6..8],
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// One stored message, as the file holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogMsg {
    C2c {
        from: String,
        to: String,
        seq: u64,
        random: u32,
        time: i64,
        body: String,
        cloud_custom_data: Option<String>,
    },
    Group {
        group_id: String,
        from: String,
        seq: u64,
        random: u32,
        time: i64,
        body: String,
        cloud_custom_data: Option<String>,
    },
}

impl LogMsg {
    /// The message's line (without the newline).
    pub fn line(&self) -> String {
        let body = |b: &str| serde_json::from_str::<Value>(b).unwrap_or(Value::Null);
        match self {
            LogMsg::C2c {
                from,
                to,
                seq,
                random,
                time,
                body: b,
                cloud_custom_data,
            } => json!({
                "From_Account": from, "To_Account": to, "MsgSeq": seq, "MsgRandom": random,
                "MsgTimeStamp": time, "MsgKey": format!("{seq}_{random}_{time}"),
                "MsgBody": body(b), "CloudCustomData": cloud_custom_data.as_deref().unwrap_or(""),
            }),
            LogMsg::Group {
                group_id,
                from,
                seq,
                random,
                time,
                body: b,
                cloud_custom_data,
            } => json!({
                "GroupId": group_id, "From_Account": from, "MsgSeq": seq, "MsgRandom": random,
                "MsgTimeStamp": time, "MsgBody": body(b),
                "CloudCustomData": cloud_custom_data.as_deref().unwrap_or(""),
            }),
        }
        .to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hours() {
        // 09:00 Beijing on 15 March 2025 is 01:00 UTC.
        assert_eq!(hour_start("2025031509"), Some(1_742_000_400));
        assert_eq!(hour_start("2024022923").map(|_| ()), Some(()));
        for bad in [
            "2025022900",
            "2025031324",
            "2025130100",
            "202503150",
            "20250315ab",
            "2025040000",
        ] {
            assert_eq!(hour_start(bad), None, "{bad}");
        }
        assert!(servable(100, 3700));
        assert!(!servable(100, 3699));
        assert!(!servable(0, KEEP_SECS + 1));
        assert_eq!(beijing_time(1_742_000_400), "2025-03-15 09:00:00");
    }
}
