//! Stored events as the UI and the API see them, the filters that find them, and the answer to
//! a log submission.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// One bit of an event's `flags`, by name: what happened to the line on its way in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum EventFlag {
    /// The line was longer than 64 KiB and was cut.
    Truncated,
    /// The bytes were not valid UTF-8 and were decoded lossily.
    InvalidUtf8,
    /// The line looked like a known format but broke midway.
    ParseError,
    /// The timestamp carried no year; it was inferred.
    TimestampInferred,
    /// NUL or other control characters besides tab are present.
    ControlChars,
}

impl EventFlag {
    pub const ALL: [EventFlag; 5] = [
        Self::Truncated,
        Self::InvalidUtf8,
        Self::ParseError,
        Self::TimestampInferred,
        Self::ControlChars,
    ];

    /// The flag's bit in the stored `flags` column.
    pub const fn bit(self) -> u32 {
        match self {
            Self::Truncated => 1,
            Self::InvalidUtf8 => 2,
            Self::ParseError => 4,
            Self::TimestampInferred => 8,
            Self::ControlChars => 16,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Truncated => "truncated",
            Self::InvalidUtf8 => "invalid_utf8",
            Self::ParseError => "parse_error",
            Self::TimestampInferred => "timestamp_inferred",
            Self::ControlChars => "control_chars",
        }
    }

    /// The flags set in `bits`, in bit order; unknown bits are ignored.
    pub fn decode(bits: u32) -> Vec<EventFlag> {
        Self::ALL
            .into_iter()
            .filter(|f| bits & f.bit() != 0)
            .collect()
    }
}

/// One stored event: the raw line and what the parsers made of it. Field names follow ECS.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Event {
    pub id: i64,
    /// When it happened: the line's own time, else when it was received.
    pub timestamp: DateTime<Utc>,
    pub received_at: DateTime<Utc>,
    /// `host.name`
    pub host: Option<String>,
    /// `source.ip`, in canonical text form.
    pub source_ip: Option<String>,
    pub source_port: Option<i32>,
    pub destination_ip: Option<String>,
    pub destination_port: Option<i32>,
    /// `user.name`
    pub user_name: Option<String>,
    /// ECS `event.category`, e.g. `authentication`.
    pub event_category: Option<String>,
    /// `event.action`, e.g. `ssh_login`.
    pub event_action: Option<String>,
    /// `success`, `failure` or `unknown`.
    pub event_outcome: Option<String>,
    /// `log.level`, e.g. `warning`.
    pub level: Option<String>,
    /// `process.name`
    pub process: Option<String>,
    pub pid: Option<i64>,
    pub message: String,
    /// The line as received (after UTF-8 decoding and the length cap).
    pub raw: String,
    /// The parser that read the line, e.g. `sshd`, `json`, `raw`.
    pub parser: String,
    /// The source's name, e.g. `api`.
    pub source: String,
    /// Bits of the flags below, as stored.
    pub flags: u32,
    /// `flags` decoded into names.
    pub flag_names: Vec<EventFlag>,
    /// How many occurrences the event stands for (`message repeated N times`).
    pub repeat_count: u32,
    /// Everything else the parser found, with dotted ECS-like names.
    #[cfg_attr(feature = "ssr", schema(value_type = Object))]
    pub fields: Map<String, Value>,
}

