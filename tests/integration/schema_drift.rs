//! Schema drift between the two migration sets: a fresh SQLite database and a fresh PostgreSQL database, each
//! migrated by `persistence::run_migrations`, must hold the same tables, columns (name, nullability, type class),
//! primary keys, unique constraints, foreign keys and indexes (name, columns in order, unique, partial). Any
//! difference not in [`INTENDED_DIFFERENCES`] fails, and so does an entry there that no longer differs.
//!
//! The PostgreSQL half needs `TEST_POSTGRES_URL` (skipped without it, a failure under `REQUIRE_POSTGRES=1`).

use std::collections::BTreeSet;

use diesel::prelude::*;
use diesel::sql_types::{Bool, Integer, Nullable, Text};
use persistence::{DatabaseUrl, DbConnection};

use crate::helpers::{create_empty_pg_database, pg_base_url};

/// Which migration set a fact is found in only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Only {
    Sqlite,
    Postgres,
}

/// Differences kept on purpose: (backend the fact is found in only, the fact as [`Fact::line`] prints it, why).
/// The month partitions themselves (PostgreSQL) are not compared: only the partitioned parent is.
const INTENDED_DIFFERENCES: &[(Only, &str, &str)] = &[
    (Only::Postgres, "primary key audit_log (id, occurred_at)", "monthly partitions: the key holds the partition key"),
    (Only::Sqlite, "primary key audit_log (id)", "one table on SQLite"),
    (Only::Postgres, "primary key events (id, occurred_at)", "monthly partitions: the key holds the partition key"),
    (Only::Sqlite, "primary key events (id)", "one table on SQLite"),
];

/// One comparable statement about a schema; its [`Fact::line`] is what is compared.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Fact {
    Table(String),
    Column { table: String, name: String, class: String, nullable: bool },
    PrimaryKey { table: String, columns: Vec<String> },
    Unique { table: String, columns: Vec<String> },
    ForeignKey { table: String, columns: Vec<String>, target: String, target_columns: Vec<String> },
    Index { table: String, name: String, columns: Vec<String>, unique: bool, partial: bool },
}

impl Fact {
    fn line(&self) -> String {
        match self {
            Fact::Table(t) => format!("table {t}"),
            Fact::Column { table, name, class, nullable } => {
                format!("column {table}.{name} {class} {}", if *nullable { "null" } else { "not null" })
            }
            Fact::PrimaryKey { table, columns } => format!("primary key {table} ({})", columns.join(", ")),
            Fact::Unique { table, columns } => format!("unique {table} ({})", columns.join(", ")),
            Fact::ForeignKey { table, columns, target, target_columns } => {
                format!("foreign key {table} ({}) -> {target} ({})", columns.join(", "), target_columns.join(", "))
            }
            Fact::Index { table, name, columns, unique, partial } => format!(
                "{}index {name} on {table} ({}){}",
                if *unique { "unique " } else { "" },
                columns.join(", "),
                if *partial { " where …" } else { "" }
            ),
        }
    }
}

/// Diesel's own bookkeeping, the same on both and not ours.
const MIGRATIONS_TABLE: &str = "__diesel_schema_migrations";

/// The type class of a SQLite declared type (by SQLite's affinity rules, with the names the migrations use).
fn sqlite_class(declared: &str) -> String {
    let t = declared.to_ascii_uppercase();
    let class = if t.contains("INT") {
        "integer"
    } else if t.contains("CHAR") || t.contains("CLOB") || t.contains("TEXT") {
        "text"
    } else if t.starts_with("BOOL") {
        "bool"
    } else if t.starts_with("TIMESTAMP") || t.starts_with("DATETIME") {
        "timestamp"
    } else if t == "DATE" {
        "date"
    } else if t.contains("REAL") || t.contains("FLOA") || t.contains("DOUB") {
        "real"
    } else if t.starts_with("NUMERIC") || t.starts_with("DECIMAL") {
        "numeric"
    } else if t.is_empty() || t == "BLOB" {
        "blob"
    } else {
        return format!("other({declared})");
    };
    class.to_owned()
}

