//! Data written by a model or a hosted service (`generated-by`): output terms, their paths, the
//! dataset policy, and where the edges come from (catalog, card, policy file).

use super::*;
use crate::card::{declared, parents_of, HubFacts};
use crate::catalog::Catalog;
use crate::clarify::Clarifications;
use crate::graph::{Declared, Node};
use crate::id::NodeKey;
use crate::policy::Policy;
use crate::verdict::{assess, Assessment, Reason, Verdict};
use serde_json::json;

fn found(key: NodeKey, license: &[&str]) -> Node {
    Node::found(
        key,
        Declared {
            license: license.iter().map(|s| s.to_string()).collect(),
            ..Declared::default()
        },
    )
}

fn service(g: &mut Graph, id: &str) -> NodeIndex {
    let mut n = Node::placeholder(NodeKey::service(id));
    n.resolution = Resolution::Service;
    g.upsert(n)
}

fn judge(g: &Graph, ix: NodeIndex, policy: DatasetPolicy) -> Assessment {
    let kb = KnowledgeBase::builtin();
    let prop = Propagation::run(g, &kb, policy);
    assess(g, &prop, &kb, ix)
}

fn find(reasons: &[Reason], kind: TermKind) -> Option<&Reason> {
    reasons.iter().find(|r| r.term.kind() == kind)
}

fn path(r: &Reason) -> Vec<(String, Option<Relation>)> {
    r.path
        .iter()
        .map(|s| (s.node.to_string(), s.relation))
        .collect()
}

/// Mistral 7B fine-tuned on Stanford Alpaca (52K instructions written by text-davinci-003, data
/// under CC BY-NC 4.0), declaring Apache-2.0 like its base.
fn alpaca_lineage() -> (Graph, NodeIndex) {
    let mut g = Graph::new();
    let davinci = service(&mut g, "openai/text-davinci-003");
    let alpaca = g.upsert(found(
        NodeKey::dataset("tatsu-lab/alpaca"),
        &["cc-by-nc-4.0"],
    ));
    let base = g.upsert(found(
        NodeKey::model("mistralai/Mistral-7B-v0.1"),
        &["apache-2.0"],
    ));
    let ft = g.upsert(found(
        NodeKey::model("acme/mistral-7b-alpaca"),
        &["apache-2.0"],
    ));
    g.add_edge(davinci, alpaca, Relation::GeneratedBy);
    g.add_edge(alpaca, ft, Relation::TrainedOn);
    g.add_edge(base, ft, Relation::Finetune);
    (g, ft)
}

#[test]
fn a_model_trained_on_alpaca_carries_openai_output_terms_and_the_nc_term() {
    let (g, ft) = alpaca_lineage();
    let a = judge(&g, ft, DatasetPolicy::Strict);
    assert_eq!(a.commercial, Verdict::Forbidden, "{}", a.summary);
    let nc = find(&a.reasons, TermKind::NonCommercial).expect("the Alpaca NC term decides");
    assert_eq!(nc.origin, NodeKey::dataset("tatsu-lab/alpaca"));
    let openai = find(&a.conditions, TermKind::OutputTerms).expect("OpenAI's terms are listed");
    assert_eq!(
        openai.term,
        Term::OutputTerms {
            provider: "OpenAI".into(),
            text: "output may not be used to develop models that compete with OpenAI".into()
        }
    );
    assert_eq!(openai.origin, NodeKey::service("openai/text-davinci-003"));
    assert_eq!(
        path(openai),
        vec![
            (
                "model:acme/mistral-7b-alpaca".to_string(),
                Some(Relation::TrainedOn)
            ),
            (
                "dataset:tatsu-lab/alpaca".to_string(),
                Some(Relation::GeneratedBy)
            ),
            ("service:openai/text-davinci-003".to_string(), None),
        ]
    );
    // The output terms are a condition, never the reason for `forbidden`.
    assert!(a
        .reasons
        .iter()
        .all(|r| r.term.kind() != TermKind::OutputTerms));
    // The dataset itself carries them too.
    let alpaca = g.find(&NodeKey::dataset("tatsu-lab/alpaca")).unwrap();
    let d = judge(&g, alpaca, DatasetPolicy::Strict);
    assert!(find(&d.conditions, TermKind::OutputTerms).is_some());
}

#[test]
fn lenient_dataset_policy_makes_output_terms_advisories() {
    let (g, ft) = alpaca_lineage();
    let a = judge(&g, ft, DatasetPolicy::Lenient);
    assert_eq!(a.commercial, Verdict::Permitted, "{}", a.summary);
    let openai = find(&a.advisories, TermKind::OutputTerms).expect("advised, not bound");
    assert!(openai.advisory);
    assert_eq!(openai.path.len(), 3);
    assert!(find(&a.advisories, TermKind::NonCommercial).is_some());
    assert!(find(&a.conditions, TermKind::OutputTerms).is_none());
}

