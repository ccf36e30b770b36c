//! Detection through the real pipeline, on SQLite and on MariaDB: events submitted to the
//! ingest handle raise alerts in the same transaction, with evidence pointing at the stored
//! events, deduplicated per rule and group key, and rules picked up without a restart.

use crate::common;

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde_json::json;

use common::TestDb;
use server::ingest::{RawLine, Submission};
use server::parse::ParserKind;
use server::store::{alert, alert_evidence, alert_history, bronze_event_data, id_sequence, rule};

backend_suite!(
    threshold_alert_carries_its_events_once,
    match_alerts_dedup_while_open,
    rules_take_effect_without_a_restart,
    a_deleted_builtin_rule_is_not_seeded_again,
);

/// Inserts an enabled rule.
pub async fn add_rule(
    db: &TestDb,
    name: &str,
    kind: &str,
    definition: serde_json::Value,
) -> rule::Model {
    rule::ActiveModel {
        name: Set(name.into()),
        kind: Set(kind.into()),
        severity: Set("high".into()),
        definition: Set(definition),
        enabled: Set(true),
        created_at: Set(Utc::now()),
        updated_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db.state.service().db())
    .await
    .unwrap()
}

/// Submits syslog lines and waits until they are stored.
pub async fn submit(db: &TestDb, lines: &[String]) {
    let source = db
        .state
        .service()
        .ingest()
        .source("detection-test", "test", json!({}))
        .await
        .unwrap();
    let now = Utc::now();
    let lines = lines
        .iter()
        .map(|l| RawLine::new(l.clone().into_bytes(), now))
        .collect();
    db.state
        .service()
        .ingest()
        .submit_and_wait(Submission::new(source, ParserKind::Syslog, lines))
        .await
        .unwrap();
}

fn failed(ip: &str, second: u32) -> String {
    format!(
        "Dec  1 10:{:02}:{:02} bastion sshd[4242]: Failed password for root from {ip} port 40022 ssh2",
        second / 60,
        second % 60
    )
}

async fn alerts(db: &TestDb) -> Vec<alert::Model> {
    alert::Entity::find()
        .order_by_asc(alert::Column::Id)
        .all(db.state.service().db())
        .await
        .unwrap()
}

/// Six failures from one address within five minutes and four from another, against "at least
/// five within 300 s": one alert, for the first address, with all six events as evidence.
async fn threshold_alert_carries_its_events_once(db: TestDb) {
    add_rule(
        &db,
        "ssh brute force",
        "threshold",
        json!({
            "query": "event_action:ssh_login event_outcome:failure",
            "group_by": ["source_ip"],
            "window_secs": 300,
            "threshold": 5,
            "title": "SSH brute force from {source_ip}",
        }),
    )
    .await;
    let a = "203.0.113.9";
    let b = "198.51.100.20";
    submit(
        &db,
        &[failed(a, 0), failed(a, 30), failed(b, 31), failed(a, 60)],
    )
    .await;
    submit(&db, &[failed(b, 90), failed(a, 120), failed(b, 150)]).await;
    assert!(alerts(&db).await.is_empty(), "four failures are not five");
    submit(&db, &[failed(a, 299), failed(b, 200), failed(a, 300)]).await;

    let found = alerts(&db).await;
    assert_eq!(found.len(), 1, "{found:?}");
    let alert = &found[0];
    assert_eq!(alert.title, "SSH brute force from 203.0.113.9");
    assert_eq!(alert.event_count, 6);
    assert_eq!(alert.status, "open");
    assert_eq!(alert.dedup_open.as_deref(), Some("source_ip=203.0.113.9"));
    assert_eq!(alert.group_fields, Some(json!({"source_ip": a})));
    assert_eq!(alert.evidence_count, 6);

    let evidence: Vec<i64> = alert_evidence::Entity::find()
        .filter(alert_evidence::Column::AlertId.eq(alert.id))
        .all(db.state.service().db())
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.event_id)
        .collect();
    let events = bronze_event_data::Entity::find()
        .filter(bronze_event_data::Column::Id.is_in(evidence.clone()))
        .all(db.state.service().db())
        .await
        .unwrap();
    assert_eq!(events.len(), 6, "evidence names stored events");
    assert!(
        events.iter().all(|e| e.source_ip.as_deref() == Some(a)),
        "{events:?}"
    );
    let history = alert_history::Entity::find()
        .filter(alert_history::Column::AlertId.eq(alert.id))
        .all(db.state.service().db())
        .await
        .unwrap();
    assert_eq!(history[0].action, "created");

    // Event ids come from the counter, which names the last id handed out.
    let counter = id_sequence::Entity::find_by_id(id_sequence::EVENTS)
        .one(db.state.service().db())
        .await
        .unwrap()
        .unwrap();
    let max = bronze_event_data::Entity::find()
        .order_by_desc(bronze_event_data::Column::Id)
        .one(db.state.service().db())
        .await
        .unwrap()
        .unwrap();
    assert!(counter.value >= max.id, "{} < {}", counter.value, max.id);
}

