//! Repositories: their kind, the builder that turns card fields into the Hub's response shape, and the
//! fields the Hub computes (tags, `baseModels`, ids, sha).

use std::fmt;

use serde_json::{json, Map, Value};

use crate::card;
use crate::http::fnv1a;

/// The relations the Hub knows between a model and its base (reference/hub-api.md §1.2).
pub const RELATIONS: [&str; 4] = ["adapter", "merge", "quantized", "finetune"];

/// `createdAt` of repos that do not set one.
pub(crate) const DEFAULT_CREATED_AT: &str = "2024-01-15T10:00:00.000Z";
/// `lastModified` of repos that do not set one.
pub(crate) const DEFAULT_LAST_MODIFIED: &str = "2024-06-01T12:00:00.000Z";

/// Whether a repo is a model or a dataset; they live in separate namespaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RepoKind {
    /// A model repo (`/api/models/...`).
    Model,
    /// A dataset repo (`/api/datasets/...`).
    Dataset,
}

impl RepoKind {
    /// `"model"` or `"dataset"`, as used in fault targets (`model:org/name`).
    pub fn as_str(self) -> &'static str {
        match self {
            RepoKind::Model => "model",
            RepoKind::Dataset => "dataset",
        }
    }

    /// The API path segment: `models` or `datasets`.
    pub fn plural(self) -> &'static str {
        match self {
            RepoKind::Model => "models",
            RepoKind::Dataset => "datasets",
        }
    }

    /// The prefix of file URLs: empty for models, `/datasets` for datasets.
    pub(crate) fn web_prefix(self) -> &'static str {
        match self {
            RepoKind::Model => "",
            RepoKind::Dataset => "/datasets",
        }
    }
}

impl fmt::Display for RepoKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `n` hex digits derived from `id`, stable across runs and Rust versions.
pub(crate) fn stable_hex(id: &str, salt: &str, n: usize) -> String {
    let mut out = String::with_capacity(n + 16);
    let mut round = 0u32;
    while out.len() < n {
        let h = fnv1a(format!("{salt}\u{0}{round}\u{0}{id}").as_bytes());
        out.push_str(&format!("{h:016x}"));
        round += 1;
    }
    out.truncate(n);
    out
}

/// The Mongo-style `_id` the fake Hub gives a repo that has none.
pub fn default_object_id(id: &str) -> String {
    stable_hex(id, "_id", 24)
}

/// The commit sha the fake Hub gives a repo that has none: 40 hex digits derived from the id.
pub fn default_sha(id: &str) -> String {
    stable_hex(id, "sha", 40)
}

/// Whether `s` could be a Hub repo id (`name` or `org/name`); URLs and local paths are not.
pub fn is_repo_id(s: &str) -> bool {
    let ok_part = |p: &str| {
        !p.is_empty()
            && p.len() <= 96
            && !p.starts_with(['-', '.'])
            && !p.ends_with('.')
            && !p.contains("..")
            && p.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    };
    let mut parts = s.split('/');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(a), None, None) => ok_part(a),
        (Some(a), Some(b), None) => ok_part(a) && ok_part(b),
        _ => false,
    }
}

/// A card field as a list of strings, whether the YAML wrote a string or a list.
pub(crate) fn string_list(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|i| i.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

/// The relation the Hub would infer: the card's `base_model_relation` when valid, else from the
/// files (GGUF: quantized, `adapter_config.json`: adapter), else merge for several bases, else finetune
/// (reference/hub-api.md §1.3).
pub(crate) fn infer_relation(
    card: &Map<String, Value>,
    siblings: &[String],
    bases: usize,
) -> String {
    if let Some(rel) = card.get("base_model_relation").and_then(Value::as_str) {
        if RELATIONS.contains(&rel) {
            return rel.to_string();
        }
    }
    if siblings.iter().any(|s| s.ends_with("adapter_config.json")) {
        "adapter".into()
    } else if siblings.iter().any(|s| s.ends_with(".gguf")) {
        "quantized".into()
    } else if bases >= 2 {
        "merge".into()
    } else {
        "finetune".into()
    }
}

/// Names in a `siblings` value.
pub(crate) fn sibling_names(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|s| {
                    s.get("rfilename")
                        .and_then(Value::as_str)
                        .map(str::to_string)
                })
                .collect()
        })
        .unwrap_or_default()
}

