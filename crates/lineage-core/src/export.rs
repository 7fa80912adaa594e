//! Exports of a propagated lineage: Graphviz DOT, Mermaid, an indented tree, JSON, and text reports.
//!
//! Graph exports read a [`View`]: the graph, its propagation, the knowledge base, the root nodes and the
//! nodes to show, each judged with [`assess`]. Every output is deterministic (nodes and edges sorted by
//! key, never by insertion order), so two crawls of the same lineage export byte-identical files, and
//! every id and label is escaped, so no card can break the syntax of an output.
//!
//! ```
//! use lineage_core::export::{self, Scope, View};
//! use lineage_core::{DatasetPolicy, Declared, Graph, KnowledgeBase, Node, NodeKey, Propagation, Relation};
//!
//! let kb = KnowledgeBase::builtin();
//! let mut g = Graph::new();
//! let base = g.upsert(Node::found(NodeKey::model("meta-llama/Llama-2-7b-hf"),
//!     Declared { license: vec!["llama2".into()], ..Declared::default() }));
//! let lora = g.upsert(Node::found(NodeKey::model("someone/llama2-lora"),
//!     Declared { license: vec!["apache-2.0".into()], ..Declared::default() }));
//! g.add_edge(base, lora, Relation::Adapter);
//! let prop = Propagation::run(&g, &kb, DatasetPolicy::Strict);
//! let view = View::new(&g, &prop, &kb, &[lora], Scope::UP);
//! assert!(export::dot(&view).starts_with("digraph lineage {"));
//! assert!(export::tree(&view).contains("adapter meta-llama/Llama-2-7b-hf [conditional] (llama2)"));
//! ```

mod cyclonedx;
mod descendants;
mod dot;
#[cfg(test)]
pub(crate) mod fixture;
mod json;
mod mermaid;
mod sbom;
mod spdx;
#[cfg(feature = "svg")]
mod svg;
mod text;
mod tree;

pub use cyclonedx::{cyclonedx, CYCLONEDX_SPEC};
pub use descendants::{
    descendant_json, descendants_text, judge_descendants, Descendant, DESCENDANT_SCHEMA,
};
pub use dot::dot;
pub use json::{check_json, json, CHECK_SCHEMA, GRAPH_SCHEMA};
pub use mermaid::mermaid;
pub use sbom::{rfc3339, DocInfo, HUB};
pub use spdx::{spdx, NO_ASSERTION_LICENSE, SPDX_CONTEXT, UNKNOWN_TIME};
#[cfg(feature = "svg")]
pub use svg::svg;
pub use text::text;
pub use tree::tree;

use crate::graph::{Graph, NodeIndex, Relation};
use crate::id::{NodeKey, RepoKind};
use crate::license::KnowledgeBase;
use crate::propagate::{pass, Pass, Propagation};
use crate::terms::{Term, TermKind};
use crate::verdict::{assess, judge, license_label, Assessment, Conflict, Judgement, Verdict};
use std::borrow::Cow;
use std::cell::OnceCell;
use std::collections::{HashMap, VecDeque};

/// Which part of the graph around the roots a [`View`] shows: ancestors, descendants or both, and how
/// many edges away from a root.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Scope {
    /// Include ancestors (parents, their parents, ...).
    pub up: bool,
    /// Include descendants (children, their children, ...).
    pub down: bool,
    /// At most this many edges from a root; `None` is unlimited.
    pub depth: Option<usize>,
}

impl Scope {
    /// Ancestors only (`lineage graph --up`, the default).
    pub const UP: Scope = Scope {
        up: true,
        down: false,
        depth: None,
    };
    /// Descendants only (`--down`).
    pub const DOWN: Scope = Scope {
        up: false,
        down: true,
        depth: None,
    };
    /// Ancestors and descendants (`--both`).
    pub const BOTH: Scope = Scope {
        up: true,
        down: true,
        depth: None,
    };

    /// The same scope limited to `depth` edges from a root (`--depth N`).
    pub fn with_depth(self, depth: Option<usize>) -> Scope {
        Scope { depth, ..self }
    }
}

