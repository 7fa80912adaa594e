//! The license knowledge base (a reviewed TOML table) and the normaliser from card fields to entries.

use crate::graph::Declared;
use crate::terms::Term;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use thiserror::Error;

const BUILTIN: &str = include_str!("../data/licenses.toml");

/// One license as the knowledge base knows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LicenseEntry {
    /// The Hub identifier, or our own id for licenses the Hub only knows as `other`.
    pub id: String,
    /// Full name.
    pub name: String,
    /// SPDX identifier, or `LicenseRef-<id>`.
    pub spdx: String,
    /// Where the license text lives.
    pub url: String,
    /// Versions of one license share a family (`llama`), used to spot version mismatches.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family: Option<String>,
    /// Other spellings seen in `license` and `license_name`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    /// `license_link` URLs (without scheme) that identify this text.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<String>,
    /// Licenses that satisfy this license's share-alike duty besides itself.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub compatible: Vec<String>,
    /// Where the entry was read from, and when.
    pub source: String,
    /// What the license attaches to the work and its derivatives.
    #[serde(default)]
    pub terms: Vec<Term>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KbFile {
    #[serde(default)]
    license: Vec<LicenseEntry>,
}

/// Why a knowledge-base file could not be used.
#[derive(Debug, Error)]
pub enum KbError {
    /// The TOML did not parse or did not match the entry format.
    #[error("{origin}: {source}")]
    Parse {
        /// The file (or `built-in`).
        origin: String,
        /// The TOML error, with line and column.
        source: toml::de::Error,
    },
    /// Two entries share an id or alias.
    #[error("{origin}: {what} {name:?} appears in both {first:?} and {second:?}")]
    Duplicate {
        /// The file (or `built-in`).
        origin: String,
        /// `id` or `alias`.
        what: &'static str,
        /// The duplicated (normalised) name.
        name: String,
        /// The first entry that has it.
        first: String,
        /// The second entry that has it.
        second: String,
    },
}

/// The resolved license of a card: the entries it names and what could not be placed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct LicenseMatch {
    /// Knowledge-base ids, in the order the card names them.
    pub ids: Vec<String>,
    /// Raw strings that matched nothing (kept verbatim for the reasons).
    pub unresolved: Vec<String>,
}

impl LicenseMatch {
    /// Whether nothing was declared at all.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty() && self.unresolved.is_empty()
    }
}

