//! `lineage sync` and `lineage audit`: parse, call the engine, print (progress on stderr).

use super::args::{AuditArgs, AuditFormat, Global, SyncArgs};
use super::render;
use super::{engine, policy, ALLOWED};
use anyhow::{bail, Context, Result};
use lineage::core::audit::Finding;
use lineage::core::export::display_id;
use lineage::core::RepoKind;
use lineage::{AuditRequest, ConflictCode, KnowledgeBase, SyncEvent, SyncRequest, Target};
use std::io::Write;
use std::process::ExitCode;

/// Renders sync events as lines on stderr (nothing with `--quiet`).
fn progress(quiet: bool) -> impl Fn(&SyncEvent) + Sync {
    move |e: &SyncEvent| {
        if quiet {
            return;
        }
        match e {
            SyncEvent::Started { query, resumed } => render::note(&format!(
                "sync {query}{}",
                if *resumed {
                    ": resuming from the last stored page"
                } else {
                    ""
                }
            )),
            SyncEvent::Page { pages, repos, rate } => {
                render::note(&format!("page {pages}: {repos} repos stored ({rate:.0}/s)"))
            }
            SyncEvent::PageSize { refused, next } => {
                render::note(&format!("the Hub refused pages of {refused}; using {next}"))
            }
            SyncEvent::Waiting { wait, why } => {
                render::note(&format!("{why}: waiting {:.1}s", wait.as_secs_f64()))
            }
            SyncEvent::Finished {
                query,
                pages,
                repos,
                incremental,
            } => render::note(&format!(
                "sync {query} done: {pages} pages, {repos} repos{}",
                if *incremental {
                    " (stopped at already-synced changes)"
                } else {
                    ""
                }
            )),
            SyncEvent::Imported { lines, repos, rate } => render::note(&format!(
                "{lines} lines read, {repos} repos stored ({rate:.0}/s)"
            )),
        }
    }
}

/// `lineage sync`.
pub async fn sync(g: &Global, kb: KnowledgeBase, a: &SyncArgs) -> Result<ExitCode> {
    let policy = policy(g, &kb)?;
    let engine = engine(g, kb, &policy)?;
    let observer = progress(g.quiet);
    if let Some(path) = &a.from {
        let kind = if a.datasets {
            RepoKind::Dataset
        } else {
            RepoKind::Model
        };
        let r = engine.sync_from(path, kind, &observer)?;
        let mut out = format!(
            "imported {} repos from {} ({} lines) in {:.1?}\n",
            r.repos,
            path.display(),
            r.lines,
            r.elapsed
        );
        if r.bad_count > 0 {
            out.push_str(&format!("{} lines could not be imported:\n", r.bad_count));
            for b in &r.bad_lines {
                out.push_str(&format!("  line {}: {}\n", b.line, b.why));
            }
            if r.bad_count > r.bad_lines.len() as u64 {
                out.push_str("  ...\n");
            }
        }
        render::Out::stdout().write(&out)?;
        return Ok(ExitCode::from(ALLOWED));
    }
    if g.offline {
        bail!("sync needs the Hub; --offline (or HF_HUB_OFFLINE) forbids it; use `lineage sync --from FILE` to import a dump");
    }
    let req = SyncRequest {
        authors: a.author.clone(),
        filters: a.filter.clone(),
        search: a.search.clone(),
        datasets: a.datasets,
        since: a.since.clone(),
        full: a.full,
        page_size: None,
    };
    let r = engine.sync(&req, &observer).await?;
    render::Out::stdout().write(&format!(
        "synced {} repos in {} pages with {} requests in {:.1?}{}{}\n",
        r.repos,
        r.pages,
        r.requests,
        r.elapsed,
        if r.resumed > 0 {
            " (resumed an interrupted sync)"
        } else {
            ""
        },
        if r.incremental > 0 {
            " (incremental)"
        } else {
            ""
        }
    ))?;
    Ok(ExitCode::from(ALLOWED))
}

/// One CSV field, quoted when it needs to be.
fn csv(field: &str) -> std::borrow::Cow<'_, str> {
    if field.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\"")).into()
    } else {
        field.into()
    }
}

/// The CSV header (stable columns).
const CSV_HEADER: &str = "model,code,declared,inherited,culprit,path";

/// Writes one finding as a CSV line (straight to the output: an audit writes millions).
fn write_csv_row(out: &mut impl Write, f: &Finding<'_>) -> std::io::Result<()> {
    let path: Vec<String> = f.path.iter().map(|k| display_id(k)).collect();
    writeln!(
        out,
        "{},{},{},{},{},{}",
        csv(&display_id(f.model)),
        f.code,
        csv(&f.declared),
        csv(&f.inherited),
        csv(&f.culprit.map(display_id).unwrap_or_default()),
        csv(&path.join(" > "))
    )
}

