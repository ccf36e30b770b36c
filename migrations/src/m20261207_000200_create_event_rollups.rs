//! Per-minute event counts by one dimension (level, host, event action, source address,
//! outcome, source, and the outcome of authentication events), kept by the ingest writer in the
//! same transaction as the events, so the dashboard never scans the events table. Filled here
//! from the events already stored.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The dimensions and the expression of each dimension's value in `bronze_event_data`. The
/// writer uses the same names (`server::ingest::rollup`); NULL counts as the empty value.
const DIMENSIONS: [(&str, &str); 6] = [
    ("level", "level"),
    ("host", "host"),
    ("event_action", "event_action"),
    ("source_ip", "source_ip"),
    ("event_outcome", "event_outcome"),
    ("source", "source"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let backend = manager.get_database_backend();
        // MariaDB compares text case-insensitively and ignoring trailing spaces by default;
        // a rollup key must tell `INFO` from `info` like the writer does.
        let create = match backend {
            DbBackend::MySql => {
                "CREATE TABLE IF NOT EXISTS `event_rollups` (\
                 `dimension` VARCHAR(16) CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin NOT NULL, \
                 `minute` BIGINT NOT NULL, \
                 `value` VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin NOT NULL, \
                 `events` BIGINT NOT NULL, \
                 PRIMARY KEY (`dimension`, `minute`, `value`)) ENGINE=InnoDB"
            }
            _ => {
                "CREATE TABLE IF NOT EXISTS \"event_rollups\" (\
                 \"dimension\" TEXT NOT NULL, \
                 \"minute\" INTEGER NOT NULL, \
                 \"value\" TEXT NOT NULL, \
                 \"events\" INTEGER NOT NULL, \
                 PRIMARY KEY (\"dimension\", \"minute\", \"value\")) WITHOUT ROWID"
            }
        };
        db.execute_unprepared(create).await?;
        for (dimension, expr) in DIMENSIONS {
            db.execute_unprepared(&backfill(backend, dimension, expr, "1 = 1"))
                .await?;
        }
        // The outcome of authentication events, compared exactly as the writer compares it.
        let login = match backend {
            DbBackend::MySql => {
                "BINARY `event_category` = 'authentication' AND CHAR_LENGTH(`event_outcome`) > 0"
            }
            _ => "\"event_category\" = 'authentication' AND LENGTH(\"event_outcome\") > 0",
        };
        db.execute_unprepared(&backfill(backend, "login", "event_outcome", login))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Alias::new("event_rollups")).to_owned())
            .await
    }
}

fn quote(backend: DbBackend) -> impl Fn(&str) -> String {
    move |c: &str| match backend {
        DbBackend::MySql => format!("`{c}`"),
        _ => format!("\"{c}\""),
    }
}

/// The minute of an event's timestamp, counted from the Unix epoch, rounded down.
fn minute(backend: DbBackend) -> &'static str {
    match backend {
        DbBackend::MySql => "FLOOR(TIMESTAMPDIFF(SECOND, '1970-01-01 00:00:00', `timestamp`) / 60)",
        // SQLite keeps instants as RFC 3339 text; `%s` reads it, offset included.
        _ => {
            "((CAST(strftime('%s', \"timestamp\") AS INTEGER) \
             - ((CAST(strftime('%s', \"timestamp\") AS INTEGER) % 60) + 60) % 60) / 60)"
        }
    }
}

fn backfill(backend: DbBackend, dimension: &str, expr: &str, filter: &str) -> String {
    let q = quote(backend);
    let value = match backend {
        DbBackend::MySql => format!("COALESCE({expr}, '') COLLATE utf8mb4_nopad_bin"),
        _ => format!("COALESCE({expr}, '')"),
    };
    format!(
        "INSERT INTO {t} ({d}, {m}, {v}, {e}) \
         SELECT '{dimension}', r.m, r.v, COUNT(*) FROM \
         (SELECT {minute} AS m, {value} AS v FROM {events} WHERE {filter}) r \
         GROUP BY r.m, r.v",
        t = q("event_rollups"),
        d = q("dimension"),
        m = q("minute"),
        v = q("value"),
        e = q("events"),
        minute = minute(backend),
        events = q("bronze_event_data"),
    )
}
