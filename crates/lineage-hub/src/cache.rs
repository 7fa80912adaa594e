//! The response cache: one SQLite row per Hub answer, keyed by the request URL (never the token),
//! with its status, ETag and fetch time. WAL mode and one transaction per write keep the file
//! consistent when a crawl is killed, so the next run resumes from what was stored. The directory and
//! files are created owner-only, and each row carries a digest: a row that does not match it is a miss.

mod integrity;

use crate::error::HubError;
use rusqlite::{params, Connection, OptionalExtension};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

mod synced;
pub use synced::{BulkImport, SyncRun, SyncedRow};

/// Bumped when the table changes; an older file is emptied rather than misread.
const SCHEMA_VERSION: i64 = 2;

/// A stored answer of the Hub.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// HTTP status (200, 307, 401, 403, 404).
    pub status: u16,
    /// The `ETag` of a 200, for revalidation.
    pub etag: Option<String>,
    /// `Location` of a redirect; `Link: rel="next"` target of a listing page.
    pub location: Option<String>,
    /// The error code or message of a refusal (`GatedRepo`, "Access to this resource is disabled.").
    pub error: Option<String>,
    /// The body of a 200.
    pub body: Vec<u8>,
    /// When it was fetched or last revalidated (seconds since the Unix epoch).
    pub fetched_at: i64,
    /// Whether the request carried a token (never the token itself): an anonymous refusal says
    /// nothing about what a token would be shown.
    pub authed: bool,
}

impl Entry {
    /// Whether the entry is younger than `ttl` at time `now`.
    pub fn is_fresh(&self, ttl: Duration, now: i64) -> bool {
        let age = now.saturating_sub(self.fetched_at);
        age >= 0 && (age as u64) < ttl.as_secs()
    }
}

/// The SQLite response cache. Cheap to share behind an `Arc`; calls are short and serialised.
#[derive(Debug)]
pub struct Cache {
    conn: Mutex<Connection>,
    path: PathBuf,
}

/// Seconds since the Unix epoch.
pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

impl Cache {
    /// Opens (creating if needed) the cache database at `path`, creating its directory.
    pub fn open(path: &Path) -> Result<Cache, HubError> {
        let err = |why: String| HubError::Cache {
            path: path.to_path_buf(),
            why,
        };
        if let Some(dir) = path.parent() {
            integrity::create_private_dir(dir)
                .map_err(|e| err(format!("cannot create its directory: {e}")))?;
        }
        integrity::create_private_file(path)
            .map_err(|e| err(format!("cannot create the file: {e}")))?;
        let conn = Connection::open(path).map_err(|e| err(e.to_string()))?;
        Cache::init(conn, path).map_err(|e| err(e.to_string()))
    }

    /// A cache that lives in memory only (nothing survives the process).
    pub fn in_memory() -> Result<Cache, HubError> {
        let conn = Connection::open_in_memory().map_err(|e| HubError::Cache {
            path: PathBuf::from(":memory:"),
            why: e.to_string(),
        })?;
        Cache::init(conn, Path::new(":memory:")).map_err(|e| HubError::Cache {
            path: PathBuf::from(":memory:"),
            why: e.to_string(),
        })
    }

