//! Trace one model's lineage with the library and print its verdict with reasons.
//!
//! `cargo run --example trace -- [--endpoint URL] MODEL`

#![allow(clippy::print_stdout, clippy::print_stderr)]

use lineage::{Direction, Engine, Flags, KnowledgeBase, Settings, Target};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let mut flags = Flags { ..Flags::default() };
    let mut model = None;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--endpoint" => flags.endpoint = args.next(),
            _ => model = Some(a),
        }
    }
    let Some(model) = model else {
        eprintln!("usage: trace [--endpoint URL] MODEL");
        std::process::exit(2);
    };
    let engine = Engine::new(KnowledgeBase::builtin(), Settings::from_env(&flags)?)?;
    let trace = engine
        .trace(vec![Target::parse(&model)?], Direction::Up, None)
        .await?;
    let a = trace.assess(trace.roots()[0]);
    println!("{}: {}", a.node, a.commercial);
    println!("{}", a.summary);
    for r in a.reasons.iter().chain(&a.conditions) {
        let path: Vec<String> = r.path.iter().map(|s| s.node.to_string()).collect();
        println!("  {}  [{}]", r.term, path.join(" ← "));
    }
    for c in &a.conflicts {
        println!("  conflict {}: {}", c.code, c.message);
    }
    Ok(())
}
