//! Authentication: password hashing now; tokens and role-based access control build on it.

pub mod password;
