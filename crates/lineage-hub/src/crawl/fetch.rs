//! Fetching: one job (a repo, or one page of a node's children) → HTTP through the cache → what the
//! answer means for the repo (a card, a rename, a refusal or a failure). No crawl state lives here.

use crate::card::{self, HubFacts};
use crate::hub::{Got, Inner};
use crate::observe::Observer;
use lineage_core::history::{AsOf, Moment};
use lineage_core::recognize::Inference;
use lineage_core::{Declared, Fallback, NodeKey, Relation, RepoKind, Resolution};
use serde_json::{Map, Value};
use url::Url;

/// Work for a task.
#[derive(Clone, Debug)]
pub(super) enum Job {
    /// Resolve a repo: its API answer (unless a listing brought it) and, without `cardData`, README.md.
    Repo {
        key: NodeKey,
        revision: Option<String>,
        listed: Option<Box<Listed>>,
    },
    /// One page of a node's children.
    List { parent: NodeKey, url: Url },
}

/// A resolved repo.
#[derive(Clone, Debug)]
pub(super) enum RepoOutcome {
    Card {
        /// Boxed: a card is most of the outcome's size.
        declared: Box<Declared>,
        hub_relation: Option<Relation>,
        sha: Option<String>,
        gated: bool,
        /// Set when the answer is a stale cached one.
        fallback: Option<Fallback>,
        /// What the repo's files say beyond the card (issue #10; empty with `--no-infer`).
        inferred: Box<Inference>,
        /// The Hub's `createdAt`.
        created_at: Option<String>,
        /// The Hub's `lastModified`.
        last_modified: Option<String>,
    },
    Renamed(NodeKey),
    Failed {
        resolution: Resolution,
        sha: Option<String>,
        gated: bool,
    },
}

impl RepoOutcome {
    pub(super) fn failed(resolution: Resolution) -> RepoOutcome {
        RepoOutcome::Failed {
            resolution,
            sha: None,
            gated: false,
        }
    }
}

/// One listing page.
#[derive(Clone, Debug, Default)]
pub(super) struct ListOutcome {
    pub children: Vec<(NodeKey, Listed)>,
    pub next: Option<Url>,
    pub failure: Option<String>,
}

/// A listing item: a child's facts as the listing gave them.
#[derive(Clone, Debug)]
pub(super) struct Listed {
    pub facts: HubFacts,
    /// Set when the listing page was a stale cached answer.
    pub stale: Option<Fallback>,
}

/// A finished job.
#[derive(Debug)]
pub(super) enum Done {
    Repo(RepoOutcome),
    List(ListOutcome),
}

pub(super) async fn run_job(
    inner: &Inner,
    job: &Job,
    as_of: Option<&AsOf>,
    observer: &dyn Observer,
) -> Done {
    match job {
        Job::Repo {
            key,
            revision,
            listed,
        } => {
            // Hook (issue #12): `--as-of` reads the repo at its last commit at or before the date.
            if let (Some(as_of), None) = (as_of, revision) {
                return Done::Repo(match inner.revision_as_of(key, as_of, observer).await {
                    Ok((sha, fallback)) => {
                        let mut outcome = fetch_repo(inner, key, Some(&sha), None, observer).await;
                        if let RepoOutcome::Card { fallback: f, .. } = &mut outcome {
                            *f = f.take().or(Some(fallback));
                        }
                        outcome
                    }
                    Err(resolution) => RepoOutcome::failed(resolution),
                });
            }
            let listed = listed.as_deref().cloned();
            Done::Repo(fetch_repo(inner, key, revision.as_deref(), listed, observer).await)
        }
        Job::List { parent, url } => {
            // Hook: a finished sync covering this parent answers its first page without the Hub.
            // (Not with `--as-of`: synced rows are today's and carry no creation date.)
            if as_of.is_none() && *url == inner.children_url(&listing_filter(parent)) {
                if let Some((children, stale)) = inner.synced_listing(parent) {
                    return Done::List(ListOutcome {
                        children: children
                            .into_iter()
                            .map(|(k, facts)| {
                                let stale = stale.clone();
                                (k, Listed { facts, stale })
                            })
                            .collect(),
                        next: None,
                        failure: None,
                    });
                }
            }
            let mut page = fetch_list(inner, url, observer).await;
            // `--as-of`: the listing is today's; children created after the date did not exist.
            if let Some(as_of) = as_of {
                page.children.retain(|(_, l)| {
                    l.facts
                        .created_at
                        .as_deref()
                        .and_then(|c| Moment::parse(c).ok())
                        .is_none_or(|c| c <= as_of.moment)
                });
            }
            Done::List(page)
        }
    }
}

