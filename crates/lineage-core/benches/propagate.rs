//! Builds and propagates a synthetic Hub-sized lineage graph and reports time and peak memory.
//!
//! `cargo bench -p lineage-core --bench propagate` (optionally `-- MODELS DATASETS`). The graph has deep
//! fine-tune chains, wide fan-out below popular bases, quantized copies without a license, merges,
//! training-data edges, dataset derivations and a few cycles, with licenses spelled as real cards do.

#![allow(clippy::print_stdout)]

use lineage_core::{
    assess, DatasetPolicy, Declared, Graph, KnowledgeBase, Node, NodeKey, Propagation, Relation,
};
use std::time::Instant;

// The allocator the `lineage` binary uses, so the figures are the product's. (With the system
// allocator the build is about 0.5 s slower: building a million nodes is allocation-bound.)
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*: deterministic, fast, good enough for shapes.
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const MODEL_LICENSES: &[&[&str]] = &[
    &["apache-2.0"],
    &["Apache 2.0"],
    &["mit"],
    &["llama2"],
    &["llama3.1"],
    &["gemma"],
    &["cc-by-nc-4.0"],
    &["openrail++"],
    &["other"],
    &[],
];
const DATASET_LICENSES: &[&[&str]] = &[
    &["cc-by-4.0"],
    &["cc-by-nc-4.0"],
    &["cc-by-sa-3.0"],
    &["apache-2.0"],
    &["odc-by"],
    &["mit", "cc-by-4.0"],
    &[],
];

fn declared(license: &[&str]) -> Declared {
    Declared {
        license: license.iter().map(|s| s.to_string()).collect(),
        ..Declared::default()
    }
}

fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let models = args.first().copied().unwrap_or(1_000_000);
    let datasets = args.get(1).copied().unwrap_or(100_000);
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let kb = KnowledgeBase::builtin();

    let t0 = Instant::now();
    let mut g = Graph::with_capacity(models + datasets, models * 3 / 2);
    let mut ds = Vec::with_capacity(datasets);
    for i in 0..datasets {
        let lic = DATASET_LICENSES[rng.below(DATASET_LICENSES.len())];
        let ix = g.upsert(Node::found(
            NodeKey::dataset(format!("data-org-{}/set-{i}", i % 5000)),
            declared(lic),
        ));
        if i > 100 && rng.below(5) == 0 {
            g.add_edge_unchecked(ds[rng.below(i)], ix, Relation::DerivedFrom);
        }
        ds.push(ix);
    }
    let roots = 1000.min(models);
    let mut ms = Vec::with_capacity(models);
    for i in 0..models {
        let relation = match rng.below(20) {
            0..=9 => Relation::Finetune,
            10..=14 => Relation::Quantized,
            15..=17 => Relation::Adapter,
            _ => Relation::Merge,
        };
        let license = if relation == Relation::Quantized && i >= roots {
            &[][..]
        } else {
            MODEL_LICENSES[rng.below(MODEL_LICENSES.len())]
        };
        let ix = g.upsert(Node::found(
            NodeKey::model(format!("org-{}/model-{i}", i % 50_000)),
            declared(license),
        ));
        if i >= roots {
            // Deep chains: half the time derive from one of the last few models; wide fan-out otherwise
            // (popular bases are the low indices).
            let parent = if rng.below(2) == 0 {
                i - 1 - rng.below(8.min(i))
            } else {
                rng.below(roots + (i - roots) / 64)
            };
            g.add_edge_unchecked(ms[parent], ix, relation);
            if relation == Relation::Merge {
                let other = rng.below(i);
                if other != parent {
                    g.add_edge_unchecked(ms[other], ix, Relation::Merge);
                }
            }
            if rng.below(10) < 3 && !ds.is_empty() {
                g.add_edge_unchecked(ds[rng.below(ds.len())], ix, Relation::TrainedOn);
            }
        }
        ms.push(ix);
    }
    // A few cycles, as real metadata has: self-references and back edges.
    for _ in 0..100 {
        let a = ms[rng.below(ms.len())];
        g.add_edge_unchecked(a, a, Relation::Finetune);
        let (x, y) = (rng.below(ms.len()), rng.below(ms.len()));
        g.add_edge_unchecked(ms[x.max(y)], ms[x.min(y)], Relation::Finetune);
    }
    let build = t0.elapsed();
    let (nodes, edges) = (g.node_count(), g.edge_count());
    let rss_graph = peak_rss_mib();

    let t1 = Instant::now();
    let prop = Propagation::run(&g, &kb, DatasetPolicy::Strict);
    let propagate = t1.elapsed();

    let t2 = Instant::now();
    let sample = 1000.min(models);
    let mut counts = [0usize; 4];
    for k in 0..sample {
        let ix = ms[(k * 7919) % ms.len()];
        let a = assess(&g, &prop, &kb, ix);
        counts[a.commercial as usize] += 1;
    }
    let explain = t2.elapsed();
    let effects: usize = g.node_indices().map(|ix| prop.effective(ix).len()).sum();

    println!(
        "graph: {nodes} nodes ({models} models, {datasets} datasets), {edges} edges, {} cycles",
        prop.cycles().len()
    );
    println!("build graph:  {:>8.3} s", build.as_secs_f64());
    println!(
        "propagate:    {:>8.3} s  ({effects} effective terms kept, {:.1} per node)",
        propagate.as_secs_f64(),
        effects as f64 / nodes as f64
    );
    println!(
        "assess {sample} nodes with explanations: {:.3} s ({} permitted, {} conditional, {} unknown, {} forbidden)",
        explain.as_secs_f64(),
        counts[0],
        counts[1],
        counts[2],
        counts[3]
    );
    if let (Some(g_mib), Some(peak)) = (rss_graph, peak_rss_mib()) {
        println!("peak RSS after build: {g_mib:.0} MiB; overall peak: {peak:.0} MiB");
    }
}
