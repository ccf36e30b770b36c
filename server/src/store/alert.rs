//! `alerts`: what detection raised for analysts to triage.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "alerts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub rule_id: Option<i32>,
    /// The rule's name when the alert was raised; kept when the rule is renamed or deleted.
    pub rule_name: Option<String>,
    pub title: String,
    pub severity: String,
    pub status: String,
    pub assignee_id: Option<i32>,
    /// The group key, e.g. `source_ip=203.0.113.9`.
    pub dedup_key: String,
    /// The group key's fields and values, e.g. `{"source_ip": "203.0.113.9"}`.
    pub group_fields: Option<Json>,
    /// `dedup_key` while the alert is unresolved, NULL afterwards (unique per rule).
    pub dedup_open: Option<String>,
    pub event_count: i64,
    pub first_seen: DateTimeUtc,
    pub last_seen: DateTimeUtc,
    /// Matches up to this instant (event time) add to this alert instead of raising another.
    pub window_end: Option<DateTimeUtc>,
    /// Why it fired, in words.
    pub summary: Option<String>,
    /// MITRE ATT&CK tags copied from the rule.
    pub tags: Option<Json>,
    /// Evidence rows stored for this alert (capped).
    pub evidence_count: i32,
    pub acknowledged_at: Option<DateTimeUtc>,
    pub resolved_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// Set on alerts a hunt created: a digest of the rule, the group key and the first event
    /// behind the alert (unique), so repeating the hunt does not create them again.
    pub hunt_key: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// Statuses after which an alert no longer collects matches and needs no more attention.
pub const CLOSED_STATUSES: [&str; 2] = ["resolved", "false_positive"];
