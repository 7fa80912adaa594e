//! SVG: the lineage drawn without Graphviz, with the colours, edge styles and legend of the DOT export.
//!
//! A small layered (Sugiyama-style) layout: ranks by longest path from the sources (cycles broken at
//! the first node in key order), order within a rank by barycenter sweeps, x by parent barycenters
//! without overlap. Deterministic: the same view gives the same bytes.

use super::{display_id, label_lines, plain, verdict_colour, EdgeClass, View, CONFLICT_COLOUR};
use crate::graph::Relation;
use crate::id::RepoKind;
use crate::verdict::Verdict;
use std::collections::VecDeque;
use std::fmt::Write;

const FONT: &str = "Helvetica, Arial, sans-serif";
const CHAR_W: f64 = 6.4;
const LINE_H: f64 = 14.0;
const PAD: f64 = 8.0;
const H_GAP: f64 = 24.0;
const V_GAP: f64 = 64.0;
const MARGIN: f64 = 20.0;
/// Visible label lines are cut here (the full text stays in the node's `<title>` tooltip).
const MAX_CHARS: usize = 56;
/// At most this many nodes side by side; a wider rank wraps onto more rows.
const ROW_MAX: usize = 16;

struct Boxed {
    lines: Vec<String>,
    title: Vec<String>,
    w: f64,
    h: f64,
    x: f64,
    y: f64,
    rank: usize,
}

