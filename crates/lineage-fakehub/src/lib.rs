//! A fake Hugging Face Hub on loopback, speaking the Hub's API shapes, for tests that must never
//! touch the internet.
//!
//! [`FakeHub::start`] binds `127.0.0.1:0` and serves in background threads (one per connection)
//! until dropped. It answers:
//!
//! - `GET /api/models/{id}` and `/api/models/{id}/revision/{rev}` (also for datasets), with
//!   `expand` in both encodings (`expand=a&expand=b`, `expand[]=a`);
//! - `GET /api/models` and `/api/datasets` listings with `filter` (repeated or comma-joined, all must
//!   match), `author`, `search`, `limit`, `full`, `cardData`, `expand`, and cursor pagination through
//!   `Link: <...>; rel="next"`;
//! - `GET /{id}/raw/{rev}/{path}` and `/datasets/{id}/raw/{rev}/{path}` (also `resolve`);
//! - `GET /api/models/{id}/commits/{rev}` (also datasets): the commit history, newest first, in pages
//!   of `limit` (default [`COMMITS_PAGE`]) linked by `Link: <...>; rel="next"`; a repo given
//!   [`RepoSpec::commit`]s answers `/revision/{sha}` with its state at that commit.
//!
//! Every answer has `X-Request-Id`; successful ones an `ETag` (honouring `If-None-Match`). Errors use
//! the Hub's conventions (`X-Error-Code`, `X-Error-Message`, `{"error": ...}`), and [`Fault`]s can be
//! injected per repo or path prefix, for a number of requests or for good.
//!
//! ```
//! use lineage_fakehub::{Fault, FakeHub, RepoSpec};
//!
//! let hub = FakeHub::start();
//! hub.add(RepoSpec::model("meta-llama/Llama-2-7b-hf").license("llama2").gated("manual"));
//! hub.add(
//!     RepoSpec::model("acme/llama-2-lora")
//!         .license("apache-2.0")
//!         .base_model(["meta-llama/Llama-2-7b-hf"])
//!         .hub_relation("adapter"),
//! );
//! hub.fault("model:acme/llama-2-lora", Fault::ServerError).times(1);
//! // Point the client under test at hub.url(): its first request for the LoRA gets a 500.
//! assert!(hub.url().starts_with("http://127.0.0.1:"));
//! ```

#![deny(missing_docs)]

mod api;
mod card;
mod family;
mod fault;
mod fixtures;
mod http;
mod record;
mod repo;
mod server;
mod store;

#[cfg(test)]
mod tests;

use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::Duration;

use serde_json::Value;

pub use api::{COMMITS_PAGE, DATASET_EXPAND, DEFAULT_LIMIT, MAX_LIMIT, MODEL_EXPAND};
pub use fault::Fault;
pub use fixtures::{fixtures_dir, FixtureCounts, FixtureError};
pub use record::RequestRecord;
pub use repo::{
    default_object_id, default_sha, is_repo_id, CommitSpec, RepoKind, RepoSpec, RELATIONS,
};

use fault::FaultTarget;
use server::{lock, Shared};

/// A running fake Hub. Cheap to share between threads (`&FakeHub` is enough for every method);
/// shuts down when dropped.
#[derive(Debug)]
pub struct FakeHub {
    shared: Arc<Shared>,
    addr: SocketAddr,
    accept: Option<JoinHandle<()>>,
}

impl FakeHub {
    /// Starts an empty hub on `127.0.0.1` with an OS-assigned port.
    ///
    /// # Panics
    /// If no loopback port can be bound, which in a test is a broken environment.
    pub fn start() -> FakeHub {
        FakeHub::bind("127.0.0.1:0").expect("binding a loopback port for the fake Hub")
    }

