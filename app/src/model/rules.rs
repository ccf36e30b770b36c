//! Detection rules as the UI and API see them, and the rule use cases.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::auth::CurrentUser;
use super::notifications::RuleChannel;
use crate::error::AppError;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RuleView {
    pub id: i32,
    pub name: String,
    pub description: Option<String>,
    /// `match`, `threshold`, `sequence`, `sigma`, `metric` or `anomaly`.
    pub kind: String,
    /// `low`, `medium`, `high` or `critical`.
    pub severity: String,
    /// The kind's definition (see the README's "Detection" section).
    #[cfg_attr(feature = "ssr", schema(value_type = Object))]
    pub definition: serde_json::Value,
    pub enabled: bool,
    /// MITRE ATT&CK tags, e.g. `attack.t1110`.
    pub tags: Vec<String>,
    pub false_positives: Option<String>,
    /// After an alert is resolved, the same rule and key raise no new alert for this many
    /// seconds (of event time).
    pub suppress_secs: Option<i64>,
    /// The built-in pack's name for the rule; absent for rules users wrote.
    pub builtin_key: Option<String>,
    /// The channels the rule's new alerts are sent to.
    #[serde(default)]
    pub channels: Vec<RuleChannel>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// `POST /api/v1/rules`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewRule {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    /// `match`, `threshold`, `sequence`, `sigma`, `metric` or `anomaly`.
    pub kind: String,
    pub severity: String,
    #[cfg_attr(feature = "ssr", schema(value_type = Object))]
    pub definition: serde_json::Value,
    #[serde(default = "yes")]
    pub enabled: bool,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub false_positives: Option<String>,
    /// 1 s to 7 days; absent for no suppression.
    #[serde(default)]
    pub suppress_secs: Option<i64>,
    /// The channels the rule's new alerts are sent to, each from a minimum severity up.
    #[serde(default)]
    pub channels: Vec<RuleChannel>,
}

fn yes() -> bool {
    true
}

/// `PATCH /api/v1/rules/{id}`: the fields to change.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RuleUpdate {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub severity: Option<String>,
    /// A new definition of the rule's kind.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<Object>))]
    pub definition: Option<serde_json::Value>,
    #[serde(default)]
    pub enabled: Option<bool>,
    #[serde(default)]
    pub tags: Option<Vec<String>>,
    #[serde(default)]
    pub false_positives: Option<String>,
    /// 1 s to 7 days, or 0 to remove the suppression.
    #[serde(default)]
    pub suppress_secs: Option<i64>,
    /// Replaces the rule's channels (`[]` removes them all).
    #[serde(default)]
    pub channels: Option<Vec<RuleChannel>>,
}

/// Filters for `GET /api/v1/rules`; all optional.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::IntoParams, utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RuleQuery {
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub severity: Option<String>,
    #[serde(default)]
    pub enabled: Option<bool>,
}

/// The rule use cases: reading needs `rules.read`, changes `rules.write`.
#[async_trait]
pub trait RulesService: Send + Sync {
    async fn list_rules(
        &self,
        user: &CurrentUser,
        query: RuleQuery,
    ) -> Result<Vec<RuleView>, AppError>;
    async fn get_rule(&self, user: &CurrentUser, id: i32) -> Result<RuleView, AppError>;
    async fn create_rule(&self, user: &CurrentUser, new: NewRule) -> Result<RuleView, AppError>;
    async fn update_rule(
        &self,
        user: &CurrentUser,
        id: i32,
        update: RuleUpdate,
    ) -> Result<RuleView, AppError>;
    async fn delete_rule(&self, user: &CurrentUser, id: i32) -> Result<(), AppError>;
}

/// One line of the rules page: the rule and what it raised.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleRow {
    pub rule: RuleView,
    pub alerts: u64,
    pub unresolved: u64,
    pub last_fired: Option<DateTime<Utc>>,
}
