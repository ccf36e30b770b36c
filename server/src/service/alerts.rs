//! Alert triage: reading alerts (`alerts.read`), changing their status and assignee, alone or
//! in bulk, and commenting (`alerts.triage`). Every change is audited and leaves an
//! `alert_history` row saying who changed what, when, from what, to what.

use std::collections::HashMap;

use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Select, Set,
};
use serde_json::json;

use app::error::AppError;
use app::model::alerts::{
    AlertBulkResult, AlertBulkUpdate, AlertChange, AlertComment, AlertPage, AlertQuery,
    AlertUpdate, AlertView, AlertsService, Assignee, NewComment, RuleAlertCount, StatusCount,
};
use app::model::auth::{CurrentUser, Permission};
use app::model::events::Event;

use super::audit::{self, AuditEntry, Outcome};
use super::rules::{SEVERITIES, tags_of};
use super::unique::is_unique_violation;
use super::{Service, internal};
use crate::alerting::STATUSES;
use crate::store::{
    alert, alert_comment, alert_evidence, alert_history, bronze_event_data, role_permission, user,
    user_role,
};

/// The most alerts one bulk change may name.
pub const MAX_BULK: usize = 500;
/// The longest comment, in characters.
pub const MAX_COMMENT: usize = 10_000;
/// The longest text filter, in characters.
const MAX_TEXT_FILTER: usize = 200;

fn view(a: alert::Model, names: &HashMap<i32, String>) -> AlertView {
    AlertView {
        id: a.id,
        rule_id: a.rule_id,
        rule_name: a.rule_name,
        title: a.title,
        severity: a.severity,
        status: a.status,
        assignee: a.assignee_id.and_then(|id| names.get(&id).cloned()),
        assignee_id: a.assignee_id,
        group_key: a.dedup_key,
        group_fields: a.group_fields.unwrap_or_else(|| json!({})),
        event_count: a.event_count,
        evidence_count: a.evidence_count,
        first_seen: a.first_seen,
        last_seen: a.last_seen,
        summary: a.summary,
        tags: tags_of(a.tags.as_ref()),
        created_at: a.created_at,
        updated_at: a.updated_at,
        acknowledged_at: a.acknowledged_at,
        resolved_at: a.resolved_at,
    }
}

/// Usernames of the given user ids.
async fn usernames(
    db: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = i32>,
) -> Result<HashMap<i32, String>, AppError> {
    let ids: Vec<i32> = ids.into_iter().collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(user::Entity::find()
        .filter(user::Column::Id.is_in(ids))
        .all(db)
        .await
        .map_err(internal)?
        .into_iter()
        .map(|u| (u.id, u.username))
        .collect())
}

/// The alerts named by `ids` that exist, as the alerts API shows them, by id.
pub(crate) async fn alert_views(
    db: &impl ConnectionTrait,
    ids: &[i64],
) -> Result<Vec<AlertView>, sea_orm::DbErr> {
    let mut rows = Vec::new();
    for chunk in ids.chunks(500) {
        rows.extend(
            alert::Entity::find()
                .filter(alert::Column::Id.is_in(chunk.iter().copied()))
                .order_by_asc(alert::Column::Id)
                .all(db)
                .await?,
        );
    }
    let assignees: Vec<i32> = rows.iter().filter_map(|a| a.assignee_id).collect();
    let names: HashMap<i32, String> = if assignees.is_empty() {
        HashMap::new()
    } else {
        user::Entity::find()
            .filter(user::Column::Id.is_in(assignees))
            .all(db)
            .await?
            .into_iter()
            .map(|u| (u.id, u.username))
            .collect()
    };
    Ok(rows.into_iter().map(|a| view(a, &names)).collect())
}

/// A comma-separated list of allowed values.
pub(crate) fn list_of(field: &str, value: &str, allowed: &[&str]) -> Result<Vec<String>, AppError> {
    value
        .split(',')
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(|v| {
            if allowed.contains(&v) {
                Ok(v.to_string())
            } else {
                Err(AppError::Invalid(format!(
                    "{field}: `{v}` is not one of {}",
                    allowed.join(", ")
                )))
            }
        })
        .collect()
}

