//! What the benchmarks share: the vendored corpus, the detection rules they load, peak RSS.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use chrono::Utc;
use sea_orm::{ActiveModelTrait, DatabaseConnection, Set};

use server::detect::Definition;
use server::detect::sigma_rule::SigmaDef;
use server::store::rule;

pub fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/corpus")
}

/// Peak resident set size of this process, in MiB.
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
