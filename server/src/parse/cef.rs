//! ArcSight Common Event Format:
//! `CEF:Version|Vendor|Product|Version|Signature ID|Name|Severity|key=value …`.

use super::{ParseContext, ParsedEvent, json::outcome_word, scan, time};

pub(crate) fn parse(line: &str, ctx: &ParseContext) -> ParsedEvent {
    let mut ev = ParsedEvent::new("cef", line);
    let Some(body) = line.strip_prefix("CEF:") else {
        ev.fail(line);
        return ev;
    };
    let (header, extension) = split_header(body);
    const NAMES: [&str; 6] = [
        "cef.version",
        "observer.vendor",
        "observer.product",
        "observer.version",
        "event.code",
        "rule.name",
    ];
    for (name, value) in NAMES.iter().zip(&header) {
        ev.set(name, value.as_str());
    }
    if let Some(name) = header.get(5) {
        name.clone_into(&mut ev.message);
    }
    if let Some(severity) = header.get(6) {
        severity_level(&mut ev, severity);
    }
    match extension {
        Some(ext) if header.len() == 7 => extensions(&mut ev, ext, ctx),
        _ => ev.fail(line),
    }
    ev
}

/// The seven `|`-separated header fields (unescaping `\|` and `\\`) and the extension after the
/// seventh `|`, if the header is complete.
fn split_header(body: &str) -> (Vec<String>, Option<&str>) {
    let mut fields = Vec::with_capacity(7);
    let mut current = String::new();
    let mut chars = body.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some((_, e @ ('|' | '\\'))) => current.push(e),
                Some((_, other)) => {
                    current.push('\\');
                    current.push(other);
                }
                None => current.push('\\'),
            },
            '|' => {
                fields.push(std::mem::take(&mut current));
                if fields.len() == 7 {
                    return (fields, Some(&body[i + 1..]));
                }
            }
            c => current.push(c),
        }
    }
    fields.push(current);
    (fields, None)
}

/// CEF severity: 0-10 or Low/Medium/High/Very-High.
fn severity_level(ev: &mut ParsedEvent, severity: &str) {
    let level = match severity.trim().to_ascii_lowercase().as_str() {
        "0" | "1" | "2" | "3" | "low" => "info",
        "4" | "5" | "6" | "medium" => "warning",
        "7" | "8" | "high" => "error",
        "9" | "10" | "very-high" => "critical",
        _ => return,
    };
    ev.level = Some(level.to_owned());
    if let Ok(n) = severity.trim().parse::<u8>() {
        ev.set("event.severity", n);
    }
}

fn is_key_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'[' | b']' | b'-')
}

/// `key=value` pairs where values run until the space before the next key and may contain
/// spaces; an escaped `\=` never starts a key.
fn extensions(ev: &mut ParsedEvent, ext: &str, ctx: &ParseContext) {
    let b = ext.as_bytes();
    // (key start, '=' position)
    let mut keys = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 1,
            b'=' => {
                let mut k = i;
                while k > 0 && is_key_byte(b[k - 1]) {
                    k -= 1;
                }
                if k < i && (k == 0 || b[k - 1] == b' ') {
                    keys.push((k, i));
                }
            }
            _ => {}
        }
        i += 1;
    }
    for (n, &(start, eq)) in keys.iter().enumerate() {
        let end = keys.get(n + 1).map_or(b.len(), |&(next, _)| next);
        let key = &ext[start..eq];
        let value = unescape(ext[eq + 1..end].trim_end());
        apply(ev, key, value, ctx);
    }
}

