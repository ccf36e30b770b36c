//! Pages render while other routers are being built, as parallel tests (and any embedding of
//! several routers) do: no render may be left waiting forever.

use crate::common;

use std::time::Duration;

use http::StatusCode;

use common::TestDb;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn pages_render_while_other_routers_are_built() {
    let db = std::sync::Arc::new(TestDb::sqlite().await);
    let cookies = db.cookies("root", &["admin"]).await;
    let builders: Vec<_> = (0..2)
        .map(|_| {
            let db = db.clone();
            tokio::spawn(async move {
                for _ in 0..150 {
                    let _ = db.router();
                    tokio::task::yield_now().await;
                }
            })
        })
        .collect();
    let renderers: Vec<_> = (0..2)
        .map(|i| {
            let (db, cookies) = (db.clone(), cookies.clone());
            tokio::spawn(async move {
                let paths = ["/admin/users", "/admin/roles", "/admin/audit", "/"];
                for n in 0..60 {
                    let path = paths[(n + i) % paths.len()];
                    let rendered =
                        tokio::time::timeout(Duration::from_secs(30), db.get_page(path, &cookies))
                            .await;
                    let (status, _, _) =
                        rendered.unwrap_or_else(|_| panic!("{path} never finished rendering"));
                    assert_eq!(status, StatusCode::OK, "{path}");
                }
            })
        })
        .collect();
    for task in builders.into_iter().chain(renderers) {
        task.await.unwrap();
    }
}
