//! API tokens for machines: created by administrators, shown once, stored as digests, scoped
//! to permissions the creator holds, revocable. A token acts with at most its creator's current
//! permissions (see `auth::authenticate_api_token`); one created with another API token never
//! outlives that token.

use std::collections::{BTreeSet, HashMap};

use chrono::{Duration, Utc};
use sea_orm::{ActiveModelTrait, EntityTrait, QueryOrder, Set};
use serde_json::json;

use app::error::AppError;
use app::model::accounts::{ApiTokenView, CreatedApiToken, NewApiToken};
use app::model::auth::{Credential, CurrentUser, Permission};

use super::audit::{AuditEntry, Outcome};
use super::unique::OnUnique;
use super::{Service, internal};
use crate::auth::tokens;
use crate::store::{api_token, user};

fn view(t: api_token::Model, names: &HashMap<i32, String>) -> ApiTokenView {
    ApiTokenView {
        id: t.id,
        name: t.name,
        prefix: t.prefix,
        permissions: serde_json::from_value(t.permissions).unwrap_or_default(),
        created_by: t.created_by.and_then(|id| names.get(&id).cloned()),
        created_at: t.created_at,
        expires_at: t.expires_at,
        last_used_at: t.last_used_at,
        revoked_at: t.revoked_at,
    }
}

impl Service {
    async fn usernames(&self) -> Result<HashMap<i32, String>, AppError> {
        Ok(user::Entity::find()
            .all(&self.db)
            .await
            .map_err(internal)?
            .into_iter()
            .map(|u| (u.id, u.username))
            .collect())
    }

    async fn find_token(&self, id: i32) -> Result<api_token::Model, AppError> {
        api_token::Entity::find_by_id(id)
            .one(&self.db)
            .await
            .map_err(internal)?
            .ok_or(AppError::NotFound)
    }
}

#[async_trait::async_trait]

impl app::model::accounts::TokensService for Service {
    async fn list_tokens(&self, actor: &CurrentUser) -> Result<Vec<ApiTokenView>, AppError> {
        self.authorize(actor, Permission::TokensManage).await?;
        let names = self.usernames().await?;
        let tokens = api_token::Entity::find()
            .order_by_desc(api_token::Column::Id)
            .all(&self.db)
            .await
            .map_err(internal)?;
        Ok(tokens.into_iter().map(|t| view(t, &names)).collect())
    }

    async fn create_token(
        &self,
        actor: &CurrentUser,
        new: NewApiToken,
    ) -> Result<CreatedApiToken, AppError> {
        self.authorize(actor, Permission::TokensManage).await?;
        let name = new.name.trim().to_string();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(AppError::Invalid(
                "token name must be 1 to 100 characters".into(),
            ));
        }
        let permissions: Vec<Permission> = new
            .permissions
            .iter()
            .copied()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        if permissions.is_empty() {
            return Err(AppError::Invalid(
                "a token needs at least one permission".into(),
            ));
        }
        // Nobody mints a token more powerful than themselves.
        if let Some(p) = permissions.iter().find(|p| !actor.can(**p)) {
            return Err(AppError::Invalid(format!(
                "cannot grant {p}: you do not hold it yourself"
            )));
        }
        let expires_at = match new.expires_in_days {
            Some(0) => {
                return Err(AppError::Invalid(
                    "expires_in_days must be at least 1".into(),
                ));
            }
            Some(days) if days > 3650 => {
                return Err(AppError::Invalid(
                    "expires_in_days must be at most 3650".into(),
                ));
            }
            Some(days) => Some(Utc::now() + Duration::days(days.into())),
            None => None,
        };
        let parent_expiry = match &actor.credential {
            Credential::ApiToken { token_id } => self.find_token(*token_id).await?.expires_at,
            Credential::Session { .. } => None,
        };
        let expires_at = match (expires_at, parent_expiry) {
            (Some(wanted), Some(limit)) if wanted > limit => {
                return Err(AppError::Invalid(format!(
                    "a token created with an API token cannot outlive it: it expires at {}",
                    limit.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                )));
            }
            (None, limit) => limit,
            (wanted, _) => wanted,
        };
        let secret = tokens::new_api_token();
        let created = api_token::ActiveModel {
            name: Set(name.clone()),
            prefix: Set(secret.chars().take(12).collect()),
            token_hash: Set(tokens::digest(&secret)),
            permissions: Set(json!(permissions)),
            created_by: Set(Some(actor.id)),
            created_at: Set(Utc::now()),
            expires_at: Set(expires_at),
            ..Default::default()
        }
        .insert(&self.db)
        .await
        .on_unique(|| AppError::Conflict("token collision, try again".into()))?;
        let entry = AuditEntry::by(actor, "token_create", Outcome::Success)
            .target(name)
            .details(json!({ "id": created.id, "permissions": permissions }));
        self.audit(entry).await.map_err(internal)?;
        let names = self.usernames().await?;
        Ok(CreatedApiToken {
            token: view(created, &names),
            secret,
        })
    }

    async fn revoke_token(&self, actor: &CurrentUser, id: i32) -> Result<ApiTokenView, AppError> {
        self.authorize(actor, Permission::TokensManage).await?;
        let found = self.find_token(id).await?;
        let name = found.name.clone();
        let saved = if found.revoked_at.is_none() {
            let mut model: api_token::ActiveModel = found.into();
            model.revoked_at = Set(Some(Utc::now()));
            model.update(&self.db).await.map_err(internal)?
        } else {
            found
        };
        let entry = AuditEntry::by(actor, "token_revoke", Outcome::Success)
            .target(name)
            .details(json!({ "id": id }));
        self.audit(entry).await.map_err(internal)?;
        Ok(view(saved, &self.usernames().await?))
    }
}
