//! Where a dashboard figure leads: the events browser over the dashboard's range, narrowed to
//! the figure's value. Values are percent-encoded into a site path (see the browser's `url`).

use crate::model::events::EventSearch;
use crate::pages::events::url;

/// The events browser for `from`..`to`, narrowed by `q` (empty: every event).
pub fn events(q: &str, from: &str, to: &str) -> String {
    url::href(&EventSearch {
        q: q.to_string(),
        from: from.to_string(),
        to: to.to_string(),
        ..Default::default()
    })
}

/// The query test for `field` having `value`; the empty value is "no value".
pub fn test(field: &str, value: &str) -> String {
    url::clause(field, Some(value).filter(|v| !v.is_empty()))
}

/// The query for one chart value: a field test, or for logins the authentication outcome.
pub fn chart_query(field: &str, value: &str) -> String {
    match field {
        "login" => format!(
            "{} AND {}",
            test("event_category", "authentication"),
            test("event_outcome", value)
        ),
        _ => test(field, value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_lead_to_the_browser_over_the_same_range() {
        assert_eq!(
            events(&chart_query("level", "error"), "2026-05-01T10:00:00Z", ""),
            "/events?q=level%3A%22error%22&from=2026-05-01T10%3A00%3A00Z"
        );
        assert_eq!(chart_query("host", ""), "NOT host:*");
        assert_eq!(
            chart_query("login", "failure"),
            "event_category:\"authentication\" AND event_outcome:\"failure\""
        );
        let link = events(&test("source_ip", "javascript:alert(1)"), "", "");
        assert!(
            link.starts_with("/events?q=") && !link.contains(':'),
            "{link}"
        );
    }
}
