//! A per-address limit on sign-in attempts: a fixed one-minute window per client address,
//! answered with 429 and `Retry-After` when exceeded.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use app::error::AppError;

use super::{ApiError, AppState};

const WINDOW: Duration = Duration::from_secs(60);

pub struct RateLimiter {
    limit: u32,
    windows: Mutex<HashMap<String, (Instant, u32)>>,
}

impl RateLimiter {
    pub fn new(limit: u32) -> Self {
        Self {
            limit,
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one request from `key`; `Err(seconds)` when it is over the limit.
    pub fn check(&self, key: &str, now: Instant) -> Result<(), u64> {
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        if windows.len() > 10_000 {
            windows.retain(|_, (start, _)| now.duration_since(*start) < WINDOW);
        }
        let entry = windows.entry(key.to_string()).or_insert((now, 0));
        if now.duration_since(entry.0) >= WINDOW {
            *entry = (now, 0);
        }
        entry.1 += 1;
        if entry.1 > self.limit {
            let left = WINDOW.saturating_sub(now.duration_since(entry.0));
            Err(left.as_secs().max(1))
        } else {
            Ok(())
        }
    }
}

/// Applies the limit to sign-in and token endpoints, for the API and the login form alike.
pub async fn limit_auth(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let path = req.uri().path();
    if !(path.starts_with("/api/v1/auth/") || path.starts_with("/auth/")) {
        return next.run(req).await;
    }
    let key = super::auth::client_ip(req.extensions()).unwrap_or_else(|| "unknown".into());
    match state.auth_limiter.check(&key, Instant::now()) {
        Ok(()) => next.run(req).await,
        Err(retry) => {
            let mut res = ApiError::from(AppError::RateLimited(retry)).into_response();
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry));
            res
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_applies_per_address_and_resets_after_the_window() {
        let limiter = RateLimiter::new(3);
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(limiter.check("a", t0).is_ok());
        }
        let retry = limiter
            .check("a", t0 + Duration::from_secs(20))
            .unwrap_err();
        assert_eq!(retry, 40);
        assert!(
            limiter.check("b", t0).is_ok(),
            "other addresses are unaffected"
        );
        assert!(
            limiter.check("a", t0 + WINDOW).is_ok(),
            "a new window starts"
        );
    }
}
