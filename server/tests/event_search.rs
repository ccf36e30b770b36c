//! Searching stored events through the router, on SQLite and on MariaDB: every filter, address
//! blocks, the query language in `q`, parameter errors, keyset paging and single events.

use crate::common;

use std::collections::HashSet;

use http::StatusCode;
use serde_json::{Value, json};

use common::TestDb;
use common::logs::{JSON, NDJSON, get, messages, ndjson, post, tokens};

backend_suite!(
    filters_select_by_address_block_user_action_text_and_time,
    queries_combine_with_the_named_filters,
    bad_search_parameters_are_named,
    cursor_paging_returns_every_event_once,
    unknown_events_are_not_found,
);

async fn filters_select_by_address_block_user_action_text_and_time(db: TestDb) {
    let (shipper, reader) = tokens(&db).await;
    let events = [
        json!({ "@timestamp": "2026-05-01T10:00:00Z", "message": "login failed for alice",
                "source_ip": "10.1.2.3", "user": "alice", "action": "login",
                "outcome": "failure", "level": "warning", "host": "web-1" }),
        json!({ "@timestamp": "2026-05-01T11:00:00Z", "message": "login ok for bob",
                "source_ip": "10.20.0.5", "user": "bob", "action": "login",
                "outcome": "success", "level": "info", "host": "web-2" }),
        json!({ "@timestamp": "2026-05-01T12:00:00Z", "message": "file 50% uploaded",
                "source_ip": "192.168.1.130", "user": "alice", "action": "upload",
                "level": "info", "host": "web-1" }),
        json!({ "@timestamp": "2026-05-01T13:00:00Z", "message": "v6 login",
                "source_ip": "2001:db8:ff12::1", "user": "carol", "action": "login" }),
        json!({ "@timestamp": "2026-05-01T14:00:00Z", "message": "v6 elsewhere",
                "source_ip": "2001:db8:fe00::1", "user": "carol", "action": "login" }),
        json!({ "@timestamp": "2026-05-01T15:00:00Z", "message": "not ten",
                "source_ip": "100.1.2.3" }),
    ];
    let (status, answer) = post(&db, "/api/v1/logs", &shipper, Some(NDJSON), ndjson(&events)).await;
    assert_eq!(
        (status, answer["accepted"].as_u64()),
        (StatusCode::OK, Some(6))
    );

    for (query, expected) in [
        ("source_ip=10.1.2.3", &["login failed for alice"][..]),
        (
            "source_ip=10.0.0.0/8",
            &["login ok for bob", "login failed for alice"],
        ),
        ("source_ip=10.0.0.0/12", &["login failed for alice"]),
        ("source_ip=192.168.1.128/30", &["file 50% uploaded"]),
        ("source_ip=192.168.1.128/31", &[]),
        (
            "source_ip=0.0.0.0/0&limit=3",
            &["not ten", "file 50% uploaded", "login ok for bob"],
        ),
        ("source_ip=2001:db8::/32", &["v6 elsewhere", "v6 login"]),
        ("source_ip=2001:db8:ff00::/40", &["v6 login"]),
        ("source_ip=2001:DB8:FF12:0::1", &["v6 login"]),
        (
            "user_name=alice",
            &["file 50% uploaded", "login failed for alice"],
        ),
        (
            "event_action=login&event_outcome=failure",
            &["login failed for alice"],
        ),
        ("level=WARNING", &["login failed for alice"]),
        ("host=web-1&event_action=upload", &["file 50% uploaded"]),
        ("q=50%25", &["file 50% uploaded"]),
        ("q=_", &[]),
        ("q=LOGIN%20ok", &["login ok for bob"]),
        ("q=%22ok%20for%22", &["login ok for bob"]),
        ("q=%22for%20ok%22", &[]),
        ("timestamp=2026-05-01T12:00:00Z", &["file 50% uploaded"]),
        ("timestamp=2026-05-01T12:00:00.001Z", &[]),
        ("timestamp=2026-05-02", &[]),
        (
            "from=2026-05-01T11:00:00Z&to=2026-05-01T13:00:00Z",
            &["file 50% uploaded", "login ok for bob"],
        ),
        // 13:30 at +02:00 is 11:30 UTC.
        ("from=2026-05-01T13:30:00%2B02:00&source_ip=10.0.0.0/8", &[]),
        (
            "from=2026-05-01T13:30:00%2B02:00&user_name=carol",
            &["v6 elsewhere", "v6 login"],
        ),
    ] {
        assert_eq!(messages(&db, &reader, query).await, expected, "{query}");
    }
    // Vigil's own audit trail is searchable too, but only with `audit.read`.
    let (_, page) = get(&db, "/api/v1/logs?event_action=vigil_login", &reader).await;
    assert!(page["items"].as_array().unwrap().is_empty(), "{page}");
    let auditor = db.token("auditor", &["admin"]).await;
    let (_, page) = get(&db, "/api/v1/logs?event_action=vigil_login", &auditor).await;
    assert!(!page["items"].as_array().unwrap().is_empty(), "{page}");
}

