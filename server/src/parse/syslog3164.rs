//! BSD syslog (RFC 3164) and the variants real files contain: with or without `<PRI>`, ISO 8601
//! timestamps in place of the BSD one, FreeBSD `syslogd -v` `<facility.severity>`, missing host.

use super::{ParseContext, ParsedEvent, flags, level_from_severity, program, scan, time};

/// `yyyy-mm-ddThh:mm:ss` at the start, then a space and a host: an ISO-stamped syslog line.
pub(crate) fn looks_like_iso(line: &str) -> bool {
    let b = line.as_bytes();
    b.len() > 21
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && b[..4].iter().all(u8::is_ascii_digit)
        && time::parse_iso(line, chrono::FixedOffset::east_opt(0).expect("zero offset"))
            .is_some_and(|(_, used)| b.get(used) == Some(&b' '))
}

/// `<PRI>` at the start: (priority, bytes consumed). Valid priorities are 0-191.
pub(crate) fn pri(line: &str) -> Option<(u8, usize)> {
    let b = line.as_bytes();
    if b.first() != Some(&b'<') {
        return None;
    }
    let n = b[1..]
        .iter()
        .take(4)
        .take_while(|c| c.is_ascii_digit())
        .count();
    if !(1..=3).contains(&n) || b.get(n + 1) != Some(&b'>') {
        return None;
    }
    let value = time::digits(&b[1..=n])?;
    (value <= 191).then_some((value as u8, n + 2))
}

pub(crate) fn apply_pri(ev: &mut ParsedEvent, pri: u8) {
    let (facility, severity) = (pri >> 3, pri & 7);
    ev.set("syslog.priority", pri);
    ev.set("syslog.facility", facility);
    ev.set("syslog.severity", severity);
    ev.level = Some(level_from_severity(severity).to_owned());
}

pub(crate) fn parse(line: &str, ctx: &ParseContext) -> ParsedEvent {
    let mut ev = ParsedEvent::new("syslog3164", line);
    let mut rest = line;
    let mut broken = false;
    if rest.starts_with('<') {
        match pri(rest) {
            Some((p, used)) => {
                apply_pri(&mut ev, p);
                rest = &rest[used..];
            }
            None => {
                // An out-of-range PRI such as <3444>: note it, read on.
                broken = true;
                match rest.find('>') {
                    Some(end) if end <= 8 => rest = &rest[end + 1..],
                    _ => {
                        ev.fail(line);
                        return ev;
                    }
                }
            }
        }
    }
    if let Some((stamp, used)) = time::parse_bsd(rest) {
        ev.timestamp = time::infer_year(&stamp, ctx);
        ev.flags |= flags::TIMESTAMP_INFERRED;
        rest = &rest[used..];
    } else if let Some((ts, used)) = time::parse_iso(rest, ctx.default_offset) {
        ev.timestamp = Some(ts);
        rest = &rest[used..];
    } else if rest.starts_with("CEF:") {
        return keep_line_if_broken(program::dispatch(ev, None, rest, ctx), line, broken);
    } else {
        ev.fail(line);
        return ev;
    }
    rest = rest.trim_start_matches(' ');
    rest = freebsd_priority(&mut ev, rest);

    let (first, after) = scan::token(rest);
    if first.is_empty() {
        ev.fail(line);
        return ev;
    }
    if !is_tag(first) {
        ev.host = Some(first.to_owned());
        rest = after.trim_start_matches(' ');
    }
    if rest.starts_with("CEF:") {
        return keep_line_if_broken(program::dispatch(ev, None, rest, ctx), line, broken);
    }
    let (program, pid, msg) = split_tag(rest);
    // rsyslog's RFC 3339 output always carries a tag; an ISO-stamped line without one is
    // usually an RFC 5424 message that lost its PRI.
    if program.is_none() && ev.flags & flags::TIMESTAMP_INFERRED == 0 {
        broken = true;
    }
    ev.pid = pid;
    keep_line_if_broken(program::dispatch(ev, program, msg, ctx), line, broken)
}

