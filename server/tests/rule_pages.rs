//! The rule pages through the router, on SQLite and on MariaDB, as a browser without
//! JavaScript uses them: the editor backtests a draft named in its URL and shows the would-be
//! alerts, saving it is a plain post that lands on the rules list, where it is enabled with
//! another; the list shows kinds, tags and alert counts; a viewer gets neither the editor's
//! save nor the switches, and a direct call is refused with 403.

use crate::common;

use axum::body::Body;
use http::{Request, StatusCode};
use serde_json::Value;

use common::notify::{invalid_user, submit};
use common::{BROWSER_ACCEPT, TestDb, post_form};

backend_suite!(
    the_editor_backtests_a_draft_and_saves_it,
    the_list_enables_rules_and_counts_their_alerts,
    sigma_files_upload_with_a_result_per_file,
);

async fn read_page(db: &TestDb, uri: &str, cookies: &str) -> String {
    let (status, _, html) = db.get_page(uri, cookies).await;
    assert_eq!(status, StatusCode::OK, "{uri}");
    html.replace("<!>", "")
}

async fn rules(db: &TestDb, token: &str) -> Vec<Value> {
    let (status, list) = db.json("GET", "/api/v1/rules", token, None).await;
    assert_eq!(status, StatusCode::OK);
    list.as_array().unwrap().clone()
}

/// Three invalid-user lines from .1, one from .2.
async fn store_attempts(db: &TestDb) {
    let mut lines: Vec<String> = (0..3).map(|_| invalid_user("198.51.100.1")).collect();
    lines.push(invalid_user("198.51.100.2"));
    submit(db, &lines).await;
}

const DRAFT: &str = "name=Repeated+invalid+users&kind=threshold&severity=high\
&tags=attack.t1110&query=event_action%3Assh_invalid_user&group_by=source_ip\
&window_secs=3600&threshold=3";
const RANGE: &str = "from=2000-01-01T00%3A00%3A00Z&to=2037-01-01T00%3A00%3A00Z";

/// `a=1&b=2` as the save form posts it: `draft%5Ba%5D=1&draft%5Bb%5D=2`.
fn as_draft_fields(query: &str) -> String {
    query
        .split('&')
        .map(|pair| format!("draft%5B{}", pair.replacen('=', "%5D=", 1)))
        .collect::<Vec<_>>()
        .join("&")
}

async fn the_editor_backtests_a_draft_and_saves_it(db: TestDb) {
    let admin = db.cookies("root", &["admin"]).await;
    let token = db.token("reader", &["admin"]).await;
    store_attempts(&db).await;
    let before = rules(&db, &token).await.len();

    let page = read_page(
        &db,
        &format!("/rules/new?preview=1&{DRAFT}&{RANGE}"),
        &admin,
    )
    .await;
    // One key reached 3 within the window; the other did not.
    assert!(page.contains("1 alert would have been raised"), "{page}");
    assert!(page.contains("source_ip=198.51.100.1"), "{page}");
    assert!(!page.contains("source_ip=198.51.100.2"), "{page}");
    assert!(page.contains("aria-label=\"Save rule\""), "{page}");
    assert_eq!(
        rules(&db, &token).await.len(),
        before,
        "a backtest saves nothing"
    );

    // A draft the engine refuses says why, naming the field.
    let bad = DRAFT.replace("window_secs=3600", "window_secs=0");
    let page = read_page(&db, &format!("/rules/new?preview=1&{bad}&{RANGE}"), &admin).await;
    assert!(page.contains("window_secs"), "{page}");
    assert!(!page.contains("aria-label=\"Save rule\""), "{page}");

    // Saving is a plain post back to the list.
    let (status, headers, _) = post_form(
        &db,
        "rule_create",
        "%2Frules",
        &as_draft_fields(DRAFT),
        &admin,
        BROWSER_ACCEPT,
    )
    .await;
    assert_eq!(status, StatusCode::FOUND);
    assert_eq!(headers["location"], "/rules");
    let saved: Vec<Value> = rules(&db, &token)
        .await
        .into_iter()
        .filter(|r| r["name"] == "Repeated invalid users")
        .collect();
    assert_eq!(saved.len(), 1);
    assert_eq!(saved[0]["enabled"], false);
    assert_eq!(saved[0]["kind"], "threshold");
    assert_eq!(saved[0]["definition"]["threshold"], 3);
    assert_eq!(saved[0]["tags"], serde_json::json!(["attack.t1110"]));
}

