//! `bronze_event_data`: every ingested line, raw and parsed.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "bronze_event_data")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub timestamp: DateTimeUtc,
    pub received_at: DateTimeUtc,
    pub host: Option<String>,
    pub source_ip: Option<String>,
    pub source_port: Option<i32>,
    pub destination_ip: Option<String>,
    pub destination_port: Option<i32>,
    pub user_name: Option<String>,
    pub event_category: Option<String>,
    pub event_action: Option<String>,
    pub event_outcome: Option<String>,
    pub level: Option<String>,
    pub process: Option<String>,
    pub pid: Option<i64>,
    pub message: String,
    pub raw: String,
    pub parser: String,
    pub source: String,
    pub flags: i32,
    pub repeat_count: i32,
    pub fields: Json,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
