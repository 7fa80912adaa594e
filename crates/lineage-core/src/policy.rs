//! The policy file (`lineage.toml`): which verdicts, conditions and licenses a user accepts.
//!
//! In the spirit of cargo-deny's `deny.toml`: allow-lists only (a policy that says nothing accepts
//! nothing but `permitted`), per-model exceptions that must give a reason, and `[[clarify]]` entries that
//! fix cards that are missing or wrong. The file is parsed with spans, then validated, and every problem
//! is reported at once with its file, line, column and key.
//!
//! ```
//! use lineage_core::policy::Policy;
//! use lineage_core::KnowledgeBase;
//!
//! let kb = KnowledgeBase::builtin();
//! let p = Policy::parse("[verdicts]\nallow = [\"permitted\", \"conditional\"]\n", "lineage.toml", &kb).unwrap();
//! assert_eq!(p.verdicts.len(), 2);
//! let err = Policy::parse("[verdicts]\nalow = []\n", "lineage.toml", &kb).unwrap_err();
//! assert_eq!(err.to_string(), "lineage.toml:2:1: verdicts.alow: unknown key `alow`; did you mean `allow`?");
//! ```

mod parse;

use crate::clarify::Fact;
use crate::graph::{ClarifySource, Graph, NodeIndex, Relation};
use crate::id::NodeKey;
use crate::license::KnowledgeBase;
use crate::propagate::{own_terms, OwnSource};
use crate::terms::TermKind;
use crate::verdict::{Assessment, ConflictCode, Verdict};
use serde::Serialize;
use std::collections::BTreeSet;
use std::fmt;
use thiserror::Error;

/// A validated policy: what `lineage check --policy` accepts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Policy {
    /// The file it was read from (for messages), or `default`.
    pub source: String,
    /// Verdicts that pass (`[verdicts] allow`); by default only `permitted`.
    pub verdicts: BTreeSet<Verdict>,
    /// Condition kinds a passing verdict may carry (`[conditions] allow`); `None` accepts any condition.
    /// `notice` always passes.
    pub conditions: Option<BTreeSet<TermKind>>,
    /// Knowledge-base ids every ancestor's own license must be among (`[licenses] allow`); `None` checks
    /// nothing.
    pub licenses: Option<BTreeSet<String>>,
    /// Conflict codes a model may carry and still pass (`[conflicts] allow`); `None` lets conflicts
    /// inform without denying.
    pub conflicts: Option<BTreeSet<ConflictCode>>,
    /// Models accepted whatever their verdict (`[[exceptions]]`).
    pub exceptions: Vec<Exception>,
    /// Facts that fix cards (`[[clarify]]`).
    pub clarify: Vec<Clarify>,
}

impl Default for Policy {
    /// Only `permitted` passes: the safe default for a policy that says nothing.
    fn default() -> Policy {
        Policy {
            source: "default".into(),
            verdicts: BTreeSet::from([Verdict::Permitted]),
            conditions: None,
            licenses: None,
            conflicts: None,
            exceptions: Vec::new(),
            clarify: Vec::new(),
        }
    }
}

/// One `[[exceptions]]` entry: a model accepted whatever its verdict, with the reason a human gave.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Exception {
    /// The excepted repository (`org/name`, or `datasets/org/name` for a dataset).
    pub model: NodeKey,
    /// When given (`org/name@rev`), the exception holds only for this revision (or a sha it prefixes).
    pub revision: Option<String>,
    /// Why it is accepted (required).
    pub reason: String,
    /// The line of the entry in the policy file.
    pub line: usize,
}

impl Exception {
    /// Whether this exception covers the assessed node.
    pub fn matches(&self, a: &Assessment) -> bool {
        if self.model != a.node {
            return false;
        }
        match (&self.revision, &a.revision) {
            (None, _) => true,
            (Some(want), Some(have)) => {
                have == want || (want.len() >= 7 && have.starts_with(want.as_str()))
            }
            (Some(_), None) => false,
        }
    }
}

