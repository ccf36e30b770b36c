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

    /// An entry for an action the signed-in `user` took.
    pub fn by(
        user: &app::model::auth::CurrentUser,
        action: &'static str,
        outcome: Outcome,
    ) -> Self {
        Self::new(action, outcome)
            .actor(Some(user.id), user.username.clone())
            .from_ip(user.source_ip.clone())
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

mod query {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

    use app::error::AppError;
    use app::model::accounts::{AuditPage, AuditQuery, AuditRecord};
    use app::model::auth::{CurrentUser, Permission};

    use crate::service::{Service, internal};
    use crate::store::audit_log;

    impl Service {
        /// The audit log, newest first, one page at a time.
        pub(crate) async fn audit_query(
            &self,
            actor: &CurrentUser,
            q: AuditQuery,
        ) -> Result<AuditPage, AppError> {
            self.authorize(actor, Permission::AuditRead).await?;
            let limit = q.limit.unwrap_or(100);
            if !(1..=500).contains(&limit) {
                return Err(AppError::Invalid("limit must be between 1 and 500".into()));
            }
            let mut find = audit_log::Entity::find().order_by_desc(audit_log::Column::Id);
            if let Some(actor) = q.actor.filter(|a| !a.is_empty()) {
                find = find.filter(audit_log::Column::ActorName.eq(actor));
            }
            if let Some(action) = q.action.filter(|a| !a.is_empty()) {
                find = find.filter(audit_log::Column::Action.eq(action));
            }
            if let Some(outcome) = q.outcome.filter(|o| !o.is_empty()) {
                if !matches!(outcome.as_str(), "success" | "failure") {
                    return Err(AppError::Invalid(
                        "outcome must be success or failure".into(),
                    ));
                }
                find = find.filter(audit_log::Column::Outcome.eq(outcome));
            }
            if let Some(from) = q.from {
                find = find.filter(audit_log::Column::Timestamp.gte(from));
            }
            if let Some(to) = q.to {
                find = find.filter(audit_log::Column::Timestamp.lt(to));
            }
            if let Some(cursor) = q.cursor {
                find = find.filter(audit_log::Column::Id.lt(cursor));
            }
            let mut rows = find
                .limit(limit + 1)
                .all(&self.db)
                .await
                .map_err(internal)?;
            let next_cursor = if rows.len() as u64 > limit {
                rows.truncate(limit as usize);
                rows.last().map(|r| r.id)
            } else {
                None
            };
            Ok(AuditPage {
                items: rows
                    .into_iter()
                    .map(|r| AuditRecord {
                        id: r.id,
                        timestamp: r.timestamp,
                        actor: r.actor_name,
                        source_ip: r.source_ip,
                        action: r.action,
                        target: r.target,
                        outcome: r.outcome,
                        details: r.details,
                    })
                    .collect(),
                next_cursor,
            })
        }
    }
}
