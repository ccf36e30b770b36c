//! Sending logs through the router, on SQLite and on MariaDB: JSON objects and arrays, NDJSON
//! and raw lines, per-item and whole-body errors, and the permissions that separate sending
//! from reading.

use crate::common;

use axum::body::Body;
use http::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::json;

use common::TestDb;
use common::logs::{JSON, NDJSON, TEXT, get, messages, ndjson, post, tokens};
use server::store::audit_log;

backend_suite!(
    objects_arrays_and_ndjson_are_stored_and_found,
    items_that_are_not_objects_are_rejected_alone,
    whole_body_problems_are_client_errors,
    raw_lines_are_parsed_like_files,
    permissions_separate_sending_from_reading,
    values_too_wide_for_their_columns_are_cut_not_refused,
    the_permission_is_checked_before_the_body_is_read,
);

/// MariaDB refuses values wider than a column and dates before year 1000: such an event is
/// stored cut and flagged, and the pipeline keeps going.
async fn values_too_wide_for_their_columns_are_cut_not_refused(db: TestDb) {
    let (shipper, reader) = tokens(&db).await;
    let odd = json!({
        "timestamp": "0001-01-01T00:00:00Z",
        "host": "h".repeat(300),
        "level": "extraordinarily-verbose",
        "action": "a".repeat(300),
        "status": "partially-successful-outcome",
        "username": "u".repeat(300),
        "message": "odd but kept"
    });
    let (status, answer) = post(&db, "/api/v1/logs", &shipper, Some(JSON), odd.to_string()).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["accepted"], 1);
    let (status, page) = get(&db, "/api/v1/logs?source=api&q=odd%20but%20kept", &reader).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let event = &page["items"][0];
    assert_eq!(event["host"].as_str().map(str::len), Some(255), "{event}");
    assert_eq!(event["user_name"].as_str().map(str::len), Some(255));
    assert_eq!(event["event_action"].as_str().map(str::len), Some(128));
    assert_eq!(event["level"].as_str().map(str::len), Some(16));
    let flags: Vec<&str> = event["flag_names"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    assert!(
        flags.contains(&"truncated") && flags.contains(&"parse_error"),
        "{flags:?}"
    );
    assert!(
        event["raw"].as_str().unwrap().contains(&"a".repeat(300)),
        "raw keeps it all"
    );

    // And the next event goes through as usual.
    let (status, answer) = post(
        &db,
        "/api/v1/logs",
        &shipper,
        Some(JSON),
        r#"{"message":"after"}"#,
    )
    .await;
    assert_eq!(
        (status, answer["accepted"].as_u64()),
        (StatusCode::OK, Some(1))
    );
}

async fn objects_arrays_and_ndjson_are_stored_and_found(db: TestDb) {
    let (shipper, reader) = tokens(&db).await;
    let one = json!({ "message": "single object", "user": "alice", "extra": { "k": [1, 2] } });
    let (status, answer) = post(&db, "/api/v1/logs", &shipper, Some(JSON), one.to_string()).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(
        answer,
        json!({ "accepted": 1, "rejected": 0, "errors": [] })
    );

    let array = json!([{ "message": "array one" }, { "message": "array two" }]);
    let (status, answer) = post(&db, "/api/v1/logs", &shipper, Some(JSON), array.to_string()).await;
    assert_eq!(
        (status, answer["accepted"].as_u64()),
        (StatusCode::OK, Some(2))
    );

    let lines = ndjson(&[
        json!({ "msg": "ndjson one" }),
        json!({ "msg": "ndjson two" }),
    ]);
    let ct = "application/x-ndjson; charset=utf-8";
    let (status, answer) = post(&db, "/api/v1/logs", &shipper, Some(ct), lines).await;
    assert_eq!(
        (status, answer["accepted"].as_u64()),
        (StatusCode::OK, Some(2))
    );

    // Each answer came after the commit: everything is readable at once.
    let mut found = messages(&db, &reader, "limit=10").await;
    found.sort();
    assert_eq!(
        found,
        [
            "array one",
            "array two",
            "ndjson one",
            "ndjson two",
            "single object"
        ]
    );
    let (_, page) = get(&db, "/api/v1/logs?source=api&user_name=alice", &reader).await;
    let event = &page["items"][0];
    assert_eq!(event["message"], "single object");
    assert_eq!(event["parser"], "json");
    assert_eq!(event["source"], "api");
    assert_eq!(
        event["raw"],
        r#"{"extra":{"k":[1,2]},"message":"single object","user":"alice"}"#
    );
    assert_eq!(event["fields"]["vigil.submitted_by"], "shipper");
    assert_eq!(event["fields"]["log.source.address"], "192.0.2.7");
    assert_eq!(event["fields"]["extra"], json!({ "k": [1, 2] }));
    assert_eq!(event["flags"], 0);
    assert_eq!(event["flag_names"], json!([]));
    assert_eq!(event["repeat_count"], 1);

    let id = event["id"].as_i64().unwrap();
    let (status, single) = get(&db, &format!("/api/v1/logs/{id}"), &reader).await;
    assert_eq!(status, StatusCode::OK, "{single}");
    assert_eq!(&single, event);
}

