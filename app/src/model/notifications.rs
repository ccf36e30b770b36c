//! Notification channels, a rule's channel selection and an alert's deliveries, as the API
//! sees them, and the channel use cases.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::auth::CurrentUser;
use crate::error::AppError;

/// A channel's settings. Webhook and Slack channels take `url`; e-mail channels take the SMTP
/// fields. On a change, a `password` left out keeps the stored one.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ChannelConfig {
    /// Where a webhook or Slack channel POSTs (`http://` or `https://`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// SMTP server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// SMTP port [default: 587 for `starttls`, 465 for `tls`, 25 for `plain`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// `starttls` (default), `tls` (implicit TLS) or `plain` (loopback hosts only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// Stored, never returned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// Sender address, e.g. `Vigil <vigil@example.com>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// Recipient addresses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<Vec<String>>,
}

/// A channel's settings as the API returns them: no password, only whether one is set.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ChannelConfigView {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    pub password_set: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ChannelView {
    pub id: i32,
    pub name: String,
    /// `webhook`, `slack` or `email`.
    pub kind: String,
    pub enabled: bool,
    /// The most messages sent through the channel per minute; more wait their turn.
    pub rate_limit_per_minute: i32,
    pub config: ChannelConfigView,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// `POST /api/v1/channels`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewChannel {
    pub name: String,
    pub kind: String,
    #[serde(default = "yes")]
    pub enabled: bool,
    /// 1 to 10000 [default: 60].
    #[serde(default)]
    pub rate_limit_per_minute: Option<i32>,
    pub config: ChannelConfig,
}

fn yes() -> bool {
    true
}

/// `PATCH /api/v1/channels/{id}`: the fields to change; `config` replaces the settings
/// (keeping the stored password when it has none).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ChannelUpdate {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub enabled: Option<bool>,
    #[serde(default)]
    pub rate_limit_per_minute: Option<i32>,
    #[serde(default)]
    pub config: Option<ChannelConfig>,
}

/// The outcome of a test message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ChannelTestResult {
    /// Whether the receiver accepted the message.
    pub ok: bool,
    /// Why not, when it did not.
    pub error: Option<String>,
}

/// One channel a rule notifies, from `min_severity` up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RuleChannel {
    pub channel_id: i32,
    /// `low` (default), `medium`, `high` or `critical`: alerts below it are not sent here.
    #[serde(default = "low")]
    pub min_severity: String,
}

fn low() -> String {
    "low".into()
}

/// One notification of an alert and where its delivery stands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AlertNotification {
    pub id: i64,
    pub channel_id: i32,
    pub channel_name: Option<String>,
    pub channel_kind: Option<String>,
    /// `opened`.
    pub event: String,
    /// `pending`, `delivered` or `failed` (gave up after the configured number of attempts).
    pub status: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    /// When a pending notification is tried next.
    pub next_attempt_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// The channel use cases (`settings.manage`) and an alert's deliveries (`alerts.read`).
#[async_trait]
pub trait NotificationsService: Send + Sync {
    async fn list_channels(&self, user: &CurrentUser) -> Result<Vec<ChannelView>, AppError>;
    async fn get_channel(&self, user: &CurrentUser, id: i32) -> Result<ChannelView, AppError>;
    async fn create_channel(
        &self,
        user: &CurrentUser,
        new: NewChannel,
    ) -> Result<ChannelView, AppError>;
    async fn update_channel(
        &self,
        user: &CurrentUser,
        id: i32,
        update: ChannelUpdate,
    ) -> Result<ChannelView, AppError>;
    async fn delete_channel(&self, user: &CurrentUser, id: i32) -> Result<(), AppError>;
    /// Sends a test message now and reports whether the receiver took it.
    async fn test_channel(
        &self,
        user: &CurrentUser,
        id: i32,
    ) -> Result<ChannelTestResult, AppError>;
    async fn alert_notifications(
        &self,
        user: &CurrentUser,
        alert_id: i64,
    ) -> Result<Vec<AlertNotification>, AppError>;
}
