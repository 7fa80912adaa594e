//! Terminal rendering: colour (only on terminals, never with `NO_COLOR`), output files, messages.

use super::args::Renderer;
use anyhow::{Context, Result};
use lineage::core::catalog::CatalogEntry;
use lineage::core::export::{self, DocInfo, View};
use lineage::core::policy::PolicyOutcome;
use lineage::core::{LicenseEntry, NodeKey};
use lineage::Verdict;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

/// Whether stderr is a terminal (progress bars go there).
pub fn stderr_is_terminal() -> bool {
    std::io::stderr().is_terminal()
}

fn colour_on(stream_is_terminal: bool) -> bool {
    stream_is_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

fn paint(text: &str, code: &str, on: bool) -> String {
    if on {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}

fn verdict_colour(v: Verdict) -> &'static str {
    match v {
        Verdict::Permitted => "1;32",
        Verdict::Conditional => "1;33",
        Verdict::Forbidden => "1;31",
        Verdict::Unknown => "1;35",
    }
}

/// `[forbidden]` and friends, coloured on a terminal.
pub fn verdict_tag(v: Verdict) -> String {
    paint(
        &format!("[{v}]"),
        verdict_colour(v),
        colour_on(std::io::stdout().is_terminal()),
    )
}

/// Colours the verdict word in the first line of a text report.
pub fn colour_report(report: &str, v: Verdict) -> String {
    let upper = v.as_str().to_uppercase();
    let on = colour_on(std::io::stdout().is_terminal());
    match report.split_once('\n') {
        Some((first, rest)) if on && first.ends_with(&upper) => {
            let head = &first[..first.len() - upper.len()];
            format!("{head}{}\n{rest}", paint(&upper, verdict_colour(v), true))
        }
        _ => report.to_string(),
    }
}

/// Pretty JSON with a final newline.
pub fn json(v: &serde_json::Value) -> String {
    let mut s = serde_json::to_string_pretty(v).unwrap_or_else(|_| "null".into());
    s.push('\n');
    s
}

/// A warning on stderr.
pub fn warn(msg: &str) {
    let on = colour_on(stderr_is_terminal());
    eprintln!("{} {msg}", paint("warning:", "1;33", on));
}

/// A note on stderr (`-v`).
pub fn note(msg: &str) {
    eprintln!("note: {msg}");
}

/// The one rendering of a fatal error: the message and its causes, no backtrace.
pub fn error(err: &anyhow::Error) -> String {
    let on = colour_on(stderr_is_terminal());
    let mut out = format!("{} {err}", paint("error:", "1;31", on));
    for cause in err.chain().skip(1) {
        out.push_str(&format!("\n  caused by: {cause}"));
    }
    out
}

/// One knowledge-base entry, for `lineage licenses ID`.
pub fn license_entry(e: &LicenseEntry) -> String {
    let mut out = format!(
        "{} — {}\n  spdx: {}\n  url: {}\n",
        e.id, e.name, e.spdx, e.url
    );
    if let Some(f) = &e.family {
        out.push_str(&format!("  family: {f}\n"));
    }
    if !e.aliases.is_empty() {
        out.push_str(&format!("  aliases: {}\n", e.aliases.join(", ")));
    }
    out.push_str("  terms:\n");
    if e.terms.is_empty() {
        out.push_str("    (none: commercial use and derivatives are unrestricted)\n");
    }
    for t in &e.terms {
        out.push_str(&format!("    - {t}\n"));
    }
    if !e.compatible.is_empty() {
        out.push_str(&format!(
            "  share-alike compatible: {}\n",
            e.compatible.join(", ")
        ));
    }
    out.push_str(&format!("  source: {}\n", e.source));
    out
}

/// One catalog entry, for `lineage catalog ID`.
pub fn catalog_entry(e: &CatalogEntry) -> String {
    let mut out = format!("{}\n  why: {}\n", e.repo, e.note);
    if let Some(l) = &e.license {
        out.push_str(&format!("  license: {l}\n"));
    }
    if let Some(t) = &e.license_text {
        out.push_str(&format!("  license read from: {t}\n"));
    }
    if let Some(b) = &e.base_model {
        let b = if b.is_empty() {
            "none (an original)".to_string()
        } else {
            b.join(", ")
        };
        out.push_str(&format!("  base models: {b}\n"));
    }
    if let Some(r) = &e.relation {
        out.push_str(&format!("  relation: {r}\n"));
    }
    if let Some(d) = &e.datasets {
        out.push_str(&format!("  datasets: {}\n", d.join(", ")));
    }
    if let Some(r) = &e.reupload_of {
        out.push_str(&format!("  re-upload of: {r}\n"));
    }
    if let Some(s) = &e.status {
        out.push_str(&format!(
            "  status: {s}{}\n",
            e.renamed_to
                .as_deref()
                .map(|t| format!(" to {t}"))
                .unwrap_or_default()
        ));
    }
    for c in &e.license_change {
        let when = c
            .date
            .clone()
            .or_else(|| c.revision.clone())
            .unwrap_or_else(|| "date unknown".into());
        out.push_str(&format!(
            "  license change ({when}): {} → {} ({})\n",
            c.from, c.to, c.source
        ));
    }
    out.push_str(&format!("  source: {} (read {})\n", e.source, e.read));
    out
}

/// Where output goes: standard output or a file given with `-o`.
pub struct Out {
    path: Option<PathBuf>,
}

impl Out {
    /// Standard output.
    pub fn stdout() -> Out {
        Out { path: None }
    }

    /// A file, or standard output when `None`.
    pub fn open(path: Option<&Path>) -> Result<Out> {
        Ok(Out {
            path: path.map(Path::to_path_buf),
        })
    }

    /// Writes all of `text`.
    pub fn write(&self, text: &str) -> Result<()> {
        match &self.path {
            Some(p) => {
                std::fs::write(p, text).with_context(|| format!("cannot write {}", p.display()))
            }
            None => {
                let mut out = std::io::stdout().lock();
                out.write_all(text.as_bytes())?;
                out.flush()?;
                Ok(())
            }
        }
    }
}

/// Renders a bill of materials (CycloneDX or SPDX) with its creation time and serial number.
///
/// With `SOURCE_DATE_EPOCH` set (reproducible-builds.org), the time is that instant and the serial a
/// name-based UUID (v5) of a first rendering without one, so the same lineage gives the same bytes;
/// otherwise the time is now and the serial a random UUID (v4).
///
/// `policy` holds the policy file's decision on each model asked about (`check --policy`), recorded in
/// the document as `lineage:policy` properties.
pub fn document(
    policy: Vec<(NodeKey, PolicyOutcome)>,
    render: impl Fn(&DocInfo) -> serde_json::Value,
) -> Result<String> {
    let epoch = match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(v) if !v.trim().is_empty() => Some(v.trim().parse::<i64>().with_context(|| {
            format!("SOURCE_DATE_EPOCH must be whole seconds since 1970, not {v:?}")
        })?),
        _ => None,
    };
    let secs = match epoch {
        Some(s) => s,
        None => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
            .unwrap_or(0),
    };
    let mut info = DocInfo {
        timestamp: export::rfc3339(secs),
        serial: None,
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        policy,
    };
    let serial = if epoch.is_some() {
        let first = serde_json::to_string(&render(&info))?;
        uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, first.as_bytes())
    } else {
        uuid::Uuid::new_v4()
    };
    info.serial = Some(serial.hyphenated().to_string());
    Ok(json(&render(&info)))
}

