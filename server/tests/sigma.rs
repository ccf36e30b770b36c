//! Sigma rules on real events: every staged SigmaHQ rule file imports, and rules fire on the
//! corpus lines they describe and stay silent on the others. Events come from real corpus lines
//! through the real parser, as the ingest pipeline builds them. Where the corpus holds no line a
//! rule describes, the positive case is a corpus line with the one edit named beside it.

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{TimeZone, Utc};
use server::detect::sigma::{
    self, Compare, Condition, CorrelationKind, FileImport, Severity, SigmaRule, SigmaRuleSet,
};
use server::ingest::EventRow;
use server::parse::{ParseContext, ParserKind, parse_line, sanitize};

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/corpus")
}

fn sigma_dir() -> PathBuf {
    corpus().join("sigma")
}

/// The row the ingest pipeline makes of one line.
fn row(line: &str) -> EventRow {
    let now = Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap();
    let (text, bits) = sanitize(line.as_bytes());
    let ev = parse_line(ParserKind::Auto, &text, &ParseContext::new(now));
    let mut row = EventRow::new(ev, text.into_owned(), now, "test".into());
    row.flags |= bits;
    row
}

/// Line `n` (1-based) of a corpus file.
fn line(file: &str, n: usize) -> String {
    let text = std::fs::read_to_string(corpus().join(file)).unwrap();
    text.lines().nth(n - 1).unwrap().to_owned()
}

/// Replaces exactly one occurrence of `from`, so an edit cannot silently miss.
fn edit(line: &str, from: &str, to: &str) -> String {
    assert_eq!(line.matches(from).count(), 1, "{from:?} in {line:?}");
    line.replacen(from, to, 1)
}

fn all_imports() -> Vec<FileImport> {
    sigma::import_dir(&sigma_dir()).unwrap()
}

fn rule(title: &str) -> SigmaRule {
    all_imports()
        .into_iter()
        .flat_map(|f| f.rules)
        .find(|r| r.info.title == title)
        .unwrap_or_else(|| panic!("no rule titled {title}"))
}

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            yaml_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "yml") {
            out.push(p);
        }
    }
}

/// The `title:` line of a rule file, read as text.
fn title_of(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix("title: "))
        .unwrap()
        .to_owned()
}

#[test]
fn every_staged_rule_file_imports_under_its_title() {
    let mut files = Vec::new();
    yaml_files(&sigma_dir(), &mut files);
    files.sort();
    let imports = all_imports();
    let paths: Vec<PathBuf> = imports.iter().map(|f| f.path.clone().unwrap()).collect();
    assert_eq!(paths, files, "one result per file, in path order");
    for (f, path) in imports.iter().zip(&files) {
        assert!(f.refused.is_empty(), "{}: {:?}", path.display(), f.refused);
        let title = title_of(path);
        if path.components().any(|c| c.as_os_str() == "unsupported") {
            // The deprecated count() syntax: a base rule plus the correlation, under the title.
            assert_eq!(f.correlations.len(), 1, "{}", path.display());
            assert_eq!(f.correlations[0].info.title, title);
            assert!(f.correlations[0].translated_from_count);
            assert_eq!(f.rules.len(), 1);
            assert!(f.rules[0].info.answers_to(&f.correlations[0].rules[0]));
        } else {
            assert_eq!(f.rules.len(), 1, "{}", path.display());
            assert!(f.correlations.is_empty());
            assert_eq!(f.rules[0].info.title, title);
            assert!(
                f.warnings.is_empty(),
                "{}: {:?}",
                path.display(),
                f.warnings
            );
            assert!(
                !f.rules[0].kinds().is_empty(),
                "{title}: logsource maps to events"
            );
        }
    }
}

