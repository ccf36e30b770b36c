//! The watched directory: finds files matching the configured globs, reads them through
//! [`TailedFile`] and follows them across rotation.
//!
//! A thread of its own does the file I/O. It wakes on three things: file notifications (notify)
//! for low latency, the tokio-cron-scheduler rescan job as a safety net for anything a
//! notification missed, and a short tick that flushes unterminated last lines once they have
//! been idle for `watch_idle_flush_ms`.
//!
//! Files are tracked by device and inode, so a rename keeps its reader. Rotation:
//! - rename + create: the old inode is read to its end through the open handle, then the new
//!   file at the path starts at offset 0;
//! - copytruncate: the same inode got shorter than the offset read so far: start again at 0;
//! - delete + recreate: like rename, the old handle is drained first.
//!
//! In `drop` mode a file is read once to its end, and moved to the processed directory once
//! its events are committed; its checkpoint is removed after the move.
//!
//! Symbolic links are never followed, neither to files nor to directories, wherever they point:
//! whoever may drop files into the directory could otherwise link to the signing key or to
//! `/etc/shadow` and read it back as events. Links are skipped with a warning (once per path),
//! files are opened with `O_NOFOLLOW` and must still be the inode the walk found, and the
//! secrets directory is never read even when the watched directory contains it.

use std::collections::{HashMap, HashSet};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::mpsc as std_mpsc;
use std::time::Duration;

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use notify::{RecursiveMode, Watcher};
use tokio_cron_scheduler::{Job, JobScheduler};

use super::checkpoint;
use super::tail::{TailError, TailedFile};
use super::{IngestHandle, SourceRef};
use crate::config::{WatchConfig, WatchMode};

/// The source name of the watched directory.
pub const SOURCE_NAME: &str = "watch";

/// What wakes the watcher thread.
enum Trigger {
    Rescan,
    Changed(Vec<PathBuf>),
    Stop,
}

/// The running watcher; dropping it does not stop it, [`Watch::stop`] does.
pub struct Watch {
    tx: std_mpsc::Sender<Trigger>,
    thread: Option<std::thread::JoinHandle<()>>,
    scheduler: JobScheduler,
    _notify: Option<notify::RecommendedWatcher>,
}

impl Watch {
    /// Starts watching `config.dir`, creating it when missing.
    pub async fn start(config: WatchConfig, handle: IngestHandle) -> anyhow::Result<Self> {
        std::fs::create_dir_all(&config.dir).map_err(|e| {
            anyhow::anyhow!(
                "invalid value for `watch_dir`: cannot create {}: {e}",
                config.dir.display()
            )
        })?;
        if config.mode == WatchMode::Drop {
            std::fs::create_dir_all(&config.processed_dir).map_err(|e| {
                anyhow::anyhow!("cannot create {}: {e}", config.processed_dir.display())
            })?;
        }
        let globs = globs(&config.patterns)?;
        let source = handle
            .source(
                SOURCE_NAME,
                "watch",
                serde_json::json!({
                    "dir": config.dir.display().to_string(),
                    "patterns": config.patterns,
                    "mode": match config.mode { WatchMode::Tail => "tail", WatchMode::Drop => "drop" },
                }),
            )
            .await?;
        let checkpoints = checkpoint::load(handle.db(), source.id).await?;
        let (tx, rx) = std_mpsc::channel();

        let notify_tx = tx.clone();
        let notify = notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
            if let Ok(ev) = res
                && !matches!(ev.kind, notify::EventKind::Access(_))
            {
                let _ = notify_tx.send(Trigger::Changed(ev.paths));
            }
        })
        .and_then(|mut w| {
            w.watch(&config.dir, RecursiveMode::Recursive)?;
            Ok(w)
        });
        let notify = match notify {
            Ok(w) => Some(w),
            Err(err) => {
                tracing::warn!(dir = %config.dir.display(), error = %err, "file notifications unavailable: relying on the rescan schedule");
                None
            }
        };

        let scheduler = JobScheduler::new().await?;
        let cron_tx = std::sync::Mutex::new(tx.clone());
        scheduler
            .add(Job::new(config.schedule.as_str(), move |_, _| {
                let _ = cron_tx
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .send(Trigger::Rescan);
            })?)
            .await?;
        scheduler.start().await?;

        tracing::info!(dir = %config.dir.display(), patterns = ?config.patterns, schedule = %config.schedule, "watching directory");
        let mut state = Scanner {
            rt: tokio::runtime::Handle::current(),
            config,
            globs,
            source,
            handle,
            checkpoints,
            files: HashMap::new(),
            skipped: HashSet::new(),
            links: HashSet::new(),
            pruned: false,
            finishing: HashMap::new(),
        };
        let thread = std::thread::Builder::new()
            .name("vigil-watch".into())
            .spawn(move || state.run(rx))?;
        let _ = tx.send(Trigger::Rescan);
        Ok(Self {
            tx,
            thread: Some(thread),
            scheduler,
            _notify: notify,
        })
    }

    /// Stops watching; what was read is already on its way to the database.
    pub async fn stop(mut self) {
        let _ = self.scheduler.shutdown().await;
        let _ = self.tx.send(Trigger::Stop);
        if let Some(t) = self.thread.take() {
            let _ = tokio::task::spawn_blocking(move || t.join()).await;
        }
    }
}

