//! Bills of materials (CycloneDX 1.6 and SPDX 3.0.1 validated against the official schemas, SPDX also
//! checked against the specification's required properties) and SVG pictures drawn without Graphviz.

use crate::util::{json, run, Env};
use lineage_fakehub::RepoSpec;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// A GGUF of a fine-tune trained on a dataset: quant-shop's GGUF of open-tuners/gpt2-alpaca (an `mit`
/// fine-tune of GPT-2 trained on tatsu-lab/alpaca, CC BY-NC 4.0).
fn env_with_gguf_chain() -> Env {
    let env = Env::new();
    env.hub.add(
        RepoSpec::model("quant-shop/gpt2-alpaca-GGUF")
            .base_model(["open-tuners/gpt2-alpaca"])
            .relation("quantized")
            .tag("gguf"),
    );
    env
}

const GGUF: &str = "quant-shop/gpt2-alpaca-GGUF";

/// Serves the vendored CycloneDX schemas under their `$id`s, so no reference reaches the network.
struct Vendored;

impl jsonschema::Retrieve for Vendored {
    fn retrieve(
        &self,
        uri: &jsonschema::Uri<String>,
    ) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        let text = match uri.as_str() {
            "http://cyclonedx.org/schema/spdx.schema.json" => {
                include_str!("schemas/cyclonedx-1.6/spdx.schema.json")
            }
            "http://cyclonedx.org/schema/jsf-0.82.schema.json" => {
                include_str!("schemas/cyclonedx-1.6/jsf-0.82.schema.json")
            }
            other => return Err(format!("no vendored schema for {other}").into()),
        };
        Ok(serde_json::from_str(text)?)
    }
}

pub(crate) fn assert_valid_cyclonedx(doc: &Value) {
    let schema: Value =
        serde_json::from_str(include_str!("schemas/cyclonedx-1.6/bom-1.6.schema.json")).unwrap();
    let validator = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft7)
        .should_validate_formats(true)
        .with_retriever(Vendored)
        .build(&schema)
        .expect("the vendored schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(doc)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}\n{doc:#}");
    // What the schema cannot say: bom-refs are unique and dependencies point at them.
    let refs: Vec<&str> = doc["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["bom-ref"].as_str().unwrap())
        .collect();
    let unique: BTreeSet<&str> = refs.iter().copied().collect();
    assert_eq!(unique.len(), refs.len(), "duplicate bom-ref");
    for d in doc["dependencies"].as_array().unwrap() {
        assert!(unique.contains(d["ref"].as_str().unwrap()));
        for t in d["dependsOn"].as_array().unwrap() {
            assert!(unique.contains(t.as_str().unwrap()), "dangling {t}");
        }
    }
}

