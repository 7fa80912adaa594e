//! Renders the library's crawl events: a spinner with counts on a terminal; on a pipe or a log,
//! one line per rate-limit wait (the only slow step worth a line); nothing under `-q`.

use super::render;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use lineage::{Event, Observer};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// The CLI's [`Observer`].
#[derive(Debug)]
pub struct Progress {
    bar: Option<ProgressBar>,
    fetched: AtomicU64,
    cached: AtomicU64,
}

impl Progress {
    /// A spinner on stderr when it is a terminal; plain lines for waits otherwise.
    pub fn new() -> Progress {
        let bar = render::stderr_is_terminal().then(|| {
            let pb = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} [{elapsed}]") {
                pb.set_style(style);
            }
            pb
        });
        Progress {
            bar,
            fetched: AtomicU64::new(0),
            cached: AtomicU64::new(0),
        }
    }
}

impl Observer for Progress {
    fn event(&self, event: &Event) {
        match event {
            Event::Started { .. } => {
                if let Some(pb) = &self.bar {
                    pb.enable_steady_tick(Duration::from_millis(120));
                }
            }
            Event::Fetched { .. } => {
                self.fetched.fetch_add(1, Ordering::Relaxed);
            }
            Event::Cached { .. } => {
                self.cached.fetch_add(1, Ordering::Relaxed);
            }
            Event::Resolved {
                resolved,
                in_flight,
                queued,
                ..
            } => {
                if let Some(pb) = &self.bar {
                    pb.set_message(format!(
                        "{resolved} repos resolved, {in_flight} in flight, {queued} queued · {} requests, {} from cache",
                        self.fetched.load(Ordering::Relaxed),
                        self.cached.load(Ordering::Relaxed)
                    ));
                }
            }
            Event::Waiting { wait } => {
                let msg = format!(
                    "rate limited by the Hub: waiting {} s before the next try",
                    wait.as_secs().max(1)
                );
                match &self.bar {
                    Some(pb) => pb.set_message(msg),
                    None => render::note(&msg),
                }
            }
            Event::Finished { .. } => {
                if let Some(pb) = &self.bar {
                    pb.finish_and_clear();
                }
            }
            // Warnings are summarised from the result once the crawl is over (see report_crawl).
            _ => {}
        }
    }
}
