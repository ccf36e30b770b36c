//! Abuse of sign-in and authentication, on SQLite and on MariaDB: guessing passwords from one
//! address, in parallel and from many; user names built to confuse the lookup; IPv6 and proxied
//! callers under the rate limit; and anonymous requests that would write without limit.

use crate::common;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::body::Body;
use axum::extract::ConnectInfo;
use http::{Request, StatusCode};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use tower::ServiceExt;

use common::{PASSWORD, TestDb};
use server::AppState;
use server::auth::throttle::{Limits, LoginThrottle};
use server::store::audit_log;

backend_suite!(
    an_attacker_slows_down_only_their_own_address,
    parallel_guesses_get_no_more_than_the_allowance,
    the_ceiling_caps_guesses_from_everywhere_but_known_addresses,
    unknown_accounts_are_throttled_alike,
    user_names_are_checked_before_the_lookup,
    ipv6_neighbours_share_one_limit,
    forwarded_addresses_count_only_behind_trusted_proxies,
    bogus_credentials_leave_one_record_a_minute,
    stored_inputs_are_capped,
);

const WRONG: &str = "not the right passphrase";

fn login_request(from: &str, username: &str, password: &str) -> Request<Body> {
    let mut req = Request::post("/api/v1/auth/login")
        .header("content-type", "application/json")
        .body(Body::from(
            json!({ "username": username, "password": password }).to_string(),
        ))
        .unwrap();
    let ip: IpAddr = from.parse().unwrap();
    req.extensions_mut()
        .insert(ConnectInfo(SocketAddr::new(ip, 40_000)));
    req
}

/// Signs in through `state`'s router from the address `from`.
async fn login_via(state: &AppState, from: &str, username: &str, password: &str) -> StatusCode {
    let router = server::router(state.clone());
    let res = router
        .oneshot(login_request(from, username, password))
        .await
        .unwrap();
    res.status()
}

async fn login_from(db: &TestDb, from: &str, username: &str, password: &str) -> StatusCode {
    login_via(&db.state, from, username, password).await
}

/// `db`'s state with a throttle whose backoff is an hour, so that no test depends on how fast
/// its requests follow each other.
fn patient(db: &TestDb, account_ceiling: u32) -> AppState {
    let mut auth = db.state.service().auth().clone();
    auth.throttle = Arc::new(LoginThrottle::new(Limits {
        base_delay: std::time::Duration::from_secs(3600),
        max_delay: std::time::Duration::from_secs(7200),
        account_ceiling,
        ..Limits::default()
    }));
    db.state.clone().with_auth(auth)
}

async fn create(db: &TestDb, username: &str) {
    server::service::users::create_user(
        db.state.service().db(),
        username,
        PASSWORD,
        &["viewer".into()],
    )
    .await
    .unwrap();
}

async fn audit(db: &TestDb, action: &str) -> Vec<audit_log::Model> {
    audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq(action))
        .all(db.state.service().db())
        .await
        .unwrap()
}

async fn an_attacker_slows_down_only_their_own_address(db: TestDb) {
    let state = patient(&db, 50);
    create(&db, "vera").await;
    let attacker = "203.0.113.9";
    for _ in 0..5 {
        assert_eq!(
            login_via(&state, attacker, "vera", WRONG).await,
            StatusCode::UNAUTHORIZED
        );
    }
    // The attacker's address now waits, even with the right password.
    let res = server::router(state.clone())
        .oneshot(login_request(attacker, "vera", WRONG))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((3000..=3600).contains(&retry), "{retry}");
    assert_eq!(
        login_via(&state, attacker, "vera", PASSWORD).await,
        StatusCode::TOO_MANY_REQUESTS
    );
    // The owner, elsewhere, signs in as usual.
    assert_eq!(
        login_via(&state, "198.51.100.20", "vera", PASSWORD).await,
        StatusCode::OK
    );
    let throttled = audit(&db, "login_throttled").await;
    assert_eq!(throttled.len(), 1, "one record a minute per address");
    assert_eq!(throttled[0].target.as_deref(), Some("vera"));
    assert_eq!(throttled[0].source_ip.as_deref(), Some(attacker));
}

