//! The Hub as the crawler sees it: URLs of the configured endpoint, and GETs answered from the cache
//! when it is fresh (or when offline), from the network otherwise, and stored back.

use crate::cache::{self, Cache, Entry};
use crate::client::{Answer, Client, Failure};
use crate::error::HubError;
use crate::observe::{Event, Observer};
use crate::settings::Settings;
use lineage_core::{Fallback, NodeKey, RepoKind};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use url::Url;

/// `expand` values asked for on a model: exactly what lineage reads.
pub(crate) const MODEL_EXPAND: &[&str] = &[
    "baseModels",
    "cardData",
    "config",
    "createdAt",
    "disabled",
    "gated",
    "lastModified",
    "library_name",
    "sha",
    "siblings",
    "tags",
];
/// `expand` values asked for on a dataset (no `baseModels` for datasets).
pub(crate) const DATASET_EXPAND: &[&str] = &[
    "cardData",
    "createdAt",
    "disabled",
    "gated",
    "lastModified",
    "sha",
    "tags",
];
/// `expand` values of listing items: a dataset's (`baseModels` is refused on listings; tags carry
/// the relation).
pub(crate) const LIST_EXPAND: &[&str] = DATASET_EXPAND;
/// Listing page size.
pub(crate) const LIST_LIMIT: usize = 500;

/// A client of one Hub endpoint with its response cache. Build one per command; cheap to clone.
///
/// ```no_run
/// # async fn run() -> Result<(), lineage_hub::HubError> {
/// use lineage_hub::{CrawlRequest, Direction, Flags, Hub, Settings, Target};
///
/// let hub = Hub::new(Settings::from_env(&Flags::default())?)?;
/// let req = CrawlRequest::new(vec![Target::parse("TheBloke/Llama-2-7B-GGUF")?], Direction::Up);
/// let crawl = hub.crawl(&req, &lineage_core::Clarifications::none()).await?;
/// assert!(crawl.graph.node_count() >= 1);
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Hub {
    pub(crate) inner: Arc<Inner>,
}

#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub cache_hits: AtomicU64,
    pub revalidated: AtomicU64,
    pub stale: AtomicU64,
    pub cache_errors: AtomicU64,
}

#[derive(Debug)]
pub(crate) struct Inner {
    pub settings: Settings,
    client: Client,
    cache: Cache,
    pub counters: Counters,
}

/// A GET's outcome, from the cache or the network.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Got {
    /// 200: the body and, for listings, the next page; `stale` when it is a cached answer past its
    /// time-to-live, used because no fresh one could be had.
    Ok {
        body: Vec<u8>,
        next: Option<String>,
        stale: Option<Fallback>,
    },
    /// A redirect with its `Location`.
    Redirect(String),
    /// A refusal (401, 403, 404, other 4xx).
    Refused {
        status: u16,
        code: Option<String>,
        message: String,
    },
    /// No answer: network, 5xx, 429 beyond the retries, or offline without a cached answer.
    Failed(String),
}

impl Hub {
    /// Opens the cache and sets up the HTTP client for `settings`.
    pub fn new(settings: Settings) -> Result<Hub, HubError> {
        let cache = Cache::open(&settings.cache_file())?;
        Hub::with_cache(settings, cache)
    }

    /// A hub whose cache is kept in memory only (nothing is written to disk).
    pub fn without_disk_cache(settings: Settings) -> Result<Hub, HubError> {
        Hub::with_cache(settings, Cache::in_memory()?)
    }

    fn with_cache(settings: Settings, cache: Cache) -> Result<Hub, HubError> {
        let client = Client::new(&settings)?;
        Ok(Hub {
            inner: Arc::new(Inner {
                settings,
                client,
                cache,
                counters: Counters::default(),
            }),
        })
    }

    /// The settings this hub was built with.
    pub fn settings(&self) -> &Settings {
        &self.inner.settings
    }

    /// HTTP requests sent by this hub so far (each retry counts).
    pub fn requests(&self) -> u64 {
        self.inner.client.requests()
    }

    /// The cache this hub reads and writes (responses and synced metadata).
    pub fn cache(&self) -> &Cache {
        &self.inner.cache
    }
}

impl Inner {
    /// Whether the Hub asked to wait (429) and the wait is not over.
    pub fn rate_limited(&self) -> bool {
        self.client.rate_limited()
    }

