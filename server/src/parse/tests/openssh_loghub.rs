//! loghub OpenSSH_2k.log against loghub's own structured CSV.

use super::{csv, ctx_at, lines, parse_all};
use crate::parse::{ParserKind, flags};

const LOG: &str = include_str!("../../../tests/fixtures/corpus/auth/loghub_OpenSSH_2k.log");
const CSV: &str =
    include_str!("../../../tests/fixtures/corpus/auth/loghub_OpenSSH_2k.log_structured.csv");

#[test]
fn every_line_matches_the_structured_csv() {
    assert!(!LOG.ends_with('\n'), "fixture's last line is unterminated");
    let ctx = ctx_at("2017-01-15T00:00:00Z");
    let events = parse_all(ParserKind::Auto, LOG, &ctx);
    let rows = csv(CSV);
    assert_eq!(rows[0][5], "Pid");
    assert_eq!(rows[0][6], "Content");
    let rows = &rows[1..];
    assert_eq!(events.len(), 2000);
    assert_eq!(rows.len(), events.len());
    for (i, (ev, row)) in events.iter().zip(rows).enumerate() {
        let n = i + 1;
        assert_eq!(ev.parser, "sshd", "line {n}");
        assert_eq!(ev.host.as_deref(), Some("LabSZ"), "line {n}");
        assert_eq!(ev.process.as_deref(), Some("sshd"), "line {n}");
        assert_eq!(ev.pid, Some(row[5].parse().unwrap()), "line {n}");
        // loghub trims the trailing blank some sshd messages end with; the event keeps it.
        assert_eq!(ev.message.trim_end(), row[6], "line {n}");
        assert_eq!(ev.flags & !flags::TIMESTAMP_INFERRED, 0, "line {n}");
        // Dec 10 with a January reference: the previous December.
        let ts = ev.timestamp.unwrap().to_rfc3339();
        assert!(
            ts.starts_with("2016-12-10T") || ts.starts_with("2016-12-11T"),
            "line {n}: {ts}"
        );
    }
}

#[test]
fn event_ids_map_to_actions() {
    let ctx = ctx_at("2017-01-15T00:00:00Z");
    let events = parse_all(ParserKind::Auto, LOG, &ctx);
    let rows = csv(CSV);
    let mut checked = 0;
    for (ev, row) in events.iter().zip(&rows[1..]) {
        let want = match row[7].as_str() {
            "E1" => Some(("ssh_login", "success")),
            "E8" | "E9" | "E10" | "E14" => Some(("ssh_login", "failure")),
            "E12" | "E13" => Some(("ssh_invalid_user", "failure")),
            "E15" | "E16" | "E17" | "E19" | "E20" => Some(("pam_auth_failure", "failure")),
            "E22" => Some(("session_closed", "success")),
            "E23" => Some(("session_opened", "success")),
            "E2" | "E6" | "E7" | "E24" | "E25" | "E26" => Some(("ssh_disconnect", "unknown")),
            "E4" | "E5" => Some(("ssh_max_auth_attempts", "failure")),
            "E27" => Some(("ssh_reverse_mapping_failed", "failure")),
            "E3" => Some(("ssh_negotiation_failed", "failure")),
            "E18" => Some(("pam_max_retries", "failure")),
            "E21" => Some(("pam_check_pass", "failure")),
            _ => None,
        };
        if let Some((action, outcome)) = want {
            assert_eq!(
                ev.event_action.as_deref(),
                Some(action),
                "{}: {}",
                row[0],
                row[6]
            );
            assert_eq!(ev.event_outcome.as_deref(), Some(outcome), "{}", row[0]);
            checked += 1;
        }
    }
    // E11 (`fatal: Write failed: Connection reset by peer`) is the one template left unnamed.
    let unnamed = rows[1..].iter().filter(|r| r[7] == "E11").count();
    assert_eq!(checked + unnamed, 2000);
}

#[test]
fn peers_are_extracted_where_the_template_has_one() {
    let ctx = ctx_at("2017-01-15T00:00:00Z");
    let text_lines = lines(LOG);
    let events = parse_all(ParserKind::Auto, LOG, &ctx);
    let mut with_ip = 0;
    for (line, ev) in text_lines.iter().zip(&events) {
        let expects_ip = line.contains(" from ") && !line.contains("PAM service")
            || line.contains("rhost=")
            || line.contains("Connection closed by ")
            || line.contains("POSSIBLE BREAK-IN");
        if expects_ip {
            let ip = ev
                .source_ip
                .as_deref()
                .or_else(|| ev.fields.get("source.domain").and_then(|d| d.as_str()))
                .unwrap_or_else(|| panic!("no peer: {line}"));
            assert!(line.contains(ip), "{ip} not in {line}");
            with_ip += 1;
        }
    }
    assert!(with_ip > 1500, "{with_ip}");
}

#[test]
fn repeat_summaries_carry_their_count() {
    let ctx = ctx_at("2017-01-15T00:00:00Z");
    let events = parse_all(ParserKind::Auto, LOG, &ctx);
    let repeats: Vec<_> = events.iter().filter(|e| e.repeat_count > 1).collect();
    assert!(!repeats.is_empty());
    for ev in repeats {
        let n: u32 = ev.message["message repeated ".len()..]
            .split(' ')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(ev.repeat_count, n);
        assert_eq!(ev.fields["ssh.method"], "password");
        assert_eq!(ev.user_name.as_deref(), Some("root"));
    }
}
