//! The editor's draft in the URL: the editor is a GET form, so a backtest preview is a page
//! like any other (shareable, and it works with JavaScript off).

use leptos_router::params::ParamsMap;

use crate::model::rules::RuleDraft;

/// The draft the query string describes; unknown parameters are ignored.
pub fn read(map: &ParamsMap) -> RuleDraft {
    let get = |k: &str| map.get(k).unwrap_or_default();
    RuleDraft {
        rule: get("rule"),
        name: get("name"),
        description: get("description"),
        kind: Some(get("kind"))
            .filter(|k| !k.is_empty())
            .unwrap_or_else(|| "threshold".into()),
        severity: Some(get("severity"))
            .filter(|k| !k.is_empty())
            .unwrap_or_else(|| "medium".into()),
        tags: get("tags"),
        query: get("query"),
        group_by: get("group_by"),
        window_secs: get("window_secs"),
        threshold: get("threshold"),
        distinct: get("distinct"),
        first: get("first"),
        then: get("then"),
        within_secs: get("within_secs"),
        yaml: get("yaml"),
        range: get("range"),
        from: get("from"),
        to: get("to"),
    }
}

/// Whether the query string asks for a backtest preview.
pub fn wants_preview(map: &ParamsMap) -> bool {
    map.get("preview").is_some_and(|p| p == "1")
}

/// The draft's fields as (form field name, value) pairs, for the save form.
pub fn fields(d: &RuleDraft) -> Vec<(&'static str, String)> {
    vec![
        ("rule", d.rule.clone()),
        ("name", d.name.clone()),
        ("description", d.description.clone()),
        ("kind", d.kind.clone()),
        ("severity", d.severity.clone()),
        ("tags", d.tags.clone()),
        ("query", d.query.clone()),
        ("group_by", d.group_by.clone()),
        ("window_secs", d.window_secs.clone()),
        ("threshold", d.threshold.clone()),
        ("distinct", d.distinct.clone()),
        ("first", d.first.clone()),
        ("then", d.then.clone()),
        ("within_secs", d.within_secs.clone()),
        ("yaml", d.yaml.clone()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_url_is_a_medium_threshold_draft() {
        let d = read(&ParamsMap::new());
        assert_eq!(
            (d.kind.as_str(), d.severity.as_str()),
            ("threshold", "medium")
        );
        assert!(!wants_preview(&ParamsMap::new()));
    }

    #[test]
    fn every_rule_field_reaches_the_save_form() {
        let map = ParamsMap::from_iter(
            [
                ("name", "n"),
                ("kind", "sigma"),
                ("yaml", "title: x"),
                ("preview", "1"),
                ("from", "2026-01-01T00:00:00Z"),
            ]
            .map(|(k, v)| (k.to_string(), v.to_string())),
        );
        let d = read(&map);
        assert!(wants_preview(&map));
        let f = fields(&d);
        assert!(f.contains(&("yaml", "title: x".to_string())));
        assert!(f.contains(&("kind", "sigma".to_string())));
        // The range is the preview's, not the rule's.
        assert!(!f.iter().any(|(k, _)| *k == "from"));
    }
}
