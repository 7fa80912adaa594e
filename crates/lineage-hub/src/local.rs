//! Local model folders: the README.md front matter and, for PEFT adapters, `adapter_config.json`
//! (`base_model_name_or_path`); the bases they name are then resolved on the Hub by the crawler.

use crate::card::{self, HubFacts};
use crate::error::HubError;
use lineage_core::{Declared, NodeKey, Relation, Resolution};
use std::path::Path;

/// What a local folder declares.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocalModel {
    /// `model:<absolute path>`: the folder's node in the graph.
    pub key: NodeKey,
    /// The card's fields; `base_model` from `adapter_config.json` when the card names none.
    pub declared: Declared,
    /// `Found`, or `Unparseable` when the README front matter or the adapter config is broken.
    pub resolution: Resolution,
    /// `adapter` when the folder holds a PEFT `adapter_config.json`.
    pub relation_hint: Option<Relation>,
}

/// Reads a model folder. Missing files are fine (an empty card); a folder or file that exists but
/// cannot be read is an error.
pub fn read_folder(path: &Path) -> Result<LocalModel, HubError> {
    let io_err = |p: &Path, source: std::io::Error| HubError::LocalFolder {
        path: p.to_path_buf(),
        source,
    };
    let abs = path.canonicalize().map_err(|e| io_err(path, e))?;
    if !abs.is_dir() {
        return Err(io_err(
            path,
            std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a directory"),
        ));
    }
    let key = NodeKey::model(abs.display().to_string());
    let read = |name: &str| -> Result<Option<String>, HubError> {
        let p = abs.join(name);
        match std::fs::read(&p) {
            Ok(bytes) => Ok(Some(String::from_utf8_lossy(&bytes).into_owned())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io_err(&p, e)),
        }
    };

    let mut problems = Vec::new();
    let mut declared = match read("README.md")? {
        Some(text) => match card::parse_readme(&text) {
            Ok(map) => card::declared(&map, &HubFacts::default()),
            Err(e) => {
                problems.push(format!("README.md: {e}"));
                Declared::default()
            }
        },
        None => Declared::default(),
    };
    let mut relation_hint = None;
    if let Some(text) = read("adapter_config.json")? {
        relation_hint = Some(Relation::Adapter);
        match serde_json::from_str::<serde_json::Value>(&text) {
            Ok(v) => {
                let base = card::scalar(v.get("base_model_name_or_path"));
                // The card's base_model wins: PEFT often records the local path it trained from,
                // while the card names the Hub id.
                if declared.base_model.is_empty() {
                    match base {
                        Some(b) => declared.base_model = vec![b],
                        None => problems.push(
                            "adapter_config.json names no base_model_name_or_path".to_string(),
                        ),
                    }
                }
            }
            Err(e) => problems.push(format!("adapter_config.json is not valid JSON: {e}")),
        }
    }
    let resolution = if problems.is_empty() {
        Resolution::Found
    } else {
        Resolution::Unparseable {
            why: problems.join("; "),
        }
    };
    Ok(LocalModel {
        key,
        declared,
        resolution,
        relation_hint,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peft_adapter_folder() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(
            d.path().join("adapter_config.json"),
            r#"{"peft_type":"LORA","base_model_name_or_path":"meta-llama/Llama-2-7b-hf","r":8}"#,
        )
        .unwrap();
        std::fs::write(
            d.path().join("README.md"),
            "---\r\nlicense: apache-2.0\r\n---\r\n# LoRA\r\n",
        )
        .unwrap();
        let m = read_folder(d.path()).unwrap();
        assert_eq!(m.resolution, Resolution::Found);
        assert_eq!(m.declared.license, vec!["apache-2.0"]);
        assert_eq!(m.declared.base_model, vec!["meta-llama/Llama-2-7b-hf"]);
        assert_eq!(m.relation_hint, Some(Relation::Adapter));
        assert!(m.key.id.starts_with('/'));
    }

    #[test]
    fn card_base_wins_and_empty_folder_is_an_empty_card() {
        let d = tempfile::tempdir().unwrap();
        let m = read_folder(d.path()).unwrap();
        assert_eq!(m.declared, Declared::default());
        assert_eq!(m.resolution, Resolution::Found);
        std::fs::write(
            d.path().join("README.md"),
            "---\nbase_model: org/base\n---\n",
        )
        .unwrap();
        std::fs::write(
            d.path().join("adapter_config.json"),
            r#"{"base_model_name_or_path":"/home/me/llama"}"#,
        )
        .unwrap();
        assert_eq!(
            read_folder(d.path()).unwrap().declared.base_model,
            vec!["org/base"]
        );
    }

    #[test]
    fn broken_files_make_the_node_unparseable() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("README.md"), "---\nlicense: [mit\n---\n").unwrap();
        std::fs::write(d.path().join("adapter_config.json"), "{not json").unwrap();
        let m = read_folder(d.path()).unwrap();
        match m.resolution {
            Resolution::Unparseable { why } => {
                assert!(
                    why.contains("README.md") && why.contains("adapter_config.json"),
                    "{why}"
                )
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn missing_folder_is_an_error() {
        let d = tempfile::tempdir().unwrap();
        let e = read_folder(&d.path().join("nope")).unwrap_err();
        assert!(matches!(e, HubError::LocalFolder { .. }));
        let f = d.path().join("file");
        std::fs::write(&f, "x").unwrap();
        assert!(read_folder(&f).is_err());
    }
}
