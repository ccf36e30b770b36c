//! Executive summary: event totals and their trend, sign-ins, top source addresses, alerts
//! raised in the range by severity, status and rule, and the mean times to acknowledge and to
//! resolve them. Counts are aggregates the database computes; the alert times are read in
//! keyset pages, so nothing holds the range in memory.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Select,
};

use app::model::auth::Permission;
use app::model::reports::ReportFilters;

use super::{Block, Context, Document, ReportError, count, duration};
use crate::alerting::STATUSES;
use crate::service::alerts::list_of;
use crate::service::rules::SEVERITIES;
use crate::store::{alert, bronze_event_data as event};

/// Bars in the trend chart.
const BUCKETS: i64 = 24;
/// Entries in each top list.
const TOP: u64 = 10;

pub async fn run(ctx: &mut Context<'_>) -> Result<(), ReportError> {
    let request = ctx.request;
    let owner = &request.owner;
    ctx.service.authorize(owner, Permission::EventsRead).await?;
    let db = ctx.db;
    let steps = 8;
    let events = super::events::search(
        request.filters.q.as_deref(),
        request.from,
        request.to,
        db.get_database_backend(),
        owner,
    )?
    .select();
    let mut doc = Document::new(request);

    let total = events.clone().count(db).await?;
    let logins = outcomes(
        events
            .clone()
            .filter(event::Column::EventCategory.eq("authentication")),
        db,
    )
    .await?;
    ctx.progress.set(1, steps).await?;
    let (ok, failed) = (
        logins.iter().find(|l| l.0 == "success").map_or(0, |l| l.1),
        logins.iter().find(|l| l.0 == "failure").map_or(0, |l| l.1),
    );
    let mut overview = vec![
        ("Events".to_string(), count(total)),
        ("Successful sign-ins".to_string(), count(ok)),
        ("Failed sign-ins".to_string(), count(failed)),
    ];
    let alerts = if owner.can(Permission::AlertsRead) {
        Some(alert_select(&request.filters, request.from, request.to)?)
    } else {
        None
    };
    if let Some(alerts) = &alerts {
        overview.push((
            "Alerts raised".into(),
            count(alerts.clone().count(db).await?),
        ));
    }
    if let Some(q) = &request.filters.q {
        overview.push(("Event query".into(), q.clone()));
    }
    doc.section("Overview", vec![Block::Facts { items: overview }]);

    let trend = trend(&events, request.from, request.to, db).await?;
    ctx.progress.set(3, steps).await?;
    doc.section(
        "Event trend",
        vec![
            Block::Chart {
                caption: "Events per interval".into(),
                points: trend.clone(),
            },
            Block::Table {
                columns: vec!["Interval starting".into(), "Events".into()],
                rows: trend.into_iter().map(|(k, v)| vec![k, count(v)]).collect(),
            },
        ],
    );

    let sources = top(
        events.clone().filter(event::Column::SourceIp.is_not_null()),
        event::Column::SourceIp,
        db,
    )
    .await?;
    ctx.progress.set(4, steps).await?;
    doc.section(
        "Top source addresses",
        vec![table("Address", "Events", sources)],
    );

    match alerts {
        Some(alerts) => {
            let by_severity = grouped(alerts.clone(), alert::Column::Severity, db).await?;
            let by_severity: Vec<(String, u64)> = SEVERITIES
                .iter()
                .rev()
                .map(|s| {
                    let n = by_severity.iter().find(|r| r.0 == *s).map_or(0, |r| r.1);
                    (s.to_string(), n)
                })
                .collect();
            let by_status = grouped(alerts.clone(), alert::Column::Status, db).await?;
            let by_status: Vec<(String, u64)> = STATUSES
                .iter()
                .map(|s| {
                    let n = by_status.iter().find(|r| r.0 == *s).map_or(0, |r| r.1);
                    (s.to_string(), n)
                })
                .collect();
            ctx.progress.set(5, steps).await?;
            let rules = top(
                alerts.clone().filter(alert::Column::RuleName.is_not_null()),
                alert::Column::RuleName,
                db,
            )
            .await?;
            ctx.progress.set(6, steps).await?;
            let (mtta, mttr) = mean_times(alerts, db, ctx.page_rows).await?;
            ctx.progress.set(7, steps).await?;
            let mut blocks = Vec::new();
            if by_severity.iter().any(|p| p.1 > 0) {
                blocks.push(Block::Chart {
                    caption: "Alerts by severity".into(),
                    points: by_severity.clone(),
                });
            } else {
                blocks.push(Block::Text {
                    text: "No alerts were raised in this range.".into(),
                });
            }
            blocks.extend([
                table("Severity", "Alerts", by_severity),
                table("Status", "Alerts", by_status),
                Block::Facts {
                    items: vec![
                        (
                            "Mean time to acknowledge".into(),
                            mtta.map_or_else(|| "no acknowledged alerts".into(), duration),
                        ),
                        (
                            "Mean time to resolve".into(),
                            mttr.map_or_else(|| "no resolved alerts".into(), duration),
                        ),
                    ],
                },
            ]);
            doc.section("Alerts", blocks);
            doc.section("Top rules", vec![table("Rule", "Alerts", rules)]);
        }
        None => doc.section(
            "Alerts",
            vec![Block::Text {
                text: "Not included: the report's owner may not read alerts.".into(),
            }],
        ),
    }
    doc.write(request.format, &mut ctx.out).await
}

