//! Settings of the ingest pipeline and its sources: the watched directory, syslog listeners,
//! batching.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use clap::Args;
use serde::Deserialize;

use super::{ConfigError, non_empty_path, parse, pick, positive};
use crate::parse::ParserKind;

/// Ingestion flags; each has a `VIGIL_*` environment equivalent.
#[derive(Debug, Clone, Default, Args)]
pub struct IngestArgs {
    /// Directory watched for log files, or `off` [default: DATA_DIR/inbox].
    #[arg(long, env = "VIGIL_WATCH_DIR", global = true, value_name = "DIR")]
    pub watch_dir: Option<String>,
    /// Comma-separated glob patterns, relative to the watched directory, of the files to read
    /// [default: **/*].
    #[arg(
        long,
        env = "VIGIL_WATCH_PATTERNS",
        global = true,
        value_name = "GLOBS"
    )]
    pub watch_patterns: Option<String>,
    /// `tail` keeps reading appended lines and follows rotation; `drop` reads each file once and
    /// moves it to DATA_DIR/processed [default: tail].
    #[arg(long, env = "VIGIL_WATCH_MODE", global = true, value_name = "MODE")]
    pub watch_mode: Option<String>,
    /// Six-field cron schedule (with seconds) of the full rescan [default: */10 * * * * *].
    #[arg(long, env = "VIGIL_WATCH_SCHEDULE", global = true, value_name = "CRON")]
    pub watch_schedule: Option<String>,
    /// Milliseconds a final line without a newline waits before it is stored as it is
    /// [default: 2000].
    #[arg(
        long,
        env = "VIGIL_WATCH_IDLE_FLUSH_MS",
        global = true,
        value_name = "MS"
    )]
    pub watch_idle_flush_ms: Option<String>,
    /// Parser for the watched files: auto, syslog, apache, json, cef, kv, zeek or raw
    /// [default: auto].
    #[arg(long, env = "VIGIL_WATCH_PARSER", global = true, value_name = "KIND")]
    pub watch_parser: Option<String>,
    /// UDP address for syslog, or `off` [default: 127.0.0.1:5514].
    #[arg(long, env = "VIGIL_SYSLOG_UDP", global = true, value_name = "ADDR")]
    pub syslog_udp: Option<String>,
    /// TCP address for syslog (newline or octet-counting framing), or `off`
    /// [default: 127.0.0.1:5514].
    #[arg(long, env = "VIGIL_SYSLOG_TCP", global = true, value_name = "ADDR")]
    pub syslog_tcp: Option<String>,
    /// Most TCP syslog connections open at once, from everyone together [default: 1024].
    #[arg(
        long,
        env = "VIGIL_SYSLOG_TCP_MAX_CONNECTIONS",
        global = true,
        value_name = "N"
    )]
    pub syslog_tcp_max_connections: Option<String>,
    /// Most TCP syslog connections open at once from one address (an IPv6 /64 counts as one
    /// address) [default: 32].
    #[arg(
        long,
        env = "VIGIL_SYSLOG_TCP_MAX_PER_ADDRESS",
        global = true,
        value_name = "N"
    )]
    pub syslog_tcp_max_per_address: Option<String>,
    /// Seconds a TCP syslog connection may stay silent before it is closed [default: 300].
    #[arg(
        long,
        env = "VIGIL_SYSLOG_TCP_IDLE_TIMEOUT_SECS",
        global = true,
        value_name = "SECONDS"
    )]
    pub syslog_tcp_idle_timeout_secs: Option<String>,
    /// Parser for syslog messages [default: auto].
    #[arg(long, env = "VIGIL_SYSLOG_PARSER", global = true, value_name = "KIND")]
    pub syslog_parser: Option<String>,
    /// Largest number of events written in one transaction [default: 5000].
    #[arg(long, env = "VIGIL_INGEST_BATCH_SIZE", global = true, value_name = "N")]
    pub ingest_batch_size: Option<String>,
    /// Milliseconds a partly filled batch waits before it is written [default: 250].
    #[arg(long, env = "VIGIL_INGEST_FLUSH_MS", global = true, value_name = "MS")]
    pub ingest_flush_ms: Option<String>,
    /// Most live group keys one detection rule keeps; at the cap the oldest tenth is evicted
    /// [default: 100000].
    #[arg(long, env = "VIGIL_DETECT_MAX_KEYS", global = true, value_name = "N")]
    pub detect_max_keys: Option<String>,
}