/// Draws a view as SVG, with the built-in layout or with Graphviz `dot` (an error when it is not on
/// PATH or fails).
pub fn svg(view: &View<'_>, renderer: Renderer) -> Result<String> {
    match renderer {
        #[cfg(feature = "svg")]
        Renderer::Builtin => Ok(export::svg(view)),
        #[cfg(not(feature = "svg"))]
        Renderer::Builtin => anyhow::bail!(
            "this lineage was built without the `svg` feature; use --renderer graphviz (needs Graphviz `dot` on PATH)"
        ),
        Renderer::Graphviz => graphviz(&export::dot(view)),
    }
}

fn graphviz(dot: &str) -> Result<String> {
    use std::process::{Command, Stdio};
    let mut child = match Command::new("dot")
        .arg("-Tsvg")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(c) => c,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => anyhow::bail!(
            "--renderer graphviz needs Graphviz `dot` on PATH, and it is not there; install Graphviz or use --renderer builtin"
        ),
        Err(e) => return Err(e).context("cannot run Graphviz `dot`"),
    };
    let mut stdin = child.stdin.take().context("no stdin for `dot`")?;
    let input = dot.to_string();
    // Write from another thread so a large picture cannot deadlock on full pipes.
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child
        .wait_with_output()
        .context("Graphviz `dot` did not finish")?;
    writer
        .join()
        .map_err(|_| anyhow::anyhow!("writing to Graphviz `dot` panicked"))?
        .context("cannot write to Graphviz `dot`")?;
    if !out.status.success() {
        anyhow::bail!(
            "Graphviz `dot` failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    String::from_utf8(out.stdout).context("Graphviz `dot` wrote invalid UTF-8")
}
