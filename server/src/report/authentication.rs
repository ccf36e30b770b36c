//! Authentication activity: sign-ins, failed sign-ins and sudo use per user and per host, the
//! busiest [`TOP`] of each, counted by the database.

use sea_orm::sea_query::{Condition, Expr};
use sea_orm::{
    ColumnTrait, DatabaseConnection, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Select,
};

use app::model::auth::Permission;

use super::{Block, Context, Document, ReportError, count};
use crate::store::bronze_event_data::{Column, Entity};

/// Users and hosts listed.
pub const TOP: u64 = 100;

const OK: &str =
    "COUNT(CASE WHEN event_category = 'authentication' AND event_outcome = 'success' THEN 1 END)";
const FAILED: &str =
    "COUNT(CASE WHEN event_category = 'authentication' AND event_outcome = 'failure' THEN 1 END)";
const SUDO: &str = "COUNT(CASE WHEN event_action = 'sudo' THEN 1 END)";

pub async fn run(ctx: &mut Context<'_>) -> Result<(), ReportError> {
    let request = ctx.request;
    ctx.service
        .authorize(&request.owner, Permission::EventsRead)
        .await?;
    let events = super::events::search(
        request.filters.q.as_deref(),
        request.from,
        request.to,
        ctx.db.get_database_backend(),
        &request.owner,
    )?
    .select()
    .filter(
        Condition::any()
            .add(Column::EventCategory.eq("authentication"))
            .add(Column::EventAction.eq("sudo")),
    );
    let db = ctx.db;
    let relevant = events.clone().count(db).await?;
    let users = per(events.clone(), Column::UserName, db).await?;
    ctx.progress.set(1, 3).await?;
    let hosts = per(events, Column::Host, db).await?;
    ctx.progress.set(2, 3).await?;
    let total = |rows: &[Row], i: usize| rows.iter().map(|r| r.counts[i]).sum::<u64>();
    let mut doc = Document::new(request);
    let mut facts = vec![
        ("Authentication and sudo events".into(), count(relevant)),
        (
            "Successful sign-ins (listed users)".into(),
            count(total(&users, 0)),
        ),
        (
            "Failed sign-ins (listed users)".into(),
            count(total(&users, 1)),
        ),
        (
            "sudo commands (listed users)".into(),
            count(total(&users, 2)),
        ),
    ];
    if let Some(q) = &request.filters.q {
        facts.push(("Event query".into(), q.clone()));
    }
    doc.section("Overview", vec![Block::Facts { items: facts }]);
    doc.section("Per user", vec![table("User", users)]);
    doc.section("Per host", vec![table("Host", hosts)]);
    doc.write(request.format, &mut ctx.out).await
}

struct Row {
    name: String,
    /// Successful sign-ins, failed sign-ins, sudo commands.
    counts: [u64; 3],
}

fn table(key: &str, rows: Vec<Row>) -> Block {
    Block::Table {
        columns: vec![
            key.into(),
            "Successful sign-ins".into(),
            "Failed sign-ins".into(),
            "sudo commands".into(),
        ],
        rows: rows
            .into_iter()
            .map(|r| {
                let mut row = vec![r.name];
                row.extend(r.counts.iter().map(|n| count(*n)));
                row
            })
            .collect(),
    }
}

/// The [`TOP`] values of `column` with the most relevant events, most first.
async fn per(
    events: Select<Entity>,
    column: Column,
    db: &DatabaseConnection,
) -> Result<Vec<Row>, sea_orm::DbErr> {
    let rows: Vec<(String, i64, i64, i64)> = events
        .filter(column.is_not_null())
        .select_only()
        .column(column)
        .column_as(Expr::cust(OK), "ok")
        .column_as(Expr::cust(FAILED), "failed")
        .column_as(Expr::cust(SUDO), "sudo")
        .group_by(column)
        .order_by_desc(Expr::cust("COUNT(*)"))
        .order_by_asc(column)
        .limit(TOP)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(name, ok, failed, sudo)| Row {
            name,
            counts: [ok as u64, failed as u64, sudo as u64],
        })
        .collect())
}
