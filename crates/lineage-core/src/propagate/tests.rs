//! Real-world lineages (facts from public model cards) and properties of propagation.

use super::*;
use crate::graph::{Declared, Node};
use crate::id::NodeKey;
use crate::verdict::{assess, Assessment, ConflictCode, Verdict};
use proptest::prelude::*;

fn card(license: &[&str]) -> Declared {
    Declared {
        license: license.iter().map(|s| s.to_string()).collect(),
        ..Declared::default()
    }
}

fn model(g: &mut Graph, id: &str, license: &[&str]) -> NodeIndex {
    g.upsert(Node::found(NodeKey::model(id), card(license)))
}

fn dataset(g: &mut Graph, id: &str, license: &[&str]) -> NodeIndex {
    g.upsert(Node::found(NodeKey::dataset(id), card(license)))
}

fn judge(g: &Graph, ix: NodeIndex, policy: DatasetPolicy) -> Assessment {
    let kb = KnowledgeBase::builtin();
    let prop = Propagation::run(g, &kb, policy);
    assess(g, &prop, &kb, ix)
}

fn codes(a: &Assessment) -> Vec<ConflictCode> {
    a.conflicts.iter().map(|c| c.code).collect()
}

fn has_term(reasons: &[crate::verdict::Reason], kind: TermKind) -> bool {
    reasons.iter().any(|r| r.term.kind() == kind)
}

/// An adapter on Llama 2 that declares apache-2.0 (a common pattern for LoRAs on the Hub).
#[test]
fn llama2_lora_declaring_apache_is_conditional_and_flagged() {
    let mut g = Graph::new();
    let base = model(&mut g, "meta-llama/Llama-2-7b-hf", &["llama2"]);
    let lora = model(&mut g, "someone/llama-2-7b-alpaca-lora", &["apache-2.0"]);
    g.add_edge(base, lora, Relation::Adapter);
    let a = judge(&g, lora, DatasetPolicy::Strict);
    assert_eq!(a.commercial, Verdict::Conditional);
    assert!(
        codes(&a).contains(&ConflictCode::DeclaredMorePermissive),
        "{:?}",
        a.conflicts
    );
    let aup = a
        .conditions
        .iter()
        .find(|r| r.term.kind() == TermKind::UsePolicy)
        .expect("the Llama 2 AUP passes down");
    assert_eq!(aup.origin, NodeKey::model("meta-llama/Llama-2-7b-hf"));
    assert_eq!(aup.path.len(), 2);
    assert_eq!(aup.path[0].relation, Some(Relation::Adapter));
    assert!(has_term(&a.conditions, TermKind::UserThreshold));
}

/// An MIT-declared model trained on tatsu-lab/alpaca (cc-by-nc-4.0): forbidden under the strict
/// dataset policy, with the dataset as origin; permitted with an advisory under lenient.
#[test]
fn mit_model_trained_on_alpaca() {
    let mut g = Graph::new();
    let alpaca = dataset(&mut g, "tatsu-lab/alpaca", &["cc-by-nc-4.0"]);
    let m = model(&mut g, "someone/mit-alpaca-model", &["mit"]);
    g.add_edge(alpaca, m, Relation::TrainedOn);
    let a = judge(&g, m, DatasetPolicy::Strict);
    assert_eq!(a.commercial, Verdict::Forbidden);
    assert_eq!(a.reasons[0].origin, NodeKey::dataset("tatsu-lab/alpaca"));
    assert_eq!(a.reasons[0].term, Term::NonCommercial);
    assert_eq!(a.reasons[0].license.as_deref(), Some("cc-by-nc-4.0"));
    assert!(codes(&a).contains(&ConflictCode::DeclaredMorePermissive));
    assert!(
        a.summary.starts_with("forbidden: non-commercial"),
        "{}",
        a.summary
    );

    let lenient = judge(&g, m, DatasetPolicy::Lenient);
    assert_eq!(lenient.commercial, Verdict::Permitted);
    assert_eq!(lenient.dataset_policy, DatasetPolicy::Lenient);
    assert!(lenient
        .advisories
        .iter()
        .any(|r| r.term == Term::NonCommercial && r.advisory));
}

