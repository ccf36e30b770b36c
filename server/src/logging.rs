//! Logging: `tracing` to the console and to daily-rotated files in the log directory, as text
//! or JSON.

use tracing_appender::non_blocking::WorkerGuard;
use tracing_appender::rolling::{RollingFileAppender, Rotation};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer, fmt};

use crate::config::{Config, LogFormat};

/// Keeps the file writer flushing until dropped at exit.
pub struct LogGuard {
    _file: WorkerGuard,
}

/// Installs the global subscriber. Fails when the log directory cannot be created.
pub fn init(config: &Config) -> anyhow::Result<LogGuard> {
    std::fs::create_dir_all(&config.log_dir).map_err(|e| {
        anyhow::anyhow!(
            "invalid value for `log_dir`: cannot create {}: {e}",
            config.log_dir.display()
        )
    })?;
    let appender = RollingFileAppender::builder()
        .rotation(Rotation::DAILY)
        .filename_prefix("vigil")
        .filename_suffix("log")
        .max_log_files(config.log_keep as usize)
        .build(&config.log_dir)
        .map_err(|e| {
            anyhow::anyhow!("cannot open log file in {}: {e}", config.log_dir.display())
        })?;
    let (file_writer, guard) = tracing_appender::non_blocking(appender);

    let filter = || EnvFilter::new(&config.log_level);
    let (console, file) = match config.log_format {
        LogFormat::Text => (
            fmt::layer()
                // Colours only for a terminal, not for a file or a pipe.
                .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
                .with_writer(std::io::stderr)
                .boxed(),
            fmt::layer()
                .with_ansi(false)
                .with_writer(file_writer)
                .boxed(),
        ),
        LogFormat::Json => (
            fmt::layer().json().with_writer(std::io::stderr).boxed(),
            fmt::layer().json().with_writer(file_writer).boxed(),
        ),
    };
    tracing_subscriber::registry()
        .with(console.with_filter(filter()))
        .with(file.with_filter(filter()))
        .try_init()
        .map_err(|e| anyhow::anyhow!("cannot install the log subscriber: {e}"))?;
    Ok(LogGuard { _file: guard })
}