async fn items_that_are_not_objects_are_rejected_alone(db: TestDb) {
    let (shipper, reader) = tokens(&db).await;
    let array = json!([{ "message": "kept 1" }, 42, "text", null, [1], { "message": "kept 2" }]);
    let (status, answer) = post(&db, "/api/v1/logs", &shipper, Some(JSON), array.to_string()).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["accepted"], 2);
    assert_eq!(answer["rejected"], 4);
    let errors = answer["errors"].as_array().unwrap();
    let indexes: Vec<u64> = errors
        .iter()
        .map(|e| e["index"].as_u64().unwrap())
        .collect();
    assert_eq!(indexes, [1, 2, 3, 4]);
    assert_eq!(errors[0]["error"], "expected a JSON object, found a number");
    assert_eq!(errors[3]["error"], "expected a JSON object, found an array");

    let body = "{\"message\":\"kept 3\"}\nnot json\n\n{\"message\":\"kept 4\"}\n[]\n";
    let (status, answer) = post(&db, "/api/v1/logs", &shipper, Some(NDJSON), body).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(
        (answer["accepted"].as_u64(), answer["rejected"].as_u64()),
        (Some(2), Some(2))
    );
    assert_eq!(
        answer["errors"][0]["index"], 1,
        "line numbers count blank lines"
    );
    assert!(
        answer["errors"][0]["error"]
            .as_str()
            .unwrap()
            .starts_with("invalid JSON"),
        "{answer}"
    );
    assert_eq!(answer["errors"][1]["index"], 4);

    let (status, answer) = post(&db, "/api/v1/logs", &shipper, Some(JSON), "[1, 2]").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (answer["accepted"].as_u64(), answer["rejected"].as_u64()),
        (Some(0), Some(2))
    );

    let mut found = messages(&db, &reader, "").await;
    found.sort();
    assert_eq!(found, ["kept 1", "kept 2", "kept 3", "kept 4"]);

    // Counted at /metrics (the recorder is shared by every test in this process, so at least).
    let (_, _, metrics) = db.metrics().await;
    let rejected: f64 = metrics
        .lines()
        .find(|l| l.starts_with("vigil_ingest_rejected_total{source=\"api\"}"))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no rejected counter in {metrics}"));
    assert!(rejected >= 8.0, "{rejected}");
    assert!(
        metrics.contains("vigil_ingest_events_total{source=\"api\",parser=\"json\"}"),
        "{metrics}"
    );
}