/// bartowski-style GGUF (no license, base_model_relation quantized) of NousResearch/Hermes-3-Llama-3.1-8B,
/// which declares `llama3` over meta-llama/Llama-3.1-8B (llama3.1).
#[test]
fn gguf_without_license_of_llama31_finetune_inherits() {
    let mut g = Graph::new();
    let base = model(&mut g, "meta-llama/Llama-3.1-8B", &["llama3.1"]);
    let ft = model(&mut g, "NousResearch/Hermes-3-Llama-3.1-8B", &["llama3"]);
    let gguf = model(&mut g, "bartowski/Hermes-3-Llama-3.1-8B-GGUF", &[]);
    g.add_edge(base, ft, Relation::Finetune);
    g.add_edge(ft, gguf, Relation::Quantized);
    let a = judge(&g, gguf, DatasetPolicy::Strict);
    assert_eq!(a.commercial, Verdict::Conditional, "{}", a.summary);
    assert!(a
        .reasons
        .iter()
        .all(|r| r.origin != NodeKey::model("bartowski/Hermes-3-Llama-3.1-8B-GGUF")));
    assert!(has_term(&a.conditions, TermKind::NamePrefix));
    assert!(
        a.conflicts.is_empty(),
        "a copy declares nothing, so nothing conflicts: {:?}",
        a.conflicts
    );

    let ft_a = judge(&g, ft, DatasetPolicy::Strict);
    assert!(
        codes(&ft_a).contains(&ConflictCode::LicenseVersionMismatch),
        "{:?}",
        ft_a.conflicts
    );
}

/// sayakpaul/FLUX.1-merged: a merge of FLUX.1-dev (non-commercial) and FLUX.1-schnell (apache-2.0).
#[test]
fn flux_dev_schnell_merge_is_forbidden() {
    let mut g = Graph::new();
    let dev = g.upsert(Node::found(
        NodeKey::model("black-forest-labs/FLUX.1-dev"),
        Declared {
            license: vec!["other".into()],
            license_name: Some("flux-1-dev-non-commercial-license".into()),
            license_link: Some("LICENSE.md".into()),
            ..Declared::default()
        },
    ));
    let schnell = model(&mut g, "black-forest-labs/FLUX.1-schnell", &["apache-2.0"]);
    let merged = model(&mut g, "sayakpaul/FLUX.1-merged", &["other"]);
    g.add_edge(dev, merged, Relation::Merge);
    g.add_edge(schnell, merged, Relation::Merge);
    let a = judge(&g, merged, DatasetPolicy::Strict);
    assert_eq!(a.commercial, Verdict::Forbidden, "{}", a.summary);
    assert_eq!(
        a.reasons[0].origin,
        NodeKey::model("black-forest-labs/FLUX.1-dev")
    );
    assert_eq!(
        judge(&g, schnell, DatasetPolicy::Strict).commercial,
        Verdict::Permitted
    );
}

/// A Gemma fine-tune: the Gemma Prohibited Use Policy passes to the derivative.
#[test]
fn gemma_finetune_carries_use_policy() {
    let mut g = Graph::new();
    let base = model(&mut g, "google/gemma-2-9b", &["gemma"]);
    let ft = model(&mut g, "princeton-nlp/gemma-2-9b-it-SimPO", &["gemma"]);
    g.add_edge(base, ft, Relation::Finetune);
    let a = judge(&g, ft, DatasetPolicy::Strict);
    assert_eq!(a.commercial, Verdict::Conditional);
    let up = a
        .conditions
        .iter()
        .find(|r| r.term.kind() == TermKind::UsePolicy)
        .unwrap();
    assert_eq!(up.origin, NodeKey::model("google/gemma-2-9b"));
    assert!(!codes(&a).contains(&ConflictCode::DeclaredMorePermissive));
}

