//! Server functions about the instance itself.

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::SystemStatus;

/// The dashboard's snapshot of the instance.
#[server(prefix = "/api/fn", endpoint = "system_status")]
pub async fn get_system_status() -> Result<SystemStatus, AppError> {
    let user = super::current_user()?;
    let service = super::service()?;
    super::respond(service.system_status(&user).await)
}
