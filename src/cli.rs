//! The command line: flags → settings → library → render → exit code. No domain logic lives here.

mod args;
mod history;
mod progress;
pub mod render;

use anyhow::{bail, Context, Result};
mod scale;

use args::{
    CatalogArgs, CheckArgs, CheckFormat, Cli, Command, DatasetPolicyArg, DescendantsArgs,
    DescendantsFormat, Global, GraphArgs, GraphFormat, LicensesArgs, ReportFormat,
};
use clap::Parser;
use lineage::core::export;
use lineage::{
    Catalog, DatasetPolicy, Direction, Engine, Flags, KnowledgeBase, Policy, Settings, Show, Target,
};
use render::Out;
use std::process::ExitCode;
use std::sync::Arc;

/// Exit code when every model is allowed (or a command that judges nothing succeeded).
pub(crate) const ALLOWED: u8 = 0;
/// Exit code when some model is denied by the policy.
const DENIED: u8 = 1;

/// Parses the command line and runs the command.
pub fn run() -> Result<ExitCode> {
    let cli = Cli::parse();
    let g = &cli.global;
    let kb = knowledge_base(g)?;
    match &cli.command {
        Command::Licenses(a) => licenses(&kb, a),
        Command::Catalog(a) => catalog(&kb, a),
        Command::Graph(a) => block_on(graph(g, kb, a)),
        Command::Check(a) => block_on(check(g, kb, a)),
        Command::Descendants(a) => block_on(descendants(g, kb, a)),
        Command::Sync(a) => block_on(scale::sync(g, kb, a)),
        Command::Audit(a) => scale::audit(g, kb, a),
        Command::History(a) => block_on(history::history(g, kb, a)),
    }
}

pub(crate) fn block_on<F: std::future::Future<Output = Result<ExitCode>>>(
    f: F,
) -> Result<ExitCode> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?
        .block_on(f)
}

/// The built-in knowledge base plus the user's `--licenses` file.
fn knowledge_base(g: &Global) -> Result<KnowledgeBase> {
    let mut kb = KnowledgeBase::builtin();
    if let Some(path) = &g.licenses {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the license file {}", path.display()))?;
        kb.extend_from_toml(&text, &path.display().to_string())?;
    }
    Ok(kb)
}

/// The policy file, or the default policy (only `permitted` is allowed).
pub(crate) fn policy(g: &Global, kb: &KnowledgeBase) -> Result<Policy> {
    let Some(path) = &g.policy else {
        return Ok(Policy::default());
    };
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the policy file {}", path.display()))?;
    Ok(Policy::parse(&text, &path.display().to_string(), kb)?)
}

pub(crate) fn engine(g: &Global, kb: KnowledgeBase, policy: &Policy) -> Result<Engine> {
    let flags = Flags {
        endpoint: g.endpoint.clone(),
        token: g.token.clone().and_then(lineage::hub::Token::new),
        offline: g.offline,
        cache_dir: g.cache_dir.clone(),
        refresh: g.refresh,
        concurrency: g.concurrency,
        max_nodes: g.max_nodes,
        no_infer: g.no_infer,
        no_hedge: g.no_hedge,
        ..Flags::default()
    };
    let settings = Settings::from_env(&flags)?;
    let mut engine = Engine::new(kb, settings)?;
    if !g.quiet {
        engine = engine.with_observer(Arc::new(progress::Progress::new()));
    }
    if g.no_catalog {
        engine = engine.without_catalog();
    }
    Ok(engine
        .with_facts(policy.clarifications())
        .with_dataset_policy(match g.dataset_policy {
            DatasetPolicyArg::Strict => DatasetPolicy::Strict,
            DatasetPolicyArg::Lenient => DatasetPolicy::Lenient,
        }))
}

fn targets(models: &[String]) -> Result<Vec<Target>> {
    models.iter().map(|m| Ok(Target::parse(m)?)).collect()
}

