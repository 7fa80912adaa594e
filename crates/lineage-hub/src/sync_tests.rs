//! Sync against the fake Hub (paging, fallback, interruption, 429, truncation, incremental runs),
//! dump imports, and crawls answered from synced rows without a request.

use crate::{
    CrawlRequest, Direction, Hub, HubError, RetryPolicy, Settings, SyncEvent, SyncRequest, Target,
};
use lineage_core::{assess, Clarifications, DatasetPolicy, KnowledgeBase, NodeKey, Propagation};
use lineage_core::{RepoKind as Kind, Resolution, Verdict};
use lineage_fakehub::{FakeHub, Fault, RepoSpec};
use serde_json::json;
use std::io::Write;
use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

fn settings(hub: &FakeHub, cache: &Path) -> Settings {
    let mut s = Settings::new(&hub.url(), cache).unwrap();
    s.retry = RetryPolicy {
        max_retries: 2,
        min_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(20),
        max_rate_limit_wait: Duration::from_secs(5),
        timeout: Duration::from_secs(2),
    };
    s
}

/// `n` models `org/m00`.. on one base, newest first by index (m00 is the newest).
fn family(n: usize) -> FakeHub {
    let hub = FakeHub::start();
    hub.add(
        RepoSpec::model("meta-llama/Llama-2-7b-hf")
            .license("llama2")
            .field("lastModified", json!("2023-07-01T00:00:00.000Z")),
    );
    for i in 0..n {
        hub.add(
            RepoSpec::model(&format!("org/m{i:02}"))
                .license(if i % 3 == 0 { "apache-2.0" } else { "llama2" })
                .base_model(["meta-llama/Llama-2-7b-hf"])
                .field(
                    "lastModified",
                    json!(format!("2024-01-{:02}T00:00:00.000Z", 28 - i)),
                ),
        );
    }
    hub
}

fn small_pages() -> SyncRequest {
    SyncRequest {
        page_size: Some(10),
        ..SyncRequest::default()
    }
}

/// The path of the listing page starting at `offset`, as the fake Hub links it (pages of 5).
fn page_prefix(offset: usize) -> String {
    format!(
        "/api/models?sort=lastModified&direction=-1&expand=cardData&expand=disabled&expand=gated&expand=lastModified&expand=sha&expand=tags&limit=5&cursor={}",
        FakeHub::cursor(offset)
    )
}

fn listing_requests(hub: &FakeHub) -> Vec<String> {
    hub.requests_for("/api/models?")
        .into_iter()
        .map(|r| r.path)
        .collect()
}

#[tokio::test]
async fn pages_through_the_listing_falling_back_to_a_page_size_the_hub_accepts() {
    let hub = family(24);
    hub.refuse_limit_above(6);
    let d = tempfile::tempdir().unwrap();
    let h = Hub::new(settings(&hub, d.path())).unwrap();
    let events = Mutex::new(Vec::new());
    let r = h
        .sync(&small_pages(), &|e: &SyncEvent| {
            events.lock().unwrap().push(e.clone())
        })
        .await
        .unwrap();
    // 25 models in pages of 5 after 10 was refused.
    assert_eq!((r.pages, r.repos), (5, 25));
    assert_eq!(r.requests, 6);
    assert_eq!(h.cache().synced_count(Kind::Model).unwrap(), 25);
    let events = events.into_inner().unwrap();
    assert!(events.contains(&SyncEvent::PageSize {
        refused: 10,
        next: 5
    }));
    assert_eq!(
        events
            .iter()
            .filter(|e| matches!(e, SyncEvent::Page { .. }))
            .count(),
        5
    );
    // Every page came from the Link header: the second asked for the cursor the first linked.
    assert!(listing_requests(&hub)[2].starts_with(&page_prefix(5)));
}

