//! Event ids allocated by Vigil from the `id_sequences` counter rather than by the database, so
//! detection knows a batch's ids before the batch is committed and its evidence can name them.
//!
//! A range is reserved in a short transaction of its own, before the batch is evaluated: the
//! ids then stay the same across retries of the batch's commit, so a retried commit cannot
//! make evidence point at the wrong events. A range reserved by a batch that is never stored
//! (the process died) leaves a gap in the ids, which nothing relies on. The `UPDATE` comes
//! first so the transaction takes the write lock at once: SQLite serializes writers and
//! MariaDB locks the counter's row until commit, so concurrent writers (`serve` and `vigil
//! ingest`) always get disjoint ranges.

use sea_orm::{
    ConnectionTrait, DbBackend, DbErr, Statement, TransactionSession, TransactionTrait,
    Value as DbValue,
};

use crate::store::id_sequence::EVENTS;

/// Reserves `n` event ids and returns the first; the range is `first..first + n`.
pub async fn reserve<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    n: usize,
) -> Result<i64, DbErr> {
    let txn = db.begin().await?;
    let first = reserve_in(&txn, n).await?;
    txn.commit().await?;
    Ok(first)
}

/// [`reserve`] inside a transaction the caller owns (and commits).
pub async fn reserve_in(txn: &impl ConnectionTrait, n: usize) -> Result<i64, DbErr> {
    let backend = txn.get_database_backend();
    let n = i64::try_from(n).unwrap_or(i64::MAX);
    let (update, select) = match backend {
        DbBackend::MySql => (
            "UPDATE `id_sequences` SET `value` = `value` + ? WHERE `name` = ?",
            "SELECT `value` FROM `id_sequences` WHERE `name` = ?",
        ),
        _ => (
            "UPDATE \"id_sequences\" SET \"value\" = \"value\" + ? WHERE \"name\" = ?",
            "SELECT \"value\" FROM \"id_sequences\" WHERE \"name\" = ?",
        ),
    };
    let done = txn
        .execute_raw(Statement::from_sql_and_values(
            backend,
            update,
            [DbValue::from(n), DbValue::from(EVENTS)],
        ))
        .await?;
    if done.rows_affected() == 0 {
        return Err(DbErr::RecordNotFound(format!(
            "id_sequences has no row named {EVENTS}"
        )));
    }
    let row = txn
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            select,
            [DbValue::from(EVENTS)],
        ))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(format!("id_sequences has no row named {EVENTS}")))?;
    let last: i64 = row.try_get_by_index(0)?;
    Ok(last - n + 1)
}
