//! `notification_channels`: where alerts are sent (a webhook, Slack, an e-mail address list).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "notification_channels")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub name: String,
    /// `webhook`, `slack` or `email`.
    pub kind: String,
    /// The kind's settings (see `alerting::notify::ChannelConfig`), SMTP password included.
    pub config: Json,
    pub enabled: bool,
    /// The most messages sent through the channel per minute.
    pub rate_per_minute: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
