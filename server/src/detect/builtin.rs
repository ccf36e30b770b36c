//! The built-in rule pack, seeded when `vigil serve` starts. The `builtin_rules` ledger
//! remembers every rule seeded once, so a built-in rule an administrator deleted is never
//! silently re-created; edits to a seeded rule are kept.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set,
    TransactionSession, TransactionTrait,
};
use serde_json::{Value, json};

use super::sigma_rule::builtin_yaml;
use super::{Definition, RuleKind};
use crate::store::{builtin_rule, rule};

/// One rule of the pack.
pub struct Builtin {
    pub key: &'static str,
    pub name: &'static str,
    pub kind: RuleKind,
    pub severity: &'static str,
    pub description: &'static str,
    pub false_positives: &'static str,
    pub tags: &'static [&'static str],
    pub definition: fn() -> Value,
}

/// A failed SSH authentication attempt: sshd logs one `Failed <method> for …` line per
/// attempt (the `Invalid user` and PAM lines around it describe the same attempt and are not
/// counted). A rejected public key is not a guessed credential: clients offer every key they
/// hold, so it is not counted either.
pub const SSH_FAILURE: &str =
    "event_action:ssh_login AND event_outcome:failure AND NOT fields.ssh.method:publickey";

/// A failed password sign-in to Vigil itself, from its audit trail (throttled attempts are
/// recorded as `vigil_login_throttled` and are not counted).
pub const VIGIL_LOGIN_FAILURE: &str =
    "source:vigil AND event_action:vigil_login AND event_outcome:failure";

/// A host-metrics sample (`{host, cpu_usage, memory_usage: {percent, …}}` in JSON).
pub const HOST_METRICS: &str = "event_action:host_metrics";

/// Process names of well-known Linux cryptominers and malware droppers (XMRig and its
/// forks, the Kinsing campaign's `kinsing`/`kdevtmpfsi`, pnscan used by worms to spread).
/// Checked against the logging program's name and against command lines (cron, sudo).
pub const MALICIOUS_PROCESSES: &[&str] = &[
    "xmrig",
    "xmr-stak",
    "minerd",
    "cpuminer",
    "kinsing",
    "kdevtmpfsi",
    "kthreaddi",
    "pnscan",
];

/// The query of the known-malicious-process rule: a listed name as the program, or inside a
/// command line (case-insensitive, as every text comparison).
pub fn malicious_process_query() -> String {
    MALICIOUS_PROCESSES
        .iter()
        .flat_map(|p| {
            [
                format!("process:{p}"),
                format!("process.command_line:*{p}*"),
            ]
        })
        .collect::<Vec<_>>()
        .join(" OR ")
}

