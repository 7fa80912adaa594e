//! Hostile cards against the binary: odd ids, other hosts, itself as base, terminal escapes, a huge
//! card, thousands of bases, and a token a spoofed endpoint echoes back. Each ends in a clear verdict
//! or error, and no request goes anywhere but the configured endpoint.

use crate::util::{json, Env};
use lineage_fakehub::{FakeHub, Fault, RepoKind, RepoSpec};

/// Characters that must never reach a terminal raw from card text.
fn has_raw_controls(s: &str) -> bool {
    s.chars()
        .any(|c| (c.is_control() && c != '\n') || matches!(c, '\u{202e}' | '\u{9b}'))
}

#[test]
fn hostile_ids_reach_no_other_path_or_host() {
    let env = Env::empty();
    let other = FakeHub::start();
    other.add(RepoSpec::model("org/name").license("mit"));
    let foreign = format!("{}/org/name", other.url());
    env.hub.add(
        RepoSpec::model("acme/hostile")
            .license("mit")
            .base_model_list([
                "../../etc/passwd",
                "org%2Fname",
                "https://huggingface.co/org%2F..%2F..%2Fname",
                "org/na\"me",
                "org/na\nme",
                "org/\u{1b}[31mred",
                "acme/hostile",
                foreign.as_str(),
                "https://user:hf_in_card@huggingface.co/org/name",
            ]),
    );
    let (_, out, _) = env.run(&["check", "acme/hostile", "--format", "json"]);
    let v = json(&out);
    assert_eq!(v["commercial"], "unknown", "{v}");
    assert_eq!(other.request_count(), 0, "another host was contacted");
    for r in env.hub.requests() {
        let p = r.path_only();
        assert!(
            p == "/api/models/acme/hostile" || p.starts_with("/acme/hostile/"),
            "request outside the repo: {}",
            r.path
        );
    }
    // The refused URL is a finding on the node (named as the card wrote it: a card is public text).
    assert!(v.to_string().contains("carries credentials"), "{v}");
    let (_, text, err) = env.run(&["check", "acme/hostile"]);
    assert!(
        !has_raw_controls(&text) && !has_raw_controls(&err),
        "{text}{err}"
    );
    assert!(text.contains("UNKNOWN"), "{text}");
}

#[test]
fn terminal_escapes_in_cards_are_neutralised() {
    let env = Env::empty();
    env.hub.add(
        RepoSpec::model("evil/base")
            .license("other")
            .license_name("\u{1b}]0;pwned\u{7}\u{1b}[2J\u{9b}31m\u{202e}")
            .license_link("LICENSE\r\n\u{1b}[1A"),
    );
    env.hub.add(
        RepoSpec::model("evil/child")
            .licenses(["mit", "\u{1b}[31mapache-2.0"])
            .base_model(["evil/base"]),
    );
    // A refusal whose message carries escapes too.
    env.hub.add(RepoSpec::model("evil/other").license("mit"));
    let _f = env.hub.fault(
        "model:evil/other",
        Fault::StatusBody(418, "no \u{1b}[31mtea\u{1b}]0;title\u{7} here".into()),
    );
    for args in [
        &["check", "evil/child"][..],
        &["graph", "evil/child", "--format", "tree"],
        &["check", "evil/other"],
    ] {
        let (_, out, err) = env.run(args);
        assert!(!out.is_empty(), "{args:?}: {err}");
        assert!(
            !has_raw_controls(&out) && !has_raw_controls(&err),
            "{args:?}:\n{out}\n{err}"
        );
    }
    let (_, out, _) = env.run(&["check", "evil/child"]);
    assert!(
        out.contains("\\u{1b}"),
        "escapes are shown, not dropped: {out}"
    );
}

#[test]
fn a_50_mb_card_is_a_clear_finding() {
    let env = Env::empty();
    env.hub.add(
        RepoSpec::model("big/card")
            .license("mit")
            .base_model(["big/base"])
            .no_card_data(),
    );
    env.hub
        .add(RepoSpec::model("big/base").license("apache-2.0"));
    let mut readme = String::from("---\nlicense: mit\nbase_model: big/base\n---\n");
    readme.push_str(&"A very long model card.\n".repeat(50 * 1024 * 1024 / 24));
    env.hub.add_readme(RepoKind::Model, "big/card", &readme);
    drop(readme);
    let (_, out, err) = env.run(&["check", "big/card", "--format", "json"]);
    let v = json(&out);
    assert_eq!(v["commercial"], "unknown", "{v}\n{err}");
    assert!(
        v.to_string().contains("larger than 32 MiB"),
        "the reason names the size limit: {v}"
    );
}

