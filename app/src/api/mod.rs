//! Server functions: thin adapters that fetch the service port from context and call it.

mod system;

pub use system::get_system_status;

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
