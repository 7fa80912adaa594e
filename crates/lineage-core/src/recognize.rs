//! Evidence beyond a card's metadata: license texts recognised against fingerprints of known texts,
//! a README's license section, and a quantized copy recognised from its files.
//!
//! Pure: the Hub crate fetches the files and calls these functions. Recognition fails closed: a text
//! is recognised only when it contains (nearly) every word pair of one known text, adds nothing that
//! speaks of commercial use or restrictions, and beats every other known text by a clear margin.
//! Everything else is at most a hint.

use crate::graph::{Clarification, ClarifySource, Node, Relation, Resolution};
use serde::Deserialize;
use similar::{capture_diff_slices_deadline, Algorithm, DiffOp};
use std::collections::HashMap;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The largest text the recogniser reads; a longer file is not a license text.
pub const MAX_TEXT_BYTES: usize = 256 * 1024;

/// Share of a known text's word pairs the candidate must contain (a clause removed fails it).
pub const MIN_RECALL: f64 = 0.95;
/// Share of the candidate's word pairs that must belong to the known text.
pub const MIN_PRECISION: f64 = 0.90;
/// The longest passage of a known text (in words) that may be missing (typos, renumbering): longer
/// ones are a removed clause.
pub const MAX_MISSING_RUN: usize = 8;
/// How much the best similarity must exceed the runner-up's (another license) to be a verdict.
pub const MIN_MARGIN: f64 = 0.02;

/// Words that, in text the known license does not have, may change what it permits.
const RESTRICTING_WORDS: &[&str] = &[
    "commercial",
    "commercially",
    "noncommercial",
    "research",
    "prohibited",
    "prohibit",
    "prohibits",
    "restrict",
    "restricted",
    "restriction",
    "restrictions",
    "royalty",
    "royalties",
    "fee",
    "fees",
    "revenue",
    "military",
    "evaluation",
    "academic",
];
/// Word pairs with the same effect.
const RESTRICTING_PAIRS: &[(&str, &str)] = &[
    ("may", "not"),
    ("shall", "not"),
    ("must", "not"),
    ("not", "permitted"),
    ("not", "allowed"),
    ("only", "for"),
];

/// The generated fingerprints (see `examples/gen_fingerprints.rs` and `data/license-texts/SOURCES.md`).
const FINGERPRINTS: &str = include_str!("../data/fingerprints.json");

#[derive(Deserialize)]
struct FingerprintFile {
    fingerprints: Vec<FingerprintData>,
}

#[derive(Deserialize)]
struct FingerprintData {
    id: String,
    name: String,
    file: String,
    required: String,
    #[serde(default)]
    optional: String,
}

/// A known license text, normalised into word pairs.
#[derive(Debug)]
pub struct Fingerprint {
    /// The knowledge-base id the text belongs to.
    pub id: String,
    /// The license's name, for reasons.
    pub name: String,
    /// The text file it was built from (under `data/license-texts/`).
    pub file: String,
    /// Words of the text proper, in order (aligned with a candidate's words).
    words: Vec<String>,
    /// Word pairs of the text proper, in order.
    required: Vec<u64>,
    /// Counts of the required pairs.
    required_counts: HashMap<u64, u32>,
    /// Pairs of parts a copy may omit or keep (how-to-apply appendices, preambles).
    optional: HashMap<u64, u32>,
}

impl Fingerprint {
    /// A fingerprint from normalised text: `required` must be present, `optional` may be.
    pub fn new(id: &str, name: &str, file: &str, required: &str, optional: &str) -> Fingerprint {
        let req_tokens: Vec<&str> = required.split_whitespace().collect();
        let opt_tokens: Vec<&str> = optional.split_whitespace().collect();
        let required = pairs(&req_tokens);
        let mut required_counts = HashMap::new();
        for p in &required {
            *required_counts.entry(*p).or_insert(0) += 1;
        }
        let mut optional = HashMap::new();
        for p in pairs(&opt_tokens) {
            *optional.entry(p).or_insert(0) += 1;
        }
        Fingerprint {
            id: id.to_string(),
            name: name.to_string(),
            file: file.to_string(),
            words: req_tokens.iter().map(|s| s.to_string()).collect(),
            required,
            required_counts,
            optional,
        }
    }
}

