//! Hand-written statements that run on both backends: `?` placeholders (numbered `$n` for PostgreSQL) and typed
//! binds. Used where the query builder cannot say it (INSERT … SELECT with computed columns, UPDATE … FROM).

use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::BoxedSqlQuery;
use diesel::sql_types::{BigInt, Bool, Date as SqlDate, Integer, Nullable, Text, Timestamp};
use diesel::sqlite::Sqlite;
use time::{Date, PrimitiveDateTime};

use crate::{DbConnection, RepoResult};

/// A bind value.
#[derive(Debug, Clone)]
pub enum Bind<'a> {
    /// Text.
    Text(&'a str),
    /// Optional text.
    OptText(Option<&'a str>),
    /// Timestamp.
    Ts(PrimitiveDateTime),
    /// Date.
    Date(Date),
    /// 64-bit integer.
    I64(i64),
    /// Optional 64-bit integer.
    OptI64(Option<i64>),
    /// 32-bit integer.
    I32(i32),
    /// Boolean.
    Bool(bool),
}

fn numbered(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut n = 0;
    for ch in sql.chars() {
        if ch == '?' {
            n += 1;
            out.push_str(&format!("${n}"));
        } else {
            out.push(ch);
        }
    }
    out
}

macro_rules! bind_all {
    ($q:expr, $binds:expr) => {{
        let mut q = $q;
        for b in $binds {
            q = match b {
                Bind::Text(t) => q.bind::<Text, _>((*t).to_owned()),
                Bind::OptText(t) => q.bind::<Nullable<Text>, _>(t.map(str::to_owned)),
                Bind::Ts(t) => q.bind::<Timestamp, _>(*t),
                Bind::Date(d) => q.bind::<SqlDate, _>(*d),
                Bind::I64(i) => q.bind::<BigInt, _>(*i),
                Bind::OptI64(i) => q.bind::<Nullable<BigInt>, _>(*i),
                Bind::I32(i) => q.bind::<Integer, _>(*i),
                Bind::Bool(b) => q.bind::<Bool, _>(*b),
            };
        }
        q
    }};
}

fn pg_query(sql: &str, binds: &[Bind<'_>]) -> BoxedSqlQuery<'static, Pg, diesel::query_builder::SqlQuery> {
    bind_all!(diesel::sql_query(numbered(sql)).into_boxed::<Pg>(), binds)
}

fn sqlite_query(sql: &str, binds: &[Bind<'_>]) -> BoxedSqlQuery<'static, Sqlite, diesel::query_builder::SqlQuery> {
    bind_all!(diesel::sql_query(sql.to_owned()).into_boxed::<Sqlite>(), binds)
}

/// Runs a statement written with `?` placeholders on either backend; returns the rows it touched.
pub fn exec(conn: &mut DbConnection, sql: &str, binds: &[Bind<'_>]) -> RepoResult<usize> {
    match conn {
        DbConnection::Pg(c) => Ok(pg_query(sql, binds).execute(c)?),
        DbConnection::Sqlite(c) => Ok(sqlite_query(sql, binds).execute(c)?),
    }
}

/// Runs a statement without binds, with Diesel's own error (for the transaction wrapper).
pub(crate) fn exec_plain(conn: &mut DbConnection, sql: &str) -> QueryResult<usize> {
    match conn {
        DbConnection::Pg(c) => diesel::sql_query(sql).execute(c),
        DbConnection::Sqlite(c) => diesel::sql_query(sql).execute(c),
    }
}

/// Runs the script written for the connection's backend: `pg` on PostgreSQL, `sqlite` on SQLite (the DDL of a
/// staging table, which differs in types and in the temporary schema's name).
pub fn batch_per_backend(conn: &mut DbConnection, pg: &str, sqlite: &str) -> RepoResult<()> {
    use diesel::connection::SimpleConnection;
    match conn {
        DbConnection::Pg(c) => c.batch_execute(pg)?,
        DbConnection::Sqlite(c) => c.batch_execute(sqlite)?,
    }
    Ok(())
}

/// Drops temporary tables of this connection, if they exist (`pg_temp.` / `temp.` before each name).
pub fn drop_temp_tables(conn: &mut DbConnection, tables: &[&str]) -> RepoResult<()> {
    let script = |schema: &str| -> String {
        tables.iter().map(|t| format!("DROP TABLE IF EXISTS {schema}.{t};")).collect::<Vec<_>>().join(" ")
    };
    batch_per_backend(conn, &script("pg_temp"), &script("temp"))
}

/// Writes staged rows into a staging table: `COPY … FROM STDIN` on PostgreSQL, multi-row inserts of 1,000 rows
/// on SQLite. Used as `stage_rows!(conn, table, rows)`, `rows` a slice of the table's `Insertable` rows.
macro_rules! stage_rows {
    ($conn:expr, $table:path, $rows:expr) => {{
        let rows = $rows;
        if !rows.is_empty() {
            match $conn {
                $crate::DbConnection::Pg(c) => {
                    diesel::copy_from($table).from_insertable(rows).execute(c)?;
                }
                $crate::DbConnection::Sqlite(c) => {
                    for chunk in rows.chunks(1000) {
                        diesel::insert_into($table).values(chunk).execute(c)?;
                    }
                }
            }
        }
        Ok(())
    }};
}
pub(crate) use stage_rows;

/// Runs a query written with `?` placeholders on either backend and loads its rows by column name.
pub fn load<T>(conn: &mut DbConnection, sql: &str, binds: &[Bind<'_>]) -> RepoResult<Vec<T>>
where
    T: QueryableByName<Pg> + QueryableByName<Sqlite> + 'static,
{
    match conn {
        DbConnection::Pg(c) => Ok(pg_query(sql, binds).load(c)?),
        DbConnection::Sqlite(c) => Ok(sqlite_query(sql, binds).load(c)?),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn placeholders_are_numbered_for_postgres() {
        assert_eq!(super::numbered("a = ? AND b IN (?, ?)"), "a = $1 AND b IN ($2, $3)");
    }
}
