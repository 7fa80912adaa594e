//! Lineage through time (issue #12): `--as-of`, `lineage history` and the `license-changed` finding,
//! against a fake Hub with commit histories.
//!
//! Real-world facts used: tiiuae/falcon-40b moved from the TII Falcon LLM License 1.0 to Apache-2.0 on
//! 2023-05-31 (TII's announcement; https://huggingface.co/blog/falcon; data/catalog.toml), and
//! microsoft/phi-2 from the Microsoft Research License to MIT in January 2024 (its README at e22cfa2
//! declared `license_name: microsoft-research-license`; Azure/azureml-assets PR #2161 of 2024-01-22
//! "Changes the license file to MIT"). The early cards below are written with today's card fields.

use crate::util::{conflict_codes, json, Env};
use lineage_fakehub::RepoSpec;
use serde_json::json;

/// Falcon-40B with its relicensing, its pretraining data (the catalog names it; the date of its
/// first commit here is illustrative), and a fine-tune made in the week before the relicensing.
fn falcon(env: &Env) {
    env.hub.add(
        RepoSpec::dataset("tiiuae/falcon-refinedweb")
            .license("odc-by")
            .commit(
                "2023-05-15T00:00:00.000Z",
                "Upload",
                json!({"license": "odc-by"}),
            ),
    );
    env.hub.add(
        RepoSpec::model("tiiuae/falcon-40b")
            .license("apache-2.0")
            .commit(
                "2023-05-24T12:00:00.000Z",
                "Upload model",
                json!({"license": "other", "license_name": "falcon-llm-license-1.0"}),
            )
            .commit(
                "2023-05-31T09:00:00.000Z",
                "Update license to Apache 2.0",
                json!({"license": "apache-2.0"}),
            ),
    );
    env.hub.add(
        RepoSpec::model("early-bird/falcon-40b-sft")
            .license("apache-2.0")
            .base_model(["tiiuae/falcon-40b"])
            .commit(
                "2023-05-27T08:00:00.000Z",
                "Initial upload",
                json!({"license": "apache-2.0", "base_model": "tiiuae/falcon-40b"}),
            ),
    );
}

/// A base that went the other way (Apache-2.0, then CC BY-NC 4.0) and a fine-tune made before.
fn closed_later(env: &Env) {
    env.hub.add(
        RepoSpec::model("acme/open-then-closed")
            .license("cc-by-nc-4.0")
            .commit(
                "2024-01-10T10:00:00.000Z",
                "Release",
                json!({"license": "apache-2.0"}),
            )
            .commit(
                "2024-03-01T10:00:00.000Z",
                "Non-commercial from now on",
                json!({"license": "cc-by-nc-4.0"}),
            ),
    );
    env.hub.add(
        RepoSpec::model("shipper/early-ft")
            .license("apache-2.0")
            .base_model(["acme/open-then-closed"])
            .commit(
                "2024-02-01T10:00:00.000Z",
                "Upload",
                json!({"license": "apache-2.0", "base_model": "acme/open-then-closed"}),
            ),
    );
}