    /// Starts an empty hub on `addr` (e.g. `127.0.0.1:8080`).
    pub fn bind(addr: impl ToSocketAddrs) -> io::Result<FakeHub> {
        let listener = TcpListener::bind(addr)?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared::new(format!("http://{addr}")));
        let accept = {
            let shared = Arc::clone(&shared);
            thread::Builder::new()
                .name("fakehub-accept".into())
                .spawn(move || server::accept_loop(listener, shared))?
        };
        Ok(FakeHub {
            shared,
            addr,
            accept: Some(accept),
        })
    }

    /// Starts a hub holding this crate's fixtures (see `fixtures/README.md`).
    ///
    /// # Panics
    /// If the shipped fixtures do not load, which a unit test of this crate rules out.
    pub fn with_fixtures() -> FakeHub {
        let hub = FakeHub::start();
        hub.load_fixtures(&fixtures_dir())
            .unwrap_or_else(|e| panic!("loading lineage-fakehub fixtures: {e}"));
        hub
    }

    /// Loads repos from a fixture directory: `models/<id>.json`, `datasets/<id>.json` (full API
    /// JSON), `<id>.md` next to them (README.md, served byte for byte), `<id>.files/<path>` (other raw
    /// files) and an optional `renames.json` (`[{"type":"model","from":..,"to":..}]`).
    pub fn load_fixtures(&self, dir: &Path) -> Result<FixtureCounts, FixtureError> {
        fixtures::load(self, dir)
    }

    /// The base URL, e.g. `http://127.0.0.1:41234` (no trailing slash): what `HF_ENDPOINT` would hold.
    pub fn url(&self) -> String {
        self.shared.base_url.clone()
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Adds (or replaces) a repo built from card fields, with its README.md, files and revisions.
    pub fn add(&self, spec: RepoSpec) {
        let kind = spec.kind();
        let id = spec.id().to_string();
        let info = spec.to_json();
        let readme = spec.readme_text();
        let mut store = self.shared.write_store();
        store.insert(kind, &id, info);
        let repo = store.repos_mut(kind).get_mut(&id).expect("just inserted");
        repo.revisions.extend(spec.revisions().iter().cloned());
        repo.commits = spec
            .commits()
            .iter()
            .rev()
            .map(|c| store::StoredCommit {
                sha: c.sha.clone(),
                date: c.date.clone(),
                title: c.title.clone(),
                info: spec.to_json_at(c),
            })
            .collect();
        store
            .files
            .insert((kind, id.clone(), "README.md".into()), readme);
        for (path, text) in spec.files() {
            store
                .files
                .insert((kind, id.clone(), path.clone()), text.clone());
        }
    }

    pub(crate) fn add_info(&self, kind: RepoKind, id: &str, info: Value) {
        let info = repo::complete(kind, id, info);
        self.shared.write_store().insert(kind, id, info);
    }

    /// Stores the API JSON of a model as given. Fields every answer has (`_id`, `sha`, `siblings`, ...)
    /// are filled in when missing; when `tags` is missing, `tags` and `baseModels` are computed from
    /// `cardData` as the Hub would (relation inferred like [`RepoSpec::hub_relation`] describes).
    ///
    /// # Panics
    /// If `info` is neither a JSON object nor `null`.
    pub fn add_model(&self, id: &str, info: Value) {
        self.add_info(RepoKind::Model, id, info);
    }

    /// Stores the API JSON of a dataset, completed like [`FakeHub::add_model`].
    ///
    /// # Panics
    /// If `info` is neither a JSON object nor `null`.
    pub fn add_dataset(&self, id: &str, info: Value) {
        self.add_info(RepoKind::Dataset, id, info);
    }

    /// Sets the README.md served raw for a repo (without it, one is generated from `cardData`).
    pub fn add_readme(&self, kind: RepoKind, id: &str, text: &str) {
        self.add_file(kind, id, "README.md", text);
    }

    /// Sets any raw file of a repo (e.g. `LICENSE.md`).
    pub fn add_file(&self, kind: RepoKind, id: &str, path: &str, text: &str) {
        self.shared
            .write_store()
            .files
            .insert((kind, id.to_string(), path.to_string()), text.to_string());
    }

    /// Makes a repo answer to another revision (branch, tag, `refs/pr/1`) besides `main`, `HEAD` and
    /// its sha. Does nothing if the repo is unknown.
    pub fn add_revision(&self, kind: RepoKind, id: &str, rev: &str) {
        if let Some(r) = self.shared.write_store().repos_mut(kind).get_mut(id) {
            r.revisions.insert(rev.to_string());
        }
    }

    /// Makes `old` a renamed repo: requests for it get a 307 to the same route under `new`.
    /// A repo stored under `old` still wins.
    pub fn rename(&self, kind: RepoKind, old: &str, new: &str) {
        self.shared
            .write_store()
            .renames
            .insert((kind, old.to_string()), new.to_string());
    }

    /// Removes a repo and its files, as if it were deleted; returns whether it existed.
    pub fn remove(&self, kind: RepoKind, id: &str) -> bool {
        let mut store = self.shared.write_store();
        store.files.retain(|(k, i, _), _| !(*k == kind && i == id));
        store.remove(kind, id).is_some()
    }

    /// The stored API JSON of a repo (everything, including fields only sent when expanded).
    pub fn info(&self, kind: RepoKind, id: &str) -> Option<Value> {
        self.shared
            .read_store()
            .get(kind, id)
            .map(|r| r.info.clone())
    }

    /// The ids of every stored repo of a kind, sorted.
    pub fn ids(&self, kind: RepoKind) -> Vec<String> {
        self.shared
            .read_store()
            .repos(kind)
            .keys()
            .cloned()
            .collect()
    }

    /// Registers a token that counts as a logged-in user (private repos, gated files). While no token
    /// is registered, any bearer token counts as logged in; once one is, others get 401
    /// "Invalid credentials in Authorization header".
    pub fn add_token(&self, token: &str) {
        self.shared.write_store().tokens.insert(token.to_string());
    }

    /// Requires `Authorization: Bearer <token>` on every request: without it the answer is 401.
    pub fn require_token(&self, token: &str) {
        let mut store = self.shared.write_store();
        store.tokens.insert(token.to_string());
        store.required_token = Some(token.to_string());
    }

    /// Makes listings refuse (400) a `limit` above `max`, as a Hub with a smaller page size would,
    /// instead of clamping it.
    pub fn refuse_limit_above(&self, max: usize) {
        self.shared.write_store().refused_limit_above = Some(max);
    }

    /// The `cursor=` value of the listing page starting at `offset`, to aim a fault at that page.
    pub fn cursor(offset: usize) -> String {
        api::encode_cursor(offset)
    }

    /// Delays every answer by `latency` (benchmarks); `Duration::ZERO` turns it off.
    pub fn set_latency(&self, latency: Duration) {
        *lock(&self.shared.latency) = latency;
    }

    /// Injects a fault for the requests `target` names, for good unless limited with
    /// [`FaultHandle::times`]. Rules are tried in the order they were added.
    ///
    /// `target` is `model:<id>` or `dataset:<id>` (that repo's API answers at any revision and its
    /// files; a bare `<id>` means a model), `list:models` or `list:datasets` (listings), a path prefix
    /// starting with `/` (matched against path and query as sent), or `*` (everything).
    pub fn fault(&self, target: &str, fault: Fault) -> FaultHandle<'_> {
        let id = lock(&self.shared.faults).add(FaultTarget::parse(target), fault);
        FaultHandle { hub: self, id }
    }

    /// Removes every injected fault.
    pub fn clear_faults(&self) {
        lock(&self.shared.faults).clear();
    }

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<RequestRecord> {
        lock(&self.shared.records).clone()
    }

    /// How many requests were received so far.
    pub fn request_count(&self) -> usize {
        lock(&self.shared.records).len()
    }

    /// Forgets the recorded requests.
    pub fn reset_requests(&self) {
        lock(&self.shared.records).clear();
    }

    /// The recorded requests whose path and query start with `prefix` (e.g. `/api/models/org/name`).
    pub fn requests_for(&self, prefix: &str) -> Vec<RequestRecord> {
        lock(&self.shared.records)
            .iter()
            .filter(|r| r.path.starts_with(prefix))
            .cloned()
            .collect()
    }
}

impl Drop for FakeHub {
    fn drop(&mut self) {
        self.shared.shutdown.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag, then close idle keep-alive connections.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(accept) = self.accept.take() {
            let _ = accept.join();
        }
        self.shared.close_connections();
    }
}

/// A registered fault, to limit or inspect it.
#[derive(Debug)]
pub struct FaultHandle<'a> {
    hub: &'a FakeHub,
    id: u64,
}

impl FaultHandle<'_> {
    /// Applies the fault to the next `n` matching requests only; later ones are answered normally
    /// (or by the next matching fault).
    pub fn times(self, n: u64) -> Self {
        if let Some(rule) = lock(&self.hub.shared.faults).rule_mut(self.id) {
            rule.remaining = Some(n);
        }
        self
    }

    /// How many requests this fault has answered.
    pub fn hits(&self) -> u64 {
        lock(&self.hub.shared.faults)
            .rule(self.id)
            .map_or(0, |r| r.hits)
    }

    /// How many more requests it will answer (`None`: unlimited).
    pub fn remaining(&self) -> Option<u64> {
        lock(&self.hub.shared.faults)
            .rule(self.id)
            .and_then(|r| r.remaining)
    }
}
