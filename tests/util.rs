//! Helpers: a fake Hub with the real-world fixtures, a private cache and HF_HOME, and the binary.

use assert_cmd::Command;
use lineage_fakehub::FakeHub;
use std::path::{Path, PathBuf};
use tempfile::TempDir;

/// A fake Hub plus an isolated cache directory and HF_HOME for one test.
pub struct Env {
    pub hub: FakeHub,
    pub dir: TempDir,
}

impl Env {
    /// The fake Hub loaded with the real-world fixtures.
    pub fn new() -> Env {
        Env {
            hub: FakeHub::with_fixtures(),
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    /// An empty fake Hub.
    pub fn empty() -> Env {
        Env {
            hub: FakeHub::start(),
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    pub fn cache_dir(&self) -> PathBuf {
        self.dir.path().join("cache")
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.path(name);
        std::fs::write(&p, text).expect("write");
        p
    }

    /// `lineage` talking to this fake Hub, with a private cache, no colour, and no token from the
    /// developer's environment.
    pub fn cmd(&self) -> Command {
        let mut c = Command::cargo_bin("lineage").expect("binary");
        c.arg("--endpoint")
            .arg(self.hub.url())
            .arg("--cache-dir")
            .arg(self.cache_dir())
            // Request counts that tests assert must not depend on how busy the machine is.
            .arg("--no-hedge")
            .env("HF_HOME", self.dir.path().join("hf-home"))
            .env("NO_COLOR", "1")
            .env_remove("HF_TOKEN")
            .env_remove("HUGGING_FACE_HUB_TOKEN")
            .env_remove("HF_TOKEN_PATH")
            .env_remove("HF_ENDPOINT")
            .env_remove("HF_HUB_OFFLINE")
            .env_remove("TRANSFORMERS_OFFLINE");
        c
    }
}

impl Env {
    /// Runs `lineage ARGS` against this fake Hub: (exit code, stdout, stderr).
    pub fn run(&self, args: &[&str]) -> (i32, String, String) {
        let mut c = self.cmd();
        c.args(args);
        run(c)
    }
}

/// Runs and returns (exit code, stdout, stderr).
pub fn run(mut c: Command) -> (i32, String, String) {
    let out = c.output().expect("run lineage");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The conflict codes of one `lineage.check/1` object, in order.
pub fn conflict_codes(v: &serde_json::Value) -> Vec<String> {
    v["conflicts"]
        .as_array()
        .unwrap_or_else(|| panic!("no conflicts array in {v}"))
        .iter()
        .map(|c| c["code"].as_str().expect("a code").to_string())
        .collect()
}

/// Parses JSON output.
pub fn json(s: &str) -> serde_json::Value {
    serde_json::from_str(s).unwrap_or_else(|e| panic!("not JSON ({e}):\n{s}"))
}

/// Checks DOT with Graphviz when it is installed (CI installs it), else structurally.
pub fn assert_valid_dot(dot: &str, scratch: &Path) {
    assert!(dot.starts_with("digraph"), "{dot}");
    // Outside quoted strings braces balance; every string ends; no raw newline inside a string.
    let (mut depth, mut in_str, mut escaped) = (0i64, false, false);
    for c in dot.chars() {
        match (in_str, escaped, c) {
            (true, true, _) => escaped = false,
            (true, false, '\\') => escaped = true,
            (true, false, '"') => in_str = false,
            (true, false, '\n') => panic!("raw newline inside a DOT string:\n{dot}"),
            (false, _, '"') => in_str = true,
            (false, _, '{') => depth += 1,
            (false, _, '}') => depth -= 1,
            _ => {}
        }
        assert!(depth >= 0, "unbalanced braces:\n{dot}");
    }
    assert!(
        !in_str && depth == 0,
        "unterminated string or brace:\n{dot}"
    );
    let have_dot = std::process::Command::new("dot").arg("-V").output().is_ok();
    if std::env::var_os("CI").is_some() {
        assert!(
            have_dot,
            "CI must render DOT with Graphviz (.ci/run installs it)"
        );
    }
    if have_dot {
        let file = scratch.join("g.dot");
        std::fs::write(&file, dot).unwrap();
        let out = std::process::Command::new("dot")
            .arg("-Tsvg")
            .arg(&file)
            .output()
            .unwrap();
        assert!(
            out.status.success() && out.stderr.is_empty(),
            "dot rejected the output: {}\n{dot}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
