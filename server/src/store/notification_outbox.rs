//! `notification_outbox`: one message to deliver to one channel about one alert, written in
//! the alert's transaction and worked off by the delivery worker.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "notification_outbox")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub alert_id: i64,
    pub channel_id: i32,
    /// What happened to the alert: `opened`.
    pub event: String,
    /// `pending`, `delivered` or `failed`.
    pub status: String,
    /// Sends started (a crash mid-send counts as one).
    pub attempts: i32,
    /// When the next send may start; a send in progress has already moved it past its own
    /// timeout, so no second worker picks the row up meanwhile.
    pub next_attempt_at: DateTimeUtc,
    pub last_error: Option<String>,
    pub delivered_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
