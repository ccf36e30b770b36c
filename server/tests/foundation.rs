//! The foundation, driven through the router on SQLite and on MariaDB: health, readiness,
//! metrics, the REST API and its spec, server functions, pages and the schema.

use crate::common;

use axum::body::Body;
use chrono::Utc;
use http::{Request, StatusCode};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};
use serde_json::Value;

use common::TestDb;
use server::store::{bronze_event_data, role, role_permission, user_role};

backend_suite!(
    healthz_answers_while_the_process_is_up,
    readyz_follows_the_database,
    metrics_are_prometheus_text,
    metrics_require_the_metrics_token,
    status_counts_stored_events_over_rest,
    server_function_and_rest_agree,
    every_page_renders_the_navigation,
    dashboard_html_carries_its_data_without_javascript,
    unknown_pages_answer_404_with_a_page,
    openapi_spec_matches_the_api_routes,
    swagger_ui_is_served_from_vendored_assets,
    responses_carry_security_headers,
    migrations_seed_builtin_roles_and_are_idempotent,
    created_users_hold_argon2id_hashes_and_roles,
);

async fn healthz_answers_while_the_process_is_up(db: TestDb) {
    let (status, _, body) = db.get("/healthz").await;
    assert_eq!(status, StatusCode::OK);
    let json: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["status"], "ok");
}

async fn readyz_follows_the_database(db: TestDb) {
    let (status, _, body) = db.get("/readyz").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let json: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["checks"]["database"], "ok");

    db.state.service().db().clone().close().await.unwrap();
    let (status, _, body) = db.get("/readyz").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    let json: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["checks"]["database"], "unreachable");
}

async fn metrics_are_prometheus_text(db: TestDb) {
    db.get("/healthz").await;
    let (status, headers, body) = db.metrics().await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    assert!(
        body.contains("# TYPE vigil_http_requests_total counter"),
        "{body}"
    );
    assert!(
        body.contains(r#"vigil_http_requests_total{method="GET",route="/healthz",status="200"}"#),
        "{body}"
    );
}

/// `/metrics` names watched files and sources: by default nobody may read it, not even an
/// administrator's session; with a token configured, only that token opens it.
async fn metrics_require_the_metrics_token(db: TestDb) {
    let (status, headers, body) = db.get("/metrics").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert!(
        headers["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Bearer")
    );
    let json: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["error"]["code"], "unauthorized");
    assert!(!body.contains("vigil_"), "{body}");
    let admin = db.token("metrics-admin", &["admin"]).await;
    assert_eq!(
        db.get_with("/metrics", &admin).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        db.get_with("/metrics", common::METRICS_TOKEN).await.0,
        StatusCode::UNAUTHORIZED,
        "no token is configured on this server"
    );

    let mut config = db.state.config().clone();
    config.metrics_token = Some(common::METRICS_TOKEN.to_string());
    let state = db.state.clone().with_config(config);
    let get = |token: &str| {
        let req = Request::get("/metrics")
            .header("authorization", format!("Bearer {token}"))
            .body(Body::empty())
            .unwrap();
        tower::ServiceExt::oneshot(server::router(state.clone()), req)
    };
    assert_eq!(
        get("wrong-token-of-some-length").await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        get(&admin).await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        get(common::METRICS_TOKEN).await.unwrap().status(),
        StatusCode::OK
    );
}

async fn insert_event(db: &TestDb, message: &str) {
    let now = Utc::now();
    bronze_event_data::ActiveModel {
        timestamp: Set(now),
        received_at: Set(now),
        message: Set(message.to_string()),
        raw: Set(message.to_string()),
        parser: Set("raw".into()),
        source: Set("test".into()),
        flags: Set(0),
        repeat_count: Set(1),
        fields: Set(serde_json::json!({})),
        ..Default::default()
    }
    .insert(db.state.service().db())
    .await
    .unwrap();
}

async fn status_counts_stored_events_over_rest(db: TestDb) {
    let token = db.token("ana", &["analyst"]).await;
    let (status, _, body) = db.get_with("/api/v1/system/status", &token).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let json: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["database"], db.backend);

    // Signing in is itself an audited event; count from here.
    let before = json["events_total"].as_u64().unwrap();
    insert_event(&db, "first").await;
    insert_event(&db, "second").await;
    let (_, _, body) = db.get_with("/api/v1/system/status", &token).await;
    let json: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["events_total"].as_u64().unwrap(), before + 2);
    assert_eq!(json["version"], env!("CARGO_PKG_VERSION"));
}

