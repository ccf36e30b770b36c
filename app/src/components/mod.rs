//! Reusable pieces of the interface, one per file.

mod empty_state;
mod main_nav;
mod stat_card;

pub use empty_state::EmptyState;
pub use main_nav::MainNav;
pub use stat_card::StatCard;
