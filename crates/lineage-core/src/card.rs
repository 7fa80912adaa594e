//! Card parsing: the Hub's API JSON and README.md front matter into [`Declared`] plus the Hub's own
//! hints (relation, sha, gated). Tolerant of every shape real cards use; never panics.

use crate::graph::{Declared, Relation};
use crate::recognize::RepoFiles;
use serde_json::{Map, Value};

pub mod edges;

pub use edges::{listing_relation, parents_of, source_dataset_ref, CardEdges, Parent};

/// What the Hub computed about a repo, read from one API answer (or one listing item).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HubFacts {
    /// `cardData`, when the Hub could parse the card (absent: read README.md instead).
    pub card_data: Option<Map<String, Value>>,
    /// Base model ids from `baseModels.models[].id` (or the older list-of-strings shape).
    pub base_models: Vec<String>,
    /// The relation from `baseModels.relation`, else from the first `base_model:<relation>:<id>` tag.
    pub relation: Option<Relation>,
    /// Base ids from `base_model:<id>` and `base_model:<relation>:<id>` tags, in tag order.
    pub tag_bases: Vec<String>,
    /// Dataset ids from `dataset:<id>` tags.
    pub tag_datasets: Vec<String>,
    /// License identifiers from `license:<id>` tags (the Hub computes them from the card).
    pub tag_licenses: Vec<String>,
    /// The commit the answer describes.
    pub sha: Option<String>,
    /// `gated` is `"auto"`, `"manual"` or `true`.
    pub gated: bool,
    /// `disabled: true`.
    pub disabled: bool,
    /// `createdAt` (RFC 3339): when the repo was created, i.e. its first commit.
    pub created_at: Option<String>,
    /// `lastModified` (RFC 3339, as the Hub wrote it): when the commit the answer describes was made.
    pub last_modified: Option<String>,
    /// File names (`siblings`), `config.quantization_config.quant_method` and `library_name` plus tags:
    /// evidence of what the repo is when the card does not say (absent from listing items).
    pub files: RepoFiles,
}

impl HubFacts {
    /// Reads an API answer (`GET /api/{models,datasets}/{id}`) or a listing item; fields that are
    /// missing or of an unexpected type are simply absent.
    pub fn from_api(v: &Value) -> HubFacts {
        let mut f = HubFacts {
            card_data: v.get("cardData").and_then(Value::as_object).cloned(),
            sha: v
                .get("sha")
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(str::to_string),
            gated: gated_flag(v.get("gated")),
            disabled: disabled_flag(v.get("disabled")),
            created_at: v
                .get("createdAt")
                .and_then(Value::as_str)
                .map(str::to_string),
            last_modified: v
                .get("lastModified")
                .and_then(Value::as_str)
                .map(str::to_string),
            ..HubFacts::default()
        };
        match v.get("baseModels") {
            Some(Value::Object(bm)) => {
                f.relation = bm
                    .get("relation")
                    .and_then(Value::as_str)
                    .and_then(Relation::parse_model_relation);
                f.base_models = bm
                    .get("models")
                    .and_then(Value::as_array)
                    .map(|models| {
                        models
                            .iter()
                            .filter_map(|m| match m {
                                Value::Object(o) => o.get("id").and_then(Value::as_str),
                                Value::String(s) => Some(s.as_str()),
                                _ => None,
                            })
                            .map(str::to_string)
                            .collect()
                    })
                    .unwrap_or_default();
            }
            // The shape the Python client's docstring describes: a plain list of ids.
            Some(Value::Array(items)) => {
                f.base_models = items
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect();
            }
            _ => {}
        }
        f.files = repo_files(v);
        let tags = v.get("tags").and_then(Value::as_array);
        f.read_tags(tags.into_iter().flatten().filter_map(Value::as_str));
        f
    }

