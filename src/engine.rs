//! The engine: knowledge base + clarifications + Hub crawler + propagation, behind one call.

use lineage_core::catalog::Catalog;
use lineage_core::{
    assess, Assessment, Clarifications, DatasetPolicy, Fact, Graph, KnowledgeBase, NodeIndex,
    Propagation,
};
use lineage_hub::{Crawl, CrawlRequest, Direction, Hub, HubError, Settings, Target};

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
