//! RFC 5424 syslog: `<PRI>VERSION TIMESTAMP HOST APP PROCID MSGID [SD…] MSG`, with structured
//! data kept under `syslog.structured_data`.

use serde_json::{Map, Value};

use super::syslog3164::{apply_pri, keep_line_if_broken, pri};
use super::{ParseContext, ParsedEvent, program, time};

/// `<PRI>` then a version of one to two digits and a space.
pub(crate) fn looks_like(line: &str) -> bool {
    let Some((_, used)) = pri(line) else {
        return false;
    };
    let b = &line.as_bytes()[used..];
    let n = b.iter().take(3).take_while(|c| c.is_ascii_digit()).count();
    (1..=2).contains(&n) && b.get(n) == Some(&b' ') && b[0] != b'0'
}

/// One header field: the text up to the next space, `None` for the NILVALUE `-`.
fn field(rest: &str) -> (Option<&str>, &str) {
    let (f, after) = super::scan::token(rest);
    ((f != "-" && !f.is_empty()).then_some(f), after)
}

pub(crate) fn parse(line: &str, ctx: &ParseContext) -> ParsedEvent {
    let mut ev = ParsedEvent::new("syslog5424", line);
    let Some((p, used)) = pri(line) else {
        ev.fail(line);
        return ev;
    };
    apply_pri(&mut ev, p);
    let (version, rest) = super::scan::token(&line[used..]);
    ev.set("syslog.version", version);
    // Only version 1 is defined; anything else is a different or damaged format.
    let mut broken = version != "1";

    let (stamp, rest) = field(rest);
    if let Some(stamp) = stamp {
        match time::parse_iso(stamp, ctx.default_offset) {
            Some((ts, n)) if n == stamp.len() => ev.timestamp = Some(ts),
            _ => broken = true,
        }
    }
    let (host, rest) = field(rest);
    let (app, rest) = field(rest);
    let (procid, rest) = field(rest);
    let (msgid, rest) = field(rest);
    ev.host = host.map(str::to_owned);
    if let Some(procid) = procid {
        match procid.parse::<i64>() {
            Ok(pid) => ev.pid = Some(pid),
            Err(_) => ev.set("syslog.procid", procid),
        }
    }
    if let Some(msgid) = msgid {
        ev.set("syslog.msgid", msgid);
    }

    let msg = if let Some(after) = rest.strip_prefix('-') {
        after
    } else if rest.starts_with('[') {
        match structured_data(rest) {
            Some((sd, after)) => {
                ev.set("syslog.structured_data", Value::Object(sd));
                after
            }
            None => {
                broken = true;
                ""
            }
        }
    } else {
        if app.is_none() && host.is_none() {
            broken = true;
        }
        rest
    };
    let msg = msg.strip_prefix(' ').unwrap_or(msg);
    let msg = msg.strip_prefix('\u{feff}').unwrap_or(msg);
    keep_line_if_broken(program::dispatch(ev, app, msg, ctx), line, broken)
}

/// Reads `[id k="v" …][id2 …]`; values unescape `\"`, `\\` and `\]`. Returns the elements keyed
/// by SD-ID and the text after the last `]`, or `None` when the brackets never close properly.
fn structured_data(s: &str) -> Option<(Map<String, Value>, &str)> {
    let mut out = Map::new();
    let mut rest = s;
    while let Some(body) = rest.strip_prefix('[') {
        let id_end = body.find([' ', ']'])?;
        let id = &body[..id_end];
        let mut params = Map::new();
        let mut r = &body[id_end..];
        loop {
            r = r.trim_start_matches(' ');
            if let Some(after) = r.strip_prefix(']') {
                r = after;
                break;
            }
            let eq = r.find('=')?;
            let name = &r[..eq];
            let value_start = r[eq + 1..].strip_prefix('"')?;
            let (value, after) = quoted(value_start)?;
            params.insert(name.to_owned(), Value::String(value));
            r = after;
        }
        out.insert(id.to_owned(), Value::Object(params));
        rest = r;
    }
    Some((out, rest))
}

