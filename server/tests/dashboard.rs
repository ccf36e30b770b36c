//! The dashboard and the live tail through the router, on SQLite and on MariaDB: the figures
//! for a range equal counts taken from the stored events themselves, refused ranges are said
//! plainly, the server-rendered page shows logged text only as text, and the event stream sends
//! the committed events a query matches.

use crate::common;

use std::time::Duration;

use axum::body::Body;
use chrono::{DateTime, TimeDelta, Utc};
use http::{Request, StatusCode};
use http_body_util::BodyExt;
use sea_orm::EntityTrait;
use serde_json::{Value, json};
use tower::ServiceExt;

use common::TestDb;
use common::logs::{NDJSON, ndjson, post, tokens};
use server::store::bronze_event_data;

backend_suite!(
    figures_equal_counts_of_the_stored_events,
    host_metrics_are_averaged_per_bucket_and_host,
    refused_ranges_are_named_and_pages_show_logged_text_as_text,
    the_stream_sends_committed_events_the_query_matches,
    the_stream_refuses_bad_queries_and_readers_without_events_read,
);

fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

async fn send_events(db: &TestDb, now: DateTime<Utc>) {
    let (shipper, _) = tokens(db).await;
    let at = |minutes: i64| ts(now - TimeDelta::minutes(minutes));
    let events = vec![
        json!({ "@timestamp": at(10), "message": "Failed password", "level": "warning", "host": "web-1",
                "action": "ssh_login", "status": "failure", "source_ip": "198.51.100.7" }),
        json!({ "@timestamp": at(9), "message": "Failed password", "level": "warning", "host": "web-1",
                "action": "ssh_login", "status": "failure", "source_ip": "198.51.100.7" }),
        json!({ "@timestamp": at(8), "message": "Accepted password", "level": "info", "host": "web-2",
                "action": "ssh_login", "status": "success", "source_ip": "192.0.2.10" }),
        json!({ "@timestamp": at(180), "message": "backup failed", "level": "error", "host": "db-1",
                "action": "backup", "source_ip": "198.51.100.7" }),
        json!({ "@timestamp": at(2 * 24 * 60), "message": "old", "level": "info", "host": "db-1",
                "action": "backup" }),
        json!({ "@timestamp": at(5), "message": "<script>alert(1)</script>", "level": "error",
                "host": "<img src=x onerror=alert(1)>", "action": "<script>alert(1)</script>",
                "user": "javascript:alert(1)" }),
    ];
    let (status, body) = post(db, "/api/v1/logs", &shipper, Some(NDJSON), ndjson(&events)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

/// The dashboard as the server function answers it.
async fn dashboard(db: &TestDb, cookies: &str, range: Value) -> Value {
    let req = Request::post("/api/fn/dashboard")
        .header("cookie", cookies)
        .header("content-type", "application/json")
        .header("accept", "application/json")
        .body(Body::from(json!({ "range": range }).to_string()))
        .unwrap();
    let (status, _, body) = db.send(req).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    serde_json::from_str(&body).unwrap()
}

/// Counts over the stored events whose time falls in `[from, to)`.
struct Expected {
    total: u64,
    failed_logins: u64,
    levels: std::collections::BTreeMap<String, u64>,
    sources: std::collections::BTreeSet<String>,
}

async fn expected(db: &TestDb, from: &str, to: &str) -> Expected {
    let from: DateTime<Utc> = from.parse().unwrap();
    let to: DateTime<Utc> = to.parse().unwrap();
    let mut out = Expected {
        total: 0,
        failed_logins: 0,
        levels: Default::default(),
        sources: Default::default(),
    };
    for e in bronze_event_data::Entity::find()
        .all(db.state.service().db())
        .await
        .unwrap()
    {
        if e.timestamp < from || e.timestamp >= to {
            continue;
        }
        out.total += 1;
        if e.event_category.as_deref() == Some("authentication")
            && e.event_outcome.as_deref() == Some("failure")
        {
            out.failed_logins += 1;
        }
        *out.levels.entry(e.level.unwrap_or_default()).or_default() += 1;
        out.sources.insert(e.source);
    }
    out
}

fn series_totals(series: &Value) -> std::collections::BTreeMap<String, u64> {
    series
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let total = s["counts"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c.as_u64().unwrap())
                .sum();
            (s["name"].as_str().unwrap().to_string(), total)
        })
        .collect()
}

