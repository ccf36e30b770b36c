//! The live tail: events as they are stored, over server-sent events
//! (`/api/v1/logs/stream`), narrowed by a query the server evaluates on each event with the
//! query language's in-memory evaluator. The query is a GET form, so it lives in the URL. The
//! table keeps at most [`MAX_ROWS`] events and drops the oldest; paused, arriving events wait
//! in a buffer bounded the same way. Streaming needs JavaScript; without it the page says so
//! and links to the events browser.

use std::collections::VecDeque;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::components::time;
use crate::model::events::Event;

use super::url;

/// The most events the table shows.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
pub const MAX_ROWS: usize = 500;

/// Adds `event` at the front of `rows`, dropping the oldest beyond [`MAX_ROWS`].
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
pub fn push_bounded(rows: &mut VecDeque<Event>, event: Event) {
    rows.push_front(event);
    rows.truncate(MAX_ROWS);
}

#[component]
pub fn LiveTailPage() -> impl IntoView {
    let query = use_query_map();
    let q = Memo::new(move |_| query.get().get("q").unwrap_or_default());
    let rows = RwSignal::new(VecDeque::<Event>::new());
    let paused = RwSignal::new(false);
    let waiting = RwSignal::new(0usize);
    let status = RwSignal::new(String::from(
        "The live tail streams with JavaScript, which is off: the events browser shows the newest stored events.",
    ));
    #[cfg(feature = "hydrate")]
    connect::stream(q, rows, paused, waiting, status);

    let toggle = move |_| {
        paused.update(|p| *p = !*p);
    };
    let browser = move || {
        url::href(&crate::model::events::EventSearch {
            q: q.get(),
            range: "15m".into(),
            ..Default::default()
        })
    };
    view! {
        <Title text="Live tail" />
        <h1>"Live tail"</h1>
        <form class="event-search live-form" method="get" action="/events/live" role="search" aria-label="Filter the live tail">
            <div class="query-row">
                <label for="live-query">"Query"</label>
                <input
                    id="live-query"
                    name="q"
                    type="search"
                    class="query-input"
                    spellcheck="false"
                    autocomplete="off"
                    placeholder="e.g. level:error OR event_outcome:failure"
                    value=move || q.get()
                />
                <button type="submit" class="primary">"Apply"</button>
            </div>
        </form>
        <div class="live-bar">
            <button type="button" class="live-toggle" on:click=toggle aria-pressed=move || paused.get().to_string()>
                {move || if paused.get() { "Resume" } else { "Pause" }}
            </button>
            <p class="live-status" role="status">
                {move || status.get()}
                {move || {
                    let n = waiting.get();
                    (paused.get() && n > 0).then(|| format!(" {n} new events wait."))
                }}
            </p>
            <a href=browser>"Open in the events browser"</a>
        </div>
        <div class="table-scroll">
            <table class="data-table events-table live-table" aria-label="Live events">
                <thead>
                    <tr>
                        <th scope="col">"Time (UTC)"</th>
                        <th scope="col">"Host"</th>
                        <th scope="col">"Source"</th>
                        <th scope="col">"Level"</th>
                        <th scope="col">"Action"</th>
                        <th scope="col">"Message"</th>
                    </tr>
                </thead>
                <tbody>
                    <For each=move || rows.get() key=|e| e.id let:event>
                        <tr>
                            <td class="nowrap" data-label="Time">
                                <a href=format!("/events/{}", event.id)>{time::utc_second(&event.timestamp)}</a>
                            </td>
                            <td data-label="Host">{event.host.clone().unwrap_or_default()}</td>
                            <td data-label="Source">{event.source.clone()}</td>
                            <td data-label="Level">{event.level.clone().unwrap_or_default()}</td>
                            <td data-label="Action">{event.event_action.clone().unwrap_or_default()}</td>
                            <td class="message" data-label="Message">{event.message.clone()}</td>
                        </tr>
                    </For>
                </tbody>
            </table>
        </div>
    }
}

/// The browser side of the stream: an `EventSource` whose events collect in a buffer that a
/// timer moves into the table, so a burst of events costs one redraw.
#[cfg(feature = "hydrate")]
mod connect {
    use std::cell::RefCell;
    use std::collections::VecDeque;
    use std::rc::Rc;

