//! Evidence beyond a card's metadata, fetched from the repository: its LICENSE file(s), its README's
//! license section, and file evidence of a quantized copy (issue #10). The recognition itself is pure
//! ([`lineage_core::recognize`]); this module picks the files from `siblings`, fetches them through the
//! cache and turns what it finds into an [`Inference`] that the crawler records on the node.
//!
//! Only files the Hub lists are fetched (never a blind probe), at most [`MAX_LICENSE_FILES`] of them,
//! and only when the card's own license is missing or does not resolve.

use crate::card::{self, HubFacts};
use crate::hub::{Got, Inner};
use crate::observe::Observer;
use lineage_core::recognize::{
    self, builtin_fingerprints, quantized_evidence, readme_license_lines, readme_license_section,
    restriction_hint, Inference, InferredLicense, Recognition, MAX_TEXT_BYTES,
};
use lineage_core::{Declared, KnowledgeBase, NodeKey, Relation, RepoKind};
use serde_json::{Map, Value};
use std::sync::OnceLock;

/// License files fetched per repo at most.
pub const MAX_LICENSE_FILES: usize = 3;

/// The built-in knowledge base, to tell whether a card's license already resolves and to read
/// `License: X` lines. Entries a user adds with `--licenses` are not consulted here.
fn kb() -> &'static KnowledgeBase {
    static KB: OnceLock<KnowledgeBase> = OnceLock::new();
    KB.get_or_init(KnowledgeBase::builtin)
}

/// Infers what the card does not say. Returns nothing when inference is off (`--no-infer`).
pub(crate) async fn infer(
    inner: &Inner,
    key: &NodeKey,
    revision: Option<&str>,
    facts: &HubFacts,
    card: &Map<String, Value>,
    observer: &dyn Observer,
) -> Inference {
    let mut out = Inference::default();
    if !inner.settings.infer {
        return out;
    }
    let declared = card::declared(card, facts);
    out.relation = inferred_relation(key, facts, &declared);
    if !kb().resolve(&declared).ids.is_empty() {
        return out;
    }
    let rev = facts
        .sha
        .clone()
        .or_else(|| revision.map(str::to_string))
        .unwrap_or_else(|| "main".into());
    let candidates = license_files(&facts.files.files, declared.license_link.as_deref(), key);
    if !candidates.is_empty() {
        let mut texts = Vec::new();
        for path in &candidates {
            let got = inner
                .get(&inner.file_url(key, &rev, path), false, observer)
                .await;
            texts.push((path.clone(), file_text(got)));
        }
        from_license_files(&texts, &mut out);
        return out;
    }
    // A quantized copy without a license is its parent under the parent's license: its README
    // body is not worth a request.
    let copy = declared
        .base_model_relation
        .as_deref()
        .and_then(Relation::parse_model_relation)
        .or(facts.relation)
        .or(out.relation.as_ref().map(|r| r.0))
        == Some(Relation::Quantized);
    if copy || declared.has_license() || !facts.files.files.iter().any(|f| f == "README.md") {
        return out;
    }
    if let Got::Ok { body, .. } = inner
        .get(&inner.readme_url(key, &rev), false, observer)
        .await
    {
        if let Ok(text) = String::from_utf8(body) {
            from_readme(&text, &mut out);
        }
    }
    out
}

/// A quantized copy shown by its files, when neither the card nor the Hub states a relation and the
/// card names exactly one base.
fn inferred_relation(
    key: &NodeKey,
    facts: &HubFacts,
    declared: &Declared,
) -> Option<(Relation, String)> {
    if key.kind != RepoKind::Model
        || declared.base_model_relation.is_some()
        || facts.relation.is_some()
        || declared.base_model.len() != 1
    {
        return None;
    }
    quantized_evidence(&facts.files).map(|e| (Relation::Quantized, e))
}

/// The license files among `files`: the one `license_link` names, then `LICENSE`/`LICENCE` with an
/// optional `.md`/`.txt`, and model-license files (`LICENSE-MODEL`, `MODEL_LICENSE*`); top level only.
/// Code-license files (`LICENSE-CODE`) are left out: they do not license the weights.
pub fn license_files(files: &[String], license_link: Option<&str>, key: &NodeKey) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    if let Some(link) = license_link.and_then(|l| repo_path(l, key)) {
        if let Some(f) = files.iter().find(|f| f.eq_ignore_ascii_case(&link)) {
            out.push(f.clone());
        }
    }
    for f in files {
        let lower = f.to_ascii_lowercase();
        if lower.contains('/') || lower.contains("code") {
            continue;
        }
        let stem = lower
            .strip_suffix(".md")
            .or_else(|| lower.strip_suffix(".txt"))
            .unwrap_or(&lower);
        let is_license = matches!(
            stem,
            "license" | "licence" | "license-model" | "licence-model"
        ) || stem.starts_with("model_license")
            || stem.starts_with("model-license");
        if is_license && !out.contains(f) {
            out.push(f.clone());
        }
    }
    out.truncate(MAX_LICENSE_FILES);
    out
}

