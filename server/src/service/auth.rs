//! Sign-in, token refresh and rotation, sign-out, and resolving a presented credential into the
//! current user. REST handlers and the login form both call these.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QuerySelect, Set,
};
use serde_json::json;

use app::error::AppError;
use app::model::auth::{Credential, CurrentUser, Permission};

use super::audit::{AuditEntry, Outcome, RecordGate};
use super::users::valid_username;
use super::{Service, internal};
use crate::auth::jwt::JwtKeys;
use crate::auth::throttle::{self, LoginThrottle, Subject};
use crate::auth::{password, tokens};
use crate::store::{api_token, refresh_token, role, role_permission, user, user_role};

/// What a successful sign-in or refresh hands out.
#[derive(Debug, Clone)]
pub struct IssuedTokens {
    pub access_token: String,
    pub refresh_token: String,
    pub expires_in: u64,
    pub refresh_expires_in: u64,
}

/// Settings and keys for authentication.
#[derive(Clone)]
pub struct AuthSettings {
    pub keys: JwtKeys,
    pub refresh_ttl: Duration,
    /// Backoff and ceilings for password sign-ins.
    pub throttle: Arc<LoginThrottle>,
    /// Thins out records of failures any anonymous caller can cause.
    pub rejections: Arc<RecordGate>,
    /// A hash verified when the user does not exist, so unknown users cost the same time.
    dummy_hash: String,
}

impl AuthSettings {
    pub fn new(keys: JwtKeys, refresh_ttl: Duration) -> anyhow::Result<Self> {
        let limits = throttle::Limits::default();
        Ok(Self {
            keys,
            refresh_ttl,
            throttle: Arc::new(LoginThrottle::new(limits)),
            rejections: Arc::new(RecordGate::new(limits.capacity)),
            dummy_hash: password::hash(&password::generate(24))?,
        })
    }
}

/// Why a presented credential was not accepted (for the audit log; clients only see 401).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejection {
    InvalidToken,
    UnknownUser,
    Disabled,
    StaleVersion,
    SessionRevoked,
    ApiTokenRevoked,
}

impl Rejection {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidToken => "invalid_token",
            Self::UnknownUser => "unknown_user",
            Self::Disabled => "disabled",
            Self::StaleVersion => "stale_token_version",
            Self::SessionRevoked => "session_revoked",
            Self::ApiTokenRevoked => "api_token_revoked",
        }
    }
}

