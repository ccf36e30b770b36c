//! What evaluation produces: the alert operations and state changes of a [`Detection`], which
//! the writer stores in its batch's transaction before [`super::Engine::apply`] takes them.

use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use super::anomaly::AnomalyState;
use super::group::GroupKey;
use super::metric::MetricState;
use super::sequence::SequenceState;
use super::temporal::TemporalState;
use super::threshold::ThresholdState;
use crate::ingest::EventRow;

/// An event as detection sees it: its stored row and the id it is stored under.
pub struct Event<'a> {
    pub id: i64,
    pub row: &'a EventRow,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpKind {
    /// A rule fired: add to the key's unresolved alert, or open a new one.
    Raise,
    /// More matches inside a fired alert's window: add to the key's unresolved alert; nothing
    /// when there is none (the analyst closed it).
    Extend,
}

/// What one batch does to one alert.
#[derive(Debug, Clone)]
pub struct AlertOp {
    pub kind: OpKind,
    pub key: GroupKey,
    pub first_seen: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
    pub count: u64,
    pub window_end: Option<DateTime<Utc>>,
    /// Ids of the events behind it, oldest first.
    pub evidence: Vec<i64>,
    pub summary: Option<String>,
}

impl AlertOp {
    pub fn new(
        kind: OpKind,
        key: &GroupKey,
        first_seen: DateTime<Utc>,
        last_seen: DateTime<Utc>,
        count: u64,
        evidence: Vec<i64>,
    ) -> Self {
        Self {
            kind,
            key: key.clone(),
            first_seen,
            last_seen,
            count,
            window_end: None,
            evidence,
            summary: None,
        }
    }

    /// Folds a later operation on the same alert into this one.
    pub(crate) fn merge(&mut self, other: AlertOp) {
        if other.kind == OpKind::Raise {
            self.kind = OpKind::Raise;
        }
        self.first_seen = self.first_seen.min(other.first_seen);
        self.last_seen = self.last_seen.max(other.last_seen);
        self.count += other.count;
        self.window_end = self.window_end.max(other.window_end);
        if self.evidence.len() < crate::alerting::EVIDENCE_CAP {
            self.evidence.extend(other.evidence);
        }
        if other.summary.is_some() {
            self.summary = other.summary;
        }
    }
}

/// What an alert needs to know about its rule.
#[derive(Debug, Clone)]
pub struct RuleMeta {
    pub id: i32,
    pub name: String,
    pub severity: String,
    pub tags: Option<serde_json::Value>,
    /// The title template; `{field}` takes the group key's value.
    pub title: String,
    /// After an alert of a key, no new alert of that key for this long (event time).
    pub suppress: Option<TimeDelta>,
    pub updated_at: DateTime<Utc>,
}

/// A key's state, as kept in memory and in `detector_state.state`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum KeyState {
    Threshold(ThresholdState),
    Sequence(SequenceState),
    Metric(MetricState),
    Anomaly(AnomalyState),
    Temporal(TemporalState),
}

#[derive(Debug, Clone)]
pub struct KeyEntry {
    pub key: GroupKey,
    pub state: KeyState,
    pub last_event_id: i64,
}

impl KeyEntry {
    pub(super) fn newest(&self) -> Option<DateTime<Utc>> {
        match &self.state {
            KeyState::Threshold(s) => s.newest,
            KeyState::Sequence(s) => s.newest,
            KeyState::Metric(s) => s.newest,
            KeyState::Anomaly(s) => s.newest,
            KeyState::Temporal(s) => s.newest,
        }
    }
}

/// A state change to store with the batch and then apply: `None` removes the key.
#[derive(Debug, Clone)]
pub struct StateChange {
    pub rule_id: i32,
    pub key_text: String,
    pub entry: Option<KeyEntry>,
}

/// The output of one batch.
#[derive(Debug, Default)]
pub struct Detection {
    pub ops: Vec<(Arc<RuleMeta>, AlertOp)>,
    pub changes: Vec<StateChange>,
    pub(super) watermarks: Vec<(i32, DateTime<Utc>)>,
}

impl Detection {
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty() && self.changes.is_empty()
    }
}
