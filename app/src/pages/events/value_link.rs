//! A value that narrows the search to itself when clicked: a plain link, so it works with
//! JavaScript off. The value is shown as text and travels percent-encoded in the link.

use leptos::prelude::*;

use crate::model::events::EventSearch;

use super::url;

/// `value` as a link adding `field:"value"` to the search; a dash when there is none.
#[component]
pub fn FilterLink(
    search: EventSearch,
    field: &'static str,
    value: Option<String>,
) -> impl IntoView {
    match value {
        None => view! { <span class="no-value">"-"</span> }.into_any(),
        Some(value) => {
            let href = url::filtered(&search, field, Some(&value));
            let title = format!("Add {field}:\"…\" to the query");
            view! { <a class="filter-link" href=href title=title>{value}</a> }.into_any()
        }
    }
}
