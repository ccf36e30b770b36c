//! PDF rendering with Typst, embedded as a library: the [`Document`] goes to a fixed template
//! as JSON data (so logged text is only ever text, never markup), charts as SVG files drawn by
//! [`super::chart`], fonts from Vigil's own files (Inter, SIL Open Font License, see
//! `server/assets/fonts/OFL.txt`). Nothing is downloaded: the template imports no packages.
//!
//! The layout: a title page, a table of contents when the report has many sections, tables
//! whose header row repeats on every page, and page numbers.

use serde_json::{Value, json};
use typst_as_lib::TypstEngine;

use super::{Block, Document, chart};

const TEMPLATE: &str = include_str!("report.typ");
const FONTS: [&[u8]; 3] = [
    include_bytes!("../../assets/fonts/Inter-Regular.otf"),
    include_bytes!("../../assets/fonts/Inter-Bold.otf"),
    include_bytes!("../../assets/fonts/Inter-Italic.otf"),
];

/// Sections from which a table of contents is printed: the alert report, with a section per
/// alert, has one; the summary's few sections do not need it.
const TOC_SECTIONS: usize = 7;

/// The document as PDF bytes; CPU-bound, run it on a blocking thread.
pub fn render(doc: &Document) -> Result<Vec<u8>, String> {
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    let sections: Vec<Value> = doc
        .sections
        .iter()
        .map(|s| {
            let blocks: Vec<Value> = s
                .blocks
                .iter()
                .map(|b| match b {
                    Block::Facts { items } => json!({ "type": "facts", "items": items }),
                    Block::Table { columns, rows } => {
                        json!({ "type": "table", "columns": columns, "rows": rows })
                    }
                    Block::Text { text } => json!({ "type": "text", "text": text }),
                    Block::Chart { caption, points } => {
                        let name = format!("chart-{}.svg", files.len());
                        files.push((name.clone(), chart::bars(points, 500.0, 190.0).into_bytes()));
                        json!({ "type": "chart", "file": name, "caption": caption })
                    }
                })
                .collect();
            json!({ "heading": s.heading, "blocks": blocks })
        })
        .collect();
    let when = |t: &chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%d %H:%M UTC").to_string();
    let mut filters = Vec::new();
    for (label, value) in [
        ("Query", &doc.filters.q),
        ("Severities", &doc.filters.severity),
        ("Statuses", &doc.filters.status),
    ] {
        if let Some(v) = value.as_deref().filter(|v| !v.trim().is_empty()) {
            filters.push(json!([label, v]));
        }
    }
    let data = json!({
        "title": doc.title,
        "name": doc.name,
        "from": when(&doc.from),
        "to": when(&doc.to),
        "generated": when(&doc.generated_at),
        "filters": filters,
        "toc": doc.sections.len() >= TOC_SECTIONS,
        "sections": sections,
    });
    files.push((
        "data.json".into(),
        serde_json::to_vec(&data).map_err(|e| e.to_string())?,
    ));
    let engine = TypstEngine::builder()
        .main_file(TEMPLATE)
        .fonts(FONTS)
        .with_static_file_resolver(files.iter().map(|(n, b)| (n.as_str(), b.as_slice())))
        .build();
    let paged: typst_layout::PagedDocument = engine
        .compile()
        .output
        .map_err(|e| format!("PDF layout failed: {e}"))?;
    typst_pdf::pdf(&paged, &typst_pdf::PdfOptions::default())
        .map_err(|e| format!("PDF output failed: {e:?}"))
}
