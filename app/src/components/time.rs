//! Timestamps as the pages show them. Written out by hand rather than with chrono's `format`:
//! its strftime parser and formatter would otherwise ship in the browser bundle for four
//! fixed layouts.

use chrono::{DateTime, Datelike, Timelike, Utc};

/// `2026-11-21 17:39`, to the minute.
pub fn utc_minute(t: &DateTime<Utc>) -> String {
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute()
    )
}

/// `2026-11-21 17:39:06`, to the second.
pub fn utc_second(t: &DateTime<Utc>) -> String {
    format!("{}:{:02}", utc_minute(t), t.second())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn pads_every_part_to_its_width() {
        let t = at("0987-01-02T03:04:05.999Z");
        assert_eq!(utc_minute(&t), "0987-01-02 03:04");
        assert_eq!(utc_second(&t), "0987-01-02 03:04:05");
    }

    #[test]
    fn shows_the_utc_time_of_an_offset_timestamp() {
        // 23:59:59 at UTC-02:00 is 01:59:59 the next day (and here the next year) in UTC.
        let t = at("2026-12-31T23:59:59-02:00");
        assert_eq!(utc_minute(&t), "2027-01-01 01:59");
        assert_eq!(utc_second(&t), "2027-01-01 01:59:59");
    }
}
