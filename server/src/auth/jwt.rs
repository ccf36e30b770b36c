//! Access tokens: short-lived HS256 JWTs (RFC 8725). Verification accepts only the configured
//! algorithm and requires every registered claim Vigil issues, plus `typ = "access"`.

use std::time::Duration;

use chrono::Utc;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

/// The claims of an access token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessClaims {
    pub iss: String,
    pub aud: String,
    /// The user's id.
    pub sub: String,
    pub exp: i64,
    pub nbf: i64,
    pub iat: i64,
    pub jti: String,
    /// Always `access`: a token of another kind is never accepted where this one is.
    pub typ: String,
    /// The session (refresh-token family) the token belongs to; logout revokes it.
    pub sid: String,
    /// The user's token version when issued; a password, role or status change bumps it.
    pub ver: i32,
}

pub const ACCESS_TYP: &str = "access";
const ALGORITHM: Algorithm = Algorithm::HS256;

/// Signs and verifies access tokens with one secret.
#[derive(Clone)]
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    issuer: String,
    audience: String,
    ttl: Duration,
}

/// Why a token was refused; never shown to clients beyond "authentication required".
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("invalid token: {0}")]
    Invalid(#[from] jsonwebtoken::errors::Error),
    #[error("token of type {0:?} where an access token is required")]
    WrongType(String),
    #[error("malformed subject")]
    Subject,
}

impl JwtKeys {
    pub fn new(secret: &[u8], issuer: &str, audience: &str, ttl: Duration) -> Self {
        let mut validation = Validation::new(ALGORITHM);
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[audience]);
        validation.set_required_spec_claims(&["exp", "nbf", "iat", "iss", "aud", "sub", "jti"]);
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.leeway = 30;
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            issuer: issuer.to_string(),
            audience: audience.to_string(),
            ttl,
        }
    }

    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// Issues an access token for a user's session.
    pub fn issue(&self, user_id: i32, session: &str, version: i32) -> anyhow::Result<String> {
        let now = Utc::now().timestamp();
        let claims = AccessClaims {
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            sub: user_id.to_string(),
            exp: now + self.ttl.as_secs() as i64,
            nbf: now,
            iat: now,
            jti: super::tokens::random_id(),
            typ: ACCESS_TYP.to_string(),
            sid: session.to_string(),
            ver: version,
        };
        self.sign(&claims)
    }

    /// Signs arbitrary claims; `issue` is the normal way in, this serves tools and tests.
    pub fn sign(&self, claims: &AccessClaims) -> anyhow::Result<String> {
        jsonwebtoken::encode(&Header::new(ALGORITHM), claims, &self.encoding)
            .map_err(|e| anyhow::anyhow!("cannot sign access token: {e}"))
    }

    /// Verifies signature, algorithm, issuer, audience, time window and type.
    pub fn verify(&self, token: &str) -> Result<(i32, AccessClaims), TokenError> {
        let data = jsonwebtoken::decode::<AccessClaims>(token, &self.decoding, &self.validation)?;
        let claims = data.claims;
        if claims.typ != ACCESS_TYP {
            return Err(TokenError::WrongType(claims.typ));
        }
        let user_id = claims.sub.parse().map_err(|_| TokenError::Subject)?;
        Ok((user_id, claims))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    fn keys() -> JwtKeys {
        JwtKeys::new(&[7u8; 32], "vigil", "vigil", Duration::from_secs(900))
    }

    fn claims(keys: &JwtKeys) -> AccessClaims {
        let now = Utc::now().timestamp();
        AccessClaims {
            iss: keys.issuer.clone(),
            aud: keys.audience.clone(),
            sub: "42".into(),
            exp: now + 60,
            nbf: now,
            iat: now,
            jti: "j".into(),
            typ: ACCESS_TYP.into(),
            sid: "s".into(),
            ver: 0,
        }
    }

    #[test]
    fn issued_tokens_verify_and_carry_the_session() {
        let keys = keys();
        let token = keys.issue(42, "family", 3).unwrap();
        let (user, claims) = keys.verify(&token).unwrap();
        assert_eq!(user, 42);
        assert_eq!(claims.sid, "family");
        assert_eq!(claims.ver, 3);
        assert_eq!(claims.exp - claims.iat, 900);
    }

    #[test]
    fn expired_not_yet_valid_and_foreign_tokens_are_refused() {
        let keys = keys();
        let mut c = claims(&keys);
        c.exp = Utc::now().timestamp() - 120;
        assert!(keys.verify(&keys.sign(&c).unwrap()).is_err(), "expired");
        let mut c = claims(&keys);
        c.nbf = Utc::now().timestamp() + 600;
        assert!(
            keys.verify(&keys.sign(&c).unwrap()).is_err(),
            "not yet valid"
        );
        let mut c = claims(&keys);
        c.aud = "other".into();
        assert!(keys.verify(&keys.sign(&c).unwrap()).is_err(), "audience");
        let mut c = claims(&keys);
        c.iss = "other".into();
        assert!(keys.verify(&keys.sign(&c).unwrap()).is_err(), "issuer");
        let mut c = claims(&keys);
        c.typ = "refresh".into();
        assert!(matches!(
            keys.verify(&keys.sign(&c).unwrap()),
            Err(TokenError::WrongType(_))
        ));
        let other = JwtKeys::new(&[8u8; 32], "vigil", "vigil", Duration::from_secs(900));
        assert!(
            keys.verify(&other.issue(42, "s", 0).unwrap()).is_err(),
            "signature"
        );
    }

    #[test]
    fn unsigned_and_other_algorithm_tokens_are_refused() {
        let keys = keys();
        let good = keys.issue(42, "s", 0).unwrap();
        let payload = good.split('.').nth(1).unwrap();
        for alg in ["none", "None", "NONE", "HS512", "RS256"] {
            let header = URL_SAFE_NO_PAD.encode(format!(r#"{{"alg":"{alg}","typ":"JWT"}}"#));
            for token in [
                format!("{header}.{payload}."),
                format!("{header}.{payload}.c2ln"),
            ] {
                assert!(keys.verify(&token).is_err(), "alg {alg} accepted");
            }
        }
    }
}
