//! The built-in roles and the permissions each grants, as they stood when Vigil first shipped.
//! Later changes to the built-in set are new migrations.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

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

const ALL: &[&str] = &[
    "events.read",
    "alerts.read",
    "alerts.triage",
    "rules.read",
    "rules.write",
    "reports.read",
    "reports.create",
    "users.manage",
    "roles.manage",
    "tokens.manage",
    "ingest.write",
    "audit.read",
    "settings.manage",
];

const ROLES: &[(i32, &str, &str, &[&str])] = &[
    (
        1,
        "admin",
        "Full control of Vigil, its users and its settings",
        ALL,
    ),
    (
        2,
        "analyst",
        "Investigates events, triages alerts, writes rules and reports",
        &[
            "events.read",
            "alerts.read",
            "alerts.triage",
            "rules.read",
            "rules.write",
            "reports.read",
            "reports.create",
        ],
    ),
    (
        3,
        "viewer",
        "Reads events, alerts, rules and reports",
        &["events.read", "alerts.read", "rules.read", "reports.read"],
    ),
    (4, "ingest", "Machines that push logs", &["ingest.write"]),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let now = chrono::Utc::now();
        for (id, name, description, permissions) in ROLES {
            let role = Query::insert()
                .into_table(Roles::Table)
                .columns([
                    Roles::Id,
                    Roles::Name,
                    Roles::Description,
                    Roles::Builtin,
                    Roles::CreatedAt,
                    Roles::UpdatedAt,
                ])
                .values_panic([
                    (*id).into(),
                    (*name).into(),
                    (*description).into(),
                    true.into(),
                    now.into(),
                    now.into(),
                ])
                .to_owned();
            manager.exec_stmt(role).await?;
            let mut grants = Query::insert()
                .into_table(RolePermissions::Table)
                .columns([RolePermissions::RoleId, RolePermissions::Permission])
                .to_owned();
            for permission in *permissions {
                grants.values_panic([(*id).into(), (*permission).into()]);
            }
            manager.exec_stmt(grants).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let ids: Vec<i32> = ROLES.iter().map(|r| r.0).collect();
        manager
            .exec_stmt(
                Query::delete()
                    .from_table(Roles::Table)
                    .and_where(Expr::col(Roles::Id).is_in(ids))
                    .to_owned(),
            )
            .await
    }
}
