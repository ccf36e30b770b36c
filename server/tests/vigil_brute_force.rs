//! Password guessing against Vigil's own sign-in raises an alert like any other attack, on
//! SQLite and on MariaDB through the real router: the audit records of failed sign-ins are
//! evaluated by the built-in "Brute force against Vigil sign-in" rule. Every other audit record
//! (administration, denied permissions) reaches detection the same way.

use crate::common;

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
    administration_and_denials_reach_detection,
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
        .all(db.state.service().db())
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.id)
        .collect()
}

async fn ten_failed_sign_ins_from_one_address_raise_one_alert(db: TestDb) {
    assert_eq!(
        server::detect::builtin::seed(db.state.service().db())
            .await
            .unwrap(),
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
    server::detect::builtin::seed(db.state.service().db())
        .await
        .unwrap();
    let admin = db.token("root", &["admin"]).await;
    for n in 0..9 {
        fail_sign_in(&db, "198.51.100.9", n).await;
    }
    assert_eq!(failures_stored_from(&db, "198.51.100.9").await.len(), 9);
    assert_eq!(rule_alerts(&db, &admin).await, Vec::<Value>::new());
}

/// Creates a match rule on audit events of `action`, grouped by the acting user.
async fn audit_rule(db: &TestDb, token: &str, name: &str, action: &str) {
    let (status, body) = db
        .json(
            "POST",
            "/api/v1/rules",
            token,
            Some(json!({
                "name": name, "kind": "match", "severity": "medium",
                "definition": {"query": format!("source:vigil AND event_action:vigil_{action}"),
                               "group_by": ["user_name"], "title": "{user_name} did it"},
            })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

/// The alerts of rule `name`, through the API.
async fn alerts_of(db: &TestDb, token: &str, name: &str) -> Vec<Value> {
    let page = get(db, "/api/v1/alerts?limit=100", token).await;
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["rule_name"] == name)
        .cloned()
        .collect()
}

async fn administration_and_denials_reach_detection(db: TestDb) {
    let admin = db.token("root", &["admin"]).await;
    let viewer = db.token("vic", &["viewer"]).await;
    audit_rule(&db, &admin, "Roles created", "role_create").await;
    audit_rule(&db, &admin, "Denied", "permission_denied").await;
    // The engine reads rules at most once a second: act until the first alert shows.
    let mut n = 0;
    while alerts_of(&db, &admin, "Roles created").await.is_empty() {
        let (status, body) = db
            .json(
                "POST",
                "/api/v1/accounts/roles",
                &admin,
                Some(json!({"name": format!("role{n}"), "permissions": ["events.read"]})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        n += 1;
        assert!(n < 40, "no alert for role creation");
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    let (status, _) = db
        .json("GET", "/api/v1/accounts/users", &viewer, None)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let created = alerts_of(&db, &admin, "Roles created").await;
    assert_eq!(created.len(), 1, "{created:?}");
    assert_eq!(created[0]["title"], "root did it");
    let id = created[0]["id"].as_i64().unwrap();
    let evidence = get(&db, &format!("/api/v1/alerts/{id}/events"), &admin).await;
    let evidence = evidence.as_array().unwrap();
    assert!(!evidence.is_empty());
    for event in evidence {
        assert_eq!(event["event_action"], "vigil_role_create", "{event}");
        assert_eq!(event["source"], "vigil", "{event}");
    }
    // The rule was loaded before the denial happened, so the denial is evaluated at once.
    let denied = alerts_of(&db, &admin, "Denied").await;
    assert_eq!(denied.len(), 1, "{denied:?}");
    assert_eq!(denied[0]["title"], "vic did it");
    assert_eq!(denied[0]["event_count"], 1);
}
