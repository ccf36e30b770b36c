//! The REST API's error answer: `{"error": {"code", "message"}}`, internals logged, never sent.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use app::error::AppError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error(transparent)]
    App(#[from] AppError),
    #[error("database error: {0}")]
    Db(#[from] sea_orm::DbErr),
}

/// The body of every error answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code, e.g. `not_found`.
    pub code: String,
    /// Human-readable explanation.
    pub message: String,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let app = match self {
            Self::App(err) => err,
            Self::Db(err) => {
                tracing::error!(error = %err, "database error");
                AppError::Internal
            }
        };
        let status = StatusCode::from_u16(app.status_code().as_u16())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = ErrorBody {
            error: ErrorDetail {
                code: app.code().to_string(),
                message: app.to_string(),
            },
        };
        (status, Json(body)).into_response()
    }
}
