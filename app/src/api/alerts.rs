//! Server functions for the alert pages. Reads take JSON; writes take form fields, so that the
//! same function answers a plain form post (see [`super::forms::reply`]) and a hydrated call.

use leptos::prelude::*;
use server_fn::codec::Json;

use crate::error::AppError;
use crate::model::alerts::{AlertDetail, AlertFilter, AlertListing};

/// Alerts per page on the alerts list.
pub const ALERTS_PAGE_SIZE: u64 = 50;

/// The alerts for `filter`, newest first, with the counts per status and the rules.
#[server(prefix = "/api/fn", endpoint = "alerts_list", input = Json)]
pub async fn list_alerts_page(filter: AlertFilter) -> Result<AlertListing, AppError> {
    use crate::model::alerts::{AlertPage, AlertQuery, RuleChoice};
    use crate::model::rules::RuleQuery;

    let user = super::current_user()?;
    let service = super::service()?;
    let text = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
    let failed = |message: String| AlertListing {
        page: AlertPage {
            items: vec![],
            next_cursor: None,
        },
        counts: vec![],
        rules: vec![],
        assignees: vec![],
        input_error: Some(message),
    };
    let span = match filter.range.trim() {
        "" | "all" => None,
        "24h" => Some(chrono::Duration::hours(24)),
        "7d" => Some(chrono::Duration::days(7)),
        "30d" => Some(chrono::Duration::days(30)),
        other => {
            return Ok(failed(format!(
                "invalid range: {other:?} is not one of 24h, 7d, 30d, all"
            )));
        }
    };
    let number = |field: &str, value: &str| -> Result<Option<i64>, String> {
        text(value)
            .map(|v| {
                v.parse::<i64>()
                    .map_err(|_| format!("invalid {field}: {v:?} is not a number"))
            })
            .transpose()
    };
    let (rule, cursor) = match (
        number("rule", &filter.rule),
        number("cursor", &filter.cursor),
    ) {
        (Ok(r), Ok(c)) => (r, c),
        (Err(e), _) | (_, Err(e)) => return Ok(failed(e)),
    };
    let query = AlertQuery {
        status: text(&filter.status),
        severity: text(&filter.severity),
        rule: rule.and_then(|r| i32::try_from(r).ok()),
        assignee: (filter.assignee.trim() == "me").then_some(user.id),
        from: span.map(|s| chrono::Utc::now() - s),
        q: text(&filter.q),
        limit: Some(ALERTS_PAGE_SIZE),
        cursor,
        ..Default::default()
    };
    let page = match service.list_alerts(&user, query.clone()).await {
        Ok(page) => page,
        Err(AppError::Invalid(message) | AppError::BadRequest(message)) => {
            return Ok(failed(message));
        }
        Err(e) => return super::respond(Err(e)),
    };
    let counts = super::respond(service.alert_status_counts(&user, query).await)?;
    let rules = service
        .list_rules(&user, RuleQuery::default())
        .await
        .map(|rules| {
            rules
                .into_iter()
                .map(|r| RuleChoice {
                    id: r.id,
                    name: r.name,
                })
                .collect()
        })
        .unwrap_or_default();
    let assignees = assignees_for(&service, &user).await?;
    Ok(AlertListing {
        page,
        counts,
        rules,
        assignees,
        input_error: None,
    })
}

/// One alert with its rule, evidence, comments and history.
#[server(prefix = "/api/fn", endpoint = "alert_detail")]
pub async fn get_alert_detail(id: i64) -> Result<AlertDetail, AppError> {
    let user = super::current_user()?;
    let service = super::service()?;
    let alert = super::respond(service.get_alert(&user, id).await)?;
    let rule = match alert.rule_id {
        Some(rule_id) => service.get_rule(&user, rule_id).await.ok(),
        None => None,
    };
    let evidence = super::respond(service.alert_events(&user, id).await)?;
    let comments = super::respond(service.alert_comments(&user, id).await)?;
    let history = super::respond(service.alert_history(&user, id).await)?;
    let assignees = assignees_for(&service, &user).await?;
    Ok(AlertDetail {
        alert,
        rule,
        evidence,
        comments,
        history,
        assignees,
    })
}

/// Who `user` may assign alerts to; nobody for a user who may not triage (asked only of those
/// who may, so reading a page is never a refused, audited call).
#[cfg(feature = "ssr")]
async fn assignees_for(
    service: &crate::service::SharedService,
    user: &crate::model::auth::CurrentUser,
) -> Result<Vec<crate::model::alerts::Assignee>, AppError> {
    use crate::model::auth::Permission;
    if !user.can(Permission::AlertsTriage) {
        return Ok(Vec::new());
    }
    super::respond(service.assignable_users(user).await)
}