    /// Reads the Hub's `tags`: `base_model:[<relation>:]<id>`, `dataset:<id>` and `license:<id>`
    /// into their fields, and plain tags (`gguf`, `synthetic`, ...) as file evidence.
    pub fn read_tags<'a>(&mut self, tags: impl IntoIterator<Item = &'a str>) {
        let f = self;
        for tag in tags {
            if let Some(rest) = tag.strip_prefix("base_model:") {
                let (relation, id) = match rest.split_once(':') {
                    Some((r, id)) => match Relation::parse_model_relation(r) {
                        Some(rel) => (Some(rel), id),
                        None => (None, rest),
                    },
                    None => (None, rest),
                };
                if f.relation.is_none() {
                    f.relation = relation;
                }
                push_unique(&mut f.tag_bases, id);
            } else if let Some(id) = tag.strip_prefix("dataset:") {
                push_unique(&mut f.tag_datasets, id);
            } else if let Some(id) = tag.strip_prefix("license:") {
                push_unique(&mut f.tag_licenses, id);
            } else if !tag.contains(':') {
                f.files.tags.push(tag.to_string());
            }
        }
    }
}

/// The Hub's `gated`: `"auto"`, `"manual"` or `true` mean gated; anything else does not.
pub fn gated_flag(v: Option<&Value>) -> bool {
    match v {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => !s.is_empty() && s != "false",
        _ => false,
    }
}

/// The Hub's `disabled`: only `true` means disabled.
pub fn disabled_flag(v: Option<&Value>) -> bool {
    v.and_then(Value::as_bool).unwrap_or(false)
}

/// A Hub date (`2024-02-19T11:06:12.000Z`) as RFC 3339 UTC without fractions
/// (`2024-02-19T11:06:12Z`), the form SPDX 3 `DateTime` requires; `None` for anything else (another
/// offset, a malformed or hostile string), so a date is either well-formed or absent.
pub fn hub_time(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
    let shape = b.len() >= 20
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && b[10] == b'T'
        && digits(11..13)
        && b[13] == b':'
        && digits(14..16)
        && b[16] == b':'
        && digits(17..19);
    if !shape {
        return None;
    }
    let rest = &s[19..];
    let rest = match rest.strip_prefix('.') {
        Some(f) => f.trim_start_matches(|c: char| c.is_ascii_digit()),
        None => rest,
    };
    if !matches!(rest, "Z" | "+00:00") {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s[r].parse::<u32>().unwrap_or(99);
    let valid = (1..=12).contains(&num(5..7))
        && (1..=31).contains(&num(8..10))
        && num(11..13) < 24
        && num(14..16) < 60
        && num(17..19) < 61;
    valid.then(|| format!("{}Z", &s[..19]))
}

/// The file evidence of an API answer: `siblings[].rfilename`, the quantization method of `config`
/// and `library_name` (plain `tags` are added by [`HubFacts::read_tags`]).
fn repo_files(v: &Value) -> RepoFiles {
    let files = v
        .get("siblings")
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|s| s.get("rfilename").and_then(Value::as_str))
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    let quant_method = v
        .pointer("/config/quantization_config/quant_method")
        .and_then(Value::as_str)
        .map(str::to_string);
    let tags: Vec<String> = v
        .get("library_name")
        .and_then(Value::as_str)
        .map(str::to_string)
        .into_iter()
        .collect();
    RepoFiles {
        files,
        quant_method,
        tags,
    }
}

/// Whether the card or the Hub's tags say the data was machine-written: a `synthetic` tag, or
/// `machine-generated` among `annotations_creators` / `language_creators`.
fn is_synthetic(card: &Map<String, Value>, hub: &HubFacts) -> bool {
    let tagged = string_list(card.get("tags"))
        .iter()
        .chain(&hub.files.tags)
        .any(|t| t.eq_ignore_ascii_case("synthetic"));
    tagged
        || ["annotations_creators", "language_creators"]
            .iter()
            .flat_map(|k| string_list(card.get(*k)))
            .any(|c| c.eq_ignore_ascii_case("machine-generated"))
}