pub const PACK: &[Builtin] = &[
    Builtin {
        key: "ssh_brute_force",
        name: "SSH brute force",
        kind: RuleKind::Threshold,
        severity: "high",
        description: "At least 5 failed SSH logins from one address within 5 minutes.",
        false_positives: "A user or script retrying a mistyped password; monitoring probes.",
        tags: &["attack.credential_access", "attack.t1110.001"],
        definition: || {
            json!({
                "query": SSH_FAILURE,
                "group_by": ["source_ip|source.domain"],
                "window_secs": 300,
                "threshold": 5,
                "title": "SSH brute force from {source_ip|source.domain}",
            })
        },
    },
    Builtin {
        key: "ssh_invalid_user_sweep",
        name: "SSH invalid-user sweep",
        kind: RuleKind::Threshold,
        severity: "medium",
        description: "At least 5 different unknown user names tried from one address within 10 minutes.",
        false_positives: "A misconfigured client cycling through accounts.",
        tags: &["attack.credential_access", "attack.t1110.003"],
        definition: || {
            json!({
                "query": "event_action:ssh_invalid_user",
                "group_by": ["source_ip|source.domain"],
                "distinct": "user_name",
                "window_secs": 600,
                "threshold": 5,
                "title": "Invalid-user sweep from {source_ip|source.domain}",
            })
        },
    },
    Builtin {
        key: "high_cpu",
        name: "High CPU",
        kind: RuleKind::Metric,
        severity: "medium",
        description: "CPU usage above 90 % in 3 consecutive host-metric samples of one host.",
        false_positives: "Planned batch jobs, builds or backups.",
        tags: &["attack.impact", "attack.t1496"],
        definition: || {
            json!({
                "query": HOST_METRICS,
                "field": "fields.host.cpu.usage",
                "op": "gt",
                "value": 90,
                "consecutive": 3,
                "group_by": ["host"],
                "title": "High CPU on {host}",
            })
        },
    },
    Builtin {
        key: "high_memory",
        name: "High memory",
        kind: RuleKind::Metric,
        severity: "medium",
        description: "Memory use above 90 % in 3 consecutive host-metric samples of one host.",
        false_positives: "Caches and databases that keep memory full by design.",
        tags: &["attack.impact", "attack.t1496"],
        definition: || {
            json!({
                "query": HOST_METRICS,
                "field": "fields.host.memory.percent",
                "op": "gt",
                "value": 90,
                "consecutive": 3,
                "group_by": ["host"],
                "title": "High memory on {host}",
            })
        },
    },
    Builtin {
        key: "event_rate_anomaly_host",
        name: "Event-rate anomaly per host",
        kind: RuleKind::Anomaly,
        severity: "medium",
        description: "A host's events in a 5-minute bucket exceed the mean of its previous 12 buckets (the last hour, silent ones counting as 0) by more than 4 standard deviations and by more than 50 events. A host fires only after an hour of history.",
        false_positives: "Deployments, backups, restarts and raised log levels that make a host log more than usual.",
        tags: &[],
        definition: || {
            json!({
                "group_by": ["host"],
                "bucket_secs": 300,
                "baseline_buckets": 12,
                "warmup_buckets": 12,
                "k": 4,
                "min_deviation": 50,
                "direction": "above",
                "title": "Event rate anomaly on {host}",
            })
        },
    },
    Builtin {
        key: "ssh_login_after_brute_force",
        name: "SSH login after brute force",
        kind: RuleKind::Sequence,
        severity: "critical",
        description: "A successful SSH login from an address that failed at least 5 times in the 10 minutes before.",
        false_positives: "A user who finally remembered the password.",
        tags: &[
            "attack.credential_access",
            "attack.initial_access",
            "attack.t1110",
            "attack.t1078",
        ],
        definition: || {
            json!({
                "first": SSH_FAILURE,
                "first_count": 5,
                "then": "event_action:ssh_login AND event_outcome:success",
                "within_secs": 600,
                "group_by": ["source_ip|source.domain"],
                "title": "SSH login after brute force from {source_ip|source.domain}",
            })
        },
    },
    Builtin {
        key: "vigil_sign_in_brute_force",
        name: "Brute force against Vigil sign-in",
        kind: RuleKind::Threshold,
        severity: "high",
        description: "At least 10 failed Vigil sign-ins from one address within 5 minutes.",
        false_positives: "A user or script retrying a mistyped password; several users behind one NAT address.",
        tags: &["attack.credential_access", "attack.t1110"],
        definition: || {
            json!({
                "query": VIGIL_LOGIN_FAILURE,
                "group_by": ["source_ip"],
                "window_secs": 300,
                "threshold": 10,
                "title": "Brute force against Vigil sign-in from {source_ip}",
            })
        },
    },
    Builtin {
        key: "account_created",
        name: "User or group created",
        kind: RuleKind::Match,
        severity: "low",
        description: "A local user or group was created.",
        false_positives: "Provisioning and package installs create accounts.",
        tags: &["attack.persistence", "attack.t1136.001"],
        definition: || {
            json!({
                "query": "event_action:user_created OR event_action:group_created",
                "group_by": ["host"],
                "title": "Account created on {host}",
            })
        },
    },
    Builtin {
        key: "known_malicious_process",
        name: "Known malicious process",
        kind: RuleKind::Match,
        severity: "high",
        description: "A process named like a well-known Linux cryptominer or malware dropper (XMRig, Kinsing, kdevtmpfsi, pnscan, …) logged, or run from cron or sudo.",
        false_positives: "A research or mining host that runs such tools on purpose.",
        tags: &["attack.execution", "attack.impact", "attack.t1496"],
        definition: || {
            json!({
                "query": malicious_process_query(),
                "group_by": ["host"],
                "title": "Known malicious process on {host}",
            })
        },
    },
    Builtin {
        key: "user_added_to_admin_group",
        name: "User added to an administrators group",
        kind: RuleKind::Match,
        severity: "high",
        description: "A user was added to sudo, wheel or admin.",
        false_positives: "Administrators granting rights on purpose.",
        tags: &["attack.privilege_escalation", "attack.t1098"],
        definition: || {
            json!({
                "query": "event_action:user_added_to_group AND (fields.group.name:sudo OR fields.group.name:wheel OR fields.group.name:admin)",
                "group_by": ["host"],
                "title": "User added to an administrators group on {host}",
            })
        },
    },
    Builtin {
        key: "sudo_failures",
        name: "Repeated sudo failures",
        kind: RuleKind::Threshold,
        severity: "medium",
        description: "At least 3 failed sudo attempts by one user on one host within 5 minutes.",
        false_positives: "Mistyped passwords.",
        tags: &["attack.privilege_escalation", "attack.t1548.003"],
        definition: || {
            json!({
                "query": "event_action:sudo AND event_outcome:failure",
                "group_by": ["host", "user_name"],
                "window_secs": 300,
                "threshold": 3,
                "title": "Repeated sudo failures by {user_name} on {host}",
            })
        },
    },
    Builtin {
        key: "web_scanning",
        name: "Web scanning",
        kind: RuleKind::Threshold,
        severity: "medium",
        description: "At least 20 answers 404 to one client within a minute.",
        false_positives: "Broken links followed by crawlers.",
        tags: &["attack.reconnaissance", "attack.t1595.003"],
        definition: || {
            json!({
                "query": "status:404",
                "group_by": ["source_ip"],
                "window_secs": 60,
                "threshold": 20,
                "title": "Web scanning from {source_ip}",
            })
        },
    },
    // SigmaHQ web rules (Detection Rule License 1.1); name, severity, description, tags and
    // false positives are the rule's own, as a test checks.
    Builtin {
        key: "sigma_web_sql_injection",
        name: "SQL Injection Strings In URI",
        kind: RuleKind::Sigma,
        severity: "high",
        description: "Detects potential SQL injection attempts via GET requests in access logs.",
        false_positives: "Java scripts and CSS Files\nUser searches in search boxes of the respective website\nInternal vulnerability scanners can cause some serious FPs when used, if you experience a lot of FPs due to this think of adding more filters such as \"User Agent\" strings and more response codes",
        tags: &["attack.initial-access", "attack.t1190"],
        definition: || json!({ "yaml": builtin_yaml::WEB_SQL_INJECTION }),
    },
    Builtin {
        key: "sigma_web_xss",
        name: "Cross Site Scripting Strings",
        kind: RuleKind::Sigma,
        severity: "high",
        description: "Detects XSS attempts injected via GET requests in access logs",
        false_positives: "JavaScripts,CSS Files and PNG files\nUser searches in search boxes of the respective website\nInternal vulnerability scanners can cause some serious FPs when used, if you experience a lot of FPs due to this think of adding more filters such as \"User Agent\" strings and more response codes",
        tags: &["attack.initial-access", "attack.t1189"],
        definition: || json!({ "yaml": builtin_yaml::WEB_XSS }),
    },
    Builtin {
        key: "sigma_web_path_traversal",
        name: "Path Traversal Exploitation Attempts",
        kind: RuleKind::Sigma,
        severity: "medium",
        description: "Detects path traversal exploitation attempts",
        false_positives: "Expected to be continuously seen on systems exposed to the Internet\nInternal vulnerability scanners",
        tags: &["attack.initial-access", "attack.t1190"],
        definition: || json!({ "yaml": builtin_yaml::WEB_PATH_TRAVERSAL }),
    },
];

