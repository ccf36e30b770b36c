//! Page frames shared by many routes.

mod app_layout;

pub use app_layout::{AppLayout, CurrentUserResource, Frame};
