//! Report test helpers: stored events written directly, a report created and awaited, and its
//! file downloaded.

use chrono::{DateTime, Utc};
use http::StatusCode;
use sea_orm::{ActiveModelTrait, Set};
use serde_json::{Value, json};

use server::store::bronze_event_data;

use super::TestDb;

/// The fields of one stored event a test sets; the rest are plain defaults.
#[derive(Default, Clone)]
pub struct Ev<'a> {
    pub message: &'a str,
    pub host: Option<&'a str>,
    pub source_ip: Option<&'a str>,
    pub user_name: Option<&'a str>,
    pub category: Option<&'a str>,
    pub action: Option<&'a str>,
    pub outcome: Option<&'a str>,
}

/// Stores `ev` at `at` straight into `bronze_event_data`, with an id reserved the way the
/// writer reserves them; answers the id.
pub async fn store(db: &TestDb, at: DateTime<Utc>, ev: Ev<'_>) -> i64 {
    let id = server::ingest::ids::reserve(db.state.service().db(), 1)
        .await
        .unwrap();
    bronze_event_data::ActiveModel {
        id: Set(id),
        timestamp: Set(at),
        received_at: Set(at),
        host: Set(ev.host.map(str::to_string)),
        source_ip: Set(ev.source_ip.map(str::to_string)),
        user_name: Set(ev.user_name.map(str::to_string)),
        event_category: Set(ev.category.map(str::to_string)),
        event_action: Set(ev.action.map(str::to_string)),
        event_outcome: Set(ev.outcome.map(str::to_string)),
        message: Set(ev.message.to_string()),
        raw: Set(format!("raw {}", ev.message)),
        parser: Set("json".into()),
        source: Set("test".into()),
        flags: Set(0),
        repeat_count: Set(1),
        fields: Set(json!({})),
        ..Default::default()
    }
    .insert(db.state.service().db())
    .await
    .unwrap()
    .id
}

/// Creates a report as `token` (expecting 202) and waits until it is done or failed.
pub async fn create_and_wait(db: &TestDb, token: &str, body: Value) -> Value {
    let (status, created) = db.json("POST", "/api/v1/reports", token, Some(body)).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{created}");
    wait(db, token, created["id"].as_i64().unwrap()).await
}

/// Waits until report `id` is done or failed; answers its view.
pub async fn wait(db: &TestDb, token: &str, id: i64) -> Value {
    super::notify::eventually(120, "report finished", || async {
        let (status, view) = db
            .json("GET", &format!("/api/v1/reports/{id}"), token, None)
            .await;
        assert_eq!(status, StatusCode::OK, "{view}");
        matches!(view["status"].as_str(), Some("done" | "failed")).then_some(view)
    })
    .await
}

/// Downloads report `id`: status, content type, content disposition and body.
pub async fn download(db: &TestDb, token: &str, id: i64) -> (StatusCode, String, String, Vec<u8>) {
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let req = http::Request::get(format!("/api/v1/reports/{id}/download"))
        .header("authorization", format!("Bearer {token}"))
        .body(axum::body::Body::empty())
        .unwrap();
    let res = db.router().oneshot(req).await.unwrap();
    let header = |name: http::header::HeaderName| {
        res.headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default()
    };
    let (status, ct, cd) = (
        res.status(),
        header(http::header::CONTENT_TYPE),
        header(http::header::CONTENT_DISPOSITION),
    );
    let body = res.into_body().collect().await.unwrap().to_bytes().to_vec();
    (status, ct, cd, body)
}
