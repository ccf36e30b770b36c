//! Sigma import through the router, on SQLite and on MariaDB: the staged SigmaHQ folder
//! imported file by file with one result each, an imported web rule raising an alert for a
//! real access line sent to the logs API (and none for a line it filters out), a bad YAML
//! refused with its reason, and viewers kept out.

use crate::common;

use std::path::{Path, PathBuf};

use axum::body::Body;
use http::{Request, StatusCode};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};

use common::TestDb;
use common::logs::{TEXT, post};
use server::store::audit_log;

backend_suite!(
    staged_folder_imports_and_its_web_rule_raises_alerts,
    bad_yaml_is_refused_with_its_reason,
    builtin_web_rules_are_seeded_once_and_fire,
    value_count_correlation_alerts_for_the_crossing_group_only,
    unevaluated_correlations_stay_disabled_with_their_reason,
);

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/corpus")
}

/// Every `.yml` file under `dir`, sorted.
fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            yaml_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "yml" || e == "yaml") {
            out.push(path);
        }
    }
    out.sort();
}

/// Line `n` (1-based) of a corpus file.
fn line(file: &str, n: usize) -> String {
    let text = std::fs::read_to_string(corpus().join(file)).unwrap();
    text.lines().nth(n - 1).unwrap().to_owned()
}

