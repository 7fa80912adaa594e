//! Verdicts and conflicts: what the effective terms of a node mean for commercial use, with reasons.

use crate::graph::{
    Clarification, ClarifySource, Declared, Fallback, Graph, Node, NodeIndex, Relation, Resolution,
};
use crate::id::{NodeKey, RepoKind};
use crate::license::KnowledgeBase;
use crate::propagate::{own_terms, DatasetPolicy, OwnSource, Propagation};
use crate::terms::{Term, TermKind};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::BTreeSet;
use std::fmt;

/// May this be used commercially?
///
/// The order (`Ord`) is severity, from least to most restrictive: permitted < conditional < unknown
/// < forbidden. Adding facts never moves a verdict down this order: a forbidden lineage stays
/// forbidden even if an unknown part is found later, because the first-match rule of
/// [`assess`] puts forbidden before unknown. This is the only ordering of verdicts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Every license in the lineage permits commercial use without conditions beyond notices.
    Permitted,
    /// Permitted under conditions (use policy, thresholds, attribution, ...), listed.
    Conditional,
    /// Part of the lineage is unknown; never read as permission.
    Unknown,
    /// A license in the lineage forbids it (non-commercial, or a derivative of a no-derivatives work).
    Forbidden,
}

impl Verdict {
    /// Every verdict, in the order reports and legends list them (not the severity order).
    pub const ALL: [Verdict; 4] = [
        Verdict::Permitted,
        Verdict::Conditional,
        Verdict::Forbidden,
        Verdict::Unknown,
    ];

    /// The kebab-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Permitted => "permitted",
            Verdict::Conditional => "conditional",
            Verdict::Forbidden => "forbidden",
            Verdict::Unknown => "unknown",
        }
    }

    /// Parses a kebab-case name.
    pub fn parse(s: &str) -> Option<Verdict> {
        Verdict::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The stable code of a conflict (a finding about metadata, not an error).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ConflictCode {
    /// The declared license is more permissive than what the node inherits.
    DeclaredMorePermissive,
    /// The node inherits share-alike(L) but declares something else.
    ShareAlikeMismatch,
    /// The node derives from a no-derivatives work.
    NoDerivativesViolated,
    /// The node inherits a name-prefix duty its name does not meet.
    NamePrefixMissing,
    /// The node declares another version of the license it inherits.
    LicenseVersionMismatch,
    /// The node is on a cycle of declared bases.
    Cycle,
    /// Some ancestor could not be resolved (missing, gated, unreachable, unparseable, not crawled).
    UnresolvedAncestor,
    /// The node's own card could not be parsed.
    CardUnparseable,
    /// The card says something the curated catalog knows to be wrong.
    CardContradictsCatalog,
    /// An ancestor's license when the node was created differs from its license now (issue #12).
    LicenseChanged,
}

impl ConflictCode {
    /// Every code.
    pub const ALL: [ConflictCode; 10] = [
        ConflictCode::DeclaredMorePermissive,
        ConflictCode::ShareAlikeMismatch,
        ConflictCode::NoDerivativesViolated,
        ConflictCode::NamePrefixMissing,
        ConflictCode::LicenseVersionMismatch,
        ConflictCode::Cycle,
        ConflictCode::UnresolvedAncestor,
        ConflictCode::CardUnparseable,
        ConflictCode::CardContradictsCatalog,
        ConflictCode::LicenseChanged,
    ];

    /// The kebab-case code.
    pub fn as_str(self) -> &'static str {
        match self {
            ConflictCode::DeclaredMorePermissive => "declared-more-permissive",
            ConflictCode::ShareAlikeMismatch => "share-alike-mismatch",
            ConflictCode::NoDerivativesViolated => "no-derivatives-violated",
            ConflictCode::NamePrefixMissing => "name-prefix-missing",
            ConflictCode::LicenseVersionMismatch => "license-version-mismatch",
            ConflictCode::Cycle => "cycle",
            ConflictCode::UnresolvedAncestor => "unresolved-ancestor",
            ConflictCode::CardUnparseable => "card-unparseable",
            ConflictCode::CardContradictsCatalog => "card-contradicts-catalog",
            ConflictCode::LicenseChanged => "license-changed",
        }
    }

    /// Parses a kebab-case code.
    pub fn parse(s: &str) -> Option<ConflictCode> {
        ConflictCode::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

impl fmt::Display for ConflictCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A metadata problem found on a node.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conflict {
    /// Stable code.
    pub code: ConflictCode,
    /// A human sentence.
    pub message: String,
}

/// One node on an explanation path.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PathStep {
    /// The node.
    pub node: NodeKey,
    /// How it derives from the next node on the path (absent on the origin).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub relation: Option<Relation>,
}

/// Why a term applies: the term, the ancestor that introduced it under which license, and the path.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reason {
    /// The term.
    pub term: Term,
    /// The node whose license introduced the term.
    pub origin: NodeKey,
    /// The origin's license as resolved (knowledge-base ids, or the raw string).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub license: Option<String>,
    /// From the assessed node (first) to the origin (last).
    pub path: Vec<PathStep>,
    /// True when the term only advises (dataset terms under the lenient policy).
    #[serde(skip_serializing_if = "std::ops::Not::not", default)]
    pub advisory: bool,
    /// Facts from the catalog or the policy that this reason relies on (`curated: ...`).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub clarified: Vec<String>,
    /// A human sentence.
    pub message: String,
}

