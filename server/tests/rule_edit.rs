//! Editing a saved rule in the browser, on SQLite and on MariaDB, as a browser without
//! JavaScript uses it: the editor opens filled from the rule with its kind fixed, a backtest
//! of the changed draft shows the would-be alerts without saving, saving is a plain post that
//! changes the rule (keeping what the editor does not show) and is audited; a kind change is
//! refused, and a viewer gets neither the link nor the save.

use crate::common;

use http::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use common::notify::{invalid_user, submit};
use common::{BROWSER_ACCEPT, TestDb, post_form};
use server::store::audit_log;

backend_suite!(
    a_saved_rule_is_backtested_changed_and_saved_from_the_editor,
    kind_changes_and_viewers_are_refused,
);

async fn read_page(db: &TestDb, uri: &str, cookies: &str) -> String {
    let (status, _, html) = db.get_page(uri, cookies).await;
    assert_eq!(status, StatusCode::OK, "{uri}");
    html.replace("<!>", "")
}

/// `a=1&b=2` as the save form posts it: `draft%5Ba%5D=1&draft%5Bb%5D=2`.
fn as_draft_fields(query: &str) -> String {
    query
        .split('&')
        .map(|pair| format!("draft%5B{}", pair.replacen('=', "%5D=", 1)))
        .collect::<Vec<_>>()
        .join("&")
}

