//! Reports through the REST API on SQLite and MariaDB: generated in the background, CSV safe
//! against formulas, JSON and NDJSON with the right counts, visible only to their owner (and
//! holders of `reports.read_all`), audited, and refused with a reason when the request is bad;
//! the Reports page creates and deletes them with plain form posts.

use crate::common;

use chrono::{Duration, Utc};
use http::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use common::TestDb;
use common::reports::{Ev, create_and_wait, download, store};
use server::store::audit_log;

backend_suite!(
    csv_defuses_every_dangerous_first_character,
    reports_are_generated_downloaded_and_deleted,
    another_users_report_does_not_exist,
    summary_and_authentication_count_what_was_stored,
    bad_requests_name_the_problem,
    the_page_lists_reports_with_plain_download_links,
    the_page_creates_and_deletes_reports_with_plain_form_posts,
);

/// RFC 4180 records, read plainly: quoted cells may hold commas, quotes and line breaks.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut cell = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                cell.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => cell.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut cell)),
            (false, '\r') if chars.peek() == Some(&'\n') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut cell));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => cell.push(c),
        }
    }
    rows
}

async fn csv_defuses_every_dangerous_first_character(db: TestDb) {
    let token = db.token("ana", &["analyst"]).await;
    let now = Utc::now();
    let dangerous = [
        "=1+2",
        "+cmd|' /C calc'!A0",
        "-2+3",
        "@SUM(A1:A2)",
        "\tx",
        "\rx",
    ];
    for (i, message) in dangerous.iter().enumerate() {
        store(
            &db,
            now - Duration::minutes(i as i64 + 1),
            Ev {
                message,
                host: Some("=HYPERLINK(\"http://evil\")"),
                user_name: Some("plain, \"quoted\""),
                ..Ev::default()
            },
        )
        .await;
    }
    let view = create_and_wait(
        &db,
        &token,
        json!({ "kind": "events", "format": "csv", "range": "1h" }),
    )
    .await;
    assert_eq!(view["status"], "done", "{view}");
    let (status, ct, cd, body) = download(&db, &token, view["id"].as_i64().unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ct, "text/csv; charset=utf-8");
    assert!(
        cd.starts_with("attachment; filename=\"vigil-events-"),
        "{cd}"
    );
    assert!(cd.ends_with(".csv\""), "{cd}");
    let text = String::from_utf8(body).unwrap();
    let rows = parse_csv(&text);
    let header = &rows[0];
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    assert_eq!(rows.len(), 1 + dangerous.len(), "{text:?}");
    // Newest first: the events were stored one minute apart, in this order.
    for (row, message) in rows[1..].iter().zip(dangerous) {
        assert_eq!(row[col("message")], format!("'{message}"), "{text:?}");
        assert_eq!(row[col("host")], "'=HYPERLINK(\"http://evil\")");
        assert_eq!(row[col("user_name")], "plain, \"quoted\"");
        assert_eq!(row[col("raw")], format!("raw {message}"));
    }
    // No cell anywhere starts with a formula character.
    for row in &rows {
        for cell in row {
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "{cell:?} in {text:?}"
            );
        }
    }
}

