//! The one place use cases live: implements the app's service port over the database.

mod system;
pub mod users;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;

use app::service::SharedService;

/// The backend behind the service port.
#[derive(Clone)]
pub struct Service {
    db: DatabaseConnection,
    started_at: DateTime<Utc>,
}

impl Service {
    pub fn new(db: DatabaseConnection) -> Self {
        Self {
            db,
            started_at: Utc::now(),
        }
    }

    pub fn shared(self) -> SharedService {
        Arc::new(self)
    }
}

/// Logs a database error where it happens and hides it from the caller.
pub(crate) fn internal(err: sea_orm::DbErr) -> app::error::AppError {
    tracing::error!(error = %err, "database error");
    app::error::AppError::Internal
}
