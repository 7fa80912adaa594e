//! Fault soak (ignored by default; bounded, loopback only): a 2,047-repo family is crawled once
//! cleanly and once while a fifth of its requests fail (500, 502, 429, timeouts, truncated bodies,
//! resets, early closes). Every verdict must match the clean run's, with at most 1.5x the requests.
//!
//! The same for `sync`: a paged listing synced cleanly and with a fifth of its pages failing once
//! gives the same synced rows (a small version always runs).
//!
//! Run: `cargo test -p lineage-hub --lib soak -- --ignored --nocapture` (about a minute in debug).

use crate::{Crawl, CrawlRequest, Direction, Hub, Target};
use lineage_core::{assess, Clarifications, DatasetPolicy, KnowledgeBase, Propagation, Verdict};
use lineage_fakehub::{FakeHub, Fault, FaultHandle};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::{Duration, Instant};

/// Client timeout in the soak; [`Fault::Slow`] waits longer than this, so it acts as a timeout.
const TIMEOUT: Duration = Duration::from_millis(800);

async fn crawl(hub: &FakeHub, cache: &Path) -> Crawl {
    // The crawl tests' quick retries, with a timeout short enough for slow answers to hit it.
    let mut s = super::settings(hub, cache);
    s.retry.timeout = TIMEOUT;
    let roots = vec![Target::parse("soak/base").unwrap()];
    Hub::new(s)
        .unwrap()
        .crawl(
            &CrawlRequest::new(roots, Direction::Both),
            &Clarifications::none(),
        )
        .await
        .unwrap()
}

/// Each node's verdict, by key.
fn verdicts(c: &Crawl) -> BTreeMap<String, Verdict> {
    let kb = KnowledgeBase::builtin();
    let prop = Propagation::run(&c.graph, &kb, DatasetPolicy::Strict);
    c.graph
        .node_indices()
        .map(|ix| {
            let key = c.graph.node(ix).key.to_string();
            (key, assess(&c.graph, &prop, &kb, ix).commercial)
        })
        .collect()
}

/// A stable 1-in-5 choice of request paths (FNV-1a of the path).
fn chosen(path: &str) -> Option<u64> {
    let h = path.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    (h % 5 == 0).then_some(h / 5)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "fault soak: about a minute; run with --ignored"]
#[allow(clippy::print_stderr)] // The soak exists to report its numbers.
async fn a_2000_repo_family_survives_a_fifth_of_requests_failing() {
    let hub = FakeHub::start();
    let ids = hub.family_tree("soak/base", 2, 10);
    assert_eq!(ids.len(), 2046);

    let clean_dir = tempfile::tempdir().unwrap();
    let t = Instant::now();
    let clean = crawl(&hub, clean_dir.path()).await;
    let clean_time = t.elapsed();
    assert_eq!(clean.graph.node_count(), 2047);
    assert_eq!(clean.stats.unreachable, 0);
    let paths: BTreeSet<String> = hub.requests().into_iter().map(|r| r.path).collect();

    let rules = inject_faults(&hub, &paths);
    hub.reset_requests();
    let flaky_dir = tempfile::tempdir().unwrap();
    let t = Instant::now();
    let flaky = crawl(&hub, flaky_dir.path()).await;
    let flaky_time = t.elapsed();

    let failed = rules.iter().filter(|r| r.hits() > 0).count();
    let ratio = flaky.stats.requests as f64 / clean.stats.requests as f64;
    eprintln!(
        "soak: {} repos; clean {} requests in {clean_time:.1?}; faulty {} requests in \
         {flaky_time:.1?} ({ratio:.3}x), {failed} of {} distinct requests failed once ({:.1}%), \
         unreachable {}",
        clean.graph.node_count(),
        clean.stats.requests,
        flaky.stats.requests,
        paths.len(),
        100.0 * failed as f64 / paths.len() as f64,
        flaky.stats.unreachable,
    );
    assert!(failed * 100 >= paths.len() * 15, "too few faults fired");
    assert_eq!(flaky.stats.unreachable, 0);
    let (a, b) = (verdicts(&clean), verdicts(&flaky));
    let differ: Vec<_> = a.iter().filter(|(k, v)| b.get(*k) != Some(v)).collect();
    assert!(
        differ.is_empty(),
        "{} verdicts differ: {differ:?}",
        differ.len()
    );
    assert_eq!(a.len(), b.len());
    assert!(ratio <= 1.5, "{ratio}");
}

/// Every synced row (kind, id) → the stored facts, read from the cache after a sync.
fn synced_rows(h: &Hub) -> BTreeMap<(String, String), Vec<u8>> {
    let mut rows = BTreeMap::new();
    h.cache()
        .for_each_synced(|kind, id, body| {
            let body = body.expect("every synced row matches its digest");
            rows.insert((kind.as_str().to_string(), id.to_string()), body.to_vec());
        })
        .unwrap();
    rows
}

