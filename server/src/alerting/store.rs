//! Writes detection's alert operations inside the writer's transaction.
//!
//! A `Raise` adds to the rule's unresolved alert for the same group key (found through the
//! unique `(rule_id, dedup_open)` index) or opens a new one; an `Extend` only adds to an
//! unresolved alert. Every change leaves an `alert_history` row: `created` when an alert opens,
//! `matched` (event count from, to) when matches join it. An alert that opens queues its
//! notifications (the rule's channels whose minimum severity it meets) in the same
//! transaction, so a crash can lose neither without the other. [`apply`] answers the ids of
//! the alerts it opened or added to, for the alert stream once the transaction commits.

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
) -> Result<Vec<i64>, DbErr> {
    let mut changed = Vec::new();
    for (rule, op) in ops.iter().filter(|(r, _)| rules.contains(&r.id)) {
        changed.extend(apply_one(txn, rule, op).await?);
    }
    Ok(changed)
}

/// Returns the id of the alert opened or added to, if any.
async fn apply_one(
    txn: &impl ConnectionTrait,
    rule: &RuleMeta,
    op: &AlertOp,
) -> Result<Option<i64>, DbErr> {
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
            Ok(Some(a.id))
        }
        None if op.kind == OpKind::Extend => {
            metrics::counter!("vigil_detect_extend_without_alert_total").increment(1);
            Ok(None)
        }
        None if suppressed(txn, rule, &dedup, op).await? => {
            metrics::counter!("vigil_alerts_suppressed_total").increment(1);
            Ok(None)
        }
        None => {
            let created = open_alert(txn, rule, op, Some(dedup), None).await?;
            history(txn, created, "created", None, Some("open".into())).await?;
            super::notify::outbox::enqueue(txn, rule.id, &rule.severity, created, "opened").await?;
            metrics::counter!("vigil_alerts_raised_total", "severity" => rule.severity.clone())
                .increment(1);
            Ok(Some(created))
        }
    }
}

/// Inserts a new open alert for `op` with its evidence; answers its id. `dedup_open` is the key
/// while it collects matches (detection's alerts), `hunt_key` marks a hunt's.
async fn open_alert(
    txn: &impl ConnectionTrait,
    rule: &RuleMeta,
    op: &AlertOp,
    dedup_open: Option<String>,
    hunt_key: Option<String>,
) -> Result<i64, DbErr> {
    let now = Utc::now();
    let created = alert::ActiveModel {
        rule_id: Set(Some(rule.id)),
        rule_name: Set(Some(rule.name.clone())),
        title: Set(crate::service::audit::cap(&op.key.render(&rule.title), 255)),
        severity: Set(rule.severity.clone()),
        status: Set("open".into()),
        assignee_id: Set(None),
        dedup_key: Set(op.key.dedup_key()),
        group_fields: Set(Some(op.key.fields_json())),
        dedup_open: Set(dedup_open),
        event_count: Set(i64::try_from(op.count).unwrap_or(i64::MAX)),
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
        hunt_key: Set(hunt_key),
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
    Ok(created.id)
}

/// Who ran a hunt, for the alerts' history.
pub struct Hunter<'a> {
    pub user_id: i32,
    pub username: &'a str,
    /// Said in the `hunt` history row, e.g. the backtest's id.
    pub note: String,
}

/// Creates the open alert a hunt found, unless an earlier hunt created it already (same
/// `hunt_key`) or live detection raised it (an alert of the rule and key with the same first
/// seen). Answers the alert's id and whether it was created now. Such an alert is
/// unresolved but never collects live matches (its `dedup_open` stays empty), so it cannot
/// collide with the alert detection keeps open for the same key. Its history says who created
/// it, and that a hunt did.
pub async fn create_hunted(
    txn: &impl ConnectionTrait,
    rule: &RuleMeta,
    op: &AlertOp,
    hunt_key: &str,
    by: &Hunter<'_>,
) -> Result<(i64, bool), DbErr> {
    if let Some(found) = alert::Entity::find()
        .filter(alert::Column::HuntKey.eq(hunt_key))
        .one(txn)
        .await?
    {
        return Ok((found.id, false));
    }
    if let Some(found) = alert::Entity::find()
        .filter(alert::Column::RuleId.eq(rule.id))
        .filter(alert::Column::DedupKey.eq(op.key.dedup_key()))
        .filter(alert::Column::FirstSeen.eq(op.first_seen))
        .one(txn)
        .await?
    {
        return Ok((found.id, false));
    }
    let id = open_alert(txn, rule, op, None, Some(hunt_key.to_string())).await?;
    for (action, to) in [("created", "open".to_string()), ("hunt", by.note.clone())] {
        alert_history::ActiveModel {
            alert_id: Set(id),
            at: Set(Utc::now()),
            actor_id: Set(Some(by.user_id)),
            actor_name: Set(Some(by.username.to_string())),
            action: Set(action.into()),
            from_value: Set(None),
            to_value: Set(Some(to)),
            ..Default::default()
        }
        .insert(txn)
        .await?;
    }
    Ok((id, true))
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
