//! Privilege boundaries, on SQLite and on MariaDB: sessions belong to their user, API tokens
//! never outlast their creator's rights, nobody grants what they do not hold, Vigil's audit
//! events need `audit.read`, and racing creates answer 409.

use crate::common;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::ConnectInfo;
use chrono::{DateTime, Utc};
use http::{Request, StatusCode};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use tower::ServiceExt;

use common::{PASSWORD, TestDb};
use server::store::{api_token, audit_log, bronze_event_data, user};

backend_suite!(
    a_session_belongs_to_its_user,
    api_tokens_follow_their_creators_rights,
    a_child_token_never_outlives_its_parent,
    nobody_grants_what_they_do_not_hold,
    audit_events_need_audit_read_and_hold_no_secrets,
    racing_creates_conflict_instead_of_failing,
);

async fn user_id(db: &TestDb, name: &str) -> i32 {
    user::Entity::find()
        .filter(user::Column::Username.eq(name))
        .one(db.state.service().db())
        .await
        .unwrap()
        .unwrap()
        .id
}

async fn a_session_belongs_to_its_user(db: TestDb) {
    let alice = db.sign_in("alice", &["viewer"]).await;
    let bob = db.sign_in("bob", &["viewer"]).await;
    let req = Request::post("/api/v1/auth/logout")
        .header("authorization", format!("Bearer {}", alice.access_token))
        .body(Body::empty())
        .unwrap();
    assert_eq!(db.send(req).await.0, StatusCode::NO_CONTENT);
    // Alice's claims with Bob's live session: a session id is no key to another account.
    let keys = &db.state.service().auth().keys;
    let (_, mut claims) = keys.verify(&alice.access_token).unwrap();
    let (_, bobs) = keys.verify(&bob.access_token).unwrap();
    claims.sid = bobs.sid;
    let forged = keys.sign(&claims).unwrap();
    assert_eq!(
        db.get_with("/api/v1/accounts/me", &forged).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        db.get_with("/api/v1/accounts/me", &bob.access_token)
            .await
            .0,
        StatusCode::OK
    );
}

async fn set_disabled(db: &TestDb, id: i32, disabled: bool) {
    user::Entity::update_many()
        .col_expr(user::Column::Disabled, Expr::value(disabled))
        .filter(user::Column::Id.eq(id))
        .exec(db.state.service().db())
        .await
        .unwrap();
}

