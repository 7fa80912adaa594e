//! The license text recogniser and the README license-section readers: arbitrary text (a hostile
//! LICENSE file or README) is judged without panicking, and empty or whitespace-only text is never
//! recognised as any license.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lineage_core::recognize::{
    builtin_fingerprints, readme_license_lines, readme_license_section, recognise,
    restriction_hint, Recognition,
};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let r = recognise(&text, builtin_fingerprints());
    if text.trim().is_empty() {
        assert!(r.recognised().is_none(), "empty text recognised: {r:?}");
    }
    if let Some(score) = r.recognised() {
        assert!(score.passes());
    }
    let _ = matches!(r, Recognition::Recognised(_));
    if let Some(section) = readme_license_section(&text) {
        let _ = restriction_hint(&section);
    }
    let _ = readme_license_lines(&text);
});
