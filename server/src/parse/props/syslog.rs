//! Well-formed RFC 5424 and RFC 3164 messages, built from generated fields, parse back into
//! exactly those fields. Expected instants come from chrono, not from the parsers' readers.

use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate, TimeZone, Utc};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

use super::{check_event, config, ctx};
use crate::parse::{ParserKind, flags, level_from_severity, parse_line};

/// Tags a program parser or an embedded format would claim; the round trips are about the
/// syslog header, so they use other names.
const CLAIMED: &[&str] = &[
    "sshd",
    "sshd-session",
    "sudo",
    "su",
    "CRON",
    "cron",
    "crond",
    "systemd-logind",
    "nginx",
    "httpd",
    "apache",
    "apache2",
    "useradd",
    "usermod",
    "userdel",
    "groupadd",
    "groupmod",
    "groupdel",
    "passwd",
    "chpasswd",
    "chage",
    "gpasswd",
    "newusers",
];

fn unclaimed(name: &str) -> bool {
    let family = name.split('/').next().unwrap_or(name);
    !CLAIMED.contains(&family) && !name.ends_with("(pam_unix)")
}

/// A message that stays a plain message: not CEF, not a PAM module line.
fn plain_msg(msg: &str) -> bool {
    !msg.starts_with("CEF:") && !msg.starts_with("pam_") && !msg.starts_with("(pam_")
}

/// RFC 5424 PRINTUSASCII runs, never the NILVALUE alone.
fn printusascii(max: usize) -> impl Strategy<Value = String> {
    proptest::string::string_regex(&format!("[!-~]{{1,{max}}}"))
        .expect("valid regex")
        .prop_filter("the NILVALUE", |s| s != "-")
}

/// An SD-NAME: PRINTUSASCII except `=`, space, `]` and `"`.
fn sd_name() -> impl Strategy<Value = String> {
    "[!#-<>-\\\\^-~]{1,32}"
}

#[derive(Debug, Clone)]
struct Stamp {
    date: NaiveDate,
    hms: (u32, u32, u32),
    micros: Option<u32>,
    /// Minutes east of UTC; `None` writes `Z`.
    offset: Option<i32>,
}

fn stamp() -> impl Strategy<Value = Stamp> {
    (
        (0i32..=9999, 1u32..=12, 1u32..=31),
        (0u32..24, 0u32..60, 0u32..60),
        prop::option::of(0u32..1_000_000),
        prop::option::of(-(23 * 60 + 59)..=(23 * 60 + 59)),
    )
        .prop_filter_map("no such day", |((y, m, d), hms, micros, offset)| {
            Some(Stamp {
                date: NaiveDate::from_ymd_opt(y, m, d)?,
                hms,
                micros,
                offset,
            })
        })
}

impl Stamp {
    fn text(&self) -> String {
        let (h, mi, s) = self.hms;
        let d = self.date;
        let mut out = format!(
            "{:04}-{:02}-{:02}T{h:02}:{mi:02}:{s:02}",
            d.year(),
            d.month(),
            d.day()
        );
        if let Some(us) = self.micros {
            out.push_str(&format!(".{us:06}"));
        }
        match self.offset {
            None => out.push('Z'),
            Some(m) => {
                let sign = if m < 0 { '-' } else { '+' };
                out.push_str(&format!("{sign}{:02}:{:02}", m.abs() / 60, m.abs() % 60));
            }
        }
        out
    }

    fn instant(&self) -> DateTime<Utc> {
        let (h, mi, s) = self.hms;
        let naive = self
            .date
            .and_hms_micro_opt(h, mi, s, self.micros.unwrap_or(0))
            .expect("valid time");
        let offset = FixedOffset::east_opt(self.offset.unwrap_or(0) * 60).expect("valid offset");
        offset
            .from_local_datetime(&naive)
            .single()
            .expect("fixed offsets are unambiguous")
            .with_timezone(&Utc)
    }
}

/// `[id name="value"…]…` with the three escapes RFC 5424 requires, and the map it stands for.
fn structured_data() -> impl Strategy<Value = (String, Map<String, Value>)> {
    let params = prop::collection::btree_map(sd_name(), ".{0,12}", 0..4);
    prop::collection::btree_map(sd_name(), params, 1..4).prop_map(|elements| {
        let mut text = String::new();
        let mut map = Map::new();
        for (id, params) in elements {
            text.push('[');
            text.push_str(&id);
            let mut obj = Map::new();
            for (name, value) in params {
                let escaped = value
                    .replace('\\', "\\\\")
                    .replace('"', "\\\"")
                    .replace(']', "\\]");
                text.push_str(&format!(" {name}=\"{escaped}\""));
                obj.insert(name, Value::String(value));
            }
            text.push(']');
            map.insert(id, Value::Object(obj));
        }
        (text, map)
    })
}

