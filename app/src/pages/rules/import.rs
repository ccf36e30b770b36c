//! Sigma import: upload one or more Sigma files; the result says, per file, what was imported
//! and what was refused and why. Without JavaScript it is a plain multipart form post and the
//! result is the notice of the page it lands on; hydrated, the page posts the same form itself
//! and shows the result without a reload.

use leptos::html::Form;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;
use leptos_router::hooks::use_location;

use crate::api::rules::{ImportSigma, import_sigma};
use crate::components::PageNotice;
use crate::model::notice::{Notice, percent_encode};

#[component]
pub fn RuleImportPage() -> impl IntoView {
    let location = use_location();
    let action = move || {
        format!(
            "{}?back={}",
            ImportSigma::url(),
            percent_encode(&location.pathname.get())
        )
    };
    let notice = use_context::<PageNotice>().map(|n| n.0);
    let form_ref = NodeRef::<Form>::new();
    let upload =
        Action::new_local(|data: &leptos::web_sys::FormData| import_sigma(data.clone().into()));
    Effect::new(move |_| {
        let Some(result) = upload.value().get() else {
            return;
        };
        if result.is_ok()
            && let Some(form) = form_ref.get_untracked()
        {
            form.reset();
        }
        if let Some(notice) = notice {
            notice.set(Some(match result {
                Ok(text) => Notice::info(text),
                Err(e) => Notice::error(e.to_string()),
            }));
        }
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        use leptos::wasm_bindgen::JsCast;
        let Some(form) = ev
            .target()
            .and_then(|t| t.dyn_into::<leptos::web_sys::HtmlFormElement>().ok())
        else {
            return;
        };
        match leptos::web_sys::FormData::new_with_form(&form) {
            Ok(data) => {
                ev.prevent_default();
                upload.dispatch_local(data);
            }
            // Left to the browser's own post.
            Err(err) => leptos::logging::error!("unreadable upload form: {err:?}"),
        }
    };
    let pending = upload.pending();
    view! {
        <Title text="Import Sigma rules" />
        <p class="back-link"><a href="/rules">"← Rules"</a></p>
        <h1>"Import Sigma rules"</h1>
        <form
            class="inline-form sigma-upload"
            method="post"
            enctype="multipart/form-data"
            action=action
            aria-label="Import Sigma rules"
            node_ref=form_ref
            on:submit=on_submit
        >
            <label>
                "Sigma files"
                <input type="file" name="files" multiple accept=".yml,.yaml" required />
            </label>
            <button type="submit" class="primary" disabled=move || pending.get()>
                {move || if pending.get() { "Importing…" } else { "Import" }}
            </button>
        </form>
        <p class="form-hint">
            "Each detection or correlation rule in a file becomes a sigma rule, enabled and evaluated on events stored from a second or so later. "
            "Files not named .yml or .yaml are refused; the result lists every file."
        </p>
    }
}
