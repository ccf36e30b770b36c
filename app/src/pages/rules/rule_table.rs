//! The rules table: one row per rule, with an enable/disable form and a link to the editor
//! for users who may write.

use leptos::prelude::*;

use crate::api::rules::SetRuleEnabled;
use crate::components::{PostForm, SeverityBadge, time};
use crate::model::rules::{EDITOR_KINDS, RuleRow};

#[component]
pub fn RuleTable(
    rows: Vec<RuleRow>,
    can_write: bool,
    toggle: ServerAction<SetRuleEnabled>,
) -> impl IntoView {
    view! {
        <div class="table-scroll">
            <table class="data-table rules-table" aria-label="Rules">
                <thead>
                    <tr>
                        <th scope="col">"Rule"</th>
                        <th scope="col">"Kind"</th>
                        <th scope="col">"Severity"</th>
                        <th scope="col">"ATT&CK"</th>
                        <th scope="col">"Alerts"</th>
                        <th scope="col">"Last fired (UTC)"</th>
                        <th scope="col">"State"</th>
                    </tr>
                </thead>
                <tbody>
                    {rows
                        .into_iter()
                        .map(|row| {
                            let r = row.rule;
                            let alerts_href = format!("/alerts?rule={}", r.id);
                            let id = r.id;
                            let enabled = r.enabled;
                            let label = format!("{} {}", if enabled { "Disable" } else { "Enable" }, r.name);
                            let button_label = label.clone();
                            let edit = (can_write && EDITOR_KINDS.contains(&r.kind.as_str())).then(|| {
                                let href = format!("/rules/{id}/edit");
                                let label = format!("Edit {}", r.name);
                                view! { <a class="edit-link" href=href aria-label=label>"Edit"</a> }
                            });
                            view! {
                                <tr class:disabled-rule=!enabled>
                                    <td data-label="Rule">
                                        <span class="rule-name">{r.name.clone()}</span>
                                        {r.description.clone().map(|d| view! { <span class="rule-description">{d}</span> })}
                                    </td>
                                    <td data-label="Kind">{r.kind.clone()}</td>
                                    <td data-label="Severity"><SeverityBadge severity=r.severity.clone() /></td>
                                    <td data-label="ATT&CK" class="tags">{r.tags.join(", ")}</td>
                                    <td class="nowrap" data-label="Alerts">
                                        {if row.alerts == 0 {
                                            "0".to_string().into_any()
                                        } else {
                                            view! {
                                                <a href=alerts_href>{format!("{} ({} unresolved)", row.alerts, row.unresolved)}</a>
                                            }
                                                .into_any()
                                        }}
                                    </td>
                                    <td class="nowrap" data-label="Last fired">
                                        {row.last_fired.map(|t| time::utc_minute(&t)).unwrap_or_else(|| "never".into())}
                                    </td>
                                    <td data-label="State">
                                        {if can_write {
                                            view! {
                                                <PostForm action=toggle label=label class="row-form">
                                                    <input type="hidden" name="id" value=id />
                                                    <input type="hidden" name="enabled" value=if enabled { "false" } else { "true" } />
                                                    <span class="rule-state">{if enabled { "enabled" } else { "disabled" }}</span>
                                                    <button type="submit" aria-label=button_label>{if enabled { "Disable" } else { "Enable" }}</button>
                                                    {edit}
                                                </PostForm>
                                            }
                                                .into_any()
                                        } else {
                                            view! { <span class="rule-state">{if enabled { "enabled" } else { "disabled" }}</span> }.into_any()
                                        }}
                                    </td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
}
