//! What the dashboard and `/api/v1/system/status` say about the running instance.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::model::auth::CurrentUser;

/// The kind of database Vigil stores its data in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum DatabaseBackend {
    Sqlite,
    Mysql,
}

/// A snapshot of the instance: version, storage and volume.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SystemStatus {
    /// Vigil's version.
    pub version: String,
    /// The database backend in use.
    pub database: DatabaseBackend,
    /// When this process started.
    pub started_at: DateTime<Utc>,
    /// Number of stored events.
    pub events_total: u64,
    /// Number of alerts not yet closed.
    pub alerts_open: u64,
    /// Number of detection rules, enabled or not.
    pub rules_total: u64,
}

/// What the instance says about itself; implemented by the server.
#[async_trait::async_trait]
pub trait SystemService: Send + Sync + 'static {
    /// A snapshot of the instance for the dashboard; needs `events.read`.
    async fn system_status(&self, user: &CurrentUser) -> Result<SystemStatus, AppError>;
}
