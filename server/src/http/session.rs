//! The browser's sign-in and sign-out: plain HTML form posts that set or clear the session
//! cookies and redirect, so they work with JavaScript off as well as on.

use axum::Form;
use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use serde::Deserialize;

use app::error::AppError;

use super::auth::{Authenticated, ClientIp, session_cookies, urlencode};
use super::{ApiError, AppState};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/auth/login", post(login))
        .route("/auth/logout", post(logout))
}

#[derive(Debug, Deserialize)]
struct LoginForm {
    username: String,
    password: String,
    #[serde(default)]
    next: Option<String>,
}

/// Only a path on this site, never another origin or the login page. Browsers drop tabs and
/// newlines from URLs and read `\` as `/`, so `/\t/host` or `/\host` would become `//host`:
/// such characters are refused outright, and what remains is resolved against an origin and
/// kept only if it stayed there, as the path and query it resolved to.
fn safe_next(next: Option<&str>) -> String {
    const ORIGIN: &str = "http://vigil.invalid/";
    let fallback = || "/".to_string();
    let Some(n) = next else {
        return fallback();
    };
    if !n.starts_with('/') || n.chars().any(|c| c.is_control() || c == '\\') {
        return fallback();
    }
    let base = url::Url::parse(ORIGIN).expect("a valid origin");
    let Ok(resolved) = base.join(n) else {
        return fallback();
    };
    if resolved.origin() != base.origin() {
        return fallback();
    }
    let mut path = resolved.path().to_string();
    if let Some(query) = resolved.query() {
        path.push('?');
        path.push_str(query);
    }
    if path.starts_with("//") || path.starts_with("/login") {
        return fallback();
    }
    path
}

async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Form(form): Form<LoginForm>,
) -> Response {
    let next = safe_next(form.next.as_deref());
    let username = form.username.trim();
    match state.backend.login(username, &form.password, ip).await {
        Ok(tokens) => {
            let mut res = Redirect::to(&next).into_response();
            for c in session_cookies(&state, Some(&tokens)) {
                res.headers_mut().append(header::SET_COOKIE, c);
            }
            res
        }
        Err(AppError::InvalidCredentials) => {
            Redirect::to(&format!("/login?error=invalid&next={}", urlencode(&next))).into_response()
        }
        Err(AppError::RateLimited(retry)) => {
            let mut res =
                Redirect::to(&format!("/login?error=throttled&next={}", urlencode(&next)))
                    .into_response();
            res.headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from(retry));
            res
        }
        Err(err) => ApiError::from(err).into_response(),
    }
}

async fn logout(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    axum::Extension(auth): axum::Extension<Authenticated>,
) -> Response {
    if let Some(user) = &auth.user
        && let Err(err) = state.backend.logout(user, ip).await
    {
        return ApiError::from(err).into_response();
    }
    let mut res = Redirect::to("/login?signed_out=1").into_response();
    for c in session_cookies(&state, None) {
        res.headers_mut().append(header::SET_COOKIE, c);
    }
    res
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_never_leaves_the_site() {
        assert_eq!(safe_next(Some("/events?q=x")), "/events?q=x");
        assert_eq!(safe_next(Some("/admin/users")), "/admin/users");
        for bad in [
            "//evil.example",
            "/\\evil.example",
            "https://evil.example",
            "/login",
            "",
            // Browsers strip tabs and newlines, leaving `//evil.example`.
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r\n/evil.example",
            "/events\\..\\\\evil.example",
            // Dot segments that resolve to a protocol-relative path.
            "/.//evil.example",
            "/x/..//evil.example",
            "/\u{7f}/evil.example",
        ] {
            assert_eq!(safe_next(Some(bad)), "/", "{bad:?}");
        }
        assert_eq!(safe_next(None), "/");
    }
}
