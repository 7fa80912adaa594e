//! Card rules: which edges a card's fields name. `base_model` (with `base_model_relation` or the
//! Hub's inferred relation) gives model parents, `datasets` training data, `source_datasets` dataset
//! parents; references that are not Hub ids become `invalid` nodes so the verdict fails closed.

use super::{scalar, string_list, HubFacts};
use crate::graph::{Node, Relation};
use crate::id::{parse_card_ref, parse_generator_ref, IdError, NodeKey, RepoKind};

/// A parent named by a node's card.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Parent {
    /// The parent repo.
    pub key: NodeKey,
    /// How the node derives from it.
    pub relation: Relation,
}

/// Everything a card names upstream.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CardEdges {
    /// Parents named by valid Hub ids, each once, in card order.
    pub parents: Vec<Parent>,
    /// References that are not Hub ids (a local path, another host's URL), with why.
    pub invalid: Vec<(NodeKey, String)>,
    /// The node's relation to its base models, when it names any.
    pub relation: Option<Relation>,
}

impl CardEdges {
    /// The relation of the edge from an invalid reference `bad` to the node `child`.
    pub fn invalid_relation(&self, bad: &NodeKey, child: &NodeKey) -> Relation {
        match (bad.kind, child.kind) {
            (RepoKind::Dataset, RepoKind::Model) => Relation::TrainedOn,
            (RepoKind::Dataset, RepoKind::Dataset) => Relation::DerivedFrom,
            (RepoKind::Model, RepoKind::Dataset) => Relation::GeneratedBy,
            _ => self.relation.unwrap_or(Relation::Finetune),
        }
    }
}

/// The parents a node's card names. `hub_relation` is the Hub's own inference (its `baseModels`
/// answer or `base_model:<relation>:<id>` tags), used when the card states no relation.
pub fn parents_of(node: &Node, hub_relation: Option<Relation>) -> CardEdges {
    let d = &node.declared;
    let mut out = CardEdges::default();
    let push = |parents: &mut Vec<Parent>, key: NodeKey, relation: Relation| {
        if !parents.iter().any(|p| p.key == key) {
            parents.push(Parent { key, relation });
        }
    };
    match node.key.kind {
        RepoKind::Model => {
            if !d.base_model.is_empty() {
                let rel = Relation::infer(
                    d.base_model_relation.as_deref(),
                    hub_relation,
                    d.base_model.len(),
                );
                out.relation = Some(rel);
                for b in &d.base_model {
                    match parse_card_ref(b, RepoKind::Model) {
                        Ok(k) => push(&mut out.parents, k, rel),
                        Err(e) => out.invalid.push((NodeKey::model(b.trim()), e.to_string())),
                    }
                }
            }
            for ds in &d.datasets {
                match parse_card_ref(ds, RepoKind::Dataset) {
                    Ok(k) => push(&mut out.parents, k, Relation::TrainedOn),
                    Err(e) => out
                        .invalid
                        .push((NodeKey::dataset(ds.trim()), e.to_string())),
                }
            }
        }
        RepoKind::Dataset => {
            for s in &d.source_datasets {
                match source_dataset_ref(s) {
                    Some(Ok(k)) => push(&mut out.parents, k, Relation::DerivedFrom),
                    Some(Err(e)) => out
                        .invalid
                        .push((NodeKey::dataset(s.trim()), e.to_string())),
                    None => {}
                }
            }
            for g in &d.generated_by {
                match parse_generator_ref(g) {
                    Ok(k) => push(&mut out.parents, k, Relation::GeneratedBy),
                    Err(e) => out.invalid.push((NodeKey::model(g.trim()), e.to_string())),
                }
            }
        }
        // A hosted service has no card and names nothing upstream.
        RepoKind::Service => {}
    }
    out
}

/// Reads a `source_datasets` value: `original`/`extended` and free text are not ids (`None`);
/// `extended|x` names `x`; a local path or another host's URL is an upstream that cannot be followed.
pub fn source_dataset_ref(raw: &str) -> Option<Result<NodeKey, IdError>> {
    let v = raw.trim();
    if v.is_empty() || v.eq_ignore_ascii_case("original") || v.eq_ignore_ascii_case("extended") {
        return None;
    }
    let candidate = v.split_once('|').map_or(v, |(_, id)| id.trim());
    match parse_card_ref(candidate, RepoKind::Dataset) {
        Ok(k) => Some(Ok(k)),
        Err(IdError::Invalid(_) | IdError::Empty) => None,
        Err(e) => Some(Err(e)),
    }
}

