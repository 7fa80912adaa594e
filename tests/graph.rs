//! `lineage graph` in every format and direction.

use crate::util::{assert_valid_dot, json, run, Env};
use lineage_fakehub::RepoSpec;

#[test]
fn dot_is_deterministic_valid_and_snapshotted() {
    let env = Env::new();
    let (code, out, err) = env.run(&["graph", "open-tuners/gpt2-instruct-mix"]);
    assert_eq!(code, 0, "{err}");
    assert_valid_dot(&out, env.dir.path());
    let mut again = env.cmd();
    again.args(["graph", "open-tuners/gpt2-instruct-mix"]);
    assert_eq!(run(again).1, out, "same input, same bytes");
    insta::assert_snapshot!("graph_gpt2_instruct_mix_dot", out);
}

#[test]
fn every_format_renders() {
    let env = Env::new();
    for format in ["dot", "json", "mermaid", "tree"] {
        let (code, out, err) = env.run(&[
            "graph",
            "quant-shop/Llama-3.1-8B-Instruct-Legal-SFT-GGUF",
            "--format",
            format,
        ]);
        assert_eq!(code, 0, "{format}: {err}");
        match format {
            "json" => {
                let v = json(&out);
                assert_eq!(v["schema"], "lineage.graph/1");
                assert!(v["nodes"].as_array().unwrap().len() >= 4);
            }
            "tree" => assert!(out.contains("meta-llama/Llama-3.1-8B"), "{out}"),
            "mermaid" => assert!(out.starts_with("flowchart"), "{out}"),
            _ => assert_valid_dot(&out, env.dir.path()),
        }
    }
}

#[test]
fn graph_json_snapshot() {
    let env = Env::new();
    let (_, out, _) = env.run(&[
        "graph",
        "acme-ai/FLUX.1-dev-schnell-merge",
        "--format",
        "json",
    ]);
    let v = json(&out);
    // The facts the snapshot is about: a merge of FLUX.1-dev (non-commercial) and FLUX.1-schnell
    // (apache-2.0) is forbidden because of dev, whatever schnell allows.
    let verdict = |id: &str| {
        v["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["id"] == id)
            .map(|n| n["verdict"].clone())
    };
    assert_eq!(
        verdict("model:acme-ai/FLUX.1-dev-schnell-merge"),
        Some("forbidden".into())
    );
    assert_eq!(
        verdict("model:black-forest-labs/FLUX.1-dev"),
        Some("forbidden".into())
    );
    assert_eq!(
        verdict("model:black-forest-labs/FLUX.1-schnell"),
        Some("permitted".into())
    );
    let merges = v["edges"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["to"] == "model:acme-ai/FLUX.1-dev-schnell-merge" && e["relation"] == "merge")
        .count();
    assert_eq!(merges, 2, "{v}");
    insta::assert_json_snapshot!("graph_flux_merge_json", v);
}

#[test]
fn hostile_strings_in_cards_still_give_valid_dot() {
    let env = Env::empty();
    env.hub.add(
        RepoSpec::model("weird-org/we.ird_model-1")
            .license("other")
            .license_name("Mÿ \"quoted\" licence\\v2\nnext line <b>{x}|y</b> ünïcødé")
            .license_link("https://example.com/\"license\"")
            .base_model(["weird-org/base"]),
    );
    env.hub
        .add(RepoSpec::model("weird-org/base").license("apache-2.0"));
    let mut c = env.cmd();
    c.args(["graph", "weird-org/we.ird_model-1", "-o"])
        .arg(env.path("out.dot"));
    let (code, _, err) = run(c);
    assert_eq!(code, 0, "{err}");
    let dot = std::fs::read_to_string(env.path("out.dot")).unwrap();
    assert!(dot.contains("ünïcødé"), "{dot}");
    assert_valid_dot(&dot, env.dir.path());
}

#[test]
fn down_and_both_walk_the_children() {
    let env = Env::new();
    let (code, out, err) = env.run(&[
        "graph",
        "meta-llama/Llama-3.1-8B",
        "--down",
        "--format",
        "tree",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("acme-ai/Orion-8B-Instruct"), "{out}");
    assert!(
        out.contains("quant-shop/Llama-3.1-8B-Instruct-Legal-SFT-GGUF"),
        "{out}"
    );

    let (_, out, _) = env.run(&[
        "graph",
        "meta-llama/Llama-3.1-8B-Instruct",
        "--both",
        "--depth",
        "1",
        "--format",
        "json",
    ]);
    let v = json(&out);
    let ids: Vec<&str> = v["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"model:meta-llama/Llama-3.1-8B"), "{ids:?}");
    assert!(
        ids.contains(&"model:open-tuners/Llama-3.1-8B-Instruct-Legal-SFT"),
        "{ids:?}"
    );
    assert!(
        !ids.contains(&"model:quant-shop/Llama-3.1-8B-Instruct-Legal-SFT-GGUF"),
        "depth 1: {ids:?}"
    );
}
