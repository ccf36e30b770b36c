//! Finding stored events: filters, newest-first keyset paging and single events. Vigil's own
//! audit events (source `vigil`) are part of the results only for callers with `audit.read`.
//!
//! Pages are ordered by `(timestamp, id)` descending; the cursor is the position of the last
//! event of a page, so paging stays stable while new events arrive and never repeats or skips
//! one. A page is filled by reading candidate rows after the cursor and keeping those that pass
//! the exact `source_ip` check (see [`super::ip_filter`]); when that check may drop rows the
//! candidates are read in larger chunks, up to [`SCAN_BUDGET`] rows per page.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, SecondsFormat, Utc};
use sea_orm::sea_query::LikeExpr;
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Select};

use app::error::AppError;
use app::model::auth::{CurrentUser, Permission};
use app::model::events::{Event, EventFlag, EventPage, EventQuery};

use super::audit;
use super::ip_filter::SourceIpFilter;
use super::{Service, internal};
use crate::store::bronze_event_data::{self, Column, Entity};

const DEFAULT_LIMIT: u32 = 100;
const MAX_LIMIT: u32 = 1000;
/// Candidate rows read per query when the `source_ip` check may drop some.
const SCAN_CHUNK: u64 = 500;
/// Candidate rows examined for one page before answering with a shorter page and a cursor.
const SCAN_BUDGET: usize = 20_000;

impl Service {
    pub(crate) async fn events_search(
        &self,
        user: &CurrentUser,
        query: EventQuery,
    ) -> Result<EventPage, AppError> {
        self.authorize(user, Permission::EventsRead).await?;
        let mut search = Search::parse(query)?;
        if !user.can(Permission::AuditRead) {
            search.select = search.select.filter(Column::Source.ne(audit::SOURCE));
        }
        search.run(&self.db).await
    }

    pub(crate) async fn events_get(&self, user: &CurrentUser, id: i64) -> Result<Event, AppError> {
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
struct Search {
    select: Select<Entity>,
    source_ip: Option<SourceIpFilter>,
    limit: usize,
    after: Option<Position>,
}

/// Where a page ends: the last event's timestamp and id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Position {
    timestamp: DateTime<Utc>,
    id: i64,
}

impl Search {
    fn parse(q: EventQuery) -> Result<Self, AppError> {
        let bad =
            |param: &str, why: String| AppError::BadRequest(format!("invalid {param}: {why}"));
        let limit = q.limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(bad("limit", format!("must be between 1 and {MAX_LIMIT}")));
        }
        let mut select = Entity::find()
            .order_by_desc(Column::Timestamp)
            .order_by_desc(Column::Id);
        let text = |v: Option<String>| v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
        // Levels and outcomes are stored lowercase; SQLite compares case-sensitively.
        let exact = [
            (Column::Level, text(q.level).map(|s| s.to_lowercase())),
            (Column::Host, text(q.host)),
            (Column::EventAction, text(q.event_action)),
            (
                Column::EventOutcome,
                text(q.event_outcome).map(|s| s.to_lowercase()),
            ),
            (Column::UserName, text(q.user_name)),
            (Column::Source, text(q.source)),
        ];
        for (column, value) in exact {
            if let Some(value) = value {
                select = select.filter(column.eq(value));
            }
        }
        if let Some(from) = text(q.from) {
            let from = instant(&from).map_err(|e| bad("from", e))?;
            select = select.filter(Column::Timestamp.gte(from));
        }
        if let Some(to) = text(q.to) {
            let to = instant(&to).map_err(|e| bad("to", e))?;
            select = select.filter(Column::Timestamp.lt(to));
        }
        if let Some(needle) = q.q.filter(|s| !s.is_empty()) {
            select = select.filter(Column::Message.like(contains(&needle)));
        }
        let source_ip = text(q.source_ip)
            .map(|v| SourceIpFilter::parse(&v).map_err(|e| bad("source_ip", e)))
            .transpose()?;
        if let Some(filter) = &source_ip {
            select = select.filter(filter.condition());
        }
        let after = text(q.cursor)
            .map(|c| {
                Position::decode(&c)
                    .ok_or_else(|| bad("cursor", "use the next_cursor of a previous page".into()))
            })
            .transpose()?;
        Ok(Self {
            select,
            source_ip,
            limit: limit as usize,
            after,
        })
    }