/// An ancestor whose metadata could not be resolved.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unresolved {
    /// The node.
    pub node: NodeKey,
    /// What happened.
    pub status: String,
}

/// A node of the lineage (or the node itself) whose metadata is not the Hub's current answer: a
/// stale cache entry or the curated catalog stood in, and the verdict relies on it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StandIn {
    /// The node.
    pub node: NodeKey,
    /// What stood in, and why.
    pub fallback: Fallback,
}

/// The judgement of one node: verdict, conditions, reasons, conflicts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assessment {
    /// The node.
    pub node: NodeKey,
    /// The revision its card was read at.
    pub revision: Option<String>,
    /// What its card declares.
    pub declared: Declared,
    /// How its metadata was obtained (card read, curated, not found, unreachable, ...).
    pub resolution: Resolution,
    /// The verdict on commercial use.
    pub commercial: Verdict,
    /// One sentence that states the verdict and its main reason.
    pub summary: String,
    /// Conditions to meet (and notices to ship), each with its origin.
    pub conditions: Vec<Reason>,
    /// The terms that decided the verdict.
    pub reasons: Vec<Reason>,
    /// Terms that reach the node as advisories only.
    pub advisories: Vec<Reason>,
    /// Metadata problems on this node.
    pub conflicts: Vec<Conflict>,
    /// Ancestors (or the node itself) whose metadata could not be resolved.
    pub unresolved: Vec<Unresolved>,
    /// Ancestors (or the node itself) answered by a stale cache entry or the catalog.
    pub stand_ins: Vec<StandIn>,
    /// The dataset policy the verdict was computed under.
    pub dataset_policy: DatasetPolicy,
}

/// A label for a node's own license: knowledge-base ids and raw strings, or why there is none.
pub fn license_label(graph: &Graph, kb: &KnowledgeBase, ix: NodeIndex) -> Option<String> {
    match own_terms(graph, kb, ix).source {
        OwnSource::License(m) => {
            let mut parts = m.ids.clone();
            parts.extend(m.unresolved.iter().cloned());
            Some(parts.join(", "))
        }
        OwnSource::Missing => Some("no license declared".into()),
        OwnSource::InheritsFromParent | OwnSource::Unresolved => None,
        OwnSource::Service => Some("terms of use".into()),
    }
}

/// [`license_label`], reading a license the propagation resolved instead of resolving it again.
fn own_label(
    graph: &Graph,
    prop: &Propagation,
    kb: &KnowledgeBase,
    ix: NodeIndex,
) -> Option<String> {
    match prop.own_license(ix) {
        Some((m, _)) => {
            let mut parts = m.ids.clone();
            parts.extend(m.unresolved.iter().cloned());
            Some(parts.join(", "))
        }
        None => license_label(graph, kb, ix),
    }
}

