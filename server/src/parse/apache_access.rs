//! Apache/nginx access logs in the common and combined formats:
//! `client ident user [time] "request" status bytes ["referrer" "user agent" …]`.

use super::{ParseContext, ParsedEvent, scan, time};

/// Three space-free tokens, then `[dd/`: cheap enough to run on every line.
pub(crate) fn looks_like(line: &str) -> bool {
    let mut rest = line;
    for _ in 0..3 {
        match rest.find(' ') {
            Some(0) | None => return false,
            Some(i) => rest = &rest[i + 1..],
        }
    }
    let b = rest.as_bytes();
    b.len() > 4 && b[0] == b'[' && b[1].is_ascii_digit() && b[3] == b'/'
}

pub(crate) fn parse(line: &str, ctx: &ParseContext) -> ParsedEvent {
    let mut ev = ParsedEvent::new("apache_access", line);
    if read(&mut ev, line, ctx).is_none() {
        ev.fail(line);
    }
    let status = ev
        .fields
        .get("http.response.status_code")
        .and_then(|v| v.as_u64());
    let outcome = match status {
        Some(s) if s >= 400 => "failure",
        Some(_) => "success",
        None => "unknown",
    };
    ev.classify("web", "http_request", outcome);
    ev
}

/// Fills what it can; `None` where the line stops matching the format.
fn read(ev: &mut ParsedEvent, line: &str, ctx: &ParseContext) -> Option<()> {
    let (client, rest) = scan::token(line);
    let (ident, rest) = scan::token(rest);
    let (user, rest) = rest.split_once(" [")?;
    scan::set_source(ev, client);
    if ident != "-" {
        ev.set("apache.access.ident", ident);
    }
    if user != "-" && !user.is_empty() {
        ev.user_name = Some(user.to_owned());
    }
    let (stamp, rest) = rest.split_once("] ")?;
    ev.timestamp = Some(time::parse_clf(stamp, ctx.default_offset)?);
    let (request, rest) = quoted(rest)?;
    request_line(ev, request);
    let (status, rest) = scan::token(rest);
    let status: u16 = status.parse().ok()?;
    ev.set("http.response.status_code", status);
    let (bytes, rest) = scan::token(rest);
    match bytes {
        "-" => {}
        b => ev.set("http.response.body.bytes", b.parse::<u64>().ok()?),
    }
    if rest.is_empty() {
        return Some(()); // common log format
    }
    let (referrer, rest) = quoted(rest)?;
    if referrer != "-" {
        ev.set("http.request.referrer", referrer);
    }
    match quoted(rest) {
        Some(("-", _)) => {}
        Some((agent, _)) => ev.set("user_agent.original", agent),
        // A cut line: keep the agent as far as it goes, flag the line.
        None if rest.len() > 1 && rest.starts_with('"') => {
            ev.set("user_agent.original", &rest[1..]);
            return None;
        }
        None if rest.is_empty() => {}
        None => return None,
    }
    Some(())
}

/// A `"…"` field at the start of `s` (backslash escapes skipped, kept as written) and the rest
/// after the following space.
pub(crate) fn quoted(s: &str) -> Option<(&str, &str)> {
    let body = s.strip_prefix('"')?;
    let b = body.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' => {
                let rest = &body[i + 1..];
                return Some((&body[..i], rest.strip_prefix(' ').unwrap_or(rest)));
            }
            _ => i += 1,
        }
    }
    None
}