/// The relation a listing item has to the `parent` whose children were listed: `trained-on` under a
/// dataset; under a model, what the item's card and the Hub's tags say (a merge when it names
/// several bases, a fine-tune otherwise).
pub fn listing_relation(parent: &NodeKey, facts: &HubFacts) -> Relation {
    if parent.kind == RepoKind::Dataset {
        return Relation::TrainedOn;
    }
    let card_rel = facts
        .card_data
        .as_ref()
        .and_then(|c| scalar(c.get("base_model_relation")));
    let bases = facts
        .card_data
        .as_ref()
        .map(|c| string_list(c.get("base_model")).len())
        .filter(|n| *n > 0)
        .unwrap_or(facts.base_models.len().max(facts.tag_bases.len()));
    Relation::infer(card_rel.as_deref(), facts.relation, bases)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::Declared;
    use serde_json::json;

    fn model(id: &str, d: Declared) -> Node {
        Node::found(NodeKey::model(id), d)
    }

    #[test]
    fn source_dataset_values() {
        assert!(source_dataset_ref("original").is_none());
        assert!(source_dataset_ref("Extended").is_none());
        assert_eq!(
            source_dataset_ref("extended|glue").unwrap().unwrap(),
            NodeKey::dataset("glue")
        );
        assert_eq!(
            source_dataset_ref("laion/laion-2b").unwrap().unwrap(),
            NodeKey::dataset("laion/laion-2b")
        );
        assert!(source_dataset_ref("extended|not an id").is_none());
        assert!(source_dataset_ref("some free text").is_none());
        assert!(source_dataset_ref("https://example.com/data")
            .unwrap()
            .is_err());
    }

    #[test]
    fn a_gguf_card_names_its_base_as_quantized_and_its_datasets() {
        // TheBloke/Llama-2-7B-Chat-GGUF style: base_model plus the relation; datasets on the card.
        let d = Declared {
            base_model: vec!["meta-llama/Llama-2-7b-chat-hf".into()],
            base_model_relation: Some("quantized".into()),
            datasets: vec!["tatsu-lab/alpaca".into(), "tatsu-lab/alpaca".into()],
            ..Declared::default()
        };
        let e = parents_of(&model("TheBloke/Llama-2-7B-Chat-GGUF", d), None);
        assert_eq!(e.relation, Some(Relation::Quantized));
        assert_eq!(
            e.parents,
            vec![
                Parent {
                    key: NodeKey::model("meta-llama/Llama-2-7b-chat-hf"),
                    relation: Relation::Quantized
                },
                Parent {
                    key: NodeKey::dataset("tatsu-lab/alpaca"),
                    relation: Relation::TrainedOn
                },
            ]
        );
        assert!(e.invalid.is_empty());
    }

    #[test]
    fn two_bases_make_a_merge_and_the_hubs_relation_fills_a_silent_card() {
        let merge = Declared {
            base_model: vec!["a/one".into(), "b/two".into()],
            ..Declared::default()
        };
        let e = parents_of(&model("x/merged", merge), None);
        assert_eq!(e.relation, Some(Relation::Merge));
        assert!(e.parents.iter().all(|p| p.relation == Relation::Merge));

        let silent = Declared {
            base_model: vec!["a/one".into()],
            ..Declared::default()
        };
        let e = parents_of(&model("x/lora", silent.clone()), Some(Relation::Adapter));
        assert_eq!(e.relation, Some(Relation::Adapter));
        let e = parents_of(&model("x/ft", silent), None);
        assert_eq!(e.relation, Some(Relation::Finetune));
    }

    #[test]
    fn references_that_are_not_hub_ids_become_invalid_parents() {
        let d = Declared {
            base_model: vec!["/home/me/checkpoints/llama".into()],
            datasets: vec!["https://example.com/data.json".into()],
            ..Declared::default()
        };
        let child = NodeKey::model("x/ft");
        let e = parents_of(&Node::found(child.clone(), d), None);
        assert!(e.parents.is_empty());
        assert_eq!(e.invalid.len(), 2);
        assert_eq!(
            e.invalid_relation(&e.invalid[0].0, &child),
            Relation::Finetune
        );
        assert_eq!(
            e.invalid_relation(&e.invalid[1].0, &child),
            Relation::TrainedOn
        );
    }

    #[test]
    fn dataset_cards_name_source_datasets_only() {
        let d = Declared {
            source_datasets: vec!["original".into(), "extended|squad".into()],
            base_model: vec!["ignored/for-datasets".into()],
            ..Declared::default()
        };
        let e = parents_of(&Node::found(NodeKey::dataset("x/squad-plus"), d), None);
        assert_eq!(
            e.parents,
            vec![Parent {
                key: NodeKey::dataset("squad"),
                relation: Relation::DerivedFrom
            }]
        );
        assert_eq!(e.relation, None);
    }

    #[test]
    fn listing_relations() {
        let item = |v| HubFacts::from_api(&v);
        let ds = NodeKey::dataset("tatsu-lab/alpaca");
        let base = NodeKey::model("meta-llama/Llama-2-7b-hf");
        let plain =
            item(json!({"id": "x/y", "cardData": {"base_model": "meta-llama/Llama-2-7b-hf"}}));
        assert_eq!(listing_relation(&ds, &plain), Relation::TrainedOn);
        assert_eq!(listing_relation(&base, &plain), Relation::Finetune);
        let tagged =
            item(json!({"id": "x/q", "tags": ["base_model:quantized:meta-llama/Llama-2-7b-hf"]}));
        assert_eq!(listing_relation(&base, &tagged), Relation::Quantized);
        let merge = item(json!({"id": "x/m", "cardData": {"base_model": ["a/b", "c/d"]}}));
        assert_eq!(listing_relation(&base, &merge), Relation::Merge);
    }
}
