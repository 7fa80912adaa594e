//! Raw command-line flags, as clap parses them. Validation and defaults happen in `settings`.

use clap::{Args, Parser, Subcommand, ValueEnum};
use lineage::core::history::AsOf;
use std::path::PathBuf;

/// May I use this model commercially, and why not? Traces a model's ancestry on the Hugging Face Hub
/// and carries every ancestor's license terms down to it.
#[derive(Debug, Parser)]
#[command(name = "lineage", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    #[command(flatten)]
    pub global: Global,
}

/// Flags every command takes.
#[derive(Debug, Args)]
pub struct Global {
    /// Hub base URL [env: HF_ENDPOINT] [default: https://huggingface.co]
    #[arg(long, global = true, value_name = "URL")]
    pub endpoint: Option<String>,
    /// Access token [env: HF_TOKEN, then the Hugging Face token file]; never printed
    #[arg(long, global = true, value_name = "TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// Use only the local cache; anything not cached is unreachable [env: HF_HUB_OFFLINE=1]
    #[arg(long, global = true)]
    pub offline: bool,
    /// Where the response cache lives [default: the user cache dir]
    #[arg(long, global = true, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Revalidate every cached answer with the Hub
    #[arg(long, global = true)]
    pub refresh: bool,
    /// Whether training-data licenses bind models (strict) or only advise (lenient)
    #[arg(long, global = true, value_enum, default_value_t = DatasetPolicyArg::Strict)]
    pub dataset_policy: DatasetPolicyArg,
    /// Requests in flight at once (a stalled request is hedged: sent once more beside it)
    #[arg(long, global = true, value_name = "N")]
    pub concurrency: Option<usize>,
    /// Repositories fetched per command at most (the rest is reported as not crawled, so unknown)
    #[arg(long, global = true, value_name = "N")]
    pub max_nodes: Option<usize>,
    /// Policy file (lineage.toml): accepted verdicts, conditions, licenses, exceptions, clarifications
    #[arg(long, global = true, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// Extra knowledge-base entries (TOML `[[license]]` tables) that add to or override the built-in ones
    #[arg(long, global = true, value_name = "FILE")]
    pub licenses: Option<PathBuf>,
    /// Ignore the curated catalog of known card errors
    #[arg(long, global = true)]
    pub no_catalog: bool,
    /// Metadata only: do not read LICENSE files, README license sections or file evidence of
    /// quantized copies
    #[arg(long, global = true)]
    pub no_infer: bool,
    /// Never send a request twice (by default a stalled request is sent once more beside it)
    #[arg(long, global = true)]
    pub no_hedge: bool,
    /// No progress bar and no warnings
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Also report what the crawl did (requests, cache hits)
    #[arg(short, long, global = true)]
    pub verbose: bool,
}

/// The dataset policy, as a flag value.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum DatasetPolicyArg {
    /// Non-commercial, no-derivatives, share-alike, use-policy and unknown dataset terms bind the model
    Strict,
    /// Dataset terms are reported as advisories only
    Lenient,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Draw a model's lineage (Graphviz DOT by default)
    Graph(GraphArgs),
    /// Judge models for commercial use; exit 0 if all are allowed, 1 if any is denied, 2 on error
    Check(CheckArgs),
    /// List the derivatives of a model with their verdicts and conflicts (license-laundering audit)
    Descendants(DescendantsArgs),
    /// Store the Hub's listing (card data of every model, or of an author, tag or search) in the
    /// cache, so check, graph, descendants and audit work from it, offline too
    Sync(SyncArgs),
    /// Audit everything synced: every model whose card conflicts with what it inherits, grouped
    Audit(AuditArgs),
    /// Show the license knowledge base, or one entry with its terms and source
    Licenses(LicensesArgs),
    /// Show the curated catalog of card facts, or one entry
    Catalog(CatalogArgs),
    /// When the license, base models or datasets of each repo in a model's lineage changed
    History(HistoryArgs),
}

/// `--as-of DATE`: an RFC 3339 date (the whole day counts) or date-time.
fn as_of(s: &str) -> Result<AsOf, String> {
    AsOf::parse(s).map_err(|e| e.to_string())
}

/// `lineage history`.
#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// The model (same forms as for `graph`)
    pub model: String,
    /// Output format
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    pub format: ReportFormat,
}

/// `lineage graph`.
#[derive(Debug, Args)]
pub struct GraphArgs {
    /// org/name, org/name@revision, datasets/org/name, a https://huggingface.co/... URL, or a local folder
    pub model: String,
    /// Output format
    #[arg(long, value_enum, default_value_t = GraphFormat::Dot)]
    pub format: GraphFormat,
    /// Ancestors only (the default)
    #[arg(long, conflicts_with_all = ["down", "both"])]
    pub up: bool,
    /// Descendants only
    #[arg(long, conflicts_with = "both")]
    pub down: bool,
    /// Ancestors and descendants
    #[arg(long)]
    pub both: bool,
    /// At most this many edges from the model
    #[arg(long, value_name = "N")]
    pub depth: Option<usize>,
    /// Who draws `--format svg`: the built-in layout, or Graphviz `dot` (must be on PATH)
    #[arg(long, value_enum, default_value_t = Renderer::Builtin)]
    pub renderer: Renderer,
    /// Write to FILE instead of standard output
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Read every repo at its last commit at or before DATE (2024-01-01 or 2024-01-01T12:00:00Z)
    #[arg(long, value_name = "DATE", value_parser = as_of)]
    pub as_of: Option<AsOf>,
}

/// Who draws SVG.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Renderer {
    /// lineage's own layout; needs nothing installed
    Builtin,
    /// Graphviz `dot -Tsvg` on the DOT output; `dot` must be on PATH
    Graphviz,
}