/// Signs a user in with a password. Unknown users, wrong passwords and disabled accounts all
/// get the same answer after the same work. The attempt is counted by the throttle before the
/// password is verified; a throttled attempt is refused without verifying anything. Every
/// record of the attempt is evaluated by detection, so guessing Vigil's passwords raises alerts.
impl Service {
    pub async fn login(
        &self,
        username: &str,
        plain: &str,
        ip: Option<String>,
    ) -> Result<IssuedTokens, AppError> {
        let (db, settings) = (&self.db, &self.auth);
        let failure = |reason: &str| {
            AuditEntry::new("login", Outcome::Failure)
                .from_ip(ip.clone())
                .details(json!({ "reason": reason }))
        };
        // A name no account can have is refused before the lookup: on MariaDB's PAD SPACE
        // collation `"admin   "` would otherwise find `admin`.
        if !valid_username(username) {
            self.audit(failure("invalid_username"))
                .await
                .map_err(internal)?;
            return Err(AppError::InvalidCredentials);
        }
        let found = user::Entity::find()
            .filter(user::Column::Username.eq(username))
            .one(db)
            .await
            .map_err(internal)?;
        let subject = match &found {
            Some(u) => Subject::Account(u.id),
            None => Subject::Unknown(username.to_lowercase()),
        };
        let client = throttle::key_of(ip.as_deref());
        let attempt = match settings.throttle.begin(subject, &client, Instant::now()) {
            Ok(attempt) => attempt,
            Err(refusal) => {
                if let Some(count) =
                    settings
                        .rejections
                        .admit("login_throttled", &client, Instant::now())
                {
                    let mut entry = AuditEntry::new("login_throttled", Outcome::Failure)
                        .from_ip(ip)
                        .details(json!({ "reason": refusal.as_str(), "count": count }));
                    if let Some(u) = &found {
                        entry = entry.target(u.username.clone());
                    }
                    self.audit(entry).await.map_err(internal)?;
                }
                return Err(AppError::RateLimited(refusal.retry_after()));
            }
        };
        let hash = found
            .as_ref()
            .map(|u| u.password_hash.as_str())
            .unwrap_or(settings.dummy_hash.as_str());
        let password_ok = password::verify_async(plain, hash).await;
        let reason = match &found {
            None => Some("unknown_user"),
            Some(u) if u.disabled => Some("disabled"),
            Some(_) if !password_ok => Some("bad_password"),
            Some(_) => None,
        };
        let user = match (found, reason) {
            (Some(user), None) => user,
            (found, reason) => {
                // The attempt stays counted even when this record cannot be written. The name of
                // an unknown account is not kept: it is often a password typed in the wrong field.
                let mut entry = failure(reason.unwrap_or("bad_password"));
                if let Some(u) = found {
                    entry = entry.target(u.username);
                }
                self.audit(entry).await.map_err(internal)?;
                return Err(AppError::InvalidCredentials);
            }
        };
        settings.throttle.succeeded(attempt, Instant::now());
        let family = tokens::random_id();
        let issued = issue(db, settings, &user, &family).await?;
        user::Entity::update_many()
            .col_expr(user::Column::LastLoginAt, Expr::value(Utc::now()))
            .filter(user::Column::Id.eq(user.id))
            .exec(db)
            .await
            .map_err(internal)?;
        self.audit(
            AuditEntry::new("login", Outcome::Success)
                .actor(Some(user.id), user.username.clone())
                .from_ip(ip)
                .target(user.username.clone())
                .session(family),
        )
        .await
        .map_err(internal)?;
        Ok(issued)
    }
}

/// Stores a new refresh token in `family` and signs an access token for it.
async fn issue(
    db: &DatabaseConnection,
    settings: &AuthSettings,
    user: &user::Model,
    family: &str,
) -> Result<IssuedTokens, AppError> {
    let refresh = tokens::new_refresh_token();
    let now = Utc::now();
    refresh_token::ActiveModel {
        user_id: Set(user.id),
        family_id: Set(family.to_string()),
        token_hash: Set(tokens::digest(&refresh)),
        created_at: Set(now),
        expires_at: Set(now + settings.refresh_ttl),
        ..Default::default()
    }
    .insert(db)
    .await
    .map_err(internal)?;
    let access = settings
        .keys
        .issue(user.id, family, user.token_version)
        .map_err(|e| {
            tracing::error!(error = %e, "cannot sign access token");
            AppError::Internal
        })?;
    Ok(IssuedTokens {
        access_token: access,
        refresh_token: refresh,
        expires_in: settings.keys.ttl().as_secs(),
        refresh_expires_in: settings.refresh_ttl.as_secs(),
    })
}

