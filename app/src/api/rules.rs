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

/// Backtests a draft over its range, waiting for the result (up to a minute): the would-be
/// alerts, or what is wrong with the draft. `rules.write`.
#[server(prefix = "/api/fn", endpoint = "rule_preview", input = server_fn::codec::Json)]
pub async fn preview_rule(
    draft: crate::model::rules::RuleDraft,
) -> Result<crate::model::rules::RulePreview, AppError> {
    let user = super::current_user()?;
    let service = super::service()?;
    run_preview(&service, &user, &draft).await
}

/// A saved rule for the editor: its draft, or with `draft` (the editor's fields, as a
/// backtest asks for them) that draft and its backtest. Reading needs `rules.read`, the
/// backtest `rules.write`.
#[server(prefix = "/api/fn", endpoint = "rule_edit", input = server_fn::codec::Json)]
pub async fn edit_rule(
    id: i32,
    draft: Option<crate::model::rules::RuleDraft>,
) -> Result<crate::model::rules::RuleEdit, AppError> {
    use crate::model::rules::{RuleDraft, RuleEdit};
    let user = super::current_user()?;
    let service = super::service()?;
    let rule = super::respond(service.get_rule(&user, id).await)?;
    match draft {
        None => Ok(RuleEdit {
            draft: RuleDraft::from_rule(&rule),
            preview: None,
            rule,
        }),
        Some(mut draft) => {
            // The kind of a saved rule does not change; the id is the page's.
            draft.rule = id.to_string();
            draft.kind = rule.kind.clone();
            let preview = run_preview(&service, &user, &draft).await?;
            Ok(RuleEdit {
                rule,
                draft: Some(draft),
                preview: Some(preview),
            })
        }
    }
}

/// The rule a draft describes: a new one, or (when it names a saved rule) the saved rule's
/// definition with the editor's fields replaced. `Err(Ok(problem))` is what is wrong with the
/// draft, in words; `Err(Err(e))` an error of the service (reading the saved rule).
#[cfg(feature = "ssr")]
async fn draft_rule(
    service: &crate::service::SharedService,
    user: &crate::model::auth::CurrentUser,
    draft: &crate::model::rules::RuleDraft,
) -> Result<crate::model::rules::NewRule, Result<String, AppError>> {
    let id = draft.rule.trim();
    if id.is_empty() {
        return draft.to_new_rule().map_err(Ok);
    }
    let id: i32 = id
        .parse()
        .map_err(|_| Ok(format!("rule: {id:?} is not a rule id")))?;
    let saved = service.get_rule(user, id).await.map_err(Err)?;
    if saved.kind != draft.kind {
        return Err(Ok(format!(
            "kind: this is a {} rule; a rule's kind does not change (write a new rule instead)",
            saved.kind
        )));
    }
    draft.to_new_rule_over(&saved.definition).map_err(Ok)
}

