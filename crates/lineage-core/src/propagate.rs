//! Propagation: every rule for how license terms travel from ancestors to derivatives lives here.
//!
//! Effective terms of a node = its own terms ∪ what its parents pass down. Terms form a
//! join-semilattice (set union), so the graph is condensed into strongly connected components and
//! processed once in topological order: O(V + E). Each effective term keeps one origin (the ancestor
//! whose license introduced it); [`Propagation::explain`] finds every origin and the path to it on
//! demand, for the nodes a user asks about.

use crate::graph::{Graph, NodeIndex, Relation, Resolution};
use crate::id::RepoKind;
use crate::license::{KnowledgeBase, LicenseMatch};
use crate::terms::{Term, TermKind};
use petgraph::algo::TarjanScc;
use petgraph::visit::Reversed;
use rustc_hash::FxHashMap as HashMap;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::fmt;

/// How dataset licenses (and the output terms a dataset carries from its generator) reach the models
/// trained on them (whether training makes a derivative work is legally unsettled, so the user picks;
/// the default fails safe).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DatasetPolicy {
    /// Non-commercial, no-derivatives, share-alike, use-policy, output-training (output terms, name
    /// prefix, no-output-training) and unknown terms of training data bind the model.
    #[default]
    Strict,
    /// Those terms are reported as advisories and do not change the verdict.
    Lenient,
}

impl DatasetPolicy {
    /// `strict` or `lenient`.
    pub fn as_str(self) -> &'static str {
        match self {
            DatasetPolicy::Strict => "strict",
            DatasetPolicy::Lenient => "lenient",
        }
    }
}

impl fmt::Display for DatasetPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What an edge does with a term of its parent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pass {
    /// The term binds the child.
    Bind,
    /// The term reaches the child as an advisory only (does not change the verdict).
    Advise,
    /// The term stays with the parent.
    Stop,
}

/// The propagation rule: what happens to a term of `kind` on an edge with `relation`.
pub fn pass(relation: Relation, kind: TermKind, policy: DatasetPolicy) -> Pass {
    match relation {
        // Weights derived from weights stay bound by the parent's license; a dataset derived from a
        // dataset likewise; a renamed id is the same repository.
        Relation::Finetune
        | Relation::Adapter
        | Relation::Quantized
        | Relation::Merge
        | Relation::DerivedFrom
        | Relation::Renamed => Pass::Bind,
        // The generator's license terms stay with the generator (the data is not a copy of its
        // weights); what travels instead are its output terms, added by `output_terms`. Only an
        // unknown stays unknown: whoever cannot say what binds the generator cannot say what binds
        // its outputs.
        Relation::GeneratedBy => match kind {
            TermKind::Unknown => Pass::Bind,
            _ => Pass::Stop,
        },
        Relation::TrainedOn => {
            // Name prefixes, output-training bans and output terms are clauses about training on
            // the material (Llama 3.x: "outputs or results ... to create, train, fine tune"), so
            // they reach the model like the data license's restrictions.
            let travels = matches!(
                kind,
                TermKind::NonCommercial
                    | TermKind::NoDerivatives
                    | TermKind::ShareAlike
                    | TermKind::UsePolicy
                    | TermKind::NamePrefix
                    | TermKind::NoOutputTraining
                    | TermKind::OutputTerms
                    | TermKind::Unknown
            );
            match (travels, policy) {
                (false, _) => Pass::Stop,
                (true, DatasetPolicy::Strict) => Pass::Bind,
                (true, DatasetPolicy::Lenient) => Pass::Advise,
            }
        }
    }
}

/// Where a node's own terms come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OwnSource {
    /// The declared (or clarified) license, resolved through the knowledge base.
    License(LicenseMatch),
    /// No license, and none needed: a quantized copy or a renamed id is its parent under the parent's
    /// license.
    InheritsFromParent,
    /// No license declared: nobody granted rights to the author's part.
    Missing,
    /// The node's metadata is not known (not found, unreachable, ...).
    Unresolved,
    /// A hosted service: no license, its provider's terms on outputs (from the knowledge base).
    Service,
}

