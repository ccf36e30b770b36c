//! The facet sidebar: the most frequent values of a few fields among the matching events,
//! each a link that narrows the search to it.

use leptos::prelude::*;

use crate::model::events::{EventFacets, EventSearch, FACET_SCAN_LIMIT, Facet};

use super::url;

#[component]
pub fn FacetSidebar(search: EventSearch, facets: EventFacets) -> impl IntoView {
    let note = facets.capped.then(|| {
        view! {
            <p class="form-hint">
                {format!("Counted over the newest {FACET_SCAN_LIMIT} matches.")}
            </p>
        }
    });
    view! {
        <aside class="facets" aria-label="Facets">
            <h2 class="facets-title">"Narrow down"</h2>
            {note}
            {facets
                .facets
                .into_iter()
                .filter(|f| !f.values.is_empty())
                .map(|f| view! { <FacetList search=search.clone() facet=f /> })
                .collect_view()}
        </aside>
    }
}

#[component]
fn FacetList(search: EventSearch, facet: Facet) -> impl IntoView {
    let heading = facet.field.replace('_', " ");
    let field = facet.field.clone();
    view! {
        <section class="facet" aria-label=format!("{heading} values")>
            <h3>{heading.clone()}</h3>
            <ul>
                {facet
                    .values
                    .into_iter()
                    .map(|v| {
                        let href = url::filtered(&search, &field, v.value.as_deref());
                        let (label, class) = match v.value {
                            Some(value) => (value, "facet-value"),
                            None => ("(none)".to_string(), "facet-value no-value"),
                        };
                        view! {
                            <li>
                                <a href=href class=class>{label}</a>
                                <span class="facet-count">{v.count}</span>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        </section>
    }
}
