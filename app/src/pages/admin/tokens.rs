//! Admin › API tokens: create (the secret is shown once), list, revoke; plain form posts.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::resource;

use super::RequirePermission;
use crate::api::admin::{AdminCreateToken, AdminRevokeToken, admin_list_tokens};
use crate::components::{PostForm, time, write_action};
use crate::model::accounts::ApiTokenView;
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
    let refresh = move || version.update(|v| *v += 1);
    let create = write_action::<AdminCreateToken>(refresh);
    let revoke = write_action::<AdminRevokeToken>(refresh);

    view! {
        <h1>"API tokens"</h1>
        <PostForm action=create label="New API token" class="inline-form">
            <label>
                "Token name"
                <input name="name" required />
            </label>
            <label>
                "Expires after"
                <select name="expires">
                    <option value="30">"30 days"</option>
                    <option value="90" selected>"90 days"</option>
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
                                    name="permissions[]"
                                    value=p.as_str()
                                    checked=p == Permission::IngestWrite
                                />
                                {p.as_str()}
                            </label>
                        }
                    })
                    .collect_view()}
            </fieldset>
            <button type="submit" class="primary">"Create token"</button>
        </PostForm>
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
fn TokenTable(list: Vec<ApiTokenView>, revoke: ServerAction<AdminRevokeToken>) -> impl IntoView {
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
                        let revoke_label = format!("Revoke token {}", t.id);
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
                                        <PostForm action=revoke label=revoke_label class="row-form">
                                            <input type="hidden" name="id" value=id />
                                            <button type="submit">"Revoke"</button>
                                        </PostForm>
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
