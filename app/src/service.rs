//! The service port: the use cases the backend implements, called by server functions and REST
//! handlers alike so that validation, authorization and queries live in one place.

use std::sync::Arc;

use async_trait::async_trait;

use crate::error::AppError;
use crate::model::SystemStatus;
use crate::model::accounts::{
    ApiTokenView, AuditPage, AuditQuery, CreatedApiToken, CreatedUser, NewApiToken, NewRole,
    NewUser, PasswordReset, PasswordResetResult, RoleUpdate, RoleView, UserSummary, UserUpdate,
};
use crate::model::auth::CurrentUser;
use crate::model::events::{Event, EventPage, EventQuery};

/// Vigil's use cases. Alerts and rules have traits of their own, beside their wire types.
#[async_trait]
pub trait VigilService:
    crate::model::alerts::AlertsService
    + crate::model::rules::RulesService
    + crate::model::events::EventBrowserService
    + crate::model::notifications::NotificationsService
    + crate::model::backtest::BacktestService
    + crate::model::rule_import::RuleImportService
    + Send
    + Sync
    + 'static
{
    /// A snapshot of the instance for the dashboard; needs `events.read`.
    async fn system_status(&self, user: &CurrentUser) -> Result<SystemStatus, AppError>;

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

    /// Reads the audit log, newest first; `audit.read`.
    async fn audit_log(&self, user: &CurrentUser, query: AuditQuery)
    -> Result<AuditPage, AppError>;

    /// Finds stored events, newest first, one page at a time; `events.read`. Unreadable
    /// filters are `BadRequest` naming the parameter.
    async fn search_events(
        &self,
        user: &CurrentUser,
        query: EventQuery,
    ) -> Result<EventPage, AppError>;
    /// One stored event; `events.read`.
    async fn get_event(&self, user: &CurrentUser, id: i64) -> Result<Event, AppError>;
}

/// How the port travels through contexts and application state.
pub type SharedService = Arc<dyn VigilService>;
