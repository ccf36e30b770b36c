//! Settings of notification delivery: Vigil's public address (for links) and the worker's
//! retries, timeouts and polling.

use std::path::Path;
use std::time::Duration;

use clap::Args;
use serde::Deserialize;

use super::{ConfigError, parse, pick};
use crate::alerting::notify::Settings;

/// Notification flags; each has a `VIGIL_*` environment equivalent.
#[derive(Debug, Clone, Default, Args)]
pub struct NotifyArgs {
    /// Vigil's address as people reach it, used in notification links
    /// [default: http://LISTEN].
    #[arg(long, env = "VIGIL_PUBLIC_URL", global = true, value_name = "URL")]
    pub public_url: Option<String>,
    /// Milliseconds before the first retry of a failed notification; each further retry
    /// waits twice as long [default: 1000].
    #[arg(
        long,
        env = "VIGIL_NOTIFY_RETRY_BASE_MS",
        global = true,
        value_name = "MS"
    )]
    pub notify_retry_base_ms: Option<String>,
    /// Longest wait between two attempts, in milliseconds [default: 300000].
    #[arg(
        long,
        env = "VIGIL_NOTIFY_RETRY_CAP_MS",
        global = true,
        value_name = "MS"
    )]
    pub notify_retry_cap_ms: Option<String>,
    /// Attempts before a notification is given up and marked failed [default: 20].
    #[arg(
        long,
        env = "VIGIL_NOTIFY_MAX_ATTEMPTS",
        global = true,
        value_name = "N"
    )]
    pub notify_max_attempts: Option<String>,
    /// Seconds one webhook request or SMTP step may take [default: 10].
    #[arg(
        long,
        env = "VIGIL_NOTIFY_TIMEOUT_SECS",
        global = true,
        value_name = "SECONDS"
    )]
    pub notify_timeout_secs: Option<String>,
    /// Milliseconds between looks at the outbox when nothing wakes the worker [default: 5000].
    #[arg(long, env = "VIGIL_NOTIFY_POLL_MS", global = true, value_name = "MS")]
    pub notify_poll_ms: Option<String>,
}

/// The `[notify]` table of the configuration file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct NotifyFile {
    public_url: Option<String>,
    notify_retry_base_ms: Option<u64>,
    notify_retry_cap_ms: Option<u64>,
    notify_max_attempts: Option<u32>,
    notify_timeout_secs: Option<u64>,
    notify_poll_ms: Option<u64>,
}

fn number(min: u64, max: u64) -> impl Fn(&str) -> Result<u64, String> {
    move |v: &str| match v.trim().parse::<u64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        Ok(_) => Err(format!("must be between {min} and {max}")),
        Err(e) => Err(e.to_string()),
    }
}

pub(super) fn load(
    args: &NotifyArgs,
    file: NotifyFile,
    file_path: Option<&Path>,
    listen: std::net::SocketAddr,
) -> Result<Settings, ConfigError> {
    let defaults = Settings::default();
    let public_url = parse(
        "public_url",
        pick(
            "public_url",
            args.public_url.as_ref(),
            file.public_url,
            file_path,
        ),
        || format!("http://{listen}"),
        |v| {
            let v = v.trim().trim_end_matches('/');
            match url::Url::parse(v) {
                Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => {
                    Ok(v.to_string())
                }
                _ => {
                    Err("expected an http:// or https:// URL like https://siem.example.com".into())
                }
            }
        },
    )?;
    let retry_base = parse(
        "notify_retry_base_ms",
        pick(
            "notify_retry_base_ms",
            args.notify_retry_base_ms.as_ref(),
            file.notify_retry_base_ms.map(|n| n.to_string()),
            file_path,
        ),
        || defaults.retry_base.as_millis() as u64,
        number(10, 3_600_000),
    )?;
    let retry_cap = parse(
        "notify_retry_cap_ms",
        pick(
            "notify_retry_cap_ms",
            args.notify_retry_cap_ms.as_ref(),
            file.notify_retry_cap_ms.map(|n| n.to_string()),
            file_path,
        ),
        || defaults.retry_cap.as_millis() as u64,
        number(10, 86_400_000),
    )?;
    let max_attempts = parse(
        "notify_max_attempts",
        pick(
            "notify_max_attempts",
            args.notify_max_attempts.as_ref(),
            file.notify_max_attempts.map(|n| n.to_string()),
            file_path,
        ),
        || u64::from(defaults.max_attempts),
        number(1, 1000),
    )?;
    let timeout = parse(
        "notify_timeout_secs",
        pick(
            "notify_timeout_secs",
            args.notify_timeout_secs.as_ref(),
            file.notify_timeout_secs.map(|n| n.to_string()),
            file_path,
        ),
        || defaults.send_timeout.as_secs(),
        number(1, 300),
    )?;
    let poll = parse(
        "notify_poll_ms",
        pick(
            "notify_poll_ms",
            args.notify_poll_ms.as_ref(),
            file.notify_poll_ms.map(|n| n.to_string()),
            file_path,
        ),
        || defaults.poll.as_millis() as u64,
        number(50, 600_000),
    )?;
    Ok(Settings {
        public_url,
        retry_base: Duration::from_millis(retry_base),
        retry_cap: Duration::from_millis(retry_cap.max(retry_base)),
        max_attempts: max_attempts as u32,
        send_timeout: Duration::from_secs(timeout),
        poll: Duration::from_millis(poll),
    })
}

#[cfg(test)]
mod tests {
    use super::super::{Config, ConfigArgs};
    use super::NotifyArgs;

    fn with(notify: NotifyArgs) -> ConfigArgs {
        ConfigArgs {
            notify,
            ..ConfigArgs::default()
        }
    }

    #[test]
    fn links_point_at_the_listen_address_by_default() {
        let cfg = Config::load(&ConfigArgs::default()).unwrap();
        assert_eq!(cfg.notify.public_url, "http://127.0.0.1:3000");
        assert_eq!(cfg.notify.retry_base.as_millis(), 1000);
        assert_eq!(cfg.notify.retry_cap.as_secs(), 300);
        assert_eq!(cfg.notify.max_attempts, 20);
        let cfg = Config::load(&with(NotifyArgs {
            public_url: Some("https://siem.example.com/".into()),
            ..NotifyArgs::default()
        }))
        .unwrap();
        assert_eq!(cfg.notify.public_url, "https://siem.example.com");
    }

    #[test]
    fn bad_values_name_their_key() {
        for (args, key) in [
            (
                NotifyArgs {
                    public_url: Some("siem.example.com".into()),
                    ..NotifyArgs::default()
                },
                "`public_url`",
            ),
            (
                NotifyArgs {
                    notify_max_attempts: Some("0".into()),
                    ..NotifyArgs::default()
                },
                "`notify_max_attempts`",
            ),
            (
                NotifyArgs {
                    notify_retry_base_ms: Some("soon".into()),
                    ..NotifyArgs::default()
                },
                "`notify_retry_base_ms`",
            ),
        ] {
            let err = Config::load(&with(args)).unwrap_err().to_string();
            assert!(err.contains(key), "{err}");
        }
    }
}