#[derive(Debug, Clone)]
struct Rfc5424 {
    pri: u8,
    stamp: Option<Stamp>,
    host: Option<String>,
    app: Option<String>,
    procid: Option<String>,
    msgid: Option<String>,
    sd: Option<(String, Map<String, Value>)>,
    bom: bool,
    msg: Option<String>,
}

fn rfc5424() -> impl Strategy<Value = Rfc5424> {
    (
        0u8..=191,
        prop::option::of(stamp()),
        prop::option::of(printusascii(255)),
        prop::option::of(printusascii(48).prop_filter("claimed", |a| unclaimed(a))),
        prop::option::of(prop_oneof![
            (0i64..=i64::MAX).prop_map(|n| n.to_string()),
            printusascii(128)
        ]),
        prop::option::of(printusascii(32)),
        prop::option::of(structured_data()),
        any::<bool>(),
        prop::option::of(
            ".{0,80}".prop_filter("plain, without a BOM of its own", |m| {
                plain_msg(m) && !m.starts_with('\u{feff}')
            }),
        ),
    )
        .prop_map(
            |(pri, stamp, host, app, procid, msgid, sd, bom, msg)| Rfc5424 {
                pri,
                stamp,
                host,
                app,
                procid,
                msgid,
                sd,
                bom,
                msg,
            },
        )
}

impl Rfc5424 {
    fn line(&self) -> String {
        let nil = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
        let mut line = format!(
            "<{}>1 {} {} {} {} {} {}",
            self.pri,
            self.stamp.as_ref().map_or("-".into(), Stamp::text),
            nil(&self.host),
            nil(&self.app),
            nil(&self.procid),
            nil(&self.msgid),
            self.sd.as_ref().map_or("-", |(text, _)| text.as_str()),
        );
        if let Some(msg) = &self.msg {
            line.push(' ');
            if self.bom {
                line.push('\u{feff}');
            }
            line.push_str(msg);
        }
        line
    }
}

