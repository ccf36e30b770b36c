//! `Json`, `Path` and `Query` for the REST API: axum's extractors, except that a request they
//! cannot read is answered like every other API error, `{"error": {"code", "message"}}` as
//! JSON, instead of axum's plain-text rejection.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::ApiError;

/// A JSON object body, or a JSON answer.
#[derive(Debug)]
pub struct Json<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Json<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let axum::Json(value) = axum::Json::<Value>::from_request(req, state).await?;
        // serde reads a struct from an array of its fields in order too; every body of this
        // API is an object, so anything else is the wrong type.
        if !value.is_object() {
            return Err(rejection(
                StatusCode::UNPROCESSABLE_ENTITY,
                "body",
                "expected a JSON object",
            ));
        }
        T::deserialize(value)
            .map(Json)
            .map_err(|e| rejection(StatusCode::UNPROCESSABLE_ENTITY, "body", &e.to_string()))
    }
}

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// Path parameters.
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct Path<T>(pub T);

/// Query parameters.
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct Query<T>(pub T);

fn rejection(status: StatusCode, what: &str, detail: &str) -> ApiError {
    let code = match status {
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
        StatusCode::UNPROCESSABLE_ENTITY => "invalid",
        _ => "bad_request",
    };
    let message = match status {
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "send application/json".to_owned(),
        _ => format!("invalid {what}: {}", lowercase_first(detail)),
    };
    ApiError::Request {
        status,
        code,
        message,
    }
}

/// axum's rejection text is `Failed to …: detail`; the detail is what a client can act on.
fn detail(text: &str) -> &str {
    text.split_once(": ").map_or(text, |(_, d)| d)
}

fn lowercase_first(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map(|c| c.to_lowercase().chain(chars).collect())
        .unwrap_or_default()
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        rejection(r.status(), "body", detail(&r.body_text()))
    }
}

impl From<PathRejection> for ApiError {
    fn from(r: PathRejection) -> Self {
        // A path that matched the route but does not parse is a malformed request, whatever
        // status axum would give it.
        rejection(StatusCode::BAD_REQUEST, "path", detail(&r.body_text()))
    }
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> Self {
        rejection(
            StatusCode::BAD_REQUEST,
            "query string",
            detail(&r.body_text()),
        )
    }
}

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::body::Body;
    use axum::http::{Request, header};
    use axum::routing::post;
    use http_body_util::BodyExt;
    use serde::Deserialize;
    use tower::ServiceExt;

    use super::*;

    #[derive(Deserialize, Serialize)]
    struct Named {
        name: String,
    }

    #[derive(Deserialize)]
    struct Page {
        #[allow(dead_code)]
        limit: u32,
    }

    async fn echo(Path(id): Path<i32>, Query(_): Query<Page>, Json(n): Json<Named>) -> Json<Named> {
        Json(Named {
            name: format!("{id}:{}", n.name),
        })
    }

    async fn send(
        uri: &str,
        content_type: Option<&str>,
        body: &str,
    ) -> (StatusCode, String, String) {
        let app = Router::new().route("/items/{id}", post(echo));
        let mut req = Request::post(uri);
        if let Some(ct) = content_type {
            req = req.header(header::CONTENT_TYPE, ct);
        }
        let res = app
            .oneshot(req.body(Body::from(body.to_owned())).unwrap())
            .await
            .unwrap();
        let status = res.status();
        let ct = res.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .to_owned();
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        (status, ct, String::from_utf8(bytes.to_vec()).unwrap())
    }

    fn error_code(body: &str) -> String {
        let v: serde_json::Value = serde_json::from_str(body).expect("a JSON error body");
        v["error"]["code"]
            .as_str()
            .expect("an error code")
            .to_owned()
    }

    #[tokio::test]
    async fn readable_requests_pass_through() {
        let (status, ct, body) = send(
            "/items/7?limit=1",
            Some("application/json"),
            r#"{"name":"a"}"#,
        )
        .await;
        assert_eq!((status, ct.as_str()), (StatusCode::OK, "application/json"));
        assert_eq!(body, r#"{"name":"7:a"}"#);
    }

    #[tokio::test]
    async fn unreadable_requests_answer_json_errors() {
        let cases = [
            (
                "/items/x?limit=1",
                Some("application/json"),
                r#"{"name":"a"}"#,
                400,
                "bad_request",
            ),
            (
                "/items/7?limit=x",
                Some("application/json"),
                r#"{"name":"a"}"#,
                400,
                "bad_request",
            ),
            (
                "/items/7?limit=1",
                None,
                r#"{"name":"a"}"#,
                415,
                "unsupported_media_type",
            ),
            (
                "/items/7?limit=1",
                Some("application/json"),
                "{",
                400,
                "bad_request",
            ),
            (
                "/items/7?limit=1",
                Some("application/json"),
                r#"{"name":1}"#,
                422,
                "invalid",
            ),
            // Found by Schemathesis: serde reads a struct from an array of its fields.
            (
                "/items/7?limit=1",
                Some("application/json"),
                r#"["a"]"#,
                422,
                "invalid",
            ),
        ];
        for (uri, ct, body, want_status, want_code) in cases {
            let (status, content_type, text) = send(uri, ct, body).await;
            assert_eq!(status.as_u16(), want_status, "{uri} {body}: {text}");
            assert_eq!(content_type, "application/json", "{uri} {body}");
            assert_eq!(error_code(&text), want_code, "{uri} {body}");
        }
    }
}
