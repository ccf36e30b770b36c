//! Backtests and hunts as API clients see them: a rule run over stored events for a time range,
//! answering the alerts it would have raised (a hunt also creates them), and the use cases.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::auth::CurrentUser;
use super::rules::NewRule;
use crate::error::AppError;

/// `POST /api/v1/rules/{id}/backtest`: the time range, `from` inclusive, `to` exclusive.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct BacktestRange {
    /// Events with a timestamp at or after this instant (RFC 3339).
    pub from: DateTime<Utc>,
    /// Events with a timestamp before this instant (RFC 3339).
    pub to: DateTime<Utc>,
    /// Also create the alerts found (open, marked as a hunt's); a repeated hunt creates none
    /// twice.
    #[serde(default)]
    pub hunt: bool,
}

/// `POST /api/v1/rules/backtest`: a rule that is not saved, and the time range.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RuleBacktest {
    /// The rule, as `POST /api/v1/rules` takes it (`enabled` is ignored).
    pub rule: NewRule,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// Must be false: only a saved rule can hunt (its alerts name it).
    #[serde(default)]
    pub hunt: bool,
}

/// A backtest: how far it got and, once done, what it found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct BacktestJob {
    /// Read it at `GET /api/v1/rules/backtests/{id}`.
    pub id: String,
    /// The saved rule's id; absent for a rule that is not saved.
    pub rule_id: Option<i32>,
    pub rule_name: String,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub hunt: bool,
    /// `queued`, `running`, `done` or `failed`.
    pub status: String,
    /// Stored events in the range, counted when the backtest started.
    pub total: u64,
    /// Events evaluated so far.
    pub scanned: u64,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    /// Why it failed.
    pub error: Option<String>,
    /// Present once `status` is `done`.
    pub result: Option<BacktestResult>,
}

/// What a finished backtest found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct BacktestResult {
    /// The alerts the rule would have raised, in the order it would have opened them (at most
    /// 10,000).
    pub alerts: Vec<BacktestAlert>,
    /// Group keys past the 10,000th that would have raised an alert too, not listed.
    pub left_out: u64,
    /// Hunts: alerts created now.
    pub created: u64,
    /// Hunts: alerts an earlier hunt had created already.
    pub existing: u64,
}

/// One alert a backtest found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct BacktestAlert {
    pub title: String,
    pub severity: String,
    /// The group key, e.g. `source_ip=203.0.113.9`.
    pub group_key: String,
    #[cfg_attr(feature = "ssr", schema(value_type = Object))]
    pub group_fields: serde_json::Value,
    pub first_seen: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
    pub event_count: u64,
    pub summary: Option<String>,
    /// The oldest event that raised it.
    pub first_event_id: i64,
    /// The events behind it, oldest first, at most 100 (as a real alert's evidence).
    pub evidence: Vec<i64>,
    /// Hunts: the alert created (or created by an earlier hunt).
    pub alert_id: Option<i64>,
}

/// The backtest use cases; each needs `rules.write`.
#[async_trait]
pub trait BacktestService: Send + Sync {
    /// Starts a backtest (or hunt) of a saved rule, enabled or not, and waits a moment for it:
    /// the job as it stands then.
    async fn backtest_rule(
        &self,
        user: &CurrentUser,
        id: i32,
        range: BacktestRange,
    ) -> Result<BacktestJob, AppError>;
    /// Starts a backtest of a rule that is not saved, like [`Self::backtest_rule`].
    async fn backtest_new_rule(
        &self,
        user: &CurrentUser,
        backtest: RuleBacktest,
    ) -> Result<BacktestJob, AppError>;
    /// A backtest started earlier (kept in memory until the server restarts or newer ones
    /// push it out).
    async fn get_backtest(&self, user: &CurrentUser, id: &str) -> Result<BacktestJob, AppError>;
}
