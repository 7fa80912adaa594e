//! Reading `lineage.toml`: parse with spans, then validate every key, collecting all problems.

use super::{Clarify, Exception, Policy, PolicyErrors, PolicyProblem};
use crate::graph::Relation;
use crate::id::{parse_generator_ref, parse_repo_ref, IdError, NodeKey, RepoKind};
use crate::license::KnowledgeBase;
use crate::terms::TermKind;
use crate::verdict::ConflictCode;
use crate::verdict::Verdict;
use std::collections::{BTreeSet, HashMap};
use std::ops::Range;
use toml::de::{DeTable, DeValue};
use toml::Spanned;

const TOP_KEYS: [&str; 6] = [
    "verdicts",
    "conditions",
    "licenses",
    "conflicts",
    "exceptions",
    "clarify",
];
const ALLOW_KEYS: [&str; 1] = ["allow"];
const EXCEPTION_KEYS: [&str; 2] = ["model", "reason"];
const CLARIFY_KEYS: [&str; 7] = [
    "repo",
    "license",
    "base_model",
    "datasets",
    "generated_by",
    "relation",
    "reason",
];

type Value<'i> = Spanned<DeValue<'i>>;

/// Collects problems with positions computed from byte offsets into the text.
struct Ctx<'t> {
    text: &'t str,
    file: &'t str,
    problems: Vec<(usize, PolicyProblem)>,
}

impl<'t> Ctx<'t> {
    fn position(&self, offset: usize) -> (usize, usize) {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = self.text.get(..offset).unwrap_or(self.text);
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before.get(line_start..).map_or(0, |s| s.chars().count()) + 1;
        (line, column)
    }

    fn line(&self, span: &Range<usize>) -> usize {
        self.position(span.start).0
    }

    fn problem(&mut self, span: Range<usize>, key: Option<&str>, message: impl Into<String>) {
        let (line, column) = self.position(span.start);
        self.problems.push((
            span.start,
            PolicyProblem {
                file: self.file.to_string(),
                line,
                column,
                key: key.map(str::to_string),
                message: message.into(),
            },
        ));
    }

    fn err(&mut self, span: Range<usize>, key: &str, message: impl Into<String>) {
        self.problem(span, Some(key), message);
    }

    /// Reports every key of `t` not in `allowed`, suggesting the nearest known key.
    fn check_keys(&mut self, t: &DeTable<'_>, path: &str, allowed: &[&str]) {
        for (k, _) in t.iter() {
            let name: &str = k.get_ref();
            if allowed.contains(&name) {
                continue;
            }
            let key = join(path, name);
            let msg = match suggest(name, allowed) {
                Some(s) => format!("unknown key `{name}`; did you mean `{s}`?"),
                None => format!(
                    "unknown key `{name}`; expected one of: {}",
                    allowed.join(", ")
                ),
            };
            self.err(k.span(), &key, msg);
        }
    }

    fn table<'v, 'i>(&mut self, v: &'v Value<'i>, key: &str) -> Option<&'v DeTable<'i>> {
        match v.get_ref() {
            DeValue::Table(t) => Some(t),
            other => {
                self.err(
                    v.span(),
                    key,
                    format!("expected a table, found {}", article(other)),
                );
                None
            }
        }
    }

    fn string(&mut self, v: &Value<'_>, key: &str) -> Option<String> {
        match v.get_ref() {
            DeValue::String(s) => Some(s.to_string()),
            other => {
                self.err(
                    v.span(),
                    key,
                    format!("expected a string, found {}", article(other)),
                );
                None
            }
        }
    }

    /// An array of strings, each with its span; elements of other types are reported and skipped.
    fn strings(
        &mut self,
        v: &Value<'_>,
        key: &str,
        or_string: bool,
    ) -> Option<Vec<(String, Range<usize>)>> {
        match v.get_ref() {
            DeValue::String(s) if or_string => Some(vec![(s.to_string(), v.span())]),
            DeValue::Array(a) => {
                let mut out = Vec::new();
                for (i, item) in a.iter().enumerate() {
                    if let Some(s) = self.string(item, &format!("{key}[{i}]")) {
                        out.push((s, item.span()));
                    }
                }
                Some(out)
            }
            other => {
                let want = if or_string {
                    "a string or an array of strings"
                } else {
                    "an array of strings"
                };
                self.err(
                    v.span(),
                    key,
                    format!("expected {want}, found {}", article(other)),
                );
                None
            }
        }
    }

