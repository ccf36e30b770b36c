//! Column helpers whose SQL type differs between SQLite and MariaDB.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

/// A UTC instant with microsecond precision.
///
/// MariaDB's `TIMESTAMP` stops in 2038 and converts through the session time zone, and its plain
/// `DATETIME` drops fractions, so MariaDB gets `DATETIME(6)` holding UTC; SQLite stores text.
pub fn instant<T: IntoIden>(backend: DbBackend, col: T) -> ColumnDef {
    let mut def = ColumnDef::new(col);
    match backend {
        DbBackend::MySql => def.custom(Alias::new("DATETIME(6)")),
        _ => def.timestamp_with_time_zone(),
    };
    def.not_null().take()
}

/// Like [`instant`] but nullable.
pub fn instant_null<T: IntoIden>(backend: DbBackend, col: T) -> ColumnDef {
    let mut def = instant(backend, col);
    def.null();
    def
}

/// Long free text (a raw log line can reach 64 KiB, a message too).
pub fn long_text<T: IntoIden>(backend: DbBackend, col: T) -> ColumnDef {
    let mut def = ColumnDef::new(col);
    match backend {
        DbBackend::MySql => def.custom(Alias::new("MEDIUMTEXT")),
        _ => def.text(),
    };
    def.not_null().take()
}

/// A JSON document; MariaDB's `JSON` is an alias of `LONGTEXT` with a validity check.
pub fn json_doc<T: IntoIden>(col: T) -> ColumnDef {
    ColumnDef::new(col).json().not_null().take()
}
