//! The crawler: from roots, up through bases, datasets and source datasets, and down through the
//! Hub's listing of children, with bounded concurrency, depth and node count. Each repository is
//! fetched at most once per crawl however many paths reach it, so cycles terminate.
//!
//! Per-repository failures never stop a crawl: they become a [`Resolution`] on the node (fail closed).

use crate::card::{self, HubFacts};
use crate::error::HubError;
use crate::hub::{Got, Hub, Inner};
use crate::local;
use crate::target::Target;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use lineage_core::{
    parse_card_ref, Clarifications, Declared, Graph, IdError, Node, NodeIndex, NodeKey, Relation,
    RepoKind, Resolution,
};
use serde_json::{Map, Value};
use std::collections::{HashMap, VecDeque};
use std::io::IsTerminal;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::task::JoinSet;
use url::Url;

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
    fn root_intents(self) -> (bool, bool) {
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
}

impl CrawlRequest {
    /// A crawl of `roots` in `direction` with the settings' limits.
    pub fn new(roots: Vec<Target>, direction: Direction) -> CrawlRequest {
        CrawlRequest {
            roots,
            direction,
            depth: None,
            max_nodes: None,
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
        let settings = &inner.settings;
        let progress = (settings.progress && std::io::stderr().is_terminal()).then(|| {
            let pb = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            if let Ok(style) =
                ProgressStyle::with_template("{spinner} {pos} repos resolved, {msg} [{elapsed}]")
            {
                pb.set_style(style);
            }
            pb.enable_steady_tick(Duration::from_millis(120));
            pb
        });
        let mut crawler = Crawler::new(&inner, clarify, req, progress);
        let mut roots = Vec::with_capacity(req.roots.len());
        for target in &req.roots {
            roots.push(crawler.add_root(target)?);
        }
        crawler.run().await;
        let graph = crawler.finish();
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
        Ok(Crawl {
            graph,
            roots,
            incomplete: crawler.incomplete,
            stats,
        })
    }
}

/// Work for a task.
#[derive(Clone, Debug)]
enum Job {
    /// Resolve a repo: its API answer (unless a listing brought it) and, without `cardData`, README.md.
    Repo {
        key: NodeKey,
        revision: Option<String>,
        listed: Option<HubFacts>,
    },
    /// One page of a node's children.
    List { parent: NodeKey, url: Url },
}

/// A resolved repo.
#[derive(Clone, Debug)]
enum RepoOutcome {
    Card {
        declared: Declared,
        hub_relation: Option<Relation>,
        sha: Option<String>,
        gated: bool,
    },
    Renamed(NodeKey),
    Failed {
        resolution: Resolution,
        sha: Option<String>,
        gated: bool,
    },
}

impl RepoOutcome {
    fn failed(resolution: Resolution) -> RepoOutcome {
        RepoOutcome::Failed {
            resolution,
            sha: None,
            gated: false,
        }
    }
}

/// One listing page.
#[derive(Clone, Debug, Default)]
struct ListOutcome {
    children: Vec<(NodeKey, HubFacts)>,
    next: Option<Url>,
    failure: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Status {
    /// Known (an edge names it) but not scheduled.
    Pending,
    /// Being fetched.
    InFlight,
    /// Resolved.
    Done,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Listing {
    NotStarted,
    /// Pages are being fetched; children were reached from at most this many hops so far.
    Running(usize),
    /// Finished; children were reached from at most this many hops.
    Done(usize),
}

/// A parent named by a node.
#[derive(Clone, Debug)]
pub(crate) struct Parent {
    pub(crate) key: NodeKey,
    pub(crate) relation: Relation,
}

#[derive(Debug)]
struct State {
    /// Fewest hops from a root seen so far.
    hops: usize,
    /// Walk up from this node.
    up: bool,
    /// Walk down from this node.
    down: bool,
    status: Status,
    /// The revision to fetch (roots only).
    revision: Option<String>,
    /// Parents named by the node (valid Hub ids), once resolved.
    parents: Vec<Parent>,
    /// Hops at which the parents were last reached.
    up_at: Option<usize>,
    listing: Listing,
    children: Vec<NodeKey>,
    /// Nodes whose listing named this one as a child.
    listed_by: Vec<NodeKey>,
    /// The relation the listing's tags give for this node.
    listed_relation: Option<Relation>,
    /// The listing item, used instead of a request when it carries `cardData`.
    prefetched: Option<HubFacts>,
    /// The node's relation to its bases, once resolved.
    relation: Option<Relation>,
    /// A clarification replaced the card's bases: the listing's view is not used.
    clarified_bases: bool,
}

impl State {
    fn new() -> State {
        State {
            hops: usize::MAX,
            up: false,
            down: false,
            status: Status::Pending,
            revision: None,
            parents: Vec::new(),
            up_at: None,
            listing: Listing::NotStarted,
            children: Vec::new(),
            listed_by: Vec::new(),
            listed_relation: None,
            prefetched: None,
            relation: None,
            clarified_bases: false,
        }
    }
}

struct Crawler<'a> {
    inner: Arc<Inner>,
    clarify: &'a Clarifications,
    direction: Direction,
    depth: Option<usize>,
    max_nodes: usize,
    concurrency: usize,
    graph: Graph,
    states: HashMap<NodeKey, State>,
    /// Jobs waiting for a task.
    queue: VecDeque<Job>,
    /// Repos resolved without a request (from a listing), to process.
    ready: VecDeque<(NodeKey, RepoOutcome)>,
    /// Resolved nodes whose hops or intents changed: follow their edges again.
    expand: VecDeque<NodeKey>,
    /// Repos scheduled, counted against the node limit.
    scheduled: usize,
    incomplete: Vec<Incomplete>,
    repos: usize,
    from_listing: usize,
    progress: Option<ProgressBar>,
}

impl<'a> Crawler<'a> {
    fn new(
        inner: &Arc<Inner>,
        clarify: &'a Clarifications,
        req: &CrawlRequest,
        progress: Option<ProgressBar>,
    ) -> Crawler<'a> {
        let settings = &inner.settings;
        Crawler {
            inner: Arc::clone(inner),
            clarify,
            direction: req.direction,
            depth: req.depth.or(settings.max_depth),
            max_nodes: req.max_nodes.unwrap_or(settings.max_nodes).max(1),
            concurrency: settings.concurrency.max(1),
            graph: Graph::new(),
            states: HashMap::new(),
            queue: VecDeque::new(),
            ready: VecDeque::new(),
            expand: VecDeque::new(),
            scheduled: 0,
            incomplete: Vec::new(),
            repos: 0,
            from_listing: 0,
            progress,
        }
    }