    /// A required, non-empty `reason`.
    fn reason(&mut self, t: &DeTable<'_>, span: Range<usize>, path: &str) -> Option<String> {
        let key = join(path, "reason");
        match t.get("reason") {
            None => {
                self.err(span, &key, "missing `reason`: say why, so reviewers know (e.g. \"reviewed by legal, 2026-10-02\")");
                None
            }
            Some(v) => {
                let s = self.string(v, &key)?;
                if s.trim().is_empty() {
                    self.err(v.span(), &key, "`reason` must not be empty");
                    return None;
                }
                Some(s)
            }
        }
    }

    /// An `[x] allow = [...]` table whose names `check` turns into values (or an error message).
    fn allow_list<T: Ord>(
        &mut self,
        v: &Value<'_>,
        section: &str,
        check: impl Fn(&str) -> Result<T, String>,
    ) -> Option<BTreeSet<T>> {
        let t = self.table(v, section)?;
        self.check_keys(t, section, &ALLOW_KEYS);
        let key = format!("{section}.allow");
        let Some(allow) = t.get("allow") else {
            // A misspelt `allow` was reported as an unknown key already.
            if !t.is_empty() {
                return None;
            }
            self.err(
                v.span(),
                &key,
                format!("missing `allow`: list what passes, or remove [{section}]"),
            );
            return None;
        };
        let items = self.strings(allow, &key, false)?;
        let mut out = BTreeSet::new();
        for (i, (name, span)) in items.into_iter().enumerate() {
            match check(&name) {
                Ok(x) => {
                    out.insert(x);
                }
                Err(msg) => self.err(span, &format!("{key}[{i}]"), msg),
            }
        }
        Some(out)
    }
}

pub(super) fn parse(text: &str, file: &str, kb: &KnowledgeBase) -> Result<Policy, PolicyErrors> {
    let mut cx = Ctx {
        text,
        file,
        problems: Vec::new(),
    };
    let (doc, errors) = DeTable::parse_recoverable(text);
    if !errors.is_empty() {
        for e in errors {
            let msg = e.message().trim().replace('\n', "; ");
            cx.problem(
                e.span().unwrap_or(0..0),
                None,
                format!("invalid TOML: {msg}"),
            );
        }
        return Err(finish(cx));
    }
    let doc = doc.into_inner();
    let mut policy = Policy {
        source: file.to_string(),
        ..Policy::default()
    };
    cx.check_keys(&doc, "", &TOP_KEYS);

    if let Some(v) = doc.get("verdicts") {
        if let Some(set) = cx.allow_list(v, "verdicts", parse_verdict) {
            policy.verdicts = set;
        }
    }
    if let Some(v) = doc.get("conditions") {
        policy.conditions = cx.allow_list(v, "conditions", parse_condition);
    }
    if let Some(v) = doc.get("licenses") {
        policy.licenses = cx.allow_list(v, "licenses", |s| license_id(kb, s));
    }
    if let Some(v) = doc.get("conflicts") {
        policy.conflicts = cx.allow_list(v, "conflicts", parse_conflict);
    }
    if let Some(v) = doc.get("exceptions") {
        policy.exceptions = exceptions(&mut cx, v);
    }
    if let Some(v) = doc.get("clarify") {
        policy.clarify = clarifications(&mut cx, v, kb);
    }
    if cx.problems.is_empty() {
        Ok(policy)
    } else {
        Err(finish(cx))
    }
}

fn finish(cx: Ctx<'_>) -> PolicyErrors {
    let mut problems = cx.problems;
    problems.sort_by_key(|(offset, _)| *offset);
    PolicyErrors {
        problems: problems.into_iter().map(|(_, p)| p).collect(),
    }
}

/// The entries of an array of tables, each with its key path (`exceptions[0]`); reports other shapes.
fn entries<'v, 'i>(
    cx: &mut Ctx<'_>,
    v: &'v Value<'i>,
    name: &str,
) -> Vec<(String, &'v Value<'i>, &'v DeTable<'i>)> {
    let DeValue::Array(items) = v.get_ref() else {
        cx.err(
            v.span(),
            name,
            format!(
                "expected an array of tables ([[{name}]]), found {}",
                article(v.get_ref())
            ),
        );
        return Vec::new();
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let path = format!("{name}[{i}]");
        if let Some(t) = cx.table(item, &path) {
            out.push((path, item, t));
        }
    }
    out
}

