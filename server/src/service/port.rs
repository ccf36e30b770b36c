//! The app's service port, implemented by delegating to the use cases in this module's files.

use async_trait::async_trait;

use app::error::AppError;
use app::model::SystemStatus;
use app::model::accounts::{
    ApiTokenView, AuditPage, AuditQuery, CreatedApiToken, CreatedUser, NewApiToken, NewRole,
    NewUser, PasswordReset, PasswordResetResult, RoleUpdate, RoleView, UserSummary, UserUpdate,
};
use app::model::auth::CurrentUser;
use app::model::events::{Event, EventPage, EventQuery};
use app::service::VigilService;

use super::Service;

#[async_trait]
impl VigilService for Service {
    async fn system_status(&self, user: &CurrentUser) -> Result<SystemStatus, AppError> {
        self.status(user).await
    }

    async fn list_users(&self, user: &CurrentUser) -> Result<Vec<UserSummary>, AppError> {
        self.users_list(user).await
    }

    async fn get_user(&self, user: &CurrentUser, id: i32) -> Result<UserSummary, AppError> {
        self.users_get(user, id).await
    }

    async fn create_user(&self, user: &CurrentUser, new: NewUser) -> Result<CreatedUser, AppError> {
        self.users_create(user, new).await
    }

    async fn update_user(
        &self,
        user: &CurrentUser,
        id: i32,
        update: UserUpdate,
    ) -> Result<UserSummary, AppError> {
        self.users_update(user, id, update).await
    }

    async fn reset_password(
        &self,
        user: &CurrentUser,
        id: i32,
        reset: PasswordReset,
    ) -> Result<PasswordResetResult, AppError> {
        self.users_reset_password(user, id, reset).await
    }

    async fn list_roles(&self, user: &CurrentUser) -> Result<Vec<RoleView>, AppError> {
        self.roles_list(user).await
    }

    async fn create_role(&self, user: &CurrentUser, new: NewRole) -> Result<RoleView, AppError> {
        self.roles_create(user, new).await
    }

    async fn update_role(
        &self,
        user: &CurrentUser,
        id: i32,
        update: RoleUpdate,
    ) -> Result<RoleView, AppError> {
        self.roles_update(user, id, update).await
    }

    async fn delete_role(&self, user: &CurrentUser, id: i32) -> Result<(), AppError> {
        self.roles_delete(user, id).await
    }

    async fn list_tokens(&self, user: &CurrentUser) -> Result<Vec<ApiTokenView>, AppError> {
        self.tokens_list(user).await
    }

    async fn create_token(
        &self,
        user: &CurrentUser,
        new: NewApiToken,
    ) -> Result<CreatedApiToken, AppError> {
        self.tokens_create(user, new).await
    }

    async fn revoke_token(&self, user: &CurrentUser, id: i32) -> Result<ApiTokenView, AppError> {
        self.tokens_revoke(user, id).await
    }

    async fn audit_log(
        &self,
        user: &CurrentUser,
        query: AuditQuery,
    ) -> Result<AuditPage, AppError> {
        self.audit_query(user, query).await
    }

    async fn search_events(
        &self,
        user: &CurrentUser,
        query: EventQuery,
    ) -> Result<EventPage, AppError> {
        self.events_search(user, query).await
    }

    async fn get_event(&self, user: &CurrentUser, id: i64) -> Result<Event, AppError> {
        self.events_get(user, id).await
    }
}
