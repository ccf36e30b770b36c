//! Sigma import: each uploaded file becomes `sigma` rules, one per detection or correlation rule,
//! evaluated on events from the next engine reload (about a second). Nothing is dropped
//! silently: every file answers what it imported, what it refused and why, and its warnings.
//! Each imported rule is created and audited like a rule written through the API.

use chrono::Utc;
use sea_orm::{ActiveModelTrait, Set};
use serde_json::json;

use app::error::AppError;
use app::model::auth::{CurrentUser, Permission};
use app::model::rule_import::RuleImportService;
pub use app::model::rule_import::{
    FileResult, ImportFile, ImportRequest, ImportResult, ImportedRule, RefusedRule,
};

use super::audit::{self, AuditEntry, Outcome};
use super::rules::{MAX_NAME, MAX_TAG, MAX_TAGS, MAX_TEXT};
use super::unique::OnUnique;
use super::{Service, internal};
use crate::detect::sigma::{self, RuleInfo};
use crate::detect::sigma_rule::SigmaDef;
use crate::detect::{Definition, RuleKind};
use crate::store::rule;

/// The most files one import takes.
pub const MAX_FILES: usize = 500;

/// Records one document's outcome in its file's result.
fn push(result: &mut FileResult, title: &str, outcome: Result<ImportedRule, String>) {
    match outcome {
        Ok(rule) => result.imported.push(rule),
        Err(reason) => result.refused.push(RefusedRule {
            title: Some(title.to_string()),
            reason,
        }),
    }
}

#[async_trait::async_trait]
impl RuleImportService for Service {
    async fn import_rules(
        &self,
        user: &CurrentUser,
        files: Vec<ImportFile>,
    ) -> Result<ImportResult, AppError> {
        self.authorize(user, Permission::RulesWrite).await?;
        if files.is_empty() || files.len() > MAX_FILES {
            return Err(AppError::Invalid(format!(
                "files: between 1 and {MAX_FILES} per import"
            )));
        }
        let mut out = Vec::with_capacity(files.len());
        for file in files {
            out.push(self.import_file(user, file).await?);
        }
        Ok(ImportResult { files: out })
    }
}

impl Service {
    async fn import_file(
        &self,
        user: &CurrentUser,
        file: ImportFile,
    ) -> Result<FileResult, AppError> {
        let mut result = FileResult {
            file: file.name.clone(),
            imported: Vec::new(),
            refused: Vec::new(),
            warnings: Vec::new(),
        };
        if file.yaml.len() as u64 > sigma::MAX_FILE_BYTES {
            result.refused.push(RefusedRule {
                title: None,
                reason: format!(
                    "file is {} bytes, over the {} byte limit",
                    file.yaml.len(),
                    sigma::MAX_FILE_BYTES
                ),
            });
            return Ok(result);
        }
        let import = sigma::import_yaml(&file.yaml);
        result.warnings = import.warnings.clone();
        result
            .refused
            .extend(import.refused.iter().map(|r| RefusedRule {
                title: r.title.clone(),
                reason: r.reason.clone(),
            }));
        // Which correlations Vigil evaluates; a base rule that only they reference, none of
        // them with Sigma `generate: true`, raises no alerts of its own: stored disabled.
        let evaluated: Vec<bool> = (0..import.correlations.len())
            .map(|index| {
                SigmaDef {
                    yaml: file.yaml.clone(),
                    index: 0,
                    title: None,
                    correlation: Some(index),
                }
                .compile_correlation()
                .is_ok()
            })
            .collect();
        for (index, parsed) in import.rules.iter().enumerate() {
            let def = SigmaDef {
                yaml: file.yaml.clone(),
                index,
                title: None,
                correlation: None,
            };
            let feeds: Vec<(usize, &sigma::CorrelationSpec)> = import
                .correlations
                .iter()
                .enumerate()
                .filter(|(_, c)| c.rules.iter().any(|r| parsed.info.answers_to(r)))
                .collect();
            let silent =
                !feeds.is_empty() && feeds.iter().all(|(i, c)| evaluated[*i] && !c.generate);
            let note = silent.then(|| {
                let names: Vec<&str> = feeds.iter().map(|(_, c)| c.info.title.as_str()).collect();
                format!(
                    "{}: stored disabled: a base rule of {} (Sigma generate: false); enable it for alerts of its own",
                    parsed.info.title,
                    names.join(", ")
                )
            });
            let outcome = self
                .create_sigma_rule(user, &file, def, &parsed.info, note.as_deref())
                .await?;
            if let (Some(note), true) = (note, outcome.is_ok()) {
                result.warnings.push(note);
            }
            push(&mut result, &parsed.info.title, outcome);
        }
        for (index, c) in import.correlations.iter().enumerate() {
            let def = SigmaDef {
                yaml: file.yaml.clone(),
                index: 0,
                title: None,
                correlation: Some(index),
            };
            // Enabled when Vigil evaluates it (over base rules of the same file); otherwise
            // stored disabled with the reason.
            let note = def.compile_correlation().err().map(|e| {
                format!(
                    "{}: stored disabled: {} correlation not evaluated: {}",
                    c.info.title,
                    c.kind.as_str(),
                    e.message
                )
            });
            let outcome = self
                .create_sigma_rule(user, &file, def, &c.info, note.as_deref())
                .await?;
            if let (Some(note), true) = (note, outcome.is_ok()) {
                result.warnings.push(note);
            }
            push(&mut result, &c.info.title, outcome);
        }
        Ok(result)
    }