/// A synthetic set written by Llama 3.1 70B Instruct, itself under Apache-2.0, and a Qwen2 fine-tune
/// trained on it.
fn llama31_data_lineage(dataset_license: &str) -> (Graph, NodeIndex) {
    let mut g = Graph::new();
    let base = g.upsert(found(
        NodeKey::model("meta-llama/Llama-3.1-70B"),
        &["llama3.1"],
    ));
    let gen = g.upsert(found(
        NodeKey::model("meta-llama/Llama-3.1-70B-Instruct"),
        &["llama3.1"],
    ));
    let data = g.upsert(found(
        NodeKey::dataset("acme/llama31-synthetic-instruct"),
        &[dataset_license],
    ));
    let qwen = g.upsert(found(NodeKey::model("Qwen/Qwen2-7B"), &["apache-2.0"]));
    let ft = g.upsert(found(NodeKey::model("acme/qwen2-7b-sft"), &["apache-2.0"]));
    g.add_edge(base, gen, Relation::Finetune);
    g.add_edge(gen, data, Relation::GeneratedBy);
    g.add_edge(data, ft, Relation::TrainedOn);
    g.add_edge(qwen, ft, Relation::Finetune);
    (g, ft)
}

#[test]
fn a_dataset_generated_by_llama_3_1_passes_the_name_prefix_duty() {
    let (g, ft) = llama31_data_lineage("apache-2.0");
    let a = judge(&g, ft, DatasetPolicy::Strict);
    assert_eq!(a.commercial, Verdict::Conditional, "{}", a.summary);
    let prefix = find(&a.conditions, TermKind::NamePrefix).expect("the Llama prefix duty");
    assert_eq!(
        prefix.term,
        Term::NamePrefix {
            prefix: "Llama".into()
        }
    );
    assert_eq!(
        prefix.origin,
        NodeKey::model("meta-llama/Llama-3.1-70B-Instruct")
    );
    assert_eq!(
        path(prefix),
        vec![
            (
                "model:acme/qwen2-7b-sft".to_string(),
                Some(Relation::TrainedOn)
            ),
            (
                "dataset:acme/llama31-synthetic-instruct".to_string(),
                Some(Relation::GeneratedBy)
            ),
            ("model:meta-llama/Llama-3.1-70B-Instruct".to_string(), None),
        ]
    );
    // Its name does not start with "Llama": the finding says so.
    assert!(a
        .conflicts
        .iter()
        .any(|c| c.code == crate::verdict::ConflictCode::NamePrefixMissing));
    // Output terms, not license terms: the 700M-user threshold and the AUP stay with Llama.
    for kind in [
        TermKind::UserThreshold,
        TermKind::UsePolicy,
        TermKind::Attribution,
    ] {
        assert!(find(&a.conditions, kind).is_none(), "{kind} travelled");
    }
    // Lenient: the same duty, as an advisory.
    let l = judge(&g, ft, DatasetPolicy::Lenient);
    assert_eq!(l.commercial, Verdict::Permitted);
    assert!(find(&l.advisories, TermKind::NamePrefix).is_some());
}

#[test]
fn a_fine_tune_declaring_apache_still_writes_its_bases_output_terms() {
    // Llama 2 Chat fine-tune declaring apache-2.0 generates a dataset: Llama 2's output clause binds.
    let mut g = Graph::new();
    let base = g.upsert(found(
        NodeKey::model("meta-llama/Llama-2-7b-chat-hf"),
        &["llama2"],
    ));
    let gen = g.upsert(found(
        NodeKey::model("acme/llama2-chat-ft"),
        &["apache-2.0"],
    ));
    let data = g.upsert(found(NodeKey::dataset("acme/chat-data"), &["mit"]));
    let m = g.upsert(found(NodeKey::model("acme/student"), &["mit"]));
    g.add_edge(base, gen, Relation::Finetune);
    g.add_edge(gen, data, Relation::GeneratedBy);
    g.add_edge(data, m, Relation::TrainedOn);
    let a = judge(&g, m, DatasetPolicy::Strict);
    let ban = find(&a.conditions, TermKind::NoOutputTraining).expect("the Llama 2 output clause");
    assert_eq!(ban.origin, NodeKey::model("acme/llama2-chat-ft"));
    assert_eq!(a.commercial, Verdict::Conditional);
}