/// Properties each SPDX 3.0.1 class may carry (its own and inherited; JSON-LD compact names), from the
/// model at spdx.github.io/spdx-spec/v3.0.1.
fn spdx_classes() -> BTreeMap<&'static str, (Vec<&'static str>, Vec<&'static str>)> {
    let element = [
        "type",
        "spdxId",
        "creationInfo",
        "name",
        "summary",
        "description",
        "comment",
        "externalRef",
        "externalIdentifier",
        "verifiedUsing",
        "extension",
    ];
    let artifact = [
        "suppliedBy",
        "originatedBy",
        "releaseTime",
        "builtTime",
        "validUntilTime",
        "standardName",
        "supportLevel",
    ];
    let package = [
        "software_primaryPurpose",
        "software_additionalPurpose",
        "software_copyrightText",
        "software_attributionText",
        "software_contentIdentifier",
        "software_packageVersion",
        "software_downloadLocation",
        "software_packageUrl",
        "software_homePage",
        "software_sourceInfo",
    ];
    let ai = [
        "ai_autonomyType",
        "ai_domain",
        "ai_energyConsumption",
        "ai_hyperparameter",
        "ai_informationAboutApplication",
        "ai_informationAboutTraining",
        "ai_limitation",
        "ai_metric",
        "ai_metricDecisionThreshold",
        "ai_modelDataPreprocessing",
        "ai_modelExplainability",
        "ai_safetyRiskAssessment",
        "ai_standardCompliance",
        "ai_typeOfModel",
        "ai_useSensitivePersonalInformation",
    ];
    let dataset = [
        "dataset_anonymizationMethodUsed",
        "dataset_confidentialityLevel",
        "dataset_dataCollectionProcess",
        "dataset_dataPreprocessing",
        "dataset_datasetAvailability",
        "dataset_datasetNoise",
        "dataset_datasetSize",
        "dataset_datasetType",
        "dataset_datasetUpdateMechanism",
        "dataset_hasSensitivePersonalInformation",
        "dataset_intendedUse",
        "dataset_knownBias",
        "dataset_sensor",
    ];
    let with = |extra: &[&[&'static str]], required: &[&'static str]| {
        let mut all: Vec<&'static str> = element.to_vec();
        for e in extra {
            all.extend_from_slice(e);
        }
        let mut req = vec!["type", "spdxId", "creationInfo"];
        req.extend_from_slice(required);
        (all, req)
    };
    BTreeMap::from([
        (
            "CreationInfo",
            (
                vec![
                    "type",
                    "@id",
                    "specVersion",
                    "created",
                    "createdBy",
                    "createdUsing",
                    "comment",
                ],
                vec!["type", "@id", "specVersion", "created", "createdBy"],
            ),
        ),
        (
            "SpdxDocument",
            with(
                &[&[
                    "rootElement",
                    "element",
                    "profileConformance",
                    "dataLicense",
                    "import",
                    "namespaceMap",
                ]],
                &[],
            ),
        ),
        ("SoftwareAgent", with(&[], &[])),
        ("Organization", with(&[], &[])),
        ("Tool", with(&[], &[])),
        // Required (minCount 1) by the AI profile's AIPackage: suppliedBy, downloadLocation,
        // packageVersion, primaryPurpose, releaseTime; by the Dataset profile's DatasetPackage:
        // builtTime, originatedBy (exactly one), releaseTime, downloadLocation, primaryPurpose,
        // datasetType. `releaseTime`/`builtTime` are checked in `assert_valid_spdx` (they may be
        // unknown, and then the package says so).
        (
            "ai_AIPackage",
            with(
                &[&artifact, &package, &ai],
                &[
                    "suppliedBy",
                    "software_downloadLocation",
                    "software_packageVersion",
                    "software_primaryPurpose",
                ],
            ),
        ),
        (
            "dataset_DatasetPackage",
            with(
                &[&artifact, &package, &dataset],
                &[
                    "originatedBy",
                    "software_downloadLocation",
                    "software_primaryPurpose",
                    "dataset_datasetType",
                ],
            ),
        ),
        (
            "Relationship",
            with(
                &[&[
                    "from",
                    "to",
                    "relationshipType",
                    "completeness",
                    "startTime",
                    "endTime",
                ]],
                &["from", "to", "relationshipType"],
            ),
        ),
        (
            "Annotation",
            with(
                &[&["annotationType", "subject", "statement", "contentType"]],
                &["annotationType", "subject"],
            ),
        ),
        (
            "simplelicensing_LicenseExpression",
            with(
                &[&[
                    "simplelicensing_licenseExpression",
                    "simplelicensing_customIdToUri",
                    "simplelicensing_licenseListVersion",
                ]],
                &["simplelicensing_licenseExpression"],
            ),
        ),
        (
            "expandedlicensing_CustomLicense",
            with(
                &[&[
                    "simplelicensing_licenseText",
                    "expandedlicensing_seeAlso",
                    "expandedlicensing_isOsiApproved",
                    "expandedlicensing_isFsfLibre",
                    "expandedlicensing_standardLicenseHeader",
                    "expandedlicensing_standardLicenseTemplate",
                    "expandedlicensing_isDeprecatedLicenseId",
                    "expandedlicensing_obsoletedBy",
                    "expandedlicensing_licenseXml",
                ]],
                &["simplelicensing_licenseText"],
            ),
        ),
    ])
}

