//! Server functions for the events browser. A query's syntax error is part of the answer,
//! with its position, rather than an error: the page shows it under the query.

use leptos::prelude::*;
use server_fn::codec::Json;

use crate::error::AppError;
use crate::model::events::{EventBrowse, EventDetail, EventSearch};

/// One page of events for `search`, with the facet counts over the whole search.
#[server(prefix = "/api/fn", endpoint = "events_browse", input = Json)]
pub async fn browse_events(search: EventSearch) -> Result<EventBrowse, AppError> {
    use crate::model::events::{BROWSE_PAGE_SIZE, DEFAULT_RANGE, EventQuery, QueryProblem};

    let user = super::current_user()?;
    let service = super::service()?;
    let q = search.q.trim();
    if !q.is_empty()
        && let Err(e) = crate::query::parse(q)
    {
        return Ok(EventBrowse {
            query_error: Some(QueryProblem {
                message: e.message,
                position: e.position,
            }),
            ..Default::default()
        });
    }
    let text = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
    let (mut from, to) = (text(&search.from), text(&search.to));
    if from.is_none() && to.is_none() {
        let range = text(&search.range).unwrap_or_else(|| DEFAULT_RANGE.to_string());
        let span = match range.as_str() {
            "15m" => Some(chrono::Duration::minutes(15)),
            "1h" => Some(chrono::Duration::hours(1)),
            "24h" => Some(chrono::Duration::hours(24)),
            "7d" => Some(chrono::Duration::days(7)),
            "all" => None,
            other => {
                return Ok(EventBrowse {
                    input_error: Some(format!(
                        "invalid range: {other:?} is not one of 15m, 1h, 24h, 7d, all"
                    )),
                    ..Default::default()
                });
            }
        };
        from = span.map(|span| {
            (chrono::Utc::now() - span).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        });
    }
    let query = EventQuery {
        q: text(q),
        from: from.clone(),
        to: to.clone(),
        limit: Some(BROWSE_PAGE_SIZE),
        cursor: text(&search.cursor),
        before: text(&search.before),
        ..Default::default()
    };
    let page = match service.search_events(&user, query.clone()).await {
        Ok(page) => page,
        Err(AppError::BadRequest(msg)) => {
            return Ok(EventBrowse {
                input_error: Some(msg),
                ..Default::default()
            });
        }
        Err(e) => return super::respond(Err(e)),
    };
    let facets = super::respond(service.event_facets(&user, query).await)?;
    Ok(EventBrowse {
        page: Some(page),
        facets: Some(facets),
        from: from.unwrap_or_default(),
        to: to.unwrap_or_default(),
        ..Default::default()
    })
}

/// One event with the alerts whose evidence includes it.
#[server(prefix = "/api/fn", endpoint = "event_detail")]
pub async fn get_event_detail(id: i64) -> Result<EventDetail, AppError> {
    let user = super::current_user()?;
    let service = super::service()?;
    let event = super::respond(service.get_event(&user, id).await)?;
    let alerts = super::respond(service.event_alerts(&user, id).await)?;
    Ok(EventDetail { event, alerts })
}
