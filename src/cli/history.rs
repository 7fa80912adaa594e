//! `lineage history MODEL`: prints when each repo's license, base models or datasets changed.

use super::args::{Global, HistoryArgs, ReportFormat};
use super::render::{self, Out};
use super::{engine, policy, report_crawl, targets, ALLOWED};
use anyhow::Result;
use lineage::core::export::display_id;
use lineage::KnowledgeBase;
use serde_json::json;
use std::fmt::Write as _;
use std::process::ExitCode;

pub(super) async fn history(g: &Global, kb: KnowledgeBase, a: &HistoryArgs) -> Result<ExitCode> {
    let policy = policy(g, &kb)?;
    let engine = engine(g, kb, &policy)?;
    let target = targets(std::slice::from_ref(&a.model))?.remove(0);
    let outcome = engine.history(target).await?;
    report_crawl(g, &outcome.trace);
    if g.verbose {
        let reads: usize = outcome.repos.iter().map(|r| r.reads).sum();
        let commits: usize = outcome.repos.iter().map(|r| r.commits).sum();
        render::note(&format!(
            "history of {} repositories: {} requests, {reads} of {commits} commits read",
            outcome.repos.len(),
            outcome.requests
        ));
    }
    let root = outcome.trace.graph().node(outcome.trace.roots()[0]);
    let text = match a.format {
        ReportFormat::Json => render::json(&json!({
            "schema": "lineage.history/1",
            "model": root.key,
            "repos": outcome.repos,
            "conflicts": outcome.findings,
            "requests": outcome.requests,
        })),
        ReportFormat::Text => {
            let mut out = String::new();
            let _ = writeln!(out, "{} — history", display_id(&root.key));
            for r in &outcome.repos {
                let _ = write!(
                    out,
                    "  {} ({} commit{}",
                    display_id(&r.key),
                    r.commits,
                    if r.commits == 1 { "" } else { "s" }
                );
                if let Some(c) = &r.created {
                    let _ = write!(out, ", created {}", c.get(..10).unwrap_or(c));
                }
                let _ = writeln!(out, ")");
                if let Some(f) = &r.failure {
                    let _ = writeln!(out, "    history unknown: {f}");
                } else if r.changes.is_empty() {
                    let _ = writeln!(out, "    no change to license, base_model or datasets");
                }
                for c in &r.changes {
                    let list = |v: &[String]| {
                        if v.is_empty() {
                            "(none)".to_string()
                        } else {
                            v.join(", ")
                        }
                    };
                    let _ = writeln!(
                        out,
                        "    {}  {}: {} → {}  (commit {})",
                        c.date.get(..10).unwrap_or(&c.date),
                        c.field.as_str(),
                        list(&c.from),
                        list(&c.to),
                        c.commit.get(..7).unwrap_or(&c.commit)
                    );
                }
            }
            for f in &outcome.findings {
                let _ = writeln!(out, "  {}: {}", f.code, f.message);
            }
            out
        }
    };
    Out::stdout().write(&text)?;
    Ok(ExitCode::from(ALLOWED))
}