/// A `license_link` that names a file of this repo: a relative path, or a Hub URL of this repo
/// (`…/{id}/blob/{rev}/PATH`, `…/resolve/…`, `…/raw/…`).
fn repo_path(link: &str, key: &NodeKey) -> Option<String> {
    let link = link.trim();
    if !link.contains("://") {
        let p = link.trim_start_matches("./").trim_start_matches('/');
        return (!p.is_empty() && !p.contains("..")).then(|| p.to_string());
    }
    let marker = format!("/{}/", key.id);
    let (_, rest) = link.split_once(&marker)?;
    let mut parts = rest.splitn(3, '/');
    let verb = parts.next()?;
    let _rev = parts.next()?;
    let path = parts.next()?;
    matches!(verb, "blob" | "resolve" | "raw").then(|| path.to_string())
}

/// A fetched file as text, or why it is not one.
fn file_text(got: Got) -> Result<String, String> {
    match got {
        Got::Ok { body, .. } => {
            if body.len() > MAX_TEXT_BYTES {
                return Err(format!(
                    "{} bytes, too large to be a license text",
                    body.len()
                ));
            }
            match String::from_utf8(body) {
                Ok(t) if !t.contains('\0') => Ok(t),
                _ => Err("not a text file".into()),
            }
        }
        Got::Refused { status, .. } => Err(format!("the Hub answered {status}")),
        Got::Redirect(_) => Err("redirected elsewhere; not followed".into()),
        Got::Failed(why) => Err(why),
    }
}

/// A license from the fetched files: every file must be recognised, and as the same license.
pub fn from_license_files(texts: &[(String, Result<String, String>)], out: &mut Inference) {
    let mut found: Vec<(String, recognize::Score)> = Vec::new();
    let mut complete = true;
    for (path, text) in texts {
        match text {
            Err(why) => {
                complete = false;
                out.hints
                    .push((path.clone(), format!("{path} could not be read: {why}")));
            }
            Ok(t) => match recognize::recognise(t, builtin_fingerprints()) {
                Recognition::Recognised(s) => found.push((path.clone(), s)),
                Recognition::Unrecognised { why, .. } => {
                    complete = false;
                    out.hints
                        .push((path.clone(), format!("{path} not recognised: {why}")));
                }
            },
        }
    }
    let Some((path, first)) = found.first() else {
        return;
    };
    if !complete || found.iter().any(|(_, s)| s.id != first.id) {
        let named: Vec<String> = found
            .iter()
            .map(|(p, s)| format!("{p} is {}", s.name))
            .collect();
        out.hints.push((
            path.clone(),
            format!("the license files do not all agree: {}", named.join("; ")),
        ));
        return;
    }
    out.license = Some(InferredLicense {
        ids: vec![first.id.clone()],
        from: path.clone(),
        message: format!(
            "license recognised from {path} ({}, similarity {:.2})",
            first.name, first.similarity
        ),
    });
}

