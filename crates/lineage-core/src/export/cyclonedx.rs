//! CycloneDX 1.6 JSON: the lineage as an AI bill of materials, for Dependency-Track, cyclonedx-cli and
//! release attachments.

use super::sbom::{self, DocInfo, License};
use super::{display_id, View};
use crate::graph::NodeIndex;
use crate::id::RepoKind;
use serde_json::{json, Map, Value};

/// The CycloneDX specification version written.
pub const CYCLONEDX_SPEC: &str = "1.6";

/// The view as a CycloneDX 1.6 BOM.
///
/// Every shown model is a `machine-learning-model` component and every dataset a `data` component,
/// each with `bom-ref` (its node key), name, version (the commit sha when known), purl (models),
/// a link to its Hub page, its declared license and the concluded one (`acknowledgement`), its base
/// models under `pedigree.ancestors`, and the verdict, conditions and conflicts as `lineage:`
/// properties (docs/sbom.md). `dependencies` hold the edges: each node depends on its shown parents.
pub fn cyclonedx(view: &View<'_>, info: &DocInfo) -> Value {
    let graph = view.graph();
    let components: Vec<Value> = sbom::nodes(view)
        .map(|ix| component(view, ix, info))
        .collect();
    let dependencies: Vec<Value> = sbom::nodes(view)
        .map(|ix| {
            let mut parents: Vec<String> = view
                .parents_of(ix)
                .into_iter()
                .filter(|(p, _)| sbom::in_bom(view, *p))
                .map(|(p, _)| graph.node(p).key.to_string())
                .collect();
            parents.dedup();
            json!({"ref": graph.node(ix).key.to_string(), "dependsOn": parents})
        })
        .collect();
    let mut doc = Map::new();
    doc.insert(
        "$schema".into(),
        json!("http://cyclonedx.org/schema/bom-1.6.schema.json"),
    );
    doc.insert("bomFormat".into(), json!("CycloneDX"));
    doc.insert("specVersion".into(), json!(CYCLONEDX_SPEC));
    if let Some(serial) = &info.serial {
        doc.insert("serialNumber".into(), json!(format!("urn:uuid:{serial}")));
    }
    doc.insert("version".into(), json!(1));
    doc.insert(
        "metadata".into(),
        json!({
            "timestamp": info.timestamp,
            "tools": {"components": [{
                "type": "application",
                "name": "lineage",
                "version": info.tool_version,
                "description": "Traces Hugging Face model lineages and judges commercial use",
            }]},
            "properties": [
                {"name": "lineage:dataset-policy", "value": view.propagation().dataset_policy().as_str()},
            ],
        }),
    );
    doc.insert("components".into(), Value::Array(components));
    doc.insert("dependencies".into(), Value::Array(dependencies));
    Value::Object(doc)
}

fn component(view: &View<'_>, ix: NodeIndex, info: &DocInfo) -> Value {
    let node = view.graph().node(ix);
    let mut c = Map::new();
    c.insert(
        "type".into(),
        json!(match node.key.kind {
            RepoKind::Model => "machine-learning-model",
            // Services are left out of the BOM (`sbom::nodes`); a dataset names its generator in
            // a `lineage:parent` property.
            RepoKind::Dataset | RepoKind::Service => "data",
        }),
    );
    c.insert("bom-ref".into(), json!(node.key.to_string()));
    identity(&mut c, view, ix);
    let mut licenses: Vec<Value> = sbom::declared(view, ix)
        .iter()
        .map(|l| license(l, "declared"))
        .collect();
    if let Some(concluded) = sbom::concluded(view, ix) {
        licenses.extend(concluded.iter().map(|l| license(l, "concluded")));
    }
    if !licenses.is_empty() {
        c.insert("licenses".into(), Value::Array(licenses));
    }
    let ancestors: Vec<Value> = view
        .parents_of(ix)
        .into_iter()
        .filter(|(p, _)| view.graph().node(*p).key.kind == RepoKind::Model)
        .map(|(p, _)| ancestor(view, p))
        .collect();
    if !ancestors.is_empty() {
        c.insert("pedigree".into(), json!({ "ancestors": ancestors }));
    }
    if node.key.kind == RepoKind::Dataset {
        c.insert(
            "data".into(),
            json!([{"type": "dataset", "name": display_id(&node.key)}]),
        );
    }
    let mut props = sbom::properties(view, ix);
    props.extend(sbom::policy_properties(info, &node.key));
    let props: Vec<Value> = props
        .into_iter()
        .map(|(name, value)| json!({"name": name, "value": value}))
        .collect();
    c.insert("properties".into(), Value::Array(props));
    Value::Object(c)
}

