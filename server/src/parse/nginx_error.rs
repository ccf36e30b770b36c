//! nginx error logs: `yyyy/mm/dd hh:mm:ss [level] pid#tid: *cid message, client: …, server: …,
//! request: "…", host: "…"`.

use super::{ParseContext, ParsedEvent, apache_access, apache_error, normalize_level, scan, time};

/// `yyyy/mm/dd hh:mm:ss [`
pub(crate) fn looks_like(line: &str) -> bool {
    let b = line.as_bytes();
    b.len() > 21
        && b[4] == b'/'
        && b[7] == b'/'
        && b[10] == b' '
        && b[13] == b':'
        && b[19] == b' '
        && b[20] == b'['
        && b[..4].iter().all(u8::is_ascii_digit)
}

pub(crate) fn parse(line: &str, ctx: &ParseContext) -> ParsedEvent {
    let mut ev = ParsedEvent::new("nginx_error", line);
    // `get`, not indexing: a line that only resembles the layout may have a multi-byte
    // character where the layout has ASCII.
    ev.timestamp = line
        .get(..19)
        .and_then(|stamp| time::parse_slashed(stamp, ctx.default_offset));
    let Some((level, rest)) = line.get(21..).and_then(|l| l.split_once("] ")) else {
        ev.fail(line);
        return ev;
    };
    ev.level = Some(normalize_level(level));
    let mut rest = rest;
    if let Some((ids, after)) = rest.split_once(": ")
        && let Some((pid, tid)) = ids.split_once('#')
        && let Ok(pid) = pid.parse::<i64>()
    {
        ev.pid = Some(pid);
        if let Ok(tid) = tid.parse::<i64>() {
            ev.set("process.thread.id", tid);
        }
        rest = after;
    }
    if let Some(after) = rest.strip_prefix('*')
        && let Some((cid, after)) = after.split_once(' ')
        && let Ok(cid) = cid.parse::<u64>()
    {
        ev.set("nginx.connection_id", cid);
        rest = after;
    }
    // nginx appends the context last; the message before it may echo client-supplied text, so
    // the last `, client: ` is the real one.
    let msg = match rest.rfind(", client: ") {
        Some(i) => {
            context(&mut ev, &rest[i + 2..]);
            &rest[..i]
        }
        None => rest,
    };
    msg.clone_into(&mut ev.message);
    if ev.timestamp.is_none() {
        ev.fail(line);
    }
    apache_error::classify(&mut ev);
    ev
}

/// `client: X, server: Y, request: "…", upstream: "…", host: "…", referrer: "…"`
fn context(ev: &mut ParsedEvent, mut rest: &str) {
    while let Some((key, after)) = rest.split_once(": ") {
        let (value, next) = if after.starts_with('"') {
            match apache_access::quoted(after) {
                Some((v, next)) => (v, next),
                None => (after.trim_matches('"'), ""),
            }
        } else {
            match after.split_once(", ") {
                Some((v, next)) => (v, next),
                None => (after, ""),
            }
        };
        let next = next.trim_start_matches(',').trim_start();
        match key {
            "client" => scan::set_source(ev, value),
            "server" if !value.is_empty() => ev.set("nginx.server", value),
            "request" => apache_access::request_line(ev, value),
            "host" => ev.set("url.domain", value),
            "referrer" => ev.set("http.request.referrer", value),
            "upstream" => ev.set("nginx.upstream", value),
            _ => {}
        }
        rest = next;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn run(line: &str) -> ParsedEvent {
        parse(line, &ParseContext::new(Utc::now()))
    }

    /// Found by `parse::props`: a line that only resembles the layout, with a multi-byte
    /// character where the layout has ASCII, panicked on a slice inside that character.
    #[test]
    fn a_multi_byte_char_in_the_layout_is_a_parse_error() {
        for line in [
            "2011/11/11 11:11:1é [error] x",
            "2011/11/11 11:11:11 é",
            "é",
        ] {
            let ev = run(line);
            assert_ne!(ev.flags & crate::parse::flags::PARSE_ERROR, 0, "{line}");
            assert_eq!(ev.message, line);
        }
    }

    #[test]
    fn full_context() {
        let ev = run(
            r#"2015/01/21 10:56:10 [error] 2833#0: *16336 open() "/var/www/site/cgi-bin/php4" failed (2: No such file or directory), client: 5.7.9.2, server: localhost, request: "GET /cgi-bin/php4 HTTP/1.1", host: "1.2.3.4""#,
        );
        assert_eq!(
            ev.timestamp.unwrap().to_rfc3339(),
            "2015-01-21T10:56:10+00:00"
        );
        assert_eq!(ev.level.as_deref(), Some("error"));
        assert_eq!(ev.pid, Some(2833));
        assert_eq!(ev.fields["nginx.connection_id"], 16336);
        assert_eq!(ev.source_ip.as_deref(), Some("5.7.9.2"));
        assert_eq!(ev.fields["http.request.method"], "GET");
        assert_eq!(ev.fields["url.original"], "/cgi-bin/php4");
        assert_eq!(ev.fields["url.domain"], "1.2.3.4");
        assert_eq!(ev.fields["nginx.server"], "localhost");
        assert_eq!(
            ev.message,
            r#"open() "/var/www/site/cgi-bin/php4" failed (2: No such file or directory)"#
        );
        assert_eq!(ev.event_action.as_deref(), Some("http_error"));
    }

    #[test]
    fn auth_failure_with_injection_uses_the_last_client() {
        let ev = run(
            r#"2014/04/03 22:20:40 [error] 30708#0: *3 user "test": password mismatch, client: 127.0.0.1, server: test, request: "GET / HTTP/1.1", host: "localhost:8443"": was not found in "/etc/nginx/.htpasswd", client: 192.0.2.2, server: , request: "GET / HTTP/1.1", host: "localhost:8443""#,
        );
        assert_eq!(ev.source_ip.as_deref(), Some("192.0.2.2"));
        assert_eq!(ev.event_action.as_deref(), Some("http_auth_failure"));
        let ev = run(
            r#"2012/04/09 11:53:29 [error] 2865#0: *66647 user "xyz" was not found in "/var/www/.htpasswd", client: 192.0.43.10, server: www.myhost.com, request: "GET / HTTP/1.1", host: "www.myhost.com""#,
        );
        assert_eq!(ev.user_name.as_deref(), Some("xyz"));
        assert_eq!(ev.event_outcome.as_deref(), Some("failure"));
    }

    #[test]
    fn ipv6_client_and_no_context() {
        let ev = run(
            r#"2025/11/05 20:47:03 [error] 24537#230441: *914 open() "/x" failed (2: No such file or directory), client: fdfd:ace:ace:7::17a, server: , request: "GET /x HTTP/2.0", host: "firewall.lan""#,
        );
        assert_eq!(ev.source_ip.as_deref(), Some("fdfd:ace:ace:7::17a"));
        assert_eq!(ev.fields["http.version"], "2.0");
        assert!(!ev.fields.contains_key("nginx.server"));
        let ev = run("2011/11/11 11:11:11 [notice] 1234#0: signal process started");
        assert_eq!(ev.message, "signal process started");
        assert_eq!(ev.level.as_deref(), Some("notice"));
    }
}
