//! Sync: the Hub's model (and dataset) listing, paged in the largest pages it serves with card data
//! expanded, stored in the cache's `synced` table; or a JSON-lines dump of the same objects imported
//! without any network. Afterwards the crawler answers repos and children listings from the synced
//! rows ([`Inner::synced_facts`], [`Inner::synced_listing`]) and [`Hub::synced_graph`] builds the
//! whole cache's lineage graph for an audit.
//!
//! A run is resumable (the next page's URL is stored with each page, in the page's transaction),
//! incremental (sorted by `lastModified`, newest first, it stops at the first page reaching what the
//! last finished run had seen, or `--since`), and rate-limit aware (the client waits as the Hub says;
//! the observer is told how long).

use crate::cache::{self, SyncRun, SyncedRow};
use crate::card::{self, HubFacts};
use crate::client::{Answer, Failure};
use crate::error::HubError;
use crate::hub::{Hub, Inner};
use crate::observe::{Event, Observer};
use lineage_core::{
    parse_card_ref, Clarifications, Fallback, Graph, Node, NodeKey, Relation, RepoKind, Resolution,
};
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::{Map, Value};
use std::fmt;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use url::Url;

/// `expand` values of a sync listing: what the verdict needs, nothing more.
const SYNC_EXPAND: &[&str] = &[
    "cardData",
    "disabled",
    "gated",
    "lastModified",
    "sha",
    "tags",
];
/// Children of one model at which a family counts as large: the crawler's first listing page is
/// full, so `lineage sync --filter base_model:ID` (1,000 per request, resumable) is the cheaper way.
pub const LARGE_FAMILY: usize = crate::hub::LIST_LIMIT;

/// The largest page the Hub serves.
const MAX_PAGE: usize = 1000;
/// The smallest page size tried when larger ones are refused.
const MIN_PAGE: usize = 1;
/// Longest dump line accepted (decompressed): longer is a reported error, never an allocation.
pub const MAX_LINE: usize = 16 * 1024 * 1024;
/// Rows per import transaction (a few in unit tests, so an interruption can fall between batches).
const IMPORT_BATCH: usize = if cfg!(test) { 4 } else { 20_000 };
/// Malformed lines reported one by one (the rest are counted).
const MAX_REPORTED: usize = 100;

/// What to sync.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SyncRequest {
    /// Only repos of these authors (one listing each); empty: everyone.
    pub authors: Vec<String>,
    /// Only repos carrying all these tags (`base_model:ID`, `license:mit`, ...).
    pub filters: Vec<String>,
    /// Only repos whose id contains this text.
    pub search: Option<String>,
    /// Sync the dataset listing too.
    pub datasets: bool,
    /// Stop at repos last modified before this date (ISO 8601, `2024-05-01` or a full timestamp);
    /// `None`: stop where the last finished run of the same query stopped.
    pub since: Option<String>,
    /// Ignore the last run: page through everything.
    pub full: bool,
    /// The page size asked for first; `None`: the Hub's maximum, 1,000. A refused size is halved
    /// until the Hub accepts it.
    pub page_size: Option<usize>,
}

/// What a sync reports while it runs (the library never prints; the caller renders these).
#[derive(Clone, Debug, PartialEq)]
pub enum SyncEvent {
    /// A listing starts (or resumes from its stored next page).
    Started {
        /// The canonical query.
        query: String,
        /// Whether it resumes an interrupted run.
        resumed: bool,
    },
    /// A page was stored.
    Page {
        /// Pages stored by this run so far.
        pages: u64,
        /// Repos stored by this run so far.
        repos: u64,
        /// Repos per second so far.
        rate: f64,
    },
    /// The Hub refused the page size; a smaller one is tried.
    PageSize {
        /// The refused size.
        refused: usize,
        /// The next size tried.
        next: usize,
    },
    /// Waiting before a retry.
    Waiting {
        /// How long.
        wait: Duration,
        /// Why (rate limited, no answer).
        why: String,
    },
    /// A listing finished.
    Finished {
        /// The canonical query.
        query: String,
        /// Pages stored.
        pages: u64,
        /// Repos stored.
        repos: u64,
        /// Whether it stopped at already-synced changes (incremental) rather than at the last page.
        incremental: bool,
    },
    /// Import progress of a dump.
    Imported {
        /// Lines read.
        lines: u64,
        /// Repos stored.
        repos: u64,
        /// Repos per second so far.
        rate: f64,
    },
}

/// Receives sync events; any `Fn(&SyncEvent) + Sync` is one.
pub trait SyncObserver: Sync {
    /// Called for each event, in order, from the syncing task.
    fn on_event(&self, event: &SyncEvent);
}

impl<F: Fn(&SyncEvent) + Sync> SyncObserver for F {
    fn on_event(&self, event: &SyncEvent) {
        self(event)
    }
}

/// What a sync did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SyncReport {
    /// Pages stored.
    pub pages: u64,
    /// Repos stored.
    pub repos: u64,
    /// HTTP requests sent (each retry counts).
    pub requests: u64,
    /// Listings that resumed an interrupted run.
    pub resumed: usize,
    /// Listings that stopped at already-synced changes.
    pub incremental: usize,
    /// Wall time.
    pub elapsed: Duration,
}

/// A dump line that could not be imported.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadLine {
    /// 1-based line number.
    pub line: u64,
    /// What is wrong with it.
    pub why: String,
}

/// What an import did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ImportReport {
    /// Lines read (blank lines included).
    pub lines: u64,
    /// Repos stored.
    pub repos: u64,
    /// Lines that could not be imported: the first ones, with their numbers.
    pub bad_lines: Vec<BadLine>,
    /// All lines that could not be imported.
    pub bad_count: u64,
    /// When an interrupted import of the same file was continued: the lines it had stored, which
    /// were read past without parsing (`repos` and `bad_count` count this run's only).
    pub resumed_after: Option<u64>,
    /// Wall time.
    pub elapsed: Duration,
}

fn cache_err(inner: &Inner, e: rusqlite::Error) -> HubError {
    HubError::Cache {
        path: inner.cache().path().to_path_buf(),
        why: e.to_string(),
    }
}

