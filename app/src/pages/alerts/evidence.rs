//! The evidence: the events behind an alert, each linking to its page, and a search for
//! them in the events browser. Logged text is shown as text only.

use leptos::prelude::*;

use crate::components::time;
use crate::model::alerts::AlertView;
use crate::model::events::Event;
use crate::pages::events::encode;

/// A search in the events browser for the events of the alert's group: each group field as
/// `field:"value"`, over all time.
pub fn browser_search(alert: &AlertView) -> String {
    let terms: Vec<String> = alert
        .group_fields
        .as_object()
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| {
                    let value = match v {
                        serde_json::Value::String(s) => s.clone(),
                        serde_json::Value::Number(n) => n.to_string(),
                        _ => return None,
                    };
                    let safe_field = !k.is_empty()
                        && k.chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
                    safe_field.then(|| {
                        format!(
                            "{k}:\"{}\"",
                            value.replace('\\', "\\\\").replace('"', "\\\"")
                        )
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    format!("/events?q={}&range=all", encode(&terms.join(" AND ")))
}

#[component]
pub fn Evidence(alert: AlertView, events: Vec<Event>) -> impl IntoView {
    let search = browser_search(&alert);
    let stored = events.len();
    let more = (alert.event_count as usize).saturating_sub(stored);
    view! {
        <section class="detail-section" aria-labelledby="evidence-heading">
            <h2 id="evidence-heading">"Evidence"</h2>
            <p class="form-hint">
                {format!("{stored} stored event{}", if stored == 1 { "" } else { "s" })}
                {(more > 0).then(|| format!(" ({more} more counted, not stored)"))}
                " · "
                <a href=search>"Search them in the events browser"</a>
            </p>
            <div class="table-scroll">
                <table class="data-table evidence-table" aria-label="Evidence events">
                    <thead>
                        <tr>
                            <th scope="col">"Time (UTC)"</th>
                            <th scope="col">"Host"</th>
                            <th scope="col">"Source IP"</th>
                            <th scope="col">"User"</th>
                            <th scope="col">"Message"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {events
                            .into_iter()
                            .map(|e| {
                                let href = format!("/events/{}", e.id);
                                let dash = |v: Option<String>| v.unwrap_or_else(|| "-".into());
                                view! {
                                    <tr>
                                        <td class="nowrap" data-label="Time">
                                            <a href=href title="Open this event">{time::utc_second(&e.timestamp)}</a>
                                        </td>
                                        <td data-label="Host">{dash(e.host)}</td>
                                        <td data-label="Source IP">{dash(e.source_ip)}</td>
                                        <td data-label="User">{dash(e.user_name)}</td>
                                        <td class="message" data-label="Message">{e.message}</td>
                                    </tr>
                                }
                            })
                            .collect_view()}
                    </tbody>
                </table>
            </div>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alert(fields: serde_json::Value) -> AlertView {
        let now = chrono::Utc::now();
        AlertView {
            id: 1,
            rule_id: None,
            rule_name: None,
            title: "t".into(),
            severity: "high".into(),
            status: "open".into(),
            assignee_id: None,
            assignee: None,
            group_key: String::new(),
            group_fields: fields,
            event_count: 1,
            evidence_count: 1,
            first_seen: now,
            last_seen: now,
            summary: None,
            tags: vec![],
            created_at: now,
            updated_at: now,
            acknowledged_at: None,
            resolved_at: None,
        }
    }

    #[test]
    fn the_group_becomes_an_encoded_search() {
        let a = alert(serde_json::json!({"source_ip": "203.0.113.9", "user.name": "a\"b"}));
        assert_eq!(
            browser_search(&a),
            "/events?q=source_ip%3A%22203.0.113.9%22%20AND%20user.name%3A%22a%5C%22b%22&range=all"
        );
    }

    #[test]
    fn fields_that_are_not_plain_names_are_left_out() {
        let a = alert(serde_json::json!({"x) OR (y": "1", "host": "h"}));
        assert_eq!(browser_search(&a), "/events?q=host%3A%22h%22&range=all");
    }
}
