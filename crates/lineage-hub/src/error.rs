//! Errors that stop a whole command. Per-repository failures are never errors: they become a
//! [`lineage_core::Resolution`] on the node, so the verdict fails closed.

use std::path::PathBuf;
use thiserror::Error;

/// Something that keeps `lineage` from crawling at all; each message says what to do about it.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum HubError {
    /// `--endpoint` or `HF_ENDPOINT` is not a usable http(s) base URL.
    #[error("invalid Hub endpoint {value:?}: {why}; pass a base URL such as https://huggingface.co with --endpoint or HF_ENDPOINT")]
    Endpoint {
        /// The value as given (endpoints never carry the token).
        value: String,
        /// What is wrong with it.
        why: String,
    },
    /// A setting has a value the crawler cannot work with (e.g. a concurrency of 0).
    #[error("invalid setting {name}: {why}")]
    Setting {
        /// The setting (flag or environment variable).
        name: &'static str,
        /// What is wrong with its value.
        why: String,
    },
    /// The token file exists but cannot be read.
    #[error("cannot read the Hugging Face token file {path}: {source}; fix its permissions, or pass --token / HF_TOKEN")]
    TokenFile {
        /// The token file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// No cache directory could be determined for this user.
    #[error("no user cache directory is known on this system; pass --cache-dir")]
    NoCacheDir,
    /// The cache database cannot be created, opened or used.
    #[error("cannot use the cache at {path}: {why}; pass another --cache-dir, or delete the file to start afresh")]
    Cache {
        /// The cache database file (or its directory).
        path: PathBuf,
        /// The underlying error.
        why: String,
    },
    /// A MODEL argument is neither an existing folder nor a Hub id or URL.
    #[error("{arg:?} is neither a local folder nor a Hub repository: {source}; write org/name, org/name@revision, datasets/org/name, a https://huggingface.co/... URL or a folder path")]
    Target {
        /// The argument as given.
        arg: String,
        /// Why it is not a Hub id.
        source: lineage_core::IdError,
    },
    /// A local model folder (or a file in it) cannot be read.
    #[error("cannot read the local model folder {path}: {source}")]
    LocalFolder {
        /// The folder or file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The HTTP client cannot be built (TLS initialisation failed).
    #[error("cannot set up the HTTP client: {0}")]
    Http(String),
    /// A sync could not go on (the Hub stopped answering, or refused the listing); what was stored
    /// stays, and the next `lineage sync` with the same query resumes from the page that failed.
    #[error(
        "sync stopped after {pages} page(s): {why}; run the same `lineage sync` again to resume"
    )]
    Sync {
        /// Pages stored before the failure (this run).
        pages: u64,
        /// What went wrong.
        why: String,
    },
    /// A `sync --from` dump cannot be read at all (missing file, bad compression).
    #[error("cannot read the dump {path}: {why}")]
    Dump {
        /// The dump file.
        path: PathBuf,
        /// What went wrong.
        why: String,
    },
}
