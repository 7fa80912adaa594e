use super::*;
use crate::graph::Declared;
use crate::id::NodeKey;
use crate::license::KnowledgeBase;

const LLAMA2: &str = include_str!("../../data/license-texts/llama2.txt");
const LLAMA32: &str = include_str!("../../data/license-texts/llama3.2.txt");
const LLAMA33: &str = include_str!("../../data/license-texts/llama3.3.txt");
const APACHE: &str = include_str!("../../data/license-texts/apache-2.0.txt");
const MIT: &str = include_str!("../../data/license-texts/mit.txt");
const CC_BY_NC: &str = include_str!("../../data/license-texts/cc-by-nc-4.0.txt");
const CC_BY: &str = include_str!("../../data/license-texts/cc-by-4.0.txt");
const YI: &str = include_str!("../../data/license-texts/yi.txt");

fn recognised_id(text: &str) -> Option<String> {
    recognise(text, builtin_fingerprints())
        .recognised()
        .map(|s| s.id.clone())
}

#[test]
fn every_fingerprint_names_a_knowledge_base_entry() {
    let kb = KnowledgeBase::builtin();
    assert!(builtin_fingerprints().len() >= 30);
    for fp in builtin_fingerprints() {
        assert!(
            kb.get(&fp.id).is_some(),
            "{} is not in the knowledge base",
            fp.id
        );
    }
}

#[test]
fn every_stored_text_is_recognised_as_itself() {
    // The generated data must match what the normaliser makes of each text today, and each text
    // must be recognised as its own license; only near-identical versions of one family (Llama 3.x)
    // may be too close to call.
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/license-texts");
    for fp in builtin_fingerprints() {
        let text = std::fs::read_to_string(dir.join(&fp.file)).unwrap();
        assert!(
            fp.words.len() <= normalise_text(&text).len(),
            "{}: fingerprint has more words than its text; rerun gen_fingerprints",
            fp.file
        );
        match recognise(&text, builtin_fingerprints()) {
            Recognition::Recognised(s) => {
                assert_eq!(s.id, fp.id, "{}", fp.file);
                assert!(s.recall > 0.999, "{}: recall {}", fp.file, s.recall);
            }
            Recognition::Unrecognised { why, best } => {
                assert!(fp.id.starts_with("llama3."), "{}: {why}", fp.file);
                assert_eq!(best.unwrap().id, fp.id, "{}: {why}", fp.file);
            }
        }
    }
}

#[test]
fn llama2_text_is_recognised_with_its_similarity() {
    let r = recognise(LLAMA2, builtin_fingerprints());
    let s = r.recognised().expect("recognised");
    assert_eq!(s.id, "llama2");
    assert!(s.similarity > 0.99);
    assert_eq!(s.name, "Llama 2 Community License Agreement");
}

#[test]
fn reflowed_recased_text_with_a_copyright_line_is_still_recognised() {
    let reflowed: String = LLAMA2
        .split_whitespace()
        .collect::<Vec<_>>()
        .chunks(7)
        .map(|c| c.join("  "))
        .collect::<Vec<_>>()
        .join("\r\n");
    let text = format!(
        "Copyright (c) Meta Platforms, Inc. All Rights Reserved.\n\n{}",
        reflowed.to_uppercase()
    );
    assert_eq!(recognised_id(&text).as_deref(), Some("llama2"));
    let mit = MIT.replace(
        "Permission is hereby",
        "Copyright (c) 2024 Some Lab\n\nPermission is hereby",
    );
    assert_eq!(recognised_id(&mit).as_deref(), Some("mit"));
}

#[test]
fn llama2_with_one_clause_removed_is_not_recognised() {
    // Section 2, the 700M monthly-active-users clause: a different license without it.
    let start = LLAMA2.find("2. Additional Commercial Terms").unwrap();
    let end = LLAMA2.find("3. Disclaimer of Warranty").unwrap();
    let cut = format!("{}{}", &LLAMA2[..start], &LLAMA2[end..]);
    let r = recognise(&cut, builtin_fingerprints());
    match r {
        Recognition::Unrecognised { best, why } => {
            assert_eq!(
                best.unwrap().id,
                "llama2",
                "the hint names the closest text"
            );
            assert!(why.contains("missing"), "{why}");
        }
        Recognition::Recognised(s) => panic!("recognised {s:?}"),
    }
}