/// The value up to the closing unescaped quote, unescaped, and the text after that quote.
fn quoted(s: &str) -> Option<(String, &str)> {
    let mut value = String::new();
    let mut chars = s.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Some((value, &s[i + 1..])),
            '\\' => match chars.next() {
                Some((_, e @ ('"' | '\\' | ']'))) => value.push(e),
                // RFC 5424: any other backslash is kept as written.
                Some((_, other)) => {
                    value.push('\\');
                    value.push(other);
                }
                None => return None,
            },
            c => value.push(c),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::flags;
    use chrono::{DateTime, Utc};

    fn ctx() -> ParseContext {
        ParseContext::new("2024-06-01T00:00:00Z".parse::<DateTime<Utc>>().unwrap())
    }

    #[test]
    fn rfc_example_without_sd() {
        let ev = parse(
            "<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It's time to make the do-nuts.",
            &ctx(),
        );
        assert_eq!(ev.parser, "syslog5424");
        assert_eq!(
            ev.timestamp.unwrap().to_rfc3339(),
            "2003-08-24T12:14:15.000003+00:00"
        );
        assert_eq!(ev.host.as_deref(), Some("192.0.2.1"));
        assert_eq!(ev.process.as_deref(), Some("myproc"));
        assert_eq!(ev.pid, Some(8710));
        assert_eq!(ev.fields["syslog.facility"], 20);
        assert_eq!(ev.level.as_deref(), Some("notice"));
        assert_eq!(ev.message, "%% It's time to make the do-nuts.");
        assert_eq!(ev.flags, 0);
    }

    #[test]
    fn structured_data_with_escapes_and_bom() {
        let ev = parse(
            "<190>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut=\"3\" eventID=\"10\\] 11\" q=\"a\\\"b\\\\c\"][examplePriority@32473 class=\"high\"] \u{feff}An application event",
            &ctx(),
        );
        let sd = &ev.fields["syslog.structured_data"];
        assert_eq!(sd["exampleSDID@32473"]["eventID"], "10] 11");
        assert_eq!(sd["exampleSDID@32473"]["q"], "a\"b\\c");
        assert_eq!(sd["examplePriority@32473"]["class"], "high");
        assert_eq!(ev.fields["syslog.msgid"], "ID47");
        assert_eq!(ev.pid, None);
        assert_eq!(ev.message, "An application event");
        assert_eq!(ev.flags, 0);
    }

    #[test]
    fn bad_timestamp_is_flagged_but_fields_kept() {
        let line = "<34>1 203-10-11T22:14:15.003Z mymachine.example.com su - ID47 - BOM'su root' failed for lonvick on /dev/pts/8";
        let ev = parse(line, &ctx());
        assert_ne!(ev.flags & flags::PARSE_ERROR, 0);
        assert_eq!(ev.message, line);
        assert_eq!(ev.host.as_deref(), Some("mymachine.example.com"));
        assert_eq!(ev.timestamp, None);
    }

    #[test]
    fn unterminated_sd_is_flagged() {
        let ev = parse("<34>1 - host app - - [id a=\"b", &ctx());
        assert_ne!(ev.flags & flags::PARSE_ERROR, 0);
    }

    #[test]
    fn detection() {
        assert!(looks_like("<34>1 2003"));
        assert!(looks_like("<1>12 - mymachine"));
        assert!(!looks_like("<34>Oct 11"));
        assert!(!looks_like("<190)1 2003"));
        assert!(!looks_like("1 2003-10-11T22:14:15.003Z"));
    }

    #[test]
    fn sshd_payload_is_dispatched() {
        let ev = parse(
            "<38>1 2019-07-08T17:40:17.954167-04:00 hostname.example.com sshd 55555 - [timeQuality tzKnown=\"1\" isSynced=\"0\"][xxx@123 test=\"[brackets]\"] Failed unknown for invalid user redmond from 192.0.2.2 port 55555 ssh2",
            &ctx(),
        );
        assert_eq!(ev.parser, "sshd");
        assert_eq!(ev.source_ip.as_deref(), Some("192.0.2.2"));
        assert_eq!(ev.event_outcome.as_deref(), Some("failure"));
        assert_eq!(
            ev.fields["syslog.structured_data"]["xxx@123"]["test"],
            "[brackets]"
        );
    }
}
