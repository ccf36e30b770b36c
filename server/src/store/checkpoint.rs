//! `checkpoints`: how far each file of a source has been stored, by file fingerprint. Written in
//! the same transaction as the events it covers.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "checkpoints")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub source_id: i32,
    pub fingerprint: String,
    #[sea_orm(column_type = "Text")]
    pub path: String,
    pub offset: i64,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
