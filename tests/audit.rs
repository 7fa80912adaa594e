//! `lineage audit` over a synced dump with known laundering cases.

use crate::util::{json, Env};
use serde_json::json as j;

/// Llama 2 with two fine-tunes relicensed apache-2.0 and one honest one; a CC-BY-NC model with an
/// MIT fine-tune; a quantization of a laundered fine-tune without a license of its own.
fn dump(env: &Env) -> String {
    let lines = [
        j!({"id": "meta-llama/Llama-2-7b-hf", "cardData": {"license": "llama2"}}),
        j!({"id": "someone/llama2-chat-apache", "cardData": {"license": "apache-2.0", "base_model": "meta-llama/Llama-2-7b-hf"}}),
        j!({"id": "other/llama2-instruct", "cardData": {"license": "apache-2.0", "base_model": "meta-llama/Llama-2-7b-hf"}}),
        j!({"id": "fair/llama2-ft", "cardData": {"license": "llama2", "base_model": "meta-llama/Llama-2-7b-hf"}}),
        j!({"id": "quant/llama2-chat-apache-GGUF", "cardData": {"base_model": "someone/llama2-chat-apache", "base_model_relation": "quantized"}}),
        j!({"id": "CohereForAI/aya-101-nc", "cardData": {"license": "cc-by-nc-4.0"}}),
        j!({"id": "mixer/aya-mit", "cardData": {"license": "mit", "base_model": "CohereForAI/aya-101-nc"}}),
    ];
    let text: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    let p = env.write("dump.jsonl", &(text.join("\n") + "\n"));
    let (code, _, err) = env.run(&["sync", "--from", p.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    p.display().to_string()
}

#[test]
fn text_groups_findings_by_code_culprit_and_declared_license() {
    let env = Env::empty();
    dump(&env);
    let (code, out, err) = env.run(&["--offline", "audit"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("7 models audited, 3 with findings"), "{out}");
    assert!(
        out.contains("derivatives of meta-llama/Llama-2-7b-hf that declare apache-2.0: 2 (declared-more-permissive)"),
        "{out}"
    );
    assert!(
        out.contains("derivatives of CohereForAI/aya-101-nc that declare mit: 1"),
        "{out}"
    );
}

#[test]
fn csv_has_stable_columns_and_one_row_per_finding() {
    let env = Env::empty();
    dump(&env);
    let (code, out, err) = env.run(&["--offline", "audit", "--format", "csv"]);
    assert_eq!(code, 0, "{err}");
    let mut lines = out.lines();
    assert_eq!(
        lines.next(),
        Some("model,code,declared,inherited,culprit,path")
    );
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 3, "{out}");
    assert!(rows.contains(&"someone/llama2-chat-apache,declared-more-permissive,apache-2.0,use-policy(Llama 2 Acceptable Use Policy),meta-llama/Llama-2-7b-hf,someone/llama2-chat-apache > meta-llama/Llama-2-7b-hf"), "{out}");
    assert!(
        rows.iter().any(|r| r.starts_with(
            "mixer/aya-mit,declared-more-permissive,mit,non-commercial,CohereForAI/aya-101-nc,"
        )),
        "{out}"
    );
}

#[test]
fn json_and_filters() {
    let env = Env::empty();
    dump(&env);
    let (code, out, err) = env.run(&[
        "--offline",
        "audit",
        "--format",
        "json",
        "--base",
        "CohereForAI/aya-101-nc",
    ]);
    assert_eq!(code, 0, "{err}");
    let v = json(&out);
    let items = v.as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["model"], "mixer/aya-mit");
    assert_eq!(items[0]["culprit"], "CohereForAI/aya-101-nc");
    assert_eq!(items[0]["verdict"], "forbidden");
    let (_, out, _) = env.run(&["--offline", "audit", "--format", "json", "--author", "fair"]);
    assert_eq!(json(&out), j!([]));
    let (_, out, _) = env.run(&[
        "--offline",
        "audit",
        "--format",
        "csv",
        "--license",
        "apache-2.0",
    ]);
    assert_eq!(out.lines().count(), 3, "{out}");
    let (code, _, err) = env.run(&["--offline", "audit", "--code", "nonsense"]);
    assert_eq!(code, 2);
    assert!(err.contains("declared-more-permissive"), "{err}");
    let (code, _, err) = env.run(&["--offline", "audit", "--base", "not/synced"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("lineage sync --filter base_model:not/synced"),
        "{err}"
    );
}