async fn find_alert(db: &impl ConnectionTrait, id: i64) -> Result<alert::Model, AppError> {
    alert::Entity::find_by_id(id)
        .one(db)
        .await
        .map_err(internal)?
        .ok_or(AppError::NotFound)
}

/// Checks an update before any alert is touched: a known status, an existing assignee.
async fn check_update(
    db: &DatabaseConnection,
    update: &AlertUpdate,
) -> Result<Option<Option<(i32, String)>>, AppError> {
    if update.status.is_none() && update.assignee_id.is_none() {
        return Err(AppError::Invalid(
            "nothing to change: give status or assignee_id".into(),
        ));
    }
    if let Some(s) = &update.status
        && !STATUSES.contains(&s.as_str())
    {
        return Err(AppError::Invalid(format!(
            "status: `{s}` is not one of {}",
            STATUSES.join(", ")
        )));
    }
    match update.assignee_id {
        None => Ok(None),
        Some(0) => Ok(Some(None)),
        Some(id) => {
            let u = user::Entity::find_by_id(id)
                .one(db)
                .await
                .map_err(internal)?
                .ok_or_else(|| AppError::Invalid(format!("assignee_id: no user has id {id}")))?;
            // An alert goes only to someone who can work on it.
            if !triagers(db).await?.iter().any(|t| t.id == u.id) {
                return Err(AppError::Invalid(format!(
                    "assignee_id: {} cannot triage alerts (disabled, or without alerts.triage)",
                    u.username
                )));
            }
            Ok(Some(Some((u.id, u.username))))
        }
    }
}

/// The enabled users whose roles grant `alerts.triage`, by username.
async fn triagers(db: &impl ConnectionTrait) -> Result<Vec<user::Model>, AppError> {
    let roles: Vec<i32> = role_permission::Entity::find()
        .filter(role_permission::Column::Permission.eq(Permission::AlertsTriage.as_str()))
        .select_only()
        .column(role_permission::Column::RoleId)
        .into_tuple()
        .all(db)
        .await
        .map_err(internal)?;
    let holders: Vec<i32> = user_role::Entity::find()
        .filter(user_role::Column::RoleId.is_in(roles))
        .select_only()
        .column(user_role::Column::UserId)
        .distinct()
        .into_tuple()
        .all(db)
        .await
        .map_err(internal)?;
    user::Entity::find()
        .filter(user::Column::Id.is_in(holders))
        .filter(user::Column::Disabled.eq(false))
        .order_by_asc(user::Column::Username)
        .all(db)
        .await
        .map_err(internal)
}

/// The alerts matching the query's filters (with or without its status filter), unordered
/// and not paged.
fn filtered(q: &AlertQuery, by_status: bool) -> Result<Select<alert::Entity>, AppError> {
    let mut find = alert::Entity::find();
    if by_status && let Some(s) = q.status.as_deref().filter(|s| !s.is_empty()) {
        find = find.filter(alert::Column::Status.is_in(list_of("status", s, &STATUSES)?));
    }
    if let Some(s) = q.severity.as_deref().filter(|s| !s.is_empty()) {
        find = find.filter(alert::Column::Severity.is_in(list_of("severity", s, &SEVERITIES)?));
    }
    if let Some(rule) = q.rule {
        find = find.filter(alert::Column::RuleId.eq(rule));
    }
    if let Some(a) = q.assignee {
        find = find.filter(alert::Column::AssigneeId.eq(a));
    }
    if let Some(from) = q.from {
        find = find.filter(alert::Column::LastSeen.gte(from));
    }
    if let Some(to) = q.to {
        find = find.filter(alert::Column::LastSeen.lt(to));
    }
    if let Some(k) = &q.group_key {
        find = find.filter(alert::Column::DedupKey.eq(k.as_str()));
    }
    if let Some(text) = q.q.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        if text.chars().count() > MAX_TEXT_FILTER {
            return Err(AppError::Invalid(format!(
                "q: at most {MAX_TEXT_FILTER} characters"
            )));
        }
        find = find.filter(
            Condition::any()
                .add(alert::Column::Title.contains(text))
                .add(alert::Column::DedupKey.contains(text)),
        );
    }
    Ok(find)
}

