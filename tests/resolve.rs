//! Issue #10: answers from LICENSE files, README license sections and file evidence of quantized
//! copies; `--no-infer` shows what the cards alone say.

use crate::util::{json, Env};
use lineage_fakehub::RepoKind;

const LLAMA2: &str = include_str!("../crates/lineage-core/data/license-texts/llama2.txt");

fn check(env: &Env, model: &str, extra: &[&str]) -> serde_json::Value {
    let mut args = vec!["check", model, "--format", "json"];
    args.extend_from_slice(extra);
    let (_, out, err) = env.run(&args);
    assert!(!out.is_empty(), "no output for {model}: {err}");
    json(&out)
}

/// Every `clarified` sentence of the reasons and conditions.
fn clarified(v: &serde_json::Value) -> Vec<String> {
    let mut out = Vec::new();
    for list in ["reasons", "conditions"] {
        for r in v[list].as_array().into_iter().flatten() {
            for c in r["clarified"].as_array().into_iter().flatten() {
                let s = c.as_str().unwrap().to_string();
                if !out.contains(&s) {
                    out.push(s);
                }
            }
        }
    }
    out
}

#[test]
fn gptq_with_license_other_is_read_from_its_llama2_license_file() {
    let env = Env::new();
    let v = check(&env, "TheBloke/Llama-2-7B-GPTQ", &[]);
    assert_eq!(v["commercial"], "conditional", "{v:#}");
    assert_eq!(
        v["declared"]["license"][0], "other",
        "the card's own claim is shown"
    );
    let notes = clarified(&v);
    assert!(
        notes.iter().any(|n| n.starts_with(
            "inferred: license recognised from LICENSE (Llama 2 Community License Agreement, similarity 1.00)"
        )),
        "{notes:?}"
    );
    let conditions: Vec<&str> = v["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["term"]["kind"].as_str().unwrap())
        .collect();
    assert!(conditions.contains(&"user-threshold"), "{conditions:?}");
    // The LICENSE was fetched from the repo's files; nothing was probed blindly.
    let files: Vec<String> = env
        .hub
        .requests()
        .iter()
        .map(|r| r.path.clone())
        .filter(|p| p.contains("/resolve/"))
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    assert!(files[0].ends_with("/LICENSE"), "{files:?}");

    let v = check(&env, "TheBloke/Llama-2-7B-GPTQ", &["--no-infer"]);
    assert_eq!(v["commercial"], "unknown", "metadata alone: {v:#}");
}

#[test]
fn gguf_copy_without_license_or_relation_inherits_from_its_base() {
    let env = Env::new();
    let v = check(&env, "gguf-lab/Llama-2-7b-hf-GGUF", &[]);
    assert_eq!(v["commercial"], "conditional", "{v:#}");
    let notes = clarified(&v);
    assert!(
        notes.iter().any(
            |n| n.contains("is a quantized copy of meta-llama/Llama-2-7b-hf")
                && n.contains("GGUF weights (llama-2-7b-hf.Q4_K_M.gguf)")
        ),
        "{notes:?}"
    );
    let v = check(&env, "gguf-lab/Llama-2-7b-hf-GGUF", &["--no-infer"]);
    assert_eq!(v["commercial"], "unknown", "{v:#}");
}

#[test]
fn readme_license_sections_and_lines() {
    let env = Env::new();
    let v = check(&env, "acme-ai/gpt2-sentiment-mit", &[]);
    assert_eq!(v["commercial"], "permitted", "{v:#}");
    let v = check(&env, "acme-ai/llama-2-7b-summarizer-nc", &[]);
    assert_eq!(v["commercial"], "forbidden", "{v:#}");
    assert!(clarified(&v)
        .iter()
        .any(|n| n.contains("License: CC BY-NC 4.0")));
    // "non-commercial license" alone is a hint, not a verdict.
    let v = check(&env, "acme-ai/vague-nc-model", &[]);
    assert_eq!(v["commercial"], "unknown", "{v:#}");
    assert!(
        clarified(&v)
            .iter()
            .any(|n| n.contains("hint, not a verdict") && n.contains("non-commercial")),
        "{v:#}"
    );
    for m in [
        "acme-ai/gpt2-sentiment-mit",
        "acme-ai/llama-2-7b-summarizer-nc",
    ] {
        assert_eq!(check(&env, m, &["--no-infer"])["commercial"], "unknown");
    }
}

#[test]
fn apache_with_an_added_non_commercial_clause_stays_unknown_with_a_hint() {
    let env = Env::new();
    let v = check(&env, "acme-ai/apache-plus-nc-7b", &[]);
    assert_eq!(v["commercial"], "unknown", "{v:#}");
    assert!(
        clarified(&v)
            .iter()
            .any(|n| n.contains("Apache License 2.0") && n.contains("commercial")),
        "{v:#}"
    );
}

#[test]
fn yi_license_is_now_known_non_commercial() {
    // TheBloke's Nov 2023 GGUF keeps the Yi license its base had then (the base moved to Apache-2.0
    // in May 2024, which the catalog knows).
    let env = Env::new();
    let v = check(&env, "TheBloke/Yi-6B-GGUF", &["--no-infer"]);
    assert_eq!(v["commercial"], "forbidden", "{v:#}");
    assert_eq!(v["reasons"][0]["term"]["kind"], "non-commercial");
    assert_eq!(v["reasons"][0]["license"], "yi");
}

#[test]
fn llama2_near_miss_huge_and_binary_license_files_are_not_recognised() {
    let env = Env::new();
    let start = LLAMA2.find("2. Additional Commercial Terms").unwrap();
    let end = LLAMA2.find("3. Disclaimer of Warranty").unwrap();
    let cut = format!("{}{}", &LLAMA2[..start], &LLAMA2[end..]);
    let huge = "Permission is granted to anyone. ".repeat(160_000);
    let binary = "GGUF\u{0}\u{0}\u{0}\u{3}\u{0}weights";
    for (name, text) in [
        ("cut", cut.as_str()),
        ("huge", huge.as_str()),
        ("binary", binary),
        ("empty", ""),
    ] {
        let id = format!("test-org/{name}-license");
        env.hub.add_model(
            &id,
            serde_json::json!({
                "id": id,
                "sha": "0123456789abcdef0123456789abcdef01234567",
                "tags": ["license:other"],
                "cardData": {"license": "other"},
                "siblings": [{"rfilename": "LICENSE"}, {"rfilename": "README.md"}],
            }),
        );
        env.hub.add_file(RepoKind::Model, &id, "LICENSE", text);
        let v = check(&env, &id, &[]);
        assert_eq!(v["commercial"], "unknown", "{name}: {v:#}");
    }
}
