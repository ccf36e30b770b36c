//! Alerts created by a hunt (a backtest asked to create its alerts) carry a key naming the rule,
//! the group key and the first event behind them; the unique index makes a repeated hunt find
//! the alerts it created before instead of creating them again. NULL for detection's own alerts.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::string_len_null;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Alerts {
    Table,
    HuntKey,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Alerts::Table)
                    .add_column(string_len_null(Alerts::HuntKey, 64))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_alerts_hunt_key")
                    .table(Alerts::Table)
                    .col(Alerts::HuntKey)
                    .unique()
                    .if_not_exists()
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_alerts_hunt_key")
                    .table(Alerts::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Alerts::Table)
                    .drop_column(Alerts::HuntKey)
                    .take(),
            )
            .await
    }
}
