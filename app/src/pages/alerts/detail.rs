//! One alert: what it is and why it fired, the triage controls (for users who may triage),
//! its evidence events, and its history and comments.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::api::alerts::{CommentAlert, TriageAlert, get_alert_detail};
use crate::api::resource;
use crate::components::{SeverityBadge, StatusBadge, time, write_action};
use crate::error::AppError;
use crate::layouts::CurrentUserResource;
use crate::model::alerts::AlertDetail;
use crate::model::auth::Permission;

use super::evidence::Evidence;
use super::timeline::{Comments, Timeline};
use super::triage_panel::TriagePanel;

#[component]
pub fn AlertDetailPage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.get().get("id").and_then(|s| s.parse::<i64>().ok()));
    let version = RwSignal::new(0u32);
    let detail = resource(
        move || (id.get(), version.get()),
        |(id, _)| async move {
            match id {
                Some(id) => get_alert_detail(id).await,
                None => Err(AppError::NotFound),
            }
        },
    );
    let refresh = move || version.update(|v| *v += 1);
    let triage = write_action::<TriageAlert>(refresh);
    let comment = write_action::<CommentAlert>(refresh);
    super::live::follow_alert_stream(refresh);
    let me = expect_context::<CurrentUserResource>().0;
    view! {
        <Title text="Alert" />
        <p class="back-link"><a href="/alerts">"← Alerts"</a></p>
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let can_triage = me
                    .await
                    .is_ok_and(|u| u.can(Permission::AlertsTriage));
                match detail.await {
                    Ok(detail) => view! { <AlertView detail can_triage triage comment /> }.into_any(),
                    Err(AppError::NotFound) => {
                        view! {
                            <h1>"Alert not found"</h1>
                            <p class="error" role="alert">"No alert has this number."</p>
                        }
                            .into_any()
                    }
                    Err(e) => {
                        view! {
                            <h1>"Alert"</h1>
                            <p class="error" role="alert">{format!("Could not load the alert: {e}")}</p>
                        }
                            .into_any()
                    }
                }
            })}
        </Transition>
    }
}

#[component]
fn AlertView(
    detail: AlertDetail,
    can_triage: bool,
    triage: ServerAction<TriageAlert>,
    comment: ServerAction<CommentAlert>,
) -> impl IntoView {
    let a = detail.alert;
    let rule_line = match (&detail.rule, &a.rule_name) {
        (Some(rule), _) => format!(
            "{} ({} rule, severity {})",
            rule.name, rule.kind, rule.severity
        ),
        (None, Some(name)) => format!("{name} (no longer readable)"),
        (None, None) => "a deleted rule".to_string(),
    };
    let condition = detail
        .rule
        .as_ref()
        .and_then(|r| condition_of(&r.definition));
    let tags = if a.tags.is_empty() {
        "none".to_string()
    } else {
        a.tags.join(", ")
    };
    let group_fields: Vec<(String, String)> = a
        .group_fields
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| {
                    let shown = match v {
                        serde_json::Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    (k.clone(), shown)
                })
                .collect()
        })
        .unwrap_or_default();
    let assignee = a.assignee.clone().unwrap_or_else(|| "nobody".into());
    // Each part is type-erased: one nested view type for the whole page overflows the
    // compiler's query depth when components are not erased (plain `cargo build`).
    let why = view! {
        <section class="detail-section" aria-labelledby="why-heading">
            <h2 id="why-heading">"Why it fired"</h2>
            <table class="data-table detail-table" aria-label="Why it fired">
                <tbody>
                    <tr><th scope="row">"Rule"</th><td>{rule_line}</td></tr>
                    {condition.map(|(label, text)| view! {
                        <tr><th scope="row">{label}</th><td><code class="rule-query">{text}</code></td></tr>
                    })}
                    <tr><th scope="row">"Group key"</th><td class="message">{a.group_key.clone()}</td></tr>
                    {group_fields
                        .into_iter()
                        .map(|(k, v)| view! { <tr><th scope="row">{k}</th><td class="message">{v}</td></tr> })
                        .collect_view()}
                    <tr><th scope="row">"Events"</th><td>{a.event_count.to_string()}</td></tr>
                    <tr><th scope="row">"First seen (UTC)"</th><td>{time::utc_second(&a.first_seen)}</td></tr>
                    <tr><th scope="row">"Last seen (UTC)"</th><td>{time::utc_second(&a.last_seen)}</td></tr>
                    {a.summary.clone().map(|s| view! { <tr><th scope="row">"Summary"</th><td class="message">{s}</td></tr> })}
                    <tr><th scope="row">"ATT&CK"</th><td>{tags}</td></tr>
                </tbody>
            </table>
        </section>
    }
    .into_any();
    let evidence = view! { <Evidence alert=a.clone() events=detail.evidence /> }.into_any();
    let assignees = detail.assignees;
    let side = view! {
        {can_triage.then(|| view! { <TriagePanel alert=a.clone() triage comment assignees /> }.into_any())}
        <Timeline history=detail.history />
        <Comments comments=detail.comments />
    }
    .into_any();
    let head = view! {
        <Title text=format!("Alert {}", a.id) />
        <header class="alert-head">
            <h1>{a.title.clone()}</h1>
            <p class="alert-meta">
                <SeverityBadge severity=a.severity.clone() />
                <StatusBadge status=a.status.clone() />
                <span>{format!("Alert {} · assigned to {assignee}", a.id)}</span>
            </p>
        </header>
    }
    .into_any();
    view! {
        {head}
        <div class="alert-layout">
            <div class="alert-main">{why}{evidence}</div>
            <aside class="alert-side">{side}</aside>
        </div>
    }
}

/// The rule's condition in words: its query (or first/then queries), if it has one.
fn condition_of(definition: &serde_json::Value) -> Option<(&'static str, String)> {
    let text = |k: &str| {
        definition
            .get(k)
            .and_then(|v| v.as_str())
            .map(str::to_string)
    };
    if let Some(q) = text("query") {
        return Some(("Query", q));
    }
    match (text("first"), text("then")) {
        (Some(first), Some(then)) => Some(("Sequence", format!("{first}  →  {then}"))),
        _ => None,
    }
}