    fn add_root(&mut self, target: &Target) -> Result<NodeIndex, HubError> {
        let (up, down) = self.direction.root_intents();
        match target {
            Target::Repo(r) => {
                let ix = self.graph.ensure(&r.key);
                let st = self.states.entry(r.key.clone()).or_insert_with(State::new);
                if st.status == Status::Pending && r.revision.is_some() {
                    st.revision.clone_from(&r.revision);
                }
                self.reach(&r.key, 0, up, down);
                Ok(ix)
            }
            Target::Local(path) => {
                let m = local::read_folder(path)?;
                let key = m.key.clone();
                let mut node = Node::placeholder(key.clone());
                node.declared = m.declared;
                node.resolution = m.resolution;
                self.clarify.apply(&mut node);
                let st = self.states.entry(key.clone()).or_insert_with(State::new);
                st.status = Status::InFlight;
                self.record(&key, node, m.relation_hint);
                // A folder has nothing below it on the Hub: its lineage is upward.
                self.reach(&key, 0, true, false);
                Ok(self.graph.ensure(&key))
            }
        }
    }

    fn within_depth(&self, st: &State) -> bool {
        // Walking both ways, the depth bounds how far down the audit reaches; the ancestry of every
        // node found is still walked in full, so its verdict is complete (the node limit bounds it).
        let up_only = self.direction == Direction::Both && st.up && !st.down;
        up_only || self.depth.is_none_or(|d| st.hops <= d)
    }

    /// A path reached `key` after `hops` hops, meaning to walk up and/or down from it.
    fn reach(&mut self, key: &NodeKey, hops: usize, up: bool, down: bool) {
        self.graph.ensure(key);
        let st = self.states.entry(key.clone()).or_insert_with(State::new);
        let improved = hops < st.hops;
        let more = (up && !st.up) || (down && !st.down);
        if !improved && !more {
            return;
        }
        st.hops = st.hops.min(hops);
        st.up |= up;
        st.down |= down;
        match st.status {
            Status::Pending => self.schedule(key),
            Status::InFlight => {}
            Status::Done => self.expand.push_back(key.clone()),
        }
    }

    /// Fetches a pending node if the limits allow; from its listing item when that carries the card.
    fn schedule(&mut self, key: &NodeKey) {
        let at_limit = self.scheduled >= self.max_nodes;
        let Some(st) = self.states.get_mut(key) else {
            return;
        };
        let hops = st.hops;
        if !(st.up || st.down) || st.status != Status::Pending {
            return;
        }
        let up_only = self.direction == Direction::Both && st.up && !st.down;
        if (!up_only && self.depth.is_some_and(|d| hops > d)) || (at_limit && hops > 0) {
            return;
        }
        self.scheduled += 1;
        st.status = Status::InFlight;
        match st.prefetched.take() {
            Some(facts) if facts.card_data.is_some() => {
                self.from_listing += 1;
                let outcome = outcome_from_facts(facts, Map::new());
                self.ready.push_back((key.clone(), outcome));
            }
            listed => self.queue.push_back(Job::Repo {
                key: key.clone(),
                revision: st.revision.clone(),
                listed,
            }),
        }
    }

