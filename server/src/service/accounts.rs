//! User administration: list, create, change, disable, reset passwords. Changing what a user
//! may do, or their password, ends their sessions; disabling a user also revokes the API tokens
//! they created; Vigil never loses its last administrator. Nobody grants a role holding a
//! permission they do not hold, or takes over (by resetting the password of) a user who holds
//! one.

use std::collections::HashMap;

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde_json::json;

use app::error::AppError;
use app::model::accounts::{
    CreatedUser, NewUser, PasswordReset, PasswordResetResult, UserSummary, UserUpdate,
};
use app::model::auth::{CurrentUser, Permission};

use super::audit::{AuditEntry, Outcome};
use super::users::{CreateUserError, create_user};
use super::{Service, internal};
use crate::auth::password;
use crate::service::auth::{end_all_sessions, grants};
use crate::store::{api_token, role, role_permission, user, user_role};

impl From<CreateUserError> for AppError {
    fn from(e: CreateUserError) -> Self {
        match e {
            CreateUserError::Exists(_) => AppError::Conflict(e.to_string()),
            CreateUserError::Other(err) => {
                tracing::error!(error = %err, "cannot create user");
                AppError::Internal
            }
            other => AppError::Invalid(other.to_string()),
        }
    }
}

/// Role names per user id.
pub(crate) async fn roles_by_user<C: ConnectionTrait>(
    conn: &C,
) -> Result<HashMap<i32, Vec<String>>, AppError> {
    let names: HashMap<i32, String> = role::Entity::find()
        .all(conn)
        .await
        .map_err(internal)?
        .into_iter()
        .map(|r| (r.id, r.name))
        .collect();
    let mut by_user: HashMap<i32, Vec<String>> = HashMap::new();
    for link in user_role::Entity::find()
        .all(conn)
        .await
        .map_err(internal)?
    {
        if let Some(name) = names.get(&link.role_id) {
            by_user.entry(link.user_id).or_default().push(name.clone());
        }
    }
    for roles in by_user.values_mut() {
        roles.sort();
    }
    Ok(by_user)
}

fn summary(u: user::Model, roles: Vec<String>) -> UserSummary {
    UserSummary {
        id: u.id,
        username: u.username,
        display_name: u.display_name,
        email: u.email,
        disabled: u.disabled,
        roles,
        created_at: u.created_at,
        last_login_at: u.last_login_at,
    }
}

/// Refuses a change that would leave no enabled user able to manage users.
pub(crate) async fn keep_an_administrator<C: ConnectionTrait>(conn: &C) -> Result<(), AppError> {
    let admin_roles: Vec<i32> = role_permission::Entity::find()
        .filter(role_permission::Column::Permission.eq(Permission::UsersManage.as_str()))
        .select_only()
        .column(role_permission::Column::RoleId)
        .into_tuple()
        .all(conn)
        .await
        .map_err(internal)?;
    let holders: Vec<i32> = user_role::Entity::find()
        .filter(user_role::Column::RoleId.is_in(admin_roles))
        .select_only()
        .column(user_role::Column::UserId)
        .into_tuple()
        .all(conn)
        .await
        .map_err(internal)?;
    let enabled = user::Entity::find()
        .filter(user::Column::Id.is_in(holders))
        .filter(user::Column::Disabled.eq(false))
        .count(conn)
        .await
        .map_err(internal)?;
    if enabled == 0 {
        return Err(AppError::Conflict(
            "the change would leave no enabled user who can manage users".into(),
        ));
    }
    Ok(())
}

/// Refuses to grant any of the named roles when it holds a permission `actor` lacks. Names
/// that match no role are left for the caller to report.
pub(crate) async fn check_grantable<C: ConnectionTrait>(
    conn: &C,
    actor: &CurrentUser,
    names: &[String],
) -> Result<(), AppError> {
    if names.is_empty() {
        return Ok(());
    }
    let roles: HashMap<i32, String> = role::Entity::find()
        .filter(role::Column::Name.is_in(names.iter().map(String::as_str)))
        .all(conn)
        .await
        .map_err(internal)?
        .into_iter()
        .map(|r| (r.id, r.name))
        .collect();
    let grants = role_permission::Entity::find()
        .filter(role_permission::Column::RoleId.is_in(roles.keys().copied()))
        .all(conn)
        .await
        .map_err(internal)?;
    for g in grants {
        if let Ok(p) = g.permission.parse::<Permission>()
            && !actor.can(p)
        {
            let name = roles.get(&g.role_id).cloned().unwrap_or_default();
            return Err(AppError::Invalid(format!(
                "cannot grant role {name}: it holds {p}, which you do not hold yourself"
            )));
        }
    }
    Ok(())
}