fn siblings_value(names: &[String]) -> Value {
    Value::Array(names.iter().map(|n| json!({ "rfilename": n })).collect())
}

fn default_siblings(kind: RepoKind) -> Vec<String> {
    match kind {
        RepoKind::Model => vec![
            ".gitattributes".into(),
            "README.md".into(),
            "config.json".into(),
            "model.safetensors".into(),
        ],
        RepoKind::Dataset => vec![".gitattributes".into(), "README.md".into()],
    }
}

/// The tags the Hub derives from card metadata (reference/hub-api.md §3.5), after `first`.
pub(crate) fn computed_tags(
    kind: RepoKind,
    card: &Map<String, Value>,
    first: &[String],
    hub_base: Option<(&str, &[String])>,
) -> Vec<String> {
    let mut tags: Vec<String> = first.to_vec();
    tags.extend(string_list(card.get("tags")));
    match kind {
        RepoKind::Model => {
            tags.extend(string_list(card.get("language")));
            for d in string_list(card.get("datasets")) {
                tags.push(format!("dataset:{d}"));
            }
            if let Some((relation, bases)) = hub_base {
                tags.extend(bases.iter().map(|b| format!("base_model:{b}")));
                tags.extend(bases.iter().map(|b| format!("base_model:{relation}:{b}")));
            }
        }
        RepoKind::Dataset => {
            for (field, prefix) in [
                ("task_categories", "task_categories"),
                ("language", "language"),
                ("size_categories", "size_categories"),
            ] {
                tags.extend(
                    string_list(card.get(field))
                        .iter()
                        .map(|v| format!("{prefix}:{v}")),
                );
            }
        }
    }
    for l in string_list(card.get("license")) {
        tags.push(format!("license:{l}"));
    }
    tags.push("region:us".into());
    let mut seen = std::collections::HashSet::new();
    tags.retain(|t| seen.insert(t.clone()));
    tags
}

/// The `baseModels` object the Hub returns with `expand=baseModels`.
pub(crate) fn base_models_value(relation: &str, bases: &[String]) -> Value {
    json!({
        "relation": relation,
        "models": bases.iter().map(|b| json!({"_id": default_object_id(b), "id": b})).collect::<Vec<_>>(),
    })
}

/// Fills what every Hub response carries and, when `tags` is absent, what the Hub computes from
/// `cardData` (`tags`, `baseModels`), leaving every field already present untouched. `id` always wins
/// over an `id` inside `info`.
pub(crate) fn complete(kind: RepoKind, id: &str, info: Value) -> Value {
    let mut m = match info {
        Value::Object(m) => m,
        Value::Null => Map::new(),
        other => panic!("repo info for {id} must be a JSON object, got {other}"),
    };
    m.insert("id".into(), json!(id));
    let mut put = |k: &str, v: Value| {
        m.entry(k.to_string()).or_insert(v);
    };
    put("_id", json!(default_object_id(id)));
    if kind == RepoKind::Model {
        put("modelId", json!(id));
    }
    put(
        "author",
        json!(id.split_once('/').map_or(id, |(org, _)| org)),
    );
    put("sha", json!(default_sha(id)));
    put("private", json!(false));
    put("gated", json!(false));
    put("disabled", json!(false));
    put("lastModified", json!(DEFAULT_LAST_MODIFIED));
    put("createdAt", json!(DEFAULT_CREATED_AT));
    put("downloads", json!(0));
    put("likes", json!(0));
    put("siblings", siblings_value(&default_siblings(kind)));

    let card = m
        .get("cardData")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let bases: Vec<String> = string_list(card.get("base_model"))
        .into_iter()
        .filter(|b| is_repo_id(b))
        .collect();
    let relation = infer_relation(&card, &sibling_names(m.get("siblings")), bases.len());
    let hub_base =
        (kind == RepoKind::Model && !bases.is_empty()).then_some((relation.as_str(), &bases[..]));
    // Given `tags` mean the Hub-computed parts were decided by the caller: compute neither.
    if !m.contains_key("tags") {
        let tags = computed_tags(kind, &card, &[], hub_base);
        m.insert("tags".into(), json!(tags));
        if let Some((relation, bases)) = hub_base {
            m.entry("baseModels")
                .or_insert_with(|| base_models_value(relation, bases));
        }
    }
    Value::Object(m)
}

