//! SPDX 3.0.1 JSON-LD: the lineage with the AI and Dataset profiles, declared versus concluded licenses.
//!
//! Class and property names follow the SPDX 3.0.1 model (spdx.github.io/spdx-spec/v3.0.1) in the
//! compact form of its JSON-LD context: profile prefixes (`ai_`, `dataset_`, `software_`,
//! `simplelicensing_`) on everything outside Core.

use super::sbom::{self, DocInfo, License};
use super::View;
use crate::graph::Relation;
use crate::id::{NodeKey, RepoKind};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// The JSON-LD context of SPDX 3.0.1 documents.
pub const SPDX_CONTEXT: &str = "https://spdx.org/rdf/3.0.1/spdx-context.jsonld";

/// The SPDX individual for "no assertion" about a license.
pub const NO_ASSERTION_LICENSE: &str =
    "https://spdx.org/rdf/3.0.1/terms/Expanded/NoAssertionLicense";

const CREATION_INFO: &str = "_:creationinfo";

/// The comment of a package whose `releaseTime` (and, for a dataset, `builtTime`) cannot be known:
/// SPDX has no "no assertion" value for a date, so the property is left out and this says why.
pub const UNKNOWN_TIME: &str =
    "releaseTime: NOASSERTION (the Hub gave no lastModified or createdAt date for this repository)";