/// One node shown in a view, with its judgement computed once for every export.
#[derive(Debug)]
struct Shown {
    ix: NodeIndex,
    /// The verdict and conflict codes, on the cheap path: enough to colour and label the node.
    judgement: Judgement,
    /// Findings made outside the verdict (see [`View::with_findings`]).
    extra: Vec<Conflict>,
    /// The full assessment with explanations, built the first time an export prints it.
    assessment: OnceCell<Assessment>,
    license: Option<String>,
}

impl Shown {
    /// The verdict on commercial use.
    fn verdict(&self) -> Verdict {
        self.judgement.commercial
    }

    /// The conflict codes, in the order the assessment lists them.
    fn conflict_codes(&self) -> Vec<&'static str> {
        self.judgement
            .conflicts
            .iter()
            .map(|f| f.conflict.code)
            .chain(self.extra.iter().map(|c| c.code))
            .map(|c| c.as_str())
            .collect()
    }
}

/// The part of a propagated graph an export shows, with every shown node judged.
///
/// Built once and shared by the exports; nodes are kept sorted by [`NodeKey`], which is the order of
/// every output and the source of the synthetic ids (`n0`, `n1`, ...) of DOT and Mermaid. Each node is
/// judged on the cheap path ([`judge`]: verdict and conflict codes, what colours a picture); its full
/// assessment with explanation paths is built only when an export prints it.
#[derive(Debug)]
pub struct View<'a> {
    graph: &'a Graph,
    prop: &'a Propagation,
    kb: &'a KnowledgeBase,
    scope: Scope,
    roots: Vec<NodeIndex>,
    shown: Vec<Shown>,
    pos: HashMap<NodeIndex, usize>,
}

