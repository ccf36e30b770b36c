//! Authentication at the edge: a middleware resolves the caller from a bearer token (JWT or API
//! token) or from the browser's cookies, refreshing an expired browser session silently, and
//! leaves the result in the request; `AuthUser` extracts it or answers 401. Pages redirect
//! anonymous visitors to the login page. Unsafe requests from other sites are refused (CSRF).

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::json;

use app::model::auth::CurrentUser;

use super::{ApiError, AppState};
use crate::auth::tokens::API_TOKEN_PREFIX;
use crate::service::audit::{AuditEntry, Outcome};
use crate::service::auth as sessions;

pub const ACCESS_COOKIE: &str = "vigil_access";
pub const REFRESH_COOKIE: &str = "vigil_refresh";

/// Concurrent browser requests may present the same refresh cookie at expiry; within this
/// window a second use is taken as that race, not as theft.
const BROWSER_REFRESH_GRACE: Duration = Duration::from_secs(10);

/// What the middleware found out about the caller.
#[derive(Debug, Clone, Default)]
pub struct Authenticated {
    pub user: Option<CurrentUser>,
    /// The browser presented a session that could not be renewed.
    pub session_expired: bool,
}

/// The caller's address, when the server knows it: as [`super::client`] resolved it (through
/// trusted proxies), else the connection's peer. IPv4 callers of a dual-stack listener arrive
/// as IPv4-mapped IPv6 and are reduced to IPv4, the form events store.
pub fn client_addr(parts_ext: &axum::http::Extensions) -> Option<IpAddr> {
    parts_ext
        .get::<super::client::ClientAddr>()
        .map(|c| c.0)
        .or_else(|| {
            parts_ext
                .get::<ConnectInfo<SocketAddr>>()
                .map(|ci| ci.0.ip().to_canonical())
        })
}

/// [`client_addr`] as text.
pub fn client_ip(parts_ext: &axum::http::Extensions) -> Option<String> {
    client_addr(parts_ext).map(|ip| ip.to_string())
}

fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
        .filter(|v| !v.is_empty())
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

/// `Set-Cookie` values for a browser session, or for ending one when `tokens` is `None`.
pub fn session_cookies(
    state: &AppState,
    tokens: Option<&sessions::IssuedTokens>,
) -> [HeaderValue; 2] {
    let secure = if state.config.cookie_secure {
        "; Secure"
    } else {
        ""
    };
    let make = |name: &str, value: &str, max_age: u64| {
        HeaderValue::from_str(&format!(
            "{name}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}"
        ))
        .expect("cookie values are URL-safe base64 and JWT characters")
    };
    match tokens {
        // The access cookie expires a little before its token so the browser never sends a
        // token the server would refuse; the refresh cookie then renews the session.
        Some(t) => [
            make(
                ACCESS_COOKIE,
                &t.access_token,
                t.expires_in.saturating_sub(30),
            ),
            make(REFRESH_COOKIE, &t.refresh_token, t.refresh_expires_in),
        ],
        None => [make(ACCESS_COOKIE, "", 0), make(REFRESH_COOKIE, "", 0)],
    }
}

/// Paths that never need to know the caller.
fn is_public_asset(path: &str) -> bool {
    path.starts_with("/pkg/")
        || path == "/favicon.svg"
        || path.starts_with("/vendor/")
        || matches!(path, "/healthz" | "/readyz" | "/metrics")
        || path.starts_with("/api/docs")
        || path == "/api/v1/openapi.json"
}

