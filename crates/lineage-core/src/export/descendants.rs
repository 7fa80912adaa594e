//! `lineage descendants`: every derivative below a model with its verdict and conflicts, from the
//! cheap verdict-only path ([`judge`]); explanations ([`assess`], with paths) are built only for
//! what is printed with `--explain`. Nothing here is quadratic: one walk down from the root, one
//! judgement per derivative, one sort.

use super::{display_id, json::check_json, plain, reach};
use crate::graph::{Graph, NodeIndex};
use crate::license::KnowledgeBase;
use crate::propagate::Propagation;
use crate::verdict::{judge, license_label, Assessment, Conflict, Found, Judgement, Verdict};
use serde_json::{json, Map, Value};
use std::fmt::Write;

/// The schema id of a [`descendant_json`] object without explanations (with them, each object is
/// a `lineage.check/1` object whose conflicts also name their culprit).
pub const DESCENDANT_SCHEMA: &str = "lineage.descendant/1";

/// One derivative found below a model, judged without explanations.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Descendant {
    /// The derivative.
    pub ix: NodeIndex,
    /// Its verdict and conflicts, each with the ancestor that causes it.
    pub judgement: Judgement,
}

/// The descendants of `root` within `depth` edges (all of them when `None`), each judged, in report
/// order: those with conflicts first (the laundering audit), then the most restrictive verdicts,
/// then by key. `more` adds findings made outside the verdict (`license-changed`), without culprit.
pub fn judge_descendants(
    graph: &Graph,
    prop: &Propagation,
    kb: &KnowledgeBase,
    root: NodeIndex,
    depth: Option<usize>,
    more: &dyn Fn(NodeIndex) -> Vec<Conflict>,
) -> Vec<Descendant> {
    let mut found: Vec<Descendant> = reach(graph, &[root], depth, false)
        .into_iter()
        .filter(|&ix| ix != root)
        .map(|ix| {
            let mut judgement = judge(graph, prop, kb, ix);
            judgement
                .conflicts
                .extend(more(ix).into_iter().map(|conflict| Found {
                    conflict,
                    culprit: None,
                    inherited: String::new(),
                }));
            Descendant { ix, judgement }
        })
        .collect();
    found.sort_by(|x, y| {
        let (a, b) = (&x.judgement, &y.judgement);
        a.conflicts
            .is_empty()
            .cmp(&b.conflicts.is_empty())
            .then(b.commercial.cmp(&a.commercial))
            .then_with(|| graph.node(x.ix).key.cmp(&graph.node(y.ix).key))
    });
    found
}

/// A conflict with its culprit ancestor and what it inherits from it.
fn found_json(graph: &Graph, f: &Found) -> Value {
    let mut o = Map::new();
    o.insert("code".into(), json!(f.conflict.code.as_str()));
    o.insert("message".into(), json!(f.conflict.message));
    o.insert(
        "culprit".into(),
        json!(f.culprit.map(|c| display_id(&graph.node(c).key))),
    );
    if !f.inherited.is_empty() {
        o.insert("inherited".into(), json!(f.inherited));
    }
    Value::Object(o)
}

/// One derivative as JSON. Without an assessment: a `lineage.descendant/1` object (model, kind, own
/// license, verdict, conflicts with code, message, culprit and inherited terms). With one
/// (`--explain`): the `lineage.check/1` object of [`check_json`] (reasons and conditions with their
/// full paths), its conflicts naming their culprits the same way.
pub fn descendant_json(
    graph: &Graph,
    kb: &KnowledgeBase,
    d: &Descendant,
    explained: Option<&Assessment>,
) -> Value {
    let conflicts = Value::Array(
        d.judgement
            .conflicts
            .iter()
            .map(|f| found_json(graph, f))
            .collect(),
    );
    if let Some(a) = explained {
        let mut v = check_json(a, None);
        if let Value::Object(o) = &mut v {
            o.insert("conflicts".into(), conflicts);
        }
        return v;
    }
    let node = graph.node(d.ix);
    let mut o = Map::new();
    o.insert("schema".into(), json!(DESCENDANT_SCHEMA));
    o.insert("model".into(), json!(display_id(&node.key)));
    o.insert("kind".into(), json!(node.key.kind.as_str()));
    o.insert("license".into(), json!(license_label(graph, kb, d.ix)));
    o.insert("commercial".into(), json!(d.judgement.commercial.as_str()));
    o.insert("conflicts".into(), conflicts);
    Value::Object(o)
}

/// The human report of `lineage descendants`: how many derivatives were found, then each one (in the
/// order given) with its verdict, id, declared license and conflicts (with the ancestor causing
/// each). `explain` gives the assessment of a derivative when its summary is wanted (`--explain`);
/// `tag` renders a verdict as `[forbidden]` (the CLI adds colour on a terminal).
pub fn descendants_text(
    graph: &Graph,
    kb: &KnowledgeBase,
    root: NodeIndex,
    depth: Option<usize>,
    found: &[Descendant],
    explain: Option<&dyn Fn(NodeIndex) -> Assessment>,
    tag: &dyn Fn(Verdict) -> String,
) -> String {
    let mut out = format!(
        "{} derivatives of {} found{}\n",
        found.len(),
        plain(&display_id(&graph.node(root).key)),
        depth
            .map(|d| format!(" within {d} edges"))
            .unwrap_or_default()
    );
    for d in found {
        let lic = license_label(graph, kb, d.ix).unwrap_or_else(|| "no license".into());
        let _ = writeln!(
            out,
            "\n{} {} (declares {})",
            tag(d.judgement.commercial),
            plain(&display_id(&graph.node(d.ix).key)),
            plain(&lic),
        );
        if let Some(explain) = explain {
            let _ = writeln!(out, "  {}", plain(&explain(d.ix).summary));
        }
        for f in &d.judgement.conflicts {
            let _ = writeln!(
                out,
                "  ! {}: {}",
                f.conflict.code,
                plain(&f.conflict.message)
            );
        }
    }
    out
}
