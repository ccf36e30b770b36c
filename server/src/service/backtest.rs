//! Backtests and hunts (`rules.write`): a rule, saved or not, run over stored events for a time
//! range as a job (see [`crate::detect::backtest`] for the evaluation).
//!
//! A backtest runs in the background from the moment it is asked for; the request waits up to
//! [`ANSWER_WITHIN`] for it, so a short range is answered at once (`done`, with the alerts) and
//! a long one with its progress, read again at `GET /api/v1/rules/backtests/{id}`. At most
//! [`RUNNING`] run at a time (the others wait, `queued`); the last [`KEPT`] jobs are kept in
//! memory, until the server restarts.
//!
//! A hunt creates the alerts found once the backtest is done, each keyed by a digest of the
//! rule, the group key and the first event behind it ([`hunt_key`]): a unique key, so running
//! the same hunt again (or a longer range that reaches the same first events) finds the alerts
//! it created before instead of creating them twice.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::{DbErr, TransactionTrait};
use serde_json::json;
use sha2::{Digest, Sha256};
use tokio::sync::{Semaphore, watch};

use app::error::AppError;
use app::model::auth::{CurrentUser, Permission};
use app::model::backtest::{
    BacktestAlert, BacktestJob, BacktestRange, BacktestResult, BacktestService, RuleBacktest,
};

use super::audit::{AuditEntry, Outcome as AuditOutcome};
use super::rules::{checked_new_rule, find_rule};
use super::{Service, internal};
use crate::alerting::store::{Hunter, create_hunted};
use crate::detect::backtest::{self, Outcome, Progress};
use crate::detect::engine::RuleMeta;
use crate::detect::{Engine, Settings};
use crate::store::rule;

/// How long a request waits for its backtest before answering with its progress.
pub const ANSWER_WITHIN: Duration = Duration::from_secs(2);
/// Backtests evaluated at the same time.
pub const RUNNING: usize = 2;
/// Jobs kept, finished or not; a new one pushes out the oldest finished one.
pub const KEPT: usize = 32;
/// Alerts a hunt creates per transaction, so the ingest writer never waits long on SQLite.
const HUNT_CHUNK: usize = 200;

/// The jobs of one server.
#[derive(Clone)]
pub struct Backtests {
    jobs: Arc<Mutex<Vec<Arc<Job>>>>,
    permits: Arc<Semaphore>,
    /// Hunts one at a time, so two identical ones cannot race for the same alerts.
    hunts: Arc<tokio::sync::Mutex<()>>,
}

impl Default for Backtests {
    fn default() -> Self {
        Self {
            jobs: Default::default(),
            permits: Arc::new(Semaphore::new(RUNNING)),
            hunts: Default::default(),
        }
    }
}

enum State {
    Queued,
    Running,
    Done(BacktestResult),
    Failed(String),
}

struct Job {
    id: String,
    rule_id: Option<i32>,
    rule_name: String,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    hunt: bool,
    created_at: DateTime<Utc>,
    progress: Progress,
    state: Mutex<(State, Option<DateTime<Utc>>)>,
    finished: watch::Sender<bool>,
}

impl Job {
    fn view(&self) -> BacktestJob {
        let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let (status, error, result) = match &state.0 {
            State::Queued => ("queued", None, None),
            State::Running => ("running", None, None),
            State::Done(r) => ("done", None, Some(r.clone())),
            State::Failed(e) => ("failed", Some(e.clone()), None),
        };
        BacktestJob {
            id: self.id.clone(),
            rule_id: self.rule_id,
            rule_name: self.rule_name.clone(),
            from: self.from,
            to: self.to,
            hunt: self.hunt,
            status: status.into(),
            total: self.progress.total.load(Ordering::Relaxed),
            scanned: self.progress.scanned.load(Ordering::Relaxed),
            created_at: self.created_at,
            finished_at: state.1,
            error,
            result,
        }
    }

    fn set(&self, state: State) {
        let done = matches!(state, State::Done(_) | State::Failed(_));
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        s.0 = state;
        if done {
            s.1 = Some(Utc::now());
            drop(s);
            self.finished.send_replace(true);
        }
    }

    fn is_finished(&self) -> bool {
        *self.finished.borrow()
    }
}

