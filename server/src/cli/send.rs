//! `vigil send`: pushes a file of logs to a running Vigil over the REST API at a steady rate,
//! for demonstrations, load tests and backfills.
//!
//! JSON arrays and NDJSON go to `/api/v1/logs` as NDJSON batches; plain lines go to
//! `/api/v1/logs/raw` as text. Batches are paced so that on average no more than `--rate`
//! events per second leave: after each batch the command sleeps until the moment the events
//! sent so far are due. Several batches may wait for their answers at once.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};
use serde_json::Value;
use tokio::task::JoinSet;

use app::model::events::IngestSummary;

/// How many events a request carries at most.
const MAX_BATCH: usize = 1000;
/// The body size a batch stays under, well within the server's 16 MiB limit.
const MAX_BATCH_BYTES: usize = 4 << 20;
/// How many rejected items are printed.
const SHOWN_ERRORS: usize = 10;
/// Requests in flight at once: the server answers a batch only once it is stored, after its
/// batching interval, so one request at a time could not keep up a high rate.
const MAX_IN_FLIGHT: usize = 8;

#[derive(Debug, Args)]
pub struct SendArgs {
    /// The file to send: a JSON array of objects, NDJSON, or plain log lines.
    #[arg(long, value_name = "FILE")]
    pub file: PathBuf,
    /// Events per second to aim for; 0 sends as fast as the server stores them.
    #[arg(long, value_name = "N", default_value_t = 1000)]
    pub rate: u32,
    /// Address of the running Vigil.
    #[arg(long, value_name = "URL", default_value = "http://127.0.0.1:3000")]
    pub url: String,
    /// Bearer token with `ingest.write`: an API token or an access token.
    #[arg(
        long,
        env = "VIGIL_TOKEN",
        value_name = "TOKEN",
        hide_env_values = true
    )]
    pub token: String,
    /// How to read the file [default: `.ndjson`/`.jsonl` are NDJSON, `.log`/`.txt` lines;
    /// otherwise a file starting with `[` or holding one object is JSON, one starting with `{`
    /// NDJSON, anything else lines].
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<Format>,
    /// Events per request [default: a tenth of the rate, 1 to 1000].
    #[arg(long, value_name = "N")]
    pub batch: Option<usize>,
}

/// How the file is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// One JSON object or an array of them.
    Json,
    /// One JSON object per line.
    Ndjson,
    /// One raw log line per line, parsed by the server.
    Lines,
}

/// One event to send and where it was in the file, for messages.
struct Item {
    place: String,
    bytes: Vec<u8>,
}

