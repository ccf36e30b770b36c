//! What a notification says, and its three renderings: generic JSON, Slack and e-mail.
//!
//! Titles, group keys and rule names come from log content, so they are attacker-controlled:
//! JSON gets them through serde (properly escaped), Slack with its control characters
//! (`&`, `<`, `>`) escaped so a log line cannot add mentions or links, and e-mail headers
//! without CR/LF or other control characters so a log line cannot add headers.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::store::alert;

/// The facts of one notification.
#[derive(Debug, Clone)]
pub struct Facts {
    /// `opened`, or `test` for a channel's test message.
    pub event: String,
    pub alert_id: i64,
    pub title: String,
    pub severity: String,
    pub status: String,
    pub rule_id: Option<i32>,
    pub rule_name: Option<String>,
    pub group_key: String,
    pub group_fields: Value,
    pub first_seen: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
    pub event_count: i64,
    /// `<public_url>/alerts/<id>`.
    pub link: String,
}

impl Facts {
    pub fn of(a: &alert::Model, event: &str, public_url: &str) -> Self {
        Self {
            event: event.into(),
            alert_id: a.id,
            title: a.title.clone(),
            severity: a.severity.clone(),
            status: a.status.clone(),
            rule_id: a.rule_id,
            rule_name: a.rule_name.clone(),
            group_key: a.dedup_key.clone(),
            group_fields: a.group_fields.clone().unwrap_or_else(|| json!({})),
            first_seen: a.first_seen,
            last_seen: a.last_seen,
            event_count: a.event_count,
            link: format!("{}/alerts/{}", public_url.trim_end_matches('/'), a.id),
        }
    }

    /// The message a channel's test sends: plainly marked as a test.
    pub fn test(public_url: &str) -> Self {
        let now = Utc::now();
        Self {
            event: "test".into(),
            alert_id: 0,
            title: "Vigil test notification".into(),
            severity: "low".into(),
            status: "open".into(),
            rule_id: None,
            rule_name: None,
            group_key: String::new(),
            group_fields: json!({}),
            first_seen: now,
            last_seen: now,
            event_count: 0,
            link: format!("{}/alerts", public_url.trim_end_matches('/')),
        }
    }
}

/// The generic webhook body.
pub fn json_payload(f: &Facts) -> Value {
    json!({
        "event": f.event,
        "test": f.event == "test",
        "alert": {
            "id": f.alert_id,
            "title": f.title,
            "severity": f.severity,
            "status": f.status,
            "rule": { "id": f.rule_id, "name": f.rule_name },
            "group_key": f.group_key,
            "group_fields": f.group_fields,
            "first_seen": f.first_seen,
            "last_seen": f.last_seen,
            "event_count": f.event_count,
            "url": f.link,
        }
    })
}

/// Slack's control characters escaped, line breaks flattened.
fn slack_text(s: &str) -> String {
    one_line(s)
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A Slack incoming-webhook body: `text` for notifications and clients without blocks,
/// `blocks` for the message itself.
pub fn slack_payload(f: &Facts) -> Value {
    let severity = f.severity.to_uppercase();
    let title = slack_text(&f.title);
    let link = slack_text(&f.link);
    let text = format!("[{severity}] {title} <{link}|open in Vigil>");
    let mut lines = vec![format!("*[{severity}] {title}*")];
    if let Some(rule) = &f.rule_name {
        lines.push(format!("*Rule:* {}", slack_text(rule)));
    }
    if !f.group_key.is_empty() {
        lines.push(format!(
            "*Group:* `{}`",
            slack_text(&f.group_key).replace('`', "'")
        ));
    }
    lines.push(format!(
        "*Events:* {} (first {}, last {})",
        f.event_count,
        f.first_seen.to_rfc3339(),
        f.last_seen.to_rfc3339()
    ));
    lines.push(format!("<{link}|Open alert in Vigil>"));
    json!({
        "text": text,
        "blocks": [
            { "type": "section", "text": { "type": "mrkdwn", "text": lines.join("\n") } }
        ]
    })
}

/// Control characters (CR and LF among them) become spaces.
pub fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// The e-mail subject: severity and title on one line, at most 200 characters.
pub fn subject(f: &Facts) -> String {
    let s = format!(
        "[Vigil] [{}] {}",
        f.severity.to_uppercase(),
        one_line(&f.title)
    );
    s.chars().take(200).collect()
}

/// The e-mail body: the same facts, one per line, and the link.
pub fn body(f: &Facts) -> String {
    let mut out = String::new();
    let heading = if f.event == "test" {
        "This is a test notification from Vigil.".to_string()
    } else {
        format!("Vigil alert {}", f.event)
    };
    out.push_str(&heading);
    out.push_str("\n\n");
    let mut line = |k: &str, v: &str| {
        out.push_str(k);
        out.push_str(": ");
        out.push_str(&one_line(v));
        out.push('\n');
    };
    line("Title", &f.title);
    line("Severity", &f.severity);
    if let Some(rule) = &f.rule_name {
        line("Rule", rule);
    }
    if !f.group_key.is_empty() {
        line("Group", &f.group_key);
        line("Group fields", &f.group_fields.to_string());
    }
    line("Events", &f.event_count.to_string());
    line("First seen", &f.first_seen.to_rfc3339());
    line("Last seen", &f.last_seen.to_rfc3339());
    line("Link", &f.link);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hostile() -> Facts {
        let mut f = Facts::test("https://vigil.example/");
        f.event = "opened".into();
        f.alert_id = 7;
        f.link = "https://vigil.example/alerts/7".into();
        f.title = "Login \"root\"\r\nBcc: x@evil.example <!channel> & more".into();
        f.severity = "high".into();
        f.group_key = "user_name=root\nX-Injected: 1".into();
        f
    }

    #[test]
    fn json_round_trips_hostile_text() {
        let f = hostile();
        let v: Value = serde_json::from_str(&json_payload(&f).to_string()).unwrap();
        assert_eq!(v["alert"]["title"], f.title.as_str());
        assert_eq!(v["alert"]["group_key"], f.group_key.as_str());
        assert_eq!(v["alert"]["url"], "https://vigil.example/alerts/7");
    }

    #[test]
    fn slack_cannot_be_made_to_mention_or_link() {
        let v = slack_payload(&hostile());
        let text = v["text"].as_str().unwrap();
        assert!(!text.contains("<!channel>"), "{text}");
        assert!(text.contains("&lt;!channel&gt; &amp; more"), "{text}");
        let block = v["blocks"][0]["text"]["text"].as_str().unwrap();
        assert!(block.contains("<https://vigil.example/alerts/7|Open alert in Vigil>"));
        // Title, group, events, link (these facts name no rule): the title's CR LF and the
        // group key's LF did not add lines.
        assert_eq!(block.lines().count(), 4, "one line per fact: {block}");
    }

    #[test]
    fn the_subject_is_one_line() {
        let s = subject(&hostile());
        assert!(!s.contains('\r') && !s.contains('\n'), "{s:?}");
        assert!(s.starts_with("[Vigil] [HIGH] Login"));
        let b = body(&hostile());
        assert!(
            b.lines()
                .any(|l| l == "Group: user_name=root X-Injected: 1"),
            "{b}"
        );
    }
}