/// The fingerprints compiled into lineage.
pub fn builtin_fingerprints() -> &'static [Fingerprint] {
    static FPS: OnceLock<Vec<Fingerprint>> = OnceLock::new();
    FPS.get_or_init(|| {
        let file: FingerprintFile =
            serde_json::from_str(FINGERPRINTS).expect("the built-in fingerprints are valid JSON");
        file.fingerprints
            .iter()
            .map(|f| Fingerprint::new(&f.id, &f.name, &f.file, &f.required, &f.optional))
            .collect()
    })
}

/// Normalises a license text into words: copyright lines dropped, lower case, punctuation and
/// whitespace collapsed, `licence` spelled `license`, `&` as `and`.
pub fn normalise_text(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines() {
        let l = line
            .trim_start_matches(|c: char| c.is_whitespace() || c == '#' || c == '*')
            .to_lowercase();
        if l.starts_with("copyright")
            || l.starts_with("(c)")
            || l.starts_with('©')
            || l.starts_with("all rights reserved")
        {
            continue;
        }
        let mut word = String::new();
        let flush = |w: &mut String, out: &mut Vec<String>| {
            if !w.is_empty() {
                let t = match w.as_str() {
                    "licence" => "license".to_string(),
                    "licences" => "licenses".to_string(),
                    "licenced" => "licensed".to_string(),
                    _ => w.clone(),
                };
                out.push(t);
                w.clear();
            }
        };
        for c in l.chars() {
            if c == '&' {
                flush(&mut word, &mut out);
                out.push("and".into());
            } else if c.is_alphanumeric() {
                word.push(c);
            } else {
                flush(&mut word, &mut out);
            }
        }
        flush(&mut word, &mut out);
    }
    out
}

