//! Hostile input for the card parsers: YAML bombs, deep nesting, huge cards, odd ids and licenses.
//! Every input is generated here (nothing big is committed); each must end in a clear result, fast.

use crate::card::{declared, parse_readme, HubFacts};
use serde_json::{json, Value};

/// A "billion laughs" document: each level aliases the previous one ten times.
fn laughs(levels: usize) -> String {
    let mut s = String::from("---\na: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
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
    let t = std::time::Instant::now();
    let r = parse_readme(&laughs(9));
    eprintln!("{:?} {:?}", t.elapsed(), r.as_ref().map(|m| m.len()));
    assert!(r.is_err());
}
