//! Alert report: every alert active in the range (first seen before its end, last seen at or
//! after its start) matching the severity and status filters, oldest first, with its evidence
//! events and its history. Alerts are read in keyset pages of at most [`PAGE`].

use std::collections::HashMap;

use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Select,
};
use serde::Serialize;

use app::model::alerts::{AlertChange, AlertView};
use app::model::auth::{CurrentUser, Permission};
use app::model::events::Event;
use app::model::reports::{ReportFilters, ReportFormat};

use super::csv::{self, Cell};
use super::events::shorten;
use super::{Block, Context, Document, ReportError, count};
use crate::alerting::STATUSES;
use crate::service::alerts::{alert_views, list_of};
use crate::service::audit;
use crate::service::rules::SEVERITIES;
use crate::store::{alert, alert_evidence, alert_history, bronze_event_data};

/// Alerts per page: each brings up to 100 evidence events.
const PAGE: usize = 100;
/// Alerts listed in a PDF.
pub const PDF_ALERTS: usize = 500;
/// Alerts whose evidence and history a PDF shows.
pub const PDF_DETAILED: usize = 50;

pub const COLUMNS: [&str; 16] = [
    "id",
    "title",
    "severity",
    "status",
    "rule",
    "group_key",
    "event_count",
    "first_seen",
    "last_seen",
    "created_at",
    "acknowledged_at",
    "resolved_at",
    "assignee",
    "summary",
    "evidence_event_ids",
    "history",
];

/// One alert with what backs it, as a JSON line.
#[derive(Serialize)]
struct Entry<'a> {
    alert: &'a AlertView,
    evidence: &'a [Event],
    history: &'a [AlertChange],
}

/// The alerts a report over `from`..`to` with `filters` lists.
pub fn select(
    filters: &ReportFilters,
    from: chrono::DateTime<chrono::Utc>,
    to: chrono::DateTime<chrono::Utc>,
) -> Result<Select<alert::Entity>, app::error::AppError> {
    let mut find = alert::Entity::find()
        .filter(alert::Column::FirstSeen.lt(to))
        .filter(alert::Column::LastSeen.gte(from));
    if let Some(s) = filters.severity.as_deref().filter(|s| !s.trim().is_empty()) {
        find = find.filter(alert::Column::Severity.is_in(list_of(
            "filters.severity",
            s,
            &SEVERITIES,
        )?));
    }
    if let Some(s) = filters.status.as_deref().filter(|s| !s.trim().is_empty()) {
        find = find.filter(alert::Column::Status.is_in(list_of("filters.status", s, &STATUSES)?));
    }
    Ok(find)
}

