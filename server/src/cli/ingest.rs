//! `vigil ingest FILE…`: a one-shot import through the same pipeline as the watched directory.
//!
//! Each file is remembered by fingerprint under the source `import`, so importing the same file
//! again stores only what was appended since (and nothing when it is unchanged).

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use clap::Args;

use crate::config::Config;
use crate::ingest::tail::{TailError, TailedFile};
use crate::ingest::{IngestHandle, checkpoint};
use crate::parse::ParserKind;

#[derive(Debug, Args)]
pub struct IngestCommand {
    /// Log files to import (plain text or .gz).
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Parser: auto, syslog, apache, json, cef, kv, zeek or raw.
    #[arg(long, default_value = "auto", value_name = "KIND")]
    pub parser: ParserKind,
}

pub async fn run(config: Config, cmd: IngestCommand) -> anyhow::Result<()> {
    let db = crate::store::connect(&config).await?;
    crate::store::migrate(&db).await?;
    let handle = IngestHandle::start(db.clone(), &config.ingest);
    let source = handle
        .source(
            "import",
            "import",
            serde_json::json!({ "description": "files imported with vigil ingest" }),
        )
        .await?;
    let checkpoints = Arc::new(checkpoint::load(&db, source.id).await?);

    let total: u64 = cmd
        .files
        .iter()
        .filter_map(|f| std::fs::metadata(f).ok())
        .map(|m| m.len())
        .sum();
    let bar = indicatif::ProgressBar::with_draw_target(
        Some(total),
        indicatif::ProgressDrawTarget::stderr(),
    );
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] [{bar:40}] {bytes}/{total_bytes} ({bytes_per_sec}) {msg}",
        )?
        .progress_chars("=> "),
    );
    let progress = Arc::new(AtomicU64::new(0));
    let ticker = {
        let (bar, progress) = (bar.clone(), progress.clone());
        tokio::spawn(async move {
            loop {
                bar.set_position(progress.load(Ordering::Relaxed));
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
        })
    };

    let started = Instant::now();
    let (mut lines, mut bytes, mut failed, mut imported) = (0u64, 0u64, 0usize, 0usize);
    for path in cmd.files {
        bar.set_message(path.display().to_string());
        let (h, s, c, p, prog) = (
            handle.clone(),
            source.clone(),
            checkpoints.clone(),
            cmd.parser,
            progress.clone(),
        );
        let shown = path.display().to_string();
        let result = tokio::task::spawn_blocking(move || -> Result<(u64, u64, u64), TailError> {
            let mut file = TailedFile::open(&path, s, p, &c)?;
            let resumed = file.offset;
            prog.fetch_add(resumed, Ordering::Relaxed);
            file.set_progress(prog);
            let stats = file.poll(&h, true, None)?;
            file.wait_stored()?;
            Ok((stats.lines, stats.bytes, resumed))
        })
        .await?;
        match result {
            Ok((l, b, resumed)) => {
                imported += 1;
                lines += l;
                bytes += b;
                if resumed > 0 {
                    say(
                        &bar,
                        format!("{shown}: {resumed} bytes were imported before; {l} new lines"),
                    );
                }
            }
            Err(TailError::Binary) => {
                failed += 1;
                say(&bar, format!("{shown}: skipped: binary file"));
            }
            Err(err) => {
                failed += 1;
                say(&bar, format!("{shown}: error: {err}"));
            }
        }
    }
    ticker.abort();
    bar.finish_and_clear();
    let stopped = handle.stopped();
    drop(handle);
    stopped.await;
    let secs = started.elapsed().as_secs_f64();
    println!(
        "imported {imported} file(s): {lines} lines, {:.1} MiB in {secs:.1} s ({:.0} lines/s){}",
        bytes as f64 / (1024.0 * 1024.0),
        lines as f64 / secs.max(1e-9),
        if failed > 0 {
            format!("; {failed} file(s) not imported")
        } else {
            String::new()
        }
    );
    if failed > 0 {
        anyhow::bail!("{failed} file(s) not imported");
    }
    Ok(())
}

/// A line for the user: above the progress bar on a terminal, else on standard error.
fn say(bar: &indicatif::ProgressBar, line: String) {
    if bar.is_hidden() {
        eprintln!("{line}");
    } else {
        bar.println(line);
    }
}
