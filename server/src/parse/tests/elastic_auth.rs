//! elastic/examples auth.log: a real Ubuntu auth.log with brute force, repeats, sudo, useradd.

use std::collections::BTreeMap;

use super::{ctx_at, lines, parse_all};
use crate::parse::{ParsedEvent, ParserKind, flags};

const LOG: &str = include_str!("../../../tests/fixtures/corpus/auth/elastic_examples_auth.log");

fn events() -> Vec<ParsedEvent> {
    parse_all(ParserKind::Auto, LOG, &ctx_at("2017-04-21T00:00:00Z"))
}

fn is_failed_password(ev: &ParsedEvent) -> bool {
    ev.event_action.as_deref() == Some("ssh_login")
        && ev.event_outcome.as_deref() == Some("failure")
        && ev.fields.get("ssh.method").and_then(|m| m.as_str()) == Some("password")
}

#[test]
fn failed_password_count_includes_repeats() {
    // Independent count from the raw text, with plain string operations.
    let mut expected = 0u64;
    let mut summaries = 0;
    for line in lines(LOG) {
        if let Some(i) = line.find("message repeated ") {
            let rest = &line[i + "message repeated ".len()..];
            let (n, tail) = rest.split_once(" times: [").unwrap();
            if tail.trim_start().starts_with("Failed password") {
                expected += n.parse::<u64>().unwrap();
                summaries += 1;
            }
        } else if line.contains("Failed password") {
            expected += 1;
        }
    }
    assert_eq!(summaries, 85);
    let evs = events();
    let got: u64 = evs
        .iter()
        .filter(|e| is_failed_password(e))
        .map(|e| u64::from(e.repeat_count))
        .sum();
    assert_eq!(got, expected);
    let rows = evs.iter().filter(|e| is_failed_password(e)).count() as u64;
    assert!(
        got > rows,
        "repeats must add occurrences: {got} vs {rows} rows"
    );
}

#[test]
fn every_line_is_syslog_with_a_known_program() {
    let evs = events();
    assert_eq!(evs.len(), 7121);
    let mut by_parser = BTreeMap::new();
    for ev in &evs {
        *by_parser.entry(ev.parser).or_insert(0) += 1;
        assert_eq!(ev.flags, flags::TIMESTAMP_INFERRED, "{}", ev.message);
        assert!(
            ev.host.as_deref().unwrap().starts_with("ip-"),
            "{}",
            ev.message
        );
        let ts = ev.timestamp.unwrap().to_rfc3339();
        assert!(
            ts.starts_with("2017-03") || ts.starts_with("2017-04"),
            "{ts}"
        );
    }
    assert_eq!(by_parser.get("raw"), None);
    assert_eq!(by_parser["sshd"], 4095);
    assert_eq!(by_parser["cron"], 1264);
    assert_eq!(by_parser["sudo"], 557);
    assert_eq!(by_parser["systemd-logind"], 452);
    assert_eq!(by_parser["chpasswd"], 417);
    assert_eq!(by_parser["useradd"], 50);
    assert_eq!(by_parser["su"], 45);
    assert_eq!(by_parser["groupadd"], 3);
}

fn count(evs: &[ParsedEvent], action: &str, outcome: &str) -> usize {
    evs.iter()
        .filter(|e| e.event_action.as_deref() == Some(action))
        .filter(|e| e.event_outcome.as_deref() == Some(outcome))
        .count()
}

#[test]
fn account_and_privilege_events() {
    let evs = events();
    let text = lines(LOG);
    let grep = |needle: &str| text.iter().filter(|l| l.contains(needle)).count();
    assert_eq!(
        count(&evs, "user_created", "success"),
        grep("new user: name=")
    );
    assert_eq!(
        count(&evs, "user_created", "failure"),
        grep("failed adding user")
    );
    assert_eq!(
        count(&evs, "group_created", "success"),
        grep("new group: name=") + grep("group added to")
    );
    assert_eq!(
        count(&evs, "password_changed", "success"),
        grep("password changed for")
    );
    assert_eq!(count(&evs, "sudo", "success"), grep(" ; COMMAND="));
    assert_eq!(
        count(&evs, "su", "success"),
        grep("Successful su") + grep("]: + /dev/")
    );
    assert_eq!(
        count(&evs, "session_created", "success"),
        grep("New session ")
    );
    assert_eq!(
        count(&evs, "session_removed", "success"),
        grep("Removed session ")
    );
    assert_eq!(
        count(&evs, "session_opened", "success"),
        grep("session opened for user") + grep("Starting session: ")
    );
    assert_eq!(count(&evs, "ssh_login", "success"), grep("]: Accepted "));

    let created = evs
        .iter()
        .find(|e| e.event_action.as_deref() == Some("user_created"))
        .unwrap();
    assert_eq!(created.event_category.as_deref(), Some("iam"));
    assert!(
        created
            .user_name
            .as_deref()
            .unwrap()
            .starts_with("elastic_user_")
    );
    assert_eq!(created.fields["user.shell"], "/bin/bash");

    let sudo = evs
        .iter()
        .find(|e| e.parser == "sudo" && e.event_action.as_deref() == Some("sudo"))
        .unwrap();
    assert_eq!(sudo.user_name.as_deref(), Some("ubuntu"));
    assert_eq!(sudo.fields["user.target.name"], "root");
    assert!(sudo.fields.contains_key("process.command_line"));
}
