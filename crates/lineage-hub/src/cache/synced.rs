//! Synced metadata: one row per repository from the Hub's listing (or a dump), the parent → child
//! edges its card and tags name (so a children listing can be answered without the Hub), and the
//! state of each sync run (the next page to fetch, for resumption; the newest change seen, for
//! incremental runs). Written in large transactions, one per listing page or import batch.

use super::{integrity, Cache};
use lineage_core::RepoKind;
use rusqlite::{params, Connection, OptionalExtension};

/// The tables, created when missing (they sit beside `responses`, which they never touch), and
/// their indexes, rebuilt when a bulk import was interrupted before it rebuilt them.
///
/// `synced` and `synced_edges` are rowid tables with separate unique indexes (not `WITHOUT ROWID`
/// tables keyed by id): a bulk import appends rows in file order and builds the indexes once at the
/// end, by sorting, instead of inserting two million rows at random places of a B-tree.
pub(super) fn create_tables(conn: &Connection) -> rusqlite::Result<()> {
    // The first layout kept whole rows in the primary key's B-tree and had no digests: its rows
    // cannot be verified, so they are dropped (a sync stores them again).
    let old: Option<String> = conn
        .query_row(
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'synced'",
            [],
            |r| r.get(0),
        )
        .optional()?;
    if old.is_some_and(|sql| !sql.contains("digest")) {
        conn.execute_batch(
            "BEGIN;
             DROP TABLE IF EXISTS synced;
             DROP TABLE IF EXISTS synced_edges;
             DROP TABLE IF EXISTS sync_runs;
             COMMIT;",
        )?;
    }
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS synced (
             kind          INTEGER NOT NULL,
             id            TEXT NOT NULL,
             last_modified TEXT,
             body          BLOB NOT NULL,
             synced_at     INTEGER NOT NULL,
             digest        BLOB NOT NULL
         );
         CREATE TABLE IF NOT EXISTS synced_edges (
             parent_kind INTEGER NOT NULL,
             parent      TEXT NOT NULL,
             child       TEXT NOT NULL
         );
         CREATE TABLE IF NOT EXISTS sync_runs (
             query       TEXT PRIMARY KEY,
             scope       TEXT,
             next_url    TEXT,
             pages       INTEGER NOT NULL,
             repos       INTEGER NOT NULL,
             newest      TEXT,
             run_newest  TEXT,
             started_at  INTEGER NOT NULL,
             finished_at INTEGER
         );",
    )?;
    ensure_indexes(conn)
}

/// The indexes a bulk import drops and rebuilds: (name, definition).
const INDEXES: &[(&str, &str)] = &[
    (
        "synced_key",
        "CREATE UNIQUE INDEX IF NOT EXISTS synced_key ON synced (kind, id)",
    ),
    (
        "synced_edges_key",
        "CREATE UNIQUE INDEX IF NOT EXISTS synced_edges_key ON synced_edges (parent_kind, parent, child)",
    ),
    (
        "synced_edges_child",
        "CREATE INDEX IF NOT EXISTS synced_edges_child ON synced_edges (child)",
    ),
];

/// What removes the rows a unique index would refuse: the last stored row of a repo wins, as
/// `INSERT OR REPLACE` would have decided; an edge stored twice is kept once.
const DEDUPLICATE: &[&str] = &[
    "DELETE FROM synced WHERE rowid NOT IN (SELECT MAX(rowid) FROM synced GROUP BY kind, id)",
    "DELETE FROM synced_edges WHERE rowid NOT IN
         (SELECT MIN(rowid) FROM synced_edges GROUP BY parent_kind, parent, child)",
    "",
];

/// Creates the missing indexes (each by one sort of its table). Rows appended without them (a bulk
/// import) may repeat a key, when a dump lists a repo twice: those are removed first.
pub(super) fn ensure_indexes(conn: &Connection) -> rusqlite::Result<()> {
    for ((_, create), dedup) in INDEXES.iter().zip(DEDUPLICATE) {
        match conn.execute_batch(create) {
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::ConstraintViolation && !dedup.is_empty() =>
            {
                conn.execute_batch(dedup)?;
                conn.execute_batch(create)?;
            }
            other => other?,
        }
    }
    Ok(())
}

