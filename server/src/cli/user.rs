//! `vigil user …`: account administration for scripts and first set-up.

use std::io::{BufRead, IsTerminal};

use clap::Subcommand;

use crate::auth::password;
use crate::config::Config;

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user. The password is read from standard input when it is not a terminal;
    /// otherwise one is generated and printed once.
    Create {
        /// Login name: letters, digits, '.', '_' or '-'.
        #[arg(long)]
        username: String,
        /// Role to grant (admin, analyst, viewer, ingest or a custom role); repeat for several.
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
    },
}

pub async fn run(config: Config, cmd: UserCommand) -> anyhow::Result<()> {
    match cmd {
        UserCommand::Create { username, roles } => {
            let stdin = std::io::stdin();
            let (secret, generated) = if stdin.is_terminal() {
                (password::generate(24), true)
            } else {
                let mut line = String::new();
                stdin.lock().read_line(&mut line)?;
                (line.trim_end_matches(['\r', '\n']).to_string(), false)
            };
            let db = crate::store::connect(&config).await?;
            crate::store::migrate(&db).await?;
            let user = crate::service::users::create_user(&db, &username, &secret, &roles).await?;
            println!(
                "created user {:?} (id {}) with roles {}",
                user.username,
                user.id,
                roles.join(", ")
            );
            if generated {
                println!("password: {secret}");
                println!("it is shown only this once");
            }
            Ok(())
        }
    }
}
