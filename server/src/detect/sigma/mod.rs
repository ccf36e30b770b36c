//! Sigma rules: import SigmaHQ YAML into rules Vigil evaluates on its events, with the
//! maintained `rsigma-parser` and `rsigma-eval` crates doing the parsing and matching.
//!
//! An import never drops a rule silently: each file gives a [`FileImport`] listing what it
//! imported, what it refused and why, and warnings (a logsource Vigil has no events for, a
//! correlation whose base rule is missing). String matching is case-insensitive, as the Sigma
//! specification says, unless a rule asks for `|cased`. See [`event`] for the field mapping and
//! [`logsource`] for which events each logsource stands for.

pub mod correlation;
pub mod event;
pub mod logsource;
mod prefilter;
mod ruleset;

use std::path::{Path, PathBuf};

use rsigma_eval::CompiledRule;
use rsigma_parser::{CorrelationRule, Level, LogSource, SigmaCollection};
use yaml_serde::Value;

pub use correlation::{Compare, Condition, CorrelationKind, CorrelationSpec};
pub use event::SigmaEvent;
pub use logsource::Kinds;
pub use ruleset::SigmaRuleSet;

use crate::ingest::EventRow;

/// Vigil's severities; Sigma's `informational` and `low` both become `Low`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
            Self::Critical => "critical",
        }
    }

    fn from_level(level: Level) -> Self {
        match level {
            Level::Informational | Level::Low => Self::Low,
            Level::Medium => Self::Medium,
            Level::High => Self::High,
            Level::Critical => Self::Critical,
        }
    }
}

/// What Vigil keeps of a Sigma rule's metadata.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleInfo {
    /// The Sigma `title`: the imported rule's name.
    pub title: String,
    pub sigma_id: Option<String>,
    /// The Sigma `name`, which correlations may refer to instead of the id.
    pub sigma_name: Option<String>,
    pub severity: Severity,
    /// MITRE ATT&CK tags (`attack.*`), as written.
    pub attack: Vec<String>,
    /// Every tag, as written.
    pub tags: Vec<String>,
    pub description: Option<String>,
    pub falsepositives: Vec<String>,
    pub author: Option<String>,
    pub references: Vec<String>,
}

impl RuleInfo {
    #[allow(clippy::too_many_arguments)]
    fn new(
        title: &str,
        id: &Option<String>,
        name: &Option<String>,
        level: Option<Level>,
        tags: &[String],
        description: &Option<String>,
        falsepositives: &[String],
        author: &Option<String>,
        references: &[String],
    ) -> Self {
        Self {
            title: title.to_owned(),
            sigma_id: id.clone(),
            sigma_name: name.clone(),
            severity: level.map_or(Severity::Medium, Severity::from_level),
            attack: tags
                .iter()
                .filter(|t| t.to_ascii_lowercase().starts_with("attack."))
                .cloned()
                .collect(),
            tags: tags.to_vec(),
            description: description.clone(),
            falsepositives: falsepositives.to_vec(),
            author: author.clone(),
            references: references.to_vec(),
        }
    }

    fn of_rule(r: &rsigma_parser::SigmaRule) -> Self {
        Self::new(
            &r.title,
            &r.id,
            &r.name,
            r.level,
            &r.tags,
            &r.description,
            &r.falsepositives,
            &r.author,
            &r.references,
        )
    }

    fn of_correlation(r: &CorrelationRule) -> Self {
        Self::new(
            &r.title,
            &r.id,
            &r.name,
            r.level,
            &r.tags,
            &r.description,
            &r.falsepositives,
            &r.author,
            &r.references,
        )
    }

    /// Whether a correlation's reference (`id` or `name`) names this rule.
    pub fn answers_to(&self, reference: &str) -> bool {
        self.sigma_id.as_deref() == Some(reference) || self.sigma_name.as_deref() == Some(reference)
    }
}

/// An imported Sigma detection rule.
#[derive(Debug, Clone)]
pub struct SigmaRule {
    pub info: RuleInfo,
    pub logsource: LogSource,
    kinds: Kinds,
    compiled: CompiledRule,
    /// One of these (lower-case) must occur in the event for the rule to match; `None` when
    /// the rule's detection names no such literals.
    literals: Option<Vec<String>>,
}

impl SigmaRule {
    /// Whether the event is of this rule's logsource and matches its detection.
    pub fn matches(&self, row: &EventRow) -> bool {
        self.applies_to(logsource::event_kinds(row)) && self.detects(row)
    }

    /// Whether events of these kinds belong to the rule's logsource.
    pub fn applies_to(&self, kinds: Kinds) -> bool {
        self.kinds.meets(kinds)
    }

    /// The detection alone, without the logsource check (callers that sorted events by kind).
    pub fn detects(&self, row: &EventRow) -> bool {
        rsigma_eval::evaluate_rule(&self.compiled, &SigmaEvent::new(row)).is_some()
    }