fn report_crawl(g: &Global, trace: &lineage::Trace<'_>) {
    let s = &trace.crawl.stats;
    if g.verbose {
        render::note(&format!(
            "crawled {} repositories in {:.2?}: {} requests, {} answered from cache, {} revalidated",
            s.repos, s.elapsed, s.requests, s.cache_hits, s.revalidated
        ));
    }
    if !g.quiet {
        let graph = trace.graph();
        let unreachable: Vec<String> = graph
            .node_indices()
            .filter_map(|ix| match &graph.node(ix).resolution {
                lineage::core::Resolution::Unreachable { why } => {
                    Some(format!("{} ({why})", graph.node(ix).key))
                }
                _ => None,
            })
            .collect();
        if let Some(first) = unreachable.first() {
            render::warn(&format!(
                "{} repositor{} could not be reached, so verdicts below {} are unknown: {first}{}; check --endpoint and the network, or use --offline to answer from the cache",
                unreachable.len(),
                if unreachable.len() == 1 { "y" } else { "ies" },
                if unreachable.len() == 1 { "it" } else { "them" },
                if unreachable.len() > 1 { ", ..." } else { "" }
            ));
        }
        for inc in &trace.crawl.incomplete {
            render::warn(&format!(
                "the derivatives of {} may be incomplete: {}",
                inc.key, inc.why
            ));
        }
    }
}

async fn graph(g: &Global, kb: KnowledgeBase, a: &GraphArgs) -> Result<ExitCode> {
    let policy = policy(g, &kb)?;
    let engine = engine(g, kb, &policy)?.with_as_of(a.as_of.clone());
    let show = if a.both {
        Show::Both
    } else if a.down {
        Show::Descendants
    } else {
        Show::Ancestry
    };
    let trace = engine
        .trace_to_show(targets(std::slice::from_ref(&a.model))?, show, a.depth)
        .await?;
    report_crawl(g, &trace);
    let view = trace.view();
    let text = match a.format {
        GraphFormat::Dot => export::dot(&view),
        GraphFormat::Mermaid => export::mermaid(&view),
        GraphFormat::Tree => export::tree(&view),
        GraphFormat::Json => render::json(&export::json(&view)),
        GraphFormat::Cyclonedx => {
            render::document(Vec::new(), |info| export::cyclonedx(&view, info))?
        }
        GraphFormat::Spdx => render::document(Vec::new(), |info| export::spdx(&view, info))?,
        GraphFormat::Svg => render::svg(&view, a.renderer)?,
    };
    Out::open(a.output.as_deref())?.write(&text)?;
    Ok(ExitCode::from(ALLOWED))
}

async fn check(g: &Global, kb: KnowledgeBase, a: &CheckArgs) -> Result<ExitCode> {
    let policy = policy(g, &kb)?;
    let engine = engine(g, kb, &policy)?.with_as_of(a.as_of.clone());
    let trace = engine
        .trace(targets(&a.models)?, Direction::Up, None)
        .await?;
    report_crawl(g, &trace);
    let mut assessments = Vec::new();
    let mut any_denied = false;
    for &ix in trace.roots() {
        let assessment = trace.assess(ix);
        let outcome = policy.evaluate(trace.graph(), trace.knowledge_base(), ix, &assessment);
        any_denied |= !outcome.allowed;
        assessments.push((assessment, outcome));
    }
    let text = match a.format {
        CheckFormat::Cyclonedx | CheckFormat::Spdx => {
            // One document: the models and their whole ancestry, each model a root.
            let view = trace.view();
            // With a policy file, its decision on each model travels in the document.
            let decisions = match g.policy {
                Some(_) => trace
                    .roots()
                    .iter()
                    .zip(&assessments)
                    .map(|(&ix, (_, o))| (trace.graph().node(ix).key.clone(), o.clone()))
                    .collect(),
                None => Vec::new(),
            };
            if a.format == CheckFormat::Cyclonedx {
                render::document(decisions, |info| export::cyclonedx(&view, info))?
            } else {
                render::document(decisions, |info| export::spdx(&view, info))?
            }
        }
        CheckFormat::Json => {
            let objs: Vec<_> = assessments
                .iter()
                .map(|(a, o)| export::check_json(a, Some(o)))
                .collect();
            match objs.as_slice() {
                [one] => render::json(one),
                _ => render::json(&serde_json::Value::Array(objs)),
            }
        }
        CheckFormat::Text => assessments
            .iter()
            .map(|(a, o)| render::colour_report(&export::text(a, Some(o)), a.commercial))
            .collect::<Vec<_>>()
            .join("\n"),
    };
    Out::stdout().write(&text)?;
    if !g.quiet {
        for e in policy.unmatched_exceptions(assessments.iter().map(|(a, _)| a)) {
            render::warn(&format!(
                "policy exception for {} matched none of the checked models",
                e.model
            ));
        }
    }
    Ok(ExitCode::from(if any_denied { DENIED } else { ALLOWED }))
}