fn table(key: &str, value: &str, rows: Vec<(String, u64)>) -> Block {
    Block::Table {
        columns: vec![key.into(), value.into()],
        rows: rows.into_iter().map(|(k, v)| vec![k, count(v)]).collect(),
    }
}

/// Alerts raised in the range, with the report's severity and status filters.
pub fn alert_select(
    filters: &ReportFilters,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Select<alert::Entity>, app::error::AppError> {
    let mut find = alert::Entity::find()
        .filter(alert::Column::CreatedAt.gte(from))
        .filter(alert::Column::CreatedAt.lt(to));
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

/// The `TOP` most frequent values of `column`, most frequent first (ties by value).
pub async fn top<E: EntityTrait>(
    select: Select<E>,
    column: E::Column,
    db: &DatabaseConnection,
) -> Result<Vec<(String, u64)>, sea_orm::DbErr> {
    let rows: Vec<(String, i64)> = select
        .select_only()
        .column(column)
        .column_as(Expr::cust("COUNT(*)"), "n")
        .group_by(column)
        .order_by_desc(Expr::cust("COUNT(*)"))
        .order_by_asc(column)
        .limit(TOP)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|(k, n)| (k, n as u64)).collect())
}

/// Counts per value of `column` (a non-null text column).
async fn grouped<E: EntityTrait>(
    select: Select<E>,
    column: E::Column,
    db: &DatabaseConnection,
) -> Result<Vec<(String, u64)>, sea_orm::DbErr> {
    let rows: Vec<(String, i64)> = select
        .select_only()
        .column(column)
        .column_as(Expr::cust("COUNT(*)"), "n")
        .group_by(column)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|(k, n)| (k, n as u64)).collect())
}

/// Events per outcome.
async fn outcomes(
    select: Select<event::Entity>,
    db: &DatabaseConnection,
) -> Result<Vec<(String, u64)>, sea_orm::DbErr> {
    let rows: Vec<(Option<String>, i64)> = select
        .select_only()
        .column(event::Column::EventOutcome)
        .column_as(Expr::cust("COUNT(*)"), "n")
        .group_by(event::Column::EventOutcome)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(k, n)| (k.unwrap_or_default(), n as u64))
        .collect())
}

/// Events in each of [`BUCKETS`] equal intervals of the range, labelled by their start.
async fn trend(
    events: &Select<event::Entity>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    db: &DatabaseConnection,
) -> Result<Vec<(String, u64)>, sea_orm::DbErr> {
    let span = (to - from).num_seconds().max(BUCKETS);
    let width = Duration::seconds((span + BUCKETS - 1) / BUCKETS);
    let label = if width >= Duration::days(1) {
        "%Y-%m-%d"
    } else {
        "%m-%d %H:%M"
    };
    let mut out = Vec::new();
    let mut start = from;
    while start < to {
        let end = (start + width).min(to);
        let n = events
            .clone()
            .filter(event::Column::Timestamp.gte(start))
            .filter(event::Column::Timestamp.lt(end))
            .count(db)
            .await?;
        out.push((start.format(label).to_string(), n));
        start = end;
    }
    Ok(out)
}

/// Mean seconds from raising to acknowledging, and to resolving, over the alerts that were;
/// read a page of ids at a time.
async fn mean_times(
    alerts: Select<alert::Entity>,
    db: &DatabaseConnection,
    page_rows: usize,
) -> Result<(Option<i64>, Option<i64>), sea_orm::DbErr> {
    type Row = (
        i64,
        DateTime<Utc>,
        Option<DateTime<Utc>>,
        Option<DateTime<Utc>>,
    );
    let (mut ack_sum, mut ack_n, mut res_sum, mut res_n) = (0i64, 0i64, 0i64, 0i64);
    let mut after = 0i64;
    loop {
        let rows: Vec<Row> = alerts
            .clone()
            .filter(alert::Column::Id.gt(after))
            .select_only()
            .column(alert::Column::Id)
            .column(alert::Column::CreatedAt)
            .column(alert::Column::AcknowledgedAt)
            .column(alert::Column::ResolvedAt)
            .order_by_asc(alert::Column::Id)
            .limit(page_rows as u64)
            .into_tuple()
            .all(db)
            .await?;
        let Some(last) = rows.last() else { break };
        after = last.0;
        for (_, created, ack, resolved) in &rows {
            if let Some(a) = ack {
                ack_sum += (*a - *created).num_seconds().max(0);
                ack_n += 1;
            }
            if let Some(r) = resolved {
                res_sum += (*r - *created).num_seconds().max(0);
                res_n += 1;
            }
        }
        if rows.len() < page_rows {
            break;
        }
    }
    Ok((
        (ack_n > 0).then(|| ack_sum / ack_n),
        (res_n > 0).then(|| res_sum / res_n),
    ))
}