impl Hub {
    /// Pages through the listing(s) the request describes and stores every repo's metadata.
    /// Resumes an interrupted run of the same query; stops early at already-synced changes.
    pub async fn sync(
        &self,
        req: &SyncRequest,
        observer: &dyn SyncObserver,
    ) -> Result<SyncReport, HubError> {
        let started = Instant::now();
        let inner = &self.inner;
        let before = inner.requests();
        let mut report = SyncReport::default();
        let mut kinds = vec![RepoKind::Model];
        if req.datasets {
            kinds.push(RepoKind::Dataset);
        }
        let authors: Vec<Option<&str>> = if req.authors.is_empty() {
            vec![None]
        } else {
            req.authors.iter().map(|a| Some(a.as_str())).collect()
        };
        for kind in kinds {
            for author in &authors {
                sync_listing(inner, kind, *author, req, observer, &mut report).await?;
            }
        }
        report.requests = inner.requests() - before;
        report.elapsed = started.elapsed();
        Ok(report)
    }

    /// Imports a JSON-lines dump (one listing object per line; plain, gzip or zstd, recognised by
    /// their magic bytes) of `kind` repos, with no network. Malformed lines are reported with their
    /// numbers and skipped; the rest is stored in large transactions.
    pub fn sync_from(
        &self,
        path: &Path,
        kind: RepoKind,
        observer: &dyn SyncObserver,
    ) -> Result<ImportReport, HubError> {
        import(&self.inner, path, kind, observer)
    }

    /// The lineage graph of everything synced: every synced repo with its card and edges (repos
    /// named but not synced are `not-crawled`), clarifications applied as the crawler applies them.
    pub fn synced_graph(&self, clarify: &Clarifications) -> Result<Graph, HubError> {
        let inner = &self.inner;
        let cache = inner.cache();
        let models = cache
            .synced_count(RepoKind::Model)
            .map_err(|e| cache_err(inner, e))?;
        let datasets = cache
            .synced_count(RepoKind::Dataset)
            .map_err(|e| cache_err(inner, e))?;
        let n = (models + datasets) as usize;
        let mut graph = Graph::with_capacity(n + n / 4, n + n / 4);
        // One thread reads and verifies the rows, workers parse them into nodes and their edges
        // (batches go round-robin to the workers and come back in order), and this thread adds
        // them to the graph: the order of insertion is the order of storage.
        let workers = std::thread::available_parallelism()
            .map_or(1, |w| w.get())
            .clamp(1, 8);
        std::thread::scope(|s| -> Result<(), HubError> {
            let mut raw_tx = Vec::with_capacity(workers);
            let mut parsed_rx = Vec::with_capacity(workers);
            for _ in 0..workers {
                let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<RawRow>>(4);
                let (ptx, prx) = std::sync::mpsc::sync_channel::<Vec<(Node, card::CardEdges)>>(4);
                raw_tx.push(tx);
                parsed_rx.push(prx);
                s.spawn(move || {
                    for batch in rx {
                        let parsed = batch
                            .into_iter()
                            .map(|(kind, id, body)| {
                                let key = NodeKey {
                                    kind,
                                    id: id.into(),
                                };
                                synced_node(key, body.as_deref(), clarify)
                            })
                            .collect();
                        // A closed channel means the builder is gone: stop.
                        if ptx.send(parsed).is_err() {
                            return;
                        }
                    }
                });
            }
            let reader = s.spawn(move || {
                let mut batch = Vec::with_capacity(LOAD_BATCH);
                let mut sent = 0usize;
                let read = cache.for_each_synced(|kind, id, body| {
                    batch.push((kind, Box::<str>::from(id), body.map(Box::<[u8]>::from)));
                    if batch.len() == LOAD_BATCH {
                        let full = std::mem::replace(&mut batch, Vec::with_capacity(LOAD_BATCH));
                        // A closed channel means the builder is gone: the rest is read, not sent.
                        let _ = raw_tx[sent % workers].send(full);
                        sent += 1;
                    }
                });
                if !batch.is_empty() {
                    let _ = raw_tx[sent % workers].send(batch);
                }
                // Dropping the senders ends the workers once they have parsed what they got.
                drop(raw_tx);
                read
            });
            // Batches come back in the order they were read; a worker that ended (all sent, or
            // a panic re-raised by the scope) ends the loop.
            'batches: for b in 0.. {
                match parsed_rx[b % workers].recv() {
                    Ok(parsed) => {
                        for (node, edges) in parsed {
                            add_resolved(&mut graph, node, &edges);
                        }
                    }
                    Err(_) => break 'batches,
                }
            }
            // Stopped early (a worker panicked): workers still sending must not wait on this
            // thread, nor the reader on them; the scope then re-raises the panic.
            drop(parsed_rx);
            match reader.join() {
                Ok(read) => read.map(|_| ()).map_err(|e| cache_err(inner, e)),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        })?;
        for ix in graph.node_indices().collect::<Vec<_>>() {
            let node = graph.node_mut(ix);
            if matches!(node.resolution, Resolution::NotCrawled { .. }) {
                node.resolution = Resolution::NotCrawled {
                    why: "not in the synced data".into(),
                };
            }
        }
        Ok(graph)
    }
}

/// Rows per batch handed from the reading thread to the parsing workers in [`Hub::synced_graph`].
const LOAD_BATCH: usize = 4096;

/// A synced row as read and verified: kind, id, and the body (`None` when it failed its digest).
type RawRow = (RepoKind, Box<str>, Option<Box<[u8]>>);

/// The node a synced row stands for, with the edges its card names (computed on a parse worker). A
/// row that failed its digest check, or cannot be read, is `unreachable`: unknown, never what it
/// claims.
fn synced_node(
    key: NodeKey,
    body: Option<&[u8]>,
    clarify: &Clarifications,
) -> (Node, card::CardEdges) {
    let Some(facts) = body.and_then(stored_facts) else {
        let mut node = Node::placeholder(key);
        node.resolution = Resolution::Unreachable {
            why: "its synced row does not match its digest or cannot be read (edited or corrupted)"
                .into(),
        };
        return (node, card::CardEdges::default());
    };
    let (node, hub_relation) = node_from_facts(key, facts, clarify);
    let follows =
        node.resolution.is_known() || matches!(node.resolution, Resolution::Unparseable { .. });
    let edges = if follows {
        card::parents_of(&node, hub_relation)
    } else {
        card::CardEdges::default()
    };
    (node, edges)
}