pub async fn authenticate(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    if is_public_asset(req.uri().path()) {
        return next.run(req).await;
    }
    let ip = client_ip(req.extensions());
    let service = &state.backend;
    let settings = service.auth();
    let mut found = Authenticated::default();
    let mut set_cookies: Option<[HeaderValue; 2]> = None;

    if let Some(token) = bearer(req.headers()) {
        let result = if token.starts_with(API_TOKEN_PREFIX) {
            service.authenticate_api_token(token).await
        } else {
            service.authenticate_access(token).await
        };
        match result {
            Ok(Ok(user)) => found.user = Some(user),
            Ok(Err(rejection)) => {
                // Anyone can send made-up tokens: one record a minute per address, with the
                // number of rejections since the previous one.
                let client = crate::auth::throttle::key_of(ip.as_deref());
                if let Some(count) =
                    settings
                        .rejections
                        .admit("token_rejected", &client, Instant::now())
                {
                    let entry = AuditEntry::new("token_rejected", Outcome::Failure)
                        .from_ip(ip.clone())
                        .target(req.uri().path().to_string())
                        .details(json!({ "reason": rejection.as_str(), "count": count }));
                    if let Err(e) = service.audit(entry).await {
                        return ApiError::from(e).into_response();
                    }
                }
            }
            Err(e) => return ApiError::from(e).into_response(),
        }
    } else {
        if let Some(token) = cookie(req.headers(), ACCESS_COOKIE) {
            match service.authenticate_access(token).await {
                Ok(Ok(user)) => found.user = Some(user),
                Ok(Err(_)) => found.session_expired = true,
                Err(e) => return ApiError::from(e).into_response(),
            }
        }
        if found.user.is_none()
            && let Some(refresh) = cookie(req.headers(), REFRESH_COOKIE)
        {
            let refresh = refresh.to_string();
            match service
                .refresh(&refresh, ip.clone(), Some(BROWSER_REFRESH_GRACE))
                .await
            {
                Ok(tokens) => {
                    if let Ok(Ok(user)) = service.authenticate_access(&tokens.access_token).await {
                        found.user = Some(user);
                        found.session_expired = false;
                    }
                    set_cookies = Some(session_cookies(&state, Some(&tokens)));
                }
                Err(_) => {
                    found.session_expired = true;
                    set_cookies = Some(session_cookies(&state, None));
                }
            }
        }
    }

    if let Some(user) = &mut found.user {
        user.source_ip = ip;
        // Server functions and pages read the caller from here.
        req.extensions_mut().insert(user.clone());
    }
    req.extensions_mut().insert(found);
    let mut res = next.run(req).await;
    if let Some(cookies) = set_cookies {
        for c in cookies {
            res.headers_mut().append(header::SET_COOKIE, c);
        }
    }
    res
}

/// Sends anonymous visitors of a page to the login form, remembering where they were going.
pub async fn require_login_for_pages(req: Request, next: Next) -> Response {
    let path = req.uri().path();
    let is_page = matches!(*req.method(), Method::GET | Method::HEAD)
        && !path.starts_with("/api/")
        && !path.starts_with("/auth/")
        && path != "/login"
        && !is_public_asset(path);
    if is_page {
        let auth = req
            .extensions()
            .get::<Authenticated>()
            .cloned()
            .unwrap_or_default();
        if auth.user.is_none() {
            let target = req
                .uri()
                .path_and_query()
                .map(|p| p.as_str())
                .unwrap_or("/");
            let mut location = format!("/login?next={}", urlencode(target));
            if auth.session_expired {
                location.push_str("&expired=1");
            }
            return Redirect::to(&location).into_response();
        }
    }
    next.run(req).await
}

/// Refuses state-changing requests a browser sends on behalf of another site. Requests with
/// an `Authorization` header carry no ambient credential and are left alone.
pub async fn reject_cross_site(req: Request, next: Next) -> Response {
    let unsafe_method = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if unsafe_method && !req.headers().contains_key(header::AUTHORIZATION) {
        let headers = req.headers();
        let fetch_site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
        let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
        let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
        let cross_site = match (fetch_site, origin) {
            (Some(site), _) => !matches!(site, "same-origin" | "none"),
            (None, Some(origin)) => {
                let origin_host = origin.split_once("://").map(|(_, h)| h);
                origin_host != host || host.is_none()
            }
            (None, None) => false,
        };
        if cross_site {
            return (
                StatusCode::FORBIDDEN,
                Json(
                    json!({ "error": { "code": "csrf", "message": "cross-site request refused" } }),
                ),
            )
                .into_response();
        }
    }
    next.run(req).await
}

/// Percent-encodes a value for a query string, leaving path characters readable.
pub(crate) fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The authenticated caller of a REST handler; 401 when there is none.
pub struct AuthUser(pub CurrentUser);

impl<S: Send + Sync> FromRequestParts<S> for AuthUser {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Authenticated>()
            .and_then(|a| a.user.clone())
            .map(AuthUser)
            .ok_or_else(|| {
                let mut res = ApiError::from(app::error::AppError::Unauthorized).into_response();
                res.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer realm=\"vigil\""),
                );
                res
            })
    }
}

/// The caller's address for handlers.
pub struct ClientIp(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(client_ip(&parts.extensions)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_and_bearer_tokens_are_found() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; vigil_access=tok; b=2"),
        );
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer abc"),
        );
        assert_eq!(cookie(&h, ACCESS_COOKIE), Some("tok"));
        assert_eq!(cookie(&h, REFRESH_COOKIE), None);
        assert_eq!(bearer(&h), Some("abc"));
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic abc"));
        assert_eq!(bearer(&h), None);
    }

    #[test]
    fn next_parameter_is_encoded() {
        assert_eq!(
            urlencode("/events?q=a b&x=1"),
            "/events%3Fq%3Da%20b%26x%3D1"
        );
    }
}
