//! The lineage graph: repositories as nodes, derivation facts as edges from parent to child.

use crate::id::NodeKey;
use petgraph::graph::DiGraph;
use petgraph::visit::EdgeRef;
use petgraph::Direction;
use rustc_hash::FxBuildHasher;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::hash::BuildHasher;

pub use petgraph::graph::NodeIndex;

/// How a child derives from its parent; decides which terms pass along the edge.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Relation {
    /// Weights trained further from the parent's weights.
    Finetune,
    /// An adapter (e.g. LoRA) on the parent's weights.
    Adapter,
    /// A quantized copy of the parent.
    Quantized,
    /// A merge of several parents.
    Merge,
    /// A model trained on a dataset (dataset → model).
    TrainedOn,
    /// A dataset derived from another dataset (dataset → dataset).
    DerivedFrom,
    /// The Hub redirects the old id (child) to the new id (parent): the same repository.
    Renamed,
    /// A dataset written by a model or hosted service (generator → dataset); carries the generator's
    /// output terms, never its license terms.
    GeneratedBy,
}

impl Relation {
    /// The kebab-case name used in outputs.
    pub fn as_str(self) -> &'static str {
        match self {
            Relation::Finetune => "finetune",
            Relation::Adapter => "adapter",
            Relation::Quantized => "quantized",
            Relation::Merge => "merge",
            Relation::TrainedOn => "trained-on",
            Relation::DerivedFrom => "derived-from",
            Relation::Renamed => "renamed",
            Relation::GeneratedBy => "generated-by",
        }
    }

    /// Reads a model-to-model relation as cards and the Hub write it (`finetune`, `adapter`, ...).
    pub fn parse_model_relation(s: &str) -> Option<Relation> {
        match s.trim().to_ascii_lowercase().as_str() {
            "finetune" | "fine-tune" | "finetuned" => Some(Relation::Finetune),
            "adapter" | "lora" => Some(Relation::Adapter),
            "quantized" | "quantization" => Some(Relation::Quantized),
            "merge" | "merged" => Some(Relation::Merge),
            _ => None,
        }
    }

    /// The relation of a model to its base models, by the design's order of evidence: the card's
    /// `base_model_relation`, else what the Hub computed (`baseModels` / tags), else `merge` for two or
    /// more bases and `finetune` otherwise.
    pub fn infer(declared: Option<&str>, hub: Option<Relation>, base_count: usize) -> Relation {
        declared
            .and_then(Relation::parse_model_relation)
            .or(hub)
            .unwrap_or(if base_count >= 2 {
                Relation::Merge
            } else {
                Relation::Finetune
            })
    }
}

impl fmt::Display for Relation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a card declares, as written (after YAML parsing; strings or lists made into lists).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Declared {
    /// `license`: usually one identifier, sometimes a list.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub license: Vec<String>,
    /// `license_name`, meaningful with `license: other`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub license_name: Option<String>,
    /// `license_link`: a URL or a file in the repo.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub license_link: Option<String>,
    /// `base_model` ids as written.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub base_model: Vec<String>,
    /// `base_model_relation` as written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_model_relation: Option<String>,
    /// `datasets` ids as written.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub datasets: Vec<String>,
    /// `source_datasets` (dataset cards) as written.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub source_datasets: Vec<String>,
    /// `generated_by` (dataset cards, catalog, policy): the models (`org/name`) or hosted services
    /// (`service:org/name`) that wrote the data.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub generated_by: Vec<String>,
    /// The card or the Hub tags the data `synthetic` or `machine-generated`: a hint that some
    /// generator's output terms may apply, never a guess at which one.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub synthetic: bool,
}

impl Declared {
    /// Whether the card declares any license field at all.
    pub fn has_license(&self) -> bool {
        !self.license.is_empty() || self.license_name.is_some() || self.license_link.is_some()
    }
}

