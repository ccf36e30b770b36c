//! Reports as background jobs: a report row gains its progress, when its run started and the
//! schedule that queued it; `report_schedules` holds recurring reports over a relative range,
//! optionally e-mailed through a notification channel. Admins get the new `reports.read_all`.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{boolean, integer, integer_null, pk_auto, string, string_len};

use crate::column::{instant, instant_null, json_doc};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Reports {
    Table,
    Progress,
    StartedAt,
    ScheduleId,
}

#[derive(DeriveIden)]
enum ReportSchedules {
    Table,
    Id,
    Name,
    OwnerId,
    Kind,
    Format,
    Parameters,
    RangeSecs,
    Cron,
    ChannelId,
    Enabled,
    LastRunAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum NotificationChannels {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum RolePermissions {
    Table,
    RoleId,
    Permission,
}

/// The built-in admin role's id (seeded by the first roles migration).
const ADMIN_ROLE: i32 = 1;
const READ_ALL: &str = "reports.read_all";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_database_backend();
        // SQLite adds one column per statement.
        for column in [
            integer(Reports::Progress).default(0).take(),
            instant_null(db, Reports::StartedAt),
            integer_null(Reports::ScheduleId),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Reports::Table)
                        .add_column(column)
                        .take(),
                )
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("idx_reports_status")
                    .table(Reports::Table)
                    .col(Alias::new("status"))
                    .if_not_exists()
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ReportSchedules::Table)
                    .if_not_exists()
                    .col(pk_auto(ReportSchedules::Id))
                    .col(string(ReportSchedules::Name))
                    .col(integer(ReportSchedules::OwnerId))
                    .col(string_len(ReportSchedules::Kind, 32))
                    .col(string_len(ReportSchedules::Format, 8))
                    .col(json_doc(ReportSchedules::Parameters))
                    .col(
                        ColumnDef::new(ReportSchedules::RangeSecs)
                            .big_integer()
                            .not_null(),
                    )
                    .col(string_len(ReportSchedules::Cron, 128))
                    .col(integer_null(ReportSchedules::ChannelId))
                    .col(boolean(ReportSchedules::Enabled))
                    .col(instant_null(db, ReportSchedules::LastRunAt))
                    .col(instant(db, ReportSchedules::CreatedAt))
                    .col(instant(db, ReportSchedules::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_report_schedules_owner")
                            .from(ReportSchedules::Table, ReportSchedules::OwnerId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_report_schedules_channel")
                            .from(ReportSchedules::Table, ReportSchedules::ChannelId)
                            .to(NotificationChannels::Table, NotificationChannels::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .take(),
            )
            .await?;
        manager
            .exec_stmt(
                Query::insert()
                    .into_table(RolePermissions::Table)
                    .columns([RolePermissions::RoleId, RolePermissions::Permission])
                    .values_panic([ADMIN_ROLE.into(), READ_ALL.into()])
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .exec_stmt(
                Query::delete()
                    .from_table(RolePermissions::Table)
                    .and_where(Expr::col(RolePermissions::Permission).eq(READ_ALL))
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(ReportSchedules::Table).to_owned())
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("idx_reports_status")
                    .table(Reports::Table)
                    .to_owned(),
            )
            .await?;
        for column in [Reports::Progress, Reports::StartedAt, Reports::ScheduleId] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Reports::Table)
                        .drop_column(column)
                        .take(),
                )
                .await?;
        }
        Ok(())
    }
}