impl<'a> View<'a> {
    /// The roots and the nodes within `scope` of them.
    pub fn new(
        graph: &'a Graph,
        prop: &'a Propagation,
        kb: &'a KnowledgeBase,
        roots: &[NodeIndex],
        scope: Scope,
    ) -> View<'a> {
        let mut nodes: Vec<NodeIndex> = roots.to_vec();
        if scope.up {
            nodes.extend(reach(graph, roots, scope.depth, true));
        }
        if scope.down {
            nodes.extend(reach(graph, roots, scope.depth, false));
        }
        View::build(graph, prop, kb, roots, nodes, scope)
    }

    /// The roots and exactly the given nodes (e.g. a list of derivatives found by a search). Trees walk
    /// both directions within these nodes.
    pub fn with_nodes(
        graph: &'a Graph,
        prop: &'a Propagation,
        kb: &'a KnowledgeBase,
        roots: &[NodeIndex],
        nodes: impl IntoIterator<Item = NodeIndex>,
    ) -> View<'a> {
        let mut all: Vec<NodeIndex> = roots.to_vec();
        all.extend(nodes);
        View::build(graph, prop, kb, roots, all, Scope::BOTH)
    }

    /// Every node of the graph, with the given roots highlighted.
    pub fn whole(
        graph: &'a Graph,
        prop: &'a Propagation,
        kb: &'a KnowledgeBase,
        roots: &[NodeIndex],
    ) -> View<'a> {
        View::with_nodes(graph, prop, kb, roots, graph.node_indices())
    }

    /// Adds findings made outside [`assess`] (the `license-changed` finding of issue #12) to every
    /// shown node, so every export reports them.
    pub fn with_findings(mut self, findings: impl Fn(NodeIndex) -> Vec<Conflict>) -> View<'a> {
        for s in &mut self.shown {
            let found = findings(s.ix);
            if let Some(a) = s.assessment.get_mut() {
                a.conflicts.extend(found.iter().cloned());
            }
            s.extra.extend(found);
        }
        self
    }

    fn build(
        graph: &'a Graph,
        prop: &'a Propagation,
        kb: &'a KnowledgeBase,
        roots: &[NodeIndex],
        mut nodes: Vec<NodeIndex>,
        scope: Scope,
    ) -> View<'a> {
        let by_key = |a: &NodeIndex, b: &NodeIndex| graph.node(*a).key.cmp(&graph.node(*b).key);
        nodes.retain(|n| n.index() < graph.node_count());
        nodes.sort_by(by_key);
        nodes.dedup();
        let mut roots: Vec<NodeIndex> = roots
            .iter()
            .copied()
            .filter(|n| n.index() < graph.node_count())
            .collect();
        roots.sort_by(by_key);
        roots.dedup();
        let shown: Vec<Shown> = nodes
            .iter()
            .map(|&ix| Shown {
                ix,
                judgement: judge(graph, prop, kb, ix),
                extra: Vec::new(),
                assessment: OnceCell::new(),
                license: license_label(graph, kb, ix),
            })
            .collect();
        let pos = shown.iter().enumerate().map(|(i, s)| (s.ix, i)).collect();
        View {
            graph,
            prop,
            kb,
            scope,
            roots,
            shown,
            pos,
        }
    }

    /// The graph the view shows part of.
    pub fn graph(&self) -> &'a Graph {
        self.graph
    }

    /// The propagation the verdicts come from.
    pub fn propagation(&self) -> &'a Propagation {
        self.prop
    }

    /// The knowledge base licenses were resolved with.
    pub fn knowledge_base(&self) -> &'a KnowledgeBase {
        self.kb
    }

    /// The scope the view was built with.
    pub fn scope(&self) -> Scope {
        self.scope
    }

    /// The roots, sorted by key.
    pub fn roots(&self) -> &[NodeIndex] {
        &self.roots
    }

    /// Whether `ix` is one of the roots.
    pub fn is_root(&self, ix: NodeIndex) -> bool {
        self.roots.contains(&ix)
    }

    /// The shown nodes, sorted by key.
    pub fn nodes(&self) -> impl Iterator<Item = NodeIndex> + '_ {
        self.shown.iter().map(|s| s.ix)
    }

    /// Whether `ix` is shown.
    pub fn contains(&self, ix: NodeIndex) -> bool {
        self.pos.contains_key(&ix)
    }

    /// The assessment of a shown node, with its explanations (built on first use).
    pub fn assessment(&self, ix: NodeIndex) -> Option<&Assessment> {
        self.pos.get(&ix).map(|&i| self.assessed(&self.shown[i]))
    }

    fn assessed<'s>(&self, s: &'s Shown) -> &'s Assessment {
        s.assessment.get_or_init(|| {
            let mut a = assess(self.graph, self.prop, self.kb, s.ix);
            a.conflicts.extend(s.extra.iter().cloned());
            a
        })
    }

    /// The position of a shown node in key order: the number behind its synthetic id.
    fn position(&self, ix: NodeIndex) -> Option<usize> {
        self.pos.get(&ix).copied()
    }

    fn shown(&self) -> &[Shown] {
        &self.shown
    }

    /// The edges between shown nodes as (parent, child, relation), sorted by parent key, child key and
    /// relation.
    pub fn edges(&self) -> Vec<(NodeIndex, NodeIndex, Relation)> {
        let mut out: Vec<(NodeIndex, NodeIndex, Relation)> = self
            .graph
            .edges()
            .filter(|(p, c, _)| self.contains(*p) && self.contains(*c))
            .collect();
        out.sort_by(|a, b| {
            (self.position(a.0), self.position(a.1), a.2).cmp(&(
                self.position(b.0),
                self.position(b.1),
                b.2,
            ))
        });
        out.dedup();
        out
    }

    /// The shown parents of `ix` with their relations, sorted by key then relation.
    fn parents_of(&self, ix: NodeIndex) -> Vec<(NodeIndex, Relation)> {
        self.sorted(
            self.graph
                .parents(ix)
                .filter(|(p, _)| self.contains(*p))
                .collect(),
        )
    }

    /// The shown children of `ix` with their relations, sorted by key then relation.
    fn children_of(&self, ix: NodeIndex) -> Vec<(NodeIndex, Relation)> {
        self.sorted(
            self.graph
                .children(ix)
                .filter(|(c, _)| self.contains(*c))
                .collect(),
        )
    }

    fn sorted(&self, mut v: Vec<(NodeIndex, Relation)>) -> Vec<(NodeIndex, Relation)> {
        v.sort_by_key(|(n, r)| (self.position(*n), *r));
        v.dedup();
        v
    }

    /// Whether the view draws a `generated-by` edge (the drawn exports then explain it in the legend).
    fn has_generated_by(&self) -> bool {
        self.edges()
            .iter()
            .any(|&(_, _, r)| r == Relation::GeneratedBy)
    }

    /// What the edge from `parent` along `relation` carries to the child, worst first.
    fn carried(&self, parent: NodeIndex, relation: Relation) -> Carried {
        let mut out = Carried::default();
        for e in self.prop.effective(parent) {
            let term = self.prop.term(e.term);
            if term.kind() == TermKind::Notice {
                continue;
            }
            match pass(relation, term.kind(), self.prop.dataset_policy()) {
                Pass::Stop => {}
                Pass::Bind if !e.advisory => out.binding.push(term.clone()),
                Pass::Bind | Pass::Advise => out.advisory.push(term.clone()),
            }
        }
        if relation == Relation::GeneratedBy {
            out.binding.extend(
                self.prop
                    .output_terms_of(self.graph, self.kb, parent)
                    .into_iter()
                    .filter(|t| t.kind() != TermKind::Notice),
            );
        }
        out.binding.sort();
        out.binding.dedup();
        out.advisory.sort();
        out.advisory.dedup();
        out
    }
}

