//! Repository identities: what a node is, and how card values and user input become one.

use serde::{Deserialize, Serialize};
use std::fmt;
use thiserror::Error;

/// Whether a Hub repository is a model or a dataset (the same `org/name` can be both).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RepoKind {
    /// A model repository (`/api/models/...`).
    Model,
    /// A dataset repository (`/api/datasets/...`).
    Dataset,
}

impl RepoKind {
    /// `model` or `dataset`.
    pub fn as_str(self) -> &'static str {
        match self {
            RepoKind::Model => "model",
            RepoKind::Dataset => "dataset",
        }
    }
}

/// The identity of a node: its kind and Hub id, written `model:org/name` or `dataset:org/name`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeKey {
    /// Model or dataset.
    pub kind: RepoKind,
    /// The Hub id, `org/name` (or a bare legacy name such as `gpt2`).
    pub id: String,
}

impl NodeKey {
    /// A model key.
    pub fn model(id: impl Into<String>) -> NodeKey {
        NodeKey {
            kind: RepoKind::Model,
            id: id.into(),
        }
    }

    /// A dataset key.
    pub fn dataset(id: impl Into<String>) -> NodeKey {
        NodeKey {
            kind: RepoKind::Dataset,
            id: id.into(),
        }
    }

    /// The repository name without its organisation (`Llama-2-7b-hf` for `meta-llama/Llama-2-7b-hf`).
    pub fn name(&self) -> &str {
        self.id.rsplit('/').next().unwrap_or(&self.id)
    }

    /// The organisation part, if any.
    pub fn org(&self) -> Option<&str> {
        self.id.split_once('/').map(|(o, _)| o)
    }

    /// Parses `model:org/name` or `dataset:org/name` (the [`fmt::Display`] form).
    pub fn parse(s: &str) -> Option<NodeKey> {
        let (kind, id) = s.split_once(':')?;
        let kind = match kind {
            "model" => RepoKind::Model,
            "dataset" => RepoKind::Dataset,
            _ => return None,
        };
        Some(NodeKey {
            kind,
            id: id.to_string(),
        })
    }
}

impl fmt::Display for NodeKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.kind.as_str(), self.id)
    }
}

impl Serialize for NodeKey {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for NodeKey {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        NodeKey::parse(&s).ok_or_else(|| serde::de::Error::custom(format!("not a node key: {s}")))
    }
}

/// Why a string could not be read as a Hub repository id.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum IdError {
    /// Nothing was given.
    #[error("empty repository id")]
    Empty,
    /// A local filesystem path, as auto-generated cards sometimes write into `base_model`.
    #[error("{0:?} is a local path, not a Hub repository id")]
    LocalPath(String),
    /// A URL on a host other than the Hub.
    #[error("{0:?} is a URL outside the Hub; only Hub ids are followed")]
    ForeignUrl(String),
    /// Characters or a shape the Hub does not allow in ids.
    #[error("{0:?} is not a valid Hub repository id")]
    Invalid(String),
}

const HUB_HOSTS: [&str; 3] = ["huggingface.co", "www.huggingface.co", "hf.co"];

/// A parsed reference to a repository as a user or a card writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoRef {
    /// The repository.
    pub key: NodeKey,
    /// A revision (`@rev` or `/tree/rev` in a URL), if one was named.
    pub revision: Option<String>,
}

/// Reads a card value (`base_model`, `datasets`, `source_datasets`) as a Hub id of the given kind.
///
/// Hub URLs (`https://huggingface.co/org/name`) are normalised to ids; other URLs and local paths are
/// rejected, so that a card can never make `lineage` contact another host.
pub fn parse_card_ref(raw: &str, kind: RepoKind) -> Result<NodeKey, IdError> {
    let r = parse_repo_ref(raw, kind)?;
    Ok(r.key)
}

