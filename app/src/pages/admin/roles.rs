//! Admin › Roles: the permission matrix. Built-in roles are shown fixed; custom roles are
//! edited column by column, created and deleted here.

use std::collections::{BTreeMap, BTreeSet};

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::resource;

use super::{NeedsScript, Notice, RequirePermission};
use crate::api::admin::{
    admin_create_role, admin_delete_role, admin_list_roles, admin_update_role,
};
use crate::model::accounts::{NewRole, RoleUpdate, RoleView};
use crate::model::auth::Permission;

#[component]
pub fn AdminRolesPage() -> impl IntoView {
    view! {
        <Title text="Roles" />
        <RequirePermission permission=Permission::RolesManage>
            <RolesAdmin />
        </RequirePermission>
    }
}

#[component]
fn RolesAdmin() -> impl IntoView {
    let version = RwSignal::new(0u32);
    let roles = resource(move || version.get(), |_| admin_list_roles());
    let notice = RwSignal::new(None::<Result<String, String>>);
    let name = RwSignal::new(String::new());

    let create = Action::new(move |new: &NewRole| {
        let new = new.clone();
        async move { admin_create_role(new).await }
    });
    let save = Action::new(move |(id, perms): &(i32, Vec<Permission>)| {
        let (id, update) = (
            *id,
            RoleUpdate {
                description: None,
                permissions: Some(perms.clone()),
            },
        );
        async move { admin_update_role(id, update).await }
    });
    let delete = Action::new(move |id: &i32| {
        let id = *id;
        async move { admin_delete_role(id).await.map(|_| id) }
    });
    Effect::new(move |_| {
        if let Some(r) = create.value().get() {
            version.update(|v| *v += 1);
            name.set(String::new());
            notice.set(Some(
                r.map(|r| format!("Created role {}.", r.name))
                    .map_err(|e| e.to_string()),
            ));
        }
    });
    Effect::new(move |_| {
        if let Some(r) = save.value().get() {
            version.update(|v| *v += 1);
            notice.set(Some(
                r.map(|r| format!("Saved role {}; its holders sign in again.", r.name))
                    .map_err(|e| e.to_string()),
            ));
        }
    });
    Effect::new(move |_| {
        if let Some(r) = delete.value().get() {
            version.update(|v| *v += 1);
            notice.set(Some(
                r.map(|_| "Deleted the role.".to_string())
                    .map_err(|e| e.to_string()),
            ));
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        create.dispatch(NewRole {
            name: name.get_untracked(),
            description: None,
            permissions: vec![],
        });
    };

    view! {
        <h1>"Roles"</h1>
        <NeedsScript />
        <Notice notice />
        <form class="inline-form" on:submit=submit aria-label="New role">
            <label>
                "Role name"
                <input name="name" required bind:value=name />
            </label>
            <button type="submit" class="primary">"Create role"</button>
        </form>
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match roles.await {
                    Ok(list) => view! { <Matrix list save delete /> }.into_any(),
                    Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Matrix(
    list: Vec<RoleView>,
    save: Action<(i32, Vec<Permission>), Result<RoleView, crate::error::AppError>>,
    delete: Action<i32, Result<i32, crate::error::AppError>>,
) -> impl IntoView {
    // The edited grants, per role, starting from what is stored.
    let grants = RwSignal::new(
        list.iter()
            .map(|r| (r.id, r.permissions.iter().copied().collect::<BTreeSet<_>>()))
            .collect::<BTreeMap<_, _>>(),
    );
    let header = list.clone();
    let footer = list.clone();
    view! {
        <table class="data-table matrix" aria-label="Permissions by role">
            <thead>
                <tr>
                    <th>"Permission"</th>
                    {header
                        .iter()
                        .map(|r| {
                            view! {
                                <th scope="col">
                                    {r.name.clone()}
                                    <span class="meta">
                                        {format!(
                                            " ({} {}{})",
                                            r.users,
                                            if r.users == 1 { "user" } else { "users" },
                                            if r.builtin { ", built-in" } else { "" },
                                        )}
                                    </span>
                                </th>
                            }
                        })
                        .collect_view()}
                </tr>
            </thead>
            <tbody>
                {Permission::ALL
                    .into_iter()
                    .map(|p| {
                        let cells = list
                            .iter()
                            .map(|r| {
                                let id = r.id;
                                let label = format!("{} grants {}", r.name, p);
                                // The attribute serves the server-rendered page; the property
                                // follows edits once hydrated.
                                let initially = r.permissions.contains(&p);
                                view! {
                                    <td>
                                        <input
                                            type="checkbox"
                                            aria-label=label
                                            disabled=r.builtin
                                            checked=initially
                                            prop:checked=move || grants.with(|g| g.get(&id).is_some_and(|s| s.contains(&p)))
                                            on:change=move |_| {
                                                grants.update(|g| {
                                                    let set = g.entry(id).or_default();
                                                    if !set.remove(&p) {
                                                        set.insert(p);
                                                    }
                                                });
                                            }
                                        />
                                    </td>
                                }
                            })
                            .collect_view();
                        view! {
                            <tr>
                                <th scope="row"><code>{p.as_str()}</code></th>
                                {cells}
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
            <tfoot>
                <tr>
                    <td></td>
                    {footer
                        .into_iter()
                        .map(|r| {
                            let id = r.id;
                            let name = r.name.clone();
                            if r.builtin {
                                return view! { <td></td> }.into_any();
                            }
                            view! {
                                <td class="actions">
                                    <button type="button" aria-label=format!("Save {name}") on:click=move |_| {
                                        let perms = grants.with_untracked(|g| g.get(&id).cloned().unwrap_or_default());
                                        save.dispatch((id, perms.into_iter().collect()));
                                    }>"Save"</button>
                                    <button type="button" aria-label=format!("Delete {}", r.name) on:click=move |_| {
                                        delete.dispatch(id);
                                    }>"Delete"</button>
                                </td>
                            }
                                .into_any()
                        })
                        .collect_view()}
                </tr>
            </tfoot>
        </table>
    }
}
