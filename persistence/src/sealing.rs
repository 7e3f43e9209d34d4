//! `retiree-service encrypt-data` (issue 21.10): seals the values still in clear (rows written before encryption at
//! rest) and re-seals under the active key the values sealed under another key id, in every column holding a
//! resident ID number or a phone, and sets the keyed hash of the ID numbers.
//!
//! It walks each table by primary key in batches of [`BATCH`] rows, one short write transaction per batch, so it
//! can run while the service serves. A row is rewritten only if it still holds the value read (`WHERE id = ? AND
//! col = old`): a concurrent write (which seals under the active key) wins and the row is left alone, so several
//! replicas, or two runs at once, cannot lose a change. Running it again finds nothing to do (restartable).
//! Values are opened with every configured key: a value that does not open is an error naming table, row and
//! column, and the run stops there.

use diesel::sql_types::{BigInt, Nullable, Text};

use crate::sealed::{DataKeys, key_id_of};
use crate::sql::{Bind, exec, load};
use crate::{DbConnection, RepoResult};

/// Rows per batch (one transaction each).
pub const BATCH: i64 = 500;

/// A table with sealed columns.
struct Target {
    table: &'static str,
    /// The row's key as one integer expression (`id`, or a composite key folded).
    key: &'static str,
    /// Columns holding a sealed value, and the column of its keyed hash (if searched).
    columns: &'static [(&'static str, Option<&'static str>)],
    /// A JSON column whose `id_number` / `phone` members are sealed (event payloads).
    json: bool,
}

const TARGETS: &[Target] = &[
    Target {
        table: "retirees",
        key: "id",
        columns: &[("id_number", Some("id_number_hash")), ("phone", None)],
        json: false,
    },
    Target { table: "dependents", key: "id", columns: &[("id_number", Some("id_number_hash"))], json: false },
    Target { table: "handover_items", key: "id", columns: &[("id_number", None), ("payload", None)], json: false },
    Target { table: "petition_persons", key: "id", columns: &[("phone", None)], json: false },
    Target { table: "archives", key: "id", columns: &[("id_number", Some("id_number_hash"))], json: false },
    Target { table: "caregivers", key: "id", columns: &[("phone", None)], json: false },
    // Health data (issue 25; PIPL Art. 28).
    Target { table: "health_records", key: "id", columns: &[("conditions", None)], json: false },
    Target { table: "health_examinations", key: "id", columns: &[("summary", None)], json: false },
    // Rejected import rows (the cells as sent): keyed by job and line (lines stay below 2^32).
    Target {
        table: "import_rejected_rows",
        key: "(job_id * 4294967296 + line)",
        columns: &[("cells", None)],
        json: false,
    },
    Target { table: "events", key: "id", columns: &[("payload", None)], json: true },
];

/// What a run did, per table: (table, rows examined, rows rewritten, rows left to a concurrent write).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// Per table.
    pub tables: Vec<(String, i64, i64, i64)>,
}

impl Report {
    /// Rows rewritten in all tables.
    pub fn rewritten(&self) -> i64 {
        self.tables.iter().map(|t| t.2).sum()
    }
}

#[derive(diesel::QueryableByName)]
struct Row {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Nullable<Text>)]
    a: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    b: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    h: Option<String>,
}

/// Whether a stored value needs sealing under the active key.
fn stale(keys: &DataKeys, stored: &str) -> bool {
    key_id_of(stored) != Some(keys.active_id())
}

/// Seals or re-seals every value not under the active key of `keys`, and sets missing hashes.
pub fn run(conn: &mut DbConnection, keys: &DataKeys) -> RepoResult<Report> {
    let mut report = Report::default();
    for t in TARGETS {
        let (mut examined, mut rewritten, mut lost) = (0, 0, 0);
        let mut after = -1i64;
        loop {
            let (a, b) = (t.columns[0].0, t.columns.get(1).map(|c| c.0).unwrap_or("NULL"));
            let h = t.columns[0].1.unwrap_or("NULL");
            let rows: Vec<Row> = load(
                conn,
                &format!(
                    "SELECT {key} AS id, {a} AS a, {b} AS b, {h} AS h FROM {} WHERE {key} > ? ORDER BY {key} LIMIT ?",
                    t.table,
                    key = t.key
                ),
                &[Bind::I64(after), Bind::I64(BATCH)],
            )?;
            let Some(last) = rows.last() else { break };
            after = last.id;
            examined += rows.len() as i64;
            let (done, raced) =
                crate::connection::write_tx_without_events(conn, |conn| rewrite_batch(conn, keys, t, &rows))?;
            rewritten += done;
            lost += raced;
        }
        log::info!(
            "encrypt-data: {}: {examined} rows examined, {rewritten} rewritten, {lost} changed meanwhile",
            t.table
        );
        report.tables.push((t.table.to_owned(), examined, rewritten, lost));
    }
    Ok(report)
}

