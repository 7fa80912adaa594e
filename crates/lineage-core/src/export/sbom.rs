//! What the two bill-of-materials exports (CycloneDX, SPDX) share: document facts passed in by the
//! caller, Hub URLs and package URLs, and the declared and concluded licenses of a node.
//!
//! The rules are documented in docs/sbom.md: the *declared* license is what the card says (resolved
//! through the knowledge base); the *concluded* license is every license whose terms still bind the
//! node after propagation (its own and its ancestors'), or no assertion when any binding term is
//! unknown, so a concluded license never reads more permissive than the verdict.

use super::View;
use crate::card::hub_time;
use crate::graph::Node;
use crate::graph::NodeIndex;
use crate::id::{NodeKey, RepoKind};
use crate::license::LicenseEntry;
use crate::policy::PolicyOutcome;
use crate::propagate::{own_terms, OwnSource};
use crate::terms::TermKind;
use std::collections::BTreeSet;

/// The Hub whose pages and package URLs the documents point at.
pub const HUB: &str = "https://huggingface.co";

/// Facts about the document itself, which the core cannot know without I/O: when it was made, its
/// serial number, and the version of the tool that made it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DocInfo {
    /// Creation time, RFC 3339 in UTC without fractions (see [`rfc3339`]).
    pub timestamp: String,
    /// A UUID (`xxxxxxxx-xxxx-...`, lower case) naming this document; `None` leaves the CycloneDX
    /// `serialNumber` out and gives SPDX ids a placeholder namespace (a first pass whose output a caller
    /// hashes into a name-based UUID).
    pub serial: Option<String>,
    /// The version of lineage, for `metadata.tools` and `CreationInfo`.
    pub tool_version: String,
    /// The decision of a policy file on each model asked about (`check --policy`), recorded as
    /// `lineage:policy` properties so the document says why the pipeline passed or failed.
    pub policy: Vec<(NodeKey, PolicyOutcome)>,
}

/// `secs` since the Unix epoch as `YYYY-MM-DDTHH:MM:SSZ` (UTC), the form both CycloneDX (`date-time`)
/// and SPDX 3 (`DateTime`, no fractions) accept. Times before 1970 are clamped to the epoch.
pub fn rfc3339(secs: i64) -> String {
    let secs = secs.max(0);
    let rem = secs % 86_400;
    format!(
        "{}T{:02}:{:02}:{:02}Z",
        crate::graph::utc_date(secs),
        rem / 3_600,
        rem % 3_600 / 60,
        rem % 60
    )
}

/// Whether a shown node is a component of the bill of materials: Hub repositories are; a hosted
/// service is not (nothing of it is shipped), and the dataset it generated names it in a
/// `lineage:parent` property instead.
pub(super) fn in_bom(view: &View<'_>, ix: NodeIndex) -> bool {
    view.graph().node(ix).key.kind.is_hub()
}

/// The shown nodes that are components of the bill of materials ([`in_bom`]), in view order.
pub(super) fn nodes<'v>(view: &'v View<'_>) -> impl Iterator<Item = NodeIndex> + 'v {
    view.nodes().filter(move |&ix| in_bom(view, ix))
}

/// The Hub's `createdAt` of repositories created before it stored dates (hub-api.md): not a date.
pub const HUB_DATE_SENTINEL: &str = "2022-03-02T23:29:04Z";

/// When the revision described was released, as an SPDX `DateTime` (UTC, no fractions): its commit
/// time (`lastModified`), else the repository's creation (`createdAt`, unless it is the Hub's
/// sentinel); `None` when the Hub gave neither in a form [`hub_time`] reads.
pub(super) fn release_time(node: &Node) -> Option<String> {
    node.last_modified
        .as_deref()
        .and_then(hub_time)
        .or_else(|| {
            node.created_at
                .as_deref()
                .and_then(hub_time)
                .filter(|c| c != HUB_DATE_SENTINEL)
        })
}

