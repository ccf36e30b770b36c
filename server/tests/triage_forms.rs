//! Writes from the pages as plain form posts, on SQLite and on MariaDB: a browser's post to a
//! triage server function is redirected back to the page it came from with a notice that the
//! next page shows once; a refused post comes back as an error notice, while the same call
//! from the hydrated page gets its HTTP status (403 for a viewer); bulk changes take the ticked
//! ids; the alert pages render their counts, filters, history and hostile log text as text.

use crate::common;

use http::StatusCode;
use serde_json::Value;

use common::notify::{create_rule, raise};
use common::{BROWSER_ACCEPT, TestDb, notice_cookie, post_form};

backend_suite!(
    a_plain_post_redirects_back_with_a_notice_shown_once,
    a_refused_plain_post_is_an_error_notice_and_a_script_call_gets_403,
    bulk_posts_change_every_ticked_alert,
    alert_pages_render_counts_filters_and_history_as_text,
);

/// The rule every test raises its alerts with: one `high` alert per address of an invalid
/// SSH user.
async fn with_rule(db: &TestDb) {
    let admin = db.token("root", &["admin"]).await;
    create_rule(db, &admin, serde_json::json!([])).await;
}

/// A page as `cookies` see it, without the hydration markers (`<!>`) between its parts.
async fn read_page(db: &TestDb, uri: &str, cookies: &str) -> (StatusCode, http::HeaderMap, String) {
    let (status, headers, html) = db.get_page(uri, cookies).await;
    (status, headers, html.replace("<!>", ""))
}

async fn alert_status(db: &TestDb, token: &str, id: i64) -> Value {
    let (status, alert) = db
        .json("GET", &format!("/api/v1/alerts/{id}"), token, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    alert
}

async fn a_plain_post_redirects_back_with_a_notice_shown_once(db: TestDb) {
    with_rule(&db).await;
    let cookies = db.cookies("ana", &["analyst"]).await;
    let token = db.token("reader", &["viewer"]).await;
    let alert = raise(&db, "203.0.113.71").await;

    let (status, headers, _) = post_form(
        &db,
        "alert_triage",
        "%2Falerts%3Fstatus%3Dopen",
        &format!("id={}&status=acknowledged", alert.id),
        &cookies,
        BROWSER_ACCEPT,
    )
    .await;
    assert_eq!(status, StatusCode::FOUND);
    assert_eq!(headers["location"], "/alerts?status=open");
    let notice = notice_cookie(&headers).expect("a notice cookie");
    let set = headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with("vigil_notice="))
        .unwrap();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Strict"),
        "{set}"
    );
    assert_eq!(
        alert_status(&db, &token, alert.id).await["status"],
        "acknowledged"
    );

    // The page it lands on shows the notice and clears the cookie.
    let (status, headers, page) =
        read_page(&db, "/alerts?status=open", &format!("{cookies}; {notice}")).await;
    assert_eq!(status, StatusCode::OK);
    let expected = format!("Alert {} acknowledged.", alert.id);
    assert!(page.contains(&expected), "{page}");
    let cleared = headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|c| c.starts_with("vigil_notice=;") && c.contains("Max-Age=0"));
    assert!(cleared, "{headers:?}");
    // Without the cookie, no notice.
    let (_, _, page) = read_page(&db, "/alerts?status=open", &cookies).await;
    assert!(!page.contains(&expected), "{page}");

    // A comment and an assignment the same way; a back address off the site lands on `/`.
    let (status, headers, _) = post_form(
        &db,
        "alert_comment",
        "%2F%2Fevil.example%2F",
        &format!("id={}&body=seen+it+%3Cb%3Ehere%3C%2Fb%3E", alert.id),
        &cookies,
        BROWSER_ACCEPT,
    )
    .await;
    assert_eq!(status, StatusCode::FOUND);
    assert_eq!(headers["location"], "/");
    let (status, headers, _) = post_form(
        &db,
        "alert_triage",
        &format!("%2Falerts%2F{}", alert.id),
        &format!("id={}&assign=me", alert.id),
        &cookies,
        BROWSER_ACCEPT,
    )
    .await;
    assert_eq!(status, StatusCode::FOUND);
    assert_eq!(headers["location"], format!("/alerts/{}", alert.id));
    let stored = alert_status(&db, &token, alert.id).await;
    assert_eq!(stored["assignee"], "ana");
    let (_, comments) = db
        .json(
            "GET",
            &format!("/api/v1/alerts/{}/comments", alert.id),
            &token,
            None,
        )
        .await;
    assert_eq!(comments[0]["body"], "seen it <b>here</b>");
}

