//! The engine: knowledge base + clarifications + Hub crawler + propagation, behind one call.

use lineage_core::audit::{self, AuditFilter, AuditSummary, Finding};
use lineage_core::catalog::Catalog;
use lineage_core::export::{judge_descendants, Descendant, Scope, View};
use lineage_core::history::relicense::{self, Relicensed, Timelines};
use lineage_core::history::AsOf;
use lineage_core::{
    assess, Assessment, Clarifications, DatasetPolicy, Fact, Graph, KnowledgeBase, NodeIndex,
    Propagation,
};
use lineage_core::{ConflictCode, NodeKey, RepoKind};
use lineage_hub::{
    Crawl, CrawlRequest, Direction, Hub, HubError, ImportReport, Observer, Settings, SyncObserver,
    SyncReport, SyncRequest, Target,
};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

mod history;
pub use history::HistoryOutcome;

/// Which part of a lineage a report shows. It decides the crawl: the ancestry of everything shown
/// is always crawled in full, so every verdict shown is complete; a depth bounds only the walk
/// down and what is drawn.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Show {
    /// The model and its ancestors (`graph`, `check`).
    #[default]
    Ancestry,
    /// The model and its descendants, each judged with its full ancestry (`graph --down`,
    /// `descendants`).
    Descendants,
    /// Both (`graph --both`).
    Both,
}

impl Show {
    /// The crawl direction, the crawl depth and the view scope that show this part at most
    /// `depth` edges from the root.
    pub fn plan(self, depth: Option<usize>) -> (Direction, Option<usize>, Scope) {
        match self {
            Show::Ancestry => (Direction::Up, None, Scope::UP.with_depth(depth)),
            Show::Descendants => (Direction::Both, depth, Scope::DOWN.with_depth(depth)),
            Show::Both => (Direction::Both, depth, Scope::BOTH.with_depth(depth)),
        }
    }
}

/// Traces lineages and judges them, with one knowledge base, one set of clarifications and one Hub.
///
/// Clarifications are the user's policy facts over the curated catalog (on by default); the dataset
/// policy decides whether training-data terms bind models (`strict`, the default) or only advise.
#[derive(Debug)]
pub struct Engine {
    kb: KnowledgeBase,
    clarifications: Clarifications,
    dataset_policy: DatasetPolicy,
    hub: Hub,
    observer: Option<Arc<dyn Observer>>,
    /// `--as-of` (issue #12): every repo is read at its last commit at or before it.
    as_of: Option<AsOf>,
    /// Dated license changes for the `license-changed` finding (the catalog's, with the catalog on).
    timelines: Timelines,
}

impl Engine {
    /// An engine over `kb` talking to the Hub described by `settings`, with the curated catalog on and
    /// the strict dataset policy.
    pub fn new(kb: KnowledgeBase, settings: Settings) -> Result<Engine, HubError> {
        let hub = Hub::new(settings)?;
        let mut clarifications = Clarifications::none();
        let catalog = Catalog::builtin(&kb);
        catalog.add_to(&mut clarifications);
        let timelines = Timelines::from_catalog(&catalog);
        Ok(Engine {
            kb,
            clarifications,
            dataset_policy: DatasetPolicy::Strict,
            hub,
            observer: None,
            as_of: None,
            timelines,
        })
    }

    /// Turns the curated catalog off (`--no-catalog`): only cards and the user's own facts count.
    pub fn without_catalog(mut self) -> Engine {
        let mut kept = Clarifications::none();
        for f in self.clarifications.all() {
            if matches!(f.source, lineage_core::ClarifySource::Policy { .. }) {
                kept.add(f.clone());
            }
        }
        self.clarifications = kept;
        self.timelines = Timelines::none();
        self
    }

    /// Reads every repo at its last commit at or before `as_of` (`--as-of`); `None`: today.
    ///
    /// A catalog license fact is today's: for a repo with dated license changes it is replaced by
    /// the license in force at `as_of`, so the catalog does not mask the old card.
    pub fn with_as_of(mut self, as_of: Option<AsOf>) -> Engine {
        if let Some(a) = &as_of {
            let mut dated = Clarifications::none();
            for f in self.clarifications.all() {
                let mut f = f.clone();
                if matches!(f.source, lineage_core::ClarifySource::Catalog { .. }) {
                    if let Some(then) = self.timelines.license_at(&f.repo, a.moment) {
                        f.license = Some(vec![then.to_string()]);
                    }
                }
                dated.add(f);
            }
            self.clarifications = dated;
        }
        self.as_of = as_of;
        self
    }