/// Syncs the whole listing of `hub` into a fresh cache in pages of `page`: the report and the rows.
async fn sync_all(
    hub: &FakeHub,
    page: usize,
) -> (crate::SyncReport, BTreeMap<(String, String), Vec<u8>>) {
    let dir = tempfile::tempdir().unwrap();
    let mut s = super::settings(hub, dir.path());
    s.retry.timeout = TIMEOUT;
    let h = Hub::new(s).unwrap();
    let req = crate::SyncRequest {
        page_size: Some(page),
        ..crate::SyncRequest::default()
    };
    let report = h.sync(&req, &|_: &crate::SyncEvent| {}).await.unwrap();
    (report, synced_rows(&h))
}

/// A clean sync, then one where a fifth of the listing pages fail once (500, 502, 429, timeouts,
/// truncated bodies, resets, early closes): the same rows, with at most 1.5x the requests. Returns
/// (repos, pages, clean requests, faulty requests, faults fired).
async fn sync_soak(branching: usize, depth: usize, page: usize) -> (u64, u64, u64, u64, usize) {
    let hub = FakeHub::start();
    let ids = hub.family_tree("soak/base", branching, depth);
    let (clean, clean_rows) = sync_all(&hub, page).await;
    assert_eq!(clean.repos as usize, ids.len() + 1);
    assert_eq!(clean_rows.len(), ids.len() + 1);
    let paths: BTreeSet<String> = hub.requests().into_iter().map(|r| r.path).collect();
    assert!(paths.len() as u64 >= clean.pages, "one request per page");

    let rules = inject_faults(&hub, &paths);
    hub.reset_requests();
    let (flaky, flaky_rows) = sync_all(&hub, page).await;
    let failed = rules.iter().filter(|r| r.hits() > 0).count();
    assert!(
        failed * 100 >= paths.len() * 10,
        "too few faults fired: {failed}"
    );
    assert_eq!(flaky.repos, clean.repos);
    // Every repo, with the same facts.
    let differ: Vec<_> = clean_rows
        .iter()
        .filter(|(k, v)| flaky_rows.get(*k) != Some(v))
        .map(|(k, _)| k)
        .collect();
    assert!(
        differ.is_empty(),
        "{} rows differ: {differ:?}",
        differ.len()
    );
    assert_eq!(clean_rows.len(), flaky_rows.len());
    let ratio = flaky.requests as f64 / clean.requests as f64;
    assert!(ratio <= 1.5, "{ratio}");
    (
        clean.repos,
        clean.pages,
        clean.requests,
        flaky.requests,
        failed,
    )
}

/// The always-run version: 127 repos in 26 pages of 5.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_survives_a_fifth_of_its_pages_failing() {
    let (repos, pages, clean, flaky, failed) = sync_soak(2, 6, 5).await;
    assert_eq!((repos, pages), (127, 26));
    assert!(flaky > clean && failed > 0, "{clean} {flaky} {failed}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "sync fault soak: run with --ignored"]
#[allow(clippy::print_stderr)] // The soak exists to report its numbers.
async fn a_2000_repo_sync_survives_a_fifth_of_requests_failing() {
    let t = Instant::now();
    let (repos, pages, clean, flaky, failed) = sync_soak(2, 10, 20).await;
    eprintln!(
        "sync soak: {repos} repos in {pages} pages; clean {clean} requests; faulty {flaky} \
         requests ({:.3}x), {failed} pages failed once; {:.1?} in all",
        flaky as f64 / clean as f64,
        t.elapsed()
    );
}

/// Makes the chosen fifth of `paths` fail once each, cycling through every fault kind (server errors,
/// 429, timeouts, truncated bodies, resets, early closes); returns the rules to count their hits.
fn inject_faults<'h>(hub: &'h FakeHub, paths: &BTreeSet<String>) -> Vec<FaultHandle<'h>> {
    let kinds = [
        Fault::ServerError,
        Fault::BadGateway,
        Fault::RateLimited {
            reset: Some(0),
            retry_after: None,
        },
        Fault::Slow(TIMEOUT * 2),
        Fault::Truncated,
        Fault::Reset,
        Fault::Close,
        Fault::Status(504),
    ];
    paths
        .iter()
        .filter_map(|p| chosen(p).map(|h| (p, h)))
        .map(|(p, h)| {
            let kind = kinds[(h % kinds.len() as u64) as usize].clone();
            hub.fault(p, kind).times(1)
        })
        .collect()
}
