//! `lineage check`: verdicts, reasons, exit codes, JSON.

use crate::util::{conflict_codes, json, Env};

#[test]
fn mit_model_trained_on_alpaca_is_forbidden_with_the_dataset_as_origin() {
    let env = Env::new();
    let (code, out, err) = env.run(&["check", "open-tuners/gpt2-alpaca", "--format", "json"]);
    assert_eq!(code, 1, "denied → 1; stderr: {err}");
    let v = json(&out);
    assert_eq!(v["schema"], "lineage.check/1");
    assert_eq!(v["commercial"], "forbidden");
    assert_eq!(v["dataset_policy"], "strict");
    assert_eq!(v["reasons"][0]["origin"], "dataset:tatsu-lab/alpaca");
    assert_eq!(v["reasons"][0]["term"]["kind"], "non-commercial");
    let codes = conflict_codes(&v);
    assert!(
        codes.iter().any(|c| c == "declared-more-permissive"),
        "{codes:?}"
    );
    assert_eq!(v["policy"]["allowed"], false);
    insta::assert_json_snapshot!("check_gpt2_alpaca", v);
}

#[test]
fn lenient_dataset_policy_turns_dataset_terms_into_advisories() {
    let env = Env::new();
    let (code, out, _) = env.run(&[
        "check",
        "open-tuners/gpt2-alpaca",
        "--format",
        "json",
        "--dataset-policy",
        "lenient",
    ]);
    let v = json(&out);
    assert_eq!(v["commercial"], "permitted");
    assert_eq!(v["dataset_policy"], "lenient");
    assert_eq!(v["advisories"][0]["term"]["kind"], "non-commercial");
    assert_eq!(code, 0);
}

#[test]
fn permissive_model_passes_and_exits_zero() {
    let env = Env::new();
    let (code, out, err) = env.run(&["check", "openai-community/gpt2"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.starts_with("openai-community/gpt2 — PERMITTED"),
        "{out}"
    );
}

#[test]
fn text_report_shows_the_path_to_the_origin() {
    let env = Env::new();
    let (code, out, _) = env.run(&["check", "quant-shop/Llama-3.1-8B-Instruct-Legal-SFT-GGUF"]);
    assert_eq!(code, 1, "conditional is denied by the default policy");
    assert!(out.contains("— CONDITIONAL"), "{out}");
    assert!(
        out.contains("quant-shop/Llama-3.1-8B-Instruct-Legal-SFT-GGUF ← open-tuners/Llama-3.1-8B-Instruct-Legal-SFT ← meta-llama/Llama-3.1-8B-Instruct ← meta-llama/Llama-3.1-8B (llama3.1)"),
        "{out}"
    );
    insta::assert_snapshot!("check_gguf_text", out);
}

#[test]
fn several_models_give_an_array_and_the_worst_exit_code() {
    let env = Env::new();
    let (code, out, _) = env.run(&[
        "check",
        "openai-community/gpt2",
        "acme-ai/FLUX.1-dev-schnell-merge",
        "open-tuners/llama-2-7b-guanaco-lora",
        "--format",
        "json",
    ]);
    assert_eq!(code, 1);
    let v = json(&out);
    let verdicts: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["commercial"].as_str().unwrap())
        .collect();
    assert_eq!(verdicts, ["permitted", "forbidden", "conditional"]);
    assert_eq!(
        v[1]["reasons"][0]["origin"],
        "model:black-forest-labs/FLUX.1-dev"
    );
}

#[test]
fn cycles_and_missing_bases_are_unknown_never_permitted() {
    let env = Env::new();
    for (model, code) in [
        ("loop-lab/self-referencing-7b", "cycle"),
        ("loop-lab/cycle-a", "cycle"),
        ("acme-ai/orphan-7b-ft", "unresolved-ancestor"),
    ] {
        let (exit, out, _) = env.run(&["check", model, "--format", "json"]);
        let v = json(&out);
        assert_eq!(v["commercial"], "unknown", "{model}");
        assert_eq!(exit, 1);
        assert!(
            conflict_codes(&v).iter().any(|c| c == code),
            "{model}: {}",
            v["conflicts"]
        );
    }
}

