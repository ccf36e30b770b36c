//! The retention job: finished reports older than `report_retention_days` are deleted with
//! their files.

use chrono::Utc;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect};

use super::Settings;
use crate::store::report as row;

/// Deletes expired reports; answers how many.
pub async fn sweep(db: &DatabaseConnection, settings: &Settings) -> Result<u64, sea_orm::DbErr> {
    let cutoff = Utc::now()
        - chrono::Duration::from_std(settings.retention).unwrap_or(chrono::Duration::days(30));
    let expired: Vec<(i64, Option<String>)> = row::Entity::find()
        .select_only()
        .column(row::Column::Id)
        .column(row::Column::FilePath)
        .filter(row::Column::Status.is_in(["done", "failed"]))
        .filter(row::Column::FinishedAt.lt(cutoff))
        .into_tuple()
        .all(db)
        .await?;
    for (id, file) in &expired {
        row::Entity::delete_by_id(*id).exec(db).await?;
        if let Some(file) = file {
            remove(settings, file);
        }
    }
    if !expired.is_empty() {
        tracing::info!(reports = expired.len(), "expired reports deleted");
    }
    Ok(expired.len() as u64)
}

/// Removes a report file by the name its row holds; names are Vigil's own (`<id>.<ext>`), and
/// anything else is left alone.
pub fn remove(settings: &Settings, file: &str) {
    let safe = !file.is_empty()
        && file.chars().all(|c| c.is_ascii_alphanumeric() || c == '.')
        && !file.starts_with('.');
    if safe {
        let path = settings.dir.join(file);
        if let Err(e) = std::fs::remove_file(&path)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!(file = %path.display(), error = %e, "cannot remove a report file");
        }
    }
}