/// Filters for `GET /api/v1/logs`; all optional and combined with AND. Named filters compare
/// whole values with ASCII letters in either case, like `field:"value"` in `q`. Any other
/// parameter is refused.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::IntoParams, utoipa::ToSchema))]
#[cfg_attr(feature = "ssr", into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct EventQuery {
    /// An address (`203.0.113.9`) or a CIDR block (`10.0.0.0/8`, `2001:db8::/32`).
    #[serde(default)]
    pub source_ip: Option<String>,
    /// `log.level`, e.g. `warning`.
    #[serde(default)]
    pub level: Option<String>,
    /// `host.name`.
    #[serde(default)]
    pub host: Option<String>,
    /// `event.action`, e.g. `ssh_login`.
    #[serde(default)]
    pub event_action: Option<String>,
    /// `success`, `failure` or `unknown`.
    #[serde(default)]
    pub event_outcome: Option<String>,
    /// `user.name`.
    #[serde(default)]
    pub user_name: Option<String>,
    /// The source's name, e.g. `api` or `vigil` (Vigil's own audit trail).
    #[serde(default)]
    pub source: Option<String>,
    /// Events at or after this instant (RFC 3339, e.g. `2026-05-01T00:00:00Z`).
    #[serde(default)]
    pub from: Option<String>,
    /// Events before this instant (RFC 3339).
    #[serde(default)]
    pub to: Option<String>,
    /// Events at exactly this instant (RFC 3339), or on this day (`2026-05-01`, UTC).
    #[serde(default)]
    pub timestamp: Option<String>,
    /// A query in Vigil's query language, e.g. `user.name:alice AND source_ip:10.0.0.0/8` or
    /// `"failed password" NOT host:web-*`; bare words search the message. A syntax error is
    /// answered with its position.
    #[serde(default)]
    pub q: Option<String>,
    /// Page size, 1 to 1000 (default 100).
    #[serde(default)]
    pub limit: Option<u32>,
    /// Continue after this cursor (`next_cursor` of the previous page).
    #[serde(default)]
    pub cursor: Option<String>,
    /// Go back to newer events: the page just before this cursor (`prev_cursor` of a page).
    /// Not together with `cursor`.
    #[serde(default)]
    pub before: Option<String>,
}

/// A page of events, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct EventPage {
    pub items: Vec<Event>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
    /// Pass as `before` for the page of newer events; absent on the newest page.
    #[serde(default)]
    pub prev_cursor: Option<String>,
}

/// The fields the events browser counts values of, in the order it shows them.
pub const FACET_FIELDS: [&str; 6] = [
    "level",
    "host",
    "event_action",
    "event_outcome",
    "parser",
    "source",
];

/// How many values of each facet are listed.
pub const FACET_TOP: usize = 10;

/// How many of the newest matching events the facet counts read at most.
pub const FACET_SCAN_LIMIT: u64 = 10_000;

/// One value of a facet and how many of the counted events have it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FacetValue {
    /// `None` for events without the field.
    pub value: Option<String>,
    pub count: u64,
}

/// The most frequent values of one field among the counted events, most frequent first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Facet {
    /// The field's name in the query language.
    pub field: String,
    pub values: Vec<FacetValue>,
}

/// Value counts over a search: [`FACET_TOP`] values of each of [`FACET_FIELDS`], read from at
/// most [`FACET_SCAN_LIMIT`] of the newest matching events.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventFacets {
    pub facets: Vec<Facet>,
    /// How many events were counted.
    pub counted: u64,
    /// More events match than were counted.
    pub capped: bool,
}

/// An alert whose evidence includes a given event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RelatedAlert {
    pub id: i64,
    pub title: String,
    pub severity: String,
    pub status: String,
    pub rule_name: Option<String>,
}

/// The events browser's search, as its URL holds it: every field is a query parameter of
/// `/events`, empty when absent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct EventSearch {
    /// A query in Vigil's query language.
    pub q: String,
    /// `15m`, `1h`, `24h`, `7d` or `all`; empty means [`DEFAULT_RANGE`]. `from`/`to` win.
    pub range: String,
    /// RFC 3339 instants bounding the search.
    pub from: String,
    pub to: String,
    /// Older than this position (`next_cursor`).
    pub cursor: String,
    /// Newer than this position (`prev_cursor`).
    pub before: String,
    /// The result columns to show, keys of [`RESULT_COLUMNS`] separated by commas; empty shows
    /// them all. The time column, which opens the event, is always shown.
    pub cols: String,
}

/// The optional columns of the results table: URL key and heading.
pub const RESULT_COLUMNS: [(&str, &str); 8] = [
    ("host", "Host"),
    ("source", "Source"),
    ("level", "Level"),
    ("action", "Action"),
    ("outcome", "Outcome"),
    ("source_ip", "Source IP"),
    ("user", "User"),
    ("message", "Message"),
];

