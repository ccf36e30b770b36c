//! Settings of report generation: how long finished reports are kept and how many rows a
//! report reads at a time. Files go to `DATA_DIR/reports`.

use std::path::Path;
use std::time::Duration;

use clap::Args;
use serde::Deserialize;

use super::{ConfigError, parse, pick};
use crate::jobs::Settings;

/// Report flags; each has a `VIGIL_*` environment equivalent.
#[derive(Debug, Clone, Default, Args)]
pub struct ReportArgs {
    /// Days a finished report (and its file) is kept before it is deleted [default: 30].
    #[arg(
        long,
        env = "VIGIL_REPORT_RETENTION_DAYS",
        global = true,
        value_name = "DAYS"
    )]
    pub report_retention_days: Option<String>,
    /// Rows a report reads from the database at a time; bounds its memory [default: 1000].
    #[arg(long, env = "VIGIL_REPORT_PAGE_ROWS", global = true, value_name = "N")]
    pub report_page_rows: Option<String>,
}

/// The `[reports]` table of the configuration file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ReportFile {
    report_retention_days: Option<u64>,
    report_page_rows: Option<u64>,
}

fn number(min: u64, max: u64) -> impl Fn(&str) -> Result<u64, String> {
    move |v: &str| match v.trim().parse::<u64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        Ok(_) => Err(format!("must be between {min} and {max}")),
        Err(e) => Err(e.to_string()),
    }
}

pub(super) fn load(
    args: &ReportArgs,
    file: ReportFile,
    file_path: Option<&Path>,
    data_dir: &Path,
) -> Result<Settings, ConfigError> {
    let defaults = Settings::defaults(data_dir);
    let days = parse(
        "report_retention_days",
        pick(
            "report_retention_days",
            args.report_retention_days.as_ref(),
            file.report_retention_days.map(|n| n.to_string()),
            file_path,
        ),
        || defaults.retention.as_secs() / 86_400,
        number(1, 3650),
    )?;
    let page_rows = parse(
        "report_page_rows",
        pick(
            "report_page_rows",
            args.report_page_rows.as_ref(),
            file.report_page_rows.map(|n| n.to_string()),
            file_path,
        ),
        || defaults.page_rows as u64,
        number(1, 100_000),
    )?;
    Ok(Settings {
        retention: Duration::from_secs(days * 86_400),
        page_rows: page_rows as usize,
        ..defaults
    })
}

#[cfg(test)]
mod tests {
    use super::super::{Config, ConfigArgs};
    use super::ReportArgs;

    #[test]
    fn defaults_and_bad_values() {
        let cfg = Config::load(&ConfigArgs::default()).unwrap();
        assert_eq!(cfg.reports.retention.as_secs(), 30 * 86_400);
        assert_eq!(cfg.reports.page_rows, 1000);
        assert_eq!(cfg.reports.dir, std::path::PathBuf::from("data/reports"));
        let err = Config::load(&ConfigArgs {
            reports: ReportArgs {
                report_page_rows: Some("0".into()),
                ..ReportArgs::default()
            },
            ..ConfigArgs::default()
        })
        .unwrap_err()
        .to_string();
        assert!(err.contains("`report_page_rows`"), "{err}");
    }
}