/// The type class of a PostgreSQL `information_schema.columns.data_type`.
fn pg_class(data_type: &str) -> String {
    match data_type {
        "smallint" | "integer" | "bigint" => "integer",
        "text" | "character varying" | "character" => "text",
        "boolean" => "bool",
        "timestamp without time zone" => "timestamp",
        "timestamp with time zone" => "timestamptz",
        "date" => "date",
        "real" | "double precision" => "real",
        "numeric" => "numeric",
        "bytea" => "blob",
        other => return format!("other({other})"),
    }
    .to_owned()
}

fn split_list(list: &str) -> Vec<String> {
    list.split(',').filter(|s| !s.is_empty()).map(str::to_owned).collect()
}

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = Text)]
    name: String,
}

/// The schema of a migrated SQLite database.
fn sqlite_facts(conn: &mut DbConnection) -> BTreeSet<Fact> {
    #[derive(QueryableByName)]
    struct Column {
        #[diesel(sql_type = Text)]
        name: String,
        #[diesel(sql_type = Text)]
        ty: String,
        #[diesel(sql_type = Integer)]
        not_null: i32,
        #[diesel(sql_type = Integer)]
        pk: i32,
    }
    #[derive(QueryableByName)]
    struct Index {
        #[diesel(sql_type = Text)]
        name: String,
        #[diesel(sql_type = Bool)]
        uniq: bool,
        #[diesel(sql_type = Text)]
        origin: String,
        #[diesel(sql_type = Bool)]
        partial: bool,
    }
    #[derive(QueryableByName)]
    struct IndexColumn {
        #[diesel(sql_type = Nullable<Text>)]
        name: Option<String>,
    }
    #[derive(QueryableByName)]
    struct ForeignKey {
        #[diesel(sql_type = Integer)]
        id: i32,
        #[diesel(sql_type = Text)]
        target: String,
        #[diesel(sql_type = Text)]
        from_col: String,
        #[diesel(sql_type = Nullable<Text>)]
        to_col: Option<String>,
    }

    let tables: Vec<String> = diesel::sql_query(format!(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
         AND name <> '{MIGRATIONS_TABLE}' ORDER BY name"
    ))
    .load::<Name>(conn)
    .unwrap()
    .into_iter()
    .map(|n| n.name)
    .collect();
    let mut facts = BTreeSet::new();
    for table in &tables {
        facts.insert(Fact::Table(table.clone()));
        let columns: Vec<Column> = diesel::sql_query(format!(
            "SELECT name, type AS ty, \"notnull\" AS not_null, pk FROM pragma_table_info('{table}') ORDER BY cid"
        ))
        .load(conn)
        .unwrap();
        let mut pk: Vec<(i32, String)> = Vec::new();
        for c in &columns {
            // An INTEGER PRIMARY KEY is the rowid and cannot hold NULL; any other SQLite primary key column can
            // unless declared NOT NULL (a SQLite quirk), so only the rowid counts as NOT NULL without it.
            let rowid = c.pk > 0 && c.ty.eq_ignore_ascii_case("INTEGER");
            facts.insert(Fact::Column {
                table: table.clone(),
                name: c.name.clone(),
                class: sqlite_class(&c.ty),
                nullable: c.not_null == 0 && !rowid,
            });
            if c.pk > 0 {
                pk.push((c.pk, c.name.clone()));
            }
        }
        pk.sort();
        if !pk.is_empty() {
            facts.insert(Fact::PrimaryKey { table: table.clone(), columns: pk.into_iter().map(|p| p.1).collect() });
        }
        let indexes: Vec<Index> = diesel::sql_query(format!(
            "SELECT name, \"unique\" AS uniq, origin, partial FROM pragma_index_list('{table}') ORDER BY name"
        ))
        .load(conn)
        .unwrap();
        for index in indexes {
            let columns: Vec<String> = diesel::sql_query(format!(
                "SELECT name FROM pragma_index_info('{}') ORDER BY seqno",
                index.name.replace('\'', "''")
            ))
            .load::<IndexColumn>(conn)
            .unwrap()
            .into_iter()
            .map(|c| c.name.unwrap_or_else(|| "<expression>".to_owned()))
            .collect();
            match index.origin.as_str() {
                "pk" => {} // the primary key, compared above
                "u" => {
                    facts.insert(Fact::Unique { table: table.clone(), columns });
                }
                _ => {
                    facts.insert(Fact::Index {
                        table: table.clone(),
                        name: index.name,
                        columns,
                        unique: index.uniq,
                        partial: index.partial,
                    });
                }
            }
        }
        let fks: Vec<ForeignKey> = diesel::sql_query(format!(
            "SELECT id, \"table\" AS target, \"from\" AS from_col, \"to\" AS to_col \
             FROM pragma_foreign_key_list('{table}') ORDER BY id, seq"
        ))
        .load(conn)
        .unwrap();
        for group in fks.chunk_by(|a, b| a.id == b.id) {
            let target = group[0].target.clone();
            let columns: Vec<String> = group.iter().map(|fk| fk.from_col.clone()).collect();
            let to: Vec<Option<String>> = group.iter().map(|fk| fk.to_col.clone()).collect();
            // `REFERENCES t` without columns means t's primary key.
            let target_columns = if to.iter().all(Option::is_some) {
                to.into_iter().flatten().collect()
            } else {
                diesel::sql_query(format!("SELECT name FROM pragma_table_info('{target}') WHERE pk > 0 ORDER BY pk"))
                    .load::<Name>(conn)
                    .unwrap()
                    .into_iter()
                    .map(|n| n.name)
                    .collect()
            };
            facts.insert(Fact::ForeignKey { table: table.clone(), columns, target, target_columns });
        }
    }
    facts
}

