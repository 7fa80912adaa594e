//! What a MODEL argument names: a local folder or a Hub repository.

use crate::error::HubError;
use lineage_core::{parse_repo_ref, RepoKind, RepoRef};
use std::fmt;
use std::path::{Path, PathBuf};

/// A crawl root as the user named it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// A Hub repository, possibly at a revision (`org/name@rev`, `datasets/org/name`, a Hub URL).
    Repo(RepoRef),
    /// A model folder on disk (its README.md and, for PEFT adapters, `adapter_config.json`).
    Local(PathBuf),
}

impl Target {
    /// Reads a MODEL argument: an existing directory is a local folder; anything else must be a Hub
    /// reference (`org/name`, `org/name@revision`, `datasets/org/name`, `https://huggingface.co/...`).
    pub fn parse(arg: &str) -> Result<Target, HubError> {
        Target::parse_with(arg, |p| p.is_dir())
    }

    /// [`Target::parse`] with the directory test supplied (for tests).
    pub fn parse_with(arg: &str, is_dir: impl Fn(&Path) -> bool) -> Result<Target, HubError> {
        if !arg.trim().is_empty() && is_dir(Path::new(arg)) {
            return Ok(Target::Local(PathBuf::from(arg)));
        }
        parse_repo_ref(arg, RepoKind::Model)
            .map(Target::Repo)
            .map_err(|source| HubError::Target {
                arg: arg.to_string(),
                source,
            })
    }

    /// A Hub model at its default revision.
    pub fn model(id: &str) -> Target {
        Target::Repo(RepoRef {
            key: lineage_core::NodeKey::model(id),
            revision: None,
        })
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Repo(r) => {
                if r.key.kind == RepoKind::Dataset {
                    f.write_str("datasets/")?;
                }
                f.write_str(&r.key.id)?;
                if let Some(rev) = &r.revision {
                    write!(f, "@{rev}")?;
                }
                Ok(())
            }
            Target::Local(p) => write!(f, "{}", p.display()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lineage_core::NodeKey;

    #[test]
    fn directories_win_then_hub_references() {
        let d = tempfile::tempdir().unwrap();
        let dir = d.path().to_str().unwrap();
        assert_eq!(
            Target::parse(dir).unwrap(),
            Target::Local(d.path().to_path_buf())
        );
        match Target::parse_with("org/name@v1", |_| false).unwrap() {
            Target::Repo(r) => {
                assert_eq!(r.key, NodeKey::model("org/name"));
                assert_eq!(r.revision.as_deref(), Some("v1"));
            }
            other => panic!("{other:?}"),
        }
        let t = Target::parse_with("https://huggingface.co/datasets/a/b", |_| false).unwrap();
        assert_eq!(t.to_string(), "datasets/a/b");
        assert_eq!(
            Target::parse_with("org/name", |_| true).unwrap(),
            Target::Local("org/name".into())
        );
    }

    #[test]
    fn neither_is_an_error_that_says_what_to_write() {
        for bad in ["/no/such/folder", "https://evil.example/a/b", "a b", ""] {
            let e = Target::parse_with(bad, |_| false).unwrap_err();
            assert!(e.to_string().contains("org/name"), "{e}");
        }
    }
}
