//! The outbox table's operations: queueing in the writer's transaction, and the worker's small
//! transactions (claim, delivered, failed), each a single conditional `UPDATE`.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
    Statement, Value,
};

use crate::store::notification_outbox as outbox;

pub const PENDING: &str = "pending";
pub const DELIVERED: &str = "delivered";
pub const FAILED: &str = "failed";

/// Severities from least to most severe.
const SEVERITIES: [&str; 4] = ["low", "medium", "high", "critical"];

pub fn severity_rank(s: &str) -> usize {
    SEVERITIES.iter().position(|v| *v == s).unwrap_or(0)
}

/// Queues the alert's `event` for every enabled channel of the rule whose minimum severity the
/// alert meets. Runs inside the transaction that creates the alert; answers how many it queued.
pub async fn enqueue(
    txn: &impl ConnectionTrait,
    rule_id: i32,
    severity: &str,
    alert_id: i64,
    event: &str,
) -> Result<usize, DbErr> {
    let rows = txn
        .query_all_raw(Statement::from_sql_and_values(
            txn.get_database_backend(),
            "SELECT rc.channel_id, rc.min_severity FROM rule_channels rc \
             JOIN notification_channels c ON c.id = rc.channel_id \
             WHERE rc.rule_id = ? AND c.enabled = ? ORDER BY rc.channel_id",
            [Value::from(rule_id), Value::from(true)],
        ))
        .await?;
    let rank = severity_rank(severity);
    let now = Utc::now();
    let mut queued = Vec::new();
    for row in rows {
        let channel_id: i32 = row.try_get_by_index(0)?;
        let min: String = row.try_get_by_index(1)?;
        if rank >= severity_rank(&min) {
            queued.push(outbox::ActiveModel {
                alert_id: Set(alert_id),
                channel_id: Set(channel_id),
                event: Set(event.into()),
                status: Set(PENDING.into()),
                attempts: Set(0),
                next_attempt_at: Set(now),
                last_error: Set(None),
                delivered_at: Set(None),
                created_at: Set(now),
                ..Default::default()
            });
        }
    }
    let n = queued.len();
    if n > 0 {
        outbox::Entity::insert_many(queued)
            .on_conflict(
                OnConflict::columns([
                    outbox::Column::AlertId,
                    outbox::Column::ChannelId,
                    outbox::Column::Event,
                ])
                .do_nothing_on([outbox::Column::AlertId])
                .to_owned(),
            )
            .exec_without_returning(txn)
            .await?;
        metrics::counter!("vigil_notifications_queued_total").increment(n as u64);
    }
    Ok(n)
}

/// Pending rows due by `now`, oldest due first.
pub async fn due(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<outbox::Model>, DbErr> {
    outbox::Entity::find()
        .filter(outbox::Column::Status.eq(PENDING))
        .filter(outbox::Column::NextAttemptAt.lte(now))
        .order_by_asc(outbox::Column::NextAttemptAt)
        .order_by_asc(outbox::Column::Id)
        .limit(limit)
        .all(db)
        .await
}

/// When the earliest pending row is due.
pub async fn next_due(db: &impl ConnectionTrait) -> Result<Option<DateTime<Utc>>, DbErr> {
    Ok(outbox::Entity::find()
        .filter(outbox::Column::Status.eq(PENDING))
        .order_by_asc(outbox::Column::NextAttemptAt)
        .one(db)
        .await?
        .map(|r| r.next_attempt_at))
}

/// Takes a row for one send: counts the attempt and moves its due time to `until` (past the
/// send's timeout), so neither another worker nor this one after a crash sends it before then.
/// False when the row changed meanwhile (someone else took it).
pub async fn claim(
    db: &impl ConnectionTrait,
    row: &outbox::Model,
    until: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let res = outbox::Entity::update_many()
        .col_expr(outbox::Column::Attempts, Expr::value(row.attempts + 1))
        .col_expr(outbox::Column::NextAttemptAt, Expr::value(until))
        .filter(outbox::Column::Id.eq(row.id))
        .filter(outbox::Column::Status.eq(PENDING))
        .filter(outbox::Column::Attempts.eq(row.attempts))
        .exec(db)
        .await?;
    Ok(res.rows_affected == 1)
}

pub async fn delivered(db: &impl ConnectionTrait, id: i64) -> Result<(), DbErr> {
    outbox::Entity::update_many()
        .col_expr(outbox::Column::Status, Expr::value(DELIVERED))
        .col_expr(outbox::Column::DeliveredAt, Expr::value(Utc::now()))
        .col_expr(
            outbox::Column::LastError,
            Expr::value(Option::<String>::None),
        )
        .filter(outbox::Column::Id.eq(id))
        .filter(outbox::Column::Status.eq(PENDING))
        .exec(db)
        .await?;
    Ok(())
}

/// Records a failed send: retried at `retry_at`, or given up (`failed`) when `retry_at` is
/// `None`.
pub async fn attempt_failed(
    db: &impl ConnectionTrait,
    id: i64,
    error: &str,
    retry_at: Option<DateTime<Utc>>,
) -> Result<(), DbErr> {
    let error: String = error.chars().take(1000).collect();
    let mut update =
        outbox::Entity::update_many().col_expr(outbox::Column::LastError, Expr::value(Some(error)));
    update = match retry_at {
        Some(at) => update.col_expr(outbox::Column::NextAttemptAt, Expr::value(at)),
        None => update.col_expr(outbox::Column::Status, Expr::value(FAILED)),
    };
    update
        .filter(outbox::Column::Id.eq(id))
        .filter(outbox::Column::Status.eq(PENDING))
        .exec(db)
        .await?;
    Ok(())
}

/// Holds back a rate-limited channel's due rows until `at`, without counting an attempt, so
/// they stop filling the worker's batch and other channels' rows get their turn.
pub async fn defer_channel(
    db: &impl ConnectionTrait,
    channel_id: i32,
    at: DateTime<Utc>,
) -> Result<(), DbErr> {
    outbox::Entity::update_many()
        .col_expr(outbox::Column::NextAttemptAt, Expr::value(at))
        .filter(outbox::Column::ChannelId.eq(channel_id))
        .filter(outbox::Column::Status.eq(PENDING))
        .filter(outbox::Column::NextAttemptAt.lt(at))
        .exec(db)
        .await?;
    Ok(())
}

/// Gives up on a channel's pending rows (the channel was disabled).
pub async fn fail_channel(
    db: &impl ConnectionTrait,
    channel_id: i32,
    error: &str,
) -> Result<(), DbErr> {
    outbox::Entity::update_many()
        .col_expr(outbox::Column::Status, Expr::value(FAILED))
        .col_expr(
            outbox::Column::LastError,
            Expr::value(Some(error.to_string())),
        )
        .filter(outbox::Column::ChannelId.eq(channel_id))
        .filter(outbox::Column::Status.eq(PENDING))
        .exec(db)
        .await?;
    Ok(())
}