/// Judges one node of a propagated graph.
pub fn assess(graph: &Graph, prop: &Propagation, kb: &KnowledgeBase, ix: NodeIndex) -> Assessment {
    let node = graph.node(ix);
    let mut binding: Vec<(Term, NodeIndex)> = Vec::new();
    let mut advisory: Vec<Term> = Vec::new();
    for e in prop.effective(ix) {
        let t = prop.term(e.term).clone();
        if e.advisory {
            advisory.push(t);
        } else {
            binding.push((t, e.origin));
        }
    }
    binding.sort();
    advisory.sort();

    let reason = |t: &Term| -> Vec<Reason> { reasons_for(graph, prop, kb, ix, t) };

    // A no-derivatives term binds the work itself (and its old names) as a condition; anything
    // else that carries it, a quantized copy included, is a derivative and is forbidden.
    let same_work = |origin: NodeIndex| graph.same_repository(ix, origin);
    let is_derivative_nd =
        |t: &Term, origin: NodeIndex| *t == Term::NoDerivatives && !same_work(origin);
    let forbidding: Vec<&Term> = binding
        .iter()
        .filter(|(t, o)| *t == Term::NonCommercial || is_derivative_nd(t, *o))
        .map(|(t, _)| t)
        .collect();
    let unknowns: Vec<&Term> = binding
        .iter()
        .filter(|(t, _)| t.kind() == TermKind::Unknown)
        .map(|(t, _)| t)
        .collect();
    let condition_terms: Vec<&Term> = binding
        .iter()
        .filter(|(t, o)| t.kind().is_condition() || (*t == Term::NoDerivatives && same_work(*o)))
        .map(|(t, _)| t)
        .collect();
    let notice_terms: Vec<&Term> = binding
        .iter()
        .filter(|(t, _)| *t == Term::Notice)
        .map(|(t, _)| t)
        .collect();

    let commercial = if !forbidding.is_empty() {
        Verdict::Forbidden
    } else if !unknowns.is_empty() {
        Verdict::Unknown
    } else if !condition_terms.is_empty() {
        Verdict::Conditional
    } else {
        Verdict::Permitted
    };

    let mut conditions: Vec<Reason> = Vec::new();
    for t in condition_terms.iter().chain(&notice_terms) {
        conditions.extend(reason(t));
    }
    let decisive: Vec<&Term> = match commercial {
        // Unknown parts are listed too: lifting the prohibition would still leave them open.
        Verdict::Forbidden => forbidding.into_iter().chain(unknowns).collect(),
        Verdict::Unknown => unknowns,
        Verdict::Conditional => condition_terms,
        Verdict::Permitted => Vec::new(),
    };
    let reasons: Vec<Reason> = match commercial {
        Verdict::Conditional => conditions
            .iter()
            .filter(|r| r.term != Term::Notice)
            .cloned()
            .collect(),
        _ => decisive.iter().flat_map(|t| reason(t)).collect(),
    };
    // An advisory whatever its path (a dataset policy, or a hint such as a `synthetic` tag).
    let advisories: Vec<Reason> = advisory
        .iter()
        .flat_map(reason)
        .map(|r| Reason {
            advisory: true,
            ..r
        })
        .collect();

    let ancestry = graph.ancestors(ix);
    let unresolved = unresolved_ancestry(graph, &ancestry);
    let conflicts = conflicts(graph, prop, kb, ix, &binding, &unresolved)
        .into_iter()
        .map(|f| f.conflict)
        .collect();
    let summary = summarise(node.key.kind, commercial, &reasons, &advisories);

    Assessment {
        node: node.key.clone(),
        revision: node.revision.clone(),
        declared: node.card().clone(),
        resolution: node.resolution.clone(),
        commercial,
        summary,
        conditions,
        reasons,
        advisories,
        conflicts,
        unresolved,
        stand_ins: stand_ins(graph, &ancestry),
        dataset_policy: prop.dataset_policy(),
    }
}

/// A conflict with the ancestor that causes it (the origin of the offending term, the unresolved
/// ancestor, the first member of a cycle, or the node itself for its own card) and what it inherits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    /// The conflict.
    pub conflict: Conflict,
    /// The ancestor that causes it.
    pub culprit: Option<NodeIndex>,
    /// The inherited term (or status, or license) that conflicts, as text.
    pub inherited: String,
}