fn globs(patterns: &[String]) -> anyhow::Result<GlobSet> {
    let mut set = GlobSetBuilder::new();
    for p in patterns {
        set.add(
            GlobBuilder::new(p)
                .literal_separator(false)
                .build()
                .map_err(|e| anyhow::anyhow!("invalid value for `watch_patterns`: {p:?}: {e}"))?,
        );
    }
    Ok(set.build()?)
}

struct Scanner {
    rt: tokio::runtime::Handle,
    config: WatchConfig,
    globs: GlobSet,
    source: SourceRef,
    handle: IngestHandle,
    /// Committed offsets at start-up, by fingerprint key.
    checkpoints: HashMap<String, u64>,
    /// Files being read, by (device, inode).
    files: HashMap<(u64, u64), TailedFile>,
    /// Files not read (binary), by (device, inode), so the warning is given once.
    skipped: HashSet<(u64, u64)>,
    /// Symbolic links found, so the warning about each is given once.
    links: HashSet<PathBuf>,
    /// Whether checkpoints of files no longer present were removed (once, at the first scan).
    pruned: bool,
    /// Drop mode: files read to their end, waiting for their events to be committed.
    finishing: HashMap<(u64, u64), TailedFile>,
}

/// How often pending last lines and drained files are looked at.
const TICK: Duration = Duration::from_millis(200);
/// Notifications arriving this close together are handled together.
const DEBOUNCE: Duration = Duration::from_millis(20);

impl Scanner {
    fn run(&mut self, rx: std_mpsc::Receiver<Trigger>) {
        loop {
            let first = match rx.recv_timeout(TICK) {
                Ok(t) => Some(t),
                Err(std_mpsc::RecvTimeoutError::Timeout) => None,
                Err(std_mpsc::RecvTimeoutError::Disconnected) => return,
            };
            self.move_stored();
            let mut rescan = false;
            let mut changed: HashSet<PathBuf> = HashSet::new();
            let mut take = |t: Trigger, rescan: &mut bool| -> bool {
                match t {
                    Trigger::Rescan => *rescan = true,
                    Trigger::Changed(paths) => changed.extend(paths),
                    Trigger::Stop => return false,
                }
                true
            };
            if let Some(t) = first {
                if !take(t, &mut rescan) {
                    return;
                }
                std::thread::sleep(DEBOUNCE);
                while let Ok(t) = rx.try_recv() {
                    if !take(t, &mut rescan) {
                        return;
                    }
                }
            }
            // A path that is new, renamed or now another inode means: look at the whole tree.
            let mut poll: Vec<(u64, u64)> = Vec::new();
            for p in &changed {
                match std::fs::symlink_metadata(p) {
                    Ok(m) if m.is_file() && self.files.contains_key(&(m.dev(), m.ino())) => {
                        let key = (m.dev(), m.ino());
                        if self.files.get(&key).is_some_and(|f| f.path == *p) {
                            poll.push(key);
                        } else {
                            rescan = true;
                        }
                    }
                    Ok(m) if m.is_file() && !self.wanted(p) => {}
                    _ => rescan = true,
                }
            }
            if rescan {
                self.rescan();
            } else {
                for key in poll {
                    self.poll(key);
                }
                self.flush_idle();
            }
        }
    }

    /// True for a path under the directory that matches a pattern (and is not in processed/
    /// or the secrets directory).
    fn wanted(&self, path: &Path) -> bool {
        let Ok(rel) = path.strip_prefix(&self.config.dir) else {
            return false;
        };
        !path.starts_with(&self.config.processed_dir)
            && !path.starts_with(&self.config.secrets_dir)
            && self.globs.is_match(rel)
    }

