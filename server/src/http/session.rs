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
use crate::service::auth as sessions;

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

/// Only a path on this site, never another origin (`//host` or `/\host`) or the login page.
fn safe_next(next: Option<&str>) -> &str {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.starts_with("/\\")
                && !n.starts_with("/login") =>
        {
            n
        }
        _ => "/",
    }
}

async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Form(form): Form<LoginForm>,
) -> Response {
    let next = safe_next(form.next.as_deref()).to_string();
    match sessions::login(
        &state.db,
        &state.auth,
        form.username.trim(),
        &form.password,
        ip,
    )
    .await
    {
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
        Err(err) => ApiError::from(err).into_response(),
    }
}

async fn logout(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    axum::Extension(auth): axum::Extension<Authenticated>,
) -> Response {
    if let Some(user) = &auth.user
        && let Err(err) = sessions::logout(&state.db, user, ip).await
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
        for bad in [
            "//evil.example",
            "/\\evil.example",
            "https://evil.example",
            "/login",
            "",
        ] {
            assert_eq!(safe_next(Some(bad)), "/", "{bad}");
        }
        assert_eq!(safe_next(None), "/");
    }
}