/// A node's own terms and where they come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OwnTerms {
    /// The terms.
    pub terms: Vec<Term>,
    /// Their source.
    pub source: OwnSource,
}

/// The terms a node brings itself, before anything is inherited.
pub fn own_terms(graph: &Graph, kb: &KnowledgeBase, ix: NodeIndex) -> OwnTerms {
    let node = graph.node(ix);
    let has_parents = graph.parents(ix).next().is_some();
    match &node.resolution {
        Resolution::Found | Resolution::Curated => {}
        Resolution::Service => {
            // A hosted service has no license; the only terms it sets are those on its outputs.
            let terms = kb.service_terms(&node.key);
            let source = if terms.iter().any(|t| t.kind() == TermKind::Unknown) {
                OwnSource::Unresolved
            } else {
                OwnSource::Service
            };
            return OwnTerms { terms, source };
        }
        Resolution::Renamed { to } => {
            return if has_parents {
                OwnTerms {
                    terms: Vec::new(),
                    source: OwnSource::InheritsFromParent,
                }
            } else {
                OwnTerms {
                    terms: vec![Term::unknown(format!(
                        "renamed to {to}, which was not resolved"
                    ))],
                    source: OwnSource::Unresolved,
                }
            };
        }
        other => {
            return OwnTerms {
                terms: vec![Term::unknown(other.describe())],
                source: OwnSource::Unresolved,
            }
        }
    }
    if node.declared.has_license() {
        let m = kb.resolve(&node.declared);
        if !m.is_empty() {
            return OwnTerms {
                terms: kb.terms_of(&m),
                source: OwnSource::License(m),
            };
        }
    }
    if has_parents && is_copy(graph, ix) {
        return OwnTerms {
            terms: Vec::new(),
            source: OwnSource::InheritsFromParent,
        };
    }
    OwnTerms {
        terms: vec![Term::unknown("no license declared")],
        source: OwnSource::Missing,
    }
}

/// The output terms a generator puts on the data it wrote (the rule for `generated-by` edges): a
/// hosted service's terms of use; for a model, the output clauses of every license that binds it,
/// its own and those of `origins` (the ancestors its binding terms come from), so a fine-tune of
/// Llama 3.1 that declares Apache-2.0 still writes Llama 3.1 outputs.
pub fn output_terms(
    graph: &Graph,
    kb: &KnowledgeBase,
    generator: NodeIndex,
    origins: impl IntoIterator<Item = NodeIndex>,
) -> Vec<Term> {
    let node = graph.node(generator);
    if node.key.kind == RepoKind::Service {
        return kb.service_terms(&node.key);
    }
    let mut seen: Vec<NodeIndex> = Vec::new();
    let mut ids: Vec<String> = Vec::new();
    for o in std::iter::once(generator).chain(origins) {
        if seen.contains(&o) {
            continue;
        }
        seen.push(o);
        if let OwnSource::License(m) = own_terms(graph, kb, o).source {
            ids.extend(m.ids);
        }
    }
    kb.output_terms_of(&ids)
}

/// The advisory a dataset carries when its card calls it synthetic but nothing names its generator
/// (rule: a tag is a hint, never a guessed generator, so it never changes a verdict). Not added when
/// a generator upstream (of a dataset it derives from) already brings its output terms.
pub fn synthetic_advisory(graph: &Graph, ix: NodeIndex) -> Option<Term> {
    let node = graph.node(ix);
    // Cheap checks first: this runs for every node of a million-node audit.
    if node.key.kind != RepoKind::Dataset || !node.declared.synthetic {
        return None;
    }
    let named = !node.declared.generated_by.is_empty()
        || graph.parents(ix).any(|(_, r)| r == Relation::GeneratedBy);
    (!named).then(|| {
        Term::OutputTerms {
            provider: "unnamed generator".into(),
            text: "the card marks the data synthetic but names no generator, whose output terms may bind models trained on it".into(),
        }
    })
}

