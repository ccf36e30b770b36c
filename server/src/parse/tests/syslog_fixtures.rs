//! jc's RFC 3164/5424 fixtures (with deliberately malformed lines), FreeBSD `syslogd -v`, the
//! CrowdSec sshd samples and a pfSense RFC 5424 message carrying an nginx error line.

use super::{ctx_at, lines, parse_all};
use crate::parse::{ParsedEvent, ParserKind, flags};

const JC_3164: &str = include_str!("../../../tests/fixtures/corpus/syslog/jc_syslog-3164.log");
const JC_5424: &str = include_str!("../../../tests/fixtures/corpus/syslog/jc_syslog-5424.log");
const BSD: &str = include_str!("../../../tests/fixtures/corpus/syslog/fail2ban_bsd_syslog-v.log");
const PFSENSE: &str =
    include_str!("../../../tests/fixtures/corpus/syslog/crowdsec_pfsense-rfc5424-nginx.log");
const SSHD_LOGS: &str = include_str!("../../../tests/fixtures/corpus/auth/crowdsec_sshd-logs.log");
const SSH_BF: &str = include_str!("../../../tests/fixtures/corpus/auth/crowdsec_ssh-bf.log");

fn parse(text: &str) -> Vec<ParsedEvent> {
    parse_all(ParserKind::Auto, text, &ctx_at("2024-06-01T00:00:00Z"))
}

fn broken(ev: &ParsedEvent) -> bool {
    ev.flags & flags::PARSE_ERROR != 0
}

#[test]
fn jc_3164_malformed_lines_are_raw_or_flagged() {
    let text = lines(JC_3164);
    let evs = parse(JC_3164);
    assert_eq!(evs.len(), 35);
    for (line, ev) in text.iter().zip(&evs) {
        if line.is_empty() {
            assert_eq!((ev.parser, ev.message.as_str()), ("raw", ""));
        } else if line.starts_with("<3444>") || line.starts_with("<7>unparsable") {
            assert!(broken(ev), "{line}");
            assert_eq!(ev.message, *line);
        } else {
            assert!(!broken(ev), "{line}");
            assert!(ev.timestamp.is_some(), "{line}");
            assert!(ev.process.is_some(), "{line}");
        }
    }
    assert_eq!(evs.iter().filter(|e| broken(e)).count(), 2);
    assert_eq!(evs.iter().filter(|e| e.parser == "raw").count(), 3);
}

#[test]
fn jc_3164_fields() {
    let evs = parse(JC_3164);
    let rfc = &evs[0];
    assert_eq!(rfc.host.as_deref(), Some("mymachine"));
    assert_eq!(rfc.parser, "su");
    assert_eq!(rfc.event_action.as_deref(), Some("su"));
    assert_eq!(rfc.event_outcome.as_deref(), Some("failure"));
    assert_eq!(rfc.user_name.as_deref(), Some("lonvick"));
    assert_eq!(rfc.fields["syslog.priority"], 34);
    let clamd = &evs[4];
    assert_eq!(
        (clamd.process.as_deref(), clamd.pid),
        (Some("clamd"), Some(11165))
    );
    assert_eq!(clamd.level.as_deref(), Some("error"));
    let no_pri = &evs[5];
    assert_eq!(no_pri.level, None);
    assert!(!no_pri.fields.contains_key("syslog.priority"));
    let find = |needle: &str| evs.iter().find(|e| e.message.contains(needle)).unwrap();
    let pam = find("session opened for user tom");
    assert_eq!(pam.parser, "pam");
    assert_eq!(pam.process.as_deref(), Some("sshd"));
    assert_eq!(pam.user_name.as_deref(), Some("tom"));
    let ipv6_host = evs
        .iter()
        .find(|e| e.host.as_deref() == Some("127:0:ab::1"));
    assert!(ipv6_host.is_some());
    let hostless = find("last message repeated 11 times");
    assert_eq!(
        (hostless.host.as_deref(), hostless.process.as_deref()),
        (None, Some("avas"))
    );
    let named = find("query: 23.68.27.142");
    assert_eq!((named.process.as_deref(), named.pid), (Some("named"), None));
}