/// The `[ingest]` table of the configuration file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct IngestFile {
    watch_dir: Option<String>,
    watch_patterns: Option<Vec<String>>,
    watch_mode: Option<String>,
    watch_schedule: Option<String>,
    watch_idle_flush_ms: Option<u64>,
    watch_parser: Option<String>,
    syslog_udp: Option<String>,
    syslog_tcp: Option<String>,
    syslog_parser: Option<String>,
    syslog_tcp_max_connections: Option<u32>,
    syslog_tcp_max_per_address: Option<u32>,
    syslog_tcp_idle_timeout_secs: Option<u64>,
    ingest_batch_size: Option<u32>,
    ingest_flush_ms: Option<u64>,
    detect_max_keys: Option<u32>,
}

/// What the watched directory does with a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WatchMode {
    /// Keep reading appended lines; follow rotation.
    Tail,
    /// Read once, then move to the processed directory.
    Drop,
}

/// The watched directory.
#[derive(Debug, Clone)]
pub struct WatchConfig {
    pub dir: PathBuf,
    pub patterns: Vec<String>,
    pub mode: WatchMode,
    pub schedule: String,
    pub idle_flush: Duration,
    pub parser: ParserKind,
    pub processed_dir: PathBuf,
    /// Never read, even when the watched directory contains it ([`crate::data_dir`]).
    pub secrets_dir: PathBuf,
}

/// Validated ingestion settings.
#[derive(Debug, Clone)]
pub struct IngestConfig {
    pub watch: Option<WatchConfig>,
    pub syslog_udp: Option<SocketAddr>,
    pub syslog_tcp: Option<SocketAddr>,
    pub syslog_parser: ParserKind,
    pub syslog_tcp_limits: SyslogTcpLimits,
    pub batch_size: usize,
    pub flush_interval: Duration,
    pub detect: crate::detect::Settings,
}

/// What one sender, and everyone together, may hold open on the TCP syslog listener.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyslogTcpLimits {
    pub max_connections: usize,
    /// Per address; an IPv6 /64 counts as one address.
    pub max_per_address: usize,
    /// A connection that sends nothing for this long is closed.
    pub idle_timeout: Duration,
}

impl Default for SyslogTcpLimits {
    fn default() -> Self {
        Self {
            max_connections: 1024,
            max_per_address: 32,
            idle_timeout: Duration::from_secs(300),
        }
    }
}

impl Default for IngestConfig {
    fn default() -> Self {
        Self {
            watch: None,
            syslog_udp: None,
            syslog_tcp: None,
            syslog_parser: ParserKind::Auto,
            syslog_tcp_limits: SyslogTcpLimits::default(),
            batch_size: 5000,
            flush_interval: Duration::from_millis(250),
            detect: crate::detect::Settings::default(),
        }
    }
}

fn address_or_off(v: &str) -> Result<Option<SocketAddr>, String> {
    let v = v.trim();
    if v.eq_ignore_ascii_case("off") {
        Ok(None)
    } else {
        v.parse::<SocketAddr>()
            .map(Some)
            .map_err(|e| format!("{e} (expected HOST:PORT or `off`)"))
    }
}

fn parser_kind(v: &str) -> Result<ParserKind, String> {
    ParserKind::from_str(v).map_err(|e| e.to_string())
}

fn millis(min: u64, max: u64) -> impl Fn(&str) -> Result<Duration, String> {
    move |v: &str| match v.trim().parse::<u64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(Duration::from_millis(n)),
        Ok(_) => Err(format!("must be between {min} and {max}")),
        Err(e) => Err(e.to_string()),
    }
}