async fn figures_equal_counts_of_the_stored_events(db: TestDb) {
    let now = Utc::now();
    send_events(&db, now).await;
    let cookies = db.cookies("dana", &["analyst"]).await;

    for (range, events_sent) in [("1h", 4), ("24h", 5), ("7d", 6)] {
        let d = dashboard(
            &db,
            &cookies,
            json!({ "range": range, "from": "", "to": "" }),
        )
        .await;
        assert_eq!(d["input_error"], Value::Null, "{d}");
        let want = expected(&db, d["from"].as_str().unwrap(), d["to"].as_str().unwrap()).await;
        assert_eq!(
            d["events_total"].as_u64().unwrap(),
            want.total,
            "{range}: {d}"
        );
        // Signing in stored audit events too; the events sent above are all inside.
        assert!(want.total >= events_sent, "{range}");
        assert_eq!(
            d["failed_logins"].as_u64().unwrap(),
            want.failed_logins,
            "{range}"
        );
        assert_eq!(
            d["active_sources"].as_u64().unwrap(),
            want.sources.len() as u64,
            "{range}"
        );
        let mut levels = series_totals(&d["events_by_level"]);
        levels.retain(|_, n| *n > 0);
        assert_eq!(levels, want.levels, "{range}");
        let buckets = d["buckets"].as_array().unwrap().len();
        assert!((15..=60).contains(&buckets), "{range}: {buckets} buckets");
    }

    // Counted by hand from the events sent: within the hour, 198.51.100.7 failed twice.
    let d = dashboard(
        &db,
        &cookies,
        json!({ "range": "1h", "from": "", "to": "" }),
    )
    .await;
    assert_eq!(
        d["top_source_ips"][0],
        json!({ "value": "198.51.100.7", "count": 2 })
    );
    assert_eq!(
        d["top_source_ips"][1],
        json!({ "value": "192.0.2.10", "count": 1 })
    );
    assert!(
        d["top_actions"]
            .as_array()
            .unwrap()
            .contains(&json!({ "value": "ssh_login", "count": 3 }))
    );
    assert_eq!(series_totals(&d["logins"])["failure"], 2);
    // Over 24 hours the backup three hours ago counts too.
    let d = dashboard(
        &db,
        &cookies,
        json!({ "range": "24h", "from": "", "to": "" }),
    )
    .await;
    assert_eq!(
        d["top_source_ips"][0],
        json!({ "value": "198.51.100.7", "count": 3 })
    );
    // A custom range around the two failures alone: it covers whole minutes, up to the end of
    // the minute after the second failure's.
    let to = now - TimeDelta::minutes(9) + TimeDelta::seconds(1);
    let custom = json!({ "range": "", "from": ts(now - TimeDelta::minutes(11)), "to": ts(to) });
    let d = dashboard(&db, &cookies, custom).await;
    assert_eq!(
        d["top_source_ips"],
        json!([{ "value": "198.51.100.7", "count": 2 }]),
        "{d}"
    );
    assert_eq!(d["failed_logins"], 2);
}

