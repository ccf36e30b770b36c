//! Assigning alerts to someone else, on SQLite and on MariaDB: the users alerts may go to are
//! listed for triagers only (`GET /api/v1/alerts/assignees`, without the user administration),
//! the alert page and the queue's bulk bar offer them in a picker, a plain post assigns one
//! alert or every ticked one, and nobody who cannot triage (a viewer, a disabled account) can
//! be picked; a viewer's call is refused with 403.

use crate::common;

use http::StatusCode;
use sea_orm::{ActiveModelTrait, EntityTrait, IntoActiveModel, Set};
use serde_json::Value;

use common::notify::{create_rule, raise};
use common::{BROWSER_ACCEPT, TestDb};
use server::store::user;

backend_suite!(
    triagers_are_listed_for_triagers_only,
    one_alert_and_ticked_alerts_go_to_the_picked_user,
);

/// Posts `body` to the server function `name` as a form on the alerts queue would.
async fn post_form(
    db: &TestDb,
    name: &str,
    body: &str,
    cookies: &str,
    accept: &str,
) -> (StatusCode, http::HeaderMap, String) {
    common::post_form(db, name, "%2Falerts", body, cookies, accept).await
}

async fn me(db: &TestDb, token: &str) -> i64 {
    let (status, me) = db.json("GET", "/api/v1/accounts/me", token, None).await;
    assert_eq!(status, StatusCode::OK);
    me["id"].as_i64().unwrap()
}

async fn disable(db: &TestDb, id: i64) {
    let row = user::Entity::find_by_id(id as i32)
        .one(db.state.service().db())
        .await
        .unwrap()
        .unwrap();
    let mut row = row.into_active_model();
    row.disabled = Set(true);
    row.update(db.state.service().db()).await.unwrap();
}

fn usernames(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap().to_string())
        .collect()
}

async fn triagers_are_listed_for_triagers_only(db: TestDb) {
    let ana = db.token("ana", &["analyst"]).await;
    let _bob = db.token("bob", &["analyst"]).await;
    let _root = db.token("root", &["admin"]).await;
    let viewer = db.token("vic", &["viewer"]).await;
    let _ingest = db.token("feeder", &["ingest"]).await;
    let gone = db.token("gone", &["analyst"]).await;
    let gone_id = me(&db, &gone).await;
    disable(&db, gone_id).await;

    let (status, list) = db.json("GET", "/api/v1/alerts/assignees", &ana, None).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    // Every enabled holder of alerts.triage, by username; nobody else.
    assert_eq!(usernames(&list), ["ana", "bob", "root"]);
    assert!(list[0]["id"].is_number());
    let (status, _) = db
        .json("GET", "/api/v1/alerts/assignees", &viewer, None)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // The user administration stays closed to a triager.
    let (status, _) = db.json("GET", "/api/v1/accounts/users", &ana, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Nobody outside that list can be assigned through the API either.
    with_alert_rule(&db).await;
    let alert = raise(&db, "203.0.113.80").await;
    let vic_id = me(&db, &viewer).await;
    for (id, name) in [(vic_id, "vic"), (gone_id, "gone")] {
        let (status, body) = db
            .json(
                "PATCH",
                &format!("/api/v1/alerts/{}", alert.id),
                &ana,
                Some(serde_json::json!({ "assignee_id": id })),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(
            body["error"]["message"].as_str().unwrap().contains(name),
            "{body}"
        );
    }
}

async fn with_alert_rule(db: &TestDb) {
    let admin = db.token("rule-writer", &["admin"]).await;
    create_rule(db, &admin, serde_json::json!([])).await;
}

async fn one_alert_and_ticked_alerts_go_to_the_picked_user(db: TestDb) {
    with_alert_rule(&db).await;
    let ana = db.cookies("ana", &["analyst"]).await;
    let bob = db.token("bob", &["analyst"]).await;
    let bob_id = me(&db, &bob).await;
    let viewer = db.cookies("vic", &["viewer"]).await;
    let viewer_token = db.token("val", &["viewer"]).await;
    let val_id = me(&db, &viewer_token).await;
    let first = raise(&db, "203.0.113.81").await;
    let second = raise(&db, "203.0.113.82").await;
    let third = raise(&db, "203.0.113.83").await;

    // The alert page offers the triagers (and only them) to ana, nothing to a viewer.
    let (status, _, page) = db.get_page(&format!("/alerts/{}", first.id), &ana).await;
    assert_eq!(status, StatusCode::OK);
    let page = page.replace("<!>", "");
    assert!(page.contains("aria-label=\"Assign to\""), "{page}");
    assert!(
        page.contains(&format!("<option value=\"{bob_id}\"")),
        "{page}"
    );
    assert!(
        !page.contains(&format!("<option value=\"{val_id}\"")),
        "{page}"
    );
    let (_, _, page) = db.get_page(&format!("/alerts/{}", first.id), &viewer).await;
    assert!(!page.contains("aria-label=\"Assign to\""), "{page}");
    // The queue's bulk bar has the same picker.
    let (_, _, queue) = db.get_page("/alerts", &ana).await;
    assert!(queue.contains("<select name=\"assignee\""), "{queue}");
    assert!(
        queue.contains(&format!("<option value=\"{bob_id}\"")),
        "{queue}"
    );

    // One alert, as a plain post from its page.
    let (status, headers, _) = post_form(
        &db,
        "alert_triage",
        &format!("id={}&assign={bob_id}", first.id),
        &ana,
        BROWSER_ACCEPT,
    )
    .await;
    assert_eq!(status, StatusCode::FOUND);
    let notice = common::notice_cookie(&headers).unwrap();
    let (_, _, landed) = db.get_page("/alerts", &format!("{ana}; {notice}")).await;
    let expected = format!("Alert {} assigned to bob.", first.id);
    assert!(landed.contains(&expected), "{landed}");
    let (_, alert) = db
        .json("GET", &format!("/api/v1/alerts/{}", first.id), &bob, None)
        .await;
    assert_eq!(alert["assignee"], "bob");
    assert_eq!(alert["assignee_id"], bob_id);
    let (_, history) = db
        .json(
            "GET",
            &format!("/api/v1/alerts/{}/history", first.id),
            &bob,
            None,
        )
        .await;
    let change = history
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["action"] == "assignee")
        .expect("an assignee change");
    assert_eq!(change["actor"], "ana");
    assert_eq!(change["to"], "bob");

    // The ticked alerts, from the queue's bulk bar.
    let (status, _, body) = post_form(
        &db,
        "alerts_bulk",
        &format!(
            "ids%5B%5D={}&ids%5B%5D={}&act=assign&assignee={bob_id}",
            second.id, third.id
        ),
        &ana,
        "application/json",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("2 alerts assigned to bob."), "{body}");
    for id in [second.id, third.id] {
        let (_, alert) = db
            .json("GET", &format!("/api/v1/alerts/{id}"), &bob, None)
            .await;
        assert_eq!(alert["assignee"], "bob", "{alert}");
    }

    // A viewer is refused, and so is picking a viewer.
    let (status, _, _) = post_form(
        &db,
        "alert_triage",
        &format!("id={}&assign={bob_id}", second.id),
        &viewer,
        "application/json",
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, body) = post_form(
        &db,
        "alerts_bulk",
        &format!("ids%5B%5D={}&act=assign&assignee={val_id}", second.id),
        &ana,
        "application/json",
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (_, alert) = db
        .json("GET", &format!("/api/v1/alerts/{}", second.id), &bob, None)
        .await;
    assert_eq!(
        alert["assignee"], "bob",
        "the refused change changed nothing"
    );
}
