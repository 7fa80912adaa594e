//! Graphviz DOT: the lineage coloured by verdict, for reviewers and auditors.

use super::{label_lines, verdict_colour, EdgeClass, View, CONFLICT_COLOUR};
use crate::graph::Relation;
use crate::id::RepoKind;
use crate::verdict::Verdict;
use std::fmt::Write;

/// Renders the view as a Graphviz `digraph`, parents above children.
///
/// Nodes get synthetic ids (`n0`, `n1`, ... in key order) and escaped labels with the id, the declared
/// license and the verdict; they are filled by verdict colour, datasets drawn as cylinders and models as
/// boxes, roots with a thick border, and nodes with conflicts with a double red border and the codes in
/// the label. Edges are labelled with their relation and drawn by the worst term they pass down (red
/// for non-commercial / no-derivatives, grey dashed for unknown, orange for conditions, dotted for
/// advisories). A legend subgraph explains the colours.
pub fn dot(view: &View<'_>) -> String {
    let mut out = String::new();
    out.push_str("digraph lineage {\n");
    out.push_str("  graph [rankdir=TB, fontname=\"Helvetica\", fontsize=11];\n");
    out.push_str("  node [fontname=\"Helvetica\", fontsize=10, style=filled, shape=box];\n");
    out.push_str("  edge [fontname=\"Helvetica\", fontsize=9];\n");

    for (i, s) in view.shown().iter().enumerate() {
        let node = view.graph().node(s.ix);
        let a = view.assessed(s);
        let mut label = label_lines(view, s).join("\n");
        let mut tooltip = format!("{}\n{}", node.key, a.summary);
        if let Some(f) = &node.fallback {
            tooltip.push_str(&format!("\n{}", f.describe()));
        }
        let shape = match node.key.kind {
            RepoKind::Model => "box",
            RepoKind::Dataset => "cylinder",
            RepoKind::Service => "hexagon",
        };
        let mut extra: Vec<String> = Vec::new();
        if !a.conflicts.is_empty() {
            let codes: Vec<&str> = a.conflicts.iter().map(|c| c.code.as_str()).collect();
            label.push_str(&format!("\nconflict: {}", codes.join(", ")));
            for c in &a.conflicts {
                tooltip.push_str(&format!("\n{}: {}", c.code, c.message));
            }
            extra.push("peripheries=2".into());
            extra.push(format!("color=\"{CONFLICT_COLOUR}\""));
        }
        if view.is_root(s.ix) {
            extra.push("penwidth=3".into());
            extra.push("fontname=\"Helvetica-Bold\"".into());
        }
        let mut attrs = vec![
            format!("label={}", quote(&label)),
            format!("shape={shape}"),
            format!("fillcolor=\"{}\"", verdict_colour(a.commercial)),
        ];
        attrs.extend(extra);
        attrs.push(format!("tooltip={}", quote(&tooltip)));
        let _ = writeln!(out, "  n{i} [{}];", attrs.join(", "));
    }

    for (p, c, rel) in view.edges() {
        let (Some(pi), Some(ci)) = (view.position(p), view.position(c)) else {
            continue;
        };
        let carried = view.carried(p, rel);
        let mut attrs = vec![format!("label=\"{}\"", rel.as_str())];
        let class = carried.class();
        match class {
            EdgeClass::Plain => {}
            EdgeClass::Advisory => {
                attrs.push(format!("style=dotted, color=\"{}\"", class.colour()))
            }
            EdgeClass::Condition => attrs.push(format!("style=bold, color=\"{}\"", class.colour())),
            EdgeClass::Unknown => attrs.push(format!(
                "style=\"bold,dashed\", color=\"{}\"",
                class.colour()
            )),
            EdgeClass::Prohibition => attrs.push(format!(
                "style=bold, penwidth=2, color=\"{0}\", fontcolor=\"{0}\"",
                class.colour()
            )),
        }
        if rel == Relation::GeneratedBy {
            // Data written by its parent: a hollow diamond at the generator, whatever it carries.
            attrs.push("dir=both, arrowtail=odiamond".into());
        }
        attrs.push(format!("tooltip={}", quote(&carried.describe())));
        let _ = writeln!(out, "  n{pi} -> n{ci} [{}];", attrs.join(", "));
    }

    out.push_str("  subgraph cluster_legend {\n");
    out.push_str("    label=\"legend\"; fontsize=10; style=rounded; color=\"#9e9e9e\";\n");
    for v in Verdict::ALL {
        let _ = writeln!(
            out,
            "    legend_{} [label=\"{}\", fillcolor=\"{}\"];",
            v.as_str(),
            v.as_str(),
            verdict_colour(v)
        );
    }
    out.push_str("    legend_dataset [label=\"dataset\", shape=cylinder, fillcolor=\"white\"];\n");
    out.push_str("    legend_conflict [label=\"conflict\", peripheries=2, color=\"#b3261e\", fillcolor=\"white\"];\n");
    out.push_str(
        "    legend_edges [shape=note, fillcolor=\"white\", label=\"edges, by what they pass down:\\l\
red bold: non-commercial / no-derivatives\\lgrey dashed: unknown\\lorange bold: conditions\\l\
dotted: advisory only\\lthin black: nothing binding\\l\"];\n",
    );
    if view.has_generated_by() {
        out.push_str(
            "    legend_service [label=\"hosted service\", shape=hexagon, fillcolor=\"white\"];\n",
        );
        out.push_str("    legend_generated [shape=note, fillcolor=\"white\", label=\"hollow diamond tail: generated-by\\l(carries the generator's output terms)\\l\"];\n");
    }
    out.push_str("    legend_permitted -> legend_conditional -> legend_forbidden -> legend_unknown [style=invis];\n");
    out.push_str("  }\n");
    out.push_str("}\n");
    out
}

/// A DOT quoted string: `"` and `\` escaped, newlines as `\n`, other unsafe characters written out as
/// `\u{..}` text (the backslash doubled so Graphviz shows it rather than reading an escape).
fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if super::is_unsafe_char(c) => out.push_str(&format!("\\\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::super::fixture::check_dot;
    use super::*;

    #[test]
    fn quote_escapes_everything_that_ends_a_string() {
        assert_eq!(quote("a\"b\\c\nd"), r#""a\"b\\c\nd""#);
        assert_eq!(quote("\u{7}\r"), r#""\\u{7}\\u{d}""#);
        assert_eq!(quote("<>{}|ü"), "\"<>{}|ü\"");
        for s in ["\\", "\\\"", "\"\\", "a\\", "\n\\\n"] {
            check_dot(&format!("x [label={}];", quote(s))).unwrap();
        }
    }

    #[test]
    fn checker_rejects_broken_dot() {
        assert!(check_dot("digraph { a [label=\"x]; }").is_err());
        assert!(check_dot("digraph { a [label=\"x\"]; ").is_err());
        assert!(check_dot("digraph { a [label=x\"y\"] }}").is_err());
        assert!(check_dot("digraph { a [label=\"x\ny\"] }").is_err());
        assert!(check_dot("digraph { a [label=<b>] }").is_err());
    }
}
