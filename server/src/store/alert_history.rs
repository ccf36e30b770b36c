//! `alert_history`: every change to an alert, who made it and when.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "alert_history")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub alert_id: i64,
    pub at: DateTimeUtc,
    pub actor_id: Option<i32>,
    pub actor_name: Option<String>,
    /// What changed: `created`, `status`, `assignee`, `severity`, `comment`, `matched`…
    pub action: String,
    pub from_value: Option<String>,
    pub to_value: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
