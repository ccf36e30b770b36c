//! The frame around every page: brand, primary navigation and the content area.

use leptos::prelude::*;

use crate::components::MainNav;

#[component]
pub fn AppLayout(children: Children) -> impl IntoView {
    view! {
        <a class="skip-link" href="#main">"Skip to content"</a>
        <header class="topbar">
            <a class="brand" href="/">
                <img src="/favicon.svg" alt="" width="24" height="24" />
                <span>"Vigil"</span>
            </a>
            <MainNav />
        </header>
        <main id="main" class="content">
            {children()}
        </main>
    }
}
