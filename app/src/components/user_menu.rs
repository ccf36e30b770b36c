//! Who is signed in, and the way out. Signing out is a form post, so it works without
//! JavaScript and cannot be triggered by a link on another site.

use leptos::prelude::*;

use crate::model::auth::CurrentUser;

#[component]
pub fn UserMenu(user: CurrentUser) -> impl IntoView {
    let name = user
        .display_name
        .clone()
        .unwrap_or_else(|| user.username.clone());
    let roles = user.roles.join(", ");
    view! {
        <div class="user-menu">
            <span class="user-name" title=roles>
                {name}
            </span>
            <form method="post" action="/auth/logout">
                <button type="submit" class="link-button">
                    "Sign out"
                </button>
            </form>
        </div>
    }
}
