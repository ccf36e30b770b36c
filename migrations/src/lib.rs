//! Vigil's schema history: one migration per file, run at start-up on SQLite and MariaDB alike.
//!
//! Landed migrations are never edited; a change to the schema is a new file.

pub use sea_orm_migration::prelude::*;

mod column;
mod m20261121_000001_create_initial_schema;
mod m20261121_000002_seed_builtin_roles;
mod m20261201_000001_create_detection;
mod m20261207_000001_create_notifications;
mod m20261207_000010_alerts_hunt_key;
mod m20261207_000100_create_report_jobs;
mod m20261207_000200_create_event_rollups;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261121_000001_create_initial_schema::Migration),
            Box::new(m20261121_000002_seed_builtin_roles::Migration),
            Box::new(m20261201_000001_create_detection::Migration),
            Box::new(m20261207_000001_create_notifications::Migration),
            Box::new(m20261207_000010_alerts_hunt_key::Migration),
            Box::new(m20261207_000100_create_report_jobs::Migration),
            Box::new(m20261207_000200_create_event_rollups::Migration),
        ]
    }
}
