//! The watched directory on both databases: tailing, unterminated last lines, rotation by
//! rename, copytruncate and delete+recreate, `.gz`, drop mode, binary files and restarts.

use crate::common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect};

use common::{TestDb, append};
use server::config::{WatchConfig, WatchMode};
use server::ingest::watch::Watch;
use server::parse::ParserKind;
use server::store::bronze_event_data as events;

fn config(dir: &Path, mode: WatchMode, patterns: &[&str]) -> WatchConfig {
    WatchConfig {
        dir: dir.join("inbox"),
        patterns: patterns.iter().map(|p| p.to_string()).collect(),
        mode,
        // The rescan job is the safety net; tests see notifications act well before it.
        schedule: "*/1 * * * * *".into(),
        idle_flush: Duration::from_millis(300),
        parser: ParserKind::Auto,
        processed_dir: dir.join("processed"),
        secrets_dir: dir.join("secrets"),
    }
}

async fn start(db: &TestDb, cfg: &WatchConfig) -> Watch {
    Watch::start(cfg.clone(), db.state.service().ingest().clone())
        .await
        .expect("watch starts")
}

/// Rows from the watched directory, and how many distinct raw lines they hold.
async fn counts(db: &TestDb) -> (u64, u64) {
    let rows = events::Entity::find()
        .filter(events::Column::Source.eq("watch"))
        .count(db.state.service().db())
        .await
        .unwrap();
    let distinct: Vec<String> = events::Entity::find()
        .select_only()
        .column(events::Column::Raw)
        .filter(events::Column::Source.eq("watch"))
        .distinct()
        .into_tuple()
        .all(db.state.service().db())
        .await
        .unwrap();
    (rows, distinct.len() as u64)
}

/// Waits until `want` rows are stored (or 30 s pass), then gives a moment for any duplicate to
/// show up and returns the counts.
async fn settle(db: &TestDb, want: u64) -> (u64, u64) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while counts(db).await.0 < want && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(600)).await;
    counts(db).await
}

fn lines(prefix: &str, range: std::ops::Range<usize>) -> String {
    range
        .map(|i| {
            format!(
                "Jan 12 10:{:02}:{:02} host sshd[{i}]: Failed password for invalid user {prefix}{i} from 203.0.113.{} port {} ssh2\n",
                i / 60 % 60,
                i % 60,
                i % 250 + 1,
                1024 + i
            )
        })
        .collect()
}

async fn tails_appended_lines_and_flushes_an_unterminated_last_line(db: TestDb) {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), WatchMode::Tail, &["**/*.log"]);
    let watch = start(&db, &cfg).await;
    let file = cfg.dir.join("auth.log");
    append(&file, &lines("a", 0..100));
    assert_eq!(settle(&db, 100).await, (100, 100));
    // A nested directory and a file the patterns leave out.
    std::fs::create_dir_all(cfg.dir.join("nested")).unwrap();
    append(&cfg.dir.join("nested/more.log"), &lines("n", 0..10));
    append(&cfg.dir.join("notes.txt"), "not a log\n");
    append(&file, &lines("b", 0..50));
    // Ends without a newline: stored after the idle time.
    append(
        &file,
        "Jan 12 11:00:00 host sshd[9]: Accepted password for alice from 198.51.100.7 port 22 ssh2",
    );
    assert_eq!(settle(&db, 161).await, (161, 161));
    let last = events::Entity::find()
        .filter(events::Column::UserName.eq("alice"))
        .one(db.state.service().db())
        .await
        .unwrap()
        .expect("the unterminated line is stored");
    assert_eq!(last.event_action.as_deref(), Some("ssh_login"));
    assert_eq!(last.event_outcome.as_deref(), Some("success"));
    assert_eq!(last.source_ip.as_deref(), Some("198.51.100.7"));
    assert_eq!(last.fields["log.file.path"], file.display().to_string());
    watch.stop().await;
}

async fn follows_rotation_by_rename_and_create(db: TestDb) {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), WatchMode::Tail, &["*.log"]);
    let watch = start(&db, &cfg).await;
    let file = cfg.dir.join("app.log");
    append(&file, &lines("a", 0..100));
    assert_eq!(settle(&db, 100).await.0, 100);
    // The writer adds a few lines, then logrotate renames the file out of the patterns and the
    // writer starts a new one.
    append(&file, &lines("b", 0..50));
    std::fs::rename(&file, cfg.dir.join("app.log.1")).unwrap();
    append(&file, &lines("c", 0..30));
    assert_eq!(settle(&db, 180).await, (180, 180));
    watch.stop().await;
}

