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
printf 'architecture: rnope_swa\nvocab_size: 17\nhidden_size: 8\nnum_attention_heads: 2\nsliding_window: 4\noutput: logits\ntrain:\n  task: associative_recall\n  pairs: 2\n  keys: 8\n  values: 8\n  batch_size: 2\n  seq_len: 12\n  eval_batches: 1\n' >"$tmp/train.yaml"
printf '1 2 3\n4 5\n' >"$tmp/train.yaml.ids"
check "train" 0 "$RUN" train "$tmp/train.yaml" --out "$tmp/run" --set train.steps=3
expect_output "train says how far it got" "^trained to step 3: $tmp/run\$"
# scripts/bench --train end to end on the smallest run (the table's figures are times: only their form is checked)
check "bench --train" 0 "$ROOT/scripts/bench" --model "$tmp/train.yaml" --train --devices jvm --quick
expect_output "bench --train prints our training tokens/s" '^jvm +[0-9]+ +[0-9]+ +([0-9.]+x|-) +[0-9.]+ +24 +2 \+ 5$'
# attention_dropout trains (the kernels drop attention probabilities with the forward's mask in the backward); a value
# outside [0, 1) is one line naming the file, line and key, and leaves no run folder behind.
check "train with attention_dropout 0.1" 0 "$RUN" train "$tmp/train.yaml" --out "$tmp/run-attention-dropout" --set train.steps=2 --set attention_dropout=0.1
expect_output "train with attention dropout says how far it got" "^trained to step 2: $tmp/run-attention-dropout\$"
for bad in 1.0 -0.1; do
  sed "s/^output: logits\$/output: logits\nattention_dropout: $bad/" "$tmp/train.yaml" >"$tmp/train-attention-dropout.yaml"
  check "train with attention_dropout $bad" 2 "$RUN" train "$tmp/train-attention-dropout.yaml" --out "$tmp/run-bad-attention-dropout"
  if grep -q -E "train-attention-dropout\.yaml:7:[0-9]+: attention_dropout: " "$tmp/err" && [ ! -e "$tmp/run-bad-attention-dropout" ]; then
    passed=$((passed + 1))
  else
    echo "FAIL: attention_dropout $bad: no file:7:column: attention_dropout: line, or a run folder left"; failed=$((failed + 1))
  fi
done
# Forward runs are eval() unless --dropout: attention_dropout changes nothing without it, and the output with it.
plain=$("$RUN" "$ROOT/configs/rnope-swa.yaml" --seq-len 16 --batch 2 --iterations 1 --warmup 0 | grep '^checksum')
check "attention_dropout without --dropout" 0 "$RUN" "$ROOT/configs/rnope-swa.yaml" --seq-len 16 --batch 2 --iterations 1 --warmup 0 --set attention_dropout=0.1
if [ -n "$plain" ] && grep -q -F -x "$plain" "$tmp/out"; then passed=$((passed + 1)); else echo "FAIL: attention_dropout without --dropout changes the output"; failed=$((failed + 1)); fi
check "--dropout with attention_dropout" 0 "$RUN" "$ROOT/configs/rnope-swa.yaml" --seq-len 16 --batch 2 --iterations 1 --warmup 0 --dropout --set dropout=0 \
  --set attention_dropout=0.1