/// databricks/databricks-dolly-15k (cc-by-sa-3.0) under an MIT-declared model.
#[test]
fn share_alike_dataset_under_mit_model() {
    let mut g = Graph::new();
    let dolly = dataset(&mut g, "databricks/databricks-dolly-15k", &["cc-by-sa-3.0"]);
    let m = model(&mut g, "someone/mit-dolly-model", &["mit"]);
    g.add_edge(dolly, m, Relation::TrainedOn);
    let a = judge(&g, m, DatasetPolicy::Strict);
    assert_eq!(a.commercial, Verdict::Conditional);
    assert!(
        codes(&a).contains(&ConflictCode::ShareAlikeMismatch),
        "{:?}",
        a.conflicts
    );
}

/// nvidia/OpenMath2-Llama3.1-8B derives from Llama 3.1 but its name does not start with "Llama".
#[test]
fn llama31_derivative_without_llama_prefix() {
    let mut g = Graph::new();
    let base = model(&mut g, "meta-llama/Llama-3.1-8B", &["llama3.1"]);
    let ft = model(&mut g, "nvidia/OpenMath2-Llama3.1-8B", &["llama3.1"]);
    let good = model(&mut g, "arcee-ai/Llama-3.1-SuperNova-Lite", &["llama3.1"]);
    g.add_edge(base, ft, Relation::Finetune);
    g.add_edge(base, good, Relation::Finetune);
    assert!(codes(&judge(&g, ft, DatasetPolicy::Strict)).contains(&ConflictCode::NamePrefixMissing));
    assert!(
        !codes(&judge(&g, good, DatasetPolicy::Strict)).contains(&ConflictCode::NamePrefixMissing)
    );
}

#[test]
fn self_reference_and_two_node_cycle_terminate_and_report() {
    let mut g = Graph::new();
    let me = model(&mut g, "someone/self-base", &["apache-2.0"]);
    g.add_edge(me, me, Relation::Finetune);
    let a = model(&mut g, "x/a", &["apache-2.0"]);
    let b = model(&mut g, "x/b", &["mit"]);
    g.add_edge(a, b, Relation::Finetune);
    g.add_edge(b, a, Relation::Finetune);
    let child = model(&mut g, "x/child", &["apache-2.0"]);
    g.add_edge(b, child, Relation::Finetune);
    for ix in [me, a, b] {
        let v = judge(&g, ix, DatasetPolicy::Strict);
        assert_eq!(v.commercial, Verdict::Unknown, "{}", v.summary);
        assert!(codes(&v).contains(&ConflictCode::Cycle));
    }
    let c = judge(&g, child, DatasetPolicy::Strict);
    assert_eq!(c.commercial, Verdict::Unknown);
    assert!(
        !codes(&c).contains(&ConflictCode::Cycle),
        "the child is not on the cycle"
    );
}

#[test]
fn unreachable_base_is_unknown_never_permitted() {
    let mut g = Graph::new();
    let base = g.upsert(Node {
        resolution: crate::graph::Resolution::Unreachable {
            why: "HTTP 503 after 4 attempts".into(),
        },
        ..Node::placeholder(NodeKey::model("gone/base"))
    });
    let m = model(&mut g, "someone/apache-finetune", &["apache-2.0"]);
    g.add_edge(base, m, Relation::Finetune);
    let a = judge(&g, m, DatasetPolicy::Strict);
    assert_eq!(a.commercial, Verdict::Unknown);
    assert!(codes(&a).contains(&ConflictCode::UnresolvedAncestor));
    assert_eq!(a.unresolved.len(), 1);
    assert_eq!(a.reasons[0].origin, NodeKey::model("gone/base"));
}

#[test]
fn missing_license_is_unknown_but_quantized_copies_inherit() {
    let mut g = Graph::new();
    let base = model(&mut g, "mistralai/Mistral-7B-v0.1", &["apache-2.0"]);
    let ft = model(&mut g, "someone/no-license-finetune", &[]);
    let q = model(&mut g, "someone/Mistral-7B-v0.1-GGUF", &[]);
    g.add_edge(base, ft, Relation::Finetune);
    g.add_edge(base, q, Relation::Quantized);
    assert_eq!(
        judge(&g, ft, DatasetPolicy::Strict).commercial,
        Verdict::Unknown
    );
    assert_eq!(
        judge(&g, q, DatasetPolicy::Strict).commercial,
        Verdict::Permitted
    );
    let orphan = model(&mut g, "someone/orphan", &[]);
    assert_eq!(
        judge(&g, orphan, DatasetPolicy::Strict).commercial,
        Verdict::Unknown
    );
}

