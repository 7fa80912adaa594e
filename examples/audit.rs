//! Audit the derivatives of a base model: which ones declare a license more permissive than what they
//! inherit ("license laundering")?
//!
//! `cargo run --example audit -- [--endpoint URL] [--depth N] BASE_MODEL`

#![allow(clippy::print_stdout, clippy::print_stderr)]

use lineage::{ConflictCode, Direction, Engine, Flags, KnowledgeBase, Settings, Target};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let mut flags = Flags { ..Flags::default() };
    let (mut depth, mut model) = (None, None);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--endpoint" => flags.endpoint = args.next(),
            "--depth" => depth = args.next().and_then(|d| d.parse().ok()),
            _ => model = Some(a),
        }
    }
    let Some(model) = model else {
        eprintln!("usage: audit [--endpoint URL] [--depth N] BASE_MODEL");
        std::process::exit(2);
    };
    let engine = Engine::new(KnowledgeBase::builtin(), Settings::from_env(&flags)?)?;
    let trace = engine
        .trace(vec![Target::parse(&model)?], Direction::Both, depth)
        .await?;
    let root = trace.roots()[0];
    let below = trace.graph().descendants(root);
    let mut laundering = 0;
    for ix in below.into_iter().filter(|&ix| ix != root) {
        let a = trace.assess(ix);
        let flagged: Vec<&str> = a
            .conflicts
            .iter()
            .filter(|c| c.code == ConflictCode::DeclaredMorePermissive)
            .map(|c| c.message.as_str())
            .collect();
        if !flagged.is_empty() {
            laundering += 1;
            println!("{} [{}]: {}", a.node, a.commercial, flagged.join("; "));
        }
    }
    println!(
        "{laundering} derivative(s) of {model} declare more than they may ({} repositories crawled, {} requests)",
        trace.crawl.stats.repos, trace.crawl.stats.requests
    );
    Ok(())
}
