//! Synthetic model families for crawler benchmarks.

use crate::repo::{RepoKind, RepoSpec};
use crate::FakeHub;

/// Relations handed out in turn; `merge` children get a second base (the root).
const RELATIONS: [&str; 5] = ["finetune", "adapter", "quantized", "merge", "finetune"];

/// Licenses handed out in turn (a different period from the relations, so they mix); `None` leaves
/// the license out. Quantized children never declare one, as GGUF re-uploads often do not.
const LICENSES: [Option<(&str, Option<&str>)>; 7] = [
    Some(("apache-2.0", None)),
    Some(("mit", None)),
    Some(("llama3.1", None)),
    None,
    Some(("cc-by-nc-4.0", None)),
    Some(("other", Some("acme-research-license"))),
    Some(("apache-2.0", None)),
];

impl FakeHub {
    /// Fills the hub with a synthetic family below `root`: every model has `branching` children, down
    /// to `depth` generations, each child's `base_model` naming its parent. Returns the ids created,
    /// parents before children.
    ///
    /// Children are `family/<root name>-<path>` (e.g. `family/base-0.2.1`), with relations and
    /// licenses varied deterministically; `merge` children also name the root as a second base.
    /// The root is created with `license: apache-2.0` if the hub does not hold it yet. Branching 3
    /// and depth 6 gives 1,092 models.
    pub fn family_tree(&self, root: &str, branching: usize, depth: usize) -> Vec<String> {
        if self.info(RepoKind::Model, root).is_none() {
            self.add(RepoSpec::model(root).license("apache-2.0"));
        }
        let root_name = root.rsplit('/').next().unwrap_or(root);
        let mut created = Vec::new();
        let mut generation: Vec<(String, String)> = vec![(root.to_string(), String::new())];
        let mut k = 0usize;
        for _ in 0..depth {
            let mut next = Vec::with_capacity(generation.len() * branching);
            for (parent, path) in &generation {
                for i in 0..branching {
                    let child_path = if path.is_empty() {
                        i.to_string()
                    } else {
                        format!("{path}.{i}")
                    };
                    let id = format!("family/{root_name}-{child_path}");
                    self.add(family_member(&id, parent, root, k));
                    created.push(id.clone());
                    next.push((id, child_path));
                    k += 1;
                }
            }
            generation = next;
        }
        created
    }
}

fn family_member(id: &str, parent: &str, root: &str, k: usize) -> RepoSpec {
    let mut relation = RELATIONS[k % RELATIONS.len()];
    if relation == "merge" && parent == root {
        relation = "finetune";
    }
    let mut spec = RepoSpec::model(id).downloads((k as u64 * 7919) % 100_000);
    spec = if relation == "merge" {
        spec.base_model([parent, root]).tag("merge")
    } else {
        spec.base_model([parent])
    };
    spec = match relation {
        "adapter" => spec
            .siblings([
                ".gitattributes",
                "README.md",
                "adapter_config.json",
                "adapter_model.safetensors",
            ])
            .library_name("peft"),
        "quantized" => spec
            .relation("quantized")
            .siblings([".gitattributes", "README.md", "model-Q4_K_M.gguf"])
            .tag("gguf"),
        _ => spec,
    };
    if relation != "quantized" {
        if let Some((license, name)) = LICENSES[k % LICENSES.len()] {
            spec = spec.license(license);
            if let Some(name) = name {
                spec = spec.license_name(name);
            }
        }
    }
    spec
}