/// Relationship types of the SPDX 3.0.1 `RelationshipType` vocabulary that a lineage could use.
const RELATIONSHIP_TYPES: &[&str] = &[
    "ancestorOf",
    "descendantOf",
    "variantOf",
    "trainedOn",
    "testedOn",
    "dependsOn",
    "generates",
    "hasDeclaredLicense",
    "hasConcludedLicense",
    "hasDataFile",
    "hasDocumentation",
    "describes",
    "other",
];

/// The errors of an SPDX document against the official SPDX 3.0.1 JSON schema (vendored; draft
/// 2020-12), at most 20.
fn spdx_schema_errors(doc: &Value) -> Vec<String> {
    let schema: Value =
        serde_json::from_str(include_str!("schemas/spdx-3.0.1/spdx-json-schema.json")).unwrap();
    let validator = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .build(&schema)
        .expect("the vendored SPDX schema compiles");
    validator
        .iter_errors(doc)
        .take(20)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect()
}

fn assert_spdx_schema(doc: &Value) {
    let errors = spdx_schema_errors(doc);
    assert!(errors.is_empty(), "{errors:#?}\n{doc:#}");
}

/// The schema is not vacuous: a wrong property name, a value outside a vocabulary, a date with
/// fractions or a missing required property each make the document invalid.
#[test]
fn the_spdx_schema_rejects_what_the_spec_forbids() {
    let env = env_with_gguf_chain();
    let (_, out, _) = env.run(&["check", GGUF, "--format", "spdx"]);
    let doc = json(&out);
    assert_spdx_schema(&doc);
    let package = |d: &mut Value| -> usize {
        d["@graph"]
            .as_array()
            .unwrap()
            .iter()
            .position(|e| e["type"] == "ai_AIPackage")
            .unwrap()
    };
    type Mutation = (&'static str, fn(&mut Value));
    let mutations: [Mutation; 4] = [
        ("unknown property", |p| {
            p["releaseDate"] = "2024-06-01T12:00:00Z".into()
        }),
        ("purpose outside the vocabulary", |p| {
            p["software_primaryPurpose"] = "weights".into()
        }),
        ("date with fractions", |p| {
            p["releaseTime"] = "2024-06-01T12:00:00.000Z".into()
        }),
        ("no creation info", |p| {
            p.as_object_mut().unwrap().remove("creationInfo");
        }),
    ];
    for (what, mutate) in mutations {
        let mut d = doc.clone();
        let i = package(&mut d);
        mutate(&mut d["@graph"][i]);
        assert!(!spdx_schema_errors(&d).is_empty(), "{what} was accepted");
    }
}

/// Checks an SPDX 3.0.1 JSON-LD document against the specification: the context, known classes with
/// only their properties and all the required ones, ids that are IRIs and unique, every reference
/// resolving, the creation time's form, and values from the vocabularies.
pub(crate) fn assert_valid_spdx(doc: &Value) {
    assert_spdx_schema(doc);
    assert_eq!(
        doc["@context"],
        "https://spdx.org/rdf/3.0.1/spdx-context.jsonld"
    );
    let classes = spdx_classes();
    let graph = doc["@graph"].as_array().expect("@graph");
    let mut ids: BTreeSet<String> = BTreeSet::new();
    let mut blank: BTreeSet<String> = BTreeSet::new();
    for e in graph {
        let t = e["type"].as_str().expect("type");
        let (allowed, required) = classes
            .get(t)
            .unwrap_or_else(|| panic!("unknown class {t}"));
        for k in e.as_object().unwrap().keys() {
            assert!(allowed.contains(&k.as_str()), "{t} has no property {k}");
        }
        for r in required {
            assert!(e.get(*r).is_some(), "{t} lacks {r}: {e}");
        }
        if let Some(id) = e["spdxId"].as_str() {
            assert!(
                id.starts_with("https://")
                    && !id
                        .chars()
                        .any(|c| c.is_whitespace() || "\"<>{}|\\^`".contains(c)),
                "not an IRI: {id:?}"
            );
            assert!(ids.insert(id.to_string()), "duplicate {id}");
        }
        if let Some(id) = e["@id"].as_str() {
            blank.insert(id.to_string());
        }
    }
    let resolves = |v: &Value| {
        let s = v.as_str().expect("a reference is a string");
        ids.contains(s) || s == "https://spdx.org/rdf/3.0.1/terms/Expanded/NoAssertionLicense"
    };
    let many = |v: &Value| -> Vec<Value> {
        match v {
            Value::Array(a) => a.clone(),
            Value::Null => Vec::new(),
            other => vec![other.clone()],
        }
    };
    for e in graph {
        let t = e["type"].as_str().unwrap();
        if t == "CreationInfo" {
            assert_eq!(e["specVersion"], "3.0.1");
            let created = e["created"].as_str().unwrap();
            assert!(
                created.len() == 20 && created.ends_with('Z') && created.as_bytes()[10] == b'T',
                "{created}"
            );
        } else {
            assert!(blank.contains(e["creationInfo"].as_str().unwrap()));
        }
        for key in [
            "from",
            "to",
            "subject",
            "suppliedBy",
            "originatedBy",
            "createdBy",
            "createdUsing",
            "rootElement",
            "element",
        ] {
            for r in many(&e[key]) {
                assert!(resolves(&r), "{t}.{key} -> {r} resolves to nothing");
            }
        }
        match t {
            "Relationship" => {
                let kind = e["relationshipType"].as_str().unwrap();
                assert!(RELATIONSHIP_TYPES.contains(&kind), "{kind}");
                assert!(!many(&e["to"]).is_empty());
            }
            "Annotation" => {
                assert!(["review", "other"].contains(&e["annotationType"].as_str().unwrap()))
            }
            "ai_AIPackage" => {
                assert_eq!(e["software_primaryPurpose"], "model");
                assert_release_time(e, &["releaseTime"]);
            }
            "dataset_DatasetPackage" => {
                assert_eq!(e["software_primaryPurpose"], "data");
                assert_eq!(e["dataset_datasetType"], serde_json::json!(["noAssertion"]));
                assert_eq!(many(&e["originatedBy"]).len(), 1, "{e}");
                assert_release_time(e, &["releaseTime", "builtTime"]);
            }
            _ => {}
        }
    }
}

/// A package's required dates are SPDX `DateTime`s (UTC, no fractions), or all absent with the
/// package's comment saying they cannot be known.
fn assert_release_time(e: &Value, keys: &[&str]) {
    let present: Vec<&str> = keys.iter().filter_map(|k| e[*k].as_str()).collect();
    if present.is_empty() {
        assert_eq!(e["comment"], lineage::core::export::UNKNOWN_TIME, "{e}");
        return;
    }
    assert_eq!(present.len(), keys.len(), "{e}");
    for t in present {
        let b = t.as_bytes();
        assert!(
            t.len() == 20
                && b[10] == b'T'
                && t.ends_with('Z')
                && t.chars().filter(char::is_ascii_digit).count() == 14,
            "not an SPDX DateTime: {t}"
        );
    }
}

fn component<'a>(doc: &'a Value, bom_ref: &str) -> &'a Value {
    doc["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["bom-ref"] == bom_ref)
        .unwrap_or_else(|| panic!("no component {bom_ref} in {doc:#}"))
}

