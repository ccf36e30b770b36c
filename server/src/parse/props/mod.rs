//! Property tests for the parsers: generated lines, from arbitrary bytes to near-misses of every
//! format, never panic and always keep the promises of [`ParsedEvent`]; well-formed syslog
//! messages parse back into the fields they were built from.

mod lines;
mod syslog;

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError};
use serde_json::{Map, Value};

use super::{ParseContext, ParsedEvent, flags, sanitize::cap};

/// The reference instant of every generated line: mid-year, so RFC 3164 dates fall on both
/// sides of it.
pub(super) fn ctx() -> ParseContext {
    ParseContext::new(
        "2024-06-01T00:00:00Z"
            .parse::<DateTime<Utc>>()
            .expect("valid reference time"),
    )
}

/// `cases` cases per property; a failure is reported, not saved to a file: a case worth keeping
/// becomes a unit test beside the code it broke.
pub(crate) fn config(cases: u32) -> Config {
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}

/// Every name [`ParsedEvent::parser`] may take, as documented there.
const PARSERS: &[&str] = &[
    "sshd",
    "sudo",
    "su",
    "pam",
    "cron",
    "systemd-logind",
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
    "syslog3164",
    "syslog5424",
    "apache_access",
    "apache_error",
    "nginx_error",
    "json",
    "suricata",
    "cowrie",
    "cef",
    "kv",
    "zeek",
    "raw",
];

const ALL_FLAGS: u32 = flags::TRUNCATED
    | flags::INVALID_UTF8
    | flags::PARSE_ERROR
    | flags::TIMESTAMP_INFERRED
    | flags::CONTROL_CHARS;

/// What every event promises whatever the line: a documented parser name, addresses that are
/// valid and canonical, a repeat count of at least one, known flag bits, a broken line kept
/// whole as the message, and a shape that serialises.
pub(super) fn check_event(line: &str, ev: &ParsedEvent) -> Result<(), TestCaseError> {
    prop_assert!(
        PARSERS.contains(&ev.parser),
        "unknown parser {:?}",
        ev.parser
    );
    for ip in [&ev.source_ip, &ev.destination_ip].into_iter().flatten() {
        let parsed: IpAddr = ip
            .parse()
            .map_err(|e| TestCaseError::fail(format!("address {ip:?} is not an IP: {e}")))?;
        prop_assert_eq!(
            &parsed.to_canonical().to_string(),
            ip,
            "non-canonical address"
        );
    }
    prop_assert!(ev.repeat_count >= 1, "repeat count {}", ev.repeat_count);
    prop_assert_eq!(
        ev.flags & !ALL_FLAGS,
        0,
        "unknown flag bits {:#x}",
        ev.flags
    );
    if ev.flags & flags::PARSE_ERROR != 0 {
        let kept = cap(line).unwrap_or(line);
        prop_assert_eq!(
            &ev.message,
            kept,
            "a broken line must be kept as the message"
        );
    }
    prop_assert!(
        serde_json::to_string(ev).is_ok(),
        "the event does not serialise"
    );
    Ok(())
}

/// Words and fragments the parsers look for, so generated lines get past their first checks.
const WORDS: &[&str] = &[
    "Failed",
    "Accepted",
    "password",
    "publickey",
    "for",
    "invalid",
    "user",
    "Invalid",
    "from",
    "port",
    "ssh2",
    "[preauth]",
    "Disconnected",
    "Connection",
    "closed",
    "by",
    "reset",
    "Received",
    "disconnect",
    "authenticating",
    "root",
    "ROOT LOGIN REFUSED FROM",
    "maps to",
    "POSSIBLE BREAK-IN ATTEMPT!",
    "not allowed because",
    "Too many authentication failures",
    "message repeated",
    "times: [",
    "]",
    "pam_unix(sshd:auth):",
    "pam_unix(su:session):",
    "authentication failure;",
    "logname=",
    "uid=0",
    "euid=0",
    "tty=ssh",
    "ruser=",
    "rhost=",
    "user=",
    "session opened for user",
    "session closed for user",
    "by",
    "(uid=0)",
    "check pass; user unknown",
    "PAM",
    "more authentication failures;",
    "ignoring max retries;",
    "TTY=pts/0",
    ";",
    "PWD=/root",
    "USER=root",
    "COMMAND=/bin/sh",
    "incorrect password attempts",
    "NOT in sudoers",
    "Successful su for",
    "FAILED su for",
    "+",
    "-",
    "pts/1",
    "(root) CMD (",
    ")",
    "New session",
    "of user",
    "Removed session",
    "new user:",
    "name=",
    "UID=",
    "GID=",
    "home=",
    "shell=",
    "delete user",
    "new group:",
    "add",
    "to group",
    "password changed for",
    "changed password",
    "CEF:0|",
    "|",
    "\\|",
    "\\=",
    "\\\\",
    "src=",
    "dst=",
    "spt=",
    "dpt=",
    "suser=",
    "act=",
    "rt=",
    "\"",
    "GET",
    "POST",
    "/index.html",
    "HTTP/1.1",
    "200",
    "404",
    "\"-\"",
    "[error]",
    "[client",
    "[pid",
    "[core:error]",
    "AH01630:",
    "client:",
    "server:",
    "request:",
    "host:",
    "user",
    "not found:",
    "password mismatch",
    "*1",
    "#0:",
    "level=",
    "msg=",
    "ts=",
    "time=",
    "src_ip=",
    "=",
    "\\",
    "\t",
    ":",
    "::",
    "[",
    "<",
    ">",
    "{",
    "}",
    "\u{feff}",
    "\u{fffd}",
    "é",
    "☃",
    "\0",
    "\r",
    "\x1b",
];