/// A license from the README body: its license section recognised as a known text, else `License:`
/// lines that all name one knowledge-base entry. A restricting sentence is only a hint.
pub fn from_readme(readme: &str, out: &mut Inference) {
    const FROM: &str = "README.md license section";
    let section = readme_license_section(readme);
    if let Some(s) = &section {
        match recognize::recognise(s, builtin_fingerprints()) {
            Recognition::Recognised(score) => {
                out.license = Some(InferredLicense {
                    ids: vec![score.id.clone()],
                    from: FROM.into(),
                    message: format!(
                        "license recognised from the README's license section ({}, similarity {:.2})",
                        score.name, score.similarity
                    ),
                });
                return;
            }
            Recognition::Unrecognised { best: Some(b), why } if b.similarity >= 0.5 => {
                out.hints.push((FROM.into(), why));
            }
            Recognition::Unrecognised { .. } => {}
        }
    }
    let lines = readme_license_lines(readme);
    let mut ids: Vec<String> = Vec::new();
    let mut all_known = !lines.is_empty();
    for l in &lines {
        match kb()
            .lookup(l)
            .filter(|e| e.id != "other" && e.id != "unknown")
        {
            Some(e) if !ids.contains(&e.id) => ids.push(e.id.clone()),
            Some(_) => {}
            None => all_known = false,
        }
    }
    if all_known && ids.len() == 1 {
        out.license = Some(InferredLicense {
            ids: ids.clone(),
            from: "README.md".into(),
            message: format!(
                "license read from the README's line \"License: {}\" ({})",
                lines[0], ids[0]
            ),
        });
        return;
    }
    if let Some(h) = section.as_deref().and_then(restriction_hint) {
        out.hints.push((FROM.into(), h));
    } else if let Some(s) = &section {
        let first: String = s.chars().take(160).collect();
        out.hints.push((
            FROM.into(),
            format!("the README's license section reads {first:?}"),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LLAMA2: &str = include_str!("../../lineage-core/data/license-texts/llama2.txt");
    const MIT: &str = include_str!("../../lineage-core/data/license-texts/mit.txt");

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn license_files_are_picked_from_siblings_only() {
        let key = NodeKey::model("TheBloke/Llama-2-7B-GPTQ");
        let files = names(&[
            "README.md",
            "LICENSE.txt",
            "LICENSE-CODE",
            "USE_POLICY.md",
            "sub/LICENSE",
            "model.safetensors",
        ]);
        assert_eq!(license_files(&files, None, &key), vec!["LICENSE.txt"]);
        assert_eq!(
            license_files(&names(&["LICENSE-CODE", "LICENSE-MODEL"]), None, &key),
            vec!["LICENSE-MODEL"]
        );
        // license_link naming a repo file, by relative path or by this repo's URL.
        let files = names(&["README.md", "Notice", "llama2-license.md"]);
        assert_eq!(
            license_files(&files, Some("./llama2-license.md"), &key),
            vec!["llama2-license.md"]
        );
        assert_eq!(
            license_files(
                &files,
                Some("https://huggingface.co/TheBloke/Llama-2-7B-GPTQ/blob/main/llama2-license.md"),
                &key
            ),
            vec!["llama2-license.md"]
        );
        // Not listed: never probed.
        assert!(license_files(&names(&["README.md"]), Some("LICENSE"), &key).is_empty());
        assert!(license_files(&files, Some("https://ai.meta.com/llama/license/"), &key).is_empty());
    }

    #[test]
    fn every_license_file_must_agree() {
        let mut out = Inference::default();
        from_license_files(&[("LICENSE".into(), Ok(LLAMA2.into()))], &mut out);
        let l = out.license.expect("recognised");
        assert_eq!(l.ids, vec!["llama2"]);
        assert!(l
            .message
            .starts_with("license recognised from LICENSE (Llama 2"));

        let mut out = Inference::default();
        from_license_files(
            &[
                ("LICENSE".into(), Ok(MIT.into())),
                ("LICENSE-MODEL".into(), Ok(LLAMA2.into())),
            ],
            &mut out,
        );
        assert_eq!(out.license, None);
        assert!(out
            .hints
            .iter()
            .any(|(_, h)| h.contains("do not all agree")));

        let mut out = Inference::default();
        from_license_files(
            &[
                ("LICENSE".into(), Ok(LLAMA2.into())),
                ("LICENSE.md".into(), Err("not a text file".into())),
            ],
            &mut out,
        );
        assert_eq!(
            out.license, None,
            "an unreadable license file leaves it open"
        );
    }

    #[test]
    fn large_binary_and_missing_files_are_not_texts() {
        let big = Got::Ok {
            body: vec![b'a'; 5 * 1024 * 1024],
            next: None,
            stale: None,
        };
        assert!(file_text(big).unwrap_err().contains("too large"));
        let bin = Got::Ok {
            body: vec![0x47, 0x47, 0x55, 0x46, 0, 0, 0xff, 0xfe],
            next: None,
            stale: None,
        };
        assert_eq!(file_text(bin).unwrap_err(), "not a text file");
        let gone = Got::Refused {
            status: 404,
            code: None,
            message: String::new(),
        };
        assert!(file_text(gone).is_err());
    }

    #[test]
    fn readme_license_sections() {
        let mut out = Inference::default();
        from_readme(
            &format!("# M\n\n## License\n\n{MIT}\n## Usage\nx\n"),
            &mut out,
        );
        assert_eq!(out.license.unwrap().ids, vec!["mit"]);

        let mut out = Inference::default();
        from_readme("# M\n\n- **License:** CC BY-NC 4.0\n", &mut out);
        assert_eq!(out.license.unwrap().ids, vec!["cc-by-nc-4.0"]);

        let mut out = Inference::default();
        from_readme(
            "# M\n\n## License\n\nThis model is released under a non-commercial license.\n",
            &mut out,
        );
        assert_eq!(out.license, None, "a sentence is a hint, not a verdict");
        assert!(out.hints[0].1.contains("non-commercial"));

        let mut out = Inference::default();
        from_readme("# M\nLicense: mit\nLicense: apache-2.0\n", &mut out);
        assert_eq!(out.license, None, "two licenses named: no single answer");
    }
}