/// A match rule raises one alert per key and adds later matches to it while it is open; once
/// resolved, the next match opens a new alert.
async fn match_alerts_dedup_while_open(db: TestDb) {
    add_rule(
        &db,
        "invalid user",
        "match",
        json!({"query": "event_action:ssh_invalid_user", "group_by": ["source_ip"]}),
    )
    .await;
    let line = |s: u32| {
        format!("Dec  1 11:00:{s:02} bastion sshd[7]: Invalid user admin from 192.0.2.44 port 5000")
    };
    submit(&db, &[line(1)]).await;
    submit(&db, &[line(2), line(3)]).await;
    let found = alerts(&db).await;
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].event_count, 3);
    assert_eq!(found[0].title, "invalid user: 192.0.2.44");

    db.state
        .service()
        .db()
        .execute_unprepared(&format!(
            "UPDATE alerts SET status = 'resolved', dedup_open = NULL WHERE id = {}",
            found[0].id
        ))
        .await
        .unwrap();
    submit(&db, &[line(4)]).await;
    let found = alerts(&db).await;
    assert_eq!(found.len(), 2, "{found:?}");
    assert_eq!(found[1].event_count, 1);
}

/// A rule written while the pipeline runs applies to events stored a moment later.
async fn rules_take_effect_without_a_restart(db: TestDb) {
    submit(&db, &[failed("192.0.2.80", 0)]).await;
    add_rule(
        &db,
        "any failure",
        "match",
        json!({"query": "event_outcome:failure"}),
    )
    .await;
    // The engine reads the rules at most once a second: keep sending until it has.
    for second in 1..40 {
        submit(&db, &[failed("192.0.2.80", second)]).await;
        if !alerts(&db).await.is_empty() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    panic!("the new rule never applied");
}

/// The built-in pack is created once; a deleted built-in rule stays deleted and an edited one
/// keeps its edit when Vigil starts again.
async fn a_deleted_builtin_rule_is_not_seeded_again(db: TestDb) {
    use server::detect::builtin::{PACK, seed};
    assert_eq!(seed(db.state.service().db()).await.unwrap(), PACK.len());
    let all = rule::Entity::find()
        .all(db.state.service().db())
        .await
        .unwrap();
    assert_eq!(all.len(), PACK.len());
    let brute = all
        .iter()
        .find(|r| r.builtin_key.as_deref() == Some("ssh_brute_force"))
        .unwrap();
    rule::Entity::delete_by_id(brute.id)
        .exec(db.state.service().db())
        .await
        .unwrap();
    let web = all
        .iter()
        .find(|r| r.builtin_key.as_deref() == Some("web_scanning"))
        .unwrap();
    let mut edited: rule::ActiveModel = web.clone().into();
    edited.enabled = Set(false);
    edited.update(db.state.service().db()).await.unwrap();

    assert_eq!(seed(db.state.service().db()).await.unwrap(), 0);
    let again = rule::Entity::find()
        .all(db.state.service().db())
        .await
        .unwrap();
    assert_eq!(again.len(), PACK.len() - 1);
    assert!(
        again
            .iter()
            .all(|r| r.builtin_key.as_deref() != Some("ssh_brute_force"))
    );
    let web = again.iter().find(|r| r.id == web.id).unwrap();
    assert!(!web.enabled, "the edit is kept");
}
