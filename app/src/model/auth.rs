//! Who is asking and what they may do: permissions are data, roles are sets of them.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// Everything Vigil can allow. Stored as its dotted name in `role_permissions`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum Permission {
    #[serde(rename = "events.read")]
    EventsRead,
    #[serde(rename = "alerts.read")]
    AlertsRead,
    #[serde(rename = "alerts.triage")]
    AlertsTriage,
    #[serde(rename = "rules.read")]
    RulesRead,
    #[serde(rename = "rules.write")]
    RulesWrite,
    #[serde(rename = "reports.read")]
    ReportsRead,
    #[serde(rename = "reports.create")]
    ReportsCreate,
    /// Read (and delete) every user's reports, not only one's own.
    #[serde(rename = "reports.read_all")]
    ReportsReadAll,
    #[serde(rename = "users.manage")]
    UsersManage,
    #[serde(rename = "roles.manage")]
    RolesManage,
    #[serde(rename = "tokens.manage")]
    TokensManage,
    #[serde(rename = "ingest.write")]
    IngestWrite,
    #[serde(rename = "audit.read")]
    AuditRead,
    #[serde(rename = "settings.manage")]
    SettingsManage,
}

impl Permission {
    pub const ALL: [Permission; 14] = [
        Self::EventsRead,
        Self::AlertsRead,
        Self::AlertsTriage,
        Self::RulesRead,
        Self::RulesWrite,
        Self::ReportsRead,
        Self::ReportsCreate,
        Self::ReportsReadAll,
        Self::UsersManage,
        Self::RolesManage,
        Self::TokensManage,
        Self::IngestWrite,
        Self::AuditRead,
        Self::SettingsManage,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::EventsRead => "events.read",
            Self::AlertsRead => "alerts.read",
            Self::AlertsTriage => "alerts.triage",
            Self::RulesRead => "rules.read",
            Self::RulesWrite => "rules.write",
            Self::ReportsRead => "reports.read",
            Self::ReportsCreate => "reports.create",
            Self::ReportsReadAll => "reports.read_all",
            Self::UsersManage => "users.manage",
            Self::RolesManage => "roles.manage",
            Self::TokensManage => "tokens.manage",
            Self::IngestWrite => "ingest.write",
            Self::AuditRead => "audit.read",
            Self::SettingsManage => "settings.manage",
        }
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Permission {
    type Err = AppError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| AppError::Invalid(format!("unknown permission {s:?}")))
    }
}

/// How the caller proved who they are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Credential {
    /// A signed-in person, with the session the access token belongs to.
    Session { session: String },
    /// A machine's API token.
    ApiToken { token_id: i32 },
}

/// The authenticated caller, as every use case sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CurrentUser {
    /// The user's id; for an API token, the id of the user who created it.
    pub id: i32,
    pub username: String,
    pub display_name: Option<String>,
    pub roles: Vec<String>,
    pub permissions: Vec<Permission>,
    pub credential: Credential,
    /// Where the request came from, for the audit log; not part of the wire format.
    #[serde(skip)]
    pub source_ip: Option<String>,
}

impl CurrentUser {
    pub fn can(&self, permission: Permission) -> bool {
        self.permissions.contains(&permission)
    }
}

/// `POST /api/v1/auth/login`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

/// `POST /api/v1/auth/refresh`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RefreshRequest {
    pub refresh_token: String,
}

/// A new access token and the refresh token that renews it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TokenResponse {
    pub access_token: String,
    /// Opaque; good for one refresh, then replaced.
    pub refresh_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: u64,
}

/// The one authorization check every adapter and use case calls.
pub fn require(user: &CurrentUser, permission: Permission) -> Result<(), AppError> {
    if user.can(permission) {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permission_names_round_trip_through_text_and_json() {
        for p in Permission::ALL {
            assert_eq!(p.as_str().parse::<Permission>().unwrap(), p);
            assert_eq!(serde_json::to_string(&p).unwrap(), format!("\"{p}\""));
        }
        assert!("events.write".parse::<Permission>().is_err());
    }

    #[test]
    fn require_allows_only_granted_permissions() {
        let user = CurrentUser {
            id: 1,
            username: "v".into(),
            display_name: None,
            roles: vec!["viewer".into()],
            permissions: vec![Permission::EventsRead],
            credential: Credential::Session {
                session: "s".into(),
            },
            source_ip: None,
        };
        assert!(require(&user, Permission::EventsRead).is_ok());
        assert_eq!(
            require(&user, Permission::UsersManage),
            Err(AppError::Forbidden)
        );
    }
}