#[test]
fn dataset_attribution_does_not_bind_models_but_non_commercial_does() {
    let mut g = Graph::new();
    let wiki = dataset(&mut g, "wikimedia/wikipedia", &["cc-by-sa-3.0"]);
    let nc = dataset(&mut g, "x/nc-derived", &["cc-by-4.0"]);
    let grand = dataset(&mut g, "x/nc-source", &["cc-by-nc-4.0"]);
    g.add_edge(grand, nc, Relation::DerivedFrom);
    let m = model(&mut g, "x/model", &["cc-by-sa-3.0"]);
    g.add_edge(wiki, m, Relation::TrainedOn);
    let a = judge(&g, m, DatasetPolicy::Strict);
    let attributions: Vec<_> = a
        .conditions
        .iter()
        .filter(|r| r.term.kind() == TermKind::Attribution)
        .collect();
    assert!(!attributions.is_empty());
    assert!(
        attributions
            .iter()
            .all(|r| r.origin == NodeKey::model("x/model")),
        "dataset attribution stays with the dataset"
    );
    g.add_edge(nc, m, Relation::TrainedOn);
    let a = judge(&g, m, DatasetPolicy::Strict);
    assert_eq!(a.commercial, Verdict::Forbidden);
    let r = &a.reasons[0];
    assert_eq!(r.origin, NodeKey::dataset("x/nc-source"));
    assert_eq!(r.path.len(), 3, "model ← derived dataset ← source dataset");
}

#[test]
fn renamed_alias_inherits_from_the_new_id() {
    let mut g = Graph::new();
    let new = model(&mut g, "google-bert/bert-base-uncased", &["apache-2.0"]);
    let old = g.upsert(Node {
        resolution: crate::graph::Resolution::Renamed {
            to: "google-bert/bert-base-uncased".into(),
        },
        ..Node::placeholder(NodeKey::model("bert-base-uncased"))
    });
    g.add_edge(new, old, Relation::Renamed);
    let child = model(&mut g, "someone/bert-finetune", &["apache-2.0"]);
    g.add_edge(old, child, Relation::Finetune);
    assert_eq!(
        judge(&g, child, DatasetPolicy::Strict).commercial,
        Verdict::Permitted
    );
}

/// The old id of a renamed CC BY-ND repo is that repo: conditional like the repo, not a derivative.
/// A quantized copy is a derivative (quantizing changes the weights), so it is forbidden.
#[test]
fn no_derivatives_binds_old_ids_as_the_work_and_quantized_copies_as_derivatives() {
    let mut g = Graph::new();
    let work = model(&mut g, "acme-research/nd-model", &["cc-by-nd-4.0"]);
    let old = g.upsert(Node {
        resolution: crate::graph::Resolution::Renamed {
            to: "acme-research/nd-model".into(),
        },
        ..Node::placeholder(NodeKey::model("acme/nd-model"))
    });
    g.add_edge(work, old, Relation::Renamed);
    let older = g.upsert(Node {
        resolution: crate::graph::Resolution::Renamed {
            to: "acme/nd-model".into(),
        },
        ..Node::placeholder(NodeKey::model("acme/nd-model-v0"))
    });
    g.add_edge(old, older, Relation::Renamed);
    let quant = model(&mut g, "someone/nd-model-GGUF", &[]);
    g.add_edge(old, quant, Relation::Quantized);

    for ix in [work, old, older] {
        let a = judge(&g, ix, DatasetPolicy::Strict);
        assert_eq!(a.commercial, Verdict::Conditional, "{}", g.node(ix).key);
        assert!(
            a.conditions.iter().any(|c| c.term == Term::NoDerivatives),
            "{}: {a:?}",
            g.node(ix).key
        );
        assert!(
            a.conflicts
                .iter()
                .all(|c| c.code != crate::verdict::ConflictCode::NoDerivativesViolated),
            "{}: {:?}",
            g.node(ix).key,
            a.conflicts
        );
    }
    let a = judge(&g, quant, DatasetPolicy::Strict);
    assert_eq!(a.commercial, Verdict::Forbidden);
    assert!(a
        .conflicts
        .iter()
        .any(|c| c.code == crate::verdict::ConflictCode::NoDerivativesViolated));
}

