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
        tags_of(&self.info)
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

/// The `tags` of a repo's API JSON.
fn tags_of(info: &Value) -> impl Iterator<Item = &str> {
    info.get("tags")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
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
    /// Repo ids by tag, so a listing filtered on a tag does not scan every repo (the fake Hub shares
    /// the machine with the client a benchmark times). Kept by [`Store::insert`] and
    /// [`Store::remove`]; tags must not be changed any other way.
    tagged: BTreeMap<(RepoKind, String), BTreeSet<String>>,
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
        let revisions = self
            .remove(kind, id)
            .map(|r| r.revisions)
            .unwrap_or_default();
        for tag in tags_of(&info) {
            self.tagged
                .entry((kind, tag.to_string()))
                .or_default()
                .insert(id.to_string());
        }
        let repos = self.repos_mut(kind);
        repos.insert(
            id.to_string(),
            StoredRepo {
                info,
                revisions,
                commits: Vec::new(),
            },
        );
    }

    /// Removes a repo (not its files); returns it if it existed.
    pub fn remove(&mut self, kind: RepoKind, id: &str) -> Option<StoredRepo> {
        let old = self.repos_mut(kind).remove(id)?;
        for tag in old.tags() {
            let key = (kind, tag.to_string());
            if let Some(ids) = self.tagged.get_mut(&key) {
                ids.remove(id);
                if ids.is_empty() {
                    self.tagged.remove(&key);
                }
            }
        }
        Some(old)
    }

    /// The ids of the repos of `kind` carrying every tag of `tags`, in id order; `None` without tags
    /// (every repo).
    pub fn ids_tagged(&self, kind: RepoKind, tags: &[String]) -> Option<BTreeSet<&str>> {
        let (first, rest) = tags.split_first()?;
        let of = |t: &String| self.tagged.get(&(kind, t.clone()));
        let mut ids: BTreeSet<&str> = of(first)
            .map(|s| s.iter().map(String::as_str).collect())
            .unwrap_or_default();
        for t in rest {
            let more = of(t);
            ids.retain(|id| more.is_some_and(|m| m.contains(*id)));
        }
        Some(ids)
    }

    /// `childrenModelCount`: models that name `id` as base, per relation, from their tags.
    pub fn children_count(&self, id: &str) -> Value {
        let mut counts = Map::new();
        for relation in RELATIONS {
            let tag = format!("base_model:{relation}:{id}");
            let n = self
                .tagged
                .get(&(RepoKind::Model, tag))
                .map_or(0, BTreeSet::len);
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
