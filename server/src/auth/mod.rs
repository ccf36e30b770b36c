//! Authentication: password hashing, access tokens, opaque refresh and API tokens, the
//! signing key.

pub mod jwt;
pub mod keys;
pub mod password;
pub mod tokens;
