//! Policy files: any text either parses into a policy or yields located errors, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lineage_core::license::KnowledgeBase;
use lineage_core::policy::Policy;
use std::sync::OnceLock;

static KB: OnceLock<KnowledgeBase> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let kb = KB.get_or_init(KnowledgeBase::builtin);
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match Policy::parse(text, "fuzz.toml", kb) {
        Ok(p) => {
            let _ = p.clarifications();
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
});
