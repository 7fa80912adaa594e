//! Clarifications: facts that override or complete what cards say, from the user's policy file
//! (`[[clarify]]`) and, beneath it, the curated catalog shipped with lineage.

use crate::graph::{Clarification, ClarifySource, Node, Relation, Resolution};
use crate::id::NodeKey;
use std::collections::HashMap;

/// What a repository really is, when it is known to differ from (or is missing from) the Hub.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RepoStatus {
    /// No longer on the Hub.
    Removed,
    /// Moved to another id.
    Renamed(String),
}

/// Asserted facts about one repository; `None` fields leave the card as it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fact {
    /// The repository.
    pub repo: NodeKey,
    /// The knowledge-base ids of the license it is really under.
    pub license: Option<Vec<String>>,
    /// Its real base models (`Some(vec![])`: an original, no base).
    pub base_model: Option<Vec<String>>,
    /// How it derives from those bases.
    pub relation: Option<Relation>,
    /// Its real training datasets (ids, `datasets/` prefix optional).
    pub datasets: Option<Vec<String>>,
    /// For a dataset: the models (`org/name`) or hosted services (`service:org/name`) that wrote it.
    pub generated_by: Option<Vec<String>>,
    /// Removed or renamed.
    pub status: Option<RepoStatus>,
    /// License changes over the repo's history, oldest first, as sentences.
    pub license_changes: Vec<String>,
    /// Who asserts it and on what ground.
    pub source: ClarifySource,
    /// One sentence: what the fact is and why it exists.
    pub note: String,
}

impl Fact {
    /// A fact with nothing asserted yet.
    pub fn new(repo: NodeKey, source: ClarifySource, note: impl Into<String>) -> Fact {
        Fact {
            repo,
            license: None,
            base_model: None,
            relation: None,
            datasets: None,
            generated_by: None,
            status: None,
            license_changes: Vec::new(),
            source,
            note: note.into(),
        }
    }

    /// Whether the fact alone answers for the repo without its card (license and bases known).
    pub fn is_complete(&self) -> bool {
        self.license.is_some() && self.base_model.is_some()
    }

    fn is_policy(&self) -> bool {
        matches!(self.source, ClarifySource::Policy { .. })
    }
}

/// The facts in force: the user's policy clarifications win over the catalog's, field by field.
#[derive(Clone, Debug, Default)]
pub struct Clarifications {
    facts: HashMap<NodeKey, Vec<Fact>>,
}

impl Clarifications {
    /// No clarifications at all (`--no-catalog` and no policy).
    pub fn none() -> Clarifications {
        Clarifications::default()
    }

    /// Adds a fact. Policy facts are consulted before catalog facts whatever the order of adding.
    pub fn add(&mut self, fact: Fact) {
        let v = self.facts.entry(fact.repo.clone()).or_default();
        v.push(fact);
        v.sort_by_key(|f| !f.is_policy());
    }

    /// Number of repositories with facts.
    pub fn len(&self) -> usize {
        self.facts.len()
    }

    /// Whether there are no facts.
    pub fn is_empty(&self) -> bool {
        self.facts.is_empty()
    }

    /// Every fact, grouped by repository (policy facts first within each).
    pub fn all(&self) -> impl Iterator<Item = &Fact> {
        self.facts.values().flatten()
    }

