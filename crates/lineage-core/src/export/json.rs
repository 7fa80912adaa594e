//! JSON: the graph (`lineage.graph/1`) and one model's check result (`lineage.check/1`), for other tools.
//!
//! Both objects are built field by field rather than derived from the Rust types, so that the schema is
//! a contract that does not move when an internal struct does.

use super::{display_id, View};
use crate::graph::Declared;
use crate::policy::PolicyOutcome;
use crate::verdict::{Assessment, Reason};
use serde::Serialize;
use serde_json::{json, Map, Value};

/// The schema id of [`json()`].
pub const GRAPH_SCHEMA: &str = "lineage.graph/1";
/// The schema id of [`check_json()`].
pub const CHECK_SCHEMA: &str = "lineage.check/1";

/// The view as a `lineage.graph/1` object: roots, nodes (id, kind, revision, resolution, declared card
/// fields, own license, verdict, conflict codes) and edges (from, to, relation), sorted by key.
///
/// Node ids are node keys (`model:org/name`, `dataset:org/name`), because a model and a dataset may share
/// a Hub id; `repo` is the Hub id alone.
pub fn json(view: &View<'_>) -> Value {
    let graph = view.graph();
    let roots: Vec<String> = view
        .roots()
        .iter()
        .map(|&r| graph.node(r).key.to_string())
        .collect();
    let nodes: Vec<Value> = view
        .shown()
        .iter()
        .map(|s| {
            let node = graph.node(s.ix);
            let a = view.assessed(s);
            let mut o = Map::new();
            o.insert("id".into(), json!(node.key.to_string()));
            o.insert("kind".into(), json!(node.key.kind.as_str()));
            o.insert("repo".into(), json!(node.key.id));
            o.insert("revision".into(), json!(node.revision));
            let mut resolution = to_value(&node.resolution);
            if let (Value::Object(r), Some(f)) = (&mut resolution, &node.fallback) {
                r.insert("fallback".into(), json!(f));
            }
            o.insert("resolution".into(), resolution);
            o.insert("declared".into(), declared_json(&node.declared));
            o.insert("license".into(), json!(s.license));
            o.insert("verdict".into(), json!(a.commercial.as_str()));
            o.insert(
                "conflicts".into(),
                json!(a
                    .conflicts
                    .iter()
                    .map(|c| c.code.as_str())
                    .collect::<Vec<_>>()),
            );
            if node.gated {
                o.insert("gated".into(), json!(true));
            }
            if !node.clarifications.is_empty() {
                o.insert("clarifications".into(), to_value(&node.clarifications));
            }
            Value::Object(o)
        })
        .collect();
    let edges: Vec<Value> = view
        .edges()
        .into_iter()
        .map(|(p, c, r)| {
            json!({
                "from": graph.node(p).key.to_string(),
                "to": graph.node(c).key.to_string(),
                "relation": r.as_str(),
            })
        })
        .collect();
    json!({
        "schema": GRAPH_SCHEMA,
        "dataset_policy": view.propagation().dataset_policy().as_str(),
        "roots": roots,
        "nodes": nodes,
        "edges": edges,
    })
}

/// One assessment as a `lineage.check/1` object (design §5): the model and what its card declares, the
/// commercial verdict and summary, conditions, reasons and advisories with their paths to the origin,
/// conflicts, unresolved ancestors, the dataset policy, and the policy decision when one was made.
pub fn check_json(a: &Assessment, policy: Option<&PolicyOutcome>) -> Value {
    let mut o = Map::new();
    o.insert("schema".into(), json!(CHECK_SCHEMA));
    o.insert("model".into(), json!(display_id(&a.node)));
    o.insert("kind".into(), json!(a.node.kind.as_str()));
    o.insert("revision".into(), json!(a.revision));
    o.insert("declared".into(), declared_json(&a.declared));
    let mut resolution = serde_json::to_value(&a.resolution).unwrap_or(Value::Null);
    if let (Value::Object(r), Some(own)) = (
        &mut resolution,
        a.stand_ins.iter().find(|s| s.node == a.node),
    ) {
        r.insert("fallback".into(), json!(own.fallback));
    }
    o.insert("resolution".into(), resolution);
    if !a.stand_ins.is_empty() {
        o.insert("stand_ins".into(), json!(a.stand_ins));
    }
    o.insert("commercial".into(), json!(a.commercial.as_str()));
    o.insert("summary".into(), json!(a.summary));
    o.insert("conditions".into(), reasons_json(&a.conditions));
    o.insert("reasons".into(), reasons_json(&a.reasons));
    o.insert("advisories".into(), reasons_json(&a.advisories));
    o.insert(
        "conflicts".into(),
        Value::Array(
            a.conflicts
                .iter()
                .map(|c| json!({"code": c.code.as_str(), "message": c.message}))
                .collect(),
        ),
    );
    o.insert(
        "unresolved".into(),
        Value::Array(
            a.unresolved
                .iter()
                .map(|u| json!({"node": u.node.to_string(), "status": u.status}))
                .collect(),
        ),
    );
    o.insert("dataset_policy".into(), json!(a.dataset_policy.as_str()));
    if let Some(p) = policy {
        o.insert(
            "policy".into(),
            json!({"allowed": p.allowed, "why": p.why, "exception": p.exception}),
        );
    }
    Value::Object(o)
}

fn reasons_json(reasons: &[Reason]) -> Value {
    Value::Array(
        reasons
            .iter()
            .map(|r| {
                let mut o = Map::new();
                o.insert("term".into(), to_value(&r.term));
                o.insert("origin".into(), json!(r.origin.to_string()));
                o.insert("license".into(), json!(r.license));
                o.insert(
                    "path".into(),
                    Value::Array(
                        r.path
                            .iter()
                            .map(|s| match s.relation {
                                Some(rel) => {
                                    json!({"node": s.node.to_string(), "relation": rel.as_str()})
                                }
                                None => json!({"node": s.node.to_string()}),
                            })
                            .collect(),
                    ),
                );
                o.insert("message".into(), json!(r.message));
                if r.advisory {
                    o.insert("advisory".into(), json!(true));
                }
                if !r.clarified.is_empty() {
                    o.insert("clarified".into(), json!(r.clarified));
                }
                Value::Object(o)
            })
            .collect(),
    )
}

/// The card's license fields (and declared ancestry) with absent fields left out.
fn declared_json(d: &Declared) -> Value {
    to_value(d)
}

/// Serialises one of our own types. They hold only strings, numbers and string-keyed maps, which JSON can
/// always represent, so the error branch is unreachable; it yields `null` rather than a panic anyway.
fn to_value<T: Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}