/// The verdict and conflicts of a node without explanations: the cheap path for colouring graphs,
/// listing descendants and auditing millions of models.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Judgement {
    /// The verdict on commercial use (the same as [`assess`] gives).
    pub commercial: Verdict,
    /// Metadata problems (the same codes as [`assess`] gives), each with its culprit.
    pub conflicts: Vec<Found>,
}

/// Judges one node from its effective terms only: no explanation paths, no walk over its ancestry
/// (unresolved ancestors are the origins of the `unknown` terms that reach it). O(terms of the node).
pub fn judge(graph: &Graph, prop: &Propagation, kb: &KnowledgeBase, ix: NodeIndex) -> Judgement {
    let node = graph.node(ix);
    let effects = prop.effective(ix);
    let mut commercial = Verdict::Permitted;
    let mut unresolved: Vec<Unresolved> = Vec::new();
    for e in effects {
        let t = prop.term(e.term);
        let kind = t.kind();
        if kind == TermKind::Unknown {
            let o = graph.node(e.origin);
            let resolved = matches!(
                o.resolution,
                Resolution::Found
                    | Resolution::Curated
                    | Resolution::Renamed { .. }
                    | Resolution::Service
            );
            if !resolved && !unresolved.iter().any(|u| u.node == o.key) {
                unresolved.push(Unresolved {
                    node: o.key.clone(),
                    status: o.resolution.describe(),
                });
            }
        }
        if e.advisory {
            continue;
        }
        let same_work = graph.same_repository(ix, e.origin);
        let v = if *t == Term::NonCommercial || (*t == Term::NoDerivatives && !same_work) {
            Verdict::Forbidden
        } else if kind == TermKind::Unknown {
            Verdict::Unknown
        } else if kind.is_condition() || *t == Term::NoDerivatives {
            Verdict::Conditional
        } else {
            Verdict::Permitted
        };
        if v > commercial {
            commercial = v;
        }
    }
    unresolved.sort_by(|a, b| a.node.cmp(&b.node));
    // Conflicts need inherited terms, a cycle, an unresolved ancestor or a card fact: most nodes
    // have none of these and stop here.
    let may_conflict = effects.iter().any(|e| e.origin != ix && !e.advisory)
        || prop.cycle_of(ix).is_some()
        || !unresolved.is_empty()
        || matches!(node.resolution, Resolution::Unparseable { .. })
        || !node.clarifications.is_empty();
    let conflicts = if may_conflict {
        let mut binding: Vec<(Term, NodeIndex)> = effects
            .iter()
            .filter(|e| !e.advisory)
            .map(|e| (prop.term(e.term).clone(), e.origin))
            .collect();
        binding.sort();
        conflicts(graph, prop, kb, ix, &binding, &unresolved)
    } else {
        Vec::new()
    };
    Judgement {
        commercial,
        conflicts,
    }
}

/// The nodes of the lineage whose answers stood in for the Hub's, sorted by key.
fn stand_ins(graph: &Graph, ancestry: &[NodeIndex]) -> Vec<StandIn> {
    let mut out: Vec<StandIn> = ancestry
        .iter()
        .filter_map(|&a| {
            let n = graph.node(a);
            n.fallback.as_ref().map(|f| StandIn {
                node: n.key.clone(),
                fallback: (**f).clone(),
            })
        })
        .collect();
    out.sort_by(|a, b| a.node.cmp(&b.node));
    out
}

