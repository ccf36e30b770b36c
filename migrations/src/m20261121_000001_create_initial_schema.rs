//! The initial schema: accounts and access, ingested events, sources, rules, alerts, reports, audit.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    big_integer, big_integer_null, big_pk_auto, boolean, integer, integer_null, pk_auto, string,
    string_len, string_len_null, string_null, string_uniq, text, text_null,
};

use crate::column::{instant, instant_null, json_doc, long_text};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Username,
    DisplayName,
    Email,
    PasswordHash,
    Disabled,
    TokenVersion,
    CreatedAt,
    UpdatedAt,
    LastLoginAt,
}

#[derive(DeriveIden)]
enum Roles {
    Table,
    Id,
    Name,
    Description,
    Builtin,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum RolePermissions {
    Table,
    RoleId,
    Permission,
}

#[derive(DeriveIden)]
enum UserRoles {
    Table,
    UserId,
    RoleId,
}

#[derive(DeriveIden)]
enum ApiTokens {
    Table,
    Id,
    Name,
    Prefix,
    TokenHash,
    Permissions,
    CreatedBy,
    CreatedAt,
    ExpiresAt,
    LastUsedAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum RefreshTokens {
    Table,
    Id,
    UserId,
    FamilyId,
    TokenHash,
    CreatedAt,
    ExpiresAt,
    UsedAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum BronzeEventData {
    Table,
    Id,
    Timestamp,
    ReceivedAt,
    Host,
    SourceIp,
    SourcePort,
    DestinationIp,
    DestinationPort,
    UserName,
    EventCategory,
    EventAction,
    EventOutcome,
    Level,
    Process,
    Pid,
    Message,
    Raw,
    Parser,
    Source,
    Flags,
    RepeatCount,
    Fields,
}

#[derive(DeriveIden)]
enum Sources {
    Table,
    Id,
    Name,
    Kind,
    Config,
    Enabled,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Checkpoints {
    Table,
    Id,
    SourceId,
    Fingerprint,
    Path,
    Offset,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Rules {
    Table,
    Id,
    Name,
    Description,
    Kind,
    Severity,
    Definition,
    Enabled,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Alerts {
    Table,
    Id,
    RuleId,
    Title,
    Severity,
    Status,
    AssigneeId,
    DedupKey,
    EventCount,
    FirstSeen,
    LastSeen,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum AlertEvidence {
    Table,
    AlertId,
    EventId,
}

#[derive(DeriveIden)]
enum AlertComments {
    Table,
    Id,
    AlertId,
    UserId,
    Body,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Reports {
    Table,
    Id,
    Name,
    Kind,
    Format,
    Status,
    Parameters,
    OwnerId,
    FilePath,
    SizeBytes,
    Error,
    CreatedAt,
    FinishedAt,
}

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    Id,
    Timestamp,
    ActorId,
    ActorName,
    SourceIp,
    Action,
    Target,
    Outcome,
    Details,
}

fn fk(
    name: &str,
    from: (impl IntoIden, impl IntoIden),
    to: (impl IntoIden, impl IntoIden),
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(from.0, from.1)
        .to(to.0, to.1)
        .on_delete(on_delete)
        .take()
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

        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .if_not_exists()
                    .col(pk_auto(Users::Id))
                    .col(string_uniq(Users::Username))
                    .col(string_null(Users::DisplayName))
                    .col(string_null(Users::Email))
                    .col(string(Users::PasswordHash))
                    .col(boolean(Users::Disabled).default(false))
                    .col(integer(Users::TokenVersion).default(0))
                    .col(instant(db, Users::CreatedAt))
                    .col(instant(db, Users::UpdatedAt))
                    .col(instant_null(db, Users::LastLoginAt))
                    .take(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Roles::Table)
                    .if_not_exists()
                    .col(pk_auto(Roles::Id))
                    .col(string_uniq(Roles::Name))
                    .col(text_null(Roles::Description))
                    .col(boolean(Roles::Builtin).default(false))
                    .col(instant(db, Roles::CreatedAt))
                    .col(instant(db, Roles::UpdatedAt))
                    .take(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(RolePermissions::Table)
                    .if_not_exists()
                    .col(integer(RolePermissions::RoleId))
                    .col(string_len(RolePermissions::Permission, 64))
                    .primary_key(
                        Index::create()
                            .col(RolePermissions::RoleId)
                            .col(RolePermissions::Permission),
                    )
                    .foreign_key(&mut fk(
                        "fk_role_permissions_role",
                        (RolePermissions::Table, RolePermissions::RoleId),
                        (Roles::Table, Roles::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .take(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(UserRoles::Table)
                    .if_not_exists()
                    .col(integer(UserRoles::UserId))
                    .col(integer(UserRoles::RoleId))
                    .primary_key(
                        Index::create()
                            .col(UserRoles::UserId)
                            .col(UserRoles::RoleId),
                    )
                    .foreign_key(&mut fk(
                        "fk_user_roles_user",
                        (UserRoles::Table, UserRoles::UserId),
                        (Users::Table, Users::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_user_roles_role",
                        (UserRoles::Table, UserRoles::RoleId),
                        (Roles::Table, Roles::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .take(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ApiTokens::Table)
                    .if_not_exists()
                    .col(pk_auto(ApiTokens::Id))
                    .col(string(ApiTokens::Name))
                    .col(string_len(ApiTokens::Prefix, 16))
                    .col(string_len(ApiTokens::TokenHash, 128).unique_key())
                    .col(json_doc(ApiTokens::Permissions))
                    .col(integer_null(ApiTokens::CreatedBy))
                    .col(instant(db, ApiTokens::CreatedAt))
                    .col(instant_null(db, ApiTokens::ExpiresAt))
                    .col(instant_null(db, ApiTokens::LastUsedAt))
                    .col(instant_null(db, ApiTokens::RevokedAt))
                    .foreign_key(&mut fk(
                        "fk_api_tokens_created_by",
                        (ApiTokens::Table, ApiTokens::CreatedBy),
                        (Users::Table, Users::Id),
                        ForeignKeyAction::SetNull,
                    ))
                    .take(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(RefreshTokens::Table)
                    .if_not_exists()
                    .col(big_pk_auto(RefreshTokens::Id))
                    .col(integer(RefreshTokens::UserId))
                    .col(string_len(RefreshTokens::FamilyId, 64))
                    .col(string_len(RefreshTokens::TokenHash, 128).unique_key())
                    .col(instant(db, RefreshTokens::CreatedAt))
                    .col(instant(db, RefreshTokens::ExpiresAt))
                    .col(instant_null(db, RefreshTokens::UsedAt))
                    .col(instant_null(db, RefreshTokens::RevokedAt))
                    .foreign_key(&mut fk(
                        "fk_refresh_tokens_user",
                        (RefreshTokens::Table, RefreshTokens::UserId),
                        (Users::Table, Users::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_refresh_tokens_family",
                RefreshTokens::Table,
                &["family_id"],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(BronzeEventData::Table)
                    .if_not_exists()
                    .col(big_pk_auto(BronzeEventData::Id))
                    .col(instant(db, BronzeEventData::Timestamp))
                    .col(instant(db, BronzeEventData::ReceivedAt))
                    .col(string_null(BronzeEventData::Host))
                    .col(string_len_null(BronzeEventData::SourceIp, 45))
                    .col(integer_null(BronzeEventData::SourcePort))
                    .col(string_len_null(BronzeEventData::DestinationIp, 45))
                    .col(integer_null(BronzeEventData::DestinationPort))
                    .col(string_null(BronzeEventData::UserName))
                    .col(string_len_null(BronzeEventData::EventCategory, 64))
                    .col(string_len_null(BronzeEventData::EventAction, 128))
                    .col(string_len_null(BronzeEventData::EventOutcome, 16))
                    .col(string_len_null(BronzeEventData::Level, 16))
                    .col(string_null(BronzeEventData::Process))
                    .col(big_integer_null(BronzeEventData::Pid))
                    .col(long_text(db, BronzeEventData::Message))
                    .col(long_text(db, BronzeEventData::Raw))
                    .col(string_len(BronzeEventData::Parser, 32))
                    .col(string(BronzeEventData::Source))
                    .col(integer(BronzeEventData::Flags).default(0))
                    .col(integer(BronzeEventData::RepeatCount).default(1))
                    .col(json_doc(BronzeEventData::Fields))
                    .take(),
            )
            .await?;
        let events = [
            ("idx_bronze_timestamp", &["timestamp"][..]),
            ("idx_bronze_received_at", &["received_at"][..]),
            ("idx_bronze_source_ip_ts", &["source_ip", "timestamp"][..]),
            ("idx_bronze_host_ts", &["host", "timestamp"][..]),
            ("idx_bronze_user_ts", &["user_name", "timestamp"][..]),
            ("idx_bronze_action_ts", &["event_action", "timestamp"][..]),
            ("idx_bronze_level_ts", &["level", "timestamp"][..]),
        ];
        for (name, cols) in events {
            manager
                .create_index(index(name, BronzeEventData::Table, cols))
                .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(Sources::Table)
                    .if_not_exists()
                    .col(pk_auto(Sources::Id))
                    .col(string_uniq(Sources::Name))
                    .col(string_len(Sources::Kind, 32))
                    .col(json_doc(Sources::Config))
                    .col(boolean(Sources::Enabled).default(true))
                    .col(instant(db, Sources::CreatedAt))
                    .col(instant(db, Sources::UpdatedAt))
                    .take(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Checkpoints::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Checkpoints::Id))
                    .col(integer(Checkpoints::SourceId))
                    .col(string_len(Checkpoints::Fingerprint, 128))
                    .col(text(Checkpoints::Path))
                    .col(big_integer(Checkpoints::Offset).default(0))
                    .col(instant(db, Checkpoints::UpdatedAt))
                    .foreign_key(&mut fk(
                        "fk_checkpoints_source",
                        (Checkpoints::Table, Checkpoints::SourceId),
                        (Sources::Table, Sources::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                index(
                    "idx_checkpoints_source_fingerprint",
                    Checkpoints::Table,
                    &["source_id", "fingerprint"],
                )
                .unique()
                .take(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Rules::Table)
                    .if_not_exists()
                    .col(pk_auto(Rules::Id))
                    .col(string_uniq(Rules::Name))
                    .col(text_null(Rules::Description))
                    .col(string_len(Rules::Kind, 32))
                    .col(string_len(Rules::Severity, 16))
                    .col(json_doc(Rules::Definition))
                    .col(boolean(Rules::Enabled).default(true))
                    .col(integer_null(Rules::CreatedBy))
                    .col(instant(db, Rules::CreatedAt))
                    .col(instant(db, Rules::UpdatedAt))
                    .foreign_key(&mut fk(
                        "fk_rules_created_by",
                        (Rules::Table, Rules::CreatedBy),
                        (Users::Table, Users::Id),
                        ForeignKeyAction::SetNull,
                    ))
                    .take(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Alerts::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Alerts::Id))
                    .col(integer_null(Alerts::RuleId))
                    .col(string(Alerts::Title))
                    .col(string_len(Alerts::Severity, 16))
                    .col(string_len(Alerts::Status, 16))
                    .col(integer_null(Alerts::AssigneeId))
                    .col(string_len(Alerts::DedupKey, 255))
                    .col(big_integer(Alerts::EventCount).default(0))
                    .col(instant(db, Alerts::FirstSeen))
                    .col(instant(db, Alerts::LastSeen))
                    .col(instant(db, Alerts::CreatedAt))
                    .col(instant(db, Alerts::UpdatedAt))
                    .foreign_key(&mut fk(
                        "fk_alerts_rule",
                        (Alerts::Table, Alerts::RuleId),
                        (Rules::Table, Rules::Id),
                        ForeignKeyAction::SetNull,
                    ))
                    .foreign_key(&mut fk(
                        "fk_alerts_assignee",
                        (Alerts::Table, Alerts::AssigneeId),
                        (Users::Table, Users::Id),
                        ForeignKeyAction::SetNull,
                    ))
                    .take(),
            )
            .await?;
        for (name, cols) in [
            ("idx_alerts_status_last_seen", &["status", "last_seen"][..]),
            ("idx_alerts_dedup", &["dedup_key"][..]),
            ("idx_alerts_created_at", &["created_at"][..]),
        ] {
            manager
                .create_index(index(name, Alerts::Table, cols))
                .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(AlertEvidence::Table)
                    .if_not_exists()
                    .col(big_integer(AlertEvidence::AlertId))
                    .col(big_integer(AlertEvidence::EventId))
                    .primary_key(
                        Index::create()
                            .col(AlertEvidence::AlertId)
                            .col(AlertEvidence::EventId),
                    )
                    .foreign_key(&mut fk(
                        "fk_alert_evidence_alert",
                        (AlertEvidence::Table, AlertEvidence::AlertId),
                        (Alerts::Table, Alerts::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_alert_evidence_event",
                        (AlertEvidence::Table, AlertEvidence::EventId),
                        (BronzeEventData::Table, BronzeEventData::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .take(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(AlertComments::Table)
                    .if_not_exists()
                    .col(big_pk_auto(AlertComments::Id))
                    .col(big_integer(AlertComments::AlertId))
                    .col(integer_null(AlertComments::UserId))
                    .col(text(AlertComments::Body))
                    .col(instant(db, AlertComments::CreatedAt))
                    .foreign_key(&mut fk(
                        "fk_alert_comments_alert",
                        (AlertComments::Table, AlertComments::AlertId),
                        (Alerts::Table, Alerts::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_alert_comments_user",
                        (AlertComments::Table, AlertComments::UserId),
                        (Users::Table, Users::Id),
                        ForeignKeyAction::SetNull,
                    ))
                    .take(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Reports::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Reports::Id))
                    .col(string(Reports::Name))
                    .col(string_len(Reports::Kind, 32))
                    .col(string_len(Reports::Format, 8))
                    .col(string_len(Reports::Status, 16))
                    .col(json_doc(Reports::Parameters))
                    .col(integer_null(Reports::OwnerId))
                    .col(text_null(Reports::FilePath))
                    .col(big_integer_null(Reports::SizeBytes))
                    .col(text_null(Reports::Error))
                    .col(instant(db, Reports::CreatedAt))
                    .col(instant_null(db, Reports::FinishedAt))
                    .foreign_key(&mut fk(
                        "fk_reports_owner",
                        (Reports::Table, Reports::OwnerId),
                        (Users::Table, Users::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_reports_owner_created",
                Reports::Table,
                &["owner_id", "created_at"],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(AuditLog::Table)
                    .if_not_exists()
                    .col(big_pk_auto(AuditLog::Id))
                    .col(instant(db, AuditLog::Timestamp))
                    .col(integer_null(AuditLog::ActorId))
                    .col(string_null(AuditLog::ActorName))
                    .col(string_len_null(AuditLog::SourceIp, 45))
                    .col(string_len(AuditLog::Action, 64))
                    .col(string_null(AuditLog::Target))
                    .col(string_len(AuditLog::Outcome, 16))
                    .col(json_doc(AuditLog::Details))
                    .take(),
            )
            .await?;
        for (name, cols) in [
            ("idx_audit_timestamp", &["timestamp"][..]),
            ("idx_audit_actor_ts", &["actor_name", "timestamp"][..]),
            ("idx_audit_action_ts", &["action", "timestamp"][..]),
        ] {
            manager
                .create_index(index(name, AuditLog::Table, cols))
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Children before parents, so foreign keys never block the drop.
        let tables: [DynIden; 15] = [
            AuditLog::Table.into_iden(),
            Reports::Table.into_iden(),
            AlertComments::Table.into_iden(),
            AlertEvidence::Table.into_iden(),
            Alerts::Table.into_iden(),
            Rules::Table.into_iden(),
            Checkpoints::Table.into_iden(),
            Sources::Table.into_iden(),
            BronzeEventData::Table.into_iden(),
            RefreshTokens::Table.into_iden(),
            ApiTokens::Table.into_iden(),
            UserRoles::Table.into_iden(),
            RolePermissions::Table.into_iden(),
            Roles::Table.into_iden(),
            Users::Table.into_iden(),
        ];
        for table in tables {
            manager
                .drop_table(Table::drop().table(table).if_exists().take())
                .await?;
        }
        Ok(())
    }
}
