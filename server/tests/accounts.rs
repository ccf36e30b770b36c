//! Accounts and access through the router, on SQLite and on MariaDB: tokens, sessions, RBAC on
//! every API operation, CSRF, cookies and the login redirect.

use crate::common;

use axum::body::Body;
use chrono::Utc;
use http::{Request, StatusCode};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};
use serde_json::{Value, json};

use common::{PASSWORD, TestDb};
use server::auth::jwt::AccessClaims;
use server::store::{api_token, audit_log};

backend_suite!(
    login_issues_tokens_and_me_tells_who_is_calling,
    unknown_users_and_wrong_passwords_get_the_same_answer,
    refresh_rotates_and_reuse_revokes_the_session,
    logout_ends_the_session_for_its_tokens,
    every_api_operation_refuses_bad_credentials,
    roles_and_routes_match_the_snapshot,
    api_tokens_carry_their_own_scope,
    cross_site_form_posts_are_refused,
    the_browser_signs_in_with_a_form_and_cookies,
    an_expired_browser_session_renews_silently,
    anonymous_visitors_are_sent_to_the_login_page,
    sign_in_attempts_are_rate_limited_per_address,
    the_first_admin_is_created_once_with_a_private_password,
    cors_answers_only_configured_origins,
    admin_pages_render_for_their_permission_only,
);

fn post_json(uri: &str, body: Value) -> Request<Body> {
    Request::post(uri)
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap()
}

async fn api_login(db: &TestDb, username: &str, password: &str) -> (StatusCode, Value) {
    let (status, _, body) = db
        .send(post_json(
            "/api/v1/auth/login",
            json!({ "username": username, "password": password }),
        ))
        .await;
    (status, serde_json::from_str(&body).unwrap_or(Value::Null))
}

async fn create(db: &TestDb, username: &str, roles: &[&str]) {
    let roles: Vec<String> = roles.iter().map(|r| r.to_string()).collect();
    server::service::users::create_user(db.state.service().db(), username, PASSWORD, &roles)
        .await
        .unwrap();
}

async fn login_failures(db: &TestDb, username: &str) -> u64 {
    audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq("login"))
        .filter(audit_log::Column::Outcome.eq("failure"))
        .filter(audit_log::Column::Target.eq(username))
        .count(db.state.service().db())
        .await
        .unwrap()
}

async fn login_issues_tokens_and_me_tells_who_is_calling(db: TestDb) {
    create(&db, "vera", &["viewer"]).await;
    let (status, tokens) = api_login(&db, "vera", PASSWORD).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["expires_in"], 900);
    assert!(tokens["refresh_token"].as_str().unwrap().len() >= 43);
    let (status, _, body) = db
        .get_with(
            "/api/v1/accounts/me",
            tokens["access_token"].as_str().unwrap(),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let me: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(me["username"], "vera");
    assert_eq!(me["roles"], json!(["viewer"]));
    assert_eq!(
        me["permissions"],
        json!(["events.read", "alerts.read", "rules.read", "reports.read"])
    );
    let success = audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq("login"))
        .filter(audit_log::Column::Outcome.eq("success"))
        .count(db.state.service().db())
        .await
        .unwrap();
    assert_eq!(success, 1);
}

async fn unknown_users_and_wrong_passwords_get_the_same_answer(db: TestDb) {
    create(&db, "vera", &["viewer"]).await;
    let (s1, wrong) = api_login(&db, "vera", "not the right passphrase").await;
    let (s2, unknown) = api_login(&db, "nobody", "not the right passphrase").await;
    assert_eq!(s1, StatusCode::UNAUTHORIZED);
    assert_eq!(s2, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong, unknown);
    assert_eq!(wrong["error"]["code"], "invalid_credentials");
    assert_eq!(login_failures(&db, "vera").await, 1);
    // The name typed for an unknown account is not kept: it is often a misplaced password.
    assert_eq!(login_failures(&db, "nobody").await, 0);
    let unknown = audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq("login"))
        .all(db.state.service().db())
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.details["reason"] == "unknown_user")
        .collect::<Vec<_>>();
    assert_eq!(unknown.len(), 1);
    assert_eq!(unknown[0].target, None);
}

