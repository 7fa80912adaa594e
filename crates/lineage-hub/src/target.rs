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
            .map_err(|source| match redact_userinfo(arg) {
                // Credentials the user typed into a URL are never echoed, in any part of the error.
                Some(shown) => HubError::Target {
                    source: lineage_core::IdError::Credentials(shown.clone()),
                    arg: shown,
                },
                None => HubError::Target {
                    arg: arg.to_string(),
                    source,
                },
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

/// `arg` with the user-info part of a URL's authority (`user:secret@` in `https://user:secret@host/`)
/// replaced by `***@`, or `None` when it has none. Textual, so a URL the `url` crate refuses is
/// redacted too.
pub(crate) fn redact_userinfo(arg: &str) -> Option<String> {
    let start = arg.find("://")? + 3;
    let rest = &arg[start..];
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let at = rest[..end].rfind('@')?;
    Some(format!("{}***{}", &arg[..start], &rest[at..]))
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
        for (raw, shown) in [
            (
                "https://user:hf_SECRET@huggingface.co/org/name",
                "https://***@huggingface.co/org/name",
            ),
            ("http://hf_SECRET@127.0.0.1:9/x", "http://***@127.0.0.1:9/x"),
            ("https://u:hf_SECRET@[bad/x", "https://***@[bad/x"),
        ] {
            let e = Target::parse_with(raw, |_| false).unwrap_err().to_string();
            assert!(!e.contains("hf_SECRET"), "{e}");
            assert!(e.contains(shown), "{e}");
            assert!(e.contains("carries credentials"), "{e}");
        }
        assert_eq!(redact_userinfo("org/name@v1"), None);
        assert_eq!(redact_userinfo("https://huggingface.co/a/b@main"), None);
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