/// What the Hub reports as the relation to the base model(s).
#[derive(Debug, Clone, PartialEq, Eq)]
enum HubRelation {
    /// Infer it like the Hub does (see [`RepoSpec::hub_relation`]).
    Infer,
    /// This relation.
    Set(String),
    /// No `baseModels` and no `base_model:*` tags, as for a card the Hub could not read.
    Omit,
}

/// Builds a repo in the Hub's response shape from model-card fields.
///
/// `cardData` mirrors the YAML as written (string or list forms are kept as given); the Hub-computed
/// parts (`tags`, `baseModels`) are derived from it unless overridden; a README.md with the same front
/// matter is generated unless [`RepoSpec::readme`] supplies one.
///
/// ```
/// use lineage_fakehub::{FakeHub, RepoSpec};
///
/// let hub = FakeHub::start();
/// hub.add(RepoSpec::model("acme/base").license("apache-2.0"));
/// hub.add(
///     RepoSpec::model("acme/base-GGUF")
///         .base_model(["acme/base"])
///         .relation("quantized"),
/// );
/// let info = RepoSpec::model("acme/base-GGUF").base_model(["acme/base"]).relation("quantized").to_json();
/// assert!(info["tags"].as_array().unwrap().contains(&"base_model:quantized:acme/base".into()));
/// ```
#[derive(Debug, Clone)]
pub struct RepoSpec {
    kind: RepoKind,
    id: String,
    card: Map<String, Value>,
    card_data: bool,
    hub_relation: HubRelation,
    extra_tags: Vec<String>,
    siblings: Option<Vec<String>>,
    fields: Map<String, Value>,
    readme: Option<String>,
    crlf: bool,
    files: Vec<(String, String)>,
    revisions: Vec<String>,
    commits: Vec<CommitSpec>,
}

/// One commit of a repo's history: when, what it was called, and the card metadata at that commit.
///
/// The fake Hub serves these, newest first, from `GET /api/{models,datasets}/{id}/commits/{rev}` and
/// answers `GET /api/{models,datasets}/{id}/revision/{sha}` with the repo as it was at the commit.
#[derive(Debug, Clone, PartialEq)]
pub struct CommitSpec {
    /// The commit id (40 hex digits).
    pub sha: String,
    /// RFC 3339 date-time of the commit (`2023-05-31T10:00:00.000Z`).
    pub date: String,
    /// The commit title (first line of the message).
    pub title: String,
    /// The card metadata (`cardData`) at this commit.
    pub card: Map<String, Value>,
}

impl RepoSpec {
    fn new(kind: RepoKind, id: &str) -> Self {
        RepoSpec {
            kind,
            id: id.to_string(),
            card: Map::new(),
            card_data: true,
            hub_relation: HubRelation::Infer,
            extra_tags: Vec::new(),
            siblings: None,
            fields: Map::new(),
            readme: None,
            crlf: false,
            files: Vec::new(),
            revisions: Vec::new(),
            commits: Vec::new(),
        }
    }

    /// A model repo with an empty card.
    pub fn model(id: &str) -> Self {
        Self::new(RepoKind::Model, id)
    }