fn unescape(v: &str) -> String {
    if !v.contains('\\') {
        return v.to_owned();
    }
    let mut out = String::with_capacity(v.len());
    let mut chars = v.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some(e @ ('=' | '\\' | '|')) => out.push(e),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

fn apply(ev: &mut ParsedEvent, key: &str, value: String, ctx: &ParseContext) {
    match key {
        "src" | "c6a2" => scan::set_source(ev, &value),
        "dst" | "c6a3" => scan::set_destination(ev, &value),
        "spt" => ev.source_port = scan::port(&value),
        "dpt" => ev.destination_port = scan::port(&value),
        "suser" => ev.user_name = Some(value),
        "duser" => {
            if ev.user_name.is_none() {
                ev.user_name = Some(value.clone());
            }
            ev.set("destination.user.name", value);
        }
        "act" => ev.event_action = Some(value),
        "outcome" => {
            ev.event_outcome = Some(outcome_word(&value).unwrap_or("unknown").to_owned());
            ev.set("cef.outcome", value);
        }
        "dvchost" => ev.host = Some(value),
        "shost" => ev.set("source.domain", value),
        "dhost" => ev.set("destination.domain", value),
        "proto" => ev.set("network.transport", value.to_ascii_lowercase()),
        "app" => ev.set("network.protocol", value),
        "request" => ev.set("url.original", value),
        "requestMethod" => ev.set("http.request.method", value),
        "requestClientApplication" => ev.set("user_agent.original", value),
        "spid" | "dvcpid" => ev.pid = value.parse().ok(),
        "sproc" | "dproc" if ev.process.is_none() => ev.process = Some(value),
        "rt" | "end" if ev.timestamp.is_none() => {
            ev.timestamp = match value.parse::<i64>() {
                Ok(ms) => time::from_epoch_millis(ms),
                Err(_) => time::parse_iso(&value, ctx.default_offset).map(|(t, _)| t),
            };
            ev.set(&format!("cef.extension.{key}"), value);
        }
        _ => ev.set(&format!("cef.extension.{key}"), value),
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
    fn header_and_extension() {
        let ev = run(
            r"CEF:0|Security|threatmanager|1.0|100|worm successfully stopped|10|src=10.0.0.1 dst=2.1.2.2 spt=1232 dpt=22 suser=alice act=blocked outcome=success msg=a b c rt=1700000000000",
        );
        assert_eq!(ev.parser, "cef");
        assert_eq!(ev.fields["observer.vendor"], "Security");
        assert_eq!(ev.fields["observer.product"], "threatmanager");
        assert_eq!(ev.fields["event.code"], "100");
        assert_eq!(ev.message, "worm successfully stopped");
        assert_eq!(ev.level.as_deref(), Some("critical"));
        assert_eq!(ev.source_ip.as_deref(), Some("10.0.0.1"));
        assert_eq!(ev.destination_ip.as_deref(), Some("2.1.2.2"));
        assert_eq!(
            (ev.source_port, ev.destination_port),
            (Some(1232), Some(22))
        );
        assert_eq!(ev.user_name.as_deref(), Some("alice"));
        assert_eq!(ev.event_action.as_deref(), Some("blocked"));
        assert_eq!(ev.event_outcome.as_deref(), Some("success"));
        assert_eq!(ev.fields["cef.extension.msg"], "a b c");
        assert_eq!(ev.timestamp.unwrap().timestamp(), 1_700_000_000);
        assert_eq!(ev.flags, 0);
    }

    #[test]
    fn escapes() {
        let ev = run(
            r"CEF:0|ven\|dor|pro\\duct|1|sig|Name with \| pipe|Low|cs1=a\=b c\\d cs1Label=x\ny fname=C:\\tmp\\a.txt",
        );
        assert_eq!(ev.fields["observer.vendor"], "ven|dor");
        assert_eq!(ev.fields["observer.product"], r"pro\duct");
        assert_eq!(ev.message, "Name with | pipe");
        assert_eq!(ev.level.as_deref(), Some("info"));
        assert_eq!(ev.fields["cef.extension.cs1"], r"a=b c\d");
        assert_eq!(ev.fields["cef.extension.cs1Label"], "x\ny");
        assert_eq!(ev.fields["cef.extension.fname"], r"C:\tmp\a.txt");
    }

    #[test]
    fn incomplete_header_is_flagged() {
        let line = "CEF:0|Vendor|Product|1.0";
        let ev = run(line);
        assert_ne!(ev.flags & flags::PARSE_ERROR, 0);
        assert_eq!(ev.fields["observer.vendor"], "Vendor");
        assert_eq!(ev.message, line);
    }

    #[test]
    fn empty_extension_is_fine() {
        let ev = run("CEF:1|V|P|1|sig|Name|5|");
        assert_eq!(ev.flags, 0);
        assert_eq!(ev.level.as_deref(), Some("warning"));
        assert_eq!(ev.fields["event.severity"], 5);
    }
}
