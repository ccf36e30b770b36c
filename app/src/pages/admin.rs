//! The Admin section, for users holding an administrative permission; others are refused with
//! 403 (the server enforces the same on every admin API regardless).

use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::{ADMIN_PERMISSIONS, EmptyState, may_open};
use crate::layouts::CurrentUserResource;
use crate::pages::ForbiddenPage;

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
                            <EmptyState
                                title="Administration"
                                hint="Users, roles, API tokens and the audit log are managed here."
                            />
                        }
                            .into_any()
                    }
                    _ => view! { <ForbiddenPage /> }.into_any(),
                }
            })}
        </Suspense>
    }
}