/// The non-notice terms an edge passes down, split by whether they bind the child.
#[derive(Debug, Default)]
struct Carried {
    binding: Vec<Term>,
    advisory: Vec<Term>,
}

/// How an edge is drawn: by the worst term it carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum EdgeClass {
    Plain,
    Advisory,
    Condition,
    Unknown,
    Prohibition,
}

impl EdgeClass {
    /// Every class, mildest first.
    #[cfg_attr(not(feature = "svg"), allow(dead_code))]
    const ALL: [EdgeClass; 5] = [
        EdgeClass::Plain,
        EdgeClass::Advisory,
        EdgeClass::Condition,
        EdgeClass::Unknown,
        EdgeClass::Prohibition,
    ];

    /// A short name, for SVG classes and marker ids.
    #[cfg_attr(not(feature = "svg"), allow(dead_code))]
    fn name(self) -> &'static str {
        match self {
            EdgeClass::Plain => "plain",
            EdgeClass::Advisory => "advisory",
            EdgeClass::Condition => "condition",
            EdgeClass::Unknown => "unknown",
            EdgeClass::Prohibition => "prohibition",
        }
    }

    /// The stroke colour of edges of this class in every drawn export.
    fn colour(self) -> &'static str {
        match self {
            EdgeClass::Plain => "#000000",
            EdgeClass::Advisory => "#7a7a7a",
            EdgeClass::Condition => "#d9822b",
            EdgeClass::Unknown => "#6b6b6b",
            EdgeClass::Prohibition => "#c62828",
        }
    }

    /// What the legend says about edges of this class.
    #[cfg_attr(not(feature = "svg"), allow(dead_code))]
    fn legend(self) -> &'static str {
        match self {
            EdgeClass::Plain => "thin black: nothing binding",
            EdgeClass::Advisory => "dotted: advisory only",
            EdgeClass::Condition => "orange bold: conditions",
            EdgeClass::Unknown => "grey dashed: unknown",
            EdgeClass::Prohibition => "red bold: non-commercial / no-derivatives",
        }
    }
}

/// The border colour of nodes with conflicts.
const CONFLICT_COLOUR: &str = "#b3261e";

impl Carried {
    fn class(&self) -> EdgeClass {
        let kinds = || self.binding.iter().map(Term::kind);
        if kinds().any(|k| matches!(k, TermKind::NonCommercial | TermKind::NoDerivatives)) {
            EdgeClass::Prohibition
        } else if kinds().any(|k| k == TermKind::Unknown) {
            EdgeClass::Unknown
        } else if !self.binding.is_empty() {
            EdgeClass::Condition
        } else if !self.advisory.is_empty() {
            EdgeClass::Advisory
        } else {
            EdgeClass::Plain
        }
    }

    fn describe(&self) -> String {
        let list = |v: &[Term]| v.iter().map(Term::to_string).collect::<Vec<_>>().join("; ");
        match (self.binding.is_empty(), self.advisory.is_empty()) {
            (true, true) => "carries no restriction".into(),
            (false, true) => format!("carries {}", list(&self.binding)),
            (true, false) => format!("advises {}", list(&self.advisory)),
            (false, false) => format!(
                "carries {}; advises {}",
                list(&self.binding),
                list(&self.advisory)
            ),
        }
    }
}

