//! The service port: the use cases the backend implements, called by server functions and REST
//! handlers alike so that validation, authorization and queries live in one place. Each feature
//! has a trait of its own, beside its wire types; [`VigilService`] is all of them.

use std::sync::Arc;

/// Vigil's use cases: every feature's trait.
pub trait VigilService:
    crate::model::system::SystemService
    + crate::model::accounts::UsersService
    + crate::model::accounts::RolesService
    + crate::model::accounts::TokensService
    + crate::model::accounts::AuditService
    + crate::model::events::EventsService
    + crate::model::events::EventBrowserService
    + crate::model::alerts::AlertsService
    + crate::model::rules::RulesService
    + crate::model::notifications::NotificationsService
    + crate::model::backtest::BacktestService
    + crate::model::dashboard::DashboardService
    + crate::model::reports::ReportsService
    + crate::model::reports::ReportSchedulesService
    + crate::model::rule_import::RuleImportService
{
}

impl<T> VigilService for T where
    T: crate::model::system::SystemService
        + crate::model::accounts::UsersService
        + crate::model::accounts::RolesService
        + crate::model::accounts::TokensService
        + crate::model::accounts::AuditService
        + crate::model::events::EventsService
        + crate::model::events::EventBrowserService
        + crate::model::alerts::AlertsService
        + crate::model::rules::RulesService
        + crate::model::notifications::NotificationsService
        + crate::model::backtest::BacktestService
        + crate::model::dashboard::DashboardService
        + crate::model::reports::ReportsService
        + crate::model::reports::ReportSchedulesService
        + crate::model::rule_import::RuleImportService
{
}

/// How the port travels through contexts and application state.
pub type SharedService = Arc<dyn VigilService>;