pub async fn run(ctx: &mut Context<'_>) -> Result<(), ReportError> {
    let request = ctx.request;
    ctx.service
        .authorize(&request.owner, Permission::AlertsRead)
        .await?;
    let db = ctx.db;
    let find = select(&request.filters, request.from, request.to)?;
    let total = find.clone().count(db).await?;
    let page = ctx.page_rows.clamp(1, PAGE);
    let mut after = 0i64;
    let mut done = 0u64;
    let mut doc_rows = Vec::new();
    let mut details = Vec::new();
    if request.format == ReportFormat::Csv {
        let mut header = String::new();
        csv::text_row(&mut header, &COLUMNS);
        ctx.out.write(header.as_bytes()).await?;
    }
    loop {
        let ids: Vec<i64> = find
            .clone()
            .filter(alert::Column::Id.gt(after))
            .select_only()
            .column(alert::Column::Id)
            .order_by_asc(alert::Column::Id)
            .limit(page as u64)
            .into_tuple()
            .all(db)
            .await?;
        let Some(last) = ids.last() else { break };
        after = *last;
        let views = alert_views(db, &ids).await?;
        let mut evidence = evidence(db, &ids, &request.owner).await?;
        let mut history = history(db, &ids).await?;
        let mut out = Vec::new();
        for view in &views {
            let ev = evidence.remove(&view.id).unwrap_or_default();
            let hi = history.remove(&view.id).unwrap_or_default();
            match request.format {
                ReportFormat::Csv => {
                    let mut line = String::new();
                    csv_row(&mut line, view, &ev, &hi);
                    out.extend_from_slice(line.as_bytes());
                }
                ReportFormat::Json => {
                    let entry = Entry {
                        alert: view,
                        evidence: &ev,
                        history: &hi,
                    };
                    serde_json::to_writer(&mut out, &entry).map_err(std::io::Error::other)?;
                    out.push(b'\n');
                }
                ReportFormat::Pdf => {
                    if doc_rows.len() < PDF_ALERTS {
                        doc_rows.push(vec![
                            view.id.to_string(),
                            view.severity.clone(),
                            view.status.clone(),
                            shorten(&view.title, 80),
                            view.rule_name.clone().unwrap_or_default(),
                            count(view.event_count as u64),
                            view.last_seen.format("%Y-%m-%d %H:%M").to_string(),
                        ]);
                    }
                    if details.len() < PDF_DETAILED {
                        details.push(detail(view, &ev, &hi));
                    }
                }
            }
        }
        ctx.out.write(&out).await?;
        done += ids.len() as u64;
        ctx.progress.set(done, total).await?;
        if ids.len() < page {
            break;
        }
    }
    if request.format == ReportFormat::Pdf {
        let mut doc = Document::new(request);
        let mut facts = vec![("Alerts".to_string(), count(total))];
        for (name, value) in [
            ("Severities", &request.filters.severity),
            ("Statuses", &request.filters.status),
        ] {
            if let Some(v) = value {
                facts.push((name.into(), v.clone()));
            }
        }
        doc.section("Overview", vec![Block::Facts { items: facts }]);
        let mut blocks = Vec::new();
        if total as usize > doc_rows.len() {
            blocks.push(Block::Text {
                text: format!(
                    "The first {} alerts; export CSV or JSON for all {}.",
                    doc_rows.len(),
                    count(total)
                ),
            });
        }
        blocks.push(Block::Table {
            columns: [
                "ID",
                "Severity",
                "Status",
                "Title",
                "Rule",
                "Events",
                "Last seen",
            ]
            .map(String::from)
            .to_vec(),
            rows: doc_rows,
        });
        doc.section("Alerts", blocks);
        for (heading, blocks) in details {
            doc.section(heading, blocks);
        }
        doc.write(ReportFormat::Pdf, &mut ctx.out).await?;
    }
    Ok(())
}

/// Evidence events of the alerts, by alert, oldest first; audit events only for `owner`s who
/// may read them.
async fn evidence(
    db: &DatabaseConnection,
    ids: &[i64],
    owner: &CurrentUser,
) -> Result<HashMap<i64, Vec<Event>>, sea_orm::DbErr> {
    let links = alert_evidence::Entity::find()
        .filter(alert_evidence::Column::AlertId.is_in(ids.iter().copied()))
        .all(db)
        .await?;
    let mut find = bronze_event_data::Entity::find()
        .filter(bronze_event_data::Column::Id.is_in(links.iter().map(|l| l.event_id)))
        .order_by_asc(bronze_event_data::Column::Timestamp)
        .order_by_asc(bronze_event_data::Column::Id);
    if !owner.can(Permission::AuditRead) {
        find = find.filter(bronze_event_data::Column::Source.ne(audit::SOURCE));
    }
    let events: HashMap<i64, Event> = find
        .all(db)
        .await?
        .into_iter()
        .map(|e| (e.id, Event::from(e)))
        .collect();
    let mut out: HashMap<i64, Vec<Event>> = HashMap::new();
    for link in links {
        if let Some(e) = events.get(&link.event_id) {
            out.entry(link.alert_id).or_default().push(e.clone());
        }
    }
    for list in out.values_mut() {
        list.sort_by_key(|e| (e.timestamp, e.id));
    }
    Ok(out)
}

async fn history(
    db: &DatabaseConnection,
    ids: &[i64],
) -> Result<HashMap<i64, Vec<AlertChange>>, sea_orm::DbErr> {
    let rows = alert_history::Entity::find()
        .filter(alert_history::Column::AlertId.is_in(ids.iter().copied()))
        .order_by_asc(alert_history::Column::Id)
        .all(db)
        .await?;
    let mut out: HashMap<i64, Vec<AlertChange>> = HashMap::new();
    for h in rows {
        out.entry(h.alert_id).or_default().push(AlertChange {
            id: h.id,
            at: h.at,
            actor: h.actor_name,
            action: h.action,
            from: h.from_value,
            to: h.to_value,
        });
    }
    Ok(out)
}