// ---------------------------------------------------------------------------------------------
// Properties

const LICENSES: &[&[&str]] = &[
    &["apache-2.0"],
    &["mit"],
    &["llama2"],
    &["llama3.1"],
    &["gemma"],
    &["cc-by-nc-4.0"],
    &["cc-by-sa-4.0"],
    &["cc-by-nd-4.0"],
    &["unknown"],
    &["not-a-license"],
    &[],
];
const RELATIONS: &[Relation] = &[
    Relation::Finetune,
    Relation::Adapter,
    Relation::Quantized,
    Relation::Merge,
    Relation::TrainedOn,
    Relation::DerivedFrom,
    Relation::Renamed,
    Relation::GeneratedBy,
];

#[derive(Clone, Debug)]
struct Spec {
    nodes: Vec<(bool, usize)>, // (is dataset, license index)
    edges: Vec<(usize, usize, usize)>,
}

fn spec() -> impl Strategy<Value = Spec> {
    (1usize..14).prop_flat_map(|n| {
        (
            proptest::collection::vec((any::<bool>(), 0..LICENSES.len()), n),
            proptest::collection::vec((0..n, 0..n, 0..RELATIONS.len()), 0..(n * 2)),
        )
            .prop_map(|(nodes, edges)| Spec { nodes, edges })
    })
}

/// Builds the graph, fixing relations to fit node kinds (datasets only feed models via trained-on and
/// datasets via derived-from; models feed datasets only as their generators, via generated-by).
fn build(s: &Spec, order: &[usize], edge_order: &[usize]) -> Graph {
    let mut g = Graph::new();
    for &i in order {
        let lic = s.nodes[i].1;
        let node = match alias_of(s, i) {
            // An old id as the Hub serves it: a redirect, no card of its own.
            Some(to) => Node {
                resolution: crate::graph::Resolution::Renamed {
                    to: key(s, to).id.clone(),
                },
                ..Node::placeholder(key(s, i))
            },
            None => Node::found(key(s, i), card(LICENSES[lic])),
        };
        g.upsert(node);
    }
    for &e in edge_order {
        let (p, c, r) = s.edges[e];
        if let Some((pk, ck, rel)) = edge_keys(s, p, c, r) {
            let (pi, ci) = (g.find(&pk).unwrap(), g.find(&ck).unwrap());
            g.add_edge(pi, ci, rel);
        }
    }
    g
}

fn key(s: &Spec, i: usize) -> NodeKey {
    if s.nodes[i].0 {
        NodeKey::dataset(format!("d/{i}"))
    } else {
        NodeKey::model(format!("m/{i}"))
    }
}

/// The relation a spec edge gets once fitted to its nodes' kinds (a model feeds a dataset only as
/// the generator that wrote it).
fn fitted(s: &Spec, p: usize, c: usize, r: usize) -> Option<Relation> {
    Some(match (s.nodes[p].0, s.nodes[c].0) {
        (true, true) => Relation::DerivedFrom,
        (true, false) => Relation::TrainedOn,
        (false, true) => Relation::GeneratedBy,
        (false, false) => match RELATIONS[r] {
            Relation::TrainedOn | Relation::DerivedFrom | Relation::GeneratedBy => {
                Relation::Finetune
            }
            other => other,
        },
    })
}

