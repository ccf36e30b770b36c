//! What the events browser reads beside the search: value counts over a search (facets) and
//! the alerts whose evidence names an event.
//!
//! Facet counts read the few short columns of at most [`FACET_SCAN_LIMIT`] of the newest
//! matching events in one bounded query and count them here, so their cost does not grow with
//! the number of stored events.

use std::collections::HashMap;

use async_trait::async_trait;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use app::error::AppError;
use app::model::auth::{CurrentUser, Permission};
use app::model::events::{
    EventBrowserService, EventFacets, EventQuery, FACET_FIELDS, FACET_SCAN_LIMIT, FACET_TOP, Facet,
    FacetValue, RelatedAlert,
};

use super::log_search::{NewestFirst, Search};
use super::{Service, internal};
use crate::store::bronze_event_data::Column;
use crate::store::{alert, alert_evidence};

type FacetRow = (
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    String,
    String,
);

#[async_trait]
impl EventBrowserService for Service {
    async fn event_facets(
        &self,
        user: &CurrentUser,
        query: EventQuery,
    ) -> Result<EventFacets, AppError> {
        self.authorize(user, Permission::EventsRead).await?;
        let query = EventQuery {
            limit: None,
            cursor: None,
            before: None,
            ..query
        };
        let search = Search::parse(query, self.db.get_database_backend())?.readable_by(user);
        let rows: Vec<FacetRow> = search
            .select()
            .newest_first()
            .select_only()
            .column(Column::Level)
            .column(Column::Host)
            .column(Column::EventAction)
            .column(Column::EventOutcome)
            .column(Column::Parser)
            .column(Column::Source)
            .limit(FACET_SCAN_LIMIT + 1)
            .into_tuple()
            .all(&self.db)
            .await
            .map_err(internal)?;
        let capped = rows.len() as u64 > FACET_SCAN_LIMIT;
        let rows = &rows[..rows.len().min(FACET_SCAN_LIMIT as usize)];
        let facets = FACET_FIELDS
            .iter()
            .enumerate()
            .map(|(i, field)| Facet {
                field: field.to_string(),
                values: top_values(rows.iter().map(|r| column_of(r, i))),
            })
            .collect();
        Ok(EventFacets {
            facets,
            counted: rows.len() as u64,
            capped,
        })
    }

    async fn event_alerts(
        &self,
        user: &CurrentUser,
        id: i64,
    ) -> Result<Vec<RelatedAlert>, AppError> {
        // The event must be readable by the caller before anything about it is said.
        app::model::events::EventsService::get_event(self, user, id).await?;
        if !user.can(Permission::AlertsRead) {
            return Ok(Vec::new());
        }
        let alert_ids: Vec<i64> = alert_evidence::Entity::find()
            .filter(alert_evidence::Column::EventId.eq(id))
            .all(&self.db)
            .await
            .map_err(internal)?
            .into_iter()
            .map(|e| e.alert_id)
            .collect();
        if alert_ids.is_empty() {
            return Ok(Vec::new());
        }
        let alerts = alert::Entity::find()
            .filter(alert::Column::Id.is_in(alert_ids))
            .order_by_desc(alert::Column::Id)
            .all(&self.db)
            .await
            .map_err(internal)?;
        Ok(alerts
            .into_iter()
            .map(|a| RelatedAlert {
                id: a.id,
                title: a.title,
                severity: a.severity,
                status: a.status,
                rule_name: a.rule_name,
            })
            .collect())
    }
}

/// The value of the `i`th facet field in a row, in [`FACET_FIELDS`] order.
fn column_of(row: &FacetRow, i: usize) -> Option<&str> {
    match i {
        0 => row.0.as_deref(),
        1 => row.1.as_deref(),
        2 => row.2.as_deref(),
        3 => row.3.as_deref(),
        4 => Some(row.4.as_str()),
        _ => Some(row.5.as_str()),
    }
}

/// The [`FACET_TOP`] most frequent values, most frequent first, ties by value.
fn top_values<'a>(values: impl Iterator<Item = Option<&'a str>>) -> Vec<FacetValue> {
    let mut counts: HashMap<Option<&str>, u64> = HashMap::new();
    for v in values {
        *counts.entry(v).or_default() += 1;
    }
    let mut counted: Vec<(Option<&str>, u64)> = counts.into_iter().collect();
    counted.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    counted
        .into_iter()
        .take(FACET_TOP)
        .map(|(value, count)| FacetValue {
            value: value.map(str::to_string),
            count,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_values_are_most_frequent_first_and_capped() {
        let mut values = vec![Some("b"), Some("a"), None, Some("b"), None, Some("b")];
        for i in 0..20 {
            values.push(Some(
                ["x0", "x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9"][i % 10],
            ));
        }
        let top = top_values(values.into_iter());
        assert_eq!(top.len(), FACET_TOP);
        assert_eq!(
            top[0],
            FacetValue {
                value: Some("b".into()),
                count: 3
            }
        );
        // Counts of 2 follow, ties ordered by value with "no value" first.
        assert_eq!(
            top[1],
            FacetValue {
                value: None,
                count: 2
            }
        );
        assert_eq!(
            top[2],
            FacetValue {
                value: Some("x0".into()),
                count: 2
            }
        );
        assert!(
            top.iter().all(|v| v.value.as_deref() != Some("a")),
            "a (1) is below the top ten"
        );
    }
}
