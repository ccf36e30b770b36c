//! Response headers every answer carries.

use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

const HEADERS: [(HeaderName, &str); 4] = [
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::REFERRER_POLICY, "no-referrer"),
    (header::X_FRAME_OPTIONS, "DENY"),
    (
        HeaderName::from_static("cross-origin-opener-policy"),
        "same-origin",
    ),
];

pub async fn headers(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let map = res.headers_mut();
    for (name, value) in HEADERS {
        map.entry(name)
            .or_insert_with(|| HeaderValue::from_static(value));
    }
    res
}