async fn follows_copytruncate(db: TestDb) {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), WatchMode::Tail, &["*.log"]);
    let watch = start(&db, &cfg).await;
    let file = cfg.dir.join("app.log");
    append(&file, &lines("a", 0..100));
    assert_eq!(settle(&db, 100).await.0, 100);
    std::fs::copy(&file, dir.path().join("app.log.1")).unwrap();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&file)
        .unwrap()
        .set_len(0)
        .unwrap();
    append(&file, &lines("c", 0..20));
    assert_eq!(settle(&db, 120).await, (120, 120));
    watch.stop().await;
}

async fn follows_delete_and_recreate(db: TestDb) {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), WatchMode::Tail, &["*.log"]);
    let watch = start(&db, &cfg).await;
    let file = cfg.dir.join("app.log");
    append(&file, &lines("a", 0..100));
    assert_eq!(settle(&db, 100).await.0, 100);
    std::fs::remove_file(&file).unwrap();
    append(&file, &lines("d", 0..40));
    assert_eq!(settle(&db, 140).await, (140, 140));
    watch.stop().await;
}

async fn reads_gzip_once_and_skips_binary_files(db: TestDb) {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), WatchMode::Tail, &["*"]);
    std::fs::create_dir_all(&cfg.dir).unwrap();
    let gz = cfg.dir.join("old.log.gz");
    let mut enc = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz).unwrap(),
        flate2::Compression::default(),
    );
    enc.write_all(lines("z", 0..500).as_bytes()).unwrap();
    enc.finish().unwrap();
    std::fs::write(
        cfg.dir.join("core.bin"),
        [0u8, 1, 2, 3, 0, 0, 255, 254].repeat(100),
    )
    .unwrap();
    let watch = start(&db, &cfg).await;
    assert_eq!(settle(&db, 500).await, (500, 500));
    // Later rescans find nothing new.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(counts(&db).await, (500, 500));
    watch.stop().await;
}

async fn drop_mode_moves_ingested_files(db: TestDb) {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), WatchMode::Drop, &["**/*.log"]);
    let watch = start(&db, &cfg).await;
    std::fs::create_dir_all(cfg.dir.join("hosts/web1")).unwrap();
    // Written elsewhere and moved in, as drop directories expect.
    let staged = dir.path().join("staged.log");
    std::fs::write(&staged, lines("x", 0..200)).unwrap();
    std::fs::rename(&staged, cfg.dir.join("hosts/web1/batch.log")).unwrap();
    assert_eq!(settle(&db, 200).await, (200, 200));
    let moved: PathBuf = cfg.processed_dir.join("hosts/web1/batch.log");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !moved.exists() && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(moved.exists(), "moved to processed/");
    assert!(!cfg.dir.join("hosts/web1/batch.log").exists());

    // Many small files at once; a name already in processed/ gets a suffix.
    for i in 0..40 {
        let staged = dir.path().join(format!("s{i}.log"));
        std::fs::write(&staged, lines(&format!("f{i}-"), 0..5)).unwrap();
        std::fs::rename(&staged, cfg.dir.join(format!("f{i}.log"))).unwrap();
    }
    std::fs::write(&staged, lines("again", 0..3)).unwrap();
    std::fs::rename(&staged, cfg.dir.join("hosts/web1/batch.log")).unwrap();
    assert_eq!(settle(&db, 403).await, (403, 403));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let left = || {
        std::fs::read_dir(&cfg.dir)
            .unwrap()
            .filter(|e| e.as_ref().unwrap().path().is_file())
            .count()
            + std::fs::read_dir(cfg.dir.join("hosts/web1"))
                .unwrap()
                .count()
    };
    while left() > 0 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(left(), 0, "every file moved");
    let processed = std::fs::read_dir(cfg.processed_dir.join("hosts/web1"))
        .unwrap()
        .count();
    assert_eq!(processed, 2, "the second batch.log kept apart");
    assert!(cfg.processed_dir.join("f39.log").exists());
    // Their checkpoints went with them (removed right after each move).
    let file_checkpoints = || async {
        server::store::checkpoint::Entity::find()
            .all(db.state.service().db())
            .await
            .unwrap()
            .into_iter()
            .filter(|c| c.path.ends_with(".log"))
            .collect::<Vec<_>>()
    };
    let mut checkpoints = file_checkpoints().await;
    while !checkpoints.is_empty() && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
        checkpoints = file_checkpoints().await;
    }
    assert!(
        checkpoints.iter().all(|c| !c.path.ends_with(".log")),
        "{checkpoints:?}"
    );
    watch.stop().await;
}