async fn parallel_guesses_get_no_more_than_the_allowance(db: TestDb) {
    create(&db, "vera").await;
    let router = server::router(patient(&db, 50));
    let start = Arc::new(tokio::sync::Barrier::new(12));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..12 {
        let (router, start) = (router.clone(), start.clone());
        tasks.spawn(async move {
            start.wait().await;
            let req = login_request("203.0.113.9", "vera", WRONG);
            router.oneshot(req).await.unwrap().status()
        });
    }
    let statuses: Vec<StatusCode> = tasks.join_all().await;
    let guessed = statuses
        .iter()
        .filter(|s| **s == StatusCode::UNAUTHORIZED)
        .count();
    let refused = statuses
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!((guessed, refused), (5, 7), "{statuses:?}");
    let failures = audit(&db, "login")
        .await
        .into_iter()
        .filter(|r| r.details["reason"] == "bad_password")
        .count();
    assert_eq!(failures, 5, "only five passwords were tried");
}

async fn the_ceiling_caps_guesses_from_everywhere_but_known_addresses(db: TestDb) {
    let state = patient(&db, 6);
    create(&db, "vera").await;
    let home = "198.51.100.20";
    assert_eq!(
        login_via(&state, home, "vera", PASSWORD).await,
        StatusCode::OK
    );
    // Three addresses, two guesses each, reach the ceiling of six.
    for bot in ["203.0.113.1", "203.0.113.2", "203.0.113.3"] {
        for _ in 0..2 {
            assert_eq!(
                login_via(&state, bot, "vera", WRONG).await,
                StatusCode::UNAUTHORIZED
            );
        }
    }
    assert_eq!(
        login_via(&state, "203.0.113.4", "vera", WRONG).await,
        StatusCode::TOO_MANY_REQUESTS,
        "a new address waits for the window to end"
    );
    assert_eq!(
        login_via(&state, "192.0.2.77", "vera", PASSWORD).await,
        StatusCode::TOO_MANY_REQUESTS,
        "the right password too, from an address never used before"
    );
    assert_eq!(
        login_via(&state, home, "vera", PASSWORD).await,
        StatusCode::OK,
        "the owner's usual address still gets in"
    );
}

async fn unknown_accounts_are_throttled_alike(db: TestDb) {
    let state = patient(&db, 50);
    create(&db, "vera").await;
    let mut answers = Vec::new();
    for name in ["vera", "nobody"] {
        let mut statuses = Vec::new();
        for _ in 0..6 {
            statuses.push(login_via(&state, "203.0.113.9", name, WRONG).await);
        }
        answers.push(statuses);
    }
    assert_eq!(answers[0], answers[1], "the answers do not tell who exists");
    assert_eq!(answers[0][5], StatusCode::TOO_MANY_REQUESTS);
}

async fn user_names_are_checked_before_the_lookup(db: TestDb) {
    create(&db, "vera").await;
    // MariaDB's PAD SPACE collation would find `vera` for this name.
    let padded = format!("vera{}", " ".repeat(300));
    let long = "v".repeat(10_000);
    for name in [padded.as_str(), long.as_str(), "<script>", ""] {
        assert_eq!(
            login_from(&db, "203.0.113.9", name, PASSWORD).await,
            StatusCode::UNAUTHORIZED,
            "{name:.20}"
        );
    }
    let refused = audit(&db, "login")
        .await
        .into_iter()
        .filter(|r| r.details["reason"] == "invalid_username")
        .collect::<Vec<_>>();
    assert_eq!(refused.len(), 4, "every refusal is recorded");
    assert!(refused.iter().all(|r| r.target.is_none()));
}