#[test]
fn metadata_comes_from_the_rule() {
    let sudo = rule("Sudo Privilege Escalation CVE-2019-14287 - Builtin");
    assert_eq!(sudo.info.severity, Severity::Critical);
    assert_eq!(
        sudo.info.attack,
        [
            "attack.privilege-escalation",
            "attack.t1068",
            "attack.t1548.003"
        ]
    );
    assert!(sudo.info.tags.contains(&"cve.2019-14287".to_owned()));
    assert_eq!(
        sudo.info.description.as_deref(),
        Some("Detects users trying to exploit sudo vulnerability reported in CVE-2019-14287")
    );
    assert_eq!(sudo.info.falsepositives, ["Unlikely"]);
    assert_eq!(
        sudo.info.sigma_id.as_deref(),
        Some("7fcc54cb-f27d-4684-84b7-436af096f858")
    );
    assert_eq!(rule("Remote File Copy").info.severity, Severity::Low);
    assert_eq!(rule("Modifying Crontab").info.severity, Severity::Medium);
    assert_eq!(
        rule("Code Injection by ld.so Preload").info.severity,
        Severity::High
    );

    let informational = sigma::import_yaml(
        "title: Info\nlogsource:\n  product: linux\ndetection:\n  k:\n    - x\n  condition: k\nlevel: informational\n",
    );
    assert_eq!(informational.rules[0].info.severity, Severity::Low);
}

#[test]
fn sshd_rule_fires_on_a_corrupted_mac_and_not_on_other_failures() {
    let rule = rule("Suspicious OpenSSH Daemon Error");
    // crowdsec_sshd-logs.log line 20, as logged by a newer OpenSSH: not one of the rule's strings.
    let logged = line("auth/crowdsec_sshd-logs.log", 20);
    assert!(!rule.matches(&row(&logged)));
    // The same failure as older OpenSSH words it.
    let older = edit(
        &logged,
        "message authentication code incorrect",
        "Corrupted MAC on input.",
    );
    assert!(rule.matches(&row(&older)));
    for n in [86, 3168] {
        assert!(!rule.matches(&row(&line("auth/elastic_examples_auth.log", n))));
    }
}

#[test]
fn sql_injection_rule_skips_404s_and_ignores_case() {
    let rule = rule("SQL Injection Strings In URI");
    let file = "web/crowdsec_nginx-http-sqli-probing.log";
    // Line 1 asks for `information_schema.tables`, line 3 for `%20union%20select%20`, both
    // answered 404, which the rule filters out.
    for n in [1, 3] {
        let logged = line(file, n);
        assert!(!rule.matches(&row(&logged)), "404 is filtered: {logged}");
        let answered = edit(&logged, "\" 404 ", "\" 200 ");
        // Line 3 is lower case; the rule says `UNION%20SELECT`.
        assert!(rule.matches(&row(&answered)), "{answered}");
    }
    // A plain request from the elastic access log.
    assert!(!rule.matches(&row(&line("web/elastic_examples_apache_logs.log", 1))));
}

#[test]
fn xss_rule_needs_a_whole_script_tag() {
    let rule = rule("Cross Site Scripting Strings");
    // Line 11 probes `a=%3Cscript`, without the closing `%3E` the rule looks for.
    let logged = line("web/crowdsec_nginx-http-xss-probing.log", 11);
    assert!(!rule.matches(&row(&logged)));
    let answered = edit(&logged, "\" 404 ", "\" 200 ");
    assert!(!rule.matches(&row(&answered)));
    let tag = edit(&answered, "a=%3Cscript ", "a=%3Cscript%3E ");
    assert!(rule.matches(&row(&tag)));
}

