//! A per-address limit on sign-in attempts: a fixed one-minute window per client address (per
//! /64 for IPv6), answered with 429 and `Retry-After` when exceeded. The windows live in a
//! bounded LRU map, so a flood of distinct addresses costs constant memory and time.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hashlink::LruCache;

use app::error::AppError;

use super::{ApiError, AppState};

const WINDOW: Duration = Duration::from_secs(60);

/// Addresses tracked at once; past that the least recently seen is forgotten.
const CAPACITY: usize = 50_000;

pub struct RateLimiter {
    limit: u32,
    windows: Mutex<LruCache<String, (Instant, u32)>>,
}

impl RateLimiter {
    pub fn new(limit: u32) -> Self {
        Self::with_capacity(limit, CAPACITY)
    }

    fn with_capacity(limit: u32, capacity: usize) -> Self {
        Self {
            limit,
            windows: Mutex::new(LruCache::new(capacity)),
        }
    }

    /// Counts one request from `key`; `Err(seconds)` when it is over the limit.
    pub fn check(&self, key: &str, now: Instant) -> Result<(), u64> {
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        let entry = match windows.get_mut(key) {
            Some(entry) => entry,
            None => {
                windows.insert(key.to_string(), (now, 0));
                windows.get_mut(key).expect("just inserted")
            }
        };
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
    let key = super::auth::client_addr(req.extensions())
        .map(super::client::key)
        .unwrap_or_else(|| "unknown".into());
    match state.auth_limiter.check(&key, Instant::now()) {
        Ok(()) => next.run(req).await,
        Err(retry) => ApiError::from(AppError::RateLimited(retry)).into_response(),
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

    #[test]
    fn a_flood_of_addresses_keeps_the_map_bounded() {
        let limiter = RateLimiter::with_capacity(3, 1000);
        let t0 = Instant::now();
        for i in 0..100_000u32 {
            assert!(limiter.check(&i.to_string(), t0).is_ok());
        }
        assert_eq!(limiter.windows.lock().unwrap().len(), 1000);
        // The most recent address keeps its count: one request above, two more allowed.
        assert!(limiter.check("99999", t0).is_ok());
        assert!(limiter.check("99999", t0).is_ok());
        assert!(limiter.check("99999", t0).is_err());
    }
}
