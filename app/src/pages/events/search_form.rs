//! The search form: a plain GET form, so a search is a URL that can be shared, bookmarked and
//! submitted with JavaScript off.

use leptos::prelude::*;

use crate::model::events::{DEFAULT_RANGE, EventSearch, RANGES, RESULT_COLUMNS};

#[component]
pub fn SearchForm(search: Memo<EventSearch>) -> impl IntoView {
    let range = move || {
        let s = search.get();
        if s.range.is_empty() {
            DEFAULT_RANGE.to_string()
        } else {
            s.range
        }
    };
    view! {
        <form class="event-search" method="get" action="/events" role="search" aria-label="Search events">
            <div class="query-row">
                <label for="event-query">"Query"</label>
                <input
                    id="event-query"
                    name="q"
                    type="search"
                    class="query-input"
                    spellcheck="false"
                    autocomplete="off"
                    placeholder="e.g. event_action:ssh_login AND event_outcome:failure"
                    aria-describedby="event-query-help"
                    value=move || search.get().q
                />
                <button type="submit" class="primary">"Search"</button>
            </div>
            <div class="range-row">
                <label>
                    "Time range"
                    <select name="range">
                        {RANGES
                            .iter()
                            .map(|(value, label)| {
                                let value = *value;
                                view! {
                                    <option value=value selected=move || range() == value>
                                        {*label}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                </label>
                <label>
                    "From"
                    <input
                        name="from"
                        type="text"
                        inputmode="text"
                        placeholder="2026-05-01T00:00:00Z"
                        value=move || search.get().from
                    />
                </label>
                <label>
                    "To"
                    <input
                        name="to"
                        type="text"
                        placeholder="2026-05-02T00:00:00Z"
                        value=move || search.get().to
                    />
                </label>
            </div>
            <details class="column-chooser" open=move || !search.get().cols.is_empty()>
                <summary>"Columns"</summary>
                <fieldset>
                    <legend>"Columns shown (time is always shown)"</legend>
                    {RESULT_COLUMNS
                        .iter()
                        .map(|(key, label)| {
                            let key = *key;
                            view! {
                                <label class="column-choice">
                                    <input
                                        type="checkbox"
                                        name="cols"
                                        value=key
                                        checked=move || search.get().shows(key)
                                    />
                                    {*label}
                                </label>
                            }
                        })
                        .collect_view()}
                    <button type="submit">"Apply"</button>
                </fieldset>
            </details>
            <p id="event-query-help" class="form-hint">
                "Bare words search the message; combine field:value tests with AND, OR, NOT. "
                "From and To (RFC 3339, UTC) replace the time range when given."
            </p>
        </form>
    }
}
