//! Sign-in, token refresh and rotation, sign-out, and resolving a presented credential into the
//! current user. REST handlers and the login form both call these.

use std::time::Duration;

use chrono::Utc;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QuerySelect, Set,
};
use serde_json::json;

use app::error::AppError;
use app::model::auth::{Credential, CurrentUser, Permission};

use super::audit::{self, AuditEntry, Outcome};
use super::internal;
use crate::auth::jwt::JwtKeys;
use crate::auth::{password, tokens};
use crate::store::{api_token, audit_log, refresh_token, role, role_permission, user, user_role};

/// Failed sign-ins for one account within [`LOCKOUT_WINDOW`] that lock it.
pub const LOCKOUT_THRESHOLD: u64 = 5;
pub const LOCKOUT_WINDOW: Duration = Duration::from_secs(15 * 60);

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
    /// A hash verified when the user does not exist, so unknown users cost the same time.
    dummy_hash: String,
}

impl AuthSettings {
    pub fn new(keys: JwtKeys, refresh_ttl: Duration) -> anyhow::Result<Self> {
        Ok(Self {
            keys,
            refresh_ttl,
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

/// Signs a user in with a password. Unknown users, wrong passwords, disabled and locked
/// accounts all get the same answer after the same work.
pub async fn login(
    db: &DatabaseConnection,
    settings: &AuthSettings,
    username: &str,
    plain: &str,
    ip: Option<String>,
) -> Result<IssuedTokens, AppError> {
    let found = user::Entity::find()
        .filter(user::Column::Username.eq(username))
        .one(db)
        .await
        .map_err(internal)?;
    let hash = found
        .as_ref()
        .map(|u| u.password_hash.as_str())
        .unwrap_or(settings.dummy_hash.as_str());
    let password_ok = password::verify(plain, hash);
    let since = Utc::now() - LOCKOUT_WINDOW;
    let recent_failures = audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq("login"))
        .filter(audit_log::Column::Outcome.eq(Outcome::Failure.as_str()))
        .filter(audit_log::Column::Target.eq(username))
        .filter(audit_log::Column::Timestamp.gt(since))
        .count(db)
        .await
        .map_err(internal)?;
    let locked = recent_failures >= LOCKOUT_THRESHOLD;
    let reason = match &found {
        None => Some("unknown_user"),
        Some(_) if locked => Some("locked"),
        Some(u) if u.disabled => Some("disabled"),
        Some(_) if !password_ok => Some("bad_password"),
        Some(_) => None,
    };
    let entry = AuditEntry::new("login", Outcome::Failure)
        .from_ip(ip.clone())
        .target(username);
    let user = match (found, reason) {
        (Some(user), None) => user,
        (_, reason) => {
            audit::record(
                db,
                entry.details(json!({ "reason": reason, "recent_failures": recent_failures })),
            )
            .await
            .map_err(internal)?;
            return Err(AppError::InvalidCredentials);
        }
    };
    let family = tokens::random_id();
    let issued = issue(db, settings, &user, &family).await?;
    user::Entity::update_many()
        .col_expr(user::Column::LastLoginAt, Expr::value(Utc::now()))
        .filter(user::Column::Id.eq(user.id))
        .exec(db)
        .await
        .map_err(internal)?;
    audit::record(
        db,
        AuditEntry::new("login", Outcome::Success)
            .actor(Some(user.id), user.username.clone())
            .from_ip(ip)
            .target(user.username.clone())
            .details(json!({ "session": family })),
    )
    .await
    .map_err(internal)?;
    Ok(issued)
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
pub async fn refresh(
    db: &DatabaseConnection,
    settings: &AuthSettings,
    presented: &str,
    ip: Option<String>,
    grace: Option<Duration>,
) -> Result<IssuedTokens, AppError> {
    let now = Utc::now();
    let row = refresh_token::Entity::find()
        .filter(refresh_token::Column::TokenHash.eq(tokens::digest(presented)))
        .one(db)
        .await
        .map_err(internal)?;
    let Some(row) = row else {
        audit::record(
            db,
            AuditEntry::new("refresh", Outcome::Failure)
                .from_ip(ip)
                .details(json!({ "reason": "unknown_token" })),
        )
        .await
        .map_err(internal)?;
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
        audit::record(
            db,
            AuditEntry::new("refresh_reuse", Outcome::Failure)
                .actor(Some(row.user_id), owner_name)
                .from_ip(ip)
                .details(json!({ "session": row.family_id })),
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
pub async fn logout(
    db: &DatabaseConnection,
    user: &CurrentUser,
    ip: Option<String>,
) -> Result<(), AppError> {
    if let Credential::Session { session } = &user.credential {
        revoke_family(db, session).await?;
    }
    audit::record(
        db,
        AuditEntry::new("logout", Outcome::Success)
            .actor(Some(user.id), user.username.clone())
            .from_ip(ip),
    )
    .await
    .map_err(internal)
}

/// Resolves an access token into the current user, checking that the user is enabled, the
/// token's version is current and its session has not been revoked.
pub async fn authenticate_access(
    db: &DatabaseConnection,
    settings: &AuthSettings,
    token: &str,
) -> Result<Result<CurrentUser, Rejection>, AppError> {
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

/// Resolves an API token. Its permissions are its own scope, set when it was created.
pub async fn authenticate_api_token(
    db: &DatabaseConnection,
    token: &str,
) -> Result<Result<CurrentUser, Rejection>, AppError> {
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
    let permissions =
        serde_json::from_value::<Vec<Permission>>(found.permissions.clone()).unwrap_or_default();
    Ok(Ok(CurrentUser {
        id: found.created_by.unwrap_or_default(),
        username: format!("token:{}", found.name),
        display_name: Some(found.name),
        roles: Vec::new(),
        permissions,
        credential: Credential::ApiToken { token_id: found.id },
        source_ip: None,
    }))
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