    /// Stores one rule, enabled unless `disabled_because` says why not; `Ok(Err(reason))`
    /// when it is refused (a name taken, a bad title).
    async fn create_sigma_rule(
        &self,
        user: &CurrentUser,
        file: &ImportFile,
        def: SigmaDef,
        info: &RuleInfo,
        disabled_because: Option<&str>,
    ) -> Result<Result<ImportedRule, String>, AppError> {
        let name = info.title.trim().to_string();
        if name.is_empty() || name.chars().count() > MAX_NAME {
            return Ok(Err(format!("title: between 1 and {MAX_NAME} characters")));
        }
        let def = Definition::Sigma(def);
        let description = match (disabled_because, info.description.as_deref()) {
            (Some(why), Some(d)) => Some(format!("{why}\n\n{d}")),
            (Some(why), None) => Some(why.to_string()),
            (None, d) => d.map(str::to_string),
        };
        let tags: Vec<&String> = info
            .attack
            .iter()
            .filter(|t| !t.is_empty() && t.chars().count() <= MAX_TAG)
            .take(MAX_TAGS)
            .collect();
        let cap = |t: &str| audit::cap(t, MAX_TEXT);
        let false_positives =
            (!info.falsepositives.is_empty()).then(|| cap(&info.falsepositives.join("\n")));
        let now = Utc::now();
        let mut txn = self.begin_audited().await.map_err(internal)?;
        let created = rule::ActiveModel {
            name: Set(name.clone()),
            description: Set(description.as_deref().map(cap)),
            kind: Set(RuleKind::Sigma.as_str().into()),
            severity: Set(info.severity.as_str().into()),
            definition: Set(def.to_json()),
            enabled: Set(disabled_because.is_none()),
            created_by: Set(Some(user.id)),
            created_at: Set(now),
            updated_at: Set(now),
            builtin_key: Set(None),
            tags: Set(Some(json!(tags))),
            false_positives: Set(false_positives),
            suppress_secs: Set(None),
            ..Default::default()
        }
        .insert(&txn)
        .await
        .on_unique(|| AppError::Conflict(format!("a rule named `{name}` exists")));
        let created = match created {
            Ok(c) => c,
            Err(AppError::Conflict(reason)) => return Ok(Err(reason)),
            Err(e) => return Err(e),
        };
        let entry = AuditEntry::by(user, "rule_create", Outcome::Success)
            .target(created.name.clone())
            .details(json!({
                "id": created.id,
                "kind": created.kind,
                "import": file.name,
                "sigma_id": info.sigma_id,
            }));
        txn.record(entry);
        txn.commit().await.map_err(internal)?;
        Ok(Ok(ImportedRule {
            id: created.id,
            name: created.name,
            enabled: created.enabled,
        }))
    }
}
