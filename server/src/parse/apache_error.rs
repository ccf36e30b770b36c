//! Apache httpd error logs, 2.2 (`[time] [level] [client ip] msg`) and 2.4
//! (`[time.micro] [module:level] [pid N:tid M] [client ip:port] AH00000: msg`).

use super::{ParseContext, ParsedEvent, normalize_level, scan, time};

/// `[Www Mmm ` at the start.
pub(crate) fn looks_like(line: &str) -> bool {
    let b = line.as_bytes();
    b.len() > 26
        && b[0] == b'['
        && b[4] == b' '
        && b[8] == b' '
        && b[1..4].iter().all(u8::is_ascii_alphabetic)
        && time::month(&b[5..8]).is_some()
}

pub(crate) fn parse(line: &str, ctx: &ParseContext) -> ParsedEvent {
    let mut ev = ParsedEvent::new("apache_error", line);
    let Some((stamp, rest)) = line.strip_prefix('[').and_then(|l| l.split_once(']')) else {
        ev.fail(line);
        return ev;
    };
    ev.timestamp = time::parse_ctime(stamp, ctx.default_offset);
    if ev.timestamp.is_none() {
        ev.flags |= super::flags::PARSE_ERROR;
    }
    read_groups(&mut ev, rest);
    if ev.flags & super::flags::PARSE_ERROR != 0 {
        ev.fail(line);
    }
    ev
}

/// The part after the timestamp; also what `ErrorLog syslog:` sends, which has no timestamp.
pub(crate) fn parse_untimed(msg: &str) -> ParsedEvent {
    let mut ev = ParsedEvent::new("apache_error", msg);
    read_groups(&mut ev, msg);
    ev
}

fn read_groups(ev: &mut ParsedEvent, mut rest: &str) {
    let mut remote = None;
    while let Some(group) = rest.trim_start_matches(' ').strip_prefix('[') {
        let Some((inner, after)) = close_bracket(group) else {
            break;
        };
        if !header_group(ev, inner, &mut remote) {
            break;
        }
        rest = after;
    }
    // `[remote …]` is the TCP peer; `[client …]` the (possibly proxied) client, preferred.
    if ev.source_ip.is_none()
        && !ev.fields.contains_key("source.address")
        && let Some(remote) = remote
    {
        let (host, port) = scan::split_host_port(remote);
        scan::set_source(ev, host);
        ev.source_port = port;
    }
    let msg = rest.trim_start_matches(' ');
    if let Some(code) = msg.get(..7)
        && code.starts_with("AH")
        && code[2..].bytes().all(|c| c.is_ascii_digit())
        && msg[7..].starts_with(':')
    {
        ev.set("error.code", code);
    }
    msg.clone_into(&mut ev.message);
    classify(ev);
}

/// Splits at the `]` that closes a group whose `[` was already consumed, allowing one level of
/// nesting for `[client [2001:db8::1]:443]`.
fn close_bracket(s: &str) -> Option<(&str, &str)> {
    let mut depth = 0u32;
    for (i, c) in s.char_indices() {
        match c {
            '[' => depth += 1,
            ']' if depth == 0 => return Some((&s[..i], &s[i + 1..])),
            ']' => depth -= 1,
            _ => {}
        }
    }
    None
}

/// One `[…]` header group; false when it is not a header (the message itself starts with `[`).
fn header_group<'a>(ev: &mut ParsedEvent, inner: &'a str, remote: &mut Option<&'a str>) -> bool {
    if let Some(peer) = inner.strip_prefix("client ") {
        let (host, port) = scan::split_host_port(peer);
        scan::set_source(ev, host);
        ev.source_port = port;
    } else if let Some(peer) = inner.strip_prefix("remote ") {
        *remote = Some(peer);
    } else if let Some(ids) = inner.strip_prefix("pid ") {
        let (pid, tid) = ids.split_once(":tid ").unwrap_or((ids, ""));
        ev.pid = pid.parse().ok();
        if let Ok(tid) = tid.parse::<i64>() {
            ev.set("process.thread.id", tid);
        }
    } else if !inner.is_empty() && !inner.contains(' ') && ev.level.is_none() {
        let (module, level) = inner.split_once(':').unwrap_or(("", inner));
        if !module.is_empty() {
            ev.set("apache.module", module);
        }
        ev.level = Some(normalize_level(level));
    } else {
        return false;
    }
    true
}

/// Marks web server errors, and authentication failures (basic/digest auth) as such.
pub(crate) fn classify(ev: &mut ParsedEvent) {
    if let Some(user) = auth_failure_user(&ev.message).map(str::to_owned) {
        ev.classify("authentication", "http_auth_failure", "failure");
        if !user.is_empty() {
            ev.user_name = Some(user);
        }
        return;
    }
    if matches!(
        ev.level.as_deref(),
        Some("error" | "critical" | "alert" | "emergency")
    ) {
        ev.event_category = Some("web".to_owned());
        ev.event_action = Some("http_error".to_owned());
        ev.event_outcome = Some("failure".to_owned());
    } else {
        ev.event_category = Some("web".to_owned());
    }
}

