//! The channels API, on SQLite and on MariaDB: `settings.manage` only, plain SMTP only to
//! loopback, the SMTP password kept but never shown, and rules selecting channels.

use crate::common;

use http::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::json;

use common::TestDb;
use common::notify::{create_channel, create_rule};
use server::store::{audit_log, notification_channel};

backend_suite!(
    channels_need_settings_manage,
    plain_smtp_only_to_loopback,
    channels_hide_the_password_and_rules_select_them,
);

/// Every channel operation needs `settings.manage`: analysts and viewers are refused, and each
/// refusal is audited.
async fn channels_need_settings_manage(db: TestDb) {
    let admin = db.token("root", &["admin"]).await;
    let id = create_channel(
        &db,
        &admin,
        json!({ "name": "hook", "kind": "webhook", "config": { "url": "http://127.0.0.1:9/x" } }),
    )
    .await;
    for role in ["analyst", "viewer"] {
        let token = db.token(&format!("{role}-user"), &[role]).await;
        for (method, uri, body) in [
            ("GET", "/api/v1/channels".to_string(), None),
            (
                "POST",
                "/api/v1/channels".to_string(),
                Some(json!({ "name": "x", "kind": "webhook",
                             "config": { "url": "http://127.0.0.1:9/y" } })),
            ),
            ("GET", format!("/api/v1/channels/{id}"), None),
            (
                "PATCH",
                format!("/api/v1/channels/{id}"),
                Some(json!({ "enabled": false })),
            ),
            ("POST", format!("/api/v1/channels/{id}/test"), None),
            ("DELETE", format!("/api/v1/channels/{id}"), None),
        ] {
            let (status, answer) = db.json(method, &uri, &token, body).await;
            assert_eq!(
                status,
                StatusCode::FORBIDDEN,
                "{role} {method} {uri}: {answer}"
            );
        }
    }
    let (status, list) = db.json("GET", "/api/v1/channels", &admin, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        list.as_array().unwrap().len(),
        1,
        "nothing created by the refused"
    );
    let denied = audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq("permission_denied"))
        .filter(audit_log::Column::Target.eq("settings.manage"))
        .all(db.state.service().db())
        .await
        .unwrap();
    assert_eq!(denied.len(), 12, "every refusal audited");
}

