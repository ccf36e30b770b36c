//! Vigil's typed configuration: defaults, then an optional TOML file, then `VIGIL_*` environment
//! variables, then command-line flags. Parsed and validated once at start-up; a bad value stops
//! start-up with a message naming the key.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use clap::Args;
use serde::Deserialize;

pub mod ingest;
pub mod notify;
pub mod reports;

pub use ingest::{IngestArgs, IngestConfig, SyslogTcpLimits, WatchConfig, WatchMode};

/// Options common to every subcommand. Each flag has a `VIGIL_*` environment equivalent, which
/// clap applies when the flag is absent.
#[derive(Debug, Clone, Default, Args)]
pub struct ConfigArgs {
    /// TOML configuration file; the environment and flags override what it says.
    #[arg(long, env = "VIGIL_CONFIG", global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Address the web interface and API listen on [default: 127.0.0.1:3000].
    #[arg(long, env = "VIGIL_LISTEN", global = true, value_name = "ADDR")]
    pub listen: Option<String>,
    /// Directory for the embedded database, keys and ingested files [default: ./data].
    #[arg(long, env = "VIGIL_DATA_DIR", global = true, value_name = "DIR")]
    pub data_dir: Option<String>,
    /// Database URL: `sqlite://PATH` or `mysql://USER:PASS@HOST:PORT/DB` [default:
    /// sqlite://DATA_DIR/vigil.db].
    #[arg(long, env = "VIGIL_DATABASE_URL", global = true, value_name = "URL")]
    pub database_url: Option<String>,
    /// Largest number of pooled database connections [default: 10].
    #[arg(
        long,
        env = "VIGIL_DB_MAX_CONNECTIONS",
        global = true,
        value_name = "N"
    )]
    pub db_max_connections: Option<String>,
    /// Directory for the daily-rotated log files [default: DATA_DIR/logs].
    #[arg(long, env = "VIGIL_LOG_DIR", global = true, value_name = "DIR")]
    pub log_dir: Option<String>,
    /// Log line format on the console and in files: `text` or `json` [default: text].
    #[arg(long, env = "VIGIL_LOG_FORMAT", global = true, value_name = "FORMAT")]
    pub log_format: Option<String>,
    /// Log filter, e.g. `info` or `vigil=debug,sea_orm=warn` [default: info].
    #[arg(long, env = "VIGIL_LOG_LEVEL", global = true, value_name = "FILTER")]
    pub log_level: Option<String>,
    /// Number of daily log files to keep [default: 14].
    #[arg(long, env = "VIGIL_LOG_KEEP", global = true, value_name = "N")]
    pub log_keep: Option<String>,
    /// Directory holding the built site (WebAssembly, JavaScript, CSS, assets) [default:
    /// LEPTOS_SITE_ROOT, else target/site].
    #[arg(long, env = "VIGIL_SITE_ROOT", global = true, value_name = "DIR")]
    pub site_root: Option<String>,
    /// Secret (at least 32 characters) that signs access tokens [default: generated once and
    /// kept in DATA_DIR/secrets/jwt-signing.key].
    #[arg(
        long,
        env = "VIGIL_JWT_SECRET",
        global = true,
        value_name = "SECRET",
        hide_env_values = true
    )]
    pub jwt_secret: Option<String>,
    /// Lifetime of access tokens in seconds, 60 to 86400 [default: 900].
    #[arg(
        long,
        env = "VIGIL_ACCESS_TOKEN_TTL",
        global = true,
        value_name = "SECONDS"
    )]
    pub access_token_ttl: Option<String>,
    /// Lifetime of refresh tokens (and browser sessions) in seconds [default: 604800].
    #[arg(
        long,
        env = "VIGIL_REFRESH_TOKEN_TTL",
        global = true,
        value_name = "SECONDS"
    )]
    pub refresh_token_ttl: Option<String>,
    /// Mark session cookies Secure (HTTPS only): `true` or `false` [default: true unless
    /// listening on a loopback address].
    #[arg(long, env = "VIGIL_COOKIE_SECURE", global = true, value_name = "BOOL")]
    pub cookie_secure: Option<String>,
    /// Sign-in requests allowed per client address per minute [default: 20].
    #[arg(long, env = "VIGIL_AUTH_RATE_LIMIT", global = true, value_name = "N")]
    pub auth_rate_limit: Option<String>,
    /// Origins allowed to call the API from a browser, comma-separated [default: none].
    #[arg(
        long,
        env = "VIGIL_CORS_ALLOWED_ORIGINS",
        global = true,
        value_name = "ORIGINS"
    )]
    pub cors_allowed_origins: Option<String>,
    /// Proxies whose `X-Forwarded-For` names the client, as CIDR blocks, comma-separated
    /// [default: none, the header is ignored].
    #[arg(
        long,
        env = "VIGIL_TRUSTED_PROXIES",
        global = true,
        value_name = "CIDRS"
    )]
    pub trusted_proxies: Option<String>,
    /// Bearer token (at least 16 characters) that `/metrics` requires; without one, `/metrics`
    /// answers 401 to everyone [default: none].
    #[arg(
        long,
        env = "VIGIL_METRICS_TOKEN",
        global = true,
        value_name = "TOKEN",
        hide_env_values = true
    )]
    pub metrics_token: Option<String>,
    #[command(flatten)]
    pub ingest: IngestArgs,
    #[command(flatten)]
    pub notify: notify::NotifyArgs,
    #[command(flatten)]
    pub reports: reports::ReportArgs,
}

