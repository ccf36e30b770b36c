//! Notification channels (`settings.manage`): list, read, create, change, delete, and a test
//! message sent now; and an alert's notifications (`alerts.read`). Every change is audited,
//! without the SMTP password, which the API never returns either.

use std::collections::HashMap;

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, Set,
};
use serde_json::json;

use app::error::AppError;
use app::model::auth::{CurrentUser, Permission};
use app::model::notifications::{
    AlertNotification, ChannelTestResult, ChannelUpdate, ChannelView, NewChannel,
    NotificationsService,
};

use super::audit::{AuditEntry, Outcome};
use super::unique::OnUnique;
use super::{Service, internal};
use crate::alerting::notify::channel::{self, Stored};
use crate::alerting::notify::{self, message::Facts};
use crate::store::{alert, notification_channel, notification_outbox};

const MAX_NAME: usize = 255;

fn view(m: notification_channel::Model) -> ChannelView {
    ChannelView {
        id: m.id,
        name: m.name,
        kind: m.kind,
        enabled: m.enabled,
        rate_limit_per_minute: m.rate_per_minute,
        config: Stored::from_json(&m.config).view(),
        created_at: m.created_at,
        updated_at: m.updated_at,
    }
}

fn check_name(name: &str) -> Result<String, AppError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME || name.chars().any(char::is_control) {
        return Err(AppError::Invalid(format!(
            "name: between 1 and {MAX_NAME} characters, no control characters"
        )));
    }
    Ok(name.to_string())
}

async fn find(
    db: &sea_orm::DatabaseConnection,
    id: i32,
) -> Result<notification_channel::Model, AppError> {
    notification_channel::Entity::find_by_id(id)
        .one(db)
        .await
        .map_err(internal)?
        .ok_or(AppError::NotFound)
}

#[async_trait::async_trait]
impl NotificationsService for Service {
    async fn list_channels(&self, user: &CurrentUser) -> Result<Vec<ChannelView>, AppError> {
        self.authorize(user, Permission::SettingsManage).await?;
        let rows = notification_channel::Entity::find()
            .order_by_asc(notification_channel::Column::Name)
            .all(&self.db)
            .await
            .map_err(internal)?;
        Ok(rows.into_iter().map(view).collect())
    }

    async fn get_channel(&self, user: &CurrentUser, id: i32) -> Result<ChannelView, AppError> {
        self.authorize(user, Permission::SettingsManage).await?;
        Ok(view(find(&self.db, id).await?))
    }

