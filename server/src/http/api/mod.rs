//! The `/api/v1` REST API. Every route is registered through the OpenAPI router, so the spec at
//! `/api/v1/openapi.json` lists every operation by construction.

mod accounts;
mod alerts;
mod audit;
mod auth;
mod backtest;
mod channels;
mod logs;
mod reports;
mod roles;
mod rule_import;
mod rules;
mod system;
mod tokens;
mod users;

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use super::error::{ErrorBody, ErrorDetail};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Vigil API",
        description = "Vigil's JSON API: events, alerts, rules, reports and administration. \
                       Authenticate with `Authorization: Bearer <token>`: an access token from \
                       `/api/v1/auth/login` or an API token."
    ),
    modifiers(&BearerAuth),
    components(schemas(ErrorBody, ErrorDetail)),
    tags(
        (name = "auth", description = "Signing in and out, tokens"),
        (name = "accounts", description = "Users, roles and API tokens"),
        (name = "logs", description = "Sending logs and reading stored events"),
        (name = "alerts", description = "Alerts raised by detection and their triage"),
        (name = "rules", description = "Detection rules"),
        (name = "notifications", description = "Notification channels"),
        (name = "reports", description = "Reports generated in the background, and their schedules"),
        (name = "audit", description = "Who did what, when, from where"),
        (name = "system", description = "The instance itself")
    )
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT or API token")
                    .build(),
            ),
        );
    }
}

/// The API routes together with their OpenAPI description.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(auth::login))
        .routes(routes!(auth::refresh))
        .routes(routes!(auth::logout))
        .routes(routes!(accounts::me))
        .routes(routes!(users::list, users::create))
        .routes(routes!(users::get, users::update))
        .routes(routes!(users::disable))
        .routes(routes!(users::reset_password))
        .routes(routes!(roles::list, roles::create))
        .routes(routes!(roles::update, roles::delete))
        .routes(routes!(tokens::list, tokens::create))
        .routes(routes!(tokens::revoke))
        .routes(routes!(logs::submit, logs::search))
        .routes(routes!(logs::submit_raw))
        .routes(routes!(logs::export))
        .routes(routes!(logs::stream))
        .routes(routes!(logs::get))
        .routes(routes!(rules::list, rules::create))
        .routes(routes!(rule_import::import))
        .routes(routes!(rules::get, rules::update, rules::delete))
        .routes(routes!(rules::enable))
        .routes(routes!(rules::disable))
        .routes(routes!(backtest::saved))
        .routes(routes!(backtest::unsaved))
        .routes(routes!(backtest::get))
        .routes(routes!(alerts::list))
        .routes(routes!(alerts::stream))
        .routes(routes!(alerts::bulk))
        .routes(routes!(alerts::assignees))
        .routes(routes!(alerts::get, alerts::update))
        .routes(routes!(alerts::events))
        .routes(routes!(alerts::comments, alerts::add_comment))
        .routes(routes!(alerts::history))
        .routes(routes!(channels::alert_notifications))
        .routes(routes!(channels::list, channels::create))
        .routes(routes!(channels::get, channels::update, channels::delete))
        .routes(routes!(channels::test))
        .routes(routes!(reports::list_schedules, reports::create_schedule))
        .routes(routes!(
            reports::get_schedule,
            reports::update_schedule,
            reports::delete_schedule
        ))
        .routes(routes!(reports::list, reports::create))
        .routes(routes!(reports::get, reports::delete))
        .routes(routes!(reports::download))
        .routes(routes!(audit::list))
        .routes(routes!(system::status))
}

/// The OpenAPI document, for tools and tests.
pub fn openapi() -> utoipa::openapi::OpenApi {
    router().into_openapi()
}
