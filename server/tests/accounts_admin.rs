//! User, role, API token and audit administration over the REST API, on SQLite and MariaDB:
//! what changes, whose sessions end, and what is refused.

use crate::common;

use axum::body::Body;
use http::{Request, StatusCode};
use serde_json::{Value, json};

use common::{PASSWORD, TestDb};

backend_suite!(
    admins_create_users_who_can_then_sign_in,
    role_changes_end_the_users_sessions,
    disabling_a_user_ends_sessions_and_sign_in,
    password_resets_end_sessions_and_generate_once,
    the_last_administrator_cannot_be_lost,
    custom_roles_grant_and_revoke_permissions,
    api_tokens_are_shown_once_scoped_and_revocable,
    the_audit_log_filters_and_pages,
);

async fn login(db: &TestDb, username: &str, password: &str) -> Option<String> {
    let req = Request::post("/api/v1/auth/login")
        .header("content-type", "application/json")
        .body(Body::from(
            json!({ "username": username, "password": password }).to_string(),
        ))
        .unwrap();
    let (status, _, body) = db.send(req).await;
    (status == StatusCode::OK).then(|| {
        serde_json::from_str::<Value>(&body).unwrap()["access_token"]
            .as_str()
            .unwrap()
            .to_string()
    })
}

async fn me_status(db: &TestDb, token: &str) -> StatusCode {
    db.get_with("/api/v1/accounts/me", token).await.0
}