#[test]
fn ten_thousand_bases_stay_within_the_node_limit() {
    let env = Env::empty();
    let bases: Vec<String> = (0..10_000).map(|i| format!("parts/p{i}")).collect();
    for b in bases.iter().take(20) {
        env.hub.add(RepoSpec::model(b).license("mit"));
    }
    env.hub.add(
        RepoSpec::model("big/merge")
            .license("mit")
            .relation("merge")
            .base_model_list(bases.iter().map(String::as_str)),
    );
    let (_, out, err) = env.run(&[
        "check",
        "big/merge",
        "--format",
        "json",
        "--max-nodes",
        "50",
    ]);
    let v = json(&out);
    assert_eq!(v["commercial"], "unknown", "{err}");
    assert!(v.to_string().contains("node limit"), "{v}");
    assert!(
        env.hub.request_count() <= 60,
        "{} requests",
        env.hub.request_count()
    );
}

#[test]
fn a_token_echoed_by_a_spoofed_endpoint_is_not_shown() {
    let env = Env::empty();
    let secret = "hf_EchoedBackByTheEndpoint42";
    env.hub.add(RepoSpec::model("spoof/model").license("mit"));
    // The endpoint answers with an error page that repeats the Authorization header.
    let _f = env.hub.fault(
        "model:spoof/model",
        Fault::StatusBody(500, format!("bad request from Bearer {secret}")),
    );
    let mut c = env.cmd();
    c.args(["check", "spoof/model"]).env("HF_TOKEN", secret);
    let (_, out, err) = crate::util::run(c);
    assert!(!out.is_empty(), "{err}");
    assert!(
        !out.contains(secret) && !err.contains(secret),
        "{out}\n{err}"
    );
    assert!(
        env.hub
            .requests()
            .iter()
            .any(|r| r.authorization.as_deref() == Some(&format!("Bearer {secret}"))),
        "the token was sent"
    );
    for f in std::fs::read_dir(env.cache_dir()).unwrap() {
        let bytes = std::fs::read(f.unwrap().path()).unwrap();
        assert!(!bytes.windows(secret.len()).any(|w| w == secret.as_bytes()));
    }
}

/// Every file under `dir` (the cache), read as bytes: whether any contains `needle`.
fn any_file_contains(dir: &std::path::Path, needle: &str) -> bool {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return false;
    };
    entries.flatten().any(|e| {
        let p = e.path();
        if p.is_dir() {
            any_file_contains(&p, needle)
        } else {
            std::fs::read(&p).is_ok_and(|b| b.windows(needle.len()).any(|w| w == needle.as_bytes()))
        }
    })
}

/// Credentials in a base URL (`--endpoint`, `HF_ENDPOINT`) or in a MODEL URL are refused with a clear
/// error that never repeats them, and nothing is fetched or cached.
#[test]
fn credentials_in_urls_are_refused_and_never_repeated() {
    const SECRET: &str = "hf_UrlSecret42";
    let env = Env::empty();
    env.hub.add(RepoSpec::model("org/name").license("mit"));
    let host = env.hub.url().trim_start_matches("http://").to_string();
    let with_creds = format!("http://user:{SECRET}@{host}");
    let bare = || {
        let mut c = assert_cmd::Command::cargo_bin("lineage").unwrap();
        c.arg("--cache-dir")
            .arg(env.cache_dir())
            .env("HF_HOME", env.path("hf-home"))
            .env("NO_COLOR", "1")
            .env_remove("HF_TOKEN")
            .env_remove("HF_ENDPOINT");
        c
    };
    let mut runs = Vec::new();
    for format in ["text", "json", "spdx"] {
        let mut c = bare();
        c.args([
            "--endpoint",
            &with_creds,
            "check",
            "org/name",
            "--format",
            format,
        ]);
        runs.push(("--endpoint", crate::util::run(c)));
        let mut c = bare();
        c.env("HF_ENDPOINT", &with_creds)
            .args(["check", "org/name", "--format", format]);
        runs.push(("HF_ENDPOINT", crate::util::run(c)));
        // A MODEL URL with credentials, on the Hub's host and on the configured endpoint's.
        for model in [
            format!("https://user:{SECRET}@huggingface.co/org/name"),
            format!("{with_creds}/org/name"),
            format!("https://{SECRET}@[broken/org/name"),
        ] {
            runs.push(("MODEL", env.run(&["check", &model, "--format", format])));
        }
    }
    for (what, (code, out, err)) in &runs {
        assert_eq!(*code, 2, "{what}: {out}{err}");
        assert!(out.is_empty(), "{what}: {out}");
        assert!(err.contains("credentials"), "{what}: {err}");
        assert!(
            !out.contains(SECRET) && !err.contains(SECRET),
            "{what}: {err}"
        );
    }
    assert_eq!(env.hub.request_count(), 0, "nothing may be fetched");
    assert!(!any_file_contains(&env.cache_dir(), SECRET));
    // The error names the endpoint's problem without the credentials.
    assert!(
        runs[0].1 .2.contains("<endpoint with credentials>"),
        "{}",
        runs[0].1 .2
    );
}

