//! Writes detection's alert operations inside the writer's transaction.
//!
//! A `Raise` adds to the rule's unresolved alert for the same group key (found through the
//! unique `(rule_id, dedup_open)` index) or opens a new one; an `Extend` only adds to an
//! unresolved alert. Every change leaves an `alert_history` row: `created` when an alert opens,
//! `matched` (event count from, to) when matches join it. An alert that opens queues its
//! notifications (the rule's channels whose minimum severity it meets) in the same
//! transaction, so a crash can lose neither without the other.

use std::collections::HashSet;
use std::sync::Arc;

use chrono::Utc;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set,
};

use super::EVIDENCE_CAP;
use crate::detect::engine::{AlertOp, OpKind, RuleMeta};
use crate::store::{alert, alert_evidence, alert_history};

pub async fn apply(
    txn: &impl ConnectionTrait,
    ops: &[(Arc<RuleMeta>, AlertOp)],
    rules: &HashSet<i32>,
) -> Result<(), DbErr> {
    for (rule, op) in ops.iter().filter(|(r, _)| rules.contains(&r.id)) {
        apply_one(txn, rule, op).await?;
    }
    Ok(())
}

async fn apply_one(txn: &impl ConnectionTrait, rule: &RuleMeta, op: &AlertOp) -> Result<(), DbErr> {
    let now = Utc::now();
    let dedup = op.key.dedup_key();
    let open = alert::Entity::find()
        .filter(alert::Column::RuleId.eq(rule.id))
        .filter(alert::Column::DedupOpen.eq(dedup.clone()))
        .one(txn)
        .await?;
    let count = i64::try_from(op.count).unwrap_or(i64::MAX);
    match open {
        Some(a) => {
            let to = a.event_count.saturating_add(count);
            let room = EVIDENCE_CAP.saturating_sub(a.evidence_count.max(0) as usize);
            let added = add_evidence(txn, a.id, &op.evidence, room).await?;
            let mut update = alert::Entity::update_many()
                .col_expr(alert::Column::EventCount, Expr::value(to))
                .col_expr(
                    alert::Column::LastSeen,
                    Expr::value(a.last_seen.max(op.last_seen)),
                )
                .col_expr(
                    alert::Column::FirstSeen,
                    Expr::value(a.first_seen.min(op.first_seen)),
                )
                .col_expr(
                    alert::Column::EvidenceCount,
                    Expr::value(a.evidence_count + added as i32),
                )
                .col_expr(alert::Column::UpdatedAt, Expr::value(now));
            if let Some(end) = op.window_end.max(a.window_end) {
                update = update.col_expr(alert::Column::WindowEnd, Expr::value(end));
            }
            update.filter(alert::Column::Id.eq(a.id)).exec(txn).await?;
            history(
                txn,
                a.id,
                "matched",
                Some(a.event_count.to_string()),
                Some(to.to_string()),
            )
            .await?;
        }
        None if op.kind == OpKind::Extend => {
            metrics::counter!("vigil_detect_extend_without_alert_total").increment(1);
        }
        None if suppressed(txn, rule, &dedup, op).await? => {
            metrics::counter!("vigil_alerts_suppressed_total").increment(1);
        }
        None => {
            let created = alert::ActiveModel {
                rule_id: Set(Some(rule.id)),
                rule_name: Set(Some(rule.name.clone())),
                title: Set(crate::service::audit::cap(&op.key.render(&rule.title), 255)),
                severity: Set(rule.severity.clone()),
                status: Set("open".into()),
                assignee_id: Set(None),
                dedup_key: Set(dedup.clone()),
                group_fields: Set(Some(op.key.fields_json())),
                dedup_open: Set(Some(dedup)),
                event_count: Set(count),
                first_seen: Set(op.first_seen),
                last_seen: Set(op.last_seen),
                window_end: Set(op.window_end),
                summary: Set(op.summary.clone()),
                tags: Set(rule.tags.clone()),
                evidence_count: Set(0),
                acknowledged_at: Set(None),
                resolved_at: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(txn)
            .await?;
            let added = add_evidence(txn, created.id, &op.evidence, EVIDENCE_CAP).await?;
            alert::Entity::update_many()
                .col_expr(alert::Column::EvidenceCount, Expr::value(added as i32))
                .filter(alert::Column::Id.eq(created.id))
                .exec(txn)
                .await?;
            history(txn, created.id, "created", None, Some("open".into())).await?;
            super::notify::outbox::enqueue(txn, rule.id, &rule.severity, created.id, "opened")
                .await?;
            metrics::counter!("vigil_alerts_raised_total", "severity" => rule.severity.clone())
                .increment(1);
        }
    }
    Ok(())
}

/// Whether the rule's suppression window holds back a new alert: an earlier alert of the same
/// key was last seen less than `suppress` (event time) before this firing's first event.
async fn suppressed(
    txn: &impl ConnectionTrait,
    rule: &RuleMeta,
    dedup: &str,
    op: &AlertOp,
) -> Result<bool, DbErr> {
    let Some(suppress) = rule.suppress else {
        return Ok(false);
    };
    let recent = alert::Entity::find()
        .filter(alert::Column::RuleId.eq(rule.id))
        .filter(alert::Column::DedupKey.eq(dedup))
        .filter(alert::Column::LastSeen.gte(op.first_seen - suppress))
        .one(txn)
        .await?;
    Ok(recent.is_some())
}

/// Links up to `room` of `events` to the alert; returns how many were linked.
async fn add_evidence(
    txn: &impl ConnectionTrait,
    alert_id: i64,
    events: &[i64],
    room: usize,
) -> Result<usize, DbErr> {
    let mut ids: Vec<i64> = events.to_vec();
    ids.sort_unstable();
    ids.dedup();
    ids.truncate(room);
    if ids.is_empty() {
        return Ok(0);
    }
    let rows = ids.iter().map(|&event_id| alert_evidence::ActiveModel {
        alert_id: Set(alert_id),
        event_id: Set(event_id),
    });
    alert_evidence::Entity::insert_many(rows)
        .on_conflict(
            OnConflict::columns([
                alert_evidence::Column::AlertId,
                alert_evidence::Column::EventId,
            ])
            // MariaDB has no DO NOTHING: this writes `alert_id = alert_id` instead.
            .do_nothing_on([alert_evidence::Column::AlertId])
            .to_owned(),
        )
        .exec_without_returning(txn)
        .await?;
    Ok(ids.len())
}

/// One `alert_history` row; `actor` is `None` for detection's own changes.
pub async fn history(
    txn: &impl ConnectionTrait,
    alert_id: i64,
    action: &str,
    from: Option<String>,
    to: Option<String>,
) -> Result<(), DbErr> {
    alert_history::ActiveModel {
        alert_id: Set(alert_id),
        at: Set(Utc::now()),
        actor_id: Set(None),
        actor_name: Set(Some("detection".into())),
        action: Set(action.into()),
        from_value: Set(from),
        to_value: Set(to),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    Ok(())
}