if grep -q '^checksum' "$tmp/out" && ! grep -q -F -x "$plain" "$tmp/out"; then passed=$((passed + 1)); else echo "FAIL: --dropout with attention_dropout changes nothing"; failed=$((failed + 1)); fi
check "eval" 0 "$RUN" eval "$tmp/run/checkpoint-3.safetensors" --lengths 12,48 --batches 1
expect_output "eval prints a row per length" '^ +48 +[0-9.]+ +[0-9.]+% +[0-9]+$'
check "generate from the checkpoint" 0 "$RUN" generate "$tmp/run/checkpoint-3.safetensors" --prompt-file "$tmp/train.yaml.ids" --max-new-tokens 8 --verify
expect_output "generate checks itself against a full recomputation" '^verified +the same arg-max as a full recomputation at all 8 steps'
check "generate --json" 0 "$RUN" generate "$ROOT/configs/rnope-swa-hybrid.yaml" --prompt "Hello" --max-new-tokens 4 --json
expect_output "generate --json reports the caches by layer kind" '^\{"source": .*"generated": \[[0-9, ]+\], "generated_text": .*"kv_cache": \{"sliding": \{"layers": 3, "slots": 27, "bytes": 27648\}, "full": \{"layers": 1, "slots": 9, "bytes": 9216\}, .*\}$'
check "generate from a model that is not a language model" 2 "$RUN" generate "$ROOT/configs/rnope-swa.yaml" --prompt "Hello"
check "train into a folder that holds another run" 2 "$RUN" train "$tmp/train.yaml" --out "$tmp/run"
check "resume a finished run" 0 "$RUN" train --resume "$tmp/run"
# The LSTM hybrids (features: delayed recall) and ape (token ids, a score head) train too.
printf 'architecture: hybrid_lstm_attention\nembed_dim: 4\nlstm_hidden_size: 8\nlstm_layers: 2\nnum_attention_heads: 2\nhead_dim: 4\noutput: all\nnum_labels: 4\ntrain:\n  task: delayed_recall\n  delay: 3\n  batch_size: 2\n  seq_len: 8\n  eval_batches: 1\n' >"$tmp/train-hybrid.yaml"
printf 'architecture: hybrid_lstm_attention_mlp\nembed_dim: 4\nlstm_hidden_size: 8\nnum_attention_heads: 2\nhead_dim: 4\nmlp_sizes: [6, 5]\noutput: all\nnum_labels: 2\ntrain:\n  task: delayed_recall\n  delay: 2\n  batch_size: 2\n  seq_len: 8\n  eval_batches: 1\n' >"$tmp/train-hybrid-mlp.yaml"
printf 'architecture: ape\nvocab_size: 8\nhidden_size: 8\noutput: all\nnum_labels: 8\ntrain:\n  task: copying\n  vocab: 8\n  batch_size: 2\n  seq_len: 10\n  eval_batches: 1\n' >"$tmp/train-ape.yaml"
for arch in hybrid hybrid-mlp ape; do
  check "train $arch" 0 "$RUN" train "$tmp/train-$arch.yaml" --out "$tmp/run-$arch" --set train.steps=2
  expect_output "train $arch says how far it got" "^trained to step 2: $tmp/run-$arch\$"
done
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
echo "== hostile invocations (scripts/lib/hostile-cli.txt)"
T="$tmp/hostile"
mkdir -p "$T"
COMPARE="$ROOT/scripts/compare"
BENCH="$ROOT/scripts/bench"
TEST="$ROOT/scripts/test"
CONFIGS="$ROOT/configs"
QUICK="--seq-len 4 --iterations 1 --warmup 0"
export RUN COMPARE BENCH TEST CONFIGS QUICK T

# Fixtures: special files are made here, in a temporary folder, never taken from /dev or /etc.
is_root=0
if [ "$(id -u)" = 0 ] && mknod "$T/null" c 1 3 2>/dev/null && mknod "$T/zero.yaml" c 1 5 && mknod "$T/zero.safetensors" c 1 5; then
  is_root=1
  ln -s null "$T/to-null.safetensors"
  printf 'extends: zero.yaml\n' >"$T/extends-zero.yaml"
