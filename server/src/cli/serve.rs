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
    let data_dir = config.data_dir.clone();
    let state = crate::build_state(config).await?;
    let configured = std::env::var("VIGIL_ADMIN_PASSWORD")
        .ok()
        .filter(|p| !p.is_empty());
    let configured_given = configured.is_some();
    if let Some(secret) =
        crate::service::users::bootstrap_admin(&state.db, &data_dir, configured).await?
    {
        let file = data_dir.join(crate::service::users::INITIAL_ADMIN_PASSWORD_FILE);
        println!();
        println!("  Vigil created the user `admin` with this password (shown only once):");
        println!();
        println!("      {secret}");
        println!();
        println!(
            "  It is also in {} (readable by this user only);",
            file.display()
        );
        println!("  delete that file once you have stored the password elsewhere.");
        println!();
        tracing::warn!(file = %file.display(), "created user admin with a generated password");
    } else if configured_given {
        tracing::info!("user admin exists or was created from VIGIL_ADMIN_PASSWORD");
    }
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
