//! CSV export of a search: the events it finds, newest first, written out chunk by chunk as
//! the response is sent, never gathered in memory. At most [`MAX_EXPORT_ROWS`] rows.
//!
//! Cells are written by [`crate::report::csv`], which defuses formulas in logged text. The
//! pages are [`EventPages`], which event reports read too.

use axum::body::Bytes;
use futures_util::Stream;
use sea_orm::{Condition, DatabaseConnection, QuerySelect};
use serde_json::json;

use app::error::AppError;
use app::model::auth::{CurrentUser, Permission};
use app::model::events::EventQuery;

use super::audit::{AuditEntry, Outcome};
use super::log_search::{Position, Search, page_after};
use super::{Service, internal};
use crate::report::csv;
use crate::store::bronze_event_data;

/// The most rows one export holds; `limit` may ask for fewer.
pub const MAX_EXPORT_ROWS: u32 = 100_000;

/// Rows read from the database at a time.
const CHUNK_ROWS: usize = 1_000;

/// The columns, in order, as the header row names them.
pub const COLUMNS: [&str; 20] = crate::report::csv::EVENT_COLUMNS;

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
            pages: EventPages::new(db, search.filter, search.after, search.limit, CHUNK_ROWS),
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
    pages: EventPages,
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
        let rows = self.pages.next_page().await.map_err(|e| {
            tracing::error!(error = %e, "events export stopped");
            e
        })?;
        for row in &rows {
            csv::event_row(&mut out, row);
        }
        Ok((!out.is_empty()).then(|| out.into()))
    }
}

/// A search's events, newest first, read one keyset page at a time: memory holds one page, and
/// each page is one index range starting where the last one ended.
pub(crate) struct EventPages {
    db: DatabaseConnection,
    filter: Condition,
    after: Option<Position>,
    remaining: usize,
    page_rows: usize,
}

impl EventPages {
    pub(crate) fn new(
        db: DatabaseConnection,
        filter: Condition,
        after: Option<Position>,
        limit: usize,
        page_rows: usize,
    ) -> Self {
        Self {
            db,
            filter,
            after,
            remaining: limit,
            page_rows: page_rows.max(1),
        }
    }

    /// The next page; empty once every event is read.
    pub(crate) async fn next_page(
        &mut self,
    ) -> Result<Vec<bronze_event_data::Model>, sea_orm::DbErr> {
        if self.remaining == 0 {
            return Ok(Vec::new());
        }
        let take = self.remaining.min(self.page_rows);
        let rows = page_after(self.after, &self.filter)
            .limit(take as u64)
            .all(&self.db)
            .await?;
        self.remaining = if rows.len() < take {
            0
        } else {
            self.remaining - rows.len()
        };
        self.after = rows.last().map(Position::of);
        Ok(rows)
    }
}
