//! Crawls against the fake Hub on loopback (lineage-fakehub), each with its own temporary cache.

/// The fault soak (ignored by default: it is long), beside the other crawls against the fake Hub.
mod soak;

/// Datasets written by models and hosted services: the crawler never requests a service.
mod generated;

use crate::{
    Crawl, CrawlRequest, Direction, Event, Hub, Recorder, RetryPolicy, Settings, Target, Token,
};
use lineage_core::{
    assess, Clarifications, ClarifySource, DatasetPolicy, Fact, Fallback, Graph, KnowledgeBase,
    Node, NodeKey, Propagation, Relation, Resolution, Verdict,
};
use lineage_fakehub::{FakeHub, Fault, RepoKind, RepoSpec};
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::{Duration, Instant};

/// Settings for the fake hub with quick retries, so fault tests take milliseconds, and no hedging,
/// so the requests a test counts do not depend on how busy the machine is.
fn settings(hub: &FakeHub, cache: &Path) -> Settings {
    let mut s = Settings::new(&hub.url(), cache).unwrap();
    s.hedge = false;
    s.retry = RetryPolicy {
        max_retries: 3,
        min_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(40),
        max_rate_limit_wait: Duration::from_secs(5),
        timeout: Duration::from_secs(2),
    };
    s
}

async fn crawl_with(s: Settings, roots: &[&str], direction: Direction) -> Crawl {
    let hub = Hub::new(s).unwrap();
    let roots = roots.iter().map(|r| Target::parse(r).unwrap()).collect();
    hub.crawl(
        &CrawlRequest::new(roots, direction),
        &Clarifications::none(),
    )
    .await
    .unwrap()
}

async fn crawl(hub: &FakeHub, cache: &Path, roots: &[&str], direction: Direction) -> Crawl {
    crawl_with(settings(hub, cache), roots, direction).await
}

fn node<'a>(c: &'a Crawl, key: &str) -> &'a Node {
    let k = NodeKey::parse(key).unwrap_or_else(|| panic!("bad key {key}"));
    let ix = c
        .graph
        .find(&k)
        .unwrap_or_else(|| panic!("{key} not in the graph: {:?}", shape(&c.graph).0.keys()));
    c.graph.node(ix)
}

fn edge_set(g: &Graph) -> Edges {
    g.edges()
        .map(|(p, c, r)| (g.node(p).key.to_string(), g.node(c).key.to_string(), r))
        .collect()
}

fn has_edge(c: &Crawl, parent: &str, child: &str, rel: Relation) -> bool {
    edge_set(&c.graph).contains(&(parent.to_string(), child.to_string(), rel))
}

type Edges = BTreeSet<(String, String, Relation)>;

/// Everything a graph says, in a comparable form.
fn shape(g: &Graph) -> (BTreeMap<String, String>, Edges) {
    let nodes = g
        .node_indices()
        .map(|ix| {
            let n = g.node(ix);
            (
                n.key.to_string(),
                format!(
                    "{:?} {:?} {:?} {}",
                    n.resolution, n.declared, n.revision, n.gated
                ),
            )
        })
        .collect();
    (nodes, edge_set(g))
}

fn verdict(c: &Crawl, root: usize) -> Verdict {
    let kb = KnowledgeBase::builtin();
    let prop = Propagation::run(&c.graph, &kb, DatasetPolicy::Strict);
    assess(&c.graph, &prop, &kb, c.roots[root]).commercial
}

/// base ← finetune (trained on a dataset) ← GGUF quantization; the dataset derives from another.
fn chain_hub() -> FakeHub {
    let hub = FakeHub::start();
    hub.add(RepoSpec::model("acme/base").license("apache-2.0"));
    hub.add(
        RepoSpec::model("acme/chat")
            .license("apache-2.0")
            .base_model(["acme/base"])
            .datasets(["data/instruct"]),
    );
    hub.add(
        RepoSpec::model("quant/chat-GGUF")
            .base_model(["acme/chat"])
            .relation("quantized")
            .tag("gguf"),
    );
    hub.add(
        RepoSpec::dataset("data/instruct")
            .license("cc-by-4.0")
            .source_datasets(["original", "extended|data/seed", "free text, not an id"]),
    );
    hub.add(RepoSpec::dataset("data/seed").license("cc0-1.0"));
    hub
}

#[tokio::test]
async fn up_crawl_follows_bases_datasets_and_source_datasets() {
    let hub = chain_hub();
    let d = tempfile::tempdir().unwrap();
    let c = crawl(&hub, d.path(), &["quant/chat-GGUF"], Direction::Up).await;
    assert_eq!(c.graph.node_count(), 5);
    assert!(has_edge(
        &c,
        "model:acme/chat",
        "model:quant/chat-GGUF",
        Relation::Quantized
    ));
    assert!(has_edge(
        &c,
        "model:acme/base",
        "model:acme/chat",
        Relation::Finetune
    ));
    assert!(has_edge(
        &c,
        "dataset:data/instruct",
        "model:acme/chat",
        Relation::TrainedOn
    ));
    assert!(has_edge(
        &c,
        "dataset:data/seed",
        "dataset:data/instruct",
        Relation::DerivedFrom
    ));
    assert_eq!(c.graph.edge_count(), 4);
    for ix in c.graph.node_indices() {
        assert_eq!(c.graph.node(ix).resolution, Resolution::Found);
    }
    let base = node(&c, "model:acme/base");
    assert_eq!(
        base.revision.as_deref(),
        Some(lineage_fakehub::default_sha("acme/base").as_str())
    );
    assert_eq!(base.declared.license, vec!["apache-2.0"]);
    // One request per repo, and each asks for exactly the fields lineage reads.
    assert_eq!(c.stats.requests, 5);
    assert_eq!(hub.request_count(), 5);
    assert_eq!(c.stats.repos, 5);
    for r in hub.requests() {
        assert!(r.path.contains("expand=cardData"), "{}", r.path);
    }
    assert_eq!(c.roots.len(), 1);
    assert_eq!(
        c.graph.node(c.roots[0]).key,
        NodeKey::model("quant/chat-GGUF")
    );
}