#[tokio::test]
async fn an_interrupted_sync_resumes_without_refetching_stored_pages() {
    let hub = family(24);
    hub.refuse_limit_above(6);
    let d = tempfile::tempdir().unwrap();
    let h = Hub::new(settings(&hub, d.path())).unwrap();
    let fault = hub.fault(&page_prefix(10), Fault::ServerError);
    let err = h
        .sync(&small_pages(), &|_: &SyncEvent| {})
        .await
        .unwrap_err();
    assert!(matches!(err, HubError::Sync { pages: 2, .. }), "{err}");
    assert!(err.to_string().contains("resume"));
    assert_eq!(h.cache().synced_count(Kind::Model).unwrap(), 10);
    assert!(fault.hits() >= 1);
    hub.clear_faults();
    hub.reset_requests();
    let r = h.sync(&small_pages(), &|_: &SyncEvent| {}).await.unwrap();
    assert_eq!(r.resumed, 1);
    assert_eq!((r.pages, r.repos), (3, 15));
    let asked = listing_requests(&hub);
    assert_eq!(asked.len(), 3, "{asked:?}");
    assert!(asked[0].starts_with(&page_prefix(10)));
    assert!(!asked.iter().any(|p| p.starts_with(&page_prefix(5))));
    assert_eq!(h.cache().synced_count(Kind::Model).unwrap(), 25);
}

#[tokio::test]
async fn a_429_during_paging_is_waited_out_and_said() {
    let hub = family(24);
    hub.refuse_limit_above(6);
    let d = tempfile::tempdir().unwrap();
    let h = Hub::new(settings(&hub, d.path())).unwrap();
    hub.fault(
        &page_prefix(5),
        Fault::RateLimited {
            reset: None,
            retry_after: Some(1),
        },
    )
    .times(1);
    let waits = Mutex::new(Vec::new());
    let r = h
        .sync(&small_pages(), &|e: &SyncEvent| {
            if let SyncEvent::Waiting { wait, why } = e {
                waits.lock().unwrap().push((*wait, why.clone()));
            }
        })
        .await
        .unwrap();
    assert_eq!(r.repos, 25);
    let waits = waits.into_inner().unwrap();
    assert_eq!(waits.len(), 1);
    assert_eq!(waits[0].0, Duration::from_secs(1));
    assert!(waits[0].1.contains("rate limited"));
}

#[tokio::test]
async fn a_truncated_page_is_retried_and_never_half_stored() {
    let hub = family(24);
    hub.refuse_limit_above(6);
    let d = tempfile::tempdir().unwrap();
    let h = Hub::new(settings(&hub, d.path())).unwrap();
    hub.fault(&page_prefix(5), Fault::Truncated).times(1);
    let r = h.sync(&small_pages(), &|_: &SyncEvent| {}).await.unwrap();
    assert_eq!(r.repos, 25);

    // Truncated on every try: the run stops, and only the whole first page is stored.
    let hub = family(24);
    hub.refuse_limit_above(6);
    let d = tempfile::tempdir().unwrap();
    let h = Hub::new(settings(&hub, d.path())).unwrap();
    hub.fault(&page_prefix(5), Fault::Truncated);
    let err = h
        .sync(&small_pages(), &|_: &SyncEvent| {})
        .await
        .unwrap_err();
    assert!(matches!(err, HubError::Sync { pages: 1, .. }), "{err}");
    assert_eq!(h.cache().synced_count(Kind::Model).unwrap(), 5);
}

#[tokio::test]
async fn later_syncs_stop_at_what_is_already_synced_and_since_sets_the_stop() {
    let hub = family(24);
    hub.refuse_limit_above(6);
    let d = tempfile::tempdir().unwrap();
    let h = Hub::new(settings(&hub, d.path())).unwrap();
    h.sync(&small_pages(), &|_: &SyncEvent| {}).await.unwrap();
    // One model changes its license, one is new: both are newer than anything synced.
    hub.add(
        RepoSpec::model("org/m20")
            .license("mit")
            .base_model(["meta-llama/Llama-2-7b-hf"])
            .field("lastModified", json!("2024-02-02T00:00:00.000Z")),
    );
    hub.add(
        RepoSpec::model("new/model")
            .license("mit")
            .field("lastModified", json!("2024-02-01T00:00:00.000Z")),
    );
    hub.reset_requests();
    let r = h.sync(&small_pages(), &|_: &SyncEvent| {}).await.unwrap();
    assert_eq!(r.incremental, 1);
    assert_eq!(r.pages, 1);
    assert_eq!(
        listing_requests(&hub).len(),
        2,
        "one refused size, one page"
    );
    let (body, _) = h.cache().synced(Kind::Model, "org/m20").unwrap().unwrap();
    assert!(String::from_utf8_lossy(&body).contains("\"mit\""));
    assert!(h
        .cache()
        .synced(Kind::Model, "new/model")
        .unwrap()
        .is_some());

    // --since reaches further back: 2024-01-20 is the date of org/m08, on the third page.
    hub.reset_requests();
    let since = SyncRequest {
        since: Some("2024-01-20".into()),
        ..small_pages()
    };
    let r = h.sync(&since, &|_: &SyncEvent| {}).await.unwrap();
    assert_eq!(r.pages, 3);
    // --full pages through everything.
    let full = SyncRequest {
        full: true,
        ..small_pages()
    };
    assert_eq!(h.sync(&full, &|_: &SyncEvent| {}).await.unwrap().repos, 26);
}