    /// Turns a resolved repo into its node and edges.
    fn complete_repo(&mut self, key: &NodeKey, outcome: RepoOutcome) {
        self.repos += 1;
        if let Some(pb) = &self.progress {
            pb.inc(1);
        }
        match outcome {
            RepoOutcome::Card {
                declared,
                hub_relation,
                sha,
                gated,
            } => {
                let mut node = Node::found(key.clone(), declared);
                node.revision = sha;
                node.gated = gated;
                self.clarify.apply(&mut node);
                self.record(key, node, hub_relation);
            }
            RepoOutcome::Renamed(to) => {
                let mut node = Node::placeholder(key.clone());
                node.resolution = Resolution::Renamed { to: to.id.clone() };
                self.graph.upsert(node);
                let ix = self.graph.ensure(key);
                let tix = self.graph.ensure(&to);
                self.graph.add_edge(tix, ix, Relation::Renamed);
                if let Some(st) = self.states.get_mut(key) {
                    st.parents = vec![Parent {
                        key: to,
                        relation: Relation::Renamed,
                    }];
                    st.status = Status::Done;
                }
                self.after_done(key);
            }
            RepoOutcome::Failed {
                resolution,
                sha,
                gated,
            } => match self.clarify.answer(key, &resolution) {
                Some(node) => self.record(key, node, None),
                None => {
                    let mut node = Node::placeholder(key.clone());
                    node.resolution = resolution;
                    node.revision = sha;
                    node.gated = gated;
                    self.record(key, node, None);
                }
            },
        }
    }

    /// Stores a resolved node, adds the edges its card names, and marks it done.
    fn record(&mut self, key: &NodeKey, node: Node, hub_relation: Option<Relation>) {
        let clarified_bases = node.clarifications.iter().any(|c| c.field == "base_model");
        let follows_card =
            node.resolution.is_known() || matches!(node.resolution, Resolution::Unparseable { .. });
        let (parents, invalid, relation) = if follows_card {
            parents_of(&node, hub_relation)
        } else {
            (Vec::new(), Vec::new(), None)
        };
        let ix = self.graph.upsert(node);
        for (bad, why) in invalid {
            let bix = match self.graph.find(&bad) {
                Some(b) => b,
                None => {
                    let mut n = Node::placeholder(bad.clone());
                    n.resolution = Resolution::Invalid { why };
                    self.graph.upsert(n)
                }
            };
            let rel = match (bad.kind, key.kind) {
                (RepoKind::Dataset, RepoKind::Model) => Relation::TrainedOn,
                (RepoKind::Dataset, RepoKind::Dataset) => Relation::DerivedFrom,
                _ => relation.unwrap_or(Relation::Finetune),
            };
            self.graph.add_edge(bix, ix, rel);
        }
        for p in &parents {
            let pix = self.graph.ensure(&p.key);
            self.graph.add_edge(pix, ix, p.relation);
        }
        if let Some(st) = self.states.get_mut(key) {
            st.parents = parents;
            st.relation = relation;
            st.clarified_bases = clarified_bases;
            st.status = Status::Done;
        }
        self.after_done(key);
    }

    fn after_done(&mut self, key: &NodeKey) {
        let listed_by = self
            .states
            .get(key)
            .map(|s| s.listed_by.clone())
            .unwrap_or_default();
        for parent in listed_by {
            self.listing_edge(&parent, key);
        }
        self.expand.push_back(key.clone());
    }