/// Drops the indexes for a bulk import into empty tables (rebuilt by [`ensure_indexes`]).
fn drop_indexes(conn: &Connection) -> rusqlite::Result<()> {
    for (name, _) in INDEXES {
        conn.execute_batch(&format!("DROP INDEX IF EXISTS {name}"))?;
    }
    Ok(())
}

fn kind_code(kind: RepoKind) -> i64 {
    match kind {
        RepoKind::Model => 0,
        RepoKind::Dataset => 1,
        // Never stored: hosted services are not Hub repositories and are not synced.
        RepoKind::Service => 2,
    }
}

fn kind_of(code: i64) -> RepoKind {
    if code == 1 {
        RepoKind::Dataset
    } else {
        RepoKind::Model
    }
}

/// One repository's synced metadata, ready to store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyncedRow {
    /// Model or dataset.
    pub kind: RepoKind,
    /// The repo id.
    pub id: String,
    /// `lastModified` as the Hub wrote it (ISO 8601), if given.
    pub last_modified: Option<String>,
    /// The listing item reduced to what lineage reads, as compact JSON (the listing's own shape).
    pub body: Vec<u8>,
    /// Parents the item names (base models and training datasets), for children look-ups.
    pub parents: Vec<(RepoKind, String)>,
}

/// The state of one sync query (what it asked, how far it got, what it saw).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SyncRun {
    /// The query, canonical (kind, author, filters, search).
    pub query: String,
    /// What a finished run covers for children look-ups: `all`, or `filter:<tag>`.
    pub scope: Option<String>,
    /// The next page to fetch when the run was interrupted; `None` once it finished.
    pub next_url: Option<String>,
    /// Pages stored by the current (or last) run.
    pub pages: u64,
    /// Repos stored by the current (or last) run.
    pub repos: u64,
    /// The newest `lastModified` seen by the last finished run (where an incremental run stops).
    pub newest: Option<String>,
    /// The newest `lastModified` seen so far by the current run.
    pub run_newest: Option<String>,
    /// When the current (or last) run started.
    pub started_at: i64,
    /// When the last run finished; `None` while one is under way or was interrupted.
    pub finished_at: Option<i64>,
}

impl Cache {
    /// Stores synced rows (replacing earlier versions and their edges) and, when given, the run's
    /// state, all in one transaction: a page is stored whole or not at all. `fresh`: the rows are
    /// known to be new (an import into an empty table), so old edges need no clearing.
    pub fn store_synced(
        &self,
        rows: &[SyncedRow],
        at: i64,
        fresh: bool,
        run: Option<&SyncRun>,
    ) -> rusqlite::Result<()> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        {
            let mut put = tx.prepare_cached(
                "INSERT OR REPLACE INTO synced (kind, id, last_modified, body, synced_at, digest)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            let mut clear = tx.prepare_cached("DELETE FROM synced_edges WHERE child = ?1")?;
            let mut edge = tx.prepare_cached(
                "INSERT OR IGNORE INTO synced_edges (parent_kind, parent, child) VALUES (?1, ?2, ?3)",
            )?;
            for r in rows {
                let kind = kind_code(r.kind);
                let digest =
                    integrity::synced_digest(kind, &r.id, r.last_modified.as_deref(), &r.body);
                put.execute(params![
                    kind,
                    r.id,
                    r.last_modified,
                    r.body,
                    at,
                    digest.as_ref()
                ])?;
                // Only models are listed as children (the Hub lists models by base or dataset).
                if r.kind == RepoKind::Model {
                    if !fresh {
                        clear.execute(params![r.id])?;
                    }
                    for (pk, p) in &r.parents {
                        edge.execute(params![kind_code(*pk), p, r.id])?;
                    }
                }
            }
            if let Some(run) = run {
                put_run(&tx, run)?;
            }
        }
        tx.commit()
    }

