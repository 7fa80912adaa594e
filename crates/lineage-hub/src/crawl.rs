//! The crawler: from roots, up through bases, datasets and source datasets, and down through the
//! Hub's listing of children, with bounded concurrency, depth and node count.
//!
//! Three parts a reader can name: [`schedule`] decides what to fetch next (limits, dedup, the walk's
//! state machine); [`fetch`] turns one job into an answer through HTTP and the cache; the card rules
//! that turn card fields into edges are pure and live in [`lineage_core::card`]. Per-repository
//! failures never stop a crawl: they become a [`Resolution`] on the node (fail closed).

pub(crate) mod fetch;
mod schedule;

use crate::error::HubError;
use crate::hub::Hub;
use crate::observe::{Event, Observer, Silent};
use crate::target::Target;
use lineage_core::{Clarifications, Graph, NodeIndex, NodeKey, Resolution};
use schedule::Crawler;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Which way to walk from the roots.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Ancestors: base models, training datasets, source datasets (what `check` needs).
    #[default]
    Up,
    /// Descendants: models listing a root (or a descendant) as base, or a root dataset as training
    /// data. Parents of descendants that are not themselves reached stay `not-crawled`.
    Down,
    /// Descendants, and the ancestors of the roots and of every descendant, so every node's
    /// verdict is complete within the limits (what `descendants` needs).
    Both,
}

impl Direction {
    /// (walk up, walk down) for the roots.
    pub(crate) fn root_intents(self) -> (bool, bool) {
        match self {
            Direction::Up => (true, false),
            Direction::Down => (false, true),
            Direction::Both => (true, true),
        }
    }
}

/// What to crawl.
#[derive(Clone, Debug, Default)]
pub struct CrawlRequest {
    /// Where to start (Hub repos or local folders).
    pub roots: Vec<Target>,
    /// Up, down or both.
    pub direction: Direction,
    /// Hops from the roots at most; `None` takes [`crate::Settings::max_depth`]. With
    /// [`Direction::Both`] it bounds only the walk down: the ancestry of every node found is completed.
    pub depth: Option<usize>,
    /// Repositories fetched at most; `None` takes [`crate::Settings::max_nodes`].
    pub max_nodes: Option<usize>,
    /// Who hears about progress, rate-limit waits and warnings; `None` reports nothing.
    pub observer: Option<Arc<dyn Observer>>,
    /// `--as-of`: read every repo at its last commit at or before this date (see [`crate::history`]);
    /// listed children created after it are left out.
    pub as_of: Option<lineage_core::history::AsOf>,
}

impl CrawlRequest {
    /// A crawl of `roots` in `direction` with the settings' limits.
    pub fn new(roots: Vec<Target>, direction: Direction) -> CrawlRequest {
        CrawlRequest {
            roots,
            direction,
            depth: None,
            max_nodes: None,
            observer: None,
            as_of: None,
        }
    }
}

/// The result of a crawl: the graph for the core library, the root nodes, and what it cost.
#[derive(Clone, Debug)]
pub struct Crawl {
    /// Every repository reached, with edges from parent to child.
    pub graph: Graph,
    /// The node of each root, in the order given (a root named twice appears twice).
    pub roots: Vec<NodeIndex>,
    /// Listings of children that could not be completed (failure or node limit): the descendants
    /// of these nodes may be more than the graph shows.
    pub incomplete: Vec<Incomplete>,
    /// Counters.
    pub stats: CrawlStats,
}

/// A node whose children could not all be listed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Incomplete {
    /// The node.
    pub key: NodeKey,
    /// Why the listing stopped.
    pub why: String,
}

/// What a crawl did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CrawlStats {
    /// HTTP requests sent (each retry counts).
    pub requests: u64,
    /// Answers taken from the cache without a request.
    pub cache_hits: u64,
    /// Cached answers confirmed by a 304.
    pub revalidated: u64,
    /// Stale cached answers used because the Hub could not be reached.
    pub stale: u64,
    /// Cache reads or writes that failed (the crawl went on without them).
    pub cache_errors: u64,
    /// Repositories resolved (found, refused, renamed or failed), fetched or from a listing.
    pub repos: usize,
    /// Of those, repositories whose card came with their parent's listing (no request of their own).
    pub from_listing: usize,
    /// Nodes left `not-crawled` (depth or node limit, or outside the direction).
    pub not_crawled: usize,
    /// Nodes that stayed `unreachable`.
    pub unreachable: usize,
    /// Wall time of the crawl.
    pub elapsed: Duration,
}

impl CrawlStats {
    /// Requests per resolved repository (0 when nothing was resolved).
    pub fn requests_per_repo(&self) -> f64 {
        if self.repos == 0 {
            0.0
        } else {
            self.requests as f64 / self.repos as f64
        }
    }
}

impl Hub {
    /// Crawls from the request's roots and returns the lineage graph. Clarifications are applied to
    /// each card before its edges are followed, and answer for repos the Hub cannot answer for.
    ///
    /// Errors only for what stops the whole command (an unreadable local folder); every per-repo
    /// problem is recorded on its node. Must be awaited inside a Tokio runtime (it spawns its
    /// requests as tasks); both the current-thread and the multi-thread runtime work.
    pub async fn crawl(
        &self,
        req: &CrawlRequest,
        clarify: &Clarifications,
    ) -> Result<Crawl, HubError> {
        let started = Instant::now();
        let inner = Arc::clone(&self.inner);
        let c = &inner.counters;
        let before = (
            inner.requests(),
            c.cache_hits.load(Ordering::Relaxed),
            c.revalidated.load(Ordering::Relaxed),
            c.stale.load(Ordering::Relaxed),
            c.cache_errors.load(Ordering::Relaxed),
        );
        let observer: Arc<dyn Observer> = req.observer.clone().unwrap_or_else(|| Arc::new(Silent));
        observer.event(&Event::Started {
            roots: req.roots.len(),
        });
        let mut crawler = Crawler::new(&inner, clarify, req, Arc::clone(&observer));
        let mut roots = Vec::with_capacity(req.roots.len());
        for target in &req.roots {
            let ix = crawler.add_root(target)?;
            roots.push(ix);
        }
        crawler.run().await;
        let before_sort = crawler.graph_keys(&roots);
        let graph = crawler.finish();
        // The graph comes back in key order: look the roots up again.
        let roots = before_sort
            .iter()
            .map(|k| graph.find(k).expect("every root is a node"))
            .collect();
        let c = &inner.counters;
        let mut stats = CrawlStats {
            requests: inner.requests() - before.0,
            cache_hits: c.cache_hits.load(Ordering::Relaxed) - before.1,
            revalidated: c.revalidated.load(Ordering::Relaxed) - before.2,
            stale: c.stale.load(Ordering::Relaxed) - before.3,
            cache_errors: c.cache_errors.load(Ordering::Relaxed) - before.4,
            repos: crawler.repos,
            from_listing: crawler.from_listing,
            elapsed: started.elapsed(),
            ..CrawlStats::default()
        };
        for ix in graph.node_indices() {
            match graph.node(ix).resolution {
                Resolution::NotCrawled { .. } => stats.not_crawled += 1,
                Resolution::Unreachable { .. } => stats.unreachable += 1,
                _ => {}
            }
        }
        for i in &crawler.incomplete {
            observer.event(&Event::Warning {
                message: format!("{}: {}", i.key, i.why),
            });
        }
        observer.event(&Event::Finished {
            stats: stats.clone(),
        });
        Ok(Crawl {
            graph,
            roots,
            incomplete: std::mem::take(&mut crawler.incomplete),
            stats,
        })
    }
}
