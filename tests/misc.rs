//! descendants, licenses, catalog, offline use, the token, and errors.

use crate::util::{json, run, Env};

#[test]
fn descendants_lists_conflicts_first() {
    let env = Env::new();
    let (code, out, err) = env.run(&["descendants", "meta-llama/Llama-3.1-8B", "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let v = json(&out);
    let items = v.as_array().unwrap();
    assert!(items.len() >= 3, "{v}");
    let first_clean = items
        .iter()
        .position(|o| o["conflicts"].as_array().unwrap().is_empty())
        .unwrap_or(items.len());
    assert!(
        items[first_clean..]
            .iter()
            .all(|o| o["conflicts"].as_array().unwrap().is_empty()),
        "conflicts first"
    );
    let orion = items
        .iter()
        .find(|o| o["model"].as_str().unwrap().contains("Orion-8B-Instruct"))
        .expect("Orion found");
    assert!(
        orion["conflicts"]
            .to_string()
            .contains("name-prefix-missing"),
        "{orion}"
    );

    for format in ["text", "dot"] {
        let (code, out, _) =
            env.run(&["descendants", "meta-llama/Llama-3.1-8B", "--format", format]);
        assert_eq!(code, 0);
        assert!(out.contains("Orion-8B-Instruct"), "{format}: {out}");
    }
}

#[test]
fn licenses_lists_the_knowledge_base_and_one_entry() {
    let env = Env::new();
    let (code, out, _) = env.run(&["licenses"]);
    assert_eq!(code, 0);
    assert!(out.lines().count() >= 83);
    let (_, out, _) = env.run(&["licenses", "Apache 2.0", "--format", "json"]);
    assert_eq!(json(&out)["id"], "apache-2.0");
    let (_, out, _) = env.run(&["licenses", "llama3.1"]);
    assert!(
        out.contains("name-prefix(\"Llama\")") && out.contains("source:"),
        "{out}"
    );
    let (code, _, err) = env.run(&["licenses", "no-such-thing"]);
    assert_eq!(code, 2);
    assert!(err.contains("no license \"no-such-thing\""), "{err}");
}

#[test]
fn catalog_shows_curated_facts() {
    let env = Env::new();
    let (code, out, _) = env.run(&["catalog", "huggyllama/llama-7b"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("llama1-research") && out.contains("source:"),
        "{out}"
    );
    let (_, out, _) = env.run(&["catalog", "--format", "json"]);
    assert!(json(&out).as_array().unwrap().len() >= 60);
}

#[test]
fn offline_after_a_crawl_answers_from_the_cache_without_requests() {
    let env = Env::new();
    let (_, online, _) = env.run(&["check", "open-tuners/gpt2-alpaca", "--format", "json"]);
    let before = env.hub.request_count();
    let (_, offline, _) = env.run(&[
        "check",
        "open-tuners/gpt2-alpaca",
        "--format",
        "json",
        "--offline",
    ]);
    assert_eq!(env.hub.request_count(), before, "offline makes no request");
    assert_eq!(json(&online)["commercial"], json(&offline)["commercial"]);

    // Something never crawled is unknown offline, never permitted.
    let mut c = env.cmd();
    c.args(["check", "acme-ai/Orion-8B-Instruct", "--format", "json"])
        .env("HF_HUB_OFFLINE", "1");
    let (_, out, _) = run(c);
    assert_eq!(json(&out)["commercial"], "unknown");
    assert_eq!(env.hub.request_count(), before);
}

#[test]
fn offline_on_an_empty_cache_answers_catalogued_repos_from_the_catalog() {
    let env = Env::new();
    let (_, out, _) = env.run(&[
        "check",
        "meta-llama/Llama-2-7b-hf",
        "--offline",
        "--format",
        "json",
    ]);
    let v = json(&out);
    assert_eq!(v["commercial"], "conditional", "{v}");
    assert!(
        v.to_string().contains("curated"),
        "the answer says it is catalog-based: {v}"
    );
    assert_eq!(env.hub.request_count(), 0);
}

#[test]
fn the_token_reaches_the_hub_but_never_the_output_or_the_cache() {
    let env = Env::new();
    let secret = "hf_SeCrEtToKeN1234567890";
    env.hub.require_token(secret);
    let mut c = env.cmd();
    c.args(["check", "open-tuners/gpt2-alpaca", "--format", "json", "-v"])
        .env("HF_TOKEN", secret);
    let (_, out, err) = run(c);
    assert!(env
        .hub
        .requests()
        .iter()
        .all(|r| r.authorization.as_deref() == Some(&format!("Bearer {secret}")[..])));
    assert!(!out.contains(secret) && !err.contains(secret));
    for entry in walk(&env.cache_dir()) {
        let bytes = std::fs::read(&entry).unwrap();
        assert!(
            !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
            "token in {}",
            entry.display()
        );
    }
    // A wrong token: the error names the problem, not the token.
    let (_, out, err) = env.run(&[
        "check",
        "openai-community/gpt2",
        "--refresh",
        "--token",
        "hf_wrong_token_abc",
    ]);
    assert!(!out.contains("hf_wrong_token_abc") && !err.contains("hf_wrong_token_abc"));
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

#[test]
fn bad_input_is_a_clear_error_with_exit_2() {
    let env = Env::new();
    for (args, needle) in [
        (
            vec!["check", "not a model id!"],
            "neither a local folder nor a Hub repository",
        ),
        (
            vec!["check", "https://evil.example/org/model"],
            "outside the Hub",
        ),
        (vec!["graph", "a/b", "--format", "png"], "invalid value"),
    ] {
        let mut c = env.cmd();
        c.args(&args);
        let (code, _, err) = run(c);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: {err}");
        assert!(
            !err.contains("panicked") && !err.contains("RUST_BACKTRACE"),
            "{err}"
        );
    }
    let (code, _, err) = env.run(&["check", "openai-community/gpt2", "--endpoint", "not a url"]);
    assert_eq!(code, 2);
    assert!(err.contains("invalid Hub endpoint"), "{err}");
}

#[test]
fn unreachable_endpoint_is_unknown_not_a_crash() {
    let env = Env::new();
    let mut c = env.cmd();
    // Port 9 on loopback: nothing listens there.
    c.args([
        "check",
        "openai-community/gpt2",
        "--format",
        "json",
        "--endpoint",
        "http://127.0.0.1:9",
    ]);
    let (code, out, err) = run(c);
    assert_eq!(code, 1, "{err}");
    assert_eq!(json(&out)["commercial"], "unknown");
}

#[test]
fn local_folder_with_a_peft_adapter_resolves_its_base_on_the_hub() {
    let env = Env::new();
    let dir = env.path("my-adapter");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("adapter_config.json"),
        r#"{"base_model_name_or_path": "meta-llama/Llama-2-7b-hf", "peft_type": "LORA"}"#,
    )
    .unwrap();
    std::fs::write(
        dir.join("README.md"),
        "---\nlicense: mit\n---\n# my adapter\n",
    )
    .unwrap();
    let mut c = env.cmd();
    c.args(["check", "--format", "json"]).arg(&dir);
    let (_, out, err) = run(c);
    let v = json(&out);
    assert_eq!(v["commercial"], "conditional", "{v}{err}");
    assert!(
        v["conflicts"]
            .to_string()
            .contains("declared-more-permissive"),
        "{v}"
    );
}

#[test]
fn descendants_json_names_culprits_and_explains_only_when_asked() {
    let env = Env::new();
    let model = "meta-llama/Llama-3.1-8B";
    let (code, out, err) = env.run(&["descendants", model, "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let cheap = json(&out);
    let items = cheap.as_array().unwrap();
    assert!(items.len() >= 3, "{cheap}");
    for o in items {
        assert_eq!(o["schema"], "lineage.descendant/1", "{o}");
        assert!(o.get("reasons").is_none(), "no explanation paths: {o}");
        assert!(o["commercial"].is_string(), "{o}");
        assert!(
            serde_json::to_vec(o).unwrap().len() < 1536,
            "under 1.5 KB: {o}"
        );
    }
    let orion = items
        .iter()
        .find(|o| o["model"] == "acme-ai/Orion-8B-Instruct")
        .expect("Orion found");
    let prefix = orion["conflicts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["code"] == "name-prefix-missing")
        .expect("the Llama 3.1 naming rule is broken");
    // The rule comes from the Llama 3.1 license of the base, named as the culprit.
    assert_eq!(prefix["culprit"], model, "{prefix}");
    assert!(prefix["message"].as_str().unwrap().contains("Llama"));

    let (code, out, err) = env.run(&["descendants", model, "--format", "json", "--explain"]);
    assert_eq!(code, 0, "{err}");
    let full = json(&out);
    let full_items = full.as_array().unwrap();
    // The same derivatives, in the same order, with the same verdicts and conflicts...
    let summary = |v: &[serde_json::Value]| -> Vec<(String, String, String)> {
        v.iter()
            .map(|o| {
                (
                    o["model"].to_string(),
                    o["commercial"].to_string(),
                    o["conflicts"].to_string(),
                )
            })
            .collect()
    };
    assert_eq!(summary(items), summary(full_items));
    // ...now as check objects whose reasons carry their paths to the origin.
    let orion = full_items
        .iter()
        .find(|o| o["model"] == "acme-ai/Orion-8B-Instruct")
        .unwrap();
    assert_eq!(orion["schema"], "lineage.check/1");
    let path = &orion["conditions"][0]["path"];
    assert!(path.as_array().is_some_and(|p| p.len() >= 2), "{orion}");

    let (_, text, _) = env.run(&["descendants", model]);
    let (_, explained, _) = env.run(&["descendants", model, "--explain"]);
    assert!(text.contains("Orion-8B-Instruct") && text.contains("! name-prefix-missing"));
    assert!(!text.contains("inherited from"), "{text}");
    assert!(explained.contains("inherited from"), "{explained}");
}