#[test]
fn unknown_generators_fail_closed() {
    // A service with no reviewed terms.
    let mut g = Graph::new();
    let bot = service(&mut g, "acme/chatbot");
    let data = g.upsert(found(NodeKey::dataset("acme/bot-data"), &["mit"]));
    let m = g.upsert(found(NodeKey::model("acme/student"), &["mit"]));
    g.add_edge(bot, data, Relation::GeneratedBy);
    g.add_edge(data, m, Relation::TrainedOn);
    let a = judge(&g, m, DatasetPolicy::Strict);
    assert_eq!(a.commercial, Verdict::Unknown, "{}", a.summary);
    assert!(a.summary.contains("acme/chatbot"), "{}", a.summary);
    // A model generator the Hub did not serve.
    let mut g = Graph::new();
    let mut gone = Node::placeholder(NodeKey::model("acme/deleted-generator"));
    gone.resolution = Resolution::NotFound;
    let gen = g.upsert(gone);
    let data = g.upsert(found(NodeKey::dataset("acme/gen-data"), &["mit"]));
    g.add_edge(gen, data, Relation::GeneratedBy);
    assert_eq!(
        judge(&g, data, DatasetPolicy::Strict).commercial,
        Verdict::Unknown
    );
}

#[test]
fn the_generators_license_terms_never_travel() {
    // Data written by a non-commercial model is not itself under that license: only output terms
    // travel, and CC BY-NC-4.0 has none.
    let mut g = Graph::new();
    let gen = g.upsert(found(NodeKey::model("acme/nc-model"), &["cc-by-nc-4.0"]));
    let data = g.upsert(found(NodeKey::dataset("acme/nc-model-data"), &["mit"]));
    g.add_edge(gen, data, Relation::GeneratedBy);
    assert_eq!(
        judge(&g, data, DatasetPolicy::Strict).commercial,
        Verdict::Permitted
    );
    assert_eq!(
        pass(
            Relation::GeneratedBy,
            TermKind::NonCommercial,
            DatasetPolicy::Strict
        ),
        Pass::Stop
    );
    assert_eq!(
        pass(
            Relation::GeneratedBy,
            TermKind::Unknown,
            DatasetPolicy::Strict
        ),
        Pass::Bind
    );
}

#[test]
fn a_dataset_card_names_its_generator() {
    let facts = HubFacts::from_api(&json!({
        "id": "acme/distilled",
        "cardData": {
            "license": "mit",
            "generated_by": ["service:openai/gpt-4", "meta-llama/Llama-3.1-70B-Instruct", "/tmp/local"],
            "tags": ["synthetic"],
        },
    }));
    let d = declared(facts.card_data.as_ref().unwrap(), &facts);
    let node = Node::found(NodeKey::dataset("acme/distilled"), d);
    let edges = parents_of(&node, None);
    let parents: Vec<(String, Relation)> = edges
        .parents
        .iter()
        .map(|p| (p.key.to_string(), p.relation))
        .collect();
    assert_eq!(
        parents,
        vec![
            ("service:openai/gpt-4".to_string(), Relation::GeneratedBy),
            (
                "model:meta-llama/Llama-3.1-70B-Instruct".to_string(),
                Relation::GeneratedBy
            ),
        ]
    );
    // A generator that is not an id becomes an invalid node, so the verdict fails closed.
    assert_eq!(edges.invalid.len(), 1);
    assert_eq!(
        edges.invalid_relation(&edges.invalid[0].0, &node.key),
        Relation::GeneratedBy
    );
    // A model card's `generated_by` names nothing (only datasets are generated).
    let m = Node::found(NodeKey::model("acme/model"), node.declared.clone());
    assert!(parents_of(&m, None).parents.is_empty());
}

#[test]
fn a_policy_file_supplies_the_generator() {
    let kb = KnowledgeBase::builtin();
    let policy = Policy::parse(
        r#"
[[clarify]]
repo = "datasets/acme/support-chats"
generated_by = ["service:anthropic/claude-3-opus"]
reason = "vendor contract: answers drafted with Claude 3 Opus"
"#,
        "lineage.toml",
        &kb,
    )
    .unwrap();
    let mut cl = Clarifications::none();
    for f in policy.clarifications() {
        cl.add(f);
    }
    let mut data = found(NodeKey::dataset("acme/support-chats"), &["apache-2.0"]);
    cl.apply(&mut data);
    assert_eq!(
        data.declared.generated_by,
        vec!["service:anthropic/claude-3-opus"]
    );
    assert!(data
        .clarifications
        .iter()
        .any(|c| c.field == "generated_by"));
    let edges = parents_of(&data, None);
    assert_eq!(
        edges.parents[0].key,
        NodeKey::service("anthropic/claude-3-opus")
    );

    let mut g = Graph::new();
    let claude = service(&mut g, "anthropic/claude-3-opus");
    let d = g.upsert(data);
    let m = g.upsert(found(NodeKey::model("acme/support-bot"), &["apache-2.0"]));
    g.add_edge(claude, d, edges.parents[0].relation);
    g.add_edge(d, m, Relation::TrainedOn);
    let a = judge(&g, m, DatasetPolicy::Strict);
    assert_eq!(a.commercial, Verdict::Conditional);
    let terms = find(&a.conditions, TermKind::OutputTerms).unwrap();
    assert!(matches!(&terms.term, Term::OutputTerms { provider, .. } if provider == "Anthropic"));

    // A generator on a model, or one that is no id, is refused with its place in the file.
    let e = Policy::parse(
        "[[clarify]]\nrepo = \"acme/model\"\ngenerated_by = \"service:openai/gpt-4\"\nreason = \"x\"\n\n[[clarify]]\nrepo = \"datasets/a/b\"\ngenerated_by = [\"service:\"]\nreason = \"y\"\n",
        "lineage.toml",
        &kb,
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("`generated_by` applies to datasets"), "{e}");
    assert!(e.contains("clarify[1].generated_by[0]"), "{e}");
}