/// Whether every parent edge of `ix` makes it a copy of its parent (quantized or renamed).
fn is_copy(graph: &Graph, ix: NodeIndex) -> bool {
    graph
        .parents(ix)
        .all(|(_, r)| matches!(r, Relation::Quantized | Relation::Renamed))
}

/// An interned term id, valid within one [`Propagation`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TermId(u32);

/// One effective term of a node: the term, the ancestor that introduced it, and whether it is only an
/// advisory (a dataset term under the lenient dataset policy).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Effect {
    /// The term (see [`Propagation::term`]).
    pub term: TermId,
    /// The node whose license introduced it (one of them, when several did).
    pub origin: NodeIndex,
    /// True when the term does not bind (reported, not judged).
    pub advisory: bool,
}

/// The result of propagating terms over a whole graph.
#[derive(Debug)]
pub struct Propagation {
    policy: DatasetPolicy,
    terms: Vec<Term>,
    /// Effective sets of all nodes, back to back; `spans[node]` is (start, len) into it.
    arena: Vec<Effect>,
    spans: Vec<(u32, u32)>,
    cycles: Vec<Vec<NodeIndex>>,
    cycle_of: HashMap<NodeIndex, usize>,
    /// Each distinct declared license resolved during the run, once (see [`Propagation::own_license`]).
    licenses: Vec<(LicenseMatch, Box<[TermId]>)>,
    /// Per node, its slot in `licenses` (`NO_LICENSE` when its own terms come from no license).
    own_license: Vec<u32>,
}

/// A node whose own terms come from no declared license.
const NO_LICENSE: u32 = u32::MAX;

/// Interns terms and caches the own terms of cards with identical license fields.
struct Interner<'a> {
    terms: Vec<Term>,
    index: HashMap<Term, u32>,
    /// Own term ids and license slot (or `NO_LICENSE`) of each distinct license field set.
    own_cache: HashMap<OwnKey<'a>, (Box<[u32]>, u32)>,
    /// Resolved licenses (kept by the propagation so judging never resolves a card again).
    licenses: Vec<(LicenseMatch, Box<[TermId]>)>,
    /// Per node, its slot in `licenses`.
    own_license: Vec<u32>,
}

#[derive(PartialEq, Eq, Hash)]
struct OwnKey<'a> {
    license: &'a [String],
    name: Option<&'a str>,
    link: Option<&'a str>,
}

impl<'a> Interner<'a> {
    fn intern(&mut self, t: &Term) -> u32 {
        if let Some(&i) = self.index.get(t) {
            return i;
        }
        let i = self.terms.len() as u32;
        self.terms.push(t.clone());
        self.index.insert(t.clone(), i);
        i
    }

    /// Pushes the own terms of `ix` (origin `ix`) onto `acc`.
    fn push_own(
        &mut self,
        graph: &'a Graph,
        kb: &KnowledgeBase,
        ix: NodeIndex,
        acc: &mut Vec<Effect>,
    ) {
        let node = graph.node(ix);
        let cacheable = matches!(node.resolution, Resolution::Found | Resolution::Curated)
            && node.declared.has_license();
        let push = |acc: &mut Vec<Effect>, ids: &[u32]| {
            acc.extend(ids.iter().map(|&t| Effect {
                term: TermId(t),
                origin: ix,
                advisory: false,
            }))
        };
        if cacheable {
            let key = OwnKey {
                license: &node.declared.license,
                name: node.declared.license_name.as_deref(),
                link: node.declared.license_link.as_deref(),
            };
            if let Some((ids, slot)) = self.own_cache.get(&key) {
                push(acc, ids);
                self.own_license[ix.index()] = *slot;
                return;
            }
            let own = own_terms(graph, kb, ix);
            let ids: Box<[u32]> = own.terms.iter().map(|t| self.intern(t)).collect();
            push(acc, &ids);
            let slot = match own.source {
                OwnSource::License(m) => {
                    self.licenses
                        .push((m, ids.iter().map(|&t| TermId(t)).collect()));
                    (self.licenses.len() - 1) as u32
                }
                _ => NO_LICENSE,
            };
            self.own_license[ix.index()] = slot;
            self.own_cache.insert(key, (ids, slot));
        } else {
            let ids: Vec<u32> = own_terms(graph, kb, ix)
                .terms
                .iter()
                .map(|t| self.intern(t))
                .collect();
            push(acc, &ids);
        }
    }
}

