//! The built-in SSH brute-force rule against fail2ban's annotated sshd corpus: which lines
//! count as failed attempts, and how many.
//!
//! Each `# failJSON` annotation says whether fail2ban's sshd filter counts the next line as a
//! failure, and how many attempts (`attempts`, 1 when absent), in the modes of its section's
//! `# filterOptions`. Vigil's rule is compared with fail2ban's default `normal` mode; the
//! sections written for its `ddos`, `extra` and `aggressive` modes only are left out.

use chrono::{TimeZone, Utc};
use serde_json::Value;

use super::builtin::SSH_FAILURE;
use super::definition::query;
use crate::ingest::EventRow;
use crate::parse::tests::lines;
use crate::parse::{ParseContext, ParserKind, parse_bytes};

const SSHD: &str = include_str!("../../tests/fixtures/corpus/auth/fail2ban_sshd.log");

/// Why Vigil's count of a line differs from fail2ban's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Why {
    /// The line reports an attempt whose `Failed <method> for …` line sshd writes as well
    /// (invalid or disallowed user, root login refused, PAM's own report): Vigil counts that
    /// line, so counting this one too would count the attempt twice.
    SameAttempt,
    /// A summary fail2ban charges with the connection's earlier failures (`Too many
    /// authentication failures`, `maximum authentication attempts exceeded`, an `Accepted`
    /// after failures): Vigil counted those failures one by one.
    Summary,
    /// Not a guessed credential: a connection that failed before authentication (protocol
    /// negotiation, banner, timeout, disconnect, TCP wrappers). Stored with its outcome and
    /// searchable, but not a brute-force attempt.
    NotAnAttempt,
}

/// Classifies a disagreement from the line's text alone.
fn why(msg: &str) -> Option<Why> {
    let lower = msg.to_ascii_lowercase();
    let any = |needles: &[&str]| needles.iter().any(|n| lower.contains(n));
    if any(&[
        "too many authentication failures",
        "maximum authentication attempts exceeded",
        "accepted ",
    ]) {
        Some(Why::Summary)
    } else if any(&[
        "invalid user ",
        "not allowed because",
        "root login refused",
        "pam: authentication failure",
        "pam: authentication error",
        "pam: user not known",
        "pam_unix(sshd:auth): authentication failure",
    ]) && !any(&["connection closed", "disconnecting"])
    {
        Some(Why::SameAttempt)
    } else if any(&[
        "did not receive identification",
        "bad protocol version",
        "unable to negotiate",
        "no matching",
        "kex_exchange_identification",
        "banner exchange",
        "ssh_dispatch_run_fatal",
        "timeout before authentication",
        "connection closed by",
        "connection reset by",
        "read from socket failed",
        "received disconnect",
        "disconnected from",
        "disconnecting invalid user",
        "refused connect",
    ]) {
        Some(Why::NotAnAttempt)
    } else {
        None
    }
}

/// The attempts a line is, read from its text: one per `Failed <method> for …` message other
/// than a rejected public key, times its `message repeated N times`.
fn attempts_in_text(line: &str) -> u64 {
    let (n, msg) = match line.split_once("message repeated ") {
        Some((_, rest)) => {
            let (n, inner) = rest.split_once(" times: [ ").unwrap();
            (n.parse().unwrap(), inner)
        }
        None => (1, line),
    };
    match msg
        .split_once(" Failed ")
        .map(|(_, m)| m)
        .or(msg.strip_prefix("Failed "))
    {
        Some(m) if !m.starts_with("publickey ") => n,
        _ => 0,
    }
}

/// Whether fail2ban's `normal` mode applies to a `# filterOptions` section.
fn normal_mode(options: &Value) -> bool {
    let applies = |o: &Value| o.get("mode").is_none_or(|m| m == "normal");
    match options {
        Value::Array(list) => list.iter().any(applies),
        other => applies(other),
    }
}

#[test]
fn brute_force_counts_agree_with_fail2ban_or_differ_for_a_stated_reason() {
    let matcher = query("q", SSH_FAILURE).unwrap();
    let now = Utc.with_ymd_and_hms(2005, 12, 31, 23, 59, 59).unwrap();
    let ctx = ParseContext::new(now);

    let mut normal = true;
    let mut pending: Option<Value> = None;
    let (mut compared, mut agreed, mut other_modes) = (0, 0, 0);
    let mut explained = std::collections::BTreeMap::<String, usize>::new();
    let mut unexplained = Vec::new();
    for line in lines(SSHD) {
        if let Some(opts) = line.strip_prefix("# filterOptions:") {
            normal = normal_mode(&serde_json::from_str(opts.trim()).unwrap());
            continue;
        }
        if let Some(json) = line.strip_prefix("# failJSON:") {
            pending = Some(serde_json::from_str(json.trim()).unwrap());
            continue;
        }
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let Some(note) = pending.take() else {
            continue;
        };
        let constraint = note["constraint"].as_str().unwrap_or("");
        if !normal || constraint.contains("== 'aggressive'") {
            other_modes += 1;
            continue;
        }
        let theirs = if note["match"] == Value::Bool(true) {
            note["attempts"].as_u64().unwrap_or(1)
        } else {
            0
        };
        let row = EventRow::new(
            parse_bytes(ParserKind::Auto, line.as_bytes(), &ctx),
            line.into(),
            now,
            "test".into(),
        );
        let ours = if matcher.matches(&row) {
            u64::from(row.repeat_count.max(1))
        } else {
            0
        };
        // What the rule counts follows from the text alone.
        assert_eq!(ours, attempts_in_text(line), "{line}");
        compared += 1;
        if ours == theirs {
            agreed += 1;
            continue;
        }
        match why(line) {
            // Vigil never counts a line fail2ban does not.
            Some(w) if ours < theirs => *explained.entry(format!("{w:?}")).or_default() += 1,
            _ => unexplained.push(format!("fail2ban {theirs}, Vigil {ours}: {line}")),
        }
    }
    println!(
        "normal mode: {agreed} of {compared} annotated lines agree; differences: {explained:?}; \
         {other_modes} lines of other modes left out"
    );
    assert!(
        unexplained.is_empty(),
        "unexplained:\n{}",
        unexplained.join("\n")
    );
    assert_eq!(compared + other_modes, 155, "every annotation is looked at");
}