/// Renders the view as a standalone SVG document, parents above children.
///
/// Nodes are boxes (models) or cylinders (datasets) filled by verdict colour, with the id, declared
/// license and verdict; roots have a thick border, nodes with conflicts a double red border and their
/// codes. Edges are labelled with their relation and drawn like DOT's (red bold for non-commercial /
/// no-derivatives, grey dashed for unknown, orange bold for conditions, dotted for advisories). Every
/// card-supplied string is XML-escaped, control characters written out as `\u{..}`.
pub fn svg(view: &View<'_>) -> String {
    let shown = view.shown();
    let n = shown.len();
    let mut boxes: Vec<Boxed> = shown
        .iter()
        .map(|s| {
            let node = view.graph().node(s.ix);
            let a = view.assessed(s);
            let mut lines = label_lines(view, s);
            let mut title = vec![node.key.to_string(), a.summary.clone()];
            if !a.conflicts.is_empty() {
                let codes: Vec<&str> = a.conflicts.iter().map(|c| c.code.as_str()).collect();
                lines.push(format!("conflict: {}", codes.join(", ")));
                for c in &a.conflicts {
                    title.push(format!("{}: {}", c.code, c.message));
                }
            }
            let lines: Vec<String> = lines.iter().map(|l| cut(&plain(l))).collect();
            let chars = lines.iter().map(|l| l.chars().count()).max().unwrap_or(0);
            let extra = if node.key.kind == RepoKind::Dataset {
                12.0
            } else {
                0.0
            };
            Boxed {
                w: (chars as f64 * CHAR_W + 2.0 * PAD).max(110.0),
                h: lines.len() as f64 * LINE_H + 2.0 * PAD + extra,
                lines,
                title,
                x: 0.0,
                y: 0.0,
                rank: 0,
            }
        })
        .collect();

    // Edges as positions.
    let edges: Vec<(usize, usize, crate::graph::Relation)> = view
        .edges()
        .into_iter()
        .filter_map(|(p, c, r)| Some((view.position(p)?, view.position(c)?, r)))
        .collect();
    let mut parents: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); n];
    for &(p, c, _) in &edges {
        if p != c {
            parents[c].push(p);
            children[p].push(c);
        }
    }

    // Ranks: longest path from the sources, Kahn's order; a cycle is entered at its first node.
    let mut indeg: Vec<usize> = parents.iter().map(Vec::len).collect();
    let mut done = vec![false; n];
    let mut queue: VecDeque<usize> = (0..n).filter(|&i| indeg[i] == 0).collect();
    let mut processed = 0;
    while processed < n {
        let i = match queue.pop_front() {
            Some(i) => i,
            None => match (0..n).find(|&i| !done[i]) {
                Some(i) => i,
                None => break,
            },
        };
        if done[i] {
            continue;
        }
        done[i] = true;
        processed += 1;
        boxes[i].rank = parents[i]
            .iter()
            .filter(|&&p| done[p] && p != i)
            .map(|&p| boxes[p].rank + 1)
            .max()
            .unwrap_or(0);
        for &c in &children[i] {
            indeg[c] = indeg[c].saturating_sub(1);
            if indeg[c] == 0 && !done[c] {
                queue.push_back(c);
            }
        }
    }
    let ranks = boxes.iter().map(|b| b.rank).max().map_or(0, |r| r + 1);
    let mut layers: Vec<Vec<usize>> = vec![Vec::new(); ranks];
    for (i, b) in boxes.iter().enumerate() {
        layers[b.rank].push(i);
    }

    // Order within ranks: barycenter sweeps down then up.
    let mut order = vec![0.0f64; n];
    for layer in &layers {
        for (k, &i) in layer.iter().enumerate() {
            order[i] = k as f64;
        }
    }
    for _ in 0..4 {
        for layer in layers.iter_mut().skip(1) {
            sweep(layer, &parents, &mut order);
        }
        for layer in layers.iter_mut().rev().skip(1) {
            sweep(layer, &children, &mut order);
        }
    }

    // Rows: a rank wider than ROW_MAX nodes wraps onto several rows, so wide fans stay readable.
    let rows: Vec<Vec<usize>> = layers
        .iter()
        .flat_map(|l| l.chunks(ROW_MAX).map(<[usize]>::to_vec))
        .collect();

    // Coordinates: y by row; x packed left to right, pulled towards the parents' centres, then the row
    // shifted so that on average it sits under them.
    let mut y = MARGIN;
    for row in &rows {
        let h = row.iter().map(|&i| boxes[i].h).fold(0.0, f64::max);
        for &i in row {
            boxes[i].y = y + (h - boxes[i].h) / 2.0;
        }
        y += h + V_GAP;
    }
    for row in &rows {
        let mut next = MARGIN;
        let mut wants: Vec<f64> = Vec::with_capacity(row.len());
        for &i in row {
            let rank = boxes[i].rank;
            let ps: Vec<f64> = parents[i]
                .iter()
                .filter(|&&p| boxes[p].rank < rank)
                .map(|&p| boxes[p].x + boxes[p].w / 2.0)
                .collect();
            let want = if ps.is_empty() {
                next
            } else {
                ps.iter().sum::<f64>() / ps.len() as f64 - boxes[i].w / 2.0
            };
            wants.push(want);
            boxes[i].x = want.max(next);
            next = boxes[i].x + boxes[i].w + H_GAP;
        }
        if !row.is_empty() {
            let drift: f64 = row
                .iter()
                .zip(&wants)
                .map(|(&i, w)| boxes[i].x - w)
                .sum::<f64>()
                / row.len() as f64;
            let leftmost = boxes[row[0]].x;
            let shift = drift.min(leftmost - MARGIN).max(0.0);
            for &i in row {
                boxes[i].x -= shift;
            }
        }
    }
    let graph_w = boxes.iter().map(|b| b.x + b.w).fold(0.0, f64::max) + MARGIN;
    let graph_h = if n == 0 { MARGIN } else { y - V_GAP + MARGIN };

    let legend_y = graph_h + 10.0;
    let legend_h = 150.0;
    let width = graph_w.max(560.0).ceil();
    let height = (legend_y + legend_h + MARGIN).ceil();

    let mut out = String::new();
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" font-family=\"{FONT}\" font-size=\"11\">"
    );
    out.push_str("<title>lineage</title>\n<defs>\n");
    for class in EdgeClass::ALL {
        let _ = writeln!(
            out,
            "  <marker id=\"arrow-{}\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"{}\"/></marker>",
            class.name(),
            class.colour()
        );
    }
    out.push_str("  <marker id=\"generated-by\" viewBox=\"0 0 10 10\" refX=\"0\" refY=\"5\" markerWidth=\"9\" markerHeight=\"9\" orient=\"auto-start-reverse\"><path d=\"M0,5 L5,1 L10,5 L5,9 z\" fill=\"white\" stroke=\"#333333\"/></marker>\n");
    out.push_str("</defs>\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");

    // Edges first, so nodes sit on top of them.
    out.push_str("<g id=\"edges\">\n");
    for &(p, c, rel) in &edges {
        let carried = view.carried(shown[p].ix, rel);
        let class = carried.class();
        let (a, b) = (&boxes[p], &boxes[c]);
        let (d, lx, ly) = if b.rank > a.rank {
            let (x1, y1) = (a.x + a.w / 2.0, a.y + a.h);
            let (x2, y2) = (b.x + b.w / 2.0, b.y);
            let my = (y1 + y2) / 2.0;
            (
                format!("M{x1:.1},{y1:.1} C{x1:.1},{my:.1} {x2:.1},{my:.1} {x2:.1},{y2:.1}"),
                (x1 + x2) / 2.0,
                my,
            )
        } else {
            // A back edge (cycle) or a self-loop: around the right-hand sides.
            let (x1, y1) = (a.x + a.w, a.y + a.h / 2.0);
            let (x2, y2) = (b.x + b.w, b.y + b.h / 2.0);
            let bulge = x1.max(x2) + 40.0;
            let (y1, y2) = if p == c {
                (y1 - 6.0, y2 + 6.0)
            } else {
                (y1, y2)
            };
            (
                format!("M{x1:.1},{y1:.1} C{bulge:.1},{y1:.1} {bulge:.1},{y2:.1} {x2:.1},{y2:.1}"),
                bulge - 10.0,
                (y1 + y2) / 2.0,
            )
        };
        let _ = writeln!(
            out,
            "  <g class=\"edge {}\"><title>{} → {}: {} ({})</title><path d=\"{d}\" fill=\"none\" {}{} marker-end=\"url(#arrow-{})\"/><text x=\"{lx:.1}\" y=\"{ly:.1}\" text-anchor=\"middle\" font-size=\"9\" fill=\"{}\" stroke=\"white\" stroke-width=\"3\" paint-order=\"stroke\">{}</text></g>",
            class.name(),
            xml(&display_id(&view.graph().node(shown[p].ix).key)),
            xml(&display_id(&view.graph().node(shown[c].ix).key)),
            rel.as_str(),
            xml(&carried.describe()),
            stroke(class),
            if rel == Relation::GeneratedBy {
                // Data written by its parent: a hollow diamond at the generator.
                " marker-start=\"url(#generated-by)\""
            } else {
                ""
            },
            class.name(),
            class.colour(),
            rel.as_str()
        );
    }
    out.push_str("</g>\n<g id=\"nodes\">\n");
    for (i, b) in boxes.iter().enumerate() {
        let s = &shown[i];
        let node = view.graph().node(s.ix);
        let verdict = s.verdict();
        let root = view.is_root(s.ix);
        let fill = verdict_colour(verdict);
        let sw = if root { 3.0 } else { 1.0 };
        let _ = writeln!(
            out,
            "  <g class=\"node {}{}\" id=\"n{i}\"><title>{}</title>",
            verdict.as_str(),
            if root { " root" } else { "" },
            b.title
                .iter()
                .map(|t| xml(t))
                .collect::<Vec<_>>()
                .join("\n")
        );
        let conflicted = !s.conflict_codes().is_empty();
        if conflicted {
            shape(
                &mut out,
                node.key.kind,
                (b.x - 3.0, b.y - 3.0, b.w + 6.0, b.h + 6.0),
                "none",
                CONFLICT_COLOUR,
                1.5,
            );
        }
        let border = if !conflicted {
            "#333333"
        } else {
            CONFLICT_COLOUR
        };
        shape(
            &mut out,
            node.key.kind,
            (b.x, b.y, b.w, b.h),
            fill,
            border,
            sw,
        );
        let top = b.y
            + PAD
            + if node.key.kind == RepoKind::Dataset {
                8.0
            } else {
                0.0
            };
        let _ = write!(
            out,
            "    <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\"{}>",
            b.x + b.w / 2.0,
            top + 10.0,
            if root { " font-weight=\"bold\"" } else { "" }
        );
        for (k, line) in b.lines.iter().enumerate() {
            let _ = write!(
                out,
                "<tspan x=\"{:.1}\" dy=\"{}\">{}</tspan>",
                b.x + b.w / 2.0,
                if k == 0 { 0.0 } else { LINE_H },
                xml(line)
            );
        }
        out.push_str("</text>\n  </g>\n");
    }
    out.push_str("</g>\n");
    legend(&mut out, MARGIN, legend_y, view.has_generated_by());
    out.push_str("</svg>\n");
    out
}

