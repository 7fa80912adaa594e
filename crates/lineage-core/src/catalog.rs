//! The curated catalog: reviewed facts about well-known repositories that cards get wrong or omit
//! (re-uploads, deltas, removed repos, license changes), each with the source it was read from.
//!
//! The catalog is a layer of clarifications beneath the user's policy file: the user's `[[clarify]]`
//! wins, and every verdict that uses a catalog fact says so (`curated: ...`).

use crate::clarify::{Clarifications, Fact, RepoStatus};
use crate::graph::{ClarifySource, Relation};
use crate::id::{parse_generator_ref, parse_repo_ref, NodeKey, RepoKind};
use crate::license::KnowledgeBase;
use serde::{Deserialize, Serialize};
use thiserror::Error;

const BUILTIN: &str = include_str!("../data/catalog.toml");

/// A license change in a repository's history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LicenseChange {
    /// When it changed (ISO date), if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    /// The revision at which it changed, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<String>,
    /// The license before.
    pub from: String,
    /// The license after.
    pub to: String,
    /// Where the change is documented.
    pub source: String,
}

/// One catalogued repository, as written in `data/catalog.toml`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogEntry {
    /// Hub id; datasets are written `datasets/org/name`.
    pub repo: String,
    /// Knowledge-base id of the license the repo is really under.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub license: Option<String>,
    /// The license text the license was read from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub license_text: Option<String>,
    /// The real base models (`[]` for an original).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_model: Option<Vec<String>>,
    /// How it derives from its bases.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relation: Option<String>,
    /// The real training datasets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub datasets: Option<Vec<String>>,
    /// For a dataset: the models (`org/name`) or hosted services (`service:org/name`) that wrote it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generated_by: Option<Vec<String>>,
    /// What it is a re-upload of.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reupload_of: Option<String>,
    /// `removed` or `renamed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// The new id, with `status = "renamed"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renamed_to: Option<String>,
    /// Why the entry exists.
    pub note: String,
    /// Where the facts were read from.
    pub source: String,
    /// When they were read.
    pub read: String,
    /// License changes, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub license_change: Vec<LicenseChange>,
}

