//! A backtest's answer in the editor: the alerts the draft would have raised.

use leptos::prelude::*;

use crate::components::{SeverityBadge, time};
use crate::model::backtest::BacktestJob;

#[component]
pub fn PreviewResult(job: BacktestJob) -> impl IntoView {
    let range = format!(
        "{} to {} UTC",
        time::utc_minute(&job.from),
        time::utc_minute(&job.to)
    );
    let Some(result) = job.result else {
        let state = match job.error {
            Some(e) => format!("The backtest failed: {e}"),
            None => format!(
                "The backtest is still {} ({} of {} events read): backtest again in a moment.",
                job.status, job.scanned, job.total
            ),
        };
        return view! { <p class="error" role="alert">{state}</p> }.into_any();
    };
    let n = result.alerts.len() as u64 + result.left_out;
    let summary = format!(
        "{n} alert{} would have been raised from {} events, {range}.",
        if n == 1 { "" } else { "s" },
        job.scanned
    );
    view! {
        <section class="detail-section" aria-labelledby="preview-heading">
            <h2 id="preview-heading">"Backtest"</h2>
            <p role="status" class="backtest-summary">{summary}</p>
            {(!result.alerts.is_empty()).then(|| view! {
                <div class="table-scroll">
                    <table class="data-table" aria-label="Would-be alerts">
                        <thead>
                            <tr>
                                <th scope="col">"Severity"</th>
                                <th scope="col">"Alert"</th>
                                <th scope="col">"Group key"</th>
                                <th scope="col">"Events"</th>
                                <th scope="col">"First seen (UTC)"</th>
                                <th scope="col">"Last seen (UTC)"</th>
                            </tr>
                        </thead>
                        <tbody>
                            {result
                                .alerts
                                .into_iter()
                                .map(|a| {
                                    let first = format!("/events/{}", a.first_event_id);
                                    view! {
                                        <tr>
                                            <td><SeverityBadge severity=a.severity /></td>
                                            <td>{a.title}</td>
                                            <td class="message">{a.group_key}</td>
                                            <td class="num">{a.event_count.to_string()}</td>
                                            <td class="nowrap"><a href=first title="The first event behind it">{time::utc_second(&a.first_seen)}</a></td>
                                            <td class="nowrap">{time::utc_second(&a.last_seen)}</td>
                                        </tr>
                                    }
                                })
                                .collect_view()}
                        </tbody>
                    </table>
                </div>
            })}
        </section>
    }
    .into_any()
}