/// Reorders one rank by the mean order of each node's neighbours in `adj` (stable for ties and for
/// nodes without neighbours, which keep their place).
fn sweep(layer: &mut [usize], adj: &[Vec<usize>], order: &mut [f64]) {
    let keys: Vec<(f64, usize)> = layer
        .iter()
        .map(|&i| {
            let ns = &adj[i];
            let k = if ns.is_empty() {
                order[i]
            } else {
                ns.iter().map(|&j| order[j]).sum::<f64>() / ns.len() as f64
            };
            (k, i)
        })
        .collect();
    let mut sorted = keys;
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0).then(order[a.1].total_cmp(&order[b.1])));
    for (k, (_, i)) in sorted.into_iter().enumerate() {
        layer[k] = i;
        order[i] = k as f64;
    }
}

fn stroke(class: EdgeClass) -> String {
    let (width, dash) = match class {
        EdgeClass::Plain => (1.0, None),
        EdgeClass::Advisory => (1.0, Some("2,3")),
        EdgeClass::Condition => (2.0, None),
        EdgeClass::Unknown => (2.0, Some("6,4")),
        EdgeClass::Prohibition => (2.5, None),
    };
    let mut s = format!("stroke=\"{}\" stroke-width=\"{width}\"", class.colour());
    if let Some(d) = dash {
        s.push_str(&format!(" stroke-dasharray=\"{d}\""));
    }
    s
}

