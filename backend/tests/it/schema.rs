//! Schema drift: `migrations/sqlite` and `migrations/postgres` must build the same schema.
//! A fresh database of each is migrated and read back — tables, columns and whether they
//! may be null, primary keys, unique constraints and indexes (name, table, columns,
//! unique, partial) — and the two descriptions must be equal, except for the documented
//! per-backend differences listed below.
//!
//! Column types are not compared: they differ by design (`BLOB`/`BYTEA`, `INTEGER PRIMARY
//! KEY AUTOINCREMENT`/`BIGSERIAL`), and sqlx's `Any` driver reads them the same way.

use backend::testing::{postgres, sqlite};
use backend::Db;
use sqlx::Row;
use std::collections::BTreeSet;

/// Tables only SQLite has: contacts' substring search is an FTS5 trigram table kept in
/// step by triggers there (`contacts_search`, migrations 0008), and FTS5 stores it in
/// shadow tables of its own. PostgreSQL has the GIN trigram index in
/// [`POSTGRES_ONLY_INDEXES`] instead.
const SQLITE_ONLY_TABLES: &[&str] = &["contacts_search", "contacts_search_config", "contacts_search_data", "contacts_search_docsize", "contacts_search_idx"];

/// Indexes only PostgreSQL has: the `pg_trgm` GIN index over `contacts.search_text`, the
/// counterpart of SQLite's FTS5 table (migrations 0008).
const POSTGRES_ONLY_INDEXES: &[&str] = &["contacts_search_idx"];

/// sqlx's own bookkeeping, not part of our schema.
const MIGRATIONS_TABLE: &str = "_sqlx_migrations";

/// A schema as a set of readable facts, one a line, so a difference prints as lines.
#[derive(Debug, Default)]
struct Schema {
    facts: BTreeSet<String>,
    /// Tables and indexes removed as documented differences (checked to exist, so the lists
    /// above cannot rot).
    excepted: BTreeSet<String>,
}

impl Schema {
    fn table(&mut self, table: &str) {
        self.facts.insert(format!("table {table}"));
    }

    fn column(&mut self, table: &str, column: &str, not_null: bool) {
        self.facts.insert(format!("column {table}.{column} {}", if not_null { "NOT NULL" } else { "NULL" }));
    }

    fn primary_key(&mut self, table: &str, columns: &[String]) {
        self.facts.insert(format!("primary key {table} ({})", columns.join(", ")));
    }

    /// A `UNIQUE` constraint of a table. Its index is named by the database on SQLite
    /// (`sqlite_autoindex_…`) and after the constraint on PostgreSQL, so it is compared
    /// by table and columns only.
    fn unique_constraint(&mut self, table: &str, columns: &[String]) {
        self.facts.insert(format!("unique constraint {table} ({})", columns.join(", ")));
    }

    /// An index made by `CREATE [UNIQUE] INDEX`.
    fn index(&mut self, name: &str, table: &str, columns: &[String], unique: bool, partial: bool) {
        self.facts.insert(format!(
            "index {name} on {table} ({}){}{}",
            columns.join(", "),
            if unique { " UNIQUE" } else { "" },
            if partial { " WHERE …" } else { "" }
        ));
    }
}