async fn the_list_enables_rules_and_counts_their_alerts(db: TestDb) {
    let admin = db.cookies("root", &["admin"]).await;
    let viewer = db.cookies("vic", &["viewer"]).await;
    let token = db.token("reader", &["admin"]).await;
    let (status, rule) = db
        .json(
            "POST",
            "/api/v1/rules",
            &token,
            Some(serde_json::json!({
                "name": "Invalid SSH user <b>probe</b>",
                "kind": "match",
                "severity": "critical",
                "enabled": false,
                "tags": ["attack.t1078"],
                "definition": {"query": "event_action:ssh_invalid_user", "group_by": ["source_ip"]}
            })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{rule}");
    let id = rule["id"].as_i64().unwrap();

    let page = read_page(&db, "/rules", &admin).await;
    assert!(
        page.contains("Invalid SSH user &lt;b&gt;probe&lt;/b&gt;"),
        "{page}"
    );
    assert!(page.contains("attack.t1078"), "{page}");
    assert!(page.contains("href=\"/rules/new\""), "{page}");
    let (status, headers, _) = post_form(
        &db,
        "rule_enable",
        "%2Frules",
        &format!("id={id}&enabled=true"),
        &admin,
        BROWSER_ACCEPT,
    )
    .await;
    assert_eq!(status, StatusCode::FOUND);
    assert_eq!(headers["location"], "/rules");
    let (_, stored) = db
        .json("GET", &format!("/api/v1/rules/{id}"), &token, None)
        .await;
    assert_eq!(stored["enabled"], true);

    // Once enabled it raises alerts (rules are read again about once a second).
    let mut counted = String::new();
    for _ in 0..120 {
        submit(&db, &[invalid_user("198.51.100.9")]).await;
        let page = read_page(&db, "/rules", &admin).await;
        if page.contains(&format!("href=\"/alerts?rule={id}\">1 (1 unresolved)</a>")) {
            counted = page;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(!counted.is_empty(), "the rule's alert was never counted");

    // A viewer reads the list without the switches, and a direct call is refused.
    let page = read_page(&db, "/rules", &viewer).await;
    assert!(
        page.contains("Invalid SSH user &lt;b&gt;probe&lt;/b&gt;"),
        "{page}"
    );
    assert!(!page.contains("/api/fn/rule_enable"), "{page}");
    assert!(!page.contains("href=\"/rules/new\""), "{page}");
    let (status, _, _) = post_form(
        &db,
        "rule_enable",
        "%2Frules",
        &format!("id={id}&enabled=false"),
        &viewer,
        "application/json",
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

/// A browser's file upload: one part per file, named `files`.
fn upload(files: &[(&str, &str)]) -> (String, String) {
    let boundary = "----vigiltestboundary7MA4YWxkTrZu0gW";
    let mut body = String::new();
    for (name, content) in files {
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n{content}\r\n"
        ));
    }
    body.push_str(&format!("--{boundary}--\r\n"));
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn sigma_files_upload_with_a_result_per_file(db: TestDb) {
    let admin = db.cookies("root", &["admin"]).await;
    let viewer = db.cookies("vic", &["viewer"]).await;
    let token = db.token("reader", &["admin"]).await;
    let yaml = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/corpus/sigma/SigmaHQ-sigma/rules-emerging-threats/2018/Exploits/CVE-2018-15473/lnx_sshd_exploit_cve_2018_15473.yml"
    ))
    .unwrap();
    let title = yaml
        .lines()
        .find_map(|l| l.strip_prefix("title: "))
        .unwrap()
        .trim()
        .to_string();
    let (content_type, body) = upload(&[("cve.yml", &yaml), ("notes.txt", "not a rule")]);
    let send = |cookies: String, accept: &'static str| {
        Request::post("/api/fn/rules_import?back=%2Frules%2Fimport")
            .header("content-type", content_type.clone())
            .header("accept", accept)
            .header("cookie", cookies)
            .header("sec-fetch-site", "same-origin")
            .body(Body::from(body.clone()))
            .unwrap()
    };
    let (status, headers, _) = db.send(send(admin.clone(), BROWSER_ACCEPT)).await;
    assert_eq!(status, StatusCode::FOUND);
    assert_eq!(headers["location"], "/rules/import");
    let notice = common::notice_cookie(&headers).expect("a notice");
    let page = read_page(&db, "/rules/import", &format!("{admin}; {notice}")).await;
    let imported = format!("cve.yml: imported {title}");
    assert!(page.contains(&imported), "{page}");
    assert!(
        page.contains(
            "notes.txt: refused (not a Sigma file: the name does not end in .yml or .yaml)"
        ),
        "{page}"
    );
    let names: Vec<Value> = rules(&db, &token)
        .await
        .into_iter()
        .filter(|r| r["name"] == title.as_str())
        .collect();
    assert_eq!(names.len(), 1);
    assert_eq!(names[0]["kind"], "sigma");

    // A viewer's upload from a script is refused with 403.
    let (status, _, _) = db.send(send(viewer.clone(), "*/*")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