/// The filter that lists a node's children: models naming it as base, or trained on a dataset.
pub(super) fn listing_filter(key: &NodeKey) -> String {
    match key.kind {
        RepoKind::Model => format!("base_model:{}", key.id),
        RepoKind::Dataset => format!("dataset:{}", key.id),
        // Services are never listed (the crawler answers them without a request).
        RepoKind::Service => format!("service:{}", key.id),
    }
}

/// Resolves one repo: its API answer (unless a listing brought it) and README.md when the Hub has
/// no `cardData`.
async fn fetch_repo(
    inner: &Inner,
    key: &NodeKey,
    revision: Option<&str>,
    listed: Option<Listed>,
    observer: &dyn Observer,
) -> RepoOutcome {
    // Hook: synced metadata (fresh, or any age offline) stands in for the API answer.
    let synced = match (&listed, revision) {
        (None, None) => inner
            .synced_facts(key)
            .map(|(facts, stale)| Listed { facts, stale }),
        _ => None,
    };
    let Listed { facts, mut stale } = match listed.or(synced) {
        Some(l) => l,
        None => {
            let url = inner.api_url(key, revision);
            // A commit sha names an answer that never changes: cached for good (issue #12).
            let by_sha =
                revision.is_some_and(|r| r.len() == 40 && r.bytes().all(|b| b.is_ascii_hexdigit()));
            let got = if by_sha {
                inner.get_immutable(&url, observer).await
            } else {
                inner.get(&url, true, observer).await
            };
            match got {
                Got::Ok { body, stale, .. } => match serde_json::from_slice::<Value>(&body) {
                    Ok(v) => Listed {
                        facts: HubFacts::from_api(&v),
                        stale,
                    },
                    Err(e) => {
                        return RepoOutcome::failed(Resolution::Unreachable {
                            why: format!("the Hub's answer is not valid JSON: {e}"),
                        })
                    }
                },
                Got::Redirect(location) => {
                    return match inner.redirect_target(&url, &location, key.kind) {
                        Some(to) if to != *key => RepoOutcome::Renamed(to),
                        Some(_) => RepoOutcome::failed(Resolution::Unreachable {
                            why: "the Hub redirects the repository to itself".into(),
                        }),
                        None => RepoOutcome::failed(Resolution::Unreachable {
                            why: "the Hub redirected outside the configured endpoint; not followed"
                                .into(),
                        }),
                    }
                }
                Got::Refused {
                    status,
                    code,
                    message,
                } => return RepoOutcome::failed(refusal(status, code.as_deref(), &message)),
                Got::Failed(why) => return RepoOutcome::failed(Resolution::Unreachable { why }),
            }
        }
    };
    if facts.disabled {
        return RepoOutcome::failed(Resolution::Disabled);
    }
    let card = match &facts.card_data {
        Some(c) => c.clone(),
        None => {
            let rev = facts
                .sha
                .clone()
                .or_else(|| revision.map(str::to_string))
                .unwrap_or_else(|| "main".into());
            let failed = |resolution| RepoOutcome::Failed {
                resolution,
                sha: facts.sha.clone(),
                gated: facts.gated,
            };
            match inner
                .get(&inner.readme_url(key, &rev), false, observer)
                .await
            {
                Got::Ok {
                    body,
                    stale: readme_stale,
                    ..
                } => match card::parse_readme(&String::from_utf8_lossy(&body)) {
                    Ok(map) => {
                        stale = stale.or(readme_stale);
                        map
                    }
                    Err(e) => return failed(Resolution::Unparseable { why: e.0 }),
                },
                // No README: a card without metadata.
                Got::Refused { status: 404, .. } => Map::new(),
                Got::Refused {
                    status,
                    code,
                    message,
                } => return failed(refusal(status, code.as_deref(), &message)),
                Got::Redirect(_) => {
                    return failed(Resolution::Unreachable {
                        why: "README.md redirected elsewhere".into(),
                    })
                }
                Got::Failed(why) => {
                    return failed(Resolution::Unreachable {
                        why: format!("README.md: {why}"),
                    })
                }
            }
        }
    };
    // Issue #10: LICENSE files, the README's license section and file evidence of a quantized copy.
    let inferred = crate::license_file::infer(inner, key, revision, &facts, &card, observer).await;
    let mut outcome = outcome_from_facts(facts, card, stale);
    if let RepoOutcome::Card { inferred: slot, .. } = &mut outcome {
        **slot = inferred;
    }
    outcome
}

