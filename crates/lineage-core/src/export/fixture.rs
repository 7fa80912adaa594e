//! A small real-world-shaped lineage shared by the export and policy tests, and syntax checks for the
//! DOT and Mermaid outputs.

use crate::clarify::Clarifications;
use crate::graph::{Declared, Graph, Node, NodeIndex, Relation};
use crate::id::NodeKey;
use crate::license::KnowledgeBase;
use crate::policy::Policy;
use crate::propagate::{DatasetPolicy, Propagation};

/// The id and license name no output may be broken by.
pub const WEIRD_ID: &str = "weird/dä\"ta\\set\n\u{1b}[31m<x>{y}|z";
pub const WEIRD_LICENSE_NAME: &str =
    "Mÿ \"custom\" licence\\v2\n<b>{x}|y</b> #quot; `z`;\u{7}\u{202e}";

pub const POLICY: &str = r#"
[verdicts]
allow = ["permitted", "conditional"]

[conditions]
allow = ["notice", "attribution", "use-policy", "user-threshold"]

[[exceptions]]
model = "acme/internal-finetune"
reason = "reviewed by legal, 2026-10-02"

[[clarify]]
repo = "datasets/tatsu-lab/alpaca"
license = "cc-by-nc-4.0"
reason = "the dataset card omits its license; the repository says CC BY-NC 4.0"
"#;

/// Llama 2 with an apache-2.0 LoRA; an `mit` model fine-tuned from Llama 2 on Alpaca (CC BY-NC, clarified
/// by the policy) and on a dataset with a hostile id and license name; a GGUF copy of it.
pub struct Fixture {
    pub kb: KnowledgeBase,
    pub graph: Graph,
    pub prop: Propagation,
    pub policy: Policy,
    pub llama: NodeIndex,
    pub lora: NodeIndex,
    pub alpaca: NodeIndex,
    pub weird: NodeIndex,
    pub root: NodeIndex,
    pub gguf: NodeIndex,
}

fn declared(license: &[&str]) -> Declared {
    Declared {
        license: license.iter().map(|s| s.to_string()).collect(),
        ..Declared::default()
    }
}

impl Fixture {
    pub fn new() -> Fixture {
        Fixture::build(DatasetPolicy::Strict, false)
    }

    /// The same lineage with nodes and edges inserted in the opposite order.
    pub fn reversed() -> Fixture {
        Fixture::build(DatasetPolicy::Strict, true)
    }

    pub fn with_policy(policy: DatasetPolicy) -> Fixture {
        Fixture::build(policy, false)
    }

    fn build(dataset_policy: DatasetPolicy, reverse: bool) -> Fixture {
        let kb = KnowledgeBase::builtin();
        let policy = Policy::parse(POLICY, "lineage.toml", &kb).expect("fixture policy is valid");
        let mut clar = Clarifications::none();
        for f in policy.clarifications() {
            clar.add(f);
        }

        let mut llama = Node::found(
            NodeKey::model("meta-llama/Llama-2-7b-hf"),
            declared(&["llama2"]),
        );
        llama.revision = Some("01c7f73d771dfac7d292323805ebc428287df4f9".into());
        // Only a creation date: it stands in for the release time.
        llama.created_at = Some("2023-07-13T16:27:06Z".into());
        let lora = Node::found(
            NodeKey::model("someone/llama2-lora"),
            Declared {
                base_model: vec!["meta-llama/Llama-2-7b-hf".into()],
                base_model_relation: Some("adapter".into()),
                ..declared(&["apache-2.0"])
            },
        );
        let mut alpaca = Node::found(NodeKey::dataset("tatsu-lab/alpaca"), Declared::default());
        clar.apply(&mut alpaca);
        // The dataset's real `lastModified` (hub-api.md), and a later-superseded creation date.
        alpaca.last_modified = Some("2023-05-22T20:33:36Z".into());
        alpaca.created_at = Some("2023-03-13T17:59:12Z".into());
        let weird = Node::found(
            NodeKey::dataset(WEIRD_ID),
            Declared {
                license_name: Some(WEIRD_LICENSE_NAME.into()),
                ..declared(&["other"])
            },
        );
        let mut root = Node::found(
            NodeKey::model("acme/alpaca-7b-mit"),
            Declared {
                base_model: vec!["meta-llama/Llama-2-7b-hf".into()],
                datasets: vec!["tatsu-lab/alpaca".into(), WEIRD_ID.into()],
                ..declared(&["mit"])
            },
        );
        root.revision = Some("9f3c2a1b".into());
        // The Hub's sentinel: created before the Hub stored dates, so no release time is known.
        root.created_at = Some(super::sbom::HUB_DATE_SENTINEL.into());
        let gguf = Node::found(
            NodeKey::model("TheBloke/alpaca-7b-mit-GGUF"),
            Declared {
                base_model: vec!["acme/alpaca-7b-mit".into()],
                base_model_relation: Some("quantized".into()),
                ..Declared::default()
            },
        );

        let mut nodes: Vec<Option<Node>> = [llama, lora, alpaca, weird, root, gguf]
            .into_iter()
            .map(Some)
            .collect();
        let mut edges = vec![
            (0, 1, Relation::Adapter),
            (0, 4, Relation::Finetune),
            (2, 4, Relation::TrainedOn),
        ];
        edges.extend([(3, 4, Relation::TrainedOn), (4, 5, Relation::Quantized)]);
        let mut graph = Graph::new();
        let mut ix = vec![NodeIndex::new(0); nodes.len()];
        let order: Vec<usize> = if reverse {
            (0..nodes.len()).rev().collect()
        } else {
            (0..nodes.len()).collect()
        };
        for &i in &order {
            if let Some(n) = nodes[i].take() {
                ix[i] = graph.upsert(n);
            }
        }
        if reverse {
            edges.reverse();
        }
        for (p, c, r) in edges {
            graph.add_edge(ix[p], ix[c], r);
        }
        let prop = Propagation::run(&graph, &kb, dataset_policy);
        Fixture {
            kb,
            graph,
            prop,
            policy,
            llama: ix[0],
            lora: ix[1],
            alpaca: ix[2],
            weird: ix[3],
            root: ix[4],
            gguf: ix[5],
        }
    }
}

