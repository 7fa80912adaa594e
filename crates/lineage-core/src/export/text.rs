//! The human report of `lineage check`: verdict first, then why, then what else the user should know.

use super::{display_id, plain};
use crate::graph::{Declared, Resolution};
use crate::policy::PolicyOutcome;
use crate::terms::Term;
use crate::verdict::{Assessment, Reason, Verdict};
use std::fmt::Write;

/// Renders one assessment as plain text (no colour; the CLI may add it).
///
/// The first line is `model — VERDICT`, followed by the summary, then each reason and condition with the
/// path to its origin (`model ← base ← datasets/org/name (cc-by-nc-4.0)`), notices, advisories,
/// conflicts, unresolved ancestors, the clarifications the verdict relies on, and the policy decision
/// when a policy was applied. Card text is escaped so it cannot inject terminal control sequences.
pub fn text(a: &Assessment, policy: Option<&PolicyOutcome>) -> String {
    let mut out = String::new();
    let verdict = match a.commercial {
        Verdict::Permitted => "PERMITTED",
        Verdict::Conditional => "CONDITIONAL",
        Verdict::Forbidden => "FORBIDDEN",
        Verdict::Unknown => "UNKNOWN",
    };
    let _ = writeln!(out, "{} — {verdict}", plain(&display_id(&a.node)));
    let _ = writeln!(out, "  {}", plain(&a.summary));
    let declared = match &a.resolution {
        Resolution::Found => declared_text(&a.declared),
        Resolution::Curated => "no card read (curated facts)".to_string(),
        other => format!("no card read ({})", plain(&other.describe())),
    };
    let mut facts = vec![format!("declared: {declared}")];
    if let Some(r) = &a.revision {
        facts.push(format!("revision: {}", plain(r)));
    }
    facts.push(format!("dataset policy: {}", a.dataset_policy));
    let _ = writeln!(out, "  {}", facts.join(" · "));

    // A conditional verdict's reasons are its conditions; list them once.
    if a.commercial != Verdict::Conditional {
        section(&mut out, "reasons", &a.reasons);
    }
    let conditions: Vec<Reason> = a
        .conditions
        .iter()
        .filter(|r| r.term != Term::Notice)
        .cloned()
        .collect();
    section(&mut out, "conditions", &conditions);
    let notices: Vec<String> = a
        .conditions
        .iter()
        .filter(|r| r.term == Term::Notice)
        .map(path_text)
        .collect();
    list(&mut out, "notices (ship the license text)", &notices);
    section(
        &mut out,
        "advisories (do not change the verdict)",
        &a.advisories,
    );
    let conflicts: Vec<String> = a
        .conflicts
        .iter()
        .map(|c| format!("{}: {}", c.code, plain(&c.message)))
        .collect();
    list(&mut out, "conflicts", &conflicts);
    let unresolved: Vec<String> = a
        .unresolved
        .iter()
        .map(|u| format!("{}: {}", plain(&display_id(&u.node)), plain(&u.status)))
        .collect();
    list(&mut out, "unresolved ancestors", &unresolved);
    let stand_ins: Vec<String> = a
        .stand_ins
        .iter()
        .map(|s| {
            format!(
                "{}: {}",
                plain(&display_id(&s.node)),
                plain(&s.fallback.describe())
            )
        })
        .collect();
    list(
        &mut out,
        "not the Hub's current answer (the verdict relies on these)",
        &stand_ins,
    );
    let mut clarified: Vec<String> = Vec::new();
    for r in a.reasons.iter().chain(&a.conditions).chain(&a.advisories) {
        for c in &r.clarified {
            let c = plain(c).into_owned();
            if !clarified.contains(&c) {
                clarified.push(c);
            }
        }
    }
    list(&mut out, "clarifications used", &clarified);

    if let Some(p) = policy {
        out.push('\n');
        let decision = match (p.allowed, &p.exception) {
            (true, Some(_)) => "allowed by exception",
            (true, None) => "allowed",
            (false, _) => "denied",
        };
        let _ = writeln!(out, "policy: {decision}");
        for w in &p.why {
            let _ = writeln!(out, "  - {}", plain(w));
        }
    }
    out
}

fn section(out: &mut String, title: &str, reasons: &[Reason]) {
    if reasons.is_empty() {
        return;
    }
    let _ = writeln!(out, "\n{title}:");
    for r in reasons {
        let _ = writeln!(out, "  - {}", plain(&r.term.to_string()));
        let _ = writeln!(out, "      {}", path_text(r));
    }
}

fn list(out: &mut String, title: &str, items: &[String]) {
    if items.is_empty() {
        return;
    }
    let _ = writeln!(out, "\n{title}:");
    for i in items {
        let _ = writeln!(out, "  - {i}");
    }
}

/// `model ← base ← origin (license)`: the path from the assessed node to where the term comes from.
fn path_text(r: &Reason) -> String {
    let ids: Vec<String> = r
        .path
        .iter()
        .map(|s| plain(&display_id(&s.node)).into_owned())
        .collect();
    let mut t = ids.join(" ← ");
    if let Some(l) = &r.license {
        t.push_str(&format!(" ({})", plain(l)));
    }
    t
}

fn declared_text(d: &Declared) -> String {
    let mut parts: Vec<String> = Vec::new();
    if !d.license.is_empty() {
        parts.push(d.license.join(", "));
    }
    if let Some(n) = &d.license_name {
        parts.push(format!("license_name {n:?}"));
    }
    if let Some(l) = &d.license_link {
        parts.push(format!("license_link {l:?}"));
    }
    if parts.is_empty() {
        "no license".into()
    } else {
        plain(&parts.join(", ")).into_owned()
    }
}