/// The `lineage:policy` properties of a model asked about, when a policy file judged it: `allowed`
/// or `denied`, each rule's finding, and the reason of the exception that accepted it.
pub(super) fn policy_properties(info: &DocInfo, key: &NodeKey) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    for (_, o) in info.policy.iter().filter(|(k, _)| k == key) {
        out.push((
            "lineage:policy",
            if o.allowed { "allowed" } else { "denied" }.to_string(),
        ));
        out.extend(o.why.iter().map(|w| ("lineage:policy-rule", w.clone())));
        out.extend(
            o.exception
                .iter()
                .map(|e| ("lineage:policy-exception", e.clone())),
        );
    }
    out
}

/// The Hub page of a repository (services, never in a bill of materials, get the Hub's front page).
pub(super) fn hub_url(key: &NodeKey) -> String {
    let path = pct_encode(&key.id, true);
    match key.kind {
        RepoKind::Model => format!("{HUB}/{path}"),
        RepoKind::Dataset => format!("{HUB}/datasets/{path}"),
        RepoKind::Service => HUB.to_string(),
    }
}

/// The package URL of a model, `pkg:huggingface/ORG/NAME@SHA` (purl spec, type `huggingface`: the
/// version is the commit sha, lower case). Datasets have no purl type, so they get none.
pub(super) fn purl(key: &NodeKey, revision: Option<&str>) -> Option<String> {
    if key.kind != RepoKind::Model {
        return None;
    }
    let path: Vec<String> = key.id.split('/').map(|s| pct_encode(s, false)).collect();
    let mut out = format!("pkg:huggingface/{}", path.join("/"));
    if let Some(rev) = revision.filter(|r| !r.is_empty()) {
        out.push('@');
        out.push_str(&pct_encode(&rev.to_ascii_lowercase(), false));
    }
    Some(out)
}

/// Percent-encodes everything but RFC 3986 unreserved characters (and `/` when `keep_slash`), byte by
/// byte in UTF-8, so any id a card supplies becomes a valid URL or IRI part.
pub(super) fn pct_encode(s: &str, keep_slash: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(b as char)
            }
            b'/' if keep_slash => out.push('/'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// One license as the documents name it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum License {
    /// A knowledge-base entry with an SPDX License List id (`Apache-2.0`).
    Listed {
        /// The SPDX id.
        spdx: String,
        /// The entry's full name.
        name: String,
        /// Where the text lives.
        url: String,
    },
    /// A knowledge-base entry with no SPDX id: our `LicenseRef-<id>`, its name and URL.
    Named {
        /// `LicenseRef-...`.
        spdx_ref: String,
        /// The entry's full name.
        name: String,
        /// Where the text lives.
        url: String,
    },
    /// A string from the card that matched no entry, kept verbatim.
    Raw(String),
}

impl License {
    fn from_entry(e: &LicenseEntry) -> License {
        if e.spdx.starts_with("LicenseRef-") || e.spdx.is_empty() {
            License::Named {
                spdx_ref: if e.spdx.is_empty() {
                    format!("LicenseRef-{}", e.id)
                } else {
                    e.spdx.clone()
                },
                name: e.name.clone(),
                url: e.url.clone(),
            }
        } else {
            License::Listed {
                spdx: e.spdx.clone(),
                name: e.name.clone(),
                url: e.url.clone(),
            }
        }
    }
}

/// The node's own license as its card (or a clarification) declares it; empty when it declares none
/// or its metadata is unknown.
pub(super) fn declared(view: &View<'_>, ix: NodeIndex) -> Vec<License> {
    let own = own_terms(view.graph(), view.knowledge_base(), ix);
    let OwnSource::License(m) = own.source else {
        return Vec::new();
    };
    let mut out: Vec<License> = m
        .ids
        .iter()
        .filter_map(|id| view.knowledge_base().get(id))
        .map(License::from_entry)
        .collect();
    out.extend(m.unresolved.iter().cloned().map(License::Raw));
    out
}