/// Formats of `lineage graph`.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum GraphFormat {
    /// Graphviz DOT
    Dot,
    /// The lineage.graph/1 JSON document
    Json,
    /// A Mermaid flowchart
    Mermaid,
    /// An indented tree with verdicts
    Tree,
    /// A CycloneDX 1.6 JSON bill of materials (docs/sbom.md)
    Cyclonedx,
    /// An SPDX 3.0.1 JSON-LD document with the AI and Dataset profiles (docs/sbom.md)
    Spdx,
    /// An SVG picture (see --renderer)
    Svg,
}

/// `lineage check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// One or more models (same forms as for `graph`)
    #[arg(required = true)]
    pub models: Vec<String>,
    /// Output format
    #[arg(long, value_enum, default_value_t = CheckFormat::Text)]
    pub format: CheckFormat,
    /// Read every repo at its last commit at or before DATE (2024-01-01 or 2024-01-01T12:00:00Z)
    #[arg(long, value_name = "DATE", value_parser = as_of)]
    pub as_of: Option<AsOf>,
}

/// Formats of `lineage check`.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum CheckFormat {
    /// For people
    Text,
    /// lineage.check/1 JSON (an array when several models are given)
    Json,
    /// One CycloneDX 1.6 JSON bill of materials for all the models and their ancestry
    Cyclonedx,
    /// One SPDX 3.0.1 JSON-LD document for all the models and their ancestry
    Spdx,
}

/// Formats of reports.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum ReportFormat {
    /// For people
    Text,
    /// lineage.check/1 JSON (an array when several models are given)
    Json,
}

/// `lineage descendants`.
#[derive(Debug, Args)]
pub struct DescendantsArgs {
    /// The model whose derivatives to audit
    pub model: String,
    /// At most this many edges below the model
    #[arg(long, value_name = "N")]
    pub depth: Option<usize>,
    /// Output format
    #[arg(long, value_enum, default_value_t = DescendantsFormat::Text)]
    pub format: DescendantsFormat,
    /// Explain each verdict: the summary in text, full `lineage.check/1` objects (reasons and
    /// conditions with their paths) in JSON; slower on large families
    #[arg(long)]
    pub explain: bool,
    /// Who draws `--format svg`: the built-in layout, or Graphviz `dot` (must be on PATH)
    #[arg(long, value_enum, default_value_t = Renderer::Builtin)]
    pub renderer: Renderer,
    /// Read every repo at its last commit at or before DATE; derivatives created after it are left out
    #[arg(long, value_name = "DATE", value_parser = as_of)]
    pub as_of: Option<AsOf>,
}

/// Formats of `lineage descendants`.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum DescendantsFormat {
    /// For people
    Text,
    /// One object per derivative (verdict, conflicts and their culprits), conflicts first
    Json,
    /// Graphviz DOT
    Dot,
    /// An SVG picture (see --renderer)
    Svg,
}

/// `lineage licenses`.
#[derive(Debug, Args)]
pub struct LicensesArgs {
    /// A license id or spelling (e.g. `llama3.1`, `Apache 2.0`)
    pub id: Option<String>,
    /// Output format
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    pub format: ReportFormat,
}

/// `lineage catalog`.
#[derive(Debug, Args)]
pub struct CatalogArgs {
    /// A repository (`org/name` or `datasets/org/name`)
    pub id: Option<String>,
    /// Output format
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    pub format: ReportFormat,
}

/// `lineage sync`.
#[derive(Debug, Args)]
pub struct SyncArgs {
    /// Only repos of this author or organisation (repeatable: one listing each)
    #[arg(long, value_name = "ORG")]
    pub author: Vec<String>,
    /// Only repos carrying this tag, e.g. base_model:meta-llama/Llama-2-7b-hf (repeatable: all must match)
    #[arg(long, value_name = "TAG")]
    pub filter: Vec<String>,
    /// Only repos whose id contains this text
    #[arg(long, value_name = "TEXT")]
    pub search: Option<String>,
    /// Sync the dataset listing too (with --from: the dump holds datasets)
    #[arg(long)]
    pub datasets: bool,
    /// Stop at repos last modified before this date (default: where the last finished sync stopped)
    #[arg(long, value_name = "DATE", conflicts_with = "full")]
    pub since: Option<String>,
    /// Page through everything again, ignoring the last sync
    #[arg(long)]
    pub full: bool,
    /// Import a JSON-lines dump (one listing object per line; .jsonl, .jsonl.gz or .jsonl.zst) instead of the Hub
    #[arg(long, value_name = "FILE", conflicts_with_all = ["author", "filter", "search", "since", "full"])]
    pub from: Option<PathBuf>,
}

/// `lineage audit`.
#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Only the derivatives of this model
    #[arg(long, value_name = "MODEL")]
    pub base: Option<String>,
    /// Only models whose card declares this license id
    #[arg(long, value_name = "ID")]
    pub license: Option<String>,
    /// Only models of this author or organisation
    #[arg(long, value_name = "ORG")]
    pub author: Option<String>,
    /// Only findings with this conflict code (e.g. declared-more-permissive)
    #[arg(long, value_name = "CODE")]
    pub code: Option<String>,
    /// Output format
    #[arg(long, value_enum, default_value_t = AuditFormat::Text)]
    pub format: AuditFormat,
    /// Groups shown in the text summary
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub top: usize,
}

/// Formats of `lineage audit`.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum AuditFormat {
    /// A summary for people: totals and the largest groups
    Text,
    /// Every finding, as a JSON array (streamed)
    Json,
    /// Every finding, one CSV row each: model, code, declared, inherited, culprit, path
    Csv,
}