    use leptos::prelude::*;
    use wasm_bindgen::JsCast;
    use wasm_bindgen::closure::Closure;

    use super::{MAX_ROWS, push_bounded};
    use crate::model::events::Event;

    const FLUSH: std::time::Duration = std::time::Duration::from_millis(300);

    pub fn stream(
        q: Memo<String>,
        rows: RwSignal<VecDeque<Event>>,
        paused: RwSignal<bool>,
        waiting: RwSignal<usize>,
        status: RwSignal<String>,
    ) {
        let pending: Rc<RefCell<VecDeque<Event>>> = Rc::default();
        let flush = {
            let pending = pending.clone();
            move || {
                if paused.get_untracked() {
                    waiting.set(pending.borrow().len());
                    return;
                }
                let mut new = pending.borrow_mut();
                if new.is_empty() {
                    return;
                }
                rows.update(|r| {
                    // `new` is oldest first.
                    for e in new.drain(..) {
                        push_bounded(r, e);
                    }
                });
                waiting.set(0);
            }
        };
        Effect::new(move |_| {
            if let Ok(handle) = set_interval_with_handle(flush.clone(), FLUSH) {
                on_cleanup(move || handle.clear());
            }
        });
        Effect::new(move |_| {
            let url = format!("/api/v1/logs/stream?q={}", super::url::encode(&q.get()));
            let Ok(source) = web_sys::EventSource::new(&url) else {
                status.set("The browser cannot open the stream.".into());
                return;
            };
            status.set("Connecting…".into());
            let on_open = Closure::<dyn FnMut()>::new(move || {
                status.set("Live: new events appear at the top.".into())
            });
            let pending = pending.clone();
            let on_event = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(
                move |m: web_sys::MessageEvent| {
                    let Some(text) = m.data().as_string() else {
                        return;
                    };
                    if let Ok(event) = serde_json::from_slice::<Event>(text.as_bytes()) {
                        let mut p = pending.borrow_mut();
                        p.push_back(event);
                        if p.len() > MAX_ROWS {
                            p.pop_front();
                        }
                    }
                },
            );
            let on_resync = Closure::<dyn FnMut()>::new(move || {
                status.set(
                    "Some events arrived faster than the tail could show them and were skipped."
                        .into(),
                )
            });
            let on_error = Closure::<dyn FnMut()>::new(move || {
                status.set("The stream was interrupted: reconnecting…".into())
            });
            source.set_onopen(Some(on_open.as_ref().unchecked_ref()));
            source.set_onerror(Some(on_error.as_ref().unchecked_ref()));
            let _ =
                source.add_event_listener_with_callback("event", on_event.as_ref().unchecked_ref());
            let _ = source
                .add_event_listener_with_callback("resync", on_resync.as_ref().unchecked_ref());
            let closures = (on_open, on_event, on_resync, on_error);
            let source = send_wrapper::SendWrapper::new((source, closures));
            on_cleanup(move || {
                let (source, _closures) = source.take();
                source.close();
            });
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_keeps_the_newest_rows_only() {
        let mut rows = VecDeque::new();
        for id in 0..(MAX_ROWS as i64 + 20) {
            let event: Event = serde_json::from_value(serde_json::json!({
                "id": id, "timestamp": "2026-05-01T10:00:00Z", "received_at": "2026-05-01T10:00:00Z",
                "host": null, "source_ip": null, "source_port": null, "destination_ip": null,
                "destination_port": null, "user_name": null, "event_category": null,
                "event_action": null, "event_outcome": null, "level": null, "process": null,
                "pid": null, "message": "m", "raw": "m", "parser": "raw", "source": "api",
                "flags": 0, "flag_names": [], "repeat_count": 1, "fields": {}
            }))
            .unwrap();
            push_bounded(&mut rows, event);
        }
        assert_eq!(rows.len(), MAX_ROWS);
        assert_eq!(
            rows.front().unwrap().id,
            MAX_ROWS as i64 + 19,
            "newest first"
        );
        assert_eq!(rows.back().unwrap().id, 20, "the oldest dropped");
    }
}