async fn refresh(db: &TestDb, token: &str) -> (StatusCode, Value) {
    let (status, _, body) = db
        .send(post_json(
            "/api/v1/auth/refresh",
            json!({ "refresh_token": token }),
        ))
        .await;
    (status, serde_json::from_str(&body).unwrap_or(Value::Null))
}

async fn refresh_rotates_and_reuse_revokes_the_session(db: TestDb) {
    let first = db.sign_in("vera", &["viewer"]).await;
    let (status, second) = refresh(&db, &first.refresh_token).await;
    assert_eq!(status, StatusCode::OK, "{second}");
    let second_refresh = second["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(second_refresh, first.refresh_token, "rotated");
    let second_access = second["access_token"].as_str().unwrap().to_string();
    assert_eq!(
        db.get_with("/api/v1/accounts/me", &second_access).await.0,
        StatusCode::OK
    );

    // The first token again: theft. The whole family goes.
    assert_eq!(
        refresh(&db, &first.refresh_token).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        refresh(&db, &second_refresh).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        db.get_with("/api/v1/accounts/me", &second_access).await.0,
        StatusCode::UNAUTHORIZED
    );
    let reuse = audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq("refresh_reuse"))
        .count(db.state.service().db())
        .await
        .unwrap();
    // Both presentations after the theft are audited: the used token and the revoked one.
    assert_eq!(reuse, 2);
}

async fn logout_ends_the_session_for_its_tokens(db: TestDb) {
    let t = db.sign_in("vera", &["viewer"]).await;
    let other = db
        .state
        .service()
        .login("vera", PASSWORD, None)
        .await
        .unwrap();
    let req = Request::post("/api/v1/auth/logout")
        .header("authorization", format!("Bearer {}", t.access_token))
        .body(Body::empty())
        .unwrap();
    assert_eq!(db.send(req).await.0, StatusCode::NO_CONTENT);
    assert_eq!(
        db.get_with("/api/v1/accounts/me", &t.access_token).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        refresh(&db, &t.refresh_token).await.0,
        StatusCode::UNAUTHORIZED
    );
    // Signing out in one place leaves the user's other sessions alone.
    assert_eq!(
        db.get_with("/api/v1/accounts/me", &other.access_token)
            .await
            .0,
        StatusCode::OK
    );
}

/// Every operation of the spec, as (method, concrete path).
fn operations(spec: &Value) -> Vec<(String, String, bool)> {
    let mut ops = Vec::new();
    for (path, items) in spec["paths"].as_object().unwrap() {
        for (method, op) in items.as_object().unwrap() {
            let secured = op["security"].as_array().is_some_and(|s| !s.is_empty());
            ops.push((method.to_uppercase(), path.replace("{id}", "1"), secured));
        }
    }
    ops.sort();
    ops
}

async fn call(db: &TestDb, method: &str, path: &str, token: Option<&str>) -> StatusCode {
    call_with(db, method, path, token, json!({})).await
}

async fn call_with(
    db: &TestDb,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Value,
) -> StatusCode {
    let mut req = Request::builder()
        .method(method)
        .uri(path)
        .header("content-type", "application/json");
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    let body = if method == "GET" {
        Body::empty()
    } else {
        Body::from(body.to_string())
    };
    // Only the status: the alert stream's body never ends.
    let res = tower::ServiceExt::oneshot(db.router(), req.body(body).unwrap()).await;
    res.unwrap().status()
}

