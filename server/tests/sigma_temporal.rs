//! Sigma `temporal` and `temporal_ordered` correlations imported through the router and fed
//! real sshd lines through the logs API, on SQLite and on MariaDB: which addresses alert
//! follows from the lines' times and the README's semantics.

use crate::common;

use axum::body::Body;
use http::{Request, StatusCode};
use serde_json::{Value, json};

use common::TestDb;
use common::logs::{TEXT, post};

backend_suite!(temporal_correlations_alert_for_the_addresses_whose_lines_fit,);

/// Two base rules (a failed and an accepted SSH password) and two correlations over them,
/// grouped by the client address, 5 minutes. One correlation says `generate: true`, so the
/// base rules raise alerts of their own too (and stay enabled).
const YAML: &str = "title: SSH password failed
name: ssh_failed
logsource:
  product: linux
  service: sshd
detection:
  keywords:
    - 'Failed password'
  condition: keywords
---
title: SSH password accepted
name: ssh_accepted
logsource:
  product: linux
  service: sshd
detection:
  keywords:
    - 'Accepted password'
  condition: keywords
---
title: Failure and success from one address
generate: true
correlation:
  type: temporal
  rules:
    - ssh_failed
    - ssh_accepted
  group-by:
    - clientip
  timespan: 5m
---
title: Success after failure from one address
correlation:
  type: temporal_ordered
  rules:
    - ssh_failed
    - ssh_accepted
  group-by:
    - clientip
  timespan: 5m
";

fn sshd(time: &str, what: &str, ip: &str) -> String {
    format!(
        "Mar 29 {time} ip-10-77-20-248 sshd[1193]: {what} password for elastic_user_7 from {ip} port 52942 ssh2"
    )
}

async fn alerts(db: &TestDb, token: &str) -> Vec<Value> {
    let (status, page) = common::logs::get(db, "/api/v1/alerts", token).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["items"].as_array().unwrap().clone()
}

async fn temporal_correlations_alert_for_the_addresses_whose_lines_fit(db: TestDb) {
    let analyst = db.token("ana", &["analyst"]).await;
    let shipper = db.token("shipper", &["ingest"]).await;
    let req = Request::post("/api/v1/rules/import")
        .header("authorization", format!("Bearer {analyst}"))
        .header("content-type", "application/yaml")
        .body(Body::from(YAML))
        .unwrap();
    let (status, _, text) = db.send(req).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    let result: Value = serde_json::from_str(&text).unwrap();
    let done = result["files"][0]["imported"].as_array().unwrap().clone();
    let names: Vec<&str> = done.iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        [
            "SSH password failed",
            "SSH password accepted",
            "Failure and success from one address",
            "Success after failure from one address"
        ],
        "{result}"
    );
    assert!(done.iter().all(|r| r["enabled"] == true), "{result}");
    assert_eq!(result["files"][0]["refused"], json!([]), "{result}");
    let failed_id = done[0]["id"].clone();
    let any_order = done[2]["id"].clone();
    let ordered = done[3]["id"].clone();

    // Wait until the engine has the rules: a probe failure raises the base rule's alert (one
    // rule only, so neither correlation).
    let mut tries = 0;
    loop {
        let probe = sshd("09:00:00", "Failed", "192.0.2.50");
        let (status, summary) = post(&db, "/api/v1/logs/raw", &shipper, Some(TEXT), probe).await;
        assert_eq!(status, StatusCode::OK, "{summary}");
        if alerts(&db, &analyst)
            .await
            .iter()
            .any(|a| a["rule_id"] == failed_id)
        {
            break;
        }
        tries += 1;
        assert!(tries < 40, "the base rule raised nothing");
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }

    let lines = [
        // 203.0.113.9: success at 10:00:00, failure 60 s later: both within 5 min, wrong order.
        sshd("10:00:00", "Accepted", "203.0.113.9"),
        sshd("10:01:00", "Failed", "203.0.113.9"),
        // 198.51.100.7: failure, then success 110 s later: both correlations.
        sshd("10:00:10", "Failed", "198.51.100.7"),
        sshd("10:02:00", "Accepted", "198.51.100.7"),
        // 192.0.2.33: failure, then success 340 s later, past 5 min: neither.
        sshd("10:00:20", "Failed", "192.0.2.33"),
        sshd("10:06:00", "Accepted", "192.0.2.33"),
        // 198.51.100.200: exactly 300 s apart, in order: both (the window's ends are included).
        sshd("10:10:00", "Failed", "198.51.100.200"),
        sshd("10:15:00", "Accepted", "198.51.100.200"),
    ];
    let (status, summary) = post(
        &db,
        "/api/v1/logs/raw",
        &shipper,
        Some(TEXT),
        lines.join("\n"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{summary}");

    let keys = |all: &[Value], rule: &Value| -> Vec<String> {
        let mut k: Vec<String> = all
            .iter()
            .filter(|a| &a["rule_id"] == rule)
            .map(|a| a["group_key"].as_str().unwrap().to_string())
            .collect();
        k.sort();
        k
    };
    let mut tries = 0;
    let all = loop {
        let all = alerts(&db, &analyst).await;
        if keys(&all, &any_order).len() >= 3 && keys(&all, &ordered).len() >= 2 {
            break all;
        }
        tries += 1;
        assert!(tries < 40, "the correlations did not raise: {all:?}");
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    };
    assert_eq!(
        keys(&all, &any_order),
        [
            "source_ip=198.51.100.200",
            "source_ip=198.51.100.7",
            "source_ip=203.0.113.9"
        ]
    );
    assert_eq!(
        keys(&all, &ordered),
        ["source_ip=198.51.100.200", "source_ip=198.51.100.7"]
    );
    // Each alert holds one failure and one success.
    for a in all
        .iter()
        .filter(|a| a["rule_id"] == any_order || a["rule_id"] == ordered)
    {
        assert_eq!(a["event_count"], 2, "{a}");
    }
}