#[test]
fn the_catalog_names_the_generators_of_well_known_synthetic_sets() {
    let kb = KnowledgeBase::builtin();
    let catalog = Catalog::builtin(&kb);
    let gen = |repo: &str| {
        catalog
            .get(repo)
            .and_then(|e| e.generated_by.clone())
            .unwrap_or_default()
    };
    assert_eq!(
        gen("datasets/tatsu-lab/alpaca"),
        vec!["service:openai/text-davinci-003"]
    );
    assert_eq!(
        gen("datasets/vicgalle/alpaca-gpt4"),
        vec!["service:openai/gpt-4"]
    );
    assert_eq!(
        gen("datasets/Magpie-Align/Magpie-Llama-3.1-Pro-MT-300K-Filtered"),
        vec!["meta-llama/Llama-3.1-70B-Instruct"]
    );
    assert_eq!(
        gen("datasets/cognitivecomputations/dolphin"),
        vec!["service:openai/gpt-4", "service:openai/gpt-3.5-turbo"]
    );
    assert_eq!(
        gen("datasets/WizardLMTeam/WizardLM_evol_instruct_70k"),
        vec!["service:openai/gpt-3.5-turbo"]
    );
    // Every generator the catalog names is a service with reviewed terms or a model id.
    for e in catalog.entries() {
        for g in e.generated_by.iter().flatten() {
            let key = crate::id::parse_generator_ref(g).unwrap();
            if key.kind == crate::id::RepoKind::Service {
                assert!(
                    kb.outputs().provider(&key).is_some(),
                    "{g} has no reviewed terms"
                );
            }
        }
    }
    // Applied as facts, the catalog adds the edge to a card that says nothing.
    let mut cl = Clarifications::none();
    catalog.add_to(&mut cl);
    let mut alpaca = found(NodeKey::dataset("tatsu-lab/alpaca"), &["cc-by-nc-4.0"]);
    cl.apply(&mut alpaca);
    assert_eq!(
        parents_of(&alpaca, None).parents[0].key,
        NodeKey::service("openai/text-davinci-003")
    );
}

#[test]
fn a_synthetic_tag_without_a_generator_is_an_advisory_only() {
    let facts = HubFacts::from_api(&json!({
        "id": "acme/synth",
        "tags": ["synthetic", "license:mit"],
        "cardData": {"license": "mit", "annotations_creators": ["machine-generated"]},
    }));
    let d = declared(facts.card_data.as_ref().unwrap(), &facts);
    assert!(d.synthetic);
    let mut g = Graph::new();
    let data = g.upsert(Node::found(NodeKey::dataset("acme/synth"), d));
    let m = g.upsert(found(NodeKey::model("acme/student"), &["mit"]));
    g.add_edge(data, m, Relation::TrainedOn);
    for policy in [DatasetPolicy::Strict, DatasetPolicy::Lenient] {
        let a = judge(&g, m, policy);
        // Never a guessed generator: the verdict stays what the licenses say.
        assert_eq!(a.commercial, Verdict::Permitted, "{policy}: {}", a.summary);
        let hint = find(&a.advisories, TermKind::OutputTerms).expect("the hint reaches the model");
        assert!(hint.advisory);
        assert_eq!(hint.origin, NodeKey::dataset("acme/synth"));
        assert!(a.conditions.is_empty() || find(&a.conditions, TermKind::OutputTerms).is_none());
    }
    // Once a generator is named, the hint gives way to the generator's real terms.
    let gpt4 = service(&mut g, "openai/gpt-4");
    g.add_edge(gpt4, data, Relation::GeneratedBy);
    let a = judge(&g, m, DatasetPolicy::Strict);
    assert_eq!(a.commercial, Verdict::Conditional);
    assert!(find(&a.advisories, TermKind::OutputTerms).is_none());
    assert_eq!(
        find(&a.conditions, TermKind::OutputTerms).unwrap().origin,
        NodeKey::service("openai/gpt-4")
    );
}
