//! The form that creates a schedule: a report over a relative range at the times a cron
//! expression names, optionally e-mailed through an e-mail channel (by its id).

use leptos::prelude::*;

use super::{Notice, text};
use crate::api::reports::create_schedule;
use crate::model::reports::{NewSchedule, ReportFilters, ReportFormat, ReportKind};

#[component]
pub fn NewScheduleForm(version: RwSignal<u32>, notice: Notice) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let kind = RwSignal::new("summary".to_string());
    let format = RwSignal::new("pdf".to_string());
    let cron = RwSignal::new("0 7 * * *".to_string());
    let range = RwSignal::new("24h".to_string());
    let channel = RwSignal::new(String::new());
    let create = Action::new(move |new: &NewSchedule| {
        let new = new.clone();
        async move { create_schedule(new).await }
    });
    Effect::new(move |_| {
        if let Some(r) = create.value().get() {
            version.update(|v| *v += 1);
            notice.set(Some(
                r.map(|s| format!("Schedule “{}” created.", s.name))
                    .map_err(|e| e.to_string()),
            ));
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (Some(kind), Some(format)) = (
            ReportKind::parse(&kind.get_untracked()),
            ReportFormat::parse(&format.get_untracked()),
        ) else {
            return;
        };
        let channel_id = match text(channel.get_untracked()) {
            None => None,
            Some(c) => match c.parse() {
                Ok(id) => Some(id),
                Err(_) => {
                    notice.set(Some(
                        Err("The e-mail channel is a channel's number.".into()),
                    ));
                    return;
                }
            },
        };
        create.dispatch(NewSchedule {
            name: name.get_untracked(),
            kind,
            format,
            cron: cron.get_untracked(),
            range: range.get_untracked(),
            filters: ReportFilters::default(),
            channel_id,
            enabled: true,
        });
    };
    view! {
        <form class="report-form" on:submit=submit aria-label="New schedule">
            <label>
                "Schedule name"
                <input name="name" required maxlength="200" bind:value=name />
            </label>
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
                "Format"
                <select name="format" bind:value=format>
                    <option value="pdf">"PDF"</option>
                    <option value="csv">"CSV"</option>
                    <option value="json">"JSON"</option>
                </select>
            </label>
            <label>
                "When (cron, UTC)"
                <input name="cron" required bind:value=cron />
            </label>
            <label>
                "Covering the last"
                <select name="range" bind:value=range>
                    <option value="24h">"24 hours"</option>
                    <option value="7d">"7 days"</option>
                    <option value="30d">"30 days"</option>
                </select>
            </label>
            <label>
                "E-mail channel id (optional)"
                <input name="channel" inputmode="numeric" bind:value=channel />
            </label>
            <button type="submit" class="primary">"Create schedule"</button>
        </form>
    }
}