/// Longest display name or e-mail address, in characters (their columns hold 255).
const MAX_DETAIL: usize = 255;

/// `text` trimmed, `None` when empty; refused when longer than its column holds.
fn clean(field: &str, text: Option<String>) -> Result<Option<String>, AppError> {
    let text = text.map(|t| t.trim().to_string()).filter(|t| !t.is_empty());
    match text {
        Some(t) if t.chars().count() > MAX_DETAIL => Err(AppError::Invalid(format!(
            "{field} must be at most {MAX_DETAIL} characters"
        ))),
        other => Ok(other),
    }
}

impl Service {
    async fn find_user(&self, id: i32) -> Result<user::Model, AppError> {
        user::Entity::find_by_id(id)
            .one(&self.db)
            .await
            .map_err(internal)?
            .ok_or(AppError::NotFound)
    }

    async fn user_summary(&self, id: i32) -> Result<UserSummary, AppError> {
        let u = self.find_user(id).await?;
        let roles = roles_by_user(&self.db)
            .await?
            .remove(&id)
            .unwrap_or_default();
        Ok(summary(u, roles))
    }
}

#[async_trait::async_trait]

impl app::model::accounts::UsersService for Service {
    async fn list_users(&self, actor: &CurrentUser) -> Result<Vec<UserSummary>, AppError> {
        self.authorize(actor, Permission::UsersManage).await?;
        let mut roles = roles_by_user(&self.db).await?;
        let users = user::Entity::find()
            .order_by_asc(user::Column::Username)
            .all(&self.db)
            .await
            .map_err(internal)?;
        Ok(users
            .into_iter()
            .map(|u| {
                let r = roles.remove(&u.id).unwrap_or_default();
                summary(u, r)
            })
            .collect())
    }

    async fn get_user(&self, actor: &CurrentUser, id: i32) -> Result<UserSummary, AppError> {
        self.authorize(actor, Permission::UsersManage).await?;
        self.user_summary(id).await
    }

    async fn create_user(
        &self,
        actor: &CurrentUser,
        new: NewUser,
    ) -> Result<CreatedUser, AppError> {
        self.authorize(actor, Permission::UsersManage).await?;
        let display_name = clean("display_name", new.display_name)?;
        let email = clean("email", new.email)?;
        let (secret, generated) = match new.password {
            Some(p) => (p, None),
            None => {
                let p = password::generate(24);
                (p.clone(), Some(p))
            }
        };
        let username = new.username.trim().to_string();
        let created = match check_grantable(&self.db, actor, &new.roles).await {
            Ok(()) => create_user(&self.db, &username, &secret, &new.roles)
                .await
                .map_err(AppError::from),
            Err(err) => Err(err),
        };
        let created = match created {
            Ok(created) => created,
            Err(err) => {
                let entry = AuditEntry::by(actor, "user_create", Outcome::Failure)
                    .target(username.clone())
                    .details(json!({ "reason": err.to_string() }));
                self.audit(entry).await.map_err(internal)?;
                return Err(err);
            }
        };
        let mut model: user::ActiveModel = created.into();
        model.display_name = Set(display_name);
        model.email = Set(email);
        let saved = model.update(&self.db).await.map_err(internal)?;
        let entry = AuditEntry::by(actor, "user_create", Outcome::Success)
            .target(username)
            .details(json!({ "roles": new.roles }));
        self.audit(entry).await.map_err(internal)?;
        Ok(CreatedUser {
            user: self.user_summary(saved.id).await?,
            generated_password: generated,
        })
    }

