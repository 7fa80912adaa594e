//! Lineage through time, the I/O half (issue #12): a repo's commit list (following the Hub's `Link`
//! headers, never computing cursors), the repo at a commit, the commit a crawl reads for `--as-of`,
//! and [`Hub::history`], which bisects a commit list to find where a card changed.
//!
//! An answer for a commit sha can never change, so it is cached with no time-to-live (read once,
//! ever); commit lists grow, so they follow the normal time-to-live. What to read next and what
//! changed is decided by the pure [`lineage_core::history`].

use crate::card::{self, HubFacts};
use crate::crawl::fetch::refusal;
use crate::hub::{Got, Hub, Inner};
use crate::observe::{Observer, Silent};
use lineage_core::history::{self, AsOf, Bisect, CardState, Commit, FieldChange};
use lineage_core::{Fallback, NodeKey, RepoKind, Resolution};
use serde::Serialize;
use serde_json::Value;
use url::Url;

/// Pages of a commit list followed at most (the Hub's pages hold 50 commits: 25,000 commits).
const MAX_COMMIT_PAGES: usize = 500;

impl Inner {
    /// `{endpoint}/api/{models|datasets}/{id}/commits/main`: the first page of a repo's commits.
    pub(crate) fn commits_url(&self, key: &NodeKey) -> Url {
        let plural = match key.kind {
            RepoKind::Model => "models",
            RepoKind::Dataset => "datasets",
            // Never requested: services have no commits and are never fetched (crawl/schedule.rs).
            RepoKind::Service => "services",
        };
        let mut segs = vec!["api", plural];
        segs.extend(key.id.split('/'));
        segs.extend(["commits", "main"]);
        self.url_with(&segs)
    }

    /// A repo's commits, newest first, every page followed through `Link: rel="next"`.
    pub(crate) async fn commits(
        &self,
        key: &NodeKey,
        observer: &dyn Observer,
    ) -> Result<Vec<Commit>, Resolution> {
        let mut url = self.commits_url(key);
        let mut out: Vec<Commit> = Vec::new();
        for _ in 0..MAX_COMMIT_PAGES {
            let next = match self.get(&url, true, observer).await {
                Got::Ok { body, next, .. } => {
                    let page: Vec<Commit> =
                        serde_json::from_slice(&body).map_err(|e| Resolution::Unreachable {
                            why: format!("the Hub's commit list is not valid: {e}"),
                        })?;
                    out.extend(page);
                    match next.and_then(|n| self.on_endpoint(&url, &n)) {
                        Some(n) => n,
                        None => return Ok(out),
                    }
                }
                Got::Refused {
                    status,
                    code,
                    message,
                } => return Err(refusal(status, code.as_deref(), &message)),
                Got::Redirect(_) => {
                    return Err(Resolution::Unreachable {
                        why: "the commit list redirected elsewhere (renamed repo?)".into(),
                    })
                }
                Got::Failed(why) => {
                    return Err(Resolution::Unreachable {
                        why: format!("commit list: {why}"),
                    })
                }
            };
            url = next;
        }
        Err(Resolution::Unreachable {
            why: format!("the commit list has more than {MAX_COMMIT_PAGES} pages"),
        })
    }

    /// What the card declared at commit `sha`: the API answer at that sha (cached forever), and
    /// README.md at that sha when the Hub has no `cardData`.
    pub(crate) async fn card_at(
        &self,
        key: &NodeKey,
        sha: &str,
        observer: &dyn Observer,
    ) -> Result<CardState, Resolution> {
        let url = self.api_url(key, Some(sha));
        let facts = match self.get_immutable(&url, observer).await {
            Got::Ok { body, .. } => match serde_json::from_slice::<Value>(&body) {
                Ok(v) => HubFacts::from_api(&v),
                Err(e) => {
                    return Err(Resolution::Unreachable {
                        why: format!("the Hub's answer is not valid JSON: {e}"),
                    })
                }
            },
            Got::Refused {
                status,
                code,
                message,
            } => return Err(refusal(status, code.as_deref(), &message)),
            Got::Redirect(_) => {
                return Err(Resolution::Unreachable {
                    why: "the revision redirected elsewhere".into(),
                })
            }
            Got::Failed(why) => return Err(Resolution::Unreachable { why }),
        };
        let card = match &facts.card_data {
            Some(c) => c.clone(),
            None => match self.get(&self.readme_url(key, sha), false, observer).await {
                Got::Ok { body, .. } => card::parse_readme(&String::from_utf8_lossy(&body))
                    .map_err(|e| Resolution::Unparseable { why: e.0 })?,
                Got::Refused { status: 404, .. } => Default::default(),
                Got::Refused {
                    status,
                    code,
                    message,
                } => return Err(refusal(status, code.as_deref(), &message)),
                Got::Redirect(_) | Got::Failed(_) => {
                    return Err(Resolution::Unreachable {
                        why: format!("README.md at {sha} could not be read"),
                    })
                }
            },
        };
        Ok(CardState::of(&card::declared(&card, &facts)))
    }

