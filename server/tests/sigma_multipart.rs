//! Sigma import as a multipart folder upload through the router, on SQLite and on MariaDB:
//! staged SigmaHQ files and a non-YAML file in one body, one result per part in the order
//! sent; the limits answer 413 and 422 naming the problem; viewers are kept out; the OpenAPI
//! document describes the multipart body.

use crate::common;

use std::path::{Path, PathBuf};

use axum::body::Body;
use http::{Request, StatusCode};
use serde_json::Value;

use common::TestDb;

backend_suite!(
    folder_upload_imports_each_yaml_file_and_refuses_the_rest,
    upload_limits_name_the_problem,
);

const BOUNDARY: &str = "vigil-test-boundary-7MA4YWxkTrZu0gW";

fn sigma_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/corpus/sigma/SigmaHQ-sigma")
}

/// A `multipart/form-data` body with one `files` part per (file name, content), as a browser
/// sends a folder picked with `<input type=file webkitdirectory multiple>`.
fn multipart(files: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, data) in files {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(data);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

async fn upload(db: &TestDb, token: &str, body: Vec<u8>) -> (StatusCode, Value) {
    let req = Request::post("/api/v1/rules/import")
        .header("authorization", format!("Bearer {token}"))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(Body::from(body))
        .unwrap();
    let (status, _, text) = db.send(req).await;
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// The staged files under `rules-emerging-threats`, by relative path, and the `title:` line of
/// each (each is one document).
fn emerging() -> Vec<(String, Vec<u8>, String)> {
    let root = sigma_root();
    let mut out = Vec::new();
    let mut stack = vec![root.join("rules-emerging-threats")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let text = std::fs::read_to_string(&path).unwrap();
                let titles: Vec<&str> = text
                    .lines()
                    .filter_map(|l| l.strip_prefix("title: "))
                    .collect();
                assert_eq!(titles.len(), 1, "{}", path.display());
                let rel = path.strip_prefix(&root).unwrap().to_string_lossy();
                out.push((
                    rel.into_owned(),
                    text.clone().into_bytes(),
                    titles[0].trim().into(),
                ));
            }
        }
    }
    out.sort();
    out
}

async fn folder_upload_imports_each_yaml_file_and_refuses_the_rest(db: TestDb) {
    let analyst = db.token("ana", &["analyst"]).await;
    let viewer = db.token("vic", &["viewer"]).await;
    let staged = emerging();
    assert!(staged.len() >= 3, "{}", staged.len());
    let license = std::fs::read(sigma_root().join("DRL-1.1.md")).unwrap();
    // The licence in the middle: results keep the order sent.
    let mut parts: Vec<(String, Vec<u8>)> = staged
        .iter()
        .map(|(n, d, _)| (format!("sigma/{n}"), d.clone()))
        .collect();
    parts.insert(1, ("sigma/DRL-1.1.md".into(), license));
    let body = multipart(&parts);

    let (status, _) = upload(&db, &viewer, body.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let (status, result) = upload(&db, &analyst, body).await;
    assert_eq!(status, StatusCode::OK, "{result}");
    let files = result["files"].as_array().unwrap();
    assert_eq!(files.len(), parts.len(), "{result}");
    for (res, (name, _)) in files.iter().zip(&parts) {
        assert_eq!(res["file"], name.as_str(), "{res}");
    }
    let licence = &files[1];
    assert_eq!(
        licence["imported"].as_array().unwrap().len(),
        0,
        "{licence}"
    );
    let reason = licence["refused"][0]["reason"].as_str().unwrap();
    assert!(reason.contains(".yml or .yaml"), "{licence}");
    let yaml_results: Vec<&Value> = files
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != 1)
        .map(|(_, r)| r)
        .collect();
    for (res, (_, _, title)) in yaml_results.iter().zip(&staged) {
        let done = res["imported"].as_array().unwrap();
        assert_eq!(done.len(), 1, "{res}");
        assert_eq!(done[0]["name"], title.as_str(), "{res}");
        assert_eq!(done[0]["enabled"], true, "{res}");
        assert_eq!(res["refused"].as_array().unwrap().len(), 0, "{res}");
    }
    // The rules exist under their titles.
    let (status, rules) = common::logs::get(&db, "/api/v1/rules?kind=sigma", &analyst).await;
    assert_eq!(status, StatusCode::OK);
    for (_, _, title) in &staged {
        assert!(
            rules
                .as_array()
                .unwrap()
                .iter()
                .any(|r| r["name"] == title.as_str()),
            "{title} missing"
        );
    }
}

async fn upload_limits_name_the_problem(db: TestDb) {
    let analyst = db.token("ana", &["analyst"]).await;
    let rule = |i: usize| {
        format!(
            "title: Rule {i}\nlogsource:\n  category: webserver\ndetection:\n  sel:\n    cs-uri-query|contains: 'x{i}'\n  condition: sel\n"
        )
        .into_bytes()
    };

    // 501 files: over the 500-file limit.
    let many: Vec<(String, Vec<u8>)> = (0..501).map(|i| (format!("r{i}.yml"), rule(i))).collect();
    let (status, body) = upload(&db, &analyst, multipart(&many)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["error"]["message"].as_str().unwrap().contains("500"),
        "{body}"
    );

    // Over 16 MiB in all: 413.
    let big = vec![b'#'; 17 * 1024 * 1024];
    let (status, body) = upload(&db, &analyst, multipart(&[("big.yml".into(), big)])).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("16777216"),
        "{body}"
    );

    // One file over the 1 MiB per-file limit is refused with its size; the other imports.
    let mut large = b"title: Large\n".to_vec();
    large.extend(vec![b'#'; 1024 * 1024 + 1]);
    let (status, body) = upload(
        &db,
        &analyst,
        multipart(&[("large.yml".into(), large), ("small.yml".into(), rule(1))]),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let reason = body["files"][0]["refused"][0]["reason"].as_str().unwrap();
    assert!(reason.contains("byte limit"), "{body}");
    assert_eq!(body["files"][1]["imported"][0]["name"], "Rule 1", "{body}");

    // No file part, and a body that is not multipart at all.
    let (status, body) = upload(&db, &analyst, multipart(&[])).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("no file part"),
        "{body}"
    );
    let (status, body) = upload(&db, &analyst, b"not multipart".to_vec()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("multipart"),
        "{body}"
    );
}

/// The OpenAPI document describes the upload: a `multipart/form-data` body whose `files` are
/// binary file parts.
#[test]
fn openapi_describes_the_multipart_body() {
    let spec = serde_json::to_value(server::http::api::openapi()).unwrap();
    let content = &spec["paths"]["/api/v1/rules/import"]["post"]["requestBody"]["content"];
    for media in [
        "application/yaml",
        "application/json",
        "multipart/form-data",
    ] {
        assert!(content.get(media).is_some(), "{media} missing: {content}");
    }
    let form = &content["multipart/form-data"]["schema"];
    let form = match form["$ref"].as_str() {
        Some(r) => &spec["components"]["schemas"][r.rsplit('/').next().unwrap()],
        None => form,
    };
    let files = &form["properties"]["files"];
    assert_eq!(files["type"], "array", "{form}");
    assert_eq!(files["items"]["format"], "binary", "{form}");
}