/// Addresses and near-addresses, valid and not.
const ADDRESSES: &[&str] = &[
    "1.2.3.4",
    "192.0.2.1",
    "10.0.0.255",
    "::1",
    "2001:db8::1",
    "[2001:db8::2]",
    "::ffff:1.2.3.4",
    "fe80::1%eth0",
    "1.2.3",
    "256.1.1.1",
    "01.2.3.4",
    "1.2.3.4:22",
    "[::1]:443",
    "host.example",
    "999999",
    "-",
    "",
];

/// Bits of time the timestamp readers look for.
const TIMES: &[&str] = &[
    "Oct 11 22:14:15",
    "Feb 29 00:00:00",
    "Dec 31 23:59:60.999",
    "Jan  1 00:00:00",
    "2003-08-24T05:14:15.000003-07:00",
    "2024-02-30T00:00:00Z",
    "9999-12-31T23:59:59+14:00",
    "0000-01-01T00:00:00-23:59",
    "17/May/2015:10:05:03 +0000",
    "[Sun Dec 04 04:47:44 2005]",
    "2011/11/11 11:11:11",
    "1700000000.123456",
    "99999999999999999999",
];

/// One token of a generated line.
fn token() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => prop::sample::select(WORDS).prop_map(str::to_owned),
        2 => prop::sample::select(ADDRESSES).prop_map(str::to_owned),
        1 => prop::sample::select(TIMES).prop_map(str::to_owned),
        2 => (0u64..100_000).prop_map(|n| n.to_string()),
        2 => ".{0,8}",
    ]
}

/// A line of tokens with varied separators: structure enough to reach deep into the parsers,
/// noise enough to break them midway.
pub(super) fn soup() -> impl Strategy<Value = String> {
    let sep = prop::sample::select(&[" ", " ", " ", "", "=", ":", "\t", "  "][..]);
    prop::collection::vec((token(), sep), 0..24).prop_map(|parts| {
        parts
            .into_iter()
            .flat_map(|(t, s)| [t, s.to_owned()])
            .collect()
    })
}

/// JSON keys the JSON, Suricata and Cowrie parsers map onto events.
const JSON_KEYS: &[&str] = &[
    "event_type",
    "src_ip",
    "dest_ip",
    "src_port",
    "dest_port",
    "flow_id",
    "in_iface",
    "proto",
    "app_proto",
    "host",
    "alert",
    "signature",
    "signature_id",
    "severity",
    "category",
    "action",
    "eventid",
    "dst_ip",
    "dst_port",
    "sensor",
    "username",
    "password",
    "input",
    "session",
    "timestamp",
    "@timestamp",
    "time",
    "ts",
    "level",
    "severity",
    "message",
    "msg",
    "user",
    "user.name",
    "source.ip",
    "client_ip",
    "remote_addr",
    "status",
    "outcome",
    "event.action",
    "cpu_usage",
    "memory_usage",
    "hostname",
    "pid",
    "process",
    "",
];

/// JSON values: scalars of every kind the parsers meet, and nesting.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        (-1e20f64..1e20).prop_map(Value::from),
        prop::sample::select(ADDRESSES).prop_map(Value::from),
        prop::sample::select(TIMES).prop_map(Value::from),
        prop::sample::select(
            &[
                "stats",
                "alert",
                "flow",
                "cowrie.login.failed",
                "cowrie.login.success",
                "cowrie.command.input",
                "cowrie."
            ][..]
        )
        .prop_map(Value::from),
        ".{0,12}".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(JSON_KEYS), inner), 0..6).prop_map(
                |pairs| Value::Object(pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
            ),
        ]
    })
}

/// A JSON object with the keys the JSON parsers look for.
pub(super) fn json_object() -> impl Strategy<Value = Map<String, Value>> {
    prop::collection::vec((prop::sample::select(JSON_KEYS), json_value()), 0..10)
        .prop_map(|pairs| pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
}
