//! Progress and warnings out of the library: the crawler and the client report [`Event`]s to an
//! [`Observer`] the caller passes in; the caller decides what to draw. The library itself never
//! prints (the CLI renders events with indicatif; tests record them).

use crate::crawl::CrawlStats;
use lineage_core::NodeKey;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the Hub client and the crawler report while they work.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Event {
    /// A crawl began from this many roots.
    Started {
        /// Roots given.
        roots: usize,
    },
    /// An answer came from the network.
    Fetched {
        /// The URL asked for (it never carries the token).
        url: String,
    },
    /// An answer came from the cache, without a request.
    Cached {
        /// The URL whose answer was reused.
        url: String,
    },
    /// A repository was settled (read, refused or failed).
    Resolved {
        /// The repository.
        key: NodeKey,
        /// Repositories settled so far in this crawl.
        resolved: usize,
        /// Requests under way now.
        in_flight: usize,
        /// Jobs waiting for a free slot.
        queued: usize,
    },
    /// The Hub rate-limited a request (HTTP 429); the next try waits this long.
    Waiting {
        /// How long.
        wait: Duration,
    },
    /// Something the user should know that does not stop the crawl.
    Warning {
        /// What happened, for a human.
        message: String,
    },
    /// The crawl ended.
    Finished {
        /// What it did.
        stats: CrawlStats,
    },
}

/// Receives [`Event`]s. Called from the crawler's tasks, so it must be cheap and thread-safe.
pub trait Observer: Send + Sync + std::fmt::Debug {
    /// One event.
    fn event(&self, event: &Event);
}

/// An observer that ignores everything: the default for library users and tests.
#[derive(Clone, Copy, Debug, Default)]
pub struct Silent;

impl Observer for Silent {
    fn event(&self, _: &Event) {}
}

/// An observer that keeps every event, for tests and for callers that summarise afterwards.
#[derive(Debug, Default)]
pub struct Recorder {
    events: Mutex<Vec<Event>>,
}

impl Recorder {
    /// A new, empty recorder behind an `Arc`, ready to hand to [`crate::Hub::observed`].
    pub fn new() -> Arc<Recorder> {
        Arc::new(Recorder::default())
    }

    /// The events so far, in the order they were reported.
    pub fn events(&self) -> Vec<Event> {
        self.events.lock().map(|e| e.clone()).unwrap_or_default()
    }
}

impl Observer for Recorder {
    fn event(&self, event: &Event) {
        if let Ok(mut e) = self.events.lock() {
            e.push(event.clone());
        }
    }
}