#[test]
fn apache_with_an_added_non_commercial_paragraph_is_not_apache() {
    let added = APACHE.replace(
        "END OF TERMS AND CONDITIONS",
        "10. Additional Restriction. Notwithstanding the above, the Work and Derivative Works \
         thereof may be used for non-commercial research purposes only.\n\nEND OF TERMS AND CONDITIONS",
    );
    let r = recognise(&added, builtin_fingerprints());
    assert_eq!(r.recognised(), None, "{r:?}");
    let Recognition::Unrecognised { why, best } = r else {
        unreachable!()
    };
    assert_eq!(best.unwrap().id, "apache-2.0");
    assert!(why.contains("commercial"), "{why}");
}

#[test]
fn apache_without_its_appendix_is_apache() {
    let end = APACHE.find("APPENDIX: How to apply").unwrap();
    assert_eq!(recognised_id(&APACHE[..end]).as_deref(), Some("apache-2.0"));
    assert_eq!(recognised_id(APACHE).as_deref(), Some("apache-2.0"));
}

#[test]
fn cc_by_nc_is_not_mistaken_for_cc_by() {
    assert_eq!(recognised_id(CC_BY_NC).as_deref(), Some("cc-by-nc-4.0"));
    assert_eq!(recognised_id(CC_BY).as_deref(), Some("cc-by-4.0"));
    let start = CC_BY_NC.find("By exercising the Licensed Rights").unwrap();
    assert_eq!(
        recognised_id(&CC_BY_NC[start..]).as_deref(),
        Some("cc-by-nc-4.0")
    );
}

#[test]
fn close_versions_of_one_family_need_a_margin() {
    // Llama 3.2 and 3.3 differ in little more than the version; whichever way it goes, the
    // recogniser may never name the other version.
    for (text, id) in [(LLAMA32, "llama3.2"), (LLAMA33, "llama3.3")] {
        match recognise(text, builtin_fingerprints()) {
            Recognition::Recognised(s) => assert_eq!(s.id, id),
            Recognition::Unrecognised { why, .. } => assert!(why.contains("as close to"), "{why}"),
        }
    }
}

#[test]
fn yi_license_is_recognised() {
    assert_eq!(recognised_id(YI).as_deref(), Some("yi"));
}

#[test]
fn empty_huge_binary_and_unrelated_files_are_not_license_texts() {
    for text in ["", "   \n\t", "MIT"] {
        assert!(matches!(
            recognise(text, builtin_fingerprints()),
            Recognition::Unrecognised { best: None, .. }
        ));
    }
    let huge = MIT.repeat(MAX_TEXT_BYTES / MIT.len() + 2);
    let Recognition::Unrecognised { why, best } = recognise(&huge, builtin_fingerprints()) else {
        panic!("a huge file was recognised")
    };
    assert!(why.contains("too large") && best.is_none());
    let binary = "GGUF\0\0\0\u{3}\0\0\0\0\u{1}\0\0\0";
    assert!(recognise(binary, builtin_fingerprints())
        .recognised()
        .is_none());
    let readme = "# My model\n\nThis model was fine-tuned on a lot of data. Enjoy it and tell us what you think.";
    let r = recognise(readme, builtin_fingerprints());
    assert!(r.recognised().is_none());
}

#[test]
fn mit_with_an_extra_restriction_is_not_mit() {
    let text = format!("{MIT}\nThe Software shall not be used for military purposes.\n");
    assert_eq!(recognised_id(&text), None);
}

#[test]
fn normalisation() {
    assert_eq!(
        normalise_text("Copyright 2023 X\n  The LICENCE & “Terms” —\tApply."),
        vec!["the", "license", "and", "terms", "apply"]
    );
}

