//! One event: the raw line, the parsed columns, the JSON fields, the flags and the alerts that
//! name it as evidence, all shown as text.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::api::{get_event_detail, resource};
use crate::components::time;
use crate::error::AppError;
use crate::model::events::{EventDetail, EventSearch, RelatedAlert};

use super::value_link::FilterLink;

#[component]
pub fn EventDetailPage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.get().get("id").and_then(|s| s.parse::<i64>().ok()));
    let detail = resource(
        move || id.get(),
        |id| async move {
            match id {
                Some(id) => get_event_detail(id).await,
                None => Err(AppError::NotFound),
            }
        },
    );
    view! {
        <Title text="Event" />
        <p class="back-link"><a href="/events">"← Events"</a></p>
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match detail.await {
                    Ok(detail) => view! { <EventView detail /> }.into_any(),
                    Err(AppError::NotFound) => {
                        view! {
                            <h1>"Event not found"</h1>
                            <p class="error" role="alert">
                                "No event has this number, or you may not read it. Search the events instead."
                            </p>
                        }
                            .into_any()
                    }
                    Err(e) => {
                        view! {
                            <h1>"Event"</h1>
                            <p class="error" role="alert">{format!("Could not load the event: {e}")}</p>
                        }
                            .into_any()
                    }
                }
            })}
        </Transition>
    }
}

#[component]
fn EventView(detail: EventDetail) -> impl IntoView {
    let e = detail.event;
    let search = EventSearch {
        range: "all".into(),
        ..Default::default()
    };
    let s = move || search.clone();
    let text = |v: Option<String>| v.unwrap_or_else(|| "-".into());
    let num = |v: Option<i64>| v.map(|n| n.to_string()).unwrap_or_else(|| "-".into());
    let flags = if e.flag_names.is_empty() {
        "none".to_string()
    } else {
        e.flag_names
            .iter()
            .map(|f| f.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let fields: Vec<(String, String)> = e
        .fields
        .into_iter()
        .map(|(k, v)| {
            let shown = match v {
                serde_json::Value::String(s) => s,
                other => other.to_string(),
            };
            (k, shown)
        })
        .collect();
    view! {
        <h1>{format!("Event {}", e.id)}</h1>
        <section class="detail-section" aria-labelledby="raw-heading">
            <h2 id="raw-heading">"Raw line"</h2>
            <pre class="raw-line">{e.raw}</pre>
        </section>
        <section class="detail-section" aria-labelledby="parsed-heading">
            <h2 id="parsed-heading">"Parsed fields"</h2>
            <table class="data-table detail-table" aria-label="Parsed fields">
                <tbody>
                    <tr><th scope="row">"Time (UTC)"</th><td>{time::utc_second(&e.timestamp)}</td></tr>
                    <tr><th scope="row">"Received (UTC)"</th><td>{time::utc_second(&e.received_at)}</td></tr>
                    <tr><th scope="row">"host"</th><td><FilterLink search=s() field="host" value=e.host /></td></tr>
                    <tr><th scope="row">"source"</th><td><FilterLink search=s() field="source" value=Some(e.source) /></td></tr>
                    <tr><th scope="row">"parser"</th><td><FilterLink search=s() field="parser" value=Some(e.parser) /></td></tr>
                    <tr><th scope="row">"level"</th><td><FilterLink search=s() field="level" value=e.level /></td></tr>
                    <tr><th scope="row">"event_category"</th><td><FilterLink search=s() field="event_category" value=e.event_category /></td></tr>
                    <tr><th scope="row">"event_action"</th><td><FilterLink search=s() field="event_action" value=e.event_action /></td></tr>
                    <tr><th scope="row">"event_outcome"</th><td><FilterLink search=s() field="event_outcome" value=e.event_outcome /></td></tr>
                    <tr><th scope="row">"source_ip"</th><td><FilterLink search=s() field="source_ip" value=e.source_ip /></td></tr>
                    <tr><th scope="row">"source_port"</th><td>{num(e.source_port.map(i64::from))}</td></tr>
                    <tr><th scope="row">"destination_ip"</th><td><FilterLink search=s() field="destination_ip" value=e.destination_ip /></td></tr>
                    <tr><th scope="row">"destination_port"</th><td>{num(e.destination_port.map(i64::from))}</td></tr>
                    <tr><th scope="row">"user_name"</th><td><FilterLink search=s() field="user_name" value=e.user_name /></td></tr>
                    <tr><th scope="row">"process"</th><td><FilterLink search=s() field="process" value=e.process /></td></tr>
                    <tr><th scope="row">"pid"</th><td>{num(e.pid)}</td></tr>
                    <tr><th scope="row">"repeat_count"</th><td>{e.repeat_count}</td></tr>
                    <tr><th scope="row">"message"</th><td class="message">{text(Some(e.message))}</td></tr>
                </tbody>
            </table>
        </section>
        <section class="detail-section" aria-labelledby="json-heading">
            <h2 id="json-heading">"JSON fields"</h2>
            {if fields.is_empty() {
                view! { <p class="form-hint">"The parser found no further fields."</p> }.into_any()
            } else {
                view! {
                    <table class="data-table detail-table" aria-label="JSON fields">
                        <tbody>
                            {fields
                                .into_iter()
                                .map(|(k, v)| view! { <tr><th scope="row">{k}</th><td class="message">{v}</td></tr> })
                                .collect_view()}
                        </tbody>
                    </table>
                }
                    .into_any()
            }}
        </section>
        <section class="detail-section" aria-labelledby="flags-heading">
            <h2 id="flags-heading">"Flags"</h2>
            <p class="flags">{flags}</p>
        </section>
        <section class="detail-section" aria-labelledby="alerts-heading">
            <h2 id="alerts-heading">"Related alerts"</h2>
            <RelatedAlerts alerts=detail.alerts />
        </section>
    }
}

#[component]
fn RelatedAlerts(alerts: Vec<RelatedAlert>) -> impl IntoView {
    if alerts.is_empty() {
        return view! { <p class="form-hint">"No alert names this event as evidence."</p> }
            .into_any();
    }
    view! {
        <ul class="related-alerts">
            {alerts
                .into_iter()
                .map(|a| {
                    let rule = a.rule_name.map(|r| format!(" · rule {r}")).unwrap_or_default();
                    let class = format!("severity severity-{}", severity_class(&a.severity));
                    let href = format!("/alerts/{}", a.id);
                    view! {
                        <li>
                            <span class=class>{a.severity}</span>
                            " "
                            <a href=href>{format!("#{} {}", a.id, a.title)}</a>
                            {format!(" ({}){rule}", a.status)}
                        </li>
                    }
                })
                .collect_view()}
        </ul>
    }
    .into_any()
}

/// A CSS class suffix from a severity: letters only, else `other`.
fn severity_class(severity: &str) -> String {
    if !severity.is_empty() && severity.chars().all(|c| c.is_ascii_alphabetic()) {
        severity.to_ascii_lowercase()
    } else {
        "other".into()
    }
}
