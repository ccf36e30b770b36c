//! What the benchmarks share: the vendored corpus, the detection rules they load, generated
//! stored events, peak RSS.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ConnectionTrait, DatabaseConnection, Set};

use server::detect::Definition;
use server::detect::sigma_rule::SigmaDef;
use server::ingest::EventRow;
use server::ingest::row::insert_statements;
use server::parse::{ParseContext, ParserKind, parse_bytes};
use server::store::rule;

pub fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/corpus")
}

/// Starts counting the peak resident set size afresh.
pub fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// Peak resident set size of this process (since the last reset), in MiB.
pub fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// Stores the built-in pack (as `vigil serve` seeds it) and every staged SigmaHQ rule (as an
/// import leaves them: correlations Vigil evaluates enabled, the others left out); returns
/// how many rules were stored.
pub async fn load_rules(db: &DatabaseConnection) -> anyhow::Result<usize> {
    let mut stored = server::detect::builtin::seed(db).await?;
    // Built-in rules take their names first (some are staged SigmaHQ rules too).
    let mut names: std::collections::HashSet<String> = server::detect::builtin::PACK
        .iter()
        .map(|b| b.name.to_string())
        .collect();
    for file in server::detect::sigma::import_dir(&corpus().join("sigma"))? {
        let Some(path) = &file.path else { continue };
        let yaml = std::fs::read_to_string(path)?;
        let mut defs = Vec::new();
        for (index, r) in file.rules.iter().enumerate() {
            let def = SigmaDef {
                yaml: yaml.clone(),
                index,
                title: None,
                correlation: None,
            };
            defs.push((r.info.title.clone(), def));
        }
        for (index, c) in file.correlations.iter().enumerate() {
            let def = SigmaDef {
                yaml: yaml.clone(),
                index: 0,
                title: None,
                correlation: Some(index),
            };
            if def.compile_correlation().is_ok() {
                defs.push((c.info.title.clone(), def));
            }
        }
        for (title, def) in defs {
            let mut name = title.clone();
            let mut n = 1;
            while !names.insert(name.clone()) {
                n += 1;
                name = format!("{title} ({n})");
            }
            let now = Utc::now();
            rule::ActiveModel {
                name: Set(name),
                kind: Set("sigma".into()),
                severity: Set("medium".into()),
                definition: Set(Definition::Sigma(def).to_json()),
                enabled: Set(true),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(db)
            .await?;
            stored += 1;
        }
    }
    Ok(stored)
}

/// Generates, parses and stores `lines` events; answers the range of their timestamps.
pub async fn store_events(
    db: &DatabaseConnection,
    lines: usize,
) -> anyhow::Result<(DateTime<Utc>, DateTime<Utc>)> {
    let received: DateTime<Utc> = "2026-11-22T00:00:00Z".parse()?;
    let ctx = ParseContext::new(received);
    let source: std::sync::Arc<str> = "bench".into();
    let mut seed: u64 = 0x5eed;
    let mut next = move || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) as usize
    };
    let (mut from, mut to) = (DateTime::<Utc>::MAX_UTC, DateTime::<Utc>::MIN_UTC);
    let mut rows: Vec<EventRow> = Vec::with_capacity(5_000);
    let mut first_id = 1i64;
    for i in 0..lines {
        let r = next();
        let ip = format!(
            "{}.{}.{}.{}",
            1 + r % 223,
            (r >> 8) % 256,
            (r >> 16) % 256,
            1 + (r >> 24) % 254
        );
        // One event a second, over about eleven days for a million.
        let t = received - chrono::TimeDelta::seconds((lines - i) as i64);
        let stamp = t.format("%b %e %H:%M:%S");
        let line = match i % 8 {
            // A few attackers, each at it for a while: these fire the rule.
            0 => format!(
                "{stamp} bastion sshd[{}]: Failed password for root from 198.51.100.{} port {} ssh2",
                1000 + r % 30000,
                1 + (i / 640) % 50,
                1024 + r % 60000
            ),
            // One-off failures from anywhere: many keys that never fire.
            1 => format!(
                "{stamp} bastion sshd[{}]: Failed password for invalid user admin from {ip} port {} ssh2",
                1000 + r % 30000,
                1024 + r % 60000
            ),
            2 => format!(
                "{stamp} bastion sshd[{}]: Accepted publickey for deploy from {ip} port {} ssh2",
                1000 + r % 30000,
                1024 + r % 60000
            ),
            3..=5 => format!(
                "{ip} - - [{}] \"GET /index.html HTTP/1.1\" {} {} \"-\" \"Mozilla/5.0\"",
                t.format("%d/%b/%Y:%H:%M:%S +0000"),
                [200, 200, 301, 404, 500][r % 5],
                r % 50000
            ),
            _ => format!(
                "{{\"timestamp\":\"{}\",\"source_ip\":\"{ip}\",\"action\":\"login\",\"status\":\"failure\"}}",
                t.to_rfc3339()
            ),
        };
        let parsed = parse_bytes(ParserKind::Auto, line.as_bytes(), &ctx);
        let row = EventRow::new(parsed, line, received, source.clone());
        from = from.min(row.timestamp);
        to = to.max(row.timestamp);
        rows.push(row);
        if rows.len() == 5_000 || i + 1 == lines {
            for stmt in insert_statements(db.get_database_backend(), &rows, first_id) {
                db.execute_raw(stmt).await?;
            }
            first_id += rows.len() as i64;
            rows.clear();
        }
    }
    Ok((from, to + chrono::TimeDelta::seconds(1)))
}