pub async fn run(args: SendArgs) -> anyhow::Result<()> {
    let data = std::fs::read(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    let format = args.format.unwrap_or_else(|| detect(&args.file, &data));
    let items = items(format, &data)
        .with_context(|| format!("cannot read {} as {format:?}", args.file.display()))?;
    let (endpoint, content_type) = match format {
        Format::Json | Format::Ndjson => ("/api/v1/logs", "application/x-ndjson"),
        Format::Lines => ("/api/v1/logs/raw", "text/plain; charset=utf-8"),
    };
    let batch_size = match (args.batch, args.rate) {
        (Some(n), _) => n,
        (None, 0) => MAX_BATCH,
        // About ten requests a second keeps the pace smooth without a request per event.
        (None, rate) => rate as usize / 10,
    }
    .clamp(1, MAX_BATCH);
    let target = Arc::new(Target {
        client: reqwest::Client::builder()
            .timeout(Duration::from_secs(120))
            .build()?,
        url: format!("{}{endpoint}", base_url(&args.url)),
        token: args.token,
        content_type,
    });

    let started = Instant::now();
    let mut report = Report::default();
    let mut in_flight = JoinSet::new();
    let mut sent = 0usize;
    for batch in batches(&items, batch_size) {
        if in_flight.len() >= MAX_IN_FLIGHT
            && let Some(done) = in_flight.join_next().await
        {
            report.add(&items, done??);
        }
        let mut body = Vec::new();
        for item in batch {
            body.extend_from_slice(&item.bytes);
            body.push(b'\n');
        }
        let target = target.clone();
        let first = sent;
        in_flight.spawn(async move { target.post(body).await.map(|s| (first, s)) });
        sent += batch.len();
        if args.rate > 0 {
            let due = started + Duration::from_secs_f64(sent as f64 / f64::from(args.rate));
            tokio::time::sleep_until(due.into()).await;
        }
    }
    while let Some(done) = in_flight.join_next().await {
        report.add(&items, done??);
    }
    if report.shown > SHOWN_ERRORS {
        eprintln!("… and {} more rejected", report.shown - SHOWN_ERRORS);
    }
    let elapsed = started.elapsed().as_secs_f64();
    let rate = if elapsed > 0.0 {
        sent as f64 / elapsed
    } else {
        0.0
    };
    println!(
        "sent {sent} events in {elapsed:.2} s ({rate:.1} events/s): {} accepted, {} rejected",
        report.accepted, report.rejected
    );
    Ok(())
}

/// Where batches go.
struct Target {
    client: reqwest::Client,
    url: String,
    token: String,
    content_type: &'static str,
}

impl Target {
    /// Sends one batch; a refusal (bad token, missing permission, bad body) is an error.
    async fn post(&self, body: Vec<u8>) -> anyhow::Result<IngestSummary> {
        let response = self
            .client
            .post(&self.url)
            .bearer_auth(&self.token)
            .header(reqwest::header::CONTENT_TYPE, self.content_type)
            .body(body)
            .send()
            .await
            .with_context(|| format!("cannot reach {}", self.url))?;
        let status = response.status();
        if !status.is_success() {
            let text = response.text().await.unwrap_or_default();
            let message = serde_json::from_str::<Value>(&text)
                .ok()
                .and_then(|v| v["error"]["message"].as_str().map(str::to_owned))
                .unwrap_or(text);
            bail!("{} refused a batch ({status}): {message}", self.url);
        }
        response
            .json()
            .await
            .with_context(|| format!("unexpected answer from {}", self.url))
    }
}

/// What the server said about the batches so far.
#[derive(Default)]
struct Report {
    accepted: u64,
    rejected: u64,
    shown: usize,
}

impl Report {
    /// Counts the answer to the batch whose first item is `items[first]` and prints its first
    /// rejections with their place in the file.
    fn add(&mut self, items: &[Item], (first, summary): (usize, IngestSummary)) {
        self.accepted += summary.accepted;
        self.rejected += summary.rejected;
        for rejected in &summary.errors {
            if self.shown < SHOWN_ERRORS {
                let place = items
                    .get(first + rejected.index as usize)
                    .map_or("an item", |i| i.place.as_str());
                eprintln!("rejected {place}: {}", rejected.error);
            }
            self.shown += 1;
        }
    }
}

/// The instance's base URL; a pasted endpoint URL is accepted too.
fn base_url(url: &str) -> &str {
    let url = url.trim_end_matches('/');
    let url = url.strip_suffix("/api/v1/logs/raw").unwrap_or(url);
    url.strip_suffix("/api/v1/logs").unwrap_or(url)
}

/// The format of a file without `--format`: by extension, then by content.
fn detect(path: &Path, data: &[u8]) -> Format {
    match path.extension().and_then(|e| e.to_str()) {
        Some("ndjson" | "jsonl") => return Format::Ndjson,
        Some("log" | "txt") => return Format::Lines,
        _ => {}
    }
    match data.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'[') => Format::Json,
        Some(b'{') if serde_json::from_slice::<Value>(data).is_ok() => Format::Json,
        Some(b'{') => Format::Ndjson,
        _ => Format::Lines,
    }
}

