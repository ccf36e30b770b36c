//! Hand-written timestamp readers for the formats logs use, and the year inference that RFC 3164
//! timestamps need.

use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Utc};

use super::ParseContext;

const MONTHS: [&[u8; 3]; 12] = [
    b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec",
];

/// 1-based month from a three-letter English abbreviation, any case.
pub(crate) fn month(b: &[u8]) -> Option<u32> {
    let b = b.get(..3)?;
    MONTHS
        .iter()
        .position(|m| m.eq_ignore_ascii_case(b))
        .map(|i| i as u32 + 1)
}

/// Cheap check used by auto-detection: `Mmm ` followed by a digit or a space.
pub(crate) fn starts_with_month(b: &[u8]) -> bool {
    b.len() > 4 && b[3] == b' ' && (b[4].is_ascii_digit() || b[4] == b' ') && month(b).is_some()
}

/// Exactly `b.len()` ASCII digits as a number.
pub(crate) fn digits(b: &[u8]) -> Option<u32> {
    if b.is_empty() || b.len() > 9 {
        return None;
    }
    b.iter().try_fold(0u32, |acc, &c| {
        c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
    })
}

/// `.123456` style fraction at the start of `b`: (nanoseconds, bytes consumed incl. the dot).
fn fraction(b: &[u8]) -> (u32, usize) {
    if b.first() != Some(&b'.') && b.first() != Some(&b',') {
        return (0, 0);
    }
    let n = b[1..].iter().take_while(|c| c.is_ascii_digit()).count();
    if n == 0 {
        return (0, 0);
    }
    let mut nanos = 0u32;
    for (i, &c) in b[1..=n].iter().enumerate().take(9) {
        nanos += u32::from(c - b'0') * 10u32.pow(8 - i as u32);
    }
    (nanos, n + 1)
}

/// `hh:mm:ss` at the start of `b`.
fn hms(b: &[u8]) -> Option<(u32, u32, u32)> {
    if b.len() < 8 || b[2] != b':' || b[5] != b':' {
        return None;
    }
    let (h, m, s) = (digits(&b[0..2])?, digits(&b[3..5])?, digits(&b[6..8])?);
    // 60 is a leap second; chrono takes it as 59 + 1s of nanos, simpler to clamp.
    (h < 24 && m < 60 && s <= 60).then_some((h, m, s.min(59)))
}

/// A BSD syslog timestamp: no year, no zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BsdStamp {
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
    pub nanos: u32,
}

/// Reads `Mmm dd hh:mm:ss[.frac]` (day padded with a space, a zero or not at all) and returns the
/// stamp and the bytes consumed; it must be followed by a space or the end.
pub(crate) fn parse_bsd(s: &str) -> Option<(BsdStamp, usize)> {
    let b = s.as_bytes();
    let month = month(b)?;
    if b.get(3) != Some(&b' ') {
        return None;
    }
    let mut i = 4;
    if b.get(i) == Some(&b' ') {
        i += 1;
    }
    let day_len = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
    if !(1..=2).contains(&day_len) {
        return None;
    }
    let day = digits(&b[i..i + day_len])?;
    i += day_len;
    if b.get(i) != Some(&b' ') {
        return None;
    }
    i += 1;
    let (hour, minute, second) = hms(b.get(i..)?)?;
    i += 8;
    let (nanos, used) = fraction(&b[i..]);
    i += used;
    if i < b.len() && b[i] != b' ' {
        return None;
    }
    (1..=31).contains(&day).then_some((
        BsdStamp {
            month,
            day,
            hour,
            minute,
            second,
            nanos,
        },
        i,
    ))
}