/// Host-metric samples in a one-hour custom range (one-minute buckets): CPU and memory are
/// averaged per minute and host over the JSON numbers, a CPU sent as text and a sample at the
/// range's end are left out, and the host with the highest peak comes first.
async fn host_metrics_are_averaged_per_bucket_and_host(db: TestDb) {
    let (shipper, _) = tokens(&db).await;
    // (host, time, CPU, memory percent)
    let samples = [
        ("web-1", "2026-05-01T10:00:10Z", json!(40), json!(70)),
        ("web-1", "2026-05-01T10:00:40Z", json!(60.0), json!(74)),
        ("web-1", "2026-05-01T10:05:00Z", json!("80"), json!(90)),
        ("db-1", "2026-05-01T10:05:30Z", json!(95), json!(50)),
        ("db-1", "2026-05-01T11:00:00Z", json!(10), json!(10)),
    ];
    let events: Vec<Value> = samples
        .iter()
        .map(|(host, at, cpu, memory)| {
            json!({ "timestamp": at, "host": host, "cpu_usage": cpu,
                    "memory_usage": { "used": 1, "total": 2, "percent": memory } })
        })
        .collect();
    let (status, body) = post(&db, "/api/v1/logs", &shipper, Some(NDJSON), ndjson(&events)).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // The expected averages, from the samples: per host, minute of the range and metric.
    let from: DateTime<Utc> = "2026-05-01T10:00:00Z".parse().unwrap();
    let expect = |metric: usize| {
        let mut sums: std::collections::BTreeMap<(&str, usize), (f64, f64)> = Default::default();
        for (host, at, cpu, memory) in &samples {
            let at: DateTime<Utc> = at.parse().unwrap();
            let minute = (at - from).num_minutes();
            let value = [cpu, memory][metric];
            if !(0..60).contains(&minute) || !value.is_number() {
                continue;
            }
            let e = sums.entry((*host, minute as usize)).or_default();
            e.0 += value.as_f64().unwrap();
            e.1 += 1.0;
        }
        let mut hosts: std::collections::BTreeMap<&str, Vec<Value>> = Default::default();
        for ((host, minute), (sum, n)) in sums {
            hosts.entry(host).or_insert_with(|| vec![Value::Null; 60])[minute] = json!(sum / n);
        }
        hosts
    };

    let cookies = db.cookies("dana", &["analyst"]).await;
    let range =
        json!({ "range": "", "from": "2026-05-01T10:00:00Z", "to": "2026-05-01T11:00:00Z" });
    let d = dashboard(&db, &cookies, range).await;
    assert_eq!(d["bucket_minutes"], 1, "{d}");
    for (metric, field, order) in [
        (0, "host_cpu", ["db-1", "web-1"]),
        (1, "host_memory", ["web-1", "db-1"]),
    ] {
        let want = expect(metric);
        let got = d[field].as_array().unwrap();
        let names: Vec<&str> = got.iter().map(|g| g["name"].as_str().unwrap()).collect();
        assert_eq!(names, order, "{field}: {d}");
        for g in got {
            let host = g["name"].as_str().unwrap();
            assert_eq!(
                g["values"].as_array().unwrap(),
                &want[host],
                "{field} of {host}"
            );
        }
    }
    // Spot checks of the arithmetic above: two samples averaged, the text CPU left out.
    assert_eq!(d["host_cpu"][1]["values"][0], json!(50.0));
    assert_eq!(d["host_cpu"][1]["values"][5], Value::Null);
    assert_eq!(d["host_memory"][0]["values"][0], json!(72.0));

    // A range without host metrics has no host charts.
    let range =
        json!({ "range": "", "from": "2026-05-02T10:00:00Z", "to": "2026-05-02T11:00:00Z" });
    let d = dashboard(&db, &cookies, range).await;
    assert_eq!(
        (d["host_cpu"].clone(), d["host_memory"].clone()),
        (json!([]), json!([]))
    );
}

async fn refused_ranges_are_named_and_pages_show_logged_text_as_text(db: TestDb) {
    send_events(&db, Utc::now()).await;
    let cookies = db.cookies("vera", &["viewer"]).await;
    let d = dashboard(
        &db,
        &cookies,
        json!({ "range": "1y", "from": "", "to": "" }),
    )
    .await;
    assert!(
        d["input_error"]
            .as_str()
            .unwrap()
            .contains("\"1y\" is not one of"),
        "{d}"
    );
    let d = dashboard(
        &db,
        &cookies,
        json!({ "range": "", "from": "2026-05-02T00:00", "to": "2026-05-01T00:00" }),
    )
    .await;
    assert!(
        d["input_error"]
            .as_str()
            .unwrap()
            .contains("from must be before to"),
        "{d}"
    );
    let d = dashboard(
        &db,
        &cookies,
        json!({ "range": "", "from": "soon", "to": "" }),
    )
    .await;
    assert!(
        d["input_error"].as_str().unwrap().contains("invalid from"),
        "{d}"
    );

    let (status, _, page) = db.get_page("/?range=1h", &cookies).await;
    assert_eq!(status, StatusCode::OK);
    for figure in [
        "Events in range",
        "Failed logins",
        "Active sources",
        "Open alerts",
        "Top source addresses",
    ] {
        assert!(page.contains(figure), "{figure}: {page}");
    }
    assert!(
        page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{page}"
    );
    assert!(!page.contains("<script>alert(1)"), "{page}");
    assert!(!page.contains("<img src=x"), "{page}");
    assert!(!page.contains("href=\"javascript:"), "{page}");
    // A top value links to the events browser over the dashboard's range.
    assert!(
        page.contains("href=\"/events?q=source_ip%3A%22198.51.100.7%22&amp;from="),
        "{page}"
    );
    assert!(page.contains("class=\"chart stacked-chart\""), "{page}");
    // Bars link to the browser narrowed to their value and minute.
    assert!(
        page.contains("<a href=\"/events?q=level%3A%22warning%22&amp;from="),
        "{page}"
    );
    let (_, _, page) = db.get_page("/?range=1y", &cookies).await;
    assert!(page.contains("is not one of 15m, 1h, 24h, 7d"), "{page}");
}

