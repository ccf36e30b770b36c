//! The rule editor: a form for match, threshold and sequence rules in the query language, or
//! Sigma YAML, and a backtest over a chosen range before saving. "Backtest" is a GET of the
//! page with the draft in the URL; the would-be alerts show under the form with the button
//! that saves the rule (a plain post). The form shows the fields of the chosen kind only (a
//! style rule, so it works without JavaScript). New rules are written at `/rules/new`, saved
//! rules edited at `/rules/{id}/edit` (see [`super::edit`]).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::resource;
use crate::api::rules::{CreateRuleFromDraft, UpdateRuleFromDraft, preview_rule};
use crate::components::{PostForm, write_action};
use crate::model::rules::{RuleDraft, RulePreview};

use super::draft_url;
use super::preview::PreviewResult;

const KINDS: [(&str, &str); 4] = [
    ("threshold", "Threshold: enough matches within a window"),
    ("match", "Match: every matching event"),
    ("sequence", "Sequence: first, then"),
    ("sigma", "Sigma: YAML"),
];
const SEVERITIES: [&str; 4] = ["low", "medium", "high", "critical"];
const RANGES: [(&str, &str); 4] = [
    ("24h", "Last 24 hours"),
    ("7d", "Last 7 days"),
    ("30d", "Last 30 days"),
    ("365d", "Last 365 days"),
];

/// How the preview's button saves the draft: as a new rule, or over the rule being edited.
#[derive(Clone, Copy)]
pub enum Save {
    Create(ServerAction<CreateRuleFromDraft>),
    Update(ServerAction<UpdateRuleFromDraft>),
}