/// Checks a six-field cron expression the way the scheduler will read it.
fn cron(v: &str) -> Result<String, String> {
    let v = v.trim();
    if v.split_whitespace().count() != 6 {
        return Err("expected six fields, seconds first, e.g. `*/10 * * * * *`".into());
    }
    tokio_cron_scheduler::Job::new_async(v, |_, _| Box::pin(async {}))
        .map(|_| v.to_string())
        .map_err(|e| e.to_string())
}

fn patterns(v: &str) -> Result<Vec<String>, String> {
    let list: Vec<String> = v
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .collect();
    if list.is_empty() {
        return Err("must name at least one pattern".into());
    }
    for p in &list {
        globset::Glob::new(p).map_err(|e| format!("{p:?}: {e}"))?;
    }
    Ok(list)
}

impl IngestConfig {
    pub(super) fn load(
        args: &IngestArgs,
        file: IngestFile,
        file_path: Option<&Path>,
        data_dir: &Path,
    ) -> Result<Self, ConfigError> {
        let watch_dir = parse(
            "watch_dir",
            pick(
                "watch_dir",
                args.watch_dir.as_ref(),
                file.watch_dir,
                file_path,
            ),
            || Some(data_dir.join("inbox")),
            |v| {
                if v.trim().eq_ignore_ascii_case("off") {
                    Ok(None)
                } else {
                    non_empty_path(v).map(Some)
                }
            },
        )?;
        let watch_patterns = parse(
            "watch_patterns",
            pick(
                "watch_patterns",
                args.watch_patterns.as_ref(),
                file.watch_patterns.map(|v| v.join(",")),
                file_path,
            ),
            || vec!["**/*".to_string()],
            patterns,
        )?;
        let watch_mode = parse(
            "watch_mode",
            pick(
                "watch_mode",
                args.watch_mode.as_ref(),
                file.watch_mode,
                file_path,
            ),
            || WatchMode::Tail,
            |v| match v.trim().to_ascii_lowercase().as_str() {
                "tail" => Ok(WatchMode::Tail),
                "drop" => Ok(WatchMode::Drop),
                _ => Err("expected `tail` or `drop`".into()),
            },
        )?;
        let watch_schedule = parse(
            "watch_schedule",
            pick(
                "watch_schedule",
                args.watch_schedule.as_ref(),
                file.watch_schedule,
                file_path,
            ),
            || "*/10 * * * * *".to_string(),
            cron,
        )?;
        let watch_idle_flush = parse(
            "watch_idle_flush_ms",
            pick(
                "watch_idle_flush_ms",
                args.watch_idle_flush_ms.as_ref(),
                file.watch_idle_flush_ms.map(|n| n.to_string()),
                file_path,
            ),
            || Duration::from_secs(2),
            millis(10, 3_600_000),
        )?;
        let watch_parser = parse(
            "watch_parser",
            pick(
                "watch_parser",
                args.watch_parser.as_ref(),
                file.watch_parser,
                file_path,
            ),
            || ParserKind::Auto,
            parser_kind,
        )?;
        let syslog_udp = parse(
            "syslog_udp",
            pick(
                "syslog_udp",
                args.syslog_udp.as_ref(),
                file.syslog_udp,
                file_path,
            ),
            || Some(SocketAddr::from(([127, 0, 0, 1], 5514))),
            address_or_off,
        )?;
        let syslog_tcp = parse(
            "syslog_tcp",
            pick(
                "syslog_tcp",
                args.syslog_tcp.as_ref(),
                file.syslog_tcp,
                file_path,
            ),
            || Some(SocketAddr::from(([127, 0, 0, 1], 5514))),
            address_or_off,
        )?;
        let syslog_parser = parse(
            "syslog_parser",
            pick(
                "syslog_parser",
                args.syslog_parser.as_ref(),
                file.syslog_parser,
                file_path,
            ),
            || ParserKind::Auto,
            parser_kind,
        )?;
        let limits = SyslogTcpLimits::default();
        let at_most = |max: u32| {
            move |v: &str| {
                let n = positive(v)?;
                if n > max {
                    Err(format!("must be at most {max}"))
                } else {
                    Ok(n as usize)
                }
            }
        };
        let max_connections = parse(
            "syslog_tcp_max_connections",
            pick(
                "syslog_tcp_max_connections",
                args.syslog_tcp_max_connections.as_ref(),
                file.syslog_tcp_max_connections.map(|n| n.to_string()),
                file_path,
            ),
            || limits.max_connections,
            at_most(1_000_000),
        )?;
        let max_per_address = parse(
            "syslog_tcp_max_per_address",
            pick(
                "syslog_tcp_max_per_address",
                args.syslog_tcp_max_per_address.as_ref(),
                file.syslog_tcp_max_per_address.map(|n| n.to_string()),
                file_path,
            ),
            || limits.max_per_address,
            at_most(1_000_000),
        )?;
        let idle_timeout = parse(
            "syslog_tcp_idle_timeout_secs",
            pick(
                "syslog_tcp_idle_timeout_secs",
                args.syslog_tcp_idle_timeout_secs.as_ref(),
                file.syslog_tcp_idle_timeout_secs.map(|n| n.to_string()),
                file_path,
            ),
            || limits.idle_timeout,
            |v| match v.trim().parse::<u64>() {
                Ok(n) if (1..=86_400).contains(&n) => Ok(Duration::from_secs(n)),
                Ok(_) => Err("must be between 1 and 86400".into()),
                Err(e) => Err(e.to_string()),
            },
        )?;
        let batch_size = parse(
            "ingest_batch_size",
            pick(
                "ingest_batch_size",
                args.ingest_batch_size.as_ref(),
                file.ingest_batch_size.map(|n| n.to_string()),
                file_path,
            ),
            || 5000,
            |v| {
                let n = positive(v)?;
                if n > 100_000 {
                    Err("must be at most 100000".into())
                } else {
                    Ok(n as usize)
                }
            },
        )?;
        let flush_interval = parse(
            "ingest_flush_ms",
            pick(
                "ingest_flush_ms",
                args.ingest_flush_ms.as_ref(),
                file.ingest_flush_ms.map(|n| n.to_string()),
                file_path,
            ),
            || Duration::from_millis(250),
            millis(1, 60_000),
        )?;
        let max_keys_per_rule = parse(
            "detect_max_keys",
            pick(
                "detect_max_keys",
                args.detect_max_keys.as_ref(),
                file.detect_max_keys.map(|n| n.to_string()),
                file_path,
            ),
            || crate::detect::Settings::default().max_keys_per_rule,
            |v| {
                let n = positive(v)?;
                if n > 10_000_000 {
                    Err("must be at most 10000000".into())
                } else {
                    Ok(n as usize)
                }
            },
        )?;
        Ok(Self {
            watch: watch_dir.map(|dir| WatchConfig {
                dir,
                patterns: watch_patterns,
                mode: watch_mode,
                schedule: watch_schedule,
                idle_flush: watch_idle_flush,
                parser: watch_parser,
                processed_dir: data_dir.join("processed"),
                secrets_dir: crate::data_dir::secrets_dir(data_dir),
            }),
            syslog_udp,
            syslog_tcp,
            syslog_parser,
            syslog_tcp_limits: SyslogTcpLimits {
                max_connections,
                max_per_address,
                idle_timeout,
            },
            batch_size,
            flush_interval,
            detect: crate::detect::Settings {
                max_keys_per_rule,
                ..Default::default()
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Config, ConfigArgs};
    use super::*;

    fn load(ingest: IngestArgs) -> Result<Config, ConfigError> {
        Config::load(&ConfigArgs {
            ingest,
            ..ConfigArgs::default()
        })
    }

    #[test]
    fn defaults_watch_the_inbox_and_listen_for_syslog_on_loopback() {
        let cfg = load(IngestArgs::default()).unwrap().ingest;
        let watch = cfg.watch.unwrap();
        assert_eq!(watch.dir, PathBuf::from("data/inbox"));
        assert_eq!(watch.mode, WatchMode::Tail);
        assert_eq!(watch.processed_dir, PathBuf::from("data/processed"));
        assert_eq!(cfg.syslog_udp.unwrap().to_string(), "127.0.0.1:5514");
        assert_eq!(cfg.syslog_tcp.unwrap().to_string(), "127.0.0.1:5514");
        assert_eq!(cfg.batch_size, 5000);
        assert_eq!(cfg.syslog_tcp_limits.max_connections, 1024);
        assert_eq!(cfg.syslog_tcp_limits.max_per_address, 32);
        assert_eq!(cfg.syslog_tcp_limits.idle_timeout, Duration::from_secs(300));
    }

    #[test]
    fn off_disables_a_source() {
        let cfg = load(IngestArgs {
            watch_dir: Some("off".into()),
            syslog_udp: Some("OFF".into()),
            ..IngestArgs::default()
        })
        .unwrap()
        .ingest;
        assert!(cfg.watch.is_none());
        assert!(cfg.syslog_udp.is_none());
        assert!(cfg.syslog_tcp.is_some());
    }

    #[test]
    fn bad_values_name_their_key() {
        for (args, key) in [
            (
                IngestArgs {
                    watch_mode: Some("follow".into()),
                    ..IngestArgs::default()
                },
                "`watch_mode`",
            ),
            (
                IngestArgs {
                    watch_schedule: Some("*/10 * * * *".into()),
                    ..IngestArgs::default()
                },
                "`watch_schedule`",
            ),
            (
                IngestArgs {
                    watch_patterns: Some("[".into()),
                    ..IngestArgs::default()
                },
                "`watch_patterns`",
            ),
            (
                IngestArgs {
                    syslog_tcp: Some("localhost".into()),
                    ..IngestArgs::default()
                },
                "`syslog_tcp`",
            ),
            (
                IngestArgs {
                    watch_parser: Some("xml".into()),
                    ..IngestArgs::default()
                },
                "`watch_parser`",
            ),
            (
                IngestArgs {
                    syslog_tcp_max_per_address: Some("0".into()),
                    ..IngestArgs::default()
                },
                "`syslog_tcp_max_per_address`",
            ),
            (
                IngestArgs {
                    syslog_tcp_idle_timeout_secs: Some("never".into()),
                    ..IngestArgs::default()
                },
                "`syslog_tcp_idle_timeout_secs`",
            ),
            (
                IngestArgs {
                    ingest_batch_size: Some("0".into()),
                    ..IngestArgs::default()
                },
                "`ingest_batch_size`",
            ),
        ] {
            let err = load(args).unwrap_err().to_string();
            assert!(err.contains(key), "{err}");
        }
    }

    #[test]
    fn the_file_has_an_ingest_table() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vigil.toml");
        std::fs::write(
            &path,
            "[ingest]\nwatch_mode = \"drop\"\nwatch_patterns = [\"*.log\", \"*.gz\"]\n",
        )
        .unwrap();
        let cfg = Config::load(&ConfigArgs {
            config: Some(path.clone()),
            ..ConfigArgs::default()
        })
        .unwrap();
        let watch = cfg.ingest.watch.unwrap();
        assert_eq!(watch.mode, WatchMode::Drop);
        assert_eq!(watch.patterns, vec!["*.log", "*.gz"]);

        std::fs::write(&path, "[ingest]\nwatch_mod = \"drop\"\n").unwrap();
        let err = Config::load(&ConfigArgs {
            config: Some(path),
            ..ConfigArgs::default()
        })
        .unwrap_err()
        .to_string();
        assert!(err.contains("watch_mod"), "{err}");
    }
}
