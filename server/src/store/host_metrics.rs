//! Reading host-metric samples (`event_action` `host_metrics`, see `parse::json`): a numeric
//! field's average per bucket and host, computed by the database. The query names the action
//! and a time range, so it reads only those events through `idx_bronze_action_ts`.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement};

/// The action the JSON parser gives host-metric events.
pub const ACTION: &str = "host_metrics";

/// The average of `fields[key]` (JSON numbers only) per bucket (`bucket` minutes long, from
/// `from`) and host, over the samples in `[from, to)`: `(bucket, host, average)`; a bucket in
/// which a host sent no number for `key` is left out.
pub async fn averages<C: ConnectionTrait>(
    db: &C,
    key: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    bucket: i64,
) -> Result<Vec<(i64, String, f64)>, DbErr> {
    let backend = db.get_database_backend();
    let path = format!("$.\"{key}\"");
    let sql = match backend {
        DbBackend::MySql => {
            "SELECT TIMESTAMPDIFF(MINUTE, ?, `timestamp`) DIV ? AS b, COALESCE(`host`, '') AS h, \
             AVG(CASE WHEN JSON_TYPE(JSON_EXTRACT(`fields`, ?)) IN \
             ('INTEGER', 'UNSIGNED INTEGER', 'DOUBLE', 'DECIMAL') \
             THEN CAST(JSON_EXTRACT(`fields`, ?) AS DOUBLE) END) AS v \
             FROM `bronze_event_data` WHERE `event_action` = ? AND `timestamp` >= ? \
             AND `timestamp` < ? GROUP BY b, h"
        }
        _ => {
            "SELECT (CAST(strftime('%s', \"timestamp\") AS INTEGER) / 60 - ?) / ? AS b, \
             COALESCE(\"host\", '') AS h, \
             AVG(CASE WHEN json_type(\"fields\", ?) IN ('integer', 'real') \
             THEN json_extract(\"fields\", ?) END) AS v \
             FROM \"bronze_event_data\" WHERE \"event_action\" = ? AND \"timestamp\" >= ? \
             AND \"timestamp\" < ? GROUP BY b, h"
        }
    };
    // MariaDB counts minutes from the range's start itself; SQLite from the epoch.
    let start = match backend {
        DbBackend::MySql => sea_orm::Value::from(from),
        _ => sea_orm::Value::from(from.timestamp().div_euclid(60)),
    };
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            sql,
            vec![
                start,
                bucket.into(),
                path.clone().into(),
                path.into(),
                ACTION.into(),
                from.into(),
                to.into(),
            ],
        ))
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        if let Some(v) = r.try_get_by_index::<Option<f64>>(2)? {
            out.push((
                r.try_get_by_index::<i64>(0)?,
                r.try_get_by_index::<String>(1)?,
                v,
            ));
        }
    }
    Ok(out)
}
