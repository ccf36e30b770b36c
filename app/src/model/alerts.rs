//! Alerts as analysts and API clients see them, and the alert use cases (the port's alerts
//! part, implemented by the backend).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::auth::CurrentUser;
use super::events::Event;
use crate::error::AppError;

/// An alert: what a rule raised for one group key, with its triage state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AlertView {
    pub id: i64,
    pub rule_id: Option<i32>,
    pub rule_name: Option<String>,
    pub title: String,
    /// `low`, `medium`, `high` or `critical`.
    pub severity: String,
    /// `open`, `acknowledged`, `in_progress`, `resolved` or `false_positive`.
    pub status: String,
    pub assignee_id: Option<i32>,
    pub assignee: Option<String>,
    /// The group key, e.g. `source_ip=203.0.113.9`.
    pub group_key: String,
    #[cfg_attr(feature = "ssr", schema(value_type = Object))]
    pub group_fields: serde_json::Value,
    pub event_count: i64,
    /// Evidence events stored (at most 100 per alert; `event_count` keeps counting).
    pub evidence_count: i32,
    pub first_seen: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
    pub summary: Option<String>,
    pub tags: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
}

/// Filters for `GET /api/v1/alerts`; all optional. Newest first (by id).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::IntoParams, utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AlertQuery {
    /// One status, or several separated by commas.
    #[serde(default)]
    pub status: Option<String>,
    /// One severity, or several separated by commas.
    #[serde(default)]
    pub severity: Option<String>,
    /// The rule's id.
    #[serde(default)]
    pub rule: Option<i32>,
    /// The assignee's user id.
    #[serde(default)]
    pub assignee: Option<i32>,
    /// Alerts last seen at or after this instant (RFC 3339).
    #[serde(default)]
    pub from: Option<DateTime<Utc>>,
    /// Alerts last seen before this instant (RFC 3339).
    #[serde(default)]
    pub to: Option<DateTime<Utc>>,
    /// Exact group key, e.g. `source_ip=203.0.113.9`.
    #[serde(default)]
    pub group_key: Option<String>,
    /// Page size, 1 to 500 (default 100).
    #[serde(default)]
    pub limit: Option<u64>,
    /// Continue after this cursor (from the previous page).
    #[serde(default)]
    pub cursor: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AlertPage {
    pub items: Vec<AlertView>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<i64>,
}

/// `PATCH /api/v1/alerts/{id}`: the fields to change.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AlertUpdate {
    #[serde(default)]
    pub status: Option<String>,
    /// A user id to assign, or `0` to unassign.
    #[serde(default)]
    pub assignee_id: Option<i32>,
}

/// `POST /api/v1/alerts/bulk`: one change applied to several alerts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AlertBulkUpdate {
    /// At most 500 alert ids.
    pub ids: Vec<i64>,
    #[serde(default)]
    pub status: Option<String>,
    /// A user id to assign, or `0` to unassign.
    #[serde(default)]
    pub assignee_id: Option<i32>,
}

impl AlertBulkUpdate {
    /// The change applied to each alert.
    pub fn update(&self) -> AlertUpdate {
        AlertUpdate {
            status: self.status.clone(),
            assignee_id: self.assignee_id,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AlertBulkResult {
    /// Alerts changed.
    pub updated: Vec<i64>,
    /// Ids that name no alert.
    pub not_found: Vec<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AlertComment {
    pub id: i64,
    pub author: Option<String>,
    pub body: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewComment {
    /// 1 to 10000 characters.
    pub body: String,
}

/// One change to an alert: who (absent for detection), when, what, from, to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AlertChange {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor: Option<String>,
    /// `created`, `matched`, `status`, `assignee` or `comment`.
    pub action: String,
    pub from: Option<String>,
    pub to: Option<String>,
}

/// The alert use cases: reading needs `alerts.read`, every change `alerts.triage`.
#[async_trait]
pub trait AlertsService: Send + Sync {
    async fn list_alerts(
        &self,
        user: &CurrentUser,
        query: AlertQuery,
    ) -> Result<AlertPage, AppError>;
    async fn get_alert(&self, user: &CurrentUser, id: i64) -> Result<AlertView, AppError>;
    async fn update_alert(
        &self,
        user: &CurrentUser,
        id: i64,
        update: AlertUpdate,
    ) -> Result<AlertView, AppError>;
    async fn bulk_update_alerts(
        &self,
        user: &CurrentUser,
        bulk: AlertBulkUpdate,
    ) -> Result<AlertBulkResult, AppError>;
    /// The stored evidence events, oldest first.
    async fn alert_events(&self, user: &CurrentUser, id: i64) -> Result<Vec<Event>, AppError>;
    async fn alert_comments(
        &self,
        user: &CurrentUser,
        id: i64,
    ) -> Result<Vec<AlertComment>, AppError>;
    async fn add_alert_comment(
        &self,
        user: &CurrentUser,
        id: i64,
        comment: NewComment,
    ) -> Result<AlertComment, AppError>;
    async fn alert_history(
        &self,
        user: &CurrentUser,
        id: i64,
    ) -> Result<Vec<AlertChange>, AppError>;
}
