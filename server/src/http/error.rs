//! The REST API's error answer: `{"error": {"code", "message"}}`, internals logged, never sent.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
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
    /// A request the HTTP layer refuses before any use case sees it, e.g. an unsupported
    /// content type or a body over the limit.
    #[error("{message}")]
    Request {
        status: StatusCode,
        code: &'static str,
        message: String,
    },
}

impl ApiError {
    pub fn payload_too_large(limit: usize) -> Self {
        Self::Request {
            status: StatusCode::PAYLOAD_TOO_LARGE,
            code: "payload_too_large",
            message: format!("the body is larger than {limit} bytes"),
        }
    }

    pub fn unsupported_media_type(message: impl Into<String>) -> Self {
        Self::Request {
            status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
            code: "unsupported_media_type",
            message: message.into(),
        }
    }
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
            Self::Request {
                status,
                code,
                message,
            } => {
                let body = ErrorBody {
                    error: ErrorDetail {
                        code: code.to_string(),
                        message,
                    },
                };
                return (status, Json(body)).into_response();
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
        let mut res = (status, Json(body)).into_response();
        if let AppError::RateLimited(seconds) = app {
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        res
    }
}
