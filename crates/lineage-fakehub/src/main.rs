//! `lineage-fakehub`: serves the fake Hub with this crate's fixtures, for manual runs, benchmarks and
//! examples.
//!
//! ```text
//! lineage-fakehub [--port N] [--no-fixtures] [--family ROOT,BRANCHING,DEPTH]... [--latency-ms N] [--token T]
//! ```
//! Prints the base URL (use it as `HF_ENDPOINT`) on the first line of stdout, then serves until killed.

use std::process::ExitCode;
use std::time::Duration;

use lineage_fakehub::FakeHub;

const USAGE: &str =
    "usage: lineage-fakehub [--port N] [--no-fixtures] [--family ROOT,BRANCHING,DEPTH]... \
[--latency-ms N] [--token T]";

struct Args {
    port: u16,
    fixtures: bool,
    families: Vec<(String, usize, usize)>,
    latency_ms: u64,
    token: Option<String>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        port: 0,
        fixtures: true,
        families: Vec::new(),
        latency_ms: 0,
        token: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
            _ => (arg.clone(), None),
        };
        let mut value = || {
            inline
                .clone()
                .or_else(|| it.next())
                .ok_or_else(|| format!("{flag} needs a value"))
        };
        match flag.as_str() {
            "--port" => args.port = value()?.parse().map_err(|e| format!("--port: {e}"))?,
            "--no-fixtures" => args.fixtures = false,
            "--latency-ms" => {
                args.latency_ms = value()?.parse().map_err(|e| format!("--latency-ms: {e}"))?;
            }
            "--token" => args.token = Some(value()?),
            "--family" => {
                let v = value()?;
                let parts: Vec<&str> = v.split(',').collect();
                let [root, branching, depth] = parts.as_slice() else {
                    return Err("--family takes ROOT,BRANCHING,DEPTH".into());
                };
                let num = |s: &str| s.parse::<usize>().map_err(|e| format!("--family: {e}"));
                args.families
                    .push((root.to_string(), num(branching)?, num(depth)?));
            }
            "-h" | "--help" => return Err(USAGE.into()),
            other => return Err(format!("unknown argument {other}\n{USAGE}")),
        }
    }
    Ok(args)
}

#[allow(clippy::print_stdout, clippy::print_stderr)]
fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(msg) => {
            eprintln!("{msg}");
            return ExitCode::from(2);
        }
    };
    let hub = match FakeHub::bind(("127.0.0.1", args.port)) {
        Ok(h) => h,
        Err(e) => {
            eprintln!("lineage-fakehub: cannot bind 127.0.0.1:{}: {e}", args.port);
            return ExitCode::FAILURE;
        }
    };
    if args.fixtures {
        if let Err(e) = hub.load_fixtures(&lineage_fakehub::fixtures_dir()) {
            eprintln!("lineage-fakehub: {e}");
            return ExitCode::FAILURE;
        }
    }
    for (root, branching, depth) in &args.families {
        let ids = hub.family_tree(root, *branching, *depth);
        eprintln!("family below {root}: {} models", ids.len());
    }
    hub.set_latency(Duration::from_millis(args.latency_ms));
    if let Some(t) = &args.token {
        hub.require_token(t);
    }
    println!("{}", hub.url());
    loop {
        std::thread::park();
    }
}