#[test]
fn card_problems_fail_closed() {
    let env = Env::new();
    let (_, out, _) = env.run(&["check", "acme-ai/broken-yaml-model", "--format", "json"]);
    let v = json(&out);
    assert_eq!(v["commercial"], "unknown");
    assert!(
        conflict_codes(&v).iter().any(|c| c == "card-unparseable"),
        "{v}"
    );

    // The CRLF front matter (no cardData in the API answer) is read: its license, base and dataset
    // all count. mit over gpt2 (mit), trained on Alpaca (cc-by-nc-4.0): forbidden, and laundering.
    let (_, out, _) = env.run(&["check", "acme-ai/crlf-card-model", "--format", "json"]);
    let v = json(&out);
    assert_eq!(v["resolution"]["status"], "found", "{v}");
    assert_eq!(v["declared"]["license"], serde_json::json!(["mit"]), "{v}");
    assert_eq!(v["commercial"], "forbidden", "{v}");
    assert!(
        v["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["origin"] == "dataset:tatsu-lab/alpaca"),
        "the dataset named in the CRLF card was followed: {v}"
    );
    assert!(
        conflict_codes(&v)
            .iter()
            .any(|c| c == "declared-more-permissive"),
        "{v}"
    );
}

#[test]
fn url_base_models_and_renamed_ids_resolve_on_the_hub() {
    let env = Env::new();
    let (_, out, _) = env.run(&["check", "acme-ai/url-base-model", "--format", "json"]);
    let v = json(&out);
    assert_eq!(v["commercial"], "conditional", "{v}");
    assert!(v["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["origin"] == "model:meta-llama/Llama-2-7b-hf"));

    let (_, out, _) = env.run(&[
        "check",
        "acme-ai/bert-base-uncased-sst2",
        "--format",
        "json",
        "--no-catalog",
    ]);
    let v = json(&out);
    // The card names the pre-rename id `bert-base-uncased`; the Hub redirects it to
    // google-bert/bert-base-uncased. Only a resolved target yields its license (apache-2.0) on the
    // path through the `renamed` edge; an unresolved one would be listed as unresolved instead.
    let via_rename = v["conditions"].as_array().unwrap().iter().any(|r| {
        r["origin"] == "model:google-bert/bert-base-uncased"
            && r["license"] == "apache-2.0"
            && r["path"][1]["relation"] == "renamed"
    });
    assert!(via_rename, "the rename was followed: {v}");
    let unresolved = v["unresolved"].to_string();
    assert!(!unresolved.contains("bert-base-uncased"), "{v}");
    let (_, out, _) = env.run(&[
        "graph",
        "acme-ai/bert-base-uncased-sst2",
        "--format",
        "json",
        "--no-catalog",
    ]);
    let g = json(&out);
    let target = g["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["id"] == "model:google-bert/bert-base-uncased")
        .unwrap_or_else(|| panic!("the rename target is in the graph: {g}"));
    assert_eq!(target["resolution"]["status"], "found", "{g}");
    assert!(
        g["edges"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["from"] == "model:google-bert/bert-base-uncased"
                && e["to"] == "model:bert-base-uncased"
                && e["relation"] == "renamed"),
        "{g}"
    );
}

#[test]
fn huggyllama_other_without_name_is_forbidden_by_the_catalog_and_unknown_without_it() {
    let env = Env::new();
    let (_, out, _) = env.run(&["check", "huggyllama/llama-7b", "--format", "json"]);
    let v = json(&out);
    assert_eq!(v["commercial"], "forbidden", "{v}");
    let clarified = v["reasons"][0]["clarified"].to_string();
    assert!(clarified.contains("curated:"), "{v}");

    let (_, out, _) = env.run(&[
        "check",
        "huggyllama/llama-7b",
        "--format",
        "json",
        "--no-catalog",
    ]);
    assert_eq!(json(&out)["commercial"], "unknown");
}

/// Common real-world shapes (facts from public model cards) resolve to the verdicts a careful reader
/// would give: the positive paths must not fall into `unknown` by accident.
#[test]
fn common_real_world_lineages() {
    use lineage_fakehub::{RepoKind, RepoSpec};
    let env = Env::empty();
    let hub = &env.hub;
    // HuggingFaceH4/zephyr-7b-beta: mit, on Mistral-7B-v0.1, trained on two mit datasets.
    hub.add(RepoSpec::model("mistralai/Mistral-7B-v0.1").license("apache-2.0"));
    hub.add(RepoSpec::dataset("HuggingFaceH4/ultrachat_200k").license("mit"));
    hub.add(RepoSpec::dataset("HuggingFaceH4/ultrafeedback_binarized").license("mit"));
    hub.add(
        RepoSpec::model("HuggingFaceH4/zephyr-7b-beta")
            .license("mit")
            .base_model(["mistralai/Mistral-7B-v0.1"])
            .datasets([
                "HuggingFaceH4/ultrachat_200k",
                "HuggingFaceH4/ultrafeedback_binarized",
            ]),
    );
    // bartowski's GGUF names the pre-rename id of its base.
    hub.add(
        RepoSpec::model("meta-llama/Llama-3.1-8B")
            .license("llama3.1")
            .gated("manual"),
    );
    hub.add(
        RepoSpec::model("meta-llama/Llama-3.1-8B-Instruct")
            .license("llama3.1")
            .gated("manual")
            .base_model(["meta-llama/Llama-3.1-8B"]),
    );
    hub.rename(
        RepoKind::Model,
        "meta-llama/Meta-Llama-3.1-8B-Instruct",
        "meta-llama/Llama-3.1-8B-Instruct",
    );
    hub.add(
        RepoSpec::model("bartowski/Meta-Llama-3.1-8B-Instruct-GGUF")
            .license("llama3.1")
            .base_model(["meta-llama/Meta-Llama-3.1-8B-Instruct"])
            .relation("quantized"),
    );
    // Qwen/Qwen2.5-72B-Instruct: `license: other` with the Qwen license named and linked.
    hub.add(
        RepoSpec::model("Qwen/Qwen2.5-72B")
            .license("other")
            .license_name("qwen")
            .license_link("https://huggingface.co/Qwen/Qwen2.5-72B/blob/main/LICENSE"),
    );
    hub.add(
        RepoSpec::model("Qwen/Qwen2.5-72B-Instruct")
            .license("other")
            .license_name("qwen")
            .license_link("https://huggingface.co/Qwen/Qwen2.5-72B-Instruct/blob/main/LICENSE")
            .base_model(["Qwen/Qwen2.5-72B"]),
    );
    // An SDXL LoRA that declares the SD 1.x OpenRAIL-M over SDXL's OpenRAIL++-M: another member of the
    // family, reported as such.
    hub.add(RepoSpec::model("stabilityai/stable-diffusion-xl-base-1.0").license("openrail++"));
    hub.add(
        RepoSpec::model("nerijs/pixel-art-xl")
            .license("creativeml-openrail-m")
            .base_model(["stabilityai/stable-diffusion-xl-base-1.0"])
            .relation("adapter"),
    );

    let expect = [
        ("HuggingFaceH4/zephyr-7b-beta", "permitted", vec![]),
        (
            "bartowski/Meta-Llama-3.1-8B-Instruct-GGUF",
            "conditional",
            vec![],
        ),
        ("Qwen/Qwen2.5-72B-Instruct", "conditional", vec![]),
        (
            "nerijs/pixel-art-xl",
            "conditional",
            vec!["license-version-mismatch"],
        ),
    ];
    for (model, verdict, conflicts) in expect {
        let (_, out, err) = env.run(&["check", model, "--format", "json", "--no-catalog"]);
        let v = json(&out);
        assert_eq!(v["commercial"], verdict, "{model}: {v}\n{err}");
        assert_eq!(conflict_codes(&v), conflicts as Vec<&str>, "{model}: {v}");
    }
    // The Qwen license's user threshold and attribution reach the instruct model from its base.
    let (_, out, _) = env.run(&[
        "check",
        "Qwen/Qwen2.5-72B-Instruct",
        "--format",
        "json",
        "--no-catalog",
    ]);
    let v = json(&out);
    let kinds: Vec<&str> = v["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["term"]["kind"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"user-threshold") && kinds.contains(&"attribution"),
        "{kinds:?}"
    );
}