async fn queries_combine_with_the_named_filters(db: TestDb) {
    let (shipper, reader) = tokens(&db).await;
    let events = [
        json!({ "@timestamp": "2026-05-01T10:00:00Z", "message": "GET /admin",
                "source_ip": "203.0.113.9", "host": "web-1", "status": "404",
                "http.response.status_code": 404, "user_agent.original": "sqlmap/1.7" }),
        json!({ "@timestamp": "2026-05-01T11:00:00Z", "message": "GET /",
                "source_ip": "2001:db8::1", "host": "web-2",
                "http.response.status_code": 200, "user_agent.original": "Mozilla/5.0" }),
        json!({ "@timestamp": "2026-05-02T09:00:00Z", "message": "Émile logged in",
                "user": "Émile", "host": "db-1" }),
    ];
    let (status, _) = post(&db, "/api/v1/logs", &shipper, Some(NDJSON), ndjson(&events)).await;
    assert_eq!(status, StatusCode::OK);

    for (q, more, expected) in [
        ("status:[400 TO 499]", "", &["GET /admin"][..]),
        ("fields.user_agent.original:*SQLMAP*", "", &["GET /admin"]),
        ("host:web-* NOT source_ip:203.0.113.0/24", "", &["GET /"]),
        (
            "source_ip:2001:db8::/32 OR user.name:Émile",
            "",
            &["Émile logged in", "GET /"],
        ),
        ("user.name:émile", "", &[]),
        (
            "GET OR logged",
            "",
            &["Émile logged in", "GET /", "GET /admin"],
        ),
        ("GET", "&host=web-1", &["GET /admin"]),
        ("host:web-1", "&host=web-2", &[]),
        (
            "timestamp:2026-05-02",
            "&timestamp=2026-05-02",
            &["Émile logged in"],
        ),
        (
            "NOT user_name:*",
            "&timestamp=2026-05-01",
            &["GET /", "GET /admin"],
        ),
    ] {
        let query = format!("q={}{more}", encode(q));
        assert_eq!(messages(&db, &reader, &query).await, expected, "{q}{more}");
    }
}

/// Percent-encodes everything but unreserved characters.
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn bad_search_parameters_are_named(db: TestDb) {
    let (_, reader) = tokens(&db).await;
    for (query, param) in [
        ("source_ip=bogus", "source_ip"),
        ("source_ip=10.0.0.0/33", "source_ip"),
        ("source_ip=2001:db8::/129", "source_ip"),
        ("from=yesterday", "from"),
        ("to=2026-13-01T00:00:00Z", "to"),
        ("limit=0", "limit"),
        ("limit=1001", "limit"),
        ("limit=ten", "limit"),
        ("cursor=not-a-cursor", "cursor"),
        ("timestamp=yesterday", "timestamp"),
        ("q=host:", "q"),
        ("q=nosuch:1", "nosuch"),
        ("sort=asc", "sort"),
        ("Source=api", "Source"),
    ] {
        let (status, answer) = get(&db, &format!("/api/v1/logs?{query}"), &reader).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {answer}");
        assert_eq!(answer["error"]["code"], "bad_request");
        let message = answer["error"]["message"].as_str().unwrap();
        assert!(message.contains(param), "{query}: {message}");
    }
    let (status, _) = get(&db, "/api/v1/logs?limit=1000", &reader).await;
    assert_eq!(status, StatusCode::OK);
    // A syntax error says where it is.
    let (_, answer) = get(&db, "/api/v1/logs?q=(host:a%20OR%20b", &reader).await;
    assert_eq!(answer["error"]["message"], "invalid q: unclosed '(' at 0");
    let (_, answer) = get(&db, "/api/v1/logs?sort=asc", &reader).await;
    assert_eq!(
        answer["error"]["message"],
        "unknown query parameter \"sort\""
    );
}

