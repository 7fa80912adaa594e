//! Loading recorded-style repos from a directory (see `fixtures/README.md` for the layout).

use std::error::Error;
use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::repo::RepoKind;
use crate::FakeHub;

/// Why a fixture directory could not be loaded.
#[derive(Debug)]
pub enum FixtureError {
    /// A file or directory could not be read.
    Io {
        /// The path that failed.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// A `.json` file is not valid JSON.
    Json {
        /// The file.
        path: PathBuf,
        /// The parse error.
        source: serde_json::Error,
    },
    /// A file is valid but does not describe a repo as expected (e.g. its `id` disagrees with its path).
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

impl fmt::Display for FixtureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FixtureError::Io { path, .. } => write!(f, "cannot read fixture {}", path.display()),
            FixtureError::Json { path, .. } => {
                write!(f, "fixture {} is not valid JSON", path.display())
            }
            FixtureError::Invalid { path, reason } => {
                write!(f, "fixture {} is invalid: {reason}", path.display())
            }
        }
    }
}

impl Error for FixtureError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            FixtureError::Io { source, .. } => Some(source),
            FixtureError::Json { source, .. } => Some(source),
            FixtureError::Invalid { .. } => None,
        }
    }
}

/// What a fixture directory held.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FixtureCounts {
    /// Model repos (`models/**.json`).
    pub models: usize,
    /// Dataset repos (`datasets/**.json`).
    pub datasets: usize,
    /// Raw files: READMEs (`*.md` next to a repo's JSON) and files under `<name>.files/`.
    pub files: usize,
    /// Renamed ids (`renames.json`).
    pub renames: usize,
}

/// The fixtures shipped with this crate.
pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> FixtureError + '_ {
    move |source| FixtureError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn read_json(path: &Path) -> Result<Value, FixtureError> {
    let text = fs::read_to_string(path).map_err(io_err(path))?;
    serde_json::from_str(&text).map_err(|source| FixtureError::Json {
        path: path.to_path_buf(),
        source,
    })
}

/// Every file below `dir`, sorted, as paths relative to `dir` with `/` separators.
fn walk(dir: &Path) -> Result<Vec<(String, PathBuf)>, FixtureError> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).map_err(io_err(&d))? {
            let entry = entry.map_err(io_err(&d))?;
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path
                    .strip_prefix(dir)
                    .expect("walked paths are below the root")
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect::<Vec<_>>()
                    .join("/");
                out.push((rel, path));
            }
        }
    }
    out.sort();
    Ok(out)
}

fn load_kind(
    hub: &FakeHub,
    root: &Path,
    kind: RepoKind,
    counts: &mut FixtureCounts,
) -> Result<(), FixtureError> {
    let dir = root.join(kind.plural());
    if !dir.is_dir() {
        return Ok(());
    }
    let files = walk(&dir)?;
    // Repos first, so READMEs and files attach to known ids.
    for (rel, path) in &files {
        if rel.contains(".files/") {
            continue;
        }
        let Some(id) = rel.strip_suffix(".json") else {
            continue;
        };
        let info = read_json(path)?;
        match info.get("id").and_then(Value::as_str) {
            Some(found) if found == id => {}
            found => {
                return Err(FixtureError::Invalid {
                    path: path.clone(),
                    reason: format!("its \"id\" is {found:?}, its path says {id:?}"),
                })
            }
        }
        hub.add_info(kind, id, info);
        match kind {
            RepoKind::Model => counts.models += 1,
            RepoKind::Dataset => counts.datasets += 1,
        }
    }
    for (rel, path) in &files {
        let (id, file) = if let Some((id, file)) = rel.split_once(".files/") {
            (id, file)
        } else if let Some(id) = rel.strip_suffix(".md") {
            (id, "README.md")
        } else {
            continue;
        };
        if hub.info(kind, id).is_none() {
            return Err(FixtureError::Invalid {
                path: path.clone(),
                reason: format!("no {kind} {id} to attach it to"),
            });
        }
        // Bytes as stored: CRLF front matter must reach the client unchanged.
        let bytes = fs::read(path).map_err(io_err(path))?;
        let text = String::from_utf8(bytes).map_err(|_| FixtureError::Invalid {
            path: path.clone(),
            reason: "not UTF-8".into(),
        })?;
        hub.add_file(kind, id, file, &text);
        counts.files += 1;
    }
    Ok(())
}

fn load_renames(
    hub: &FakeHub,
    root: &Path,
    counts: &mut FixtureCounts,
) -> Result<(), FixtureError> {
    let path = root.join("renames.json");
    if !path.exists() {
        return Ok(());
    }
    let invalid = |reason: &str| FixtureError::Invalid {
        path: path.clone(),
        reason: reason.to_string(),
    };
    let renames = read_json(&path)?;
    for r in renames
        .as_array()
        .ok_or_else(|| invalid("expected an array"))?
    {
        let field = |k: &str| r.get(k).and_then(Value::as_str);
        let kind = match field("type") {
            Some("model") | None => RepoKind::Model,
            Some("dataset") => RepoKind::Dataset,
            Some(_) => return Err(invalid("\"type\" must be \"model\" or \"dataset\"")),
        };
        let (Some(from), Some(to)) = (field("from"), field("to")) else {
            return Err(invalid("each rename needs \"from\" and \"to\""));
        };
        hub.rename(kind, from, to);
        counts.renames += 1;
    }
    Ok(())
}

pub(crate) fn load(hub: &FakeHub, root: &Path) -> Result<FixtureCounts, FixtureError> {
    let mut counts = FixtureCounts::default();
    load_kind(hub, root, RepoKind::Model, &mut counts)?;
    load_kind(hub, root, RepoKind::Dataset, &mut counts)?;
    load_renames(hub, root, &mut counts)?;
    Ok(counts)
}
