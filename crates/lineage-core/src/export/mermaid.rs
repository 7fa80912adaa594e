//! Mermaid: the lineage as a flowchart that renders in Markdown (GitHub, GitLab, docs sites).

use super::{label_lines, verdict_colour, EdgeClass, View};
use crate::graph::Relation;
use crate::id::RepoKind;
use crate::verdict::Verdict;
use std::fmt::Write;

/// Renders the view as a Mermaid `flowchart TB` (parents above children, like [`super::dot`]).
///
/// Nodes get synthetic ids (`n0`, `n1`, ... in key order) and quoted labels with the id, license and
/// verdict, escaped with Mermaid entities (`#quot;`, `#35;`, ...) so that no card text can end a label
/// or inject markup. Datasets are cylinders, verdicts are classes, roots and nodes with conflicts are
/// outlined, and edges that pass down a restriction are coloured by `linkStyle`; `generated-by` edges
/// end in a circle and hosted services are hexagons.
pub fn mermaid(view: &View<'_>) -> String {
    let mut out = String::from("flowchart TB\n");
    for (i, s) in view.shown().iter().enumerate() {
        let node = view.graph().node(s.ix);
        let mut lines = label_lines(view, s);
        let codes = s.conflict_codes();
        if !codes.is_empty() {
            lines.push(format!("conflict: {}", codes.join(", ")));
        }
        let label = lines
            .iter()
            .map(|l| escape(l))
            .collect::<Vec<_>>()
            .join("<br/>");
        let _ = match node.key.kind {
            RepoKind::Model => writeln!(out, "  n{i}[\"{label}\"]"),
            RepoKind::Dataset => writeln!(out, "  n{i}[(\"{label}\")]"),
            RepoKind::Service => writeln!(out, "  n{i}{{{{\"{label}\"}}}}"),
        };
    }
    let mut link_styles: Vec<(usize, &str)> = Vec::new();
    for (e, (p, c, rel)) in view.edges().into_iter().enumerate() {
        let (Some(pi), Some(ci)) = (view.position(p), view.position(c)) else {
            continue;
        };
        // A circle end marks data written by its parent (generated-by).
        let arrow = if rel == Relation::GeneratedBy {
            "--o"
        } else {
            "-->"
        };
        let _ = writeln!(out, "  n{pi} {arrow}|{}| n{ci}", rel.as_str());
        let style = match view.carried(p, rel).class() {
            EdgeClass::Plain => None,
            EdgeClass::Advisory => Some("stroke:#7a7a7a,stroke-dasharray:2 4"),
            EdgeClass::Condition => Some("stroke:#d9822b,stroke-width:2px"),
            EdgeClass::Unknown => Some("stroke:#6b6b6b,stroke-width:2px,stroke-dasharray:6 4"),
            EdgeClass::Prohibition => Some("stroke:#c62828,stroke-width:3px"),
        };
        if let Some(st) = style {
            link_styles.push((e, st));
        }
    }
    for v in Verdict::ALL {
        let _ = writeln!(
            out,
            "  classDef {v} fill:{},stroke:#444,color:#000",
            verdict_colour(v)
        );
    }
    out.push_str("  classDef root stroke-width:4px\n");
    out.push_str("  classDef conflict stroke:#b3261e,stroke-width:3px,stroke-dasharray:5 3\n");
    let ids = |pred: &dyn Fn(usize) -> bool| -> Vec<String> {
        (0..view.shown().len())
            .filter(|&i| pred(i))
            .map(|i| format!("n{i}"))
            .collect()
    };
    for v in Verdict::ALL {
        let members = ids(&|i| view.shown()[i].verdict() == v);
        if !members.is_empty() {
            let _ = writeln!(out, "  class {} {v}", members.join(","));
        }
    }
    let conflicted = ids(&|i| !view.shown()[i].conflict_codes().is_empty());
    if !conflicted.is_empty() {
        let _ = writeln!(out, "  class {} conflict", conflicted.join(","));
    }
    let roots = ids(&|i| view.is_root(view.shown()[i].ix));
    if !roots.is_empty() {
        let _ = writeln!(out, "  class {} root", roots.join(","));
    }
    for (e, st) in link_styles {
        let _ = writeln!(out, "  linkStyle {e} {st}");
    }
    if view.has_generated_by() {
        out.push_str("  %% legend: a circle end (--o) is generated-by, data written by a model or hosted service (hexagon); it carries the generator's output terms\n");
    }
    out
}

/// Text made safe inside a quoted Mermaid label: characters that end the label or start markup become
/// entities, newlines become `<br/>`, and other unsafe characters are written out as `\u{..}`.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => out.push_str("#quot;"),
            '#' | '<' | '>' | '&' | '`' | ';' | '|' => out.push_str(&format!("#{};", c as u32)),
            '\n' => out.push_str("<br/>"),
            c if super::is_unsafe_char(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_uses_entities() {
        assert_eq!(escape("a\"b"), "a#quot;b");
        assert_eq!(escape("#quot;"), "#35;quot#59;");
        assert_eq!(escape("<b>\nx\u{1b}"), "#60;b#62;<br/>x\\u{1b}");
        assert_eq!(escape("org/name-1.5"), "org/name-1.5");
    }
}
