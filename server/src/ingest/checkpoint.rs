//! Sources, file fingerprints and checkpoints.
//!
//! A file is known by its fingerprint: device and inode, plus a hash of its first bytes (up to
//! [`FINGERPRINT_BYTES`]). The hash tells a reused inode from the file that had it before; the
//! number of bytes hashed is part of the fingerprint, so a file first seen while shorter than
//! [`FINGERPRINT_BYTES`] keeps its identity as it grows.

use std::collections::HashMap;

use chrono::Utc;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter,
};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::SourceRef;
use crate::store::{checkpoint, source};

/// How many leading bytes of a file identify it.
pub const FINGERPRINT_BYTES: usize = 1024;

/// How far a source has stored one file: the byte offset just past the last stored line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckpointMark {
    pub source_id: i32,
    pub fingerprint: String,
    pub path: String,
    pub offset: u64,
}

/// A file's identity. `dev:inode:len:sha256-prefix` of the first `len` bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Fingerprint {
    pub dev: u64,
    pub inode: u64,
    pub len: usize,
    pub hash: String,
}

impl Fingerprint {
    /// The fingerprint of `head`, the first bytes of the file with that device and inode.
    pub fn new(dev: u64, inode: u64, head: &[u8]) -> Self {
        let head = &head[..head.len().min(FINGERPRINT_BYTES)];
        let digest = Sha256::digest(head);
        let hash = digest[..12].iter().map(|b| format!("{b:02x}")).collect();
        Self {
            dev,
            inode,
            len: head.len(),
            hash,
        }
    }

    pub fn key(&self) -> String {
        format!("{}:{}:{}:{}", self.dev, self.inode, self.len, self.hash)
    }

    pub fn parse(key: &str) -> Option<Self> {
        let mut parts = key.splitn(4, ':');
        Some(Self {
            dev: parts.next()?.parse().ok()?,
            inode: parts.next()?.parse().ok()?,
            len: parts.next()?.parse().ok()?,
            hash: parts.next()?.to_string(),
        })
    }

    /// True when `head` (the file's current first bytes) still hashes to this fingerprint.
    pub fn matches(&self, dev: u64, inode: u64, head: &[u8]) -> bool {
        dev == self.dev
            && inode == self.inode
            && head.len() >= self.len
            && Self::new(dev, inode, &head[..self.len]) == *self
    }
}

/// Finds or creates the `sources` row named `name`.
pub async fn register_source(
    db: &DatabaseConnection,
    name: &str,
    kind: &str,
    config: Value,
) -> Result<SourceRef, DbErr> {
    if let Some(found) = source::Entity::find()
        .filter(source::Column::Name.eq(name))
        .one(db)
        .await?
    {
        if found.config != config || found.kind != kind {
            let mut active: source::ActiveModel = found.clone().into();
            active.kind = Set(kind.to_string());
            active.config = Set(config);
            active.updated_at = Set(Utc::now());
            source::Entity::update(active).exec(db).await?;
        }
        return Ok(SourceRef {
            id: found.id,
            name: name.into(),
        });
    }
    let now = Utc::now();
    let res = source::Entity::insert(source::ActiveModel {
        name: Set(name.to_string()),
        kind: Set(kind.to_string()),
        config: Set(config),
        enabled: Set(true),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::column(source::Column::Name)
            .update_column(source::Column::UpdatedAt)
            .to_owned(),
    )
    .exec(db)
    .await;
    match res {
        Ok(r) => Ok(SourceRef {
            id: r.last_insert_id,
            name: name.into(),
        }),
        // Another task registered it first.
        Err(_) => {
            let found = source::Entity::find()
                .filter(source::Column::Name.eq(name))
                .one(db)
                .await?
                .ok_or_else(|| DbErr::RecordNotFound(format!("source {name}")))?;
            Ok(SourceRef {
                id: found.id,
                name: name.into(),
            })
        }
    }
}

/// Every checkpoint of a source: fingerprint key to committed offset.
pub async fn load(
    db: &impl ConnectionTrait,
    source_id: i32,
) -> Result<HashMap<String, u64>, DbErr> {
    Ok(checkpoint::Entity::find()
        .filter(checkpoint::Column::SourceId.eq(source_id))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.fingerprint, c.offset.max(0) as u64))
        .collect())
}

