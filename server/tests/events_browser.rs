//! The events browser's server side through the router, on SQLite and on MariaDB: the CSV
//! export (every matching row once, newest first, formulas defused, the row cap, errors and
//! permissions), paging back to newer events with `before`, and the server-rendered pages
//! (results, facet counts, a syntax error's position, one event) with hostile log text.

use crate::common;

use std::collections::HashSet;

use http::StatusCode;
use serde_json::{Value, json};

use sea_orm::{ActiveModelTrait, Set};

use common::TestDb;
use common::logs::{NDJSON, get, ndjson, post, tokens};
use server::store::{alert, alert_evidence};

backend_suite!(
    export_writes_matching_rows_newest_first_with_formulas_defused,
    export_streams_past_one_chunk_and_stops_at_the_limit,
    export_refuses_bad_parameters_and_readers_without_events_read,
    before_pages_back_to_newer_events,
    pages_render_results_facets_errors_and_events_as_text,
    the_column_chooser_shows_the_chosen_columns_and_links_keep_them,
);

async fn export(db: &TestDb, query: &str, token: &str) -> (StatusCode, http::HeaderMap, String) {
    db.get_with(&format!("/api/v1/logs/export.csv?{query}"), token)
        .await
}

async fn export_writes_matching_rows_newest_first_with_formulas_defused(db: TestDb) {
    let (shipper, reader) = tokens(&db).await;
    let events = [
        json!({ "@timestamp": "2026-05-01T10:00:00Z", "message": "=HYPERLINK(\"http://x\",\"y\")",
                "host": "web-1", "user": "+alice", "source_ip": "10.0.0.1", "action": "login" }),
        json!({ "@timestamp": "2026-05-01T10:00:01Z", "message": "-2+3", "host": "@web",
                "action": "login" }),
        json!({ "@timestamp": "2026-05-01T10:00:02Z", "message": "plain, with \"quotes\"",
                "host": "web-1", "action": "login" }),
        json!({ "@timestamp": "2026-05-01T10:00:03Z", "message": "other action",
                "host": "web-1", "action": "logout" }),
    ];
    let (status, _) = post(&db, "/api/v1/logs", &shipper, Some(NDJSON), ndjson(&events)).await;
    assert_eq!(status, StatusCode::OK);

    let (status, headers, body) = export(&db, "source=api&q=event_action:login", &reader).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(headers["content-type"], "text/csv; charset=utf-8");
    assert!(
        headers["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment")
    );
    let lines: Vec<&str> = body.split("\r\n").collect();
    assert_eq!(
        lines[0],
        "id,timestamp,received_at,host,source,parser,level,event_category,event_action,\
         event_outcome,source_ip,source_port,destination_ip,destination_port,user_name,process,\
         pid,flags,message,raw"
    );
    assert_eq!(
        lines.len(),
        5,
        "header, three rows, and the final line end: {body}"
    );
    assert_eq!(lines[4], "");
    // Cells by column: host (3), user_name (14), message (18).
    let cells = |line: &str| -> Vec<String> { parse_csv_line(line) };
    let rows: Vec<Vec<String>> = lines[1..4].iter().map(|l| cells(l)).collect();
    assert_eq!(rows[0][1], "2026-05-01T10:00:02Z");
    assert_eq!(rows[0][18], "plain, with \"quotes\"");
    assert_eq!(rows[1][3], "'@web");
    assert_eq!(rows[1][18], "'-2+3");
    assert_eq!(rows[2][3], "web-1");
    assert_eq!(rows[2][14], "'+alice");
    assert_eq!(rows[2][10], "10.0.0.1");
    assert_eq!(rows[2][18], "'=HYPERLINK(\"http://x\",\"y\")");
    // The written text itself: quoted, the quote doubled, the apostrophe inside the quotes.
    assert!(
        lines[3].contains(r#""'=HYPERLINK(""http://x"",""y"")""#),
        "{}",
        lines[3]
    );
    // The raw line is a JSON text beginning with `{`: not a formula, quoted for its commas.
    assert!(rows[2][19].starts_with('{'), "{}", rows[2][19]);
}

/// Splits one CSV record written without line breaks inside cells.
fn parse_csv_line(line: &str) -> Vec<String> {
    let mut cells = vec![String::new()];
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                cells.last_mut().unwrap().push('"');
            }
            (true, '"') => quoted = false,
            (false, '"') => quoted = true,
            (false, ',') => cells.push(String::new()),
            (_, c) => cells.last_mut().unwrap().push(c),
        }
    }
    cells
}

