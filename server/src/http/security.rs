//! Response headers every answer carries. Pages set their own Content-Security-Policy with
//! the per-response nonce of their hydration scripts; everything else gets one here.

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

/// JSON, metrics and static files: nothing to run, nothing to frame.
const DEFAULT_CSP: &str = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'";

/// Swagger UI: its own scripts and styles, which set inline style attributes.
const DOCS_CSP: &str = "default-src 'self'; style-src 'self' 'unsafe-inline'; \
                        img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; \
                        object-src 'none'";

pub async fn headers(req: Request, next: Next) -> Response {
    let docs = req.uri().path().starts_with("/api/docs");
    let mut res = next.run(req).await;
    let map = res.headers_mut();
    for (name, value) in HEADERS {
        map.entry(name)
            .or_insert_with(|| HeaderValue::from_static(value));
    }
    map.entry(header::CONTENT_SECURITY_POLICY)
        .or_insert_with(|| HeaderValue::from_static(if docs { DOCS_CSP } else { DEFAULT_CSP }));
    res
}
