//! Server functions for the Admin pages: each calls the same service method as its REST
//! counterpart, so permission checks, validation and auditing happen once.

use leptos::prelude::*;
use server_fn::codec::Json;

use crate::error::AppError;
use crate::model::accounts::{
    ApiTokenView, AuditPage, AuditQuery, CreatedApiToken, CreatedUser, NewApiToken, NewRole,
    NewUser, PasswordResetResult, RoleUpdate, RoleView, UserSummary, UserUpdate,
};

#[server(prefix = "/api/fn", endpoint = "admin_list_users")]
pub async fn admin_list_users() -> Result<Vec<UserSummary>, AppError> {
    let user = super::current_user()?;
    super::respond(super::service()?.list_users(&user).await)
}

#[server(prefix = "/api/fn", endpoint = "admin_create_user", input = Json)]
pub async fn admin_create_user(new: NewUser) -> Result<CreatedUser, AppError> {
    let user = super::current_user()?;
    super::respond(super::service()?.create_user(&user, new).await)
}

#[server(prefix = "/api/fn", endpoint = "admin_update_user", input = Json)]
pub async fn admin_update_user(id: i32, update: UserUpdate) -> Result<UserSummary, AppError> {
    let user = super::current_user()?;
    super::respond(super::service()?.update_user(&user, id, update).await)
}

#[server(prefix = "/api/fn", endpoint = "admin_reset_password", input = Json)]
pub async fn admin_reset_password(id: i32) -> Result<PasswordResetResult, AppError> {
    let user = super::current_user()?;
    let reset = crate::model::accounts::PasswordReset { password: None };
    super::respond(super::service()?.reset_password(&user, id, reset).await)
}

#[server(prefix = "/api/fn", endpoint = "admin_list_roles")]
pub async fn admin_list_roles() -> Result<Vec<RoleView>, AppError> {
    let user = super::current_user()?;
    super::respond(super::service()?.list_roles(&user).await)
}

#[server(prefix = "/api/fn", endpoint = "admin_create_role", input = Json)]
pub async fn admin_create_role(new: NewRole) -> Result<RoleView, AppError> {
    let user = super::current_user()?;
    super::respond(super::service()?.create_role(&user, new).await)
}

#[server(prefix = "/api/fn", endpoint = "admin_update_role", input = Json)]
pub async fn admin_update_role(id: i32, update: RoleUpdate) -> Result<RoleView, AppError> {
    let user = super::current_user()?;
    super::respond(super::service()?.update_role(&user, id, update).await)
}

#[server(prefix = "/api/fn", endpoint = "admin_delete_role", input = Json)]
pub async fn admin_delete_role(id: i32) -> Result<(), AppError> {
    let user = super::current_user()?;
    super::respond(super::service()?.delete_role(&user, id).await)
}

#[server(prefix = "/api/fn", endpoint = "admin_list_tokens")]
pub async fn admin_list_tokens() -> Result<Vec<ApiTokenView>, AppError> {
    let user = super::current_user()?;
    super::respond(super::service()?.list_tokens(&user).await)
}

#[server(prefix = "/api/fn", endpoint = "admin_create_token", input = Json)]
pub async fn admin_create_token(new: NewApiToken) -> Result<CreatedApiToken, AppError> {
    let user = super::current_user()?;
    super::respond(super::service()?.create_token(&user, new).await)
}

#[server(prefix = "/api/fn", endpoint = "admin_revoke_token", input = Json)]
pub async fn admin_revoke_token(id: i32) -> Result<ApiTokenView, AppError> {
    let user = super::current_user()?;
    super::respond(super::service()?.revoke_token(&user, id).await)
}

#[server(prefix = "/api/fn", endpoint = "admin_audit", input = Json)]
pub async fn admin_audit(query: AuditQuery) -> Result<AuditPage, AppError> {
    let user = super::current_user()?;
    super::respond(super::service()?.audit_log(&user, query).await)
}
