#!/usr/bin/env bash
# Seeds each target's corpus from the repository's fixtures and docs, then fuzzes the targets one
# after another, SECONDS_PER_TARGET each (default 600) on one core. Logs go to $LOG_DIR (default
# /tmp/lineage-fuzz). Needs cargo-fuzz; on a stable-only toolchain it sets RUSTC_BOOTSTRAP=1.
set -euo pipefail
cd "$(dirname "$0")"
secs="${SECONDS_PER_TARGET:-600}"
logs="${LOG_DIR:-/tmp/lineage-fuzz}"
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(front_matter hub_json license license_text policy repo_id)
mkdir -p "$logs"
if ! rustc --version | grep -q nightly; then export RUSTC_BOOTSTRAP=1; fi

seed() { mkdir -p "corpus/$1"; printf '%s' "$2" > "corpus/$1/seed-$3"; }
fixtures=../crates/lineage-fakehub/fixtures
mkdir -p corpus/front_matter corpus/hub_json
find "$fixtures" -name '*.md' -exec cp {} corpus/front_matter/ \;
i=0; for f in $(find "$fixtures" -name '*.json'); do cp "$f" "corpus/hub_json/seed-$i.json"; i=$((i+1)); done
seed front_matter $'---\nlicense: apache-2.0\nbase_model: [a/b, c/d]\ndatasets: x/y\n---\n# Card' 1
seed front_matter $'---\r\nlicense: other\r\nlicense_name: foo\r\n---\r\n' 2
seed license apache-2.0 1; seed license $'other\nLlama 3.1 Community License\nLICENSE.md' 2
seed license $'cc-by-nc-4.0,mit\n\nhttps://huggingface.co/org/name/blob/main/LICENSE' 3
mkdir -p corpus/license_text
cp ../crates/lineage-core/data/license-texts/*.txt corpus/license_text/ 2>/dev/null || true
seed policy "$(sed -n '/^```toml$/,/^```$/p' ../docs/policy.md | grep -v '^```')" 1
seed repo_id meta-llama/Llama-2-7b-hf@main 1; seed repo_id https://huggingface.co/datasets/a/b/tree/main 2
seed repo_id HTTPS://hf.co:443/org/name 3; seed repo_id org%2Fname 4

for t in "${targets[@]}"; do
  echo "== $t ($secs s) $(date -u +%H:%M:%S)" | tee -a "$logs/summary.txt"
  cargo fuzz run --sanitizer none --debug-assertions "$t" "corpus/$t" -- \
    -max_total_time="$secs" -max_len=65536 -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
    > "$logs/$t.log" 2>&1 || echo "!! $t stopped with $? (see $logs/$t.log)" | tee -a "$logs/summary.txt"
  grep -E 'stat::number_of_executed_units|Done [0-9]+ runs' "$logs/$t.log" | tail -2 | tee -a "$logs/summary.txt" || true
done