/// Plain SMTP sends passwords and mail in the clear: only to a relay on this machine.
async fn plain_smtp_only_to_loopback(db: TestDb) {
    let admin = db.token("root", &["admin"]).await;
    for host in ["mail.example.com", "192.0.2.25"] {
        let (status, answer) = db
            .json(
                "POST",
                "/api/v1/channels",
                &admin,
                Some(json!({ "name": "m", "kind": "email", "config": {
                    "host": host, "security": "plain",
                    "from": "vigil@example.com", "to": ["soc@example.com"]
                } })),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{host}: {answer}");
        let message = answer["error"]["message"].as_str().unwrap();
        assert!(message.starts_with("config.security"), "{message}");
    }
    let id = create_channel(
        &db,
        &admin,
        json!({ "name": "local relay", "kind": "email", "config": {
            "host": "localhost", "security": "plain",
            "from": "vigil@example.com", "to": ["soc@example.com"]
        } }),
    )
    .await;
    let (status, answer) = db
        .json(
            "PATCH",
            &format!("/api/v1/channels/{id}"),
            &admin,
            Some(json!({ "config": {
                "host": "relay.example.com", "security": "plain",
                "from": "vigil@example.com", "to": ["soc@example.com"]
            } })),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    let (status, answer) = db
        .json(
            "POST",
            "/api/v1/channels",
            &admin,
            Some(json!({ "name": "tls", "kind": "email", "config": {
                "host": "relay.example.com", "security": "tls",
                "from": "vigil@example.com", "to": ["soc@example.com"]
            } })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    assert_eq!(answer["config"]["port"], 465);
}

/// The SMTP password is stored but never returned or audited; a change without one keeps it.
/// Rules carry their channel selection on create, read and change; unknown channels and
/// severities are refused; deleting a channel removes it from the rules.
async fn channels_hide_the_password_and_rules_select_them(db: TestDb) {
    let admin = db.token("root", &["admin"]).await;
    let secret = "correct horse battery staple";
    let config = json!({
        "host": "smtp.example.com", "port": 2525, "security": "starttls",
        "username": "vigil", "password": secret,
        "from": "Vigil <vigil@example.com>", "to": ["soc@example.com"]
    });
    let (status, created) = db
        .json(
            "POST",
            "/api/v1/channels",
            &admin,
            Some(json!({ "name": "mail", "kind": "email", "config": config })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_i64().unwrap();
    assert_eq!(created["config"]["password_set"], true);
    assert_eq!(created["rate_limit_per_minute"], 60);
    assert!(!created.to_string().contains(secret), "{created}");
    let (_, list) = db.json("GET", "/api/v1/channels", &admin, None).await;
    assert!(!list.to_string().contains(secret), "{list}");

    let (status, changed) = db
        .json(
            "PATCH",
            &format!("/api/v1/channels/{id}"),
            &admin,
            Some(json!({ "rate_limit_per_minute": 5, "config": {
                "host": "smtp.example.com", "port": 2525, "username": "vigil",
                "from": "vigil@example.com", "to": ["soc@example.com"]
            } })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(changed["config"]["password_set"], true, "kept: {changed}");
    assert_eq!(changed["rate_limit_per_minute"], 5);
    let stored = notification_channel::Entity::find_by_id(id as i32)
        .one(db.state.service().db())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.config["password"], secret);
    let audit = audit_log::Entity::find()
        .filter(audit_log::Column::Action.starts_with("channel_"))
        .order_by_asc(audit_log::Column::Id)
        .all(db.state.service().db())
        .await
        .unwrap();
    let actions: Vec<&str> = audit.iter().map(|a| a.action.as_str()).collect();
    assert_eq!(actions, ["channel_create", "channel_update"]);
    assert!(
        audit.iter().all(|a| !format!("{a:?}").contains(secret)),
        "{audit:?}"
    );

    for (field, bad) in [
        (
            "rate_limit_per_minute",
            json!({ "rate_limit_per_minute": 0 }),
        ),
        (
            "config.to",
            json!({ "config": {
            "host": "smtp.example.com", "username": "vigil",
            "from": "vigil@example.com", "to": ["not an address"] } }),
        ),
    ] {
        let (status, answer) = db
            .json(
                "PATCH",
                &format!("/api/v1/channels/{id}"),
                &admin,
                Some(bad),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
        assert!(
            answer["error"]["message"]
                .as_str()
                .unwrap()
                .starts_with(field),
            "{answer}"
        );
    }

    let rule = create_rule(
        &db,
        &admin,
        json!([{ "channel_id": id, "min_severity": "critical" }]),
    )
    .await;
    let rule_id = rule["id"].as_i64().unwrap();
    assert_eq!(
        rule["channels"],
        json!([{ "channel_id": id, "min_severity": "critical" }])
    );
    let (_, got) = db
        .json("GET", &format!("/api/v1/rules/{rule_id}"), &admin, None)
        .await;
    assert_eq!(got["channels"], rule["channels"]);
    for bad in [
        json!({ "channels": [{ "channel_id": 999_999 }] }),
        json!({ "channels": [{ "channel_id": id, "min_severity": "urgent" }] }),
        json!({ "channels": [{ "channel_id": id }, { "channel_id": id }] }),
    ] {
        let (status, answer) = db
            .json(
                "PATCH",
                &format!("/api/v1/rules/{rule_id}"),
                &admin,
                Some(bad),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
        assert!(
            answer["error"]["message"]
                .as_str()
                .unwrap()
                .starts_with("channels"),
            "{answer}"
        );
    }
    let (status, _) = db
        .json("DELETE", &format!("/api/v1/channels/{id}"), &admin, None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, got) = db
        .json("GET", &format!("/api/v1/rules/{rule_id}"), &admin, None)
        .await;
    assert_eq!(got["channels"], json!([]));
    let (status, _) = db
        .json("GET", &format!("/api/v1/channels/{id}"), &admin, None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