async fn a_refused_plain_post_is_an_error_notice_and_a_script_call_gets_403(db: TestDb) {
    with_rule(&db).await;
    let viewer = db.cookies("vic", &["viewer"]).await;
    let token = db.token("reader", &["viewer"]).await;
    let alert = raise(&db, "203.0.113.72").await;
    let body = format!("id={}&status=resolved", alert.id);

    let (status, headers, _) = post_form(
        &db,
        "alert_triage",
        "%2Falerts",
        &body,
        &viewer,
        BROWSER_ACCEPT,
    )
    .await;
    assert_eq!(status, StatusCode::FOUND);
    assert_eq!(headers["location"], "/alerts");
    let notice = notice_cookie(&headers).unwrap();
    assert_eq!(notice, "vigil_notice=e.permission%20denied");
    let (_, _, page) = read_page(&db, "/alerts", &format!("{viewer}; {notice}")).await;
    assert!(
        page.contains("class=\"notice notice-error\">permission denied</p>"),
        "{page}"
    );

    // The hydrated page's call (it does not accept HTML) gets the status itself.
    let (status, headers, text) = post_form(
        &db,
        "alert_triage",
        "%2Falerts",
        &body,
        &viewer,
        "application/json",
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{text}");
    assert!(notice_cookie(&headers).is_none());
    let (status, _, _) = post_form(
        &db,
        "alerts_bulk",
        "%2Falerts",
        &format!("ids%5B%5D={}&act=resolve", alert.id),
        &viewer,
        "*/*",
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(alert_status(&db, &token, alert.id).await["status"], "open");
}

async fn bulk_posts_change_every_ticked_alert(db: TestDb) {
    with_rule(&db).await;
    let cookies = db.cookies("ana", &["analyst"]).await;
    let token = db.token("reader", &["viewer"]).await;
    let a = raise(&db, "203.0.113.73").await;
    let b = raise(&db, "203.0.113.74").await;
    let c = raise(&db, "203.0.113.75").await;

    let (status, headers, _) = post_form(
        &db,
        "alerts_bulk",
        "%2Falerts",
        &format!("ids%5B%5D={}&ids%5B%5D={}&act=resolve", a.id, b.id),
        &cookies,
        BROWSER_ACCEPT,
    )
    .await;
    assert_eq!(status, StatusCode::FOUND);
    assert_eq!(
        notice_cookie(&headers).unwrap(),
        "vigil_notice=i.2%20alerts%20resolved."
    );
    assert_eq!(alert_status(&db, &token, a.id).await["status"], "resolved");
    assert_eq!(alert_status(&db, &token, b.id).await["status"], "resolved");
    assert_eq!(alert_status(&db, &token, c.id).await["status"], "open");

    // Nothing ticked: the reason comes back, nothing changes.
    let (status, headers, _) = post_form(
        &db,
        "alerts_bulk",
        "%2Falerts",
        "act=resolve",
        &cookies,
        BROWSER_ACCEPT,
    )
    .await;
    assert_eq!(status, StatusCode::FOUND);
    assert!(
        notice_cookie(&headers)
            .unwrap()
            .starts_with("vigil_notice=e.choose%20at%20least%20one%20alert"),
        "{headers:?}"
    );
    assert_eq!(alert_status(&db, &token, c.id).await["status"], "open");
}

async fn alert_pages_render_counts_filters_and_history_as_text(db: TestDb) {
    with_rule(&db).await;
    let cookies = db.cookies("ana", &["analyst"]).await;
    let viewer = db.cookies("vic", &["viewer"]).await;
    let token = db.token("reader", &["viewer"]).await;
    let a = raise(&db, "203.0.113.76").await;
    let b = raise(&db, "203.0.113.77").await;
    let (status, _, _) = post_form(
        &db,
        "alert_triage",
        "%2Falerts",
        &format!("id={}&status=resolved", a.id),
        &cookies,
        BROWSER_ACCEPT,
    )
    .await;
    assert_eq!(status, StatusCode::FOUND);
    let (status, _, _) = post_form(
        &db,
        "alert_comment",
        "%2Falerts",
        &format!("id={}&body=%3Cscript%3Ealert(1)%3C%2Fscript%3E", b.id),
        &cookies,
        BROWSER_ACCEPT,
    )
    .await;
    assert_eq!(status, StatusCode::FOUND);

    // Counts per status over every alert; the open list holds only b.
    let (status, _, page) = read_page(&db, "/alerts?status=open", &cookies).await;
    assert_eq!(status, StatusCode::OK);
    let tabs_start = page.find("aria-label=\"Alerts by status\"").expect("tabs");
    let tabs = &page[tabs_start..tabs_start + page[tabs_start..].find("</nav>").unwrap()];
    assert!(tabs.contains("All<span class=\"count\">2</span>"), "{tabs}");
    assert!(
        tabs.contains("Open<span class=\"count\">1</span>"),
        "{tabs}"
    );
    assert!(
        tabs.contains("Resolved<span class=\"count\">1</span>"),
        "{tabs}"
    );
    assert!(
        page.contains(&format!("href=\"/alerts/{}\"", b.id)),
        "{page}"
    );
    assert!(
        !page.contains(&format!("href=\"/alerts/{}\"", a.id)),
        "{page}"
    );
    assert!(page.contains("aria-label=\"Bulk triage\""), "{page}");
    // The text filter: by group key.
    let (_, _, page) = read_page(&db, "/alerts?q=203.0.113.76", &cookies).await;
    assert!(
        page.contains(&format!("href=\"/alerts/{}\"", a.id)),
        "{page}"
    );
    assert!(
        !page.contains(&format!("href=\"/alerts/{}\"", b.id)),
        "{page}"
    );
    let (status, found) = db
        .json("GET", "/api/v1/alerts?q=203.0.113.77", &token, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(found["items"].as_array().unwrap().len(), 1);
    assert_eq!(found["items"][0]["id"], b.id);
    // A filter the server cannot use is said in words.
    let (status, _, page) = read_page(&db, "/alerts?range=forever", &cookies).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("invalid range"), "{page}");

    // One alert: history, the comment as text, evidence linking to the events.
    let (status, _, page) = read_page(&db, &format!("/alerts/{}", b.id), &cookies).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{page}"
    );
    assert!(!page.contains("<script>alert(1)"), "{page}");
    assert!(page.contains("Commented by ana"), "{page}");
    assert!(page.contains("Raised by detection"), "{page}");
    assert!(page.contains("<a href=\"/events/"), "{page}");
    assert!(page.contains("aria-label=\"Status\""), "{page}");
    // A viewer reads the same page without any triage form.
    let (status, _, page) = read_page(&db, &format!("/alerts/{}", b.id), &viewer).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Commented by ana"), "{page}");
    assert!(!page.contains("aria-label=\"Status\""), "{page}");
    assert!(!page.contains("/api/fn/alert_triage"), "{page}");
    let (_, _, page) = read_page(&db, "/alerts", &viewer).await;
    assert!(!page.contains("aria-label=\"Bulk triage\""), "{page}");
    assert!(!page.contains("type=\"checkbox\""), "{page}");
}
