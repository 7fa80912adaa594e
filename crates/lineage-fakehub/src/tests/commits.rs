//! Commit histories: the commit listing (shape, order, pages) and the repo at a commit.

use serde_json::json;

use super::client::get;
use crate::{FakeHub, RepoSpec};

/// Falcon-40B's card before and after its relicensing (TII Falcon LLM License → Apache-2.0,
/// announced 2023-05-31; data/catalog.toml cites the sources).
fn falcon() -> RepoSpec {
    RepoSpec::model("tiiuae/falcon-40b")
        .license("apache-2.0")
        .commit(
            "2023-05-24T12:00:00.000Z",
            "Upload model",
            json!({"license": "other", "license_name": "falcon-llm-license"}),
        )
        .commit(
            "2023-05-31T09:00:00.000Z",
            "Update license to Apache 2.0",
            json!({"license": "apache-2.0"}),
        )
}

#[test]
fn commits_are_listed_newest_first_in_the_hub_shape() {
    let hub = FakeHub::start();
    let spec = falcon();
    let shas: Vec<String> = spec.commits().iter().map(|c| c.sha.clone()).collect();
    hub.add(spec);
    let r = get(hub.addr(), "/api/models/tiiuae/falcon-40b/commits/main");
    assert_eq!(r.status, 200);
    let v = r.json();
    let items = v.as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["id"], json!(shas[1]));
    assert_eq!(items[0]["title"], "Update license to Apache 2.0");
    assert_eq!(items[0]["date"], "2023-05-31T09:00:00.000Z");
    assert_eq!(items[0]["authors"][0]["user"], "tiiuae");
    assert!(items[0]["message"].as_str().unwrap().starts_with("Update"));
    assert_eq!(items[1]["id"], json!(shas[0]));
    // The repo's head is the newest commit; it was created by the oldest.
    let info = get(hub.addr(), "/api/models/tiiuae/falcon-40b").json();
    assert_eq!(info["sha"], json!(shas[1]));
    assert_eq!(info["createdAt"], "2023-05-24T12:00:00.000Z");
    assert_eq!(info["cardData"]["license"], "apache-2.0");
}

#[test]
fn a_revision_by_sha_is_the_repo_at_that_commit() {
    let hub = FakeHub::start();
    let spec = falcon();
    let first = spec.commits()[0].sha.clone();
    hub.add(spec);
    let r = get(
        hub.addr(),
        &format!("/api/models/tiiuae/falcon-40b/revision/{first}?expand=cardData&expand=sha"),
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.header("x-repo-commit"), Some(first.as_str()));
    let v = r.json();
    assert_eq!(v["sha"], json!(first));
    assert_eq!(v["cardData"]["license_name"], "falcon-llm-license");
    let missing = get(
        hub.addr(),
        "/api/models/tiiuae/falcon-40b/revision/0123456789012345678901234567890123456789",
    );
    assert_eq!(missing.status, 404);
    assert_eq!(missing.header("x-error-code"), Some("RevisionNotFound"));
}

#[test]
fn long_histories_are_paged_with_link_headers() {
    let hub = FakeHub::start();
    let mut spec = RepoSpec::model("acme/long").license("mit");
    for i in 0..60 {
        spec = spec.commit(
            &format!("2024-01-{:02}T00:00:00.000Z", i / 2 + 1),
            &format!("commit {i}"),
            json!({"license": "mit"}),
        );
    }
    hub.add(spec);
    let first = get(hub.addr(), "/api/models/acme/long/commits/main");
    assert_eq!(first.json().as_array().unwrap().len(), crate::COMMITS_PAGE);
    assert_eq!(first.header("x-total-count"), Some("60"));
    let link = first.header("link").unwrap().to_string();
    let next = link
        .strip_prefix('<')
        .and_then(|l| l.split_once(">; rel=\"next\""))
        .map(|(u, _)| u.strip_prefix(&hub.url()).unwrap().to_string())
        .unwrap();
    let second = get(hub.addr(), &next);
    let items = second.json();
    assert_eq!(items.as_array().unwrap().len(), 10);
    assert_eq!(items[9]["title"], "commit 0");
    assert!(second.header("link").is_none());
    // A repo without a history has one commit: its current state, dated createdAt.
    hub.add(RepoSpec::model("acme/plain").license("mit"));
    let plain = get(hub.addr(), "/api/models/acme/plain/commits/main").json();
    assert_eq!(plain.as_array().unwrap().len(), 1);
    assert_eq!(plain[0]["date"], "2024-01-15T10:00:00.000Z");
    assert_eq!(
        get(hub.addr(), "/api/models/acme/none/commits/main").status,
        404
    );
    assert_eq!(hub.requests_for("/api/models/acme/long/commits").len(), 2);
}
