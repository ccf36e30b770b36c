//! An alert's history (who changed what, when) and its comments, oldest first.

use leptos::prelude::*;

use crate::components::{status_label, time};
use crate::model::alerts::{AlertChange, AlertComment};

/// One history row in words: "acknowledged by nadia", "assigned to nadia by admin".
pub fn describe(change: &AlertChange) -> String {
    let by = change
        .actor
        .as_deref()
        .map(|a| format!(" by {a}"))
        .unwrap_or_else(|| " by detection".to_string());
    let to = change.to.as_deref().unwrap_or("");
    match change.action.as_str() {
        "created" => format!("Raised{by}"),
        "matched" => format!(
            "More events matched{}",
            if to.is_empty() {
                String::new()
            } else {
                format!(" ({to})")
            }
        ),
        "status" => {
            let from = change.from.as_deref().map(status_label).unwrap_or_default();
            format!("Status {from} → {}{by}", status_label(to))
        }
        "assignee" if to.is_empty() => format!("Unassigned{by}"),
        "assignee" => format!("Assigned to {to}{by}"),
        "comment" => format!("Commented{by}"),
        other => format!("{other}{by}"),
    }
}

#[component]
pub fn Timeline(history: Vec<AlertChange>) -> impl IntoView {
    view! {
        <section class="detail-section" aria-labelledby="history-heading">
            <h2 id="history-heading">"History"</h2>
            <ol class="timeline" aria-label="History">
                {history
                    .into_iter()
                    .map(|c| {
                        view! {
                            <li>
                                <time>{time::utc_second(&c.at)}</time>
                                <span>{describe(&c)}</span>
                            </li>
                        }
                    })
                    .collect_view()}
            </ol>
        </section>
    }
}

#[component]
pub fn Comments(comments: Vec<AlertComment>) -> impl IntoView {
    view! {
        <section class="detail-section" aria-labelledby="comments-heading">
            <h2 id="comments-heading">"Comments"</h2>
            {if comments.is_empty() {
                view! { <p class="form-hint">"No comments yet."</p> }.into_any()
            } else {
                view! {
                    <ol class="comments" aria-label="Comments">
                        {comments
                            .into_iter()
                            .map(|c| {
                                view! {
                                    <li>
                                        <p class="comment-meta">
                                            {c.author.unwrap_or_else(|| "(deleted user)".into())}
                                            " · "
                                            <time>{time::utc_minute(&c.created_at)}</time>
                                        </p>
                                        <p class="comment-body">{c.body}</p>
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ol>
                }
                    .into_any()
            }}
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(
        action: &str,
        actor: Option<&str>,
        from: Option<&str>,
        to: Option<&str>,
    ) -> AlertChange {
        AlertChange {
            id: 1,
            at: chrono::Utc::now(),
            actor: actor.map(str::to_string),
            action: action.into(),
            from: from.map(str::to_string),
            to: to.map(str::to_string),
        }
    }

    #[test]
    fn changes_read_as_sentences() {
        assert_eq!(
            describe(&change("created", None, None, None)),
            "Raised by detection"
        );
        assert_eq!(
            describe(&change(
                "status",
                Some("nadia"),
                Some("open"),
                Some("in_progress")
            )),
            "Status open → in progress by nadia"
        );
        assert_eq!(
            describe(&change("assignee", Some("admin"), None, Some("nadia"))),
            "Assigned to nadia by admin"
        );
        assert_eq!(
            describe(&change("assignee", Some("admin"), Some("nadia"), None)),
            "Unassigned by admin"
        );
    }
}