/// The concluded license: every license whose terms bind the node (its own and its ancestors'), sorted
/// and deduplicated; `None` (no assertion) when a binding term is unknown or comes from a license the
/// knowledge base does not know, because then nobody can say which terms apply.
pub(super) fn concluded(view: &View<'_>, ix: NodeIndex) -> Option<Vec<License>> {
    let prop = view.propagation();
    let mut origins: BTreeSet<NodeIndex> = BTreeSet::new();
    for e in prop.effective(ix) {
        if e.advisory {
            continue;
        }
        if prop.term(e.term).kind() == TermKind::Unknown {
            return None;
        }
        origins.insert(e.origin);
    }
    // A license without terms (CC0, say) binds nothing, yet it is still the node's license.
    origins.insert(ix);
    let mut out: BTreeSet<License> = BTreeSet::new();
    for o in origins {
        for l in declared(view, o) {
            if matches!(l, License::Raw(_)) {
                return None;
            }
            out.insert(l);
        }
    }
    if out.is_empty() {
        None
    } else {
        Some(out.into_iter().collect())
    }
}

/// The `lineage:` properties of a shown node, in a fixed order (docs/sbom.md lists them): verdict,
/// summary, root flag, resolution, parents with relations, conditions, decisive reasons, advisories,
/// conflicts and unresolved ancestors.
pub(super) fn properties(view: &View<'_>, ix: NodeIndex) -> Vec<(&'static str, String)> {
    let graph = view.graph();
    let node = graph.node(ix);
    let mut out: Vec<(&'static str, String)> = Vec::new();
    let Some(a) = view.assessment(ix) else {
        return out;
    };
    out.push(("lineage:commercial", a.commercial.as_str().into()));
    out.push(("lineage:summary", a.summary.clone()));
    if view.is_root(ix) {
        out.push(("lineage:root", "true".into()));
    }
    out.push(("lineage:resolution", node.resolution.describe()));
    for (p, rel) in view.parents_of(ix) {
        out.push((
            "lineage:parent",
            format!("{} {}", rel.as_str(), graph.node(p).key),
        ));
    }
    let reason = |r: &crate::verdict::Reason| format!("{} from {}", r.term, r.origin);
    for r in &a.conditions {
        out.push(("lineage:condition", reason(r)));
    }
    if a.commercial != crate::verdict::Verdict::Conditional {
        for r in &a.reasons {
            out.push(("lineage:reason", r.message.clone()));
        }
    }
    for r in &a.advisories {
        out.push(("lineage:advisory", reason(r)));
    }
    for c in &a.conflicts {
        out.push(("lineage:conflict", format!("{}: {}", c.code, c.message)));
    }
    for u in &a.unresolved {
        out.push(("lineage:unresolved", format!("{}: {}", u.node, u.status)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_formats_known_instants() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(rfc3339(4_107_542_399), "2100-02-28T23:59:59Z");
        assert_eq!(rfc3339(-5), "1970-01-01T00:00:00Z");
    }

    #[test]
    fn purls_and_urls_encode_hostile_ids() {
        let k = NodeKey::model("TheBloke/Llama-2-7B-GGUF");
        assert_eq!(
            purl(&k, Some("ABC123")).as_deref(),
            Some("pkg:huggingface/TheBloke/Llama-2-7B-GGUF@abc123")
        );
        assert_eq!(
            purl(&NodeKey::model("a b/c\"<d>"), None).as_deref(),
            Some("pkg:huggingface/a%20b/c%22%3Cd%3E")
        );
        assert_eq!(purl(&NodeKey::dataset("tatsu-lab/alpaca"), None), None);
        assert_eq!(
            hub_url(&NodeKey::dataset("x/dä")),
            "https://huggingface.co/datasets/x/d%C3%A4"
        );
    }
}
