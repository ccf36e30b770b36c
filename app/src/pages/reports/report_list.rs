//! The generated reports: status and progress, a download link (a plain link, so it works
//! without JavaScript) and a delete button (a [`PostForm`], likewise).

use leptos::prelude::*;

use crate::api::reports::DeleteReport;
use crate::components::{PostForm, time};
use crate::model::reports::{ReportStatus, ReportView};

/// A byte count for people: `12.3 KiB`.
pub fn size(bytes: i64) -> String {
    let b = bytes as f64;
    if b < 1024.0 {
        format!("{bytes} B")
    } else if b < 1024.0 * 1024.0 {
        format!("{:.1} KiB", b / 1024.0)
    } else {
        format!("{:.1} MiB", b / (1024.0 * 1024.0))
    }
}

#[component]
pub fn ReportList(
    list: Vec<ReportView>,
    delete: ServerAction<DeleteReport>,
    may_delete: bool,
) -> impl IntoView {
    if list.is_empty() {
        return view! { <p class="meta">"No reports yet."</p> }.into_any();
    }
    view! {
        <table class="data-table reports-table" aria-label="Reports">
            <thead>
                <tr>
                    <th>"Name"</th>
                    <th>"Kind"</th>
                    <th>"Format"</th>
                    <th>"Range (UTC)"</th>
                    <th>"Status"</th>
                    <th>"Created"</th>
                    <th>"Owner"</th>
                    <th></th>
                </tr>
            </thead>
            <tbody>
                {list
                    .into_iter()
                    .map(|r| {
                        let id = r.id;
                        let status = match r.status {
                            ReportStatus::Queued => view! { <span class="badge">"queued"</span> }.into_any(),
                            ReportStatus::Running => view! {
                                <span class="report-progress">
                                    <progress max="100" value=r.progress aria-label="Progress"></progress>
                                    {format!(" {} %", r.progress)}
                                </span>
                            }.into_any(),
                            ReportStatus::Done => view! {
                                <span class="badge badge-ok">"done"</span>
                                {r.size_bytes.map(|b| format!(" {}", size(b)))}
                            }.into_any(),
                            ReportStatus::Failed => view! {
                                <span class="badge badge-error">"failed"</span>
                                <span class="report-error">{r.error.clone().unwrap_or_default()}</span>
                            }.into_any(),
                        };
                        let done = r.status == ReportStatus::Done;
                        view! {
                            <tr>
                                <td data-label="Name">{r.name.clone()}</td>
                                <td data-label="Kind">{r.kind.title()}</td>
                                <td data-label="Format">{r.format.as_str().to_uppercase()}</td>
                                <td data-label="Range">{format!("{} – {}", time::utc_minute(&r.from), time::utc_minute(&r.to))}</td>
                                <td data-label="Status">{status}</td>
                                <td data-label="Created">{time::utc_minute(&r.created_at)}</td>
                                <td data-label="Owner">{r.owner.clone().unwrap_or_default()}</td>
                                <td class="actions">
                                    {done.then(|| view! {
                                        <a class="button" href=format!("/api/v1/reports/{id}/download") download=r.file_name.clone()>"Download"</a>
                                    })}
                                    {may_delete.then(|| view! {
                                        <PostForm action=delete label=format!("Delete report {id}") class="row-form">
                                            <input type="hidden" name="id" value=id />
                                            <button type="submit">"Delete"</button>
                                        </PostForm>
                                    })}
                                </td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}