async fn read_sqlite(db: &Db) -> Schema {
    let mut s = Schema::default();
    let tables: Vec<String> = sqlx::query("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
        .fetch_all(db.pool())
        .await
        .unwrap()
        .iter()
        .map(|r| r.get("name"))
        .collect();
    for table in tables {
        if table == MIGRATIONS_TABLE {
            continue;
        }
        if SQLITE_ONLY_TABLES.contains(&table.as_str()) {
            s.excepted.insert(format!("table {table}"));
            continue;
        }
        s.table(&table);
        // `table_xinfo`, not `table_info`: the latter leaves out generated columns
        // (`contacts.search_text`).
        let columns =
            sqlx::query(r#"SELECT name, "notnull" AS not_null, pk FROM pragma_table_xinfo($1) ORDER BY cid"#).bind(&table).fetch_all(db.pool()).await.unwrap();
        let mut pk: Vec<(i64, String)> = Vec::new();
        for c in &columns {
            let (name, not_null, pk_pos): (String, i64, i64) = (c.get("name"), c.get("not_null"), c.get("pk"));
            // SQLite lets a primary key column hold NULL unless it says NOT NULL (a
            // historical quirk; an INTEGER PRIMARY KEY is the rowid and never NULL);
            // PostgreSQL makes every primary key column NOT NULL. Same intent: count it
            // as NOT NULL.
            s.column(&table, &name, not_null != 0 || pk_pos > 0);
            if pk_pos > 0 {
                pk.push((pk_pos, name));
            }
        }
        if !pk.is_empty() {
            pk.sort();
            s.primary_key(&table, &pk.into_iter().map(|(_, c)| c).collect::<Vec<_>>());
        }
        let indexes =
            sqlx::query(r#"SELECT name, "unique" AS is_unique, origin, partial FROM pragma_index_list($1)"#).bind(&table).fetch_all(db.pool()).await.unwrap();
        for i in &indexes {
            let (name, unique, origin, partial): (String, i64, String, i64) = (i.get("name"), i.get("is_unique"), i.get("origin"), i.get("partial"));
            let columns: Vec<String> = sqlx::query("SELECT name FROM pragma_index_info($1) ORDER BY seqno")
                .bind(&name)
                .fetch_all(db.pool())
                .await
                .unwrap()
                .iter()
                .map(|r| r.get::<Option<String>, _>("name").unwrap_or_else(|| "<expression>".into()))
                .collect();
            match origin.as_str() {
                // The index of a non-integer primary key: the primary key fact covers it.
                "pk" => {}
                "u" => s.unique_constraint(&table, &columns),
                _ => s.index(&name, &table, &columns, unique != 0, partial != 0),
            }
        }
    }
    s
}

async fn read_postgres(db: &Db) -> Schema {
    let mut s = Schema::default();
    let tables = sqlx::query(
        "SELECT table_name::text AS name FROM information_schema.tables \
         WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY 1",
    )
    .fetch_all(db.pool())
    .await
    .unwrap();
    for t in &tables {
        let table: String = t.get("name");
        if table != MIGRATIONS_TABLE {
            s.table(&table);
        }
    }
    let columns = sqlx::query(
        "SELECT c.table_name::text AS tbl, c.column_name::text AS name, c.is_nullable::text AS nullable \
         FROM information_schema.columns c JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name \
         WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'",
    )
    .fetch_all(db.pool())
    .await
    .unwrap();
    for c in &columns {
        let (table, name, nullable): (String, String, String) = (c.get("tbl"), c.get("name"), c.get("nullable"));
        if table != MIGRATIONS_TABLE {
            s.column(&table, &name, nullable == "NO");
        }
    }
    // Every index of the schema with what made it: the primary key, a UNIQUE constraint,
    // or CREATE INDEX. Columns in index order; an expression's key is attnum 0.
    let indexes = sqlx::query(
        "SELECT i.relname::text AS name, t.relname::text AS tbl, \
                CASE WHEN ix.indisprimary THEN 'pk' WHEN c.contype = 'u' THEN 'u' ELSE 'c' END AS origin, \
                CASE WHEN ix.indisunique THEN 1 ELSE 0 END::bigint AS is_unique, \
                CASE WHEN ix.indpred IS NULL THEN 0 ELSE 1 END::bigint AS partial, \
                (SELECT string_agg(COALESCE(a.attname::text, '<expression>'), ',' ORDER BY k.ord) \
                   FROM unnest(ix.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord) \
                   LEFT JOIN pg_attribute a ON a.attrelid = ix.indrelid AND a.attnum = k.attnum) AS cols \
         FROM pg_index ix \
         JOIN pg_class i ON i.oid = ix.indexrelid \
         JOIN pg_class t ON t.oid = ix.indrelid \
         JOIN pg_namespace n ON n.oid = t.relnamespace \
         LEFT JOIN pg_constraint c ON c.conindid = ix.indexrelid AND c.conrelid = ix.indrelid AND c.contype IN ('p', 'u') \
         WHERE n.nspname = current_schema()",
    )
    .fetch_all(db.pool())
    .await
    .unwrap();
    for i in &indexes {
        let (name, table, origin, unique, partial, cols): (String, String, String, i64, i64, String) =
            (i.get("name"), i.get("tbl"), i.get("origin"), i.get("is_unique"), i.get("partial"), i.get("cols"));
        if table == MIGRATIONS_TABLE {
            continue;
        }
        if POSTGRES_ONLY_INDEXES.contains(&name.as_str()) {
            s.excepted.insert(format!("index {name}"));
            continue;
        }
        let columns: Vec<String> = cols.split(',').map(str::to_owned).collect();
        match origin.as_str() {
            "pk" => s.primary_key(&table, &columns),
            "u" => s.unique_constraint(&table, &columns),
            _ => s.index(&name, &table, &columns, unique != 0, partial != 0),
        }
    }
    s
}

/// The PostgreSQL server to test against, like `testing::databases()`: skipped with a
/// note when `MCE_TEST_POSTGRES_URL` is unset, unless `MCE_REQUIRE_POSTGRES=1`.
fn postgres_url() -> Option<String> {
    match std::env::var("MCE_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            if std::env::var("MCE_REQUIRE_POSTGRES").as_deref() == Ok("1") {
                panic!("MCE_REQUIRE_POSTGRES=1 but MCE_TEST_POSTGRES_URL is not set");
            }
            eprintln!("note: MCE_TEST_POSTGRES_URL unset; the schema drift test compared nothing (it needs both databases)");
            None
        }
    }
}

#[tokio::test]
async fn sqlite_and_postgresql_migrations_build_the_same_schema() {
    let lite = sqlite().await;
    let sqlite_schema = read_sqlite(&lite.db).await;
    assert!(sqlite_schema.facts.contains("table contacts"), "the SQLite schema was read: {:#?}", sqlite_schema.facts);
    let expected: BTreeSet<String> = SQLITE_ONLY_TABLES.iter().map(|t| format!("table {t}")).collect();
    assert_eq!(sqlite_schema.excepted, expected, "every documented SQLite-only table exists (else drop it from the list)");
    let Some(url) = postgres_url() else { return };
    let pg = postgres(&url).await;
    let pg_schema = read_postgres(&pg.db).await;
    let expected: BTreeSet<String> = POSTGRES_ONLY_INDEXES.iter().map(|i| format!("index {i}")).collect();
    assert_eq!(pg_schema.excepted, expected, "every documented PostgreSQL-only index exists (else drop it from the list)");

    let only_sqlite: Vec<&String> = sqlite_schema.facts.difference(&pg_schema.facts).collect();
    let only_postgres: Vec<&String> = pg_schema.facts.difference(&sqlite_schema.facts).collect();
    let mut diff = String::new();
    for f in &only_sqlite {
        diff.push_str(&format!("\n  only in SQLite:     {f}"));
    }
    for f in &only_postgres {
        diff.push_str(&format!("\n  only in PostgreSQL: {f}"));
    }
    assert!(
        only_sqlite.is_empty() && only_postgres.is_empty(),
        "migrations/sqlite and migrations/postgres have drifted ({} facts agree):{diff}",
        sqlite_schema.facts.intersection(&pg_schema.facts).count()
    );
    lite.db.close().await;
    pg.db.close().await;
}
