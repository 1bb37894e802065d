#!/usr/bin/env bash
# Sweeps as a user runs them, in processes: a tiny sweep (not the examples: CI stays quick; each cell trains a few
# steps, evaluates, times and analyses) run once without interruption, and once killed with SIGKILL at three random
# moments and rerun (a killed training resumes from its last checkpoint), which must give the same results.jsonl rows
# (timing fields aside), none lost or duplicated; then the report, opened in headless Chromium
# (installed with Debian's package when missing and root): its images must decode and the screenshot must not be blank.
# Prints "sweep: N checks passed, M failed"; exits non-zero if any failed.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
source "$ROOT/scripts/lib/system-packages.sh"
RUN="$ROOT/scripts/run"
PYTHON=/usr/bin/python3
passed=0
failed=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# the rows are compared with Python's json module (Debian's python3, as the goldens use)
need_packages "the sweep checks" python3 || { echo "sweep: 0 checks passed, 0 failed (skipped: no python3)"; exit 0; }

pass() { passed=$((passed + 1)); }
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }

cat >"$tmp/tiny.yaml" <<EOF
name: tiny
base: $ROOT/configs/train/rnope-swa-recall.yaml
set: {hidden_size: 16, intermediate_size: 32, train.steps: 12, train.batch_size: 4, train.checkpoint_interval: 4, train.log_interval: 2,
      train.eval_lengths: [64], train.eval_batches: 1}
grid:
  position_embedding: [none, rope, alibi, ape]
zip:
  - sliding_window: [8, 16]
eval: {lengths: [64, 96], batches: 1, batch: 2}
speed: {lengths: [16, 32], iterations: 2, warmup: 1}
analyses: {length: 16, batch: 1, shift: 4}
EOF

rows_without_timing() { # results files: their rows without the measured times, sorted by cell
  "$PYTHON" "$ROOT/scripts/lib/rows-without-timing.py" "$@"
}

echo "== sweeps: uninterrupted, then killed at random three times and rerun"
cells=$("$RUN" sweep "$tmp/tiny.yaml" --out "$tmp/whole" --dry-run | sed -n 's/^\([0-9]*\) cells.*/\1/p')   # (builds first, if needed)
start=$(date +%s%N)
if "$RUN" sweep "$tmp/tiny.yaml" --out "$tmp/whole" >"$tmp/whole.log" 2>&1; then pass; else fail "the tiny sweep: $(tail -n 2 "$tmp/whole.log")"; fi
took_ms=$(( ($(date +%s%N) - start) / 1000000 ))
echo "   uninterrupted: $cells cells in ${took_ms} ms"
[ "$(wc -l <"$tmp/whole/results.jsonl")" -eq "$cells" ] && pass || fail "expected $cells rows in results.jsonl"

for attempt in 1 2 3; do
  "$RUN" sweep "$tmp/tiny.yaml" --out "$tmp/killed" >>"$tmp/killed.log" 2>&1 &
  pid=$!
  # a random moment after JVM start-up, within the first half of an uninterrupted run (each rerun starts where the last stopped)
  delay_ms=$(( 800 + RANDOM % (took_ms > 1600 ? took_ms / 2 : 800) ))
  sleep "$(awk -v ms="$delay_ms" 'BEGIN { printf "%.3f", ms / 1000 }')"
  kill -9 "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  echo "   kill -9 after ${delay_ms} ms: $( [ -f "$tmp/killed/results.jsonl" ] && wc -l <"$tmp/killed/results.jsonl" || echo 0) row(s) so far"
done
if "$RUN" sweep "$tmp/tiny.yaml" --out "$tmp/killed" >>"$tmp/killed.log" 2>&1; then pass; else fail "the rerun after kill -9: $(tail -n 2 "$tmp/killed.log")"; fi
rows_without_timing "$tmp/whole/results.jsonl" >"$tmp/whole.rows"
rows_without_timing "$tmp/killed/results.jsonl" >"$tmp/killed.rows"
if [ "$(wc -l <"$tmp/killed/results.jsonl")" -eq "$cells" ] && cmp -s "$tmp/whole.rows" "$tmp/killed.rows"; then
  pass
else
  fail "killed and rerun, results.jsonl differs from the uninterrupted run's:"; diff "$tmp/whole.rows" "$tmp/killed.rows" | head -n 6 | cut -c 1-200
fi

echo "== the report, opened in headless Chromium"
if "$RUN" report "$tmp/whole" >"$tmp/report.log" 2>&1 && [ -f "$tmp/whole/report.html" ]; then pass; else fail "scripts/run report: $(tail -n 2 "$tmp/report.log")"; fi
if need_packages "the report's Chromium check" chromium; then
  browse() { timeout 120 chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1280,2000 "$@" 2>/dev/null; }
  dom=$(browse --dump-dom "file://$tmp/whole/report.html")
  decoded=$(sed -n 's/.*plots decoded: \([0-9]*\) of \([0-9]*\).*/\1 \2/p' <<<"$dom" | head -n 1)
  if [ -n "$decoded" ] && [ "${decoded% *}" = "${decoded#* }" ] && [ "${decoded% *}" -ge 8 ]; then pass; else fail "Chromium decoded '${decoded:-no marker}' of the report's plots"; fi
  browse --screenshot="$tmp/report.png" "file://$tmp/whole/report.html" >/dev/null
  browse --screenshot="$tmp/blank.png" "about:blank" >/dev/null
  report_bytes=$(stat -c %s "$tmp/report.png" 2>/dev/null || echo 0)
  blank_bytes=$(stat -c %s "$tmp/blank.png" 2>/dev/null || echo 1)
  # a blank page compresses to almost nothing; plots with text and lines do not
  if [ "$report_bytes" -gt $((10 * blank_bytes)) ] && [ "$report_bytes" -gt 50000 ]; then pass; else fail "the report's screenshot looks blank ($report_bytes bytes; a blank page $blank_bytes)"; fi
  [ -n "${SWEEP_SCREENSHOT:-}" ] && cp "$tmp/report.png" "$SWEEP_SCREENSHOT"
fi
echo "sweep: $passed checks passed, $failed failed"
[ "$failed" -eq 0 ]
