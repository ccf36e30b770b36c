//! The primary navigation; the router marks the current page with `aria-current="page"`.

use leptos::prelude::*;
use leptos_router::components::A;

/// The sections of Vigil, in the order they appear.
pub const SECTIONS: [(&str, &str); 6] = [
    ("/", "Dashboard"),
    ("/events", "Events"),
    ("/alerts", "Alerts"),
    ("/rules", "Rules"),
    ("/reports", "Reports"),
    ("/admin", "Admin"),
];

#[component]
pub fn MainNav() -> impl IntoView {
    view! {
        <nav class="main-nav" aria-label="Main">
            <ul>
                {SECTIONS
                    .into_iter()
                    .map(|(href, label)| {
                        view! {
                            <li>
                                <A href=href exact=true>
                                    {label}
                                </A>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        </nav>
    }
}
