//! Creating users; the command line's `vigil user create` calls this.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set,
    TransactionTrait,
};

use super::unique::is_unique_violation;
use crate::auth::password;
use crate::store::{role, user, user_role};

/// Why a user could not be created.
#[derive(Debug, thiserror::Error)]
pub enum CreateUserError {
    #[error("username must be 1 to 64 characters of letters, digits, '.', '_' or '-'")]
    BadUsername,
    #[error("{0}")]
    Password(#[from] password::PolicyError),
    #[error("no role named {0:?}")]
    UnknownRole(String),
    #[error("a user named {0:?} already exists")]
    Exists(String),
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

impl From<sea_orm::DbErr> for CreateUserError {
    fn from(e: sea_orm::DbErr) -> Self {
        Self::Other(e.into())
    }
}

/// The names an account can have; sign-in refuses any other before looking it up.
pub(crate) fn valid_username(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// Creates an enabled user holding the named roles.
pub async fn create_user(
    db: &DatabaseConnection,
    username: &str,
    plain_password: &str,
    roles: &[String],
) -> Result<user::Model, CreateUserError> {
    if !valid_username(username) {
        return Err(CreateUserError::BadUsername);
    }
    password::check_policy(plain_password)?;
    let mut role_ids = Vec::with_capacity(roles.len());
    for name in roles {
        let found = role::Entity::find()
            .filter(role::Column::Name.eq(name.as_str()))
            .one(db)
            .await?
            .ok_or_else(|| CreateUserError::UnknownRole(name.clone()))?;
        role_ids.push(found.id);
    }
    let existing = user::Entity::find()
        .filter(user::Column::Username.eq(username))
        .one(db)
        .await?;
    if existing.is_some() {
        return Err(CreateUserError::Exists(username.to_string()));
    }
    let hash = password::hash_async(plain_password).await?;
    let now = Utc::now();
    let txn = db.begin().await?;
    // The check above saves hashing for a name already taken; the unique key decides races.
    let created = user::ActiveModel {
        username: Set(username.to_string()),
        password_hash: Set(hash),
        disabled: Set(false),
        token_version: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(|e| {
        if is_unique_violation(&e) {
            CreateUserError::Exists(username.to_string())
        } else {
            e.into()
        }
    })?;
    for role_id in role_ids {
        user_role::ActiveModel {
            user_id: Set(created.id),
            role_id: Set(role_id),
        }
        .insert(&txn)
        .await?;
    }
    txn.commit().await?;
    Ok(created)
}

/// Where the generated first password is written, readable by the owner only.
pub const INITIAL_ADMIN_PASSWORD_FILE: &str = "initial-admin-password";

/// On a database without users, creates `admin` with the configured password or a generated
/// one. Returns the generated password, which the caller shows once; it is also written to
/// [`INITIAL_ADMIN_PASSWORD_FILE`] in the secrets directory.
pub async fn bootstrap_admin(
    db: &DatabaseConnection,
    data_dir: &std::path::Path,
    configured: Option<String>,
) -> anyhow::Result<Option<String>> {
    use sea_orm::PaginatorTrait;
    if user::Entity::find().count(db).await? > 0 {
        return Ok(None);
    }
    let (secret, generated) = match configured {
        Some(p) => (p, false),
        None => (password::generate(24), true),
    };
    match create_user(db, "admin", &secret, &["admin".to_string()]).await {
        Ok(_) => {}
        Err(CreateUserError::Password(e)) => {
            anyhow::bail!("invalid value for `VIGIL_ADMIN_PASSWORD`: {e}")
        }
        Err(e) => return Err(e.into()),
    }
    if generated {
        let path = crate::data_dir::secrets_dir(data_dir).join(INITIAL_ADMIN_PASSWORD_FILE);
        crate::auth::keys::write_private(&path, format!("{secret}\n").as_bytes())?;
        Ok(Some(secret))
    } else {
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::valid_username;

    #[test]
    fn usernames_are_restricted_to_a_safe_alphabet() {
        assert!(valid_username("alice.smith-2"));
        assert!(!valid_username(""));
        assert!(!valid_username("a b"));
        assert!(!valid_username("<script>"));
        assert!(!valid_username(&"a".repeat(65)));
    }
}