/// A valid body for each operation, so a refusal is about permission, not input.
fn valid_body(method: &str, path: &str, caller: &str) -> Value {
    match (method, path.split('/').nth(4).unwrap_or_default()) {
        ("POST", "users") if path.ends_with("/password") => json!({}),
        ("POST", "users") => json!({
            "username": format!("made-by-{caller}"), "password": PASSWORD, "roles": ["viewer"]
        }),
        ("PATCH", "users") => json!({ "display_name": "Changed" }),
        ("POST", "roles") => {
            json!({ "name": format!("role-by-{caller}"), "permissions": ["events.read"] })
        }
        ("PATCH", "roles") => json!({ "description": "changed" }),
        ("POST", "tokens") => json!({ "name": "t", "permissions": ["events.read"] }),
        ("POST", "") if path == "/api/v1/logs" => json!({ "message": format!("from {caller}") }),
        ("POST", "raw") => json!({ "raw_log": format!("raw line from {caller}") }),
        ("POST", "") if path == "/api/v1/rules" => json!({
            "name": format!("rule by {caller}"), "kind": "match", "severity": "low",
            "definition": { "query": "event_outcome:failure" }
        }),
        ("POST", "backtest") => json!({
            "rule": { "name": "draft", "kind": "match", "severity": "low",
                      "definition": { "query": "event_outcome:failure" } },
            "from": "2026-01-01T00:00:00Z", "to": "2026-01-02T00:00:00Z"
        }),
        ("POST", _) if path.ends_with("/backtest") => {
            json!({ "from": "2026-01-01T00:00:00Z", "to": "2026-01-02T00:00:00Z" })
        }
        ("POST", "import") => json!({ "files": [{ "name": "r.yml", "yaml": format!(
            "title: sigma by {caller}\nlogsource:\n  category: webserver\ndetection:\n  sel:\n    cs-uri-query|contains: 'x'\n  condition: sel\n"
        ) }] }),
        ("PATCH", _) if path.starts_with("/api/v1/rules/") => json!({ "description": "changed" }),
        ("POST", "") if path == "/api/v1/channels" => json!({
            "name": format!("channel by {caller}"), "kind": "webhook",
            "config": { "url": "http://127.0.0.1:9/hook" }
        }),
        ("PATCH", "channels") => json!({ "rate_limit_per_minute": 30 }),
        ("POST", "") if path == "/api/v1/reports" => {
            json!({ "kind": "summary", "format": "csv", "range": "1h" })
        }
        ("POST", "schedules") => json!({
            "name": format!("schedule by {caller}"), "kind": "summary", "format": "csv",
            "cron": "0 7 * * *", "range": "24h"
        }),
        ("PATCH", "schedules") => json!({ "enabled": false }),
        ("PATCH", _) if path.starts_with("/api/v1/alerts/") => json!({ "status": "acknowledged" }),
        ("POST", "bulk") => json!({ "ids": [1], "status": "acknowledged" }),
        ("POST", _) if path.ends_with("/comments") => {
            json!({ "body": format!("note from {caller}") })
        }
        _ => json!({}),
    }
}

