//! Server functions: thin adapters that fetch the service port from context and call it.

mod account;
pub mod admin;
pub mod alerts;
mod dashboard;
mod events;
pub mod forms;
pub mod reports;
mod resource;
pub mod rules;
mod system;

pub use account::get_current_user;
pub use dashboard::get_dashboard;
pub use events::{browse_events, get_event_detail};
pub use resource::{JsonBytes, JsonResource, resource};
pub use system::get_system_status;

/// The caller, as the server's authentication middleware left it in the request.
#[cfg(feature = "ssr")]
pub(crate) fn current_user() -> Result<crate::model::auth::CurrentUser, crate::error::AppError> {
    use leptos::prelude::use_context;
    let user = use_context::<http::request::Parts>().and_then(|parts| {
        parts
            .extensions
            .get::<crate::model::auth::CurrentUser>()
            .cloned()
    });
    respond(user.ok_or(crate::error::AppError::Unauthorized))
}

/// The service port the server provided to this request's reactive context.
#[cfg(feature = "ssr")]
pub(crate) fn service() -> Result<crate::service::SharedService, crate::error::AppError> {
    leptos::prelude::use_context::<crate::service::SharedService>().ok_or_else(|| {
        leptos::logging::error!("service port missing from context");
        crate::error::AppError::Internal
    })
}

/// Sets the response status of the server function call to match the error it returns.
#[cfg(feature = "ssr")]
pub(crate) fn respond<T>(
    result: Result<T, crate::error::AppError>,
) -> Result<T, crate::error::AppError> {
    if let Err(err) = &result
        && let Some(res) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>()
    {
        res.set_status(err.status_code());
    }
    result
}
