//! What every handler can reach.

use std::sync::Arc;

use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use metrics_exporter_prometheus::PrometheusHandle;
use sea_orm::DatabaseConnection;

use app::service::SharedService;

use super::rate_limit::RateLimiter;
use crate::config::Config;
use crate::ingest::IngestHandle;
use crate::service::auth::AuthSettings;

#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub db: DatabaseConnection,
    pub service: SharedService,
    pub leptos: LeptosOptions,
    pub metrics: PrometheusHandle,
    pub auth: AuthSettings,
    pub auth_limiter: Arc<RateLimiter>,
    pub ingest: IngestHandle,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos.clone()
    }
}
