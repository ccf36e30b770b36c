//! Role administration: built-in roles are fixed; custom roles are any set of permissions the
//! administrator holds themselves. Changing or deleting a role ends the sessions of its holders.

use std::collections::{BTreeSet, HashMap};

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde_json::json;

use app::error::AppError;
use app::model::accounts::{NewRole, RoleUpdate, RoleView};
use app::model::auth::{CurrentUser, Permission};

use super::accounts::keep_an_administrator;
use super::audit::{AuditEntry, Outcome};
use super::unique::OnUnique;
use super::{Service, internal};
use crate::service::auth::end_all_sessions;
use crate::store::{role, role_permission, user_role};

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// Refuses to put into a role a permission `actor` does not hold.
fn check_holds(actor: &CurrentUser, permissions: &[Permission]) -> Result<(), AppError> {
    match permissions.iter().find(|p| !actor.can(**p)) {
        Some(p) => Err(AppError::Invalid(format!(
            "cannot grant {p}: you do not hold it yourself"
        ))),
        None => Ok(()),
    }
}

/// Longest role description, in characters.
const MAX_DESCRIPTION: usize = 1000;

/// A description trimmed, `None` when empty; refused when too long.
fn description(text: Option<String>) -> Result<Option<String>, AppError> {
    let text = text.map(|d| d.trim().to_string()).filter(|d| !d.is_empty());
    match text {
        Some(d) if d.chars().count() > MAX_DESCRIPTION => Err(AppError::Invalid(format!(
            "description must be at most {MAX_DESCRIPTION} characters"
        ))),
        other => Ok(other),
    }
}