/// The PRI's facility, severity and level, as RFC 5424 section 6.2.1 defines them.
fn expect_pri(ev: &crate::parse::ParsedEvent, pri: u8) -> Result<(), TestCaseError> {
    prop_assert_eq!(&ev.fields["syslog.priority"], &json!(pri));
    prop_assert_eq!(&ev.fields["syslog.facility"], &json!(pri / 8));
    prop_assert_eq!(&ev.fields["syslog.severity"], &json!(pri % 8));
    prop_assert_eq!(ev.level.as_deref(), Some(level_from_severity(pri % 8)));
    Ok(())
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

#[derive(Debug, Clone)]
struct Rfc3164 {
    pri: Option<u8>,
    month: u32,
    day: u32,
    hms: (u32, u32, u32),
    host: Option<String>,
    tag: String,
    pid: Option<u32>,
    msg: String,
}

fn rfc3164() -> impl Strategy<Value = Rfc3164> {
    (
        prop::option::of(0u8..=191),
        (1u32..=12, 1u32..=31),
        (0u32..24, 0u32..60, 0u32..60),
        prop::option::of("[A-Za-z0-9][A-Za-z0-9._-]{0,40}"),
        "[A-Za-z0-9_.-][A-Za-z0-9_./-]{0,31}".prop_filter("claimed", |t| unclaimed(t)),
        prop::option::of(any::<u32>()),
        ".{0,80}".prop_filter("plain", |m| plain_msg(m)),
    )
        // Only days some year has: infer_year goes back to a leap year for Feb 29.
        .prop_filter("no such day", |(_, (m, d), ..)| {
            NaiveDate::from_ymd_opt(2024, *m, *d).is_some()
        })
        .prop_map(|(pri, (month, day), hms, host, tag, pid, msg)| Rfc3164 {
            pri,
            month,
            day,
            hms,
            host,
            tag,
            pid,
            msg,
        })
}

impl Rfc3164 {
    fn line(&self) -> String {
        let (h, m, s) = self.hms;
        let mut line = String::new();
        if let Some(pri) = self.pri {
            line.push_str(&format!("<{pri}>"));
        }
        // RFC 3164 pads a one-digit day with a space.
        let month = MONTHS[self.month as usize - 1];
        line.push_str(&format!("{month} {:>2} {h:02}:{m:02}:{s:02} ", self.day));
        if let Some(host) = &self.host {
            line.push_str(host);
            line.push(' ');
        }
        line.push_str(&self.tag);
        if let Some(pid) = self.pid {
            line.push_str(&format!("[{pid}]"));
        }
        line.push_str(": ");
        line.push_str(&self.msg);
        line
    }

    /// The latest instant with this month, day and time that is at most a day after the
    /// reference, 2024-06-01T00:00:00Z.
    fn instant(&self) -> DateTime<Utc> {
        let latest = Utc.with_ymd_and_hms(2024, 6, 2, 0, 0, 0).unwrap();
        let (h, mi, s) = self.hms;
        (1990..=2024)
            .rev()
            .filter_map(|y| NaiveDate::from_ymd_opt(y, self.month, self.day))
            .map(|d| Utc.from_utc_datetime(&d.and_hms_opt(h, mi, s).unwrap()))
            .find(|t| *t <= latest)
            .expect("some year has the day")
    }
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn rfc5424_round_trips(m in rfc5424()) {
        let line = m.line();
        for kind in [ParserKind::Auto, ParserKind::Syslog] {
            let ev = parse_line(kind, &line, &ctx());
            check_event(&line, &ev)?;
            prop_assert_eq!(ev.parser, "syslog5424");
            prop_assert_eq!(ev.flags, 0, "flags of {}", line);
            expect_pri(&ev, m.pri)?;
            prop_assert_eq!(&ev.fields["syslog.version"], &json!("1"));
            prop_assert_eq!(ev.timestamp, m.stamp.as_ref().map(Stamp::instant));
            prop_assert_eq!(&ev.host, &m.host);
            prop_assert_eq!(&ev.process, &m.app);
            match m.procid.as_deref().map(|p| (p, p.parse::<i64>())) {
                Some((_, Ok(pid))) => prop_assert_eq!(ev.pid, Some(pid)),
                Some((text, Err(_))) => {
                    prop_assert_eq!(ev.pid, None);
                    prop_assert_eq!(&ev.fields["syslog.procid"], &json!(text));
                }
                None => {
                    prop_assert_eq!(ev.pid, None);
                    prop_assert!(!ev.fields.contains_key("syslog.procid"));
                }
            }
            prop_assert_eq!(
                ev.fields.get("syslog.msgid").cloned(),
                m.msgid.as_ref().map(|s| json!(s))
            );
            prop_assert_eq!(
                ev.fields.get("syslog.structured_data").cloned(),
                m.sd.as_ref().map(|(_, map)| Value::Object(map.clone()))
            );
            prop_assert_eq!(&ev.message, m.msg.as_deref().unwrap_or(""));
        }
    }

    #[test]
    fn rfc3164_round_trips(m in rfc3164()) {
        let line = m.line();
        for kind in [ParserKind::Auto, ParserKind::Syslog] {
            let ev = parse_line(kind, &line, &ctx());
            check_event(&line, &ev)?;
            prop_assert_eq!(ev.parser, "syslog3164");
            prop_assert_eq!(ev.flags, flags::TIMESTAMP_INFERRED, "flags of {}", line);
            match m.pri {
                Some(pri) => expect_pri(&ev, pri)?,
                None => prop_assert_eq!(&ev.level, &None),
            }
            prop_assert_eq!(ev.timestamp, Some(m.instant()));
            prop_assert_eq!(&ev.host, &m.host);
            prop_assert_eq!(ev.process.as_deref(), Some(m.tag.as_str()));
            prop_assert_eq!(ev.pid, m.pid.map(i64::from));
            prop_assert_eq!(&ev.message, &m.msg);
        }
    }

    /// The year rule itself: a stamp at most a day past the reference stays in its year.
    #[test]
    fn rfc3164_year_is_never_in_the_future(m in rfc3164()) {
        let ev = parse_line(ParserKind::Syslog, &m.line(), &ctx());
        let ts = ev.timestamp.expect("a valid stamp");
        prop_assert!(ts <= ctx().reference_time + Duration::days(1));
        prop_assert!(ts > ctx().reference_time - Duration::days(366 * 4 + 1));
    }
}