/// The current id of `c` when `c` is an old id: every edge into it is a rename from one other
/// model, as the Hub's redirects give (a node with any other parent is not an alias).
fn alias_of(s: &Spec, c: usize) -> Option<usize> {
    let mut to = None;
    for &(p, cc, r) in &s.edges {
        if cc != c {
            continue;
        }
        match fitted(s, p, c, r) {
            None => {}
            Some(Relation::Renamed) if p != c && to.is_none_or(|t| t == p) => to = Some(p),
            Some(_) => return None,
        }
    }
    to
}

fn edge_keys(s: &Spec, p: usize, c: usize, r: usize) -> Option<(NodeKey, NodeKey, Relation)> {
    let rel = match fitted(s, p, c, r)? {
        // A rename edge into a node that is not an alias is read as what it would otherwise be.
        Relation::Renamed if alias_of(s, c) != Some(p) => Relation::Finetune,
        other => other,
    };
    Some((key(s, p), key(s, c), rel))
}

fn verdicts(g: &Graph, policy: DatasetPolicy) -> std::collections::BTreeMap<NodeKey, Verdict> {
    let kb = KnowledgeBase::builtin();
    let prop = Propagation::run(g, &kb, policy);
    g.node_indices()
        .map(|ix| (g.node(ix).key.clone(), assess(g, &prop, &kb, ix).commercial))
        .collect()
}

type Normal = std::collections::BTreeMap<NodeKey, Vec<(Term, NodeKey, bool)>>;

