//! Sign-in throttling: exponential backoff per (account, client address), and a ceiling on the
//! failures one account may take from everywhere together.
//!
//! Every attempt is counted as a failure *before* its password is verified and forgiven when it
//! succeeds, all under one lock, so parallel requests cannot get more guesses than sequential
//! ones. An attacker hammering an account from one address slows down only that address: the
//! owner signing in from elsewhere is unaffected until the account's ceiling is reached. Above
//! the ceiling, only addresses that signed in to the account successfully before may still try
//! (each with its own backoff); everyone else waits for the ceiling's window to end.
//!
//! Accounts that do not exist are throttled by their (lowercased) name the same way, so the
//! answers do not tell which accounts exist. State lives in memory, in bounded LRU maps: a
//! restart forgets it, and a flood of distinct keys evicts the least recently used entries.

use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use hashlink::LruCache;

/// The key that rate limits and throttles count a client under: an IPv4 address, or the /64
/// an IPv6 address belongs to, since one subscriber usually holds a whole /64.
pub fn address_key(ip: IpAddr) -> String {
    match ip.to_canonical() {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let s = v6.segments();
            let net = std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0);
            format!("{net}/64")
        }
    }
}

/// [`address_key`] of an address in text, `unknown` when there is none.
pub fn key_of(ip: Option<&str>) -> String {
    ip.and_then(|ip| ip.parse::<IpAddr>().ok())
        .map_or_else(|| "unknown".to_string(), address_key)
}

/// What a sign-in attempt is about: an existing account, or a name that matches none.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Subject {
    Account(i32),
    Unknown(String),
}

/// The numbers the throttle works with.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Failures per (account, address) before backoff starts.
    pub free_failures: u32,
    /// The first backoff; each further failure doubles it, up to `max_delay`.
    pub base_delay: Duration,
    pub max_delay: Duration,
    /// A pair that has not failed for this long starts afresh.
    pub forget_after: Duration,
    /// Failures per account from all addresses together within `ceiling_window`.
    pub account_ceiling: u32,
    pub ceiling_window: Duration,
    /// How long a successful sign-in keeps its address allowed above the ceiling.
    pub known_for: Duration,
    /// Entries kept per map.
    pub capacity: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            free_failures: 5,
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(15 * 60),
            forget_after: Duration::from_secs(24 * 3600),
            account_ceiling: 50,
            ceiling_window: Duration::from_secs(15 * 60),
            known_for: Duration::from_secs(30 * 86_400),
            capacity: 50_000,
        }
    }
}

/// Why an attempt may not be made now, and in how many seconds to retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// This address failed too often for this account.
    Backoff(u64),
    /// The account took too many failures from everywhere.
    Ceiling(u64),
}

impl Refusal {
    pub fn retry_after(self) -> u64 {
        match self {
            Self::Backoff(s) | Self::Ceiling(s) => s,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Backoff(_) => "backoff",
            Self::Ceiling(_) => "ceiling",
        }
    }
}

/// A counted attempt; hand it back to [`LoginThrottle::succeeded`] when the password was right.
#[derive(Debug)]
#[must_use]
pub struct Attempt {
    subject: Subject,
    client: String,
}

#[derive(Debug, Clone, Copy)]
struct Pair {
    failures: u32,
    last: Instant,
}

#[derive(Debug, Clone)]
struct Account {
    window_start: Instant,
    failures: u32,
    /// Addresses that signed in successfully, with when they last did.
    known: Vec<(String, Instant)>,
}

struct Inner {
    pairs: LruCache<(Subject, String), Pair>,
    accounts: LruCache<Subject, Account>,
}

/// The throttle shared by every sign-in path.
pub struct LoginThrottle {
    limits: Limits,
    inner: Mutex<Inner>,
}

const KNOWN_PER_ACCOUNT: usize = 8;

fn seconds_until(deadline: Instant, now: Instant) -> u64 {
    let left = deadline.saturating_duration_since(now);
    (left.as_secs() + u64::from(left.subsec_nanos() > 0)).max(1)
}

