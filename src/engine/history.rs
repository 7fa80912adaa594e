//! `lineage history` (issue #12): for each repo in a model's upward lineage, the commits at which its
//! card's license, base models or datasets changed, found by bisecting its commit list.

use super::{Engine, Trace};
use lineage_core::history::relicense;
use lineage_core::{Conflict, Resolution};
use lineage_hub::history::RepoHistory;
use lineage_hub::{Direction, HubError, Target};

/// A model's lineage today, each repo's card history, and what it cost.
#[derive(Debug)]
pub struct HistoryOutcome<'e> {
    /// The lineage as it is today (the repos whose histories were read).
    pub trace: Trace<'e>,
    /// One history per repo read from the Hub, the model first, then its ancestors.
    pub repos: Vec<RepoHistory>,
    /// The model's `license-changed` findings, from the catalog and the histories read.
    pub findings: Vec<Conflict>,
    /// HTTP requests sent for the histories (commit lists and revisions; the crawl not counted).
    pub requests: u64,
}

impl Engine {
    /// Crawls `target`'s ancestry (today's), then reads each repo's commit list and bisects it.
    pub async fn history(&self, target: Target) -> Result<HistoryOutcome<'_>, HubError> {
        let trace = self.trace(vec![target], Direction::Up, None).await?;
        let before = self.hub.requests();
        let graph = trace.graph();
        let root = trace.roots()[0];
        let observer = self.observer.as_deref();
        let mut timelines = self.timelines.clone();
        let mut repos = Vec::new();
        for ix in graph.ancestors(root) {
            let node = graph.node(ix);
            // Only repos the Hub answered for have commits. Hosted services have no repo, and a
            // renamed id's history is its target's (also in the lineage); every other repo is listed
            // with why its history is unknown, so a missing repo is said, not skipped.
            match &node.resolution {
                Resolution::Service | Resolution::Renamed { .. } => continue,
                Resolution::Found if node.revision.is_some() => {}
                other => {
                    let why = match other {
                        Resolution::Found => "a local folder has no Hub history".to_string(),
                        other => other.describe(),
                    };
                    repos.push(RepoHistory {
                        key: node.key.clone(),
                        commits: 0,
                        reads: 0,
                        created: None,
                        changes: Vec::new(),
                        failure: Some(why),
                    });
                    continue;
                }
            }
            let h = self.hub.history(&node.key, observer).await;
            timelines.add_history(&node.key, &h.changes);
            repos.push(h);
        }
        let findings = relicense::findings(graph, root, &timelines);
        let requests = self.hub.requests() - before;
        Ok(HistoryOutcome {
            trace,
            repos,
            findings,
            requests,
        })
    }
}
