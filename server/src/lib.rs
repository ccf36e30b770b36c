//! Vigil's server: implements the app's service port and holds HTTP, authentication, storage,
//! ingestion and detection.

pub mod alerting;
pub mod auth;
pub mod cli;
pub mod config;
pub mod data_dir;
pub mod detect;
pub mod http;
pub mod ingest;
pub mod jobs;
pub mod logging;
pub mod parse;
pub mod report;
pub mod service;
pub mod store;
pub mod telemetry;

use leptos::config::LeptosOptions;

pub use http::{AppState, router};

use crate::config::Config;
use crate::service::Service;

/// Connects to the database, brings its schema up to date and assembles the state every
/// handler shares.
pub async fn build_state(config: Config) -> anyhow::Result<AppState> {
    let db = store::connect(&config).await?;
    let applied = store::migrate(&db).await?;
    if applied > 0 {
        tracing::info!(applied, "database migrations applied");
    }
    let leptos = leptos_options(&config)?;
    let secrets = data_dir::prepare(&config.data_dir)?;
    let secret = auth::keys::signing_secret(config.jwt_secret.as_deref(), &secrets)?;
    let keys = auth::jwt::JwtKeys::new(&secret, "vigil", "vigil", config.access_token_ttl);
    let auth = service::auth::AuthSettings::new(keys, config.refresh_token_ttl)?;
    let ingest = ingest::IngestHandle::start(db.clone(), &config.ingest);
    let service = Service::new(ingest, auth)
        .with_notify(config.notify.clone())
        .with_jobs(jobs::Jobs::new(config.reports.clone()));
    service.start_jobs().await?;
    Ok(AppState::new(config, service, leptos, telemetry::handle()))
}

/// Leptos's site settings: `LEPTOS_*` variables when cargo-leptos provides them, with Vigil's
/// own listen address and site root taking precedence, so the binary also runs on its own.
fn leptos_options(config: &Config) -> anyhow::Result<LeptosOptions> {
    let mut options = if std::env::var_os("LEPTOS_OUTPUT_NAME").is_some() {
        leptos::config::get_configuration(None)
            .map_err(|e| anyhow::anyhow!("invalid LEPTOS_* environment: {e}"))?
            .leptos_options
    } else {
        LeptosOptions::builder()
            .output_name(option_env!("LEPTOS_OUTPUT_NAME").unwrap_or("vigil"))
            .env(leptos::config::Env::PROD)
            .build()
    };
    options.site_addr = config.listen;
    options.site_root = config.site_root.to_string_lossy().into_owned().into();
    Ok(options)
}