/// Exchanges a refresh token for a new pair. A token is good once: presenting it again means
/// it was stolen, so its whole family (the session) is revoked.
impl Service {
    pub async fn refresh(
        &self,
        presented: &str,
        ip: Option<String>,
        grace: Option<Duration>,
    ) -> Result<IssuedTokens, AppError> {
        let (db, settings) = (&self.db, &self.auth);
        let now = Utc::now();
        let row = refresh_token::Entity::find()
            .filter(refresh_token::Column::TokenHash.eq(tokens::digest(presented)))
            .one(db)
            .await
            .map_err(internal)?;
        let Some(row) = row else {
            // Anyone can send made-up tokens: one record a minute per address, with the count.
            let client = throttle::key_of(ip.as_deref());
            if let Some(count) = settings
                .rejections
                .admit("refresh", &client, Instant::now())
            {
                self.audit(
                    AuditEntry::new("refresh", Outcome::Failure)
                        .from_ip(ip)
                        .details(json!({ "reason": "unknown_token", "count": count })),
                )
                .await
                .map_err(internal)?;
            }
            return Err(AppError::Unauthorized);
        };
        let owner = user::Entity::find_by_id(row.user_id)
            .one(db)
            .await
            .map_err(internal)?;
        let owner_name = owner
            .as_ref()
            .map(|u| u.username.clone())
            .unwrap_or_default();
        let within_grace = match (row.used_at, grace) {
            (Some(used), Some(grace)) => {
                row.revoked_at.is_none() && (now - used).to_std().is_ok_and(|d| d <= grace)
            }
            _ => false,
        };
        if within_grace {
            // A browser's parallel requests raced on one refresh cookie: renew the session once
            // more rather than taking the race for theft.
            let Some(owner) = owner.filter(|u| !u.disabled) else {
                return Err(AppError::Unauthorized);
            };
            return issue(db, settings, &owner, &row.family_id).await;
        }
        if row.used_at.is_some() || row.revoked_at.is_some() {
            revoke_family(db, &row.family_id).await?;
            self.audit(
                AuditEntry::new("refresh_reuse", Outcome::Failure)
                    .actor(Some(row.user_id), owner_name)
                    .from_ip(ip)
                    .session(row.family_id.clone()),
            )
            .await
            .map_err(internal)?;
            return Err(AppError::Unauthorized);
        }
        let Some(owner) = owner.filter(|u| !u.disabled) else {
            return Err(AppError::Unauthorized);
        };
        if row.expires_at <= now {
            return Err(AppError::Unauthorized);
        }
        // Mark used only if nobody else did in the meantime: two concurrent refreshes with the
        // same token are a reuse too.
        let marked = refresh_token::Entity::update_many()
            .col_expr(refresh_token::Column::UsedAt, Expr::value(now))
            .filter(refresh_token::Column::Id.eq(row.id))
            .filter(refresh_token::Column::UsedAt.is_null())
            .exec(db)
            .await
            .map_err(internal)?;
        if marked.rows_affected != 1 {
            revoke_family(db, &row.family_id).await?;
            return Err(AppError::Unauthorized);
        }
        issue(db, settings, &owner, &row.family_id).await
    }
}

async fn revoke_family(db: &DatabaseConnection, family: &str) -> Result<(), AppError> {
    refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::RevokedAt, Expr::value(Utc::now()))
        .filter(refresh_token::Column::FamilyId.eq(family))
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(db)
        .await
        .map_err(internal)?;
    Ok(())
}

/// Ends every session of a user: bumps the token version, so access tokens already issued
/// stop working, and revokes all refresh tokens.
pub async fn end_all_sessions<C: sea_orm::ConnectionTrait>(
    conn: &C,
    user_id: i32,
) -> Result<(), sea_orm::DbErr> {
    user::Entity::update_many()
        .col_expr(
            user::Column::TokenVersion,
            Expr::col(user::Column::TokenVersion).add(1),
        )
        .col_expr(user::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(user::Column::Id.eq(user_id))
        .exec(conn)
        .await?;
    refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::RevokedAt, Expr::value(Utc::now()))
        .filter(refresh_token::Column::UserId.eq(user_id))
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(conn)
        .await?;
    Ok(())
}

/// Ends the caller's session: its refresh tokens and the access tokens issued for it.
impl Service {
    pub async fn logout(&self, user: &CurrentUser, ip: Option<String>) -> Result<(), AppError> {
        if let Credential::Session { session } = &user.credential {
            revoke_family(&self.db, session).await?;
        }
        self.audit(
            AuditEntry::new("logout", Outcome::Success)
                .actor(Some(user.id), user.username.clone())
                .from_ip(ip),
        )
        .await
        .map_err(internal)
    }

