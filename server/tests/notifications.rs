//! Notifications through real receivers, on SQLite and on MariaDB: a local HTTP server gets the
//! webhook (generic and Slack-shaped), a local SMTP server (aiosmtpd) gets the e-mail, each
//! with the alert's title, severity, group key and link; a receiver that is down at first still
//! gets its message once; the per-channel rate limit holds back, never drops.

use crate::common;

use std::collections::BTreeSet;
use std::time::Duration;

use http::StatusCode;
use sea_orm::EntityTrait;
use serde_json::json;

use common::TestDb;
use common::notify::{
    Receiver, Smtpd, Worker, create_channel, create_rule, eventually, header, invalid_user, outbox,
    raise, self_signed, submit, submit_as,
};
use common::process::free_port;
use server::parse::ParserKind;
use server::store::alert;

backend_suite!(
    webhook_and_slack_receive_the_alert,
    email_reaches_a_real_smtp_server,
    a_receiver_down_at_first_gets_it_once,
    the_rate_limit_holds_back_and_drops_nothing,
    tls_to_an_untrusted_server_is_refused,
    log_content_cannot_add_mail_headers,
);

/// A generic webhook and a Slack webhook get the alert with its title, severity, group key and
/// link; a channel whose minimum severity the alert does not meet gets nothing; the alert's
/// notifications show both deliveries.
async fn webhook_and_slack_receive_the_alert(db: TestDb) {
    let receiver = Receiver::start(0).await;
    let _worker = Worker::start(&db);
    let admin = db.token("root", &["admin"]).await;
    let hook = create_channel(
        &db,
        &admin,
        json!({ "name": "hook", "kind": "webhook", "config": { "url": receiver.url("/hook") } }),
    )
    .await;
    let slack = create_channel(
        &db,
        &admin,
        json!({ "name": "slack", "kind": "slack", "config": { "url": receiver.url("/slack") } }),
    )
    .await;
    let pager = create_channel(
        &db,
        &admin,
        json!({ "name": "pager", "kind": "webhook", "config": { "url": receiver.url("/pager") } }),
    )
    .await;
    create_rule(
        &db,
        &admin,
        json!([
            { "channel_id": hook, "min_severity": "medium" },
            { "channel_id": slack },
            { "channel_id": pager, "min_severity": "critical" }
        ]),
    )
    .await;

    let ip = "192.0.2.44";
    let alert = raise(&db, ip).await;
    let link = format!("https://vigil.example/alerts/{}", alert.id);
    let got = receiver.got.clone();
    eventually(30, "both webhooks", || {
        let got = got.clone();
        async move { (got.on("/hook").len() == 1 && got.on("/slack").len() == 1).then_some(()) }
    })
    .await;

    let body = &got.on("/hook")[0];
    assert_eq!(body["event"], "opened");
    assert_eq!(body["alert"]["id"], alert.id);
    assert_eq!(body["alert"]["title"], "Invalid SSH user from 192.0.2.44");
    assert_eq!(body["alert"]["severity"], "high");
    assert_eq!(body["alert"]["group_key"], "source_ip=192.0.2.44");
    assert_eq!(body["alert"]["group_fields"], json!({ "source_ip": ip }));
    assert_eq!(body["alert"]["rule"]["name"], "invalid ssh user");
    assert_eq!(body["alert"]["url"], link.as_str());
    assert!(body["alert"]["event_count"].as_i64().unwrap() >= 1);

    let slack_body = &got.on("/slack")[0];
    let text = slack_body["text"].as_str().unwrap();
    assert!(
        text.starts_with("[HIGH] Invalid SSH user from 192.0.2.44"),
        "{text}"
    );
    assert!(text.contains(&link), "{text}");
    let block = slack_body["blocks"][0]["text"]["text"].as_str().unwrap();
    assert!(block.contains("source_ip=192.0.2.44"), "{block}");
    assert!(block.contains(&format!("<{link}|")), "{block}");

    let viewer = db.token("watcher", &["viewer"]).await;
    let uri = format!("/api/v1/alerts/{}/notifications", alert.id);
    let rows = eventually(10, "both marked delivered", || {
        let (db, uri, viewer) = (&db, &uri, &viewer);
        async move {
            let (status, rows) = db.json("GET", uri, viewer, None).await;
            assert_eq!(status, StatusCode::OK, "{rows}");
            let rows = rows.as_array().unwrap().clone();
            rows.iter()
                .all(|r| r["status"] == "delivered")
                .then_some(rows)
        }
    })
    .await;
    let names: Vec<&str> = rows
        .iter()
        .map(|r| r["channel_name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["hook", "slack"],
        "the critical-only channel is skipped"
    );
    for r in &rows {
        assert_eq!(r["attempts"], 1, "{r}");
        assert_eq!(r["event"], "opened");
        assert!(r["delivered_at"].is_string(), "{r}");
        assert!(r["last_error"].is_null(), "{r}");
    }
    // Later matches join the open alert: no second notification.
    submit(&db, &[invalid_user(ip)]).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(got.on("/hook").len(), 1);
    assert!(got.on("/pager").is_empty());
    assert_eq!(outbox(db.state.service().db()).await.len(), 2);
}

/// An e-mail channel over plain SMTP to aiosmtpd on loopback: the message has the severity and
/// title in its subject and the facts and link in its body; the channel test sends one too and
/// reports success, and a test to a closed port reports the error.
async fn email_reaches_a_real_smtp_server(db: TestDb) {
    let smtpd = Smtpd::start().await;
    let _worker = Worker::start(&db);
    let admin = db.token("root", &["admin"]).await;
    let mail = create_channel(
        &db,
        &admin,
        json!({ "name": "soc mail", "kind": "email", "config": {
            "host": "127.0.0.1", "port": smtpd.port, "security": "plain",
            "from": "Vigil <vigil@example.com>", "to": ["soc@example.com", "oncall@example.com"]
        } }),
    )
    .await;
    create_rule(
        &db,
        &admin,
        json!([{ "channel_id": mail, "min_severity": "high" }]),
    )
    .await;
    let alert = raise(&db, "198.51.100.7").await;

    let message = eventually(30, "the e-mail", || {
        let m = smtpd.messages();
        async move { m.into_iter().next() }
    })
    .await;
    let message = message.replace("\r\n", "\n");
    assert_eq!(
        header(&message, "Subject").as_deref(),
        Some("[Vigil] [HIGH] Invalid SSH user from 198.51.100.7"),
        "{message}"
    );
    assert!(
        header(&message, "From")
            .unwrap()
            .contains("vigil@example.com")
    );
    let to = header(&message, "To").unwrap();
    assert!(
        to.contains("soc@example.com") && to.contains("oncall@example.com"),
        "{to}"
    );
    let body = message.split_once("\n\n").unwrap().1;
    for line in [
        "Title: Invalid SSH user from 198.51.100.7".to_string(),
        "Severity: high".to_string(),
        "Group: source_ip=198.51.100.7".to_string(),
        format!("Link: https://vigil.example/alerts/{}", alert.id),
    ] {
        assert!(body.lines().any(|l| l == line), "{line:?} not in {body}");
    }

    let (status, result) = db
        .json(
            "POST",
            &format!("/api/v1/channels/{mail}/test"),
            &admin,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{result}");
    assert_eq!(result, json!({ "ok": true, "error": null }));
    eventually(10, "the test e-mail", || {
        let n = smtpd.messages().len();
        async move { (n == 2).then_some(()) }
    })
    .await;
    assert!(
        smtpd
            .messages()
            .iter()
            .any(|m| m.contains("Vigil test notification")),
        "a test message arrived"
    );

    let dead = create_channel(
        &db,
        &admin,
        json!({ "name": "nowhere", "kind": "email", "config": {
            "host": "localhost", "port": free_port(), "security": "plain",
            "from": "vigil@example.com", "to": ["soc@example.com"]
        } }),
    )
    .await;
    let (status, result) = db
        .json(
            "POST",
            &format!("/api/v1/channels/{dead}/test"),
            &admin,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{result}");
    assert_eq!(result["ok"], false);
    assert!(!result["error"].as_str().unwrap().is_empty(), "{result}");
}

/// The receiver's port is closed while the alert commits: the worker keeps trying (with the
/// error recorded), and once the receiver listens it gets the message, exactly once.
async fn a_receiver_down_at_first_gets_it_once(db: TestDb) {
    let port = free_port();
    let _worker = Worker::start(&db);
    let admin = db.token("root", &["admin"]).await;
    let hook = create_channel(
        &db,
        &admin,
        json!({ "name": "late", "kind": "webhook",
                "config": { "url": format!("http://127.0.0.1:{port}/late") } }),
    )
    .await;
    create_rule(&db, &admin, json!([{ "channel_id": hook }])).await;
    let alert = raise(&db, "203.0.113.5").await;

    let conn = db.state.service().db().clone();
    let failing = eventually(30, "failed attempts while the receiver is down", || {
        let conn = conn.clone();
        async move {
            let rows = outbox(&conn).await;
            (rows.len() == 1 && rows[0].attempts >= 3).then(|| rows[0].clone())
        }
    })
    .await;
    assert_eq!(failing.status, "pending");
    assert_eq!(failing.alert_id, alert.id);
    assert!(failing.last_error.is_some(), "{failing:?}");

    let receiver = Receiver::start(port).await;
    let got = receiver.got.clone();
    eventually(30, "the late delivery", || {
        let got = got.clone();
        async move { (!got.on("/late").is_empty()).then_some(()) }
    })
    .await;
    let row = eventually(10, "the delivered mark", || {
        let conn = conn.clone();
        async move {
            let rows = outbox(&conn).await;
            (rows[0].status == "delivered").then(|| rows[0].clone())
        }
    })
    .await;
    // The attempt in flight when the receiver came up may be the one that delivers it.
    assert!(row.attempts >= failing.attempts, "{row:?}");
    assert!(row.delivered_at.is_some());
    // Give a duplicate every chance to show.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let bodies = got.on("/late");
    assert_eq!(bodies.len(), 1, "exactly once: {bodies:?}");
    assert_eq!(bodies[0]["alert"]["id"], alert.id);
}

/// Eight alerts through a channel allowing six a minute: six arrive at once, two wait (pending,
/// never tried, no error) and arrive later, each alert exactly once.
async fn the_rate_limit_holds_back_and_drops_nothing(db: TestDb) {
    let receiver = Receiver::start(0).await;
    let _worker = Worker::start(&db);
    let admin = db.token("root", &["admin"]).await;
    let hook = create_channel(
        &db,
        &admin,
        json!({ "name": "slow", "kind": "webhook", "rate_limit_per_minute": 6,
                "config": { "url": receiver.url("/slow") } }),
    )
    .await;
    create_rule(&db, &admin, json!([{ "channel_id": hook }])).await;
    raise(&db, "192.0.2.1").await;
    let lines: Vec<String> = (2..=8)
        .map(|i| invalid_user(&format!("192.0.2.{i}")))
        .collect();
    submit(&db, &lines).await;
    let conn = db.state.service().db().clone();
    assert_eq!(outbox(&conn).await.len(), 8, "one message per alert");

    let got = receiver.got.clone();
    eventually(30, "the first six", || {
        let got = got.clone();
        async move { (got.on("/slow").len() >= 6).then_some(()) }
    })
    .await;
    let rows = outbox(&conn).await;
    let received = got.on("/slow").len();
    let delivered = rows.iter().filter(|r| r.status == "delivered").count();
    let held: Vec<_> = rows.iter().filter(|r| r.status == "pending").collect();
    assert_eq!(
        received, 6,
        "the limit lets six through in the first minute"
    );
    assert!(delivered <= 6, "{rows:?}");
    assert_eq!(held.len(), 8 - delivered, "the rest wait: {rows:?}");
    for r in held.iter().filter(|r| r.attempts == 0) {
        assert!(r.last_error.is_none(), "held back, not failed: {r:?}");
    }
    assert!(
        held.iter().filter(|r| r.attempts == 0).count() >= 2,
        "two were held back without a send: {rows:?}"
    );

    // One token every ten seconds: the last two follow.
    eventually(90, "all eight", || {
        let got = got.clone();
        async move { (got.on("/slow").len() >= 8).then_some(()) }
    })
    .await;
    let rows = eventually(10, "all marked delivered", || {
        let conn = conn.clone();
        async move {
            let rows = outbox(&conn).await;
            rows.iter().all(|r| r.status == "delivered").then_some(rows)
        }
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let ids: Vec<i64> = got
        .on("/slow")
        .iter()
        .map(|b| b["alert"]["id"].as_i64().unwrap())
        .collect();
    let distinct: BTreeSet<i64> = ids.iter().copied().collect();
    assert_eq!(ids.len(), 8, "{ids:?}");
    assert_eq!(distinct.len(), 8, "each alert once: {ids:?}");
    let mut times: Vec<_> = rows.iter().map(|r| r.delivered_at.unwrap()).collect();
    times.sort();
    assert!(
        times[6] - times[0] >= chrono::TimeDelta::seconds(8),
        "the seventh waited for a token: {times:?}"
    );
}

/// STARTTLS and implicit TLS verify the server's certificate: aiosmtpd with a self-signed one
/// gets nothing, and the channel test names the certificate problem.
async fn tls_to_an_untrusted_server_is_refused(db: TestDb) {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = self_signed(dir.path());
    let admin = db.token("root", &["admin"]).await;
    for (security, cert_flag, key_flag) in [
        ("starttls", "--tlscert", "--tlskey"),
        ("tls", "--smtpscert", "--smtpskey"),
    ] {
        let smtpd = Smtpd::start_with(&[
            cert_flag.as_ref(),
            cert.as_os_str(),
            key_flag.as_ref(),
            key.as_os_str(),
        ])
        .await;
        let id = create_channel(
            &db,
            &admin,
            json!({ "name": format!("{security} mail"), "kind": "email", "config": {
                "host": "localhost", "port": smtpd.port, "security": security,
                "from": "vigil@example.com", "to": ["soc@example.com"]
            } }),
        )
        .await;
        let (status, result) = db
            .json("POST", &format!("/api/v1/channels/{id}/test"), &admin, None)
            .await;
        assert_eq!(status, StatusCode::OK, "{result}");
        assert_eq!(result["ok"], false, "{security}: {result}");
        let error = result["error"].as_str().unwrap().to_lowercase();
        assert!(error.contains("certificate"), "{security}: {error}");
        assert!(smtpd.messages().is_empty(), "{security}: nothing delivered");
    }
}

/// A user name from a JSON log line carrying CR LF and header text: the e-mail has no extra
/// header and goes to the configured recipient only; the webhook carries the name intact,
/// JSON-encoded.
async fn log_content_cannot_add_mail_headers(db: TestDb) {
    let smtpd = Smtpd::start().await;
    let receiver = Receiver::start(0).await;
    let _worker = Worker::start(&db);
    let admin = db.token("root", &["admin"]).await;
    let mail = create_channel(
        &db,
        &admin,
        json!({ "name": "mail", "kind": "email", "config": {
            "host": "127.0.0.1", "port": smtpd.port, "security": "plain",
            "from": "vigil@example.com", "to": ["soc@example.com"]
        } }),
    )
    .await;
    let hook = create_channel(
        &db,
        &admin,
        json!({ "name": "hook", "kind": "webhook", "config": { "url": receiver.url("/hook") } }),
    )
    .await;
    let (status, rule) = db
        .json(
            "POST",
            "/api/v1/rules",
            &admin,
            Some(json!({
                "name": "hostile login", "kind": "match", "severity": "critical",
                "definition": {
                    "query": "\"hostile login\"", "group_by": ["user_name"],
                    "title": "Login by {user_name}"
                },
                "channels": [{ "channel_id": mail }, { "channel_id": hook }]
            })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{rule}");
    let hostile = "root\r\nBcc: evil@example.com\r\nX-Injected: yes";
    let line = json!({ "message": "hostile login", "user": hostile }).to_string();
    assert!(!line.contains('\n'), "one JSON line");
    let conn = db.state.service().db().clone();
    let alert = eventually(60, "the alert", || {
        let (db, line, conn) = (&db, line.clone(), conn.clone());
        async move {
            submit_as(db, ParserKind::Json, &[line]).await;
            alert::Entity::find().one(&conn).await.unwrap()
        }
    })
    .await;
    let stored_name = alert.group_fields.as_ref().unwrap()["user_name"].clone();
    assert!(
        stored_name
            .as_str()
            .unwrap()
            .contains("Bcc: evil@example.com"),
        "{stored_name}"
    );

    let got = receiver.got.clone();
    let body = eventually(30, "the webhook", || {
        let got = got.clone();
        async move { got.on("/hook").into_iter().next() }
    })
    .await;
    assert_eq!(body["alert"]["group_fields"]["user_name"], stored_name);
    assert_eq!(body["alert"]["title"], alert.title.as_str());

    let message = eventually(30, "the e-mail", || {
        let m = smtpd.messages();
        async move { m.into_iter().next() }
    })
    .await
    .replace("\r\n", "\n");
    let head = message.split("\n\n").next().unwrap();
    for line in head.lines() {
        let name = line.split(':').next().unwrap().to_ascii_lowercase();
        assert!(
            name != "bcc" && name != "x-injected",
            "injected header {line:?} in {head}"
        );
    }
    let subject = header(&message, "Subject").unwrap();
    assert!(
        subject.starts_with("[Vigil] [CRITICAL] Login by root"),
        "{subject}"
    );
    // aiosmtpd's Mailbox records the envelope recipients.
    assert_eq!(
        header(&message, "X-RcptTo").as_deref(),
        Some("soc@example.com"),
        "{head}"
    );
    assert_eq!(smtpd.messages().len(), 1);
}