/// An answer that stands in for the Hub's current one, because the Hub did not serve the repo. The
/// verdict uses it, and every output says so.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Fallback {
    /// A cached answer past its time-to-live.
    StaleCache {
        /// When the answer was fetched (seconds since the Unix epoch).
        fetched_at: i64,
        /// Why no fresh answer was had (the Hub's failure, or offline mode).
        why: String,
    },
    /// The curated catalog answered for a repo whose card was not read.
    Catalog {
        /// What the Hub said instead (not found, unreachable, offline...).
        why: String,
    },
    /// `--as-of`: the card was read at the repo's last commit at or before a date, not today.
    AsOf {
        /// The date asked for, as given.
        as_of: String,
        /// The commit read.
        commit: String,
        /// That commit's date (RFC 3339).
        committed: String,
    },
}

impl Fallback {
    /// One line for humans, e.g. `stale cache from 2026-11-30 (the Hub could not be reached: ...)`.
    pub fn describe(&self) -> String {
        match self {
            Fallback::StaleCache { fetched_at, why } => {
                format!(
                    "answered from a stale cache entry fetched {} ({why})",
                    utc_date(*fetched_at)
                )
            }
            Fallback::Catalog { why } => {
                format!("answered from the curated catalog; no card was read ({why})")
            }
            Fallback::AsOf {
                as_of,
                commit,
                committed,
            } => format!(
                "read as of {as_of}: revision {commit} of {}",
                committed.get(..10).unwrap_or(committed)
            ),
        }
    }
}

/// `YYYY-MM-DD` of a Unix time (UTC), by the civil-from-days algorithm.
pub(crate) fn utc_date(secs: i64) -> String {
    let z = secs.div_euclid(86_400) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// How a node's metadata was obtained, or why it could not be.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum Resolution {
    /// The card was read.
    Found,
    /// The Hub answered 404 (or 401 without a usable token): no such repo, or private.
    NotFound,
    /// The Hub refused the metadata: gated (403 GatedRepo).
    Gated,
    /// The Hub said the repo is disabled (403).
    Disabled,
    /// Network errors, 5xx or truncated answers persisted through the retries, or offline without cache.
    Unreachable {
        /// What went wrong, for the reasons list.
        why: String,
    },
    /// The repo answered but its card could not be parsed.
    Unparseable {
        /// The parse error.
        why: String,
    },
    /// The Hub redirected this id to another one (see the `renamed` edge).
    Renamed {
        /// The new id.
        to: String,
    },
    /// The crawl stopped before reaching this node (depth or node limit).
    NotCrawled {
        /// Which limit stopped it.
        why: String,
    },
    /// The card named something that is not a Hub id (a local path, another host's URL).
    Invalid {
        /// What was wrong with the reference.
        why: String,
    },
    /// No card was read; the facts come from the curated catalog alone.
    Curated,
    /// A hosted service: never fetched from the Hub; its terms come from the knowledge base.
    Service,
    /// `--as-of`: the repo had no commit at or before the date; it did not exist yet.
    NotYetCreated {
        /// The date asked for, as given.
        as_of: String,
        /// The repo's first commit date (RFC 3339), when known.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        created: Option<String>,
    },
}

impl Resolution {
    /// Whether the node's own metadata is known (its card or the catalog answered).
    pub fn is_known(&self) -> bool {
        matches!(
            self,
            Resolution::Found | Resolution::Curated | Resolution::Service
        )
    }