/// A DOT syntax check: every quoted string terminated and free of raw control characters, braces and
/// brackets balanced outside strings, and nothing outside strings but ids, numbers and DOT punctuation.
pub fn check_dot(out: &str) -> Result<(), String> {
    let mut braces = 0i64;
    let mut brackets = 0i64;
    let mut chars = out.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => loop {
                match chars.next() {
                    None => return Err(format!("unterminated string starting at byte {i}")),
                    Some((_, '\\')) => {
                        if chars.next().is_none() {
                            return Err(format!("dangling backslash in string at byte {i}"));
                        }
                    }
                    Some((_, '"')) => break,
                    Some((j, c)) if c.is_control() => {
                        return Err(format!("raw control character {c:?} in string at byte {j}"));
                    }
                    Some(_) => {}
                }
            },
            '{' => braces += 1,
            '}' => braces -= 1,
            '[' => brackets += 1,
            ']' => brackets -= 1,
            c if c.is_ascii_alphanumeric() || c.is_whitespace() || "_.-;=,>".contains(c) => {}
            c => return Err(format!("unexpected {c:?} outside a string at byte {i}")),
        }
        if braces < 0 || brackets < 0 {
            return Err(format!("unbalanced close at byte {i}"));
        }
    }
    if braces != 0 || brackets != 0 {
        return Err(format!("unbalanced: braces {braces}, brackets {brackets}"));
    }
    Ok(())
}

pub fn assert_valid_dot(out: &str) {
    if let Err(e) = check_dot(out) {
        panic!("invalid DOT: {e}\n{out}");
    }
}

/// A Mermaid check: one statement per line, every label quoted with nothing inside that ends the label
/// or the statement (quotes, control characters) and no raw HTML but the `<br/>` we emit.
pub fn check_mermaid(out: &str) -> Result<(), String> {
    for (n, line) in out.lines().enumerate() {
        if line.chars().any(|c| c.is_control()) {
            return Err(format!("line {n}: control character"));
        }
        let t = line.trim_start();
        let label = if let Some(open) = t.find("[(\"") {
            let rest = &t[open + 3..];
            if !rest.ends_with("\")]") {
                return Err(format!("line {n}: unterminated cylinder label"));
            }
            Some(&rest[..rest.len() - 3])
        } else if let Some(open) = t.find("[\"") {
            let rest = &t[open + 2..];
            if !rest.ends_with("\"]") {
                return Err(format!("line {n}: unterminated label"));
            }
            Some(&rest[..rest.len() - 2])
        } else {
            None
        };
        if let Some(l) = label {
            if l.contains('"') {
                return Err(format!("line {n}: raw quote in label"));
            }
            if l.replace("<br/>", "").contains(['<', '>', '`']) {
                return Err(format!("line {n}: raw markup in label"));
            }
            // Every `#` starts an entity: `#name;` or `#123;`.
            for (i, _) in l.match_indices('#') {
                let ent = &l[i + 1..];
                let end = ent.find(';').ok_or(format!("line {n}: bare #"))?;
                if end == 0 || !ent[..end].chars().all(|c| c.is_ascii_alphanumeric()) {
                    return Err(format!("line {n}: bare # in label"));
                }
            }
        } else if t.contains('"') {
            return Err(format!("line {n}: quote outside a label"));
        }
    }
    Ok(())
}

pub fn assert_valid_mermaid(out: &str) {
    if let Err(e) = check_mermaid(out) {
        panic!("invalid Mermaid: {e}\n{out}");
    }
}

/// Serves the vendored CycloneDX schemas (tests/schemas/cyclonedx-1.6) under their `$id`s: no network.
struct VendoredSchemas;

impl jsonschema::Retrieve for VendoredSchemas {
    fn retrieve(
        &self,
        uri: &jsonschema::Uri<String>,
    ) -> Result<serde_json::Value, Box<dyn std::error::Error + Send + Sync>> {
        let text = match uri.as_str() {
            "http://cyclonedx.org/schema/spdx.schema.json" => {
                include_str!("../../../../tests/schemas/cyclonedx-1.6/spdx.schema.json")
            }
            "http://cyclonedx.org/schema/jsf-0.82.schema.json" => {
                include_str!("../../../../tests/schemas/cyclonedx-1.6/jsf-0.82.schema.json")
            }
            other => return Err(format!("no vendored schema for {other}").into()),
        };
        Ok(serde_json::from_str(text)?)
    }
}

/// The errors of a document against the official CycloneDX 1.6 schema (formats checked too).
pub fn cyclonedx_errors(doc: &serde_json::Value) -> Vec<String> {
    static VALIDATOR: std::sync::OnceLock<jsonschema::Validator> = std::sync::OnceLock::new();
    let validator = VALIDATOR.get_or_init(|| {
        let schema: serde_json::Value = serde_json::from_str(include_str!(
            "../../../../tests/schemas/cyclonedx-1.6/bom-1.6.schema.json"
        ))
        .expect("the vendored schema is JSON");
        jsonschema::options()
            .with_draft(jsonschema::Draft::Draft7)
            .should_validate_formats(true)
            .with_retriever(VendoredSchemas)
            .build(&schema)
            .expect("the vendored schema compiles")
    });
    validator
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}