fi
mkfifo "$T/pipe" "$T/pipe.yaml" "$T/pipe.safetensors"
mkdir "$T/folder"
printf 'extends: pipe.yaml\n' >"$T/extends-pipe.yaml"
printf 'root:x:0:0:secret-bytes:/root:/bin/bash\nkey: [unclosed\n' >"$T/secret.txt"
printf 'extends: secret.txt\n' >"$T/extends-secret.yaml"
ln -s secret.txt "$T/secret-link.yaml"
printf 'architecture: rnope_swa\nembed_dim: 8192\nhidden_size: 8192\nnum_hidden_layers: 16\nintermediate_size: 32768\nnum_attention_heads: 64\n' >"$T/big.yaml"
printf 'architecture: rnope_swa\nembed_dim: 1024\nhidden_size: 1024\nintermediate_size: 4096\nnum_attention_heads: 16\n' >"$T/large.yaml"
printf 'old' >"$T/link-target.safetensors"
chmod 640 "$T/link-target.safetensors"
ln -s link-target.safetensors "$T/via-link.safetensors"
mkdir -p "$T/sdk-empty" "$T/sdk-partial/share/java/tornado"
: >"$T/sdk-empty/tornado-argfile"
touch "$T/sdk-partial/share/java/tornado/tornado-api-5.2.1.jar"
printf -- '--module-path .:%s\n--add-modules ALL-SYSTEM,tornado.runtime,tornado.drivers.opencl\n' "$T/sdk-partial/share/java/tornado" \
  >"$T/sdk-partial/tornado-argfile"
