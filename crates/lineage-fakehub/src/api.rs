//! The Hub's routes: repo info, listings and raw files, with the Hub's error conventions
//! (reference/hub-api.md §3).

use std::cmp::Ordering;

use serde_json::{json, Map, Value};

use crate::card;
use crate::http::{
    base64url_decode, base64url_encode, parse_query, percent_decode, percent_encode, Request,
    Response,
};
use crate::repo::RepoKind;
use crate::store::{Store, StoredRepo};

/// `expand` values the Hub accepts on `GET /api/models/{id}` (HH `ExpandModelProperty_T`, plus the
/// undocumented `gitalyUid` and `xetEnabled` the server also accepts).
pub const MODEL_EXPAND: &[&str] = &[
    "author",
    "baseModels",
    "cardData",
    "childrenModelCount",
    "config",
    "createdAt",
    "disabled",
    "downloads",
    "downloadsAllTime",
    "evalResults",
    "gated",
    "gguf",
    "gitalyUid",
    "inference",
    "inferenceProviderMapping",
    "lastModified",
    "library_name",
    "likes",
    "mask_token",
    "model-index",
    "pipeline_tag",
    "private",
    "resourceGroup",
    "safetensors",
    "sha",
    "siblings",
    "spaces",
    "tags",
    "transformersInfo",
    "trendingScore",
    "usedStorage",
    "widgetData",
    "xetEnabled",
];

/// `expand` values the Hub accepts on `GET /api/datasets/{id}` (HH `ExpandDatasetProperty_T`).
pub const DATASET_EXPAND: &[&str] = &[
    "author",
    "cardData",
    "citation",
    "createdAt",
    "description",
    "disabled",
    "downloads",
    "downloadsAllTime",
    "gated",
    "gitalyUid",
    "lastModified",
    "likes",
    "paperswithcode_id",
    "private",
    "resourceGroup",
    "sha",
    "siblings",
    "tags",
    "trendingScore",
    "usedStorage",
    "xetEnabled",
];

/// Accepted on a single repo but not on listings (huggingface_hub PR #3182).
const NOT_ON_LISTING: &[&str] = &["baseModels", "childrenModelCount", "usedStorage"];

/// Returned by `GET /api/models/{id}` only when asked for with `expand`.
const EXPAND_ONLY: &[&str] = &["baseModels", "childrenModelCount", "downloadsAllTime"];

/// Fields of a default listing item (as huggingface_hub sees them without `full`).
const MODEL_LIST_FIELDS: &[&str] = &[
    "_id",
    "id",
    "likes",
    "trendingScore",
    "private",
    "downloads",
    "tags",
    "pipeline_tag",
    "library_name",
    "createdAt",
    "modelId",
];

/// Extra fields of a listing item with `full=true` (the recorded GGUF listing item, §3.2); `full`
/// also brings `cardData`, like `cardData=true`.
const MODEL_FULL_FIELDS: &[&str] = &[
    "author",
    "gated",
    "lastModified",
    "sha",
    "siblings",
    "disabled",
];

const DATASET_LIST_FIELDS: &[&str] = &[
    "_id",
    "id",
    "author",
    "disabled",
    "gated",
    "lastModified",
    "likes",
    "trendingScore",
    "private",
    "sha",
    "description",
    "downloads",
    "tags",
    "createdAt",
];

const DATASET_FULL_FIELDS: &[&str] = &["siblings", "citation", "paperswithcode_id"];

/// Page size of listings without `limit`.
pub const DEFAULT_LIMIT: usize = 100;
/// The largest `limit` honoured; larger values are clamped.
pub const MAX_LIMIT: usize = 1000;

/// Page size of a commit listing without `limit` (the Hub's pages of commits are small).
pub const COMMITS_PAGE: usize = 50;

/// What a request path asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Route {
    /// `GET /api/{models,datasets}/{id}[/revision/{rev}]`
    Info {
        kind: RepoKind,
        id: String,
        revision: Option<String>,
    },
    /// `GET /api/{models,datasets}/{id}/commits/{rev}`
    Commits {
        kind: RepoKind,
        id: String,
        revision: String,
    },
    /// `GET /api/{models,datasets}`
    List(RepoKind),
    /// `GET [/datasets]/{id}/{raw,resolve}/{rev}/{path}`
    File {
        kind: RepoKind,
        id: String,
        verb: String,
        revision: String,
        path: String,
    },
    /// Anything else.
    Unknown,
}

