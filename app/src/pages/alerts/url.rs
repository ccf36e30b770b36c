//! The alerts list's state in the URL: reading an [`AlertFilter`] from the query string, and
//! the links that change one part of it (a status tab, the next page).

use leptos_router::params::ParamsMap;

use crate::model::alerts::AlertFilter;
use crate::pages::events::encode;

/// The filter the query string describes; unknown parameters are ignored.
pub fn read(map: &ParamsMap) -> AlertFilter {
    let get = |k: &str| map.get(k).unwrap_or_default();
    AlertFilter {
        status: get("status"),
        severity: get("severity"),
        rule: get("rule"),
        assignee: get("assignee"),
        range: get("range"),
        q: get("q"),
        cursor: get("cursor"),
    }
}

/// The list's address for `filter`, with only the parameters that are set.
pub fn href(filter: &AlertFilter) -> String {
    let pairs = [
        ("status", &filter.status),
        ("severity", &filter.severity),
        ("rule", &filter.rule),
        ("assignee", &filter.assignee),
        ("range", &filter.range),
        ("q", &filter.q),
        ("cursor", &filter.cursor),
    ];
    let query: Vec<String> = pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", encode(v)))
        .collect();
    if query.is_empty() {
        "/alerts".to_string()
    } else {
        format!("/alerts?{}", query.join("&"))
    }
}

/// The first page of `filter` with another status (empty: every status).
pub fn with_status(filter: &AlertFilter, status: &str) -> String {
    href(&AlertFilter {
        status: status.to_string(),
        cursor: String::new(),
        ..filter.clone()
    })
}

/// The page after the one ending at `cursor`.
pub fn next_page(filter: &AlertFilter, cursor: i64) -> String {
    href(&AlertFilter {
        cursor: cursor.to_string(),
        ..filter.clone()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_filter_survives_its_own_link() {
        let filter = AlertFilter {
            status: "open".into(),
            severity: "high".into(),
            rule: "3".into(),
            assignee: "me".into(),
            range: "7d".into(),
            q: "a&b=c #d".into(),
            cursor: "40".into(),
        };
        let link = href(&filter);
        assert_eq!(
            link,
            "/alerts?status=open&severity=high&rule=3&assignee=me&range=7d&q=a%26b%3Dc%20%23d&cursor=40"
        );
        let query = link.split_once('?').unwrap().1;
        let map = ParamsMap::from_iter(query.split('&').map(|pair| {
            let (k, v) = pair.split_once('=').unwrap();
            (
                k.to_string(),
                crate::model::notice::percent_decode(v).unwrap(),
            )
        }));
        assert_eq!(read(&map), filter);
    }

    #[test]
    fn a_status_tab_starts_from_the_first_page() {
        let filter = AlertFilter {
            status: "open".into(),
            cursor: "40".into(),
            ..Default::default()
        };
        assert_eq!(with_status(&filter, "resolved"), "/alerts?status=resolved");
        assert_eq!(with_status(&filter, ""), "/alerts");
        assert_eq!(next_page(&filter, 7), "/alerts?status=open&cursor=7");
    }
}
