//! Admin › Roles: the permission matrix. Built-in roles are shown fixed; custom roles are
//! edited column by column (each column's boxes belong to the form under it), created and
//! deleted here, all with plain form posts.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::resource;

use super::RequirePermission;
use crate::api::admin::{AdminCreateRole, AdminDeleteRole, AdminUpdateRole, admin_list_roles};
use crate::components::{PostForm, write_action};
use crate::model::accounts::RoleView;
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
    let refresh = move || version.update(|v| *v += 1);
    let create = write_action::<AdminCreateRole>(refresh);
    let save = write_action::<AdminUpdateRole>(refresh);
    let delete = write_action::<AdminDeleteRole>(refresh);

    view! {
        <h1>"Roles"</h1>
        <PostForm action=create label="New role" class="inline-form">
            <label>
                "Role name"
                <input name="name" required />
            </label>
            <button type="submit" class="primary">"Create role"</button>
        </PostForm>
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

/// The id of the form that saves role `id`'s column.
fn form_id(id: i32) -> String {
    format!("role-form-{id}")
}

#[component]
fn Matrix(
    list: Vec<RoleView>,
    save: ServerAction<AdminUpdateRole>,
    delete: ServerAction<AdminDeleteRole>,
) -> impl IntoView {
    let header = list.clone();
    let footer = list.clone();
    view! {
        <div class="table-scroll">
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
                                    let label = format!("{} grants {}", r.name, p);
                                    view! {
                                        <td>
                                            <input
                                                type="checkbox"
                                                form=form_id(r.id)
                                                name="permissions[]"
                                                value=p.as_str()
                                                aria-label=label
                                                disabled=r.builtin
                                                checked=r.permissions.contains(&p)
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
                                if r.builtin {
                                    return view! { <td></td> }.into_any();
                                }
                                let id = r.id;
                                let save_label = format!("Save {}", r.name);
                                let delete_label = format!("Delete {}", r.name);
                                let (save_button, delete_button) = (save_label.clone(), delete_label.clone());
                                view! {
                                    <td class="actions">
                                        <PostForm action=save label=save_label id=form_id(id) class="row-form">
                                            <input type="hidden" name="id" value=id />
                                            <button type="submit" aria-label=save_button>"Save"</button>
                                        </PostForm>
                                        <PostForm action=delete label=delete_label class="row-form">
                                            <input type="hidden" name="id" value=id />
                                            <button type="submit" aria-label=delete_button>"Delete"</button>
                                        </PostForm>
                                    </td>
                                }
                                    .into_any()
                            })
                            .collect_view()}
                    </tr>
                </tfoot>
            </table>
        </div>
    }
}