    async fn update_user(
        &self,
        actor: &CurrentUser,
        id: i32,
        update: UserUpdate,
    ) -> Result<UserSummary, AppError> {
        self.authorize(actor, Permission::UsersManage).await?;
        let current = self.find_user(id).await?;
        let target = current.username.clone();
        if let Some(roles) = &update.roles {
            let held = roles_by_user(&self.db)
                .await?
                .remove(&id)
                .unwrap_or_default();
            let added: Vec<String> = roles
                .iter()
                .filter(|r| !held.contains(r))
                .cloned()
                .collect();
            if let Err(err) = check_grantable(&self.db, actor, &added).await {
                let entry = AuditEntry::by(actor, "user_update", Outcome::Failure)
                    .target(target)
                    .details(json!({ "reason": err.to_string() }));
                self.audit(entry).await.map_err(internal)?;
                return Err(err);
            }
        }
        let mut txn = self.begin_audited().await.map_err(internal)?;
        let mut end_sessions = false;
        let mut changes = serde_json::Map::new();
        if let Some(roles) = &update.roles {
            let mut ids = Vec::new();
            for name in roles {
                let found = role::Entity::find()
                    .filter(role::Column::Name.eq(name.as_str()))
                    .one(&txn)
                    .await
                    .map_err(internal)?
                    .ok_or_else(|| AppError::Invalid(format!("no role named {name:?}")))?;
                ids.push(found.id);
            }
            user_role::Entity::delete_many()
                .filter(user_role::Column::UserId.eq(id))
                .exec(&txn)
                .await
                .map_err(internal)?;
            for role_id in ids {
                user_role::ActiveModel {
                    user_id: Set(id),
                    role_id: Set(role_id),
                }
                .insert(&txn)
                .await
                .map_err(internal)?;
            }
            end_sessions = true;
            changes.insert("roles".into(), json!(roles));
        }
        let mut model: user::ActiveModel = current.clone().into();
        if let Some(name) = update.display_name {
            model.display_name = Set(clean("display_name", Some(name))?);
            changes.insert("display_name".into(), json!(true));
        }
        if let Some(email) = update.email {
            model.email = Set(clean("email", Some(email))?);
            changes.insert("email".into(), json!(true));
        }
        if let Some(disabled) = update.disabled
            && disabled != current.disabled
        {
            model.disabled = Set(disabled);
            end_sessions |= disabled;
            changes.insert("disabled".into(), json!(disabled));
        }
        model.updated_at = Set(Utc::now());
        model.update(&txn).await.map_err(internal)?;
        if let Err(err) = keep_an_administrator(&txn).await {
            txn.rollback().await.map_err(internal)?;
            let entry = AuditEntry::by(actor, "user_update", Outcome::Failure)
                .target(target)
                .details(json!({ "reason": err.to_string() }));
            self.audit(entry).await.map_err(internal)?;
            return Err(err);
        }
        if end_sessions {
            end_all_sessions(&txn, id).await.map_err(internal)?;
        }
        if update.disabled == Some(true) && !current.disabled {
            let revoked = api_token::Entity::update_many()
                .col_expr(
                    api_token::Column::RevokedAt,
                    sea_orm::sea_query::Expr::value(Utc::now()),
                )
                .filter(api_token::Column::CreatedBy.eq(id))
                .filter(api_token::Column::RevokedAt.is_null())
                .exec(&txn)
                .await
                .map_err(internal)?;
            changes.insert("tokens_revoked".into(), json!(revoked.rows_affected));
        }
        let entry = AuditEntry::by(actor, "user_update", Outcome::Success)
            .target(target)
            .details(serde_json::Value::Object(changes));
        txn.record(entry);
        txn.commit().await.map_err(internal)?;
        self.user_summary(id).await
    }

    async fn reset_password(
        &self,
        actor: &CurrentUser,
        id: i32,
        reset: PasswordReset,
    ) -> Result<PasswordResetResult, AppError> {
        self.authorize(actor, Permission::UsersManage).await?;
        let current = self.find_user(id).await?;
        // Whoever sets a password can sign in with it: only over users who hold no more.
        let (_, theirs) = grants(&self.db, id).await?;
        if let Some(p) = theirs.iter().find(|p| !actor.can(**p)) {
            let entry = AuditEntry::by(actor, "password_reset", Outcome::Failure)
                .target(current.username.clone())
                .details(json!({ "reason": format!("target holds {p}") }));
            self.audit(entry).await.map_err(internal)?;
            return Err(AppError::Forbidden);
        }
        let (secret, generated) = match reset.password {
            Some(p) => (p, None),
            None => {
                let p = password::generate(24);
                (p.clone(), Some(p))
            }
        };
        password::check_policy(&secret).map_err(|e| AppError::Invalid(e.to_string()))?;
        let hash = password::hash_async(&secret).await.map_err(|e| {
            tracing::error!(error = %e, "cannot hash password");
            AppError::Internal
        })?;
        let mut txn = self.begin_audited().await.map_err(internal)?;
        let target = current.username.clone();
        let mut model: user::ActiveModel = current.into();
        model.password_hash = Set(hash);
        model.update(&txn).await.map_err(internal)?;
        end_all_sessions(&txn, id).await.map_err(internal)?;
        let entry = AuditEntry::by(actor, "password_reset", Outcome::Success).target(target);
        txn.record(entry);
        txn.commit().await.map_err(internal)?;
        Ok(PasswordResetResult {
            generated_password: generated,
        })
    }
}
