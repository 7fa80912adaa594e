//! Builds `data/fingerprints.json` from the license texts in `data/license-texts/` (sources in its
//! SOURCES.md). Run from anywhere: `cargo run -p lineage-core --example gen_fingerprints`.
//!
//! A text file is named after its knowledge-base id (`llama2.txt`); a second text of the same license
//! adds `@variant` (`gemma@2024-04-01.txt`). Parts a real copy may omit (how-to-apply appendices,
//! Creative Commons' considerations and trademark notes) are stored as optional.

use lineage_core::recognize::normalise_text;
use lineage_core::KnowledgeBase;
use std::path::Path;

/// `(file-name prefix, text proper starts at, text proper ends before)`: outside is optional.
const PROPER: &[(&str, Option<&str>, Option<&str>)] = &[
    (
        "apache-2.0",
        None,
        Some("APPENDIX: How to apply the Apache License"),
    ),
    ("gpl-", None, Some("How to Apply These Terms to Your New")),
    ("agpl-", None, Some("How to Apply These Terms to Your New")),
    (
        "lgpl-2.1",
        None,
        Some("How to Apply These Terms to Your New"),
    ),
    (
        "mpl-2.0",
        None,
        Some("Exhibit A - Source Code Form License Notice"),
    ),
    (
        "cc-by",
        Some("By exercising the Licensed Rights"),
        Some("Creative Commons is not a party to its public"),
    ),
    ("cc0-1.0", Some("Statement of Purpose"), None),
];

fn split(file: &str, text: &str) -> (String, String) {
    let (mut start, mut end) = (0, text.len());
    if let Some((_, from, to)) = PROPER.iter().find(|(p, _, _)| file.starts_with(p)) {
        if let Some(f) = from {
            start = text
                .find(f)
                .unwrap_or_else(|| panic!("{file}: marker {f:?} not found"));
        }
        if let Some(t) = to {
            end = text
                .find(t)
                .unwrap_or_else(|| panic!("{file}: marker {t:?} not found"));
        }
    }
    let optional = format!("{}\n{}", &text[..start], &text[end..]);
    (
        normalise_text(&text[start..end]).join(" "),
        normalise_text(&optional).join(" "),
    )
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("data");
    let kb = KnowledgeBase::builtin();
    let mut files: Vec<_> = std::fs::read_dir(root.join("license-texts"))
        .expect("data/license-texts exists")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for path in files {
        let file = path.file_name().unwrap().to_string_lossy().to_string();
        let stem = file.trim_end_matches(".txt");
        let id = stem.split('@').next().unwrap();
        let entry = kb
            .get(id)
            .unwrap_or_else(|| panic!("{file}: {id} is not a knowledge-base id"));
        let text = std::fs::read_to_string(&path).expect("license texts are UTF-8");
        let (required, optional) = split(&file, &text);
        out.push(serde_json::json!({
            "id": id,
            "name": entry.name,
            "file": file,
            "required": required,
            "optional": optional,
        }));
    }
    let doc = serde_json::json!({
        "generated_by": "cargo run -p lineage-core --example gen_fingerprints (from data/license-texts/; sources in its SOURCES.md)",
        "fingerprints": out,
    });
    let text = serde_json::to_string_pretty(&doc).expect("serialisable") + "\n";
    std::fs::write(root.join("fingerprints.json"), text).expect("write data/fingerprints.json");
}
