//! A dataset written by a hosted service and by a Hub model: the model generator is crawled like any
//! base, the service is answered without a request (its terms come from the knowledge base).

use super::*;

fn distilled_hub() -> FakeHub {
    let hub = FakeHub::start();
    hub.add(RepoSpec::model("meta-llama/Llama-3.1-70B-Instruct").license("llama3.1"));
    hub.add(
        RepoSpec::dataset("acme/distilled")
            .license("mit")
            .card_field(
                "generated_by",
                json!(["service:openai/gpt-4", "meta-llama/Llama-3.1-70B-Instruct"]),
            ),
    );
    hub.add(
        RepoSpec::model("acme/student")
            .license("apache-2.0")
            .datasets(["acme/distilled"]),
    );
    hub
}

#[tokio::test]
async fn a_service_node_is_never_requested() {
    let hub = distilled_hub();
    let d = tempfile::tempdir().unwrap();
    for direction in [Direction::Up, Direction::Both] {
        hub.reset_requests();
        let s = settings(&hub, &d.path().join(format!("{direction:?}")));
        let c = crawl_with(s, &["acme/student"], direction).await;
        assert!(has_edge(
            &c,
            "service:openai/gpt-4",
            "dataset:acme/distilled",
            Relation::GeneratedBy
        ));
        assert!(has_edge(
            &c,
            "model:meta-llama/Llama-3.1-70B-Instruct",
            "dataset:acme/distilled",
            Relation::GeneratedBy
        ));
        assert_eq!(
            node(&c, "service:openai/gpt-4").resolution,
            Resolution::Service
        );
        // The model generator was fetched like any base.
        assert_eq!(
            node(&c, "model:meta-llama/Llama-3.1-70B-Instruct").resolution,
            Resolution::Found
        );
        // The request log: nothing about the service, and one request per Hub repo (plus the
        // children listings when walking down).
        let reqs = hub.requests();
        for r in &reqs {
            assert!(
                !r.path.contains("openai") && !r.path.contains("services"),
                "{direction:?}: the service was requested: {}",
                r.path
            );
        }
        let repo_requests = reqs.iter().filter(|r| !r.path.contains("filter=")).count();
        assert_eq!(repo_requests, 3, "{direction:?}: {reqs:?}");
        assert_eq!(c.stats.requests as usize, reqs.len());
        // The verdict: OpenAI's terms and the Llama prefix, both conditions.
        assert_eq!(verdict(&c, 0), Verdict::Conditional);
    }
}

/// `lineage audit` reads synced rows: a synced dataset card's `generated_by` becomes an edge to a
/// service node that is complete without any row or request of its own.
#[test]
fn synced_rows_keep_the_generator_and_services_need_no_row() {
    let d = tempfile::tempdir().unwrap();
    let datasets = d.path().join("datasets.jsonl");
    std::fs::write(
        &datasets,
        format!(
            "{}\n",
            json!({"id": "acme/distilled", "cardData": {"license": "mit", "generated_by": "service:openai/gpt-4"}})
        ),
    )
    .unwrap();
    let models = d.path().join("models.jsonl");
    std::fs::write(
        &models,
        format!(
            "{}\n",
            json!({"id": "acme/student", "cardData": {"license": "apache-2.0", "datasets": ["acme/distilled"]}})
        ),
    )
    .unwrap();
    // The endpoint does not exist: nothing may be asked of it.
    let s = Settings::new("http://127.0.0.1:9", d.path().join("cache")).unwrap();
    let h = Hub::new(s).unwrap();
    h.sync_from(
        &datasets,
        lineage_core::RepoKind::Dataset,
        &|_: &crate::SyncEvent| {},
    )
    .unwrap();
    h.sync_from(
        &models,
        lineage_core::RepoKind::Model,
        &|_: &crate::SyncEvent| {},
    )
    .unwrap();
    let g = h.synced_graph(&Clarifications::none()).unwrap();
    let gpt4 = g.find(&NodeKey::service("openai/gpt-4")).unwrap();
    assert_eq!(g.node(gpt4).resolution, Resolution::Service);
    let kb = KnowledgeBase::builtin();
    let prop = Propagation::run(&g, &kb, DatasetPolicy::Strict);
    let student = g.find(&NodeKey::model("acme/student")).unwrap();
    assert_eq!(
        lineage_core::judge(&g, &prop, &kb, student).commercial,
        Verdict::Conditional
    );
    assert_eq!(h.requests(), 0);
}