/// Nodes within `depth` edges of the roots, upward (`up`) or downward; the roots themselves excluded.
pub(crate) fn reach(
    graph: &Graph,
    roots: &[NodeIndex],
    depth: Option<usize>,
    up: bool,
) -> Vec<NodeIndex> {
    let mut dist: HashMap<NodeIndex, usize> = HashMap::new();
    let mut queue: VecDeque<NodeIndex> = VecDeque::new();
    for &r in roots {
        if r.index() < graph.node_count() && dist.insert(r, 0).is_none() {
            queue.push_back(r);
        }
    }
    let mut out = Vec::new();
    while let Some(n) = queue.pop_front() {
        let d = dist.get(&n).copied().unwrap_or(0);
        if depth.is_some_and(|max| d >= max) {
            continue;
        }
        let next: Vec<NodeIndex> = if up {
            graph.parents(n).map(|(p, _)| p).collect()
        } else {
            graph.children(n).map(|(c, _)| c).collect()
        };
        for m in next {
            if let std::collections::hash_map::Entry::Vacant(v) = dist.entry(m) {
                v.insert(d + 1);
                out.push(m);
                queue.push_back(m);
            }
        }
    }
    out
}

/// The id as a user types it on the command line: `org/name` for models, `datasets/org/name` for
/// datasets.
pub fn display_id(key: &NodeKey) -> String {
    match key.kind {
        RepoKind::Model => key.id.clone(),
        RepoKind::Dataset => format!("datasets/{}", key.id),
        RepoKind::Service => format!("service:{}", key.id),
    }
}

/// The fill colour of a verdict (permitted green, conditional yellow, forbidden red, unknown grey).
fn verdict_colour(v: Verdict) -> &'static str {
    match v {
        Verdict::Permitted => "#b9e4b3",
        Verdict::Conditional => "#fbe58a",
        Verdict::Forbidden => "#f4a3a3",
        Verdict::Unknown => "#d9d9d9",
    }
}