fn pair_hash(a: &str, b: &str) -> u64 {
    // FNV-1a: stable across runs and platforms, unlike the std hasher's random keys.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in a.bytes().chain([0u8]).chain(b.bytes()) {
        h ^= u64::from(byte);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

fn pairs<S: AsRef<str>>(tokens: &[S]) -> Vec<u64> {
    tokens
        .windows(2)
        .map(|w| pair_hash(w[0].as_ref(), w[1].as_ref()))
        .collect()
}

/// How well a text matches one known license text.
#[derive(Clone, Debug, PartialEq)]
pub struct Score {
    /// The knowledge-base id.
    pub id: String,
    /// The license's name.
    pub name: String,
    /// Share of the known text's word pairs found in the candidate.
    pub recall: f64,
    /// Share of the candidate's word pairs that belong to the known text.
    pub precision: f64,
    /// Harmonic mean of recall and precision: the similarity reported.
    pub similarity: f64,
    /// Whether the word alignment ran (only for candidates that share most word pairs).
    pub aligned: bool,
    /// The longest passage of the known text (in words) missing from the candidate.
    pub missing_run: usize,
    /// How many of the candidate's words the alignment finds added to the known text.
    pub unexplained: usize,
    /// Restricting words found in the candidate's text that the known text does not have.
    pub added_restrictions: Vec<String>,
}

impl Score {
    /// Whether this score alone is high enough to be a verdict (before the margin check).
    pub fn passes(&self) -> bool {
        self.recall >= MIN_RECALL
            && self.precision >= MIN_PRECISION
            && self.aligned
            && self.missing_run <= MAX_MISSING_RUN
            && self.added_restrictions.is_empty()
    }

    /// Why the score is not a verdict, for hints.
    fn shortfall(&self) -> String {
        let mut why = Vec::new();
        if self.recall < MIN_RECALL || self.missing_run > MAX_MISSING_RUN {
            why.push("part of the known text is missing".to_string());
        }
        if self.precision < MIN_PRECISION {
            why.push("the file has text the known license does not".to_string());
        }
        if !self.added_restrictions.is_empty() {
            why.push(format!(
                "the file adds wording about {}",
                self.added_restrictions.join(", ")
            ));
        }
        why.join("; ")
    }
}

/// What recognising a text found.
#[derive(Clone, Debug, PartialEq)]
pub enum Recognition {
    /// The text is one known license.
    Recognised(Score),
    /// No verdict; the closest known text, if any came near, as a hint.
    Unrecognised {
        /// Why not.
        why: String,
        /// The closest candidate.
        best: Option<Score>,
    },
}

impl Recognition {
    /// The recognised score, if any.
    pub fn recognised(&self) -> Option<&Score> {
        match self {
            Recognition::Recognised(s) => Some(s),
            Recognition::Unrecognised { .. } => None,
        }
    }
}

/// A normalised candidate text with its word pairs, computed once for every fingerprint.
struct Candidate {
    tokens: Vec<String>,
    pairs: Vec<u64>,
    counts: HashMap<u64, u32>,
}

impl Candidate {
    fn new(tokens: Vec<String>) -> Candidate {
        let pairs = pairs(&tokens);
        let mut counts: HashMap<u64, u32> = HashMap::new();
        for p in &pairs {
            *counts.entry(*p).or_insert(0) += 1;
        }
        Candidate {
            tokens,
            pairs,
            counts,
        }
    }
}

/// Scores a normalised text against one fingerprint.
fn score(c: &Candidate, fp: &Fingerprint) -> Score {
    let (tokens, cand, cand_counts) = (&c.tokens, &c.pairs, &c.counts);
    // Recall: required pairs found (multiset intersection).
    let mut found = 0u64;
    for (p, n) in &fp.required_counts {
        found += u64::from((*n).min(cand_counts.get(p).copied().unwrap_or(0)));
    }
    let recall = if fp.required.is_empty() {
        0.0
    } else {
        found as f64 / fp.required.len() as f64
    };
    // Precision: candidate pairs that the known text (required or optional part) accounts for.
    let mut known = 0u64;
    for (p, n) in cand_counts.iter() {
        let have = fp.required_counts.get(p).copied().unwrap_or(0)
            + fp.optional.get(p).copied().unwrap_or(0);
        known += u64::from((*n).min(have));
    }
    let precision = if cand.is_empty() {
        0.0
    } else {
        known as f64 / cand.len() as f64
    };
    let similarity = if recall + precision == 0.0 {
        0.0
    } else {
        2.0 * recall * precision / (recall + precision)
    };
    let mut out = Score {
        id: fp.id.clone(),
        name: fp.name.clone(),
        recall,
        precision,
        similarity,
        aligned: false,
        missing_run: 0,
        unexplained: 0,
        added_restrictions: Vec::new(),
    };
    if recall >= MIN_RECALL && precision >= MIN_PRECISION {
        align(tokens, fp, &mut out);
    }
    out
}

/// Aligns the candidate's words with the known text's (a word diff) to find removed passages and
/// the words the candidate adds; only run for candidates that already share most word pairs.
fn align(tokens: &[String], fp: &Fingerprint, out: &mut Score) {
    let deadline = Instant::now() + Duration::from_secs(2);
    let ops = capture_diff_slices_deadline(Algorithm::Myers, &fp.words, tokens, Some(deadline));
    let mut added: Vec<std::ops::Range<usize>> = Vec::new();
    for op in ops {
        match op {
            DiffOp::Equal { .. } => {}
            DiffOp::Delete { old_len, .. } => out.missing_run = out.missing_run.max(old_len),
            DiffOp::Insert {
                new_index, new_len, ..
            } => added.push(new_index..new_index + new_len),
            DiffOp::Replace {
                old_len,
                new_index,
                new_len,
                ..
            } => {
                out.missing_run = out.missing_run.max(old_len);
                added.push(new_index..new_index + new_len);
            }
        }
    }
    // Added words that an optional part of the known text (an appendix, a preamble) accounts for are
    // not additions.
    let optional = |i: usize| {
        (i > 0
            && fp
                .optional
                .contains_key(&pair_hash(&tokens[i - 1], &tokens[i])))
            || (i + 1 < tokens.len()
                && fp
                    .optional
                    .contains_key(&pair_hash(&tokens[i], &tokens[i + 1])))
    };
    for range in added {
        for i in range {
            if optional(i) {
                continue;
            }
            out.unexplained += 1;
            let t = &tokens[i];
            let hit = if RESTRICTING_WORDS.contains(&t.as_str()) {
                Some(t.clone())
            } else {
                tokens.get(i + 1).and_then(|next| {
                    RESTRICTING_PAIRS
                        .iter()
                        .any(|(a, b)| a == t && b == next)
                        .then(|| format!("{t} {next}"))
                })
            };
            if let Some(h) = hit {
                if !out.added_restrictions.contains(&h) {
                    out.added_restrictions.push(h);
                }
            }
        }
    }
    out.aligned = true;
}

/// Recognises a license text against `fingerprints`.
///
/// Texts over [`MAX_TEXT_BYTES`], empty texts and texts with NUL bytes are not license texts. A
/// verdict needs a score that [`Score::passes`] and a similarity at least [`MIN_MARGIN`] above every
/// other license's; several fingerprints of one license count as one.
pub fn recognise(text: &str, fingerprints: &[Fingerprint]) -> Recognition {
    let unrecognised = |why: &str| Recognition::Unrecognised {
        why: why.to_string(),
        best: None,
    };
    if text.len() > MAX_TEXT_BYTES {
        return unrecognised("the file is too large to be a license text");
    }
    if text.contains('\0') {
        return unrecognised("the file is binary, not a license text");
    }
    let tokens = normalise_text(text);
    if tokens.len() < 8 {
        return unrecognised("the file has (almost) no text");
    }
    let cand = Candidate::new(tokens);
    let mut scores: Vec<Score> = fingerprints.iter().map(|fp| score(&cand, fp)).collect();
    scores.sort_by(|a, b| b.similarity.total_cmp(&a.similarity));
    let mut best_per_id: Vec<Score> = Vec::new();
    for s in scores {
        if !best_per_id.iter().any(|b| b.id == s.id) {
            best_per_id.push(s);
        }
    }
    let mut it = best_per_id.into_iter();
    let Some(best) = it.next() else {
        return unrecognised("no known license texts to compare with");
    };
    // Only a runner-up that itself qualifies makes the answer ambiguous, and not one that leaves
    // clearly more of the text unexplained (a sentence or a version number the runner-up's text does
    // not have); then the margin decides.
    let runner_up = it.find(|r| r.passes() && r.unexplained < best.unexplained + MAX_MISSING_RUN);
    if !best.passes() {
        return Recognition::Unrecognised {
            why: format!(
                "closest known text is {} (similarity {:.2}) but {}",
                best.name,
                best.similarity,
                best.shortfall()
            ),
            best: Some(best),
        };
    }
    if let Some(r) = runner_up.filter(|r| best.similarity - r.similarity < MIN_MARGIN) {
        return Recognition::Unrecognised {
            why: format!(
                "the text is as close to {} ({:.2}) as to {} ({:.2})",
                best.name, best.similarity, r.name, r.similarity
            ),
            best: Some(best),
        };
    }
    Recognition::Recognised(best)
}

/// The body of a README's license section: a `License`/`Licence`/`Licensing` heading up to the next
/// heading of the same or a higher level. `None` when there is no such heading.
pub fn readme_license_section(readme: &str) -> Option<String> {
    let body = strip_front_matter(readme);
    let mut lines = body.lines();
    let mut level = 0;
    for line in lines.by_ref() {
        if let Some((lv, title)) = heading(line) {
            let t = title
                .trim()
                .trim_matches(['*', '_', ':', ' '])
                .to_lowercase();
            let first = t.split_whitespace().next().unwrap_or("");
            if matches!(first, "license" | "licence" | "licensing" | "licenses") {
                level = lv;
                break;
            }
        }
    }
    if level == 0 {
        return None;
    }
    let mut out = String::new();
    for line in lines {
        if let Some((lv, _)) = heading(line) {
            if lv <= level {
                break;
            }
        }
        out.push_str(line);
        out.push('\n');
    }
    let out = out.trim().to_string();
    (!out.is_empty()).then_some(out)
}

/// `License: X` lines of a README body (also `**License:** X`, `- License: X`), with markdown links
/// and emphasis removed.
pub fn readme_license_lines(readme: &str) -> Vec<String> {
    let body = strip_front_matter(readme);
    let mut out = Vec::new();
    for line in body.lines() {
        let l = line
            .trim()
            .trim_start_matches(['-', '*', '|', '>', ' '])
            .trim_start();
        let plain: String = l
            .chars()
            .filter(|c| !matches!(c, '*' | '_' | '`'))
            .collect();
        let lower = plain.to_ascii_lowercase();
        for prefix in ["license:", "licence:", "model license:"] {
            if let Some(rest) = lower.strip_prefix(prefix) {
                let value = plain[plain.len() - rest.len()..].trim();
                let value = strip_markdown_link(value.trim_matches(['|', ' ']))
                    .trim_end_matches(['.', '|', ' '])
                    .to_string();
                if !value.is_empty() && value.len() <= 80 {
                    out.push(value);
                }
            }
        }
    }
    out
}

/// `[text](url)` → `text`; anything else unchanged.
fn strip_markdown_link(s: &str) -> &str {
    if let Some(rest) = s.strip_prefix('[') {
        if let Some(end) = rest.find("](") {
            return &rest[..end];
        }
    }
    s
}

/// Phrases in a license section that suggest restrictions without being a verdict.
pub fn restriction_hint(section: &str) -> Option<String> {
    let lower = section.to_lowercase();
    [
        "non-commercial",
        "noncommercial",
        "non commercial",
        "research only",
        "research purposes only",
        "research use only",
        "not for commercial",
    ]
    .iter()
    .find(|p| lower.contains(*p))
    .map(|p| format!("the README's license section says {p:?}"))
}

fn strip_front_matter(readme: &str) -> &str {
    let s = readme.trim_start_matches('\u{feff}').trim_start();
    if let Some(after) = s.strip_prefix("---") {
        if let Some(end) = after.find("\n---") {
            let rest = &after[end + 4..];
            return rest.split_once('\n').map(|(_, r)| r).unwrap_or("");
        }
    }
    s
}

fn heading(line: &str) -> Option<(usize, &str)> {
    let t = line.trim_end();
    let hashes = t.len() - t.trim_start_matches('#').len();
    if (1..=6).contains(&hashes) && t[hashes..].starts_with(' ') {
        Some((hashes, &t[hashes..]))
    } else {
        None
    }
}

/// Facts about a repository's files that show what it is.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RepoFiles {
    /// File names (`siblings[].rfilename`).
    pub files: Vec<String>,
    /// `config.quantization_config.quant_method`, when the Hub gave it.
    pub quant_method: Option<String>,
    /// `library_name` and the repo's tags (to tell MLX conversions).
    pub tags: Vec<String>,
}