    /// A short human description of the status, e.g. `not found on the Hub`.
    pub fn describe(&self) -> String {
        match self {
            Resolution::Found => "card read".into(),
            Resolution::NotFound => "not found on the Hub (missing or private)".into(),
            Resolution::Gated => "gated: the Hub refused the metadata".into(),
            Resolution::Disabled => "disabled on the Hub".into(),
            Resolution::Unreachable { why } => format!("unreachable: {why}"),
            Resolution::Unparseable { why } => format!("card unparseable: {why}"),
            Resolution::Renamed { to } => format!("renamed to {to}"),
            Resolution::NotCrawled { why } => format!("not crawled: {why}"),
            Resolution::Invalid { why } => format!("invalid reference: {why}"),
            Resolution::Curated => "answered from the curated catalog".into(),
            Resolution::Service => "hosted service: terms from the knowledge base".into(),
            Resolution::NotYetCreated { as_of, created } => match created {
                Some(c) => format!(
                    "did not exist yet on {as_of} (first commit {})",
                    c.get(..10).unwrap_or(c)
                ),
                None => format!("did not exist yet on {as_of}"),
            },
        }
    }
}

/// Where a fact that overrides or completes a card came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "by", rename_all = "kebab-case")]
pub enum ClarifySource {
    /// The curated catalog shipped with lineage.
    Catalog {
        /// The URL or text the fact was read from.
        source: String,
    },
    /// A `[[clarify]]` entry in the user's policy file.
    Policy {
        /// The reason the user gave.
        reason: String,
    },
    /// Read from the repository's files rather than its metadata (a recognised LICENSE text, the
    /// README's license section, quantized weights); off with `--no-infer`.
    Inferred {
        /// The file or evidence it was read from.
        from: String,
    },
}

/// A fact about a node that did not come from its card; every verdict that uses one says so.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Clarification {
    /// The field it sets: `license`, `base_model`, `datasets`, `status`, ...
    pub field: String,
    /// A sentence saying what is asserted and why.
    pub message: String,
    /// Who asserts it.
    #[serde(flatten)]
    pub source: ClarifySource,
    /// What the card said for this field, when it said anything (the fact replaced it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replaced: Option<String>,
    /// The asserted values (license ids, base model ids, ...), to compare with the card.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub asserted: Vec<String>,
}

/// A repository in the lineage graph.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Node {
    /// Kind and id.
    pub key: NodeKey,
    /// What the card declares (after any clarification was applied).
    pub declared: Declared,
    /// The revision (commit sha) the card was read at.
    pub revision: Option<String>,
    /// How the metadata was obtained.
    pub resolution: Resolution,
    /// Whether the Hub marks the repo as gated (its metadata is still readable).
    pub gated: bool,
    /// Facts from the catalog or the policy that changed or completed the card.
    pub clarifications: Vec<Clarification>,
    /// What the card itself declared, kept when a clarification changed `declared`, so that
    /// conflicts speak of the card's own claim.
    pub card_declared: Option<Box<Declared>>,
    /// Set when the metadata is not the Hub's current answer (a stale cache entry, the catalog).
    /// Boxed: few nodes have one, and every byte of a node counts in a million-node graph.
    pub fallback: Option<Box<Fallback>>,
    /// When the repo was created (the Hub's `createdAt`, RFC 3339), when the Hub said.
    pub created_at: Option<String>,
    /// When the revision read was committed (the Hub's `lastModified`, RFC 3339), when the Hub said.
    pub last_modified: Option<String>,
}

impl Node {
    /// What the card itself declared (before any clarification).
    pub fn card(&self) -> &Declared {
        self.card_declared.as_deref().unwrap_or(&self.declared)
    }

    /// A node whose metadata has not been fetched (yet): `not-crawled`; a hosted service is never
    /// fetched, so its node is complete as it is (`service`, terms from the knowledge base).
    pub fn placeholder(key: NodeKey) -> Node {
        let resolution = if key.kind.is_hub() {
            Resolution::NotCrawled {
                why: "not fetched".into(),
            }
        } else {
            Resolution::Service
        };
        Node {
            key,
            declared: Declared::default(),
            revision: None,
            resolution,
            gated: false,
            clarifications: Vec::new(),
            card_declared: None,
            fallback: None,
            created_at: None,
            last_modified: None,
        }
    }

    /// A node whose card was read.
    pub fn found(key: NodeKey, declared: Declared) -> Node {
        Node {
            resolution: Resolution::Found,
            declared,
            ..Node::placeholder(key)
        }
    }
}

