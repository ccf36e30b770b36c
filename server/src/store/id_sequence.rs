//! `id_sequences`: counters from which Vigil allocates ids itself (event ids, so that a batch's
//! evidence can name its events before the batch is committed).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "id_sequences")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub name: String,
    /// The last id handed out.
    pub value: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// The counter of `bronze_event_data` ids.
pub const EVENTS: &str = "bronze_event_data";