async fn server_function_and_rest_agree(db: TestDb) {
    let t = db.sign_in("ana", &["analyst"]).await;
    insert_event(&db, "one").await;
    let req = Request::post("/api/fn/system_status")
        .header("cookie", format!("vigil_access={}", t.access_token))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", "application/json")
        .body(Body::empty())
        .unwrap();
    let (status, _, body) = db.send(req).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let from_fn: Value = serde_json::from_str(&body).unwrap();
    let (_, _, body) = db.get_with("/api/v1/system/status", &t.access_token).await;
    let from_rest: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(from_fn, from_rest);
    assert!(from_fn["events_total"].as_u64().unwrap() >= 1);
}

async fn every_page_renders_the_navigation(db: TestDb) {
    let cookies = db.cookies("root", &["admin"]).await;
    for (path, heading) in [
        ("/", "Dashboard"),
        ("/events", "Events"),
        ("/alerts", "Alerts"),
        ("/rules", "Rules"),
        ("/reports", "Reports"),
        ("/admin", "Admin"),
    ] {
        let (status, headers, body) = db.get_page(path, &cookies).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(
            headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        assert!(
            body.contains(&format!("<h1>{heading}</h1>")),
            "{path}: {body}"
        );
        for link in ["/events", "/alerts", "/rules", "/reports", "/admin"] {
            assert!(
                body.contains(&format!("href=\"{link}\"")),
                "{path} lacks {link}"
            );
        }
        assert!(
            body.contains(&format!("href=\"{path}\" aria-current=\"page\"")),
            "{path} not marked current"
        );
        assert!(
            body.contains("/pkg/vigil.js"),
            "{path} has no hydration script"
        );
    }
}

async fn dashboard_html_carries_its_data_without_javascript(db: TestDb) {
    let cookies = db.cookies("root", &["admin"]).await;
    let (_, _, body) = db.get_page("/", &cookies).await;
    // Every stored event (the sign-in's audit records) falls in the default range, the last 24 h.
    let card = body
        .split("aria-label=\"Events in range\"")
        .nth(1)
        .expect("the stat card is in the server-rendered HTML");
    let stored = server::store::bronze_event_data::Entity::find()
        .count(db.state.service().db())
        .await
        .unwrap();
    assert!(stored > 0);
    assert!(
        card.contains(&format!("<p class=\"stat-value\">{stored}</p>")),
        "{card}"
    );
    assert!(
        !body.contains("Loading…"),
        "suspense fallback left in the HTML"
    );
}

async fn unknown_pages_answer_404_with_a_page(db: TestDb) {
    let cookies = db.cookies("root", &["admin"]).await;
    let (status, _, body) = db.get_page("/no/such/page", &cookies).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body.contains("Page not found"), "{body}");
    assert!(
        body.contains("href=\"/events\""),
        "404 page keeps the navigation"
    );
}

