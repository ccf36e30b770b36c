//! `vigil migrate`: bring the database schema up to date and exit.

use crate::config::Config;

pub async fn run(config: Config) -> anyhow::Result<()> {
    let db = crate::store::connect(&config).await?;
    let applied = crate::store::migrate(&db).await?;
    println!(
        "{applied} migration(s) applied to {}",
        crate::store::redact(&config.database_url)
    );
    Ok(())
}