async fn reports_are_generated_downloaded_and_deleted(db: TestDb) {
    let token = db.token("ana", &["analyst"]).await;
    let now = Utc::now();
    for i in 0..25 {
        store(
            &db,
            now - Duration::minutes(i),
            Ev {
                message: "hello",
                ..Ev::default()
            },
        )
        .await;
    }
    // One event outside the range.
    store(
        &db,
        now - Duration::hours(3),
        Ev {
            message: "old",
            ..Ev::default()
        },
    )
    .await;

    let view = create_and_wait(
        &db,
        &token,
        json!({ "kind": "events", "format": "json", "range": "2h", "name": "Hellos" }),
    )
    .await;
    assert_eq!(view["status"], "done", "{view}");
    assert_eq!(view["progress"], 100);
    assert_eq!(view["name"], "Hellos");
    assert!(view["started_at"].is_string() && view["finished_at"].is_string());
    let id = view["id"].as_i64().unwrap();
    let (status, ct, cd, body) = download(&db, &token, id).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ct, "application/x-ndjson");
    assert!(cd.ends_with(&format!("-{id}.ndjson\"")), "{cd}");
    assert_eq!(view["size_bytes"].as_u64().unwrap() as usize, body.len());
    let lines: Vec<Value> = String::from_utf8(body)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 25);
    assert!(lines.iter().all(|e| e["message"] == "hello"));

    // The file is under DATA_DIR/reports until the report is deleted.
    let dir = db.state.config().reports.dir.clone();
    assert!(dir.join(format!("{id}.ndjson")).is_file());
    let (status, _) = db
        .json("DELETE", &format!("/api/v1/reports/{id}"), &token, None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(!dir.join(format!("{id}.ndjson")).exists());
    let (status, _) = db
        .json("GET", &format!("/api/v1/reports/{id}"), &token, None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    for action in ["report_create", "report_download", "report_delete"] {
        let n = audit_log::Entity::find()
            .filter(audit_log::Column::Action.eq(action))
            .filter(audit_log::Column::Target.eq(id.to_string()))
            .all(db.state.service().db())
            .await
            .unwrap()
            .len();
        assert_eq!(n, 1, "{action} audited once");
    }
}

async fn another_users_report_does_not_exist(db: TestDb) {
    let ana = db.token("ana", &["analyst"]).await;
    let bob = db.token("bob", &["analyst"]).await;
    let admin = db.token("root", &["admin"]).await;
    let viewer = db.token("vic", &["viewer"]).await;
    let view = create_and_wait(
        &db,
        &ana,
        json!({ "kind": "summary", "format": "csv", "range": "1h" }),
    )
    .await;
    assert_eq!(view["status"], "done", "{view}");
    let id = view["id"].as_i64().unwrap();
    for (method, uri) in [
        ("GET", format!("/api/v1/reports/{id}")),
        ("GET", format!("/api/v1/reports/{id}/download")),
        ("DELETE", format!("/api/v1/reports/{id}")),
    ] {
        let (status, body) = db.json(method, &uri, &bob, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {uri}: {body}");
    }
    let (_, list) = db.json("GET", "/api/v1/reports", &bob, None).await;
    assert_eq!(list, json!([]));
    // reports.read_all (admins) sees it.
    let (status, seen) = db
        .json("GET", &format!("/api/v1/reports/{id}"), &admin, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(seen["owner"], "ana");
    let (_, list) = db.json("GET", "/api/v1/reports", &admin, None).await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    let (status, ..) = download(&db, &admin, id).await;
    assert_eq!(status, StatusCode::OK);
    // A viewer reads reports but may not create them.
    let (status, _) = db
        .json(
            "POST",
            "/api/v1/reports",
            &viewer,
            Some(json!({ "kind": "summary", "format": "csv" })),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = db
        .json("GET", &format!("/api/v1/reports/{id}"), &viewer, None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn summary_and_authentication_count_what_was_stored(db: TestDb) {
    let token = db.token("ana", &["analyst"]).await;
    let now = Utc::now();
    // 4 failed and 2 successful sign-ins for alice on web1 from 203.0.113.5; 3 sudo commands
    // by bob on db1 from 198.51.100.7; 1 unrelated event.
    let mut at = now - Duration::minutes(50);
    let mut put = |n: usize, ev: Ev<'static>| {
        let evs = vec![ev; n];
        let start = at;
        at += Duration::minutes(n as i64);
        (start, evs)
    };
    let batches = [
        put(
            4,
            Ev {
                message: "Failed password",
                host: Some("web1"),
                source_ip: Some("203.0.113.5"),
                user_name: Some("alice"),
                category: Some("authentication"),
                action: Some("ssh_login"),
                outcome: Some("failure"),
            },
        ),
        put(
            2,
            Ev {
                message: "Accepted password",
                host: Some("web1"),
                source_ip: Some("203.0.113.5"),
                user_name: Some("alice"),
                category: Some("authentication"),
                action: Some("ssh_login"),
                outcome: Some("success"),
            },
        ),
        put(
            3,
            Ev {
                message: "sudo ls",
                host: Some("db1"),
                source_ip: Some("198.51.100.7"),
                user_name: Some("bob"),
                category: Some("process"),
                action: Some("sudo"),
                outcome: Some("success"),
            },
        ),
        put(
            1,
            Ev {
                message: "cron ran",
                host: Some("db1"),
                ..Ev::default()
            },
        ),
    ];
    for (start, evs) in batches {
        for (i, ev) in evs.into_iter().enumerate() {
            store(&db, start + Duration::seconds(i as i64), ev).await;
        }
    }
    let view = create_and_wait(
        &db,
        &token,
        json!({ "kind": "summary", "format": "json", "range": "1h" }),
    )
    .await;
    assert_eq!(view["status"], "done", "{view}");
    let (_, ct, cd, body) = download(&db, &token, view["id"].as_i64().unwrap()).await;
    assert_eq!(ct, "application/json");
    assert!(cd.ends_with(".json\""), "{cd}");
    let doc: Value = serde_json::from_slice(&body).unwrap();
    let section = |name: &str| {
        doc["sections"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["heading"] == name)
            .unwrap_or_else(|| panic!("no {name} in {doc}"))
            .clone()
    };
    let facts = &section("Overview")["blocks"][0]["items"];
    assert_eq!(facts[0], json!(["Events", "10"]), "{facts}");
    assert_eq!(facts[1], json!(["Successful sign-ins", "2"]));
    assert_eq!(facts[2], json!(["Failed sign-ins", "4"]));
    let sources = &section("Top source addresses")["blocks"][0]["rows"];
    assert_eq!(
        sources,
        &json!([["203.0.113.5", "6"], ["198.51.100.7", "3"]])
    );
    let trend = &section("Event trend")["blocks"][0]["points"];
    let total: u64 = trend
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p[1].as_u64().unwrap())
        .sum();
    assert_eq!(total, 10, "every event falls in one interval: {trend}");

    let view = create_and_wait(
        &db,
        &token,
        json!({ "kind": "authentication", "format": "csv", "range": "1h" }),
    )
    .await;
    assert_eq!(view["status"], "done", "{view}");
    let (_, _, _, body) = download(&db, &token, view["id"].as_i64().unwrap()).await;
    let rows = parse_csv(&String::from_utf8(body).unwrap());
    assert_eq!(rows[0], ["section", "item", "metric", "value"]);
    let value = |section: &str, item: &str, metric: &str| {
        rows.iter()
            .find(|r| r[0] == section && r[1] == item && r[2] == metric)
            .map(|r| r[3].clone())
            .unwrap_or_else(|| panic!("no {section}/{item}/{metric} in {rows:?}"))
    };
    assert_eq!(value("Per user", "alice", "Failed sign-ins"), "4");
    assert_eq!(value("Per user", "alice", "Successful sign-ins"), "2");
    assert_eq!(value("Per user", "bob", "sudo commands"), "3");
    assert_eq!(value("Per host", "web1", "Failed sign-ins"), "4");
    assert_eq!(value("Per host", "db1", "sudo commands"), "3");
    assert!(!rows.iter().any(|r| r[1] == "cron ran"));
}

async fn bad_requests_name_the_problem(db: TestDb) {
    let token = db.token("ana", &["analyst"]).await;
    for (body, needle) in [
        (
            json!({ "kind": "events", "format": "csv", "range": "5y" }),
            "range",
        ),
        (
            json!({ "kind": "events", "format": "csv", "filters": { "q": "user.name:(" } }),
            "filters.q",
        ),
        (
            json!({ "kind": "alerts", "format": "csv", "filters": { "severity": "huge" } }),
            "filters.severity",
        ),
        (
            json!({ "kind": "events", "format": "csv",
                    "from": "2026-02-01T00:00:00Z", "to": "2026-01-01T00:00:00Z" }),
            "from",
        ),
        (
            json!({ "kind": "events", "format": "csv", "range": "1h",
                    "from": "2026-01-01T00:00:00Z" }),
            "range",
        ),
    ] {
        let (status, answer) = db
            .json("POST", "/api/v1/reports", &token, Some(body.clone()))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {answer}");
        let message = answer["error"]["message"].as_str().unwrap();
        assert!(message.contains(needle), "{body}: {message}");
    }
    let (status, _) = db
        .json(
            "POST",
            "/api/v1/reports",
            &token,
            Some(json!({ "kind": "poem", "format": "csv" })),
        )
        .await;
    assert!(status.is_client_error());
    for (body, needle) in [
        (
            json!({ "name": "n", "kind": "summary", "format": "pdf", "cron": "every day", "range": "24h" }),
            "cron",
        ),
        (
            json!({ "name": "n", "kind": "summary", "format": "pdf", "cron": "0 7 * * *", "range": "24x" }),
            "range",
        ),
        (
            json!({ "name": "n", "kind": "summary", "format": "pdf", "cron": "0 7 * * *", "range": "24h",
                    "channel_id": 99 }),
            "channel_id",
        ),
    ] {
        let (status, answer) = db
            .json(
                "POST",
                "/api/v1/reports/schedules",
                &token,
                Some(body.clone()),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {answer}");
        let message = answer["error"]["message"].as_str().unwrap();
        assert!(message.contains(needle), "{body}: {message}");
    }
    // A download of a report that is not done yet is a conflict, not a file.
    let (status, created) = db
        .json(
            "POST",
            "/api/v1/reports",
            &token,
            Some(json!({ "kind": "events", "format": "csv", "range": "1h" })),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let id = created["id"].as_i64().unwrap();
    let view = common::reports::wait(&db, &token, id).await;
    assert_eq!(view["status"], "done");
    let (status, ..) = download(&db, &token, id + 1000).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn the_page_lists_reports_with_plain_download_links(db: TestDb) {
    let t = db.sign_in("ana", &["analyst"]).await;
    let cookies = format!(
        "vigil_access={}; vigil_refresh={}",
        t.access_token, t.refresh_token
    );
    let view = create_and_wait(
        &db,
        &t.access_token,
        json!({ "kind": "summary", "format": "csv", "range": "1h", "name": "<b>Weekly</b> & more" }),
    )
    .await;
    assert_eq!(view["status"], "done", "{view}");
    let id = view["id"].as_i64().unwrap();
    // Server-rendered, as a browser without JavaScript gets it.
    let (status, _, page) = db.get_page("/reports", &cookies).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Generated reports"), "{page}");
    assert!(
        page.contains(&format!("href=\"/api/v1/reports/{id}/download\"")),
        "{page}"
    );
    assert!(
        page.contains("&lt;b&gt;Weekly&lt;/b&gt; &amp; more"),
        "names are text: {page}"
    );
    assert!(!page.contains("<b>Weekly</b>"));
    // The link works with the browser's cookies alone.
    let req = http::Request::get(format!("/api/v1/reports/{id}/download"))
        .header("cookie", &cookies)
        .body(axum::body::Body::empty())
        .unwrap();
    let (status, headers, body) = db.send(req).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "text/csv; charset=utf-8");
    assert!(body.starts_with("section,item,metric,value"), "{body}");
    // A viewer sees the page (no create form), an ingest machine does not.
    let viewer = db.cookies("vic", &["viewer"]).await;
    let (status, _, page) = db.get_page("/reports", &viewer).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!page.contains("Create report"), "{page}");
    let ingest = db.cookies("shipper", &["ingest"]).await;
    let (status, _, _) = db.get_page("/reports", &ingest).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

/// Posts `body` to the server function `name` as a browser's form post from `/reports`:
/// status, `Location` and the notice cookie (`name=value`) it sets.
async fn post_form(
    db: &TestDb,
    name: &str,
    body: &str,
    cookies: &str,
) -> (StatusCode, String, Option<String>) {
    let (status, headers, _) = common::post_form(
        db,
        name,
        "%2Freports",
        body,
        cookies,
        common::BROWSER_ACCEPT,
    )
    .await;
    let location = headers
        .get("location")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let notice = common::notice_cookie(&headers);
    (status, location, notice)
}

async fn the_page_creates_and_deletes_reports_with_plain_form_posts(db: TestDb) {
    let t = db.sign_in("ana", &["analyst"]).await;
    let cookies = format!(
        "vigil_access={}; vigil_refresh={}",
        t.access_token, t.refresh_token
    );
    let now = Utc::now();
    for (i, host) in ["form-a", "form-b", "form-a"].into_iter().enumerate() {
        store(
            &db,
            now - Duration::minutes(i as i64 + 1),
            Ev {
                message: "posted",
                host: Some(host),
                ..Ev::default()
            },
        )
        .await;
    }
    // The New report form's fields, as a browser posts them (empty optional fields included).
    let (status, location, notice) = post_form(
        &db,
        "reports_create",
        "kind=events&range=1h&format=csv&name=From+the+form&q=host%3Aform-a&severity=&status=",
        &cookies,
    )
    .await;
    assert_eq!(status, StatusCode::FOUND);
    assert_eq!(location, "/reports");
    let notice = notice.expect("a notice cookie");
    let (_, list) = db
        .json("GET", "/api/v1/reports", &t.access_token, None)
        .await;
    let items = list.as_array().unwrap();
    assert_eq!(items.len(), 1, "{list}");
    assert_eq!(items[0]["name"], "From the form");
    assert_eq!(items[0]["kind"], "events");
    assert_eq!(items[0]["format"], "csv");
    let id = items[0]["id"].as_i64().unwrap();
    let view = common::reports::wait(&db, &t.access_token, id).await;
    assert_eq!(view["status"], "done", "{view}");
    let (_, _, _, body) = download(&db, &t.access_token, id).await;
    let rows = parse_csv(&String::from_utf8(body).unwrap());
    let host = rows[0].iter().position(|c| c == "host").unwrap();
    assert_eq!(rows.len(), 3, "a header and the two events of form-a");
    assert!(rows[1..].iter().all(|r| r[host] == "form-a"));
    // The page the post lands on shows the notice.
    let (_, _, page) = db
        .get_page("/reports", &format!("{cookies}; {notice}"))
        .await;
    assert!(page.contains("Report “From the form” queued."), "{page}");

    // A refused post comes back as an error notice and queues nothing.
    let (status, location, notice) = post_form(
        &db,
        "reports_create",
        "kind=weekly&range=1h&format=csv",
        &cookies,
    )
    .await;
    assert_eq!((status, location.as_str()), (StatusCode::FOUND, "/reports"));
    let (_, _, page) = db
        .get_page("/reports", &format!("{cookies}; {}", notice.unwrap()))
        .await;
    assert!(page.contains("`weekly` is not a report kind"), "{page}");
    let (_, list) = db
        .json("GET", "/api/v1/reports", &t.access_token, None)
        .await;
    assert_eq!(list.as_array().unwrap().len(), 1);

    // Each listed report has a delete form; posting it deletes the report.
    assert!(
        page.contains(&format!("aria-label=\"Delete report {id}\"")),
        "{page}"
    );
    let (status, location, notice) =
        post_form(&db, "reports_delete", &format!("id={id}"), &cookies).await;
    assert_eq!((status, location.as_str()), (StatusCode::FOUND, "/reports"));
    assert!(notice.is_some());
    let (status, _) = db
        .json(
            "GET",
            &format!("/api/v1/reports/{id}"),
            &t.access_token,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
