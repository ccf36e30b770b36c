//! `alerts`: what detection raised for analysts to triage.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "alerts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub rule_id: Option<i32>,
    pub title: String,
    pub severity: String,
    pub status: String,
    pub assignee_id: Option<i32>,
    pub dedup_key: String,
    pub event_count: i64,
    pub first_seen: DateTimeUtc,
    pub last_seen: DateTimeUtc,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// The status of an alert no analyst needs to look at again.
pub const STATUS_CLOSED: &str = "closed";