impl EventSearch {
    /// Whether the results show the column `key`.
    pub fn shows(&self, key: &str) -> bool {
        let cols = self.cols.trim();
        cols.is_empty() || cols.split(',').any(|c| c.trim() == key)
    }
}

/// The time ranges the browser offers, with their labels.
pub const RANGES: [(&str, &str); 5] = [
    ("15m", "Last 15 minutes"),
    ("1h", "Last hour"),
    ("24h", "Last 24 hours"),
    ("7d", "Last 7 days"),
    ("all", "Any time"),
];

/// The range of a search that names none.
pub const DEFAULT_RANGE: &str = "24h";

/// Events on one page of the browser.
pub const BROWSE_PAGE_SIZE: u32 = 50;

/// A query the parser refused, and where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueryProblem {
    pub message: String,
    /// Characters before the offending spot, counted from 0.
    pub position: usize,
}

/// What the events browser shows for one [`EventSearch`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EventBrowse {
    pub page: Option<EventPage>,
    pub facets: Option<EventFacets>,
    /// The query's syntax error; nothing was searched.
    pub query_error: Option<QueryProblem>,
    /// Another parameter that could not be read (a time, a cursor), named.
    pub input_error: Option<String>,
    /// The instants the search covered, as RFC 3339 (empty when unbounded), for the export.
    pub from: String,
    pub to: String,
}

/// One event and the alerts that name it as evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventDetail {
    pub event: Event,
    pub alerts: Vec<RelatedAlert>,
}

/// Finding stored events; implemented by the server.
#[async_trait::async_trait]
pub trait EventsService: Send + Sync + 'static {
    /// Finds stored events, newest first, one page at a time; `events.read`. Unreadable
    /// filters are `BadRequest` naming the parameter.
    async fn search_events(
        &self,
        user: &crate::model::auth::CurrentUser,
        query: EventQuery,
    ) -> Result<EventPage, crate::error::AppError>;
    /// One stored event; `events.read`.
    async fn get_event(
        &self,
        user: &crate::model::auth::CurrentUser,
        id: i64,
    ) -> Result<Event, crate::error::AppError>;
}

/// What the events browser reads beyond the search itself; implemented by the server.
#[async_trait::async_trait]
pub trait EventBrowserService: Send + Sync + 'static {
    /// Value counts over the events `query` finds (its `limit`, `cursor` and `before` are
    /// ignored); `events.read`.
    async fn event_facets(
        &self,
        user: &crate::model::auth::CurrentUser,
        query: EventQuery,
    ) -> Result<EventFacets, crate::error::AppError>;

    /// The alerts whose evidence includes the event, newest first; empty for a caller without
    /// `alerts.read`. Needs `events.read` and a readable event.
    async fn event_alerts(
        &self,
        user: &crate::model::auth::CurrentUser,
        id: i64,
    ) -> Result<Vec<RelatedAlert>, crate::error::AppError>;
}

/// `POST /api/v1/logs/raw` as JSON: one raw line, or several separated by newlines.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RawLog {
    pub raw_log: String,
}

/// Why one submitted item was not stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RejectedItem {
    /// The item's position: its index in a JSON array, else its line number counted from 0.
    pub index: u64,
    pub error: String,
}

/// The answer to a log submission, sent once the accepted items are stored.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct IngestSummary {
    pub accepted: u64,
    pub rejected: u64,
    pub errors: Vec<RejectedItem>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_decode_into_their_names() {
        assert!(EventFlag::decode(0).is_empty());
        assert_eq!(
            EventFlag::decode(1 | 4 | 64),
            [EventFlag::Truncated, EventFlag::ParseError],
            "unknown bits are ignored"
        );
        let all = EventFlag::ALL.iter().fold(0, |bits, f| bits | f.bit());
        assert_eq!(all, 31);
        for f in EventFlag::ALL {
            assert_eq!(
                serde_json::to_value(f).unwrap(),
                Value::String(f.as_str().into())
            );
        }
    }
}
