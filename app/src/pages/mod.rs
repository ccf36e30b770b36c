//! One page per route.

mod admin;
mod alerts;
mod dashboard;
mod events;
mod forbidden;
mod login;
mod not_found;
mod reports;
mod rules;

pub use admin::{AdminAuditPage, AdminPage, AdminRolesPage, AdminTokensPage, AdminUsersPage};
pub use alerts::{AlertDetailPage, AlertsPage};
pub use dashboard::DashboardPage;
pub use events::{EventDetailPage, EventsPage, LiveTailPage};
pub use forbidden::ForbiddenPage;
pub use login::LoginPage;
pub use not_found::NotFoundPage;
pub use reports::ReportsPage;
pub use rules::{RuleEditPage, RuleEditorPage, RuleImportPage, RulesPage};