    /// Resolves an access token into the current user, checking that the user is enabled, the
    /// token's version is current and its session is the user's own and has not been revoked.
    pub async fn authenticate_access(
        &self,
        token: &str,
    ) -> Result<Result<CurrentUser, Rejection>, AppError> {
        let (db, settings) = (&self.db, &self.auth);
        let Ok((user_id, claims)) = settings.keys.verify(token) else {
            return Ok(Err(Rejection::InvalidToken));
        };
        let Some(found) = user::Entity::find_by_id(user_id)
            .one(db)
            .await
            .map_err(internal)?
        else {
            return Ok(Err(Rejection::UnknownUser));
        };
        if found.disabled {
            return Ok(Err(Rejection::Disabled));
        }
        if found.token_version != claims.ver {
            return Ok(Err(Rejection::StaleVersion));
        }
        let live = refresh_token::Entity::find()
            .filter(refresh_token::Column::FamilyId.eq(claims.sid.as_str()))
            .filter(refresh_token::Column::UserId.eq(found.id))
            .filter(refresh_token::Column::RevokedAt.is_null())
            .count(db)
            .await
            .map_err(internal)?;
        if live == 0 {
            return Ok(Err(Rejection::SessionRevoked));
        }
        let (roles, permissions) = grants(db, found.id).await?;
        Ok(Ok(CurrentUser {
            id: found.id,
            username: found.username,
            display_name: found.display_name,
            roles,
            permissions,
            credential: Credential::Session {
                session: claims.sid,
            },
            source_ip: None,
        }))
    }

    /// Resolves an API token. It acts for the user who created it, only while that user is
    /// enabled, and with the permissions of its scope that the user still holds.
    pub async fn authenticate_api_token(
        &self,
        token: &str,
    ) -> Result<Result<CurrentUser, Rejection>, AppError> {
        let db = &self.db;
        let now = Utc::now();
        let Some(found) = api_token::Entity::find()
            .filter(api_token::Column::TokenHash.eq(tokens::digest(token)))
            .one(db)
            .await
            .map_err(internal)?
        else {
            return Ok(Err(Rejection::InvalidToken));
        };
        if found.revoked_at.is_some() || found.expires_at.is_some_and(|e| e <= now) {
            return Ok(Err(Rejection::ApiTokenRevoked));
        }
        let creator = match found.created_by {
            Some(id) => user::Entity::find_by_id(id)
                .one(db)
                .await
                .map_err(internal)?,
            None => None,
        };
        let Some(creator) = creator else {
            return Ok(Err(Rejection::UnknownUser));
        };
        if creator.disabled {
            return Ok(Err(Rejection::Disabled));
        }
        // One write a minute at most, not one per request.
        if found
            .last_used_at
            .is_none_or(|t| now - t > chrono::Duration::seconds(60))
        {
            api_token::Entity::update_many()
                .col_expr(api_token::Column::LastUsedAt, Expr::value(now))
                .filter(api_token::Column::Id.eq(found.id))
                .exec(db)
                .await
                .map_err(internal)?;
        }
        let scope = serde_json::from_value::<Vec<Permission>>(found.permissions.clone())
            .unwrap_or_default();
        let (_, held) = grants(db, creator.id).await?;
        let permissions = scope.into_iter().filter(|p| held.contains(p)).collect();
        Ok(Ok(CurrentUser {
            id: creator.id,
            username: format!("token:{}", found.name),
            display_name: Some(found.name),
            roles: Vec::new(),
            permissions,
            credential: Credential::ApiToken { token_id: found.id },
            source_ip: None,
        }))
    }
}

/// The names of a user's roles and the union of their permissions.
pub async fn grants(
    db: &DatabaseConnection,
    user_id: i32,
) -> Result<(Vec<String>, Vec<Permission>), AppError> {
    let role_ids: Vec<i32> = user_role::Entity::find()
        .filter(user_role::Column::UserId.eq(user_id))
        .select_only()
        .column(user_role::Column::RoleId)
        .into_tuple()
        .all(db)
        .await
        .map_err(internal)?;
    let mut roles: Vec<String> = role::Entity::find()
        .filter(role::Column::Id.is_in(role_ids.clone()))
        .all(db)
        .await
        .map_err(internal)?
        .into_iter()
        .map(|r| r.name)
        .collect();
    roles.sort();
    let names: Vec<String> = role_permission::Entity::find()
        .filter(role_permission::Column::RoleId.is_in(role_ids))
        .select_only()
        .column(role_permission::Column::Permission)
        .into_tuple()
        .all(db)
        .await
        .map_err(internal)?;
    let mut permissions: Vec<Permission> = names.iter().filter_map(|n| n.parse().ok()).collect();
    permissions.sort();
    permissions.dedup();
    Ok((roles, permissions))
}