/// Gives a year-less timestamp a year: the year of `reference_time` (seen in `default_offset`),
/// unless that puts the instant more than a day after the reference, in which case the line must
/// be from the previous year (a December line read in January). The day of slack absorbs clock
/// skew between the sender and the reference. Feb 29 falls back to the nearest earlier leap
/// year. Callers set [`super::flags::TIMESTAMP_INFERRED`].
pub(crate) fn infer_year(st: &BsdStamp, ctx: &ParseContext) -> Option<DateTime<Utc>> {
    let reference = ctx.reference_time;
    let year = reference.with_timezone(&ctx.default_offset).year();
    let build = |year: i32| {
        (0..8).find_map(|back| {
            let date = NaiveDate::from_ymd_opt(year - back, st.month, st.day)?;
            let naive = date.and_hms_nano_opt(st.hour, st.minute, st.second, st.nanos)?;
            Some(local_to_utc(naive, ctx.default_offset))
        })
    };
    let this_year = build(year)?;
    if this_year > reference + Duration::days(1) {
        build(year - 1)
    } else {
        Some(this_year)
    }
}

pub(crate) fn local_to_utc(naive: NaiveDateTime, offset: FixedOffset) -> DateTime<Utc> {
    offset
        .from_local_datetime(&naive)
        .single()
        .map(|dt| dt.with_timezone(&Utc))
        .unwrap_or_else(|| Utc.from_utc_datetime(&naive))
}

/// `Z`, `+hh:mm`, `+hhmm` or `+hh` at the start of `b`: (offset, bytes consumed).
fn zone(b: &[u8]) -> Option<(FixedOffset, usize)> {
    match b.first()? {
        b'Z' | b'z' => Some((FixedOffset::east_opt(0)?, 1)),
        sign @ (b'+' | b'-') => {
            let h = digits(b.get(1..3)?)?;
            let (m, used) = match b.get(3) {
                Some(b':') => (digits(b.get(4..6)?)?, 6),
                Some(c) if c.is_ascii_digit() => (digits(b.get(3..5)?)?, 5),
                _ => (0, 3),
            };
            let secs = (h * 3600 + m * 60) as i32;
            let secs = if *sign == b'-' { -secs } else { secs };
            Some((FixedOffset::east_opt(secs)?, used))
        }
        _ => None,
    }
}

/// `yyyy-mm-dd` at the start of `b`.
fn ymd(b: &[u8], sep: u8) -> Option<NaiveDate> {
    if b.len() < 10 || b[4] != sep || b[7] != sep {
        return None;
    }
    let year = digits(&b[0..4])? as i32;
    NaiveDate::from_ymd_opt(year, digits(&b[5..7])?, digits(&b[8..10])?)
}

/// ISO 8601 / RFC 3339 `yyyy-mm-ddThh:mm:ss[.frac][zone]` (also with a space for `T`); a missing
/// zone means `default_offset`. Returns the instant and the bytes consumed.
pub(crate) fn parse_iso(s: &str, default_offset: FixedOffset) -> Option<(DateTime<Utc>, usize)> {
    let b = s.as_bytes();
    let date = ymd(b, b'-')?;
    if !matches!(b.get(10), Some(b'T' | b't' | b' ')) {
        return None;
    }
    let (h, m, sec) = hms(b.get(11..)?)?;
    let mut i = 19;
    let (nanos, used) = fraction(&b[i..]);
    i += used;
    let naive = date.and_hms_nano_opt(h, m, sec, nanos)?;
    match zone(&b[i..]) {
        Some((offset, used)) => {
            let dt = offset.from_local_datetime(&naive).single()?;
            Some((dt.with_timezone(&Utc), i + used))
        }
        None => Some((local_to_utc(naive, default_offset), i)),
    }
}