/// Follows `next_cursor` from the first page, returning the ids of every page.
async fn all_pages(db: &TestDb, token: &str, query: &str) -> Vec<Vec<i64>> {
    let mut pages = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut uri = format!("/api/v1/logs?source=api&{query}");
        if let Some(c) = &cursor {
            uri.push_str(&format!("&cursor={c}"));
        }
        let (status, page) = get(db, &uri, token).await;
        assert_eq!(status, StatusCode::OK, "{uri}: {page}");
        let items = page["items"].as_array().unwrap();
        pages.push(items.iter().map(|e| e["id"].as_i64().unwrap()).collect());
        let timestamps: Vec<(&str, i64)> = items
            .iter()
            .map(|e| (e["timestamp"].as_str().unwrap(), e["id"].as_i64().unwrap()))
            .collect();
        let mut sorted = timestamps.clone();
        sorted.sort_by(|a, b| b.cmp(a));
        assert_eq!(timestamps, sorted, "newest first");
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => return pages,
        }
        assert!(pages.len() < 100, "paging does not end");
    }
}

async fn cursor_paging_returns_every_event_once(db: TestDb) {
    let (shipper, reader) = tokens(&db).await;
    // Five events share each timestamp, so the id breaks ties; every other one is in the block.
    let events: Vec<Value> = (0..25)
        .map(|i| {
            let prefix = if i % 2 == 0 {
                "2001:db8:ff00"
            } else {
                "2001:db8:1"
            };
            json!({
                "@timestamp": format!("2026-05-01T10:0{}:00.250Z", i / 5),
                "message": format!("event {i}"),
                "source_ip": format!("{prefix}::{:x}", i + 1),
            })
        })
        .collect();
    let (status, _) = post(&db, "/api/v1/logs", &shipper, Some(NDJSON), ndjson(&events)).await;
    assert_eq!(status, StatusCode::OK);

    let pages = all_pages(&db, &reader, "limit=4").await;
    assert_eq!(
        pages.iter().map(Vec::len).collect::<Vec<_>>(),
        [4, 4, 4, 4, 4, 4, 1]
    );
    let ids: Vec<i64> = pages.concat();
    assert_eq!(
        ids.iter().collect::<HashSet<_>>().len(),
        25,
        "each event once"
    );

    // An event arriving mid-way is newer than the cursor and does not disturb later pages.
    let (_, first) = get(&db, "/api/v1/logs?source=api&limit=10", &reader).await;
    let late = json!({ "@timestamp": "2026-05-02T00:00:00Z", "message": "late" });
    post(&db, "/api/v1/logs", &shipper, Some(JSON), late.to_string()).await;
    let cursor = first["next_cursor"].as_str().unwrap();
    let (_, rest) = get(
        &db,
        &format!("/api/v1/logs?source=api&limit=100&cursor={cursor}"),
        &reader,
    )
    .await;
    assert_eq!(rest["items"].as_array().unwrap().len(), 15);
    assert!(rest["next_cursor"].is_null());

    // A block checked row by row still pages without gaps or repeats.
    let pages = all_pages(&db, &reader, "limit=3&source_ip=2001:db8:ff00::/40").await;
    let ids: Vec<i64> = pages.concat();
    assert_eq!(ids.len(), 13);
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), 13);
    assert!(pages.iter().all(|p| p.len() <= 3));
}

async fn unknown_events_are_not_found(db: TestDb) {
    let (_, reader) = tokens(&db).await;
    let (status, answer) = get(&db, "/api/v1/logs/999999", &reader).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(answer["error"]["code"], "not_found");
    let (status, answer) = get(&db, "/api/v1/logs/abc", &reader).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(answer["error"]["code"], "bad_request");
}
