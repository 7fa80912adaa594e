//! End-to-end tests of the server over real loopback sockets.

mod client;
mod commits;
mod fixtures;

use std::collections::HashSet;
use std::io::ErrorKind;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use self::client::{get, get_with, request, Conn};
use crate::{FakeHub, Fault, RepoKind, RepoSpec};

fn hub_with_llama() -> FakeHub {
    let hub = FakeHub::start();
    hub.add(
        RepoSpec::model("meta-llama/Llama-2-7b-hf")
            .license("llama2")
            .gated("manual")
            .file("LICENSE.txt", "LLAMA 2 COMMUNITY LICENSE AGREEMENT"),
    );
    hub.add(
        RepoSpec::model("acme/llama-lora")
            .license("apache-2.0")
            .base_model(["meta-llama/Llama-2-7b-hf"])
            .hub_relation("adapter")
            .revision("v1.0")
            .revision("refs/pr/1"),
    );
    hub
}

fn keys(v: &Value) -> Vec<&str> {
    let mut k: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    k.sort_unstable();
    k
}

fn tags(v: &Value) -> Vec<&str> {
    v["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect()
}

#[test]
fn model_info_has_the_hub_shape_and_headers() {
    let hub = hub_with_llama();
    let r = get(hub.addr(), "/api/models/acme/llama-lora");
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("content-type"),
        Some("application/json; charset=utf-8")
    );
    assert!(r.header("x-request-id").unwrap().starts_with("Root=1-"));
    assert!(r.header("etag").unwrap().starts_with("W/\""));
    let v = r.json();
    assert_eq!(v["id"], "acme/llama-lora");
    assert_eq!(v["modelId"], "acme/llama-lora");
    assert_eq!(v["author"], "acme");
    assert_eq!(v["cardData"]["base_model"], "meta-llama/Llama-2-7b-hf");
    assert_eq!(r.header("x-repo-commit"), v["sha"].as_str());
    let t = tags(&v);
    assert!(t.contains(&"base_model:adapter:meta-llama/Llama-2-7b-hf"));
    assert!(t.contains(&"license:apache-2.0"));
    // Only sent when expanded.
    assert!(v.get("baseModels").is_none());

    let ids: HashSet<String> = (0..3)
        .map(|_| {
            get(hub.addr(), "/api/models/acme/llama-lora")
                .header("x-request-id")
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(ids.len(), 3, "request ids are unique");

    let base = get(hub.addr(), "/api/models/meta-llama/Llama-2-7b-hf").json();
    assert_eq!(base["gated"], "manual");
}

#[test]
fn ids_without_org_and_datasets() {
    let hub = FakeHub::start();
    hub.add(RepoSpec::model("gpt2").license("mit"));
    hub.add(RepoSpec::dataset("tatsu-lab/alpaca").license("cc-by-nc-4.0"));
    let v = get(hub.addr(), "/api/models/gpt2").json();
    assert_eq!(v["id"], "gpt2");
    assert_eq!(v["author"], "gpt2");
    let d = get(hub.addr(), "/api/datasets/tatsu-lab/alpaca").json();
    assert_eq!(d["cardData"]["license"], "cc-by-nc-4.0");
    assert!(d.get("modelId").is_none());
    assert_eq!(get(hub.addr(), "/api/models/tatsu-lab/alpaca").status, 404);
    let readme = get(hub.addr(), "/datasets/tatsu-lab/alpaca/raw/main/README.md");
    assert_eq!(readme.status, 200);
    assert!(readme
        .text()
        .starts_with("---\nlicense: cc-by-nc-4.0\n---\n"));
    assert_eq!(get(hub.addr(), "/gpt2/raw/main/README.md").status, 200);
}

#[test]
fn revisions() {
    let hub = hub_with_llama();
    let sha = hub.info(RepoKind::Model, "acme/llama-lora").unwrap()["sha"]
        .as_str()
        .unwrap()
        .to_string();
    for rev in ["main", "HEAD", sha.as_str(), "v1.0", "refs%2Fpr%2F1"] {
        let r = get(
            hub.addr(),
            &format!("/api/models/acme/llama-lora/revision/{rev}"),
        );
        assert_eq!(r.status, 200, "revision {rev}");
        assert_eq!(r.json()["sha"], sha.as_str());
    }
    let r = get(hub.addr(), "/api/models/acme/llama-lora/revision/nope");
    assert_eq!(r.status, 404);
    assert_eq!(r.header("x-error-code"), Some("RevisionNotFound"));
    assert_eq!(r.json()["error"], "Invalid rev id: nope");
    let r = get(hub.addr(), "/acme/llama-lora/raw/nope/README.md");
    assert_eq!(r.header("x-error-code"), Some("RevisionNotFound"));
    let r = get(hub.addr(), "/acme/llama-lora/raw/v1.0/README.md");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("text/plain; charset=utf-8"));
    assert_eq!(r.header("x-repo-commit"), Some(sha.as_str()));
}

#[test]
fn expand_returns_only_requested_fields() {
    let hub = hub_with_llama();
    hub.add(
        RepoSpec::model("acme/llama-gguf")
            .base_model(["meta-llama/Llama-2-7b-hf"])
            .relation("quantized"),
    );
    let v = get(
        hub.addr(),
        "/api/models/acme/llama-lora?expand=author&expand=baseModels",
    )
    .json();
    assert_eq!(keys(&v), vec!["_id", "author", "baseModels", "id"]);
    assert_eq!(v["baseModels"]["relation"], "adapter");
    let parent_oid = hub
        .info(RepoKind::Model, "meta-llama/Llama-2-7b-hf")
        .unwrap()["_id"]
        .clone();
    assert_eq!(
        v["baseModels"]["models"],
        json!([{"_id": parent_oid, "id": "meta-llama/Llama-2-7b-hf"}])
    );

    let v = get(
        hub.addr(),
        "/api/models/acme/llama-lora?expand%5B%5D=cardData&expand[]=downloads",
    )
    .json();
    assert_eq!(keys(&v), vec!["_id", "cardData", "downloads", "id"]);

    let v = get(
        hub.addr(),
        "/api/models/meta-llama/Llama-2-7b-hf?expand=childrenModelCount",
    )
    .json();
    assert_eq!(
        v["childrenModelCount"],
        json!({"adapter": 1, "quantized": 1})
    );

    // A requested field the repo does not have is left out, as the Hub does.
    let v = get(
        hub.addr(),
        "/api/models/meta-llama/Llama-2-7b-hf?expand=baseModels",
    )
    .json();
    assert_eq!(keys(&v), vec!["_id", "id"]);

    let r = get(
        hub.addr(),
        "/api/models/acme/llama-lora?expand=author&expand=bogus",
    );
    assert_eq!(r.status, 400);
    let err = r.json()["error"].as_str().unwrap().to_string();
    assert!(
        err.starts_with("\"expand\" must be one of [author, baseModels, cardData,"),
        "{err}"
    );

    for field in ["baseModels", "childrenModelCount", "usedStorage"] {
        let r = get(hub.addr(), &format!("/api/models?expand={field}"));
        assert_eq!(r.status, 400, "{field} on the listing");
        assert!(!r.json()["error"].as_str().unwrap().contains(field));
    }
    let r = get(hub.addr(), "/api/models?expand=author&expand=gated");
    assert_eq!(r.status, 200);
    for item in r.json().as_array().unwrap() {
        assert_eq!(keys(item), vec!["_id", "author", "gated", "id"]);
    }

    let r = get(hub.addr(), "/api/datasets/x/y?expand=baseModels");
    assert_eq!(r.status, 400, "datasets have no baseModels");
}

#[test]
fn listing_filters_combine_with_and() {
    let hub = hub_with_llama();
    hub.add(
        RepoSpec::model("acme/llama-gguf")
            .base_model(["meta-llama/Llama-2-7b-hf"])
            .relation("quantized")
            .tag("gguf"),
    );
    hub.add(
        RepoSpec::model("other/llama-ft")
            .base_model(["meta-llama/Llama-2-7b-hf"])
            .license("llama2"),
    );
    let ids = |target: &str| -> Vec<String> {
        let r = get(hub.addr(), target);
        assert_eq!(r.status, 200, "{target}");
        r.json()
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["id"].as_str().unwrap().to_string())
            .collect()
    };
    let children = "/api/models?filter=base_model:meta-llama/Llama-2-7b-hf";
    assert_eq!(
        ids(children),
        vec!["acme/llama-gguf", "acme/llama-lora", "other/llama-ft"]
    );
    assert_eq!(
        ids("/api/models?filter=base_model%3Aquantized%3Ameta-llama%2FLlama-2-7b-hf"),
        vec!["acme/llama-gguf"]
    );
    assert_eq!(
        ids("/api/models?filter=base_model:meta-llama/Llama-2-7b-hf&filter=gguf"),
        vec!["acme/llama-gguf"]
    );
    assert_eq!(
        ids("/api/models?filter=base_model:meta-llama/Llama-2-7b-hf,license:llama2"),
        vec!["other/llama-ft"]
    );
    assert_eq!(
        ids(&format!("{children}&author=acme")),
        vec!["acme/llama-gguf", "acme/llama-lora"]
    );
    assert_eq!(
        ids(&format!("{children}&search=LORA")),
        vec!["acme/llama-lora"]
    );
    assert!(ids("/api/models?filter=base_model:nobody/none").is_empty());

    // Listings follow repos replaced (with other tags) and removed.
    hub.add(RepoSpec::model("other/llama-ft").license("mit"));
    assert!(hub.remove(RepoKind::Model, "acme/llama-gguf"));
    assert_eq!(ids(children), vec!["acme/llama-lora"]);
    assert!(
        ids("/api/models?filter=base_model%3Aquantized%3Ameta-llama%2FLlama-2-7b-hf").is_empty()
    );
    assert_eq!(
        ids("/api/models?filter=license:mit"),
        vec!["other/llama-ft"]
    );
    hub.add(
        RepoSpec::model("other/llama-ft")
            .base_model(["meta-llama/Llama-2-7b-hf"])
            .license("llama2"),
    );
    hub.add(
        RepoSpec::model("acme/llama-gguf")
            .base_model(["meta-llama/Llama-2-7b-hf"])
            .relation("quantized")
            .tag("gguf"),
    );

    let plain = get(hub.addr(), children).json();
    assert!(plain[0].get("cardData").is_none());
    assert!(plain[0].get("siblings").is_none());
    let with_card = get(hub.addr(), &format!("{children}&cardData=true")).json();
    assert_eq!(
        with_card[0]["cardData"]["base_model"],
        "meta-llama/Llama-2-7b-hf"
    );
    let full = get(hub.addr(), &format!("{children}&full=true")).json();
    assert!(full[0].get("siblings").is_some() && full[0].get("sha").is_some());

    let r = get(hub.addr(), "/api/models?limit=abc");
    assert_eq!(r.status, 400);
    let r = get(hub.addr(), "/api/models?cursor=garbage!");
    assert_eq!(r.status, 400);
}