fn check_json(env: &Env, args: &[&str]) -> serde_json::Value {
    let mut all = vec!["check"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--format", "json"]);
    let (_, out, err) = env.run(&all);
    assert!(!out.is_empty(), "no output; stderr: {err}");
    json(&out)
}

#[test]
fn a_fine_tune_made_before_falcon_was_relicensed_gets_license_changed_but_todays_verdict() {
    let env = Env::empty();
    falcon(&env);
    let v = check_json(&env, &["early-bird/falcon-40b-sft"]);
    assert_eq!(v["commercial"], "permitted", "today's licenses decide: {v}");
    assert!(conflict_codes(&v).contains(&"license-changed".to_string()));
    let msg = v["conflicts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["code"] == "license-changed")
        .unwrap()["message"]
        .as_str()
        .unwrap()
        .to_string();
    for part in [
        "tiiuae/falcon-40b",
        "falcon-tii-1.0",
        "apache-2.0",
        "2023-05-27",
        "2023-05-31",
    ] {
        assert!(msg.contains(part), "{part} missing from {msg}");
    }
    // The finding came from the catalog and createdAt: no commit list or revision was asked for.
    assert!(env
        .hub
        .requests_for("/api/models/tiiuae/falcon-40b/commits")
        .is_empty());
    assert!(env
        .hub
        .requests()
        .iter()
        .all(|r| !r.path.contains("/revision/")));
}

#[test]
fn as_of_reads_each_repo_at_the_date_and_the_old_license_decides() {
    let env = Env::empty();
    falcon(&env);
    let v = check_json(
        &env,
        &["early-bird/falcon-40b-sft", "--as-of", "2023-05-28"],
    );
    // Under the TII Falcon LLM License 1.0: royalties above USD 1M revenue, a condition.
    assert_eq!(v["commercial"], "conditional", "{v}");
    let origins: Vec<&str> = v["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["license"].as_str())
        .collect();
    assert!(origins.contains(&"falcon-tii-1.0"), "{v}");
    // Each repo says which revision it was read at.
    let falcon_read = v["stand_ins"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["node"] == "model:tiiuae/falcon-40b")
        .unwrap_or_else(|| panic!("{v}"));
    assert_eq!(falcon_read["fallback"]["kind"], "as-of");
    assert_eq!(falcon_read["fallback"]["as_of"], "2023-05-28");
    assert_eq!(
        falcon_read["fallback"]["committed"],
        "2023-05-24T12:00:00.000Z"
    );
    assert!(
        env.hub
            .requests_for("/api/models/tiiuae/falcon-40b/revision/")
            .len()
            == 1
    );
    // Text output says it too.
    let (_, text, _) = env.run(&[
        "check",
        "early-bird/falcon-40b-sft",
        "--as-of",
        "2023-05-28",
    ]);
    assert!(text.contains("read as of 2023-05-28: revision"), "{text}");
    // And `graph`: each node's revision and resolution.
    let (_, out, err) = env.run(&[
        "graph",
        "early-bird/falcon-40b-sft",
        "--format",
        "json",
        "--as-of",
        "2023-05-28",
    ]);
    let g = json(&out);
    let falcon = g["nodes"]
        .as_array()
        .unwrap_or_else(|| panic!("{out}{err}"))
        .iter()
        .find(|n| n["id"] == "model:tiiuae/falcon-40b")
        .unwrap();
    assert_eq!(falcon["resolution"]["fallback"]["kind"], "as-of");
    assert_eq!(
        falcon["revision"],
        falcon["resolution"]["fallback"]["commit"]
    );
    assert_eq!(falcon["license"], "falcon-tii-1.0");
    let root = g["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["id"] == "model:early-bird/falcon-40b-sft")
        .unwrap();
    assert!(
        root["conflicts"].to_string().contains("license-changed"),
        "graph outputs carry the finding too: {root}"
    );
}

#[test]
fn a_repo_created_after_the_date_did_not_exist_and_is_unknown() {
    let env = Env::empty();
    falcon(&env);
    let v = check_json(
        &env,
        &["early-bird/falcon-40b-sft", "--as-of", "2023-05-25"],
    );
    assert_eq!(v["commercial"], "unknown", "{v}");
    assert_eq!(v["resolution"]["status"], "not-yet-created", "{v}");
    let text = v.to_string();
    assert!(text.contains("did not exist yet on 2023-05-25"), "{text}");
    let (code, out, _) = env.run(&[
        "check",
        "early-bird/falcon-40b-sft",
        "--as-of",
        "2023-05-25",
    ]);
    assert_eq!(code, 1, "unknown is denied by the default policy");
    assert!(
        out.contains("UNKNOWN") && out.contains("did not exist yet"),
        "{out}"
    );
}

#[test]
fn a_base_that_became_non_commercial_forbids_today_but_not_as_of_shipping_day() {
    let env = Env::empty();
    closed_later(&env);
    let today = check_json(&env, &["shipper/early-ft"]);
    assert_eq!(today["commercial"], "forbidden", "{today}");
    let shipped = check_json(&env, &["shipper/early-ft", "--as-of", "2024-02-15"]);
    assert_eq!(shipped["commercial"], "permitted", "{shipped}");
    // With the history fetched, the finding names both licenses and dates.
    let (code, out, err) = env.run(&["history", "shipper/early-ft", "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let h = json(&out);
    assert_eq!(h["schema"], "lineage.history/1");
    let base = h["repos"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["key"] == "model:acme/open-then-closed")
        .unwrap();
    assert_eq!(base["changes"][0]["field"], "license");
    assert_eq!(base["changes"][0]["date"], "2024-03-01T10:00:00.000Z");
    assert_eq!(base["changes"][0]["from"], json!(["apache-2.0"]));
    assert_eq!(base["changes"][0]["to"], json!(["cc-by-nc-4.0"]));
    let finding = h["conflicts"][0]["message"].as_str().unwrap();
    assert_eq!(h["conflicts"][0]["code"], "license-changed");
    assert!(
        finding.contains("apache-2.0")
            && finding.contains("cc-by-nc-4.0")
            && finding.contains("2024-02-01")
            && finding.contains("2024-03-01"),
        "{finding}"
    );
}

#[test]
fn history_of_a_60_commit_repo_bisects_with_few_requests() {
    let env = Env::empty();
    let mut spec = RepoSpec::model("acme/busy").license("cc-by-nc-4.0");
    for i in 0..60u32 {
        let license = match i {
            0..=16 => "apache-2.0",
            17..=43 => "mit",
            _ => "cc-by-nc-4.0",
        };
        spec = spec.commit(
            &format!("2024-{:02}-{:02}T12:00:00.000Z", 1 + i / 28, 1 + i % 28),
            &format!("commit {i}"),
            json!({"license": license}),
        );
    }
    env.hub.add(spec);
    let (code, out, err) = env.run(&["history", "acme/busy", "-v"]);
    assert_eq!(code, 0, "{err}");
    // Commit 17 is 2024-01-18, commit 44 is 2024-02-17.
    assert!(
        out.contains("2024-01-18  license: apache-2.0 → mit"),
        "{out}"
    );
    assert!(
        out.contains("2024-02-17  license: mit → cc-by-nc-4.0"),
        "{out}"
    );
    assert!(err.contains("history of 1 repositories:"), "{err}");
    let revisions = env
        .hub
        .requests_for("/api/models/acme/busy/revision/")
        .len();
    let lists = env.hub.requests_for("/api/models/acme/busy/commits/").len();
    assert_eq!(lists, 2, "60 commits: two pages of 50");
    assert!(revisions <= 14, "{revisions} revisions read of 60");
    let reported: u64 = err
        .split("history of 1 repositories: ")
        .nth(1)
        .and_then(|s| s.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap();
    assert_eq!(reported as usize, revisions + lists, "{err}");
}

#[test]
fn revisions_are_cached_forever_even_with_refresh() {
    let env = Env::empty();
    falcon(&env);
    let args = [
        "check",
        "early-bird/falcon-40b-sft",
        "--as-of",
        "2023-06-15",
    ];
    let (_, first, _) = env.run(&args);
    assert!(first.contains("PERMITTED"), "{first}");
    let revisions = |env: &Env| {
        env.hub
            .requests()
            .iter()
            .filter(|r| r.path.contains("/revision/"))
            .count()
    };
    assert_eq!(revisions(&env), 3, "one revision per repo");
    env.hub.reset_requests();
    let mut again: Vec<&str> = args.to_vec();
    again.push("--refresh");
    let (_, second, _) = env.run(&again);
    assert_eq!(second, first);
    assert_eq!(revisions(&env), 0, "revisions by sha are never refetched");
    assert!(
        !env.hub
            .requests_for("/api/models/tiiuae/falcon-40b/commits/")
            .is_empty(),
        "commit lists follow the normal rules (--refresh asks again)"
    );
}

#[test]
fn descendants_as_of_leave_out_derivatives_created_after_the_date() {
    let env = Env::empty();
    falcon(&env);
    env.hub.add(
        RepoSpec::model("late-comer/falcon-40b-chat")
            .license("apache-2.0")
            .base_model(["tiiuae/falcon-40b"])
            .field("createdAt", json!("2023-09-01T00:00:00.000Z")),
    );
    let (_, today, _) = env.run(&["descendants", "tiiuae/falcon-40b"]);
    assert!(today.contains("late-comer/falcon-40b-chat"), "{today}");
    assert!(today.contains("early-bird/falcon-40b-sft"), "{today}");
    let (_, then, err) = env.run(&["descendants", "tiiuae/falcon-40b", "--as-of", "2023-06-01"]);
    assert!(!then.contains("late-comer"), "{then}");
    assert!(then.contains("early-bird/falcon-40b-sft"), "{then}{err}");
}

#[test]
fn history_says_which_repos_have_no_history_instead_of_skipping_them() {
    let env = Env::empty();
    env.hub.add(
        RepoSpec::model("acme/orphan-sft")
            .license("apache-2.0")
            .base_model(["acme/deleted-base"]),
    );
    let (code, out, err) = env.run(&["history", "acme/orphan-sft"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("acme/orphan-sft (1 commit"), "{out}");
    assert!(
        out.contains("acme/deleted-base") && out.contains("not found on the Hub"),
        "{out}"
    );
    // The model itself missing: said, with nothing read.
    let (code, out, err) = env.run(&["history", "acme/never-was", "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let doc = json(&out);
    let repos = doc["repos"].as_array().unwrap();
    assert_eq!(repos.len(), 1, "{out}");
    assert_eq!(repos[0]["key"], "model:acme/never-was");
    assert!(
        repos[0]["failure"]
            .as_str()
            .unwrap()
            .contains("not found on the Hub"),
        "{out}"
    );
}