/// Adds a resolved node and the edges its card names, as the crawler records a fetched repo
/// (invalid references become `invalid` nodes).
fn add_resolved(graph: &mut Graph, node: Node, edges: &card::CardEdges) {
    let ix = graph.upsert(node);
    for (bad, why) in &edges.invalid {
        let bix = match graph.find(bad) {
            Some(b) => b,
            None => {
                let mut n = Node::placeholder(bad.clone());
                n.resolution = Resolution::Invalid { why: why.clone() };
                graph.upsert(n)
            }
        };
        let key = &graph.node(ix).key;
        let relation = edges.invalid_relation(bad, key);
        graph.add_edge(bix, ix, relation);
    }
    for p in &edges.parents {
        let pix = graph.ensure(&p.key);
        graph.add_edge(pix, ix, p.relation);
    }
}

/// The node a synced listing item stands for, and its relation to its bases per the Hub.
fn node_from_facts(
    key: NodeKey,
    facts: HubFacts,
    clarify: &Clarifications,
) -> (Node, Option<Relation>) {
    if facts.disabled {
        let mut node = Node::placeholder(key);
        node.resolution = Resolution::Disabled;
        return (node, None);
    }
    let empty = Map::new();
    let declared = card::declared(facts.card_data.as_ref().unwrap_or(&empty), &facts);
    let mut node = Node::found(key, declared);
    node.revision = facts.sha;
    node.gated = facts.gated;
    (node.created_at, node.last_modified) = (facts.created_at, facts.last_modified);
    clarify.apply(&mut node);
    (node, facts.relation)
}

impl Inner {
    /// Whether synced rows synced at `at` may stand in for the Hub now.
    fn synced_usable(&self, at: i64) -> bool {
        if self.settings.offline {
            return true;
        }
        let age = cache::now().saturating_sub(at);
        !self.settings.refresh && age >= 0 && (age as u64) < self.settings.ttl.as_secs()
    }

    /// Synced data used offline past its time-to-live is a stale stand-in, said like a stale cache entry.
    fn synced_stale(&self, at: i64) -> Option<Fallback> {
        let age = cache::now().saturating_sub(at);
        (self.settings.offline && (age < 0 || age as u64 >= self.settings.ttl.as_secs())).then(
            || Fallback::StaleCache {
                fetched_at: at,
                why: "offline mode: synced data past its time-to-live; the Hub was not asked"
                    .into(),
            },
        )
    }

    /// The synced metadata of a repo, when a sync stored it and it is fresh (any age offline, then
    /// with the stale stand-in said).
    pub(crate) fn synced_facts(&self, key: &NodeKey) -> Option<(HubFacts, Option<Fallback>)> {
        let (body, at) = self.cache().synced(key.kind, &key.id).ok()??;
        if !self.synced_usable(at) {
            return None;
        }
        let facts = stored_facts(&body)?;
        self.counters
            .cache_hits
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Some((facts, self.synced_stale(at)))
    }

    /// The children of `parent` (models naming it as base or training dataset) from synced rows,
    /// when a finished sync covers them (a whole-Hub sync or one filtered on that parent) and is
    /// fresh (any age offline).
    #[allow(clippy::type_complexity)]
    pub(crate) fn synced_listing(
        &self,
        parent: &NodeKey,
    ) -> Option<(Vec<(NodeKey, HubFacts)>, Option<Fallback>)> {
        let scope = format!("filter:{}", listing_tag(parent));
        let at = self.cache().sync_covered_at(&scope).ok()??;
        if !self.synced_usable(at) {
            return None;
        }
        let rows = self.cache().synced_children(parent.kind, &parent.id).ok()?;
        self.counters
            .cache_hits
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let children = rows
            .into_iter()
            .filter_map(|(id, body)| Some((NodeKey::model(&id), stored_facts(&body)?)))
            .collect();
        Some((children, self.synced_stale(at)))
    }

    /// `{endpoint}/api/{models|datasets}?author&filter&search&sort=lastModified&direction=-1&expand..&limit`.
    fn sync_url(
        &self,
        kind: RepoKind,
        author: Option<&str>,
        req: &SyncRequest,
        limit: usize,
    ) -> Url {
        let mut u = self.settings.endpoint.clone();
        if let Ok(mut path) = u.path_segments_mut() {
            path.pop_if_empty();
            path.push("api");
            path.push(plural(kind));
        }
        {
            let mut q = u.query_pairs_mut();
            if let Some(a) = author {
                q.append_pair("author", a);
            }
            for f in &req.filters {
                q.append_pair("filter", f);
            }
            if let Some(s) = &req.search {
                q.append_pair("search", s);
            }
            q.append_pair("sort", "lastModified");
            q.append_pair("direction", "-1");
            for e in SYNC_EXPAND {
                q.append_pair("expand", e);
            }
            q.append_pair("limit", &limit.to_string());
        }
        u
    }
}

/// The tag that lists the children of `parent`.
fn listing_tag(parent: &NodeKey) -> String {
    match parent.kind {
        RepoKind::Model => format!("base_model:{}", parent.id),
        RepoKind::Dataset => format!("dataset:{}", parent.id),
        // Services have no children on the Hub and are never listed.
        RepoKind::Service => format!("service:{}", parent.id),
    }
}

fn plural(kind: RepoKind) -> &'static str {
    match kind {
        RepoKind::Model => "models",
        RepoKind::Dataset => "datasets",
        RepoKind::Service => "services",
    }
}