#[test]
fn path_traversal_rule_reads_the_request_target() {
    let rule = rule("Path Traversal Exploitation Attempts");
    // Line 3: `/%252E%252E%252Ffoo1`, double-encoded `../` but not towards /etc.
    let logged = line("web/crowdsec_nginx-http-path-traversal.log", 3);
    assert!(!rule.matches(&row(&logged)));
    // Upper-case escapes, the rule writes `%252e%252e%252fetc%252f`.
    let to_etc = edit(&logged, "%252Ffoo1", "%252Fetc%252Fpasswd");
    assert!(rule.matches(&row(&to_etc)));
    // fail2ban_apache-overflows.log: an error-log line whose text holds `../../../../etc/`;
    // an error log is not a webserver access log.
    let text = std::fs::read_to_string(corpus().join("web/fail2ban_apache-overflows.log")).unwrap();
    let error_line = text
        .lines()
        .find(|l| l.contains("../../../../etc/passwd"))
        .unwrap();
    assert!(!rule.matches(&row(error_line)));
}

#[test]
fn linux_account_and_sudo_rules_read_program_fields() {
    let created = rule("Privileged User Has Been Created");
    // elastic_examples_auth.log line 1504: useradd with GID 1001, not a privileged group.
    let logged = line("auth/elastic_examples_auth.log", 1504);
    assert!(!created.matches(&row(&logged)));
    assert!(created.matches(&row(&edit(&logged, "GID=1001,", "GID=27,"))));

    let sudo = rule("Sudo Privilege Escalation CVE-2019-14287 - Builtin");
    // Line 10: sudo to USER=root.
    let logged = line("auth/elastic_examples_auth.log", 10);
    assert!(!sudo.matches(&row(&logged)));
    assert!(sudo.matches(&row(&edit(&logged, "USER=root", "USER=#-1"))));
    assert!(sudo.matches(&row(&edit(&logged, "USER=root", "USER=#4294967295"))));
}

#[test]
fn a_rule_never_sees_events_of_another_logsource() {
    let preload = rule("Code Injection by ld.so Preload");
    let syslog = edit(
        &line("auth/elastic_examples_auth.log", 10),
        "/usr/bin/curl",
        "/usr/bin/vi /etc/ld.so.preload",
    );
    assert!(preload.matches(&row(&syslog)));
    // The same string in a web request: its raw line holds the keyword, but a web access log
    // is not a Linux log.
    let web = edit(
        &line("web/elastic_examples_apache_logs.log", 1),
        "GET /presentations/",
        "GET /etc/ld.so.preload/",
    );
    assert!(row(&web).raw.contains("/etc/ld.so.preload"));
    assert!(!preload.matches(&row(&web)));

    // A Windows rule imports with a warning and fires on nothing.
    let windows = sigma::import_yaml(
        "title: Whoami\nlogsource:\n  product: windows\n  category: process_creation\ndetection:\n  s:\n    - whoami\n  condition: s\nlevel: low\n",
    );
    assert!(windows.refused.is_empty());
    assert!(
        windows.warnings[0].contains("product: windows"),
        "{:?}",
        windows.warnings
    );
    let r = &windows.rules[0];
    let whoami = edit(
        &line("auth/elastic_examples_auth.log", 10),
        "/usr/bin/curl",
        "whoami",
    );
    assert!(!r.matches(&row(&whoami)));
}

#[test]
fn bad_rules_are_refused_with_their_reason() {
    let broken = sigma::import_yaml("title: Broken\ndetection: [unclosed\n");
    assert!(broken.rules.is_empty());
    assert_eq!(broken.refused.len(), 1);
    assert!(
        broken.refused[0].reason.contains("invalid YAML"),
        "{:?}",
        broken.refused
    );

    let no_detection = sigma::import_yaml("title: Nothing\nlogsource:\n  product: linux\n");
    assert!(no_detection.rules.is_empty());
    assert!(
        no_detection.refused[0].reason.contains("detection"),
        "{:?}",
        no_detection.refused
    );

    let bad_modifier = sigma::import_yaml(
        "title: Bad\nlogsource:\n  product: linux\ndetection:\n  s:\n    f|nosuch: x\n  condition: s\n",
    );
    assert!(bad_modifier.rules.is_empty());
    assert!(
        bad_modifier.refused[0].reason.contains("nosuch"),
        "{:?}",
        bad_modifier.refused
    );

    let empty = sigma::import_yaml("");
    assert!(!empty.refused.is_empty() && !empty.is_ok());

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("good.yml"),
        std::fs::read(sigma_dir().join("SigmaHQ-sigma/rules/linux/builtin/lnx_shellshock.yml"))
            .unwrap(),
    )
    .unwrap();
    std::fs::write(dir.path().join("bad.yaml"), "title: [").unwrap();
    std::fs::write(dir.path().join("notes.txt"), "not a rule").unwrap();
    let results = sigma::import_dir(dir.path()).unwrap();
    assert_eq!(
        results.len(),
        2,
        "both YAML files reported, the text file skipped"
    );
    assert!(!results[0].is_ok() && results[0].path.as_ref().unwrap().ends_with("bad.yaml"));
    assert!(results[1].is_ok());
}