async fn api_tokens_follow_their_creators_rights(db: TestDb) {
    let root = db.token("root", &["admin"]).await;
    let (status, role) = db.json("POST", "/api/v1/accounts/roles", &root,
        Some(json!({ "name": "keeper", "permissions": ["tokens.manage", "events.read", "ingest.write"] }))).await;
    assert_eq!(status, StatusCode::CREATED, "{role}");
    let role_id = role["id"].as_i64().unwrap();
    let tina = db.token("tina", &["keeper"]).await;
    let tina_id = user_id(&db, "tina").await;
    let (status, created) = db
        .json(
            "POST",
            "/api/v1/accounts/tokens",
            &tina,
            Some(json!({ "name": "shipper", "permissions": ["events.read", "ingest.write"] })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let secret = created["secret"].as_str().unwrap().to_string();
    assert_eq!(search(&db, &secret).await, StatusCode::OK);

    // The role loses a permission: so does the token.
    let (status, _) = db
        .json(
            "PATCH",
            &format!("/api/v1/accounts/roles/{role_id}"),
            &root,
            Some(json!({ "permissions": ["tokens.manage", "ingest.write"] })),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(search(&db, &secret).await, StatusCode::FORBIDDEN);
    let (_, me) = db.json("GET", "/api/v1/accounts/me", &secret, None).await;
    assert_eq!(me["permissions"], json!(["ingest.write"]));

    // Tina's roles change: the token keeps only what both its scope and she hold.
    let (status, _) = db
        .json(
            "PATCH",
            &format!("/api/v1/accounts/users/{tina_id}"),
            &root,
            Some(json!({ "roles": ["viewer"] })),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, me) = db.json("GET", "/api/v1/accounts/me", &secret, None).await;
    assert_eq!(me["permissions"], json!(["events.read"]));
    assert_eq!(search(&db, &secret).await, StatusCode::OK);

    // Only while she is enabled, however that happens.
    set_disabled(&db, tina_id, true).await;
    assert_eq!(search(&db, &secret).await, StatusCode::UNAUTHORIZED);
    set_disabled(&db, tina_id, false).await;
    assert_eq!(search(&db, &secret).await, StatusCode::OK);

    // Disabling her revokes her tokens for good.
    let (status, body) = db
        .json(
            "POST",
            &format!("/api/v1/accounts/users/{tina_id}/disable"),
            &root,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _) = db
        .json(
            "PATCH",
            &format!("/api/v1/accounts/users/{tina_id}"),
            &root,
            Some(json!({ "disabled": false })),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(search(&db, &secret).await, StatusCode::UNAUTHORIZED);
    let token = api_token::Entity::find()
        .one(db.state.service().db())
        .await
        .unwrap()
        .unwrap();
    assert!(token.revoked_at.is_some());
}

async fn search(db: &TestDb, token: &str) -> StatusCode {
    db.get_with("/api/v1/logs", token).await.0
}

fn expiry(token: &Value) -> DateTime<Utc> {
    token["expires_at"].as_str().unwrap().parse().unwrap()
}

async fn a_child_token_never_outlives_its_parent(db: TestDb) {
    let root = db.token("root", &["admin"]).await;
    let (status, parent) = db.json("POST", "/api/v1/accounts/tokens", &root,
        Some(json!({ "name": "parent", "permissions": ["tokens.manage", "events.read"], "expires_in_days": 5 }))).await;
    assert_eq!(status, StatusCode::CREATED, "{parent}");
    let limit = expiry(&parent["token"]);
    let secret = parent["secret"].as_str().unwrap();

    let (status, child) = db
        .json(
            "POST",
            "/api/v1/accounts/tokens",
            secret,
            Some(json!({ "name": "forever", "permissions": ["events.read"] })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{child}");
    assert!(
        !child["token"]["expires_at"].is_null(),
        "a child of an expiring token expires"
    );
    assert!(expiry(&child["token"]) <= limit);

    let (status, body) = db
        .json(
            "POST",
            "/api/v1/accounts/tokens",
            secret,
            Some(
                json!({ "name": "longer", "permissions": ["events.read"], "expires_in_days": 30 }),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");

    let (status, child) = db
        .json(
            "POST",
            "/api/v1/accounts/tokens",
            secret,
            Some(
                json!({ "name": "shorter", "permissions": ["events.read"], "expires_in_days": 2 }),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert!(expiry(&child["token"]) < limit);
}

async fn nobody_grants_what_they_do_not_hold(db: TestDb) {
    let root = db.token("root", &["admin"]).await;
    for (name, permissions) in [
        (
            "usermgr",
            json!([
                "users.manage",
                "events.read",
                "alerts.read",
                "rules.read",
                "reports.read"
            ]),
        ),
        ("rolemgr", json!(["roles.manage", "events.read"])),
    ] {
        let (status, body) = db
            .json(
                "POST",
                "/api/v1/accounts/roles",
                &root,
                Some(json!({ "name": name, "permissions": permissions })),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let uma = db.token("uma", &["usermgr"]).await;
    let uma_id = user_id(&db, "uma").await;
    let root_id = user_id(&db, "root").await;
    let new_user =
        |roles: Value| Some(json!({ "username": "eve", "password": PASSWORD, "roles": roles }));
    let (status, body) = db
        .json(
            "POST",
            "/api/v1/accounts/users",
            &uma,
            new_user(json!(["admin"])),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("admin"));
    let (status, _) = db
        .json(
            "PATCH",
            &format!("/api/v1/accounts/users/{uma_id}"),
            &uma,
            Some(json!({ "roles": ["usermgr", "admin"] })),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "no self-promotion"
    );
    let (status, _) = db
        .json(
            "POST",
            &format!("/api/v1/accounts/users/{root_id}/password"),
            &uma,
            Some(json!({})),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "no taking over a stronger account"
    );
    // What she holds herself, she may grant; and she may manage users who hold no more.
    let (status, body) = db
        .json(
            "POST",
            "/api/v1/accounts/users",
            &uma,
            new_user(json!(["viewer"])),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let eve_id = body["user"]["id"].as_i64().unwrap();
    let (status, _) = db
        .json(
            "POST",
            &format!("/api/v1/accounts/users/{eve_id}/password"),
            &uma,
            Some(json!({})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = db
        .json(
            "PATCH",
            &format!("/api/v1/accounts/users/{uma_id}"),
            &uma,
            Some(json!({ "display_name": "Uma", "roles": ["usermgr"] })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "keeping what one has is no grant");

    let rex = db.token("rex", &["rolemgr"]).await;
    let (status, _) = db
        .json(
            "POST",
            "/api/v1/accounts/roles",
            &rex,
            Some(json!({ "name": "sneaky", "permissions": ["users.manage"] })),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (_, roles) = db.json("GET", "/api/v1/accounts/roles", &rex, None).await;
    let role_id = |name: &str| {
        roles
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == name)
            .unwrap()["id"]
            .as_i64()
            .unwrap()
    };
    let (status, _) = db
        .json(
            "PATCH",
            &format!("/api/v1/accounts/roles/{}", role_id("rolemgr")),
            &rex,
            Some(json!({ "permissions": ["roles.manage", "events.read", "users.manage"] })),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "no self-promotion"
    );
    let (status, _) = db
        .json(
            "POST",
            "/api/v1/accounts/roles",
            &rex,
            Some(json!({ "name": "readers", "permissions": ["events.read"] })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let denied = audit_log::Entity::find()
        .filter(audit_log::Column::Outcome.eq("failure"))
        .filter(audit_log::Column::ActorName.is_in(["uma", "rex"]))
        .all(db.state.service().db())
        .await
        .unwrap();
    assert_eq!(denied.len(), 5, "every refusal is audited");
}

async fn audit_events_need_audit_read_and_hold_no_secrets(db: TestDb) {
    let admin = db.token("root", &["admin"]).await;
    let signed_in = db.sign_in("vera", &["viewer"]).await;
    let viewer = signed_in.access_token.clone();
    let (_, claims) = db.state.service().auth().keys.verify(&viewer).unwrap();
    let from = |name: &str, password: &str| {
        let mut req = Request::post("/api/v1/auth/login")
            .header("content-type", "application/json")
            .body(Body::from(
                json!({ "username": name, "password": password }).to_string(),
            ))
            .unwrap();
        req.extensions_mut()
            .insert(ConnectInfo(SocketAddr::from(([192, 0, 2, 50], 1))));
        req
    };
    // A password typed into the name field, and a wrong password for Vera.
    assert_eq!(
        db.send(from("Tr0ub4dor-and-3", "x")).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        db.send(from("vera", "wrong passphrase here")).await.0,
        StatusCode::UNAUTHORIZED
    );

    let (status, page) = db
        .json("GET", "/api/v1/logs?source=vigil", &viewer, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        page["items"],
        json!([]),
        "events.read alone sees no audit events"
    );
    let (_, page) = db
        .json("GET", "/api/v1/logs?source=vigil", &admin, None)
        .await;
    let items = page["items"].as_array().unwrap();
    let failed = items
        .iter()
        .find(|e| {
            e["event_action"] == "vigil_login"
                && e["user_name"] == "vera"
                && e["event_outcome"] == "failure"
        })
        .expect("the failed sign-in of an existing account, by name");
    assert_eq!(failed["source_ip"], "192.0.2.50");
    let id = failed["id"].as_i64().unwrap();
    assert_eq!(
        db.json("GET", &format!("/api/v1/logs/{id}"), &viewer, None)
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        db.json("GET", &format!("/api/v1/logs/{id}"), &admin, None)
            .await
            .0,
        StatusCode::OK
    );

    // No event, and no audit record, keeps the mistyped password; no event keeps a session id.
    let events = bronze_event_data::Entity::find()
        .all(db.state.service().db())
        .await
        .unwrap();
    let records = audit_log::Entity::find()
        .all(db.state.service().db())
        .await
        .unwrap();
    let everything = format!("{events:?}{records:?}");
    assert!(
        !everything.contains("Tr0ub4dor"),
        "the typed name was stored"
    );
    assert!(
        !format!("{events:?}").contains(&claims.sid),
        "a session id reached the events"
    );
    assert!(
        format!("{records:?}").contains(&claims.sid),
        "the audit log keeps the session"
    );
}

async fn racing_creates_conflict_instead_of_failing(db: TestDb) {
    let admin = db.token("root", &["admin"]).await;
    let router = db.router();
    for (uri, body) in [
        (
            "/api/v1/accounts/users",
            json!({ "username": "twin", "password": PASSWORD, "roles": ["viewer"] }),
        ),
        (
            "/api/v1/accounts/roles",
            json!({ "name": "twins", "permissions": ["events.read"] }),
        ),
    ] {
        let start = Arc::new(tokio::sync::Barrier::new(6));
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..6 {
            let (router, start, admin, body) =
                (router.clone(), start.clone(), admin.clone(), body.clone());
            tasks.spawn(async move {
                let req = Request::post(uri)
                    .header("authorization", format!("Bearer {admin}"))
                    .header("content-type", "application/json")
                    .body(Body::from(body.to_string()))
                    .unwrap();
                start.wait().await;
                router.oneshot(req).await.unwrap().status()
            });
        }
        let mut statuses: Vec<u16> = tasks.join_all().await.iter().map(|s| s.as_u16()).collect();
        statuses.sort();
        assert_eq!(statuses, [201, 409, 409, 409, 409, 409], "{uri}");
    }
}