/// A box (model), a cylinder (dataset) or a hexagon (hosted service).
fn shape(
    out: &mut String,
    kind: RepoKind,
    (x, y, w, h): (f64, f64, f64, f64),
    fill: &str,
    colour: &str,
    width: f64,
) {
    match kind {
        RepoKind::Model => {
            let _ = writeln!(
                out,
                "    <rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"{h:.1}\" rx=\"3\" fill=\"{fill}\" stroke=\"{colour}\" stroke-width=\"{width}\"/>"
            );
        }
        RepoKind::Service => {
            // A hexagon, as DOT draws a hosted service.
            let d = (h / 2.0).min(w / 4.0);
            let _ = writeln!(
                out,
                "    <polygon points=\"{:.1},{y:.1} {:.1},{y:.1} {:.1},{:.1} {:.1},{:.1} {:.1},{:.1} {x:.1},{:.1}\" fill=\"{fill}\" stroke=\"{colour}\" stroke-width=\"{width}\"/>",
                x + d,
                x + w - d,
                x + w,
                y + h / 2.0,
                x + w - d,
                y + h,
                x + d,
                y + h,
                y + h / 2.0
            );
        }
        RepoKind::Dataset => {
            let e = 6.0;
            let rx = w / 2.0;
            let _ = writeln!(
                out,
                "    <path d=\"M{x:.1},{:.1} a{rx:.1},{e} 0 0 1 {w:.1},0 v{:.1} a{rx:.1},{e} 0 0 1 -{w:.1},0 z M{x:.1},{:.1} a{rx:.1},{e} 0 0 0 {w:.1},0\" fill=\"{fill}\" stroke=\"{colour}\" stroke-width=\"{width}\"/>",
                y + e,
                h - 2.0 * e,
                y + e
            );
        }
    }
}