const CORRELATED: &str = r#"
title: Failed SSH password
id: 8d9a9b0e-4d55-4b0b-9f1d-2a2b0d3f4e01
name: ssh_failed
logsource:
  product: linux
  service: sshd
detection:
  selection:
    event_action: ssh_login
    event_outcome: failure
  condition: selection
level: low
---
title: SSH brute force
correlation:
  type: event_count
  rules:
    - ssh_failed
  group-by:
    - source_ip
  timespan: 5m
  condition:
    gte: 5
level: high
tags:
  - attack.credential-access
  - attack.t1110
---
title: Login after brute force
correlation:
  type: temporal_ordered
  rules:
    - ssh_failed
    - no_such_rule
  group-by:
    - source_ip
  timespan: 1h
level: critical
---
title: Sum of bytes
correlation:
  type: value_sum
  rules:
    - ssh_failed
  group-by:
    - source_ip
  timespan: 1h
  condition:
    field: sc-bytes
    gte: 1000
"#;

#[test]
fn correlations_become_specs_naming_their_rules() {
    let f = sigma::import_yaml(CORRELATED);
    assert_eq!(f.rules.len(), 1);
    let base = &f.rules[0];
    // loghub_OpenSSH_2k.log has failed passwords; line 1 is a reverse-mapping warning.
    let text = std::fs::read_to_string(corpus().join("auth/loghub_OpenSSH_2k.log")).unwrap();
    let failed = text
        .lines()
        .find(|l| l.contains("Failed password for"))
        .unwrap();
    assert!(base.matches(&row(failed)));
    assert!(!base.matches(&row(text.lines().next().unwrap())));

    assert_eq!(f.correlations.len(), 2);
    let brute = &f.correlations[0];
    assert_eq!(brute.info.title, "SSH brute force");
    assert_eq!(brute.kind, CorrelationKind::EventCount);
    assert_eq!(brute.rules, ["ssh_failed"]);
    assert_eq!(brute.group_by, ["source_ip"]);
    assert_eq!(brute.timespan, Duration::from_secs(300));
    assert_eq!(
        brute.condition,
        Condition::Count {
            predicates: vec![(Compare::Gte, 5)],
            field: None
        }
    );
    assert_eq!(brute.info.severity, Severity::High);
    assert_eq!(
        brute.info.attack,
        ["attack.credential-access", "attack.t1110"]
    );
    assert!(!brute.generate);
    assert!(base.info.answers_to(&brute.rules[0]));

    let ordered = &f.correlations[1];
    assert_eq!(ordered.kind, CorrelationKind::TemporalOrdered);
    assert_eq!(ordered.rules, ["ssh_failed", "no_such_rule"]);
    assert_eq!(ordered.timespan, Duration::from_secs(3600));
    assert!(
        f.warnings.iter().any(|w| w.contains("no_such_rule")),
        "{:?}",
        f.warnings
    );
    assert_eq!(f.refused.len(), 1);
    assert_eq!(f.refused[0].title.as_deref(), Some("Sum of bytes"));
    assert!(f.refused[0].reason.contains("value_sum"), "{:?}", f.refused);
}

