//! Finding stored events: filters, the query language, newest-first keyset paging and single
//! events. Vigil's own audit events (source `vigil`) are part of the results only for callers
//! with `audit.read`.
//!
//! Every filter becomes part of one query-language expression, compiled to SQL by
//! [`crate::store::event_query`]; the SQL is exact, so a page is one `SELECT`. Pages are ordered
//! by `(timestamp, id)` descending; the cursor is the position of the last event of a page, so
//! paging stays stable while new events arrive and never repeats or skips one.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, SecondsFormat, Utc};
use sea_orm::{
    ColumnTrait, Condition, DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Select,
};

use app::error::AppError;
use app::model::auth::{CurrentUser, Permission};
use app::model::events::{Event, EventFlag, EventPage, EventQuery};
use app::query::{self, Bound, Column as QColumn, Expr, Field, IpNet, Match, Range, Value};

use super::audit;
use super::{Service, internal};
use crate::store::bronze_event_data::{self, Column, Entity};
use crate::store::event_query;

const DEFAULT_LIMIT: u32 = 100;
const MAX_LIMIT: u32 = 1000;

#[async_trait::async_trait]
impl app::model::events::EventsService for Service {
    async fn search_events(
        &self,
        user: &CurrentUser,
        query: EventQuery,
    ) -> Result<EventPage, AppError> {
        self.authorize(user, Permission::EventsRead).await?;
        Search::parse(query, self.db.get_database_backend())?
            .readable_by(user)
            .run(&self.db)
            .await
    }

    async fn get_event(&self, user: &CurrentUser, id: i64) -> Result<Event, AppError> {
        self.authorize(user, Permission::EventsRead).await?;
        Entity::find_by_id(id)
            .one(&self.db)
            .await
            .map_err(internal)?
            .filter(|row| row.source != audit::SOURCE || user.can(Permission::AuditRead))
            .map(Event::from)
            .ok_or(AppError::NotFound)
    }
}

/// A validated search.
pub(crate) struct Search {
    /// The filters, all of which an event matches.
    pub(crate) filter: Condition,
    pub(crate) limit: usize,
    pub(crate) after: Option<Position>,
    /// Newer than this position: the page before it (`before`).
    pub(super) before: Option<Position>,
}

/// Where a page ends: the last event's timestamp and id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Position {
    timestamp: DateTime<Utc>,
    id: i64,
}

fn matches(column: QColumn, value: Value) -> Expr {
    Expr::Match(Match {
        field: Field::Column(column),
        value,
    })
}

/// The filters of `q` as one expression; `None` when there are none.
fn filters(q: &EventQuery) -> Result<Option<Expr>, AppError> {
    let bad = |param: &str, why: String| AppError::BadRequest(format!("invalid {param}: {why}"));
    let text = |v: &Option<String>| {
        v.as_ref()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
    };
    let mut parts = Vec::new();
    // Named filters compare whole values, ASCII letters in either case, as `field:"value"` does.
    for (column, value) in [
        (QColumn::Level, &q.level),
        (QColumn::Host, &q.host),
        (QColumn::EventAction, &q.event_action),
        (QColumn::EventOutcome, &q.event_outcome),
        (QColumn::UserName, &q.user_name),
        (QColumn::Source, &q.source),
    ] {
        if let Some(v) = text(value) {
            parts.push(matches(column, Value::Text(v)));
        }
    }
    if let Some(ip) = text(&q.source_ip) {
        let net = IpNet::parse(&ip).map_err(|e| bad("source_ip", e))?;
        parts.push(matches(QColumn::SourceIp, Value::Address(net)));
    }
    for (param, value, lower) in [("from", &q.from, true), ("to", &q.to, false)] {
        if let Some(v) = text(value) {
            let at = instant(&v).map_err(|e| bad(param, e))?;
            let bound = Some(Bound {
                value: query::Scalar::Time(at),
                inclusive: lower,
            });
            let range = if lower {
                Range {
                    lower: bound,
                    upper: None,
                }
            } else {
                Range {
                    lower: None,
                    upper: bound,
                }
            };
            parts.push(matches(QColumn::Timestamp, Value::Range(range)));
        }
    }
    if let Some(t) = text(&q.timestamp) {
        let at = query::time(&t).map_err(|e| bad("timestamp", e))?;
        parts.push(matches(QColumn::Timestamp, Value::Equals(at)));
    }
    if let Some(text) = q.q.as_deref().filter(|s| !s.trim().is_empty()) {
        parts.push(query::parse(text).map_err(|e| bad("q", e.to_string()))?);
    }
    Ok(match parts.len() {
        0 => None,
        1 => parts.pop(),
        _ => Some(Expr::And(parts)),
    })
}

impl Search {
    pub(super) fn parse(q: EventQuery, backend: DbBackend) -> Result<Self, AppError> {
        Self::parse_with(q, backend, DEFAULT_LIMIT, MAX_LIMIT)
    }

