//! Writes that work as plain form posts, and without a reload once the page is hydrated.
//!
//! A [`PostForm`] posts its fields to a server function, like leptos's `ActionForm`, with one
//! addition: its `action` carries the page it sits on (`?back=/alerts?status=open`). With
//! JavaScript off the browser sends an ordinary form post; the server function answers with
//! [`crate::api::forms::reply`], which keeps the notice in a short-lived cookie and redirects
//! back to that page, where the frame shows the notice once. Hydrated, submitting calls the
//! server function from the page instead: no reload, the notice shows at once and the page's
//! `refresh` re-reads what the write changed. (The site sends no `Referer`, so leptos's own
//! redirect to the referring page would always land on `/`.)

use leptos::html::Form;
use leptos::prelude::*;
use leptos::server_fn::client::Client;
use leptos::server_fn::codec::PostUrl;
use leptos::server_fn::request::ClientReq;
use leptos::server_fn::{Http, ServerFn};
use leptos_router::hooks::use_location;
use serde::de::DeserializeOwned;

use crate::error::AppError;
use crate::model::notice::{Notice, percent_encode};

/// The notice line of the current page: what the last write said. Provided by the frame.
#[derive(Clone, Copy)]
pub struct PageNotice(pub RwSignal<Option<Notice>>);

/// A server action whose answer (the notice text) is shown in the frame's notice line, and
/// after which `refresh` runs when it succeeded.
pub fn write_action<S>(refresh: impl Fn() + Send + Sync + 'static) -> ServerAction<S>
where
    S: ServerFn<Output = String, Error = AppError> + Clone + Send + Sync + 'static,
{
    optimistic_action(refresh, None::<fn()>)
}

/// [`write_action`] for a page that shows a change before the server answers: when the write
/// fails, `undo` takes the shown change back and the notice says so.
pub fn optimistic_action<S>(
    refresh: impl Fn() + Send + Sync + 'static,
    undo: Option<impl Fn() + Send + Sync + 'static>,
) -> ServerAction<S>
where
    S: ServerFn<Output = String, Error = AppError> + Clone + Send + Sync + 'static,
{
    let action = ServerAction::<S>::new();
    let notice = use_context::<PageNotice>().map(|n| n.0);
    Effect::new(move |_| {
        let Some(result) = action.value().get() else {
            return;
        };
        let ok = result.is_ok();
        if !ok && let Some(undo) = &undo {
            undo();
        }
        if let Some(notice) = notice {
            notice.set(Some(match result {
                Ok(text) => Notice::info(text),
                Err(e) if undo.is_some() => Notice::error(format!("{e}: the change was undone")),
                Err(e) => Notice::error(e.to_string()),
            }));
        }
        if ok {
            refresh();
        }
    });
    action
}

/// `path?query` of the current page, as the `back` parameter of a form's action.
fn back_param(path: &str, search: &str) -> String {
    let here = if search.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{search}")
    };
    format!("back={}", percent_encode(&here))
}

/// A `<form method="post">` for the server function `S`; see the module's documentation.
/// `label` names the form for assistive technology (and tests); a successful hydrated
/// submission resets the form's fields.
#[component]
pub fn PostForm<S, OutputProtocol>(
    action: ServerAction<S>,
    #[prop(into)] label: String,
    #[prop(optional, into)] class: Option<String>,
    /// The form's `id`, for fields elsewhere on the page that name it in their `form`
    /// attribute (a column of checkboxes in a table).
    #[prop(optional, into)]
    id: Option<String>,
    /// Where a plain post lands afterwards, instead of the page the form is on.
    #[prop(optional, into)]
    back: Option<String>,
    children: Children,
) -> impl IntoView
where
    S: DeserializeOwned
        + ServerFn<Protocol = Http<PostUrl, OutputProtocol>>
        + Clone
        + Send
        + Sync
        + 'static,
    <<S::Client as Client<S::Error>>::Request as ClientReq<S::Error>>::FormData:
        From<leptos::web_sys::FormData>,
    S::Output: Send + Sync + 'static,
    S::Error: Send + Sync + 'static,
    <S as ServerFn>::Client: Client<<S as ServerFn>::Error>,
{
    let location = use_location();
    let target = move || match &back {
        Some(page) => format!("{}?{}", S::url(), back_param(page, "")),
        None => format!(
            "{}?{}",
            S::url(),
            back_param(&location.pathname.get(), &location.search.get())
        ),
    };
    let form_ref = NodeRef::<Form>::new();
    Effect::new(move |_| {
        if action.value().with(|v| matches!(v, Some(Ok(_))))
            && let Some(form) = form_ref.get_untracked()
        {
            form.reset();
        }
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        if ev.default_prevented() {
            return;
        }
        ev.prevent_default();
        match <S as leptos::form::FromFormData>::from_event(&ev) {
            Ok(input) => {
                action.dispatch(input);
            }
            Err(err) => leptos::logging::error!("unreadable form: {err:?}"),
        }
    };
    view! {
        <form
            method="post"
            action=target
            aria-label=label
            class=class
            id=id
            node_ref=form_ref
            on:submit=on_submit
        >
            {children()}
        </form>
    }
}

#[cfg(test)]
mod tests {
    use super::back_param;

    #[test]
    fn the_page_travels_percent_encoded() {
        assert_eq!(back_param("/alerts", ""), "back=/alerts");
        assert_eq!(
            back_param("/alerts", "status=open&q=a b"),
            "back=/alerts%3Fstatus%3Dopen%26q%3Da%20b"
        );
    }
}
