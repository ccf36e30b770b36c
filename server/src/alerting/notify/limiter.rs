//! Per-channel token buckets: a channel allowing N messages a minute holds up to N tokens and
//! gains one every 60/N seconds. A message without a token waits; nothing is dropped.

use std::collections::HashMap;
use std::time::Duration;

use tokio::time::Instant;

struct Bucket {
    tokens: f64,
    rate: i32,
    at: Instant,
}

#[derive(Default)]
pub struct Limiter {
    buckets: HashMap<i32, Bucket>,
}

impl Limiter {
    /// Takes a token of `channel` (allowing `rate` a minute), or answers how long until one.
    pub fn take(&mut self, channel: i32, rate: i32, now: Instant) -> Result<(), Duration> {
        let rate = rate.max(1);
        let capacity = f64::from(rate);
        let per_sec = capacity / 60.0;
        let b = self.buckets.entry(channel).or_insert(Bucket {
            tokens: capacity,
            rate,
            at: now,
        });
        if b.rate != rate {
            b.rate = rate;
            b.tokens = b.tokens.min(capacity);
        }
        b.tokens =
            (b.tokens + now.saturating_duration_since(b.at).as_secs_f64() * per_sec).min(capacity);
        b.at = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - b.tokens) / per_sec))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_bucket_then_one_token_per_interval() {
        let mut l = Limiter::default();
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(l.take(1, 3, t0).is_ok());
        }
        let wait = l.take(1, 3, t0).unwrap_err();
        assert_eq!(wait.as_secs(), 20, "three a minute: one every 20 s");
        assert!(l.take(1, 3, t0 + Duration::from_secs(19)).is_err());
        assert!(l.take(1, 3, t0 + Duration::from_secs(21)).is_ok());
        assert!(
            l.take(2, 3, t0).is_ok(),
            "channels have buckets of their own"
        );
    }
}
