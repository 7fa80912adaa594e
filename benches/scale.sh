#!/usr/bin/env bash
# Whole-Hub scale benchmark, side by side: lineage (sync --from + audit, release build) and a
# networkx baseline on the same synthetic dump. Usage: benches/scale.sh [MODELS]
set -euo pipefail
n="${1:-2000000}"
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
cargo build --release -q -p lineage-hub --example sync_bench
start=$(date +%s.%N)
/usr/bin/time -f "lineage peak RSS %M KiB" target/release/examples/sync_bench "$n" "$dir/dump.jsonl"
rust=$(echo "$(date +%s.%N) - $start" | bc)
python3 -c 'import networkx' 2>/dev/null || pip install -q networkx
start=$(date +%s.%N)
/usr/bin/time -f "networkx peak RSS %M KiB" python3 benches/audit_networkx.py "$dir/dump.jsonl"
py=$(echo "$(date +%s.%N) - $start" | bc)
echo "wall: lineage (generate + import + audit + descendants) ${rust}s, networkx (load + propagate) ${py}s"
