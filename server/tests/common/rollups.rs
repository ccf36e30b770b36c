//! The rollup check shared by the rollup and crash suites: `event_rollups` holds exactly the
//! per-minute counts of the stored events, recomputed here from the events themselves.

use std::collections::BTreeMap;

use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait, Statement};

use server::store::bronze_event_data;

pub type Counts = BTreeMap<(String, i64, String), i64>;

/// The counts the stored events call for: every event once per dimension (a missing value as
/// the empty one), and authentication events with an outcome once more under `login`.
pub async fn from_events(db: &DatabaseConnection) -> Counts {
    let mut out = Counts::new();
    for e in bronze_event_data::Entity::find().all(db).await.unwrap() {
        let secs = e.timestamp.timestamp();
        let minute = (secs - secs.rem_euclid(60)) / 60;
        let mut add = |d: &str, v: &str| *out.entry((d.into(), minute, v.into())).or_insert(0) += 1;
        add("level", e.level.as_deref().unwrap_or(""));
        add("host", e.host.as_deref().unwrap_or(""));
        add("event_action", e.event_action.as_deref().unwrap_or(""));
        add("source_ip", e.source_ip.as_deref().unwrap_or(""));
        add("event_outcome", e.event_outcome.as_deref().unwrap_or(""));
        add("source", &e.source);
        if e.event_category.as_deref() == Some("authentication")
            && let Some(o) = e.event_outcome.as_deref().filter(|o| !o.is_empty())
        {
            add("login", o);
        }
    }
    out
}

/// What `event_rollups` holds.
pub async fn stored(db: &DatabaseConnection) -> Counts {
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT dimension, minute, value, events FROM event_rollups",
        ))
        .await
        .unwrap();
    let mut out = Counts::new();
    for r in rows {
        let key = (
            r.try_get_by_index::<String>(0).unwrap(),
            r.try_get_by_index::<i64>(1).unwrap(),
            r.try_get_by_index::<String>(2).unwrap(),
        );
        let n = r.try_get_by_index::<i64>(3).unwrap();
        assert!(out.insert(key.clone(), n).is_none(), "{key:?} stored twice");
    }
    out
}

/// Fails naming the first difference between the rollups and the events' own counts.
pub async fn assert_match(db: &DatabaseConnection, context: &str) {
    let want = from_events(db).await;
    let have = stored(db).await;
    for (k, n) in &want {
        assert_eq!(have.get(k), Some(n), "{context}: rollup {k:?}");
    }
    for (k, n) in &have {
        assert!(
            want.contains_key(k),
            "{context}: rollup {k:?} = {n} counts no event"
        );
    }
}