/// The user of an auth failure message: Apache `user U not found`, `user U: authentication
/// failure`, `… password mismatch`; nginx `user "U" was not found`, `user "U": password mismatch`.
fn auth_failure_user(msg: &str) -> Option<&str> {
    let msg = match msg.get(..7) {
        Some(c) if c.starts_with("AH") && msg[7..].starts_with(": ") => &msg[9..],
        _ => msg,
    };
    let rest = msg.strip_prefix("user ")?;
    if let Some(q) = rest.strip_prefix('"') {
        let (user, tail) = q.split_once('"')?;
        return (tail.starts_with(" was not found") || tail.starts_with(": password mismatch"))
            .then_some(user);
    }
    let end = rest.find([' ', ':']).unwrap_or(rest.len());
    let tail = &rest[end..];
    (tail.starts_with(" not found")
        || tail.starts_with(": authentication failure")
        || tail.contains("password mismatch"))
    .then_some(&rest[..end])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::flags;
    use chrono::Utc;

    fn run(line: &str) -> ParsedEvent {
        parse(line, &ParseContext::new(Utc::now()))
    }

    /// Found by `parse::props`: a line not opening with `[` panicked on a slice inside its
    /// first character.
    #[test]
    fn a_line_without_its_bracket_is_a_parse_error() {
        for line in ["é Sun Dec 04 04:47:44 2005] [error] x", ""] {
            let ev = run(line);
            assert_eq!(ev.flags, flags::PARSE_ERROR, "{line}");
            assert_eq!(ev.message, line);
        }
    }

    #[test]
    fn apache_22() {
        let ev = run("[Sun Dec 04 04:47:44 2005] [error] mod_jk child workerEnv in error state 6");
        assert_eq!(
            ev.timestamp.unwrap().to_rfc3339(),
            "2005-12-04T04:47:44+00:00"
        );
        assert_eq!(ev.level.as_deref(), Some("error"));
        assert_eq!(ev.message, "mod_jk child workerEnv in error state 6");
        assert_eq!(ev.event_action.as_deref(), Some("http_error"));
        let ev = run(
            "[Thu Jun 09 06:07:05 2005] [error] [client 222.166.160.184] Directory index forbidden by rule: /var/www/html/",
        );
        assert_eq!(ev.source_ip.as_deref(), Some("222.166.160.184"));
        assert_eq!(
            ev.message,
            "Directory index forbidden by rule: /var/www/html/"
        );
        let ev = run(
            "[Sun Dec 04 04:47:44 2005] [notice] workerEnv.init() ok /etc/httpd/conf/workers2.properties",
        );
        assert_eq!(ev.level.as_deref(), Some("notice"));
        assert_eq!(ev.event_action, None);
    }

    #[test]
    fn apache_24() {
        let ev = run(
            "[Wed Dec 18 15:23:15.495667 2024] [core:error] [pid 1672:tid 1839] [client 192.0.2.74:39140] AH10244: invalid URI path (/cgi-bin/x)",
        );
        assert_eq!(
            ev.timestamp.unwrap().to_rfc3339(),
            "2024-12-18T15:23:15.495667+00:00"
        );
        assert_eq!(ev.fields["apache.module"], "core");
        assert_eq!(ev.pid, Some(1672));
        assert_eq!(ev.fields["process.thread.id"], 1839);
        assert_eq!(ev.source_ip.as_deref(), Some("192.0.2.74"));
        assert_eq!(ev.source_port, Some(39140));
        assert_eq!(ev.fields["error.code"], "AH10244");
        assert_eq!(ev.message, "AH10244: invalid URI path (/cgi-bin/x)");
    }

    #[test]
    fn auth_failures_and_remote() {
        let ev = run(
            "[Mon Nov 06 13:39:56.637868 2023] [auth_basic:error] [pid 3175001:tid 140494544914112] [remote 192.0.2.111:35924] AH01618: user whatever not found: /admin",
        );
        assert_eq!(ev.source_ip.as_deref(), Some("192.0.2.111"));
        assert_eq!(ev.event_action.as_deref(), Some("http_auth_failure"));
        assert_eq!(ev.user_name.as_deref(), Some("whatever"));
        let ev = run(
            "[Thu Jul 11 01:21:44 2013] [error] [client 2001:db8::80da:af6b:8b2c] user test-ipv6 not found: /",
        );
        assert_eq!(ev.source_ip.as_deref(), Some("2001:db8::80da:af6b:8b2c"));
        assert_eq!(ev.user_name.as_deref(), Some("test-ipv6"));
    }

    #[test]
    fn injected_client_in_message_is_ignored() {
        let ev = run(
            "[Sat Jun 01 02:17:42 2013] [error] [client 192.168.33.1] File does not exist: /srv/http/site/[client 192.168.0.1] user root not found",
        );
        assert_eq!(ev.source_ip.as_deref(), Some("192.168.33.1"));
    }

    #[test]
    fn bad_timestamp_is_flagged() {
        let line = "[Sun Foo 04 04:47:44 2005] [error] x";
        assert!(!looks_like(line));
        let ev = run("[Sun Dec 44 04:47:44 2005] [error] [client 1.2.3.4] x");
        assert_ne!(ev.flags & flags::PARSE_ERROR, 0);
        assert_eq!(ev.source_ip.as_deref(), Some("1.2.3.4"));
    }
}
