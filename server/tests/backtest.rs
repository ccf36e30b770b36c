//! Backtests and hunts, on SQLite and on MariaDB, over a real auth.log (elastic/examples,
//! Apache-2.0, vendored in `fixtures/corpus` with its licence).
//!
//! The log is stored with the SSH brute-force rule disabled and backtested; the same log is
//! stored in a fresh database with the rule enabled. The two must agree alert by alert (group
//! key, first and last seen, count, the raw lines behind the evidence), and both must match the
//! alerts computed from the raw lines with the README's threshold semantics. A hunt then creates
//! those alerts, once however often it runs.

use crate::common;

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use http::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};

use common::TestDb;
use server::ingest::{RawLine, Submission};
use server::parse::ParserKind;
use server::store::{alert, alert_evidence, alert_history, audit_log, bronze_event_data, rule};

backend_suite!(
    a_backtest_finds_what_live_detection_raises_and_a_hunt_creates_it_once,
    bad_backtests_are_refused,
);

const LOG: &str = include_str!("fixtures/corpus/auth/elastic_examples_auth.log");
/// The file has no year; it is read as of this instant, so its lines fall in 2026.
const REFERENCE: &str = "2026-12-01T00:00:00Z";
/// All of the log's lines (27 March to 20 April), and none of the tests' own audit events.
const FROM: &str = "2026-03-01T00:00:00Z";
const TO: &str = "2026-06-01T00:00:00Z";

async fn brute_force_rule(db: &TestDb) -> rule::Model {
    server::detect::builtin::seed(db.state.service().db())
        .await
        .unwrap();
    rule::Entity::find()
        .filter(rule::Column::BuiltinKey.eq("ssh_brute_force"))
        .one(db.state.service().db())
        .await
        .unwrap()
        .expect("the built-in pack has the SSH brute-force rule")
}

async fn ingest_log(db: &TestDb) {
    let source = db
        .state
        .service()
        .ingest()
        .source("corpus", "test", json!({}))
        .await
        .unwrap();
    let reference: DateTime<Utc> = REFERENCE.parse().unwrap();
    let lines: Vec<&str> = LOG.lines().collect();
    for chunk in lines.chunks(700) {
        let raw = chunk
            .iter()
            .map(|l| RawLine::new(l.as_bytes().to_vec(), reference))
            .collect();
        let mut sub = Submission::new(source.clone(), ParserKind::Syslog, raw);
        sub.reference_time = Some(reference);
        db.state
            .service()
            .ingest()
            .submit_and_wait(sub)
            .await
            .unwrap();
    }
}

/// A database of the same backend as `db`, fresh.
async fn fresh_like(db: &TestDb) -> TestDb {
    match db.backend {
        "sqlite" => TestDb::sqlite().await,
        _ => TestDb::mariadb().await,
    }
}

/// The raw lines of stored events, by id.
async fn raw_lines(db: &TestDb, ids: &[i64]) -> Vec<String> {
    let mut rows = bronze_event_data::Entity::find()
        .filter(bronze_event_data::Column::Id.is_in(ids.iter().copied()))
        .order_by_asc(bronze_event_data::Column::Id)
        .all(db.state.service().db())
        .await
        .unwrap();
    assert_eq!(rows.len(), ids.len(), "every evidence id is a stored event");
    rows.sort_by_key(|r| r.id);
    rows.into_iter().map(|r| r.raw).collect()
}