fn prop<'a>(c: &'a Value, name: &str) -> Vec<&'a str> {
    c["properties"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["name"] == name)
        .map(|p| p["value"].as_str().unwrap())
        .collect()
}

#[test]
fn gguf_of_a_fine_tune_as_cyclonedx() {
    let env = env_with_gguf_chain();
    let (code, out, err) = env.run(&["check", GGUF, "--format", "cyclonedx"]);
    assert_eq!(code, 1, "forbidden by Alpaca's license, so denied: {err}");
    let doc = json(&out);
    assert_valid_cyclonedx(&doc);
    let keys: BTreeSet<&str> = doc["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["bom-ref"].as_str().unwrap())
        .collect();
    assert_eq!(
        keys,
        BTreeSet::from([
            "model:quant-shop/gpt2-alpaca-GGUF",
            "model:open-tuners/gpt2-alpaca",
            "model:openai-community/gpt2",
            "dataset:tatsu-lab/alpaca",
        ])
    );
    let gguf = component(&doc, "model:quant-shop/gpt2-alpaca-GGUF");
    assert_eq!(gguf["type"], "machine-learning-model");
    let sha = gguf["version"].as_str().expect("the commit sha");
    assert_eq!(
        gguf["purl"],
        format!("pkg:huggingface/quant-shop/gpt2-alpaca-GGUF@{sha}")
    );
    assert_eq!(
        gguf["externalReferences"][0]["url"],
        "https://huggingface.co/quant-shop/gpt2-alpaca-GGUF"
    );
    assert_eq!(prop(gguf, "lineage:commercial"), ["forbidden"]);
    assert_eq!(prop(gguf, "lineage:root"), ["true"]);
    assert_eq!(
        prop(gguf, "lineage:parent"),
        ["quantized model:open-tuners/gpt2-alpaca"]
    );
    // A GGUF declares nothing; what binds it is MIT (GPT-2 and the fine-tune) and CC BY-NC 4.0.
    let lic = gguf["licenses"].as_array().unwrap();
    assert!(lic
        .iter()
        .all(|l| l["license"]["acknowledgement"] == "concluded"));
    let ids: BTreeSet<&str> = lic
        .iter()
        .map(|l| l["license"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, BTreeSet::from(["CC-BY-NC-4.0", "MIT"]));
    assert_eq!(
        gguf["pedigree"]["ancestors"][0]["name"],
        "open-tuners/gpt2-alpaca"
    );

    let ft = component(&doc, "model:open-tuners/gpt2-alpaca");
    assert!(prop(ft, "lineage:conflict")
        .iter()
        .any(|c| c.starts_with("declared-more-permissive")));
    assert!(ft["licenses"]
        .as_array()
        .unwrap()
        .contains(&serde_json::json!({"license": {"id": "MIT", "url": "https://opensource.org/licenses/MIT", "acknowledgement": "declared"}})));
    let data = component(&doc, "dataset:tatsu-lab/alpaca");
    assert_eq!(data["type"], "data");
    assert_eq!(data["licenses"][0]["license"]["id"], "CC-BY-NC-4.0");
    let deps: BTreeMap<&str, Vec<&str>> = doc["dependencies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["ref"].as_str().unwrap(),
                d["dependsOn"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v.as_str().unwrap())
                    .collect(),
            )
        })
        .collect();
    assert_eq!(
        deps["model:open-tuners/gpt2-alpaca"],
        ["model:openai-community/gpt2", "dataset:tatsu-lab/alpaca"]
    );
    assert_eq!(
        deps["model:quant-shop/gpt2-alpaca-GGUF"],
        ["model:open-tuners/gpt2-alpaca"]
    );
}