/// The schema of a migrated PostgreSQL database (schema `public`).
/// Leaves out the month partitions (`information_schema.tables` lists them beside their parent).
const NOT_A_PARTITION: &str =
    "AND NOT EXISTS (SELECT 1 FROM pg_class pc WHERE pc.relname = table_name AND pc.relispartition)";

fn pg_facts(conn: &mut DbConnection) -> BTreeSet<Fact> {
    #[derive(QueryableByName)]
    struct Column {
        #[diesel(sql_type = Text)]
        tbl: String,
        #[diesel(sql_type = Text)]
        name: String,
        #[diesel(sql_type = Text)]
        ty: String,
        #[diesel(sql_type = Bool)]
        nullable: bool,
    }
    #[derive(QueryableByName)]
    struct Constraint {
        #[diesel(sql_type = Text)]
        tbl: String,
        #[diesel(sql_type = Text)]
        kind: String,
        #[diesel(sql_type = Text)]
        cols: String,
        #[diesel(sql_type = Text)]
        target: String,
        #[diesel(sql_type = Text)]
        target_cols: String,
    }
    #[derive(QueryableByName)]
    struct Index {
        #[diesel(sql_type = Text)]
        tbl: String,
        #[diesel(sql_type = Text)]
        name: String,
        #[diesel(sql_type = Text)]
        cols: String,
        #[diesel(sql_type = Bool)]
        uniq: bool,
        #[diesel(sql_type = Bool)]
        partial: bool,
    }

    let mut facts = BTreeSet::new();
    let tables = diesel::sql_query(format!(
        "SELECT table_name::text AS name FROM information_schema.tables WHERE table_schema = 'public' \
         AND table_type = 'BASE TABLE' AND table_name <> '{MIGRATIONS_TABLE}' {NOT_A_PARTITION} ORDER BY 1"
    ))
    .load::<Name>(conn)
    .unwrap();
    for t in tables {
        facts.insert(Fact::Table(t.name));
    }
    let columns: Vec<Column> = diesel::sql_query(format!(
        "SELECT table_name::text AS tbl, column_name::text AS name, data_type::text AS ty, \
         is_nullable = 'YES' AS nullable FROM information_schema.columns \
         WHERE table_schema = 'public' AND table_name <> '{MIGRATIONS_TABLE}' \
         AND table_name IN (SELECT table_name FROM information_schema.tables \
                            WHERE table_schema = 'public' AND table_type = 'BASE TABLE' {NOT_A_PARTITION})"
    ))
    .load(conn)
    .unwrap();
    for c in columns {
        facts.insert(Fact::Column { table: c.tbl, name: c.name, class: pg_class(&c.ty), nullable: c.nullable });
    }
    let cols_of = |key: &str, rel: &str| {
        format!(
            "COALESCE((SELECT string_agg(a.attname::text, ',' ORDER BY k.ord) \
             FROM unnest(c.{key}) WITH ORDINALITY AS k(attnum, ord) \
             JOIN pg_attribute a ON a.attrelid = c.{rel} AND a.attnum = k.attnum), '')"
        )
    };
    let constraints: Vec<Constraint> = diesel::sql_query(format!(
        "SELECT t.relname::text AS tbl, c.contype::text AS kind, {} AS cols, \
         COALESCE(rt.relname::text, '') AS target, {} AS target_cols \
         FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid \
         JOIN pg_namespace n ON n.oid = t.relnamespace LEFT JOIN pg_class rt ON rt.oid = c.confrelid \
         WHERE n.nspname = 'public' AND c.contype IN ('p', 'u', 'f') AND t.relname <> '{MIGRATIONS_TABLE}' \
         AND NOT t.relispartition",
        cols_of("conkey", "conrelid"),
        cols_of("confkey", "confrelid"),
    ))
    .load(conn)
    .unwrap();
    for c in constraints {
        let columns = split_list(&c.cols);
        facts.insert(match c.kind.as_str() {
            "p" => Fact::PrimaryKey { table: c.tbl, columns },
            "u" => Fact::Unique { table: c.tbl, columns },
            _ => {
                Fact::ForeignKey { table: c.tbl, columns, target: c.target, target_columns: split_list(&c.target_cols) }
            }
        });
    }
    // Indexes that back no primary key or unique constraint (those are compared as constraints).
    let indexes: Vec<Index> = diesel::sql_query(format!(
        "SELECT t.relname::text AS tbl, i.relname::text AS name, \
         (SELECT string_agg(pg_get_indexdef(ix.indexrelid, k, true), ',' ORDER BY k) \
          FROM generate_series(1, ix.indnkeyatts::int) AS k) AS cols, \
         ix.indisunique AS uniq, ix.indpred IS NOT NULL AS partial \
         FROM pg_index ix JOIN pg_class i ON i.oid = ix.indexrelid JOIN pg_class t ON t.oid = ix.indrelid \
         JOIN pg_namespace n ON n.oid = t.relnamespace \
         WHERE n.nspname = 'public' AND t.relname <> '{MIGRATIONS_TABLE}' AND NOT t.relispartition AND NOT EXISTS ( \
           SELECT 1 FROM pg_constraint c WHERE c.conindid = ix.indexrelid AND c.conrelid = ix.indrelid \
           AND c.contype IN ('p', 'u', 'x'))"
    ))
    .load(conn)
    .unwrap();
    for i in indexes {
        facts.insert(Fact::Index {
            table: i.tbl,
            name: i.name,
            columns: split_list(&i.cols),
            unique: i.uniq,
            partial: i.partial,
        });
    }
    facts
}

