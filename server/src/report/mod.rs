//! Report generation. Each kind lives in its own file and reads the database in bounded pages
//! (keyset pages of events or alerts, or aggregates the database computes), so memory stays
//! flat however long the range; the result is written to a file as CSV, JSON or PDF.
//!
//! Aggregate kinds (summary, authentication) build a [`Document`] of facts, tables and charts
//! that every format renders; record kinds (alerts, events) stream rows straight to CSV or
//! newline-delimited JSON, and render a capped [`Document`] for PDF.

pub mod alerts;
pub mod authentication;
pub mod chart;
pub mod csv;
pub mod events;
pub mod pdf;
pub mod summary;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use serde::Serialize;
use tokio::io::AsyncWriteExt;

use app::error::AppError;
use app::model::auth::CurrentUser;
use app::model::reports::{ReportFilters, ReportFormat, ReportKind};

use crate::service::Service;
use crate::store::report;

/// What one report covers and how it is written.
pub struct Request {
    pub id: i64,
    pub kind: ReportKind,
    pub format: ReportFormat,
    pub name: String,
    /// The user the report is generated for: it sees what they may see.
    pub owner: CurrentUser,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub filters: ReportFilters,
}

/// Everything a kind needs while it runs.
pub struct Context<'a> {
    pub service: &'a Service,
    pub db: &'a DatabaseConnection,
    pub request: &'a Request,
    /// Rows read per keyset page.
    pub page_rows: usize,
    pub progress: Progress,
    pub out: Output,
}

/// Why a report could not be generated, in words for the report's `error`.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("{0}")]
    Refused(String),
    #[error("database error: {0}")]
    Db(#[from] sea_orm::DbErr),
    #[error("cannot write the file: {0}")]
    Io(#[from] std::io::Error),
}

impl From<AppError> for ReportError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Forbidden => {
                Self::Refused("the owner may no longer read what this report needs".into())
            }
            other => Self::Refused(other.to_string()),
        }
    }
}

/// Generates the report into `ctx.out`.
pub async fn generate(ctx: &mut Context<'_>) -> Result<(), ReportError> {
    match ctx.request.kind {
        ReportKind::Summary => summary::run(ctx).await,
        ReportKind::Alerts => alerts::run(ctx).await,
        ReportKind::Authentication => authentication::run(ctx).await,
        ReportKind::Events => events::run(ctx).await,
    }
}

/// The file being written, buffered.
pub struct Output {
    file: tokio::io::BufWriter<tokio::fs::File>,
    pub written: u64,
}

impl Output {
    pub async fn create(path: &std::path::Path) -> std::io::Result<Self> {
        let file = tokio::fs::File::create(path).await?;
        Ok(Self {
            file: tokio::io::BufWriter::with_capacity(64 * 1024, file),
            written: 0,
        })
    }

    pub async fn write(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.written += bytes.len() as u64;
        self.file.write_all(bytes).await
    }

    /// Flushes and syncs the file.
    pub async fn finish(mut self) -> std::io::Result<u64> {
        self.file.flush().await?;
        self.file.get_mut().sync_all().await?;
        Ok(self.written)
    }
}

/// The report's progress in its row, updated when the percentage moves.
pub struct Progress {
    db: DatabaseConnection,
    id: i64,
    last: i32,
}

impl Progress {
    pub fn new(db: DatabaseConnection, id: i64) -> Self {
        Self { db, id, last: 0 }
    }

    /// `done` of `total` steps are behind; stays below 100 until the file is complete.
    pub async fn set(&mut self, done: u64, total: u64) -> Result<(), sea_orm::DbErr> {
        let pct = (done.min(total) * 99).checked_div(total).unwrap_or(0) as i32;
        if pct > self.last {
            self.last = pct;
            // A report deleted meanwhile has no row left to update: nothing to do.
            report::Entity::update_many()
                .col_expr(report::Column::Progress, Expr::value(pct))
                .filter(report::Column::Id.eq(self.id))
                .exec(&self.db)
                .await?;
        }
        Ok(())
    }
}

