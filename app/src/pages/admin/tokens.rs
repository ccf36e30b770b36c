//! Admin › API tokens: create (the secret is shown once), list, revoke.

use std::collections::BTreeSet;

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::resource;

use super::{NeedsScript, Notice, RequirePermission};
use crate::api::admin::{admin_create_token, admin_list_tokens, admin_revoke_token};
use crate::components::time;
use crate::model::accounts::{ApiTokenView, NewApiToken};
use crate::model::auth::Permission;

#[component]
pub fn AdminTokensPage() -> impl IntoView {
    view! {
        <Title text="API tokens" />
        <RequirePermission permission=Permission::TokensManage>
            <TokensAdmin />
        </RequirePermission>
    }
}

fn when(t: Option<chrono::DateTime<chrono::Utc>>, none: &str) -> String {
    t.map(|t| format!("{} UTC", time::utc_minute(&t)))
        .unwrap_or_else(|| none.to_string())
}

#[component]
fn TokensAdmin() -> impl IntoView {
    let version = RwSignal::new(0u32);
    let tokens = resource(move || version.get(), |_| admin_list_tokens());
    let notice = RwSignal::new(None::<Result<String, String>>);
    let name = RwSignal::new(String::new());
    let chosen = RwSignal::new(BTreeSet::from([Permission::IngestWrite]));
    let days = RwSignal::new(String::from("90"));

    let create = Action::new(move |new: &NewApiToken| {
        let new = new.clone();
        async move { admin_create_token(new).await }
    });
    let revoke = Action::new(move |id: &i32| {
        let id = *id;
        async move { admin_revoke_token(id).await }
    });
    Effect::new(move |_| {
        if let Some(r) = create.value().get() {
            version.update(|v| *v += 1);
            notice.set(Some(
                r.map(|c| {
                    format!(
                        "Token {} created. Copy it now, it is not shown again: {}",
                        c.token.name, c.secret
                    )
                })
                .map_err(|e| e.to_string()),
            ));
        }
    });
    Effect::new(move |_| {
        if let Some(r) = revoke.value().get() {
            version.update(|v| *v += 1);
            notice.set(Some(
                r.map(|t| format!("Revoked {}.", t.name))
                    .map_err(|e| e.to_string()),
            ));
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        create.dispatch(NewApiToken {
            name: name.get_untracked(),
            permissions: chosen.get_untracked().into_iter().collect(),
            expires_in_days: days.get_untracked().parse().ok(),
        });
    };

    view! {
        <h1>"API tokens"</h1>
        <NeedsScript />
        <Notice notice />
        <form class="inline-form" on:submit=submit aria-label="New API token">
            <label>
                "Token name"
                <input name="name" required bind:value=name />
            </label>
            <label>
                "Expires after"
                <select name="expires" bind:value=days>
                    <option value="30">"30 days"</option>
                    <option value="90">"90 days"</option>
                    <option value="365">"1 year"</option>
                    <option value="never">"never"</option>
                </select>
            </label>
            <fieldset class="permissions">
                <legend>"Permissions"</legend>
                {Permission::ALL
                    .into_iter()
                    .map(|p| {
                        view! {
                            <label class="check">
                                <input
                                    type="checkbox"
                                    checked=p == Permission::IngestWrite
                                    prop:checked=move || chosen.with(|c| c.contains(&p))
                                    on:change=move |_| chosen.update(|c| if !c.remove(&p) { c.insert(p); })
                                />
                                {p.as_str()}
                            </label>
                        }
                    })
                    .collect_view()}
            </fieldset>
            <button type="submit" class="primary">"Create token"</button>
        </form>
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match tokens.await {
                    Ok(list) => view! { <TokenTable list revoke /> }.into_any(),
                    Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn TokenTable(
    list: Vec<ApiTokenView>,
    revoke: Action<i32, Result<ApiTokenView, crate::error::AppError>>,
) -> impl IntoView {
    view! {
        <table class="data-table" aria-label="API tokens">
            <thead>
                <tr>
                    <th>"Name"</th>
                    <th>"Prefix"</th>
                    <th>"Permissions"</th>
                    <th>"Created by"</th>
                    <th>"Expires"</th>
                    <th>"Last used"</th>
                    <th>"Status"</th>
                    <th></th>
                </tr>
            </thead>
            <tbody>
                {list
                    .into_iter()
                    .map(|t| {
                        let id = t.id;
                        let revoked = t.revoked_at.is_some();
                        view! {
                            <tr>
                                <td>{t.name.clone()}</td>
                                <td><code>{t.prefix.clone()}</code></td>
                                <td>{t.permissions.iter().map(|p| p.as_str()).collect::<Vec<_>>().join(", ")}</td>
                                <td>{t.created_by.clone().unwrap_or_default()}</td>
                                <td>{when(t.expires_at, "never")}</td>
                                <td>{when(t.last_used_at, "never")}</td>
                                <td>{if revoked { "revoked" } else { "active" }}</td>
                                <td class="actions">
                                    {(!revoked).then(|| view! {
                                        <button type="button" on:click=move |_| { revoke.dispatch(id); }>"Revoke"</button>
                                    })}
                                </td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
}
