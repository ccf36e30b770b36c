//! Server functions for the rule pages. Writes take form fields and answer a notice, so they
//! work as plain form posts (see [`super::forms::reply`]).

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::rules::RuleRow;

/// Every rule with its alert counts and when it last fired.
#[server(prefix = "/api/fn", endpoint = "rules_list")]
pub async fn list_rule_rows() -> Result<Vec<RuleRow>, AppError> {
    use crate::model::rules::RuleQuery;
    let user = super::current_user()?;
    let service = super::service()?;
    let rules = super::respond(service.list_rules(&user, RuleQuery::default()).await)?;
    let counts = service
        .alert_counts_by_rule(&user)
        .await
        .unwrap_or_default();
    Ok(rules
        .into_iter()
        .map(|rule| {
            let c = counts.iter().find(|c| c.rule_id == rule.id);
            RuleRow {
                alerts: c.map_or(0, |c| c.alerts),
                unresolved: c.map_or(0, |c| c.unresolved),
                last_fired: c.and_then(|c| c.last_fired),
                rule,
            }
        })
        .collect())
}

/// Enables (`enabled` is `true`) or disables (`false`) a rule; `rules.write`.
#[server(prefix = "/api/fn", endpoint = "rule_enable")]
pub async fn set_rule_enabled(id: i32, enabled: String) -> Result<String, AppError> {
    use crate::model::rules::RuleUpdate;
    let result = async {
        let user = super::current_user()?;
        let enabled = match enabled.as_str() {
            "true" => true,
            "false" => false,
            other => {
                return Err(AppError::Invalid(format!(
                    "enabled: `{other}` is not true or false"
                )));
            }
        };
        let update = RuleUpdate {
            enabled: Some(enabled),
            ..Default::default()
        };
        let rule = super::service()?.update_rule(&user, id, update).await?;
        Ok(format!(
            "Rule {} {}.",
            rule.name,
            if rule.enabled { "enabled" } else { "disabled" }
        ))
    }
    .await;
    super::forms::reply(result)
}
