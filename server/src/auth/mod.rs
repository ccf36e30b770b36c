//! Authentication: password hashing, access tokens, opaque refresh and API tokens, the
//! signing key, and sign-in throttling.

pub mod jwt;
pub mod keys;
pub mod password;
pub mod throttle;
pub mod tokens;
