//! The built-in SSH brute-force rule over a real auth.log (elastic/examples, Apache-2.0,
//! vendored in `fixtures/corpus` with its licence), on SQLite and on MariaDB. The expected
//! alerts are computed here from the raw lines with the README's threshold semantics, written
//! out plainly, not taken from the engine.

use crate::common;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;

use common::TestDb;
use server::ingest::{RawLine, Submission};
use server::parse::ParserKind;
use server::store::{alert, rule};

backend_suite!(ssh_brute_force_alerts_follow_from_the_raw_lines);

const LOG: &str = include_str!("fixtures/corpus/auth/elastic_examples_auth.log");
/// The file has no year; it is read as of this instant, so its lines fall in 2026.
const REFERENCE: &str = "2026-12-01T00:00:00Z";

async fn ssh_brute_force_alerts_follow_from_the_raw_lines(db: TestDb) {
    let fails = common::auth_log::failures(LOG);
    assert!(
        fails.windows(2).all(|p| p[0].0 <= p[1].0),
        "the simple computation assumes the file is in time order"
    );
    server::detect::builtin::seed(db.state.service().db())
        .await
        .unwrap();
    let brute = rule::Entity::find()
        .filter(rule::Column::BuiltinKey.eq("ssh_brute_force"))
        .one(db.state.service().db())
        .await
        .unwrap()
        .unwrap();

    let source = db
        .state
        .service()
        .ingest()
        .source("corpus", "test", json!({}))
        .await
        .unwrap();
    let reference: DateTime<Utc> = REFERENCE.parse().unwrap();
    let lines: Vec<&str> = LOG.lines().collect();
    for chunk in lines.chunks(700) {
        let raw = chunk
            .iter()
            .map(|l| RawLine::new(l.as_bytes().to_vec(), reference))
            .collect();
        let mut sub = Submission::new(source.clone(), ParserKind::Syslog, raw);
        sub.reference_time = Some(reference);
        db.state
            .service()
            .ingest()
            .submit_and_wait(sub)
            .await
            .unwrap();
    }

    let found: BTreeMap<String, (DateTime<Utc>, u64)> = alert::Entity::find()
        .filter(alert::Column::RuleId.eq(brute.id))
        .all(db.state.service().db())
        .await
        .unwrap()
        .into_iter()
        .map(|a| {
            let ip = a.group_fields.unwrap()["source_ip"]
                .as_str()
                .unwrap()
                .to_string();
            (ip, (a.first_seen, a.event_count as u64))
        })
        .collect();
    let want = common::threshold::expected_alerts(&fails, 300, 5);
    assert!(
        want.len() >= 10,
        "the log holds many brute-forcing addresses: {want:?}"
    );
    assert_eq!(found, want);
}
