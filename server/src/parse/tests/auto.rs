//! Auto-detection picks the right parser per line, explicit kinds override it, and no input
//! panics.

use super::ctx_at;
use crate::parse::{ParserKind, flags, parse_bytes, parse_line, sanitize::MAX_LINE_BYTES};

const SAMPLES: &[(&str, &str)] = &[
    (
        "Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster from 173.234.31.186",
        "sshd",
    ),
    (
        "<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8",
        "su",
    ),
    (
        "<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% do-nuts",
        "syslog5424",
    ),
    (
        "2023-11-14T00:20:42.738197+01:00 myserver kernel: hello",
        "syslog3164",
    ),
    (
        r#"83.149.9.216 - - [17/May/2015:10:05:03 +0000] "GET / HTTP/1.1" 200 1 "-" "x""#,
        "apache_access",
    ),
    (
        "[Sun Dec 04 04:47:44 2005] [error] mod_jk child workerEnv in error state 6",
        "apache_error",
    ),
    (
        "2011/11/11 11:11:11 [error] 1234#0: *1 oops, client: 1.2.3.4, server: x",
        "nginx_error",
    ),
    (
        r#"{"event_type":"alert","src_ip":"1.2.3.4","alert":{"signature":"x"}}"#,
        "suricata",
    ),
    (
        r#"{"eventid":"cowrie.login.failed","src_ip":"1.2.3.4","username":"root"}"#,
        "cowrie",
    ),
    (r#"{"message":"hi"}"#, "json"),
    ("CEF:0|V|P|1|100|Name|5|src=1.2.3.4", "cef"),
    (
        "<134>Feb 18 20:53:31 fw CEF:0|V|P|1|100|Name|5|src=1.2.3.4",
        "cef",
    ),
    ("level=info msg=\"hello world\" user=bob", "kv"),
    ("hello world", "raw"),
    ("", "raw"),
];

#[test]
fn detection_per_line() {
    let ctx = ctx_at("2024-06-01T00:00:00Z");
    for (line, parser) in SAMPLES {
        let ev = parse_line(ParserKind::Auto, line, &ctx);
        assert_eq!(ev.parser, *parser, "{line}");
        assert_eq!(ev.flags & flags::PARSE_ERROR, 0, "{line}");
        assert_eq!(ev.repeat_count, 1);
    }
}

#[test]
fn cef_behind_syslog_keeps_the_header() {
    let ctx = ctx_at("2024-06-01T00:00:00Z");
    let ev = parse_line(ParserKind::Auto, SAMPLES[11].0, &ctx);
    assert_eq!(ev.host.as_deref(), Some("fw"));
    assert_eq!(ev.source_ip.as_deref(), Some("1.2.3.4"));
    assert_eq!(ev.fields["syslog.priority"], 134);
    assert_eq!(
        ev.timestamp.unwrap().to_rfc3339(),
        "2024-02-18T20:53:31+00:00"
    );
    let ev = parse_line(
        ParserKind::Cef,
        "garbage header CEF:0|V|P|1|100|Name|5|dst=5.6.7.8",
        &ctx,
    );
    assert_eq!(ev.destination_ip.as_deref(), Some("5.6.7.8"));
    assert_eq!(
        parse_line(ParserKind::Cef, "no cef here", &ctx).flags,
        flags::PARSE_ERROR
    );
}

#[test]
fn explicit_kinds_override_detection() {
    let ctx = ctx_at("2024-06-01T00:00:00Z");
    let line = "Dec 10 06:55:46 LabSZ sshd[24200]: x=1";
    assert_eq!(parse_line(ParserKind::Raw, line, &ctx).parser, "raw");
    assert_eq!(parse_line(ParserKind::Kv, "a=1 b=2", &ctx).parser, "kv");
    let ev = parse_line(ParserKind::Json, "not json", &ctx);
    assert_eq!((ev.parser, ev.flags), ("json", flags::PARSE_ERROR));
    let ev = parse_line(ParserKind::Apache, "not a web log", &ctx);
    assert_eq!(ev.flags, flags::PARSE_ERROR);
    let ev = parse_line(ParserKind::Syslog, "not syslog", &ctx);
    assert_eq!((ev.parser, ev.flags), ("syslog3164", flags::PARSE_ERROR));
    assert_eq!(
        parse_line(ParserKind::Zeek, "1\t2", &ctx).flags,
        flags::PARSE_ERROR
    );
}

#[test]
fn kind_names_round_trip() {
    for kind in ParserKind::ALL {
        assert_eq!(kind.to_string().parse::<ParserKind>(), Ok(kind));
    }
    assert_eq!(" JSON ".parse::<ParserKind>(), Ok(ParserKind::Json));
    assert_eq!("logfmt".parse::<ParserKind>(), Ok(ParserKind::Kv));
    assert_eq!("nginx".parse::<ParserKind>(), Ok(ParserKind::Apache));
    let err = "xml".parse::<ParserKind>().unwrap_err();
    assert!(err.to_string().starts_with("unknown parser kind \"xml\""));
}

#[test]
fn bad_bytes_are_flagged_not_fatal() {
    let ctx = ctx_at("2024-06-01T00:00:00Z");
    let ev = parse_bytes(
        ParserKind::Auto,
        b"Dec 10 06:55:46 LabSZ sshd[1]: Invalid user \xff\0 from 1.2.3.4\r",
        &ctx,
    );
    assert_eq!(ev.parser, "sshd");
    assert_eq!(
        ev.flags & (flags::INVALID_UTF8 | flags::CONTROL_CHARS),
        flags::INVALID_UTF8 | flags::CONTROL_CHARS
    );
    assert_eq!(ev.source_ip.as_deref(), Some("1.2.3.4"));
    assert_eq!(ev.user_name.as_deref(), Some("\u{fffd}\0"));

    let mut long = b"Dec 10 06:55:46 LabSZ sshd[1]: ".to_vec();
    long.extend(std::iter::repeat_n(b'x', 100_000));
    let ev = parse_bytes(ParserKind::Auto, &long, &ctx);
    assert_ne!(ev.flags & flags::TRUNCATED, 0);
    assert!(ev.message.len() < MAX_LINE_BYTES);
    let ev = parse_line(ParserKind::Auto, &"a".repeat(MAX_LINE_BYTES + 10), &ctx);
    assert_eq!(
        (ev.parser, ev.flags, ev.message.len()),
        ("raw", flags::TRUNCATED, MAX_LINE_BYTES)
    );
}

/// Every prefix of every sample (and of a few nasty lines) parses without panicking, under every
/// kind: truncated lines are what a crash-looping sender produces.
#[test]
fn no_prefix_panics() {
    let ctx = ctx_at("2024-06-01T00:00:00Z");
    let nasty = [
        "<999999999999>Jan 99 99:99:99",
        "<1>1 9999-99-99T99:99:99Z - - - - [a b=\"\\",
        "[Sun Dec 04 04:47:44 2005] [client [::1]:",
        "CEF:0|\\|\\\\|=|=|=|=|a=\\ b==c =d",
        "{\"event_type\":\"alert\",\"alert\":[]}",
        "Dec 10 06:55:46 h sshd[1]: Failed password for  from  port  ssh2:",
        "Dec 10 06:55:46 h sshd[1]: Received disconnect from : : :",
        "Dec 10 06:55:46 h sshd[1]: message repeated 99999999999 times: [ ]",
        "é=ü \"ö\"=1 a=\"\\",
    ];
    let lines = SAMPLES.iter().map(|(l, _)| *l).chain(nasty);
    for line in lines {
        for (i, _) in line.char_indices().chain([(line.len(), ' ')]) {
            for kind in ParserKind::ALL {
                let ev = parse_line(kind, &line[..i], &ctx);
                assert!(!ev.parser.is_empty());
            }
        }
    }
}