    async fn run(self, db: &sea_orm::DatabaseConnection) -> Result<EventPage, AppError> {
        let checked = self
            .source_ip
            .as_ref()
            .is_some_and(SourceIpFilter::needs_check);
        let mut items: Vec<bronze_event_data::Model> = Vec::new();
        let mut after = self.after;
        let mut scanned = 0;
        loop {
            // One more than the page to know whether another page follows.
            let wanted = (self.limit + 1 - items.len()) as u64;
            let chunk = if checked {
                wanted.max(SCAN_CHUNK)
            } else {
                wanted
            };
            let mut select = self.select.clone();
            if let Some(pos) = after {
                select = select.filter(pos.before());
            }
            let rows = select.limit(chunk).all(db).await.map_err(internal)?;
            let exhausted = (rows.len() as u64) < chunk;
            for row in rows {
                after = Some(Position::of(&row));
                scanned += 1;
                let keep = self
                    .source_ip
                    .as_ref()
                    .is_none_or(|f| f.matches(row.source_ip.as_deref()));
                if keep {
                    items.push(row);
                    if items.len() > self.limit {
                        break;
                    }
                }
            }
            if items.len() > self.limit {
                items.truncate(self.limit);
                let next = items.last().map(|r| Position::of(r).encode());
                return Ok(page(items, next));
            }
            if exhausted {
                return Ok(page(items, None));
            }
            if scanned >= SCAN_BUDGET {
                // Everything up to `after` has been examined: continue from there.
                return Ok(page(items, after.map(|p| p.encode())));
            }
        }
    }
}

fn page(rows: Vec<bronze_event_data::Model>, next_cursor: Option<String>) -> EventPage {
    EventPage {
        items: rows.into_iter().map(Event::from).collect(),
        next_cursor,
    }
}

fn instant(value: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(value)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| format!("{value:?} is not an RFC 3339 instant such as 2026-05-01T12:00:00Z"))
}

/// A `LIKE` pattern for "contains `needle`", with the caller's wildcards escaped. `!` is the
/// escape character because a backslash is itself an escape in MariaDB string literals.
fn contains(needle: &str) -> LikeExpr {
    let mut pattern = String::with_capacity(needle.len() + 2);
    pattern.push('%');
    for c in needle.chars() {
        if matches!(c, '%' | '_' | '!') {
            pattern.push('!');
        }
        pattern.push(c);
    }
    pattern.push('%');
    LikeExpr::new(pattern).escape('!')
}

impl Position {
    fn of(row: &bronze_event_data::Model) -> Self {
        Self {
            timestamp: row.timestamp,
            id: row.id,
        }
    }

    /// Rows after this position in newest-first order.
    fn before(self) -> Condition {
        Condition::any()
            .add(Column::Timestamp.lt(self.timestamp))
            .add(
                Condition::all()
                    .add(Column::Timestamp.eq(self.timestamp))
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
        let err = |q: EventQuery| match Search::parse(q) {
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
    }

    #[test]
    fn wildcards_in_the_text_search_are_literal() {
        let like = contains("50%_off!");
        let sql = sea_orm::sea_query::Query::select()
            .column(Column::Id)
            .from(Entity)
            .and_where(Column::Message.like(like))
            .to_string(sea_orm::sea_query::SqliteQueryBuilder);
        assert!(sql.contains(r"LIKE '%50!%!_off!!%' ESCAPE '!'"), "{sql}");
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
