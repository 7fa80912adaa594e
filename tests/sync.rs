//! `lineage sync` against the fake Hub and from a dump; commands answered offline from synced data.

use crate::util::{json, Env};

const GGUF: &str = "quant-shop/Llama-3.1-8B-Instruct-Legal-SFT-GGUF";

#[test]
fn after_a_sync_check_descendants_and_audit_work_offline_with_zero_requests() {
    let online = Env::new();
    let (_, expected, err) = online.run(&["check", GGUF, "--format", "json"]);
    let expected = json(&expected);
    assert!(
        expected["verdict"].is_string() || expected["commercial"].is_string(),
        "{err}"
    );

    let env = Env::new();
    let (code, out, err) = env.run(&["sync"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("synced"), "{out}");
    assert!(err.contains("page 1"), "progress is shown: {err}");
    env.hub.reset_requests();

    let (_, got, err) = env.run(&["--offline", "check", GGUF, "--format", "json"]);
    let got = json(&got);
    assert_eq!(got, expected, "{err}");
    let (code, out, err) = env.run(&["--offline", "descendants", "meta-llama/Llama-3.1-8B"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains(GGUF), "{out}");
    assert!(!err.contains("incomplete"), "{err}");
    let (code, out, err) = env.run(&["--offline", "audit"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("models audited"), "{out}");
    assert_eq!(env.hub.request_count(), 0, "{:?}", env.hub.requests());
}

#[test]
fn sync_needs_the_hub_and_says_so_offline() {
    let env = Env::empty();
    let (code, _, err) = env.run(&["--offline", "sync"]);
    assert_eq!(code, 2);
    assert!(err.contains("--from"), "{err}");
}

#[test]
fn a_dump_with_a_malformed_line_is_imported_and_the_line_reported() {
    let env = Env::empty();
    let dump = env.write(
        "dump.jsonl",
        "{\"id\":\"meta-llama/Llama-2-7b-hf\",\"cardData\":{\"license\":\"llama2\"}}\n\
         {\"id\":\"a/b\",\"cardData\":{\"license\":\"mit\",\"base_model\":\"meta-llama/Llama-2-7b-hf\"}}\n\
         {\"id\":\"c/d\",\"cardData\":{\"license\":\n\
         {\"id\":\"e/f\",\"cardData\":{\"license\":\"mit\"}}\n",
    );
    let (code, out, err) = env.run(&["sync", "--from", dump.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("imported 3 repos"), "{out}");
    assert!(out.contains("line 3:"), "{out}");
    assert_eq!(env.hub.request_count(), 0);
}
