//! Vigil's integration tests, linked into one binary: one module per feature, sharing the
//! helpers in `common`. One binary instead of one per file keeps linking (and the disk the
//! test binaries take) to a single server build.

#[macro_use]
mod common;

mod accounts;
mod accounts_admin;
mod alert_stream;
mod alerts_api;
mod anomaly_rules;
mod backtest;
mod cli;
mod crash;
mod dashboard;
mod detection;
mod detection_corpus;
mod detection_crash;
mod event_search;
mod events_browser;
mod foundation;
mod hostile_input;
mod ingest_api;
mod metric_rules;
mod notifications;
mod notifications_api;
mod notifications_crash;
mod outage;
mod privileges;
mod query_agreement;
mod render_race;
mod reports;
mod reports_crash;
mod reports_pdf;
mod reports_schedule;
mod rollups;
mod rule_pages;
mod send;
mod serve;
mod sigma;
mod sigma_import;
mod sigma_multipart;
mod sigma_temporal;
mod sign_in_abuse;
mod syslog;
mod triage_forms;
mod vigil_brute_force;
mod watch;