/// What a free-form license string or link names in the knowledge base.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lookup<'k> {
    /// Exactly one entry.
    Found(&'k LicenseEntry),
    /// A spelling or link that several entries share: naming one would be a guess.
    Ambiguous(&'k [usize]),
    /// Nothing.
    Missing,
}

/// Entries that share one lookup key (a squashed spelling or a link). More than one means the key
/// is ambiguous and resolves to none of them.
type Slot = Vec<usize>;

/// The reviewed table of licenses and their terms, with lookups by id, alias and link.
#[derive(Clone, Debug)]
pub struct KnowledgeBase {
    entries: Vec<LicenseEntry>,
    by_key: HashMap<String, usize>,
    by_squashed: HashMap<String, Slot>,
    by_link: HashMap<String, Slot>,
    /// The output terms table (`data/outputs.toml`), read for `generated-by` edges.
    outputs: crate::outputs::Outputs,
}

impl KnowledgeBase {
    /// The knowledge base compiled into lineage.
    pub fn builtin() -> KnowledgeBase {
        KnowledgeBase::from_toml(BUILTIN, "built-in").expect("the built-in knowledge base is valid")
    }

    /// Parses a knowledge base from TOML (`[[license]]` entries), checking ids and aliases are unique.
    pub fn from_toml(text: &str, origin: &str) -> Result<KnowledgeBase, KbError> {
        let file: KbFile = toml::from_str(text).map_err(|source| KbError::Parse {
            origin: origin.to_string(),
            source,
        })?;
        let mut kb = KnowledgeBase {
            entries: Vec::new(),
            by_key: HashMap::new(),
            by_squashed: HashMap::new(),
            by_link: HashMap::new(),
            outputs: crate::outputs::Outputs::builtin(),
        };
        for e in file.license {
            kb.insert(e, origin, false)?;
        }
        Ok(kb)
    }

    /// Adds the entries of a user's TOML file; an entry with an existing id replaces it.
    pub fn extend_from_toml(&mut self, text: &str, origin: &str) -> Result<(), KbError> {
        let file: KbFile = toml::from_str(text).map_err(|source| KbError::Parse {
            origin: origin.to_string(),
            source,
        })?;
        for e in file.license {
            self.insert(e, origin, true)?;
        }
        Ok(())
    }

    fn insert(&mut self, entry: LicenseEntry, origin: &str, replace: bool) -> Result<(), KbError> {
        let id_key = normalise(&entry.id);
        let slot = match self.by_key.get(&id_key) {
            Some(&i) if replace && self.entries[i].id == entry.id => {
                self.entries[i] = entry;
                self.reindex();
                return Ok(());
            }
            Some(&i) => {
                return Err(KbError::Duplicate {
                    origin: origin.to_string(),
                    what: "id",
                    name: id_key,
                    first: self.entries[i].id.clone(),
                    second: entry.id,
                })
            }
            None => self.entries.len(),
        };
        for alias in &entry.aliases {
            let k = normalise(alias);
            if let Some(&i) = self.by_key.get(&k) {
                return Err(KbError::Duplicate {
                    origin: origin.to_string(),
                    what: "alias",
                    name: k,
                    first: self.entries[i].id.clone(),
                    second: entry.id,
                });
            }
        }
        self.entries.push(entry);
        self.index_entry(slot);
        Ok(())
    }

    fn reindex(&mut self) {
        self.by_key.clear();
        self.by_squashed.clear();
        self.by_link.clear();
        for i in 0..self.entries.len() {
            self.index_entry(i);
        }
    }

    fn index_entry(&mut self, i: usize) {
        let e = &self.entries[i];
        for name in std::iter::once(&e.id).chain(&e.aliases) {
            self.by_key.insert(normalise(name), i);
            // A squashed spelling shared by two entries is ambiguous: both are kept, neither wins.
            add_to_slot(&mut self.by_squashed, squash(name), i);
        }
        for link in e.links.iter().chain(std::iter::once(&e.url)) {
            if let Some(k) = link_key(link) {
                add_to_slot(&mut self.by_link, k, i);
            }
        }
    }

    /// The ids of entries by their index, for naming the candidates of an ambiguous key.
    pub fn ids_of(&self, indices: &[usize]) -> Vec<&str> {
        indices
            .iter()
            .filter_map(|&i| self.entries.get(i))
            .map(|e| e.id.as_str())
            .collect()
    }

    fn slot<'k>(&'k self, slot: Option<&'k Slot>) -> Lookup<'k> {
        match slot.map(Vec::as_slice) {
            None | Some([]) => Lookup::Missing,
            Some([i]) => Lookup::Found(&self.entries[*i]),
            Some(many) => Lookup::Ambiguous(many),
        }
    }

    /// The output terms table: what binds data written by a model or a hosted service.
    pub fn outputs(&self) -> &crate::outputs::Outputs {
        &self.outputs
    }

    /// Every entry, in file order.
    pub fn entries(&self) -> &[LicenseEntry] {
        &self.entries
    }

    /// The entry with exactly this id.
    pub fn get(&self, id: &str) -> Option<&LicenseEntry> {
        self.by_key
            .get(&normalise(id))
            .map(|&i| &self.entries[i])
            .filter(|e| e.id == id)
    }

    /// Finds the entry a free-form license string names (id, alias, or a spelling variant of one);
    /// `None` when it names nothing or several entries.
    pub fn lookup(&self, raw: &str) -> Option<&LicenseEntry> {
        match self.find(raw) {
            Lookup::Found(e) => Some(e),
            Lookup::Ambiguous(_) | Lookup::Missing => None,
        }
    }

    /// What a free-form license string names: an exact id or alias first, then a spelling variant,
    /// then a link. A variant or link shared by several entries is [`Lookup::Ambiguous`].
    pub fn find(&self, raw: &str) -> Lookup<'_> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Lookup::Missing;
        }
        if let Some(&i) = self.by_key.get(&normalise(raw)) {
            return Lookup::Found(&self.entries[i]);
        }
        match self.slot(self.by_squashed.get(&squash(raw))) {
            Lookup::Missing => self.find_link(raw),
            found => found,
        }
    }

    /// What a `license_link` URL identifies.
    pub fn find_link(&self, link: &str) -> Lookup<'_> {
        match link_key(link) {
            Some(k) => self.slot(self.by_link.get(&k)),
            None => Lookup::Missing,
        }
    }

    /// Resolves what a card declares to knowledge-base entries.
    ///
    /// Each `license` value is looked up; `other` (or a missing `license`) defers to `license_name`, then
    /// to `license_link`. Whatever cannot be placed is kept raw in `unresolved`, never guessed.
    pub fn resolve(&self, d: &Declared) -> LicenseMatch {
        let mut m = LicenseMatch::default();
        let mut wants_other =
            d.license.is_empty() && (d.license_name.is_some() || d.license_link.is_some());
        for raw in &d.license {
            let key = normalise(raw);
            if key == "other" || key.is_empty() {
                wants_other = true;
                continue;
            }
            match self.find(raw) {
                Lookup::Found(e) if e.id == "other" => wants_other = true,
                Lookup::Found(e) => push_unique(&mut m.ids, &e.id),
                Lookup::Ambiguous(c) => m.unresolved.push(format!(
                    "{raw} (ambiguous: it could be any of {})",
                    self.ids_of(c).join(", ")
                )),
                Lookup::Missing => m.unresolved.push(raw.clone()),
            }
        }
        if wants_other {
            let by_name = d
                .license_name
                .as_deref()
                .map_or(Lookup::Missing, |n| self.find(n));
            let by_link = || {
                d.license_link
                    .as_deref()
                    .map_or(Lookup::Missing, |l| self.find_link(l))
            };
            // A name that names nothing defers to the link; an ambiguous name does not (the link
            // cannot say which of the candidates the author meant more reliably than the name).
            let found = match by_name {
                Lookup::Missing => by_link(),
                other => other,
            };
            match found {
                Lookup::Found(e) if e.id != "other" => push_unique(&mut m.ids, &e.id),
                found => {
                    let mut raw = match (&d.license_name, &d.license_link) {
                        (Some(n), Some(l)) => {
                            format!("other (license_name {n:?}, license_link {l:?})")
                        }
                        (Some(n), None) => format!("other (license_name {n:?})"),
                        (None, Some(l)) => format!("other (license_link {l:?})"),
                        (None, None) => "other (no license_name or license_link)".to_string(),
                    };
                    if let Lookup::Ambiguous(c) = found {
                        raw.push_str(&format!(
                            ", ambiguous: it could be any of {}",
                            self.ids_of(c).join(", ")
                        ));
                    }
                    m.unresolved.push(raw);
                }
            }
        }
        m
    }

    /// The terms a resolved license attaches: the union of its entries' terms, plus `unknown` for
    /// every unresolved string.
    pub fn terms_of(&self, m: &LicenseMatch) -> Vec<Term> {
        let mut out: Vec<Term> = Vec::new();
        for id in &m.ids {
            if let Some(e) = self.get(id) {
                for t in &e.terms {
                    if !out.contains(t) {
                        out.push(t.clone());
                    }
                }
            }
        }
        for raw in &m.unresolved {
            out.push(Term::unknown(format!(
                "license {raw} is not in the knowledge base"
            )));
        }
        out
    }

    /// Whether `declared` satisfies a share-alike duty to carry `required`.
    pub fn satisfies_share_alike(&self, required: &str, declared: &[String]) -> bool {
        let compatible = self
            .get(required)
            .map(|e| e.compatible.as_slice())
            .unwrap_or(&[]);
        declared
            .iter()
            .any(|d| d == required || compatible.iter().any(|c| c == d))
    }
}

