//! Admin › Users: create users, assign roles, disable or enable, reset passwords.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::resource;

use super::{NeedsScript, Notice, RequirePermission};
use crate::api::admin::{
    admin_create_user, admin_list_roles, admin_list_users, admin_reset_password, admin_update_user,
};
use crate::components::time;
use crate::model::accounts::{NewUser, UserSummary, UserUpdate};
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
    let notice = RwSignal::new(None::<Result<String, String>>);

    let username = RwSignal::new(String::new());
    let display_name = RwSignal::new(String::new());
    let new_role = RwSignal::new("viewer".to_string());
    let create = Action::new(move |new: &NewUser| {
        let new = new.clone();
        async move { admin_create_user(new).await }
    });
    Effect::new(move |_| {
        if let Some(result) = create.value().get() {
            notice.set(Some(match result {
                Ok(created) => {
                    version.update(|v| *v += 1);
                    username.set(String::new());
                    display_name.set(String::new());
                    Ok(match created.generated_password {
                        Some(p) => format!(
                            "Created {}. Their password, shown only now: {p}",
                            created.user.username
                        ),
                        None => format!("Created {}.", created.user.username),
                    })
                }
                Err(e) => Err(e.to_string()),
            }));
        }
    });

    let update = Action::new(move |(id, u): &(i32, UserUpdate)| {
        let (id, u) = (*id, u.clone());
        async move { admin_update_user(id, u).await }
    });
    let reset = Action::new(move |id: &i32| {
        let id = *id;
        async move { admin_reset_password(id).await }
    });
    Effect::new(move |_| {
        if let Some(result) = update.value().get() {
            version.update(|v| *v += 1);
            notice.set(Some(
                result
                    .map(|u| format!("Saved {}.", u.username))
                    .map_err(|e| e.to_string()),
            ));
        }
    });
    Effect::new(move |_| {
        if let Some(result) = reset.value().get() {
            notice.set(Some(
                result
                    .map(|r| match r.generated_password {
                        Some(p) => format!("New password, shown only now: {p}"),
                        None => "Password changed.".to_string(),
                    })
                    .map_err(|e| e.to_string()),
            ));
        }
    });

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        create.dispatch(NewUser {
            username: username.get_untracked(),
            password: None,
            display_name: Some(display_name.get_untracked()),
            email: None,
            roles: vec![new_role.get_untracked()],
        });
    };

    view! {
        <h1>"Users"</h1>
        <NeedsScript />
        <Notice notice />
        <form class="inline-form" on:submit=submit aria-label="New user">
            <label>
                "Username"
                <input name="username" required bind:value=username />
            </label>
            <label>
                "Display name"
                <input name="display_name" bind:value=display_name />
            </label>
            <label>
                "Role"
                <select name="role" bind:value=new_role>
                    <Suspense>
                        {move || Suspend::new(async move {
                            roles
                                .await
                                .unwrap_or_default()
                                .into_iter()
                                .map(|r| view! { <option value=r.name.clone()>{r.name.clone()}</option> })
                                .collect_view()
                        })}
                    </Suspense>
                </select>
            </label>
            <button type="submit" class="primary">"Create user"</button>
        </form>
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
    update: Action<(i32, UserUpdate), Result<UserSummary, crate::error::AppError>>,
    reset: Action<i32, Result<crate::model::accounts::PasswordResetResult, crate::error::AppError>>,
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
                        let toggle = UserUpdate { disabled: Some(!disabled), ..Default::default() };
                        let chosen = RwSignal::new(u.roles.first().cloned().unwrap_or_default());
                        let options = role_names
                            .iter()
                            .map(|n| view! { <option value=n.clone()>{n.clone()}</option> })
                            .collect_view();
                        let role_label = format!("Role of {}", u.username);
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
                                    <select aria-label=role_label bind:value=chosen>{options}</select>
                                    <button type="button" on:click=move |_| {
                                        let roles = Some(vec![chosen.get_untracked()]);
                                        update.dispatch((id, UserUpdate { roles, ..Default::default() }));
                                    }>"Set role"</button>
                                    <button
                                        type="button"
                                        on:click=move |_| {
                                            update.dispatch((id, toggle.clone()));
                                        }
                                    >
                                        {if disabled { "Enable" } else { "Disable" }}
                                    </button>
                                    <button type="button" on:click=move |_| {
                                        reset.dispatch(id);
                                    }>"Reset password"</button>
                                </td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
}
