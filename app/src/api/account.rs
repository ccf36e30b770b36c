//! Server functions about the signed-in user.

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::auth::CurrentUser;

/// The signed-in user with roles and permissions, for the menu and for hiding what the user
/// may not do (the server enforces it regardless).
#[server(prefix = "/api/fn", endpoint = "current_user")]
pub async fn get_current_user() -> Result<CurrentUser, AppError> {
    super::current_user()
}
