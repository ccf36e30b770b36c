//! MariaDB goes away for 30 s in the middle of ingesting: Vigil pauses, says so on /readyz,
//! retries, and afterwards has every line exactly once.
//!
//! The outage is made by a TCP relay between Vigil and MariaDB that drops every connection and
//! refuses new ones, so the shared MariaDB server keeps serving the other tests.

use crate::common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::body::Body;
use http::Request;
use sea_orm::{ConnectionTrait, Database};
use tokio::net::{TcpListener, TcpStream};
use tower::ServiceExt;

use common::process::watch_counts;
use server::config::{Config, WatchConfig, WatchMode};
use server::ingest::watch::Watch;
use server::parse::ParserKind;

/// Forwards connections to MariaDB while `up`; when it goes down, cuts every connection and
/// refuses new ones.
struct Relay {
    port: u16,
    up: Arc<AtomicBool>,
    generation: Arc<std::sync::atomic::AtomicU64>,
}

impl Relay {
    async fn start(target: &'static str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let up = Arc::new(AtomicBool::new(true));
        let generation = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let (u, g) = (up.clone(), generation.clone());
        tokio::spawn(async move {
            loop {
                let Ok((mut client, _)) = listener.accept().await else {
                    continue;
                };
                if !u.load(Ordering::SeqCst) {
                    drop(client);
                    continue;
                }
                let (u, g) = (u.clone(), g.clone());
                let born = g.load(Ordering::SeqCst);
                tokio::spawn(async move {
                    let Ok(mut server) = TcpStream::connect(target).await else {
                        return;
                    };
                    let copy = tokio::io::copy_bidirectional(&mut client, &mut server);
                    let cut = async {
                        while u.load(Ordering::SeqCst) && g.load(Ordering::SeqCst) == born {
                            tokio::time::sleep(Duration::from_millis(20)).await;
                        }
                    };
                    tokio::select! {
                        _ = copy => {},
                        () = cut => {},
                    }
                });
            }
        });
        Self {
            port,
            up,
            generation,
        }
    }

    fn down(&self) {
        self.up.store(false, Ordering::SeqCst);
        self.generation.fetch_add(1, Ordering::SeqCst);
    }

    fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

fn append(path: &std::path::Path, range: std::ops::Range<usize>) {
    let text: String = range
        .map(|i| {
            format!(
                "{{\"timestamp\":\"2026-03-03T04:05:06Z\",\"source_ip\":\"198.51.100.{}\",\"username\":\"u{i}\",\"action\":\"login\",\"status\":\"failure\"}}\n",
                i % 250 + 1
            )
        })
        .collect();
    common::append(path, &text);
}

async fn readyz(state: &server::AppState) -> (u16, String) {
    let res = server::router(state.clone())
        .oneshot(Request::get("/readyz").body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = res.status().as_u16();
    let body = http_body_util::BodyExt::collect(res.into_body())
        .await
        .unwrap()
        .to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mariadb_outage_of_30_s_pauses_then_catches_up_without_loss_or_duplicates() {
    let admin_url = std::env::var("VIGIL_TEST_MYSQL_URL")
        .unwrap_or_else(|_| "mysql://vigil_test:vigil_test@127.0.0.1:3306".into());
    let admin = Database::connect(&admin_url).await.unwrap();
    let name = format!("vigil_test_outage_{}", std::process::id());
    admin
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS `{name}`"))
        .await
        .unwrap();
    admin
        .execute_unprepared(&format!("CREATE DATABASE `{name}`"))
        .await
        .unwrap();
    let direct = Database::connect(format!("{admin_url}/{name}"))
        .await
        .unwrap();

    let relay = Relay::start("127.0.0.1:3306").await;
    let relayed = admin_url.replace("127.0.0.1:3306", &format!("127.0.0.1:{}", relay.port));
    assert_ne!(relayed, admin_url, "the test URL names 127.0.0.1:3306");
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::for_database(&format!("{relayed}/{name}"), dir.path());
    config.ingest.batch_size = 500;
    let state = server::build_state(config).await.unwrap();
    let watch_cfg = WatchConfig {
        dir: dir.path().join("inbox"),
        patterns: vec!["*.json".into()],
        mode: WatchMode::Tail,
        schedule: "*/1 * * * * *".into(),
        idle_flush: Duration::from_millis(200),
        parser: ParserKind::Auto,
        processed_dir: dir.path().join("processed"),
        secrets_dir: dir.path().join("secrets"),
    };
    let watch = Watch::start(watch_cfg.clone(), state.service().ingest().clone())
        .await
        .unwrap();
    let file = watch_cfg.dir.join("app.json");
    append(&file, 0..20_000);
    while watch_counts(&direct).await.0 == 0 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    relay.down();
    append(&file, 20_000..30_000);
    // Ingestion notices and says so.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(25);
    let mut ready = readyz(&state).await;
    // The database check fails at once; ingestion says paused once the writer has failed.
    while !ready.1.contains("\"ingestion\":\"paused\"") && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
        ready = readyz(&state).await;
    }
    assert_eq!(ready.0, 503, "{}", ready.1);
    assert!(ready.1.contains("\"ingestion\":\"paused\""), "{}", ready.1);
    let during = watch_counts(&direct).await;
    tokio::time::sleep(Duration::from_secs(30)).await;
    assert_eq!(
        watch_counts(&direct).await,
        during,
        "nothing is written while down"
    );
    assert!(during.0 < 30_000, "the outage began mid-ingest: {during:?}");

    relay.restore();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    while watch_counts(&direct).await.0 < 30_000 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(watch_counts(&direct).await, (30_000, 30_000));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while readyz(&state).await.0 != 200 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(readyz(&state).await.0, 200, "ready again");

    watch.stop().await;
    drop(state);
    let _ = admin
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS `{name}`"))
        .await;
}