    /// The facts about `key`, policy facts first.
    pub fn facts(&self, key: &NodeKey) -> &[Fact] {
        self.facts.get(key).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Applies the facts about the node's repo to a node read from its card, recording each change
    /// as a [`Clarification`] (with what the card said, when the fact contradicts it).
    pub fn apply(&self, node: &mut Node) {
        let facts = self.facts(&node.key).to_vec();
        if facts.is_empty() {
            return;
        }
        if node.card_declared.is_none() && node.resolution == Resolution::Found {
            node.card_declared = Some(Box::new(node.declared.clone()));
        }
        let mut done_license = false;
        let mut done_base = false;
        let mut done_datasets = false;
        let mut done_generated = false;
        for f in facts {
            if let (Some(lic), false) = (&f.license, done_license) {
                done_license = true;
                node.clarifications.push(Clarification {
                    field: "license".into(),
                    message: format!("{} is under {}: {}", node.key.id, lic.join(", "), f.note),
                    source: f.source.clone(),
                    replaced: node.declared.has_license().then(|| render_license(node)),
                    asserted: lic.clone(),
                });
                node.declared.license = lic.clone();
                node.declared.license_name = None;
                node.declared.license_link = None;
            }
            if let (Some(bases), false) = (&f.base_model, done_base) {
                done_base = true;
                node.clarifications.push(Clarification {
                    field: "base_model".into(),
                    message: if bases.is_empty() {
                        format!("{} has no base model: {}", node.key.id, f.note)
                    } else {
                        format!(
                            "{} derives from {}: {}",
                            node.key.id,
                            bases.join(", "),
                            f.note
                        )
                    },
                    source: f.source.clone(),
                    // A card naming a base by its pre-rename id says the same thing.
                    replaced: (!node.declared.base_model.is_empty()
                        && !self.same_repos(&node.declared.base_model, bases))
                    .then(|| node.declared.base_model.join(", ")),
                    asserted: bases.clone(),
                });
                node.declared.base_model = bases.clone();
                if let Some(r) = f.relation {
                    node.declared.base_model_relation = Some(r.as_str().to_string());
                }
            }
            for change in &f.license_changes {
                node.clarifications.push(Clarification {
                    field: "license_change".into(),
                    message: format!(
                        "{}: {change}; copies and derivatives made before the change may carry the older license",
                        node.key.id
                    ),
                    source: f.source.clone(),
                    replaced: None,
                    asserted: Vec::new(),
                });
            }
            if let Some(status) = &f.status {
                let message = match status {
                    RepoStatus::Removed => {
                        format!("{} has been removed from the Hub: {}", node.key.id, f.note)
                    }
                    RepoStatus::Renamed(to) => format!("{} was renamed to {to}", node.key.id),
                };
                node.clarifications.push(Clarification {
                    field: "status".into(),
                    message,
                    source: f.source.clone(),
                    replaced: None,
                    asserted: Vec::new(),
                });
            }
            if let (Some(ds), false) = (&f.datasets, done_datasets) {
                done_datasets = true;
                node.clarifications.push(Clarification {
                    field: "datasets".into(),
                    message: format!(
                        "{} was trained on {}: {}",
                        node.key.id,
                        ds.join(", "),
                        f.note
                    ),
                    source: f.source.clone(),
                    replaced: (!node.declared.datasets.is_empty())
                        .then(|| node.declared.datasets.join(", ")),
                    asserted: ds.clone(),
                });
                node.declared.datasets = ds.clone();
            }
            if let (Some(gens), false) = (&f.generated_by, done_generated) {
                done_generated = true;
                node.clarifications.push(Clarification {
                    field: "generated_by".into(),
                    message: format!(
                        "{} was generated by {}: {}",
                        node.key.id,
                        gens.join(", "),
                        f.note
                    ),
                    source: f.source.clone(),
                    replaced: (!node.declared.generated_by.is_empty())
                        .then(|| node.declared.generated_by.join(", ")),
                    asserted: gens.clone(),
                });
                node.declared.generated_by = gens.clone();
            }
        }
    }

    /// Whether two lists of model ids name the same repos once known renames are followed.
    fn same_repos(&self, card: &[String], asserted: &[String]) -> bool {
        let current = |id: &String| -> String {
            let renamed = self
                .facts(&NodeKey::model(id.clone()))
                .iter()
                .find_map(|f| match &f.status {
                    Some(RepoStatus::Renamed(to)) => Some(to.clone()),
                    _ => None,
                });
            renamed.unwrap_or_else(|| id.clone()).to_ascii_lowercase()
        };
        let mut a: Vec<String> = card.iter().map(current).collect();
        let mut b: Vec<String> = asserted.iter().map(current).collect();
        a.sort();
        b.sort();
        a == b
    }

    /// A node for a repo the Hub could not answer for (not found, unreachable, offline cache miss),
    /// built from facts alone when they are complete; its resolution is [`Resolution::Curated`].
    pub fn answer(&self, key: &NodeKey, hub_status: &Resolution) -> Option<Node> {
        if !self
            .facts(key)
            .iter()
            .any(|f| f.is_complete() || f.status.is_some())
        {
            return None;
        }
        let mut node = Node::placeholder(key.clone());
        node.resolution = Resolution::Curated;
        node.fallback = Some(Box::new(crate::graph::Fallback::Catalog {
            why: hub_status.describe(),
        }));
        node.declared = Default::default();
        self.apply(&mut node);
        if node.declared.license.is_empty()
            || !node.clarifications.iter().any(|c| c.field == "base_model")
        {
            return None;
        }
        node.clarifications.push(Clarification {
            field: "status".into(),
            message: format!(
                "no card was read for {} ({}); answered from the curated facts",
                key.id,
                hub_status.describe()
            ),
            source: self.facts(key)[0].source.clone(),
            replaced: None,
            asserted: Vec::new(),
        });
        Some(node)
    }
}

fn render_license(node: &Node) -> String {
    let d = &node.declared;
    let mut s = d.license.join(", ");
    if let Some(n) = &d.license_name {
        s.push_str(&format!(" (license_name {n})"));
    }
    if s.is_empty() {
        s = "nothing".into();
    }
    s
}