#[test]
fn jc_5424() {
    let text = lines(JC_5424);
    let evs = parse(JC_5424);
    assert_eq!(evs.len(), 12);
    let expect_broken = [
        false, true, false, false, false, false, false, false, true, true, true, false,
    ];
    for (i, (line, ev)) in text.iter().zip(&evs).enumerate() {
        let flagged_or_raw = broken(ev) || (ev.parser == "raw" && !line.is_empty());
        assert_eq!(
            flagged_or_raw,
            expect_broken[i] || i == 5,
            "line {}: {line}",
            i + 1
        );
        if line.is_empty() {
            assert_eq!(ev.parser, "raw");
        }
    }
    assert_eq!(evs[5].parser, "raw", "no PRI, no version");
    let first = &evs[0];
    assert_eq!(first.parser, "syslog5424");
    assert_eq!(
        first.timestamp.unwrap().to_rfc3339(),
        "2003-08-24T12:14:15.000003+00:00"
    );
    assert_eq!(
        (first.host.as_deref(), first.pid),
        (Some("192.0.2.1"), Some(8710))
    );
    assert_eq!(first.message, "%% It's time to make the do-nuts.");
    let su = &evs[2];
    assert_eq!(su.fields["syslog.msgid"], "ID47");
    assert_eq!(su.process.as_deref(), Some("su"));
    assert_eq!(su.message, "BOM'su root' failed for lonvick on /dev/pts/8");
    let sd = &evs[6];
    assert_eq!(
        sd.fields["syslog.structured_data"]["exampleSDID@32473"]["eventID"],
        "10] 11"
    );
    assert_eq!(
        sd.fields["syslog.structured_data"]["exampleSDID@32473"]["iut"],
        "3"
    );
    assert_eq!(sd.message, "BOMAn application event log entry..[ ] sadasd");
    assert_eq!(sd.level.as_deref(), Some("info"));
}

#[test]
fn freebsd_verbose() {
    let evs = parse(BSD);
    assert_eq!(evs.len(), 10);
    for ev in &evs {
        assert_eq!(ev.parser, "sshd");
        assert_eq!(ev.host.as_deref(), Some("pancake"));
        assert_eq!(ev.fields["syslog.facility"], 4);
        assert_eq!(
            ev.event_outcome.as_deref(),
            Some("failure"),
            "{}",
            ev.message
        );
    }
    assert_eq!(evs[0].level.as_deref(), Some("error"));
    assert_eq!(evs[0].fields["source.domain"], "example.com");
    assert_eq!(evs[0].user_name.as_deref(), Some("nick"));
    assert_eq!(evs[3].event_action.as_deref(), Some("ssh_login"));
    assert_eq!(evs[3].source_ip.as_deref(), Some("192.0.2.100"));
    assert_eq!(evs[3].source_port, Some(46050));
}

#[test]
fn pfsense_nginx_over_rfc5424() {
    let evs = parse(PFSENSE);
    assert_eq!(evs.len(), 2);
    let ev = &evs[0];
    assert_eq!(ev.parser, "nginx_error");
    assert_eq!(ev.host.as_deref(), Some("firewall.lan"));
    assert_eq!(ev.process.as_deref(), Some("nginx"));
    assert_eq!(ev.source_ip.as_deref(), Some("fdfd:ace:ace:7::17a"));
    assert_eq!(ev.fields["http.request.method"], "GET");
    assert_eq!(ev.fields["syslog.facility"], 21);
    assert_eq!(ev.pid, Some(24537));
    assert_eq!(
        ev.timestamp.unwrap().to_rfc3339(),
        "2025-11-05T20:47:03+00:00"
    );
    assert_eq!(evs[1].parser, "raw");
}

#[test]
fn crowdsec_sshd_variants() {
    let evs = parse(SSHD_LOGS);
    assert_eq!(evs.len(), 24);
    for ev in &evs {
        assert_eq!(ev.parser, "sshd", "{}", ev.message);
        assert_eq!(ev.flags & flags::PARSE_ERROR, 0, "{}", ev.message);
    }
    let iso = evs
        .iter()
        .find(|e| e.host.as_deref() == Some("myserver"))
        .unwrap();
    assert_eq!(
        iso.timestamp.unwrap().to_rfc3339(),
        "2023-11-13T23:20:42.738197+00:00"
    );
    assert_eq!(iso.event_action.as_deref(), Some("ssh_user_not_allowed"));
    let session = evs
        .iter()
        .find(|e| e.process.as_deref() == Some("sshd-session"))
        .unwrap();
    assert_eq!(session.event_action.as_deref(), Some("ssh_invalid_user"));
    assert_eq!(session.user_name.as_deref(), Some("pascal5"));
    let with_ip = evs.iter().filter(|e| e.source_ip.is_some()).count();
    assert_eq!(with_ip, 24);
}

#[test]
fn crowdsec_brute_force_burst() {
    let evs = parse(SSH_BF);
    assert_eq!(evs.len(), 7);
    let attempts: Vec<_> = evs
        .iter()
        .filter(|e| e.event_action.as_deref() == Some("ssh_invalid_user"))
        .collect();
    assert_eq!(attempts.len(), 6);
    assert!(
        attempts
            .iter()
            .all(|e| e.source_ip.as_deref() == Some("35.188.49.176"))
    );
    let span = attempts[5].timestamp.unwrap() - attempts[0].timestamp.unwrap();
    assert_eq!(span.num_seconds(), 3);
    assert_eq!(evs.iter().filter(|e| e.parser == "raw").count(), 1);
}