async fn send(db: &TestDb, token: &str, content_type: &str, body: String) -> (StatusCode, Value) {
    let req = Request::post("/api/v1/rules/import")
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", content_type)
        .body(Body::from(body))
        .unwrap();
    let (status, _, text) = db.send(req).await;
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

async fn alerts(db: &TestDb, token: &str) -> Vec<Value> {
    let (status, page) = common::logs::get(db, "/api/v1/alerts", token).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["items"].as_array().unwrap().clone()
}

async fn staged_folder_imports_and_its_web_rule_raises_alerts(db: TestDb) {
    let analyst = db.token("ana", &["analyst"]).await;
    let viewer = db.token("vic", &["viewer"]).await;
    let shipper = db.token("shipper", &["ingest"]).await;
    let (status, existing) = common::logs::get(&db, "/api/v1/rules", &analyst).await;
    assert_eq!(status, StatusCode::OK);
    let taken: Vec<String> = existing
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap().to_string())
        .collect();

    let root = corpus().join("sigma");
    let mut paths = Vec::new();
    yaml_files(&root, &mut paths);
    assert!(paths.len() > 20, "{}", paths.len());
    let files: Vec<Value> = paths
        .iter()
        .map(|p| {
            json!({
                "name": p.strip_prefix(&root).unwrap().to_string_lossy(),
                "yaml": std::fs::read_to_string(p).unwrap(),
            })
        })
        .collect();

    // A viewer may not import.
    let body = json!({ "files": files }).to_string();
    let (status, _) = send(&db, &viewer, "application/json", body.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let (status, result) = send(&db, &analyst, "application/json", body).await;
    assert_eq!(status, StatusCode::OK, "{result}");
    let results = result["files"].as_array().unwrap();
    assert_eq!(results.len(), paths.len());
    let mut imported = 0;
    let mut legacy = 0;
    for (path, res) in paths.iter().zip(results) {
        // Each SigmaHQ file is one document with one top-level `title:`.
        let text = std::fs::read_to_string(path).unwrap();
        let titles: Vec<&str> = text
            .lines()
            .filter_map(|l| l.strip_prefix("title: "))
            .collect();
        assert_eq!(titles.len(), 1, "{}", path.display());
        let title = titles[0].trim();
        assert_eq!(
            res["file"].as_str().unwrap(),
            path.strip_prefix(&root).unwrap().to_string_lossy()
        );
        let done = res["imported"].as_array().unwrap();
        let refused = res["refused"].as_array().unwrap();
        if taken.iter().any(|t| t == title) {
            assert_eq!(refused.len(), 1, "{res}");
            assert!(
                refused[0]["reason"].as_str().unwrap().contains("exists"),
                "{res}"
            );
            continue;
        }
        assert!(refused.is_empty(), "{res}");
        // A legacy `| count()` condition becomes a base rule and an enabled correlation (both
        // staged ones are counts with `>` over fields Vigil maps). The base rule is stored
        // disabled: a translated correlation does not generate (Sigma `generate: false`).
        if text.contains("| count(") {
            assert_eq!(done.len(), 2, "{res}");
            assert_eq!(
                done[0]["name"],
                format!("{title} (matching events)"),
                "{res}"
            );
            assert_eq!(done[0]["enabled"], false, "{res}");
            assert_eq!(done[1]["name"], title, "{res}");
            assert_eq!(done[1]["enabled"], true, "{res}");
            let warnings = res["warnings"].to_string();
            assert!(warnings.contains("generate: false"), "{res}");
            assert!(!warnings.contains("not evaluated"), "{res}");
            legacy += 1;
        } else {
            assert_eq!(done.len(), 1, "{res}");
            assert_eq!(done[0]["name"], title, "{res}");
            assert_eq!(done[0]["enabled"], true, "{res}");
        }
        imported += done.len();
    }
    let count_files = paths
        .iter()
        .filter(|p| std::fs::read_to_string(p).unwrap().contains("| count("))
        .count();
    assert_eq!(legacy, count_files);
    assert!(legacy > 0);

    let (_, rules) = common::logs::get(&db, "/api/v1/rules?kind=sigma", &analyst).await;
    let sigma_rules = rules.as_array().unwrap();
    let user_rules = sigma_rules
        .iter()
        .filter(|r| r["builtin_key"].is_null())
        .count();
    assert_eq!(user_rules, imported);
    let sqli = sigma_rules
        .iter()
        .find(|r| r["name"] == "SQL Injection Strings In URI")
        .unwrap();
    assert!(sqli["enabled"].as_bool().unwrap());
    assert!(
        sqli["tags"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t.as_str().unwrap().starts_with("attack.")),
        "{sqli}"
    );
    let audited = audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq("rule_create"))
        .count(db.state.service().db())
        .await
        .unwrap();
    assert_eq!(audited as usize, imported);

    // crowdsec sqli probing, line 3: `%20union%20select%20`, answered 404, which the rule
    // filters out; answered 200 it is an injection attempt.
    let logged = line("web/crowdsec_nginx-http-sqli-probing.log", 3);
    assert_eq!(logged.matches("\" 404 ").count(), 1);
    let answered = logged.replacen("\" 404 ", "\" 200 ", 1);
    // The engine reads rules at most once a second: send until the first alert shows.
    let mut tries = 0;
    let alert = loop {
        let (status, summary) = post(
            &db,
            "/api/v1/logs/raw",
            &shipper,
            Some(TEXT),
            answered.clone(),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{summary}");
        let found = alerts(&db, &viewer).await;
        if let Some(a) = found.first() {
            assert_eq!(found.len(), 1, "{found:?}");
            break a.clone();
        }
        tries += 1;
        assert!(tries < 40, "no alert raised");
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    };
    assert_eq!(alert["rule_name"], "SQL Injection Strings In URI");
    assert_eq!(alert["rule_id"], sqli["id"]);
    assert_eq!(alert["severity"], sqli["severity"]);
    let count = alert["event_count"].as_i64().unwrap();
    assert!(count >= 1);

    // The 404 line raises nothing: the one alert stays, its count unchanged.
    let (status, _) = post(&db, "/api/v1/logs/raw", &shipper, Some(TEXT), logged).await;
    assert_eq!(status, StatusCode::OK);
    let after = alerts(&db, &viewer).await;
    assert_eq!(after.len(), 1, "{after:?}");
    assert_eq!(after[0]["event_count"].as_i64().unwrap(), count);

    // Another positive line adds to the open alert (deduplicated by rule and key).
    let (status, _) = post(&db, "/api/v1/logs/raw", &shipper, Some(TEXT), answered).await;
    assert_eq!(status, StatusCode::OK);
    let after = alerts(&db, &viewer).await;
    assert_eq!(after.len(), 1, "{after:?}");
    assert_eq!(after[0]["event_count"].as_i64().unwrap(), count + 1);
}

async fn bad_yaml_is_refused_with_its_reason(db: TestDb) {
    let analyst = db.token("ana", &["analyst"]).await;
    let viewer = db.token("vic", &["viewer"]).await;
    let bad = "title: broken\nlogsource:\n  category: webserver\ndetection: [unclosed\n";
    let (status, body) = send(&db, &analyst, "application/yaml", bad.into()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("invalid YAML"), "{message}");

    let (status, _) = send(&db, &viewer, "application/yaml", bad.into()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Several files: the bad one is refused with its reason, the good one imported.
    let good = std::fs::read_to_string(
        corpus().join("sigma/SigmaHQ-sigma/rules/web/webserver_generic/web_xss_in_access_logs.yml"),
    )
    .unwrap();
    let files = json!({"files": [
        {"name": "bad.yml", "yaml": bad},
        {"name": "xss.yml", "yaml": good},
    ]});
    let (status, result) = send(&db, &analyst, "application/json", files.to_string()).await;
    assert_eq!(status, StatusCode::OK, "{result}");
    let files = result["files"].as_array().unwrap();
    assert_eq!(files.len(), 2);
    assert_eq!(files[0]["file"], "bad.yml");
    assert!(files[0]["imported"].as_array().unwrap().is_empty());
    assert!(
        files[0]["refused"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("invalid YAML"),
        "{result}"
    );
    assert_eq!(files[1]["refused"].as_array().unwrap().len(), 0, "{result}");
    assert_eq!(
        files[1]["imported"].as_array().unwrap().len(),
        1,
        "{result}"
    );

    // A hand-written sigma rule with a bad YAML is refused like any bad definition.
    let (status, body) = common::logs::post(
        &db,
        "/api/v1/rules",
        &analyst,
        Some("application/json"),
        json!({"name": "hand", "kind": "sigma", "severity": "high", "definition": {"yaml": bad}})
            .to_string(),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.starts_with("definition.yaml:"), "{message}");
}

async fn builtin_web_rules_are_seeded_once_and_fire(db: TestDb) {
    let first = server::detect::builtin::seed(db.state.service().db())
        .await
        .unwrap();
    assert_eq!(
        server::detect::builtin::seed(db.state.service().db())
            .await
            .unwrap(),
        0
    );
    assert_eq!(first, server::detect::builtin::PACK.len());
    let viewer = db.token("vic", &["viewer"]).await;
    let shipper = db.token("shipper", &["ingest"]).await;
    let (_, rules) = common::logs::get(&db, "/api/v1/rules?kind=sigma", &viewer).await;
    let mut names: Vec<&str> = rules
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "Cross Site Scripting Strings",
            "Path Traversal Exploitation Attempts",
            "SQL Injection Strings In URI"
        ]
    );

    // crowdsec xss probing, line 11: `a=%3Cscript` answered 404; with the tag closed and
    // answered 200 it is what the rule looks for.
    let logged = line("web/crowdsec_nginx-http-xss-probing.log", 11);
    assert_eq!(logged.matches("\" 404 ").count(), 1);
    assert_eq!(logged.matches("a=%3Cscript ").count(), 1);
    let tag =
        logged
            .replacen("\" 404 ", "\" 200 ", 1)
            .replacen("a=%3Cscript ", "a=%3Cscript%3E ", 1);
    let mut tries = 0;
    let alert = loop {
        let (status, _) = post(&db, "/api/v1/logs/raw", &shipper, Some(TEXT), tag.clone()).await;
        assert_eq!(status, StatusCode::OK);
        if let Some(a) = alerts(&db, &viewer).await.first() {
            break a.clone();
        }
        tries += 1;
        assert!(tries < 40, "no alert raised");
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    };
    assert_eq!(alert["rule_name"], "Cross Site Scripting Strings");
    assert_eq!(alert["severity"], "high");
    assert_eq!(
        alert["tags"],
        json!(["attack.initial-access", "attack.t1189"])
    );
}

/// The staged legacy rule `selection | count(pam_user) by pam_rhost > 3` (timeframe 24h)
/// imports as a base rule (disabled: the translated correlation does not generate) and an
/// enabled `value_count` correlation. Four distinct users failing from one host cross it;
/// three distinct users (one of them twice) from another do not.
async fn value_count_correlation_alerts_for_the_crossing_group_only(db: TestDb) {
    let analyst = db.token("ana", &["analyst"]).await;
    let shipper = db.token("shipper", &["ingest"]).await;
    let file = "SigmaHQ-sigma/unsupported/linux/lnx_auth_susp_failed_logons_single_source.yml";
    let yaml = std::fs::read_to_string(corpus().join("sigma").join(file)).unwrap();
    let body = json!({ "files": [{ "name": file, "yaml": yaml }] }).to_string();
    let (status, result) = send(&db, &analyst, "application/json", body).await;
    assert_eq!(status, StatusCode::OK, "{result}");
    let done = result["files"][0]["imported"].as_array().unwrap().clone();
    assert_eq!(done.len(), 2, "{result}");
    assert_eq!(done[0]["enabled"], false, "{result}");
    assert_eq!(done[1]["enabled"], true, "{result}");
    let base_id = done[0]["id"].clone();
    let corr_id = done[1]["id"].clone();

    // A real PAM failure line (rhost and user), rewritten per host and user.
    let template = line("auth/elastic_examples_auth.log", 3168);
    assert!(template.contains("rhost=24.151.103.17  user=elastic_user_0"));
    let failure = |second: u32, host: &str, user: &str| {
        template
            .replacen("16:01:24", &format!("16:01:{second:02}"), 1)
            .replace("24.151.103.17", host)
            .replace("elastic_user_0", user)
    };

    // Wait until the engine has loaded the imported rules: four distinct users from a probe
    // host cross the correlation there; the disabled base rule raises nothing of its own.
    let probe_key = "source_ip=192.0.2.50";
    let mut tries = 0;
    loop {
        let probe: Vec<String> = (0..4)
            .map(|i| failure(1, "192.0.2.50", &format!("probe{i}")))
            .collect();
        let (status, summary) = post(
            &db,
            "/api/v1/logs/raw",
            &shipper,
            Some(TEXT),
            probe.join("\n"),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{summary}");
        let now = alerts(&db, &analyst).await;
        assert!(!now.iter().any(|a| a["rule_id"] == base_id), "{now:?}");
        if now
            .iter()
            .any(|a| a["rule_id"] == corr_id && a["group_key"] == probe_key)
        {
            break;
        }
        tries += 1;
        assert!(tries < 40, "the correlation raised nothing for the probe");
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }

    let sent = [
        ("203.0.113.9", "alice"),
        ("198.51.100.7", "dave"),
        ("203.0.113.9", "bob"),
        ("198.51.100.7", "erin"),
        ("203.0.113.9", "carol"),
        ("198.51.100.7", "dave"),
        ("198.51.100.7", "frank"),
        ("203.0.113.9", "mallory"),
    ];
    let lines: Vec<String> = sent
        .iter()
        .enumerate()
        .map(|(i, (host, user))| failure(10 + i as u32, host, user))
        .collect();
    // Expected from the lines: hosts with more than 3 distinct users.
    let mut users: std::collections::BTreeMap<&str, std::collections::BTreeSet<&str>> =
        Default::default();
    for (host, user) in sent {
        users.entry(host).or_default().insert(user);
    }
    let crossing: Vec<&str> = users
        .iter()
        .filter(|(_, u)| u.len() > 3)
        .map(|(h, _)| *h)
        .collect();
    assert_eq!(crossing, ["203.0.113.9"]);
    assert_eq!(users["198.51.100.7"].len(), 3);
    let (status, summary) = post(
        &db,
        "/api/v1/logs/raw",
        &shipper,
        Some(TEXT),
        lines.join("\n"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{summary}");

    let mut tries = 0;
    let raised = loop {
        let raised: Vec<Value> = alerts(&db, &analyst)
            .await
            .into_iter()
            .filter(|a| a["rule_id"] == corr_id && a["group_key"] != probe_key)
            .collect();
        if !raised.is_empty() {
            break raised;
        }
        tries += 1;
        assert!(tries < 40, "the correlation raised nothing");
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    };
    assert_eq!(raised.len(), 1, "{raised:?}");
    assert_eq!(
        raised[0]["group_key"], "source_ip=203.0.113.9",
        "{raised:?}"
    );
    assert_eq!(raised[0]["group_fields"]["source_ip"], "203.0.113.9");
    assert_eq!(
        raised[0]["event_count"].as_i64().unwrap() as usize,
        users["203.0.113.9"].len()
    );
}

/// A correlation Vigil does not evaluate (a `lt` condition, a temporal one whose condition
/// asks for fewer or more rules than it lists) is stored
/// disabled with the reason, and enabling it answers 422 with that reason.
async fn unevaluated_correlations_stay_disabled_with_their_reason(db: TestDb) {
    let analyst = db.token("ana", &["analyst"]).await;
    let base = "title: Bad request\nname: bad_request\nlogsource:\n  category: webserver\ndetection:\n  sel:\n    sc-status: 400\n  condition: sel\n";
    let few = format!(
        "{base}---\ntitle: Few bad requests\ncorrelation:\n  type: event_count\n  rules:\n    - bad_request\n  group-by:\n    - c-ip\n  timespan: 10m\n  condition:\n    lt: 3\n"
    );
    let temporal = format!(
        "{base}---\ntitle: Bad then bad\ncorrelation:\n  type: temporal\n  rules:\n    - bad_request\n  group-by:\n    - c-ip\n  timespan: 10m\n  condition:\n    gte: 2\n"
    )
    .replace("title: Bad request", "title: Bad request again");
    let body = json!({ "files": [
        { "name": "few.yml", "yaml": few },
        { "name": "temporal.yml", "yaml": temporal },
    ] })
    .to_string();
    let (status, result) = send(&db, &analyst, "application/json", body).await;
    assert_eq!(status, StatusCode::OK, "{result}");
    for (res, why) in result["files"].as_array().unwrap().iter().zip([
        "only a single `gt` or `gte` condition",
        "every one of the 1 referenced rules",
    ]) {
        let done = res["imported"].as_array().unwrap();
        assert_eq!(done.len(), 2, "{res}");
        assert_eq!(done[0]["enabled"], true, "{res}");
        assert_eq!(done[1]["enabled"], false, "{res}");
        assert!(res["warnings"].to_string().contains(why), "{res}");
        let id = done[1]["id"].as_i64().unwrap();
        let (status, body) = post(
            &db,
            &format!("/api/v1/rules/{id}/enable"),
            &analyst,
            None,
            Body::empty(),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.starts_with("definition.correlation:"), "{body}");
        assert!(message.contains(why), "{body}");
    }
}