/// A threshold rule on invalid SSH users: 5 from one address within an hour, with an alert
/// title the editor does not show.
async fn saved_rule(db: &TestDb, token: &str) -> i64 {
    let (status, rule) = db
        .json(
            "POST",
            "/api/v1/rules",
            token,
            Some(json!({
                "name": "Invalid user burst",
                "kind": "threshold",
                "severity": "medium",
                "enabled": true,
                "tags": ["attack.t1110"],
                "definition": {"query": "event_action:ssh_invalid_user", "group_by": ["source_ip"],
                    "window_secs": 3600, "threshold": 5, "title": "Burst from {source_ip}"}
            })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{rule}");
    rule["id"].as_i64().unwrap()
}

async fn rule(db: &TestDb, token: &str, id: i64) -> Value {
    let (status, rule) = db
        .json("GET", &format!("/api/v1/rules/{id}"), token, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    rule
}

/// The changed draft: threshold 3 instead of 5, another name and severity.
fn changed(id: i64) -> String {
    format!(
        "rule={id}&name=Invalid+user+burst+%28tight%29&kind=threshold&severity=high\
&tags=attack.t1110%2C+attack.credential_access&query=event_action%3Assh_invalid_user\
&group_by=source_ip&window_secs=3600&threshold=3"
    )
}

async fn a_saved_rule_is_backtested_changed_and_saved_from_the_editor(db: TestDb) {
    let admin = db.cookies("root", &["admin"]).await;
    let token = db.token("reader", &["admin"]).await;
    let id = saved_rule(&db, &token).await;
    // Three invalid users from .1, one from .2: only the changed threshold fires, for .1.
    let mut lines: Vec<String> = (0..3).map(|_| invalid_user("198.51.100.1")).collect();
    lines.push(invalid_user("198.51.100.2"));
    submit(&db, &lines).await;

    let list = read_page(&db, "/rules", &admin).await;
    assert!(
        list.contains(&format!("href=\"/rules/{id}/edit\"")),
        "{list}"
    );
    let page = read_page(&db, &format!("/rules/{id}/edit"), &admin).await;
    assert!(page.contains("Edit rule: Invalid user burst"), "{page}");
    assert!(
        page.contains("value=\"event_action:ssh_invalid_user\""),
        "{page}"
    );
    assert!(
        page.contains("name=\"window_secs\" value=\"3600\""),
        "{page}"
    );
    assert!(page.contains("name=\"threshold\" value=\"5\""), "{page}");
    // The kind is fixed: a hidden field, no choice.
    assert!(
        page.contains("type=\"hidden\" name=\"kind\" value=\"threshold\""),
        "{page}"
    );
    assert!(!page.contains("<select name=\"kind\""), "{page}");
    assert!(
        page.contains(&format!("action=\"/rules/{id}/edit\"")),
        "{page}"
    );

    let range = "from=2000-01-01T00%3A00%3A00Z&to=2037-01-01T00%3A00%3A00Z";
    let page = read_page(
        &db,
        &format!("/rules/{id}/edit?preview=1&{}&{range}", changed(id)),
        &admin,
    )
    .await;
    assert!(page.contains("1 alert would have been raised"), "{page}");
    // The title the editor does not show still names the would-be alert.
    assert!(page.contains("Burst from 198.51.100.1"), "{page}");
    assert!(!page.contains("source_ip=198.51.100.2"), "{page}");
    assert!(page.contains("aria-label=\"Save rule\""), "{page}");
    assert!(page.contains("/api/fn/rule_update"), "{page}");
    assert_eq!(
        rule(&db, &token, id).await["definition"]["threshold"],
        5,
        "a backtest changes nothing"
    );

    let (status, headers, _) = post_form(
        &db,
        "rule_update",
        "%2Frules",
        &as_draft_fields(&changed(id)),
        &admin,
        BROWSER_ACCEPT,
    )
    .await;
    assert_eq!(status, StatusCode::FOUND);
    assert_eq!(headers["location"], "/rules");
    let notice = common::notice_cookie(&headers).expect("a notice");
    let list = read_page(&db, "/rules", &format!("{admin}; {notice}")).await;
    assert!(
        list.contains("Saved rule Invalid user burst (tight)."),
        "{list}"
    );

    let saved = rule(&db, &token, id).await;
    assert_eq!(saved["name"], "Invalid user burst (tight)");
    assert_eq!(saved["severity"], "high");
    assert_eq!(
        saved["tags"],
        json!(["attack.t1110", "attack.credential_access"])
    );
    assert_eq!(saved["definition"]["threshold"], 3);
    assert_eq!(saved["definition"]["title"], "Burst from {source_ip}");
    assert_eq!(saved["enabled"], true, "saving keeps the rule enabled");
    assert_eq!(saved["description"], Value::Null);

    let audited = audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq("rule_update"))
        .all(db.state.service().db())
        .await
        .unwrap();
    assert_eq!(audited.len(), 1, "{audited:?}");
    assert_eq!(audited[0].actor_name.as_deref(), Some("root"));
    assert_eq!(audited[0].details["id"], id);
    assert!(
        audited[0].details["changed"]
            .as_array()
            .unwrap()
            .contains(&json!("definition")),
        "{:?}",
        audited[0].details
    );
}

async fn kind_changes_and_viewers_are_refused(db: TestDb) {
    let admin = db.cookies("root", &["admin"]).await;
    let viewer = db.cookies("vic", &["viewer"]).await;
    let token = db.token("reader", &["admin"]).await;
    let id = saved_rule(&db, &token).await;

    // Another kind is refused, from a script with 422, and nothing changes.
    let as_match = changed(id).replace("kind=threshold", "kind=match");
    let (status, _, body) = post_form(
        &db,
        "rule_update",
        "%2Frules",
        &as_draft_fields(&as_match),
        &admin,
        "application/json",
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.contains("kind"), "{body}");
    assert_eq!(rule(&db, &token, id).await["kind"], "threshold");
    assert_eq!(rule(&db, &token, id).await["definition"]["threshold"], 5);

    // A viewer reads the list without the link, and saving from a script is refused.
    let list = read_page(&db, "/rules", &viewer).await;
    assert!(list.contains("Invalid user burst"), "{list}");
    assert!(!list.contains(&format!("/rules/{id}/edit")), "{list}");
    let (status, _, _) = post_form(
        &db,
        "rule_update",
        "%2Frules",
        &as_draft_fields(&changed(id)),
        &viewer,
        "application/json",
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(rule(&db, &token, id).await["name"], "Invalid user burst");

    // A kind the editor does not write points to the API.
    let (status, metric) = db
        .json(
            "POST",
            "/api/v1/rules",
            &token,
            Some(json!({
                "name": "Hot CPU", "kind": "metric", "severity": "low",
                "definition": {"field": "fields.host.cpu.usage", "op": "gt", "value": 90}
            })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{metric}");
    let page = read_page(
        &db,
        &format!("/rules/{}/edit", metric["id"].as_i64().unwrap()),
        &admin,
    )
    .await;
    assert!(
        page.contains("A metric rule is changed through the API"),
        "{page}"
    );
    assert!(!page.contains("aria-label=\"Rule\""), "{page}");
    let list = read_page(&db, "/rules", &admin).await;
    assert!(
        !list.contains(&format!("/rules/{}/edit", metric["id"])),
        "{list}"
    );
}
