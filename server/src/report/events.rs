//! Event export: the events a query-language search finds in the range, newest first, read in
//! keyset pages. CSV has the columns of the events export; JSON is one event a line; the PDF
//! lists the first [`PDF_ROWS`] events.

use sea_orm::PaginatorTrait;

use app::error::AppError;
use app::model::auth::{CurrentUser, Permission};
use app::model::events::{Event, EventQuery};
use app::model::reports::ReportFormat;

use super::{Block, Context, Document, ReportError, csv};
use crate::service::event_export::EventPages;
use crate::service::log_search::Search;

/// Events listed in a PDF; the rest are counted, not shown.
pub const PDF_ROWS: usize = 2_000;

/// The validated search of a report over events: its range, its query and what the owner may
/// read. A bad query is refused naming it.
pub(crate) fn search(
    q: Option<&str>,
    from: chrono::DateTime<chrono::Utc>,
    to: chrono::DateTime<chrono::Utc>,
    backend: sea_orm::DbBackend,
    owner: &CurrentUser,
) -> Result<Search, AppError> {
    let query = EventQuery {
        q: q.map(str::to_string),
        from: Some(csv::instant(&from)),
        to: Some(csv::instant(&to)),
        ..EventQuery::default()
    };
    let search = Search::parse_with(query, backend, 1, 1)
        .map_err(|e| match e {
            AppError::BadRequest(m) => AppError::Invalid(format!(
                "invalid filters.{}",
                m.trim_start_matches("invalid ")
            )),
            other => other,
        })?
        .readable_by(owner);
    Ok(search)
}

pub async fn run(ctx: &mut Context<'_>) -> Result<(), ReportError> {
    let request = ctx.request;
    ctx.service
        .authorize(&request.owner, Permission::EventsRead)
        .await?;
    let search = search(
        request.filters.q.as_deref(),
        request.from,
        request.to,
        ctx.db.get_database_backend(),
        &request.owner,
    )?;
    let total = search.select().count(ctx.db).await?;
    let mut pages = EventPages::new(
        ctx.db.clone(),
        search.filter,
        None,
        usize::MAX,
        ctx.page_rows,
    );
    let mut done = 0u64;
    let mut pdf_rows = Vec::new();
    if request.format == ReportFormat::Csv {
        let mut header = String::new();
        csv::text_row(&mut header, &csv::EVENT_COLUMNS);
        ctx.out.write(header.as_bytes()).await?;
    }
    loop {
        let rows = pages.next_page().await?;
        if rows.is_empty() {
            break;
        }
        done += rows.len() as u64;
        match request.format {
            ReportFormat::Csv => {
                let mut out = String::new();
                for row in &rows {
                    csv::event_row(&mut out, row);
                }
                ctx.out.write(out.as_bytes()).await?;
            }
            ReportFormat::Json => {
                let mut out = Vec::new();
                for row in rows {
                    serde_json::to_writer(&mut out, &Event::from(row))
                        .map_err(std::io::Error::other)?;
                    out.push(b'\n');
                }
                ctx.out.write(&out).await?;
            }
            ReportFormat::Pdf => {
                for row in rows {
                    if pdf_rows.len() < PDF_ROWS {
                        pdf_rows.push(pdf_row(&row));
                    }
                }
                if pdf_rows.len() >= PDF_ROWS {
                    // The rest would only be counted, and the count is known.
                    break;
                }
            }
        }
        ctx.progress.set(done, total).await?;
    }
    if request.format == ReportFormat::Pdf {
        let mut doc = Document::new(request);
        let mut facts = vec![("Events found".to_string(), super::count(total))];
        if let Some(q) = &request.filters.q {
            facts.push(("Query".into(), q.clone()));
        }
        doc.section("Overview", vec![Block::Facts { items: facts }]);
        let mut blocks = Vec::new();
        if total as usize > pdf_rows.len() {
            blocks.push(Block::Text {
                text: format!(
                    "The first {} events, newest first; export CSV or JSON for all {}.",
                    super::count(pdf_rows.len() as u64),
                    super::count(total)
                ),
            });
        }
        blocks.push(Block::Table {
            columns: [
                "Time", "Host", "Source", "User", "Action", "Outcome", "Message",
            ]
            .map(String::from)
            .to_vec(),
            rows: pdf_rows,
        });
        doc.section("Events", blocks);
        doc.write(ReportFormat::Pdf, &mut ctx.out).await?;
    }
    Ok(())
}

fn pdf_row(r: &crate::store::bronze_event_data::Model) -> Vec<String> {
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    vec![
        r.timestamp.format("%Y-%m-%d %H:%M:%S").to_string(),
        opt(&r.host),
        opt(&r.source_ip),
        opt(&r.user_name),
        opt(&r.event_action),
        opt(&r.event_outcome),
        shorten(&r.message, 160),
    ]
}

/// At most `max` characters, with an ellipsis when cut.
pub fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(max - 1).collect();
        out.push('…');
        out
    }
}