    /// The kinds of event the rule's logsource accepts (empty: it never fires).
    pub fn kinds(&self) -> Kinds {
        self.kinds
    }

    /// Strings of which one must occur (ignoring ASCII case) in the event for the rule to
    /// match, or `None` when its detection names none.
    pub fn literals(&self) -> Option<&[String]> {
        self.literals.as_deref()
    }
}

/// Something an import could not turn into a rule, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The Sigma title when the document got far enough to have one.
    pub title: Option<String>,
    pub reason: String,
}

/// The result of importing one file (or one uploaded text).
#[derive(Debug, Clone)]
pub struct FileImport {
    /// The file, or `None` for text handed over directly.
    pub path: Option<PathBuf>,
    pub rules: Vec<SigmaRule>,
    pub correlations: Vec<CorrelationSpec>,
    pub refused: Vec<Refusal>,
    pub warnings: Vec<String>,
}

impl FileImport {
    fn new(path: Option<PathBuf>) -> Self {
        Self {
            path,
            rules: Vec::new(),
            correlations: Vec::new(),
            refused: Vec::new(),
            warnings: Vec::new(),
        }
    }

    fn refuse(&mut self, title: Option<&str>, reason: impl Into<String>) {
        self.refused.push(Refusal {
            title: title.map(str::to_owned),
            reason: reason.into(),
        });
    }

    /// Imported something and refused nothing.
    pub fn is_ok(&self) -> bool {
        self.refused.is_empty() && !(self.rules.is_empty() && self.correlations.is_empty())
    }
}

/// Files larger than this are refused unread: a rule file is a few kilobytes.
pub const MAX_FILE_BYTES: u64 = 1 << 20;

/// Imports the Sigma documents in `text` (one or more, separated by `---`).
pub fn import_yaml(text: &str) -> FileImport {
    let mut out = FileImport::new(None);
    import_into(&mut out, text);
    resolve_references(std::slice::from_mut(&mut out));
    out
}

/// Imports one file.
pub fn import_file(path: &Path) -> FileImport {
    let mut out = import_file_unresolved(path);
    resolve_references(std::slice::from_mut(&mut out));
    out
}

/// Imports every `.yml`/`.yaml` file under `dir`, recursively, in path order; correlations may
/// refer to rules in any of them. A directory that cannot be read is an error; a file that
/// cannot be read is a refusal in its own result.
pub fn import_dir(dir: &Path) -> std::io::Result<Vec<FileImport>> {
    let mut files = Vec::new();
    collect_yaml(dir, &mut files)?;
    files.sort();
    let mut out: Vec<FileImport> = files.iter().map(|p| import_file_unresolved(p)).collect();
    resolve_references(&mut out);
    Ok(out)
}

fn collect_yaml(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        // Symbolic links are not followed: an upload folder must not reach outside itself.
        let kind = entry.file_type()?;
        if kind.is_dir() {
            collect_yaml(&path, out)?;
        } else if kind.is_file()
            && matches!(
                path.extension().and_then(|e| e.to_str()),
                Some("yml" | "yaml")
            )
        {
            out.push(path);
        }
    }
    Ok(())
}

fn import_file_unresolved(path: &Path) -> FileImport {
    let mut out = FileImport::new(Some(path.to_owned()));
    match std::fs::metadata(path) {
        Ok(m) if m.len() > MAX_FILE_BYTES => {
            out.refuse(
                None,
                format!(
                    "file is {} bytes, over the {MAX_FILE_BYTES} byte limit",
                    m.len()
                ),
            );
            return out;
        }
        Ok(_) => {}
        Err(e) => {
            out.refuse(None, format!("cannot read the file: {e}"));
            return out;
        }
    }
    match std::fs::read(path) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(text) => import_into(&mut out, &text),
            Err(_) => out.refuse(None, "the file is not UTF-8 text"),
        },
        Err(e) => out.refuse(None, format!("cannot read the file: {e}")),
    }
    out
}

/// Splits `text` into YAML documents; stops at the first one that does not parse, as a broken
/// stream cannot be resynchronised.
fn documents(text: &str) -> Result<Vec<Value>, String> {
    use serde::Deserialize;
    let mut docs = Vec::new();
    for doc in yaml_serde::Deserializer::from_str(text) {
        match Value::deserialize(doc) {
            Ok(v) => docs.push(v),
            Err(e) => return Err(format!("invalid YAML: {e}")),
        }
    }
    Ok(docs)
}