#[tokio::test]
async fn after_a_sync_crawls_up_and_down_need_no_request_even_offline() {
    let hub = family(24);
    hub.add(
        RepoSpec::model("quant/m01-GGUF")
            .base_model(["org/m01"])
            .relation("quantized")
            .field("lastModified", json!("2024-01-02T00:00:00.000Z")),
    );
    let d = tempfile::tempdir().unwrap();
    let h = Hub::new(settings(&hub, d.path())).unwrap();
    h.sync(&SyncRequest::default(), &|_: &SyncEvent| {})
        .await
        .unwrap();
    hub.reset_requests();
    let kb = KnowledgeBase::builtin();
    for offline in [false, true] {
        let mut s = settings(&hub, d.path());
        s.offline = offline;
        let h = Hub::new(s).unwrap();
        let up = CrawlRequest::new(
            vec![Target::parse("quant/m01-GGUF").unwrap()],
            Direction::Up,
        );
        let c = h.crawl(&up, &Clarifications::none()).await.unwrap();
        let prop = Propagation::run(&c.graph, &kb, DatasetPolicy::Strict);
        let a = assess(&c.graph, &prop, &kb, c.roots[0]);
        assert_eq!(a.commercial, Verdict::Conditional);
        assert_eq!(c.graph.node_count(), 3);
        let down = CrawlRequest::new(
            vec![Target::parse("meta-llama/Llama-2-7b-hf").unwrap()],
            Direction::Both,
        );
        let c = h.crawl(&down, &Clarifications::none()).await.unwrap();
        assert_eq!(
            c.graph.node_count(),
            26,
            "base, 24 fine-tunes and a quantization"
        );
        assert!(c.incomplete.is_empty());
        let base = c
            .graph
            .find(&NodeKey::model("meta-llama/Llama-2-7b-hf"))
            .unwrap();
        assert_eq!(c.graph.children(base).count(), 24);
    }
    assert_eq!(hub.request_count(), 0);

    // Offline, synced data past its time-to-live still answers, and says it is stale.
    let mut s = settings(&hub, d.path());
    s.offline = true;
    s.ttl = std::time::Duration::ZERO;
    let h = Hub::new(s).unwrap();
    let up = CrawlRequest::new(
        vec![Target::parse("quant/m01-GGUF").unwrap()],
        Direction::Up,
    );
    let c = h.crawl(&up, &Clarifications::none()).await.unwrap();
    let root = c.graph.node(c.roots[0]);
    assert!(
        matches!(root.fallback.as_deref(), Some(lineage_core::Fallback::StaleCache { why, .. }) if why.contains("synced")),
        "{:?}",
        root.fallback
    );
    assert_eq!(hub.request_count(), 0);
}

fn write_dump(path: &Path, lines: &[String]) {
    let text = lines.join("\n") + "\n";
    let bytes = text.as_bytes();
    let f = std::fs::File::create(path).unwrap();
    match path.extension().and_then(|e| e.to_str()) {
        Some("gz") => {
            let mut e = flate2::write::GzEncoder::new(f, flate2::Compression::fast());
            e.write_all(bytes).unwrap();
            e.finish().unwrap();
        }
        Some("zst") => {
            let mut e = zstd::stream::write::Encoder::new(f, 1).unwrap();
            e.write_all(bytes).unwrap();
            e.finish().unwrap();
        }
        _ => {
            let mut f = f;
            f.write_all(bytes).unwrap();
        }
    }
}

