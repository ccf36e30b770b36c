//! The sign-in page. The form posts to `/auth/login`, which sets the session cookies and
//! redirects, so signing in works with JavaScript off as well as on.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn LoginPage() -> impl IntoView {
    let query = use_query_map();
    let param = move |key: &str| query.with_untracked(|q| q.get(key));
    let next = param("next").unwrap_or_else(|| "/".into());
    let notice = if param("error").as_deref() == Some("invalid") {
        Some(("error", "Invalid username or password."))
    } else if param("error").as_deref() == Some("throttled") {
        Some((
            "error",
            "Too many failed sign-ins. Wait a few minutes, then try again.",
        ))
    } else if param("expired").is_some() {
        Some((
            "info",
            "Your session has expired. Sign in again to continue.",
        ))
    } else if param("signed_out").is_some() {
        Some(("info", "You have signed out."))
    } else {
        None
    };
    view! {
        <Title text="Sign in" />
        <main id="main" class="login">
            <form class="login-card" method="post" action="/auth/login">
                <div class="login-brand">
                    <img src="/favicon.svg" alt="" width="40" height="40" />
                    <h1>"Sign in to Vigil"</h1>
                </div>
                {notice
                    .map(|(kind, text)| {
                        let role = if kind == "error" { "alert" } else { "status" };
                        view! {
                            <p class=format!("notice notice-{kind}") role=role>
                                {text}
                            </p>
                        }
                    })}
                <label for="username">"Username"</label>
                <input
                    id="username"
                    name="username"
                    autocomplete="username"
                    required
                    autofocus
                    autocapitalize="none"
                    spellcheck="false"
                />
                <label for="password">"Password"</label>
                <input
                    id="password"
                    name="password"
                    type="password"
                    autocomplete="current-password"
                    required
                />
                <input type="hidden" name="next" value=next />
                <button type="submit" class="primary">
                    "Sign in"
                </button>
            </form>
        </main>
    }
}
