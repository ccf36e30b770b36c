//! Tests against the vendored third-party corpus in `server/tests/fixtures/corpus` (see its
//! SOURCES.md). Fixtures are embedded with `include_str!` so the tests need no working directory.

mod auto;
mod elastic_auth;
mod fail2ban;
mod network;
mod openssh_loghub;
mod syslog_fixtures;
mod web;

use chrono::{DateTime, Utc};

use super::{ParseContext, ParsedEvent, ParserKind, parse_bytes};

/// A context whose year reference is `reference` (RFC 3339).
pub(crate) fn ctx_at(reference: &str) -> ParseContext {
    let t = DateTime::parse_from_rfc3339(reference)
        .expect("valid reference time")
        .with_timezone(&Utc);
    ParseContext::new(t)
}

/// The lines of a file as a line reader sees them: split on `\n`, a final unterminated line
/// included, no phantom empty line after a final `\n`.
pub(crate) fn lines(text: &str) -> Vec<&str> {
    let text = text.strip_suffix('\n').unwrap_or(text);
    if text.is_empty() {
        return Vec::new();
    }
    text.split('\n').collect()
}

/// Parses every line the way an ingest source does (sanitize, then parse).
pub(crate) fn parse_all(kind: ParserKind, text: &str, ctx: &ParseContext) -> Vec<ParsedEvent> {
    lines(text)
        .into_iter()
        .map(|l| parse_bytes(kind, l.as_bytes(), ctx))
        .collect()
}

/// Minimal RFC 4180 reader: quoted fields, `""` escapes, newlines inside quotes.
pub(crate) fn csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') if field.is_empty() => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => field.push(c),
        }
    }
    if !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push(row);
    }
    rows
}

/// `# failJSON: {...}` annotations paired with the next log line that is not a comment or
/// blank: (annotation, line).
pub(crate) fn fail_json(text: &str) -> Vec<(serde_json::Value, &str)> {
    let mut out = Vec::new();
    let mut pending: Option<serde_json::Value> = None;
    for line in lines(text) {
        if let Some(json) = line.strip_prefix("# failJSON:") {
            pending = Some(serde_json::from_str(json.trim()).expect("fail2ban annotation is json"));
        } else if line.starts_with('#') || line.trim().is_empty() {
            continue;
        } else if let Some(note) = pending.take() {
            out.push((note, line));
        }
    }
    out
}

#[test]
fn csv_reader() {
    let rows = csv("a,\"b,c\",\"d \"\"e\"\"\"\r\n1,,3\nlast,x");
    assert_eq!(
        rows,
        vec![
            vec!["a", "b,c", "d \"e\""],
            vec!["1", "", "3"],
            vec!["last", "x"]
        ]
    );
}

#[test]
fn line_splitting() {
    assert_eq!(lines("a\nb\n"), vec!["a", "b"]);
    assert_eq!(lines("a\nb"), vec!["a", "b"]);
    assert_eq!(lines("a\n\nb"), vec!["a", "", "b"]);
    assert!(lines("").is_empty());
}
