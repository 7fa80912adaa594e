//! Scheduling: what to fetch next. The crawl's state machine keeps one [`State`] per repository
//! (hops from a root, which way to walk, fetched or not, its listing of children), applies the depth
//! and node limits, fetches each repository at most once however many paths reach it (so cycles
//! end), and turns answers into nodes and edges through the card rules in `lineage_core::card`.

use super::fetch::{
    listing_filter, outcome_from_facts, run_job, Done, Job, ListOutcome, Listed, RepoOutcome,
};
use super::{CrawlRequest, Direction, Incomplete};
use crate::card::{self, CardEdges, Parent};
use crate::error::HubError;
use crate::hub::Inner;
use crate::local;
use crate::observe::{Event, Observer};
use crate::target::Target;
use lineage_core::history::AsOf;
use lineage_core::{
    Clarifications, Fallback, Graph, Node, NodeIndex, NodeKey, Relation, RepoKind, Resolution,
};
use serde_json::Map;
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::task::JoinSet;
use url::Url;

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
    prefetched: Option<Listed>,
    /// The node's relation to its bases, once resolved.
    relation: Option<Relation>,
    /// A clarification replaced the card's bases: the listing's view is not used.
    clarified_bases: bool,
    /// Waiting in `Crawler::deferred`.
    deferred: bool,
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
            deferred: false,
        }
    }
}

pub(super) struct Crawler<'a> {
    inner: Arc<Inner>,
    /// `--as-of` (issue #12): every repo is read at its last commit at or before it.
    as_of: Option<AsOf>,
    clarify: &'a Clarifications,
    direction: Direction,
    depth: Option<usize>,
    max_nodes: usize,
    concurrency: usize,
    /// Whether stalled requests are hedged (see [`Crawler::run`]).
    hedge: bool,
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
    pub incomplete: Vec<Incomplete>,
    pub repos: usize,
    pub from_listing: usize,
    observer: Arc<dyn Observer>,
    /// Requests under way, for progress events.
    in_flight: usize,
    /// Whether any listing was started: until then nothing can come with one.
    lists_started: bool,
    /// Models reached upwards whose fetch waits until no listing is pending (see `schedule`).
    deferred: Vec<NodeKey>,
}

/// A job under way: its attempts (two once it is hedged).
#[derive(Debug)]
struct Running {
    job: Job,
    hedged: bool,
    tasks: Vec<tokio::task::AbortHandle>,
}

/// The crawl's sense of how long an answer takes, to tell a stalled request from a normal one.
///
/// A request under way for [`Pace::FACTOR`] times the median answer time (and at least
/// [`Pace::FLOOR`]) is stalled: it is hedged and no longer holds a concurrency slot. Only answers
/// that took the network's time count (a cached answer takes microseconds), and nothing is judged
/// stalled before [`Pace::MIN_SAMPLES`] answers are in.
#[derive(Debug, Default)]
struct Pace {
    /// The last answer times, oldest first (at most [`Pace::WINDOW`]).
    recent: VecDeque<Duration>,
}

impl Pace {
    const FACTOR: u32 = 4;
    const FLOOR: Duration = Duration::from_millis(100);
    const MIN_SAMPLES: usize = 8;
    const WINDOW: usize = 64;
    /// Quicker than this, an answer came from the cache, not the network.
    const LOCAL: Duration = Duration::from_millis(2);

    fn record(&mut self, took: Duration) {
        if took < Self::LOCAL {
            return;
        }
        if self.recent.len() == Self::WINDOW {
            self.recent.pop_front();
        }
        self.recent.push_back(took);
    }

    /// How long a request may be under way before it gives its slot up; `None` until enough
    /// answers are in.
    fn slow_after(&self) -> Option<Duration> {
        if self.recent.len() < Self::MIN_SAMPLES {
            return None;
        }
        let mut times: Vec<Duration> = self.recent.iter().copied().collect();
        let mid = times.len() / 2;
        let (_, median, _) = times.select_nth_unstable(mid);
        Some((*median * Self::FACTOR).max(Self::FLOOR))
    }
}