    /// [`Search::parse`] with its own default and largest `limit`.
    pub(crate) fn parse_with(
        q: EventQuery,
        backend: DbBackend,
        default_limit: u32,
        max_limit: u32,
    ) -> Result<Self, AppError> {
        let bad =
            |param: &str, why: String| AppError::BadRequest(format!("invalid {param}: {why}"));
        let limit = q.limit.unwrap_or(default_limit);
        if !(1..=max_limit).contains(&limit) {
            return Err(bad("limit", format!("must be between 1 and {max_limit}")));
        }
        let mut filter = Condition::all();
        if let Some(expr) = filters(&q)? {
            filter = filter.add(event_query::condition(&expr, backend));
        }
        let cursor = |param: &str, value: &Option<String>, hint: &str| {
            value
                .as_deref()
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(|c| Position::decode(c).ok_or_else(|| bad(param, hint.into())))
                .transpose()
        };
        let after = cursor(
            "cursor",
            &q.cursor,
            "use the next_cursor of a previous page",
        )?;
        let before = cursor(
            "before",
            &q.before,
            "use the prev_cursor of a previous page",
        )?;
        if after.is_some() && before.is_some() {
            return Err(bad(
                "before",
                "give either cursor or before, not both".into(),
            ));
        }
        Ok(Self {
            filter,
            limit: limit as usize,
            after,
            before,
        })
    }

    /// Leaves out Vigil's own audit events unless `user` may read them.
    pub(crate) fn readable_by(mut self, user: &CurrentUser) -> Self {
        if !user.can(Permission::AuditRead) {
            self.filter = self.filter.add(Column::Source.ne(audit::SOURCE));
        }
        self
    }

    /// The events the search finds, unordered.
    pub(crate) fn select(&self) -> Select<Entity> {
        Entity::find().filter(self.filter.clone())
    }

    async fn run(self, db: &sea_orm::DatabaseConnection) -> Result<EventPage, AppError> {
        if let Some(pos) = self.before {
            return self.run_before(pos, db).await;
        }
        // One more than the page to know whether another page follows.
        let mut rows = page_after(self.after, &self.filter)
            .limit(self.limit as u64 + 1)
            .all(db)
            .await
            .map_err(internal)?;
        // A page reached through a cursor has newer events before it.
        let prev = self
            .after
            .and_then(|_| rows.first().map(|r| Position::of(r).encode()));
        if rows.len() <= self.limit {
            return Ok(page(rows, None, prev));
        }
        rows.truncate(self.limit);
        let next = rows.last().map(|r| Position::of(r).encode());
        Ok(page(rows, next, prev))
    }

    /// The page of events just newer than `pos`, still listed newest first.
    async fn run_before(
        self,
        pos: Position,
        db: &sea_orm::DatabaseConnection,
    ) -> Result<EventPage, AppError> {
        // The oldest events newer than `pos` first, then turned round. The position's bound
        // comes first for the reason `page_after` gives.
        let mut rows = Entity::find()
            .filter(pos.after())
            .filter(self.filter)
            .order_by_asc(Column::Timestamp)
            .order_by_asc(Column::Id)
            .limit(self.limit as u64 + 1)
            .all(db)
            .await
            .map_err(internal)?;
        let more_newer = rows.len() > self.limit;
        rows.truncate(self.limit);
        rows.reverse();
        let prev = more_newer
            .then(|| rows.first().map(|r| Position::of(r).encode()))
            .flatten();
        // `pos` itself, and whatever is older, follows this page.
        let next = rows.last().map(|r| Position::of(r).encode());
        Ok(page(rows, next, prev))
    }
}

/// The events matching `filter` that follow `after` newest first (all of them without a
/// position), newest first.
///
/// The position's bound on `timestamp` is written before the filters: SQLite ends its index
/// range at the first upper bound on `timestamp` it meets, and with the search's own `to` first
/// every page would walk the index from `to` down past all the pages before it (at 1,000,000
/// events a full export read the index half a billion times).
pub(crate) fn page_after(after: Option<Position>, filter: &Condition) -> Select<Entity> {
    let mut select = Entity::find();
    if let Some(pos) = after {
        select = select.filter(pos.before());
    }
    select.filter(filter.clone()).newest_first()
}

/// Newest first, as every listing of events is.
pub(crate) trait NewestFirst {
    fn newest_first(self) -> Self;
}

impl NewestFirst for Select<Entity> {
    fn newest_first(self) -> Self {
        self.order_by_desc(Column::Timestamp)
            .order_by_desc(Column::Id)
    }
}

fn page(
    rows: Vec<bronze_event_data::Model>,
    next_cursor: Option<String>,
    prev_cursor: Option<String>,
) -> EventPage {
    EventPage {
        items: rows.into_iter().map(Event::from).collect(),
        next_cursor,
        prev_cursor,
    }
}

fn instant(value: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(value)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| format!("{value:?} is not an RFC 3339 instant such as 2026-05-01T12:00:00Z"))
}

impl Position {
    pub(super) fn of(row: &bronze_event_data::Model) -> Self {
        Self {
            timestamp: row.timestamp,
            id: row.id,
        }
    }

