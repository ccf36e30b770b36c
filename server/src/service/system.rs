//! Use cases about the instance itself.

use sea_orm::{ColumnTrait, DbBackend, EntityTrait, PaginatorTrait, QueryFilter};

use app::error::AppError;
use app::model::auth::{CurrentUser, Permission};
use app::model::{DatabaseBackend, SystemStatus};

use super::{Service, internal};
use crate::store::{alert, bronze_event_data, rule};

#[async_trait::async_trait]
impl app::model::system::SystemService for Service {
    async fn system_status(&self, user: &CurrentUser) -> Result<SystemStatus, AppError> {
        self.authorize(user, Permission::EventsRead).await?;
        let events_total = bronze_event_data::Entity::find()
            .count(&self.db)
            .await
            .map_err(internal)?;
        let alerts_open = alert::Entity::find()
            .filter(alert::Column::Status.is_not_in(alert::CLOSED_STATUSES))
            .count(&self.db)
            .await
            .map_err(internal)?;
        let rules_total = rule::Entity::find()
            .count(&self.db)
            .await
            .map_err(internal)?;
        Ok(SystemStatus {
            version: env!("CARGO_PKG_VERSION").to_string(),
            database: match self.db.get_database_backend() {
                DbBackend::MySql => DatabaseBackend::Mysql,
                _ => DatabaseBackend::Sqlite,
            },
            started_at: self.started_at,
            events_total,
            alerts_open,
            rules_total,
        })
    }
}
