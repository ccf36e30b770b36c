//! Sigma import: upload one or more Sigma files (a plain multipart form post); the notice
//! that follows says, per file, what was imported and what was refused and why.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_location;

use crate::api::rules::ImportSigma;
use crate::model::notice::percent_encode;
use leptos::server_fn::ServerFn;

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
        >
            <label>
                "Sigma files"
                <input type="file" name="files" multiple accept=".yml,.yaml" required />
            </label>
            <button type="submit" class="primary">"Import"</button>
        </form>
        <p class="form-hint">
            "Each detection or correlation rule in a file becomes a sigma rule, enabled and evaluated on events stored from a second or so later. "
            "Files not named .yml or .yaml are refused; the result lists every file."
        </p>
    }
}