/// `assign` of the triage forms: `me`, `none` (unassign) or a user's id.
#[cfg(feature = "ssr")]
fn assignee_of(assign: &str, me: i32) -> Result<Option<i32>, AppError> {
    match assign.trim() {
        "" => Ok(None),
        "me" => Ok(Some(me)),
        "none" => Ok(Some(0)),
        other => match other.parse::<i32>() {
            Ok(id) if id > 0 => Ok(Some(id)),
            _ => Err(AppError::Invalid(format!(
                "assign: `{other}` is not me, none or a user's id"
            ))),
        },
    }
}

/// Status words as the notices say them.
#[cfg(feature = "ssr")]
fn status_words(status: &str) -> &str {
    match status {
        "open" => "reopened",
        "acknowledged" => "acknowledged",
        "in_progress" => "in progress",
        "resolved" => "resolved",
        "false_positive" => "marked a false positive",
        other => other,
    }
}

/// Changes one alert: `status` (any alert status) and/or `assign` (`me`, `none` to unassign,
/// or the id of a user who may triage); `alerts.triage`.
#[server(prefix = "/api/fn", endpoint = "alert_triage")]
pub async fn triage_alert(
    id: i64,
    #[server(default)] status: String,
    #[server(default)] assign: String,
) -> Result<String, AppError> {
    use crate::model::alerts::AlertUpdate;
    let result = async {
        let user = super::current_user()?;
        let assignee_id = assignee_of(&assign, user.id)?;
        let status = Some(status.trim().to_string()).filter(|s| !s.is_empty());
        let update = AlertUpdate {
            status: status.clone(),
            assignee_id,
        };
        let alert = super::service()?.update_alert(&user, id, update).await?;
        let mut said = Vec::new();
        if let Some(s) = &status {
            said.push(status_words(s).to_string());
        }
        match assignee_id {
            Some(0) => said.push("unassigned".into()),
            Some(_) => said.push(format!(
                "assigned to {}",
                alert.assignee.as_deref().unwrap_or("?")
            )),
            None => {}
        }
        Ok(format!("Alert {} {}.", alert.id, said.join(" and ")))
    }
    .await;
    super::forms::reply(result)
}

/// Adds a comment to an alert; `alerts.triage`.
#[server(prefix = "/api/fn", endpoint = "alert_comment")]
pub async fn comment_alert(id: i64, body: String) -> Result<String, AppError> {
    use crate::model::alerts::NewComment;
    let result = async {
        let user = super::current_user()?;
        super::service()?
            .add_alert_comment(&user, id, NewComment { body })
            .await?;
        Ok(format!("Comment added to alert {id}."))
    }
    .await;
    super::forms::reply(result)
}

/// One change to the checked alerts: `act` is `acknowledge`, `resolve`, `false_positive`,
/// `assign_me`, or `assign` to the user whose id is `assignee` (`none` unassigns);
/// `alerts.triage`.
#[server(prefix = "/api/fn", endpoint = "alerts_bulk")]
pub async fn bulk_triage(
    #[server(default)] ids: Vec<i64>,
    act: String,
    #[server(default)] assignee: String,
) -> Result<String, AppError> {
    use crate::model::alerts::AlertBulkUpdate;
    let result = async {
        let user = super::current_user()?;
        if ids.is_empty() {
            return Err(AppError::Invalid(
                "choose at least one alert (tick its box) first".into(),
            ));
        }
        let (status, assignee_id, done) = match act.as_str() {
            "acknowledge" => (Some("acknowledged"), None, "acknowledged".into()),
            "resolve" => (Some("resolved"), None, "resolved".into()),
            "false_positive" => (Some("false_positive"), None, "marked false positives".into()),
            "assign_me" => (None, Some(user.id), "assigned to you".into()),
            "assign" => match assignee_of(&assignee, user.id)? {
                None => {
                    return Err(AppError::Invalid(
                        "assignee: choose who to assign the alerts to".into(),
                    ));
                }
                Some(0) => (None, Some(0), "unassigned".to_string()),
                Some(id) => (None, Some(id), String::new()),
            },
            other => {
                return Err(AppError::Invalid(format!(
                    "act: `{other}` is not one of acknowledge, resolve, false_positive, assign_me, assign"
                )));
            }
        };
        let bulk = AlertBulkUpdate {
            ids,
            status: status.map(str::to_string),
            assignee_id,
        };
        let service = super::service()?;
        let answer = service.bulk_update_alerts(&user, bulk).await?;
        let done = match assignee_id {
            // Named after the change, which checked that the user may triage.
            Some(id) if done.is_empty() => {
                let name = service
                    .assignable_users(&user)
                    .await?
                    .into_iter()
                    .find(|a| a.id == id)
                    .map_or_else(|| format!("user {id}"), |a| a.username);
                format!("assigned to {name}")
            }
            _ => done,
        };
        let n = answer.updated.len();
        let mut text = format!("{n} alert{} {done}.", if n == 1 { "" } else { "s" });
        if !answer.not_found.is_empty() {
            text.push_str(&format!(" {} no longer exist.", answer.not_found.len()));
        }
        Ok(text)
    }
    .await;
    super::forms::reply(result)
}