    /// `{endpoint}/api/{models|datasets}/{id}[/revision/{rev}]?expand=...`.
    pub fn api_url(&self, key: &NodeKey, revision: Option<&str>) -> Url {
        let (plural, expand) = match key.kind {
            RepoKind::Model => ("models", MODEL_EXPAND),
            RepoKind::Dataset => ("datasets", DATASET_EXPAND),
            // Never requested: the crawler answers service nodes itself (crawl/schedule.rs), and a
            // stray request would find nothing on the Hub.
            RepoKind::Service => ("services", &[][..]),
        };
        let mut segs = vec!["api", plural];
        segs.extend(key.id.split('/'));
        if let Some(rev) = revision {
            segs.push("revision");
            segs.push(rev);
        }
        let mut u = self.url_with(&segs);
        {
            let mut q = u.query_pairs_mut();
            for e in expand {
                q.append_pair("expand", e);
            }
        }
        u
    }

    /// `{endpoint}[/datasets]/{id}/raw/{rev}/README.md`.
    pub fn readme_url(&self, key: &NodeKey, revision: &str) -> Url {
        let mut segs = Vec::new();
        if key.kind == RepoKind::Dataset {
            segs.push("datasets");
        }
        segs.extend(key.id.split('/'));
        segs.extend(["raw", revision, "README.md"]);
        self.url_with(&segs)
    }

    /// `{endpoint}[/datasets]/{id}/resolve/{rev}/{path}`: a file of the repo (a LICENSE text).
    pub fn file_url(&self, key: &NodeKey, revision: &str, path: &str) -> Url {
        let mut segs = Vec::new();
        if key.kind == RepoKind::Dataset {
            segs.push("datasets");
        }
        segs.extend(key.id.split('/'));
        segs.extend(["resolve", revision]);
        segs.extend(path.split('/'));
        self.url_with(&segs)
    }

    /// `{endpoint}/api/models?filter={filter}&expand=...&limit=...`: the first page of the models
    /// carrying a tag (`base_model:{id}` for children, `dataset:{id}` for models trained on a dataset).
    pub fn children_url(&self, filter: &str) -> Url {
        let mut u = self.url_with(&["api", "models"]);
        {
            let mut q = u.query_pairs_mut();
            q.append_pair("filter", filter);
            for e in LIST_EXPAND {
                q.append_pair("expand", e);
            }
            q.append_pair("limit", &LIST_LIMIT.to_string());
        }
        u
    }

    pub(crate) fn url_with(&self, segs: &[&str]) -> Url {
        let mut u = self.settings.endpoint.clone();
        if let Ok(mut path) = u.path_segments_mut() {
            path.pop_if_empty();
            for s in segs {
                path.push(s);
            }
        }
        u
    }

    /// Resolves a `Location` or `Link` target against `base`; `None` unless it stays on the
    /// configured endpoint (same scheme, host, port and path prefix): no other host is ever contacted.
    pub fn on_endpoint(&self, base: &Url, target: &str) -> Option<Url> {
        let u = base.join(target).ok()?;
        let ep = &self.settings.endpoint;
        let prefix = ep.path().trim_end_matches('/');
        let same = u.scheme() == ep.scheme()
            && u.host_str() == ep.host_str()
            && u.port_or_known_default() == ep.port_or_known_default()
            && (prefix.is_empty()
                || u.path() == prefix
                || u.path().starts_with(&format!("{prefix}/")));
        same.then_some(u)
    }

    /// The repo an API redirect points to (`/api/models/{new}[/revision/..]`), if it is one.
    pub fn redirect_target(&self, from: &Url, location: &str, kind: RepoKind) -> Option<NodeKey> {
        let u = self.on_endpoint(from, location)?;
        let prefix = self.settings.endpoint.path().trim_end_matches('/');
        let path = u.path().strip_prefix(prefix)?;
        let plural = match kind {
            RepoKind::Model => "models",
            RepoKind::Dataset => "datasets",
            RepoKind::Service => return None,
        };
        let rest = path.strip_prefix(&format!("/api/{plural}/"))?;
        // Each segment is decoded on its own: an escaped `/` (`a%2Fb`) is no id, not `a/b`.
        let segs: Vec<String> = rest
            .split('/')
            .take_while(|s| *s != "revision")
            .filter(|s| !s.is_empty())
            .map(lineage_core::id::decode_segment)
            .collect::<Option<_>>()?;
        let id = segs.join("/");
        if segs.is_empty() || segs.len() > 2 || lineage_core::id::validate_id(&id).is_err() {
            return None;
        }
        Some(NodeKey { kind, id })
    }

    /// GETs `url` through the cache. `json`: the body must parse as JSON to count as complete.
    /// `observer` hears whether the answer came from the cache or the network, and of rate-limit waits.
    pub async fn get(&self, url: &Url, json: bool, observer: &dyn Observer) -> Got {
        self.get_as(url, json, false, observer).await
    }