    /// A dataset repo with an empty card.
    pub fn dataset(id: &str) -> Self {
        Self::new(RepoKind::Dataset, id)
    }

    /// The repo id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Model or dataset.
    pub fn kind(&self) -> RepoKind {
        self.kind
    }

    /// Sets any card field to any JSON value, exactly as it would be written in the YAML.
    pub fn card_field(mut self, key: &str, value: Value) -> Self {
        self.card.insert(key.to_string(), value);
        self
    }

    /// `license: <id>` (string form).
    pub fn license(self, license: &str) -> Self {
        self.card_field("license", json!(license))
    }

    /// `license:` as a list, as some cards (mostly datasets) write it.
    pub fn licenses<I, S>(self, licenses: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.card_field("license", strings(licenses))
    }

    /// `license_name`, meaningful with `license: other`.
    pub fn license_name(self, name: &str) -> Self {
        self.card_field("license_name", json!(name))
    }

    /// `license_link`: a file in the repo (`LICENSE.md`) or a URL.
    pub fn license_link(self, link: &str) -> Self {
        self.card_field("license_link", json!(link))
    }

    /// `base_model`: written as a string for one id and as a list for several, the common forms.
    pub fn base_model<I, S>(self, ids: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let ids: Vec<String> = ids.into_iter().map(Into::into).collect();
        match ids.as_slice() {
            [one] => {
                let one = one.clone();
                self.card_field("base_model", json!(one))
            }
            _ => self.card_field("base_model", json!(ids)),
        }
    }

    /// `base_model` written as a list even when it holds a single id.
    pub fn base_model_list<I, S>(self, ids: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.card_field("base_model", strings(ids))
    }

    /// `base_model_relation` in the card (`adapter`, `merge`, `quantized`, `finetune`; not validated).
    pub fn relation(self, relation: &str) -> Self {
        self.card_field("base_model_relation", json!(relation))
    }

    /// The relation the Hub reports in `baseModels` and in `base_model:<relation>:<id>` tags.
    ///
    /// Without this call the Hub's inference is imitated: the card's `base_model_relation`, else
    /// `adapter` with an `adapter_config.json`, `quantized` with a `.gguf` file, `merge` for several
    /// bases, `finetune` otherwise. Only base ids that are valid repo ids get Hub-computed entries.
    pub fn hub_relation(mut self, relation: &str) -> Self {
        self.hub_relation = HubRelation::Set(relation.to_string());
        self
    }

    /// No `baseModels` and no `base_model:*` tags even though the card names a base.
    pub fn no_hub_relation(mut self) -> Self {
        self.hub_relation = HubRelation::Omit;
        self
    }

    /// `datasets:` (list form) used to train a model.
    pub fn datasets<I, S>(self, ids: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.card_field("datasets", strings(ids))
    }

    /// `source_datasets:` of a dataset card (ids, or `original` / `extended|...` values).
    pub fn source_datasets<I, S>(self, ids: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.card_field("source_datasets", strings(ids))
    }

    /// Leaves `cardData` out of the API response, as for a card the Hub could not parse: the
    /// card-derived tags and `baseModels` go too, so a client must read README.md.
    pub fn no_card_data(mut self) -> Self {
        self.card_data = false;
        self
    }

    /// `gated: "auto"` or `"manual"`: metadata and README stay public, other files answer 403.
    pub fn gated(self, mode: &str) -> Self {
        self.field("gated", json!(mode))
    }

    /// A private repo: 401 without a token.
    pub fn private(self) -> Self {
        self.field("private", json!(true))
    }

    /// A disabled repo: 403 "Access to this resource is disabled.".
    pub fn disabled(self) -> Self {
        self.field("disabled", json!(true))
    }

    /// The commit sha (default: 40 hex digits derived from the id).
    pub fn sha(self, sha: &str) -> Self {
        self.field("sha", json!(sha))
    }

    /// `pipeline_tag`, both in the card and at the top level, as the Hub reports it.
    pub fn pipeline_tag(self, tag: &str) -> Self {
        self.card_field("pipeline_tag", json!(tag))
            .field("pipeline_tag", json!(tag))
    }

