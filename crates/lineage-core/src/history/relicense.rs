//! The `license-changed` finding: an ancestor's license when a model was created differs from the
//! ancestor's license now (issue #12; the rule and why are in docs/semantics.md).
//!
//! Dated license changes come from the curated catalog (no request) and from commit histories when
//! they were fetched (`lineage history`). The finding never changes a verdict: verdicts follow the
//! licenses read (today's, or those at `--as-of`).

use super::{Field, FieldChange, Moment};
use crate::catalog::Catalog;
use crate::graph::{Graph, NodeIndex};
use crate::id::NodeKey;
use crate::verdict::{Conflict, ConflictCode};
use std::collections::BTreeMap;

/// A dated change of a repo's license.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LicenseEvent {
    /// When it changed.
    pub date: Moment,
    /// The license before.
    pub from: String,
    /// The license after.
    pub to: String,
    /// Where the change is known from (the catalog's source, or `commit <sha>`).
    pub source: String,
}

/// Dated license changes per repo, oldest first.
#[derive(Clone, Debug, Default)]
pub struct Timelines {
    by_key: BTreeMap<NodeKey, Vec<LicenseEvent>>,
}

impl Timelines {
    /// No changes known.
    pub fn none() -> Timelines {
        Timelines::default()
    }

    /// The catalog's dated `license_change` facts (undated ones cannot be placed in time).
    pub fn from_catalog(catalog: &Catalog) -> Timelines {
        let mut t = Timelines::none();
        for e in catalog.entries() {
            let Some(key) = e.key() else { continue };
            for c in &e.license_change {
                let Some(date) = c.date.as_deref().and_then(|d| Moment::parse(d).ok()) else {
                    continue;
                };
                t.add(
                    key.clone(),
                    LicenseEvent {
                        date,
                        from: c.from.clone(),
                        to: c.to.clone(),
                        source: format!("curated: {}", c.source),
                    },
                );
            }
        }
        t
    }

    /// Adds one change.
    pub fn add(&mut self, key: NodeKey, event: LicenseEvent) {
        let events = self.by_key.entry(key).or_default();
        if !events.contains(&event) {
            events.push(event);
            events.sort_by_key(|e| e.date);
        }
    }

    /// Adds the license changes a commit history showed; they replace the catalog's for that repo,
    /// since the history is the Hub's own record.
    pub fn add_history(&mut self, key: &NodeKey, changes: &[FieldChange]) {
        let events: Vec<LicenseEvent> = changes
            .iter()
            .filter(|c| c.field == Field::License)
            .filter_map(|c| {
                Some(LicenseEvent {
                    date: Moment::parse(&c.date).ok()?,
                    from: label(&c.from),
                    to: label(&c.to),
                    source: format!("commit {}", c.commit),
                })
            })
            .collect();
        if !events.is_empty() {
            self.by_key.remove(key);
            for e in events {
                self.add(key.clone(), e);
            }
        }
    }

    /// The changes known for a repo, oldest first.
    pub fn events(&self, key: &NodeKey) -> &[LicenseEvent] {
        self.by_key.get(key).map_or(&[], Vec::as_slice)
    }

    /// The license a repo was under at `at`, when a known change came after it (`None`: the repo's
    /// license has not changed since, as far as is known).
    pub fn license_at(&self, key: &NodeKey, at: Moment) -> Option<&str> {
        self.events(key)
            .iter()
            .find(|e| e.date > at)
            .map(|e| e.from.as_str())
    }
}

fn label(license: &[String]) -> String {
    if license.is_empty() {
        "no license".into()
    } else {
        license.join(", ")
    }
}

/// The `license-changed` findings of a node: one per ancestor whose license at the node's creation
/// (`created_at`, the Hub's `createdAt`, i.e. its first commit) differs from its license now. A node
/// whose creation date is unknown gets none. Walks the node's ancestry: for many nodes of one graph,
/// use [`Relicensed`].
pub fn findings(graph: &Graph, ix: NodeIndex, timelines: &Timelines) -> Vec<Conflict> {
    let Some(created) = created(graph, ix) else {
        return Vec::new();
    };
    let mut out: Vec<Conflict> = graph
        .ancestors(ix)
        .into_iter()
        .filter(|&a| a != ix)
        .filter_map(|a| finding(graph, ix, created, a, timelines))
        .collect();
    out.sort_by(|a, b| a.message.cmp(&b.message));
    out
}