/// The events of the file, each as the bytes of one line of a request body.
fn items(format: Format, data: &[u8]) -> anyhow::Result<Vec<Item>> {
    let lines = || {
        data.split(|b| *b == b'\n')
            .enumerate()
            .map(|(i, line)| (i, line.strip_suffix(b"\r").unwrap_or(line)))
            .filter(|(_, line)| !line.iter().all(u8::is_ascii_whitespace))
            .map(|(i, line)| Item {
                place: format!("line {}", i + 1),
                bytes: line.to_vec(),
            })
    };
    Ok(match format {
        Format::Json => {
            let values = match serde_json::from_slice::<Value>(data)? {
                Value::Array(values) => values,
                value => vec![value],
            };
            // Compact JSON has no raw newlines, so each value is one NDJSON line; the server
            // judges values that are not objects.
            values
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    Ok(Item {
                        place: format!("item {i}"),
                        bytes: serde_json::to_vec(v)?,
                    })
                })
                .collect::<Result<_, serde_json::Error>>()?
        }
        Format::Ndjson | Format::Lines => lines().collect(),
    })
}

/// Consecutive slices of at most `size` items and [`MAX_BATCH_BYTES`] bytes.
fn batches(items: &[Item], size: usize) -> Vec<&[Item]> {
    let mut out = Vec::new();
    let mut start = 0;
    while start < items.len() {
        let mut end = start;
        let mut bytes = 0;
        while end < items.len() && end - start < size {
            bytes += items[end].bytes.len() + 1;
            if bytes > MAX_BATCH_BYTES && end > start {
                break;
            }
            end += 1;
        }
        out.push(&items[start..end]);
        start = end;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_detected_by_extension_then_content() {
        let p = |s: &str| PathBuf::from(s);
        assert_eq!(detect(&p("a.jsonl"), b"x"), Format::Ndjson);
        assert_eq!(detect(&p("a.log"), b"{\"a\":1}"), Format::Lines);
        assert_eq!(detect(&p("a.json"), b" [{\"a\":1}]"), Format::Json);
        assert_eq!(
            detect(&p("eve.json"), b"{\"a\":1}\n{\"a\":2}\n"),
            Format::Ndjson
        );
        assert_eq!(detect(&p("one"), b"{\"a\":1}\n"), Format::Json);
        assert_eq!(detect(&p("auth"), b"May 1 sshd[1]: x"), Format::Lines);
    }

    #[test]
    fn json_arrays_become_one_compact_line_per_value() {
        let items = items(Format::Json, b"[{\"m\": \"a\\nb\"},\n 3]").unwrap();
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].bytes, br#"{"m":"a\nb"}"#);
        assert_eq!(items[1].place, "item 1");
        let items = super::items(Format::Lines, b"one\r\n\n two\n").unwrap();
        let places: Vec<&str> = items.iter().map(|i| i.place.as_str()).collect();
        assert_eq!(places, ["line 1", "line 3"]);
        assert_eq!(items[0].bytes, b"one");
    }

    #[test]
    fn batches_respect_count_and_size() {
        let make = |n: usize, len: usize| -> Vec<Item> {
            (0..n)
                .map(|i| Item {
                    place: i.to_string(),
                    bytes: vec![b'x'; len],
                })
                .collect()
        };
        let items = make(25, 10);
        let sizes: Vec<usize> = batches(&items, 10).iter().map(|b| b.len()).collect();
        assert_eq!(sizes, [10, 10, 5]);
        let items = make(5, MAX_BATCH_BYTES / 2);
        assert!(batches(&items, 100).iter().all(|b| b.len() == 1));
    }

    #[test]
    fn endpoint_urls_are_reduced_to_the_instance() {
        assert_eq!(base_url("http://h:3000/"), "http://h:3000");
        assert_eq!(base_url("http://h:3000/api/v1/logs"), "http://h:3000");
        assert_eq!(base_url("http://h/api/v1/logs/raw/"), "http://h");
    }
}