#[tokio::test]
async fn card_data_in_every_shape() {
    let hub = FakeHub::start();
    hub.add(RepoSpec::model("org/base").license("apache-2.0"));
    hub.add(RepoSpec::model("org/other").license("mit"));
    // base_model as a string, with license: other + license_name + license_link.
    hub.add(
        RepoSpec::model("org/string")
            .license("other")
            .license_name("tongyi-qianwen")
            .license_link("https://huggingface.co/Qwen/Qwen-7B/blob/main/LICENSE")
            .base_model(["org/base"]),
    );
    // base_model as a one-item list, license as a list.
    hub.add(
        RepoSpec::model("org/list")
            .licenses(["apache-2.0", "mit"])
            .base_model_list(["org/base"]),
    );
    // Two bases: a merge.
    hub.add(
        RepoSpec::model("org/merge")
            .license("mit")
            .base_model(["org/base", "org/other"]),
    );
    // The card says nothing about the relation; the Hub's baseModels says adapter.
    hub.add(
        RepoSpec::model("org/lora")
            .license("apache-2.0")
            .base_model(["org/base"])
            .hub_relation("adapter"),
    );
    // No base_model in the card: the Hub's baseModels object alone.
    hub.add(RepoSpec::model("org/bm-only").license("mit").field(
        "baseModels",
        json!({"relation": "quantized", "models": [{"_id": "x", "id": "org/base"}]}),
    ));
    // No base_model and no baseModels: base_model:<relation>:<id> tags, and dataset:<id> tags.
    hub.add(RepoSpec::model("org/tags-only").license("mit").field(
        "tags",
        json!([
            "base_model:org/base",
            "base_model:adapter:org/base",
            "dataset:ds/tagged"
        ]),
    ));
    hub.add(RepoSpec::dataset("ds/tagged").licenses(["cc-by-4.0"]));
    // A Hub URL, another host's URL and a local path as base models.
    hub.add(RepoSpec::model("org/urls").license("mit").base_model([
        "https://huggingface.co/org/base",
        "https://evil.example/x/y",
        "/workspace/ckpt-500",
    ]));
    let roots = [
        "org/string",
        "org/list",
        "org/merge",
        "org/lora",
        "org/bm-only",
        "org/tags-only",
        "org/urls",
    ];
    let d = tempfile::tempdir().unwrap();
    let c = crawl(&hub, d.path(), &roots, Direction::Up).await;

    let s = node(&c, "model:org/string");
    assert_eq!(s.declared.license, vec!["other"]);
    assert_eq!(s.declared.license_name.as_deref(), Some("tongyi-qianwen"));
    assert!(s
        .declared
        .license_link
        .as_deref()
        .unwrap()
        .ends_with("/LICENSE"));
    assert!(has_edge(
        &c,
        "model:org/base",
        "model:org/string",
        Relation::Finetune
    ));

    assert_eq!(
        node(&c, "model:org/list").declared.license,
        vec!["apache-2.0", "mit"]
    );
    assert!(has_edge(
        &c,
        "model:org/base",
        "model:org/list",
        Relation::Finetune
    ));

    assert!(has_edge(
        &c,
        "model:org/base",
        "model:org/merge",
        Relation::Merge
    ));
    assert!(has_edge(
        &c,
        "model:org/other",
        "model:org/merge",
        Relation::Merge
    ));

    assert!(has_edge(
        &c,
        "model:org/base",
        "model:org/lora",
        Relation::Adapter
    ));

    assert_eq!(
        node(&c, "model:org/bm-only").declared.base_model,
        vec!["org/base"]
    );
    assert!(has_edge(
        &c,
        "model:org/base",
        "model:org/bm-only",
        Relation::Quantized
    ));

    assert!(has_edge(
        &c,
        "model:org/base",
        "model:org/tags-only",
        Relation::Adapter
    ));
    assert!(has_edge(
        &c,
        "dataset:ds/tagged",
        "model:org/tags-only",
        Relation::TrainedOn
    ));
    assert_eq!(
        node(&c, "dataset:ds/tagged").declared.license,
        vec!["cc-by-4.0"]
    );

    // The Hub URL became an id; the others are invalid references, never contacted.
    assert!(has_edge(
        &c,
        "model:org/base",
        "model:org/urls",
        Relation::Merge
    ));
    for bad in [
        "model:https://evil.example/x/y",
        "model:/workspace/ckpt-500",
    ] {
        assert!(
            matches!(node(&c, bad).resolution, Resolution::Invalid { .. }),
            "{bad}: {:?}",
            node(&c, bad).resolution
        );
    }
    assert_eq!(verdict(&c, 6), Verdict::Unknown);
    for r in hub.requests() {
        assert!(
            !r.path.contains("evil") && !r.path.contains("workspace"),
            "{}",
            r.path
        );
    }
    // Ten repos, one request each; org/base fetched once although seven cards name it.
    assert_eq!(hub.requests_for("/api/models/org/base?").len(), 1);
    assert_eq!(c.stats.requests, 10);
}

#[tokio::test]
async fn readme_front_matter_when_card_data_is_absent() {
    let hub = FakeHub::start();
    hub.add(RepoSpec::model("org/base").license("apache-2.0"));
    hub.add(
        RepoSpec::model("org/crlf")
            .license("mit")
            .base_model(["org/base"])
            .no_card_data()
            .crlf_readme(),
    );
    hub.add(
        RepoSpec::model("org/indented")
            .no_card_data()
            .readme("\n  \n---\nlicense: apache-2.0\ndatasets: [ds/x]\n---\n# Title\n"),
    );
    hub.add(RepoSpec::dataset("ds/x").license("mit"));
    hub.add(
        RepoSpec::model("org/broken")
            .no_card_data()
            .readme("---\nlicense: [mit\nbase_model: org/base\n---\n# Broken\n"),
    );
    hub.add(
        RepoSpec::model("org/no-metadata")
            .no_card_data()
            .readme("# Just prose\n"),
    );
    let d = tempfile::tempdir().unwrap();
    let c = crawl(
        &hub,
        d.path(),
        &["org/crlf", "org/indented", "org/broken", "org/no-metadata"],
        Direction::Up,
    )
    .await;
    let crlf = node(&c, "model:org/crlf");
    assert_eq!(crlf.resolution, Resolution::Found);
    assert_eq!(crlf.declared.license, vec!["mit"]);
    assert!(has_edge(
        &c,
        "model:org/base",
        "model:org/crlf",
        Relation::Finetune
    ));
    assert!(has_edge(
        &c,
        "dataset:ds/x",
        "model:org/indented",
        Relation::TrainedOn
    ));
    let broken = node(&c, "model:org/broken");
    match &broken.resolution {
        Resolution::Unparseable { why } => assert!(why.contains("YAML"), "{why}"),
        other => panic!("{other:?}"),
    }
    assert!(broken.revision.is_some());
    assert_eq!(verdict(&c, 2), Verdict::Unknown);
    let plain = node(&c, "model:org/no-metadata");
    assert_eq!(plain.resolution, Resolution::Found);
    assert!(!plain.declared.has_license());
    // README read at the sha the API reported.
    let sha = lineage_fakehub::default_sha("org/crlf");
    assert_eq!(
        hub.requests_for(&format!("/org/crlf/raw/{sha}/README.md"))
            .len(),
        1
    );
}