impl<'a> Crawler<'a> {
    pub fn new(
        inner: &Arc<Inner>,
        clarify: &'a Clarifications,
        req: &CrawlRequest,
        observer: Arc<dyn Observer>,
    ) -> Crawler<'a> {
        let settings = &inner.settings;
        Crawler {
            inner: Arc::clone(inner),
            as_of: req.as_of.clone(),
            clarify,
            direction: req.direction,
            depth: req.depth.or(settings.max_depth),
            max_nodes: req.max_nodes.unwrap_or(settings.max_nodes).max(1),
            concurrency: settings.concurrency.max(1),
            hedge: settings.hedge,
            graph: Graph::new(),
            states: HashMap::new(),
            queue: VecDeque::new(),
            ready: VecDeque::new(),
            expand: VecDeque::new(),
            scheduled: 0,
            incomplete: Vec::new(),
            repos: 0,
            from_listing: 0,
            observer,
            in_flight: 0,
            lists_started: false,
            deferred: Vec::new(),
        }
    }

    /// The keys of `ixs` in the graph being built.
    pub fn graph_keys(&self, ixs: &[NodeIndex]) -> Vec<NodeKey> {
        ixs.iter()
            .map(|&ix| self.graph.node(ix).key.clone())
            .collect()
    }

    pub fn add_root(&mut self, target: &Target) -> Result<NodeIndex, HubError> {
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
        self.schedule_as(key, true);
    }

    /// [`Self::schedule`], where `may_defer` says whether a model reached upwards may wait for the
    /// crawl to be quiet (it may not once the crawl is quiet).
    fn schedule_as(&mut self, key: &NodeKey, may_defer: bool) {
        let at_limit = self.scheduled >= self.max_nodes;
        let Some(st) = self.states.get_mut(key) else {
            return;
        };
        let hops = st.hops;
        if !(st.up || st.down) || st.status != Status::Pending {
            return;
        }
        if !key.kind.is_hub() {
            // A hosted service is never fetched (its terms come from the knowledge base): it is
            // answered here, without a request, and counts against no limit.
            st.status = Status::InFlight;
            let mut node = Node::placeholder(key.clone());
            node.resolution = Resolution::Service;
            self.record(key, node, None);
            return;
        }
        let up_only = self.direction == Direction::Both && st.up && !st.down;
        if (!up_only && self.depth.is_some_and(|d| hops > d)) || (at_limit && hops > 0) {
            return;
        }
        // A model reached only upwards may still come with a listing: once listings are under way,
        // it waits until the crawl is quiet before it is fetched alone. Which repos come with a listing then depends
        // on the answers only, never on timing, so a re-run over the cache asks for exactly the URLs
        // the first run stored (and a listing saves the request).
        if may_defer
            && up_only
            && hops > 0
            && key.kind == RepoKind::Model
            && st.prefetched.is_none()
            && self.lists_started
        {
            if !st.deferred {
                st.deferred = true;
                self.deferred.push(key.clone());
            }
            return;
        }
        self.scheduled += 1;
        st.status = Status::InFlight;
        // A listing item is today's card: with `--as-of` the repo is read at the date instead.
        let prefetched = st.prefetched.take().filter(|_| self.as_of.is_none());
        match prefetched {
            Some(l) if l.facts.card_data.is_some() => {
                self.from_listing += 1;
                let outcome = outcome_from_facts(l.facts, Map::new(), l.stale);
                self.ready.push_back((key.clone(), outcome));
            }
            listed => self.queue.push_back(Job::Repo {
                key: key.clone(),
                revision: st.revision.clone(),
                listed: listed.map(Box::new),
            }),
        }
    }

    /// Turns a resolved repo into its node and edges.
    fn complete_repo(&mut self, key: &NodeKey, outcome: RepoOutcome) {
        self.repos += 1;
        self.observer.event(&Event::Resolved {
            key: key.clone(),
            resolved: self.repos,
            in_flight: self.in_flight,
            queued: self.queue.len(),
        });
        match outcome {
            RepoOutcome::Card {
                declared,
                hub_relation,
                sha,
                gated,
                fallback,
                inferred,
                created_at,
                last_modified,
            } => {
                // Reading as of a date is what was asked for, not a stand-in worth a warning.
                if let Some(f) = fallback
                    .as_ref()
                    .filter(|f| !matches!(f, Fallback::AsOf { .. }))
                {
                    self.observer.event(&Event::Warning {
                        message: format!("{key}: {}", f.describe()),
                    });
                }
                let mut node = Node::found(key.clone(), *declared);
                node.revision = sha;
                node.gated = gated;
                node.fallback = fallback.map(Box::new);
                node.created_at = created_at;
                node.last_modified = last_modified;
                self.clarify.apply(&mut node);
                // Catalog and policy facts first: inference fills only what they left open.
                inferred.apply(&mut node);
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
        let edges = if follows_card {
            card::parents_of(&node, hub_relation)
        } else {
            CardEdges::default()
        };
        let ix = self.graph.upsert(node);
        for (bad, why) in &edges.invalid {
            let bix = match self.graph.find(bad) {
                Some(b) => b,
                None => {
                    let mut n = Node::placeholder(bad.clone());
                    n.resolution = Resolution::Invalid { why: why.clone() };
                    self.graph.upsert(n)
                }
            };
            self.graph
                .add_edge(bix, ix, edges.invalid_relation(bad, key));
        }
        for p in &edges.parents {
            let pix = self.graph.ensure(&p.key);
            self.graph.add_edge(pix, ix, p.relation);
        }
        if let Some(st) = self.states.get_mut(key) {
            st.parents = edges.parents;
            st.relation = edges.relation;
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
        // A hosted service has no children on the Hub to list.
        let children_in_depth = key.kind.is_hub() && self.depth.is_none_or(|d| hops < d);
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
                self.lists_started = true;
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
        for (child, listed) in outcome.children {
            if child == *parent {
                continue;
            }
            let listed_relation = Some(card::listing_relation(parent, &listed.facts));
            let new = {
                let cst = self.states.entry(child.clone()).or_insert_with(State::new);
                let new = !cst.listed_by.contains(parent);
                if new {
                    cst.listed_by.push(parent.clone());
                }
                cst.listed_relation = cst.listed_relation.or(listed_relation);
                if cst.status == Status::Pending && cst.prefetched.is_none() {
                    cst.prefetched = Some(listed);
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
                    self.lists_started = true;
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

    /// Runs jobs with continuous dispatch: up to `concurrency` requests are in flight, and a new one
    /// starts as soon as a slot frees. A request that takes far longer than the others (see
    /// [`Pace`]) is hedged: the same request is sent once more, the first answer is taken and the
    /// other attempt dropped, so one stalled answer does not hold the whole crawl back. A stalled
    /// attempt gives its slot to its hedge; at most twice `concurrency` are ever open, and nothing is
    /// hedged while the Hub asks to wait (429). Results are taken in the order they arrive, so which
    /// repo comes with its parent's listing and which is fetched alone can depend on timing; the
    /// graph the crawl returns does not (see [`Graph::sorted`]).
    pub async fn run(&mut self) {
        let mut tasks: JoinSet<Done> = JoinSet::new();
        // Attempts under way (job number, start); jobs by number with their attempts.
        let mut attempts: HashMap<tokio::task::Id, (u64, Instant)> = HashMap::new();
        let mut jobs: HashMap<u64, Running> = HashMap::new();
        let mut next_job = 0u64;
        let mut pace = Pace::default();
        loop {
            self.settle();
            if tasks.is_empty() && self.queue.is_empty() {
                // Quiet: no listing can still bring the deferred models, so fetch them alone.
                if self.deferred.is_empty() {
                    break;
                }
                for key in std::mem::take(&mut self.deferred) {
                    if let Some(st) = self.states.get_mut(&key) {
                        st.deferred = false;
                    }
                    self.schedule_as(&key, false);
                }
                self.settle();
            }
            let slow_after = pace
                .slow_after()
                .filter(|_| self.hedge && !self.inner.rate_limited());
            loop {
                let now = Instant::now();
                let is_slow = |at: Instant| slow_after.is_some_and(|t| now - at >= t);
                let holding = attempts.values().filter(|(_, at)| !is_slow(*at)).count();
                if holding >= self.concurrency || tasks.len() >= 2 * self.concurrency {
                    break;
                }
                // A stalled job not hedged yet goes first; else the next job.
                let stalled = attempts
                    .values()
                    .filter(|(n, at)| is_slow(*at) && jobs.get(n).is_some_and(|j| !j.hedged))
                    .map(|(n, _)| *n)
                    .min();
                let number = match stalled {
                    Some(n) => n,
                    None => {
                        let Some(job) = self.queue.pop_front() else {
                            break;
                        };
                        next_job += 1;
                        jobs.insert(
                            next_job,
                            Running {
                                job,
                                hedged: false,
                                tasks: Vec::new(),
                            },
                        );
                        next_job
                    }
                };
                let entry = jobs
                    .get_mut(&number)
                    .expect("the job was just found or added");
                entry.hedged |= stalled.is_some();
                let inner = Arc::clone(&self.inner);
                let observer = Arc::clone(&self.observer);
                let task_job = entry.job.clone();
                let as_of = self.as_of.clone();
                let handle = tasks.spawn(async move {
                    run_job(&inner, &task_job, as_of.as_ref(), &*observer).await
                });
                attempts.insert(handle.id(), (number, Instant::now()));
                entry.tasks.push(handle);
            }
            self.in_flight = tasks.len();
            // Wait for an answer, or until the next attempt under way turns slow.
            let next_slow = slow_after.and_then(|t| {
                let now = Instant::now();
                attempts
                    .values()
                    .filter(|(n, _)| jobs.get(n).is_some_and(|j| !j.hedged))
                    .map(|(_, at)| *at + t)
                    .filter(|due| *due > now)
                    .min()
            });
            let joined = match next_slow {
                Some(due) => {
                    tokio::select! {
                        joined = tasks.join_next_with_id() => joined,
                        () = tokio::time::sleep_until(due.into()) => continue,
                    }
                }
                None => tasks.join_next_with_id().await,
            };
            let Some(joined) = joined else {
                break;
            };
            let (id, done) = match joined {
                Ok((id, done)) => (id, Some(done)),
                // A task that panicked: its repo or listing fails closed. (A dropped attempt was
                // forgotten when it was dropped.)
                Err(e) => (e.id(), None),
            };
            let Some((number, started)) = attempts.remove(&id) else {
                continue;
            };
            let Some(Running {
                job, tasks: all, ..
            }) = jobs.remove(&number)
            else {
                continue;
            };
            // The first answer wins; the other attempt of a hedged job is dropped.
            for other in all.iter().filter(|h| h.id() != id) {
                other.abort();
                attempts.remove(&other.id());
            }
            self.in_flight = tasks.len() - (all.len() - 1);
            pace.record(started.elapsed());
            let done = done.unwrap_or_else(|| {
                let why = "internal error while fetching".to_string();
                match &job {
                    Job::Repo { .. } => {
                        Done::Repo(RepoOutcome::failed(Resolution::Unreachable { why }))
                    }
                    Job::List { .. } => Done::List(ListOutcome {
                        failure: Some(why),
                        ..ListOutcome::default()
                    }),
                }
            });
            self.take(job, done);
        }
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
    pub fn finish(&mut self) -> Graph {
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
        self.incomplete
            .sort_by(|a, b| (&a.key, &a.why).cmp(&(&b.key, &b.why)));
        self.incomplete.dedup();
        self.graph.sorted()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Hub, Settings};
    use lineage_core::Declared;
    use serde_json::json;

    fn listed(id: &str) -> (NodeKey, Listed) {
        let item =
            json!({"id": id, "cardData": {"license": "mit", "base_model": "a/root"}, "tags": []});
        let facts = crate::card::HubFacts::from_api(&item);
        (NodeKey::model(id), Listed { facts, stale: None })
    }

    #[test]
    fn pace_tells_a_stalled_request_from_the_network_s_usual_time() {
        let ms = Duration::from_millis;
        let mut pace = Pace::default();
        for _ in 0..100 {
            // Answers from the cache say nothing about the network.
            pace.record(Duration::from_micros(300));
        }
        assert_eq!(pace.slow_after(), None);
        for i in 0..7 {
            pace.record(ms(40 + i));
        }
        assert_eq!(pace.slow_after(), None, "not before enough answers are in");
        pace.record(ms(900));
        assert_eq!(
            pace.slow_after(),
            Some(ms(44) * Pace::FACTOR),
            "the median, not the mean"
        );
        let mut quick = Pace::default();
        for _ in 0..Pace::MIN_SAMPLES {
            quick.record(ms(3));
        }
        assert_eq!(quick.slow_after(), Some(Pace::FLOOR));
        // Only the recent answers count: the pace follows the network.
        for _ in 0..Pace::WINDOW {
            pace.record(ms(200));
        }
        assert_eq!(pace.slow_after(), Some(ms(200) * Pace::FACTOR));
    }

    #[test]
    fn a_listing_whose_pages_bring_nothing_new_ends() {
        let hub = Hub::without_disk_cache(Settings::new("http://127.0.0.1:9", "/unused").unwrap())
            .unwrap();
        let clarify = Clarifications::none();
        let req = CrawlRequest::new(Vec::new(), Direction::Down);
        let mut c = Crawler::new(&hub.inner, &clarify, &req, Arc::new(crate::observe::Silent));
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
}