/// The next `event` of an SSE body, skipping comments and other events.
async fn next_event(body: &mut Body, buffer: &mut String) -> Option<(String, String)> {
    loop {
        if let Some(end) = buffer.find("\n\n") {
            let block: String = buffer.drain(..end + 2).collect();
            let mut name = String::new();
            let mut data = String::new();
            for line in block.lines() {
                if let Some(v) = line.strip_prefix("event: ") {
                    name = v.to_string();
                } else if let Some(v) = line.strip_prefix("data: ") {
                    data.push_str(v);
                }
            }
            if !name.is_empty() {
                return Some((name, data));
            }
            continue;
        }
        let frame = tokio::time::timeout(Duration::from_secs(20), body.frame())
            .await
            .ok()??
            .ok()?;
        if let Ok(bytes) = frame.into_data() {
            buffer.push_str(&String::from_utf8_lossy(&bytes));
        }
    }
}

async fn the_stream_sends_committed_events_the_query_matches(db: TestDb) {
    let (shipper, reader) = tokens(&db).await;
    let res = db
        .router()
        .oneshot(
            Request::get("/api/v1/logs/stream?q=host:web-9%20AND%20level:error")
                .header("authorization", format!("Bearer {reader}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "text/event-stream");
    let mut body = res.into_body();
    let events = [
        json!({ "message": "not this host", "host": "web-8", "level": "error" }),
        json!({ "message": "<script>alert(1)</script>", "host": "web-9", "level": "error" }),
        json!({ "message": "not this level", "host": "web-9", "level": "info" }),
        json!({ "message": "second match", "host": "web-9", "level": "error" }),
    ];
    let (status, _) = post(&db, "/api/v1/logs", &shipper, Some(NDJSON), ndjson(&events)).await;
    assert_eq!(status, StatusCode::OK);
    let mut buffer = String::new();
    let mut got = Vec::new();
    for _ in 0..2 {
        let (name, data) = next_event(&mut body, &mut buffer).await.expect("an event");
        assert_eq!(name, "event");
        let event: Value = serde_json::from_str(&data).unwrap();
        got.push(event["message"].as_str().unwrap().to_string());
        // The streamed event is the stored one.
        let id = event["id"].as_i64().unwrap();
        let (status, stored) = common::logs::get(&db, &format!("/api/v1/logs/{id}"), &reader).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(micros(stored), micros(event));
    }
    assert_eq!(got, ["<script>alert(1)</script>", "second match"]);
}

/// The event with its instants cut to microseconds, which is what MariaDB keeps.
fn micros(mut event: Value) -> Value {
    for key in ["timestamp", "received_at"] {
        let t: DateTime<Utc> = event[key].as_str().unwrap().parse().unwrap();
        let cut = t.timestamp_micros();
        event[key] = json!(DateTime::from_timestamp_micros(cut).unwrap());
    }
    event
}

async fn the_stream_refuses_bad_queries_and_readers_without_events_read(db: TestDb) {
    let (shipper, reader) = tokens(&db).await;
    let (status, _, body) = db
        .get_with("/api/v1/logs/stream?q=host:a%20AND%20(b", &reader)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // As the search API says it: the position counts from 0.
    assert!(body.contains("invalid q: unclosed '(' at 11"), "{body}");
    let (status, _, body) = db.get_with("/api/v1/logs/stream?query=x", &reader).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("query"), "{body}");
    let (status, _, _) = db.get_with("/api/v1/logs/stream", &shipper).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = db.get("/api/v1/logs/stream").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}
