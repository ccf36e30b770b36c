//! `reports`: generated reports and their jobs (queued, running, done or failed).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "reports")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub format: String,
    pub status: String,
    /// The resolved range and filters (`from`, `to`, `filters`).
    pub parameters: Json,
    pub owner_id: Option<i32>,
    /// The file's name under `DATA_DIR/reports/` once written.
    pub file_path: Option<String>,
    pub size_bytes: Option<i64>,
    pub error: Option<String>,
    pub created_at: DateTimeUtc,
    pub finished_at: Option<DateTimeUtc>,
    pub progress: i32,
    pub started_at: Option<DateTimeUtc>,
    pub schedule_id: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
