//! Editing a saved rule: the editor filled from the rule, its kind fixed. "Backtest" is a GET
//! of this page with the draft in the URL, answered with the would-be alerts and the button
//! that saves the changes over the rule (a plain post, audited as a rule change).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::api::resource;
use crate::api::rules::{UpdateRuleFromDraft, edit_rule};
use crate::components::write_action;
use crate::error::AppError;
use crate::model::rules::RuleEdit;

use super::draft_url;
use super::editor::{DraftForm, Preview, Save};

#[component]
pub fn RuleEditPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let id = Memo::new(move |_| params.get().get("id").and_then(|s| s.parse::<i32>().ok()));
    let tried = Memo::new(move |_| {
        let q = query.get();
        draft_url::wants_preview(&q).then(|| draft_url::read(&q))
    });
    let edit = resource(
        move || (id.get(), tried.get()),
        |(id, draft)| async move {
            match id {
                Some(id) => edit_rule(id, draft).await,
                None => Err(AppError::NotFound),
            }
        },
    );
    let save = Save::Update(write_action::<UpdateRuleFromDraft>(|| {}));
    view! {
        <Title text="Edit rule" />
        <p class="back-link"><a href="/rules">"← Rules"</a></p>
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match edit.await {
                    Ok(edit) => view! { <Editing edit save /> }.into_any(),
                    Err(AppError::NotFound) => {
                        view! {
                            <h1>"Rule not found"</h1>
                            <p class="error" role="alert">"No rule has this number."</p>
                        }
                            .into_any()
                    }
                    Err(e) => {
                        view! {
                            <h1>"Edit rule"</h1>
                            <p class="error" role="alert">{format!("Could not read the rule: {e}")}</p>
                        }
                            .into_any()
                    }
                }
            })}
        </Transition>
    }
}

#[component]
fn Editing(edit: RuleEdit, save: Save) -> impl IntoView {
    let rule = edit.rule;
    let heading = format!("Edit rule: {}", rule.name);
    let Some(draft) = edit.draft else {
        let hint = format!(
            "A {} rule is changed through the API: PATCH /api/v1/rules/{} (see the README).",
            rule.kind, rule.id
        );
        return view! {
            <h1>{heading}</h1>
            <p class="form-hint">{hint}</p>
        }
        .into_any();
    };
    let action = format!("/rules/{}/edit", rule.id);
    let below = match edit.preview {
        Some(preview) => view! { <Preview draft=draft.clone() preview save /> }.into_any(),
        None => view! {
            <p class="form-hint">
                "Backtest the changed rule over stored events to see the alerts it would have raised, then save it. "
                {format!("The rule stays {} as it is.", if rule.enabled { "enabled" } else { "disabled" })}
            </p>
        }
        .into_any(),
    };
    view! {
        <h1>{heading}</h1>
        <DraftForm draft action editing=true />
        {below}
    }
    .into_any()
}