/// The canonical query of a listing (the key of its stored run) and what it covers.
fn query_of(kind: RepoKind, author: Option<&str>, req: &SyncRequest) -> (String, Option<String>) {
    let mut q = plural(kind).to_string();
    let mut parts = Vec::new();
    if let Some(a) = author {
        parts.push(format!("author={a}"));
    }
    let mut filters = req.filters.clone();
    filters.sort();
    parts.extend(filters.iter().map(|f| format!("filter={f}")));
    if let Some(s) = &req.search {
        parts.push(format!("search={s}"));
    }
    if !parts.is_empty() {
        q.push('?');
        q.push_str(&parts.join("&"));
    }
    let scope = match (kind, author, &req.search, filters.as_slice()) {
        (RepoKind::Model, None, None, []) => Some("all".to_string()),
        (RepoKind::Model, None, None, [f]) => Some(format!("filter:{f}")),
        (RepoKind::Dataset, None, None, []) => Some("all-datasets".to_string()),
        _ => None,
    };
    (q, scope)
}

async fn sync_listing(
    inner: &Inner,
    kind: RepoKind,
    author: Option<&str>,
    req: &SyncRequest,
    observer: &dyn SyncObserver,
    report: &mut SyncReport,
) -> Result<(), HubError> {
    let started = Instant::now();
    let (query, scope) = query_of(kind, author, req);
    let previous = inner
        .cache()
        .sync_run(&query)
        .map_err(|e| cache_err(inner, e))?;
    let threshold = req.since.clone().or_else(|| {
        (!req.full)
            .then(|| previous.as_ref().and_then(|p| p.newest.clone()))
            .flatten()
    });
    let resume = previous
        .as_ref()
        .filter(|p| p.finished_at.is_none())
        .and_then(|p| p.next_url.as_deref())
        .and_then(|n| inner.on_endpoint(&inner.settings.endpoint, n));
    let resumed = resume.is_some();
    let mut run = match (&previous, resumed) {
        (Some(p), true) => p.clone(),
        _ => SyncRun {
            query: query.clone(),
            scope,
            newest: previous.as_ref().and_then(|p| p.newest.clone()),
            started_at: cache::now(),
            ..SyncRun::default()
        },
    };
    if resumed {
        report.resumed += 1;
    }
    observer.on_event(&SyncEvent::Started {
        query: query.clone(),
        resumed,
    });
    let (mut pages, mut repos) = (0u64, 0u64);
    let mut limit = req.page_size.unwrap_or(MAX_PAGE).max(1);
    let mut url = resume.unwrap_or_else(|| inner.sync_url(kind, author, req, limit));
    let waits = Waits(observer);
    let mut incremental = false;
    loop {
        let fail = |why: String| HubError::Sync { pages, why };
        let (body, next) = match inner.client().get(&url, None, true, &waits).await {
            Ok(Answer::Ok { body, next, .. }) => (body, next),
            Ok(Answer::Refused {
                status, message, ..
            }) if (status == 400 || status == 422) && pages == 0 && !resumed => {
                // The page size may be what is refused: try the next smaller one.
                match Some(limit / 2).filter(|s| *s >= MIN_PAGE) {
                    Some(smaller) => {
                        observer.on_event(&SyncEvent::PageSize {
                            refused: limit,
                            next: smaller,
                        });
                        limit = smaller;
                        url = inner.sync_url(kind, author, req, limit);
                        continue;
                    }
                    None => {
                        return Err(fail(format!(
                            "the Hub refused the listing: HTTP {status}: {message}"
                        )))
                    }
                }
            }
            Ok(Answer::Refused {
                status, message, ..
            }) => {
                return Err(fail(format!(
                    "the Hub refused the listing: HTTP {status}: {message}"
                )))
            }
            Ok(Answer::Redirect(_)) => {
                return Err(fail("the listing was redirected; not followed".into()))
            }
            Ok(Answer::NotModified) => return Err(fail("unexpected 304 on a listing".into())),
            Err(Failure(why)) => return Err(fail(why)),
        };
        let items = match serde_json::from_slice::<Value>(&body) {
            Ok(Value::Array(items)) => items,
            Ok(_) => return Err(fail("the listing page is not a list".into())),
            Err(e) => return Err(fail(format!("the listing page is not valid JSON: {e}"))),
        };
        let mut rows = Vec::with_capacity(items.len());
        let mut oldest: Option<String> = None;
        for item in &items {
            let Ok(row) = ListingItem::deserialize(item)
                .map_err(|e| e.to_string())
                .and_then(|i| i.into_row(kind))
            else {
                continue;
            };
            if let Some(lm) = &row.last_modified {
                if run.run_newest.as_ref().is_none_or(|n| lm > n) {
                    run.run_newest = Some(lm.clone());
                }
                if oldest.as_ref().is_none_or(|o| lm < o) {
                    oldest = Some(lm.clone());
                }
            }
            rows.push(row);
        }
        // Newest first: once a page reaches what is already synced, the rest is older still.
        if let (Some(t), Some(o)) = (&threshold, &oldest) {
            if o.as_str() < t.as_str() {
                incremental = true;
            }
        }
        let next_url = match &next {
            Some(n) => match inner.on_endpoint(&url, n) {
                Some(u) => Some(u),
                None => {
                    return Err(fail(
                        "the next page is outside the configured endpoint; not followed".into(),
                    ))
                }
            },
            None => None,
        };
        pages += 1;
        repos += rows.len() as u64;
        run.pages += 1;
        run.repos += rows.len() as u64;
        let done = incremental || next_url.is_none();
        run.next_url = if done {
            None
        } else {
            next_url.as_ref().map(|u| u.to_string())
        };
        if done {
            run.finished_at = Some(cache::now());
            let newest = run.run_newest.clone();
            if newest > run.newest {
                run.newest = newest;
            }
        }
        inner
            .cache()
            .store_synced(&rows, cache::now(), false, Some(&run))
            .map_err(|e| cache_err(inner, e))?;
        let secs = started.elapsed().as_secs_f64().max(1e-6);
        observer.on_event(&SyncEvent::Page {
            pages,
            repos,
            rate: repos as f64 / secs,
        });
        match next_url {
            Some(u) if !done => url = u,
            _ => break,
        }
    }
    report.pages += pages;
    report.repos += repos;
    if incremental {
        report.incremental += 1;
    }
    observer.on_event(&SyncEvent::Finished {
        query,
        pages,
        repos,
        incremental,
    });
    Ok(())
}