impl Route {
    /// The repo a request is about, for fault matching.
    pub fn repo(&self) -> Option<(RepoKind, &str)> {
        match self {
            Route::Info { kind, id, .. }
            | Route::File { kind, id, .. }
            | Route::Commits { kind, id, .. } => Some((*kind, id)),
            _ => None,
        }
    }

    /// The listing a request is for, for fault matching.
    pub fn list(&self) -> Option<RepoKind> {
        match self {
            Route::List(kind) => Some(*kind),
            _ => None,
        }
    }

    /// The same route for a renamed repo, as a `Location` path.
    fn location_for(&self, new_id: &str, raw_query: &str) -> String {
        let mut loc = match self {
            Route::Info { kind, revision, .. } => {
                let mut l = format!("/api/{}/{new_id}", kind.plural());
                if let Some(rev) = revision {
                    l.push_str("/revision/");
                    l.push_str(&percent_encode(rev));
                }
                l
            }
            Route::Commits { kind, revision, .. } => format!(
                "/api/{}/{new_id}/commits/{}",
                kind.plural(),
                percent_encode(revision)
            ),
            Route::File {
                kind,
                verb,
                revision,
                path,
                ..
            } => format!(
                "{}/{new_id}/{verb}/{}/{path}",
                kind.web_prefix(),
                percent_encode(revision)
            ),
            _ => "/".to_string(),
        };
        if !raw_query.is_empty() {
            loc.push('?');
            loc.push_str(raw_query);
        }
        loc
    }
}

/// Parses a request path (raw, undecoded) into a route.
pub(crate) fn route(path: &str) -> Route {
    let segs: Vec<String> = path.split('/').skip(1).map(percent_decode).collect();
    let segs: Vec<&str> = segs.iter().map(String::as_str).collect();
    let segs = match segs.as_slice() {
        [rest @ .., ""] if !rest.is_empty() => rest,
        s => s,
    };
    match segs {
        ["api", "models"] => Route::List(RepoKind::Model),
        ["api", "datasets"] => Route::List(RepoKind::Dataset),
        ["api", kind @ ("models" | "datasets"), rest @ ..] => {
            let kind = if *kind == "models" {
                RepoKind::Model
            } else {
                RepoKind::Dataset
            };
            info_route(kind, rest)
        }
        ["datasets", rest @ ..] => file_route(RepoKind::Dataset, rest),
        rest => file_route(RepoKind::Model, rest),
    }
}

fn info_route(kind: RepoKind, rest: &[&str]) -> Route {
    if let Some(i) = rest
        .iter()
        .skip(1)
        .position(|s| *s == "commits")
        .map(|i| i + 1)
    {
        if i <= 2 && rest.len() > i + 1 {
            return Route::Commits {
                kind,
                id: rest[..i].join("/"),
                revision: rest[i + 1..].join("/"),
            };
        }
    }
    // `revision` as the first segment would be a repo named "revision"; the id needs one segment at least.
    let at = rest
        .iter()
        .skip(1)
        .position(|s| *s == "revision")
        .map(|i| i + 1);
    let (id_parts, revision) = match at {
        Some(i) if i <= 2 && rest.len() > i + 1 => (&rest[..i], Some(rest[i + 1..].join("/"))),
        Some(_) => return Route::Unknown,
        None => (rest, None),
    };
    match id_parts {
        [one] => Route::Info {
            kind,
            id: (*one).to_string(),
            revision,
        },
        [org, name] => Route::Info {
            kind,
            id: format!("{org}/{name}"),
            revision,
        },
        _ => Route::Unknown,
    }
}

fn file_route(kind: RepoKind, rest: &[&str]) -> Route {
    let is_verb = |s: &str| s == "raw" || s == "resolve";
    let (id, tail) = match rest {
        [org, name, verb, tail @ ..] if is_verb(verb) && tail.len() >= 2 => {
            (format!("{org}/{name}"), (verb, tail))
        }
        [name, verb, tail @ ..] if is_verb(verb) && tail.len() >= 2 => {
            ((*name).to_string(), (verb, tail))
        }
        _ => return Route::Unknown,
    };
    let (verb, tail) = tail;
    Route::File {
        kind,
        id,
        verb: (*verb).to_string(),
        revision: tail[0].to_string(),
        path: tail[1..].join("/"),
    }
}

