//! Reading one file from its checkpoint: complete lines are submitted with the offset they
//! reach; an unterminated last line waits until it is completed or the file goes idle.
//!
//! Blocking I/O: callers run this on a thread of their own (the watcher's, or `vigil ingest`'s).

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::checkpoint::{CheckpointMark, FINGERPRINT_BYTES, Fingerprint};
use super::{IngestError, IngestHandle, RawLine, SourceRef, Submission};
use crate::parse::{MAX_LINE_BYTES, ParserKind, ZeekState, looks_binary};

/// Lines per submission; also bounded by [`CHUNK_BYTES`].
const LINES_PER_SUBMISSION: usize = 2000;
/// Bytes read at a time.
const CHUNK_BYTES: usize = 1 << 20;
/// Bytes of one line kept in memory: the line limit plus one, so the sanitizer sees the
/// overflow, cuts at a char boundary and flags the event as truncated. The rest of a longer
/// line is read and counted but not kept, so a file without newlines (or a `.gz` bomb) costs
/// no more memory than one long line.
const KEEP_BYTES: usize = MAX_LINE_BYTES + 1;

/// Why a file is not read.
#[derive(Debug, thiserror::Error)]
pub enum TailError {
    #[error("{0}")]
    Io(#[from] io::Error),
    #[error("binary file skipped")]
    Binary,
    #[error("the path no longer names the file found there")]
    Replaced,
    #[error(transparent)]
    Pipeline(#[from] IngestError),
}

/// How a file's bytes come in.
enum Reader {
    Plain(File),
    /// A `.gz` file, read once; offsets count uncompressed bytes.
    Gzip {
        decoder: Box<flate2::read::MultiGzDecoder<File>>,
        done: bool,
    },
}

/// One file being read.
pub struct TailedFile {
    pub path: PathBuf,
    pub dev: u64,
    pub inode: u64,
    pub fingerprint: Fingerprint,
    key: String,
    reader: Reader,
    /// Bytes stored or on their way: everything before this offset has been submitted.
    pub offset: u64,
    /// The kept start (at most [`KEEP_BYTES`]) of an unterminated last line after `offset`, its
    /// full length in bytes, and since when that length is unchanged.
    pending: Vec<u8>,
    pending_len: u64,
    pending_since: Option<Instant>,
    source: SourceRef,
    parser: ParserKind,
    zeek: Option<Arc<Mutex<ZeekState>>>,
    reference_time: DateTime<Utc>,
    path_field: Value,
    /// Bytes consumed, added up for a progress display.
    progress: Option<Arc<std::sync::atomic::AtomicU64>>,
    last_offset_reported: u64,
    /// The acknowledgement of the last submission, for callers that wait for it.
    last_ack: Option<tokio::sync::oneshot::Receiver<Result<(), IngestError>>>,
}

/// What one [`TailedFile::poll`] did.
#[derive(Debug, Default, Clone, Copy)]
pub struct PollStats {
    pub lines: u64,
    pub bytes: u64,
}

impl TailedFile {
    /// Opens `path`, following symbolic links (the operator named it), and positions it at its
    /// checkpoint among `checkpoints` (fingerprint key to offset), or at the start.
    pub fn open(
        path: &Path,
        source: SourceRef,
        parser: ParserKind,
        checkpoints: &HashMap<String, u64>,
    ) -> Result<Self, TailError> {
        Self::read_from(File::open(path)?, path, source, parser, checkpoints)
    }

    /// Opens a file found in the watched directory, never through a symbolic link
    /// (`O_NOFOLLOW`), and only if it is still the file `expected` (device, inode) that the walk
    /// saw: a link or another file swapped in between the walk and the open is not read.
    pub fn open_watched(
        path: &Path,
        expected: (u64, u64),
        source: SourceRef,
        parser: ParserKind,
        checkpoints: &HashMap<String, u64>,
    ) -> Result<Self, TailError> {
        use std::os::unix::fs::OpenOptionsExt;
        let file = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
            .open(path)?;
        let meta = file.metadata()?;
        if !meta.is_file() || (meta.dev(), meta.ino()) != expected {
            return Err(TailError::Replaced);
        }
        Self::read_from(file, path, source, parser, checkpoints)
    }

    fn read_from(
        mut file: File,
        path: &Path,
        source: SourceRef,
        parser: ParserKind,
        checkpoints: &HashMap<String, u64>,
    ) -> Result<Self, TailError> {
        let meta = file.metadata()?;
        let (dev, inode) = (meta.dev(), meta.ino());
        let mut head = vec![0; FINGERPRINT_BYTES];
        let n = read_full(&mut file, &mut head)?;
        head.truncate(n);
        let fingerprint = checkpoints
            .keys()
            .filter_map(|k| Fingerprint::parse(k))
            .find(|fp| fp.matches(dev, inode, &head))
            .unwrap_or_else(|| Fingerprint::new(dev, inode, &head));
        let key = fingerprint.key();
        let offset = checkpoints.get(&key).copied().unwrap_or(0);
        let gz = path.extension().is_some_and(|e| e == "gz");
        // Sniff the (uncompressed) start for binary content and Zeek headers, through the open
        // handle: the path may name something else by now.
        let sniff = if gz {
            file.seek(SeekFrom::Start(0))?;
            let mut probe = flate2::read::MultiGzDecoder::new(&file);
            let mut buf = vec![0; 8192];
            let n = read_full(&mut probe, &mut buf).unwrap_or(0);
            buf.truncate(n);
            buf
        } else {
            head.clone()
        };
        file.seek(SeekFrom::Start(0))?;
        let reader = if gz {
            Reader::Gzip {
                decoder: Box::new(flate2::read::MultiGzDecoder::new(file)),
                done: false,
            }
        } else {
            Reader::Plain(file)
        };
        if looks_binary(&sniff) {
            return Err(TailError::Binary);
        }
        let parser = if parser == ParserKind::Auto && sniff.starts_with(b"#separator") {
            ParserKind::Zeek
        } else {
            parser
        };
        let zeek = (parser == ParserKind::Zeek).then(|| Arc::new(Mutex::new(ZeekState::new())));
        let mut this = Self {
            path: path.to_owned(),
            dev,
            inode,
            fingerprint,
            key,
            reader,
            offset: 0,
            pending: Vec::new(),
            pending_len: 0,
            pending_since: None,
            source,
            parser,
            zeek,
            reference_time: meta
                .modified()
                .map(DateTime::<Utc>::from)
                .unwrap_or_else(|_| Utc::now()),
            path_field: Value::String(path.display().to_string()),
            last_ack: None,
            progress: None,
            last_offset_reported: 0,
        };
        this.seek_to(offset)?;
        Ok(this)
    }

    /// Moves the read position to `offset`. Zeek files are re-read from the start without
    /// submitting, so their header state is rebuilt.
    fn seek_to(&mut self, offset: u64) -> io::Result<()> {
        // The skipped start, for Zeek files only (bounded), read through the open handle.
        let mut skipped = Vec::new();
        let replay = if self.zeek.is_some() {
            offset.min(64 << 20)
        } else {
            0
        };
        match &mut self.reader {
            Reader::Plain(f) => {
                if replay > 0 {
                    skipped = vec![0; replay as usize];
                    let n = read_at(f, &mut skipped, 0)?;
                    skipped.truncate(n);
                }
                f.seek(SeekFrom::Start(offset))?;
            }
            Reader::Gzip { decoder, .. } => {
                (&mut **decoder).take(replay).read_to_end(&mut skipped)?;
                let rest = offset - skipped.len() as u64;
                io::copy(&mut (&mut **decoder).take(rest), &mut io::sink())?;
            }
        }
        if let Some(zeek) = &self.zeek
            && !skipped.is_empty()
        {
            let mut state = zeek.lock().unwrap_or_else(|e| e.into_inner());
            let ctx = crate::parse::ParseContext::new(Utc::now());
            for line in skipped.split(|b| *b == b'\n') {
                if line.starts_with(b"#") {
                    let (text, _) = crate::parse::sanitize(line);
                    state.feed(&text, &ctx);
                }
            }
        }
        self.offset = offset;
        self.last_offset_reported = offset;
        Ok(())
    }

    /// Adds every consumed byte to `counter`.
    pub fn set_progress(&mut self, counter: Arc<std::sync::atomic::AtomicU64>) {
        self.progress = Some(counter);
    }

    pub fn key(&self) -> &str {
        &self.key
    }

    /// The file's size on disk now (compressed size for `.gz`).
    pub fn len_on_disk(&self) -> io::Result<u64> {
        match &self.reader {
            Reader::Plain(f) => Ok(f.metadata()?.len()),
            Reader::Gzip { decoder, .. } => Ok(decoder.get_ref().metadata()?.len()),
        }
    }

    pub fn is_gzip(&self) -> bool {
        matches!(self.reader, Reader::Gzip { .. })
    }

    /// True once a `.gz` file has been read to its end.
    pub fn finished(&self) -> bool {
        matches!(self.reader, Reader::Gzip { done: true, .. })
    }

    /// True when an unterminated last line is waiting.
    pub fn has_pending(&self) -> bool {
        self.pending_len > 0
    }

    /// Starts over at offset 0: the file was truncated in place (copytruncate).
    pub fn restart(&mut self) -> io::Result<()> {
        let mut head = vec![0; FINGERPRINT_BYTES];
        let n = match &mut self.reader {
            Reader::Plain(f) => {
                f.seek(SeekFrom::Start(0))?;
                read_full(f, &mut head)?
            }
            Reader::Gzip { .. } => 0,
        };
        head.truncate(n);
        self.fingerprint = Fingerprint::new(self.dev, self.inode, &head);
        self.key = self.fingerprint.key();
        self.pending.clear();
        self.pending_len = 0;
        self.pending_since = None;
        if let Some(z) = &self.zeek {
            *z.lock().unwrap_or_else(|e| e.into_inner()) = ZeekState::new();
        }
        self.seek_to(0)
    }

    /// True when the first bytes on disk no longer match the fingerprint (the inode now holds
    /// another file).
    pub fn replaced(&self) -> io::Result<bool> {
        let Reader::Plain(f) = &self.reader else {
            return Ok(false);
        };
        let mut head = vec![0; self.fingerprint.len];
        let n = read_at(f, &mut head, 0)?;
        Ok(n < self.fingerprint.len || !self.fingerprint.matches(self.dev, self.inode, &head))
    }

    /// Reads what was appended since the last call and submits its complete lines. With
    /// `flush_pending`, an unterminated last line is submitted too (the file is complete, or
    /// idle for long enough); `idle_flush` does that only once the line has waited that long.
    pub fn poll(
        &mut self,
        handle: &IngestHandle,
        flush_pending: bool,
        idle_flush: Option<std::time::Duration>,
    ) -> Result<PollStats, TailError> {
        let mut stats = PollStats::default();
        let mut buf = vec![0u8; CHUNK_BYTES];
        let mut lines: Vec<RawLine> = Vec::new();
        let mut batch_bytes = 0usize;
        loop {
            let n = match &mut self.reader {
                Reader::Plain(f) => f.read(&mut buf)?,
                Reader::Gzip { decoder, done } => {
                    if *done {
                        0
                    } else {
                        let n = decoder.read(&mut buf)?;
                        *done = n == 0;
                        n
                    }
                }
            };
            if n == 0 {
                break;
            }
            let mut data = &buf[..n];
            self.pending_since = None;
            while let Some(nl) = data.iter().position(|b| *b == b'\n') {
                self.keep(&data[..nl]);
                data = &data[nl + 1..];
                let consumed = std::mem::take(&mut self.pending_len) + 1;
                let mut line = std::mem::take(&mut self.pending);
                if line.len() < KEEP_BYTES {
                    strip_cr(&mut line);
                }
                stats.bytes += consumed;
                self.offset += consumed;
                batch_bytes += line.len();
                if !line.is_empty() {
                    lines.push(self.raw_line(line));
                }
                if lines.len() >= LINES_PER_SUBMISSION || batch_bytes >= CHUNK_BYTES {
                    stats.lines += lines.len() as u64;
                    self.submit(handle, std::mem::take(&mut lines))?;
                    batch_bytes = 0;
                }
            }
            self.keep(data);
        }
        if self.has_pending() {
            let since = *self.pending_since.get_or_insert_with(Instant::now);
            let idle = idle_flush.is_some_and(|d| since.elapsed() >= d);
            if flush_pending || idle || self.finished() {
                let mut line = std::mem::take(&mut self.pending);
                let consumed = std::mem::take(&mut self.pending_len);
                if line.len() < KEEP_BYTES {
                    strip_cr(&mut line);
                }
                self.offset += consumed;
                stats.bytes += consumed;
                self.pending_since = None;
                lines.push(self.raw_line(line));
            }
        }
        if !lines.is_empty() || stats.bytes > 0 {
            stats.lines += lines.len() as u64;
            self.submit(handle, lines)?;
        }
        Ok(stats)
    }

    /// Adds `bytes` to the unterminated line: all of them to its length, as many as fit within
    /// [`KEEP_BYTES`] to its kept start.
    fn keep(&mut self, bytes: &[u8]) {
        let room = KEEP_BYTES.saturating_sub(self.pending.len());
        self.pending
            .extend_from_slice(&bytes[..bytes.len().min(room)]);
        self.pending_len += bytes.len() as u64;
    }

    fn raw_line(&self, bytes: Vec<u8>) -> RawLine {
        RawLine::new(bytes, Utc::now())
    }

    fn submit(&mut self, handle: &IngestHandle, lines: Vec<RawLine>) -> Result<(), TailError> {
        if let Some(p) = &self.progress {
            let before = self.last_offset_reported;
            p.fetch_add(self.offset - before, std::sync::atomic::Ordering::Relaxed);
            self.last_offset_reported = self.offset;
        }
        let (tx, rx) = tokio::sync::oneshot::channel();
        let sub = Submission {
            source: self.source.clone(),
            parser: self.parser,
            reference_time: Some(self.reference_time),
            lines,
            fields: Some(Arc::new(Map::from_iter([(
                "log.file.path".to_string(),
                self.path_field.clone(),
            )]))),
            checkpoint: Some(CheckpointMark {
                source_id: self.source.id,
                fingerprint: self.key.clone(),
                path: self.path.display().to_string(),
                offset: self.offset,
            }),
            zeek: self.zeek.clone(),
            ack: Some(tx),
        };
        handle.blocking_submit(sub)?;
        self.last_ack = Some(rx);
        Ok(())
    }

    /// Waits until everything submitted from this file is stored.
    pub fn wait_stored(&mut self) -> Result<(), IngestError> {
        match self.last_ack.take() {
            Some(rx) => rx.blocking_recv().map_err(|_| IngestError::Closed)?,
            None => Ok(()),
        }
    }

    /// Whether everything submitted from this file is stored, without waiting: `None` while it
    /// is still on its way.
    pub fn try_stored(&mut self) -> Option<Result<(), IngestError>> {
        use tokio::sync::oneshot::error::TryRecvError;
        let rx = self.last_ack.as_mut()?;
        match rx.try_recv() {
            Ok(result) => {
                self.last_ack = None;
                Some(result)
            }
            Err(TryRecvError::Empty) => None,
            Err(TryRecvError::Closed) => {
                self.last_ack = None;
                Some(Err(IngestError::Closed))
            }
        }
    }

    /// The path the file is now known by (after a rename).
    pub fn set_path(&mut self, path: &Path) {
        if path != self.path {
            self.path = path.to_owned();
            self.path_field = Value::String(path.display().to_string());
        }
    }
}

fn strip_cr(line: &mut Vec<u8>) {
    if line.last() == Some(&b'\r') {
        line.pop();
    }
}

fn read_full(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

fn read_at(f: &File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    use std::os::unix::fs::FileExt;
    let mut n = 0;
    while n < buf.len() {
        match f.read_at(&mut buf[n..], offset + n as u64) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use sea_orm::{EntityTrait, QueryOrder};

    use super::*;
    use crate::config::Config;
    use crate::store::bronze_event_data as events;

    /// A line without a newline far longer than the limit keeps only the limit (plus one byte)
    /// in memory while it waits, yet its whole length is counted, so the next line starts
    /// where it should; both are stored, the long one cut and flagged.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_unterminated_line_keeps_at_most_the_limit_in_memory() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("vigil.db").display()
        );
        let config = Config::for_database(&url, dir.path());
        let db = crate::store::connect(&config).await.unwrap();
        crate::store::migrate(&db).await.unwrap();
        let handle = IngestHandle::start(db.clone(), &config.ingest);
        let source = handle
            .source("tail-test", "watch", serde_json::json!({}))
            .await
            .unwrap();
        let path = dir.path().join("one-line.log");
        let long = 8 * CHUNK_BYTES;
        std::fs::write(&path, vec![b'x'; long]).unwrap();

        let (file, path) = tokio::task::spawn_blocking(move || {
            let mut f = TailedFile::open(&path, source, ParserKind::Raw, &HashMap::new()).unwrap();
            let stats = f.poll(&handle, false, None).unwrap();
            assert_eq!(stats.lines, 0, "the line is not complete yet");
            assert!(f.has_pending());
            assert_eq!(f.pending_len, long as u64);
            assert_eq!(
                f.pending.len(),
                KEEP_BYTES,
                "memory does not grow with the line"
            );
            let mut out = std::fs::OpenOptions::new()
                .append(true)
                .open(&path)
                .unwrap();
            out.write_all(b"\nthe next line\n").unwrap();
            let stats = f.poll(&handle, false, None).unwrap();
            assert_eq!(stats.lines, 2);
            f.wait_stored().unwrap();
            (f, path)
        })
        .await
        .unwrap();
        assert_eq!(file.offset, std::fs::metadata(&path).unwrap().len());

        let rows = events::Entity::find()
            .order_by_asc(events::Column::Id)
            .all(&db)
            .await
            .unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].raw.len(), MAX_LINE_BYTES);
        assert!(rows[0].raw.bytes().all(|b| b == b'x'));
        assert_ne!(rows[0].flags & crate::parse::flags::TRUNCATED as i32, 0);
        assert_eq!(rows[1].raw, "the next line");
        assert_eq!(rows[1].flags & crate::parse::flags::TRUNCATED as i32, 0);
    }
}