/// The view as an SPDX 3.0.1 JSON-LD document.
///
/// One `CreationInfo` (blank node) is shared by every element; the `SpdxDocument` names the roots as
/// `rootElement`. Each model is an `ai_AIPackage` and each dataset a `dataset_DatasetPackage`; edges
/// become `Relationship`s (`descendantOf` from a model or dataset to its parent, `trainedOn` from a
/// model to its dataset, the relation as the comment), licenses become `hasDeclaredLicense` and
/// `hasConcludedLicense` relationships to `simplelicensing_LicenseExpression`s (SPDX ids, or our
/// `LicenseRef-` ids mapped to their URL) or `expandedlicensing_CustomLicense`s (card strings we do not
/// know). Verdicts, conditions and conflicts are `Annotation`s whose statements use the `lineage:`
/// property names of the CycloneDX export.
pub fn spdx(view: &View<'_>, info: &DocInfo) -> Value {
    let ns = format!(
        "https://spdx.org/spdxdocs/lineage-{}",
        info.serial.as_deref().unwrap_or("pending")
    );
    let mut b = Builder {
        ns,
        elements: Vec::new(),
        licenses: BTreeMap::new(),
        counter: 0,
    };
    let tool = format!("{}/tool/lineage", b.ns);
    let agent = format!("{}/agent/lineage", b.ns);
    b.push(json!({
        "type": "SoftwareAgent",
        "spdxId": agent,
        "creationInfo": CREATION_INFO,
        "name": "lineage",
    }));
    b.push(json!({
        "type": "Tool",
        "spdxId": tool,
        "creationInfo": CREATION_INFO,
        "name": format!("lineage {}", info.tool_version),
    }));

    let graph = view.graph();
    let mut suppliers: BTreeMap<Option<String>, String> = BTreeMap::new();
    for ix in sbom::nodes(view) {
        let node = graph.node(ix);
        let id = b.node_id(&node.key);
        let mut p = Map::new();
        let model = node.key.kind == RepoKind::Model;
        p.insert(
            "type".into(),
            json!(if model {
                "ai_AIPackage"
            } else {
                "dataset_DatasetPackage"
            }),
        );
        p.insert("spdxId".into(), json!(id));
        p.insert("creationInfo".into(), json!(CREATION_INFO));
        p.insert("name".into(), json!(node.key.id));
        if let Some(a) = view.assessment(ix) {
            p.insert("summary".into(), json!(a.summary));
        }
        // Every package has a supplier (models) or originator (datasets): the Hub organization, or
        // an `Organization` named NOASSERTION for legacy ids that name none.
        let org = node.key.org();
        let agent = suppliers
            .entry(org.map(str::to_string))
            .or_insert_with(|| match org {
                Some(o) => format!("{}/organization/{}", b.ns, sbom::pct_encode(o, false)),
                None => format!("{}/agent/no-organization", b.ns),
            })
            .clone();
        p.insert(
            if model { "suppliedBy" } else { "originatedBy" }.into(),
            if model { json!(agent) } else { json!([agent]) },
        );
        match sbom::release_time(node) {
            Some(t) => {
                p.insert("releaseTime".into(), json!(t));
                if !model {
                    p.insert("builtTime".into(), json!(t));
                }
            }
            None => {
                p.insert("comment".into(), json!(UNKNOWN_TIME));
            }
        }
        p.insert(
            "software_packageVersion".into(),
            json!(node.revision.as_deref().unwrap_or("NOASSERTION")),
        );
        p.insert(
            "software_downloadLocation".into(),
            json!(sbom::hub_url(&node.key)),
        );
        p.insert("software_homePage".into(), json!(sbom::hub_url(&node.key)));
        if let Some(purl) = sbom::purl(&node.key, node.revision.as_deref()) {
            p.insert("software_packageUrl".into(), json!(purl));
        }
        p.insert(
            "software_primaryPurpose".into(),
            json!(if model { "model" } else { "data" }),
        );
        if !model {
            p.insert("dataset_datasetType".into(), json!(["noAssertion"]));
        }
        b.push(Value::Object(p));

        let declared = sbom::declared(view, ix);
        let to: Vec<String> = if declared.is_empty() {
            vec![NO_ASSERTION_LICENSE.into()]
        } else {
            declared.iter().map(|l| b.license(l)).collect()
        };
        b.relationship(&id, "hasDeclaredLicense", to, None);
        let to = match sbom::concluded(view, ix) {
            Some(ls) => vec![b.expression(&ls)],
            None => vec![NO_ASSERTION_LICENSE.into()],
        };
        b.relationship(&id, "hasConcludedLicense", to, None);

        let mut props = sbom::properties(view, ix);
        props.extend(sbom::policy_properties(info, &node.key));
        let statements: Vec<String> = props.into_iter().map(|(k, v)| format!("{k}={v}")).collect();
        if !statements.is_empty() {
            b.counter += 1;
            let ann = format!("{}/annotation/{}", b.ns, b.counter);
            b.push(json!({
                "type": "Annotation",
                "spdxId": ann,
                "creationInfo": CREATION_INFO,
                "annotationType": "review",
                "subject": id,
                "statement": statements.join("\n"),
            }));
        }
    }
    for (org, id) in &suppliers {
        let mut o = Map::new();
        o.insert("type".into(), json!("Organization"));
        o.insert("spdxId".into(), json!(id));
        o.insert("creationInfo".into(), json!(CREATION_INFO));
        match org {
            Some(org) => {
                o.insert("name".into(), json!(org));
                o.insert(
                    "externalIdentifier".into(),
                    json!([{
                        "type": "ExternalIdentifier",
                        "externalIdentifierType": "urlScheme",
                        "identifier": format!("{}/{}", sbom::HUB, sbom::pct_encode(org, false)),
                    }]),
                );
            }
            None => {
                o.insert("name".into(), json!("NOASSERTION"));
                o.insert(
                    "comment".into(),
                    json!("The repository id names no organization (a legacy Hub id)."),
                );
            }
        }
        b.push(Value::Object(o));
    }
    for (p, c, rel) in view.edges() {
        if !sbom::in_bom(view, p) {
            continue;
        }
        let parent = b.node_id(&graph.node(p).key);
        let child = b.node_id(&graph.node(c).key);
        let kind = match rel {
            Relation::TrainedOn => "trainedOn",
            _ => "descendantOf",
        };
        b.relationship(
            &child,
            kind,
            vec![parent],
            Some(format!("lineage relation: {}", rel.as_str())),
        );
    }

    let roots: Vec<String> = view
        .roots()
        .iter()
        .map(|&r| b.node_id(&graph.node(r).key))
        .collect();
    let mut elements: Vec<String> = b
        .elements
        .iter()
        .filter_map(|e| e["spdxId"].as_str().map(str::to_string))
        .collect();
    elements.extend(b.licenses.values().map(|(id, _)| id.clone()));
    let doc = json!({
        "type": "SpdxDocument",
        "spdxId": format!("{}/document", b.ns),
        "creationInfo": CREATION_INFO,
        "name": format!("lineage of {}", view.roots().iter().map(|&r| super::display_id(&graph.node(r).key)).collect::<Vec<_>>().join(", ")),
        "profileConformance": ["core", "software", "ai", "dataset", "simpleLicensing", "expandedLicensing"],
        "rootElement": roots,
        "element": elements,
    });

    let mut out: Vec<Value> = vec![json!({
        "type": "CreationInfo",
        "@id": CREATION_INFO,
        "specVersion": "3.0.1",
        "created": info.timestamp,
        "createdBy": [agent],
        "createdUsing": [tool],
    })];
    out.push(doc);
    out.extend(b.elements);
    out.extend(b.licenses.into_values().map(|(_, v)| v));
    json!({"@context": SPDX_CONTEXT, "@graph": out})
}

