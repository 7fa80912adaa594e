//! The pure core of `lineage`: license knowledge, the lineage graph, propagation of license terms,
//! verdicts and conflicts. It does no I/O; the crawler in `lineage-hub` builds the [`Graph`].
//!
//! ```
//! use lineage_core::{assess, DatasetPolicy, Declared, Graph, KnowledgeBase, Node, NodeKey, Propagation, Relation, Verdict};
//!
//! let kb = KnowledgeBase::builtin();
//! let mut g = Graph::new();
//! let base = g.upsert(Node::found(NodeKey::model("meta-llama/Llama-2-7b-hf"),
//!     Declared { license: vec!["llama2".into()], ..Declared::default() }));
//! let lora = g.upsert(Node::found(NodeKey::model("someone/llama2-lora"),
//!     Declared { license: vec!["apache-2.0".into()], ..Declared::default() }));
//! g.add_edge(base, lora, Relation::Adapter);
//! let prop = Propagation::run(&g, &kb, DatasetPolicy::Strict);
//! let a = assess(&g, &prop, &kb, lora);
//! assert_eq!(a.commercial, Verdict::Conditional);
//! assert!(a.conflicts.iter().any(|c| c.code.as_str() == "declared-more-permissive"));
//! ```

// The core does no I/O and never prints.
#![deny(clippy::print_stdout, clippy::print_stderr)]

pub mod audit;
pub mod card;
pub mod catalog;
pub mod clarify;
pub mod export;
pub mod graph;
pub mod history;
pub mod id;
pub mod license;
pub mod outputs;
pub mod policy;
pub mod propagate;
pub mod recognize;
pub mod terms;
pub mod verdict;

#[cfg(test)]
mod hostile_tests;

pub use clarify::{Clarifications, Fact, RepoStatus};
pub use graph::{
    Clarification, ClarifySource, Declared, Fallback, Graph, Node, NodeIndex, Relation, Resolution,
};
pub use id::{
    parse_card_ref, parse_generator_ref, parse_repo_ref, IdError, NodeKey, RepoKind, RepoRef,
};
pub use license::{KbError, KnowledgeBase, LicenseEntry, LicenseMatch, Lookup};
pub use propagate::{DatasetPolicy, Propagation};
pub use terms::{Term, TermKind};
pub use verdict::{assess, judge, Assessment, Conflict, ConflictCode, Judgement, Reason, Verdict};
