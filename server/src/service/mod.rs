//! The one place use cases live: implements the app's service port over the database.

mod accounts;
pub(crate) mod alerts;
mod api_tokens;
pub mod audit;
pub mod auth;
pub mod backtest;
pub mod channels;
mod dashboard;
mod event_browser;
pub mod event_export;
pub(crate) mod log_search;
pub mod logs;
mod report_schedules;
pub mod reports;
mod roles;
pub mod rule_channels;
pub mod rule_import;
pub(crate) mod rules;
mod system;
mod unique;
pub mod users;

pub(crate) use alerts::alert_views;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;

/// The backend behind the service port, holding everything its use cases need.
#[derive(Clone)]
pub struct Service {
    db: DatabaseConnection,
    /// The ingest pipeline, for log submission, and its detection engine, which evaluates the
    /// audit trail's events too.
    ingest: crate::ingest::IngestHandle,
    /// Keys and throttles for signing in.
    auth: auth::AuthSettings,
    started_at: DateTime<Utc>,
    /// Notification settings, for a channel's test message.
    notify: Arc<crate::alerting::notify::Settings>,
    /// Where triage changes are announced to the alert stream.
    alert_feed: crate::alerting::AlertFeed,
    backtests: backtest::Backtests,
    /// The report worker's settings and wake-up.
    jobs: crate::jobs::Jobs,
    /// The cron jobs of report schedules.
    schedules: crate::jobs::schedule::Schedules,
}

impl Service {
    pub fn new(ingest: crate::ingest::IngestHandle, auth: auth::AuthSettings) -> Self {
        Self {
            db: ingest.db().clone(),
            alert_feed: ingest.alert_feed().clone(),
            ingest,
            auth,
            started_at: Utc::now(),
            notify: Arc::default(),
            backtests: Default::default(),
            jobs: crate::jobs::Jobs::new(crate::jobs::Settings::defaults(std::path::Path::new(
                "data",
            ))),
            schedules: Default::default(),
        }
    }

    /// The service with the report worker's handle.
    pub fn with_jobs(mut self, jobs: crate::jobs::Jobs) -> Self {
        self.jobs = jobs;
        self
    }

    /// The database, for background jobs.
    pub fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    /// Notification delivery settings, for e-mailed reports.
    pub fn notify_settings(&self) -> &crate::alerting::notify::Settings {
        &self.notify
    }

    /// Starts the report worker and the schedules' cron jobs; reports a previous process left
    /// running are failed first.
    pub async fn start_jobs(&self) -> anyhow::Result<()> {
        crate::jobs::recover(&self.db, &self.jobs.settings).await?;
        crate::jobs::start(self.clone(), self.jobs.clone());
        self.schedules.start(self.clone()).await
    }

    /// The service with the configured notification settings.
    pub fn with_notify(mut self, settings: crate::alerting::notify::Settings) -> Self {
        self.notify = Arc::new(settings);
        self
    }

    /// The service with other sign-in settings (throttle limits, token lifetimes).
    pub fn with_auth(mut self, auth: auth::AuthSettings) -> Self {
        self.auth = auth;
        self
    }

    pub fn ingest(&self) -> &crate::ingest::IngestHandle {
        &self.ingest
    }

    pub fn auth(&self) -> &auth::AuthSettings {
        &self.auth
    }

    /// Records `entry` in the audit trail on a transaction of its own, evaluated by detection.
    pub(crate) async fn audit(&self, entry: audit::AuditEntry) -> Result<(), sea_orm::DbErr> {
        audit::record(&self.db, self.ingest.engine(), entry).await
    }

    /// Begins a transaction whose audit records are evaluated by detection when it commits.
    pub(crate) async fn begin_audited(&self) -> Result<audit::Audited, sea_orm::DbErr> {
        audit::begin(&self.db, self.ingest.engine()).await
    }

    /// The permission check every use case starts with; a denial is audited.
    pub(crate) async fn authorize(
        &self,
        user: &app::model::auth::CurrentUser,
        permission: app::model::auth::Permission,
    ) -> Result<(), app::error::AppError> {
        let result = app::model::auth::require(user, permission);
        if result.is_err() {
            let entry = audit::AuditEntry::by(user, "permission_denied", audit::Outcome::Failure)
                .target(permission.as_str())
                .details(serde_json::json!({ "roles": user.roles }));
            self.audit(entry).await.map_err(internal)?;
        }
        result
    }
}

/// Logs a database error where it happens and hides it from the caller.
pub(crate) fn internal(err: sea_orm::DbErr) -> app::error::AppError {
    tracing::error!(error = %err, "database error");
    app::error::AppError::Internal
}