#[test]
fn readme_sections_and_lines() {
    let readme =
        "---\nlicense: other\n---\n# Model\n\nText.\n\n## License\n\nThis model is under the \
                  Llama 2 license.\n\n### Notes\nnested\n\n## Usage\nrun it\n";
    let s = readme_license_section(readme).unwrap();
    assert!(s.starts_with("This model is under") && s.contains("nested") && !s.contains("run it"));
    assert_eq!(readme_license_section("# Model\n\n## Usage\nx\n"), None);
    assert_eq!(
        readme_license_section("# M\n## Licensing information\nCC-BY-NC\n"),
        Some("CC-BY-NC".into())
    );
    let lines = readme_license_lines(
        "# M\n- **License:** [Apache 2.0](https://www.apache.org/licenses/LICENSE-2.0).\n\
         | License: | x |\nLicense: mit\nSome license: no\n",
    );
    assert_eq!(lines, vec!["Apache 2.0", "x", "mit"]);
    assert!(restriction_hint("For non-commercial use only.").is_some());
    assert!(restriction_hint("Apache 2.0").is_none());
}

#[test]
fn quantized_copies_are_told_by_their_files() {
    let files = |names: &[&str]| RepoFiles {
        files: names.iter().map(|s| s.to_string()).collect(),
        ..RepoFiles::default()
    };
    assert_eq!(
        quantized_evidence(&files(&["README.md", "model.Q4_K_M.gguf"])).as_deref(),
        Some("GGUF weights (model.Q4_K_M.gguf)")
    );
    assert!(quantized_evidence(&files(&[
        "config.json",
        "quantize_config.json",
        "model.safetensors"
    ]))
    .unwrap()
    .contains("GPTQ"));
    assert!(
        quantized_evidence(&files(&["measurement.json", "output.safetensors"]))
            .unwrap()
            .contains("EXL2")
    );
    let mut gptq = files(&["config.json", "model.safetensors"]);
    gptq.quant_method = Some("gptq".into());
    assert!(quantized_evidence(&gptq)
        .unwrap()
        .contains("quant_method = gptq"));
    gptq.quant_method = Some("my-own-thing".into());
    assert_eq!(quantized_evidence(&gptq), None);
    let mut mlx = files(&["config.json", "model.safetensors"]);
    assert_eq!(
        quantized_evidence(&mlx),
        None,
        "safetensors alone is any model"
    );
    mlx.tags = vec!["mlx".into()];
    assert!(quantized_evidence(&mlx).unwrap().contains("MLX"));
    // An adapter is not a copy, whatever else it ships.
    assert_eq!(
        quantized_evidence(&files(&[
            "adapter_config.json",
            "adapter_model.safetensors",
            "x.gguf"
        ])),
        None
    );
    assert_eq!(
        quantized_evidence(&files(&["config.json", "model.safetensors"])),
        None
    );
}

#[test]
fn inference_is_recorded_as_clarifications_and_yields_to_the_catalog() {
    let card = Declared {
        license: vec!["other".into()],
        base_model: vec!["meta-llama/Llama-2-7b-hf".into()],
        ..Declared::default()
    };
    let inf = Inference {
        license: Some(InferredLicense {
            ids: vec!["llama2".into()],
            from: "LICENSE".into(),
            message: "license recognised from LICENSE (Llama 2, similarity 0.99)".into(),
        }),
        relation: Some((Relation::Quantized, "GGUF weights (x.gguf)".into())),
        hints: Vec::new(),
    };
    let mut node = Node::found(NodeKey::model("TheBloke/x-GGUF"), card.clone());
    inf.apply(&mut node);
    assert_eq!(node.declared.license, vec!["llama2"]);
    assert_eq!(
        node.declared.base_model_relation.as_deref(),
        Some("quantized")
    );
    assert_eq!(node.card(), &card, "the card's own claim is kept");
    assert_eq!(node.clarifications.len(), 2);
    assert!(node
        .clarifications
        .iter()
        .all(|c| matches!(c.source, ClarifySource::Inferred { .. })));
    assert_eq!(node.clarifications[0].replaced.as_deref(), Some("other"));

    // A license the catalog or policy already asserted wins.
    let mut node = Node::found(NodeKey::model("TheBloke/x-GGUF"), card);
    node.clarifications.push(Clarification {
        field: "license".into(),
        message: "curated".into(),
        source: ClarifySource::Catalog { source: "x".into() },
        replaced: None,
        asserted: vec!["mit".into()],
    });
    node.declared.license = vec!["mit".into()];
    inf.apply(&mut node);
    assert_eq!(node.declared.license, vec!["mit"]);
}
