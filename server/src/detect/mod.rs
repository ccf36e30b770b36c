//! Detection: rules evaluated on every stored batch, in the writer, so a batch's events, the
//! alerts they raise and the detectors' state are committed together.
//!
//! One file per rule kind: [`match_rule`], [`threshold`], [`sequence`], [`metric`], [`anomaly`]
//! and [`sigma_rule`] (Sigma itself lives in `sigma/`; its temporal correlations in
//! [`temporal`]). [`engine`] holds the compiled rules and their keys' state, [`state`] stores
//! that state, [`builtin`] seeds the built-in pack, [`backtest`] runs one rule over stored
//! events.

pub mod anomaly;
pub mod backtest;
pub mod builtin;
pub mod definition;
pub mod engine;
pub mod group;
pub mod match_rule;
pub mod metric;
pub mod output;
pub mod sequence;
pub mod sigma;
pub mod sigma_rule;
pub mod state;
pub mod temporal;
pub mod threshold;

#[cfg(test)]
mod anomaly_tests;
#[cfg(test)]
mod fail2ban_agreement;
#[cfg(test)]
mod temporal_tests;
#[cfg(test)]
mod tests;

use std::collections::HashSet;

use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, QueryFilter, QuerySelect,
};

pub use definition::{Definition, RuleError};
pub use engine::{Detection, Engine};

/// The engine of one pipeline, shared by the ingest writer and the audit trail. Whoever holds
/// the lock evaluates, commits and applies one detection, so the two never interleave.
pub type SharedEngine = std::sync::Arc<tokio::sync::Mutex<Engine>>;

use crate::store::rule;

/// The kinds of rule Vigil evaluates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleKind {
    Match,
    Threshold,
    Sequence,
    Sigma,
    Metric,
    Anomaly,
}

impl RuleKind {
    pub const ALL: [RuleKind; 6] = [
        Self::Match,
        Self::Threshold,
        Self::Sequence,
        Self::Sigma,
        Self::Metric,
        Self::Anomaly,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Match => "match",
            Self::Threshold => "threshold",
            Self::Sequence => "sequence",
            Self::Sigma => "sigma",
            Self::Metric => "metric",
            Self::Anomaly => "anomaly",
        }
    }
}

impl RuleKind {
    /// The kinds' names, `match, threshold, …`, for messages.
    pub fn names() -> String {
        Self::ALL.map(Self::as_str).join(", ")
    }
}

impl std::str::FromStr for RuleKind {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        Self::ALL.into_iter().find(|k| k.as_str() == s).ok_or(())
    }
}

/// Detection settings.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// The most live group keys one rule keeps; at the cap the oldest tenth is evicted.
    pub max_keys_per_rule: usize,
    /// The most alerts the alert stream holds for a subscriber that has not read them; one
    /// that falls further behind is told to resync.
    pub alert_stream_capacity: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            max_keys_per_rule: 100_000,
            alert_stream_capacity: 1024,
        }
    }
}

/// Stores a batch's detection inside the batch's transaction: state changes and alert
/// operations of rules that still exist (a rule deleted since the engine read it is skipped,
/// so a deletion can never make the writer's commit fail). On MariaDB the rules read are
/// share-locked until commit, so none can disappear in between. Answers the ids of the alerts
/// opened or added to, to publish on the alert stream after the commit.
pub async fn store(txn: &impl ConnectionTrait, det: &Detection) -> Result<Vec<i64>, DbErr> {
    if det.is_empty() {
        return Ok(Vec::new());
    }
    let ids: HashSet<i32> = det
        .changes
        .iter()
        .map(|c| c.rule_id)
        .chain(det.ops.iter().map(|(r, _)| r.id))
        .collect();
    let mut query = rule::Entity::find()
        .select_only()
        .column(rule::Column::Id)
        .filter(rule::Column::Id.is_in(ids));
    if txn.get_database_backend() == DbBackend::MySql {
        query = query.lock_shared();
    }
    let existing: HashSet<i32> = query
        .into_tuple::<i32>()
        .all(txn)
        .await?
        .into_iter()
        .collect();
    state::persist(txn, &det.changes, &existing).await?;
    crate::alerting::store::apply(txn, &det.ops, &existing).await
}
