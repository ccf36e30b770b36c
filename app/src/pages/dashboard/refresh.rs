//! Reloading the dashboard without JavaScript: `refresh=<seconds>` in the URL (opt-in, kept by
//! the range picker) makes the page carry `<meta http-equiv="refresh">` inside `<noscript>`, so
//! only a browser without JavaScript reloads; a hydrated page fetches its figures itself.

use leptos::prelude::*;

use crate::model::dashboard::DashboardRange;
use crate::pages::events::url::encode;

/// The interval the toggle link offers, in seconds.
pub const DEFAULT_SECONDS: u32 = 30;

/// The reload interval a `refresh` parameter asks for, kept between 5 seconds and an hour;
/// `None` when absent, zero or not a number.
pub fn seconds(value: &str) -> Option<u32> {
    value
        .trim()
        .parse::<u32>()
        .ok()
        .filter(|s| *s > 0)
        .map(|s| s.clamp(5, 3600))
}

/// The dashboard URL for `range`, reloading every `refresh` seconds when given.
pub fn href(range: &DashboardRange, refresh: Option<u32>) -> String {
    let mut params = Vec::new();
    for (key, value) in [
        ("range", &range.range),
        ("from", &range.from),
        ("to", &range.to),
    ] {
        if !value.trim().is_empty() {
            params.push(format!("{key}={}", encode(value)));
        }
    }
    if let Some(s) = refresh {
        params.push(format!("refresh={s}"));
    }
    if params.is_empty() {
        "/".to_string()
    } else {
        format!("/?{}", params.join("&"))
    }
}

/// The reload for a browser without JavaScript. A browser with JavaScript reads `<noscript>`'s
/// content as text, so the hydrated page renders the element empty and never reloads.
#[component]
pub fn NoScriptRefresh(seconds: u32) -> impl IntoView {
    #[cfg(not(feature = "hydrate"))]
    let view = view! {
        <noscript>
            <meta http-equiv="refresh" content=seconds.to_string() />
        </noscript>
    };
    #[cfg(feature = "hydrate")]
    let view = {
        let _ = seconds;
        view! { <noscript></noscript> }
    };
    view
}

/// The link that turns the reload on or off, keeping the range.
#[component]
pub fn RefreshToggle(range: Memo<DashboardRange>, refresh: Memo<Option<u32>>) -> impl IntoView {
    let link = move || match refresh.get() {
        Some(s) => (
            href(&range.get(), None),
            format!("Stop reloading every {s} s"),
        ),
        None => (
            href(&range.get(), Some(DEFAULT_SECONDS)),
            format!("Reload every {DEFAULT_SECONDS} s without JavaScript"),
        ),
    };
    view! {
        <p class="dashboard-refresh">
            <a href=move || link().0>{move || link().1}</a>
        </p>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_interval_is_bounded_and_optional() {
        assert_eq!(seconds("30"), Some(30));
        assert_eq!(seconds("1"), Some(5));
        assert_eq!(seconds("999999"), Some(3600));
        assert_eq!(seconds("0"), None);
        assert_eq!(seconds(""), None);
        assert_eq!(seconds("soon"), None);
    }

    #[test]
    fn links_keep_the_range() {
        let range = DashboardRange {
            range: "1h".into(),
            ..Default::default()
        };
        assert_eq!(href(&range, Some(30)), "/?range=1h&refresh=30");
        assert_eq!(href(&range, None), "/?range=1h");
        let custom = DashboardRange {
            from: "2026-05-01T10:00".into(),
            ..Default::default()
        };
        assert_eq!(href(&custom, None), "/?from=2026-05-01T10%3A00");
        assert_eq!(href(&DashboardRange::default(), None), "/");
    }
}
