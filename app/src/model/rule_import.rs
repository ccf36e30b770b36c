//! Sigma import as API clients and the rules page see it: files in, one result per file out
//! (what it imported, what it refused and why, its warnings), and the use case.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::auth::CurrentUser;
use crate::error::AppError;

/// One uploaded Sigma file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ImportFile {
    /// The file's name, echoed in its result.
    #[serde(default)]
    pub name: Option<String>,
    /// The Sigma YAML (one or more documents).
    pub yaml: String,
}

/// Several files in one JSON request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ImportRequest {
    pub files: Vec<ImportFile>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ImportedRule {
    pub id: i32,
    pub name: String,
    /// False for a correlation rule Vigil does not evaluate (see the file's warnings).
    pub enabled: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RefusedRule {
    /// The Sigma title, when the document got far enough to have one.
    pub title: Option<String>,
    pub reason: String,
}

/// What became of one file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct FileResult {
    pub file: Option<String>,
    pub imported: Vec<ImportedRule>,
    pub refused: Vec<RefusedRule>,
    pub warnings: Vec<String>,
}

/// One result per file, in the order sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ImportResult {
    pub files: Vec<FileResult>,
}

/// The Sigma import use case; `rules.write`.
#[async_trait]
pub trait RuleImportService: Send + Sync {
    /// Imports Sigma files as `sigma` rules, one result per file in the order given; 1 to 500
    /// files.
    async fn import_rules(
        &self,
        user: &CurrentUser,
        files: Vec<ImportFile>,
    ) -> Result<ImportResult, AppError>;
}