struct Builder {
    ns: String,
    elements: Vec<Value>,
    /// License elements by a stable key (the expression or the raw name): (spdxId, element).
    licenses: BTreeMap<String, (String, Value)>,
    counter: usize,
}

impl Builder {
    fn push(&mut self, v: Value) {
        self.elements.push(v);
    }

    fn node_id(&self, key: &NodeKey) -> String {
        format!(
            "{}/{}/{}",
            self.ns,
            key.kind.as_str(),
            sbom::pct_encode(&key.id, true)
        )
    }

    fn relationship(&mut self, from: &str, kind: &str, to: Vec<String>, comment: Option<String>) {
        self.counter += 1;
        let mut r = Map::new();
        r.insert("type".into(), json!("Relationship"));
        r.insert(
            "spdxId".into(),
            json!(format!("{}/relationship/{}", self.ns, self.counter)),
        );
        r.insert("creationInfo".into(), json!(CREATION_INFO));
        r.insert("from".into(), json!(from));
        r.insert("relationshipType".into(), json!(kind));
        r.insert("to".into(), json!(to));
        if let Some(c) = comment {
            r.insert("comment".into(), json!(c));
        }
        self.elements.push(Value::Object(r));
    }

    /// The element for one declared license (created once per document).
    fn license(&mut self, l: &License) -> String {
        match l {
            License::Raw(raw) => {
                let key = format!("raw:{raw}");
                if let Some((id, _)) = self.licenses.get(&key) {
                    return id.clone();
                }
                let id = format!("{}/license/custom-{}", self.ns, self.licenses.len() + 1);
                let v = json!({
                    "type": "expandedlicensing_CustomLicense",
                    "spdxId": id,
                    "creationInfo": CREATION_INFO,
                    "name": raw,
                    "simplelicensing_licenseText": format!(
                        "NOASSERTION: lineage holds no text for this license; the card names it {raw:?}"
                    ),
                });
                self.licenses.insert(key, (id.clone(), v));
                id
            }
            _ => self.expression(std::slice::from_ref(l)),
        }
    }