async fn openapi_spec_matches_the_api_routes(db: TestDb) {
    let (status, _, body) = db.get("/api/v1/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    let spec: Value = serde_json::from_str(&body).unwrap();
    assert!(spec["openapi"].as_str().unwrap().starts_with("3."));
    let paths = spec["paths"].as_object().unwrap();
    assert!(paths.contains_key("/api/v1/system/status"));
    for (path, ops) in paths {
        assert!(path.starts_with("/api/v1/"), "{path}");
        for (method, op) in ops.as_object().unwrap() {
            assert!(op["responses"].as_object().is_some_and(|r| !r.is_empty()));
            // Every documented GET without parameters is routed: it never falls to the 404 page.
            if method == "get" && !path.contains('{') {
                let (status, _, _) = db.get(path).await;
                assert_ne!(
                    status,
                    StatusCode::NOT_FOUND,
                    "{path} is in the spec but not routed"
                );
            }
        }
    }
    assert_eq!(
        spec,
        serde_json::to_value(server::http::api::openapi()).unwrap()
    );
}

async fn swagger_ui_is_served_from_vendored_assets(db: TestDb) {
    let (status, _, body) = db.get("/api/docs/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("swagger-ui"), "{body}");
    assert!(
        !body.contains("src=\"http"),
        "swagger page loads a remote script"
    );
    let (status, _, init) = db.get("/api/docs/swagger-initializer.js").await;
    assert_eq!(status, StatusCode::OK);
    assert!(init.contains("/api/v1/openapi.json"), "{init}");
    let (status, _, bundle) = db.get("/api/docs/swagger-ui-bundle.js").await;
    assert_eq!(status, StatusCode::OK);
    assert!(bundle.len() > 100_000);
}

async fn responses_carry_security_headers(db: TestDb) {
    let cookies = db.cookies("root", &["admin"]).await;
    for path in [
        "/",
        "/login",
        "/api/v1/system/status",
        "/no/such/page",
        "/api/docs/",
    ] {
        let (_, headers, _) = db.get_page(path, &cookies).await;
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(headers["x-frame-options"], "DENY", "{path}");
        assert_eq!(headers["referrer-policy"], "no-referrer", "{path}");
        let csp = headers["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(!csp.contains("script-src 'unsafe-inline'"), "{path}: {csp}");
    }
    // A page allows exactly the inline scripts that carry this response's nonce.
    let (_, headers, body) = db.get_page("/", &cookies).await;
    let csp = headers["content-security-policy"].to_str().unwrap();
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .expect("page CSP has a nonce");
    assert!(
        body.contains(&format!("nonce=\"{nonce}\"")),
        "scripts lack the nonce"
    );
    let (_, again, _) = db.get_page("/", &cookies).await;
    assert_ne!(
        again["content-security-policy"], headers["content-security-policy"],
        "nonce reused"
    );
}

async fn migrations_seed_builtin_roles_and_are_idempotent(db: TestDb) {
    let applied = server::store::migrate(db.state.service().db())
        .await
        .unwrap();
    assert_eq!(applied, 0, "a second run applies nothing");
    let roles = role::Entity::find()
        .all(db.state.service().db())
        .await
        .unwrap();
    let mut names: Vec<_> = roles.iter().map(|r| r.name.as_str()).collect();
    names.sort_unstable();
    assert_eq!(names, ["admin", "analyst", "ingest", "viewer"]);
    assert!(roles.iter().all(|r| r.builtin));
    let admin = roles.iter().find(|r| r.name == "admin").unwrap();
    let admin_perms = role_permission::Entity::find()
        .filter(role_permission::Column::RoleId.eq(admin.id))
        .count(db.state.service().db())
        .await
        .unwrap();
    // Every permission, `reports.read_all` (granted by a later migration) included.
    assert_eq!(admin_perms, 14);
    let ingest = roles.iter().find(|r| r.name == "ingest").unwrap();
    let ingest_perms: Vec<String> = role_permission::Entity::find()
        .filter(role_permission::Column::RoleId.eq(ingest.id))
        .all(db.state.service().db())
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.permission)
        .collect();
    assert_eq!(ingest_perms, ["ingest.write"]);
}

async fn created_users_hold_argon2id_hashes_and_roles(db: TestDb) {
    use server::service::users::{CreateUserError, create_user};
    let conn = db.state.service().db();
    let user = create_user(
        conn,
        "alice",
        "a long enough passphrase",
        &["analyst".into()],
    )
    .await
    .unwrap();
    assert!(
        user.password_hash
            .starts_with("$argon2id$v=19$m=19456,t=2,p=1$")
    );
    assert!(server::auth::password::verify(
        "a long enough passphrase",
        &user.password_hash
    ));
    let held = user_role::Entity::find()
        .filter(user_role::Column::UserId.eq(user.id))
        .count(conn)
        .await
        .unwrap();
    assert_eq!(held, 1);

    let dup = create_user(conn, "alice", "another long passphrase", &["viewer".into()]).await;
    assert!(matches!(dup, Err(CreateUserError::Exists(_))), "{dup:?}");
    let short = create_user(conn, "bob", "short", &["viewer".into()]).await;
    assert!(
        matches!(short, Err(CreateUserError::Password(_))),
        "{short:?}"
    );
    let role = create_user(conn, "bob", "a long enough passphrase", &["root".into()]).await;
    assert!(
        matches!(role, Err(CreateUserError::UnknownRole(_))),
        "{role:?}"
    );
}