async fn every_api_operation_refuses_bad_credentials(db: TestDb) {
    let spec = serde_json::to_value(server::http::api::openapi()).unwrap();
    let ops = operations(&spec);
    let public: Vec<_> = ops.iter().filter(|o| !o.2).map(|o| o.1.as_str()).collect();
    assert_eq!(
        public,
        ["/api/v1/auth/login", "/api/v1/auth/refresh"],
        "only these are open"
    );

    let t = db.sign_in("root", &["admin"]).await;
    let keys = &db.state.service().auth().keys;
    let (_, claims) = keys.verify(&t.access_token).unwrap();
    let forge = |edit: &dyn Fn(&mut AccessClaims)| {
        let mut c = claims.clone();
        edit(&mut c);
        keys.sign(&c).unwrap()
    };
    let expired = forge(&|c| {
        c.exp = Utc::now().timestamp() - 3600;
        c.iat = c.exp - 900;
        c.nbf = c.iat;
    });
    let wrong_typ = forge(&|c| c.typ = "refresh".into());
    let payload = t.access_token.split('.').nth(1).unwrap().to_string();
    let unsigned: Vec<String> = ["none", "None", "NONE"]
        .iter()
        .map(|alg| {
            use base64::Engine;
            let header = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .encode(format!(r#"{{"alg":"{alg}","typ":"JWT"}}"#));
            format!("{header}.{payload}.")
        })
        .collect();
    let mut bad_signature = t.access_token.clone();
    bad_signature.pop();
    bad_signature.push(if t.access_token.ends_with('A') {
        'B'
    } else {
        'A'
    });
    // A token from before logout.
    let old = db.sign_in("olga", &["admin"]).await;
    let req = Request::post("/api/v1/auth/logout")
        .header("authorization", format!("Bearer {}", old.access_token))
        .body(Body::empty())
        .unwrap();
    assert_eq!(db.send(req).await.0, StatusCode::NO_CONTENT);

    let mut cases: Vec<(&str, Option<String>)> = vec![
        ("no token", None),
        ("expired", Some(expired)),
        ("bad signature", Some(bad_signature)),
        (
            "refresh token as access token",
            Some(t.refresh_token.clone()),
        ),
        ("typ refresh", Some(wrong_typ)),
        ("from before logout", Some(old.access_token.clone())),
        ("garbage", Some("not.a.token".into())),
    ];
    for u in unsigned {
        cases.push(("alg none", Some(u)));
    }
    // User operations act on a bystander, so the admin never disables or resets itself.
    let bystander = server::service::users::create_user(
        db.state.service().db(),
        "bystander",
        PASSWORD,
        &["viewer".into()],
    )
    .await
    .unwrap();
    // Logging out ends the admin's session, so it goes last.
    let mut secured_ops: Vec<_> = ops.iter().filter(|o| o.2).collect();
    secured_ops.sort_by_key(|o| o.1.ends_with("/auth/logout"));
    for (method, path, secured) in secured_ops {
        assert!(*secured);
        let path = &path.replace("/users/1", &format!("/users/{}", bystander.id));
        for (what, token) in &cases {
            let status = call(&db, method, path, token.as_deref()).await;
            assert_eq!(
                status,
                StatusCode::UNAUTHORIZED,
                "{method} {path} with {what}"
            );
        }
        let status = call(&db, method, path, Some(&t.access_token)).await;
        assert_ne!(
            status,
            StatusCode::UNAUTHORIZED,
            "{method} {path} with a good token"
        );
    }
    let rejected = audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq("token_rejected"))
        .count(db.state.service().db())
        .await
        .unwrap();
    assert!(rejected > 0, "rejected tokens are audited");
}

async fn roles_and_routes_match_the_snapshot(db: TestDb) {
    use server::service::users::create_user;
    let spec = serde_json::to_value(server::http::api::openapi()).unwrap();
    let roles = ["admin", "analyst", "viewer", "ingest"];
    let mut tokens = Vec::new();
    for role in roles {
        tokens.push((role, db.token(&format!("{role}-user"), &[role]).await));
    }
    // The objects the operations act on: a user, a custom role and an API token.
    let target = create_user(
        db.state.service().db(),
        "target",
        PASSWORD,
        &["viewer".into()],
    )
    .await
    .unwrap();
    let admin = &tokens[0].1;
    let role_id = {
        let req = Request::post("/api/v1/accounts/roles")
            .header("authorization", format!("Bearer {admin}"))
            .header("content-type", "application/json")
            .body(Body::from(
                json!({ "name": "custom", "permissions": ["events.read"] }).to_string(),
            ))
            .unwrap();
        let (status, _, body) = db.send(req).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        serde_json::from_str::<Value>(&body).unwrap()["id"]
            .as_i64()
            .unwrap()
    };
    let token_id = {
        let req = Request::post("/api/v1/accounts/tokens")
            .header("authorization", format!("Bearer {admin}"))
            .header("content-type", "application/json")
            .body(Body::from(
                json!({ "name": "probe", "permissions": ["events.read"] }).to_string(),
            ))
            .unwrap();
        let (status, _, body) = db.send(req).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        serde_json::from_str::<Value>(&body).unwrap()["token"]["id"]
            .as_i64()
            .unwrap()
    };
    // A notification channel for the channel operations to act on (id 1 in a fresh database);
    // its address is a closed port, so a test send fails at once.
    let (status, channel) = db
        .json(
            "POST",
            "/api/v1/channels",
            admin,
            Some(json!({ "name": "probe", "kind": "webhook",
                         "config": { "url": "http://127.0.0.1:9/probe" } })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{channel}");
    assert_eq!(channel["id"], 1);
    // A report and a schedule of the admin's for the report operations (id 1 each).
    let (status, report) = db
        .json(
            "POST",
            "/api/v1/reports",
            admin,
            Some(json!({ "kind": "summary", "format": "json", "range": "1h" })),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{report}");
    assert_eq!(report["id"], 1);
    let (status, schedule) = db
        .json(
            "POST",
            "/api/v1/reports/schedules",
            admin,
            Some(json!({ "name": "probe", "kind": "summary", "format": "csv",
                         "cron": "0 7 * * *", "range": "24h" })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{schedule}");
    assert_eq!(schedule["id"], 1);
    // An alert for the alert operations to act on (id 1 in a fresh database).
    let now = Utc::now();
    server::store::alert::ActiveModel {
        title: Set("probe".into()),
        severity: Set("low".into()),
        status: Set("open".into()),
        dedup_key: Set(String::new()),
        event_count: Set(1),
        first_seen: Set(now),
        last_seen: Set(now),
        evidence_count: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db.state.service().db())
    .await
    .unwrap();
    let mut table =
        String::from("# operation: status per role (regenerate with VIGIL_UPDATE_SNAPSHOTS=1)\n");
    for (method, template, secured) in operations(&spec) {
        if !secured || template.ends_with("/auth/logout") {
            continue;
        }
        let mut line = format!("{method} {template}:");
        for (role, token) in &tokens {
            let path = match template.split('/').nth(4) {
                Some("users") => template.replace("/1", &format!("/{}", target.id)),
                Some("roles") => template.replace("/1", &format!("/{role_id}")),
                Some("tokens") => template.replace("/1", &format!("/{token_id}")),
                _ => template.clone(),
            };
            let body = valid_body(&method, &path, role);
            let status = call_with(&db, &method, &path, Some(token), body).await;
            line.push_str(&format!(" {role}={}", status.as_u16()));
        }
        table.push_str(&line);
        table.push('\n');
    }
    let file = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/snapshots/rbac.txt");
    if std::env::var_os("VIGIL_UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(file, &table).unwrap();
    }
    let expected = std::fs::read_to_string(file).expect("snapshot exists");
    assert_eq!(table, expected, "role × route table changed");
    assert!(table.contains("ingest=403"), "{table}");
}

async fn api_tokens_carry_their_own_scope(db: TestDb) {
    let owner = server::service::users::create_user(
        db.state.service().db(),
        "owner",
        PASSWORD,
        &["ingest".into()],
    )
    .await
    .unwrap();
    let secret = server::auth::tokens::new_api_token();
    api_token::ActiveModel {
        name: Set("shipper".into()),
        prefix: Set(secret[..8].to_string()),
        token_hash: Set(server::auth::tokens::digest(&secret)),
        permissions: Set(json!(["ingest.write"])),
        created_by: Set(Some(owner.id)),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db.state.service().db())
    .await
    .unwrap();
    let (status, _, body) = db.get_with("/api/v1/accounts/me", &secret).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let me: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(me["permissions"], json!(["ingest.write"]));
    assert_eq!(
        db.get_with("/api/v1/system/status", &secret).await.0,
        StatusCode::FORBIDDEN
    );
    let used = api_token::Entity::find()
        .one(db.state.service().db())
        .await
        .unwrap()
        .unwrap();
    assert!(used.last_used_at.is_some());
    let mut revoked: api_token::ActiveModel = used.into();
    revoked.revoked_at = Set(Some(Utc::now()));
    revoked.update(db.state.service().db()).await.unwrap();
    assert_eq!(
        db.get_with("/api/v1/accounts/me", &secret).await.0,
        StatusCode::UNAUTHORIZED
    );
}

fn form(uri: &str) -> http::request::Builder {
    Request::post(uri).header("content-type", "application/x-www-form-urlencoded")
}

async fn cross_site_form_posts_are_refused(db: TestDb) {
    let cookies = db.cookies("vera", &["viewer"]).await;
    for (header, value) in [
        ("origin", "http://evil.example"),
        ("sec-fetch-site", "cross-site"),
    ] {
        let req = form("/auth/logout")
            .header("host", "127.0.0.1:3000")
            .header("cookie", &cookies)
            .header(header, value)
            .body(Body::empty())
            .unwrap();
        let (status, _, body) = db.send(req).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{header}: {body}");
        assert!(body.contains("csrf"));
    }
    let req = form("/auth/logout")
        .header("host", "127.0.0.1:3000")
        .header("origin", "http://127.0.0.1:3000")
        .header("sec-fetch-site", "same-origin")
        .header("cookie", &cookies)
        .body(Body::empty())
        .unwrap();
    let (status, headers, _) = db.send(req).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers["location"], "/login?signed_out=1");
}

async fn the_browser_signs_in_with_a_form_and_cookies(db: TestDb) {
    create(&db, "vera", &["viewer"]).await;
    let body = format!(
        "username=vera&password={}&next=%2Fevents",
        PASSWORD.replace(' ', "+")
    );
    let (status, headers, _) = db
        .send(form("/auth/login").body(Body::from(body.clone())).unwrap())
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers["location"], "/events");
    let set: Vec<&str> = headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    assert_eq!(set.len(), 2, "{set:?}");
    for c in &set {
        assert!(
            c.contains("HttpOnly") && c.contains("SameSite=Strict") && c.contains("Path=/"),
            "{c}"
        );
    }
    let cookies: Vec<&str> = set.iter().map(|c| c.split(';').next().unwrap()).collect();
    let (status, _, page) = db.get_page("/events", &cookies.join("; ")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("<h1>Events</h1>"));
    assert!(
        !page.contains("href=\"/admin\""),
        "a viewer is not shown Admin"
    );
    let (status, _, page) = db.get_page("/admin", &cookies.join("; ")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(page.contains("You do not have permission"));

    let bad = "username=vera&password=wrong+passphrase+here&next=%2Fevents";
    let (status, headers, _) = db
        .send(form("/auth/login").body(Body::from(bad)).unwrap())
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers["location"], "/login?error=invalid&next=/events");
    assert!(headers.get("set-cookie").is_none());

    // Browsers drop the tab of `/\t/evil.example` and go to `//evil.example`.
    for next in [
        "%2F%09%2Fevil.example",
        "%2F%5Cevil.example",
        "%2F.%2F%2Fevil.example",
    ] {
        let body = format!(
            "username=vera&password={}&next={next}",
            PASSWORD.replace(' ', "+")
        );
        let (status, headers, _) = db
            .send(form("/auth/login").body(Body::from(body)).unwrap())
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert_eq!(headers["location"], "/", "{next}");
    }
}

async fn an_expired_browser_session_renews_silently(db: TestDb) {
    let t = db.sign_in("vera", &["viewer"]).await;
    // The browser dropped the expired access cookie and sends only the refresh cookie.
    let (status, headers, page) = db
        .get_page("/", &format!("vigil_refresh={}", t.refresh_token))
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("<h1>Dashboard</h1>"));
    let renewed: Vec<&str> = headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    assert!(
        renewed.iter().any(|c| c.starts_with("vigil_access=ey")),
        "{renewed:?}"
    );
    assert!(
        renewed
            .iter()
            .any(|c| c.starts_with("vigil_refresh=") && !c.contains(&t.refresh_token))
    );

    // A refresh cookie that no longer works lands on the login page saying why.
    db.state
        .service()
        .logout(
            &db.state
                .service()
                .authenticate_access(&t.access_token)
                .await
                .unwrap()
                .unwrap(),
            None,
        )
        .await
        .unwrap();
    let (status, headers, _) = db
        .get_page("/alerts", &format!("vigil_refresh={}", t.refresh_token))
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers["location"], "/login?next=/alerts&expired=1");
}

async fn anonymous_visitors_are_sent_to_the_login_page(db: TestDb) {
    for path in ["/", "/events", "/admin", "/no/such/page"] {
        let (status, headers, _) = db.get(path).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{path}");
        assert!(
            headers["location"]
                .to_str()
                .unwrap()
                .starts_with("/login?next="),
            "{path}"
        );
    }
    let (status, _, page) = db.get("/login?expired=1").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Your session has expired"));
    assert!(page.contains("action=\"/auth/login\""));
    let (status, _, body) = db.get("/api/v1/system/status").await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "APIs answer 401, not a redirect"
    );
    assert!(body.contains("\"code\":\"unauthorized\""));
    // Server functions too.
    let req = Request::post("/api/fn/system_status")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::empty())
        .unwrap();
    assert_eq!(db.send(req).await.0, StatusCode::UNAUTHORIZED);
}

