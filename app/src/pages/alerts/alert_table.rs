//! The queue: one row per alert, newest first. For a user who may triage, the table sits in
//! one form whose buttons change every ticked alert at once (a plain post without JavaScript).

use leptos::prelude::*;

use crate::api::alerts::BulkTriage;
use crate::components::{PostForm, SeverityBadge, StatusBadge, time};
use crate::model::alerts::{AlertView, Assignee};

/// The id of the title link of row `index`, which the keyboard shortcuts focus.
pub fn row_link_id(index: usize) -> String {
    format!("alert-link-{index}")
}

#[component]
pub fn AlertTable(
    alerts: Vec<AlertView>,
    can_triage: bool,
    bulk: ServerAction<BulkTriage>,
    selected: RwSignal<Option<usize>>,
    assignees: Vec<Assignee>,
) -> impl IntoView {
    let table = view! {
        <div class="table-scroll">
            <table class="data-table alerts-table" aria-label="Alerts">
                <thead>
                    <tr>
                        {can_triage.then(|| view! { <th scope="col"><span class="visually-hidden">"Select"</span></th> })}
                        <th scope="col">"Severity"</th>
                        <th scope="col">"Alert"</th>
                        <th scope="col">"Status"</th>
                        <th scope="col">"Rule"</th>
                        <th scope="col">"Assignee"</th>
                        <th scope="col">"Events"</th>
                        <th scope="col">"Last seen (UTC)"</th>
                    </tr>
                </thead>
                <tbody>
                    {alerts
                        .into_iter()
                        .enumerate()
                        .map(|(index, alert)| view! { <AlertRow index alert can_triage selected /> })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    };
    if !can_triage {
        return table.into_any();
    }
    view! {
        <PostForm action=bulk label="Bulk triage" class="bulk-form">
            <div class="bulk-bar" role="group" aria-label="Change the ticked alerts">
                <span class="bulk-hint">"Ticked alerts:"</span>
                <button type="submit" name="act" value="acknowledge">"Acknowledge"</button>
                <button type="submit" name="act" value="assign_me">"Assign to me"</button>
                <button type="submit" name="act" value="resolve">"Resolve"</button>
                <button type="submit" name="act" value="false_positive">"False positive"</button>
                {(!assignees.is_empty()).then(|| view! {
                    <span class="bulk-assign">
                        <label>
                            "Assignee"
                            <select name="assignee">
                                {assignees
                                    .into_iter()
                                    .map(|a| {
                                        let label = a.label();
                                        view! { <option value=a.id.to_string()>{label}</option> }
                                    })
                                    .collect_view()}
                                <option value="none">"nobody (unassign)"</option>
                            </select>
                        </label>
                        <button type="submit" name="act" value="assign">"Assign"</button>
                    </span>
                })}
            </div>
            {table}
        </PostForm>
    }
    .into_any()
}

#[component]
fn AlertRow(
    index: usize,
    alert: AlertView,
    can_triage: bool,
    selected: RwSignal<Option<usize>>,
) -> impl IntoView {
    let href = format!("/alerts/{}", alert.id);
    let tick = format!("Select alert {}", alert.id);
    let id = alert.id.to_string();
    let alert_id = alert.id;
    let stored = alert.status;
    let shown = use_context::<super::optimistic::Shown>();
    let status = move || match shown {
        Some(shown) => shown.status(alert_id, &stored),
        None => stored.clone(),
    };
    view! {
        <tr class:selected=move || selected.get() == Some(index)>
            {can_triage.then(|| view! {
                <td class="select"><input type="checkbox" name="ids[]" value=id aria-label=tick /></td>
            })}
            <td data-label="Severity"><SeverityBadge severity=alert.severity /></td>
            <td class="alert-title" data-label="Alert">
                <a id=row_link_id(index) href=href>{alert.title}</a>
                <span class="group-key">{alert.group_key}</span>
            </td>
            <td data-label="Status">{move || view! { <StatusBadge status=status() /> }}</td>
            <td data-label="Rule">{alert.rule_name.unwrap_or_else(|| "(deleted rule)".into())}</td>
            <td data-label="Assignee">{alert.assignee.unwrap_or_else(|| "—".into())}</td>
            <td class="num" data-label="Events">{alert.event_count.to_string()}</td>
            <td class="nowrap" data-label="Last seen">{time::utc_second(&alert.last_seen)}</td>
        </tr>
    }
}
