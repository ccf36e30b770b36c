//! `rules`: detection rules.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "rules")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub name: String,
    pub description: Option<String>,
    pub kind: String,
    pub severity: String,
    pub definition: Json,
    pub enabled: bool,
    pub created_by: Option<i32>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// The built-in pack's name for this rule; NULL for rules users wrote or imported.
    pub builtin_key: Option<String>,
    /// MITRE ATT&CK tags, e.g. `["attack.credential_access", "attack.t1110"]`.
    pub tags: Option<Json>,
    pub false_positives: Option<String>,
    /// After an alert, the same rule and key raise no new alert for this long.
    pub suppress_secs: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
