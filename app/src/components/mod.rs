//! Reusable pieces of the interface, one per file.

mod empty_state;
mod main_nav;
mod notice_line;
mod post_form;
mod severity_badge;
mod stat_card;
pub mod time;
mod user_menu;

pub use empty_state::EmptyState;
pub use main_nav::{ADMIN_PERMISSIONS, MainNav, may_open};
pub use notice_line::NoticeLine;
pub use post_form::{PageNotice, PostForm, optimistic_action, write_action};
pub use severity_badge::{SeverityBadge, StatusBadge, status_label};
pub use stat_card::StatCard;
pub use user_menu::UserMenu;