#[test]
fn a_dump_imports_without_network_and_reports_malformed_lines_by_number() {
    let lines = vec![
        json!({"id": "meta-llama/Llama-2-7b-hf", "cardData": {"license": "llama2"}, "tags": ["license:llama2"], "lastModified": "2023-07-01T00:00:00.000Z"}).to_string(),
        json!({"id": "someone/llama2-apache", "cardData": {"license": "apache-2.0", "base_model": "meta-llama/Llama-2-7b-hf"}, "tags": ["base_model:finetune:meta-llama/Llama-2-7b-hf"]}).to_string(),
        "{\"id\": \"broken/line\", \"cardData\": ".to_string(),
        String::new(),
        json!({"modelId": "Qwen/Qwen2-7B", "cardData": {"license": "other", "license_name": "tongyi-qianwen"}}).to_string(),
    ];
    for name in ["dump.jsonl", "dump.jsonl.gz", "dump.jsonl.zst"] {
        let d = tempfile::tempdir().unwrap();
        let dump = d.path().join(name);
        write_dump(&dump, &lines);
        // The endpoint does not exist: nothing may be asked of it.
        let s = Settings::new("http://127.0.0.1:9", d.path().join("cache")).unwrap();
        let h = Hub::new(s).unwrap();
        let r = h
            .sync_from(&dump, Kind::Model, &|_: &SyncEvent| {})
            .unwrap();
        assert_eq!(r.repos, 3, "{name}");
        assert_eq!(r.bad_count, 1);
        assert_eq!(r.bad_lines[0].line, 3);
        assert_eq!(h.requests(), 0);
        let kids = h
            .cache()
            .synced_children(Kind::Model, "meta-llama/Llama-2-7b-hf")
            .unwrap();
        assert_eq!(kids.len(), 1);
        let g = h.synced_graph(&Clarifications::none()).unwrap();
        assert_eq!(g.node_count(), 3);
        let qwen = g.find(&NodeKey::model("Qwen/Qwen2-7B")).unwrap();
        assert_eq!(
            g.node(qwen).declared.license_name.as_deref(),
            Some("tongyi-qianwen")
        );
        assert_eq!(g.node(qwen).resolution, Resolution::Found);
    }
}

#[test]
fn a_dump_that_is_missing_is_an_error() {
    let d = tempfile::tempdir().unwrap();
    let s = Settings::new("http://127.0.0.1:9", d.path()).unwrap();
    let h = Hub::new(s).unwrap();
    let e = h
        .sync_from(
            &d.path().join("nope.jsonl"),
            Kind::Model,
            &|_: &SyncEvent| {},
        )
        .unwrap_err();
    assert!(matches!(e, HubError::Dump { .. }));
}

/// A dump of a base (Llama 2, the real card's license) and `n` derivatives declaring apache-2.0,
/// some of them twice (dumps repeat repos; the last line wins).
fn family_dump(n: usize) -> Vec<String> {
    let mut lines = vec![json!({"id": "meta-llama/Llama-2-7b-hf", "cardData": {"license": "llama2"}, "tags": ["license:llama2"], "lastModified": "2023-07-18T00:00:00.000Z"}).to_string()];
    for i in 0..n {
        lines.push(json!({"id": format!("someone/llama2-ft-{i}"), "cardData": {"license": "apache-2.0", "base_model": "meta-llama/Llama-2-7b-hf"}, "tags": ["base_model:finetune:meta-llama/Llama-2-7b-hf", "license:apache-2.0"], "lastModified": format!("2024-01-{:02}T00:00:00.000Z", 1 + i % 28)}).to_string());
    }
    // The first derivative again, now declaring the base's license: this line is the one kept.
    lines.push(json!({"id": "someone/llama2-ft-0", "cardData": {"license": "llama2", "base_model": "meta-llama/Llama-2-7b-hf"}}).to_string());
    lines
}