async fn whole_body_problems_are_client_errors(db: TestDb) {
    let (shipper, reader) = tokens(&db).await;
    let logs = "/api/v1/logs";
    let raw = "/api/v1/logs/raw";
    let too_big = vec![b' '; 16 * 1024 * 1024 + 1];
    let (bad, too_large, unsupported) = (
        StatusCode::BAD_REQUEST,
        StatusCode::PAYLOAD_TOO_LARGE,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
    );
    let cases: Vec<(&str, Option<&str>, Body, StatusCode)> = vec![
        (logs, Some(JSON), Body::empty(), bad),
        (logs, Some(NDJSON), Body::from(" \n\n"), bad),
        (logs, Some(JSON), Body::from("{\"a\": "), bad),
        (logs, Some(JSON), Body::from("42"), bad),
        (logs, Some(TEXT), Body::from("{}"), unsupported),
        (logs, None, Body::from("{}"), unsupported),
        (logs, Some(JSON), Body::from(too_big.clone()), too_large),
        (raw, Some(TEXT), Body::from("\n \n"), bad),
        (raw, Some(JSON), Body::from("{\"nope\": 1}"), bad),
        (raw, Some(JSON), Body::from("{\"raw_log\": 5}"), bad),
        (
            raw,
            Some("application/xml"),
            Body::from("<x/>"),
            unsupported,
        ),
        (raw, Some(TEXT), Body::from(too_big), too_large),
    ];
    for (i, (uri, ct, body, status)) in cases.into_iter().enumerate() {
        let (got, answer) = post(&db, uri, &shipper, ct, body).await;
        assert_eq!(got, status, "case {i}: {answer}");
        let code = match status {
            StatusCode::BAD_REQUEST => "bad_request",
            StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
            _ => "unsupported_media_type",
        };
        assert_eq!(answer["error"]["code"], code, "case {i}: {answer}");
        let message = answer["error"]["message"].as_str().unwrap();
        assert!(message.starts_with(|c: char| c.is_lowercase()), "{message}");
    }
    let (_, answer) = post(&db, logs, &shipper, Some(JSON), "{\"a\": ").await;
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("invalid JSON")
    );
    assert!(
        messages(&db, &reader, "").await.is_empty(),
        "nothing stored"
    );
}

