//! The rules pages: every detection rule with its kind, severity, ATT&CK tags, alert counts
//! and when it last fired, enabled and disabled with plain form posts; and the editor for new
//! and saved rules, with a backtest preview before saving.

mod draft_url;
mod edit;
mod editor;
mod import;
mod preview;
mod rule_table;

pub use edit::RuleEditPage;
pub use editor::RuleEditorPage;
pub use import::RuleImportPage;

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::resource;
use crate::api::rules::{SetRuleEnabled, list_rule_rows};
use crate::components::{EmptyState, write_action};
use crate::layouts::CurrentUserResource;
use crate::model::auth::Permission;

use rule_table::RuleTable;

#[component]
pub fn RulesPage() -> impl IntoView {
    let version = RwSignal::new(0u32);
    let rows = resource(move || version.get(), |_| list_rule_rows());
    let toggle = write_action::<SetRuleEnabled>(move || version.update(|v| *v += 1));
    let me = expect_context::<CurrentUserResource>().0;
    view! {
        <Title text="Rules" />
        <h1>"Rules"</h1>
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let can_write = me.await.is_ok_and(|u| u.can(Permission::RulesWrite));
                let new_rule = can_write.then(|| view! {
                    <p class="page-actions">
                        <a class="button-link" href="/rules/new">"New rule"</a>
                        " "
                        <a class="button-link" href="/rules/import">"Import Sigma rules"</a>
                    </p>
                });
                let list = match rows.await {
                    Ok(rows) if rows.is_empty() => {
                        view! {
                            <EmptyState title="No detection rules" hint="Detection rules decide which events raise alerts." />
                        }
                            .into_any()
                    }
                    Ok(rows) => view! { <RuleTable rows can_write toggle /> }.into_any(),
                    Err(e) => {
                        view! { <p class="error" role="alert">{format!("Could not read the rules: {e}")}</p> }
                            .into_any()
                    }
                };
                view! { {new_rule} {list} }
            })}
        </Transition>
    }
}
