//! Whole-Hub scale benchmark: generates a synthetic JSON-lines dump of N models (default 2,000,000)
//! with realistic card data, imports it with `sync --from` ([`Hub::sync_from`]), then audits the
//! cache (load the synced graph, propagate once, judge every model) and lists the descendants of a
//! large family from the cache.
//!
//! ```text
//! cargo run --release -p lineage-hub --example sync_bench -- [MODELS] [DUMP_PATH]
//! ```
//!
//! The dump is kept at DUMP_PATH (default: a temporary file) so `benches/audit_networkx.py` can
//! load the same data; `benches/scale.sh` runs both and prints the ratio.
//!
//! Shape of the data (per model): 60% declare a base model (half of those a popular foundation
//! model, the rest an earlier model, so chains and large families form), 15% a training dataset,
//! 2% are merges of two bases; licenses in rough Hub proportions (apache-2.0, mit, none, llama2/3,
//! gemma, cc-by-nc-4.0, openrail, `other` with a license name, ...); tags as the Hub writes them.

#![allow(clippy::print_stdout)]

use lineage_core::audit::{audit, AuditFilter};
use lineage_core::{
    export, Clarifications, DatasetPolicy, KnowledgeBase, NodeKey, Propagation, RepoKind,
};
use lineage_hub::{CrawlRequest, Direction, Hub, Settings, SyncEvent, Target};
use std::io::{BufWriter, Write};
use std::time::Instant;

// The allocator the `lineage` binary uses, so the figures are the product's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// A small deterministic generator (xorshift64*), so every run sees the same data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

const FOUNDATIONS: usize = 1_000;
const DATASETS: u64 = 20_000;

fn license(r: &mut Rng, i: usize) -> (Option<&'static str>, Option<String>) {
    let x = r.below(1000);
    let l = match x {
        0..=349 => "apache-2.0",
        350..=499 => "mit",
        500..=749 => return (None, None),
        750..=789 => "llama2",
        790..=809 => "llama3",
        810..=829 => "gemma",
        830..=859 => "cc-by-nc-4.0",
        860..=889 => "openrail",
        890..=909 => "cc-by-4.0",
        910..=919 => "gpl-3.0",
        920..=929 => "bigscience-openrail-m",
        930..=939 => "cc-by-sa-4.0",
        _ => {
            let names = [
                "tongyi-qianwen",
                "deepseek",
                "mistral-ai-research-licence",
                "my-custom-license",
                "falcon-llm-license",
            ];
            return (Some("other"), Some(names[i % names.len()].to_string()));
        }
    };
    (Some(l), None)
}

fn model_id(i: usize) -> String {
    format!("org{}/model-{i}", i % 50_000)
}