    /// The revision a crawl reads `key` at for `as_of`: `Ok` with the sha and the fallback that says
    /// so, or `Err` with the node's resolution (not created yet, or the commit list failed).
    pub(crate) async fn revision_as_of(
        &self,
        key: &NodeKey,
        as_of: &AsOf,
        observer: &dyn Observer,
    ) -> Result<(String, Fallback), Resolution> {
        let commits = self.commits(key, observer).await?;
        match history::commit_at(&commits, as_of.moment) {
            Some(c) => Ok((
                c.id.clone(),
                Fallback::AsOf {
                    as_of: as_of.text.clone(),
                    commit: c.id.clone(),
                    committed: c.date.clone(),
                },
            )),
            None => Err(Resolution::NotYetCreated {
                as_of: as_of.text.clone(),
                created: commits.last().map(|c| c.date.clone()),
            }),
        }
    }
}

/// The history of one repo's card: where its license, base models or datasets changed.
#[derive(Clone, Debug, Serialize)]
pub struct RepoHistory {
    /// The repo.
    pub key: NodeKey,
    /// Commits in its history.
    pub commits: usize,
    /// Commits whose card was read (the bisection's cost).
    pub reads: usize,
    /// Its first commit's date (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// The changes, oldest first.
    pub changes: Vec<FieldChange>,
    /// Why the history could not be read (the changes are then empty, not "none").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure: Option<String>,
}

