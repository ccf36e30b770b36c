//! The form that queues a report: kind, range, filters and format.

use leptos::prelude::*;

use super::{Notice, text};
use crate::api::reports::create_report;
use crate::model::reports::{NewReport, ReportFilters, ReportFormat, ReportKind};

#[component]
pub fn NewReportForm(version: RwSignal<u32>, notice: Notice) -> impl IntoView {
    let kind = RwSignal::new("summary".to_string());
    let format = RwSignal::new("pdf".to_string());
    let range = RwSignal::new("24h".to_string());
    let name = RwSignal::new(String::new());
    let q = RwSignal::new(String::new());
    let severity = RwSignal::new(String::new());
    let status = RwSignal::new(String::new());
    let create = Action::new(move |new: &NewReport| {
        let new = new.clone();
        async move { create_report(new).await }
    });
    Effect::new(move |_| {
        if let Some(r) = create.value().get() {
            version.update(|v| *v += 1);
            notice.set(Some(
                r.map(|v| format!("Report “{}” queued.", v.name))
                    .map_err(|e| e.to_string()),
            ));
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(kind) = ReportKind::parse(&kind.get_untracked()) else {
            return;
        };
        let Some(format) = ReportFormat::parse(&format.get_untracked()) else {
            return;
        };
        create.dispatch(NewReport {
            kind,
            format,
            name: text(name.get_untracked()),
            from: None,
            to: None,
            range: text(range.get_untracked()),
            filters: ReportFilters {
                q: text(q.get_untracked()),
                severity: text(severity.get_untracked()),
                status: text(status.get_untracked()),
            },
        });
    };
    view! {
        <form class="report-form" on:submit=submit aria-label="New report">
            <label>
                "Kind"
                <select name="kind" bind:value=kind>
                    {ReportKind::ALL
                        .into_iter()
                        .map(|k| view! { <option value=k.as_str()>{k.title()}</option> })
                        .collect_view()}
                </select>
            </label>
            <label>
                "Range"
                <select name="range" bind:value=range>
                    <option value="1h">"Last hour"</option>
                    <option value="24h">"Last 24 hours"</option>
                    <option value="7d">"Last 7 days"</option>
                    <option value="30d">"Last 30 days"</option>
                </select>
            </label>
            <label>
                "Format"
                <select name="format" bind:value=format>
                    <option value="pdf">"PDF"</option>
                    <option value="csv">"CSV"</option>
                    <option value="json">"JSON"</option>
                </select>
            </label>
            <label>
                "Name (optional)"
                <input name="name" maxlength="200" bind:value=name />
            </label>
            <label class="wide">
                "Event query (optional)"
                <input name="q" placeholder="event_outcome:failure AND host:web-*" bind:value=q />
            </label>
            <label>
                "Alert severities"
                <input name="severity" placeholder="high,critical" bind:value=severity />
            </label>
            <label>
                "Alert statuses"
                <input name="status" placeholder="open,acknowledged" bind:value=status />
            </label>
            <button type="submit" class="primary">"Create report"</button>
        </form>
    }
}
