//! Administration of users, roles, API tokens and the audit log, as the UI and API see it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::auth::{CurrentUser, Permission};
use crate::error::AppError;

/// A user as administrators see it; never carries the password hash.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct UserSummary {
    pub id: i32,
    pub username: String,
    pub display_name: Option<String>,
    pub email: Option<String>,
    pub disabled: bool,
    pub roles: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub last_login_at: Option<DateTime<Utc>>,
}

/// `POST /api/v1/accounts/users`. Without a password, one is generated and returned once.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NewUser {
    pub username: String,
    #[serde(default)]
    pub password: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    pub roles: Vec<String>,
}

/// A created user, with the generated password when one was generated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CreatedUser {
    pub user: UserSummary,
    pub generated_password: Option<String>,
}

/// `PATCH /api/v1/accounts/users/{id}`: only the given fields change. Changing roles or
/// disabling ends the user's sessions.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct UserUpdate {
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub roles: Option<Vec<String>>,
    #[serde(default)]
    pub disabled: Option<bool>,
}

/// `POST /api/v1/accounts/users/{id}/password`. Without a password, one is generated.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PasswordReset {
    #[serde(default)]
    pub password: Option<String>,
}

/// The outcome of a password reset: the generated password, shown once, when one was made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PasswordResetResult {
    pub generated_password: Option<String>,
}

/// A role with its permissions and how many users hold it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RoleView {
    pub id: i32,
    pub name: String,
    pub description: Option<String>,
    /// Built-in roles cannot be changed or deleted.
    pub builtin: bool,
    pub permissions: Vec<Permission>,
    pub users: u64,
}

/// `POST /api/v1/accounts/roles`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NewRole {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    pub permissions: Vec<Permission>,
}

/// `PATCH /api/v1/accounts/roles/{id}`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RoleUpdate {
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub permissions: Option<Vec<Permission>>,
}

/// An API token as listed; the secret is never shown again after creation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ApiTokenView {
    pub id: i32,
    pub name: String,
    /// The first characters of the secret, to tell tokens apart.
    pub prefix: String,
    pub permissions: Vec<Permission>,
    pub created_by: Option<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// `POST /api/v1/accounts/tokens`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NewApiToken {
    pub name: String,
    pub permissions: Vec<Permission>,
    /// Days until the token stops working; none means it works until revoked.
    #[serde(default)]
    pub expires_in_days: Option<u32>,
}

/// A created API token with its secret, shown only this once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CreatedApiToken {
    pub token: ApiTokenView,
    pub secret: String,
}

/// One audit log record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AuditRecord {
    pub id: i64,
    pub timestamp: DateTime<Utc>,
    pub actor: Option<String>,
    pub source_ip: Option<String>,
    pub action: String,
    pub target: Option<String>,
    pub outcome: String,
    #[cfg_attr(feature = "ssr", schema(value_type = Object))]
    pub details: serde_json::Value,
}

/// Filters for `GET /api/v1/audit`; all optional.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::IntoParams, utoipa::ToSchema))]
pub struct AuditQuery {
    /// Who acted (exact username).
    #[serde(default)]
    pub actor: Option<String>,
    /// The action, e.g. `login` or `user_update`.
    #[serde(default)]
    pub action: Option<String>,
    /// `success` or `failure`.
    #[serde(default)]
    pub outcome: Option<String>,
    /// Records at or after this instant (RFC 3339).
    #[serde(default)]
    pub from: Option<DateTime<Utc>>,
    /// Records before this instant (RFC 3339).
    #[serde(default)]
    pub to: Option<DateTime<Utc>>,
    /// Page size, 1 to 500 (default 100).
    #[serde(default)]
    pub limit: Option<u64>,
    /// Continue after this cursor (from the previous page).
    #[serde(default)]
    pub cursor: Option<i64>,
}

/// A page of audit records, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AuditPage {
    pub items: Vec<AuditRecord>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<i64>,
}

/// User administration; implemented by the server.
#[async_trait::async_trait]
pub trait UsersService: Send + Sync + 'static {
    /// All users; `users.manage`.
    async fn list_users(&self, user: &CurrentUser) -> Result<Vec<UserSummary>, AppError>;
    /// One user; `users.manage`.
    async fn get_user(&self, user: &CurrentUser, id: i32) -> Result<UserSummary, AppError>;
    /// Creates a user; `users.manage`.
    async fn create_user(&self, user: &CurrentUser, new: NewUser) -> Result<CreatedUser, AppError>;
    /// Changes a user; `users.manage`. Role changes and disabling end the user's sessions.
    async fn update_user(
        &self,
        user: &CurrentUser,
        id: i32,
        update: UserUpdate,
    ) -> Result<UserSummary, AppError>;
    /// Sets a new password and ends the user's sessions; `users.manage`.
    async fn reset_password(
        &self,
        user: &CurrentUser,
        id: i32,
        reset: PasswordReset,
    ) -> Result<PasswordResetResult, AppError>;
}

/// Role administration; implemented by the server.
#[async_trait::async_trait]
pub trait RolesService: Send + Sync + 'static {
    /// All roles; `roles.manage` or `users.manage` (to assign them).
    async fn list_roles(&self, user: &CurrentUser) -> Result<Vec<RoleView>, AppError>;
    /// Creates a custom role; `roles.manage`.
    async fn create_role(&self, user: &CurrentUser, new: NewRole) -> Result<RoleView, AppError>;
    /// Changes a custom role; `roles.manage`. Its holders' sessions end.
    async fn update_role(
        &self,
        user: &CurrentUser,
        id: i32,
        update: RoleUpdate,
    ) -> Result<RoleView, AppError>;
    /// Deletes a custom role; `roles.manage`. Its holders' sessions end.
    async fn delete_role(&self, user: &CurrentUser, id: i32) -> Result<(), AppError>;
}

/// API token administration; implemented by the server.
#[async_trait::async_trait]
pub trait TokensService: Send + Sync + 'static {
    /// All API tokens; `tokens.manage`.
    async fn list_tokens(&self, user: &CurrentUser) -> Result<Vec<ApiTokenView>, AppError>;
    /// Creates an API token and returns its secret once; `tokens.manage`.
    async fn create_token(
        &self,
        user: &CurrentUser,
        new: NewApiToken,
    ) -> Result<CreatedApiToken, AppError>;
    /// Revokes an API token; `tokens.manage`.
    async fn revoke_token(&self, user: &CurrentUser, id: i32) -> Result<ApiTokenView, AppError>;
}

/// Reading the audit trail; implemented by the server.
#[async_trait::async_trait]
pub trait AuditService: Send + Sync + 'static {
    /// Reads the audit log, newest first; `audit.read`.
    async fn audit_log(&self, user: &CurrentUser, query: AuditQuery)
    -> Result<AuditPage, AppError>;
}