#[test]
fn deprecated_count_rules_translate_to_correlations() {
    let f = sigma::import_file(
        &sigma_dir()
            .join("SigmaHQ-sigma/unsupported/linux/lnx_auth_susp_failed_logons_single_source.yml"),
    );
    let spec = &f.correlations[0];
    // `condition: selection | count(pam_user) by pam_rhost > 3`, `timeframe: 24h`
    assert_eq!(spec.kind, CorrelationKind::ValueCount);
    assert_eq!(spec.group_by, ["pam_rhost"]);
    assert_eq!(spec.timespan, Duration::from_secs(24 * 3600));
    assert_eq!(
        spec.condition,
        Condition::Count {
            predicates: vec![(Compare::Gt, 3)],
            field: Some("pam_user".into())
        }
    );
    assert_eq!(spec.info.severity, Severity::Medium);
    assert_eq!(
        spec.info.attack,
        ["attack.credential_access", "attack.t1110"]
    );
    // The base rule: `pam_message: authentication failure` with a user and a remote host.
    let base = &f.rules[0];
    assert!(base.matches(&row(&line("auth/elastic_examples_auth.log", 3168))));
    // Line 3167 is the sshd `Failed password` line, not a PAM one.
    assert!(!base.matches(&row(&line("auth/elastic_examples_auth.log", 3167))));

    let web = sigma::import_file(
        &sigma_dir()
            .join("SigmaHQ-sigma/unsupported/web/web_multiple_susp_resp_codes_single_source.yml"),
    );
    let spec = &web.correlations[0];
    // `selection | count() by clientip > 10`, `timeframe: 10m`
    assert_eq!(spec.kind, CorrelationKind::EventCount);
    assert_eq!(spec.group_by, ["clientip"]);
    assert_eq!(spec.timespan, Duration::from_secs(600));
    let bad_request = line("web/fail2ban_nginx-bad-request.log", 2);
    assert!(web.rules[0].matches(&row(&bad_request)), "{bad_request}");
    assert!(!web.rules[0].matches(&row(&line("web/elastic_examples_apache_logs.log", 1))));
}

/// Every parseable corpus line, as rows.
fn corpus_rows() -> Vec<EventRow> {
    let mut out = Vec::new();
    for dir in ["auth", "syslog", "web", "network"] {
        for e in std::fs::read_dir(corpus().join(dir)).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "csv" || x == "md") {
                continue;
            }
            let bytes = std::fs::read(&p).unwrap();
            for l in bytes.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
                out.push(row(&String::from_utf8_lossy(l)));
            }
        }
    }
    out
}

#[test]
fn the_rule_set_index_answers_as_every_rule_would() {
    let set = SigmaRuleSet::new(all_imports().into_iter().flat_map(|f| f.rules).collect());
    assert!(
        set.rules()
            .iter()
            .filter(|r| r.literals().is_some())
            .count()
            > 30,
        "most staged rules name literals the screen can use"
    );
    let (mut a, mut b, mut c) = (Vec::new(), Vec::new(), Vec::new());
    let mut fired = 0;
    for r in corpus_rows() {
        a.clear();
        b.clear();
        c.clear();
        set.matching(&r, &mut a);
        set.matching_by_logsource(&r, &mut b);
        set.matching_unindexed(&r, &mut c);
        assert_eq!(a, c, "{}", r.raw);
        assert_eq!(b, c, "{}", r.raw);
        fired += a.len();
    }
    assert!(fired > 0);
    // The edited positives of the tests above pass the screen too.
    for line in [
        edit(
            &line("auth/elastic_examples_auth.log", 1504),
            "GID=1001,",
            "GID=27,",
        ),
        edit(
            &line("auth/elastic_examples_auth.log", 10),
            "USER=root",
            "USER=#-1",
        ),
        edit(
            &line("web/crowdsec_nginx-http-sqli-probing.log", 3),
            "\" 404 ",
            "\" 200 ",
        ),
    ] {
        let r = row(&line);
        a.clear();
        c.clear();
        set.matching(&r, &mut a);
        set.matching_unindexed(&r, &mut c);
        assert!(!a.is_empty(), "{line}");
        assert_eq!(a, c, "{line}");
    }
}

