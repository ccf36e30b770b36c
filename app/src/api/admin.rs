//! Server functions for the Admin pages: each calls the same service method as its REST
//! counterpart, so permission checks, validation and auditing happen once. Writes take form
//! fields and answer a notice, so they work as plain form posts (see [`super::forms::reply`]).

use leptos::prelude::*;
use server_fn::codec::Json;

use crate::error::AppError;
use crate::model::accounts::{ApiTokenView, AuditPage, AuditQuery, RoleView, UserSummary};
#[cfg(feature = "ssr")]
use crate::model::accounts::{NewApiToken, NewRole, NewUser, RoleUpdate, UserUpdate};
#[cfg(feature = "ssr")]
use crate::model::auth::Permission;

#[server(prefix = "/api/fn", endpoint = "admin_list_users")]
pub async fn admin_list_users() -> Result<Vec<UserSummary>, AppError> {
    let user = super::current_user()?;
    super::respond(super::service()?.list_users(&user).await)
}

/// Creates a user with one role and a generated password, shown in the notice.
#[server(prefix = "/api/fn", endpoint = "admin_create_user")]
pub async fn admin_create_user(
    username: String,
    #[server(default)] display_name: String,
    role: String,
) -> Result<String, AppError> {
    let result = async {
        let user = super::current_user()?;
        let new = NewUser {
            username,
            password: None,
            display_name: Some(display_name).filter(|d| !d.trim().is_empty()),
            email: None,
            roles: vec![role],
        };
        let created = super::service()?.create_user(&user, new).await?;
        Ok(match created.generated_password {
            Some(p) => format!(
                "Created {}. Their password, shown only now: {p}",
                created.user.username
            ),
            None => format!("Created {}.", created.user.username),
        })
    }
    .await;
    super::forms::reply(result)
}

/// Gives a user one role (`role`), or disables or enables them (`disabled` is `true` or
/// `false`).
#[server(prefix = "/api/fn", endpoint = "admin_update_user")]
pub async fn admin_update_user(
    id: i32,
    #[server(default)] role: String,
    #[server(default)] disabled: String,
) -> Result<String, AppError> {
    let result = async {
        let user = super::current_user()?;
        let disabled = match disabled.as_str() {
            "" => None,
            "true" => Some(true),
            "false" => Some(false),
            other => {
                return Err(AppError::Invalid(format!(
                    "disabled: `{other}` is not true or false"
                )));
            }
        };
        let update = UserUpdate {
            roles: Some(vec![role]).filter(|r| !r[0].is_empty()),
            disabled,
            ..Default::default()
        };
        let saved = super::service()?.update_user(&user, id, update).await?;
        Ok(format!("Saved {}.", saved.username))
    }
    .await;
    super::forms::reply(result)
}

/// Gives a user a new generated password, shown in the notice.
#[server(prefix = "/api/fn", endpoint = "admin_reset_password")]
pub async fn admin_reset_password(id: i32) -> Result<String, AppError> {
    let result = async {
        let user = super::current_user()?;
        let reset = crate::model::accounts::PasswordReset { password: None };
        let r = super::service()?.reset_password(&user, id, reset).await?;
        Ok(match r.generated_password {
            Some(p) => format!("New password, shown only now: {p}"),
            None => "Password changed.".to_string(),
        })
    }
    .await;
    super::forms::reply(result)
}

#[server(prefix = "/api/fn", endpoint = "admin_list_roles")]
pub async fn admin_list_roles() -> Result<Vec<RoleView>, AppError> {
    let user = super::current_user()?;
    super::respond(super::service()?.list_roles(&user).await)
}

/// Creates a custom role without permissions.
#[server(prefix = "/api/fn", endpoint = "admin_create_role")]
pub async fn admin_create_role(name: String) -> Result<String, AppError> {
    let result = async {
        let user = super::current_user()?;
        let new = NewRole {
            name,
            description: None,
            permissions: vec![],
        };
        let role = super::service()?.create_role(&user, new).await?;
        Ok(format!("Created role {}.", role.name))
    }
    .await;
    super::forms::reply(result)
}

/// Sets a custom role's permissions to exactly those given (their dotted names).
#[server(prefix = "/api/fn", endpoint = "admin_update_role")]
pub async fn admin_update_role(
    id: i32,
    #[server(default)] permissions: Vec<String>,
) -> Result<String, AppError> {
    let result = async {
        let user = super::current_user()?;
        let permissions = permissions
            .iter()
            .map(|p| p.parse::<Permission>())
            .collect::<Result<Vec<_>, _>>()?;
        let update = RoleUpdate {
            description: None,
            permissions: Some(permissions),
        };
        let role = super::service()?.update_role(&user, id, update).await?;
        Ok(format!(
            "Saved role {}; its holders sign in again.",
            role.name
        ))
    }
    .await;
    super::forms::reply(result)
}

#[server(prefix = "/api/fn", endpoint = "admin_delete_role")]
pub async fn admin_delete_role(id: i32) -> Result<String, AppError> {
    let result = async {
        let user = super::current_user()?;
        super::service()?.delete_role(&user, id).await?;
        Ok("Deleted the role.".to_string())
    }
    .await;
    super::forms::reply(result)
}

#[server(prefix = "/api/fn", endpoint = "admin_list_tokens")]
pub async fn admin_list_tokens() -> Result<Vec<ApiTokenView>, AppError> {
    let user = super::current_user()?;
    super::respond(super::service()?.list_tokens(&user).await)
}

/// Creates an API token; its secret is in the notice, shown once. `expires` is a number of
/// days or `never`.
#[server(prefix = "/api/fn", endpoint = "admin_create_token")]
pub async fn admin_create_token(
    name: String,
    #[server(default)] expires: String,
    #[server(default)] permissions: Vec<String>,
) -> Result<String, AppError> {
    let result = async {
        let user = super::current_user()?;
        let permissions = permissions
            .iter()
            .map(|p| p.parse::<Permission>())
            .collect::<Result<Vec<_>, _>>()?;
        let expires_in_days = match expires.trim() {
            "" | "never" => None,
            days => Some(days.parse().map_err(|_| {
                AppError::Invalid(format!("expires: `{days}` is not a number of days"))
            })?),
        };
        let new = NewApiToken {
            name,
            permissions,
            expires_in_days,
        };
        let c = super::service()?.create_token(&user, new).await?;
        Ok(format!(
            "Token {} created. Copy it now, it is not shown again: {}",
            c.token.name, c.secret
        ))
    }
    .await;
    super::forms::reply(result)
}

#[server(prefix = "/api/fn", endpoint = "admin_revoke_token")]
pub async fn admin_revoke_token(id: i32) -> Result<String, AppError> {
    let result = async {
        let user = super::current_user()?;
        let t = super::service()?.revoke_token(&user, id).await?;
        Ok(format!("Revoked {}.", t.name))
    }
    .await;
    super::forms::reply(result)
}

#[server(prefix = "/api/fn", endpoint = "admin_audit", input = Json)]
pub async fn admin_audit(query: AuditQuery) -> Result<AuditPage, AppError> {
    let user = super::current_user()?;
    super::respond(super::service()?.audit_log(&user, query).await)
}
