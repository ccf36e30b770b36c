//! Wire types: plain serde structs shared by the UI, the server functions and the REST API.
//! Database rows never cross this line; the backend converts them.

pub mod accounts;
pub mod alerts;
pub mod auth;
pub mod backtest;
pub mod dashboard;
pub mod events;
pub mod notice;
pub mod notifications;
pub mod reports;
pub mod rule_import;
pub mod rules;
pub mod system;

pub use system::{DatabaseBackend, SystemStatus};
