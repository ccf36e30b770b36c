//! `/api/v1/logs`: sending logs (`ingest.write`) and reading stored events (`events.read`).

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use http_body_util::{BodyExt, LengthLimitError, Limited};

use app::error::AppError;
use app::model::events::{Event, EventPage, EventQuery, IngestSummary, RawLog};

use crate::http::auth::AuthUser;
use crate::http::{ApiError, AppState, ErrorBody};
use crate::service::logs::{LogBody, RawBody};

/// The largest body a log submission may have.
pub const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// Send structured logs: one JSON object, a JSON array of objects, or NDJSON
/// (`Content-Type: application/x-ndjson`, one object per line). Each object becomes one event;
/// items that are not objects, and NDJSON lines that are not JSON, are rejected one by one.
/// Answers once the accepted events are stored.
#[utoipa::path(post, path = "/api/v1/logs", operation_id = "send_logs", tag = "logs", security(("bearer" = [])),
    request_body(
        description = "A JSON object, an array of objects, or NDJSON",
        content(
            (serde_json::Value = "application/json"),
            (String = "application/x-ndjson")
        )
    ),
    responses(
        (status = 200, description = "Stored and rejected items", body = IngestSummary),
        (status = 400, description = "Empty body, invalid JSON, or neither an object nor an array", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 413, description = "Body over 16 MiB", body = ErrorBody),
        (status = 415, description = "Neither JSON nor NDJSON", body = ErrorBody),
        (status = 503, description = "The ingest pipeline has stopped", body = ErrorBody)))]
pub async fn submit(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<IngestSummary>, ApiError> {
    state.backend.authorize_submission(&user).await?;
    let json = match media_type(&headers).as_deref() {
        Some("application/json") => true,
        Some("application/x-ndjson" | "application/ndjson" | "application/jsonl") => false,
        _ => {
            return Err(ApiError::unsupported_media_type(
                "send application/json or application/x-ndjson",
            ));
        }
    };
    let bytes = read_body(body).await?;
    let body = if json {
        LogBody::Json(&bytes)
    } else {
        LogBody::Ndjson(&bytes)
    };
    Ok(Json(state.backend.submit_logs(&user, body).await?))
}

/// Send raw log lines, parsed as if read from a file (syslog, sshd, Apache, JSON…): a
/// `text/plain` body with one event per non-empty line, or `{"raw_log": "..."}` holding one
/// line or several separated by newlines.
#[utoipa::path(post, path = "/api/v1/logs/raw", operation_id = "send_raw_logs", tag = "logs", security(("bearer" = [])),
    request_body(
        description = "Raw lines as text, or a JSON object with `raw_log`",
        content((String = "text/plain"), (RawLog = "application/json"))
    ),
    responses(
        (status = 200, description = "Stored lines", body = IngestSummary),
        (status = 400, description = "Empty body or JSON without `raw_log`", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 413, description = "Body over 16 MiB", body = ErrorBody),
        (status = 415, description = "Neither text nor JSON", body = ErrorBody),
        (status = 503, description = "The ingest pipeline has stopped", body = ErrorBody)))]
