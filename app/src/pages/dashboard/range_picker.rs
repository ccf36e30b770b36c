//! The time-range picker: links for the presets and a GET form for a custom range, so the
//! range lives in the URL and works with JavaScript off.

use leptos::prelude::*;

use crate::model::dashboard::{DASHBOARD_RANGES, DEFAULT_DASHBOARD_RANGE, DashboardRange};

#[component]
pub fn RangePicker(range: Memo<DashboardRange>, refresh: Memo<Option<u32>>) -> impl IntoView {
    let custom = move || {
        let r = range.get();
        !r.from.trim().is_empty() || !r.to.trim().is_empty()
    };
    let current = move || {
        let r = range.get();
        if r.range.trim().is_empty() {
            DEFAULT_DASHBOARD_RANGE.to_string()
        } else {
            r.range
        }
    };
    view! {
        <nav class="range-picker" aria-label="Time range">
            <ul class="range-presets">
                {DASHBOARD_RANGES
                    .iter()
                    .map(|(value, label)| {
                        let value = *value;
                        let href = move || {
                            let preset = DashboardRange {
                                range: value.to_string(),
                                ..Default::default()
                            };
                            super::refresh::href(&preset, refresh.get())
                        };
                        view! {
                            <li>
                                <a
                                    href=href
                                    class="range-link"
                                    aria-current=move || {
                                        (!custom() && current() == value).then_some("page")
                                    }
                                >
                                    {*label}
                                </a>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
            <form class="range-custom" method="get" action="/" aria-label="Custom time range">
                <label>
                    "From (UTC)"
                    <input
                        name="from"
                        type="datetime-local"
                        required
                        value=move || range.get().from
                    />
                </label>
                <label>
                    "To (UTC)"
                    <input name="to" type="datetime-local" value=move || range.get().to />
                </label>
                {move || {
                    refresh
                        .get()
                        .map(|s| view! { <input type="hidden" name="refresh" value=s.to_string() /> })
                }}
                <button type="submit">"Show"</button>
            </form>
        </nav>
    }
}