async fn export_streams_past_one_chunk_and_stops_at_the_limit(db: TestDb) {
    let (shipper, reader) = tokens(&db).await;
    // 2,300 events over 23 timestamps (100 share each), more than two chunks of 1,000.
    let events: Vec<Value> = (0..2300)
        .map(|i| {
            json!({ "@timestamp": format!("2026-05-01T10:{:02}:00Z", i / 100),
                    "message": format!("bulk {i}") })
        })
        .collect();
    let (status, answer) = post(&db, "/api/v1/logs", &shipper, Some(NDJSON), ndjson(&events)).await;
    assert_eq!(status, StatusCode::OK, "{answer}");

    let (status, _, body) = export(&db, "source=api", &reader).await;
    assert_eq!(status, StatusCode::OK);
    let rows: Vec<Vec<String>> = body
        .split("\r\n")
        .skip(1)
        .filter(|l| !l.is_empty())
        .map(parse_csv_line)
        .collect();
    assert_eq!(rows.len(), 2300);
    let messages: HashSet<&str> = rows.iter().map(|r| r[18].as_str()).collect();
    assert_eq!(messages.len(), 2300, "each event once");
    let keys: Vec<(String, i64)> = rows
        .iter()
        .map(|r| (r[1].clone(), r[0].parse().unwrap()))
        .collect();
    let mut sorted = keys.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(keys, sorted, "newest first");
    assert_eq!(rows[0][1], "2026-05-01T10:22:00Z");

    // `limit` caps the rows, across chunks.
    let (_, _, body) = export(&db, "source=api&limit=1500", &reader).await;
    assert_eq!(
        body.split("\r\n").filter(|l| !l.is_empty()).count(),
        1 + 1500
    );
    // The query language narrows the export: minute 10:05 holds events 500 to 599.
    let (_, _, body) = export(
        &db,
        "source=api&q=timestamp:%5B2026-05-01T10:05:00Z%20TO%202026-05-01T10:06:00Z%7D",
        &reader,
    )
    .await;
    let rows: Vec<Vec<String>> = body
        .split("\r\n")
        .skip(1)
        .filter(|l| !l.is_empty())
        .map(parse_csv_line)
        .collect();
    assert_eq!(rows.len(), 100);
    assert!(rows.iter().all(|r| {
        let n: u32 = r[18].trim_start_matches("bulk ").parse().unwrap();
        (500..600).contains(&n)
    }));
    // Nothing matches: the header alone.
    let (status, _, body) = export(&db, "source=api&q=nothing-like-this", &reader).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body.matches("\r\n").count(), 1);
}

async fn export_refuses_bad_parameters_and_readers_without_events_read(db: TestDb) {
    let (shipper, reader) = tokens(&db).await;
    for (query, param) in [
        ("q=host:a%20AND%20(b", "unclosed '(' at 11"),
        ("limit=0", "limit"),
        ("limit=100001", "limit"),
        ("from=yesterday", "from"),
        ("before=abc", "before"),
        ("format=xlsx", "format"),
    ] {
        let (status, _, body) = export(&db, query, &reader).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
        let answer: Value = serde_json::from_str(&body).unwrap();
        let message = answer["error"]["message"].as_str().unwrap();
        assert!(message.contains(param), "{query}: {message}");
    }
    let (status, _, _) = export(&db, "limit=100000", &reader).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, _) = export(&db, "", &shipper).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = db.get("/api/v1/logs/export.csv").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

