//! Audit: every model of a propagated graph whose card conflicts with what it inherits, streamed one
//! finding at a time and grouped by conflict code, by the ancestor that causes it and by what the
//! model declares ("derivatives of meta-llama/Llama-2-7b-hf that declare apache-2.0: 412").
//!
//! One pass over the nodes with the cheap verdict path ([`judge`]): no explanation is built, and the
//! optional path of a finding is a walk up from the model to its culprit only.

use crate::graph::{Graph, NodeIndex};
use crate::id::{NodeKey, RepoKind};
use crate::license::KnowledgeBase;
use crate::propagate::Propagation;
use crate::verdict::{judge, ConflictCode, Judgement, Verdict};
use rustc_hash::FxHashMap;
use std::collections::VecDeque;

/// Which models and findings an audit keeps.
#[derive(Clone, Debug, Default)]
pub struct AuditFilter {
    /// Only this model's descendants.
    pub base: Option<NodeIndex>,
    /// Only models whose card declares this license (case-insensitive).
    pub license: Option<String>,
    /// Only models of this author (the org part of the id).
    pub author: Option<String>,
    /// Only findings with this code.
    pub code: Option<ConflictCode>,
    /// Compute each finding's path from the model up to its culprit.
    pub paths: bool,
}

/// One conflict of one model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding<'g> {
    /// The model.
    pub model: &'g NodeKey,
    /// Its verdict on commercial use.
    pub verdict: Verdict,
    /// The conflict code.
    pub code: ConflictCode,
    /// What its card declares (`none` when nothing).
    pub declared: String,
    /// What it inherits that conflicts (a term, a license, a status).
    pub inherited: String,
    /// The ancestor that causes the conflict.
    pub culprit: Option<&'g NodeKey>,
    /// From the model (first) to the culprit (last), when asked for.
    pub path: Vec<&'g NodeKey>,
    /// The human sentence.
    pub message: String,
}

/// Findings of one code caused by one ancestor among models declaring one license.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Group {
    /// The conflict code.
    pub code: ConflictCode,
    /// The ancestor causing it.
    pub culprit: Option<NodeKey>,
    /// What the models declare.
    pub declared: String,
    /// How many models.
    pub count: u64,
}

/// Totals of an audit.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditSummary {
    /// Models looked at (after the filter).
    pub models: u64,
    /// Models with at least one finding.
    pub models_with_findings: u64,
    /// Findings.
    pub findings: u64,
    /// Findings per code, in code order.
    pub by_code: Vec<(ConflictCode, u64)>,
    /// Groups, largest first (ties by code, culprit, declared).
    pub groups: Vec<Group>,
}

/// Audits every model of `graph` that passes `filter`, calling `sink` with each finding as it is
/// found (nothing is collected but the group counts).
pub fn audit(
    graph: &Graph,
    prop: &Propagation,
    kb: &KnowledgeBase,
    filter: &AuditFilter,
    mut sink: impl FnMut(&Finding<'_>),
) -> AuditSummary {
    let in_scope: Option<Vec<bool>> = filter.base.map(|b| {
        let mut seen = vec![false; graph.node_count()];
        for d in graph.descendants(b) {
            seen[d.index()] = true;
        }
        seen[b.index()] = false;
        seen
    });
    let license = filter.license.as_ref().map(|l| l.to_ascii_lowercase());
    // Whether the model at `ix` is audited (the filter, and something declared to audit: a repo not
    // synced or not resolved has nothing, its descendants report it).
    let audited = |ix: NodeIndex| {
        let node = graph.node(ix);
        node.key.kind == RepoKind::Model
            && in_scope.as_ref().is_none_or(|s| s[ix.index()])
            && filter
                .author
                .as_ref()
                .is_none_or(|a| node.key.org() == Some(a.as_str()))
            && license.as_ref().is_none_or(|l| {
                node.card()
                    .license
                    .iter()
                    .any(|c| c.to_ascii_lowercase() == *l)
            })
            && node.resolution.is_known()
    };
    let mut summary = AuditSummary::default();
    let mut by_code: FxHashMap<ConflictCode, u64> = FxHashMap::default();
    let mut groups: FxHashMap<(ConflictCode, Option<NodeIndex>), FxHashMap<String, u64>> =
        FxHashMap::default();
    judged_in_order(graph, prop, kb, &audited, |ix, j| {
        let node = graph.node(ix);
        summary.models += 1;
        // What the card declares, written out once per model with a finding (most have none).
        let mut declared: Option<String> = None;
        let mut any = false;
        for f in &j.conflicts {
            if filter.code.is_some_and(|c| c != f.conflict.code) {
                continue;
            }
            any = true;
            let declared = declared.get_or_insert_with(|| {
                let card = node.card();
                if card.license.is_empty() {
                    "none".to_string()
                } else {
                    card.license.join(", ")
                }
            });
            let path = match (filter.paths, f.culprit) {
                (true, Some(c)) => path_up(graph, ix, c)
                    .into_iter()
                    .map(|p| &graph.node(p).key)
                    .collect(),
                _ => Vec::new(),
            };
            let finding = Finding {
                model: &node.key,
                verdict: j.commercial,
                code: f.conflict.code,
                declared: declared.clone(),
                inherited: f.inherited.clone(),
                culprit: f.culprit.map(|c| &graph.node(c).key),
                path,
                message: f.conflict.message.clone(),
            };
            sink(&finding);
            summary.findings += 1;
            *by_code.entry(finding.code).or_default() += 1;
            let same = groups.entry((finding.code, f.culprit)).or_default();
            match same.get_mut(declared.as_str()) {
                Some(n) => *n += 1,
                None => {
                    same.insert(declared.clone(), 1);
                }
            }
        }
        if any {
            summary.models_with_findings += 1;
        }
    });
    summary.by_code = ConflictCode::ALL
        .iter()
        .filter_map(|c| by_code.get(c).map(|n| (*c, *n)))
        .collect();
    let mut groups: Vec<Group> = groups
        .into_iter()
        .flat_map(|((code, culprit), same)| {
            same.into_iter().map(move |(declared, count)| Group {
                code,
                culprit: culprit.map(|c| graph.node(c).key.clone()),
                declared,
                count,
            })
        })
        .collect();
    groups.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then(a.code.cmp(&b.code))
            .then_with(|| a.culprit.cmp(&b.culprit))
            .then_with(|| a.declared.cmp(&b.declared))
    });
    summary.groups = groups;
    summary
}