    /// Rows newer than this position. The plain `timestamp >=` comes first so that an index on
    /// `timestamp` can start its range there (see [`page_after`]).
    fn after(self) -> Condition {
        Condition::all()
            .add(Column::Timestamp.gte(self.timestamp))
            .add(
                Condition::any()
                    .add(Column::Timestamp.gt(self.timestamp))
                    .add(Column::Id.gt(self.id)),
            )
    }

    /// Rows after this position in newest-first order; `timestamp <=` first, as in
    /// [`Position::after`].
    pub(super) fn before(self) -> Condition {
        Condition::all()
            .add(Column::Timestamp.lte(self.timestamp))
            .add(
                Condition::any()
                    .add(Column::Timestamp.lt(self.timestamp))
                    .add(Column::Id.lt(self.id)),
            )
    }

    /// Opaque to clients: base64url of `id/timestamp` with the timestamp at full precision.
    fn encode(self) -> String {
        let ts = self.timestamp.to_rfc3339_opts(SecondsFormat::AutoSi, true);
        URL_SAFE_NO_PAD.encode(format!("{}/{ts}", self.id))
    }

    fn decode(cursor: &str) -> Option<Self> {
        let bytes = URL_SAFE_NO_PAD.decode(cursor).ok()?;
        let text = String::from_utf8(bytes).ok()?;
        let (id, ts) = text.split_once('/')?;
        Some(Self {
            id: id.parse().ok()?,
            timestamp: DateTime::parse_from_rfc3339(ts).ok()?.with_timezone(&Utc),
        })
    }
}

impl From<bronze_event_data::Model> for Event {
    fn from(row: bronze_event_data::Model) -> Self {
        let flags = row.flags as u32;
        let fields = match row.fields {
            serde_json::Value::Object(map) => map,
            serde_json::Value::Null => serde_json::Map::new(),
            other => serde_json::Map::from_iter([("value".to_string(), other)]),
        };
        Self {
            id: row.id,
            timestamp: row.timestamp,
            received_at: row.received_at,
            host: row.host,
            source_ip: row.source_ip,
            source_port: row.source_port,
            destination_ip: row.destination_ip,
            destination_port: row.destination_port,
            user_name: row.user_name,
            event_category: row.event_category,
            event_action: row.event_action,
            event_outcome: row.event_outcome,
            level: row.level,
            process: row.process,
            pid: row.pid,
            message: row.message,
            raw: row.raw,
            parser: row.parser,
            source: row.source,
            flags,
            flag_names: EventFlag::decode(flags),
            repeat_count: row.repeat_count.max(0) as u32,
            fields,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::flags;

    #[test]
    fn cursors_round_trip_at_full_precision() {
        let pos = Position {
            timestamp: DateTime::parse_from_rfc3339("2026-05-01T10:00:00.123456789Z")
                .unwrap()
                .with_timezone(&Utc),
            id: 42,
        };
        let cursor = pos.encode();
        assert!(!cursor.contains('/'), "opaque and URL-safe: {cursor}");
        assert_eq!(Position::decode(&cursor), Some(pos));
        assert_eq!(Position::decode("not a cursor"), None);
        assert_eq!(Position::decode(&URL_SAFE_NO_PAD.encode("x/2026")), None);
    }

    #[test]
    fn bad_parameters_are_named() {
        let err = |q: EventQuery| match Search::parse(q, DbBackend::Sqlite) {
            Err(AppError::BadRequest(msg)) => msg,
            Err(other) => panic!("{other:?}"),
            Ok(_) => panic!("accepted"),
        };
        let msg = err(EventQuery {
            source_ip: Some("10.0.0.0/40".into()),
            ..Default::default()
        });
        assert!(msg.starts_with("invalid source_ip"), "{msg}");
        let msg = err(EventQuery {
            from: Some("yesterday".into()),
            ..Default::default()
        });
        assert!(msg.starts_with("invalid from"), "{msg}");
        let msg = err(EventQuery {
            limit: Some(1001),
            ..Default::default()
        });
        assert!(msg.starts_with("invalid limit"), "{msg}");
        let msg = err(EventQuery {
            cursor: Some("AAAA".into()),
            ..Default::default()
        });
        assert!(msg.starts_with("invalid cursor"), "{msg}");
        let msg = err(EventQuery {
            q: Some("host:a AND (b".into()),
            ..Default::default()
        });
        assert_eq!(msg, "invalid q: unclosed '(' at 11");
        let msg = err(EventQuery {
            timestamp: Some("2026-05".into()),
            ..Default::default()
        });
        assert!(msg.starts_with("invalid timestamp"), "{msg}");
    }

    #[test]
    fn wire_flags_match_the_parser_bits() {
        use EventFlag::*;
        for (flag, bit) in [
            (Truncated, flags::TRUNCATED),
            (InvalidUtf8, flags::INVALID_UTF8),
            (ParseError, flags::PARSE_ERROR),
            (TimestampInferred, flags::TIMESTAMP_INFERRED),
            (ControlChars, flags::CONTROL_CHARS),
        ] {
            assert_eq!(flag.bit(), bit, "{flag:?}");
        }
    }
}