/// `METHOD target HTTP/x.y` into ECS fields; garbage (TLS handshakes, probes) is kept whole in
/// `http.request.line` rather than guessed at.
pub(crate) fn request_line(ev: &mut ParsedEvent, request: &str) {
    if request.is_empty() || request == "-" {
        return;
    }
    let (method, rest) = scan::token(request);
    let is_method = !method.is_empty()
        && method.len() <= 20
        && method
            .bytes()
            .all(|c| c.is_ascii_uppercase() || c == b'-' || c == b'_');
    if is_method && !rest.is_empty() {
        ev.set("http.request.method", method);
        match rest.rsplit_once(' ') {
            Some((target, version)) if version.starts_with("HTTP/") => {
                ev.set("url.original", target);
                ev.set("http.version", &version[5..]);
            }
            _ => ev.set("url.original", rest),
        }
    } else {
        ev.set("http.request.line", request);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::flags;
    use chrono::Utc;

    fn run(line: &str) -> ParsedEvent {
        parse(line, &ParseContext::new(Utc::now()))
    }

    #[test]
    fn combined() {
        let ev = run(
            r#"83.149.9.216 - - [17/May/2015:10:05:03 +0000] "GET /presentations/logstash-monitorama-2013/images/kibana-search.png HTTP/1.1" 200 203023 "http://semicomplete.com/presentations/logstash-monitorama-2013/" "Mozilla/5.0 (Macintosh)""#,
        );
        assert_eq!(ev.source_ip.as_deref(), Some("83.149.9.216"));
        assert_eq!(
            ev.timestamp.unwrap().to_rfc3339(),
            "2015-05-17T10:05:03+00:00"
        );
        assert_eq!(ev.fields["http.request.method"], "GET");
        assert_eq!(
            ev.fields["url.original"],
            "/presentations/logstash-monitorama-2013/images/kibana-search.png"
        );
        assert_eq!(ev.fields["http.version"], "1.1");
        assert_eq!(ev.fields["http.response.status_code"], 200);
        assert_eq!(ev.fields["http.response.body.bytes"], 203023);
        assert_eq!(
            ev.fields["http.request.referrer"],
            "http://semicomplete.com/presentations/logstash-monitorama-2013/"
        );
        assert_eq!(ev.fields["user_agent.original"], "Mozilla/5.0 (Macintosh)");
        assert_eq!(ev.event_outcome.as_deref(), Some("success"));
        assert_eq!(ev.event_action.as_deref(), Some("http_request"));
        assert_eq!(ev.message, ev.message.trim());
    }

    #[test]
    fn common_ipv6_user_and_dash_bytes() {
        let ev =
            run(r#"2001:db8::1 - alice [10/Oct/2000:13:55:36 -0700] "POST /login HTTP/1.0" 401 -"#);
        assert_eq!(ev.source_ip.as_deref(), Some("2001:db8::1"));
        assert_eq!(ev.user_name.as_deref(), Some("alice"));
        assert_eq!(
            ev.timestamp.unwrap().to_rfc3339(),
            "2000-10-10T20:55:36+00:00"
        );
        assert!(!ev.fields.contains_key("http.response.body.bytes"));
        assert_eq!(ev.event_outcome.as_deref(), Some("failure"));
        assert_eq!(ev.flags, 0);
    }

    #[test]
    fn malformed_requests_are_kept_whole() {
        let ev = run(
            r#"12.34.56.78 - - [20/Jan/2015:19:53:28 +0100] "\x03\x00\x00/*\xE0\x00" 400 47 "-" "-" "-""#,
        );
        assert_eq!(ev.fields["http.request.line"], r"\x03\x00\x00/*\xE0\x00");
        assert_eq!(ev.fields["http.response.status_code"], 400);
        assert!(!ev.fields.contains_key("http.request.referrer"));
        let ev = run(r#"12.34.56.78 - - [20/Jan/2015:19:53:28 +0100] "" 400 47 "-" "-""#);
        assert!(!ev.fields.contains_key("http.request.method"));
        assert_eq!(ev.flags, 0);
        let ev = run(
            r#"1.2.3.4 - - [20/Jan/2015:19:53:28 +0100] "GET /a\"b HTTP/1.1" 200 1 "-" "x \"q\"""#,
        );
        assert_eq!(ev.fields["url.original"], r#"/a\"b"#);
        assert_eq!(ev.fields["user_agent.original"], r#"x \"q\""#);
    }

    #[test]
    fn truncated_line_is_flagged_with_what_was_read() {
        let line = r#"1.2.3.4 - - [20/Jan/2015:19:53:28 +0100] "GET / HTTP/1.1" 2"#;
        let ev = run(line);
        assert_ne!(ev.flags & flags::PARSE_ERROR, 0);
        assert_eq!(ev.source_ip.as_deref(), Some("1.2.3.4"));
        assert_eq!(ev.fields["http.request.method"], "GET");
        assert_eq!(ev.message, line);
        let line = r#"1.2.3.4 - - [20/May/2015:12:05:17 +0000] "GET / HTTP/1.1" 200 235 "-" "Mozilla/5.0 (compatible"#;
        let ev = run(line);
        assert_eq!(ev.flags, flags::PARSE_ERROR);
        assert_eq!(ev.fields["user_agent.original"], "Mozilla/5.0 (compatible");
        assert_eq!(ev.event_outcome.as_deref(), Some("success"));
    }

    #[test]
    fn detection() {
        assert!(looks_like(
            r#"1.2.3.4 - - [20/Jan/2015:19:53:28 +0100] "GET / HTTP/1.1" 200 1"#
        ));
        assert!(!looks_like("Dec 10 06:55:46 LabSZ sshd[24200]: x"));
        assert!(!looks_like("a=b c=d"));
    }
}
