//! What the fake Hub holds: repos, raw files, renames and tokens.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use crate::repo::{RepoKind, RELATIONS};

/// One repo: its full API JSON, the revisions it answers to besides `main`, `HEAD` and its sha, and
/// its commit history (newest first; empty: one commit, the current state, dated `createdAt`).
#[derive(Debug, Clone)]
pub(crate) struct StoredRepo {
    pub info: Value,
    pub revisions: BTreeSet<String>,
    pub commits: Vec<StoredCommit>,
}

/// A commit of a stored repo: its listing entry and the repo's API JSON at that commit.
#[derive(Debug, Clone)]
pub(crate) struct StoredCommit {
    pub sha: String,
    pub date: String,
    pub title: String,
    pub info: Value,
}

impl StoredRepo {
    pub fn sha(&self) -> &str {
        self.info.get("sha").and_then(Value::as_str).unwrap_or("")
    }

    pub fn flag(&self, key: &str) -> bool {
        self.info.get(key).and_then(Value::as_bool).unwrap_or(false)
    }

    /// `gated` is `false`, `"auto"` or `"manual"`.
    pub fn gated(&self) -> bool {
        matches!(
            self.info.get("gated"),
            Some(Value::String(_)) | Some(Value::Bool(true))
        )
    }

    pub fn tags(&self) -> impl Iterator<Item = &str> {
        self.info
            .get("tags")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
    }

    pub fn knows_revision(&self, rev: &str) -> bool {
        rev == "main"
            || rev == "HEAD"
            || rev == self.sha()
            || self.revisions.contains(rev)
            || self.commits.iter().any(|c| c.sha == rev)
    }

    /// The commit history, newest first: the stored commits, or one commit holding the current state.
    pub fn history(&self) -> Vec<StoredCommit> {
        if !self.commits.is_empty() {
            return self.commits.clone();
        }
        let date = self
            .info
            .get("createdAt")
            .and_then(Value::as_str)
            .unwrap_or_default();
        vec![StoredCommit {
            sha: self.sha().to_string(),
            date: date.to_string(),
            title: "initial commit".into(),
            info: self.info.clone(),
        }]
    }

    /// The repo's API JSON at `rev`: a commit's when `rev` is one, else the current one.
    pub fn info_at(&self, rev: Option<&str>) -> &Value {
        rev.and_then(|r| self.commits.iter().find(|c| c.sha == r))
            .map_or(&self.info, |c| &c.info)
    }
}

/// Everything the server answers from.
#[derive(Debug, Default)]
pub(crate) struct Store {
    pub models: BTreeMap<String, StoredRepo>,
    pub datasets: BTreeMap<String, StoredRepo>,
    /// Raw files by (kind, repo id, path in repo).
    pub files: BTreeMap<(RepoKind, String, String), String>,
    /// Old id to new id; answered with 307.
    pub renames: BTreeMap<(RepoKind, String), String>,
    /// Tokens that count as a logged-in user.
    pub tokens: BTreeSet<String>,
    /// When set, every request must carry this token.
    pub required_token: Option<String>,
    /// When set, listings refuse a `limit` above it with 400 (instead of clamping to the maximum).
    pub refused_limit_above: Option<usize>,
}

impl Store {
    pub fn repos(&self, kind: RepoKind) -> &BTreeMap<String, StoredRepo> {
        match kind {
            RepoKind::Model => &self.models,
            RepoKind::Dataset => &self.datasets,
        }
    }

    pub fn repos_mut(&mut self, kind: RepoKind) -> &mut BTreeMap<String, StoredRepo> {
        match kind {
            RepoKind::Model => &mut self.models,
            RepoKind::Dataset => &mut self.datasets,
        }
    }

    pub fn get(&self, kind: RepoKind, id: &str) -> Option<&StoredRepo> {
        self.repos(kind).get(id)
    }

    /// Stores a repo, replacing any previous one with that id (its extra revisions are kept, its
    /// commits are not).
    pub fn insert(&mut self, kind: RepoKind, id: &str, info: Value) {
        let repos = self.repos_mut(kind);
        let revisions = repos.remove(id).map(|r| r.revisions).unwrap_or_default();
        repos.insert(
            id.to_string(),
            StoredRepo {
                info,
                revisions,
                commits: Vec::new(),
            },
        );
    }

    /// `childrenModelCount`: models that name `id` as base, per relation, from their tags.
    pub fn children_count(&self, id: &str) -> Value {
        let mut counts = Map::new();
        for relation in RELATIONS {
            let tag = format!("base_model:{relation}:{id}");
            let n = self
                .models
                .values()
                .filter(|m| m.tags().any(|t| t == tag))
                .count();
            if n > 0 {
                counts.insert(relation.to_string(), Value::from(n));
            }
        }
        Value::Object(counts)
    }

    /// The `_id` of a stored model, for `baseModels` entries.
    pub fn object_id(&self, id: &str) -> Option<&str> {
        self.models.get(id)?.info.get("_id")?.as_str()
    }
}