fn legend(out: &mut String, x: f64, y: f64, generated_by: bool) {
    let _ = writeln!(
        out,
        "<g id=\"legend\"><rect x=\"{x}\" y=\"{y}\" width=\"520\" height=\"140\" rx=\"6\" fill=\"white\" stroke=\"#9e9e9e\"/><text x=\"{}\" y=\"{}\" font-size=\"10\">legend</text>",
        x + 8.0,
        y + 14.0
    );
    for (k, v) in Verdict::ALL.into_iter().enumerate() {
        let bx = x + 8.0 + k as f64 * 84.0;
        let _ = writeln!(
            out,
            "  <rect x=\"{bx}\" y=\"{}\" width=\"76\" height=\"20\" fill=\"{}\" stroke=\"#333333\"/><text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
            y + 22.0,
            verdict_colour(v),
            bx + 38.0,
            y + 36.0,
            v.as_str()
        );
    }
    let bx = x + 8.0 + 4.0 * 84.0;
    shape(
        out,
        RepoKind::Dataset,
        (bx, y + 18.0, 76.0, 28.0),
        "white",
        "#333333",
        1.0,
    );
    let _ = writeln!(
        out,
        "  <text x=\"{}\" y=\"{}\" text-anchor=\"middle\">dataset</text>",
        bx + 38.0,
        y + 38.0
    );
    let bx = x + 8.0 + 5.0 * 84.0;
    let _ = writeln!(
        out,
        "  <rect x=\"{}\" y=\"{}\" width=\"82\" height=\"26\" fill=\"none\" stroke=\"{CONFLICT_COLOUR}\" stroke-width=\"1.5\"/><rect x=\"{bx}\" y=\"{}\" width=\"76\" height=\"20\" fill=\"white\" stroke=\"{CONFLICT_COLOUR}\"/><text x=\"{}\" y=\"{}\" text-anchor=\"middle\">conflict</text>",
        bx - 3.0,
        y + 19.0,
        y + 22.0,
        bx + 38.0,
        y + 36.0
    );
    let _ = writeln!(
        out,
        "  <text x=\"{}\" y=\"{}\">edges, by what they pass down:</text>",
        x + 8.0,
        y + 62.0
    );
    for (k, class) in [
        EdgeClass::Prohibition,
        EdgeClass::Unknown,
        EdgeClass::Condition,
        EdgeClass::Advisory,
        EdgeClass::Plain,
    ]
    .into_iter()
    .enumerate()
    {
        let ly = y + 76.0 + k as f64 * 13.0;
        let _ = writeln!(
            out,
            "  <line x1=\"{}\" y1=\"{ly}\" x2=\"{}\" y2=\"{ly}\" {}/><text x=\"{}\" y=\"{}\">{}</text>",
            x + 8.0,
            x + 58.0,
            stroke(class),
            x + 66.0,
            ly + 4.0,
            class.legend()
        );
    }
    if generated_by {
        // Beside the edge classes, so the legend keeps its size.
        let (lx, ly) = (x + 300.0, y + 76.0);
        let _ = writeln!(
            out,
            "  <line x1=\"{lx}\" y1=\"{ly}\" x2=\"{}\" y2=\"{ly}\" stroke=\"#333333\" marker-start=\"url(#generated-by)\"/><text x=\"{}\" y=\"{}\">generated-by: output terms</text>",
            lx + 40.0,
            lx + 48.0,
            ly + 4.0
        );
        shape(
            out,
            RepoKind::Service,
            (lx, y + 92.0, 76.0, 22.0),
            "white",
            "#333333",
            1.0,
        );
        let _ = writeln!(
            out,
            "  <text x=\"{}\" y=\"{}\" text-anchor=\"middle\">service</text>",
            lx + 38.0,
            y + 107.0
        );
    }
    out.push_str("</g>\n");
}

/// At most [`MAX_CHARS`] characters, an ellipsis marking a cut.
fn cut(s: &str) -> String {
    if s.chars().count() <= MAX_CHARS {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(MAX_CHARS - 1).collect();
        t.push('…');
        t
    }
}