    fn rescan(&mut self) {
        let mut found: Vec<(PathBuf, std::fs::Metadata)> = Vec::new();
        let mut links: HashSet<PathBuf> = HashSet::new();
        // Compared by identity, so no spelling of the path gets around it.
        let secrets = std::fs::metadata(&self.config.secrets_dir)
            .ok()
            .map(|m| (m.dev(), m.ino()));
        walk(&self.config.dir, secrets, &mut |path, entry| match entry {
            Entry::File(meta) => {
                if self.wanted(path) {
                    found.push((path.to_owned(), meta.clone()));
                }
            }
            Entry::Link => {
                links.insert(path.to_owned());
            }
        });
        for link in &links {
            if !self.links.contains(link) {
                tracing::warn!(file = %link.display(), "symbolic link skipped: links in the watched directory are never followed");
                metrics::counter!("vigil_ingest_skipped_files_total", "source" => SOURCE_NAME)
                    .increment(1);
            }
        }
        self.links = links;
        let mut seen: HashSet<(u64, u64)> = HashSet::new();
        // Files gone from their path are drained first, so a rotated file's last lines come
        // before the new file's first ones.
        let present: HashSet<(u64, u64)> = found.iter().map(|(_, m)| (m.dev(), m.ino())).collect();
        if !self.pruned {
            self.pruned = true;
            self.prune_checkpoints(&present);
        }
        let gone: Vec<(u64, u64)> = self
            .files
            .keys()
            .filter(|k| !present.contains(k))
            .copied()
            .collect();
        for key in gone {
            if let Some(mut f) = self.files.remove(&key) {
                tracing::debug!(file = %f.path.display(), "file moved away or deleted: reading its end");
                if let Err(err) = f.poll(&self.handle, true, None) {
                    warn_read(&f.path, &err);
                }
                // Should it come back (renamed into the patterns again), it resumes here.
                self.checkpoints.insert(f.key().to_string(), f.offset);
            }
        }
        for (path, meta) in found {
            let key = (meta.dev(), meta.ino());
            seen.insert(key);
            if self.skipped.contains(&key) || self.finishing.contains_key(&key) {
                continue;
            }
            if let Some(f) = self.files.get_mut(&key) {
                f.set_path(&path);
                let truncated = !f.is_gzip() && meta.len() < f.offset;
                let replaced = !f.is_gzip() && f.replaced().unwrap_or(false);
                if truncated || replaced {
                    tracing::info!(file = %path.display(), "file truncated or replaced: reading it from the start");
                    if let Err(err) = f.restart() {
                        warn_read(&path, &TailError::Io(err));
                    }
                }
                self.poll(key);
                continue;
            }
            if meta.len() == 0 {
                // An empty file has no identity yet; it is picked up once it has content.
                continue;
            }
            match TailedFile::open_watched(
                &path,
                key,
                self.source.clone(),
                self.config.parser,
                &self.checkpoints,
            ) {
                Ok(f) => {
                    tracing::info!(file = %path.display(), offset = f.offset, "reading file");
                    self.files.insert(key, f);
                    self.poll(key);
                }
                Err(TailError::Binary) => {
                    tracing::warn!(file = %path.display(), "binary file skipped");
                    metrics::counter!("vigil_ingest_skipped_files_total", "source" => SOURCE_NAME)
                        .increment(1);
                    self.skipped.insert(key);
                }
                Err(err) => warn_read(&path, &err),
            }
        }
        self.skipped.retain(|k| seen.contains(k));
        self.flush_idle();
    }

    /// Removes the checkpoints of files whose inode is no longer in the directory, so the table
    /// does not grow with every rotated-away file. A file still present keeps its checkpoint
    /// even when its first bytes changed, which `TailedFile::open` sorts out.
    fn prune_checkpoints(&mut self, present: &HashSet<(u64, u64)>) {
        let keep: Vec<String> = self
            .checkpoints
            .keys()
            .filter(|k| {
                checkpoint::Fingerprint::parse(k)
                    .is_some_and(|fp| present.contains(&(fp.dev, fp.inode)))
            })
            .cloned()
            .collect();
        if keep.len() == self.checkpoints.len() {
            return;
        }
        let db = self.handle.db().clone();
        let source = self.source.id;
        let kept = keep.clone();
        match self
            .rt
            .block_on(async move { checkpoint::prune(&db, source, &kept).await })
        {
            Ok(n) => {
                tracing::info!(
                    removed = n,
                    "removed checkpoints of files no longer in the directory"
                );
                self.checkpoints.retain(|k, _| keep.contains(k));
            }
            Err(err) => tracing::warn!(error = %err, "cannot remove stale checkpoints"),
        }
    }

