//! The engine: knowledge base + clarifications + Hub crawler + propagation, behind one call.

use lineage_core::audit::{self, AuditFilter, AuditSummary, Finding};
use lineage_core::catalog::Catalog;
use lineage_core::{
    assess, Assessment, Clarifications, DatasetPolicy, Fact, Graph, KnowledgeBase, NodeIndex,
    Propagation,
};
use lineage_core::{ConflictCode, NodeKey, RepoKind};
use lineage_hub::{
    Crawl, CrawlRequest, Direction, Hub, HubError, ImportReport, Settings, SyncObserver,
    SyncReport, SyncRequest, Target,
};
use std::path::Path;
use std::time::{Duration, Instant};

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
}

impl Engine {
    /// An engine over `kb` talking to the Hub described by `settings`, with the curated catalog on and
    /// the strict dataset policy.
    pub fn new(kb: KnowledgeBase, settings: Settings) -> Result<Engine, HubError> {
        let hub = Hub::new(settings)?;
        let mut clarifications = Clarifications::none();
        Catalog::builtin(&kb).add_to(&mut clarifications);
        Ok(Engine {
            kb,
            clarifications,
            dataset_policy: DatasetPolicy::Strict,
            hub,
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
        let mut req = CrawlRequest::new(roots, direction);
        req.depth = depth;
        let crawl = self.hub.crawl(&req, &self.clarifications).await?;
        let propagation = Propagation::run(&crawl.graph, &self.kb, self.dataset_policy);
        Ok(Trace {
            kb: &self.kb,
            crawl,
            propagation,
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
        assess(&self.crawl.graph, &self.propagation, self.kb, ix)
    }
}
