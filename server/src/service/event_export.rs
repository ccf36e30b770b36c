//! CSV export of a search: the events it finds, newest first, written out chunk by chunk as
//! the response is sent, never gathered in memory. At most [`MAX_EXPORT_ROWS`] rows.
//!
//! Log content is attacker-controlled and spreadsheets run formulas: a text cell that begins
//! with `=`, `+`, `-`, `@`, a tab or a carriage return is written with a leading `'`, so it is
//! read as text.

use axum::body::Bytes;
use futures_util::Stream;
use sea_orm::{DatabaseConnection, QueryFilter, QuerySelect, Select};
use serde_json::json;

use app::error::AppError;
use app::model::auth::{CurrentUser, Permission};
use app::model::events::EventQuery;

use super::audit::{AuditEntry, Outcome};
use super::log_search::{NewestFirst, Position, Search};
use super::{Service, internal};
use crate::store::bronze_event_data::{self, Entity};

/// The most rows one export holds; `limit` may ask for fewer.
pub const MAX_EXPORT_ROWS: u32 = 100_000;

/// Rows read from the database at a time.
const CHUNK_ROWS: usize = 1_000;

/// The columns, in order, as the header row names them.
pub const COLUMNS: [&str; 20] = [
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

/// Checks the caller and the query, then returns the CSV as a stream of chunks. Errors before
/// the first byte are answered as usual; a database error later ends the stream early.
impl Service {
    pub async fn export_events(
        &self,
        user: &CurrentUser,
        query: EventQuery,
    ) -> Result<impl Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static, AppError> {
        self.authorize(user, Permission::EventsRead).await?;
        let db = self.db.clone();
        let details = json!({ "q": query.q, "from": query.from, "to": query.to });
        let search = Search::parse_with(
            query,
            db.get_database_backend(),
            MAX_EXPORT_ROWS,
            MAX_EXPORT_ROWS,
        )?;
        if search.before.is_some() {
            return Err(AppError::BadRequest(
            "invalid before: an export runs from the newest event or from cursor, never backwards"
                .into(),
        ));
        }
        let search = search.readable_by(user);
        self.audit(AuditEntry::by(user, "events_export", Outcome::Success).details(details))
            .await
            .map_err(internal)?;
        let state = Export {
            db,
            select: search.select,
            after: search.after,
            remaining: search.limit,
            header: true,
        };
        Ok(futures_util::stream::unfold(
            Some(state),
            |state| async move {
                let mut state = state?;
                match state.next_chunk().await {
                    Ok(Some(bytes)) => Some((Ok(bytes), Some(state))),
                    Ok(None) => None,
                    Err(e) => Some((Err(std::io::Error::other(e)), None)),
                }
            },
        ))
    }
}

struct Export {
    db: DatabaseConnection,
    select: Select<Entity>,
    after: Option<Position>,
    remaining: usize,
    header: bool,
}

impl Export {
    /// The next rows as CSV (the header row first); `None` once all are written.
    async fn next_chunk(&mut self) -> Result<Option<Bytes>, sea_orm::DbErr> {
        let mut out = String::new();
        if std::mem::take(&mut self.header) {
            out.push_str(&COLUMNS.join(","));
            out.push_str("\r\n");
        }
        if self.remaining == 0 {
            return Ok((!out.is_empty()).then(|| out.into()));
        }
        let mut select = self.select.clone().newest_first();
        if let Some(pos) = self.after {
            select = select.filter(pos.before());
        }
        let take = self.remaining.min(CHUNK_ROWS);
        let rows = select.limit(take as u64).all(&self.db).await.map_err(|e| {
            tracing::error!(error = %e, "events export stopped");
            e
        })?;
        self.remaining = if rows.len() < take {
            0
        } else {
            self.remaining - rows.len()
        };
        self.after = rows.last().map(Position::of);
        for row in &rows {
            write_row(&mut out, row);
        }
        Ok((!out.is_empty()).then(|| out.into()))
    }
}

fn write_row(out: &mut String, row: &bronze_event_data::Model) {
    let ts =
        |t: &chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true);
    let num = |n: Option<i64>| n.map(|n| n.to_string()).unwrap_or_default();
    let cells: [Cell; 20] = [
        Cell::Plain(row.id.to_string()),
        Cell::Plain(ts(&row.timestamp)),
        Cell::Plain(ts(&row.received_at)),
        Cell::Text(row.host.as_deref()),
        Cell::Text(Some(&row.source)),
        Cell::Text(Some(&row.parser)),
        Cell::Text(row.level.as_deref()),
        Cell::Text(row.event_category.as_deref()),
        Cell::Text(row.event_action.as_deref()),
        Cell::Text(row.event_outcome.as_deref()),
        Cell::Text(row.source_ip.as_deref()),
        Cell::Plain(num(row.source_port.map(i64::from))),
        Cell::Text(row.destination_ip.as_deref()),
        Cell::Plain(num(row.destination_port.map(i64::from))),
        Cell::Text(row.user_name.as_deref()),
        Cell::Text(row.process.as_deref()),
        Cell::Plain(num(row.pid)),
        Cell::Plain(row.flags.to_string()),
        Cell::Text(Some(&row.message)),
        Cell::Text(Some(&row.raw)),
    ];
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

/// A cell Vigil wrote itself (numbers, instants), or one with logged text.
enum Cell<'a> {
    Plain(String),
    Text(Option<&'a str>),
}

/// Writes logged text as one CSV cell: defused against formulas, quoted when needed (RFC 4180).
fn text_cell(out: &mut String, value: &str) {
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
}
