//! The SQL's shape: bound values in placeholder order, nothing of the caller's in the text.
//! (Whether it means what the evaluator means is `tests/query_agreement.rs`'s job.)

use sea_orm::sea_query::{MysqlQueryBuilder, Query, SqliteQueryBuilder};

use super::*;
use crate::store::bronze_event_data::{Column as Col, Entity};

fn sql(q: &str, backend: DbBackend) -> (String, usize) {
    let expr = app::query::parse(q).unwrap();
    let mut select = Query::select();
    select
        .column(Col::Id)
        .from(Entity)
        .cond_where(condition(&expr, backend));
    let (text, values) = match backend {
        DbBackend::MySql => select.build(MysqlQueryBuilder),
        _ => select.build(SqliteQueryBuilder),
    };
    (text, values.0.len())
}

#[test]
fn values_are_bound_in_placeholder_order() {
    let hostile =
        r#"host:"x' OR 1=1 --" fields.a-b:*O'Brien* status:[1 TO 5] source_ip:2001:db8:ff00::/40"#;
    for backend in [DbBackend::Sqlite, DbBackend::MySql] {
        let (text, values) = sql(hostile, backend);
        assert!(!text.contains("1=1"), "{text}");
        assert!(!text.contains("Brien"), "{text}");
        assert!(!text.contains("a-b"), "the JSON path is bound too: {text}");
        assert_eq!(text.matches('?').count(), values, "{text}");
    }
}

#[test]
fn equality_on_an_indexed_column_can_use_the_index() {
    let (text, _) = sql("host:web-1", DbBackend::MySql);
    assert!(text.contains("`host` = ?"), "{text}");
    let (text, _) = sql("source_ip:10.1.2.3", DbBackend::Sqlite);
    assert!(text.contains(r#""source_ip" = ?"#), "{text}");
    let (text, _) = sql("pid:42", DbBackend::Sqlite);
    assert!(text.contains(r#""pid" = ?"#), "{text}");
}
