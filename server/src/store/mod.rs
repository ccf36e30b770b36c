//! Storage: the database connection, the migrations and one sea-orm entity per table.

pub mod alert;
pub mod alert_comment;
pub mod alert_evidence;
pub mod alert_history;
pub mod api_token;
pub mod audit_log;
pub mod bronze_event_data;
pub mod builtin_rule;
pub mod checkpoint;
pub mod detector_state;
pub mod event_query;
pub mod event_rollup;
pub mod host_metrics;
pub mod id_sequence;
pub mod notification_channel;
pub mod notification_outbox;
pub mod refresh_token;
pub mod report;
pub mod report_schedule;
pub mod role;
pub mod role_permission;
pub mod rule;
pub mod rule_channel;
pub mod source;
pub mod user;
pub mod user_role;

use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, Database, DatabaseConnection};

use crate::config::{Config, DatabaseKind};

/// Opens the configured database, creating the SQLite file and its directory when missing.
pub async fn connect(config: &Config) -> anyhow::Result<DatabaseConnection> {
    if config.database_kind == DatabaseKind::Sqlite {
        let path = sqlite_path(&config.database_url);
        if let Some(parent) = std::path::Path::new(&path).parent()
            && !parent.as_os_str().is_empty()
        {
            std::fs::create_dir_all(parent).map_err(|e| {
                anyhow::anyhow!(
                    "invalid value for `database_url`: cannot create {}: {e}",
                    parent.display()
                )
            })?;
        }
    }
    let mut opts = ConnectOptions::new(config.database_url.clone());
    opts.max_connections(config.db_max_connections)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(10))
        .sqlx_logging(false)
        // WAL lets readers (the UI) run while the ingest pipeline writes; NORMAL sync is
        // durable across process crashes, which is what the checkpoint guarantee needs.
        .map_sqlx_sqlite_opts(|o| {
            o.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
                .create_if_missing(true)
        });
    Database::connect(opts).await.map_err(|e| {
        anyhow::anyhow!(
            "cannot connect to the database ({}): {e}",
            redact(&config.database_url)
        )
    })
}

/// Applies every pending migration.
pub async fn migrate(db: &DatabaseConnection) -> anyhow::Result<usize> {
    let pending = Migrator::get_pending_migrations(db).await?.len();
    Migrator::up(db, None).await?;
    Ok(pending)
}

/// The file part of a `sqlite://` URL.
fn sqlite_path(url: &str) -> String {
    let rest = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:");
    rest.split('?').next().unwrap_or_default().to_string()
}

/// The URL without its password, for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let creds = &url[scheme + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_reach_messages() {
        assert_eq!(
            redact("mysql://vigil:s3cret@db:3306/vigil"),
            "mysql://vigil:***@db:3306/vigil"
        );
        assert_eq!(redact("mysql://root@db/vigil"), "mysql://root@db/vigil");
        assert_eq!(redact("sqlite://data/vigil.db"), "sqlite://data/vigil.db");
    }

    #[test]
    fn sqlite_path_drops_scheme_and_query() {
        assert_eq!(
            sqlite_path("sqlite://data/vigil.db?mode=rwc"),
            "data/vigil.db"
        );
        assert_eq!(sqlite_path("sqlite:/tmp/x.db"), "/tmp/x.db");
    }
}