#[component]
pub fn RuleEditorPage() -> impl IntoView {
    let query = use_query_map();
    let draft = Memo::new(move |_| RuleDraft {
        rule: String::new(),
        ..draft_url::read(&query.get())
    });
    let wanted = Memo::new(move |_| draft_url::wants_preview(&query.get()));
    let preview = resource(
        move || (draft.get(), wanted.get()),
        |(draft, wanted)| async move {
            if wanted {
                preview_rule(draft).await.map(Some)
            } else {
                Ok(None)
            }
        },
    );
    let save = Save::Create(write_action::<CreateRuleFromDraft>(|| {}));
    view! {
        <Title text="New rule" />
        <p class="back-link"><a href="/rules">"← Rules"</a></p>
        <h1>"New rule"</h1>
        {move || view! { <DraftForm draft=draft.get() action="/rules/new" editing=false /> }}
        <Transition fallback=|| view! { <p class="loading">"Running the backtest…"</p> }>
            {move || Suspend::new(async move {
                let draft = draft.get_untracked();
                match preview.await {
                    Ok(Some(preview)) => view! { <Preview draft preview save /> }.into_any(),
                    Ok(None) => {
                        view! {
                            <p class="form-hint">
                                "Backtest the rule over stored events to see the alerts it would have raised, then save it."
                            </p>
                        }
                            .into_any()
                    }
                    Err(e) => view! { <p class="error" role="alert">{format!("Could not backtest: {e}")}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// A labelled text input named `name`, holding `value`.
pub(super) fn text_field(
    label: &'static str,
    name: &'static str,
    value: String,
    hint: &'static str,
) -> impl IntoView {
    view! {
        <label>
            {label}
            <input name=name value=value placeholder=hint spellcheck="false" autocomplete="off" />
        </label>
    }
}

/// The draft's form, a GET of `action` asking for a backtest. `editing` a saved rule, the kind
/// is fixed and the rule's id travels along.
#[component]
pub fn DraftForm(draft: RuleDraft, #[prop(into)] action: String, editing: bool) -> impl IntoView {
    let d = draft;
    let range = if d.range.is_empty() {
        "7d".to_string()
    } else {
        d.range.clone()
    };
    // Erased in parts: one nested view type for the whole form is too deep for the compiler
    // when components are not erased (plain `cargo build`).
    let kind_field = if editing {
        view! {
            <input type="hidden" name="rule" value=d.rule.clone() />
            <input type="hidden" name="kind" value=d.kind.clone() />
            <p class="fixed-kind">"Kind: " <strong>{d.kind.clone()}</strong></p>
        }
        .into_any()
    } else {
        view! {
            <label>
                "Kind"
                <select name="kind">
                    {KINDS
                        .iter()
                        .map(|(v, l)| view! { <option value=*v selected=d.kind == *v>{*l}</option> })
                        .collect_view()}
                </select>
            </label>
        }
        .into_any()
    };
    let head = view! {
        <input type="hidden" name="preview" value="1" />
        <div class="editor-row">
            {text_field("Name", "name", d.name.clone(), "e.g. Password spraying")}
            {kind_field}
            <label>
                "Severity"
                <select name="severity">
                    {SEVERITIES
                        .iter()
                        .map(|v| view! { <option value=*v selected=d.severity == *v>{*v}</option> })
                        .collect_view()}
                </select>
            </label>
        </div>
        <div class="editor-row">
            {text_field("Description", "description", d.description.clone(), "what it detects")}
            {text_field("ATT&CK tags", "tags", d.tags.clone(), "attack.t1110, attack.credential_access")}
        </div>
    }
    .into_any();
    // `data-kinds` names the kinds a part belongs to; the style sheet hides the others.
    let condition = view! {
        <fieldset data-kinds="match threshold sequence">
            <legend>"Condition"</legend>
            <label class="wide" data-kinds="match threshold">
                "Query"
                <input class="query-input" name="query" value=d.query.clone() spellcheck="false" autocomplete="off"
                    placeholder="event_action:ssh_login AND event_outcome:failure" />
            </label>
            <div class="editor-row" data-kinds="sequence">
                {text_field("First", "first", d.first.clone(), "event_outcome:failure")}
                {text_field("Then", "then", d.then.clone(), "event_outcome:success")}
                {text_field("Within (seconds)", "within_secs", d.within_secs.clone(), "600")}
            </div>
            <div class="editor-row">
                {text_field("Group by", "group_by", d.group_by.clone(), "source_ip, user_name")}
                <span class="kind-part" data-kinds="threshold">
                    {text_field("Window (seconds)", "window_secs", d.window_secs.clone(), "300")}
                </span>
                <span class="kind-part" data-kinds="threshold">
                    {text_field("Threshold", "threshold", d.threshold.clone(), "5")}
                </span>
                <span class="kind-part" data-kinds="threshold">
                    {text_field("Distinct field", "distinct", d.distinct.clone(), "optional, e.g. user_name")}
                </span>
            </div>
        </fieldset>
        <fieldset data-kinds="sigma">
            <legend>"Sigma"</legend>
            <label class="wide">
                "Sigma YAML"
                <textarea name="yaml" rows="8" spellcheck="false">{d.yaml.clone()}</textarea>
            </label>
        </fieldset>
    }
    .into_any();
    let range_row = view! {
        <div class="editor-row">
            <label>
                "Backtest over"
                <select name="range">
                    {RANGES
                        .iter()
                        .map(|(v, l)| view! { <option value=*v selected=range == *v>{*l}</option> })
                        .collect_view()}
                </select>
            </label>
            {text_field("From", "from", d.from.clone(), "2026-05-01T00:00:00Z")}
            {text_field("To", "to", d.to.clone(), "2026-05-02T00:00:00Z")}
            <button type="submit" class="primary">"Backtest"</button>
        </div>
        <p class="form-hint">"From and To (RFC 3339, UTC) replace the range when given."</p>
    }
    .into_any();
    view! {
        <form class="rule-editor" method="get" action=action aria-label="Rule">
            {head}
            {condition}
            {range_row}
        </form>
    }
}

/// The backtest's answer under the form, and the button that saves the draft.
#[component]
pub fn Preview(draft: RuleDraft, preview: RulePreview, save: Save) -> impl IntoView {
    if let Some(problem) = preview.problem {
        return view! { <p class="error" role="alert">{problem}</p> }.into_any();
    }
    let Some(job) = preview.job else {
        return ().into_any();
    };
    let hidden = draft_url::fields(&draft)
        .into_iter()
        .map(|(name, value)| view! { <input type="hidden" name=format!("draft[{name}]") value=value /> })
        .collect_view();
    let form = match save {
        Save::Create(action) => view! {
            <PostForm action label="Save rule" back="/rules" class="save-rule">
                {hidden}
                <label class="check">
                    <input type="checkbox" name="enabled" />
                    "Enable it now"
                </label>
                <button type="submit" class="primary">"Save rule"</button>
            </PostForm>
        }
        .into_any(),
        Save::Update(action) => view! {
            <PostForm action label="Save rule" back="/rules" class="save-rule">
                {hidden}
                <button type="submit" class="primary">"Save changes"</button>
            </PostForm>
        }
        .into_any(),
    };
    view! {
        <PreviewResult job />
        {form}
    }
    .into_any()
}
