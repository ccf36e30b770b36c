//! The results table: one row per event, newest first; values link to narrower searches and
//! the time links to the event's own page.

use leptos::prelude::*;

use crate::components::time;
use crate::model::events::{Event, EventSearch, RESULT_COLUMNS};

use super::value_link::FilterLink;

#[component]
pub fn ResultsTable(search: EventSearch, events: Vec<Event>) -> impl IntoView {
    view! {
        <div class="table-scroll">
            <table class="data-table events-table" aria-label="Events">
                <thead>
                    <tr>
                        <th scope="col">"Time (UTC)"</th>
                        {RESULT_COLUMNS
                            .iter()
                            .filter(|(key, _)| search.shows(key))
                            .map(|(_, label)| view! { <th scope="col">{*label}</th> })
                            .collect_view()}
                    </tr>
                </thead>
                <tbody>
                    {events
                        .into_iter()
                        .map(|e| view! { <EventRow search=search.clone() event=e /> })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
}

#[component]
fn EventRow(search: EventSearch, event: Event) -> impl IntoView {
    let detail = format!("/events/{}", event.id);
    let level_class = format!(
        "level level-{}",
        event
            .level
            .as_deref()
            .filter(|l| l.chars().all(|c| c.is_ascii_alphanumeric()))
            .unwrap_or("none")
            .to_ascii_lowercase()
    );
    let shows = |key: &str| search.shows(key);
    let (host, source, level, action, outcome, ip, user, message) = (
        shows("host"),
        shows("source"),
        shows("level"),
        shows("action"),
        shows("outcome"),
        shows("source_ip"),
        shows("user"),
        shows("message"),
    );
    let s = move || search.clone();
    view! {
        <tr>
            <td class="nowrap" data-label="Time">
                <a href=detail title="Open this event">{time::utc_second(&event.timestamp)}</a>
            </td>
            {host.then(|| view! { <td data-label="Host"><FilterLink search=s() field="host" value=event.host /></td> })}
            {source.then(|| view! { <td data-label="Source"><FilterLink search=s() field="source" value=Some(event.source) /></td> })}
            {level.then(|| view! { <td class=level_class data-label="Level"><FilterLink search=s() field="level" value=event.level /></td> })}
            {action.then(|| view! { <td data-label="Action"><FilterLink search=s() field="event_action" value=event.event_action /></td> })}
            {outcome.then(|| view! { <td data-label="Outcome"><FilterLink search=s() field="event_outcome" value=event.event_outcome /></td> })}
            {ip.then(|| view! { <td data-label="Source IP"><FilterLink search=s() field="source_ip" value=event.source_ip /></td> })}
            {user.then(|| view! { <td data-label="User"><FilterLink search=s() field="user_name" value=event.user_name /></td> })}
            {message.then(|| view! { <td class="message" data-label="Message">{event.message}</td> })}
        </tr>
    }
}
