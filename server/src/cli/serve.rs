//! `vigil serve`: the web interface, the API, the syslog listeners and, as later parts land, the
//! other pipelines.

use tokio::net::TcpListener;

use crate::config::Config;

pub async fn run(config: Config) -> anyhow::Result<()> {
    // Before anything else creates the data directory with the default mode.
    crate::data_dir::prepare(&config.data_dir)?;
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
    let ingest_config = config.ingest.clone();
    let notify_settings = config.notify.clone();
    let state = crate::build_state(config).await?;
    let seeded = crate::detect::builtin::seed(state.service().db()).await?;
    if seeded > 0 {
        tracing::info!(rules = seeded, "built-in detection rules created");
    }
    let configured = std::env::var("VIGIL_ADMIN_PASSWORD")
        .ok()
        .filter(|p| !p.is_empty());
    let configured_given = configured.is_some();
    if let Some(secret) =
        crate::service::users::bootstrap_admin(state.service().db(), &data_dir, configured).await?
    {
        let file = crate::data_dir::secrets_dir(&data_dir)
            .join(crate::service::users::INITIAL_ADMIN_PASSWORD_FILE);
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
    let _notify = crate::alerting::notify::start(state.service().db().clone(), notify_settings);
    let syslog = crate::ingest::syslog::start(&ingest_config, state.service().ingest()).await?;
    for (transport, address) in [("udp", syslog.udp), ("tcp", syslog.tcp)] {
        match address {
            Some(address) => {
                tracing::info!(transport, address = %address, "syslog listening on {transport} {address}")
            }
            None => tracing::info!(transport, "syslog over {transport} is off"),
        }
    }
    let watch = match ingest_config.watch.clone() {
        Some(watch) => {
            Some(crate::ingest::watch::Watch::start(watch, state.service().ingest().clone()).await?)
        }
        None => None,
    };
    // Resolves once the writer has stored everything; holds no handle that would keep it open.
    let ingest_stopped = state.service().ingest().stopped();
    // Background tasks (report jobs, schedules) hold the service and with it a handle.
    let ingest = state.service().ingest().clone();
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
    // Sources first; with them and the router gone, the writer stores what is queued and stops.
    syslog.shutdown().await;
    if let Some(watch) = watch {
        watch.stop().await;
    }
    ingest.close();
    if tokio::time::timeout(INGEST_DRAIN_TIMEOUT, ingest_stopped)
        .await
        .is_err()
    {
        tracing::warn!(
            timeout_secs = INGEST_DRAIN_TIMEOUT.as_secs(),
            "ingest pipeline still writing at shutdown: lines from files are read again at the next start"
        );
    }
    tracing::info!("stopped");
    Ok(())
}

/// How long shutdown waits for queued events to be stored.
const INGEST_DRAIN_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

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
