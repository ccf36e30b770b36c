//! The failed SSH logins of an RFC 3164 auth.log, read plainly from its lines (for the tests
//! that compare detection with the raw log). The file has no year: its lines fall in 2026.

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};

/// One failed attempt per `Failed <method> for … from <ip> port` line (a rejected public key
/// is not one), weighing its
/// `message repeated N times` count.
pub fn failures(log: &str) -> Vec<(DateTime<Utc>, String, u64)> {
    let mut out = Vec::new();
    for line in log.lines() {
        let Some((_, msg)) = line.split_once("]: ") else {
            continue;
        };
        if !line[16..].contains(" sshd[") {
            continue;
        }
        let (weight, msg) = match msg.strip_prefix("message repeated ") {
            Some(rest) => {
                let (n, inner) = rest.split_once(" times: [ ").unwrap();
                (n.parse::<u64>().unwrap(), inner)
            }
            None => (1, msg),
        };
        if !msg.starts_with("Failed ") || msg.starts_with("Failed publickey ") {
            continue;
        }
        let ip = msg
            .split(" from ")
            .nth(1)
            .unwrap()
            .split(' ')
            .next()
            .unwrap();
        let stamp = format!("2026 {}", &line[..15]);
        let naive = NaiveDateTime::parse_from_str(&stamp, "%Y %b %e %H:%M:%S").unwrap();
        out.push((Utc.from_utc_datetime(&naive), ip.to_string(), weight));
    }
    out
}