    /// Follows a resolved node's edges from its current hops: parents when walking up (a rename's
    /// target always), children when walking down.
    fn expand_node(&mut self, key: &NodeKey) {
        let Some(st) = self.states.get_mut(key) else {
            return;
        };
        let hops = st.hops;
        let (up, down) = (st.up, st.down);
        let mut to_reach: Vec<(NodeKey, usize, bool, bool)> = Vec::new();
        let follow_up = up && st.up_at.is_none_or(|h| hops < h);
        if follow_up {
            st.up_at = Some(hops);
        }
        for p in &st.parents {
            if p.relation == Relation::Renamed {
                // The new id is the same repository: same hops, same intents.
                to_reach.push((p.key.clone(), hops, up, down));
            } else if follow_up {
                to_reach.push((p.key.clone(), hops.saturating_add(1), true, false));
            }
        }
        let children_in_depth = self.depth.is_none_or(|d| hops < d);
        let mut start_listing = false;
        if down && children_in_depth {
            match st.listing {
                Listing::NotStarted => {
                    let resolved = self
                        .graph
                        .find(key)
                        .is_some_and(|ix| self.graph.node(ix).resolution.is_known());
                    if resolved {
                        st.listing = Listing::Running(hops);
                        start_listing = true;
                    }
                }
                Listing::Running(_) => {}
                Listing::Done(at) if hops < at => {
                    st.listing = Listing::Done(hops);
                    let both = self.direction == Direction::Both;
                    for c in &st.children {
                        to_reach.push((c.clone(), hops + 1, both, true));
                    }
                }
                Listing::Done(_) => {}
            }
        }
        if start_listing {
            if self.scheduled >= self.max_nodes {
                self.incomplete.push(Incomplete {
                    key: key.clone(),
                    why: format!(
                        "children not listed: the node limit of {} was reached",
                        self.max_nodes
                    ),
                });
                if let Some(st) = self.states.get_mut(key) {
                    st.listing = Listing::Done(hops);
                }
            } else {
                let url = self.inner.children_url(&listing_filter(key));
                self.queue.push_back(Job::List {
                    parent: key.clone(),
                    url,
                });
            }
        }
        for (k, h, u, d) in to_reach {
            self.reach(&k, h, u, d);
        }
    }

    /// Takes in one page of a node's children.
    fn complete_list(&mut self, parent: &NodeKey, page_url: &Url, outcome: ListOutcome) {
        let Some(pst) = self.states.get_mut(parent) else {
            return;
        };
        let hops = pst.hops;
        if let Listing::Running(max) = pst.listing {
            pst.listing = Listing::Running(max.max(hops));
        }
        let both = self.direction == Direction::Both;
        let mut new_children = 0usize;
        for (child, facts) in outcome.children {
            if child == *parent {
                continue;
            }
            let listed_relation = listing_relation(parent, &facts);
            let new = {
                let cst = self.states.entry(child.clone()).or_insert_with(State::new);
                let new = !cst.listed_by.contains(parent);
                if new {
                    cst.listed_by.push(parent.clone());
                }
                cst.listed_relation = cst.listed_relation.or(listed_relation);
                if cst.status == Status::Pending && cst.prefetched.is_none() {
                    cst.prefetched = Some(facts);
                }
                new
            };
            if new {
                new_children += 1;
                if let Some(pst) = self.states.get_mut(parent) {
                    pst.children.push(child.clone());
                }
            }
            self.reach(&child, hops + 1, both, true);
            if self
                .states
                .get(&child)
                .is_some_and(|s| s.status == Status::Done)
            {
                self.listing_edge(parent, &child);
            }
        }
        if let Some(why) = outcome.failure {
            self.incomplete.push(Incomplete {
                key: parent.clone(),
                why: format!("children could not be listed: {why}"),
            });
        }
        match outcome.next {
            // A page that brings no new child would let a looping cursor run forever.
            Some(_) if new_children == 0 => {
                self.incomplete.push(Incomplete {
                    key: parent.clone(),
                    why: "children listed in part: a page of the listing brought no new model"
                        .into(),
                });
                self.end_listing(parent);
            }
            Some(next) if next != *page_url => {
                if self.scheduled >= self.max_nodes {
                    self.incomplete.push(Incomplete {
                        key: parent.clone(),
                        why: format!(
                            "children listed in part: the node limit of {} was reached",
                            self.max_nodes
                        ),
                    });
                    self.end_listing(parent);
                } else {
                    self.queue.push_back(Job::List {
                        parent: parent.clone(),
                        url: next,
                    });
                }
            }
            _ => self.end_listing(parent),
        }
    }

    fn end_listing(&mut self, parent: &NodeKey) {
        let Some(st) = self.states.get_mut(parent) else {
            return;
        };
        let used = match st.listing {
            Listing::Running(max) => max,
            _ => st.hops,
        };
        st.listing = Listing::Done(used);
        // The parent came closer to a root while the listing ran: reach its children again.
        if st.hops < used {
            self.expand.push_back(parent.clone());
        }
    }