/// The configuration file; every key is optional and unknown keys are an error.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    listen: Option<String>,
    data_dir: Option<String>,
    database_url: Option<String>,
    db_max_connections: Option<u32>,
    log_dir: Option<String>,
    log_format: Option<String>,
    log_level: Option<String>,
    log_keep: Option<u32>,
    site_root: Option<String>,
    jwt_secret: Option<String>,
    access_token_ttl: Option<u64>,
    refresh_token_ttl: Option<u64>,
    cookie_secure: Option<bool>,
    auth_rate_limit: Option<u32>,
    cors_allowed_origins: Option<Vec<String>>,
    trusted_proxies: Option<Vec<String>>,
    metrics_token: Option<String>,
    ingest: Option<ingest::IngestFile>,
    notify: Option<notify::NotifyFile>,
    reports: Option<reports::ReportFile>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// Where the database lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseKind {
    Sqlite,
    Mysql,
}

/// The validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    pub database_url: String,
    pub database_kind: DatabaseKind,
    pub db_max_connections: u32,
    pub log_dir: PathBuf,
    pub log_format: LogFormat,
    pub log_level: String,
    pub log_keep: u32,
    pub site_root: PathBuf,
    pub jwt_secret: Option<String>,
    pub access_token_ttl: std::time::Duration,
    pub refresh_token_ttl: std::time::Duration,
    pub cookie_secure: bool,
    pub auth_rate_limit: u32,
    pub cors_allowed_origins: Vec<String>,
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// The token `/metrics` requires; `None` closes `/metrics`.
    pub metrics_token: Option<String>,
    pub ingest: IngestConfig,
    /// Notification delivery.
    pub notify: crate::alerting::notify::Settings,
    /// Report generation and retention.
    pub reports: crate::jobs::Settings,
}

/// A configuration value that cannot be used, naming the key and where it came from.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("invalid value for `{key}` ({origin}): {value:?}: {reason}")]
    Invalid {
        key: &'static str,
        origin: String,
        value: String,
        reason: String,
    },
    #[error("cannot read config file {path}: {reason}")]
    File { path: PathBuf, reason: String },
}

/// A value and where it came from, for error messages.
struct Sourced {
    value: String,
    origin: String,
}

fn pick(
    key: &'static str,
    flag: Option<&String>,
    file: Option<String>,
    file_path: Option<&Path>,
) -> Option<Sourced> {
    if let Some(value) = flag {
        let env = format!("VIGIL_{}", key.to_uppercase());
        let origin = if std::env::var(&env).ok().as_deref() == Some(value.as_str()) {
            format!("environment variable {env}")
        } else {
            format!("flag --{}", key.replace('_', "-"))
        };
        return Some(Sourced {
            value: value.clone(),
            origin,
        });
    }
    file.map(|value| Sourced {
        value,
        origin: format!(
            "config file {}",
            file_path
                .map(|p| p.display().to_string())
                .unwrap_or_default()
        ),
    })
}