fn generate(path: &std::path::Path, n: usize) -> (u64, u64, String) {
    let mut r = Rng(0x9E37_79B9_7F4A_7C15);
    let mut out = BufWriter::with_capacity(1 << 22, std::fs::File::create(path).unwrap());
    let (mut base_edges, mut dataset_edges) = (0u64, 0u64);
    // The first foundation model is the root of the largest family (children of it are asked for).
    for i in 0..n {
        let id = model_id(i);
        let (lic, name) = license(&mut r, i);
        let mut bases: Vec<String> = Vec::new();
        if i >= FOUNDATIONS && r.below(100) < 60 {
            let pick = |r: &mut Rng| {
                if r.below(2) == 0 {
                    // Popular foundations, skewed to the first ones.
                    let a = r.below(FOUNDATIONS as u64);
                    model_id((a * r.below(FOUNDATIONS as u64) / FOUNDATIONS as u64) as usize)
                } else {
                    model_id(r.below(i as u64) as usize)
                }
            };
            bases.push(pick(&mut r));
            // A family of about 10,000 direct derivatives at 2M models (asked for at the end).
            if i % 240 == 7 {
                bases[0] = model_id(0);
            }
            if r.below(100) < 3 {
                let b = pick(&mut r);
                if b != bases[0] {
                    bases.push(b);
                }
            }
        }
        let datasets: Vec<String> = if r.below(100) < 15 {
            vec![format!(
                "data-org{}/dataset-{}",
                r.below(500),
                r.below(DATASETS)
            )]
        } else {
            Vec::new()
        };
        base_edges += bases.len() as u64;
        dataset_edges += datasets.len() as u64;
        let relation = match (bases.len(), r.below(10)) {
            (0, _) => None,
            (2, _) => Some("merge"),
            (_, 0..=2) => Some("quantized"),
            (_, 3..=4) => Some("adapter"),
            _ => Some("finetune"),
        };
        let mut card = serde_json::Map::new();
        if let Some(l) = lic {
            card.insert("license".into(), l.into());
        }
        if let Some(n) = &name {
            card.insert("license_name".into(), n.clone().into());
            card.insert("license_link".into(), "LICENSE".into());
        }
        match bases.len() {
            0 => {}
            1 => {
                card.insert("base_model".into(), bases[0].clone().into());
            }
            _ => {
                card.insert("base_model".into(), bases.clone().into());
            }
        }
        if !datasets.is_empty() {
            card.insert("datasets".into(), datasets.clone().into());
        }
        card.insert("language".into(), serde_json::json!(["en"]));
        card.insert("pipeline_tag".into(), "text-generation".into());
        card.insert(
            "tags".into(),
            serde_json::json!(["text-generation", "conversational"]),
        );
        let mut tags: Vec<String> = vec![
            "transformers".into(),
            "safetensors".into(),
            "llama".into(),
            "text-generation".into(),
            "conversational".into(),
            "en".into(),
        ];
        for b in &bases {
            tags.push(format!("base_model:{b}"));
            if let Some(rel) = relation {
                tags.push(format!("base_model:{rel}:{b}"));
            }
        }
        for d in &datasets {
            tags.push(format!("dataset:{d}"));
        }
        if let Some(l) = lic {
            tags.push(format!("license:{l}"));
        }
        tags.push("autotrain_compatible".into());
        tags.push("endpoints_compatible".into());
        tags.push("region:us".into());
        let day = 1 + (n - i) * 1000 / n;
        let item = serde_json::json!({
            "_id": format!("{:024x}", i),
            "id": id,
            "modelId": id,
            "author": format!("org{}", i % 50_000),
            "likes": r.below(100),
            "downloads": r.below(100_000),
            "trendingScore": 0,
            "private": false,
            "gated": if r.below(100) < 2 { serde_json::json!("manual") } else { serde_json::json!(false) },
            "disabled": false,
            "sha": format!("{:016x}{:016x}{:08x}", r.next(), r.next(), r.below(1 << 32)),
            "lastModified": format!("2024-{:02}-{:02}T00:00:00.000Z", 1 + day % 12, 1 + day % 28),
            "createdAt": "2023-06-01T00:00:00.000Z",
            "library_name": "transformers",
            "pipeline_tag": "text-generation",
            "tags": tags,
            "cardData": card,
        });
        serde_json::to_writer(&mut out, &item).unwrap();
        out.write_all(b"\n").unwrap();
    }
    out.flush().unwrap();
    (base_edges, dataset_edges, model_id(0))
}

fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

