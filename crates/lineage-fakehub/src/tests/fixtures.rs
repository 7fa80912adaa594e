//! The shipped fixtures load, agree with themselves, and serve the lineages they promise.

use std::collections::BTreeMap;

use serde_json::Value;

use super::client::{get, get_with};
use crate::repo::{is_repo_id, string_list};
use crate::{fixtures_dir, FakeHub, RepoKind};

fn str_list(v: &Value) -> Vec<String> {
    string_list(Some(v))
}

fn renames() -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(fixtures_dir().join("renames.json")).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    v.as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["from"].as_str().unwrap().to_string(),
                r["to"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn fixtures_load_and_are_listed() {
    let hub = FakeHub::start();
    let counts = hub.load_fixtures(&fixtures_dir()).unwrap();
    assert!(counts.models >= 29, "{counts:?}");
    assert!(counts.datasets >= 4, "{counts:?}");
    assert!(counts.files >= 4, "{counts:?}");
    assert_eq!(counts.renames, 4);
    let listing = std::fs::read_to_string(fixtures_dir().join("README.md")).unwrap();
    for kind in [RepoKind::Model, RepoKind::Dataset] {
        for id in hub.ids(kind) {
            assert!(
                listing.contains(&format!("`{id}`")),
                "fixtures/README.md does not list {kind} {id}"
            );
        }
    }
    for required in [
        "meta-llama/Llama-2-7b-hf",
        "meta-llama/Llama-3.1-8B",
        "meta-llama/Llama-3.1-8B-Instruct",
        "black-forest-labs/FLUX.1-dev",
        "black-forest-labs/FLUX.1-schnell",
        "google/gemma-2-9b",
        "huggyllama/llama-7b",
        "google-bert/bert-base-uncased",
    ] {
        assert!(hub.info(RepoKind::Model, required).is_some(), "{required}");
    }
    for required in ["tatsu-lab/alpaca", "databricks/databricks-dolly-15k"] {
        assert!(
            hub.info(RepoKind::Dataset, required).is_some(),
            "{required}"
        );
    }
}

#[test]
fn fixtures_agree_with_themselves() {
    let hub = FakeHub::with_fixtures();
    let renames = renames();
    let hex = |v: &Value, n: usize| {
        v.as_str()
            .is_some_and(|s| s.len() == n && s.chars().all(|c| c.is_ascii_hexdigit()))
    };
    for kind in [RepoKind::Model, RepoKind::Dataset] {
        for id in hub.ids(kind) {
            let info = hub.info(kind, &id).unwrap();
            let ctx = format!("{kind} {id}");
            for key in [
                "_id",
                "id",
                "author",
                "sha",
                "private",
                "gated",
                "disabled",
                "lastModified",
                "createdAt",
                "downloads",
                "likes",
                "tags",
                "siblings",
            ] {
                assert!(info.get(key).is_some(), "{ctx}: missing {key}");
            }
            assert!(hex(&info["sha"], 40), "{ctx}: sha");
            assert!(hex(&info["_id"], 24), "{ctx}: _id");
            if kind == RepoKind::Model {
                assert_eq!(info["modelId"], id.as_str(), "{ctx}");
            }
            let tags = str_list(&info["tags"]);
            let Some(card) = info.get("cardData") else {
                let readme = get(hub.addr(), &format!("/{id}/raw/main/README.md"));
                assert_eq!(
                    readme.status, 200,
                    "{ctx}: a repo without cardData needs a README"
                );
                assert!(
                    readme.text().starts_with("---"),
                    "{ctx}: README has front matter"
                );
                assert!(info.get("baseModels").is_none(), "{ctx}");
                continue;
            };
            for l in str_list(&card["license"]) {
                assert!(tags.contains(&format!("license:{l}")), "{ctx}: license:{l}");
            }
            if kind == RepoKind::Dataset {
                continue;
            }
            for d in str_list(&card["datasets"]) {
                assert!(tags.contains(&format!("dataset:{d}")), "{ctx}: dataset:{d}");
            }
            let bases: Vec<String> = str_list(&card["base_model"])
                .into_iter()
                .filter(|b| is_repo_id(b))
                .map(|b| renames.get(&b).cloned().unwrap_or(b))
                .collect();
            let Some(bm) = info.get("baseModels") else {
                assert!(bases.is_empty(), "{ctx}: bases {bases:?} but no baseModels");
                continue;
            };
            // A `baseModels` without `relation`: the Hub inferred none (issue #10 fixtures).
            let Some(relation) = bm["relation"].as_str() else {
                continue;
            };
            assert!(crate::RELATIONS.contains(&relation), "{ctx}: {relation}");
            if let Some(declared) = card.get("base_model_relation") {
                assert_eq!(declared, relation, "{ctx}");
            }
            let listed: Vec<&str> = bm["models"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m["id"].as_str().unwrap())
                .collect();
            assert_eq!(listed, bases, "{ctx}: baseModels vs card base_model");
            for m in bm["models"].as_array().unwrap() {
                let parent = m["id"].as_str().unwrap();
                assert!(tags.contains(&format!("base_model:{parent}")), "{ctx}");
                assert!(
                    tags.contains(&format!("base_model:{relation}:{parent}")),
                    "{ctx}"
                );
                if let Some(p) = hub.info(RepoKind::Model, parent) {
                    assert_eq!(m["_id"], p["_id"], "{ctx}: _id of {parent}");
                }
            }
        }
    }
}

#[test]
fn fixture_lineages_are_served() {
    let hub = FakeHub::with_fixtures();
    let addr = hub.addr();

    let llama2 = get(addr, "/api/models/meta-llama/Llama-2-7b-hf").json();
    assert_eq!(llama2["gated"], "manual");
    assert_eq!(llama2["cardData"]["license"], "llama2");
    let r = get(addr, "/meta-llama/Llama-2-7b-hf/raw/main/LICENSE.txt");
    assert_eq!(
        (r.status, r.header("x-error-code")),
        (403, Some("GatedRepo"))
    );
    let r = get_with(
        addr,
        "/meta-llama/Llama-2-7b-hf/raw/main/LICENSE.txt",
        &[("Authorization", "Bearer hf_test")],
    );
    assert!(r.text().starts_with("LLAMA 2 COMMUNITY LICENSE AGREEMENT"));

    let children = get(
        addr,
        "/api/models?filter=base_model:meta-llama/Llama-2-7b-hf",
    )
    .json();
    let ids: Vec<&str> = children
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        vec![
            "TheBloke/Llama-2-7B-GGUF",
            "TheBloke/Llama-2-7B-GPTQ",
            "acme-ai/llama-2-7b-summarizer-nc",
            "gguf-lab/Llama-2-7b-hf-GGUF",
            "open-tuners/llama-2-7b-guanaco-lora"
        ]
    );

    let lora = get(
        addr,
        "/api/models/open-tuners/llama-2-7b-guanaco-lora?expand=baseModels&expand=cardData",
    )
    .json();
    assert_eq!(lora["baseModels"]["relation"], "adapter");
    assert_eq!(lora["cardData"]["license"], "apache-2.0");

    let gguf = get(
        addr,
        "/api/models/quant-shop/Llama-3.1-8B-Instruct-Legal-SFT-GGUF",
    )
    .json();
    assert!(gguf["cardData"].get("license").is_none());
    assert_eq!(gguf["cardData"]["base_model_relation"], "quantized");
    let sft = get(
        addr,
        "/api/models/open-tuners/Llama-3.1-8B-Instruct-Legal-SFT?expand=childrenModelCount",
    )
    .json();
    assert_eq!(sft["childrenModelCount"]["quantized"], 1);

    for (old, new) in [
        ("bert-base-uncased", "google-bert/bert-base-uncased"),
        ("gpt2", "openai-community/gpt2"),
        ("meta-llama/Meta-Llama-3.1-8B", "meta-llama/Llama-3.1-8B"),
    ] {
        let r = get(addr, &format!("/api/models/{old}"));
        assert_eq!(r.status, 307, "{old}");
        assert_eq!(
            r.header("location"),
            Some(format!("/api/models/{new}").as_str())
        );
        assert_eq!(get(addr, r.header("location").unwrap()).json()["id"], new);
    }
    let bert = get(addr, "/api/models/google-bert/bert-base-uncased").json();
    assert_eq!(bert["_id"], "621ffdc036468d709f174338");
    assert_eq!(bert["sha"], "86b5e0934494bd15c9632b12f734a8a67f723594");

    let r = get(addr, "/api/models/acme-ai/orphan-7b-ft").json();
    let missing = r["cardData"]["base_model"].as_str().unwrap();
    let r = get(addr, &format!("/api/models/{missing}"));
    assert_eq!(
        (r.status, r.header("x-error-code")),
        (404, Some("RepoNotFound"))
    );

    let crlf = get(addr, "/api/models/acme-ai/crlf-card-model").json();
    assert!(crlf.get("cardData").is_none());
    let readme = get(addr, "/acme-ai/crlf-card-model/raw/main/README.md").text();
    assert!(readme.starts_with("---\r\nlicense: mit\r\n"));
    let broken = get(addr, "/acme-ai/broken-yaml-model/raw/main/README.md").text();
    assert!(broken.contains("base_model: [meta-llama/Llama-2-7b-hf\n"));

    let flux = get(addr, "/api/models/black-forest-labs/FLUX.1-dev").json();
    assert_eq!(flux["cardData"]["license"], "other");
    assert_eq!(
        flux["cardData"]["license_name"],
        "flux-1-dev-non-commercial-license"
    );
    assert_eq!(flux["cardData"]["license_link"], "LICENSE.md");
    assert_eq!(
        get(addr, "/black-forest-labs/FLUX.1-dev/raw/main/LICENSE.md").status,
        403
    );
    let merge = get(
        addr,
        "/api/models/acme-ai/FLUX.1-dev-schnell-merge?expand=baseModels",
    )
    .json();
    assert_eq!(merge["baseModels"]["relation"], "merge");
    assert_eq!(merge["baseModels"]["models"].as_array().unwrap().len(), 2);

    let huggy = get(addr, "/api/models/huggyllama/llama-7b").json();
    assert_eq!(huggy["cardData"]["license"], "other");
    assert!(huggy["cardData"].get("license_name").is_none());

    let url = get(addr, "/api/models/acme-ai/url-base-model").json();
    assert_eq!(
        url["cardData"]["base_model"],
        "https://huggingface.co/meta-llama/Llama-2-7b-hf"
    );

    let cycle = get(addr, "/api/models/loop-lab/cycle-a?expand=baseModels").json();
    assert_eq!(cycle["baseModels"]["models"][0]["id"], "loop-lab/cycle-b");
    let own = get(addr, "/api/models/loop-lab/self-referencing-7b").json();
    assert_eq!(
        own["cardData"]["base_model"],
        "loop-lab/self-referencing-7b"
    );

    assert_eq!(get(addr, "/api/models/acme-ai/private-base").status, 401);

    let alpaca = get(addr, "/api/datasets/tatsu-lab/alpaca").json();
    assert_eq!(alpaca["_id"], "640f5b2fb63b6f18522d6d44");
    assert_eq!(alpaca["cardData"]["license"], "cc-by-nc-4.0");
    let mix = get(addr, "/api/datasets/acme-data/alpaca-dolly-mix").json();
    assert!(mix["cardData"]["license"].is_array());
    assert_eq!(
        str_list(&mix["cardData"]["source_datasets"])[0],
        "tatsu-lab/alpaca"
    );
    let trained = get(addr, "/api/models?filter=dataset:tatsu-lab/alpaca").json();
    assert_eq!(trained[0]["id"], "open-tuners/gpt2-alpaca");
    let dolly = get(addr, "/api/datasets/databricks/databricks-dolly-15k").json();
    assert_eq!(dolly["cardData"]["license"], "cc-by-sa-3.0");
}