    async fn create_channel(
        &self,
        user: &CurrentUser,
        new: NewChannel,
    ) -> Result<ChannelView, AppError> {
        self.authorize(user, Permission::SettingsManage).await?;
        let name = check_name(&new.name)?;
        let stored = channel::check(&new.kind, new.config, None).map_err(AppError::Invalid)?;
        let rate = channel::check_rate(new.rate_limit_per_minute.unwrap_or(channel::DEFAULT_RATE))
            .map_err(AppError::Invalid)?;
        let now = Utc::now();
        let mut txn = self.begin_audited().await.map_err(internal)?;
        let created = notification_channel::ActiveModel {
            name: Set(name.clone()),
            kind: Set(new.kind.clone()),
            config: Set(stored.to_json()),
            enabled: Set(new.enabled),
            rate_per_minute: Set(rate),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await
        .on_unique(|| AppError::Conflict(format!("a channel named `{name}` exists")))?;
        let entry = AuditEntry::by(user, "channel_create", Outcome::Success)
            .target(created.name.clone())
            .details(json!({ "id": created.id, "kind": created.kind }));
        txn.record(entry);
        txn.commit().await.map_err(internal)?;
        Ok(view(created))
    }

    async fn update_channel(
        &self,
        user: &CurrentUser,
        id: i32,
        update: ChannelUpdate,
    ) -> Result<ChannelView, AppError> {
        self.authorize(user, Permission::SettingsManage).await?;
        let current = find(&self.db, id).await?;
        let mut model = current.clone().into_active_model();
        let mut changed = Vec::new();
        if let Some(name) = &update.name {
            model.name = Set(check_name(name)?);
            changed.push("name");
        }
        if let Some(config) = update.config {
            let previous = Stored::from_json(&current.config);
            let stored = channel::check(&current.kind, config, Some(&previous))
                .map_err(AppError::Invalid)?;
            model.config = Set(stored.to_json());
            changed.push("config");
        }
        if let Some(rate) = update.rate_limit_per_minute {
            model.rate_per_minute = Set(channel::check_rate(rate).map_err(AppError::Invalid)?);
            changed.push("rate_limit_per_minute");
        }
        if let Some(e) = update.enabled {
            model.enabled = Set(e);
            changed.push(if e { "enabled" } else { "disabled" });
        }
        model.updated_at = Set(Utc::now());
        let mut txn = self.begin_audited().await.map_err(internal)?;
        let saved = model
            .update(&txn)
            .await
            .on_unique(|| AppError::Conflict("a channel with that name exists".into()))?;
        let entry = AuditEntry::by(user, "channel_update", Outcome::Success)
            .target(saved.name.clone())
            .details(json!({ "id": id, "changed": changed }));
        txn.record(entry);
        txn.commit().await.map_err(internal)?;
        Ok(view(saved))
    }

    async fn delete_channel(&self, user: &CurrentUser, id: i32) -> Result<(), AppError> {
        self.authorize(user, Permission::SettingsManage).await?;
        let current = find(&self.db, id).await?;
        let mut txn = self.begin_audited().await.map_err(internal)?;
        // Rule selections and queued notifications of the channel go with it.
        notification_channel::Entity::delete_by_id(id)
            .exec(&txn)
            .await
            .map_err(internal)?;
        let entry = AuditEntry::by(user, "channel_delete", Outcome::Success)
            .target(current.name.clone())
            .details(json!({ "id": id, "kind": current.kind }));
        txn.record(entry);
        txn.commit().await.map_err(internal)
    }

    async fn test_channel(
        &self,
        user: &CurrentUser,
        id: i32,
    ) -> Result<ChannelTestResult, AppError> {
        self.authorize(user, Permission::SettingsManage).await?;
        let current = find(&self.db, id).await?;
        let settings = &self.notify;
        let client = notify::webhook::client(settings.send_timeout);
        let result = notify::deliver(
            &client,
            &current.kind,
            &Stored::from_json(&current.config),
            &Facts::test(&settings.public_url),
            settings.send_timeout,
        )
        .await;
        let outcome = if result.is_ok() {
            Outcome::Success
        } else {
            Outcome::Failure
        };
        let entry = AuditEntry::by(user, "channel_test", outcome)
            .target(current.name.clone())
            .details(json!({ "id": id, "error": result.as_ref().err() }));
        self.audit(entry).await.map_err(internal)?;
        Ok(ChannelTestResult {
            ok: result.is_ok(),
            error: result.err(),
        })
    }

    async fn alert_notifications(
        &self,
        user: &CurrentUser,
        alert_id: i64,
    ) -> Result<Vec<AlertNotification>, AppError> {
        self.authorize(user, Permission::AlertsRead).await?;
        alert::Entity::find_by_id(alert_id)
            .one(&self.db)
            .await
            .map_err(internal)?
            .ok_or(AppError::NotFound)?;
        let rows = notification_outbox::Entity::find()
            .filter(notification_outbox::Column::AlertId.eq(alert_id))
            .order_by_asc(notification_outbox::Column::Id)
            .all(&self.db)
            .await
            .map_err(internal)?;
        let ids: Vec<i32> = rows.iter().map(|r| r.channel_id).collect();
        let channels: HashMap<i32, notification_channel::Model> =
            notification_channel::Entity::find()
                .filter(notification_channel::Column::Id.is_in(ids))
                .all(&self.db)
                .await
                .map_err(internal)?
                .into_iter()
                .map(|c| (c.id, c))
                .collect();
        Ok(rows
            .into_iter()
            .map(|r| {
                let c = channels.get(&r.channel_id);
                AlertNotification {
                    id: r.id,
                    channel_id: r.channel_id,
                    channel_name: c.map(|c| c.name.clone()),
                    channel_kind: c.map(|c| c.kind.clone()),
                    event: r.event,
                    status: r.status,
                    attempts: r.attempts,
                    last_error: r.last_error,
                    next_attempt_at: r.next_attempt_at,
                    delivered_at: r.delivered_at,
                    created_at: r.created_at,
                }
            })
            .collect())
    }
}