/// The edge payload: the relation from parent to child.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Edge {
    /// How the child derives from the parent.
    pub relation: Relation,
}

/// A directed graph of repositories with edges from parent to child.
///
/// Nodes are unique by [`NodeKey`]; edges are unique by (parent, child, relation). Built by the crawler
/// (or by hand in tests), then read by propagation and the exports.
#[derive(Clone, Debug, Default)]
pub struct Graph {
    g: DiGraph<Node, Edge>,
    /// Node indices by the hash of their key (the key itself lives in the node only, so a
    /// million-node build neither copies nor frees a million ids). Hashed with a fast hasher: ids
    /// come from the Hub, not from an attacker choosing collisions against a long-lived process,
    /// and hashing is most of a million-node build.
    index: hashbrown::HashTable<NodeIndex>,
}

fn key_hash(key: &NodeKey) -> u64 {
    FxBuildHasher.hash_one(key)
}

impl Graph {
    /// An empty graph.
    pub fn new() -> Graph {
        Graph::default()
    }

    /// An empty graph with room for `nodes` nodes and `edges` edges.
    pub fn with_capacity(nodes: usize, edges: usize) -> Graph {
        Graph {
            g: DiGraph::with_capacity(nodes, edges),
            index: hashbrown::HashTable::with_capacity(nodes),
        }
    }

    /// Inserts a node, or replaces the data of the node with the same key; returns its index.
    pub fn upsert(&mut self, node: Node) -> NodeIndex {
        let hash = key_hash(&node.key);
        let Graph { g, index } = self;
        if let Some(&ix) = index.find(hash, |&ix| g[ix].key == node.key) {
            g[ix] = node;
            return ix;
        }
        let ix = g.add_node(node);
        index.insert_unique(hash, ix, |&i| key_hash(&g[i].key));
        ix
    }

    /// The index of `key`, inserting a placeholder (not crawled) node if it is absent.
    pub fn ensure(&mut self, key: &NodeKey) -> NodeIndex {
        if let Some(ix) = self.find(key) {
            return ix;
        }
        self.upsert(Node::placeholder(key.clone()))
    }

    /// Adds an edge from `parent` to `child` unless the same edge exists; returns whether it was new.
    pub fn add_edge(&mut self, parent: NodeIndex, child: NodeIndex, relation: Relation) -> bool {
        // Looked up from the child's side: a child has a few parents, a popular base has
        // thousands of children (checking its side would make bulk builds quadratic).
        let exists = self
            .g
            .edges_directed(child, Direction::Incoming)
            .any(|e| e.source() == parent && e.weight().relation == relation);
        if !exists {
            self.g.add_edge(parent, child, Edge { relation });
        }
        !exists
    }

    /// Adds an edge without checking for duplicates (for bulk builders that know edges are unique).
    pub fn add_edge_unchecked(&mut self, parent: NodeIndex, child: NodeIndex, relation: Relation) {
        self.g.add_edge(parent, child, Edge { relation });
    }

    /// The index of `key`, if present.
    pub fn find(&self, key: &NodeKey) -> Option<NodeIndex> {
        self.index
            .find(key_hash(key), |&ix| self.g[ix].key == *key)
            .copied()
    }

    /// The node at `ix`.
    pub fn node(&self, ix: NodeIndex) -> &Node {
        &self.g[ix]
    }

    /// Mutable access to the node at `ix` (its key must not change).
    pub fn node_mut(&mut self, ix: NodeIndex) -> &mut Node {
        &mut self.g[ix]
    }

    /// Number of nodes.
    pub fn node_count(&self) -> usize {
        self.g.node_count()
    }

    /// Number of edges.
    pub fn edge_count(&self) -> usize {
        self.g.edge_count()
    }