fn migrated_sqlite() -> (tempfile::TempDir, DbConnection) {
    let dir = tempfile::tempdir().unwrap();
    let mut conn =
        persistence::connection::establish(&DatabaseUrl::Sqlite(format!("{}/drift.db", dir.path().display()))).unwrap();
    persistence::run_migrations(&mut conn).unwrap();
    (dir, conn)
}

/// Table names declared in `persistence/src/schema.rs` (the session-local staging tables the import creates at
/// run time, not in the migrations, left out), and the migrated tables it has no `table!` for.
fn diesel_tables() -> BTreeSet<String> {
    const RUNTIME_TEMP_TABLES: [&str; 2] = ["retiree_import_staging", "retiree_import_flags"];
    // Only through SQL text (`persistence/src/events.rs`: the outbox is filled by INSERT … SELECT and read by
    // sql_query), so schema.rs has no table! for it.
    const SQL_ONLY_TABLES: [&str; 1] = ["events"];
    let schema = include_str!("../../persistence/src/schema.rs");
    schema
        .split("diesel::table! {")
        .skip(1)
        .filter_map(|block| {
            let decl = block.lines().map(str::trim).find(|l| !l.is_empty() && !l.starts_with("///"))?;
            decl.split([' ', '(']).next().map(str::to_owned)
        })
        .filter(|t| !RUNTIME_TEMP_TABLES.contains(&t.as_str()))
        .chain(SQL_ONLY_TABLES.map(str::to_owned))
        .collect()
}