impl Propagation {
    /// Computes the effective terms of every node of `graph`.
    ///
    /// Tarjan's algorithm on the reversed graph yields strongly connected components parents-first,
    /// so each component is finished when it is emitted and its sets go straight into one arena.
    pub fn run(graph: &Graph, kb: &KnowledgeBase, policy: DatasetPolicy) -> Propagation {
        let n = graph.node_count();
        let g = graph.petgraph();
        let mut int = Interner {
            terms: Vec::new(),
            index: HashMap::default(),
            own_cache: HashMap::default(),
            licenses: Vec::new(),
            own_license: vec![NO_LICENSE; n],
        };
        // Real lineages carry a handful of distinct terms per node; reserving generously avoids copying a
        // large arena on growth (untouched capacity costs address space, not memory).
        let mut arena: Vec<Effect> = Vec::with_capacity(n * 8);
        let mut spans: Vec<(u32, u32)> = vec![(0, 0); n];
        let mut cycles: Vec<Vec<NodeIndex>> = Vec::new();
        let mut cycle_of = HashMap::default();
        let mut acc: Vec<Effect> = Vec::new();
        let mut member_set: Vec<Effect> = Vec::new();
        let mut tarjan = TarjanScc::new();
        tarjan.run(Reversed(g), |scc: &[NodeIndex]| {
            acc.clear();
            // A self-loop is looked for among the node's parents (a few), not its children (a
            // popular base has thousands, and walking them for every node is most of the run).
            let is_cycle = scc.len() > 1 || graph.parents(scc[0]).any(|(p, _)| p == scc[0]);
            for &m in scc {
                int.push_own(graph, kb, m, &mut acc);
                for (p, rel) in graph.parents(m) {
                    if is_cycle && scc.contains(&p) {
                        continue;
                    }
                    let (s, l) = spans[p.index()];
                    if rel == Relation::GeneratedBy {
                        let origins = arena[s as usize..(s + l) as usize]
                            .iter()
                            .filter(|e| !e.advisory)
                            .map(|e| e.origin);
                        for t in output_terms(graph, kb, p, origins) {
                            acc.push(Effect {
                                term: TermId(int.intern(&t)),
                                origin: p,
                                advisory: false,
                            });
                        }
                    }
                    for e in &arena[s as usize..(s + l) as usize] {
                        let kind = int.terms[e.term.0 as usize].kind();
                        match pass(rel, kind, policy) {
                            Pass::Stop => {}
                            Pass::Bind => acc.push(*e),
                            Pass::Advise => acc.push(Effect {
                                advisory: true,
                                ..*e
                            }),
                        }
                    }
                }
            }
            // The hint, unless a generator upstream already says whose outputs the data holds.
            let upstream_generator = |acc: &[Effect]| {
                acc.iter().any(|e| {
                    !graph.node(e.origin).key.kind.is_hub()
                        || graph
                            .children(e.origin)
                            .any(|(_, r)| r == Relation::GeneratedBy)
                })
            };
            for &m in scc {
                if let Some(t) = synthetic_advisory(graph, m) {
                    if !upstream_generator(&acc) {
                        acc.push(Effect {
                            term: TermId(int.intern(&t)),
                            origin: m,
                            advisory: true,
                        });
                    }
                }
            }
            if is_cycle {
                let mut sorted: Vec<NodeIndex> = scc.to_vec();
                sorted.sort_by(|a, b| graph.node(*a).key.cmp(&graph.node(*b).key));
                let names: Vec<&str> = sorted
                    .iter()
                    .map(|m| graph.node(*m).key.id.as_str())
                    .collect();
                let why = if names.len() == 1 {
                    format!("cycle: {} names itself as its own base", names[0])
                } else {
                    format!("cycle in declared ancestry: {}", names.join(" ↔ "))
                };
                let t = int.intern(&Term::unknown(why));
                acc.push(Effect {
                    term: TermId(t),
                    origin: sorted[0],
                    advisory: false,
                });
                for &m in &sorted {
                    cycle_of.insert(m, cycles.len());
                }
                cycles.push(sorted);
            }
            for &m in scc {
                member_set.clear();
                member_set.extend_from_slice(&acc);
                canonical(&mut member_set, m, graph);
                spans[m.index()] = (arena.len() as u32, member_set.len() as u32);
                arena.extend_from_slice(&member_set);
            }
        });
        Propagation {
            policy,
            terms: int.terms,
            arena,
            spans,
            cycles,
            cycle_of,
            licenses: int.licenses,
            own_license: int.own_license,
        }
    }