/// How the request authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Auth {
    Anonymous,
    Valid,
    Invalid,
}

/// Reads `Authorization: Bearer <token>`. With no registered tokens any token counts as valid.
pub(crate) fn authenticate(req: &Request, store: &Store) -> Auth {
    let Some(value) = req.header("authorization") else {
        return Auth::Anonymous;
    };
    let token = value
        .split_once(' ')
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, t)| t.trim());
    match token {
        Some(t) if store.tokens.is_empty() || store.tokens.contains(t) => Auth::Valid,
        _ => Auth::Invalid,
    }
}

pub(crate) fn not_found() -> Response {
    Response::error(404, Some("RepoNotFound"), "Repository not found")
}

pub(crate) fn unauthorized() -> Response {
    Response::error(401, Some("RepoNotFound"), "Invalid username or password.")
}

pub(crate) fn invalid_credentials() -> Response {
    Response::error(401, None, "Invalid credentials in Authorization header")
}

pub(crate) fn gated(kind: RepoKind, id: &str) -> Response {
    let page = format!("https://huggingface.co{}/{id}", kind.web_prefix());
    Response::error(
        403,
        Some("GatedRepo"),
        &format!(
            "Access to {kind} {id} is restricted and you are not in the authorized list. Visit {page} to ask for access."
        ),
    )
}

pub(crate) fn disabled() -> Response {
    Response::error(403, None, "Access to this resource is disabled.")
}

/// The Hub's 307 for a renamed repo.
pub(crate) fn redirect(route: &Route, new_id: &str, raw_query: &str) -> Response {
    let loc = route.location_for(new_id, raw_query);
    Response::text(307, &format!("Temporary Redirect. Redirecting to {loc}"))
        .with_header("Location", &loc)
}

/// Answers a request that no fault intercepted.
pub(crate) fn handle(req: &Request, route: &Route, store: &Store, base_url: &str) -> Response {
    let auth = authenticate(req, store);
    if auth == Auth::Invalid {
        return invalid_credentials();
    }
    if let Some(required) = &store.required_token {
        let bearer = req
            .header("authorization")
            .and_then(|v| v.strip_prefix("Bearer "));
        if bearer.map(str::trim) != Some(required.as_str()) {
            return unauthorized();
        }
    }
    if req.method != "GET" && req.method != "HEAD" {
        return Response::error(405, None, "Method not allowed");
    }
    let cx = Ctx {
        req,
        store,
        auth,
        route,
    };
    match route {
        Route::Info { kind, id, revision } => info(&cx, *kind, id, revision.as_deref()),
        Route::List(kind) => list(&cx, *kind, base_url),
        Route::Commits { kind, id, revision } => commits(&cx, *kind, id, revision, base_url),
        Route::File {
            kind,
            id,
            revision,
            path,
            ..
        } => file(&cx, *kind, id, revision, path),
        Route::Unknown => Response::error(
            404,
            None,
            "Sorry, we can't find the page you are looking for.",
        ),
    }
}

/// What a handler needs to know about the request it answers.
struct Ctx<'a> {
    req: &'a Request,
    store: &'a Store,
    auth: Auth,
    route: &'a Route,
}

/// Finds a repo or the response that stands in for it (404, 307, 401, 403, RevisionNotFound).
fn lookup<'s>(
    cx: &Ctx<'s>,
    kind: RepoKind,
    id: &str,
    revision: Option<&str>,
) -> Result<&'s StoredRepo, Response> {
    let Some(repo) = cx.store.get(kind, id) else {
        if let Some(new_id) = cx.store.renames.get(&(kind, id.to_string())) {
            return Err(redirect(cx.route, new_id, cx.req.raw_query()));
        }
        return Err(not_found());
    };
    if repo.flag("private") && cx.auth != Auth::Valid {
        return Err(unauthorized());
    }
    if repo.flag("disabled") {
        return Err(disabled());
    }
    if let Some(rev) = revision {
        if !repo.knows_revision(rev) {
            return Err(Response::error(
                404,
                Some("RevisionNotFound"),
                &format!("Invalid rev id: {rev}"),
            ));
        }
    }
    Ok(repo)
}