/// The outcome for a repo whose card is `cardData` (when present) or `readme_card`.
pub(super) fn outcome_from_facts(
    facts: HubFacts,
    readme_card: Map<String, Value>,
    fallback: Option<Fallback>,
) -> RepoOutcome {
    if facts.disabled {
        return RepoOutcome::failed(Resolution::Disabled);
    }
    let card = facts.card_data.as_ref().unwrap_or(&readme_card);
    RepoOutcome::Card {
        declared: Box::new(card::declared(card, &facts)),
        hub_relation: facts.relation,
        sha: facts.sha,
        gated: facts.gated,
        fallback,
        inferred: Box::default(),
        created_at: facts.created_at,
        last_modified: facts.last_modified,
    }
}

/// What a refusal means for the repo.
pub(crate) fn refusal(status: u16, code: Option<&str>, message: &str) -> Resolution {
    match status {
        404 => Resolution::NotFound,
        401 if message.contains("Invalid credentials") => Resolution::Unreachable {
            why: "the Hub rejected the token (HTTP 401, invalid credentials); check --token, HF_TOKEN or the token file"
                .into(),
        },
        401 => Resolution::NotFound,
        403 if code == Some("GatedRepo") => Resolution::Gated,
        403 if message.to_ascii_lowercase().contains("disabled") => Resolution::Disabled,
        403 => Resolution::Gated,
        s if message.is_empty() => Resolution::Unreachable {
            why: format!("the Hub answered HTTP {s}"),
        },
        s => Resolution::Unreachable {
            why: format!("the Hub answered HTTP {s}: {message}"),
        },
    }
}

/// One page of children.
async fn fetch_list(inner: &Inner, url: &Url, observer: &dyn Observer) -> ListOutcome {
    let fail = |why: String| ListOutcome {
        failure: Some(why),
        ..ListOutcome::default()
    };
    let (body, next, stale) = match inner.get(url, true, observer).await {
        Got::Ok { body, next, stale } => (body, next, stale),
        Got::Redirect(_) => return fail("the listing was redirected; not followed".into()),
        Got::Refused {
            status, message, ..
        } => return fail(format!("HTTP {status}: {message}")),
        Got::Failed(why) => return fail(why),
    };
    let mut items = match serde_json::from_slice::<Value>(&body) {
        Ok(Value::Array(items)) => items,
        Ok(_) => return fail("the listing is not a list".into()),
        Err(e) => return fail(format!("the listing is not valid JSON: {e}")),
    };
    // The Hub never sends more than the `limit` asked for; a longer page (a broken or hostile
    // endpoint) is read only that far, and the listing is marked incomplete.
    let oversized = (items.len() > crate::hub::LIST_LIMIT).then(|| {
        let n = items.len();
        items.truncate(crate::hub::LIST_LIMIT);
        format!(
            "a listing page had {n} entries, more than the {} asked for; only those were read",
            crate::hub::LIST_LIMIT
        )
    });
    let children = items
        .iter()
        .filter_map(|item| {
            let id = item
                .get("id")
                .or_else(|| item.get("modelId"))
                .and_then(Value::as_str)?;
            lineage_core::id::validate_id(id).ok()?;
            let listed = Listed {
                facts: HubFacts::from_api(item),
                stale: stale.clone(),
            };
            Some((NodeKey::model(id), listed))
        })
        .collect();
    let mut out = ListOutcome {
        children,
        failure: oversized,
        ..ListOutcome::default()
    };
    if let Some(n) = next {
        match inner.on_endpoint(url, &n) {
            Some(u) => out.next = Some(u),
            None => {
                out.failure =
                    Some("the next page is outside the configured endpoint; not followed".into())
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals() {
        assert_eq!(refusal(404, Some("RepoNotFound"), ""), Resolution::NotFound);
        assert_eq!(
            refusal(401, Some("RepoNotFound"), "Invalid username or password."),
            Resolution::NotFound
        );
        assert!(matches!(
            refusal(401, None, "Invalid credentials in Authorization header"),
            Resolution::Unreachable { .. }
        ));
        assert_eq!(
            refusal(403, Some("GatedRepo"), "restricted"),
            Resolution::Gated
        );
        assert_eq!(
            refusal(403, None, "Access to this resource is disabled."),
            Resolution::Disabled
        );
        assert!(matches!(
            refusal(400, None, "bad"),
            Resolution::Unreachable { .. }
        ));
    }
}
