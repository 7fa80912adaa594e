//! An indented tree in the style of `cargo tree`, for terminals.

use super::{display_id, license_text, plain, View};
use crate::graph::{NodeIndex, Relation};
use std::collections::HashSet;

/// Renders the view as indented trees, one per root: the root's ancestors (parents, their parents, ...)
/// when the view's scope goes up, then its descendants under a `[descendants]` heading when it goes down.
///
/// Each line reads `relation id [verdict] (license)`, followed by the node's conflict codes; a node
/// already expanded earlier in the same tree is printed once more with `(*)` and not expanded again, and
/// a node that is its own ancestor on the current branch is marked `(cycle)`.
pub fn tree(view: &View<'_>) -> String {
    let mut out = String::new();
    let scope = view.scope();
    for (k, &root) in view.roots().iter().enumerate() {
        if !view.contains(root) {
            continue;
        }
        if k > 0 {
            out.push('\n');
        }
        out.push_str(&node_text(view, root));
        out.push('\n');
        if scope.up {
            let mut w = Walk::new(view, true);
            w.children(root, "", &mut out);
        }
        if scope.down {
            out.push_str("[descendants]\n");
            let mut w = Walk::new(view, false);
            w.children(root, "", &mut out);
        }
    }
    out
}

struct Walk<'v, 'a> {
    view: &'v View<'a>,
    up: bool,
    expanded: HashSet<NodeIndex>,
    branch: Vec<NodeIndex>,
}

impl<'v, 'a> Walk<'v, 'a> {
    fn new(view: &'v View<'a>, up: bool) -> Self {
        Walk {
            view,
            up,
            expanded: HashSet::new(),
            branch: Vec::new(),
        }
    }

    fn next(&self, n: NodeIndex) -> Vec<(NodeIndex, Relation)> {
        if self.up {
            self.view.parents_of(n)
        } else {
            self.view.children_of(n)
        }
    }

    fn children(&mut self, n: NodeIndex, prefix: &str, out: &mut String) {
        self.expanded.insert(n);
        self.branch.push(n);
        let next = self.next(n);
        for (i, (m, rel)) in next.iter().enumerate() {
            let last = i + 1 == next.len();
            out.push_str(prefix);
            out.push_str(if last { "└── " } else { "├── " });
            out.push_str(rel.as_str());
            out.push(' ');
            out.push_str(&node_text(self.view, *m));
            if self.branch.contains(m) {
                out.push_str(" (cycle)\n");
                continue;
            }
            if self.expanded.contains(m) {
                if !self.next(*m).is_empty() {
                    out.push_str(" (*)");
                }
                out.push('\n');
                continue;
            }
            out.push('\n');
            let child_prefix = format!("{prefix}{}", if last { "    " } else { "│   " });
            self.children(*m, &child_prefix, out);
        }
        self.branch.pop();
    }
}

/// `id [verdict] (license)` and the conflict codes, with unsafe characters escaped.
fn node_text(view: &View<'_>, ix: NodeIndex) -> String {
    let Some(i) = view.position(ix) else {
        return plain(&display_id(&view.graph().node(ix).key)).into_owned();
    };
    let s = &view.shown()[i];
    let mut t = format!(
        "{} [{}] ({})",
        plain(&display_id(&view.graph().node(ix).key)),
        s.verdict(),
        plain(&license_text(view, s))
    );
    let codes = s.conflict_codes();
    if !codes.is_empty() {
        t.push_str(&format!(" conflicts: {}", codes.join(", ")));
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::Scope;
    use crate::graph::{Declared, Graph, Node};
    use crate::id::NodeKey;
    use crate::license::KnowledgeBase;
    use crate::propagate::{DatasetPolicy, Propagation};

    fn model(g: &mut Graph, id: &str, license: &str) -> NodeIndex {
        g.upsert(Node::found(
            NodeKey::model(id),
            Declared {
                license: vec![license.into()],
                ..Declared::default()
            },
        ))
    }

    #[test]
    fn repeated_subtrees_and_cycles_are_cut() {
        let kb = KnowledgeBase::builtin();
        let mut g = Graph::new();
        let base = model(&mut g, "a/base", "mit");
        let grand = model(&mut g, "a/grand", "mit");
        let left = model(&mut g, "a/left", "mit");
        let right = model(&mut g, "a/right", "mit");
        let merged = model(&mut g, "a/merged", "mit");
        g.add_edge(grand, base, Relation::Finetune);
        g.add_edge(base, left, Relation::Finetune);
        g.add_edge(base, right, Relation::Finetune);
        g.add_edge(left, merged, Relation::Merge);
        g.add_edge(right, merged, Relation::Merge);
        // A card that names its own derivative as its base.
        g.add_edge(merged, grand, Relation::Finetune);
        let prop = Propagation::run(&g, &kb, DatasetPolicy::Strict);
        let view = View::new(&g, &prop, &kb, &[merged], Scope::UP);
        let out = tree(&view);
        assert!(out.contains("(*)"), "{out}");
        assert!(out.contains("(cycle)"), "{out}");
        assert_eq!(out.matches("finetune a/grand").count(), 1, "{out}");
        // Every line but the root hangs from a branch.
        assert!(out.lines().skip(1).all(|l| l.contains("── ")), "{out}");
    }
}