impl Service {
    /// Applies a checked update to one alert in its own transaction, with history and audit.
    async fn change_alert(
        &self,
        actor: &CurrentUser,
        id: i64,
        update: &AlertUpdate,
        assignee: &Option<Option<(i32, String)>>,
    ) -> Result<alert::Model, AppError> {
        let mut txn = self.begin_audited().await.map_err(internal)?;
        let current = find_alert(&txn, id).await?;
        let now = Utc::now();
        let mut model: alert::ActiveModel = current.clone().into();
        let mut changes: Vec<(&str, Option<String>, Option<String>)> = Vec::new();
        if let Some(status) = &update.status
            && *status != current.status
        {
            let closing = alert::CLOSED_STATUSES.contains(&status.as_str());
            model.status = Set(status.clone());
            // Only an unresolved alert collects matches; reopening takes the key back. An alert
            // a hunt created never collects live matches.
            model.dedup_open =
                Set((!closing && current.hunt_key.is_none()).then(|| current.dedup_key.clone()));
            if status == "acknowledged" && current.acknowledged_at.is_none() {
                model.acknowledged_at = Set(Some(now));
            }
            model.resolved_at = Set(closing.then_some(now));
            changes.push(("status", Some(current.status.clone()), Some(status.clone())));
        }
        if let Some(assignee) = assignee {
            let to = assignee.as_ref().map(|(id, _)| *id);
            if to != current.assignee_id {
                let names = usernames(&txn, current.assignee_id).await?;
                let from = current.assignee_id.and_then(|i| names.get(&i).cloned());
                model.assignee_id = Set(to);
                changes.push(("assignee", from, assignee.as_ref().map(|(_, n)| n.clone())));
            }
        }
        if changes.is_empty() {
            return Ok(current);
        }
        model.updated_at = Set(now);
        let saved = model.update(&txn).await.map_err(|e| {
            if is_unique_violation(&e) {
                AppError::Conflict(
                    "another unresolved alert of the same rule and key exists: resolve it first"
                        .into(),
                )
            } else {
                internal(e)
            }
        })?;
        for (action, from, to) in &changes {
            alert_history::ActiveModel {
                alert_id: Set(id),
                at: Set(now),
                actor_id: Set(Some(actor.id)),
                actor_name: Set(Some(actor.username.clone())),
                action: Set((*action).into()),
                from_value: Set(from.clone()),
                to_value: Set(to.clone()),
                ..Default::default()
            }
            .insert(&txn)
            .await
            .map_err(internal)?;
        }
        let details: serde_json::Map<String, serde_json::Value> = changes
            .iter()
            .map(|(a, f, t)| ((*a).to_string(), json!({ "from": f, "to": t })))
            .collect();
        let entry = AuditEntry::by(actor, "alert_update", Outcome::Success)
            .target(id.to_string())
            .details(serde_json::Value::Object(details));
        txn.record(entry);
        txn.commit().await.map_err(internal)?;
        self.alert_feed.changed(vec![id]);
        Ok(saved)
    }

    async fn alert_view(&self, a: alert::Model) -> Result<AlertView, AppError> {
        let names = usernames(&self.db, a.assignee_id).await?;
        Ok(view(a, &names))
    }
}