/// Lines in `a` and not in `b`.
fn only_in(a: &BTreeSet<String>, b: &BTreeSet<String>) -> Vec<String> {
    a.difference(b).cloned().collect()
}

/// The introspection itself works: the SQLite schema holds what schema.rs and the foundation migration say, in
/// every kind of fact compared (so an empty or partial reading cannot pass the comparison below).
#[test]
fn sqlite_introspection_reads_every_kind_of_fact() {
    let (_dir, mut conn) = migrated_sqlite();
    let facts = sqlite_facts(&mut conn);
    let tables: BTreeSet<String> =
        facts.iter().filter_map(|f| if let Fact::Table(t) = f { Some(t.clone()) } else { None }).collect();
    assert_eq!(tables, diesel_tables(), "tables of the SQLite migrations vs persistence/src/schema.rs");
    let lines: BTreeSet<String> = facts.iter().map(Fact::line).collect();
    for expected in [
        "column retirees.id integer not null",
        "column retirees.id_number text not null",
        "column retirees.phone text null",
        "column retirees.birth_date date not null",
        "column retirees.party_member bool not null",
        "column retirees.created_at timestamp not null",
        "primary key retirees (id)",
        "primary key jurisdictions (code)",
        "unique retirees (id_number)",
        "foreign key retirees (community_code) -> jurisdictions (code)",
        "index retirees_community_idx on retirees (community_code, id)",
        "unique index jurisdictions_path_idx on jurisdictions (path)",
        "unique index transfers_open_idx on transfers (retiree_id) where …",
    ] {
        assert!(
            lines.contains(expected),
            "missing `{expected}` in:\n{}",
            lines.iter().cloned().collect::<Vec<_>>().join("\n")
        );
    }
}

#[test]
fn sqlite_and_postgres_migrations_give_the_same_schema() {
    let (_dir, mut lite) = migrated_sqlite();
    let sqlite: BTreeSet<String> = sqlite_facts(&mut lite).iter().map(Fact::line).collect();
    let Some(base) = pg_base_url() else {
        eprintln!("TEST_POSTGRES_URL not set: PostgreSQL half of the schema drift test skipped");
        return;
    };
    let db = create_empty_pg_database(&base);
    let mut pg_conn = persistence::connection::establish(&DatabaseUrl::Postgres(db.url.clone())).unwrap();
    persistence::run_migrations(&mut pg_conn).unwrap();
    let pg: BTreeSet<String> = pg_facts(&mut pg_conn).iter().map(Fact::line).collect();
    drop(pg_conn);
    assert!(pg.contains("primary key retirees (id)"), "PostgreSQL introspection read nothing useful: {pg:?}");

    let mut unexpected = Vec::new();
    let mut stale = Vec::new();
    for (side, found, missing) in [(Only::Sqlite, &sqlite, &pg), (Only::Postgres, &pg, &sqlite)] {
        for line in only_in(found, missing) {
            if !INTENDED_DIFFERENCES.iter().any(|(s, l, _)| *s == side && *l == line) {
                unexpected.push(format!("only in {side:?}: {line}"));
            }
        }
        for (s, l, why) in INTENDED_DIFFERENCES {
            if *s == side && (!found.contains(*l) || missing.contains(*l)) {
                stale.push(format!("only in {side:?}: {l} ({why})"));
            }
        }
    }
    assert!(
        unexpected.is_empty() && stale.is_empty(),
        "schema drift between persistence/migrations/sqlite and persistence/migrations/postgres\n\
         differences not in INTENDED_DIFFERENCES:\n  {}\n\
         INTENDED_DIFFERENCES entries that no longer differ:\n  {}",
        if unexpected.is_empty() { "(none)".to_owned() } else { unexpected.join("\n  ") },
        if stale.is_empty() { "(none)".to_owned() } else { stale.join("\n  ") },
    );
}
