//! Per-minute event counts by dimension (`event_rollups`), added to in the transaction that
//! stores the events, so the dashboard reads counts instead of scanning events and the counts
//! are exactly those of the stored events, across crashes and retries alike.

use std::collections::BTreeMap;

use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement, Value};

use super::EventRow;

/// One rollup dimension: an event's value for it, or `None` when the event does not count in
/// it. The names match the migration that created and filled the table.
pub const DIMENSIONS: [&str; 7] = [
    "level",
    "host",
    "event_action",
    "source_ip",
    "event_outcome",
    "source",
    "login",
];

/// The event's value in `dimension`; a missing value counts as the empty one, except for
/// `login`, which counts only authentication events that carry an outcome.
pub fn value<'a>(row: &'a EventRow, dimension: &str) -> Option<&'a str> {
    let or_empty = |v: &'a Option<String>| Some(v.as_deref().unwrap_or(""));
    match dimension {
        "level" => or_empty(&row.level),
        "host" => or_empty(&row.host),
        "event_action" => or_empty(&row.event_action),
        "source_ip" => or_empty(&row.source_ip),
        "event_outcome" => or_empty(&row.event_outcome),
        "source" => Some(&row.source),
        "login" => match (&row.event_category, &row.event_outcome) {
            (Some(c), Some(o)) if c == "authentication" && !o.is_empty() => Some(o),
            _ => None,
        },
        _ => None,
    }
}

/// The minute of `ts`, counted from the Unix epoch and rounded down.
pub fn minute(ts: chrono::DateTime<chrono::Utc>) -> i64 {
    ts.timestamp().div_euclid(60)
}

/// The counts `rows` add, keyed by dimension, minute and value, in key order (so concurrent
/// transactions lock rollup rows in the same order).
pub fn counts(rows: &[EventRow]) -> BTreeMap<(&'static str, i64, &str), i64> {
    let mut out = BTreeMap::new();
    for row in rows {
        let m = minute(row.timestamp);
        for dimension in DIMENSIONS {
            if let Some(v) = value(row, dimension) {
                *out.entry((dimension, m, v)).or_insert(0) += 1;
            }
        }
    }
    out
}

/// Rows per upsert statement: four values each, under SQLite's 32766 parameters.
const ROWS_PER_STATEMENT: usize = 4_000;

/// Adds the counts of `rows` to `event_rollups`, inside the caller's transaction.
pub async fn add<C: ConnectionTrait>(conn: &C, rows: &[EventRow]) -> Result<(), DbErr> {
    let backend = conn.get_database_backend();
    let counts: Vec<_> = counts(rows).into_iter().collect();
    for chunk in counts.chunks(ROWS_PER_STATEMENT) {
        conn.execute_raw(statement(backend, chunk)).await?;
    }
    Ok(())
}

fn statement(backend: DbBackend, counts: &[((&str, i64, &str), i64)]) -> Statement {
    let mut sql = String::with_capacity(128 + counts.len() * 10);
    match backend {
        DbBackend::MySql => sql.push_str(
            "INSERT INTO `event_rollups` (`dimension`,`minute`,`value`,`events`) VALUES ",
        ),
        _ => sql.push_str(
            "INSERT INTO \"event_rollups\" (\"dimension\",\"minute\",\"value\",\"events\") VALUES ",
        ),
    }
    let mut values: Vec<Value> = Vec::with_capacity(counts.len() * 4);
    for (i, ((dimension, minute, value), n)) in counts.iter().enumerate() {
        if i > 0 {
            sql.push(',');
        }
        sql.push_str("(?,?,?,?)");
        values.push((*dimension).into());
        values.push((*minute).into());
        values.push((*value).into());
        values.push((*n).into());
    }
    match backend {
        DbBackend::MySql => {
            sql.push_str(" ON DUPLICATE KEY UPDATE `events` = `events` + VALUES(`events`)")
        }
        _ => sql.push_str(
            " ON CONFLICT (\"dimension\",\"minute\",\"value\") \
             DO UPDATE SET \"events\" = \"events\" + excluded.\"events\"",
        ),
    }
    Statement::from_sql_and_values(backend, sql, values)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::ParsedEvent;
    use chrono::{TimeZone, Utc};

    fn row(level: Option<&str>, category: Option<&str>, outcome: Option<&str>) -> EventRow {
        let mut ev = ParsedEvent::raw("x");
        ev.level = level.map(str::to_string);
        ev.event_category = category.map(str::to_string);
        ev.event_outcome = outcome.map(str::to_string);
        ev.timestamp = Some(Utc.with_ymd_and_hms(2026, 3, 3, 4, 5, 59).unwrap());
        EventRow::new(ev, "x".into(), Utc::now(), "api".into())
    }

    #[test]
    fn minutes_round_down_before_and_after_the_epoch() {
        let at = |s: &str| s.parse::<chrono::DateTime<Utc>>().unwrap();
        assert_eq!(minute(at("1970-01-01T00:00:59Z")), 0);
        assert_eq!(minute(at("1970-01-01T00:01:00Z")), 1);
        assert_eq!(minute(at("1969-12-31T23:59:59Z")), -1);
        assert_eq!(minute(at("2026-03-03T04:05:59.999Z")), 29_541_845);
    }

    #[test]
    fn every_event_counts_once_per_dimension_and_logins_only_when_authenticating() {
        let rows = vec![
            row(Some("info"), Some("authentication"), Some("failure")),
            row(Some("info"), Some("authentication"), Some("failure")),
            row(Some("INFO"), Some("authentication"), None),
            row(None, Some("network"), Some("success")),
        ];
        let c = counts(&rows);
        let m = 29_541_845;
        assert_eq!(c[&("level", m, "info")], 2);
        assert_eq!(c[&("level", m, "INFO")], 1);
        assert_eq!(c[&("level", m, "")], 1);
        assert_eq!(c[&("login", m, "failure")], 2);
        assert_eq!(c.keys().filter(|k| k.0 == "login").count(), 1);
        assert_eq!(c[&("event_outcome", m, "")], 1);
        assert_eq!(c[&("source", m, "api")], 4);
        for d in DIMENSIONS.iter().filter(|d| **d != "login") {
            let total: i64 = c.iter().filter(|(k, _)| k.0 == *d).map(|(_, n)| n).sum();
            assert_eq!(total, 4, "{d}");
        }
    }

    #[test]
    fn statements_add_to_existing_counts() {
        let rows = vec![row(Some("info"), None, None)];
        let c: Vec<_> = counts(&rows).into_iter().collect();
        let s = statement(DbBackend::Sqlite, &c);
        assert!(
            s.sql.ends_with("\"events\" + excluded.\"events\""),
            "{}",
            s.sql
        );
        assert_eq!(s.values.unwrap().0.len(), c.len() * 4);
        let s = statement(DbBackend::MySql, &c);
        assert!(s.sql.contains("ON DUPLICATE KEY UPDATE"));
    }
}