async fn before_pages_back_to_newer_events(db: TestDb) {
    let (shipper, reader) = tokens(&db).await;
    let events: Vec<Value> = (0..10)
        .map(|i| {
            json!({ "@timestamp": format!("2026-05-01T10:00:0{}Z", i / 2),
                    "message": format!("event {i}") })
        })
        .collect();
    let (status, _) = post(&db, "/api/v1/logs", &shipper, Some(NDJSON), ndjson(&events)).await;
    assert_eq!(status, StatusCode::OK);
    let page = |query: String| {
        let db = &db;
        let reader = &reader;
        async move {
            let (status, page) = get(
                db,
                &format!("/api/v1/logs?source=api&limit=4&{query}"),
                reader,
            )
            .await;
            assert_eq!(status, StatusCode::OK, "{query}: {page}");
            let ids: Vec<i64> = page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["id"].as_i64().unwrap())
                .collect();
            (
                ids,
                page["next_cursor"].as_str().map(String::from),
                page["prev_cursor"].as_str().map(String::from),
            )
        }
    };
    let (first, next, prev) = page(String::new()).await;
    assert_eq!(prev, None, "the first page is the newest");
    let (second, next2, prev2) = page(format!("cursor={}", next.unwrap())).await;
    let (third, _, prev3) = page(format!("cursor={}", next2.unwrap())).await;
    assert_eq!(third.len(), 2);
    // Back from the third page: the second page again, then the first.
    let (back, back_next, back_prev) = page(format!("before={}", prev3.unwrap())).await;
    assert_eq!(back, second);
    assert!(back_next.is_some());
    let (back, _, back_prev2) = page(format!("before={}", back_prev.unwrap())).await;
    assert_eq!(back, first);
    assert_eq!(back_prev2, None, "nothing newer than the first page");
    assert!(prev2.is_some());
    let (status, answer) = get(
        &db,
        &format!("/api/v1/logs?cursor={0}&before={0}", prev2.unwrap()),
        &reader,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
}

async fn pages_render_results_facets_errors_and_events_as_text(db: TestDb) {
    let (shipper, _) = tokens(&db).await;
    let cookies = db.cookies("vera", &["viewer"]).await;
    let events = [
        json!({ "message": "<script>alert(1)</script>", "host": "<img src=x onerror=alert(1)>",
                "user": "javascript:alert(1)", "action": "xss-probe", "outcome": "failure" }),
        json!({ "message": "second probe", "host": "web-1", "action": "xss-probe",
                "outcome": "failure" }),
        json!({ "message": "third probe", "host": "web-1", "action": "xss-probe",
                "outcome": "success" }),
        json!({ "message": "not a probe", "host": "web-1", "action": "other" }),
    ];
    let (status, _) = post(&db, "/api/v1/logs", &shipper, Some(NDJSON), ndjson(&events)).await;
    assert_eq!(status, StatusCode::OK);

    let (status, _, page) = db
        .get_page("/events?q=event_action%3Axss-probe&range=all", &cookies)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{page}"
    );
    assert!(!page.contains("<script>alert(1)"), "{page}");
    assert!(!page.contains("<img src=x"), "{page}");
    assert!(!page.contains("href=\"javascript:"), "{page}");
    // Three rows, and facet counts over the three matches: web-1 twice, failure twice.
    let detail_links = page.matches("<a href=\"/events/").count()
        - page.matches("<a href=\"/events/live\"").count();
    assert_eq!(detail_links, 3, "{page}");
    let facet = |name: &str| {
        let start = page
            .find(&format!("aria-label=\"{name} values\""))
            .expect(name);
        let end = page[start..].find("</section>").unwrap() + start;
        page[start..end].to_string()
    };
    let hosts = facet("host");
    assert!(
        hosts.contains(">web-1</a><span class=\"facet-count\">2</span>"),
        "{hosts}"
    );
    let outcomes = facet("event outcome");
    assert!(
        outcomes.contains(">failure</a><span class=\"facet-count\">2</span>"),
        "{outcomes}"
    );
    assert!(
        outcomes.contains(">success</a><span class=\"facet-count\">1</span>"),
        "{outcomes}"
    );
    // A value link ANDs a quoted test, percent-encoded.
    assert!(
        page.contains("href=\"/events?q=event_action%3Axss-probe%20AND%20user_name%3A%22javascript%3Aalert%281%29%22&amp;range=all\""),
        "{page}"
    );

    let (status, _, page) = db.get_page("/events?q=host%3Aa%20AND%20(b", &cookies).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("syntax error at character 12: unclosed "),
        "{page}"
    );
    assert!(
        page.contains(&format!("<span class=\"caret\">{}^</span>", " ".repeat(11))),
        "{page}"
    );

    let (_, _, page) = db
        .get_page("/events?q=nothing-like-this&range=all", &cookies)
        .await;
    assert!(page.contains("No matching events"), "{page}");
    assert!(!page.contains("No events yet"), "{page}");

    let (_, answer) = get(
        &db,
        "/api/v1/logs?q=event_action:xss-probe&limit=3",
        &db.token("rita", &["viewer"]).await,
    )
    .await;
    let id = answer["items"][2]["id"].as_i64().unwrap();
    let (status, _, page) = db.get_page(&format!("/events/{id}"), &cookies).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(&format!("Event {id}")), "{page}");
    assert!(
        page.contains("Raw line") && page.contains("No alert names this event"),
        "{page}"
    );
    assert!(
        page.contains("&lt;img src=x onerror=alert(1)&gt;"),
        "{page}"
    );
    assert!(!page.contains("<img src=x"), "{page}");
    let (status, _, _) = db.get_page("/events/99999999", &cookies).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // An alert whose evidence names the event is listed on its page, its title as text.
    let now = chrono::Utc::now();
    let raised = alert::ActiveModel {
        title: Set("<b>brute</b> force".into()),
        rule_name: Set(Some("ssh brute force".into())),
        severity: Set("high".into()),
        status: Set("open".into()),
        dedup_key: Set(String::new()),
        event_count: Set(1),
        first_seen: Set(now),
        last_seen: Set(now),
        evidence_count: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db.state.service().db())
    .await
    .unwrap();
    alert_evidence::ActiveModel {
        alert_id: Set(raised.id),
        event_id: Set(id),
    }
    .insert(db.state.service().db())
    .await
    .unwrap();
    let (_, _, page) = db.get_page(&format!("/events/{id}"), &cookies).await;
    let page = page.replace("<!>", "");
    // The alert's title as text, linking to the alert's page.
    assert!(
        page.contains(&format!(
            "<a href=\"/alerts/{0}\">#{0} &lt;b&gt;brute&lt;/b&gt; force</a> (open) · rule ssh brute force",
            raised.id
        )),
        "{page}"
    );
    assert!(!page.contains("No alert names this event"), "{page}");
}

