//! Test harness: a fresh, migrated database per test, on SQLite or on MariaDB, and helpers to
//! drive the router with `tower::ServiceExt::oneshot`.

#![allow(dead_code)]

pub mod auth_log;
pub mod logs;
pub mod notify;
pub mod process;
pub mod reports;
pub mod rollups;
pub mod threshold;

use axum::Router;
use axum::body::Body;
use http::{Request, Response, StatusCode};
use http_body_util::BodyExt;
use sea_orm::{ConnectionTrait, Database};
use tower::ServiceExt;

use server::AppState;
use server::config::Config;
use server::service::auth::IssuedTokens;

/// Where the MariaDB server for tests is, without a database name.
pub fn mariadb_admin_url() -> String {
    std::env::var("VIGIL_TEST_MYSQL_URL")
        .unwrap_or_else(|_| "mysql://vigil_test:vigil_test@127.0.0.1:3306".into())
}

pub struct TestDb {
    pub state: AppState,
    pub backend: &'static str,
    _dir: tempfile::TempDir,
    drop_database: Option<String>,
}

impl TestDb {
    pub async fn sqlite() -> Self {
        Self::sqlite_with(|_| {}).await
    }

    /// [`Self::sqlite`] with a configuration changed by `configure`.
    pub async fn sqlite_with(configure: impl FnOnce(&mut Config)) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let url = format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("vigil.db").display()
        );
        let mut config = Config::for_database(&url, dir.path());
        configure(&mut config);
        let state = server::build_state(config).await.expect("state on sqlite");
        Self {
            state,
            backend: "sqlite",
            _dir: dir,
            drop_database: None,
        }
    }

    pub async fn mariadb() -> Self {
        Self::mariadb_with(|_| {}).await
    }

    /// [`Self::mariadb`] with a configuration changed by `configure`.
    pub async fn mariadb_with(configure: impl FnOnce(&mut Config)) -> Self {
        let admin = mariadb_admin_url();
        let conn = Database::connect(&admin).await.unwrap_or_else(|e| {
            panic!(
                "MariaDB is not reachable at {admin}: {e}. `make test` starts it; otherwise \
                 start it or point VIGIL_TEST_MYSQL_URL at one"
            )
        });
        // `make mariadb` grants the test user every database whose name starts with vigil_test.
        let name = format!("vigil_test_{}", uuid::Uuid::new_v4().simple());
        conn.execute_unprepared(&format!("CREATE DATABASE `{name}`"))
            .await
            .expect("create test database");
        let dir = tempfile::tempdir().unwrap();
        let url = format!("{admin}/{name}");
        let mut config = Config::for_database(&url, dir.path());
        configure(&mut config);
        let state = server::build_state(config).await.expect("state on mariadb");
        Self {
            state,
            backend: "mysql",
            _dir: dir,
            drop_database: Some(name),
        }
    }

    pub fn router(&self) -> Router {
        server::router(self.state.clone())
    }

    /// `/metrics` as Prometheus scrapes it: with the metrics token configured and presented.
    pub async fn metrics(&self) -> (StatusCode, http::HeaderMap, String) {
        let mut config = self.state.config().clone();
        config.metrics_token = Some(METRICS_TOKEN.to_string());
        let state = self.state.clone().with_config(config);
        let req = Request::get("/metrics")
            .header("authorization", format!("Bearer {METRICS_TOKEN}"))
            .body(Body::empty())
            .unwrap();
        split(server::router(state).oneshot(req).await.unwrap()).await
    }

    pub async fn get(&self, uri: &str) -> (StatusCode, http::HeaderMap, String) {
        let res = self
            .router()
            .oneshot(Request::get(uri).body(Body::empty()).unwrap())
            .await
            .unwrap();
        split(res).await
    }

    pub async fn send(&self, req: Request<Body>) -> (StatusCode, http::HeaderMap, String) {
        split(self.router().oneshot(req).await.unwrap()).await
    }

    /// Calls the API with a bearer token and an optional JSON body; answers the status and the
    /// body read as JSON (`Null` when it is not JSON).
    pub async fn json(
        &self,
        method: &str,
        uri: &str,
        token: &str,
        body: Option<serde_json::Value>,
    ) -> (StatusCode, serde_json::Value) {
        let mut req = Request::builder()
            .method(method)
            .uri(uri)
            .header("authorization", format!("Bearer {token}"));
        let body = match body {
            Some(b) => {
                req = req.header("content-type", "application/json");
                Body::from(b.to_string())
            }
            None => Body::empty(),
        };
        let (status, _, text) = self.send(req.body(body).unwrap()).await;
        (
            status,
            serde_json::from_str(&text).unwrap_or(serde_json::Value::Null),
        )
    }

    /// Creates a user holding `roles` and signs in, returning the issued tokens.
    pub async fn sign_in(&self, username: &str, roles: &[&str]) -> IssuedTokens {
        let roles: Vec<String> = roles.iter().map(|r| r.to_string()).collect();
        server::service::users::create_user(self.state.service().db(), username, PASSWORD, &roles)
            .await
            .expect("create test user");
        self.state
            .service()
            .login(username, PASSWORD, None)
            .await
            .expect("sign in test user")
    }

    /// A bearer token for a new user with `roles`.
    pub async fn token(&self, username: &str, roles: &[&str]) -> String {
        self.sign_in(username, roles).await.access_token
    }

    /// The `Cookie` header a browser signed in as a new user with `roles` sends.
    pub async fn cookies(&self, username: &str, roles: &[&str]) -> String {
        let t = self.sign_in(username, roles).await;
        format!(
            "vigil_access={}; vigil_refresh={}",
            t.access_token, t.refresh_token
        )
    }

    pub async fn get_with(&self, uri: &str, token: &str) -> (StatusCode, http::HeaderMap, String) {
        self.send(
            Request::get(uri)
                .header("authorization", format!("Bearer {token}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await
    }

    pub async fn get_page(
        &self,
        uri: &str,
        cookies: &str,
    ) -> (StatusCode, http::HeaderMap, String) {
        self.send(
            Request::get(uri)
                .header("cookie", cookies)
                .body(Body::empty())
                .unwrap(),
        )
        .await
    }
}

/// What a browser sends as `accept` with a form post.
pub const BROWSER_ACCEPT: &str = "text/html,application/xhtml+xml,*/*;q=0.8";

/// Posts `body` to the server function `name` as a browser form on the page `back` would.
pub async fn post_form(
    db: &TestDb,
    name: &str,
    back: &str,
    body: &str,
    cookies: &str,
    accept: &str,
) -> (StatusCode, http::HeaderMap, String) {
    db.send(
        Request::post(format!("/api/fn/{name}?back={back}"))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("accept", accept)
            .header("cookie", cookies)
            .header("sec-fetch-site", "same-origin")
            .body(Body::from(body.to_string()))
            .unwrap(),
    )
    .await
}

/// The `vigil_notice` cookie a response sets, as `name=value`.
pub fn notice_cookie(headers: &http::HeaderMap) -> Option<String> {
    headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("vigil_notice="))
        .map(|c| c.split(';').next().unwrap().to_string())
}

/// The password of every user the tests create.
pub const PASSWORD: &str = "a long enough test passphrase";

/// The metrics token of tests that read `/metrics`.
pub const METRICS_TOKEN: &str = "metrics-token-for-tests";

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some(name) = self.drop_database.take() {
            // Drop runs outside async; a short-lived runtime on its own thread does the cleanup.
            let admin = mariadb_admin_url();
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                rt.block_on(async move {
                    if let Ok(conn) = Database::connect(&admin).await {
                        let _ = conn
                            .execute_unprepared(&format!("DROP DATABASE IF EXISTS `{name}`"))
                            .await;
                    }
                });
            })
            .join();
        }
    }
}

async fn split(res: Response<Body>) -> (StatusCode, http::HeaderMap, String) {
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        headers,
        String::from_utf8_lossy(&bytes).into_owned(),
    )
}

/// Generates one test per backend for each named `async fn(TestDb)`.
#[macro_export]
macro_rules! backend_suite {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(super::common::TestDb::sqlite().await).await
                }
            )*
        }
        mod mariadb {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(super::common::TestDb::mariadb().await).await
                }
            )*
        }
    };
}

/// Appends `text` to the file at `path`, creating it when missing, as a logging program would.
pub fn append(path: &std::path::Path, text: &str) {
    use std::io::Write;
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
}