/// A listing page of `n` children of `base`, the shape of the Hub's listing items, each card padded
/// with `pad` bytes of description.
fn listing_page(base: &str, n: usize, pad: usize) -> String {
    let pad = "x".repeat(pad);
    let items: Vec<String> = (0..n)
        .map(|i| {
            format!(
                r#"{{"_id":"{i:024x}","id":"kids/m-{i:06}","tags":["base_model:finetune:{base}","base_model:{base}","license:mit"],"cardData":{{"license":"mit","base_model":"{base}","description":"{pad}"}},"sha":"{i:040x}","lastModified":"2024-06-01T12:00:00.000Z"}}"#
            )
        })
        .collect();
    format!("[{}]", items.join(","))
}

/// A hostile endpoint answers the first listing page with 100,000 entries (the crawler asked for
/// 500): `descendants` reads the 500 asked for and says the listing is incomplete; a page larger than
/// the client's body bound (32 MiB) is refused with a clear message. Either way the answer comes in
/// bounded time, and memory is bounded by the body bound.
/// The first page of big/base's children, as the crawler asks for it.
const BIG_LISTING: &str = "/api/models?filter=base_model%3Abig%2Fbase";

#[test]
fn a_listing_page_of_100_000_entries_is_bounded() {
    let env = Env::empty();
    env.hub.add(RepoSpec::model("big/base").license("mit"));
    let page = listing_page("big/base", 100_000, 0);
    assert!(page.len() > 10 * 1024 * 1024, "{}", page.len());
    let _f = env
        .hub
        .fault(BIG_LISTING, Fault::JsonBody(page.as_str().into()));
    let started = std::time::Instant::now();
    let (code, out, err) = env.run(&["descendants", "big/base", "--format", "json"]);
    let took = started.elapsed();
    assert_eq!(code, 0, "{err}");
    let found = json(&out).as_array().unwrap().clone();
    assert_eq!(
        found.len(),
        500,
        "the page is read as far as the limit asked for"
    );
    assert!(found.iter().all(|d| d["commercial"] == "permitted"));
    assert!(
        err.contains("a listing page had 100000 entries, more than the 500 asked for"),
        "{err}"
    );
    // One request for the page; the 500 children came with their cards (no fetch of their own).
    assert_eq!(env.hub.requests_for(BIG_LISTING).len(), 1);
    assert!(env.hub.requests_for("/api/models/kids/").is_empty());
    assert!(took < std::time::Duration::from_secs(120), "{took:?}");

    // Past the body bound: refused, never buffered whole.
    let env = Env::empty();
    env.hub.add(RepoSpec::model("big/base").license("mit"));
    let big = listing_page("big/base", 100_000, 300);
    assert!(big.len() > 32 * 1024 * 1024, "{}", big.len());
    let _f = env
        .hub
        .fault(BIG_LISTING, Fault::JsonBody(big.as_str().into()));
    let (code, out, err) = env.run(&["descendants", "big/base", "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(json(&out), serde_json::json!([]));
    assert!(err.contains("larger than 32 MiB"), "{err}");
}
