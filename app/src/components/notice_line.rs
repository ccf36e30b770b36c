//! The frame's notice line: what the last write on this page said.

use leptos::prelude::*;

use crate::model::notice::Notice;

/// Shows the latest notice: the one set on the page, else the one a redirect brought (while
/// `keep_flash` holds).
#[component]
pub fn NoticeLine(
    notice: RwSignal<Option<Notice>>,
    flashed: Option<Notice>,
    keep_flash: RwSignal<bool>,
) -> impl IntoView {
    move || {
        let flashed = keep_flash.get().then(|| flashed.clone()).flatten();
        notice.get().or(flashed).map(|n| {
            if n.ok {
                view! { <p class="notice notice-info" role="status">{n.text}</p> }.into_any()
            } else {
                view! { <p class="notice notice-error" role="alert">{n.text}</p> }.into_any()
            }
        })
    }
}
