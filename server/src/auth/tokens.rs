//! Opaque secrets: refresh tokens and API tokens. Only their SHA-256 digest is stored, so a
//! leaked database does not leak usable tokens; the secrets are random, so no salt is needed.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// The prefix that marks an API token, so it can be told from a JWT at a glance.
pub const API_TOKEN_PREFIX: &str = "vgl_";

fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    rand::rng().fill_bytes(&mut bytes);
    bytes
}

/// A random identifier (128 bits), URL-safe.
pub fn random_id() -> String {
    URL_SAFE_NO_PAD.encode(random_bytes::<16>())
}

/// A new refresh token (256 bits).
pub fn new_refresh_token() -> String {
    URL_SAFE_NO_PAD.encode(random_bytes::<32>())
}

/// A new API token (256 bits) with its recognisable prefix.
pub fn new_api_token() -> String {
    format!(
        "{API_TOKEN_PREFIX}{}",
        URL_SAFE_NO_PAD.encode(random_bytes::<32>())
    )
}

/// The hex SHA-256 digest under which a secret is stored and looked up.
pub fn digest(secret: &str) -> String {
    let hash = Sha256::digest(secret.as_bytes());
    hash.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_random_and_stored_as_digests() {
        let a = new_refresh_token();
        assert_eq!(a.len(), 43);
        assert_ne!(a, new_refresh_token());
        let t = new_api_token();
        assert!(t.starts_with(API_TOKEN_PREFIX));
        assert_eq!(digest(&t).len(), 64);
        assert_eq!(digest(&t), digest(&t));
        assert_ne!(digest(&t), digest(&new_api_token()));
        assert_eq!(
            digest("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