/// CPU seconds (user + system, all threads) this process has used: on a shared machine the wall
/// time of a phase also counts the time other processes held the cores.
fn cpu_secs() -> f64 {
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            let rest = &s[s.rfind(')')? + 2..];
            let f: Vec<&str> = rest.split_whitespace().collect();
            Some((f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?) / 100.0)
        })
        .unwrap_or(0.0)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or(2_000_000);
    let dir = tempfile::tempdir().unwrap();
    let dump = args
        .next()
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| dir.path().join("dump.jsonl"));

    let t = Instant::now();
    let (base_edges, dataset_edges, family) = generate(&dump, n);
    let size = std::fs::metadata(&dump).map(|m| m.len()).unwrap_or(0);
    println!(
        "generated {n} models ({base_edges} base-model edges, {dataset_edges} dataset edges, {:.0} MiB) in {:.1?}",
        size as f64 / 1048576.0,
        t.elapsed()
    );

    let settings = Settings::new("http://127.0.0.1:9", dir.path().join("cache")).unwrap();
    let hub = Hub::new(settings).unwrap();
    let t = Instant::now();
    let c = cpu_secs();
    let report = hub
        .sync_from(&dump, RepoKind::Model, &|_: &SyncEvent| {})
        .unwrap();
    let import = t.elapsed();
    println!(
        "sync --from: {} repos in {:.2?} ({:.0}/s; {:.1} s of CPU), {} bad lines, peak RSS so far {:.0} MiB",
        report.repos,
        import,
        report.repos as f64 / import.as_secs_f64(),
        cpu_secs() - c,
        report.bad_count,
        peak_rss_mib()
    );

    let kb = KnowledgeBase::builtin();
    let t = Instant::now();
    let c0 = cpu_secs();
    let graph = hub.synced_graph(&Clarifications::none()).unwrap();
    let load = t.elapsed();
    let c1 = cpu_secs();
    let t = Instant::now();
    let prop = Propagation::run(&graph, &kb, DatasetPolicy::Strict);
    let propagate = t.elapsed();
    let c2 = cpu_secs();
    let t = Instant::now();
    let mut findings = 0u64;
    let summary = audit(&graph, &prop, &kb, &AuditFilter::default(), |_| {
        findings += 1
    });
    let judge = t.elapsed();
    let c3 = cpu_secs();
    println!(
        "audit CPU: load {:.1} s + propagate {:.1} s + judge {:.1} s",
        c1 - c0,
        c2 - c1,
        c3 - c2
    );
    println!(
        "audit: {} nodes, {} edges; load {:.2?} + propagate {:.2?} + judge {:.2?} = {:.2?}; {} models, {} findings in {} groups; peak RSS {:.0} MiB",
        graph.node_count(),
        graph.edge_count(),
        load,
        propagate,
        judge,
        load + propagate + judge,
        summary.models,
        findings,
        summary.groups.len(),
        peak_rss_mib()
    );
    for g in summary.groups.iter().take(5) {
        println!(
            "  {} {:?} declare {}: {}",
            g.code,
            g.culprit.as_ref().map(|c| c.id.as_str()),
            g.declared,
            g.count
        );
    }
    drop(prop);
    drop(graph);

    // Descendants of the largest family, from the cache, offline.
    let mut s = Settings::new("http://127.0.0.1:9", dir.path().join("cache")).unwrap();
    s.offline = true;
    s.max_nodes = usize::MAX;
    let hub = Hub::new(s).unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    // As `lineage descendants MODEL --depth 1 --format json` does: crawl down one level and up
    // every derivative's ancestry (from the synced rows), propagate, judge each derivative on the
    // cheap path, render the JSON.
    let t = Instant::now();
    let c0 = cpu_secs();
    let req = CrawlRequest {
        depth: Some(1),
        ..CrawlRequest::new(vec![Target::parse(&family).unwrap()], Direction::Both)
    };
    let crawl = rt
        .block_on(hub.crawl(&req, &Clarifications::none()))
        .unwrap();
    let crawled = t.elapsed();
    let t = Instant::now();
    let prop = Propagation::run(&crawl.graph, &kb, DatasetPolicy::Strict);
    let propagated = t.elapsed();
    let t = Instant::now();
    let root = crawl.graph.find(&NodeKey::model(&family)).unwrap();
    let found = export::judge_descendants(&crawl.graph, &prop, &kb, root, Some(1), &|_| Vec::new());
    let json: Vec<serde_json::Value> = found
        .iter()
        .map(|d| export::descendant_json(&crawl.graph, &kb, d, None))
        .collect();
    let json_bytes = serde_json::to_vec_pretty(&json).unwrap().len();
    let judged = t.elapsed();
    let cpu = cpu_secs() - c0;
    let with_conflicts = found
        .iter()
        .filter(|d| !d.judgement.conflicts.is_empty())
        .count();
    println!(
        "descendants of {family} (one level) from the cache: {} derivatives ({with_conflicts} with conflicts) in {:.2?} (crawl {:.2?} of {} nodes + propagate {:.2?} + judge and JSON {:.2?}), {:.0} bytes of JSON per descendant, {} requests; {cpu:.2} s of CPU",
        found.len(),
        crawled + propagated + judged,
        crawled,
        crawl.graph.node_count(),
        propagated,
        judged,
        json_bytes as f64 / found.len().max(1) as f64,
        crawl.stats.requests
    );
    // The same crawl without issue #10's inference (LICENSE files, README sections): its share.
    let mut s = Settings::new("http://127.0.0.1:9", dir.path().join("cache")).unwrap();
    s.offline = true;
    s.max_nodes = usize::MAX;
    s.infer = false;
    let plain_hub = Hub::new(s).unwrap();
    let t = Instant::now();
    let again = rt
        .block_on(plain_hub.crawl(&req, &Clarifications::none()))
        .unwrap();
    println!(
        "  the same crawl with --no-infer: {:.2?} ({} nodes)",
        t.elapsed(),
        again.graph.node_count()
    );
    let t = Instant::now();
    let explained: usize = found
        .iter()
        .map(|d| {
            let a = lineage_core::assess(&crawl.graph, &prop, &kb, d.ix);
            serde_json::to_vec(&export::descendant_json(&crawl.graph, &kb, d, Some(&a)))
                .unwrap()
                .len()
        })
        .sum();
    println!(
        "  with --explain: {:.2?} more, {:.0} bytes of JSON per descendant",
        t.elapsed(),
        explained as f64 / found.len().max(1) as f64
    );
}