fn json_obj(f: &Finding<'_>) -> serde_json::Value {
    serde_json::json!({
        "model": display_id(f.model),
        "code": f.code,
        "verdict": f.verdict,
        "declared": f.declared,
        "inherited": f.inherited,
        "culprit": f.culprit.map(display_id),
        "path": f.path.iter().map(|k| display_id(k)).collect::<Vec<_>>(),
        "message": f.message,
    })
}

/// `lineage audit`.
pub fn audit(g: &Global, kb: KnowledgeBase, a: &AuditArgs) -> Result<ExitCode> {
    let policy = policy(g, &kb)?;
    let engine = engine(g, kb, &policy)?;
    let code = match &a.code {
        Some(c) => Some(ConflictCode::parse(c).with_context(|| {
            let all: Vec<&str> = ConflictCode::ALL.iter().map(|c| c.as_str()).collect();
            format!("unknown conflict code {c:?}; one of: {}", all.join(", "))
        })?),
        None => None,
    };
    let base = match &a.base {
        Some(b) => match Target::parse(b)? {
            Target::Repo(r) => Some(r.key),
            Target::Local(_) => bail!("--base takes a Hub model id, not a local folder"),
        },
        None => None,
    };
    let req = AuditRequest {
        base,
        license: a.license.clone(),
        author: a.author.clone(),
        code,
        paths: a.format != AuditFormat::Text,
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut first = true;
    let mut io_err: Option<std::io::Error> = None;
    match a.format {
        AuditFormat::Csv => writeln!(out, "{CSV_HEADER}")?,
        AuditFormat::Json => out.write_all(b"[")?,
        AuditFormat::Text => {}
    }
    let outcome = engine.audit(&req, |f| {
        if io_err.is_some() {
            return;
        }
        let r = match a.format {
            AuditFormat::Csv => write_csv_row(&mut out, f),
            AuditFormat::Json => {
                let sep = if first { "\n" } else { ",\n" };
                first = false;
                out.write_all(sep.as_bytes()).and_then(|_| {
                    serde_json::to_writer(&mut out, &json_obj(f)).map_err(std::io::Error::other)
                })
            }
            AuditFormat::Text => Ok(()),
        };
        if let Err(e) = r {
            io_err = Some(e);
        }
    })?;
    if let Some(e) = io_err {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            return Err(e).context("cannot write the audit");
        }
        return Ok(ExitCode::from(ALLOWED));
    }
    if outcome.base_missing {
        bail!(
            "{} is not in the synced data; run `lineage sync --filter base_model:{}` (or a whole sync) first",
            a.base.as_deref().unwrap_or_default(),
            a.base.as_deref().unwrap_or_default()
        );
    }
    let s = &outcome.summary;
    match a.format {
        AuditFormat::Json => out.write_all(if first { b"]\n" } else { b"\n]\n" })?,
        AuditFormat::Csv => {}
        AuditFormat::Text => {
            if outcome.nodes == 0 {
                writeln!(
                    out,
                    "nothing is synced yet: run `lineage sync` (or `lineage sync --from DUMP`) first"
                )?;
            }
            writeln!(
                out,
                "{} models audited, {} with findings ({} findings)",
                s.models, s.models_with_findings, s.findings
            )?;
            if !s.by_code.is_empty() {
                writeln!(out, "\nby conflict code:")?;
                for (c, n) in &s.by_code {
                    writeln!(out, "  {c:<26} {n}")?;
                }
                writeln!(out, "\nlargest groups:")?;
                for gr in s.groups.iter().take(a.top) {
                    let who = match (&gr.culprit, gr.code) {
                        (Some(c), ConflictCode::UnresolvedAncestor) => {
                            format!("derivatives of unresolved {}", display_id(c))
                        }
                        (Some(c), _) => format!("derivatives of {}", display_id(c)),
                        (None, _) => "models".to_string(),
                    };
                    writeln!(
                        out,
                        "  {who} that declare {}: {} ({})",
                        gr.declared, gr.count, gr.code
                    )?;
                }
                if s.groups.len() > a.top {
                    writeln!(
                        out,
                        "  ... {} more groups (--top N, or --format csv for every finding)",
                        s.groups.len() - a.top
                    )?;
                }
            }
        }
    }
    out.flush()?;
    if g.verbose {
        render::note(&format!(
            "audit: {} nodes loaded in {:.2?}, propagated in {:.2?}, judged in {:.2?}",
            outcome.nodes, outcome.load, outcome.propagate, outcome.judge
        ));
    }
    Ok(ExitCode::from(ALLOWED))
}