#[tokio::test]
async fn refusals_and_renames_become_resolutions() {
    let hub = FakeHub::start();
    hub.add(RepoSpec::model("org/private").license("mit").private());
    hub.add(RepoSpec::model("org/disabled").license("mit").disabled());
    hub.add(
        RepoSpec::model("org/gated-meta")
            .license("llama2")
            .gated("manual"),
    );
    hub.add(RepoSpec::model("org/refused").license("mit"));
    hub.fault("model:org/refused", Fault::Gated);
    hub.add(RepoSpec::model("google-bert/bert-base-uncased").license("apache-2.0"));
    hub.rename(
        RepoKind::Model,
        "bert-base-uncased",
        "google-bert/bert-base-uncased",
    );
    hub.add(RepoSpec::model("org/child").license("mit").base_model([
        "org/missing",
        "org/private",
        "org/disabled",
        "org/gated-meta",
        "org/refused",
        "bert-base-uncased",
    ]));
    let d = tempfile::tempdir().unwrap();
    let c = crawl(&hub, d.path(), &["org/child"], Direction::Up).await;
    assert_eq!(
        node(&c, "model:org/missing").resolution,
        Resolution::NotFound
    );
    assert_eq!(
        node(&c, "model:org/private").resolution,
        Resolution::NotFound
    );
    assert_eq!(
        node(&c, "model:org/disabled").resolution,
        Resolution::Disabled
    );
    assert_eq!(node(&c, "model:org/refused").resolution, Resolution::Gated);
    let gated = node(&c, "model:org/gated-meta");
    assert_eq!(gated.resolution, Resolution::Found);
    assert!(gated.gated);
    assert_eq!(gated.declared.license, vec!["llama2"]);
    assert_eq!(
        node(&c, "model:bert-base-uncased").resolution,
        Resolution::Renamed {
            to: "google-bert/bert-base-uncased".into()
        }
    );
    assert!(has_edge(
        &c,
        "model:google-bert/bert-base-uncased",
        "model:bert-base-uncased",
        Relation::Renamed
    ));
    assert_eq!(
        node(&c, "model:google-bert/bert-base-uncased").resolution,
        Resolution::Found
    );
    assert!(has_edge(
        &c,
        "model:bert-base-uncased",
        "model:org/child",
        Relation::Merge
    ));
    assert_eq!(verdict(&c, 0), Verdict::Unknown);
    // 7 repos plus the redirect's target.
    assert_eq!(c.stats.requests, 8);
}

#[tokio::test]
async fn transient_failures_are_retried_until_they_pass() {
    let hub = FakeHub::start();
    let faults = [
        ("org/a", Fault::ServerError),
        ("org/b", Fault::BadGateway),
        ("org/c", Fault::ServiceUnavailable),
        ("org/d", Fault::Reset),
        ("org/e", Fault::Close),
        ("org/f", Fault::Truncated),
        ("org/g", Fault::Slow(Duration::from_secs(4))),
        ("org/h", Fault::Status(504)),
    ];
    let ids: Vec<&str> = faults.iter().map(|(id, _)| *id).collect();
    for (id, fault) in &faults {
        hub.add(RepoSpec::model(id).license("mit"));
        hub.fault(&format!("model:{id}"), fault.clone()).times(1);
    }
    hub.add(
        RepoSpec::model("org/root")
            .license("mit")
            .base_model(ids.clone()),
    );
    let d = tempfile::tempdir().unwrap();
    let mut s = settings(&hub, d.path());
    s.retry.timeout = Duration::from_millis(700);
    let c = crawl_with(s, &["org/root"], Direction::Up).await;
    for id in &ids {
        assert_eq!(
            node(&c, &format!("model:{id}")).resolution,
            Resolution::Found,
            "{id}"
        );
    }
    // Each faulty repo asked twice (the hub saw both); nothing more.
    for id in &ids {
        assert_eq!(
            hub.requests_for(&format!("/api/models/{id}?")).len(),
            2,
            "{id}"
        );
    }
    assert!(c.stats.requests <= 1 + 2 * ids.len() as u64);
    assert_eq!(verdict(&c, 0), Verdict::Permitted);
}

#[tokio::test]
async fn persistent_failures_make_the_node_unreachable_and_the_verdict_unknown() {
    let hub = FakeHub::start();
    hub.add(RepoSpec::model("org/base").license("apache-2.0"));
    hub.add(
        RepoSpec::model("org/mid")
            .license("apache-2.0")
            .base_model(["org/base"]),
    );
    hub.add(
        RepoSpec::model("org/top")
            .license("apache-2.0")
            .base_model(["org/mid"]),
    );
    let rule = hub.fault("model:org/mid", Fault::ServerError);
    let d = tempfile::tempdir().unwrap();
    let c = crawl(&hub, d.path(), &["org/top"], Direction::Up).await;
    match &node(&c, "model:org/mid").resolution {
        Resolution::Unreachable { why } => assert!(why.contains("500"), "{why}"),
        other => panic!("{other:?}"),
    }
    // 1 + max_retries attempts, bounded.
    assert_eq!(rule.hits(), 4);
    assert_eq!(verdict(&c, 0), Verdict::Unknown);
    assert_eq!(c.stats.unreachable, 1);
    // Nothing beyond the unreachable node is known.
    assert!(c.graph.find(&NodeKey::model("org/base")).is_none());
}

#[tokio::test]
async fn rate_limits_wait_as_the_hub_says() {
    let hub = FakeHub::start();
    hub.add(RepoSpec::model("org/a").license("mit"));
    hub.add(RepoSpec::model("org/b").license("mit"));
    hub.add(RepoSpec::model("org/c").license("mit"));
    hub.fault(
        "model:org/a",
        Fault::RateLimited {
            reset: Some(1),
            retry_after: None,
        },
    )
    .times(1);
    hub.fault(
        "model:org/b",
        Fault::RateLimited {
            reset: None,
            retry_after: Some(1),
        },
    )
    .times(1);
    // Longer than the crawl waits: give up at once rather than stall.
    hub.fault("model:org/c", Fault::rate_limited(3600));
    let d = tempfile::tempdir().unwrap();
    for (id, want_wait) in [("org/a", true), ("org/b", true), ("org/c", false)] {
        let start = Instant::now();
        let c = crawl(&hub, d.path(), &[id], Direction::Up).await;
        let took = start.elapsed();
        if want_wait {
            assert_eq!(
                node(&c, &format!("model:{id}")).resolution,
                Resolution::Found
            );
            assert!(
                took >= Duration::from_millis(950),
                "{id} waited only {took:?}"
            );
            assert_eq!(c.stats.requests, 2);
        } else {
            match &node(&c, &format!("model:{id}")).resolution {
                Resolution::Unreachable { why } => assert!(why.contains("3600"), "{why}"),
                other => panic!("{other:?}"),
            }
            assert!(took < Duration::from_secs(2), "{took:?}");
            assert_eq!(c.stats.requests, 1);
        }
    }
}