/// Passes the client's rate-limit waits on to a sync observer.
struct Waits<'a>(&'a dyn SyncObserver);

impl std::fmt::Debug for Waits<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Waits")
    }
}

impl Observer for Waits<'_> {
    fn event(&self, event: &Event) {
        if let Event::Waiting { wait } = event {
            self.0.on_event(&SyncEvent::Waiting {
                wait: *wait,
                why: "rate limited by the Hub".into(),
            });
        }
    }
}

/// A listing item as lineage reads it: id, the card fields that matter, lineage tags, sha, dates,
/// gating. Everything else is skipped while parsing (never allocated); wrong types are absent.
#[derive(Debug, Default, Deserialize)]
struct ListingItem {
    #[serde(default, deserialize_with = "opt_string")]
    id: Option<String>,
    #[serde(default, rename = "modelId", deserialize_with = "opt_string")]
    model_id: Option<String>,
    #[serde(default, rename = "cardData")]
    card_data: CardFields,
    #[serde(default)]
    tags: LineageTags,
    #[serde(default, deserialize_with = "opt_string")]
    sha: Option<String>,
    #[serde(default, rename = "lastModified", deserialize_with = "opt_string")]
    last_modified: Option<String>,
    #[serde(default)]
    gated: Option<Value>,
    #[serde(default)]
    disabled: Option<Value>,
}

/// The card keys lineage reads (see [`card::declared`]).
const CARD_KEYS: &[&str] = &[
    "license",
    "license_name",
    "license_link",
    "license_details",
    "base_model",
    "base_model_relation",
    "finetuned_from",
    "datasets",
    "source_datasets",
    "generated_by",
    "annotations_creators",
    "language_creators",
];

/// `cardData` reduced to [`CARD_KEYS`]; `None` when absent or not an object.
#[derive(Debug, Default)]
struct CardFields(Option<Map<String, Value>>);

impl<'de> Deserialize<'de> for CardFields {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = CardFields;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("card data")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<CardFields, A::Error> {
                let mut out = Map::new();
                while let Some(k) = m.next_key::<std::borrow::Cow<'de, str>>()? {
                    if CARD_KEYS.contains(&k.as_ref()) {
                        out.insert(k.into_owned(), m.next_value::<Value>()?);
                    } else {
                        m.next_value::<IgnoredAny>()?;
                    }
                }
                Ok(CardFields(Some(out)))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut s: A) -> Result<CardFields, A::Error> {
                while s.next_element::<IgnoredAny>()?.is_some() {}
                Ok(CardFields(None))
            }
            fn visit_unit<E: de::Error>(self) -> Result<CardFields, E> {
                Ok(CardFields(None))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<CardFields, E> {
                Ok(CardFields(None))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<CardFields, E> {
                Ok(CardFields(None))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<CardFields, E> {
                Ok(CardFields(None))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<CardFields, E> {
                Ok(CardFields(None))
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<CardFields, E> {
                Ok(CardFields(None))
            }
        }
        d.deserialize_any(V)
    }
}

/// The tags lineage reads: `base_model:*`, `dataset:*`, `license:*` and `synthetic`; others are
/// skipped.
#[derive(Debug, Default)]
struct LineageTags(Vec<String>);

impl<'de> Deserialize<'de> for LineageTags {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Tag(Option<String>);
        impl<'de> Deserialize<'de> for Tag {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl<'de> Visitor<'de> for V {
                    type Value = Tag;
                    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                        f.write_str("a tag")
                    }
                    fn visit_str<E: de::Error>(self, s: &str) -> Result<Tag, E> {
                        let keep = s.starts_with("base_model:")
                            || s.starts_with("dataset:")
                            || s.starts_with("license:")
                            || s.eq_ignore_ascii_case("synthetic");
                        Ok(Tag(keep.then(|| s.to_string())))
                    }
                    fn visit_seq<A: SeqAccess<'de>>(self, mut s: A) -> Result<Tag, A::Error> {
                        while s.next_element::<IgnoredAny>()?.is_some() {}
                        Ok(Tag(None))
                    }
                    fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Tag, A::Error> {
                        while m.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                        Ok(Tag(None))
                    }
                    fn visit_unit<E: de::Error>(self) -> Result<Tag, E> {
                        Ok(Tag(None))
                    }
                    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Tag, E> {
                        Ok(Tag(None))
                    }
                    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Tag, E> {
                        Ok(Tag(None))
                    }
                    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Tag, E> {
                        Ok(Tag(None))
                    }
                    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Tag, E> {
                        Ok(Tag(None))
                    }
                }
                d.deserialize_any(V)
            }
        }
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = LineageTags;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a list of tags")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut s: A) -> Result<LineageTags, A::Error> {
                let mut out = Vec::new();
                while let Some(Tag(t)) = s.next_element::<Tag>()? {
                    out.extend(t);
                }
                Ok(LineageTags(out))
            }
            fn visit_unit<E: de::Error>(self) -> Result<LineageTags, E> {
                Ok(LineageTags::default())
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<LineageTags, A::Error> {
                while m.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(LineageTags::default())
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<LineageTags, E> {
                Ok(LineageTags::default())
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<LineageTags, E> {
                Ok(LineageTags::default())
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<LineageTags, E> {
                Ok(LineageTags::default())
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<LineageTags, E> {
                Ok(LineageTags::default())
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<LineageTags, E> {
                Ok(LineageTags::default())
            }
        }
        d.deserialize_any(V)
    }
}

/// A string field; any other type counts as absent.
fn opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::String(s) if !s.is_empty() => Some(s),
        _ => None,
    })
}