fn exceptions(cx: &mut Ctx<'_>, v: &Value<'_>) -> Vec<Exception> {
    let mut out = Vec::new();
    let mut seen: HashMap<(NodeKey, Option<String>), usize> = HashMap::new();
    for (path, item, t) in entries(cx, v, "exceptions") {
        cx.check_keys(t, &path, &EXCEPTION_KEYS);
        let line = cx.line(&item.span());
        let model_key = join(&path, "model");
        let model = match t.get("model") {
            None => {
                cx.err(
                    item.span(),
                    &model_key,
                    "missing `model`: the repository to accept (`org/name`)",
                );
                None
            }
            Some(m) => {
                cx.string(m, &model_key)
                    .and_then(|s| match parse_repo_ref(&s, RepoKind::Model) {
                        Ok(r) => Some((r, m.span())),
                        Err(e) => {
                            cx.err(m.span(), &model_key, id_message(&e));
                            None
                        }
                    })
            }
        };
        let reason = cx.reason(t, item.span(), &path);
        let Some((r, span)) = model else { continue };
        let dup_key = (r.key.clone(), r.revision.clone());
        if let Some(first) = seen.get(&dup_key) {
            cx.err(
                span,
                &model_key,
                format!(
                    "duplicate exception for `{}`: also at line {first}",
                    describe(&r.key, r.revision.as_deref())
                ),
            );
            continue;
        }
        seen.insert(dup_key, line);
        if let Some(reason) = reason {
            out.push(Exception {
                model: r.key,
                revision: r.revision,
                reason,
                line,
            });
        }
    }
    out
}

fn clarifications(cx: &mut Ctx<'_>, v: &Value<'_>, kb: &KnowledgeBase) -> Vec<Clarify> {
    let mut out = Vec::new();
    let mut seen: HashMap<NodeKey, usize> = HashMap::new();
    for (path, item, t) in entries(cx, v, "clarify") {
        cx.check_keys(t, &path, &CLARIFY_KEYS);
        let line = cx.line(&item.span());
        let repo_key = join(&path, "repo");
        let repo = match t.get("repo") {
            None => {
                cx.err(
                    item.span(),
                    &repo_key,
                    "missing `repo`: the repository to clarify (`org/name`, or `datasets/org/name`)",
                );
                None
            }
            Some(m) => {
                cx.string(m, &repo_key)
                    .and_then(|s| match parse_repo_ref(&s, RepoKind::Model) {
                        Ok(r) if r.revision.is_some() => {
                            cx.err(
                            m.span(),
                            &repo_key,
                            "a clarification is about a repository, not a revision: drop `@...`",
                        );
                            None
                        }
                        Ok(r) => Some((r.key, m.span())),
                        Err(e) => {
                            cx.err(m.span(), &repo_key, id_message(&e));
                            None
                        }
                    })
            }
        };
        let reason = cx.reason(t, item.span(), &path);

        let license = t.get("license").and_then(|l| {
            let key = join(&path, "license");
            let items = cx.strings(l, &key, true)?;
            let mut ids = Vec::new();
            let mut ok = true;
            for (i, (s, span)) in items.into_iter().enumerate() {
                match license_id(kb, &s) {
                    Ok(id) => ids.push(id),
                    Err(msg) => {
                        ok = false;
                        let k = if matches!(l.get_ref(), DeValue::Array(_)) {
                            format!("{key}[{i}]")
                        } else {
                            key.clone()
                        };
                        cx.err(span, &k, msg);
                    }
                }
            }
            if ids.is_empty() && ok {
                cx.err(
                    l.span(),
                    &key,
                    "an empty license asserts nothing; name at least one knowledge-base id",
                );
                ok = false;
            }
            ok.then_some(ids)
        });
        let base_model = t
            .get("base_model")
            .and_then(|b| repo_list(cx, b, &join(&path, "base_model"), RepoKind::Model));
        let datasets = t
            .get("datasets")
            .and_then(|d| repo_list(cx, d, &join(&path, "datasets"), RepoKind::Dataset));
        let generated_by = t
            .get("generated_by")
            .and_then(|g| generator_list(cx, g, &join(&path, "generated_by")));
        let relation = t.get("relation").and_then(|r| {
            let key = join(&path, "relation");
            let s = cx.string(r, &key)?;
            match Relation::parse_model_relation(&s) {
                Some(rel) => {
                    if t.get("base_model").is_none() {
                        cx.err(r.span(), &key, "`relation` applies to `base_model`; give the base models too");
                    }
                    Some(rel)
                }
                None => {
                    cx.err(
                        r.span(),
                        &key,
                        format!("unknown relation `{s}`; expected one of: finetune, adapter, quantized, merge"),
                    );
                    None
                }
            }
        });

        let Some((repo, span)) = repo else { continue };
        if repo.kind == RepoKind::Dataset {
            for k in ["base_model", "relation", "datasets"] {
                if let Some(v) = t.get(k) {
                    cx.err(
                        v.span(),
                        &join(&path, k),
                        format!("`{k}` applies to models; {} is a dataset", repo.id),
                    );
                }
            }
        }
        if repo.kind == RepoKind::Model {
            if let Some(v) = t.get("generated_by") {
                cx.err(
                    v.span(),
                    &join(&path, "generated_by"),
                    format!(
                        "`generated_by` applies to datasets; {} is a model (write `datasets/{}`)",
                        repo.id, repo.id
                    ),
                );
            }
        }
        if !["license", "base_model", "datasets", "generated_by"]
            .iter()
            .any(|k| t.contains_key(*k))
        {
            cx.err(
                item.span(),
                &path,
                "asserts nothing: give at least one of `license`, `base_model`, `datasets`, `generated_by`",
            );
        }
        if let Some(first) = seen.get(&repo) {
            cx.err(
                span,
                &repo_key,
                format!(
                    "duplicate clarification for `{}`: also at line {first}",
                    describe(&repo, None)
                ),
            );
            continue;
        }
        seen.insert(repo.clone(), line);
        if let Some(reason) = reason {
            out.push(Clarify {
                repo,
                license,
                base_model,
                datasets,
                generated_by,
                relation,
                reason,
                line,
            });
        }
    }
    out
}