/// A syslog line whose header or payload broke is kept whole as the message, not just the
/// payload that a program or embedded parser saw.
pub(crate) fn keep_line_if_broken(mut ev: ParsedEvent, line: &str, broken: bool) -> ParsedEvent {
    if broken || ev.flags & flags::PARSE_ERROR != 0 {
        ev.fail(line);
    }
    ev
}

/// FreeBSD `syslogd -v` writes `<facility.severity>` (numbers or names) after the timestamp.
fn freebsd_priority<'a>(ev: &mut ParsedEvent, rest: &'a str) -> &'a str {
    let Some(inner) = rest.strip_prefix('<') else {
        return rest;
    };
    let Some(end) = inner.find("> ") else {
        return rest;
    };
    let Some((facility, severity)) = inner[..end].split_once('.') else {
        return rest;
    };
    match (facility.parse::<u8>(), severity.parse::<u8>()) {
        (Ok(f), Ok(s)) if f < 24 && s < 8 => apply_pri(ev, f * 8 + s),
        _ if !facility.is_empty() && !severity.is_empty() && !inner[..end].contains(' ') => {
            ev.set("syslog.facility_name", facility);
            ev.level = Some(super::normalize_level(severity));
        }
        _ => return rest,
    }
    &inner[end + 2..]
}

/// A first token that is already the tag means the sender left out the host (`sshd[1]: …`,
/// `[sshd]: …`).
fn is_tag(token: &str) -> bool {
    token.ends_with(':') || token.starts_with('[')
}

