//! `report_schedules`: recurring reports over a relative range, optionally e-mailed.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "report_schedules")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub name: String,
    pub owner_id: i32,
    pub kind: String,
    pub format: String,
    /// The filters (`ReportFilters`).
    pub parameters: Json,
    /// How far back each report reaches, in seconds.
    pub range_secs: i64,
    pub cron: String,
    pub channel_id: Option<i32>,
    pub enabled: bool,
    pub last_run_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