impl CatalogEntry {
    /// The node this entry describes.
    pub fn key(&self) -> Option<NodeKey> {
        parse_repo_ref(&self.repo, RepoKind::Model)
            .ok()
            .map(|r| r.key)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogFile {
    #[serde(default)]
    entry: Vec<CatalogEntry>,
}

/// Why a catalog could not be used.
#[derive(Debug, Error)]
pub enum CatalogError {
    /// The TOML did not parse or did not match the entry format.
    #[error("{origin}: {source}")]
    Parse {
        /// The file (or `built-in`).
        origin: String,
        /// The TOML error.
        source: toml::de::Error,
    },
    /// An entry is inconsistent (bad id, unknown license, duplicate repo, ...).
    #[error("{origin}: entry {repo:?}: {problem}")]
    Invalid {
        /// The file (or `built-in`).
        origin: String,
        /// The entry's repo.
        repo: String,
        /// What is wrong.
        problem: String,
    },
}

/// The reviewed catalog of facts about well-known repositories.
#[derive(Clone, Debug)]
pub struct Catalog {
    entries: Vec<CatalogEntry>,
}

impl Catalog {
    /// The catalog compiled into lineage, checked against the built-in knowledge base.
    pub fn builtin(kb: &KnowledgeBase) -> Catalog {
        Catalog::from_toml(BUILTIN, "built-in", kb).expect("the built-in catalog is valid")
    }

    /// Parses and checks a catalog: ids valid and unique, licenses known to `kb`, relations valid.
    pub fn from_toml(
        text: &str,
        origin: &str,
        kb: &KnowledgeBase,
    ) -> Result<Catalog, CatalogError> {
        let file: CatalogFile = toml::from_str(text).map_err(|source| CatalogError::Parse {
            origin: origin.to_string(),
            source,
        })?;
        let invalid = |repo: &str, problem: String| CatalogError::Invalid {
            origin: origin.to_string(),
            repo: repo.to_string(),
            problem,
        };
        let mut seen = std::collections::HashSet::new();
        for e in &file.entry {
            let key = e
                .key()
                .ok_or_else(|| invalid(&e.repo, "not a valid Hub id".into()))?;
            if !seen.insert(key.clone()) {
                return Err(invalid(&e.repo, "listed twice".into()));
            }
            let licenses = e
                .license
                .iter()
                .chain(e.license_change.iter().flat_map(|c| [&c.from, &c.to]));
            for l in licenses {
                if kb.get(l).is_none() {
                    return Err(invalid(
                        &e.repo,
                        format!("license {l:?} is not in the knowledge base"),
                    ));
                }
            }
            for g in e.generated_by.iter().flatten() {
                if key.kind != RepoKind::Dataset {
                    return Err(invalid(&e.repo, "generated_by applies to datasets".into()));
                }
                if let Err(err) = parse_generator_ref(g) {
                    return Err(invalid(&e.repo, format!("generated_by {g:?}: {err}")));
                }
            }
            if let Some(r) = &e.relation {
                if Relation::parse_model_relation(r).is_none() {
                    return Err(invalid(&e.repo, format!("unknown relation {r:?}")));
                }
                if e.base_model.as_ref().is_none_or(Vec::is_empty) {
                    return Err(invalid(&e.repo, "relation without base_model".into()));
                }
            }
            match (e.status.as_deref(), &e.renamed_to) {
                (None, None) | (Some("removed"), None) | (Some("renamed"), Some(_)) => {}
                (s, r) => {
                    return Err(invalid(
                        &e.repo,
                        format!("status {s:?} does not fit renamed_to {r:?}"),
                    ))
                }
            }
        }
        Ok(Catalog {
            entries: file.entry,
        })
    }

    /// The repositories curated under license `id` (a knowledge-base id), in catalog order.
    pub fn repos_under(&self, id: &str) -> Vec<String> {
        self.entries
            .iter()
            .filter(|c| c.license.as_deref() == Some(id))
            .map(|c| c.repo.clone())
            .collect()
    }

    /// Every entry, in file order.
    pub fn entries(&self) -> &[CatalogEntry] {
        &self.entries
    }

    /// The entry for a repository, written `org/name` (model) or `datasets/org/name`.
    pub fn get(&self, repo: &str) -> Option<&CatalogEntry> {
        let key = parse_repo_ref(repo, RepoKind::Model).ok()?.key;
        self.entries.iter().find(|e| e.key().as_ref() == Some(&key))
    }

    /// The entries as clarification facts (source: the catalog).
    pub fn facts(&self) -> Vec<Fact> {
        self.entries.iter().filter_map(entry_fact).collect()
    }

    /// Adds the catalog's facts beneath whatever `clarifications` already holds.
    pub fn add_to(&self, clarifications: &mut Clarifications) {
        for f in self.facts() {
            clarifications.add(f);
        }
    }
}

fn entry_fact(e: &CatalogEntry) -> Option<Fact> {
    let key = e.key()?;
    let mut source = e.source.clone();
    if let Some(t) = &e.license_text {
        source = format!("{t}; {source}");
    }
    source.push_str(&format!(", read {}", e.read));
    let mut note = e.note.clone();
    if let Some(r) = &e.reupload_of {
        note = format!("re-upload of {r}; {note}");
    }
    let mut f = Fact::new(key, ClarifySource::Catalog { source }, note);
    f.license = e.license.clone().map(|l| vec![l]);
    f.base_model = e.base_model.clone();
    f.relation = e
        .relation
        .as_deref()
        .and_then(Relation::parse_model_relation);
    f.datasets = e.datasets.clone();
    f.generated_by = e.generated_by.clone();
    f.status = match (e.status.as_deref(), &e.renamed_to) {
        (Some("removed"), _) => Some(RepoStatus::Removed),
        (Some("renamed"), Some(to)) => Some(RepoStatus::Renamed(to.clone())),
        _ => None,
    };
    f.license_changes = e
        .license_change
        .iter()
        .map(|c| {
            let when = c
                .date
                .clone()
                .or_else(|| c.revision.as_ref().map(|r| format!("revision {r}")))
                .unwrap_or_else(|| "at an unrecorded date".into());
            format!(
                "license changed from {} to {} ({when}; {})",
                c.from, c.to, c.source
            )
        })
        .collect();
    Some(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_catalog_is_valid_and_large_enough() {
        let kb = KnowledgeBase::builtin();
        let c = Catalog::builtin(&kb);
        assert!(c.entries().len() >= 60, "{}", c.entries().len());
        for e in c.entries() {
            assert!(
                !e.source.trim().is_empty() && !e.read.trim().is_empty(),
                "{}",
                e.repo
            );
        }
        assert_eq!(c.facts().len(), c.entries().len());
    }

    #[test]
    fn lookups_by_model_and_dataset_ids() {
        let kb = KnowledgeBase::builtin();
        let c = Catalog::builtin(&kb);
        assert_eq!(
            c.get("huggyllama/llama-7b")
                .and_then(|e| e.license.as_deref()),
            Some("llama1-research")
        );
        assert_eq!(
            c.get("datasets/tatsu-lab/alpaca")
                .and_then(|e| e.license.as_deref()),
            Some("cc-by-nc-4.0")
        );
        assert!(
            c.get("tatsu-lab/alpaca").is_none(),
            "the model id is not the dataset"
        );
    }

    #[test]
    fn rejects_unknown_licenses_and_duplicates() {
        let kb = KnowledgeBase::builtin();
        let bad =
            "[[entry]]\nrepo='a/b'\nlicense='no-such-license'\nnote='n'\nsource='s'\nread='r'\n";
        assert!(matches!(
            Catalog::from_toml(bad, "t", &kb),
            Err(CatalogError::Invalid { .. })
        ));
        let dup = "[[entry]]\nrepo='a/b'\nnote='n'\nsource='s'\nread='r'\n[[entry]]\nrepo='a/b'\nnote='n'\nsource='s'\nread='r'\n";
        assert!(matches!(
            Catalog::from_toml(dup, "t", &kb),
            Err(CatalogError::Invalid { .. })
        ));
    }

    use crate::graph::{Declared, Graph, Node, NodeIndex, Relation, Resolution};
    use crate::propagate::{DatasetPolicy, Propagation};
    use crate::verdict::{assess, Assessment, ConflictCode, Verdict};

    /// Builds the lineage of `root` (whose card says `card`) as the crawler would when the Hub has no
    /// other card: every ancestor answered from the clarifications, or left not found.
    fn lineage(cl: &Clarifications, root: &NodeKey, card: Declared) -> (Graph, NodeIndex) {
        let mut g = Graph::new();
        let mut node = Node::found(root.clone(), card);
        cl.apply(&mut node);
        let root_ix = g.upsert(node);
        let mut queue = vec![root_ix];
        while let Some(ix) = queue.pop() {
            let d = g.node(ix).declared.clone();
            let rel = Relation::infer(d.base_model_relation.as_deref(), None, d.base_model.len());
            let parents = d
                .base_model
                .iter()
                .map(|b| (crate::id::parse_card_ref(b, RepoKind::Model), rel))
                .chain(d.datasets.iter().map(|b| {
                    (
                        crate::id::parse_card_ref(b, RepoKind::Dataset),
                        Relation::TrainedOn,
                    )
                }));
            for (key, rel) in parents {
                let Ok(key) = key else { continue };
                let known = g.find(&key).is_some();
                let p = g.ensure(&key);
                if !known {
                    let answered = cl.answer(&key, &Resolution::NotFound);
                    g.upsert(answered.unwrap_or(Node {
                        resolution: Resolution::NotFound,
                        ..Node::placeholder(key)
                    }));
                    queue.push(p);
                }
                g.add_edge(p, ix, rel);
            }
        }
        (g, root_ix)
    }

    fn judge(cl: &Clarifications, root: &NodeKey, card: Declared) -> Assessment {
        let kb = KnowledgeBase::builtin();
        let (g, ix) = lineage(cl, root, card);
        let prop = Propagation::run(&g, &kb, DatasetPolicy::Strict);
        assess(&g, &prop, &kb, ix)
    }

    fn cites_catalog(a: &Assessment) -> bool {
        a.reasons
            .iter()
            .chain(&a.conditions)
            .chain(&a.advisories)
            .any(|r| r.clarified.iter().any(|c| c.starts_with("curated:")))
    }

    /// Every catalogued license is exercised on a card that omits it: alone the card is unknown
    /// ("no license declared"); with the catalog the verdict rests on the curated license and says so.
    #[test]
    fn every_curated_license_replaces_a_missing_one() {
        let kb = KnowledgeBase::builtin();
        let catalog = Catalog::builtin(&kb);
        let mut with = Clarifications::none();
        catalog.add_to(&mut with);
        let without = Clarifications::none();
        for e in catalog.entries().iter().filter(|e| e.license.is_some()) {
            let key = e.key().unwrap();
            let alone = judge(&without, &key, Declared::default());
            assert_eq!(alone.commercial, Verdict::Unknown, "{}", e.repo);
            let curated = judge(&with, &key, Declared::default());
            let no_license = |a: &Assessment| {
                a.reasons
                    .iter()
                    .any(|r| r.origin == key && r.message.contains("no license declared"))
            };
            assert!(!no_license(&curated), "{}: {}", e.repo, curated.summary);
            let license_terms = kb.get(e.license.as_deref().unwrap()).unwrap().terms.clone();
            if !license_terms.is_empty() {
                assert!(
                    cites_catalog(&curated),
                    "{}: the verdict does not cite the catalog: {curated:?}",
                    e.repo
                );
            }
        }
    }

    /// Every catalogued base model or training dataset is exercised on a card that declares a
    /// permissive license and nothing else: the card alone is permitted; the catalog adds the ancestry.
    #[test]
    fn every_curated_ancestry_is_followed() {
        let kb = KnowledgeBase::builtin();
        let catalog = Catalog::builtin(&kb);
        let mut with = Clarifications::none();
        catalog.add_to(&mut with);
        let without = Clarifications::none();
        let card = Declared {
            license: vec!["mit".into()],
            ..Declared::default()
        };
        for e in catalog.entries() {
            let bases = e.base_model.clone().unwrap_or_default();
            let datasets = e.datasets.clone().unwrap_or_default();
            if bases.is_empty() && datasets.is_empty() {
                continue;
            }
            let key = e.key().unwrap();
            assert_eq!(
                judge(&without, &key, card.clone()).commercial,
                Verdict::Permitted,
                "{}",
                e.repo
            );
            let (g, ix) = lineage(&with, &key, card.clone());
            let parents: Vec<String> = g
                .parents(ix)
                .map(|(p, _)| g.node(p).key.id.clone())
                .collect();
            for b in bases.iter().chain(&datasets) {
                let id = b.strip_prefix("datasets/").unwrap_or(b);
                assert!(
                    parents.iter().any(|p| p == id),
                    "{}: {id} not followed ({parents:?})",
                    e.repo
                );
            }
        }
    }

    /// A Vicuna v0 delta declares apache-2.0, but it is LLaMA-1 weights plus a delta.
    #[test]
    fn vicuna_delta_declaring_apache_is_forbidden_and_flagged() {
        let kb = KnowledgeBase::builtin();
        let mut cl = Clarifications::none();
        Catalog::builtin(&kb).add_to(&mut cl);
        let card = Declared {
            license: vec!["apache-2.0".into()],
            ..Declared::default()
        };
        let a = judge(
            &cl,
            &NodeKey::model("lmsys/vicuna-13b-delta-v0"),
            card.clone(),
        );
        assert_eq!(a.commercial, Verdict::Forbidden, "{}", a.summary);
        let codes: Vec<ConflictCode> = a.conflicts.iter().map(|c| c.code).collect();
        assert!(
            codes.contains(&ConflictCode::DeclaredMorePermissive),
            "{codes:?}"
        );
        assert!(
            codes.contains(&ConflictCode::CardContradictsCatalog),
            "{codes:?}"
        );
        assert!(cites_catalog(&a));
        let alone = judge(
            &Clarifications::none(),
            &NodeKey::model("lmsys/vicuna-13b-delta-v0"),
            card,
        );
        assert_eq!(
            alone.commercial,
            Verdict::Permitted,
            "the card alone would say permitted"
        );
    }

    /// runwayml/stable-diffusion-v1-5 is gone from the Hub; its derivatives still resolve.
    #[test]
    fn removed_repos_answer_from_the_catalog() {
        let kb = KnowledgeBase::builtin();
        let mut cl = Clarifications::none();
        Catalog::builtin(&kb).add_to(&mut cl);
        let node = cl
            .answer(
                &NodeKey::model("runwayml/stable-diffusion-v1-5"),
                &Resolution::NotFound,
            )
            .expect("answered");
        assert_eq!(node.resolution, Resolution::Curated);
        assert!(node
            .clarifications
            .iter()
            .any(|c| c.message.contains("removed")));
        let card = Declared {
            license: vec!["creativeml-openrail-m".into()],
            base_model: vec!["runwayml/stable-diffusion-v1-5".into()],
            ..Declared::default()
        };
        let a = judge(&cl, &NodeKey::model("someone/sd15-finetune"), card);
        assert_eq!(a.commercial, Verdict::Conditional, "{}", a.summary);
        assert!(a.unresolved.is_empty(), "{:?}", a.unresolved);
    }

    /// The user's policy facts win over the catalog's.
    #[test]
    fn policy_facts_win_over_the_catalog() {
        let kb = KnowledgeBase::builtin();
        let mut cl = Clarifications::none();
        Catalog::builtin(&kb).add_to(&mut cl);
        let mut f = Fact::new(
            NodeKey::model("huggyllama/llama-7b"),
            ClarifySource::Policy {
                reason: "we hold a commercial license from Meta".into(),
            },
            "lineage.toml:3",
        );
        f.license = Some(vec!["apache-2.0".into()]);
        cl.add(f);
        let a = judge(
            &cl,
            &NodeKey::model("huggyllama/llama-7b"),
            Declared {
                license: vec!["other".into()],
                ..Declared::default()
            },
        );
        assert_eq!(a.commercial, Verdict::Permitted, "{}", a.summary);
    }
}