/// Splits `program[pid]: msg`; without a recognisable tag the whole rest is the message.
pub(crate) fn split_tag(rest: &str) -> (Option<&str>, Option<i64>, &str) {
    if let Some(inner) = rest.strip_prefix('[') {
        // `[sshd]: msg` and `[sshd] msg`
        if let Some(end) = inner.find(']') {
            let name = &inner[..end];
            if !name.is_empty() && !name.contains(' ') {
                let msg = inner[end + 1..]
                    .strip_prefix(':')
                    .unwrap_or(&inner[end + 1..]);
                return (Some(name), None, msg.strip_prefix(' ').unwrap_or(msg));
            }
        }
        return (None, None, rest);
    }
    let end = rest.find([' ', '[', ':']).unwrap_or(rest.len());
    let name = &rest[..end];
    if name.is_empty() {
        return (None, None, rest);
    }
    let after = &rest[end..];
    let (pid, after) = match after.strip_prefix('[') {
        Some(p) => match p.find(']') {
            Some(close) => (p[..close].parse::<i64>().ok(), &p[close + 1..]),
            None => return (None, None, rest),
        },
        None => (None, after),
    };
    match after.strip_prefix(':') {
        Some(msg) => (Some(name), pid, msg.strip_prefix(' ').unwrap_or(msg)),
        // `prog[pid] msg` without the colon still names its program.
        None if pid.is_some() => (Some(name), pid, after.strip_prefix(' ').unwrap_or(after)),
        None => (None, None, rest),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, Utc};

    fn ctx() -> ParseContext {
        ParseContext::new("2024-06-01T00:00:00Z".parse::<DateTime<Utc>>().unwrap())
    }

    #[test]
    fn rfc3164_example_with_pri() {
        let ev = parse(
            "<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8",
            &ctx(),
        );
        assert_eq!(ev.host.as_deref(), Some("mymachine"));
        assert_eq!(ev.process.as_deref(), Some("su"));
        assert_eq!(ev.fields["syslog.facility"], 4);
        assert_eq!(ev.fields["syslog.severity"], 2);
        assert_eq!(ev.level.as_deref(), Some("critical"));
        assert_eq!(ev.message, "'su root' failed for lonvick on /dev/pts/8");
        assert_eq!(
            ev.timestamp.unwrap().to_rfc3339(),
            "2023-10-11T22:14:15+00:00"
        );
        assert_ne!(ev.flags & flags::TIMESTAMP_INFERRED, 0);
        assert_eq!(ev.flags & flags::PARSE_ERROR, 0);
    }

    #[test]
    fn out_of_range_pri_is_flagged_but_read() {
        let line = "<3444>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8";
        let ev = parse(line, &ctx());
        assert_ne!(ev.flags & flags::PARSE_ERROR, 0);
        assert_eq!(ev.message, line);
        assert_eq!(ev.host.as_deref(), Some("mymachine"));
    }

    #[test]
    fn pri_without_timestamp_is_a_parse_error() {
        let ev = parse("<7>unparsable line", &ctx());
        assert_eq!(ev.flags & flags::PARSE_ERROR, flags::PARSE_ERROR);
        assert_eq!(ev.message, "<7>unparsable line");
        assert_eq!(ev.fields["syslog.severity"], 7);
    }

    #[test]
    fn hostless_and_bracketed_tags() {
        let ev = parse(
            "Nov 23 21:50:19 sshd[8148]: Disconnecting: Too many authentication failures for root [preauth]",
            &ctx(),
        );
        assert_eq!(ev.host, None);
        assert_eq!(ev.process.as_deref(), Some("sshd"));
        assert_eq!(ev.pid, Some(8148));
        let ev = parse(
            "Jun 25 23:53:34 [sshd] User root from 1.2.3.4 not allowed because not listed in AllowUsers",
            &ctx(),
        );
        assert_eq!(ev.process.as_deref(), Some("sshd"));
        assert_eq!(ev.source_ip.as_deref(), Some("1.2.3.4"));
    }

    #[test]
    fn freebsd_verbose_priority() {
        let ev = parse(
            "Apr  2 17:51:32 <4.6> pancake sshd[55628]: Invalid user r00t from 192.0.2.100",
            &ctx(),
        );
        assert_eq!(ev.host.as_deref(), Some("pancake"));
        assert_eq!(ev.fields["syslog.facility"], 4);
        assert_eq!(ev.level.as_deref(), Some("info"));
        assert_eq!(ev.user_name.as_deref(), Some("r00t"));
        let ev = parse("Apr  2 17:51:32 <auth.info> pancake sshd[1]: x", &ctx());
        assert_eq!(ev.fields["syslog.facility_name"], "auth");
        assert_eq!(ev.host.as_deref(), Some("pancake"));
    }

    #[test]
    fn iso_timestamp_keeps_its_zone() {
        let ev = parse(
            "2023-11-14T00:20:42.738197+01:00 myserver sshd[1112652]: User root from 192.168.1.1 not allowed because not listed in AllowUsers",
            &ctx(),
        );
        assert_eq!(
            ev.timestamp.unwrap().to_rfc3339(),
            "2023-11-13T23:20:42.738197+00:00"
        );
        assert_eq!(ev.flags & flags::TIMESTAMP_INFERRED, 0);
        assert_eq!(ev.host.as_deref(), Some("myserver"));
    }

    #[test]
    fn tag_shapes() {
        assert_eq!(split_tag("su: x"), (Some("su"), None, "x"));
        assert_eq!(
            split_tag("sshd(pam_unix)[1]: x"),
            (Some("sshd(pam_unix)"), Some(1), "x")
        );
        assert_eq!(split_tag("no tag here"), (None, None, "no tag here"));
        assert_eq!(split_tag("kernel: "), (Some("kernel"), None, ""));
        assert_eq!(split_tag("[ID 1 x] y"), (None, None, "[ID 1 x] y"));
    }

    /// Found by `parse::props`: a broken CEF payload kept only itself as the message, and an
    /// out-of-range PRI before a CEF payload was not flagged at all.
    #[test]
    fn a_broken_payload_keeps_the_whole_line() {
        for line in [
            "<134>Feb 18 20:53:31 fw CEF:0|",
            "<3444>Feb 18 20:53:31 fw CEF:0|V|P|1|100|Name|5|src=1.2.3.4",
            "<3444>CEF:0|V|P|1|100|Name|5|src=1.2.3.4",
        ] {
            let ev = parse(line, &ctx());
            assert_ne!(ev.flags & flags::PARSE_ERROR, 0, "{line}");
            assert_eq!(ev.message, line);
        }
    }

    #[test]
    fn header_only_is_a_parse_error() {
        let ev = parse("Mar 10 00:38:16", &ctx());
        assert_ne!(ev.flags & flags::PARSE_ERROR, 0);
    }
}
