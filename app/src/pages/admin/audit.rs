//! Admin › Audit log: filter by who, what and how it ended; page back through history.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::resource;

use super::RequirePermission;
use crate::api::admin::admin_audit;
use crate::components::time;
use crate::model::accounts::AuditQuery;
use crate::model::auth::Permission;

#[component]
pub fn AdminAuditPage() -> impl IntoView {
    view! {
        <Title text="Audit log" />
        <RequirePermission permission=Permission::AuditRead>
            <AuditView />
        </RequirePermission>
    }
}

fn opt(s: String) -> Option<String> {
    Some(s.trim().to_string()).filter(|s| !s.is_empty())
}

#[component]
fn AuditView() -> impl IntoView {
    let actor = RwSignal::new(String::new());
    let action = RwSignal::new(String::new());
    let outcome = RwSignal::new(String::new());
    let query = RwSignal::new(AuditQuery {
        limit: Some(50),
        ..Default::default()
    });
    let page = resource(move || query.get(), admin_audit);
    let apply = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        query.set(AuditQuery {
            actor: opt(actor.get_untracked()),
            action: opt(action.get_untracked()),
            outcome: opt(outcome.get_untracked()),
            limit: Some(50),
            ..Default::default()
        });
    };
    view! {
        <h1>"Audit log"</h1>
        <form class="inline-form" on:submit=apply aria-label="Filter the audit log">
            <label>"Actor" <input name="actor" bind:value=actor /></label>
            <label>"Action" <input name="action" placeholder="e.g. login" bind:value=action /></label>
            <label>
                "Outcome"
                <select name="outcome" bind:value=outcome>
                    <option value="">"any"</option>
                    <option value="success">"success"</option>
                    <option value="failure">"failure"</option>
                </select>
            </label>
            <button type="submit" class="primary">"Filter"</button>
        </form>
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(page) => {
                        let next = page.next_cursor;
                        view! {
                            <table class="data-table" aria-label="Audit records">
                                <thead>
                                    <tr>
                                        <th>"Time"</th>
                                        <th>"Actor"</th>
                                        <th>"Address"</th>
                                        <th>"Action"</th>
                                        <th>"Target"</th>
                                        <th>"Outcome"</th>
                                    </tr>
                                </thead>
                                <tbody>
                                    {page
                                        .items
                                        .into_iter()
                                        .map(|r| {
                                            let class = format!("outcome-{}", r.outcome);
                                            view! {
                                            <tr class=class>
                                                <td>{time::utc_second(&r.timestamp)}</td>
                                                <td>{r.actor.unwrap_or_else(|| "-".into())}</td>
                                                <td>{r.source_ip.unwrap_or_else(|| "-".into())}</td>
                                                <td><code>{r.action}</code></td>
                                                <td>{r.target.unwrap_or_default()}</td>
                                                <td>{r.outcome}</td>
                                            </tr>
                                            }
                                        })
                                        .collect_view()}
                                </tbody>
                            </table>
                            {next.map(|cursor| view! {
                                <button type="button" on:click=move |_| query.update(|q| q.cursor = Some(cursor))>
                                    "Older"
                                </button>
                            })}
                        }
                            .into_any()
                    }
                    Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}
