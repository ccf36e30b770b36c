//! Response headers every answer carries, the Content-Security-Policy included. Each request
//! gets a fresh nonce here; pages render their inline hydration scripts with it (see
//! `pages::context`) and their policy allows exactly those.

use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use leptos::nonce::Nonce;

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

/// Pages: Vigil's own scripts and the inline hydration scripts carrying this response's nonce;
/// WebAssembly needs `wasm-unsafe-eval`, nothing needs `unsafe-inline`.
fn page_csp(nonce: &Nonce) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; \
         object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
}

pub async fn headers(mut req: Request, next: Next) -> Response {
    let docs = req.uri().path().starts_with("/api/docs");
    let nonce = Nonce::new();
    req.extensions_mut().insert(nonce.clone());
    let mut res = next.run(req).await;
    let html = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let map = res.headers_mut();
    for (name, value) in HEADERS {
        map.entry(name)
            .or_insert_with(|| HeaderValue::from_static(value));
    }
    let csp = if docs {
        HeaderValue::from_static(DOCS_CSP)
    } else if html {
        HeaderValue::from_str(&page_csp(&nonce)).unwrap_or(HeaderValue::from_static(DEFAULT_CSP))
    } else {
        HeaderValue::from_static(DEFAULT_CSP)
    };
    map.insert(header::CONTENT_SECURITY_POLICY, csp);
    res
}