/// A family with datasets, a rename, a README-only card and a merge, for whole-crawl comparisons.
fn family_hub() -> FakeHub {
    let hub = FakeHub::start();
    hub.add(
        RepoSpec::model("acme/base")
            .license("apache-2.0")
            .datasets(["data/web"]),
    );
    hub.add(
        RepoSpec::dataset("data/web")
            .license("odc-by")
            .source_datasets(["data/crawl"]),
    );
    hub.add(RepoSpec::dataset("data/crawl").license("cc0-1.0"));
    hub.family_tree("acme/base", 2, 3);
    hub.add(
        RepoSpec::model("acme/readme-only")
            .license("mit")
            .base_model(["acme/base"])
            .no_card_data(),
    );
    hub.add(
        RepoSpec::model("acme/new-name")
            .license("mit")
            .base_model(["acme/base"]),
    );
    hub.rename(RepoKind::Model, "acme/old-name", "acme/new-name");
    hub.add(RepoSpec::model("user/app").license("mit").base_model([
        "acme/old-name",
        "family/base-1.0",
        "acme/readme-only",
    ]));
    hub
}

const FAMILY_ROOTS: [&str; 2] = ["acme/base", "user/app"];

#[tokio::test]
async fn a_crawl_whose_every_request_fails_once_matches_a_clean_one() {
    let hub = family_hub();
    let clean_dir = tempfile::tempdir().unwrap();
    let clean = crawl(&hub, clean_dir.path(), &FAMILY_ROOTS, Direction::Both).await;
    assert!(clean.graph.node_count() > 15);
    assert_eq!(clean.stats.unreachable, 0);
    let paths: BTreeSet<String> = hub.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(
        paths.len() as u64,
        clean.stats.requests,
        "each request made once"
    );

    // One fault per distinct request, rotating through every kind of transient failure.
    let kinds = [
        Fault::ServerError,
        Fault::BadGateway,
        Fault::ServiceUnavailable,
        Fault::Reset,
        Fault::Close,
        Fault::Truncated,
        Fault::Status(504),
        Fault::RateLimited {
            reset: Some(0),
            retry_after: None,
        },
    ];
    let rules: Vec<_> = paths
        .iter()
        .enumerate()
        .map(|(i, path)| hub.fault(path, kinds[i % kinds.len()].clone()).times(1))
        .collect();
    hub.reset_requests();
    let flaky_dir = tempfile::tempdir().unwrap();
    let flaky = crawl(&hub, flaky_dir.path(), &FAMILY_ROOTS, Direction::Both).await;
    assert_eq!(shape(&flaky.graph), shape(&clean.graph));
    assert!(
        rules.iter().all(|r| r.hits() == 1),
        "a request was not failed once"
    );
    assert!(flaky.stats.requests <= 2 * clean.stats.requests);
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for r in hub.requests() {
        *seen.entry(r.path).or_default() += 1;
    }
    // Twice each: the failure, then the answer. A truncated 307 is still a usable redirect (its
    // body is never read), so the rename may be asked only once.
    assert!(
        seen.iter()
            .all(|(p, n)| *n == 2 || (*n == 1 && p.contains("old-name"))),
        "{seen:?}"
    );
}

#[tokio::test]
async fn a_second_run_makes_no_request_and_refresh_revalidates() {
    let hub = family_hub();
    let d = tempfile::tempdir().unwrap();
    let first = crawl(&hub, d.path(), &FAMILY_ROOTS, Direction::Both).await;
    let n = hub.request_count();
    assert!(n > 0);
    let second = crawl(&hub, d.path(), &FAMILY_ROOTS, Direction::Both).await;
    assert_eq!(hub.request_count(), n, "the cached re-run asked the Hub");
    assert_eq!(second.stats.requests, 0);
    assert_eq!(second.stats.cache_hits, first.stats.requests);
    assert_eq!(shape(&second.graph), shape(&first.graph));

    let mut s = settings(&hub, d.path());
    s.refresh = true;
    let third = crawl_with(s, &FAMILY_ROOTS, Direction::Both).await;
    assert_eq!(third.stats.requests, first.stats.requests);
    // Every 200 came back 304 (redirects and refusals have no ETag to revalidate).
    assert!(third.stats.revalidated > 0);
    assert!(hub
        .requests()
        .iter()
        .skip(n)
        .any(|r| r.path.contains("expand=")));
    assert_eq!(shape(&third.graph), shape(&first.graph));

    // An expired entry is revalidated too.
    let mut s = settings(&hub, d.path());
    s.ttl = Duration::ZERO;
    let fourth = crawl_with(s, &FAMILY_ROOTS, Direction::Both).await;
    assert_eq!(fourth.stats.requests, first.stats.requests);
    assert_eq!(shape(&fourth.graph), shape(&first.graph));
}