impl LoginThrottle {
    pub fn new(limits: Limits) -> Self {
        Self {
            limits,
            inner: Mutex::new(Inner {
                pairs: LruCache::new(limits.capacity),
                accounts: LruCache::new(limits.capacity),
            }),
        }
    }

    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// The wait after `failures` failures of one pair (at least `free_failures`).
    fn delay(&self, failures: u32) -> Duration {
        let over = failures.saturating_sub(self.limits.free_failures).min(30);
        self.limits
            .base_delay
            .saturating_mul(1 << over)
            .min(self.limits.max_delay)
    }

    /// Counts an attempt by `client` on `subject` as a failure, or refuses it.
    pub fn begin(&self, subject: Subject, client: &str, now: Instant) -> Result<Attempt, Refusal> {
        let limits = self.limits;
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let pair_key = (subject.clone(), client.to_string());
        let pair = inner
            .pairs
            .get(&pair_key)
            .copied()
            .filter(|p| now.saturating_duration_since(p.last) < limits.forget_after);
        if let Some(p) = pair
            && p.failures >= limits.free_failures
        {
            let allowed_at = p.last + self.delay(p.failures);
            if now < allowed_at {
                return Err(Refusal::Backoff(seconds_until(allowed_at, now)));
            }
        }
        let mut account = inner
            .accounts
            .get(&subject)
            .cloned()
            .unwrap_or_else(|| Account {
                window_start: now,
                failures: 0,
                known: Vec::new(),
            });
        if now.saturating_duration_since(account.window_start) >= limits.ceiling_window {
            account.window_start = now;
            account.failures = 0;
        }
        account
            .known
            .retain(|(_, at)| now.saturating_duration_since(*at) < limits.known_for);
        let known = account.known.iter().any(|(c, _)| c == client);
        if account.failures >= limits.account_ceiling && !known {
            let reopens = account.window_start + limits.ceiling_window;
            return Err(Refusal::Ceiling(seconds_until(reopens, now)));
        }
        account.failures += 1;
        inner.accounts.insert(subject.clone(), account);
        let failures = pair.map_or(0, |p| p.failures) + 1;
        inner.pairs.insert(
            pair_key,
            Pair {
                failures,
                last: now,
            },
        );
        Ok(Attempt {
            subject,
            client: client.to_string(),
        })
    }

