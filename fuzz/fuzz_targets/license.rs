//! The license normaliser and knowledge-base lookups: arbitrary license strings (and lists of them,
//! one per line) resolve without panicking, and what cannot be placed stays unresolved.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lineage_core::license::{normalise, KnowledgeBase};
use lineage_core::Declared;
use std::sync::OnceLock;

static KB: OnceLock<KnowledgeBase> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let kb = KB.get_or_init(KnowledgeBase::builtin);
    let text = String::from_utf8_lossy(data);
    let n = normalise(&text);
    // Normalising is idempotent.
    assert_eq!(normalise(&n), n);
    let _ = kb.lookup(&text);
    let _ = kb.find(&text);
    let _ = kb.find_link(&text);
    let mut lines = text.lines();
    let d = Declared {
        license: lines
            .next()
            .map(|l| l.split(',').map(str::to_string).collect())
            .unwrap_or_default(),
        license_name: lines.next().map(str::to_string),
        license_link: lines.next().map(str::to_string),
        ..Declared::default()
    };
    let m = kb.resolve(&d);
    // Every resolved id is a knowledge-base entry; an empty declaration never resolves to one.
    for id in &m.ids {
        assert!(
            kb.get(id).is_some(),
            "resolved to an id outside the knowledge base: {id}"
        );
    }
    if !d.has_license() {
        assert!(m.ids.is_empty());
    }
    let _ = kb.terms_of(&m);
});
