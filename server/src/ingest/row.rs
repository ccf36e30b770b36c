//! One `bronze_event_data` row as the pipeline carries it, and the multi-row INSERT that stores a
//! batch of them.

use app::query::{Column, EventFields};
use chrono::{DateTime, Utc};
use sea_orm::{DbBackend, EntityName, IdenStatic, Iterable, Statement, Value};

use crate::parse::ParsedEvent;
use crate::store::bronze_event_data::Column as StoredColumn;

/// The columns of `bronze_event_data`, in insert order: the entity's, so a new column is added
/// in one place (and [`EventRow::value`] does not compile until it is given a value). The id is
/// Vigil's own (see [`super::ids`]), never the database's auto-increment.
fn columns() -> impl Iterator<Item = StoredColumn> {
    StoredColumn::iter()
}

/// SQLite allows 32766 bound parameters per statement.
const SQLITE_MAX_PARAMS: usize = 32_766;
/// MySQL and MariaDB allow 65535 placeholders per prepared statement.
const MYSQL_MAX_PARAMS: usize = 65_535;
/// Stays well under MariaDB's default 16 MiB `max_allowed_packet`.
const MAX_STATEMENT_BYTES: usize = 8 << 20;

/// An event ready to be stored.
#[derive(Debug, Clone, PartialEq)]
pub struct EventRow {
    pub timestamp: DateTime<Utc>,
    pub received_at: DateTime<Utc>,
    pub host: Option<String>,
    pub source_ip: Option<String>,
    pub source_port: Option<i32>,
    pub destination_ip: Option<String>,
    pub destination_port: Option<i32>,
    pub user_name: Option<String>,
    pub event_category: Option<String>,
    pub event_action: Option<String>,
    pub event_outcome: Option<String>,
    pub level: Option<String>,
    pub process: Option<String>,
    pub pid: Option<i64>,
    pub message: String,
    pub raw: String,
    pub parser: &'static str,
    pub source: std::sync::Arc<str>,
    pub flags: u32,
    pub repeat_count: u32,
    pub fields: serde_json::Map<String, serde_json::Value>,
}

/// Column widths of `bronze_event_data`, in characters (MariaDB refuses longer values).
const SHORT: usize = 16;
const CATEGORY: usize = 64;
const ACTION: usize = 128;
const NAME: usize = 255;

/// Whether both databases can store `ts`: MariaDB's DATETIME ends with 9999, and the MySQL
/// driver sends instants before the Unix epoch as NULL, which the NOT NULL column refuses (the
/// writer would retry that batch forever). Events claiming other times keep their receive time.
fn storable(ts: DateTime<Utc>) -> bool {
    ts.timestamp() >= 0 && chrono::Datelike::year(&ts) <= 9999
}

/// Cuts `value` to `max` characters; sets `cut` when it did.
fn fit(value: Option<String>, max: usize, cut: &mut bool) -> Option<String> {
    value.map(|v| match v.char_indices().nth(max) {
        Some((at, _)) => {
            *cut = true;
            v[..at].to_string()
        }
        None => v,
    })
}

impl EventRow {
    /// The row for a parsed line; `raw` is the stored original text. Values wider than their
    /// column are cut (and the row flagged truncated; `raw` keeps them whole), and a timestamp
    /// no database column can hold gives way to the receive time (flagged parse error), so a
    /// strange line can never stop the writer.
    pub fn new(
        ev: ParsedEvent,
        raw: String,
        received_at: DateTime<Utc>,
        source: std::sync::Arc<str>,
    ) -> Self {
        let mut cut = false;
        let mut flags = ev.flags;
        let timestamp = match ev.timestamp {
            Some(ts) if storable(ts) => ts,
            Some(_) => {
                flags |= crate::parse::flags::PARSE_ERROR;
                received_at
            }
            None => received_at,
        };
        let mut row = Self {
            timestamp,
            received_at,
            host: fit(ev.host, NAME, &mut cut),
            source_ip: fit(ev.source_ip, 45, &mut cut),
            source_port: ev.source_port.map(i32::from),
            destination_ip: fit(ev.destination_ip, 45, &mut cut),
            destination_port: ev.destination_port.map(i32::from),
            user_name: fit(ev.user_name, NAME, &mut cut),
            event_category: fit(ev.event_category, CATEGORY, &mut cut),
            event_action: fit(ev.event_action, ACTION, &mut cut),
            event_outcome: fit(ev.event_outcome, SHORT, &mut cut),
            level: fit(ev.level, SHORT, &mut cut),
            process: fit(ev.process, NAME, &mut cut),
            pid: ev.pid,
            message: ev.message,
            raw,
            parser: ev.parser,
            source,
            flags,
            repeat_count: ev.repeat_count,
            fields: ev.fields,
        };
        if cut {
            row.flags |= crate::parse::flags::TRUNCATED;
        }
        row
    }

