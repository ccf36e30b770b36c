//! The frame around every signed-in page: brand, navigation for what the user may see, the
//! user menu, and the content area.

use leptos::prelude::*;
use leptos_router::components::Outlet;
use leptos_router::hooks::use_location;

use crate::api::forms::take_notice;
use crate::api::{JsonResource, get_current_user, resource};
use crate::components::{MainNav, NoticeLine, PageNotice, UserMenu};
use crate::error::AppError;
use crate::model::auth::CurrentUser;

/// The signed-in user, loaded once per page by the frame and shared with the pages in it.
#[derive(Clone, Copy)]
pub struct CurrentUserResource(pub JsonResource<Result<CurrentUser, AppError>>);

/// The layout route: the frame around the matched child page.
#[component]
pub fn AppLayout() -> impl IntoView {
    view! {
        <Frame>
            <Outlet />
        </Frame>
    }
}

#[component]
pub fn Frame(children: Children) -> impl IntoView {
    let me = resource(|| (), |_| get_current_user());
    provide_context(CurrentUserResource(me));
    // What the last write said: brought by a plain post's redirect (read once, on the server)
    // or set by a hydrated write.
    let flashed = resource(|| (), |_| take_notice());
    let notice = RwSignal::new(None);
    provide_context(PageNotice(notice));
    // A notice belongs to the page it was given on: moving to another page (in the browser,
    // without a reload) drops it.
    let keep_flash = RwSignal::new(true);
    let location = use_location();
    Effect::new(move |previous: Option<String>| {
        let path = location.pathname.get();
        if previous.is_some_and(|p| p != path) {
            notice.set(None);
            keep_flash.set(false);
        }
        path
    });
    view! {
        <a class="skip-link" href="#main">"Skip to content"</a>
        <header class="topbar">
            <a class="brand" href="/">
                <img src="/favicon.svg" alt="" width="24" height="24" />
                <span>"Vigil"</span>
            </a>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match me.await {
                        Ok(user) => {
                            view! {
                                <MainNav user=user.clone() />
                                <UserMenu user />
                            }
                                .into_any()
                        }
                        Err(err) => {
                            session_lost(&err);
                            view! { <a class="signin-link" href="/login">"Sign in"</a> }.into_any()
                        }
                    }
                })}
            </Suspense>
        </header>
        <main id="main" class="content">
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    let flashed = flashed.await.ok().flatten();
                    view! { <NoticeLine notice flashed keep_flash /> }
                })}
            </Suspense>
            {children()}
        </main>
    }
}

/// In the browser, a session that ended while the page was open goes back to the login page,
/// which says why.
fn session_lost(err: &AppError) {
    #[cfg(feature = "hydrate")]
    if matches!(err, AppError::Unauthorized) {
        let _ = window().location().assign("/login?expired=1");
    }
    let _ = err;
}
