//! Detection and alerts: event ids allocated by Vigil, rule metadata and the built-in pack's
//! ledger, alert lifecycle columns, alert history and persisted detector state.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    big_integer, big_pk_auto, integer, integer_null, string_len, string_len_null, string_null,
    text, text_null,
};
use sea_orm_migration::sea_orm::{ConnectionTrait, Statement};

use crate::column::{instant, instant_null, json_doc};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum IdSequences {
    Table,
    Name,
    Value,
}

#[derive(DeriveIden)]
enum Rules {
    Table,
    Id,
    BuiltinKey,
    Tags,
    FalsePositives,
    SuppressSecs,
}

#[derive(DeriveIden)]
enum BuiltinRules {
    Table,
    Key,
    SeededAt,
}

#[derive(DeriveIden)]
enum Alerts {
    Table,
    Id,
    RuleName,
    GroupFields,
    DedupOpen,
    WindowEnd,
    Summary,
    Tags,
    AcknowledgedAt,
    ResolvedAt,
    EvidenceCount,
}

#[derive(DeriveIden)]
enum AlertHistory {
    Table,
    Id,
    AlertId,
    At,
    ActorId,
    ActorName,
    Action,
    FromValue,
    ToValue,
}

#[derive(DeriveIden)]
enum DetectorState {
    Table,
    RuleId,
    KeyHash,
    KeyText,
    State,
    LastEventId,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

/// SQLite changes one column per `ALTER TABLE`, so every column is its own statement.
async fn add_column(
    manager: &SchemaManager<'_>,
    table: impl IntoIden,
    column: ColumnDef,
) -> Result<(), DbErr> {
    let mut column = column;
    manager
        .alter_table(Table::alter().table(table).add_column(&mut column).take())
        .await
}

fn nullable_json(col: impl IntoIden) -> ColumnDef {
    let mut def = json_doc(col);
    def.null();
    def
}

fn index(name: &str, table: impl IntoIden, cols: &[&'static str]) -> IndexCreateStatement {
    let mut stmt = Index::create();
    stmt.name(name).table(table).if_not_exists();
    for col in cols {
        stmt.col(Alias::new(*col));
    }
    stmt.take()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_database_backend();

        // Event ids come from this counter, advanced in the writer's transaction, so detection
        // knows the ids of a batch's events before it is committed and evidence can point at them.
        manager
            .create_table(
                Table::create()
                    .table(IdSequences::Table)
                    .if_not_exists()
                    .col(string_len(IdSequences::Name, 64).primary_key())
                    .col(big_integer(IdSequences::Value).default(0))
                    .take(),
            )
            .await?;
        let conn = manager.get_connection();
        conn.execute_raw(Statement::from_string(
            db,
            "INSERT INTO id_sequences (name, value) \
             SELECT 'bronze_event_data', COALESCE(MAX(id), 0) FROM bronze_event_data",
        ))
        .await?;

        add_column(
            manager,
            Rules::Table,
            string_len_null(Rules::BuiltinKey, 64),
        )
        .await?;
        add_column(manager, Rules::Table, nullable_json(Rules::Tags)).await?;
        add_column(manager, Rules::Table, text_null(Rules::FalsePositives)).await?;
        add_column(
            manager,
            Rules::Table,
            ColumnDef::new(Rules::SuppressSecs)
                .big_integer()
                .null()
                .take(),
        )
        .await?;
        manager
            .create_index(
                index("idx_rules_builtin_key", Rules::Table, &["builtin_key"])
                    .unique()
                    .take(),
            )
            .await?;

        // Built-in rules once seeded: a deleted built-in rule is never silently re-created.
        manager
            .create_table(
                Table::create()
                    .table(BuiltinRules::Table)
                    .if_not_exists()
                    .col(string_len(BuiltinRules::Key, 64).primary_key())
                    .col(instant(db, BuiltinRules::SeededAt))
                    .take(),
            )
            .await?;

        add_column(manager, Alerts::Table, string_null(Alerts::RuleName)).await?;
        add_column(manager, Alerts::Table, nullable_json(Alerts::GroupFields)).await?;
        // The dedup key while the alert is not resolved, NULL afterwards: the unique index on
        // (rule_id, dedup_open) allows one unresolved alert per rule and key, on both backends.
        add_column(
            manager,
            Alerts::Table,
            string_len_null(Alerts::DedupOpen, 255),
        )
        .await?;
        add_column(manager, Alerts::Table, instant_null(db, Alerts::WindowEnd)).await?;
        add_column(manager, Alerts::Table, text_null(Alerts::Summary)).await?;
        add_column(manager, Alerts::Table, nullable_json(Alerts::Tags)).await?;
        add_column(
            manager,
            Alerts::Table,
            instant_null(db, Alerts::AcknowledgedAt),
        )
        .await?;
        add_column(manager, Alerts::Table, instant_null(db, Alerts::ResolvedAt)).await?;
        add_column(
            manager,
            Alerts::Table,
            integer(Alerts::EvidenceCount).default(0).take(),
        )
        .await?;
        manager
            .create_index(
                index(
                    "idx_alerts_rule_open",
                    Alerts::Table,
                    &["rule_id", "dedup_open"],
                )
                .unique()
                .take(),
            )
            .await?;
        for (name, cols) in [
            (
                "idx_alerts_rule_key_last_seen",
                &["rule_id", "dedup_key", "last_seen"][..],
            ),
            ("idx_alerts_severity_status", &["severity", "status"][..]),
            ("idx_alerts_assignee_status", &["assignee_id", "status"][..]),
            ("idx_alerts_last_seen", &["last_seen"][..]),
        ] {
            manager
                .create_index(index(name, Alerts::Table, cols))
                .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(AlertHistory::Table)
                    .if_not_exists()
                    .col(big_pk_auto(AlertHistory::Id))
                    .col(big_integer(AlertHistory::AlertId))
                    .col(instant(db, AlertHistory::At))
                    .col(integer_null(AlertHistory::ActorId))
                    .col(string_null(AlertHistory::ActorName))
                    .col(string_len(AlertHistory::Action, 32))
                    .col(string_null(AlertHistory::FromValue))
                    .col(string_null(AlertHistory::ToValue))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_alert_history_alert")
                            .from(AlertHistory::Table, AlertHistory::AlertId)
                            .to(Alerts::Table, Alerts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_alert_history_actor")
                            .from(AlertHistory::Table, AlertHistory::ActorId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .take(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_alert_history_alert",
                AlertHistory::Table,
                &["alert_id", "id"],
            ))
            .await?;

        // Detector state that cannot be rebuilt by replaying recent events (long baselines),
        // written in the same transaction as the events it reflects.
        manager
            .create_table(
                Table::create()
                    .table(DetectorState::Table)
                    .if_not_exists()
                    .col(integer(DetectorState::RuleId))
                    .col(string_len(DetectorState::KeyHash, 64))
                    .col(text(DetectorState::KeyText))
                    .col(json_doc(DetectorState::State))
                    .col(big_integer(DetectorState::LastEventId).default(0))
                    .col(instant(db, DetectorState::UpdatedAt))
                    .primary_key(
                        Index::create()
                            .col(DetectorState::RuleId)
                            .col(DetectorState::KeyHash),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_detector_state_rule")
                            .from(DetectorState::Table, DetectorState::RuleId)
                            .to(Rules::Table, Rules::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .take(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            DetectorState::Table.into_iden(),
            AlertHistory::Table.into_iden(),
            BuiltinRules::Table.into_iden(),
            IdSequences::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).if_exists().take())
                .await?;
        }
        manager
            .drop_index(
                Index::drop()
                    .name("idx_alerts_rule_open")
                    .table(Alerts::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("idx_rules_builtin_key")
                    .table(Rules::Table)
                    .to_owned(),
            )
            .await?;
        for col in [
            Alerts::RuleName,
            Alerts::GroupFields,
            Alerts::DedupOpen,
            Alerts::WindowEnd,
            Alerts::Summary,
            Alerts::Tags,
            Alerts::AcknowledgedAt,
            Alerts::ResolvedAt,
            Alerts::EvidenceCount,
        ] {
            manager
                .alter_table(Table::alter().table(Alerts::Table).drop_column(col).take())
                .await?;
        }
        for col in [
            Rules::BuiltinKey,
            Rules::Tags,
            Rules::FalsePositives,
            Rules::SuppressSecs,
        ] {
            manager
                .alter_table(Table::alter().table(Rules::Table).drop_column(col).take())
                .await?;
        }
        Ok(())
    }
}