/// The committed offset of one file, if any.
pub async fn committed(
    db: &impl ConnectionTrait,
    source_id: i32,
    fingerprint: &str,
) -> Result<Option<u64>, DbErr> {
    Ok(checkpoint::Entity::find()
        .filter(checkpoint::Column::SourceId.eq(source_id))
        .filter(checkpoint::Column::Fingerprint.eq(fingerprint))
        .one(db)
        .await?
        .map(|c| c.offset.max(0) as u64))
}

/// Writes a checkpoint (inside the caller's transaction).
pub async fn upsert(db: &impl ConnectionTrait, mark: &CheckpointMark) -> Result<(), DbErr> {
    checkpoint::Entity::insert(checkpoint::ActiveModel {
        source_id: Set(mark.source_id),
        fingerprint: Set(mark.fingerprint.clone()),
        path: Set(mark.path.clone()),
        offset: Set(mark.offset.min(i64::MAX as u64) as i64),
        updated_at: Set(Utc::now()),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::columns([
            checkpoint::Column::SourceId,
            checkpoint::Column::Fingerprint,
        ])
        .update_columns([
            checkpoint::Column::Path,
            checkpoint::Column::Offset,
            checkpoint::Column::UpdatedAt,
        ])
        .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Removes the checkpoints of a source not written since `before`.
pub async fn prune_older(
    db: &impl ConnectionTrait,
    source_id: i32,
    before: chrono::DateTime<Utc>,
) -> Result<u64, DbErr> {
    let res = checkpoint::Entity::delete_many()
        .filter(checkpoint::Column::SourceId.eq(source_id))
        .filter(checkpoint::Column::UpdatedAt.lt(before))
        .exec(db)
        .await?;
    Ok(res.rows_affected)
}

/// Removes one file's checkpoint.
pub async fn remove(
    db: &impl ConnectionTrait,
    source_id: i32,
    fingerprint: &str,
) -> Result<(), DbErr> {
    checkpoint::Entity::delete_many()
        .filter(checkpoint::Column::SourceId.eq(source_id))
        .filter(checkpoint::Column::Fingerprint.eq(fingerprint))
        .exec(db)
        .await?;
    Ok(())
}

/// Removes the checkpoints of a source that are not in `keep` (files that are gone).
pub async fn prune(
    db: &impl ConnectionTrait,
    source_id: i32,
    keep: &[String],
) -> Result<u64, DbErr> {
    let res = checkpoint::Entity::delete_many()
        .filter(checkpoint::Column::SourceId.eq(source_id))
        .filter(checkpoint::Column::Fingerprint.is_not_in(keep.iter().cloned()))
        .exec(db)
        .await?;
    Ok(res.rows_affected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fingerprint_survives_growth_but_not_new_content() {
        let fp = Fingerprint::new(1, 42, b"first line\n");
        assert_eq!(fp.len, 11);
        assert!(fp.matches(1, 42, b"first line\nsecond line\n"));
        assert!(!fp.matches(1, 42, b"other line\n"), "inode reused");
        assert!(!fp.matches(1, 43, b"first line\n"), "another inode");
        assert!(!fp.matches(1, 42, b"first"), "truncated");
        assert_eq!(Fingerprint::parse(&fp.key()), Some(fp));
    }

    #[test]
    fn only_the_first_bytes_count() {
        let big = vec![b'a'; 5000];
        let fp = Fingerprint::new(1, 1, &big);
        assert_eq!(fp.len, FINGERPRINT_BYTES);
        let mut other = big.clone();
        other[4000] = b'b';
        assert!(fp.matches(1, 1, &other));
    }
}