async fn the_column_chooser_shows_the_chosen_columns_and_links_keep_them(db: TestDb) {
    let (shipper, _) = tokens(&db).await;
    let cookies = db.cookies("vera", &["viewer"]).await;
    let events = [
        json!({ "message": "chosen columns", "host": "web-1", "level": "error",
                          "action": "probe", "user": "alice" }),
    ];
    let (status, _) = post(&db, "/api/v1/logs", &shipper, Some(NDJSON), ndjson(&events)).await;
    assert_eq!(status, StatusCode::OK);

    // As the form sends it: one `cols` per ticked box (and an unknown key, ignored).
    let (status, _, page) = db
        .get_page(
            "/events?q=event_action%3Aprobe&range=all&cols=host&cols=message&cols=nope",
            &cookies,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let table = &page[page.find("aria-label=\"Events\"").expect("results table")..];
    let table = &table[..table.find("</table>").unwrap()];
    let headings: Vec<&str> = table
        .split("<th scope=\"col\">")
        .skip(1)
        .map(|h| &h[..h.find("</th>").unwrap()])
        .collect();
    assert_eq!(headings, ["Time (UTC)", "Host", "Message"], "{table}");
    assert_eq!(table.matches("<td").count(), 3, "{table}");
    assert!(!table.contains("alice"), "{table}");
    // The boxes show the choice, and value links keep it.
    assert!(
        page.contains("name=\"cols\" value=\"host\" checked"),
        "{page}"
    );
    assert!(
        !page.contains("name=\"cols\" value=\"user\" checked"),
        "{page}"
    );
    assert!(
        page.contains("href=\"/events?q=event_action%3Aprobe%20AND%20host%3A%22web-1%22&amp;range=all&amp;cols=host%2Cmessage\""),
        "{page}"
    );
    // No choice shows every column.
    let (_, _, page) = db
        .get_page("/events?q=event_action%3Aprobe&range=all", &cookies)
        .await;
    assert!(page.contains(">alice</a>"), "{page}");
}