fn distinct(permissions: &[Permission]) -> Vec<Permission> {
    permissions
        .iter()
        .copied()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

impl Service {
    async fn role_views(&self, only: Option<i32>) -> Result<Vec<RoleView>, AppError> {
        let mut query = role::Entity::find().order_by_asc(role::Column::Id);
        if let Some(id) = only {
            query = query.filter(role::Column::Id.eq(id));
        }
        let roles = query.all(&self.db).await.map_err(internal)?;
        let mut grants: HashMap<i32, Vec<Permission>> = HashMap::new();
        for g in role_permission::Entity::find()
            .all(&self.db)
            .await
            .map_err(internal)?
        {
            if let Ok(p) = g.permission.parse() {
                grants.entry(g.role_id).or_default().push(p);
            }
        }
        let mut holders: HashMap<i32, u64> = HashMap::new();
        for link in user_role::Entity::find()
            .all(&self.db)
            .await
            .map_err(internal)?
        {
            *holders.entry(link.role_id).or_default() += 1;
        }
        Ok(roles
            .into_iter()
            .map(|r| {
                let mut permissions = grants.remove(&r.id).unwrap_or_default();
                permissions.sort();
                RoleView {
                    users: holders.get(&r.id).copied().unwrap_or(0),
                    id: r.id,
                    name: r.name,
                    description: r.description,
                    builtin: r.builtin,
                    permissions,
                }
            })
            .collect())
    }

    async fn role_view(&self, id: i32) -> Result<RoleView, AppError> {
        self.role_views(Some(id))
            .await?
            .pop()
            .ok_or(AppError::NotFound)
    }

    async fn custom_role(&self, id: i32) -> Result<role::Model, AppError> {
        let found = role::Entity::find_by_id(id)
            .one(&self.db)
            .await
            .map_err(internal)?
            .ok_or(AppError::NotFound)?;
        if found.builtin {
            return Err(AppError::Conflict(format!(
                "{} is a built-in role and cannot be changed",
                found.name
            )));
        }
        Ok(found)
    }

    async fn holders(&self, role_id: i32) -> Result<Vec<i32>, AppError> {
        user_role::Entity::find()
            .filter(user_role::Column::RoleId.eq(role_id))
            .select_only()
            .column(user_role::Column::UserId)
            .into_tuple()
            .all(&self.db)
            .await
            .map_err(internal)
    }

    /// [`check_holds`], with a refusal audited.
    async fn refuse_escalation(
        &self,
        actor: &CurrentUser,
        action: &'static str,
        role: &str,
        permissions: &[Permission],
    ) -> Result<(), AppError> {
        let result = check_holds(actor, permissions);
        if let Err(err) = &result {
            let entry = AuditEntry::by(actor, action, Outcome::Failure)
                .target(role)
                .details(json!({ "reason": err.to_string() }));
            self.audit(entry).await.map_err(internal)?;
        }
        result
    }
}

#[async_trait::async_trait]

impl app::model::accounts::RolesService for Service {
    async fn list_roles(&self, actor: &CurrentUser) -> Result<Vec<RoleView>, AppError> {
        // Assigning roles to users needs to see them too.
        if !actor.can(Permission::UsersManage) {
            self.authorize(actor, Permission::RolesManage).await?;
        }
        self.role_views(None).await
    }

    async fn create_role(&self, actor: &CurrentUser, new: NewRole) -> Result<RoleView, AppError> {
        self.authorize(actor, Permission::RolesManage).await?;
        let name = new.name.trim().to_string();
        if !valid_name(&name) {
            return Err(AppError::Invalid(
                "role name must be 1 to 64 characters of letters, digits, '.', '_' or '-'".into(),
            ));
        }
        let about = description(new.description)?;
        let permissions = distinct(&new.permissions);
        self.refuse_escalation(actor, "role_create", &name, &permissions)
            .await?;
        let now = Utc::now();
        let mut txn = self.begin_audited().await.map_err(internal)?;
        let created = role::ActiveModel {
            name: Set(name.clone()),
            description: Set(about),
            builtin: Set(false),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await
        .on_unique(|| AppError::Conflict(format!("a role named {name:?} already exists")))?;
        for p in &permissions {
            role_permission::ActiveModel {
                role_id: Set(created.id),
                permission: Set(p.as_str().to_string()),
            }
            .insert(&txn)
            .await
            .map_err(internal)?;
        }
        let entry = AuditEntry::by(actor, "role_create", Outcome::Success)
            .target(name)
            .details(json!({ "permissions": permissions }));
        txn.record(entry);
        txn.commit().await.map_err(internal)?;
        self.role_view(created.id).await
    }

    async fn update_role(
        &self,
        actor: &CurrentUser,
        id: i32,
        update: RoleUpdate,
    ) -> Result<RoleView, AppError> {
        self.authorize(actor, Permission::RolesManage).await?;
        let found = self.custom_role(id).await?;
        if let Some(permissions) = &update.permissions {
            let current = self.role_view(id).await?.permissions;
            let added: Vec<Permission> = distinct(permissions)
                .into_iter()
                .filter(|p| !current.contains(p))
                .collect();
            self.refuse_escalation(actor, "role_update", &found.name, &added)
                .await?;
        }
        let holders = self.holders(id).await?;
        let mut txn = self.begin_audited().await.map_err(internal)?;
        let mut model: role::ActiveModel = found.clone().into();
        if let Some(d) = update.description {
            model.description = Set(description(Some(d))?);
        }
        model.updated_at = Set(Utc::now());
        model.update(&txn).await.map_err(internal)?;
        if let Some(permissions) = &update.permissions {
            role_permission::Entity::delete_many()
                .filter(role_permission::Column::RoleId.eq(id))
                .exec(&txn)
                .await
                .map_err(internal)?;
            for p in distinct(permissions) {
                role_permission::ActiveModel {
                    role_id: Set(id),
                    permission: Set(p.as_str().to_string()),
                }
                .insert(&txn)
                .await
                .map_err(internal)?;
            }
            keep_an_administrator(&txn).await?;
            for user_id in &holders {
                end_all_sessions(&txn, *user_id).await.map_err(internal)?;
            }
        }
        let entry = AuditEntry::by(actor, "role_update", Outcome::Success)
            .target(found.name)
            .details(json!({ "permissions": update.permissions }));
        txn.record(entry);
        txn.commit().await.map_err(internal)?;
        self.role_view(id).await
    }

    async fn delete_role(&self, actor: &CurrentUser, id: i32) -> Result<(), AppError> {
        self.authorize(actor, Permission::RolesManage).await?;
        let found = self.custom_role(id).await?;
        let holders = self.holders(id).await?;
        let mut txn = self.begin_audited().await.map_err(internal)?;
        user_role::Entity::delete_many()
            .filter(user_role::Column::RoleId.eq(id))
            .exec(&txn)
            .await
            .map_err(internal)?;
        role_permission::Entity::delete_many()
            .filter(role_permission::Column::RoleId.eq(id))
            .exec(&txn)
            .await
            .map_err(internal)?;
        role::Entity::delete_by_id(id)
            .exec(&txn)
            .await
            .map_err(internal)?;
        keep_an_administrator(&txn).await?;
        for user_id in &holders {
            end_all_sessions(&txn, *user_id).await.map_err(internal)?;
        }
        let entry = AuditEntry::by(actor, "role_delete", Outcome::Success).target(found.name);
        txn.record(entry);
        txn.commit().await.map_err(internal)
    }
}