fn change_text(c: &AlertChange) -> String {
    let mut s = format!("{} {}", csv::instant(&c.at), c.action);
    match (&c.from, &c.to) {
        (Some(f), Some(t)) => s.push_str(&format!(" {f} -> {t}")),
        (None, Some(t)) => s.push_str(&format!(" {t}")),
        _ => {}
    }
    if let Some(a) = &c.actor {
        s.push_str(&format!(" by {a}"));
    }
    s
}

fn csv_row(out: &mut String, a: &AlertView, evidence: &[Event], history: &[AlertChange]) {
    let at = |t: &Option<chrono::DateTime<chrono::Utc>>| {
        t.as_ref().map(csv::instant).unwrap_or_default()
    };
    let ids = evidence
        .iter()
        .map(|e| e.id.to_string())
        .collect::<Vec<_>>()
        .join(" ");
    let changes = history
        .iter()
        .map(change_text)
        .collect::<Vec<_>>()
        .join("; ");
    csv::row(
        out,
        &[
            Cell::Plain(a.id.to_string()),
            Cell::Text(Some(&a.title)),
            Cell::Text(Some(&a.severity)),
            Cell::Text(Some(&a.status)),
            Cell::Text(a.rule_name.as_deref()),
            Cell::Text(Some(&a.group_key)),
            Cell::Plain(a.event_count.to_string()),
            Cell::Plain(csv::instant(&a.first_seen)),
            Cell::Plain(csv::instant(&a.last_seen)),
            Cell::Plain(csv::instant(&a.created_at)),
            Cell::Plain(at(&a.acknowledged_at)),
            Cell::Plain(at(&a.resolved_at)),
            Cell::Text(a.assignee.as_deref()),
            Cell::Text(a.summary.as_deref()),
            Cell::Plain(ids),
            Cell::Text(Some(&changes)),
        ],
    );
}

/// One alert's section in the PDF: its facts, evidence and history.
fn detail(a: &AlertView, evidence: &[Event], history: &[AlertChange]) -> (String, Vec<Block>) {
    let mut blocks = vec![Block::Facts {
        items: vec![
            ("Severity".into(), a.severity.clone()),
            ("Status".into(), a.status.clone()),
            ("Rule".into(), a.rule_name.clone().unwrap_or_default()),
            ("Group".into(), a.group_key.clone()),
            ("Events".into(), count(a.event_count as u64)),
            ("First seen".into(), csv::instant(&a.first_seen)),
            ("Last seen".into(), csv::instant(&a.last_seen)),
        ],
    }];
    if let Some(s) = &a.summary {
        blocks.push(Block::Text { text: s.clone() });
    }
    if !evidence.is_empty() {
        blocks.push(Block::Table {
            columns: ["Time", "Host", "Source", "Message"]
                .map(String::from)
                .to_vec(),
            rows: evidence
                .iter()
                .map(|e| {
                    vec![
                        e.timestamp.format("%Y-%m-%d %H:%M:%S").to_string(),
                        e.host.clone().unwrap_or_default(),
                        e.source_ip.clone().unwrap_or_default(),
                        shorten(&e.message, 120),
                    ]
                })
                .collect(),
        });
    }
    if !history.is_empty() {
        blocks.push(Block::Table {
            columns: ["Time", "Change", "By"].map(String::from).to_vec(),
            rows: history
                .iter()
                .map(|c| {
                    let mut change = c.action.clone();
                    if let Some(t) = &c.to {
                        change.push_str(&format!(
                            ": {}",
                            c.from
                                .as_deref()
                                .map_or(t.clone(), |f| format!("{f} -> {t}"))
                        ));
                    }
                    vec![
                        c.at.format("%Y-%m-%d %H:%M:%S").to_string(),
                        change,
                        c.actor.clone().unwrap_or_default(),
                    ]
                })
                .collect(),
        });
    }
    (format!("Alert {}: {}", a.id, shorten(&a.title, 60)), blocks)
}