    /// Saves a run's state on its own.
    pub fn save_sync_run(&self, run: &SyncRun) -> rusqlite::Result<()> {
        put_run(&self.conn(), run)
    }

    /// The stored state of a sync query.
    pub fn sync_run(&self, query: &str) -> rusqlite::Result<Option<SyncRun>> {
        self.conn()
            .query_row(
                "SELECT query, scope, next_url, pages, repos, newest, run_newest, started_at, finished_at
                 FROM sync_runs WHERE query = ?1",
                params![query],
                |r| {
                    Ok(SyncRun {
                        query: r.get(0)?,
                        scope: r.get(1)?,
                        next_url: r.get(2)?,
                        pages: r.get::<_, i64>(3)?.max(0) as u64,
                        repos: r.get::<_, i64>(4)?.max(0) as u64,
                        newest: r.get(5)?,
                        run_newest: r.get(6)?,
                        started_at: r.get(7)?,
                        finished_at: r.get(8)?,
                    })
                },
            )
            .optional()
    }

    /// When the newest finished sync covering `scope` (or everything) finished, if any did.
    pub fn sync_covered_at(&self, scope: &str) -> rusqlite::Result<Option<i64>> {
        self.conn().query_row(
            "SELECT MAX(finished_at) FROM sync_runs
                 WHERE finished_at IS NOT NULL AND (scope = 'all' OR scope = ?1)",
            params![scope],
            |r| r.get::<_, Option<i64>>(0),
        )
    }

    /// The synced body of a repo and when it was synced. A row that does not match its digest
    /// (edited or corrupted) is absent, as a tampered response is a miss.
    pub fn synced(&self, kind: RepoKind, id: &str) -> rusqlite::Result<Option<(Vec<u8>, i64)>> {
        let code = kind_code(kind);
        let row = self
            .conn()
            .prepare_cached(
                "SELECT last_modified, body, synced_at, digest FROM synced WHERE kind = ?1 AND id = ?2",
            )?
            .query_row(params![code, id], |r| {
                let lm: Option<String> = r.get(0)?;
                let body = r.get_ref(1)?.as_bytes()?.to_vec();
                let at: i64 = r.get(2)?;
                let ok = intact(code, id, lm.as_deref(), &body, r.get_ref(3)?.as_bytes()?);
                Ok(ok.then_some((body, at)))
            })
            .optional()?;
        Ok(row.flatten())
    }