    /// GETs an answer that can never change (the repo at a commit sha): a cached 200 is used
    /// whatever its age and even with `--refresh`, so it is fetched once, ever.
    pub async fn get_immutable(&self, url: &Url, observer: &dyn Observer) -> Got {
        self.get_as(url, true, true, observer).await
    }

    async fn get_as(&self, url: &Url, json: bool, immutable: bool, observer: &dyn Observer) -> Got {
        let key = url.as_str();
        let entry = match self.cache.get(key) {
            Ok(e) => e,
            Err(_) => {
                self.counters.cache_errors.fetch_add(1, Ordering::Relaxed);
                None
            }
        };
        if self.settings.offline {
            return match entry {
                Some(e) => {
                    self.counters.cache_hits.fetch_add(1, Ordering::Relaxed);
                    observer.event(&Event::Cached {
                        url: url.to_string(),
                    });
                    let forever = immutable && e.status == 200;
                    let stale =
                        (!forever && !e.is_fresh(self.settings.ttl, cache::now())).then(|| {
                            Fallback::StaleCache {
                                fetched_at: e.fetched_at,
                                why: "offline mode: the Hub was not asked".into(),
                            }
                        });
                    from_entry(e).with_stale(stale)
                }
                None => Got::Failed(
                    "offline mode (--offline or HF_HUB_OFFLINE) and not in the cache".into(),
                ),
            };
        }
        let now = cache::now();
        if let Some(e) = &entry {
            // An anonymous refusal says nothing about what the token now sent would be shown.
            let anonymous_refusal = e.status >= 400 && !e.authed && self.client.has_token();
            let forever = immutable && e.status == 200;
            if forever
                || (!self.settings.refresh
                    && !anonymous_refusal
                    && e.is_fresh(self.settings.ttl, now))
            {
                self.counters.cache_hits.fetch_add(1, Ordering::Relaxed);
                observer.event(&Event::Cached {
                    url: url.to_string(),
                });
                return from_entry(e.clone());
            }
        }
        let etag = entry
            .as_ref()
            .filter(|e| e.status == 200)
            .and_then(|e| e.etag.as_deref());
        let answer = self.client.get(url, etag, json, observer).await;
        if answer.is_ok() {
            observer.event(&Event::Fetched {
                url: url.to_string(),
            });
        }
        let authed = self.client.has_token();
        let store = |e: Entry| {
            if self.cache.put(key, &e).is_err() {
                self.counters.cache_errors.fetch_add(1, Ordering::Relaxed);
            }
            from_entry(e)
        };
        match answer {
            Ok(Answer::Ok { body, etag, next }) => store(Entry {
                status: 200,
                etag,
                location: next,
                error: None,
                body,
                fetched_at: now,
                authed,
            }),
            Ok(Answer::NotModified) => match entry {
                Some(e) => {
                    self.counters.revalidated.fetch_add(1, Ordering::Relaxed);
                    if self.cache.touch(key, now).is_err() {
                        self.counters.cache_errors.fetch_add(1, Ordering::Relaxed);
                    }
                    from_entry(e)
                }
                None => Got::Failed("the Hub answered 304 to an unconditional request".into()),
            },
            Ok(Answer::Redirect(location)) => store(Entry {
                status: 307,
                etag: None,
                location: Some(location),
                error: None,
                body: Vec::new(),
                fetched_at: now,
                authed,
            }),
            Ok(Answer::Refused {
                status,
                code,
                message,
            }) => {
                let bad_token = status == 401 && message.contains("Invalid credentials");
                let e = Entry {
                    status,
                    etag: None,
                    location: None,
                    error: code,
                    body: message.into_bytes(),
                    fetched_at: now,
                    authed,
                };
                // Only the repo-specific refusals are facts worth keeping; a rejected token is not.
                if matches!(status, 401 | 403 | 404) && !bad_token {
                    store(e)
                } else {
                    from_entry(e)
                }
            }
            Err(Failure(why)) => match entry {
                // --refresh asks for the Hub's answer: an old one is not it.
                Some(_) if self.settings.refresh => {
                    Got::Failed(format!("{why} (--refresh: the cached answer was not used)"))
                }
                // A stale answer beats none: it was true at fetch time, and every output says when.
                Some(e) => {
                    self.counters.stale.fetch_add(1, Ordering::Relaxed);
                    let stale = Fallback::StaleCache {
                        fetched_at: e.fetched_at,
                        why: format!("the Hub could not be reached: {why}"),
                    };
                    from_entry(e).with_stale(Some(stale))
                }
                None => Got::Failed(why),
            },
        }
    }

