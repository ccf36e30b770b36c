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
    /// Alerts whose title or group key contains this text (at most 200 characters).
    #[serde(default)]
    pub q: Option<String>,
}

/// The alerts one rule raised.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleAlertCount {
    pub rule_id: i32,
    pub alerts: u64,
    /// Not resolved nor a false positive.
    pub unresolved: u64,
    /// When its newest alert was last seen.
    pub last_fired: Option<DateTime<Utc>>,
}

/// How many alerts have one status.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatusCount {
    pub status: String,
    pub count: u64,
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

/// Someone an alert may be assigned to: an enabled user holding `alerts.triage`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Assignee {
    pub id: i32,
    pub username: String,
    pub display_name: Option<String>,
}

impl Assignee {
    /// How a picker names the user: `Display Name (username)`, or the username alone.
    pub fn label(&self) -> String {
        match self.display_name.as_deref().map(str::trim) {
            Some(d) if !d.is_empty() && d != self.username => format!("{d} ({})", self.username),
            _ => self.username.clone(),
        }
    }
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
    /// How many alerts have each status (every status, in lifecycle order), among those the
    /// query's other filters select; its status, limit and cursor are ignored.
    async fn alert_status_counts(
        &self,
        user: &CurrentUser,
        query: AlertQuery,
    ) -> Result<Vec<StatusCount>, AppError>;
    /// Per rule that raised any: its alert count, unresolved count and newest alert.
    async fn alert_counts_by_rule(
        &self,
        user: &CurrentUser,
    ) -> Result<Vec<RuleAlertCount>, AppError>;
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
    /// Who alerts may be assigned to (enabled users holding `alerts.triage`), by username;
    /// `alerts.triage`, so a triager can pick a colleague without reading the user admin.
    async fn assignable_users(&self, user: &CurrentUser) -> Result<Vec<Assignee>, AppError>;
}

/// The alerts page's filters as its URL carries them: every field text, empty when unset.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AlertFilter {
    /// One status, or empty for all.
    pub status: String,
    /// One severity, or empty for all.
    pub severity: String,
    /// A rule id, or empty.
    pub rule: String,
    /// `me`, `none` (unassigned is not filterable yet, so it reads as all) or empty.
    pub assignee: String,
    /// `24h`, `7d`, `30d` or `all` (the default) on last seen.
    pub range: String,
    /// Text in the title or group key.
    pub q: String,
    /// Continue after this alert id.
    pub cursor: String,
}

/// A rule to filter the alerts by.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleChoice {
    pub id: i32,
    pub name: String,
}

/// What the alerts page shows for one filter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertListing {
    pub page: AlertPage,
    /// Per status, among the alerts the other filters select.
    pub counts: Vec<StatusCount>,
    /// The rules, for the rule filter (empty without `rules.read`).
    pub rules: Vec<RuleChoice>,
    /// Who the ticked alerts may be assigned to (empty without `alerts.triage`).
    #[serde(default)]
    pub assignees: Vec<Assignee>,
    /// A filter the server could not use, in words.
    pub input_error: Option<String>,
}

/// One alert with everything its page shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertDetail {
    pub alert: AlertView,
    /// The rule that raised it (absent when deleted, or without `rules.read`).
    pub rule: Option<super::rules::RuleView>,
    /// Evidence events, oldest first.
    pub evidence: Vec<Event>,
    pub comments: Vec<AlertComment>,
    pub history: Vec<AlertChange>,
    /// Who the alert may be assigned to (empty without `alerts.triage`).
    #[serde(default)]
    pub assignees: Vec<Assignee>,
}
