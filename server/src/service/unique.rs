//! Unique-key violations as conflicts. A check-then-insert can always lose a race to a
//! concurrent insert; the database's unique keys decide, and their violation (SQLite and
//! MariaDB alike) becomes a 409 here instead of a 500.

use sea_orm::{DbErr, SqlErr};

use app::error::AppError;

use super::internal;

/// Whether `err` is a unique-key (or primary-key) violation.
pub(crate) fn is_unique_violation(err: &DbErr) -> bool {
    matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

/// `on_unique(|| AppError::Conflict(..))` on a database result: the conflict when a unique
/// key refused the write, an internal error otherwise.
pub(crate) trait OnUnique<T> {
    fn on_unique(self, conflict: impl FnOnce() -> AppError) -> Result<T, AppError>;
}

impl<T> OnUnique<T> for Result<T, DbErr> {
    fn on_unique(self, conflict: impl FnOnce() -> AppError) -> Result<T, AppError> {
        self.map_err(|e| {
            if is_unique_violation(&e) {
                conflict()
            } else {
                internal(e)
            }
        })
    }
}