    /// `library_name`, both in the card and at the top level.
    pub fn library_name(self, name: &str) -> Self {
        self.card_field("library_name", json!(name))
            .field("library_name", json!(name))
    }

    /// A Hub-computed tag (e.g. `gguf`, `safetensors`, `merge`), placed before the card's tags.
    pub fn tag(mut self, tag: &str) -> Self {
        self.extra_tags.push(tag.to_string());
        self
    }

    /// The file names in `siblings` (default: a README, config and safetensors weights).
    pub fn siblings<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.siblings = Some(names.into_iter().map(Into::into).collect());
        self
    }

    /// `downloads` count.
    pub fn downloads(self, n: u64) -> Self {
        self.field("downloads", json!(n))
    }

    /// `likes` count.
    pub fn likes(self, n: u64) -> Self {
        self.field("likes", json!(n))
    }

    /// Any top-level response field (`createdAt`, `config`, `spaces`, ...), overriding computed ones.
    pub fn field(mut self, key: &str, value: Value) -> Self {
        self.fields.insert(key.to_string(), value);
        self
    }

    /// The README.md served raw, instead of the generated one.
    pub fn readme(mut self, text: &str) -> Self {
        self.readme = Some(text.to_string());
        self
    }

    /// Writes the generated README.md with CRLF line endings.
    pub fn crlf_readme(mut self) -> Self {
        self.crlf = true;
        self
    }

    /// Another raw file (e.g. `LICENSE.md`).
    pub fn file(mut self, path: &str, text: &str) -> Self {
        self.files.push((path.to_string(), text.to_string()));
        self
    }

    /// A revision (branch, tag, `refs/pr/1`) accepted besides `main`, `HEAD` and the sha.
    pub fn revision(mut self, rev: &str) -> Self {
        self.revisions.push(rev.to_string());
        self
    }

    /// Appends a commit (oldest first) whose card metadata is `card` (a JSON object of card fields).
    ///
    /// With commits, the repo's `sha` is the newest commit's, its `createdAt` the oldest commit's date
    /// and its `lastModified` the newest's, unless set with [`RepoSpec::field`] or [`RepoSpec::sha`].
    /// The current card stays the spec's own: give the newest commit the same card. A repo without
    /// commits has one, dated `createdAt`, holding its current card. The sha is derived from the id
    /// and the commit's position, stable across runs.
    ///
    /// # Panics
    /// If `card` is not a JSON object.
    pub fn commit(mut self, date: &str, title: &str, card: Value) -> Self {
        let Value::Object(card) = card else {
            panic!("the card of a commit must be a JSON object");
        };
        let sha = stable_hex(&format!("{}#{}", self.id, self.commits.len()), "commit", 40);
        self.commits.push(CommitSpec {
            sha,
            date: date.to_string(),
            title: title.to_string(),
            card,
        });
        self
    }

    /// The commits given with [`RepoSpec::commit`], oldest first.
    pub fn commits(&self) -> &[CommitSpec] {
        &self.commits
    }

    /// The full API response of the repo as it was at `commit`: its card, sha and `lastModified`.
    pub fn to_json_at(&self, commit: &CommitSpec) -> Value {
        let created = self.to_json()["createdAt"].clone();
        let mut at = self.clone();
        at.card = commit.card.clone();
        at.commits.clear();
        at.fields.remove("lastModified");
        at.fields.remove("sha");
        at.field("sha", json!(commit.sha))
            .field("lastModified", json!(commit.date))
            .field("createdAt", created)
            .to_json()
    }

    /// The card metadata as written (`cardData` when present).
    pub fn card(&self) -> &Map<String, Value> {
        &self.card
    }

    /// The full API response (`GET /api/{models,datasets}/{id}`) this spec stands for.
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        let siblings = self.siblings.clone().unwrap_or_else(|| {
            let mut s = default_siblings(self.kind);
            s.extend(self.files.iter().map(|(p, _)| p.clone()));
            s
        });
        m.insert("siblings".into(), siblings_value(&siblings));
        let bases: Vec<String> = string_list(self.card.get("base_model"))
            .into_iter()
            .filter(|b| is_repo_id(b))
            .collect();
        let relation = match &self.hub_relation {
            HubRelation::Set(r) => Some(r.clone()),
            HubRelation::Infer => Some(infer_relation(&self.card, &siblings, bases.len())),
            HubRelation::Omit => None,
        };
        let hub_base = match (&relation, self.kind) {
            (Some(r), RepoKind::Model) if self.card_data && !bases.is_empty() => {
                Some((r.as_str(), &bases[..]))
            }
            _ => None,
        };
        let card_for_tags = if self.card_data {
            self.card.clone()
        } else {
            Map::new()
        };
        let tags = computed_tags(self.kind, &card_for_tags, &self.extra_tags, hub_base);
        m.insert("tags".into(), json!(tags));
        if let Some((r, b)) = hub_base {
            m.insert("baseModels".into(), base_models_value(r, b));
        }
        if self.card_data {
            m.insert("cardData".into(), Value::Object(self.card.clone()));
        }
        if let (Some(first), Some(last)) = (self.commits.first(), self.commits.last()) {
            m.insert("sha".into(), json!(last.sha));
            m.insert("createdAt".into(), json!(first.date));
            m.insert("lastModified".into(), json!(last.date));
        }
        for (k, v) in &self.fields {
            m.insert(k.clone(), v.clone());
        }
        complete(self.kind, &self.id, Value::Object(m))
    }

    /// The README.md text: the one given, or one generated from the card.
    pub fn readme_text(&self) -> String {
        self.readme
            .clone()
            .unwrap_or_else(|| card::readme(&self.card, &self.id, self.crlf))
    }

    pub(crate) fn files(&self) -> &[(String, String)] {
        &self.files
    }

    pub(crate) fn revisions(&self) -> &[String] {
        &self.revisions
    }
}

