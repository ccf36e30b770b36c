//! Password hashing with argon2id (OWASP parameters: 19 MiB, two passes, one lane) and the
//! policy: 12 to 128 characters, not a commonly used password, no composition rules.
//!
//! Hashing costs tens of milliseconds of CPU and 19 MiB, so request paths call [`hash_async`]
//! and [`verify_async`], which run it on the blocking pool, at most one per core at a time:
//! a burst of sign-ins then queues instead of stalling the async workers that serve HTTP and
//! syslog.

use std::sync::OnceLock;

use tokio::sync::Semaphore;

use argon2::{Algorithm, Argon2, Params, PasswordHasher, PasswordVerifier, Version};
use rand::Rng;

pub const MIN_LEN: usize = 12;
pub const MAX_LEN: usize = 128;

const M_COST_KIB: u32 = 19_456;
const T_COST: u32 = 2;
const P_COST: u32 = 1;

fn hasher() -> Argon2<'static> {
    let params = Params::new(M_COST_KIB, T_COST, P_COST, None).expect("static argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Why a password is refused.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    #[error("password must be at least {MIN_LEN} characters")]
    TooShort,
    #[error("password must be at most {MAX_LEN} characters")]
    TooLong,
    #[error("password is too common: choose one that is not on lists of leaked passwords")]
    Common,
}

/// Commonly used passwords long enough to pass the length rule (see `common_passwords/`).
const COMMON: &str = include_str!("common_passwords/list.txt");

fn is_common(password: &str) -> bool {
    let lowered = password.to_lowercase();
    COMMON.lines().any(|entry| entry == lowered)
}

/// Checks the policy; length counts characters, not bytes.
pub fn check_policy(password: &str) -> Result<(), PolicyError> {
    let len = password.chars().count();
    if len < MIN_LEN {
        Err(PolicyError::TooShort)
    } else if len > MAX_LEN {
        Err(PolicyError::TooLong)
    } else if is_common(password) {
        Err(PolicyError::Common)
    } else {
        Ok(())
    }
}

/// Hashes a password into a PHC string with a fresh random salt.
pub fn hash(password: &str) -> anyhow::Result<String> {
    hasher()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("cannot hash password: {e}"))
}

/// Whether `password` matches the stored PHC hash; a malformed hash never matches.
pub fn verify(password: &str, phc: &str) -> bool {
    hasher().verify_password(password.as_bytes(), phc).is_ok()
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
}

/// One permit per core: more parallel hashes would only compete for the same CPUs.
fn permits() -> &'static Semaphore {
    static PERMITS: OnceLock<Semaphore> = OnceLock::new();
    PERMITS.get_or_init(|| Semaphore::new(cores()))
}

/// Runs CPU-heavy `work` on the blocking pool once a permit is free.
async fn offload<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> anyhow::Result<T> {
    let _permit = permits()
        .acquire()
        .await
        .map_err(|e| anyhow::anyhow!("password hashing unavailable: {e}"))?;
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| anyhow::anyhow!("password hashing failed: {e}"))
}

/// [`hash`] off the async workers.
pub async fn hash_async(password: &str) -> anyhow::Result<String> {
    let password = password.to_owned();
    offload(move || hash(&password)).await?
}

/// [`verify`] off the async workers; a failure to run counts as no match.
pub async fn verify_async(password: &str, phc: &str) -> bool {
    let (password, phc) = (password.to_owned(), phc.to_owned());
    match offload(move || verify(&password, &phc)).await {
        Ok(matched) => matched,
        Err(e) => {
            tracing::error!(error = %e, "cannot verify password");
            false
        }
    }
}

/// A random password of `len` characters from an alphabet without look-alike characters.
pub fn generate(len: usize) -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    (0..len)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_is_argon2id_with_the_required_cost() {
        let phc = hash("correct horse battery").unwrap();
        assert!(phc.starts_with("$argon2id$v=19$"), "{phc}");
        assert!(phc.contains("m=19456,t=2,p=1"), "{phc}");
        assert!(verify("correct horse battery", &phc));
        assert!(!verify("correct horse batterY", &phc));
        assert!(!verify("anything", "not a hash"));
    }

    #[test]
    fn same_password_hashes_differently() {
        assert_ne!(
            hash("same password!").unwrap(),
            hash("same password!").unwrap()
        );
    }

    #[test]
    fn policy_counts_characters() {
        assert_eq!(check_policy("short"), Err(PolicyError::TooShort));
        assert_eq!(check_policy("ééééééééééé"), Err(PolicyError::TooShort));
        assert_eq!(check_policy("éééééééééééé"), Ok(()));
        assert_eq!(check_policy(&"x".repeat(128)), Ok(()));
        assert_eq!(check_policy(&"x".repeat(129)), Err(PolicyError::TooLong));
    }

    #[test]
    fn common_passwords_are_refused_in_any_case() {
        assert_eq!(check_policy("123456123456"), Err(PolicyError::Common));
        assert_eq!(
            check_policy("1234567890QWERTYUIOP"),
            Err(PolicyError::Common)
        );
        assert!(COMMON.lines().count() > 100);
        for entry in COMMON.lines() {
            assert_eq!(check_policy(entry), Err(PolicyError::Common), "{entry}");
        }
        assert_eq!(check_policy("correct horse battery staple"), Ok(()));
    }

    /// The work runs on another thread than the caller's: on a one-thread runtime it waits for
    /// a message that the caller's thread can only send while the work is in flight. Run
    /// inline, it would block the only thread and give up after its timeout.
    #[tokio::test(flavor = "current_thread")]
    async fn hashing_runs_off_the_async_thread() {
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let work = tokio::spawn(offload(move || {
            rx.recv_timeout(std::time::Duration::from_secs(30)).is_ok()
        }));
        tokio::task::yield_now().await;
        let _ = tx.send(());
        assert!(
            work.await.unwrap().unwrap(),
            "the work blocked the async thread"
        );
        let phc = hash_async("correct horse battery").await.unwrap();
        assert!(verify_async("correct horse battery", &phc).await);
        assert!(!verify_async("wrong horse battery", &phc).await);
    }

    /// With every core's permit taken, work waits; it runs once one is free.
    #[tokio::test(flavor = "current_thread")]
    async fn hashing_waits_for_a_free_core() {
        let held = permits().acquire_many(cores() as u32).await.unwrap();
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let work = tokio::spawn(offload(move || tx.send(()).is_ok()));
        tokio::task::yield_now().await;
        assert!(
            rx.recv_timeout(std::time::Duration::from_secs(2)).is_err(),
            "ran without a permit"
        );
        drop(held);
        assert!(work.await.unwrap().unwrap());
        assert!(rx.recv().is_ok());
    }

    #[test]
    fn generated_passwords_pass_the_policy() {
        let a = generate(24);
        assert_eq!(a.chars().count(), 24);
        assert_eq!(check_policy(&a), Ok(()));
        assert_ne!(a, generate(24));
    }
}