fn push_unique(v: &mut Vec<String>, s: &str) {
    let s = s.trim();
    if !s.is_empty() && !v.iter().any(|x| x == s) {
        v.push(s.to_string());
    }
}

/// What a card declares, completed from the Hub's computed fields where the card is silent:
/// `base_model` falls back to `baseModels`, then to `base_model:*` tags; `datasets` to `dataset:*`
/// tags. Values are kept as written (URLs and odd ids are judged when edges are built).
pub fn declared(card: &Map<String, Value>, hub: &HubFacts) -> Declared {
    let mut d = Declared {
        license: string_list(card.get("license")),
        license_name: scalar(card.get("license_name")),
        license_link: scalar(card.get("license_link")),
        base_model: string_list(card.get("base_model")),
        base_model_relation: scalar(card.get("base_model_relation")),
        datasets: string_list(card.get("datasets")),
        source_datasets: string_list(card.get("source_datasets")),
        generated_by: string_list(card.get("generated_by")),
        synthetic: false,
    };
    d.synthetic = is_synthetic(card, hub);
    if d.license.is_empty() {
        // Legacy free-text description of a custom license.
        if let Some(details) = scalar(card.get("license_details")) {
            if d.license_name.is_none() {
                d.license_name = Some(details);
            }
        }
    }
    if !d.has_license() {
        // The Hub's `license:*` tags mirror the card; they stand in when the card data lacks the field.
        d.license = hub.tag_licenses.clone();
    }
    if d.base_model.is_empty() {
        d.base_model = string_list(card.get("finetuned_from"));
    }
    if d.base_model.is_empty() {
        d.base_model = if hub.base_models.is_empty() {
            hub.tag_bases.clone()
        } else {
            hub.base_models.clone()
        };
    }
    if d.datasets.is_empty() {
        d.datasets = hub.tag_datasets.clone();
    }
    d
}

/// A card value as a list of strings: a string is one item, a list keeps its scalar items; numbers
/// and booleans are written out, empty strings and nested values dropped.
pub fn string_list(v: Option<&Value>) -> Vec<String> {
    let mut out = Vec::new();
    match v {
        Some(Value::Array(items)) => {
            for i in items {
                if let Some(s) = scalar(Some(i)) {
                    if !out.contains(&s) {
                        out.push(s);
                    }
                }
            }
        }
        other => out.extend(scalar(other)),
    }
    out
}

/// A scalar card value as a trimmed, non-empty string.
pub fn scalar(v: Option<&Value>) -> Option<String> {
    let s = match v? {
        Value::String(s) => s.trim().to_string(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => return None,
    };
    (!s.is_empty()).then_some(s)
}

/// Why a README's front matter could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FrontMatterError(pub String);

impl std::fmt::Display for FrontMatterError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for FrontMatterError {}

/// The YAML block between `---` lines at the top of a README, located as huggingface_hub does
/// (leading whitespace, a BOM and CRLF/CR line ends tolerated). `Ok(None)`: the README has no
/// metadata block; an opening `---` that is never closed is an error.
pub fn front_matter_block(readme: &str) -> Result<Option<&str>, FrontMatterError> {
    let s = readme.trim_start_matches('\u{feff}').trim_start();
    let Some(after) = s.strip_prefix("---") else {
        return Ok(None);
    };
    let body = if let Some(b) = after.strip_prefix("\r\n") {
        b
    } else if let Some(b) = after
        .strip_prefix('\n')
        .or_else(|| after.strip_prefix('\r'))
    {
        b
    } else {
        // `----` or `--- text`: a horizontal rule or prose, not a metadata block.
        return Ok(None);
    };
    // An empty block: the closing line follows at once.
    if is_closing_line(body) {
        return Ok(Some(""));
    }
    let bytes = body.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if b != b'\n' && b != b'\r' {
            continue;
        }
        let next = if b == b'\r' && bytes.get(i + 1) == Some(&b'\n') {
            i + 2
        } else {
            i + 1
        };
        if is_closing_line(&body[next..]) {
            return Ok(Some(&body[..i]));
        }
    }
    Err(FrontMatterError(
        "the metadata block opened by `---` is never closed".into(),
    ))
}