pub async fn submit_raw(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<IngestSummary>, ApiError> {
    state.backend.authorize_submission(&user).await?;
    let json = match media_type(&headers).as_deref() {
        Some("text/plain") => false,
        Some("application/json") => true,
        _ => {
            return Err(ApiError::unsupported_media_type(
                "send text/plain or application/json",
            ));
        }
    };
    let bytes = read_body(body).await?;
    let body = if json {
        RawBody::Json(&bytes)
    } else {
        RawBody::Text(&bytes)
    };
    Ok(Json(state.backend.submit_raw(&user, body).await?))
}

/// Stored events, newest first, filtered and paged with `next_cursor`. `q` takes Vigil's query
/// language; the named filters are ANDed with it.
#[utoipa::path(get, path = "/api/v1/logs", operation_id = "search_events", tag = "logs", security(("bearer" = [])),
    params(EventQuery),
    responses(
        (status = 200, body = EventPage),
        (status = 400, description = "An unknown parameter, or one that cannot be read (a query's syntax error with its position), named in the message", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn search(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    query: Result<Query<EventQuery>, QueryRejection>,
) -> Result<Json<EventPage>, ApiError> {
    let query = read_query(query)?;
    Ok(Json(state.service.search_events(&user, query).await?))
}

/// The events a search finds as CSV, newest first, streamed as they are read: the same
/// filters as `GET /api/v1/logs`, at most 100,000 rows (`limit` may ask for fewer; `cursor`
/// starts after a position). Text cells that begin with `=`, `+`, `-`, `@`, a tab or a carriage
/// return are written with a leading `'` so spreadsheets read them as text.
#[utoipa::path(get, path = "/api/v1/logs/export.csv", operation_id = "export_events", tag = "logs", security(("bearer" = [])),
    params(EventQuery),
    responses(
        (status = 200, description = "CSV with a header row (RFC 4180, CRLF line ends)", content_type = "text/csv", body = String),
        (status = 400, description = "An unknown parameter, or one that cannot be read (a query's syntax error with its position), named in the message", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn export(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    query: Result<Query<EventQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let query = read_query(query)?;
    let stream = state.backend.export_events(&user, query).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"vigil-events.csv\"",
            ),
            (header::CACHE_CONTROL, "no-store"),
        ],
        Body::from_stream(stream),
    )
        .into_response())
}

/// The search parameters, or a 400 naming the one that is wrong.
fn read_query(query: Result<Query<EventQuery>, QueryRejection>) -> Result<EventQuery, AppError> {
    let Query(query) = query.map_err(|e| {
        let detail = e.body_text();
        let detail = detail.trim_start_matches("Failed to deserialize query string: ");
        // serde says "x: unknown field `x`, expected one of …"; name the parameter alone.
        match detail
            .split_once("unknown field `")
            .and_then(|(_, rest)| rest.split_once('`'))
        {
            Some((name, _)) => AppError::BadRequest(format!("unknown query parameter {name:?}")),
            None => AppError::BadRequest(format!("invalid query string: {detail}")),
        }
    })?;
    Ok(query)
}

/// One stored event.
#[utoipa::path(get, path = "/api/v1/logs/{id}", operation_id = "get_event", tag = "logs", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Event id")),
    responses(
        (status = 200, body = Event),
        (status = 400, description = "The id is not a number", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    id: Result<Path<i64>, PathRejection>,
) -> Result<Json<Event>, ApiError> {
    let Path(id) =
        id.map_err(|_| AppError::BadRequest("invalid id: expected an event id".into()))?;
    Ok(Json(state.service.get_event(&user, id).await?))
}

/// The media type of the body, lowercase and without parameters such as `charset`.
pub(super) fn media_type(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
    let essence = value.split(';').next()?.trim();
    Some(essence.to_ascii_lowercase())
}

pub(super) async fn read_body(body: Body) -> Result<Bytes, ApiError> {
    match Limited::new(body, MAX_BODY_BYTES).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => {
            Err(ApiError::payload_too_large(MAX_BODY_BYTES))
        }
        Err(e) => Err(AppError::BadRequest(format!("cannot read the body: {e}")).into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_types_ignore_parameters_and_case() {
        let mut h = HeaderMap::new();
        assert_eq!(media_type(&h), None);
        h.insert(
            header::CONTENT_TYPE,
            "Text/Plain; charset=utf-8".parse().unwrap(),
        );
        assert_eq!(media_type(&h).as_deref(), Some("text/plain"));
    }
}

/// `GET /api/v1/logs/stream`'s parameters.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TailQuery {
    /// Only events this query (Vigil's query language) matches; every event when absent.
    pub q: Option<String>,
}

/// Events as they are stored, as server-sent events, from the moment of connecting: the live
/// tail. Each `event` event carries one event as `GET /api/v1/logs/{id}` returns it, with its id
/// as the event id; only events `q` matches are sent. A comment line is sent every 15 s while
/// nothing happens. A client that reads too slowly gets a `resync` event (`{"missed": n}`:
/// at least that many events were dropped for it) and the stream goes on.
#[utoipa::path(get, path = "/api/v1/logs/stream", operation_id = "tail_events", tag = "logs", security(("bearer" = [])),
    params(TailQuery),
    responses(
        (status = 200, description = "An endless stream of `event` and `resync` events",
            content_type = "text/event-stream", body = String),
        (status = 400, description = "An unknown parameter, or a query's syntax error with its position", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn stream(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    query: Result<Query<TailQuery>, QueryRejection>,
) -> Result<impl IntoResponse, ApiError> {
    use axum::response::sse::{KeepAlive, Sse};

    let Query(query) = query.map_err(|e| {
        AppError::BadRequest(format!(
            "invalid query string: {}",
            e.body_text()
                .trim_start_matches("Failed to deserialize query string: ")
        ))
    })?;
    state
        .backend
        .authorize(&user, app::model::auth::Permission::EventsRead)
        .await?;
    let matcher = match query.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        Some(q) => Some(
            app::query::parse(q)
                .map(|expr| app::query::Matcher::new(&expr))
                .map_err(|e| AppError::BadRequest(format!("invalid q: {e}")))?,
        ),
        None => None,
    };
    let events = tail_events(state.backend.ingest().event_feed().subscribe(), matcher);
    Ok((
        [("x-accel-buffering", "no"), ("cache-control", "no-store")],
        Sse::new(events).keep_alive(
            KeepAlive::new()
                .interval(std::time::Duration::from_secs(15))
                .text("keep-alive"),
        ),
    ))
}

/// The stream's events, until the feed closes: each committed batch's matching events, in order.
fn tail_events(
    sub: crate::ingest::event_feed::Subscriber,
    matcher: Option<app::query::Matcher>,
) -> impl futures_util::Stream<Item = Result<axum::response::sse::Event, std::convert::Infallible>>
{
    use crate::ingest::event_feed::{Received, to_event};
    use axum::response::sse::Event as SseEvent;

    let batches = futures_util::stream::unfold((sub, matcher), |(mut sub, matcher)| async move {
        loop {
            let out: Vec<SseEvent> = match sub.recv().await {
                Received::Events(batch) => batch
                    .iter()
                    .filter(|(_, row)| matcher.as_ref().is_none_or(|m| m.matches(row)))
                    .map(|(id, row)| {
                        SseEvent::default()
                            .event("event")
                            .id(id.to_string())
                            .data(serde_json::to_string(&to_event(*id, row)).unwrap_or_default())
                    })
                    .collect(),
                Received::Missed(n) => {
                    metrics::counter!("vigil_event_stream_resyncs_total").increment(1);
                    vec![
                        SseEvent::default()
                            .event("resync")
                            .data(serde_json::json!({ "missed": n }).to_string()),
                    ]
                }
                Received::Closed => return None,
            };
            if !out.is_empty() {
                return Some((out, (sub, matcher)));
            }
        }
    });
    futures_util::StreamExt::flat_map(batches, |events| {
        futures_util::stream::iter(events.into_iter().map(Ok))
    })
}