/// Backtests a draft and waits for the answer (up to a minute).
#[cfg(feature = "ssr")]
async fn run_preview(
    service: &crate::service::SharedService,
    user: &crate::model::auth::CurrentUser,
    draft: &crate::model::rules::RuleDraft,
) -> Result<crate::model::rules::RulePreview, AppError> {
    use crate::model::backtest::RuleBacktest;
    use crate::model::rules::RulePreview;

    let problem = |p: String| {
        Ok(RulePreview {
            problem: Some(p),
            job: None,
        })
    };
    let rule = match draft_rule(service, user, draft).await {
        Ok(rule) => rule,
        Err(Ok(p)) => return problem(p),
        Err(Err(e)) => return super::respond(Err(e)),
    };
    let instant = |field: &str, v: &str| {
        chrono::DateTime::parse_from_rfc3339(v.trim())
            .map(|t| t.with_timezone(&chrono::Utc))
            .map_err(|_| format!("{field}: {:?} is not an RFC 3339 instant", v.trim()))
    };
    let now = chrono::Utc::now();
    let (from, to) = if !draft.from.trim().is_empty() || !draft.to.trim().is_empty() {
        match (instant("from", &draft.from), instant("to", &draft.to)) {
            (Ok(f), Ok(t)) => (f, t),
            (Err(p), _) | (_, Err(p)) => return problem(p),
        }
    } else {
        let days = match draft.range.as_str() {
            "24h" => 1,
            "" | "7d" => 7,
            "30d" => 30,
            "365d" => 365,
            other => return problem(format!("range: {other:?} is not one of 24h, 7d, 30d, 365d")),
        };
        (now - chrono::Duration::days(days), now)
    };
    let backtest = RuleBacktest {
        rule,
        from,
        to,
        hunt: false,
    };
    let mut job = match service.backtest_new_rule(user, backtest).await {
        Ok(job) => job,
        Err(AppError::Invalid(p) | AppError::BadRequest(p)) => return problem(p),
        Err(e) => return super::respond(Err(e)),
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while matches!(job.status.as_str(), "queued" | "running")
        && std::time::Instant::now() < deadline
    {
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        job = super::respond(service.get_backtest(user, &job.id).await)?;
    }
    Ok(RulePreview {
        problem: None,
        job: Some(job),
    })
}

/// Saves a draft over the saved rule it names (`draft[rule]`): name, description, severity,
/// tags and the definition's fields the editor shows; the rule stays enabled or disabled as
/// it was. Audited as `rule_update`; `rules.write`.
#[server(prefix = "/api/fn", endpoint = "rule_update")]
pub async fn update_rule_from_draft(
    draft: crate::model::rules::RuleDraft,
) -> Result<String, AppError> {
    use crate::model::rules::RuleUpdate;
    let result = async {
        let user = super::current_user()?;
        let service = super::service()?;
        if draft.rule.trim().is_empty() {
            return Err(AppError::Invalid(
                "rule: which rule to save is missing".into(),
            ));
        }
        let rule = match draft_rule(&service, &user, &draft).await {
            Ok(rule) => rule,
            Err(Ok(problem)) => return Err(AppError::Invalid(problem)),
            Err(Err(e)) => return Err(e),
        };
        let id: i32 = draft.rule.trim().parse().map_err(|_| AppError::NotFound)?;
        let update = RuleUpdate {
            name: Some(rule.name),
            description: Some(rule.description.unwrap_or_default()),
            severity: Some(rule.severity),
            definition: Some(rule.definition),
            tags: Some(rule.tags),
            ..Default::default()
        };
        let saved = service.update_rule(&user, id, update).await?;
        Ok(format!("Saved rule {}.", saved.name))
    }
    .await;
    super::forms::reply(result)
}

/// Saves a draft as a new rule (its fields posted as `draft[name]`, `draft[kind]`, …), enabled
/// when `enabled` is `on` (a ticked box); `rules.write`.
#[server(prefix = "/api/fn", endpoint = "rule_create")]
pub async fn create_rule_from_draft(
    draft: crate::model::rules::RuleDraft,
    #[server(default)] enabled: String,
) -> Result<String, AppError> {
    let result = async {
        let user = super::current_user()?;
        let mut rule = draft.to_new_rule().map_err(AppError::Invalid)?;
        rule.enabled = enabled == "on";
        let saved = super::service()?.create_rule(&user, rule).await?;
        Ok(format!(
            "Created rule {} ({}).",
            saved.name,
            if saved.enabled { "enabled" } else { "disabled" }
        ))
    }
    .await;
    super::forms::reply(result)
}

/// Imports the Sigma files of an upload (`multipart/form-data`, one file per part, as a
/// browser's file input sends them); the notice holds one line per file: what it imported and
/// what it refused, and why. Parts without a file name (other fields, an empty file input)
/// are skipped; files not named `.yml` or `.yaml`, or not UTF-8, are refused. `rules.write`.
#[server(
    prefix = "/api/fn",
    endpoint = "rules_import",
    input = server_fn::codec::MultipartFormData
)]
pub async fn import_sigma(data: server_fn::codec::MultipartData) -> Result<String, AppError> {
    use crate::model::rule_import::{FileResult, ImportFile, RefusedRule};

    let result = async {
        let user = super::current_user()?;
        let mut form = data
            .into_inner()
            .ok_or_else(|| AppError::BadRequest("no upload".into()))?;
        fn malformed(e: impl std::fmt::Display) -> AppError {
            AppError::BadRequest(format!("malformed upload: {e}"))
        }
        // Each part, in order: a file to import, or why it is not imported.
        let mut parts: Vec<Result<ImportFile, (String, String)>> = Vec::new();
        while let Some(field) = form.next_field().await.map_err(malformed)? {
            let Some(name) = field
                .file_name()
                .map(str::to_string)
                .filter(|n| !n.is_empty())
            else {
                continue;
            };
            let lower = name.to_ascii_lowercase();
            let yaml_name = lower.ends_with(".yml") || lower.ends_with(".yaml");
            let bytes = field.bytes().await.map_err(malformed)?;
            parts.push(if !yaml_name {
                Err((
                    name,
                    "not a Sigma file: the name does not end in .yml or .yaml".into(),
                ))
            } else {
                match String::from_utf8(bytes.to_vec()) {
                    Ok(yaml) => Ok(ImportFile {
                        name: Some(name),
                        yaml,
                    }),
                    Err(_) => Err((name, "the file is not UTF-8 text".into())),
                }
            });
        }
        if parts.is_empty() {
            return Err(AppError::Invalid(
                "choose one or more Sigma files first".into(),
            ));
        }
        let files: Vec<ImportFile> = parts
            .iter()
            .filter_map(|p| p.as_ref().ok().cloned())
            .collect();
        let mut imported = if files.is_empty() {
            Vec::new()
        } else {
            super::service()?.import_rules(&user, files).await?.files
        }
        .into_iter();
        let results: Vec<FileResult> = parts
            .into_iter()
            .map(|p| match p {
                Ok(_) => imported.next().expect("one result per file"),
                Err((file, reason)) => FileResult {
                    file: Some(file),
                    imported: vec![],
                    refused: vec![RefusedRule {
                        title: None,
                        reason,
                    }],
                    warnings: vec![],
                },
            })
            .collect();
        Ok(import_summary(&results))
    }
    .await;
    super::forms::reply(result)
}

/// One line per file: `name: imported A, B; refused C (reason); 1 warning`.
#[cfg(feature = "ssr")]
fn import_summary(results: &[crate::model::rule_import::FileResult]) -> String {
    let lines: Vec<String> = results
        .iter()
        .map(|r| {
            let mut said = Vec::new();
            if !r.imported.is_empty() {
                let names: Vec<&str> = r.imported.iter().map(|i| i.name.as_str()).collect();
                said.push(format!("imported {}", names.join(", ")));
            }
            for refused in &r.refused {
                said.push(match &refused.title {
                    Some(t) => format!("refused {t} ({})", refused.reason),
                    None => format!("refused ({})", refused.reason),
                });
            }
            if !r.warnings.is_empty() {
                said.push(format!(
                    "{} warning{}",
                    r.warnings.len(),
                    if r.warnings.len() == 1 { "" } else { "s" }
                ));
            }
            if said.is_empty() {
                said.push("nothing to import".into());
            }
            format!(
                "{}: {}",
                r.file.as_deref().unwrap_or("(unnamed)"),
                said.join("; ")
            )
        })
        .collect();
    lines.join("\n")
}