    /// Makes sure the listing's parent → child edge exists when the child's card did not give it
    /// (an old id, a URL form, a README that disagrees with the Hub's tags).
    fn listing_edge(&mut self, parent: &NodeKey, child: &NodeKey) {
        let (Some(pix), Some(cix)) = (self.graph.find(parent), self.graph.find(child)) else {
            return;
        };
        let Some(cst) = self.states.get(child) else {
            return;
        };
        if cst.clarified_bases && parent.kind == RepoKind::Model {
            return;
        }
        let linked = self.graph.parents(cix).any(|(p, _)| {
            p == pix
                || matches!(&self.graph.node(p).resolution, Resolution::Renamed { to } if *to == parent.id)
        });
        if linked {
            return;
        }
        let relation = if parent.kind == RepoKind::Dataset {
            Relation::TrainedOn
        } else {
            cst.relation
                .or(cst.listed_relation)
                .unwrap_or(Relation::Finetune)
        };
        self.graph.add_edge(pix, cix, relation);
    }

    /// Processes every pending resolution and expansion.
    fn settle(&mut self) {
        loop {
            if let Some((key, outcome)) = self.ready.pop_front() {
                self.complete_repo(&key, outcome);
            } else if let Some(key) = self.expand.pop_front() {
                self.expand_node(&key);
            } else {
                break;
            }
        }
    }

    /// Runs the queued jobs in waves: within a wave up to `concurrency` requests are in flight; the
    /// results are taken in the order the jobs were queued once the wave is over. Decisions (which
    /// repo comes with a listing, which is fetched alone) then depend on the answers only, never on
    /// timing, so a re-run over the cache asks for exactly the URLs the first run stored.
    async fn run(&mut self) {
        loop {
            self.settle();
            if self.queue.is_empty() {
                break;
            }
            let wave: Vec<Job> = self.queue.drain(..).collect();
            let results = self.run_wave(&wave).await;
            for (job, done) in wave.into_iter().zip(results) {
                self.take(job, done);
            }
        }
        if let Some(pb) = &self.progress {
            pb.finish_and_clear();
        }
    }

    async fn run_wave(&self, wave: &[Job]) -> Vec<Done> {
        let mut results: Vec<Option<Done>> = (0..wave.len()).map(|_| None).collect();
        let mut tasks: JoinSet<(usize, Done)> = JoinSet::new();
        let mut running: HashMap<tokio::task::Id, usize> = HashMap::new();
        let mut next = 0;
        loop {
            while tasks.len() < self.concurrency && next < wave.len() {
                let inner = Arc::clone(&self.inner);
                let job = wave[next].clone();
                let i = next;
                let handle = tasks.spawn(async move { (i, run_job(&inner, &job).await) });
                running.insert(handle.id(), i);
                next += 1;
            }
            if let Some(pb) = &self.progress {
                pb.set_message(format!(
                    "{} in flight, {} queued",
                    tasks.len(),
                    wave.len() - next
                ));
            }
            let Some(joined) = tasks.join_next_with_id().await else {
                break;
            };
            match joined {
                Ok((id, (i, done))) => {
                    running.remove(&id);
                    results[i] = Some(done);
                }
                Err(e) => {
                    // A task that panicked: its repo or listing fails closed below.
                    running.remove(&e.id());
                }
            }
        }
        results
            .into_iter()
            .zip(wave)
            .map(|(r, job)| {
                r.unwrap_or_else(|| {
                    let why = "internal error while fetching".to_string();
                    match job {
                        Job::Repo { .. } => {
                            Done::Repo(RepoOutcome::failed(Resolution::Unreachable { why }))
                        }
                        Job::List { .. } => Done::List(ListOutcome {
                            failure: Some(why),
                            ..ListOutcome::default()
                        }),
                    }
                })
            })
            .collect()
    }

    fn take(&mut self, job: Job, done: Done) {
        match (job, done) {
            (Job::Repo { key, .. }, Done::Repo(outcome)) => self.complete_repo(&key, outcome),
            (Job::List { parent, url }, Done::List(outcome)) => {
                self.complete_list(&parent, &url, outcome)
            }
            _ => {}
        }
    }