    pub fn requests(&self) -> u64 {
        self.client.requests()
    }

    /// The response and sync cache.
    pub fn cache(&self) -> &Cache {
        &self.cache
    }

    /// The HTTP client (sync pages bypass the response cache).
    pub fn client(&self) -> &Client {
        &self.client
    }
}

impl Got {
    /// Marks a 200 as a stale stand-in (refusals and redirects are facts of their own).
    fn with_stale(self, stale: Option<Fallback>) -> Got {
        match self {
            Got::Ok { body, next, .. } => Got::Ok { body, next, stale },
            other => other,
        }
    }
}

fn from_entry(e: Entry) -> Got {
    match e.status {
        200 => Got::Ok {
            body: e.body,
            next: e.location,
            stale: None,
        },
        300..=399 => Got::Redirect(e.location.unwrap_or_default()),
        status => Got::Refused {
            status,
            code: e.error,
            message: String::from_utf8_lossy(&e.body).into_owned(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inner(endpoint: &str) -> Hub {
        let s = Settings::new(endpoint, "/nonexistent").unwrap();
        Hub::without_disk_cache(s).unwrap()
    }

    #[test]
    fn urls() {
        let h = inner("https://huggingface.co");
        let i = &h.inner;
        assert_eq!(
            i.api_url(&NodeKey::model("org/name"), Some("refs/pr/1")).as_str(),
            "https://huggingface.co/api/models/org/name/revision/refs%2Fpr%2F1?expand=baseModels&expand=cardData&expand=config&expand=createdAt&expand=disabled&expand=gated&expand=lastModified&expand=library_name&expand=sha&expand=siblings&expand=tags"
        );
        assert_eq!(
            i.readme_url(&NodeKey::dataset("a/b"), "abc").as_str(),
            "https://huggingface.co/datasets/a/b/raw/abc/README.md"
        );
        assert!(i.children_url("base_model:org/name").as_str().starts_with(
            "https://huggingface.co/api/models?filter=base_model%3Aorg%2Fname&expand=cardData"
        ));
        let m = inner("https://mirror.example/hf/");
        assert_eq!(
            m.inner.readme_url(&NodeKey::model("gpt2"), "main").as_str(),
            "https://mirror.example/hf/gpt2/raw/main/README.md"
        );
    }

    #[test]
    fn only_the_endpoint_is_followed() {
        let h = inner("https://huggingface.co");
        let i = &h.inner;
        let from = i.api_url(&NodeKey::model("old/name"), None);
        assert_eq!(
            i.redirect_target(&from, "/api/models/new/name?expand=x", RepoKind::Model),
            Some(NodeKey::model("new/name"))
        );
        assert_eq!(
            i.redirect_target(&from, "/api/models/new/name/revision/main", RepoKind::Model),
            Some(NodeKey::model("new/name"))
        );
        assert_eq!(
            i.redirect_target(
                &from,
                "https://evil.example/api/models/a/b",
                RepoKind::Model
            ),
            None
        );
        assert_eq!(
            i.redirect_target(
                &from,
                "http://huggingface.co/api/models/a/b",
                RepoKind::Model
            ),
            None
        );
        assert_eq!(
            i.redirect_target(&from, "/api/models/a/b/c/d", RepoKind::Model),
            None
        );
        assert_eq!(i.redirect_target(&from, "/login", RepoKind::Model), None);
        let m = inner("https://mirror.example/hf");
        let from = m.inner.api_url(&NodeKey::model("a/b"), None);
        assert!(m.inner.on_endpoint(&from, "/other/api/models").is_none());
        assert!(m
            .inner
            .on_endpoint(&from, "/hf/api/models?cursor=x")
            .is_some());
    }

    #[test]
    fn redirect_targets_decode_segments_one_by_one() {
        let h = inner("https://huggingface.co");
        let i = &h.inner;
        let from = i.api_url(&NodeKey::model("old/name"), None);
        let to = |loc: &str| i.redirect_target(&from, loc, RepoKind::Model);
        assert_eq!(
            to("/api/models/new/n%61me"),
            Some(NodeKey::model("new/name"))
        );
        assert_eq!(to("/api/models/new%2Fname"), None);
        assert_eq!(to("/api/models/new/%2E%2E"), None);
        assert_eq!(to("/api/models/new/bad%zz"), None);
        assert_eq!(to("/api/models/new/na%00me"), None);
    }
}