async fn descendants(g: &Global, kb: KnowledgeBase, a: &DescendantsArgs) -> Result<ExitCode> {
    let policy = policy(g, &kb)?;
    let engine = engine(g, kb, &policy)?.with_as_of(a.as_of.clone());
    let trace = engine
        .trace_to_show(
            targets(std::slice::from_ref(&a.model))?,
            Show::Descendants,
            a.depth,
        )
        .await?;
    report_crawl(g, &trace);
    let found = trace.descendants();
    let graph = trace.graph();
    let root = trace.roots()[0];
    let direct = graph.children(root).count();
    if !g.quiet && trace.crawl.stats.requests > 0 && direct >= lineage::hub::LARGE_FAMILY {
        let id = export::display_id(&graph.node(root).key);
        render::warn(&format!(
            "{id} has {direct} or more direct derivatives: `lineage sync --filter base_model:{id}` fetches them 1,000 per request (resumable), and later runs answer from it"
        ));
    }
    let kb = trace.knowledge_base();
    let text = match a.format {
        DescendantsFormat::Json => render::json(&serde_json::Value::Array(
            found
                .iter()
                .map(|d| {
                    let explained = a.explain.then(|| trace.assess(d.ix));
                    export::descendant_json(graph, kb, d, explained.as_ref())
                })
                .collect(),
        )),
        DescendantsFormat::Dot => export::dot(&trace.view()),
        DescendantsFormat::Svg => render::svg(&trace.view(), a.renderer)?,
        DescendantsFormat::Text => {
            let explain = |ix| trace.assess(ix);
            export::descendants_text(
                graph,
                kb,
                root,
                a.depth,
                &found,
                a.explain.then_some(&explain as &dyn Fn(_) -> _),
                &render::verdict_tag,
            )
        }
    };
    Out::stdout().write(&text)?;
    Ok(ExitCode::from(ALLOWED))
}

fn licenses(kb: &KnowledgeBase, a: &LicensesArgs) -> Result<ExitCode> {
    let text = match &a.id {
        None => match a.format {
            ReportFormat::Json => render::json(&serde_json::to_value(kb.entries())?),
            ReportFormat::Text => {
                let mut out = String::new();
                for e in kb.entries() {
                    let terms: Vec<String> = e.terms.iter().map(|t| t.kind().to_string()).collect();
                    out.push_str(&format!(
                        "{:<36} {}\n",
                        e.id,
                        if terms.is_empty() {
                            "no terms".to_string()
                        } else {
                            terms.join(", ")
                        }
                    ));
                }
                out
            }
        },
        Some(id) => {
            let Some(e) = kb.lookup(id) else {
                bail!("no license {id:?} in the knowledge base; `lineage licenses` lists every entry, and --licenses FILE adds your own");
            };
            let curated = Catalog::builtin(kb).repos_under(&e.id);
            match a.format {
                ReportFormat::Json => {
                    let mut v = serde_json::to_value(e)?;
                    v["curated_repos"] = serde_json::json!(curated);
                    render::json(&v)
                }
                ReportFormat::Text => {
                    let mut out = render::license_entry(e);
                    if !curated.is_empty() {
                        out.push_str(&format!(
                            "  curated repos under it ({}; `lineage catalog ID` says why): {}\n",
                            curated.len(),
                            curated.join(", ")
                        ));
                    }
                    out
                }
            }
        }
    };
    Out::stdout().write(&text)?;
    Ok(ExitCode::from(ALLOWED))
}

fn catalog(kb: &KnowledgeBase, a: &CatalogArgs) -> Result<ExitCode> {
    let catalog = Catalog::builtin(kb);
    let text = match &a.id {
        None => match a.format {
            ReportFormat::Json => render::json(&serde_json::to_value(catalog.entries())?),
            ReportFormat::Text => {
                let mut out = String::new();
                for e in catalog.entries() {
                    out.push_str(&format!(
                        "{:<52} {}\n",
                        e.repo,
                        e.license.as_deref().unwrap_or("(license from the card)")
                    ));
                }
                out
            }
        },
        Some(id) => {
            let Some(e) = catalog.get(id) else {
                bail!("{id:?} is not in the curated catalog; `lineage catalog` lists every entry");
            };
            match a.format {
                ReportFormat::Json => render::json(&serde_json::to_value(e)?),
                ReportFormat::Text => render::catalog_entry(e),
            }
        }
    };
    Out::stdout().write(&text)?;
    Ok(ExitCode::from(ALLOWED))
}