async fn raw_lines_are_parsed_like_files(db: TestDb) {
    let (shipper, reader) = tokens(&db).await;
    let body = "May  1 10:00:00 web-1 sshd[4242]: Failed password for invalid user admin from 203.0.113.9 port 4242 ssh2\n\
                \n\
                <38>1 2026-05-01T10:00:01Z web-1 sshd 4243 - - Accepted publickey for deploy from 198.51.100.4 port 50000 ssh2\r\n\
                203.0.113.50 - - [01/May/2026:10:00:02 +0000] \"GET /admin HTTP/1.1\" 404 512 \"-\" \"curl/8\"\n";
    let (status, answer) = post(
        &db,
        "/api/v1/logs/raw",
        &shipper,
        Some("text/plain; charset=utf-8"),
        body,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(
        answer,
        json!({ "accepted": 3, "rejected": 0, "errors": [] })
    );

    let (_, page) = get(
        &db,
        "/api/v1/logs?source=api&event_action=ssh_login&event_outcome=failure",
        &reader,
    )
    .await;
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{page}");
    let e = &items[0];
    assert_eq!(e["source_ip"], "203.0.113.9");
    assert_eq!(e["source_port"], 4242);
    assert_eq!(e["user_name"], "admin");
    assert_eq!(e["host"], "web-1");
    assert_eq!(e["parser"], "sshd");
    assert_eq!(e["fields"]["vigil.submitted_by"], "shipper");
    assert!(
        e["raw"]
            .as_str()
            .unwrap()
            .starts_with("May  1 10:00:00 web-1 sshd[4242]")
    );

    assert_eq!(
        messages(
            &db,
            &reader,
            "source_ip=203.0.113.0/24&event_action=http_request"
        )
        .await
        .len(),
        1
    );
    let (_, page) = get(
        &db,
        "/api/v1/logs?source=api&user_name=deploy&event_outcome=success",
        &reader,
    )
    .await;
    assert_eq!(page["items"][0]["timestamp"], "2026-05-01T10:00:01Z");

    let raw = json!({ "raw_log": "first json line\nsecond json line\n" });
    let (status, answer) = post(
        &db,
        "/api/v1/logs/raw",
        &shipper,
        Some(JSON),
        raw.to_string(),
    )
    .await;
    assert_eq!(
        (status, answer["accepted"].as_u64()),
        (StatusCode::OK, Some(2))
    );
    assert_eq!(
        messages(&db, &reader, "q=json%20line").await,
        ["second json line", "first json line"]
    );

    // Bytes that are not UTF-8 are stored lossily and flagged.
    let (status, _) = post(
        &db,
        "/api/v1/logs/raw",
        &shipper,
        Some(TEXT),
        &b"broken \xff byte\n"[..],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (_, page) = get(&db, "/api/v1/logs?source=api&q=broken", &reader).await;
    let e = &page["items"][0];
    assert_eq!(e["flag_names"], json!(["invalid_utf8"]), "{e}");
    assert_eq!(e["flags"], 2);
    assert_eq!(e["raw"], "broken \u{fffd} byte");
}

async fn permissions_separate_sending_from_reading(db: TestDb) {
    let (shipper, reader) = tokens(&db).await;
    let body = json!({ "message": "x" }).to_string();
    let (status, answer) = post(&db, "/api/v1/logs", &reader, Some(JSON), body.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{answer}");
    assert_eq!(answer["error"]["code"], "forbidden");
    let (status, _) = post(&db, "/api/v1/logs/raw", &reader, Some(TEXT), "a line").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        get(&db, "/api/v1/logs", &shipper).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        get(&db, "/api/v1/logs/1", &shipper).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(db.get("/api/v1/logs").await.0, StatusCode::UNAUTHORIZED);
    let denied = audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq("permission_denied"))
        .count(db.state.service().db())
        .await
        .unwrap();
    assert_eq!(denied, 4, "every refusal is audited");
    assert!(messages(&db, &reader, "q=x").await.is_empty());
    // An admin may do both.
    let admin = db.token("root", &["admin"]).await;
    assert_eq!(
        post(&db, "/api/v1/logs", &admin, Some(JSON), body).await.0,
        StatusCode::OK
    );
    assert_eq!(messages(&db, &admin, "").await, ["x"]);
}

/// A caller without `ingest.write` is refused before the body is looked at: oversized,
/// malformed and wrongly typed bodies all answer 403, never 400, 413 or 415.
async fn the_permission_is_checked_before_the_body_is_read(db: TestDb) {
    let (_, reader) = tokens(&db).await;
    let too_big = vec![b'{'; 16 * 1024 * 1024 + 1];
    let cases: Vec<(&str, Option<&str>, Body)> = vec![
        ("/api/v1/logs", Some(JSON), Body::from(too_big.clone())),
        ("/api/v1/logs", Some(JSON), Body::from("{\"a\": ")),
        ("/api/v1/logs", Some(NDJSON), Body::from("not json\n")),
        ("/api/v1/logs", Some("application/xml"), Body::from("<x/>")),
        ("/api/v1/logs", Some(JSON), Body::empty()),
        ("/api/v1/logs/raw", Some(TEXT), Body::from(too_big)),
        (
            "/api/v1/logs/raw",
            Some(JSON),
            Body::from("{\"raw_log\": 5}"),
        ),
        ("/api/v1/logs/raw", None, Body::from("a line")),
    ];
    for (i, (uri, ct, body)) in cases.into_iter().enumerate() {
        let (status, answer) = post(&db, uri, &reader, ct, body).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "case {i}: {answer}");
        assert_eq!(answer["error"]["code"], "forbidden", "case {i}: {answer}");
    }
}

#[test]
fn the_spec_documents_every_logs_operation() {
    let spec = serde_json::to_value(server::http::api::openapi()).unwrap();
    let paths = &spec["paths"];
    for (path, method) in [
        ("/api/v1/logs", "post"),
        ("/api/v1/logs", "get"),
        ("/api/v1/logs/raw", "post"),
        ("/api/v1/logs/{id}", "get"),
    ] {
        let op = &paths[path][method];
        assert_eq!(op["security"], json!([{ "bearer": [] }]), "{method} {path}");
        assert_eq!(op["tags"], json!(["logs"]), "{method} {path}");
    }
    let content = &paths["/api/v1/logs"]["post"]["requestBody"]["content"];
    assert!(content["application/json"].is_object(), "{content}");
    assert!(content["application/x-ndjson"].is_object(), "{content}");
    let content = &paths["/api/v1/logs/raw"]["post"]["requestBody"]["content"];
    assert!(content["text/plain"].is_object(), "{content}");
    assert_eq!(
        content["application/json"]["schema"]["$ref"],
        "#/components/schemas/RawLog"
    );
    let params: Vec<&str> = paths["/api/v1/logs"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .inspect(|p| assert_eq!(p["in"], "query"))
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    for name in [
        "source_ip",
        "level",
        "host",
        "event_action",
        "event_outcome",
    ] {
        assert!(params.contains(&name), "{params:?}");
    }
    for name in ["user_name", "source", "from", "to", "q", "limit", "cursor"] {
        assert!(params.contains(&name), "{params:?}");
    }
    let event = &spec["components"]["schemas"]["Event"]["properties"];
    for column in [
        "id",
        "raw",
        "fields",
        "flags",
        "flag_names",
        "repeat_count",
        "received_at",
    ] {
        assert!(event[column].is_object(), "Event lacks {column}");
    }
}
