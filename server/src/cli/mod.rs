//! The `vigil` command line: subcommands over one typed configuration.

mod ingest;
mod migrate;
mod send;
mod serve;
mod user;

use clap::{Parser, Subcommand};

use crate::config::{Config, ConfigArgs};

#[derive(Debug, Parser)]
#[command(
    name = "vigil",
    version,
    about = "Vigil: a self-hosted SIEM",
    long_about = "Vigil: a self-hosted SIEM.\n\nEvery option can also be set in a TOML file \
                  (--config) or through its VIGIL_* environment variable; flags override the \
                  environment, which overrides the file. Without a subcommand Vigil serves.\n\n\
                  On first start with no users, `serve` creates `admin` with the password in \
                  VIGIL_ADMIN_PASSWORD (environment only, never a flag), or generates one, prints \
                  it once and writes it to DATA_DIR/secrets/initial-admin-password (mode 0600)."
)]
pub struct Cli {
    #[command(flatten)]
    pub config: ConfigArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the web interface and API (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Import log files once, through the ingest pipeline, and exit.
    Ingest(ingest::IngestCommand),
    /// Manage user accounts.
    #[command(subcommand)]
    User(user::UserCommand),
    /// Send a file of logs to a running Vigil at a steady rate.
    Send(send::SendArgs),
}

/// Runs the command line and returns the process exit code.
pub fn run() -> std::process::ExitCode {
    let cli = Cli::parse();
    let command = cli.command.unwrap_or(Command::Serve);
    // `send` is a client of a running server and needs none of the server's settings.
    let config = match command {
        Command::Send(_) => None,
        _ => match Config::load(&cli.config) {
            Ok(config) => Some(config),
            Err(err) => {
                eprintln!("vigil: error: {err}");
                return std::process::ExitCode::from(2);
            }
        },
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(err) => {
            eprintln!("vigil: error: cannot start the async runtime: {err}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        match (command, config) {
            (Command::Send(args), _) => send::run(args).await,
            (Command::Serve, Some(config)) => serve::run(config).await,
            (Command::Migrate, Some(config)) => migrate::run(config).await,
            (Command::User(cmd), Some(config)) => user::run(config, cmd).await,
            (Command::Ingest(cmd), Some(config)) => ingest::run(config, cmd).await,
            (_, None) => unreachable!("every command but send has loaded its configuration"),
        }
    });
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("vigil: error: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
