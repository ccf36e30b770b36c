//! Detection rules: list, read, create, change, enable or disable, delete. Every change is
//! audited; a definition is checked before it is stored, and a bad one is refused naming the
//! field and the problem (a query's error position, a window out of range).

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, Set,
};
use serde_json::json;

use app::error::AppError;
use app::model::auth::{CurrentUser, Permission};
use app::model::rules::{NewRule, RuleQuery, RuleUpdate, RuleView, RulesService};

use super::audit::{AuditEntry, Outcome};
use super::unique::OnUnique;
use super::{Service, internal, rule_channels};
use crate::detect::{Definition, RuleKind};
use crate::store::{detector_state, rule};

pub const SEVERITIES: [&str; 4] = ["low", "medium", "high", "critical"];
pub(super) const MAX_NAME: usize = 255;
pub(super) const MAX_TAGS: usize = 32;
pub(super) const MAX_TAG: usize = 64;
pub(super) const MAX_TEXT: usize = 10_000;

impl From<rule::Model> for RuleView {
    fn from(m: rule::Model) -> Self {
        Self {
            id: m.id,
            name: m.name,
            description: m.description,
            kind: m.kind,
            severity: m.severity,
            definition: m.definition,
            enabled: m.enabled,
            tags: tags_of(m.tags.as_ref()),
            false_positives: m.false_positives,
            suppress_secs: m.suppress_secs,
            builtin_key: m.builtin_key,
            channels: Vec::new(),
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

/// Tags stored as a JSON list of strings.
pub(crate) fn tags_of(v: Option<&serde_json::Value>) -> Vec<String> {
    v.and_then(|v| v.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|t| t.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn check_name(name: &str) -> Result<String, AppError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME {
        return Err(AppError::Invalid(format!(
            "name: between 1 and {MAX_NAME} characters"
        )));
    }
    Ok(name.to_string())
}

fn check_severity(s: &str) -> Result<(), AppError> {
    if SEVERITIES.contains(&s) {
        Ok(())
    } else {
        Err(AppError::Invalid(format!(
            "severity: `{s}` is not one of {}",
            SEVERITIES.join(", ")
        )))
    }
}

fn check_tags(tags: &[String]) -> Result<serde_json::Value, AppError> {
    if tags.len() > MAX_TAGS
        || tags
            .iter()
            .any(|t| t.is_empty() || t.chars().count() > MAX_TAG)
    {
        return Err(AppError::Invalid(format!(
            "tags: at most {MAX_TAGS}, each 1 to {MAX_TAG} characters"
        )));
    }
    Ok(json!(tags))
}

fn check_text(field: &str, text: Option<&String>) -> Result<(), AppError> {
    if text.is_some_and(|t| t.chars().count() > MAX_TEXT) {
        return Err(AppError::Invalid(format!(
            "{field}: at most {MAX_TEXT} characters"
        )));
    }
    Ok(())
}

fn check_suppress(secs: i64) -> Result<(), AppError> {
    use crate::detect::definition::{MAX_WINDOW_SECS, MIN_WINDOW_SECS};
    if (MIN_WINDOW_SECS..=MAX_WINDOW_SECS).contains(&secs) {
        Ok(())
    } else {
        Err(AppError::Invalid(format!(
            "suppress_secs: {secs} is out of range: between {MIN_WINDOW_SECS} and {MAX_WINDOW_SECS} seconds"
        )))
    }
}

fn definition(kind: RuleKind, value: &serde_json::Value) -> Result<Definition, AppError> {
    Definition::parse(kind, value).map_err(|e| AppError::Invalid(e.to_string()))
}

/// A new rule checked as `POST /api/v1/rules` checks it, not saved (its id is 0).
pub(super) fn checked_new_rule(new: NewRule, created_by: i32) -> Result<rule::Model, AppError> {
    let name = check_name(&new.name)?;
    let kind: RuleKind = new.kind.parse().map_err(|_| {
        AppError::Invalid(format!(
            "kind: `{}` is not one of {}",
            new.kind,
            RuleKind::names()
        ))
    })?;
    check_severity(&new.severity)?;
    let def = definition(kind, &new.definition)?;
    let tags = check_tags(&new.tags)?;
    check_text("description", new.description.as_ref())?;
    check_text("false_positives", new.false_positives.as_ref())?;
    if let Some(secs) = new.suppress_secs {
        check_suppress(secs)?;
    }
    let now = Utc::now();
    Ok(rule::Model {
        id: 0,
        name,
        description: new.description,
        kind: kind.as_str().into(),
        severity: new.severity,
        definition: def.to_json(),
        enabled: new.enabled,
        created_by: Some(created_by),
        created_at: now,
        updated_at: now,
        builtin_key: None,
        tags: Some(tags),
        false_positives: new.false_positives,
        suppress_secs: new.suppress_secs,
    })
}

pub(super) async fn find_rule(
    db: &sea_orm::DatabaseConnection,
    id: i32,
) -> Result<rule::Model, AppError> {
    rule::Entity::find_by_id(id)
        .one(db)
        .await
        .map_err(internal)?
        .ok_or(AppError::NotFound)
}

/// The rule as the API shows it, with its notification channels.
async fn with_channels(
    db: &impl sea_orm::ConnectionTrait,
    m: rule::Model,
) -> Result<RuleView, AppError> {
    let mut channels = rule_channels::of(db, [m.id]).await?;
    let mut v = RuleView::from(m);
    v.channels = channels.remove(&v.id).unwrap_or_default();
    Ok(v)
}

#[async_trait::async_trait]
impl RulesService for Service {
    async fn list_rules(
        &self,
        user: &CurrentUser,
        q: RuleQuery,
    ) -> Result<Vec<RuleView>, AppError> {
        self.authorize(user, Permission::RulesRead).await?;
        let mut find = rule::Entity::find().order_by_asc(rule::Column::Name);
        if let Some(kind) = q.kind {
            find = find.filter(rule::Column::Kind.eq(kind));
        }
        if let Some(s) = q.severity {
            find = find.filter(rule::Column::Severity.eq(s));
        }
        if let Some(e) = q.enabled {
            find = find.filter(rule::Column::Enabled.eq(e));
        }
        let rows = find.all(&self.db).await.map_err(internal)?;
        let mut channels = rule_channels::of(&self.db, rows.iter().map(|r| r.id)).await?;
        Ok(rows
            .into_iter()
            .map(|r| {
                let mut v = RuleView::from(r);
                v.channels = channels.remove(&v.id).unwrap_or_default();
                v
            })
            .collect())
    }

    async fn get_rule(&self, user: &CurrentUser, id: i32) -> Result<RuleView, AppError> {
        self.authorize(user, Permission::RulesRead).await?;
        with_channels(&self.db, find_rule(&self.db, id).await?).await
    }

    async fn create_rule(&self, user: &CurrentUser, new: NewRule) -> Result<RuleView, AppError> {
        self.authorize(user, Permission::RulesWrite).await?;
        let channels = new.channels.clone();
        let checked = checked_new_rule(new, user.id)?;
        rule_channels::check(&self.db, &channels).await?;
        let name = checked.name.clone();
        let mut txn = self.begin_audited().await.map_err(internal)?;
        let created = rule::ActiveModel {
            name: Set(checked.name),
            description: Set(checked.description),
            kind: Set(checked.kind),
            severity: Set(checked.severity),
            definition: Set(checked.definition),
            enabled: Set(checked.enabled),
            created_by: Set(checked.created_by),
            created_at: Set(checked.created_at),
            updated_at: Set(checked.updated_at),
            builtin_key: Set(None),
            tags: Set(checked.tags),
            false_positives: Set(checked.false_positives),
            suppress_secs: Set(checked.suppress_secs),
            ..Default::default()
        }
        .insert(&txn)
        .await
        .on_unique(|| AppError::Conflict(format!("a rule named `{name}` exists")))?;
        rule_channels::replace(&txn, created.id, &channels)
            .await
            .map_err(internal)?;
        let entry = AuditEntry::by(user, "rule_create", Outcome::Success)
            .target(created.name.clone())
            .details(json!({ "id": created.id, "kind": created.kind }));
        txn.record(entry);
        txn.commit().await.map_err(internal)?;
        with_channels(&self.db, created).await
    }

    async fn update_rule(
        &self,
        user: &CurrentUser,
        id: i32,
        update: RuleUpdate,
    ) -> Result<RuleView, AppError> {
        self.authorize(user, Permission::RulesWrite).await?;
        let current = find_rule(&self.db, id).await?;
        let mut changed = Vec::new();
        let mut model = current.clone().into_active_model();
        if let Some(name) = &update.name {
            model.name = Set(check_name(name)?);
            changed.push("name");
        }
        if let Some(s) = update.severity {
            check_severity(&s)?;
            model.severity = Set(s);
            changed.push("severity");
        }
        let mut new_definition = false;
        if let Some(d) = &update.definition {
            let kind: RuleKind = current.kind.parse().map_err(|_| {
                AppError::Conflict(format!(
                    "rules of kind `{}` cannot be edited here",
                    current.kind
                ))
            })?;
            let def = definition(kind, d)?;
            new_definition = def.to_json() != current.definition;
            model.definition = Set(def.to_json());
            changed.push("definition");
        }
        if let Some(e) = update.enabled {
            // A rule the engine cannot load (an imported Sigma correlation) stays disabled.
            if e && update.definition.is_none()
                && let Ok(kind) = current.kind.parse::<RuleKind>()
            {
                definition(kind, &current.definition)?;
            }
            model.enabled = Set(e);
            changed.push(if e { "enabled" } else { "disabled" });
        }
        if let Some(tags) = &update.tags {
            model.tags = Set(Some(check_tags(tags)?));
            changed.push("tags");
        }
        if update.description.is_some() {
            check_text("description", update.description.as_ref())?;
            // An empty description removes it.
            model.description = Set(update.description.filter(|d| !d.trim().is_empty()));
            changed.push("description");
        }
        if update.false_positives.is_some() {
            check_text("false_positives", update.false_positives.as_ref())?;
            model.false_positives = Set(update.false_positives);
            changed.push("false_positives");
        }
        if let Some(secs) = update.suppress_secs {
            if secs != 0 {
                check_suppress(secs)?;
            }
            model.suppress_secs = Set((secs != 0).then_some(secs));
            changed.push("suppress_secs");
        }
        if let Some(channels) = &update.channels {
            rule_channels::check(&self.db, channels).await?;
            changed.push("channels");
        }
        // A new updated_at is what makes the engine reload the rule.
        model.updated_at = Set(Utc::now());
        let mut txn = self.begin_audited().await.map_err(internal)?;
        let saved = model
            .update(&txn)
            .await
            .on_unique(|| AppError::Conflict("a rule with that name exists".into()))?;
        if new_definition {
            // State built under the old definition means nothing under the new one.
            detector_state::Entity::delete_many()
                .filter(detector_state::Column::RuleId.eq(id))
                .exec(&txn)
                .await
                .map_err(internal)?;
        }
        if let Some(channels) = &update.channels {
            rule_channels::replace(&txn, id, channels)
                .await
                .map_err(internal)?;
        }
        let entry = AuditEntry::by(user, "rule_update", Outcome::Success)
            .target(saved.name.clone())
            .details(json!({ "id": id, "changed": changed }));
        txn.record(entry);
        txn.commit().await.map_err(internal)?;
        with_channels(&self.db, saved).await
    }

    async fn delete_rule(&self, user: &CurrentUser, id: i32) -> Result<(), AppError> {
        self.authorize(user, Permission::RulesWrite).await?;
        let current = find_rule(&self.db, id).await?;
        let mut txn = self.begin_audited().await.map_err(internal)?;
        rule::Entity::delete_by_id(id)
            .exec(&txn)
            .await
            .map_err(internal)?;
        let entry = AuditEntry::by(user, "rule_delete", Outcome::Success)
            .target(current.name.clone())
            .details(json!({ "id": id, "builtin_key": current.builtin_key }));
        txn.record(entry);
        txn.commit().await.map_err(internal)
    }
}