async fn a_restart_resumes_at_the_checkpoint(db: TestDb) {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), WatchMode::Tail, &["*.log"]);
    let file = cfg.dir.join("app.log");
    let watch = start(&db, &cfg).await;
    append(&file, &lines("a", 0..300));
    assert_eq!(settle(&db, 300).await.0, 300);
    watch.stop().await;
    append(&file, &lines("b", 0..70));
    let watch = start(&db, &cfg).await;
    assert_eq!(settle(&db, 370).await, (370, 370));
    watch.stop().await;
}

backend_suite!(
    tails_appended_lines_and_flushes_an_unterminated_last_line,
    follows_rotation_by_rename_and_create,
    follows_copytruncate,
    follows_delete_and_recreate,
    reads_gzip_once_and_skips_binary_files,
    drop_mode_moves_ingested_files,
    a_restart_resumes_at_the_checkpoint,
    symbolic_links_are_never_followed_and_secrets_never_read,
    lines_over_the_limit_are_stored_cut_and_flagged,
);

/// Raw lines from the watched directory, in storing order.
async fn raws(db: &TestDb) -> Vec<(String, i32)> {
    use sea_orm::QueryOrder;
    events::Entity::find()
        .filter(events::Column::Source.eq("watch"))
        .order_by_asc(events::Column::Id)
        .all(db.state.service().db())
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.raw, e.flags))
        .collect()
}

/// Whoever may drop files into the watched directory may place links: to the signing key in
/// the data directory, to a file elsewhere, to a directory elsewhere. None is followed; the
/// regular file beside them is read. Watching the whole data directory does not expose the
/// secrets directory either.
async fn symbolic_links_are_never_followed_and_secrets_never_read(db: TestDb) {
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("data");
    let secrets = server::data_dir::prepare(&data).unwrap();
    server::auth::keys::signing_secret(None, &secrets).unwrap();
    let key_text = std::fs::read_to_string(secrets.join("jwt-signing.key")).unwrap();
    let key_text = key_text.trim();
    assert!(key_text.len() > 40);
    let outside = root.path().join("shadow");
    std::fs::write(&outside, "root:$6$outsidesecret:19000:0:99999:7:::\n").unwrap();
    let outside_dir = root.path().join("elsewhere");
    std::fs::create_dir_all(&outside_dir).unwrap();
    std::fs::write(outside_dir.join("c.log"), "from a linked directory\n").unwrap();

    let inbox = data.join("inbox");
    std::fs::create_dir_all(&inbox).unwrap();
    std::os::unix::fs::symlink("../secrets/jwt-signing.key", inbox.join("a.log")).unwrap();
    std::os::unix::fs::symlink(&outside, inbox.join("b.log")).unwrap();
    std::os::unix::fs::symlink(&outside_dir, inbox.join("sub")).unwrap();
    append(&inbox.join("ok.log"), &lines("ok", 0..3));

    let mut cfg = config(&data, WatchMode::Tail, &["**/*"]);
    cfg.dir = data.clone();
    cfg.secrets_dir = secrets.clone();
    let watch = start(&db, &cfg).await;
    assert_eq!(settle(&db, 3).await, (3, 3));
    // A link made while watching is not read either, nor after the next rescans.
    std::os::unix::fs::symlink("../secrets/jwt-signing.key", inbox.join("late.log")).unwrap();
    append(&inbox.join("ok.log"), &lines("late", 0..1));
    assert_eq!(settle(&db, 4).await, (4, 4));
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let stored = raws(&db).await;
    assert_eq!(stored.len(), 4, "{stored:?}");
    for (raw, _) in &stored {
        assert!(raw.contains("Failed password for invalid user"), "{raw}");
        assert!(!raw.contains(key_text), "the signing key was ingested");
        assert!(
            !raw.contains("outsidesecret"),
            "a file outside was ingested"
        );
        assert!(
            !raw.contains("linked directory"),
            "a linked directory was read"
        );
    }
    watch.stop().await;
}