    /// Names why each node left unfetched was not crawled, and adds the listing edges of children
    /// that were listed but not fetched.
    fn finish(&mut self) -> Graph {
        let keys: Vec<NodeKey> = self
            .graph
            .node_indices()
            .map(|ix| self.graph.node(ix).key.clone())
            .collect();
        for key in keys {
            let Some(ix) = self.graph.find(&key) else {
                continue;
            };
            if !matches!(
                self.graph.node(ix).resolution,
                Resolution::NotCrawled { .. }
            ) {
                continue;
            }
            let why = match self.states.get(&key) {
                Some(st) if st.status != Status::Done && (st.up || st.down) => {
                    if !self.within_depth(st) {
                        format!("beyond the depth limit of {} hops", self.depth.unwrap_or(0))
                    } else {
                        format!(
                            "the node limit of {} repositories was reached",
                            self.max_nodes
                        )
                    }
                }
                _ => "outside the crawl: only descendants of the roots were fetched".to_string(),
            };
            self.graph.node_mut(ix).resolution = Resolution::NotCrawled { why };
            let listed_by = self
                .states
                .get(&key)
                .map(|s| s.listed_by.clone())
                .unwrap_or_default();
            for parent in listed_by {
                self.listing_edge(&parent, &key);
            }
        }
        std::mem::take(&mut self.graph)
    }
}

/// A finished job.
#[derive(Debug)]
enum Done {
    Repo(RepoOutcome),
    List(ListOutcome),
}

async fn run_job(inner: &Inner, job: &Job) -> Done {
    match job {
        Job::Repo {
            key,
            revision,
            listed,
        } => Done::Repo(fetch_repo(inner, key, revision.as_deref(), listed.clone()).await),
        Job::List { parent, url } => {
            // Hook: a finished sync covering this parent answers its first page without the Hub.
            if *url == inner.children_url(&listing_filter(parent)) {
                if let Some(children) = inner.synced_listing(parent) {
                    return Done::List(ListOutcome {
                        children,
                        ..ListOutcome::default()
                    });
                }
            }
            Done::List(fetch_list(inner, url).await)
        }
    }
}

/// The filter that lists a node's children: models naming it as base, or trained on a dataset.
fn listing_filter(key: &NodeKey) -> String {
    match key.kind {
        RepoKind::Model => format!("base_model:{}", key.id),
        RepoKind::Dataset => format!("dataset:{}", key.id),
    }
}

/// Resolves one repo: its API answer (unless a listing brought it) and README.md when the Hub has
/// no `cardData`.
async fn fetch_repo(
    inner: &Inner,
    key: &NodeKey,
    revision: Option<&str>,
    listed: Option<HubFacts>,
) -> RepoOutcome {
    // Hook: synced metadata (fresh, or any age offline) stands in for the API answer.
    let synced = match (&listed, revision) {
        (None, None) => inner.synced_facts(key),
        _ => None,
    };
    let facts = match listed.or(synced) {
        Some(f) => f,
        None => {
            let url = inner.api_url(key, revision);
            match inner.get(&url, true).await {
                Got::Ok { body, .. } => match serde_json::from_slice::<Value>(&body) {
                    Ok(v) => HubFacts::from_api(&v),
                    Err(e) => {
                        return RepoOutcome::failed(Resolution::Unreachable {
                            why: format!("the Hub's answer is not valid JSON: {e}"),
                        })
                    }
                },
                Got::Redirect(location) => {
                    return match inner.redirect_target(&url, &location, key.kind) {
                        Some(to) if to != *key => RepoOutcome::Renamed(to),
                        Some(_) => RepoOutcome::failed(Resolution::Unreachable {
                            why: "the Hub redirects the repository to itself".into(),
                        }),
                        None => RepoOutcome::failed(Resolution::Unreachable {
                            why: "the Hub redirected outside the configured endpoint; not followed"
                                .into(),
                        }),
                    }
                }
                Got::Refused {
                    status,
                    code,
                    message,
                } => return RepoOutcome::failed(refusal(status, code.as_deref(), &message)),
                Got::Failed(why) => return RepoOutcome::failed(Resolution::Unreachable { why }),
            }
        }
    };
    if facts.disabled {
        return RepoOutcome::failed(Resolution::Disabled);
    }
    let card = match &facts.card_data {
        Some(c) => c.clone(),
        None => {
            let rev = facts
                .sha
                .clone()
                .or_else(|| revision.map(str::to_string))
                .unwrap_or_else(|| "main".into());
            let failed = |resolution| RepoOutcome::Failed {
                resolution,
                sha: facts.sha.clone(),
                gated: facts.gated,
            };
            match inner.get(&inner.readme_url(key, &rev), false).await {
                Got::Ok { body, .. } => match card::parse_readme(&String::from_utf8_lossy(&body)) {
                    Ok(map) => map,
                    Err(e) => return failed(Resolution::Unparseable { why: e.0 }),
                },
                // No README: a card without metadata.
                Got::Refused { status: 404, .. } => Map::new(),
                Got::Refused {
                    status,
                    code,
                    message,
                } => return failed(refusal(status, code.as_deref(), &message)),
                Got::Redirect(_) => {
                    return failed(Resolution::Unreachable {
                        why: "README.md redirected elsewhere".into(),
                    })
                }
                Got::Failed(why) => {
                    return failed(Resolution::Unreachable {
                        why: format!("README.md: {why}"),
                    })
                }
            }
        }
    };
    outcome_from_facts(facts, card)
}

/// The outcome for a repo whose card is `cardData` (when present) or `readme_card`.
fn outcome_from_facts(facts: HubFacts, readme_card: Map<String, Value>) -> RepoOutcome {
    if facts.disabled {
        return RepoOutcome::failed(Resolution::Disabled);
    }
    let card = facts.card_data.as_ref().unwrap_or(&readme_card);
    RepoOutcome::Card {
        declared: card::declared(card, &facts),
        hub_relation: facts.relation,
        sha: facts.sha,
        gated: facts.gated,
    }
}

/// What a refusal means for the repo.
fn refusal(status: u16, code: Option<&str>, message: &str) -> Resolution {
    match status {
        404 => Resolution::NotFound,
        401 if message.contains("Invalid credentials") => Resolution::Unreachable {
            why: "the Hub rejected the token (HTTP 401, invalid credentials); check --token, HF_TOKEN or the token file"
                .into(),
        },
        401 => Resolution::NotFound,
        403 if code == Some("GatedRepo") => Resolution::Gated,
        403 if message.to_ascii_lowercase().contains("disabled") => Resolution::Disabled,
        403 => Resolution::Gated,
        s if message.is_empty() => Resolution::Unreachable {
            why: format!("the Hub answered HTTP {s}"),
        },
        s => Resolution::Unreachable {
            why: format!("the Hub answered HTTP {s}: {message}"),
        },
    }
}

/// One page of children.
async fn fetch_list(inner: &Inner, url: &Url) -> ListOutcome {
    let fail = |why: String| ListOutcome {
        failure: Some(why),
        ..ListOutcome::default()
    };
    let (body, next) = match inner.get(url, true).await {
        Got::Ok { body, next } => (body, next),
        Got::Redirect(_) => return fail("the listing was redirected; not followed".into()),
        Got::Refused {
            status, message, ..
        } => return fail(format!("HTTP {status}: {message}")),
        Got::Failed(why) => return fail(why),
    };
    let items = match serde_json::from_slice::<Value>(&body) {
        Ok(Value::Array(items)) => items,
        Ok(_) => return fail("the listing is not a list".into()),
        Err(e) => return fail(format!("the listing is not valid JSON: {e}")),
    };
    let children = items
        .iter()
        .filter_map(|item| {
            let id = item
                .get("id")
                .or_else(|| item.get("modelId"))
                .and_then(Value::as_str)?;
            lineage_core::id::validate_id(id).ok()?;
            Some((NodeKey::model(id), HubFacts::from_api(item)))
        })
        .collect();
    let mut out = ListOutcome {
        children,
        ..ListOutcome::default()
    };
    if let Some(n) = next {
        match inner.on_endpoint(url, &n) {
            Some(u) => out.next = Some(u),
            None => {
                out.failure =
                    Some("the next page is outside the configured endpoint; not followed".into())
            }
        }
    }
    out
}

/// The relation a listing item's tags give to `parent` (`base_model:<relation>:<parent>`), else
/// what its card and the Hub say overall.
fn listing_relation(parent: &NodeKey, facts: &HubFacts) -> Option<Relation> {
    if parent.kind == RepoKind::Dataset {
        return Some(Relation::TrainedOn);
    }
    let card_rel = facts
        .card_data
        .as_ref()
        .and_then(|c| card::scalar(c.get("base_model_relation")));
    let bases = facts
        .card_data
        .as_ref()
        .map(|c| card::string_list(c.get("base_model")).len())
        .filter(|n| *n > 0)
        .unwrap_or(facts.base_models.len().max(facts.tag_bases.len()));
    Some(Relation::infer(card_rel.as_deref(), facts.relation, bases))
}

pub(crate) type Parents = (Vec<Parent>, Vec<(NodeKey, String)>, Option<Relation>);

/// The parents a node's card names: valid Hub ids, the references that are not (to become
/// `invalid` nodes), and the node's relation to its base models.
pub(crate) fn parents_of(node: &Node, hub_relation: Option<Relation>) -> Parents {
    let d = &node.declared;
    let mut parents: Vec<Parent> = Vec::new();
    let mut invalid: Vec<(NodeKey, String)> = Vec::new();
    let mut push = |key: NodeKey, relation: Relation| {
        if !parents.iter().any(|p| p.key == key) {
            parents.push(Parent { key, relation });
        }
    };
    let mut relation = None;
    match node.key.kind {
        RepoKind::Model => {
            if !d.base_model.is_empty() {
                let rel = Relation::infer(
                    d.base_model_relation.as_deref(),
                    hub_relation,
                    d.base_model.len(),
                );
                relation = Some(rel);
                for b in &d.base_model {
                    match parse_card_ref(b, RepoKind::Model) {
                        Ok(k) => push(k, rel),
                        Err(e) => invalid.push((NodeKey::model(b.trim()), e.to_string())),
                    }
                }
            }
            for ds in &d.datasets {
                match parse_card_ref(ds, RepoKind::Dataset) {
                    Ok(k) => push(k, Relation::TrainedOn),
                    Err(e) => invalid.push((NodeKey::dataset(ds.trim()), e.to_string())),
                }
            }
        }
        RepoKind::Dataset => {
            for s in &d.source_datasets {
                match source_dataset_ref(s) {
                    Some(Ok(k)) => push(k, Relation::DerivedFrom),
                    Some(Err(e)) => invalid.push((NodeKey::dataset(s.trim()), e.to_string())),
                    None => {}
                }
            }
        }
    }
    (parents, invalid, relation)
}

/// Reads a `source_datasets` value: `original`/`extended` and free text are not ids (`None`);
/// `extended|x` names `x`; a local path or another host's URL is an upstream that cannot be followed.
fn source_dataset_ref(raw: &str) -> Option<Result<NodeKey, IdError>> {
    let v = raw.trim();
    if v.is_empty() || v.eq_ignore_ascii_case("original") || v.eq_ignore_ascii_case("extended") {
        return None;
    }
    let candidate = v.split_once('|').map_or(v, |(_, id)| id.trim());
    match parse_card_ref(candidate, RepoKind::Dataset) {
        Ok(k) => Some(Ok(k)),
        Err(IdError::Invalid(_) | IdError::Empty) => None,
        Err(e) => Some(Err(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Settings;
    use serde_json::json;

    fn listed(id: &str) -> (NodeKey, HubFacts) {
        let item =
            json!({"id": id, "cardData": {"license": "mit", "base_model": "a/root"}, "tags": []});
        (NodeKey::model(id), HubFacts::from_api(&item))
    }

    #[test]
    fn a_listing_whose_pages_bring_nothing_new_ends() {
        let hub = Hub::without_disk_cache(Settings::new("http://127.0.0.1:9", "/unused").unwrap())
            .unwrap();
        let clarify = Clarifications::none();
        let req = CrawlRequest::new(Vec::new(), Direction::Down);
        let mut c = Crawler::new(&hub.inner, &clarify, &req, None);
        let root = NodeKey::model("a/root");
        c.graph
            .upsert(Node::found(root.clone(), Declared::default()));
        let mut st = State::new();
        st.hops = 0;
        st.down = true;
        st.status = Status::Done;
        st.listing = Listing::Running(0);
        c.states.insert(root.clone(), st);
        let page =
            |n: u32| Url::parse(&format!("http://127.0.0.1:9/api/models?cursor={n}")).unwrap();
        let outcome = |n: u32| ListOutcome {
            children: vec![listed("a/kid")],
            next: Some(page(n)),
            failure: None,
        };
        c.complete_list(&root, &page(1), outcome(2));
        assert!(matches!(c.queue.back(), Some(Job::List { .. })));
        c.queue.clear();
        // The next page repeats the same child under a new cursor: stop rather than loop.
        c.complete_list(&root, &page(2), outcome(3));
        assert!(c.queue.is_empty());
        assert_eq!(c.incomplete.len(), 1);
        assert!(matches!(c.states[&root].listing, Listing::Done(0)));
        c.settle();
        assert_eq!(c.graph.node_count(), 2);
        assert_eq!(c.from_listing, 1);
    }

    #[test]
    fn source_dataset_values() {
        assert!(source_dataset_ref("original").is_none());
        assert!(source_dataset_ref("Extended").is_none());
        assert_eq!(
            source_dataset_ref("extended|glue").unwrap().unwrap(),
            NodeKey::dataset("glue")
        );
        assert_eq!(
            source_dataset_ref("laion/laion-2b").unwrap().unwrap(),
            NodeKey::dataset("laion/laion-2b")
        );
        assert!(source_dataset_ref("extended|not an id").is_none());
        assert!(source_dataset_ref("some free text").is_none());
        assert!(source_dataset_ref("https://example.com/data")
            .unwrap()
            .is_err());
    }

    #[test]
    fn refusals() {
        assert_eq!(refusal(404, Some("RepoNotFound"), ""), Resolution::NotFound);
        assert_eq!(
            refusal(401, Some("RepoNotFound"), "Invalid username or password."),
            Resolution::NotFound
        );
        assert!(matches!(
            refusal(401, None, "Invalid credentials in Authorization header"),
            Resolution::Unreachable { .. }
        ));
        assert_eq!(
            refusal(403, Some("GatedRepo"), "restricted"),
            Resolution::Gated
        );
        assert_eq!(
            refusal(403, None, "Access to this resource is disabled."),
            Resolution::Disabled
        );
        assert!(matches!(
            refusal(400, None, "bad"),
            Resolution::Unreachable { .. }
        ));
    }
}