/// Reads a repository reference: `org/name`, `org/name@revision`, `datasets/org/name`, or a Hub URL.
///
/// `default_kind` applies when the text does not say (`datasets/` prefix or a dataset URL).
pub fn parse_repo_ref(raw: &str, default_kind: RepoKind) -> Result<RepoRef, IdError> {
    let s = raw.trim();
    if s.is_empty() {
        return Err(IdError::Empty);
    }
    if s.starts_with('/') || s.starts_with("./") || s.starts_with("../") || s.starts_with('~') {
        return Err(IdError::LocalPath(s.to_string()));
    }
    let (mut path, mut revision) = if let Some(rest) = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"))
    {
        let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
        if !HUB_HOSTS.contains(&host.to_ascii_lowercase().as_str()) {
            return Err(IdError::ForeignUrl(s.to_string()));
        }
        let path = path.split(['?', '#']).next().unwrap_or("");
        // `org/name/tree/rev/...` and `org/name/blob/rev/...` name a revision.
        let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
        let is_ds = parts.first() == Some(&"datasets");
        let start = usize::from(is_ds);
        let mut end = parts.len();
        let mut rev = None;
        for (i, p) in parts.iter().enumerate().skip(start) {
            if matches!(*p, "tree" | "blob" | "resolve" | "raw") {
                end = i;
                rev = parts.get(i + 1).map(|r| r.to_string());
                break;
            }
        }
        let id_parts = &parts[start..end];
        if id_parts.is_empty() || id_parts.len() > 2 {
            return Err(IdError::Invalid(s.to_string()));
        }
        let prefix = if is_ds { "datasets/" } else { "" };
        (format!("{prefix}{}", id_parts.join("/")), rev)
    } else {
        // Ids cannot contain `@`, so everything after the first one is the revision (which may
        // itself contain `/`, as in `refs/pr/1`).
        let (p, r) = match s.split_once('@') {
            Some((p, r)) if !r.is_empty() => (p.to_string(), Some(r.to_string())),
            _ => (s.to_string(), None),
        };
        (p, r)
    };
    let mut kind = default_kind;
    if let Some(rest) = path.strip_prefix("datasets/") {
        kind = RepoKind::Dataset;
        path = rest.to_string();
    } else if let Some(rest) = path.strip_prefix("models/") {
        kind = RepoKind::Model;
        path = rest.to_string();
    }
    validate_id(&path).map_err(|_| {
        if path.contains('\\') || path.matches('/').count() > 1 {
            IdError::LocalPath(s.to_string())
        } else {
            IdError::Invalid(s.to_string())
        }
    })?;
    if let Some(r) = &revision {
        if r.chars().any(|c| c.is_control() || c.is_whitespace()) {
            revision = None;
        }
    }
    Ok(RepoRef {
        key: NodeKey { kind, id: path },
        revision,
    })
}

/// Checks the Hub's id grammar: one or two segments of letters, digits, `-`, `_`, `.`, at most 96 each.
pub fn validate_id(id: &str) -> Result<(), IdError> {
    let parts: Vec<&str> = id.split('/').collect();
    if parts.is_empty() || parts.len() > 2 {
        return Err(IdError::Invalid(id.to_string()));
    }
    for p in parts {
        let ok = !p.is_empty()
            && p.len() <= 96
            && p != "."
            && p != ".."
            && !p.starts_with('-')
            && p.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if !ok {
            return Err(IdError::Invalid(id.to_string()));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_ids_and_revisions() {
        let r = parse_repo_ref("meta-llama/Llama-2-7b-hf@main", RepoKind::Model).unwrap();
        assert_eq!(r.key, NodeKey::model("meta-llama/Llama-2-7b-hf"));
        assert_eq!(r.revision.as_deref(), Some("main"));
        let r = parse_repo_ref("org/name@refs/pr/1", RepoKind::Model).unwrap();
        assert_eq!(r.key, NodeKey::model("org/name"));
        assert_eq!(r.revision.as_deref(), Some("refs/pr/1"));
        let r = parse_repo_ref("datasets/tatsu-lab/alpaca", RepoKind::Model).unwrap();
        assert_eq!(r.key, NodeKey::dataset("tatsu-lab/alpaca"));
        assert_eq!(
            parse_card_ref("gpt2", RepoKind::Model).unwrap(),
            NodeKey::model("gpt2")
        );
    }

    #[test]
    fn hub_urls_become_ids() {
        let r = parse_repo_ref(
            "https://huggingface.co/meta-llama/Llama-3.1-8B/tree/abc123",
            RepoKind::Model,
        )
        .unwrap();
        assert_eq!(r.key, NodeKey::model("meta-llama/Llama-3.1-8B"));
        assert_eq!(r.revision.as_deref(), Some("abc123"));
        let r = parse_repo_ref("https://hf.co/datasets/tatsu-lab/alpaca", RepoKind::Model).unwrap();
        assert_eq!(r.key, NodeKey::dataset("tatsu-lab/alpaca"));
    }

    #[test]
    fn foreign_urls_and_paths_are_rejected() {
        assert!(matches!(
            parse_card_ref("https://evil.example/org/name", RepoKind::Model),
            Err(IdError::ForeignUrl(_))
        ));
        assert!(matches!(
            parse_card_ref("/workspace/output/checkpoint-500", RepoKind::Model),
            Err(IdError::LocalPath(_))
        ));
        assert!(matches!(
            parse_card_ref("home/ubuntu/models/x", RepoKind::Model),
            Err(IdError::LocalPath(_))
        ));
        assert!(parse_card_ref("org/na\"me", RepoKind::Model).is_err());
        assert!(parse_card_ref("", RepoKind::Model).is_err());
    }

    #[test]
    fn key_display_roundtrip() {
        let k = NodeKey::dataset("a/b");
        assert_eq!(k.to_string(), "dataset:a/b");
        assert_eq!(NodeKey::parse("dataset:a/b"), Some(k));
        assert_eq!(NodeKey::model("org/name").name(), "name");
    }
}
