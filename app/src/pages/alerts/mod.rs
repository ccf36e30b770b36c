//! The alerts pages: the triage queue (filters and status counts kept in the URL, bulk changes
//! through one form, live updates from the alert stream once hydrated, keyboard shortcuts) and
//! one page per alert. Everything reads and writes with JavaScript off too.

mod alert_table;
mod detail;
mod evidence;
mod filter_form;
mod keys;
mod live;
mod optimistic;
mod status_tabs;
mod timeline;
mod triage_panel;
mod url;

pub use detail::AlertDetailPage;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::alerts::{BulkTriage, TriageAlert, list_alerts_page};
use crate::api::resource;
use crate::components::{EmptyState, optimistic_action};
use crate::layouts::CurrentUserResource;
use crate::model::alerts::{AlertFilter, AlertListing};
use crate::model::auth::Permission;

use alert_table::AlertTable;
use filter_form::FilterForm;
use keys::ShortcutHints;
use status_tabs::StatusTabs;

#[component]
pub fn AlertsPage() -> impl IntoView {
    let query = use_query_map();
    let filter = Memo::new(move |_| url::read(&query.get()));
    // Bumped by the alert stream and by every write, to read the list again.
    let version = RwSignal::new(0u32);
    let listing = resource(
        move || (filter.get(), version.get()),
        |(filter, _)| list_alerts_page(filter),
    );
    let refresh = move || version.update(|v| *v += 1);
    let shown = optimistic::Shown::new();
    provide_context(shown);
    let bulk = optimistic_action::<BulkTriage>(refresh, Some(move || shown.clear()));
    let triage = optimistic_action::<TriageAlert>(refresh, Some(move || shown.clear()));
    optimistic::follow(shown, bulk, triage);
    let ids = StoredValue::new(Vec::<i64>::new());
    let selected = RwSignal::new(None::<usize>);
    live::follow_alert_stream(refresh);
    let me = expect_context::<CurrentUserResource>();
    keys::bind_list_keys(ids, selected, triage, me);
    let me = me.0;

    view! {
        <Title text="Alerts" />
        <h1>"Alerts"</h1>
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let filter = filter.get_untracked();
                let user = me.await.ok();
                let can_triage = user.as_ref().is_some_and(|u| u.can(Permission::AlertsTriage));
                match listing.await {
                    Ok(listing) => {
                        // The list read after a write shows what was stored.
                        if !bulk.pending().get_untracked() && !triage.pending().get_untracked() {
                            shown.clear();
                        }
                        ids.set_value(listing.page.items.iter().map(|a| a.id).collect());
                        view! {
                            <Listing filter listing can_triage bulk selected />
                            <ShortcutHints can_triage />
                        }
                            .into_any()
                    }
                    Err(e) => {
                        view! {
                            <p class="error" role="alert">{format!("Could not read the alerts: {e}")}</p>
                        }
                            .into_any()
                    }
                }
            })}
        </Transition>
    }
}

/// The answer for one filter: tabs, filters, the table and the next-page link.
#[component]
fn Listing(
    filter: AlertFilter,
    listing: AlertListing,
    can_triage: bool,
    bulk: ServerAction<BulkTriage>,
    selected: RwSignal<Option<usize>>,
) -> impl IntoView {
    let next = listing.page.next_cursor.map(|c| url::next_page(&filter, c));
    let body = if let Some(message) = listing.input_error {
        view! { <p class="error" role="alert">{message}</p> }.into_any()
    } else if listing.page.items.is_empty() {
        let hint = if filter == AlertFilter::default() {
            "Alerts appear here when a detection rule matches incoming events."
        } else {
            "No alert matches these filters: remove one, or choose a longer time range."
        };
        view! { <EmptyState title="No alerts" hint=hint /> }.into_any()
    } else {
        let assignees = listing.assignees;
        view! { <AlertTable alerts=listing.page.items can_triage bulk selected assignees /> }
            .into_any()
    };
    view! {
        <StatusTabs filter=filter.clone() counts=listing.counts />
        <FilterForm filter=filter.clone() rules=listing.rules />
        {body}
        {next.map(|href| {
            view! {
                <nav class="pager" aria-label="Pages">
                    {(!filter.cursor.is_empty()).then(|| view! { <a href=url::with_status(&filter, &filter.status)>"Newest"</a> })}
                    <a href=href rel="next">"Older"</a>
                </nav>
            }
        })}
    }
}