    /// A rough size of the row's bound values, to keep statements under the packet limit.
    fn approx_bytes(&self) -> usize {
        let opt = |s: &Option<String>| s.as_ref().map_or(0, String::len);
        200 + self.message.len()
            + self.raw.len()
            + opt(&self.host)
            + opt(&self.user_name)
            + opt(&self.event_action)
            + self.fields.len() * 48
    }

    /// The value stored in `column` for this row, stored with `id`.
    fn value(&self, id: i64, column: StoredColumn) -> Value {
        match column {
            StoredColumn::Id => id.into(),
            StoredColumn::Timestamp => self.timestamp.into(),
            StoredColumn::ReceivedAt => self.received_at.into(),
            StoredColumn::Host => self.host.clone().into(),
            StoredColumn::SourceIp => self.source_ip.clone().into(),
            StoredColumn::SourcePort => self.source_port.into(),
            StoredColumn::DestinationIp => self.destination_ip.clone().into(),
            StoredColumn::DestinationPort => self.destination_port.into(),
            StoredColumn::UserName => self.user_name.clone().into(),
            StoredColumn::EventCategory => self.event_category.clone().into(),
            StoredColumn::EventAction => self.event_action.clone().into(),
            StoredColumn::EventOutcome => self.event_outcome.clone().into(),
            StoredColumn::Level => self.level.clone().into(),
            StoredColumn::Process => self.process.clone().into(),
            StoredColumn::Pid => self.pid.into(),
            StoredColumn::Message => self.message.clone().into(),
            StoredColumn::Raw => self.raw.clone().into(),
            StoredColumn::Parser => self.parser.to_string().into(),
            StoredColumn::Source => self.source.to_string().into(),
            StoredColumn::Flags => (self.flags as i32).into(),
            StoredColumn::RepeatCount => (self.repeat_count.min(i32::MAX as u32) as i32).into(),
            StoredColumn::Fields => serde_json::Value::Object(self.fields.clone()).into(),
        }
    }
}

/// Lets detection test a row with the query language before it is stored.
impl EventFields for EventRow {
    fn text(&self, column: Column) -> Option<&str> {
        match column {
            Column::Host => self.host.as_deref(),
            Column::SourceIp => self.source_ip.as_deref(),
            Column::DestinationIp => self.destination_ip.as_deref(),
            Column::UserName => self.user_name.as_deref(),
            Column::EventCategory => self.event_category.as_deref(),
            Column::EventAction => self.event_action.as_deref(),
            Column::EventOutcome => self.event_outcome.as_deref(),
            Column::Level => self.level.as_deref(),
            Column::Process => self.process.as_deref(),
            Column::Message => Some(&self.message),
            Column::Raw => Some(&self.raw),
            Column::Parser => Some(self.parser),
            Column::Source => Some(&self.source),
            _ => None,
        }
    }

    fn integer(&self, column: Column) -> Option<i64> {
        match column {
            Column::SourcePort => self.source_port.map(i64::from),
            Column::DestinationPort => self.destination_port.map(i64::from),
            Column::Pid => self.pid,
            // As stored: the bits in an i32, the count capped at i32::MAX.
            Column::Flags => Some(i64::from(self.flags as i32)),
            Column::RepeatCount => Some(i64::from(self.repeat_count.min(i32::MAX as u32))),
            _ => None,
        }
    }

    fn time(&self, column: Column) -> Option<DateTime<Utc>> {
        match column {
            Column::Timestamp => Some(self.timestamp),
            Column::ReceivedAt => Some(self.received_at),
            _ => None,
        }
    }

    fn json(&self, key: &str) -> Option<&serde_json::Value> {
        self.fields.get(key)
    }
}

/// The INSERT statements that store `rows` with the ids `first_id..`, each within the
/// backend's limits.
pub fn insert_statements(backend: DbBackend, rows: &[EventRow], first_id: i64) -> Vec<Statement> {
    let max_rows = match backend {
        DbBackend::Sqlite => SQLITE_MAX_PARAMS,
        _ => MYSQL_MAX_PARAMS,
    } / columns().count();
    let mut out = Vec::new();
    let mut start = 0;
    while start < rows.len() {
        let mut end = start;
        let mut bytes = 0;
        while end < rows.len() && end - start < max_rows {
            bytes += rows[end].approx_bytes();
            if bytes > MAX_STATEMENT_BYTES && end > start {
                break;
            }
            end += 1;
        }
        out.push(statement(
            backend,
            &rows[start..end],
            first_id + start as i64,
        ));
        start = end;
    }
    out
}

