//! Output terms: what binds data written by a model or a hosted service (issue #12, part 2).
//!
//! A reviewed table (`data/outputs.toml`) beside the license knowledge base: per license, the terms
//! its text puts on outputs (the Llama 3.1 name prefix, the Llama 2 ban on improving other models);
//! per hosted-service provider, the published terms of use that bind its outputs (OpenAI: not to
//! develop competing models). Propagation reads it for `generated-by` edges.

use crate::id::{NodeKey, RepoKind};
use crate::license::KnowledgeBase;
use crate::terms::Term;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

const BUILTIN: &str = include_str!("../data/outputs.toml");

/// The output terms of one knowledge-base license.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LicenseOutputs {
    /// The license's knowledge-base id.
    pub id: String,
    /// Where the clause was read.
    pub source: String,
    /// When it was read.
    pub read: String,
    /// What binds a model trained on outputs of a model under this license.
    pub terms: Vec<Term>,
}

/// A hosted-service provider and the published terms that bind its outputs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Provider {
    /// The org part of its service ids (`openai` for `service:openai/gpt-4`).
    pub org: String,
    /// The name of the terms.
    pub name: String,
    /// Where the terms are published.
    pub url: String,
    /// What was read, with the clause.
    pub source: String,
    /// When it was read.
    pub read: String,
    /// What binds a model trained on the provider's outputs.
    pub terms: Vec<Term>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OutputsFile {
    #[serde(default)]
    license: Vec<LicenseOutputs>,
    #[serde(default)]
    provider: Vec<Provider>,
}

/// The reviewed table of output terms, by license id and by provider org.
#[derive(Clone, Debug, Default)]
pub struct Outputs {
    licenses: HashMap<String, LicenseOutputs>,
    providers: HashMap<String, Provider>,
}

impl Outputs {
    /// The table compiled into lineage.
    pub fn builtin() -> Outputs {
        let file: OutputsFile =
            toml::from_str(BUILTIN).expect("the built-in output-terms table is valid");
        Outputs {
            licenses: file
                .license
                .into_iter()
                .map(|l| (l.id.clone(), l))
                .collect(),
            providers: file
                .provider
                .into_iter()
                .map(|p| (p.org.to_ascii_lowercase(), p))
                .collect(),
        }
    }

    /// The output terms of a license, if its text puts any on outputs.
    pub fn license(&self, id: &str) -> Option<&LicenseOutputs> {
        self.licenses.get(id)
    }

    /// The provider whose terms bind a service node (by its org, case-insensitive).
    pub fn provider(&self, service: &NodeKey) -> Option<&Provider> {
        if service.kind != RepoKind::Service {
            return None;
        }
        self.providers.get(&service.org()?.to_ascii_lowercase())
    }

    /// Every license entry, in no particular order.
    pub fn licenses(&self) -> impl Iterator<Item = &LicenseOutputs> {
        self.licenses.values()
    }

    /// Every provider, in no particular order.
    pub fn providers(&self) -> impl Iterator<Item = &Provider> {
        self.providers.values()
    }
}

impl KnowledgeBase {
    /// The output terms of the licenses `ids` (a generator's licenses), each once, in order.
    pub fn output_terms_of(&self, ids: &[String]) -> Vec<Term> {
        let mut out: Vec<Term> = Vec::new();
        for id in ids {
            for t in self
                .outputs()
                .license(id)
                .map(|l| l.terms.as_slice())
                .unwrap_or(&[])
            {
                if !out.contains(t) {
                    out.push(t.clone());
                }
            }
        }
        out
    }

    /// The terms that bind outputs of a hosted service: its provider's, or an `unknown` term when
    /// the knowledge base has no reviewed terms for it (fail closed).
    pub fn service_terms(&self, service: &NodeKey) -> Vec<Term> {
        match self.outputs().provider(service) {
            Some(p) => p.terms.clone(),
            None => vec![Term::unknown(format!(
                "hosted service {} has no reviewed terms in the knowledge base",
                service.id
            ))],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_table_names_known_licenses_and_cites_sources() {
        let kb = KnowledgeBase::builtin();
        let o = Outputs::builtin();
        assert!(o.licenses().count() >= 10);
        for l in o.licenses() {
            assert!(kb.get(&l.id).is_some(), "{} is not a license id", l.id);
            assert!(!l.terms.is_empty() && !l.source.is_empty(), "{}", l.id);
            assert_eq!(l.read.len(), 10, "{}: read date", l.id);
        }
        for p in o.providers() {
            assert!(p.url.starts_with("https://"), "{}", p.org);
            assert!(!p.terms.is_empty(), "{}", p.org);
            // Output terms of a hosted service are conditions, never a ban on commercial use.
            assert!(p.terms.iter().all(|t| t.kind().is_condition()), "{}", p.org);
        }
    }

    #[test]
    fn services_resolve_by_provider_and_unknown_ones_fail_closed() {
        let kb = KnowledgeBase::builtin();
        let gpt4 = kb.service_terms(&NodeKey::service("openai/gpt-4"));
        assert_eq!(
            gpt4,
            vec![Term::OutputTerms {
                provider: "OpenAI".into(),
                text: "output may not be used to develop models that compete with OpenAI".into()
            }]
        );
        assert_eq!(kb.service_terms(&NodeKey::service("OpenAI/gpt-4o")), gpt4);
        let other = kb.service_terms(&NodeKey::service("acme/chat"));
        assert!(matches!(&other[..], [Term::Unknown { why }] if why.contains("acme/chat")));
        // A model key is never a service.
        assert!(Outputs::builtin()
            .provider(&NodeKey::model("openai/gpt-4"))
            .is_none());
    }

    #[test]
    fn llama_outputs_carry_the_name_prefix_and_permissive_licenses_nothing() {
        let kb = KnowledgeBase::builtin();
        assert_eq!(
            kb.output_terms_of(&["llama3.1".into(), "apache-2.0".into()]),
            vec![Term::NamePrefix {
                prefix: "Llama".into()
            }]
        );
        assert!(kb.output_terms_of(&["mit".into()]).is_empty());
        assert!(matches!(
            &kb.output_terms_of(&["llama2".into()])[..],
            [Term::NoOutputTraining { .. }]
        ));
    }
}
