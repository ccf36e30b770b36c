//! Reading `event_rollups`: per-minute event counts by dimension, which the ingest writer keeps
//! (`crate::ingest::rollup`). Every query names one dimension and a range of minutes, so it
//! reads a contiguous part of the primary key.

use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement, Value};

/// `[from, to)` in minutes since the Unix epoch.
#[derive(Debug, Clone, Copy)]
pub struct Minutes {
    pub from: i64,
    pub to: i64,
}

fn table(backend: DbBackend) -> &'static str {
    match backend {
        DbBackend::MySql => "`event_rollups`",
        _ => "\"event_rollups\"",
    }
}

/// `SUM(events)` as an integer (MariaDB sums integers into a decimal).
fn sum_events(backend: DbBackend) -> &'static str {
    match backend {
        DbBackend::MySql => "CAST(SUM(events) AS SIGNED)",
        _ => "SUM(events)",
    }
}

fn stmt(backend: DbBackend, sql: String, values: Vec<Value>) -> Statement {
    Statement::from_sql_and_values(backend, sql, values)
}

/// Counts per bucket (`bucket` minutes long, from `range.from`) and value.
pub async fn series<C: ConnectionTrait>(
    db: &C,
    dimension: &str,
    range: Minutes,
    bucket: i64,
) -> Result<Vec<(i64, String, i64)>, DbErr> {
    let backend = db.get_database_backend();
    let sql = format!(
        "SELECT (minute - ?) DIV ? AS b, value, {} FROM {} \
         WHERE dimension = ? AND minute >= ? AND minute < ? GROUP BY b, value",
        sum_events(backend),
        table(backend)
    );
    // SQLite divides integers with `/`; MariaDB's `/` answers a decimal.
    let sql = match backend {
        DbBackend::MySql => sql,
        _ => sql.replace(" DIV ", " / "),
    };
    let rows = db
        .query_all_raw(stmt(
            backend,
            sql,
            vec![
                range.from.into(),
                bucket.into(),
                dimension.into(),
                range.from.into(),
                range.to.into(),
            ],
        ))
        .await?;
    rows.into_iter()
        .map(|r| {
            Ok((
                r.try_get_by_index::<i64>(0)?,
                r.try_get_by_index::<String>(1)?,
                sum(&r, 2)?,
            ))
        })
        .collect()
}

/// The `limit` most frequent values in the range, most frequent first (ties by value).
pub async fn top<C: ConnectionTrait>(
    db: &C,
    dimension: &str,
    range: Minutes,
    limit: u64,
) -> Result<Vec<(String, i64)>, DbErr> {
    let backend = db.get_database_backend();
    let sql = format!(
        "SELECT value, {} AS n FROM {} WHERE dimension = ? AND minute >= ? AND \
         minute < ? GROUP BY value ORDER BY n DESC, value LIMIT ?",
        sum_events(backend),
        table(backend)
    );
    let rows = db
        .query_all_raw(stmt(
            backend,
            sql,
            vec![
                dimension.into(),
                range.from.into(),
                range.to.into(),
                (limit as i64).into(),
            ],
        ))
        .await?;
    rows.into_iter()
        .map(|r| Ok((r.try_get_by_index::<String>(0)?, sum(&r, 1)?)))
        .collect()
}

/// The events in the range (every event counts once under `source`) and how many distinct
/// sources sent them.
pub async fn totals<C: ConnectionTrait>(db: &C, range: Minutes) -> Result<(i64, i64), DbErr> {
    let backend = db.get_database_backend();
    let sql = format!(
        "SELECT {}, COUNT(DISTINCT value) FROM {} \
         WHERE dimension = 'source' AND minute >= ? AND minute < ?",
        sum_events(backend),
        table(backend)
    );
    let row = db
        .query_one_raw(stmt(backend, sql, vec![range.from.into(), range.to.into()]))
        .await?;
    match row {
        Some(r) => Ok((sum(&r, 0)?, r.try_get_by_index::<i64>(1)?)),
        None => Ok((0, 0)),
    }
}

/// A `SUM` column, NULL over no rows.
fn sum(row: &sea_orm::QueryResult, i: usize) -> Result<i64, DbErr> {
    Ok(row.try_get_by_index::<Option<i64>>(i)?.unwrap_or(0))
}
