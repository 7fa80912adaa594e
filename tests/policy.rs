//! Policy files: verdicts and conditions accepted, license allow-lists, exceptions, clarifications,
//! and every problem of a bad file reported at once.

use crate::util::{json, run, Env};

#[test]
fn conditional_verdicts_pass_when_their_conditions_are_allowed() {
    let env = Env::new();
    let policy = env.write(
        "lineage.toml",
        r#"
[verdicts]
allow = ["permitted", "conditional"]

[conditions]
allow = ["notice", "attribution", "use-policy", "user-threshold", "name-prefix"]
"#,
    );
    let mut c = env.cmd();
    c.args([
        "check",
        "quant-shop/Llama-3.1-8B-Instruct-Legal-SFT-GGUF",
        "--policy",
    ])
    .arg(&policy);
    let (code, out, err) = run(c);
    assert_eq!(code, 0, "{out}{err}");

    // Llama 2 also forbids training other models on its outputs: not in the allowed conditions.
    let mut c = env.cmd();
    c.args([
        "check",
        "TheBloke/Llama-2-7B-GGUF",
        "--format",
        "json",
        "--policy",
    ])
    .arg(&policy);
    let (code, out, _) = run(c);
    assert_eq!(code, 1);
    let v = json(&out);
    assert_eq!(v["policy"]["allowed"], false);
    assert!(
        v["policy"]["why"]
            .to_string()
            .contains("no-output-training"),
        "{v}"
    );
}

#[test]
fn license_allow_list_covers_every_ancestor() {
    let env = Env::new();
    let policy = env.write(
        "lineage.toml",
        "[verdicts]\nallow = [\"permitted\", \"conditional\"]\n\n[licenses]\nallow = [\"apache-2.0\", \"mit\"]\n",
    );
    let mut c = env.cmd();
    c.args([
        "check",
        "open-tuners/llama-2-7b-guanaco-lora",
        "--format",
        "json",
        "--policy",
    ])
    .arg(&policy);
    let (code, out, _) = run(c);
    assert_eq!(code, 1);
    assert!(
        json(&out)["policy"]["why"].to_string().contains("llama2"),
        "{out}"
    );
}

#[test]
fn exceptions_accept_a_model_and_unmatched_ones_warn() {
    let env = Env::new();
    let policy = env.write(
        "lineage.toml",
        r#"
[[exceptions]]
model = "open-tuners/gpt2-alpaca"
reason = "research prototype, never shipped"

[[exceptions]]
model = "acme/not-checked"
reason = "stale entry"
"#,
    );
    let mut c = env.cmd();
    c.args(["check", "open-tuners/gpt2-alpaca", "--policy"])
        .arg(&policy);
    let (code, out, err) = run(c);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("FORBIDDEN"),
        "the verdict itself is unchanged: {out}"
    );
    assert!(
        err.contains("acme/not-checked"),
        "unmatched exception warned: {err}"
    );
}

#[test]
fn clarify_fixes_a_card_and_is_cited() {
    let env = Env::new();
    let policy = env.write(
        "lineage.toml",
        r#"
[[clarify]]
repo = "acme-ai/deleted-base-7b"
license = "apache-2.0"
base_model = []
reason = "internal copy reviewed by legal"
"#,
    );
    let mut c = env.cmd();
    c.args([
        "check",
        "acme-ai/orphan-7b-ft",
        "--format",
        "json",
        "--no-catalog",
        "--policy",
    ])
    .arg(&policy);
    let (_, out, _) = run(c);
    let v = json(&out);
    assert_eq!(v["commercial"], "permitted", "{v}");
}

#[test]
fn bad_policy_reports_every_problem_with_file_and_line() {
    let env = Env::new();
    let policy = env.write(
        "bad.toml",
        r#"
[verdicts]
allow = ["permitted", "fine"]
colour = "red"

[conditions]
allow = ["notice", "non-commercial"]

[licenses]
allow = ["apache-2.0", "Apache 2.0", "no-such-license"]

[[exceptions]]
model = "acme/x"

[[clarify]]
repo = "not a repo id"
license = 42
reason = "?"
"#,
    );
    let mut c = env.cmd();
    c.args(["check", "openai-community/gpt2", "--policy"])
        .arg(&policy);
    let (code, out, err) = run(c);
    assert_eq!(code, 2, "a bad policy stops the command: {out}");
    assert!(out.is_empty());
    let err = err.replace(&env.dir.path().display().to_string(), "<tmp>");
    insta::assert_snapshot!("bad_policy_errors", err);
}

#[test]
fn conflicts_deny_when_the_policy_lists_which_it_accepts() {
    let env = Env::new();
    let lenient = env.write(
        "a.toml",
        "[verdicts]\nallow = [\"permitted\", \"conditional\"]\n",
    );
    let strict = env.write(
        "b.toml",
        "[verdicts]\nallow = [\"permitted\", \"conditional\"]\n\n[conflicts]\nallow = [\"name-prefix-missing\"]\n",
    );
    let model = "open-tuners/llama-2-7b-guanaco-lora";
    let mut c = env.cmd();
    c.args(["check", model, "--policy"]).arg(&lenient);
    assert_eq!(run(c).0, 0, "conflicts inform by default");
    let mut c = env.cmd();
    c.args(["check", model, "--format", "json", "--policy"])
        .arg(&strict);
    let (code, out, _) = run(c);
    assert_eq!(code, 1);
    assert!(
        json(&out)["policy"]["why"]
            .to_string()
            .contains("declared-more-permissive"),
        "{out}"
    );
}