/// Text for XML character data and attribute values: control and bidi characters written out (see
/// [`plain`]), the noncharacters XML forbids replaced, and `& < > " '` as entities.
pub(super) fn xml(s: &str) -> String {
    let s = plain(s);
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\u{fffe}' | '\u{ffff}' => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::fixture::{Fixture, WEIRD_ID};
    use super::super::Scope;
    use super::*;
    use crate::graph::{Declared, Graph, Node, Relation};
    use crate::id::NodeKey;
    use crate::license::KnowledgeBase;
    use crate::propagate::{DatasetPolicy, Propagation};

    /// Parses the SVG and returns the titles of its node groups (their first line: the node key).
    fn node_keys(svg: &str) -> Vec<String> {
        let doc = roxmltree::Document::parse(svg).unwrap_or_else(|e| panic!("not XML: {e}\n{svg}"));
        assert_eq!(doc.root_element().tag_name().name(), "svg");
        doc.descendants()
            .filter(|n| n.attribute("class").is_some_and(|c| c.starts_with("node ")))
            .map(|g| {
                let title = g.children().find(|c| c.has_tag_name("title")).unwrap();
                title
                    .text()
                    .unwrap_or("")
                    .lines()
                    .next()
                    .unwrap()
                    .to_string()
            })
            .collect()
    }

    #[test]
    fn fixture_svg_is_xml_with_every_node_and_dot_styles() {
        let f = Fixture::new();
        let view = View::new(&f.graph, &f.prop, &f.kb, &[f.root], Scope::BOTH);
        let out = svg(&view);
        let keys = node_keys(&out);
        let expected: Vec<String> = view
            .nodes()
            .map(|ix| plain(&f.graph.node(ix).key.to_string()).into_owned())
            .collect();
        assert_eq!(keys, expected);
        // The hostile id is escaped, never raw markup.
        assert!(WEIRD_ID.contains("<x>"));
        assert!(!out.contains("<x>"));
        assert!(out.contains("&lt;x&gt;"));
        // Same colours and edge styles as DOT: a red prohibition edge from Alpaca, the legend.
        assert!(out.contains(&format!("fill=\"{}\"", verdict_colour(Verdict::Forbidden))));
        assert!(out.contains("class=\"edge prohibition\""));
        assert!(out.contains("red bold: non-commercial / no-derivatives"));
        assert_eq!(
            out,
            svg(&View::new(&f.graph, &f.prop, &f.kb, &[f.root], Scope::BOTH))
        );
    }

    #[test]
    fn cycles_and_wide_graphs_lay_out() {
        let kb = KnowledgeBase::builtin();
        let mut g = Graph::new();
        let lic = |l: &str| Declared {
            license: vec![l.into()],
            ..Declared::default()
        };
        let a = g.upsert(Node::found(NodeKey::model("loop/a"), lic("mit")));
        let b = g.upsert(Node::found(NodeKey::model("loop/b"), lic("mit")));
        g.add_edge(a, b, Relation::Finetune);
        g.add_edge(b, a, Relation::Finetune);
        let root = g.upsert(Node::found(NodeKey::model("base/root"), lic("apache-2.0")));
        g.add_edge(root, a, Relation::Finetune);
        for i in 0..200 {
            let c = g.upsert(Node::found(
                NodeKey::model(format!("fan/child-{i:03}")),
                lic("apache-2.0"),
            ));
            g.add_edge(root, c, Relation::Finetune);
        }
        let prop = Propagation::run(&g, &kb, DatasetPolicy::Strict);
        let view = View::whole(&g, &prop, &kb, &[root]);
        let out = svg(&view);
        assert_eq!(node_keys(&out).len(), 203);
        // No two node boxes overlap.
        let doc = roxmltree::Document::parse(&out).unwrap();
        let mut rects: Vec<(f64, f64, f64, f64)> = doc
            .descendants()
            .filter(|n| n.attribute("class").is_some_and(|c| c.starts_with("node ")))
            .map(|g| {
                let r = g.children().find(|c| c.has_tag_name("rect")).unwrap();
                let v = |k| r.attribute(k).unwrap().parse::<f64>().unwrap();
                (v("x"), v("y"), v("width"), v("height"))
            })
            .collect();
        rects.sort_by(|p, q| p.0.total_cmp(&q.0));
        for (i, p) in rects.iter().enumerate() {
            for q in &rects[i + 1..] {
                let apart =
                    p.0 + p.2 <= q.0 || q.0 + q.2 <= p.0 || p.1 + p.3 <= q.1 || q.1 + q.3 <= p.1;
                assert!(apart, "{p:?} overlaps {q:?}");
            }
        }
    }

    #[test]
    fn xml_escapes_markup_and_controls() {
        assert_eq!(
            xml("a<b>&\"c'\n\u{1b}\u{ffff}ü"),
            "a&lt;b&gt;&amp;&quot;c&apos;\\n\\u{1b}\\u{ffff}ü"
        );
    }
}