    /// The declared license `ix`'s own terms come from, as resolved during the run (what
    /// [`own_terms`] gives as [`OwnSource::License`], with those terms' ids): each distinct card
    /// is resolved once, so judging millions of nodes never resolves one again.
    pub fn own_license(&self, ix: NodeIndex) -> Option<(&LicenseMatch, &[TermId])> {
        let slot = *self.own_license.get(ix.index())?;
        self.licenses
            .get(slot as usize)
            .map(|(m, ids)| (m, ids.as_ref()))
    }

    /// The dataset policy this propagation used.
    pub fn dataset_policy(&self) -> DatasetPolicy {
        self.policy
    }

    /// The term behind an id.
    pub fn term(&self, id: TermId) -> &Term {
        &self.terms[id.0 as usize]
    }

    /// The effective terms of a node (binding and advisory), one entry per distinct term.
    pub fn effective(&self, ix: NodeIndex) -> &[Effect] {
        let (s, l) = self.spans[ix.index()];
        &self.arena[s as usize..(s + l) as usize]
    }

    /// The output terms `generator` puts on the data it wrote ([`output_terms`], with the origins of
    /// its binding effective terms).
    pub fn output_terms_of(
        &self,
        graph: &Graph,
        kb: &KnowledgeBase,
        generator: NodeIndex,
    ) -> Vec<Term> {
        let origins = self
            .effective(generator)
            .iter()
            .filter(|e| !e.advisory)
            .map(|e| e.origin);
        output_terms(graph, kb, generator, origins)
    }

    /// Every cycle found, as sorted member lists.
    pub fn cycles(&self) -> &[Vec<NodeIndex>] {
        &self.cycles
    }

    /// The cycle `ix` is on, if any.
    pub fn cycle_of(&self, ix: NodeIndex) -> Option<&[NodeIndex]> {
        self.cycle_of.get(&ix).map(|&i| self.cycles[i].as_slice())
    }

    /// Every place where `term` enters the lineage of `node`: ancestors (or the node itself) whose own
    /// license brings the term without inheriting it, each with the path from `node` up to it along
    /// edges the term travels. A chain of derivatives that re-declare their base's license thus points
    /// at the base, not at every link.
    ///
    /// Computed on demand by a breadth-first walk upward, so paths are shortest and cost nothing for
    /// nodes nobody asks about.
    pub fn explain(
        &self,
        graph: &Graph,
        kb: &KnowledgeBase,
        node: NodeIndex,
        term: &Term,
    ) -> Vec<Path> {
        let kind = term.kind();
        // prev[n] = (child we came from, relation of edge n → child)
        let mut prev: HashMap<NodeIndex, Option<(NodeIndex, Relation)>> = HashMap::default();
        let mut queue = VecDeque::from([node]);
        prev.insert(node, None);
        let mut out = Vec::new();
        let carries = |p: NodeIndex| self.effective(p).iter().any(|e| self.term(e.term) == term);
        while let Some(n) = queue.pop_front() {
            // A generator that wrote `n` brings its output terms: the path ends there.
            let mut generated = false;
            for (p, rel) in graph.parents(n) {
                if rel == Relation::GeneratedBy
                    && !prev.contains_key(&p)
                    && self.output_terms_of(graph, kb, p).contains(term)
                {
                    prev.insert(p, Some((n, rel)));
                    out.push(self.path_to(&prev, p));
                    generated = true;
                }
            }
            let inherits = generated
                || graph
                    .parents(n)
                    .any(|(p, rel)| pass(rel, kind, self.policy) != Pass::Stop && carries(p));
            if !inherits {
                let introduces = own_terms(graph, kb, n).terms.iter().any(|t| t == term)
                    || self
                        .effective(n)
                        .iter()
                        .any(|e| e.origin == n && self.term(e.term) == term);
                if introduces {
                    out.push(self.path_to(&prev, n));
                }
                continue;
            }
            for (p, rel) in graph.parents(n) {
                if pass(rel, kind, self.policy) == Pass::Stop
                    || prev.contains_key(&p)
                    || !carries(p)
                {
                    continue;
                }
                prev.insert(p, Some((n, rel)));
                queue.push_back(p);
            }
        }
        // On a cycle every member inherits from another, so nobody qualifies: fall back to the origin
        // propagation recorded.
        if out.is_empty() {
            let recorded = self
                .effective(node)
                .iter()
                .find(|e| self.term(e.term) == term)
                .map(|e| e.origin);
            if let Some(origin) = recorded {
                if let Some(p) = self.path_between(graph, node, origin, kind) {
                    out.push(p);
                }
            }
        }
        out
    }