    /// Adds facts from the user's policy file; they win over the catalog.
    pub fn with_facts(mut self, facts: impl IntoIterator<Item = Fact>) -> Engine {
        for f in facts {
            self.clarifications.add(f);
        }
        self
    }

    /// Sets the dataset policy.
    pub fn with_dataset_policy(mut self, policy: DatasetPolicy) -> Engine {
        self.dataset_policy = policy;
        self
    }

    /// Reports crawl progress, rate-limit waits and warnings to `observer` (the library never prints).
    pub fn with_observer(mut self, observer: Arc<dyn Observer>) -> Engine {
        self.observer = Some(observer);
        self
    }

    /// The knowledge base in use.
    pub fn knowledge_base(&self) -> &KnowledgeBase {
        &self.kb
    }

    /// The Hub client in use.
    pub fn hub(&self) -> &Hub {
        &self.hub
    }

    /// Crawls from `roots` in `direction` (at most `depth` hops, `None` for the settings' limit) and
    /// propagates license terms over everything found.
    pub async fn trace(
        &self,
        roots: Vec<Target>,
        direction: Direction,
        depth: Option<usize>,
    ) -> Result<Trace<'_>, HubError> {
        let scope = match direction {
            Direction::Up => Scope::UP,
            Direction::Down => Scope::DOWN,
            Direction::Both => Scope::BOTH,
        };
        self.crawl_and_propagate(roots, direction, depth, scope.with_depth(depth))
            .await
    }

    /// Crawls what it takes to show `show` of `roots` at most `depth` edges out (see [`Show`]) and
    /// propagates license terms; [`Trace::view`] is then that part.
    pub async fn trace_to_show(
        &self,
        roots: Vec<Target>,
        show: Show,
        depth: Option<usize>,
    ) -> Result<Trace<'_>, HubError> {
        let (direction, crawl_depth, scope) = show.plan(depth);
        self.crawl_and_propagate(roots, direction, crawl_depth, scope)
            .await
    }

    async fn crawl_and_propagate(
        &self,
        roots: Vec<Target>,
        direction: Direction,
        depth: Option<usize>,
        scope: Scope,
    ) -> Result<Trace<'_>, HubError> {
        let mut req = CrawlRequest::new(roots, direction);
        req.depth = depth;
        req.observer = self.observer.clone();
        req.as_of = self.as_of.clone();
        let crawl = self.hub.crawl(&req, &self.clarifications).await?;
        let propagation = Propagation::run(&crawl.graph, &self.kb, self.dataset_policy);
        Ok(Trace {
            kb: &self.kb,
            crawl,
            propagation,
            scope,
            timelines: &self.timelines,
        })
    }
}

/// What to audit in the synced cache.
#[derive(Clone, Debug, Default)]
pub struct AuditRequest {
    /// Only the descendants of this model.
    pub base: Option<NodeKey>,
    /// Only models whose card declares this license.
    pub license: Option<String>,
    /// Only models of this author.
    pub author: Option<String>,
    /// Only findings with this code.
    pub code: Option<ConflictCode>,
    /// Give each finding its path up to the culprit.
    pub paths: bool,
}

/// What an audit found, and what it took.
#[derive(Clone, Debug, Default)]
pub struct AuditOutcome {
    /// Counts and groups.
    pub summary: AuditSummary,
    /// Nodes in the synced graph (synced repos and the repos they name).
    pub nodes: usize,
    /// The `base` asked for is not in the synced data (nothing was audited).
    pub base_missing: bool,
    /// Time to load the cache into the graph.
    pub load: Duration,
    /// Time to propagate terms.
    pub propagate: Duration,
    /// Time to judge and stream the findings.
    pub judge: Duration,
}

impl Engine {
    /// Pages through the Hub's listing(s) and stores every repo's metadata in the cache (see
    /// [`Hub::sync`]); afterwards `trace` answers from it while it is fresh, and offline.
    pub async fn sync(
        &self,
        req: &SyncRequest,
        observer: &dyn SyncObserver,
    ) -> Result<SyncReport, HubError> {
        self.hub.sync(req, observer).await
    }