impl ListingItem {
    /// The row to store: the item in the listing's shape, reduced, and the parents it names.
    fn into_row(self, kind: RepoKind) -> Result<SyncedRow, String> {
        let id = self
            .id
            .or(self.model_id)
            .ok_or_else(|| "no \"id\"".to_string())?;
        lineage_core::id::validate_id(&id).map_err(|e| format!("id {id:?}: {e}"))?;
        let mut parents: Vec<(RepoKind, String)> = Vec::new();
        let mut push = |k: RepoKind, raw: &str| {
            if let Ok(key) = parse_card_ref(raw, k) {
                if !parents
                    .iter()
                    .any(|(pk, p)| *pk == key.kind && *p == key.id)
                {
                    parents.push((key.kind, key.id));
                }
            }
        };
        if kind == RepoKind::Model {
            if let Some(c) = &self.card_data.0 {
                for b in card::string_list(c.get("base_model")) {
                    push(RepoKind::Model, &b);
                }
                for d in card::string_list(c.get("datasets")) {
                    push(RepoKind::Dataset, &d);
                }
            }
            for t in &self.tags.0 {
                if let Some(rest) = t.strip_prefix("base_model:") {
                    let id = match rest.split_once(':') {
                        Some((r, id))
                            if lineage_core::Relation::parse_model_relation(r).is_some() =>
                        {
                            id
                        }
                        _ => rest,
                    };
                    push(RepoKind::Model, id);
                } else if let Some(d) = t.strip_prefix("dataset:") {
                    push(RepoKind::Dataset, d);
                }
            }
        }
        let mut out = Map::new();
        out.insert("id".into(), Value::String(id.clone()));
        if let Some(c) = self.card_data.0 {
            out.insert("cardData".into(), Value::Object(c));
        }
        if !self.tags.0.is_empty() {
            out.insert(
                "tags".into(),
                Value::Array(self.tags.0.into_iter().map(Value::String).collect()),
            );
        }
        if let Some(s) = self.sha {
            out.insert("sha".into(), Value::String(s));
        }
        if let Some(lm) = &self.last_modified {
            out.insert("lastModified".into(), Value::String(lm.clone()));
        }
        if let Some(g) = self.gated.filter(|g| !g.is_null()) {
            out.insert("gated".into(), g);
        }
        if let Some(d) = self.disabled.filter(|d| !d.is_null()) {
            out.insert("disabled".into(), d);
        }
        let body = serde_json::to_vec(&Value::Object(out)).map_err(|e| e.to_string())?;
        Ok(SyncedRow {
            kind,
            id,
            last_modified: self.last_modified,
            body,
            parents,
        })
    }
}

impl ListingItem {
    /// The Hub's facts of a stored row, read straight from its typed fields: loading millions of
    /// rows builds no JSON tree per row. Gives what [`HubFacts::from_api`] gives on the same body.
    fn into_facts(self) -> HubFacts {
        let mut f = HubFacts {
            card_data: self.card_data.0,
            sha: self.sha,
            gated: card::gated_flag(self.gated.as_ref()),
            disabled: card::disabled_flag(self.disabled.as_ref()),
            last_modified: self.last_modified,
            ..HubFacts::default()
        };
        f.read_tags(self.tags.0.iter().map(String::as_str));
        f
    }
}

/// The Hub's facts of a synced row's body (as [`ListingItem::into_row`] stored it); `None` if it
/// does not parse.
fn stored_facts(body: &[u8]) -> Option<HubFacts> {
    serde_json::from_slice::<ListingItem>(body)
        .ok()
        .map(ListingItem::into_facts)
}

/// Parses one dump line into a row.
fn parse_line(line: &[u8], kind: RepoKind) -> Result<SyncedRow, String> {
    let item: ListingItem = serde_json::from_slice(line).map_err(|e| e.to_string())?;
    item.into_row(kind)
}

/// The dump's reader, decompressing gzip or zstd when its first bytes say so.
fn open_dump(path: &Path) -> Result<Box<dyn BufRead + Send>, HubError> {
    let err = |why: String| HubError::Dump {
        path: path.to_path_buf(),
        why,
    };
    let file = std::fs::File::open(path).map_err(|e| err(e.to_string()))?;
    let mut buf = BufReader::with_capacity(1 << 20, file);
    let head = buf.fill_buf().map_err(|e| err(e.to_string()))?;
    Ok(if head.starts_with(&[0x1f, 0x8b]) {
        Box::new(BufReader::with_capacity(
            1 << 20,
            flate2::bufread::MultiGzDecoder::new(buf),
        ))
    } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        let dec = zstd::stream::read::Decoder::with_buffer(buf).map_err(|e| err(e.to_string()))?;
        Box::new(BufReader::with_capacity(1 << 20, dec))
    } else {
        Box::new(buf)
    })
}

/// One line read with a bound: `Ok(None)` at the end, `Err(len)` when it was longer than `max`
/// (the line is consumed, never held).
fn read_bounded(
    r: &mut dyn BufRead,
    buf: &mut Vec<u8>,
    max: usize,
) -> std::io::Result<Option<Result<(), usize>>> {
    buf.clear();
    let mut len = 0usize;
    let mut any = false;
    loop {
        let chunk = r.fill_buf()?;
        if chunk.is_empty() {
            return Ok(any.then_some(if len > max { Err(len) } else { Ok(()) }));
        }
        any = true;
        let (take, done) = match chunk.iter().position(|&b| b == b'\n') {
            Some(i) => (i + 1, true),
            None => (chunk.len(), false),
        };
        len += take;
        if len <= max {
            buf.extend_from_slice(&chunk[..take]);
        } else {
            buf.clear();
        }
        r.consume(take);
        if done {
            return Ok(Some(if len > max { Err(len) } else { Ok(()) }));
        }
    }
}

enum Batch {
    Rows(Vec<SyncedRow>, u64),
    Bad(BadLine),
}

/// Where an interrupted import of a dump stopped, stored as the run's `next_url` in the same
/// transaction as each batch: `dump:lines=N;size=S;modified=M;fresh=F`. A run of the same file
/// (same size and modification time) skips the first N lines; another file starts over.
#[derive(Clone, Debug, PartialEq, Eq)]
struct ImportMark {
    lines: u64,
    size: u64,
    modified: i64,
    fresh: bool,
}

