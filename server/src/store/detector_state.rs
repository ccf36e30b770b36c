//! `detector_state`: detector state that cannot be rebuilt from recent events (long baselines),
//! stored in the writer's transaction together with the events it reflects.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "detector_state")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub rule_id: i32,
    /// SHA-256 (hex) of `key_text`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub key_hash: String,
    pub key_text: String,
    pub state: Json,
    /// The last event reflected in `state`.
    pub last_event_id: i64,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