    /// Imports a JSON-lines dump of listing objects (`kind` repos) into the cache, with no network.
    pub fn sync_from(
        &self,
        path: &Path,
        kind: RepoKind,
        observer: &dyn SyncObserver,
    ) -> Result<ImportReport, HubError> {
        self.hub.sync_from(path, kind, observer)
    }

    /// Audits everything synced: loads the cache into one graph, propagates once, and calls `sink`
    /// with every finding as it is found (the output streams; only group counts are kept).
    pub fn audit(
        &self,
        req: &AuditRequest,
        sink: impl FnMut(&Finding<'_>),
    ) -> Result<AuditOutcome, HubError> {
        let t0 = Instant::now();
        let graph = self.hub.synced_graph(&self.clarifications)?;
        let load = t0.elapsed();
        let base = match &req.base {
            Some(key) => match graph.find(key) {
                Some(ix) => Some(ix),
                None => {
                    return Ok(AuditOutcome {
                        nodes: graph.node_count(),
                        base_missing: true,
                        load,
                        ..AuditOutcome::default()
                    })
                }
            },
            None => None,
        };
        let t1 = Instant::now();
        let propagation = Propagation::run(&graph, &self.kb, self.dataset_policy);
        let propagate = t1.elapsed();
        let filter = AuditFilter {
            base,
            license: req.license.clone(),
            author: req.author.clone(),
            code: req.code,
            paths: req.paths,
        };
        let t2 = Instant::now();
        let summary = audit::audit(&graph, &propagation, &self.kb, &filter, sink);
        Ok(AuditOutcome {
            summary,
            nodes: graph.node_count(),
            base_missing: false,
            load,
            propagate,
            judge: t2.elapsed(),
        })
    }
}

/// A crawled and propagated lineage: judge any node of it.
#[derive(Debug)]
pub struct Trace<'e> {
    kb: &'e KnowledgeBase,
    /// What the crawler found and what it cost.
    pub crawl: Crawl,
    /// Effective terms of every node.
    pub propagation: Propagation,
    /// The part of the lineage the trace was made to show.
    scope: Scope,
    /// Dated license changes for the `license-changed` finding.
    timelines: &'e Timelines,
}

impl Trace<'_> {
    /// The lineage graph.
    pub fn graph(&self) -> &Graph {
        &self.crawl.graph
    }

    /// The root nodes, in the order they were given.
    pub fn roots(&self) -> &[NodeIndex] {
        &self.crawl.roots
    }

    /// The knowledge base the terms were resolved with.
    pub fn knowledge_base(&self) -> &KnowledgeBase {
        self.kb
    }

    /// The verdict on a node, with conditions, reasons, conflicts and unresolved ancestors.
    pub fn assess(&self, ix: NodeIndex) -> Assessment {
        let mut a = assess(&self.crawl.graph, &self.propagation, self.kb, ix);
        // Hook (issue #12): ancestors relicensed since the node was created.
        a.conflicts
            .extend(relicense::findings(&self.crawl.graph, ix, self.timelines));
        a
    }

    /// The part of the lineage the trace was made to show, ready for the exports.
    pub fn view(&self) -> View<'_> {
        View::new(
            self.graph(),
            &self.propagation,
            self.kb,
            self.roots(),
            self.scope,
        )
        .with_findings({
            let relicensed = Relicensed::new(self.graph(), self.timelines);
            move |ix| relicensed.findings(self.graph(), ix)
        })
    }

    /// The descendants of the first root within the trace's scope, each judged on the cheap path
    /// (verdict and conflicts with their culprits, no explanations: [`Trace::assess`] builds those
    /// for what is printed), in report order: those with conflicts first (the laundering audit),
    /// then the most restrictive verdicts, then by id.
    pub fn descendants(&self) -> Vec<Descendant> {
        let Some(&root) = self.roots().first() else {
            return Vec::new();
        };
        // Hook (issue #12): ancestors relicensed since each derivative was created.
        let relicensed = Relicensed::new(self.graph(), self.timelines);
        judge_descendants(
            self.graph(),
            &self.propagation,
            self.kb,
            root,
            self.scope.depth,
            &|ix| relicensed.findings(self.graph(), ix),
        )
    }
}
