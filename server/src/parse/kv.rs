//! logfmt and other `key=value` lines (quoted values may hold spaces and `\"`); common keys map
//! onto the event as for JSON, the rest stay in `fields`.

use serde_json::{Map, Value};

use super::{ParseContext, ParsedEvent, json};

fn is_key_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-' | b'/' | b'@')
}

/// The line opens with `key=`.
pub(crate) fn looks_like(line: &str) -> bool {
    let b = line.as_bytes();
    let n = b.iter().take_while(|&&c| is_key_byte(c)).count();
    n > 0 && b.get(n) == Some(&b'=')
}

pub(crate) fn parse(line: &str, ctx: &ParseContext) -> ParsedEvent {
    let mut ev = ParsedEvent::new("kv", line);
    let (map, clean) = pairs(line);
    if map.is_empty() {
        ev.fail(line);
        return ev;
    }
    json::generic(&mut ev, map, ctx);
    if !clean {
        ev.fail(line);
    }
    ev
}

/// The pairs, and whether the whole line was well-formed.
fn pairs(line: &str) -> (Map<String, Value>, bool) {
    let b = line.as_bytes();
    let mut map = Map::new();
    let mut clean = true;
    let mut i = 0;
    while i < b.len() {
        if b[i] == b' ' || b[i] == b'\t' {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && is_key_byte(b[i]) {
            i += 1;
        }
        let key = &line[start..i];
        if i >= b.len() || b[i] == b' ' || b[i] == b'\t' {
            // logfmt: a bare key is a true flag
            if key.is_empty() {
                clean = false;
            } else {
                map.insert(key.to_owned(), Value::Bool(true));
            }
            continue;
        }
        if b[i] != b'=' || key.is_empty() {
            clean = false;
            while i < b.len() && b[i] != b' ' {
                i += 1;
            }
            continue;
        }
        i += 1;
        let value = if b.get(i) == Some(&b'"') {
            let (value, used, closed) = quoted(&line[i + 1..]);
            clean &= closed;
            i += 1 + used;
            value
        } else {
            let s = i;
            while i < b.len() && b[i] != b' ' && b[i] != b'\t' {
                i += 1;
            }
            line[s..i].to_owned()
        };
        map.insert(key.to_owned(), Value::String(value));
    }
    (map, clean)
}

/// Reads up to the closing quote: (unescaped value, bytes consumed incl. the quote, closed?).
fn quoted(s: &str) -> (String, usize, bool) {
    let mut out = String::new();
    let mut chars = s.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return (out, i + 1, true),
            '\\' => match chars.next() {
                Some((_, 'n')) => out.push('\n'),
                Some((_, 't')) => out.push('\t'),
                Some((_, e)) => {
                    if e != '"' && e != '\\' {
                        out.push('\\');
                    }
                    out.push(e);
                }
                None => out.push('\\'),
            },
            c => out.push(c),
        }
    }
    (out, s.len(), false)
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
    fn logfmt() {
        let ev = run(
            r#"time=2024-03-01T10:00:00Z level=warn msg="login failed for \"bob\"" src_ip=10.1.2.3 user=bob action=login status=failed duration=12ms debug"#,
        );
        assert_eq!(ev.parser, "kv");
        assert_eq!(
            ev.timestamp.unwrap().to_rfc3339(),
            "2024-03-01T10:00:00+00:00"
        );
        assert_eq!(ev.level.as_deref(), Some("warning"));
        assert_eq!(ev.message, "login failed for \"bob\"");
        assert_eq!(ev.source_ip.as_deref(), Some("10.1.2.3"));
        assert_eq!(ev.user_name.as_deref(), Some("bob"));
        assert_eq!(ev.event_outcome.as_deref(), Some("failure"));
        assert_eq!(ev.fields["duration"], "12ms");
        assert_eq!(ev.fields["debug"], true);
        assert_eq!(ev.flags, 0);
    }

    #[test]
    fn pid_and_ports_from_text() {
        let ev = run("src=1.2.3.4 sport=5555 dst=5.6.7.8 dport=22 pid=42");
        assert_eq!(ev.source_port, Some(5555));
        assert_eq!(ev.destination_ip.as_deref(), Some("5.6.7.8"));
        assert_eq!(ev.destination_port, Some(22));
        assert_eq!(ev.pid, Some(42));
        assert_eq!(
            ev.message,
            "src=1.2.3.4 sport=5555 dst=5.6.7.8 dport=22 pid=42"
        );
    }

    #[test]
    fn unterminated_quote_is_flagged_but_kept() {
        let ev = run(r#"a=1 msg="never closed"#);
        assert_ne!(ev.flags & flags::PARSE_ERROR, 0);
        assert_eq!(ev.fields["a"], "1");
    }

    #[test]
    fn detection() {
        assert!(looks_like("a=b"));
        assert!(looks_like("http.status=200 x=y"));
        assert!(!looks_like("=b"));
        assert!(!looks_like("hello world a=b"));
    }
}
