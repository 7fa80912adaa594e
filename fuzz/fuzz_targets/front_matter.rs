//! README front matter: `parse_readme` must never panic, and whatever it accepts must turn into a
//! card declaration without panicking either.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lineage_core::card::{declared, parse_readme, HubFacts};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(card) = parse_readme(&text) {
        let _ = declared(&card, &HubFacts::default());
    }
});