/// Characters that must never reach a line-oriented or terminal output raw: control characters (a card
/// could carry terminal escape sequences) and the bidirectional overrides that reorder what is shown.
fn is_unsafe_char(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `s` with unsafe characters written as `\n`, `\u{1b}`, ...; for plain-text outputs.
fn plain(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_unsafe_char) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if is_unsafe_char(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// The node's own license for labels: its knowledge-base ids or raw strings, else what stands in for
/// it (a copy inherits its parent's; an unresolved node has none we know of).
/// The three lines every graph picture labels a node with: id, own license, verdict.
fn label_lines(view: &View<'_>, shown: &Shown) -> Vec<String> {
    vec![
        display_id(&view.graph().node(shown.ix).key),
        license_text(view, shown),
        shown.verdict().to_string(),
    ]
}

fn license_text(view: &View<'_>, shown: &Shown) -> String {
    if let Some(l) = &shown.license {
        return l.clone();
    }
    let node = view.graph.node(shown.ix);
    if node.resolution.is_known()
        || matches!(node.resolution, crate::graph::Resolution::Renamed { .. })
    {
        "inherits its parent's license".into()
    } else {
        node.resolution.describe()
    }
}

#[cfg(test)]
mod tests {
    use super::fixture::Fixture;
    use super::*;
    use insta::{assert_json_snapshot, assert_snapshot};

    #[test]
    fn dot_snapshot() {
        let f = Fixture::new();
        let view = View::new(&f.graph, &f.prop, &f.kb, &[f.root], Scope::BOTH);
        let out = dot(&view);
        fixture::assert_valid_dot(&out);
        // Facts: the GGUF root is red (forbidden), the Llama 2 base amber (conditional), the
        // training data is drawn as a cylinder and its edge labelled.
        let line_of = |id: &str| {
            let label = format!("[label=\"{id}\\n");
            out.lines()
                .find(|l| l.contains(&label))
                .unwrap_or("")
                .to_string()
        };
        assert!(line_of("TheBloke/alpaca-7b-mit-GGUF").contains(verdict_colour(Verdict::Forbidden)));
        assert!(line_of("meta-llama/Llama-2-7b-hf").contains(verdict_colour(Verdict::Conditional)));
        assert!(line_of("datasets/tatsu-lab/alpaca").contains("shape=cylinder"));
        assert!(out.contains("label=\"trained-on\""), "{out}");
        assert_snapshot!("dot", out);
    }

    #[test]
    fn pictures_without_explanations_build_none() {
        let f = Fixture::new();
        let view = View::new(&f.graph, &f.prop, &f.kb, &[f.root], Scope::BOTH)
            .with_findings(|_| Vec::new());
        let built = |v: &View<'_>| {
            v.shown
                .iter()
                .filter(|s| s.assessment.get().is_some())
                .count()
        };
        mermaid(&view);
        tree(&view);
        assert_eq!(
            built(&view),
            0,
            "colouring and labelling use the cheap judgement"
        );
        // What they print agrees with the full assessment.
        for s in &view.shown {
            let a = view.assessment(s.ix).unwrap();
            assert_eq!(s.verdict(), a.commercial);
            let codes: Vec<&str> = a.conflicts.iter().map(|c| c.code.as_str()).collect();
            assert_eq!(s.conflict_codes(), codes);
        }
        let fresh = View::new(&f.graph, &f.prop, &f.kb, &[f.root], Scope::BOTH);
        dot(&fresh);
        assert_eq!(
            built(&fresh),
            fresh.shown.len(),
            "DOT prints every node's summary"
        );
    }

    #[test]
    fn mermaid_snapshot() {
        let f = Fixture::new();
        let view = View::new(&f.graph, &f.prop, &f.kb, &[f.root], Scope::BOTH);
        let out = mermaid(&view);
        fixture::assert_valid_mermaid(&out);
        assert_snapshot!("mermaid", out);
    }

    #[test]
    fn tree_snapshot() {
        let f = Fixture::new();
        let both = View::new(&f.graph, &f.prop, &f.kb, &[f.root], Scope::BOTH);
        let down = View::new(&f.graph, &f.prop, &f.kb, &[f.llama], Scope::DOWN);
        assert_snapshot!("tree", format!("{}\n{}", tree(&both), tree(&down)));
    }

    #[test]
    fn json_snapshot() {
        let f = Fixture::new();
        let view = View::new(&f.graph, &f.prop, &f.kb, &[f.root], Scope::BOTH);
        let v = json(&view);
        let verdict = |id: &str| {
            v["nodes"]
                .as_array()
                .unwrap()
                .iter()
                .find(|n| n["id"] == id)
                .map(|n| n["verdict"].clone())
        };
        assert_eq!(
            verdict("model:TheBloke/alpaca-7b-mit-GGUF"),
            Some("forbidden".into())
        );
        assert_eq!(
            verdict("model:meta-llama/Llama-2-7b-hf"),
            Some("conditional".into())
        );
        assert_json_snapshot!("graph_json", v);
    }

    #[test]
    fn bom_snapshots() {
        let f = Fixture::new();
        let view = View::new(&f.graph, &f.prop, &f.kb, &[f.root], Scope::BOTH);
        let info = DocInfo {
            timestamp: rfc3339(1_700_000_000),
            serial: Some("de7d0830-0223-5864-bed3-2fc32cdf12bf".into()),
            tool_version: "0.1.0".into(),
            policy: Vec::new(),
        };
        assert_json_snapshot!("cyclonedx", cyclonedx(&view, &info));
        assert_json_snapshot!("spdx", spdx(&view, &info));
    }

    #[test]
    fn check_json_snapshot() {
        let f = Fixture::new();
        let a = assess(&f.graph, &f.prop, &f.kb, f.root);
        let outcome = f.policy.evaluate(&f.graph, &f.kb, f.root, &a);
        let v = check_json(&a, Some(&outcome));
        assert_eq!(v["commercial"], "forbidden");
        assert_eq!(v["reasons"][0]["origin"], "dataset:tatsu-lab/alpaca");
        assert_eq!(v["policy"]["allowed"], false);
        assert_json_snapshot!("check_json", v);
        // Under the lenient dataset policy the dataset terms become advisories.
        let lenient = Fixture::with_policy(crate::propagate::DatasetPolicy::Lenient);
        let a = assess(&lenient.graph, &lenient.prop, &lenient.kb, lenient.root);
        assert_eq!(a.commercial, Verdict::Conditional);
        assert_json_snapshot!("check_json_lenient", check_json(&a, None));
    }

    #[test]
    fn text_snapshot() {
        let f = Fixture::new();
        let a = assess(&f.graph, &f.prop, &f.kb, f.root);
        let outcome = f.policy.evaluate(&f.graph, &f.kb, f.root, &a);
        let t = text(&a, Some(&outcome));
        assert!(t.lines().next().unwrap().ends_with("— FORBIDDEN"), "{t}");
        assert!(t.contains("non-commercial"), "{t}");
        assert!(t.contains("policy: denied"), "{t}");
        assert_snapshot!("text", t);
    }

    #[test]
    fn outputs_do_not_depend_on_insertion_order() {
        let a = Fixture::new();
        let b = Fixture::reversed();
        let va = View::whole(&a.graph, &a.prop, &a.kb, &[a.root]);
        let vb = View::whole(&b.graph, &b.prop, &b.kb, &[b.root]);
        assert_eq!(dot(&va), dot(&vb));
        assert_eq!(mermaid(&va), mermaid(&vb));
        assert_eq!(tree(&va), tree(&vb));
        assert_eq!(json(&va), json(&vb));
    }

    #[test]
    fn scope_and_depth_select_nodes() {
        let f = Fixture::new();
        let ids = |v: &View<'_>| {
            v.nodes()
                .map(|n| display_id(&f.graph.node(n).key))
                .collect::<Vec<_>>()
        };
        let up1 = View::new(
            &f.graph,
            &f.prop,
            &f.kb,
            &[f.root],
            Scope::UP.with_depth(Some(1)),
        );
        assert_eq!(
            ids(&up1),
            vec![
                "acme/alpaca-7b-mit".to_string(),
                "meta-llama/Llama-2-7b-hf".to_string(),
                "datasets/tatsu-lab/alpaca".to_string(),
                format!("datasets/{}", fixture::WEIRD_ID),
            ]
        );
        let down = View::new(&f.graph, &f.prop, &f.kb, &[f.root], Scope::DOWN);
        assert_eq!(
            ids(&down),
            vec!["TheBloke/alpaca-7b-mit-GGUF", "acme/alpaca-7b-mit"]
        );
        let zero = View::new(
            &f.graph,
            &f.prop,
            &f.kb,
            &[f.root],
            Scope::BOTH.with_depth(Some(0)),
        );
        assert_eq!(ids(&zero), vec!["acme/alpaca-7b-mit"]);
    }

    #[test]
    fn restricted_edges_are_classified_by_worst_term() {
        let f = Fixture::new();
        let view = View::whole(&f.graph, &f.prop, &f.kb, &[f.root]);
        assert_eq!(
            view.carried(f.alpaca, Relation::TrainedOn).class(),
            EdgeClass::Prohibition
        );
        assert_eq!(
            view.carried(f.llama, Relation::Adapter).class(),
            EdgeClass::Condition
        );
        assert_eq!(
            view.carried(f.weird, Relation::TrainedOn).class(),
            EdgeClass::Unknown
        );
        // Notice-only parents carry nothing.
        let mit = view.carried(f.root, Relation::Quantized);
        assert!(mit.binding.iter().all(|t| t.kind() != TermKind::Notice));
        // Under the lenient dataset policy, dataset terms only advise.
        let lenient = Fixture::with_policy(crate::propagate::DatasetPolicy::Lenient);
        let lv = View::whole(&lenient.graph, &lenient.prop, &lenient.kb, &[lenient.root]);
        assert_eq!(
            lv.carried(lenient.alpaca, Relation::TrainedOn).class(),
            EdgeClass::Advisory
        );
    }

    proptest::proptest! {
        #[test]
        fn any_text_yields_valid_outputs(
            id in proptest::prop_oneof![proptest::prelude::any::<String>(), "[\"\\\\\n\r\t<>{}|#;`\u{0}-\u{1f}\u{202e}aé/]{0,24}"],
            name in proptest::prop_oneof![proptest::prelude::any::<String>(), "[\"\\\\\n\r<>{}|#;`\u{7f}\u{1b}a ]{0,24}"],
        ) {
            use crate::graph::{Declared, Node};
            use crate::id::NodeKey;
            use crate::propagate::DatasetPolicy;
            let kb = KnowledgeBase::builtin();
            let mut g = Graph::new();
            let ds = g.upsert(Node::found(NodeKey::dataset(id.clone()), Declared {
                license: vec!["other".into()],
                license_name: Some(name.clone()),
                license_link: Some(name.clone()),
                ..Declared::default()
            }));
            let mut model = Node::found(NodeKey::model(id.clone()), Declared {
                license: vec![name.clone()],
                ..Declared::default()
            });
            model.revision = Some(name.clone());
            let m = g.upsert(model);
            g.add_edge(ds, m, Relation::TrainedOn);
            let prop = Propagation::run(&g, &kb, DatasetPolicy::Strict);
            let view = View::new(&g, &prop, &kb, &[m], Scope::BOTH);
            let d = dot(&view);
            proptest::prop_assert!(fixture::check_dot(&d).is_ok(), "{:?}\n{}", fixture::check_dot(&d), d);
            let mm = mermaid(&view);
            proptest::prop_assert!(fixture::check_mermaid(&mm).is_ok(), "{:?}\n{}", fixture::check_mermaid(&mm), mm);
            // One line per node in the tree (root, parent, `[descendants]` heading), whatever the text.
            let t = tree(&view);
            proptest::prop_assert_eq!(t.lines().count(), 3, "{}", t);
            let a = assess(&g, &prop, &kb, m);
            let report = text(&a, None);
            proptest::prop_assert!(!report.chars().any(|c| c != '\n' && is_unsafe_char(c)), "{}", report);
            proptest::prop_assert!(report.lines().next().is_some_and(|l| l.contains(" — ")), "{}", report);
            // The JSON carries every card string exactly, however hostile: it round-trips.
            let back: serde_json::Value = serde_json::from_str(&serde_json::to_string(&json(&view)).unwrap()).unwrap();
            let nodes = back["nodes"].as_array().unwrap();
            proptest::prop_assert_eq!(nodes.len(), 2);
            let model_json = nodes.iter().find(|n| n["kind"] == "model").unwrap();
            proptest::prop_assert_eq!(model_json["repo"].as_str(), Some(id.as_str()));
            proptest::prop_assert_eq!(model_json["revision"].as_str(), Some(name.as_str()));
            proptest::prop_assert_eq!(&model_json["declared"]["license"][0], &serde_json::json!(name));
            let info = DocInfo {
                timestamp: rfc3339(0),
                serial: Some("00000000-0000-4000-8000-000000000000".into()),
                tool_version: "0.1.0".into(),
                policy: Vec::new(),
            };
            let bom = cyclonedx(&view, &info);
            let errors = fixture::cyclonedx_errors(&bom);
            proptest::prop_assert!(errors.is_empty(), "{:?}\n{}", errors, bom);
            let doc = spdx(&view, &info);
            for e in doc["@graph"].as_array().unwrap() {
                if let Some(id) = e["spdxId"].as_str() {
                    proptest::prop_assert!(
                        !id.chars().any(|c| c.is_whitespace() || c.is_control() || "\"<>{}|\\^`".contains(c)),
                        "not an IRI: {:?}", id
                    );
                }
            }
            #[cfg(feature = "svg")]
            {
                let picture = svg(&view);
                let parsed = roxmltree::Document::parse(&picture);
                proptest::prop_assert!(parsed.is_ok(), "{:?}\n{}", parsed.err(), picture);
            }
        }
    }

    #[test]
    fn plain_escapes_terminal_controls() {
        assert_eq!(
            plain("a\u{1b}[31mb\nc\u{202e}"),
            "a\\u{1b}[31mb\\nc\\u{202e}"
        );
        assert!(matches!(plain("ok ünïcode"), Cow::Borrowed(_)));
    }
}
