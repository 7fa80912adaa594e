//! The I/O edge of `lineage`: a Hugging Face Hub client with a SQLite response cache, a crawler that
//! turns model ids (or local model folders) into a [`lineage_core::Graph`], and the card parsing in
//! between.
//!
//! - [`Settings`] resolves `--endpoint`/`HF_ENDPOINT`, `--token`/`HF_TOKEN`/token file,
//!   `--offline`/`HF_HUB_OFFLINE`, cache directory, limits and retries. The token is a [`Token`] that
//!   never formats.
//! - [`Hub`] holds the HTTP client and the cache; [`Hub::crawl`] walks up (bases, datasets, source
//!   datasets) and/or down (the Hub's children listing) with bounded concurrency, depth and node count.
//! - Per-repository failures are never errors: they become a [`lineage_core::Resolution`] on the
//!   node (not found, gated, disabled, unreachable, unparseable, renamed, not crawled, invalid), so
//!   verdicts fail closed. [`HubError`] is only for what stops a whole command.
//! - The library never prints: progress, rate-limit waits and warnings are [`Event`]s sent to the
//!   [`Observer`] a caller puts in [`CrawlRequest::observer`]; the CLI draws them.
//!
//! ```no_run
//! use lineage_core::{assess, Clarifications, DatasetPolicy, KnowledgeBase, Propagation};
//! use lineage_hub::{CrawlRequest, Direction, Flags, Hub, Settings, Target};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let settings = Settings::from_env(&Flags::default())?;
//! let hub = Hub::new(settings)?;
//! let request = CrawlRequest::new(vec![Target::parse("TheBloke/Llama-2-7B-GGUF")?], Direction::Up);
//! let crawl = hub.crawl(&request, &Clarifications::none()).await?;
//!
//! let kb = KnowledgeBase::builtin();
//! let propagation = Propagation::run(&crawl.graph, &kb, DatasetPolicy::Strict);
//! let verdict = assess(&crawl.graph, &propagation, &kb, crawl.roots[0]);
//! assert!(crawl.stats.requests_per_repo() <= 2.0);
//! # let _ = verdict;
//! # Ok(()) }
//! ```

#![deny(missing_docs)]
// The library never prints: progress and warnings are events for the caller to render.
#![deny(clippy::print_stdout, clippy::print_stderr)]

pub mod cache;
/// Card parsing lives in the pure core; re-exported here where the crawler reads it.
pub use lineage_core::card;
mod client;
pub mod crawl;
pub mod error;
pub mod history;
mod hub;
mod license_file;
pub mod local;
pub mod observe;
pub mod settings;
pub mod sync;
pub mod target;

#[cfg(test)]
mod sync_tests;
#[cfg(test)]
mod tests;

pub use crawl::{Crawl, CrawlRequest, CrawlStats, Direction, Incomplete};
pub use error::HubError;
pub use hub::Hub;
pub use observe::{Event, Observer, Recorder, Silent};
pub use settings::{Flags, RetryPolicy, Settings, Token, TokenSource};
pub use sync::{
    BadLine, ImportReport, SyncEvent, SyncObserver, SyncReport, SyncRequest, LARGE_FAMILY, MAX_LINE,
};
pub use target::Target;
