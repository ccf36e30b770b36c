//! A rule's notification channels: which channels its new alerts go to, each from a minimum
//! severity up. Set with the rule (`rules.write`), replaced as a whole.

use std::collections::{HashMap, HashSet};

use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, Set};

use app::error::AppError;
use app::model::notifications::RuleChannel;

use super::internal;
use super::rules::SEVERITIES;
use crate::store::{notification_channel, rule_channel};

/// The most channels one rule may notify.
pub const MAX_CHANNELS: usize = 32;

/// Checks a selection before anything is written: known severities, existing channels, each
/// channel once.
pub async fn check(db: &impl ConnectionTrait, channels: &[RuleChannel]) -> Result<(), AppError> {
    if channels.len() > MAX_CHANNELS {
        return Err(AppError::Invalid(format!(
            "channels: at most {MAX_CHANNELS}"
        )));
    }
    let mut seen = HashSet::new();
    for c in channels {
        if !SEVERITIES.contains(&c.min_severity.as_str()) {
            return Err(AppError::Invalid(format!(
                "channels: min_severity `{}` is not one of {}",
                c.min_severity,
                SEVERITIES.join(", ")
            )));
        }
        if !seen.insert(c.channel_id) {
            return Err(AppError::Invalid(format!(
                "channels: channel {} is named twice",
                c.channel_id
            )));
        }
    }
    if seen.is_empty() {
        return Ok(());
    }
    let found: HashSet<i32> = notification_channel::Entity::find()
        .filter(notification_channel::Column::Id.is_in(seen.iter().copied()))
        .all(db)
        .await
        .map_err(internal)?
        .into_iter()
        .map(|c| c.id)
        .collect();
    if let Some(missing) = channels.iter().find(|c| !found.contains(&c.channel_id)) {
        return Err(AppError::Invalid(format!(
            "channels: there is no channel {}",
            missing.channel_id
        )));
    }
    Ok(())
}

/// Replaces the rule's selection.
pub async fn replace(
    txn: &impl ConnectionTrait,
    rule_id: i32,
    channels: &[RuleChannel],
) -> Result<(), DbErr> {
    rule_channel::Entity::delete_many()
        .filter(rule_channel::Column::RuleId.eq(rule_id))
        .exec(txn)
        .await?;
    if channels.is_empty() {
        return Ok(());
    }
    rule_channel::Entity::insert_many(channels.iter().map(|c| rule_channel::ActiveModel {
        rule_id: Set(rule_id),
        channel_id: Set(c.channel_id),
        min_severity: Set(c.min_severity.clone()),
    }))
    .exec_without_returning(txn)
    .await?;
    Ok(())
}

/// The selections of the given rules, by rule.
pub async fn of(
    db: &impl ConnectionTrait,
    rule_ids: impl IntoIterator<Item = i32>,
) -> Result<HashMap<i32, Vec<RuleChannel>>, AppError> {
    let ids: Vec<i32> = rule_ids.into_iter().collect();
    let mut out: HashMap<i32, Vec<RuleChannel>> = HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    let rows = rule_channel::Entity::find()
        .filter(rule_channel::Column::RuleId.is_in(ids))
        .order_by_asc(rule_channel::Column::ChannelId)
        .all(db)
        .await
        .map_err(internal)?;
    for r in rows {
        out.entry(r.rule_id).or_default().push(RuleChannel {
            channel_id: r.channel_id,
            min_severity: r.min_severity,
        });
    }
    Ok(out)
}
