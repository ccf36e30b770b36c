//! Tests on keys of the JSON `fields` column: `json_type`/`json_extract` on SQLite,
//! `JSON_TYPE`/`JSON_EXTRACT`/`JSON_UNQUOTE` on MariaDB. The key goes into a bound JSON path
//! (`$."http.response.status_code"`); the parser only admits keys that need no escaping there.

use sea_orm::DbBackend;

use app::query::{Pattern, Piece, Value, number};

use super::{Emit, Sql, like, numbers};

/// The SQL spellings of the JSON types, as `json_type` (SQLite) and `JSON_TYPE` (MariaDB) name
/// them.
struct Types {
    null: &'static str,
    string: &'static str,
    numbers: &'static str,
    boolean: Option<&'static str>,
}

const SQLITE: Types = Types {
    null: "'null'",
    string: "'text'",
    numbers: "('integer', 'real')",
    boolean: None,
};

const MARIADB: Types = Types {
    null: "'NULL'",
    string: "'STRING'",
    numbers: "('INTEGER', 'UNSIGNED INTEGER', 'DOUBLE', 'DECIMAL')",
    boolean: Some("'BOOLEAN'"),
};

/// Appends the test of `value` on `fields[key]`; FALSE (not NULL) when the key is missing.
pub(super) fn leaf(sql: &mut Sql, key: &str, value: &Value, backend: DbBackend) {
    let path = format!("$.\"{key}\"");
    let mysql = backend == DbBackend::MySql;
    let types = if mysql { &MARIADB } else { &SQLITE };
    // The type is '' for a missing key, so comparisons with it are never NULL.
    let type_of = |sql: &mut Sql| {
        if mysql {
            sql.push("COALESCE(JSON_TYPE(JSON_EXTRACT(`fields`, ")
                .bind(path.clone())
                .push(")), '')");
        } else {
            sql.push("COALESCE(json_type(\"fields\", ")
                .bind(path.clone())
                .push("), '')");
        }
    };
    // The value as SQL: a number or text on SQLite, JSON text on MariaDB.
    let raw = |sql: &mut Sql| {
        if mysql {
            sql.push("JSON_EXTRACT(`fields`, ")
                .bind(path.clone())
                .push(")");
        } else {
            sql.push("json_extract(\"fields\", ")
                .bind(path.clone())
                .push(")");
        }
    };
    // The text of a string value.
    let text = |sql: &mut Sql| {
        if mysql {
            sql.push("JSON_UNQUOTE(");
            raw(sql);
            sql.push(")");
        } else {
            raw(sql);
        }
    };
    // The value of a number.
    let num = |sql: &mut Sql| {
        if mysql {
            sql.push("CAST(");
            raw(sql);
            sql.push(" AS DOUBLE)");
        } else {
            raw(sql);
        }
    };
    // The integer a string holds (once `integer_text` has checked it does).
    let cast = |sql: &mut Sql| {
        sql.push("CAST(");
        text(sql);
        sql.push(if mysql { " AS SIGNED)" } else { " AS INTEGER)" });
    };
    let is = |sql: &mut Sql, t: &str| {
        type_of(sql);
        sql.push(" = ").push(t).push(" AND ");
    };
    let is_number = |sql: &mut Sql| {
        type_of(sql);
        sql.push(" IN ").push(types.numbers).push(" AND ");
    };

    match value {
        Value::Present => {
            type_of(sql);
            sql.push(" NOT IN ('', ").push(types.null).push(")");
        }
        Value::Text(s) => {
            sql.push("((");
            is(sql, types.string);
            let exact = Pattern::new([Piece::Literal(s.clone())]);
            like(sql, &text, &exact, false, backend);
            sql.push(")");
            if let Some(n) = number(s) {
                sql.push(" OR (");
                is_number(sql);
                numbers(sql, &num, Some((n, true)), Some((n, true)));
                sql.push(")");
            }
            let boolean = ["true", "false"]
                .into_iter()
                .find(|b| b.eq_ignore_ascii_case(s));
            if let Some(b) = boolean {
                sql.push(" OR (");
                match types.boolean {
                    Some(t) => {
                        is(sql, t);
                        raw(sql);
                        sql.push(" = ").bind(b);
                    }
                    // SQLite names the two booleans as types.
                    None => {
                        type_of(sql);
                        sql.push(" = ").bind(b);
                    }
                }
                sql.push(")");
            }
            sql.push(")");
        }
        Value::Pattern(p) => {
            sql.push("(");
            is(sql, types.string);
            like(sql, &text, p, false, backend);
            sql.push(")");
        }
        Value::Range(r) => {
            let (lower, upper) = r.number_bounds();
            sql.push("((");
            is_number(sql);
            numbers(sql, &num, lower, upper);
            sql.push(") OR (");
            is(sql, types.string);
            integer_text(sql, &text, backend);
            sql.push(" AND ");
            numbers(sql, &cast, lower, upper);
            sql.push("))");
        }
        // The parser gives `fields.` keys no other tests.
        _ => {
            sql.push("1 = 0");
        }
    }
}

/// The text is an optional `-` and 1 to 15 ASCII digits.
fn integer_text(sql: &mut Sql, text: Emit, backend: DbBackend) {
    if backend == DbBackend::MySql {
        text(sql);
        sql.push(" REGEXP ").bind("^-?[0-9]{1,15}\\z");
        return;
    }
    sql.push("(");
    text(sql);
    sql.push(" GLOB '[0-9]*' OR ");
    text(sql);
    sql.push(" GLOB '-[0-9]*') AND substr(");
    text(sql);
    sql.push(", 2) NOT GLOB '*[^0-9]*' AND length(");
    text(sql);
    sql.push(") - (substr(");
    text(sql);
    sql.push(", 1, 1) = '-') <= 15");
}
