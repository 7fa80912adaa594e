//! Model-info answers and listing pages: any JSON the endpoint sends is read into Hub facts and a
//! card declaration without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lineage_core::card::{declared, HubFacts};
use serde_json::{Map, Value};

fn read_item(v: &Value) {
    let facts = HubFacts::from_api(v);
    let card = facts.card_data.clone().unwrap_or_else(Map::new);
    let _ = declared(&card, &facts);
}

fuzz_target!(|data: &[u8]| {
    let Ok(v) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    match &v {
        // A listing page is an array of items shaped like model-info answers.
        Value::Array(items) => items.iter().for_each(read_item),
        other => read_item(other),
    }
});