/// Apache/nginx `%t` without brackets: `17/May/2015:10:05:03 +0000`.
pub(crate) fn parse_clf(s: &str, default_offset: FixedOffset) -> Option<DateTime<Utc>> {
    let b = s.as_bytes();
    if b.len() < 20 || b[2] != b'/' || b[6] != b'/' || b[11] != b':' {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(
        digits(&b[7..11])? as i32,
        month(&b[3..6])?,
        digits(&b[0..2])?,
    )?;
    let (h, m, sec) = hms(&b[12..])?;
    let (nanos, used) = fraction(&b[20..]);
    let naive = date.and_hms_nano_opt(h, m, sec, nanos)?;
    let rest = s[20 + used..].trim_start().as_bytes();
    match zone(rest) {
        Some((offset, _)) => Some(
            offset
                .from_local_datetime(&naive)
                .single()?
                .with_timezone(&Utc),
        ),
        None => Some(local_to_utc(naive, default_offset)),
    }
}

/// Apache error log `Sun Dec 04 04:47:44[.123456] 2005`, local time.
pub(crate) fn parse_ctime(s: &str, offset: FixedOffset) -> Option<DateTime<Utc>> {
    let b = s.as_bytes();
    if b.len() < 24 || b[3] != b' ' || b[7] != b' ' {
        return None;
    }
    let month = month(&b[4..7])?;
    let (day_start, day_len) = if b[8] == b' ' { (9, 1) } else { (8, 2) };
    let day = digits(&b[day_start..day_start + day_len])?;
    let t = day_start + day_len + 1;
    let (h, m, sec) = hms(b.get(t..)?)?;
    let (nanos, used) = fraction(&b[t + 8..]);
    let y = t + 8 + used + 1;
    let year = digits(b.get(y..y + 4)?)? as i32;
    let naive = NaiveDate::from_ymd_opt(year, month, day)?.and_hms_nano_opt(h, m, sec, nanos)?;
    Some(local_to_utc(naive, offset))
}

/// nginx error log `2011/11/11 11:11:11`, local time.
pub(crate) fn parse_slashed(s: &str, offset: FixedOffset) -> Option<DateTime<Utc>> {
    let b = s.as_bytes();
    let date = ymd(b, b'/')?;
    if b.get(10) != Some(&b' ') {
        return None;
    }
    let (h, m, sec) = hms(b.get(11..)?)?;
    Some(local_to_utc(date.and_hms_opt(h, m, sec)?, offset))
}

/// Seconds since the epoch with an optional fraction, as Zeek writes `ts`.
pub(crate) fn parse_epoch(s: &str) -> Option<DateTime<Utc>> {
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    if whole.is_empty() || whole.len() > 12 || !whole.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    if !frac.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let nanos = frac
        .bytes()
        .take(9)
        .enumerate()
        .map(|(i, c)| u32::from(c - b'0') * 10u32.pow(8 - i as u32))
        .sum();
    DateTime::from_timestamp(whole.parse().ok()?, nanos)
}

/// Epoch milliseconds (CEF `rt`, many JSON shippers).
pub(crate) fn from_epoch_millis(ms: i64) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp_millis(ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(reference: &str) -> ParseContext {
        let t = DateTime::parse_from_rfc3339(reference)
            .unwrap()
            .with_timezone(&Utc);
        ParseContext::new(t)
    }

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn bsd_day_padding_variants() {
        for (s, day, used) in [
            ("Jun  8 10:44:36 x", 8, 15),
            ("Nov 2 15:40:14 x", 2, 14),
            ("Aug 03 21:39:20", 3, 15),
            ("Dec 10 06:55:46.123 x", 10, 19),
        ] {
            let (st, n) = parse_bsd(s).unwrap_or_else(|| panic!("{s}"));
            assert_eq!((st.day, n), (day, used), "{s}");
        }
        assert_eq!(parse_bsd("Dec 10 06:55:46.5").unwrap().0.nanos, 500_000_000);
        assert!(parse_bsd("Dec 10 25:00:00").is_none());
        assert!(parse_bsd("Foo 10 06:55:46").is_none());
        assert!(parse_bsd("Dec 10 06:55:46x").is_none());
        assert!(parse_bsd("Dec 100 06:55:46").is_none());
    }

    #[test]
    fn year_is_the_reference_year() {
        let (st, _) = parse_bsd("Mar 27 13:06:56").unwrap();
        let got = infer_year(&st, &ctx("2017-04-20T00:00:00Z")).unwrap();
        assert_eq!(got, utc("2017-03-27T13:06:56Z"));
    }

    #[test]
    fn year_rolls_back_across_new_year() {
        let (st, _) = parse_bsd("Dec 31 23:59:59").unwrap();
        let got = infer_year(&st, &ctx("2024-01-01T00:10:00Z")).unwrap();
        assert_eq!(got, utc("2023-12-31T23:59:59Z"));
    }

    #[test]
    fn a_day_of_clock_skew_keeps_the_year() {
        let (st, _) = parse_bsd("Jan  2 00:00:00").unwrap();
        let got = infer_year(&st, &ctx("2024-01-01T12:00:00Z")).unwrap();
        assert_eq!(got, utc("2024-01-02T00:00:00Z"));
        let (st, _) = parse_bsd("Jan  3 00:00:00").unwrap();
        let got = infer_year(&st, &ctx("2024-01-01T12:00:00Z")).unwrap();
        assert_eq!(got, utc("2023-01-03T00:00:00Z"));
    }

    #[test]
    fn leap_day_in_a_common_year_goes_back_to_a_leap_year() {
        let (st, _) = parse_bsd("Feb 29 10:00:00").unwrap();
        let got = infer_year(&st, &ctx("2023-06-01T00:00:00Z")).unwrap();
        assert_eq!(got, utc("2020-02-29T10:00:00Z"));
    }

    #[test]
    fn default_offset_applies_to_zoneless_stamps() {
        let mut c = ctx("2017-04-20T00:00:00Z");
        c.default_offset = FixedOffset::east_opt(2 * 3600).unwrap();
        let (st, _) = parse_bsd("Mar 27 13:06:56").unwrap();
        assert_eq!(infer_year(&st, &c).unwrap(), utc("2017-03-27T11:06:56Z"));
    }

    #[test]
    fn iso_variants() {
        let z = FixedOffset::east_opt(0).unwrap();
        let cases = [
            (
                "2023-11-14T00:20:42.738197+01:00 x",
                "2023-11-13T23:20:42.738197Z",
                32,
            ),
            (
                "2022-02-08T09:40:29.080710-0500",
                "2022-02-08T14:40:29.080710Z",
                31,
            ),
            ("2003-10-11T22:14:15.003Z", "2003-10-11T22:14:15.003Z", 24),
            ("2003-10-11 22:14:15", "2003-10-11T22:14:15Z", 19),
        ];
        for (s, want, used) in cases {
            let (got, n) = parse_iso(s, z).unwrap_or_else(|| panic!("{s}"));
            assert_eq!((got, n), (utc(want), used), "{s}");
        }
        assert!(parse_iso("203-10-11T22:14:15.003Z", z).is_none());
        assert!(parse_iso("2003-13-11T22:14:15Z", z).is_none());
    }

    #[test]
    fn clf_ctime_slashed_epoch() {
        let z = FixedOffset::east_opt(0).unwrap();
        assert_eq!(
            parse_clf("30/Sep/2021:11:11:54 +0200", z),
            Some(utc("2021-09-30T09:11:54Z"))
        );
        assert_eq!(
            parse_ctime("Sun Dec 04 04:47:44 2005", z),
            Some(utc("2005-12-04T04:47:44Z"))
        );
        assert_eq!(
            parse_ctime("Wed Oct 11 14:32:52.123456 2000", z),
            Some(utc("2000-10-11T14:32:52.123456Z"))
        );
        assert_eq!(
            parse_slashed("2011/11/11 11:11:11", z),
            Some(utc("2011-11-11T11:11:11Z"))
        );
        assert_eq!(
            parse_epoch("1329843175.736107"),
            Some(utc("2012-02-21T16:52:55.736107Z"))
        );
        assert_eq!(parse_epoch("1329843175"), Some(utc("2012-02-21T16:52:55Z")));
        assert!(parse_epoch("-").is_none());
        assert!(parse_epoch("12.3x").is_none());
    }
}