async fn admins_create_users_who_can_then_sign_in(db: TestDb) {
    let admin = db.token("root", &["admin"]).await;
    let (status, created) = db.json("POST",
        "/api/v1/accounts/users",
        &admin,
        Some(json!({ "username": "nina", "roles": ["analyst"], "display_name": "Nina N", "email": "nina@example.com" })),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let generated = created["generated_password"].as_str().unwrap();
    assert!(generated.len() >= 20);
    assert_eq!(created["user"]["roles"], json!(["analyst"]));
    assert_eq!(created["user"]["display_name"], "Nina N");
    assert!(created["user"].get("password_hash").is_none());
    assert!(login(&db, "nina", generated).await.is_some());

    let (status, body) = db
        .json(
            "POST",
            "/api/v1/accounts/users",
            &admin,
            Some(json!({ "username": "nina", "password": PASSWORD, "roles": ["viewer"] })),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let (status, body) = db
        .json(
            "POST",
            "/api/v1/accounts/users",
            &admin,
            Some(json!({ "username": "omar", "password": PASSWORD, "roles": ["superuser"] })),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("superuser")
    );
    let (status, body) = db
        .json(
            "POST",
            "/api/v1/accounts/users",
            &admin,
            Some(json!({ "username": "omar", "password": "password", "roles": ["viewer"] })),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");

    let (status, body) = db.json("POST",
        "/api/v1/accounts/users",
        &admin,
        Some(
            json!({ "username": "omar", "password": "1234567890qwertyuiop", "roles": ["viewer"] }),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("too common")
    );
    let (status, list) = db.json("GET", "/api/v1/accounts/users", &admin, None).await;
    assert_eq!(status, StatusCode::OK);
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["nina", "root"]);
    let (status, _) = db
        .json("GET", "/api/v1/accounts/users/9999", &admin, None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn role_changes_end_the_users_sessions(db: TestDb) {
    let admin = db.token("root", &["admin"]).await;
    let t = db.sign_in("vera", &["viewer"]).await;
    let (_, me) = db
        .json("GET", "/api/v1/accounts/me", &t.access_token, None)
        .await;
    let id = me["id"].as_i64().unwrap();
    let (status, updated) = db
        .json(
            "PATCH",
            &format!("/api/v1/accounts/users/{id}"),
            &admin,
            Some(json!({ "roles": ["analyst"] })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(updated["roles"], json!(["analyst"]));
    assert_eq!(
        me_status(&db, &t.access_token).await,
        StatusCode::UNAUTHORIZED
    );
    let req = Request::post("/api/v1/auth/refresh")
        .header("content-type", "application/json")
        .body(Body::from(
            json!({ "refresh_token": t.refresh_token }).to_string(),
        ))
        .unwrap();
    assert_eq!(db.send(req).await.0, StatusCode::UNAUTHORIZED);
    let fresh = login(&db, "vera", PASSWORD).await.unwrap();
    let (_, me) = db.json("GET", "/api/v1/accounts/me", &fresh, None).await;
    assert!(
        me["permissions"]
            .as_array()
            .unwrap()
            .contains(&json!("alerts.triage"))
    );

    // A change of name alone leaves sessions alone.
    let (status, _) = db
        .json(
            "PATCH",
            &format!("/api/v1/accounts/users/{id}"),
            &admin,
            Some(json!({ "display_name": "Vera V" })),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me_status(&db, &fresh).await, StatusCode::OK);
}

async fn disabling_a_user_ends_sessions_and_sign_in(db: TestDb) {
    let admin = db.token("root", &["admin"]).await;
    let t = db.sign_in("vera", &["viewer"]).await;
    let (_, me) = db
        .json("GET", "/api/v1/accounts/me", &t.access_token, None)
        .await;
    let id = me["id"].as_i64().unwrap();
    let (status, body) = db
        .json(
            "POST",
            &format!("/api/v1/accounts/users/{id}/disable"),
            &admin,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["disabled"], true);
    assert_eq!(
        me_status(&db, &t.access_token).await,
        StatusCode::UNAUTHORIZED
    );
    assert!(login(&db, "vera", PASSWORD).await.is_none());
    let (status, _) = db
        .json(
            "PATCH",
            &format!("/api/v1/accounts/users/{id}"),
            &admin,
            Some(json!({ "disabled": false })),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(login(&db, "vera", PASSWORD).await.is_some());
}

async fn password_resets_end_sessions_and_generate_once(db: TestDb) {
    let admin = db.token("root", &["admin"]).await;
    let t = db.sign_in("vera", &["viewer"]).await;
    let (_, me) = db
        .json("GET", "/api/v1/accounts/me", &t.access_token, None)
        .await;
    let id = me["id"].as_i64().unwrap();
    let uri = format!("/api/v1/accounts/users/{id}/password");
    let (status, body) = db
        .json("POST", &uri, &admin, Some(json!({ "password": "short" })))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(
        me_status(&db, &t.access_token).await,
        StatusCode::OK,
        "a refused reset changes nothing"
    );
    let (status, body) = db.json("POST", &uri, &admin, Some(json!({}))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let generated = body["generated_password"].as_str().unwrap();
    assert_eq!(
        me_status(&db, &t.access_token).await,
        StatusCode::UNAUTHORIZED
    );
    assert!(login(&db, "vera", PASSWORD).await.is_none());
    assert!(login(&db, "vera", generated).await.is_some());
    let (status, body) = db
        .json(
            "POST",
            &uri,
            &admin,
            Some(json!({ "password": "chosen long passphrase" })),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(body["generated_password"].is_null());
}

async fn the_last_administrator_cannot_be_lost(db: TestDb) {
    let admin = db.token("root", &["admin"]).await;
    let (_, me) = db.json("GET", "/api/v1/accounts/me", &admin, None).await;
    let id = me["id"].as_i64().unwrap();
    for change in [json!({ "disabled": true }), json!({ "roles": ["viewer"] })] {
        let (status, body) = db
            .json(
                "PATCH",
                &format!("/api/v1/accounts/users/{id}"),
                &admin,
                Some(change),
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{body}");
    }
    assert_eq!(
        me_status(&db, &admin).await,
        StatusCode::OK,
        "nothing changed"
    );
    // With a second administrator, the first may step down.
    db.sign_in("second", &["admin"]).await;
    let (status, _) = db
        .json(
            "PATCH",
            &format!("/api/v1/accounts/users/{id}"),
            &admin,
            Some(json!({ "roles": ["viewer"] })),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
}

async fn custom_roles_grant_and_revoke_permissions(db: TestDb) {
    let admin = db.token("root", &["admin"]).await;
    let (status, role) = db.json("POST", "/api/v1/accounts/roles", &admin,
        Some(json!({ "name": "auditor", "description": "reads the audit log", "permissions": ["audit.read", "audit.read"] }))).await;
    assert_eq!(status, StatusCode::CREATED, "{role}");
    assert_eq!(role["permissions"], json!(["audit.read"]));
    assert_eq!(role["builtin"], false);
    let role_id = role["id"].as_i64().unwrap();
    let (status, _) = db
        .json(
            "POST",
            "/api/v1/accounts/roles",
            &admin,
            Some(json!({ "name": "auditor", "permissions": [] })),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, _) = db
        .json(
            "POST",
            "/api/v1/accounts/roles",
            &admin,
            Some(json!({ "name": "x", "permissions": ["audit.write"] })),
        )
        .await;
    assert!(
        status.is_client_error(),
        "unknown permission refused: {status}"
    );

    let holder = db.token("ida", &["auditor"]).await;
    assert_eq!(
        db.get_with("/api/v1/audit", &holder).await.0,
        StatusCode::OK
    );
    assert_eq!(
        db.get_with("/api/v1/system/status", &holder).await.0,
        StatusCode::FORBIDDEN
    );

    let (status, updated) = db
        .json(
            "PATCH",
            &format!("/api/v1/accounts/roles/{role_id}"),
            &admin,
            Some(json!({ "permissions": ["events.read"] })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(updated["users"], 1);
    assert_eq!(
        me_status(&db, &holder).await,
        StatusCode::UNAUTHORIZED,
        "holders sign in again"
    );
    let again = login(&db, "ida", PASSWORD).await.unwrap();
    assert_eq!(
        db.get_with("/api/v1/audit", &again).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        db.get_with("/api/v1/system/status", &again).await.0,
        StatusCode::OK
    );

    let (_, roles) = db.json("GET", "/api/v1/accounts/roles", &admin, None).await;
    let builtin = roles
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "viewer")
        .unwrap();
    let builtin_id = builtin["id"].as_i64().unwrap();
    let (status, _) = db
        .json(
            "PATCH",
            &format!("/api/v1/accounts/roles/{builtin_id}"),
            &admin,
            Some(json!({ "permissions": ["users.manage"] })),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, _) = db
        .json(
            "DELETE",
            &format!("/api/v1/accounts/roles/{builtin_id}"),
            &admin,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, _) = db
        .json(
            "DELETE",
            &format!("/api/v1/accounts/roles/{role_id}"),
            &admin,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(me_status(&db, &again).await, StatusCode::UNAUTHORIZED);
}

async fn api_tokens_are_shown_once_scoped_and_revocable(db: TestDb) {
    let admin = db.token("root", &["admin"]).await;
    let (status, created) = db.json("POST", "/api/v1/accounts/tokens", &admin,
        Some(json!({ "name": "edge shipper", "permissions": ["ingest.write"], "expires_in_days": 30 }))).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let secret = created["secret"].as_str().unwrap();
    assert!(secret.starts_with("vgl_"));
    assert_eq!(created["token"]["prefix"], secret[..12]);
    assert_eq!(created["token"]["created_by"], "root");
    assert!(created["token"]["expires_at"].is_string());
    let id = created["token"]["id"].as_i64().unwrap();

    let (_, me) = db.json("GET", "/api/v1/accounts/me", secret, None).await;
    assert_eq!(me["permissions"], json!(["ingest.write"]));
    let (_, list) = db
        .json("GET", "/api/v1/accounts/tokens", &admin, None)
        .await;
    let listed = list.to_string();
    assert!(!listed.contains(secret), "the secret is never listed");
    assert!(list[0]["last_used_at"].is_string());

    // Nobody mints a token more powerful than themselves.
    let (_, _role) = db
        .json(
            "POST",
            "/api/v1/accounts/roles",
            &admin,
            Some(json!({ "name": "tokenkeeper", "permissions": ["tokens.manage", "events.read"] })),
        )
        .await;
    let keeper = db.token("kim", &["tokenkeeper"]).await;
    let (status, body) = db
        .json(
            "POST",
            "/api/v1/accounts/tokens",
            &keeper,
            Some(json!({ "name": "escalate", "permissions": ["users.manage"] })),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, _) = db
        .json(
            "POST",
            "/api/v1/accounts/tokens",
            &keeper,
            Some(json!({ "name": "reader", "permissions": ["events.read"] })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);

    let (status, revoked) = db
        .json(
            "DELETE",
            &format!("/api/v1/accounts/tokens/{id}"),
            &admin,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(revoked["revoked_at"].is_string());
    assert_eq!(me_status(&db, secret).await, StatusCode::UNAUTHORIZED);
}

async fn the_audit_log_filters_and_pages(db: TestDb) {
    let admin = db.token("root", &["admin"]).await;
    for _ in 0..3 {
        assert!(
            login(&db, "root", "wrong passphrase entirely")
                .await
                .is_none()
        );
    }
    let viewer = db.token("vera", &["viewer"]).await;
    assert_eq!(
        db.get_with("/api/v1/audit", &viewer).await.0,
        StatusCode::FORBIDDEN
    );

    let (status, page) = db
        .json(
            "GET",
            "/api/v1/audit?action=login&outcome=failure&limit=2",
            &admin,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert!(
        items
            .iter()
            .all(|i| i["action"] == "login" && i["outcome"] == "failure")
    );
    assert!(
        items[0]["id"].as_i64() > items[1]["id"].as_i64(),
        "newest first"
    );
    let cursor = page["next_cursor"].as_i64().unwrap();
    let (_, rest) = db
        .json(
            "GET",
            &format!("/api/v1/audit?action=login&outcome=failure&limit=2&cursor={cursor}"),
            &admin,
            None,
        )
        .await;
    assert_eq!(rest["items"].as_array().unwrap().len(), 1);
    assert!(rest["next_cursor"].is_null());

    let (_, denied) = db
        .json(
            "GET",
            "/api/v1/audit?action=permission_denied&actor=vera",
            &admin,
            None,
        )
        .await;
    let denied = denied["items"].as_array().unwrap();
    assert_eq!(denied.len(), 1);
    assert_eq!(denied[0]["target"], "audit.read");

    let (status, _) = db
        .json("GET", "/api/v1/audit?outcome=maybe", &admin, None)
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = db
        .json("GET", "/api/v1/audit?from=yesterday", &admin, None)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}