    /// The synced models that name `parent` (a base model or a training dataset), with their bodies.
    pub fn synced_children(
        &self,
        parent_kind: RepoKind,
        parent: &str,
    ) -> rusqlite::Result<Vec<(String, Vec<u8>)>> {
        let conn = self.conn();
        // `CROSS JOIN` keeps the edges as the outer loop (SQLite never reorders it): left to the
        // planner (no statistics after a bulk import), it walked every synced model in id order
        // and probed the edges for each, 2 s on a 2M-model cache instead of 10 ms. The edge
        // index is ordered by child, which is the id: no sort.
        let mut st = conn.prepare_cached(
            "SELECT s.id, s.last_modified, s.body, s.digest
             FROM synced_edges e CROSS JOIN synced s ON s.kind = 0 AND s.id = e.child
             WHERE e.parent_kind = ?1 AND e.parent = ?2 ORDER BY e.child",
        )?;
        let mut rows = st.query(params![kind_code(parent_kind), parent])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let id = r.get_ref(0)?.as_str()?;
            let lm = r.get_ref(1)?.as_str_or_null()?;
            let body = r.get_ref(2)?.as_bytes()?;
            // A child whose row was edited is left out of the listing (a miss, never an answer).
            if intact(0, id, lm, body, r.get_ref(3)?.as_bytes()?) {
                out.push((id.to_string(), body.to_vec()));
            }
        }
        Ok(out)
    }

    /// Number of synced repos of a kind.
    pub fn synced_count(&self, kind: RepoKind) -> rusqlite::Result<u64> {
        self.conn()
            .query_row(
                "SELECT COUNT(*) FROM synced WHERE kind = ?1",
                params![kind_code(kind)],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n.max(0) as u64)
    }

    /// Calls `f` with every synced repo (kind, id, body), streaming in storage order: nothing is
    /// collected. The body is `None` when the row does not match its digest (edited or corrupted):
    /// the caller must treat that repo as unknown.
    pub fn for_each_synced(
        &self,
        mut f: impl FnMut(RepoKind, &str, Option<&[u8]>),
    ) -> rusqlite::Result<u64> {
        let conn = self.conn();
        let mut st = conn.prepare("SELECT kind, id, last_modified, body, digest FROM synced")?;
        let mut rows = st.query([])?;
        let mut n = 0;
        while let Some(r) = rows.next()? {
            let code: i64 = r.get(0)?;
            let id = r.get_ref(1)?.as_str()?;
            let lm = r.get_ref(2)?.as_str_or_null()?;
            let body = r.get_ref(3)?.as_bytes()?;
            let ok = intact(code, id, lm, body, r.get_ref(4)?.as_bytes()?);
            f(kind_of(code), id, ok.then_some(body));
            n += 1;
        }
        Ok(n)
    }

    /// Prepares a bulk import: no `fsync` while it runs (a killed process still keeps every
    /// committed batch: WAL), a larger page cache, and, when `empty_tables`, the indexes dropped so
    /// rows are appended and the indexes built once at the end. [`BulkImport::finish`] (or dropping
    /// it) restores all of it; a crash in between is healed by the next open, which rebuilds missing
    /// indexes.
    pub fn begin_bulk_import(&self, empty_tables: bool) -> rusqlite::Result<BulkImport<'_>> {
        let conn = self.conn();
        conn.pragma_update(None, "synchronous", "OFF")?;
        conn.pragma_update(None, "cache_size", -262_144)?;
        if empty_tables {
            drop_indexes(&conn)?;
        }
        Ok(BulkImport {
            cache: self,
            done: false,
        })
    }
}

/// A bulk import in progress (see [`Cache::begin_bulk_import`]).
#[derive(Debug)]
pub struct BulkImport<'c> {
    cache: &'c Cache,
    done: bool,
}

impl BulkImport<'_> {
    /// Builds the indexes and restores durable writes; reports what failed.
    pub fn finish(mut self) -> rusqlite::Result<()> {
        self.done = true;
        self.restore()
    }

    fn restore(&self) -> rusqlite::Result<()> {
        let conn = self.cache.conn();
        let built = ensure_indexes(&conn);
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "cache_size", -65_536)?;
        built
    }
}

impl Drop for BulkImport<'_> {
    fn drop(&mut self) {
        if !self.done {
            let _ = self.restore();
        }
    }
}

/// Whether a synced row matches its stored digest.
fn intact(kind: i64, id: &str, last_modified: Option<&str>, body: &[u8], digest: &[u8]) -> bool {
    integrity::synced_digest(kind, id, last_modified, body).as_ref() == digest
}