# weights of a 1-layer rnope-swa; copies with a NaN, and with floats so large that the output overflows, at the start
"$RUN" "$CONFIGS/rnope-swa.yaml" --set num_hidden_layers=1 $QUICK --save-weights "$T/weights.safetensors" >/dev/null
data_start=$((8 + $(od -An -tu8 -N8 "$T/weights.safetensors" | tr -d ' ')))
cp "$T/weights.safetensors" "$T/nan.safetensors"
printf '\x00\x00\xc0\x7f' | dd of="$T/nan.safetensors" bs=1 seek="$data_start" conv=notrunc status=none
cp "$T/weights.safetensors" "$T/huge.safetensors"
for _ in $(seq 256); do printf '\xff\xff\x7f\x7f'; done | dd of="$T/huge.safetensors" bs=1 seek="$data_start" conv=notrunc status=none
# a header promising 100 MB of floats, in a sparse file: refused before a byte of it is read into memory
header='{"w":{"dtype":"F32","shape":[25000000],"data_offsets":[0,100000000]}}'
printf "\\x$(printf %02x ${#header})\\x00\\x00\\x00\\x00\\x00\\x00\\x00%s" "$header" >"$T/sparse.safetensors"
truncate -s $((8 + ${#header} + 100000000)) "$T/sparse.safetensors"
# configs as editors and scripts write them: a byte-order mark, CRLF, a tab, a very long line, huge and deep values
small='architecture: rnope_swa\nembed_dim: 16\nnum_attention_heads: 2\n'
printf "\xef\xbb\xbf$small" >"$T/bom.yaml"
printf "$small" | sed 's/$/\r/' >"$T/crlf.yaml"
printf 'architecture: rnope_swa\nembed_dim:\t16\n' >"$T/tab.yaml"
{ printf "$small# "; head -c 900000 /dev/zero | tr '\0' x; printf '\n'; } >"$T/long-line.yaml"
{ printf "${small}global_tokens: ["; seq -s, 0 100000 | tr -d '\n'; printf ']\n'; } >"$T/many-globals.yaml"
{ printf "${small}global_tokens: ["; seq -s, 0 200000 | tr -d '\n'; printf ']\n'; } >"$T/too-long.yaml"
{ printf "${small}mlp_sizes: "; printf '[%.0s' $(seq 50); printf ']%.0s' $(seq 50); printf '\n'; } >"$T/deep.yaml"
printf "$small" >"$T/own.yaml"
# extends: a cycle, a file extending itself, a chain too long, a chain through a relative path
printf 'extends: cycle-b.yaml\n' >"$T/cycle-a.yaml"
printf 'extends: cycle-c.yaml\n' >"$T/cycle-b.yaml"
printf 'extends: cycle-a.yaml\n' >"$T/cycle-c.yaml"
printf 'extends: self.yaml\n' >"$T/self.yaml"
for i in $(seq 0 9); do printf 'extends: chain%d.yaml\n' $((i + 1)) >"$T/chain$i.yaml"; done
printf "$small" >"$T/chain10.yaml"
mkdir -p "$T/sub"
printf 'extends: ../folder/../chain10.yaml\nnum_hidden_layers: 1\n' >"$T/sub/relative.yaml"
# safetensors whose tensors overlap, or whose header names one tensor twice
header='{"input":{"dtype":"F32","shape":[1,1,16],"data_offsets":[0,64]},"other":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}'
printf "\\x$(printf %02x ${#header})\\x00\\x00\\x00\\x00\\x00\\x00\\x00%s" "$header" >"$T/overlap.safetensors"
head -c 64 /dev/zero >>"$T/overlap.safetensors"
header='{"input":{"dtype":"F32","shape":[1,1,16],"data_offsets":[0,64]},"input":{"dtype":"F32","shape":[1,1,16],"data_offsets":[0,64]}}'
printf "\\x$(printf %02x ${#header})\\x00\\x00\\x00\\x00\\x00\\x00\\x00%s" "$header" >"$T/twice.safetensors"
head -c 64 /dev/zero >>"$T/twice.safetensors"
# inputs of another model: features 16 wide, token ids
"$RUN" "$T/own.yaml" $QUICK --save-input "$T/narrow-input.safetensors" >/dev/null
"$RUN" "$CONFIGS/ape.yaml" $QUICK --save-input "$T/ids-input.safetensors" >/dev/null
"$RUN" "$T/own.yaml" $QUICK --save-weights "$T/own-weights.safetensors" >/dev/null
md5sum <"$T/own-weights.safetensors" >"$T/own-weights.md5"
head -c 4096 /dev/urandom >"$T/interrupted.safetensors"
md5sum <"$T/interrupted.safetensors" >"$T/interrupted.md5"

interrupt() { # SIGNAL FILE COMMAND...: sends SIGNAL to COMMAND while it writes FILE's temporary; returns its exit code
  local signal="$1" folder name pid tries=0
  folder=$(dirname "$2")
  name=$(basename "$2")
  shift 2
  set -m # a background job without job control would ignore SIGINT
  "$@" &
  pid=$!
  set +m
  while ! compgen -G "$folder/.$name.attentionlab-*.tmp" >/dev/null && kill -0 "$pid" 2>/dev/null && [ "$tries" -lt 6000 ]; do
    sleep 0.01
    tries=$((tries + 1))
  done
  sleep 0.01
  kill -s "$signal" "$pid" 2>/dev/null
  wait "$pid"
}
untouched() { # FILE: the same bytes as before, and no temporary of ours anywhere in its folder
  md5sum <"$1" | cmp -s - "${1%.safetensors}.md5" && ! compgen -G "$(dirname "$1")/.*.attentionlab-*.tmp" >/dev/null
}

hostile=0
skipped=0
while IFS= read -r line; do
  case "$line" in ''|'#'*) continue ;; esac
  needs_root=0
  case "$line" in '[root] '*) needs_root=1; line="${line#\[root\] }" ;; esac
  want=$(sed 's/ *|.*//' <<<"$line")
  rest="${line#* | }"
  pattern="${rest%% | *}"
  rest="${rest#* | }"
  command="${rest%% | *}"
  after=""
  [ "$command" != "$rest" ] && after="${rest#* | }"
  hostile=$((hostile + 1))
  if [ "$needs_root" = 1 ] && [ "$is_root" = 0 ]; then
    skipped=$((skipped + 1))
    continue
  fi
  eval "$command" >"$T/last-out" 2>"$T/last-err"
  got=$?
  problem=""
  if [ "$got" -ne "$want" ]; then
    problem="exit $got, expected $want"
  elif [ "$want" -eq 2 ] && { [ "$(wc -l <"$T/last-err")" -ne 1 ] || grep -q -E 'Exception|^\s+at ' "$T/last-err"; }; then
    problem="expected one line on stderr"
  elif [ "$pattern" = "-" ]; then
    [ -s "$T/last-err" ] && problem="expected nothing on stderr"
  elif [ "${pattern#out:}" != "$pattern" ]; then
    grep -q -E -- "${pattern#out:}" "$T/last-out" || problem="no /${pattern#out:}/ on stdout"
  else
    tail -n 1 "$T/last-err" | grep -q -E -- "$pattern" || problem="no /$pattern/ on stderr"
  fi
  if [ -z "$problem" ] && [ -n "$after" ] && ! eval "$after"; then
    problem="afterwards, not so: $after"
  fi
  if [ -n "$problem" ]; then
    echo "FAIL: $command: $problem"
    sed 's/^/    /' "$T/last-err" | head -n 5
    failed=$((failed + 1))
  else
    passed=$((passed + 1))
  fi
done <"$ROOT/scripts/lib/hostile-cli.txt"
echo "hostile invocations: $hostile, $skipped of them skipped (they need root for mknod)"

# --save-weights, --save-input and --output are what a PyTorch twin needs to reproduce a run (twins' own configs)
if /usr/bin/python3 -c 'import torch' >/dev/null 2>&1; then
  twin="$ROOT/model/src/test/resources/twins/multihead-sliding-window.yaml"
  check "a run saved for PyTorch" 0 "$RUN" "$twin" --seq-len 9 --batch 2 --iterations 1 --warmup 0 --save-weights "$tmp/tw.safetensors" \
    --save-input "$tmp/ti.safetensors" --output "$tmp/to.safetensors"
  if /usr/bin/python3 "$ROOT/scripts/torch_models.py" "$twin" --weights "$tmp/tw.safetensors" --input "$tmp/ti.safetensors" \
      --output "$tmp/tt.safetensors" >/dev/null 2>&1 && /usr/bin/python3 - "$ROOT/scripts/goldens" "$tmp" <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
from _fixtures import read_safetensors
ours = read_safetensors(sys.argv[2] + "/to.safetensors")["output"].flatten()
theirs = read_safetensors(sys.argv[2] + "/tt.safetensors")["output"].flatten()
sys.exit(0 if len(ours) == len(theirs) and max(abs(float(a) - float(b)) for a, b in zip(ours, theirs)) < 1e-4 else 1)
PY
  then passed=$((passed + 1)); else echo "FAIL: the PyTorch twin does not reproduce a run from its saved weights and input"; failed=$((failed + 1)); fi
fi

# How scripts/run and scripts/bench start a TornadoVM JVM, tried on a stand-in "java": exactly the incubator-modules
# line is dropped from stderr (any other warning stays, in order), the exit code is java's, SIGTERM reaches it.
fake_java="$tmp/fake-java"
printf '#!/bin/sh\necho "WARNING: Using incubator modules: jdk.incubator.vector" >&2\necho "WARNING: something else" >&2\necho "error: one line" >&2\n[ "$1" = sleep ] && exec sleep 30\nexit 3\n' >"$fake_java"
chmod +x "$fake_java"
check "the incubator-modules line is dropped, the exit code kept" 3 bash -c 'source "$1/scripts/lib/common.sh"; JAVA="$2"; run_tornadovm_java' - "$ROOT" "$fake_java"
if [ "$(cat "$tmp/err")" = "$(printf 'WARNING: something else\nerror: one line')" ]; then passed=$((passed + 1)); else
  echo "FAIL: the stand-in java's stderr came out as:"; sed 's/^/    /' "$tmp/err"; failed=$((failed + 1)); fi
set -m
bash -c 'source "$1/scripts/lib/common.sh"; JAVA="$2"; run_tornadovm_java sleep' - "$ROOT" "$fake_java" 2>/dev/null &
wrapper=$!
set +m
sleep 1
kill -s TERM "$wrapper"
wait "$wrapper"
code=$?
if [ "$code" = 143 ]; then passed=$((passed + 1)); else echo "FAIL: SIGTERM to the wrapper: exit $code, expected 143 (java's)"; failed=$((failed + 1)); fi

if [ -n "${TORNADOVM_HOME:-}" ]; then
  # on TornadoVM too an error is one line on stderr (the JVM's incubator-modules warning is dropped), and nothing else
  check "an error on a TornadoVM device is one line" 2 "$RUN" "$ROOT/configs/rnope-swa.yaml" --device tornado:0:0 --set bogus=1
  check "devices with a TornadoVM SDK" 0 "$RUN" devices
  if [ -s "$tmp/err" ]; then echo "FAIL: devices with a TornadoVM SDK wrote to stderr:"; sed 's/^/    /' "$tmp/err"; failed=$((failed + 1)); else
    passed=$((passed + 1)); fi
  # a profiled training run on the device: TornadoVM's profiler names each kernel, the table comes at the end
  check "train --profile on a TornadoVM device" 0 "$RUN" train "$tmp/train.yaml" --out "$tmp/run-device-profile" --set train.steps=3 --device tornado:0:0 --profile
  if grep -q -E '^profile: ms per step by kernel, mean of steps 2-3' "$tmp/err" && grep -q -E '^ +[0-9.]+ ms +[0-9.]+ %  AttentionKernels\.' "$tmp/err"; then
    passed=$((passed + 1)); else echo "FAIL: train --profile on a TornadoVM device printed no kernel table:"; sed 's/^/    /' "$tmp/err" | tail -n 5; failed=$((failed + 1)); fi
  # Ctrl-C while a TornadoVM run writes its weights: java's exit code, no temporary left, the old file untouched
  interrupt INT "$T/interrupted.safetensors" "$RUN" "$T/large.yaml" $QUICK --device tornado:0:0 --save-weights "$T/interrupted.safetensors"
  code=$?
  if [ "$code" = 130 ] && untouched "$T/interrupted.safetensors"; then passed=$((passed + 1)); else
    echo "FAIL: SIGINT to a TornadoVM run writing its weights: exit $code (expected 130), or the file or a temporary changed"; failed=$((failed + 1)); fi
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
# ---- the documented PyTorch comparison (configs/README.md, "Checking against PyTorch"): every example config,
# the ablations through their extends included, run by the CLI and by its PyTorch twin on the same weights and input.
echo "== every example config against its PyTorch twin (scripts/torch_models.py)"
if /usr/bin/python3 -c 'import torch' 2>/dev/null; then
  TWIN=(/usr/bin/python3 "$ROOT/scripts/torch_models.py")
  check "the twin without --input says what it needs" 2 "${TWIN[@]}" "$ROOT/configs/rnope-swa.yaml" --weights "$tmp/w.safetensors"
  expect_stderr() { if grep -q -E "$2" "$tmp/err"; then passed=$((passed + 1)); else echo "FAIL: $1: no /$2/ in stderr"; failed=$((failed + 1)); fi; }
  expect_stderr "the twin names what is missing" '^error: missing --input IN, --output OUT: '
  check "the twin passes a config error on" 2 "${TWIN[@]}" "$tmp/bad.yaml" --weights w --input i --output o
  expect_stderr "the twin shows the config error" '^error: [^ ]*bad.yaml:3:1: num_attention_heads: hidden_size 256 .* is not divisible'
  for config in "$ROOT"/configs/*.yaml "$ROOT"/configs/*/*.yaml; do
    case "$config" in "$ROOT"/configs/sweeps/*) continue ;; esac  # sweep files, tried by sweep-smoke.sh
    name=${config#"$ROOT/configs/"}
    check "$name saved for PyTorch" 0 "$RUN" "$config" --seq-len 12 --batch 2 --iterations 1 --warmup 0 --save-weights "$tmp/w.safetensors" \
      --save-input "$tmp/in.safetensors" --output "$tmp/out.safetensors" || continue
    check "$name's PyTorch twin" 0 "${TWIN[@]}" "$config" --weights "$tmp/w.safetensors" --input "$tmp/in.safetensors" --output "$tmp/out_torch.safetensors" \
      || continue
    if verdict=$(/usr/bin/python3 "$ROOT/scripts/lib/twin-check.py" "$tmp/out.safetensors" "$tmp/out_torch.safetensors" 2>&1); then
      passed=$((passed + 1))
    else
      echo "FAIL: $name differs from its PyTorch twin: $verdict"
      failed=$((failed + 1))
    fi
  done
else
  echo "(skipped: /usr/bin/python3 has no torch; apt-get install python3-torch python3-numpy)"
fi
# ---- Hugging Face checkpoint directories both ways (configs/README.md, "Hugging Face checkpoints"): the checkpoints the
# PyTorch twins wrote run here with the twins' logits, and what export-hf writes runs in the twin with ours.
echo "== Hugging Face checkpoints: the twins' run here, ours run in the twin (scripts/hf_twins.py)"
HF="$ROOT/model/src/test/resources/hf-checkpoints"
twin_agrees() { # description, OURS.safetensors, THEIRS.safetensors: tensor output within 1e-4 relative
  if verdict=$(/usr/bin/python3 "$ROOT/scripts/lib/twin-check.py" "$2" "$3" 2>&1); then
    passed=$((passed + 1))
  else
    echo "FAIL: $1: $verdict"
    failed=$((failed + 1))
  fi
}
has_torch=0
/usr/bin/python3 -c 'import torch' 2>/dev/null && has_torch=1
for name in cohere2 mistral llama; do
  check "the twin's $name checkpoint runs here" 0 "$RUN" "$HF/$name" --input "$HF/$name.io.safetensors" --output "$tmp/hf-$name.safetensors" \
    --iterations 1 --warmup 0 || continue
  [ "$has_torch" = 1 ] && twin_agrees "the twin's $name checkpoint" "$tmp/hf-$name.safetensors" "$HF/$name.io.safetensors"
done
check "describe a checkpoint directory" 0 "$RUN" describe "$HF/cohere2"
expect_output "it reads as Cohere2's layout" '^rnope_swa_hybrid: vocab 50 .*rope \(theta 10000, gptj\) on 6, layernorm \(no bias\) parallel'
for name in cohere2 mistral; do
  check "export-hf $name.yaml" 0 "$RUN" export-hf "$ROOT/model/src/test/resources/twins/$name.yaml" --out "$tmp/export-$name" || continue
  expect_output "export-hf says what it wrote" "^wrote .*/export-$name: Hugging Face $name "
  [ "$has_torch" = 1 ] || continue
  check "the $name export runs here" 0 "$RUN" "$tmp/export-$name" --seq-len 24 --batch 2 --iterations 1 --warmup 0 \
    --save-input "$tmp/export-in.safetensors" --output "$tmp/export-out.safetensors" &&
    check "the $name export runs in the twin" 0 /usr/bin/python3 "$ROOT/scripts/hf_twins.py" "$tmp/export-$name" \
      --input "$tmp/export-in.safetensors" --output "$tmp/export-twin.safetensors" &&
    twin_agrees "the $name export in the twin" "$tmp/export-out.safetensors" "$tmp/export-twin.safetensors"
done
if check "export-hf of a checkpoint directory" 0 "$RUN" export-hf "$tmp/export-cohere2" --out "$tmp/export-again"; then
  if cmp -s "$tmp/export-cohere2/model.safetensors" "$tmp/export-again/model.safetensors" && cmp -s "$tmp/export-cohere2/config.json" "$tmp/export-again/config.json"; then
    passed=$((passed + 1))
  else
    echo "FAIL: a re-exported checkpoint differs from the one it was read from"; failed=$((failed + 1))
  fi
fi
[ "$has_torch" = 1 ] || echo "(twin comparisons skipped: /usr/bin/python3 has no torch; apt-get install python3-torch python3-numpy)"
echo "cli: $passed checks passed, $failed failed"
[ "$failed" -eq 0 ]
