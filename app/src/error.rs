//! The error every use case and server function returns, shared by the UI and the backend.

use serde::{Deserialize, Serialize};
use server_fn::codec::JsonEncoding;
use server_fn::error::{FromServerFnError, ServerFnErrorErr};

/// What went wrong, in words safe to show a user; internals are logged where they happen.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum AppError {
    #[error("authentication required")]
    Unauthorized,
    #[error("invalid username or password")]
    InvalidCredentials,
    #[error("too many requests, retry in {0} s")]
    RateLimited(u64),
    #[error("permission denied")]
    Forbidden,
    #[error("not found")]
    NotFound,
    /// A malformed request: a parameter or body that cannot be read at all.
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Conflict(String),
    #[error("service unavailable: {0}")]
    Unavailable(String),
    #[error("internal error")]
    Internal,
    #[error("request failed: {0}")]
    Transport(String),
}

impl AppError {
    /// The HTTP status this error answers with, on the REST API and for server functions alike.
    pub fn status_code(&self) -> http::StatusCode {
        use http::StatusCode;
        match self {
            Self::Unauthorized | Self::InvalidCredentials => StatusCode::UNAUTHORIZED,
            Self::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::Forbidden => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            Self::Transport(_) => StatusCode::BAD_GATEWAY,
        }
    }

    /// A stable machine-readable code for API clients.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unauthorized => "unauthorized",
            Self::InvalidCredentials => "invalid_credentials",
            Self::RateLimited(_) => "rate_limited",
            Self::Forbidden => "forbidden",
            Self::NotFound => "not_found",
            Self::BadRequest(_) => "bad_request",
            Self::Invalid(_) => "invalid",
            Self::Conflict(_) => "conflict",
            Self::Unavailable(_) => "unavailable",
            Self::Internal => "internal",
            Self::Transport(_) => "transport",
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        Self::Transport(value.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_errors_map_to_4xx_and_server_errors_to_5xx() {
        for err in [
            AppError::Unauthorized,
            AppError::InvalidCredentials,
            AppError::RateLimited(1),
            AppError::Forbidden,
            AppError::NotFound,
            AppError::BadRequest("x".into()),
            AppError::Invalid("x".into()),
            AppError::Conflict("x".into()),
        ] {
            assert!(err.status_code().is_client_error(), "{err:?}");
        }
        for err in [AppError::Unavailable("db".into()), AppError::Internal] {
            assert!(err.status_code().is_server_error(), "{err:?}");
        }
    }

    #[test]
    fn internal_error_reveals_nothing() {
        assert_eq!(AppError::Internal.to_string(), "internal error");
    }
}
