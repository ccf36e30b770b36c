//! The form that queues a report: kind, range, filters and format. It is a [`PostForm`], so it
//! works as a plain form post without JavaScript.

use leptos::prelude::*;

use crate::api::reports::CreateReport;
use crate::components::PostForm;
use crate::model::reports::ReportKind;

#[component]
pub fn NewReportForm(create: ServerAction<CreateReport>) -> impl IntoView {
    view! {
        <PostForm action=create label="New report" class="report-form">
            <label>
                "Kind"
                <select name="kind">
                    {ReportKind::ALL
                        .into_iter()
                        .map(|k| view! { <option value=k.as_str()>{k.title()}</option> })
                        .collect_view()}
                </select>
            </label>
            <label>
                "Range"
                <select name="range">
                    <option value="1h">"Last hour"</option>
                    <option value="24h" selected=true>"Last 24 hours"</option>
                    <option value="7d">"Last 7 days"</option>
                    <option value="30d">"Last 30 days"</option>
                </select>
            </label>
            <label>
                "Format"
                <select name="format">
                    <option value="pdf">"PDF"</option>
                    <option value="csv">"CSV"</option>
                    <option value="json">"JSON"</option>
                </select>
            </label>
            <label>
                "Name (optional)"
                <input name="name" maxlength="200" />
            </label>
            <label class="wide">
                "Event query (optional)"
                <input name="q" placeholder="event_outcome:failure AND host:web-*" />
            </label>
            <label>
                "Alert severities"
                <input name="severity" placeholder="high,critical" />
            </label>
            <label>
                "Alert statuses"
                <input name="status" placeholder="open,acknowledged" />
            </label>
            <button type="submit" class="primary">"Create report"</button>
        </PostForm>
    }
}