/// The `expand` values of a query (`expand=a&expand=b`, `expand[]=a`, or comma-joined).
fn expand_values(query: &[(String, String)]) -> Option<Vec<String>> {
    let values: Vec<String> = query
        .iter()
        .filter(|(k, _)| k == "expand" || k == "expand[]")
        .flat_map(|(_, v)| v.split(','))
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
        .collect();
    (!values.is_empty()).then_some(values)
}

fn check_expand(values: &[String], allowed: &[&str]) -> Result<(), Response> {
    if values.iter().all(|v| allowed.contains(&v.as_str())) {
        return Ok(());
    }
    let msg = format!("\"expand\" must be one of [{}]", allowed.join(", "));
    Err(Response::json(400, &json!({ "error": msg })).with_header("X-Error-Message", &msg))
}

fn expand_allowed(kind: RepoKind, listing: bool) -> Vec<&'static str> {
    let all = match kind {
        RepoKind::Model => MODEL_EXPAND,
        RepoKind::Dataset => DATASET_EXPAND,
    };
    all.iter()
        .copied()
        .filter(|v| !listing || !NOT_ON_LISTING.contains(v))
        .collect()
}

/// The value of one expandable field, computing the ones the Hub computes.
fn expanded_field(
    store: &Store,
    kind: RepoKind,
    id: &str,
    info: &Value,
    field: &str,
) -> Option<Value> {
    match field {
        "childrenModelCount" if kind == RepoKind::Model => Some(store.children_count(id)),
        "baseModels" => {
            let mut bm = info.get("baseModels")?.clone();
            // Point each parent's `_id` at the stored repo, when there is one.
            if let Some(models) = bm.get_mut("models").and_then(Value::as_array_mut) {
                for m in models {
                    let oid = m
                        .get("id")
                        .and_then(Value::as_str)
                        .and_then(|pid| store.object_id(pid))
                        .map(str::to_string);
                    if let (Some(oid), Some(obj)) = (oid, m.as_object_mut()) {
                        obj.insert("_id".into(), json!(oid));
                    }
                }
            }
            Some(bm)
        }
        _ => info.get(field).cloned(),
    }
}

fn info(cx: &Ctx<'_>, kind: RepoKind, id: &str, revision: Option<&str>) -> Response {
    let store = cx.store;
    let query = cx.req.query();
    let expand = expand_values(&query);
    if let Some(values) = &expand {
        if let Err(r) = check_expand(values, &expand_allowed(kind, false)) {
            return r;
        }
    }
    let repo = match lookup(cx, kind, id, revision) {
        Ok(r) => r,
        Err(resp) => return resp,
    };
    let info = repo.info_at(revision);
    let body = match expand {
        Some(values) => {
            let mut out = Map::new();
            for key in ["_id", "id"] {
                if let Some(v) = info.get(key) {
                    out.insert(key.into(), v.clone());
                }
            }
            for field in values {
                if let Some(v) = expanded_field(store, kind, id, info, &field) {
                    out.insert(field, v);
                }
            }
            Value::Object(out)
        }
        None => {
            let mut out = info.as_object().cloned().unwrap_or_default();
            out.retain(|k, _| !EXPAND_ONLY.contains(&k.as_str()));
            Value::Object(out)
        }
    };
    let sha = info.get("sha").and_then(Value::as_str).unwrap_or_default();
    Response::json(200, &body).with_header("X-Repo-Commit", sha)
}