/// Whether `s` starts with `---`, optional spaces or tabs, then a line end or the end of the text.
fn is_closing_line(s: &str) -> bool {
    let Some(rest) = s.strip_prefix("---") else {
        return false;
    };
    let rest = rest.trim_start_matches([' ', '\t']);
    rest.is_empty() || rest.starts_with('\n') || rest.starts_with("\r\n") || rest.starts_with('\r')
}

/// The largest front matter block read (1 MiB); real cards' blocks are a few kilobytes, and a bound
/// keeps a hostile card from making the YAML parser build a huge document.
pub const MAX_FRONT_MATTER: usize = 1024 * 1024;

/// Deepest flow nesting read; the YAML parser itself refuses documents nested deeper than 128.
const MAX_FLOW_DEPTH: usize = 128;

/// The deepest run of unclosed `[`/`{`, counting every bracket in the text.
fn flow_depth(block: &str) -> usize {
    let (mut depth, mut max) = (0usize, 0usize);
    for b in block.bytes() {
        match b {
            b'[' | b'{' => {
                depth += 1;
                max = max.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

/// Parses a README's front matter into card metadata. `Ok` of an empty map when there is none.
/// YAML alias expansion and nesting are bounded by the parser; the block's size by [`MAX_FRONT_MATTER`].
pub fn parse_readme(readme: &str) -> Result<Map<String, Value>, FrontMatterError> {
    let Some(block) = front_matter_block(readme)? else {
        return Ok(Map::new());
    };
    if block.len() > MAX_FRONT_MATTER {
        return Err(FrontMatterError(format!(
            "the README front matter is larger than {} KiB",
            MAX_FRONT_MATTER / 1024
        )));
    }
    // The YAML scanner is quadratic in flow nesting (`[[[[...`) before its own recursion limit
    // applies: 100,000 brackets take minutes. Counted naively (brackets in strings count too), which
    // can only refuse a block the parser would refuse anyway or one no real card has.
    if flow_depth(block) > MAX_FLOW_DEPTH {
        return Err(FrontMatterError(format!(
            "the README front matter nests lists or mappings more than {MAX_FLOW_DEPTH} deep"
        )));
    }
    // Lone CR line ends are valid for the block finder but not for every YAML parser.
    let normalised;
    let block = if block.contains('\r') {
        normalised = block.replace("\r\n", "\n").replace('\r', "\n");
        normalised.as_str()
    } else {
        block
    };
    let yaml: serde_yaml::Value = serde_yaml::from_str(block)
        .map_err(|e| FrontMatterError(format!("invalid YAML in the README front matter: {e}")))?;
    match yaml_to_json(yaml)? {
        Value::Object(m) => Ok(m),
        Value::Null => Ok(Map::new()),
        other => Err(FrontMatterError(format!(
            "the README front matter is a {}, not a mapping of fields",
            json_type(&other)
        ))),
    }
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "list",
        Value::Object(_) => "mapping",
    }
}

/// YAML to JSON, the way the Hub mirrors front matter into `cardData`: scalar keys are written
/// out, tags dropped, non-finite floats become null. A list or mapping used as a key is refused: no
/// card field is keyed that way, and writing nested keys out as text grows exponentially with depth
/// (each level escapes the one inside it; found by the `front_matter` fuzz target).
fn yaml_to_json(v: serde_yaml::Value) -> Result<Value, FrontMatterError> {
    use serde_yaml::Value as Y;
    Ok(match v {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(b),
        Y::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::from(i)
            } else if let Some(u) = n.as_u64() {
                Value::from(u)
            } else {
                n.as_f64()
                    .and_then(serde_json::Number::from_f64)
                    .map_or(Value::Null, Value::Number)
            }
        }
        Y::String(s) => Value::String(s),
        Y::Sequence(items) => Value::Array(
            items
                .into_iter()
                .map(yaml_to_json)
                .collect::<Result<_, _>>()?,
        ),
        Y::Mapping(m) => {
            let mut out = Map::new();
            for (k, v) in m {
                let key = match yaml_to_json(scalar_key(k)?)? {
                    Value::String(s) => s,
                    Value::Null => "null".to_string(),
                    other => other.to_string(),
                };
                out.insert(key, yaml_to_json(v)?);
            }
            Value::Object(out)
        }
        Y::Tagged(t) => yaml_to_json(t.value)?,
    })
}

/// A mapping key with its tags removed, if it is a scalar.
fn scalar_key(key: serde_yaml::Value) -> Result<serde_yaml::Value, FrontMatterError> {
    use serde_yaml::Value as Y;
    match key {
        Y::Tagged(t) => scalar_key(t.value),
        Y::Sequence(_) | Y::Mapping(_) => Err(FrontMatterError(
            "the README front matter uses a list or mapping as a key".to_string(),
        )),
        scalar => Ok(scalar),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn card(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn nested_mapping_keys_are_refused_not_written_out_exponentially() {
        // The `front_matter` fuzz target's input (a 2 GiB allocation before the fix): 32 mappings
        // each used as the key of the next, with invalid UTF-8 replaced, after a CR-only fence.
        let input = format!(
            "---\r{}mmunit\u{fffd}\u{fffd}\u{fffd}\u{fffd}{}\n---\rfe:",
            "{".repeat(32),
            "}".repeat(32)
        );
        let err = parse_readme(&input).unwrap_err();
        assert!(
            err.to_string().contains("list or mapping as a key"),
            "{err}"
        );
        // A list as key too; scalar keys of every type are still written out.
        let err = parse_readme("---\n? [a, b]\n: x\n---\n").unwrap_err();
        assert!(err.to_string().contains("as a key"), "{err}");
        let card = parse_readme("---\n1: one\ntrue: yes\n~: none\n!tag k: v\n---\n").unwrap();
        let keys: Vec<&str> = card.keys().map(String::as_str).collect();
        assert_eq!(keys, ["1", "k", "null", "true"]);
    }

    #[test]
    fn license_string_or_list_and_other_with_name_and_link() {
        let hub = HubFacts::default();
        let d = declared(&card(json!({"license": "apache-2.0"})), &hub);
        assert_eq!(d.license, vec!["apache-2.0"]);
        let d = declared(
            &card(json!({"license": ["cc-by-nc-4.0", "cc-by-sa-3.0"]})),
            &hub,
        );
        assert_eq!(d.license, vec!["cc-by-nc-4.0", "cc-by-sa-3.0"]);
        let d = declared(
            &card(
                json!({"license": "other", "license_name": "tongyi-qianwen", "license_link": "LICENSE"}),
            ),
            &hub,
        );
        assert_eq!(d.license, vec!["other"]);
        assert_eq!(d.license_name.as_deref(), Some("tongyi-qianwen"));
        assert_eq!(d.license_link.as_deref(), Some("LICENSE"));
        let d = declared(&card(json!({"license": null, "license_name": 3.0})), &hub);
        assert!(d.license.is_empty());
        assert_eq!(d.license_name.as_deref(), Some("3.0"));
        let d = declared(
            &card(json!({"license": {"weird": 1}, "license_details": "ask us"})),
            &hub,
        );
        assert!(d.license.is_empty());
        assert_eq!(d.license_name.as_deref(), Some("ask us"));
    }

    #[test]
    fn license_tags_stand_in_for_a_missing_card_license() {
        let hub =
            HubFacts::from_api(&json!({"tags": ["transformers", "license:llama2", "region:us"]}));
        assert_eq!(declared(&card(json!({})), &hub).license, vec!["llama2"]);
        // The card wins when it says anything about its license.
        let d = declared(&card(json!({"license": "mit"})), &hub);
        assert_eq!(d.license, vec!["mit"]);
        let d = declared(&card(json!({"license_name": "my-license"})), &hub);
        assert!(d.license.is_empty());
    }

    #[test]
    fn hub_dates_are_kept_and_normalised_or_dropped() {
        // The recorded answer for google-bert/bert-base-uncased (hub-api.md §3.2).
        let f = HubFacts::from_api(&json!({
            "lastModified": "2024-02-19T11:06:12.000Z",
            "createdAt": "2022-03-02T23:29:04.000Z",
        }));
        assert_eq!(f.last_modified.as_deref(), Some("2024-02-19T11:06:12.000Z"));
        assert_eq!(f.created_at.as_deref(), Some("2022-03-02T23:29:04.000Z"));
        assert_eq!(
            f.last_modified.as_deref().and_then(hub_time).as_deref(),
            Some("2024-02-19T11:06:12Z")
        );
        assert_eq!(
            hub_time("2024-02-19T11:06:12+00:00").as_deref(),
            Some("2024-02-19T11:06:12Z")
        );
        assert_eq!(
            hub_time("2024-02-19T11:06:12Z").as_deref(),
            Some("2024-02-19T11:06:12Z")
        );
        for bad in [
            "",
            "2024-02-19",
            "2024-02-19T11:06:12",
            "2024-02-19T11:06:12+02:00",
            "2024-13-19T11:06:12Z",
            "2024-02-19T25:06:12Z",
            "2024-02-19T11:06:12.000Z\n<script>",
            "２０２４-02-19T11:06:12Z",
            "2024-02-19T11:06:12.Z9",
        ] {
            assert_eq!(hub_time(bad), None, "{bad:?}");
        }
        let f = HubFacts::from_api(&json!({"lastModified": 17, "createdAt": ["x"]}));
        assert_eq!((f.last_modified, f.created_at), (None, None));
    }

    #[test]
    fn base_model_string_list_and_fallbacks() {
        let hub = HubFacts::from_api(&json!({
            "baseModels": {"relation": "adapter", "models": [{"_id": "x", "id": "hub/base"}]},
            "tags": ["base_model:tag/base", "base_model:quantized:tag/base", "dataset:d/one"],
        }));
        assert_eq!(hub.relation, Some(Relation::Adapter));
        assert_eq!(hub.base_models, vec!["hub/base"]);
        assert_eq!(hub.tag_bases, vec!["tag/base"]);
        assert_eq!(hub.tag_datasets, vec!["d/one"]);

        let d = declared(
            &card(json!({"base_model": "card/base", "base_model_relation": "quantized"})),
            &hub,
        );
        assert_eq!(d.base_model, vec!["card/base"]);
        assert_eq!(d.base_model_relation.as_deref(), Some("quantized"));
        let d = declared(&card(json!({"base_model": ["a/x", "a/y"]})), &hub);
        assert_eq!(d.base_model, vec!["a/x", "a/y"]);
        // No base_model in the card: baseModels, then tags.
        let d = declared(&card(json!({})), &hub);
        assert_eq!(d.base_model, vec!["hub/base"]);
        assert_eq!(d.datasets, vec!["d/one"]);
        let tags_only =
            HubFacts::from_api(&json!({"tags": ["base_model:finetune:t/b", "base_model:t/b"]}));
        assert_eq!(tags_only.relation, Some(Relation::Finetune));
        assert_eq!(
            declared(&card(json!({})), &tags_only).base_model,
            vec!["t/b"]
        );
        // Legacy field.
        let d = declared(
            &card(json!({"finetuned_from": "old/base"})),
            &HubFacts::default(),
        );
        assert_eq!(d.base_model, vec!["old/base"]);
    }

    #[test]
    fn hub_facts_tolerate_odd_shapes() {
        let f = HubFacts::from_api(&json!({
            "baseModels": ["a/b", 3],
            "gated": "manual",
            "disabled": "yes",
            "sha": 12,
            "cardData": "not an object",
            "tags": "not a list"
        }));
        assert_eq!(f.base_models, vec!["a/b"]);
        assert!(f.gated && !f.disabled);
        assert!(f.sha.is_none() && f.card_data.is_none());
        let f = HubFacts::from_api(&json!(null));
        assert_eq!(f, HubFacts::default());
        let f = HubFacts::from_api(
            &json!({"gated": false, "baseModels": {"relation": 5, "models": "x"}}),
        );
        assert!(!f.gated && f.relation.is_none() && f.base_models.is_empty());
    }

    #[test]
    fn datasets_and_source_datasets() {
        let d = declared(
            &card(
                json!({"datasets": "tatsu-lab/alpaca", "source_datasets": ["original", "extended|glue"]}),
            ),
            &HubFacts::default(),
        );
        assert_eq!(d.datasets, vec!["tatsu-lab/alpaca"]);
        assert_eq!(d.source_datasets, vec!["original", "extended|glue"]);
        let d = declared(
            &card(json!({"datasets": [2023, "", "a/b", "a/b"]})),
            &HubFacts::default(),
        );
        assert_eq!(d.datasets, vec!["2023", "a/b"]);
    }

    #[test]
    fn front_matter_variants() {
        let m = parse_readme("---\nlicense: mit\nbase_model: a/b\n---\n# Title\n").unwrap();
        assert_eq!(m["license"], "mit");
        let m =
            parse_readme("\u{feff}  \n---\r\nlicense: mit\r\ndatasets:\r\n- x/y\r\n---\r\nbody")
                .unwrap();
        assert_eq!(m["datasets"], json!(["x/y"]));
        let m = parse_readme("---\rlicense: mit\r---\r").unwrap();
        assert_eq!(m["license"], "mit");
        let m = parse_readme("---\nlicense: mit\n---").unwrap();
        assert_eq!(m["license"], "mit");
        let m = parse_readme("---\nlicense: mit\n---   \nmore\n---\n").unwrap();
        assert_eq!(m.len(), 1);
        assert!(parse_readme("# No metadata\n\n---\n").unwrap().is_empty());
        assert!(parse_readme("").unwrap().is_empty());
        assert!(parse_readme("---\n---\n").unwrap().is_empty());
        assert!(parse_readme("----\nlicense: mit\n").unwrap().is_empty());
        let m = parse_readme("---\n1: one\ntrue: yes\nx: !!str 5\nf: .nan\n---\n").unwrap();
        assert_eq!(m["1"], "one");
        assert_eq!(m["x"], "5");
        assert_eq!(m["f"], Value::Null);
    }

    #[test]
    fn broken_front_matter_is_an_error_not_a_panic() {
        for bad in [
            "---\nlicense: [mit\n---\n",
            "---\nlicense: mit\n  base_model: x\n---\n",
            "---\n- a\n- b\n---\n",
            "---\njust text\n---\n",
            "---\nlicense: mit\nno closing line\n",
            "---\na: 1\na: 2\n---\n",
            "---\n\t- tab\n---\n",
        ] {
            assert!(parse_readme(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        // A cheap deterministic fuzz over prefixes of tricky text.
        let samples = [
            "---\n---\r\n\r---",
            "---\r\n\r\n---\r",
            "\u{feff}---\n\u{0}: \u{ffff}\n---\n",
            "---\nkey: &a [*a]\n---\n",
            "---\n? [a, b]\n: c\n---\n",
        ];
        for s in samples {
            for end in 0..=s.len() {
                if s.is_char_boundary(end) {
                    let _ = parse_readme(&s[..end]);
                }
            }
        }
    }
}