fn normal(g: &Graph, prop: &Propagation) -> Normal {
    g.node_indices()
        .map(|ix| {
            let mut v: Vec<(Term, NodeKey, bool)> = prop
                .effective(ix)
                .iter()
                .map(|e| {
                    (
                        prop.term(e.term).clone(),
                        g.node(e.origin).key.clone(),
                        e.advisory,
                    )
                })
                .collect();
            v.sort();
            (g.node(ix).key.clone(), v)
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    /// Adding an edge never loosens a verdict, except that an unlicensed root gaining its first
    /// (copy) parent learns where it comes from: that is new knowledge resolving an unknown, not a
    /// restrictive fact, so such nodes are excluded as targets.
    #[test]
    fn adding_an_edge_never_loosens(s in spec(), extra in (0usize..14, 0usize..14, 0..RELATIONS.len())) {
        let n = s.nodes.len();
        let (p, c, r) = (extra.0 % n, extra.1 % n, extra.2);
        let order: Vec<usize> = (0..n).collect();
        let eorder: Vec<usize> = (0..s.edges.len()).collect();
        let before_g = build(&s, &order, &eorder);
        let target_has_parents = before_g.parents(before_g.find(&key(&s, c)).unwrap()).next().is_some();
        prop_assume!(target_has_parents || !LICENSES[s.nodes[c].1].is_empty());
        let mut s2 = s.clone();
        s2.edges.push((p, c, r));
        // A new rename turns a repo with its own card into an old id of another: that is a different
        // repository, not a more restrictive fact about the same one.
        prop_assume!((0..n).all(|i| alias_of(&s2, i).is_none() || alias_of(&s, i) == alias_of(&s2, i)));
        let after_g = build(&s2, &order, &(0..s2.edges.len()).collect::<Vec<_>>());
        for policy in [DatasetPolicy::Strict, DatasetPolicy::Lenient] {
            let before = verdicts(&before_g, policy);
            let after = verdicts(&after_g, policy);
            for (k, v) in &before {
                prop_assert!(after[k] >= *v, "{k}: {v} -> {}", after[k]);
            }
        }
    }

    /// Making one node's license more restrictive (adding non-commercial or unknown) never loosens.
    #[test]
    fn adding_a_restrictive_term_never_loosens(s in spec(), who in 0usize..14, which in 0usize..2) {
        let n = s.nodes.len();
        let who = who % n;
        let order: Vec<usize> = (0..n).collect();
        let eorder: Vec<usize> = (0..s.edges.len()).collect();
        let g = build(&s, &order, &eorder);
        let mut g2 = g.clone();
        let ix = g2.find(&key(&s, who)).unwrap();
        // An unlicensed node's unknown license, in a generator or anywhere above one, stands for
        // unknown *output* terms, which make the data the generator wrote unknown; naming that
        // license (one with no output terms, like CC BY-NC) is new knowledge about those outputs,
        // not a restriction on them.
        prop_assume!(
            !(g.node(ix).declared.license.is_empty()
                && g.descendants(ix)
                    .into_iter()
                    .any(|d| g.children(d).any(|(_, r)| r == Relation::GeneratedBy)))
        );
        let extra = ["cc-by-nc-4.0", "unknown"][which];
        let node = g2.node_mut(ix);
        if node.declared.license.is_empty() {
            // An unlicensed copy gains a license of its own: keep what it inherited by adding the extra
            // term on top of nothing else.
            node.declared.license = vec![extra.to_string()];
        } else {
            node.declared.license.push(extra.to_string());
        }
        for policy in [DatasetPolicy::Strict, DatasetPolicy::Lenient] {
            let before = verdicts(&g, policy);
            let after = verdicts(&g2, policy);
            for (k, v) in &before {
                prop_assert!(after[k] >= *v, "{k}: {v} -> {}", after[k]);
            }
        }
    }

    /// Insertion order of nodes and edges changes nothing; a second propagation step changes nothing
    /// (the result is a fixpoint of the per-edge rules).
    #[test]
    fn order_independent_and_idempotent(s in spec(), seed in any::<u64>()) {
        let kb = KnowledgeBase::builtin();
        let n = s.nodes.len();
        let order: Vec<usize> = (0..n).collect();
        let eorder: Vec<usize> = (0..s.edges.len()).collect();
        let g1 = build(&s, &order, &eorder);
        let mut rng = seed;
        let mut shuffle = |v: &mut Vec<usize>| {
            for i in (1..v.len()).rev() {
                rng = rng.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                v.swap(i, (rng >> 33) as usize % (i + 1));
            }
        };
        let (mut o2, mut e2) = (order.clone(), eorder.clone());
        shuffle(&mut o2);
        shuffle(&mut e2);
        let g2 = build(&s, &o2, &e2);
        for policy in [DatasetPolicy::Strict, DatasetPolicy::Lenient] {
            let p1 = Propagation::run(&g1, &kb, policy);
            let p2 = Propagation::run(&g2, &kb, policy);
            prop_assert_eq!(normal(&g1, &p1), normal(&g2, &p2));
            prop_assert_eq!(verdicts(&g1, policy), verdicts(&g2, policy));
            // Fixpoint: every term a parent passes is already in the child's effective set.
            for (p, c, rel) in g1.edges() {
                for e in p1.effective(p) {
                    let t = p1.term(e.term);
                    let passed = pass(rel, t.kind(), policy);
                    if passed == Pass::Stop { continue; }
                    let there = p1.effective(c).iter().any(|f| p1.term(f.term) == t
                        && (passed == Pass::Advise || e.advisory || !f.advisory));
                    prop_assert!(there, "{} lost {t} from {}", g1.node(c).key, g1.node(p).key);
                }
            }
        }
    }

    /// Any unknown model ancestor (or, under the strict dataset policy, any unknown ancestor at all)
    /// means no descendant is permitted.
    #[test]
    fn unknown_ancestor_never_yields_permitted(s in spec()) {
        let n = s.nodes.len();
        let g = build(&s, &(0..n).collect::<Vec<_>>(), &(0..s.edges.len()).collect::<Vec<_>>());
        let kb = KnowledgeBase::builtin();
        let prop = Propagation::run(&g, &kb, DatasetPolicy::Strict);
        for ix in g.node_indices() {
            let any_unknown = g.ancestors(ix).into_iter().any(|a| {
                own_terms(&g, &kb, a).terms.iter().any(|t| t.kind() == TermKind::Unknown)
            }) || g.ancestors(ix).into_iter().any(|a| prop.cycle_of(a).is_some());
            if any_unknown {
                prop_assert_ne!(assess(&g, &prop, &kb, ix).commercial, Verdict::Permitted);
            }
        }
    }
}