/// The commit history at `revision`, newest first, as `GitCommitInfo` items (`id`, `title`,
/// `message`, `authors`, `date`), paged with `p` and `limit` and linked with `Link: rel="next"`.
fn commits(cx: &Ctx<'_>, kind: RepoKind, id: &str, revision: &str, base_url: &str) -> Response {
    let repo = match lookup(cx, kind, id, Some(revision)) {
        Ok(r) => r,
        Err(resp) => return resp,
    };
    let mut page = 0usize;
    let mut limit = COMMITS_PAGE;
    for (k, v) in cx.req.query() {
        let n = || {
            v.parse::<usize>()
                .map_err(|_| bad_request(&format!("\"{k}\" must be a number")))
        };
        match k.as_str() {
            "p" => match n() {
                Ok(n) => page = n,
                Err(r) => return r,
            },
            "limit" => match n() {
                Ok(n) => limit = n.clamp(1, MAX_LIMIT),
                Err(r) => return r,
            },
            _ => {}
        }
    }
    // A branch or the head lists everything; a commit lists itself and what came before it.
    let all = repo.history();
    let start = all.iter().position(|c| c.sha == revision).unwrap_or(0);
    let history = &all[start..];
    let author = id.split_once('/').map_or(id, |(org, _)| org);
    let items: Vec<Value> = history
        .iter()
        .skip(page.saturating_mul(limit))
        .take(limit)
        .map(|c| {
            json!({
                "id": c.sha,
                "title": c.title,
                "message": format!("{}\n", c.title),
                "authors": [{ "user": author, "avatar": format!("/avatars/{author}.svg") }],
                "date": c.date,
            })
        })
        .collect();
    let mut resp = Response::json(200, &Value::Array(items))
        .with_header("X-Total-Count", &history.len().to_string());
    if (page + 1).saturating_mul(limit) < history.len() {
        let next = format!(
            "{base_url}/api/{}/{id}/commits/{}?p={}&limit={limit}",
            kind.plural(),
            percent_encode(revision),
            page + 1
        );
        resp = resp.with_header("Link", &format!("<{next}>; rel=\"next\""));
    }
    resp
}

#[derive(Debug)]
struct ListParams {
    filters: Vec<String>,
    author: Option<String>,
    search: Option<String>,
    pipeline_tag: Option<String>,
    limit: usize,
    offset: usize,
    full: bool,
    card_data: bool,
    config: bool,
    expand: Option<Vec<String>>,
    sort: Option<String>,
    descending: bool,
}

fn truthy(v: &str) -> bool {
    matches!(v.to_ascii_lowercase().as_str(), "true" | "1" | "yes" | "")
}

fn bad_request(msg: &str) -> Response {
    Response::error(400, None, msg)
}

fn list_params(query: &[(String, String)], kind: RepoKind) -> Result<ListParams, Response> {
    let mut p = ListParams {
        filters: Vec::new(),
        author: None,
        search: None,
        pipeline_tag: None,
        limit: DEFAULT_LIMIT,
        offset: 0,
        full: false,
        card_data: false,
        config: false,
        expand: expand_values(query),
        sort: None,
        descending: false,
    };
    if let Some(values) = &p.expand {
        check_expand(values, &expand_allowed(kind, true))?;
    }
    for (k, v) in query {
        match k.as_str() {
            "filter" | "filter[]" => p.filters.extend(
                v.split(',')
                    .map(str::trim)
                    .filter(|f| !f.is_empty())
                    .map(str::to_string),
            ),
            "author" => p.author = Some(v.clone()),
            "search" => p.search = Some(v.to_lowercase()),
            "pipeline_tag" => p.pipeline_tag = Some(v.clone()),
            "limit" => {
                let n: usize = v
                    .parse()
                    .map_err(|_| bad_request("\"limit\" must be a number"))?;
                p.limit = n.clamp(1, MAX_LIMIT);
            }
            "cursor" => {
                p.offset = decode_cursor(v).ok_or_else(|| bad_request("Invalid cursor"))?;
            }
            "full" => p.full = truthy(v),
            "cardData" => p.card_data = truthy(v),
            "config" => p.config = truthy(v),
            "sort" => p.sort = Some(v.clone()),
            "direction" => p.descending = v == "-1",
            _ => {}
        }
    }
    Ok(p)
}

/// The cursor of the listing page that starts at `offset` (what `Link: rel="next"` carries).
pub fn encode_cursor(offset: usize) -> String {
    base64url_encode(format!("{{\"$skip\":{offset}}}").as_bytes())
}

fn decode_cursor(c: &str) -> Option<usize> {
    let bytes = base64url_decode(c)?;
    let v: Value = serde_json::from_slice(&bytes).ok()?;
    usize::try_from(v.get("$skip")?.as_u64()?).ok()
}

