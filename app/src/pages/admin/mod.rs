//! The Admin section: users, roles, API tokens and the audit log, each page open to the users
//! holding its permission; others are refused with 403 (the server enforces it regardless).

mod audit;
mod roles;
mod tokens;
mod users;

use leptos::prelude::*;
use leptos_meta::Title;

pub use audit::AdminAuditPage;
pub use roles::AdminRolesPage;
pub use tokens::AdminTokensPage;
pub use users::AdminUsersPage;

use crate::components::{ADMIN_PERMISSIONS, may_open};
use crate::layouts::CurrentUserResource;
use crate::model::auth::Permission;
use crate::pages::ForbiddenPage;

/// The Admin sections, with the permission each needs.
const SECTIONS: [(&str, &str, &str, Permission); 4] = [
    (
        "/admin/users",
        "Users",
        "Create users, assign roles, disable accounts, reset passwords.",
        Permission::UsersManage,
    ),
    (
        "/admin/roles",
        "Roles",
        "Decide which permissions each role grants.",
        Permission::RolesManage,
    ),
    (
        "/admin/tokens",
        "API tokens",
        "Credentials for agents, shippers and scripts.",
        Permission::TokensManage,
    ),
    (
        "/admin/audit",
        "Audit log",
        "Who did what, when and from where.",
        Permission::AuditRead,
    ),
];

#[component]
pub fn AdminPage() -> impl IntoView {
    let me = expect_context::<CurrentUserResource>().0;
    view! {
        <Title text="Admin" />
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match me.await {
                    Ok(user) if may_open(&user, &ADMIN_PERMISSIONS) => {
                        view! {
                            <h1>"Admin"</h1>
                            <ul class="card-list">
                                {SECTIONS
                                    .into_iter()
                                    .filter(|s| user.can(s.3))
                                    .map(|(href, title, hint, _)| {
                                        view! {
                                            <li class="card">
                                                <a href=href>{title}</a>
                                                <p class="meta">{hint}</p>
                                            </li>
                                        }
                                    })
                                    .collect_view()}
                            </ul>
                        }
                            .into_any()
                    }
                    _ => view! { <ForbiddenPage /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// Renders `children` for users holding `permission`, the 403 page for everyone else.
#[component]
pub fn RequirePermission(permission: Permission, children: ChildrenFn) -> impl IntoView {
    let me = expect_context::<CurrentUserResource>().0;
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || {
                let children = children.clone();
                Suspend::new(async move {
                    match me.await {
                        Ok(user) if user.can(permission) => children().into_any(),
                        _ => view! { <ForbiddenPage /> }.into_any(),
                    }
                })
            }}
        </Suspense>
    }
}