fn statement(backend: DbBackend, rows: &[EventRow], first_id: i64) -> Statement {
    let quote = |c: &str| match backend {
        DbBackend::MySql => format!("`{c}`"),
        _ => format!("\"{c}\""),
    };
    let cols: Vec<String> = columns().map(|c| quote(c.as_str())).collect();
    let one = format!("({})", vec!["?"; cols.len()].join(","));
    let mut sql = String::with_capacity(64 + rows.len() * (one.len() + 1));
    sql.push_str("INSERT INTO ");
    sql.push_str(&quote(crate::store::bronze_event_data::Entity.table_name()));
    sql.push_str(" (");
    sql.push_str(&cols.join(","));
    sql.push_str(") VALUES ");
    for i in 0..rows.len() {
        if i > 0 {
            sql.push(',');
        }
        sql.push_str(&one);
    }
    let mut values = Vec::with_capacity(rows.len() * cols.len());
    for (i, row) in rows.iter().enumerate() {
        let id = first_id + i as i64;
        values.extend(columns().map(|c| row.value(id, c)));
    }
    Statement::from_sql_and_values(backend, sql, values)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(size: usize) -> EventRow {
        let ev = ParsedEvent::raw("x");
        EventRow::new(ev, "x".repeat(size), Utc::now(), "test".into())
    }

    #[test]
    fn values_fit_their_columns_and_odd_times_give_way() {
        let mut ev = ParsedEvent::raw("x");
        ev.level = Some("l".repeat(40));
        ev.event_action = Some("é".repeat(200));
        ev.host = Some("h".repeat(10));
        ev.timestamp = Some("0001-01-01T00:00:00Z".parse().unwrap());
        let now = Utc::now();
        let row = EventRow::new(ev, "x".into(), now, "test".into());
        assert_eq!(row.level.as_deref().map(str::len), Some(16));
        assert_eq!(
            row.event_action.as_ref().map(|a| a.chars().count()),
            Some(128)
        );
        assert_eq!(row.host.as_deref(), Some("hhhhhhhhhh"));
        assert_eq!(row.timestamp, now);
        assert_ne!(row.flags & crate::parse::flags::TRUNCATED, 0);
        assert_ne!(row.flags & crate::parse::flags::PARSE_ERROR, 0);

        let row = EventRow::new(ParsedEvent::raw("y"), "y".into(), now, "test".into());
        assert_eq!(row.flags, 0);

        let mut ev = ParsedEvent::raw("z");
        ev.timestamp = Some("1969-12-31T23:59:59Z".parse().unwrap());
        let row = EventRow::new(ev, "z".into(), now, "test".into());
        assert_eq!(row.timestamp, now, "before the epoch");
    }

    #[test]
    fn statements_stay_under_the_parameter_limit() {
        let rows: Vec<EventRow> = (0..4000).map(|_| row(10)).collect();
        let stmts = insert_statements(DbBackend::Sqlite, &rows, 1);
        assert_eq!(stmts.len(), 3, "1489 rows per statement on SQLite");
        for s in &stmts {
            assert!(s.values.as_ref().unwrap().0.len() <= SQLITE_MAX_PARAMS);
        }
        let total: usize = stmts
            .iter()
            .map(|s| s.values.as_ref().unwrap().0.len())
            .sum();
        assert_eq!(total, 4000 * columns().count());
        assert_eq!(insert_statements(DbBackend::MySql, &rows, 1).len(), 2);
        // Ids run on across statements.
        let second = &stmts[1].values.as_ref().unwrap().0;
        assert_eq!(
            second[0],
            Value::from(1 + (SQLITE_MAX_PARAMS / columns().count()) as i64)
        );
    }

    #[test]
    fn rows_answer_queries_like_stored_events() {
        let mut ev = ParsedEvent::raw("Failed password for root");
        ev.source_ip = Some("10.1.2.3".into());
        ev.set("http.response.status_code", 404);
        let row = EventRow::new(ev, "raw".into(), Utc::now(), "api".into());
        let yes = |q: &str| app::query::Matcher::new(&app::query::parse(q).unwrap()).matches(&row);
        assert!(yes(
            "failed source_ip:10.0.0.0/8 status:>=400 parser:raw source:API"
        ));
        assert!(!yes("source_ip:192.168.0.0/16"));
        assert!(!yes("user_name:*"));
    }

    #[test]
    fn large_rows_split_by_size() {
        let rows: Vec<EventRow> = (0..300).map(|_| row(60_000)).collect();
        let stmts = insert_statements(DbBackend::MySql, &rows, 1);
        assert!(stmts.len() >= 3, "{} statements", stmts.len());
        assert!(
            stmts[0]
                .sql
                .starts_with("INSERT INTO `bronze_event_data` (`id`,`timestamp`")
        );
    }
}