impl Hub {
    /// Reads a repo's commit list and bisects it (see [`Bisect`]): the card is read at the two ends
    /// and, where they differ, at middles until each change is pinned to one commit. A change
    /// reverted between two commits read is missed (documented in docs/semantics.md).
    pub async fn history(&self, key: &NodeKey, observer: Option<&dyn Observer>) -> RepoHistory {
        let observer = observer.unwrap_or(&Silent);
        let inner = &self.inner;
        let mut out = RepoHistory {
            key: key.clone(),
            commits: 0,
            reads: 0,
            created: None,
            changes: Vec::new(),
            failure: None,
        };
        let newest_first = match inner.commits(key, observer).await {
            Ok(c) => c,
            Err(r) => {
                out.failure = Some(r.describe());
                return out;
            }
        };
        let commits: Vec<Commit> = newest_first.into_iter().rev().collect();
        out.commits = commits.len();
        out.created = commits.first().map(|c| c.date.clone());
        let mut bisect = Bisect::new(commits.len());
        while let Some(i) = bisect.next_read() {
            match inner.card_at(key, &commits[i].id, observer).await {
                Ok(state) => bisect.supply(i, state),
                Err(r) => {
                    out.failure = Some(format!("revision {}: {}", commits[i].id, r.describe()));
                    out.reads = bisect.reads();
                    return out;
                }
            }
        }
        out.reads = bisect.reads();
        for i in bisect.changed_at() {
            if let (Some(before), Some(after)) = (bisect.state(i - 1), bisect.state(i)) {
                out.changes
                    .extend(history::changes(before, after, &commits[i]));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{RetryPolicy, Settings};
    use lineage_core::history::Field;
    use lineage_fakehub::{FakeHub, Fault, RepoSpec};
    use serde_json::json;
    use std::path::Path;
    use std::time::Duration;

    fn hub(fake: &FakeHub, cache: &Path) -> Hub {
        let mut s = Settings::new(&fake.url(), cache).unwrap();
        s.retry = RetryPolicy {
            max_retries: 1,
            min_delay: Duration::from_millis(5),
            max_delay: Duration::from_millis(10),
            max_rate_limit_wait: Duration::from_secs(1),
            timeout: Duration::from_secs(2),
        };
        Hub::new(s).unwrap()
    }

    /// microsoft/phi-2: Microsoft Research License (README at e22cfa2), MIT from January 2024.
    fn phi_2(fake: &FakeHub) {
        let research = json!({"license": "other", "license_name": "microsoft-research-license"});
        let mut spec = RepoSpec::model("microsoft/phi-2").license("mit");
        for day in 12..=31 {
            spec = spec.commit(
                &format!("2023-12-{day}T10:00:00.000Z"),
                "Update",
                research.clone(),
            );
        }
        spec = spec.commit(
            "2024-01-06T10:00:00.000Z",
            "Upload 3 files",
            json!({"license": "mit"}),
        );
        fake.add(spec.commit(
            "2024-02-01T10:00:00.000Z",
            "Update README",
            json!({"license": "mit"}),
        ));
    }

    #[tokio::test]
    async fn history_pins_the_change_and_reads_each_revision_once_ever() {
        let fake = FakeHub::start();
        phi_2(&fake);
        let dir = tempfile::tempdir().unwrap();
        let key = NodeKey::model("microsoft/phi-2");
        let h = hub(&fake, dir.path()).history(&key, None).await;
        assert_eq!(h.failure, None);
        assert_eq!(h.commits, 22);
        assert_eq!(h.created.as_deref(), Some("2023-12-12T10:00:00.000Z"));
        assert_eq!(h.changes.len(), 1, "{:?}", h.changes);
        let c = &h.changes[0];
        assert_eq!(c.field, Field::License);
        assert_eq!(c.date, "2024-01-06T10:00:00.000Z");
        assert_eq!(c.from, vec!["other", "microsoft-research-license"]);
        assert_eq!(c.to, vec!["mit"]);
        let revisions = fake
            .requests_for("/api/models/microsoft/phi-2/revision/")
            .len();
        assert_eq!(revisions, h.reads);
        assert!(h.reads <= 2 + 5, "{} of 22 read", h.reads);
        // Again, with --refresh on a new hub over the same cache: only the commit list is asked for.
        fake.reset_requests();
        let mut s = hub(&fake, dir.path()).settings().clone();
        s.refresh = true;
        let again = Hub::new(s).unwrap().history(&key, None).await;
        assert_eq!(again.changes, h.changes);
        assert!(fake
            .requests_for("/api/models/microsoft/phi-2/revision/")
            .is_empty());
        assert_eq!(
            fake.requests_for("/api/models/microsoft/phi-2/commits/")
                .len(),
            1
        );
    }

    #[tokio::test]
    async fn a_commit_list_that_fails_is_an_unknown_history_not_an_empty_one() {
        let fake = FakeHub::start();
        phi_2(&fake);
        fake.fault("/api/models/microsoft/phi-2/commits", Fault::ServerError);
        let dir = tempfile::tempdir().unwrap();
        let h = hub(&fake, dir.path())
            .history(&NodeKey::model("microsoft/phi-2"), None)
            .await;
        assert!(h.changes.is_empty());
        assert!(
            h.failure
                .as_deref()
                .is_some_and(|f| f.contains("unreachable")),
            "{h:?}"
        );
        let missing = hub(&fake, dir.path())
            .history(&NodeKey::model("microsoft/phi-3"), None)
            .await;
        assert!(
            missing
                .failure
                .as_deref()
                .is_some_and(|f| f.contains("not found")),
            "{missing:?}"
        );
    }

    #[tokio::test]
    async fn the_revision_as_of_a_date_or_not_yet_created() {
        let fake = FakeHub::start();
        phi_2(&fake);
        let dir = tempfile::tempdir().unwrap();
        let h = hub(&fake, dir.path());
        let key = NodeKey::model("microsoft/phi-2");
        let (sha, fallback) = h
            .inner
            .revision_as_of(&key, &AsOf::parse("2024-01-05").unwrap(), &Silent)
            .await
            .unwrap();
        let Fallback::AsOf {
            committed, commit, ..
        } = fallback
        else {
            panic!("{fallback:?}")
        };
        assert_eq!(committed, "2023-12-31T10:00:00.000Z");
        assert_eq!(commit, sha);
        assert_eq!(
            h.inner.card_at(&key, &sha, &Silent).await.unwrap().license,
            vec!["other", "microsoft-research-license"]
        );
        let before = h
            .inner
            .revision_as_of(&key, &AsOf::parse("2023-12-01").unwrap(), &Silent)
            .await
            .unwrap_err();
        assert_eq!(
            before.describe(),
            "did not exist yet on 2023-12-01 (first commit 2023-12-12)"
        );
    }
}
