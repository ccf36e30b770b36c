//! The schedules: when each runs, what it covers, where it is sent; enable, disable, delete.

use leptos::prelude::*;

use super::Notice;
use crate::api::reports::{delete_schedule, update_schedule};
use crate::components::time;
use crate::model::reports::{ScheduleUpdate, ScheduleView};

#[component]
pub fn ScheduleList(
    list: Vec<ScheduleView>,
    version: RwSignal<u32>,
    notice: Notice,
    may_change: bool,
) -> impl IntoView {
    let toggle = Action::new(move |(id, enabled): &(i32, bool)| {
        let (id, enabled) = (*id, *enabled);
        async move {
            update_schedule(
                id,
                ScheduleUpdate {
                    enabled: Some(enabled),
                    ..ScheduleUpdate::default()
                },
            )
            .await
            .map(|s| {
                format!(
                    "Schedule “{}” {}.",
                    s.name,
                    if s.enabled { "enabled" } else { "disabled" }
                )
            })
        }
    });
    let delete = Action::new(move |id: &i32| {
        let id = *id;
        async move {
            delete_schedule(id)
                .await
                .map(|()| "Schedule deleted.".to_string())
        }
    });
    for action in [toggle.value(), delete.value()] {
        Effect::new(move |_| {
            if let Some(r) = action.get() {
                version.update(|v| *v += 1);
                notice.set(Some(r.map_err(|e| e.to_string())));
            }
        });
    }
    if list.is_empty() {
        return view! { <p class="meta">"No schedules."</p> }.into_any();
    }
    let when = |t: Option<chrono::DateTime<chrono::Utc>>| {
        t.map(|t| time::utc_minute(&t))
            .unwrap_or_else(|| "–".into())
    };
    view! {
        <table class="data-table" aria-label="Schedules">
            <thead>
                <tr>
                    <th>"Name"</th>
                    <th>"Kind"</th>
                    <th>"Format"</th>
                    <th>"Cron (UTC)"</th>
                    <th>"Covers"</th>
                    <th>"E-mail channel"</th>
                    <th>"Last run"</th>
                    <th>"Next run"</th>
                    <th></th>
                </tr>
            </thead>
            <tbody>
                {list
                    .into_iter()
                    .map(|s| {
                        let (id, enabled) = (s.id, s.enabled);
                        view! {
                            <tr>
                                <td data-label="Name">{s.name.clone()}</td>
                                <td data-label="Kind">{s.kind.title()}</td>
                                <td data-label="Format">{s.format.as_str().to_uppercase()}</td>
                                <td data-label="Cron"><code>{s.cron.clone()}</code></td>
                                <td data-label="Covers">{format!("last {}", s.range)}</td>
                                <td data-label="E-mail channel">{s.channel_id.map(|c| c.to_string()).unwrap_or_else(|| "–".into())}</td>
                                <td data-label="Last run">{when(s.last_run_at)}</td>
                                <td data-label="Next run">{if enabled { when(s.next_run_at) } else { "disabled".into() }}</td>
                                <td class="actions">
                                    {may_change.then(|| view! {
                                        <button type="button" on:click=move |_| { toggle.dispatch((id, !enabled)); }>
                                            {if enabled { "Disable" } else { "Enable" }}
                                        </button>
                                        <button type="button" on:click=move |_| { delete.dispatch(id); }>"Delete"</button>
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