async fn ipv6_neighbours_share_one_limit(db: TestDb) {
    let limit = db.state.config().auth_rate_limit;
    // Every request from another address of one /64, and for another name.
    for i in 0..limit {
        let from = format!("2001:db8:1:2::{:x}", i + 1);
        assert_eq!(
            login_from(&db, &from, &format!("ghost{i}"), WRONG).await,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        login_from(&db, "2001:db8:1:2:ffff::1", "ghost", WRONG).await,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        login_from(&db, "2001:db8:1:3::1", "ghost", WRONG).await,
        StatusCode::UNAUTHORIZED,
        "the next /64 has its own limit"
    );
}

fn forwarded(peer: &str, client: &str, username: &str) -> Request<Body> {
    let mut req = login_request(peer, username, WRONG);
    req.headers_mut()
        .insert("x-forwarded-for", client.parse().unwrap());
    req
}

async fn forwarded_addresses_count_only_behind_trusted_proxies(db: TestDb) {
    let limit = db.state.config().auth_rate_limit as usize;
    // Without trusted proxies the header is the client's word and changes nothing.
    let router = db.router();
    let mut statuses = Vec::new();
    for i in 0..=limit {
        let req = forwarded("203.0.113.9", &format!("198.51.100.{i}"), &format!("a{i}"));
        statuses.push(router.clone().oneshot(req).await.unwrap().status());
    }
    assert_eq!(
        statuses[limit],
        StatusCode::TOO_MANY_REQUESTS,
        "{statuses:?}"
    );

    // Behind a trusted proxy, each forwarded client counts on its own and is what is audited.
    let mut config = db.state.config().clone();
    config.trusted_proxies = vec!["127.0.0.0/8".parse().unwrap()];
    let state = db.state.clone().with_config(config);
    let router = server::router(state);
    for i in 0..=limit {
        let req = forwarded(
            "127.0.0.1",
            &format!("9.9.9.9, 192.0.2.{i}"),
            &format!("b{i}"),
        );
        let status = router.clone().oneshot(req).await.unwrap().status();
        assert_eq!(status, StatusCode::UNAUTHORIZED, "request {i}");
    }
    let last = audit(&db, "login").await.pop().unwrap();
    assert_eq!(last.source_ip, Some(format!("192.0.2.{limit}")));
}

async fn bogus_credentials_leave_one_record_a_minute(db: TestDb) {
    for i in 0..25 {
        let mut req = Request::get(format!("/api/v1/accounts/me?{i}"))
            .header("authorization", format!("Bearer forged.token.{i}"))
            .body(Body::empty())
            .unwrap();
        req.extensions_mut()
            .insert(ConnectInfo(SocketAddr::from(([203, 0, 113, 9], 1))));
        assert_eq!(db.send(req).await.0, StatusCode::UNAUTHORIZED);
        let mut req = Request::get("/events")
            .header("cookie", format!("vigil_refresh=made-up-{i}"))
            .body(Body::empty())
            .unwrap();
        req.extensions_mut()
            .insert(ConnectInfo(SocketAddr::from(([203, 0, 113, 9], 1))));
        assert_eq!(db.send(req).await.0, StatusCode::SEE_OTHER);
    }
    for action in ["token_rejected", "refresh"] {
        let rows = audit(&db, action).await;
        assert_eq!(rows.len(), 1, "{action}");
        assert_eq!(rows[0].details["count"], 1);
        assert_eq!(rows[0].source_ip.as_deref(), Some("203.0.113.9"));
    }
}

async fn stored_inputs_are_capped(db: TestDb) {
    let path = format!("/api/v1/{}", "a".repeat(5000));
    let req = Request::get(&path)
        .header("authorization", "Bearer forged")
        .body(Body::empty())
        .unwrap();
    let (status, _, body) = db.send(req).await;
    assert_ne!(status, StatusCode::INTERNAL_SERVER_ERROR, "{body}");
    let rows = audit(&db, "token_rejected").await;
    assert_eq!(rows.len(), 1);
    let target = rows[0].target.as_deref().unwrap();
    assert_eq!(target.chars().count(), 255);
    assert!(path.starts_with(target));

    // A role name far over any column, refused, is recorded capped as well.
    let admin = db.token("root", &["admin"]).await;
    let huge = "r".repeat(20_000);
    let req = Request::post("/api/v1/accounts/users")
        .header("authorization", format!("Bearer {admin}"))
        .header("content-type", "application/json")
        .body(Body::from(
            json!({ "username": "nina", "password": PASSWORD, "roles": [huge] }).to_string(),
        ))
        .unwrap();
    let (status, _, body) = db.send(req).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let failed = audit(&db, "user_create").await;
    let reason = failed[0].details["reason"].as_str().unwrap();
    assert!(reason.chars().count() <= 255, "{}", reason.len());
    let stored: Value = serde_json::to_value(&failed[0].details).unwrap();
    assert!(stored.to_string().len() < 2000);

    // Details longer than their columns are refused, on both backends, before anything is made.
    for (uri, body) in [
        (
            "/api/v1/accounts/users",
            json!({ "username": "nina", "password": PASSWORD, "roles": ["viewer"], "display_name": "n".repeat(256) }),
        ),
        (
            "/api/v1/accounts/users",
            json!({ "username": "nina", "password": PASSWORD, "roles": ["viewer"], "email": format!("{}@example.com", "n".repeat(250)) }),
        ),
        (
            "/api/v1/accounts/roles",
            json!({ "name": "wordy", "description": "d".repeat(1001), "permissions": [] }),
        ),
    ] {
        let req = Request::post(uri)
            .header("authorization", format!("Bearer {admin}"))
            .header("content-type", "application/json")
            .body(Body::from(body.to_string()))
            .unwrap();
        let (status, _, answer) = db.send(req).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    }
    let (_, _, users) = db.get_with("/api/v1/accounts/users", &admin).await;
    assert!(!users.contains("nina"), "{users}");
}