fn compare_field(a: &Value, b: &Value, key: &str) -> Ordering {
    match (a.get(key), b.get(key)) {
        (Some(Value::Number(x)), Some(Value::Number(y))) => x
            .as_f64()
            .unwrap_or(0.0)
            .partial_cmp(&y.as_f64().unwrap_or(0.0))
            .unwrap_or(Ordering::Equal),
        (Some(Value::String(x)), Some(Value::String(y))) => x.cmp(y),
        (Some(_), None) => Ordering::Greater,
        (None, Some(_)) => Ordering::Less,
        _ => Ordering::Equal,
    }
}

fn list(cx: &Ctx<'_>, kind: RepoKind, base_url: &str) -> Response {
    let (req, store, auth) = (cx.req, cx.store, cx.auth);
    let query = req.query();
    let p = match list_params(&query, kind) {
        Ok(p) => p,
        Err(r) => return r,
    };
    if let Some(max) = store.refused_limit_above {
        let asked = query
            .iter()
            .find(|(k, _)| k == "limit")
            .and_then(|(_, v)| v.parse::<usize>().ok());
        if asked.is_some_and(|n| n > max) {
            return bad_request(&format!("\"limit\" must be less than or equal to {max}"));
        }
    }
    // A tag filter (a family's listing) reads the tag index, not every repo: the fake Hub shares the
    // machine with the client it serves, and a benchmark must not time a scan of the store.
    let repos = store.repos(kind);
    let candidates: Box<dyn Iterator<Item = (&String, &StoredRepo)>> =
        match store.ids_tagged(kind, &p.filters) {
            Some(ids) => Box::new(ids.into_iter().filter_map(|id| repos.get_key_value(id))),
            None => Box::new(repos.iter()),
        };
    let mut matches: Vec<(&String, &StoredRepo)> = candidates
        .filter(|(_, r)| !r.flag("private") || auth == Auth::Valid)
        .filter(|(id, r)| {
            p.author.as_deref().is_none_or(|a| {
                r.info.get("author").and_then(Value::as_str) == Some(a)
                    || id.split_once('/').map(|(org, _)| org) == Some(a)
            })
        })
        .filter(|(id, _)| {
            p.search
                .as_deref()
                .is_none_or(|s| id.to_lowercase().contains(s))
        })
        .filter(|(_, r)| {
            p.pipeline_tag
                .as_deref()
                .is_none_or(|t| r.info.get("pipeline_tag").and_then(Value::as_str) == Some(t))
        })
        .collect();
    if let Some(key) = &p.sort {
        matches.sort_by(|(ia, a), (ib, b)| {
            let o = compare_field(&a.info, &b.info, key);
            let o = if p.descending { o.reverse() } else { o };
            o.then_with(|| ia.cmp(ib))
        });
    }
    let total = matches.len();
    let page: Vec<Value> = matches
        .iter()
        .skip(p.offset)
        .take(p.limit)
        .map(|(id, r)| list_item(store, kind, id, &r.info, &p))
        .collect();
    let mut resp =
        Response::json(200, &Value::Array(page)).with_header("X-Total-Count", &total.to_string());
    if p.offset + p.limit < total {
        let mut q: Vec<&str> = req
            .raw_query()
            .split('&')
            .filter(|kv| {
                let k = kv.split_once('=').map_or(*kv, |(k, _)| k);
                !kv.is_empty() && parse_query(k).first().map(|(k, _)| k.as_str()) != Some("cursor")
            })
            .collect();
        let cursor = format!("cursor={}", encode_cursor(p.offset + p.limit));
        q.push(&cursor);
        let next = format!("{base_url}/api/{}?{}", kind.plural(), q.join("&"));
        resp = resp.with_header("Link", &format!("<{next}>; rel=\"next\""));
    }
    resp
}

