//! The events browser: a search in the query language over a time range, kept whole in the
//! URL, with facet counts, newest-first pages, value filters, CSV export and one page per
//! event. Everything reads with JavaScript off; links and the GET form work the same hydrated.

mod detail;
mod facets;
mod live;
mod pager;
mod query_error;
mod results;
mod search_form;
pub(crate) mod url;
mod value_link;

pub use detail::EventDetailPage;
pub use live::LiveTailPage;
pub(crate) use url::encode;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::{browse_events, resource};
use crate::components::EmptyState;
use crate::model::events::{EventBrowse, EventSearch};

use facets::FacetSidebar;
use pager::Pager;
use query_error::QueryErrorNotice;
use results::ResultsTable;
use search_form::SearchForm;

#[component]
pub fn EventsPage() -> impl IntoView {
    let query = use_query_map();
    let search = Memo::new(move |_| url::read(&query.get()));
    let browse = resource(move || search.get(), browse_events);

    view! {
        <Title text="Events" />
        <div class="page-head">
            <h1>"Events"</h1>
            <a href="/events/live">"Live tail"</a>
        </div>
        <SearchForm search=search />
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let search = search.get_untracked();
                match browse.await {
                    Ok(found) => view! { <Findings search found /> }.into_any(),
                    Err(e) => {
                        view! {
                            <p class="error" role="alert">
                                {format!("Could not search the events: {e}")}
                            </p>
                        }
                            .into_any()
                    }
                }
            })}
        </Transition>
    }
}

/// The answer to one search: its error, or the facets, the page and the links around it.
#[component]
fn Findings(search: EventSearch, found: EventBrowse) -> impl IntoView {
    if let Some(problem) = found.query_error {
        return view! { <QueryErrorNotice query=search.q.clone() problem /> }.into_any();
    }
    if let Some(message) = found.input_error {
        return view! {
            <p class="error" role="alert">{message}</p>
        }
        .into_any();
    }
    let Some(page) = found.page else {
        return ().into_any();
    };
    let export = url::export(&search, &found.from, &found.to);
    let paged = !search.cursor.is_empty() || !search.before.is_empty();
    let body = if page.items.is_empty() {
        let hint = if paged {
            "This page is past the last match: go back to the newest events."
        } else if search.q.trim().is_empty() {
            "Nothing was stored in this time range: choose a longer range, or check that sources are sending."
        } else {
            "Nothing matches this query in this time range: remove a condition, or choose a longer range."
        };
        view! { <EmptyState title="No matching events" hint=hint /> }.into_any()
    } else {
        view! { <ResultsTable search=search.clone() events=page.items.clone() /> }.into_any()
    };
    view! {
        <div class="events-browser">
            {found.facets.map(|facets| view! { <FacetSidebar search=search.clone() facets /> })}
            <section class="events-results" aria-label="Results">
                <div class="results-bar">
                    <a class="export-link" href=export download="vigil-events.csv">
                        "Export CSV"
                    </a>
                </div>
                {body}
                <Pager search page />
            </section>
        </div>
    }
    .into_any()
}