impl Backtests {
    /// Registers a job, pushing out the oldest finished one when [`KEPT`] are kept.
    fn add(&self, job: Arc<Job>) -> Result<(), AppError> {
        let mut jobs = self.jobs.lock().unwrap_or_else(|e| e.into_inner());
        if jobs.len() >= KEPT {
            match jobs.iter().position(|j| j.is_finished()) {
                Some(i) => {
                    jobs.remove(i);
                }
                None => return Err(AppError::RateLimited(ANSWER_WITHIN.as_secs() * 5)),
            }
        }
        jobs.push(job);
        Ok(())
    }

    fn get(&self, id: &str) -> Option<Arc<Job>> {
        let jobs = self.jobs.lock().unwrap_or_else(|e| e.into_inner());
        jobs.iter().find(|j| j.id == id).cloned()
    }
}

/// The range checked: `from` before `to`.
fn check_range(from: DateTime<Utc>, to: DateTime<Utc>) -> Result<(), AppError> {
    if from >= to {
        return Err(AppError::Invalid(format!(
            "from: {from} is not before to: {to}"
        )));
    }
    Ok(())
}

/// The unique key of an alert a hunt creates.
pub fn hunt_key(rule_id: i32, group_key: &str, first_event_id: i64) -> String {
    let digest = Sha256::digest(format!("{rule_id}\n{first_event_id}\n{group_key}").as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

impl Service {
    /// Starts a job for `model` and waits up to [`ANSWER_WITHIN`] for it.
    async fn start_backtest(
        &self,
        user: &CurrentUser,
        model: rule::Model,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        hunt: bool,
    ) -> Result<BacktestJob, AppError> {
        check_range(from, to)?;
        let engine = Engine::for_rule(Settings::default(), &model)
            .map_err(|e| AppError::Invalid(format!("rule: {e}")))?;
        let saved = (model.id != 0).then_some(model.id);
        let job = Arc::new(Job {
            id: format!("{:032x}", rand::random::<u128>()),
            rule_id: saved,
            rule_name: model.name.clone(),
            from,
            to,
            hunt,
            created_at: Utc::now(),
            progress: Progress::default(),
            state: Mutex::new((State::Queued, None)),
            finished: watch::channel(false).0,
        });
        self.backtests.add(job.clone())?;
        let entry = AuditEntry::by(
            user,
            if hunt { "rule_hunt" } else { "rule_backtest" },
            AuditOutcome::Success,
        )
        .target(model.name.clone())
        .details(json!({ "job": job.id, "rule": saved, "from": from, "to": to }));
        if let Err(err) = self.audit(entry).await {
            // Unaudited, it does not run.
            job.set(State::Failed("the backtest could not be recorded".into()));
            return Err(internal(err));
        }

        let service = self.clone();
        let hunter = user.clone();
        let running = job.clone();
        tokio::spawn(async move {
            let Ok(_permit) = service.backtests.permits.clone().acquire_owned().await else {
                return;
            };
            running.set(State::Running);
            let result = service.run_job(&running, engine, hunter).await;
            running.set(match result {
                Ok(r) => State::Done(r),
                Err(err) => {
                    tracing::error!(job = %running.id, error = %err, "backtest failed");
                    State::Failed("the backtest failed: see the server log".into())
                }
            });
        });

        let mut finished = job.finished.subscribe();
        let _ = tokio::time::timeout(ANSWER_WITHIN, finished.wait_for(|f| *f)).await;
        Ok(job.view())
    }

    async fn run_job(
        &self,
        job: &Job,
        engine: Engine,
        hunter: CurrentUser,
    ) -> Result<BacktestResult, DbErr> {
        let outcome = backtest::run(&self.db, engine, job.from, job.to, &job.progress).await?;
        let mut alert_ids = vec![None; outcome.alerts.len()];
        let (mut created, mut existing) = (0, 0);
        if job.hunt {
            let _one_at_a_time = self.backtests.hunts.lock().await;
            let by = Hunter {
                user_id: hunter.id,
                username: &hunter.username,
                note: format!("backtest {}", job.id),
            };
            let mut new_ids = Vec::new();
            for (chunk_no, chunk) in outcome.alerts.chunks(HUNT_CHUNK).enumerate() {
                let txn = self.db.begin().await?;
                for (i, found) in chunk.iter().enumerate() {
                    let key = hunt_key(
                        outcome.rule.id,
                        &found.op.key.dedup_key(),
                        found.first_event_id(),
                    );
                    let mut op = found.op.clone();
                    op.evidence = found.evidence.clone();
                    let (id, new) = create_hunted(&txn, &outcome.rule, &op, &key, &by).await?;
                    alert_ids[chunk_no * HUNT_CHUNK + i] = Some(id);
                    if new {
                        created += 1;
                        new_ids.push(id);
                    } else {
                        existing += 1;
                    }
                }
                txn.commit().await?;
            }
            let entry = AuditEntry::by(&hunter, "rule_hunt_done", AuditOutcome::Success)
                .target(job.rule_name.clone())
                .details(json!({ "job": job.id, "created": created, "existing": existing }));
            self.audit(entry).await?;
            self.alert_feed.changed(new_ids);
        }
        Ok(result_of(&outcome, &alert_ids, created, existing))
    }
}

fn result_of(
    outcome: &Outcome,
    alert_ids: &[Option<i64>],
    created: u64,
    existing: u64,
) -> BacktestResult {
    let rule: &RuleMeta = &outcome.rule;
    BacktestResult {
        alerts: outcome
            .alerts
            .iter()
            .zip(alert_ids)
            .map(|(found, alert_id)| BacktestAlert {
                title: crate::service::audit::cap(&found.op.key.render(&rule.title), 255),
                severity: rule.severity.clone(),
                group_key: found.op.key.dedup_key(),
                group_fields: found.op.key.fields_json(),
                first_seen: found.op.first_seen,
                last_seen: found.op.last_seen,
                event_count: found.op.count,
                summary: found.op.summary.clone(),
                first_event_id: found.first_event_id(),
                evidence: found.evidence.clone(),
                alert_id: *alert_id,
            })
            .collect(),
        left_out: outcome.left_out,
        created,
        existing,
    }
}

#[async_trait::async_trait]
impl BacktestService for Service {
    async fn backtest_rule(
        &self,
        user: &CurrentUser,
        id: i32,
        range: BacktestRange,
    ) -> Result<BacktestJob, AppError> {
        self.authorize(user, Permission::RulesWrite).await?;
        let model = find_rule(&self.db, id).await?;
        self.start_backtest(user, model, range.from, range.to, range.hunt)
            .await
    }

    async fn backtest_new_rule(
        &self,
        user: &CurrentUser,
        backtest: RuleBacktest,
    ) -> Result<BacktestJob, AppError> {
        self.authorize(user, Permission::RulesWrite).await?;
        if backtest.hunt {
            return Err(AppError::Invalid(
                "hunt: only a saved rule can hunt; save it (disabled if need be) and use POST /api/v1/rules/{id}/backtest".into(),
            ));
        }
        let model = checked_new_rule(backtest.rule, user.id)?;
        self.start_backtest(user, model, backtest.from, backtest.to, false)
            .await
    }

    async fn get_backtest(&self, user: &CurrentUser, id: &str) -> Result<BacktestJob, AppError> {
        self.authorize(user, Permission::RulesWrite).await?;
        self.backtests
            .get(id)
            .map(|j| j.view())
            .ok_or(AppError::NotFound)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hunt_keys_tell_rules_keys_and_first_events_apart() {
        let k = hunt_key(1, "source_ip=192.0.2.1", 10);
        assert_eq!(k.len(), 64);
        assert_eq!(k, hunt_key(1, "source_ip=192.0.2.1", 10));
        assert_ne!(k, hunt_key(2, "source_ip=192.0.2.1", 10));
        assert_ne!(k, hunt_key(1, "source_ip=192.0.2.2", 10));
        assert_ne!(k, hunt_key(1, "source_ip=192.0.2.1", 11));
    }

    #[test]
    fn from_must_come_before_to() {
        let t: DateTime<Utc> = "2026-12-07T00:00:00Z".parse().unwrap();
        assert!(check_range(t, t).is_err());
        assert!(check_range(t + chrono::TimeDelta::seconds(1), t).is_err());
        assert!(check_range(t, t + chrono::TimeDelta::seconds(1)).is_ok());
    }
}