async fn sign_in_attempts_are_rate_limited_per_address(db: TestDb) {
    let limit = db.state.config().auth_rate_limit;
    // A different name each time, so that only the per-address limit applies.
    for i in 0..limit {
        let (status, _) = api_login(&db, &format!("nobody{i}"), "not the right passphrase").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let (status, headers, body) = db
        .send(post_json(
            "/api/v1/auth/login",
            json!({ "username": "nobody", "password": "x" }),
        ))
        .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    let retry: u64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry));
}

async fn the_first_admin_is_created_once_with_a_private_password(db: TestDb) {
    let dir = tempfile::tempdir().unwrap();
    let secret = server::service::users::bootstrap_admin(db.state.service().db(), dir.path(), None)
        .await
        .unwrap()
        .expect("a password is generated on an empty database");
    let file = server::data_dir::secrets_dir(dir.path())
        .join(server::service::users::INITIAL_ADMIN_PASSWORD_FILE);
    assert!(
        !dir.path()
            .join(server::service::users::INITIAL_ADMIN_PASSWORD_FILE)
            .exists()
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap().trim(), secret);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    let (status, _) = api_login(&db, "admin", &secret).await;
    assert_eq!(status, StatusCode::OK);
    let again = server::service::users::bootstrap_admin(db.state.service().db(), dir.path(), None)
        .await
        .unwrap();
    assert!(again.is_none(), "never twice");
}