/// Quantization methods whose weights are a converted copy of the base model.
const QUANT_METHODS: &[&str] = &[
    "gptq",
    "awq",
    "exl2",
    "aqlm",
    "bitsandbytes",
    "hqq",
    "quanto",
    "eetq",
    "fbgemm_fp8",
    "fp8",
    "gguf",
];

/// Whether the files show a quantized (converted) copy, and the evidence. Adapter files rule it out:
/// an adapter is not a copy.
pub fn quantized_evidence(f: &RepoFiles) -> Option<String> {
    let lower: Vec<String> = f.files.iter().map(|s| s.to_lowercase()).collect();
    let base = |s: &str| s.rsplit('/').next().unwrap_or(s).to_string();
    if lower.iter().any(|s| {
        let b = base(s);
        b == "adapter_config.json" || b.starts_with("adapter_model") || b == "adapters.safetensors"
    }) {
        return None;
    }
    if let Some(g) = f.files.iter().find(|s| s.to_lowercase().ends_with(".gguf")) {
        return Some(format!("GGUF weights ({g})"));
    }
    if let Some(m) = f
        .quant_method
        .as_deref()
        .map(str::to_ascii_lowercase)
        .filter(|m| QUANT_METHODS.contains(&m.as_str()))
    {
        return Some(format!(
            "config.json quantization_config.quant_method = {m}"
        ));
    }
    for (file, what) in [
        ("quantize_config.json", "GPTQ quantize_config.json"),
        ("quant_config.json", "AWQ quant_config.json"),
        ("measurement.json", "EXL2 measurement.json"),
    ] {
        if lower.iter().any(|s| base(s) == file) {
            return Some(what.to_string());
        }
    }
    if let Some(e) = f.files.iter().find(|s| s.to_lowercase().ends_with(".exl2")) {
        return Some(format!("EXL2 weights ({e})"));
    }
    let mlx = f.tags.iter().any(|t| t.eq_ignore_ascii_case("mlx"));
    if mlx {
        if let Some(w) = f.files.iter().find(|s| {
            let l = s.to_lowercase();
            l.ends_with(".safetensors") || l.ends_with("weights.npz")
        }) {
            return Some(format!("MLX weights ({w}, library mlx)"));
        }
    }
    None
}