fn add_to_slot(index: &mut HashMap<String, Slot>, key: String, i: usize) {
    let slot = index.entry(key).or_default();
    if !slot.contains(&i) {
        slot.push(i);
    }
}

fn push_unique(v: &mut Vec<String>, s: &str) {
    if !v.iter().any(|x| x == s) {
        v.push(s.to_string());
    }
}

/// Lower case, trimmed; spaces and underscores become `-`, runs of `-` collapse.
pub fn normalise(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.trim().chars() {
        let c = match c {
            // Every kind of whitespace, so that normalising twice changes nothing (found by fuzzing:
            // `x\n-` once kept its newline, which the second pass trimmed).
            c if c.is_whitespace() || c == '_' => '-',
            c => c.to_ascii_lowercase(),
        };
        if c == '-' && out.ends_with('-') {
            continue;
        }
        out.push(c);
    }
    out.trim_matches('-').to_string()
}

/// Letters, digits, dots and pluses only, lower case, without the noise words `license`/`the`/`agreement`.
fn squash(s: &str) -> String {
    // Joining words is lenient; a control character or a replaced invalid byte (U+FFFD) inside the
    // text means it is not a spelling of a license name at all.
    if s.chars().any(|c| c.is_control() || c == '\u{fffd}') {
        return String::new();
    }
    let lower = s.to_ascii_lowercase();
    let mut words: Vec<String> = lower
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '+'))
        .filter(|w| !w.is_empty())
        .map(|w| w.trim_end_matches('.').to_string())
        .collect();
    words.retain(|w| {
        !matches!(
            w.as_str(),
            "license" | "licence" | "the" | "agreement" | "v"
        )
    });
    words.concat()
}