async fn cors_answers_only_configured_origins(db: TestDb) {
    let preflight = |origin: &str| {
        Request::builder()
            .method("OPTIONS")
            .uri("/api/v1/accounts/me")
            .header("origin", origin)
            .header("access-control-request-method", "GET")
            .header("access-control-request-headers", "authorization")
            .body(Body::empty())
            .unwrap()
    };
    let (_, headers, _) = db.send(preflight("https://console.example")).await;
    assert!(
        headers.get("access-control-allow-origin").is_none(),
        "empty allowlist by default"
    );

    let mut config = db.state.config().clone();
    config.cors_allowed_origins = vec!["https://console.example".into()];
    let state = db.state.clone().with_config(config);
    let router = server::router(state);
    use tower::ServiceExt;
    let res = router
        .clone()
        .oneshot(preflight("https://console.example"))
        .await
        .unwrap();
    assert_eq!(
        res.headers()["access-control-allow-origin"],
        "https://console.example"
    );
    assert!(
        res.headers()
            .get("access-control-allow-credentials")
            .is_none(),
        "never with cookies"
    );
    let res = router
        .oneshot(preflight("https://evil.example"))
        .await
        .unwrap();
    assert!(res.headers().get("access-control-allow-origin").is_none());
}

async fn admin_pages_render_for_their_permission_only(db: TestDb) {
    let admin = db.cookies("root", &["admin"]).await;
    let viewer = db.cookies("vera", &["viewer"]).await;
    for (path, marker) in [
        ("/admin/users", "aria-label=\"Users\""),
        ("/admin/roles", "aria-label=\"Permissions by role\""),
        ("/admin/tokens", "aria-label=\"API tokens\""),
        ("/admin/audit", "aria-label=\"Audit records\""),
    ] {
        let (status, _, page) = db.get_page(path, &admin).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(page.contains(marker), "{path} lacks its table");
        let (status, _, page) = db.get_page(path, &viewer).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
        assert!(page.contains("You do not have permission"));
    }
    // The users table lists the users, server-rendered.
    let (_, _, page) = db.get_page("/admin/users", &admin).await;
    assert!(
        page.contains("<td>vera</td>") && page.contains("<td>root</td>"),
        "{page}"
    );
    // The matrix shows built-in grants checked and fixed.
    let (_, _, page) = db.get_page("/admin/roles", &admin).await;
    assert!(page.contains("aria-label=\"viewer grants events.read\""));
}
