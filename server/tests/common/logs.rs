//! Helpers for the logs API suites: a sender and a reader, requests from a known address,
//! and the messages a search finds.

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use http::{Request, StatusCode};
use serde_json::Value;

use super::TestDb;

pub const NDJSON: &str = "application/x-ndjson";
pub const JSON: &str = "application/json";
pub const TEXT: &str = "text/plain";

/// The address every request of [`post`] comes from.
pub const CALLER: ([u8; 4], u16) = ([192, 0, 2, 7], 50_000);

/// A sender (role `ingest`) and a reader (role `viewer`).
pub async fn tokens(db: &TestDb) -> (String, String) {
    (
        db.token("shipper", &["ingest"]).await,
        db.token("reader", &["viewer"]).await,
    )
}

/// POSTs `body` as `token` from [`CALLER`], returning the status and the JSON answer.
pub async fn post(
    db: &TestDb,
    uri: &str,
    token: &str,
    content_type: Option<&str>,
    body: impl Into<Body>,
) -> (StatusCode, Value) {
    let mut req = Request::post(uri).header("authorization", format!("Bearer {token}"));
    if let Some(ct) = content_type {
        req = req.header("content-type", ct);
    }
    let mut req = req.body(body.into()).unwrap();
    req.extensions_mut()
        .insert(ConnectInfo(SocketAddr::from(CALLER)));
    let (status, _, body) = db.send(req).await;
    (status, serde_json::from_str(&body).unwrap_or(Value::Null))
}

/// GETs `uri` as `token`, returning the status and the JSON answer.
pub async fn get(db: &TestDb, uri: &str, token: &str) -> (StatusCode, Value) {
    let (status, _, body) = db.get_with(uri, token).await;
    (status, serde_json::from_str(&body).unwrap_or(Value::Null))
}

/// The messages of the first page of `/api/v1/logs?{query}` among events sent to the API.
pub async fn messages(db: &TestDb, token: &str, query: &str) -> Vec<String> {
    let (status, page) = get(db, &format!("/api/v1/logs?source=api&{query}"), token).await;
    assert_eq!(status, StatusCode::OK, "{query}: {page}");
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["message"].as_str().unwrap().to_string())
        .collect()
}

/// One JSON text per line.
pub fn ndjson(values: &[Value]) -> String {
    values.iter().map(|v| format!("{v}\n")).collect()
}
