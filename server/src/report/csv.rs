//! CSV as Vigil writes it (RFC 4180, CRLF line ends), safe to open in a spreadsheet.
//!
//! Log content is attacker-controlled and spreadsheets run formulas: a text cell that begins
//! with `=`, `+`, `-`, `@`, a tab or a carriage return is written with a leading `'`, so it is
//! read as text. Every CSV Vigil produces (the events export, every report) goes through
//! [`text_cell`].

use crate::store::bronze_event_data;

/// The event columns, in order, as the header row names them.
pub const EVENT_COLUMNS: [&str; 20] = [
    "id",
    "timestamp",
    "received_at",
    "host",
    "source",
    "parser",
    "level",
    "event_category",
    "event_action",
    "event_outcome",
    "source_ip",
    "source_port",
    "destination_ip",
    "destination_port",
    "user_name",
    "process",
    "pid",
    "flags",
    "message",
    "raw",
];

/// A cell Vigil wrote itself (numbers, instants), or one with logged or user-given text.
pub enum Cell<'a> {
    Plain(String),
    Text(Option<&'a str>),
}

/// Writes one row of cells and the line end.
pub fn row(out: &mut String, cells: &[Cell]) {
    for (i, cell) in cells.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        match cell {
            Cell::Plain(s) => out.push_str(s),
            Cell::Text(Some(s)) => text_cell(out, s),
            Cell::Text(None) => {}
        }
    }
    out.push_str("\r\n");
}

/// Writes a header or a row made of text only.
pub fn text_row<S: AsRef<str>>(out: &mut String, cells: &[S]) {
    let cells: Vec<Cell> = cells.iter().map(|c| Cell::Text(Some(c.as_ref()))).collect();
    row(out, &cells);
}

/// An instant as every CSV and report writes it.
pub fn instant(t: &chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

/// One stored event as a row under [`EVENT_COLUMNS`].
pub fn event_row(out: &mut String, row_: &bronze_event_data::Model) {
    let num = |n: Option<i64>| n.map(|n| n.to_string()).unwrap_or_default();
    let r = row_;
    row(
        out,
        &[
            Cell::Plain(r.id.to_string()),
            Cell::Plain(instant(&r.timestamp)),
            Cell::Plain(instant(&r.received_at)),
            Cell::Text(r.host.as_deref()),
            Cell::Text(Some(&r.source)),
            Cell::Text(Some(&r.parser)),
            Cell::Text(r.level.as_deref()),
            Cell::Text(r.event_category.as_deref()),
            Cell::Text(r.event_action.as_deref()),
            Cell::Text(r.event_outcome.as_deref()),
            Cell::Text(r.source_ip.as_deref()),
            Cell::Plain(num(r.source_port.map(i64::from))),
            Cell::Text(r.destination_ip.as_deref()),
            Cell::Plain(num(r.destination_port.map(i64::from))),
            Cell::Text(r.user_name.as_deref()),
            Cell::Text(r.process.as_deref()),
            Cell::Plain(num(r.pid)),
            Cell::Plain(r.flags.to_string()),
            Cell::Text(Some(&r.message)),
            Cell::Text(Some(&r.raw)),
        ],
    );
}

/// Writes text as one CSV cell: defused against formulas, quoted when needed (RFC 4180).
pub fn text_cell(out: &mut String, value: &str) {
    let formula = value.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let quote = formula || value.contains([',', '"', '\n', '\r']) || value.starts_with(' ');
    if quote {
        out.push('"');
    }
    if formula {
        out.push('\'');
    }
    for c in value.chars() {
        if c == '"' {
            out.push('"');
        }
        out.push(c);
    }
    if quote {
        out.push('"');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(value: &str) -> String {
        let mut out = String::new();
        text_cell(&mut out, value);
        out
    }

    #[test]
    fn formulas_are_written_as_text() {
        assert_eq!(cell("=1+2"), "\"'=1+2\"");
        assert_eq!(cell("+cmd"), "\"'+cmd\"");
        assert_eq!(cell("-2"), "\"'-2\"");
        assert_eq!(cell("@SUM(A1)"), "\"'@SUM(A1)\"");
        assert_eq!(cell("\tx"), "\"'\tx\"");
        assert_eq!(cell("\rx"), "\"'\rx\"");
        assert_eq!(cell("a=b"), "a=b", "only a leading sign starts a formula");
    }

    #[test]
    fn separators_and_quotes_are_quoted() {
        assert_eq!(cell("plain"), "plain");
        assert_eq!(cell("a,b"), "\"a,b\"");
        assert_eq!(cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(cell("two\nlines"), "\"two\nlines\"");
        assert_eq!(cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
    }

    #[test]
    fn rows_mix_plain_and_text_cells() {
        let mut out = String::new();
        row(
            &mut out,
            &[
                Cell::Plain("7".into()),
                Cell::Text(None),
                Cell::Text(Some("-x")),
            ],
        );
        assert_eq!(out, "7,,\"'-x\"\r\n");
    }
}
