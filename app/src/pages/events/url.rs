//! The browser's state in the URL: reading an [`EventSearch`] from the query string, and the
//! links that change one part of it. Every value is percent-encoded and every link is a path
//! on this site, so logged text never becomes a scheme such as `javascript:`.

use leptos_router::params::ParamsMap;

use crate::model::events::{EventSearch, RESULT_COLUMNS};

/// The search the query string describes; unknown parameters are ignored.
pub fn read(map: &ParamsMap) -> EventSearch {
    let get = |k: &str| map.get(k).unwrap_or_default();
    EventSearch {
        q: get("q"),
        range: get("range"),
        from: get("from"),
        to: get("to"),
        cursor: get("cursor"),
        before: get("before"),
        cols: columns(map),
    }
}

/// The chosen columns, in table order: the form sends one `cols` per ticked box, links carry
/// one, comma-separated. Unknown keys are dropped; every column chosen is no choice.
fn columns(map: &ParamsMap) -> String {
    let given = map.get_all("cols").unwrap_or_default();
    let wanted: Vec<&str> = given
        .iter()
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    let chosen: Vec<&str> = RESULT_COLUMNS
        .iter()
        .map(|(k, _)| *k)
        .filter(|k| wanted.contains(k))
        .collect();
    if chosen.len() == RESULT_COLUMNS.len() {
        String::new()
    } else {
        chosen.join(",")
    }
}

/// Percent-encodes all but the unreserved characters of RFC 3986.
pub fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(b as char)
            }
            _ => {
                const HEX: &[u8; 16] = b"0123456789ABCDEF";
                out.push('%');
                out.push(HEX[(b >> 4) as usize] as char);
                out.push(HEX[(b & 15) as usize] as char);
            }
        }
    }
    out
}

/// `path?k=v&…` with the non-empty pairs, encoded.
fn with_query(path: &str, pairs: &[(&str, &str)]) -> String {
    let query: Vec<String> = pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", encode(v)))
        .collect();
    if query.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{}", query.join("&"))
    }
}

/// The browser's address for `search`.
pub fn href(search: &EventSearch) -> String {
    with_query(
        "/events",
        &[
            ("q", &search.q),
            ("range", &search.range),
            ("from", &search.from),
            ("to", &search.to),
            ("cursor", &search.cursor),
            ("before", &search.before),
            ("cols", &search.cols),
        ],
    )
}

/// The same search from its newest events.
pub fn first_page(search: &EventSearch) -> EventSearch {
    EventSearch {
        cursor: String::new(),
        before: String::new(),
        ..search.clone()
    }
}

/// The page after `cursor` (older events).
pub fn older(search: &EventSearch, cursor: &str) -> String {
    href(&EventSearch {
        cursor: cursor.to_string(),
        ..first_page(search)
    })
}

/// The page before `cursor` (newer events).
pub fn newer(search: &EventSearch, cursor: &str) -> String {
    href(&EventSearch {
        before: cursor.to_string(),
        ..first_page(search)
    })
}

/// The query test for `field` having `value` (`None`: having no value at all).
pub fn clause(field: &str, value: Option<&str>) -> String {
    match value {
        None => format!("NOT {field}:*"),
        Some(value) => {
            let mut out = format!("{field}:\"");
            for c in value.chars() {
                if matches!(c, '"' | '\\') {
                    out.push('\\');
                }
                out.push(c);
            }
            out.push('"');
            out
        }
    }
}

/// `q` with `clause` ANDed to it; a query holding `OR` is parenthesized first so the new test
/// applies to all of it.
pub fn and(q: &str, clause: &str) -> String {
    let q = q.trim();
    if q.is_empty() {
        clause.to_string()
    } else if q == clause || q.ends_with(&format!(" AND {clause}")) {
        q.to_string()
    } else if q.contains("OR") {
        format!("({q}) AND {clause}")
    } else {
        format!("{q} AND {clause}")
    }
}

/// The browser's address for `search` narrowed to `field` having `value`, from the first page.
pub fn filtered(search: &EventSearch, field: &str, value: Option<&str>) -> String {
    href(&EventSearch {
        q: and(&search.q, &clause(field, value)),
        ..first_page(search)
    })
}

/// The CSV export of the search that covered `from`..`to` (as the server resolved the range).
pub fn export(search: &EventSearch, from: &str, to: &str) -> String {
    with_query(
        "/api/v1/logs/export.csv",
        &[("q", search.q.trim()), ("from", from), ("to", to)],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_percent_encoded() {
        assert_eq!(encode("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
        assert_eq!(encode("javascript:alert(1)"), "javascript%3Aalert%281%29");
    }

    #[test]
    fn a_value_click_ands_a_quoted_test() {
        let search = EventSearch {
            q: "failed".into(),
            range: "1h".into(),
            cursor: "abc".into(),
            ..Default::default()
        };
        assert_eq!(
            filtered(&search, "host", Some("web \"1\"")),
            "/events?q=failed%20AND%20host%3A%22web%20%5C%221%5C%22%22&range=1h"
        );
        assert_eq!(and("a OR b", "host:\"x\""), "(a OR b) AND host:\"x\"");
        assert_eq!(and("", "host:\"x\""), "host:\"x\"");
        assert_eq!(and("host:\"x\"", "host:\"x\""), "host:\"x\"", "not twice");
        assert_eq!(clause("user_name", None), "NOT user_name:*");
        assert_eq!(clause("host", Some(r"a\b")), r#"host:"a\\b""#);
    }

    #[test]
    fn logged_text_stays_inside_a_site_path() {
        let search = EventSearch::default();
        let link = filtered(&search, "user_name", Some("javascript:alert(1)"));
        assert!(link.starts_with("/events?q="), "{link}");
        assert!(!link.contains(':') && !link.contains('('), "{link}");
    }

    #[test]
    fn chosen_columns_come_from_ticked_boxes_or_a_link_and_stay_in_links() {
        let mut map = ParamsMap::new();
        map.insert("cols", "host".to_string());
        map.insert("cols", "message,bogus".to_string());
        let search = read(&map);
        assert_eq!(search.cols, "host,message", "unknown keys dropped");
        let mut all = ParamsMap::new();
        for (k, _) in RESULT_COLUMNS {
            all.insert("cols", k.to_string());
        }
        assert_eq!(read(&all).cols, "", "every column is the default");
        assert!(search.shows("host") && search.shows("message") && !search.shows("level"));
        assert!(
            EventSearch::default().shows("level"),
            "no choice shows every column"
        );
        assert_eq!(
            filtered(&search, "level", Some("error")),
            "/events?q=level%3A%22error%22&cols=host%2Cmessage"
        );
    }

    #[test]
    fn paging_links_keep_the_search_and_drop_the_other_cursor() {
        let search = EventSearch {
            q: "x".into(),
            before: "b".into(),
            ..Default::default()
        };
        assert_eq!(older(&search, "c1"), "/events?q=x&cursor=c1");
        assert_eq!(newer(&search, "c2"), "/events?q=x&before=c2");
        assert_eq!(
            export(&search, "2026-01-01T00:00:00Z", ""),
            "/api/v1/logs/export.csv?q=x&from=2026-01-01T00%3A00%3A00Z"
        );
    }
}