/// The `license-changed` findings of many nodes of one graph (a family's descendants, a drawn
/// graph): which nodes each relicensed repo reaches is worked out once, one walk per relicensed repo
/// in the graph, instead of one ancestry walk per node (quadratic on families of thousands).
#[derive(Debug)]
pub struct Relicensed<'t> {
    timelines: &'t Timelines,
    /// Each relicensed repo in the graph and, by node index, whether it is that node's ancestor.
    below: Vec<(NodeIndex, Vec<bool>)>,
}

impl<'t> Relicensed<'t> {
    /// Prepares the findings of `graph`'s nodes under `timelines`.
    pub fn new(graph: &Graph, timelines: &'t Timelines) -> Relicensed<'t> {
        let below = timelines
            .by_key
            .keys()
            .filter_map(|k| graph.find(k))
            .map(|a| {
                let mut reach = vec![false; graph.node_count()];
                for d in graph.descendants(a) {
                    reach[d.index()] = true;
                }
                (a, reach)
            })
            .collect();
        Relicensed { timelines, below }
    }

    /// The findings of one node, as [`findings`] gives them.
    pub fn findings(&self, graph: &Graph, ix: NodeIndex) -> Vec<Conflict> {
        let Some(created) = created(graph, ix) else {
            return Vec::new();
        };
        let mut out: Vec<Conflict> = self
            .below
            .iter()
            .filter(|(a, reach)| *a != ix && reach.get(ix.index()).copied().unwrap_or(false))
            .filter_map(|&(a, _)| finding(graph, ix, created, a, self.timelines))
            .collect();
        out.sort_by(|a, b| a.message.cmp(&b.message));
        out
    }
}

/// When a node was created, if the Hub said.
fn created(graph: &Graph, ix: NodeIndex) -> Option<Moment> {
    graph
        .node(ix)
        .created_at
        .as_deref()
        .and_then(|c| Moment::parse(c).ok())
}

/// The finding for node `ix` (created at `created`) about its ancestor `a`, if `a`'s license then
/// differs from its license now.
fn finding(
    graph: &Graph,
    ix: NodeIndex,
    created: Moment,
    a: NodeIndex,
    timelines: &Timelines,
) -> Option<Conflict> {
    let key = &graph.node(a).key;
    let events = timelines.events(key);
    let first_after = events.iter().find(|e| e.date > created)?;
    let last = events.last()?;
    if first_after.from == last.to {
        return None;
    }
    Some(Conflict {
        code: ConflictCode::LicenseChanged,
        message: format!(
            "{} was under {} when {} was created ({}); it is under {} since {} ({})",
            key.id,
            first_after.from,
            graph.node(ix).key.id,
            created.date(),
            last.to,
            last.date.date(),
            last.source
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::{Declared, Node, Relation};
    use crate::license::KnowledgeBase;

    fn graph(created: &str) -> (Graph, NodeIndex) {
        let mut g = Graph::new();
        let base = g.upsert(Node::found(
            NodeKey::model("tiiuae/falcon-40b"),
            Declared {
                license: vec!["apache-2.0".into()],
                ..Declared::default()
            },
        ));
        let mut ft = Node::found(NodeKey::model("acme/falcon-40b-ft"), Declared::default());
        ft.created_at = Some(created.into());
        let ft = g.upsert(ft);
        g.add_edge(base, ft, Relation::Finetune);
        (g, ft)
    }

    #[test]
    fn the_batch_path_gives_the_same_findings_as_the_walk() {
        let kb = KnowledgeBase::builtin();
        let t = Timelines::from_catalog(&Catalog::builtin(&kb));
        for created in ["2023-05-26T08:00:00.000Z", "2023-06-26T08:00:00.000Z"] {
            let (mut g, ft) = graph(created);
            let mut q = Node::found(
                NodeKey::model("acme/falcon-40b-ft-GGUF"),
                Declared::default(),
            );
            q.created_at = Some("2023-05-27T00:00:00.000Z".into());
            let q = g.upsert(q);
            g.add_edge(ft, q, Relation::Quantized);
            let batch = Relicensed::new(&g, &t);
            for ix in g.node_indices() {
                assert_eq!(batch.findings(&g, ix), findings(&g, ix, &t), "{ix:?}");
            }
            assert_eq!(batch.findings(&g, q).len(), 1);
        }
    }

    #[test]
    fn a_model_made_before_its_base_was_relicensed_gets_the_finding() {
        // Falcon-40B: TII Falcon LLM License 1.0 → Apache-2.0 on 2023-05-31 (catalog, with sources).
        let kb = KnowledgeBase::builtin();
        let t = Timelines::from_catalog(&Catalog::builtin(&kb));
        let (g, ft) = graph("2023-05-26T08:00:00.000Z");
        let f = findings(&g, ft, &t);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].code, ConflictCode::LicenseChanged);
        let m = &f[0].message;
        assert!(
            m.contains("falcon-tii-1.0") && m.contains("apache-2.0"),
            "{m}"
        );
        assert!(m.contains("2023-05-26") && m.contains("2023-05-31"), "{m}");
        // Made after the change: nothing to say.
        let (g, ft) = graph("2023-06-10T08:00:00.000Z");
        assert!(findings(&g, ft, &t).is_empty());
        // No creation date: no finding (it cannot be placed in time).
        let (mut g, ft) = graph("2023-05-26T08:00:00.000Z");
        g.node_mut(ft).created_at = None;
        assert!(findings(&g, ft, &t).is_empty());
    }

    #[test]
    fn a_phi_2_fine_tune_from_december_2023_sees_the_research_license_it_was_made_under() {
        // phi-2: Microsoft Research License (README at e22cfa2) → MIT in January 2024 (catalog).
        let kb = KnowledgeBase::builtin();
        let t = Timelines::from_catalog(&Catalog::builtin(&kb));
        let mut g = Graph::new();
        let base = g.upsert(Node::found(
            NodeKey::model("microsoft/phi-2"),
            Declared::default(),
        ));
        let mut ft = Node::found(NodeKey::model("acme/phi-2-chat"), Declared::default());
        ft.created_at = Some("2023-12-20T10:00:00.000Z".into());
        let ft = g.upsert(ft);
        g.add_edge(base, ft, Relation::Finetune);
        let f = findings(&g, ft, &t);
        assert_eq!(f.len(), 1, "{f:?}");
        assert!(
            f[0].message
                .contains("was under microsoft-research-license")
                && f[0].message.contains("under mit since 2024-01-"),
            "{f:?}"
        );
        assert_eq!(
            t.license_at(
                &NodeKey::model("microsoft/phi-2"),
                Moment::parse("2023-12-31").unwrap()
            ),
            Some("microsoft-research-license")
        );
        assert_eq!(
            t.license_at(
                &NodeKey::model("microsoft/phi-2"),
                Moment::parse("2024-02-01").unwrap()
            ),
            None
        );
    }

    #[test]
    fn histories_replace_the_catalog_and_a_change_back_is_no_finding() {
        let key = NodeKey::model("tiiuae/falcon-40b");
        let mut t = Timelines::none();
        let change = |date: &str, from: &str, to: &str| FieldChange {
            field: Field::License,
            commit: format!("c-{date}"),
            date: date.into(),
            from: vec![from.into()],
            to: vec![to.into()],
        };
        t.add_history(
            &key,
            &[
                change("2023-06-01T00:00:00Z", "apache-2.0", "cc-by-nc-4.0"),
                change("2023-07-01T00:00:00Z", "cc-by-nc-4.0", "apache-2.0"),
            ],
        );
        assert_eq!(t.events(&key).len(), 2);
        let (g, ft) = graph("2023-05-26T08:00:00.000Z");
        assert!(findings(&g, ft, &t).is_empty(), "apache-2.0 then and now");
        let (g, ft) = graph("2023-06-15T08:00:00.000Z");
        let f = findings(&g, ft, &t);
        assert!(f[0].message.contains("was under cc-by-nc-4.0"), "{f:?}");
        assert!(f[0].message.contains("commit c-2023-07-01"), "{f:?}");
    }
}
