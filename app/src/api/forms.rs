//! The server side of [`crate::components::PostForm`]: how a write answers a plain form post
//! (notice cookie, redirect back) and a hydrated call (the notice text, or the error with its
//! status), and the frame's one read of a notice a redirect brought along.

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::notice::Notice;

/// The notice a plain form post left for this page, read once: the cookie is cleared in the
/// same response.
#[server(prefix = "/api/fn", endpoint = "take_notice")]
pub async fn take_notice() -> Result<Option<Notice>, AppError> {
    use crate::model::notice::NOTICE_COOKIE;
    let notice = use_context::<http::request::Parts>().and_then(|parts| {
        parts
            .headers
            .get_all(http::header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(Notice::from_cookie_header)
    });
    if notice.is_some()
        && let Some(res) = use_context::<leptos_axum::ResponseOptions>()
    {
        let clear = format!("{NOTICE_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
        if let Ok(value) = http::HeaderValue::from_str(&clear) {
            res.append_header(http::header::SET_COOKIE, value);
        }
    }
    Ok(notice)
}

/// Whether this server-function call is a browser's plain form post (it accepts HTML) rather
/// than a call from the hydrated page.
#[cfg(feature = "ssr")]
fn plain_post() -> bool {
    use_context::<http::request::Parts>()
        .and_then(|parts| {
            parts
                .headers
                .get(http::header::ACCEPT)
                .and_then(|v| v.to_str().ok())
                .map(|v| v.contains("text/html"))
        })
        .unwrap_or(false)
}

/// The longest notice cookie value sent, in bytes.
#[cfg(feature = "ssr")]
const MAX_COOKIE_VALUE: usize = 3_500;

/// How a write answers. A plain form post is redirected back to the page named by the form's
/// `back` parameter (else `/`) with the notice (or the error's message) in a cookie that lives
/// a minute and is read once; a call from the hydrated page gets the notice text, or the
/// error with its HTTP status (403 for a caller without the permission).
#[cfg(feature = "ssr")]
pub(crate) fn reply(result: Result<String, AppError>) -> Result<String, AppError> {
    use crate::model::notice::{NOTICE_COOKIE, back_target};
    if !plain_post() {
        return super::respond(result);
    }
    let back = use_context::<http::request::Parts>()
        .and_then(|parts| parts.uri.query().and_then(back_target))
        .unwrap_or_else(|| "/".to_string());
    let mut notice = match &result {
        Ok(text) => Notice::info(text.clone()),
        Err(e) => Notice::error(e.to_string()),
    };
    // Browsers keep cookies of up to 4 KiB: a long notice (an import of many files) is cut.
    while notice.to_cookie_value().len() > MAX_COOKIE_VALUE {
        let keep = notice.text.floor_char_boundary(notice.text.len() * 3 / 4);
        notice.text.truncate(keep);
        notice.text.push_str(" …");
    }
    if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
        let cookie = format!(
            "{NOTICE_COOKIE}={}; Path=/; HttpOnly; SameSite=Strict; Max-Age=60",
            notice.to_cookie_value()
        );
        if let Ok(value) = http::HeaderValue::from_str(&cookie) {
            res.append_header(http::header::SET_COOKIE, value);
        }
    }
    leptos_axum::redirect(&back);
    result.or_else(|e| Ok(e.to_string()))
}
