//! The `/api/v1` REST API. Every route is registered through the OpenAPI router, so the spec at
//! `/api/v1/openapi.json` lists every operation by construction.

mod system;

use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use super::error::{ErrorBody, ErrorDetail};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Vigil API",
        description = "Vigil's JSON API: events, alerts, rules, reports and administration."
    ),
    components(schemas(ErrorBody, ErrorDetail)),
    tags((name = "system", description = "The instance itself"))
)]
struct ApiDoc;

/// The API routes together with their OpenAPI description.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi()).routes(routes!(system::status))
}

/// The OpenAPI document, for tools and tests.
pub fn openapi() -> utoipa::openapi::OpenApi {
    router().into_openapi()
}
