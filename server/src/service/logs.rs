//! Ingestion over the REST API: turns a submitted body into one raw line per event, hands the
//! lines to the ingest pipeline as source `api` and answers, once they are committed, how many
//! items were stored and why the others were not.
//!
//! Structured logs (`POST /api/v1/logs`) are JSON objects, each stored as its compact JSON
//! text and read by the JSON parser. Raw logs (`POST /api/v1/logs/raw`) are lines read by the
//! auto-detecting parser, as if they came from a file. Either way every event records who sent
//! it (`vigil.submitted_by`) and from where (`log.source.address`).

use chrono::Utc;
use serde_json::{Map, Value, json};

use app::error::AppError;
use app::model::auth::{CurrentUser, Permission};
use app::model::events::{IngestSummary, RawLog, RejectedItem};

use super::{Service, internal};
use crate::ingest::{IngestHandle, RawLine, Submission};
use crate::parse::{MAX_LINE_BYTES, ParserKind};

/// The source every API submission is stored under.
pub const API_SOURCE: &str = "api";

/// A body of structured logs.
#[derive(Debug, Clone, Copy)]
pub enum LogBody<'a> {
    /// One JSON object or an array of them.
    Json(&'a [u8]),
    /// One JSON object per line.
    Ndjson(&'a [u8]),
}

/// A body of raw log lines.
#[derive(Debug, Clone, Copy)]
pub enum RawBody<'a> {
    /// Lines of text, one event per non-empty line.
    Text(&'a [u8]),
    /// `{"raw_log": "..."}` holding one line or several separated by newlines.
    Json(&'a [u8]),
}

/// The permission check of both submissions, for adapters to run before they read a body: a
/// caller without `ingest.write` learns nothing from how the body would have been judged, and
/// cannot make the server buffer or parse up to the body limit.
impl Service {
    pub async fn authorize_submission(&self, user: &CurrentUser) -> Result<(), AppError> {
        self.authorize(user, Permission::IngestWrite).await
    }

    /// Stores structured logs; `ingest.write`.
    pub async fn submit_logs(
        &self,
        user: &CurrentUser,
        body: LogBody<'_>,
    ) -> Result<IngestSummary, AppError> {
        self.authorize(user, Permission::IngestWrite).await?;
        let items = match body {
            LogBody::Json(bytes) => json_items(bytes)?,
            LogBody::Ndjson(bytes) => ndjson_items(bytes)?,
        };
        submit(&self.ingest, user, ParserKind::Json, items).await
    }

    /// Stores raw log lines; `ingest.write`.
    pub async fn submit_raw(
        &self,
        user: &CurrentUser,
        body: RawBody<'_>,
    ) -> Result<IngestSummary, AppError> {
        self.authorize(user, Permission::IngestWrite).await?;
        let items = match body {
            RawBody::Text(bytes) => text_items(bytes)?,
            RawBody::Json(bytes) => {
                let raw: RawLog = serde_json::from_slice(bytes).map_err(|e| {
                    AppError::BadRequest(format!(
                        "the body must be {{\"raw_log\": \"...\"}}: {}",
                        lowercase_first(&e.to_string())
                    ))
                })?;
                text_items(raw.raw_log.as_bytes())?
            }
        };
        submit(&self.ingest, user, ParserKind::Auto, items).await
    }
}

/// One submitted item: its position and its raw line, or why it cannot be stored.
type Item = (u64, Result<Vec<u8>, String>);

async fn submit(
    ingest: &IngestHandle,
    user: &CurrentUser,
    parser: ParserKind,
    items: Vec<Item>,
) -> Result<IngestSummary, AppError> {
    let mut extra = Map::new();
    if let Some(ip) = &user.source_ip {
        extra.insert("log.source.address".into(), Value::String(ip.clone()));
    }
    extra.insert(
        "vigil.submitted_by".into(),
        Value::String(user.username.clone()),
    );
    let received_at = Utc::now();
    let mut summary = IngestSummary::default();
    let mut lines = Vec::with_capacity(items.len());
    for (index, item) in items {
        match item {
            Ok(bytes) => {
                lines.push(RawLine::new(bytes, received_at));
            }
            Err(error) => summary.errors.push(RejectedItem { index, error }),
        }
    }
    summary.accepted = lines.len() as u64;
    summary.rejected = summary.errors.len() as u64;
    if summary.rejected > 0 {
        metrics::counter!("vigil_ingest_rejected_total", "source" => API_SOURCE)
            .increment(summary.rejected);
    }
    if lines.is_empty() {
        return Ok(summary);
    }
    let source = ingest
        .source(
            API_SOURCE,
            "http",
            json!({ "description": "events posted to /api/v1/logs" }),
        )
        .await
        .map_err(internal)?;
    ingest
        .submit_and_wait(Submission::new(source, parser, lines).with_fields(extra))
        .await
        .map_err(|e| AppError::Unavailable(e.to_string()))?;
    Ok(summary)
}

/// A JSON object or an array of objects; any other item of the array is rejected on its own.
fn json_items(bytes: &[u8]) -> Result<Vec<Item>, AppError> {
    if is_blank(bytes) {
        return Err(empty());
    }
    let value: Value = serde_json::from_slice(bytes).map_err(|e| {
        AppError::BadRequest(format!("invalid JSON: {}", lowercase_first(&e.to_string())))
    })?;
    match value {
        Value::Object(_) => Ok(vec![(0, object_line(value))]),
        Value::Array(values) => Ok(values
            .into_iter()
            .enumerate()
            .map(|(i, v)| (i as u64, object_line(v)))
            .collect()),
        _ => Err(AppError::BadRequest(
            "the body must be a JSON object or an array of objects".into(),
        )),
    }
}

/// One JSON object per line; blank lines are skipped, other lines are judged one by one.
fn ndjson_items(bytes: &[u8]) -> Result<Vec<Item>, AppError> {
    if is_blank(bytes) {
        return Err(empty());
    }
    Ok(lines(bytes)
        .map(|(i, line)| {
            let item = serde_json::from_slice::<Value>(line)
                .map_err(|e| format!("invalid JSON: {}", lowercase_first(&e.to_string())))
                .and_then(object_line);
            (i, item)
        })
        .collect())
}

/// Raw lines; blank lines are skipped.
fn text_items(bytes: &[u8]) -> Result<Vec<Item>, AppError> {
    if is_blank(bytes) {
        return Err(empty());
    }
    Ok(lines(bytes).map(|(i, l)| (i, Ok(l.to_vec()))).collect())
}

/// The non-blank lines of a body with their line numbers, counted from 0.
fn lines(bytes: &[u8]) -> impl Iterator<Item = (u64, &[u8])> {
    bytes
        .split(|b| *b == b'\n')
        .enumerate()
        .filter(|(_, line)| !is_blank(line))
        .map(|(i, line)| (i as u64, line))
}

/// The stored line for an item: the object as compact JSON, if it is an object that fits.
fn object_line(value: Value) -> Result<Vec<u8>, String> {
    if !value.is_object() {
        return Err(format!("expected a JSON object, found {}", kind(&value)));
    }
    let line = serde_json::to_vec(&value).map_err(|e| e.to_string())?;
    if line.len() > MAX_LINE_BYTES {
        return Err(format!(
            "the object is {} bytes as compact JSON; the limit is {MAX_LINE_BYTES}",
            line.len()
        ));
    }
    Ok(line)
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn is_blank(bytes: &[u8]) -> bool {
    bytes.iter().all(u8::is_ascii_whitespace)
}

fn empty() -> AppError {
    AppError::BadRequest("the body is empty".into())
}

/// serde_json's messages start with a capital letter in places; ours are lowercase.
fn lowercase_first(message: &str) -> String {
    let mut chars = message.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(item: &Item) -> &str {
        std::str::from_utf8(item.1.as_ref().unwrap()).unwrap()
    }

    #[test]
    fn objects_are_stored_as_compact_json_and_other_items_are_rejected() {
        let items = json_items(br#"[{"b": 1, "a": "x"}, 7, {"c": null}, "s"]"#).unwrap();
        assert_eq!(items.len(), 4);
        assert_eq!(ok(&items[0]), r#"{"a":"x","b":1}"#);
        assert_eq!(
            items[1].1.as_ref().unwrap_err(),
            "expected a JSON object, found a number"
        );
        assert_eq!(ok(&items[2]), r#"{"c":null}"#);
        assert_eq!(items[3].0, 3);
        let one = json_items(b" {\"message\": \"x\"}\n").unwrap();
        assert_eq!(one.len(), 1);
        assert_eq!(ok(&one[0]), r#"{"message":"x"}"#);
    }

    #[test]
    fn whole_body_problems_are_bad_requests() {
        for body in [&b""[..], b" \n ", b"{\"a\":", b"42", b"\"text\""] {
            assert!(
                matches!(json_items(body), Err(AppError::BadRequest(_))),
                "{body:?}"
            );
        }
        assert!(matches!(
            ndjson_items(b"\n\n"),
            Err(AppError::BadRequest(_))
        ));
        assert!(matches!(text_items(b"  "), Err(AppError::BadRequest(_))));
    }

    #[test]
    fn ndjson_lines_are_judged_one_by_one_with_their_line_numbers() {
        let items = ndjson_items(b"{\"a\":1}\n\nnot json\r\n[1]\n{\"b\":2}\r\n").unwrap();
        let indexes: Vec<u64> = items.iter().map(|i| i.0).collect();
        assert_eq!(indexes, [0, 2, 3, 4]);
        assert_eq!(ok(&items[0]), r#"{"a":1}"#);
        assert!(
            items[1]
                .1
                .as_ref()
                .unwrap_err()
                .starts_with("invalid JSON: expected")
        );
        assert_eq!(
            items[2].1.as_ref().unwrap_err(),
            "expected a JSON object, found an array"
        );
        assert_eq!(ok(&items[3]), r#"{"b":2}"#);
    }

    #[test]
    fn raw_text_keeps_each_non_blank_line_as_it_came() {
        let items = text_items(b"first line\n\n  \nsecond\xff line\r\n").unwrap();
        assert_eq!(items.len(), 2);
        assert_eq!(items[0], (0, Ok(b"first line".to_vec())));
        // Invalid UTF-8 and the CR are left for the pipeline to flag and strip.
        assert_eq!(items[1], (3, Ok(b"second\xff line\r".to_vec())));
    }

    #[test]
    fn oversized_objects_are_rejected_alone() {
        let big = json!({ "message": "x".repeat(MAX_LINE_BYTES) });
        let err = object_line(big).unwrap_err();
        assert!(err.contains("the limit is 65536"), "{err}");
    }
}
