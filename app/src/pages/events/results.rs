//! The results table: one row per event, newest first; values link to narrower searches and
//! the time links to the event's own page.

use leptos::prelude::*;

use crate::components::time;
use crate::model::events::{Event, EventSearch};

use super::value_link::FilterLink;

#[component]
pub fn ResultsTable(search: EventSearch, events: Vec<Event>) -> impl IntoView {
    view! {
        <div class="table-scroll">
            <table class="data-table events-table" aria-label="Events">
                <thead>
                    <tr>
                        <th scope="col">"Time (UTC)"</th>
                        <th scope="col">"Host"</th>
                        <th scope="col">"Source"</th>
                        <th scope="col">"Level"</th>
                        <th scope="col">"Action"</th>
                        <th scope="col">"Outcome"</th>
                        <th scope="col">"Source IP"</th>
                        <th scope="col">"User"</th>
                        <th scope="col">"Message"</th>
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
    let s = move || search.clone();
    view! {
        <tr>
            <td class="nowrap" data-label="Time">
                <a href=detail title="Open this event">{time::utc_second(&event.timestamp)}</a>
            </td>
            <td data-label="Host"><FilterLink search=s() field="host" value=event.host /></td>
            <td data-label="Source"><FilterLink search=s() field="source" value=Some(event.source) /></td>
            <td class=level_class data-label="Level"><FilterLink search=s() field="level" value=event.level /></td>
            <td data-label="Action"><FilterLink search=s() field="event_action" value=event.event_action /></td>
            <td data-label="Outcome"><FilterLink search=s() field="event_outcome" value=event.event_outcome /></td>
            <td data-label="Source IP"><FilterLink search=s() field="source_ip" value=event.source_ip /></td>
            <td data-label="User"><FilterLink search=s() field="user_name" value=event.user_name /></td>
            <td class="message" data-label="Message">{event.message}</td>
        </tr>
    }
}
