//! `detector_state`: each live key's state, written in the batch's transaction so that after
//! a crash the engine resumes exactly where the stored events leave it.

use chrono::Utc;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set};
use serde::{Deserialize, Serialize};

use super::engine::{KeyState, StateChange};
use super::group::hash;
use crate::store::detector_state;

/// The stored form of a key's state: the key's fields (for the alert) and the state.
#[derive(Debug, Serialize, Deserialize)]
pub struct Stored {
    pub fields: Vec<(String, String)>,
    pub state: KeyState,
}

/// Writes `changes` for the rules in `rules` (others were deleted meanwhile).
pub async fn persist(
    txn: &impl ConnectionTrait,
    changes: &[StateChange],
    rules: &std::collections::HashSet<i32>,
) -> Result<(), DbErr> {
    let now = Utc::now();
    let mut upserts = Vec::new();
    for change in changes.iter().filter(|c| rules.contains(&c.rule_id)) {
        let key_hash = hash(&change.key_text);
        match &change.entry {
            Some(entry) => {
                let stored = Stored {
                    fields: entry.key.fields.clone(),
                    state: entry.state.clone(),
                };
                upserts.push(detector_state::ActiveModel {
                    rule_id: Set(change.rule_id),
                    key_hash: Set(key_hash),
                    key_text: Set(change.key_text.clone()),
                    state: Set(serde_json::to_value(stored).unwrap_or_default()),
                    last_event_id: Set(entry.last_event_id),
                    updated_at: Set(now),
                });
            }
            None => {
                detector_state::Entity::delete_many()
                    .filter(detector_state::Column::RuleId.eq(change.rule_id))
                    .filter(detector_state::Column::KeyHash.eq(key_hash))
                    .exec(txn)
                    .await?;
            }
        }
    }
    for chunk in upserts.chunks(500) {
        detector_state::Entity::insert_many(chunk.to_vec())
            .on_conflict(
                OnConflict::columns([
                    detector_state::Column::RuleId,
                    detector_state::Column::KeyHash,
                ])
                .update_columns([
                    detector_state::Column::KeyText,
                    detector_state::Column::State,
                    detector_state::Column::LastEventId,
                    detector_state::Column::UpdatedAt,
                ])
                .to_owned(),
            )
            .exec_without_returning(txn)
            .await?;
    }
    Ok(())
}