/// Nodes judged per batch by [`judged_in_order`].
const JUDGE_BATCH: usize = 4096;

/// Calls `each` with the judgement of every node `audited` keeps, in node order. The judging is
/// spread over the machine's cores (batches go round-robin to workers and come back in order), so
/// the output is the same as judging one node after the other.
fn judged_in_order(
    graph: &Graph,
    prop: &Propagation,
    kb: &KnowledgeBase,
    audited: &(dyn Fn(NodeIndex) -> bool + Sync),
    mut each: impl FnMut(NodeIndex, Judgement),
) {
    let n = graph.node_count();
    let batches = n.div_ceil(JUDGE_BATCH);
    let workers = std::thread::available_parallelism()
        .map_or(1, |w| w.get())
        .clamp(1, 8)
        .min(batches.max(1));
    let batch = |b: usize| -> Vec<(NodeIndex, Judgement)> {
        (b * JUDGE_BATCH..((b + 1) * JUDGE_BATCH).min(n))
            .map(NodeIndex::new)
            .filter(|&ix| audited(ix))
            .map(|ix| (ix, judge(graph, prop, kb, ix)))
            .collect()
    };
    std::thread::scope(|s| {
        let receivers: Vec<_> = (0..workers)
            .map(|w| {
                let (tx, rx) = std::sync::mpsc::sync_channel(2);
                let batch = &batch;
                s.spawn(move || {
                    for b in (w..batches).step_by(workers) {
                        // A closed channel means the consumer stopped: nothing more is wanted.
                        if tx.send(batch(b)).is_err() {
                            return;
                        }
                    }
                });
                rx
            })
            .collect();
        for b in 0..batches {
            // A worker that panicked closes its channel; the scope re-raises its panic.
            let Ok(judged) = receivers[b % workers].recv() else {
                return;
            };
            for (ix, j) in judged {
                each(ix, j);
            }
        }
    });
}

