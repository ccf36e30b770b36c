//! Password guessing against Vigil's own sign-in raises an alert like any other attack, on
//! SQLite and on MariaDB through the real router: the audit records of failed sign-ins are
//! evaluated by the built-in "Brute force against Vigil sign-in" rule.

mod common;

use std::net::{IpAddr, SocketAddr};

use axum::body::Body;
use axum::extract::ConnectInfo;
use http::{Request, StatusCode};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use tower::ServiceExt;

use common::TestDb;
use server::store::bronze_event_data;

backend_suite!(
    ten_failed_sign_ins_from_one_address_raise_one_alert,
    nine_failed_sign_ins_raise_none,
);

const RULE: &str = "Brute force against Vigil sign-in";

/// One failed sign-in from `from`. Each attempt names another unknown account, so the
/// throttle (which slows down one account from one address) lets every attempt through.
async fn fail_sign_in(db: &TestDb, from: &str, n: usize) {
    let mut req = Request::post("/api/v1/auth/login")
        .header("content-type", "application/json")
        .body(Body::from(
            json!({ "username": format!("guess{n}"), "password": "wrong guess" }).to_string(),
        ))
        .unwrap();
    let ip: IpAddr = from.parse().unwrap();
    req.extensions_mut()
        .insert(ConnectInfo(SocketAddr::new(ip, 40_000)));
    let res = db.router().oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "attempt {n}");
}

async fn get(db: &TestDb, uri: &str, token: &str) -> Value {
    let (status, _, text) = db.get_with(uri, token).await;
    assert_eq!(status, StatusCode::OK, "{uri}: {text}");
    serde_json::from_str(&text).unwrap()
}

/// Alerts of the rule, through the API.
async fn rule_alerts(db: &TestDb, token: &str) -> Vec<Value> {
    let page = get(db, "/api/v1/alerts?limit=100", token).await;
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["rule_name"] == RULE)
        .cloned()
        .collect()
}

async fn failures_stored_from(db: &TestDb, from: &str) -> Vec<i64> {
    bronze_event_data::Entity::find()
        .filter(bronze_event_data::Column::EventAction.eq("vigil_login"))
        .filter(bronze_event_data::Column::EventOutcome.eq("failure"))
        .filter(bronze_event_data::Column::SourceIp.eq(from))
        .all(&db.state.db)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.id)
        .collect()
}

async fn ten_failed_sign_ins_from_one_address_raise_one_alert(db: TestDb) {
    assert_eq!(
        server::detect::builtin::seed(&db.state.db).await.unwrap(),
        server::detect::builtin::PACK.len()
    );
    let admin = db.token("root", &["admin"]).await;
    let attacker = "198.51.100.7";
    for n in 0..10 {
        fail_sign_in(&db, attacker, n).await;
    }
    // Another address's failures count on their own.
    for n in 10..13 {
        fail_sign_in(&db, "198.51.100.8", n).await;
    }
    let stored = failures_stored_from(&db, attacker).await;
    assert_eq!(stored.len(), 10);

    let alerts = rule_alerts(&db, &admin).await;
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    let alert = &alerts[0];
    assert_eq!(alert["group_key"], format!("source_ip={attacker}"));
    assert_eq!(alert["severity"], "high");
    assert!(
        alert["tags"]
            .as_array()
            .unwrap()
            .contains(&json!("attack.t1110")),
        "{alert}"
    );
    let id = alert["id"].as_i64().unwrap();
    let evidence = get(&db, &format!("/api/v1/alerts/{id}/events"), &admin).await;
    let mut ids: Vec<i64> = evidence
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_i64().unwrap())
        .collect();
    ids.sort_unstable();
    assert_eq!(ids, stored, "{evidence}");
    for e in evidence.as_array().unwrap() {
        assert_eq!(e["event_action"], "vigil_login", "{e}");
        assert_eq!(e["source_ip"], attacker, "{e}");
    }
}

async fn nine_failed_sign_ins_raise_none(db: TestDb) {
    server::detect::builtin::seed(&db.state.db).await.unwrap();
    let admin = db.token("root", &["admin"]).await;
    for n in 0..9 {
        fail_sign_in(&db, "198.51.100.9", n).await;
    }
    assert_eq!(failures_stored_from(&db, "198.51.100.9").await.len(), 9);
    assert_eq!(rule_alerts(&db, &admin).await, Vec::<Value>::new());
}
