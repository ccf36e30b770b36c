//! The dashboard's server function.

use leptos::prelude::*;
use server_fn::codec::Json;

use crate::error::AppError;
use crate::model::dashboard::{Dashboard, DashboardRange};

/// The dashboard's figures for `range`, counted from the rollups.
#[server(prefix = "/api/fn", endpoint = "dashboard", input = Json)]
pub async fn get_dashboard(range: DashboardRange) -> Result<Dashboard, AppError> {
    let user = super::current_user()?;
    let service = super::service()?;
    super::respond(service.dashboard(&user, range, chrono::Utc::now()).await)
}
