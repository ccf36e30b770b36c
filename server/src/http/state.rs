//! What every handler can reach. The fields are private to `http`: everything else goes through
//! the service.

use std::sync::Arc;

use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use metrics_exporter_prometheus::PrometheusHandle;

use app::service::SharedService;

use super::rate_limit::RateLimiter;
use crate::config::Config;
use crate::service::Service;
use crate::service::auth::AuthSettings;

#[derive(Clone)]
pub struct AppState {
    pub(in crate::http) config: Arc<Config>,
    /// The service port, for use cases the pages share with the REST API.
    pub(in crate::http) service: SharedService,
    /// The same service, for the use cases only the server has (signing in, submitting logs,
    /// streaming).
    pub(in crate::http) backend: Arc<Service>,
    pub(in crate::http) leptos: LeptosOptions,
    pub(in crate::http) metrics: PrometheusHandle,
    pub(in crate::http) auth_limiter: Arc<RateLimiter>,
}

impl AppState {
    pub fn new(
        config: Config,
        service: Service,
        leptos: LeptosOptions,
        metrics: PrometheusHandle,
    ) -> Self {
        let backend = Arc::new(service);
        Self {
            auth_limiter: Arc::new(RateLimiter::new(config.auth_rate_limit)),
            config: Arc::new(config),
            service: backend.clone(),
            backend,
            leptos,
            metrics,
        }
    }

    /// The service behind the port.
    pub fn service(&self) -> &Service {
        &self.backend
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The state with other settings (the rate limiter keeps its own).
    pub fn with_config(mut self, config: Config) -> Self {
        self.config = Arc::new(config);
        self
    }

    /// The state with other sign-in settings (throttle limits, token lifetimes).
    pub fn with_auth(mut self, auth: AuthSettings) -> Self {
        let backend = Arc::new(self.backend.as_ref().clone().with_auth(auth));
        self.service = backend.clone();
        self.backend = backend;
        self
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos.clone()
    }
}