/// Creates the pack's rules not seeded before. Returns how many were created.
pub async fn seed<C: ConnectionTrait + TransactionTrait>(db: &C) -> Result<usize, DbErr> {
    let mut created = 0;
    for b in PACK {
        let txn = db.begin().await?;
        if builtin_rule::Entity::find_by_id(b.key.to_string())
            .one(&txn)
            .await?
            .is_some()
        {
            continue;
        }
        let definition = (b.definition)();
        // The pack is code: a definition that does not check is a bug caught by the tests.
        if let Err(err) = Definition::parse(b.kind, &definition) {
            tracing::error!(rule = b.key, error = %err, "built-in rule refused");
            continue;
        }
        let now = Utc::now();
        let taken = rule::Entity::find()
            .filter(rule::Column::Name.eq(b.name))
            .one(&txn)
            .await?
            .is_some();
        if taken {
            tracing::warn!(
                rule = b.name,
                "a rule of the built-in rule's name exists: not seeded"
            );
        } else {
            rule::ActiveModel {
                name: Set(b.name.into()),
                description: Set(Some(b.description.into())),
                kind: Set(b.kind.as_str().into()),
                severity: Set(b.severity.into()),
                definition: Set(definition),
                enabled: Set(true),
                created_by: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
                builtin_key: Set(Some(b.key.into())),
                tags: Set(Some(json!(b.tags))),
                false_positives: Set(Some(b.false_positives.into())),
                suppress_secs: Set(None),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
            created += 1;
        }
        builtin_rule::ActiveModel {
            key: Set(b.key.into()),
            seeded_at: Set(now),
        }
        .insert(&txn)
        .await?;
        txn.commit().await?;
    }
    Ok(created)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_definition_checks() {
        for b in PACK {
            Definition::parse(b.kind, &(b.definition)())
                .unwrap_or_else(|e| panic!("{}: {e}", b.key));
        }
    }

    #[test]
    fn sigma_builtins_carry_their_rules_own_metadata() {
        let sigma: Vec<&Builtin> = PACK.iter().filter(|b| b.kind == RuleKind::Sigma).collect();
        assert_eq!(sigma.len(), 3);
        for b in sigma {
            let yaml = (b.definition)()["yaml"].as_str().unwrap().to_string();
            let import = crate::detect::sigma::import_yaml(&yaml);
            assert!(import.refused.is_empty(), "{}: {:?}", b.key, import.refused);
            let [rule] = import.rules.as_slice() else {
                panic!("{}: one rule expected", b.key);
            };
            let info = &rule.info;
            assert_eq!(info.title, b.name);
            assert_eq!(info.severity.as_str(), b.severity);
            assert_eq!(info.description.as_deref(), Some(b.description));
            assert_eq!(info.falsepositives.join("\n"), b.false_positives);
            assert_eq!(info.attack, b.tags);
        }
    }
}