/// POSTs a backtest and polls its job until it is done; answers the finished job.
async fn backtest(db: &TestDb, token: &str, uri: &str, body: Value) -> Value {
    let (status, mut job) = db.json("POST", uri, token, Some(body)).await;
    assert!(
        status == StatusCode::OK || status == StatusCode::ACCEPTED,
        "{status}: {job}"
    );
    let deadline = tokio::time::Instant::now() + Duration::from_secs(300);
    while job["status"] != "done" {
        assert_ne!(job["status"], "failed", "{job}");
        assert!(
            tokio::time::Instant::now() < deadline,
            "the backtest did not finish: {job}"
        );
        assert_ne!(status, StatusCode::OK, "200 means finished: {job}");
        tokio::time::sleep(Duration::from_millis(200)).await;
        let (s, j) = db
            .json(
                "GET",
                &format!("/api/v1/rules/backtests/{}", job["id"].as_str().unwrap()),
                token,
                None,
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{j}");
        job = j;
    }
    job
}

/// What one alert says, for comparing the two paths: first and last seen, count, title and
/// the raw lines of its evidence.
type Summary = (DateTime<Utc>, DateTime<Utc>, u64, String, Vec<String>);

async fn a_backtest_finds_what_live_detection_raises_and_a_hunt_creates_it_once(db: TestDb) {
    let admin = db.token("boss", &["admin"]).await;
    let brute = brute_force_rule(&db).await;
    let (status, _) = db
        .json(
            "POST",
            &format!("/api/v1/rules/{}/disable", brute.id),
            &admin,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    ingest_log(&db).await;
    let raised = alert::Entity::find()
        .filter(alert::Column::RuleId.eq(brute.id))
        .count(db.state.service().db())
        .await
        .unwrap();
    assert_eq!(raised, 0, "the disabled rule raised nothing");

    // The backtest, over the stored log.
    let range = json!({ "from": FROM, "to": TO });
    let job = backtest(
        &db,
        &admin,
        &format!("/api/v1/rules/{}/backtest", brute.id),
        range.clone(),
    )
    .await;
    let stored = bronze_event_data::Entity::find()
        .filter(bronze_event_data::Column::Source.eq("corpus"))
        .count(db.state.service().db())
        .await
        .unwrap();
    assert_eq!(
        job["total"],
        json!(stored),
        "every stored line is in the range"
    );
    assert_eq!(job["scanned"], job["total"]);
    assert_eq!(job["rule_id"], json!(brute.id));
    let found = job["result"]["alerts"].as_array().unwrap().clone();
    assert_eq!(job["result"]["left_out"], 0);
    let mut backtested: BTreeMap<String, Summary> = BTreeMap::new();
    for a in &found {
        let ip = a["group_fields"]["source_ip"].as_str().unwrap().to_string();
        assert_eq!(a["group_key"], format!("source_ip={ip}"));
        let evidence: Vec<i64> = a["evidence"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_i64().unwrap())
            .collect();
        assert_eq!(a["first_event_id"], json!(evidence[0]));
        let summary = (
            a["first_seen"].as_str().unwrap().parse().unwrap(),
            a["last_seen"].as_str().unwrap().parse().unwrap(),
            a["event_count"].as_u64().unwrap(),
            a["title"].as_str().unwrap().to_string(),
            raw_lines(&db, &evidence).await,
        );
        assert!(
            backtested.insert(ip, summary).is_none(),
            "one alert per key"
        );
    }

    // Independently of the engine: the alerts the raw lines call for.
    let want = common::threshold::expected_alerts(&common::auth_log::failures(LOG), 300, 5);
    assert!(
        want.len() >= 10,
        "the log holds many brute-forcing addresses"
    );
    let got: BTreeMap<String, (DateTime<Utc>, u64)> = backtested
        .iter()
        .map(|(ip, s)| (ip.clone(), (s.0, s.2)))
        .collect();
    assert_eq!(got, want);

    // The same log into a fresh database with the rule enabled: the same alerts.
    let live_db = fresh_like(&db).await;
    let live_rule = brute_force_rule(&live_db).await;
    ingest_log(&live_db).await;
    let mut live: BTreeMap<String, Summary> = BTreeMap::new();
    for a in alert::Entity::find()
        .filter(alert::Column::RuleId.eq(live_rule.id))
        .all(live_db.state.service().db())
        .await
        .unwrap()
    {
        let ip = a.group_fields.as_ref().unwrap()["source_ip"]
            .as_str()
            .unwrap()
            .to_string();
        let evidence: Vec<i64> = alert_evidence::Entity::find()
            .filter(alert_evidence::Column::AlertId.eq(a.id))
            .all(live_db.state.service().db())
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.event_id)
            .collect();
        let summary = (
            a.first_seen,
            a.last_seen,
            a.event_count as u64,
            a.title.clone(),
            raw_lines(&live_db, &evidence).await,
        );
        live.insert(ip, summary);
    }
    assert_eq!(backtested, live, "backtest and live detection agree");

    // Hunting where live detection already raised the alerts creates none.
    let live_admin = live_db.token("boss", &["admin"]).await;
    let mut hunt = range.clone();
    hunt["hunt"] = json!(true);
    let again = backtest(
        &live_db,
        &live_admin,
        &format!("/api/v1/rules/{}/backtest", live_rule.id),
        hunt,
    )
    .await;
    assert_eq!(again["result"]["created"], 0, "{again}");
    assert_eq!(again["result"]["existing"], json!(want.len()));
    assert_eq!(
        alert::Entity::find()
            .filter(alert::Column::RuleId.eq(live_rule.id))
            .count(live_db.state.service().db())
            .await
            .unwrap(),
        want.len() as u64
    );

    // An unsaved rule with the same definition finds the same.
    let (status, body) = db
        .json("GET", &format!("/api/v1/rules/{}", brute.id), &admin, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let unsaved = backtest(
        &db,
        &admin,
        "/api/v1/rules/backtest",
        json!({
            "rule": {
                "name": "draft", "kind": "threshold", "severity": "high",
                "definition": body["definition"]
            },
            "from": FROM, "to": TO
        }),
    )
    .await;
    assert_eq!(unsaved["rule_id"], Value::Null);
    let keys = |job: &Value| -> Vec<(String, String, u64)> {
        job["result"]["alerts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| {
                (
                    a["group_key"].as_str().unwrap().to_string(),
                    a["first_seen"].as_str().unwrap().to_string(),
                    a["event_count"].as_u64().unwrap(),
                )
            })
            .collect()
    };
    assert_eq!(keys(&unsaved), keys(&job));
    assert_eq!(
        alert::Entity::find()
            .filter(alert::Column::RuleId.eq(brute.id))
            .count(db.state.service().db())
            .await
            .unwrap(),
        0,
        "a backtest creates no alert"
    );

    // A hunt creates them, as open alerts marked as a hunt's; a second hunt creates none.
    let mut hunt = range.clone();
    hunt["hunt"] = json!(true);
    let uri = format!("/api/v1/rules/{}/backtest", brute.id);
    let first = backtest(&db, &admin, &uri, hunt.clone()).await;
    assert_eq!(first["result"]["created"], json!(want.len()));
    assert_eq!(first["result"]["existing"], 0);
    let second = backtest(&db, &admin, &uri, hunt).await;
    assert_eq!(second["result"]["created"], 0);
    assert_eq!(second["result"]["existing"], json!(want.len()));
    let ids = |job: &Value| -> Vec<i64> {
        job["result"]["alerts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["alert_id"].as_i64().unwrap())
            .collect()
    };
    assert_eq!(
        ids(&first),
        ids(&second),
        "the second hunt found the same alerts"
    );
    let hunted = alert::Entity::find()
        .filter(alert::Column::RuleId.eq(brute.id))
        .all(db.state.service().db())
        .await
        .unwrap();
    assert_eq!(hunted.len(), want.len(), "each alert created once");
    for a in &hunted {
        let ip = a.group_fields.as_ref().unwrap()["source_ip"]
            .as_str()
            .unwrap();
        let (first_seen, count) = want[ip];
        assert_eq!((a.first_seen, a.event_count as u64), (first_seen, count));
        assert_eq!(a.status, "open");
        assert_eq!(
            a.dedup_open, None,
            "a hunted alert collects no live matches"
        );
        let history: Vec<(String, Option<String>)> = alert_history::Entity::find()
            .filter(alert_history::Column::AlertId.eq(a.id))
            .order_by_asc(alert_history::Column::Id)
            .all(db.state.service().db())
            .await
            .unwrap()
            .into_iter()
            .map(|h| (h.action, h.actor_name))
            .collect();
        assert_eq!(
            history,
            vec![
                ("created".to_string(), Some("boss".to_string())),
                ("hunt".to_string(), Some("boss".to_string())),
            ]
        );
    }
    let audited = audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq("rule_hunt"))
        .count(db.state.service().db())
        .await
        .unwrap();
    assert_eq!(audited, 2, "each hunt is audited");
}

async fn bad_backtests_are_refused(db: TestDb) {
    let analyst = db.token("writer", &["analyst"]).await;
    let viewer = db.token("reader", &["viewer"]).await;
    let brute = brute_force_rule(&db).await;
    let saved = format!("/api/v1/rules/{}/backtest", brute.id);
    let draft = |definition: Value, from: &str, to: &str| {
        json!({
            "rule": { "name": "draft", "kind": "threshold", "severity": "high", "definition": definition },
            "from": from, "to": to
        })
    };
    let good = json!({ "query": "event_outcome:failure", "group_by": ["source_ip"], "window_secs": 60, "threshold": 3 });

    // Without rules.write: 403, saved or not.
    let (status, _) = db
        .json(
            "POST",
            &saved,
            &viewer,
            Some(json!({ "from": FROM, "to": TO })),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = db
        .json(
            "POST",
            "/api/v1/rules/backtest",
            &viewer,
            Some(draft(good.clone(), FROM, TO)),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // A bad rule: 422 naming the field.
    let (status, body) = db
        .json(
            "POST",
            "/api/v1/rules/backtest",
            &analyst,
            Some(draft(
                json!({ "query": "event_outcome:(", "window_secs": 60, "threshold": 3 }),
                FROM,
                TO,
            )),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("definition.query"),
        "{body}"
    );
    let (status, _) = db
        .json(
            "POST",
            "/api/v1/rules/backtest",
            &analyst,
            Some(draft(
                json!({ "query": "x", "window_secs": 0, "threshold": 3 }),
                FROM,
                TO,
            )),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    // `from` after (or at) `to`: 422, saved or not.
    let (status, body) = db
        .json(
            "POST",
            &saved,
            &analyst,
            Some(json!({ "from": TO, "to": FROM })),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("from")
    );
    let (status, _) = db
        .json(
            "POST",
            "/api/v1/rules/backtest",
            &analyst,
            Some(draft(good.clone(), FROM, FROM)),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    // An unsaved rule cannot hunt; unknown rules and jobs are 404; a time that is no time 400.
    let mut hunting = draft(good.clone(), FROM, TO);
    hunting["hunt"] = json!(true);
    let (status, _) = db
        .json("POST", "/api/v1/rules/backtest", &analyst, Some(hunting))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = db
        .json(
            "POST",
            "/api/v1/rules/999999/backtest",
            &analyst,
            Some(json!({ "from": FROM, "to": TO })),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = db
        .json("GET", "/api/v1/rules/backtests/nope", &analyst, None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = db
        .json(
            "POST",
            &saved,
            &analyst,
            Some(json!({ "from": "yesterday", "to": TO })),
        )
        .await;
    assert!(status.is_client_error(), "{status}");

    // An empty range is a finished backtest that found nothing; viewers cannot read it.
    let (status, job) = db
        .json(
            "POST",
            &saved,
            &analyst,
            Some(json!({ "from": FROM, "to": TO })),
        )
        .await;
    assert!(
        status == StatusCode::OK || status == StatusCode::ACCEPTED,
        "{job}"
    );
    let (status, _) = db
        .json(
            "GET",
            &format!("/api/v1/rules/backtests/{}", job["id"].as_str().unwrap()),
            &viewer,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