fn reasons_for(
    graph: &Graph,
    prop: &Propagation,
    kb: &KnowledgeBase,
    ix: NodeIndex,
    t: &Term,
) -> Vec<Reason> {
    let paths = prop.explain(graph, kb, ix, t);
    paths
        .into_iter()
        .map(|p| {
            let origin = graph.node(p.origin);
            let license = license_label(graph, kb, p.origin);
            let steps: Vec<PathStep> = p
                .steps
                .iter()
                .map(|s| PathStep {
                    node: graph.node(s.node).key.clone(),
                    relation: s.relation,
                })
                .collect();
            let clarified = p
                .steps
                .iter()
                .flat_map(|s| {
                    let n = graph.node(s.node);
                    n.clarifications
                        .iter()
                        .filter(move |c| !agrees_with_card(kb, n, c))
                })
                .map(|c| match &c.source {
                    ClarifySource::Catalog { source } => {
                        format!("curated: {} ({source})", c.message)
                    }
                    ClarifySource::Policy { reason } => {
                        format!("clarified by policy: {} ({reason})", c.message)
                    }
                    ClarifySource::Inferred { .. } => format!("inferred: {}", c.message),
                })
                .collect();
            let via = if steps.len() > 2 {
                let mid: Vec<String> = steps[1..steps.len() - 1]
                    .iter()
                    .map(|s| s.node.to_string())
                    .collect();
                format!(" via {}", mid.join(" ← "))
            } else {
                String::new()
            };
            let lic = license
                .as_deref()
                .map(|l| format!(" ({l})"))
                .unwrap_or_default();
            let message = if p.origin == ix && t.kind() == TermKind::Unknown {
                t.to_string()
            } else if p.origin == ix && origin.key.kind == RepoKind::Service {
                format!("{t}: from its terms of use")
            } else if p.origin == ix {
                format!("{t}: from its own license{lic}")
            } else {
                format!("{t}: inherited from {}{lic}{via}", origin.key)
            };
            Reason {
                term: t.clone(),
                origin: origin.key.clone(),
                license,
                path: steps,
                advisory: p.advisory,
                clarified,
                message,
            }
        })
        .collect()
}

fn unresolved_ancestry(graph: &Graph, ancestry: &[NodeIndex]) -> Vec<Unresolved> {
    let mut out: Vec<Unresolved> = ancestry
        .iter()
        .filter_map(|&a| {
            let n = graph.node(a);
            match n.resolution {
                Resolution::Found
                | Resolution::Curated
                | Resolution::Renamed { .. }
                | Resolution::Service => None,
                ref r => Some(Unresolved {
                    node: n.key.clone(),
                    status: r.describe(),
                }),
            }
        })
        .collect();
    out.sort_by(|a, b| a.node.cmp(&b.node));
    out
}