#[tokio::test]
async fn offline_mode_uses_only_the_cache() {
    let hub = chain_hub();
    let d = tempfile::tempdir().unwrap();
    let mut s = settings(&hub, d.path());
    s.offline = true;
    let empty = crawl_with(s.clone(), &["quant/chat-GGUF"], Direction::Up).await;
    match &node(&empty, "model:quant/chat-GGUF").resolution {
        Resolution::Unreachable { why } => assert!(why.contains("offline"), "{why}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(hub.request_count(), 0);
    assert_eq!(verdict(&empty, 0), Verdict::Unknown);

    let online = crawl(&hub, d.path(), &["quant/chat-GGUF"], Direction::Up).await;
    let n = hub.request_count();
    let mut stale = s.clone();
    stale.ttl = Duration::ZERO;
    let offline = crawl_with(stale, &["quant/chat-GGUF"], Direction::Up).await;
    assert_eq!(hub.request_count(), n);
    assert_eq!(shape(&offline.graph), shape(&online.graph));
    // Repos never fetched are misses.
    let miss = crawl_with(s, &["acme/other"], Direction::Up).await;
    assert!(matches!(
        node(&miss, "model:acme/other").resolution,
        Resolution::Unreachable { .. }
    ));
}

#[tokio::test]
async fn the_token_reaches_the_hub_but_no_output() {
    const SECRET: &str = "hf_TopSecretValue123";
    let hub = chain_hub();
    hub.require_token(SECRET);
    let d = tempfile::tempdir().unwrap();

    let anonymous = crawl(&hub, d.path(), &["quant/chat-GGUF"], Direction::Up).await;
    assert_eq!(
        node(&anonymous, "model:quant/chat-GGUF").resolution,
        Resolution::NotFound
    );

    let mut s = settings(&hub, d.path());
    s.token = Token::new(SECRET);
    hub.reset_requests();
    let c = crawl_with(s.clone(), &["quant/chat-GGUF"], Direction::Up).await;
    // The anonymous 401 in the cache does not hide what the token may see.
    assert_eq!(
        node(&c, "model:quant/chat-GGUF").resolution,
        Resolution::Found
    );
    assert_eq!(c.graph.node_count(), 5);
    let reqs = hub.requests();
    assert!(!reqs.is_empty());
    for r in &reqs {
        assert_eq!(
            r.authorization.as_deref(),
            Some(format!("Bearer {SECRET}").as_str())
        );
    }
    assert!(!format!("{c:?} {s:?}").contains(SECRET));

    // A token the Hub rejects: unreachable, with a message that does not repeat it.
    let mut bad = settings(&hub, d.path());
    bad.token = Token::new(format!("{SECRET}-wrong"));
    bad.refresh = true;
    let rejected = crawl_with(bad, &["quant/chat-GGUF"], Direction::Up).await;
    let res = &node(&rejected, "model:quant/chat-GGUF").resolution;
    assert!(
        matches!(res, Resolution::Unreachable { why } if why.contains("token")),
        "{res:?}"
    );
    assert!(!format!("{rejected:?}").contains(SECRET));

    // Nor is it in the cache, the WAL or any key.
    for entry in std::fs::read_dir(d.path()).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        assert!(!bytes.windows(SECRET.len()).any(|w| w == SECRET.as_bytes()));
    }
}

#[tokio::test]
async fn down_crawl_lists_children_with_their_cards() {
    let hub = FakeHub::start();
    let created = hub.family_tree("acme/root", 3, 3);
    assert_eq!(created.len(), 39);
    let d = tempfile::tempdir().unwrap();
    let c = crawl(&hub, d.path(), &["acme/root"], Direction::Down).await;
    assert_eq!(
        c.graph.node_count(),
        40,
        "{:?} {:?}",
        c.incomplete,
        hub.requests()
    );
    assert_eq!(c.stats.repos, 40);
    assert_eq!(c.stats.from_listing, 39);
    // The root's info, then one listing per node (leaves included, to learn they have none).
    assert_eq!(c.stats.requests, 41);
    assert!(c.stats.requests_per_repo() <= 1.05);
    assert!(c.incomplete.is_empty());
    for id in &created {
        let n = node(&c, &format!("model:{id}"));
        assert_eq!(n.resolution, Resolution::Found, "{id}");
    }
    // Relations come from the listing's cards and tags: merges have the root as a second parent.
    let edges = edge_set(&c.graph);
    let merges: Vec<_> = edges.iter().filter(|e| e.2 == Relation::Merge).collect();
    assert!(!merges.is_empty());
    assert!(merges.iter().any(|e| e.0 == "model:acme/root"));
    assert!(edges.iter().any(|e| e.2 == Relation::Quantized));
    assert!(edges.iter().any(|e| e.2 == Relation::Adapter));
    let first = node(&c, "model:family/root-0");
    assert_eq!(
        first.revision.as_deref(),
        Some(lineage_fakehub::default_sha("family/root-0").as_str())
    );
}

#[tokio::test]
async fn down_crawl_paginates_and_both_fetches_other_parents() {
    let hub = FakeHub::start();
    hub.add(RepoSpec::model("org/root").license("apache-2.0"));
    hub.add(RepoSpec::model("org/partner").license("cc-by-nc-4.0"));
    hub.add(RepoSpec::dataset("data/nc").license("cc-by-nc-4.0"));
    for i in 0..620 {
        hub.add(
            RepoSpec::model(&format!("kids/k{i:03}"))
                .license("apache-2.0")
                .base_model(["org/root"]),
        );
    }
    hub.add(
        RepoSpec::model("kids/merged")
            .license("apache-2.0")
            .base_model(["org/root", "org/partner"])
            .datasets(["data/nc"]),
    );
    hub.add(
        RepoSpec::model("kids/readme")
            .license("mit")
            .base_model(["org/root"])
            .no_card_data()
            // The Hub still computed its tags, so the listing finds it.
            .field(
                "tags",
                json!(["base_model:org/root", "base_model:finetune:org/root"]),
            ),
    );
    let d = tempfile::tempdir().unwrap();
    let down = crawl(&hub, d.path(), &["org/root"], Direction::Down).await;
    assert_eq!(hub.requests_for("/api/models?").len(), 2 + 622);
    assert!(matches!(
        node(&down, "model:org/partner").resolution,
        Resolution::NotCrawled { .. }
    ));
    // The card-less child: its README fetched at the listed sha, no info request.
    assert_eq!(
        node(&down, "model:kids/readme").declared.license,
        vec!["mit"]
    );
    assert!(hub.requests_for("/api/models/kids/readme").is_empty());
    assert_eq!(hub.requests_for("/kids/readme/raw/").len(), 1);

    let d2 = tempfile::tempdir().unwrap();
    let both = crawl(&hub, d2.path(), &["org/root"], Direction::Both).await;
    assert_eq!(
        node(&both, "model:org/partner").resolution,
        Resolution::Found
    );
    assert!(has_edge(
        &both,
        "dataset:data/nc",
        "model:kids/merged",
        Relation::TrainedOn
    ));
    let ix = both.graph.find(&NodeKey::model("kids/merged")).unwrap();
    let kb = KnowledgeBase::builtin();
    let prop = Propagation::run(&both.graph, &kb, DatasetPolicy::Strict);
    assert_eq!(
        assess(&both.graph, &prop, &kb, ix).commercial,
        Verdict::Forbidden
    );
}

#[tokio::test]
async fn down_crawl_from_a_dataset_lists_the_models_trained_on_it() {
    let hub = FakeHub::start();
    hub.add(RepoSpec::dataset("data/alpaca").license("cc-by-nc-4.0"));
    hub.add(
        RepoSpec::model("org/tuned")
            .license("apache-2.0")
            .datasets(["data/alpaca"]),
    );
    let d = tempfile::tempdir().unwrap();
    let c = crawl(&hub, d.path(), &["datasets/data/alpaca"], Direction::Down).await;
    assert!(has_edge(
        &c,
        "dataset:data/alpaca",
        "model:org/tuned",
        Relation::TrainedOn
    ));
}

#[tokio::test]
async fn depth_and_node_limits_leave_not_crawled_placeholders() {
    let hub = FakeHub::start();
    hub.add(RepoSpec::model("chain/m0").license("apache-2.0"));
    for i in 1..=6 {
        hub.add(
            RepoSpec::model(&format!("chain/m{i}"))
                .license("apache-2.0")
                .base_model([format!("chain/m{}", i - 1)]),
        );
    }
    let d = tempfile::tempdir().unwrap();
    let hubc = Hub::new(settings(&hub, d.path())).unwrap();
    let mut req = CrawlRequest::new(vec![Target::parse("chain/m6").unwrap()], Direction::Up);
    req.depth = Some(2);
    let c = hubc.crawl(&req, &Clarifications::none()).await.unwrap();
    assert_eq!(c.graph.node_count(), 4);
    assert_eq!(node(&c, "model:chain/m4").resolution, Resolution::Found);
    match &node(&c, "model:chain/m3").resolution {
        Resolution::NotCrawled { why } => assert!(why.contains("depth"), "{why}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(verdict(&c, 0), Verdict::Unknown);
    assert_eq!(c.stats.not_crawled, 1);

    req.depth = None;
    req.max_nodes = Some(3);
    let c = hubc.crawl(&req, &Clarifications::none()).await.unwrap();
    match &node(&c, "model:chain/m3").resolution {
        Resolution::NotCrawled { why } => assert!(why.contains("node limit"), "{why}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(verdict(&c, 0), Verdict::Unknown);

    req.max_nodes = None;
    let c = hubc.crawl(&req, &Clarifications::none()).await.unwrap();
    assert_eq!(c.graph.node_count(), 7);
    assert_eq!(verdict(&c, 0), Verdict::Permitted);
}

/// `descendants --depth 1`: one level of children, but each child's own ancestry (its training data,
/// its other merge parent) is walked in full so its verdict is complete.
#[tokio::test]
async fn both_ways_the_depth_bounds_only_the_walk_down() {
    let hub = FakeHub::start();
    hub.add(RepoSpec::model("b/root").license("apache-2.0"));
    hub.add(RepoSpec::dataset("d/nc-data").license("cc-by-nc-4.0"));
    hub.add(
        RepoSpec::model("o/other-parent")
            .license("mit")
            .base_model(["o/grand"]),
    );
    hub.add(RepoSpec::model("o/grand").license("mit"));
    hub.add(
        RepoSpec::model("c/child")
            .license("apache-2.0")
            .base_model(["b/root"])
            .datasets(["d/nc-data"]),
    );
    hub.add(
        RepoSpec::model("c/merge")
            .license("apache-2.0")
            .base_model(["b/root", "o/other-parent"]),
    );
    hub.add(
        RepoSpec::model("g/grandchild")
            .license("mit")
            .base_model(["c/child"]),
    );
    let d = tempfile::tempdir().unwrap();
    let hubc = Hub::new(settings(&hub, d.path())).unwrap();
    let mut req = CrawlRequest::new(vec![Target::parse("b/root").unwrap()], Direction::Both);
    req.depth = Some(1);
    let c = hubc.crawl(&req, &Clarifications::none()).await.unwrap();
    assert_eq!(node(&c, "dataset:d/nc-data").resolution, Resolution::Found);
    assert_eq!(
        node(&c, "model:o/other-parent").resolution,
        Resolution::Found
    );
    assert_eq!(node(&c, "model:o/grand").resolution, Resolution::Found);
    assert!(
        c.graph.find(&NodeKey::model("g/grandchild")).is_none(),
        "two levels down is beyond depth 1"
    );
    let kb = KnowledgeBase::builtin();
    let prop = Propagation::run(&c.graph, &kb, DatasetPolicy::Strict);
    let child = c.graph.find(&NodeKey::model("c/child")).unwrap();
    assert_eq!(
        assess(&c.graph, &prop, &kb, child).commercial,
        Verdict::Forbidden
    );
    let merge = c.graph.find(&NodeKey::model("c/merge")).unwrap();
    assert_eq!(
        assess(&c.graph, &prop, &kb, merge).commercial,
        Verdict::Permitted
    );
}

#[tokio::test]
async fn a_shorter_path_lifts_a_node_back_within_the_depth_limit() {
    // top → slow → shared (2 hops) and top → b → c → shared (3 hops, found first); depth 2.
    let hub = FakeHub::start();
    hub.add(RepoSpec::model("x/shared").license("mit"));
    hub.add(
        RepoSpec::model("x/c")
            .license("mit")
            .base_model(["x/shared"]),
    );
    hub.add(RepoSpec::model("x/b").license("mit").base_model(["x/c"]));
    hub.add(
        RepoSpec::model("x/slow")
            .license("mit")
            .base_model(["x/shared"]),
    );
    hub.add(
        RepoSpec::model("x/top")
            .license("mit")
            .base_model(["x/slow", "x/b"]),
    );
    hub.fault("model:x/slow", Fault::Slow(Duration::from_millis(400)));
    let d = tempfile::tempdir().unwrap();
    let hubc = Hub::new(settings(&hub, d.path())).unwrap();
    let mut req = CrawlRequest::new(vec![Target::parse("x/top").unwrap()], Direction::Up);
    req.depth = Some(2);
    let c = hubc.crawl(&req, &Clarifications::none()).await.unwrap();
    assert_eq!(node(&c, "model:x/shared").resolution, Resolution::Found);
    assert_eq!(node(&c, "model:x/c").resolution, Resolution::Found);
    assert_eq!(verdict(&c, 0), Verdict::Permitted);
    assert_eq!(c.stats.not_crawled, 0);
}

#[tokio::test]
async fn cycles_terminate() {
    let hub = FakeHub::start();
    hub.add(RepoSpec::model("c/a").license("mit").base_model(["c/b"]));
    hub.add(RepoSpec::model("c/b").license("mit").base_model(["c/a"]));
    hub.add(
        RepoSpec::model("c/self")
            .license("mit")
            .base_model(["c/self", "c/a"]),
    );
    let d = tempfile::tempdir().unwrap();
    let c = crawl(&hub, d.path(), &["c/self"], Direction::Both).await;
    assert_eq!(c.graph.node_count(), 3);
    assert_eq!(c.stats.repos, 3);
    assert!(has_edge(
        &c,
        "model:c/self",
        "model:c/self",
        Relation::Merge
    ));
    assert_eq!(verdict(&c, 0), Verdict::Unknown);
}

#[tokio::test]
async fn revisions_are_fetched_as_named() {
    let hub = FakeHub::start();
    hub.add(
        RepoSpec::model("org/m")
            .license("mit")
            .revision("refs/pr/1")
            .revision("v1.0"),
    );
    let d = tempfile::tempdir().unwrap();
    let pr = Target::Repo(lineage_core::RepoRef {
        key: NodeKey::model("org/m"),
        revision: Some("refs/pr/1".into()),
    });
    let h = Hub::new(settings(&hub, d.path())).unwrap();
    let req = CrawlRequest::new(
        vec![pr, Target::parse("org/m@nope").unwrap()],
        Direction::Up,
    );
    let c = h.crawl(&req, &Clarifications::none()).await.unwrap();
    // Both roots are the same node; the revision named first wins.
    assert_eq!(c.roots[0], c.roots[1]);
    assert_eq!(node(&c, "model:org/m").resolution, Resolution::Found);
    assert_eq!(
        hub.requests_for("/api/models/org/m/revision/refs%2Fpr%2F1")
            .len(),
        1
    );
    let v = crawl(&hub, d.path(), &["org/m@v1.0"], Direction::Up).await;
    assert_eq!(node(&v, "model:org/m").resolution, Resolution::Found);
    let c2 = crawl(&hub, d.path(), &["org/m@nope"], Direction::Up).await;
    assert_eq!(node(&c2, "model:org/m").resolution, Resolution::NotFound);
}

#[tokio::test]
async fn local_folders_resolve_their_bases_on_the_hub() {
    let hub = FakeHub::start();
    hub.add(
        RepoSpec::model("meta-llama/Llama-2-7b-hf")
            .license("llama2")
            .gated("manual"),
    );
    let folder = tempfile::tempdir().unwrap();
    std::fs::write(
        folder.path().join("adapter_config.json"),
        r#"{"peft_type": "LORA", "base_model_name_or_path": "meta-llama/Llama-2-7b-hf"}"#,
    )
    .unwrap();
    std::fs::write(
        folder.path().join("README.md"),
        "---\nlicense: apache-2.0\n---\n",
    )
    .unwrap();
    let d = tempfile::tempdir().unwrap();
    let c = crawl(
        &hub,
        d.path(),
        &[folder.path().to_str().unwrap()],
        Direction::Up,
    )
    .await;
    let local = c.graph.node(c.roots[0]);
    assert_eq!(local.resolution, Resolution::Found);
    assert_eq!(local.declared.license, vec!["apache-2.0"]);
    assert!(has_edge(
        &c,
        "model:meta-llama/Llama-2-7b-hf",
        &local.key.to_string(),
        Relation::Adapter
    ));
    assert_eq!(verdict(&c, 0), Verdict::Conditional);
    assert_eq!(c.stats.requests, 1);
    // An unreadable folder stops the command.
    let hubc = Hub::new(settings(&hub, d.path())).unwrap();
    let req = CrawlRequest::new(
        vec![Target::Local(folder.path().join("missing"))],
        Direction::Up,
    );
    assert!(hubc.crawl(&req, &Clarifications::none()).await.is_err());
}

#[tokio::test]
async fn clarifications_apply_to_cards_and_answer_for_missing_repos() {
    let hub = FakeHub::start();
    hub.add(
        RepoSpec::model("org/ft")
            .license("apache-2.0")
            .base_model(["huggyllama/llama-7b"]),
    );
    hub.add(RepoSpec::model("org/wrong").license("mit"));
    let mut clarify = Clarifications::none();
    let mut gone = Fact::new(
        NodeKey::model("huggyllama/llama-7b"),
        ClarifySource::Policy {
            reason: "re-upload of LLaMA-7B".into(),
        },
        "re-upload of the original LLaMA-7B weights",
    );
    gone.license = Some(vec!["cc-by-nc-4.0".into()]);
    gone.base_model = Some(vec![]);
    clarify.add(gone);
    let mut fix = Fact::new(
        NodeKey::model("org/wrong"),
        ClarifySource::Policy {
            reason: "checked".into(),
        },
        "really fine-tuned from org/ft",
    );
    fix.base_model = Some(vec!["org/ft".into()]);
    clarify.add(fix);
    let d = tempfile::tempdir().unwrap();
    let h = Hub::new(settings(&hub, d.path())).unwrap();
    let req = CrawlRequest::new(vec![Target::parse("org/wrong").unwrap()], Direction::Up);
    let c = h.crawl(&req, &clarify).await.unwrap();
    assert!(has_edge(
        &c,
        "model:org/ft",
        "model:org/wrong",
        Relation::Finetune
    ));
    assert_eq!(
        node(&c, "model:huggyllama/llama-7b").resolution,
        Resolution::Curated
    );
    assert_eq!(verdict(&c, 0), Verdict::Forbidden);
}

#[tokio::test]
async fn an_interrupted_crawl_leaves_a_usable_cache_and_the_next_run_resumes() {
    let hub = FakeHub::start();
    hub.family_tree("acme/root", 3, 3);
    let clean_dir = tempfile::tempdir().unwrap();
    let clean = crawl(&hub, clean_dir.path(), &["acme/root"], Direction::Down).await;
    let full = clean.stats.requests;

    hub.set_latency(Duration::from_millis(20));
    hub.reset_requests();
    let d = tempfile::tempdir().unwrap();
    let mut s = settings(&hub, d.path());
    s.concurrency = 2;
    let h = Hub::new(s.clone()).unwrap();
    let req = CrawlRequest::new(vec![Target::parse("acme/root").unwrap()], Direction::Down);
    // Ctrl-C in the middle: the crawl future is dropped with requests in flight.
    let cut = tokio::time::timeout(
        Duration::from_millis(150),
        h.crawl(&req, &Clarifications::none()),
    )
    .await;
    assert!(cut.is_err(), "the crawl finished before it was interrupted");
    drop(h);
    let before = hub.request_count() as u64;
    assert!(before > 0 && before < full);
    hub.set_latency(Duration::ZERO);
    hub.reset_requests();
    let resumed = crawl_with(s, &["acme/root"], Direction::Down).await;
    assert_eq!(shape(&resumed.graph), shape(&clean.graph));
    assert!(resumed.stats.cache_hits > 0);
    assert!(
        resumed.stats.requests < full,
        "{} of {full}",
        resumed.stats.requests
    );
}

#[tokio::test]
async fn stale_answers_are_said_and_refresh_never_falls_back() {
    let hub = chain_hub();
    let d = tempfile::tempdir().unwrap();
    let fresh = crawl(&hub, d.path(), &["quant/chat-GGUF"], Direction::Up).await;
    assert!(fresh
        .graph
        .node_indices()
        .all(|ix| fresh.graph.node(ix).fallback.is_none()));
    let fresh_verdict = verdict(&fresh, 0);

    // The Hub now fails every request, and every cached answer is past its time-to-live.
    hub.fault("*", Fault::ServerError);
    let mut s = settings(&hub, d.path());
    s.ttl = Duration::ZERO;
    s.retry.max_retries = 0;
    let recorder = Recorder::new();
    let stale_hub = Hub::new(s.clone()).unwrap();
    let mut req = CrawlRequest::new(
        vec![Target::parse("quant/chat-GGUF").unwrap()],
        Direction::Up,
    );
    req.observer = Some(recorder.clone());
    let stale = stale_hub
        .crawl(&req, &Clarifications::none())
        .await
        .unwrap();
    assert_eq!(shape(&stale.graph), shape(&fresh.graph));
    assert_eq!(
        verdict(&stale, 0),
        fresh_verdict,
        "a stale fact still decides"
    );
    for id in [
        "model:quant/chat-GGUF",
        "model:acme/chat",
        "dataset:data/seed",
    ] {
        match node(&stale, id).fallback.as_deref() {
            Some(Fallback::StaleCache { fetched_at, why }) => {
                assert!(*fetched_at > 0);
                assert!(why.contains("500"), "{why}");
            }
            other => panic!("{id}: {other:?}"),
        }
    }
    assert!(stale.stats.stale >= 5, "{:?}", stale.stats);
    let warned = recorder
        .events()
        .iter()
        .filter(|e| matches!(e, Event::Warning { message } if message.contains("stale cache")))
        .count();
    assert_eq!(warned, stale.graph.node_count(), "{:?}", recorder.events());

    // --refresh asks for the Hub's answer: without it the repo is unreachable, never the old answer.
    s.refresh = true;
    let refreshed = crawl_with(s, &["quant/chat-GGUF"], Direction::Up).await;
    match &node(&refreshed, "model:quant/chat-GGUF").resolution {
        Resolution::Unreachable { why } => {
            assert!(why.contains("--refresh"), "{why}")
        }
        other => panic!("{other:?}"),
    }
    assert!(node(&refreshed, "model:quant/chat-GGUF").fallback.is_none());
    assert_eq!(verdict(&refreshed, 0), Verdict::Unknown);
}

#[tokio::test]
async fn the_catalog_standing_in_for_an_unreachable_repo_is_said() {
    let hub = FakeHub::start();
    hub.add(
        RepoSpec::model("acme/ft")
            .license("apache-2.0")
            .base_model(["huggyllama/llama-7b"]),
    );
    hub.add(RepoSpec::model("huggyllama/llama-7b").license("other"));
    hub.fault("model:huggyllama/llama-7b", Fault::ServerError);
    let d = tempfile::tempdir().unwrap();
    let kb = lineage_core::KnowledgeBase::builtin();
    let mut clarify = Clarifications::none();
    lineage_core::catalog::Catalog::builtin(&kb).add_to(&mut clarify);
    let hub_client = Hub::new(settings(&hub, d.path())).unwrap();
    let req = CrawlRequest::new(vec![Target::parse("acme/ft").unwrap()], Direction::Up);
    let c = hub_client.crawl(&req, &clarify).await.unwrap();
    let base = node(&c, "model:huggyllama/llama-7b");
    assert_eq!(base.resolution, Resolution::Curated);
    match base.fallback.as_deref() {
        Some(Fallback::Catalog { why }) => assert!(why.contains("500"), "{why}"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_refused_connection_fails_fast() {
    // A port nothing listens on: connection refused on every try.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let d = tempfile::tempdir().unwrap();
    let mut s = Settings::new(&format!("http://127.0.0.1:{port}"), d.path()).unwrap();
    s.retry = RetryPolicy {
        max_retries: 5,
        min_delay: Duration::from_millis(200),
        max_delay: Duration::from_secs(2),
        max_rate_limit_wait: Duration::from_secs(5),
        timeout: Duration::from_secs(2),
    };
    let hub = Hub::new(s).unwrap();
    let req = CrawlRequest::new(vec![Target::parse("acme/x").unwrap()], Direction::Up);
    let c = hub.crawl(&req, &Clarifications::none()).await.unwrap();
    assert!(matches!(
        node(&c, "model:acme/x").resolution,
        Resolution::Unreachable { .. }
    ));
    // One try and one retry, not 1 + max_retries (5 retries with this backoff take seconds).
    assert_eq!(c.stats.requests, 2, "{:?}", c.stats);
}

/// A stalled answer is hedged: the same request is sent once more, the first answer is used and
/// the crawl does not wait for the stalled one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_request_is_hedged_once() {
    let hub = FakeHub::start();
    hub.add(RepoSpec::model("stall/root").license("mit"));
    for i in 0..14 {
        hub.add(
            RepoSpec::model(&format!("stall/a{i:02}"))
                .license("mit")
                .base_model(["stall/root"]),
        );
    }
    for i in 0..3 {
        hub.add(
            RepoSpec::model(&format!("stall/b{i}"))
                .license("mit")
                .base_model(["stall/a13"]),
        );
    }
    hub.set_latency(Duration::from_millis(5));
    let first = tempfile::tempdir().unwrap();
    let mut s = settings(&hub, first.path());
    s.concurrency = 1;
    let calm = crawl_with(s, &["stall/root"], Direction::Down).await;
    let calm_requests = hub.request_count();
    let filter = "filter=base_model%3Astall%2Fa09&";
    let stalling = hub
        .requests()
        .into_iter()
        .find(|r| r.path.starts_with("/api/models?") && r.path.contains(filter))
        .unwrap()
        .path;
    // That listing, asked for after enough answers to know the pace, stalls far longer than the
    // others take (longer than the whole crawl), once.
    hub.fault(&stalling, Fault::Slow(Duration::from_millis(1800)))
        .times(1);

    let second = tempfile::tempdir().unwrap();
    let mut s = settings(&hub, second.path());
    s.concurrency = 1;
    s.hedge = true;
    let stalled = crawl_with(s, &["stall/root"], Direction::Down).await;
    assert_eq!(shape(&stalled.graph), shape(&calm.graph));
    assert!(stalled.incomplete.is_empty(), "{:?}", stalled.incomplete);
    let sent = hub.requests()[calm_requests..].to_vec();
    let asked = sent.iter().filter(|r| r.path == stalling).count();
    assert_eq!(asked, 2, "the stalled request and its hedge");
    assert_eq!(
        sent.len(),
        calm_requests + 1,
        "one request more than the calm crawl"
    );

    // `--no-hedge`: the stalled request is waited for, never sent twice.
    hub.fault(&stalling, Fault::Slow(Duration::from_millis(400)))
        .times(1);
    let before = hub.request_count();
    let third = tempfile::tempdir().unwrap();
    let mut s = settings(&hub, third.path());
    s.concurrency = 1;
    let patient = crawl_with(s, &["stall/root"], Direction::Down).await;
    assert_eq!(shape(&patient.graph), shape(&calm.graph));
    let sent = hub.requests()[before..].to_vec();
    assert_eq!(sent.iter().filter(|r| r.path == stalling).count(), 1);
    assert_eq!(sent.len(), calm_requests);
}