    fn init(conn: Connection, path: &Path) -> rusqlite::Result<Cache> {
        // Another lineage process may hold the write lock for a moment.
        conn.busy_timeout(Duration::from_secs(10))?;
        // WAL: readers never block the writer and a killed writer leaves the last commit intact.
        conn.pragma_update_and_check(None, "journal_mode", "WAL", |_| Ok(()))
            .or_else(|_| conn.pragma_update(None, "journal_mode", "DELETE"))?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        if version != SCHEMA_VERSION {
            conn.execute_batch(
                "BEGIN;
                 DROP TABLE IF EXISTS responses;
                 CREATE TABLE responses (
                     key        TEXT PRIMARY KEY,
                     status     INTEGER NOT NULL,
                     etag       TEXT,
                     location   TEXT,
                     error      TEXT,
                     body       BLOB NOT NULL,
                     fetched_at INTEGER NOT NULL,
                     authed     INTEGER NOT NULL,
                     digest     TEXT NOT NULL
                 );
                 COMMIT;",
            )?;
            conn.pragma_update(None, "user_version", SCHEMA_VERSION)?;
        }
        // Synced metadata lives beside the responses; bulk imports want a larger page cache.
        synced::create_tables(&conn)?;
        conn.pragma_update(None, "cache_size", -65536)?;
        Ok(Cache {
            conn: Mutex::new(conn),
            path: path.to_path_buf(),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The stored answer for `key`, if any. A row whose digest does not match its fields (edited or
    /// corrupted) is treated as absent: the answer is fetched again, or is unreachable offline.
    pub fn get(&self, key: &str) -> Result<Option<Entry>, rusqlite::Error> {
        // Statements are prepared once per connection: a crawl asks thousands of times.
        let conn = self.conn();
        let row = conn
            .prepare_cached(
                "SELECT status, etag, location, error, body, fetched_at, authed, digest FROM responses WHERE key = ?1",
            )?
            .query_row(
                params![key],
                |r| {
                    let status = r.get::<_, i64>(0)?;
                    Ok((
                        Entry {
                            status: status.clamp(0, 999) as u16,
                            etag: r.get(1)?,
                            location: r.get(2)?,
                            error: r.get(3)?,
                            body: r.get(4)?,
                            fetched_at: r.get(5)?,
                            authed: r.get::<_, i64>(6)? != 0,
                        },
                        status,
                        r.get::<_, String>(7)?,
                    ))
                },
            )
            .optional()?;
        Ok(row.and_then(|(e, status, digest)| {
            (i64::from(e.status) == status && integrity::digest(key, &e) == digest).then_some(e)
        }))
    }

    /// Stores (or replaces) the answer for `key`, in its own transaction.
    pub fn put(&self, key: &str, e: &Entry) -> Result<(), rusqlite::Error> {
        self.conn().prepare_cached(
            "INSERT OR REPLACE INTO responses (key, status, etag, location, error, body, fetched_at, authed, digest)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )?.execute(
            params![
                key,
                i64::from(e.status),
                e.etag,
                e.location,
                e.error,
                e.body,
                e.fetched_at,
                i64::from(e.authed),
                integrity::digest(key, e)
            ],
        )?;
        Ok(())
    }

    /// Marks a stored answer as confirmed now (after a 304).
    pub fn touch(&self, key: &str, at: i64) -> Result<(), rusqlite::Error> {
        self.conn()
            .prepare_cached("UPDATE responses SET fetched_at = ?2 WHERE key = ?1")?
            .execute(params![key, at])?;
        Ok(())
    }

    /// Number of stored answers.
    pub fn len(&self) -> Result<usize, rusqlite::Error> {
        self.conn()
            .query_row("SELECT COUNT(*) FROM responses", [], |r| r.get::<_, i64>(0))
            .map(|n| n as usize)
    }

    /// Whether nothing is stored.
    pub fn is_empty(&self) -> Result<bool, rusqlite::Error> {
        self.len().map(|n| n == 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(body: &str) -> Entry {
        Entry {
            status: 200,
            etag: Some("W/\"1\"".into()),
            location: None,
            error: None,
            body: body.as_bytes().to_vec(),
            fetched_at: now(),
            authed: false,
        }
    }

    #[test]
    fn put_get_touch_and_reopen() {
        let d = tempfile::tempdir().unwrap();
        let path = d.path().join("sub").join("c.sqlite3");
        {
            let c = Cache::open(&path).unwrap();
            assert!(c.is_empty().unwrap());
            c.put("k", &entry("{}")).unwrap();
            c.put("k", &entry("{\"a\":1}")).unwrap();
            c.touch("k", 5).unwrap();
        }
        let c = Cache::open(&path).unwrap();
        let e = c.get("k").unwrap().unwrap();
        assert_eq!(e.body, b"{\"a\":1}");
        assert_eq!(e.fetched_at, 5);
        assert!(!e.is_fresh(Duration::from_secs(60), now()));
        assert!(c.get("other").unwrap().is_none());
        assert_eq!(c.len().unwrap(), 1);
    }

    #[test]
    fn freshness() {
        let mut e = entry("");
        e.fetched_at = 1000;
        assert!(e.is_fresh(Duration::from_secs(10), 1005));
        assert!(!e.is_fresh(Duration::from_secs(10), 1010));
        assert!(!e.is_fresh(Duration::from_secs(0), 1000));
    }

    #[test]
    fn a_file_that_is_not_a_database_is_a_clear_error() {
        let d = tempfile::tempdir().unwrap();
        let path = d.path().join("c.sqlite3");
        std::fs::write(
            &path,
            "this is not sqlite, just some text long enough to look like a header....",
        )
        .unwrap();
        let e = Cache::open(&path).unwrap_err();
        assert!(matches!(e, HubError::Cache { .. }));
        assert!(e.to_string().contains("--cache-dir"));
    }

    #[test]
    fn a_tampered_row_reads_as_a_miss() {
        let d = tempfile::tempdir().unwrap();
        let path = d.path().join("c.sqlite3");
        let c = Cache::open(&path).unwrap();
        let mut refused = entry("");
        refused.status = 403;
        refused.error = Some("GatedRepo".into());
        c.put("gated", &refused).unwrap();
        c.put("ok", &entry("{\"license\":\"cc-by-nc-4.0\"}"))
            .unwrap();
        c.put("authed", &entry("{}")).unwrap();
        c.touch("ok", 7).unwrap();
        assert!(
            c.get("ok").unwrap().is_some(),
            "revalidation keeps a row valid"
        );
        // Another process edits rows behind the cache's back.
        let raw = Connection::open(&path).unwrap();
        raw.execute_batch(
            "UPDATE responses SET status = 200, error = NULL WHERE key = 'gated';
             UPDATE responses SET body = CAST('{\"license\":\"mit\"}' AS BLOB) WHERE key = 'ok';
             UPDATE responses SET authed = 1 WHERE key = 'authed';",
        )
        .unwrap();
        for k in ["gated", "ok", "authed"] {
            assert_eq!(c.get(k).unwrap(), None, "{k}");
        }
        // A fresh answer replaces the bad row.
        c.put("ok", &entry("{}")).unwrap();
        assert_eq!(c.get("ok").unwrap().unwrap().body, b"{}");
    }

    #[cfg(unix)]
    #[test]
    fn the_directory_and_files_are_private() {
        use std::os::unix::fs::PermissionsExt;
        let d = tempfile::tempdir().unwrap();
        let dir = d.path().join("a").join("cache");
        let path = dir.join("c.sqlite3");
        let c = Cache::open(&path).unwrap();
        c.put("k", &entry("{}")).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&d.path().join("a")), 0o700);
        let mut files = 0;
        for f in std::fs::read_dir(&dir).unwrap() {
            let f = f.unwrap().path();
            assert_eq!(mode(&f), 0o600, "{}", f.display());
            files += 1;
        }
        assert!(files >= 2, "the database and its WAL files");
        drop(c);
        // An existing world-readable file is tightened.
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        drop(Cache::open(&path).unwrap());
        assert_eq!(mode(&path), 0o600);
    }

    #[test]
    fn an_old_schema_is_replaced() {
        let d = tempfile::tempdir().unwrap();
        let path = d.path().join("c.sqlite3");
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch("CREATE TABLE responses (key TEXT); PRAGMA user_version = 0;")
                .unwrap();
        }
        let c = Cache::open(&path).unwrap();
        c.put("k", &entry("x")).unwrap();
        assert_eq!(c.get("k").unwrap().unwrap().body, b"x");
    }
}