#[async_trait::async_trait]
impl AlertsService for Service {
    async fn list_alerts(&self, user: &CurrentUser, q: AlertQuery) -> Result<AlertPage, AppError> {
        self.authorize(user, Permission::AlertsRead).await?;
        let limit = q.limit.unwrap_or(100);
        if !(1..=500).contains(&limit) {
            return Err(AppError::Invalid("limit must be between 1 and 500".into()));
        }
        let mut find = filtered(&q, true)?.order_by_desc(alert::Column::Id);
        if let Some(cursor) = q.cursor {
            find = find.filter(alert::Column::Id.lt(cursor));
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
        let names = usernames(&self.db, rows.iter().filter_map(|r| r.assignee_id)).await?;
        Ok(AlertPage {
            items: rows.into_iter().map(|a| view(a, &names)).collect(),
            next_cursor,
        })
    }

    async fn alert_status_counts(
        &self,
        user: &CurrentUser,
        q: AlertQuery,
    ) -> Result<Vec<StatusCount>, AppError> {
        self.authorize(user, Permission::AlertsRead).await?;
        let rows: Vec<(String, i64)> = filtered(&q, false)?
            .select_only()
            .column(alert::Column::Status)
            .column_as(alert::Column::Id.count(), "n")
            .group_by(alert::Column::Status)
            .into_tuple()
            .all(&self.db)
            .await
            .map_err(internal)?;
        Ok(STATUSES
            .iter()
            .map(|status| StatusCount {
                status: (*status).to_string(),
                count: rows
                    .iter()
                    .find(|(s, _)| s == status)
                    .map_or(0, |(_, n)| *n as u64),
            })
            .collect())
    }

    async fn alert_counts_by_rule(
        &self,
        user: &CurrentUser,
    ) -> Result<Vec<RuleAlertCount>, AppError> {
        self.authorize(user, Permission::AlertsRead).await?;
        let per_rule = |unresolved: bool| {
            let mut find = alert::Entity::find()
                .select_only()
                .column(alert::Column::RuleId)
                .column_as(alert::Column::Id.count(), "n")
                .column_as(alert::Column::Id.max(), "newest")
                .filter(alert::Column::RuleId.is_not_null())
                .group_by(alert::Column::RuleId);
            if unresolved {
                find = find.filter(alert::Column::Status.is_not_in(alert::CLOSED_STATUSES));
            }
            find.into_tuple::<(i32, i64, i64)>().all(&self.db)
        };
        let all = per_rule(false).await.map_err(internal)?;
        let open: HashMap<i32, i64> = per_rule(true)
            .await
            .map_err(internal)?
            .into_iter()
            .map(|(rule, n, _)| (rule, n))
            .collect();
        let newest: Vec<i64> = all.iter().map(|(_, _, id)| *id).collect();
        let seen: HashMap<i64, chrono::DateTime<Utc>> = alert_views(&self.db, &newest)
            .await
            .map_err(internal)?
            .into_iter()
            .map(|a| (a.id, a.last_seen))
            .collect();
        Ok(all
            .into_iter()
            .map(|(rule_id, n, newest)| RuleAlertCount {
                rule_id,
                alerts: n as u64,
                unresolved: open.get(&rule_id).copied().unwrap_or(0) as u64,
                last_fired: seen.get(&newest).copied(),
            })
            .collect())
    }

    async fn get_alert(&self, user: &CurrentUser, id: i64) -> Result<AlertView, AppError> {
        self.authorize(user, Permission::AlertsRead).await?;
        let a = find_alert(&self.db, id).await?;
        self.alert_view(a).await
    }

    async fn update_alert(
        &self,
        user: &CurrentUser,
        id: i64,
        update: AlertUpdate,
    ) -> Result<AlertView, AppError> {
        self.authorize(user, Permission::AlertsTriage).await?;
        let assignee = check_update(&self.db, &update).await?;
        let saved = self.change_alert(user, id, &update, &assignee).await?;
        self.alert_view(saved).await
    }

    async fn bulk_update_alerts(
        &self,
        user: &CurrentUser,
        bulk: AlertBulkUpdate,
    ) -> Result<AlertBulkResult, AppError> {
        self.authorize(user, Permission::AlertsTriage).await?;
        if bulk.ids.is_empty() || bulk.ids.len() > MAX_BULK {
            return Err(AppError::Invalid(format!(
                "ids: between 1 and {MAX_BULK} alert ids"
            )));
        }
        let update = bulk.update();
        let assignee = check_update(&self.db, &update).await?;
        let mut ids = bulk.ids;
        ids.sort_unstable();
        ids.dedup();
        let mut result = AlertBulkResult {
            updated: Vec::new(),
            not_found: Vec::new(),
        };
        for id in ids {
            match self.change_alert(user, id, &update, &assignee).await {
                Ok(_) => result.updated.push(id),
                Err(AppError::NotFound) => result.not_found.push(id),
                Err(e) => return Err(e),
            }
        }
        Ok(result)
    }

    async fn alert_events(&self, user: &CurrentUser, id: i64) -> Result<Vec<Event>, AppError> {
        self.authorize(user, Permission::AlertsRead).await?;
        find_alert(&self.db, id).await?;
        let ids: Vec<i64> = alert_evidence::Entity::find()
            .filter(alert_evidence::Column::AlertId.eq(id))
            .all(&self.db)
            .await
            .map_err(internal)?
            .into_iter()
            .map(|e| e.event_id)
            .collect();
        let mut find = bronze_event_data::Entity::find()
            .filter(bronze_event_data::Column::Id.is_in(ids))
            .order_by_asc(bronze_event_data::Column::Timestamp)
            .order_by_asc(bronze_event_data::Column::Id);
        // Vigil's own audit events stay behind `audit.read`, as in the event search.
        if !user.can(Permission::AuditRead) {
            find = find.filter(bronze_event_data::Column::Source.ne(audit::SOURCE));
        }
        let rows = find.all(&self.db).await.map_err(internal)?;
        Ok(rows.into_iter().map(Event::from).collect())
    }

    async fn alert_comments(
        &self,
        user: &CurrentUser,
        id: i64,
    ) -> Result<Vec<AlertComment>, AppError> {
        self.authorize(user, Permission::AlertsRead).await?;
        find_alert(&self.db, id).await?;
        let rows = alert_comment::Entity::find()
            .filter(alert_comment::Column::AlertId.eq(id))
            .order_by_asc(alert_comment::Column::Id)
            .all(&self.db)
            .await
            .map_err(internal)?;
        let names = usernames(&self.db, rows.iter().filter_map(|c| c.user_id)).await?;
        Ok(rows
            .into_iter()
            .map(|c| AlertComment {
                id: c.id,
                author: c.user_id.and_then(|u| names.get(&u).cloned()),
                body: c.body,
                created_at: c.created_at,
            })
            .collect())
    }

    async fn add_alert_comment(
        &self,
        user: &CurrentUser,
        id: i64,
        comment: NewComment,
    ) -> Result<AlertComment, AppError> {
        self.authorize(user, Permission::AlertsTriage).await?;
        let body = comment.body.trim().to_string();
        if body.is_empty() || body.chars().count() > MAX_COMMENT {
            return Err(AppError::Invalid(format!(
                "body: between 1 and {MAX_COMMENT} characters"
            )));
        }
        let mut txn = self.begin_audited().await.map_err(internal)?;
        find_alert(&txn, id).await?;
        let now = Utc::now();
        let saved = alert_comment::ActiveModel {
            alert_id: Set(id),
            user_id: Set(Some(user.id)),
            body: Set(body),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await
        .map_err(internal)?;
        alert_history::ActiveModel {
            alert_id: Set(id),
            at: Set(now),
            actor_id: Set(Some(user.id)),
            actor_name: Set(Some(user.username.clone())),
            action: Set("comment".into()),
            from_value: Set(None),
            to_value: Set(Some(saved.id.to_string())),
            ..Default::default()
        }
        .insert(&txn)
        .await
        .map_err(internal)?;
        alert::Entity::update_many()
            .col_expr(alert::Column::UpdatedAt, Expr::value(now))
            .filter(alert::Column::Id.eq(id))
            .exec(&txn)
            .await
            .map_err(internal)?;
        let entry = AuditEntry::by(user, "alert_comment", Outcome::Success)
            .target(id.to_string())
            .details(json!({ "comment": saved.id }));
        txn.record(entry);
        txn.commit().await.map_err(internal)?;
        self.alert_feed.changed(vec![id]);
        Ok(AlertComment {
            id: saved.id,
            author: Some(user.username.clone()),
            body: saved.body,
            created_at: saved.created_at,
        })
    }

    async fn assignable_users(&self, user: &CurrentUser) -> Result<Vec<Assignee>, AppError> {
        self.authorize(user, Permission::AlertsTriage).await?;
        Ok(triagers(&self.db)
            .await?
            .into_iter()
            .map(|u| Assignee {
                id: u.id,
                username: u.username,
                display_name: u.display_name,
            })
            .collect())
    }

    async fn alert_history(
        &self,
        user: &CurrentUser,
        id: i64,
    ) -> Result<Vec<AlertChange>, AppError> {
        self.authorize(user, Permission::AlertsRead).await?;
        find_alert(&self.db, id).await?;
        let rows = alert_history::Entity::find()
            .filter(alert_history::Column::AlertId.eq(id))
            .order_by_asc(alert_history::Column::Id)
            .all(&self.db)
            .await
            .map_err(internal)?;
        Ok(rows
            .into_iter()
            .map(|h| AlertChange {
                id: h.id,
                at: h.at,
                actor: h.actor_name,
                action: h.action,
                from: h.from_value,
                to: h.to_value,
            })
            .collect())
    }
}
