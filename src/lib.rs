//! `lineage`: may I use this model commercially, and why not?
//!
//! This crate is the library facade of the `lineage` command. It re-exports the pure core
//! ([`lineage_core`]: license knowledge base, graph, propagation, verdicts, policy, exports) and the
//! I/O edge ([`lineage_hub`]: Hub client, cache, crawler), and adds [`Engine`], which puts them
//! together: crawl a model's lineage, propagate license terms, judge any node.
//!
//! ```no_run
//! use lineage::{Direction, Engine, KnowledgeBase, Settings, Target};
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let settings = Settings::new("https://huggingface.co", "/tmp/lineage-cache")?;
//! let engine = Engine::new(KnowledgeBase::builtin(), settings)?;
//! let trace = engine
//!     .trace(vec![Target::parse("TheBloke/Llama-2-7B-GGUF")?], Direction::Up, None)
//!     .await?;
//! let verdict = trace.assess(trace.roots()[0]);
//! println!("{}", verdict.summary);
//! # Ok(()) }
//! ```

#![deny(missing_docs)]

mod engine;

pub use engine::{AuditOutcome, AuditRequest, Engine, HistoryOutcome, Show, Trace};
pub use lineage_core as core;
pub use lineage_core::catalog::Catalog;
pub use lineage_core::policy::{Policy, PolicyOutcome};
pub use lineage_core::{
    assess, Assessment, Clarifications, ConflictCode, DatasetPolicy, Fact, Graph, KnowledgeBase,
    NodeIndex, NodeKey, Propagation, Relation, Term, TermKind, Verdict,
};
pub use lineage_hub as hub;
pub use lineage_hub::{
    Crawl, Direction, Event, Flags, Hub, HubError, ImportReport, Observer, Settings, SyncEvent,
    SyncObserver, SyncReport, SyncRequest, Target,
};