fn conflicts(
    graph: &Graph,
    prop: &Propagation,
    kb: &KnowledgeBase,
    ix: NodeIndex,
    binding: &[(Term, NodeIndex)],
    unresolved: &[Unresolved],
) -> Vec<Found> {
    let node = graph.node(ix);
    let mut out: Vec<Found> = Vec::new();
    let inherited: Vec<&(Term, NodeIndex)> = binding.iter().filter(|(_, o)| *o != ix).collect();
    let key_of = |o: NodeIndex| graph.node(o).key.to_string();
    // Licenses the propagation resolved are read from it, never resolved again (see `own_label`).
    let lic_of = |o: NodeIndex| {
        own_label(graph, prop, kb, o)
            .map(|l| format!(" ({l})"))
            .unwrap_or_default()
    };

    // Conflicts about the declared license speak of what the card itself says; when a clarification
    // replaced it, the whole effective set (own clarified terms included) is what the card understates.
    let card = node.card();
    let overridden = node.card_declared.is_some();
    // Unless a clarification replaced the card, it is what the propagation resolved.
    let resolved = prop.own_license(ix).filter(|_| !overridden);
    let card_match = match resolved {
        _ if !card.has_license() => None,
        Some((m, _)) => Some(Cow::Borrowed(m)),
        None => Some(Cow::Owned(kb.resolve(card))),
    };
    if let Some(m) = card_match.as_deref().filter(|m| !m.ids.is_empty()) {
        {
            let declared = m.ids.join(", ");
            let own_kinds: BTreeSet<TermKind> = match resolved {
                Some((_, ids)) => ids.iter().map(|&t| prop.term(t).kind()).collect(),
                None => kb.terms_of(m).iter().map(Term::kind).collect(),
            };
            // Output terms bind whoever uses the generated data, whatever its license says: a card
            // cannot declare them, so their absence from it is no understatement.
            let compared: Vec<&(Term, NodeIndex)> = binding
                .iter()
                .filter(|(_, o)| overridden || *o != ix)
                .filter(|(t, o)| {
                    t.kind() != TermKind::OutputTerms && graph.node(*o).key.kind.is_hub()
                })
                .collect();
            let missing: Vec<String> = compared
                .iter()
                .filter(|(t, _)| !matches!(t.kind(), TermKind::Notice | TermKind::Unknown))
                .filter(|(t, _)| !own_kinds.contains(&t.kind()))
                .map(|(t, o)| format!("{t} from {}{}", key_of(*o), lic_of(*o)))
                .collect();
            if !missing.is_empty() {
                let verb = if overridden {
                    "is really bound by"
                } else {
                    "inherits"
                };
                let (culprit, inherited) = compared
                    .iter()
                    .filter(|(t, _)| !matches!(t.kind(), TermKind::Notice | TermKind::Unknown))
                    .find(|(t, _)| !own_kinds.contains(&t.kind()))
                    .map(|(t, o)| (Some(*o), t.to_string()))
                    .unwrap_or((None, String::new()));
                out.push(Found {
                    conflict: Conflict {
                        code: ConflictCode::DeclaredMorePermissive,
                        message: format!("declares {declared} but {verb} {}", missing.join("; ")),
                    },
                    culprit,
                    inherited,
                });
            }
            for (t, o) in &inherited {
                if let Term::ShareAlike { license } = t {
                    if !kb.satisfies_share_alike(license, &m.ids) {
                        out.push(Found {
                            conflict: Conflict {
                                code: ConflictCode::ShareAlikeMismatch,
                                message: format!(
                                    "inherits share-alike({license}) from {} but declares {declared}",
                                    key_of(*o)
                                ),
                            },
                            culprit: Some(*o),
                            inherited: t.to_string(),
                        });
                    }
                }
            }
            // Another version of a license family it inherits.
            let families: Vec<(&str, &str)> = m
                .ids
                .iter()
                .filter_map(|id| {
                    kb.get(id)
                        .and_then(|e| e.family.as_deref().map(|f| (f, id.as_str())))
                })
                .collect();
            let mut seen = BTreeSet::new();
            for (_, o) in &inherited {
                if !seen.insert(*o) {
                    continue;
                }
                // What `own_terms` resolves to a license, the propagation already resolved.
                if let Some((om, _)) = prop.own_license(*o) {
                    for oid in &om.ids {
                        let Some(of) = kb.get(oid).and_then(|e| e.family.as_deref()) else {
                            continue;
                        };
                        for (f, id) in &families {
                            if *f == of && *id != oid && !m.ids.contains(oid) {
                                out.push(Found {
                                    conflict: Conflict {
                                        code: ConflictCode::LicenseVersionMismatch,
                                        message: format!(
                                            "declares {id} but derives from {} under {oid}",
                                            key_of(*o)
                                        ),
                                    },
                                    culprit: Some(*o),
                                    inherited: oid.clone(),
                                });
                            }
                        }
                    }
                }
            }
        }
    }

    for (t, o) in &inherited {
        match t {
            Term::NoDerivatives if graph.same_repository(ix, *o) => {}
            Term::NoDerivatives => out.push(Found {
                conflict: Conflict {
                    code: ConflictCode::NoDerivativesViolated,
                    message: format!(
                        "derives from {}{}, whose license forbids distributing derivatives",
                        key_of(*o),
                        lic_of(*o)
                    ),
                },
                culprit: Some(*o),
                inherited: t.to_string(),
            }),
            Term::NamePrefix { prefix } => {
                let is_copy = graph
                    .parents(ix)
                    .all(|(_, r)| matches!(r, Relation::Quantized | Relation::Renamed));
                let same_org =
                    node.key.org().is_some() && node.key.org() == graph.node(*o).key.org();
                let named = node
                    .key
                    .name()
                    .to_lowercase()
                    .starts_with(&prefix.to_lowercase());
                if node.key.kind == RepoKind::Model && !is_copy && !same_org && !named {
                    out.push(Found {
                        conflict: Conflict {
                            code: ConflictCode::NamePrefixMissing,
                            message: format!(
                                "the license of {} requires derivative names to start with {prefix:?}; {:?} does not",
                                key_of(*o),
                                node.key.name()
                            ),
                        },
                        culprit: Some(*o),
                        inherited: t.to_string(),
                    });
                }
            }
            _ => {}
        }
    }

    if let Some(cycle) = prop.cycle_of(ix) {
        let names: Vec<String> = cycle
            .iter()
            .map(|c| graph.node(*c).key.id.clone())
            .collect();
        let message = if names.len() == 1 {
            format!(
                "{} names itself as its base model; its real ancestry is unknown",
                names[0]
            )
        } else {
            format!(
                "declared bases form a cycle ({}); the real ancestry is unknown",
                names.join(" ↔ ")
            )
        };
        out.push(Found {
            conflict: Conflict {
                code: ConflictCode::Cycle,
                message,
            },
            culprit: cycle.first().copied(),
            inherited: "cycle".into(),
        });
    }
    let ancestors: Vec<&Unresolved> = unresolved.iter().filter(|u| u.node != node.key).collect();
    if !ancestors.is_empty() {
        let list: Vec<String> = ancestors
            .iter()
            .map(|u| format!("{} ({})", u.node, u.status))
            .collect();
        out.push(Found {
            conflict: Conflict {
                code: ConflictCode::UnresolvedAncestor,
                message: format!("ancestry not fully known: {}", list.join("; ")),
            },
            culprit: graph.find(&ancestors[0].node),
            inherited: ancestors[0].status.clone(),
        });
    }
    if let Resolution::Unparseable { why } = &node.resolution {
        out.push(Found {
            conflict: Conflict {
                code: ConflictCode::CardUnparseable,
                message: format!("the card of {} could not be parsed: {why}", node.key),
            },
            culprit: Some(ix),
            inherited: String::new(),
        });
    }
    for c in node
        .clarifications
        .iter()
        .filter(|c| !agrees_with_card(kb, node, c))
    {
        if let (ClarifySource::Catalog { source }, Some(card)) = (&c.source, &c.replaced) {
            out.push(Found {
                conflict: Conflict {
                    code: ConflictCode::CardContradictsCatalog,
                    message: format!(
                        "the card says {} = {card}, the curated catalog says otherwise: {} ({source})",
                        c.field, c.message
                    ),
                },
                culprit: Some(ix),
                inherited: c.message.clone(),
            });
        }
    }
    out
}