/// Rewrites the rows of one batch that need it; returns (rewritten, left to a concurrent write).
fn rewrite_batch(conn: &mut DbConnection, keys: &DataKeys, t: &Target, rows: &[Row]) -> RepoResult<(i64, i64)> {
    let (mut done, mut raced) = (0, 0);
    for row in rows {
        let olds = [row.a.as_deref(), row.b.as_deref()];
        let mut sets: Vec<(String, String)> = Vec::new();
        for (i, (column, hash_column)) in t.columns.iter().enumerate() {
            let Some(old) = olds[i] else { continue };
            if t.json {
                if let Some(new) = reseal_json(keys, t.table, row.id, old)? {
                    sets.push(((*column).to_owned(), new));
                }
                continue;
            }
            let clear = crate::sealed::open_with(keys, t.table, row.id, column, old)?;
            if stale(keys, old) {
                sets.push(((*column).to_owned(), keys.seal(&clear)));
            }
            if let Some(hc) = hash_column {
                let hash = keys.hash(&clear);
                if row.h.as_deref() != Some(hash.as_str()) {
                    sets.push(((*hc).to_owned(), hash));
                }
            }
        }
        if sets.is_empty() {
            continue;
        }
        let assignments: Vec<String> = sets.iter().map(|(c, _)| format!("{c} = ?")).collect();
        let mut sql = format!("UPDATE {} SET {} WHERE {} = ?", t.table, assignments.join(", "), t.key);
        let mut binds: Vec<Bind<'_>> = sets.iter().map(|(_, v)| Bind::Text(v)).collect();
        binds.push(Bind::I64(row.id));
        // Only if the row still holds what was read.
        for (i, (column, _)) in t.columns.iter().enumerate() {
            match olds[i] {
                Some(old) => {
                    sql.push_str(&format!(" AND {column} = ?"));
                    binds.push(Bind::Text(old));
                }
                None => sql.push_str(&format!(" AND {column} IS NULL")),
            }
        }
        if exec(conn, &sql, &binds)? == 1 {
            done += 1;
        } else {
            raced += 1;
        }
    }
    Ok((done, raced))
}

/// An event payload with its `id_number` / `phone` members sealed under the active key, `None` if none needs it.
fn reseal_json(keys: &DataKeys, table: &str, id: i64, text: &str) -> RepoResult<Option<String>> {
    let mut value: serde_json::Value = crate::typed::stored_json(table, id, "payload", text)?;
    let mut changed = false;
    reseal_members(keys, table, id, &mut value, &mut changed)?;
    Ok(changed.then(|| value.to_string()))
}

fn reseal_members(
    keys: &DataKeys,
    table: &str,
    id: i64,
    value: &mut serde_json::Value,
    changed: &mut bool,
) -> RepoResult<()> {
    match value {
        serde_json::Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                match (k.as_str(), v.as_str()) {
                    ("id_number" | "phone", Some(stored)) => {
                        if stale(keys, stored) {
                            let clear = crate::sealed::open_with(keys, table, id, k, stored)?;
                            *v = serde_json::Value::String(keys.seal(&clear));
                            *changed = true;
                        }
                    }
                    _ => reseal_members(keys, table, id, v, changed)?,
                }
            }
        }
        serde_json::Value::Array(items) => {
            for v in items {
                reseal_members(keys, table, id, v, changed)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// Rows per table whose values are not all under the active key (clear or another key id): what a run would
/// rewrite, for the operator's check after a rotation (`encrypt-data --check`).
pub fn pending(conn: &mut DbConnection, keys: &DataKeys) -> RepoResult<Vec<(String, i64)>> {
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let prefix = format!("{}{}:", crate::sealed::PREFIX, keys.active_id());
    let mut out = Vec::new();
    for t in TARGETS.iter().filter(|t| !t.json) {
        let conds: Vec<String> = t
            .columns
            .iter()
            .map(|(c, h)| {
                let hash = h.map(|h| format!(" OR {h} IS NULL")).unwrap_or_default();
                format!("({c} IS NOT NULL AND substr({c}, 1, ?) <> ?{hash})")
            })
            .collect();
        let mut binds = Vec::new();
        for _ in t.columns {
            binds.push(Bind::I32(prefix.len() as i32));
            binds.push(Bind::Text(&prefix));
        }
        let n: Vec<Count> =
            load(conn, &format!("SELECT COUNT(*) AS n FROM {} WHERE {}", t.table, conds.join(" OR ")), &binds)?;
        out.push((t.table.to_owned(), n.first().map(|c| c.n).unwrap_or(0)));
    }
    Ok(out)
}