/// One `[[clarify]]` entry: facts that replace or complete what a repository's card says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Clarify {
    /// The repository the facts are about.
    pub repo: NodeKey,
    /// Its real license (knowledge-base ids).
    pub license: Option<Vec<String>>,
    /// Its real base models (Hub ids; empty: it has none).
    pub base_model: Option<Vec<String>>,
    /// Its real training datasets (Hub ids).
    pub datasets: Option<Vec<String>>,
    /// For a dataset: the models (`org/name`) or hosted services (`service:org/name`) that wrote it.
    pub generated_by: Option<Vec<String>>,
    /// How it derives from its base models.
    pub relation: Option<Relation>,
    /// Why the user asserts this (required).
    pub reason: String,
    /// The line of the entry in the policy file.
    pub line: usize,
}

/// The decision of a policy on one assessed model.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PolicyOutcome {
    /// Whether the model passes.
    pub allowed: bool,
    /// Why: the rules that denied it, or the rules it passed (and, under an exception, what the
    /// exception overrides).
    pub why: Vec<String>,
    /// The reason of the exception that accepted it, if one did.
    pub exception: Option<String>,
}

/// One problem found in a policy file, located by line and column (1-based) and key path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyProblem {
    /// The file name given to [`Policy::parse`].
    pub file: String,
    /// Line, from 1.
    pub line: usize,
    /// Column in characters, from 1.
    pub column: usize,
    /// The key path, e.g. `exceptions[1].reason`; `None` for TOML syntax errors.
    pub key: Option<String>,
    /// What is wrong, and how to fix it where that is clear.
    pub message: String,
}

impl fmt::Display for PolicyProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: ", self.file, self.line, self.column)?;
        if let Some(k) = &self.key {
            write!(f, "{k}: ")?;
        }
        f.write_str(&self.message)
    }
}

/// Every problem found in a policy file; its `Display` prints one `file:line:col: key: message` per line.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error("{}", render(.problems))]
pub struct PolicyErrors {
    /// The problems, in file order.
    pub problems: Vec<PolicyProblem>,
}