/// Whether a clarification only repeats what the card already says (then it changed nothing, is not
/// reported as used, and is no contradiction).
pub fn agrees_with_card(kb: &KnowledgeBase, node: &Node, c: &Clarification) -> bool {
    let card = node.card();
    let same = |a: &[String], b: &[String]| {
        let norm = |v: &[String]| {
            let mut v: Vec<String> = v.iter().map(|s| s.trim().to_ascii_lowercase()).collect();
            v.sort();
            v.dedup();
            v
        };
        norm(a) == norm(b)
    };
    match c.field.as_str() {
        "license" => card.has_license() && same(&kb.resolve(card).ids, &c.asserted),
        "base_model" => same(&card.base_model, &c.asserted),
        "datasets" => same(&card.datasets, &c.asserted),
        "generated_by" => same(&card.generated_by, &c.asserted),
        _ => false,
    }
}

fn summarise(kind: RepoKind, v: Verdict, reasons: &[Reason], advisories: &[Reason]) -> String {
    let what = match kind {
        RepoKind::Model => "commercial use",
        RepoKind::Dataset => "commercial use of this dataset",
        RepoKind::Service => "commercial use of this service's outputs",
    };
    let first = reasons.first().map(|r| r.message.as_str());
    match (v, first) {
        (Verdict::Permitted, _) if !advisories.is_empty() => format!(
            "permitted: every binding license allows {what}; advisory: {}",
            advisories[0].message
        ),
        (Verdict::Permitted, _) => format!("permitted: every license in the lineage allows {what}"),
        (v, Some(m)) => format!("{v}: {m}"),
        (v, None) => format!("{v}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_names_are_unique_and_round_trip() {
        let codes: BTreeSet<&str> = ConflictCode::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(codes.len(), ConflictCode::ALL.len());
        for c in ConflictCode::ALL {
            assert_eq!(ConflictCode::parse(c.as_str()), Some(c));
            assert_eq!(serde_json::to_value(c).unwrap(), c.as_str());
        }
        for v in Verdict::ALL {
            assert_eq!(Verdict::parse(v.as_str()), Some(v));
        }
        for k in TermKind::ALL {
            assert_eq!(TermKind::parse(k.as_str()), Some(k));
        }
    }
}
