//! Background jobs: one worker generates queued reports one at a time, deletes expired ones,
//! and queues the reports of due schedules. One file per job kind.
//!
//! A report is `queued` when created, `running` while the worker writes it (its `progress`
//! moving from 0 to 100), then `done` or `failed` with the reason. The state lives in the
//! database, so a restart loses nothing queued; a report found `running` at start was cut off
//! by a crash or a kill and is failed with a reason saying so, its partial file removed, and
//! never left `running`.

pub mod report;
pub mod retention;
pub mod schedule;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, sea_query::Expr};
use tokio::sync::Notify;

use crate::service::Service;
use crate::store::report as row;

/// The `report_*` configuration keys.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Where report files are written: `DATA_DIR/reports`.
    pub dir: PathBuf,
    /// Finished reports older than this are deleted with their files.
    pub retention: Duration,
    /// Rows read per keyset page while generating.
    pub page_rows: usize,
    /// How often the worker looks for work when nothing wakes it.
    pub poll: Duration,
}

impl Settings {
    pub fn defaults(data_dir: &std::path::Path) -> Self {
        Self {
            dir: data_dir.join("reports"),
            retention: Duration::from_secs(30 * 86_400),
            page_rows: 1000,
            poll: Duration::from_secs(5),
        }
    }
}

/// The handle the service holds: the settings and a way to wake the worker.
#[derive(Clone)]
pub struct Jobs {
    pub settings: Arc<Settings>,
    wake: Arc<Notify>,
}

impl Jobs {
    pub fn new(settings: Settings) -> Self {
        Self {
            settings: Arc::new(settings),
            wake: Arc::new(Notify::new()),
        }
    }

    /// Tells the worker there is work (a permit is kept when it is busy).
    pub fn wake(&self) {
        self.wake.notify_one();
    }
}

/// The reason a report interrupted by a stop carries.
pub const INTERRUPTED: &str =
    "interrupted: Vigil stopped while generating this report; create it again";

/// Fails the reports a previous process left `running` and removes partial files. Runs once at
/// start, before the worker.
pub async fn recover(db: &DatabaseConnection, settings: &Settings) -> anyhow::Result<u64> {
    std::fs::create_dir_all(&settings.dir)
        .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", settings.dir.display()))?;
    let failed = row::Entity::update_many()
        .col_expr(row::Column::Status, Expr::value("failed"))
        .col_expr(row::Column::Error, Expr::value(INTERRUPTED))
        .col_expr(row::Column::FinishedAt, Expr::value(Utc::now()))
        .filter(row::Column::Status.eq("running"))
        .exec(db)
        .await?
        .rows_affected;
    if failed > 0 {
        tracing::warn!(
            reports = failed,
            "reports interrupted by the last stop marked failed"
        );
    }
    for entry in std::fs::read_dir(&settings.dir)?.flatten() {
        if entry
            .file_name()
            .to_string_lossy()
            .ends_with(report::PARTIAL)
        {
            let _ = std::fs::remove_file(entry.path());
        }
    }
    Ok(failed)
}

/// Starts the worker. It stops when the runtime does.
pub fn start(service: Service, jobs: Jobs) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut next_sweep = tokio::time::Instant::now();
        loop {
            loop {
                match report::run_next(&service, &jobs.settings).await {
                    Ok(true) => continue,
                    Ok(false) => break,
                    Err(e) => {
                        tracing::error!(error = %e, "report worker: database error");
                        break;
                    }
                }
            }
            if tokio::time::Instant::now() >= next_sweep {
                if let Err(e) = retention::sweep(service.db(), &jobs.settings).await {
                    tracing::error!(error = %e, "report retention: database error");
                }
                next_sweep = tokio::time::Instant::now() + Duration::from_secs(3600);
            }
            tokio::select! {
                () = jobs.wake.notified() => {}
                () = tokio::time::sleep(jobs.settings.poll) => {}
            }
        }
    })
}
