//! The triage controls of one alert: status, assignment (to oneself, or to anyone who may
//! triage, picked from a list) and a comment, each a form that posts without JavaScript. Shown
//! only to users holding `alerts.triage`.

use leptos::prelude::*;

use crate::api::alerts::{CommentAlert, TriageAlert};
use crate::components::PostForm;
use crate::model::alerts::{AlertView, Assignee};

/// The status buttons offered for an alert in `status`: every other status.
pub fn next_statuses(status: &str) -> Vec<(&'static str, &'static str)> {
    [
        ("acknowledged", "Acknowledge"),
        ("in_progress", "In progress"),
        ("resolved", "Resolve"),
        ("false_positive", "False positive"),
        ("open", "Reopen"),
    ]
    .into_iter()
    .filter(|(s, _)| *s != status)
    .collect()
}

#[component]
pub fn TriagePanel(
    alert: AlertView,
    triage: ServerAction<TriageAlert>,
    comment: ServerAction<CommentAlert>,
    assignees: Vec<Assignee>,
) -> impl IntoView {
    let id = alert.id.to_string();
    let (id2, id3, id4) = (id.clone(), id.clone(), id.clone());
    let assigned = alert.assignee_id.is_some();
    let current = alert.assignee_id;
    let picker = (!assignees.is_empty()).then(|| {
        view! {
            <PostForm action=triage label="Assign to" class="button-row assign-form">
                <input type="hidden" name="id" value=id4 />
                <label>
                    "Assignee"
                    <select name="assign">
                        {assignees
                            .into_iter()
                            .map(|a| {
                                let label = a.label();
                                view! { <option value=a.id.to_string() selected=current == Some(a.id)>{label}</option> }
                            })
                            .collect_view()}
                    </select>
                </label>
                <button type="submit">"Assign"</button>
            </PostForm>
        }
    });
    view! {
        <section class="detail-section triage-panel" aria-labelledby="triage-heading">
            <h2 id="triage-heading">"Triage"</h2>
            <PostForm action=triage label="Status" class="button-row">
                <input type="hidden" name="id" value=id />
                {next_statuses(&alert.status)
                    .into_iter()
                    .map(|(value, label)| view! { <button type="submit" name="status" value=value>{label}</button> })
                    .collect_view()}
            </PostForm>
            <PostForm action=triage label="Assignment" class="button-row">
                <input type="hidden" name="id" value=id2 />
                <button type="submit" name="assign" value="me">"Assign to me"</button>
                {assigned.then(|| view! { <button type="submit" name="assign" value="none">"Unassign"</button> })}
            </PostForm>
            {picker}
            <PostForm action=comment label="Comment" class="comment-form">
                <input type="hidden" name="id" value=id3 />
                <label>
                    "Comment"
                    <textarea name="body" rows="3" required maxlength="10000"></textarea>
                </label>
                <button type="submit" class="primary">"Add comment"</button>
            </PostForm>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::next_statuses;

    #[test]
    fn the_current_status_is_not_offered() {
        let open: Vec<_> = next_statuses("open").into_iter().map(|(s, _)| s).collect();
        assert_eq!(
            open,
            ["acknowledged", "in_progress", "resolved", "false_positive"]
        );
        let resolved: Vec<_> = next_statuses("resolved")
            .into_iter()
            .map(|(s, _)| s)
            .collect();
        assert_eq!(
            resolved,
            ["acknowledged", "in_progress", "false_positive", "open"]
        );
    }
}