/// A license inferred from the repository's files, not its metadata.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InferredLicense {
    /// Knowledge-base ids.
    pub ids: Vec<String>,
    /// Where it was read (`LICENSE`, `README.md license section`).
    pub from: String,
    /// The sentence for the reasons.
    pub message: String,
}

/// What was inferred about one repository beyond its card; applied after the catalog and the
/// policy, which win over it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Inference {
    /// A license recognised from a file or the README body.
    pub license: Option<InferredLicense>,
    /// The relation to the base models shown by the files, with the evidence.
    pub relation: Option<(Relation, String)>,
    /// Hints that are not verdicts (the closest license text, a "non-commercial" sentence).
    pub hints: Vec<(String, String)>,
}

impl Inference {
    /// Whether nothing was inferred.
    pub fn is_empty(&self) -> bool {
        self.license.is_none() && self.relation.is_none() && self.hints.is_empty()
    }

    /// Records the inferences on a node read from its card, as clarifications with source
    /// [`ClarifySource::Inferred`]; fields the catalog or the policy already set are left alone.
    pub fn apply(&self, node: &mut Node) {
        if self.is_empty() || node.resolution != Resolution::Found {
            return;
        }
        let clarified =
            |node: &Node, field: &str| node.clarifications.iter().any(|c| c.field == field);
        if node.card_declared.is_none() {
            node.card_declared = Some(Box::new(node.declared.clone()));
        }
        if let Some(l) = &self.license {
            if !clarified(node, "license") {
                let card = node.card();
                let replaced = card.has_license().then(|| {
                    let mut parts = card.license.clone();
                    parts.extend(card.license_name.iter().map(|n| format!("name {n:?}")));
                    parts.extend(card.license_link.iter().map(|n| format!("link {n:?}")));
                    parts.join(", ")
                });
                node.clarifications.push(Clarification {
                    field: "license".into(),
                    message: l.message.clone(),
                    source: ClarifySource::Inferred {
                        from: l.from.clone(),
                    },
                    replaced,
                    asserted: l.ids.clone(),
                });
                node.declared.license = l.ids.clone();
                node.declared.license_name = None;
                node.declared.license_link = None;
            }
        }
        if let Some((rel, evidence)) = &self.relation {
            if !clarified(node, "base_model") && node.declared.base_model_relation.is_none() {
                node.clarifications.push(Clarification {
                    field: "base_model_relation".into(),
                    message: format!(
                        "{} is a {rel} copy of {} (relation inferred from {evidence})",
                        node.key.id,
                        node.declared.base_model.join(", ")
                    ),
                    source: ClarifySource::Inferred {
                        from: evidence.clone(),
                    },
                    replaced: None,
                    asserted: vec![rel.as_str().to_string()],
                });
                node.declared.base_model_relation = Some(rel.as_str().to_string());
            }
        }
        for (from, hint) in &self.hints {
            node.clarifications.push(Clarification {
                field: "license_hint".into(),
                message: format!("hint, not a verdict: {hint}"),
                source: ClarifySource::Inferred { from: from.clone() },
                replaced: None,
                asserted: Vec::new(),
            });
        }
    }
}

#[cfg(test)]
mod tests;