/// A shortest path from `from` up to its ancestor `to` (both included); just `from` if `to` is not
/// an ancestor. Visits only the ancestry of `from`.
pub fn path_up(graph: &Graph, from: NodeIndex, to: NodeIndex) -> Vec<NodeIndex> {
    if from == to {
        return vec![from];
    }
    let mut prev: FxHashMap<NodeIndex, NodeIndex> = FxHashMap::default();
    let mut queue = VecDeque::from([from]);
    while let Some(n) = queue.pop_front() {
        for (p, _) in graph.parents(n) {
            if p == from || prev.contains_key(&p) {
                continue;
            }
            prev.insert(p, n);
            if p == to {
                let mut path = vec![to];
                let mut cur = to;
                while let Some(&c) = prev.get(&cur) {
                    path.push(c);
                    cur = c;
                }
                path.reverse();
                return path;
            }
            queue.push_back(p);
        }
    }
    vec![from]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::{Declared, Node, Relation};
    use crate::propagate::DatasetPolicy;
    use crate::verdict::assess;

    fn model(g: &mut Graph, id: &str, license: &str) -> NodeIndex {
        let declared = Declared {
            license: if license.is_empty() {
                Vec::new()
            } else {
                vec![license.into()]
            },
            ..Declared::default()
        };
        g.upsert(Node::found(NodeKey::model(id), declared))
    }

    /// Llama 2 → a fine-tune declaring apache-2.0 (laundering) → its quantization; a CC-BY-NC
    /// model → a fine-tune declaring mit; an honest Llama 2 fine-tune.
    fn fixture() -> (Graph, Vec<NodeIndex>) {
        let mut g = Graph::new();
        let llama = model(&mut g, "meta-llama/Llama-2-7b-hf", "llama2");
        let a = model(&mut g, "someone/llama2-chat-apache", "apache-2.0");
        let b = model(&mut g, "other/llama2-instruct", "apache-2.0");
        let q = model(&mut g, "quant/llama2-chat-apache-GGUF", "");
        let honest = model(&mut g, "fair/llama2-ft", "llama2");
        let nc = model(&mut g, "CohereForAI/aya-101-nc", "cc-by-nc-4.0");
        let m = model(&mut g, "mixer/aya-mit", "mit");
        g.add_edge(llama, a, Relation::Finetune);
        g.add_edge(llama, b, Relation::Finetune);
        g.add_edge(a, q, Relation::Quantized);
        g.add_edge(llama, honest, Relation::Finetune);
        g.add_edge(nc, m, Relation::Finetune);
        (g, vec![llama, a, b, q, honest, nc, m])
    }

    #[test]
    fn groups_by_code_culprit_and_declared_license() {
        let kb = KnowledgeBase::builtin();
        let (g, ix) = fixture();
        let prop = Propagation::run(&g, &kb, DatasetPolicy::Strict);
        let mut seen = Vec::new();
        let filter = AuditFilter {
            paths: true,
            ..AuditFilter::default()
        };
        let s = audit(&g, &prop, &kb, &filter, |f| {
            seen.push((
                f.model.id.clone(),
                f.code,
                f.culprit.map(|c| c.id.clone()),
                f.path.len(),
            ))
        });
        let top = &s.groups[0];
        assert_eq!(top.code, ConflictCode::DeclaredMorePermissive);
        assert_eq!(
            top.culprit,
            Some(NodeKey::model("meta-llama/Llama-2-7b-hf"))
        );
        assert_eq!(top.declared, "apache-2.0");
        assert_eq!(top.count, 2);
        assert!(s.groups.iter().any(|gr| gr.culprit
            == Some(NodeKey::model("CohereForAI/aya-101-nc"))
            && gr.declared == "mit"
            && gr.count == 1));
        // The honest fine-tune and the license-less quantization are not findings.
        assert!(!seen.iter().any(|(m, ..)| m == "fair/llama2-ft"));
        assert!(!seen
            .iter()
            .any(|(m, ..)| m == "quant/llama2-chat-apache-GGUF"));
        assert_eq!(s.models, ix.len() as u64);
        assert_eq!(s.models_with_findings, 3);
        let (_, _, _, path_len) = seen
            .iter()
            .find(|(m, ..)| m == "someone/llama2-chat-apache")
            .unwrap();
        assert_eq!(*path_len, 2);
    }

    #[test]
    fn filters_narrow_the_audit() {
        let kb = KnowledgeBase::builtin();
        let (g, ix) = fixture();
        let prop = Propagation::run(&g, &kb, DatasetPolicy::Strict);
        let base = AuditFilter {
            base: Some(ix[5]),
            ..AuditFilter::default()
        };
        let s = audit(&g, &prop, &kb, &base, |_| {});
        assert_eq!((s.models, s.findings), (1, 1));
        let lic = AuditFilter {
            license: Some("MIT".into()),
            ..AuditFilter::default()
        };
        assert_eq!(audit(&g, &prop, &kb, &lic, |_| {}).models, 1);
        let author = AuditFilter {
            author: Some("other".into()),
            ..AuditFilter::default()
        };
        assert_eq!(audit(&g, &prop, &kb, &author, |_| {}).findings, 1);
        let code = AuditFilter {
            code: Some(ConflictCode::Cycle),
            ..AuditFilter::default()
        };
        assert_eq!(audit(&g, &prop, &kb, &code, |_| {}).findings, 0);
    }

    #[test]
    fn judge_agrees_with_assess() {
        let kb = KnowledgeBase::builtin();
        let (mut g, ix) = fixture();
        // An unresolved parent and a cycle, so every branch of the cheap path is exercised.
        let missing = g.ensure(&NodeKey::model("gone/model"));
        let x = model(&mut g, "loop/x", "mit");
        let y = model(&mut g, "loop/y", "mit");
        g.add_edge(missing, ix[4], Relation::Merge);
        g.add_edge(x, y, Relation::Finetune);
        g.add_edge(y, x, Relation::Finetune);
        let prop = Propagation::run(&g, &kb, DatasetPolicy::Strict);
        for n in g.node_indices() {
            let full = assess(&g, &prop, &kb, n);
            let cheap = judge(&g, &prop, &kb, n);
            assert_eq!(full.commercial, cheap.commercial, "{}", full.node);
            let codes: Vec<ConflictCode> =
                cheap.conflicts.iter().map(|f| f.conflict.code).collect();
            let full_codes: Vec<ConflictCode> = full.conflicts.iter().map(|c| c.code).collect();
            assert_eq!(full_codes, codes, "{}", full.node);
        }
    }
}