fn put_run(conn: &Connection, run: &SyncRun) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT OR REPLACE INTO sync_runs
         (query, scope, next_url, pages, repos, newest, run_newest, started_at, finished_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        run.query,
        run.scope,
        run.next_url,
        run.pages as i64,
        run.repos as i64,
        run.newest,
        run.run_newest,
        run.started_at,
        run.finished_at
    ])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: &str, parents: &[&str]) -> SyncedRow {
        SyncedRow {
            kind: RepoKind::Model,
            id: id.into(),
            last_modified: Some("2024-01-01T00:00:00.000Z".into()),
            body: format!("{{\"id\":\"{id}\"}}").into_bytes(),
            parents: parents
                .iter()
                .map(|p| (RepoKind::Model, p.to_string()))
                .collect(),
        }
    }

    #[test]
    fn rows_edges_and_runs() {
        let c = Cache::in_memory().unwrap();
        c.store_synced(
            &[row("a/child", &["a/base"]), row("a/base", &[])],
            10,
            true,
            None,
        )
        .unwrap();
        assert_eq!(c.synced_count(RepoKind::Model).unwrap(), 2);
        let kids = c.synced_children(RepoKind::Model, "a/base").unwrap();
        assert_eq!(kids.len(), 1);
        assert_eq!(kids[0].0, "a/child");
        // A re-synced child that no longer names the base leaves the base's children.
        c.store_synced(&[row("a/child", &["b/other"])], 20, false, None)
            .unwrap();
        assert!(c
            .synced_children(RepoKind::Model, "a/base")
            .unwrap()
            .is_empty());
        assert_eq!(c.synced(RepoKind::Model, "a/child").unwrap().unwrap().1, 20);
        assert_eq!(c.sync_covered_at("filter:base_model:a/base").unwrap(), None);
        let run = SyncRun {
            query: "models".into(),
            scope: Some("all".into()),
            finished_at: Some(30),
            ..SyncRun::default()
        };
        c.save_sync_run(&run).unwrap();
        assert_eq!(c.sync_run("models").unwrap().unwrap(), run);
        assert_eq!(
            c.sync_covered_at("filter:base_model:a/base").unwrap(),
            Some(30)
        );
        let mut seen = Vec::new();
        c.for_each_synced(|k, id, _| seen.push((k, id.to_string())))
            .unwrap();
        assert_eq!(seen.len(), 2);
    }

    #[test]
    fn a_bulk_import_killed_before_its_indexes_is_healed_by_the_next_open() {
        let d = tempfile::tempdir().unwrap();
        let path = d.path().join("cache.db");
        {
            let c = Cache::open(&path).unwrap();
            let bulk = c.begin_bulk_import(true).unwrap();
            c.store_synced(
                &[row("a/base", &[]), row("a/child", &["a/base"])],
                10,
                true,
                None,
            )
            .unwrap();
            // The same repo again, as a dump may list it: the later row is the one kept.
            let mut again = row("a/child", &["a/base"]);
            again.body = b"{\"id\":\"a/child\",\"sha\":\"second\"}".to_vec();
            c.store_synced(&[again], 11, true, None).unwrap();
            // Killed: the guard never runs, the indexes stay dropped.
            std::mem::forget(bulk);
        }
        let c = Cache::open(&path).unwrap();
        let indexes: i64 = c
            .conn()
            .query_row(
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name LIKE 'synced%'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(indexes, INDEXES.len() as i64);
        assert_eq!(c.synced_count(RepoKind::Model).unwrap(), 2);
        let (body, at) = c.synced(RepoKind::Model, "a/child").unwrap().unwrap();
        assert!(String::from_utf8(body).unwrap().contains("second"));
        assert_eq!(at, 11);
        assert_eq!(
            c.synced_children(RepoKind::Model, "a/base").unwrap().len(),
            1
        );
    }

    #[test]
    fn rows_of_the_first_layout_are_dropped_not_trusted() {
        let d = tempfile::tempdir().unwrap();
        let path = d.path().join("cache.db");
        {
            let raw = Connection::open(&path).unwrap();
            raw.execute_batch(
                "CREATE TABLE synced (kind INTEGER NOT NULL, id TEXT NOT NULL, last_modified TEXT,
                     body BLOB NOT NULL, synced_at INTEGER NOT NULL, PRIMARY KEY (kind, id)) WITHOUT ROWID;
                 INSERT INTO synced VALUES (0, 'a/b', NULL, '{\"id\":\"a/b\"}', 1);",
            )
            .unwrap();
        }
        let c = Cache::open(&path).unwrap();
        assert_eq!(c.synced_count(RepoKind::Model).unwrap(), 0);
        c.store_synced(&[row("a/b", &[])], 2, false, None).unwrap();
        assert!(c.synced(RepoKind::Model, "a/b").unwrap().is_some());
    }
}
