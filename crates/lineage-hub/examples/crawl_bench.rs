//! Crawl benchmark against the fake Hub in-process, 20 ms latency per request:
//! the upward crawl of a 6-deep chain, the downward crawl of a 1,000-model family tree (branching 3,
//! depth 6) at concurrency 8, the same crawl when 1% of its requests answer 2 s late, and cached
//! re-runs.
//!
//! `cargo run --release -p lineage-hub --example crawl_bench`

// A benchmark's whole job is to print its numbers.
#![allow(clippy::print_stdout)]

use lineage_core::Clarifications;
use lineage_fakehub::{FakeHub, Fault, RepoSpec};
use lineage_hub::{Crawl, CrawlRequest, Direction, Hub, Settings, Target};
use std::path::Path;
use std::time::{Duration, Instant};

const LATENCY: Duration = Duration::from_millis(20);
const CONCURRENCY: usize = 8;

async fn run(
    hub: &FakeHub,
    cache: &Path,
    root: &str,
    direction: Direction,
) -> (Crawl, Duration, usize) {
    let mut settings = Settings::new(&hub.url(), cache).expect("fake hub URL");
    settings.concurrency = CONCURRENCY;
    let before = hub.request_count();
    let start = Instant::now();
    let h = Hub::new(settings).expect("cache");
    let req = CrawlRequest::new(vec![Target::parse(root).expect("root")], direction);
    let crawl = h.crawl(&req, &Clarifications::none()).await.expect("crawl");
    let wall = start.elapsed();
    (crawl, wall, hub.request_count() - before)
}

fn report(name: &str, crawl: &Crawl, wall: Duration, seen_by_hub: usize) {
    let s = &crawl.stats;
    println!(
        "{name:<28} wall {:>8.1} ms  requests {:>5} (hub saw {:>5})  repos {:>5}  requests/repo {:.3}  cache hits {}",
        wall.as_secs_f64() * 1e3,
        s.requests,
        seen_by_hub,
        s.repos,
        s.requests_per_repo(),
        s.cache_hits,
    );
}

#[tokio::main]
async fn main() {
    let hub = FakeHub::start();
    hub.add(RepoSpec::model("chain/m0").license("apache-2.0"));
    for i in 1..=6 {
        hub.add(
            RepoSpec::model(&format!("chain/m{i}"))
                .license("apache-2.0")
                .base_model([format!("chain/m{}", i - 1)]),
        );
    }
    let family = hub.family_tree("family/root", 3, 6);
    hub.set_latency(LATENCY);
    println!(
        "fake Hub at {}, latency {} ms per request, concurrency {CONCURRENCY}; family of {} models below the root",
        hub.url(),
        LATENCY.as_millis(),
        family.len()
    );

    let dir = tempfile::tempdir().expect("tempdir");
    let (up, wall, seen) = run(&hub, dir.path(), "chain/m6", Direction::Up).await;
    report("up: 6-deep chain", &up, wall, seen);
    println!(
        "{:<28} floor (one request per hop, sequential): {:.1} ms",
        "",
        up.stats.requests as f64 * LATENCY.as_secs_f64() * 1e3
    );

    let (down, wall, seen) = run(&hub, dir.path(), "family/root", Direction::Down).await;
    report("down: family tree", &down, wall, seen);
    let ideal = down.stats.requests as f64 / CONCURRENCY as f64 * LATENCY.as_secs_f64();
    println!(
        "{:<28} requests/concurrency*latency = {:.1} ms; measured {:.2}x of it (target <= 1.2x)",
        "",
        ideal * 1e3,
        wall.as_secs_f64() / ideal
    );
    assert_eq!(down.graph.node_count(), family.len() + 1);

    // 1% of the same requests answer 2 s late (each once), on a fresh cache.
    let paths: Vec<String> = hub
        .requests()
        .into_iter()
        .skip(hub.request_count() - seen)
        .map(|r| r.path)
        .collect();
    let slow = Duration::from_secs(2);
    let late: Vec<&String> = paths.iter().skip(7).step_by(100).collect();
    for p in &late {
        hub.fault(p, Fault::Slow(slow)).times(1);
    }
    let fresh = tempfile::tempdir().expect("tempdir");
    let (slowed, wall, seen) = run(&hub, fresh.path(), "family/root", Direction::Down).await;
    report("down: 1% answer 2 s late", &slowed, wall, seen);
    let busy = slowed.stats.requests as f64 * LATENCY.as_secs_f64()
        + late.len() as f64 * slow.as_secs_f64();
    println!(
        "{:<28} {} late, {} hedged; measured {:.2}x of requests/concurrency*latency (target <= 1.2x), {:.2}x of (all answer time)/concurrency",
        "",
        late.len(),
        slowed.stats.requests.saturating_sub(down.stats.requests),
        wall.as_secs_f64() / ideal,
        wall.as_secs_f64() / (busy / CONCURRENCY as f64)
    );
    assert_eq!(slowed.graph.node_count(), family.len() + 1);

    let (again, wall, seen) = run(&hub, dir.path(), "family/root", Direction::Down).await;
    report("down: cached re-run", &again, wall, seen);
    let (again_up, wall_up, seen_up) = run(&hub, dir.path(), "chain/m6", Direction::Up).await;
    report("up: cached re-run", &again_up, wall_up, seen_up);
}
