//! The parse stage: a thread of its own that turns submissions into rows, in order.

use std::collections::HashMap;

use tokio::sync::mpsc;

use super::{EventRow, Submission};
use crate::parse::{self, ParseContext, ParserKind, flags};

/// A parsed submission on its way to the writer.
pub struct Parsed {
    pub rows: Vec<EventRow>,
    pub checkpoint: Option<super::CheckpointMark>,
    pub ack: Option<tokio::sync::oneshot::Sender<Result<(), super::IngestError>>>,
}

/// A step between parsing and storing that changes events, such as enrichment (GeoIP, threat
/// intelligence): it sees every parsed batch, in order, and may change or add to its events.
/// Detection is not a hook: it produces output (alerts, state) that must join the batch's
/// transaction and needs the events' ids, so it runs in the writer (see `crate::detect`).
pub trait EventHook: Send + Sync {
    /// A short name, for logs.
    fn name(&self) -> &'static str;
    fn apply(&self, rows: &mut Vec<EventRow>);
}

/// Runs the stage until every sender is gone.
pub fn spawn(
    mut rx: mpsc::Receiver<Submission>,
    tx: mpsc::Sender<Parsed>,
    hooks: Vec<std::sync::Arc<dyn EventHook>>,
) {
    std::thread::Builder::new()
        .name("vigil-parse".into())
        .spawn(move || {
            while let Some(sub) = rx.blocking_recv() {
                let mut parsed = parse_submission(sub);
                for hook in &hooks {
                    hook.apply(&mut parsed.rows);
                }
                if tx.blocking_send(parsed).is_err() {
                    break;
                }
            }
        })
        .expect("the parse thread starts");
}

/// Parses every line of a submission. Never fails: a line nothing understands is a `raw` row.
pub fn parse_submission(sub: Submission) -> Parsed {
    let Submission {
        source,
        parser,
        reference_time,
        lines,
        checkpoint,
        fields,
        zeek,
        ack,
    } = sub;
    let mut rows = Vec::with_capacity(lines.len());
    let mut flagged: HashMap<&'static str, u64> = HashMap::new();
    let mut zeek = zeek
        .as_ref()
        .map(|z| z.lock().unwrap_or_else(|e| e.into_inner()));
    for line in lines {
        let mut ctx = ParseContext::new(line.received_at);
        if let Some(reference) = reference_time {
            ctx.reference_time = reference;
        }
        let (text, bits) = parse::sanitize(&line.bytes);
        let ev = match (parser, zeek.as_deref_mut()) {
            (ParserKind::Zeek, Some(state)) => match state.feed(&text, &ctx) {
                Some(ev) => ev,
                // A header line: it shapes the rows after it and is not an event.
                None => continue,
            },
            _ => parse::parse_line(parser, &text, &ctx),
        };
        let mut row = EventRow::new(ev, text.into_owned(), line.received_at, source.name.clone());
        row.flags |= bits;
        if let Some(shared) = &fields {
            row.fields
                .extend(shared.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        if let Some(extra) = line.extra {
            row.fields.extend(extra);
        }
        if row.flags & !flags::TIMESTAMP_INFERRED != 0 {
            *flagged.entry(row.parser).or_default() += 1;
        }
        rows.push(row);
    }
    for (parser, n) in flagged {
        metrics::counter!("vigil_ingest_flagged_total", "source" => source.name.to_string(), "parser" => parser)
            .increment(n);
    }
    Parsed {
        rows,
        checkpoint,
        ack,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use chrono::Utc;
    use proptest::prelude::*;

    use super::*;
    use crate::ingest::{RawLine, SourceRef};
    use crate::parse::ZeekState;

    fn submission(kind: ParserKind, lines: &[Vec<u8>]) -> Submission {
        let source = SourceRef {
            id: 1,
            name: "props".into(),
        };
        let now = Utc::now();
        let lines = lines.iter().map(|b| RawLine::new(b.clone(), now)).collect();
        Submission::new(source, kind, lines)
    }

    fn line() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            prop::collection::vec(any::<u8>(), 0..80),
            "(#|<13>|Oct 11 22:14:15 h sshd[1]: |\\{|CEF:0\\|)?.{0,60}"
                .prop_map(String::into_bytes),
        ]
    }

    proptest! {
        #![proptest_config(crate::parse::props_config(128))]

        /// Every line becomes exactly one row, in order, its stored text the sanitized line.
        #[test]
        fn every_line_is_one_row_with_its_text(
            kind in prop::sample::select(&ParserKind::ALL[..]),
            lines in prop::collection::vec(line(), 0..20),
        ) {
            let parsed = parse_submission(submission(kind, &lines));
            prop_assert_eq!(parsed.rows.len(), lines.len());
            for (row, bytes) in parsed.rows.iter().zip(&lines) {
                prop_assert_eq!(&row.raw, &parse::sanitize(bytes).0);
            }
        }

        /// In a Zeek file only header, comment and blank lines are not rows.
        #[test]
        fn a_zeek_file_loses_only_its_header(lines in prop::collection::vec(line(), 0..20)) {
            let mut sub = submission(ParserKind::Zeek, &lines);
            sub.zeek = Some(Arc::new(Mutex::new(ZeekState::new())));
            let parsed = parse_submission(sub);
            let records: Vec<String> = lines
                .iter()
                .map(|b| parse::sanitize(b).0.into_owned())
                .filter(|t| !t.starts_with('#') && !t.trim().is_empty())
                .collect();
            let raws: Vec<&String> = parsed.rows.iter().map(|r| &r.raw).collect();
            prop_assert_eq!(raws, records.iter().collect::<Vec<_>>());
        }
    }
}
