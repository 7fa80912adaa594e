//! Synced metadata: one row per repository from the Hub's listing (or a dump), the parent → child
//! edges its card and tags name (so a children listing can be answered without the Hub), and the
//! state of each sync run (the next page to fetch, for resumption; the newest change seen, for
//! incremental runs). Written in large transactions, one per listing page or import batch.

use super::Cache;
use lineage_core::RepoKind;
use rusqlite::{params, Connection, OptionalExtension};

/// The tables, created when missing (they sit beside `responses`, which they never touch).
pub(super) fn create_tables(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS synced (
             kind          INTEGER NOT NULL,
             id            TEXT NOT NULL,
             last_modified TEXT,
             body          BLOB NOT NULL,
             synced_at     INTEGER NOT NULL,
             PRIMARY KEY (kind, id)
         ) WITHOUT ROWID;
         CREATE TABLE IF NOT EXISTS synced_edges (
             parent_kind INTEGER NOT NULL,
             parent      TEXT NOT NULL,
             child       TEXT NOT NULL,
             PRIMARY KEY (parent_kind, parent, child)
         ) WITHOUT ROWID;
         CREATE INDEX IF NOT EXISTS synced_edges_child ON synced_edges (child);
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
    )
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
                "INSERT OR REPLACE INTO synced (kind, id, last_modified, body, synced_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?;
            let mut clear = tx.prepare_cached("DELETE FROM synced_edges WHERE child = ?1")?;
            let mut edge = tx.prepare_cached(
                "INSERT OR IGNORE INTO synced_edges (parent_kind, parent, child) VALUES (?1, ?2, ?3)",
            )?;
            for r in rows {
                put.execute(params![
                    kind_code(r.kind),
                    r.id,
                    r.last_modified,
                    r.body,
                    at
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

    /// The synced body of a repo and when it was synced.
    pub fn synced(&self, kind: RepoKind, id: &str) -> rusqlite::Result<Option<(Vec<u8>, i64)>> {
        self.conn()
            .prepare_cached("SELECT body, synced_at FROM synced WHERE kind = ?1 AND id = ?2")?
            .query_row(params![kind_code(kind), id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()
    }

    /// The synced models that name `parent` (a base model or a training dataset), with their bodies.
    pub fn synced_children(
        &self,
        parent_kind: RepoKind,
        parent: &str,
    ) -> rusqlite::Result<Vec<(String, Vec<u8>)>> {
        let conn = self.conn();
        let mut st = conn.prepare_cached(
            "SELECT s.id, s.body FROM synced_edges e JOIN synced s ON s.kind = 0 AND s.id = e.child
             WHERE e.parent_kind = ?1 AND e.parent = ?2 ORDER BY s.id",
        )?;
        let rows = st.query_map(params![kind_code(parent_kind), parent], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?;
        rows.collect()
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

    /// Calls `f` with every synced repo (kind, id, body), streaming: nothing is collected.
    pub fn for_each_synced(
        &self,
        mut f: impl FnMut(RepoKind, &str, &[u8]),
    ) -> rusqlite::Result<u64> {
        let conn = self.conn();
        let mut st = conn.prepare("SELECT kind, id, body FROM synced")?;
        let mut rows = st.query([])?;
        let mut n = 0;
        while let Some(r) = rows.next()? {
            let kind = kind_of(r.get(0)?);
            let id = r.get_ref(1)?.as_str()?;
            let body = r.get_ref(2)?.as_blob()?;
            f(kind, id, body);
            n += 1;
        }
        Ok(n)
    }
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
}