#[test]
fn pagination_walks_every_page() {
    let hub = FakeHub::start();
    for i in 0..250 {
        hub.add(RepoSpec::model(&format!("org/child-{i:03}")).base_model(["org/root"]));
    }
    hub.add(RepoSpec::model("org/unrelated"));
    let mut next = Some(format!(
        "{}/api/models?filter=base_model:org/root&limit=100",
        hub.url()
    ));
    let mut seen = Vec::new();
    let mut pages = 0;
    while let Some(url) = next.take() {
        let target = url
            .strip_prefix(&hub.url())
            .expect("next links point at the hub itself");
        let r = get(hub.addr(), target);
        assert_eq!(r.status, 200);
        assert_eq!(r.header("x-total-count"), Some("250"));
        pages += 1;
        seen.extend(
            r.json()
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m["id"].as_str().unwrap().to_string()),
        );
        if let Some(link) = r.header("link") {
            let (url, rel) = link.split_once(">; ").unwrap();
            assert_eq!(rel, "rel=\"next\"");
            let url = url.strip_prefix('<').unwrap().to_string();
            assert!(url.contains("filter=base_model:org/root") && url.contains("limit=100"));
            assert_eq!(url.matches("cursor=").count(), 1);
            next = Some(url);
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(seen.len(), 250);
    assert_eq!(seen.iter().collect::<HashSet<_>>().len(), 250);

    // Default page size is 100, the cap 1000.
    assert_eq!(
        get(hub.addr(), "/api/models")
            .json()
            .as_array()
            .unwrap()
            .len(),
        100
    );
    assert_eq!(
        get(hub.addr(), "/api/models?limit=5000")
            .json()
            .as_array()
            .unwrap()
            .len(),
        251
    );
    let sorted = get(hub.addr(), "/api/models?sort=id&direction=-1&limit=1").json();
    assert_eq!(sorted[0]["id"], "org/unrelated");
}

#[test]
fn if_none_match_gives_304() {
    let hub = hub_with_llama();
    let first = get(hub.addr(), "/api/models/acme/llama-lora");
    let etag = first.header("etag").unwrap().to_string();
    let again = get_with(
        hub.addr(),
        "/api/models/acme/llama-lora",
        &[("If-None-Match", &etag)],
    );
    assert_eq!(again.status, 304);
    assert!(again.body.is_empty());
    assert_eq!(again.header("etag"), Some(etag.as_str()));
    let other = get_with(
        hub.addr(),
        "/api/models/acme/llama-lora",
        &[("If-None-Match", "W/\"other\"")],
    );
    assert_eq!(other.status, 200);

    let readme = get(hub.addr(), "/acme/llama-lora/raw/main/README.md");
    let etag = readme.header("etag").unwrap().to_string();
    assert!(etag.starts_with('"'));
    let again = get_with(
        hub.addr(),
        "/acme/llama-lora/raw/main/README.md",
        &[("If-None-Match", &etag)],
    );
    assert_eq!(again.status, 304);

    // A changed repo gets a new ETag.
    hub.add(RepoSpec::model("acme/llama-lora").license("mit"));
    let changed = get_with(
        hub.addr(),
        "/api/models/acme/llama-lora",
        &[("If-None-Match", &etag)],
    );
    assert_eq!(changed.status, 200);
}

#[test]
fn error_faults_use_the_hub_conventions() {
    let hub = hub_with_llama();
    let target = "/api/models/acme/llama-lora";
    let fault = |f: Fault| {
        hub.clear_faults();
        hub.fault("model:acme/llama-lora", f);
        let r = get(hub.addr(), target);
        assert!(r.header("x-request-id").is_some());
        r
    };

    let r = fault(Fault::NotFound);
    assert_eq!(r.status, 404);
    assert_eq!(r.header("x-error-code"), Some("RepoNotFound"));
    assert_eq!(r.header("x-error-message"), Some("Repository not found"));
    assert_eq!(r.json(), json!({"error": "Repository not found"}));

    let r = fault(Fault::Unauthorized);
    assert_eq!(r.status, 401);
    assert_eq!(r.json(), json!({"error": "Invalid username or password."}));

    let r = fault(Fault::InvalidCredentials);
    assert_eq!(r.status, 401);
    assert_eq!(
        r.header("x-error-message"),
        Some("Invalid credentials in Authorization header")
    );

    let r = fault(Fault::Gated);
    assert_eq!(r.status, 403);
    assert_eq!(r.header("x-error-code"), Some("GatedRepo"));
    assert!(r.json()["error"]
        .as_str()
        .unwrap()
        .starts_with("Access to model acme/llama-lora is restricted"));

    let r = fault(Fault::Disabled);
    assert_eq!(r.status, 403);
    assert_eq!(
        r.header("x-error-message"),
        Some("Access to this resource is disabled.")
    );

    let r = fault(Fault::redirect("acme/renamed"));
    assert_eq!(r.status, 307);
    assert_eq!(r.header("location"), Some("/api/models/acme/renamed"));
    assert_eq!(r.header("content-type"), Some("text/plain; charset=utf-8"));
    assert_eq!(
        r.text(),
        "Temporary Redirect. Redirecting to /api/models/acme/renamed"
    );

    let r = fault(Fault::rate_limited(42));
    assert_eq!(r.status, 429);
    assert_eq!(r.header("ratelimit"), Some("\"api\";r=0;t=42"));
    assert_eq!(
        r.header("ratelimit-policy"),
        Some("\"fixed window\";\"api\";q=500;w=300")
    );
    assert_eq!(r.header("retry-after"), Some("42"));
    let r = fault(Fault::RateLimited {
        reset: None,
        retry_after: Some(7),
    });
    assert_eq!(
        (r.header("ratelimit"), r.header("retry-after")),
        (None, Some("7"))
    );

    let r = fault(Fault::ServerError);
    assert_eq!(r.status, 500);
    assert!(r.json()["error"].is_string());
    let r = fault(Fault::BadGateway);
    assert_eq!(r.status, 502);
    assert!(r.text().contains("502 Bad Gateway"));
    let r = fault(Fault::ServiceUnavailable);
    assert_eq!(r.status, 503);
    let r = fault(Fault::Status(504));
    assert_eq!(r.status, 504);
}

#[test]
fn transport_faults() {
    let hub = hub_with_llama();
    let target = "/api/models/acme/llama-lora";

    hub.fault("model:acme/llama-lora", Fault::Truncated)
        .times(1);
    let r = get(hub.addr(), target);
    assert_eq!(r.status, 200);
    assert!(!r.complete, "the body must be shorter than Content-Length");
    assert!(serde_json::from_slice::<Value>(&r.body).is_err());
    assert!(get(hub.addr(), target).complete);

    hub.fault("model:acme/llama-lora", Fault::Reset).times(1);
    let err = request(hub.addr(), "GET", target, &[]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ConnectionReset, "{err}");

    hub.fault("model:acme/llama-lora", Fault::Close).times(1);
    let err = request(hub.addr(), "GET", target, &[]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::UnexpectedEof, "{err}");

    hub.fault(
        "model:acme/llama-lora",
        Fault::Slow(Duration::from_millis(300)),
    )
    .times(1);
    let t = Instant::now();
    assert_eq!(get(hub.addr(), target).status, 200);
    assert!(t.elapsed() >= Duration::from_millis(300));

    hub.set_latency(Duration::from_millis(100));
    let t = Instant::now();
    get(hub.addr(), target);
    assert!(t.elapsed() >= Duration::from_millis(100));
    hub.set_latency(Duration::ZERO);
}

#[test]
fn faults_can_be_limited_and_targeted() {
    let hub = hub_with_llama();
    let h = hub
        .fault("model:acme/llama-lora", Fault::ServerError)
        .times(2);
    assert_eq!(h.remaining(), Some(2));
    let statuses: Vec<u16> = (0..3)
        .map(|_| get(hub.addr(), "/api/models/acme/llama-lora").status)
        .collect();
    assert_eq!(statuses, vec![500, 500, 200]);
    assert_eq!(h.hits(), 2);

    // A repo fault covers revisions and files; other repos are untouched.
    hub.fault("model:acme/llama-lora", Fault::NotFound);
    assert_eq!(
        get(hub.addr(), "/api/models/acme/llama-lora/revision/main").status,
        404
    );
    assert_eq!(
        get(hub.addr(), "/acme/llama-lora/raw/main/README.md").status,
        404
    );
    assert_eq!(
        get(hub.addr(), "/api/models/meta-llama/Llama-2-7b-hf").status,
        200
    );
    hub.clear_faults();

    hub.fault("list:models", Fault::ServiceUnavailable).times(1);
    assert_eq!(get(hub.addr(), "/api/models?filter=x").status, 503);
    assert_eq!(get(hub.addr(), "/api/models?filter=x").status, 200);

    hub.fault("/meta-llama/", Fault::Gated);
    assert_eq!(
        get(hub.addr(), "/meta-llama/Llama-2-7b-hf/raw/main/README.md").status,
        403
    );
    assert_eq!(
        get(hub.addr(), "/api/models/meta-llama/Llama-2-7b-hf").status,
        200
    );
    hub.clear_faults();

    hub.fault("*", Fault::ServerError).times(1);
    assert_eq!(get(hub.addr(), "/api/datasets/x/y").status, 500);
    assert_eq!(get(hub.addr(), "/api/datasets/x/y").status, 404);

    // A redirect on a file keeps the route.
    hub.fault("dataset:x/old", Fault::redirect("x/new"));
    let r = get(
        hub.addr(),
        "/datasets/x/old/raw/refs%2Fpr%2F2/README.md?download=true",
    );
    assert_eq!(
        r.header("location"),
        Some("/datasets/x/new/raw/refs%2Fpr%2F2/README.md?download=true")
    );
}

#[test]
fn repo_states_renames_and_tokens() {
    let hub = hub_with_llama();
    hub.add(RepoSpec::model("acme/secret").private());
    hub.add(RepoSpec::dataset("laion/laion-art").disabled());
    hub.rename(RepoKind::Model, "llama-lora", "acme/llama-lora");

    let r = get(hub.addr(), "/api/models/nobody/nothing");
    assert_eq!(
        (r.status, r.header("x-error-code")),
        (404, Some("RepoNotFound"))
    );

    let r = get(hub.addr(), "/api/models/acme/secret");
    assert_eq!(r.status, 401);
    assert_eq!(r.header("x-error-code"), Some("RepoNotFound"));
    let bearer = [("Authorization", "Bearer hf_anything")];
    assert_eq!(
        get_with(hub.addr(), "/api/models/acme/secret", &bearer).status,
        200
    );
    assert!(!get(hub.addr(), "/api/models")
        .text()
        .contains("acme/secret"));

    let r = get(hub.addr(), "/api/datasets/laion/laion-art");
    assert_eq!(r.status, 403);
    assert_eq!(
        r.header("x-error-message"),
        Some("Access to this resource is disabled.")
    );

    let r = get(
        hub.addr(),
        "/api/models/llama-lora/revision/v1.0?expand=sha",
    );
    assert_eq!(r.status, 307);
    assert_eq!(
        r.header("location"),
        Some("/api/models/acme/llama-lora/revision/v1.0?expand=sha")
    );
    let r = get(hub.addr(), "/llama-lora/raw/main/README.md");
    assert_eq!(
        r.header("location"),
        Some("/acme/llama-lora/raw/main/README.md")
    );

    // Gated: metadata and README public, other files 403 unless logged in.
    assert_eq!(
        get(hub.addr(), "/meta-llama/Llama-2-7b-hf/raw/main/README.md").status,
        200
    );
    let r = get(hub.addr(), "/meta-llama/Llama-2-7b-hf/raw/main/LICENSE.txt");
    assert_eq!(
        (r.status, r.header("x-error-code")),
        (403, Some("GatedRepo"))
    );
    let r = get_with(
        hub.addr(),
        "/meta-llama/Llama-2-7b-hf/raw/main/LICENSE.txt",
        &bearer,
    );
    assert_eq!(r.text(), "LLAMA 2 COMMUNITY LICENSE AGREEMENT");
    let r = get(hub.addr(), "/acme/llama-lora/raw/main/missing.txt");
    assert_eq!(
        (r.status, r.header("x-error-code")),
        (404, Some("EntryNotFound"))
    );

    hub.require_token("hf_xxx");
    assert_eq!(get(hub.addr(), "/api/models/acme/llama-lora").status, 401);
    let r = get_with(hub.addr(), "/api/models/acme/llama-lora", &bearer);
    assert_eq!(r.status, 401);
    assert_eq!(
        r.json()["error"],
        "Invalid credentials in Authorization header"
    );
    let ok = [("Authorization", "Bearer hf_xxx")];
    assert_eq!(
        get_with(hub.addr(), "/api/models/acme/llama-lora", &ok).status,
        200
    );
    assert_eq!(
        get_with(hub.addr(), "/api/models/acme/secret", &ok).status,
        200
    );
}

#[test]
fn requests_are_recorded() {
    let hub = hub_with_llama();
    hub.fault("model:acme/llama-lora", Fault::Reset).times(1);
    let _ = request(hub.addr(), "GET", "/api/models/acme/llama-lora", &[]);
    get_with(
        hub.addr(),
        "/api/models/acme/llama-lora?expand=sha",
        &[("Authorization", "Bearer hf_abc")],
    );
    get(hub.addr(), "/api/models?filter=base_model:x%2Fy");
    assert_eq!(hub.request_count(), 3);
    let all = hub.requests();
    assert_eq!(all[0].method, "GET");
    assert_eq!(all[0].path, "/api/models/acme/llama-lora");
    assert_eq!(all[0].authorization, None);
    assert_eq!(all[1].authorization.as_deref(), Some("Bearer hf_abc"));
    assert_eq!(all[1].path_only(), "/api/models/acme/llama-lora");
    assert_eq!(all[2].path, "/api/models?filter=base_model:x%2Fy");
    assert_eq!(hub.requests_for("/api/models/acme/").len(), 2);
    assert_eq!(hub.requests_for("/api/models?").len(), 1);
    hub.reset_requests();
    assert_eq!(hub.request_count(), 0);
    assert!(hub.requests().is_empty());
}

#[test]
fn keep_alive_head_and_bad_requests() {
    let hub = hub_with_llama();
    let mut conn = Conn::open(hub.addr());
    for _ in 0..3 {
        conn.send("GET", "/api/models/acme/llama-lora", &[], true);
        let r = conn.read_reply(false).unwrap();
        assert_eq!(r.status, 200);
        assert_eq!(r.header("connection"), Some("keep-alive"));
        assert_eq!(r.json()["id"], "acme/llama-lora");
    }
    conn.send("HEAD", "/api/models/acme/llama-lora", &[], true);
    let head = conn.read_reply(true).unwrap();
    assert_eq!(head.status, 200);
    assert!(
        head.header("content-length")
            .unwrap()
            .parse::<usize>()
            .unwrap()
            > 0
    );
    conn.send("GET", "/api/models/acme/llama-lora", &[], false);
    assert_eq!(conn.read_reply(false).unwrap().status, 200);

    assert_eq!(
        request(hub.addr(), "POST", "/api/models/acme/llama-lora", &[])
            .unwrap()
            .status,
        405
    );
    assert_eq!(get(hub.addr(), "/nothing/here").status, 404);

    let mut conn = Conn::open(hub.addr());
    conn.send("GET", "/a b c d", &[], true);
    assert_eq!(conn.read_reply(false).unwrap().status, 400);
}

#[test]
fn drop_shuts_the_server_down() {
    let hub = hub_with_llama();
    let addr = hub.addr();
    // An idle keep-alive connection must not keep the server alive.
    let mut idle = Conn::open(addr);
    idle.send("GET", "/api/models/acme/llama-lora", &[], true);
    idle.read_reply(false).unwrap();
    drop(hub);
    assert!(idle.read_reply(false).is_err());
    assert!(std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err());
}

#[test]
fn family_tree_builds_a_crawlable_family() {
    let hub = FakeHub::start();
    let ids = hub.family_tree("family/base", 3, 6);
    assert_eq!(ids.len(), 3 + 9 + 27 + 81 + 243 + 729);
    assert!(hub.info(RepoKind::Model, "family/base").is_some());
    let first = get(
        hub.addr(),
        "/api/models/family/base-0?expand=baseModels&expand=cardData",
    )
    .json();
    assert_eq!(first["cardData"]["base_model"], "family/base");
    let children = get(hub.addr(), "/api/models?filter=base_model:family/base-1.0").json();
    assert_eq!(children.as_array().unwrap().len(), 3);
    let relations: HashSet<String> = ids
        .iter()
        .map(|id| {
            hub.info(RepoKind::Model, id).unwrap()["baseModels"]["relation"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(relations.len(), 4, "{relations:?}");
    // Every base named by a family member exists.
    for id in &ids {
        let info = hub.info(RepoKind::Model, id).unwrap();
        for m in info["baseModels"]["models"].as_array().unwrap() {
            assert!(hub
                .info(RepoKind::Model, m["id"].as_str().unwrap())
                .is_some());
        }
    }
}
