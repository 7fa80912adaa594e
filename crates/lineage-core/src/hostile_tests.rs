//! Hostile input for the card parsers: YAML bombs, deep nesting, huge cards, invalid UTF-8, long
//! license lists and huge listing pages. Every input is generated here (nothing big is committed);
//! each must end in a clear result (a card or a front-matter error), without exhausting memory.

use crate::card::{declared, parse_readme, HubFacts, MAX_FRONT_MATTER};
use crate::KnowledgeBase;
use serde_json::{json, Value};

/// A "billion laughs" document: each level aliases the previous one ten times (10^levels strings).
fn laughs(levels: usize) -> String {
    let mut s = String::from(
        "---\na: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    let mut prev = "a".to_string();
    for i in 0..levels {
        let name = format!("l{i}");
        let refs = vec![format!("*{prev}"); 10].join(",");
        s.push_str(&format!("{name}: &{name} [{refs}]\n"));
        prev = name;
    }
    s.push_str("license: mit\n---\n");
    s
}

#[test]
fn yaml_alias_bombs_are_refused() {
    let e = parse_readme(&laughs(9)).unwrap_err();
    assert!(e.0.contains("repetition limit"), "{e}");
    // A few aliases are ordinary YAML and still read.
    let card = parse_readme(&laughs(1)).unwrap();
    assert_eq!(card["l0"].as_array().unwrap().len(), 10);
    assert_eq!(card["license"], "mit");
}

#[test]
fn deep_nesting_is_refused() {
    let flow = format!(
        "---\nlicense: mit\nx: {}{}\n---\n",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let e = parse_readme(&flow).unwrap_err();
    assert!(e.0.contains("more than 128 deep"), "{e}");
    // Just under the parser's own limit of 128 still parses.
    let ok = format!("---\nx: {}{}\n---\n", "[".repeat(120), "]".repeat(120));
    assert!(parse_readme(&ok).is_ok());
    let mut block = String::from("---\nlicense: mit\n");
    for depth in 0..1_000 {
        block.push_str(&" ".repeat(depth));
        block.push_str("a:\n");
    }
    block.push_str("---\n");
    let e = parse_readme(&block).unwrap_err();
    assert!(e.0.contains("recursion limit"), "{e}");
}

#[test]
fn huge_cards_read_their_front_matter_or_are_refused() {
    // 50 MB of prose after a small block: the block is read.
    let mut readme = String::from("---\nlicense: apache-2.0\nbase_model: org/base\n---\n");
    readme.push_str(&"lorem ipsum dolor sit amet\n".repeat(50 * 1024 * 1024 / 27));
    assert!(readme.len() >= 50 * 1000 * 1000);
    let card = parse_readme(&readme).unwrap();
    assert_eq!(card["license"], "apache-2.0");
    drop(readme);
    // A block over the cap is refused before YAML parsing sees it.
    let mut big = String::from("---\nlicense: mit\nnotes:\n");
    while big.len() <= MAX_FRONT_MATTER {
        big.push_str("  - some very long list item of the model index, repeated\n");
    }
    big.push_str("---\n");
    let e = parse_readme(&big).unwrap_err();
    assert!(e.0.contains("larger than"), "{e}");
    // An unclosed block of 50 MB is an error too.
    let unclosed = format!("---\nlicense: mit\n{}", "x: y\n".repeat(10 * 1024 * 1024));
    assert!(parse_readme(&unclosed).is_err());
}

#[test]
fn invalid_utf8_is_replaced_and_never_resolves_a_license() {
    let bytes: &[u8] = b"---\nlicense: mi\xfft\nbase_model: org/ba\xc3se\n---\n";
    let card = parse_readme(&String::from_utf8_lossy(bytes)).unwrap();
    let d = declared(&card, &HubFacts::default());
    assert_eq!(d.license, vec!["mi\u{fffd}t"]);
    let m = KnowledgeBase::builtin().resolve(&d);
    assert!(m.ids.is_empty());
    assert_eq!(m.unresolved, vec!["mi\u{fffd}t"]);
    assert!(crate::parse_card_ref(&d.base_model[0], crate::RepoKind::Model).is_err());
}

#[test]
fn a_thousand_licenses_resolve_each_once() {
    let kb = KnowledgeBase::builtin();
    let mut list: Vec<String> = (0..997).map(|i| format!("made-up-license-{i}")).collect();
    list.extend(["mit".into(), "MIT".into(), "cc-by-nc-4.0".into()]);
    let readme = format!(
        "---\nlicense: {}\n---\n",
        serde_json::to_string(&list).unwrap()
    );
    let card = parse_readme(&readme).unwrap();
    let d = declared(&card, &HubFacts::default());
    assert_eq!(d.license.len(), 1000);
    let m = kb.resolve(&d);
    assert_eq!(m.ids, vec!["mit", "cc-by-nc-4.0"]);
    assert_eq!(m.unresolved.len(), 997);
    // Every unresolved license is an unknown term.
    let unknown = kb
        .terms_of(&m)
        .iter()
        .filter(|t| t.to_string().contains("not in the knowledge base"))
        .count();
    assert_eq!(unknown, 997);
}

#[test]
fn ten_thousand_bases_are_all_kept() {
    let bases: Vec<String> = (0..10_000).map(|i| format!("org/part-{i}")).collect();
    let facts = HubFacts::from_api(&json!({
        "id": "org/merge",
        "cardData": {"license": "mit", "base_model": bases, "base_model_relation": "merge"},
    }));
    let d = declared(facts.card_data.as_ref().unwrap(), &facts);
    assert_eq!(d.base_model.len(), 10_000);
    assert_eq!(d.base_model_relation.as_deref(), Some("merge"));
}

#[test]
fn a_listing_page_of_100_000_items_is_read_item_by_item() {
    let page: Vec<Value> = (0..100_000)
        .map(|i| {
            json!({"id": format!("org/child-{i}"), "sha": "abc", "tags": [format!("base_model:finetune:org/base"), "license:mit"]})
        })
        .collect();
    let body = serde_json::to_vec(&page).unwrap();
    let parsed: Vec<Value> = serde_json::from_slice(&body).unwrap();
    let facts: Vec<HubFacts> = parsed.iter().map(HubFacts::from_api).collect();
    assert_eq!(facts.len(), 100_000);
    assert!(facts
        .iter()
        .all(|f| f.tag_bases == ["org/base"] && f.tag_licenses == ["mit"]));
}

#[test]
fn hostile_generators_never_name_another_host_or_a_path() {
    use crate::card::parents_of;
    use crate::graph::{Node, Relation};
    use crate::NodeKey;
    let mut list: Vec<String> = (0..10_000)
        .map(|i| format!("service:provider-{i}/model"))
        .collect();
    list.extend(
        [
            "service:",
            "service:../../etc/passwd",
            "service:https://evil.example/x",
            "service:a/b/c",
            "https://evil.example/org/model",
            "/workspace/generator",
            "dataset:org/data",
            "service:openai/gpt-4\u{0}",
        ]
        .map(String::from),
    );
    let readme = format!(
        "---\nlicense: mit\ngenerated_by: {}\n---\n",
        serde_json::to_string(&list).unwrap()
    );
    let card = parse_readme(&readme).unwrap();
    let d = declared(&card, &HubFacts::default());
    assert_eq!(d.generated_by.len(), 10_008);
    let node = Node::found(NodeKey::dataset("acme/data"), d);
    let edges = parents_of(&node, None);
    // Every well-formed service id is kept, once, as a service; nothing else becomes a parent.
    assert_eq!(edges.parents.len(), 10_000);
    assert!(edges
        .parents
        .iter()
        .all(|p| p.relation == Relation::GeneratedBy && p.key.kind == crate::RepoKind::Service));
    // The rest are invalid references: the verdict fails closed, and no request leaves the Hub.
    assert_eq!(edges.invalid.len(), 8);
}
