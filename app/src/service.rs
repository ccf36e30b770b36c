//! The service port: the use cases the backend implements, called by server functions and REST
//! handlers alike so that validation, authorization and queries live in one place.

use std::sync::Arc;

use async_trait::async_trait;

use crate::error::AppError;
use crate::model::SystemStatus;
use crate::model::auth::CurrentUser;

/// Vigil's use cases.
#[async_trait]
pub trait VigilService: Send + Sync + 'static {
    /// A snapshot of the instance for the dashboard; needs `events.read`.
    async fn system_status(&self, user: &CurrentUser) -> Result<SystemStatus, AppError>;
}

/// How the port travels through contexts and application state.
pub type SharedService = Arc<dyn VigilService>;
