//! The primary navigation, showing only the sections the user may open; the router marks the
//! current page with `aria-current="page"`.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::model::auth::{CurrentUser, Permission};

/// The permissions that make the Admin section useful.
pub const ADMIN_PERMISSIONS: [Permission; 5] = [
    Permission::UsersManage,
    Permission::RolesManage,
    Permission::TokensManage,
    Permission::AuditRead,
    Permission::SettingsManage,
];

/// The sections of Vigil, in the order they appear, with what opening each takes.
pub const SECTIONS: [(&str, &str, &[Permission]); 6] = [
    ("/", "Dashboard", &[]),
    ("/events", "Events", &[Permission::EventsRead]),
    ("/alerts", "Alerts", &[Permission::AlertsRead]),
    ("/rules", "Rules", &[Permission::RulesRead]),
    ("/reports", "Reports", &[Permission::ReportsRead]),
    ("/admin", "Admin", &ADMIN_PERMISSIONS),
];

/// Whether the user holds one of `needed` (or nothing is needed).
pub fn may_open(user: &CurrentUser, needed: &[Permission]) -> bool {
    needed.is_empty() || needed.iter().any(|p| user.can(*p))
}

#[component]
pub fn MainNav(user: CurrentUser) -> impl IntoView {
    view! {
        <nav class="main-nav" aria-label="Main">
            <ul>
                {SECTIONS
                    .into_iter()
                    .filter(|(_, _, needed)| may_open(&user, needed))
                    .map(|(href, label, _)| {
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