    /// Forgives a counted attempt whose password was right, and remembers its address.
    pub fn succeeded(&self, attempt: Attempt, now: Instant) {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        inner
            .pairs
            .remove(&(attempt.subject.clone(), attempt.client.clone()));
        if let Some(account) = inner.accounts.get_mut(&attempt.subject) {
            account.failures = account.failures.saturating_sub(1);
            account.known.retain(|(c, _)| *c != attempt.client);
            if account.known.len() >= KNOWN_PER_ACCOUNT {
                account.known.remove(0);
            }
            account.known.push((attempt.client, now));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn throttle(ceiling: u32) -> LoginThrottle {
        LoginThrottle::new(Limits {
            account_ceiling: ceiling,
            ..Limits::default()
        })
    }

    const ALICE: Subject = Subject::Account(1);

    #[test]
    fn ipv6_callers_share_a_key_per_64() {
        let key = |s: &str| address_key(s.parse().unwrap());
        assert_eq!(key("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
        assert_eq!(key("2001:db8:1:2:ffff::9"), "2001:db8:1:2::/64");
        assert_eq!(key("2001:db8:1:3::1"), "2001:db8:1:3::/64");
        assert_eq!(key("::ffff:192.0.2.1"), "192.0.2.1");
        assert_eq!(key("192.0.2.1"), "192.0.2.1");
        assert_eq!(key_of(Some("2001:db8::1")), "2001:db8::/64");
        assert_eq!(key_of(None), "unknown");
    }

    #[test]
    fn five_failures_then_doubling_waits_for_that_address_only() {
        let t = throttle(1000);
        let t0 = Instant::now();
        for _ in 0..5 {
            let _ = t.begin(ALICE, "203.0.113.1", t0).unwrap();
        }
        assert_eq!(
            t.begin(ALICE, "203.0.113.1", t0).unwrap_err(),
            Refusal::Backoff(1)
        );
        // The owner elsewhere is not slowed down.
        let owner = t.begin(ALICE, "198.51.100.2", t0).unwrap();
        t.succeeded(owner, t0);
        // After the wait, one more try; then the wait doubles: 1 s, 2 s, 4 s...
        let mut now = t0 + Duration::from_secs(1);
        for wait in [2, 4, 8, 16] {
            let _ = t.begin(ALICE, "203.0.113.1", now).unwrap();
            assert_eq!(
                t.begin(ALICE, "203.0.113.1", now).unwrap_err(),
                Refusal::Backoff(wait)
            );
            now += Duration::from_secs(wait);
        }
        // A day of quiet and the pair starts afresh.
        let later = now + Duration::from_secs(24 * 3600);
        for _ in 0..5 {
            let _ = t.begin(ALICE, "203.0.113.1", later).unwrap();
        }
    }

    #[test]
    fn the_wait_stops_growing_at_the_maximum() {
        let t = throttle(u32::MAX);
        let mut now = Instant::now();
        for _ in 0..40 {
            let _ = t.begin(ALICE, "a", now).unwrap();
            now += Duration::from_secs(3600);
        }
        let refusal = t
            .begin(ALICE, "a", now - Duration::from_secs(3600))
            .unwrap_err();
        assert_eq!(refusal, Refusal::Backoff(15 * 60));
    }

    #[test]
    fn success_forgives_the_attempt() {
        let t = throttle(1000);
        let t0 = Instant::now();
        for _ in 0..4 {
            let _ = t.begin(ALICE, "a", t0).unwrap();
        }
        let ok = t.begin(ALICE, "a", t0).unwrap();
        t.succeeded(ok, t0);
        for _ in 0..5 {
            let _ = t.begin(ALICE, "a", t0).unwrap();
        }
    }

    #[test]
    fn the_ceiling_stops_new_addresses_but_not_known_ones() {
        let t = throttle(10);
        let t0 = Instant::now();
        let ok = t.begin(ALICE, "home", t0).unwrap();
        t.succeeded(ok, t0);
        for i in 0..10 {
            let _ = t.begin(ALICE, &format!("bot{i}"), t0).unwrap();
        }
        assert_eq!(
            t.begin(ALICE, "elsewhere", t0).unwrap_err(),
            Refusal::Ceiling(15 * 60)
        );
        assert!(t.begin(ALICE, "home", t0).is_ok(), "known address");
        // Other accounts have their own ceiling; the window ends and the account reopens.
        assert!(t.begin(Subject::Account(2), "elsewhere", t0).is_ok());
        let later = t0 + Duration::from_secs(15 * 60);
        assert!(t.begin(ALICE, "elsewhere", later).is_ok());
    }

    #[test]
    fn unknown_names_are_throttled_like_accounts() {
        let t = throttle(1000);
        let t0 = Instant::now();
        let ghost = Subject::Unknown("ghost".into());
        for _ in 0..5 {
            let _ = t.begin(ghost.clone(), "a", t0).unwrap();
        }
        assert_eq!(t.begin(ghost, "a", t0).unwrap_err(), Refusal::Backoff(1));
    }

    #[test]
    fn the_maps_are_bounded() {
        let t = LoginThrottle::new(Limits {
            capacity: 100,
            ..Limits::default()
        });
        let t0 = Instant::now();
        for i in 0..10_000 {
            let _ = t.begin(Subject::Unknown(format!("n{i}")), "a", t0).unwrap();
        }
        let inner = t.inner.lock().unwrap();
        assert_eq!(inner.pairs.len(), 100);
        assert_eq!(inner.accounts.len(), 100);
    }
}
