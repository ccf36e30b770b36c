//! `vigil serve`: the web interface, the API and, as later parts land, the pipelines.

use tokio::net::TcpListener;

use crate::config::Config;

pub async fn run(config: Config) -> anyhow::Result<()> {
    let _log = crate::logging::init(&config)?;
    let listen = config.listen;
    tracing::info!(
        version = env!("CARGO_PKG_VERSION"),
        database = %crate::store::redact(&config.database_url),
        data_dir = %config.data_dir.display(),
        site_root = %config.site_root.display(),
        "starting vigil"
    );
    if !config.site_root.join("pkg").is_dir() {
        tracing::warn!(
            site_root = %config.site_root.display(),
            "site root has no pkg directory: pages will render but not hydrate (set VIGIL_SITE_ROOT)"
        );
    }
    let state = crate::build_state(config).await?;
    let app = crate::router(state);
    let listener = TcpListener::bind(listen)
        .await
        .map_err(|e| anyhow::anyhow!("invalid value for `listen`: cannot bind {listen}: {e}"))?;
    tracing::info!(address = %listen, "listening on http://{listen}");
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await?;
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down");
}
