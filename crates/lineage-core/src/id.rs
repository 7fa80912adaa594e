//! Repository identities: what a node is, and how card values and user input become one.

use serde::{Deserialize, Serialize};
use std::fmt;
use thiserror::Error;

/// Whether a node is a Hub model, a Hub dataset (the same `org/name` can be both) or a hosted
/// service that generated data.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RepoKind {
    /// A model repository (`/api/models/...`).
    Model,
    /// A dataset repository (`/api/datasets/...`).
    Dataset,
    /// A hosted service such as `openai/gpt-4`: not on the Hub, never fetched; its terms come from
    /// the knowledge base only.
    Service,
}

impl RepoKind {
    /// `model`, `dataset` or `service`.
    pub fn as_str(self) -> &'static str {
        match self {
            RepoKind::Model => "model",
            RepoKind::Dataset => "dataset",
            RepoKind::Service => "service",
        }
    }

    /// Whether nodes of this kind are Hub repositories (fetched, listed, linked to the Hub).
    pub fn is_hub(self) -> bool {
        self != RepoKind::Service
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

    /// A hosted-service key (`service:openai/gpt-4`).
    pub fn service(id: impl Into<String>) -> NodeKey {
        NodeKey {
            kind: RepoKind::Service,
            id: id.into(),
        }
    }

    /// Parses `model:org/name`, `dataset:org/name` or `service:org/name` (the [`fmt::Display`] form).
    pub fn parse(s: &str) -> Option<NodeKey> {
        let (kind, id) = s.split_once(':')?;
        let kind = match kind {
            "model" => RepoKind::Model,
            "dataset" => RepoKind::Dataset,
            "service" => RepoKind::Service,
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
    /// A Hub URL carrying a user name or password (`https://user@huggingface.co/...`): such a URL
    /// is not followed, because credentials in a card are never ours to send (shown without them).
    #[error("{0:?} carries credentials in the URL; only plain Hub URLs are followed")]
    Credentials(String),
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

/// Reads what generated a dataset, as a card, the catalog or a policy file writes it:
/// `service:org/name` names a hosted service (its id checked by the Hub's grammar), anything else a
/// model (`org/name`, `model:org/name` or a Hub URL, as [`parse_card_ref`] reads it).
pub fn parse_generator_ref(raw: &str) -> Result<NodeKey, IdError> {
    let s = raw.trim();
    if let Some(id) = s.strip_prefix("service:") {
        let id = id.trim();
        validate_id(id).map_err(|_| IdError::Invalid(s.to_string()))?;
        return Ok(NodeKey::service(id));
    }
    parse_card_ref(s.strip_prefix("model:").unwrap_or(s), RepoKind::Model)
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
    let is_url = has_url_scheme(s);
    let (mut path, mut revision) = if is_url {
        hub_url_path(s)?
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
        if !is_url && (path.contains('\\') || path.matches('/').count() > 1) {
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

/// Whether `s` starts with a URL scheme and `://` (`https://`, `HTTPS://`, `s3://`...).
fn has_url_scheme(s: &str) -> bool {
    let Some((scheme, _)) = s.split_once("://") else {
        return false;
    };
    let mut chars = scheme.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

/// The URL as shown in errors: without user name and password, so a credential never reaches
/// a message or a report.
fn redacted(u: &url::Url) -> String {
    let mut u = u.clone();
    let _ = u.set_username("");
    let _ = u.set_password(None);
    u.to_string()
}

/// Reads a Hub URL (parsed by the `url` crate: scheme and host case, default ports, dot segments and
/// escapes as a browser reads them) into the repository path (`org/name` or `datasets/org/name`) and
/// the revision it names. Other schemes, hosts and ports, and URLs with credentials, are rejected.
fn hub_url_path(s: &str) -> Result<(String, Option<String>), IdError> {
    let u = url::Url::parse(s).map_err(|_| IdError::Invalid(s.to_string()))?;
    if !matches!(u.scheme(), "https" | "http") {
        return Err(IdError::ForeignUrl(redacted(&u)));
    }
    // `port()` is `None` for the scheme's default port, so `:443` on https is the Hub itself.
    let on_hub = u.host_str().is_some_and(|h| HUB_HOSTS.contains(&h)) && u.port().is_none();
    if !on_hub {
        return Err(IdError::ForeignUrl(redacted(&u)));
    }
    if !u.username().is_empty() || u.password().is_some() {
        return Err(IdError::Credentials(redacted(&u)));
    }
    let invalid = || IdError::Invalid(redacted(&u));
    let parts: Vec<&str> = u
        .path_segments()
        .into_iter()
        .flatten()
        .filter(|p| !p.is_empty())
        .collect();
    let is_ds = parts.first() == Some(&"datasets");
    let start = usize::from(is_ds);
    let mut end = parts.len();
    let mut rev = None;
    // `org/name/tree/rev/...` and `org/name/blob/rev/...` name a revision (which may be escaped:
    // `refs%2Fpr%2F1`).
    for (i, p) in parts.iter().enumerate().skip(start) {
        if matches!(*p, "tree" | "blob" | "resolve" | "raw") {
            end = i;
            rev = parts.get(i + 1).and_then(|r| {
                percent_encoding::percent_decode_str(r)
                    .decode_utf8()
                    .ok()
                    .map(|r| r.into_owned())
            });
            break;
        }
    }
    // Each id segment is decoded on its own, so an escaped `/` (`%2F`) can never split or join ids.
    let id_parts: Vec<String> = parts[start..end]
        .iter()
        .map(|p| decode_segment(p).ok_or_else(invalid))
        .collect::<Result<_, _>>()?;
    if id_parts.is_empty() || id_parts.len() > 2 {
        return Err(invalid());
    }
    let prefix = if is_ds { "datasets/" } else { "" };
    Ok((format!("{prefix}{}", id_parts.join("/")), rev))
}

/// Percent-decodes one path segment; `None` when the result is not UTF-8 or contains a path
/// separator (`%2F`, `%5C`) or a control character, which no Hub id or revision segment does.
pub fn decode_segment(raw: &str) -> Option<String> {
    let s = percent_encoding::percent_decode_str(raw)
        .decode_utf8()
        .ok()?;
    if s.contains(['/', '\\']) || s.chars().any(char::is_control) {
        return None;
    }
    Some(s.into_owned())
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
    fn url_scheme_and_host_case_and_default_ports_are_the_hub() {
        for raw in [
            "HTTPS://huggingface.co/meta-llama/Llama-3.1-8B",
            "https://HuggingFace.CO/meta-llama/Llama-3.1-8B",
            "https://huggingface.co:443/meta-llama/Llama-3.1-8B",
            "http://huggingface.co:80/meta-llama/Llama-3.1-8B",
            "https://huggingface.co/meta-llama/Llama-3.1-8B?library=transformers#top",
        ] {
            assert_eq!(
                parse_card_ref(raw, RepoKind::Model),
                Ok(NodeKey::model("meta-llama/Llama-3.1-8B")),
                "{raw}"
            );
        }
        // Another port is another server.
        assert!(matches!(
            parse_card_ref("https://huggingface.co:8443/org/name", RepoKind::Model),
            Err(IdError::ForeignUrl(_))
        ));
        // Look-alike hosts and other schemes stay foreign.
        for raw in [
            "https://huggingface.co.evil.example/org/name",
            "https://huggingface.co@evil.example/org/name",
            "https://evil.example\\@huggingface.co/org/name",
            "ftp://huggingface.co/org/name",
            "hf://org/name",
        ] {
            assert!(
                matches!(
                    parse_card_ref(raw, RepoKind::Model),
                    Err(IdError::ForeignUrl(_))
                ),
                "{raw}"
            );
        }
    }

    #[test]
    fn urls_with_credentials_are_rejected_without_echoing_them() {
        for raw in [
            "https://user@huggingface.co/org/name",
            "https://user:hf_secret@huggingface.co/org/name",
            "https://:hf_secret@hf.co/org/name",
        ] {
            let e = parse_card_ref(raw, RepoKind::Model).unwrap_err();
            assert!(matches!(e, IdError::Credentials(_)), "{raw}: {e:?}");
            let shown = e.to_string();
            assert!(
                !shown.contains("hf_secret") && !shown.contains("user@"),
                "{shown}"
            );
            assert!(shown.contains("huggingface.co/org/name") || shown.contains("hf.co/org/name"));
        }
        // A foreign URL's password is not shown either.
        let e =
            parse_card_ref("https://u:hf_secret@evil.example/x/y", RepoKind::Model).unwrap_err();
        assert!(matches!(e, IdError::ForeignUrl(_)) && !e.to_string().contains("hf_secret"));
    }

    #[test]
    fn escapes_never_make_another_repo_path() {
        // An escaped slash cannot join or split segments, in URLs or plain ids.
        for raw in [
            "https://huggingface.co/org%2Fname",
            "https://huggingface.co/org/na%2Fme",
            "https://huggingface.co/org/na%5Cme",
            "https://huggingface.co/org/%2E%2E%2F%2E%2E%2Fetc",
            "https://huggingface.co/org/name%00",
            "org%2Fname",
            "org/%2E%2E",
            "org/..",
            "../etc/passwd",
        ] {
            assert!(parse_card_ref(raw, RepoKind::Model).is_err(), "{raw}");
        }
        // Escaped ordinary characters are the same id; dot segments resolve as a browser resolves them.
        assert_eq!(
            parse_card_ref("https://huggingface.co/%6Frg/name", RepoKind::Model),
            Ok(NodeKey::model("org/name"))
        );
        assert_eq!(
            parse_card_ref("https://huggingface.co/x/../org/name", RepoKind::Model),
            Ok(NodeKey::model("org/name"))
        );
        // An escaped revision is decoded.
        let r = parse_repo_ref(
            "https://huggingface.co/org/name/tree/refs%2Fpr%2F1",
            RepoKind::Model,
        )
        .unwrap();
        assert_eq!(r.revision.as_deref(), Some("refs/pr/1"));
    }

    #[test]
    fn key_display_roundtrip() {
        let k = NodeKey::dataset("a/b");
        assert_eq!(k.to_string(), "dataset:a/b");
        assert_eq!(NodeKey::parse("dataset:a/b"), Some(k));
        assert_eq!(NodeKey::model("org/name").name(), "name");
    }
}