/// Whether `key` occurs followed by a non-blank value.
fn has_value(line: &str, key: &str) -> bool {
    line.split(key)
        .skip(1)
        .any(|rest| rest.chars().next().is_some_and(|c| !c.is_whitespace()))
}

#[test]
fn pam_failures_in_the_auth_log_feed_the_translated_rule() {
    let f = sigma::import_file(
        &sigma_dir()
            .join("SigmaHQ-sigma/unsupported/linux/lnx_auth_susp_failed_logons_single_source.yml"),
    );
    let base = &f.rules[0];
    let text = std::fs::read_to_string(corpus().join("auth/elastic_examples_auth.log")).unwrap();
    // Counted from the text: pam_unix auth failures naming both a remote host and a user.
    let expected = text
        .lines()
        .filter(|l| {
            l.contains("pam_unix(sshd:auth): authentication failure;")
                && has_value(l, " rhost=")
                && has_value(l, " user=")
        })
        .count();
    let matched = text.lines().filter(|l| base.matches(&row(l))).count();
    assert_eq!(matched, expected);
}

mod screen {
    use std::sync::LazyLock;

    use proptest::prelude::*;

    use super::*;

    static SET: LazyLock<SigmaRuleSet> = LazyLock::new(|| {
        SigmaRuleSet::new(all_imports().into_iter().flat_map(|f| f.rules).collect())
    });
    static LINES: LazyLock<Vec<String>> = LazyLock::new(lines);

    /// Corpus lines of every kind the rules look at.
    fn lines() -> Vec<String> {
        let mut out = Vec::new();
        for (file, step) in [
            ("auth/elastic_examples_auth.log", 300),
            ("auth/loghub_OpenSSH_2k.log", 200),
            ("web/elastic_examples_apache_logs.log", 500),
            ("web/crowdsec_nginx-http-sqli-probing.log", 3),
            ("web/loghub_Apache_2k.log", 400),
        ] {
            let text = std::fs::read_to_string(corpus().join(file)).unwrap();
            out.extend(text.lines().step_by(step).map(str::to_owned));
        }
        out
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

        /// A rule's own literal, in any case, put anywhere in a real line (and the status made
        /// 200, which some web rules need): the screened answer is the unscreened one.
        #[test]
        fn the_literal_screen_never_changes_an_answer(
            pick_line in any::<prop::sample::Index>(),
            pick_literal in any::<prop::sample::Index>(),
            at in any::<prop::sample::Index>(),
            upper in prop::collection::vec(any::<bool>(), 64),
            ok_status in any::<bool>(),
        ) {
            let set = &*SET;
            let literals: Vec<&String> = set.rules().iter().filter_map(|r| r.literals()).flatten().collect();
            let lines = &*LINES;
            let mut line = lines[pick_line.index(lines.len())].clone();
            if ok_status {
                line = line.replacen("\" 404 ", "\" 200 ", 1);
            }
            let literal: String = literals[pick_literal.index(literals.len())]
                .chars()
                .zip(upper.iter().cycle())
                .map(|(c, u)| if *u { c.to_ascii_uppercase() } else { c })
                .collect();
            let bounds: Vec<usize> = (0..=line.len()).filter(|i| line.is_char_boundary(*i)).collect();
            line.insert_str(bounds[at.index(bounds.len())], &literal);
            let r = row(&line);
            let (mut a, mut c) = (Vec::new(), Vec::new());
            set.matching(&r, &mut a);
            set.matching_unindexed(&r, &mut c);
            prop_assert_eq!(a, c, "{}", line);
        }
    }
}