fn list_item(store: &Store, kind: RepoKind, id: &str, info: &Value, p: &ListParams) -> Value {
    let mut out = Map::new();
    if let Some(values) = &p.expand {
        for key in ["_id", "id"] {
            if let Some(v) = info.get(key) {
                out.insert(key.into(), v.clone());
            }
        }
        for field in values {
            if let Some(v) = expanded_field(store, kind, id, info, field) {
                out.insert(field.clone(), v);
            }
        }
        return Value::Object(out);
    }
    let (base, full) = match kind {
        RepoKind::Model => (MODEL_LIST_FIELDS, MODEL_FULL_FIELDS),
        RepoKind::Dataset => (DATASET_LIST_FIELDS, DATASET_FULL_FIELDS),
    };
    let mut fields: Vec<&str> = base.to_vec();
    if p.full {
        fields.extend_from_slice(full);
    }
    if p.card_data || p.full {
        fields.push("cardData");
    }
    if p.config {
        fields.push("config");
    }
    for f in fields {
        if let Some(v) = info.get(f) {
            out.insert(f.to_string(), v.clone());
        }
    }
    Value::Object(out)
}

fn file(cx: &Ctx<'_>, kind: RepoKind, id: &str, revision: &str, path: &str) -> Response {
    let (store, auth) = (cx.store, cx.auth);
    let repo = match lookup(cx, kind, id, Some(revision)) {
        Ok(r) => r,
        Err(resp) => return resp,
    };
    // Gated repos keep their card public; every other file needs a logged-in, approved user.
    let public = matches!(path, "README.md" | ".gitattributes");
    if repo.gated() && !public && auth != Auth::Valid {
        return gated(kind, id);
    }
    let key = (kind, id.to_string(), path.to_string());
    let text = match store.files.get(&key) {
        Some(t) => Some(t.clone()),
        None if path == "README.md" => generated_readme(repo, id),
        None => None,
    };
    match text {
        Some(t) => Response::text(200, &t).with_header("X-Repo-Commit", repo.sha()),
        None => Response::error(404, Some("EntryNotFound"), "Entry not found"),
    }
}

/// A README for a repo stored without one: its `cardData` as front matter, if the repo lists a README.
fn generated_readme(repo: &StoredRepo, id: &str) -> Option<String> {
    let siblings = crate::repo::sibling_names(repo.info.get("siblings"));
    if !siblings.is_empty() && !siblings.iter().any(|s| s == "README.md") {
        return None;
    }
    match repo.info.get("cardData").and_then(Value::as_object) {
        Some(card_data) => Some(card::readme(card_data, id, false)),
        None => Some(format!("# {}\n", id.rsplit('/').next().unwrap_or(id))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(kind: RepoKind, id: &str, rev: Option<&str>) -> Route {
        Route::Info {
            kind,
            id: id.into(),
            revision: rev.map(str::to_string),
        }
    }

    #[test]
    fn routes() {
        use RepoKind::{Dataset, Model};
        assert_eq!(route("/api/models"), Route::List(Model));
        assert_eq!(route("/api/datasets/"), Route::List(Dataset));
        assert_eq!(route("/api/models/gpt2"), info(Model, "gpt2", None));
        assert_eq!(route("/api/models/a/b"), info(Model, "a/b", None));
        assert_eq!(
            route("/api/models/a/b/revision/refs%2Fpr%2F1"),
            info(Model, "a/b", Some("refs/pr/1"))
        );
        assert_eq!(
            route("/api/models/gpt2/revision/main"),
            info(Model, "gpt2", Some("main"))
        );
        assert_eq!(
            route("/api/datasets/t/alpaca"),
            info(Dataset, "t/alpaca", None)
        );
        assert_eq!(route("/api/models/a/b/tree/main"), Route::Unknown);
        assert_eq!(
            route("/datasets/t/alpaca/raw/main/README.md"),
            Route::File {
                kind: Dataset,
                id: "t/alpaca".into(),
                verb: "raw".into(),
                revision: "main".into(),
                path: "README.md".into()
            }
        );
        assert_eq!(
            route("/gpt2/resolve/v1.0/sub/dir.txt"),
            Route::File {
                kind: Model,
                id: "gpt2".into(),
                verb: "resolve".into(),
                revision: "v1.0".into(),
                path: "sub/dir.txt".into()
            }
        );
        assert_eq!(route("/"), Route::Unknown);
    }

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        assert_eq!(decode_cursor(&encode_cursor(300)), Some(300));
        assert_eq!(decode_cursor("not a cursor"), None);
        assert_eq!(decode_cursor(&base64url_encode(b"{}")), None);
    }
}
