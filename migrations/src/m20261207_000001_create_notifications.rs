//! Notifications: channels (webhook, Slack, e-mail), which rules notify which channels from
//! what severity up, and the outbox of messages to deliver, written in the same transaction as
//! the alert that causes them.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    big_integer, big_pk_auto, boolean, integer, pk_auto, string_len, string_len_uniq, text_null,
};

use crate::column::{instant, instant_null, json_doc};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum NotificationChannels {
    Table,
    Id,
    Name,
    Kind,
    Config,
    Enabled,
    RatePerMinute,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum RuleChannels {
    Table,
    RuleId,
    ChannelId,
    MinSeverity,
}

#[derive(DeriveIden)]
enum NotificationOutbox {
    Table,
    Id,
    AlertId,
    ChannelId,
    Event,
    Status,
    Attempts,
    NextAttemptAt,
    LastError,
    DeliveredAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Rules {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Alerts {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_database_backend();
        manager
            .create_table(
                Table::create()
                    .table(NotificationChannels::Table)
                    .if_not_exists()
                    .col(pk_auto(NotificationChannels::Id))
                    .col(string_len_uniq(NotificationChannels::Name, 255))
                    .col(string_len(NotificationChannels::Kind, 16))
                    // Webhook URL or SMTP settings; an SMTP password is kept here and never
                    // returned by the API.
                    .col(json_doc(NotificationChannels::Config))
                    .col(boolean(NotificationChannels::Enabled).default(true))
                    .col(integer(NotificationChannels::RatePerMinute).default(60))
                    .col(instant(db, NotificationChannels::CreatedAt))
                    .col(instant(db, NotificationChannels::UpdatedAt))
                    .take(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(RuleChannels::Table)
                    .if_not_exists()
                    .col(integer(RuleChannels::RuleId))
                    .col(integer(RuleChannels::ChannelId))
                    .col(string_len(RuleChannels::MinSeverity, 16))
                    .primary_key(
                        Index::create()
                            .col(RuleChannels::RuleId)
                            .col(RuleChannels::ChannelId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_rule_channels_rule")
                            .from(RuleChannels::Table, RuleChannels::RuleId)
                            .to(Rules::Table, Rules::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_rule_channels_channel")
                            .from(RuleChannels::Table, RuleChannels::ChannelId)
                            .to(NotificationChannels::Table, NotificationChannels::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .take(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(NotificationOutbox::Table)
                    .if_not_exists()
                    .col(big_pk_auto(NotificationOutbox::Id))
                    .col(big_integer(NotificationOutbox::AlertId))
                    .col(integer(NotificationOutbox::ChannelId))
                    .col(string_len(NotificationOutbox::Event, 16))
                    .col(string_len(NotificationOutbox::Status, 16))
                    .col(integer(NotificationOutbox::Attempts).default(0))
                    .col(instant(db, NotificationOutbox::NextAttemptAt))
                    .col(text_null(NotificationOutbox::LastError))
                    .col(instant_null(db, NotificationOutbox::DeliveredAt))
                    .col(instant(db, NotificationOutbox::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_notification_outbox_alert")
                            .from(NotificationOutbox::Table, NotificationOutbox::AlertId)
                            .to(Alerts::Table, Alerts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_notification_outbox_channel")
                            .from(NotificationOutbox::Table, NotificationOutbox::ChannelId)
                            .to(NotificationChannels::Table, NotificationChannels::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .take(),
            )
            .await?;
        // One message per alert, channel and event: a retried writer commit cannot queue two.
        manager
            .create_index(
                Index::create()
                    .name("idx_notification_outbox_once")
                    .table(NotificationOutbox::Table)
                    .col(NotificationOutbox::AlertId)
                    .col(NotificationOutbox::ChannelId)
                    .col(NotificationOutbox::Event)
                    .unique()
                    .if_not_exists()
                    .take(),
            )
            .await?;
        // The delivery worker's poll: pending rows by due time.
        manager
            .create_index(
                Index::create()
                    .name("idx_notification_outbox_due")
                    .table(NotificationOutbox::Table)
                    .col(NotificationOutbox::Status)
                    .col(NotificationOutbox::NextAttemptAt)
                    .if_not_exists()
                    .take(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            NotificationOutbox::Table.into_iden(),
            RuleChannels::Table.into_iden(),
            NotificationChannels::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).if_exists().take())
                .await?;
        }
        Ok(())
    }
}
