//! Reusable pieces of the interface, one per file.

mod empty_state;
mod main_nav;
mod stat_card;
pub mod time;
mod user_menu;

pub use empty_state::EmptyState;
pub use main_nav::{ADMIN_PERMISSIONS, MainNav, may_open};
pub use stat_card::StatCard;
pub use user_menu::UserMenu;