/// A line longer than the limit is stored cut to the limit and flagged truncated, whether it
/// ends with a newline, waits unterminated at the end of a file, or comes out of a `.gz` with
/// no newline at all; the lines around it are stored whole.
async fn lines_over_the_limit_are_stored_cut_and_flagged(db: TestDb) {
    use server::parse::{MAX_LINE_BYTES, flags};
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), WatchMode::Tail, &["*"]);
    std::fs::create_dir_all(&cfg.dir).unwrap();
    let mut text = b"first line\n".to_vec();
    text.extend(std::iter::repeat_n(b'x', 3 << 20));
    text.extend(b"\nafter line\n");
    text.extend(std::iter::repeat_n(b'w', 2 << 20));
    std::fs::write(cfg.dir.join("long.log"), &text).unwrap();
    let mut enc = flate2::write::GzEncoder::new(
        std::fs::File::create(cfg.dir.join("long.log.gz")).unwrap(),
        flate2::Compression::default(),
    );
    enc.write_all(&vec![b'y'; 5 << 20]).unwrap();
    enc.finish().unwrap();
    let watch = start(&db, &cfg).await;
    settle(&db, 5).await;
    let stored = raws(&db).await;
    assert_eq!(
        stored.len(),
        5,
        "{:?}",
        stored.iter().map(|(r, f)| (r.len(), f)).collect::<Vec<_>>()
    );
    let truncated = |(raw, fl): &(String, i32), byte: u8| {
        raw.len() == MAX_LINE_BYTES
            && raw.bytes().all(|b| b == byte)
            && fl & flags::TRUNCATED as i32 != 0
    };
    let whole =
        |(raw, fl): &(String, i32), text: &str| raw == text && fl & flags::TRUNCATED as i32 == 0;
    for (byte, name) in [
        (b'x', "newline-terminated"),
        (b'w', "unterminated"),
        (b'y', "gzip"),
    ] {
        assert_eq!(
            stored.iter().filter(|r| truncated(r, byte)).count(),
            1,
            "the {name} long line"
        );
    }
    assert_eq!(stored.iter().filter(|r| whole(r, "first line")).count(), 1);
    assert_eq!(stored.iter().filter(|r| whole(r, "after line")).count(), 1);
    watch.stop().await;
}

/// A hook sees every parsed event before it is stored, and what it adds is stored.
struct Tagger;

impl server::ingest::EventHook for Tagger {
    fn name(&self) -> &'static str {
        "tagger"
    }

    fn apply(&self, rows: &mut Vec<server::ingest::EventRow>) {
        for row in rows {
            row.fields
                .insert("test.tag".into(), serde_json::json!(row.user_name.clone()));
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hooks_run_between_parsing_and_storing_and_stale_checkpoints_go() {
    let db = TestDb::sqlite().await;
    let dir = tempfile::tempdir().unwrap();
    let ingest = server::ingest::IngestHandle::start_with_hooks(
        db.state.service().db().clone(),
        &db.state.config().ingest,
        vec![std::sync::Arc::new(Tagger)],
    );
    let cfg = config(dir.path(), WatchMode::Tail, &["*.log"]);
    let watch = Watch::start(cfg.clone(), ingest.clone()).await.unwrap();
    append(&cfg.dir.join("a.log"), &lines("t", 0..5));
    append(&cfg.dir.join("b.log"), &lines("u", 0..5));
    assert_eq!(settle(&db, 10).await, (10, 10));
    let row = events::Entity::find()
        .filter(events::Column::UserName.eq("t3"))
        .one(db.state.service().db())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.fields["test.tag"], "t3");
    watch.stop().await;

    // b.log leaves the directory while Vigil is stopped: its checkpoint goes at the next start.
    std::fs::remove_file(cfg.dir.join("b.log")).unwrap();
    let watch = Watch::start(cfg.clone(), ingest.clone()).await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let paths = loop {
        let paths: Vec<String> = server::store::checkpoint::Entity::find()
            .all(db.state.service().db())
            .await
            .unwrap()
            .into_iter()
            .map(|c| c.path)
            .filter(|p| p.ends_with(".log"))
            .collect();
        if paths.len() == 1 || tokio::time::Instant::now() > deadline {
            break paths;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(paths.len(), 1, "{paths:?}");
    assert!(paths[0].ends_with("a.log"), "{paths:?}");
    watch.stop().await;
}