    /// A `simplelicensing_LicenseExpression` joining knowledge-base licenses with `AND` (created once
    /// per distinct expression), with every `LicenseRef-` mapped to its URL.
    fn expression(&mut self, ls: &[License]) -> String {
        let mut parts: Vec<&str> = Vec::new();
        let mut refs: Vec<Value> = Vec::new();
        for l in ls {
            match l {
                License::Listed { spdx, .. } => parts.push(spdx),
                License::Named { spdx_ref, url, .. } => {
                    parts.push(spdx_ref);
                    refs.push(json!({"type": "DictionaryEntry", "key": spdx_ref, "value": url}));
                }
                License::Raw(_) => {}
            }
        }
        let expr = parts.join(" AND ");
        let key = format!("expr:{expr}");
        if let Some((id, _)) = self.licenses.get(&key) {
            return id.clone();
        }
        let id = format!("{}/license/expression-{}", self.ns, self.licenses.len() + 1);
        let mut v = Map::new();
        v.insert("type".into(), json!("simplelicensing_LicenseExpression"));
        v.insert("spdxId".into(), json!(id));
        v.insert("creationInfo".into(), json!(CREATION_INFO));
        v.insert("simplelicensing_licenseExpression".into(), json!(expr));
        if !refs.is_empty() {
            v.insert("simplelicensing_customIdToUri".into(), Value::Array(refs));
        }
        self.licenses.insert(key, (id.clone(), Value::Object(v)));
        id
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixture::{self, Fixture};
    use super::super::{Scope, View};
    use super::*;

    fn doc() -> Value {
        let f = Fixture::new();
        let view = View::new(&f.graph, &f.prop, &f.kb, &[f.root], Scope::BOTH);
        spdx(
            &view,
            &DocInfo {
                timestamp: "2023-11-14T22:13:20Z".into(),
                serial: Some("de7d0830-0223-5864-bed3-2fc32cdf12bf".into()),
                tool_version: "0.1.0".into(),
                policy: Vec::new(),
            },
        )
    }

    fn of_type<'a>(d: &'a Value, t: &str) -> Vec<&'a Value> {
        d["@graph"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["type"] == t)
            .collect()
    }

    #[test]
    fn fixture_document_has_the_spdx_shape() {
        let d = doc();
        assert_eq!(d["@context"], SPDX_CONTEXT);
        let ci = of_type(&d, "CreationInfo");
        assert_eq!(ci.len(), 1);
        assert_eq!(ci[0]["specVersion"], "3.0.1");
        assert_eq!(ci[0]["created"], "2023-11-14T22:13:20Z");
        let docs = of_type(&d, "SpdxDocument");
        assert_eq!(docs.len(), 1);
        let ns = "https://spdx.org/spdxdocs/lineage-de7d0830-0223-5864-bed3-2fc32cdf12bf";
        assert_eq!(
            docs[0]["rootElement"],
            json!([format!("{ns}/model/acme/alpaca-7b-mit")])
        );
        assert_eq!(of_type(&d, "ai_AIPackage").len(), 3);
        assert_eq!(of_type(&d, "dataset_DatasetPackage").len(), 2);

        // Every element has a unique IRI id, the shared creation info, and is listed in the document.
        let listed: Vec<&str> = docs[0]["element"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        let mut ids = std::collections::BTreeSet::new();
        for e in d["@graph"].as_array().unwrap() {
            if e["type"] == "CreationInfo" {
                continue;
            }
            let id = e["spdxId"].as_str().unwrap();
            assert!(id.starts_with(ns), "{id}");
            assert!(
                !id.chars()
                    .any(|c| c.is_whitespace() || "\"<>{}|\\^`".contains(c)),
                "not an IRI: {id:?}"
            );
            assert!(ids.insert(id), "duplicate id {id}");
            assert_eq!(e["creationInfo"], "_:creationinfo");
            if e["type"] != "SpdxDocument" {
                assert!(listed.contains(&id), "{id} not in the document");
            }
        }

        // The hostile dataset keeps its name verbatim; its license is a custom license.
        let weird = of_type(&d, "dataset_DatasetPackage")
            .into_iter()
            .find(|p| p["name"] == fixture::WEIRD_ID)
            .unwrap();
        assert_eq!(weird["dataset_datasetType"], json!(["noAssertion"]));
        let custom = of_type(&d, "expandedlicensing_CustomLicense");
        assert_eq!(custom.len(), 1);
        let f = Fixture::new();
        let unresolved = f.kb.resolve(&f.graph.node(f.weird).declared).unresolved;
        assert_eq!(custom[0]["name"], unresolved[0]);

        // Lineage and license relationships.
        let rels = of_type(&d, "Relationship");
        let has = |from: &str, kind: &str, to: &str| {
            rels.iter().any(|r| {
                r["from"] == format!("{ns}/{from}")
                    && r["relationshipType"] == kind
                    && r["to"].as_array().unwrap().iter().any(|t| t == to)
            })
        };
        assert!(has(
            "model/acme/alpaca-7b-mit",
            "descendantOf",
            &format!("{ns}/model/meta-llama/Llama-2-7b-hf")
        ));
        assert!(has(
            "model/acme/alpaca-7b-mit",
            "trainedOn",
            &format!("{ns}/dataset/tatsu-lab/alpaca")
        ));
        // The fine-tune inherits an unknown dataset license: no assertion concluded.
        assert!(has(
            "model/acme/alpaca-7b-mit",
            "hasConcludedLicense",
            NO_ASSERTION_LICENSE
        ));
        let mit = of_type(&d, "simplelicensing_LicenseExpression")
            .into_iter()
            .find(|l| l["simplelicensing_licenseExpression"] == "MIT")
            .unwrap();
        assert!(has(
            "model/acme/alpaca-7b-mit",
            "hasDeclaredLicense",
            mit["spdxId"].as_str().unwrap()
        ));
        let llama = of_type(&d, "simplelicensing_LicenseExpression")
            .into_iter()
            .find(|l| l["simplelicensing_licenseExpression"] == "LicenseRef-llama2")
            .unwrap();
        assert_eq!(
            llama["simplelicensing_customIdToUri"][0]["value"],
            "https://ai.meta.com/llama/license/"
        );

        // Required properties of the AI and Dataset profiles: a supplier or one originator, and the
        // release time (lastModified, else createdAt unless it is the Hub's sentinel).
        let pkg = |name: &str| {
            d["@graph"]
                .as_array()
                .unwrap()
                .iter()
                .find(|e| e["name"] == name && e["type"] != "Organization")
                .unwrap()
        };
        let llama2 = pkg("meta-llama/Llama-2-7b-hf");
        assert_eq!(llama2["releaseTime"], "2023-07-13T16:27:06Z");
        assert_eq!(
            llama2["suppliedBy"],
            format!("{ns}/organization/meta-llama")
        );
        let alpaca = pkg("tatsu-lab/alpaca");
        assert_eq!(alpaca["releaseTime"], "2023-05-22T20:33:36Z");
        assert_eq!(alpaca["builtTime"], "2023-05-22T20:33:36Z");
        assert_eq!(
            alpaca["originatedBy"],
            json!([format!("{ns}/organization/tatsu-lab")])
        );
        let root = pkg("acme/alpaca-7b-mit");
        assert!(root.get("releaseTime").is_none(), "{root}");
        assert_eq!(root["comment"], UNKNOWN_TIME);
        for p in of_type(&d, "ai_AIPackage") {
            for k in [
                "suppliedBy",
                "software_downloadLocation",
                "software_packageVersion",
                "software_primaryPurpose",
            ] {
                assert!(p.get(k).is_some(), "{k} missing: {p}");
            }
        }
        let org = of_type(&d, "Organization")
            .into_iter()
            .find(|o| o["name"] == "tatsu-lab")
            .unwrap();
        assert_eq!(
            org["externalIdentifier"][0]["identifier"],
            "https://huggingface.co/tatsu-lab"
        );

        // The verdict travels as an annotation on the package.
        let ann = of_type(&d, "Annotation")
            .into_iter()
            .find(|a| a["subject"] == format!("{ns}/model/acme/alpaca-7b-mit"))
            .unwrap();
        assert!(ann["statement"]
            .as_str()
            .unwrap()
            .contains("lineage:commercial=forbidden"));
    }

    #[test]
    fn orgless_ids_and_policy_decisions() {
        let mut g = crate::graph::Graph::new();
        let ix = g.upsert(crate::graph::Node::found(
            NodeKey::dataset("wikipedia"),
            crate::graph::Declared::default(),
        ));
        let kb = crate::license::KnowledgeBase::builtin();
        let prop = crate::propagate::Propagation::run(&g, &kb, crate::DatasetPolicy::Strict);
        let view = View::new(&g, &prop, &kb, &[ix], Scope::BOTH);
        let outcome = crate::policy::PolicyOutcome {
            allowed: false,
            why: vec!["verdict unknown is not allowed".into()],
            exception: None,
        };
        let d = spdx(
            &view,
            &DocInfo {
                timestamp: "2023-11-14T22:13:20Z".into(),
                serial: Some("de7d0830-0223-5864-bed3-2fc32cdf12bf".into()),
                tool_version: "0.1.0".into(),
                policy: vec![(NodeKey::dataset("wikipedia"), outcome)],
            },
        );
        let ds = of_type(&d, "dataset_DatasetPackage");
        let org = of_type(&d, "Organization");
        assert_eq!(org.len(), 1);
        assert_eq!(org[0]["name"], "NOASSERTION");
        assert_eq!(ds[0]["originatedBy"], json!([org[0]["spdxId"]]));
        let statement = of_type(&d, "Annotation")[0]["statement"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(
            statement.contains("\nlineage:policy=denied\n"),
            "{statement}"
        );
        assert!(
            statement.ends_with("lineage:policy-rule=verdict unknown is not allowed"),
            "{statement}"
        );
    }
}
