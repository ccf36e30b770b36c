//! `audit_log`: who did what, when, from where, to what, and how it ended.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_log")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub timestamp: DateTimeUtc,
    pub actor_id: Option<i32>,
    pub actor_name: Option<String>,
    pub source_ip: Option<String>,
    pub action: String,
    pub target: Option<String>,
    pub outcome: String,
    pub details: Json,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