/// A list of generators (a single string is accepted as a list of one): `service:org/name` for a
/// hosted service, `org/name` for a model; kept in the form `parse_generator_ref` reads back.
fn generator_list(cx: &mut Ctx<'_>, v: &Value<'_>, key: &str) -> Option<Vec<String>> {
    id_list(cx, v, key, |s| match parse_generator_ref(s) {
        Ok(g) if g.kind == RepoKind::Service => Ok(g.to_string()),
        Ok(g) => Ok(g.id),
        Err(e) => Err(format!(
            "{}; a generator is `org/name` (a model) or `service:org/name`",
            id_message(&e)
        )),
    })
}

/// A list of Hub ids of one kind (a single string is accepted as a list of one), normalised to `org/name`.
fn repo_list(cx: &mut Ctx<'_>, v: &Value<'_>, key: &str, kind: RepoKind) -> Option<Vec<String>> {
    id_list(cx, v, key, |s| match parse_repo_ref(s, kind) {
        Ok(r) if r.key.kind != kind => Err(format!("`{s}` is not a {}", kind.as_str())),
        Ok(r) if r.revision.is_some() => {
            Err(format!("`{s}`: name the repository without a revision"))
        }
        Ok(r) => Ok(r.key.id),
        Err(e) => Err(id_message(&e)),
    })
}

/// A list of strings (a single string is accepted as a list of one), each read by `parse`; every
/// item that does not read is reported at its own span (`key[i]`), and the list is then refused.
fn id_list(
    cx: &mut Ctx<'_>,
    v: &Value<'_>,
    key: &str,
    parse: impl Fn(&str) -> Result<String, String>,
) -> Option<Vec<String>> {
    let items = cx.strings(v, key, true)?;
    let is_array = matches!(v.get_ref(), DeValue::Array(_));
    let mut out = Vec::new();
    let mut ok = true;
    for (i, (s, span)) in items.into_iter().enumerate() {
        match parse(&s) {
            Ok(id) => out.push(id),
            Err(message) => {
                ok = false;
                let k = if is_array {
                    format!("{key}[{i}]")
                } else {
                    key.to_string()
                };
                cx.err(span, &k, message);
            }
        }
    }
    ok.then_some(out)
}