#[test]
fn gguf_of_a_fine_tune_as_spdx() {
    let env = env_with_gguf_chain();
    let (_, out, err) = env.run(&["check", GGUF, "--format", "spdx"]);
    let doc = json(&out);
    assert!(err.is_empty(), "{err}");
    assert_valid_spdx(&doc);
    let graph = doc["@graph"].as_array().unwrap();
    let by_name = |name: &str| {
        graph
            .iter()
            .find(|e| e["name"] == name && e["type"] != "Organization")
            .unwrap_or_else(|| panic!("no {name}"))
    };
    let gguf = by_name(GGUF);
    let ft = by_name("open-tuners/gpt2-alpaca");
    let alpaca = by_name("tatsu-lab/alpaca");
    assert_eq!(gguf["type"], "ai_AIPackage");
    assert_eq!(alpaca["type"], "dataset_DatasetPackage");
    let rel = |from: &Value, kind: &str| -> Vec<String> {
        graph
            .iter()
            .filter(|e| {
                e["type"] == "Relationship"
                    && e["from"] == from["spdxId"]
                    && e["relationshipType"] == kind
            })
            .flat_map(|e| e["to"].as_array().unwrap().clone())
            .map(|v| v.as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(rel(gguf, "descendantOf"), [ft["spdxId"].as_str().unwrap()]);
    assert_eq!(rel(ft, "trainedOn"), [alpaca["spdxId"].as_str().unwrap()]);
    let expression = |id: &str| {
        graph.iter().find(|e| e["spdxId"] == id).unwrap()["simplelicensing_licenseExpression"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(expression(&rel(ft, "hasDeclaredLicense")[0]), "MIT");
    assert_eq!(
        expression(&rel(gguf, "hasConcludedLicense")[0]),
        "CC-BY-NC-4.0 AND MIT"
    );
    assert_eq!(
        rel(gguf, "hasDeclaredLicense"),
        ["https://spdx.org/rdf/3.0.1/terms/Expanded/NoAssertionLicense"]
    );
    let root = &graph.iter().find(|e| e["type"] == "SpdxDocument").unwrap()["rootElement"];
    assert_eq!(root, &serde_json::json!([gguf["spdxId"]]));
}

#[test]
fn several_models_make_one_bom() {
    let env = env_with_gguf_chain();
    for format in ["cyclonedx", "spdx"] {
        let (_, out, err) = env.run(&[
            "check",
            GGUF,
            "open-tuners/llama-2-7b-guanaco-lora",
            "--format",
            format,
        ]);
        let doc = json(&out);
        if format == "cyclonedx" {
            assert_valid_cyclonedx(&doc);
            let roots: Vec<&str> = doc["components"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|c| prop(c, "lineage:root") == ["true"])
                .map(|c| c["name"].as_str().unwrap())
                .collect();
            assert_eq!(
                roots,
                ["open-tuners/llama-2-7b-guanaco-lora", GGUF],
                "{err}"
            );
            let lora = component(&doc, "model:open-tuners/llama-2-7b-guanaco-lora");
            assert_eq!(prop(lora, "lineage:commercial"), ["conditional"]);
            assert_eq!(
                lora["pedigree"]["ancestors"][0]["name"],
                "meta-llama/Llama-2-7b-hf"
            );
            // Llama 2 has no SPDX id: the concluded licenses name it with its URL.
            assert!(lora["licenses"].as_array().unwrap().iter().any(|l| {
                l["license"]["acknowledgement"] == "concluded"
                    && l["license"]["name"] == "Llama 2 Community License Agreement"
                    && l["license"]["url"] == "https://ai.meta.com/llama/license/"
            }));
        } else {
            assert_valid_spdx(&doc);
            let graph = doc["@graph"].as_array().unwrap();
            let roots = graph.iter().find(|e| e["type"] == "SpdxDocument").unwrap()["rootElement"]
                .as_array()
                .unwrap()
                .len();
            assert_eq!(roots, 2);
            assert!(graph
                .iter()
                .any(|e| e["simplelicensing_licenseExpression"]
                    == "Apache-2.0 AND LicenseRef-llama2"));
        }
    }
}

#[test]
fn hostile_strings_stay_valid() {
    let env = Env::empty();
    let name = "Mÿ \"quoted\" licence\\v2\nnext line <b>{x}|y</b> & ünïcødé 名前";
    env.hub.add(
        RepoSpec::model("weird-org/we.ird_model-1")
            .license("other")
            .license_name(name)
            .license_link("https://example.com/\"license\"")
            .base_model(["weird-org/base"])
            .datasets(["weird-org/dä.ta"]),
    );
    env.hub
        .add(RepoSpec::model("weird-org/base").license("apache-2.0"));
    env.hub
        .add(RepoSpec::dataset("weird-org/dä.ta").license_name(name));
    let (_, out, err) = env.run(&["graph", "weird-org/we.ird_model-1", "--format", "cyclonedx"]);
    let doc = json(&out);
    assert_valid_cyclonedx(&doc);
    let model = component(&doc, "model:weird-org/we.ird_model-1");
    let declared = model["licenses"][0]["license"]["name"].as_str().unwrap();
    assert!(declared.contains("ünïcødé 名前"), "{declared} {err}");
    let (_, out, _) = env.run(&["graph", "weird-org/we.ird_model-1", "--format", "spdx"]);
    let doc = json(&out);
    assert_valid_spdx(&doc);
    assert!(doc["@graph"].as_array().unwrap().iter().any(|e| e["type"]
        == "expandedlicensing_CustomLicense"
        && e["name"]
            .as_str()
            .unwrap()
            .contains("<b>{x}|y</b> & ünïcødé")));
    let (code, out, err) = env.run(&["graph", "weird-org/we.ird_model-1", "--format", "svg"]);
    assert_eq!(code, 0, "{err}");
    let svg = roxmltree::Document::parse(&out).unwrap_or_else(|e| panic!("{e}\n{out}"));
    // The card's markup is text, never elements: the only elements are the SVG's own.
    assert!(!out.contains("<b>"), "{out}");
    assert!(svg.descendants().all(|n| !n.has_tag_name("b")));
    assert!(
        svg.descendants().any(|n| n
            .text()
            .is_some_and(|t| t.contains("other (license_name \"Mÿ"))),
        "{out}"
    );
}

#[test]
fn source_date_epoch_makes_documents_reproducible() {
    let env = env_with_gguf_chain();
    for format in ["cyclonedx", "spdx"] {
        let stamped = || {
            let mut c = env.cmd();
            c.env("SOURCE_DATE_EPOCH", "1700000000")
                .args(["graph", GGUF, "--format", format]);
            run(c).1
        };
        let (a, b) = (stamped(), stamped());
        assert_eq!(a, b, "{format}: same lineage, same epoch, same bytes");
        assert!(a.contains("2023-11-14T22:13:20Z"), "{a}");
        let fresh = || {
            let mut c = env.cmd();
            c.env_remove("SOURCE_DATE_EPOCH")
                .args(["graph", GGUF, "--format", format]);
            run(c).1
        };
        assert_ne!(
            fresh(),
            fresh(),
            "{format}: random serials without an epoch"
        );
    }
    let doc = {
        let mut c = env.cmd();
        c.env("SOURCE_DATE_EPOCH", "1700000000")
            .args(["graph", GGUF, "--format", "cyclonedx"]);
        json(&run(c).1)
    };
    let serial = doc["serialNumber"].as_str().unwrap();
    // A name-based UUID: version 5 in the third group.
    assert!(
        serial.starts_with("urn:uuid:") && serial.as_bytes()[23] == b'5',
        "{serial}"
    );
    let mut bad = env.cmd();
    bad.env("SOURCE_DATE_EPOCH", "yesterday")
        .args(["graph", GGUF, "--format", "cyclonedx"]);
    let (code, _, err) = run(bad);
    assert_eq!(code, 2);
    assert!(err.contains("SOURCE_DATE_EPOCH"), "{err}");
}

/// The keys of the node groups of an SVG (the first line of their `<title>`), parsed as XML.
fn svg_node_keys(svg: &str) -> BTreeSet<String> {
    let doc = roxmltree::Document::parse(svg).unwrap_or_else(|e| panic!("not XML: {e}\n{svg}"));
    doc.descendants()
        .filter(|n| n.attribute("class").is_some_and(|c| c.starts_with("node ")))
        .map(|g| {
            let t = g.children().find(|c| c.has_tag_name("title")).unwrap();
            t.text().unwrap().lines().next().unwrap().to_string()
        })
        .collect()
}

#[test]
fn svg_without_graphviz_has_every_node() {
    let env = env_with_gguf_chain();
    let empty = env.path("empty-bin");
    std::fs::create_dir_all(&empty).unwrap();
    let (_, graph_json, _) = env.run(&["graph", GGUF, "--both", "--format", "json"]);
    let expected: BTreeSet<String> = json(&graph_json)["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap().to_string())
        .collect();
    let mut c = env.cmd();
    c.env("PATH", &empty)
        .args(["graph", GGUF, "--both", "--format", "svg"]);
    let (code, out, err) = run(c);
    assert_eq!(code, 0, "{err}");
    assert_eq!(svg_node_keys(&out), expected);
    assert!(out.contains("red bold: non-commercial / no-derivatives"));

    let mut c = env.cmd();
    c.env("PATH", &empty)
        .args(["descendants", "openai-community/gpt2", "--format", "svg"]);
    let (code, out, err) = run(c);
    assert_eq!(code, 0, "{err}");
    let keys = svg_node_keys(&out);
    assert!(keys.contains("model:openai-community/gpt2"), "{keys:?}");
    assert!(
        keys.contains("model:quant-shop/gpt2-alpaca-GGUF"),
        "{keys:?}"
    );

    // Graphviz asked for but absent: a clear error, not an empty picture.
    let mut c = env.cmd();
    c.env("PATH", &empty)
        .args(["graph", GGUF, "--format", "svg", "--renderer", "graphviz"]);
    let (code, out, err) = run(c);
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert!(err.contains("Graphviz `dot` on PATH"), "{err}");
}

#[test]
fn svg_with_graphviz_when_installed() {
    if std::process::Command::new("dot")
        .arg("-V")
        .output()
        .is_err()
    {
        return; // CI installs Graphviz; the builtin renderer is tested above.
    }
    let env = env_with_gguf_chain();
    let (code, out, err) = env.run(&["graph", GGUF, "--format", "svg", "--renderer", "graphviz"]);
    assert_eq!(code, 0, "{err}");
    // Graphviz writes a DOCTYPE for SVG 1.1; allowing the DTD declaration is safe
    // here (roxmltree never fetches external entities).
    let options = roxmltree::ParsingOptions {
        allow_dtd: true,
        ..roxmltree::ParsingOptions::default()
    };
    let doc = roxmltree::Document::parse_with_options(&out, options)
        .unwrap_or_else(|e| panic!("{e}\n{out}"));
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    let tooltips: Vec<&str> = doc
        .descendants()
        .filter_map(|n| n.attribute(("http://www.w3.org/1999/xlink", "title")))
        .collect();
    assert!(
        tooltips
            .iter()
            .any(|t| t.contains("quant-shop/gpt2-alpaca-GGUF") && t.contains("forbidden")),
        "{tooltips:?}"
    );
}

/// `check --policy` with a BOM format: the policy's decision travels in the document (and still sets
/// the exit code); the fake Hub's dates become the packages' release times.
#[test]
fn policy_decision_and_release_times_are_in_the_bom() {
    let env = env_with_gguf_chain();
    let policy = env.write(
        "lineage.toml",
        "[verdicts]\nallow = [\"permitted\", \"conditional\"]\n",
    );
    let mut c = env.cmd();
    c.args(["check", GGUF, "--format", "cyclonedx", "--policy"])
        .arg(&policy);
    let (code, out, err) = run(c);
    assert_eq!(code, 1, "a CC BY-NC dataset upstream: denied\n{err}");
    let doc = json(&out);
    assert_valid_cyclonedx(&doc);
    let gguf = component(&doc, &format!("model:{GGUF}"));
    assert_eq!(prop(gguf, "lineage:policy"), ["denied"]);
    let rules = prop(gguf, "lineage:policy-rule");
    assert!(rules.iter().any(|r| r.contains("forbidden")), "{rules:?}");
    // Only the models asked about carry a decision.
    assert!(prop(
        component(&doc, "model:open-tuners/gpt2-alpaca"),
        "lineage:policy"
    )
    .is_empty());

    let mut c = env.cmd();
    c.args(["check", GGUF, "--format", "spdx", "--policy"])
        .arg(&policy);
    let (code, out, _) = run(c);
    assert_eq!(code, 1);
    let doc = json(&out);
    assert_valid_spdx(&doc);
    let graph = doc["@graph"].as_array().unwrap();
    let pkg = graph
        .iter()
        .find(|e| e["name"] == GGUF && e["type"] == "ai_AIPackage")
        .unwrap();
    let ann = graph
        .iter()
        .find(|e| e["type"] == "Annotation" && e["subject"] == pkg["spdxId"])
        .unwrap();
    assert!(
        ann["statement"]
            .as_str()
            .unwrap()
            .contains("\nlineage:policy=denied\n"),
        "{ann}"
    );
    // Fake Hub repos carry its default `lastModified`, as the real Hub's answers do.
    assert_eq!(pkg["releaseTime"], "2024-06-01T12:00:00Z");
    let alpaca = graph
        .iter()
        .find(|e| e["name"] == "tatsu-lab/alpaca")
        .unwrap();
    assert_eq!(alpaca["builtTime"], alpaca["releaseTime"]);

    // Without a policy file nothing is recorded.
    let (_, out, _) = env.run(&["check", GGUF, "--format", "cyclonedx"]);
    assert!(prop(
        component(&json(&out), &format!("model:{GGUF}")),
        "lineage:policy"
    )
    .is_empty());
}