    /// Reads what is new in one file; in drop mode, finishes it when complete.
    fn poll(&mut self, key: (u64, u64)) {
        let drop_mode = self.config.mode == WatchMode::Drop;
        let Some(f) = self.files.get_mut(&key) else {
            return;
        };
        let idle = Some(self.config.idle_flush);
        if !f.is_gzip() && f.len_on_disk().is_ok_and(|len| len < f.offset) {
            tracing::info!(file = %f.path.display(), "file truncated: reading it from the start");
            if let Err(err) = f.restart() {
                warn_read(&f.path, &TailError::Io(err));
                return;
            }
        }
        if let Err(err) = f.poll(&self.handle, false, idle) {
            warn_read(&f.path, &err);
            return;
        }
        let lag = f.len_on_disk().unwrap_or(0).saturating_sub(f.offset);
        if !f.is_gzip() {
            metrics::gauge!("vigil_ingest_file_lag_bytes", "source" => SOURCE_NAME, "file" => f.path.display().to_string())
                .set(lag as f64);
        }
        let complete = if f.is_gzip() {
            f.finished()
        } else {
            lag == 0 && !f.has_pending()
        };
        if drop_mode
            && complete
            && let Some(f) = self.files.remove(&key)
        {
            self.finishing.insert(key, f);
        }
    }

    /// Flushes unterminated last lines that have waited long enough.
    fn flush_idle(&mut self) {
        let waiting: Vec<(u64, u64)> = self
            .files
            .iter()
            .filter(|(_, f)| f.has_pending())
            .map(|(k, _)| *k)
            .collect();
        for key in waiting {
            self.poll(key);
        }
    }

    /// Drop mode: moves away the files whose events are committed.
    fn move_stored(&mut self) {
        let mut done = Vec::new();
        for (key, f) in &mut self.finishing {
            match f.try_stored() {
                None => {}
                Some(Ok(())) => done.push((*key, true)),
                Some(Err(err)) => {
                    tracing::error!(file = %f.path.display(), error = %err, "events not stored: file left in place");
                    done.push((*key, false));
                }
            }
        }
        for (key, stored) in done {
            if let Some(f) = self.finishing.remove(&key)
                && stored
            {
                self.move_away(f);
            }
        }
    }

    fn move_away(&mut self, f: TailedFile) {
        let rel = f
            .path
            .strip_prefix(&self.config.dir)
            .unwrap_or(&f.path)
            .to_owned();
        let mut target = self.config.processed_dir.join(&rel);
        if target.exists() {
            let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%.6f");
            let name = format!(
                "{}.{stamp}",
                target.file_name().unwrap_or_default().to_string_lossy()
            );
            target.set_file_name(name);
        }
        if let Some(parent) = target.parent() {
            let _ = std::fs::create_dir_all(parent);
        }
        match std::fs::rename(&f.path, &target) {
            Ok(()) => {
                tracing::info!(file = %f.path.display(), to = %target.display(), "file ingested and moved");
                // The checkpoint is no longer needed once the file has left the directory.
                let db = self.handle.db().clone();
                let (source, fingerprint) = (self.source.id, f.key().to_string());
                let removed = self
                    .rt
                    .block_on(async move { checkpoint::remove(&db, source, &fingerprint).await });
                if let Err(err) = removed {
                    tracing::warn!(file = %target.display(), error = %err, "cannot remove the checkpoint of a moved file");
                }
            }
            Err(err) => {
                tracing::error!(file = %f.path.display(), error = %err, "cannot move ingested file");
            }
        }
    }
}

fn warn_read(path: &Path, err: &TailError) {
    tracing::warn!(file = %path.display(), error = %err, "cannot read file");
}

/// What [`walk`] reports.
enum Entry<'a> {
    /// A regular file, with its own metadata (not a link target's).
    File(&'a std::fs::Metadata),
    /// A symbolic link, not followed.
    Link,
}

/// Every regular file and symbolic link under `dir`, recursively, never following a link and
/// never entering the directory `skip` (device, inode). Other kinds (FIFOs, sockets, devices)
/// are left out: reading them could block or never end.
fn walk(dir: &Path, skip: Option<(u64, u64)>, f: &mut dyn FnMut(&Path, Entry<'_>)) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        let ft = meta.file_type();
        if ft.is_symlink() {
            f(&path, Entry::Link);
        } else if ft.is_dir() {
            if skip != Some((meta.dev(), meta.ino())) {
                walk(&path, skip, f);
            }
        } else if ft.is_file() {
            f(&path, Entry::File(&meta));
        }
    }
}