fn render(problems: &[PolicyProblem]) -> String {
    problems
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

impl Policy {
    /// Parses and validates a policy file, reporting all problems at once: syntax errors, unknown keys,
    /// wrong types, unknown verdict or condition names, license ids not in `kb`, invalid repository ids,
    /// missing reasons, and duplicate exceptions or clarifications.
    pub fn parse(text: &str, file_name: &str, kb: &KnowledgeBase) -> Result<Policy, PolicyErrors> {
        parse::parse(text, file_name, kb)
    }

    /// The `[[clarify]]` entries as facts for [`crate::Clarifications`]; they win over the curated
    /// catalog.
    pub fn clarifications(&self) -> Vec<Fact> {
        self.clarify
            .iter()
            .map(|c| Fact {
                license: c.license.clone(),
                base_model: c.base_model.clone(),
                relation: c.relation,
                datasets: c.datasets.clone(),
                generated_by: c.generated_by.clone(),
                ..Fact::new(
                    c.repo.clone(),
                    ClarifySource::Policy {
                        reason: c.reason.clone(),
                    },
                    format!("stated in {}:{}", self.source, c.line),
                )
            })
            .collect()
    }

    /// Decides whether the assessed node `ix` passes: its verdict must be allowed, a passing verdict's
    /// conditions must be allowed, and every ancestor's own license must be in the license allow-list
    /// (when there is one). A matching exception accepts the node whatever the rules say, and says what it
    /// overrides.
    pub fn evaluate(
        &self,
        graph: &Graph,
        kb: &KnowledgeBase,
        ix: NodeIndex,
        a: &Assessment,
    ) -> PolicyOutcome {
        let mut denied: Vec<String> = Vec::new();
        let mut passed: Vec<String> = Vec::new();
        let allowed_verdicts = self
            .verdicts
            .iter()
            .map(|v| v.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        if self.verdicts.contains(&a.commercial) {
            passed.push(format!("verdict {} is allowed", a.commercial));
            self.check_conditions(a, &mut denied, &mut passed);
        } else {
            let why = a
                .reasons
                .first()
                .map(|r| format!(": {}", r.message))
                .unwrap_or_default();
            let allowed = if allowed_verdicts.is_empty() {
                "none"
            } else {
                &allowed_verdicts
            };
            denied.push(format!(
                "verdict {} is not allowed (allowed: {allowed}){why}",
                a.commercial
            ));
        }
        self.check_licenses(graph, kb, ix, &mut denied, &mut passed);
        if let Some(allow) = &self.conflicts {
            for c in a.conflicts.iter().filter(|c| !allow.contains(&c.code)) {
                denied.push(format!(
                    "conflict {} is not in [conflicts] allow: {}",
                    c.code, c.message
                ));
            }
        }

        if let Some(e) = self.exceptions.iter().find(|e| e.matches(a)) {
            let mut why = vec![format!(
                "accepted by the exception at {}:{}: {}",
                self.source, e.line, e.reason
            )];
            why.extend(denied.iter().map(|d| format!("overrides: {d}")));
            return PolicyOutcome {
                allowed: true,
                why,
                exception: Some(e.reason.clone()),
            };
        }
        let allowed = denied.is_empty();
        PolicyOutcome {
            allowed,
            why: if allowed { passed } else { denied },
            exception: None,
        }
    }

    fn check_conditions(&self, a: &Assessment, denied: &mut Vec<String>, passed: &mut Vec<String>) {
        let Some(allow) = &self.conditions else {
            return;
        };
        let mut seen = BTreeSet::new();
        let mut ok = BTreeSet::new();
        for r in &a.conditions {
            let kind = r.term.kind();
            if kind == TermKind::Notice {
                continue;
            }
            if allow.contains(&kind) {
                ok.insert(kind.as_str());
            } else if seen.insert(r.term.clone()) {
                denied.push(format!(
                    "condition {} from {} is not in [conditions] allow",
                    r.term, r.origin
                ));
            }
        }
        if !ok.is_empty() {
            passed.push(format!(
                "conditions {} are allowed",
                ok.into_iter().collect::<Vec<_>>().join(", ")
            ));
        }
    }

    fn check_licenses(
        &self,
        graph: &Graph,
        kb: &KnowledgeBase,
        ix: NodeIndex,
        denied: &mut Vec<String>,
        passed: &mut Vec<String>,
    ) {
        let Some(allow) = &self.licenses else {
            return;
        };
        let before = denied.len();
        let mut ancestors = graph.ancestors(ix);
        ancestors.sort_by(|a, b| graph.node(*a).key.cmp(&graph.node(*b).key));
        for n in ancestors {
            let node = graph.node(n);
            match own_terms(graph, kb, n).source {
                OwnSource::License(m) => {
                    for id in m.ids.iter().filter(|id| !allow.contains(*id)) {
                        denied.push(format!(
                            "license {id} of {} is not in [licenses] allow",
                            node.key
                        ));
                    }
                    for raw in &m.unresolved {
                        denied.push(format!(
                            "license {raw} of {} is not in the knowledge base, so not in [licenses] allow",
                            node.key
                        ));
                    }
                }
                OwnSource::Missing => denied.push(format!(
                    "{} declares no license, so none in [licenses] allow",
                    node.key
                )),
                OwnSource::Unresolved => denied.push(format!(
                    "the license of {} is unknown ({}), so not shown to be in [licenses] allow",
                    node.key,
                    node.resolution.describe()
                )),
                // A service has no license; its output terms are judged as terms.
                OwnSource::InheritsFromParent | OwnSource::Service => {}
            }
        }
        if denied.len() == before {
            passed.push("every license in the lineage is in [licenses] allow".into());
        }
    }

    /// The exceptions that matched none of the evaluated assessments, for a warning that the policy names
    /// a model it no longer needs to (or misspells one).
    pub fn unmatched_exceptions<'p, 'a>(
        &'p self,
        evaluated: impl IntoIterator<Item = &'a Assessment>,
    ) -> Vec<&'p Exception> {
        let evaluated: Vec<&Assessment> = evaluated.into_iter().collect();
        self.exceptions
            .iter()
            .filter(|e| !evaluated.iter().any(|a| e.matches(a)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::fixture::{Fixture, POLICY};
    use crate::verdict::assess;
    use insta::assert_snapshot;

    fn kb() -> KnowledgeBase {
        KnowledgeBase::builtin()
    }

    #[test]
    fn default_accepts_only_permitted() {
        let p = Policy::default();
        assert_eq!(p.verdicts, BTreeSet::from([Verdict::Permitted]));
        let f = Fixture::new();
        let lora = assess(&f.graph, &f.prop, &f.kb, f.lora);
        let out = p.evaluate(&f.graph, &f.kb, f.lora, &lora);
        assert!(!out.allowed);
        assert!(
            out.why[0].starts_with("verdict conditional is not allowed (allowed: permitted)"),
            "{:?}",
            out.why
        );
        let empty = Policy::parse("", "lineage.toml", &kb()).unwrap();
        assert_eq!(empty.verdicts, p.verdicts);
        assert_eq!(empty.source, "lineage.toml");
    }

    #[test]
    fn parses_the_documented_example() {
        let text = r#"
[verdicts]
allow = ["permitted", "conditional"]        # default: ["permitted"]
[conditions]
allow = ["notice", "attribution", "use-policy", "user-threshold", "name-prefix"]
[licenses]
allow = ["apache-2.0", "mit", "llama3.1"]
[[exceptions]]
model = "acme/internal-finetune"
reason = "reviewed by legal, 2026-10-02"
[[clarify]]
repo = "huggyllama/llama-7b"
license = "llama1-research"
base_model = []
datasets = []
relation = "finetune"
reason = "re-upload of the original LLaMA-7B weights"
"#;
        let p = Policy::parse(text, "lineage.toml", &kb()).unwrap();
        assert_eq!(
            p.verdicts,
            BTreeSet::from([Verdict::Permitted, Verdict::Conditional])
        );
        assert_eq!(p.conditions.as_ref().map(|c| c.len()), Some(5));
        assert!(p.licenses.as_ref().is_some_and(|l| l.contains("llama3.1")));
        assert_eq!(p.exceptions.len(), 1);
        assert_eq!(
            p.exceptions[0].model,
            NodeKey::model("acme/internal-finetune")
        );
        assert_eq!(p.exceptions[0].line, 8);
        let facts = p.clarifications();
        assert_eq!(facts.len(), 1);
        let f = &facts[0];
        assert_eq!(f.repo, NodeKey::model("huggyllama/llama-7b"));
        assert_eq!(f.license, Some(vec!["llama1-research".to_string()]));
        assert_eq!(f.base_model, Some(vec![]));
        assert_eq!(f.datasets, Some(vec![]));
        assert_eq!(f.relation, Some(Relation::Finetune));
        assert_eq!(
            f.source,
            ClarifySource::Policy {
                reason: "re-upload of the original LLaMA-7B weights".into()
            }
        );
        assert_eq!(f.note, "stated in lineage.toml:11");
    }

    #[test]
    fn bad_policy_reports_every_problem() {
        let text = r#"# a policy with many mistakes
[verdicts]
allow = ["permitted", "Conditional", 3]
colour = "red"

[conditions]
allow = ["notice", "non-commercial", "atribution"]

[licenses]
allow = "mit"

[[exceptions]]
model = "acme/internal-finetune"
reason = "reviewed by legal"

[[exceptions]]
model = "acme/internal-finetune"

[[exceptions]]
model = "/home/me/checkpoint"
reason = ""

[[clarify]]
repo = "huggyllama/llama-7b"
license = ["llama1-research", "Apache 2.0", "no-such-license"]
base_model = "datasets/tatsu-lab/alpaca"
relation = "distilled"
reason = "re-upload"

[[clarify]]
repo = "https://huggingface.co/huggyllama/llama-7b"
license = "mit"
reason = "duplicate"

[[clarify]]
repo = "datasets/tatsu-lab/alpaca"
reason = "nothing asserted"
note = { a = 1 }

[extra]
"#;
        let err = Policy::parse(text, "lineage.toml", &kb()).unwrap_err();
        assert_snapshot!("policy_errors", err.to_string());
        assert!(err
            .problems
            .windows(2)
            .all(|w| (w[0].line, w[0].column) <= (w[1].line, w[1].column)));
    }

    #[test]
    fn syntax_errors_are_located() {
        let err =
            Policy::parse("[verdicts]\nallow = [\"permitted\"\n", "p.toml", &kb()).unwrap_err();
        assert_eq!(err.problems.len(), 1, "{err}");
        assert_eq!(
            (err.problems[0].line, err.problems[0].column),
            (2, 21),
            "{err}"
        );
        assert!(err.problems[0].key.is_none());
        let err =
            Policy::parse("[verdicts]\nallow = []\n[verdicts]\n", "p.toml", &kb()).unwrap_err();
        assert!(err.to_string().starts_with("p.toml:3:"), "{err}");
    }

    #[test]
    fn wrong_types_everywhere() {
        let text =
            "verdicts = 1\nconditions = []\nexceptions = { model = \"a/b\" }\nclarify = [1]\n";
        let err = Policy::parse(text, "p.toml", &kb()).unwrap_err();
        let s = err.to_string();
        assert_eq!(err.problems.len(), 4, "{s}");
        assert!(s.contains("p.toml:1:12: verdicts: expected a table"), "{s}");
        assert!(
            s.contains("p.toml:3:14: exceptions: expected an array of tables ([[exceptions]])"),
            "{s}"
        );
        assert!(
            s.contains("p.toml:4:12: clarify[0]: expected a table"),
            "{s}"
        );
        let err =
            Policy::parse("[licenses]\n[conditions]\nallow = []\n", "p.toml", &kb()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "p.toml:1:1: licenses.allow: missing `allow`: list what passes, or remove [licenses]"
        );
    }

    #[test]
    fn evaluate_verdicts_conditions_and_exceptions() {
        let f = Fixture::new();
        let lora = assess(&f.graph, &f.prop, &f.kb, f.lora);
        // The fixture allows conditional with use-policy, user-threshold and attribution, but not
        // no-output-training, which Llama 2 carries.
        let out = f.policy.evaluate(&f.graph, &f.kb, f.lora, &lora);
        assert!(!out.allowed);
        assert_eq!(out.why.len(), 1, "{:?}", out.why);
        assert!(out.why[0].starts_with("condition no-output-training(except Llama 2 and its derivatives) from model:meta-llama/Llama-2-7b-hf is not in [conditions] allow"));

        let text = format!(
            "{POLICY}\n[[exceptions]]\nmodel = \"someone/llama2-lora\"\nreason = \"legal ok\"\n"
        );
        let p = Policy::parse(&text, "lineage.toml", &f.kb).unwrap();
        let out = p.evaluate(&f.graph, &f.kb, f.lora, &lora);
        assert!(out.allowed);
        assert_eq!(out.exception.as_deref(), Some("legal ok"));
        assert!(
            out.why[0].starts_with("accepted by the exception at lineage.toml:"),
            "{:?}",
            out.why
        );
        assert!(
            out.why[1].starts_with("overrides: condition no-output-training"),
            "{:?}",
            out.why
        );

        // Any condition passes without a [conditions] table.
        let p = Policy::parse(
            "[verdicts]\nallow = [\"permitted\", \"conditional\"]\n",
            "p",
            &f.kb,
        )
        .unwrap();
        let out = p.evaluate(&f.graph, &f.kb, f.lora, &lora);
        assert!(out.allowed, "{:?}", out.why);
        assert_eq!(out.why, vec!["verdict conditional is allowed"]);

        // Notice always passes: a permitted mit model under an empty condition list.
        let llama = assess(&f.graph, &f.prop, &f.kb, f.llama);
        assert_eq!(llama.commercial, Verdict::Conditional);
        let p = Policy::parse(
            "[verdicts]\nallow=[\"permitted\"]\n[conditions]\nallow=[]\n",
            "p",
            &f.kb,
        )
        .unwrap();
        let mut g = Graph::new();
        let mit = g.upsert(crate::graph::Node::found(
            NodeKey::model("a/mit"),
            crate::graph::Declared {
                license: vec!["mit".into()],
                ..Default::default()
            },
        ));
        let prop =
            crate::propagate::Propagation::run(&g, &f.kb, crate::propagate::DatasetPolicy::Strict);
        let a = assess(&g, &prop, &f.kb, mit);
        assert!(a
            .conditions
            .iter()
            .any(|r| r.term == crate::terms::Term::Notice));
        assert!(p.evaluate(&g, &f.kb, mit, &a).allowed);
    }

    #[test]
    fn license_allow_list_covers_every_ancestor() {
        let f = Fixture::new();
        let text =
            "[verdicts]\nallow = [\"permitted\", \"conditional\", \"forbidden\", \"unknown\"]\n\
                    [licenses]\nallow = [\"mit\", \"llama2\"]\n";
        let p = Policy::parse(text, "p", &f.kb).unwrap();
        let root = assess(&f.graph, &f.prop, &f.kb, f.root);
        let out = p.evaluate(&f.graph, &f.kb, f.root, &root);
        assert!(!out.allowed);
        assert_eq!(out.why.len(), 2, "{:?}", out.why);
        assert_eq!(
            out.why[0],
            "license cc-by-nc-4.0 of dataset:tatsu-lab/alpaca is not in [licenses] allow"
        );
        assert!(
            out.why[1].contains("is not in the knowledge base"),
            "{:?}",
            out.why
        );
        // The GGUF copy has no license of its own; it is judged by its ancestors.
        let gguf = assess(&f.graph, &f.prop, &f.kb, f.gguf);
        assert_eq!(p.evaluate(&f.graph, &f.kb, f.gguf, &gguf).why.len(), 2);
        let llama = assess(&f.graph, &f.prop, &f.kb, f.llama);
        let out = p.evaluate(&f.graph, &f.kb, f.llama, &llama);
        assert!(out.allowed, "{:?}", out.why);
        assert!(out
            .why
            .contains(&"every license in the lineage is in [licenses] allow".to_string()));
    }

    #[test]
    fn exceptions_by_revision_and_unmatched() {
        let f = Fixture::new();
        let text = "[[exceptions]]\nmodel = \"acme/alpaca-7b-mit@9f3c2a1\"\nreason = \"pinned\"\n\
                    [[exceptions]]\nmodel = \"acme/alpaca-7b-mit@deadbeef\"\nreason = \"old\"\n\
                    [[exceptions]]\nmodel = \"datasets/tatsu-lab/alpaca\"\nreason = \"dataset\"\n";
        let p = Policy::parse(text, "p", &f.kb).unwrap();
        let root = assess(&f.graph, &f.prop, &f.kb, f.root);
        let out = p.evaluate(&f.graph, &f.kb, f.root, &root);
        assert_eq!(out.exception.as_deref(), Some("pinned"));
        let unmatched = p.unmatched_exceptions([&root]);
        let reasons: Vec<&str> = unmatched.iter().map(|e| e.reason.as_str()).collect();
        assert_eq!(reasons, vec!["old", "dataset"]);
        let alpaca = assess(&f.graph, &f.prop, &f.kb, f.alpaca);
        assert_eq!(p.unmatched_exceptions([&root, &alpaca]).len(), 1);
    }

    #[test]
    fn policy_clarifications_change_the_verdict() {
        // The fixture's policy clarifies the Alpaca dataset to cc-by-nc-4.0.
        let f = Fixture::new();
        let alpaca = assess(&f.graph, &f.prop, &f.kb, f.alpaca);
        assert_eq!(alpaca.commercial, Verdict::Forbidden);
        assert!(
            alpaca.reasons[0].clarified[0].starts_with("clarified by policy:"),
            "{:?}",
            alpaca.reasons
        );
    }
}