/// Name, version, purl and Hub link: what identifies a repository, in a component or an ancestor.
fn identity(c: &mut Map<String, Value>, view: &View<'_>, ix: NodeIndex) {
    let node = view.graph().node(ix);
    c.insert("name".into(), json!(node.key.id));
    if let Some(rev) = &node.revision {
        c.insert("version".into(), json!(rev));
    }
    if let Some(p) = sbom::purl(&node.key, node.revision.as_deref()) {
        c.insert("purl".into(), json!(p));
    }
    c.insert(
        "externalReferences".into(),
        json!([{"type": "website", "url": sbom::hub_url(&node.key), "comment": "Hugging Face Hub page"}]),
    );
}

/// A base model as a pedigree ancestor: identity only (its own component carries the rest, and a
/// `bom-ref` may appear once per BOM).
fn ancestor(view: &View<'_>, ix: NodeIndex) -> Value {
    let mut c = Map::new();
    c.insert("type".into(), json!("machine-learning-model"));
    identity(&mut c, view, ix);
    Value::Object(c)
}

fn license(l: &License, acknowledgement: &str) -> Value {
    let inner = match l {
        License::Listed { spdx, url, .. } => {
            json!({"id": spdx, "url": url, "acknowledgement": acknowledgement})
        }
        License::Named { name, url, .. } => {
            json!({"name": name, "url": url, "acknowledgement": acknowledgement})
        }
        License::Raw(raw) => json!({"name": raw, "acknowledgement": acknowledgement}),
    };
    json!({ "license": inner })
}

#[cfg(test)]
mod tests {
    use super::super::fixture::{self, Fixture};
    use super::super::{Scope, View};
    use super::*;

    fn info() -> DocInfo {
        DocInfo {
            timestamp: "2023-11-14T22:13:20Z".into(),
            serial: Some("de7d0830-0223-5864-bed3-2fc32cdf12bf".into()),
            tool_version: "0.1.0".into(),
            policy: Vec::new(),
        }
    }