#[test]
fn an_interrupted_import_resumes_after_its_last_stored_batch() {
    let d = tempfile::tempdir().unwrap();
    let dump = d.path().join("dump.jsonl.gz");
    let lines = family_dump(30);
    write_dump(&dump, &lines);
    let settings = || Settings::new("http://127.0.0.1:9", d.path().join("cache")).unwrap();

    // The process dies right after its second batch was stored (the observer hears of each).
    let h = Hub::new(settings()).unwrap();
    let stop_after = |e: &SyncEvent| {
        if let SyncEvent::Imported { repos, .. } = e {
            assert!(*repos < 8, "interrupted");
        }
    };
    let died = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        h.sync_from(&dump, Kind::Model, &stop_after)
    }));
    assert!(died.is_err());
    // What was stored is whole and readable; the listing of the base's children is not trusted to
    // a partial import (no finished run covers it), and the run says where to continue.
    assert_eq!(h.cache().synced_count(Kind::Model).unwrap(), 8);
    assert!(h
        .cache()
        .synced(Kind::Model, "someone/llama2-ft-6")
        .unwrap()
        .is_some());
    assert_eq!(
        h.cache()
            .sync_covered_at("filter:base_model:meta-llama/Llama-2-7b-hf")
            .unwrap(),
        None
    );
    drop(h);

    // The same file again: the stored lines are skipped, the rest imported, the run finished.
    let h = Hub::new(settings()).unwrap();
    let r = h
        .sync_from(&dump, Kind::Model, &|_: &SyncEvent| {})
        .unwrap();
    assert_eq!(r.resumed_after, Some(8));
    assert_eq!(r.repos as usize, lines.len() - 8);
    assert_eq!(r.bad_count, 0);
    assert_eq!(h.cache().synced_count(Kind::Model).unwrap(), 31);
    assert!(h
        .cache()
        .sync_covered_at("filter:base_model:meta-llama/Llama-2-7b-hf")
        .unwrap()
        .is_some());
    let kids = h
        .cache()
        .synced_children(Kind::Model, "meta-llama/Llama-2-7b-hf")
        .unwrap();
    assert_eq!(kids.len(), 30, "each child once");
    // The repeated line won: ft-0 declares llama2, the others launder the base as apache-2.0.
    let g = h.synced_graph(&Clarifications::none()).unwrap();
    let ft0 = g.find(&NodeKey::model("someone/llama2-ft-0")).unwrap();
    assert_eq!(g.node(ft0).declared.license, vec!["llama2"]);
    let ft1 = g.find(&NodeKey::model("someone/llama2-ft-1")).unwrap();
    assert_eq!(g.node(ft1).declared.license, vec!["apache-2.0"]);

    // A finished import of the same file starts over (and changes nothing).
    let r = h
        .sync_from(&dump, Kind::Model, &|_: &SyncEvent| {})
        .unwrap();
    assert_eq!(r.resumed_after, None);
    assert_eq!(h.cache().synced_count(Kind::Model).unwrap(), 31);
}

#[test]
fn a_tampered_synced_row_is_unknown_never_permitted() {
    let d = tempfile::tempdir().unwrap();
    let dump = d.path().join("dump.jsonl");
    write_dump(&dump, &family_dump(3));
    let h = Hub::new(Settings::new("http://127.0.0.1:9", d.path().join("cache")).unwrap()).unwrap();
    h.sync_from(&dump, Kind::Model, &|_: &SyncEvent| {})
        .unwrap();
    // Another tool rewrites the base's license to a permissive one.
    let raw = rusqlite::Connection::open(h.cache().path()).unwrap();
    let n = raw
        .execute(
            "UPDATE synced SET body = replace(body, '\"llama2\"', '\"mit\"') WHERE id = 'meta-llama/Llama-2-7b-hf'",
            [],
        )
        .unwrap();
    assert_eq!(n, 1);
    assert!(h
        .cache()
        .synced(Kind::Model, "meta-llama/Llama-2-7b-hf")
        .unwrap()
        .is_none());
    let g = h.synced_graph(&Clarifications::none()).unwrap();
    let kb = KnowledgeBase::builtin();
    let prop = Propagation::run(&g, &kb, DatasetPolicy::Strict);
    let base = g.find(&NodeKey::model("meta-llama/Llama-2-7b-hf")).unwrap();
    assert!(matches!(
        g.node(base).resolution,
        Resolution::Unreachable { .. }
    ));
    assert_eq!(assess(&g, &prop, &kb, base).commercial, Verdict::Unknown);
    let child = g.find(&NodeKey::model("someone/llama2-ft-1")).unwrap();
    assert_eq!(assess(&g, &prop, &kb, child).commercial, Verdict::Unknown);
}