    fn path_between(
        &self,
        graph: &Graph,
        node: NodeIndex,
        origin: NodeIndex,
        kind: TermKind,
    ) -> Option<Path> {
        let mut prev: HashMap<NodeIndex, Option<(NodeIndex, Relation)>> = HashMap::default();
        prev.insert(node, None);
        let mut queue = VecDeque::from([node]);
        while let Some(n) = queue.pop_front() {
            if n == origin {
                return Some(self.path_to(&prev, n));
            }
            for (p, rel) in graph.parents(n) {
                if pass(rel, kind, self.policy) != Pass::Stop && !prev.contains_key(&p) {
                    prev.insert(p, Some((n, rel)));
                    queue.push_back(p);
                }
            }
        }
        None
    }

    fn path_to(
        &self,
        prev: &HashMap<NodeIndex, Option<(NodeIndex, Relation)>>,
        origin: NodeIndex,
    ) -> Path {
        // Walk from the origin back down to the queried node, then reverse.
        let mut steps = Vec::new();
        let mut advisory = false;
        let mut cur = origin;
        while let Some(Some((child, rel))) = prev.get(&cur) {
            steps.push(Step {
                node: *child,
                relation: Some(*rel),
            });
            if *rel == Relation::TrainedOn && self.policy == DatasetPolicy::Lenient {
                advisory = true;
            }
            cur = *child;
        }
        steps.reverse();
        steps.push(Step {
            node: origin,
            relation: None,
        });
        Path {
            origin,
            steps,
            advisory,
        }
    }
}

/// One node on a path, with the relation of the edge from the next node up (its parent on the path).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Step {
    /// The node.
    pub node: NodeIndex,
    /// How this node derives from the next one on the path (`None` for the origin).
    pub relation: Option<Relation>,
}

/// The chain from a queried node up to the ancestor that introduced a term.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Path {
    /// The ancestor that introduced the term.
    pub origin: NodeIndex,
    /// From the queried node (first) to the origin (last).
    pub steps: Vec<Step>,
    /// Whether the term reaches the queried node as an advisory only.
    pub advisory: bool,
}

/// Sorts and reduces raw effects to one per term: binding beats advisory; an inherited origin beats the
/// node itself (a derivative that re-declares its parent's license did not introduce the term); among
/// the rest the smallest key wins, so the result does not depend on insertion order.
fn canonical(v: &mut Vec<Effect>, node: NodeIndex, graph: &Graph) {
    v.sort_unstable_by(|a, b| {
        a.term
            .cmp(&b.term)
            .then(a.advisory.cmp(&b.advisory))
            .then((a.origin == node).cmp(&(b.origin == node)))
            .then_with(|| graph.node(a.origin).key.cmp(&graph.node(b.origin).key))
    });
    v.dedup_by(|later, first| later.term == first.term);
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod generated_tests;