fn strings<I, S>(items: I) -> Value
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    Value::Array(items.into_iter().map(|s| Value::String(s.into())).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(v: &Value) -> Vec<&str> {
        v["tags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap())
            .collect()
    }

    #[test]
    fn every_response_has_the_common_fields() {
        let v = RepoSpec::model("org/name").to_json();
        for key in [
            "_id",
            "id",
            "modelId",
            "author",
            "sha",
            "private",
            "gated",
            "disabled",
            "lastModified",
            "createdAt",
            "downloads",
            "likes",
            "tags",
            "siblings",
        ] {
            assert!(v.get(key).is_some(), "missing {key}");
        }
        assert_eq!(v["author"], "org");
        assert_eq!(v["sha"].as_str().unwrap().len(), 40);
        assert!(v["sha"]
            .as_str()
            .unwrap()
            .chars()
            .all(|c| c.is_ascii_hexdigit()));
        assert_eq!(v["_id"].as_str().unwrap().len(), 24);
        assert_eq!(v["sha"], RepoSpec::model("org/name").to_json()["sha"]);
        assert_ne!(v["sha"], RepoSpec::model("org/other").to_json()["sha"]);
        let d = RepoSpec::dataset("org/data").to_json();
        assert!(d.get("modelId").is_none());
    }

    #[test]
    fn base_model_forms_and_hub_fields() {
        let single = RepoSpec::model("a/ft").base_model(["a/base"]).to_json();
        assert_eq!(single["cardData"]["base_model"], json!("a/base"));
        assert_eq!(single["baseModels"]["relation"], "finetune");
        assert_eq!(single["baseModels"]["models"][0]["id"], "a/base");
        assert_eq!(
            single["baseModels"]["models"][0]["_id"],
            json!(default_object_id("a/base"))
        );
        let listed = RepoSpec::model("a/ft")
            .base_model_list(["a/base"])
            .to_json();
        assert_eq!(listed["cardData"]["base_model"], json!(["a/base"]));

        let merge = RepoSpec::model("a/m").base_model(["a/x", "a/y"]).to_json();
        assert_eq!(merge["baseModels"]["relation"], "merge");
        let t = tags(&merge);
        assert!(t.contains(&"base_model:merge:a/x") && t.contains(&"base_model:merge:a/y"));

        let q = RepoSpec::model("a/q")
            .base_model(["a/base"])
            .relation("quantized")
            .to_json();
        assert_eq!(q["cardData"]["base_model_relation"], "quantized");
        assert!(tags(&q).contains(&"base_model:quantized:a/base"));

        let hub = RepoSpec::model("a/l")
            .base_model(["a/base"])
            .hub_relation("adapter")
            .to_json();
        assert!(hub["cardData"].get("base_model_relation").is_none());
        assert_eq!(hub["baseModels"]["relation"], "adapter");
        assert!(tags(&hub).contains(&"base_model:a/base"));

        let none = RepoSpec::model("a/n")
            .base_model(["a/base"])
            .no_hub_relation()
            .to_json();
        assert!(none.get("baseModels").is_none());
        assert!(!tags(&none).iter().any(|t| t.starts_with("base_model:")));

        let url = RepoSpec::model("a/u")
            .base_model(["https://huggingface.co/a/base"])
            .to_json();
        assert!(url.get("baseModels").is_none());
    }

    #[test]
    fn license_and_dataset_tags() {
        let v = RepoSpec::model("a/b")
            .license("other")
            .license_name("my-license")
            .datasets(["d/one", "d/two"])
            .to_json();
        let t = tags(&v);
        assert!(t.contains(&"license:other"));
        assert!(t.contains(&"dataset:d/one") && t.contains(&"dataset:d/two"));
        let d = RepoSpec::dataset("d/mix")
            .licenses(["cc-by-nc-4.0", "cc-by-sa-3.0"])
            .source_datasets(["d/one", "original"])
            .to_json();
        assert_eq!(
            d["cardData"]["license"],
            json!(["cc-by-nc-4.0", "cc-by-sa-3.0"])
        );
        let t = tags(&d);
        assert!(t.contains(&"license:cc-by-nc-4.0") && t.contains(&"license:cc-by-sa-3.0"));
    }

    #[test]
    fn no_card_data_drops_card_derived_fields_but_keeps_readme() {
        let spec = RepoSpec::model("a/b")
            .license("mit")
            .base_model(["a/base"])
            .no_card_data()
            .crlf_readme();
        let v = spec.to_json();
        assert!(v.get("cardData").is_none());
        assert!(v.get("baseModels").is_none());
        assert!(!tags(&v).iter().any(|t| t.starts_with("license:")));
        let readme = spec.readme_text();
        assert!(readme.starts_with("---\r\nbase_model: a/base\r\nlicense: mit\r\n---\r\n"));
    }

    #[test]
    fn complete_keeps_given_fields_and_computes_missing_ones() {
        let v = complete(
            RepoKind::Model,
            "x/y",
            json!({"sha": "abc", "cardData": {"base_model": ["p/q", "r/s"], "license": "mit"}}),
        );
        assert_eq!(v["sha"], "abc");
        assert_eq!(v["baseModels"]["relation"], "merge");
        assert!(tags(&v).contains(&"license:mit"));
        let kept = complete(RepoKind::Model, "x/y", json!({"tags": ["t"]}));
        assert_eq!(tags(&kept), vec!["t"]);
    }

    #[test]
    fn repo_ids() {
        assert!(is_repo_id("gpt2"));
        assert!(is_repo_id("meta-llama/Llama-3.1-8B"));
        assert!(!is_repo_id("https://huggingface.co/a/b"));
        assert!(!is_repo_id("/workspace/out"));
        assert!(!is_repo_id("a/b/c"));
        assert!(!is_repo_id(""));
    }
}