    fn component<'a>(doc: &'a Value, bom_ref: &str) -> &'a Value {
        doc["components"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["bom-ref"] == bom_ref)
            .unwrap_or_else(|| panic!("no component {bom_ref}"))
    }

    fn props<'a>(c: &'a Value, name: &str) -> Vec<&'a str> {
        c["properties"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["name"] == name)
            .map(|p| p["value"].as_str().unwrap())
            .collect()
    }

    #[test]
    fn fixture_bom_is_valid_and_says_what_lineage_knows() {
        let f = Fixture::new();
        let view = View::new(&f.graph, &f.prop, &f.kb, &[f.root], Scope::BOTH);
        let doc = cyclonedx(&view, &info());
        assert_eq!(fixture::cyclonedx_errors(&doc), Vec::<String>::new());
        assert_eq!(
            doc["serialNumber"],
            "urn:uuid:de7d0830-0223-5864-bed3-2fc32cdf12bf"
        );
        assert_eq!(doc["metadata"]["tools"]["components"][0]["name"], "lineage");

        // The MIT fine-tune: declared MIT, concluded every license that binds it.
        let root = component(&doc, "model:acme/alpaca-7b-mit");
        assert_eq!(root["type"], "machine-learning-model");
        assert_eq!(root["version"], "9f3c2a1b");
        assert_eq!(root["purl"], "pkg:huggingface/acme/alpaca-7b-mit@9f3c2a1b");
        assert_eq!(
            root["externalReferences"][0]["url"],
            "https://huggingface.co/acme/alpaca-7b-mit"
        );
        let lic = root["licenses"].as_array().unwrap();
        assert!(lic.contains(
            &json!({"license": {"id": "MIT", "url": "https://opensource.org/licenses/MIT", "acknowledgement": "declared"}})
        ), "{lic:?}");
        // A dataset with an unknown license binds it, so nothing can be concluded.
        assert!(lic
            .iter()
            .all(|l| l["license"]["acknowledgement"] != "concluded"));
        assert_eq!(props(root, "lineage:commercial"), ["forbidden"]);
        assert_eq!(props(root, "lineage:root"), ["true"]);
        assert!(props(root, "lineage:conflict")
            .iter()
            .any(|c| c.starts_with("declared-more-permissive:")));
        assert_eq!(
            root["pedigree"]["ancestors"][0]["name"],
            "meta-llama/Llama-2-7b-hf"
        );
        assert!(root["pedigree"]["ancestors"][0].get("bom-ref").is_none());

        // Llama 2 has no SPDX id: a named license with its URL, declared and concluded.
        let llama = component(&doc, "model:meta-llama/Llama-2-7b-hf");
        assert_eq!(
            llama["licenses"][0]["license"]["name"],
            "Llama 2 Community License Agreement"
        );
        assert_eq!(
            llama["licenses"][1]["license"]["acknowledgement"],
            "concluded"
        );

        // The hostile dataset keeps its id verbatim (JSON escapes it) and its license as the
        // knowledge base reports a card string it does not know.
        let weird = component(&doc, &format!("dataset:{}", fixture::WEIRD_ID));
        assert_eq!(weird["type"], "data");
        assert_eq!(weird["name"], fixture::WEIRD_ID);
        assert!(weird.get("purl").is_none());
        let unresolved = f.kb.resolve(&f.graph.node(f.weird).declared).unresolved;
        assert_eq!(weird["licenses"][0]["license"]["name"], unresolved[0]);
        assert!(unresolved[0].contains(
            fixture::WEIRD_LICENSE_NAME
                .split('\n')
                .next()
                .unwrap()
                .split('"')
                .next()
                .unwrap()
        ));

        // Edges: the fine-tune depends on its base and both datasets.
        let deps = doc["dependencies"].as_array().unwrap();
        let of_root = deps
            .iter()
            .find(|d| d["ref"] == "model:acme/alpaca-7b-mit")
            .unwrap();
        assert_eq!(of_root["dependsOn"].as_array().unwrap().len(), 3);
        assert_eq!(deps.len(), doc["components"].as_array().unwrap().len());
    }

    #[test]
    fn concluded_license_lists_every_binding_license() {
        // The apache-2.0 LoRA on Llama 2: declared Apache-2.0, concluded Apache-2.0 and Llama 2.
        let f = Fixture::new();
        let view = View::new(&f.graph, &f.prop, &f.kb, &[f.lora], Scope::UP);
        let doc = cyclonedx(&view, &info());
        assert_eq!(fixture::cyclonedx_errors(&doc), Vec::<String>::new());
        let lora = &doc["components"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["bom-ref"].as_str().unwrap().contains("lora"))
            .unwrap();
        let concluded: Vec<String> = lora["licenses"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|l| l["license"]["acknowledgement"] == "concluded")
            .map(|l| {
                let l = &l["license"];
                l.get("id")
                    .unwrap_or(&l["name"])
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect();
        assert_eq!(
            concluded,
            ["Apache-2.0", "Llama 2 Community License Agreement"]
        );
        assert_eq!(props(lora, "lineage:commercial"), ["conditional"]);
        assert!(props(lora, "lineage:condition")
            .iter()
            .any(|c| c.starts_with("use-policy(Llama 2 Acceptable Use Policy)")));
    }

    #[test]
    fn without_serial_the_number_is_left_out() {
        let f = Fixture::new();
        let view = View::whole(&f.graph, &f.prop, &f.kb, &[f.root]);
        let doc = cyclonedx(
            &view,
            &DocInfo {
                serial: None,
                ..info()
            },
        );
        assert!(doc.get("serialNumber").is_none());
        assert_eq!(fixture::cyclonedx_errors(&doc), Vec::<String>::new());
    }

    #[test]
    fn every_builtin_spdx_id_is_one_cyclonedx_accepts() {
        let schema: Value = serde_json::from_str(include_str!(
            "../../../../tests/schemas/cyclonedx-1.6/spdx.schema.json"
        ))
        .unwrap();
        let known: Vec<&str> = schema["enum"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .collect();
        let kb = crate::license::KnowledgeBase::builtin();
        for e in kb.entries() {
            assert!(
                e.spdx.starts_with("LicenseRef-") || known.contains(&e.spdx.as_str()),
                "{}: {:?} is neither a LicenseRef nor an SPDX list id",
                e.id,
                e.spdx
            );
        }
    }
}
