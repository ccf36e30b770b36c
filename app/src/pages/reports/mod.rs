//! The Reports page: queue a report (kind, range, filters, format), follow its progress,
//! download and delete it, and manage schedules. The lists, the download links and the forms
//! that create and delete reports are plain server-rendered HTML, so all of that works without
//! JavaScript (reload to follow progress); the hydrated page refreshes itself while a report is
//! being generated. Schedules are edited in the hydrated page.

mod new_report;
mod report_list;
mod schedule_form;
mod schedule_list;

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::reports::{CreateReport, DeleteReport, list_reports, list_schedules};
use crate::api::resource;
use crate::components::write_action;
use crate::layouts::CurrentUserResource;
use crate::model::auth::Permission;
use crate::pages::ForbiddenPage;

use new_report::NewReportForm;
use report_list::ReportList;
use schedule_form::NewScheduleForm;
use schedule_list::ScheduleList;

/// How often the hydrated page looks again while a report is queued or running.
const REFRESH_MS: u64 = 1500;

#[component]
pub fn ReportsPage() -> impl IntoView {
    let me = expect_context::<CurrentUserResource>().0;
    view! {
        <Title text="Reports" />
        <h1>"Reports"</h1>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match me.await {
                    Ok(user) if user.can(Permission::ReportsRead) => {
                        view! { <Reports may_create=user.can(Permission::ReportsCreate) /> }.into_any()
                    }
                    _ => view! { <ForbiddenPage /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// What happened after a change to a schedule, or what went wrong. (Report writes answer in the
/// frame's notice line, as plain form posts do.)
pub type Notice = RwSignal<Option<Result<String, String>>>;

#[component]
fn Reports(may_create: bool) -> impl IntoView {
    let version = RwSignal::new(0u32);
    let reports = resource(move || version.get(), |_| list_reports());
    let schedules = resource(move || version.get(), |_| list_schedules());
    let notice: Notice = RwSignal::new(None);
    let refresh = move || version.update(|v| *v += 1);
    let create = write_action::<CreateReport>(refresh);
    let delete = write_action::<DeleteReport>(refresh);
    // Look again while anything is still being generated (effects run in the browser only).
    Effect::new(move |_| {
        let busy = reports
            .with(|r| matches!(r, Some(Ok(list)) if list.iter().any(|r| !r.status.is_final())));
        if busy {
            set_timeout(
                move || version.update(|v| *v += 1),
                std::time::Duration::from_millis(REFRESH_MS),
            );
        }
    });
    view! {
        {move || notice.get().map(|n| match n {
            Ok(text) => view! { <p class="notice notice-info" role="status">{text}</p> }.into_any(),
            Err(text) => view! { <p class="notice notice-error" role="alert">{text}</p> }.into_any(),
        })}
        {may_create.then(|| view! {
            <noscript>
                <p class="notice notice-info">"Without JavaScript, reload the page to follow a report's progress; changing schedules needs JavaScript."</p>
            </noscript>
            <NewReportForm create />
        })}
        <section class="reports-section" aria-labelledby="reports-heading">
            <h2 id="reports-heading">"Generated reports"</h2>
            <p class="meta"><a href="/reports">"Refresh"</a></p>
            <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match reports.await {
                        Ok(list) => view! { <ReportList list delete may_delete=may_create /> }.into_any(),
                        Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
        <section class="reports-section" aria-labelledby="schedules-heading">
            <h2 id="schedules-heading">"Schedules"</h2>
            {may_create.then(|| view! { <NewScheduleForm version notice /> })}
            <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match schedules.await {
                        Ok(list) => view! { <ScheduleList list version notice may_change=may_create /> }.into_any(),
                        Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// Form text as a filter value, `None` when empty.
pub(crate) fn text(v: String) -> Option<String> {
    Some(v.trim().to_string()).filter(|s| !s.is_empty())
}