    /// All node indices, in insertion order.
    pub fn node_indices(&self) -> impl Iterator<Item = NodeIndex> + '_ {
        self.g.node_indices()
    }

    /// All edges as (parent, child, relation), in insertion order.
    pub fn edges(&self) -> impl Iterator<Item = (NodeIndex, NodeIndex, Relation)> + '_ {
        self.g
            .edge_references()
            .map(|e| (e.source(), e.target(), e.weight().relation))
    }

    /// The parents of `ix` with the relation of each edge.
    pub fn parents(&self, ix: NodeIndex) -> impl Iterator<Item = (NodeIndex, Relation)> + '_ {
        self.g
            .edges_directed(ix, Direction::Incoming)
            .map(|e| (e.source(), e.weight().relation))
    }

    /// A copy with nodes in key order and edges in (parent, child, relation) order, so a graph built
    /// in whatever order answers arrived reads the same on every run.
    pub fn sorted(&self) -> Graph {
        let mut nodes: Vec<NodeIndex> = self.node_indices().collect();
        nodes.sort_by(|a, b| self.node(*a).key.cmp(&self.node(*b).key));
        let mut out = Graph::with_capacity(self.node_count(), self.edge_count());
        let mut at = vec![NodeIndex::new(0); self.node_count()];
        for ix in nodes {
            at[ix.index()] = out.upsert(self.node(ix).clone());
        }
        let mut edges: Vec<(NodeIndex, NodeIndex, Relation)> = self
            .edges()
            .map(|(p, c, r)| (at[p.index()], at[c.index()], r))
            .collect();
        edges.sort_unstable_by_key(|&(p, c, r)| (p, c, r));
        for (p, c, r) in edges {
            out.add_edge_unchecked(p, c, r);
        }
        out
    }

    /// Whether `alias` is `repo` itself under an old name: `repo` is reached from `alias` through
    /// `renamed` edges only (a chain of renames included). A node is its own repository.
    pub fn same_repository(&self, alias: NodeIndex, repo: NodeIndex) -> bool {
        let mut at = alias;
        // Each node has at most one current id; the bound stops a cycle of renames.
        for _ in 0..=self.node_count() {
            if at == repo {
                return true;
            }
            match self.parents(at).find(|(_, r)| *r == Relation::Renamed) {
                Some((p, _)) => at = p,
                None => return false,
            }
        }
        false
    }

    /// The children of `ix` with the relation of each edge.
    pub fn children(&self, ix: NodeIndex) -> impl Iterator<Item = (NodeIndex, Relation)> + '_ {
        self.g
            .edges_directed(ix, Direction::Outgoing)
            .map(|e| (e.target(), e.weight().relation))
    }

    /// The underlying petgraph graph, for algorithms.
    pub fn petgraph(&self) -> &DiGraph<Node, Edge> {
        &self.g
    }

    /// Every node reachable from `root` following edges upward (parents), including `root`.
    pub fn ancestors(&self, root: NodeIndex) -> Vec<NodeIndex> {
        self.reach(root, Direction::Incoming)
    }

    /// Every node reachable from `root` following edges downward (children), including `root`.
    pub fn descendants(&self, root: NodeIndex) -> Vec<NodeIndex> {
        self.reach(root, Direction::Outgoing)
    }

    fn reach(&self, root: NodeIndex, dir: Direction) -> Vec<NodeIndex> {
        let mut seen = vec![false; self.g.node_count()];
        let mut out = vec![root];
        seen[root.index()] = true;
        let mut i = 0;
        while i < out.len() {
            let n = out[i];
            i += 1;
            for m in self.g.neighbors_directed(n, dir) {
                if !seen[m.index()] {
                    seen[m.index()] = true;
                    out.push(m);
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_dates() {
        assert_eq!(utc_date(0), "1970-01-01");
        assert_eq!(utc_date(951_782_400), "2000-02-29");
        assert_eq!(utc_date(1_796_169_600), "2026-12-02");
        assert_eq!(utc_date(-86_400), "1969-12-31");
    }
}
