//! Admin › Users: create users, assign roles, disable or enable, reset passwords. Every change
//! is a form that posts without JavaScript.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::resource;

use super::RequirePermission;
use crate::api::admin::{
    AdminCreateUser, AdminResetPassword, AdminUpdateUser, admin_list_roles, admin_list_users,
};
use crate::components::{PostForm, time, write_action};
use crate::model::accounts::UserSummary;
use crate::model::auth::Permission;

#[component]
pub fn AdminUsersPage() -> impl IntoView {
    view! {
        <Title text="Users" />
        <RequirePermission permission=Permission::UsersManage>
            <UsersAdmin />
        </RequirePermission>
    }
}

#[component]
fn UsersAdmin() -> impl IntoView {
    let version = RwSignal::new(0u32);
    let users = resource(move || version.get(), |_| admin_list_users());
    let roles = resource(|| (), |_| admin_list_roles());
    let refresh = move || version.update(|v| *v += 1);
    let create = write_action::<AdminCreateUser>(refresh);
    let update = write_action::<AdminUpdateUser>(refresh);
    let reset = write_action::<AdminResetPassword>(refresh);

    view! {
        <h1>"Users"</h1>
        <PostForm action=create label="New user" class="inline-form">
            <label>
                "Username"
                <input name="username" required />
            </label>
            <label>
                "Display name"
                <input name="display_name" />
            </label>
            <label>
                "Role"
                <select name="role">
                    <Suspense>
                        {move || Suspend::new(async move {
                            roles
                                .await
                                .unwrap_or_default()
                                .into_iter()
                                .map(|r| {
                                    let selected = r.name == "viewer";
                                    view! { <option value=r.name.clone() selected=selected>{r.name.clone()}</option> }
                                })
                                .collect_view()
                        })}
                    </Suspense>
                </select>
            </label>
            <button type="submit" class="primary">"Create user"</button>
        </PostForm>
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let role_names: Vec<String> = roles
                    .await
                    .unwrap_or_default()
                    .into_iter()
                    .map(|r| r.name)
                    .collect();
                match users.await {
                    Ok(list) => view! { <UserTable list role_names update reset /> }.into_any(),
                    Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn UserTable(
    list: Vec<UserSummary>,
    role_names: Vec<String>,
    update: ServerAction<AdminUpdateUser>,
    reset: ServerAction<AdminResetPassword>,
) -> impl IntoView {
    view! {
        <table class="data-table" aria-label="Users">
            <thead>
                <tr>
                    <th>"Username"</th>
                    <th>"Name"</th>
                    <th>"Roles"</th>
                    <th>"Status"</th>
                    <th>"Last sign-in"</th>
                    <th>"Actions"</th>
                </tr>
            </thead>
            <tbody>
                {list
                    .into_iter()
                    .map(|u| {
                        let id = u.id;
                        let disabled = u.disabled;
                        let current = u.roles.first().cloned().unwrap_or_default();
                        let options = role_names
                            .iter()
                            .map(|n| {
                                let selected = *n == current;
                                view! { <option value=n.clone() selected=selected>{n.clone()}</option> }
                            })
                            .collect_view();
                        let role_label = format!("Role of {}", u.username);
                        let set_role = format!("Set the role of {}", u.username);
                        let toggle = format!("Enable or disable {}", u.username);
                        let reset_label = format!("Reset the password of {}", u.username);
                        view! {
                            <tr>
                                <td>{u.username.clone()}</td>
                                <td>{u.display_name.clone().unwrap_or_default()}</td>
                                <td>{u.roles.join(", ")}</td>
                                <td>{if disabled { "disabled" } else { "active" }}</td>
                                <td>
                                    {u
                                        .last_login_at
                                        .map(|t| format!("{} UTC", time::utc_minute(&t)))
                                        .unwrap_or_else(|| "never".into())}
                                </td>
                                <td class="actions">
                                    <PostForm action=update label=set_role class="row-form">
                                        <input type="hidden" name="id" value=id />
                                        <select name="role" aria-label=role_label>{options}</select>
                                        <button type="submit">"Set role"</button>
                                    </PostForm>
                                    <PostForm action=update label=toggle class="row-form">
                                        <input type="hidden" name="id" value=id />
                                        <input type="hidden" name="disabled" value=if disabled { "false" } else { "true" } />
                                        <button type="submit">{if disabled { "Enable" } else { "Disable" }}</button>
                                    </PostForm>
                                    <PostForm action=reset label=reset_label class="row-form">
                                        <input type="hidden" name="id" value=id />
                                        <button type="submit">"Reset password"</button>
                                    </PostForm>
                                </td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
}
