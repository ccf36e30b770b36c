//! The audit trail: every security-relevant action goes to `audit_log` and, as an event, into
//! `bronze_event_data`, so Vigil's own rules can alert on attacks against Vigil itself.

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ConnectionTrait, Set};
use serde_json::{Value, json};

use crate::store::{audit_log, bronze_event_data};

/// How an audited action ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Success,
    Failure,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::Failure => "failure",
        }
    }
}

/// One audited action.
#[derive(Debug, Clone)]
pub struct AuditEntry {
    pub actor_id: Option<i32>,
    pub actor_name: Option<String>,
    pub source_ip: Option<String>,
    /// A stable verb such as `login`, `logout`, `refresh_reuse`, `user_create`.
    pub action: &'static str,
    pub target: Option<String>,
    pub outcome: Outcome,
    pub details: Value,
}

impl AuditEntry {
    pub fn new(action: &'static str, outcome: Outcome) -> Self {
        Self {
            actor_id: None,
            actor_name: None,
            source_ip: None,
            action,
            target: None,
            outcome,
            details: json!({}),
        }
    }

    pub fn actor(mut self, id: Option<i32>, name: impl Into<String>) -> Self {
        self.actor_id = id;
        self.actor_name = Some(name.into());
        self
    }

    pub fn from_ip(mut self, ip: Option<String>) -> Self {
        self.source_ip = ip;
        self
    }

    pub fn target(mut self, target: impl Into<String>) -> Self {
        self.target = Some(target.into());
        self
    }

    pub fn details(mut self, details: Value) -> Self {
        self.details = details;
        self
    }

    fn category(&self) -> &'static str {
        match self.action {
            "login" | "logout" | "refresh" | "refresh_reuse" | "token_rejected" => "authentication",
            _ => "iam",
        }
    }
}

/// Writes the entry to the audit log and the event store, on the given connection (pass a
/// transaction to make the record part of the change it describes).
pub async fn record<C: ConnectionTrait>(conn: &C, entry: AuditEntry) -> Result<(), sea_orm::DbErr> {
    let now = Utc::now();
    let actor = entry.actor_name.clone().unwrap_or_else(|| "-".into());
    let message = format!(
        "{actor} {} {}: {}",
        entry.action,
        entry.target.as_deref().unwrap_or("-"),
        entry.outcome.as_str()
    );
    audit_log::ActiveModel {
        timestamp: Set(now),
        actor_id: Set(entry.actor_id),
        actor_name: Set(entry.actor_name.clone()),
        source_ip: Set(entry.source_ip.clone()),
        action: Set(entry.action.to_string()),
        target: Set(entry.target.clone()),
        outcome: Set(entry.outcome.as_str().to_string()),
        details: Set(entry.details.clone()),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    bronze_event_data::ActiveModel {
        timestamp: Set(now),
        received_at: Set(now),
        host: Set(None),
        source_ip: Set(entry.source_ip.clone()),
        user_name: Set(entry.actor_name.clone()),
        event_category: Set(Some(entry.category().to_string())),
        event_action: Set(Some(format!("vigil_{}", entry.action))),
        event_outcome: Set(Some(entry.outcome.as_str().to_string())),
        level: Set(Some(
            match entry.outcome {
                Outcome::Success => "info",
                Outcome::Failure => "warning",
            }
            .to_string(),
        )),
        process: Set(Some("vigil".to_string())),
        message: Set(message.clone()),
        raw: Set(message),
        parser: Set("vigil_audit".to_string()),
        source: Set("vigil".to_string()),
        flags: Set(0),
        repeat_count: Set(1),
        fields: Set(json!({ "audit.target": entry.target, "audit.details": entry.details })),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(())
}