fn parse_verdict(s: &str) -> Result<Verdict, String> {
    Verdict::parse(s).ok_or_else(|| {
        let names: Vec<&str> = Verdict::ALL.iter().map(|v| v.as_str()).collect();
        unknown_name("verdict", s, &names)
    })
}

fn parse_conflict(s: &str) -> Result<ConflictCode, String> {
    ConflictCode::parse(s).ok_or_else(|| {
        let names: Vec<&str> = ConflictCode::ALL.iter().map(|c| c.as_str()).collect();
        unknown_name("conflict code", s, &names)
    })
}

fn parse_condition(s: &str) -> Result<TermKind, String> {
    match TermKind::parse(s) {
        Some(k) if k.is_condition() || matches!(k, TermKind::Notice | TermKind::NoDerivatives) => {
            Ok(k)
        }
        Some(TermKind::NonCommercial) => Err(
            "`non-commercial` is not a condition: it makes the verdict forbidden (see [verdicts])"
                .into(),
        ),
        Some(k) => Err(format!(
            "`{k}` is not a condition: it makes the verdict {} (see [verdicts])",
            if k == TermKind::Unknown {
                "unknown"
            } else {
                "forbidden"
            }
        )),
        None => {
            let names: Vec<&str> = TermKind::ALL
                .iter()
                .filter(|k| {
                    k.is_condition() || matches!(k, TermKind::Notice | TermKind::NoDerivatives)
                })
                .map(|k| k.as_str())
                .collect();
            Err(unknown_name("condition", s, &names))
        }
    }
}

fn license_id(kb: &KnowledgeBase, s: &str) -> Result<String, String> {
    if let Some(e) = kb.get(s) {
        return Ok(e.id.clone());
    }
    match kb.lookup(s) {
        Some(e) => Err(format!(
            "`{s}` is not a knowledge-base id; did you mean `{}`?",
            e.id
        )),
        None => Err(format!(
            "license `{s}` is not in the knowledge base (`lineage licenses` lists the ids)"
        )),
    }
}

fn unknown_name(what: &str, s: &str, names: &[&str]) -> String {
    match suggest(s, names) {
        Some(n) => format!("unknown {what} `{s}`; did you mean `{n}`?"),
        None => format!(
            "unknown {what} `{s}`; expected one of: {}",
            names.join(", ")
        ),
    }
}

fn id_message(e: &IdError) -> String {
    format!("{e}; expected `org/name` (or `datasets/org/name`)")
}

fn describe(key: &NodeKey, revision: Option<&str>) -> String {
    let id = crate::export::display_id(key);
    match revision {
        Some(r) => format!("{id}@{r}"),
        None => id,
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

fn article(v: &DeValue<'_>) -> &'static str {
    match v {
        DeValue::String(_) => "a string",
        DeValue::Integer(_) => "an integer",
        DeValue::Float(_) => "a float",
        DeValue::Boolean(_) => "a boolean",
        DeValue::Datetime(_) => "a datetime",
        DeValue::Array(_) => "an array",
        DeValue::Table(_) => "a table",
    }
}

/// The known name closest to `s` (case-insensitively, by edit distance at most 2), for "did you mean".
fn suggest<'n>(s: &str, names: &[&'n str]) -> Option<&'n str> {
    let lower = s.to_lowercase();
    names
        .iter()
        .map(|n| (edit_distance(&lower, n), *n))
        .filter(|(d, _)| *d <= 2)
        .min()
        .map(|(_, n)| n)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions() {
        assert_eq!(suggest("alow", &ALLOW_KEYS), Some("allow"));
        assert_eq!(
            suggest("Conditional", &["permitted", "conditional"]),
            Some("conditional")
        );
        assert_eq!(suggest("zzz", &["permitted"]), None);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }

    #[test]
    fn positions_count_characters() {
        let cx = Ctx {
            text: "ab\nüé x",
            file: "f",
            problems: Vec::new(),
        };
        assert_eq!(cx.position(0), (1, 1));
        assert_eq!(cx.position(3), (2, 1));
        assert_eq!(cx.position("ab\nüé ".len()), (2, 4));
        assert_eq!(cx.position(1000), (2, 5));
    }
}
