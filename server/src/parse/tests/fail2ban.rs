//! fail2ban's annotated corpora: each `# failJSON` with `"match": true` names the host (and
//! time, user) fail2ban extracts from the next line; the parsers must agree.

use chrono::{Datelike, Timelike};
use serde_json::Value;

use super::{ctx_at, fail_json};
use crate::parse::{ParserKind, parse_bytes, scan::normalize_ip, time};

const SSHD: &str = include_str!("../../../tests/fixtures/corpus/auth/fail2ban_sshd.log");
const PAM: &str = include_str!("../../../tests/fixtures/corpus/auth/fail2ban_pam-generic.log");
const COWRIE: &str = include_str!("../../../tests/fixtures/corpus/auth/fail2ban_cowrie.log");
const APACHE_AUTH: &str =
    include_str!("../../../tests/fixtures/corpus/web/fail2ban_apache-auth.log");
const APACHE_OVERFLOWS: &str =
    include_str!("../../../tests/fixtures/corpus/web/fail2ban_apache-overflows.log");
const NGINX_AUTH: &str =
    include_str!("../../../tests/fixtures/corpus/web/fail2ban_nginx-http-auth.log");
const NGINX_BAD_REQUEST: &str =
    include_str!("../../../tests/fixtures/corpus/web/fail2ban_nginx-bad-request.log");

/// What happened to the annotated lines of one file.
#[derive(Debug, Default, PartialEq, Eq)]
struct Tally {
    /// Host (and time/user where given) checked.
    checked: usize,
    /// fail2ban matched across lines: the host is not in this line at all.
    multiline: usize,
    /// IPv4 written with leading zeros: kept verbatim in `source.address`, not in `source_ip`.
    leading_zero: usize,
    /// Lines no parser claims (not a log format, e.g. a syslog tag with no timestamp).
    raw: usize,
    /// Times compared (BSD-stamped lines; ISO/JSON stamps carry zones fail2ban converts).
    times: usize,
    /// User names compared.
    users: usize,
}

fn check(text: &str) -> Tally {
    // fail2ban's annotations assume 2005; a reference at the end of 2005 keeps every line there.
    let ctx = ctx_at("2005-12-31T23:59:59Z");
    let mut t = Tally::default();
    for (note, line) in fail_json(text) {
        if note["match"] != Value::Bool(true) {
            continue;
        }
        let Some(host) = note["host"].as_str() else {
            continue;
        };
        if !line.contains(host) {
            t.multiline += 1;
            continue;
        }
        let ev = parse_bytes(ParserKind::Auto, line.as_bytes(), &ctx);
        if ev.parser == "raw" {
            t.raw += 1;
            continue;
        }
        let leading_zero = host.split('.').count() == 4
            && host.split('.').any(|o| o.len() > 1 && o.starts_with('0'));
        if leading_zero {
            assert_eq!(ev.fields["source.address"], host, "{line}");
            assert_eq!(ev.source_ip, None, "{line}");
            t.leading_zero += 1;
            continue;
        }
        match normalize_ip(host) {
            Some(ip) => assert_eq!(ev.source_ip.as_deref(), Some(ip.as_str()), "{line}"),
            None => assert_eq!(
                ev.fields.get("source.domain"),
                Some(&Value::from(host)),
                "{line}"
            ),
        }
        t.checked += 1;
        if let Some(want) = note["time"].as_str() {
            let want = chrono::NaiveDateTime::parse_from_str(want, "%Y-%m-%dT%H:%M:%S").unwrap();
            let got = ev.timestamp.map(|t| t.naive_utc());
            if time::starts_with_month(line.as_bytes()) {
                // No year in the line: compare the rest, and check the inferred year.
                let got = got.unwrap_or_else(|| panic!("no time: {line}"));
                let parts = |d: &chrono::NaiveDateTime| {
                    (d.month(), d.day(), d.hour(), d.minute(), d.second())
                };
                assert_eq!(parts(&got), parts(&want), "{line}");
                assert_eq!(got.year(), 2005, "{line}");
                t.times += 1;
            } else if matches!(ev.parser, "apache_error" | "nginx_error") {
                // Zone-less local time with a year; the default offset is UTC.
                assert_eq!(
                    got.map(|g| g.with_nanosecond(0).unwrap()),
                    Some(want),
                    "{line}"
                );
                t.times += 1;
            }
        }
        if let Some(user) = note["user"].as_str() {
            assert_eq!(ev.user_name.as_deref().unwrap_or(""), user, "{line}");
            t.users += 1;
        }
    }
    t
}

#[test]
fn sshd() {
    assert_eq!(
        check(SSHD),
        Tally {
            checked: 96,
            multiline: 11,
            leading_zero: 1,
            raw: 0,
            times: 93,
            users: 8
        }
    );
}

#[test]
fn pam_generic() {
    assert_eq!(
        check(PAM),
        Tally {
            checked: 8,
            multiline: 0,
            leading_zero: 0,
            raw: 0,
            times: 8,
            users: 6
        }
    );
}

#[test]
fn cowrie() {
    assert_eq!(
        check(COWRIE),
        Tally {
            checked: 2,
            ..Tally::default()
        }
    );
}

#[test]
fn apache_auth() {
    assert_eq!(
        check(APACHE_AUTH),
        Tally {
            checked: 41,
            times: 41,
            ..Tally::default()
        }
    );
}

#[test]
fn apache_overflows() {
    assert_eq!(
        check(APACHE_OVERFLOWS),
        Tally {
            checked: 11,
            times: 11,
            ..Tally::default()
        }
    );
}

#[test]
fn nginx_http_auth() {
    // Two lines are journald short output (`host nginx[pid]: …`) without any timestamp.
    assert_eq!(
        check(NGINX_AUTH),
        Tally {
            checked: 15,
            raw: 2,
            times: 15,
            ..Tally::default()
        }
    );
}

#[test]
fn nginx_bad_request() {
    assert_eq!(
        check(NGINX_BAD_REQUEST),
        Tally {
            checked: 8,
            ..Tally::default()
        }
    );
}
