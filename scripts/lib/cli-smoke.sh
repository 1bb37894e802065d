#!/usr/bin/env bash
# The README's commands tried as a user types them: every example config runs, --json is one JSON object,
# describe and devices answer, and bad input gets one line on stderr and exit code 2.
# Prints "cli: N checks passed, M failed"; exits non-zero if any failed.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
RUN="$ROOT/scripts/run"
passed=0
failed=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

check() { # description, expected exit code, command...
  local what="$1" want="$2"
  shift 2
  "$@" >"$tmp/out" 2>"$tmp/err"
  local got=$?
  if [ "$got" -ne "$want" ]; then
    echo "FAIL: $what: exit $got, expected $want"; sed 's/^/    /' "$tmp/err" | head -n 5
    failed=$((failed + 1))
    return 1
  fi
  if [ "$want" -eq 2 ]; then
    if [ "$(wc -l <"$tmp/err")" -ne 1 ] || grep -q -E 'Exception|^\s+at ' "$tmp/err"; then
      echo "FAIL: $what: expected one line on stderr, got:"; sed 's/^/    /' "$tmp/err" | head -n 5
      failed=$((failed + 1))
      return 1
    fi
  fi
  passed=$((passed + 1))
}

expect_output() { # description, pattern: the last command's stdout must match
  if grep -q -E "$2" "$tmp/out"; then passed=$((passed + 1)); else echo "FAIL: $1: no /$2/ in output"; failed=$((failed + 1)); fi
}

echo "== the CLI as a user runs it"
for config in "$ROOT"/configs/*.yaml "$ROOT"/configs/*/*.yaml; do
  case "$config" in "$ROOT"/configs/sweeps/*) continue ;; esac  # sweep files, tried by sweep-smoke.sh
  check "run $(basename "$config")" 0 "$RUN" "$config" --seq-len 16 --batch 2 --iterations 2 --warmup 1
  expect_output "$(basename "$config") prints a checksum" '^checksum +-?[0-9]+\.[0-9]+ \(weighted sum\)'
done
check "--json" 0 "$RUN" "$ROOT/configs/rnope-swa.yaml" --json --seq-len 32 --iterations 2 --warmup 1
expect_output "--json is one object with the advertised fields" '^\{"config": .*"device": "jvm".*"output_shape": \[1, 256\].*"checksum": .*"latency_ms": \{"median": .*"p90": .*"tokens_per_s": .*"peak_heap_mb": .*\}$'
check "describe" 0 "$RUN" describe "$ROOT/configs/rnope-swa-hybrid.yaml" --seq-len 8192
expect_output "describe shows the layer table" '^3 +full_attention'
check "compare" 0 "$ROOT/scripts/compare" "$ROOT/configs/ape.yaml" --devices jvm,jvm --seq-len 8 --iterations 1 --warmup 0
expect_output "compare agrees with itself" '^jvm +[0-9.]+ +[0-9.]+ +[0-9]+ +-?[0-9.]+ +yes$'
check "devices" 0 "$RUN" devices
expect_output "devices lists the JVM" '^jvm '
check "a missing config" 2 "$RUN" "$tmp/missing.yaml"
printf 'architecture: rnope_swa\nembed_dim: 16\nnum_attention_heads: 3\n' >"$tmp/bad.yaml"
check "an inconsistent config" 2 "$RUN" "$tmp/bad.yaml"
check "an unknown option" 2 "$RUN" "$ROOT/configs/rnope-swa.yaml" --frobnicate
check "an unknown device" 2 "$RUN" "$ROOT/configs/rnope-swa.yaml" --device fpga:7
if [ -z "${TORNADOVM_HOME:-}" ]; then
  check "a TornadoVM device without an SDK" 2 "$RUN" "$ROOT/configs/rnope-swa.yaml" --device tornado:0:0
fi
check "missing weights" 2 "$RUN" "$ROOT/configs/rnope-swa.yaml" --weights "$tmp/none.safetensors" --output "$tmp/out.safetensors"
if [ -e "$tmp/out.safetensors" ]; then echo "FAIL: a failed run left an output file"; failed=$((failed + 1)); else passed=$((passed + 1)); fi
if [ -n "${TORNADOVM_HOME:-}" ]; then
  # the same forward pass on the JVM and on TornadoVM's device 0:0: checksums agree within float tolerance
  for config in "$ROOT"/configs/*.yaml; do
    name=$(basename "$config")
    jvm=$("$RUN" "$config" --json --seq-len 24 --batch 2 --iterations 1 --warmup 0 2>/dev/null | sed -n 's/.*"checksum": \([^,]*\),.*/\1/p')
    dev=$("$RUN" "$config" --json --seq-len 24 --batch 2 --iterations 1 --warmup 0 --device tornado:0:0 2>/dev/null | sed -n 's/.*"checksum": \([^,]*\),.*/\1/p')
    if [ -n "$jvm" ] && [ -n "$dev" ] && awk -v a="$jvm" -v b="$dev" 'BEGIN { d = a - b; if (d < 0) d = -d; m = a < 0 ? -a : a; exit !(d <= 1e-4 * m + 1e-4) }'; then
      passed=$((passed + 1))
    else
      echo "FAIL: $name on tornado:0:0: checksum ${dev:-none}, on the JVM ${jvm:-none}"
      failed=$((failed + 1))
    fi
  done
fi
echo "cli: $passed checks passed, $failed failed"
[ "$failed" -eq 0 ]