fn import_into(out: &mut FileImport, text: &str) {
    let docs = match documents(text) {
        Ok(d) if d.is_empty() => {
            out.refuse(None, "the file holds no YAML document");
            return;
        }
        Ok(d) => d,
        Err(e) => {
            out.refuse(None, e);
            return;
        }
    };
    // Documents in the deprecated `| count()` syntax become a base rule plus a correlation;
    // the rest go to the parser as written (it also handles `action: global` collections).
    let mut legacy = Vec::new();
    let has_legacy = docs
        .iter()
        .any(|d| correlation::translate_legacy(d, 0).is_some());
    let collection = if has_legacy {
        let mut parts = Vec::new();
        for (i, doc) in docs.iter().enumerate() {
            let title = doc.get("title").and_then(Value::as_str);
            match correlation::translate_legacy(doc, i) {
                Some(Ok(t)) => {
                    parts.push(t.base_yaml.clone());
                    legacy.push((doc.clone(), t));
                }
                Some(Err(e)) => out.refuse(title, e),
                None => match yaml_serde::to_string(doc) {
                    Ok(y) => parts.push(y),
                    Err(e) => out.refuse(title, e.to_string()),
                },
            }
        }
        rsigma_parser::parse_sigma_yaml(&parts.join("\n---\n"))
    } else {
        rsigma_parser::parse_sigma_yaml(text)
    };
    let collection = match collection {
        Ok(c) => c,
        Err(e) => {
            out.refuse(None, e.to_string());
            return;
        }
    };
    add_collection(out, &collection);
    for (doc, t) in legacy {
        let info = legacy_info(&doc);
        out.warnings.push(format!(
            "{}: deprecated count() aggregation translated to a {} correlation over rule {}",
            info.title,
            if t.count.field.is_some() {
                "value_count"
            } else {
                "event_count"
            },
            t.base_name
        ));
        out.correlations.push(t.spec(info));
    }
}

/// The metadata of a legacy document, read directly (it is not a parsed correlation).
fn legacy_info(doc: &Value) -> RuleInfo {
    let s = |k: &str| doc.get(k).and_then(Value::as_str).map(str::to_owned);
    let list = |k: &str| -> Vec<String> {
        doc.get(k)
            .and_then(Value::as_sequence)
            .map(|v| {
                v.iter()
                    .filter_map(|x| x.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    let level = s("level").and_then(|l| l.parse::<Level>().ok());
    RuleInfo::new(
        s("title").as_deref().unwrap_or("untitled"),
        &s("id"),
        &s("name"),
        level,
        &list("tags"),
        &s("description"),
        &list("falsepositives"),
        &s("author"),
        &list("references"),
    )
}

fn add_collection(out: &mut FileImport, c: &SigmaCollection) {
    for e in &c.errors {
        out.refuse(None, e.clone());
    }
    for rule in &c.rules {
        let info = RuleInfo::of_rule(rule);
        if rule.level.is_none() {
            out.warnings
                .push(format!("{}: no level given; severity medium", info.title));
        }
        if rule.detection.timeframe.is_some() {
            out.warnings.push(format!(
                "{}: the detection timeframe is ignored (it only applies to aggregations)",
                info.title
            ));
        }
        let compiled = match rsigma_eval::compile_rule(rule) {
            Ok(c) => c,
            Err(e) => {
                out.refuse(
                    Some(&info.title),
                    format!("cannot compile the detection: {e}"),
                );
                continue;
            }
        };
        let kinds = logsource::rule_kinds(&rule.logsource);
        if kinds.is_empty() {
            out.warnings.push(format!(
                "{}: Vigil has no events of logsource {}; the rule never fires",
                info.title,
                logsource::describe(&rule.logsource)
            ));
        }
        out.rules.push(SigmaRule {
            info,
            logsource: rule.logsource.clone(),
            kinds,
            compiled,
            literals: prefilter::rule_literals(rule),
        });
    }
    for corr in &c.correlations {
        let info = RuleInfo::of_correlation(corr);
        match CorrelationSpec::from_rule(corr, info) {
            Ok(spec) => out.correlations.push(spec),
            Err(reason) => out.refuse(Some(&corr.title), reason),
        }
    }
    for filter in &c.filters {
        out.refuse(
            Some(&filter.title),
            "Sigma filter documents are not supported; add the exclusion to the rule itself",
        );
    }
}

/// Warns about each correlation reference that names no imported rule or correlation.
fn resolve_references(files: &mut [FileImport]) {
    let known = |reference: &str, files: &[FileImport]| {
        files.iter().any(|f| {
            f.rules.iter().any(|r| r.info.answers_to(reference))
                || f.correlations.iter().any(|c| c.info.answers_to(reference))
        })
    };
    let mut missing = Vec::new();
    for (i, f) in files.iter().enumerate() {
        for c in &f.correlations {
            for r in &c.rules {
                if !known(r, files) {
                    missing.push((i, format!(
                        "{}: references rule {r}, which this import does not contain; the correlation stays silent until it exists",
                        c.info.title
                    )));
                }
            }
        }
    }
    for (i, w) in missing {
        files[i].warnings.push(w);
    }
}
