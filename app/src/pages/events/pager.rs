//! Keyset paging links: "Newer" and "Older" carry a position in the URL, so a page shows the
//! same events however many arrive meanwhile; "Newest" returns to the top.

use leptos::prelude::*;

use crate::model::events::{EventPage, EventSearch};

use super::url;

#[component]
pub fn Pager(search: EventSearch, page: EventPage) -> impl IntoView {
    let paged = !search.cursor.is_empty() || !search.before.is_empty();
    let newest = paged.then(|| url::href(&url::first_page(&search)));
    let newer = page.prev_cursor.as_deref().map(|c| url::newer(&search, c));
    let older = page.next_cursor.as_deref().map(|c| url::older(&search, c));
    if newest.is_none() && newer.is_none() && older.is_none() {
        return ().into_any();
    }
    view! {
        <nav class="pager" aria-label="Pages">
            {newest.map(|href| view! { <a href=href>"Newest"</a> })}
            {newer.map(|href| view! { <a href=href rel="prev">"Newer"</a> })}
            {older.map(|href| view! { <a href=href rel="next">"Older"</a> })}
        </nav>
    }
    .into_any()
}