fn parse<T>(
    key: &'static str,
    sourced: Option<Sourced>,
    default: impl FnOnce() -> T,
    check: impl FnOnce(&str) -> Result<T, String>,
) -> Result<T, ConfigError> {
    match sourced {
        None => Ok(default()),
        Some(Sourced { value, origin }) => check(&value).map_err(|reason| ConfigError::Invalid {
            key,
            origin,
            value,
            reason,
        }),
    }
}

fn non_empty_path(v: &str) -> Result<PathBuf, String> {
    if v.trim().is_empty() {
        Err("must not be empty".into())
    } else {
        Ok(PathBuf::from(v))
    }
}

fn positive(v: &str) -> Result<u32, String> {
    match v.trim().parse::<u32>() {
        Ok(0) => Err("must be at least 1".into()),
        Ok(n) => Ok(n),
        Err(e) => Err(e.to_string()),
    }
}

impl Config {
    /// Builds the configuration from defaults, the file named by `--config`/`VIGIL_CONFIG`, the
    /// environment and the flags.
    pub fn load(args: &ConfigArgs) -> Result<Self, ConfigError> {
        let file_path = args.config.as_deref();
        let file = match file_path {
            None => FileConfig::default(),
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| ConfigError::File {
                    path: path.to_owned(),
                    reason: e.to_string(),
                })?;
                toml::from_str(&text).map_err(|e| ConfigError::File {
                    path: path.to_owned(),
                    reason: e.to_string().trim_end().to_string(),
                })?
            }
        };

        let listen = parse(
            "listen",
            pick("listen", args.listen.as_ref(), file.listen, file_path),
            || SocketAddr::from(([127, 0, 0, 1], 3000)),
            |v| v.trim().parse::<SocketAddr>().map_err(|e| e.to_string()),
        )?;
        let data_dir = parse(
            "data_dir",
            pick("data_dir", args.data_dir.as_ref(), file.data_dir, file_path),
            || PathBuf::from("data"),
            non_empty_path,
        )?;
        let default_db = format!("sqlite://{}?mode=rwc", data_dir.join("vigil.db").display());
        let database_url = parse(
            "database_url",
            pick(
                "database_url",
                args.database_url.as_ref(),
                file.database_url,
                file_path,
            ),
            || default_db,
            |v| {
                let v = v.trim();
                if v.starts_with("sqlite:")
                    || v.starts_with("mysql://")
                    || v.starts_with("mariadb://")
                {
                    Ok(v.replacen("mariadb://", "mysql://", 1))
                } else {
                    Err("expected a sqlite:// or mysql:// URL".into())
                }
            },
        )?;
        let database_kind = if database_url.starts_with("mysql://") {
            DatabaseKind::Mysql
        } else {
            DatabaseKind::Sqlite
        };
        let db_max_connections = parse(
            "db_max_connections",
            pick(
                "db_max_connections",
                args.db_max_connections.as_ref(),
                file.db_max_connections.map(|n| n.to_string()),
                file_path,
            ),
            || 10,
            positive,
        )?;
        let log_dir = parse(
            "log_dir",
            pick("log_dir", args.log_dir.as_ref(), file.log_dir, file_path),
            || data_dir.join("logs"),
            non_empty_path,
        )?;
        let log_format = parse(
            "log_format",
            pick(
                "log_format",
                args.log_format.as_ref(),
                file.log_format,
                file_path,
            ),
            || LogFormat::Text,
            |v| match v.trim().to_ascii_lowercase().as_str() {
                "text" => Ok(LogFormat::Text),
                "json" => Ok(LogFormat::Json),
                _ => Err("expected `text` or `json`".into()),
            },
        )?;
        let log_level = parse(
            "log_level",
            pick(
                "log_level",
                args.log_level.as_ref(),
                file.log_level,
                file_path,
            ),
            || "info".to_string(),
            |v| {
                tracing_subscriber::EnvFilter::builder()
                    .parse(v)
                    .map(|_| v.to_string())
                    .map_err(|e| e.to_string())
            },
        )?;
        let log_keep = parse(
            "log_keep",
            pick(
                "log_keep",
                args.log_keep.as_ref(),
                file.log_keep.map(|n| n.to_string()),
                file_path,
            ),
            || 14,
            positive,
        )?;
        let site_root = parse(
            "site_root",
            pick(
                "site_root",
                args.site_root.as_ref(),
                file.site_root,
                file_path,
            ),
            || {
                std::env::var("LEPTOS_SITE_ROOT")
                    .map(PathBuf::from)
                    .unwrap_or_else(|_| PathBuf::from("target/site"))
            },
            non_empty_path,
        )?;

        let jwt_secret = parse(
            "jwt_secret",
            pick(
                "jwt_secret",
                args.jwt_secret.as_ref(),
                file.jwt_secret,
                file_path,
            ),
            || None,
            |v| {
                if v.chars().count() >= 32 {
                    Ok(Some(v.to_string()))
                } else {
                    Err("must be at least 32 characters".into())
                }
            },
        )?;
        let seconds = |min: u64, max: u64| {
            move |v: &str| match v.trim().parse::<u64>() {
                Ok(n) if (min..=max).contains(&n) => Ok(std::time::Duration::from_secs(n)),
                Ok(_) => Err(format!("must be between {min} and {max}")),
                Err(e) => Err(e.to_string()),
            }
        };
        let access_token_ttl = parse(
            "access_token_ttl",
            pick(
                "access_token_ttl",
                args.access_token_ttl.as_ref(),
                file.access_token_ttl.map(|n| n.to_string()),
                file_path,
            ),
            || std::time::Duration::from_secs(900),
            seconds(60, 86_400),
        )?;
        let refresh_token_ttl = parse(
            "refresh_token_ttl",
            pick(
                "refresh_token_ttl",
                args.refresh_token_ttl.as_ref(),
                file.refresh_token_ttl.map(|n| n.to_string()),
                file_path,
            ),
            || std::time::Duration::from_secs(7 * 86_400),
            seconds(300, 90 * 86_400),
        )?;
        let cookie_secure = parse(
            "cookie_secure",
            pick(
                "cookie_secure",
                args.cookie_secure.as_ref(),
                file.cookie_secure.map(|b| b.to_string()),
                file_path,
            ),
            || !listen.ip().is_loopback(),
            |v| match v.trim().to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" => Ok(true),
                "false" | "0" | "no" => Ok(false),
                _ => Err("expected `true` or `false`".into()),
            },
        )?;
        let auth_rate_limit = parse(
            "auth_rate_limit",
            pick(
                "auth_rate_limit",
                args.auth_rate_limit.as_ref(),
                file.auth_rate_limit.map(|n| n.to_string()),
                file_path,
            ),
            || 20,
            positive,
        )?;
        let cors_allowed_origins = parse(
            "cors_allowed_origins",
            pick(
                "cors_allowed_origins",
                args.cors_allowed_origins.as_ref(),
                file.cors_allowed_origins.map(|v| v.join(",")),
                file_path,
            ),
            Vec::new,
            |v| {
                v.split(',')
                    .map(str::trim)
                    .filter(|o| !o.is_empty())
                    .map(|o| {
                        if (o.starts_with("https://") || o.starts_with("http://"))
                            && !o.ends_with('/')
                        {
                            Ok(o.to_string())
                        } else {
                            Err(format!(
                                "{o:?} is not an origin like https://siem.example.com"
                            ))
                        }
                    })
                    .collect()
            },
        )?;

        let trusted_proxies = parse(
            "trusted_proxies",
            pick(
                "trusted_proxies",
                args.trusted_proxies.as_ref(),
                file.trusted_proxies.map(|v| v.join(",")),
                file_path,
            ),
            Vec::new,
            |v| {
                v.split(',')
                    .map(str::trim)
                    .filter(|p| !p.is_empty())
                    .map(|p| {
                        p.parse::<ipnet::IpNet>()
                            .or_else(|_| p.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                            .map(|net| net.trunc())
                            .map_err(|_| format!("{p:?} is not an address or CIDR block"))
                    })
                    .collect()
            },
        )?;

        let metrics_token = parse(
            "metrics_token",
            pick(
                "metrics_token",
                args.metrics_token.as_ref(),
                file.metrics_token,
                file_path,
            ),
            || None,
            |v| {
                let v = v.trim();
                if v.chars().count() < 16 {
                    Err("must be at least 16 characters".into())
                } else if !v.chars().all(|c| c.is_ascii_graphic()) {
                    Err("must be printable ASCII without spaces".into())
                } else {
                    Ok(Some(v.to_string()))
                }
            },
        )?;

        let ingest = IngestConfig::load(
            &args.ingest,
            file.ingest.unwrap_or_default(),
            file_path,
            &data_dir,
        )?;
        let notify = notify::load(
            &args.notify,
            file.notify.unwrap_or_default(),
            file_path,
            listen,
        )?;
        let reports = reports::load(
            &args.reports,
            file.reports.unwrap_or_default(),
            file_path,
            &data_dir,
        )?;

        Ok(Self {
            listen,
            data_dir,
            database_url,
            database_kind,
            db_max_connections,
            log_dir,
            log_format,
            log_level,
            log_keep,
            site_root,
            jwt_secret,
            access_token_ttl,
            refresh_token_ttl,
            cookie_secure,
            auth_rate_limit,
            cors_allowed_origins,
            trusted_proxies,
            metrics_token,
            ingest,
            notify,
            reports,
        })
    }

    /// A configuration for tests and tools: defaults, with the given database and data dir.
    pub fn for_database(database_url: &str, data_dir: &Path) -> Self {
        let args = ConfigArgs {
            data_dir: Some(data_dir.display().to_string()),
            database_url: Some(database_url.to_string()),
            ..ConfigArgs::default()
        };
        Self::load(&args).expect("test configuration is valid")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args() -> ConfigArgs {
        ConfigArgs::default()
    }

    #[test]
    fn defaults_use_sqlite_under_the_data_dir() {
        let cfg = Config::load(&args()).unwrap();
        assert_eq!(cfg.listen.to_string(), "127.0.0.1:3000");
        assert_eq!(cfg.database_kind, DatabaseKind::Sqlite);
        assert_eq!(cfg.database_url, "sqlite://data/vigil.db?mode=rwc");
        assert_eq!(cfg.log_dir, PathBuf::from("data/logs"));
        assert_eq!(cfg.log_format, LogFormat::Text);
        assert_eq!(cfg.access_token_ttl.as_secs(), 900);
        assert!(!cfg.cookie_secure, "plain http on loopback by default");
        assert!(cfg.cors_allowed_origins.is_empty());
    }

    #[test]
    fn cookies_are_secure_by_default_off_loopback() {
        let a = ConfigArgs {
            listen: Some("0.0.0.0:3000".into()),
            ..args()
        };
        assert!(Config::load(&a).unwrap().cookie_secure);
    }

    #[test]
    fn auth_settings_are_validated() {
        for (args, key) in [
            (
                ConfigArgs {
                    jwt_secret: Some("short".into()),
                    ..args()
                },
                "`jwt_secret`",
            ),
            (
                ConfigArgs {
                    access_token_ttl: Some("5".into()),
                    ..args()
                },
                "`access_token_ttl`",
            ),
            (
                ConfigArgs {
                    cookie_secure: Some("maybe".into()),
                    ..args()
                },
                "`cookie_secure`",
            ),
            (
                ConfigArgs {
                    cors_allowed_origins: Some("evil.com".into()),
                    ..args()
                },
                "`cors_allowed_origins`",
            ),
        ] {
            let err = Config::load(&args).unwrap_err().to_string();
            assert!(err.contains(key), "{err}");
        }
        let a = ConfigArgs {
            cors_allowed_origins: Some("https://a.example, http://b.example:8080".into()),
            ..args()
        };
        assert_eq!(Config::load(&a).unwrap().cors_allowed_origins.len(), 2);
    }

    #[test]
    fn trusted_proxies_are_cidr_blocks_and_none_by_default() {
        assert!(Config::load(&args()).unwrap().trusted_proxies.is_empty());
        let a = ConfigArgs {
            trusted_proxies: Some("10.0.0.0/8, 192.0.2.7, fd00::/8".into()),
            ..args()
        };
        let nets: Vec<String> = Config::load(&a)
            .unwrap()
            .trusted_proxies
            .iter()
            .map(|n| n.to_string())
            .collect();
        assert_eq!(nets, ["10.0.0.0/8", "192.0.2.7/32", "fd00::/8"]);
        let a = ConfigArgs {
            trusted_proxies: Some("10.0.0.0/8, proxy.example".into()),
            ..args()
        };
        let err = Config::load(&a).unwrap_err().to_string();
        assert!(
            err.contains("`trusted_proxies`") && err.contains("proxy.example"),
            "{err}"
        );
    }

    #[test]
    fn metrics_are_closed_by_default_and_a_token_must_be_long() {
        assert!(Config::load(&args()).unwrap().metrics_token.is_none());
        let a = ConfigArgs {
            metrics_token: Some("short".into()),
            ..args()
        };
        let err = Config::load(&a).unwrap_err().to_string();
        assert!(err.contains("`metrics_token`"), "{err}");
        let a = ConfigArgs {
            metrics_token: Some("a-long-enough-scrape-token".into()),
            ..args()
        };
        assert_eq!(
            Config::load(&a).unwrap().metrics_token.as_deref(),
            Some("a-long-enough-scrape-token")
        );
    }

    #[test]
    fn a_bad_listen_address_names_the_key() {
        let a = ConfigArgs {
            listen: Some("localhost:notaport".into()),
            ..args()
        };
        let err = Config::load(&a).unwrap_err().to_string();
        assert!(err.contains("`listen`"), "{err}");
        assert!(err.contains("--listen"), "{err}");
    }

    #[test]
    fn database_url_must_be_sqlite_or_mysql() {
        let a = ConfigArgs {
            database_url: Some("postgres://x".into()),
            ..args()
        };
        let err = Config::load(&a).unwrap_err().to_string();
        assert!(err.contains("`database_url`"), "{err}");
        let a = ConfigArgs {
            database_url: Some("mariadb://root@127.0.0.1/vigil".into()),
            ..args()
        };
        let cfg = Config::load(&a).unwrap();
        assert_eq!(cfg.database_kind, DatabaseKind::Mysql);
        assert!(cfg.database_url.starts_with("mysql://"));
    }

    #[test]
    fn zero_and_garbage_counts_are_rejected() {
        for bad in ["0", "-1", "many"] {
            let a = ConfigArgs {
                log_keep: Some(bad.into()),
                ..args()
            };
            let err = Config::load(&a).unwrap_err().to_string();
            assert!(err.contains("`log_keep`"), "{bad}: {err}");
        }
    }

    #[test]
    fn file_values_apply_and_flags_override_them() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vigil.toml");
        std::fs::write(
            &path,
            "listen = \"0.0.0.0:8080\"\nlog_format = \"json\"\nlog_keep = 3\n",
        )
        .unwrap();
        let a = ConfigArgs {
            config: Some(path.clone()),
            listen: Some("127.0.0.1:9000".into()),
            ..args()
        };
        let cfg = Config::load(&a).unwrap();
        assert_eq!(cfg.listen.to_string(), "127.0.0.1:9000");
        assert_eq!(cfg.log_format, LogFormat::Json);
        assert_eq!(cfg.log_keep, 3);
    }

    #[test]
    fn unknown_and_bad_file_keys_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vigil.toml");
        std::fs::write(&path, "lisen = \"0.0.0.0:8080\"\n").unwrap();
        let a = ConfigArgs {
            config: Some(path.clone()),
            ..args()
        };
        let err = Config::load(&a).unwrap_err().to_string();
        assert!(err.contains("lisen"), "{err}");

        std::fs::write(&path, "log_format = \"xml\"\n").unwrap();
        let err = Config::load(&a).unwrap_err().to_string();
        assert!(
            err.contains("`log_format`") && err.contains("config file"),
            "{err}"
        );
    }
}