/// A URL reduced to host and path: no scheme, no `www.`, no query, no trailing slash, lower case.
fn link_key(link: &str) -> Option<String> {
    let l = link.trim().to_ascii_lowercase();
    let l = l
        .strip_prefix("https://")
        .or_else(|| l.strip_prefix("http://"))
        .unwrap_or(&l);
    let l = l.strip_prefix("www.").unwrap_or(l);
    let l = l.split(['?', '#']).next().unwrap_or("");
    let l = l.trim_end_matches('/');
    // A bare file name such as `LICENSE` says nothing about which license it is.
    if !l.contains('/') || !l.split('/').next().is_some_and(|h| h.contains('.')) {
        return None;
    }
    Some(l.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn declared(license: &[&str]) -> Declared {
        Declared {
            license: license.iter().map(|s| s.to_string()).collect(),
            ..Declared::default()
        }
    }

    #[test]
    fn normalises_spelling_variants() {
        let kb = KnowledgeBase::builtin();
        for raw in [
            "Apache 2.0",
            "apache",
            "APACHE-2.0",
            "apache_2.0",
            "Apache License 2.0",
        ] {
            assert_eq!(
                kb.lookup(raw).map(|e| e.id.as_str()),
                Some("apache-2.0"),
                "{raw}"
            );
        }
        for raw in ["CC-BY-NC-4.0", "cc by-nc 4.0", "cc_by_nc_4.0"] {
            assert_eq!(
                kb.lookup(raw).map(|e| e.id.as_str()),
                Some("cc-by-nc-4.0"),
                "{raw}"
            );
        }
        assert_eq!(
            kb.lookup("llama-2-community-license")
                .map(|e| e.id.as_str()),
            Some("llama2")
        );
    }

    #[test]
    fn a_key_several_entries_share_resolves_to_none_of_them() {
        let kb = KnowledgeBase::builtin();
        // Every squashed spelling and link key: one entry, or ambiguous naming all that share it.
        let mut owners: HashMap<String, Vec<&str>> = HashMap::new();
        for e in kb.entries() {
            let names = std::iter::once(&e.id).chain(&e.aliases);
            let keys = names.map(|n| format!("name {}", squash(n))).chain(
                e.links
                    .iter()
                    .chain(std::iter::once(&e.url))
                    .filter_map(|l| link_key(l))
                    .map(|k| format!("link {k}")),
            );
            for k in keys {
                let v = owners.entry(k).or_default();
                if !v.contains(&e.id.as_str()) {
                    v.push(&e.id);
                }
            }
        }
        let mut shared = 0;
        for (key, ids) in &owners {
            let (kind, k) = key.split_once(' ').unwrap();
            let slot = match kind {
                "name" => kb.slot(kb.by_squashed.get(k)),
                _ => kb.slot(kb.by_link.get(k)),
            };
            match (ids.as_slice(), slot) {
                ([one], Lookup::Found(e)) => assert_eq!(e.id, *one, "{key}"),
                (many, Lookup::Ambiguous(c)) if many.len() > 1 => {
                    shared += 1;
                    let mut got = kb.ids_of(c);
                    got.sort_unstable();
                    let mut want = many.to_vec();
                    want.sort_unstable();
                    assert_eq!(got, want, "{key}");
                }
                (ids, slot) => panic!("{key} is owned by {ids:?} but resolves to {slot:?}"),
            }
        }
        assert!(
            shared > 0,
            "the built-in base has shared links (the Hub docs page, gpl/lgpl)"
        );
    }

    #[test]
    fn an_ambiguous_link_is_unknown_naming_the_candidates() {
        let kb = KnowledgeBase::builtin();
        let link = "https://huggingface.co/docs/hub/repositories-licenses";
        assert!(matches!(kb.find_link(link), Lookup::Ambiguous(c) if c.len() > 1));
        let d = Declared {
            license: vec!["other".into()],
            license_link: Some(link.into()),
            ..Declared::default()
        };
        let m = kb.resolve(&d);
        assert!(m.ids.is_empty(), "{m:?}");
        assert_eq!(m.unresolved.len(), 1);
        assert!(m.unresolved[0].contains("ambiguous"), "{m:?}");
        let terms = kb.terms_of(&m);
        assert!(
            terms.iter().all(|t| matches!(t, Term::Unknown { .. })),
            "{terms:?}"
        );
    }

    #[test]
    fn other_defers_to_name_then_link() {
        let kb = KnowledgeBase::builtin();
        let d = Declared {
            license: vec!["other".into()],
            license_name: Some("tongyi-qianwen-license-agreement".into()),
            ..Declared::default()
        };
        assert_eq!(kb.resolve(&d).ids, vec!["tongyi-qianwen"]);
        let d = Declared {
            license: vec!["other".into()],
            license_name: Some("my-own-license".into()),
            license_link: Some("https://ai.meta.com/llama/license/".into()),
            ..Declared::default()
        };
        assert_eq!(kb.resolve(&d).ids, vec!["llama2"]);
    }

    #[test]
    fn garbage_is_unknown_and_kept_raw() {
        let kb = KnowledgeBase::builtin();
        let m = kb.resolve(&declared(&["do whatever you like (ask me)"]));
        assert!(m.ids.is_empty());
        assert_eq!(m.unresolved, vec!["do whatever you like (ask me)"]);
        let terms = kb.terms_of(&m);
        assert!(matches!(terms.as_slice(), [Term::Unknown { .. }]));
        let m = kb.resolve(&declared(&["other"]));
        assert_eq!(m.unresolved.len(), 1);
        assert!(matches!(kb.terms_of(&m).as_slice(), [Term::Unknown { .. }]));
        // A link to a file in the repo says nothing.
        let d = Declared {
            license: vec!["other".into()],
            license_link: Some("LICENSE".into()),
            ..Declared::default()
        };
        assert!(kb.resolve(&d).ids.is_empty());
    }

    #[test]
    fn lists_take_every_license() {
        let kb = KnowledgeBase::builtin();
        let m = kb.resolve(&declared(&["mit", "cc-by-nc-4.0"]));
        assert_eq!(m.ids, vec!["mit", "cc-by-nc-4.0"]);
        assert!(kb.terms_of(&m).contains(&Term::NonCommercial));
    }

    #[test]
    fn unknown_and_other_ids_have_unknown_terms() {
        let kb = KnowledgeBase::builtin();
        for id in ["unknown", "other"] {
            let e = kb.get(id).expect(id);
            assert!(
                e.terms.iter().all(|t| matches!(t, Term::Unknown { .. })) && !e.terms.is_empty()
            );
        }
    }

    /// Every license identifier the Hub accepts (hub-api.md §2) has an entry.
    #[test]
    fn every_hub_identifier_has_an_entry() {
        const HUB_IDS: &[&str] = &[
            "apache-2.0",
            "mit",
            "openrail",
            "bigscience-openrail-m",
            "creativeml-openrail-m",
            "bigscience-bloom-rail-1.0",
            "bigcode-openrail-m",
            "afl-3.0",
            "artistic-2.0",
            "bsl-1.0",
            "bsd",
            "bsd-2-clause",
            "bsd-3-clause",
            "bsd-3-clause-clear",
            "c-uda",
            "cc",
            "cc0-1.0",
            "cc-by-2.0",
            "cc-by-2.5",
            "cc-by-3.0",
            "cc-by-4.0",
            "cc-by-sa-3.0",
            "cc-by-sa-4.0",
            "cc-by-nc-2.0",
            "cc-by-nc-3.0",
            "cc-by-nc-4.0",
            "cc-by-nd-4.0",
            "cc-by-nc-nd-3.0",
            "cc-by-nc-nd-4.0",
            "cc-by-nc-sa-2.0",
            "cc-by-nc-sa-3.0",
            "cc-by-nc-sa-4.0",
            "cdla-sharing-1.0",
            "cdla-permissive-1.0",
            "cdla-permissive-2.0",
            "wtfpl",
            "ecl-2.0",
            "epl-1.0",
            "epl-2.0",
            "etalab-2.0",
            "eupl-1.1",
            "eupl-1.2",
            "agpl-3.0",
            "gfdl",
            "gpl",
            "gpl-2.0",
            "gpl-3.0",
            "lgpl",
            "lgpl-2.1",
            "lgpl-3.0",
            "isc",
            "h-research",
            "intel-research",
            "lppl-1.3c",
            "ms-pl",
            "apple-ascl",
            "apple-amlr",
            "mpl-2.0",
            "odc-by",
            "odbl",
            "openmdw-1.0",
            "openmdw-1.1",
            "osl-3.0",
            "postgresql",
            "ofl-1.1",
            "ncsa",
            "unlicense",
            "zlib",
            "pddl",
            "lgpl-lr",
            "deepfloyd-if-license",
            "fair-noncommercial-research-license",
            "llama2",
            "llama3",
            "llama3.1",
            "llama3.2",
            "llama3.3",
            "llama4",
            "grok2-community",
            "gemma",
            "openrail++",
            "unknown",
            "other",
        ];
        let kb = KnowledgeBase::builtin();
        let missing: Vec<_> = HUB_IDS.iter().filter(|id| kb.get(id).is_none()).collect();
        assert!(missing.is_empty(), "no entry for {missing:?}");
        // The reference table lists 83 identifiers: a duplicate in this list would hide a missing one.
        let unique: std::collections::BTreeSet<&str> = HUB_IDS.iter().copied().collect();
        assert_eq!(
            unique.len(),
            83,
            "the list must name each Hub identifier once"
        );
    }

    #[test]
    fn builtin_has_no_duplicates_and_every_entry_has_a_source() {
        // from_toml rejects duplicate ids and aliases; builtin() would panic.
        let kb = KnowledgeBase::builtin();
        for e in kb.entries() {
            assert!(!e.source.trim().is_empty(), "{} has no source", e.id);
            assert!(!e.name.trim().is_empty(), "{} has no name", e.id);
        }
        let dup = "[[license]]\nid='a'\nname='A'\nspdx='x'\nurl='u'\nsource='s'\n[[license]]\nid='b'\nname='B'\nspdx='x'\nurl='u'\nsource='s'\naliases=['A']\n";
        assert!(matches!(
            KnowledgeBase::from_toml(dup, "t"),
            Err(KbError::Duplicate { what: "alias", .. })
        ));
    }

    #[test]
    fn user_entries_extend_and_override() {
        let mut kb = KnowledgeBase::builtin();
        kb.extend_from_toml(
            "[[license]]\nid='acme-model-license'\nname='ACME'\nspdx='LicenseRef-acme'\nurl='https://acme.example/license'\nsource='legal'\naliases=['acme']\nterms=[{kind='non-commercial'}]\n\n[[license]]\nid='mit'\nname='MIT (reviewed)'\nspdx='MIT'\nurl='u'\nsource='ours'\nterms=[]\n",
            "user.toml",
        )
        .unwrap();
        assert_eq!(kb.lookup("ACME").unwrap().terms, vec![Term::NonCommercial]);
        assert_eq!(kb.get("mit").unwrap().name, "MIT (reviewed)");
        assert!(kb.get("apache-2.0").is_some());
        let bad = kb.extend_from_toml("[[license]]\nid='x'\nbogus=1\n", "user.toml");
        assert!(matches!(bad, Err(KbError::Parse { .. })));
    }

    #[test]
    fn normalise_is_idempotent_on_the_fuzzer_crash_input() {
        let crash: &[u8] = &[
            97, 104, 2, 0, 0, 0, 0, 0, 0, 0, 232, 232, 44, 50, 104, 45, 35, 255, 110, 57, 99, 255,
            46, 48, 44, 109, 105, 99, 99, 45, 255, 255, 255, 255, 255, 98, 111, 116, 104, 76, 114,
            10, 101, 108, 116, 121, 32, 76, 105, 59, 101, 110, 243, 101, 101, 121, 114, 10, 45,
        ];
        let text = String::from_utf8_lossy(crash);
        for s in [
            text.as_ref(),
            "mit\n-",
            "Llama 3.1\r\nCommunity",
            "\u{a0}apache_2.0\u{2003}",
        ] {
            let n = normalise(s);
            assert_eq!(normalise(&n), n, "{s:?}");
        }
        assert_eq!(normalise("Llama 3.1\r\nCommunity"), "llama-3.1-community");
    }
}
