//! Repository ids and Hub URLs: anything accepted is a valid Hub id of one or two segments, so a
//! card can never make the crawler build a request path outside the repository it names.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lineage_core::id::{parse_card_ref, parse_repo_ref, validate_id, NodeKey, RepoKind};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    for kind in [RepoKind::Model, RepoKind::Dataset] {
        if let Ok(r) = parse_repo_ref(&text, kind) {
            assert!(
                validate_id(&r.key.id).is_ok(),
                "accepted an invalid id: {:?}",
                r.key.id
            );
            assert!(!r.key.id.contains(['%', '\\', '?', '#', '@', ':']));
            assert!(r.key.id.split('/').all(|s| s != "." && s != ".."));
            if let Some(rev) = &r.revision {
                assert!(!rev.chars().any(|c| c.is_control() || c.is_whitespace()));
            }
            // The display form reads back as the same key.
            assert_eq!(NodeKey::parse(&r.key.to_string()).as_ref(), Some(&r.key));
        }
        let _ = parse_card_ref(&text, kind);
    }
    let _ = NodeKey::parse(&text);
});