/// A report as facts, tables and charts, rendered to every format.
#[derive(Debug, Clone, Serialize)]
pub struct Document {
    pub kind: &'static str,
    pub title: String,
    pub name: String,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub generated_at: DateTime<Utc>,
    pub filters: ReportFilters,
    pub sections: Vec<Section>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Section {
    pub heading: String,
    pub blocks: Vec<Block>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Block {
    /// Label and value pairs.
    Facts {
        items: Vec<(String, String)>,
    },
    Table {
        columns: Vec<String>,
        rows: Vec<Vec<String>>,
    },
    /// A bar chart of labelled values, drawn as SVG for the PDF.
    Chart {
        caption: String,
        points: Vec<(String, u64)>,
    },
    Text {
        text: String,
    },
}

impl Document {
    pub fn new(request: &Request) -> Self {
        Self {
            kind: request.kind.as_str(),
            title: request.kind.title().to_string(),
            name: request.name.clone(),
            from: request.from,
            to: request.to,
            generated_at: Utc::now(),
            filters: request.filters.clone(),
            sections: Vec::new(),
        }
    }

    pub fn section(&mut self, heading: impl Into<String>, blocks: Vec<Block>) {
        self.sections.push(Section {
            heading: heading.into(),
            blocks,
        });
    }

    /// CSV in long form, one value a row: `section,item,metric,value`. Facts are
    /// `(section, label, "value", value)`; a table row names its first cell as the item and
    /// each further column as a metric.
    pub fn to_csv(&self) -> String {
        let mut out = String::new();
        csv::text_row(&mut out, &["section", "item", "metric", "value"]);
        for s in &self.sections {
            for b in &s.blocks {
                match b {
                    Block::Facts { items } => {
                        for (k, v) in items {
                            csv::text_row(&mut out, &[s.heading.as_str(), k, "value", v]);
                        }
                    }
                    Block::Table { columns, rows } => {
                        for row in rows {
                            let item = row.first().map(String::as_str).unwrap_or_default();
                            for (c, v) in columns.iter().zip(row).skip(1) {
                                csv::text_row(&mut out, &[s.heading.as_str(), item, c, v]);
                            }
                        }
                    }
                    Block::Chart { caption, points } => {
                        for (k, v) in points {
                            csv::text_row(
                                &mut out,
                                &[s.heading.as_str(), k, caption, &v.to_string()],
                            );
                        }
                    }
                    Block::Text { .. } => {}
                }
            }
        }
        out
    }

    /// Writes the document in `format`; PDF layout runs on a blocking thread.
    pub async fn write(self, format: ReportFormat, out: &mut Output) -> Result<(), ReportError> {
        match format {
            ReportFormat::Csv => out.write(self.to_csv().as_bytes()).await?,
            ReportFormat::Json => {
                let mut bytes = serde_json::to_vec_pretty(&self).map_err(std::io::Error::other)?;
                bytes.push(b'\n');
                out.write(&bytes).await?
            }
            ReportFormat::Pdf => {
                let bytes = tokio::task::spawn_blocking(move || pdf::render(&self))
                    .await
                    .map_err(std::io::Error::other)?
                    .map_err(ReportError::Refused)?;
                out.write(&bytes).await?
            }
        }
        Ok(())
    }
}

/// A count as text with thousands separated by a thin space-free comma.
pub fn count(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A duration in seconds for people: `3 h 12 min`, `45 s`.
pub fn duration(secs: i64) -> String {
    let (d, h, m, s) = (
        secs / 86_400,
        (secs % 86_400) / 3600,
        (secs % 3600) / 60,
        secs % 60,
    );
    match (d, h, m) {
        (0, 0, 0) => format!("{s} s"),
        (0, 0, _) => format!("{m} min {s} s"),
        (0, _, _) => format!("{h} h {m} min"),
        _ => format!("{d} d {h} h"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_durations_read_well() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(1000), "1,000");
        assert_eq!(count(1234567), "1,234,567");
        assert_eq!(duration(45), "45 s");
        assert_eq!(duration(125), "2 min 5 s");
        assert_eq!(duration(3 * 3600 + 12 * 60), "3 h 12 min");
        assert_eq!(duration(2 * 86_400 + 3600), "2 d 1 h");
    }
}