impl ImportMark {
    fn stamp(path: &Path) -> (u64, i64) {
        std::fs::metadata(path)
            .map(|m| {
                let modified = m
                    .modified()
                    .ok()
                    .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                    .map_or(0, |d| d.as_nanos() as i64);
                (m.len(), modified)
            })
            .unwrap_or((0, 0))
    }

    fn encode(&self) -> String {
        format!(
            "dump:lines={};size={};modified={};fresh={}",
            self.lines,
            self.size,
            self.modified,
            u8::from(self.fresh)
        )
    }

    fn decode(s: &str) -> Option<ImportMark> {
        let mut m = ImportMark {
            lines: 0,
            size: 0,
            modified: 0,
            fresh: false,
        };
        for part in s.strip_prefix("dump:")?.split(';') {
            let (k, v) = part.split_once('=')?;
            match k {
                "lines" => m.lines = v.parse().ok()?,
                "size" => m.size = v.parse().ok()?,
                "modified" => m.modified = v.parse().ok()?,
                "fresh" => m.fresh = v == "1",
                _ => return None,
            }
        }
        Some(m)
    }
}

fn import(
    inner: &Inner,
    path: &Path,
    kind: RepoKind,
    observer: &dyn SyncObserver,
) -> Result<ImportReport, HubError> {
    let started = Instant::now();
    let mut reader = open_dump(path)?;
    let cache = inner.cache();
    let query = format!("file:{}", path.display());
    let (size, modified) = ImportMark::stamp(path);
    // An unfinished import of this very file continues after its last stored batch.
    let previous = cache
        .sync_run(&query)
        .map_err(|e| cache_err(inner, e))?
        .filter(|r| r.finished_at.is_none());
    let resume = previous.as_ref().and_then(|r| {
        ImportMark::decode(r.next_url.as_deref()?)
            .filter(|m| m.size == size && m.modified == modified)
    });
    let skip = resume.as_ref().map_or(0, |m| m.lines);
    // Into empty tables (or continuing such an import) rows are appended and indexed at the end.
    let fresh = match &resume {
        Some(m) => m.fresh,
        None => cache.synced_count(kind).map_err(|e| cache_err(inner, e))? == 0,
    };
    let mut report = ImportReport {
        resumed_after: resume.as_ref().map(|m| m.lines),
        ..ImportReport::default()
    };
    let mut run = SyncRun {
        query,
        scope: Some(
            match kind {
                RepoKind::Model => "all",
                RepoKind::Dataset => "all-datasets",
                RepoKind::Service => "all-services",
            }
            .into(),
        ),
        started_at: cache::now(),
        ..SyncRun::default()
    };
    if let (Some(p), Some(_)) = (&previous, &resume) {
        run.repos = p.repos;
        run.run_newest = p.run_newest.clone();
        run.started_at = p.started_at;
    }
    let bulk = cache
        .begin_bulk_import(fresh)
        .map_err(|e| cache_err(inner, e))?;
    let path_buf: PathBuf = path.to_path_buf();
    // One thread reads, decompresses and parses; this one writes: the two overlap.
    let result = std::thread::scope(|s| -> Result<(), HubError> {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Result<Batch, String>>(4);
        let producer = s.spawn(move || {
            let mut buf = Vec::new();
            let mut rows = Vec::with_capacity(IMPORT_BATCH);
            let mut line_no = 0u64;
            loop {
                match read_bounded(reader.as_mut(), &mut buf, MAX_LINE) {
                    Ok(None) => break,
                    // Lines stored by the interrupted run are read past, not parsed again.
                    Ok(Some(_)) if line_no < skip => line_no += 1,
                    Ok(Some(Err(len))) => {
                        line_no += 1;
                        let bad = BadLine {
                            line: line_no,
                            why: format!(
                                "line of {len} bytes is longer than the limit of {MAX_LINE}"
                            ),
                        };
                        if tx.send(Ok(Batch::Bad(bad))).is_err() {
                            return;
                        }
                    }
                    Ok(Some(Ok(()))) => {
                        line_no += 1;
                        let line = buf.trim_ascii();
                        if line.is_empty() {
                            continue;
                        }
                        match parse_line(line, kind) {
                            Ok(r) => rows.push(r),
                            Err(why) => {
                                if tx
                                    .send(Ok(Batch::Bad(BadLine { line: line_no, why })))
                                    .is_err()
                                {
                                    return;
                                }
                            }
                        }
                        if rows.len() >= IMPORT_BATCH {
                            let full =
                                std::mem::replace(&mut rows, Vec::with_capacity(IMPORT_BATCH));
                            if tx.send(Ok(Batch::Rows(full, line_no))).is_err() {
                                return;
                            }
                        }
                    }
                    Err(e) => {
                        let _ = tx.send(Err(format!("read error after line {line_no}: {e}")));
                        return;
                    }
                }
            }
            let _ = tx.send(Ok(Batch::Rows(rows, line_no)));
        });
        for msg in rx {
            match msg {
                Ok(Batch::Rows(rows, lines)) => {
                    for r in &rows {
                        if let Some(lm) = &r.last_modified {
                            if run.run_newest.as_ref().is_none_or(|n| lm > n) {
                                run.run_newest = Some(lm.clone());
                            }
                        }
                    }
                    report.repos += rows.len() as u64;
                    report.lines = lines;
                    run.repos += rows.len() as u64;
                    // The batch and how far the file was read commit together: a killed import
                    // resumes exactly after the last stored batch.
                    run.next_url = Some(
                        ImportMark {
                            lines,
                            size,
                            modified,
                            fresh,
                        }
                        .encode(),
                    );
                    cache
                        .store_synced(&rows, cache::now(), fresh, Some(&run))
                        .map_err(|e| cache_err(inner, e))?;
                    let secs = started.elapsed().as_secs_f64().max(1e-6);
                    observer.on_event(&SyncEvent::Imported {
                        lines,
                        repos: report.repos,
                        rate: report.repos as f64 / secs,
                    });
                }
                Ok(Batch::Bad(bad)) => {
                    report.bad_count += 1;
                    if report.bad_lines.len() < MAX_REPORTED {
                        report.bad_lines.push(bad);
                    }
                }
                Err(why) => {
                    return Err(HubError::Dump {
                        path: path_buf.clone(),
                        why,
                    })
                }
            }
        }
        let _ = producer.join();
        Ok(())
    });
    result?;
    bulk.finish().map_err(|e| cache_err(inner, e))?;
    // A dump stands for the whole listing of its kind: children look-ups may use it, once whole.
    run.next_url = None;
    run.newest = run.run_newest.clone();
    run.finished_at = Some(cache::now());
    cache.save_sync_run(&run).map_err(|e| cache_err(inner, e))?;
    report.elapsed = started.elapsed();
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_keep_what_lineage_reads() {
        let line = br#"{"_id":"x","id":"org/m","modelId":"org/m","likes":3,"tags":["transformers","base_model:finetune:meta-llama/Llama-2-7b-hf","dataset:tatsu-lab/alpaca","license:llama2",7],"cardData":{"license":"llama2","base_model":"meta-llama/Llama-2-7b-hf","widget":[{"text":"hi"}],"datasets":["tatsu-lab/alpaca"]},"sha":"abc","lastModified":"2024-01-02T00:00:00.000Z","gated":false,"siblings":[{"rfilename":"a"}]}"#;
        let row = parse_line(line, RepoKind::Model).unwrap();
        assert_eq!(row.id, "org/m");
        assert_eq!(
            row.last_modified.as_deref(),
            Some("2024-01-02T00:00:00.000Z")
        );
        assert_eq!(
            row.parents,
            vec![
                (RepoKind::Model, "meta-llama/Llama-2-7b-hf".to_string()),
                (RepoKind::Dataset, "tatsu-lab/alpaca".to_string())
            ]
        );
        let v: Value = serde_json::from_slice(&row.body).unwrap();
        assert!(v["cardData"].get("widget").is_none());
        assert!(v.get("siblings").is_none());
        let facts = HubFacts::from_api(&v);
        assert_eq!(facts.tag_licenses, vec!["llama2"]);
        assert_eq!(facts.relation, Some(lineage_core::Relation::Finetune));
        let d = card::declared(facts.card_data.as_ref().unwrap(), &facts);
        assert_eq!(d.license, vec!["llama2"]);
        assert_eq!(d.base_model, vec!["meta-llama/Llama-2-7b-hf"]);
    }

    #[test]
    fn stored_rows_read_as_the_api_reader_reads_them() {
        let lines: [&[u8]; 4] = [
            br#"{"id":"org/m","tags":["gguf","base_model:quantized:org/base","license:apache-2.0","dataset:d/x"],"cardData":{"license":["mit","apache-2.0"],"base_model":["org/base"],"base_model_relation":"quantized","license_name":"x","license_link":"LICENSE"},"sha":"abc","lastModified":"2024-01-02T00:00:00.000Z","gated":"manual","disabled":false}"#,
            br#"{"id":"org/n","tags":["base_model:org/a","base_model:adapter:org/b"],"gated":true,"disabled":true}"#,
            br#"{"id":"org/o","cardData":"text","tags":null,"sha":5,"gated":"false"}"#,
            br#"{"id":"d/s","tags":["Synthetic","task_categories:text-generation"],"cardData":{"license":"cc-by-4.0","annotations_creators":["machine-generated"],"generated_by":"service:openai/gpt-4","source_datasets":["d/x"]}}"#,
        ];
        for line in lines {
            let row = parse_line(line, RepoKind::Model).unwrap();
            let api = HubFacts::from_api(&serde_json::from_slice(&row.body).unwrap());
            assert_eq!(stored_facts(&row.body).unwrap(), api, "{}", row.id);
        }
        // What marks data synthetic survives the reduction (it is an advisory on models trained on it).
        let row = parse_line(lines[3], RepoKind::Dataset).unwrap();
        let facts = stored_facts(&row.body).unwrap();
        assert!(card::declared(facts.card_data.as_ref().unwrap(), &facts).synthetic);
        assert!(stored_facts(b"{not json").is_none());
    }

    #[test]
    fn odd_shapes_are_absent_not_errors_and_bad_ids_are_errors() {
        let row = parse_line(
            br#"{"id":"a/b","cardData":"text","tags":null,"sha":5}"#,
            RepoKind::Model,
        )
        .unwrap();
        assert!(row.parents.is_empty());
        assert!(parse_line(br#"{"id":"../etc"}"#, RepoKind::Model).is_err());
        assert!(parse_line(br#"{"likes":1}"#, RepoKind::Model).is_err());
        assert!(parse_line(b"{not json", RepoKind::Model).is_err());
    }

    #[test]
    fn long_lines_are_bounded() {
        let text = format!("{}\nshort\n{}", "x".repeat(100), "y".repeat(50));
        let mut r = std::io::Cursor::new(text.into_bytes());
        let mut buf = Vec::new();
        assert_eq!(read_bounded(&mut r, &mut buf, 20).unwrap(), Some(Err(101)));
        assert!(buf.is_empty());
        assert_eq!(read_bounded(&mut r, &mut buf, 20).unwrap(), Some(Ok(())));
        assert_eq!(buf, b"short\n");
        assert_eq!(read_bounded(&mut r, &mut buf, 20).unwrap(), Some(Err(50)));
        assert_eq!(read_bounded(&mut r, &mut buf, 20).unwrap(), None);
    }

    #[test]
    fn queries_and_scopes() {
        let req = SyncRequest {
            filters: vec!["base_model:a/b".into()],
            ..SyncRequest::default()
        };
        assert_eq!(
            query_of(RepoKind::Model, None, &req),
            (
                "models?filter=base_model:a/b".into(),
                Some("filter:base_model:a/b".into())
            )
        );
        assert_eq!(
            query_of(RepoKind::Model, Some("org"), &SyncRequest::default()),
            ("models?author=org".into(), None)
        );
        assert_eq!(
            query_of(RepoKind::Model, None, &SyncRequest::default())
                .1
                .as_deref(),
            Some("all")
        );
    }
}
